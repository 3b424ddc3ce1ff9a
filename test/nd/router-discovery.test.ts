// Router and prefix discovery on a host (RFC 4861 §6.3), router preferences
// and more-specific routes (RFC 4191), DNS options (RFC 8106), in virtual time.
// Routers are simulated by injecting their RAs into the host's port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Host, HOST_LL, HOST_MAC, ICMP_ECHO_REQUEST, ICMP_NS, ICMP_RS, concat, emitRouterAdvert, formatIp6, formatMac, naMessage, parseIp6, peer, rioOption,
  solicitedNode, type Peer,
} from '../support/nd.js';
import { ethFrame } from '../support/frames.js';

const MAX_RTR_SOLICITATION_DELAY = 1_000; // RFC 4861 §10
const RTR_SOLICITATION_INTERVAL = 4_000; // RFC 4861 §10
const MAX_RTR_SOLICITATIONS = 3; // RFC 4861 §10
const INFINITY = 0xffffffff;

const R1 = peer(0x101);
const R2 = peer(0x102);
const R3 = peer(0x103);
const ll = (p: Peer): string => formatIp6(p.ll);
const OFF_LINK = '2001:db8:ffff::1';

/** An RA frame from `p` to all-nodes (for links other than the host's first). */
function ethFrameFor(p: Peer, ra: Uint8Array): Uint8Array {
  return ethFrame({ src: p.ll, dst: 'ff02::1', srcMac: p.mac, hopLimit: 255, upper: ra });
}

/** An NA from router `p` (R=1, S=1): its entry becomes REACHABLE. */
function confirm(h: Host, p: Peer): void {
  h.inject({ src: p.ll, dst: HOST_LL, srcMac: p.mac, upper: naMessage(p.ll, { r: true, s: true, o: true }, p.mac) });
}

// --- Router Solicitations (§6.3.7) -------------------------------------------------------

test('RS: the first after a random delay in [0, MAX_RTR_SOLICITATION_DELAY], then RTR_SOLICITATION_INTERVAL apart, MAX_RTR_SOLICITATIONS in all (RFC 4861 §6.3.7)', () => {
  const h = new Host();
  const start = h.now;
  const first = h.stack.routers.nextDeadline();
  assert.ok(first >= start && first <= start + MAX_RTR_SOLICITATION_DELAY, `first RS at +${first - start} ms`);
  assert.ok(first - start > 1, 'seed gives room for the − 1 ms check');
  const times = [first, first + RTR_SOLICITATION_INTERVAL, first + 2 * RTR_SOLICITATION_INTERVAL];
  for (let k = 0; k < times.length; k++) {
    h.advanceTo(times[k] - 1);
    assert.equal(h.sentType(ICMP_RS).length, k, `RS ${k + 1}: deadline − 1 ms, nothing`);
    h.advanceTo(times[k]);
    const rs = h.sentType(ICMP_RS);
    assert.equal(rs.length, k + 1, `RS ${k + 1} at its deadline`);
    assert.equal(rs[k].at, times[k]);
  }
  h.advance(60_000);
  assert.equal(h.sentType(ICMP_RS).length, MAX_RTR_SOLICITATIONS, 'no fourth RS');
  assert.equal(h.stack.routers.solicitationsSent(h.iface.ifindex), MAX_RTR_SOLICITATIONS);
  h.close();
});

test('RS: to all-routers, hop limit 255, code 0, from the link-local address with an SLLA option (RFC 4861 §4.1, §6.3.7)', () => {
  const h = new Host();
  h.advance(MAX_RTR_SOLICITATION_DELAY + 2 * RTR_SOLICITATION_INTERVAL);
  const rs = h.sentType(ICMP_RS);
  assert.equal(rs.length, 3);
  for (const d of rs) {
    assert.equal(formatIp6(d.dst), 'ff02::2');
    assert.equal(d.dstMac, '33:33:00:00:00:02');
    assert.equal(d.srcMac, formatMac(HOST_MAC));
    assert.equal(d.hopLimit, 255);
    assert.equal(d.icmpCode, 0);
    assert.equal(formatIp6(d.src), formatIp6(HOST_LL));
    assert.equal(d.payloadLength, 16);
    assert.deepEqual([...d.upper.subarray(4, 8)], [0, 0, 0, 0], 'reserved');
    assert.deepEqual([...d.upper.subarray(8, 16)], [1, 1, ...HOST_MAC], 'SLLA option');
    assert.ok(d.checksumOk);
  }
  h.close();
});

