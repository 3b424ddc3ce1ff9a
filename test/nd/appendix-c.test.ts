// RFC 4861 Appendix C, row by row (with RFC 7048's UNREACHABLE state), in
// virtual time: "deadline − 1 ms: nothing; deadline: exactly this packet"
// (STYLE.md 3). One host, 2001:db8::a; the neighbor N = 2001:db8::b is
// simulated by injecting its messages. Constants are the RFC's own numbers
// written out (RFC 4861 §10, RFC 7048 §4), not imported from the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Host, HOST_LL, HOST_MAC, ICMP_ECHO_REQUEST, ICMP_NS, formatIp6, formatMac, parseIp6, parseMac, nsMessage, peer, rsMessage, solicitedNode, tick,
} from '../support/nd.js';

const RETRANS_TIMER = 1_000; // RFC 4861 §10
const MAX_MULTICAST_SOLICIT = 3; // RFC 4861 §10
const MAX_UNICAST_SOLICIT = 3; // RFC 4861 §10
const DELAY_FIRST_PROBE_TIME = 5_000; // RFC 4861 §10
const BACKOFF_MULTIPLE = 3; // RFC 7048 §4
const MAX_RETRANS_TIMER = 60_000; // RFC 7048 §4

const N = '2001:db8::b';
const N_IP = parseIp6(N);
const M1 = parseMac('02:00:00:00:00:0b');
const M2 = parseMac('02:00:00:00:00:bb');
const M1S = formatMac(M1);
const M2S = formatMac(M2);

function host(): Host {
  return new Host({ acceptRa: false });
}

/** NS from N with an SLLAO: the entry is created STALE (§7.2.3). */
function toStale(h: Host): void {
  h.ns(N, M1);
  assert.equal(h.state(N), 'STALE');
}
function toReachable(h: Host): void {
  toStale(h);
  h.stack.confirmReachable(N);
  assert.equal(h.state(N), 'REACHABLE');
}
function toDelay(h: Host): void {
  toStale(h);
  h.stack.ping(N, { count: 1, timeout: 100 });
  assert.equal(h.state(N), 'DELAY');
}
function toProbe(h: Host): void {
  toDelay(h);
  h.advance(DELAY_FIRST_PROBE_TIME);
  assert.equal(h.state(N), 'PROBE');
}
function toUnreachable(h: Host): void {
  toProbe(h);
  h.advance(MAX_UNICAST_SOLICIT * RETRANS_TIMER);
  assert.equal(h.state(N), 'UNREACHABLE');
}

const nsTarget = (d: { upper: Uint8Array }): string => formatIp6(d.upper.subarray(8, 24));
const neighborStates = (h: Host, from = 0): string[] => h.eventsOf('NeighborChanged', from).filter((e) => e.address === N).map((e) => e.state);

// --- no entry / INCOMPLETE --------------------------------------------------------

test('App. C "-, packet to send": INCOMPLETE, one multicast NS at once, retransmit timer RetransTimer (RFC 4861 §7.2.2)', () => {
  const h = host();
  const t0 = h.now;
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 10 });
  assert.equal(h.state(N), 'INCOMPLETE');
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), t0 + RETRANS_TIMER);
  const ns = h.sentType(ICMP_NS, mark);
  assert.equal(ns.length, 1);
  assert.equal(formatIp6(ns[0].dst), formatIp6(solicitedNode(N_IP)), 'to the solicited-node group');
  assert.equal(ns[0].dstMac, '33:33:ff:00:00:0b');
  assert.equal(ns[0].hopLimit, 255);
  assert.equal(nsTarget(ns[0]), N);
  assert.equal(formatIp6(ns[0].src), '2001:db8::a', 'from the source of the queued packet');
  assert.deepEqual([...ns[0].upper.subarray(24, 32)], [1, 1, ...HOST_MAC], 'with our SLLAO');
  assert.ok(ns[0].checksumOk);
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).length, 0, 'the packet waits in the queue');
  h.close();
});

