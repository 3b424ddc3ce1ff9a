// Internet Group Management Protocol messages: the IGMPv1/v2 8-octet messages
// (RFC 1112 Appendix I, RFC 2236 §2), the IGMPv3 Membership Query (RFC 3376
// §4.1) and the IGMPv3 Membership Report with its Group Records (RFC 3376
// §4.2). IGMP rides directly in IPv4 (protocol 2); the checksum is the
// Internet checksum over the whole IGMP message, no pseudo-header (RFC 3376
// §4.1.2, §4.2.2; RFC 1071), so emit fills it in and checkIgmp verifies it.
//
// Which Query version a message is depends only on its length and Max Resp
// Code (RFC 3376 §7.1): 8 octets and code 0 is IGMPv1, 8 octets and code > 0
// IGMPv2, ≥ 12 octets IGMPv3; anything else (9–11 octets) MUST be silently
// ignored (null here).
//
// IGMPv1/v2 (RFC 2236 §2), 8 octets; Query 0x11, v1 Report 0x12, v2 Report
// 0x16, Leave Group 0x17:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      Type     | Max Resp Time |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Group Address                         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// (IGMPv1, RFC 1112: Version 1 and Type 1 in the first octet = 0x11 / 0x12,
// the second octet unused = 0.)
//
// IGMPv3 Membership Query (RFC 3376 §4.1), 12 + 4·N octets:
//  |  Type = 0x11  | Max Resp Code |           Checksum            |
//  |                         Group Address                         |
//  | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
//  |                       Source Address [1..N]                   |
//
// IGMPv3 Membership Report (RFC 3376 §4.2), Type 0x22:
//  |  Type = 0x22  |    Reserved   |           Checksum            |
//  |           Reserved            |  Number of Group Records (M)  |
//  |                        Group Record [1..M]                    |
// Group Record (§4.2.4), 8 + 4·N + 4·Aux Data Len octets:
//  |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
//  |                       Multicast Address                       |
//  |                       Source Address [1..N]                   |
//  |                         Auxiliary Data                        |
//
// Record Types are those of MLDv2 (RFC 3376 §4.2.12 = RFC 3810 §5.2.12), so
// McastRecordType (./mcast-records.ts) is shared with MLDv2.
//
// IPv4 encapsulation (RFC 3376 §4): every IGMP message is sent with TTL 1,
// IP Precedence Internetwork Control (TOS 0xc0) and the Router Alert option
// (RFC 2113): see IGMP_TTL, IGMP_TOS, igmpIpHeaderOptions, emitIgmpDatagram.
//
// Not here: Auxiliary Data (none defined, §4.2.6: skipped on parse, never
// emitted); the IGMPv3 router side; DVMRP/mtrace types sharing protocol 2.

import { decodeFloat8, encodeFloat8, splitGroupRecords } from './mcast-records.js';
import { invalidArg } from '../errors.js';
import { McastRecordType } from './mcast-records.js';
import { emitIpv4, ip4Equal, ipv4Checksum, type Ip4 } from './ipv4.js';

export { McastRecordType };

/** IPv4 protocol number of IGMP (RFC 1112 Appendix I). */
export const IPPROTO_IGMP = 2;

export const IGMP_MEMBERSHIP_QUERY = 0x11; // RFC 3376 §4.1, RFC 2236 §2.1
export const IGMP_V1_MEMBERSHIP_REPORT = 0x12; // RFC 1112 Appendix I
export const IGMP_V2_MEMBERSHIP_REPORT = 0x16; // RFC 2236 §2.1
export const IGMP_V2_LEAVE_GROUP = 0x17; // RFC 2236 §2.1
export const IGMP_V3_MEMBERSHIP_REPORT = 0x22; // RFC 3376 §4.2

/** IGMPv1/v2 messages and the shortest IGMPv3 message header (RFC 2236 §2, RFC 3376 §4.2). */
export const IGMP_V2_LENGTH = 8;
export const IGMP_V3_QUERY_MIN_LENGTH = 12; // RFC 3376 §4.1, §7.1
export const IGMP_V3_REPORT_HEADER_LENGTH = 8; // RFC 3376 §4.2
export const IGMP_GROUP_RECORD_HEADER_LENGTH = 8; // RFC 3376 §4.2.4

