// Neighbor Solicitation/Advertisement records (src/wire/ndisc.ts) and ND
// options (src/wire/ndopt.ts): golden bytes written out from RFC 4861 §4.3,
// §4.4 and §4.6.1, round trips, truncation, malformed options (§4.6).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp6, parseMac } from '../../src/wire/address.js';
import {
  emitNeighborAdvert, emitNeighborSolicit, neighborAdvertLength, neighborSolicitLength, parseNeighborAdvert,
  parseNeighborSolicit,
} from '../../src/wire/ndisc.js';
import { emitLinkLayerOption, linkLayerAddress, parseNdOptions, OPT_SLLA, OPT_TLLA } from '../../src/wire/ndopt.js';

const TARGET = parseIp6('2001:db8::2');
const MAC = parseMac('02:00:5e:10:20:30');

/** Bytes from a hex listing with spaces and line breaks. */
const hexBytes = (h: string): number[] => h.trim().split(/\s+/).map((x) => parseInt(x, 16));

// RFC 4861 §4.3 Neighbor Solicitation:
//  Type 135 | Code 0 | Checksum (0: filled by txBuild) | Reserved (32 bits)
//  Target Address (128 bits) | Options: §4.6.1 Source Link-Layer Address
//  (Type 1, Length 1 = 8 octets, the 6-byte MAC).
const NS_GOLDEN = hexBytes(`
  87 00 00 00  00 00 00 00
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 02
  01 01 02 00  5e 10 20 30
`);

// RFC 4861 §4.4 Neighbor Advertisement: Type 136 | Code 0 | Checksum |
//  R S O (bits 31, 30, 29) + 29 reserved bits | Target | §4.6.1 Target
//  Link-Layer Address (Type 2, Length 1).
const NA_GOLDEN = hexBytes(`
  88 00 00 00  e0 00 00 00
  20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 02
  02 01 02 00  5e 10 20 30
`);

/** Emits into a buffer pre-filled with 0xaa at offset 3, so every byte written (and only those) shows. */
function emitted(emit: (b: Uint8Array, o: number) => number): { bytes: number[]; len: number; after: number[] } {
  const b = new Uint8Array(64).fill(0xaa);
  const len = emit(b, 3);
  assert.deepEqual([...b.subarray(0, 3)], [0xaa, 0xaa, 0xaa], 'nothing written before the offset');
  return { bytes: [...b.subarray(3, 3 + len)], len, after: [...b.subarray(3 + len)] };
}

test('NS with SLLAO: golden bytes (RFC 4861 §4.3, §4.6.1)', () => {
  const ns = { target: TARGET, sourceLinkAddr: MAC };
  const e = emitted((b, o) => emitNeighborSolicit(b, o, ns));
  assert.equal(e.len, 32);
  assert.equal(neighborSolicitLength(ns), 32);
  assert.deepEqual(e.bytes, NS_GOLDEN, 'every byte, reserved fields zeroed');
  assert.ok(e.after.every((x) => x === 0xaa), 'nothing written past the message');
});

test('NS without options is the 24-byte fixed part (RFC 4861 §4.3)', () => {
  const e = emitted((b, o) => emitNeighborSolicit(b, o, { target: TARGET }));
  assert.equal(e.len, 24);
  assert.equal(neighborSolicitLength({}), 24);
  assert.deepEqual(e.bytes, NS_GOLDEN.slice(0, 24));
});

test('NA with R, S, O and TLLAO: golden bytes (RFC 4861 §4.4, §4.6.1)', () => {
  const na = { router: true, solicited: true, override: true, target: TARGET, targetLinkAddr: MAC };
  const e = emitted((b, o) => emitNeighborAdvert(b, o, na));
  assert.equal(e.len, 32);
  assert.equal(neighborAdvertLength(na), 32);
  assert.deepEqual(e.bytes, NA_GOLDEN);
  assert.ok(e.after.every((x) => x === 0xaa));
});

test('NA flag bits: R = 0x80, S = 0x40, O = 0x20 in the first body byte (RFC 4861 §4.4)', () => {
  for (const [flags, byte] of [
    [{ router: true, solicited: false, override: false }, 0x80],
    [{ router: false, solicited: true, override: false }, 0x40],
    [{ router: false, solicited: false, override: true }, 0x20],
    [{ router: false, solicited: true, override: true }, 0x60],
    [{ router: false, solicited: false, override: false }, 0x00],
  ] as const) {
    const e = emitted((b, o) => emitNeighborAdvert(b, o, { ...flags, target: TARGET }));
    assert.equal(e.len, 24);
    assert.deepEqual(e.bytes.slice(4, 8), [byte, 0, 0, 0], JSON.stringify(flags));
  }
});

