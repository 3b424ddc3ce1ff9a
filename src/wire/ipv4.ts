// The IPv4 header (RFC 791 §3.1), its checksum (RFC 1071), and IPv4 address
// text forms (dotted quad) with the IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options                    |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags (3 bits): bit 0 reserved (must be zero), bit 1 DF (don't fragment),
// bit 2 MF (more fragments). Fragment Offset: 13 bits in 8-octet units; in
// the record it is in octets (the field × 8), like src/wire/frag.ts.
//
// Check, then read (STYLE.md 5): `checkIpv4Header` returns why a packet is
// unusable (or null), `parseIpv4Header` runs it and only then reads. The
// checks are those of RFC 1122 §3.2.1.1–§3.2.1.2 and RFC 1812 §5.2.2, in the
// order Linux's ip_rcv_core applies them: length ≥ 20, Version 4, IHL ≥ 5,
// checksum over IHL·4 octets, Total Length within the packet and ≥ IHL·4.
// Options are not interpreted (a host may ignore those it does not know,
// RFC 1122 §3.2.1.8); they are kept as raw bytes. The reserved flag bit is
// ignored on reception and written zero.
//
// Not here: option processing (Record Route, Timestamp, source routes —
// RFC 1122 §3.2.1.8 lets a host drop source-routed datagrams it cannot
// honour), ECN semantics of the TOS octet (RFC 3168), reassembly.

import { WasagiError, invalidArg } from '../errors.js';
import type { Ip6 } from './address.js';

/** An IPv4 address: 4 octets in network order. */
export type Ip4 = Uint8Array;

/** Header length without options (IHL 5). */
export const IPV4_HEADER_LEN = 20;
/** Largest header: IHL 15 (RFC 791 §3.1). */
export const IPV4_MAX_HEADER_LEN = 60;
/** Largest options area: 60 − 20. */
export const IPV4_MAX_OPTIONS_LEN = 40;
/** Largest Total Length (16 bits). */
export const IPV4_MAX_TOTAL_LENGTH = 0xffff;

/** Field offsets (RFC 791 §3.1). */
export const IP4_VERSION_IHL = 0;
export const IP4_TOS = 1;
export const IP4_TOTAL_LENGTH = 2;
export const IP4_IDENTIFICATION = 4;
export const IP4_FLAGS_FRAGMENT = 6;
export const IP4_TTL = 8;
export const IP4_PROTOCOL = 9;
export const IP4_CHECKSUM = 10;
export const IP4_SRC = 12;
export const IP4_DST = 16;
export const IP4_OPTIONS = 20;

/** Flag bits within the 16-bit flags/fragment field. */
export const IP4_FLAG_RESERVED = 0x8000;
export const IP4_FLAG_DF = 0x4000;
export const IP4_FLAG_MF = 0x2000;
/** The 13-bit Fragment Offset (8-octet units). */
export const IP4_OFFSET_MASK = 0x1fff;
/** Largest Fragment Offset in octets: 8191 × 8. */
export const IP4_MAX_FRAGMENT_OFFSET = 0xfff8;

/** Protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
export const IPPROTO_ICMP = 1; // RFC 792
export const IPPROTO_TCP = 6; // RFC 9293
export const IPPROTO_UDP = 17; // RFC 768

/** Default TTL for datagrams we originate (RFC 1700's 64; Linux ip_default_ttl 64). */
export const IPV4_DEFAULT_TTL = 64;

/** One IPv4 header. */
export interface Ipv4Header {
  /** Type of Service octet (RFC 791; DSCP and ECN since RFC 2474 / RFC 3168), as is. */
  tos: number;
  /** Total Length: header and data, in octets. */
  totalLength: number;
  identification: number;
  /** DF: don't fragment. */
  dontFragment: boolean;
  /** MF: more fragments follow. */
  moreFragments: boolean;
  /** Fragment Offset in octets (a multiple of 8, 0..65528). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** The Header Checksum as received (parse) — emit computes its own. */
  checksum: number;
  src: Ip4;
  dst: Ip4;
  /** The options area as received (IHL·4 − 20 octets, padding included), not interpreted. */
  options: Uint8Array;
}

