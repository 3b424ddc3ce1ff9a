// Micro-benchmark of rxBurst (asm/path/rx.ts): bursts of 1, 32 and 256 echo
// requests (56 data bytes, like ping's default) classified and answered in place,
// on the SIMD and scalar builds. Each iteration first restores the requests by
// copying a template region (kept in the TX slot area) over the RX slots with
// one `copyWithin`; that copy is measured alone too and subtracted for the
// "net" figure.
//
//   node dist/bench/rx.js [--quick]

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as L from '../src/wasm/layout.generated.js';
import { parseIp6, parseMac } from '../src/wire/address.js';
import { echoRequest, ethFrame } from '../test/support/frames.js';
import { BUILDS, Harness } from '../test/support/engine.js';
import { printTable, type BenchResult } from './csum.js';

const Benchmark = createRequire(import.meta.url)('benchmark') as typeof import('benchmark');
type Bench = InstanceType<typeof Benchmark>;

export const BURSTS: readonly number[] = [1, 32, 256];

const OUR_MAC = '02:00:00:00:00:01';
const PEER = '2001:db8::2';

function measure(name: string, fn: () => void, quick: boolean): Bench {
  const b = new Benchmark(name, fn, quick ? { maxTime: 0.1, minTime: 0.02, minSamples: 5 } : { maxTime: 1, minSamples: 5 });
  b.run();
  if (b.error) throw b.error;
  return b;
}

function setup(simd: boolean, n: number): { hp: Harness; restore: () => void } {
  const hp = new Harness(simd, [{ ifindex: 1, mac: OUR_MAC, addresses: ['2001:db8::1/64', 'fe80::1/64'] }]);
  hp.neighbor(1, parseIp6(PEER), L.NeighState.REACHABLE, '02:00:00:00:00:02');
  const data = Uint8Array.from({ length: 56 }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const f = ethFrame({ dstMac: parseMac(OUR_MAC), src: PEER, dst: '2001:db8::1', upper: echoRequest(0x4242, i, data) });
    hp.writeRx(i, f);
  }
  const u8 = hp.u8;
  const span = (n - 1) * L.SLOT_SIZE + 14 + 40 + 8 + data.length;
  u8.copyWithin(L.TX_SLOT_BASE, L.RX_SLOT_BASE, L.RX_SLOT_BASE + span); // the template
  const restore = (): void => {
    u8.copyWithin(L.RX_SLOT_BASE, L.TX_SLOT_BASE, L.TX_SLOT_BASE + span);
  };
  return { hp, restore };
}

/** Throws unless one burst answers all `n` requests in place. */
function check(hp: Harness, restore: () => void, n: number): void {
  restore();
  const r = hp.burst(n);
  if (r.iov.length !== n || r.slots.some((s) => s.verdict !== L.Verdict.TX_READY)) {
    throw new Error(`burst of ${n}: expected ${n} TX_READY, got ${r.slots.map((s) => s.verdict)}`);
  }
}

export async function run(opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const out: BenchResult[] = [];
  const copyNs = new Map<number, number>();
  for (const n of BURSTS) {
    const { restore } = setup(false, n);
    const b = measure(`copy ${n}`, restore, quick);
    copyNs.set(n, 1e9 / b.hz);
    out.push({ name: `rx template copy, burst ${n}`, value: 1e9 / b.hz / n, unit: 'ns/pkt', note: `${(n - 1) * L.SLOT_SIZE + 118} bytes per copy` });
  }
  for (const build of BUILDS) {
    for (const n of BURSTS) {
      const { hp, restore } = setup(build.simd, n);
      check(hp, restore, n);
      const rxBurst = hp.engine.exports.rxBurst;
      const b = measure(`${build.name} ${n}`, () => {
        restore();
        rxBurst(1, n, 0);
      }, quick);
      check(hp, restore, n); // still answering every request
      const perBurst = 1e9 / b.hz;
      const net = (perBurst - (copyNs.get(n) ?? 0)) / n;
      out.push(
        { name: `rx ${build.name}, burst ${n}`, value: b.hz * n, unit: 'pkt/s', note: `±${b.stats.rme.toFixed(1)}%, copy included` },
        { name: `rx ${build.name}, burst ${n}`, value: perBurst / n, unit: 'ns/pkt', note: 'copy included' },
        { name: `rx ${build.name}, burst ${n}, net`, value: net, unit: 'ns/pkt', note: 'template copy subtracted' },
      );
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => printTable(`rxBurst, echo requests with 56 data bytes (node ${process.version}, ${process.arch})`, rows),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
