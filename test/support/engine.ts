// A hot-path harness for tests and benchmarks: one Engine (scalar or SIMD build),
// interfaces/addresses/groups written into WASM memory byte for byte as
// src/stack/stack.ts writeConfig() does, frames written into RX slots, one
// rxBurst, and the per-slot descriptors, write list (IOV) and work list read back.

import { Engine } from '../../src/wasm/instance.js';
import * as L from '../../src/wasm/layout.generated.js';
import { NeighborTable } from '../../src/nd/neighbor-table.js';
import { ALL_NODES, parseIp6, parseMac, parsePrefix, solicitedNode, ip6Equal, type Ip6 } from '../../src/wire/address.js';
import { UdpDemuxTable } from '../../src/socket/udp-table.js';

/** 'a.b.c.d' → ::ffff:a.b.c.d, the form every WASM table holds IPv4 addresses in. */
export function mapped4(text: string): Ip6 {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${text}`);
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  a.set(parts, 12);
  return a;
}

/** 'a.b.c.d/len' → the mapped address and the IPv4 prefix length (32 when absent). */
export function parsePrefix4(text: string): { addr: Ip6; prefixLen: number } {
  const [a, l] = text.split('/');
  const prefixLen = l === undefined ? 32 : Number(l);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) throw new Error(`bad IPv4 prefix ${text}`);
  return { addr: mapped4(a), prefixLen };
}

/** Both builds, for `for (const b of BUILDS)` loops in tests. */
export const BUILDS = [
  { name: 'scalar', simd: false },
  { name: 'simd', simd: true },
] as const;

export interface AddrSpec {
  /** `addr/plen` (plen 128 or absent: no on-link prefix, as writeConfig does). */
  addr: string;
  tentative?: boolean;
  anycast?: boolean;
  deprecated?: boolean;
}

export interface IfaceSpec {
  ifindex: number;
  mac?: string;
  hopLimit?: number;
  mtu?: number;
  up?: boolean;
  /** Ethernet framing (TAP / memory link); false: TUN, raw IPv6. */
  ethernet?: boolean;
  addresses?: Array<string | AddrSpec>;
  /** Extra groups besides ff02::1 and the solicited-node groups. */
  groups?: string[];
  /** Largest echo reply answered in place (default: no limit). */
  echoMax?: number;
  /** IPv4 addresses 'a.b.c.d/len': mapped ADDR entries (prefix length = len) and the on-link PREFIX ::ffff:…/96+len. */
  ipv4?: string[];
  /** IPv4 default gateway 'a.b.c.d' (IFACE_ROUTER4 + IFF_ROUTER4). */
  router4?: string;
  /** Extra IPv4 groups besides 224.0.0.1 (joined whenever the interface has an IPv4 address). */
  groups4?: string[];
  /** IFACE_TTL (default 64). */
  ttl?: number;
  /** IFF_SLOW_ROUTE: off-link next hops are the control plane's. */
  slowRoute?: boolean;
}

export interface SlotResult {
  verdict: L.Verdict;
  /** DropReason when verdict is DROP, ControlKind otherwise. */
  reason: number;
  l3: number;
  l4: number;
  aux: number;
}

export interface IovEntry {
  offset: number;
  length: number;
}

export interface BurstResult {
  slots: SlotResult[];
  iov: IovEntry[];
  /** Slot indexes handed to the control plane, in order. */
  work: number[];
}

/** One Engine with its neighbor table, configured like a Stack would configure it. */
export class Harness {
  readonly engine: Engine;
  readonly neighbors: NeighborTable;
  private udpTable: UdpDemuxTable | undefined;

  constructor(simd: boolean, ifaces: IfaceSpec[] = []) {
    this.engine = new Engine({ simd });
    this.neighbors = new NeighborTable(this.engine);
    // Until a test attaches the UDP table (`udp`), the harness is a stack that
    // has not mirrored its sockets: UDP_OVERFLOW, so every datagram goes to
    // TypeScript unlooked-up (DELIVER UDP/UDP4, socket 0xffffffff).
    this.engine.dv.setUint32(L.UDP_OVERFLOW, 1, true);
    this.configure(ifaces);
  }

  /** The UDP demultiplexing table (created on first use; that clears UDP_OVERFLOW). */
  /** Sockets the UDP table marks connected (USF_CONNECTED). */
  readonly connectedSockets = new Set<unknown>();

  get udp(): UdpDemuxTable {
    this.udpTable ??= new UdpDemuxTable(this.engine, (s) => this.connectedSockets.has(s));
    return this.udpTable;
  }

  /** RX_SOCK_BASE for slot `i`: the socket entry of a DELIVER UDP/UDP4 slot, or 0xffffffff. */
  rxSock(i: number): number {
    return this.engine.dv.getUint32(L.RX_SOCK_BASE + i * 4, true);
  }

  /** The WASM udpLookup export (dst: 16 bytes, ::ffff:a.b.c.d for family 4), through scratch memory in TX slot 255. */
  udpLookup(family: 4 | 6, dst: Ip6, port: number, ifindex: number): number {
    const at = this.engine.txSlot(L.TX_SLOTS - 1);
    this.engine.u8.set(dst, at);
    const ex = this.engine.exports as unknown as { udpLookup(f: number, d: number, p: number, i: number): number };
    return ex.udpLookup(family, at, port, ifindex) >>> 0;
  }

  get u8(): Uint8Array {
    return this.engine.u8;
  }

  get dv(): DataView {
    return this.engine.dv;
  }

  /** Writes the IFACE, ADDR and GROUP tables like Stack.writeConfig(). */
  configure(ifaces: IfaceSpec[]): void {
    const { u8, dv } = this.engine;
    u8.fill(0, L.IFACE_BASE, L.IFACE_BASE + L.MAX_IFACES * L.IFACE_STRIDE);
    let na = 0;
    let ng = 0;
    const group = (ifindex: number, g: Ip6): void => {
      for (let k = 0; k < ng; k++) {
        const b = L.GROUP_BASE + k * L.GROUP_STRIDE;
        if (u8[b + L.GROUP_IFINDEX] === ifindex && ip6Equal(u8.subarray(b, b + 16), g)) return;
      }
      if (ng >= L.MAX_GROUPS) return;
      const b = L.GROUP_BASE + ng++ * L.GROUP_STRIDE;
      u8.fill(0, b, b + L.GROUP_STRIDE);
      u8.set(g, b);
      u8[b + L.GROUP_IFINDEX] = ifindex;
    };
    let np = 0;
    for (const i of ifaces) {
      const b = L.IFACE_BASE + i.ifindex * L.IFACE_STRIDE;
      u8[b + L.IFACE_FLAGS] = ((i.up ?? true) ? L.IFF_UP : 0) | ((i.ethernet ?? true) ? L.IFF_ETHERNET : 0) |
        (i.router4 !== undefined ? L.IFF_ROUTER4 : 0) | (i.slowRoute ? L.IFF_SLOW_ROUTE : 0);
      u8[b + L.IFACE_TTL] = i.ttl ?? 64;
      if (i.router4 !== undefined) u8.set(mapped4(i.router4), b + L.IFACE_ROUTER4);
      u8[b + L.IFACE_HOP_LIMIT] = i.hopLimit ?? 64;
      dv.setUint16(b + L.IFACE_MTU, i.mtu ?? 1500, true);
      dv.setUint16(b + L.IFACE_ECHO_MAX, i.echoMax ?? 0xffff, true);
      if (i.mac) u8.set(parseMac(i.mac), b + L.IFACE_MAC);
      group(i.ifindex, ALL_NODES); // RFC 4291 §2.8
      for (const spec of i.addresses ?? []) {
        const a: AddrSpec = typeof spec === 'string' ? { addr: spec } : spec;
        const p = parsePrefix(a.addr);
        const e = L.ADDR_BASE + na++ * L.ADDR_STRIDE;
        u8.fill(0, e, e + L.ADDR_STRIDE);
        u8.set(p.addr, e);
        u8[e + L.ADDR_IFINDEX] = i.ifindex;
        u8[e + L.ADDR_FLAGS] =
          L.AF_VALID | (a.tentative ? L.AF_TENTATIVE : 0) | (a.anycast ? L.AF_ANYCAST : 0) | (a.deprecated ? L.AF_DEPRECATED : 0);
        u8[e + L.ADDR_PREFIX_LEN] = p.prefixLen < 128 ? p.prefixLen : 0;
        if (p.prefixLen < 128 && !(p.addr[0] === 0xfe && (p.addr[1] & 0xc0) === 0x80)) {
          // The address's prefix is on-link (the PREFIX table, as writeRoutes() fills it).
          const q = L.PREFIX_BASE + np++ * L.PREFIX_STRIDE;
          u8.fill(0, q, q + L.PREFIX_STRIDE);
          u8.set(p.addr, q);
          u8[q + L.PREFIX_LEN] = p.prefixLen;
          u8[q + L.PREFIX_IFINDEX] = i.ifindex;
        }
        group(i.ifindex, solicitedNode(p.addr)); // RFC 4861 §7.2.1
      }
      for (const g of i.groups ?? []) group(i.ifindex, parseIp6(g));
      for (const text of i.ipv4 ?? []) {
        const p = parsePrefix4(text);
        const e = L.ADDR_BASE + na++ * L.ADDR_STRIDE;
        u8.fill(0, e, e + L.ADDR_STRIDE);
        u8.set(p.addr, e);
        u8[e + L.ADDR_IFINDEX] = i.ifindex;
        u8[e + L.ADDR_FLAGS] = L.AF_VALID;
        u8[e + L.ADDR_PREFIX_LEN] = p.prefixLen;
        if (p.prefixLen < 32) {
          const q = L.PREFIX_BASE + np++ * L.PREFIX_STRIDE;
          u8.fill(0, q, q + L.PREFIX_STRIDE);
          u8.set(p.addr, q);
          u8[q + L.PREFIX_LEN] = 96 + p.prefixLen;
          u8[q + L.PREFIX_IFINDEX] = i.ifindex;
        }
      }
      if ((i.ipv4 ?? []).length > 0) group(i.ifindex, mapped4('224.0.0.1')); // RFC 1112 §4: all-hosts
      for (const g of i.groups4 ?? []) group(i.ifindex, mapped4(g));
    }
    dv.setUint32(L.ADDR_COUNT, na, true);
    dv.setUint32(L.GROUP_COUNT, ng, true);
    dv.setUint32(L.PREFIX_COUNT, np, true);
  }

  /** Inserts or updates a neighbor entry (state and MAC); returns its index. */
  neighbor(ifindex: number, addr: Ip6, state: L.NeighState, mac: string): number {
    const i = this.neighbors.insert(ifindex, addr, state);
    if (i < 0) throw new Error('neighbor table full');
    this.neighbors.update(i, state, parseMac(mac));
    return i;
  }

  /** Copies `frame` into RX slot `i` and sets its descriptor length (default: the frame's). */
  writeRx(i: number, frame: Uint8Array, len = frame.length): void {
    this.engine.u8.set(frame.subarray(0, Math.min(frame.length, L.SLOT_SIZE)), this.engine.rxSlot(i));
    this.engine.dv.setUint32(this.engine.rxDesc(i) + L.DESC_LEN, len, true);
  }

  /** Bytes of RX slot `i` (a copy), `len` long. */
  readRx(i: number, len: number): Uint8Array {
    const o = this.engine.rxSlot(i);
    return this.engine.u8.slice(o, o + len);
  }

  slot(i: number): SlotResult {
    const dv = this.engine.dv;
    const d = this.engine.rxDesc(i);
    return {
      verdict: dv.getUint16(d + L.DESC_VERDICT, true),
      reason: dv.getUint16(d + L.DESC_REASON, true),
      l3: dv.getUint16(d + L.DESC_L3, true),
      l4: dv.getUint16(d + L.DESC_L4, true),
      aux: dv.getUint32(d + L.DESC_AUX, true),
    };
  }

  /** Write-list entries `from..to-1`. */
  iov(to: number, from = 0): IovEntry[] {
    const dv = this.engine.dv;
    const out: IovEntry[] = [];
    for (let k = from; k < to; k++) {
      out.push({ offset: dv.getUint32(L.IOV_BASE + k * 8, true), length: dv.getUint32(L.IOV_BASE + k * 8 + 4, true) });
    }
    return out;
  }

  work(n: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(this.engine.dv.getUint16(L.WORK_BASE + k * 2, true));
    return out;
  }

  /** Runs rxBurst over slots 0..n-1 (already written) and reads everything back. */
  burst(n: number, ifindex = 1, now = 0): BurstResult {
    const r = this.engine.exports.rxBurst(ifindex, n, now);
    const slots: SlotResult[] = [];
    for (let i = 0; i < Math.min(n, L.RX_SLOTS); i++) slots.push(this.slot(i));
    return { slots, iov: this.iov(r & 0xffff), work: this.work(r >>> 16) };
  }

  /** Writes `frames` into slots 0.. and runs one burst. */
  rx(frames: Uint8Array[], ifindex = 1, now = 0): BurstResult {
    frames.forEach((f, i) => this.writeRx(i, f));
    return this.burst(frames.length, ifindex, now);
  }

  /** All drop counters (index: DropReason). */
  dropCounts(): number[] {
    return Array.from({ length: L.NUM_DROP_REASONS }, (_, r) => this.engine.drops(r));
  }

  /** All MIB counters (index: Counter). */
  counterValues(): number[] {
    return Array.from({ length: L.NUM_COUNTERS }, (_, c) => this.engine.counter(c));
  }
}

/** Element-wise `after - before`, keeping only the non-zero entries as { index: delta }. */
export function deltas(before: number[], after: number[]): Record<number, number> {
  const d: Record<number, number> = {};
  after.forEach((v, k) => {
    if (v !== before[k]) d[k] = v - before[k];
  });
  return d;
}

/**
 * A seeded PRNG in [0, 1) (mulberry32, period 2^32) for property tests and
 * benchmarks. Not src/time/clock.ts seededRandom: that one repeats every 8190
 * outputs, too short for tens of thousands of random frames.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
