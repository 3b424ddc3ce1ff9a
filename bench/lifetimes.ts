// How late do address lifetimes expire on the real driver (DESIGN.md §1.1, §3;
// paper §2)? Addresses share ONE lifetime deadline (AddressConfig.lifetimeAt):
// the earliest moment any address must be re-evaluated, but never sooner than
// LIFETIME_COALESCE (500 ms) after the previous lifetime pass, so
// near-simultaneous expiries are handled in one wake-up. A Stack with the
// SystemClock arms one setTimeout for its earliest deadline (Stack.reschedule).
// This runs that driver for real and measures, for every SLAAC address, when it
// was deprecated and removed against when it should have been.
//
// Scenario (one Stack, one memory link, acceptRa: true, slaac: true,
// dadTransmits: 0 so every address is preferred at once):
//   - a scripted router (link.port('router'), fe80::1, never attached: it only
//     injects) sends G = 6 Router Advertisements at fixed offsets
//     RA_OFFSETS = 0, 35, 80, 430, 470, 760 ms (three within 80 ms, two within
//     40 ms). Prefix 2001:db8:<i+1>::/64 (i < N, L and A set) goes in RA i mod G,
//     each RA split further if its PIOs would not fit the 1500-byte MTU.
//   - full run: preferred lifetime 2 + (5i mod 7) s (2..8 s), valid lifetime
//     preferred + 1 + (i mod 3) s; quick: 1 + ((i + ⌊i/G⌋) mod 3) s (1..3 s), valid
//     preferred + 1 s. Lifetimes are whole seconds on the wire, so the
//     sub-second offsets come from the RA arrival times: expiries cluster
//     within 100 ms (same lifetime, RAs 35–80 ms apart), some coincide exactly
//     (same RA, same lifetime: N = 60 has pairs), and the rest are spread over
//     the seconds.
//   - N = 20 and N = 60 (≤ MAX_ADDRS − 1 = 63 with the link-local address).
//
// For each address, the scheduled times are the stack's own: preferredUntil and
// validUntil of the ManagedAddress (stack.addrconf.list()), read when its
// AddressAdded event fires (createdAt = the RA's receive time + the lifetime).
// The actual times are performance.now() (the SystemClock's base) when
// AddressStateChanged{state: 'deprecated'} and AddressRemoved fire.
//   lateness            = actual − scheduled (includes the 0.5 s coalescing,
//                         by design up to ~500 ms)
//   lateness beyond bin = actual − max(scheduled, previous pass + 500 ms): what
//                         the timer and the pass itself add. A "pass" is a
//                         timer callback during which lifetimeWakeups grew; its
//                         time is taken just before the callback (a few µs
//                         before the stack reads its clock), so the bin start
//                         is slightly early and this figure slightly high.
// Timers are counted with TimerCensus (bench/timers.ts): the stack's timer is
// unref'd, so process.getActiveResourcesInfo() would not list it. The expected
// number of passes replays the scheduler's rule (pass at max(earliest due,
// previous + 500 ms)) on the scheduled times with zero lateness. Timer
// callbacks without a lifetime pass are attributed to whichever machine had a
// deadline due (router discovery: RS and the Prefix List, which expires each
// on-link prefix on its own deadline; MLD reports; neighbors), and for each
// address the time from its prefix's PrefixRemoved to its AddressRemoved is
// reported, since the prefixes here are on-link (L = 1) as from a real router.
//
//   node dist/bench/lifetimes.js [--quick]

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Stack } from '../src/stack/stack.js';
import { createMemoryLink } from '../src/device/memory.js';
import { LIFETIME_COALESCE, type ManagedAddress } from '../src/addrconf/addresses.js';
import * as L from '../src/wasm/layout.generated.js';
import { formatIp6, parseIp6, parseMac, type Ip6 } from '../src/wire/address.js';
import { emitRouterAdvert, type PrefixInformation } from '../src/wire/ra.js';
import { histogram, percentile } from '../src/cli/draw.js';
import type { StackEvent } from '../src/stack/events.js';
import { ethFrame } from '../test/support/frames.js';
import { TimerCensus } from './timers.js';
import { printTable, type BenchResult } from './csum.js';

