// Micro-benchmark of the Internet checksum kernels (asm/csum/inet.ts, RFC 1071):
// the SIMD kernel (SIMD build), the scalar kernel (scalar build) and a plain
// TypeScript loop over the same bytes in WASM memory, from one minimum-size
// frame to a 64 KiB buffer. Reported in GB/s, with SIMD/TS and scalar/TS ratios
// measured in the same run.
//
//   node dist/bench/csum.js [--quick]

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Engine } from '../src/wasm/instance.js';
import * as L from '../src/wasm/layout.generated.js';

const Benchmark = createRequire(import.meta.url)('benchmark') as typeof import('benchmark');
type Bench = InstanceType<typeof Benchmark>;

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** 64: minimum frame; 576: IPv4 minimum MTU; 1500: Ethernet MTU; SLOT_SIZE: largest frame; 9000: jumbo; 64 KiB. */
export const SIZES: readonly number[] = [64, 576, 1500, L.SLOT_SIZE, 9000, 65536];

/** The plain TypeScript baseline: RFC 1071 over big-endian 16-bit words, one fold at the end. */
export function csumTs(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const swap16 = (x: number): number => ((x & 0xff) << 8) | (x >>> 8);

function measure(name: string, fn: () => void, quick: boolean): Bench {
  const b = new Benchmark(name, fn, quick ? { maxTime: 0.05, minTime: 0.01, minSamples: 5 } : { maxTime: 0.6, minSamples: 5 });
  b.run();
  if (b.error) throw b.error;
  return b;
}

export async function run(opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const simd = new Engine({ simd: true });
  const scalar = new Engine({ simd: false });
  if (!simd.simd) throw new Error('the SIMD build did not load: WebAssembly SIMD unavailable?');
  // Scratch buffer in the TX slot region (512 KiB): the same random bytes in both memories.
  const at = L.TX_SLOT_BASE + 1; // odd address: no alignment help
  const data = new Uint8Array(65536);
  let x = 0x2545f491;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  simd.u8.set(data, at);
  scalar.u8.set(data, at);
  const out: BenchResult[] = [];
  let sink = 0;
  // Warm every path with every size first, so each measurement sees the same JIT state.
  for (let k = 0; k < 200; k++) {
    for (const n of SIZES) sink ^= csumTs(simd.u8, at, n) ^ simd.exports.csumSimd(at, n) ^ scalar.exports.csumScalar(at, n);
  }
  for (const n of SIZES) {
    const want = csumTs(simd.u8, at, n);
    const got = [swap16(simd.exports.csumSimd(at, n)), swap16(scalar.exports.csumScalar(at, n))];
    if (got.some((g) => g !== want)) throw new Error(`checksum mismatch at ${n} bytes: ${got} vs ${want}`);
    const fSimd = simd.exports.csumSimd;
    const fScalar = scalar.exports.csumScalar;
    const u8 = scalar.u8;
    const bs = measure(`simd ${n}`, () => {
      sink ^= fSimd(at, n);
    }, quick);
    const bc = measure(`scalar ${n}`, () => {
      sink ^= fScalar(at, n);
    }, quick);
    const bt = measure(`ts ${n}`, () => {
      sink ^= csumTs(u8, at, n);
    }, quick);
    const gbs = (b: Bench): number => (b.hz * n) / 1e9;
    const note = (b: Bench): string => `±${b.stats.rme.toFixed(1)}%, ${(1e9 / b.hz).toFixed(1)} ns/call`;
    out.push(
      { name: `csum simd ${n} B`, value: gbs(bs), unit: 'GB/s', note: note(bs) },
      { name: `csum scalar ${n} B`, value: gbs(bc), unit: 'GB/s', note: note(bc) },
      { name: `csum ts ${n} B`, value: gbs(bt), unit: 'GB/s', note: note(bt) },
      { name: `csum simd/ts ${n} B`, value: bs.hz / bt.hz, unit: 'x' },
      { name: `csum scalar/ts ${n} B`, value: bc.hz / bt.hz, unit: 'x' },
    );
  }
  if (sink === 0.5) console.log(sink); // keep the results alive
  return out;
}

export function printTable(title: string, rows: BenchResult[]): void {
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(title);
  for (const r of rows) {
    const v = r.value >= 100 ? r.value.toFixed(0) : r.value >= 10 ? r.value.toFixed(1) : r.value.toFixed(2);
    console.log(`  ${r.name.padEnd(w)}  ${v.padStart(12)} ${r.unit.padEnd(6)} ${r.note ?? ''}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => printTable(`Internet checksum (node ${process.version}, ${process.arch})`, rows),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
