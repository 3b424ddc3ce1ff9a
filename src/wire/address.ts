// IPv6 and link-layer address text forms.
// Parsing: RFC 4291 §2.2 (all three forms, embedded IPv4 included) with an
// optional zone (RFC 4007 §11: `fe80::1%tap0`). Printing: RFC 5952 canonical
// form (lower case, longest run of ≥ 2 zero groups compressed, first on ties).
// Addresses are 16-byte Uint8Arrays in network order.

import { WasagiError } from '../errors.js';

export type Ip6 = Uint8Array;

export interface ZonedAddress {
  addr: Ip6;
  /** The zone as written after `%` (interface name or number), if any. */
  zone?: string;
}

function bad(text: string, why: string): WasagiError {
  return new WasagiError('ERR_INVALID_ADDRESS', `Invalid IPv6 address ${JSON.stringify(text)}: ${why}`);
}

/** Parses an IPv6 address with an optional `%zone`. Throws ERR_INVALID_ADDRESS. */
export function parseIp6Zoned(text: string): ZonedAddress {
  if (typeof text !== 'string') throw bad(String(text), 'not a string');
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  let zone: string | undefined;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone.length === 0 || !/^[\w.-]+$/.test(zone)) throw bad(text, 'empty or malformed zone');
  }
  return { addr: parseIp6Bare(s, text), zone };
}

/** Parses an IPv6 address that must not carry a zone. */
export function parseIp6(text: string): Ip6 {
  const z = parseIp6Zoned(text);
  if (z.zone !== undefined) throw bad(text, 'a zone is not allowed here');
  return z.addr;
}

function parseIp6Bare(s: string, orig: string): Ip6 {
  const out = new Uint8Array(16);
  if (s.length === 0 || s.length > 45) throw bad(orig, 'wrong length');
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) throw bad(orig, 'more than one "::"');
  const parseGroups = (part: string, allowV4: boolean): number[] => {
    if (part === '') return [];
    const items = part.split(':');
    const words: number[] = [];
    items.forEach((it, i) => {
      if (allowV4 && i === items.length - 1 && it.includes('.')) {
        const o = it.split('.');
        if (o.length !== 4) throw bad(orig, 'bad embedded IPv4 address');
        const b = o.map((x) => {
          if (!/^\d{1,3}$/.test(x) || Number(x) > 255 || (x.length > 1 && x[0] === '0')) throw bad(orig, 'bad embedded IPv4 address');
          return Number(x);
        });
        words.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
        return;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) throw bad(orig, `bad group ${JSON.stringify(it)}`);
      words.push(parseInt(it, 16));
    });
    return words;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl), false);
    const tail = parseGroups(s.slice(dbl + 2), true);
    if (head.length + tail.length > 7) throw bad(orig, 'too many groups');
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    words = parseGroups(s, true);
    if (words.length !== 8) throw bad(orig, 'needs 8 groups or "::"');
  }
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** RFC 5952 text form, with `%zone` appended when given. */
export function formatIp6(a: Ip6, zone?: string): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((a[i * 2] << 8) | a[i * 2 + 1]);
  // IPv4-mapped (RFC 5952 §5)
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}` + (zone ? `%${zone}` : '');
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s: string;
  if (bestStart < 0) s = w.map((x) => x.toString(16)).join(':');
  else {
    const head = w.slice(0, bestStart).map((x) => x.toString(16)).join(':');
    const tail = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
    s = `${head}::${tail}`;
  }
  return zone ? `${s}%${zone}` : s;
}

/** Parses `addr/plen`; plen defaults to 128 (RFC 4291 §2.3 notation). */
export function parsePrefix(text: string): { addr: Ip6; prefixLen: number; zone?: string } {
  const slash = text.indexOf('/');
  const z = parseIp6Zoned(slash >= 0 ? text.slice(0, slash) : text);
  let prefixLen = 128;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > 128) throw bad(text, 'prefix length must be 0..128');
    prefixLen = Number(p);
  }
  return { addr: z.addr, prefixLen, zone: z.zone };
}

export const isMulticast = (a: Ip6): boolean => a[0] === 0xff;
export const isLinkLocal = (a: Ip6): boolean => a[0] === 0xfe && (a[1] & 0xc0) === 0x80;
export function isUnspecified(a: Ip6): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}
export const isLoopback = (a: Ip6): boolean => a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
/** Multicast scope field (RFC 4291 §2.7); 2 is link-local. */
export const multicastScope = (a: Ip6): number => a[1] & 0x0f;

export function ip6Equal(a: Ip6, b: Ip6): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy of `a` with the bits past `plen` zeroed (the prefix itself). */
export function maskPrefix(a: Ip6, plen: number): Ip6 {
  const p = a.slice();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, plen - i * 8));
    p[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return p;
}

export function prefixMatch(a: Ip6, b: Ip6, plen: number): boolean {
  let i = 0;
  for (; plen >= 8; plen -= 8, i++) if (a[i] !== b[i]) return false;
  if (plen === 0) return true;
  const mask = (0xff << (8 - plen)) & 0xff;
  return ((a[i] ^ b[i]) & mask) === 0;
}

/** ff02::1 — all-nodes (RFC 4291 §2.7.1). */
export const ALL_NODES: Ip6 = parseIp6('ff02::1');
/** ff02::2 — all-routers (RFC 4291 §2.7.1). */
export const ALL_ROUTERS: Ip6 = parseIp6('ff02::2');
export const UNSPECIFIED: Ip6 = new Uint8Array(16);

/** Solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
export function solicitedNode(a: Ip6): Ip6 {
  const g = parseIp6('ff02::1:ff00:0');
  g[13] = a[13];
  g[14] = a[14];
  g[15] = a[15];
  return g;
}

/** fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 App. A, RFC 2464 §4–5). */
export function linkLocalFromMac(mac: Uint8Array): Ip6 {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = mac[0] ^ 0x02;
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

/** Key for maps: 32 hex digits. */
export function ip6Key(a: Ip6): string {
  // One flat string (a chain of 16 concatenations would stay a rope in V8 and
  // cost ~0.5 KiB per neighbor entry until something flattened it).
  return Buffer.from(a.buffer, a.byteOffset, 16).toString('hex');
}

// --- link-layer (48-bit MAC) ---------------------------------------------------

export function parseMac(text: string): Uint8Array {
  const m = /^([0-9a-fA-F]{1,2})([:-])([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})$/.exec(
    typeof text === 'string' ? text.trim() : '',
  );
  if (!m) throw new WasagiError('ERR_INVALID_MAC', `Invalid MAC address ${JSON.stringify(text)}: expected six hex bytes like 02:00:5e:00:00:01`);
  const mac = Uint8Array.from([m[1], m[3], m[4], m[5], m[6], m[7]].map((x) => parseInt(x, 16)));
  if (mac[0] & 1) throw new WasagiError('ERR_INVALID_MAC', `Invalid MAC address ${text}: a multicast (group) address cannot be an interface address`);
  return mac;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A random locally administered unicast MAC (IEEE 802: U/L bit set, I/G bit clear). */
export function randomMac(rand: () => number): Uint8Array {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = Math.floor(rand() * 256) & 0xff;
  mac[0] = (mac[0] & 0xfc) | 0x02;
  return mac;
}
