// ICMPv6 error messages (RFC 4443 §2.1, §3.1–§3.4; Parameter Problem code 3
// from RFC 7112 §5). All four share one layout: Type (< 128, §2.1), Code,
// Checksum, a 32-bit field that is Unused (Destination Unreachable, Time
// Exceeded), the MTU (Packet Too Big) or the Pointer (Parameter Problem), then
// as much of the invoking packet as fits without the error packet exceeding
// the IPv6 minimum MTU (§2.4 c). Records start at the ICMPv6 Type; emit writes
// every byte and leaves the checksum 0 for the caller (txBuild, or
// upperLayerChecksum in src/wire/ipv6.ts).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             Unused  /  MTU (type 2)  /  Pointer (type 4)      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    As much of invoking packet                 |
//  +               as possible without the ICMPv6 packet           +
//  |               exceeding the minimum IPv6 MTU [IPv6]           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Not supported here: RFC 4884 multipart extensions (the Unused field's length
// octet), Destination Unreachable codes 7+ (RFC 6554, RFC 8883) and Parameter
// Problem codes 4+ (RFC 8754, RFC 8883) — they parse like any other code but
// have no named constant.

import { invalidArg } from '../errors.js';
import { IP6_HEADER_LEN } from './ipv6.js';

/** The IPv6 minimum link MTU (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;
/** Type, Code, Checksum and the 32-bit Unused/MTU/Pointer field (RFC 4443 §3). */
export const ICMP6_ERROR_HEADER_LEN = 8;
/**
 * The most of the invoking packet an error quotes: 1280 − 40 − 8 = 1232
 * octets, so the whole error packet fits the minimum MTU (RFC 4443 §2.4 c).
 */
export const ICMP6_ERROR_MAX_QUOTE = IPV6_MIN_MTU - IP6_HEADER_LEN - ICMP6_ERROR_HEADER_LEN;
/**
 * The shortest error parseIcmp6Error accepts: the header plus the invoking
 * packet's IPv6 header, without which the error can be matched to no flow and
 * a Packet Too Big names no destination (RFC 8201 §4 uses the quoted
 * Destination Address). Linux drops shorter ones too (icmpv6_notify).
 */
export const ICMP6_ERROR_MIN_LENGTH = ICMP6_ERROR_HEADER_LEN + IP6_HEADER_LEN;

/** Error message types (RFC 4443 §2.1: high-order bit 0). */
export const ICMP6_DST_UNREACH = 1; // RFC 4443 §3.1
export const ICMP6_PACKET_TOO_BIG = 2; // RFC 4443 §3.2
export const ICMP6_TIME_EXCEEDED = 3; // RFC 4443 §3.3
export const ICMP6_PARAM_PROBLEM = 4; // RFC 4443 §3.4

/** Destination Unreachable codes (RFC 4443 §3.1). */
export enum DstUnreachCode {
  /** No route to destination. */
  NO_ROUTE = 0,
  /** Communication with destination administratively prohibited. */
  ADMIN_PROHIBITED = 1,
  /** Beyond scope of source address (RFC 4007 zones). */
  BEYOND_SCOPE = 2,
  /** Address unreachable (e.g. address resolution failed, RFC 4861 §7.2.2). */
  ADDRESS_UNREACHABLE = 3,
  /** Port unreachable: no listener for the transport protocol (§3.1). */
  PORT_UNREACHABLE = 4,
  /** Source address failed ingress/egress policy. */
  SOURCE_POLICY = 5,
  /** Reject route to destination. */
  REJECT_ROUTE = 6,
}

/** Time Exceeded codes (RFC 4443 §3.3). */
export enum TimeExceededCode {
  /** Hop limit exceeded in transit. */
  HOP_LIMIT = 0,
  /** Fragment reassembly time exceeded (RFC 8200 §4.5). */
  REASSEMBLY = 1,
}

/** Parameter Problem codes (RFC 4443 §3.4, RFC 7112 §5). */
export enum ParamProblemCode {
  /** Erroneous header field encountered. */
  HEADER_FIELD = 0,
  /** Unrecognized Next Header type encountered (RFC 8200 §4). */
  UNRECOGNIZED_NEXT_HEADER = 1,
  /** Unrecognized IPv6 option encountered (RFC 8200 §4.2, action bits 10 or 11). */
  UNRECOGNIZED_OPTION = 2,
  /** IPv6 First Fragment has incomplete IPv6 Header Chain (RFC 7112 §5); Linux sends Pointer 0. */
  INCOMPLETE_HEADER_CHAIN = 3,
}