/** Every IGMP message goes out with TTL 1 (RFC 3376 §4, RFC 2236 §2). */
export const IGMP_TTL = 1;
/** IP Precedence of Internetwork Control, "e.g., Type of Service 0xc0" (RFC 3376 §4). */
export const IGMP_TOS = 0xc0;
/** The IPv4 Router Alert option (RFC 2113 §2.1): type 0x94 (copied, class 0, number 20), length 4, value 0. */
export const ROUTER_ALERT_OPTION = 0x94;
/** What an IGMP packet carries in front of its message: IPv4 header (20) and Router Alert (4). */
export const IGMP_IP_OVERHEAD = 24;

/** 224.0.0.1 — all systems; never reported (RFC 3376 §5), General Queries go there (§4.1.12). */
export const ALL_SYSTEMS: Ip4 = Uint8Array.of(224, 0, 0, 1);
/** 224.0.0.2 — all routers, where IGMPv2 Leave Group messages go (RFC 2236 §3, §9). */
export const ALL_ROUTERS: Ip4 = Uint8Array.of(224, 0, 0, 2);
/** 224.0.0.22 — all IGMPv3-capable routers, where IGMPv3 Reports go (RFC 3376 §4.2.14). */
export const ALL_IGMPV3_ROUTERS: Ip4 = Uint8Array.of(224, 0, 0, 22);

/** One Group Record (§4.2.4); Aux Data Len is 0 on emit and skipped on parse. */
export interface IgmpGroupRecord {
  type: McastRecordType;
  group: Ip4;
  sources: Ip4[];
}

/** A Membership Query, any version. IGMPv1/v2 queries have S false, QRV 0, QQI 0 and no sources. */
export interface IgmpQuery {
  version: 1 | 2 | 3;
  /**
   * ms. IGMPv1: 10 000 (RFC 2236 §4: a Max Response Time of 0 "MUST be
   * interpreted as a value of 100 (10 seconds)"); IGMPv2: the field × 100
   * (tenths of a second, RFC 2236 §2.2); IGMPv3: Max Resp Code decoded × 100
   * (RFC 3376 §4.1.1).
   */
  maxResponseTime: number;
  /** 0.0.0.0 for a General Query (RFC 3376 §4.1.3). */
  group: Ip4;
  /** S flag, Suppress Router-Side Processing (§4.1.5); hosts ignore it. */
  suppressRouterSide: boolean;
  /** Querier's Robustness Variable (§4.1.6), 0 when above 7. */
  qrv: number;
  /** Querier's Query Interval in seconds, QQIC decoded (§4.1.7). */
  qqi: number;
  sources: Ip4[];
}

/** An IGMPv1 Report, IGMPv2 Report or Leave Group (RFC 2236 §2). */
export interface IgmpV2Message {
  type: typeof IGMP_V1_MEMBERSHIP_REPORT | typeof IGMP_V2_MEMBERSHIP_REPORT | typeof IGMP_V2_LEAVE_GROUP;
  group: Ip4;
}

/** Why a message is unusable; each maps to a drop counter in the stack. */
export type IgmpDrop =
  /** Shorter than 8 octets, or a Report whose records run past the end (RFC 3376 §4). */
  | 'TRUNCATED'
  /** The checksum fails: "the checksum MUST be verified before processing a packet" (RFC 3376 §4.1.2). */
  | 'CHECKSUM'
  /** A Query of 9–11 octets: "MUST be silently ignored" (RFC 3376 §7.1). */
  | 'QUERY_LENGTH'
  /** A type a host does not process: "silently ignored" (RFC 3376 §4.3). */
  | 'UNKNOWN_TYPE'
  /** A Query or Report naming a group address that is neither 0.0.0.0 (General Query) nor multicast. */
  | 'BAD_GROUP'
  /** TTL ≠ 1 (RFC 3376 §4 sends with TTL 1; FreeBSD's igmp_input refuses others — see validateIgmp). */
  | 'BAD_TTL'
  /** An IGMPv2/v3 Query without the Router Alert option (RFC 3376 §9.1: hosts SHOULD ignore it). */
  | 'NO_ROUTER_ALERT'
  /** A General Query not sent to 224.0.0.1 (RFC 3376 §9.1: hosts SHOULD ignore it). */
  | 'GENERAL_QUERY_DST';

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};
const isZero4 = (a: Ip4): boolean => (a[0] | a[1] | a[2] | a[3]) === 0;
const isMulticast4 = (a: Ip4): boolean => (a[0] & 0xf0) === 0xe0;

