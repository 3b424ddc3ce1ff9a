/**
 * Flood-ping benchmark: how many ICMPv6 echo round trips per second wasagi
 * answers over a TAP device, next to the Linux kernel answering over veth.
 *
 * What is measured
 * ----------------
 * iputils `ping -f` keeps (almost always) one echo request in flight: it
 * sends the next request as soon as the reply arrives (or after 10 ms without
 * one). The rate it reaches is therefore a request/response rate,
 * pps = 1 / (time per round trip), and every round trip includes the whole
 * path: ping's sendmsg -> kernel IPv6 output -> TAP queue -> wakeup of the
 * wasagi process -> read() -> parse, checksum, build the reply (WebAssembly)
 * -> write() -> kernel input -> wakeup of ping. For each payload size and CPU
 * placement the run reports ping's counts, loss, min/avg/max/mdev RTT, the
 * rate received / (ping's own "time Nms") and wasagi_pps / kernel_pps.
 *
 *   (a) wasagi over TAP: namespace wsgb-<pid>-a holds TAP wsgb0 (kernel side
 *       2001:db8:b::1/64); `wasagi up` attaches to it as 2001:db8:b::2 and
 *       ping floods 2001:db8:b::2 from the same namespace.
 *   (b) kernel over veth (baseline): namespaces wsgb-<pid>-k1/-k2 joined by a
 *       veth pair (2001:db8:c::1/64, 2001:db8:c::2/64); ping floods ::2.
 * Each measurement gets fresh namespaces and a freshly started stack, and is
 * preceded by an unmeasured `ping -c 3 -i 0.2` so neighbor discovery (and
 * the ~1 s a new link needs to pass traffic) is not measured.
 *
 * Why CPU placement matters
 * -------------------------
 * Because a round trip is a chain of wakeups, the rate is dominated by how
 * quickly the scheduler hands the CPU from ping to the stack and back, not by
 * packet processing. With ping and the stack on the same CPU each hand-off is
 * a local context switch; on different CPUs each hand-off is a cross-CPU
 * wakeup, which on a VM means an IPI and possibly waking a halted vCPU
 * through the hypervisor. On the project's 2-vCPU VMs this changes the rate
 * by about 5x (a trivial Python TAP responder used to test this harness
 * answered ~50k pps on ping's CPU and ~10k pps on the other one), so the
 * placement is pinned with taskset and both are reported: "same-cpu" (stack
 * and ping on CPU 0) and "cross-cpu" (stack on CPU 1, ping on CPU 0). An
 * unpinned run lands on either, so its result is a random mix of the two.
 * The kernel baseline always pins ping to CPU 0: veth delivers to the peer
 * namespace through the per-CPU backlog of the sending CPU, so the kernel's
 * reply is produced in softirq on ping's CPU in both placements (NET_RX in
 * /proc/softirqs grows on that CPU only), i.e. the baseline is effectively a
 * same-CPU measurement and its two rows differ only by run-to-run noise.
 *
 * ping's flood output ('.' per request, "\b \b" per reply, one write(2)
 * each) is part of the measured loop for both targets; it goes to a file,
 * not a pipe, so the harness is not woken per packet.
 *
 * Usage: node dist/bench/flood-ping.js [--count N] [--sizes 56,1400]
 *          [--placements same-cpu,cross-cpu] [--root DIR] [--no-save] [--json]
 * Needs root, iproute2, iputils ping, taskset, /dev/net/tun and the built
 * native addon; otherwise prints "skipped: <reason>" and exits 0.
 * Progress goes to stderr, the table (or JSON with --json) to stdout, and the
 * JSON report is also written to <root>/bench/results/flood-ping-<date>.json.
 * What it shares with bench/udp-echo.ts (skip checks, placement, starting
 * and stopping the stack, report, table layout, command line) is in
 * bench/harness.ts; namespaces, veth and TAP in bench/netns.ts.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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
  exitText,
  failureText,
  findProjectRoot,
  finishReport,
  fmt,
  hostEnvironment,
  missingToolReason,
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
  type WasagiUpParams,
} from './harness.js';
import { packetsPerSecond, parsePing, type PingSummary } from './ping-parse.js';

export { findProjectRoot, PLACEMENTS, WASAGI_READY_PREFIX, type Placement };

// ---------------------------------------------------------------------------
// Configuration

export const DEFAULT_COUNT = 100_000;
export const DEFAULT_SIZES: readonly number[] = [56, 1400];
export type Target = 'wasagi' | 'kernel';

/** CPUs used by each placement (the kernel baseline uses only pingCpu). */
export const PLACEMENT_CPUS: Readonly<Record<Placement, { stackCpu: number; pingCpu: number }>> = {
  'same-cpu': { stackCpu: 0, pingCpu: 0 },
  'cross-cpu': { stackCpu: 1, pingCpu: 0 },
};