test('App. C "INCOMPLETE, retransmit timeout, fewer than N": another multicast NS exactly RetransTimer later (RFC 4861 §7.2.2)', () => {
  const h = host();
  const t0 = h.now;
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 10 });
  for (let k = 1; k < MAX_MULTICAST_SOLICIT; k++) {
    h.advanceTo(t0 + k * RETRANS_TIMER - 1);
    assert.equal(h.sentType(ICMP_NS, mark).length, k, `deadline − 1 ms: still ${k} NS`);
    h.advanceTo(t0 + k * RETRANS_TIMER);
    const ns = h.sentType(ICMP_NS, mark);
    assert.equal(ns.length, k + 1, 'deadline: exactly one more NS');
    assert.equal(formatIp6(ns[k].dst), formatIp6(solicitedNode(N_IP)), 'multicast');
    assert.equal(ns[k].at, t0 + k * RETRANS_TIMER);
    assert.equal(h.state(N), 'INCOMPLETE');
  }
  h.close();
});

test('App. C "INCOMPLETE, retransmit timeout, N or more": entry discarded, ICMPv6 address unreachable (code 3) for every queued packet (RFC 4861 §7.2.2)', async () => {
  const h = host();
  const t0 = h.now;
  const mark = h.mark;
  const p = h.stack.ping(N, { count: 2, interval: 0.5, timeout: 10 });
  const errs: Array<{ seq: number; code: number }> = [];
  p.on('unreachable', (e) => errs.push({ seq: e.seq, code: e.code }));
  h.advanceTo(t0 + MAX_MULTICAST_SOLICIT * RETRANS_TIMER - 1);
  await tick();
  assert.equal(h.state(N), 'INCOMPLETE', 'deadline − 1 ms: still resolving');
  assert.deepEqual(errs, []);
  h.advanceTo(t0 + MAX_MULTICAST_SOLICIT * RETRANS_TIMER);
  await tick();
  assert.equal(h.entry(N), undefined, 'deleted');
  assert.equal(h.sentType(ICMP_NS, mark).length, MAX_MULTICAST_SOLICIT, 'no NS at the final timeout');
  assert.deepEqual(errs, [{ seq: 1, code: 3 }, { seq: 2, code: 3 }]);
  assert.equal(h.drops().RESOLVE_FAILED, 2);
  assert.deepEqual(h.eventsOf('ResolutionFailed').map((e) => [e.address, e.dropped]), [[N, 2]]);
  assert.deepEqual(neighborStates(h), ['INCOMPLETE', 'FAILED']);
  h.close();
});

for (const o of [false, true]) {
  test(`App. C "INCOMPLETE, NA S=0 O=${Number(o)}": record the lladdr, STALE, send the queued packets (RFC 4861 §7.2.5)`, () => {
    const h = host();
    const mark = h.mark;
    h.stack.ping(N, { count: 1, timeout: 10 });
    const ev = h.events.length;
    h.na(N, { s: false, o }, M1);
    assert.equal(neighborStates(h, ev)[0], 'STALE');
    assert.equal(h.mac(N), M1S);
    const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
    assert.equal(echo.length, 1, 'the queued packet was sent');
    assert.equal(echo[0].dstMac, M1S);
    h.close();
  });

  test(`App. C "INCOMPLETE, NA S=1 O=${Number(o)}": record the lladdr, REACHABLE, send the queued packets (RFC 4861 §7.2.5)`, () => {
    const h = host();
    const mark = h.mark;
    h.stack.ping(N, { count: 1, timeout: 10 });
    h.na(N, { s: true, o }, M1);
    assert.equal(h.state(N), 'REACHABLE');
    assert.equal(h.mac(N), M1S);
    const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
    assert.equal(echo.length, 1);
    assert.equal(echo[0].dstMac, M1S);
    h.close();
  });
}

test('INCOMPLETE + NA without a TLLAO: discarded, still INCOMPLETE (RFC 4861 §7.2.5)', () => {
  const h = host();
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 10 });
  h.na(N, { s: true, o: true }, undefined, M1);
  assert.equal(h.state(N), 'INCOMPLETE');
  assert.equal(h.entry(N)!.mac, undefined);
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).length, 0);
  h.close();
});

test('App. C "INCOMPLETE, NS with lladdr": record it, STALE, send the queued packets (RFC 4861 §7.2.3)', () => {
  const h = host();
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 10 });
  const ev = h.events.length;
  h.ns(N, M1);
  assert.equal(neighborStates(h, ev)[0], 'STALE');
  assert.equal(h.mac(N), M1S);
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).filter((d) => d.dstMac === M1S).length, 1);
  h.close();
});

test('App. C "INCOMPLETE, NS without lladdr": unchanged (RFC 4861 §7.2.3)', () => {
  const h = host();
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 10 });
  h.ns(N, undefined);
  assert.equal(h.state(N), 'INCOMPLETE');
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).length, 0);
  h.close();
});

