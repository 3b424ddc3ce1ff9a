// ICMP for IPv4 (RFC 792): Echo and Echo Reply, Destination Unreachable and
// Time Exceeded, with the checksum (RFC 1071 over the whole message; ICMPv4
// has no pseudo-header). Records start at the ICMP Type (after the IPv4
// header); emit writes every byte and fills in the checksum.
//
// Echo / Echo Reply (types 8 / 0):
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Identifier          |        Sequence Number        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Data ...
//  +-+-+-+-+-
//
// Destination Unreachable / Time Exceeded (types 3 / 11):
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             unused            |  Next-Hop MTU (type 3 code 4) |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      Internet Header + 64 bits of Original Data Datagram      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// How much of the invoking datagram an error quotes: RFC 792 asks for its
// header and the first 64 bits of its data; RFC 1812 §4.3.2.3 allows as
// much as keeps the error datagram within 576 octets, and RFC 1122 §3.2.2
// notes that "more than 64 bits" may be sent. Linux quotes up to 576 − 20 −
// 8 = 548 octets (net/ipv4/icmp.c __icmp_send: `room = min(mtu, 576) −
// sizeof(iphdr) − options − sizeof(icmphdr)`), so that is the default here;
// `quote: 'rfc792'` gives the minimal IHL·4 + 8.
//
// Not supported (parse returns null, RFC 1122 §3.2.2: an unknown type MUST be
// silently discarded): Source Quench (4, deprecated by RFC 6633), Redirect (5),
// Parameter Problem (12), Timestamp (13/14), Information and Address Mask
// (15–18, deprecated by RFC 6918), RFC 4884 multipart extensions.

import { invalidArg } from '../errors.js';
import { ipv4Checksum, IPV4_HEADER_LEN } from './ipv4.js';

export const ICMP4_ECHO_REPLY = 0; // RFC 792
export const ICMP4_DEST_UNREACH = 3; // RFC 792
export const ICMP4_ECHO_REQUEST = 8; // RFC 792
export const ICMP4_TIME_EXCEEDED = 11; // RFC 792

/** Type, Code, Checksum and the 32-bit rest-of-header (RFC 792). */
export const ICMP4_HEADER_LEN = 8;
/**
 * The shortest error parseIcmp4 accepts: the header and the invoking
 * datagram's 20-octet IPv4 header, without which it can be matched to nothing
 * (Linux icmp_unreach pulls sizeof(struct iphdr) and drops shorter ones).
 */
export const ICMP4_ERROR_MIN_LENGTH = ICMP4_HEADER_LEN + IPV4_HEADER_LEN;
/** The most an error quotes by default: 576 − 20 − 8 (RFC 1812 §4.3.2.3; Linux). */
export const ICMP4_ERROR_MAX_QUOTE = 576 - IPV4_HEADER_LEN - ICMP4_HEADER_LEN;

/** Destination Unreachable codes (RFC 792 0–5, RFC 1122 §3.2.2.1 6–12, RFC 1812 §5.2.7.1 13–15). */
export enum Icmp4UnreachCode {
  NET_UNREACHABLE = 0,
  HOST_UNREACHABLE = 1,
  PROTOCOL_UNREACHABLE = 2,
  /** No listener on the transport port (RFC 1122 §4.1.3.1 for UDP). */
  PORT_UNREACHABLE = 3,
  /** Fragmentation needed and DF set; carries the Next-Hop MTU (RFC 1191 §4). */
  FRAGMENTATION_NEEDED = 4,
  SOURCE_ROUTE_FAILED = 5,
  DEST_NETWORK_UNKNOWN = 6,
  DEST_HOST_UNKNOWN = 7,
  SOURCE_HOST_ISOLATED = 8,
  NET_ADMIN_PROHIBITED = 9,
  HOST_ADMIN_PROHIBITED = 10,
  NET_UNREACHABLE_FOR_TOS = 11,
  HOST_UNREACHABLE_FOR_TOS = 12,
  ADMIN_PROHIBITED = 13,
  HOST_PRECEDENCE_VIOLATION = 14,
  PRECEDENCE_CUTOFF = 15,
}

