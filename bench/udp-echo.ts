/**
 * UDP echo benchmark: how many UDP request/reply round trips per second a
 * wasagi echo server answers over a TAP device, next to echo servers on the
 * Linux kernel's stack over veth, measured in the same run.
 *
 * What is measured
 * ----------------
 * One load generator for every target, bench/udp-echo-client.c (compiled
 * with `cc -O2` into a temporary directory at bench time), keeps a window of
 * W requests in flight on a connected UDP socket and replaces each reply (or
 * each request unanswered after --timeout ms, counted as lost) with a new
 * request at once. W = 1 is a latency-bound rate like `ping -f`; W = 16 lets
 * the server batch, so it is closer to its throughput. The client reports
 * pps = replies / (first request to last reply), RTT min/avg/max (and
 * p50/p99/p99.9) from CLOCK_MONOTONIC, lost and late replies. Before each
 * measurement it probes until one reply comes (neighbor resolution and a new
 * link's first second are not measured) and runs --warmup seconds of the
 * same traffic unmeasured, for every target alike.
 *
 *   wasagi  namespace wsgb-<pid>-ua holds TAP wsgu0 (kernel side
 *           2001:db8:b::1/64, 10.77.0.1/24); `wasagi up --udp-echo 7007`
 *           attaches as 2001:db8:b::2 (and 10.77.0.2 once IPv4 lands) and
 *           echoes on a dual-stack udp6 socket of stack.dgram; the client
 *           runs in the same namespace, on the kernel side of the TAP.
 *   kernel  namespaces wsgb-<pid>-uk1/-uk2 joined by a veth pair
 *           (2001:db8:c::1, 2001:db8:c::2; 10.78.0.1, 10.78.0.2); in uk2 a C
 *           echo server (bench/udp-echo-server.c: recvmmsg/sendmmsg on one
 *           dual-stack socket) answers on port 7007, so the baseline is the
 *           kernel's stack and nothing else.
 *   node    in uk2 as well, port 7008: the same echo code on node:dgram
 *           (bench/udp-echo-node-server.ts), what a Node user would run on
 *           the kernel instead of wasagi.
 * The three servers of a placement run at the same time (idle ones block in
 * the kernel) and the three clients of a case run back to back, so each
 * ratio compares measurements seconds apart.
 *
 * CPU placement (see bench/flood-ping.ts for why it matters on VMs): the
 * client always runs on CPU 0; "same-cpu" pins every server to CPU 0,
 * "cross-cpu" to CPU 1. Unlike ICMP echo, a kernel UDP echo needs its server
 * process to wake up, so the kernel baselines are same-/cross-CPU as well
 * (veth processes the request in softirq on the client's CPU and wakes the
 * server wherever it is pinned).
 *
 * IPv4 rows need wasagi to accept an IPv4 --addr. Until it does, the stack is
 * started with its IPv6 address only and the IPv4 wasagi rows say
 * "unavailable: <reason>" (the kernel rows are still measured).
 *
 * Usage: node dist/bench/udp-echo.js [--quick] [--duration S] [--warmup S] [--wasagi-busy-poll US]
 *          [--timeout MS] [--sizes 64,1400] [--windows 1,16] [--families 6,4]
 *          [--placements same-cpu,cross-cpu] [--root DIR] [--no-save] [--json] [--draw]
 * Needs root, iproute2, taskset, a C compiler ($CC or cc), /dev/net/tun and
 * the built native addon; otherwise prints "skipped: <reason>" and exits 0.
 * Progress goes to stderr, the table (or JSON with --json) to stdout, and the
 * JSON report is also written to <root>/bench/results/udp-echo-<date>.json.
 * --draw adds, after the table, the RTT distributions of wasagi and of the
 * kernel for each case, one above the other on the same bins (from the
 * client's histogram, which the JSON report keeps as rttHistUs).
 * What it shares with bench/flood-ping.ts (skip checks, placement, starting
 * and stopping servers, report, table layout, command line) is in
 * bench/harness.ts; namespaces, veth and TAP in bench/netns.ts.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as netns from './netns.js';
import {
  alignColumns,
  benchMain,
  COMMON_OPTIONS,
  commonUsage,
  describeHost,
  errorText,
  exitText,
  failureText,
  findProjectRoot,
  finishReport,
  fmt,
  hostEnvironment,
  missingToolReason,
  onPath,
  parseNumbers,
  parsePlacements,
  pinned,
  platformSkipReason,
  PLACEMENTS,
  PLACEMENTS_USAGE,
  placementsToRun,
  Progress,
  reportHead,
  runIfMain,
  saveReport,
  startWithReadyLine,
  stopAndRecord,
  tail,
  tapSkipReason,
  wasagiUpCommand,
  WASAGI_READY_PREFIX,
  type BenchReport,
  type HostEnvironment,
  type Placement,
  type ProcessOutcome,
} from './harness.js';
import { lossPercent, meetsTarget, parseClientOutput, ratio, TARGET_RATIO, type ClientResult } from './udp-echo-parse.js';
import { bucketHistograms } from '../src/cli/draw.js';

export { PLACEMENTS, WASAGI_READY_PREFIX, type Placement };

// ---------------------------------------------------------------------------
// Configuration

export const DEFAULT_SIZES: readonly number[] = [64, 1400];
export const DEFAULT_WINDOWS: readonly number[] = [1, 16];
export const FAMILIES = [6, 4] as const;
export type Family = (typeof FAMILIES)[number];
export const TARGETS = ['wasagi', 'kernel', 'node'] as const;
export type Target = (typeof TARGETS)[number];

/** Seconds measured per case and target, and unmeasured warm-up before it. */
export const DEFAULT_DURATION_S = 3;
export const DEFAULT_WARMUP_S = 0.5;
export const QUICK_DURATION_S = 1;
export const QUICK_WARMUP_S = 0.25;
/** A request unanswered this long is lost. */
export const DEFAULT_TIMEOUT_MS = 100;

