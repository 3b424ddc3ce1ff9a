// ICMPv6 error generation: the error records (src/wire/icmp6err.ts) with
// golden bytes from the RFC 4443 §3.1–§3.4 diagrams, quoting up to 1280
// octets (§2.4 c), round trips and truncation; the §2.4 (e) policy
// (src/icmp/policy.ts) rule by rule; the §2.4 (f) rate limiter
// (src/icmp/ratelimit.ts) and the RFC 8201 PMTU cache (src/route/pmtu.ts) in
// virtual time (STYLE.md 3, 12).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6, parseIp6, type Ip6 } from '../../src/wire/address.js';
import { ManualClock } from '../../src/time/clock.js';
import { NEVER } from '../../src/time/instant.js';
import { emitIp6Header, upperLayerChecksum, NH_ICMPV6, NH_UDP } from '../../src/wire/ipv6.js';
import {
  DstUnreachCode, ICMP6_DST_UNREACH, ICMP6_ERROR_MAX_QUOTE, ICMP6_ERROR_MIN_LENGTH, ICMP6_PACKET_TOO_BIG,
  ICMP6_PARAM_PROBLEM, ICMP6_TIME_EXCEEDED, ParamProblemCode, TimeExceededCode, emitIcmp6Error, icmp6ErrorLength,
  parseIcmp6Error, writeIcmp6Error, type Icmp6ErrorSpec,
} from '../../src/wire/icmp6err.js';
import { shouldSendError, type ErrorKind, type InvokingPacket } from '../../src/icmp/policy.js';
import { IcmpRateLimiter, parseRatemask } from '../../src/icmp/ratelimit.js';
import { PMTU_AGING, PmtuCache } from '../../src/route/pmtu.js';

/** Bytes from a hex listing with spaces and line breaks. */
const hexBytes = (h: string): number[] => h.trim().split(/\s+/).map((x) => parseInt(x, 16));

const SRC = parseIp6('2001:db8::1');
const DST = parseIp6('2001:db8::2');

/** An IPv6/UDP packet of `total` octets, 2001:db8::1 → 2001:db8::2, port 4660 → 53, payload bytes 0xde 0xad… then a counter. */
function udpPacket(total: number): Uint8Array {
  const p = new Uint8Array(total);
  emitIp6Header(p, 0, { payloadLength: total - 40, nextHeader: NH_UDP, hopLimit: 64, src: SRC, dst: DST });
  p.set([0x12, 0x34, 0x00, 0x35, (total - 40) >> 8, (total - 40) & 0xff, 0, 0], 40);
  const body = [0xde, 0xad, 0xbe, 0xef];
  for (let i = 48; i < total; i++) p[i] = i - 48 < 4 ? body[i - 48] : i & 0xff;
  return p;
}

// The invoking packet of the golden messages: RFC 8200 §3 header
// (version 6, payload length 12, Next Header 17, Hop Limit 64), UDP header
// (RFC 768) and 4 payload octets.
const INVOKING_GOLDEN = hexBytes(`
  60 00 00 00  00 0c 11 40
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 01
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 02
  12 34 00 35  00 0c 00 00
  de ad be ef
`);
const INVOKING = udpPacket(52);

test('the invoking packet builder writes the bytes the golden messages quote', () => {
  assert.deepEqual([...INVOKING], INVOKING_GOLDEN);
});

// --- golden bytes (RFC 4443 §3.1–§3.4) -------------------------------------------------------