test('RS: no more solicitations once a valid RA with a non-zero Router Lifetime arrived (RFC 4861 §6.3.7)', () => {
  const h = new Host();
  const first = h.stack.routers.nextDeadline();
  h.advanceTo(first);
  assert.equal(h.sentType(ICMP_RS).length, 1);
  h.advance(100);
  h.ra(R1, { routerLifetime: 1800 });
  h.advance(60_000);
  assert.equal(h.sentType(ICMP_RS).length, 1, 'desisted');
  h.close();
});

test(
  'RS: an RA with Router Lifetime 0 does not stop the solicitations (RFC 4861 §6.3.7: "receives a valid Router Advertisement with a non-zero Router Lifetime")',
  () => {
    const h = new Host();
    const first = h.stack.routers.nextDeadline();
    h.advanceTo(first + 100);
    h.ra(R1, { routerLifetime: 0, prefixes: [{ prefixLength: 64, onLink: true, autonomous: false, validLifetime: 600, preferredLifetime: 600, prefix: parseIp6('2001:db8:5::') }] });
    h.advanceTo(first + RTR_SOLICITATION_INTERVAL);
    assert.equal(h.sentType(ICMP_RS).length, 2, 'second RS still at +4 s');
    h.advance(60_000);
    assert.equal(h.sentType(ICMP_RS).length, MAX_RTR_SOLICITATIONS);
    h.close();
  },
);

test('RS: none at all on an interface that does not do router discovery (acceptRa: false; RFC 4861 §6.3.7)', () => {
  const h = new Host({ acceptRa: false });
  h.advance(30_000);
  assert.equal(h.sentType(ICMP_RS).length, 0);
  h.close();
});

// --- Default Router List (§6.3.4, §6.3.5) -------------------------------------------------

test('RA: the router enters the Default Router List with its lifetime and is removed exactly when it expires (RFC 4861 §6.3.4, §6.3.5)', () => {
  const h = new Host();
  h.advance(10);
  const t0 = h.now;
  h.ra(R1, { routerLifetime: 600 });
  const list = h.stack.routers.routersOf(h.iface.ifindex);
  assert.equal(list.length, 1);
  assert.equal(formatIp6(list[0].addr), ll(R1));
  assert.equal(list[0].expiresAt, t0 + 600_000);
  assert.deepEqual(h.eventsOf('RouterAdded').map((e) => [e.address, e.lifetime, e.preference]), [[`${ll(R1)}%h0`, 600, 'medium']]);
  assert.equal(h.nextHop(OFF_LINK), ll(R1));
  h.advanceTo(t0 + 600_000 - 1);
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 1, 'deadline − 1 ms: still there');
  assert.equal(h.nextHop(OFF_LINK), ll(R1));
  h.advanceTo(t0 + 600_000);
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 0);
  assert.deepEqual(h.eventsOf('RouterRemoved').map((e) => e.reason), ['expired']);
  assert.equal(h.iface.defaultRouter, undefined);
  assert.equal(h.nextHop(OFF_LINK), undefined);
  h.close();
});

test('RA: a later RA resets the router\'s invalidation timer to its Router Lifetime (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  const t0 = h.now;
  h.ra(R1, { routerLifetime: 600 });
  h.advance(300_000);
  h.ra(R1, { routerLifetime: 100 });
  const t1 = h.now;
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex)[0].expiresAt, t1 + 100_000);
  h.advanceTo(t1 + 100_000 - 1);
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 1);
  h.advanceTo(t1 + 100_000);
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 0, 'expired at the new lifetime, not at t0 + 600 s');
  assert.ok(h.now < t0 + 600_000);
  h.close();
});

test('RA: Router Lifetime 0 removes the router at once (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 600 });
  h.ra(R2, { routerLifetime: 600 });
  assert.equal(h.nextHop(OFF_LINK), ll(R1));
  h.ra(R1, { routerLifetime: 0 });
  assert.deepEqual(h.stack.routers.routersOf(h.iface.ifindex).map((r) => formatIp6(r.addr)), [ll(R2)]);
  assert.deepEqual(h.eventsOf('RouterRemoved').map((e) => [e.address, e.reason]), [[`${ll(R1)}%h0`, 'lifetime-zero']]);
  assert.equal(h.nextHop(OFF_LINK), ll(R2));
  h.close();
});

