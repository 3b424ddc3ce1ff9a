// Multicast Listener Discovery messages: MLDv1 Query, Report and Done
// (RFC 2710 §3), the MLDv2 Query (RFC 3810 §5.1) and the MLDv2 Report with its
// Multicast Address Records (RFC 3810 §5.2). Records are parsed from the
// ICMPv6 message (Type onwards); emit writes every byte, the checksum left 0
// for the caller. Which Query version a message is depends only on its
// ICMPv6 length (RFC 3810 §8.1): 24 octets MLDv1, ≥ 28 MLDv2, anything else
// is ignored (null here).
//
// MLDv1 (RFC 2710 §3), 24 octets; Query 130, Report 131, Done 132:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Maximum Response Delay    |          Reserved             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                  Multicast Address (128 bits)                 |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// MLDv2 Query (RFC 3810 §5.1), 28 + 16·N octets:
//  |  Type = 130   |      Code     |           Checksum            |
//  |    Maximum Response Code      |           Reserved            |
//  |                  Multicast Address (128 bits)                 |
//  | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
//  |                  Source Address [1..N] (128 bits each)        |
//
// MLDv2 Report (RFC 3810 §5.2), Type 143:
//  |  Type = 143   |    Reserved   |           Checksum            |
//  |           Reserved            |Nr of Mcast Address Records (M)|
//  |                  Multicast Address Record [1..M]              |
// Multicast Address Record (§5.2.4), 20 + 16·N + 4·Aux Data Len octets:
//  |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
//  |                  Multicast Address (128 bits)                 |
//  |                  Source Address [1..N]                        |
//  |                  Auxiliary Data                               |

import type { Ip6 } from './address.js';
import { McastRecordType, decodeFloat8, encodeFloat8, splitGroupRecords } from './mcast-records.js';

export const MLD_QUERY = 130; // RFC 2710 §3, RFC 3810 §5.1
export const MLD_V1_REPORT = 131; // RFC 2710 §3
export const MLD_V1_DONE = 132; // RFC 2710 §3
export const MLD_V2_REPORT = 143; // RFC 3810 §5.2

export const MLD_V1_LENGTH = 24; // RFC 2710 §3
export const MLD_V2_QUERY_MIN_LENGTH = 28; // RFC 3810 §5.1, §8.1
export const MLD_V2_REPORT_HEADER_LENGTH = 8; // RFC 3810 §5.2
export const MCAST_RECORD_HEADER_LENGTH = 20; // RFC 3810 §5.2.4
/** What an MLDv2 Report carries in front of its ICMPv6 message: IPv6 header (40) and a Hop-by-Hop header with Router Alert (8, RFC 3810 §5). */
export const MLD_V2_REPORT_IP_OVERHEAD = 40 + 8;

/** ff02::16 — all MLDv2-capable routers, where MLDv2 Reports go (RFC 3810 §5.2.14). */
export const ALL_MLDV2_ROUTERS: Ip6 = Uint8Array.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);

export { McastRecordType };

/** One Multicast Address Record (§5.2.4); Aux Data Len is always 0 on emit and skipped on parse. */
export interface McastRecord {
  type: McastRecordType;
  group: Ip6;
  sources: Ip6[];
}

/** A Query, either version. MLDv1 queries have S false, QRV 0, QQI 0 and no sources. */
export interface MldQuery {
  version: 1 | 2;
  /** ms: the v1 field as is, or the v2 Maximum Response Code decoded (§5.1.3). */
  maxResponseDelay: number;
  /** All zeros for a General Query (§5.1.5). */
  group: Ip6;
  /** S flag, Suppress Router-Side Processing (§5.1.7); hosts ignore it. */
  suppressRouterSide: boolean;
  /** Querier's Robustness Variable (§5.1.8), 0 when above 7. */
  qrv: number;
  /** Querier's Query Interval in seconds, QQIC decoded (§5.1.9). */
  qqi: number;
  sources: Ip6[];
}