/** Time Exceeded codes (RFC 792). */
export enum Icmp4TimeExceededCode {
  TTL_EXCEEDED = 0,
  /** Fragment reassembly time exceeded (RFC 1122 §3.3.2). */
  REASSEMBLY = 1,
}

/** Echo or Echo Reply (RFC 792). */
export interface Icmp4Echo {
  type: typeof ICMP4_ECHO_REQUEST | typeof ICMP4_ECHO_REPLY;
  /** 0 (RFC 792); other values parse, and are echoed as received. */
  code: number;
  identifier: number;
  sequence: number;
  data: Uint8Array;
}

/** Destination Unreachable or Time Exceeded (RFC 792). */
export interface Icmp4Error {
  type: typeof ICMP4_DEST_UNREACH | typeof ICMP4_TIME_EXCEEDED;
  code: number;
  /** Next-Hop MTU of a Fragmentation Needed (type 3 code 4, RFC 1191 §4); 0 when the sender predates RFC 1191. */
  mtu?: number;
  /** The invoking datagram from its IPv4 header on (parse: what was quoted; emit: quoted from). */
  invoking: Uint8Array;
}

export type Icmp4Message = Icmp4Echo | Icmp4Error;

/** Why a message is unusable; each maps to a drop counter. */
export type Icmp4Drop =
  /** Shorter than 8 octets, or an error without a whole invoking IPv4 header. */
  | 'TRUNCATED'
  /** RFC 1122 §3.2.2 / RFC 792: the checksum over the message fails. */
  | 'CHECKSUM'
  /** A type not handled here: silently discarded (RFC 1122 §3.2.2). */
  | 'UNKNOWN_TYPE';

export const isIcmp4Error = (m: Icmp4Message): m is Icmp4Error => m.type === ICMP4_DEST_UNREACH || m.type === ICMP4_TIME_EXCEEDED;

/** Why `m` (an ICMPv4 message from its Type) is unusable, or null. */
export function checkIcmp4(m: Uint8Array): Icmp4Drop | null {
  if (m.length < ICMP4_HEADER_LEN) return 'TRUNCATED';
  if (ipv4Checksum(m) !== 0) return 'CHECKSUM';
  switch (m[0]) {
    case ICMP4_ECHO_REQUEST:
    case ICMP4_ECHO_REPLY:
      return null;
    case ICMP4_DEST_UNREACH:
    case ICMP4_TIME_EXCEEDED:
      return m.length < ICMP4_ERROR_MIN_LENGTH ? 'TRUNCATED' : null;
  }
  return 'UNKNOWN_TYPE';
}

/** Parses a message (Type onwards); null when checkIcmp4 refuses it. Data and invoking are copies. */
export function parseIcmp4(m: Uint8Array): Icmp4Message | null {
  if (checkIcmp4(m) !== null) return null;
  const type = m[0];
  if (type === ICMP4_ECHO_REQUEST || type === ICMP4_ECHO_REPLY) {
    return { type, code: m[1], identifier: (m[4] << 8) | m[5], sequence: (m[6] << 8) | m[7], data: m.slice(8) };
  }
  const e: Icmp4Error = { type: type as Icmp4Error['type'], code: m[1], invoking: m.slice(ICMP4_HEADER_LEN) };
  if (type === ICMP4_DEST_UNREACH && m[1] === Icmp4UnreachCode.FRAGMENTATION_NEEDED) e.mtu = (m[6] << 8) | m[7];
  return e;
}

/**
 * Octets of `invoking` an error quotes. 'rfc1812' (default): as much as keeps
 * the error datagram within 576 octets, 548 (RFC 1812 §4.3.2.3, Linux).
 * 'rfc792': the invoking IPv4 header (IHL·4) and 64 bits of its data.
 */