test('RA: a Router Lifetime 0 RA from an unknown router adds nothing (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 0, sourceLinkAddr: R1.mac });
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 0);
  assert.equal(h.eventsOf('RouterAdded').length, 0);
  assert.equal(h.nextHop(OFF_LINK), undefined);
  h.close();
});

test('RA: Default Router Preference high, medium, low, and the reserved value 10 read as medium (RFC 4191 §2.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 600, preference: 'high' });
  h.ra(R2, { routerLifetime: 600, preference: 'low' });
  h.ra(R3, { routerLifetime: 600, preference: 'medium' });
  const reserved = emitRouterAdvert({ routerLifetime: 600 });
  reserved[5] = 0b10 << 3;
  const r4 = peer(0x104);
  h.inject({ src: r4.ll, dst: 'ff02::1', srcMac: r4.mac, upper: reserved });
  const pref = Object.fromEntries(h.stack.routers.routersOf(h.iface.ifindex).map((r) => [formatIp6(r.addr), r.preference]));
  assert.deepEqual(pref, { [ll(R1)]: 'high', [ll(R2)]: 'low', [ll(R3)]: 'medium', [ll(r4)]: 'medium' });
  assert.deepEqual(h.eventsOf('RouterAdded').map((e) => e.preference), ['high', 'low', 'medium', 'medium']);
  h.close();
});

// --- Default router selection (§6.3.6, RFC 4191 §3.2) ---------------------------------

test('selection: among probably reachable routers the highest preference wins (RFC 4191 §3.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 600, preference: 'low', sourceLinkAddr: R1.mac });
  h.ra(R2, { routerLifetime: 600, preference: 'medium', sourceLinkAddr: R2.mac });
  assert.equal(h.nextHop(OFF_LINK), ll(R2));
  h.ra(R3, { routerLifetime: 600, preference: 'high', sourceLinkAddr: R3.mac });
  assert.equal(h.nextHop(OFF_LINK), ll(R3));
  assert.equal(h.eventsOf('DefaultRouterChanged').at(-1)?.address, `${ll(R3)}%h0`);
  // R3 lowers its preference: R2 is best again.
  h.ra(R3, { routerLifetime: 600, preference: 'low', sourceLinkAddr: R3.mac });
  assert.equal(h.nextHop(OFF_LINK), ll(R2));
  h.close();
});

test('selection: a probably reachable router beats one of unknown reachability even of higher preference (RFC 4861 §6.3.6, RFC 4191 §3.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 600, preference: 'high' }); // no SLLAO: no entry, reachability unknown
  h.ra(R2, { routerLifetime: 600, preference: 'low', sourceLinkAddr: R2.mac }); // STALE
  assert.equal(h.entry(R1.ll), undefined);
  assert.equal(h.state(R2.ll), 'STALE');
  assert.equal(h.nextHop(OFF_LINK), ll(R2));
  // R1 becomes probably reachable (its SLLAO): its higher preference now counts.
  h.ra(R1, { routerLifetime: 600, preference: 'high', sourceLinkAddr: R1.mac });
  assert.equal(h.nextHop(OFF_LINK), ll(R1));
  h.close();
});

test('selection: with no router probably reachable, the selection moves on from the one found UNREACHABLE (round-robin, RFC 4861 §6.3.6)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, sourceLinkAddr: R1.mac }); // STALE
  h.ra(R2, { routerLifetime: 1800 }); // unknown
  assert.equal(h.nextHop(OFF_LINK), ll(R1));
  h.stack.ping(OFF_LINK, { count: 1, timeout: 1 }); // R1: STALE → DELAY → PROBE → UNREACHABLE (nobody answers)
  h.advance(5_000 + 3 * 1_000);
  assert.equal(h.state(R1.ll), 'UNREACHABLE');
  assert.equal(h.nextHop(OFF_LINK), ll(R2));
  assert.equal(h.eventsOf('DefaultRouterChanged').at(-1)?.address, `${ll(R2)}%h0`);
  const mark = h.mark;
  h.stack.ping(OFF_LINK, { count: 1, timeout: 1 });
  const ns = h.sentType(ICMP_NS, mark);
  assert.equal(ns.length, 1, 'the next packet resolves R2');
  assert.equal(formatIp6(ns[0].dst), formatIp6(solicitedNode(R2.ll)));
  assert.equal(formatIp6(ns[0].upper.subarray(8, 24)), ll(R2));
  h.close();
});

