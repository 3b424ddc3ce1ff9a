// Neighbor Unreachability Detection in virtual time (RFC 4861 §7.3): each
// state's one deadline fires exactly when due — "deadline − 1 ms: nothing;
// deadline: exactly this packet" (STYLE.md 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { decode, ethFrame, naMessage } from '../support/frames.js';
import { formatIp6, parseIp6, solicitedNode } from '../../src/wire/address.js';
import { BACKOFF_MULTIPLE, DELAY_FIRST_PROBE_TIME, MAX_MULTICAST_SOLICIT, MAX_RETRANS_TIMER, MAX_UNICAST_SOLICIT, RETRANS_TIMER } from '../../src/nd/neighbor-cache.js';

const B = parseIp6('2001:db8::b');

/** A resolves B (REACHABLE) over a memory link; returns the pieces. */
function reachable() {
  const sim = new Sim(3);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'] });
  const b = sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['2001:db8::b/64'] });
  a.ping('2001:db8::b', { count: 1 });
  sim.settle();
  const e = a.neighbors.get(1, B)!;
  assert.equal(e.state, 'REACHABLE');
  return { sim, link, a, b, e };
}

test('ReachableTime is drawn in [0.5, 1.5] × BaseReachableTime (RFC 4861 §6.3.2)', () => {
  const { sim, a } = reachable();
  const rt = a.neighbors.currentReachableTime(sim.clock.now());
  assert.ok(rt >= 15_000 && rt <= 45_000, `ReachableTime ${rt}`);
  sim.close();
});

test('REACHABLE → STALE exactly at ReachableTime, with no packet (RFC 4861 §7.3.3)', () => {
  const { sim, a, e } = reachable();
  const due = a.neighbors.deadlineOf(e);
  const wire = sim.wire.length;
  sim.advance(due - sim.clock.now() - 1);
  assert.equal(e.state, 'REACHABLE', 'deadline − 1 ms: nothing');
  sim.advance(1);
  assert.equal(e.state, 'STALE');
  assert.equal(sim.framesSince(wire).filter((f) => f.from === 'a0' && decode(f.frame).icmpType === 135).length, 0, 'A solicits nothing for REACHABLE → STALE');
  assert.equal(a.neighbors.deadlineOf(e), Infinity, 'STALE arms no timer');
  sim.close();
});

test('STALE → DELAY on use, then PROBE after DELAY_FIRST_PROBE_TIME with a unicast NS (RFC 4861 §7.3.3)', () => {
  const { sim, a, e } = reachable();
  sim.advance(a.neighbors.deadlineOf(e) - sim.clock.now());
  assert.equal(e.state, 'STALE');
  // The next echo goes through the WASM fast path, which reports the use of a
  // STALE entry through the event ring.
  a.ping('2001:db8::b', { count: 1 });
  assert.equal(e.state, 'DELAY');
  const t0 = sim.clock.now();
  assert.equal(a.neighbors.deadlineOf(e), t0 + DELAY_FIRST_PROBE_TIME);
  // Silence B so the probe is not answered.
  const bPort = sim.links[0].ports[1];
  bPort.close();
  const wire = sim.wire.length;
  sim.advance(DELAY_FIRST_PROBE_TIME - 1);
  assert.equal(e.state, 'DELAY');
  assert.equal(sim.framesSince(wire).filter((f) => f.from === 'a0' && decode(f.frame).icmpType === 135).length, 0, 'deadline − 1 ms: no probe');
  sim.advance(1);
  assert.equal(e.state, 'PROBE');
  const probes = sim.framesSince(wire).filter((f) => f.from === 'a0').map((f) => decode(f.frame)).filter((d) => d.icmpType === 135);
  assert.equal(probes.length, 1, 'exactly one probe at the deadline');
  assert.equal(formatIp6(probes[0].dst), '2001:db8::b', 'unicast to the neighbor');
  assert.equal(probes[0].dstMac, '02:00:00:00:00:0b', 'to the cached link-layer address');
  assert.equal(probes[0].hopLimit, 255);
  sim.close();
});