/** CPUs of the servers and of the client for each placement. */
export const PLACEMENT_CPUS: Readonly<Record<Placement, { serverCpu: number; clientCpu: number }>> = {
  'same-cpu': { serverCpu: 0, clientCpu: 0 },
  'cross-cpu': { serverCpu: 1, clientCpu: 0 },
};

/** Echo ports: wasagi and the C server (different namespaces) share one. */
export const ECHO_PORT = 7007;
export const NODE_ECHO_PORT = 7008;

export const TAP_SETUP = {
  nsTag: 'ua',
  ifname: 'wsgu0',
  mtu: 1500,
  kernelAddrs: { 6: '2001:db8:b::1/64', 4: '10.77.0.1/24' },
  stackAddrs: { 6: '2001:db8:b::2/64', 4: '10.77.0.2/24' },
  stackMac: '02:00:5e:00:00:02',
  destinations: { 6: '2001:db8:b::2', 4: '10.77.0.2' },
} as const;

export const VETH_SETUP = {
  nsTags: ['uk1', 'uk2'],
  ifnames: ['wsguk1', 'wsguk2'],
  addrs: [
    { 6: '2001:db8:c::1/64', 4: '10.78.0.1/24' },
    { 6: '2001:db8:c::2/64', 4: '10.78.0.2/24' },
  ],
  destinations: { 6: '2001:db8:c::2', 4: '10.78.0.2' },
} as const;

/** Line the C and Node echo servers print once bound. */
export const SERVER_READY = 'ready';

/** UDP payload bounds: the client's 16-byte header, and the 1500-byte MTU over IPv6 (1500 - 40 - 8). */
export const MIN_SIZE = 16;
export const MAX_SIZE = 1452;
export const MAX_WINDOW = 1024;

export interface WasagiCommandParams {
  root: string;
  cpu: number;
  /** Stack addresses with prefix length. */
  addrs: readonly string[];
  ctl: string;
  port: number;
  /** `--busy-poll US` for the stack; undefined keeps its default. */
  busyPollUs?: number;
}

/** The stack's command line (run inside the namespace); the same node binary as the harness. */
export function wasagiCommand(p: WasagiCommandParams): string[] {
  return wasagiUpCommand(
    { root: p.root, cpu: p.cpu, tap: TAP_SETUP.ifname, mac: TAP_SETUP.stackMac, addrs: p.addrs, ctl: p.ctl },
    ['--udp-echo', String(p.port), ...(p.busyPollUs === undefined ? [] : ['--busy-poll', String(p.busyPollUs)])],
  );
}

export interface ClientCommandParams {
  binary: string;
  cpu: number;
  family: Family;
  destination: string;
  port: number;
  size: number;
  window: number;
  durationS: number;
  warmupS: number;
  timeoutMs: number;
}

/** The load generator's command line. */
export function clientCommand(p: ClientCommandParams): string[] {
  return pinned(p.cpu, [
    p.binary, `-${p.family}`, '-a', p.destination, '-p', String(p.port),
    '-s', String(p.size), '-W', String(p.window), '-d', String(p.durationS), '-w', String(p.warmupS),
    '-t', String(p.timeoutMs),
  ]);
}

// ---------------------------------------------------------------------------
// Report types

export interface UdpEchoOptions {
  durationS?: number;
  warmupS?: number;
  timeoutMs?: number;
  sizes?: readonly number[];
  windows?: readonly number[];
  families?: readonly Family[];
  placements?: readonly Placement[];
  /** The stack's --busy-poll in µs (default: not passed, so the stack's own default). */
  wasagiBusyPollUs?: number;
  root?: string;
  /** Wait this long for a server's ready line (default 30000: the stack warms its JIT first). */
  startTimeoutMs?: number;
  /** Write the JSON report to <root>/bench/results (default true; not for skipped runs). */
  save?: boolean;
  /** Progress sink (default: stderr with elapsed time). */
  log?: (line: string) => void;
}

/** One echo server of a placement; how it ended (ProcessOutcome) after SIGINT. */
export interface ServerInfo extends ProcessOutcome {
  target: Target;
  argv: string[];
  namespace: string;
  cpu: number;
  /** From spawn to the ready line. */
  startMs: number | null;
  /** Why the server (or its IPv4 side) is not available, or null. */
  error: string | null;
  /** IPv4 not offered by this server (wasagi before its IPv4 support). */
  v4Unavailable: string | null;
}

export interface TargetResult {
  target: Target;
  namespace: string;
  destination: string;
  port: number;
  serverCpu: number;
  clientCpu: number;
  /** The client's figures, or null when the measurement failed or was unavailable. */
  result: ClientResult | null;
  lossPercent: number | null;
  /** "unavailable: <reason>" for cases the target cannot serve yet (wasagi IPv4). */
  unavailable: string | null;
  error: string | null;
  wallMs: number;
}

