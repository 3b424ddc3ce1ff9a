// Neighbor table and per-entry deadlines at scale (DESIGN.md §1.1, §3; paper §2).
//
// 1. WASM lookups: an Engine whose neighbor table holds N random global
//    addresses (REACHABLE) at load ≤ 0.5 (capacity = next power of two ≥ 2N).
//    neighLookupBatch (asm/index.ts) looks up a batch laid out 16 bytes apart in
//    the TX slot region (≤ TX_SLOTS × SLOT_SIZE / 16 = 32,768 per call): hits in
//    random order, and misses. Only the calls are timed (hrtime around each
//    call; writing the batch into WASM memory is not timed). Median and min–max
//    over several repetitions after a warm-up.
// 2. Memory per entry: the WASM table (capacity × NEIGH_STRIDE / N) and the
//    TypeScript NeighborCache (entry object, key string, maps, address and MAC
//    copies) measured as the heap growth from N real STALE entries created by
//    onNeighborSolicit, and from N REACHABLE ones (which also hold a deadline).
//    The figure is the growth of heapUsed (16-byte Uint8Arrays live on the V8
//    heap; external memory is shown beside it). A STALE entry made by an NS
//    costs more than a REACHABLE one: its key, built by ip6Key through 16
//    concatenations, stays a rope of cons strings until a later lookup with an
//    equal key flattens it (the NA does, for the REACHABLE ones).
//    With --expose-gc the heap is collected before each reading; without it the
//    collector is reached through v8.setFlagsFromString, and if that fails too
//    the figure is marked approximate.
// 3. Deadlines: a Stack (SystemClock) whose NeighborCache holds N REACHABLE
//    entries (resolve, then a solicited NA with a TLLAO), each with its own live
//    deadline in the one DeadlineHeap. Timers: no setTimeout while the entries
//    are made; Stack.poll() then arms exactly one, for the earliest deadline.
//    nextDeadline() is O(1); onDeadline() before the earliest deadline does
//    nothing (no periodic scan); at the moment all are due, one onDeadline()
//    runs every expiry (REACHABLE → STALE, §7.3.3) — entries/s.
//
//   node --expose-gc dist/bench/neigh.js [--quick]

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine } from '../src/wasm/instance.js';
import * as L from '../src/wasm/layout.generated.js';
import { NeighborTable } from '../src/nd/neighbor-table.js';
import { NeighborCache } from '../src/nd/neighbor-cache.js';
import { Stack } from '../src/stack/stack.js';
import { seededRandom } from '../src/time/clock.js';
import { NEVER } from '../src/time/instant.js';
import { printTable, type BenchResult } from './csum.js';
import { TimerCensus, activeTimeouts } from './timers.js';

const IFINDEX = 1;
/** Addresses one neighLookupBatch call can take from the TX slot region. */
export const BATCH_MAX = (L.TX_SLOTS * L.SLOT_SIZE) / 16;
export const SIZES: readonly number[] = [10_000, 100_000, 1_000_000];
export const QUICK_SIZES: readonly number[] = [10_000, 100_000];

/** Next power of two ≥ 2n (load ≤ 0.5), at least 16. */
export function capacityFor(n: number): number {
  let c = 16;
  while (c < 2 * n) c *= 2;
  return c;
}

const fmtCount = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const sign = (b: number): string => `${b < 0 ? '−' : '+'}${mib(Math.abs(b))}`;

/** xorshift32 byte stream: reproducible addresses without touching Math.random. */
function fillRandom(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 3 < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x;
    out[i + 1] = x >>> 8;
    out[i + 2] = x >>> 16;
    out[i + 3] = x >>> 24;
  }
}

/** n random global unicast addresses (2000::/3), 16 bytes apart. */
export function randomAddrs(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(16 * n);
  fillRandom(a, seed);
  for (let i = 0; i < n; i++) a[16 * i] = 0x20 | (a[16 * i] & 0x1f);
  return a;
}