// First 8 octets of each message: Type | Code | Checksum (0, left to the caller)
// | Unused (§3.1, §3.3) or MTU (§3.2) or Pointer (§3.4). The invoking packet follows whole.
const GOLDEN: { name: string; spec: Omit<Icmp6ErrorSpec, 'invoking'>; head: string }[] = [
  { name: 'Destination Unreachable, no route (§3.1 code 0)', spec: { type: 1, code: 0, param: 0 }, head: '01 00 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, administratively prohibited (code 1)', spec: { type: 1, code: 1, param: 0 }, head: '01 01 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, beyond scope of source address (code 2)', spec: { type: 1, code: 2, param: 0 }, head: '01 02 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, address unreachable (code 3)', spec: { type: 1, code: 3, param: 0 }, head: '01 03 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, port unreachable (code 4)', spec: { type: 1, code: 4, param: 0 }, head: '01 04 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, source address failed policy (code 5)', spec: { type: 1, code: 5, param: 0 }, head: '01 05 00 00 00 00 00 00' },
  { name: 'Destination Unreachable, reject route (code 6)', spec: { type: 1, code: 6, param: 0 }, head: '01 06 00 00 00 00 00 00' },
  { name: 'Packet Too Big, MTU 1280 (§3.2)', spec: { type: 2, code: 0, param: 1280 }, head: '02 00 00 00 00 00 05 00' },
  { name: 'Packet Too Big, MTU above 16 bits (§3.2: the MTU field is 32 bits)', spec: { type: 2, code: 0, param: 0x00012345 }, head: '02 00 00 00 00 01 23 45' },
  { name: 'Time Exceeded, hop limit (§3.3 code 0)', spec: { type: 3, code: 0, param: 0 }, head: '03 00 00 00 00 00 00 00' },
  { name: 'Time Exceeded, reassembly (code 1)', spec: { type: 3, code: 1, param: 0 }, head: '03 01 00 00 00 00 00 00' },
  { name: 'Parameter Problem, erroneous header field at the Payload Length (§3.4 code 0, Pointer 4)', spec: { type: 4, code: 0, param: 4 }, head: '04 00 00 00 00 00 00 04' },
  { name: 'Parameter Problem, unrecognized Next Header (code 1, Pointer 6)', spec: { type: 4, code: 1, param: 6 }, head: '04 01 00 00 00 00 00 06' },
  { name: 'Parameter Problem, unrecognized option (code 2, Pointer 42)', spec: { type: 4, code: 2, param: 42 }, head: '04 02 00 00 00 00 00 2a' },
  { name: 'Parameter Problem, incomplete header chain (RFC 7112 code 3, Pointer 0)', spec: { type: 4, code: 3, param: 0 }, head: '04 03 00 00 00 00 00 00' },
  { name: 'Parameter Problem, Pointer past the quote (§3.4) in all 32 bits', spec: { type: 4, code: 0, param: 0x01020304 }, head: '04 00 00 00 01 02 03 04' },
];

for (const g of GOLDEN) {
  test(`golden: ${g.name}`, () => {
    const m = emitIcmp6Error({ ...g.spec, invoking: INVOKING });
    assert.deepEqual([...m], [...hexBytes(g.head), ...INVOKING_GOLDEN]);
    assert.equal(icmp6ErrorLength({ invoking: INVOKING }), m.length);
  });
}

test('named constants carry the RFC 4443 / RFC 7112 numbers', () => {
  assert.deepEqual([ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROBLEM], [1, 2, 3, 4]);
  assert.deepEqual(
    [DstUnreachCode.NO_ROUTE, DstUnreachCode.ADMIN_PROHIBITED, DstUnreachCode.BEYOND_SCOPE, DstUnreachCode.ADDRESS_UNREACHABLE,
      DstUnreachCode.PORT_UNREACHABLE, DstUnreachCode.SOURCE_POLICY, DstUnreachCode.REJECT_ROUTE],
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual([TimeExceededCode.HOP_LIMIT, TimeExceededCode.REASSEMBLY], [0, 1]);
  assert.deepEqual(
    [ParamProblemCode.HEADER_FIELD, ParamProblemCode.UNRECOGNIZED_NEXT_HEADER, ParamProblemCode.UNRECOGNIZED_OPTION, ParamProblemCode.INCOMPLETE_HEADER_CHAIN],
    [0, 1, 2, 3],
  );
});

test('writeIcmp6Error writes every byte of the message and nothing else, checksum 0', () => {
  const b = new Uint8Array(100).fill(0xaa);
  const len = writeIcmp6Error(b, 3, { type: 2, code: 0, param: 1400, invoking: INVOKING });
  assert.equal(len, 60);
  assert.deepEqual([...b.subarray(0, 3)], [0xaa, 0xaa, 0xaa], 'nothing before the offset');
  assert.deepEqual([...b.subarray(3, 3 + len)], [...hexBytes('02 00 00 00 00 00 05 78'), ...INVOKING_GOLDEN]);
  assert.ok(b.subarray(3 + len).every((x) => x === 0xaa), 'nothing after the message');
});

test('the emitted message takes a checksum the receiver verifies (RFC 4443 §2.3)', () => {
  const m = emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: INVOKING });
  const me = parseIp6('2001:db8::2');
  const c = upperLayerChecksum(me, SRC, NH_ICMPV6, m);
  assert.notEqual(c, 0);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  assert.equal(upperLayerChecksum(me, SRC, NH_ICMPV6, m), 0, 'a message with its checksum sums to 0');
});

// --- quoting (RFC 4443 §2.4 c) ---------------------------------------------------------------