test(
  'selection: when resolving the selected router fails, the next packet tries the next router (round-robin, RFC 4861 §6.3.6)',
  () => {
    const h = new Host();
    h.ra(R1, { routerLifetime: 1800 });
    h.ra(R2, { routerLifetime: 1800 });
    assert.equal(h.nextHop(OFF_LINK), ll(R1));
    h.stack.ping(OFF_LINK, { count: 1, timeout: 5 });
    h.advance(3_000); // three NS for R1, no answer: resolution failed
    assert.equal(h.entry(R1.ll), undefined);
    const mark = h.mark;
    h.stack.ping(OFF_LINK, { count: 1, timeout: 5 });
    const targets = h.sentType(ICMP_NS, mark).map((d) => formatIp6(d.upper.subarray(8, 24)));
    assert.deepEqual(targets, [ll(R2)], '"subsequent requests for a default router do not return the same router until all other routers have been selected"');
    h.close();
  },
);

// --- Route Information (RFC 4191) ----------------------------------------------------------

test('RIO: the longest matching route wins, else the default router (RFC 4191 §3.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, routes: [{ prefix: parseIp6('2001:db8:1::'), prefixLength: 48, preference: 'medium', lifetime: 600 }] });
  h.ra(R2, { routerLifetime: 1800, routes: [{ prefix: parseIp6('2001:db8:1:2::'), prefixLength: 64, preference: 'low', lifetime: 600 }] });
  assert.equal(h.nextHop('2001:db8:1:2::5'), ll(R2), '/64 beats /48 whatever the preference');
  assert.equal(h.nextHop('2001:db8:1:3::5'), ll(R1));
  assert.equal(h.nextHop('2001:db8:9::1'), ll(R1), 'default router');
  h.close();
});

test('RIO: among routes of equal length the higher preference wins; lifetime 0 removes a route (RFC 4191 §3.1, §3.2)', () => {
  const h = new Host();
  const route = (pref: 'low' | 'medium' | 'high', lifetime = 600) => [{ prefix: parseIp6('2001:db8:1::'), prefixLength: 48, preference: pref, lifetime }];
  h.ra(R1, { routerLifetime: 1800, routes: route('low') });
  h.ra(R2, { routerLifetime: 1800, routes: route('high') });
  h.ra(R3, { routerLifetime: 1800, routes: route('medium') });
  assert.equal(h.nextHop('2001:db8:1::7'), ll(R2));
  h.ra(R2, { routerLifetime: 1800, routes: route('high', 0) });
  assert.equal(h.nextHop('2001:db8:1::7'), ll(R3));
  assert.equal(h.stack.routers.routes.size, 2);
  h.close();
});

test('RIO: a route expires exactly at its lifetime (RFC 4191 §3.1)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800 });
  h.advance(5);
  const t0 = h.now;
  h.ra(R2, { routerLifetime: 1800, routes: [{ prefix: parseIp6('2001:db8:1::'), prefixLength: 48, preference: 'medium', lifetime: 300 }] });
  h.advanceTo(t0 + 300_000 - 1);
  assert.equal(h.nextHop('2001:db8:1::7'), ll(R2));
  h.advanceTo(t0 + 300_000);
  assert.equal(h.nextHop('2001:db8:1::7'), ll(R1), 'back to the default router');
  assert.equal(h.stack.routers.routes.size, 0);
  h.close();
});

test('RIO: invalid Length for the Prefix Length, or Prefix Length > 128, is ignored; valid combinations are used (RFC 4191 §2.3)', () => {
  const h = new Host();
  const bad = [
    rioOption('2001:db8:1::', 64, 1, 0, 600), // plen > 0 needs Length ≥ 2
    rioOption('2001:db8:2::', 65, 2, 0, 600), // plen > 64 needs Length 3
    rioOption('2001:db8:3::', 129, 3, 0, 600), // plen > 128
    rioOption('2001:db8:4::', 48, 4, 0, 600), // Length > 3
  ];
  const good = [
    rioOption('::', 0, 1, 0, 600),
    rioOption('2001:db8:5::', 64, 2, 0, 600),
    rioOption('2001:db8:6::', 48, 3, 0, 600),
    rioOption('2001:db8:7:8:9::', 80, 3, 0, 600),
  ];
  h.ra(R1, { routerLifetime: 0 }, concat(concat(concat(bad[0], bad[1]), concat(bad[2], bad[3])), concat(concat(good[0], good[1]), concat(good[2], good[3]))));
  assert.equal(h.drops().ND_OPTION_LENGTH, 0, 'the RA itself was valid');
  const got = [...h.stack.routers.routes.values()].map((r) => `${formatIp6(r.prefix)}/${r.prefixLength}`).sort();
  assert.deepEqual(got, ['2001:db8:5::/64', '2001:db8:6::/48', '2001:db8:7:8:9::/80', '::/0']);
  h.close();
});

