// IGMP: the wire formats (src/wire/igmp.ts — golden bytes with checksums
// worked out by hand, RFC 3376 §4, RFC 2236 §2, version by length §7.1,
// Max Resp Code §4.1.1, receive validation §4.1.2/§7.1/§9.1) and the host
// (src/ipv4/igmp.ts): unsolicited reports and retransmissions (§5.1), query
// responses (§5.2 rules 1–5), IGMPv1/v2 compatibility modes (§7.2.1, RFC 2236
// §3), 224.0.0.1 never reported (§5). Virtual time: `now` numbers; random
// factors pinned one by one (an unpinned draw fails the test). A scapy
// cross-check of the Report when scapy is installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  DEFAULT_IGMP_MTU, IgmpHost, V2_UNSOLICITED_REPORT_INTERVAL, isIgmpReportable, type IgmpAction, type IgmpHostOptions,
} from '../../src/ipv4/igmp.js';
import { seededRandom } from '../../src/time/clock.js';
import { NEVER } from '../../src/time/instant.js';
import {
  ALL_IGMPV3_ROUTERS, ALL_SYSTEMS, IGMP_IP_OVERHEAD, IGMP_V1_MEMBERSHIP_REPORT, IGMP_V2_LEAVE_GROUP, IGMP_V2_MEMBERSHIP_REPORT,
  McastRecordType, checkIgmp, decodeIgmpCode, emitIgmpDatagram, emitIgmpQuery, emitIgmpV2Message, emitIgmpv3Report,
  encodeIgmpCode, hasRouterAlert, igmpIpHeaderOptions, parseIgmpQuery, parseIgmpV2Message, parseIgmpv3Report,
  splitIgmpRecords, validateIgmp, type IgmpGroupRecord, type IgmpIpInfo, type IgmpQuery, type IgmpQuerySpec,
} from '../../src/wire/igmp.js';
import { checkIpv4Header, formatIpv4, parseIpv4, parseIpv4Header, type Ip4 } from '../../src/wire/ipv4.js';
import { PY } from '../support/interop.js';

const hexBytes = (h: string): number[] => h.trim().split(/\s+/).flatMap((w) => w.match(/../g)!.map((x) => parseInt(x, 16)));
const IF = 1;
const G1 = parseIpv4('239.1.2.3');
const G2 = parseIpv4('224.0.0.251'); // mDNS: link-local groups are reported (only 224.0.0.1 is not)
const G3 = parseIpv4('232.1.1.1');
const GENERAL = parseIpv4('0.0.0.0');
const S1 = parseIpv4('192.0.2.10');
const S2 = parseIpv4('192.0.2.11');
const S3 = parseIpv4('192.0.2.12');
// RFC 3376 §8.12: RV 2 × QI 125 s + QRI 10 s
const OLDER_VERSION_QUERIER_PRESENT_TIMEOUT = 260_000;

// --- wire --------------------------------------------------------------------------------

test('golden: IGMPv2 Report and Leave for 239.1.2.3 (checksum by hand: ~(1600 + ef01 + 0203))', () => {
  assert.deepEqual([...emitIgmpV2Message(IGMP_V2_MEMBERSHIP_REPORT, G1)], hexBytes('16 00 f8fa ef010203'));
  // 1700 + ef01 + 0203 = 0x10804 → 0805 → f7fa
  assert.deepEqual([...emitIgmpV2Message(IGMP_V2_LEAVE_GROUP, G1)], hexBytes('17 00 f7fa ef010203'));
  assert.deepEqual(parseIgmpV2Message(emitIgmpV2Message(IGMP_V1_MEMBERSHIP_REPORT, G1)), { type: 0x12, group: G1 });
  assert.equal(parseIgmpV2Message(emitIgmpQuery({ version: 2, maxResponseTime: 1000, group: G1 })), null);
});

test('golden: IGMPv3 Report with one TO_EX {} record (checksum e8f9, as scapy computes it)', () => {
  const m = emitIgmpv3Report([{ type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: G1, sources: [] }]);
  assert.deepEqual([...m], hexBytes('22 00 e8f9 0000 0001  04 00 0000 ef010203'));
  assert.equal(checkIgmp(m), null);
});

test('IGMPv3 Report round trip with sources; unknown record types and aux data skipped; truncation', () => {
  const records: IgmpGroupRecord[] = [
    { type: McastRecordType.MODE_IS_INCLUDE, group: G1, sources: [S1, S2] },
    { type: McastRecordType.BLOCK_OLD_SOURCES, group: G3, sources: [S3] },
  ];
  const m = emitIgmpv3Report(records);
  assert.equal(m.length, 8 + 16 + 12);
  assert.deepEqual(parseIgmpv3Report(m), records);
  // a record of type 9 with 1 word of aux data between the two
  const odd = Uint8Array.from([...m.subarray(0, 8), ...hexBytes('09 01 0000 ef000001 deadbeef'), ...m.subarray(8)]);
  odd[7] = 3;
  assert.deepEqual(parseIgmpv3Report(odd), records);
  for (let n = 8; n < m.length; n++) assert.equal(parseIgmpv3Report(m.subarray(0, n)), null, `cut at ${n}`);
});

