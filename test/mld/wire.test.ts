// MLD message records (src/wire/mld.ts): golden bytes written out by hand from
// the diagrams of RFC 2710 §3 and RFC 3810 §5.1, §5.2; the Maximum Response
// Code and QQIC encodings (§5.1.3, §5.1.9); query version by length (§8.1);
// truncation; splitting records by MTU (§5.2.15).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6, parseIp6 } from '../../src/wire/address.js';
import {
  ALL_MLDV2_ROUTERS, MLD_V1_DONE, MLD_V1_REPORT, McastRecordType, decodeMaxRespCode, decodeQqic, emitMldQuery, emitMldv1Message,
  emitMldv2Report, encodeMaxRespCode, encodeQqic, mldv2ReportLength, parseMldQuery, parseMldv1Message, parseMldv2Report,
  splitMcastRecords, type McastRecord,
} from '../../src/wire/mld.js';

/** Bytes from a hex listing with spaces and line breaks. */
const hexBytes = (h: string): number[] => h.trim().split(/\s+/).map((x) => parseInt(x, 16));
const show = (r: McastRecord): { type: number; group: string; sources: string[] } => ({
  type: r.type,
  group: formatIp6(r.group),
  sources: r.sources.map((s) => formatIp6(s)),
});

const SRC1 = parseIp6('2001:db8::1');
const SRC2 = parseIp6('2001:db8::2');

// RFC 3810 §5.2: Type 143 | Reserved | Checksum (0) | Reserved (16) | Nr of Mcast Address Records = 2,
// then §5.2.4 records: Record Type | Aux Data Len (0) | Number of Sources | Multicast Address | Sources.
//  record 1: CHANGE_TO_EXCLUDE_MODE (4), ff05::1:3, no sources
//  record 2: MODE_IS_INCLUDE (1), ff3e::8000:1, sources 2001:db8::1, 2001:db8::2
const V2_REPORT_GOLDEN = hexBytes(`
  8f 00 00 00  00 00 00 02
  04 00 00 00
  ff 05 00 00  00 00 00 00  00 00 00 00  00 01 00 03
  01 00 00 02
  ff 3e 00 00  00 00 00 00  00 00 00 00  80 00 00 01
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 01
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 02
`);

const V2_RECORDS: McastRecord[] = [
  { type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: parseIp6('ff05::1:3'), sources: [] },
  { type: McastRecordType.MODE_IS_INCLUDE, group: parseIp6('ff3e::8000:1'), sources: [SRC1, SRC2] },
];

// RFC 2710 §3: Type | Code 0 | Checksum (0) | Maximum Response Delay (0 in Reports and Dones) | Reserved | Multicast Address.
const V1_REPORT_GOLDEN = hexBytes(`
  83 00 00 00  00 00 00 00
  ff 02 00 00  00 00 00 00  00 00 00 01  ff 00 12 34
`);
const V1_DONE_GOLDEN = hexBytes(`
  84 00 00 00  00 00 00 00
  ff 02 00 00  00 00 00 00  00 00 00 01  ff 00 12 34
`);

// RFC 2710 §3 General Query: Type 130, Maximum Response Delay 10000 ms (0x2710), Multicast Address ::.
const V1_QUERY_GOLDEN = hexBytes(`
  82 00 00 00  27 10 00 00
  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
`);

// RFC 3810 §5.1 Multicast Address and Source Specific Query: Maximum Response Code 0x9234
// (exp 1, mant 0x234: (0x1234 << 4) = 74560 ms, §5.1.3), ff05::1:3, Resv|S=1|QRV=2 = 0x0a,
// QQIC 0xa5 (exp 2, mant 5: (0x15 << 5) = 672 s, §5.1.9), N = 2, sources.
const V2_QUERY_GOLDEN = hexBytes(`
  82 00 00 00  92 34 00 00
  ff 05 00 00  00 00 00 00  00 00 00 00  00 01 00 03
  0a a5 00 02
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 01
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 02
`);

test('MLDv2 Report with two records: golden bytes (RFC 3810 §5.2, §5.2.4)', () => {
  const m = emitMldv2Report(V2_RECORDS);
  assert.deepEqual([...m], V2_REPORT_GOLDEN);
  assert.equal(mldv2ReportLength(V2_RECORDS), V2_REPORT_GOLDEN.length);
  assert.equal(V2_REPORT_GOLDEN.length, 8 + 20 + 20 + 2 * 16);
});

