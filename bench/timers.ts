// How late do timer-driven ND packets leave on the real driver (DESIGN.md §1.1,
// §3; paper §2)? A Stack with the SystemClock arms ONE setTimeout for its
// earliest deadline (Stack.reschedule); every neighbor entry keeps its own
// deadline in one heap. This runs that driver for real and measures, for each
// packet a deadline sends, how long after its deadline it reached the wire.
//
// Scenario (one Stack, one memory link, acceptRa: false, 2001:db8::1/64):
//   - resolution: K simulated hosts 2001:db8::1:i (i < K) each send us one echo
//     request, staggered over `spread` ms. The reply needs address resolution
//     (RESOLVE → NeighborCache.resolve): an INCOMPLETE entry, a multicast NS at
//     once, retransmitted at +1 s and +2 s (RetransTimer, RFC 4861 §7.2.2),
//     failed at +3 s. Nobody answers.
//   - NUD (full run): K more hosts 2001:db8::2:i each send an NS with an SLLAO
//     (→ STALE, §7.2.3) and an echo request; the reply uses the STALE entry
//     (→ DELAY, §7.3.3), so unicast probes leave at +5 s, +6 s and +7 s (PROBE).
// The hosts are frames injected on the link (MemoryLink.inject) rather than
// stack.ping(): a Pinger allocates 576 KiB of per-sequence state, which for
// thousands of pingers would put the harness's own garbage into the numbers.
//
// For each NS leaving (link.taps: performance.now(), target decoded from the
// frame) the scheduled time is the deadline read with
// neighbors.deadlineOf(entry) just after the previous packet of that entry
// (or at the DELAY transition, from the NeighborChanged event). Lateness =
// leave time − deadline. The number of timers the stack holds is counted by
// wrapping the global setTimeout/clearTimeout while the scenario runs
// (TimerCensus; the stack's timer is unref'd without pingers, so
// process.getActiveResourcesInfo() would not list it).
//
//   node dist/bench/timers.js [--quick]

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Stack } from '../src/stack/stack.js';
import { createMemoryLink } from '../src/device/memory.js';
import { NEVER } from '../src/time/instant.js';
import { parseIp6, parseMac, solicitedNode, type Ip6 } from '../src/wire/address.js';
import { histogram, percentile } from '../src/cli/draw.js';
import type { StackEvent } from '../src/stack/events.js';
import { echoRequest, ethFrame, nsMessage } from '../test/support/frames.js';
import { printTable, type BenchResult } from './csum.js';

/**
 * Counts the timers armed through the global setTimeout while installed:
 * live = created − cleared − fired. The benchmark's own timers use
 * `realSetTimeout`, which is not counted.
 */
export class TimerCensus {
  /** Timers alive now. */
  live = 0;
  /** Most timers alive at once. */
  maxLive = 0;
  /** setTimeout calls. */
  armed = 0;
  /** clearTimeout calls that cancelled a live timer. */
  cleared = 0;
  /** Callbacks that ran. */
  fired = 0;
  /** Delay (ms) passed to the last setTimeout. */
  lastDelay = NaN;
  /** Wraps every counted callback (to see what a wake-up did). */
  around?: (cb: () => void) => void;
  readonly realSetTimeout: typeof setTimeout = globalThis.setTimeout;
  readonly realClearTimeout: typeof clearTimeout = globalThis.clearTimeout;
  private readonly alive = new Set<unknown>();
  private installed = true;