/** An MLDv1 Report or Done (RFC 2710 §3). */
export interface Mldv1Message {
  type: typeof MLD_V1_REPORT | typeof MLD_V1_DONE;
  group: Ip6;
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

// --- Maximum Response Code and QQIC (RFC 3810 §5.1.3, §5.1.9) ---------------------------

/**
 * Maximum Response Code → Maximum Response Delay in ms (§5.1.3): below 32768
 * the code is the delay; otherwise |1|exp(3)|mant(12)| stands for
 * (mant | 0x1000) << (exp + 3).
 */
export function decodeMaxRespCode(code: number): number {
  if (code < 0x8000) return code;
  const exp = (code >> 12) & 0x7;
  const mant = code & 0x0fff;
  return (mant | 0x1000) * 2 ** (exp + 3);
}

/** The largest code whose delay is ≤ `ms` (so a delay is never lengthened); saturates at 0xffff. */
export function encodeMaxRespCode(ms: number): number {
  const d = Math.max(0, Math.floor(ms));
  if (d < 0x8000) return d;
  for (let exp = 0; exp < 8; exp++) {
    const m = Math.floor(d / 2 ** (exp + 3));
    if (m < 0x2000) return 0x8000 | (exp << 12) | (m & 0x0fff);
  }
  return 0xffff;
}

/** Querier's Query Interval Code → seconds (§5.1.9): below 128 as is; otherwise |1|exp(3)|mant(4)| = (mant | 0x10) << (exp + 3). */
export const decodeQqic = decodeFloat8;

/** The largest QQIC whose interval is ≤ `seconds`; saturates at 0xff. */
export const encodeQqic = encodeFloat8;

// --- parse -----------------------------------------------------------------------------

/**
 * A Query (Type 130), either version. Null when the length is neither 24 nor
 * ≥ 28 (RFC 3810 §8.1: e.g. 26 octets MUST be silently ignored) or when the
 * message is too short for its Number of Sources. Octets past the sources
 * (Additional Data) are ignored.
 */
export function parseMldQuery(m: Uint8Array): MldQuery | null {
  if (m.length < MLD_V1_LENGTH || m[0] !== MLD_QUERY) return null;
  if (m.length === MLD_V1_LENGTH) {
    return { version: 1, maxResponseDelay: u16(m, 4), group: m.slice(8, 24), suppressRouterSide: false, qrv: 0, qqi: 0, sources: [] };
  }
  if (m.length < MLD_V2_QUERY_MIN_LENGTH) return null;
  const n = u16(m, 26);
  if (m.length < MLD_V2_QUERY_MIN_LENGTH + 16 * n) return null;
  const sources: Ip6[] = [];
  for (let k = 0, o = MLD_V2_QUERY_MIN_LENGTH; k < n; k++, o += 16) sources.push(m.slice(o, o + 16));
  return {
    version: 2,
    maxResponseDelay: decodeMaxRespCode(u16(m, 4)),
    group: m.slice(8, 24),
    suppressRouterSide: (m[24] & 0x08) !== 0,
    qrv: m[24] & 0x07,
    qqi: decodeQqic(m[25]),
    sources,
  };
}

/** An MLDv1 Report or Done (Type 131, 132), ≥ 24 octets; extra octets ignored. */
export function parseMldv1Message(m: Uint8Array): Mldv1Message | null {
  if (m.length < MLD_V1_LENGTH || (m[0] !== MLD_V1_REPORT && m[0] !== MLD_V1_DONE)) return null;
  return { type: m[0] as Mldv1Message['type'], group: m.slice(8, 24) };
}

/**
 * An MLDv2 Report (Type 143): its records, or null when a record (header,
 * sources or auxiliary data) runs past the end. Records of unknown types are
 * skipped (§5.2.12: they MUST be ignored).
 */
export function parseMldv2Report(m: Uint8Array): McastRecord[] | null {
  if (m.length < MLD_V2_REPORT_HEADER_LENGTH || m[0] !== MLD_V2_REPORT) return null;
  const count = u16(m, 6);
  const records: McastRecord[] = [];
  let o = MLD_V2_REPORT_HEADER_LENGTH;
  for (let r = 0; r < count; r++) {
    if (o + MCAST_RECORD_HEADER_LENGTH > m.length) return null;
    const type = m[o];
    const aux = m[o + 1] * 4;
    const n = u16(m, o + 2);
    const end = o + MCAST_RECORD_HEADER_LENGTH + 16 * n + aux;
    if (end > m.length) return null;
    if (type >= McastRecordType.MODE_IS_INCLUDE && type <= McastRecordType.BLOCK_OLD_SOURCES) {
      const sources: Ip6[] = [];
      for (let k = 0, s = o + MCAST_RECORD_HEADER_LENGTH; k < n; k++, s += 16) sources.push(m.slice(s, s + 16));
      records.push({ type, group: m.slice(o + 4, o + 20), sources });
    }
    o = end;
  }
  return records;
}

// --- emit ------------------------------------------------------------------------------

/** What a Query looks like on the wire; v2 fields are ignored for version 1. */
export interface MldQuerySpec {
  version: 1 | 2;
  maxResponseDelay: number; // ms
  group: Ip6;
  suppressRouterSide?: boolean;
  qrv?: number;
  qqi?: number; // seconds
  sources?: Ip6[];
}

/** A Query (tests and tools): 24 octets for version 1, 28 + 16·N for version 2. */
export function emitMldQuery(q: MldQuerySpec): Uint8Array {
  if (q.version === 1) {
    const m = new Uint8Array(MLD_V1_LENGTH);
    m[0] = MLD_QUERY;
    put16(m, 4, Math.min(0xffff, Math.max(0, Math.floor(q.maxResponseDelay))));
    m.set(q.group, 8);
    return m;
  }
  const sources = q.sources ?? [];
  const m = new Uint8Array(MLD_V2_QUERY_MIN_LENGTH + 16 * sources.length);
  m[0] = MLD_QUERY;
  put16(m, 4, encodeMaxRespCode(q.maxResponseDelay));
  m.set(q.group, 8);
  m[24] = (q.suppressRouterSide ? 0x08 : 0) | ((q.qrv ?? 0) & 0x07);
  m[25] = encodeQqic(q.qqi ?? 0);
  put16(m, 26, sources.length);
  sources.forEach((s, k) => m.set(s, MLD_V2_QUERY_MIN_LENGTH + 16 * k));
  return m;
}

/** An MLDv1 Report (131) or Done (132) for `group` (RFC 2710 §3: Maximum Response Delay 0). */
export function emitMldv1Message(type: typeof MLD_V1_REPORT | typeof MLD_V1_DONE, group: Ip6): Uint8Array {
  const m = new Uint8Array(MLD_V1_LENGTH);
  m[0] = type;
  m.set(group, 8);
  return m;
}

/** Octets of one record on the wire (Aux Data Len 0). */
export const mcastRecordLength = (r: McastRecord): number => MCAST_RECORD_HEADER_LENGTH + 16 * r.sources.length;

export function mldv2ReportLength(records: McastRecord[]): number {
  return records.reduce((n, r) => n + mcastRecordLength(r), MLD_V2_REPORT_HEADER_LENGTH);
}

/** An MLDv2 Report carrying `records` (at most 65535; the caller splits by MTU with splitMcastRecords). */
export function emitMldv2Report(records: McastRecord[]): Uint8Array {
  const m = new Uint8Array(mldv2ReportLength(records));
  m[0] = MLD_V2_REPORT;
  put16(m, 6, records.length);
  let o = MLD_V2_REPORT_HEADER_LENGTH;
  for (const r of records) {
    m[o] = r.type;
    m[o + 1] = 0; // Aux Data Len: RFC 3810 §5.2.6, MLDv2 defines no auxiliary data
    put16(m, o + 2, r.sources.length);
    m.set(r.group, o + 4);
    o += MCAST_RECORD_HEADER_LENGTH;
    for (const s of r.sources) {
      m.set(s, o);
      o += 16;
    }
  }
  return m;
}

/**
 * Packs records into Reports that each fit a packet of `mtu` octets (IPv6
 * header, Hop-by-Hop Router Alert, Report header, records), in order. A
 * record too big for one Report on its own is split per RFC 3810 §5.2.15:
 * EXCLUDE-type records (MODE_IS_EXCLUDE, CHANGE_TO_EXCLUDE_MODE) keep as many
 * sources as fit and drop the rest; the others are split into several
 * records with disjoint subsets of the sources.
 */
export function splitMcastRecords(records: McastRecord[], mtu: number): McastRecord[][] {
  const room = mtu - MLD_V2_REPORT_IP_OVERHEAD - MLD_V2_REPORT_HEADER_LENGTH;
  const perRecord = Math.floor((room - MCAST_RECORD_HEADER_LENGTH) / 16);
  if (perRecord < 0) throw new RangeError(`MTU ${mtu} leaves no room for a Multicast Address Record`);
  return splitGroupRecords(records, room, perRecord, mcastRecordLength);
}