test('a 2000-octet invoking packet is cut so the error packet is exactly 1280 octets', () => {
  const big = udpPacket(2000);
  const m = emitIcmp6Error({ type: 2, code: 0, param: 1500, invoking: big });
  assert.equal(ICMP6_ERROR_MAX_QUOTE, 1232);
  assert.equal(m.length, 8 + 1232);
  assert.equal(40 + m.length, 1280, 'with its IPv6 header the error packet is the minimum MTU');
  assert.deepEqual(m.subarray(8), big.subarray(0, 1232), 'the first 1232 octets, in order');
  assert.notEqual(m[m.length - 1], big[1232], 'the cut is at 1232, not one later');
});

test('an invoking packet of exactly 1232 octets is quoted whole; 1233 loses its last octet', () => {
  const p1232 = udpPacket(1232);
  assert.deepEqual(emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: p1232 }).subarray(8), p1232);
  const p1233 = udpPacket(1233);
  const m = emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: p1233 });
  assert.equal(m.length, 1240);
  assert.deepEqual(m.subarray(8), p1233.subarray(0, 1232));
});

test('a small invoking packet is quoted whole', () => {
  for (const n of [48, 52, 200]) {
    const p = udpPacket(n);
    const m = emitIcmp6Error({ type: 3, code: 0, param: 0, invoking: p });
    assert.equal(m.length, 8 + n);
    assert.deepEqual(m.subarray(8), p);
  }
});

test('extension headers on the error packet shrink the quote so it still fits 1280 octets', () => {
  const m = emitIcmp6Error({ type: 1, code: 1, param: 0, invoking: udpPacket(2000), extraHeaders: 24 });
  assert.equal(40 + 24 + m.length, 1280);
});

test('emit rejects what cannot be an error message (ERR_INVALID_ARG)', () => {
  const bad: Icmp6ErrorSpec[] = [
    { type: 128, code: 0, param: 0, invoking: INVOKING }, // informational (§2.1)
    { type: 1, code: 256, param: 0, invoking: INVOKING },
    { type: 2, code: 0, param: -1, invoking: INVOKING },
    { type: 2, code: 0, param: 2 ** 32, invoking: INVOKING },
    { type: 2, code: 0, param: 1.5, invoking: INVOKING },
    { type: 1, code: 0, param: 0, invoking: INVOKING, extraHeaders: -8 },
  ];
  for (const s of bad) assert.throws(() => emitIcmp6Error(s), { code: 'ERR_INVALID_ARG' }, JSON.stringify({ ...s, invoking: undefined }));
});

// --- parse ------------------------------------------------------------------------------------

test('parse round-trips every golden message', () => {
  for (const g of GOLDEN) {
    const m = emitIcmp6Error({ ...g.spec, invoking: INVOKING });
    assert.deepEqual(parseIcmp6Error(m), { ...g.spec, invoking: INVOKING }, g.name);
  }
});

test('parse reads the 32-bit field unsigned', () => {
  const m = emitIcmp6Error({ type: 2, code: 0, param: 0xffffffff, invoking: INVOKING });
  assert.equal(parseIcmp6Error(m)?.param, 0xffffffff);
});

test('parse round-trips a truncated quote: the invoking field is what was quoted', () => {
  const big = udpPacket(2000);
  const r = parseIcmp6Error(emitIcmp6Error({ type: 2, code: 0, param: 1400, invoking: big }));
  assert.ok(r);
  assert.deepEqual(r.invoking, big.subarray(0, 1232));
});

test('parse: anything shorter than the header plus the invoking IPv6 header is null', () => {
  const m = emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: INVOKING });
  assert.equal(ICMP6_ERROR_MIN_LENGTH, 48);
  for (let n = 0; n < ICMP6_ERROR_MIN_LENGTH; n++) assert.equal(parseIcmp6Error(m.subarray(0, n)), null, `length ${n}`);
  assert.deepEqual(parseIcmp6Error(m.subarray(0, 48))?.invoking, INVOKING.subarray(0, 40));
});

test('parse: an informational type is not an error (RFC 4443 §2.1); an unknown error type parses (§2.4 b)', () => {
  const m = emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: INVOKING });
  m[0] = 129;
  assert.equal(parseIcmp6Error(m), null);
  m[0] = 127;
  assert.equal(parseIcmp6Error(m)?.type, 127);
});

test('parse copies the quote (the receive buffer may be reused)', () => {
  const m = emitIcmp6Error({ type: 1, code: 4, param: 0, invoking: INVOKING });
  const r = parseIcmp6Error(m);
  m.fill(0, 8);
  assert.deepEqual(r?.invoking, INVOKING);
});

// --- policy (RFC 4443 §2.4 e) ----------------------------------------------------------------