const OUR_MAC = parseMac('02:00:00:00:00:01');
const ROUTER_MAC = parseMac('02:00:5e:00:00:01');
const ROUTER_LL = parseIp6('fe80::1');
const ALL_NODES = parseIp6('ff02::1');
/** When the router's RAs leave, ms after the scenario starts. */
export const RA_OFFSETS: readonly number[] = [0, 35, 80, 430, 470, 760];
/** IPv6 header + RA header + SLLAO; each Prefix Information option is 32 bytes. */
const RA_FIXED = 40 + 16 + 8;
const PIO_LEN = 32;
/** Target for the lateness beyond the 0.5 s bin. */
const TARGET_BIN_P99 = 50; // ms

export interface Lifetimes {
  preferred: number; // s
  valid: number; // s
}

/** The lifetimes the router gives prefix i. */
export function lifetimesOf(i: number, quick: boolean): Lifetimes {
  if (quick) {
    const preferred = 1 + ((i + Math.floor(i / RA_OFFSETS.length)) % 3);
    return { preferred, valid: preferred + 1 };
  }
  const preferred = 2 + ((5 * i) % 7);
  return { preferred, valid: preferred + 1 + (i % 3) };
}

const prefixOf = (i: number): Ip6 => {
  const p = parseIp6('2001:db8::');
  p[4] = (i + 1) >> 8;
  p[5] = (i + 1) & 0xff;
  return p;
};

/** RA frames (with correct ICMPv6 checksums) and when to send each, ms after the start. */
export function routerPlan(n: number, quick: boolean, mtu: number): Array<{ at: number; frame: Uint8Array; pios: number }> {
  const maxPios = Math.floor((mtu - RA_FIXED) / PIO_LEN);
  const plan: Array<{ at: number; frame: Uint8Array; pios: number }> = [];
  RA_OFFSETS.forEach((at, g) => {
    const pios: PrefixInformation[] = [];
    for (let i = g; i < n; i += RA_OFFSETS.length) {
      const lt = lifetimesOf(i, quick);
      pios.push({ prefixLength: 64, onLink: true, autonomous: true, validLifetime: lt.valid, preferredLifetime: lt.preferred, prefix: prefixOf(i) });
    }
    for (let k = 0; k < pios.length; k += maxPios) {
      const prefixes = pios.slice(k, k + maxPios);
      const ra = emitRouterAdvert({ curHopLimit: 64, routerLifetime: 1800, sourceLinkAddr: ROUTER_MAC, prefixes });
      const frame = ethFrame({ srcMac: ROUTER_MAC, src: ROUTER_LL, dst: ALL_NODES, hopLimit: 255, upper: ra });
      if (frame.length - 14 > mtu) throw new Error(`RA of ${frame.length - 14} bytes exceeds the ${mtu}-byte MTU`);
      plan.push({ at, frame, pios: prefixes.length });
    }
  });
  return plan;
}

/** Passes the scheduler would make with zero lateness: at max(earliest due, previous + LIFETIME_COALESCE). */
export function expectedPasses(deadlines: number[]): number {
  const s = [...deadlines].sort((a, b) => a - b);
  let prev = -Infinity;
  let passes = 0;
  for (let i = 0; i < s.length; ) {
    const at = Math.max(s[i], prev + LIFETIME_COALESCE);
    while (i < s.length && s[i] <= at) i++;
    prev = at;
    passes++;
  }
  return passes;
}

interface Tracked {
  ref: ManagedAddress;
  preferredUntil: number;
  validUntil: number;
  deprecatedAt?: number;
  removedAt?: number;
}

