// Router Solicitation, Router Advertisement and Redirect messages (RFC 4861
// §4.1, §4.2, §4.5) and the options hosts act on: Prefix Information (§4.6.2),
// MTU (§4.6.4), Route Information (RFC 4191 §2.3), Recursive DNS Server and DNS
// Search List (RFC 8106 §5.1, §5.2). Records are parsed from the ICMPv6
// message (type onwards); emit writes every byte, the checksum left 0.
//
// RS:  | 133 | 0 | checksum | reserved (32) | options …
// RA:  | 134 | 0 | checksum | Cur Hop Limit |M|O|H|Prf|P|R| Router Lifetime |
//      | Reachable Time (32) | Retrans Timer (32) | options …
// Redirect: | 137 | 0 | checksum | reserved (32) | Target (128) | Destination (128) | options …

import { parseNdOptions, linkLayerAddress, emitLinkLayerOption, OPT_SLLA, OPT_TLLA, type NdOption } from './ndopt.js';
import { maskPrefix, type Ip6 } from './address.js';

export { maskPrefix };

export const ND_RS = 133;
export const ND_RA = 134;
export const ND_REDIRECT = 137;

export const OPT_PREFIX_INFORMATION = 3;
export const OPT_MTU = 5;
export const OPT_ROUTE_INFORMATION = 24; // RFC 4191 §2.3
export const OPT_RDNSS = 25; // RFC 8106 §5.1
export const OPT_DNSSL = 31; // RFC 8106 §5.2

/** Lifetimes of all ones mean infinity (RFC 4861 §4.6.2, RFC 4191 §2.3, RFC 8106 §5.1). */
export const INFINITE_LIFETIME = 0xffffffff;

/** Router preference (RFC 4191 §2.1): 01 high, 00 medium, 11 low, 10 reserved. */
export type Preference = 'high' | 'medium' | 'low';

/** The 2-bit field; the reserved value 10 is returned as undefined. */
export function decodePreference(bits: number): Preference | undefined {
  switch (bits & 3) {
    case 1:
      return 'high';
    case 0:
      return 'medium';
    case 3:
      return 'low';
  }
  return undefined;
}

export function encodePreference(p: Preference): number {
  return p === 'high' ? 1 : p === 'low' ? 3 : 0;
}

export const preferenceRank = (p: Preference): number => (p === 'high' ? 2 : p === 'medium' ? 1 : 0);

export interface PrefixInformation {
  prefixLength: number;
  onLink: boolean; // L
  autonomous: boolean; // A
  validLifetime: number; // seconds
  preferredLifetime: number; // seconds
  prefix: Ip6;
}

export interface RouteInformation {
  prefixLength: number;
  preference: Preference;
  lifetime: number; // seconds
  prefix: Ip6;
}

export interface RouterAdvert {
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  /** RFC 4191 §2.2: the reserved value is treated as medium. */
  preference: Preference;
  routerLifetime: number; // seconds
  reachableTime: number; // ms
  retransTimer: number; // ms
  sourceLinkAddr?: Uint8Array;
  mtu?: number;
  prefixes: PrefixInformation[];
  routes: RouteInformation[];
  rdnss: Array<{ lifetime: number; servers: Ip6[] }>;
  dnssl: Array<{ lifetime: number; domains: string[] }>;
  options: NdOption[];
}

export interface RouterSolicit {
  sourceLinkAddr?: Uint8Array;
  options: NdOption[];
}

export interface Redirect {
  target: Ip6;
  destination: Ip6;
  targetLinkAddr?: Uint8Array;
  options: NdOption[];
}

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const put32 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
};

export function parseRouterSolicit(m: Uint8Array): RouterSolicit | null {
  if (m.length < 8 || m[0] !== ND_RS) return null;
  const options = parseNdOptions(m.subarray(8));
  if (!options) return null;
  const sll = options.find((o) => o.type === OPT_SLLA);
  return { sourceLinkAddr: sll ? linkLayerAddress(sll) : undefined, options };
}