export interface UdpEchoRow {
  family: Family;
  size: number;
  window: number;
  placement: Placement;
  wasagi: TargetResult;
  kernel: TargetResult;
  node: TargetResult;
  /** wasagi pps / baseline pps. */
  ratio: { kernel: number | null; node: number | null };
  /** ratio.kernel ≥ TARGET_RATIO. */
  meetsTarget: boolean | null;
}

export interface UdpEchoReport extends BenchReport<'udp-echo'> {
  config: {
    durationS: number;
    warmupS: number;
    timeoutMs: number;
    sizes: number[];
    windows: number[];
    families: Family[];
    placements: Placement[];
    placementCpus: Record<Placement, { serverCpu: number; clientCpu: number }>;
    /** null: the stack's default. */
    wasagiBusyPollUs: number | null;
    targetRatio: number;
    root: string;
    wasagiCommand: string[];
    clientCommand: string[];
    kernelServerCommand: string[];
    nodeServerCommand: string[];
  };
  environment: HostEnvironment & { cc: string | null };
  servers: ServerInfo[];
  rows: UdpEchoRow[];
}

// ---------------------------------------------------------------------------
// Small helpers

/** The C compiler: $CC or cc. */
export function compiler(): string {
  return process.env.CC && process.env.CC.trim() !== '' ? process.env.CC.trim() : 'cc';
}

/** Reason the benchmark cannot run here, or null. */
export function skipReason(root: string): string | null {
  const reason = platformSkipReason() ?? missingToolReason(['ip', 'taskset']);
  if (reason !== null) return reason;
  const cc = compiler();
  if (onPath(cc.split(/\s+/)[0] ?? cc) === null) return `no C compiler (\`${cc}\` not found; set CC) for the load generator`;
  const tap = tapSkipReason(root);
  if (tap !== null) return tap;
  for (const f of [path.join(root, 'bin', 'wasagi.js'), nodeServerScript(root)]) {
    if (!existsSync(f)) return `${f} is missing (npm run build)`;
  }
  for (const f of ['udp-echo-client.c', 'udp-echo-server.c']) {
    if (!existsSync(path.join(root, 'bench', f))) return `${path.join(root, 'bench', f)} is missing`;
  }
  return null;
}

function nodeServerScript(root: string): string {
  return path.join(root, 'dist', 'bench', 'udp-echo-node-server.js');
}

/** Compile the client and the C server into `dir`; throws with the compiler's output. */
async function compile(root: string, dir: string): Promise<{ client: string; server: string }> {
  const [cc, ...ccArgs] = compiler().split(/\s+/);
  const out = { client: path.join(dir, 'udp-echo-client'), server: path.join(dir, 'udp-echo-server') };
  for (const [name, bin] of [['udp-echo-client', out.client], ['udp-echo-server', out.server]] as const) {
    const r = await netns.run([cc ?? 'cc', ...ccArgs, '-O2', '-Wall', '-o', bin, path.join(root, 'bench', `${name}.c`)], {
      timeoutMs: 60_000,
    });
    if (r.code !== 0 || r.timedOut) throw new Error(`could not compile bench/${name}.c: ${tail(r.stderr || r.stdout) || `exit ${r.code}`}`);
  }
  return out;
}

