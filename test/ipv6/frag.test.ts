// IPv6 fragmentation and reassembly: the Fragment header record
// (src/wire/frag.ts, golden bytes from the RFC 8200 §4.5 diagram), source
// fragmentation (src/ipv6/fragment.ts) and the Reassembler
// (src/ipv6/reassembly.ts): round trips, atomic fragments (RFC 6946), the two
// Parameter Problem rules (RFC 8200 §4.5), overlaps (RFC 5722), the last
// fragment, the 60 s timeout in virtual time, memory budgets, and fuzzing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/time/clock.js';
import { NEVER } from '../../src/time/instant.js';
import { parseIp6, type Ip6 } from '../../src/wire/address.js';
import { emitIp6Header } from '../../src/wire/ipv6.js';
import {
  FRAG_HEADER_LEN, NH_FRAGMENT, emitFragmentHeader, fragmentHeaderFits, parseFragmentHeader,
} from '../../src/wire/frag.js';
import { fragmentPacket, newIdentification, unfragmentablePart } from '../../src/ipv6/fragment.js';
import {
  FRAGMENT_OVERHEAD, REASM_TIMEOUT, ReasmDrop, Reassembler, type ReasmResult,
} from '../../src/ipv6/reassembly.js';

/** Bytes from a hex listing with spaces and line breaks. */
const hexBytes = (h: string): number[] => h.trim().split(/\s+/).map((x) => parseInt(x, 16));

const SRC_A = parseIp6('2001:db8::a');
const SRC_B = parseIp6('2001:db8::b');
const DST = parseIp6('2001:db8::1');
const NH_UDP = 17;
const NH_HBH = 0;
const NH_ROUTING = 43;
const NH_DEST = 60;
const T0 = 1000;

/** A random byte string from a seeded generator. */
function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Extension headers of 8 octets each (Hdr Ext Len 0), chained by type; the last points at `last`. */
function chain(types: number[], last: number): Uint8Array {
  const b = new Uint8Array(types.length * 8);
  types.forEach((_, i) => {
    b[i * 8] = i + 1 < types.length ? types[i + 1] : last;
    b[i * 8 + 1] = 0;
    b[i * 8 + 2] = 1; // PadN (options) / Routing Type 1 with Segments Left 0 — contents unread here
    b[i * 8 + 3] = 4;
  });
  return b;
}

/** A whole IPv6 packet: header, extension headers of `types`, then `payload` of type `upper`. */
function ip6Packet(payload: Uint8Array, o: { src?: Ip6; dst?: Ip6; types?: number[]; upper?: number; tc?: number } = {}): Uint8Array {
  const types = o.types ?? [];
  const ext = chain(types, o.upper ?? NH_UDP);
  const p = new Uint8Array(40 + ext.length + payload.length);
  emitIp6Header(p, 0, {
    payloadLength: ext.length + payload.length, nextHeader: types.length ? types[0] : (o.upper ?? NH_UDP), hopLimit: 64,
    src: o.src ?? SRC_A, dst: o.dst ?? DST,
  });
  if (o.tc !== undefined) {
    p[0] = 0x60 | (o.tc >> 4);
    p[1] = (o.tc & 0x0f) << 4;
  }
  p.set(ext, 40);
  p.set(payload, 40 + ext.length);
  return p;
}

interface FragSpec {
  src?: Ip6;
  dst?: Ip6;
  id?: number;
  offset: number;
  more: boolean;
  data: Uint8Array | number;
  nh?: number;
  /** Extension headers before the Fragment header (the Unfragmentable Part). */
  pre?: number[];
  tc?: number;
}

interface Frag {
  pkt: Uint8Array;
  fo: number;
}

/** A fragment packet built with the records. */
function frag(s: FragSpec): Frag {
  const data = typeof s.data === 'number' ? Uint8Array.from({ length: s.data }, (_, i) => (i * 7 + s.offset) & 0xff) : s.data;
  const pre = s.pre ?? [];
  const body = new Uint8Array(FRAG_HEADER_LEN + data.length);
  emitFragmentHeader(body, 0, { nextHeader: s.nh ?? NH_UDP, offset: s.offset, more: s.more, identification: s.id ?? 1 });
  body.set(data, FRAG_HEADER_LEN);
  const pkt = ip6Packet(body, { src: s.src, dst: s.dst, types: pre, upper: NH_FRAGMENT, tc: s.tc });
  return { pkt, fo: 40 + pre.length * 8 };
}

/** Offset of the Fragment header in a fragment packet (walks HbH/Destination/Routing). */
function fragOffsetOf(pkt: Uint8Array): number {
  let nh = pkt[6];
  let pos = 40;
  while (nh === NH_HBH || nh === NH_DEST || nh === NH_ROUTING) {
    nh = pkt[pos];
    pos += (pkt[pos + 1] + 1) * 8;
  }
  assert.equal(nh, NH_FRAGMENT);
  return pos;
}

const feed = (r: Reassembler, f: Frag, now: number): ReasmResult => r.onFragment(f.pkt, f.fo, f.fo, now);
const feedPkt = (r: Reassembler, pkt: Uint8Array, now: number): ReasmResult => {
  const fo = fragOffsetOf(pkt);
  return r.onFragment(pkt, fo, fo, now);
};

function expectComplete(res: ReasmResult): Uint8Array {
  if (res.kind !== 'complete') assert.fail(`expected complete, got ${JSON.stringify(res)}`);
  return (res as { packet: Uint8Array }).packet;
}