const MCAST = parseIp6('ff02::1');
const ANYCAST = parseIp6('2001:db8::');
const unicastIn = (over: Partial<InvokingPacket> = {}): InvokingPacket => ({
  src: SRC, dst: DST, linkMulticast: false, isIcmpError: false, isRedirect: false, ...over,
});
const PORT_UNREACH: ErrorKind = { type: 1, code: 4 };
const PTB: ErrorKind = { type: 2, code: 0 };
const TIME_EXCEEDED: ErrorKind = { type: 3, code: 0 };
const HEADER_FIELD: ErrorKind = { type: 4, code: 0 };
const OPT_10: ErrorKind = { type: 4, code: 2, optionType: 0x80 | 0x1e }; // action bits 10
const OPT_11: ErrorKind = { type: 4, code: 2, optionType: 0xc0 | 0x1e }; // action bits 11
const ALL_ERRORS = [PORT_UNREACH, PTB, TIME_EXCEEDED, HEADER_FIELD, OPT_10, OPT_11];

test('policy: a unicast packet from a unicast source gets any error', () => {
  for (const e of ALL_ERRORS) assert.deepEqual(shouldSendError(unicastIn(), e), { send: true }, JSON.stringify(e));
});

test('policy e.1: never about an ICMPv6 error message — not even PTB or option action 10', () => {
  for (const e of ALL_ERRORS) assert.deepEqual(shouldSendError(unicastIn({ isIcmpError: true }), e), { send: false, reason: 'invoking-is-error' });
});

test('policy e.2: never about a Redirect', () => {
  for (const e of ALL_ERRORS) assert.deepEqual(shouldSendError(unicastIn({ isRedirect: true }), e), { send: false, reason: 'invoking-is-redirect' });
});

test('policy e.3: nothing about a packet to a multicast address but the two exceptions', () => {
  const toGroup = unicastIn({ dst: MCAST });
  for (const e of [PORT_UNREACH, TIME_EXCEEDED, HEADER_FIELD, { type: 4, code: 1 }]) {
    assert.deepEqual(shouldSendError(toGroup, e), { send: false, reason: 'multicast-destination' }, JSON.stringify(e));
  }
  assert.deepEqual(shouldSendError(toGroup, PTB), { send: true }, 'exception 1: Packet Too Big');
  assert.deepEqual(shouldSendError(toGroup, OPT_10), { send: true }, 'exception 2: unrecognized option, action 10');
});

test('policy e.3 with RFC 8200 §4.2: action 11 gets no error to a multicast destination, action 10 does', () => {
  assert.deepEqual(shouldSendError(unicastIn({ dst: MCAST }), OPT_11), { send: false, reason: 'multicast-destination' });
  assert.deepEqual(shouldSendError(unicastIn({ dst: MCAST }), OPT_10), { send: true });
  assert.deepEqual(shouldSendError(unicastIn(), OPT_11), { send: true }, 'to a unicast destination action 11 does get one');
  assert.deepEqual(
    shouldSendError(unicastIn({ dst: MCAST }), { type: 4, code: 2 }),
    { send: false, reason: 'multicast-destination' },
    'without the option type the stricter action (11) is assumed',
  );
});

test('policy: option action 00 and 01 never ask for an error (RFC 8200 §4.2)', () => {
  for (const optionType of [0x05, 0x45]) {
    assert.deepEqual(shouldSendError(unicastIn(), { type: 4, code: 2, optionType }), { send: false, reason: 'option-action-silent' });
  }
});

test('policy e.4: a link-layer multicast to a unicast address gets only the two exceptions', () => {
  const viaGroup = unicastIn({ linkMulticast: true });
  for (const e of [PORT_UNREACH, TIME_EXCEEDED, HEADER_FIELD, OPT_11]) {
    assert.deepEqual(shouldSendError(viaGroup, e), { send: false, reason: 'link-multicast' }, JSON.stringify(e));
  }
  assert.deepEqual(shouldSendError(viaGroup, PTB), { send: true });
  assert.deepEqual(shouldSendError(viaGroup, OPT_10), { send: true });
});

test('policy e.5: a link-layer broadcast likewise', () => {
  const viaBcast = unicastIn({ linkBroadcast: true });
  assert.deepEqual(shouldSendError(viaBcast, PORT_UNREACH), { send: false, reason: 'link-broadcast' });
  assert.deepEqual(shouldSendError(viaBcast, OPT_11), { send: false, reason: 'link-broadcast' });
  assert.deepEqual(shouldSendError(viaBcast, PTB), { send: true });
  assert.deepEqual(shouldSendError(viaBcast, OPT_10), { send: true });
});