/** What emit takes: the checksum is always computed, the rest has defaults. */
export interface Ipv4HeaderSpec {
  tos?: number;
  totalLength: number;
  identification?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Octets, a multiple of 8. */
  fragmentOffset?: number;
  ttl?: number;
  protocol: number;
  src: Ip4;
  dst: Ip4;
  /** Raw options, a multiple of 4 octets, at most 40 (pad with End of Option List, 0). */
  options?: Uint8Array;
}

/** A parsed datagram: the header and its data (Total Length bounds it; link padding is not included). */
export interface Ipv4Datagram {
  header: Ipv4Header;
  /** Header length in octets (IHL · 4). */
  headerLength: number;
  /** The data after the header, up to Total Length: a view into the input. */
  payload: Uint8Array;
}

/** Why a header is unusable; each maps to a drop counter in the stack. */
export type Ipv4Drop =
  /** Fewer than 20 octets (RFC 791 §3.1). */
  | 'TRUNCATED'
  /** Version ≠ 4 (RFC 1122 §3.2.1.1: silently discard). */
  | 'VERSION'
  /** IHL < 5, or the header is longer than the packet (RFC 1812 §5.2.2). */
  | 'IHL'
  /** Header checksum fails (RFC 1122 §3.2.1.2: MUST verify, silently discard). */
  | 'CHECKSUM'
  /** Total Length > the packet, or < IHL·4 (RFC 1812 §5.2.2). */
  | 'TOTAL_LENGTH';

// --- checksum -------------------------------------------------------------------

/**
 * The Internet checksum (RFC 1071): the one's complement of the one's
 * complement sum of the 16-bit words of `bytes` (an odd last octet padded
 * with zero). Over a header whose checksum field is filled in correctly it
 * is 0; with the field zeroed it is the value to store. ICMPv4 uses the same
 * sum over the whole message (RFC 792).
 */
export function ipv4Checksum(bytes: Uint8Array): number {
  let sum = 0;
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length & 1) sum += bytes[bytes.length - 1] << 8;
  // A packet is ≤ 64 KiB, so the plain sum stays below 2^31: fold once at the end (RFC 1071 §2 (B)).
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// --- check and accessors --------------------------------------------------------

/** Why `b` (an IPv4 packet from its first octet) is unusable, or null when the header is valid. */
export function checkIpv4Header(b: Uint8Array): Ipv4Drop | null {
  if (b.length < IPV4_HEADER_LEN) return 'TRUNCATED';
  if (b[0] >> 4 !== 4) return 'VERSION';
  const hl = (b[0] & 0x0f) * 4;
  if (hl < IPV4_HEADER_LEN || hl > b.length) return 'IHL';
  if (ipv4Checksum(b.subarray(0, hl)) !== 0) return 'CHECKSUM';
  const total = (b[2] << 8) | b[3];
  if (total > b.length || total < hl) return 'TOTAL_LENGTH';
  return null;
}

// Accessors — only after checkIpv4Header.
export const ip4HeaderLength = (b: Uint8Array): number => (b[0] & 0x0f) * 4;
export const ip4TotalLength = (b: Uint8Array): number => (b[2] << 8) | b[3];
export const ip4Protocol = (b: Uint8Array): number => b[9];
export const ip4Ttl = (b: Uint8Array): number => b[8];
/** Fragment Offset in octets. */
export const ip4FragmentOffset = (b: Uint8Array): number => (((b[6] << 8) | b[7]) & IP4_OFFSET_MASK) * 8;
export const ip4MoreFragments = (b: Uint8Array): boolean => (b[6] & (IP4_FLAG_MF >> 8)) !== 0;
export const ip4DontFragment = (b: Uint8Array): boolean => (b[6] & (IP4_FLAG_DF >> 8)) !== 0;
/** True for any fragment: MF set or a non-zero offset (RFC 791 §3.2). */
export const ip4IsFragment = (b: Uint8Array): boolean => (((b[6] << 8) | b[7]) & (IP4_FLAG_MF | IP4_OFFSET_MASK)) !== 0;