/** Writes the Internet checksum of the whole message into octets 2–3 (RFC 3376 §4.1.2). */
function fillChecksum(m: Uint8Array): Uint8Array {
  m[2] = 0;
  m[3] = 0;
  const c = ipv4Checksum(m);
  m[2] = c >>> 8;
  m[3] = c & 0xff;
  return m;
}

// --- Max Resp Code and QQIC (RFC 3376 §4.1.1, §4.1.7) ----------------------------------

/**
 * An 8-bit code → its value (RFC 3376 §4.1.1, §4.1.7): below 128 the code is
 * the value; otherwise |1|exp(3)|mant(4)| stands for (mant | 0x10) << (exp + 3).
 * Max Resp Code is in tenths of a second, QQIC in seconds.
 */
export const decodeIgmpCode = decodeFloat8;

/** The largest code whose value is ≤ `v` (so a time is never lengthened); saturates at 0xff (31744). */
export const encodeIgmpCode = encodeFloat8;

// --- check and parse --------------------------------------------------------------------

/**
 * Why `m` (an IGMP message, from its Type, bounded by the IPv4 Total Length)
 * is unusable as such, or null: length, checksum and, for Queries, the
 * version-by-length rule. Types other than Query and the four Reports give
 * UNKNOWN_TYPE (§4.3).
 */
export function checkIgmp(m: Uint8Array): IgmpDrop | null {
  if (m.length < IGMP_V2_LENGTH) return 'TRUNCATED';
  if (ipv4Checksum(m) !== 0) return 'CHECKSUM';
  switch (m[0]) {
    case IGMP_MEMBERSHIP_QUERY:
      if (m.length > IGMP_V2_LENGTH && m.length < IGMP_V3_QUERY_MIN_LENGTH) return 'QUERY_LENGTH';
      if (m.length >= IGMP_V3_QUERY_MIN_LENGTH && m.length < IGMP_V3_QUERY_MIN_LENGTH + 4 * u16(m, 10)) return 'TRUNCATED';
      return null;
    case IGMP_V1_MEMBERSHIP_REPORT:
    case IGMP_V2_MEMBERSHIP_REPORT:
    case IGMP_V2_LEAVE_GROUP:
      return null;
    case IGMP_V3_MEMBERSHIP_REPORT:
      return parseIgmpv3Report(m) === null ? 'TRUNCATED' : null;
  }
  return 'UNKNOWN_TYPE';
}

/**
 * A Membership Query (Type 0x11), any version, by length (RFC 3376 §7.1).
 * Null when the length is 9–11 octets or too short for its Number of
 * Sources. The checksum is not looked at (checkIgmp does); octets past the
 * sources (Additional Data, §4.1.10) and the v1/v2 octets past 8 are ignored
 * — except that 9–11 octets is not a Query of any version.
 */
export function parseIgmpQuery(m: Uint8Array): IgmpQuery | null {
  if (m.length < IGMP_V2_LENGTH || m[0] !== IGMP_MEMBERSHIP_QUERY) return null;
  if (m.length === IGMP_V2_LENGTH) {
    const v1 = m[1] === 0;
    return {
      version: v1 ? 1 : 2,
      maxResponseTime: v1 ? 10_000 : m[1] * 100,
      group: m.slice(4, 8),
      suppressRouterSide: false,
      qrv: 0,
      qqi: 0,
      sources: [],
    };
  }
  if (m.length < IGMP_V3_QUERY_MIN_LENGTH) return null;
  const n = u16(m, 10);
  if (m.length < IGMP_V3_QUERY_MIN_LENGTH + 4 * n) return null;
  const sources: Ip4[] = [];
  for (let k = 0, o = IGMP_V3_QUERY_MIN_LENGTH; k < n; k++, o += 4) sources.push(m.slice(o, o + 4));
  return {
    version: 3,
    maxResponseTime: decodeIgmpCode(m[1]) * 100,
    group: m.slice(4, 8),
    suppressRouterSide: (m[8] & 0x08) !== 0,
    qrv: m[8] & 0x07,
    qqi: decodeIgmpCode(m[9]),
    sources,
  };
}

