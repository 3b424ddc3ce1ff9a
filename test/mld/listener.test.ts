// MLDv2 listener, host side (src/mld/listener.ts): State Change Reports and
// their retransmissions (RFC 3810 §6.1), query responses (§6.2, §6.3), MLDv1
// compatibility (§8.2.1, RFC 2710 §4), QRV/QQIC adoption (§5.1.8, §5.1.9),
// splitting by MTU (§5.2.15). Virtual time: `now` numbers; random factors
// pinned one by one (an unpinned draw fails the test).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MldListener, UNSOLICITED_REPORT_INTERVAL, isReportable, type MldAction, type MldListenerOptions } from '../../src/mld/listener.js';
import { NEVER } from '../../src/time/instant.js';
import { seededRandom } from '../../src/time/clock.js';
import { formatIp6, parseIp6, type Ip6 } from '../../src/wire/address.js';
import { McastRecordType, emitMldQuery, mldv2ReportLength, parseMldQuery, type MldQuery, type MldQuerySpec } from '../../src/wire/mld.js';

const IF = 1;
const G1 = parseIp6('ff05::1:3');
const G2 = parseIp6('ff02::1:ff00:1');
const G3 = parseIp6('ff0e::1234');
const GENERAL = new Uint8Array(16);
// RFC 3810 §9: RV 2, QI 125 s, QRI 10 s → Older Version Querier Present Timeout 260 s
const OLDER_VERSION_QUERIER_PRESENT_TIMEOUT = 2 * 125_000 + 10_000;

/** Random factors handed out in the order pinned; a draw with none pinned throws. */
class Dice {
  private readonly queue: number[] = [];
  draws = 0;
  readonly random = (): number => {
    const v = this.queue.shift();
    if (v === undefined) throw new Error('random() drawn with no factor pinned');
    this.draws++;
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

/** One line per action: `if1 v2 [TO_EX ff05::1:3]`, `if1 v1-report ff05::1:3`, `if1 v1-done ff05::1:3`. */
function view(acts: MldAction[]): string[] {
  return acts.map((a) => {
    if (a.type === 'SendMldv2Report') {
      const recs = a.records.map((r) => `${SHORT[r.type]} ${formatIp6(r.group)}${r.sources.length ? ` {${r.sources.map((s) => formatIp6(s)).join(' ')}}` : ''}`);
      return `if${a.ifindex} v2 [${recs.join(', ')}]`;
    }
    return `if${a.ifindex} ${a.type === 'SendMldv1Report' ? 'v1-report' : 'v1-done'} ${formatIp6(a.group)}`;
  });
}

const n = (a: Ip6): string => formatIp6(a);

/** A Query as the stack would hand it over: built as a record, through the parser. */
function query(spec: MldQuerySpec): MldQuery {
  const q = parseMldQuery(emitMldQuery(spec));
  assert.ok(q);
  return q;
}
const v2Query = (group: Ip6, mrd: number, extra: Partial<MldQuerySpec> = {}): MldQuery => query({ version: 2, maxResponseDelay: mrd, group, ...extra });
const v1Query = (group: Ip6, mrd: number): MldQuery => query({ version: 1, maxResponseDelay: mrd, group });

/** A listener with `groups` joined at 0 and their State Change retransmissions done at 500 ms. */
function listening(groups: Ip6[], options?: MldListenerOptions): { l: MldListener; dice: Dice } {
  const dice = new Dice();
  const l = new MldListener(dice.random, options);
  if (groups.some(isReportable)) dice.pin(0.5);
  for (const g of groups) l.join(IF, g, 0);
  l.onDeadline(500);
  assert.equal(l.nextDeadline(), NEVER, 'setup: retransmissions done');
  assert.equal(dice.left, 0, 'setup: one draw');
  return { l, dice };
}

// --- State Change Reports (§6.1) -------------------------------------------------------------

test('join: CHANGE_TO_EXCLUDE_MODE {} at once, then exactly one retransmission at a random time in [0, URI] (RFC 3810 §6.1, RV 2)', () => {
  const l = new MldListener(seededRandom(3810));
  const now = 1_000;
  assert.deepEqual(view(l.join(IF, G1, now)), ['if1 v2 [TO_EX ff05::1:3]']);
  const at = l.nextDeadline();
  assert.ok(at >= now && at <= now + UNSOLICITED_REPORT_INTERVAL, `retransmission at +${at - now} ms`);
  assert.ok(at - now > 1, 'seed leaves room for the − 1 ms check');
  assert.deepEqual(l.onDeadline(at - 1), [], 'deadline − 1 ms: nothing');
  assert.deepEqual(view(l.onDeadline(at)), ['if1 v2 [TO_EX ff05::1:3]'], 'deadline: exactly the retransmission');
  assert.equal(l.nextDeadline(), NEVER, 'no third report');
  assert.deepEqual(l.onDeadline(at + 60_000), []);
  assert.deepEqual(l.groups(IF).map(n), ['ff05::1:3']);
});

test('join: the retransmission time is now + random × Unsolicited Report Interval', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0.25);
  l.join(IF, G1, 1_000);
  assert.equal(l.nextDeadline(), 1_250);
  assert.deepEqual(l.onDeadline(1_249), []);
  assert.equal(l.onDeadline(1_250).length, 1);
  assert.equal(dice.draws, 1);
});