test('Query version by length and Max Resp Code (RFC 3376 §7.1); 9–11 octets ignored', () => {
  const v1 = Uint8Array.from(hexBytes('11 00 eeff 00000000'));
  assert.deepEqual(parseIgmpQuery(v1), { version: 1, maxResponseTime: 10_000, group: GENERAL, suppressRouterSide: false, qrv: 0, qqi: 0, sources: [] });
  const v2 = emitIgmpQuery({ version: 2, maxResponseTime: 2500, group: G1 });
  assert.deepEqual([...v2.subarray(0, 2)], [0x11, 25]);
  assert.equal(parseIgmpQuery(v2)!.version, 2);
  assert.equal(parseIgmpQuery(v2)!.maxResponseTime, 2500);
  const v3 = emitIgmpQuery({ version: 3, maxResponseTime: 10_000, group: G1, qrv: 3, qqi: 60, suppressRouterSide: true, sources: [S1, S2] });
  assert.deepEqual([...v3], [...hexBytes('11 64'), v3[2], v3[3], ...hexBytes('ef010203 0b 3c 0002 c000020a c000020b')]);
  assert.deepEqual(parseIgmpQuery(v3), { version: 3, maxResponseTime: 10_000, group: G1, suppressRouterSide: true, qrv: 3, qqi: 60, sources: [S1, S2] });
  for (const n of [9, 10, 11]) {
    const q = new Uint8Array(n);
    q[0] = 0x11;
    assert.equal(parseIgmpQuery(q), null, `${n} octets`);
  }
  assert.equal(parseIgmpQuery(v3.subarray(0, 16)), null, 'Number of Sources past the end');
  // a 12-octet v3 Query with Max Resp Code 0 is still version 3
  assert.equal(parseIgmpQuery(emitIgmpQuery({ version: 3, maxResponseTime: 0, group: GENERAL }))!.version, 3);
});

test('Max Resp Code / QQIC: exact below 128, floating point above (RFC 3376 §4.1.1); encode never lengthens', () => {
  assert.equal(decodeIgmpCode(127), 127);
  assert.equal(decodeIgmpCode(0x80), 128); // mant 0, exp 0: 0x10 << 3
  assert.equal(decodeIgmpCode(0x8f), 248);
  assert.equal(decodeIgmpCode(0xff), 31744); // 0x1f << 10
  for (let c = 0; c < 256; c++) assert.equal(encodeIgmpCode(decodeIgmpCode(c)), c === 0x80 ? 0x80 : c, `code ${c}`);
  for (let v = 0; v < 40000; v += 37) assert.ok(decodeIgmpCode(encodeIgmpCode(v)) <= v);
  assert.equal(encodeIgmpCode(1e9), 0xff);
});

test('checkIgmp: short, checksum, 9–11-octet Query, sources past the end, unknown type', () => {
  const r = emitIgmpV2Message(IGMP_V2_MEMBERSHIP_REPORT, G1);
  assert.equal(checkIgmp(r), null);
  assert.equal(checkIgmp(r.subarray(0, 7)), 'TRUNCATED');
  const bad = r.slice();
  bad[7] ^= 1;
  assert.equal(checkIgmp(bad), 'CHECKSUM');
  const q10 = Uint8Array.from(hexBytes('11 64 0000 00000000 0000'));
  const c = (~(0x1164) & 0xffff); // checksum of 1164 alone
  q10[2] = c >> 8;
  q10[3] = c & 0xff;
  assert.equal(checkIgmp(q10), 'QUERY_LENGTH');
  const unknown = Uint8Array.from(hexBytes('13 00 0000 00000000'));
  unknown[2] = ~0x13 & 0xff;
  unknown[3] = 0xff;
  assert.equal(checkIgmp(unknown), 'UNKNOWN_TYPE');
});

const INFO: IgmpIpInfo = { ttl: 1, dst: ALL_SYSTEMS, routerAlert: true };