function expectDropped(res: ReasmResult, reason: ReasmDrop): { code: number; pointer: number } | undefined {
  assert.equal(res.kind, 'dropped', `expected dropped ${ReasmDrop[reason]}, got ${res.kind}`);
  const d = res as { reason: ReasmDrop; paramProblem?: { code: number; pointer: number } };
  assert.equal(d.reason, reason, `reason ${ReasmDrop[d.reason]}, expected ${ReasmDrop[reason]}`);
  return d.paramProblem;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

function shuffle<T>(a: T[], rand: () => number): T[] {
  const x = a.slice();
  for (let i = x.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [x[i], x[j]] = [x[j], x[i]];
  }
  return x;
}

// --- wire -----------------------------------------------------------------------

// RFC 8200 §4.5: Next Header 17 | Reserved 0 | Fragment Offset 181 (1448 octets) << 3, Res 0, M 1 | Identification 0x12345678.
const FRAG_GOLDEN = hexBytes('11 00 05 a9  12 34 56 78');
// Last fragment at the largest offset, 8191 × 8 = 65528: Next Header 6 | 0 | 0xfff8 (M 0) | Identification 0xfedcba98.
const FRAG_GOLDEN_LAST = hexBytes('06 00 ff f8  fe dc ba 98');

test('Fragment header: golden bytes, every byte written and no more (RFC 8200 §4.5)', () => {
  const b = new Uint8Array(16).fill(0xaa);
  assert.equal(emitFragmentHeader(b, 3, { nextHeader: 17, offset: 1448, more: true, identification: 0x12345678 }), 8);
  assert.deepEqual([...b.subarray(3, 11)], FRAG_GOLDEN);
  assert.deepEqual([...b.subarray(0, 3), ...b.subarray(11)], new Array(8).fill(0xaa), 'nothing outside the header');
  const c = new Uint8Array(8).fill(0xff);
  emitFragmentHeader(c, 0, { nextHeader: 6, offset: 65528, more: false, identification: 0xfedcba98 });
  assert.deepEqual([...c], FRAG_GOLDEN_LAST, 'Reserved and Res zeroed over 0xff');
});

test('Fragment header: parse reads the golden bytes and ignores Reserved and Res (RFC 8200 §4.5)', () => {
  assert.deepEqual(parseFragmentHeader(Uint8Array.from(FRAG_GOLDEN), 0), { nextHeader: 17, offset: 1448, more: true, identification: 0x12345678 });
  const noisy = Uint8Array.from(FRAG_GOLDEN_LAST);
  noisy[1] = 0xff; // Reserved
  noisy[3] |= 0x06; // Res
  assert.deepEqual(parseFragmentHeader(noisy, 0), { nextHeader: 6, offset: 65528, more: false, identification: 0xfedcba98 });
});

test('Fragment header: round trip and truncation', () => {
  const rand = seededRandom(5);
  for (let i = 0; i < 200; i++) {
    const h = { nextHeader: Math.floor(rand() * 256), offset: Math.floor(rand() * 8192) * 8, more: rand() < 0.5, identification: Math.floor(rand() * 2 ** 32) };
    const b = new Uint8Array(12);
    emitFragmentHeader(b, 4, h);
    assert.deepEqual(parseFragmentHeader(b, 4), h);
  }
  const b = Uint8Array.from(FRAG_GOLDEN);
  for (let n = 0; n < 8; n++) assert.equal(parseFragmentHeader(b.subarray(0, n), 0), null, `${n} octets`);
  assert.equal(parseFragmentHeader(new Uint8Array(12), 5), null, 'runs past the end');
  assert.equal(fragmentHeaderFits(new Uint8Array(12), -1), false);
  assert.equal(fragmentHeaderFits(new Uint8Array(12), 4), true);
});

// --- fragmentation ----------------------------------------------------------------

/** Checks the RFC 8200 §4.5 shape of a fragment set and returns the Fragmentable Part it carries. */
function checkFragments(orig: Uint8Array, frags: Uint8Array[], mtu: number, id: number): Uint8Array {
  const u = unfragmentablePart(orig)!;
  const pieces: Uint8Array[] = [];
  let expectOff = 0;
  frags.forEach((f, i) => {
    assert.ok(f.length <= mtu, `fragment ${i} fits the MTU`);
    assert.equal((f[4] << 8) | f[5], f.length - 40, 'Payload Length counts the fragment');
    assert.ok(same(f.subarray(0, 4), orig.subarray(0, 4)) && same(f.subarray(6, u.nextHeaderAt), orig.subarray(6, u.nextHeaderAt)), 'header copied');
    assert.equal(f[u.nextHeaderAt], NH_FRAGMENT, 'last Next Header of the Unfragmentable Part says 44');
    assert.ok(same(f.subarray(u.nextHeaderAt + 1, u.end), orig.subarray(u.nextHeaderAt + 1, u.end)));
    const h = parseFragmentHeader(f, u.end)!;
    assert.equal(h.nextHeader, orig[u.nextHeaderAt], 'Fragment header carries the original Next Header');
    assert.equal(h.identification, id);
    assert.equal(h.offset, expectOff);
    assert.equal(h.more, i < frags.length - 1, 'M set on all but the last');
    const data = f.subarray(u.end + 8);
    if (h.more) assert.equal(data.length % 8, 0, 'non-last data a multiple of 8');
    expectOff += data.length;
    pieces.push(data);
  });
  return Buffer.concat(pieces);
}

test('fragmentPacket: fragments fit the MTU, data in 8-octet units, fields right (RFC 8200 §4.5)', () => {
  const rand = seededRandom(11);
  const orig = ip6Packet(randomBytes(rand, 4000));
  const frags = fragmentPacket(orig, 1280, 0xdeadbeef);
  assert.equal(frags.length, 4); // 1232 data octets per fragment: 1232·3 + 304
  assert.deepEqual(frags.map((f) => f.length), [1280, 1280, 1280, 40 + 8 + 304]);
  assert.ok(same(checkFragments(orig, frags, 1280, 0xdeadbeef), orig.subarray(40)));
});

test('fragmentPacket: Hop-by-Hop, Destination Options and Routing stay unfragmentable; Destination Options after Routing travel (RFC 8200 §4.5)', () => {
  const rand = seededRandom(12);
  const orig = ip6Packet(randomBytes(rand, 3000), { types: [NH_HBH, NH_DEST, NH_ROUTING, NH_DEST] });
  assert.deepEqual(unfragmentablePart(orig), { end: 64, nextHeaderAt: 56 });
  const frags = fragmentPacket(orig, 1500, 7);
  for (const f of frags) assert.equal(fragOffsetOf(f), 64);
  assert.equal(parseFragmentHeader(frags[0], 64)!.nextHeader, NH_DEST, 'the trailing Destination Options header is fragmentable');
  assert.ok(same(checkFragments(orig, frags, 1500, 7), orig.subarray(64)));
  // Hop-by-Hop only: the IPv6 header and it.
  assert.deepEqual(unfragmentablePart(ip6Packet(new Uint8Array(8), { types: [NH_HBH] })), { end: 48, nextHeaderAt: 40 });
  // Destination Options without a Routing header: fragmentable.
  const dOnly = ip6Packet(randomBytes(rand, 2000), { types: [NH_DEST] });
  assert.deepEqual(unfragmentablePart(dOnly), { end: 40, nextHeaderAt: 6 });
  assert.equal(parseFragmentHeader(fragmentPacket(dOnly, 1280, 1)[0], 40)!.nextHeader, NH_DEST);
});

test('fragmentPacket: a packet that fits is returned itself; programmer errors throw ERR_INVALID_ARG', () => {
  const small = ip6Packet(new Uint8Array(1240));
  assert.equal(small.length, 1280);
  const out = fragmentPacket(small, 1280, 1);
  assert.equal(out.length, 1);
  assert.equal(out[0], small);
  const big = ip6Packet(new Uint8Array(2000));
  for (const mtu of [1279, 0, 1280.5, NaN]) assert.throws(() => fragmentPacket(big, mtu, 1), { code: 'ERR_INVALID_ARG' }, `mtu ${mtu}`);
  assert.throws(() => fragmentPacket(big, 1280, -1), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => fragmentPacket(big, 1280, 2 ** 32), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => fragmentPacket(big.subarray(0, 1500), 1280, 1), { code: 'ERR_INVALID_ARG' }, 'Payload Length disagrees');
  const already = frag({ offset: 0, more: true, data: 2000 }).pkt;
  assert.throws(() => fragmentPacket(already, 1280, 1), { code: 'ERR_INVALID_ARG' }, 'already has a Fragment header');
});

test('newIdentification: 32-bit, never 0, spread over the whole range (RFC 7739 §5)', () => {
  assert.equal(newIdentification(() => 0), 1);
  assert.equal(newIdentification(() => 1 - 2 ** -53), 0xffffffff);
  const rand = seededRandom(99);
  const seen = new Set<number>();
  let high = 0;
  for (let i = 0; i < 10_000; i++) {
    const id = newIdentification(rand);
    assert.ok(Number.isInteger(id) && id >= 1 && id <= 0xffffffff);
    seen.add(id);
    if (id >= 0x80000000) high++;
  }
  assert.ok(seen.size > 9_990, 'no visible repetition');
  assert.ok(high > 4_500 && high < 5_500, 'top bit random');
  for (const bad of [() => 1, () => -0.1, () => NaN]) assert.throws(() => newIdentification(bad), { code: 'ERR_INVALID_ARG' });
});

// --- round trip ---------------------------------------------------------------------

test('fragmentPacket → Reassembler round trip: sizes 1281..10000, MTU 1280/1400/1500, in order, reversed, shuffled', () => {
  const rand = seededRandom(2024);
  const pool = randomBytes(rand, 10_000 + 4096);
  const r = new Reassembler();
  let id = 1;
  let checked = 0;
  let unfragmented = 0;
  for (const mtu of [1280, 1400, 1500]) {
    for (let size = 1281; size <= 10_000; size++) {
      const at = Math.floor(rand() * 4096);
      const orig = ip6Packet(pool.subarray(at, at + size - 40));
      assert.equal(orig.length, size);
      const frags = fragmentPacket(orig, mtu, id++);
      if (size <= mtu) {
        assert.deepEqual(frags, [orig], 'fits: not fragmented');
        unfragmented++;
        continue;
      }
      const orders = [frags, frags.slice().reverse(), shuffle(frags, rand)];
      for (const [o, order] of orders.entries()) {
        let done: Uint8Array | undefined;
        for (const [i, f] of order.entries()) {
          const res = feedPkt(r, f, T0);
          if (i < order.length - 1) assert.equal(res.kind, 'pending', `size ${size} mtu ${mtu} order ${o}: fragment ${i}`);
          else done = expectComplete(res);
        }
        assert.ok(same(done!, orig), `size ${size} mtu ${mtu} order ${o}`);
        checked++;
      }
    }
  }
  assert.equal(unfragmented, (1400 - 1280) + (1500 - 1280), 'sizes up to the MTU pass whole');
  assert.equal(checked, 3 * (3 * 8720 - unfragmented));
  assert.equal(r.size, 0, 'no queue left behind');
  assert.equal(r.counters.bytesHeld, 0);
  assert.equal(r.counters.oks, checked);
  assert.equal(r.counters.fails, 0);
  assert.equal(r.nextDeadline(), NEVER);
});

test('round trip with an Unfragmentable Part: the Routing header Next Header is restored, Payload Length fixed (RFC 8200 §4.5)', () => {
  const rand = seededRandom(3);
  const r = new Reassembler();
  for (const size of [1300, 4321, 9000]) {
    const orig = ip6Packet(randomBytes(rand, size), { types: [NH_HBH, NH_DEST, NH_ROUTING, NH_DEST] });
    const frags = shuffle(fragmentPacket(orig, 1280, size), rand);
    const results = frags.map((f) => feedPkt(r, f, T0));
    assert.ok(same(expectComplete(results[results.length - 1]), orig));
  }
});

test('the Next Header of the offset-0 fragment is the one used; other fragments may differ (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  assert.equal(feed(r, frag({ offset: 8, more: false, data: 8, nh: 99 }), T0).kind, 'pending');
  const p = expectComplete(feed(r, frag({ offset: 0, more: true, data: 8, nh: 6 }), T0));
  assert.equal(p[6], 6);
  assert.equal((p[4] << 8) | p[5], 16);
});

