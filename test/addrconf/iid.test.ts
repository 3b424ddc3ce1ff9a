// Interface identifiers (src/addrconf/iid.ts): modified EUI-64 (RFC 4291 App. A,
// RFC 2464 §4), stable opaque IIDs (RFC 7217 §5–§7), the reserved IIDs of
// RFC 5453 on every range boundary, and temporary IIDs with their lifetimes
// (RFC 8981 §3.3.1, §3.4, §3.5, §3.8). RFC numbers are written out here, not
// imported from the code under test; the RFC 7217 golden value comes from a
// second implementation (node:crypto over the documented concatenation).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  IDGEN_RETRIES, MAX_DESYNC_FACTOR, REGEN_ADVANCE, TEMP_IDGEN_RETRIES, TEMP_PREFERRED_LIFETIME, TEMP_VALID_LIFETIME,
  computeRegenAdvance, eui64Iid, generateSecretKey, isReservedIid, mayCreateTemporary, randomDesyncFactor, regenerateAt,
  stableAddress, stableIid, stableIidWithCounter, temporaryIid, temporaryLifetimes, type StableIidParams,
} from '../../src/addrconf/iid.js';
import { formatIp6, linkLocalFromMac, parseIp6, parseMac } from '../../src/wire/address.js';
import { seededRandom } from '../../src/time/clock.js';

const hex = (a: Uint8Array): string => Buffer.from(a).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/[ :]/g, ''), 'hex'));
const iidText = (a: Uint8Array): string => (hex(a).match(/..../g) as string[]).join(':');
const code = (c: string) => (e: unknown): boolean => (e as { code?: string }).code === c;

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// --- Modified EUI-64 -----------------------------------------------------------

test('EUI-64 from a MAC: U/L bit inverted, ff:fe inserted (RFC 4291 App. A, RFC 2464 §4)', () => {
  assert.equal(iidText(eui64Iid(parseMac('00:11:22:33:44:55'))), '0211:22ff:fe33:4455');
  assert.equal(iidText(eui64Iid(parseMac('02:00:5e:00:00:02'))), '0000:5eff:fe00:0002', 'a set U/L bit is cleared');
  assert.equal(iidText(eui64Iid(bytes('0011223344556677'))), '0211:2233:4455:6677', 'a 64-bit EUI-64 only has the bit inverted');
  const mac = parseMac('52:54:00:12:34:56');
  assert.equal(hex(eui64Iid(mac)), hex(linkLocalFromMac(mac).subarray(8)), 'same IID as the link-local address builder');
  assert.equal(hex(mac), '525400123456', 'input left untouched');
});

test('EUI-64 refuses other lengths and group addresses with ERR_INVALID_MAC', () => {
  assert.throws(() => eui64Iid(new Uint8Array(5)), code('ERR_INVALID_MAC'));
  assert.throws(() => eui64Iid(new Uint8Array(7)), code('ERR_INVALID_MAC'));
  assert.throws(() => eui64Iid(bytes('333300000001')), code('ERR_INVALID_MAC'));
});

// --- Reserved IIDs (RFC 5453) -------------------------------------------------------

