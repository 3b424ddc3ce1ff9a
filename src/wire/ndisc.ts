// Neighbor Solicitation and Advertisement messages (RFC 4861 §4.3, §4.4), the
// ICMPv6 body after the 4-byte type/code/checksum header.
//
// NS:  | 135 | 0 | checksum | reserved (32) | target (128) | options …
// NA:  | 136 | 0 | checksum |R|S|O| reserved (29) | target (128) | options …
//
// Records are parsed from and emitted into the ICMPv6 message (type onwards);
// emit writes every byte, the checksum is left 0 for txBuild to fill.

import { parseNdOptions, linkLayerAddress, emitLinkLayerOption, OPT_SLLA, OPT_TLLA, type NdOption } from './ndopt.js';
import type { Ip6 } from './address.js';

export const ND_NS = 135;
export const ND_NA = 136;
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

export interface NeighborSolicit {
  target: Ip6;
  /** Source link-layer address option, when present. */
  sourceLinkAddr?: Uint8Array;
  options: NdOption[];
}

export interface NeighborAdvert {
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Ip6;
  /** Target link-layer address option, when present. */
  targetLinkAddr?: Uint8Array;
  options: NdOption[];
}

/** Parses an NS (`m` = the ICMPv6 message); null when malformed. */
export function parseNeighborSolicit(m: Uint8Array): NeighborSolicit | null {
  if (m.length < 24 || m[0] !== ND_NS) return null;
  const options = parseNdOptions(m.subarray(24));
  if (!options) return null;
  const sll = options.find((o) => o.type === OPT_SLLA);
  return { target: m.slice(8, 24), sourceLinkAddr: sll ? linkLayerAddress(sll) : undefined, options };
}

/** Parses an NA; null when malformed. */
export function parseNeighborAdvert(m: Uint8Array): NeighborAdvert | null {
  if (m.length < 24 || m[0] !== ND_NA) return null;
  const options = parseNdOptions(m.subarray(24));
  if (!options) return null;
  const tll = options.find((o) => o.type === OPT_TLLA);
  return {
    router: (m[4] & NA_FLAG_ROUTER) !== 0,
    solicited: (m[4] & NA_FLAG_SOLICITED) !== 0,
    override: (m[4] & NA_FLAG_OVERRIDE) !== 0,
    target: m.slice(8, 24),
    targetLinkAddr: tll ? linkLayerAddress(tll) : undefined,
    options,
  };
}

export function neighborSolicitLength(ns: { sourceLinkAddr?: Uint8Array }): number {
  return 24 + (ns.sourceLinkAddr ? 8 : 0);
}

/** Emits an NS at `b[o..]`; returns its length. */
export function emitNeighborSolicit(b: Uint8Array, o: number, ns: { target: Ip6; sourceLinkAddr?: Uint8Array }): number {
  b[o] = ND_NS;
  b.fill(0, o + 1, o + 8);
  b.set(ns.target, o + 8);
  let len = 24;
  if (ns.sourceLinkAddr) len += emitLinkLayerOption(b, o + len, OPT_SLLA, ns.sourceLinkAddr);
  return len;
}

export function neighborAdvertLength(na: { targetLinkAddr?: Uint8Array }): number {
  return 24 + (na.targetLinkAddr ? 8 : 0);
}

/** Emits an NA at `b[o..]`; returns its length. */
export function emitNeighborAdvert(
  b: Uint8Array,
  o: number,
  na: { router: boolean; solicited: boolean; override: boolean; target: Ip6; targetLinkAddr?: Uint8Array },
): number {
  b[o] = ND_NA;
  b.fill(0, o + 1, o + 8);
  b[o + 4] = (na.router ? NA_FLAG_ROUTER : 0) | (na.solicited ? NA_FLAG_SOLICITED : 0) | (na.override ? NA_FLAG_OVERRIDE : 0);
  b.set(na.target, o + 8);
  let len = 24;
  if (na.targetLinkAddr) len += emitLinkLayerOption(b, o + len, OPT_TLLA, na.targetLinkAddr);
  return len;
}
