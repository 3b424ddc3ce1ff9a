/**
 * What the namespace benchmarks (bench/flood-ping.ts, bench/udp-echo.ts)
 * share apart from the namespaces themselves (bench/netns.ts): the pieces a
 * benchmark that runs `wasagi up` against a kernel baseline needs whatever
 * traffic it measures.
 *
 *   - environment checks: the project root, tools on PATH, the common reasons
 *     to skip (not Linux, not root, no /dev/net/tun, no native addon);
 *   - CPU placement: the same-cpu / cross-cpu choice, `taskset` pinning and
 *     dropping cross-cpu on a 1-CPU machine;
 *   - processes: the `wasagi up` command line, starting a server and waiting
 *     for its ready line, stopping it and keeping its exit status and stderr;
 *   - the report: start/finish times, host environment, sweeping leftovers
 *     of dead runs, saving to <root>/bench/results/<benchmark>-<date>.json;
 *   - output: progress lines on stderr, aligned tables, the command line
 *     (list parsing, --placements, --root/--no-save/--json/--help, exit codes)
 *     and the entry point.
 * Each benchmark keeps its topology, its traffic and its report rows.
 */
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as netns from './netns.js';

// ---------------------------------------------------------------------------
// Errors and text

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** errorText(e) for a failed measurement; an interruption (SIGINT...) is rethrown so the run unwinds. */
export function failureText(e: unknown): string {
  if (e instanceof netns.InterruptedError) throw e;
  return errorText(e);
}

/** Printable tail of tool output: control characters removed, at most `max` characters. */
export function tail(text: string, max = 1500): string {
  const t = text.replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trim();
  return t.length > max ? `...${t.slice(-max)}` : t;
}

/** "signal SIGX" or "exit code N". */
export function exitText(s: netns.ExitStatus): string {
  return s.signal ? `signal ${s.signal}` : `exit code ${s.code}`;
}

// ---------------------------------------------------------------------------
// Environment

/** Full path of an executable (a name looked up on PATH, or a path), or null. */
export function onPath(tool: string): string | null {
  if (tool.includes('/')) {
    try {
      accessSync(tool, fsConstants.X_OK);
      return tool;
    } catch {
      return null;
    }
  }
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, tool), fsConstants.X_OK);
      return path.join(dir, tool);
    } catch {
      /* next */
    }
  }
  return null;
}

/** Project root: nearest ancestor of this module with package.json named "wasagi". */
export function findProjectRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'wasagi') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // dist/bench/harness.js -> <root>
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Why this process cannot create namespaces and TAP devices (not Linux, not root), or null. */
export function platformSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'not root (network namespaces and TAP devices need root)';
  }
  return null;
}

/** The first of `tools` not on PATH, as a skip reason, or null. */
export function missingToolReason(tools: readonly string[]): string | null {
  for (const tool of tools) {
    if (onPath(tool) === null) return `\`${tool}\` not found on PATH`;
  }
  return null;
}

/** Why `wasagi up` cannot attach to a TAP device here (no /dev/net/tun, no native addon), or null. */
export function tapSkipReason(root: string): string | null {
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun does not exist';
  const addon = path.join(root, 'build', 'Release', 'wasagi_native.node');
  if (!existsSync(addon)) return `${addon} is missing (build it with \`npm run build:native\`)`;
  return null;
}

// ---------------------------------------------------------------------------
// CPU placement

