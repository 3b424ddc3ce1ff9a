// Stateless address autoconfiguration from Router Advertisements (RFC 4862
// §5.5.3) on the stack: which Prefix Information options form an address,
// which identifier it gets (RFC 7217 stable-privacy or modified EUI-64), its
// DAD, on-link determination (RFC 5942), the two-hour rule (§5.5.3 e) case by
// case, and Optimistic DAD (RFC 4429). RAs are injected from a link-local
// router address with hop limit 255, built with emitRouterAdvert; lifetimes
// are checked to the millisecond in virtual time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ICMP_NS, INFINITE, Node, OTHER_SECRET, RETRANS_TIMER, ROUTER, eui64Addr, expectDadProbe, formatIp6, parseIp6, stableAddr,
  type NodeOptions,
} from '../support/addr.js';
import { showAddr } from '../../src/stack/show.js';

const P = '2001:db8:1::';
const TWO_HOURS = 7_200_000;
const HOUR = 3_600;

/** A host accepting RAs and forming stable-privacy addresses, its link-local address settled. */
function host(o: { iface?: NodeOptions['iface']; stableSecret?: Uint8Array } = {}): Node {
  const n = new Node({ stableSecret: o.stableSecret, iface: { acceptRa: true, slaac: true, iid: 'stable', ...o.iface } });
  n.advance(3_000);
  assert.equal(n.iface.addresses.filter((a) => a.state === 'preferred').length, 1, 'setup: link-local preferred');
  return n;
}

/** The autoconfigured addresses (origin slaac), as text. */
function slaac(n: Node): string[] {
  return n.iface.addresses.filter((a) => a.origin === 'slaac').map((a) => formatIp6(a.addr));
}

// --- which PIOs form an address (§5.5.3 a–d) ----------------------------------------

test('RFC 4862 §5.5.3 d a PIO with A set and a /64 forms one address: the prefix and the RFC 7217 §5 stable IID', () => {
  const n = host();
  const e = n.events.length;
  n.pio(P);
  const want = formatIp6(stableAddr(P));
  assert.deepEqual(slaac(n), [want]);
  assert.deepEqual(n.eventsOf('AddressAdded', e).map((x) => [x.address, x.prefixLen, x.state, x.origin]), [[want, 64, 'tentative', 'slaac']]);
  n.pio(P);
  assert.deepEqual(slaac(n), [want], 'the same prefix again forms no second address');
  const info = showAddr(n.stack)[0].addr_info.find((a) => a.local === want);
  assert.equal(info?.dynamic, true, 'shown as dynamic');
});

test('RFC 4862 §5.5.3 d one address per prefix: two PIOs in one RA form two addresses', () => {
  const n = host();
  n.ra({ prefixes: ['2001:db8:1::', '2001:db8:2::'].map((p) => ({ prefix: parseIp6(p), prefixLength: 64, onLink: true, autonomous: true, validLifetime: 3600, preferredLifetime: 1800 })) });
  assert.deepEqual(slaac(n), [formatIp6(stableAddr('2001:db8:1::')), formatIp6(stableAddr('2001:db8:2::'))]);
});

test('RFC 7217 §5 the stable IID is the same on two stacks with the same secret and interface name, different with another secret', () => {
  const a = host();
  const b = host();
  const c = host({ stableSecret: OTHER_SECRET });
  for (const n of [a, b, c]) n.pio(P);
  assert.deepEqual(slaac(a), slaac(b));
  assert.equal(slaac(c).length, 1);
  assert.notEqual(slaac(c)[0], slaac(a)[0]);
  assert.equal(slaac(c)[0], formatIp6(stableAddr(P, 0, 'eth0', OTHER_SECRET)));
  const d = host({ iface: { name: 'eth1' } });
  d.pio(P);
  assert.notEqual(slaac(d)[0], slaac(a)[0], 'Net_Iface is part of the input');
});