test(
  'the queued packets sent when INCOMPLETE becomes STALE are a use of a STALE entry: STALE → DELAY, probe after DELAY_FIRST_PROBE_TIME (RFC 4861 §7.3.3)',
  () => {
    for (const via of ['NA S=0', 'NS']) {
      const h = host();
      h.stack.ping(N, { count: 1, timeout: 10 });
      const ev = h.events.length;
      if (via === 'NS') h.ns(N, M1);
      else h.na(N, { s: false, o: true }, M1);
      assert.deepEqual(neighborStates(h, ev), ['STALE', 'DELAY'], `${via}: STALE, then DELAY as the queued echo went out`);
      const mark = h.mark;
      h.advance(DELAY_FIRST_PROBE_TIME);
      assert.equal(h.sentType(ICMP_NS, mark).length, 1, `${via}: one unicast probe`);
      h.close();
    }
  },
);

test('App. C "INCOMPLETE, RA with lladdr": record it, STALE with IsRouter, send the queued packets (RFC 4861 §6.3.4)', () => {
  const h = new Host(); // accepts RAs
  const r = peer(0x101);
  const mark = h.mark;
  h.stack.ping(`${formatIp6(r.ll)}%h0`, { count: 1, timeout: 10 });
  assert.equal(h.state(r.ll), 'INCOMPLETE');
  const ev = h.events.length;
  h.ra(r, { routerLifetime: 600, sourceLinkAddr: r.mac });
  const states = h.eventsOf('NeighborChanged', ev).filter((e) => e.address.startsWith(formatIp6(r.ll))).map((e) => e.state);
  assert.equal(states[0], 'STALE');
  assert.equal(h.entry(r.ll)!.isRouter, true);
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).filter((d) => d.dstMac === formatMac(r.mac)).length, 1);
  h.close();
});

test('App. C "INCOMPLETE, Redirect with lladdr": record it, STALE, send the queued packets (RFC 4861 §8.3)', () => {
  const h = new Host();
  const r = peer(0x101);
  const t = peer(0x77);
  h.ra(r, { routerLifetime: 600, sourceLinkAddr: r.mac });
  const mark = h.mark;
  h.stack.ping(`${formatIp6(t.ll)}%h0`, { count: 1, timeout: 10 });
  assert.equal(h.state(t.ll), 'INCOMPLETE');
  h.redirect(r, t.ll, '2001:db8:ffff::1', t.mac);
  assert.equal(h.drops().ND_REDIRECT_NOT_FIRST_HOP, 0);
  assert.notEqual(h.state(t.ll), 'INCOMPLETE');
  assert.equal(h.mac(t.ll), formatMac(t.mac));
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).filter((d) => d.dstMac === formatMac(t.mac)).length, 1, 'queued echo sent to the TLLAO');
  h.close();
});

test('INCOMPLETE + RS with lladdr on a host: silently discarded, still INCOMPLETE (RFC 4861 §6.1.1 "Hosts MUST silently discard any received Router Solicitation")', () => {
  const h = host();
  const s = peer(0x77);
  h.stack.ping(`${formatIp6(s.ll)}%h0`, { count: 1, timeout: 10 });
  h.inject({ src: s.ll, dst: 'ff02::1', srcMac: s.mac, upper: rsMessage(s.mac) });
  assert.equal(h.drops().ND_RS_ON_HOST, 1);
  assert.equal(h.state(s.ll), 'INCOMPLETE');
  h.close();
});

test('INCOMPLETE + upper-layer reachability confirmation: unchanged, there is no lladdr to confirm (RFC 4861 §7.3.1)', () => {
  const h = host();
  h.stack.ping(N, { count: 1, timeout: 10 });
  h.stack.confirmReachable(N);
  assert.equal(h.state(N), 'INCOMPLETE');
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), h.now + RETRANS_TIMER, 'still the retransmit timer');
  h.close();
});

// --- REACHABLE ----------------------------------------------------------------------

test('App. C "REACHABLE, timeout": STALE exactly ReachableTime after the confirmation, with no packet (RFC 4861 §7.3.3)', () => {
  const h = host();
  toReachable(h);
  const t0 = h.now;
  const rt = h.stack.neighbors.currentReachableTime(t0);
  assert.ok(rt >= 15_000 && rt <= 45_000, `ReachableTime ${rt} in [0.5, 1.5] × 30 s (§6.3.2)`);
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), t0 + rt);
  const mark = h.mark;
  h.advanceTo(t0 + rt - 1);
  assert.equal(h.state(N), 'REACHABLE', 'deadline − 1 ms');
  h.advanceTo(t0 + rt);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.sent(mark).length, 0, 'no packet');
  h.close();
});