test('policy e.6: never to an unspecified, multicast or known anycast source — the exceptions do not help', () => {
  for (const e of ALL_ERRORS) {
    assert.deepEqual(shouldSendError(unicastIn({ src: new Uint8Array(16) }), e), { send: false, reason: 'source-unspecified' });
    assert.deepEqual(shouldSendError(unicastIn({ src: parseIp6('ff05::2') }), e), { send: false, reason: 'source-multicast' });
  }
  const isOurAnycast = (a: Ip6): boolean => formatIp6(a) === formatIp6(ANYCAST);
  assert.deepEqual(shouldSendError(unicastIn({ src: ANYCAST }), PTB, { isOurAnycast }), { send: false, reason: 'source-anycast' });
  assert.deepEqual(shouldSendError(unicastIn({ src: ANYCAST }), PTB), { send: true }, 'an anycast address nobody told us about looks unicast');
  assert.deepEqual(shouldSendError(unicastIn(), PORT_UNREACH, { isOurAnycast }), { send: true }, 'other sources are unaffected');
  assert.deepEqual(
    shouldSendError(unicastIn({ dst: MCAST, src: new Uint8Array(16) }), PTB),
    { send: false, reason: 'source-unspecified' },
    'a PTB about a multicast packet still needs a single-node source',
  );
});

// --- rate limiting (RFC 4443 §2.4 f) in virtual time -----------------------------------------

const host = (i: number): Ip6 => {
  const a = parseIp6('2001:db8:1::');
  a[12] = (i >>> 24) & 0xff;
  a[13] = (i >>> 16) & 0xff;
  a[14] = (i >>> 8) & 0xff;
  a[15] = i & 0xff;
  return a;
};
const DU = 1;

/** How many of `n` messages at the same instant are allowed. */
function burst(rl: IcmpRateLimiter, dst: Ip6, type: number, now: number, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (rl.allow(dst, type, now)) ok++;
  return ok;
}

test('rate: one destination gets a burst of 6, then one per second', () => {
  const clock = new ManualClock(10_000);
  const rl = new IcmpRateLimiter();
  assert.equal(burst(rl, DST, DU, clock.now(), 10), 6);
  assert.deepEqual(rl.counters, { limitedGlobal: 0, limitedHost: 4 });
  clock.advance(999);
  assert.equal(rl.allow(DST, DU, clock.now()), false, '1 s − 1 ms: no token yet');
  clock.advance(1);
  assert.equal(rl.allow(DST, DU, clock.now()), true, 'exactly 1 s: one token');
  assert.equal(rl.allow(DST, DU, clock.now()), false);
  clock.advance(3_000);
  assert.equal(burst(rl, DST, DU, clock.now(), 10), 3, 'three seconds save three tokens');
  clock.advance(3_600_000);
  assert.equal(burst(rl, DST, DU, clock.now(), 10), 6, 'an hour saves no more than the burst');
});

test('rate: destinations have their own buckets; Time Exceeded and Parameter Problem share them', () => {
  const rl = new IcmpRateLimiter();
  assert.equal(burst(rl, host(1), DU, 0, 2) + burst(rl, host(1), 3, 0, 2) + burst(rl, host(1), 4, 0, 4), 6);
  assert.equal(burst(rl, host(2), DU, 0, 10), 6);
});

test('rate: the global bucket holds 50 and refills 1000 a second, across destinations', () => {
  const clock = new ManualClock(0);
  const rl = new IcmpRateLimiter();
  let i = 0;
  let ok = 0;
  for (let k = 0; k < 60; k++) if (rl.allow(host(i++), DU, clock.now())) ok++;
  assert.equal(ok, 50);
  assert.equal(rl.counters.limitedGlobal, 10);
  assert.equal(rl.counters.limitedHost, 0);
  clock.advance(1);
  assert.equal(rl.allow(host(i++), DU, clock.now()), true, '1 ms: one token');
  assert.equal(rl.allow(host(i++), DU, clock.now()), false);
  clock.advance(10);
  ok = 0;
  for (let k = 0; k < 20; k++) if (rl.allow(host(i++), DU, clock.now())) ok++;
  assert.equal(ok, 10, '10 ms: ten tokens');
  // A sustained flood to fresh destinations for 1 s: 1000 messages, not more.
  ok = 0;
  for (let t = 0; t < 1000; t++) {
    clock.advance(1);
    for (let k = 0; k < 3; k++) if (rl.allow(host(i++), DU, clock.now())) ok++;
  }
  assert.equal(ok, 1000);
  // An idle hour saves no more than the burst.
  clock.advance(3_600_000);
  ok = 0;
  for (let k = 0; k < 60; k++) if (rl.allow(host(i++), DU, clock.now())) ok++;
  assert.equal(ok, 50);
});

