// txBuild for IPv4 packets (TXF_IPV4) and ARP payloads (TXF_ARP). TypeScript
// writes the whole IPv4 header at TX_HEADROOM; this recomputes the header
// checksum (always), the UDP or ICMP checksum (TXF_CSUM), and the Ethernet
// header: the descriptor's MAC, the group's 01:00:5e address (RFC 1112 §6.4),
// broadcast for 255.255.255.255 (RFC 894), or the neighbor (ARP) table for the
// next hop. Directed broadcasts are TypeScript's: it sends them with
// TXF_HAVE_MAC ff:ff:ff:ff:ff:ff.

import {
  SLOT_SIZE, TX_HEADROOM, TXD_MAC, TXF_CSUM, TXF_HAVE_MAC, IFACE_MAC, IFACE_MTU, IFF_ETHERNET,
} from '../layout';
import { Verdict, DropReason, Counter } from '../verdict';
import { count, countDrop } from '../table/counters';
import { nextHop4 } from '../table/addr4';
import { neighResolve } from '../table/neighbor';
import { copy6, putBe16 } from '../util/bytes';
import { fill4, fillPlain } from '../csum/inet';
import { ETH_SRC, ETH_TYPE, ETH_HEADER_LEN } from '../wire/ethernet';
import {
  ip4HeaderLen, ip4Proto, ip4Host, isMulticast4, putMapped, ethMulticast4For, ETHERTYPE_IPV4,
  IP4_CSUM, IP4_DST, IP4_HEADER_LEN, PROTO_ICMP, PROTO_UDP,
} from '../wire/ipv4';
import { ICMP4_CSUM, ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY, ICMP4_DST_UNREACH } from '../wire/icmpv4';
import { ETHERTYPE_ARP, ARP_LEN } from '../wire/arp';
import { UDP_CSUM } from '../wire/udp';
import { iovPush } from './iov';

/** The next hop as ::ffff:a.b.c.d for the neighbor table (static data below LAYOUT_BASE). */
const HOP_KEY: usize = memory.data(16, 16);

// @ts-ignore: decorator
@inline function discard(reason: DropReason): Verdict {
  count(Counter.IpOutDiscards);
  countDrop(reason);
  return Verdict.DROP;
}

/** Finishes the IPv4 packet of `len` bytes in TX slot `slot`. */
export function tx4(desc: usize, slot: usize, ifindex: u32, iface: usize, iflags: u32, flags: u32, len: u32): Verdict {
  if (len < IP4_HEADER_LEN || len > SLOT_SIZE - TX_HEADROOM || len > <u32>load<u16>(iface + IFACE_MTU)) {
    return discard(DropReason.TX_TOO_BIG);
  }
  const ip = slot + TX_HEADROOM;
  const hl = ip4HeaderLen(ip);
  if (hl < IP4_HEADER_LEN || hl > len) return discard(DropReason.TX_TOO_BIG); // a header that does not fit
  fillPlain(ip, hl, IP4_CSUM); // RFC 791 §3.1: always recomputed
  const l4 = ip + hl;
  const ulen = len - hl;
  const proto = ip4Proto(ip);
  if (flags & TXF_CSUM) {
    if (proto == PROTO_UDP && ulen >= 8) fill4(ip, l4, ulen, PROTO_UDP, UDP_CSUM); // RFC 768
    else if (proto == PROTO_ICMP && ulen >= 4) fillPlain(l4, ulen, ICMP4_CSUM); // RFC 792
  }
  if (iflags & IFF_ETHERNET) {
    const f = ip - ETH_HEADER_LEN;
    const dstH = ip4Host(ip + IP4_DST);
    if (flags & TXF_HAVE_MAC) copy6(f, desc + TXD_MAC);
    else if (isMulticast4(dstH)) ethMulticast4For(f, dstH); // RFC 1112 §6.4
    else if (dstH == 0xffffffff) { // RFC 894: limited broadcast to the Ethernet broadcast address
      store<u32>(f, 0xffffffff);
      store<u16>(f, 0xffff, 4);
    } else {
      putMapped(HOP_KEY, load<u32>(ip + IP4_DST));
      const hop = nextHop4(ifindex, iface, HOP_KEY);
      if (hop == 0 || !neighResolve(ifindex, hop, f)) return Verdict.RESOLVE;
    }
    copy6(f + ETH_SRC, iface + IFACE_MAC);
    putBe16(f + ETH_TYPE, ETHERTYPE_IPV4);
    if (!iovPush(f, len + ETH_HEADER_LEN)) return discard(DropReason.WRITE_FAILED);
  } else if (!iovPush(ip, len)) {
    return discard(DropReason.WRITE_FAILED);
  }
  count(Counter.IpOutRequests);
  if (proto == PROTO_UDP) count(Counter.UdpOutDatagrams);
  else if (proto == PROTO_ICMP && ulen >= 4) {
    count(Counter.IcmpOutMsgs);
    const t = <u32>load<u8>(l4);
    if (t == ICMP4_ECHO_REQUEST) count(Counter.IcmpOutEchos);
    else if (t == ICMP4_ECHO_REPLY) count(Counter.IcmpOutEchoReps);
    else if (t == ICMP4_DST_UNREACH) count(Counter.IcmpOutDestUnreachs);
  }
  return Verdict.TX_READY;
}

/** Minimum Ethernet frame without the FCS (IEEE 802.3). */
const ETH_MIN_FRAME: u32 = 60;

/** Frames the 28-byte ARP payload in TX slot `slot` (RFC 826) to the descriptor's MAC, padded to 60 bytes. */
export function txArp(desc: usize, slot: usize, iface: usize, iflags: u32, flags: u32, len: u32): Verdict {
  // ARP needs a link layer and a destination: the request's broadcast or the
  // reply's target, which the control plane gives.
  if ((iflags & IFF_ETHERNET) == 0 || (flags & TXF_HAVE_MAC) == 0) {
    countDrop(DropReason.TX_NO_ROUTE);
    return Verdict.DROP;
  }
  if (len != ARP_LEN) {
    countDrop(DropReason.TX_TOO_BIG);
    return Verdict.DROP;
  }
  const f = slot + TX_HEADROOM - ETH_HEADER_LEN;
  copy6(f, desc + TXD_MAC);
  copy6(f + ETH_SRC, iface + IFACE_MAC);
  putBe16(f + ETH_TYPE, ETHERTYPE_ARP);
  // IEEE 802.3's 60-byte minimum frame (without FCS): zero padding after the
  // 28 bytes, as Linux's ARP leaves it for the driver to add.
  memory.fill(f + ETH_HEADER_LEN + ARP_LEN, 0, ETH_MIN_FRAME - ETH_HEADER_LEN - ARP_LEN);
  if (!iovPush(f, ETH_MIN_FRAME)) {
    countDrop(DropReason.WRITE_FAILED);
    return Verdict.DROP;
  }
  return Verdict.TX_READY;
}