// --- atomic fragments ------------------------------------------------------------------

test('an atomic fragment is complete at once and never mixed with a queue of the same Identification (RFC 6946 §4)', () => {
  const r = new Reassembler();
  const a = frag({ id: 77, offset: 0, more: true, data: 16 });
  assert.equal(feed(r, a, T0).kind, 'pending');
  const atomicData = Uint8Array.from({ length: 24 }, (_, i) => 0xc0 + i);
  const at = expectComplete(feed(r, frag({ id: 77, offset: 0, more: false, data: atomicData, nh: 58 }), T0));
  assert.equal(at.length, 40 + 24, 'the Fragment header removed');
  assert.equal(at[6], 58, 'Next Header from the Fragment header');
  assert.equal((at[4] << 8) | at[5], 24, 'Payload Length fixed');
  assert.ok(same(at.subarray(40), atomicData));
  assert.equal(r.size, 1, 'the queue is untouched');
  const rest = expectComplete(feed(r, frag({ id: 77, offset: 16, more: false, data: 8 }), T0));
  assert.equal(rest.length, 40 + 24);
  assert.ok(same(rest.subarray(40, 56), a.pkt.subarray(48)), 'the queue kept its own data');
  assert.equal(r.counters.atomic, 1);
  assert.equal(r.counters.oks, 2);
  assert.equal(r.counters.reqds, 3);
});

