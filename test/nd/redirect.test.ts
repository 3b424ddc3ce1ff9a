// Redirect on a host: validation (RFC 4861 §8.1), one test and one drop
// reason per rule, each message with no effect; then processing (§8.3): the
// destination's next hop, the target's Neighbor Cache entry, and the redirect
// going away with the router that sent it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Host, HOST, HOST_LL, ICMP_ECHO_REQUEST, ICMP_NS, concat, emitRedirect, formatIp6, formatMac, naMessage, parseIp6, peer, solicitedNode, type Peer,
} from '../support/nd.js';

const R = peer(0x101); // the default router
const R2 = peer(0x102); // another router on the link
const T = peer(0x77); // the better first hop
const T2MAC = Uint8Array.from([2, 0, 0, 0, 0x77, 0x77]);
const D = '2001:db8:ffff::1'; // off-link destination
const OTHER = '2001:db8:eeee::1';
const ll = (p: Peer): string => formatIp6(p.ll);

function confirm(h: Host, p: Peer): void {
  h.inject({ src: p.ll, dst: HOST_LL, srcMac: p.mac, upper: naMessage(p.ll, { r: true, s: true, o: true }, p.mac) });
}

/** Host with R as its REACHABLE default router, and R2 known but not selected. */
function setup(lifetime = 1800): Host {
  const h = new Host();
  h.ra(R, { routerLifetime: lifetime, preference: 'high', sourceLinkAddr: R.mac });
  h.ra(R2, { routerLifetime: 1800, preference: 'low', sourceLinkAddr: R2.mac });
  confirm(h, R);
  assert.equal(h.nextHop(D), ll(R));
  return h;
}

const totalDrops = (h: Host): number => Object.values(h.drops()).reduce((a, b) => a + b, 0);

/** The Redirect was dropped for `reason`, counted once, and changed nothing. */
function assertDropped(h: Host, reason: string, before: { drops: number; entries: number; events: number }): void {
  assert.equal(h.drops()[reason], 1, `${reason} counted`);
  assert.equal(totalDrops(h) - before.drops, 1, 'exactly one drop in all');
  assert.equal(h.nextHop(D), ll(R), 'next hop unchanged');
  assert.equal(h.entry(T.ll), undefined, 'no entry for the target');
  assert.equal(h.stack.neighbors.size, before.entries);
  assert.equal(h.mib().Icmp6InRedirectsAccepted, 0);
  assert.equal(h.eventsOf('Redirected', before.events).length, 0);
}

function snapshot(h: Host) {
  return { drops: totalDrops(h), entries: h.stack.neighbors.size, events: h.events.length };
}

function injectRedirect(h: Host, upper: Uint8Array, opts: { src?: Uint8Array; hopLimit?: number } = {}): void {
  h.inject({ src: opts.src ?? R.ll, dst: HOST, srcMac: R.mac, hopLimit: opts.hopLimit ?? 255, upper });
}

/** A Redirect message; `tllao` null means no TLLAO. */
const redirectMsg = (target: string | Uint8Array = T.ll, destination: string = D, tllao: Uint8Array | null = T.mac): Uint8Array =>
  emitRedirect({ target: typeof target === 'string' ? parseIp6(target) : target, destination: parseIp6(destination), targetLinkAddr: tllao ?? undefined });

// --- §8.1 validation ---------------------------------------------------------------------

test('§8.1 Redirect from a source that is not link-local: dropped (ND_REDIRECT_SOURCE_NOT_LINK_LOCAL)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg(), { src: parseIp6('2001:db8::1') });
  assertDropped(h, 'ND_REDIRECT_SOURCE_NOT_LINK_LOCAL', b);
  h.close();
});

test('§8.1 Redirect not from the current first-hop router for the destination: dropped (ND_REDIRECT_NOT_FIRST_HOP)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg(), { src: R2.ll }); // a router, but not the one we use for D
  assertDropped(h, 'ND_REDIRECT_NOT_FIRST_HOP', b);
  h.close();
});

