// MLD on the stack (RFC 3810, RFC 2710 compatibility): the solicited-node
// groups that address configuration joins are reported when joined, again on
// a Query within its Maximum Response Delay, and left when the last address
// using them goes; Queries that break RFC 3810 §5 (hop limit 1, link-local
// source, Router Alert) are dropped as MLD_INVALID; an MLDv1 Query switches
// the interface to MLDv1 messages (§8.2.1). Query frames are built byte by
// byte here, Hop-by-Hop Router Alert included. Random delays are read from
// the listener's deadline (seeded RNG) and checked to the millisecond.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LL, MLD_V1_DONE, MLD_V1_REPORT, MLD_V2_REPORT, Node, expectMldv2Report, formatIp6, groupMac, mldQueryFrame, parseIp6, recordLines,
} from '../support/addr.js';
import { UNSOLICITED_REPORT_INTERVAL } from '../../src/mld/listener.js';

const G = '2001:db8::1';
const LL_TEXT = formatIp6(LL);
const GROUPS = ['ff02::1:ff00:1', 'ff02::1:ff00:a']; // solicited-node groups of 2001:db8::1 and fe80::ff:fe00:a

/** A node with fe80::ff:fe00:a and 2001:db8::1 (no DAD), its join reports and their retransmissions done. */
function quiet(): Node {
  const n = new Node({ iface: { dadTransmits: 0, addresses: [`${G}/64`] } });
  n.advance(3 * UNSOLICITED_REPORT_INTERVAL);
  assert.equal(n.stack.mld.nextDeadline(), Infinity, 'setup: no MLD timer running');
  return n;
}

/** Reports of either version sent since `m`. */
function mldSent(n: Node, m: number) {
  return n.sent(m).filter((p) => p.icmpType === MLD_V2_REPORT || p.icmpType === MLD_V1_REPORT || p.icmpType === MLD_V1_DONE);
}

test('RFC 3810 §6.1 a joined group is reported at once and once more within the Unsolicited Report Interval (Robustness Variable 2)', () => {
  const n = new Node({ iface: { dadTransmits: 0 } });
  const t = n.startedAt;
  const first = n.reports();
  assert.equal(first.length, 1);
  assert.equal(first[0].at, t);
  assert.deepEqual(recordLines(expectMldv2Report(first[0], LL_TEXT)), ['TO_EX ff02::1:ff00:a']);
  const again = n.stack.mld.nextDeadline();
  assert.ok(again >= t && again <= t + UNSOLICITED_REPORT_INTERVAL, `retransmission at +${again - t} ms`);
  n.advanceTo(again - 1);
  assert.equal(n.reports().length, 1);
  n.advanceTo(again);
  const both = n.reports();
  assert.equal(both.length, 2);
  assert.equal(both[1].at, again);
  assert.deepEqual(recordLines(expectMldv2Report(both[1], LL_TEXT)), ['TO_EX ff02::1:ff00:a']);
  n.advance(10 * UNSOLICITED_REPORT_INTERVAL);
  assert.equal(n.reports().length, 2, 'Robustness Variable 2: two in all');
});

test('RFC 3810 §6.2 a General Query is answered within its Maximum Response Delay with one Report of every reportable group (deadline − 1 ms: nothing)', () => {
  const n = quiet();
  const m = n.mark;
  const q = n.now;
  n.deliver(mldQueryFrame({ version: 2, maxResponseDelay: 2_000 }));
  const at = n.stack.mld.nextDeadline();
  assert.ok(at >= q && at <= q + 2_000, `response at +${at - q} ms`);
  n.advanceTo(at - 1);
  assert.equal(mldSent(n, m).length, 0);
  n.advanceTo(at);
  const r = mldSent(n, m);
  assert.equal(r.length, 1);
  assert.equal(r[0].at, at);
  const records = expectMldv2Report(r[0], LL_TEXT);
  assert.deepEqual(recordLines(records), GROUPS.map((g) => `IS_EX ${g}`), 'MODE_IS_EXCLUDE {} for each solicited-node group, not ff02::1');
  n.advanceTo(q + 10_000);
  assert.equal(mldSent(n, m).length, 1, 'one Report only');
  assert.equal(n.drops().MLD_INVALID, 0);
});

test('RFC 3810 §6.2 a Multicast Address Specific Query is answered with that group only; one for a group not joined with nothing', () => {
  const n = quiet();
  const m = n.mark;
  n.deliver(mldQueryFrame({ version: 2, maxResponseDelay: 1_000, group: parseIp6('ff02::1:ff00:1') }, { dst: 'ff02::1:ff00:1' }));
  n.deliver(mldQueryFrame({ version: 2, maxResponseDelay: 1_000, group: parseIp6('ff02::1:ff00:77') }, { dst: 'ff02::1' }));
  n.advance(1_000);
  const r = n.reports(m);
  assert.deepEqual(r.map((x) => recordLines(x.records)), [['IS_EX ff02::1:ff00:1']]);
});