test('RIO: the reserved preference value 10 makes the option ignored (RFC 4191 §2.3)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800 }, concat(rioOption('2001:db8:1::', 48, 2, 0b10, 600), rioOption('2001:db8:2::', 48, 2, 0b01, 600)));
  const got = [...h.stack.routers.routes.values()].map((r) => [`${formatIp6(r.prefix)}/${r.prefixLength}`, r.preference]);
  assert.deepEqual(got, [['2001:db8:2::/48', 'high']]);
  h.close();
});

test(
  'RIO: a more specific route through an UNREACHABLE router is passed over for the next best route (RFC 4191 §3.2)',
  () => {
    const h = new Host();
    h.ra(R1, { routerLifetime: 1800, sourceLinkAddr: R1.mac });
    confirm(h, R1);
    h.ra(R2, { routerLifetime: 0, sourceLinkAddr: R2.mac, routes: [{ prefix: parseIp6('2001:db8:1::'), prefixLength: 48, preference: 'medium', lifetime: 1800 }] });
    assert.equal(h.nextHop('2001:db8:1::7'), ll(R2));
    h.stack.ping('2001:db8:1::7', { count: 1, timeout: 1 }); // R2: STALE → DELAY → PROBE → UNREACHABLE
    h.advance(5_000 + 3_000);
    assert.equal(h.state(R2.ll), 'UNREACHABLE');
    assert.equal(h.nextHop('2001:db8:1::7'), ll(R1));
    h.close();
  },
);

test('RIO: a packet to a destination under a more specific route leaves for that route\'s router (RFC 4191 §3.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, sourceLinkAddr: R1.mac });
  h.ra(R2, { routerLifetime: 1800, sourceLinkAddr: R2.mac, routes: [{ prefix: parseIp6('2001:db8:1::'), prefixLength: 48, preference: 'medium', lifetime: 600 }] });
  confirm(h, R1);
  confirm(h, R2);
  const mark = h.mark;
  h.stack.ping('2001:db8:1::7', { count: 1, timeout: 1 });
  h.stack.ping('2001:db8:9::7', { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark).map((d) => [formatIp6(d.dst), d.dstMac]);
  assert.deepEqual(echo, [
    ['2001:db8:1::7', formatMac(R2.mac)],
    ['2001:db8:9::7', formatMac(R1.mac)],
  ]);
  h.close();
});

// --- Prefix List (§6.3.4, §5.2) ---------------------------------------------------------------

const pio = (prefix: string, validLifetime: number, onLink = true, prefixLength = 64) => ({ prefix: parseIp6(prefix), prefixLength, onLink, autonomous: false, validLifetime, preferredLifetime: Math.min(validLifetime, 300) });

test('PIO with L=1: the prefix is on-link (next hop = destination) until its valid lifetime ends, exactly (RFC 4861 §6.3.4, §5.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800 });
  h.advance(3);
  const t0 = h.now;
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('2001:db8:5::', 600)] });
  assert.equal(h.nextHop('2001:db8:5::9'), '2001:db8:5::9');
  assert.deepEqual(h.eventsOf('PrefixAdded').map((e) => [e.prefix, e.validLifetime]), [['2001:db8:5::/64', 600]]);
  h.advanceTo(t0 + 600_000 - 1);
  assert.equal(h.nextHop('2001:db8:5::9'), '2001:db8:5::9', 'deadline − 1 ms: still on-link');
  h.advanceTo(t0 + 600_000);
  assert.equal(h.nextHop('2001:db8:5::9'), ll(R1), 'off-link again: via the default router');
  assert.deepEqual(h.eventsOf('PrefixRemoved').map((e) => [e.prefix, e.reason]), [['2001:db8:5::/64', 'expired']]);
  h.close();
});

