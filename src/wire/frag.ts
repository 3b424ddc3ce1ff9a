// The IPv6 Fragment header (RFC 8200 §4.5), Next Header value 44.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Identification                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Fragment Offset: 13 bits, in 8-octet units, the offset of the data after
// this header relative to the start of the Fragmentable Part of the original
// packet. Reserved and Res: zero on transmission, ignored on reception. M: 1 =
// more fragments, 0 = last fragment. Identification: 32 bits.
//
// In the record the offset is in octets (the field × 8), which is what every
// user computes with; emit writes `offset >>> 3` in the 13-bit field. The
// record keeps no Reserved/Res bits: parse ignores them and emit writes zeros
// (RFC 8200 §4.5). Check (`fragmentHeaderFits`) first, then read unchecked.

/** Next Header value of the Fragment header (RFC 8200 §4.5). */
export const NH_FRAGMENT = 44;
/** The Fragment header is always 8 octets (RFC 8200 §4.5). */
export const FRAG_HEADER_LEN = 8;

/** Field offsets within the header. */
export const FRAG_NEXT_HEADER = 0;
export const FRAG_RESERVED = 1;
/** The 16 bits holding Fragment Offset (13), Res (2) and M (1); ICMPv6 Parameter Problem points here (RFC 8200 §4.5). */
export const FRAG_OFFSET_FIELD = 2;
export const FRAG_IDENTIFICATION = 4;

/** Mask of the Fragment Offset bits within the 16-bit field, which in octets is the field value itself. */
export const FRAG_OFFSET_MASK = 0xfff8;
/** The M flag within the 16-bit field. */
export const FRAG_M_FLAG = 0x0001;
/** Largest Fragment Offset in octets: 8191 × 8. */
export const FRAG_MAX_OFFSET = 0xfff8;

export interface FragmentHeader {
  /** The type of the header that follows (in the offset-0 fragment, the first header of the Fragmentable Part). */
  nextHeader: number;
  /** Fragment Offset in octets: a multiple of 8, 0..65528. */
  offset: number;
  /** M flag: more fragments follow. */
  more: boolean;
  /** Identification, an unsigned 32-bit integer. */
  identification: number;
}

/** Length check: does a Fragment header fit at `b[o..]`? */
export function fragmentHeaderFits(b: Uint8Array, o: number): boolean {
  return Number.isInteger(o) && o >= 0 && o + FRAG_HEADER_LEN <= b.length;
}

// Accessors — only after fragmentHeaderFits.
export const fragNextHeader = (b: Uint8Array, o: number): number => b[o];
/** Fragment Offset in octets. */
export const fragOffsetBytes = (b: Uint8Array, o: number): number => ((b[o + 2] << 8) | b[o + 3]) & FRAG_OFFSET_MASK;
export const fragMore = (b: Uint8Array, o: number): boolean => (b[o + 3] & FRAG_M_FLAG) !== 0;
export const fragIdentification = (b: Uint8Array, o: number): number =>
  ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;

/** Parses the Fragment header at `b[o..]`; null when it does not fit. */
export function parseFragmentHeader(b: Uint8Array, o: number): FragmentHeader | null {
  if (!fragmentHeaderFits(b, o)) return null;
  return { nextHeader: fragNextHeader(b, o), offset: fragOffsetBytes(b, o), more: fragMore(b, o), identification: fragIdentification(b, o) };
}

/** Length of the header, for symmetry with the other records. */
export function fragmentHeaderLength(): number {
  return FRAG_HEADER_LEN;
}

/**
 * Writes all 8 octets of a Fragment header at `b[o..]`; returns 8. Reserved
 * and Res are zero (RFC 8200 §4.5). `offset` is in octets; bits below 8 and
 * above 65528 do not fit the field and are not written (builders do not check).
 */
export function emitFragmentHeader(b: Uint8Array, o: number, h: FragmentHeader): number {
  const field = (h.offset & FRAG_OFFSET_MASK) | (h.more ? FRAG_M_FLAG : 0);
  const id = h.identification >>> 0;
  b[o] = h.nextHeader & 0xff;
  b[o + 1] = 0;
  b[o + 2] = field >> 8;
  b[o + 3] = field & 0xff;
  b[o + 4] = id >>> 24;
  b[o + 5] = (id >>> 16) & 0xff;
  b[o + 6] = (id >>> 8) & 0xff;
  b[o + 7] = id & 0xff;
  return FRAG_HEADER_LEN;
}
