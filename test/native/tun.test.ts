// The TUN/TAP addon against a real kernel.
//
// A TAP device is opened in this process, its kernel side is moved into a
// fresh network namespace and given 2001:db8:1::1/64, and the test then plays
// the host 2001:db8:1::2 (MAC 02:00:00:00:00:02) on the fd: it receives the
// kernel's frames through a Poller and readBurst, and writes ICMPv6 echo
// requests and a Neighbor Advertisement with writeBurst, so that the kernel
// answers with echo replies. Poller lifetime rules (ref/unref, an exception
// thrown by onFrames) are checked in child processes in a second namespace.
//
// Needs root, /dev/net/tun and iproute2; skipped otherwise. Everything made
// here (namespaces, devices, fds) is removed in `after`, even on failure.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

// ---- the addon's API, as this test uses it ------------------------------------

interface TunInfo {
  fd: number;
  name: string;
  ifindex: number;
  mtu: number;
}
interface NativePoller {
  start(): void;
  stop(): void;
  close(): void;
  ref(): NativePoller;
  unref(): NativePoller;
}
interface Native {
  openTun(opts: { name: string; mode: 'tap' | 'tun'; mtu?: number; create?: boolean }): TunInfo;
  readBurst(fd: number, memory: ArrayBuffer, slotBase: number, slotSize: number, maxSlots: number,
    lenBase: number, lenStride: number): number;
  writeBurst(fd: number, memory: ArrayBuffer, iovBase: number, n: number): number;
  Poller: new (fd: number, memory: ArrayBuffer, slotBase: number, slotSize: number, maxSlots: number,
    lenBase: number, lenStride: number, onFrames: (n: number) => void,
    onError?: (err: Error & { code?: string; errno?: number }) => void) => NativePoller;
  close(fd: number): void;
  constants: { IFF_TAP: number; IFF_TUN: number; IFF_NO_PI: number };
}

// ---- environment ----------------------------------------------------------------

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
const ADDON_PATH = join(ROOT, 'build', 'Release', 'wasagi_native.node');

function skipReason(): string | false {
  const why = 'needs root and /dev/net/tun';
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return `${why} (Linux)`;
  if (process.getuid() !== 0) return `${why} (not running as root)`;
  if (!existsSync('/dev/net/tun')) return `${why} (/dev/net/tun is missing)`;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return `${why}, and iproute2's ip (not found)`;
  }
  return false;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function ipQuiet(...args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: 'ignore' });
  } catch {
    // cleanup: already gone
  }
}
interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  flags: string[];
  address: string;
  stats64?: { rx: { packets: number }; tx: { packets: number } };
}
function ipLink(...args: string[]): IpLink {
  return (JSON.parse(ip('-j', ...args)) as IpLink[])[0];
}
function linkExists(name: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
/** Runs a command to completion without blocking the event loop. */
function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 },
      (error, out, err) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out, err });
      });
  });
}
async function waitFor<T>(probe: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(20);
  }
}

// ---- frames (the test's own tiny builders; the addon parses nothing) -----------