test('App. C "REACHABLE, NA S=1 O=0 same lladdr": REACHABLE, ReachableTime restarted (RFC 4861 §7.2.5)', () => {
  const h = host();
  toReachable(h);
  h.advance(5_000);
  h.na(N, { s: true, o: false }, M1);
  assert.equal(h.state(N), 'REACHABLE');
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), h.now + h.stack.neighbors.currentReachableTime(h.now));
  h.close();
});

test('App. C "REACHABLE, NA S=1 O=0 different lladdr": STALE, lladdr kept (RFC 4861 §7.2.5 a)', () => {
  const h = host();
  toReachable(h);
  h.na(N, { s: true, o: false }, M2);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.mac(N), M1S);
  h.close();
});

test('App. C "REACHABLE, NA S=1 O=1 different lladdr": REACHABLE with the new lladdr (RFC 4861 §7.2.5)', () => {
  const h = host();
  toReachable(h);
  h.na(N, { s: true, o: true }, M2);
  assert.equal(h.state(N), 'REACHABLE');
  assert.equal(h.mac(N), M2S);
  h.close();
});

test('App. C "REACHABLE, NA S=0 O=1 different lladdr": STALE with the new lladdr (RFC 4861 §7.2.5)', () => {
  const h = host();
  toReachable(h);
  h.na(N, { s: false, o: true }, M2);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.mac(N), M2S);
  h.close();
});

test('App. C "!INCOMPLETE, upper-layer reachability confirmation": STALE → REACHABLE with a fresh ReachableTime (RFC 4861 §7.3.1)', () => {
  const h = host();
  toStale(h);
  h.advance(1234);
  h.stack.confirmReachable(N);
  assert.equal(h.state(N), 'REACHABLE');
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), h.now + h.stack.neighbors.currentReachableTime(h.now));
  h.close();
});

// --- STALE -----------------------------------------------------------------------------

test('App. C "STALE, sending packet": DELAY with the delay timer at DELAY_FIRST_PROBE_TIME, the packet sent at once (RFC 4861 §7.3.3)', () => {
  const h = host();
  toStale(h);
  const mark = h.mark;
  h.stack.ping(N, { count: 1, timeout: 100 });
  assert.equal(h.state(N), 'DELAY');
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), h.now + DELAY_FIRST_PROBE_TIME);
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 1);
  assert.equal(echo[0].dstMac, M1S, 'sent with the cached lladdr');
  assert.equal(h.sentType(ICMP_NS, mark).length, 0, 'no solicitation yet');
  h.close();
});

test('App. C "!INCOMPLETE, NS with a different lladdr": STALE with the new lladdr; the same lladdr changes nothing (RFC 4861 §7.2.3)', () => {
  const h = host();
  toStale(h);
  const ev = h.events.length;
  h.ns(N, M1);
  assert.equal(h.state(N), 'STALE');
  assert.deepEqual(neighborStates(h, ev), [], 'same lladdr: unchanged');
  h.ns(N, M2);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.mac(N), M2S);
  // And from REACHABLE, too.
  h.stack.confirmReachable(N);
  h.ns(N, M1);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.mac(N), M1S);
  h.close();
});

test('App. C "!INCOMPLETE, RA with a different lladdr": STALE with the new lladdr, IsRouter set; the same lladdr changes nothing (RFC 4861 §6.3.4)', () => {
  const h = new Host();
  const r = peer(0x101);
  h.inject({ src: r.ll, dst: HOST_LL, srcMac: r.mac, upper: nsMessage(HOST_LL, r.mac) }); // STALE, not a router
  h.stack.confirmReachable(`${formatIp6(r.ll)}%h0`);
  assert.equal(h.state(r.ll), 'REACHABLE');
  h.ra(r, { routerLifetime: 600, sourceLinkAddr: r.mac });
  assert.equal(h.state(r.ll), 'REACHABLE', 'same lladdr: state unchanged');
  assert.equal(h.entry(r.ll)!.isRouter, true);
  h.ra(r, { routerLifetime: 600, sourceLinkAddr: M2 });
  assert.equal(h.state(r.ll), 'STALE');
  assert.equal(h.mac(r.ll), M2S);
  h.close();
});