test('a second join of the same group sends nothing; the group is left only with the last leave', () => {
  const { l, dice } = listening([G1]);
  assert.deepEqual(l.join(IF, G1, 1_000), []);
  assert.equal(l.nextDeadline(), NEVER);
  assert.deepEqual(l.leave(IF, G1, 2_000), [], 'one join still holds it');
  assert.deepEqual(l.groups(IF).map(n), ['ff05::1:3']);
  dice.pin(0.5);
  assert.deepEqual(view(l.leave(IF, G1, 3_000)), ['if1 v2 [TO_IN ff05::1:3]']);
  assert.deepEqual(l.groups(IF), []);
});

test('leave: CHANGE_TO_INCLUDE_MODE {} at once and retransmitted once; then the group is gone (RFC 3810 §6.1)', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.6);
  assert.deepEqual(view(l.leave(IF, G1, 10_000)), ['if1 v2 [TO_IN ff05::1:3]']);
  assert.deepEqual(l.groups(IF).map(n), ['ff02::1:ff00:1']);
  assert.equal(l.nextDeadline(), 10_600);
  assert.deepEqual(l.onDeadline(10_599), []);
  assert.deepEqual(view(l.onDeadline(10_600)), ['if1 v2 [TO_IN ff05::1:3]']);
  assert.equal(l.nextDeadline(), NEVER);
  l.onQuery(IF, v2Query(G1, 1_000), 20_000);
  assert.equal(l.nextDeadline(), NEVER, 'a query for the group left gets nothing');
  assert.equal(dice.left, 0);
  assert.deepEqual(l.leave(IF, G1, 30_000), [], 'leaving again: nothing');
});

test('a leave before the join\'s retransmission: the retransmission carries CHANGE_TO_INCLUDE_MODE, not the join', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0.5);
  l.join(IF, G1, 0);
  assert.deepEqual(view(l.leave(IF, G1, 100)), ['if1 v2 [TO_IN ff05::1:3]']);
  assert.equal(l.nextDeadline(), 500, 'the running retransmission timer is kept');
  assert.deepEqual(view(l.onDeadline(500)), ['if1 v2 [TO_IN ff05::1:3]']);
  assert.equal(l.nextDeadline(), NEVER);
  assert.equal(dice.draws, 1);
});

test('changes of several groups: one retransmission timer per interface, pending records in one Report', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0.25);
  assert.deepEqual(view(l.join(IF, G1, 0)), ['if1 v2 [TO_EX ff05::1:3]']);
  assert.deepEqual(view(l.join(IF, G2, 100)), ['if1 v2 [TO_EX ff02::1:ff00:1]']);
  assert.equal(l.nextDeadline(), 250);
  assert.deepEqual(view(l.onDeadline(250)), ['if1 v2 [TO_EX ff05::1:3, TO_EX ff02::1:ff00:1]']);
  assert.equal(l.nextDeadline(), NEVER);
  assert.equal(dice.draws, 1);
});