test('an atomic fragment behind a Hop-by-Hop header: that header\'s Next Header is rewritten (RFC 6946, RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  const f = frag({ offset: 0, more: false, data: 8, pre: [NH_HBH], nh: NH_UDP });
  const p = expectComplete(feed(r, f, T0));
  assert.equal(p.length, 56);
  assert.equal(p[6], NH_HBH);
  assert.equal(p[40], NH_UDP);
  assert.equal((p[4] << 8) | p[5], 16);
  assert.equal(r.size, 0);
});

// --- Parameter Problem rules ---------------------------------------------------------------

test('M = 1 with a length not a multiple of 8: dropped, Parameter Problem code 0 → Payload Length, offset 4 (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  for (const pre of [[], [NH_HBH]]) {
    assert.deepEqual(expectDropped(feed(r, frag({ offset: 0, more: true, data: 1001, pre }), T0), ReasmDrop.NOT_MULTIPLE_OF_8), { code: 0, pointer: 4 });
    assert.deepEqual(expectDropped(feed(r, frag({ offset: 1232, more: true, data: 4, pre }), T0), ReasmDrop.NOT_MULTIPLE_OF_8), { code: 0, pointer: 4 });
  }
  assert.equal(r.size, 0, 'nothing stored');
  assert.equal(feed(r, frag({ offset: 1232, more: false, data: 1001 }), T0).kind, 'pending', 'the last fragment may have any length');
  assert.equal(feed(r, frag({ offset: 0, more: true, data: 1232 }), T0).kind, 'complete');
});

test('offset + length beyond 65535: dropped, Parameter Problem code 0 → Fragment Offset, fragOffset + 2 (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  assert.deepEqual(expectDropped(feed(r, frag({ offset: 65528, more: false, data: 8 }), T0), ReasmDrop.TOO_LONG), { code: 0, pointer: 42 });
  assert.deepEqual(expectDropped(feed(r, frag({ offset: 65520, more: true, data: 24 }), T0), ReasmDrop.TOO_LONG), { code: 0, pointer: 42 });
  assert.equal(feed(r, frag({ id: 2, offset: 65520, more: false, data: 15 }), T0).kind, 'pending', 'ends at 65535 exactly: accepted');
  // With an 8-octet Hop-by-Hop header in the Unfragmentable Part the reassembled Payload Length counts it.
  assert.deepEqual(expectDropped(feed(r, frag({ id: 3, offset: 65520, more: false, data: 8, pre: [NH_HBH] }), T0), ReasmDrop.TOO_LONG), { code: 0, pointer: 50 });
  assert.equal(feed(r, frag({ id: 3, offset: 65520, more: false, data: 7, pre: [NH_HBH] }), T0).kind, 'pending', '8 + 65527 = 65535');
  // Both rules broken: the RFC's order, the length rule first.
  assert.deepEqual(expectDropped(feed(r, frag({ id: 4, offset: 65528, more: true, data: 9 }), T0), ReasmDrop.NOT_MULTIPLE_OF_8), { code: 0, pointer: 4 });
});

test('a first fragment without the whole header chain: dropped, Parameter Problem code 3, pointer 0 (RFC 7112 §5)', () => {
  const r = new Reassembler();
  const f = frag({ offset: 0, more: true, data: 16 });
  assert.deepEqual(expectDropped(r.onFragment(f.pkt, 40, 40, T0, { firstFragmentComplete: false }), ReasmDrop.FIRST_INCOMPLETE), { code: 3, pointer: 0 });
  assert.equal(r.size, 0);
  const g = frag({ offset: 16, more: false, data: 8 });
  assert.equal(r.onFragment(g.pkt, 40, 40, T0, { firstFragmentComplete: false }).kind, 'pending', 'the hint concerns the first fragment only');
  assert.equal(r.onFragment(f.pkt, 40, 40, T0, { firstFragmentComplete: true }).kind, 'complete');
});

