// ICMPv4 Echo Reply built in place over the request (RFC 792; RFC 1122
// §3.2.2.6): the reply goes back to the request's source, from the address it
// was sent to, with the identifier, sequence number and data unmodified.
// Only requests without IP options come here (rx4.ts).

import { IFACE_TTL, IFF_ETHERNET } from '../layout';
import { Verdict, DropReason, Counter } from '../verdict';
import { dropDesc } from '../table/counters';
import { nextHop4 } from '../table/addr4';
import { fillPlain } from '../csum/inet';
import { IP4_SRC, IP4_DST, IP4_FRAG, IP4_TTL, IP4_CSUM, IP4_HEADER_LEN, putMapped } from '../wire/ipv4';
import { ICMP4_CSUM } from '../wire/icmpv4';
import { queueInPlace } from './echo';

/** Default TTL when IFACE_TTL is 0 (Linux's ip_default_ttl; RFC 1700's value). */
export const DEFAULT_TTL: u32 = 64;

/** The next hop as ::ffff:a.b.c.d for the neighbor table (static data below LAYOUT_BASE). */
const HOP_KEY: usize = memory.data(16, 16);

/**
 * Turns the echo request (IHL 5, `tot` bytes) at `slot + l3` into its reply.
 * Returns TX_READY (queued in the write list), RESOLVE (built, next hop
 * unknown to the fast path) or DROP.
 */
export function echo4InPlace(ifindex: u32, iface: usize, flags: u32, slot: usize, l3: u32, tot: u32, desc: usize): Verdict {
  const ip = slot + l3;
  const l4 = ip + IP4_HEADER_LEN;
  const src = load<u32>(ip + IP4_SRC);
  if (src == 0) { // 0.0.0.0 is "this host on this network" (RFC 1122 §3.2.1.3 a): nobody to answer
    dropDesc(desc, DropReason.ECHO_UNSPEC_SOURCE);
    return Verdict.DROP;
  }
  // A new header: addresses swapped, our TTL, no fragmentation; TOS,
  // Identification and Total Length kept (the reply is the same size).
  store<u32>(ip + IP4_SRC, load<u32>(ip + IP4_DST));
  store<u32>(ip + IP4_DST, src);
  store<u16>(ip + IP4_FRAG, 0);
  const ttl = <u32>load<u8>(iface + IFACE_TTL);
  store<u8>(ip + IP4_TTL, <u8>(ttl != 0 ? ttl : DEFAULT_TTL));
  fillPlain(ip, IP4_HEADER_LEN, IP4_CSUM);
  // Type 8 → 0 and Code 0 (RFC 792): incremental checksum update, RFC 1624
  // eqn. 3, in the same little-endian word space as csum/inet.ts.
  const oldWord = <u32>load<u16>(l4);
  store<u16>(l4, 0);
  let s = (~<u32>load<u16>(l4 + ICMP4_CSUM) & 0xffff) + (~oldWord & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = ~s & 0xffff;
  // Eqn. 3 gives 0x0000 where a checksum computed from scratch would be 0xffff
  // (an all-zero message: no pseudo-header here, unlike ICMPv6); that case is
  // 1 in 65536, so it is simply recomputed in full.
  if (s == 0) fillPlain(l4, tot - IP4_HEADER_LEN, ICMP4_CSUM);
  else store<u16>(l4 + ICMP4_CSUM, <u16>s);
  let hop: usize = 0;
  if (flags & IFF_ETHERNET) {
    putMapped(HOP_KEY, src);
    hop = nextHop4(ifindex, iface, HOP_KEY);
  }
  return queueInPlace(ifindex, iface, flags, slot, l3 + tot, desc, hop, Counter.IpOutRequests, Counter.IcmpOutMsgs, Counter.IcmpOutEchoReps, Counter.IpOutDiscards);
}