  constructor() {
    const set = this.realSetTimeout;
    const clear = this.realClearTimeout;
    const patchedSet = (cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
      const t: NodeJS.Timeout = set(() => {
        if (this.alive.delete(t)) {
          this.fired++;
          this.live = this.alive.size;
        }
        if (this.around) this.around(() => cb(...args));
        else cb(...args);
      }, ms);
      this.alive.add(t);
      this.armed++;
      this.lastDelay = ms ?? 0;
      this.live = this.alive.size;
      this.maxLive = Math.max(this.maxLive, this.live);
      return t;
    };
    const patchedClear = (t: NodeJS.Timeout | string | number | undefined): void => {
      if (this.alive.delete(t)) {
        this.cleared++;
        this.live = this.alive.size;
      }
      clear(t);
    };
    globalThis.setTimeout = patchedSet as unknown as typeof setTimeout;
    globalThis.clearTimeout = patchedClear as unknown as typeof clearTimeout;
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    globalThis.setTimeout = this.realSetTimeout;
    globalThis.clearTimeout = this.realClearTimeout;
  }
}

/** Ref'd 'Timeout' resources as Node lists them. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

const OUR_MAC = parseMac('02:00:00:00:00:01');
const OUR_ADDR = parseIp6('2001:db8::1');
const KIND_RESOLVE = 1; // 2001:db8::1:i
const KIND_NUD = 2; // 2001:db8::2:i

const hostAddr = (kind: number, i: number): Ip6 => {
  const a = parseIp6('2001:db8::');
  a[13] = kind;
  a[14] = i >> 8;
  a[15] = i & 0xff;
  return a;
};
const hostMac = (kind: number, i: number): Uint8Array => Uint8Array.of(0x02, 0, 0, kind, i >> 8, i & 0xff);

interface Track {
  /** Deadlines seen for this entry and not yet matched with a packet or event, ascending. */
  pending: number[];
}

export interface ScenarioResult {
  k: number;
  nud: boolean;
  /** Lateness (ms) of INCOMPLETE retransmissions, of NUD probes, and of resolution failures (no packet). */
  retransmit: number[];
  probe: number[];
  failure: number[];
  /** First NS of each resolution (sent at once, not by a timer). */
  initial: number;
  maxLive: number;
  armed: number;
  fired: number;
  /** Wake-ups that found nothing due (the timer fired before the deadline by the clock). */
  idle: number;
  /** Most a wake-up came before the earliest deadline (ms). */
  earlyMax: number;
  deadlinesRun: number;
  wallMs: number;
  missing: string[];
}

/** Consumes the latest pending deadline ≤ t; its lateness, or undefined (not timer-driven). */
function consume(tr: Track, t: number): number | undefined {
  let due: number | undefined;
  while (tr.pending.length && tr.pending[0] <= t) due = tr.pending.shift();
  return due === undefined ? undefined : t - due;
}

function remember(tr: Track, d: number): void {
  if (d === NEVER || tr.pending.includes(d)) return;
  tr.pending.push(d);
  tr.pending.sort((a, b) => a - b);
}