test('reserved IIDs are detected on each range boundary, inside and just outside (RFC 5453 §3)', () => {
  const reserved = [
    '0000:0000:0000:0000', // Subnet-Router anycast (RFC 4291 §2.6.1)
    '0200:5eff:fe00:0000', // IANA Ethernet block, first
    '0200:5eff:fe00:5212', // ... end of the first registry row
    '0200:5eff:fe00:5213', // Proxy Mobile IPv6 (RFC 6543)
    '0200:5eff:fe00:5214', // second row, first
    '0200:5eff:fe12:3456',
    '0200:5eff:feff:ffff', // IANA Ethernet block, last
    'fdff:ffff:ffff:ff80', // reserved subnet anycast (RFC 2526), first
    'fdff:ffff:ffff:ffc0',
    'fdff:ffff:ffff:ffff', // ... last
  ];
  const allowed = [
    '0000:0000:0000:0001', // just above the anycast ID
    'ffff:ffff:ffff:ffff', // 0 − 1
    '0200:5eff:fdff:ffff', // just below the Ethernet block
    '0200:5eff:ff00:0000', // just above it
    '0000:5eff:fe00:0000', // the block with the U/L bit the other way
    '0000:5efe:c000:0201', // ISATAP form: not in the registry
    'fdff:ffff:ffff:ff7f', // just below the subnet anycast range
    'fe00:0000:0000:0000', // just above it
    'fdff:ffff:fffe:ff80', // a 0 bit inside the all-ones run
    '0211:22ff:fe33:4455',
  ];
  for (const t of reserved) assert.equal(isReservedIid(bytes(t)), true, t);
  for (const t of allowed) assert.equal(isReservedIid(bytes(t)), false, t);
  assert.equal(isReservedIid(eui64Iid(parseMac('00:00:5e:00:52:13'))), true, 'IANA MAC 00-00-5E-00-52-13 maps into the block');
});

test('isReservedIid takes exactly 8 bytes', () => {
  assert.throws(() => isReservedIid(new Uint8Array(16)), code('ERR_INVALID_ARG'));
  assert.throws(() => isReservedIid(new Uint8Array(7)), code('ERR_INVALID_ARG'));
});

// --- RFC 7217 stable IIDs ------------------------------------------------------------

const KEY = bytes('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const KEY2 = bytes('800102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const PREFIX = parseIp6('2001:db8:1:2::');
const IFACE = 'eth0';
const NETID = new TextEncoder().encode('home-wifi');

const base = (over: Partial<StableIidParams> = {}): StableIidParams => ({
  prefix: PREFIX, netIface: IFACE, networkId: NETID, dadCounter: 0, secretKey: KEY, ...over,
});

/**
 * The second implementation: SHA-256 over Prefix[0..8) ‖ Net_Iface (UTF-8) ‖
 * Network_ID ‖ DAD_Counter (u32 BE) ‖ secret_key, IID = the last 8 digest bytes
 * (the least significant 64 bits, RFC 7217 §5 step 2).
 */
function refStableIid(prefix: string, iface: string, networkId: string | undefined, counter: number, key: Uint8Array): string {
  const h = createHash('sha256');
  h.update(parseIp6(prefix).subarray(0, 8));
  h.update(Buffer.from(iface, 'utf8'));
  if (networkId !== undefined) h.update(Buffer.from(networkId, 'utf8'));
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter);
  h.update(c);
  h.update(key);
  return h.digest().subarray(24, 32).toString('hex');
}

test('RFC 7217 golden value: SHA-256 over the documented concatenation, least significant 64 bits', () => {
  const want = refStableIid('2001:db8:1:2::', 'eth0', 'home-wifi', 0, KEY);
  assert.equal(want, '930555239be8980a', 'the reference itself is pinned, so neither side can drift');
  assert.equal(hex(stableIid(base())), want);
  assert.equal(hex(stableIid(base({ networkId: undefined, dadCounter: 2 }))), refStableIid('2001:db8:1:2::', 'eth0', undefined, 2, KEY));
  assert.equal(
    hex(stableIid(base({ prefix: parseIp6('fe80::'), netIface: 'wlan0', networkId: undefined, dadCounter: 0x01020304, secretKey: KEY2 }))),
    refStableIid('fe80::', 'wlan0', undefined, 0x01020304, KEY2),
    'counter encoded as 32-bit big-endian',
  );
});

test('RFC 7217: the same inputs give the same IID on every call', () => {
  const a = stableIid(base());
  const b = stableIid(base({ prefix: parseIp6('2001:db8:1:2::'), secretKey: Uint8Array.from(KEY), networkId: Uint8Array.from(NETID) }));
  assert.equal(a.length, 8);
  assert.equal(hex(a), hex(b));
  assert.equal(hex(stableIid(base({ prefix: parseIp6('2001:db8:1:2:dead:beef:1:2') }))), hex(a), 'only the /64 prefix counts');
  assert.equal(hex(stableIid(base({ netIface: new TextEncoder().encode(IFACE) }))), hex(a), 'a string Net_Iface is its UTF-8 bytes');
  assert.equal(hex(stableIid(base({ networkId: undefined }))), hex(stableIid(base({ networkId: new Uint8Array(0) }))), 'absent = empty Network_ID');
});