/** Parses the header at the start of `b`; null when checkIpv4Header finds it unusable. Addresses and options are copies. */
export function parseIpv4Header(b: Uint8Array): Ipv4Datagram | null {
  if (checkIpv4Header(b) !== null) return null;
  const hl = ip4HeaderLength(b);
  const total = ip4TotalLength(b);
  const ff = (b[6] << 8) | b[7];
  return {
    header: {
      tos: b[1],
      totalLength: total,
      identification: (b[4] << 8) | b[5],
      dontFragment: (ff & IP4_FLAG_DF) !== 0,
      moreFragments: (ff & IP4_FLAG_MF) !== 0,
      fragmentOffset: (ff & IP4_OFFSET_MASK) * 8,
      ttl: b[8],
      protocol: b[9],
      checksum: (b[10] << 8) | b[11],
      src: b.slice(12, 16),
      dst: b.slice(16, 20),
      options: b.slice(20, hl),
    },
    headerLength: hl,
    payload: b.subarray(hl, total),
  };
}

// --- emit -------------------------------------------------------------------------

function checkSpec(h: Ipv4HeaderSpec): void {
  const byte = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xff)) throw invalidArg(name, 'an integer 0..255', v);
  };
  byte('tos', h.tos);
  byte('ttl', h.ttl);
  byte('protocol', h.protocol);
  if (!(h.src instanceof Uint8Array) || h.src.length !== 4) throw invalidArg('src', 'a 4-byte Uint8Array', h.src);
  if (!(h.dst instanceof Uint8Array) || h.dst.length !== 4) throw invalidArg('dst', 'a 4-byte Uint8Array', h.dst);
  const ol = h.options?.length ?? 0;
  if (ol % 4 !== 0 || ol > IPV4_MAX_OPTIONS_LEN) throw invalidArg('options', 'a multiple of 4 octets, at most 40', ol);
  if (!Number.isInteger(h.totalLength) || h.totalLength < IPV4_HEADER_LEN + ol || h.totalLength > IPV4_MAX_TOTAL_LENGTH) {
    throw invalidArg('totalLength', `an integer ${IPV4_HEADER_LEN + ol}..65535`, h.totalLength);
  }
  const id = h.identification ?? 0;
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw invalidArg('identification', 'an integer 0..65535', id);
  const off = h.fragmentOffset ?? 0;
  if (!Number.isInteger(off) || off < 0 || off > IP4_MAX_FRAGMENT_OFFSET || off % 8 !== 0) {
    throw invalidArg('fragmentOffset', 'a multiple of 8 in 0..65528', off);
  }
}

/** Header length emit writes for `h`: 20 + options. */
export function ipv4HeaderLength(h: Omit<Ipv4HeaderSpec, 'totalLength'>): number {
  return IPV4_HEADER_LEN + (h.options?.length ?? 0);
}

/**
 * Writes the header at `b[o..]` with its checksum and returns its length.
 * Every header octet is written (reserved flag 0). Throws ERR_INVALID_ARG on a bad spec.
 */
export function emitIpv4Header(b: Uint8Array, o: number, h: Ipv4HeaderSpec): number {
  checkSpec(h);
  const hl = ipv4HeaderLength(h);
  const ff = (h.dontFragment ? IP4_FLAG_DF : 0) | (h.moreFragments ? IP4_FLAG_MF : 0) | ((h.fragmentOffset ?? 0) >>> 3);
  const id = h.identification ?? 0;
  b[o] = 0x40 | (hl >>> 2);
  b[o + 1] = h.tos ?? 0;
  b[o + 2] = h.totalLength >>> 8;
  b[o + 3] = h.totalLength & 0xff;
  b[o + 4] = id >>> 8;
  b[o + 5] = id & 0xff;
  b[o + 6] = ff >>> 8;
  b[o + 7] = ff & 0xff;
  b[o + 8] = h.ttl ?? IPV4_DEFAULT_TTL;
  b[o + 9] = h.protocol;
  b[o + 10] = 0;
  b[o + 11] = 0;
  b.set(h.src, o + 12);
  b.set(h.dst, o + 16);
  if (h.options) b.set(h.options, o + 20);
  const c = ipv4Checksum(b.subarray(o, o + hl));
  b[o + 10] = c >>> 8;
  b[o + 11] = c & 0xff;
  return hl;
}