export async function scenario(k: number, nud: boolean, spread: number): Promise<ScenarioResult> {
  if (k > 0x10000) throw new RangeError('at most 65536 hosts per kind');
  const census = new TimerCensus();
  const link = createMemoryLink();
  // Capacity so that maxIncomplete (maxEntries / 8) ≥ K: no INCOMPLETE entry is evicted.
  let cap = 4096;
  while (Math.floor((cap * 3) / 4 / 8) < k) cap *= 2;
  const stack = new Stack({ neighborCapacity: cap, interfaces: [{ link, name: 'mem0', mac: OUR_MAC, addresses: ['2001:db8::1/64'], acceptRa: false }] });
  const ifindex = stack.interface('mem0').ifindex;
  const peer = link.port('hosts'); // not attached: only injects

  // Frames first, so building them is not inside the measured window.
  const data = new Uint8Array(8);
  const plan: Array<{ at: number; frames: Uint8Array[] }> = [];
  for (let i = 0; i < k; i++) {
    const src = hostAddr(KIND_RESOLVE, i);
    plan.push({ at: (i * spread) / k, frames: [ethFrame({ dstMac: OUR_MAC, srcMac: hostMac(KIND_RESOLVE, i), src, dst: OUR_ADDR, upper: echoRequest(0x7777, i + 1, data) })] });
    if (nud) {
      const s2 = hostAddr(KIND_NUD, i);
      const mac = hostMac(KIND_NUD, i);
      plan.push({
        at: ((i + 0.5) * spread) / k,
        frames: [
          ethFrame({ srcMac: mac, src: s2, dst: solicitedNode(OUR_ADDR), hopLimit: 255, upper: nsMessage(OUR_ADDR, mac) }),
          ethFrame({ dstMac: OUR_MAC, srcMac: mac, src: s2, dst: OUR_ADDR, upper: echoRequest(0x7778, i + 1, data) }),
        ],
      });
    }
  }

  const tracks = [new Map<number, Track>(), new Map<number, Track>(), new Map<number, Track>()];
  const track = (a: Uint8Array): Track | undefined => {
    const kind = a[13];
    if (kind !== KIND_RESOLVE && kind !== KIND_NUD) return undefined;
    const i = (a[14] << 8) | a[15];
    let tr = tracks[kind].get(i);
    if (!tr) tracks[kind].set(i, (tr = { pending: [] }));
    return tr;
  };
  const res: ScenarioResult = { k, nud, retransmit: [], probe: [], failure: [], initial: 0, maxLive: 0, armed: 0, fired: 0, idle: 0, earlyMax: 0, deadlinesRun: 0, wallMs: 0, missing: [] };
  const want = { retransmit: 2 * k, failure: k, probe: nud ? 3 * k : 0 };
  let delays = 0;
  let evicted = 0;
  census.around = (cb) => {
    // A wake-up before the earliest deadline finds nothing due and re-arms.
    const early = stack.nextDeadline() - performance.now();
    if (early > 0) {
      res.idle++;
      res.earlyMax = Math.max(res.earlyMax, early);
    }
    cb();
  };
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const check = (): void => {
    if (res.retransmit.length >= want.retransmit && res.failure.length >= want.failure && res.probe.length >= want.probe) finish();
  };

  link.taps.push((frame, from) => {
    if (from === peer.name) return;
    const t = performance.now();
    // Ethernet + IPv6 (no extension headers) + ICMPv6 NS (type 135).
    if (frame.length < 78 || frame[12] !== 0x86 || frame[13] !== 0xdd || frame[20] !== 58 || frame[54] !== 135) return;
    const target = frame.subarray(62, 78);
    const tr = track(target);
    if (!tr) return;
    const late = consume(tr, t);
    if (late === undefined) res.initial++;
    else if (frame[38] !== 0xff && target[13] === KIND_NUD) res.probe.push(late); // unicast probe (§7.3.3)
    else res.retransmit.push(late);
    // The entry's next deadline, armed before this packet was handed to the device.
    const e = stack.neighbors.get(ifindex, target);
    if (e) remember(tr, stack.neighbors.deadlineOf(e));
    check();
  });
  stack.on('event', (ev: StackEvent) => {
    if (ev.type === 'NeighborChanged' && ev.state === 'DELAY') {
      delays++;
      const a = parseIp6(ev.address);
      const e = stack.neighbors.get(ifindex, a);
      const tr = track(a);
      if (e && tr) remember(tr, stack.neighbors.deadlineOf(e));
    } else if (ev.type === 'NeighborChanged' && ev.state === 'EVICTED') {
      evicted++;
    } else if (ev.type === 'ResolutionFailed') {
      const t = performance.now();
      const tr = track(parseIp6(ev.address));
      const late = tr && consume(tr, t);
      if (late !== undefined) res.failure.push(late);
      check();
    }
  });

  // Inject on the benchmark's own (uncounted) timer, every millisecond.
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const now = performance.now() - t0;
      while (next < plan.length && plan[next].at <= now) {
        for (const f of plan[next].frames) link.inject(peer, f);
        next++;
      }
      if (next < plan.length) census.realSetTimeout(tick, 1);
      else done();
    };
    tick();
  });
  // Safety net: the last deadline is ~3 s (resolution) or ~7 s (NUD) after the last injection.
  const guard = census.realSetTimeout(finish, (nud ? 7000 : 3000) + 2000);
  await finished;
  census.realClearTimeout(guard);
  res.wallMs = performance.now() - t0;
  res.maxLive = census.maxLive;
  res.armed = census.armed;
  res.fired = census.fired;
  res.deadlinesRun = res.retransmit.length + res.probe.length + res.failure.length;
  stack.close();
  census.uninstall();
  if (res.retransmit.length < want.retransmit) res.missing.push(`${want.retransmit - res.retransmit.length} retransmissions`);
  if (res.failure.length < want.failure) res.missing.push(`${want.failure - res.failure.length} failures`);
  if (res.probe.length < want.probe) res.missing.push(`${want.probe - res.probe.length} probes`);
  if (nud && delays < k) res.missing.push(`${k - delays} DELAY transitions`);
  if (evicted) res.missing.push(`${evicted} entries evicted`);
  if (link.dropped) res.missing.push(`${link.dropped} frames dropped by the link`);
  if (res.initial !== k) res.missing.push(`${res.initial} initial NS for ${k} resolutions`);
  return res;
}