test('RFC 7217: a change in any input gives a different IID', () => {
  const a = hex(stableIid(base()));
  const others = {
    prefix: hex(stableIid(base({ prefix: parseIp6('2001:db8:1:3::') }))),
    'link-local prefix': hex(stableIid(base({ prefix: parseIp6('fe80::') }))),
    netIface: hex(stableIid(base({ netIface: 'eth1' }))),
    'netIface as MAC bytes': hex(stableIid(base({ netIface: parseMac('02:00:00:00:00:01') }))),
    networkId: hex(stableIid(base({ networkId: new TextEncoder().encode('cafe-wifi') }))),
    'no networkId': hex(stableIid(base({ networkId: undefined }))),
    dadCounter: hex(stableIid(base({ dadCounter: 1 }))),
    secretKey: hex(stableIid(base({ secretKey: KEY2 }))),
  };
  for (const [what, v] of Object.entries(others)) assert.notEqual(v, a, what);
  assert.equal(new Set(Object.values(others)).size, Object.keys(others).length, 'all distinct from each other too');
});

test('stableAddress is the /64 prefix followed by the stable IID', () => {
  const { prefix: _p, ...rest } = base();
  const addr = stableAddress(parseIp6('2001:db8:1:2::99'), rest);
  assert.equal(formatIp6(addr), formatIp6(parseIp6(`2001:db8:1:2:${iidText(stableIid(base()))}`)));
  assert.equal(hex(addr.subarray(8)), refStableIid('2001:db8:1:2::', IFACE, 'home-wifi', 0, KEY));
});

// A reserved result cannot be found by searching counters (≈ 2^-40 per try), so
// the test injects F(): SHA-256 whose last 8 bytes are overwritten with a
// reserved IID for chosen counters. The counter is read back from the input at
// its documented offset, 8 + |Net_Iface| + |Network_ID|.
function forcingPrf(force: Map<number, string>, calls: number[]): (input: Uint8Array) => Uint8Array {
  return (input) => {
    const counter = new DataView(input.buffer, input.byteOffset).getUint32(8 + IFACE.length + NETID.length);
    calls.push(counter);
    const d = new Uint8Array(createHash('sha256').update(input).digest());
    const f = force.get(counter);
    if (f !== undefined) d.set(bytes(f), 24);
    return d;
  };
}

test('RFC 7217 §5 step 2: a reserved IID moves on to the next DAD_Counter', () => {
  const calls: number[] = [];
  const prf = forcingPrf(new Map([[5, '0200:5eff:fe00:5213'], [6, 'fdff:ffff:ffff:ff80']]), calls);
  const r = stableIidWithCounter(base({ dadCounter: 5, prf }));
  assert.deepEqual(calls, [5, 6, 7]);
  assert.equal(r.dadCounter, 7);
  assert.equal(hex(r.iid), refStableIid('2001:db8:1:2::', IFACE, 'home-wifi', 7, KEY));
  const plain: number[] = [];
  assert.equal(hex(stableIid(base({ prf: forcingPrf(new Map(), plain) }))), hex(stableIid(base())), 'an unforced F() is the default');
  assert.deepEqual(plain, [0]);
});

test('RFC 7217 §5 step 2: an IID already in use on the interface counts as unacceptable', () => {
  const first = stableIidWithCounter(base());
  assert.equal(first.dadCounter, 0);
  const next = stableIidWithCounter(base({ exclude: [first.iid] }));
  assert.equal(next.dadCounter, 1);
  assert.equal(hex(next.iid), refStableIid('2001:db8:1:2::', IFACE, 'home-wifi', 1, KEY));
});