/** The TAP side of measurement (a). */
export const TAP_SETUP = {
  nsTag: 'a',
  ifname: 'wsgb0',
  mtu: 1500,
  kernelAddr: '2001:db8:b::1/64',
  stackAddr: '2001:db8:b::2/64',
  stackMac: '02:00:5e:00:00:02',
  destination: '2001:db8:b::2',
} as const;

/** The veth pair of measurement (b). */
export const VETH_SETUP = {
  nsTags: ['k1', 'k2'],
  ifnames: ['wsgbk1', 'wsgbk2'],
  addrs: ['2001:db8:c::1/64', '2001:db8:c::2/64'],
  destination: '2001:db8:c::2',
} as const;

/** Largest ping payload that fits the 1500-byte MTU unfragmented (1500 - 40 - 8). */
export const MAX_SIZE = 1452;
/** Smallest payload for which ping carries a timestamp (so RTTs are reported). */
export const MIN_SIZE = 16;

export interface WasagiCommandParams extends Omit<WasagiUpParams, 'addrs'> {
  /** Stack address with prefix length. */
  addr: string;
}

/**
 * The one place where the stack's command line is built (it runs inside the
 * namespace, via `ip netns exec`). The same node binary as the harness is used.
 */
export function wasagiCommand(p: WasagiCommandParams): string[] {
  const { addr, ...rest } = p;
  return wasagiUpCommand({ ...rest, addrs: [addr] });
}

/** ping -f runtime bound: max(30 s, count / 5000 s). */
export function defaultPingTimeoutMs(count: number): number {
  return Math.max(30_000, Math.ceil(count / 5)); // count/5000 s = count/5 ms
}

// ---------------------------------------------------------------------------
// Report types

export interface FloodPingOptions {
  /** Echo requests per flood (default 100000, the paper's table). */
  count?: number;
  /** ICMPv6 payload sizes in bytes (default [56, 1400]); 16..1452. */
  sizes?: readonly number[];
  /** Default: both. cross-cpu is dropped (with a note) on a 1-CPU machine. */
  placements?: readonly Placement[];
  /** Project root (default: found from this file's location). */
  root?: string;
  /** Kill a flood ping after this long (default max(30 s, count/5000 s)); partial results are kept. */
  pingTimeoutMs?: number;
  /** Wait this long for the "wasagi up:" line (default 20000). */
  startTimeoutMs?: number;
  /** After SIGINT, wait this long for the stack to exit before SIGKILL (default 5000). */
  stopTimeoutMs?: number;
  /** Write the JSON report to <root>/bench/results (default true; not for skipped runs). */
  save?: boolean;
  /**
   * Progress sink (default: stderr with elapsed time, in-place on a terminal).
   * A skipped run logs nothing: see report.skipped / formatTable().
   */
  log?: (line: string) => void;
}

/** The stack of one measurement; how it ended (ProcessOutcome) after stopTimeoutMs. */
export interface StackInfo extends ProcessOutcome {
  argv: string[];
  /** The "wasagi up: ..." line, once seen. */
  upLine: string | null;
  /** From spawn to the "wasagi up:" line. */
  startMs: number | null;
}