test('§8.1 Redirect for a multicast destination: dropped (ND_REDIRECT_DESTINATION_MULTICAST)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg(T.ll, 'ff0e::1'));
  assertDropped(h, 'ND_REDIRECT_DESTINATION_MULTICAST', b);
  h.close();
});

test('§8.1 Redirect whose target is neither link-local nor the destination: dropped (ND_REDIRECT_BAD_TARGET)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg('2001:db8::77'));
  assertDropped(h, 'ND_REDIRECT_BAD_TARGET', b);
  h.close();
});

test('§8.1 Redirect with IP Hop Limit ≠ 255: dropped (ND_HOP_LIMIT)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg(), { hopLimit: 254 });
  assertDropped(h, 'ND_HOP_LIMIT', b);
  h.close();
});

test('§8.1 Redirect with ICMP Code ≠ 0: dropped (ND_CODE)', () => {
  const h = setup();
  const b = snapshot(h);
  const m = redirectMsg();
  m[1] = 1;
  injectRedirect(h, m);
  assertDropped(h, 'ND_CODE', b);
  h.close();
});

test('§8.1 Redirect shorter than 40 octets: dropped (ICMP6_TRUNCATED)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, redirectMsg().slice(0, 39));
  assertDropped(h, 'ICMP6_TRUNCATED', b);
  h.close();
});

test('§8.1 Redirect with an option of length 0: dropped (ND_OPTION_LENGTH)', () => {
  const h = setup();
  const b = snapshot(h);
  injectRedirect(h, concat(redirectMsg(), Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0])));
  assertDropped(h, 'ND_OPTION_LENGTH', b);
  h.close();
});

test('§8.1 Redirect with a bad ICMP checksum: dropped (ICMP6_CHECKSUM)', () => {
  const h = setup();
  const b = snapshot(h);
  const m = redirectMsg();
  m[2] = 0x12;
  m[3] = 0x34;
  h.inject({ src: R.ll, dst: HOST, srcMac: R.mac, upper: m, checksum: false });
  assertDropped(h, 'ICMP6_CHECKSUM', b);
  h.close();
});

// --- §8.3 processing ------------------------------------------------------------------------

test('§8.3 a valid Redirect: the destination\'s next hop becomes the target; other destinations keep the router', () => {
  const h = setup();
  const ev = h.events.length;
  injectRedirect(h, redirectMsg());
  assert.equal(h.nextHop(D), ll(T));
  assert.equal(h.nextHop(OTHER), ll(R));
  assert.equal(h.mib().Icmp6InRedirectsAccepted, 1);
  assert.deepEqual(h.eventsOf('Redirected', ev).map((e) => [e.destination, e.target]), [[D, `${ll(T)}%h0`]]);
  h.close();
});

test('§8.3 the TLLAO creates the target\'s entry STALE with IsRouter set (target ≠ destination)', () => {
  const h = setup();
  injectRedirect(h, redirectMsg());
  const e = h.entry(T.ll)!;
  assert.equal(e.state, 'STALE');
  assert.equal(h.mac(T.ll), formatMac(T.mac));
  assert.equal(e.isRouter, true);
  h.close();
});

