// RFC 4861 §7.2.5, the whole table for an entry that is not INCOMPLETE:
// {REACHABLE, STALE, DELAY, PROBE} × S ∈ {0,1} × O ∈ {0,1} × TLLAO {absent,
// same, different} — the resulting state, the cached link-layer address and
// the entry's one timer. Expectations are written from the RFC's words, not
// from the code:
//
//   If O = 0 and the TLLAO differs from the cache: a REACHABLE entry becomes
//   STALE and is otherwise unchanged; any other entry is left untouched.
//   Otherwise (O = 1, or the same address, or no TLLAO): a different TLLAO
//   replaces the cached address; S = 1 → REACHABLE; S = 0 with a changed
//   address → STALE; else the state is unchanged. IsRouter follows the R flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, HOST_LL, ICMP_ECHO_REQUEST, formatMac, naMessage as naMsg, parseMac, peer } from '../support/nd.js';
import type { NudState } from '../../src/nd/neighbor-cache.js';

const N = '2001:db8::b';
const M1 = parseMac('02:00:00:00:00:0b');
const M2 = parseMac('02:00:00:00:00:bb');
const DELAY_FIRST_PROBE_TIME = 5_000; // RFC 4861 §10

type Start = 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';
type Tll = 'absent' | 'same' | 'different';

/** Brings N to `state` with lladdr M1 (acceptRa off: no RS traffic). */
function setup(state: Start): Host {
  const h = new Host({ acceptRa: false });
  h.ns(N, M1); // STALE (§7.2.3)
  if (state === 'REACHABLE') h.stack.confirmReachable(N);
  if (state === 'DELAY' || state === 'PROBE') h.stack.ping(N, { count: 1, timeout: 100 });
  if (state === 'PROBE') h.advance(DELAY_FIRST_PROBE_TIME);
  assert.equal(h.state(N), state, `setup reaches ${state}`);
  return h;
}

function expected(state: Start, s: boolean, o: boolean, tll: Tll): { state: NudState; mac: string; timer: 'fresh' | 'none' | 'kept' } {
  if (tll === 'different' && !o) {
    return state === 'REACHABLE' ? { state: 'STALE', mac: formatMac(M1), timer: 'none' } : { state, mac: formatMac(M1), timer: 'kept' };
  }
  const mac = formatMac(tll === 'different' ? M2 : M1);
  if (s) return { state: 'REACHABLE', mac, timer: 'fresh' };
  if (tll === 'different') return { state: 'STALE', mac, timer: 'none' };
  return { state, mac, timer: 'kept' };
}

for (const state of ['REACHABLE', 'STALE', 'DELAY', 'PROBE'] as const) {
  for (const s of [false, true]) {
    for (const o of [false, true]) {
      for (const tll of ['absent', 'same', 'different'] as const) {
        const want = expected(state, s, o, tll);
        const name = `§7.2.5 ${state} + NA S=${Number(s)} O=${Number(o)} TLLAO ${tll} → ${want.state}${want.state === state ? ' (unchanged)' : ''}, lladdr ${want.mac === formatMac(M1) ? 'kept' : 'replaced'}`;
        test(name, () => {
          const h = setup(state);
          h.advance(100); // so a restarted timer is distinguishable from the old one
          const e = h.entry(N)!;
          const before = h.stack.neighbors.deadlineOf(e);
          h.na(N, { s, o }, tll === 'absent' ? undefined : tll === 'same' ? M1 : M2, M1);
          assert.equal(h.entry(N), e, 'same entry');
          assert.equal(e.state, want.state);
          assert.equal(h.mac(N), want.mac);
          assert.equal(e.isRouter, false, 'R = 0');
          const after = h.stack.neighbors.deadlineOf(e);
          if (want.timer === 'fresh') assert.equal(after, h.now + h.stack.neighbors.currentReachableTime(h.now), 'ReachableTime restarted');
          else if (want.timer === 'none') assert.equal(after, Infinity, 'STALE has no timer');
          else assert.equal(after, before, 'timer untouched');
          h.close();
        });
      }
    }
  }
}

test('§7.2.5 an NA with a different TLLAO and O=1 redirects the fast path: the next packet goes to the new lladdr', () => {
  const h = setup('REACHABLE');
  h.na(N, { s: true, o: true }, M2);
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, formatMac(M2));
  h.close();
});

test('§7.2.5 an NA with a different TLLAO and O=0 never changes the cache: the next packet still goes to the old lladdr', () => {
  const h = setup('STALE');
  h.na(N, { s: true, o: false }, M2);
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, formatMac(M1));
  h.close();
});

