// Neighbor Cache limits (RFC 4861 §7.2.2, §11.1 on resource exhaustion; RFC
// 6583 §6 on cache-exhaustion floods). With neighborCapacity 64 the cache keeps
// at most 48 entries (3/4 of the table) and 16 INCOMPLETE ones. Floods must
// never push out neighbors in use (REACHABLE, DELAY, PROBE), evictions are
// reported (NeighborChanged EVICTED) and packets lost to them are counted
// (NEIGH_CACHE_FULL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, ICMP_ECHO_REQUEST, ICMP_NS, peer } from '../support/nd.js';

const MAX_ENTRIES = 48; // floor(64 × 3/4)
const MAX_INCOMPLETE = 16; // max(16, 48 / 8)

const addr = (block: number, i: number): string => `2001:db8::${block.toString(16)}:${i.toString(16)}`;
const macOf = (block: number, i: number): Uint8Array => Uint8Array.from([2, 0, 0, block, (i >> 8) & 0xff, i & 0xff]);

function host(acceptRa = false): Host {
  const h = new Host({ neighborCapacity: 64, acceptRa });
  assert.equal(h.stack.neighbors.maxEntries, MAX_ENTRIES);
  assert.equal(h.stack.neighbors.maxIncomplete, MAX_INCOMPLETE);
  return h;
}

/** 3 PROBE, 3 DELAY and 3 REACHABLE neighbors (block 1), made through the protocol. */
function inUse(h: Host): Map<string, string> {
  const want = new Map<string, string>();
  for (let i = 0; i < 3; i++) {
    h.ns(addr(1, i), macOf(1, i));
    h.stack.ping(addr(1, i), { count: 1, timeout: 100 });
  }
  h.advance(5_000); // DELAY → PROBE
  for (let i = 0; i < 3; i++) want.set(addr(1, i), 'PROBE');
  for (let i = 3; i < 6; i++) {
    h.ns(addr(1, i), macOf(1, i));
    h.stack.ping(addr(1, i), { count: 1, timeout: 100 });
    want.set(addr(1, i), 'DELAY');
  }
  for (let i = 6; i < 9; i++) {
    h.ns(addr(1, i), macOf(1, i));
    h.stack.confirmReachable(addr(1, i));
    want.set(addr(1, i), 'REACHABLE');
  }
  for (const [a, s] of want) assert.equal(h.state(a), s, `setup: ${a} ${s}`);
  return want;
}

const evicted = (h: Host, from = 0): string[] => h.eventsOf('NeighborChanged', from).filter((e) => e.state === 'EVICTED').map((e) => e.address);

test('an NS flood from 200 sources never evicts REACHABLE, DELAY or PROBE entries nor a router; the oldest STALE go, each reported EVICTED; the cache stays ≤ maxEntries (RFC 6583 §6, RFC 4861 §11.1)', () => {
  const h = host(true);
  const r = peer(0x101);
  h.ra(r, { routerLifetime: 1800, sourceLinkAddr: r.mac }); // a STALE router entry
  const keep = inUse(h);
  const ev = h.events.length;
  let peak = 0;
  for (let i = 0; i < 200; i++) {
    h.ns(addr(2, i), macOf(2, i));
    peak = Math.max(peak, h.stack.neighbors.size);
  }
  assert.ok(peak <= MAX_ENTRIES, `peak ${peak}`);
  assert.equal(h.stack.neighbors.size, MAX_ENTRIES);
  for (const [a, s] of keep) assert.equal(h.state(a), s, `${a} still ${s}`);
  assert.equal(h.state(r.ll), 'STALE', 'the router entry stays');
  const room = MAX_ENTRIES - keep.size - 1;
  const gone = evicted(h, ev);
  assert.equal(gone.length, 200 - room);
  assert.deepEqual(gone, Array.from({ length: 200 - room }, (_, i) => addr(2, i)), 'oldest first');
  for (let i = 200 - room; i < 200; i++) assert.equal(h.state(addr(2, i)), 'STALE');
  assert.equal(h.drops().NEIGH_CACHE_FULL, 0, 'no packet was waiting on an evicted entry');
  h.close();
});