test('validateIgmp: TTL, Router Alert on v2/v3 Queries (not v1), General Query destination, group addresses (RFC 3376 §9.1)', () => {
  const gq3 = emitIgmpQuery({ version: 3, maxResponseTime: 1000, group: GENERAL });
  const gq2 = emitIgmpQuery({ version: 2, maxResponseTime: 1000, group: GENERAL });
  const gq1 = emitIgmpQuery({ version: 1, maxResponseTime: 0, group: GENERAL });
  const sq = emitIgmpQuery({ version: 3, maxResponseTime: 1000, group: G1 });
  assert.equal(validateIgmp(INFO, gq3), null);
  assert.equal(validateIgmp({ ...INFO, ttl: 2 }, gq3), 'BAD_TTL');
  assert.equal(validateIgmp({ ...INFO, ttl: 2 }, gq3, { requireTtl1: false }), null);
  assert.equal(validateIgmp({ ...INFO, routerAlert: false }, gq3), 'NO_ROUTER_ALERT');
  assert.equal(validateIgmp({ ...INFO, routerAlert: false }, gq2), 'NO_ROUTER_ALERT');
  assert.equal(validateIgmp({ ...INFO, routerAlert: false }, gq1), null, 'IGMPv1 predates Router Alert');
  assert.equal(validateIgmp({ ...INFO, routerAlert: false }, gq3, { requireRouterAlert: false }), null);
  assert.equal(validateIgmp({ ...INFO, dst: G1 }, gq3), 'GENERAL_QUERY_DST');
  assert.equal(validateIgmp({ ...INFO, dst: parseIpv4('192.0.2.1') }, gq1), 'GENERAL_QUERY_DST');
  assert.equal(validateIgmp({ ...INFO, dst: G1 }, gq3, { requireAllSystemsForGeneral: false }), null);
  assert.equal(validateIgmp({ ...INFO, dst: G1 }, sq), null, 'a group-specific Query to the group');
  assert.equal(validateIgmp({ ...INFO, dst: parseIpv4('192.0.2.1') }, sq), null, '§4.1.12: any address of ours');
  assert.equal(validateIgmp(INFO, emitIgmpQuery({ version: 3, maxResponseTime: 1000, group: parseIpv4('10.0.0.1') })), 'BAD_GROUP');
  assert.equal(validateIgmp({ ...INFO, dst: G1 }, emitIgmpV2Message(IGMP_V2_MEMBERSHIP_REPORT, G1)), null);
  assert.equal(validateIgmp({ ...INFO, dst: G1 }, emitIgmpV2Message(IGMP_V2_MEMBERSHIP_REPORT, parseIpv4('10.0.0.1'))), 'BAD_GROUP');
  assert.equal(validateIgmp(INFO, emitIgmpv3Report([])), null);
  const bad = gq3.slice();
  bad[1] ^= 1;
  assert.equal(validateIgmp(INFO, bad), 'CHECKSUM');
});

test('Router Alert: the option bytes (RFC 2113 §2.1), found among others, and the whole IGMP datagram (RFC 3376 §4)', () => {
  assert.deepEqual([...igmpIpHeaderOptions()], [0x94, 0x04, 0x00, 0x00]);
  assert.ok(hasRouterAlert(igmpIpHeaderOptions()));
  assert.ok(hasRouterAlert(Uint8Array.from(hexBytes('01 070704 00000000 94040000'))));
  assert.ok(!hasRouterAlert(Uint8Array.from(hexBytes('00 94040000 000000'))), 'after End of Option List');
  assert.ok(!hasRouterAlert(Uint8Array.from(hexBytes('07 01 94040000 00'))), 'a bad length stops the walk');
  assert.ok(!hasRouterAlert(new Uint8Array(0)));
  const msg = emitIgmpv3Report([{ type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: G1, sources: [] }]);
  const d = emitIgmpDatagram(parseIpv4('192.0.2.2'), ALL_IGMPV3_ROUTERS, msg);
  assert.equal(checkIpv4Header(d), null);
  assert.deepEqual([...d.subarray(0, 24)], [...hexBytes('46 c0 0028 0000 0000 01 02'), d[10], d[11], ...hexBytes('c0000202 e0000016 94040000')]);
  assert.deepEqual([...d.subarray(24)], [...msg]);
  const h = parseIpv4Header(d)!;
  assert.ok(hasRouterAlert(h.header.options));
  assert.equal(validateIgmp({ ttl: h.header.ttl, dst: h.header.dst, routerAlert: true }, h.payload), null);
});

test('splitIgmpRecords: Reports fit the MTU; EXCLUDE records are truncated, others split (RFC 3376 §4.2.16)', () => {
  const many = Array.from({ length: 200 }, (_, k): IgmpGroupRecord => ({ type: McastRecordType.MODE_IS_EXCLUDE, group: Uint8Array.of(239, 0, k >> 8, k & 255), sources: [] }));
  const parts = splitIgmpRecords(many, 576);
  for (const p of parts) assert.ok(IGMP_IP_OVERHEAD + emitIgmpv3Report(p).length <= 576);
  assert.equal(parts.flat().length, 200);
  assert.equal(parts[0].length, (576 - 24 - 8) / 8);
  const srcs = Array.from({ length: 300 }, (_, k) => Uint8Array.of(10, 0, k >> 8, k & 255));
  const perRecord = Math.floor((576 - 24 - 8 - 8) / 4);
  const ex = splitIgmpRecords([{ type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: G1, sources: srcs }], 576);
  assert.deepEqual(ex.map((p) => p.map((r) => r.sources.length)), [[perRecord]]);
  const inc = splitIgmpRecords([{ type: McastRecordType.ALLOW_NEW_SOURCES, group: G1, sources: srcs }], 576);
  assert.deepEqual(inc.flat().map((r) => r.sources.length), [perRecord, perRecord, 300 - 2 * perRecord]);
});