export interface TargetResult {
  target: Target;
  namespace: string;
  destination: string;
  /** CPU of the stack process; null for the kernel (it answers in softirq on pingCpu). */
  stackCpu: number | null;
  pingCpu: number;
  transmitted: number | null;
  received: number | null;
  lossPercent: number | null;
  duplicates: number | null;
  /** ICMPv6 errors ping received (e.g. address unreachable). */
  errors: number | null;
  rttMinMs: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  rttMdevMs: number | null;
  /** ping's mean inter-packet gap and EWMA RTT ("ipg/ewma"). */
  ipgMs: number | null;
  ewmaMs: number | null;
  /** ping's "time Nms". */
  timeMs: number | null;
  /** received / (timeMs / 1000). */
  pps: number | null;
  /** Wall time of the flood ping process alone. */
  floodWallMs: number | null;
  /** Wall time of the whole measurement (setup, start, warm-up, flood, teardown). */
  totalWallMs: number;
  /** The flood ping hit pingTimeoutMs and was stopped with SIGINT (figures are partial). */
  timedOut: boolean;
  pingExitCode: number | null;
  stack?: StackInfo;
  error: string | null;
}

export interface FloodPingRow {
  size: number;
  placement: Placement;
  wasagi: TargetResult;
  kernel: TargetResult;
  /** wasagi.pps / kernel.pps. */
  ratio: number | null;
  maxRttMs: { wasagi: number | null; kernel: number | null };
}

export interface FloodPingReport extends BenchReport<'flood-ping'> {
  config: {
    count: number;
    sizes: number[];
    placements: Placement[];
    placementCpus: Record<Placement, { stackCpu: number; pingCpu: number }>;
    pingTimeoutMs: number;
    startTimeoutMs: number;
    stopTimeoutMs: number;
    root: string;
    /** The stack command line, with placeholder CPU and control socket. */
    wasagiCommand: string[];
    pingCommand: string[];
  };
  environment: HostEnvironment & { ping: string | null };
  rows: FloodPingRow[];
}

// ---------------------------------------------------------------------------
// Helpers

/** Reason the benchmark cannot run here, or null. */
export function skipReason(root: string): string | null {
  const reason = platformSkipReason() ?? missingToolReason(['ip', 'ping', 'taskset']) ?? tapSkipReason(root);
  if (reason !== null) return reason;
  const cli = path.join(root, 'bin', 'wasagi.js');
  if (!existsSync(cli)) return `${cli} is missing`;
  return null;
}

/** Printable tail of ping output: flood dots and backspaces removed as well. */
function cleanTail(text: string, max = 1500): string {
  return tail(text.replace(/\x08 \x08/g, '').replace(/\x08E/g, 'E').replace(/^[.E]+$/gm, ''), max);
}