/** Parses an RA; null when the message or an option length is malformed. Malformed known options are skipped. */
export function parseRouterAdvert(m: Uint8Array): RouterAdvert | null {
  if (m.length < 16 || m[0] !== ND_RA) return null;
  const options = parseNdOptions(m.subarray(16));
  if (!options) return null;
  const ra: RouterAdvert = {
    curHopLimit: m[4],
    managed: (m[5] & 0x80) !== 0,
    other: (m[5] & 0x40) !== 0,
    preference: decodePreference(m[5] >> 3) ?? 'medium',
    routerLifetime: (m[6] << 8) | m[7],
    reachableTime: u32(m, 8),
    retransTimer: u32(m, 12),
    prefixes: [],
    routes: [],
    rdnss: [],
    dnssl: [],
    options,
  };
  for (const o of options) {
    const d = o.data;
    switch (o.type) {
      case OPT_SLLA:
        ra.sourceLinkAddr ??= linkLayerAddress(o);
        break;
      case OPT_MTU:
        if (d.length === 8) ra.mtu = u32(d, 4);
        break;
      case OPT_PREFIX_INFORMATION:
        if (d.length === 32 && d[2] <= 128) {
          ra.prefixes.push({
            prefixLength: d[2],
            onLink: (d[3] & 0x80) !== 0,
            autonomous: (d[3] & 0x40) !== 0,
            validLifetime: u32(d, 4),
            preferredLifetime: u32(d, 8),
            prefix: d.slice(16, 32),
          });
        }
        break;
      case OPT_ROUTE_INFORMATION: {
        // RFC 4191 §2.3: Length 1..3 must fit the Prefix Length; reserved Prf → ignore.
        const plen = d[2];
        const pref = decodePreference(d[3] >> 3);
        const lenUnits = d.length / 8;
        if (plen > 128 || lenUnits > 3 || (plen > 64 && lenUnits < 3) || (plen > 0 && lenUnits < 2) || !pref) break;
        const prefix = new Uint8Array(16);
        prefix.set(d.subarray(8, 8 + Math.min(16, d.length - 8)));
        ra.routes.push({ prefixLength: plen, preference: pref, lifetime: u32(d, 4), prefix: maskPrefix(prefix, plen) });
        break;
      }
      case OPT_RDNSS: // RFC 8106 §5.1: Length 2n+1, n ≥ 1
        if (d.length >= 24 && (d.length / 8) % 2 === 1) {
          const servers: Ip6[] = [];
          for (let k = 8; k + 16 <= d.length; k += 16) servers.push(d.slice(k, k + 16));
          ra.rdnss.push({ lifetime: u32(d, 4), servers });
        }
        break;
      case OPT_DNSSL: {
        if (d.length < 16) break;
        const domains = decodeDomainList(d.subarray(8));
        if (domains) ra.dnssl.push({ lifetime: u32(d, 4), domains });
        break;
      }
    }
  }
  return ra;
}

export function parseRedirect(m: Uint8Array): Redirect | null {
  if (m.length < 40 || m[0] !== ND_REDIRECT) return null;
  const options = parseNdOptions(m.subarray(40));
  if (!options) return null;
  const tll = options.find((o) => o.type === OPT_TLLA);
  return { target: m.slice(8, 24), destination: m.slice(24, 40), targetLinkAddr: tll ? linkLayerAddress(tll) : undefined, options };
}

/** DNS names in wire form (RFC 1035 §3.1), zero padding after the last one; null when malformed. */
function decodeDomainList(b: Uint8Array): string[] | null {
  const out: string[] = [];
  let o = 0;
  while (o < b.length) {
    if (b[o] === 0) {
      o++;
      continue; // padding (or an empty name) between and after names
    }
    const labels: string[] = [];
    while (o < b.length && b[o] !== 0) {
      const n = b[o];
      if (n > 63 || o + 1 + n > b.length) return null;
      labels.push(String.fromCharCode(...b.subarray(o + 1, o + 1 + n)));
      o += 1 + n;
    }
    if (o >= b.length) return null; // no terminating zero
    o++;
    out.push(labels.join('.'));
  }
  return out;
}

function encodeDomainList(domains: string[]): Uint8Array {
  const parts: number[] = [];
  for (const d of domains) {
    for (const l of d.split('.').filter(Boolean)) {
      parts.push(l.length, ...Array.from(l, (c) => c.charCodeAt(0)));
    }
    parts.push(0);
  }
  while ((parts.length + 8) % 8) parts.push(0);
  return Uint8Array.from(parts);
}


// --- emit (tests, simulations, tools) ------------------------------------------