export interface ScenarioResult {
  n: number;
  ras: number;
  /** Lateness beyond the scheduled time (ms), per kind. */
  deprecated: number[];
  removed: number[];
  /** Lateness beyond the 0.5 s bin (ms), every expiry event. */
  beyondBin: number[];
  /** stack.addrconf.lifetimeWakeups during the scenario. */
  wakeups: number;
  expectedPasses: number;
  distinctDeadlines: number;
  /** Shortest time between two lifetime passes (ms), as measured here. */
  minGap: number;
  /** Longest and median lifetime pass (the whole timer callback, ms). */
  passMaxMs: number;
  passP50Ms: number;
  /** Most expiry events one pass handled. */
  maxEventsPerPass: number;
  maxLive: number;
  armed: number;
  fired: number;
  /** Timer callbacks that came before the stack's earliest deadline and found nothing due. */
  idle: number;
  earlyMax: number;
  /** Callbacks without a lifetime pass in which router discovery (RS, prefix list), MLD or neighbor deadlines were due. */
  otherRd: number;
  otherMld: number;
  otherNeigh: number;
  /** How long before its address's removal the on-link prefix left the Prefix List (ms; RouterDiscovery's own deadline). */
  prefixFirst: number[];
  wallMs: number;
  missing: string[];
}

