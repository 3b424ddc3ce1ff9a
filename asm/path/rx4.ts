// rxBurst, IPv4 and ARP (called from rx.ts after the link layer). Validation in
// the order of RFC 791 §3.1 and RFC 1122 §3.2.1 (martians: RFC 1812 §5.3.7),
// then the upper layer: ICMP (RFC 792, RFC 1122 §3.2.2), UDP (RFC 768,
// demultiplexed in udp-demux.ts), IGMP (to the control plane). Fragments go to
// the control plane, which reassembles. Every drop is counted with its
// DropReason; nothing here traps: every read follows a length check.
//
// Not done here (the control plane's, or not supported): options are skipped,
// not interpreted (source routes are not honoured, RFC 1122 §3.2.1.8 allows a
// host to ignore them by passing them up; echo requests with options go to the
// control plane), Timestamp/Information/Address Mask ICMP (RFC 1122 §3.2.2.6-9
// MAYs), forwarding.

import { DESC_L3, DESC_L4, DESC_AUX, IFACE_ECHO_MAX } from '../layout';
import { Verdict, DropReason, ControlKind, Counter } from '../verdict';
import { count, countDrop, dropDesc } from '../table/counters';
import { addr4Find, isDirectedBroadcast4, group4Joined } from '../table/addr4';
import { verifyPlain, verify4 } from '../csum/inet';
import {
  ip4Check, ip4Version, ip4HeaderLen, ip4TotalLen, ip4FragField, ip4Proto, ip4Host, isMulticast4, isLoopback4,
  IP4_SRC, IP4_DST, IP4_HEADER_LEN, IP4_MF, IP4_OFFSET_MASK, PROTO_ICMP, PROTO_IGMP, PROTO_UDP,
} from '../wire/ipv4';
import {
  icmp4Check, icmp4Type, ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY, ICMP4_DST_UNREACH, ICMP4_TIME_EXCEEDED, ICMP4_PARAM_PROBLEM,
} from '../wire/icmpv4';
import { arpCheck, arpWellFormed, ARP_LEN } from '../wire/arp';
import { udpCheck, udpLength, UDP_CSUM } from '../wire/udp';
import { ETH_HEADER_LEN } from '../wire/ethernet';
import { echo4InPlace } from './echo4';
import { udpDemux } from './udp-demux';
import { toControl } from './work';

const LIMITED_BROADCAST: u32 = 0xffffffff;