test('STALE has no timer: an hour later it is still STALE and nothing was sent (RFC 4861 §7.3.3)', () => {
  const h = host();
  toStale(h);
  const mark = h.mark;
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), Infinity);
  h.advance(3_600_000);
  assert.equal(h.state(N), 'STALE');
  assert.equal(h.sent(mark).length, 0);
  h.close();
});

// --- DELAY -----------------------------------------------------------------------------

test('App. C "DELAY, delay timeout": PROBE exactly DELAY_FIRST_PROBE_TIME later with one unicast NS (RFC 4861 §7.3.3)', () => {
  const h = host();
  toDelay(h);
  const t0 = h.now;
  const mark = h.mark;
  h.advanceTo(t0 + DELAY_FIRST_PROBE_TIME - 1);
  assert.equal(h.state(N), 'DELAY');
  assert.equal(h.sentType(ICMP_NS, mark).length, 0, 'deadline − 1 ms: no probe');
  h.advanceTo(t0 + DELAY_FIRST_PROBE_TIME);
  assert.equal(h.state(N), 'PROBE');
  const ns = h.sentType(ICMP_NS, mark);
  assert.equal(ns.length, 1, 'exactly one probe');
  assert.equal(formatIp6(ns[0].dst), N, 'unicast to the neighbor');
  assert.equal(ns[0].dstMac, M1S, 'to the cached lladdr');
  assert.equal(ns[0].hopLimit, 255);
  assert.equal(nsTarget(ns[0]), N);
  assert.equal(h.stack.neighbors.deadlineOf(h.entry(N)!), t0 + DELAY_FIRST_PROBE_TIME + RETRANS_TIMER, 'retransmit timer started');
  h.close();
});

test('App. C "DELAY, NA S=1": REACHABLE, no probe follows (RFC 4861 §7.2.5)', () => {
  const h = host();
  toDelay(h);
  const mark = h.mark;
  h.na(N, { s: true, o: false }, M1);
  assert.equal(h.state(N), 'REACHABLE');
  h.advance(DELAY_FIRST_PROBE_TIME);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.close();
});

test('App. C "DELAY, upper-layer reachability confirmation": REACHABLE (RFC 4861 §7.3.1)', () => {
  const h = host();
  toDelay(h);
  const mark = h.mark;
  h.stack.confirmReachable(N);
  assert.equal(h.state(N), 'REACHABLE');
  h.advance(DELAY_FIRST_PROBE_TIME);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.close();
});

// --- PROBE -----------------------------------------------------------------------------

test('App. C "PROBE, retransmit timeout": unicast NS RetransTimer apart, MAX_UNICAST_SOLICIT in all, then UNREACHABLE (RFC 4861 §7.3.3, RFC 7048 §3)', () => {
  const h = host();
  toDelay(h);
  const t0 = h.now + DELAY_FIRST_PROBE_TIME; // first probe
  const mark = h.mark;
  h.advanceTo(t0);
  for (let k = 1; k < MAX_UNICAST_SOLICIT; k++) {
    h.advanceTo(t0 + k * RETRANS_TIMER - 1);
    assert.equal(h.sentType(ICMP_NS, mark).length, k, 'deadline − 1 ms: nothing');
    h.advanceTo(t0 + k * RETRANS_TIMER);
    const ns = h.sentType(ICMP_NS, mark);
    assert.equal(ns.length, k + 1);
    assert.equal(formatIp6(ns[k].dst), N, 'unicast');
    assert.equal(ns[k].dstMac, M1S);
    assert.equal(h.state(N), 'PROBE');
  }
  h.advanceTo(t0 + MAX_UNICAST_SOLICIT * RETRANS_TIMER - 1);
  assert.equal(h.state(N), 'PROBE');
  h.advanceTo(t0 + MAX_UNICAST_SOLICIT * RETRANS_TIMER);
  assert.equal(h.state(N), 'UNREACHABLE', 'kept as UNREACHABLE, not deleted (RFC 7048)');
  assert.equal(h.sentType(ICMP_NS, mark).length, MAX_UNICAST_SOLICIT, 'no NS at the transition');
  h.close();
});

