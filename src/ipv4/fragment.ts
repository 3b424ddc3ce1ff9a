// IPv4 fragmentation (RFC 791 §2.3 "Fragmentation", §3.2 "Fragmentation and
// Reassembly" procedure; RFC 1122 §3.3.2).
//
//   original:    | header + all options | data ........................ |
//   fragment 0:  | header + all options | data[0, n0)                    |  MF = 1
//   fragment k:  | header + copied opts | data[ok, ok + nk)              |  MF = 1
//   last:        | header + copied opts | data[…, end)                   |  MF = original MF
//
// Every piece but the last holds a multiple of 8 octets (Fragment Offset
// counts 8-octet units); each fragment fits the MTU. The first fragment keeps
// every option; the others carry only options whose copied flag (the high
// bit of the option type) is set — RFC 791 §3.1 "copied flag … 1 = copied
// into all fragments" — laid out again and padded with End of Option List
// to a multiple of 4 (RFC 791 §3.2, the fragmentation procedure).
// Linux's ip_options_fragment instead overwrites the non-copied options with
// No Operation, keeping the header length; the result is the same datagram
// after reassembly and the compact form leaves more room for data.
//
// Identification, TOS, TTL, Protocol, addresses and DF are the original's;
// the reserved flag is written 0; each header gets its own checksum (RFC
// 1071). A datagram that is itself a fragment can be fragmented again (RFC
// 791 §2.3: "a fragment may be further fragmented"): offsets are relative to
// its own, and the last piece keeps its MF flag.
//
// Pieces are as large as the MTU allows, in order, the tail last (as Linux).
// RFC 791 §3.2: every module must pass 68 octets without further
// fragmentation — a 60-octet header leaves 8 octets of data, so any MTU ≥ 68
// fits every datagram; a smaller one is a programmer error.

import { invalidArg, WasagiError } from '../errors.js';
import {
  IP4_FLAG_DF, IP4_FLAG_MF, IP4_OFFSET_MASK, IPV4_HEADER_LEN, IP4_MAX_FRAGMENT_OFFSET, ipv4Checksum,
} from '../wire/ipv4.js';

/** Every IPv4 module forwards 68 octets unfragmented (RFC 791 §3.2, RFC 1122 §3.3.2 uses it as the floor). */
export const IPV4_MIN_MTU = 68;
/** Option types with no length octet (RFC 791 §3.1). */
const OPT_END = 0;
const OPT_NOP = 1;
/** The copied flag in an option type (RFC 791 §3.1). */
const OPT_COPIED = 0x80;

/**
 * The options of `options` (an IPv4 options area) that go into every
 * fragment but the first: those with the copied flag, in order, padded with
 * End of Option List (0) to a multiple of 4 (RFC 791 §3.1, §3.2). Throws
 * ERR_INVALID_ARG on a malformed option (length < 2 or past the end).
 */
export function copiedOptions(options: Uint8Array): Uint8Array {
  const kept: number[] = [];
  let o = 0;
  while (o < options.length) {
    const t = options[o];
    if (t === OPT_END) break;
    if (t === OPT_NOP) {
      o++;
      continue;
    }
    const len = o + 1 < options.length ? options[o + 1] : 0;
    if (len < 2 || o + len > options.length) throw invalidArg('datagram', 'well-formed IPv4 options', `option ${t} of length ${len} at ${o}`);
    if (t & OPT_COPIED) for (let k = 0; k < len; k++) kept.push(options[o + k]);
    o += len;
  }
  const out = new Uint8Array((kept.length + 3) & ~3);
  out.set(kept);
  return out;
}

/**
 * Splits `datagram` (a whole IPv4 datagram, Total Length matching its size)
 * into fragments of at most `mtu` octets (RFC 791). A datagram that fits is
 * returned as the only element, itself, not a copy. Throws:
 * - ERR_FRAGMENT_DF when it does not fit and DF is set (the caller sends
 *   Fragmentation Needed or reports EMSGSIZE, RFC 1191 §3);
 * - ERR_INVALID_ARG for mtu < 68, a malformed datagram (version, IHL, Total
 *   Length, options) or data that would end past the largest offset.
 */
export function fragmentIpv4(datagram: Uint8Array, mtu: number): Uint8Array[] {
  if (!(datagram instanceof Uint8Array)) throw invalidArg('datagram', 'a Uint8Array', datagram);
  if (!Number.isInteger(mtu) || mtu < IPV4_MIN_MTU) throw invalidArg('mtu', `an integer ≥ ${IPV4_MIN_MTU} (RFC 791 §3.2)`, mtu);
  const hl = datagram.length >= IPV4_HEADER_LEN ? (datagram[0] & 0x0f) * 4 : 0;
  if (datagram.length < IPV4_HEADER_LEN || datagram[0] >> 4 !== 4 || hl < IPV4_HEADER_LEN || hl > datagram.length) {
    throw invalidArg('datagram', 'an IPv4 datagram with a valid IHL', `${datagram.length} octets`);
  }
  if (((datagram[2] << 8) | datagram[3]) !== datagram.length) {
    throw invalidArg('datagram', 'an IPv4 datagram whose Total Length matches its size', `${datagram.length} octets`);
  }
  if (datagram.length <= mtu) return [datagram];
  const ff = (datagram[6] << 8) | datagram[7];
  if (ff & IP4_FLAG_DF) {
    throw new WasagiError('ERR_FRAGMENT_DF', `The datagram (${datagram.length} octets) has DF set and does not fit the ${mtu}-octet MTU`);
  }
  const baseOffset = (ff & IP4_OFFSET_MASK) * 8;
  const lastMore = (ff & IP4_FLAG_MF) !== 0;
  const laterOptions = copiedOptions(datagram.subarray(IPV4_HEADER_LEN, hl));
  const laterHl = IPV4_HEADER_LEN + laterOptions.length;
  const data = datagram.subarray(hl);
  if (data.length > 0 && baseOffset + ((data.length - 1) & ~7) > IP4_MAX_FRAGMENT_OFFSET) {
    throw invalidArg('datagram', 'data that ends within the 13-bit Fragment Offset', `offset ${baseOffset} + ${data.length}`);
  }

  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; ) {
    const first = off === 0;
    const fhl = first ? hl : laterHl;
    const maxPiece = ((mtu - fhl) >> 3) << 3; // RFC 791: a multiple of 8 octets, ≥ 8 since mtu ≥ 68 and fhl ≤ 60
    const n = Math.min(maxPiece, data.length - off);
    const last = off + n === data.length;
    const f = new Uint8Array(fhl + n);
    f.set(datagram.subarray(0, IPV4_HEADER_LEN));
    if (first) f.set(datagram.subarray(IPV4_HEADER_LEN, hl), IPV4_HEADER_LEN);
    else f.set(laterOptions, IPV4_HEADER_LEN);
    f[0] = 0x40 | (fhl >> 2);
    f[2] = f.length >> 8;
    f[3] = f.length & 0xff;
    const fff = (ff & IP4_FLAG_DF) | (!last || lastMore ? IP4_FLAG_MF : 0) | ((baseOffset + off) >> 3);
    f[6] = fff >> 8;
    f[7] = fff & 0xff;
    f[10] = 0;
    f[11] = 0;
    const c = ipv4Checksum(f.subarray(0, fhl));
    f[10] = c >> 8;
    f[11] = c & 0xff;
    f.set(data.subarray(off, off + n), fhl);
    out.push(f);
    off += n;
  }
  return out;
}
