// ICMPv6 Echo Reply built in place over the request (RFC 4443 §4.2): the reply
// goes back to the request's source, from the unicast address it was sent to,
// with the request's identifier, sequence number and data unmodified.

import { IFACE_HOP_LIMIT, IFACE_MAC, IFF_ETHERNET, DESC_VERDICT, DESC_REASON } from '../layout';
import { Verdict, DropReason, Counter } from '../verdict';
import { count, dropDesc } from '../table/counters';
import { nextHop } from '../table/addr';
import { neighResolve } from '../table/neighbor';
import { copy6 } from '../util/bytes';
import { ETH_SRC, ETH_DST } from '../wire/ethernet';
import { IP6_SRC, IP6_DST, IP6_HOP_LIMIT, IP6_HEADER_LEN, isUnspecified } from '../wire/ipv6';
import { ICMP6_ECHO_REPLY, ICMP6_CSUM } from '../wire/icmpv6';
import { iovPush } from './iov';

/**
 * Turns the echo request in `slot` into its reply. Returns TX_READY (queued in
 * the write list), RESOLVE (built, next hop unknown to the fast path) or DROP.
 */
export function echoInPlace(ifindex: u32, iface: usize, flags: u32, slot: usize, l3: u32, plen: u32, desc: usize): Verdict {
  const ip = slot + l3;
  const l4 = ip + IP6_HEADER_LEN;
  if (isUnspecified(ip + IP6_SRC)) { // nobody to answer
    dropDesc(desc, DropReason.ECHO_UNSPEC_SOURCE);
    return Verdict.DROP;
  }
  // Swap the addresses; the pseudo-header sum is unchanged by the swap.
  const s0 = load<u64>(ip + IP6_SRC);
  const s1 = load<u64>(ip + IP6_SRC, 8);
  store<u64>(ip + IP6_SRC, load<u64>(ip + IP6_DST));
  store<u64>(ip + IP6_SRC, load<u64>(ip + IP6_DST, 8), 8);
  store<u64>(ip + IP6_DST, s0);
  store<u64>(ip + IP6_DST, s1, 8);
  store<u32>(ip, 0x60); // version 6, traffic class 0, flow label 0 (a new packet)
  store<u8>(ip + IP6_HOP_LIMIT, load<u8>(iface + IFACE_HOP_LIMIT));
  // Type 128 → 129 and Code 0 (§4.2): incremental checksum update, RFC 1624
  // eqn. 3, in the same little-endian word space as csum/inet.ts.
  const oldWord = <u32>load<u16>(l4);
  store<u16>(l4, <u16>ICMP6_ECHO_REPLY);
  const newWord = <u32>load<u16>(l4);
  let s = (~<u32>load<u16>(l4 + ICMP6_CSUM) & 0xffff) + (~oldWord & 0xffff) + newWord;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  store<u16>(l4 + ICMP6_CSUM, <u16>~s);
  const hop = flags & IFF_ETHERNET ? nextHop(ifindex, iface, ip + IP6_DST) : 0;
  return queueInPlace(ifindex, iface, flags, slot, l3 + IP6_HEADER_LEN + plen, desc, hop, Counter.Ip6OutRequests, Counter.Icmp6OutMsgs, Counter.Icmp6OutEchoReplies, Counter.Ip6OutDiscards);
}

/**
 * The common end of an echo reply built in place, both families: on Ethernet
 * the next hop `hop` (0: unknown) gives the destination MAC from the neighbor
 * table, else RESOLVE hands the slot to the control plane; then the frame of
 * `frameLen` bytes joins the write list and is counted as it leaves (a
 * RESOLVE reply is counted by txBuild when the control plane sends it).
 */
export function queueInPlace(
  ifindex: u32, iface: usize, flags: u32, slot: usize, frameLen: u32, desc: usize, hop: usize,
  outRequests: Counter, outMsgs: Counter, outReplies: Counter, outDiscards: Counter,
): Verdict {
  if (flags & IFF_ETHERNET) {
    if (hop == 0 || !neighResolve(ifindex, hop, slot + ETH_DST)) {
      store<u16>(desc + DESC_VERDICT, <u16>Verdict.RESOLVE);
      return Verdict.RESOLVE;
    }
    copy6(slot + ETH_SRC, iface + IFACE_MAC);
  }
  if (!iovPush(slot, frameLen)) {
    count(outDiscards);
    dropDesc(desc, DropReason.WRITE_FAILED);
    return Verdict.DROP;
  }
  count(outRequests);
  count(outMsgs);
  count(outReplies);
  store<u16>(desc + DESC_VERDICT, <u16>Verdict.TX_READY);
  store<u16>(desc + DESC_REASON, 0);
  return Verdict.TX_READY;
}