function readFileTail(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * Counts ping -f progress characters in its output file: one '.' per request
 * sent, "\b \b" per reply (so one space), "\bE" per error. Reads only what is
 * new since the last call.
 */
class FloodCounter {
  sent = 0;
  replies = 0;
  private offset = 0;
  private sawBanner = false;
  constructor(private readonly file: string) {}

  update(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        let i = 0;
        if (!this.sawBanner) {
          const nl = buf.subarray(0, n).indexOf(0x0a);
          if (nl < 0) continue;
          this.sawBanner = true;
          i = nl + 1;
        }
        for (; i < n; i++) {
          const c = buf[i];
          if (c === 0x2e) this.sent++;
          else if (c === 0x20) this.replies++;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

function emptyResult(
  target: Target,
  namespace: string,
  destination: string,
  stackCpu: number | null,
  pingCpu: number,
): TargetResult {
  return {
    target,
    namespace,
    destination,
    stackCpu,
    pingCpu,
    transmitted: null,
    received: null,
    lossPercent: null,
    duplicates: null,
    errors: null,
    rttMinMs: null,
    rttAvgMs: null,
    rttMaxMs: null,
    rttMdevMs: null,
    ipgMs: null,
    ewmaMs: null,
    timeMs: null,
    pps: null,
    floodWallMs: null,
    totalWallMs: 0,
    timedOut: false,
    pingExitCode: null,
    error: null,
  };
}

function applySummary(r: TargetResult, s: PingSummary): void {
  r.transmitted = s.transmitted;
  r.received = s.received;
  r.lossPercent = s.lossPercent;
  r.duplicates = s.duplicates;
  r.errors = s.errors;
  r.rttMinMs = s.rtt?.min ?? null;
  r.rttAvgMs = s.rtt?.avg ?? null;
  r.rttMaxMs = s.rtt?.max ?? null;
  r.rttMdevMs = s.rtt?.mdev ?? null;
  r.ipgMs = s.ipgMs;
  r.ewmaMs = s.ewmaMs;
  r.timeMs = s.timeMs;
  r.pps = packetsPerSecond(s);
}

// ---------------------------------------------------------------------------
// Measurement steps

interface RunContext {
  root: string;
  count: number;
  pingTimeoutMs: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  progress: Progress;
}

function pingArgv(cpu: number, extra: readonly string[], destination: string): string[] {
  return pinned(cpu, ['ping', '-6', ...extra, destination]);
}

/** Unmeasured ping so neighbor discovery is done before the flood. */
async function warmUp(ns: string, cpu: number, destination: string): Promise<void> {
  // -w 10: wait up to 10 s for the 3 replies (a fresh link needs ~1 s).
  const r = await netns.runInNs(ns, pingArgv(cpu, ['-c', '3', '-i', '0.2', '-w', '10'], destination), {
    timeoutMs: 15_000,
    timeoutSignal: 'SIGINT',
  });
  const s = parsePing(r.stdout);
  if (r.code !== 0 || s === null || s.received === 0) {
    const what = s ? `${s.transmitted} sent, ${s.received} received` : cleanTail(r.stderr || r.stdout);
    throw new Error(`warm-up ping to ${destination} failed (${what || `exit ${r.code}`})`);
  }
  // A short unmeasured flood, the same for both targets: JIT compilers (and the
  // kernel's caches) settle before the measured run, as they would in service.
  const f = await netns.runInNs(ns, pingArgv(cpu, ['-q', '-f', '-c', String(WARMUP_FLOOD), '-w', '20'], destination), {
    timeoutMs: 30_000,
    timeoutSignal: 'SIGINT',
  });
  if (f.code !== 0) throw new Error(`warm-up flood to ${destination} failed: ${cleanTail(f.stdout || f.stderr)}`);
}

/** Requests in the unmeasured warm-up flood before each measured run. */
export const WARMUP_FLOOD = 10_000;

interface FloodOutcome {
  summary: PingSummary | null;
  exitCode: number | null;
  timedOut: boolean;
  wallMs: number;
  outputTail: string;
}

/** `ping -6 -f -c COUNT -s SIZE` in `ns`, pinned to `cpu`, bounded by ctx.pingTimeoutMs. */
async function flood(
  ctx: RunContext,
  label: string,
  ns: string,
  cpu: number,
  size: number,
  destination: string,
  outFile: string,
): Promise<FloodOutcome> {
  // ping writes one '.' per request and "\b \b" per reply with write(2); send
  // that to a file rather than a pipe so the harness is not woken per packet.
  const fd = openSync(outFile, 'w');
  let proc: netns.ProcHandle;
  try {
    proc = netns.spawnInNs(ns, pingArgv(cpu, ['-f', '-c', String(ctx.count), '-s', String(size)], destination), {
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const t0 = performance.now();
  const counter = new FloodCounter(outFile);
  let timedOut = false;
  const ticker = setInterval(() => {
    counter.update();
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    ctx.progress.status(`${label}: flood ${counter.sent}/${ctx.count} sent, ${counter.replies} replies, ${secs} s`);
  }, ctx.progress.statusEveryMs);
  const killer = setTimeout(() => {
    timedOut = true;
    ctx.progress.line(`${label}: flood still running after ${ctx.pingTimeoutMs / 1000} s, interrupting ping`);
    // SIGINT makes ping print its statistics for what it did so far.
    void proc.stop('SIGINT', 3000);
  }, ctx.pingTimeoutMs);
  let status: netns.ExitStatus;
  try {
    status = await proc.exited;
  } finally {
    clearInterval(ticker);
    clearTimeout(killer);
    ctx.progress.clear();
  }
  const wallMs = performance.now() - t0;
  const text = readFileTail(outFile, 64 * 1024);
  if (status.spawnError) throw new Error(`could not start ping: ${status.spawnError}`);
  return { summary: parsePing(text), exitCode: status.code, timedOut, wallMs, outputTail: text };
}

function recordFlood(r: TargetResult, f: FloodOutcome): void {
  r.pingExitCode = f.exitCode;
  r.timedOut = f.timedOut;
  r.floodWallMs = Math.round(f.wallMs);
  if (f.summary === null) {
    r.error = `ping printed no statistics (exit ${f.exitCode}): ${cleanTail(f.outputTail)}`;
    return;
  }
  applySummary(r, f.summary);
  if (f.summary.received === 0) r.error = 'no echo replies received during the flood';
}

/** (a) wasagi answering over a TAP device. */
async function measureWasagi(ctx: RunContext, size: number, placement: Placement): Promise<TargetResult> {
  const { stackCpu, pingCpu } = PLACEMENT_CPUS[placement];
  const ns = netns.nsName(TAP_SETUP.nsTag);
  const label = `${size} B ${placement} wasagi`;
  const r = emptyResult('wasagi', ns, TAP_SETUP.destination, stackCpu, pingCpu);
  const t0 = performance.now();
  const { dir: tmp, release: releaseTmp } = netns.makeTempDir();
  try {
    await netns.withNamespaces([ns], async () => {
      ctx.progress.line(`${label}: creating ${ns} with TAP ${TAP_SETUP.ifname}`);
      await netns.createTap(ns, TAP_SETUP.ifname, { mtu: TAP_SETUP.mtu, addr: TAP_SETUP.kernelAddr });
      const argv = wasagiCommand({
        root: ctx.root,
        cpu: stackCpu,
        tap: TAP_SETUP.ifname,
        mac: TAP_SETUP.stackMac,
        addr: TAP_SETUP.stackAddr,
        ctl: path.join(tmp, 'ctl.sock'),
      });
      const info: StackInfo = {
        argv,
        upLine: null,
        startMs: null,
        exitCode: null,
        exitSignal: null,
        forcedKill: false,
      };
      r.stack = info;
      ctx.progress.line(`${label}: starting stack on CPU ${stackCpu}`);
      const stack = await startWithReadyLine(ns, argv, {
        ready: WASAGI_READY_PREFIX,
        timeoutMs: ctx.startTimeoutMs,
        stopTimeoutMs: ctx.stopTimeoutMs,
        who: 'stack',
        tail: (t) => cleanTail(t, 3000),
      });
      info.upLine = stack.line;
      info.startMs = stack.startMs;
      try {
        ctx.progress.line(`${label}: ${stack.line} (after ${(stack.startMs / 1000).toFixed(1)} s); warming up`);
        await warmUp(ns, pingCpu, TAP_SETUP.destination);
        ctx.progress.line(`${label}: flooding ${ctx.count} x ${size} B from CPU ${pingCpu}`);
        const f = await flood(ctx, label, ns, pingCpu, size, TAP_SETUP.destination, path.join(tmp, 'ping.out'));
        recordFlood(r, f);
        const early = stack.proc.exitStatus();
        if (early !== null) r.error = `stack exited during the flood (${exitText(early)})`;
      } finally {
        await stopAndRecord(stack.proc, info, {
          timeoutMs: ctx.stopTimeoutMs,
          failed: r.error !== null,
          tail: (t) => cleanTail(t, 2000),
        });
      }
    });
  } catch (e) {
    r.error = failureText(e);
  } finally {
    releaseTmp();
    r.totalWallMs = Math.round(performance.now() - t0);
  }
  return r;
}

/** (b) the kernel answering over a veth pair. */
async function measureKernel(ctx: RunContext, size: number, placement: Placement): Promise<TargetResult> {
  const { pingCpu } = PLACEMENT_CPUS[placement];
  const [ns1, ns2] = [netns.nsName(VETH_SETUP.nsTags[0]), netns.nsName(VETH_SETUP.nsTags[1])];
  const label = `${size} B ${placement} kernel`;
  const r = emptyResult('kernel', ns1, VETH_SETUP.destination, null, pingCpu);
  const t0 = performance.now();
  const { dir: tmp, release: releaseTmp } = netns.makeTempDir();
  try {
    await netns.withNamespaces([ns1, ns2], async () => {
      ctx.progress.line(`${label}: creating ${ns1} <-veth-> ${ns2}`);
      await netns.createVethPair(
        { ns: ns1, ifname: VETH_SETUP.ifnames[0], addr: VETH_SETUP.addrs[0] },
        { ns: ns2, ifname: VETH_SETUP.ifnames[1], addr: VETH_SETUP.addrs[1] },
      );
      await warmUp(ns1, pingCpu, VETH_SETUP.destination);
      ctx.progress.line(`${label}: flooding ${ctx.count} x ${size} B from CPU ${pingCpu}`);
      const f = await flood(ctx, label, ns1, pingCpu, size, VETH_SETUP.destination, path.join(tmp, 'ping.out'));
      recordFlood(r, f);
    });
  } catch (e) {
    r.error = failureText(e);
  } finally {
    releaseTmp();
    r.totalWallMs = Math.round(performance.now() - t0);
  }
  return r;
}

function describeResult(label: string, r: TargetResult): string {
  if (r.error !== null && r.pps === null) return `${label}: FAILED: ${r.error}`;
  const rate = r.pps === null ? 'n/a' : `${Math.round(r.pps)} pps`;
  const rtt = r.rttAvgMs === null ? '' : `, rtt avg ${r.rttAvgMs} ms max ${r.rttMaxMs} ms`;
  return `${label}: ${r.received}/${r.transmitted} replies, ${rate}${rtt}${r.error ? ` (${r.error})` : ''}`;
}

// ---------------------------------------------------------------------------
// Entry point

function validate(count: number, sizes: readonly number[], placements: readonly Placement[]): void {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer (got ${count})`);
  if (sizes.length === 0) throw new RangeError('no sizes given');
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < MIN_SIZE || s > MAX_SIZE) {
      throw new RangeError(`size ${s} out of range ${MIN_SIZE}..${MAX_SIZE} (must fit the 1500-byte MTU)`);
    }
  }
  if (placements.length === 0) throw new RangeError('no placements given');
  for (const p of placements) {
    if (!PLACEMENTS.includes(p)) throw new RangeError(`unknown placement ${String(p)}`);
  }
}

/** First line of `ping -V`, for the report's environment block. */
function pingVersion(): string | null {
  try {
    const out = execFileSync('ping', ['-V'], {
      encoding: 'utf8',
      timeout: 5000,
      env: netns.CHILD_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n')[0]?.trim() || null;
  } catch {
    return null;
  }
}

/** Run the whole benchmark. Never throws for a failed measurement (see report.errors). */
export async function floodPing(opts: FloodPingOptions = {}): Promise<FloodPingReport> {
  const started = new Date();
  const t0 = performance.now();
  const count = opts.count ?? DEFAULT_COUNT;
  const sizes = [...(opts.sizes ?? DEFAULT_SIZES)];
  let placements: Placement[] = [...(opts.placements ?? PLACEMENTS)];
  validate(count, sizes, placements);
  const root = path.resolve(opts.root ?? findProjectRoot());
  const progress = new Progress(opts.log);
  const notes: string[] = [];
  const cpus = os.cpus();

  const report: FloodPingReport = {
    ...reportHead('flood-ping', started),
    config: {
      count,
      sizes,
      placements,
      placementCpus: { ...PLACEMENT_CPUS },
      pingTimeoutMs: opts.pingTimeoutMs ?? defaultPingTimeoutMs(count),
      startTimeoutMs: opts.startTimeoutMs ?? 20_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5000,
      root,
      wasagiCommand: wasagiCommand({
        root,
        cpu: -1,
        tap: TAP_SETUP.ifname,
        mac: TAP_SETUP.stackMac,
        addr: TAP_SETUP.stackAddr,
        ctl: '<tmpdir>/ctl.sock',
      }).map((a) => (a === '-1' ? '<stackCpu>' : a)),
      pingCommand: pingArgv(-1, ['-f', '-c', String(count), '-s', '<size>'], '<destination>').map((a) =>
        a === '-1' ? '<pingCpu>' : a,
      ),
    },
    environment: { ...hostEnvironment(cpus), ping: null },
    rows: [],
    errors: [],
    notes,
    resultsFile: null,
  };
  const finish = (): FloodPingReport => finishReport(report, t0);

  const reason = skipReason(root);
  if (reason !== null) {
    // Not logged here: the caller prints the report (formatTable says "skipped: <reason>").
    report.skipped = reason;
    return finish();
  }
  report.environment.ping = pingVersion();

  const toRun = await placementsToRun(report, cpus.length, progress);
  if (toRun === null) return finish();
  placements = toRun;

  const ctx: RunContext = {
    root,
    count,
    pingTimeoutMs: report.config.pingTimeoutMs,
    startTimeoutMs: report.config.startTimeoutMs,
    stopTimeoutMs: report.config.stopTimeoutMs,
    progress,
  };
  progress.line(
    `flood ping: ${count} requests x sizes ${sizes.join(', ')} B x placements ${placements.join(', ')}` +
      ` (ping timeout ${ctx.pingTimeoutMs / 1000} s)`,
  );

  for (const size of sizes) {
    for (const placement of placements) {
      const wasagi = await measureWasagi(ctx, size, placement);
      progress.line(describeResult(`${size} B ${placement} wasagi`, wasagi));
      const kernel = await measureKernel(ctx, size, placement);
      progress.line(describeResult(`${size} B ${placement} kernel`, kernel));
      const ratio = wasagi.pps !== null && kernel.pps !== null && kernel.pps > 0 ? wasagi.pps / kernel.pps : null;
      report.rows.push({
        size,
        placement,
        wasagi,
        kernel,
        ratio,
        maxRttMs: { wasagi: wasagi.rttMaxMs, kernel: kernel.rttMaxMs },
      });
      for (const t of [wasagi, kernel]) {
        if (t.error !== null) report.errors.push(`${size} B ${placement} ${t.target}: ${t.error}`);
      }
    }
  }

  notes.push(
    'ping -f keeps about one request in flight, so pps is a round-trip rate: received / ping\'s "time" ' +
      '(first request to end of run); a warm-up ping and a ' + WARMUP_FLOOD + '-request flood (not measured) resolve neighbors and warm caches and JITs first, for both targets.',
    'same-cpu: stack and ping pinned to CPU 0; cross-cpu: stack on CPU 1, ping on CPU 0.',
    'kernel baseline: ping pinned to CPU 0 in both placements; veth hands the packet to the peer ' +
      "through the sending CPU's backlog, so the kernel answers in softirq on ping's CPU (effectively " +
      'same-CPU); its two rows differ only by run-to-run noise.',
  );
  if (count !== DEFAULT_COUNT) notes.push(`count ${count} differs from the paper's ${DEFAULT_COUNT}.`);
  if (report.rows.some((r) => r.wasagi.timedOut || r.kernel.timedOut)) {
    notes.push(
      `Some floods hit the ${ctx.pingTimeoutMs / 1000} s limit and were interrupted; their figures cover ` +
        'the packets sent until then (timedOut: true).',
    );
  }

  finish();
  saveReport(root, report, started, opts.save, progress);
  return report;
}

// ---------------------------------------------------------------------------
// Table

function fmtLoss(n: number | null): string {
  if (n === null) return '-';
  return String(Number(n.toPrecision(3)));
}

/** Human-readable table of a report. */
export function formatTable(report: FloodPingReport): string {
  if (report.skipped !== null) return `skipped: ${report.skipped}\n`;
  const { environment: env, config } = report;
  const out: string[] = [];
  out.push(
    `wasagi flood ping: ${config.count} echo requests per run (ping -f), ${env.ping ?? 'ping'}, ${describeHost(env)}`,
  );
  out.push('');
  const header = [
    'size', 'placement', 'target', 'cpu s/p', 'sent', 'recv', 'loss%',
    'rtt min', 'avg', 'max', 'mdev ms', 'time ms', 'pps', 'wasagi/kernel',
  ];
  const left = new Set([1, 2, 3]);
  const rows: string[][] = [header];
  const footnotes: string[] = [];
  for (const row of report.rows) {
    for (const t of [row.wasagi, row.kernel]) {
      const mark = t.timedOut ? '*' : '';
      rows.push([
        String(row.size),
        row.placement,
        t.target,
        `${t.stackCpu ?? '-'}/${t.pingCpu}`,
        fmt(t.transmitted),
        fmt(t.received),
        fmtLoss(t.lossPercent),
        fmt(t.rttMinMs, 3),
        fmt(t.rttAvgMs, 3),
        fmt(t.rttMaxMs, 3),
        fmt(t.rttMdevMs, 3),
        fmt(t.timeMs) + mark,
        fmt(t.pps),
        t.target === 'wasagi' ? (row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`) : '',
      ]);
      if (t.error !== null) footnotes.push(`${row.size} B ${row.placement} ${t.target}: ${t.error}`);
    }
  }
  out.push(...alignColumns(rows, left));
  if (report.rows.some((r) => r.wasagi.timedOut || r.kernel.timedOut)) {
    footnotes.unshift(`* ping interrupted after ${config.pingTimeoutMs / 1000} s; figures cover the partial run`);
  }
  out.push(
    '',
    'cpu s/p: CPU of the stack / of ping (the kernel answers on ping\'s CPU); rtt in ms; ' +
      'pps = received / (time / 1000); wasagi/kernel = ratio of the pps.',
  );
  if (footnotes.length > 0) out.push('', ...footnotes);
  out.push('', ...report.notes.map((n) => `note: ${n}`));
  if (report.resultsFile) out.push(`report: ${report.resultsFile}`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// Command line

const USAGE = `usage: node dist/bench/flood-ping.js [options]
  --count N            echo requests per flood (default ${DEFAULT_COUNT})
  --sizes A,B          payload sizes in bytes (default ${DEFAULT_SIZES.join(',')})
${PLACEMENTS_USAGE}${commonUsage('flood-ping')}`;

export function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  return benchMain(
    USAGE,
    () => {
      const { values } = parseArgs({
        args: argv,
        options: {
          count: { type: 'string' },
          sizes: { type: 'string' },
          ...COMMON_OPTIONS,
        },
        strict: true,
        allowPositionals: false,
      });
      if (values.help) return null;
      const opts: FloodPingOptions = {
        save: values['no-save'] !== true,
        ...(values.count !== undefined ? { count: parseNumbers(values.count, 'count')[0] ?? NaN } : {}),
        ...(values.sizes !== undefined ? { sizes: parseNumbers(values.sizes, 'sizes') } : {}),
        ...(values.placements !== undefined ? { placements: parsePlacements(values.placements) } : {}),
        ...(values.root !== undefined ? { root: values.root } : {}),
      };
      validate(opts.count ?? DEFAULT_COUNT, opts.sizes ?? DEFAULT_SIZES, opts.placements ?? PLACEMENTS);
      return { json: values.json === true, opts };
    },
    floodPing,
    formatTable,
  );
}

runIfMain(import.meta.url, 'flood-ping', main);