test('malformed fragments are dropped and counted, never thrown', () => {
  const r = new Reassembler();
  const f = frag({ offset: 0, more: true, data: 16 });
  expectDropped(r.onFragment(f.pkt.subarray(0, 30), 40, 40, T0), ReasmDrop.TRUNCATED);
  expectDropped(r.onFragment(f.pkt.subarray(0, f.pkt.length - 1), 40, 40, T0), ReasmDrop.TRUNCATED);
  expectDropped(r.onFragment(f.pkt, 60, 60, T0), ReasmDrop.TRUNCATED);
  const jumbo = f.pkt.slice();
  jumbo[4] = jumbo[5] = 0;
  expectDropped(r.onFragment(jumbo, 40, 40, T0), ReasmDrop.JUMBO);
  const notFrag = f.pkt.slice();
  notFrag[6] = NH_UDP;
  expectDropped(r.onFragment(notFrag, 40, 40, T0), ReasmDrop.HEADER_CHAIN);
  const h = frag({ offset: 0, more: true, data: 16, pre: [NH_HBH] });
  expectDropped(r.onFragment(h.pkt, 40, 40, T0), ReasmDrop.HEADER_CHAIN);
  expectDropped(feed(r, frag({ offset: 8, more: true, data: 0 }), T0), ReasmDrop.EMPTY);
  assert.equal(r.counters.dropped, 7);
  assert.equal(r.counters.reqds, 7);
  assert.equal(r.size, 0);
  // Link-layer padding past Payload Length is not part of the fragment.
  const padded = new Uint8Array(f.pkt.length + 6).fill(0xee);
  padded.set(f.pkt);
  assert.equal(r.onFragment(padded, 40, 40, T0).kind, 'pending');
  assert.equal(r.counters.bytesHeld, f.pkt.length + FRAGMENT_OVERHEAD);
  const acts = r.onDeadline(T0 + REASM_TIMEOUT);
  assert.equal(acts.length, 1);
  assert.ok(same(acts[0].firstFragment, f.pkt), 'quoted without the padding');
  assert.equal(r.onFragment(padded, 40, 40, T0 + REASM_TIMEOUT).kind, 'pending');
  const g = frag({ offset: 16, more: false, data: 8 });
  const gPadded = new Uint8Array(g.pkt.length + 10).fill(0xee);
  gPadded.set(g.pkt);
  const p = expectComplete(r.onFragment(gPadded, 40, 40, T0 + REASM_TIMEOUT));
  assert.ok(same(p.subarray(40), Buffer.concat([f.pkt.subarray(48), g.pkt.subarray(48)])), 'no padding in the datagram');
  assert.throws(() => r.onFragment(f.pkt, 40, 48, T0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => r.onFragment(f.pkt, -1, -1, T0), { code: 'ERR_INVALID_ARG' });
});

// --- overlaps and the last fragment --------------------------------------------------------

// The datagram: [0,512) first, [512,1024), [1024,2048), [2048,3000) last. Held before the
// intruder: [0,512) and X = [1024,2048).
const REST = [
  { offset: 512, more: true, data: 512 },
  { offset: 2048, more: false, data: 952 },
];
const OVERLAPS: Array<[string, FragSpec]> = [
  ['head', { offset: 768, more: true, data: 264 }], // [768,1032) covers X's first octets
  ['tail', { offset: 2040, more: true, data: 520 }], // [2040,2560) covers X's last octets
  ['inside', { offset: 1280, more: true, data: 256 }], // within X
  ['covering', { offset: 768, more: true, data: 1792 }], // [768,2560) covers X whole
  ['exact duplicate', { offset: 1024, more: true, data: 1024 }], // X again, same bytes
  ['duplicate first fragment', { offset: 0, more: true, data: 512 }],
  ['into the first fragment', { offset: 504, more: true, data: 16 }],
];

for (const [name, intruder] of OVERLAPS) {
  test(`overlap (${name}) discards the whole datagram, and its later fragments until the timeout (RFC 5722 §4)`, () => {
    const r = new Reassembler();
    assert.equal(feed(r, frag({ id: 9, offset: 0, more: true, data: 512 }), T0).kind, 'pending');
    assert.equal(feed(r, frag({ id: 9, offset: 1024, more: true, data: 1024 }), T0 + 10).kind, 'pending');
    expectDropped(feed(r, frag({ id: 9, ...intruder }), T0 + 20), ReasmDrop.OVERLAP);
    assert.equal(r.counters.overlaps, 1);
    assert.equal(r.counters.fails, 1);
    assert.equal(r.counters.bytesHeld, 0, 'every fragment freed');
    for (const f of REST) expectDropped(feed(r, frag({ id: 9, ...f }), T0 + 30), ReasmDrop.POISONED);
    expectDropped(feed(r, frag({ id: 9, offset: 0, more: true, data: 512 }), T0 + 40), ReasmDrop.POISONED);
    // The tombstone goes at the datagram's timeout, silently; then the key is free again.
    assert.equal(r.nextDeadline(), T0 + REASM_TIMEOUT);
    assert.deepEqual(r.onDeadline(T0 + REASM_TIMEOUT), [], 'no Time Exceeded for a discarded datagram');
    assert.equal(r.counters.timeouts, 0);
    assert.equal(r.size, 0);
    const later = T0 + REASM_TIMEOUT + 1;
    for (const f of [{ offset: 0, more: true, data: 512 }, { offset: 1024, more: true, data: 1024 }, REST[0]]) {
      assert.equal(feed(r, frag({ id: 9, ...f }), later).kind, 'pending');
    }
    assert.equal(expectComplete(feed(r, frag({ id: 9, ...REST[1] }), later)).length, 40 + 3000);
  });
}

test('adjacent fragments do not overlap', () => {
  const r = new Reassembler();
  assert.equal(feed(r, frag({ offset: 1024, more: true, data: 1024 }), T0).kind, 'pending');
  assert.equal(feed(r, frag({ offset: 2048, more: false, data: 8 }), T0).kind, 'pending');
  assert.equal(feed(r, frag({ offset: 0, more: true, data: 1024 }), T0).kind, 'complete');
  assert.equal(r.counters.overlaps, 0);
});

test('a duplicate of the last fragment is an overlap (RFC 5722 §4)', () => {
  const r = new Reassembler();
  feed(r, frag({ offset: 2048, more: false, data: 952 }), T0);
  expectDropped(feed(r, frag({ offset: 2048, more: false, data: 952 }), T0), ReasmDrop.OVERLAP);
  expectDropped(feed(r, frag({ offset: 0, more: true, data: 2048 }), T0), ReasmDrop.POISONED);
});

test('a second last fragment with another end discards the datagram (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  feed(r, frag({ offset: 0, more: true, data: 1024 }), T0);
  feed(r, frag({ offset: 2048, more: false, data: 952 }), T0);
  expectDropped(feed(r, frag({ offset: 1024, more: false, data: 8 }), T0), ReasmDrop.LAST_MISMATCH);
  assert.equal(r.counters.fails, 1);
  expectDropped(feed(r, frag({ offset: 1024, more: true, data: 1024 }), T0), ReasmDrop.POISONED);
  assert.equal(r.counters.oks, 0);
});