export function icmp4QuoteLength(invoking: Uint8Array, quote: 'rfc1812' | 'rfc792' = 'rfc1812'): number {
  if (quote === 'rfc792') {
    const hl = invoking.length > 0 ? Math.max(IPV4_HEADER_LEN, (invoking[0] & 0x0f) * 4) : IPV4_HEADER_LEN;
    return Math.min(invoking.length, hl + 8);
  }
  return Math.min(invoking.length, ICMP4_ERROR_MAX_QUOTE);
}

/** What emit takes: a message, and for errors how much to quote. */
export type Icmp4Spec = Icmp4Echo | (Icmp4Error & { quote?: 'rfc1812' | 'rfc792' });

/** Length of the message emit writes for `m`. */
export function icmp4Length(m: Icmp4Spec): number {
  if (isIcmp4Error(m)) return ICMP4_HEADER_LEN + icmp4QuoteLength(m.invoking, 'quote' in m ? m.quote : undefined);
  return ICMP4_HEADER_LEN + m.data.length;
}

function checkSpec(m: Icmp4Spec): void {
  const u16 = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw invalidArg(name, 'an integer 0..65535', v);
  };
  if (![ICMP4_ECHO_REQUEST, ICMP4_ECHO_REPLY, ICMP4_DEST_UNREACH, ICMP4_TIME_EXCEEDED].includes(m.type)) {
    throw invalidArg('type', 'one of 0, 3, 8, 11', m.type);
  }
  if (!Number.isInteger(m.code) || m.code < 0 || m.code > 255) throw invalidArg('code', 'an integer 0..255', m.code);
  if (isIcmp4Error(m)) {
    if (!(m.invoking instanceof Uint8Array)) throw invalidArg('invoking', 'a Uint8Array', m.invoking);
    if (m.mtu !== undefined) u16('mtu', m.mtu);
  } else {
    u16('identifier', m.identifier);
    u16('sequence', m.sequence);
    if (!(m.data instanceof Uint8Array)) throw invalidArg('data', 'a Uint8Array', m.data);
  }
}

/** Writes the message at `b[o..]` with its checksum; returns its length. Throws ERR_INVALID_ARG on a bad spec. */
export function writeIcmp4(b: Uint8Array, o: number, m: Icmp4Spec): number {
  checkSpec(m);
  const len = icmp4Length(m);
  b[o] = m.type;
  b[o + 1] = m.code;
  b[o + 2] = 0;
  b[o + 3] = 0;
  if (isIcmp4Error(m)) {
    // RFC 792: "unused" zero; RFC 1191 §4: the low 16 bits carry the Next-Hop MTU for code 4.
    const mtu = m.type === ICMP4_DEST_UNREACH && m.code === Icmp4UnreachCode.FRAGMENTATION_NEEDED ? (m.mtu ?? 0) : 0;
    b[o + 4] = 0;
    b[o + 5] = 0;
    b[o + 6] = mtu >>> 8;
    b[o + 7] = mtu & 0xff;
    b.set(m.invoking.subarray(0, len - ICMP4_HEADER_LEN), o + ICMP4_HEADER_LEN);
  } else {
    b[o + 4] = m.identifier >>> 8;
    b[o + 5] = m.identifier & 0xff;
    b[o + 6] = m.sequence >>> 8;
    b[o + 7] = m.sequence & 0xff;
    b.set(m.data, o + ICMP4_HEADER_LEN);
  }
  const c = ipv4Checksum(b.subarray(o, o + len));
  b[o + 2] = c >>> 8;
  b[o + 3] = c & 0xff;
  return len;
}

/** A new message with its checksum. */
export function emitIcmp4(m: Icmp4Spec): Uint8Array {
  checkSpec(m);
  const b = new Uint8Array(icmp4Length(m));
  writeIcmp4(b, 0, m);
  return b;
}

/**
 * The Echo Reply to an Echo Request (RFC 792: type 0, the same identifier,
 * sequence number and data). The code is echoed too, as Linux's icmp_echo
 * does (it copies the request's header); RFC 792 only ever sends 0.
 */
export function echoReplyTo(req: Icmp4Echo): Icmp4Echo {
  return { type: ICMP4_ECHO_REPLY, code: req.code, identifier: req.identifier, sequence: req.sequence, data: req.data };
}