function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}
function macText(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}
function ip6(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const ETH_IPV6 = 0x86dd;
const NH_ICMPV6 = 58;

/** Writes Ethernet + IPv6 + ICMPv6 (checksum filled in, RFC 4443 §2.3) at `off`; returns the length. */
function writeIcmp6Frame(mem: Uint8Array, off: number, f: {
  dstMac: Uint8Array; srcMac: Uint8Array; src: Uint8Array; dst: Uint8Array; hopLimit: number; icmp: Uint8Array;
}): number {
  const frame = mem.subarray(off, off + 14 + 40 + f.icmp.length);
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame.set(f.dstMac, 0);
  frame.set(f.srcMac, 6);
  v.setUint16(12, ETH_IPV6);
  v.setUint32(14, 0x60000000); // version 6, class 0, flow 0
  v.setUint16(18, f.icmp.length); // payload length
  frame[20] = NH_ICMPV6;
  frame[21] = f.hopLimit;
  frame.set(f.src, 22);
  frame.set(f.dst, 38);
  frame.set(f.icmp, 54);
  v.setUint16(56, 0);
  // RFC 8200 §8.1 pseudo-header: src, dst, upper-layer length, next header.
  let sum = 0;
  for (let i = 22; i < 54; i += 2) sum += v.getUint16(i);
  sum += f.icmp.length + NH_ICMPV6;
  for (let i = 54; i < frame.length; i += 2) sum += i + 1 < frame.length ? v.getUint16(i) : frame[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(56, ~sum & 0xffff);
  return frame.length;
}
function echoRequest(id: number, seq: number): Uint8Array {
  const m = new Uint8Array(8 + 16);
  const v = new DataView(m.buffer);
  m[0] = 128; // Echo Request (RFC 4443 §4.1)
  v.setUint16(4, id);
  v.setUint16(6, seq);
  for (let i = 8; i < m.length; i++) m[i] = i;
  return m;
}
function neighborAdvert(target: Uint8Array, tlla: Uint8Array): Uint8Array {
  const m = new Uint8Array(24 + 8);
  m[0] = 136; // Neighbor Advertisement (RFC 4861 §4.4)
  m[4] = 0x60; // Solicited | Override
  m.set(target, 8);
  m[24] = 2; // Target Link-Layer Address option, length 1 (8 bytes)
  m[25] = 1;
  m.set(tlla, 26);
  return m;
}
interface Frame {
  bytes: Uint8Array;
  etherType: number;
  src: string;
}
function frameOf(bytes: Uint8Array): Frame {
  return { bytes, etherType: (bytes[12] << 8) | bytes[13], src: macText(bytes.subarray(6, 12)) };
}
/** ICMPv6 type of an IPv6 frame without extension headers, else -1. */
function icmpType(f: Frame): number {
  return f.etherType === ETH_IPV6 && f.bytes.length >= 58 && f.bytes[20] === NH_ICMPV6 ? f.bytes[54] : -1;
}

// ---- the memory map of the test's WebAssembly.Memory (4 pages, 256 KiB) --------

const RX_SLOT_BASE = 0x0000;
const RX_SLOT_SIZE = 2048;
const RX_SLOTS = 16; // 32 KiB of slots
const RX_LEN_BASE = 0x8000;
const RX_LEN_STRIDE = 4;
const TX_BASE = 0x10000; // frames to send, 2 KiB apart
const IOV_BASE = 0x20000;

// ---- the suite --------------------------------------------------------------------

const skip = skipReason();

describe('native TUN/TAP addon (wasagi_native)', { skip, timeout: 120_000 }, () => {
  const pid = process.pid;
  const NS = `wsgt-${pid}-1`; // the kernel side of the main TAP lives here
  const NS_CHILD = `wsgt-${pid}-2`; // child processes for Poller lifetime checks
  const DEV = `wsgt${pid % 10000}`;
  const PERSISTENT = `wsgp${pid % 10000}`;
  const KERNEL_IP = ip6('2001:db8:1::1');
  const PEER_IP = ip6('2001:db8:1::2');
  const PEER_MAC = mac('02:00:00:00:00:02');

  let native: Native;
  let tun: TunInfo | undefined;
  let poller: NativePoller | undefined;
  let kernelMac: Uint8Array | undefined;
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4 });
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const received: Frame[] = [];

  /** Copies frames 0..n-1 out of the receive slots. */
  function collect(n: number): Frame[] {
    const out: Frame[] = [];
    for (let i = 0; i < n; i++) {
      const len = view.getUint32(RX_LEN_BASE + i * RX_LEN_STRIDE, true);
      assert.ok(len <= RX_SLOT_SIZE, `frame length ${len} exceeds the slot`);
      const start = RX_SLOT_BASE + i * RX_SLOT_SIZE;
      out.push(frameOf(bytes.slice(start, start + len)));
    }
    return out;
  }
  function rxPackets(): number {
    return ipLink('-n', NS, '-s', 'link', 'show', 'dev', DEV).stats64!.rx.packets;
  }
  function writeIov(entries: Array<[number, number]>): void {
    entries.forEach(([off, len], i) => {
      view.setUint32(IOV_BASE + 8 * i, off, true);
      view.setUint32(IOV_BASE + 8 * i + 4, len, true);
    });
  }

  before(() => {
    const require = createRequire(import.meta.url);
    if (!existsSync(ADDON_PATH)) {
      throw new Error(`${ADDON_PATH} is missing: build it with node-gyp rebuild`);
    }
    native = require(ADDON_PATH) as Native;
    ip('netns', 'add', NS);
  });

  after(() => {
    try {
      poller?.close();
    } finally {
      try {
        if (tun) native.close(tun.fd);
      } finally {
        tun = undefined;
        ipQuiet('netns', 'del', NS);
        ipQuiet('netns', 'del', NS_CHILD);
        for (const d of [DEV, PERSISTENT]) if (linkExists(d)) ipQuiet('link', 'del', 'dev', d);
      }
    }
  });

  it('exports the agreed names', () => {
    for (const k of ['openTun', 'readBurst', 'writeBurst', 'close', 'Poller']) {
      assert.equal(typeof (native as unknown as Record<string, unknown>)[k], 'function', k);
    }
    assert.deepEqual({ ...native.constants }, { IFF_TAP: 0x0002, IFF_TUN: 0x0001, IFF_NO_PI: 0x1000 });
  });

  it('rejects bad arguments with ERR_INVALID_ARG', () => {
    const open = native.openTun as (opts: unknown) => TunInfo;
    assert.throws(() => open({ name: 'x'.repeat(20), mode: 'tap' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'a'.repeat(16), mode: 'tap' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'ok0', mode: 'bridge' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'ok0', mode: 'tap', mtu: 67 }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'ok0', mode: 'tap', mtu: 65536 }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'ok0', mode: 'tap', mtu: 1500.5 }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 'a/b', mode: 'tap' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open({ name: 7, mode: 'tap' }), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => open('tap0'), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => native.readBurst(-1, memory.buffer, 0, 2048, 1, 0x8000, 4), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => (native.readBurst as (...a: unknown[]) => number)(0, new Uint8Array(8), 0, 1, 1, 4, 4),
      { code: 'ERR_INVALID_ARG' });
  });

  it('create:false on a missing device → ERR_TUN_NOT_FOUND', () => {
    assert.throws(() => native.openTun({ name: `wsgnone${pid}`.slice(0, 15), mode: 'tap', create: false }),
      { code: 'ERR_TUN_NOT_FOUND' });
    assert.ok(!linkExists(`wsgnone${pid}`.slice(0, 15)), 'create:false must not create the device');
  });

  it('without CAP_NET_ADMIN → ERR_TUN_PERMISSION', async (t) => {
    const script = `
      const n = require(process.env.WSG_ADDON);
      try { n.openTun({ name: '', mode: 'tap' }); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, ['-e', script], {
        encoding: 'utf8', uid: 65534, gid: 65534, env: { WSG_ADDON: ADDON_PATH }, timeout: 20_000,
      }, (error, out, err) => resolve({ code: error ? -1 : 0, out, err }));
    });
    if (r.code !== 0 && /Cannot find module|EACCES|permission denied/i.test(r.err)) {
      t.skip('the addon is not readable by uid 65534 here');
      return;
    }
    const got = JSON.parse(r.out) as { code: string; message: string };
    assert.equal(got.code, 'ERR_TUN_PERMISSION');
    assert.match(got.message, /CAP_NET_ADMIN/);
  });

  it('attaches to a persistent TAP made by `ip tuntap add` (create:false)', () => {
    ip('tuntap', 'add', 'dev', PERSISTENT, 'mode', 'tap');
    try {
      const before = ipLink('link', 'show', 'dev', PERSISTENT);
      const t = native.openTun({ name: PERSISTENT, mode: 'tap', create: false });
      try {
        assert.equal(t.name, PERSISTENT);
        assert.equal(t.ifindex, before.ifindex);
        const now = ipLink('link', 'show', 'dev', PERSISTENT);
        assert.ok(now.flags.includes('UP'), `flags ${now.flags}`);
        assert.equal(now.address, before.address, 'the kernel side keeps its MAC');
      } finally {
        native.close(t.fd);
      }
      // A persistent device outlives the fd, and a tun-mode open of it is refused.
      assert.ok(linkExists(PERSISTENT));
      assert.throws(() => native.openTun({ name: PERSISTENT, mode: 'tun', create: false }), (e: Error & {
        code?: string; errno?: number; syscall?: string;
      }) => e.code === 'ERR_TUN_MODE' && e.errno === 22 && e.syscall === 'ioctl(TUNSETIFF)');
    } finally {
      ipQuiet('link', 'del', 'dev', PERSISTENT);
    }
  });

  it('opens a TAP with mtu 1400 and brings it up', () => {
    tun = native.openTun({ name: DEV, mode: 'tap', mtu: 1400 });
    assert.equal(tun.name, DEV);
    assert.equal(tun.mtu, 1400);
    assert.ok(Number.isInteger(tun.fd) && tun.fd > 2);
    const link = ipLink('link', 'show', 'dev', DEV);
    assert.equal(link.ifindex, tun.ifindex);
    assert.equal(link.mtu, 1400);
    assert.ok(link.flags.includes('UP'), `flags ${link.flags}`);
  });

  it('a second open of the attached TAP → ERR_TUN_BUSY (and the wrong mode → ERR_TUN_MODE), no fd leaked', () => {
    assert.ok(tun);
    const fds = openFds();
    assert.throws(() => native.openTun({ name: DEV, mode: 'tap' }), (e: Error & { code?: string; errno?: number }) =>
      e.code === 'ERR_TUN_BUSY' && e.errno === 16 && /already attached/.test(e.message));
    assert.throws(() => native.openTun({ name: DEV, mode: 'tun' }), { code: 'ERR_TUN_MODE' });
    assert.throws(() => native.openTun({ name: DEV, mode: 'tap', create: false }), { code: 'ERR_TUN_BUSY' });
    assert.equal(openFds(), fds, 'failed opens must close their fd');
  });

  it('Poller delivers the kernel\'s IPv6 frames after the netdev moved to another netns', async () => {
    assert.ok(tun);
    ip('link', 'set', 'dev', DEV, 'netns', NS);
    ip('-n', NS, 'link', 'set', 'dev', DEV, 'up');
    ip('-n', NS, 'addr', 'add', '2001:db8:1::1/64', 'dev', DEV, 'nodad');
    assert.ok(!linkExists(DEV), 'the netdev left this namespace');
    kernelMac = mac(ipLink('-n', NS, 'link', 'show', 'dev', DEV).address);

    let bursts = 0;
    poller = new native.Poller(tun.fd, memory.buffer, RX_SLOT_BASE, RX_SLOT_SIZE, RX_SLOTS, RX_LEN_BASE,
      RX_LEN_STRIDE, (n) => {
        assert.ok(n >= 1 && n <= RX_SLOTS);
        bursts++;
        received.push(...collect(n));
      });
    poller.start();
    // Traffic from the kernel side: MLD reports and DAD for the link-local
    // address come by themselves; a datagram to the (absent) peer adds a
    // Neighbor Solicitation for 2001:db8:1::2.
    const send = "require('dgram').createSocket('udp6').send('x', 9, '2001:db8:1::2', () => process.exit(0))";
    const r = await run('ip', ['netns', 'exec', NS, process.execPath, '-e', send]);
    assert.equal(r.code, 0, r.err);

    const want = macText(kernelMac);
    const frame = await waitFor(() => received.find((f) => f.etherType === ETH_IPV6 && f.src === want), 10_000,
      'an IPv6 frame from the kernel');
    assert.equal(frame.src, want, 'source MAC is the kernel device\'s own');
    assert.ok(bursts >= 1);
    assert.ok(received.every((f) => f.bytes.length >= 14 && f.bytes.length <= 1400 + 14));
  });

  it('writeBurst sends two echo requests in one call; the kernel counts them and answers after ND', async () => {
    assert.ok(tun && poller && kernelMac);
    poller.stop(); // from here on, readBurst reads
    received.length = 0;
    const tx = [TX_BASE, TX_BASE + 2048];
    const lens = tx.map((off, i) => writeIcmp6Frame(bytes, off, {
      dstMac: kernelMac!, srcMac: PEER_MAC, src: PEER_IP, dst: KERNEL_IP, hopLimit: 64, icmp: echoRequest(0x5761, i + 1),
    }));
    writeIov([[tx[0], lens[0]], [tx[1], lens[1]]]);

    const rxBefore = rxPackets();
    assert.equal(native.writeBurst(tun.fd, memory.buffer, IOV_BASE, 2), 2);
    await waitFor(() => (rxPackets() >= rxBefore + 2 ? true : undefined), 3000, 'rx_packets to rise by 2');

    // To answer, the kernel first asks for 2001:db8:1::2 ...
    const readSome = (): void => {
      const n = native.readBurst(tun!.fd, memory.buffer, RX_SLOT_BASE, RX_SLOT_SIZE, RX_SLOTS, RX_LEN_BASE, RX_LEN_STRIDE);
      received.push(...collect(n));
    };
    const ns = await waitFor(() => {
      readSome();
      return received.find((f) => icmpType(f) === 135 && equalBytes(f.bytes.subarray(62, 78), PEER_IP));
    }, 10_000, 'a Neighbor Solicitation for 2001:db8:1::2');
    // ... so advertise it (to the solicitation's source), and the queued replies follow.
    const naLen = writeIcmp6Frame(bytes, TX_BASE, {
      dstMac: kernelMac, srcMac: PEER_MAC, src: PEER_IP, dst: ns.bytes.slice(22, 38), hopLimit: 255,
      icmp: neighborAdvert(PEER_IP, PEER_MAC),
    });
    writeIov([[TX_BASE, naLen]]);
    assert.equal(native.writeBurst(tun.fd, memory.buffer, IOV_BASE, 1), 1);
    const replies = await waitFor(() => {
      readSome();
      const r = received.filter((f) => icmpType(f) === 129 && macText(f.bytes.subarray(0, 6)) === macText(PEER_MAC));
      return r.length >= 1 ? r : undefined;
    }, 5000, 'an echo reply');
    const reply = replies[0].bytes;
    assert.ok(equalBytes(reply.subarray(22, 38), KERNEL_IP) && equalBytes(reply.subarray(38, 54), PEER_IP));
    assert.equal((reply[58] << 8) | reply[59], 0x5761, 'echo identifier');
  });

  it('writeBurst skips out-of-range iov entries; out-of-range regions throw ERR_INVALID_ARG', () => {
    assert.ok(tun && kernelMac);
    const size = memory.buffer.byteLength;
    const len = writeIcmp6Frame(bytes, TX_BASE, {
      dstMac: kernelMac, srcMac: PEER_MAC, src: PEER_IP, dst: KERNEL_IP, hopLimit: 64, icmp: echoRequest(0x5762, 1),
    });
    writeIov([
      [TX_BASE, len],
      [size - 10, 100], // runs off the end
      [0xfffffff0, 0x20], // wraps in 32 bits
      [TX_BASE, 0], // empty
      [size, 1], // starts at the end
      [TX_BASE, len],
    ]);
    assert.equal(native.writeBurst(tun.fd, memory.buffer, IOV_BASE, 6), 2);
    assert.equal(native.writeBurst(tun.fd, memory.buffer, IOV_BASE, 0), 0);
    // The table itself must fit.
    assert.throws(() => native.writeBurst(tun!.fd, memory.buffer, size - 8, 2), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => native.writeBurst(tun!.fd, memory.buffer, 0xfffffff8, 1), { code: 'ERR_INVALID_ARG' });

    const rb = (slotBase: number, slotSize: number, maxSlots: number, lenBase: number, stride = 4) =>
      () => native.readBurst(tun!.fd, memory.buffer, slotBase, slotSize, maxSlots, lenBase, stride);
    assert.throws(rb(size - 1000, 2048, 1, 0), { code: 'ERR_INVALID_ARG' }); // slot past the end
    assert.throws(rb(0, 2048, 129, 0x8000), { code: 'ERR_INVALID_ARG' }); // 129 slots > 256 KiB
    assert.throws(rb(0, 2048, 2, size - 4), { code: 'ERR_INVALID_ARG' }); // 2nd length word past the end
    assert.throws(rb(0, 0xffffffff, 0xffffffff, 0), { code: 'ERR_INVALID_ARG' }); // 64-bit products
    assert.throws(rb(0, 2048, 1, 0x8000, 2), { code: 'ERR_INVALID_ARG' }); // lenStride < 4
    assert.equal(rb(size, 2048, 0, size)(), 0, 'maxSlots 0 touches nothing');
    assert.throws(() => new native.Poller(tun!.fd, memory.buffer, size - 100, 2048, 1, 0, 4, () => {}),
      { code: 'ERR_INVALID_ARG' });
  });

  it('close(fd) is refused while a Poller holds the fd; one Poller per fd', () => {
    assert.ok(tun && poller);
    assert.throws(() => native.close(tun!.fd), { code: 'ERR_INVALID_ARG' });
    assert.throws(() => new native.Poller(tun!.fd, memory.buffer, 0, 2048, 1, 0x8000, 4, () => {}),
      { code: 'ERR_INVALID_ARG' });
    assert.equal(poller.unref(), poller);
    assert.equal(poller.ref(), poller);
  });

  it('deleting the device makes the Poller report through onError; reads and writes then throw', async () => {
    assert.ok(tun && poller);
    poller.close();
    poller.close(); // idempotent; the object is inert now
    poller.start();
    let failure: (Error & { code?: string; errno?: number; syscall?: string }) | undefined;
    poller = new native.Poller(tun.fd, memory.buffer, RX_SLOT_BASE, RX_SLOT_SIZE, RX_SLOTS, RX_LEN_BASE,
      RX_LEN_STRIDE, () => {}, (err) => {
        failure = err;
      });
    poller.start();
    ip('-n', NS, 'link', 'del', 'dev', DEV);
    const err = await waitFor(() => failure, 5000, 'onError');
    assert.equal(err.code, 'ERR_TUN_SYSCALL');
    assert.equal(typeof err.errno, 'number');
    assert.equal(typeof err.syscall, 'string');
    // The fd has lost its device: EBADFD (77).
    assert.throws(() => native.readBurst(tun!.fd, memory.buffer, 0, 2048, 1, 0x8000, 4),
      { code: 'ERR_TUN_SYSCALL', errno: 77, syscall: 'read' });
    writeIov([[TX_BASE, 60]]);
    assert.throws(() => native.writeBurst(tun!.fd, memory.buffer, IOV_BASE, 1),
      { code: 'ERR_TUN_SYSCALL', errno: 77, syscall: 'write' });
    poller.close();
    poller = undefined;
    native.close(tun.fd);
    tun = undefined;
  });

  describe('Poller lifetime, in child processes', () => {
    const CHILD_DEV = `wsgc${pid % 10000}`;
    // Each child opens its own TAP (which vanishes with the child), starts a
    // Poller and reports on stdout. Its namespace is fresh, so bringing the
    // TAP up yields IPv6 frames (DAD, MLD) without help.
    const script = `
      const n = require(process.env.WSG_ADDON);
      const t = n.openTun({ name: process.env.WSG_DEV, mode: 'tap' });
      const mem = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      const mode = process.env.WSG_MODE;
      let frames = 0;
      const p = new n.Poller(t.fd, mem.buffer, 0, 2048, 8, 32768, 4, (k) => {
        frames += k;
        if (mode === 'throw') throw new Error('boom from onFrames');
      });
      process.on('exit', (code) => console.log('exit ' + code));
      if (mode === 'throw') {
        process.on('uncaughtException', (e) => {
          console.log('uncaught ' + e.message + ' after ' + frames);
          p.close(); n.close(t.fd); process.exit(0);
        });
        p.start();
        setTimeout(() => { console.log('no frames'); process.exit(3); }, 10000).unref();
      } else if (mode === 'ref') {
        p.start();
        setTimeout(() => { console.log('alive'); p.close(); n.close(t.fd); }, 300).unref();
      } else if (mode === 'unref') {
        p.start(); p.unref();
        setTimeout(() => console.log('alive'), 300).unref();
      } else if (mode === 'stopped') {
        p.start(); p.stop();
        setTimeout(() => console.log('alive'), 300).unref();
      }
    `;
    const child = (mode: string) => run('ip', ['netns', 'exec', NS_CHILD, process.execPath, '-e', script],
      { WSG_ADDON: ADDON_PATH, WSG_DEV: CHILD_DEV, WSG_MODE: mode });

    before(() => {
      ip('netns', 'add', NS_CHILD);
    });

    it('an exception thrown by onFrames surfaces as uncaughtException', async () => {
      const r = await child('throw');
      assert.match(r.out, /uncaught boom from onFrames after [1-9]/, r.out + r.err);
      assert.equal(r.code, 0);
    });

    it('a started Poller keeps the process alive', async () => {
      const r = await child('ref');
      assert.equal(r.out.trim(), 'alive\nexit 0', r.err);
    });

    it('an unref()ed or stopped Poller does not', async () => {
      for (const mode of ['unref', 'stopped']) {
        const r = await child(mode);
        assert.equal(r.out.trim(), 'exit 0', `${mode}: ${r.out}${r.err}`);
      }
    });
  });
});