test('PIO on-link: a packet to the prefix is resolved directly, not sent to the router (RFC 4861 §5.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, sourceLinkAddr: R1.mac, prefixes: [pio('2001:db8:5::', 600)] });
  confirm(h, R1);
  const mark = h.mark;
  h.stack.ping('2001:db8:5::9', { count: 1, timeout: 1 });
  const sent = h.sent(mark).filter((d) => d.icmpType !== ICMP_RS);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].icmpType, ICMP_NS);
  assert.equal(formatIp6(sent[0].upper.subarray(8, 24)), '2001:db8:5::9');
  assert.equal(formatIp6(sent[0].dst), formatIp6(solicitedNode(parseIp6('2001:db8:5::9'))));
  h.close();
});

test('PIO: a later valid lifetime resets the timer; valid lifetime 0 removes the prefix at once (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('2001:db8:5::', 600)] });
  h.advance(500_000);
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('2001:db8:5::', 600)] });
  h.advance(200_000);
  assert.equal(h.nextHop('2001:db8:5::9'), '2001:db8:5::9', 'refreshed: still on-link past the first lifetime');
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('2001:db8:5::', 0)] });
  assert.equal(h.nextHop('2001:db8:5::9'), ll(R1));
  assert.deepEqual(h.eventsOf('PrefixRemoved').map((e) => e.reason), ['lifetime-zero']);
  h.close();
});

test('PIO: an infinite valid lifetime never expires (RFC 4861 §4.6.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 0, prefixes: [pio('2001:db8:5::', INFINITY)] });
  h.advance(50 * 86_400_000);
  assert.equal(h.nextHop('2001:db8:5::9'), '2001:db8:5::9');
  h.close();
});

test('PIO: the link-local prefix is ignored (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('fe80::', 600)] });
  assert.equal(h.stack.routers.prefixes.size, 0);
  assert.equal(h.eventsOf('PrefixAdded').length, 0);
  h.close();
});

test('PIO with L=0 does not make the prefix on-link (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, prefixes: [pio('2001:db8:6::', 600, false)] });
  assert.equal(h.stack.routers.prefixes.size, 0);
  assert.equal(h.nextHop('2001:db8:6::9'), ll(R1));
  h.close();
});

// --- Parameters (§6.3.4) -----------------------------------------------------------------------

test('Cur Hop Limit: applied to the packets we originate, 0 leaves it unchanged (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  h.ns('2001:db8::b', Uint8Array.from([2, 0, 0, 0, 0, 0x0b])); // a usable on-link neighbor
  const hops = (): number[] => h.sentType(ICMP_ECHO_REQUEST).map((d) => d.hopLimit);
  h.stack.ping('2001:db8::b', { count: 1, timeout: 1 });
  assert.deepEqual(hops(), [64], 'default 64 (RFC 8200 §3, IANA)');
  h.ra(R1, { routerLifetime: 1800, curHopLimit: 17 });
  assert.equal(h.iface.hopLimit, 17);
  h.stack.ping('2001:db8::b', { count: 1, timeout: 1 });
  h.ra(R1, { routerLifetime: 1800, curHopLimit: 0 });
  h.stack.ping('2001:db8::b', { count: 1, timeout: 1 });
  assert.deepEqual(hops(), [64, 17, 17]);
  // The fast path's echo replies use it too.
  const mark = h.mark;
  h.inject({ src: '2001:db8::b', dst: '2001:db8::a', srcMac: Uint8Array.from([2, 0, 0, 0, 0, 0x0b]), hopLimit: 64, upper: Uint8Array.from([128, 0, 0, 0, 0, 9, 0, 1]) });
  const reply = h.sent(mark).filter((d) => d.icmpType === 129);
  assert.equal(reply.length, 1);
  assert.equal(reply[0].hopLimit, 17);
  h.close();
});