test('RFC 7217 §6: attempts are limited to 1 + IDGEN_RETRIES (3, §7), then ERR_IDGEN_FAILED', () => {
  assert.equal(IDGEN_RETRIES, 3);
  const calls: number[] = [];
  const all = new Map([0, 1, 2, 3, 4, 5].map((c) => [c, '0000000000000000'] as [number, string]));
  assert.throws(() => stableIid(base({ prf: forcingPrf(all, calls) })), code('ERR_IDGEN_FAILED'));
  assert.deepEqual(calls, [0, 1, 2, 3]);
  const top: number[] = [];
  const allTop = new Map([[0xffff_ffff, '0000000000000000'], [0, '0000000000000000']]);
  assert.throws(() => stableIid(base({ dadCounter: 0xffff_ffff, prf: forcingPrf(allTop, top) })), code('ERR_IDGEN_FAILED'));
  assert.deepEqual(top, [0xffff_ffff], 'the 32-bit counter does not wrap around to 0');
});

test('RFC 7217 §5: a secret shorter than 128 bits is rejected with ERR_INVALID_ARG', () => {
  assert.throws(() => stableIid(base({ secretKey: new Uint8Array(15) })), code('ERR_INVALID_ARG'));
  assert.throws(() => stableIid(base({ secretKey: new Uint8Array(0) })), code('ERR_INVALID_ARG'));
  assert.equal(stableIid(base({ secretKey: new Uint8Array(16).fill(7) })).length, 8, '16 bytes is enough');
});

test('stableIid validates its other arguments with ERR_INVALID_ARG', () => {
  for (const dadCounter of [-1, 1.5, 2 ** 32, Number.NaN]) {
    assert.throws(() => stableIid(base({ dadCounter })), code('ERR_INVALID_ARG'), String(dadCounter));
  }
  assert.equal(stableIid(base({ dadCounter: 2 ** 32 - 1 })).length, 8, 'the largest counter is fine');
  assert.throws(() => stableIid(base({ prefix: new Uint8Array(8) })), code('ERR_INVALID_ARG'));
  assert.throws(() => stableIid(base({ netIface: '' })), code('ERR_INVALID_ARG'));
  assert.throws(() => stableIid(base({ netIface: 42 as unknown as string })), code('ERR_INVALID_ARG'));
  assert.throws(
    () => stableIid(base({ prf: () => new Uint8Array(7) })),
    (e: unknown) => code('ERR_INVALID_ARG')(e) && /"prf"/.test((e as Error).message),
    'F() must give at least 64 bits',
  );
  assert.throws(() => stableIid(base({ exclude: [new Uint8Array(16)] })), code('ERR_INVALID_ARG'));
});

test('generateSecretKey: 256 fresh random bits', () => {
  const a = generateSecretKey();
  const b = generateSecretKey();
  assert.ok(a instanceof Uint8Array);
  assert.equal(a.length, 32);
  assert.notEqual(hex(a), hex(b));
  assert.equal(stableIid(base({ secretKey: a })).length, 8, 'usable as a secret_key');
});

// --- RFC 8981 temporary IIDs ------------------------------------------------------------

/** A byte source that hands out the given 8-byte values in order. */
function scripted(values: string[]): { source: (n: number) => Uint8Array; draws: () => number } {
  let i = 0;
  return {
    source: (n) => {
      assert.equal(n, 8);
      if (i >= values.length) throw new Error('script exhausted');
      return bytes(values[i++]);
    },
    draws: () => i,
  };
}

test('RFC 8981 §3.3.1: reserved and already-used IIDs are drawn again', () => {
  const used = bytes('1111:2222:3333:4444');
  const s = scripted([
    '0000:0000:0000:0000',
    '0200:5eff:fe00:5213',
    'fdff:ffff:ffff:ffff',
    '1111:2222:3333:4444', // in use on the interface
    '0200:5eff:feab:cdef',
    'a1b2:c3d4:e5f6:0718',
  ]);
  assert.equal(iidText(temporaryIid(s.source, [parseIp6('::').subarray(8), used])), 'a1b2:c3d4:e5f6:0718');
  assert.equal(s.draws(), 6);
});

