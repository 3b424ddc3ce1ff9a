// Address lifetimes (RFC 4862 §5.5.4) and the one coalesced lifetime timer of
// the paper's §2: every address is deprecated when its preferred lifetime
// ends and removed when its valid lifetime ends; the stack computes the
// earliest moment any address must be re-evaluated and wakes then, but never
// more often than every LIFETIME_COALESCE (500 ms), so expiries close together
// are handled in one pass. Addresses come from Prefix Information (SLAAC) with
// DAD off, so the lifetime deadline is the only one address configuration
// has; RAs sent a few hundred milliseconds apart give expiries that close.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COALESCE, ICMP_ECHO_REPLY, INFINITE, Node, ROUTER, formatIp6, parseIp6, recordLines, solicitedNode, stableAddr } from '../support/addr.js';
import { LIFETIME_COALESCE } from '../../src/addrconf/addresses.js';
import { showAddr } from '../../src/stack/show.js';

/** A host forming stable-privacy SLAAC addresses without DAD (usable at once), link-local settled. */
function host(): Node {
  const n = new Node({ iface: { acceptRa: true, slaac: true, iid: 'stable', dadTransmits: 0 } });
  n.advance(2_000);
  return n;
}

const prefix = (k: number): string => `2001:db8:${k}::`;

/** Lifetime passes so far. */
const wakeups = (n: Node): number => n.stack.addrconf.lifetimeWakeups;

test('LIFETIME_COALESCE is 500 ms (paper §2: at most every 0.5 s)', () => {
  assert.equal(LIFETIME_COALESCE, COALESCE);
});

test('RFC 4862 §5.5.4 an address is deprecated exactly when its preferred lifetime ends (− 1 ms: still preferred)', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 40, preferredLifetime: 20 });
  const a = stableAddr(prefix(1));
  assert.equal(n.state(a), 'preferred');
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 20_000, 'the one lifetime deadline');
  const e = n.events.length;
  n.advanceTo(t0 + 20_000 - 1);
  assert.equal(n.state(a), 'preferred');
  n.advanceTo(t0 + 20_000);
  assert.equal(n.state(a), 'deprecated');
  assert.deepEqual(n.eventsOf('AddressStateChanged', e).map((x) => [x.at, x.address, x.state]), [[t0 + 20_000, formatIp6(a), 'deprecated']]);
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 40_000, 'next: the valid lifetime');
});

test('RFC 4862 §5.5.4 an address is removed exactly when its valid lifetime ends, and its solicited-node group left', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 40, preferredLifetime: 20 });
  const a = stableAddr(prefix(1));
  n.advanceTo(t0 + 40_000 - 1);
  assert.equal(n.state(a), 'deprecated');
  const e = n.events.length;
  const m = n.mark;
  n.advanceTo(t0 + 40_000);
  assert.equal(n.addr(a), undefined);
  assert.deepEqual(n.eventsOf('AddressRemoved', e).map((x) => [x.at, x.address]), [[t0 + 40_000, formatIp6(a)]]);
  const leave = n.reports(m).filter((r) => r.at === t0 + 40_000);
  assert.deepEqual(leave.map((r) => recordLines(r.records)), [[`TO_IN ${formatIp6(solicitedNode(a))}`]], 'CHANGE_TO_INCLUDE for its solicited-node group');
  assert.equal(n.stack.addrconf.nextDeadline(), Infinity, 'nothing left to time');
});

test('RFC 4862 §5.5.4 a deprecated address still receives: an echo to it is answered from it', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 3_600, preferredLifetime: 10 });
  const a = stableAddr(prefix(1));
  n.advanceTo(t0 + 10_000);
  assert.equal(n.state(a), 'deprecated');
  const m = n.mark;
  n.echo(a); // from the router's link-local address (its MAC known from the RA)
  n.advance(0);
  const replies = n.sentType(ICMP_ECHO_REPLY, m);
  assert.equal(replies.length, 1);
  assert.equal(replies[0].srcText, formatIp6(a));
  assert.equal(replies[0].dstText, formatIp6(ROUTER.ll));
});