test('MLDv2 Report: parse the golden bytes back into the records', () => {
  const recs = parseMldv2Report(Uint8Array.from(V2_REPORT_GOLDEN));
  assert.ok(recs);
  assert.deepEqual(recs.map(show), V2_RECORDS.map(show));
});

test('MLDv1 Report and Done: golden bytes and parse (RFC 2710 §3)', () => {
  const g = parseIp6('ff02::1:ff00:1234');
  assert.deepEqual([...emitMldv1Message(MLD_V1_REPORT, g)], V1_REPORT_GOLDEN);
  assert.deepEqual([...emitMldv1Message(MLD_V1_DONE, g)], V1_DONE_GOLDEN);
  const r = parseMldv1Message(Uint8Array.from(V1_REPORT_GOLDEN));
  const d = parseMldv1Message(Uint8Array.from(V1_DONE_GOLDEN));
  assert.equal(r?.type, MLD_V1_REPORT);
  assert.equal(d?.type, MLD_V1_DONE);
  assert.equal(formatIp6(r!.group), 'ff02::1:ff00:1234');
  assert.equal(formatIp6(d!.group), 'ff02::1:ff00:1234');
  assert.equal(parseMldv1Message(Uint8Array.from(V1_REPORT_GOLDEN.slice(0, 23))), null, '23 octets: truncated');
  assert.equal(parseMldv1Message(Uint8Array.from(V1_QUERY_GOLDEN)), null, 'a Query is not a Report');
});

test('MLDv1 Query: exactly 24 octets is version 1, the delay in ms as is (RFC 3810 §8.1, RFC 2710 §3)', () => {
  const q = parseMldQuery(Uint8Array.from(V1_QUERY_GOLDEN));
  assert.ok(q);
  assert.equal(q.version, 1);
  assert.equal(q.maxResponseDelay, 10_000);
  assert.equal(formatIp6(q.group), '::');
  assert.deepEqual(q.sources, []);
  assert.deepEqual([...emitMldQuery({ version: 1, maxResponseDelay: 10_000, group: new Uint8Array(16) })], V1_QUERY_GOLDEN);
  // 0x9234 in a v1 query is a plain number of ms, not the exponential form
  const big = Uint8Array.from(V1_QUERY_GOLDEN);
  big[4] = 0x92;
  big[5] = 0x34;
  assert.equal(parseMldQuery(big)?.maxResponseDelay, 0x9234);
});

test('MLDv2 Query with sources: every field (RFC 3810 §5.1)', () => {
  const q = parseMldQuery(Uint8Array.from(V2_QUERY_GOLDEN));
  assert.ok(q);
  assert.equal(q.version, 2);
  assert.equal(q.maxResponseDelay, 74_560, 'Maximum Response Code 0x9234 → (0x1234 << 4) ms');
  assert.equal(formatIp6(q.group), 'ff05::1:3');
  assert.equal(q.suppressRouterSide, true);
  assert.equal(q.qrv, 2);
  assert.equal(q.qqi, 672, 'QQIC 0xa5 → (0x15 << 5) s');
  assert.deepEqual(q.sources.map((s) => formatIp6(s)), ['2001:db8::1', '2001:db8::2']);
  const again = emitMldQuery({ version: 2, maxResponseDelay: 74_560, group: q.group, suppressRouterSide: true, qrv: 2, qqi: 672, sources: q.sources });
  assert.deepEqual([...again], V2_QUERY_GOLDEN);
});

test('MLDv2 Query of exactly 28 octets: a General Query without sources', () => {
  const m = emitMldQuery({ version: 2, maxResponseDelay: 10_000, group: new Uint8Array(16), qrv: 7, qqi: 125 });
  assert.equal(m.length, 28);
  assert.deepEqual([...m.subarray(24, 28)], [0x07, 125, 0, 0]);
  const q = parseMldQuery(m);
  assert.ok(q);
  assert.equal(q.version, 2);
  assert.equal(q.maxResponseDelay, 10_000);
  assert.equal(q.suppressRouterSide, false);
  assert.equal(q.qrv, 7);
  assert.equal(q.qqi, 125);
  assert.equal(q.sources.length, 0);
});

test('Additional Data after the sources is ignored', () => {
  const m = new Uint8Array(V2_QUERY_GOLDEN.length + 8);
  m.set(V2_QUERY_GOLDEN);
  m.fill(0xee, V2_QUERY_GOLDEN.length);
  assert.equal(parseMldQuery(m)?.sources.length, 2);
});

