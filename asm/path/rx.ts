// rxBurst: validate and classify a burst of received frames in place
// (DESIGN.md §3). One call per burst; per slot exactly one verdict:
// DROP(reason, counted) · TX_READY (echo reply built in place, queued in the
// write list) · CONTROL(kind) / DELIVER(kind) / RESOLVE (slot index appended to
// the work list for TypeScript). Never traps: every read is preceded by a
// length check against the frame length the device reported.
//
// This file is the link layer and IPv6 (RFC 8200); IPv4 and ARP are in
// rx4.ts, UDP demultiplexing for both in udp-demux.ts.

import {
  IFACE_BASE, IFACE_STRIDE, IFACE_FLAGS, IFACE_MAC, IFACE_ECHO_MAX, IFF_UP, IFF_ETHERNET, MAX_IFACES,
  RX_DESC_BASE, RX_SLOT_BASE, RX_SLOTS, SLOT_SIZE, DESC_STRIDE, DESC_LEN, DESC_VERDICT, DESC_REASON,
  DESC_L3, DESC_L4, DESC_AUX, ADDR_FLAGS, AF_TENTATIVE, AF_ANYCAST, RX_SOCK_BASE, UDP_NO_SOCKET,
} from '../layout';
import { Verdict, DropReason, ControlKind, Counter } from '../verdict';
import { count, countDrop, dropDesc } from '../table/counters';
import { be16 } from '../util/bytes';
import { addrFind, groupJoined } from '../table/addr';
import { ethCheck, ethType, ethDstIsMulticast, ETHERTYPE_IPV6, ETH_HEADER_LEN } from '../wire/ethernet';
import {
  ip6Check, ip6Version, ip6PayloadLen, ip6NextHeader, ip6HopLimit, isMulticast, isLoopback,
  IP6_SRC, IP6_DST, IP6_HEADER_LEN, IP6_NEXT_HEADER, NH_ICMPV6, NH_UDP, NH_HOP_BY_HOP, NH_ROUTING, NH_FRAGMENT,
  NH_DEST_OPTS, NH_NONE,
} from '../wire/ipv6';
import {
  icmp6Check, icmp6Type, icmp6Code, ndMinLen, ICMP6_ECHO_LEN, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY,
  ND_ROUTER_SOLICIT, ND_ROUTER_ADVERT, ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT, ND_REDIRECT,
  MLD_QUERY, MLD_REPORT, MLD_DONE, MLD2_REPORT, ICMP6_DST_UNREACH,
} from '../wire/icmpv6';
import { udpCheck, udpLength, UDP_CSUM } from '../wire/udp';
import { verify6 } from '../csum/inet';
import { echoInPlace } from './echo';
import { iovCount, iovReset } from './iov';
import { workReset, workCount, toControl } from './work';
import { rx4, rxArp } from './rx4';
import { udpDemux } from './udp-demux';
import { ETHERTYPE_IPV4, isMapped } from '../wire/ipv4';
import { ETHERTYPE_ARP } from '../wire/arp';


/**
 * Classifies `n` frames received on interface `ifindex` (slots 0..n-1).
 * Returns the number of write-list entries in the low 16 bits and the number
 * of work-list entries (slots for the control plane) in the high 16 bits.
 */
export function rxBurst(ifindex: u32, n: u32, now: f64): u32 {
  iovReset();
  workReset();
  if (n > RX_SLOTS) n = RX_SLOTS;
  const iface = IFACE_BASE + (ifindex < MAX_IFACES ? ifindex : 0) * IFACE_STRIDE;
  const flags = ifindex < MAX_IFACES ? <u32>load<u8>(iface + IFACE_FLAGS) : 0;
  for (let i: u32 = 0; i < n; i++) {
    const desc = RX_DESC_BASE + i * DESC_STRIDE;
    const slot = RX_SLOT_BASE + i * SLOT_SIZE;
    store<u64>(desc + DESC_VERDICT, 0); // verdict, reason, l3, l4
    store<u32>(desc + DESC_AUX, 0);
    store<u32>(RX_SOCK_BASE + (i << 2), UDP_NO_SOCKET);
    if ((flags & IFF_UP) == 0) {
      dropDesc(desc, DropReason.IFACE_DOWN);
      continue;
    }
    rxOne(ifindex, iface, flags, i, slot, desc);
  }
  return iovCount() | (workCount() << 16);
}

