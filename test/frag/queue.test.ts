// Shared reassembly queues (src/frag/queue.ts), with synthetic fragments (a
// 4-octet "header", then data): completion and the packet `assemble` builds;
// the rules that discard a datagram and leave a tombstone (RFC 5722 §4);
// the fixed timeout and Time Exceeded only with the offset-0 fragment, in
// virtual time; memory accounting and the eviction order of the three
// budgets (per source, overall, queue count); the ECN helpers (RFC 3168 §5.3).
// The family rules on top are tested in test/ipv4/reassembly.test.ts and
// test/ipv6/frag.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FRAGMENT_OVERHEAD, FragQueues, FragReject, MAX_BYTES_PER_SOURCE, MAX_BYTES_TOTAL, MAX_QUEUES,
  assemble, ecnBit, ecnCe, ecnMixed, type FragAdded, type FragCounters, type FragLimitOptions, type FragmentIn, type FragQueue,
} from '../../src/frag/queue.js';
import { NEVER } from '../../src/time/instant.js';

const H = 4; // header octets kept from the offset-0 fragment
const T0 = 1000;
const TIMEOUT = 30_000;

const newCounters = (): FragCounters => ({ fails: 0, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0 });

/** Fragment [off, off + len) of datagram `id` from `src`; data octet i of the datagram is i & 0xff. */
function frag(src: string, id: number, off: number, len: number, more: boolean, ecn = 0): FragmentIn<string> {
  const pkt = new Uint8Array(H + len + 3); // 3 octets of link padding past `end`
  pkt.set([0xa0, 0xa1, 0xa2, id & 0xff]);
  for (let i = 0; i < len; i++) pkt[H + i] = (off + i) & 0xff;
  return { key: `${src}/${id}`, srcKey: src, pkt, off, more, headLen: H, dataStart: H, end: H + len, ecn: ecnBit(ecn) };
}

/** What storing `f` costs: the whole packet for offset 0, the data otherwise, plus the overhead. */
const cost = (f: FragmentIn<string>): number => (f.off === 0 ? f.end : f.end - f.dataStart) + FRAGMENT_OVERHEAD;

const PENDING = { kind: 'pending' };
const rejected = (why: FragReject): FragAdded<string> => ({ kind: 'rejected', why });

function expectComplete(r: FragAdded<string>): FragQueue<string> {
  assert.equal(r.kind, 'complete', `expected complete, got ${JSON.stringify(r)}`);
  return (r as { queue: FragQueue<string> }).queue;
}

function setup(opts: FragLimitOptions = {}): { c: FragCounters; q: FragQueues<string> } {
  const c = newCounters();
  return { c, q: new FragQueues<string>(c, opts, TIMEOUT) };
}

// --- completion -------------------------------------------------------------------------

test('out of order: complete once the last and the offset-0 fragments are in and the data add up', () => {
  const { c, q } = setup();
  assert.deepEqual(q.add(frag('a', 1, 16, 8, false), T0), PENDING);
  assert.deepEqual(q.add(frag('a', 1, 8, 8, true), T0), PENDING);
  assert.equal(q.size, 1);
  assert.equal(c.bytesHeld, 2 * (8 + FRAGMENT_OVERHEAD));
  const done = expectComplete(q.add(frag('a', 1, 0, 8, true), T0 + 5));
  assert.equal(done.total, 24);
  const packet = assemble(done);
  assert.deepEqual([...packet], [0xa0, 0xa1, 0xa2, 1, ...Array.from({ length: 24 }, (_, i) => i)]);
  // Complete means gone: nothing held, no deadline, no source.
  assert.equal(q.size, 0);
  assert.equal(c.bytesHeld, 0);
  assert.equal(q.bytesHeldBy('a'), 0);
  assert.equal(q.nextDeadline(), NEVER);
});

