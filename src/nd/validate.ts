// One receive-side validation path for every ND message (RFC 4861 §6.1, §7.1,
// §8.1; paper §3). The hot path has already checked what all of them share —
// IP Hop Limit 255, ICMP Code 0, the checksum, the fixed-part length
// (asm/path/rx.ts) — and the option parser rejects options of length 0
// (wire/ndopt.ts, reported here as ND_OPTION_LENGTH). What remains is each
// message's own rules; a failed rule returns the DropReason that cites it.
// ND messages inside fragments (RFC 6980) never get here: the hot path does
// not reassemble yet and drops every fragment.

import { DropReason } from '../wasm/layout.generated.js';
import { isLinkLocal, isMulticast, isUnspecified, type Ip6 } from '../wire/address.js';
import { OPT_SLLA } from '../wire/ndopt.js';
import type { NeighborAdvert, NeighborSolicit } from '../wire/ndisc.js';
import type { Redirect, RouterAdvert, RouterSolicit } from '../wire/ra.js';

export interface IpFields {
  src: Ip6;
  dst: Ip6;
}

/** ff02::1:ff00:0/104 (RFC 4291 §2.7.1). */
export function isSolicitedNode(a: Ip6): boolean {
  return a[0] === 0xff && a[1] === 0x02 && a.subarray(2, 11).every((b) => b === 0) && a[11] === 0x01 && a[12] === 0xff;
}

/** A parse failure: the only way the parsers fail after the hot path's length checks. */
export const MALFORMED = DropReason.ND_OPTION_LENGTH;

/** RFC 6.1.1: hosts MUST silently discard RS; the router rules are checked first for the count. */
export function validateRouterSolicit(h: IpFields, rs: RouterSolicit): DropReason {
  if (isUnspecified(h.src) && rs.options.some((o) => o.type === OPT_SLLA)) return DropReason.ND_UNSPECIFIED_WITH_SLLAO;
  return DropReason.ND_RS_ON_HOST;
}

/** RFC 4861 §6.1.2. */
export function validateRouterAdvert(h: IpFields, _ra: RouterAdvert): DropReason {
  if (!isLinkLocal(h.src)) return DropReason.ND_RA_SOURCE_NOT_LINK_LOCAL; // IP Source Address is link-local
  return DropReason.NONE;
}

/** RFC 4861 §7.1.1. */
export function validateNeighborSolicit(h: IpFields, ns: NeighborSolicit): DropReason {
  if (isMulticast(ns.target)) return DropReason.ND_TARGET_MULTICAST; // Target Address is not multicast
  if (isUnspecified(h.src)) {
    if (!isSolicitedNode(h.dst)) return DropReason.ND_DAD_NOT_SOLICITED_NODE; // … destination is solicited-node
    if (ns.options.some((o) => o.type === OPT_SLLA)) return DropReason.ND_UNSPECIFIED_WITH_SLLAO; // … and no SLLA option
  }
  return DropReason.NONE;
}

/** RFC 4861 §7.1.2. */
export function validateNeighborAdvert(h: IpFields, na: NeighborAdvert): DropReason {
  if (isMulticast(na.target)) return DropReason.ND_TARGET_MULTICAST; // Target Address is not multicast
  if (isMulticast(h.dst) && na.solicited) return DropReason.ND_NA_SOLICITED_MULTICAST; // multicast → S is zero
  return DropReason.NONE;
}

/**
 * RFC 4861 §8.1. `firstHop` is the current first-hop router for the ICMP
 * Destination Address (or the destination itself when it is on-link).
 */
export function validateRedirect(h: IpFields, r: Redirect, firstHop: Ip6 | undefined): DropReason {
  if (!isLinkLocal(h.src)) return DropReason.ND_REDIRECT_SOURCE_NOT_LINK_LOCAL;
  if (isMulticast(r.destination)) return DropReason.ND_REDIRECT_DESTINATION_MULTICAST;
  const same = r.target.every((b, i) => b === r.destination[i]);
  if (!isLinkLocal(r.target) && !same) return DropReason.ND_REDIRECT_BAD_TARGET;
  if (!firstHop || !firstHop.every((b, i) => b === h.src[i])) return DropReason.ND_REDIRECT_NOT_FIRST_HOP;
  return DropReason.NONE;
}