test('data past the end fixed by the last fragment discards the datagram (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  feed(r, frag({ id: 1, offset: 2048, more: false, data: 952 }), T0);
  expectDropped(feed(r, frag({ id: 1, offset: 3000, more: true, data: 8 }), T0), ReasmDrop.BEYOND_END);
  expectDropped(feed(r, frag({ id: 1, offset: 0, more: true, data: 2048 }), T0), ReasmDrop.POISONED);
  // The other way round: data held past where a last fragment then ends.
  feed(r, frag({ id: 2, offset: 2048, more: true, data: 1024 }), T0);
  expectDropped(feed(r, frag({ id: 2, offset: 1024, more: false, data: 512 }), T0), ReasmDrop.BEYOND_END);
  expectDropped(feed(r, frag({ id: 2, offset: 0, more: true, data: 1024 }), T0), ReasmDrop.POISONED);
});

test('fragments of different sources, destinations or Identifications never mix (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  const first = { offset: 0, more: true, data: 16 } as const;
  const last = { offset: 16, more: false, data: 8 } as const;
  feed(r, frag({ ...first, src: SRC_A, id: 5 }), T0);
  assert.equal(feed(r, frag({ ...last, src: SRC_B, id: 5 }), T0).kind, 'pending');
  assert.equal(feed(r, frag({ ...last, src: SRC_A, dst: SRC_B, id: 5 }), T0).kind, 'pending');
  assert.equal(feed(r, frag({ ...last, src: SRC_A, id: 6 }), T0).kind, 'pending');
  assert.equal(r.size, 4);
  assert.equal(feed(r, frag({ ...last, src: SRC_A, id: 5 }), T0).kind, 'complete');
});

// --- timeout -----------------------------------------------------------------------------

test('timeout exactly 60 s after the first-arriving fragment; Time Exceeded quotes the offset-0 fragment (RFC 8200 §4.5)', () => {
  const r = new Reassembler();
  const first = frag({ id: 3, offset: 0, more: true, data: 1232 });
  assert.equal(feed(r, frag({ id: 3, offset: 2464, more: false, data: 100 }), T0).kind, 'pending');
  assert.equal(feed(r, first, T0 + 30_000).kind, 'pending');
  assert.equal(r.nextDeadline(), T0 + 60_000, 'later fragments do not extend it');
  assert.deepEqual(r.onDeadline(T0 + 60_000 - 1), [], 'deadline − 1 ms: nothing');
  assert.equal(r.size, 1);
  assert.equal(r.counters.timeouts, 0);
  const acts = r.onDeadline(T0 + 60_000);
  assert.equal(acts.length, 1);
  assert.equal(acts[0].type, 'TimeExceeded');
  assert.ok(same(acts[0].firstFragment, first.pkt), 'the offset-0 fragment as received');
  assert.equal(r.counters.timeouts, 1);
  assert.equal(r.counters.fails, 1);
  assert.equal(r.counters.bytesHeld, 0);
  assert.equal(r.size, 0);
  assert.equal(r.nextDeadline(), NEVER);
  assert.deepEqual(r.onDeadline(T0 + 120_000), []);
});

test('timeout without the offset-0 fragment is silent', () => {
  const r = new Reassembler();
  feed(r, frag({ offset: 1232, more: true, data: 1232 }), T0);
  feed(r, frag({ offset: 2464, more: false, data: 16 }), T0 + 5);
  assert.deepEqual(r.onDeadline(T0 + 59_999), []);
  assert.deepEqual(r.onDeadline(T0 + 60_000), []);
  assert.equal(r.counters.timeouts, 1);
  assert.equal(r.size, 0);
});

test('each datagram keeps its own deadline; the earliest is reported', () => {
  const r = new Reassembler();
  feed(r, frag({ id: 1, offset: 0, more: true, data: 8 }), T0);
  feed(r, frag({ id: 2, offset: 0, more: true, data: 8 }), T0 + 500);
  assert.equal(r.nextDeadline(), T0 + 60_000);
  assert.equal(r.onDeadline(T0 + 60_000).length, 1);
  assert.equal(r.nextDeadline(), T0 + 60_500);
  assert.equal(feed(r, frag({ id: 2, offset: 8, more: false, data: 8 }), T0 + 60_499).kind, 'complete');
  assert.equal(r.nextDeadline(), NEVER, 'completion disarms the deadline');
});