test('RFC 4862 §5.5.3 a a PIO with A clear forms no address', () => {
  const n = host();
  n.pio(P, { autonomous: false, onLink: true });
  assert.deepEqual(slaac(n), []);
});

test('RFC 4862 §5.5.3 b a link-local prefix forms no address', () => {
  const n = host();
  const before = n.addresses();
  n.pio('fe80::');
  assert.deepEqual(n.addresses(), before);
});

test('RFC 4862 §5.5.3 c a PIO whose preferred lifetime exceeds its valid lifetime is ignored', () => {
  const n = host();
  n.pio(P, { validLifetime: 600, preferredLifetime: 601 });
  assert.deepEqual(slaac(n), []);
  n.pio(P, { validLifetime: 600, preferredLifetime: 600 });
  assert.equal(slaac(n).length, 1, 'equal lifetimes are fine');
});

test('RFC 4862 §5.5.3 c an ignored PIO leaves an existing address untouched', () => {
  const n = host();
  n.pio(P, { validLifetime: 600, preferredLifetime: 300 });
  const a = n.addr(stableAddr(P))!;
  const { validUntil, preferredUntil } = a;
  n.advance(1_000);
  n.pio(P, { validLifetime: 100, preferredLifetime: 200 });
  assert.equal(a.validUntil, validUntil);
  assert.equal(a.preferredUntil, preferredUntil);
});

test('RFC 4862 §5.5.3 d a prefix length other than 64 (the IID length) forms no address', () => {
  const n = host();
  for (const prefixLength of [48, 56, 63, 65, 80]) n.ra({ prefixes: [{ prefix: parseIp6(P), prefixLength, onLink: false, autonomous: true, validLifetime: 3600, preferredLifetime: 1800 }] });
  assert.deepEqual(slaac(n), []);
});

test('RFC 4862 §5.5.3 d a new prefix with valid lifetime 0 forms no address', () => {
  const n = host();
  n.pio(P, { validLifetime: 0, preferredLifetime: 0 });
  assert.deepEqual(slaac(n), []);
});

test('RFC 4862 §5.5.3 d with iid eui64 the address is the prefix and the modified EUI-64 of the MAC (RFC 4291 App. A)', () => {
  const n = host({ iface: { iid: 'eui64' } });
  n.pio(P);
  assert.deepEqual(slaac(n), ['2001:db8:1::ff:fe00:a']);
  assert.equal(formatIp6(eui64Addr(P)), '2001:db8:1::ff:fe00:a');
  assert.equal(n.addr('2001:db8:1::ff:fe00:a')?.hardwareIid, true);
});

test('RFC 4862 §5.5.3 slaac off: a PIO with A set forms nothing', () => {
  const n = host({ iface: { slaac: false } });
  n.pio(P);
  assert.deepEqual(slaac(n), []);
});

test('RFC 4862 §5.5.3 d the address runs DAD (probe in the instant of the RA), then is preferred exactly RetransTimer later', () => {
  const n = host();
  const m = n.mark;
  const t = n.now;
  n.pio(P);
  const a = stableAddr(P);
  const probes = n.probes(a, m);
  assert.deepEqual(probes.map((p) => p.at), [t]);
  expectDadProbe(probes[0], a);
  n.advanceTo(t + RETRANS_TIMER - 1);
  assert.equal(n.state(a), 'tentative');
  n.advanceTo(t + RETRANS_TIMER);
  assert.equal(n.state(a), 'preferred');
  assert.deepEqual(n.eventsOf('AddressStateChanged').filter((e) => e.address === formatIp6(a)).map((e) => [e.at, e.state]), [[t + RETRANS_TIMER, 'preferred']]);
  assert.equal(n.sentType(ICMP_NS, m).length, 1);
});

// --- on-link determination (RFC 5942) ---------------------------------------------------