// --- host ----------------------------------------------------------------------------------

/** Random factors handed out in the order pinned; a draw with none pinned throws. */
class Dice {
  private readonly queue: number[] = [];
  readonly random = (): number => {
    const v = this.queue.shift();
    if (v === undefined) throw new Error('random() drawn with no factor pinned');
    return v;
  };
  pin(...v: number[]): void {
    this.queue.push(...v);
  }
  get left(): number {
    return this.queue.length;
  }
}

const SHORT: Record<McastRecordType, string> = {
  [McastRecordType.MODE_IS_INCLUDE]: 'IS_IN',
  [McastRecordType.MODE_IS_EXCLUDE]: 'IS_EX',
  [McastRecordType.CHANGE_TO_INCLUDE_MODE]: 'TO_IN',
  [McastRecordType.CHANGE_TO_EXCLUDE_MODE]: 'TO_EX',
  [McastRecordType.ALLOW_NEW_SOURCES]: 'ALLOW',
  [McastRecordType.BLOCK_OLD_SOURCES]: 'BLOCK',
};

/**
 * One line per action, from the message bytes: `if1 224.0.0.22 v3 [TO_EX 239.1.2.3]`,
 * `if1 239.1.2.3 v2-report 239.1.2.3`, `if1 224.0.0.2 leave 239.1.2.3`, `… v1-report …`.
 * Every message must pass checkIgmp (checksum) and, as a datagram, validateIgmp.
 */
function view(acts: IgmpAction[]): string[] {
  return acts.map((a) => {
    assert.equal(a.type, 'SendReport');
    assert.equal(checkIgmp(a.message), null, 'checksum');
    assert.equal(validateIgmp({ ttl: 1, dst: a.dst, routerAlert: true }, a.message), null);
    const head = `if${a.ifindex} ${formatIpv4(a.dst)}`;
    if (a.message[0] === 0x22) {
      const recs = parseIgmpv3Report(a.message)!.map((r) => `${SHORT[r.type]} ${formatIpv4(r.group)}${r.sources.length ? ` {${r.sources.map(formatIpv4).join(' ')}}` : ''}`);
      return `${head} v3 [${recs.join(', ')}]`;
    }
    const m = parseIgmpV2Message(a.message)!;
    const kind = m.type === IGMP_V1_MEMBERSHIP_REPORT ? 'v1-report' : m.type === IGMP_V2_MEMBERSHIP_REPORT ? 'v2-report' : 'leave';
    return `${head} ${kind} ${formatIpv4(m.group)}`;
  });
}

/** A Query as the stack would hand it over: emitted, then parsed. */
function query(spec: IgmpQuerySpec): IgmpQuery {
  const q = parseIgmpQuery(emitIgmpQuery(spec));
  assert.ok(q);
  return q;
}
const v3Query = (group: Ip4, mrt: number, extra: Partial<IgmpQuerySpec> = {}): IgmpQuery => query({ version: 3, maxResponseTime: mrt, group, ...extra });
const v2Query = (group: Ip4, mrt: number): IgmpQuery => query({ version: 2, maxResponseTime: mrt, group });
const v1Query = (): IgmpQuery => query({ version: 1, maxResponseTime: 0, group: GENERAL });

/** A host with `groups` joined at 0 and their retransmissions done by 500 ms. */
function member(groups: Ip4[], options?: IgmpHostOptions): { h: IgmpHost; dice: Dice } {
  const dice = new Dice();
  const h = new IgmpHost(dice.random, options);
  if (groups.some(isIgmpReportable)) dice.pin(0.5);
  for (const g of groups) h.join(IF, g, 0);
  h.onDeadline(500);
  assert.equal(h.nextDeadline(), NEVER, 'setup: retransmissions done');
  assert.equal(dice.left, 0, 'setup: one draw');
  return { h, dice };
}

test('join: TO_EX {} to 224.0.0.22 at once, one retransmission at random in [0, 1 s] (RV 2, RFC 3376 §5.1)', () => {
  const dice = new Dice();
  const h = new IgmpHost(dice.random);
  dice.pin(0.25);
  assert.deepEqual(view(h.join(IF, G1, 1000)), ['if1 224.0.0.22 v3 [TO_EX 239.1.2.3]']);
  assert.equal(h.nextDeadline(), 1250);
  assert.deepEqual(h.onDeadline(1249), []);
  assert.deepEqual(view(h.onDeadline(1250)), ['if1 224.0.0.22 v3 [TO_EX 239.1.2.3]']);
  assert.equal(h.nextDeadline(), NEVER);
  assert.equal(h.mode(IF), 'IGMPv3');
  assert.deepEqual(h.groups(IF), [G1]);
});