test('RFC 8981 §3.3.1: temporary IIDs are never reserved nor excluded (seeded property)', () => {
  const rand = seededRandom(8981);
  const seen: Uint8Array[] = [];
  // A source that yields a reserved or already-seen IID half the time.
  const hostile = (n: number): Uint8Array => {
    const r = rand();
    if (r < 0.1) return new Uint8Array(n);
    if (r < 0.25) return bytes(`0200:5eff:fe${Math.floor(rand() * 256).toString(16).padStart(2, '0')}:0000`);
    if (r < 0.35) return bytes('fdff:ffff:ffff:ff9a');
    if (r < 0.5 && seen.length > 0) return Uint8Array.from(seen[Math.floor(rand() * seen.length)]);
    return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  };
  for (let i = 0; i < 300; i++) {
    const iid = temporaryIid(hostile, seen);
    assert.equal(isReservedIid(iid), false, iidText(iid));
    assert.ok(!seen.some((s) => hex(s) === hex(iid)), `duplicate ${iidText(iid)}`);
    seen.push(iid);
  }
});

test('RFC 8981 §3.3.1: all 64 bits vary (none forced), from bytes or from floats', () => {
  const sources: Array<[string, Parameters<typeof temporaryIid>[0]]> = [
    ['node:crypto (default)', undefined],
    ['seeded floats', seededRandom(42)],
  ];
  for (const [name, src] of sources) {
    const or = new Uint8Array(8);
    const and = new Uint8Array(8).fill(0xff);
    for (let i = 0; i < 256; i++) {
      const iid = temporaryIid(src);
      assert.equal(iid.length, 8);
      iid.forEach((b, k) => {
        or[k] |= b;
        and[k] &= b;
      });
    }
    assert.equal(hex(or), 'ff'.repeat(8), `${name}: every bit was 1 at least once`);
    assert.equal(hex(and), '00'.repeat(8), `${name}: every bit was 0 at least once`);
  }
});

test('temporaryIid turns a float source into bytes, one float per byte, high first', () => {
  const floats = [0, 0.999, 0.5, 1 / 256, 2 / 256, 0.25, 0.75, 255 / 256];
  let i = 0;
  assert.equal(iidText(temporaryIid(() => floats[i++])), '00ff:8001:0240:c0ff');
  assert.equal(i, 8);
});

test('temporaryIid rejects a broken source with ERR_INVALID_ARG instead of spinning', () => {
  let draws = 0;
  const zeros = (n: number): Uint8Array => {
    draws++;
    return new Uint8Array(n);
  };
  assert.throws(() => temporaryIid(zeros), code('ERR_INVALID_ARG'), 'always the reserved 0 IID');
  assert.equal(draws, 64, 'gives up after 64 draws in a row');
  assert.throws(() => temporaryIid(() => 1), code('ERR_INVALID_ARG'), 'float out of [0, 1)');
  assert.throws(() => temporaryIid(() => Number.NaN), code('ERR_INVALID_ARG'));
  assert.throws(() => temporaryIid(() => new Uint8Array(4)), code('ERR_INVALID_ARG'), 'short byte source');
});

// --- RFC 8981 parameters and lifetimes --------------------------------------------------

