// IPv4 reassembly (src/ipv4/reassembly.ts, RFC 791 §3.2, RFC 1122 §3.3.2):
// round trips through fragmentIpv4 in random orders, sizes and MTUs; the
// fresh header of the reassembled datagram; the key (source, destination,
// protocol, Identification); every drop rule; overlaps and tombstones
// (RFC 5722's rule); the 30 s timeout and Time Exceeded only with the first
// fragment, in virtual time; ECN merging (RFC 3168 §5.3); memory budgets and
// eviction; fuzzing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fragmentIpv4 } from '../../src/ipv4/fragment.js';
import {
  FRAGMENT_OVERHEAD, Ip4ReasmDrop, Ip4Reassembler, REASM_TIMEOUT, type Ip4ReasmResult,
} from '../../src/ipv4/reassembly.js';
import { NEVER } from '../../src/time/instant.js';
import {
  checkIpv4Header, emitIpv4, parseIpv4, parseIpv4Header, IPPROTO_ICMP, IPPROTO_UDP, type Ip4, type Ipv4HeaderSpec,
} from '../../src/wire/ipv4.js';
import { prng } from '../support/engine.js';

const SRC_A = parseIpv4('192.0.2.1');
const SRC_B = parseIpv4('192.0.2.2');
const DST = parseIpv4('198.51.100.2');
const T0 = 1000;

type Spec = Omit<Ipv4HeaderSpec, 'totalLength'>;

const counting = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

/** One fragment built directly: `data` at byte offset `off`, MF `more`. */
function frag(off: number, data: Uint8Array, more: boolean, o: Partial<Spec> = {}): Uint8Array {
  return emitIpv4({ protocol: IPPROTO_UDP, src: SRC_A, dst: DST, identification: 7, ttl: 64, ...o, fragmentOffset: off, moreFragments: more }, data);
}

/** `data` split into fragments at the given byte boundaries (each a multiple of 8). */
function split(data: Uint8Array, cuts: number[], o: Partial<Spec> = {}): Uint8Array[] {
  const edges = [0, ...cuts, data.length];
  return edges.slice(0, -1).map((a, k) => frag(a, data.subarray(a, edges[k + 1]), k < edges.length - 2, o));
}

function expectComplete(r: Ip4ReasmResult): Uint8Array {
  assert.equal(r.kind, 'complete', `expected complete, got ${JSON.stringify(r)}`);
  return (r as { packet: Uint8Array }).packet;
}
const expectDropped = (r: Ip4ReasmResult, reason: Ip4ReasmDrop): void => assert.deepEqual(r, { kind: 'dropped', reason });
const PENDING = { kind: 'pending' };

function shuffle<T>(a: T[], rand: () => number): T[] {
  const b = a.slice();
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b;
}

// --- round trips ------------------------------------------------------------------------

test('in order, reversed and shuffled: fragmentIpv4 → onFragment gives back the original datagram', () => {
  const original = emitIpv4({ protocol: IPPROTO_UDP, src: SRC_A, dst: DST, identification: 0x4242, ttl: 33, tos: 0x10 }, counting(3000));
  const frags = fragmentIpv4(original, 576);
  assert.equal(frags.length, 6);
  for (const order of [frags, frags.slice().reverse(), shuffle(frags, prng(5))]) {
    const r = new Ip4Reassembler();
    const results = order.map((f) => r.onFragment(f, T0));
    results.slice(0, -1).forEach((x) => assert.deepEqual(x, PENDING));
    assert.deepEqual([...expectComplete(results.at(-1)!)], [...original]);
    assert.equal(r.size, 0);
    assert.equal(r.counters.bytesHeld, 0);
    assert.equal(r.nextDeadline(), NEVER);
  }
});