test('ff02::1 and groups of scope 0 or 1 are never reported (RFC 3810 §6)', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  const silent = ['ff02::1', 'ff01::1', 'ff01::fb', 'ff00::1', 'ff10::1', 'ff31::1'];
  for (const g of silent) assert.deepEqual(l.join(IF, parseIp6(g), 0), [], `join ${g}`);
  assert.equal(l.nextDeadline(), NEVER);
  assert.deepEqual(l.groups(IF).map(n), silent, 'listened to all the same');
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 1_000), 1_000);
  assert.deepEqual(l.onDeadline(1_000), [], 'General Query: no report of them');
  l.onQuery(IF, v2Query(parseIp6('ff02::1'), 1_000), 2_000);
  assert.equal(l.nextDeadline(), NEVER, 'query for ff02::1: nothing');
  dice.pin(0.5);
  l.join(IF, G1, 3_000);
  l.onDeadline(3_500);
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 1_000), 4_000);
  assert.deepEqual(view(l.onDeadline(4_000)), ['if1 v2 [IS_EX ff05::1:3]'], 'only the reportable group');
  for (const g of silent) assert.deepEqual(l.leave(IF, parseIp6(g), 5_000), [], `leave ${g}`);
  assert.deepEqual(l.groups(IF).map(n), ['ff05::1:3']);
  // MLDv1 mode too
  dice.pin(0.5);
  l.join(IF, parseIp6('ff02::1'), 6_000);
  l.onQuery(IF, v1Query(GENERAL, 1_000), 6_000);
  assert.deepEqual(view(l.onDeadline(7_000)), ['if1 v1-report ff05::1:3']);
  assert.equal(dice.left, 0);
});

// --- Query responses (§6.2, §6.3) ------------------------------------------------------------

test('General Query: one Current State Report of every group, MODE_IS_EXCLUDE, at now + random × MRD', () => {
  const { l, dice } = listening([G1, G2, G3]);
  dice.pin(0.5);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 10_000);
  assert.equal(l.nextDeadline(), 15_000);
  assert.deepEqual(l.onDeadline(14_999), [], 'deadline − 1 ms: nothing');
  assert.deepEqual(view(l.onDeadline(15_000)), ['if1 v2 [IS_EX ff05::1:3, IS_EX ff02::1:ff00:1, IS_EX ff0e::1234]']);
  assert.equal(l.nextDeadline(), NEVER);
});

test('General Query: a pending response due earlier is kept; one due later is replaced (§6.2 rules 1, 2)', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.5, 0.9);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 20_000); // → 25 000
  l.onQuery(IF, v2Query(GENERAL, 10_000), 21_000); // → 30 000: later, ignored
  assert.equal(l.nextDeadline(), 25_000);
  assert.deepEqual(l.onDeadline(24_999), []);
  assert.equal(l.onDeadline(25_000).length, 1);
  assert.deepEqual(l.onDeadline(40_000), [], 'no second report');
  dice.pin(0.5, 0.1);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 50_000); // → 55 000
  l.onQuery(IF, v2Query(GENERAL, 10_000), 51_000); // → 52 000: sooner, replaces
  assert.equal(l.nextDeadline(), 52_000);
  assert.deepEqual(l.onDeadline(51_999), []);
  assert.deepEqual(view(l.onDeadline(52_000)), ['if1 v2 [IS_EX ff05::1:3, IS_EX ff02::1:ff00:1]']);
  assert.deepEqual(l.onDeadline(60_000), [], 'nothing left at 55 000');
});

test('Multicast Address Specific Query: that group\'s MODE_IS_EXCLUDE record alone, at now + random × MRD', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.3);
  l.onQuery(IF, v2Query(G2, 1_000), 10_000);
  assert.equal(l.nextDeadline(), 10_300);
  assert.deepEqual(l.onDeadline(10_299), []);
  assert.deepEqual(view(l.onDeadline(10_300)), ['if1 v2 [IS_EX ff02::1:ff00:1]']);
  l.onQuery(IF, v2Query(G3, 1_000), 11_000);
  assert.equal(l.nextDeadline(), NEVER, 'a group we do not listen to: nothing');
  assert.equal(dice.left, 0);
});

test('Multicast Address Specific Query: merged with a pending response for the group, earliest wins (§6.2 rule 4)', () => {
  const { l, dice } = listening([G1]);
  dice.pin(0.8, 0.2);
  l.onQuery(IF, v2Query(G1, 1_000), 20_000); // → 20 800
  l.onQuery(IF, v2Query(G1, 1_000), 20_100); // → 20 300
  assert.equal(l.nextDeadline(), 20_300);
  assert.deepEqual(l.onDeadline(20_299), []);
  assert.deepEqual(view(l.onDeadline(20_300)), ['if1 v2 [IS_EX ff05::1:3]']);
  assert.deepEqual(l.onDeadline(21_000), [], 'one response only');
  dice.pin(0.2, 0.8);
  l.onQuery(IF, v2Query(G1, 1_000), 30_000); // → 30 200
  l.onQuery(IF, v2Query(G1, 1_000), 30_100); // → 30 900: later, ignored
  assert.equal(l.nextDeadline(), 30_200);
  assert.equal(l.onDeadline(30_200).length, 1);
  assert.deepEqual(l.onDeadline(31_000), []);
});