test('joins are counted: a second join sends nothing, only the last leave does (TO_IN {} twice)', () => {
  const { h, dice } = member([G1]);
  assert.deepEqual(h.join(IF, G1, 1000), []);
  assert.deepEqual(h.leave(IF, G1, 2000), []);
  dice.pin(1);
  assert.deepEqual(view(h.leave(IF, G1, 3000)), ['if1 224.0.0.22 v3 [TO_IN 239.1.2.3]']);
  assert.deepEqual(h.groups(IF), []);
  assert.deepEqual(h.onDeadline(3999), []);
  assert.deepEqual(view(h.onDeadline(4000)), ['if1 224.0.0.22 v3 [TO_IN 239.1.2.3]']);
  assert.equal(h.nextDeadline(), NEVER);
  assert.deepEqual(h.leave(IF, G1, 5000), [], 'leaving a group not joined');
});

test('a leave during the join\'s retransmissions supersedes it; several groups share one retransmission Report', () => {
  const dice = new Dice();
  const h = new IgmpHost(dice.random, { robustness: 3 });
  dice.pin(0.5);
  h.join(IF, G1, 0); // retransmissions at 500, then +random
  h.join(IF, G3, 100); // timer already running: no draw
  assert.deepEqual(view(h.leave(IF, G1, 200)), ['if1 224.0.0.22 v3 [TO_IN 239.1.2.3]']);
  dice.pin(0.1);
  assert.deepEqual(view(h.onDeadline(500)), ['if1 224.0.0.22 v3 [TO_IN 239.1.2.3, TO_EX 232.1.1.1]']);
  assert.deepEqual(view(h.onDeadline(600)), ['if1 224.0.0.22 v3 [TO_IN 239.1.2.3, TO_EX 232.1.1.1]']);
  assert.equal(h.nextDeadline(), NEVER);
  assert.deepEqual(h.groups(IF), [G3]);
});

test('224.0.0.1 is never reported (RFC 3376 §5) but can be joined; queries do not report it', () => {
  const dice = new Dice();
  const h = new IgmpHost(dice.random);
  assert.ok(!isIgmpReportable(ALL_SYSTEMS));
  assert.ok(isIgmpReportable(G2));
  assert.deepEqual(h.join(IF, ALL_SYSTEMS, 0), []);
  assert.deepEqual(h.groups(IF), [ALL_SYSTEMS]);
  dice.pin(0);
  h.onQuery(IF, v3Query(GENERAL, 1000), 10);
  assert.deepEqual(h.onDeadline(10), [], 'a General Query response with no reportable group sends nothing');
  assert.deepEqual(h.leave(IF, ALL_SYSTEMS, 20), []);
  dice.pin(0);
  h.onQuery(IF, v2Query(GENERAL, 1000), 30);
  assert.deepEqual(h.onDeadline(1030), []);
});

test('General Query: one Report with IS_EX {} per group after a random delay in [0, Max Resp Time]', () => {
  const { h, dice } = member([G1, G2, G3]);
  dice.pin(0.3);
  h.onQuery(IF, v3Query(GENERAL, 10_000), 1000);
  assert.equal(h.nextDeadline(), 4000);
  assert.deepEqual(h.onDeadline(3999), []);
  assert.deepEqual(view(h.onDeadline(4000)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3, IS_EX 224.0.0.251, IS_EX 232.1.1.1]']);
});

test('rule 1/2: a pending General Query response due sooner covers a new Query; a sooner one replaces it', () => {
  const { h, dice } = member([G1]);
  dice.pin(0.2);
  h.onQuery(IF, v3Query(GENERAL, 10_000), 0); // at 2000
  dice.pin(0.5);
  h.onQuery(IF, v3Query(GENERAL, 10_000), 100); // 5100: later, ignored
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 10_000), 100); // group query at 5100: the interface timer (2000) covers it
  assert.equal(h.nextDeadline(), 2000);
  dice.pin(0.1);
  h.onQuery(IF, v3Query(GENERAL, 10_000), 200); // 1200: sooner, replaces
  assert.equal(h.nextDeadline(), 1200);
  assert.deepEqual(view(h.onDeadline(1200)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3]']);
  assert.deepEqual(h.onDeadline(10_000), []);
});

test('Group-Specific Query: IS_EX {} for that group only; a group we are not in gets nothing', () => {
  const { h, dice } = member([G1, G3]);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 2000), 0);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(parseIpv4('239.9.9.9'), 2000), 0);
  assert.deepEqual(view(h.onDeadline(1000)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3]']);
  assert.equal(h.nextDeadline(), NEVER);
});