test('property: random sizes, MTUs, options and orders, several datagrams interleaved', () => {
  const rand = prng(815);
  const r = new Ip4Reassembler();
  const rr = Uint8Array.of(0x07, 0x07, 0x04, 0, 0, 0, 0, 0); // Record Route (not copied)
  for (let round = 0; round < 60; round++) {
    const fragmented: Uint8Array[] = [];
    let all: Uint8Array[] = [];
    for (let k = 0; k < 4; k++) {
      const size = 1 + Math.floor(rand() * 12000);
      const mtu = 68 + Math.floor(rand() * 1500);
      const spec: Spec = {
        protocol: rand() < 0.5 ? IPPROTO_UDP : IPPROTO_ICMP, src: rand() < 0.5 ? SRC_A : SRC_B, dst: DST,
        identification: round * 4 + k, ttl: 64, options: rand() < 0.3 ? rr : undefined,
      };
      const d = emitIpv4(spec, Uint8Array.from({ length: size }, () => Math.floor(rand() * 256)));
      const frags = fragmentIpv4(d, mtu);
      if (frags.length > 1) {
        fragmented.push(d);
        all.push(...frags);
      } else assert.deepEqual(expectComplete(r.onFragment(d, T0 + round)), d, 'not a fragment: passed through');
    }
    all = shuffle(all, rand);
    const done = all.map((f) => r.onFragment(f, T0 + round)).filter((x) => x.kind === 'complete').map(expectComplete);
    const key = (d: Uint8Array): number => (d[4] << 8) | d[5];
    done.sort((a, b) => key(a) - key(b));
    assert.deepEqual(done, fragmented, `round ${round}: every fragmented datagram back, byte for byte`);
    assert.equal(r.size, 0, `round ${round}: nothing left pending`);
  }
  assert.equal(r.counters.bytesHeld, 0);
  assert.equal(r.counters.fails, 0);
});

// --- the reassembled header --------------------------------------------------------------

test('the reassembled datagram has a fresh header: the first fragment\'s, with flags/offset 0, Total Length and checksum', () => {
  const rr = Uint8Array.of(0x07, 0x07, 0x04, 0, 0, 0, 0, 0); // Record Route: only in the first fragment
  const data = counting(64);
  const first = frag(0, data.subarray(0, 32), true, { options: rr, ttl: 9, tos: 0x28, dontFragment: false });
  const second = frag(32, data.subarray(32), false, { ttl: 200, tos: 0x28 });
  const r = new Ip4Reassembler();
  assert.deepEqual(r.onFragment(second, T0), PENDING);
  const p = expectComplete(r.onFragment(first, T0));
  assert.equal(checkIpv4Header(p), null, 'valid header checksum');
  const h = parseIpv4Header(p)!;
  assert.equal(h.headerLength, 28);
  assert.deepEqual([...h.header.options], [...rr]);
  assert.equal(h.header.totalLength, 28 + 64);
  assert.equal(h.header.ttl, 9, 'TTL of the first fragment');
  assert.equal(h.header.moreFragments, false);
  assert.equal(h.header.fragmentOffset, 0);
  assert.equal(p[6], 0);
  assert.equal(p[7], 0);
  assert.deepEqual([...h.payload], [...data]);
});

test('link padding past Total Length is ignored', () => {
  const r = new Ip4Reassembler();
  const [a, b] = split(counting(24), [16]);
  const padded = new Uint8Array(b.length + 10).fill(0xee);
  padded.set(b);
  r.onFragment(a, T0);
  const p = expectComplete(r.onFragment(padded, T0));
  assert.deepEqual([...parseIpv4Header(p)!.payload], [...counting(24)]);
});

test('a datagram that is not a fragment is returned unchanged, uncounted', () => {
  const r = new Ip4Reassembler();
  const d = emitIpv4({ protocol: IPPROTO_UDP, src: SRC_A, dst: DST, dontFragment: true }, counting(10));
  assert.equal(expectComplete(r.onFragment(d, T0)).buffer, d.buffer);
  assert.equal(r.counters.reqds, 0);
});

// --- the key ----------------------------------------------------------------------------