test('Maximum Response Code (RFC 3810 §5.1.3): linear below 32768, then (mant | 0x1000) << (exp + 3)', () => {
  assert.equal(decodeMaxRespCode(0), 0);
  assert.equal(decodeMaxRespCode(0x7fff), 32767, 'largest linear code');
  assert.equal(decodeMaxRespCode(0x8000), 32768, 'exp 0, mant 0: continues where the linear range ends');
  assert.equal(decodeMaxRespCode(0x8001), 32776, 'exp 0: steps of 8 ms');
  assert.equal(decodeMaxRespCode(0x9000), 65536, 'exp 1, mant 0');
  assert.equal(decodeMaxRespCode(0xffff), 0x1fff << 10, 'largest: 8387584 ms');
  assert.equal(encodeMaxRespCode(32767), 0x7fff);
  assert.equal(encodeMaxRespCode(32768), 0x8000);
  assert.equal(encodeMaxRespCode(32775), 0x8000, 'rounds down: never a longer delay');
  assert.equal(encodeMaxRespCode(74_560), 0x9234);
  assert.equal(encodeMaxRespCode(1e9), 0xffff, 'saturates');
  for (let code = 0; code <= 0xffff; code++) {
    if (encodeMaxRespCode(decodeMaxRespCode(code)) !== code) assert.fail(`code 0x${code.toString(16)} does not round-trip`);
  }
});

test('QQIC (RFC 3810 §5.1.9): linear below 128, then (mant | 0x10) << (exp + 3)', () => {
  assert.equal(decodeQqic(125), 125);
  assert.equal(decodeQqic(0x7f), 127);
  assert.equal(decodeQqic(0x80), 128, 'exp 0, mant 0');
  assert.equal(decodeQqic(0x8f), 248, 'exp 0, mant 15: 31 << 3');
  assert.equal(decodeQqic(0xa5), 672);
  assert.equal(decodeQqic(0xff), 31 << 10, 'largest: 31744 s');
  assert.equal(encodeQqic(128), 0x80);
  assert.equal(encodeQqic(130), 0x80, 'rounds down');
  assert.equal(encodeQqic(1e9), 0xff);
  for (let code = 0; code <= 0xff; code++) assert.equal(encodeQqic(decodeQqic(code)), code, `QQIC 0x${code.toString(16)}`);
});

test('queries of length < 24 or 25–27 are ignored (RFC 3810 §8.1); a v2 query too short for its sources too', () => {
  const v1 = Uint8Array.from(V1_QUERY_GOLDEN);
  const v2 = Uint8Array.from(V2_QUERY_GOLDEN);
  for (let len = 0; len < 24; len++) assert.equal(parseMldQuery(v1.subarray(0, len)), null, `${len} octets`);
  for (const len of [25, 26, 27]) {
    const m = new Uint8Array(len);
    m.set(v2.subarray(0, len));
    assert.equal(parseMldQuery(m), null, `${len} octets`);
  }
  assert.ok(parseMldQuery(v2.subarray(0, 28 + 32)), 'complete');
  assert.equal(parseMldQuery(v2.subarray(0, 28 + 31)), null, 'one octet short of the second source');
  assert.equal(parseMldQuery(v2.subarray(0, 28 + 16)), null, 'N = 2 with one source');
  const notQuery = Uint8Array.from(V1_QUERY_GOLDEN);
  notQuery[0] = MLD_V1_REPORT;
  assert.equal(parseMldQuery(notQuery), null, 'type must be 130');
});

test('MLDv2 Report: a record count or source count larger than the message → null', () => {
  const m = Uint8Array.from(V2_REPORT_GOLDEN);
  for (let len = 0; len < m.length; len++) assert.equal(parseMldv2Report(m.subarray(0, len)), null, `${len} octets`);
  assert.equal(parseMldv2Report(m.subarray(0, 8 + 20)), null, 'count 2, one record present');
  const three = Uint8Array.from(m);
  three[7] = 3;
  assert.equal(parseMldv2Report(three), null, 'Nr of Mcast Address Records 3 with two present');
  const manySources = Uint8Array.from(m);
  manySources[8 + 20 + 3] = 3;
  assert.equal(parseMldv2Report(manySources), null, 'Number of Sources 3 with two present');
  const aux = Uint8Array.from(m);
  aux[8 + 20 + 1] = 1;
  assert.equal(parseMldv2Report(aux), null, 'Aux Data Len 1 (4 octets) past the end');
  const one = Uint8Array.from(m.subarray(0, 8 + 20));
  one[7] = 1;
  assert.equal(parseMldv2Report(one)?.length, 1, 'count 1 with one record');
});