test('the offset-0 fragment is stored whole, trimmed to its end (link padding dropped), and charged so', () => {
  const { c, q } = setup();
  const f = frag('a', 1, 0, 8, true);
  q.add(f, T0);
  assert.equal(c.bytesHeld, H + 8 + FRAGMENT_OVERHEAD);
  assert.equal(q.bytesHeldBy('a'), H + 8 + FRAGMENT_OVERHEAD);
  q.add(frag('a', 1, 8, 8, true), T0);
  assert.equal(q.bytesHeldBy('a'), H + 8 + 8 + 2 * FRAGMENT_OVERHEAD);
  const [te] = q.onDeadline(T0 + TIMEOUT);
  assert.deepEqual(te.firstFragment, f.pkt.subarray(0, f.end));
  assert.notEqual(te.firstFragment.buffer, f.pkt.buffer); // a copy, not a view of the caller's buffer
});

// --- inconsistencies and tombstones (RFC 5722 §4) ---------------------------------------

for (const [name, later] of [
  ['overlap', frag('a', 1, 12, 8, true)],
  ['exact duplicate', frag('a', 1, 8, 8, true)],
] as const) {
  test(`${name} → OVERLAP: the datagram is freed and leaves a tombstone that poisons later fragments`, () => {
    const { c, q } = setup();
    q.add(frag('a', 1, 8, 8, true), T0);
    assert.deepEqual(q.add(later, T0 + 1), rejected(FragReject.OVERLAP));
    assert.deepEqual(c, { fails: 1, timeouts: 0, overlaps: 1, evictions: 0, bytesHeld: 0 });
    assert.equal(q.size, 1); // the tombstone
    assert.equal(q.bytesHeldBy('a'), 0);
    assert.deepEqual(q.add(frag('a', 1, 0, 8, true), T0 + 2), rejected(FragReject.POISONED));
    assert.deepEqual(q.add(frag('a', 2, 0, 8, true), T0 + 2), PENDING); // another Identification is fine
  });
}

test('BEYOND_END and LAST_MISMATCH discard the datagram like an overlap, without counting one', () => {
  const cases: [FragmentIn<string>[], FragmentIn<string>, FragReject][] = [
    [[frag('a', 1, 8, 8, false)], frag('a', 1, 16, 8, true), FragReject.BEYOND_END], // past the fixed end
    [[frag('a', 1, 16, 8, true)], frag('a', 1, 8, 8, false), FragReject.BEYOND_END], // last ends before data held
    [[frag('a', 1, 16, 8, false)], frag('a', 1, 0, 32, false), FragReject.LAST_MISMATCH], // a second, other end
  ];
  for (const [before, bad, why] of cases) {
    const { c, q } = setup();
    for (const f of before) assert.deepEqual(q.add(f, T0), PENDING);
    assert.deepEqual(q.add(bad, T0), rejected(why));
    assert.deepEqual(c, { fails: 1, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0 });
    assert.equal(q.size, 1);
  }
});

test('a tombstone lasts until the datagram\'s timeout and then goes silently', () => {
  const { c, q } = setup();
  q.add(frag('a', 1, 0, 8, true), T0);
  q.add(frag('a', 1, 0, 8, true), T0 + 10); // duplicate → tombstone
  assert.equal(q.nextDeadline(), T0 + TIMEOUT); // still the first fragment's
  assert.deepEqual(q.onDeadline(T0 + TIMEOUT - 1), []);
  assert.deepEqual(q.add(frag('a', 1, 8, 8, false), T0 + TIMEOUT - 1), rejected(FragReject.POISONED));
  assert.deepEqual(q.onDeadline(T0 + TIMEOUT), []);
  assert.equal(q.size, 0);
  assert.equal(c.timeouts, 0);
  assert.equal(c.fails, 1);
  assert.deepEqual(q.add(frag('a', 1, 8, 8, false), T0 + TIMEOUT), PENDING); // a new datagram now
});

// --- timeout ----------------------------------------------------------------------------