function rxOne(ifindex: u32, iface: usize, flags: u32, slotIndex: u32, slot: usize, desc: usize): void {
  const len = load<u32>(desc + DESC_LEN);
  if (len > SLOT_SIZE) {
    dropDesc(desc, DropReason.SLOT_OVERFLOW);
    return;
  }
  let l3: u32 = 0;
  if (flags & IFF_ETHERNET) {
    if (!ethCheck(len)) {
      dropDesc(desc, DropReason.L2_TRUNCATED);
      return;
    }
    // Accept frames to our MAC and to multicast MACs; group filtering happens
    // on the IPv6 destination below.
    if (!ethDstIsMulticast(slot) &&
        (load<u32>(slot) != load<u32>(iface + IFACE_MAC) || load<u16>(slot, 4) != load<u16>(iface + IFACE_MAC, 4))) {
      dropDesc(desc, DropReason.L2_NOT_FOR_US);
      return;
    }
    const type = ethType(slot);
    if (type == ETHERTYPE_IPV4) {
      rx4(ifindex, iface, flags, slotIndex, slot, desc, ETH_HEADER_LEN, len);
      return;
    }
    if (type == ETHERTYPE_ARP) {
      rxArp(slotIndex, slot, desc, len);
      return;
    }
    if (type != ETHERTYPE_IPV6) { // RFC 2464 §3, RFC 894, RFC 826
      dropDesc(desc, DropReason.L2_ETHERTYPE);
      return;
    }
    l3 = ETH_HEADER_LEN;
  } else if (len >= 1 && (<u32>load<u8>(slot) >> 4) == 4) {
    // TUN: no link header; the version nibble tells IPv4 from IPv6 (anything
    // else falls through to the IPv6 checks and is dropped as IP6_VERSION).
    rx4(ifindex, iface, flags, slotIndex, slot, desc, 0, len);
    return;
  }
  count(Counter.Ip6InReceives);
  const ip = slot + l3;
  const avail = len - l3;
  if (!ip6Check(avail)) {
    count(Counter.Ip6InTruncatedPkts);
    dropDesc(desc, DropReason.IP6_TRUNCATED);
    return;
  }
  if (ip6Version(ip) != 6) {
    count(Counter.Ip6InHdrErrors);
    dropDesc(desc, DropReason.IP6_VERSION);
    return;
  }
  // RFC 8200 §3: Payload Length counts everything after the fixed header; a
  // frame may be longer (Ethernet padding), never shorter.
  const plen = ip6PayloadLen(ip);
  if (plen + IP6_HEADER_LEN > avail) {
    count(Counter.Ip6InTruncatedPkts);
    dropDesc(desc, DropReason.IP6_TRUNCATED);
    return;
  }
  const src = ip + IP6_SRC;
  const dst = ip + IP6_DST;
  if (isMulticast(src)) { // RFC 4291 §2.7: never a source
    count(Counter.Ip6InAddrErrors);
    dropDesc(desc, DropReason.IP6_SRC_MULTICAST);
    return;
  }
  if (isLoopback(src) || isLoopback(dst)) { // RFC 4291 §2.5.3: never on a link
    count(Counter.Ip6InAddrErrors);
    dropDesc(desc, DropReason.IP6_SRC_LOOPBACK);
    return;
  }
  if (isMapped(src) || isMapped(dst)) { // RFC 4291 §2.5.5.2: mapped addresses never appear on the wire
    count(Counter.Ip6InAddrErrors);
    dropDesc(desc, DropReason.IP6_MAPPED);
    return;
  }
  let tentative = false;
  let anycast = false;
  const mcast = isMulticast(dst);
  if (mcast) {
    if (!groupJoined(ifindex, dst)) {
      dropDesc(desc, DropReason.IP6_GROUP_NOT_JOINED);
      return;
    }
    count(Counter.Ip6InMcastPkts);
  } else {
    const a = addrFind(ifindex, dst);
    if (a == 0) {
      count(Counter.Ip6InAddrErrors);
      dropDesc(desc, DropReason.IP6_NOT_OURS);
      return;
    }
    tentative = (load<u8>(a + ADDR_FLAGS) & AF_TENTATIVE) != 0;
    anycast = (load<u8>(a + ADDR_FLAGS) & AF_ANYCAST) != 0;
  }
  store<u16>(desc + DESC_L3, <u16>l3);
  store<u32>(desc + DESC_AUX, plen + IP6_HEADER_LEN);
  let l4 = ip + IP6_HEADER_LEN;
  let ulen = plen; // bytes from l4 to the end of the packet
  let nh = ip6NextHeader(ip);
  let nhField: u32 = IP6_NEXT_HEADER; // where the current Next Header value sits, from the IPv6 header
  let extHeaders = false;
  let fragmented = false;
  // The extension header chain (RFC 8200 §4): Hop-by-Hop only first,
  // Destination Options, Routing, Fragment; anything else is the upper layer.
  for (let n: u32 = 0; ; n++) {
    if (nh != NH_HOP_BY_HOP && nh != NH_DEST_OPTS && nh != NH_ROUTING && nh != NH_FRAGMENT) break;
    if (n >= MAX_EXT_HEADERS) { // RFC 8504 §5.3: a host may limit the chain
      count(Counter.Ip6InHdrErrors);
      dropDesc(desc, DropReason.IP6_EXT_CHAIN_TOO_LONG);
      return;
    }
    const hoff = <u32>(l4 - ip);
    if (nh == NH_HOP_BY_HOP && n > 0) {
      // §4.1: Hop-by-Hop only right after the IPv6 header; elsewhere it is an
      // unrecognized Next Header (code 1, pointing at the Next Header field).
      count(Counter.Ip6InUnknownProtos);
      paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_NEXT_HEADER, nhField, DropReason.IP6_HOP_BY_HOP_NOT_FIRST);
      return;
    }
    if (nh == NH_FRAGMENT) {
      // §4.5 Fragment header: 8 bytes.
      if (ulen < 8) {
        count(Counter.Ip6InTruncatedPkts);
        dropDesc(desc, DropReason.IP6_EXT_MALFORMED);
        return;
      }
      const offFlags = be16(l4 + 2);
      if ((offFlags & 0xfff9) == 0) {
        // RFC 6946: an atomic fragment (offset 0, M = 0) is processed alone,
        // as if it had no Fragment header.
        fragmented = true;
        nhField = hoff;
        nh = load<u8>(l4);
        l4 += 8;
        ulen -= 8;
        extHeaders = true;
        continue;
      }
      // A real fragment: RFC 7112 — the first one must hold the whole chain.
      if ((offFlags & 0xfff8) == 0 && !chainComplete(load<u8>(l4), l4 + 8, ulen - 8)) {
        paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_CHAIN, 0, DropReason.IP6_FIRST_FRAGMENT_INCOMPLETE);
        return;
      }
      store<u16>(desc + DESC_L4, <u16>(l4 - slot)); // the Fragment header
      toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.FRAGMENT);
      return;
    }
    const hlen = extLength(l4, ulen);
    if (hlen == 0) {
      count(Counter.Ip6InHdrErrors);
      dropDesc(desc, DropReason.IP6_EXT_MALFORMED);
      return;
    }
    if (nh == NH_ROUTING) {
      // §4.4: Segments Left 0 → ignore the header; otherwise an unrecognized
      // Routing Type (type 0 always: RFC 5095; type 2 until Mobile IPv6) →
      // Parameter Problem code 0 pointing at the Routing Type.
      if (load<u8>(l4, 3) != 0) {
        count(Counter.Ip6InHdrErrors);
        paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_HEADER, hoff + 2, DropReason.IP6_ROUTING_TYPE);
        return;
      }
    } else {
      const o = extOptions(l4, hlen);
      if (o != 0) {
        count(Counter.Ip6InHdrErrors);
        const action = o >> 30;
        const at = o & 0xffff;
        if (action == 1) dropDesc(desc, DropReason.IP6_OPTION_UNKNOWN); // 01: discard silently
        else if (action == 2) paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_OPTION, hoff + at, DropReason.IP6_OPTION_UNKNOWN);
        else if (action == 3) paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_OPTION_UNICAST, hoff + at, DropReason.IP6_OPTION_UNKNOWN);
        else dropDesc(desc, DropReason.IP6_EXT_MALFORMED);
        return;
      }
    }
    nhField = hoff;
    nh = load<u8>(l4);
    l4 += hlen;
    ulen -= hlen;
    extHeaders = true;
  }
  store<u16>(desc + DESC_L4, <u16>(l4 - slot));

  if (nh == NH_ICMPV6) {
    if (!icmp6Check(ulen)) {
      count(Counter.Icmp6InErrors);
      dropDesc(desc, DropReason.ICMP6_TRUNCATED);
      return;
    }
    if (!verify6(ip, l4, ulen, NH_ICMPV6)) { // RFC 4443 §2.3
      count(Counter.Icmp6InCsumErrors);
      count(Counter.Icmp6InErrors);
      dropDesc(desc, DropReason.ICMP6_CHECKSUM);
      return;
    }
    count(Counter.Icmp6InMsgs);
    const type = icmp6Type(l4);
    // RFC 4862 §5.4: a tentative address takes only DAD's Neighbor Solicitations.
    if (tentative && type != ND_NEIGHBOR_SOLICIT) {
      dropDesc(desc, DropReason.IP6_TENTATIVE);
      return;
    }
    if (type == ICMP6_ECHO_REQUEST) {
      count(Counter.Icmp6InEchos);
      if (ulen < ICMP6_ECHO_LEN) {
        count(Counter.Icmp6InErrors);
        dropDesc(desc, DropReason.ICMP6_TRUNCATED);
        return;
      }
      // RFC 4443 §2.2 b: answer from a unicast address; with extension
      // headers the control plane builds a fresh reply without them.
      // A reply larger than the smallest known path MTU on this link may need
      // fragmenting (RFC 8201): the control plane sends those.
      if (mcast || anycast || extHeaders || IP6_HEADER_LEN + ulen > <u32>load<u16>(iface + IFACE_ECHO_MAX)) {
        toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ECHO_MULTICAST);
        return;
      }
      const v = echoInPlace(ifindex, iface, flags, slot, l3, ulen, desc);
      if (v == Verdict.RESOLVE) toControl(desc, slotIndex, Verdict.RESOLVE, ControlKind.NONE);
      return;
    }
    if (type == ICMP6_ECHO_REPLY) {
      count(Counter.Icmp6InEchoReplies);
      if (ulen < ICMP6_ECHO_LEN) {
        count(Counter.Icmp6InErrors);
        dropDesc(desc, DropReason.ICMP6_TRUNCATED);
        return;
      }
      count(Counter.Ip6InDelivers);
      toControl(desc, slotIndex, Verdict.DELIVER, ControlKind.ECHO_REPLY);
      return;
    }
    if (type >= ND_ROUTER_SOLICIT && type <= ND_REDIRECT) {
      if (fragmented) { // RFC 6980 §5: ND messages in fragments are discarded
        dropDesc(desc, DropReason.ND_IN_FRAGMENT);
        return;
      }
      if (type == ND_ROUTER_SOLICIT) count(Counter.Icmp6InRouterSolicits);
      else if (type == ND_ROUTER_ADVERT) count(Counter.Icmp6InRouterAdvertisements);
      else if (type == ND_NEIGHBOR_SOLICIT) count(Counter.Icmp6InNeighborSolicits);
      else if (type == ND_NEIGHBOR_ADVERT) count(Counter.Icmp6InNeighborAdvertisements);
      else count(Counter.Icmp6InRedirects);
      // RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1: Hop Limit 255 proves
      // the message was not forwarded; Code is 0; the fixed part is present.
      if (ip6HopLimit(ip) != 255) {
        dropDesc(desc, DropReason.ND_HOP_LIMIT);
        return;
      }
      if (icmp6Code(l4) != 0) {
        dropDesc(desc, DropReason.ND_CODE);
        return;
      }
      if (ulen < ndMinLen(type)) {
        count(Counter.Icmp6InErrors);
        dropDesc(desc, DropReason.ICMP6_TRUNCATED);
        return;
      }
      toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ND);
      return;
    }
    if (type == MLD_QUERY || type == MLD_REPORT || type == MLD_DONE || type == MLD2_REPORT) {
      count(Counter.Icmp6InMLD);
      toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.MLD);
      return;
    }
    if (type < 128) { // error messages go to the upper layer (RFC 4443 §2.4 a, d)
      if (type == ICMP6_DST_UNREACH) count(Counter.Icmp6InDestUnreachs);
      toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ICMP6_ERROR);
      return;
    }
    dropDesc(desc, DropReason.ICMP6_UNKNOWN_INFO); // RFC 4443 §2.4 b
    return;
  }
  if (tentative) {
    dropDesc(desc, DropReason.IP6_TENTATIVE);
    return;
  }
  if (nh == NH_UDP) {
    if (!udpCheck(l4, ulen)) {
      count(Counter.Udp6InErrors);
      dropDesc(desc, DropReason.UDP_TRUNCATED);
      return;
    }
    if (load<u16>(l4 + UDP_CSUM) == 0) { // RFC 8200 §8.1: mandatory over IPv6
      count(Counter.Udp6InErrors);
      dropDesc(desc, DropReason.UDP_ZERO_CHECKSUM);
      return;
    }
    // RFC 8200 §8.1: the pseudo-header carries the UDP Length; bytes after it
    // (inside the Payload Length) are not part of the datagram.
    if (!verify6(ip, l4, udpLength(l4), NH_UDP)) {
      count(Counter.Udp6InCsumErrors);
      count(Counter.Udp6InErrors);
      dropDesc(desc, DropReason.UDP_CHECKSUM);
      return;
    }
    count(Counter.Ip6InDelivers);
    udpDemux(6, ifindex, slotIndex, desc, dst, 0, mcast, l4);
    return;
  }
  if (nh == NH_NONE) { // RFC 8200 §4.7
    dropDesc(desc, DropReason.IP6_NO_NEXT_HEADER);
    return;
  }
  // §4: an unrecognized Next Header → Parameter Problem code 1, pointing at it.
  count(Counter.Ip6InUnknownProtos);
  paramProblem(desc, slotIndex, ControlKind.PARAM_PROBLEM_NEXT_HEADER, nhField, DropReason.IP6_PROTO_UNSUPPORTED);
}