test('RFC 5942 §4 the A flag alone does not make the prefix on-link: traffic goes through the router', () => {
  const n = host();
  n.ra({ routerLifetime: 1800, prefixes: [{ prefix: parseIp6(P), prefixLength: 64, onLink: false, autonomous: true, validLifetime: 3600, preferredLifetime: 1800 }] });
  assert.equal(slaac(n).length, 1);
  const dst = parseIp6('2001:db8:1::99');
  assert.equal(n.stack.isOnLink(n.iface, dst), false);
  assert.equal(formatIp6(n.stack.nextHop(n.iface, dst)!), formatIp6(ROUTER.ll));
  n.advance(RETRANS_TIMER);
  assert.equal(n.stack.isOnLink(n.iface, dst), false, 'not after DAD either');
});

test('RFC 4861 §6.3.4 with the L flag the prefix is on-link', () => {
  const n = host();
  n.ra({ routerLifetime: 1800, prefixes: [{ prefix: parseIp6(P), prefixLength: 64, onLink: true, autonomous: true, validLifetime: 3600, preferredLifetime: 1800 }] });
  const dst = parseIp6('2001:db8:1::99');
  assert.equal(n.stack.isOnLink(n.iface, dst), true);
  assert.equal(formatIp6(n.stack.nextHop(n.iface, dst)!), '2001:db8:1::99');
});

// --- the two-hour rule (§5.5.3 e) --------------------------------------------------------

/** A formed address with `valid`/`preferred` seconds, then `after` ms later a second PIO. */
function refresh(first: { valid: number; preferred: number }, after: number, second: { valid: number; preferred: number }) {
  const n = host();
  const t0 = n.now;
  n.pio(P, { validLifetime: first.valid, preferredLifetime: first.preferred });
  const a = n.addr(stableAddr(P))!;
  assert.equal(a.validUntil, first.valid === INFINITE ? Infinity : t0 + first.valid * 1000, 'setup: valid lifetime');
  n.advance(after);
  const t1 = n.now;
  n.pio(P, { validLifetime: second.valid, preferredLifetime: second.preferred });
  return { n, a, t0, t1 };
}

test('RFC 4862 §5.5.3 e 1: a received valid lifetime above two hours replaces the remaining one (even a longer remaining one)', () => {
  const { a, t1 } = refresh({ valid: 86_400, preferred: 3_600 }, 1_000_000, { valid: 2 * HOUR + 1, preferred: 3_600 });
  assert.equal(a.validUntil, t1 + (2 * HOUR + 1) * 1000);
});

test('RFC 4862 §5.5.3 e 2: a received valid lifetime above the remaining one replaces it', () => {
  const { a, t1 } = refresh({ valid: HOUR, preferred: 600 }, 600_000, { valid: 3_500, preferred: 600 });
  assert.equal(a.validUntil, t1 + 3_500_000, 'remaining 3000 s < received 3500 s ≤ 2 h');
});

test('RFC 4862 §5.5.3 e 3: remaining ≤ 2 h and received ≤ remaining: the valid lifetime is ignored', () => {
  const { a, t0 } = refresh({ valid: HOUR, preferred: 600 }, 600_000, { valid: 60, preferred: 30 });
  assert.equal(a.validUntil, t0 + HOUR * 1000, 'unchanged');
});

test('RFC 4862 §5.5.3 e 3: remaining > 2 h and received ≤ 2 h: the valid lifetime becomes two hours', () => {
  const { a, t1 } = refresh({ valid: 86_400, preferred: 3_600 }, 1_000, { valid: 60, preferred: 30 });
  assert.equal(a.validUntil, t1 + TWO_HOURS);
});

test('RFC 4862 §5.5.3 e 3: an infinite remaining lifetime and a received one ≤ 2 h: two hours', () => {
  const { a, t1 } = refresh({ valid: INFINITE, preferred: INFINITE }, 1_000, { valid: 0, preferred: 0 });
  assert.equal(a.validUntil, t1 + TWO_HOURS);
});