function shuffled(addrs: Uint8Array, n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  const out = new Uint8Array(16 * n);
  for (let i = 0; i < n; i++) out.set(addrs.subarray(16 * idx[i], 16 * idx[i] + 16), 16 * i);
  return out;
}

const at = (a: Uint8Array, i: number): Uint8Array => a.subarray(16 * i, 16 * i + 16);

// --- garbage collection ---------------------------------------------------------

interface Gc {
  collect?: () => void;
  how: string;
}

let gcCache: Gc | undefined;

/** global.gc with --expose-gc; else through the V8 flag at run time; else none (approximate). */
export function findGc(): Gc {
  if (gcCache) return gcCache;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (gcCache = { collect: () => g(), how: 'gc' });
  try {
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('gc') as unknown;
    if (typeof f === 'function') return (gcCache = { collect: () => (f as () => void)(), how: 'gc (runtime flag)' });
  } catch {
    // fall through
  }
  return (gcCache = { how: 'approximate: no gc, heap read after a settle' });
}

async function heap(): Promise<{ heap: number; external: number }> {
  const gc = findGc();
  if (gc.collect) {
    gc.collect();
    // Freed ArrayBuffers (a previous Engine's memory) are released by a background sweeper.
    await new Promise((r) => setTimeout(r, 20));
    gc.collect();
  } else {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external };
}

// --- 1. lookups -----------------------------------------------------------------------

interface Rate {
  median: number;
  min: number;
  max: number;
  reps: number;
}

/**
 * Lookups per second over `list` (n addresses), timing only the WASM calls.
 * Each repetition looks up at least `minLookups` addresses (whole passes).
 */
function lookupRate(engine: Engine, list: Uint8Array, n: number, expectHits: number, reps: number, minLookups: number): Rate {
  const fn = engine.exports.neighLookupBatch;
  const u8 = engine.u8;
  const base = L.TX_SLOT_BASE;
  const chunks = Math.ceil(n / BATCH_MAX);
  const passes = Math.max(1, Math.ceil(minLookups / n));
  if (chunks === 1) u8.set(list.subarray(0, 16 * n), base); // stays in place for every pass
  let hits = 0;
  const pass = (): number => {
    let ns = 0n;
    for (let c = 0; c < chunks; c++) {
      const from = c * BATCH_MAX;
      const m = Math.min(BATCH_MAX, n - from);
      if (chunks > 1) u8.set(list.subarray(16 * from, 16 * (from + m)), base);
      const t0 = process.hrtime.bigint();
      hits += fn(IFINDEX, base, m);
      ns += process.hrtime.bigint() - t0;
    }
    return Number(ns);
  };
  hits = 0;
  pass();
  if (hits !== expectHits) throw new Error(`neighLookupBatch over ${n} addresses: ${hits} hits, expected ${expectHits}`);
  // Warm-up (the WASM code tiers up to the optimizing compiler on hot loops).
  for (let w = 0; w < 2; w++) for (let p = 0; p < passes; p++) pass();
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    let ns = 0;
    for (let p = 0; p < passes; p++) ns += pass();
    rates.push((n * passes) / (ns / 1e9));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates[rates.length - 1], reps };
}

function rateNote(r: Rate): string {
  const spread = ((r.max - r.min) / 2 / r.median) * 100;
  return `${(1e9 / r.median).toFixed(1)} ns/lookup, ±${spread.toFixed(1)}% (min–max of ${r.reps})`;
}

// --- 3. deadlines -----------------------------------------------------------------------

/** Best-of-`reps` ns per call of `fn` over `calls` calls. */
function nsPerCall(fn: (i: number) => number, calls: number, reps: number): { ns: number; sink: number } {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < reps + 1; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += fn(i);
    const dt = Number(process.hrtime.bigint() - t0) / calls;
    if (r > 0) best = Math.min(best, dt); // the first round warms up
  }
  return { ns: best, sink };
}