/** An IGMPv1 Report, IGMPv2 Report or Leave Group (0x12, 0x16, 0x17), ≥ 8 octets; extra octets ignored. */
export function parseIgmpV2Message(m: Uint8Array): IgmpV2Message | null {
  if (m.length < IGMP_V2_LENGTH) return null;
  if (m[0] !== IGMP_V1_MEMBERSHIP_REPORT && m[0] !== IGMP_V2_MEMBERSHIP_REPORT && m[0] !== IGMP_V2_LEAVE_GROUP) return null;
  return { type: m[0] as IgmpV2Message['type'], group: m.slice(4, 8) };
}

/**
 * An IGMPv3 Report (Type 0x22): its records, or null when a record (header,
 * sources or auxiliary data) runs past the end. Records of unknown types are
 * skipped (RFC 3376 §4.2.12: unrecognized Record Type values MUST be
 * silently ignored).
 */
export function parseIgmpv3Report(m: Uint8Array): IgmpGroupRecord[] | null {
  if (m.length < IGMP_V3_REPORT_HEADER_LENGTH || m[0] !== IGMP_V3_MEMBERSHIP_REPORT) return null;
  const count = u16(m, 6);
  const records: IgmpGroupRecord[] = [];
  let o = IGMP_V3_REPORT_HEADER_LENGTH;
  for (let r = 0; r < count; r++) {
    if (o + IGMP_GROUP_RECORD_HEADER_LENGTH > m.length) return null;
    const type = m[o];
    const aux = m[o + 1] * 4; // §4.2.6: in units of 32-bit words
    const n = u16(m, o + 2);
    const end = o + IGMP_GROUP_RECORD_HEADER_LENGTH + 4 * n + aux;
    if (end > m.length) return null;
    if (type >= McastRecordType.MODE_IS_INCLUDE && type <= McastRecordType.BLOCK_OLD_SOURCES) {
      const sources: Ip4[] = [];
      for (let k = 0, s = o + IGMP_GROUP_RECORD_HEADER_LENGTH; k < n; k++, s += 4) sources.push(m.slice(s, s + 4));
      records.push({ type, group: m.slice(o + 4, o + 8), sources });
    }
    o = end;
  }
  return records;
}

// --- receive validation ------------------------------------------------------------------

/** What validateIgmp needs from the IPv4 header the message came in. */
export interface IgmpIpInfo {
  ttl: number;
  dst: Ip4;
  /** The header carried a Router Alert option (see hasRouterAlert). */
  routerAlert: boolean;
}

/** Which of the optional receive checks apply (all on by default). */
export interface IgmpValidatePolicy {
  /** Refuse any IGMP message with TTL ≠ 1 (FreeBSD's rule; RFC 3376 has no receive MUST). Default true. */
  requireTtl1?: boolean;
  /** Ignore IGMPv2/v3 Queries without Router Alert (RFC 3376 §9.1 SHOULD). Default true. */
  requireRouterAlert?: boolean;
  /** Ignore General Queries not sent to 224.0.0.1 (RFC 3376 §9.1 SHOULD). Default true. */
  requireAllSystemsForGeneral?: boolean;
}

/**
 * Why a host should drop `msg` (an IGMP message, from its Type, bounded by
 * Total Length) received in an IPv4 datagram described by `ip`, or null.
 *
 * The RFC 3376 text this enforces: §4.1.2 (checksum MUST be verified), §7.1
 * (a Query of another length MUST be silently ignored), §4.3 (other types
 * silently ignored), §9.1 (hosts SHOULD ignore IGMPv2/v3 Queries without
 * Router Alert and General Queries of any version not sent to 224.0.0.1).
 * IGMPv1 Queries predate Router Alert (RFC 1112) and are not held to it.
 *
 * TTL: RFC 3376 §4 and RFC 2236 §2 make senders use TTL 1, but neither says a
 * receiver must check it, and Linux's igmp_rcv does not. FreeBSD's igmp_input
 * drops every IGMP message with TTL ≠ 1 ("IGMP control traffic is
 * link-scope"); we do the same by default (policy.requireTtl1), since no
 * conforming sender produces anything else. It is no proof of on-link
 * origin (unlike ND's 255): §9.1's Router Alert and destination rules are
 * what the RFC relies on.
 *
 * Query destinations other than 224.0.0.1 (group-specific queries to the
 * group, or a unicast query to us) are accepted: §4.1.12 "a system MUST
 * accept and process any Query whose IP Destination Address field contains
 * any of the addresses ... assigned to the interface"; which addresses those
 * are is the stack's filter, not this function's.
 */
