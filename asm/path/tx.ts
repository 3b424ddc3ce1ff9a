// txBuild: finish control-plane packets in TX slots and queue them (DESIGN.md §3).
// TypeScript writes an IPv6 packet at TX_HEADROOM in each slot and a descriptor;
// this fills the upper-layer checksum and the Ethernet header (link-layer
// destination: multicast mapping, the descriptor's MAC, or the neighbor table)
// and appends the frame to the write list after rxBurst's entries. IPv4
// packets (TXF_IPV4) and ARP payloads (TXF_ARP) are finished in tx4.ts.

import {
  TX_DESC_BASE, TX_SLOT_BASE, TX_SLOTS, SLOT_SIZE, DESC_STRIDE, TX_HEADROOM, TXD_LEN, TXD_IFINDEX,
  TXD_FLAGS, TXD_STATUS, TXD_MAC, TXD_L4, TXD_PROTO, TXF_CSUM, TXF_HAVE_MAC, IFACE_BASE, IFACE_STRIDE, IFACE_FLAGS,
  IFACE_MAC, IFACE_MTU, IFF_UP, IFF_ETHERNET, MAX_IFACES, TXF_IPV4, TXF_ARP,
} from '../layout';
import { Verdict, DropReason, Counter } from '../verdict';
import { count, countDrop } from '../table/counters';
import { nextHop } from '../table/addr';
import { neighResolve } from '../table/neighbor';
import { copy6, putBe16 } from '../util/bytes';
import { ETH_SRC, ETH_TYPE, ETH_HEADER_LEN, ETHERTYPE_IPV6, ethMulticastFor } from '../wire/ethernet';
import { ip6NextHeader, isMulticast, IP6_DST, IP6_HEADER_LEN, NH_ICMPV6, NH_UDP } from '../wire/ipv6';
import {
  icmp6Type, ICMP6_CSUM, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, ND_ROUTER_SOLICIT, ND_NEIGHBOR_SOLICIT,
  ND_NEIGHBOR_ADVERT, ICMP6_DST_UNREACH,
} from '../wire/icmpv6';
import { UDP_CSUM } from '../wire/udp';
import { fill6 } from '../csum/inet';
import { iovPush, iovSet, iovCount } from './iov';
import { tx4, txArp } from './tx4';

/**
 * Finishes TX slots 0..m-1 and appends them to the write list, which already
 * holds `iovStart` entries. Each descriptor's status becomes TX_READY, RESOLVE
 * (next hop unknown: TypeScript queues it and resolves) or DROP. Returns the new
 * write-list length.
 */
export function txBuild(m: u32, iovStart: u32, now: f64): u32 {
  iovSet(iovStart);
  if (m > TX_SLOTS) m = TX_SLOTS;
  for (let i: u32 = 0; i < m; i++) {
    const desc = TX_DESC_BASE + i * DESC_STRIDE;
    const slot = TX_SLOT_BASE + i * SLOT_SIZE;
    store<u16>(desc + TXD_STATUS, <u16>txOne(desc, slot));
  }
  return iovCount();
}

function txOne(desc: usize, slot: usize): Verdict {
  const len = load<u32>(desc + TXD_LEN);
  const ifindex = <u32>load<u8>(desc + TXD_IFINDEX);
  const flags = <u32>load<u8>(desc + TXD_FLAGS);
  if (ifindex >= MAX_IFACES) {
    countDrop(DropReason.IFACE_DOWN);
    return Verdict.DROP;
  }
  const iface = IFACE_BASE + ifindex * IFACE_STRIDE;
  const iflags = <u32>load<u8>(iface + IFACE_FLAGS);
  if ((iflags & IFF_UP) == 0) {
    countDrop(DropReason.IFACE_DOWN);
    return Verdict.DROP;
  }
  if (flags & TXF_ARP) return txArp(desc, slot, iface, iflags, flags, len);
  if (flags & TXF_IPV4) return tx4(desc, slot, ifindex, iface, iflags, flags, len);
  if (len < IP6_HEADER_LEN || len > SLOT_SIZE - TX_HEADROOM || len > <u32>load<u16>(iface + IFACE_MTU)) {
    count(Counter.Ip6OutDiscards);
    countDrop(DropReason.TX_TOO_BIG);
    return Verdict.DROP;
  }
  const ip = slot + TX_HEADROOM;
  // Extension headers (Hop-by-Hop Router Alert for MLD): the descriptor says
  // where the upper layer starts and what it is.
  let off = <u32>load<u8>(desc + TXD_L4);
  let nh = ip6NextHeader(ip);
  if (off == 0) off = IP6_HEADER_LEN;
  else nh = <u32>load<u8>(desc + TXD_PROTO);
  if (off > len) {
    count(Counter.Ip6OutDiscards);
    countDrop(DropReason.TX_TOO_BIG);
    return Verdict.DROP;
  }
  const l4 = ip + off;
  const ulen = len - off;
  if (flags & TXF_CSUM) {
    if (nh == NH_ICMPV6 && ulen >= 4) fill6(ip, l4, ulen, NH_ICMPV6, ICMP6_CSUM);
    else if (nh == NH_UDP && ulen >= 8) fill6(ip, l4, ulen, NH_UDP, UDP_CSUM);
  }
  const dst = ip + IP6_DST;
  const mcast = isMulticast(dst);
  if (iflags & IFF_ETHERNET) {
    const f = ip - ETH_HEADER_LEN;
    if (mcast) ethMulticastFor(f, dst); // RFC 2464 §7
    else if (flags & TXF_HAVE_MAC) copy6(f, desc + TXD_MAC);
    else {
      const hop = nextHop(ifindex, iface, dst);
      if (hop == 0 || !neighResolve(ifindex, hop, f)) return Verdict.RESOLVE;
    }
    copy6(f + ETH_SRC, iface + IFACE_MAC);
    putBe16(f + ETH_TYPE, ETHERTYPE_IPV6);
    if (!iovPush(f, len + ETH_HEADER_LEN)) {
      count(Counter.Ip6OutDiscards);
      countDrop(DropReason.WRITE_FAILED);
      return Verdict.DROP;
    }
  } else if (!iovPush(ip, len)) {
    count(Counter.Ip6OutDiscards);
    countDrop(DropReason.WRITE_FAILED);
    return Verdict.DROP;
  }
  count(Counter.Ip6OutRequests);
  if (mcast) count(Counter.Ip6OutMcastPkts);
  if (nh == NH_ICMPV6 && ulen >= 4) {
    count(Counter.Icmp6OutMsgs);
    const t = icmp6Type(l4);
    if (t == ICMP6_ECHO_REQUEST) count(Counter.Icmp6OutEchos);
    else if (t == ICMP6_ECHO_REPLY) count(Counter.Icmp6OutEchoReplies);
    else if (t == ND_NEIGHBOR_SOLICIT) count(Counter.Icmp6OutNeighborSolicits);
    else if (t == ND_NEIGHBOR_ADVERT) count(Counter.Icmp6OutNeighborAdvertisements);
    else if (t == ND_ROUTER_SOLICIT) count(Counter.Icmp6OutRouterSolicits);
    else if (t == ICMP6_DST_UNREACH) count(Counter.Icmp6OutDestUnreachs);
    if (t < 128) count(Counter.Icmp6OutErrors);
  } else if (nh == NH_UDP) {
    count(Counter.Udp6OutDatagrams);
  }
  return Verdict.TX_READY;
}