export interface RouterAdvertSpec {
  curHopLimit?: number;
  managed?: boolean;
  other?: boolean;
  preference?: Preference;
  routerLifetime: number;
  reachableTime?: number;
  retransTimer?: number;
  sourceLinkAddr?: Uint8Array;
  mtu?: number;
  prefixes?: PrefixInformation[];
  routes?: RouteInformation[];
  rdnss?: Array<{ lifetime: number; servers: Ip6[] }>;
  dnssl?: Array<{ lifetime: number; domains: string[] }>;
}

/** An RA message (ICMPv6 type onwards). */
export function emitRouterAdvert(ra: RouterAdvertSpec): Uint8Array {
  const chunks: Uint8Array[] = [];
  const head = new Uint8Array(16);
  head[0] = ND_RA;
  head[4] = ra.curHopLimit ?? 0;
  head[5] = (ra.managed ? 0x80 : 0) | (ra.other ? 0x40 : 0) | (encodePreference(ra.preference ?? 'medium') << 3);
  head[6] = ra.routerLifetime >> 8;
  head[7] = ra.routerLifetime & 0xff;
  put32(head, 8, ra.reachableTime ?? 0);
  put32(head, 12, ra.retransTimer ?? 0);
  chunks.push(head);
  if (ra.sourceLinkAddr) {
    const o = new Uint8Array(8);
    emitLinkLayerOption(o, 0, OPT_SLLA, ra.sourceLinkAddr);
    chunks.push(o);
  }
  if (ra.mtu !== undefined) {
    const o = new Uint8Array(8);
    o[0] = OPT_MTU;
    o[1] = 1;
    put32(o, 4, ra.mtu);
    chunks.push(o);
  }
  for (const p of ra.prefixes ?? []) {
    const o = new Uint8Array(32);
    o[0] = OPT_PREFIX_INFORMATION;
    o[1] = 4;
    o[2] = p.prefixLength;
    o[3] = (p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0);
    put32(o, 4, p.validLifetime);
    put32(o, 8, p.preferredLifetime);
    o.set(p.prefix, 16);
    chunks.push(o);
  }
  for (const r of ra.routes ?? []) {
    const units = r.prefixLength === 0 ? 1 : r.prefixLength <= 64 ? 2 : 3;
    const o = new Uint8Array(units * 8);
    o[0] = OPT_ROUTE_INFORMATION;
    o[1] = units;
    o[2] = r.prefixLength;
    o[3] = encodePreference(r.preference) << 3;
    put32(o, 4, r.lifetime);
    o.set(r.prefix.subarray(0, (units - 1) * 8), 8);
    chunks.push(o);
  }
  for (const r of ra.rdnss ?? []) {
    const o = new Uint8Array(8 + 16 * r.servers.length);
    o[0] = OPT_RDNSS;
    o[1] = 1 + 2 * r.servers.length;
    put32(o, 4, r.lifetime);
    r.servers.forEach((s, k) => o.set(s, 8 + 16 * k));
    chunks.push(o);
  }
  for (const d of ra.dnssl ?? []) {
    const names = encodeDomainList(d.domains);
    const o = new Uint8Array(8 + names.length);
    o[0] = OPT_DNSSL;
    o[1] = o.length / 8;
    put32(o, 4, d.lifetime);
    o.set(names, 8);
    chunks.push(o);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export function routerSolicitLength(rs: { sourceLinkAddr?: Uint8Array }): number {
  return 8 + (rs.sourceLinkAddr ? 8 : 0);
}

/** Emits an RS at `b[o..]`; returns its length. */
export function emitRouterSolicit(b: Uint8Array, o: number, rs: { sourceLinkAddr?: Uint8Array }): number {
  b[o] = ND_RS;
  b.fill(0, o + 1, o + 8);
  let len = 8;
  if (rs.sourceLinkAddr) len += emitLinkLayerOption(b, o + len, OPT_SLLA, rs.sourceLinkAddr);
  return len;
}

/** A Redirect message (ICMPv6 type onwards). */
export function emitRedirect(r: { target: Ip6; destination: Ip6; targetLinkAddr?: Uint8Array }): Uint8Array {
  const m = new Uint8Array(40 + (r.targetLinkAddr ? 8 : 0));
  m[0] = ND_REDIRECT;
  m.set(r.target, 8);
  m.set(r.destination, 24);
  if (r.targetLinkAddr) emitLinkLayerOption(m, 40, OPT_TLLA, r.targetLinkAddr);
  return m;
}