for (const [why, opts] of [
  ['hop limit 2 (RFC 3810 §5: hop limit 1)', { hopLimit: 2 }],
  ['a global source (RFC 3810 §5.1.14: link-local source)', { src: '2001:db8::77' }],
  ['the unspecified source (RFC 3810 §5.1.14)', { src: '::' }],
  ['no Hop-by-Hop header (RFC 3810 §5: Router Alert)', { hopByHop: 'none' }],
  ['a Hop-by-Hop header without Router Alert (RFC 3810 §5)', { hopByHop: 'padding' }],
] as const) {
  test(`RFC 3810 §5 a General Query with ${why} is dropped as MLD_INVALID: no Report`, () => {
    const n = quiet();
    const m = n.mark;
    n.deliver(mldQueryFrame({ version: 2, maxResponseDelay: 1_000 }, opts));
    assert.equal(n.drops().MLD_INVALID, 1);
    assert.equal(n.stack.mld.nextDeadline(), Infinity, 'no response scheduled');
    n.advance(2_000);
    assert.equal(mldSent(n, m).length, 0);
    n.deliver(mldQueryFrame({ version: 2, maxResponseDelay: 1_000 })); // the same Query done right is answered
    n.advance(1_000);
    assert.equal(n.reports(m).length, 1, 'control: a valid Query gets its Report');
  });
}

test('RFC 3810 §8.2.1 an MLDv1 Query switches to MLDv1: one type 131 Report per group, to the group, each at its own random time within the delay', () => {
  const n = quiet();
  const m = n.mark;
  const q = n.now;
  n.deliver(mldQueryFrame({ version: 1, maxResponseDelay: 1_000 }));
  assert.equal(n.stack.mld.mode(n.ifindex), 'MLDv1');
  const times: number[] = [];
  for (let k = 1; k <= 2; k++) {
    const at = n.stack.mld.nextDeadline();
    assert.ok(at >= q && at <= q + 1_000, `report ${k} at +${at - q} ms`);
    n.advanceTo(at - 1);
    assert.equal(mldSent(n, m).length, k - 1);
    n.advanceTo(at);
    assert.equal(mldSent(n, m).length, k);
    times.push(at);
  }
  const r = mldSent(n, m);
  assert.deepEqual(r.map((p) => p.at), times);
  for (const p of r) {
    assert.equal(p.icmpType, MLD_V1_REPORT);
    assert.equal(formatIp6(p.msg.subarray(8, 24)), p.dstText, 'RFC 2710 §3: sent to the group it reports');
    assert.equal(p.dstMac, groupMac(p.dst));
    assert.equal(p.srcText, LL_TEXT);
    assert.equal(p.hopLimit, 1);
    assert.equal(p.routerAlert, 0);
    assert.ok(p.checksumOk);
  }
  assert.deepEqual(r.map((p) => p.dstText).sort(), GROUPS);
  n.advance(5_000);
  assert.equal(n.reports(m).length, 0, 'no MLDv2 Report');
});

test('RFC 3810 §8.2.1 in MLDv1 mode a new group is reported with an MLDv1 Report, and a left one with a Done to ff02::2 (RFC 2710 §4)', () => {
  const n = quiet();
  n.deliver(mldQueryFrame({ version: 1, maxResponseDelay: 1_000 }));
  n.advance(1_000);
  const m = n.mark;
  n.stack.addAddress('eth0', '2001:db8::77/64');
  const join = mldSent(n, m);
  assert.deepEqual(join.map((p) => [p.icmpType, p.dstText]), [[MLD_V1_REPORT, 'ff02::1:ff00:77']]);
  n.advance(3_000);
  const m2 = n.mark;
  n.stack.removeAddress('eth0', '2001:db8::77/64');
  const done = mldSent(n, m2);
  assert.deepEqual(done.map((p) => [p.icmpType, p.dstText, formatIp6(p.msg.subarray(8, 24))]), [[MLD_V1_DONE, 'ff02::2', 'ff02::1:ff00:77']]);
});

test('RFC 3810 §6.1 removing an address leaves its solicited-node group: CHANGE_TO_INCLUDE {}', () => {
  const n = quiet();
  const m = n.mark;
  n.stack.removeAddress('eth0', `${G}/64`);
  const r = n.reports(m);
  assert.equal(r.length, 1);
  assert.deepEqual(recordLines(expectMldv2Report(r[0], LL_TEXT)), ['TO_IN ff02::1:ff00:1']);
  assert.ok(!n.stack.mld.groups(n.ifindex).some((g) => formatIp6(g) === 'ff02::1:ff00:1'));
});

test('RFC 3810 §6.1 a solicited-node group shared by two addresses is left when the last of them goes, not before', () => {
  const n = quiet();
  n.stack.addAddress('eth0', '2001:db8::ff:fe00:a/64'); // shares ff02::1:ff00:a with fe80::ff:fe00:a
  n.advance(3_000);
  const m = n.mark;
  n.stack.removeAddress('eth0', '2001:db8::ff:fe00:a/64');
  n.advance(3_000);
  assert.equal(n.reports(m).length, 0, 'still used by the link-local address');
  n.stack.removeAddress('eth0', 'fe80::ff:fe00:a/64');
  n.advance(3_000);
  assert.ok(!n.stack.mld.groups(n.ifindex).some((g) => formatIp6(g) === 'ff02::1:ff00:a'), 'no longer listening');
  assert.deepEqual(n.reports(m).map((r) => recordLines(r.records))[0], ['TO_IN ff02::1:ff00:a']);
});