test('MTU option: used when 1280 ≤ MTU ≤ the link MTU, ignored otherwise (RFC 4861 §6.3.4)', () => {
  const h = new Host(); // memory link MTU 1500
  assert.equal(h.iface.mtu, 1500);
  h.ra(R1, { routerLifetime: 1800, mtu: 1279 });
  assert.equal(h.iface.mtu, 1500, '1279 < 1280: ignored');
  h.ra(R1, { routerLifetime: 1800, mtu: 1501 });
  assert.equal(h.iface.mtu, 1500, 'above the link MTU: ignored');
  h.ra(R1, { routerLifetime: 1800, mtu: 1400 });
  assert.equal(h.iface.mtu, 1400);
  // Packets to on-link destinations now use 1400 (larger ones are fragmented, RFC 8200 §5).
  assert.equal(h.stack.pmtu.pmtu(parseIp6('2001:db8::b'), h.iface.mtu), 1400);
  h.ra(R1, { routerLifetime: 1800, mtu: 1280 });
  assert.equal(h.iface.mtu, 1280);
  h.ra(R1, { routerLifetime: 1800, mtu: 1500 });
  assert.equal(h.iface.mtu, 1500);
  h.close();
});

test('Reachable Time: sets BaseReachableTime and re-draws ReachableTime in [0.5, 1.5] × the new value (RFC 4861 §6.3.4, §6.3.2)', () => {
  const h = new Host();
  const n = h.stack.neighbors;
  const before = n.currentReachableTime(h.now);
  assert.ok(before >= 15_000 && before <= 45_000);
  h.ra(R1, { routerLifetime: 1800, reachableTime: 4_000 });
  assert.equal(n.paramsOf(1).baseReachableTime, 4_000);
  const rt = n.currentReachableTime(h.now);
  assert.ok(rt >= 2_000 && rt <= 6_000, `ReachableTime ${rt}`);
  // An entry confirmed now goes STALE exactly ReachableTime later.
  h.ns('2001:db8::b', Uint8Array.from([2, 0, 0, 0, 0, 0x0b]));
  h.stack.confirmReachable('2001:db8::b');
  const t0 = h.now;
  h.advanceTo(t0 + rt - 1);
  assert.equal(h.state('2001:db8::b'), 'REACHABLE');
  h.advanceTo(t0 + rt);
  assert.equal(h.state('2001:db8::b'), 'STALE');
  // 0 means unspecified: nothing changes.
  h.ra(R1, { routerLifetime: 1800, reachableTime: 0 });
  assert.equal(n.paramsOf(1).baseReachableTime, 4_000);
  assert.equal(n.currentReachableTime(h.now), rt);
  h.close();
});

test('Retrans Timer: sets the spacing of address-resolution NS (RFC 4861 §6.3.4, §7.2.2)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, retransTimer: 400 });
  h.advance(2_000); // past the RS
  const t0 = h.now;
  const mark = h.mark;
  h.stack.ping('2001:db8::77', { count: 1, timeout: 5 });
  const ns = () => h.sentType(ICMP_NS, mark).map((d) => d.at - t0);
  h.advanceTo(t0 + 399);
  assert.deepEqual(ns(), [0]);
  h.advanceTo(t0 + 400);
  assert.deepEqual(ns(), [0, 400]);
  h.advanceTo(t0 + 799);
  assert.deepEqual(ns(), [0, 400]);
  h.advanceTo(t0 + 800);
  assert.deepEqual(ns(), [0, 400, 800]);
  h.advanceTo(t0 + 1_199);
  assert.equal(h.state('2001:db8::77'), 'INCOMPLETE');
  h.advanceTo(t0 + 1_200);
  assert.equal(h.entry('2001:db8::77'), undefined, 'failed after MAX_MULTICAST_SOLICIT × 400 ms');
  h.close();
});

test('Retrans Timer: also spaces NUD probes and the UNREACHABLE back-off (RFC 4861 §6.3.4, §7.3.3; RFC 7048 §3)', () => {
  const h = new Host();
  h.ra(R1, { routerLifetime: 1800, retransTimer: 400 });
  h.ns('2001:db8::b', Uint8Array.from([2, 0, 0, 0, 0, 0x0b]));
  h.stack.ping('2001:db8::b', { count: 1, timeout: 1 }); // DELAY
  const t0 = h.now + 5_000; // first unicast probe
  const mark = h.mark;
  h.advanceTo(t0 + 2 * 400);
  assert.deepEqual(h.sentType(ICMP_NS, mark).map((d) => d.at - t0), [0, 400, 800]);
  h.advanceTo(t0 + 3 * 400 - 1);
  assert.equal(h.state('2001:db8::b'), 'PROBE');
  h.advanceTo(t0 + 3 * 400);
  assert.equal(h.state('2001:db8::b'), 'UNREACHABLE');
  h.advanceTo(t0 + 3 * 400 + 3 * 400);
  assert.deepEqual(h.sentType(ICMP_NS, mark).map((d) => d.at - t0), [0, 400, 800, 2_400], 'first back-off probe after 3 × RetransTimer');
  h.close();
});

