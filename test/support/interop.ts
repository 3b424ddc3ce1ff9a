// Helpers shared by the interop tests (the kernel in a namespace across a TAP).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ip, runInNs } from '../../bench/netns.js';
import { loadAddon } from '../../src/device/tap.js';

/** Debian's python3, where python3-scapy installs (a pyenv python3 may shadow it on PATH). */
export const PY = '/usr/bin/python3';

/** The MAC address of `dev` in namespace `ns` (`ip -j link show`). */
export async function kernelMac(ns: string, dev: string): Promise<string> {
  const j = JSON.parse(await ip(['-j', 'link', 'show', dev], ns)) as Array<{ address: string }>;
  return j[0].address;
}

/** Polls `cond` every `step` ms until it holds (true) or `timeoutMs` passes (false). */
export async function until(cond: () => boolean, timeoutMs: number, step = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= end) return false;
    await delay(step);
  }
  return true;
}

/** `sysctl -w name=value` inside `ns`, through /proc/sys (no procps needed). */
export async function sysctl(ns: string, setting: string): Promise<void> {
  const [name, value] = setting.split('=');
  const file = `/proc/sys/${name.replaceAll('.', '/')}`;
  const r = await runInNs(ns, ['sh', '-c', 'echo "$1" > "$2"', 'sh', value, file], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, `sysctl -w ${setting} in ${ns}: ${r.stderr}`);
}

function which(tool: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, tool)));
}

/**
 * Why an interop suite cannot run here, or undefined: it needs root,
 * /dev/net/tun, the native addon, each [tool, Debian package], and with
 * `scapy` Debian's python3 able to import scapy.all.
 */
export function interopSkipReason(tools: Array<[string, string]>, opts: { scapy?: boolean } = {}): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const [tool, pkg] of tools) if (!which(tool)) return `needs ${tool} (apt-get install ${pkg})`;
  if (opts.scapy) {
    if (!existsSync(PY)) return `needs ${PY} (apt-get install python3-scapy)`;
    const s = spawnSync(PY, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 30_000 });
    if (s.status !== 0) return `needs scapy for ${PY} (apt-get install python3-scapy)`;
  }
  try {
    loadAddon();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
