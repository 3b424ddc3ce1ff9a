// What IGMPv3 Reports and Queries (RFC 3376) and MLDv2 ones (RFC 3810, derived
// from it) share on the wire: the 8-bit floating-point code (IGMPv3 Max Resp
// Code and QQIC, RFC 3376 §4.1.1 and §4.1.7; MLDv2 QQIC, RFC 3810 §5.1.9) and
// the packing of group records into Reports that fit the MTU (RFC 3376
// §4.2.16, RFC 3810 §5.2.15). The family modules give the sizes.

/** Multicast Address Record Types (RFC 3810 §5.2.12). */
export enum McastRecordType {
  /** Current State: filter mode INCLUDE, the sources listed. */
  MODE_IS_INCLUDE = 1,
  /** Current State: filter mode EXCLUDE, the sources listed. */
  MODE_IS_EXCLUDE = 2,
  /** Filter Mode Change: now INCLUDE the sources listed. */
  CHANGE_TO_INCLUDE_MODE = 3,
  /** Filter Mode Change: now EXCLUDE the sources listed. */
  CHANGE_TO_EXCLUDE_MODE = 4,
  /** Source List Change: these sources are now wanted. */
  ALLOW_NEW_SOURCES = 5,
  /** Source List Change: these sources are no longer wanted. */
  BLOCK_OLD_SOURCES = 6,
}

/** An 8-bit code → its value: below 128 the code itself; otherwise |1|exp(3)|mant(4)| = (mant | 0x10) << (exp + 3). */
export function decodeFloat8(code: number): number {
  if (code < 0x80) return code;
  return ((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}

/** The largest code whose value is ≤ `v` (a time is never lengthened); saturates at 0xff (31744). */
export function encodeFloat8(v: number): number {
  const d = Math.max(0, Math.floor(v));
  if (d < 0x80) return d;
  for (let exp = 0; exp < 8; exp++) {
    const m = Math.floor(d / 2 ** (exp + 3));
    if (m < 0x20) return 0x80 | (exp << 4) | (m & 0x0f);
  }
  return 0xff;
}

/**
 * Packs `records` into Reports whose records take at most `room` octets each,
 * in order, at most 65535 records a Report. A record with more sources than
 * `perRecord` is split as both RFCs say: EXCLUDE-type records
 * (MODE_IS_EXCLUDE, CHANGE_TO_EXCLUDE_MODE) keep as many sources as fit and
 * drop the rest; the others become several records with disjoint subsets.
 */
export function splitGroupRecords<R extends { type: number; sources: readonly unknown[] }>(
  records: readonly R[],
  room: number,
  perRecord: number,
  recordLength: (r: R) => number,
): R[][] {
  const pieces: R[] = [];
  for (const r of records) {
    if (r.sources.length <= perRecord) pieces.push(r);
    else if (r.type === McastRecordType.MODE_IS_EXCLUDE || r.type === McastRecordType.CHANGE_TO_EXCLUDE_MODE) {
      pieces.push({ ...r, sources: r.sources.slice(0, perRecord) });
    } else if (perRecord > 0) {
      for (let k = 0; k < r.sources.length; k += perRecord) pieces.push({ ...r, sources: r.sources.slice(k, k + perRecord) });
    }
  }
  const out: R[][] = [];
  let cur: R[] = [];
  let used = 0;
  for (const p of pieces) {
    const len = recordLength(p);
    if (cur.length && (used + len > room || cur.length === 0xffff)) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(p);
    used += len;
  }
  if (cur.length) out.push(cur);
  return out;
}