/** same-cpu: the stack (or server) on the client's CPU; cross-cpu: on the other one. */
export const PLACEMENTS = ['same-cpu', 'cross-cpu'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** `argv` pinned to `cpu` with taskset (which execs it in place, so signals reach it). */
export function pinned(cpu: number, argv: readonly string[]): string[] {
  return ['taskset', '-c', String(cpu), ...argv];
}

/**
 * Once the skip checks passed: drop cross-cpu on a machine with one CPU (from
 * report.config.placements, with a note; report.skipped if nothing is left),
 * then sweep the leftovers of dead runs. The placements to run, or null if skipped.
 */
export async function placementsToRun(
  report: BenchReport & { config: { placements: Placement[] } },
  cpuCount: number,
  progress: Progress,
): Promise<Placement[] | null> {
  if (cpuCount < 2 && report.config.placements.includes('cross-cpu')) {
    report.config.placements = report.config.placements.filter((p) => p !== 'cross-cpu');
    report.notes.push('cross-cpu placement dropped: this machine has only one CPU.');
    if (report.config.placements.length === 0) {
      report.skipped = 'cross-cpu placement needs 2 CPUs';
      return null;
    }
  }
  await sweepLeftovers(progress, report.notes);
  return report.config.placements;
}

// ---------------------------------------------------------------------------
// Processes

/** Line the stack prints on stdout once it is attached and answering. */
export const WASAGI_READY_PREFIX = 'wasagi up:';

export interface WasagiUpParams {
  root: string;
  /** CPU the stack is pinned to. */
  cpu: number;
  tap: string;
  mac: string;
  /** Stack addresses with prefix length. */
  addrs: readonly string[];
  /** Control socket path. */
  ctl: string;
}

/**
 * `wasagi up` on a TAP device, pinned to a CPU, followed by `extra` options
 * (it runs inside the namespace, via `ip netns exec`). The same node binary
 * as the harness is used.
 */
export function wasagiUpCommand(p: WasagiUpParams, extra: readonly string[] = []): string[] {
  return pinned(p.cpu, [
    process.execPath, path.join(p.root, 'bin', 'wasagi.js'),
    'up', '--tap', p.tap, '--mac', p.mac,
    ...p.addrs.flatMap((a) => ['--addr', a]),
    '--ctl', p.ctl,
    ...extra,
  ]);
}

export interface ReadyOptions {
  /** Prefix of the stdout line that says the server is ready. */
  ready: string;
  timeoutMs: number;
  /** On timeout, wait this long after SIGINT before SIGKILL. */
  stopTimeoutMs: number;
  /** Who it is, for errors ("stack", "kernel server"). */
  who: string;
  /** Turns the server's stderr into the tail quoted in errors. */
  tail: (text: string) => string;
}

export interface ReadyServer {
  proc: netns.ProcHandle;
  /** The ready line. */
  line: string;
  /** From spawn to the ready line. */
  startMs: number;
}

/**
 * Spawn `argv` in `ns` and wait for a stdout line starting with `o.ready`.
 * Throws (after stopping the process) if it exits first or takes longer than
 * o.timeoutMs, quoting its stderr.
 */
export async function startWithReadyLine(ns: string, argv: readonly string[], o: ReadyOptions): Promise<ReadyServer> {
  let pending = '';
  let found: string | null = null;
  let announce: ((line: string) => void) | undefined;
  const up = new Promise<{ line: string }>((resolve) => {
    announce = (line) => resolve({ line });
  });
  const t0 = performance.now();
  const proc = netns.spawnInNs(ns, argv, {
    onStdout: (chunk) => {
      if (found !== null) return;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line.startsWith(o.ready)) {
          found = line;
          announce?.(line);
          return;
        }
      }
      if (pending.length > 65536) pending = pending.slice(-4096);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), o.timeoutMs);
  });
  const first = await Promise.race([up, proc.exited, timeout]).finally(() => clearTimeout(timer));
  if (first !== 'timeout' && 'line' in first) {
    return { proc, line: first.line, startMs: Math.round(performance.now() - t0) };
  }
  const stderr = (): string => o.tail(proc.stderr() || proc.stdout()) || '(empty)';
  if (first === 'timeout') {
    await proc.stop('SIGINT', o.stopTimeoutMs);
    throw new Error(`${o.who} did not print "${o.ready}" within ${o.timeoutMs / 1000} s; its stderr: ${stderr()}`);
  }
  const how = first.spawnError ?? exitText(first);
  throw new Error(`${o.who} exited (${how}) before printing "${o.ready}"; its stderr: ${stderr()}`);
}

/** How a server process ended, as kept in the reports. */
export interface ProcessOutcome {
  exitCode: number | null;
  exitSignal: string | null;
  /** True if it ignored SIGINT for the stop timeout and was SIGKILLed. */
  forcedKill: boolean;
  /** Last lines of its stderr (kept when something went wrong). */
  stderrTail?: string;
}

/**
 * Stop `proc` with SIGINT (SIGKILL after `timeoutMs`) and record how it ended
 * in `into`; the stderr tail is kept if `failed`, if it had to be killed, or
 * if it exited other than by success or SIGINT.
 */