/** A whole datagram: header (Total Length filled in) and `payload`. */
export function emitIpv4(h: Omit<Ipv4HeaderSpec, 'totalLength'>, payload: Uint8Array): Uint8Array {
  const hl = ipv4HeaderLength(h);
  const p = new Uint8Array(hl + payload.length);
  emitIpv4Header(p, 0, { ...h, totalLength: p.length });
  p.set(payload, hl);
  return p;
}

// --- addresses ----------------------------------------------------------------------

function bad(text: unknown, why: string): WasagiError {
  return new WasagiError('ERR_INVALID_ADDRESS', `Invalid IPv4 address ${JSON.stringify(text)}: ${why}`);
}

/**
 * Parses a dotted quad: exactly four decimal octets 0..255. Leading zeros
 * are refused (`010` is octal to inet_aton, decimal to others — RFC 6943
 * §3.1.1), as are the shorthand forms inet_aton accepts (`10.1`, `0x7f.1`).
 * Throws ERR_INVALID_ADDRESS.
 */
export function parseIpv4(text: string): Ip4 {
  if (typeof text !== 'string') throw bad(text, 'not a string');
  const parts = text.trim().split('.');
  if (parts.length !== 4) throw bad(text, 'needs four dotted decimal octets');
  const a = new Uint8Array(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p)) throw bad(text, `bad octet ${JSON.stringify(p)}`);
    if (p.length > 1 && p[0] === '0') throw bad(text, `leading zero in ${JSON.stringify(p)} (ambiguous: octal or decimal)`);
    const v = Number(p);
    if (v > 255) throw bad(text, `octet ${v} > 255`);
    a[i] = v;
  });
  return a;
}

/** Dotted-quad text of a 4-byte address. */
export function formatIpv4(a: Ip4): string {
  return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
}

/** The address as an unsigned 32-bit number (a Map key, a prefix comparison). */
export function ip4ToNumber(a: Ip4): number {
  return ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
}

export function ip4FromNumber(n: number): Ip4 {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function ip4Equal(a: Ip4, b: Ip4): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** 0.0.0.0 — "this host" (RFC 1122 §3.2.1.3 (a)); only ever a source. */
export const IPV4_UNSPECIFIED: Ip4 = new Uint8Array(4);
/** 255.255.255.255 — limited broadcast (RFC 919, RFC 1122 §3.2.1.3 (c)). */
export const IPV4_BROADCAST: Ip4 = Uint8Array.of(255, 255, 255, 255);

export const isIpv4Unspecified = (a: Ip4): boolean => (a[0] | a[1] | a[2] | a[3]) === 0;
export const isIpv4Broadcast = (a: Ip4): boolean => (a[0] & a[1] & a[2] & a[3]) === 0xff;
/** 224.0.0.0/4 (RFC 5771). */
export const isIpv4Multicast = (a: Ip4): boolean => (a[0] & 0xf0) === 0xe0;
/** 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g)): never on a wire. */
export const isIpv4Loopback = (a: Ip4): boolean => a[0] === 127;

/** ::ffff:a.b.c.d — the IPv4-mapped IPv6 address of `v4` (RFC 4291 §2.5.5.2). */
export function toMapped(v4: Ip4): Ip6 {
  if (!(v4 instanceof Uint8Array) || v4.length !== 4) throw invalidArg('v4', 'a 4-byte Uint8Array', v4);
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  a.set(v4, 12);
  return a;
}

/** True for ::ffff:0:0/96 (RFC 4291 §2.5.5.2). */
export function isMapped(a: Ip6): boolean {
  if (a.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** The IPv4 address inside an IPv4-mapped address, or null when `ip6` is not one. */
export function fromMapped(ip6: Ip6): Ip4 | null {
  return isMapped(ip6) ? ip6.slice(12, 16) : null;
}