test('MLDv2 Report: auxiliary data skipped, records of unknown type ignored (§5.2.12)', () => {
  const m = new Uint8Array(V2_REPORT_GOLDEN.length + 4);
  m.set(V2_REPORT_GOLDEN.slice(0, 8 + 20));
  m[8 + 1] = 1; // record 1 gets 4 octets of aux data
  m.set(V2_REPORT_GOLDEN.slice(8 + 20), 8 + 20 + 4);
  assert.deepEqual(parseMldv2Report(m)?.map(show), V2_RECORDS.map(show));
  const unknown = Uint8Array.from(V2_REPORT_GOLDEN);
  unknown[8] = 9;
  assert.deepEqual(parseMldv2Report(unknown)?.map(show), [show(V2_RECORDS[1])]);
});

test('splitMcastRecords: each Report fits the MTU with IPv6 (40), Hop-by-Hop (8) and Report (8) headers', () => {
  const recs = (n: number, type = McastRecordType.MODE_IS_EXCLUDE): McastRecord[] =>
    Array.from({ length: n }, (_, k) => ({ type, group: parseIp6(`ff05::${(k + 1).toString(16)}`), sources: [] }));
  // 1280 − 56 = 1224 octets = 61 records of 20
  assert.deepEqual(splitMcastRecords(recs(61), 1280).map((p) => p.length), [61]);
  assert.deepEqual(splitMcastRecords(recs(62), 1280).map((p) => p.length), [61, 1]);
  assert.deepEqual(splitMcastRecords(recs(130), 1500).map((p) => p.length), [72, 58]);
  const parts = splitMcastRecords(recs(130), 1280);
  assert.deepEqual(parts.flat().map(show), recs(130).map(show), 'order kept, nothing lost');
  for (const p of parts) assert.ok(40 + 8 + mldv2ReportLength(p) <= 1280);
  assert.equal(40 + 8 + mldv2ReportLength(parts[0]), 1276, 'as full as it gets');
  // the boundary: 62 records need 40 + 8 + 8 + 62 × 20 = 1296 octets
  assert.deepEqual(splitMcastRecords(recs(62), 1296).map((p) => p.length), [62]);
  assert.deepEqual(splitMcastRecords(recs(62), 1295).map((p) => p.length), [61, 1]);
  // with sources: 20 + 16 per source; two records of 10 sources are 360 octets
  const ten = Array.from({ length: 10 }, (_, k) => parseIp6(`2001:db8::${k + 1}`));
  const withSources = recs(4, McastRecordType.MODE_IS_INCLUDE).map((r) => ({ ...r, sources: ten }));
  assert.deepEqual(splitMcastRecords(withSources, 56 + 3 * 180).map((p) => p.length), [3, 1]);
  assert.deepEqual(splitMcastRecords(withSources, 56 + 3 * 180 - 1).map((p) => p.length), [2, 2]);
});

test('splitMcastRecords: an oversized record is split (INCLUDE-types) or truncated (EXCLUDE-types) (RFC 3810 §5.2.15)', () => {
  const sources = Array.from({ length: 100 }, (_, k) => parseIp6(`2001:db8::${(k + 1).toString(16)}`));
  const g = parseIp6('ff3e::1');
  // (1224 − 20) / 16 = 75 sources per record
  const inc = splitMcastRecords([{ type: McastRecordType.ALLOW_NEW_SOURCES, group: g, sources }], 1280);
  assert.deepEqual(inc.map((p) => p.map((r) => r.sources.length)), [[75], [25]]);
  assert.deepEqual(inc.flat().flatMap((r) => r.sources.map((s) => formatIp6(s))), sources.map((s) => formatIp6(s)));
  const exc = splitMcastRecords([{ type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: g, sources }], 1280);
  assert.deepEqual(exc.map((p) => p.map((r) => r.sources.length)), [[75]]);
  for (const p of [...inc, ...exc]) assert.ok(40 + 8 + mldv2ReportLength(p) <= 1280);
});

test('ff02::16 is the MLDv2 Reports destination (RFC 3810 §5.2.14)', () => {
  assert.equal(formatIp6(ALL_MLDV2_ROUTERS), 'ff02::16');
});