test('RFC 4862 §5.5.3 e 1: a received infinite valid lifetime makes it infinite', () => {
  const { a } = refresh({ valid: HOUR, preferred: 600 }, 1_000, { valid: INFINITE, preferred: INFINITE });
  assert.equal(a.validUntil, Infinity);
  assert.equal(a.preferredUntil, Infinity);
});

test('RFC 4862 §5.5.3 e the preferred lifetime is always reset to the received one, even when the valid lifetime is ignored', () => {
  const { a, t1 } = refresh({ valid: HOUR, preferred: 600 }, 100_000, { valid: 60, preferred: 30 });
  assert.equal(a.preferredUntil, t1 + 30_000, 'shortened');
  const r = refresh({ valid: 86_400, preferred: 600 }, 100_000, { valid: 86_400, preferred: 7_000 });
  assert.equal(r.a.preferredUntil, r.t1 + 7_000_000, 'lengthened');
});

test('RFC 4862 §5.5.3 e a PIO with preferred lifetime 0 deprecates the address at once (§5.5.4)', () => {
  const { n, a } = refresh({ valid: HOUR, preferred: 600 }, 2_000, { valid: HOUR, preferred: 0 });
  assert.equal(a.state, 'deprecated');
  assert.deepEqual(n.eventsOf('AddressStateChanged').map((e) => [e.at, e.state]).at(-1), [n.now, 'deprecated']);
});

test('RFC 4862 §5.5.3 e a deprecated address with a new non-zero preferred lifetime becomes preferred again', () => {
  const n = host();
  const t0 = n.now;
  n.pio(P, { validLifetime: HOUR, preferredLifetime: 10 });
  const a = n.addr(stableAddr(P))!;
  n.advanceTo(t0 + 10_000);
  assert.equal(a.state, 'deprecated');
  const e = n.events.length;
  n.advance(5_000);
  n.pio(P, { validLifetime: HOUR, preferredLifetime: 600 });
  assert.equal(a.state, 'preferred');
  assert.equal(a.preferredUntil, n.now + 600_000);
  assert.deepEqual(n.eventsOf('AddressStateChanged', e).map((x) => [x.at, x.state]), [[n.now, 'preferred']]);
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, parseIp6('2001:db8:1::99'))!), formatIp6(a.addr));
});

// --- Optimistic DAD (RFC 4429) --------------------------------------------------------------

test('RFC 4429 §3.1 with Optimistic DAD a SLAAC address is optimistic during DAD, usable as a source, preferred RetransTimer after the probe', () => {
  const n = host({ iface: { optimisticDad: true } });
  const t = n.now;
  n.pio(P);
  const a = stableAddr(P);
  assert.equal(n.state(a), 'optimistic');
  assert.equal(n.probes(a).length, 1, 'DAD still runs');
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, parseIp6('2001:db8:1::99'))!), formatIp6(a), 'usable as a source (RFC 4429 §2.1)');
  assert.equal(showAddr(n.stack)[0].addr_info.find((x) => x.local === formatIp6(a))?.optimistic, true);
  n.advanceTo(t + RETRANS_TIMER - 1);
  assert.equal(n.state(a), 'optimistic');
  n.advanceTo(t + RETRANS_TIMER);
  assert.equal(n.state(a), 'preferred');
});

test('RFC 4429 §3.1 Optimistic DAD is not used for manually configured addresses', () => {
  const n = host({ iface: { optimisticDad: true } });
  n.stack.addAddress('eth0', '2001:db8:9::1/64');
  assert.equal(n.state('2001:db8:9::1'), 'tentative');
});

test('RFC 4429 §3.1 a duplicate of an optimistic address fails it like a tentative one', () => {
  const n = host({ iface: { optimisticDad: true } });
  n.pio(P);
  const a = stableAddr(P);
  n.ns(a);
  assert.equal(n.state(a), 'dadfailed');
  assert.equal(n.drops().DAD_DUPLICATE, 1);
});