export function validateIgmp(ip: IgmpIpInfo, msg: Uint8Array, policy: IgmpValidatePolicy = {}): IgmpDrop | null {
  const bad = checkIgmp(msg);
  if (bad !== null) return bad;
  if ((policy.requireTtl1 ?? true) && ip.ttl !== IGMP_TTL) return 'BAD_TTL';
  if (msg[0] === IGMP_MEMBERSHIP_QUERY) {
    const group = msg.subarray(4, 8);
    const general = isZero4(group);
    if (!general && !isMulticast4(group)) return 'BAD_GROUP';
    const v1 = msg.length === IGMP_V2_LENGTH && msg[1] === 0;
    if (!v1 && (policy.requireRouterAlert ?? true) && !ip.routerAlert) return 'NO_ROUTER_ALERT';
    if (general && (policy.requireAllSystemsForGeneral ?? true) && !ip4Equal(ip.dst, ALL_SYSTEMS)) return 'GENERAL_QUERY_DST';
    return null;
  }
  if (msg[0] !== IGMP_V3_MEMBERSHIP_REPORT && !isMulticast4(msg.subarray(4, 8))) return 'BAD_GROUP';
  return null;
}

/**
 * Whether an IPv4 options area (IHL·4 − 20 octets, as Ipv4Header.options)
 * holds a Router Alert option (RFC 2113). Walks the TLVs: End of Option List
 * (0) stops, No Operation (1) is one octet, others are type/length/value; a
 * malformed length stops the walk (false unless found before it).
 */
export function hasRouterAlert(options: Uint8Array): boolean {
  let o = 0;
  while (o < options.length) {
    const t = options[o];
    if (t === 0) return false;
    if (t === 1) {
      o++;
      continue;
    }
    if (o + 1 >= options.length) return false;
    const len = options[o + 1];
    if (len < 2 || o + len > options.length) return false;
    if (t === ROUTER_ALERT_OPTION && len === 4) return true;
    o += len;
  }
  return false;
}

// --- emit ------------------------------------------------------------------------------

/** What a Query looks like on the wire; v3 fields are ignored for versions 1 and 2. */
export interface IgmpQuerySpec {
  version: 1 | 2 | 3;
  /** ms; rounded down to tenths of a second (v1 writes 0 whatever this says). */
  maxResponseTime: number;
  group: Ip4;
  suppressRouterSide?: boolean;
  qrv?: number;
  qqi?: number; // seconds
  sources?: Ip4[];
}

function checkIp4(name: string, a: unknown): void {
  if (!(a instanceof Uint8Array) || a.length !== 4) throw invalidArg(name, 'a 4-byte Uint8Array', a);
}

/** A Query with its checksum (tests and tools): 8 octets for versions 1 and 2, 12 + 4·N for version 3. */
export function emitIgmpQuery(q: IgmpQuerySpec): Uint8Array {
  checkIp4('group', q.group);
  const tenths = Math.max(0, Math.floor(q.maxResponseTime / 100));
  if (q.version !== 3) {
    const m = new Uint8Array(IGMP_V2_LENGTH);
    m[0] = IGMP_MEMBERSHIP_QUERY;
    m[1] = q.version === 1 ? 0 : Math.min(0xff, Math.max(1, tenths));
    m.set(q.group, 4);
    return fillChecksum(m);
  }
  const sources = q.sources ?? [];
  sources.forEach((s, k) => checkIp4(`sources[${k}]`, s));
  const m = new Uint8Array(IGMP_V3_QUERY_MIN_LENGTH + 4 * sources.length);
  m[0] = IGMP_MEMBERSHIP_QUERY;
  m[1] = encodeIgmpCode(tenths);
  m.set(q.group, 4);
  m[8] = (q.suppressRouterSide ? 0x08 : 0) | ((q.qrv ?? 0) & 0x07);
  m[9] = encodeIgmpCode(q.qqi ?? 0);
  put16(m, 10, sources.length);
  sources.forEach((s, k) => m.set(s, IGMP_V3_QUERY_MIN_LENGTH + 4 * k));
  return fillChecksum(m);
}

