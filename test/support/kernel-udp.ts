// A node:dgram socket run in a network namespace (the kernel's side of an
// interop test), driven by a JSON recipe; its events come back as JSON lines.
// Shared by the TAP and TUN interop suites.
import assert from 'node:assert/strict';
import type { RemoteInfo, UdpSocket } from '../../src/socket/udp.js';
import { runInNs, spawnInNs, type ProcHandle } from '../../bench/netns.js';
import { until } from './interop.js';

/**
 * Options (JSON in argv[1]): type, ipv6Only, port, address (bind); connect
 * {port, address}; send {text | size, port, address} sent `count` times
 * `interval` ms apart; multicastInterface; echo (answer "echo " + msg);
 * expect (exit after that many messages); untilError (exit at the first
 * 'error'); timeoutMs. Prints {ev: 'listening' | 'message' | 'sent' | 'error' | 'timeout', ...}.
 */
const KERNEL_UDP = `
const dgram = require('node:dgram');
const o = JSON.parse(process.argv[1]);
const out = (x) => process.stdout.write(JSON.stringify(x) + '\\n');
const bytes = (p) => (p.size !== undefined ? Buffer.alloc(p.size).map((_, i) => (i * 7 + 3) & 0xff) : Buffer.from(p.text));
const s = dgram.createSocket({ type: o.type, ipv6Only: o.ipv6Only });
let got = 0;
setTimeout(() => { out({ ev: 'timeout' }); process.exit(0); }, o.timeoutMs ?? 8000);
s.on('error', (e) => { out({ ev: 'error', code: e.code, syscall: e.syscall }); if (o.untilError) process.exit(0); });
s.on('message', (m, r) => {
  got++;
  out({ ev: 'message', data: m.toString('base64'), rinfo: r });
  const done = () => { if (o.expect !== undefined && got >= o.expect) process.exit(0); };
  if (o.echo) s.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address, done);
  else done();
});
s.bind(o.port ?? 0, o.address, () => {
  if (o.multicastInterface) s.setMulticastInterface(o.multicastInterface);
  out({ ev: 'listening', address: s.address() });
  const cb = (e) => out({ ev: 'sent', code: e ? e.code : null });
  let i = 0;
  const tick = () => {
    if (i++ >= (o.count ?? 1)) return;
    if (o.connect) s.send(bytes(o.send), cb);
    else s.send(bytes(o.send), o.send.port, o.send.address, cb);
    setTimeout(tick, o.interval ?? 100);
  };
  if (o.connect) s.connect(o.connect.port, o.connect.address, tick);
  else if (o.send) tick();
});
`;

export interface KernelEvent {
  ev: 'listening' | 'message' | 'sent' | 'error' | 'timeout';
  address?: { address: string; port: number; family: string };
  data?: string;
  rinfo?: RemoteInfo;
  code?: string | null;
  syscall?: string;
}

export interface KernelUdpOptions {
  type: 'udp4' | 'udp6';
  ipv6Only?: boolean;
  port?: number;
  address?: string;
  connect?: { port: number; address: string };
  send?: { text?: string; size?: number; port?: number; address?: string };
  count?: number;
  interval?: number;
  multicastInterface?: string;
  echo?: boolean;
  expect?: number;
  untilError?: boolean;
  timeoutMs?: number;
}

/** A node:dgram socket in the kernel's namespace; its events as they arrive. */
export class KernelUdp {
  readonly proc: ProcHandle;
  private buf = '';
  readonly events: KernelEvent[] = [];

  constructor(ns: string, opts: KernelUdpOptions) {
    this.proc = spawnInNs(ns, [process.execPath, '-e', KERNEL_UDP, JSON.stringify(opts)], {
      onStdout: (c) => {
        this.buf += c;
        let nl: number;
        while ((nl = this.buf.indexOf('\n')) >= 0) {
          const line = this.buf.slice(0, nl);
          this.buf = this.buf.slice(nl + 1);
          if (line.trim()) this.events.push(JSON.parse(line) as KernelEvent);
        }
      },
    });
  }

  messages(): Array<{ data: Buffer; rinfo: RemoteInfo }> {
    return this.events.filter((e) => e.ev === 'message').map((e) => ({ data: Buffer.from(e.data!, 'base64'), rinfo: e.rinfo! }));
  }

  /** The bound port once 'listening' was printed, else undefined. */
  port(): number | undefined {
    return this.events.find((e) => e.ev === 'listening')?.address?.port;
  }

  /** The bound port, once 'listening' was printed (asserts it within 5 s). */
  async listening(): Promise<number> {
    const ok = await until(() => this.events.some((e) => e.ev === 'listening') || this.proc.exitStatus() !== null, 5000);
    const l = this.events.find((e) => e.ev === 'listening');
    assert.ok(ok && l, `the kernel's socket did not start: ${this.proc.stderr()}`);
    return l.address!.port;
  }

  /** Waits for the process to exit (it exits on its own: expect, untilError or timeoutMs). */
  async finished(): Promise<KernelEvent[]> {
    await this.proc.exited;
    return this.events;
  }

  describe(): string {
    return `kernel socket events: ${JSON.stringify(this.events)}\nstderr: ${this.proc.stderr()}`;
  }
}

// --- the wasagi side and the kernel's counters ------------------------------------------

/** Binds a wasagi socket; resolves with its port. */
export function bound(s: UdpSocket, port = 0, address?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve(s.address().port);
    });
  });
}

/** Collects a wasagi socket's datagrams; with `echo`, answers each with "echo " + msg to its sender. */
export function collect(s: UdpSocket, echo = false): Array<{ data: Buffer; rinfo: RemoteInfo }> {
  const got: Array<{ data: Buffer; rinfo: RemoteInfo }> = [];
  s.on('message', (m: Buffer, r: RemoteInfo) => {
    got.push({ data: Buffer.from(m), rinfo: { ...r } });
    if (echo) s.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address);
  });
  return got;
}

/** The kernel's IPv4 MIB (/proc/net/snmp in the namespace): `Ip.FragCreates` etc. */
export async function kernelSnmp(ns: string): Promise<Record<string, number>> {
  const r = await runInNs(ns, ['cat', '/proc/net/snmp'], { timeoutMs: 5000 });
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [proto, ...names] = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/).slice(1);
    names.forEach((n, k) => (out[`${proto.replace(':', '')}.${n}`] = Number(values[k])));
  }
  return out;
}