test('the key is (source, destination, protocol, Identification): fragments differing in any do not mix', () => {
  const data = counting(32);
  for (const other of [{ src: SRC_B }, { dst: SRC_B }, { protocol: IPPROTO_ICMP }, { identification: 8 }] as Partial<Spec>[]) {
    const r = new Ip4Reassembler();
    assert.deepEqual(r.onFragment(frag(0, data.subarray(0, 16), true), T0), PENDING);
    assert.deepEqual(r.onFragment(frag(16, data.subarray(16), false, other), T0), PENDING, JSON.stringify(other));
    assert.equal(r.size, 2);
  }
});

// --- drops -------------------------------------------------------------------------------

test('MF = 1 with data not a multiple of 8: that fragment is dropped, the datagram kept (RFC 791 §3.2)', () => {
  const r = new Ip4Reassembler();
  assert.deepEqual(r.onFragment(frag(0, counting(16), true), T0), PENDING);
  expectDropped(r.onFragment(frag(16, counting(13), true), T0), Ip4ReasmDrop.NOT_MULTIPLE_OF_8);
  expectComplete(r.onFragment(frag(16, counting(5), false), T0));
});

test('data ending past 65535 − header: TOO_LONG; with the first fragment\'s longer header: OVERSIZE', () => {
  const r = new Ip4Reassembler();
  // offset 65528 + 8 octets + 20 header = 65556 > 65535
  expectDropped(r.onFragment(frag(65528, counting(8), false), T0), Ip4ReasmDrop.TOO_LONG);
  // 65512 data octets: fine with a 20-octet header (65532), not with the first fragment's 60 (65572).
  const opts = new Uint8Array(40).fill(1); // 40 NOPs
  const big = new Ip4Reassembler();
  assert.deepEqual(big.onFragment(frag(0, counting(65472), true, { options: opts }), T0), PENDING);
  assert.deepEqual(big.onFragment(frag(65472, counting(32), true), T0), PENDING);
  expectDropped(big.onFragment(frag(65504, counting(8), false), T0), Ip4ReasmDrop.OVERSIZE);
  assert.equal(big.size, 0);
  assert.equal(big.counters.bytesHeld, 0);
  assert.equal(big.counters.fails, 1);
});

test('an empty fragment is dropped alone; a malformed header is dropped', () => {
  const r = new Ip4Reassembler();
  r.onFragment(frag(0, counting(8), true), T0);
  expectDropped(r.onFragment(frag(8, new Uint8Array(0), true), T0), Ip4ReasmDrop.EMPTY);
  const bad = frag(8, counting(8), false);
  bad[10] ^= 1;
  expectDropped(r.onFragment(bad, T0), Ip4ReasmDrop.MALFORMED);
  expectDropped(r.onFragment(bad.subarray(0, 12), T0), Ip4ReasmDrop.MALFORMED);
  expectComplete(r.onFragment(frag(8, counting(8), false), T0));
  assert.equal(r.counters.dropped, 3);
});

test('data past the end fixed by the last fragment, or a second last fragment with another end: the datagram is discarded', () => {
  let r = new Ip4Reassembler();
  r.onFragment(frag(0, counting(16), true), T0);
  r.onFragment(frag(32, counting(8), false), T0); // ends at 40
  expectDropped(r.onFragment(frag(40, counting(8), true), T0), Ip4ReasmDrop.BEYOND_END);
  expectDropped(r.onFragment(frag(16, counting(16), true), T0), Ip4ReasmDrop.POISONED);

  r = new Ip4Reassembler();
  r.onFragment(frag(32, counting(8), false), T0);
  expectDropped(r.onFragment(frag(32, counting(16), false), T0), Ip4ReasmDrop.LAST_MISMATCH);

  r = new Ip4Reassembler();
  r.onFragment(frag(64, counting(8), true), T0);
  expectDropped(r.onFragment(frag(32, counting(8), false), T0), Ip4ReasmDrop.BEYOND_END);
  assert.equal(r.counters.fails, 1);
  assert.equal(r.counters.bytesHeld, 0);
});

// --- overlaps and tombstones ---------------------------------------------------------------

