/**
 * Small helpers for benchmarks that need Linux network namespaces: create and
 * destroy namespaces, veth pairs and TAP devices, and run commands inside a
 * namespace (`ip netns exec NS ...`) with bounded runtimes.
 *
 * Cleanup is the main concern. Every namespace created here and every child
 * process spawned here is recorded in a registry until it is released:
 *   - normal path: callers release in try/finally (deleteNamespace, stop);
 *   - abnormal path: while anything is registered, handlers for process
 *     'exit', SIGINT, SIGTERM and SIGHUP kill the children (SIGKILL) and
 *     delete the namespaces synchronously; after a signal, the signal is
 *     re-raised if nobody else listens for it, otherwise further creation is
 *     refused (see isInterrupted) so that the caller unwinds;
 *   - if this process is SIGKILLed nothing can run, so sweepStaleNamespaces()
 *     removes `wsgb-<pid>-*` namespaces whose <pid> no longer exists (and
 *     kills what still runs inside them) and sweepStaleTempDirs() the
 *     matching temporary directories; call both at start-up.
 * Deleting a namespace first SIGKILLs every process still inside it: a
 * namespace with live processes outlives `ip netns del` (unnamed), which would
 * leak its devices.
 */
import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Prefix of every namespace created by the benchmarks. */
export const NS_PREFIX = 'wsgb-';

/** `wsgb-<pid>-<tag>`: unique per process, recognisable by the sweeper. */
export function nsName(tag: string, pid: number = process.pid): string {
  return `${NS_PREFIX}${pid}-${tag}`;
}

/** Environment for every child: English, parseable tool output. */
export const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };

// ---------------------------------------------------------------------------
// Cleanup registry

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
const syncHooks = new Set<() => void>();
let handlersInstalled = false;
let interruptedBy: NodeJS.Signals | null = null;

const HANDLED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onProcessExit(): void {
  cleanupAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  interruptedBy = signal;
  process.stderr.write(`\n${signal}: cleaning up network namespaces\n`);
  cleanupAllSync();
  uninstallHandlers();
  // Nobody else handles it: behave like the default (terminate by signal).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onProcessExit);
  for (const s of HANDLED_SIGNALS) process.on(s, onSignal);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onProcessExit);
  for (const s of HANDLED_SIGNALS) process.off(s, onSignal);
}

function maybeUninstall(): void {
  if (liveNamespaces.size === 0 && liveChildren.size === 0 && syncHooks.size === 0) {
    uninstallHandlers();
  }
}

/** The signal that interrupted the process, or null. */
export function isInterrupted(): NodeJS.Signals | null {
  return interruptedBy;
}

function assertNotInterrupted(): void {
  if (interruptedBy !== null) throw new InterruptedError(interruptedBy);
}

export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

/**
 * Register a synchronous cleanup action (e.g. removing a temporary
 * directory) to run if the process exits or is interrupted before the
 * returned release function is called. Release does not run the action.
 */
export function registerCleanup(fn: () => void): () => void {
  syncHooks.add(fn);
  installHandlers();
  return () => {
    syncHooks.delete(fn);
    maybeUninstall();
  };
}

/** Synchronous last-resort cleanup of everything still registered. */
export function cleanupAllSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveChildren.clear();
  for (const ns of liveNamespaces) {
    killNamespacePidsSync(ns);
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000, env: CHILD_ENV });
    } catch {
      /* best effort */
    }
  }
  liveNamespaces.clear();
  for (const fn of syncHooks) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
  syncHooks.clear();
}

function killNamespacePidsSync(ns: string): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', ns], {
      encoding: 'utf8',
      timeout: 5000,
      env: CHILD_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return;
  }
  for (const pid of parsePids(out)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((pid) => pid > 1 && pid !== process.pid);
}

// ---------------------------------------------------------------------------
// Processes

/** Keeps only the last `max` characters appended. */
export class TailBuffer {
  private text = '';
  constructor(private readonly max: number = 16384) {}
  append(chunk: string | Buffer): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.text.length > 2 * this.max) this.text = this.text.slice(-this.max);
  }
  toString(): string {
    return this.text.length > this.max ? this.text.slice(-this.max) : this.text;
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (e.g. ENOENT). */
  spawnError?: string;
}

export interface StopResult extends ExitStatus {
  /** True if the polite signal was not enough and SIGKILL was sent. */
  forced: boolean;
}