test('timeout from the first-arriving fragment; Time Exceeded only when the offset-0 fragment is held', () => {
  const { c, q } = setup();
  q.add(frag('a', 1, 8, 8, true), T0);
  q.add(frag('a', 1, 0, 8, true), T0 + 100); // does not extend the deadline
  q.add(frag('b', 2, 8, 8, true), T0 + 50); // never gets its offset-0 fragment
  assert.equal(q.nextDeadline(), T0 + TIMEOUT);
  assert.deepEqual(q.onDeadline(T0 + TIMEOUT - 1), []);
  const acts = q.onDeadline(T0 + TIMEOUT);
  assert.equal(acts.length, 1);
  assert.equal(acts[0].type, 'TimeExceeded');
  assert.equal(acts[0].firstFragment[3], 1);
  assert.equal(q.nextDeadline(), T0 + 50 + TIMEOUT);
  assert.deepEqual(q.onDeadline(T0 + 50 + TIMEOUT), []);
  assert.deepEqual(c, { fails: 2, timeouts: 2, overlaps: 0, evictions: 0, bytesHeld: 0 });
  assert.equal(q.size, 0);
});

// --- budgets ----------------------------------------------------------------------------

const PIECE = 8 + FRAGMENT_OVERHEAD; // one 8-octet non-first fragment

test('per-source budget: the source\'s own oldest datagram goes, never another source\'s', () => {
  const { c, q } = setup({ maxBytesPerSource: 2 * PIECE });
  q.add(frag('b', 9, 8, 8, true), T0); // b's, older than all of a's
  q.add(frag('a', 1, 8, 8, true), T0);
  q.add(frag('a', 2, 8, 8, true), T0);
  assert.deepEqual(q.add(frag('a', 3, 8, 8, true), T0), PENDING);
  assert.equal(c.evictions, 1);
  assert.equal(c.fails, 1);
  assert.equal(q.bytesHeldBy('a'), 2 * PIECE);
  assert.equal(q.bytesHeldBy('b'), PIECE);
  // a/1 is gone (a fresh datagram again), a/2 is held (a duplicate overlaps).
  assert.deepEqual(q.add(frag('a', 2, 8, 8, true), T0), rejected(FragReject.OVERLAP));
  assert.equal(q.size, 3); // b/9, a/2 (tombstone), a/3
});

test('overall budget: the oldest datagram overall goes, whatever its source', () => {
  const { c, q } = setup({ maxBytesTotal: 2 * PIECE });
  q.add(frag('b', 9, 8, 8, true), T0);
  q.add(frag('a', 1, 8, 8, true), T0);
  assert.deepEqual(q.add(frag('c', 5, 8, 8, true), T0), PENDING);
  assert.equal(c.evictions, 1);
  assert.equal(c.bytesHeld, 2 * PIECE);
  assert.equal(q.bytesHeldBy('b'), 0);
  assert.equal(q.bytesHeldBy('a'), PIECE);
  assert.equal(q.bytesHeldBy('c'), PIECE);
});

test('OVER_BUDGET when the fragment\'s own datagram had to be evicted, or it can never fit', () => {
  const { c, q } = setup({ maxBytesPerSource: 2 * PIECE });
  q.add(frag('a', 1, 8, 8, true), T0);
  q.add(frag('a', 2, 8, 8, true), T0);
  // a/1 is a's oldest: making room for its next fragment evicts a/1 itself.
  assert.deepEqual(q.add(frag('a', 1, 16, 8, true), T0), rejected(FragReject.OVER_BUDGET));
  assert.equal(c.evictions, 1);
  assert.equal(q.size, 1);
  assert.equal(q.bytesHeldBy('a'), PIECE);
  // Larger than the per-source budget alone: refused before anything is evicted.
  assert.deepEqual(q.add(frag('a', 3, 2 * PIECE, 8 * 18, true), T0), rejected(FragReject.OVER_BUDGET));
  assert.equal(c.evictions, 1);
  assert.equal(q.size, 1);
  assert.equal(c.bytesHeld, PIECE);
});