test('parse(emit(x)) round trips NS and NA (all flag combinations)', () => {
  for (const sll of [undefined, MAC]) {
    const b = new Uint8Array(32);
    const n = emitNeighborSolicit(b, 0, { target: TARGET, sourceLinkAddr: sll });
    const p = parseNeighborSolicit(b.subarray(0, n));
    assert.ok(p);
    assert.deepEqual(p.target, TARGET);
    assert.deepEqual(p.sourceLinkAddr, sll);
    assert.equal(p.options.length, sll ? 1 : 0);
  }
  for (let f = 0; f < 8; f++) {
    for (const tll of [undefined, MAC]) {
      const na = { router: !!(f & 4), solicited: !!(f & 2), override: !!(f & 1), target: TARGET, targetLinkAddr: tll };
      const b = new Uint8Array(32);
      const n = emitNeighborAdvert(b, 0, na);
      const p = parseNeighborAdvert(b.subarray(0, n));
      assert.ok(p);
      assert.deepEqual({ ...p, options: undefined }, { ...na, options: undefined });
    }
  }
});

test('the golden bytes parse to the records they came from', () => {
  const ns = parseNeighborSolicit(Uint8Array.from(NS_GOLDEN));
  assert.deepEqual(ns?.target, TARGET);
  assert.deepEqual(ns?.sourceLinkAddr, MAC);
  const na = parseNeighborAdvert(Uint8Array.from(NA_GOLDEN));
  assert.deepEqual([na?.router, na?.solicited, na?.override], [true, true, true]);
  assert.deepEqual(na?.targetLinkAddr, MAC);
  assert.equal(parseNeighborAdvert(Uint8Array.from(NS_GOLDEN)), null, 'an NS is not an NA');
  assert.equal(parseNeighborSolicit(Uint8Array.from(NA_GOLDEN)), null, 'an NA is not an NS');
});

test('messages shorter than 24 bytes are malformed: null (RFC 4861 §7.1.1, §7.1.2)', () => {
  for (let n = 0; n < 24; n++) {
    assert.equal(parseNeighborSolicit(Uint8Array.from(NS_GOLDEN.slice(0, n))), null, `NS of ${n} bytes`);
    assert.equal(parseNeighborAdvert(Uint8Array.from(NA_GOLDEN.slice(0, n))), null, `NA of ${n} bytes`);
  }
  assert.ok(parseNeighborSolicit(Uint8Array.from(NS_GOLDEN.slice(0, 24))), 'exactly 24 is enough');
});

test('an option with Length 0 makes the message invalid (RFC 4861 §4.6)', () => {
  const m = Uint8Array.from([...NS_GOLDEN.slice(0, 24), 1, 0, 2, 0, 0x5e, 0x10, 0x20, 0x30]);
  assert.equal(parseNeighborSolicit(m), null);
  assert.equal(parseNdOptions(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0])), null);
  // A zero-length option after a good one still invalidates everything.
  assert.equal(parseNdOptions(Uint8Array.from([...NS_GOLDEN.slice(24), 200, 0, 0, 0, 0, 0, 0, 0])), null);
});

test('an option overrunning the message makes it invalid (RFC 4861 §4.6)', () => {
  const m = Uint8Array.from([...NS_GOLDEN.slice(0, 24), 1, 2, 2, 0, 0x5e, 0x10, 0x20, 0x30]); // claims 16 bytes, has 8
  assert.equal(parseNeighborSolicit(m), null);
  assert.equal(parseNeighborAdvert(Uint8Array.from([...NA_GOLDEN.slice(0, 24), 2, 1, 2, 0, 0x5e])), null, 'cut inside the option');
  assert.equal(parseNdOptions(Uint8Array.from([1])), null, 'a lone type byte');
});

test('unknown option types are kept and skipped without error (RFC 4861 §4.6)', () => {
  const unknown = [200, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]; // 16 bytes
  const m = Uint8Array.from([...NS_GOLDEN.slice(0, 24), ...unknown, ...NS_GOLDEN.slice(24)]);
  const ns = parseNeighborSolicit(m);
  assert.ok(ns, 'not rejected');
  assert.deepEqual(ns.sourceLinkAddr, MAC, 'the SLLAO after the unknown option is found');
  assert.deepEqual(
    ns.options.map((o) => [o.type, o.data.length]),
    [
      [200, 16],
      [OPT_SLLA, 8],
    ],
  );
  assert.deepEqual([...ns.options[0].data], unknown, 'option bytes include Type and Length');
  assert.deepEqual(parseNdOptions(new Uint8Array(0)), [], 'no options');
});

test('link-layer address options: emit writes Type, Length 1 and the MAC (RFC 4861 §4.6.1)', () => {
  const b = new Uint8Array(12).fill(0xaa);
  assert.equal(emitLinkLayerOption(b, 2, OPT_TLLA, MAC), 8);
  assert.deepEqual([...b], [0xaa, 0xaa, 2, 1, 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 0xaa, 0xaa]);
  const [opt] = parseNdOptions(b.subarray(2, 10)) ?? [];
  assert.deepEqual(linkLayerAddress(opt), MAC);
});