/** One ICMPv6 error message. */
export interface Icmp6Error {
  /** 0..127 (RFC 4443 §2.1); 1–4 are the ones named above. */
  type: number;
  code: number;
  /**
   * The 32-bit field after the checksum: the MTU of a Packet Too Big (§3.2),
   * the Pointer of a Parameter Problem (§3.4: octet offset into the invoking
   * packet, which may point past the quoted part), 0 (Unused) otherwise.
   */
  param: number;
  /** The invoking packet from its IPv6 header on; emit quotes a prefix of it. */
  invoking: Uint8Array;
}

/** What emit takes: an error, plus room for headers the error packet itself carries. */
export interface Icmp6ErrorSpec extends Icmp6Error {
  /**
   * Octets of extension headers (ESP, Routing…) the error packet will carry
   * besides its 40-byte IPv6 header; the quote shrinks by as much so the
   * packet still fits 1280 (RFC 4443 §2.4 c). Default 0.
   */
  extraHeaders?: number;
}

const put32 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
};
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** True for an ICMPv6 error type (RFC 4443 §2.1: high-order bit of Type clear). */
export const isIcmp6ErrorType = (type: number): boolean => type >= 0 && type < 128;

/** Octets of the invoking packet an error quotes (RFC 4443 §2.4 c). */
export function icmp6ErrorQuoteLength(invokingLength: number, extraHeaders = 0): number {
  return Math.max(0, Math.min(invokingLength, ICMP6_ERROR_MAX_QUOTE - extraHeaders));
}

/** Length of the ICMPv6 message emit writes for `e`. */
export function icmp6ErrorLength(e: Pick<Icmp6ErrorSpec, 'invoking' | 'extraHeaders'>): number {
  return ICMP6_ERROR_HEADER_LEN + icmp6ErrorQuoteLength(e.invoking.length, e.extraHeaders ?? 0);
}

function checkSpec(e: Icmp6ErrorSpec): void {
  if (!Number.isInteger(e.type) || !isIcmp6ErrorType(e.type)) throw invalidArg('type', 'an ICMPv6 error type 0..127', e.type);
  if (!Number.isInteger(e.code) || e.code < 0 || e.code > 255) throw invalidArg('code', 'an integer 0..255', e.code);
  if (!Number.isInteger(e.param) || e.param < 0 || e.param > 0xffffffff) throw invalidArg('param', 'an integer 0..2^32-1', e.param);
  if (!(e.invoking instanceof Uint8Array)) throw invalidArg('invoking', 'a Uint8Array', e.invoking);
  const x = e.extraHeaders ?? 0;
  if (!Number.isInteger(x) || x < 0 || x > ICMP6_ERROR_MAX_QUOTE) throw invalidArg('extraHeaders', `an integer 0..${ICMP6_ERROR_MAX_QUOTE}`, x);
}

/**
 * Writes the error at `b[o]` and returns its length (icmp6ErrorLength).
 * Checksum 0; every other byte written. Throws ERR_INVALID_ARG on a bad spec.
 */
export function writeIcmp6Error(b: Uint8Array, o: number, e: Icmp6ErrorSpec): number {
  checkSpec(e);
  const q = icmp6ErrorQuoteLength(e.invoking.length, e.extraHeaders ?? 0);
  b[o] = e.type;
  b[o + 1] = e.code;
  b[o + 2] = 0;
  b[o + 3] = 0;
  put32(b, o + 4, e.param);
  b.set(e.invoking.subarray(0, q), o + ICMP6_ERROR_HEADER_LEN);
  return ICMP6_ERROR_HEADER_LEN + q;
}

/**
 * A new ICMPv6 error message quoting as much of `invoking` as fits in 1280
 * octets with its IPv6 header (RFC 4443 §2.4 c): a 2000-octet invoking packet
 * yields a 1240-octet message, a 52-octet one is quoted whole. Checksum 0.
 */
export function emitIcmp6Error(e: Icmp6ErrorSpec): Uint8Array {
  checkSpec(e);
  const m = new Uint8Array(icmp6ErrorLength(e));
  writeIcmp6Error(m, 0, e);
  return m;
}

/**
 * Parses an ICMPv6 error message (Type onwards). Null when shorter than
 * ICMP6_ERROR_MIN_LENGTH (no whole invoking IPv6 header) or when the Type is
 * informational (≥ 128, RFC 4443 §2.1). Unknown error types parse too: §2.4 b
 * passes them up by the invoking packet like the known ones. The checksum is
 * not verified here (the hot path has). `invoking` is a copy.
 */
export function parseIcmp6Error(m: Uint8Array): Icmp6Error | null {
  if (m.length < ICMP6_ERROR_MIN_LENGTH) return null;
  if (!isIcmp6ErrorType(m[0])) return null;
  return { type: m[0], code: m[1], param: u32(m, 4), invoking: m.slice(ICMP6_ERROR_HEADER_LEN) };
}