/** An IGMPv1 Report (0x12), IGMPv2 Report (0x16) or Leave Group (0x17) for `group`, Max Resp Time 0, with its checksum. */
export function emitIgmpV2Message(type: IgmpV2Message['type'], group: Ip4): Uint8Array {
  if (type !== IGMP_V1_MEMBERSHIP_REPORT && type !== IGMP_V2_MEMBERSHIP_REPORT && type !== IGMP_V2_LEAVE_GROUP) {
    throw invalidArg('type', 'one of 0x12, 0x16, 0x17', type);
  }
  checkIp4('group', group);
  const m = new Uint8Array(IGMP_V2_LENGTH);
  m[0] = type;
  m.set(group, 4);
  return fillChecksum(m);
}

/** Octets of one record on the wire (Aux Data Len 0). */
export const igmpGroupRecordLength = (r: IgmpGroupRecord): number => IGMP_GROUP_RECORD_HEADER_LENGTH + 4 * r.sources.length;

export function igmpv3ReportLength(records: IgmpGroupRecord[]): number {
  return records.reduce((n, r) => n + igmpGroupRecordLength(r), IGMP_V3_REPORT_HEADER_LENGTH);
}

/** An IGMPv3 Report carrying `records` (at most 65535; split by MTU with splitIgmpRecords), with its checksum. */
export function emitIgmpv3Report(records: IgmpGroupRecord[]): Uint8Array {
  if (records.length > 0xffff) throw invalidArg('records', 'at most 65535 records', records.length);
  const m = new Uint8Array(igmpv3ReportLength(records));
  m[0] = IGMP_V3_MEMBERSHIP_REPORT;
  put16(m, 6, records.length);
  let o = IGMP_V3_REPORT_HEADER_LENGTH;
  for (const r of records) {
    checkIp4('group', r.group);
    m[o] = r.type;
    m[o + 1] = 0; // Aux Data Len: RFC 3376 §4.2.6, IGMPv3 defines no auxiliary data
    put16(m, o + 2, r.sources.length);
    m.set(r.group, o + 4);
    o += IGMP_GROUP_RECORD_HEADER_LENGTH;
    for (const s of r.sources) {
      checkIp4('source', s);
      m.set(s, o);
      o += 4;
    }
  }
  return fillChecksum(m);
}

/**
 * Packs records into Reports that each fit a packet of `mtu` octets (IPv4
 * header with Router Alert, Report header, records), in order. A record too
 * big for one Report alone is split as RFC 3376 §4.2.16 says: EXCLUDE-type
 * records (MODE_IS_EXCLUDE, CHANGE_TO_EXCLUDE_MODE) keep as many sources as
 * fit and drop the rest; the others become several records with disjoint
 * subsets of the sources.
 */
export function splitIgmpRecords(records: IgmpGroupRecord[], mtu: number): IgmpGroupRecord[][] {
  const room = mtu - IGMP_IP_OVERHEAD - IGMP_V3_REPORT_HEADER_LENGTH;
  const perRecord = Math.floor((room - IGMP_GROUP_RECORD_HEADER_LENGTH) / 4);
  if (perRecord < 0) throw invalidArg('mtu', 'room for one Group Record', mtu);
  return splitGroupRecords(records, room, perRecord, igmpGroupRecordLength);
}

// --- IPv4 encapsulation (RFC 3376 §4) -----------------------------------------------------

/** The options area of every IGMP packet: Router Alert, value 0 "Router shall examine packet" (RFC 2113 §2.1). A new copy. */
export function igmpIpHeaderOptions(): Uint8Array {
  return Uint8Array.of(ROUTER_ALERT_OPTION, 4, 0, 0);
}

/**
 * A whole IPv4 datagram carrying `message`: TTL 1, TOS 0xc0, Router Alert,
 * protocol 2, DF clear (RFC 3376 §4). `src` may be 0.0.0.0 before the host has
 * an address (§4.2.13). `identification` is the caller's (0 by default).
 */
export function emitIgmpDatagram(src: Ip4, dst: Ip4, message: Uint8Array, identification = 0): Uint8Array {
  return emitIpv4(
    { tos: IGMP_TOS, ttl: IGMP_TTL, protocol: IPPROTO_IGMP, src, dst, identification, options: igmpIpHeaderOptions() },
    message,
  );
}