test('pinging 100 unknown on-link addresses keeps at most maxIncomplete INCOMPLETE entries, evicts the oldest INCOMPLETE (its packet counted NEIGH_CACHE_FULL), never a REACHABLE one (RFC 6583 §6, RFC 4861 §7.2.2)', () => {
  const h = host();
  const keep = inUse(h);
  const ev = h.events.length;
  const mark = h.mark;
  for (let i = 0; i < 100; i++) {
    h.stack.ping(addr(3, i), { count: 1, timeout: 100 });
    assert.ok(h.stack.neighbors.incompleteCount <= MAX_INCOMPLETE, `after ${i + 1}: ${h.stack.neighbors.incompleteCount} INCOMPLETE`);
    assert.ok(h.stack.neighbors.size <= MAX_ENTRIES);
  }
  assert.equal(h.stack.neighbors.incompleteCount, MAX_INCOMPLETE);
  for (const [a, s] of keep) assert.equal(h.state(a), s, `${a} still ${s}`);
  for (let i = 0; i < 100; i++) assert.equal(h.state(addr(3, i)), i >= 100 - MAX_INCOMPLETE ? 'INCOMPLETE' : undefined);
  assert.deepEqual(evicted(h, ev), Array.from({ length: 100 - MAX_INCOMPLETE }, (_, i) => addr(3, i)));
  assert.equal(h.drops().NEIGH_CACHE_FULL, 100 - MAX_INCOMPLETE, 'each evicted entry dropped its queued echo');
  assert.equal(h.sentType(ICMP_NS, mark).length, 100, 'one NS per new entry');
  h.close();
});

test('with every entry in use, a new neighbor gets no entry: its packet is dropped and counted NEIGH_CACHE_FULL; once entries go STALE they can be replaced (RFC 6583 §6)', () => {
  const h = host();
  for (let i = 0; i < MAX_ENTRIES; i++) {
    h.ns(addr(4, i), macOf(4, i));
    h.stack.confirmReachable(addr(4, i));
  }
  assert.equal(h.stack.neighbors.size, MAX_ENTRIES);
  const mark = h.mark;
  h.stack.ping(addr(5, 1), { count: 1, timeout: 1 });
  assert.equal(h.entry(addr(5, 1)), undefined);
  assert.equal(h.drops().NEIGH_CACHE_FULL, 1);
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.ns(addr(5, 2), macOf(5, 2));
  assert.equal(h.entry(addr(5, 2)), undefined, 'an NS cannot push out a REACHABLE entry either');
  for (let i = 0; i < MAX_ENTRIES; i++) assert.equal(h.state(addr(4, i)), 'REACHABLE');
  // After ReachableTime (at most 1.5 × 30 s) they are STALE, and may be replaced.
  h.advance(45_001);
  assert.equal(h.state(addr(4, 0)), 'STALE');
  const ev = h.events.length;
  h.stack.ping(addr(5, 3), { count: 1, timeout: 1 });
  assert.equal(h.state(addr(5, 3)), 'INCOMPLETE');
  assert.deepEqual(evicted(h, ev), [addr(4, 0)], 'the least recently refreshed STALE entry');
  assert.equal(h.stack.neighbors.size, MAX_ENTRIES);
  h.close();
});

test('the resolution queue keeps the newest packets when it overflows; the rest are counted RESOLVE_QUEUE_FULL (RFC 4861 §7.2.2)', () => {
  const h = host();
  const mark = h.mark;
  h.stack.ping(addr(6, 1), { count: 40, interval: 0, timeout: 10 });
  h.advance(0);
  h.na(addr(6, 1), { s: true, o: true }, macOf(6, 1));
  const seqs = h.sentType(ICMP_ECHO_REQUEST, mark).map((d) => (d.upper[6] << 8) | d.upper[7]);
  assert.ok(seqs.length >= 1 && seqs.length < 40, `${seqs.length} sent`);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => 40 - seqs.length + 1 + i), 'the newest, in order');
  assert.equal(h.drops().RESOLVE_QUEUE_FULL, 40 - seqs.length);
  h.close();
});