test('overlap discards the whole datagram; its later fragments are dropped until the timeout (tombstone)', () => {
  const r = new Ip4Reassembler();
  r.onFragment(frag(0, counting(16), true), T0);
  r.onFragment(frag(32, counting(16), false), T0);
  expectDropped(r.onFragment(frag(8, counting(16), true), T0 + 1), Ip4ReasmDrop.OVERLAP);
  assert.equal(r.counters.overlaps, 1);
  assert.equal(r.counters.bytesHeld, 0);
  // the missing piece arrives: too late, the datagram is dead
  expectDropped(r.onFragment(frag(16, counting(16), true), T0 + 2), Ip4ReasmDrop.POISONED);
  assert.equal(r.nextDeadline(), T0 + REASM_TIMEOUT, 'the tombstone keeps the original deadline');
  assert.deepEqual(r.onDeadline(T0 + REASM_TIMEOUT), [], 'a tombstone expires silently');
  assert.equal(r.size, 0);
  // the same key starts afresh afterwards
  r.onFragment(frag(0, counting(16), true), T0 + REASM_TIMEOUT);
  expectComplete(r.onFragment(frag(16, counting(8), false), T0 + REASM_TIMEOUT));
});

test('an exact duplicate counts as an overlap; so does overlap on either side of the insertion point', () => {
  // held: [16, 32) and [48, 56)
  for (const [off, len] of [[16, 16], [8, 16], [24, 16], [0, 64], [40, 16], [48, 8], [24, 8]] as const) {
    const r = new Ip4Reassembler();
    r.onFragment(frag(16, counting(16), true), T0);
    r.onFragment(frag(48, counting(8), true), T0);
    expectDropped(r.onFragment(frag(off, counting(len), true), T0), Ip4ReasmDrop.OVERLAP);
  }
  // adjacent pieces do not overlap
  const r = new Ip4Reassembler();
  r.onFragment(frag(16, counting(16), true), T0);
  assert.deepEqual(r.onFragment(frag(8, counting(8), true), T0), PENDING);
  assert.deepEqual(r.onFragment(frag(32, counting(8), true), T0), PENDING);
});

// --- timeout -------------------------------------------------------------------------------

test('timeout 30 s after the first-arriving fragment: deadline − 1 nothing; deadline: Time Exceeded quoting the first fragment', () => {
  assert.equal(REASM_TIMEOUT, 30_000);
  const r = new Ip4Reassembler();
  const first = frag(0, counting(16), true);
  assert.equal(r.nextDeadline(), NEVER);
  r.onFragment(frag(32, counting(8), false), T0);
  r.onFragment(first, T0 + 10_000); // later fragments do not extend the timer
  assert.equal(r.nextDeadline(), T0 + 30_000);
  assert.deepEqual(r.onDeadline(T0 + 29_999), []);
  assert.equal(r.size, 1);
  const acts = r.onDeadline(T0 + 30_000);
  assert.equal(acts.length, 1);
  assert.equal(acts[0].type, 'TimeExceeded');
  assert.deepEqual([...acts[0].firstFragment], [...first]);
  assert.equal(r.size, 0);
  assert.equal(r.counters.timeouts, 1);
  assert.equal(r.counters.fails, 1);
  assert.equal(r.counters.bytesHeld, 0);
  assert.equal(r.nextDeadline(), NEVER);
});

test('no Time Exceeded when the first fragment never came (RFC 1122 §3.3.2)', () => {
  const r = new Ip4Reassembler();
  r.onFragment(frag(16, counting(16), true), T0);
  r.onFragment(frag(32, counting(8), false), T0);
  assert.deepEqual(r.onDeadline(T0 + REASM_TIMEOUT), []);
  assert.equal(r.counters.timeouts, 1);
  assert.equal(r.size, 0);
});

test('the first fragment kept for the quote is trimmed to its Total Length', () => {
  const r = new Ip4Reassembler();
  const first = frag(0, counting(16), true);
  const padded = new Uint8Array(first.length + 6);
  padded.set(first);
  r.onFragment(padded, T0);
  assert.deepEqual([...r.onDeadline(T0 + REASM_TIMEOUT)[0].firstFragment], [...first]);
});