test('PROBE: MAX_UNICAST_SOLICIT probes RetransTimer apart, then UNREACHABLE with multicast probes backing off, then deleted (RFC 7048 §3)', () => {
  const { sim, a, e } = reachable();
  sim.advance(a.neighbors.deadlineOf(e) - sim.clock.now());
  a.ping('2001:db8::b', { count: 1 });
  sim.links[0].ports[1].close();
  const wire = sim.wire.length;
  const events: string[] = [];
  a.on('event', (ev) => ev.type === 'NeighborChanged' && events.push(ev.state));
  sim.advance(DELAY_FIRST_PROBE_TIME);
  const probes = () => sim.framesSince(wire).filter((f) => f.from === 'a0' && decode(f.frame).icmpType === 135).map((f) => ({ at: f.at, d: decode(f.frame) }));
  assert.equal(probes().length, 1);
  sim.advance(RETRANS_TIMER * (MAX_UNICAST_SOLICIT - 1));
  const t = probes().map((p) => p.at);
  assert.equal(t.length, MAX_UNICAST_SOLICIT);
  for (let i = 1; i < t.length; i++) assert.equal(t[i] - t[i - 1], RETRANS_TIMER);
  for (const p of probes()) assert.equal(formatIp6(p.d.dst), '2001:db8::b', 'PROBE solicitations are unicast');
  assert.equal(e.state, 'PROBE');
  sim.advance(RETRANS_TIMER - 1);
  assert.equal(e.state, 'PROBE', '1 ms before the last timeout');
  sim.advance(1);
  assert.equal(e.state, 'UNREACHABLE', 'kept, not deleted (RFC 7048)');
  const t0 = sim.clock.now();
  // Back-off: RetransTimer × BACKOFF_MULTIPLE^k, capped at MAX_RETRANS_TIMER.
  sim.advance(BACKOFF_MULTIPLE * RETRANS_TIMER - 1);
  assert.equal(probes().length, MAX_UNICAST_SOLICIT, 'deadline − 1 ms: nothing');
  sim.advance(1);
  assert.equal(probes().length, MAX_UNICAST_SOLICIT + 1);
  const mc = probes().at(-1)!;
  assert.equal(formatIp6(mc.d.dst), formatIp6(solicitedNode(B)), 'UNREACHABLE probes are multicast');
  sim.advance(120_000);
  const later = probes().slice(MAX_UNICAST_SOLICIT).map((p) => p.at - t0);
  assert.deepEqual(later, [3_000, 12_000, 39_000]);
  assert.equal(a.neighbors.get(1, B), undefined, 'deleted once the back-off reached MAX_RETRANS_TIMER with no traffic');
  assert.deepEqual(events.slice(-3), ['PROBE', 'UNREACHABLE', 'FAILED']);
  assert.ok(MAX_RETRANS_TIMER === 60_000);
  sim.close();
});

test('a packet to an UNREACHABLE neighbor is reported to its sender at once (RFC 7048, RFC 4443 §3.1 code 3)', async () => {
  const { sim, a, e } = reachable();
  sim.links[0].ports[1].close();
  sim.advance(a.neighbors.deadlineOf(e) - sim.clock.now());
  a.ping('2001:db8::b', { count: 1 });
  sim.advance(DELAY_FIRST_PROBE_TIME + RETRANS_TIMER * MAX_UNICAST_SOLICIT);
  assert.equal(e.state, 'UNREACHABLE');
  const p = a.ping('2001:db8::b', { count: 1, timeout: 1 });
  const errs: number[] = [];
  p.on('unreachable', (x) => errs.push(x.code));
  sim.advance(1500);
  const s = await p.done;
  assert.deepEqual(errs, [3]);
  assert.equal(s.errors, 1);
  assert.equal(s.received, 0);
  assert.equal(a.counters().drops.NEIGH_UNREACHABLE, 1);
  sim.close();
});

test('address resolution: MAX_MULTICAST_SOLICIT NS RetransTimer apart, then the queued packets are dropped (RFC 4861 §7.2.2)', () => {
  const sim = new Sim(5);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'] });
  const p = a.ping('2001:db8::99', { count: 2, interval: 0.5 });
  sim.advance(RETRANS_TIMER * MAX_MULTICAST_SOLICIT + 10);
  const ns = sim.wire.map((f) => ({ at: f.at, d: decode(f.frame) })).filter((x) => x.d.icmpType === 135);
  assert.equal(ns.length, MAX_MULTICAST_SOLICIT);
  for (const x of ns) assert.equal(formatIp6(x.d.dst), formatIp6(solicitedNode(parseIp6('2001:db8::99'))));
  assert.deepEqual(ns.map((x) => x.at - ns[0].at), [0, RETRANS_TIMER, 2 * RETRANS_TIMER]);
  assert.equal(a.neighbors.get(1, parseIp6('2001:db8::99')), undefined);
  assert.equal(a.counters().drops.RESOLVE_FAILED, 2, 'both queued echo requests dropped');
  p.stop(sim.clock.now());
  sim.close();
});

test('an NA for an unknown target creates no entry (RFC 4861 §7.2.5)', () => {
  const sim = new Sim(9);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'] });
  const frame = ethFrame({
    dstMac: Uint8Array.from([2, 0, 0, 0, 0, 0x0a]),
    src: '2001:db8::c',
    dst: '2001:db8::a',
    hopLimit: 255,
    upper: naMessage(parseIp6('2001:db8::c'), { s: true, o: true }, Uint8Array.from([2, 0, 0, 0, 0, 0x0c])),
  });
  link.ports[0].deliver([frame]); // straight into A's port, as the wire would
  assert.equal(a.neighbors.size, 0);
  assert.equal(a.counters().mib.Icmp6InNeighborAdvertisements, 1, 'the NA was received and validated');
  sim.close();
});