export interface ProcHandle {
  readonly child: ChildProcess;
  readonly argv: readonly string[];
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** Exit status once known, else null. */
  exitStatus(): ExitStatus | null;
  /** Tails of stdout/stderr when they are pipes ('' otherwise). */
  stdout(): string;
  stderr(): string;
  /** Send `signal` (default SIGTERM), then SIGKILL after `graceMs` (default 5000). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<StopResult>;
}

export interface SpawnOptions {
  /** Run inside this namespace (via `ip netns exec`). */
  ns?: string;
  /** stdio for the child; default ['ignore', 'pipe', 'pipe']. */
  stdio?: StdioOptions;
  /** Characters of stdout/stderr to keep (default 16384 each). */
  tailChars?: number;
  /** Called with each stdout chunk (when stdout is a pipe). */
  onStdout?: (chunk: string) => void;
}

/** argv prefixed with `ip netns exec NS` when ns is given. */
export function inNs(ns: string | undefined, argv: readonly string[]): string[] {
  return ns === undefined ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

/** Resolve after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Spawn a process (inside `ns` if given). The child is registered for
 * emergency cleanup until it exits. `ip netns exec` and `taskset` exec the
 * next program in place, so signals sent to the handle reach the real
 * program (ping, node).
 */
export function spawnProc(argv: readonly string[], opts: SpawnOptions = {}): ProcHandle {
  assertNotInterrupted();
  const full = inNs(opts.ns, argv);
  const [cmd, ...args] = full;
  if (cmd === undefined) throw new Error('spawnProc: empty argv');
  const out = new TailBuffer(opts.tailChars);
  const err = new TailBuffer(opts.tailChars);
  const child = spawn(cmd, args, {
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  liveChildren.add(child);
  installHandlers();
  let status: ExitStatus | null = null;
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out.append(chunk);
    opts.onStdout?.(chunk);
  });
  child.stderr?.on('data', (chunk: string) => err.append(chunk));
  const exited = new Promise<ExitStatus>((resolve) => {
    const done = (s: ExitStatus): void => {
      if (status !== null) return;
      status = s;
      liveChildren.delete(child);
      maybeUninstall();
      resolve(s);
    };
    child.on('error', (e) => {
      // 'error' without a pid means it never started; otherwise wait for 'close'.
      if (child.pid === undefined) done({ code: null, signal: null, spawnError: e.message });
    });
    // 'close' fires after the stdio streams are drained, so tails are complete.
    child.on('close', (code, signal) => done({ code, signal }));
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<StopResult> => {
    if (status !== null) return { ...status, forced: false };
    child.kill(signal);
    const r = await withTimeout(exited, graceMs);
    if (r !== 'timeout') return { ...r, forced: false };
    child.kill('SIGKILL');
    const k = await withTimeout(exited, 5000);
    if (k !== 'timeout') return { ...k, forced: true };
    // The process is gone or unkillable; give up waiting for its stdio.
    return { code: null, signal: 'SIGKILL', forced: true };
  };

  return {
    child,
    argv: full,
    exited,
    exitStatus: () => status,
    stdout: () => out.toString(),
    stderr: () => err.toString(),
    stop,
  };
}

export interface RunOptions extends SpawnOptions {
  /** Stop the command after this long (default 10000 ms). */
  timeoutMs?: number;
  /** Signal sent on timeout (default SIGTERM); SIGKILL follows after graceMs. */
  timeoutSignal?: NodeJS.Signals;
  /** Wait between timeoutSignal and SIGKILL (default 3000 ms). */
  graceMs?: number;
}

export interface RunResult extends ExitStatus {
  argv: readonly string[];
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Run a command to completion with a bounded runtime. Never rejects for a non-zero exit. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const p = spawnProc(argv, opts);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timedOut = false;
  const r = await withTimeout(p.exited, timeoutMs);
  let status: ExitStatus;
  if (r === 'timeout') {
    timedOut = true;
    status = await p.stop(opts.timeoutSignal ?? 'SIGTERM', opts.graceMs ?? 3000);
  } else {
    status = r;
  }
  return {
    ...status,
    argv: p.argv,
    stdout: p.stdout(),
    stderr: p.stderr(),
    timedOut,
    durationMs: performance.now() - started,
  };
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    const how = result.spawnError
      ? result.spawnError
      : result.timedOut
        ? 'timed out'
        : result.signal
          ? `killed by ${result.signal}`
          : `exit code ${result.code}`;
    const stderr = result.stderr.trim();
    super(`\`${result.argv.join(' ')}\` failed (${how})${stderr ? `: ${stderr}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Run a command; reject with CommandError unless it exits with status 0. */
export async function runChecked(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0 || r.timedOut) throw new CommandError(r);
  return r;
}

/** `ip [-n NS] ARGS...`, checked, stdout returned. */
export async function ip(args: readonly string[], ns?: string): Promise<string> {
  const argv = ns === undefined ? ['ip', ...args] : ['ip', '-n', ns, ...args];
  return (await runChecked(argv, { timeoutMs: 10_000 })).stdout;
}

// ---------------------------------------------------------------------------
// Namespaces and links

/** Create a namespace (registered for cleanup) and bring its loopback up. */
export async function createNamespace(name: string): Promise<void> {
  assertNotInterrupted();
  await ip(['netns', 'add', name]);
  liveNamespaces.add(name);
  installHandlers();
  await ip(['link', 'set', 'lo', 'up'], name);
}

/** Kill whatever still runs inside `name`, then delete it. Idempotent. */
export async function deleteNamespace(name: string): Promise<void> {
  try {
    const pids = await run(['ip', 'netns', 'pids', name], { timeoutMs: 5000 });
    if (pids.code === 0) {
      for (const pid of parsePids(pids.stdout)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    const r = await run(['ip', 'netns', 'del', name], { timeoutMs: 10_000 });
    if (r.code !== 0 && (await listNamespaces()).includes(name)) throw new CommandError(r);
  } finally {
    liveNamespaces.delete(name);
    maybeUninstall();
  }
}

/** Names from `ip netns list` (which prints "name" or "name (id: N)"). */
export async function listNamespaces(): Promise<string[]> {
  const out = (await runChecked(['ip', 'netns', 'list'], { timeoutMs: 5000 })).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete `wsgb-<pid>-*` namespaces left behind by benchmark processes that no
 * longer exist (e.g. SIGKILLed). Returns the names removed.
 */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  const re = new RegExp(`^${NS_PREFIX}(\\d+)-`);
  for (const name of await listNamespaces()) {
    const m = re.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

/**
 * A temporary directory `<tmp>/wsgb-<pid>-XXXXXX`, removed when the returned
 * release function is called or, failing that, when the process exits or is
 * interrupted (or by sweepStaleTempDirs in a later run).
 */
export function makeTempDir(): { dir: string; release: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${NS_PREFIX}${process.pid}-`));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const unregister = registerCleanup(remove);
  return {
    dir,
    release: () => {
      remove();
      unregister();
    },
  };
}

/** Remove `<tmp>/wsgb-<pid>-*` directories of processes that no longer exist. */
export function sweepStaleTempDirs(): string[] {
  const removed: string[] = [];
  const re = new RegExp(`^${NS_PREFIX}(\\d+)-`);
  for (const name of readdirSync(os.tmpdir())) {
    const m = re.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const full = path.join(os.tmpdir(), name);
    rmSync(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}

/** Create namespaces, run fn, always delete them (in reverse order). */
export async function withNamespaces<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
  const created: string[] = [];
  try {
    for (const n of names) {
      await createNamespace(n);
      created.push(n);
    }
    return await fn();
  } finally {
    for (const n of created.reverse()) {
      await deleteNamespace(n).catch((e: unknown) => {
        process.stderr.write(`warning: could not delete namespace ${n}: ${String(e)}\n`);
      });
    }
  }
}

export interface VethEnd {
  ns: string;
  ifname: string;
  /** Address with prefix, e.g. "2001:db8:c::1/64"; added with `nodad`. */
  addr?: string;
}

/** Create a veth pair between two namespaces, add addresses (nodad) and set both ends up. */
export async function createVethPair(a: VethEnd, b: VethEnd): Promise<void> {
  await ip(['link', 'add', a.ifname, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
  for (const end of [a, b]) {
    if (end.addr !== undefined) await ip(['addr', 'add', end.addr, 'dev', end.ifname, 'nodad'], end.ns);
  }
  for (const end of [a, b]) await ip(['link', 'set', end.ifname, 'up'], end.ns);
}

export interface TapOptions {
  mtu?: number;
  /** Kernel-side address with prefix; added with `nodad`. */
  addr?: string;
}

/** Create a (persistent, unowned) TAP device in `ns`, set its MTU and bring it up. */
export async function createTap(ns: string, ifname: string, opts: TapOptions = {}): Promise<void> {
  await ip(['tuntap', 'add', 'dev', ifname, 'mode', 'tap'], ns);
  await ip(['link', 'set', ifname, 'mtu', String(opts.mtu ?? 1500), 'up'], ns);
  if (opts.addr !== undefined) await ip(['addr', 'add', opts.addr, 'dev', ifname, 'nodad'], ns);
}

/** Run a command inside a namespace with a bounded runtime. */
export function runInNs(ns: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(argv, { ...opts, ns });
}

/** Spawn a long-running command inside a namespace. */
export function spawnInNs(ns: string, argv: readonly string[], opts: SpawnOptions = {}): ProcHandle {
  return spawnProc(argv, { ...opts, ns });
}