test('the timeout is configurable and several datagrams expire in deadline order', () => {
  const r = new Ip4Reassembler({ timeout: 5000 });
  r.onFragment(frag(0, counting(8), true, { identification: 1 }), T0);
  r.onFragment(frag(0, counting(8), true, { identification: 2 }), T0 + 100);
  assert.equal(r.onDeadline(T0 + 5000).length, 1);
  assert.equal(r.nextDeadline(), T0 + 5100);
  assert.equal(r.onDeadline(T0 + 5100).length, 1);
});

// --- ECN (RFC 3168 §5.3) ----------------------------------------------------------------

test('ECN: CE in one fragment marks the datagram CE; Not-ECT mixed with ECT is dropped', () => {
  let r = new Ip4Reassembler();
  r.onFragment(frag(0, counting(8), true, { tos: 0x02 }), T0); // ECT(0)
  const p = expectComplete(r.onFragment(frag(8, counting(8), false, { tos: 0x03 }), T0)); // CE
  assert.equal(p[1] & 3, 3);
  assert.equal(checkIpv4Header(p), null);
  r = new Ip4Reassembler();
  r.onFragment(frag(0, counting(8), true, { tos: 0x00 }), T0);
  expectDropped(r.onFragment(frag(8, counting(8), false, { tos: 0x01 }), T0), Ip4ReasmDrop.ECN_MIXED);
  assert.equal(r.counters.bytesHeld, 0);
});

// --- memory --------------------------------------------------------------------------------

test('per-source budget: the oldest datagram of that source is evicted; another source is untouched', () => {
  const cost = 1000 + FRAGMENT_OVERHEAD; // one 1000-octet non-first fragment
  const r = new Ip4Reassembler({ maxBytesPerSource: 3 * cost, maxBytesTotal: 100 * cost });
  const piece = (src: Ip4, id: number): Uint8Array => frag(8, counting(1000), true, { src, identification: id });
  r.onFragment(piece(SRC_B, 99), T0);
  for (let id = 1; id <= 3; id++) r.onFragment(piece(SRC_A, id), T0 + id);
  assert.equal(r.bytesHeldBy(SRC_A), 3 * cost);
  r.onFragment(piece(SRC_A, 4), T0 + 4);
  assert.equal(r.counters.evictions, 1);
  assert.equal(r.bytesHeldBy(SRC_A), 3 * cost);
  assert.equal(r.bytesHeldBy(SRC_B), cost);
  assert.equal(r.size, 4);
  // datagram 4 is held (the same piece again overlaps); datagram 1, the oldest, is gone (its piece starts a new queue)
  expectDropped(r.onFragment(piece(SRC_A, 4), T0 + 5), Ip4ReasmDrop.OVERLAP);
  assert.deepEqual(r.onFragment(piece(SRC_A, 1), T0 + 6), PENDING);
});

test('total budget: oldest overall evicted; bytesHeld never exceeds maxBytesTotal under a flood', () => {
  const r = new Ip4Reassembler({ maxBytesPerSource: 64 * 1024, maxBytesTotal: 10_000 });
  const rand = prng(3);
  for (let k = 0; k < 2000; k++) {
    const src = Uint8Array.of(10, 0, Math.floor(rand() * 8), 1);
    r.onFragment(frag(8 * Math.floor(rand() * 100), counting(8 * (1 + Math.floor(rand() * 100))), true, { src, identification: k }), T0 + k);
    assert.ok(r.counters.bytesHeld <= 10_000);
  }
  assert.ok(r.counters.evictions > 0);
});

test('a fragment bigger than a budget on its own: OVER_BUDGET', () => {
  const r = new Ip4Reassembler({ maxBytesPerSource: 500 });
  expectDropped(r.onFragment(frag(8, counting(480), true), T0), Ip4ReasmDrop.OVER_BUDGET);
  assert.equal(r.size, 0);
});