test('§7.2.5 an NA for a target with no entry is silently discarded: no entry, no event', () => {
  for (const flags of [{ s: true, o: true }, { s: false, o: true }, { s: false, o: false, r: true }]) {
    const h = new Host({ acceptRa: false });
    const ev = h.events.length;
    h.na(N, flags, M1);
    assert.equal(h.mib().Icmp6InNeighborAdvertisements, 1, 'received and validated');
    assert.equal(h.entry(N), undefined);
    assert.equal(h.stack.neighbors.size, 0);
    assert.equal(h.eventsOf('NeighborChanged', ev).length, 0);
    h.close();
  }
});

test('§7.2.5 the R flag sets IsRouter: an NA with R=1 marks the entry a router', () => {
  const h = setup('STALE');
  h.na(N, { r: true, s: false, o: false });
  assert.equal(h.entry(N)!.isRouter, true);
  assert.equal(h.state(N), 'STALE');
  h.close();
});

test('§7.2.5 IsRouter true → false: the router leaves the Default Router List (RouterRemoved) and next-hop determination stops using it', () => {
  const h = new Host();
  const r1 = peer(0x101);
  const r2 = peer(0x102);
  h.ra(r1, { routerLifetime: 1800, sourceLinkAddr: r1.mac });
  h.ra(r2, { routerLifetime: 1800, sourceLinkAddr: r2.mac });
  assert.equal(h.nextHop('2001:db8:ffff::1'), `fe80::ff:fe00:101`);
  const ev = h.events.length;
  h.inject({ src: r1.ll, dst: HOST_LL, srcMac: r1.mac, upper: naMsg(r1.ll, { s: true, o: false }) });
  assert.equal(h.entry(r1.ll)!.isRouter, false);
  assert.deepEqual(
    h.eventsOf('RouterRemoved', ev).map((e) => [e.address, e.reason]),
    [['fe80::ff:fe00:101%h0', 'not-a-router']],
  );
  assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 1);
  assert.equal(h.nextHop('2001:db8:ffff::1'), 'fe80::ff:fe00:102', 'the other router now');
  // And the fast path follows: an off-link echo goes to R2's MAC.
  h.inject({ src: r2.ll, dst: HOST_LL, srcMac: r2.mac, upper: naMsg(r2.ll, { r: true, s: true, o: true }, r2.mac) });
  const mark = h.mark;
  h.stack.ping('2001:db8:ffff::1', { count: 1, timeout: 1 });
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, formatMac(r2.mac));
  h.close();
});

test('§7.2.5 IsRouter true → false for the only router: no default router is left', () => {
  const h = new Host();
  const r1 = peer(0x101);
  h.ra(r1, { routerLifetime: 1800, sourceLinkAddr: r1.mac });
  assert.equal(h.nextHop('2001:db8:ffff::1'), 'fe80::ff:fe00:101');
  h.inject({ src: r1.ll, dst: HOST_LL, srcMac: r1.mac, upper: naMsg(r1.ll, { s: false, o: false }) });
  assert.equal(h.iface.defaultRouter, undefined);
  assert.equal(h.nextHop('2001:db8:ffff::1'), undefined);
  assert.equal(h.eventsOf('DefaultRouterChanged').at(-1)?.address, null);
  h.close();
});

test(
  '§7.2.5 IsRouter true → false on an INCOMPLETE entry (resolution answered with R=0): the router leaves the Default Router List',
  () => {
    const h = new Host();
    const r1 = peer(0x101);
    h.stack.ping(`fe80::ff:fe00:101%h0`, { count: 1, timeout: 5 }); // INCOMPLETE entry for R1
    h.ra(r1, { routerLifetime: 1800 }); // no SLLAO: the existing entry gets IsRouter = TRUE (§6.3.4)
    assert.equal(h.state(r1.ll), 'INCOMPLETE');
    assert.equal(h.entry(r1.ll)!.isRouter, true);
    assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 1);
    h.inject({ src: r1.ll, dst: HOST_LL, srcMac: r1.mac, upper: naMsg(r1.ll, { r: false, s: true, o: true }, r1.mac) });
    assert.equal(h.state(r1.ll), 'REACHABLE');
    assert.equal(h.entry(r1.ll)!.isRouter, false);
    assert.equal(h.stack.routers.routersOf(h.iface.ifindex).length, 0, '"the node MUST remove that router from the Default Router List"');
    assert.equal(h.nextHop('2001:db8:ffff::1'), undefined);
    h.close();
  },
);