test('Multicast Address Specific Query: nothing scheduled when the General Query response is due sooner (§6.2 rule 1)', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.1, 0.5);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 40_000); // → 41 000
  l.onQuery(IF, v2Query(G1, 10_000), 40_000); // → 45 000: covered
  assert.deepEqual(view(l.onDeadline(41_000)), ['if1 v2 [IS_EX ff05::1:3, IS_EX ff02::1:ff00:1]']);
  assert.equal(l.nextDeadline(), NEVER);
  dice.pin(0.5, 0.1);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 50_000); // → 55 000
  l.onQuery(IF, v2Query(G1, 10_000), 50_000); // → 51 000: sooner, scheduled
  assert.deepEqual(view(l.onDeadline(51_000)), ['if1 v2 [IS_EX ff05::1:3]']);
  assert.equal(l.onDeadline(55_000).length, 1);
});

test('Multicast Address and Source Specific Query: answered like a group query (any-source listening: IS_EX {})', () => {
  const { l, dice } = listening([G1]);
  dice.pin(0.4);
  l.onQuery(IF, v2Query(G1, 1_000, { sources: [parseIp6('2001:db8::1')] }), 60_000);
  assert.deepEqual(l.onDeadline(60_399), []);
  assert.deepEqual(view(l.onDeadline(60_400)), ['if1 v2 [IS_EX ff05::1:3]']);
});

test('a General Query carrying sources is malformed and ignored (§5.1.10)', () => {
  const { l, dice } = listening([G1]);
  l.onQuery(IF, v2Query(GENERAL, 1_000, { sources: [parseIp6('2001:db8::1')], qrv: 5 }), 1_000);
  assert.equal(l.nextDeadline(), NEVER);
  assert.equal(l.robustnessOf(IF), 2, 'its QRV is not adopted either');
  assert.equal(dice.draws, 1);
});

// --- QRV and QQIC (§5.1.8, §5.1.9) -----------------------------------------------------------

test('QRV 3 adopted from a Query: a join is then retransmitted twice; QRV 0 keeps it; QRV 1 means none', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 0, { qrv: 3 }), 0);
  assert.deepEqual(l.onDeadline(0), [], 'no groups yet');
  assert.equal(l.robustnessOf(IF), 3);
  dice.pin(0.5, 0.5);
  assert.equal(l.join(IF, G1, 1_000).length, 1);
  assert.deepEqual(l.onDeadline(1_499), []);
  assert.deepEqual(view(l.onDeadline(1_500)), ['if1 v2 [TO_EX ff05::1:3]']);
  assert.deepEqual(l.onDeadline(1_999), []);
  assert.deepEqual(view(l.onDeadline(2_000)), ['if1 v2 [TO_EX ff05::1:3]']);
  assert.equal(l.nextDeadline(), NEVER, 'three reports in all');
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 0, { qrv: 0 }), 10_000);
  l.onDeadline(10_000);
  assert.equal(l.robustnessOf(IF), 3, 'QRV 0: keep ours');
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 0, { qrv: 1 }), 20_000);
  l.onDeadline(20_000);
  assert.equal(l.join(IF, G2, 21_000).length, 1);
  assert.equal(l.nextDeadline(), NEVER, 'QRV 1: no retransmission');
  assert.equal(dice.left, 0);
  assert.equal(l.robustnessOf(2), 2, 'per interface');
});

test('QRV and QQIC adopted: the Older Version Querier Present Timeout becomes QRV × QQI + QRI (§9.12)', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 0, { qrv: 3, qqi: 60 }), 0);
  l.onDeadline(0);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 1_000);
  const end = 1_000 + 3 * 60_000 + 10_000;
  assert.equal(l.nextDeadline(), end);
  l.onDeadline(end - 1);
  assert.equal(l.mode(IF), 'MLDv1');
  l.onDeadline(end);
  assert.equal(l.mode(IF), 'MLDv2');
});