export async function stopAndRecord(
  proc: netns.ProcHandle,
  into: ProcessOutcome,
  o: { timeoutMs: number; failed: boolean; tail: (text: string) => string },
): Promise<void> {
  const stop = await proc.stop('SIGINT', o.timeoutMs);
  into.exitCode = stop.code;
  into.exitSignal = stop.signal;
  into.forcedKill = stop.forced;
  if (o.failed || stop.forced || (stop.code !== 0 && stop.signal !== 'SIGINT')) {
    const t = o.tail(proc.stderr());
    if (t) into.stderrTail = t;
  }
}

// ---------------------------------------------------------------------------
// Report

/** The host, for a report's environment block (each benchmark adds its tool versions). */
export interface HostEnvironment {
  node: string;
  platform: string;
  kernel: string;
  cpus: number;
  cpuModel: string | null;
}

export function hostEnvironment(cpus: readonly os.CpuInfo[] = os.cpus()): HostEnvironment {
  return {
    node: process.version,
    platform: process.platform,
    kernel: os.release(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
  };
}

/** The fields every benchmark report opens with. */
export interface ReportHead<B extends string> {
  benchmark: B;
  schemaVersion: 1;
  /** Reason the benchmark did not run, or null. */
  skipped: string | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export function reportHead<B extends string>(benchmark: B, started: Date): ReportHead<B> {
  return {
    benchmark,
    schemaVersion: 1,
    skipped: null,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
  };
}

/** The fields every benchmark report has (its config, environment and rows come between). */
export interface BenchReport<B extends string = string> extends ReportHead<B> {
  /** One line per failed measurement. */
  errors: string[];
  notes: string[];
  resultsFile: string | null;
}

/** Set finishedAt and durationMs (from the performance.now() `t0` of the start). */
export function finishReport<R extends BenchReport>(report: R, t0: number): R {
  report.finishedAt = new Date().toISOString();
  report.durationMs = Math.round(performance.now() - t0);
  return report;
}

/** Remove namespaces and temporary directories of dead runs; say so in progress and notes. */
async function sweepLeftovers(progress: Progress, notes: string[]): Promise<void> {
  const swept = [...(await netns.sweepStaleNamespaces()), ...netns.sweepStaleTempDirs()];
  if (swept.length > 0) {
    progress.line(`removed leftovers of dead runs: ${swept.join(', ')}`);
    notes.push(`Removed namespaces/temporary directories left by earlier runs: ${swept.join(', ')}.`);
  }
}

/** Write the report to <root>/bench/results/<benchmark>-<date>.json (unless `save` is false). */
export function saveReport(root: string, report: BenchReport, started: Date, save: boolean | undefined, progress: Progress): void {
  if (save === false) return;
  try {
    const dir = path.join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const ignore = path.join(dir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*.json\n');
    const stamp = started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
    const file = path.join(dir, `${report.benchmark}-${stamp}.json`);
    report.resultsFile = file;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    progress.line(`report written to ${report.resultsFile}`);
  } catch (e) {
    progress.line(`warning: could not write the JSON report: ${errorText(e)}`);
  }
}

// ---------------------------------------------------------------------------
// Progress

/** Progress lines on stderr (or a sink), stamped with the elapsed time. */
export class Progress {
  private readonly t0 = performance.now();
  private readonly tty: boolean;
  private transient = false;

  constructor(private readonly sink?: (line: string) => void) {
    this.tty = sink === undefined && process.stderr.isTTY === true;
  }

  /** Ticker period for in-flight status: every second on a terminal, else every 10 s. */
  get statusEveryMs(): number {
    return this.tty ? 1000 : 10_000;
  }

  private stamp(): string {
    return `[${((performance.now() - this.t0) / 1000).toFixed(1).padStart(6)}s]`;
  }

  line(text: string): void {
    const l = `${this.stamp()} ${text}`;
    if (this.sink) return this.sink(l);
    this.clear();
    process.stderr.write(`${l}\n`);
  }

  /** A status that the next line replaces (on a terminal). */
  status(text: string): void {
    if (!this.tty) return this.line(text);
    process.stderr.write(`\r\x1b[K${this.stamp()} ${text}`);
    this.transient = true;
  }

  clear(): void {
    if (this.transient) process.stderr.write('\r\x1b[K');
    this.transient = false;
  }
}

// ---------------------------------------------------------------------------
// Tables

/** A number rounded (digits 0) or fixed to `digits`; '-' when missing. */
export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined) return '-';
  return digits === 0 ? String(Math.round(n)) : n.toFixed(digits);
}

/** "node vX, Linux R, N CPUs (model)" for a table's first line. */
export function describeHost(env: HostEnvironment): string {
  return `node ${env.node}, Linux ${env.kernel}, ${env.cpus} CPU${env.cpus === 1 ? '' : 's'}${env.cpuModel ? ` (${env.cpuModel})` : ''}`;
}

/**
 * Rows (the first is the header) as aligned lines, two spaces between columns,
 * a dashed rule under the header; columns in `left` are left-aligned, the others right-aligned.
 */
export function alignColumns(rows: readonly string[][], left: ReadonlySet<number>): string[] {
  const header = rows[0] ?? [];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const out: string[] = [];
  for (const [i, r] of rows.entries()) {
    out.push(
      r
        .map((cell, c) => (left.has(c) ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Command line

/** parseArgs options every namespace benchmark takes. */
export const COMMON_OPTIONS = {
  placements: { type: 'string' },
  root: { type: 'string' },
  'no-save': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Usage line of --placements. */
export const PLACEMENTS_USAGE = '  --placements P,Q     same-cpu and/or cross-cpu (default both)\n';

/** Usage lines of --root, --no-save and --json, for `<benchmark>` (the results file name). */
export function commonUsage(benchmark: string): string {
  return `  --root DIR           project root (default: found from this file)
  --no-save            do not write bench/results/${benchmark}-<date>.json
  --json               print the JSON report instead of the table
`;
}

/** Comma-separated numbers (integers unless `integer` is false); RangeError naming `what`. */
export function parseNumbers(text: string, what: string, integer = true): number[] {
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new RangeError(`bad ${what}: ${JSON.stringify(s)}`);
    return n;
  });
}

/** --placements: same-cpu/cross-cpu (or same/cross), comma-separated. */
export function parsePlacements(text: string): Placement[] {
  return text.split(',').map((s) => {
    const t = s.trim();
    const p = t === 'same' ? 'same-cpu' : t === 'cross' ? 'cross-cpu' : t;
    if (!(PLACEMENTS as readonly string[]).includes(p)) throw new RangeError(`bad placement: ${JSON.stringify(t)}`);
    return p as Placement;
  });
}

/**
 * A benchmark's main(): `parse` reads the command line (null: --help), then
 * the report goes to stdout as a table or as JSON. Exit code 2 for a bad
 * command line (with the usage), 0 for a skipped run, 1 if any measurement
 * failed, else 0.
 */
export async function benchMain<O, R extends BenchReport>(
  usage: string,
  parse: () => { json: boolean; opts: O } | null,
  run: (opts: O) => Promise<R>,
  formatTable: (report: R) => string,
): Promise<number> {
  let parsed: { json: boolean; opts: O } | null;
  try {
    parsed = parse();
  } catch (e) {
    process.stderr.write(`${errorText(e)}\n${usage}`);
    return 2;
  }
  if (parsed === null) {
    process.stdout.write(usage);
    return 0;
  }
  const report = await run(parsed.opts);
  process.stdout.write(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  if (parsed.json && report.skipped !== null) process.stderr.write(`skipped: ${report.skipped}\n`);
  if (report.skipped !== null) return 0;
  return report.errors.length > 0 ? 1 : 0;
}

function isMain(moduleUrl: string): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(arg)).href;
  } catch {
    return moduleUrl === pathToFileURL(path.resolve(arg)).href;
  }
}

/**
 * Run `main` if the module at `moduleUrl` (its import.meta.url) is the
 * program; exit code 130 after an interruption, 1 with `name: <stack>` on a crash.
 */
export function runIfMain(moduleUrl: string, name: string, main: () => Promise<number>): void {
  if (!isMain(moduleUrl)) return;
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof netns.InterruptedError) {
        process.exitCode = 130;
        return;
      }
      process.stderr.write(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
