// The Internet checksum kernels (asm/csum/inet.ts, RFC 1071): published vector,
// edge buffers, and a differential against the TypeScript reference
// (test/support/frames.ts refChecksum) on both builds.
//
// Byte order: the kernels sum little-endian words and return the complemented
// fold in that same native order (RFC 1071 §2 B), so the number they return is
// the byte swap of the big-endian checksum, and a native (little-endian) u16
// store of it puts the big-endian checksum bytes in memory. The tests compare
// swap16(kernel) with the reference, and check the stored bytes once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/wasm/instance.js';
import * as L from '../../src/wasm/layout.generated.js';
import { refChecksum, refSum } from '../support/frames.js';
import { BUILDS, prng } from '../support/engine.js';

const swap16 = (x: number): number => ((x & 0xff) << 8) | (x >>> 8);
/** Scratch area: the TX slot region (512 KiB), unused by these tests. */
const BUF = L.TX_SLOT_BASE;

const engines = BUILDS.map((b) => ({ name: b.name, e: new Engine({ simd: b.simd }) }));

function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** Both kernels of one engine over `bytes` placed at BUF + off, as big-endian checksums. */
function kernels(e: Engine, bytes: Uint8Array, off = 0): { scalar: number; simd: number } {
  e.u8.set(bytes, BUF + off);
  return {
    scalar: swap16(e.exports.csumScalar(BUF + off, bytes.length)),
    simd: swap16(e.exports.csumSimd(BUF + off, bytes.length)),
  };
}

test('the SIMD build is chosen and reports SIMD when WebAssembly SIMD validates (STYLE.md 11)', () => {
  const bytes = readFileSync(new URL('../../asm/wasagi.simd.wasm', import.meta.url));
  assert.equal(WebAssembly.validate(bytes), true, 'Node 20 validates WebAssembly SIMD');
  assert.equal(new Engine({ simd: true }).simd, true);
  assert.equal(new Engine({ simd: false }).simd, false);
});

test('RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
  const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(refSum(bytes), 0xddf2, 'reference sum');
  assert.equal(refChecksum(bytes), 0x220d, 'reference checksum');
  for (const { name, e } of engines) {
    for (let off = 0; off < 8; off++) {
      assert.deepEqual(kernels(e, bytes, off), { scalar: 0x220d, simd: 0x220d }, `${name} build, offset ${off}`);
    }
    // A native u16 store of the kernel's result writes the checksum in network order.
    e.u8.set(bytes, BUF);
    e.dv.setUint16(BUF + 100, e.exports.csumScalar(BUF, 8), true);
    assert.deepEqual([e.u8[BUF + 100], e.u8[BUF + 101]], [0x22, 0x0d], `${name}: stored bytes`);
  }
});

test('every length 0..2000 at start offsets 0..7: scalar == SIMD == reference, both builds', () => {
  const rand = prng(1071);
  let checked = 0;
  for (let len = 0; len <= 2000; len++) {
    const bytes = randomBytes(rand, len + 8);
    for (let off = 0; off < 8; off++) {
      const view = bytes.subarray(off, off + len);
      const want = refChecksum(view);
      for (const { name, e } of engines) {
        e.u8.set(bytes, BUF);
        const got = { scalar: swap16(e.exports.csumScalar(BUF + off, len)), simd: swap16(e.exports.csumSimd(BUF + off, len)) };
        if (got.scalar !== want || got.simd !== want) {
          assert.fail(`${name} build, len ${len}, offset ${off}: scalar ${got.scalar.toString(16)} simd ${got.simd.toString(16)} want ${want.toString(16)}`);
        }
        checked++;
      }
    }
  }
  assert.equal(checked, 2001 * 8 * 2);
});

test('all-zero buffers checksum to ffff and all-ones buffers to 0000 (odd tail: 00ff)', () => {
  for (const { name, e } of engines) {
    for (const len of [0, 1, 2, 3, 63, 64, 65, 1500, 2047, 2048, 16383, 16384, 16448, 65535, 65536]) {
      const zeros = new Uint8Array(len);
      const ones = new Uint8Array(len).fill(0xff);
      const z = 0xffff;
      // n words of ffff fold to ffff (never to 0000 by end-around carry); an odd
      // final ff byte is the word ff00, so the sum is ff00 and the checksum 00ff.
      const o = len === 0 ? 0xffff : len % 2 ? 0x00ff : 0x0000;
      assert.equal(refChecksum(zeros), z);
      assert.equal(refChecksum(ones), o);
      for (let off = 0; off < 8; off += 3) {
        assert.deepEqual(kernels(e, zeros, off), { scalar: z, simd: z }, `${name}: ${len} zero bytes at +${off}`);
        assert.deepEqual(kernels(e, ones, off), { scalar: o, simd: o }, `${name}: ${len} ff bytes at +${off}`);
      }
    }
  }
});

test('a 64 KiB random buffer (and random lengths up to 64 KiB + 7) matches the reference', () => {
  const rand = prng(65536);
  const big = randomBytes(rand, 65536 + 8);
  for (const { name, e } of engines) {
    for (let off = 0; off < 8; off++) {
      const want = refChecksum(big.subarray(off, off + 65536));
      e.u8.set(big, BUF);
      assert.equal(swap16(e.exports.csumScalar(BUF + off, 65536)), want, `${name} scalar, 64 KiB at +${off}`);
      assert.equal(swap16(e.exports.csumSimd(BUF + off, 65536)), want, `${name} SIMD, 64 KiB at +${off}`);
    }
  }
  for (let k = 0; k < 100; k++) {
    const len = (rand() * 65536) | 0;
    const off = (rand() * 8) | 0;
    const want = refChecksum(big.subarray(off, off + len));
    for (const { name, e } of engines) {
      assert.deepEqual(kernels(e, big.subarray(off, off + len), 0), { scalar: want, simd: want }, `${name}: len ${len}`);
    }
  }
});