/** First line of `cc --version`, for the report's environment block. */
async function ccVersion(): Promise<string | null> {
  try {
    const r = await netns.run([compiler().split(/\s+/)[0] ?? 'cc', '--version'], { timeoutMs: 5000 });
    return r.code === 0 ? r.stdout.split('\n')[0]?.trim() || null : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Servers

interface RunningServer {
  info: ServerInfo;
  proc: netns.ProcHandle;
}

/** Spawn a server in `info.namespace` and wait for a stdout line starting with `ready`. */
async function startServer(info: ServerInfo, ready: string, timeoutMs: number): Promise<RunningServer> {
  const s = await startWithReadyLine(info.namespace, info.argv, {
    ready,
    timeoutMs,
    stopTimeoutMs: 5000,
    who: `${info.target} server`,
    tail: (t) => tail(t, 2000),
  });
  info.startMs = s.startMs;
  return { info, proc: s.proc };
}

async function stopServer(s: RunningServer): Promise<void> {
  await stopAndRecord(s.proc, s.info, { timeoutMs: 5000, failed: s.info.error !== null, tail: (t) => tail(t, 2000) });
}

function newServerInfo(target: Target, namespace: string, cpu: number, argv: string[]): ServerInfo {
  return {
    target,
    argv,
    namespace,
    cpu,
    startMs: null,
    error: null,
    v4Unavailable: null,
    exitCode: null,
    exitSignal: null,
    forcedKill: false,
  };
}

/**
 * Start the stack; with IPv4 wanted, first with both addresses and, if the
 * stack refuses the IPv4 one, again with IPv6 only (v4Unavailable says why).
 */
async function startWasagi(
  ctx: RunContext,
  ns: string,
  cpu: number,
  ctl: string,
): Promise<RunningServer> {
  const v6 = TAP_SETUP.stackAddrs[6];
  const v4 = TAP_SETUP.stackAddrs[4];
  const wantV4 = ctx.families.includes(4);
  const common = { root: ctx.root, cpu, ctl, port: ECHO_PORT, busyPollUs: ctx.busyPollUs };
  const argv = wasagiCommand({ ...common, addrs: wantV4 ? [v6, v4] : [v6] });
  const info = newServerInfo('wasagi', ns, cpu, argv);
  try {
    return await startServer(info, WASAGI_READY_PREFIX, ctx.startTimeoutMs);
  } catch (e) {
    if (!wantV4) throw e;
    const why = errorText(e);
    ctx.progress.line(`wasagi refused ${v4}; starting it with IPv6 only`);
    info.argv = wasagiCommand({ ...common, addrs: [v6] });
    const s = await startServer(info, WASAGI_READY_PREFIX, ctx.startTimeoutMs);
    const m = /wasagi up: (.*)/.exec(why);
    info.v4Unavailable = `wasagi up --addr ${v4} failed: ${(m?.[1] ?? why).slice(0, 300)}`;
    return s;
  }
}

// ---------------------------------------------------------------------------
// Measurement

interface RunContext {
  root: string;
  client: string;
  cServer: string;
  families: Family[];
  durationS: number;
  warmupS: number;
  timeoutMs: number;
  startTimeoutMs: number;
  busyPollUs: number | undefined;
  progress: Progress;
}

interface Case {
  family: Family;
  size: number;
  window: number;
  placement: Placement;
}

function caseLabel(c: Case): string {
  return `IPv${c.family} ${c.size} B W=${c.window} ${c.placement}`;
}

function emptyResult(target: Target, ns: string, destination: string, port: number, serverCpu: number, clientCpu: number): TargetResult {
  return { target, namespace: ns, destination, port, serverCpu, clientCpu, result: null, lossPercent: null, unavailable: null, error: null, wallMs: 0 };
}

/** Client runtime bound: probes (≤ 10 s) + warm-up + duration + drains + slack. */
export function clientTimeoutMs(durationS: number, warmupS: number, timeoutMs: number): number {
  return Math.ceil(10_000 + (durationS + warmupS) * 1000 + 2 * timeoutMs + 10_000);
}

async function measure(
  ctx: RunContext,
  c: Case,
  target: Target,
  server: RunningServer | null,
  clientNs: string,
): Promise<TargetResult> {
  const { serverCpu, clientCpu } = PLACEMENT_CPUS[c.placement];
  const destination = target === 'wasagi' ? TAP_SETUP.destinations[c.family] : VETH_SETUP.destinations[c.family];
  const port = target === 'node' ? NODE_ECHO_PORT : ECHO_PORT;
  const r = emptyResult(target, clientNs, destination, port, serverCpu, clientCpu);
  const t0 = performance.now();
  try {
    if (server === null) throw new Error('server not running');
    if (server.info.error !== null) throw new Error(`server not running: ${server.info.error}`);
    if (c.family === 4 && server.info.v4Unavailable !== null) {
      r.unavailable = `unavailable: ${server.info.v4Unavailable}`;
      return r;
    }
    const early = server.proc.exitStatus();
    if (early !== null) {
      server.info.error = `exited (${exitText(early)})`;
      throw new Error(`server ${server.info.error}`);
    }
    const argv = clientCommand({
      binary: ctx.client,
      cpu: clientCpu,
      family: c.family,
      destination,
      port,
      size: c.size,
      window: c.window,
      durationS: ctx.durationS,
      warmupS: ctx.warmupS,
      timeoutMs: ctx.timeoutMs,
    });
    const run = await netns.runInNs(clientNs, argv, { timeoutMs: clientTimeoutMs(ctx.durationS, ctx.warmupS, ctx.timeoutMs) });
    if (run.spawnError) throw new Error(`could not start the client: ${run.spawnError}`);
    if (run.timedOut) throw new Error('the client did not finish in time');
    const out = parseClientOutput(run.stdout);
    if (out === null) throw new Error(`client printed no result (exit ${run.code}): ${tail(run.stderr || run.stdout) || '(empty)'}`);
    if (!out.ok) {
      if (target === 'wasagi' && c.family === 4 && /no reply to \d+ probes/.test(out.error)) {
        // The stack took the IPv4 address but does not answer over IPv4 yet:
        // say so for this and every later IPv4 case of this server.
        server.info.v4Unavailable = `wasagi took ${TAP_SETUP.stackAddrs[4]} but does not answer UDP over IPv4 (${out.error})`;
        r.unavailable = `unavailable: ${server.info.v4Unavailable}`;
        return r;
      }
      throw new Error(out.error);
    }
    r.result = out.result;
    r.lossPercent = lossPercent(out.result);
    if (out.result.received === 0) r.error = 'no replies during the measurement';
    const after = server.proc.exitStatus();
    if (after !== null) {
      server.info.error = `exited during the measurement (${exitText(after)})`;
      r.error = `server ${server.info.error}`;
    }
  } catch (e) {
    r.error = failureText(e);
  } finally {
    r.wallMs = Math.round(performance.now() - t0);
  }
  return r;
}

function describe(label: string, r: TargetResult): string {
  if (r.unavailable !== null) return `${label}: ${r.unavailable}`;
  const x = r.result;
  if (x === null) return `${label}: FAILED: ${r.error ?? 'no result'}`;
  const rtt = x.rttAvgMs === null ? '' : `, rtt avg ${x.rttAvgMs.toFixed(3)} max ${x.rttMaxMs?.toFixed(3)} ms`;
  return `${label}: ${x.received}/${x.sent} replies, ${Math.round(x.pps)} pps${rtt}${x.lost ? `, ${x.lost} lost` : ''}${r.error ? ` (${r.error})` : ''}`;
}

/** All cases of one placement: build both networks, start the three servers, run every case. */
async function runPlacement(ctx: RunContext, placement: Placement, cases: Case[], report: UdpEchoReport): Promise<void> {
  const { serverCpu } = PLACEMENT_CPUS[placement];
  const nsA = netns.nsName(TAP_SETUP.nsTag);
  const [nsK1, nsK2] = [netns.nsName(VETH_SETUP.nsTags[0]), netns.nsName(VETH_SETUP.nsTags[1])];
  const { dir: tmp, release } = netns.makeTempDir();
  const servers: Partial<Record<Target, RunningServer>> = {};
  const failed: Partial<Record<Target, string>> = {};
  try {
    await netns.withNamespaces([nsA, nsK1, nsK2], async () => {
      ctx.progress.line(`${placement}: creating ${nsA} with TAP ${TAP_SETUP.ifname}, ${nsK1} <-veth-> ${nsK2}`);
      await netns.createTap(nsA, TAP_SETUP.ifname, { mtu: TAP_SETUP.mtu, addr: TAP_SETUP.kernelAddrs[6] });
      await netns.ip(['addr', 'add', TAP_SETUP.kernelAddrs[4], 'dev', TAP_SETUP.ifname], nsA);
      await netns.createVethPair(
        { ns: nsK1, ifname: VETH_SETUP.ifnames[0], addr: VETH_SETUP.addrs[0][6] },
        { ns: nsK2, ifname: VETH_SETUP.ifnames[1], addr: VETH_SETUP.addrs[1][6] },
      );
      await netns.ip(['addr', 'add', VETH_SETUP.addrs[0][4], 'dev', VETH_SETUP.ifnames[0]], nsK1);
      await netns.ip(['addr', 'add', VETH_SETUP.addrs[1][4], 'dev', VETH_SETUP.ifnames[1]], nsK2);

      const starters: Array<[Target, () => Promise<RunningServer>]> = [
        ['wasagi', () => startWasagi(ctx, nsA, serverCpu, path.join(tmp, 'ctl.sock'))],
        [
          'kernel',
          () =>
            startServer(
              newServerInfo('kernel', nsK2, serverCpu, pinned(serverCpu, [ctx.cServer, '-p', String(ECHO_PORT)])),
              SERVER_READY,
              ctx.startTimeoutMs,
            ),
        ],
        [
          'node',
          () =>
            startServer(
              newServerInfo(
                'node',
                nsK2,
                serverCpu,
                pinned(serverCpu, [process.execPath, nodeServerScript(ctx.root), String(NODE_ECHO_PORT)]),
              ),
              SERVER_READY,
              ctx.startTimeoutMs,
            ),
        ],
      ];
      try {
        for (const [target, start] of starters) {
          ctx.progress.line(`${placement}: starting the ${target} echo server on CPU ${serverCpu}`);
          try {
            const s = await start();
            servers[target] = s;
            report.servers.push(s.info);
            const v4 = s.info.v4Unavailable ? ` (IPv4 ${s.info.v4Unavailable})` : '';
            ctx.progress.line(`${placement}: ${target} ready after ${((s.info.startMs ?? 0) / 1000).toFixed(1)} s${v4}`);
          } catch (e) {
            if (e instanceof netns.InterruptedError) throw e;
            failed[target] = errorText(e);
            report.errors.push(`${placement} ${target} server: ${errorText(e)}`);
            ctx.progress.line(`${placement}: ${target} server FAILED: ${errorText(e)}`);
          }
        }
        for (const c of cases) {
          const results = {} as Record<Target, TargetResult>;
          for (const target of TARGETS) {
            const s = servers[target] ?? null;
            const r = await measure(ctx, c, target, s, target === 'wasagi' ? nsA : nsK1);
            if (s === null && failed[target] !== undefined) r.error = `server did not start: ${failed[target]}`;
            results[target] = r;
            ctx.progress.line(describe(`${caseLabel(c)} ${target}`, r));
            if (r.error !== null) report.errors.push(`${caseLabel(c)} ${target}: ${r.error}`);
          }
          const w = results.wasagi.result?.pps ?? null;
          const k = ratio(w, results.kernel.result?.pps);
          report.rows.push({
            ...c,
            wasagi: results.wasagi,
            kernel: results.kernel,
            node: results.node,
            ratio: { kernel: k, node: ratio(w, results.node.result?.pps) },
            meetsTarget: meetsTarget(k),
          });
        }
      } finally {
        for (const s of Object.values(servers)) await stopServer(s);
      }
    });
  } finally {
    release();
  }
}

// ---------------------------------------------------------------------------
// Entry point

function validate(o: {
  durationS: number;
  warmupS: number;
  timeoutMs: number;
  sizes: readonly number[];
  windows: readonly number[];
  families: readonly number[];
  placements: readonly string[];
}): void {
  if (!(o.durationS > 0) || o.durationS > 3600) throw new RangeError(`duration must be in (0, 3600] s (got ${o.durationS})`);
  if (!(o.warmupS >= 0) || o.warmupS > 3600) throw new RangeError(`warmup must be in [0, 3600] s (got ${o.warmupS})`);
  if (!(o.timeoutMs >= 1) || o.timeoutMs > 10_000) throw new RangeError(`timeout must be 1..10000 ms (got ${o.timeoutMs})`);
  if (o.sizes.length === 0) throw new RangeError('no sizes given');
  for (const s of o.sizes) {
    if (!Number.isInteger(s) || s < MIN_SIZE || s > MAX_SIZE) throw new RangeError(`size ${s} out of range ${MIN_SIZE}..${MAX_SIZE}`);
  }
  if (o.windows.length === 0) throw new RangeError('no windows given');
  for (const w of o.windows) {
    if (!Number.isInteger(w) || w < 1 || w > MAX_WINDOW) throw new RangeError(`window ${w} out of range 1..${MAX_WINDOW}`);
  }
  if (o.families.length === 0) throw new RangeError('no families given');
  for (const f of o.families) if (f !== 4 && f !== 6) throw new RangeError(`unknown family ${f} (4 or 6)`);
  if (o.placements.length === 0) throw new RangeError('no placements given');
  for (const p of o.placements) if (!(PLACEMENTS as readonly string[]).includes(p)) throw new RangeError(`unknown placement ${p}`);
}

/** Run the whole benchmark. Never throws for a failed measurement (see report.errors). */
export async function udpEcho(opts: UdpEchoOptions = {}): Promise<UdpEchoReport> {
  const started = new Date();
  const t0 = performance.now();
  const durationS = opts.durationS ?? DEFAULT_DURATION_S;
  const warmupS = opts.warmupS ?? DEFAULT_WARMUP_S;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sizes = [...(opts.sizes ?? DEFAULT_SIZES)];
  const windows = [...(opts.windows ?? DEFAULT_WINDOWS)];
  const families = [...(opts.families ?? FAMILIES)];
  let placements = [...(opts.placements ?? PLACEMENTS)];
  validate({ durationS, warmupS, timeoutMs, sizes, windows, families, placements });
  const root = path.resolve(opts.root ?? findProjectRoot());
  const progress = new Progress(opts.log);
  const notes: string[] = [];
  const cpus = os.cpus();
  const clientTemplate = clientCommand({
    binary: '<tmpdir>/udp-echo-client', cpu: -1, family: 6, destination: '<destination>', port: -2,
    size: -3, window: -4, durationS, warmupS, timeoutMs,
  }).map((a) => ({ '-1': '<clientCpu>', '-6': '-<family>', '-2': '<port>', '-3': '<size>', '-4': '<window>' })[a] ?? a);

  const report: UdpEchoReport = {
    ...reportHead('udp-echo', started),
    config: {
      durationS,
      warmupS,
      timeoutMs,
      sizes,
      windows,
      families,
      placements,
      placementCpus: { ...PLACEMENT_CPUS },
      wasagiBusyPollUs: opts.wasagiBusyPollUs ?? null,
      targetRatio: TARGET_RATIO,
      root,
      wasagiCommand: wasagiCommand({
        root, cpu: -1, addrs: families.map((f) => TAP_SETUP.stackAddrs[f]), ctl: '<tmpdir>/ctl.sock', port: ECHO_PORT,
        busyPollUs: opts.wasagiBusyPollUs,
      }).map((a) => (a === '-1' ? '<serverCpu>' : a)),
      clientCommand: clientTemplate,
      kernelServerCommand: ['taskset', '-c', '<serverCpu>', '<tmpdir>/udp-echo-server', '-p', String(ECHO_PORT)],
      nodeServerCommand: ['taskset', '-c', '<serverCpu>', process.execPath, nodeServerScript(root), String(NODE_ECHO_PORT)],
    },
    environment: { ...hostEnvironment(cpus), cc: null },
    servers: [],
    rows: [],
    errors: [],
    notes,
    resultsFile: null,
  };
  const finish = (): UdpEchoReport => finishReport(report, t0);

  const reason = skipReason(root);
  if (reason !== null) {
    report.skipped = reason;
    return finish();
  }
  const toRun = await placementsToRun(report, cpus.length, progress);
  if (toRun === null) return finish();
  placements = toRun;

  const { dir: binDir, release: releaseBin } = netns.makeTempDir();
  try {
    report.environment.cc = await ccVersion();
    let bins: { client: string; server: string };
    try {
      progress.line(`compiling the load generator and the kernel echo server with ${compiler()} -O2`);
      bins = await compile(root, binDir);
    } catch (e) {
      report.errors.push(errorText(e));
      progress.line(errorText(e));
      return finish();
    }
    const ctx: RunContext = {
      root,
      client: bins.client,
      cServer: bins.server,
      families,
      durationS,
      warmupS,
      timeoutMs,
      startTimeoutMs: opts.startTimeoutMs ?? 30_000,
      busyPollUs: opts.wasagiBusyPollUs,
      progress,
    };
    progress.line(
      `udp echo: IPv${families.join('/')} x ${sizes.join(', ')} B x W=${windows.join(', ')} x ${placements.join(', ')}; ` +
        `${durationS} s each after ${warmupS} s warm-up, targets ${TARGETS.join(', ')}`,
    );
    for (const placement of placements) {
      const cases: Case[] = [];
      for (const family of families) for (const size of sizes) for (const window of windows) cases.push({ family, size, window, placement });
      await runPlacement(ctx, placement, cases, report);
    }
  } finally {
    releaseBin();
  }

  notes.push(
    'pps = replies / (first request to last reply) with W requests kept in flight on one connected socket; ' +
      `a request unanswered after ${timeoutMs} ms is lost and replaced; late = replies after that.`,
    `Every target gets the same probe and ${warmupS} s unmeasured warm-up of the same traffic first.`,
    'kernel: C recvmmsg/sendmmsg echo server on the kernel stack over veth; node: node:dgram echo server on the kernel ' +
      'over veth; wasagi: `wasagi up --udp-echo` (stack.dgram udp6 socket) over TAP, client on the kernel side of the TAP.',
    'same-cpu: servers and client on CPU 0; cross-cpu: servers on CPU 1, client on CPU 0 (for every target).',
    `wasagi runs with --busy-poll ${opts.wasagiBusyPollUs ?? 'default (100)'} µs: after a burst it keeps reading that long, so ` +
      'at W=1 on the other CPU it often takes the next request without being woken, a cross-CPU wakeup the kernel ' +
      'servers (blocked in recvmmsg/recvmsg) pay per request; --wasagi-busy-poll 0 compares without it.',
    `Target (issue): wasagi ≥ ${TARGET_RATIO}x the kernel's pps.`,
  );
  if (durationS !== DEFAULT_DURATION_S) notes.push(`duration ${durationS} s per measurement (default ${DEFAULT_DURATION_S} s).`);
  const v4 = report.servers.find((s) => s.target === 'wasagi' && s.v4Unavailable !== null);
  if (v4) notes.push(`IPv4 wasagi rows unavailable: ${v4.v4Unavailable}`);

  finish();
  saveReport(root, report, started, opts.save, progress);
  return report;
}

// ---------------------------------------------------------------------------
// Table

/** Human-readable table of a report. */
export function formatTable(report: UdpEchoReport): string {
  if (report.skipped !== null) return `skipped: ${report.skipped}\n`;
  const { environment: env, config } = report;
  const out: string[] = [];
  out.push(
    `wasagi UDP echo: ${config.durationS} s per measurement after ${config.warmupS} s warm-up, ${describeHost(env)}`,
  );
  out.push('');
  const header = [
    'fam', 'size', 'W', 'placement', 'target', 'cpu s/c', 'sent', 'recv', 'lost', 'late',
    'rtt min', 'avg', 'max', 'p99 ms', 'pps', 'w/kernel', 'w/node',
  ];
  const left = new Set([3, 4]);
  const rows: string[][] = [header];
  const footnotes: string[] = [];
  for (const row of report.rows) {
    for (const t of [row.wasagi, row.kernel, row.node]) {
      const x = t.result;
      const isW = t.target === 'wasagi';
      rows.push([
        `v${row.family}`,
        String(row.size),
        String(row.window),
        row.placement,
        t.target,
        `${t.serverCpu}/${t.clientCpu}`,
        ...(x === null
          ? [t.unavailable !== null ? 'unavailable' : 'FAILED', '', '', '', '', '', '', '', '']
          : [
              fmt(x.sent), fmt(x.received), fmt(x.lost), fmt(x.late),
              fmt(x.rttMinMs, 3), fmt(x.rttAvgMs, 3), fmt(x.rttMaxMs, 3), fmt(x.rttP99Ms, 3), fmt(x.pps),
            ]),
        isW ? (row.ratio.kernel === null ? '-' : `${row.ratio.kernel.toFixed(3)}x${row.meetsTarget === false ? '!' : ''}`) : '',
        isW ? (row.ratio.node === null ? '-' : `${row.ratio.node.toFixed(3)}x`) : '',
      ]);
      const why = t.unavailable ?? t.error;
      if (why !== null) footnotes.push(`v${row.family} ${row.size} B W=${row.window} ${row.placement} ${t.target}: ${why}`);
    }
  }
  out.push(...alignColumns(rows, left));
  out.push(
    '',
    'cpu s/c: CPU of the server / of the client; rtt in ms; W: requests in flight; ' +
      `w/kernel, w/node: wasagi pps / that baseline's pps (! below the ${config.targetRatio}x target).`,
  );
  // Footnotes: identical reasons (e.g. every IPv4 wasagi row) once.
  const seen = new Map<string, string[]>();
  for (const f of footnotes) {
    const i = f.indexOf(': ');
    const why = f.slice(i + 2);
    seen.set(why, [...(seen.get(why) ?? []), f.slice(0, i)]);
  }
  if (seen.size > 0) {
    out.push('');
    for (const [why, where] of seen) out.push(`${where.length > 2 ? `${where.length} rows` : where.join('; ')}: ${why}`);
  }
  out.push('', ...report.notes.map((n) => `note: ${n}`));
  if (report.errors.length > 0) out.push('', ...report.errors.map((e) => `error: ${e}`));
  if (report.resultsFile) out.push(`report: ${report.resultsFile}`);
  return `${out.join('\n')}\n`;
}

/** Bins, bar width and the quantile the bins reach (the rest on one "≥" line) of the --draw histograms. */
const DRAW_BINS = 16;
const DRAW_WIDTH = 40;
const DRAW_UP_TO = 0.999;

/**
 * --draw: per case, the RTT histograms of wasagi and of the kernel on shared
 * bins, each under a "v6 64 B W=1 same-cpu — <target>" line. A target
 * without a histogram says why in place of its bars.
 */
export function formatDrawings(report: UdpEchoReport): string {
  if (report.skipped !== null) return '';
  const out: string[] = [];
  for (const row of report.rows) {
    const targets = [row.wasagi, row.kernel];
    const series = targets.map((t) => (t.result?.rttHistUs ?? []).map(([lo, hi, count]) => ({ lo: lo / 1000, hi: hi / 1000, count })));
    const drawn = bucketHistograms(series, { bins: DRAW_BINS, width: DRAW_WIDTH, upTo: DRAW_UP_TO });
    const head = `v${row.family} ${row.size} B W=${row.window} ${row.placement}`;
    out.push('');
    targets.forEach((t, i) => {
      const why =
        t.unavailable ?? (t.result === null ? `FAILED: ${t.error ?? 'no result'}` : t.result.rttHistUs === null ? 'no histogram from the client' : null);
      out.push(`${head} — ${t.target}${why === null ? '' : `: ${why}`}`);
      if (why === null) out.push(...drawn[i].map((l) => `  ${l}`));
    });
  }
  return out.length > 0 ? `${['', 'RTT distributions (bar: share of that target\'s replies; same bins per case, up to the slower p99.9):', ...out].join('\n')}\n` : '';
}

// ---------------------------------------------------------------------------
// Command line

const USAGE = `usage: node dist/bench/udp-echo.js [options]
  --quick              ${QUICK_DURATION_S} s per measurement after ${QUICK_WARMUP_S} s warm-up
  --duration S         seconds measured per case and target (default ${DEFAULT_DURATION_S})
  --warmup S           unmeasured seconds before each (default ${DEFAULT_WARMUP_S})
  --timeout MS         a request unanswered this long is lost (default ${DEFAULT_TIMEOUT_MS})
  --sizes A,B          UDP payload bytes (default ${DEFAULT_SIZES.join(',')}; ${MIN_SIZE}..${MAX_SIZE})
  --windows A,B        requests in flight (default ${DEFAULT_WINDOWS.join(',')})
  --families 6,4       address families (default 6,4)
${PLACEMENTS_USAGE}  --wasagi-busy-poll US  the stack's --busy-poll (default: its own, 100)
  --draw               after the table, draw each case's RTT distributions (wasagi above kernel)
${commonUsage('udp-echo')}`;

function parseFamilies(text: string): Family[] {
  return text.split(',').map((s) => {
    const t = s.trim().replace(/^(ipv|v)/i, '');
    if (t !== '4' && t !== '6') throw new RangeError(`bad family: ${JSON.stringify(s)} (4 or 6)`);
    return Number(t) as Family;
  });
}

export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let draw = false;
  return benchMain(
    USAGE,
    () => {
      const { values } = parseArgs({
        args: argv,
        options: {
          quick: { type: 'boolean', default: false },
          duration: { type: 'string' },
          warmup: { type: 'string' },
          timeout: { type: 'string' },
          sizes: { type: 'string' },
          windows: { type: 'string' },
          families: { type: 'string' },
          'wasagi-busy-poll': { type: 'string' },
          draw: { type: 'boolean', default: false },
          ...COMMON_OPTIONS,
        },
        strict: true,
        allowPositionals: false,
      });
      if (values.help) return null;
      draw = values.draw === true;
      const one = (v: string, what: string): number => parseNumbers(v, what, false)[0] ?? NaN;
      const opts: UdpEchoOptions = {
        save: values['no-save'] !== true,
        durationS: values.duration !== undefined ? one(values.duration, 'duration') : values.quick ? QUICK_DURATION_S : DEFAULT_DURATION_S,
        warmupS: values.warmup !== undefined ? one(values.warmup, 'warmup') : values.quick ? QUICK_WARMUP_S : DEFAULT_WARMUP_S,
        ...(values.timeout !== undefined ? { timeoutMs: one(values.timeout, 'timeout') } : {}),
        ...(values.sizes !== undefined ? { sizes: parseNumbers(values.sizes, 'sizes') } : {}),
        ...(values.windows !== undefined ? { windows: parseNumbers(values.windows, 'windows') } : {}),
        ...(values.families !== undefined ? { families: parseFamilies(values.families) } : {}),
        ...(values.placements !== undefined ? { placements: parsePlacements(values.placements) } : {}),
        ...(values['wasagi-busy-poll'] !== undefined ? { wasagiBusyPollUs: one(values['wasagi-busy-poll'], 'wasagi-busy-poll') } : {}),
        ...(values.root !== undefined ? { root: values.root } : {}),
      };
      const bp = opts.wasagiBusyPollUs;
      if (bp !== undefined && (!Number.isInteger(bp) || bp < 0 || bp > 1000)) throw new RangeError(`--wasagi-busy-poll must be 0..1000 (got ${bp})`);
      validate({
        durationS: opts.durationS ?? DEFAULT_DURATION_S,
        warmupS: opts.warmupS ?? DEFAULT_WARMUP_S,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        sizes: opts.sizes ?? DEFAULT_SIZES,
        windows: opts.windows ?? DEFAULT_WINDOWS,
        families: opts.families ?? FAMILIES,
        placements: opts.placements ?? PLACEMENTS,
      });
      return { json: values.json === true, opts };
    },
    udpEcho,
    (report) => formatTable(report) + (draw ? formatDrawings(report) : ''),
  );
}

runIfMain(import.meta.url, 'udp-echo', main);