// --- MLDv1 compatibility (§8.2.1, RFC 2710 §4) ------------------------------------------------

test('MLDv1 Querier: per-group MLDv1 Reports, Done on leave, back to MLDv2 after exactly RV × QI + QRI', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.9);
  l.onQuery(IF, v2Query(GENERAL, 10_000), 5_000); // MLDv2 response due at 14 000 …
  dice.pin(0.2, 0.6);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 10_000); // … cancelled by the MLDv1 Query
  assert.equal(l.mode(IF), 'MLDv1');
  assert.equal(l.mode(2), 'MLDv2', 'per interface');
  assert.equal(l.nextDeadline(), 12_000);
  assert.deepEqual(l.onDeadline(11_999), []);
  assert.deepEqual(view(l.onDeadline(12_000)), ['if1 v1-report ff05::1:3']);
  assert.deepEqual(l.onDeadline(14_000), [], 'no MLDv2 report');
  assert.deepEqual(l.onDeadline(15_999), []);
  assert.deepEqual(view(l.onDeadline(16_000)), ['if1 v1-report ff02::1:ff00:1']);
  // joins and leaves in MLDv1 mode
  dice.pin(0.5);
  assert.deepEqual(view(l.join(IF, G3, 20_000)), ['if1 v1-report ff0e::1234']);
  assert.deepEqual(view(l.onDeadline(20_500)), ['if1 v1-report ff0e::1234'], 'repeated once');
  assert.deepEqual(view(l.leave(IF, G1, 30_000)), ['if1 v1-done ff05::1:3']);
  assert.deepEqual(l.groups(IF).map(n), ['ff02::1:ff00:1', 'ff0e::1234']);
  // the Older Version Querier Present timer
  const end = 10_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT;
  assert.equal(l.nextDeadline(), end);
  assert.deepEqual(l.onDeadline(end - 1), []);
  assert.equal(l.mode(IF), 'MLDv1', 'deadline − 1 ms: still MLDv1');
  assert.deepEqual(l.onDeadline(end), []);
  assert.equal(l.mode(IF), 'MLDv2', 'deadline: MLDv2');
  dice.pin(0.5);
  assert.deepEqual(view(l.leave(IF, G2, end + 1)), ['if1 v2 [TO_IN ff02::1:ff00:1]']);
  assert.equal(dice.left, 0);
});

test('MLDv1 mode: each MLDv1 Query restarts the Older Version Querier Present timer', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 0);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 100_000);
  assert.equal(l.nextDeadline(), 100_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  l.onDeadline(OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  assert.equal(l.mode(IF), 'MLDv1');
  l.onDeadline(100_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT);
  assert.equal(l.mode(IF), 'MLDv2');
});

test('MLDv1 mode: an MLDv2 Query is answered with MLDv1 Reports and does not extend the mode', () => {
  const { l, dice } = listening([G1]);
  dice.pin(0);
  l.onQuery(IF, v1Query(GENERAL, 0), 1_000);
  assert.deepEqual(view(l.onDeadline(1_000)), ['if1 v1-report ff05::1:3']);
  dice.pin(0.5);
  l.onQuery(IF, v2Query(G1, 2_000), 10_000);
  assert.deepEqual(l.onDeadline(10_999), []);
  assert.deepEqual(view(l.onDeadline(11_000)), ['if1 v1-report ff05::1:3']);
  assert.equal(l.nextDeadline(), 1_000 + OLDER_VERSION_QUERIER_PRESENT_TIMEOUT, 'the MLDv2 Query did not restart the timer');
});

test('MLDv1 mode: a pending report is re-drawn only when the new MRD is below the time left (RFC 2710 §4)', () => {
  const { l, dice } = listening([G1]);
  dice.pin(0.8);
  l.onQuery(IF, v1Query(G1, 10_000), 10_000); // → 18 000: 8 000 left
  l.onQuery(IF, v1Query(G1, 9_000), 10_000); // 9 000 ≥ 8 000: kept, no draw
  assert.equal(dice.left, 0);
  assert.equal(l.nextDeadline(), 18_000);
  dice.pin(0.5);
  l.onQuery(IF, v1Query(G1, 5_000), 11_000); // 5 000 < 7 000: → 13 500
  assert.equal(l.nextDeadline(), 13_500);
  assert.deepEqual(view(l.onDeadline(13_500)), ['if1 v1-report ff05::1:3']);
  assert.deepEqual(l.onDeadline(18_000), []);
});