test('rate: a message refused per destination costs no global token (CVE-2024-47678 order)', () => {
  const rl = new IcmpRateLimiter();
  assert.equal(burst(rl, DST, DU, 0, 1000), 6);
  assert.equal(rl.counters.limitedHost, 994);
  let ok = 0;
  for (let k = 0; k < 100; k++) if (rl.allow(host(k), DU, 0)) ok++;
  assert.equal(ok, 44, '50 − the 6 that were sent');
});

test('rate: a message refused globally makes no per-destination bucket', () => {
  const rl = new IcmpRateLimiter();
  for (let k = 0; k < 50; k++) assert.equal(rl.allow(host(k), DU, 0), true);
  for (let k = 50; k < 5000; k++) assert.equal(rl.allow(host(k), DU, 0), false);
  assert.equal(rl.hostBuckets, 50);
});

test('rate: Packet Too Big and informational types are exempt by default (ratemask 0-1,3-127)', () => {
  const rl = new IcmpRateLimiter();
  assert.equal(burst(rl, DST, ICMP6_PACKET_TOO_BIG, 0, 500), 500);
  assert.equal(burst(rl, DST, 129, 0, 500), 500, 'Echo Reply');
  assert.deepEqual(rl.counters, { limitedGlobal: 0, limitedHost: 0 });
  assert.equal(rl.hostBuckets, 0);
  assert.equal(burst(rl, DST, DU, 0, 10), 6, 'the exempt ones took nothing from the buckets');
  for (let k = 0; k < 44; k++) assert.equal(rl.allow(host(k), DU, 0), true);
  assert.equal(rl.allow(host(99), DU, 0), false);
  assert.equal(rl.limits(2), false);
  assert.equal(rl.limits(1) && rl.limits(0) && rl.limits(3) && rl.limits(127), true);
  assert.equal(rl.limits(128), false);
});

test('rate: the ratemask option decides which types are limited', () => {
  const all = new IcmpRateLimiter({ ratemask: '0-255' });
  assert.equal(burst(all, DST, ICMP6_PACKET_TOO_BIG, 0, 10), 6);
  const none = new IcmpRateLimiter({ ratemask: [] });
  assert.equal(burst(none, DST, DU, 0, 100), 100);
  const list = new IcmpRateLimiter({ ratemask: [2] });
  assert.equal(burst(list, DST, DU, 0, 10), 10);
  assert.equal(burst(list, DST, 2, 0, 10), 6);
  assert.deepEqual([...parseRatemask('0-1,3-127')].map((b, t) => (b ? t : -1)).filter((t) => t >= 0), [0, 1, ...Array.from({ length: 125 }, (_, k) => k + 3)]);
  for (const bad of ['x', '3-1', '0-256', '1,,2', '-1']) assert.throws(() => new IcmpRateLimiter({ ratemask: bad }), { code: 'ERR_INVALID_ARG' }, bad);
});

test('rate: per-destination buckets are bounded, least recently used dropped first', () => {
  const rl = new IcmpRateLimiter({ maxHosts: 2 });
  const [a, b, c] = [host(1), host(2), host(3)];
  assert.equal(burst(rl, a, DU, 0, 6), 6);
  assert.equal(rl.allow(b, DU, 0), true);
  assert.equal(rl.allow(a, DU, 0), false, 'a is empty, and now the most recently used');
  assert.equal(rl.allow(c, DU, 0), true, 'c pushes out b, the least recently used');
  assert.equal(rl.hostBuckets, 2);
  assert.equal(rl.allow(a, DU, 0), false, 'a was kept: still empty');
  assert.equal(burst(rl, b, DU, 0, 10), 6, 'b was dropped: it starts full again');
  assert.equal(rl.hostBuckets, 2);
  const big = new IcmpRateLimiter({ globalBurst: 100_000, globalPerSec: 1e6 });
  for (let k = 0; k < 10_000; k++) big.allow(host(k), DU, 0);
  assert.equal(big.hostBuckets, 4096, 'default bound');
});

test('rate: hostInterval 0 turns the per-destination limit off, the global one stays', () => {
  const rl = new IcmpRateLimiter({ hostInterval: 0 });
  assert.equal(burst(rl, DST, DU, 0, 100), 50);
  assert.deepEqual(rl.counters, { limitedGlobal: 50, limitedHost: 0 });
});