interface Ctx {
  n: number;
  /** n for printing: 10k, 1M. */
  N: string;
  cap: number;
  addrs: Uint8Array;
  mac: Uint8Array;
  quick: boolean;
  reps: number;
  lookups: BenchResult[];
  memory: BenchResult[];
  deadlines: BenchResult[];
  perLookup: Map<string, number>;
  gcHow: string;
  log: (line: string) => void;
  sink: number;
}

// Each section is its own function so that its buffers, engines and entries
// die when it returns (locals of a suspended async function stay reachable).

/** 1. WASM lookups: hits in random order and misses, at load ≤ 0.5. */
async function lookupSection(ctx: Ctx): Promise<void> {
  const { n, N, cap, addrs, mac, quick, reps, lookups, memory, perLookup, log } = ctx;
  await heap(); // the previous size's garbage gone, and
  await new Promise((r) => setTimeout(r, 100)); // its background sweeping done
  const t = performance.now();
  const engine = new Engine({ neighborCapacity: cap });
  const table = new NeighborTable(engine);
  for (let i = 0; i < n; i++) {
    const slot = table.insert(IFINDEX, at(addrs, i), L.NeighState.REACHABLE);
    if (slot < 0) throw new Error(`the table refused entry ${i} of ${n}`);
    table.update(slot, L.NeighState.REACHABLE, mac);
  }
  if (table.size !== n) throw new Error(`${table.size} entries for ${n} addresses (duplicate random addresses?)`);
  const hitList = shuffled(addrs, n, n);
  const missList = randomAddrs(n, 0x0dd00000 + n);
  const minLookups = quick ? 500_000 : 2_000_000;
  const hit = lookupRate(engine, hitList, n, n, reps, minLookups);
  const miss = lookupRate(engine, missList, n, 0, reps, minLookups);
  const load = n / cap;
  const tableBytes = cap * L.NEIGH_STRIDE;
  perLookup.set(`hit ${n}`, 1e9 / hit.median);
  perLookup.set(`miss ${n}`, 1e9 / miss.median);
  lookups.push(
    { name: `lookup hit, ${N} entries`, value: hit.median, unit: 'op/s', note: `${rateNote(hit)}; load ${load.toFixed(2)}, table ${mib(tableBytes)}` },
    { name: `lookup miss, ${N} entries`, value: miss.median, unit: 'op/s', note: rateNote(miss) },
  );
  memory.push({ name: `WASM table, ${N} entries`, value: tableBytes / n, unit: 'B/ent', note: `${cap} slots × ${L.NEIGH_STRIDE} B at load ${load.toFixed(2)}` });
  log(`neigh: ${N} lookups done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** 2. TypeScript memory of N STALE entries (no deadline). */
async function staleSection(ctx: Ctx): Promise<void> {
  const { n, N, cap, addrs, mac, memory, gcHow, log } = ctx;
  const engine = new Engine({ neighborCapacity: cap });
  const table = new NeighborTable(engine);
  const cache = new NeighborCache(table, seededRandom(1));
  const before = await heap();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) cache.onNeighborSolicit(IFINDEX, at(addrs, i), mac, i * 1e-3);
  const fillMs = performance.now() - t0;
  if (cache.size !== n || cache.get(IFINDEX, at(addrs, n - 1))?.state !== 'STALE') throw new Error(`expected ${n} STALE entries, have ${cache.size}`);
  const after = await heap();
  const dh = after.heap - before.heap;
  const de = after.external - before.external;
  memory.push({
    name: `TS NeighborCache, ${N} STALE`,
    value: dh / n,
    unit: 'B/ent',
    note: `heap +${mib(dh)} (external ${sign(de)}); made at ${((n / fillMs) * 1e3 / 1e6).toFixed(2)} M/s; ${gcHow}`,
  });
  ctx.sink += cache.size;
  log(`neigh: ${N} STALE entries measured`);
}

/** 3. N REACHABLE entries with live deadlines, in a Stack on the SystemClock. */
async function deadlineSection(ctx: Ctx): Promise<void> {
  const { n, N, cap, addrs, mac, quick, memory, deadlines, log } = ctx;
  await heap();
  const census = new TimerCensus();
  const timeoutsBefore = activeTimeouts();
  const stack = new Stack({ neighborCapacity: cap, random: seededRandom(7) });
  const cache = stack.neighbors;
  const before = await heap();
  const pkt = new Uint8Array(48);
  const na = { router: false, solicited: true, override: true, tllao: mac };
  const SPREAD = 10_000; // ms of (virtual) creation times: deadlines spread over 10 s
  const t0 = performance.now();
  const armedBefore = census.armed;
  for (let i = 0; i < n; i++) {
    const now = t0 + (i * SPREAD) / n;
    const a = at(addrs, i);
    cache.resolve(IFINDEX, a, pkt, undefined, now);
    cache.onNeighborAdvert(IFINDEX, a, na, now);
  }
  const fillMs = performance.now() - t0;
  const armedByFill = census.armed - armedBefore;
  const timeoutsAfter = activeTimeouts();
  const e0 = cache.get(IFINDEX, at(addrs, 0));
  if (cache.size !== n || e0?.state !== 'REACHABLE' || cache.deadlineOf(e0) === NEVER) throw new Error(`expected ${n} REACHABLE entries with deadlines`);
  const after = await heap();
  const dh = after.heap - before.heap;
  const de = after.external - before.external;
  memory.push({
    name: `TS NeighborCache, ${N} REACHABLE`,
    value: dh / n,
    unit: 'B/ent',
    note: `with a live deadline each; heap +${mib(dh)} (external ${sign(de)}); made at ${((n / fillMs) * 1e3 / 1e6).toFixed(2)} M/s`,
  });

  // The stack arms its one timer at its next entry point.
  const rt = cache.currentReachableTime(t0); // drawn once (re-drawn every 2 h, §6.3.4)
  const first = cache.nextDeadline();
  const last = t0 + (SPREAD * (n - 1)) / n + rt;
  if (performance.now() >= first) throw new Error(`making ${N} entries took longer than ReachableTime (${(rt / 1000).toFixed(1)} s): some are due already`);
  stack.poll();
  const stackTimers = census.live;
  const armedDelay = census.lastDelay;
  const timeoutsPolled = activeTimeouts();
  if (stack.nextDeadline() !== first) throw new Error('the stack does not see the cache\'s earliest deadline');
  deadlines.push(
    {
      name: `setTimeouts while making ${N} REACHABLE`,
      value: armedByFill,
      unit: 'timer',
      note: `'Timeout' in getActiveResourcesInfo: ${timeoutsBefore} before, ${timeoutsAfter} after`,
    },
    {
      name: `timers armed by the Stack, ${N} deadlines`,
      value: stackTimers,
      unit: 'timer',
      note: `after poll(): one setTimeout(${armedDelay} ms) for the earliest deadline; unref'd with no pinger (getActiveResourcesInfo: ${timeoutsPolled})`,
    },
  );

  // nextDeadline(): the heap's root.
  const nd = nsPerCall(() => cache.nextDeadline(), quick ? 1_000_000 : 5_000_000, 3);
  ctx.sink += nd.sink > 0 ? 1 : 0;
  deadlines.push({ name: `nextDeadline(), ${N} deadlines`, value: nd.ns, unit: 'ns', note: 'O(1): the heap root' });

  // Between deadlines: advancing time does nothing.
  const steps = quick ? 200_000 : 1_000_000;
  const from = t0;
  const span = first - 1e-3 - from;
  let busy = 0;
  const idle = nsPerCall(
    (i) => {
      const acts = cache.onDeadline(from + (span * i) / steps);
      busy += acts.length;
      return acts.length;
    },
    steps,
    2,
  );
  if (busy !== 0 || cache.size !== n || cache.nextDeadline() !== first) throw new Error(`onDeadline before the earliest deadline did work (${busy} actions)`);
  deadlines.push({
    name: `onDeadline() between deadlines, ${N}`,
    value: idle.ns,
    unit: 'ns',
    note: `${steps} calls over ${(span / 1000).toFixed(1)} s before the first deadline: all returned []`,
  });

  // Everything due at once: onDeadline runs the expiries in batches of
  // DEADLINE_BATCH (the stack comes straight back while more are due), so the
  // event loop is never held for the whole mass expiry.
  const t1 = performance.now();
  let toStale = 0;
  let calls = 0;
  let longest = 0;
  while (cache.nextDeadline() <= last + 1) {
    const c0 = performance.now();
    const acts = cache.onDeadline(last + 1);
    longest = Math.max(longest, performance.now() - c0);
    calls++;
    toStale += acts.filter((a) => a.type === 'NeighborChanged' && a.state === 'STALE').length;
  }
  const expireMs = performance.now() - t1;
  if (toStale !== n || cache.nextDeadline() !== NEVER) throw new Error(`expiry: ${toStale} of ${n} entries went STALE`);
  deadlines.push({
    name: `expire all at once, ${N}`,
    value: n / (expireMs / 1000),
    unit: 'ent/s',
    note: `${expireMs.toFixed(1)} ms for ${N} REACHABLE → STALE in ${calls} onDeadline() batches, longest ${longest.toFixed(1)} ms (${(expireMs * 1e6 / n).toFixed(0)} ns/entry)`,
  });

  stack.close();
  if (census.live !== 0) throw new Error(`${census.live} timers left after close()`);
  census.uninstall();
  log(`neigh: ${N} deadlines done`);
}