// --- ECN -----------------------------------------------------------------------------

test('CE on any fragment marks the reassembled packet; Not-ECT mixed with ECT is dropped (RFC 3168 §5.3)', () => {
  const r = new Reassembler();
  const ECT0 = 0x02;
  const CE = 0x03;
  feed(r, frag({ id: 1, offset: 0, more: true, data: 8, tc: 0xb8 | ECT0 }), T0);
  const p = expectComplete(feed(r, frag({ id: 1, offset: 8, more: false, data: 8, tc: 0xb8 | CE }), T0));
  assert.equal(((p[0] & 0x0f) << 4) | (p[1] >> 4), 0xb8 | CE);
  feed(r, frag({ id: 2, offset: 0, more: true, data: 8, tc: 0 }), T0);
  expectDropped(feed(r, frag({ id: 2, offset: 8, more: false, data: 8, tc: ECT0 }), T0), ReasmDrop.ECN_MIXED);
  assert.equal(r.size, 0);
  assert.equal(r.counters.bytesHeld, 0);
});

// --- budgets -------------------------------------------------------------------------

/** The n-th address of a /64. */
const host = (n: number): Ip6 => {
  const a = parseIp6('2001:db8:f::');
  a[12] = n >>> 24;
  a[13] = (n >>> 16) & 0xff;
  a[14] = (n >>> 8) & 0xff;
  a[15] = n & 0xff;
  return a;
};

for (const [name, data] of [['1232-octet', 1232], ['8-octet', 8]] as const) {
  test(`a flood of 10,000 ${name} fragments from one source stays in its budget and spares another source's datagram`, () => {
    const r = new Reassembler();
    const bFirst = frag({ src: SRC_B, id: 42, offset: 0, more: true, data: 1232 });
    assert.equal(feed(r, bFirst, T0).kind, 'pending');
    let maxA = 0;
    for (let i = 0; i < 10_000; i++) {
      // offset 8 so nothing completes; distinct Identifications
      const res = feed(r, frag({ src: SRC_A, id: 1000 + i, offset: 8, more: true, data }), T0 + i);
      assert.equal(res.kind, 'pending');
      maxA = Math.max(maxA, r.bytesHeldBy(SRC_A));
      assert.ok(r.bytesHeldBy(SRC_A) <= r.maxBytesPerSource, `source A holds ${r.bytesHeldBy(SRC_A)}`);
      assert.ok(r.counters.bytesHeld <= r.maxBytesTotal);
      assert.ok(r.size <= r.maxQueues);
    }
    assert.ok(r.counters.evictions > 5_000, `${r.counters.evictions} evictions`);
    assert.ok(maxA > r.maxBytesPerSource / 2 || r.size === r.maxQueues, 'the flood did reach a limit');
    assert.equal(r.bytesHeldBy(SRC_B), bFirst.pkt.length + FRAGMENT_OVERHEAD, 'B untouched');
    // The newest datagram of A is still there; the oldest was evicted (its pieces now leave a gap).
    const newest = 1000 + 9_999;
    assert.equal(feed(r, frag({ src: SRC_A, id: newest, offset: 0, more: true, data: 8 }), T0 + 10_000).kind, 'pending');
    assert.equal(feed(r, frag({ src: SRC_A, id: newest, offset: 8 + data, more: false, data: 8 }), T0 + 10_000).kind, 'complete');
    assert.equal(feed(r, frag({ src: SRC_A, id: 1000, offset: 0, more: true, data: 8 }), T0 + 10_000).kind, 'pending');
    assert.equal(feed(r, frag({ src: SRC_A, id: 1000, offset: 8 + data, more: false, data: 8 }), T0 + 10_000).kind, 'pending', 'oldest gone');
    // B completes.
    const p = expectComplete(feed(r, frag({ src: SRC_B, id: 42, offset: 1232, more: false, data: 100 }), T0 + 10_001));
    assert.equal(p.length, 40 + 1332);
  });
}

test('many sources: bytesHeld never exceeds maxBytesTotal, each source never its own budget', () => {
  const perSource = 16 * 1024;
  const total = 64 * 1024;
  const r = new Reassembler({ maxBytesPerSource: perSource, maxBytesTotal: total, maxQueues: 100_000 });
  const rand = seededRandom(17);
  const sources = Array.from({ length: 50 }, (_, i) => host(i + 1));
  const held = new Array(50).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const s = Math.floor(rand() * 50);
    const res = feed(r, frag({ src: sources[s], id: i, offset: 8 * (1 + Math.floor(rand() * 100)), more: true, data: 8 * (1 + Math.floor(rand() * 150)) }), T0 + i);
    assert.equal(res.kind, 'pending');
    held[s] = r.bytesHeldBy(sources[s]);
    assert.ok(held[s] <= perSource);
    assert.ok(r.counters.bytesHeld <= total, `${r.counters.bytesHeld} held`);
  }
  assert.ok(r.counters.bytesHeld > total * 0.8, 'the total budget was in use');
  assert.equal(sources.reduce((n, s) => n + r.bytesHeldBy(s), 0), r.counters.bytesHeld, 'per-source accounting adds up');
  assert.deepEqual(r.onDeadline(T0 + 100_000), []);
  assert.equal(r.counters.bytesHeld, 0);
  assert.equal(sources.reduce((n, s) => n + r.bytesHeldBy(s), 0), 0);
});