test('RFC 6724 §5 rule 3 a deprecated address is not the source of new traffic when a preferred one exists', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 3_600, preferredLifetime: 10 });
  n.pio(prefix(2), { validLifetime: 3_600, preferredLifetime: 3_600 });
  const dst = parseIp6('2001:db8:1::99');
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, dst)!), formatIp6(stableAddr(prefix(1))), 'before: the longest match (rule 8)');
  n.advanceTo(t0 + 10_000);
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, dst)!), formatIp6(stableAddr(prefix(2))), 'after: the preferred address (rule 3 before rule 8)');
});

test('paper §2 expiries within 500 ms after a lifetime pass are handled together in one wake-up at pass + 500 ms', () => {
  const n = host();
  const t0 = n.now;
  for (const [k, dt] of [
    [1, 0],
    [2, 100],
    [3, 200],
    [4, 400],
  ]) {
    n.advanceTo(t0 + dt);
    n.pio(prefix(k), { validLifetime: 60, preferredLifetime: 60 });
  }
  const w0 = wakeups(n);
  const e = n.events.length;
  n.advanceTo(t0 + 60_000 - 1);
  assert.equal(wakeups(n), w0, 'no pass before the first expiry');
  n.advanceTo(t0 + 60_000);
  assert.equal(wakeups(n), w0 + 1, 'the first expiry, on time');
  assert.deepEqual(n.eventsOf('AddressRemoved', e).map((x) => [x.at, x.address]), [[t0 + 60_000, formatIp6(stableAddr(prefix(1)))]]);
  n.advanceTo(t0 + 60_499);
  assert.equal(wakeups(n), w0 + 1, 'expiries at +100, +200, +400 ms wait for the bin');
  assert.equal(n.eventsOf('AddressRemoved', e).length, 1);
  n.advanceTo(t0 + 60_500);
  assert.equal(wakeups(n), w0 + 2, 'one wake-up for all three');
  assert.deepEqual(
    n.eventsOf('AddressRemoved', e).slice(1).map((x) => [x.at, x.address]),
    [2, 3, 4].map((k) => [t0 + 60_500, formatIp6(stableAddr(prefix(k)))]),
  );
  n.advance(10_000);
  assert.equal(wakeups(n), w0 + 2, 'and nothing more');
});

test('paper §2 an expiry due less than 500 ms after the previous pass waits for the 500 ms bin', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 60, preferredLifetime: 60 });
  n.advanceTo(t0 + 300);
  n.pio(prefix(2), { validLifetime: 3_600, preferredLifetime: 60 }); // deprecation due at +60 300 ms
  const b = stableAddr(prefix(2));
  n.advanceTo(t0 + 60_000);
  assert.equal(n.addr(stableAddr(prefix(1))), undefined, 'the pass at +60 000 ms');
  n.advanceTo(t0 + 60_300);
  assert.equal(n.state(b), 'preferred', 'due, but only 300 ms after the last pass');
  n.advanceTo(t0 + 60_499);
  assert.equal(n.state(b), 'preferred');
  n.advanceTo(t0 + 60_500);
  assert.equal(n.state(b), 'deprecated');
  assert.deepEqual(n.eventsOf('AddressStateChanged').filter((x) => x.address === formatIp6(b)).map((x) => [x.at, x.state]), [[t0 + 60_500, 'deprecated']]);
});

test('paper §2 an expiry 500 ms or more after the previous pass is handled exactly on time', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 60, preferredLifetime: 60 });
  n.advanceTo(t0 + 700);
  n.pio(prefix(2), { validLifetime: 60, preferredLifetime: 60 });
  const w0 = wakeups(n);
  n.advanceTo(t0 + 60_699);
  assert.equal(wakeups(n), w0 + 1);
  assert.ok(n.addr(stableAddr(prefix(2))));
  n.advanceTo(t0 + 60_700);
  assert.equal(wakeups(n), w0 + 2);
  assert.equal(n.addr(stableAddr(prefix(2))), undefined);
});