test('§8.3 packets to the destination then leave for the target\'s MAC', () => {
  const h = setup();
  injectRedirect(h, redirectMsg());
  const mark = h.mark;
  h.stack.ping(D, { count: 1, timeout: 1 });
  h.stack.ping(OTHER, { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark).map((d) => [formatIp6(d.dst), d.dstMac]);
  assert.deepEqual(echo, [
    [D, formatMac(T.mac)],
    [OTHER, formatMac(R.mac)],
  ]);
  assert.equal(h.state(T.ll), 'DELAY', 'the STALE target was used: NUD starts (§7.3.3)');
  h.close();
});

test('§8.3 without a TLLAO no entry is created; the target is resolved on first use', () => {
  const h = setup();
  injectRedirect(h, redirectMsg(T.ll, D, null));
  assert.equal(h.nextHop(D), ll(T));
  assert.equal(h.entry(T.ll), undefined);
  const mark = h.mark;
  h.stack.ping(D, { count: 1, timeout: 1 });
  const ns = h.sentType(ICMP_NS, mark);
  assert.equal(ns.length, 1);
  assert.equal(formatIp6(ns[0].upper.subarray(8, 24)), ll(T));
  assert.equal(formatIp6(ns[0].dst), formatIp6(solicitedNode(T.ll)));
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).length, 0, 'waits for resolution');
  h.close();
});

test('§8.3 target = destination: the destination is on-link; a new entry has IsRouter clear', () => {
  const h = setup();
  const dmac = Uint8Array.from([2, 0, 0, 0, 0xff, 1]);
  injectRedirect(h, redirectMsg(D, D, dmac));
  assert.equal(h.nextHop(D), D);
  const e = h.entry(D)!;
  assert.equal(e.state, 'STALE');
  assert.equal(e.isRouter, false);
  const mark = h.mark;
  h.stack.ping(D, { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, formatMac(dmac));
  h.close();
});

test('§8.3 an existing entry: the same TLLAO leaves its state, a different one replaces it and makes it STALE', () => {
  const h = setup();
  h.inject({ src: T.ll, dst: HOST_LL, srcMac: T.mac, upper: Uint8Array.from([135, 0, 0, 0, 0, 0, 0, 0, ...HOST_LL, 1, 1, ...T.mac]) });
  h.stack.confirmReachable(`${ll(T)}%h0`);
  assert.equal(h.state(T.ll), 'REACHABLE');
  injectRedirect(h, redirectMsg());
  assert.equal(h.state(T.ll), 'REACHABLE', 'same lladdr: unchanged');
  assert.equal(h.entry(T.ll)!.isRouter, true, 'target ≠ destination: IsRouter set');
  // A new redirect must come from the current first hop for D, which is now T.
  h.inject({ src: T.ll, dst: HOST, srcMac: T.mac, upper: redirectMsg(T.ll, D, T2MAC) });
  assert.equal(h.drops().ND_REDIRECT_NOT_FIRST_HOP, 0);
  assert.equal(h.state(T.ll), 'STALE');
  assert.equal(h.mac(T.ll), formatMac(T2MAC));
  h.close();
});

test('§8.3 the redirect goes with the router that sent it: Router Lifetime expiry', () => {
  const h = setup(600);
  const t0 = h.now;
  injectRedirect(h, redirectMsg());
  assert.equal(h.nextHop(D), ll(T));
  h.advanceTo(t0 + 600_000 - 1);
  assert.equal(h.nextHop(D), ll(T));
  h.advanceTo(t0 + 600_000);
  assert.equal(h.nextHop(D), ll(R2), 'R expired: its redirect is gone, D goes to the remaining router');
  h.close();
});

test('§8.3 the redirect goes with the router that sent it: Router Lifetime 0', () => {
  const h = setup();
  injectRedirect(h, redirectMsg());
  h.ra(R, { routerLifetime: 0, sourceLinkAddr: R.mac });
  assert.equal(h.nextHop(D), ll(R2));
  const mark = h.mark;
  h.stack.ping(D, { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, formatMac(R2.mac), 'the packet follows');
  h.close();
});

test('§8.3 the redirect goes with the router that sent it: the router turns host (NA with R clear, §7.2.5)', () => {
  const h = setup();
  injectRedirect(h, redirectMsg());
  h.inject({ src: R.ll, dst: HOST_LL, srcMac: R.mac, upper: naMessage(R.ll, { s: false, o: false }) });
  assert.notEqual(h.nextHop(D), ll(T));
  assert.equal(h.nextHop(D), ll(R2));
  h.close();
});