test('rate: with an RNG the global charge is 0, 1 or 2 tokens (pinned here)', () => {
  const free = new IcmpRateLimiter({ rand: () => 0 });
  let ok = 0;
  for (let k = 0; k < 300; k++) if (free.allow(host(k), DU, 0)) ok++;
  assert.equal(ok, 300, 'a charge of 0 never empties the bucket');
  const dear = new IcmpRateLimiter({ rand: () => 0.999 });
  ok = 0;
  for (let k = 0; k < 300; k++) if (dear.allow(host(k), DU, 0)) ok++;
  assert.equal(ok, 25, 'a charge of 2 halves the burst');
});

test('rate: bad options throw ERR_INVALID_ARG', () => {
  for (const o of [{ globalPerSec: 0 }, { globalBurst: 0 }, { hostInterval: -1 }, { hostBurst: 1.5 }, { maxHosts: 0 }]) {
    assert.throws(() => new IcmpRateLimiter(o), { code: 'ERR_INVALID_ARG' }, JSON.stringify(o));
  }
});

// --- Path MTU cache (RFC 8201) in virtual time ----------------------------------------------

const LINK = 1500;

test('pmtu: a destination without an entry uses the link MTU', () => {
  const c = new PmtuCache();
  assert.equal(c.pmtu(DST, LINK), 1500);
  assert.equal(c.pmtu(DST, 9000), 9000);
  assert.equal(c.nextDeadline(), NEVER);
});

test('pmtu: a Packet Too Big lowers that destination only, and lowers it again', () => {
  const c = new PmtuCache();
  assert.equal(c.onPacketTooBig(DST, 1400, LINK, 0), true);
  assert.equal(c.pmtu(DST, LINK), 1400);
  assert.equal(c.pmtu(host(7), LINK), 1500);
  assert.equal(c.onPacketTooBig(DST, 1300, LINK, 10), true);
  assert.equal(c.pmtu(DST, LINK), 1300);
  assert.equal(c.size, 1);
});

test('pmtu: never below 1280 — a PTB reporting less is discarded (RFC 8201 §4)', () => {
  const c = new PmtuCache();
  assert.equal(c.onPacketTooBig(DST, 1000, LINK, 0), false);
  assert.equal(c.pmtu(DST, LINK), 1500, 'discarded, not clamped');
  assert.equal(c.onPacketTooBig(DST, 1279, LINK, 0), false);
  assert.equal(c.counters.belowMinimum, 2);
  assert.equal(c.size, 0);
  assert.equal(c.onPacketTooBig(DST, 1280, LINK, 0), true, '1280 itself is fine');
  assert.equal(c.pmtu(DST, LINK), 1280);
  assert.equal(c.onPacketTooBig(DST, 0, LINK, 0), false);
  assert.equal(c.pmtu(DST, LINK), 1280);
});

test('pmtu: a PTB never raises the estimate (RFC 8201 §4 MUST NOT increase)', () => {
  const c = new PmtuCache();
  c.onPacketTooBig(DST, 1300, LINK, 0);
  assert.equal(c.onPacketTooBig(DST, 1450, LINK, 1), false);
  assert.equal(c.onPacketTooBig(DST, 1300, LINK, 1), false, 'the same value changes nothing');
  assert.equal(c.onPacketTooBig(DST, 0xffffffff, LINK, 1), false);
  assert.equal(c.pmtu(DST, LINK), 1300);
  assert.equal(c.counters.notLower, 3);
  assert.equal(c.onPacketTooBig(host(2), 1500, LINK, 1), false, 'a PTB at the link MTU makes no entry');
  assert.equal(c.onPacketTooBig(host(2), 9000, LINK, 1), false, 'nor one above it');
  assert.equal(c.size, 1);
});

test('pmtu: the estimate never exceeds the current link MTU', () => {
  const c = new PmtuCache();
  c.onPacketTooBig(DST, 1400, LINK, 0);
  assert.equal(c.pmtu(DST, 1300), 1300);
  assert.equal(c.onPacketTooBig(DST, 1350, 1300, 0), false, 'not lower than the effective 1300');
});