test('RFC 8981 §3.8 defaults, in ms', () => {
  assert.equal(TEMP_VALID_LIFETIME, 2 * DAY);
  assert.equal(TEMP_PREFERRED_LIFETIME, DAY);
  assert.equal(TEMP_IDGEN_RETRIES, 3);
  // REGEN_ADVANCE = 2 + TEMP_IDGEN_RETRIES × DupAddrDetectTransmits × RetransTimer / 1000 s = 2 + 3 × 1 × 1000 / 1000
  assert.equal(REGEN_ADVANCE, 5 * SECOND);
  assert.equal(computeRegenAdvance({ dupAddrDetectTransmits: 1, retransTimer: 1_000 }), 5 * SECOND);
  assert.equal(computeRegenAdvance({ dupAddrDetectTransmits: 0, retransTimer: 1_000 }), 2 * SECOND, 'no DAD: the 2 s floor');
  assert.equal(computeRegenAdvance({ dupAddrDetectTransmits: 2, retransTimer: 1_500, tempIdgenRetries: 4 }), 14 * SECOND);
  assert.throws(() => computeRegenAdvance({ dupAddrDetectTransmits: -1, retransTimer: 1_000 }), code('ERR_INVALID_ARG'));
  // MAX_DESYNC_FACTOR = 0.4 × TEMP_PREFERRED_LIFETIME = 9.6 h
  assert.equal(MAX_DESYNC_FACTOR, 34_560_000);
});

test('RFC 8981 §3.8: DESYNC_FACTOR is in [0, MAX_DESYNC_FACTOR] and below TEMP_PREFERRED_LIFETIME − REGEN_ADVANCE', () => {
  assert.equal(randomDesyncFactor(() => 0), 0);
  assert.equal(randomDesyncFactor(() => 0.5), 17_280_000);
  const top = randomDesyncFactor(() => 1 - 2 ** -53);
  assert.ok(top <= 34_560_000 && top > 34_559_000, String(top));
  // Short configured lifetime: 6 s preferred leaves 6 − 5 = 1 s < 0.4 × 6 s.
  const small = randomDesyncFactor(() => 1 - 2 ** -53, 6 * SECOND, 5 * SECOND);
  assert.ok(small >= 0 && small < 1 * SECOND, String(small));
  assert.throws(() => randomDesyncFactor(() => 0.3, 5 * SECOND, 5 * SECOND), code('ERR_INVALID_ARG'), 'no room for regeneration');
  assert.throws(() => randomDesyncFactor(() => 1), code('ERR_INVALID_ARG'));
});

const NOW = 1_000_000;

test('RFC 8981 §3.4 step 4: a prefix lifetime shorter than the temporary one wins', () => {
  const r = temporaryLifetimes({
    now: NOW, prefixValidUntil: NOW + 1 * HOUR, prefixPreferredUntil: NOW + 30 * 60_000,
    desyncFactor: 10 * 60_000, tempValid: 2 * DAY, tempPreferred: DAY,
  });
  assert.deepEqual(r, { validUntil: NOW + 1 * HOUR, preferredUntil: NOW + 30 * 60_000 });
});

test('RFC 8981 §3.4 step 4: DESYNC_FACTOR is subtracted from the preferred lifetime only', () => {
  const r = temporaryLifetimes({
    now: NOW, prefixValidUntil: NOW + 30 * DAY, prefixPreferredUntil: NOW + 7 * DAY,
    desyncFactor: 10 * 60_000, tempValid: 2 * DAY, tempPreferred: DAY,
  });
  assert.equal(r.validUntil, NOW + 2 * DAY, 'valid: TEMP_VALID_LIFETIME, no desync');
  assert.equal(r.preferredUntil, NOW + DAY - 10 * 60_000, 'preferred: TEMP_PREFERRED_LIFETIME − DESYNC_FACTOR');
  const inf = temporaryLifetimes({ now: NOW, prefixValidUntil: Infinity, prefixPreferredUntil: Infinity, desyncFactor: 0 });
  assert.deepEqual(inf, { validUntil: NOW + 2 * DAY, preferredUntil: NOW + DAY }, 'infinite prefix; RFC defaults when omitted');
});