/** One IPv4 packet at `slot + l3` in a frame of `len` bytes (l3: 14 Ethernet, 0 TUN). */
export function rx4(ifindex: u32, iface: usize, flags: u32, slotIndex: u32, slot: usize, desc: usize, l3: u32, len: u32): void {
  count(Counter.IpInReceives);
  const ip = slot + l3;
  const avail = len - l3;
  if (!ip4Check(avail)) { // RFC 791 §3.1: the fixed header is 20 bytes
    count(Counter.IpInTruncatedPkts);
    dropDesc(desc, DropReason.IP4_TRUNCATED);
    return;
  }
  const hl = ip4HeaderLen(ip);
  if (ip4Version(ip) != 4 || hl < IP4_HEADER_LEN) { // RFC 1122 §3.2.1.1: Version ≠ 4 silently discarded; IHL ≥ 5
    count(Counter.IpInHdrErrors);
    dropDesc(desc, DropReason.IP4_HEADER);
    return;
  }
  // RFC 791 §3.1: Total Length covers header and data; the frame may be
  // longer (Ethernet padding), never shorter.
  const tot = ip4TotalLen(ip);
  if (hl > avail || tot < hl || tot > avail) {
    count(tot < hl ? Counter.IpInHdrErrors : Counter.IpInTruncatedPkts);
    dropDesc(desc, DropReason.IP4_TRUNCATED);
    return;
  }
  if (!verifyPlain(ip, hl)) { // RFC 1122 §3.2.1.2: MUST verify, silently discard on failure
    count(Counter.IpInHdrErrors);
    dropDesc(desc, DropReason.IP4_CHECKSUM);
    return;
  }
  const srcH = ip4Host(ip + IP4_SRC);
  const dstH = ip4Host(ip + IP4_DST);
  const dstRaw = load<u32>(ip + IP4_DST);
  // RFC 1122 §3.2.1.3 (a, c, g), RFC 1812 §5.3.7: a source is never a group,
  // limited broadcast or loopback; loopback never arrives from a link.
  if (isMulticast4(srcH) || srcH == LIMITED_BROADCAST || isLoopback4(srcH) || isLoopback4(dstH)) {
    count(Counter.IpInAddrErrors);
    dropDesc(desc, DropReason.IP4_SRC_INVALID);
    return;
  }
  store<u16>(desc + DESC_L3, <u16>l3);
  store<u16>(desc + DESC_L4, <u16>(l3 + hl));
  store<u32>(desc + DESC_AUX, tot);
  // RFC 1122 §3.3.4.2 weak host: ours on any interface; broadcasts of this
  // interface (§3.3.6); groups joined on this interface (RFC 1112 §6.2).
  let group = false;
  if (addr4Find(dstRaw) == 0) {
    if (dstH == LIMITED_BROADCAST || isDirectedBroadcast4(ifindex, dstH)) {
      count(Counter.IpExtInBcastPkts);
    } else if (isMulticast4(dstH)) {
      if (!group4Joined(ifindex, dstRaw)) {
        dropDesc(desc, DropReason.IP4_GROUP_NOT_JOINED);
        return;
      }
      count(Counter.IpExtInMcastPkts);
    } else {
      count(Counter.IpInAddrErrors);
      dropDesc(desc, DropReason.IP4_NOT_OURS);
      return;
    }
    group = true;
  }
  // RFC 791 §3.2: MF or a non-zero offset is a fragment; the control plane
  // reassembles (RFC 1122 §3.3.2). DF and the reserved bit are ignored.
  if ((ip4FragField(ip) & (IP4_MF | IP4_OFFSET_MASK)) != 0) {
    toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.FRAGMENT4);
    return;
  }
  const l4 = ip + hl;
  const ulen = tot - hl;
  const proto = ip4Proto(ip);
  if (proto == PROTO_ICMP) {
    count(Counter.IpInDelivers);
    if (!icmp4Check(ulen)) { // RFC 792: type, code, checksum and 4 more bytes
      count(Counter.IcmpInErrors);
      dropDesc(desc, DropReason.ICMP4_TRUNCATED);
      return;
    }
    if (!verifyPlain(l4, ulen)) { // RFC 792, RFC 1122 §3.2.2: checksum over the whole message
      count(Counter.IcmpInCsumErrors);
      count(Counter.IcmpInErrors);
      dropDesc(desc, DropReason.ICMP4_CHECKSUM);
      return;
    }
    count(Counter.IcmpInMsgs);
    const type = icmp4Type(l4);
    if (type == ICMP4_ECHO_REQUEST) {
      count(Counter.IcmpInEchos);
      // RFC 1122 §3.2.2.6: a host MAY ignore echo requests to broadcast or
      // multicast; Linux does by default (icmp_echo_ignore_broadcasts = 1).
      if (group) {
        dropDesc(desc, DropReason.ECHO4_BROADCAST_IGNORED);
        return;
      }
      // With options (RFC 1122 §3.2.2.6: Record Route/Timestamp handling) or
      // larger than the smallest known path MTU: the control plane answers.
      if (hl != IP4_HEADER_LEN || tot > <u32>load<u16>(iface + IFACE_ECHO_MAX)) {
        toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ECHO4);
        return;
      }
      const v = echo4InPlace(ifindex, iface, flags, slot, l3, tot, desc);
      if (v == Verdict.RESOLVE) toControl(desc, slotIndex, Verdict.RESOLVE, ControlKind.NONE);
      return;
    }
    if (type == ICMP4_ECHO_REPLY) {
      count(Counter.IcmpInEchoReps);
      toControl(desc, slotIndex, Verdict.DELIVER, ControlKind.ECHO4_REPLY);
      return;
    }
    if (type == ICMP4_DST_UNREACH || type == ICMP4_TIME_EXCEEDED || type == ICMP4_PARAM_PROBLEM) {
      if (type == ICMP4_DST_UNREACH) count(Counter.IcmpInDestUnreachs);
      toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ICMP4_ERROR); // RFC 1122 §3.2.2.1-4: to the transport
      return;
    }
    dropDesc(desc, DropReason.ICMP4_UNHANDLED); // RFC 1122 §3.2.2: unknown types silently discarded
    return;
  }
  if (proto == PROTO_UDP) {
    count(Counter.IpInDelivers);
    if (!udpCheck(l4, ulen)) { // RFC 768: Length ≥ 8 and within the IP payload
      count(Counter.UdpInErrors);
      dropDesc(desc, DropReason.UDP_TRUNCATED);
      return;
    }
    // RFC 768: checksum 0 means none was sent (legal over IPv4; RFC 1122
    // §4.1.3.4); otherwise it covers the pseudo-header and the datagram.
    if (load<u16>(l4 + UDP_CSUM) != 0 && !verify4(ip, l4, udpLength(l4), PROTO_UDP)) {
      count(Counter.UdpInCsumErrors);
      count(Counter.UdpInErrors);
      dropDesc(desc, DropReason.UDP_CHECKSUM);
      return;
    }
    udpDemux(4, ifindex, slotIndex, desc, 0, dstRaw, group, l4);
    return;
  }
  if (proto == PROTO_IGMP) { // RFC 3376 §4 / RFC 2236: the control plane validates
    count(Counter.IpInDelivers);
    toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.IGMP);
    return;
  }
  // RFC 1122 §3.2.2.1: a host SHOULD answer an unknown protocol with
  // Destination Unreachable code 2 (the control plane, unicast only).
  count(Counter.IpInUnknownProtos);
  countDrop(DropReason.IP4_PROTO_UNSUPPORTED);
  toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.PROTO4_UNREACHABLE);
}

/** One ARP packet after the Ethernet header (RFC 826): the shape is checked, the rest is the control plane's. */
export function rxArp(slotIndex: u32, slot: usize, desc: usize, len: u32): void {
  const arp = slot + ETH_HEADER_LEN;
  if (!arpCheck(len - ETH_HEADER_LEN) || !arpWellFormed(arp)) { // RFC 826: Ethernet (1), IPv4 (0x0800), 6, 4, op 1 or 2
    dropDesc(desc, DropReason.ARP_MALFORMED);
    return;
  }
  store<u16>(desc + DESC_L3, <u16>ETH_HEADER_LEN);
  store<u16>(desc + DESC_L4, <u16>ETH_HEADER_LEN);
  store<u32>(desc + DESC_AUX, ARP_LEN);
  toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.ARP);
}