test('pmtu: the estimate ages back to the link MTU exactly 10 minutes after the PTB', () => {
  const clock = new ManualClock(5_000);
  const c = new PmtuCache();
  c.onPacketTooBig(DST, 1400, LINK, clock.now());
  assert.equal(PMTU_AGING, 600_000);
  assert.equal(c.nextDeadline(), 5_000 + 600_000);
  assert.deepEqual(c.onDeadline(clock.now()), [], 'an early wake-up does nothing');
  clock.set(c.nextDeadline() - 1);
  assert.deepEqual(c.onDeadline(clock.now()), [], '10 min − 1 ms: nothing');
  assert.equal(c.pmtu(DST, LINK), 1400, 'still low');
  clock.advance(1);
  const up = c.onDeadline(clock.now());
  assert.deepEqual(up.map((a) => formatIp6(a)), ['2001:db8::2']);
  assert.equal(c.pmtu(DST, LINK), 1500);
  assert.equal(c.size, 0);
  assert.equal(c.nextDeadline(), NEVER);
  assert.deepEqual(c.onDeadline(clock.now() + 1), [], 'a stale wake-up does nothing');
});

test('pmtu: only a lowering restarts the aging timer', () => {
  const c = new PmtuCache();
  c.onPacketTooBig(DST, 1400, LINK, 0);
  c.onPacketTooBig(DST, 1400, LINK, 300_000);
  assert.equal(c.nextDeadline(), 600_000, 'an equal PTB leaves it');
  c.onPacketTooBig(DST, 1350, LINK, 300_000);
  assert.equal(c.nextDeadline(), 900_000, 'a lower one restarts it');
  assert.deepEqual(c.onDeadline(600_000), []);
  assert.equal(c.pmtu(DST, LINK), 1350);
  assert.equal(c.onDeadline(900_000).length, 1);
});

test('pmtu: several entries age out in deadline order, one deadline each', () => {
  const c = new PmtuCache();
  c.onPacketTooBig(host(1), 1400, LINK, 30);
  c.onPacketTooBig(host(2), 1400, LINK, 10);
  c.onPacketTooBig(host(3), 1400, LINK, 20);
  assert.equal(c.nextDeadline(), 600_010);
  assert.deepEqual(c.onDeadline(600_020).map((a) => a[15]), [2, 3]);
  assert.equal(c.nextDeadline(), 600_030);
  assert.deepEqual(
    c.entries().map((e) => ({ dst: formatIp6(e.dst), pmtu: e.pmtu, expires: e.expires })),
    [{ dst: '2001:db8:1::1', pmtu: 1400, expires: 600_030 }],
  );
});

test('pmtu: the cache is bounded, least recently used dropped, its deadline with it', () => {
  const c = new PmtuCache({ maxEntries: 3 });
  c.onPacketTooBig(host(1), 1400, LINK, 1);
  c.onPacketTooBig(host(2), 1400, LINK, 2);
  c.onPacketTooBig(host(3), 1400, LINK, 3);
  assert.equal(c.pmtu(host(1), LINK), 1400, 'using host 1 makes host 2 the least recently used');
  c.onPacketTooBig(host(4), 1400, LINK, 4);
  assert.equal(c.size, 3);
  assert.equal(c.counters.evicted, 1);
  assert.equal(c.pmtu(host(2), LINK), 1500, 'host 2 was dropped');
  assert.equal(c.pmtu(host(1), LINK), 1400, 'host 1 was kept');
  assert.deepEqual(c.entries().map((e) => e.dst[15]).sort(), [1, 3, 4]);
  assert.equal(c.nextDeadline(), 600_001);
  assert.deepEqual(c.onDeadline(600_001).map((a) => a[15]), [1]);
  assert.equal(c.nextDeadline(), 600_003, "host 2's deadline (600 002) went with it");
  const big = new PmtuCache();
  for (let k = 0; k < 5000; k++) big.onPacketTooBig(host(k), 1400, LINK, k);
  assert.equal(big.size, 4096, 'default bound');
  assert.equal(big.nextDeadline(), 600_000 + 5000 - 4096, 'no deadline left behind by evicted entries');
});

test('pmtu: entries() lists estimates and when they expire; the key is copied', () => {
  const c = new PmtuCache();
  const d = parseIp6('2001:db8::99');
  c.onPacketTooBig(d, 1280, LINK, 42);
  d[15] = 0; // the caller reuses its buffer
  assert.deepEqual(
    c.entries().map((e) => ({ dst: formatIp6(e.dst), pmtu: e.pmtu, expires: e.expires })),
    [{ dst: '2001:db8::99', pmtu: 1280, expires: 600_042 }],
  );
});

test('pmtu: an aging time under 5 minutes is refused (RFC 8201 §4)', () => {
  assert.throws(() => new PmtuCache({ aging: 299_999 }), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new PmtuCache({ maxEntries: 0 }), { code: 'ERR_INVALID_ARG' });
  assert.equal(new PmtuCache({ aging: 300_000 }).onPacketTooBig(DST, 1400, LINK, 0), true);
});
