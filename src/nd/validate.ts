// Receive-side validation of ND messages (RFC 4861 §7.1.1, §7.1.2) — the part
// after the hot path's checks (Hop Limit 255, Code 0, checksum, fixed-part
// length: asm/path/rx.ts). Option lengths > 0 are checked by the parser
// (wire/ndopt.ts). The Neighbor Discovery issue extends this one path to RS,
// RA and Redirect.

import { isMulticast, isUnspecified, type Ip6 } from '../wire/address.js';
import type { NeighborAdvert, NeighborSolicit } from '../wire/ndisc.js';

/** ff02::1:ff00:0/104 (RFC 4291 §2.7.1). */
function isSolicitedNode(a: Ip6): boolean {
  return a[0] === 0xff && a[1] === 0x02 && a.subarray(2, 11).every((b) => b === 0) && a[11] === 0x01 && a[12] === 0xff;
}

/** RFC 4861 §7.1.1. */
export function validateNeighborSolicit(h: { src: Ip6; dst: Ip6 }, ns: NeighborSolicit): boolean {
  if (isMulticast(ns.target)) return false; // Target Address is not a multicast address
  if (isUnspecified(h.src)) {
    if (!isSolicitedNode(h.dst)) return false; // unspecified source → solicited-node destination
    if (ns.options.some((o) => o.type === 1)) return false; // … and no SLLA option
  }
  return true;
}

/** RFC 4861 §7.1.2. */
export function validateNeighborAdvert(h: { src: Ip6; dst: Ip6 }, na: NeighborAdvert): boolean {
  if (isMulticast(na.target)) return false; // Target Address is not a multicast address
  if (isMulticast(h.dst) && na.solicited) return false; // multicast destination → Solicited flag is zero
  return true;
}