export async function scenario(n: number, quick: boolean): Promise<ScenarioResult> {
  if (n < 1 || n + 1 > L.MAX_ADDRS) throw new RangeError(`1..${L.MAX_ADDRS - 1} prefixes (the link-local address takes one of ${L.MAX_ADDRS})`);
  const census = new TimerCensus();
  const link = createMemoryLink();
  const stack = new Stack({ interfaces: [{ link, name: 'mem0', mac: OUR_MAC, acceptRa: true, slaac: true, dadTransmits: 0 }] });
  const ifindex = stack.interface('mem0').ifindex;
  const router = link.port('router'); // not attached: only injects
  const plan = routerPlan(n, quick, link.mtu);
  const maxValid = Math.max(...Array.from({ length: n }, (_, i) => lifetimesOf(i, quick).valid));

  const tracked = new Map<string, Tracked>();
  const res: ScenarioResult = {
    n, ras: plan.length, deprecated: [], removed: [], beyondBin: [], wakeups: 0, expectedPasses: 0, distinctDeadlines: 0, minGap: Infinity,
    passMaxMs: 0, passP50Ms: 0, maxEventsPerPass: 0, maxLive: 0, armed: 0, fired: 0, idle: 0, earlyMax: 0, otherRd: 0, otherMld: 0, otherNeigh: 0,
    prefixFirst: [], wallMs: 0, missing: [],
  };
  let outsideTimer = 0;
  let untracked = 0;
  let removedCount = 0;

  // Lifetime passes, seen from the timer callbacks.
  const wakeups0 = stack.addrconf.lifetimeWakeups;
  const passAt: number[] = [];
  const passMs: number[] = [];
  let inTimer = false;
  let prevPass = -Infinity; // the pass before the current callback
  let eventsThisCb = 0;
  census.around = (cb) => {
    const t = performance.now();
    const early = stack.nextDeadline() - t;
    if (early > 0) {
      res.idle++;
      res.earlyMax = Math.max(res.earlyMax, early);
    }
    const rd = stack.routers.nextDeadline() <= t;
    const mld = stack.mld.nextDeadline() <= t;
    const neigh = stack.neighbors.nextDeadline() <= t;
    const w = stack.addrconf.lifetimeWakeups;
    prevPass = passAt.length ? passAt[passAt.length - 1] : -Infinity;
    inTimer = true;
    eventsThisCb = 0;
    try {
      cb();
    } finally {
      inTimer = false;
    }
    const ranPasses = stack.addrconf.lifetimeWakeups - w;
    if (ranPasses > 0) {
      passAt.push(t);
      passMs.push(performance.now() - t);
      res.maxEventsPerPass = Math.max(res.maxEventsPerPass, eventsThisCb);
      if (ranPasses > 1) res.missing.push(`${ranPasses} lifetime passes in one callback`);
    } else {
      if (rd) res.otherRd++;
      if (mld) res.otherMld++;
      if (neigh) res.otherNeigh++;
    }
  };

  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const expired = (tr: Tracked, scheduled: number, t: number): number => {
    eventsThisCb++;
    if (!inTimer) outsideTimer++;
    res.beyondBin.push(t - Math.max(scheduled, prevPass + LIFETIME_COALESCE));
    return t - scheduled;
  };
  const prefixGone = new Map<string, number>();
  stack.on('event', (ev: StackEvent) => {
    const t = performance.now();
    if (ev.type === 'PrefixRemoved') prefixGone.set(ev.prefix, t);
    if (ev.type === 'AddressAdded' && ev.origin === 'slaac') {
      const a = stack.addrconf.list(ifindex).find((x) => x.origin === 'slaac' && stack.formatAddr(x.addr) === ev.address);
      if (!a) return void untracked++;
      tracked.set(ev.address, { ref: a, preferredUntil: a.preferredUntil, validUntil: a.validUntil });
    } else if (ev.type === 'AddressStateChanged' && ev.state === 'deprecated') {
      const tr = tracked.get(ev.address);
      if (!tr) return void untracked++;
      if (tr.deprecatedAt !== undefined) res.missing.push(`${ev.address} deprecated twice`);
      tr.deprecatedAt = t;
      res.deprecated.push(expired(tr, tr.preferredUntil, t));
    } else if (ev.type === 'AddressRemoved') {
      const tr = tracked.get(ev.address);
      if (!tr) return;
      tr.removedAt = t;
      res.removed.push(expired(tr, tr.validUntil, t));
      const p = tr.ref.addr.slice();
      p.fill(0, 8);
      const gone = prefixGone.get(`${formatIp6(p)}/64`);
      if (gone !== undefined) res.prefixFirst.push(t - gone);
      if (++removedCount === n) finish();
    }
  });

  // The router, on the benchmark's own (uncounted) timers.
  const t0 = performance.now();
  for (const p of plan) census.realSetTimeout(() => link.inject(router, p.frame), p.at);
  // Safety net: the last address should go ~maxValid s after the last RA (+ one 0.5 s bin).
  const guard = census.realSetTimeout(finish, RA_OFFSETS[RA_OFFSETS.length - 1] + maxValid * 1000 + 3000);
  await finished;
  census.realClearTimeout(guard);
  res.wallMs = performance.now() - t0;
  res.wakeups = stack.addrconf.lifetimeWakeups - wakeups0;
  res.maxLive = census.maxLive;
  res.armed = census.armed;
  res.fired = census.fired;
  for (let k = 1; k < passAt.length; k++) res.minGap = Math.min(res.minGap, passAt[k] - passAt[k - 1]);
  const sortedPass = [...passMs].sort((a, b) => a - b);
  res.passMaxMs = sortedPass[sortedPass.length - 1] ?? 0;
  res.passP50Ms = percentile(sortedPass, 50);
  const deadlines = [...tracked.values()].flatMap((tr) => [tr.preferredUntil, tr.validUntil]);
  res.expectedPasses = expectedPasses(deadlines);
  res.distinctDeadlines = new Set(deadlines).size;
  stack.close();
  router.close();
  census.uninstall();

  if (tracked.size !== n) res.missing.push(`${tracked.size} of ${n} addresses formed`);
  const noDep = [...tracked.values()].filter((tr) => tr.deprecatedAt === undefined).length;
  if (noDep) res.missing.push(`${noDep} addresses never deprecated`);
  if (removedCount < n) res.missing.push(`${n - removedCount} addresses never removed`);
  const changed = [...tracked.values()].filter((tr) => tr.ref.preferredUntil !== tr.preferredUntil || tr.ref.validUntil !== tr.validUntil).length;
  if (changed) res.missing.push(`${changed} addresses had their lifetimes changed after creation`);
  if (outsideTimer) res.missing.push(`${outsideTimer} expiry events outside a timer callback`);
  if (untracked) res.missing.push(`${untracked} events for addresses not seen being added`);
  if (passAt.length !== res.wakeups) res.missing.push(`${res.wakeups} lifetime wake-ups, ${passAt.length} seen in timer callbacks`);
  if (link.dropped) res.missing.push(`${link.dropped} frames dropped by the link`);
  return res;
}