test(
  'RA parameters are per interface: Retrans Timer and Reachable Time learned on one link do not change another (RFC 4861 §6.3.2 host variables are per interface)',
  () => {
    const h = new Host();
    const link2 = h.sim.link();
    const if2 = h.stack.addInterface({ link: link2, name: 'h1', mac: '02:00:00:00:01:0a', addresses: ['2001:db8:1::a/64'] });
    const ra = emitRouterAdvert({ routerLifetime: 1800, retransTimer: 400, reachableTime: 4_000 });
    link2.ports[0].deliver([ethFrameFor(R1, ra)]);
    assert.equal(h.stack.routers.routersOf(if2.ifindex).length, 1, 'the RA was taken on h1');
    h.advance(2_000);
    const t0 = h.now;
    const mark = h.mark;
    h.stack.ping('2001:db8::77', { count: 1, timeout: 5 }); // on h0
    h.advanceTo(t0 + 999);
    assert.deepEqual(h.sentType(ICMP_NS, mark).map((d) => d.at - t0), [0], 'h0 keeps RetransTimer 1 s');
    h.ns('2001:db8::b', Uint8Array.from([2, 0, 0, 0, 0, 0x0b]));
    h.stack.confirmReachable('2001:db8::b');
    const rt = h.stack.neighbors.deadlineOf(h.entry('2001:db8::b')!) - h.now;
    assert.ok(rt >= 15_000 && rt <= 45_000, `h0 ReachableTime ${rt} from BaseReachableTime 30 s`);
    h.close();
  },
);

// --- DNS (RFC 8106) -------------------------------------------------------------------------

test('RDNSS and DNSSL: listed by dns() and removed exactly when their lifetimes end (RFC 8106 §5.3.1)', () => {
  const h = new Host();
  h.advance(7);
  const t0 = h.now;
  h.ra(R1, {
    routerLifetime: 1800,
    rdnss: [{ lifetime: 600, servers: [parseIp6('2001:db8::53'), parseIp6('2001:db8::54')] }],
    dnssl: [{ lifetime: 300, domains: ['example.com', 'corp.example'] }],
  });
  let d = h.stack.dns();
  assert.deepEqual(d.servers.map((s) => [s.address, s.expires]), [['2001:db8::53', 600], ['2001:db8::54', 600]]);
  assert.deepEqual(d.searchList.map((s) => [s.domain, s.expires]), [['example.com', 300], ['corp.example', 300]]);
  assert.equal(h.eventsOf('DnsChanged').length, 1);
  h.advanceTo(t0 + 300_000 - 1);
  assert.equal(h.stack.dns().searchList.length, 2);
  h.advanceTo(t0 + 300_000);
  d = h.stack.dns();
  assert.equal(d.searchList.length, 0, 'DNSSL expired');
  assert.equal(d.servers.length, 2);
  h.advanceTo(t0 + 600_000 - 1);
  assert.equal(h.stack.dns().servers.length, 2);
  h.advanceTo(t0 + 600_000);
  assert.equal(h.stack.dns().servers.length, 0, 'RDNSS expired');
  assert.deepEqual(h.eventsOf('DnsChanged').at(-1), { type: 'DnsChanged', ifindex: 1, interface: 'h0', servers: [], searchList: [] });
  h.close();
});

test('RDNSS and DNSSL: lifetime 0 removes the entry at once (RFC 8106 §5.1, §5.2)', () => {
  const h = new Host();
  h.ra(R1, {
    routerLifetime: 1800,
    rdnss: [{ lifetime: 600, servers: [parseIp6('2001:db8::53'), parseIp6('2001:db8::54')] }],
    dnssl: [{ lifetime: 600, domains: ['example.com'] }],
  });
  h.ra(R1, { routerLifetime: 1800, rdnss: [{ lifetime: 0, servers: [parseIp6('2001:db8::53')] }], dnssl: [{ lifetime: 0, domains: ['example.com'] }] });
  const d = h.stack.dns();
  assert.deepEqual(d.servers.map((s) => s.address), ['2001:db8::54']);
  assert.deepEqual(d.searchList, []);
  h.close();
});