const TARGET_P99 = 5; // ms

function summarize(label: string, v: number[], rows: BenchResult[]): void {
  if (!v.length) return;
  const s = [...v].sort((a, b) => a - b);
  rows.push(
    { name: `${label}: p50`, value: percentile(s, 50), unit: 'ms', note: `n=${s.length}` },
    { name: `${label}: p99`, value: percentile(s, 99), unit: 'ms', note: percentile(s, 99) <= TARGET_P99 ? `≤ ${TARGET_P99} ms target: ok` : `> ${TARGET_P99} ms target` },
    { name: `${label}: max`, value: s[s.length - 1], unit: 'ms' },
  );
}

export async function run(opts: { quick?: boolean; log?: (line: string) => void } = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((l: string) => console.log(l));
  const runs = quick
    ? [
        { k: 200, nud: false, spread: 1000 },
        { k: 2000, nud: false, spread: 1000 },
      ]
    : [
        { k: 200, nud: true, spread: 2000 },
        { k: 2000, nud: true, spread: 2000 },
      ];
  const rows: BenchResult[] = [];
  for (const r of runs) {
    const s = await scenario(r.k, r.nud, r.spread);
    const tag = `${r.k}`;
    summarize(`NS retransmit, ${tag} resolving`, s.retransmit, rows);
    summarize(`NUD probe, ${tag} in DELAY→PROBE`, s.probe, rows);
    summarize(`resolution failed (no packet), ${tag}`, s.failure, rows);
    const all = [...s.retransmit, ...s.probe];
    if (r.nud) summarize(`all timer-driven NS, ${tag}`, all, rows);
    rows.push(
      { name: `timers armed by the stack at once, ${tag}`, value: s.maxLive, unit: 'timer', note: 'most live setTimeouts (TimerCensus)' },
      {
        name: `timer wake-ups, ${tag}`,
        value: s.fired,
        unit: 'fires',
        note: `${s.deadlinesRun} entry deadlines measured; ${s.idle} came early and found nothing due (by ≤ ${s.earlyMax.toFixed(2)} ms); ${s.armed} setTimeout calls; ${(s.wallMs / 1000).toFixed(1)} s run`,
      },
    );
    if (s.missing.length) rows.push({ name: `MISSING, ${tag}`, value: s.missing.length, unit: '!', note: s.missing.join(', ') });
    log(`lateness of timer-driven NS, ${tag} entries per kind (${r.nud ? 'retransmissions and NUD probes' : 'retransmissions'}, ms):`);
    for (const l of histogram(all, { width: 40, bins: 10 })) log(`  ${l}`);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => printTable(`ND timer lateness on the real driver, one timer per stack (node ${process.version})`, rows),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