function summarize(label: string, v: number[], rows: BenchResult[], target?: number): void {
  if (!v.length) return;
  const s = [...v].sort((a, b) => a - b);
  const p99 = percentile(s, 99);
  rows.push(
    { name: `${label}: p50`, value: percentile(s, 50), unit: 'ms', note: `n=${s.length}` },
    { name: `${label}: p99`, value: p99, unit: 'ms', note: target === undefined ? undefined : p99 <= target ? `≤ ${target} ms target: ok` : `> ${target} ms target` },
    { name: `${label}: max`, value: s[s.length - 1], unit: 'ms' },
  );
}

export async function run(opts: { quick?: boolean; log?: (line: string) => void } = {}): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((l: string) => console.log(l));
  const rows: BenchResult[] = [];
  for (const n of [20, 60]) {
    const s = await scenario(n, quick);
    const tag = `N=${n}`;
    const events = s.deprecated.length + s.removed.length;
    summarize(`deprecated after preferredUntil, ${tag}`, s.deprecated, rows);
    summarize(`removed after validUntil, ${tag}`, s.removed, rows);
    summarize(`beyond the 0.5 s bin, ${tag}`, s.beyondBin, rows, TARGET_BIN_P99);
    rows.push(
      {
        name: `lifetime wake-ups, ${tag}`,
        value: s.wakeups,
        unit: 'passes',
        note: `${events} expiry events (${s.distinctDeadlines} distinct deadlines); ${s.expectedPasses} passes by the rule on the schedule; up to ${s.maxEventsPerPass} events in one pass`,
      },
      { name: `expiry events per wake-up, ${tag}`, value: s.wakeups ? events / s.wakeups : 0, unit: 'ev/wk' },
      {
        name: `shortest gap between passes, ${tag}`,
        value: Number.isFinite(s.minGap) ? s.minGap : 0,
        unit: 'ms',
        note: !Number.isFinite(s.minGap) ? 'one pass' : s.minGap >= LIFETIME_COALESCE - 0.05 ? `≥ ${LIFETIME_COALESCE} ms: ok` : `< ${LIFETIME_COALESCE} ms`,
      },
      { name: `lifetime pass duration, ${tag}: p50`, value: s.passP50Ms, unit: 'ms', note: `max ${s.passMaxMs.toFixed(2)} ms (whole timer callback)` },
      { name: `timers armed by the stack at once, ${tag}`, value: s.maxLive, unit: 'timer', note: s.maxLive <= 1 ? 'at most one: ok' : 'more than one' },
      {
        name: `timer wake-ups, ${tag}`,
        value: s.fired,
        unit: 'fires',
        note:
          `${s.wakeups} lifetime passes, ${s.fired - s.wakeups} others (router discovery due in ${s.otherRd}, MLD in ${s.otherMld}, neighbors in ${s.otherNeigh}; ` +
          `${s.idle} early by ≤ ${s.earlyMax.toFixed(2)} ms); ${s.armed} setTimeout calls; ${s.ras} RAs; ${(s.wallMs / 1000).toFixed(1)} s run`,
      },
    );
    if (s.prefixFirst.length) {
      const pf = [...s.prefixFirst].sort((a, b) => a - b);
      rows.push({
        name: `prefix list entry gone before its address, ${tag}`,
        value: percentile(pf, 50),
        unit: 'ms',
        note: `p50; max ${pf[pf.length - 1].toFixed(1)} ms, n=${pf.length} (the Prefix List expires each on-link prefix on its own deadline)`,
      });
    }
    if (s.missing.length) rows.push({ name: `MISSING, ${tag}`, value: s.missing.length, unit: '!', note: s.missing.join(', ') });
    log(`lateness after the scheduled time, ${tag} (deprecations and removals, ms):`);
    for (const l of histogram([...s.deprecated, ...s.removed], { width: 40, bins: 10 })) log(`  ${l}`);
    log(`lateness beyond the 0.5 s bin, ${tag} (ms):`);
    for (const l of histogram(s.beyondBin, { width: 40, bins: 10 })) log(`  ${l}`);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => printTable(`Address lifetime lateness on the real driver, one coalesced deadline (node ${process.version})`, rows),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