test('App. C "PROBE, NA S=1": REACHABLE, probing stops (RFC 4861 §7.2.5)', () => {
  const h = host();
  toProbe(h);
  const mark = h.mark;
  h.na(N, { s: true, o: true }, M1);
  assert.equal(h.state(N), 'REACHABLE');
  h.advance(10 * RETRANS_TIMER);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.close();
});

// --- UNREACHABLE (RFC 7048) -------------------------------------------------------

test('UNREACHABLE: multicast probes after RetransTimer×3, ×9, ×27, then deleted when the back-off reaches MAX_RETRANS_TIMER with no traffic (RFC 7048 §3)', () => {
  const h = host();
  toProbe(h);
  const t0 = h.now + MAX_UNICAST_SOLICIT * RETRANS_TIMER; // enters UNREACHABLE
  h.advanceTo(t0);
  assert.equal(h.state(N), 'UNREACHABLE');
  const mark = h.mark;
  let at = t0;
  let timeout = RETRANS_TIMER;
  const times: number[] = [];
  for (let k = 1; k <= 3; k++) {
    timeout = Math.min(timeout * BACKOFF_MULTIPLE, MAX_RETRANS_TIMER);
    at += timeout;
    h.advanceTo(at - 1);
    assert.equal(h.sentType(ICMP_NS, mark).length, k - 1, `probe ${k}: deadline − 1 ms, nothing`);
    h.advanceTo(at);
    const ns = h.sentType(ICMP_NS, mark);
    assert.equal(ns.length, k, `probe ${k} at its deadline`);
    assert.equal(formatIp6(ns[k - 1].dst), formatIp6(solicitedNode(N_IP)), 'multicast (the neighbor may have a new lladdr)');
    assert.equal(ns[k - 1].dstMac, '33:33:ff:00:00:0b');
    times.push(ns[k - 1].at - t0);
  }
  assert.deepEqual(times, [3_000, 12_000, 39_000]);
  // The back-off is now capped at MAX_RETRANS_TIMER: with no traffic wanting it, the entry goes.
  h.advanceTo(at + MAX_RETRANS_TIMER - 1);
  assert.equal(h.state(N), 'UNREACHABLE');
  h.advanceTo(at + MAX_RETRANS_TIMER);
  assert.equal(h.entry(N), undefined);
  assert.equal(h.sentType(ICMP_NS, mark).length, 3);
  assert.equal(neighborStates(h).at(-1), 'FAILED');
  h.close();
});

test('UNREACHABLE: a packet is reported at once with ICMPv6 code 3, and the wanted entry keeps probing every MAX_RETRANS_TIMER (RFC 7048 §3, RFC 4443 §3.1)', async () => {
  const h = host();
  toProbe(h);
  const t0 = h.now + MAX_UNICAST_SOLICIT * RETRANS_TIMER;
  h.advanceTo(t0 + 50_000);
  const mark = h.mark;
  const p = h.stack.ping(N, { count: 1, timeout: 5 });
  const errs: number[] = [];
  p.on('unreachable', (e) => errs.push(e.code));
  await tick();
  assert.deepEqual(errs, [3], 'reported at once');
  assert.equal(h.sentType(ICMP_ECHO_REQUEST, mark).length, 0, 'not sent to a neighbor known unreachable');
  assert.equal(h.drops().NEIGH_UNREACHABLE, 1);
  // Probes at t0+39 s (×27) and, because traffic wanted the entry, again at t0+99 s.
  h.advanceTo(t0 + 99_000 - 1);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.advanceTo(t0 + 99_000);
  assert.equal(h.sentType(ICMP_NS, mark).length, 1, 'probed again instead of being deleted');
  assert.equal(h.state(N), 'UNREACHABLE');
  h.advanceTo(t0 + 159_000 - 1);
  assert.equal(h.state(N), 'UNREACHABLE');
  h.advanceTo(t0 + 159_000);
  assert.equal(h.entry(N), undefined, 'no traffic during the last 60 s: deleted');
  h.close();
});

test('UNREACHABLE + NA S=1: REACHABLE, the back-off probes stop (RFC 7048 §3, RFC 4861 §7.2.5)', () => {
  const h = host();
  toUnreachable(h);
  const mark = h.mark;
  h.na(N, { s: true, o: true }, M2);
  assert.equal(h.state(N), 'REACHABLE');
  assert.equal(h.mac(N), M2S);
  const rt = h.stack.neighbors.currentReachableTime(h.now);
  h.advance(rt - 1);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  assert.equal(h.state(N), 'REACHABLE');
  h.close();
});