test('the fragment\'s own datagram evicted to make room: OVER_BUDGET, the datagram gone', () => {
  const cost = 800 + FRAGMENT_OVERHEAD;
  const r = new Ip4Reassembler({ maxBytesPerSource: 2 * cost });
  r.onFragment(frag(8, counting(800), true, { identification: 1 }), T0);
  r.onFragment(frag(8, counting(800), true, { identification: 2 }), T0);
  // datagram 1 is the oldest of the source: adding to it evicts it
  expectDropped(r.onFragment(frag(808, counting(800), true, { identification: 1 }), T0), Ip4ReasmDrop.OVER_BUDGET);
  assert.equal(r.size, 1);
  assert.equal(r.bytesHeldBy(SRC_A), cost);
});

test('maxQueues: a new datagram evicts its own source\'s tombstone, then its oldest, before other sources\'', () => {
  const r = new Ip4Reassembler({ maxQueues: 3 });
  r.onFragment(frag(8, counting(8), true, { src: SRC_B, identification: 1 }), T0);
  r.onFragment(frag(8, counting(8), true, { identification: 1 }), T0 + 1);
  r.onFragment(frag(8, counting(8), true, { identification: 2 }), T0 + 2);
  expectDropped(r.onFragment(frag(8, counting(8), true, { identification: 2 }), T0 + 3), Ip4ReasmDrop.OVERLAP); // 2 → tombstone
  r.onFragment(frag(8, counting(8), true, { identification: 3 }), T0 + 4); // evicts tombstone 2
  assert.equal(r.size, 3);
  assert.equal(r.counters.evictions, 0);
  r.onFragment(frag(8, counting(8), true, { identification: 4 }), T0 + 5); // evicts A's oldest (1), not B's
  assert.equal(r.counters.evictions, 1);
  assert.equal(r.bytesHeldBy(SRC_B), 8 + FRAGMENT_OVERHEAD);
  assert.deepEqual(r.onFragment(frag(16, counting(8), true, { identification: 2 }), T0 + 6).kind, 'pending', 'tombstone 2 is gone');
});

test('constructor options are checked', () => {
  assert.throws(() => new Ip4Reassembler({ timeout: 0 }), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new Ip4Reassembler({ maxQueues: 1.5 }), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new Ip4Reassembler().onFragment([] as unknown as Uint8Array, 0), { code: 'ERR_INVALID_ARG' });
});

// --- fuzz ----------------------------------------------------------------------------------

test('fuzz: random and mutated fragments never throw, and the accounts stay balanced', () => {
  const rand = prng(1071);
  const r = new Ip4Reassembler({ maxBytesTotal: 200_000, maxQueues: 50 });
  const base = fragmentIpv4(emitIpv4({ protocol: IPPROTO_UDP, src: SRC_A, dst: DST, identification: 1 }, counting(5000)), 600);
  let now = T0;
  for (let k = 0; k < 5000; k++) {
    let p: Uint8Array;
    if (rand() < 0.3) p = Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256));
    else {
      p = base[Math.floor(rand() * base.length)].slice();
      for (let m = 0; m < 3; m++) p[Math.floor(rand() * 20)] = Math.floor(rand() * 256);
      // fix the checksum half the time so the mutation reaches reassembly
      if (rand() < 0.5) {
        p[0] = 0x45;
        p[10] = 0;
        p[11] = 0;
        let s = 0;
        for (let i = 0; i < 20; i += 2) s += (p[i] << 8) | p[i + 1];
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        p[10] = (~s >> 8) & 0xff;
        p[11] = ~s & 0xff;
      }
    }
    now += Math.floor(rand() * 50);
    r.onDeadline(now);
    r.onFragment(p, now);
    assert.ok(r.counters.bytesHeld >= 0 && r.counters.bytesHeld <= 200_000);
    assert.ok(r.size <= 50);
  }
  r.onDeadline(now + REASM_TIMEOUT);
  assert.equal(r.size, 0);
  assert.equal(r.counters.bytesHeld, 0);
});