export async function run(opts: { quick?: boolean; log?: (line: string) => void } = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const sizes = quick ? QUICK_SIZES : SIZES;
  const lookups: BenchResult[] = [];
  const memory: BenchResult[] = [];
  const deadlines: BenchResult[] = [];
  const perLookup = new Map<string, number>();
  let sink = 0;
  for (const n of sizes) {
    const ctx: Ctx = {
      n,
      N: fmtCount(n),
      cap: capacityFor(n),
      addrs: randomAddrs(n, 0x5eed0000 + n),
      mac: Uint8Array.of(0x02, 0, 0, 0, 0, 0x42),
      quick,
      reps: quick ? 5 : 9,
      lookups,
      memory,
      deadlines,
      perLookup,
      gcHow: findGc().how,
      log: opts.log ?? (() => {}),
      sink: 0,
    };
    await lookupSection(ctx);
    await staleSection(ctx);
    await deadlineSection(ctx);
    sink += ctx.sink;
    await heap();
  }

  // Cache effects: how much slower a lookup is at the largest size than at the smallest.
  const lo = sizes[0];
  const hi = sizes[sizes.length - 1];
  for (const kind of ['hit', 'miss']) {
    const a = perLookup.get(`${kind} ${lo}`)!;
    const b = perLookup.get(`${kind} ${hi}`)!;
    lookups.push({ name: `lookup ${kind} time, ${fmtCount(hi)} / ${fmtCount(lo)}`, value: b / a, unit: 'x', note: `${b.toFixed(1)} vs ${a.toFixed(1)} ns/lookup` });
  }
  if (sink === 0.5) console.log(sink);
  return [...lookups, ...memory, ...deadlines];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t = performance.now();
  run({ quick: process.argv.includes('--quick'), log: (l) => console.error(l) }).then(
    (rows) => {
      printTable(`Neighbor table and deadlines (node ${process.version}, ${process.arch}; ${findGc().how})`, rows);
      console.log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