test('queue budget: own tombstone, then own oldest datagram, then any tombstone, then the oldest overall', () => {
  const { c, q } = setup({ maxQueues: 4 });
  const open = (src: string, id: number): void => assert.deepEqual(q.add(frag(src, id, 8, 8, true), T0), PENDING);
  const tombstone = (src: string, id: number): void => {
    open(src, id);
    assert.deepEqual(q.add(frag(src, id, 8, 8, true), T0), rejected(FragReject.OVERLAP));
  };
  open('b', 1); // oldest overall
  tombstone('b', 2);
  open('a', 1);
  tombstone('a', 2);
  assert.equal(q.size, 4);
  assert.equal(c.evictions, 0);

  open('a', 3); // 1. a's tombstone a/2 goes, silently
  assert.equal(c.evictions, 0);
  assert.equal(q.bytesHeldBy('a'), 2 * PIECE);
  open('a', 4); // 2. a has no tombstone left: a's oldest datagram, a/1
  assert.equal(c.evictions, 1);
  assert.equal(q.bytesHeldBy('a'), 2 * PIECE);
  assert.deepEqual(q.add(frag('a', 3, 8, 8, true), T0), rejected(FragReject.OVERLAP)); // a/3 was kept
  open('c', 1); // 3. c holds nothing: the oldest tombstone overall, b/2, silently
  assert.equal(c.evictions, 1);
  assert.equal(q.bytesHeldBy('b'), PIECE);
  open('d', 1); // 4. a/3's tombstone (the last one) goes first
  assert.equal(c.evictions, 1);
  open('e', 1); // 5. no tombstones anywhere: the oldest datagram overall, b/1
  assert.equal(c.evictions, 2);
  assert.equal(q.bytesHeldBy('b'), 0);
  assert.equal(q.size, 4);
});

test('accounting: bytesHeld is the sum over sources and never exceeds the total budget', () => {
  const { c, q } = setup({ maxBytesTotal: 10 * PIECE, maxBytesPerSource: 4 * PIECE, maxQueues: 6 });
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const srcs = ['a', 'b', 'c', 'd'];
  for (let i = 0; i < 2000; i++) {
    const s = srcs[rand(4)];
    q.add(frag(s, rand(5), rand(6) * 8, 8 * (1 + rand(3)), rand(4) !== 0), T0 + i);
    if (i % 97 === 0) q.onDeadline(T0 + i);
    assert.ok(c.bytesHeld <= 10 * PIECE);
    assert.equal(c.bytesHeld, srcs.reduce((n, x) => n + q.bytesHeldBy(x), 0));
    assert.ok(q.size <= 6);
  }
  q.onDeadline(NEVER);
  assert.equal(q.size, 0);
  assert.equal(c.bytesHeld, 0);
});

// --- options and helpers ----------------------------------------------------------------

test('defaults, the family\'s timeout, and ERR_INVALID_ARG for limits that are not positive integers', () => {
  const { q } = setup();
  assert.deepEqual(
    [q.maxBytesPerSource, q.maxBytesTotal, q.maxQueues, q.timeout],
    [MAX_BYTES_PER_SOURCE, MAX_BYTES_TOTAL, MAX_QUEUES, TIMEOUT],
  );
  for (const bad of [{ timeout: 0 }, { maxQueues: 1.5 }, { maxBytesTotal: -1 }, { maxBytesPerSource: NaN }]) {
    assert.throws(() => setup(bad), { code: 'ERR_INVALID_ARG' });
  }
});

test('ECN (RFC 3168 §5.3): Not-ECT mixed with ECT or CE is refused; CE anywhere marks CE', () => {
  const mask = (...cps: number[]): number => cps.reduce((m, cp) => m | ecnBit(cp), 0);
  assert.equal(ecnMixed(mask(0, 0)), false);
  assert.equal(ecnMixed(mask(1, 2, 3)), false);
  assert.equal(ecnMixed(mask(0, 1)), true);
  assert.equal(ecnMixed(mask(0, 3)), true);
  assert.equal(ecnCe(mask(1, 3)), true);
  assert.equal(ecnCe(mask(1, 2)), false);
  const { q } = setup();
  q.add(frag('a', 1, 8, 8, false, 3), T0);
  assert.equal(expectComplete(q.add(frag('a', 1, 0, 8, true, 1), T0)).ecn, mask(1, 3));
});