test('MLDv1 mode: another node\'s Report suppresses ours, and then leaving sends no Done (RFC 2710 §4)', () => {
  const { l, dice } = listening([G1, G2]);
  dice.pin(0.5, 0.5);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 10_000); // both due at 15 000
  l.onMldv1Report(IF, G1, 12_000);
  assert.deepEqual(view(l.onDeadline(15_000)), ['if1 v1-report ff02::1:ff00:1'], 'G1 suppressed');
  assert.deepEqual(l.leave(IF, G1, 20_000), [], 'not the last reporter: no Done');
  assert.deepEqual(view(l.leave(IF, G2, 20_000)), ['if1 v1-done ff02::1:ff00:1'], 'last reporter: Done');
  // in MLDv2 mode other nodes' reports change nothing
  const other = listening([G1]);
  other.dice.pin(0.5);
  other.l.onQuery(IF, v2Query(G1, 1_000), 1_000);
  other.l.onMldv1Report(IF, G1, 1_100);
  assert.equal(other.l.onDeadline(1_500).length, 1);
});

// --- Big reports (§5.2.15) -------------------------------------------------------------------

test('a General Query response over many groups is split so each Report fits the MTU (1280: 61 records each)', () => {
  const groups = Array.from({ length: 130 }, (_, k) => parseIp6(`ff05::${(k + 1).toString(16)}`));
  const { l, dice } = listening(groups);
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 1_000), 10_000);
  const acts = l.onDeadline(10_000);
  const records = acts.map((a) => (a.type === 'SendMldv2Report' ? a.records : []));
  assert.deepEqual(records.map((r) => r.length), [61, 61, 8]);
  assert.deepEqual(records.flat().map((r) => n(r.group)), groups.map(n), 'every group once, in order');
  assert.ok(records.flat().every((r) => r.type === McastRecordType.MODE_IS_EXCLUDE));
  for (const r of records) assert.ok(40 + 8 + mldv2ReportLength(r) <= 1280, 'IPv6 + Hop-by-Hop + Report within 1280');
  l.setMtu(IF, 1500);
  dice.pin(0);
  l.onQuery(IF, v2Query(GENERAL, 1_000), 20_000);
  assert.deepEqual(l.onDeadline(20_000).map((a) => (a.type === 'SendMldv2Report' ? a.records.length : 0)), [72, 58]);
});

test('State Change retransmissions of many groups are split by MTU too', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random, { mtu: 1280 });
  dice.pin(0.5);
  for (let k = 1; k <= 70; k++) assert.equal(l.join(IF, parseIp6(`ff05::${k.toString(16)}`), 0).length, 1);
  assert.deepEqual(l.onDeadline(500).map((a) => (a.type === 'SendMldv2Report' ? a.records.length : 0)), [61, 9]);
});

// --- interfaces and the API edge --------------------------------------------------------------

test('stop: the interface\'s groups, modes and deadlines are forgotten; other interfaces untouched', () => {
  const dice = new Dice();
  const l = new MldListener(dice.random);
  dice.pin(0.5, 0.7, 0.1);
  l.join(IF, G1, 0);
  l.join(2, G1, 0);
  l.onQuery(IF, v1Query(GENERAL, 10_000), 0);
  l.stop(IF);
  assert.deepEqual(l.groups(IF), []);
  assert.equal(l.mode(IF), 'MLDv2');
  assert.equal(l.nextDeadline(), 700, 'only interface 2\'s retransmission');
  assert.deepEqual(view(l.onDeadline(700)), ['if2 v2 [TO_EX ff05::1:3]']);
  assert.equal(l.nextDeadline(), NEVER, 'no deadline of interface 1 left behind');
});

test('API edge: non-multicast groups and bad interface indexes throw with a code', () => {
  const l = new MldListener(seededRandom(1));
  assert.throws(() => l.join(IF, parseIp6('2001:db8::1'), 0), { code: 'ERR_INVALID_ADDRESS' });
  assert.throws(() => l.join(-1, G1, 0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => l.join(IF, new Uint8Array(4), 0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => l.setMtu(IF, 1279), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new MldListener(seededRandom(1), { robustness: 0 }), { code: 'ERR_INVALID_ARG' });
  assert.deepEqual(l.groups(IF), []);
});