/** Most extension headers walked in one packet. */
const MAX_EXT_HEADERS: u32 = 8;

/**
 * The packet is dropped (and counted) but the control plane owes the sender a
 * Parameter Problem (RFC 4443 §3.4) with `pointer` (from the IPv6 header);
 * DESC_L4 carries the pointer. Whether it is sent is the control plane's
 * call (RFC 4443 §2.4 e, rate limits).
 */
function paramProblem(desc: usize, slotIndex: u32, kind: ControlKind, pointer: u32, reason: DropReason): void {
  countDrop(reason);
  store<u16>(desc + DESC_L4, <u16>pointer);
  toControl(desc, slotIndex, Verdict.CONTROL, kind);
}

/** Length of a Hop-by-Hop, Destination Options or Routing header (8-octet units + 8), or 0 when it does not fit. */
function extLength(p: usize, avail: u32): u32 {
  if (avail < 8) return 0;
  const len = (<u32>load<u8>(p, 1) + 1) << 3;
  return len <= avail ? len : 0;
}

/**
 * RFC 7112: the first fragment holds the whole header chain — any further
 * extension headers and the start of the upper-layer header.
 */
function chainComplete(nh: u32, p: usize, avail: i32): bool {
  for (let n: u32 = 0; n < MAX_EXT_HEADERS; n++) {
    if (avail < 0) return false;
    if (nh == NH_HOP_BY_HOP || nh == NH_DEST_OPTS || nh == NH_ROUTING) {
      if (avail < 8) return false;
      const len = (<i32>load<u8>(p, 1) + 1) << 3;
      if (len > avail) return false;
      nh = load<u8>(p);
      p += len;
      avail -= len;
      continue;
    }
    if (nh == NH_NONE) return true;
    // The upper-layer header's first 8 bytes (ports, or ICMPv6 type/code/checksum and more).
    if (nh == NH_ICMPV6 || nh == NH_UDP) return avail >= 8;
    if (nh == 6) return avail >= 20; // TCP
    return true; // unknown upper layers: nothing more to demand
  }
  return false;
}


/**
 * Walks the options of a Hop-by-Hop or Destination Options header (RFC 8200
 * §4.2). Pad1, PadN and Router Alert (RFC 2711) are understood; an unknown
 * option is skipped when its action bits are 00. Returns 0 when the header is
 * fine, else (action << 30) | offset of the offending option in the header;
 * action 0 with a non-zero result means the options overrun the header.
 */
function extOptions(p: usize, len: u32): u32 {
  let o: u32 = 2;
  while (o < len) {
    const t = <u32>load<u8>(p + o);
    if (t == 0) { // Pad1
      o++;
      continue;
    }
    if (o + 2 > len) return o | 0x10000;
    const olen = <u32>load<u8>(p + o + 1);
    if (o + 2 + olen > len) return o | 0x10000;
    if (t != 1 && t != 5 && (t >> 6) != 0) return ((t >> 6) << 30) | o;
    o += 2 + olen;
  }
  return 0;
}