test('RFC 8981 §3.4.2: on a later RA the bounds still count from CREATION_TIME', () => {
  const createdAt = NOW - 20 * HOUR;
  const r = temporaryLifetimes({
    now: NOW, createdAt, prefixValidUntil: NOW + 30 * DAY, prefixPreferredUntil: NOW + 7 * DAY,
    desyncFactor: HOUR, tempValid: 2 * DAY, tempPreferred: DAY,
  });
  assert.equal(r.validUntil, createdAt + 2 * DAY); // NOW + 28 h
  assert.equal(r.preferredUntil, createdAt + DAY - HOUR); // NOW + 3 h
  assert.equal(r.preferredUntil, NOW + 3 * HOUR);
  // 26 h after creation with 1 h desync: the preferred bound passed 3 h ago → deprecated now.
  const old = temporaryLifetimes({
    now: NOW, createdAt: NOW - 26 * HOUR, prefixValidUntil: NOW + 30 * DAY, prefixPreferredUntil: NOW + 7 * DAY,
    desyncFactor: HOUR, tempValid: 2 * DAY, tempPreferred: DAY,
  });
  assert.deepEqual(old, { validUntil: NOW + 22 * HOUR, preferredUntil: NOW });
  // 3 days after creation: both bounds passed → invalid now, never a time in the past.
  const expired = temporaryLifetimes({
    now: NOW, createdAt: NOW - 3 * DAY, prefixValidUntil: NOW + 30 * DAY, prefixPreferredUntil: NOW + 7 * DAY,
    desyncFactor: HOUR, tempValid: 2 * DAY, tempPreferred: DAY,
  });
  assert.deepEqual(expired, { validUntil: NOW, preferredUntil: NOW });
  const gone = temporaryLifetimes({ now: NOW, prefixValidUntil: NOW - HOUR, prefixPreferredUntil: NOW - 2 * HOUR, desyncFactor: 0 });
  assert.deepEqual(gone, { validUntil: NOW, preferredUntil: NOW }, 'a prefix already expired');
});

test('temporaryLifetimes never makes an address preferred past its validity', () => {
  const r = temporaryLifetimes({
    now: NOW, prefixValidUntil: NOW + 30 * DAY, prefixPreferredUntil: NOW + 7 * DAY,
    desyncFactor: 0, tempValid: 1 * HOUR, tempPreferred: 2 * HOUR,
  });
  assert.deepEqual(r, { validUntil: NOW + HOUR, preferredUntil: NOW + HOUR });
  assert.throws(
    () => temporaryLifetimes({ now: NOW, prefixValidUntil: Infinity, prefixPreferredUntil: Infinity, desyncFactor: -1 }),
    code('ERR_INVALID_ARG'),
  );
  assert.throws(
    () => temporaryLifetimes({ now: NOW, prefixValidUntil: Infinity, prefixPreferredUntil: Infinity, desyncFactor: DAY }),
    code('ERR_INVALID_ARG'),
    'DESYNC_FACTOR must stay below TEMP_PREFERRED_LIFETIME',
  );
  assert.throws(
    () => temporaryLifetimes({ now: NOW, prefixValidUntil: Number.NaN, prefixPreferredUntil: Infinity, desyncFactor: 0 }),
    code('ERR_INVALID_ARG'),
  );
});

test('RFC 8981 §3.4 step 5: created only if the preferred lifetime exceeds REGEN_ADVANCE', () => {
  assert.equal(mayCreateTemporary(NOW, NOW + 5 * SECOND), false, 'exactly REGEN_ADVANCE');
  assert.equal(mayCreateTemporary(NOW, NOW + 5 * SECOND + 1), true);
  assert.equal(mayCreateTemporary(NOW, NOW), false, 'never with a zero preferred lifetime');
  assert.equal(mayCreateTemporary(NOW, NOW + 2 * SECOND + 1, 2 * SECOND), true);
});

test('RFC 8981 §3.5: the successor is made REGEN_ADVANCE before deprecation', () => {
  const { preferredUntil } = temporaryLifetimes({ now: NOW, prefixValidUntil: Infinity, prefixPreferredUntil: Infinity, desyncFactor: 600_000 });
  assert.equal(regenerateAt(preferredUntil), NOW + DAY - 600_000 - 5 * SECOND);
  assert.equal(regenerateAt(NOW + HOUR, 14 * SECOND), NOW + HOUR - 14 * SECOND);
  assert.equal(regenerateAt(Infinity), Infinity);
});