test('Group-and-Source-Specific Query: IS_IN(queried sources), lists merged (rule 5); a Group-Specific Query clears them (rule 4)', () => {
  const { h, dice } = member([G1]);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 4000, { sources: [S1, S2] }), 0); // 2000
  dice.pin(0.9);
  h.onQuery(IF, v3Query(G1, 4000, { sources: [S2, S3] }), 100); // 3700: keeps 2000, merges
  assert.equal(h.nextDeadline(), 2000);
  assert.deepEqual(view(h.onDeadline(2000)), ['if1 224.0.0.22 v3 [IS_IN 239.1.2.3 {192.0.2.10 192.0.2.11 192.0.2.12}]']);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 4000, { sources: [S1] }), 3000); // 5000
  dice.pin(0.1);
  h.onQuery(IF, v3Query(G1, 4000), 3000); // group-specific: whole state, sooner (3400)
  assert.equal(h.nextDeadline(), 3400);
  assert.deepEqual(view(h.onDeadline(3400)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3]']);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 4000), 4000);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(G1, 4000, { sources: [S1] }), 4000); // rule 4: the pending list is empty → stays whole-group
  assert.deepEqual(view(h.onDeadline(6000)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3]']);
});

test('QRV and QQIC are adopted from IGMPv3 Queries (§4.1.6, §4.1.7): QRV 3 → two retransmissions', () => {
  const { h, dice } = member([]);
  dice.pin(0);
  h.onQuery(IF, v3Query(GENERAL, 1000, { qrv: 3, qqi: 60 }), 0);
  h.onDeadline(0);
  assert.equal(h.robustnessOf(IF), 3);
  dice.pin(0.5, 0.5);
  assert.equal(view(h.join(IF, G1, 1000)).length, 1);
  assert.equal(view(h.onDeadline(1500)).length, 1);
  assert.equal(view(h.onDeadline(2000)).length, 1);
  assert.equal(h.nextDeadline(), NEVER);
  // QQI 60 s → Older Version Querier Present Timeout 3 × 60 s + 10 s
  dice.pin(0);
  h.onQuery(IF, v2Query(GENERAL, 1000), 10_000);
  h.onDeadline(10_000);
  assert.equal(h.mode(IF), 'IGMPv2');
  h.onDeadline(10_000 + 190_000 - 1);
  assert.equal(h.mode(IF), 'IGMPv2');
  h.onDeadline(10_000 + 190_000);
  assert.equal(h.mode(IF), 'IGMPv3');
});

test('IGMPv2 Query: IGMPv2 mode for 260 s, pending IGMPv3 work cancelled, v2 Report to the group', () => {
  const dice = new Dice();
  const h = new IgmpHost(dice.random);
  dice.pin(0.5);
  h.join(IF, G1, 0); // retransmission pending at 500
  dice.pin(0.4);
  h.onQuery(IF, v2Query(GENERAL, 5000), 100); // response at 2100
  assert.equal(h.mode(IF), 'IGMPv2');
  assert.equal(h.nextDeadline(), 2100, 'the IGMPv3 retransmission is gone');
  assert.deepEqual(view(h.onDeadline(2100)), ['if1 239.1.2.3 v2-report 239.1.2.3']);
  assert.deepEqual(h.onDeadline(100 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT - 1), []);
  assert.equal(h.mode(IF), 'IGMPv2');
  assert.deepEqual(h.onDeadline(100 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT), [], 'returning to IGMPv3 sends nothing');
  assert.equal(h.mode(IF), 'IGMPv3');
  // now IGMPv3 again
  dice.pin(0);
  assert.deepEqual(view(h.join(IF, G3, 300_000)), ['if1 224.0.0.22 v3 [TO_EX 232.1.1.1]']);
});

test('IGMPv2 mode: a running timer is reset only if Max Resp Time is below what it has left (RFC 2236 §3)', () => {
  const { h, dice } = member([G1]);
  dice.pin(0.5);
  h.onQuery(IF, v2Query(GENERAL, 10_000), 0); // 5000
  h.onQuery(IF, v2Query(GENERAL, 10_000), 1000); // 10 s ≥ 4 s left: no draw, kept
  assert.equal(h.nextDeadline(), 5000);
  dice.pin(0.5);
  h.onQuery(IF, v2Query(G1, 2000), 2000); // 2 s < 3 s left: 3000
  assert.equal(h.nextDeadline(), 3000);
  assert.deepEqual(view(h.onDeadline(3000)), ['if1 239.1.2.3 v2-report 239.1.2.3']);
  assert.equal(dice.left, 0);
});