test('maxQueues: a new source takes the oldest datagram overall; a source with datagrams recycles its own', () => {
  const r = new Reassembler({ maxQueues: 3 });
  for (let i = 0; i < 3; i++) feed(r, frag({ src: SRC_A, id: i, offset: 8, more: false, data: 8 }), T0 + i);
  assert.equal(r.size, 3);
  feed(r, frag({ src: SRC_B, id: 0, offset: 8, more: false, data: 8 }), T0 + 3);
  assert.equal(r.size, 3);
  assert.equal(r.counters.evictions, 1);
  assert.equal(feed(r, frag({ src: SRC_A, id: 0, offset: 0, more: true, data: 8 }), T0 + 4).kind, 'pending', 'A/0 was the oldest: gone');
  // A/0 (new) evicted A/1, A's oldest — not B/0.
  assert.equal(feed(r, frag({ src: SRC_B, id: 0, offset: 0, more: true, data: 8 }), T0 + 5).kind, 'complete');
  assert.equal(feed(r, frag({ src: SRC_A, id: 2, offset: 0, more: true, data: 8 }), T0 + 6).kind, 'complete');
});

test('a datagram that is itself the oldest of its source is evicted when its next fragment does not fit', () => {
  const r = new Reassembler({ maxBytesPerSource: 3 * (1232 + FRAGMENT_OVERHEAD) });
  feed(r, frag({ id: 1, offset: 8, more: true, data: 1232 }), T0);
  feed(r, frag({ id: 2, offset: 8, more: true, data: 1232 }), T0);
  feed(r, frag({ id: 3, offset: 8, more: true, data: 1232 }), T0);
  expectDropped(feed(r, frag({ id: 1, offset: 1240, more: true, data: 1232 }), T0), ReasmDrop.OVER_BUDGET);
  assert.equal(r.counters.evictions, 1);
  assert.equal(r.size, 2);
  assert.equal(r.counters.bytesHeld, 2 * (1232 + FRAGMENT_OVERHEAD));
  const big = new Reassembler({ maxBytesPerSource: 1000 });
  expectDropped(feed(big, frag({ offset: 8, more: true, data: 1232 }), T0), ReasmDrop.OVER_BUDGET);
  assert.equal(big.size, 0);
});

test('tombstones count toward maxQueues and are reclaimed before live datagrams', () => {
  const r = new Reassembler({ maxQueues: 2 });
  feed(r, frag({ src: SRC_B, id: 1, offset: 8, more: false, data: 8 }), T0);
  feed(r, frag({ src: SRC_A, id: 1, offset: 8, more: true, data: 8 }), T0 + 1);
  expectDropped(feed(r, frag({ src: SRC_A, id: 1, offset: 8, more: true, data: 8 }), T0 + 2), ReasmDrop.OVERLAP);
  assert.equal(r.size, 2);
  feed(r, frag({ src: SRC_A, id: 2, offset: 8, more: true, data: 8 }), T0 + 3);
  assert.equal(r.size, 2);
  assert.equal(r.counters.evictions, 0, 'the tombstone went, no live datagram');
  assert.equal(feed(r, frag({ src: SRC_B, id: 1, offset: 0, more: false, data: 0 }), T0).kind, 'complete'); // atomic, alone
  assert.equal(feed(r, frag({ src: SRC_B, id: 1, offset: 0, more: true, data: 8 }), T0).kind, 'complete', 'B survived');
});

// --- fuzz ----------------------------------------------------------------------------

test('random and mutated fragment inputs never throw and keep the books balanced', () => {
  const rand = seededRandom(4242);
  const r = new Reassembler({ maxBytesPerSource: 32 * 1024, maxBytesTotal: 96 * 1024, maxQueues: 64 });
  const base: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    const orig = ip6Packet(randomBytes(rand, 1300 + Math.floor(rand() * 4000)), {
      src: host(1 + (i % 5)), types: rand() < 0.3 ? [NH_HBH, NH_ROUTING] : [],
    });
    base.push(...fragmentPacket(orig, 1280, 1 + (i % 7)));
  }
  let now = T0;
  const kinds = { complete: 0, pending: 0, dropped: 0 };
  for (let i = 0; i < 30_000; i++) {
    let pkt: Uint8Array;
    let fo: number;
    const mode = rand();
    if (mode < 0.15) {
      pkt = randomBytes(rand, Math.floor(rand() * 120));
      fo = Math.floor(rand() * (pkt.length + 16));
    } else {
      pkt = base[Math.floor(rand() * base.length)].slice();
      fo = fragOffsetOf(pkt);
      const flips = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) {
        // mostly in the headers, where the meaning is
        const at = rand() < 0.8 ? Math.floor(rand() * Math.min(pkt.length, fo + 8)) : Math.floor(rand() * pkt.length);
        pkt[at] = Math.floor(rand() * 256);
      }
      if (rand() < 0.1) pkt = pkt.subarray(0, Math.floor(rand() * pkt.length));
      if (rand() < 0.05) fo = Math.floor(rand() * 80);
    }
    const res = r.onFragment(pkt, fo, fo, now);
    kinds[res.kind]++;
    if (res.kind === 'complete') {
      assert.equal((res.packet[4] << 8) | res.packet[5], res.packet.length - 40);
      assert.ok(res.packet.length <= 40 + 65535);
    }
    assert.ok(r.counters.bytesHeld >= 0 && r.counters.bytesHeld <= r.maxBytesTotal);
    assert.ok(r.size <= r.maxQueues);
    if (rand() < 0.01) now += Math.floor(rand() * 20_000);
    if (rand() < 0.05) {
      for (const a of r.onDeadline(now)) assert.equal(fragOffsetOf(a.firstFragment) >= 40, true);
    }
  }
  assert.ok(kinds.complete > 100 && kinds.pending > 1000 && kinds.dropped > 1000, JSON.stringify(kinds));
  const c = r.counters;
  assert.equal(c.reqds, 30_000);
  assert.equal(c.dropped, kinds.dropped);
  r.onDeadline(now + REASM_TIMEOUT);
  assert.equal(r.size, 0);
  assert.equal(r.counters.bytesHeld, 0, 'everything released');
});