test('paper §2 never more often than every 0.5 s: ten expiries 100 ms apart take three wake-ups, 500 ms apart', () => {
  const n = host();
  const t0 = n.now;
  for (let k = 0; k < 10; k++) {
    n.advanceTo(t0 + 100 * k);
    n.pio(prefix(k + 1), { validLifetime: 60, preferredLifetime: 60 });
  }
  const passes: number[] = [];
  let w = wakeups(n);
  for (let t = t0 + 59_000; t <= t0 + 62_000; t++) {
    n.advanceTo(t);
    if (wakeups(n) !== w) {
      assert.equal(wakeups(n), w + 1, 'one pass per wake-up');
      w = wakeups(n);
      passes.push(t - t0);
    }
  }
  assert.deepEqual(passes, [60_000, 60_500, 61_000]);
  assert.equal(n.iface.addresses.filter((a) => a.origin === 'slaac').length, 0, 'all ten gone');
  const removed = n.eventsOf('AddressRemoved').map((x) => x.at - t0);
  assert.deepEqual(removed, [60_000, 60_500, 60_500, 60_500, 60_500, 60_500, 61_000, 61_000, 61_000, 61_000]);
});

test('paper §2 deprecation and removal share the one deadline: the earliest of all addresses', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 100, preferredLifetime: 90 });
  n.pio(prefix(2), { validLifetime: 80, preferredLifetime: 70 });
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 70_000);
  n.advanceTo(t0 + 70_000);
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 80_000);
  n.advanceTo(t0 + 80_000);
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 90_000);
  n.advanceTo(t0 + 90_000);
  assert.equal(n.stack.addrconf.nextDeadline(), t0 + 100_000);
  n.advanceTo(t0 + 100_000);
  assert.equal(n.stack.addrconf.nextDeadline(), Infinity);
  assert.deepEqual(
    n.events.filter((x) => x.type === 'AddressStateChanged' || x.type === 'AddressRemoved').map((x) => [x.at - t0, x.type, x.address.split(':')[2]]),
    [
      [70_000, 'AddressStateChanged', '2'],
      [80_000, 'AddressRemoved', '2'],
      [90_000, 'AddressStateChanged', '1'],
      [100_000, 'AddressRemoved', '1'],
    ],
  );
});

test('iproute2 JSON: valid_life_time and preferred_life_time count down in seconds, 4294967295 for infinite, 0 preferred once deprecated', () => {
  const n = host();
  const t0 = n.now;
  n.pio(prefix(1), { validLifetime: 3_600, preferredLifetime: 1_800 });
  const a = formatIp6(stableAddr(prefix(1)));
  const info = () => {
    const all = showAddr(n.stack)[0].addr_info;
    const ll = all.find((x) => x.scope === 'link')!;
    const g = all.find((x) => x.local === a)!;
    return { ll: [ll.valid_life_time, ll.preferred_life_time], g: [g.valid_life_time, g.preferred_life_time, g.deprecated ?? false] };
  };
  assert.deepEqual(info(), { ll: [INFINITE, INFINITE], g: [3_600, 1_800, false] });
  n.advanceTo(t0 + 1_000);
  assert.deepEqual(info().g, [3_599, 1_799, false]);
  n.advanceTo(t0 + 600_000);
  assert.deepEqual(info().g, [3_000, 1_200, false]);
  n.advanceTo(t0 + 1_800_000);
  assert.deepEqual(info(), { ll: [INFINITE, INFINITE], g: [1_800, 0, true] });
  n.advanceTo(t0 + 3_599_000);
  assert.deepEqual(info().g, [1, 0, true]);
});

test('paper §2 a tentative address whose preferred lifetime already ended wakes the lifetime timer no more than once during DAD; it is deprecated when DAD ends', () => {
  const n = new Node({ iface: { acceptRa: true, slaac: true, iid: 'stable', dadTransmits: 3 } });
  n.advance(5_000);
  const w0 = wakeups(n);
  const t = n.now;
  n.pio(prefix(1), { validLifetime: 3_600, preferredLifetime: 0 });
  const a = stableAddr(prefix(1));
  n.advanceTo(t + 3_000 - 1);
  assert.equal(n.state(a), 'tentative');
  assert.ok(wakeups(n) - w0 <= 1, `${wakeups(n) - w0} lifetime passes while nothing could change`);
  n.advanceTo(t + 3_000);
  assert.equal(n.state(a), 'deprecated', 'DAD done, preferred lifetime 0: deprecated (RFC 4862 §5.5.3 d)');
});