test('IGMPv2 mode: join sends v2 Reports (again within 10 s); leave sends Leave to 224.0.0.2 when we reported last', () => {
  const { h, dice } = member([]);
  h.onQuery(IF, v2Query(GENERAL, 1000), 0); // no group: nothing drawn
  dice.pin(0.5);
  assert.deepEqual(view(h.join(IF, G1, 1000)), ['if1 239.1.2.3 v2-report 239.1.2.3']);
  assert.equal(h.nextDeadline(), 1000 + V2_UNSOLICITED_REPORT_INTERVAL / 2);
  assert.deepEqual(view(h.onDeadline(6000)), ['if1 239.1.2.3 v2-report 239.1.2.3']);
  assert.deepEqual(view(h.leave(IF, G1, 7000)), ['if1 224.0.0.2 leave 239.1.2.3']);
  assert.deepEqual(h.groups(IF), []);
});

test('IGMPv2 mode: another host\'s Report suppresses ours and the Leave (RFC 2236 §3); IGMPv3 mode does not suppress', () => {
  const { h, dice } = member([G1]);
  dice.pin(0.5);
  h.onQuery(IF, v2Query(GENERAL, 10_000), 0);
  h.onReport(IF, G1, 1000);
  assert.equal(h.nextDeadline(), 0 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT, 'only the mode timer is left');
  assert.deepEqual(h.leave(IF, G1, 2000), [], 'not the last reporter: no Leave');
  // IGMPv3 mode: onReport changes nothing
  const m = member([G1]);
  m.dice.pin(0.5);
  m.h.onQuery(IF, v3Query(G1, 2000), 0);
  m.h.onReport(IF, G1, 10);
  assert.deepEqual(view(m.h.onDeadline(1000)), ['if1 224.0.0.22 v3 [IS_EX 239.1.2.3]']);
});

test('IGMPv3 Queries in IGMPv2 mode are answered the IGMPv2 way', () => {
  const { h, dice } = member([G1]);
  dice.pin(0);
  h.onQuery(IF, v2Query(GENERAL, 1000), 0);
  h.onDeadline(0);
  dice.pin(0.5);
  h.onQuery(IF, v3Query(GENERAL, 4000), 100);
  assert.deepEqual(view(h.onDeadline(2100)), ['if1 239.1.2.3 v2-report 239.1.2.3']);
  assert.equal(h.mode(IF), 'IGMPv2', 'an IGMPv3 Query does not end the mode');
});

test('IGMPv1 Query: IGMPv1 mode (Max Resp Time 10 s), v1 Reports, no Leave; IGMPv1 outranks IGMPv2', () => {
  const { h, dice } = member([G1, G3]);
  dice.pin(0.5, 0.5);
  h.onQuery(IF, v2Query(GENERAL, 1000), 0); // IGMPv2 until 260 000
  assert.equal(view(h.onDeadline(1000)).length, 2);
  dice.pin(0.5, 0.5);
  h.onQuery(IF, v1Query(), 100_000); // IGMPv1 until 360 000; responses at 105 000
  assert.equal(h.mode(IF), 'IGMPv1');
  assert.deepEqual(h.onDeadline(104_999), []);
  assert.deepEqual(view(h.onDeadline(105_000)), ['if1 239.1.2.3 v1-report 239.1.2.3', 'if1 232.1.1.1 v1-report 232.1.1.1']);
  assert.deepEqual(h.leave(IF, G1, 110_000), [], 'IGMPv1 has no Leave');
  h.onDeadline(OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  assert.equal(h.mode(IF), 'IGMPv1', 'the IGMPv2 timer ran out, the IGMPv1 one still runs');
  h.onDeadline(100_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  assert.equal(h.mode(IF), 'IGMPv3');
  // IGMPv1 then IGMPv2 Querier: IGMPv2 when the IGMPv1 timer ends first
  dice.pin(0);
  h.onQuery(IF, v1Query(), 400_000);
  assert.deepEqual(view(h.onDeadline(400_000)), ['if1 232.1.1.1 v1-report 232.1.1.1']);
  dice.pin(0);
  h.onQuery(IF, v2Query(GENERAL, 1000), 450_000);
  assert.equal(h.mode(IF), 'IGMPv1');
  h.onDeadline(400_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  assert.equal(h.mode(IF), 'IGMPv2');
});

test('IGMPv1 mode: join sends a v1 Report (type 0x12) to the group, repeated within 10 s; another host\'s Report suppresses the repeat', () => {
  const { h, dice } = member([]);
  h.onQuery(IF, v1Query(), 0);
  dice.pin(0.2);
  assert.deepEqual(view(h.join(IF, G1, 1000)), ['if1 239.1.2.3 v1-report 239.1.2.3']);
  assert.equal(h.nextDeadline(), 3000);
  h.onReport(IF, G1, 2000);
  assert.deepEqual(h.onDeadline(3000), []);
  assert.equal(h.nextDeadline(), OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
});

test('a General Query response is split into Reports that fit the MTU (576 by default, setMtu)', () => {
  const groups = Array.from({ length: 150 }, (_, k) => Uint8Array.of(239, 1, k >> 8, k & 255));
  const dice = new Dice();
  const h = new IgmpHost(dice.random);
  dice.pin(0.5);
  for (const g of groups) h.join(IF, g, 0);
  h.onDeadline(1000);
  dice.pin(0);
  h.onQuery(IF, v3Query(GENERAL, 1000), 2000);
  const acts = h.onDeadline(2000);
  assert.equal(DEFAULT_IGMP_MTU, 576);
  assert.deepEqual(acts.map((a) => parseIgmpv3Report(a.message)!.length), [68, 68, 14]);
  for (const a of acts) assert.ok(IGMP_IP_OVERHEAD + a.message.length <= 576);
  h.setMtu(IF, 1500);
  dice.pin(0);
  h.onQuery(IF, v3Query(GENERAL, 1000), 3000);
  assert.deepEqual(h.onDeadline(3000).map((a) => parseIgmpv3Report(a.message)!.length), [150]);
});

test('interfaces are independent; stop() forgets one without sending', () => {
  const dice = new Dice();
  const h = new IgmpHost(dice.random);
  dice.pin(0.5, 0.5);
  h.join(1, G1, 0);
  h.join(2, G1, 0);
  dice.pin(0);
  h.onQuery(2, v2Query(GENERAL, 1000), 10);
  assert.equal(h.mode(1), 'IGMPv3');
  assert.equal(h.mode(2), 'IGMPv2');
  h.stop(2);
  assert.deepEqual(h.groups(2), []);
  assert.deepEqual(view(h.onDeadline(500)), ['if1 224.0.0.22 v3 [TO_EX 239.1.2.3]']);
  assert.equal(h.nextDeadline(), NEVER);
});

test('arguments are checked at the edge', () => {
  const h = new IgmpHost(() => 0);
  assert.throws(() => h.join(IF, parseIpv4('10.0.0.1'), 0), { code: 'ERR_INVALID_ADDRESS' });
  assert.throws(() => h.join(-1, G1, 0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => h.join(IF, new Uint8Array(16), 0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => h.setMtu(IF, 67), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new IgmpHost(() => 0, { robustness: 0 }), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new IgmpHost(undefined as unknown as () => number), { code: 'ERR_INVALID_ARG' });
});

test('seeded random: delays are reproducible and within [0, interval]', () => {
  const run = (): number[] => {
    const h = new IgmpHost(seededRandom(42));
    const at: number[] = [];
    h.join(IF, G1, 0);
    at.push(h.nextDeadline());
    h.onDeadline(at[0]);
    h.onQuery(IF, v3Query(GENERAL, 10_000), 5000);
    at.push(h.nextDeadline());
    return at;
  };
  const a = run();
  assert.deepEqual(a, run());
  assert.ok(a[0] >= 0 && a[0] <= 1000);
  assert.ok(a[1] >= 5000 && a[1] <= 15_000);
});

// --- scapy ---------------------------------------------------------------------------

function scapySkip(): string | undefined {
  if (!existsSync(PY)) return `needs ${PY} (apt-get install python3-scapy)`;
  const s = spawnSync(PY, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 60_000 });
  return s.status === 0 ? undefined : `needs scapy for ${PY} (apt-get install python3-scapy)`;
}

const SCAPY_IGMP = `
import json, sys
from scapy.all import IP, raw
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mr
p = IP(bytes.fromhex(sys.stdin.read().strip()))
g = p[IGMPv3]
again = IGMPv3(raw(g)); del again.chksum
print(json.dumps({'ttl': p.ttl, 'tos': p.tos, 'proto': p.proto, 'options': [o.option for o in p.options],
  'type': g.type, 'chksum_ok': IGMPv3(raw(again)).chksum == g.chksum,
  'records': [{'rtype': r.rtype, 'maddr': r.maddr, 'srcs': list(r.srcaddrs)} for r in p[IGMPv3mr].records]}))
`;

test('scapy parses our IGMPv3 Report datagram the same way', { skip: scapySkip() }, () => {
  const msg = emitIgmpv3Report([
    { type: McastRecordType.CHANGE_TO_EXCLUDE_MODE, group: G1, sources: [] },
    { type: McastRecordType.MODE_IS_INCLUDE, group: G3, sources: [S1, S2] },
  ]);
  const d = emitIgmpDatagram(parseIpv4('192.0.2.2'), ALL_IGMPV3_ROUTERS, msg);
  const r = spawnSync(PY, ['-c', SCAPY_IGMP], { input: Buffer.from(d).toString('hex'), timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.deepEqual(JSON.parse(r.stdout.toString()), {
    ttl: 1, tos: 0xc0, proto: 2, options: [20], type: 0x22, chksum_ok: true,
    records: [
      { rtype: 4, maddr: '239.1.2.3', srcs: [] },
      { rtype: 1, maddr: '232.1.1.1', srcs: ['192.0.2.10', '192.0.2.11'] },
    ],
  });
});
