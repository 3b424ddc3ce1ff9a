// The composition root (DESIGN.md §3): one Engine (the WASM hot path and its
// memory), interfaces on devices, the neighbor cache, pingers, and the glue that
// turns verdicts into control-plane work and actions into packets.
//
// Per received burst: rxBurst once (echo replies are built in place and queued
// in the write list), the work list in one TypeScript pass, txBuild once for
// whatever the control plane sends, one device write. Time comes from the
// clock: with a SystemClock the stack arms one timer for its earliest deadline;
// with a ManualClock it arms none and tests call poll() (STYLE.md 1–3).

import { EventEmitter } from 'node:events';
import * as L from '../wasm/layout.generated.js';
import { Engine } from '../wasm/instance.js';
import { SystemClock, type Clock } from '../time/clock.js';
import { NEVER, type Instant } from '../time/instant.js';
import { WasagiError, invalidArg } from '../errors.js';
import {
  ALL_NODES, formatIp6, formatMac, ip6Equal, isLinkLocal, isMulticast, isUnspecified, linkLocalFromMac,
  parseIp6Zoned, parseMac, parsePrefix, prefixMatch, randomMac, solicitedNode, type Ip6,
} from '../wire/address.js';
import { emitIp6Header, ip6Fields, IP6_HEADER_LEN, NH_ICMPV6 } from '../wire/ipv6.js';
import {
  emitNeighborAdvert, emitNeighborSolicit, neighborAdvertLength, neighborSolicitLength, parseNeighborAdvert,
  parseNeighborSolicit, ND_NA, ND_NS,
} from '../wire/ndisc.js';
import { NeighborTable } from '../nd/neighbor-table.js';
import { NeighborCache, type NdAction } from '../nd/neighbor-cache.js';
import { validateNeighborAdvert, validateNeighborSolicit } from '../nd/validate.js';
import { Interface, type AddressRecord } from './interface.js';
import { Pinger, type PingOptions, type PingSummary } from './ping.js';
import type { StackEvent } from './events.js';
import type { Device } from '../device/device.js';
import type { MemoryLink } from '../device/memory.js';
import { openTap, type TapOptions } from '../device/tap.js';
import { withPcap } from '../device/pcap.js';

const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;
const ND_HOP_LIMIT = 255; // RFC 4861 §6.1, §7.1

export interface StackOptions {
  /** Time source; a ManualClock gives virtual time (no timers armed). Default: SystemClock. */
  clock?: Clock;
  /** Random source in [0, 1) (ReachableTime, identifiers, MACs). Default: Math.random. */
  random?: () => number;
  /** Use the SIMD build when the engine supports it (default true). */
  simd?: boolean;
  interfaces?: InterfaceOptions[];
}

export interface InterfaceOptions {
  /** Interface name (default: the device's name). */
  name?: string;
  /** An in-process link to attach to. */
  link?: MemoryLink;
  /** A TAP/TUN device to open (name, or options). */
  tap?: string | TapOptions;
  /** An already-open device. */
  device?: Device;
  /** Our MAC (default: random, locally administered). */
  mac?: string | Uint8Array;
  /** Static addresses, `2001:db8::2/64` (a plain address means /128). */
  addresses?: string[];
  /** Form the EUI-64 link-local address (default true on Ethernet). */
  linkLocal?: boolean;
  /** Hop limit for packets we originate (default 64). */
  hopLimit?: number;
  /** Also write every frame received and sent to this pcap file. */
  pcap?: string;
}

/** Counters that only the control plane sees (the rest live in WASM memory). */
const TS_COUNTERS = ['Udp6NoPorts', 'Ip6OutNoRoutes', 'NdNotForUs', 'NdDadIgnored', 'EventsLost'] as const;
type TsCounter = (typeof TS_COUNTERS)[number];

export class Stack extends EventEmitter {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly random: () => number;
  readonly neighbors: NeighborCache;
  private readonly table: NeighborTable;
  private readonly ifaces: Array<Interface | undefined> = new Array(L.MAX_IFACES).fill(undefined);
  private readonly pingers = new Map<number, Pinger>();
  private readonly tsCounters: Record<TsCounter, number> = Object.fromEntries(TS_COUNTERS.map((k) => [k, 0])) as Record<TsCounter, number>;
  /** The transmit batch being filled: TX slots 0..count-1 after iovStart write-list entries. */
  private readonly tx = { ifindex: -1, count: 0, iovStart: 0 };
  private timer?: NodeJS.Timeout;
  private timerAt: Instant = NEVER;
  private lostSeen = 0;
  private timerRefed = false;
  private closed = false;
  private inEntry = 0;

  constructor(opts: StackOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.random = opts.random ?? Math.random;
    this.engine = new Engine({ simd: opts.simd });
    this.table = new NeighborTable(this.engine);
    this.neighbors = new NeighborCache(this.table, this.random);
    for (const i of opts.interfaces ?? []) this.addInterface(i);
  }

  // --- interfaces and addresses ------------------------------------------------

  get interfaces(): Interface[] {
    return this.ifaces.filter((i): i is Interface => i !== undefined);
  }

  /** An interface by name or index; throws ERR_NO_SUCH_INTERFACE. */
  interface(nameOrIndex: string | number): Interface {
    const i =
      typeof nameOrIndex === 'number'
        ? this.ifaces[nameOrIndex]
        : this.interfaces.find((x) => x.name === nameOrIndex) ?? (/^\d+$/.test(nameOrIndex) ? this.ifaces[Number(nameOrIndex)] : undefined);
    if (!i) throw new WasagiError('ERR_NO_SUCH_INTERFACE', `no interface ${JSON.stringify(nameOrIndex)}`);
    return i;
  }

  addInterface(opts: InterfaceOptions): Interface {
    this.assertOpen();
    if (typeof opts !== 'object' || opts === null) throw invalidArg('options', 'an object', opts);
    const given = [opts.link, opts.tap, opts.device].filter((x) => x !== undefined).length;
    if (given !== 1) throw new WasagiError('ERR_INVALID_ARG', 'an interface needs exactly one of "link", "tap" or "device"');
    const ifindex = this.ifaces.findIndex((x, k) => k > 0 && x === undefined);
    if (ifindex < 0) throw new WasagiError('ERR_TOO_MANY_INTERFACES', `at most ${L.MAX_IFACES - 1} interfaces`);
    const mac = opts.mac === undefined ? randomMac(this.random) : typeof opts.mac === 'string' ? parseMac(opts.mac) : parseMac(formatMac(opts.mac));
    const addrs = (opts.addresses ?? []).map((a) => {
      if (typeof a !== 'string') throw invalidArg('addresses', 'an array of strings', a);
      const p = parsePrefix(a);
      if (isMulticast(p.addr) || isUnspecified(p.addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `${a} cannot be an interface address`);
      return p;
    });
    if (opts.hopLimit !== undefined && (!Number.isInteger(opts.hopLimit) || opts.hopLimit < 1 || opts.hopLimit > 255)) {
      throw invalidArg('hopLimit', 'an integer 1..255', opts.hopLimit);
    }
    let device: Device;
    if (opts.link) device = opts.link.port(opts.name);
    else if (opts.tap !== undefined) device = openTap(typeof opts.tap === 'string' ? { name: opts.tap } : opts.tap);
    else device = opts.device!;
    if (opts.pcap !== undefined) {
      if (typeof opts.pcap !== 'string') throw invalidArg('pcap', 'a file path', opts.pcap);
      device = withPcap(device, opts.pcap);
    }
    const name = opts.name ?? device.name;
    if (this.interfaces.some((x) => x.name === name)) {
      if (opts.link || opts.tap !== undefined) device.close();
      throw new WasagiError('ERR_INVALID_ARG', `an interface named ${name} exists already`);
    }
    const iface = new Interface(ifindex, name, device, device.ethernet ? mac : undefined);
    if (opts.hopLimit) iface.hopLimit = opts.hopLimit;
    this.ifaces[ifindex] = iface;
    if (device.ethernet && opts.linkLocal !== false) {
      iface.addresses.push(record(linkLocalFromMac(mac), 64, 'link-local'));
    }
    for (const a of addrs) iface.addresses.push(record(a.addr, a.prefixLen, 'static'));
    this.writeConfig();
    device.attach(this.engine, (n) => this.rx(ifindex, n));
    this.emitEvent({ type: 'InterfaceAdded', ifindex, name, kind: device.kind, lladdr: iface.mac && formatMac(iface.mac), mtu: device.mtu });
    for (const a of iface.addresses) {
      this.emitEvent({ type: 'AddressAdded', ifindex, interface: name, address: this.formatAddr(a.addr, iface), prefixLen: a.prefixLen });
    }
    return iface;
  }

  /** Adds a static address `addr/plen` to an interface. */
  addAddress(ifname: string | number, text: string): void {
    this.assertOpen();
    const iface = this.interface(ifname);
    const p = parsePrefix(text);
    if (isMulticast(p.addr) || isUnspecified(p.addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `${text} cannot be an interface address`);
    if (iface.addresses.some((a) => ip6Equal(a.addr, p.addr))) throw new WasagiError('ERR_ADDRESS_EXISTS', `${text} is already on ${iface.name}`);
    if (this.interfaces.reduce((n, i) => n + i.addresses.length, 0) >= L.MAX_ADDRS) {
      throw new WasagiError('ERR_TOO_MANY_ADDRESSES', `at most ${L.MAX_ADDRS} addresses`);
    }
    iface.addresses.push(record(p.addr, p.prefixLen, 'static'));
    this.writeConfig();
    this.emitEvent({ type: 'AddressAdded', ifindex: iface.ifindex, interface: iface.name, address: this.formatAddr(p.addr, iface), prefixLen: p.prefixLen });
  }

  /** Prints an address with its zone when it is link-local (RFC 4007 §11). */
  formatAddr(a: Ip6, iface?: Interface): string {
    return formatIp6(a, iface && isLinkLocal(a) ? iface.name : undefined);
  }

  /** Parses `addr[%zone]`, resolving the zone to an interface (RFC 4007 §11). */
  resolveZoned(text: string): { addr: Ip6; iface?: Interface } {
    const z = parseIp6Zoned(text);
    if (z.zone === undefined) return { addr: z.addr };
    const iface = this.interfaces.find((i) => i.name === z.zone) ?? (/^\d+$/.test(z.zone) ? this.ifaces[Number(z.zone)] : undefined);
    if (!iface) throw new WasagiError('ERR_UNKNOWN_ZONE', `unknown zone ${JSON.stringify(z.zone)} in ${text}`);
    return { addr: z.addr, iface };
  }

  /** Writes interface, address and group tables into WASM memory. */
  private writeConfig(): void {
    const { u8, dv } = this.engine;
    let na = 0;
    let ng = 0;
    const groupAt = (ifindex: number, g: Ip6): void => {
      for (let k = 0; k < ng; k++) {
        const b = L.GROUP_BASE + k * L.GROUP_STRIDE;
        if (u8[b + L.GROUP_IFINDEX] === ifindex && ip6Equal(u8.subarray(b, b + 16), g)) return;
      }
      if (ng >= L.MAX_GROUPS) return;
      const b = L.GROUP_BASE + ng * L.GROUP_STRIDE;
      u8.fill(0, b, b + L.GROUP_STRIDE);
      u8.set(g, b);
      u8[b + L.GROUP_IFINDEX] = ifindex;
      ng++;
    };
    for (let k = 0; k < L.MAX_IFACES; k++) {
      const i = this.ifaces[k];
      const b = L.IFACE_BASE + k * L.IFACE_STRIDE;
      u8.fill(0, b, b + L.IFACE_STRIDE);
      if (!i) continue;
      u8[b + L.IFACE_FLAGS] = (i.up ? L.IFF_UP : 0) | (i.device.ethernet ? L.IFF_ETHERNET : 0);
      u8[b + L.IFACE_HOP_LIMIT] = i.hopLimit;
      dv.setUint16(b + L.IFACE_MTU, i.mtu, true);
      if (i.mac) u8.set(i.mac, b + L.IFACE_MAC);
      groupAt(k, ALL_NODES); // RFC 4291 §2.8: every node joins all-nodes
      for (const a of i.addresses) {
        if (na >= L.MAX_ADDRS) break;
        const e = L.ADDR_BASE + na * L.ADDR_STRIDE;
        u8.fill(0, e, e + L.ADDR_STRIDE);
        u8.set(a.addr, e);
        u8[e + L.ADDR_IFINDEX] = k;
        u8[e + L.ADDR_FLAGS] = L.AF_VALID | (a.tentative ? L.AF_TENTATIVE : 0) | (a.anycast ? L.AF_ANYCAST : 0) | (a.deprecated ? L.AF_DEPRECATED : 0);
        u8[e + L.ADDR_PREFIX_LEN] = a.prefixLen < 128 ? a.prefixLen : 0;
        na++;
        groupAt(k, solicitedNode(a.addr)); // RFC 4861 §7.2.1
      }
    }
    dv.setUint32(L.ADDR_COUNT, na, true);
    dv.setUint32(L.GROUP_COUNT, ng, true);
  }

  // --- receive ---------------------------------------------------------------------

  /** One received burst of `n` frames on `ifindex` (called by the device). */
  private rx(ifindex: number, n: number): void {
    if (this.closed) return;
    this.enter();
    try {
      const now = this.clock.now();
      this.flushTx(now);
      const r = this.engine.exports.rxBurst(ifindex, n, now);
      const iovCount = r & 0xffff;
      const work = r >>> 16;
      this.tx.ifindex = ifindex;
      this.tx.count = 0;
      this.tx.iovStart = iovCount;
      const dv = this.engine.dv;
      for (let j = 0; j < work; j++) {
        const slot = dv.getUint16(L.WORK_BASE + j * 2, true);
        const d = this.engine.rxDesc(slot);
        this.onWork(ifindex, slot, dv.getUint16(d + L.DESC_VERDICT, true), dv.getUint16(d + L.DESC_REASON, true), now);
      }
    } finally {
      this.leave();
    }
  }

  private onWork(ifindex: number, slot: number, verdict: L.Verdict, kind: L.ControlKind, now: Instant): void {
    const { u8, dv } = this.engine;
    const base = this.engine.rxSlot(slot);
    const d = this.engine.rxDesc(slot);
    const ip = base + dv.getUint16(d + L.DESC_L3, true);
    const l4 = base + dv.getUint16(d + L.DESC_L4, true);
    const pktLen = dv.getUint32(d + L.DESC_AUX, true);
    const iface = this.ifaces[ifindex];
    if (!iface) return;
    if (verdict === L.Verdict.RESOLVE) {
      this.resolveAndQueue(ifindex, u8.slice(ip, ip + pktLen), now);
      return;
    }
    const msg = u8.subarray(l4, ip + pktLen);
    const h = ip6Fields(u8, ip);
    switch (kind) {
      case L.ControlKind.ND:
        if (msg[0] === ND_NS) this.onNeighborSolicit(iface, h, msg, base, now);
        else if (msg[0] === ND_NA) this.onNeighborAdvert(iface, h, msg, now);
        else this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED); // RS ignored by hosts (§6.2.6); RA, Redirect: ND issue
        return;
      case L.ControlKind.ECHO_MULTICAST:
        this.onMulticastEcho(iface, h, msg);
        return;
      case L.ControlKind.ECHO_REPLY: {
        const id = (msg[4] << 8) | msg[5];
        const seq = (msg[6] << 8) | msg[7];
        const p = this.pingers.get(id);
        if (p && ip6Equal(h.src, p.dst)) p.onReply(seq, msg.length, this.formatAddr(h.src, iface), h.hopLimit, now);
        return;
      }
      case L.ControlKind.UDP:
        // Sockets arrive with the dual-stack issue; until then every port is closed.
        this.tsCounters.Udp6NoPorts++;
        this.engine.countDrop(L.DropReason.UDP_NO_PORT);
        return;
      default:
        this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED);
    }
  }

  /** NS (RFC 4861 §7.2.3, §7.2.4). */
  private onNeighborSolicit(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, frame: number, now: Instant): void {
    const ns = parseNeighborSolicit(msg);
    if (!ns || !validateNeighborSolicit(h, ns)) {
      this.engine.countDrop(L.DropReason.ND_INVALID);
      return;
    }
    const mine = iface.addresses.find((a) => ip6Equal(a.addr, ns.target));
    if (!mine) {
      this.tsCounters.NdNotForUs++; // §7.2.3: not our address: silently discard
      return;
    }
    if (mine.tentative) {
      this.tsCounters.NdDadIgnored++; // DAD arrives with the addressing issue
      return;
    }
    const fromUnspecified = isUnspecified(h.src);
    if (!fromUnspecified && ns.sourceLinkAddr) {
      this.handle(this.neighbors.onNeighborSolicit(iface.ifindex, h.src, ns.sourceLinkAddr, now), now);
    }
    // §7.2.4: answer from the target; to all-nodes when the solicitor had no address.
    const dst = fromUnspecified ? ALL_NODES : h.src;
    const na = { router: false, solicited: !fromUnspecified, override: !mine.anycast, target: ns.target, targetLinkAddr: iface.mac };
    this.sendIp6(iface, ns.target, dst, ND_HOP_LIMIT, NH_ICMPV6, neighborAdvertLength(na), (b, o) => emitNeighborAdvert(b, o, na), {
      mac: !fromUnspecified ? ns.sourceLinkAddr : undefined,
    });
  }

  /** NA (RFC 4861 §7.2.5). */
  private onNeighborAdvert(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, now: Instant): void {
    const na = parseNeighborAdvert(msg);
    if (!na || !validateNeighborAdvert(h, na)) {
      this.engine.countDrop(L.DropReason.ND_INVALID);
      return;
    }
    if (iface.addresses.some((a) => ip6Equal(a.addr, na.target))) {
      this.tsCounters.NdDadIgnored++; // someone claims our address: DAD, addressing issue
      return;
    }
    this.handle(
      this.neighbors.onNeighborAdvert(iface.ifindex, na.target, { router: na.router, solicited: na.solicited, override: na.override, tllao: na.targetLinkAddr }, now),
      now,
    );
  }

  /**
   * Echo to a group we joined or to one of our anycast addresses: answer from a
   * unicast address of the interface (RFC 4443 §2.2 b, §4.2).
   */
  private onMulticastEcho(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array): void {
    const src = this.sourceFor(iface, h.src);
    if (!src || isUnspecified(h.src)) {
      this.engine.countDrop(L.DropReason.ECHO_MCAST_NO_SOURCE);
      return;
    }
    const body = msg.slice();
    body[0] = ICMP6_ECHO_REPLY;
    body[1] = 0; // Code 0 (RFC 4443 §4.2)
    this.sendIp6(iface, src, h.src, iface.hopLimit, NH_ICMPV6, body.length, (b, o) => {
      b.set(body, o);
      b[o + 2] = 0;
      b[o + 3] = 0;
    });
  }

  private drainEvents(now: Instant): void {
    const dv = this.engine.dv;
    const head = dv.getUint32(L.EVENT_HEAD, true);
    let tail = dv.getUint32(L.EVENT_TAIL, true);
    while (tail !== head) {
      const p = L.EVENT_BASE + (tail & (L.EVENT_CAPACITY - 1)) * L.EVENT_STRIDE;
      const kind = dv.getUint16(p, true);
      const arg = dv.getUint32(p + 4, true);
      if (kind === L.EventKind.NEIGH_STALE_USED) this.handle(this.neighbors.onStaleUsed(arg, now), now);
      tail = (tail + 1) >>> 0;
    }
    dv.setUint32(L.EVENT_TAIL, tail, true);
    const lost = dv.getUint32(L.EVENT_LOST, true);
    if (lost !== this.lostSeen) {
      // The ring overflowed: any STALE entry may have been used; treat all as used
      // so none is left STALE without verification.
      this.tsCounters.EventsLost += (lost - this.lostSeen) >>> 0;
      this.lostSeen = lost;
      for (const e of this.neighbors.list()) if (e.state === 'STALE') this.handle(this.neighbors.onStaleUsed(e.slot, now), now);
    }
  }

  // --- transmit --------------------------------------------------------------------

  /** A TX slot index in the current batch for `ifindex`. */
  private allocTx(ifindex: number, now: Instant): number {
    const b = this.tx;
    if ((b.count > 0 || b.iovStart > 0) && b.ifindex !== ifindex) this.flushTx(now);
    if (this.tx.count >= L.TX_SLOTS) this.flushTx(now);
    this.tx.ifindex = ifindex;
    return this.tx.count++;
  }

  /**
   * Finishes the batch (txBuild) and writes it with one device call. Packets
   * that need resolution may queue solicitations: those go out in a next batch.
   */
  private flushTx(now: Instant): void {
    if (this.closed) return;
    for (let round = 0; round < 8 && (this.tx.count > 0 || this.tx.iovStart > 0); round++) this.flushBatch(now);
  }

  private flushBatch(now: Instant): void {
    const ifindex = this.tx.ifindex;
    const count = this.tx.count;
    const iovStart = this.tx.iovStart;
    this.tx.ifindex = -1;
    this.tx.count = 0;
    this.tx.iovStart = 0;
    if (count === 0 && iovStart === 0) return;
    const iface = this.ifaces[ifindex];
    const n = count ? this.engine.exports.txBuild(count, iovStart, now) : iovStart;
    let pending: Uint8Array[] | undefined;
    const { dv, u8 } = this.engine;
    for (let i = 0; i < count; i++) {
      const d = this.engine.txDesc(i);
      if (dv.getUint16(d + L.TXD_STATUS, true) === L.Verdict.RESOLVE) {
        const off = this.engine.txSlot(i) + L.TX_HEADROOM;
        (pending ??= []).push(u8.slice(off, off + dv.getUint32(d + L.TXD_LEN, true)));
      }
    }
    if (n > 0 && iface) {
      const w = iface.device.write(this.engine, n);
      if (w < n) this.engine.countDrop(L.DropReason.WRITE_FAILED, n - w);
    }
    if (pending) for (const p of pending) this.resolveAndQueue(ifindex, p, now);
  }

  /**
   * Queues an IPv6 packet for `iface`, headers written here; txBuild fills the
   * checksum and the link-layer header. `mac` skips the neighbor table.
   */
  private sendIp6(
    iface: Interface,
    src: Ip6,
    dst: Ip6,
    hopLimit: number,
    nextHeader: number,
    upperLen: number,
    writeUpper: (b: Uint8Array, o: number) => void,
    opts: { mac?: Uint8Array } = {},
  ): boolean {
    const now = this.clock.now();
    const len = IP6_HEADER_LEN + upperLen;
    if (len > iface.mtu || len > L.SLOT_SIZE - L.TX_HEADROOM) {
      this.engine.countDrop(L.DropReason.TX_TOO_BIG);
      return false;
    }
    const i = this.allocTx(iface.ifindex, now);
    const off = this.engine.txSlot(i) + L.TX_HEADROOM;
    const { u8, dv } = this.engine;
    emitIp6Header(u8, off, { payloadLength: upperLen, nextHeader, hopLimit, src, dst });
    writeUpper(u8, off + IP6_HEADER_LEN);
    const d = this.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, len, true);
    u8[d + L.TXD_IFINDEX] = iface.ifindex;
    u8[d + L.TXD_FLAGS] = L.TXF_CSUM | (opts.mac ? L.TXF_HAVE_MAC : 0);
    if (opts.mac) u8.set(opts.mac.subarray(0, 6), d + L.TXD_MAC);
    return true;
  }

  /** Re-sends a finished IPv6 packet (checksums done), e.g. after resolution. */
  private sendRaw(ifindex: number, packet: Uint8Array, now: Instant): void {
    const iface = this.ifaces[ifindex];
    if (!iface) return;
    const i = this.allocTx(ifindex, now);
    const { u8, dv } = this.engine;
    u8.set(packet, this.engine.txSlot(i) + L.TX_HEADROOM);
    const d = this.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, packet.length, true);
    u8[d + L.TXD_IFINDEX] = ifindex;
    u8[d + L.TXD_FLAGS] = 0;
  }

  /** Next-hop determination (RFC 4861 §5.2) and queueing for resolution (§7.2.2). */
  private resolveAndQueue(ifindex: number, packet: Uint8Array, now: Instant): void {
    const iface = this.ifaces[ifindex];
    if (!iface) return;
    const dst = packet.slice(24, 40);
    const src = packet.slice(8, 24);
    if (!this.isOnLink(iface, dst)) {
      // No default router list yet (ND issue): off-link destinations have no route.
      this.tsCounters.Ip6OutNoRoutes++;
      this.engine.countDrop(L.DropReason.TX_NO_ROUTE);
      return;
    }
    this.handle(this.neighbors.resolve(ifindex, dst, packet, src, now), now);
  }

  private isOnLink(iface: Interface, dst: Ip6): boolean {
    return isLinkLocal(dst) || iface.addresses.some((a) => a.prefixLen < 128 && prefixMatch(a.addr, dst, a.prefixLen));
  }

  /** Turns neighbor-cache actions into packets and events. */
  private handle(acts: NdAction[], now: Instant): void {
    for (const a of acts) {
      const iface = 'ifindex' in a ? this.ifaces[a.ifindex] : undefined;
      switch (a.type) {
        case 'SendNeighborSolicit': {
          if (!iface) break;
          // §7.2.2: the source of the prompting packet when it is ours, else one of ours.
          const src = a.source && iface.addresses.some((x) => ip6Equal(x.addr, a.source!) && !x.tentative) ? a.source : this.sourceFor(iface, a.target);
          if (!src) break;
          const dst = a.unicast ? a.target : solicitedNode(a.target);
          const ns = { target: a.target, sourceLinkAddr: iface.mac };
          this.sendIp6(iface, src, dst, ND_HOP_LIMIT, NH_ICMPV6, neighborSolicitLength(ns), (b, o) => emitNeighborSolicit(b, o, ns), {
            mac: a.unicast?.mac,
          });
          break;
        }
        case 'SendQueued':
          for (const p of a.packets) this.sendRaw(a.ifindex, p, now);
          break;
        case 'ResolutionFailed':
          if (a.packets.length) this.engine.countDrop(L.DropReason.RESOLVE_FAILED, a.packets.length);
          if (iface) this.emitEvent({ type: 'ResolutionFailed', ifindex: a.ifindex, interface: iface.name, address: this.formatAddr(a.target, iface), dropped: a.packets.length });
          break;
        case 'Dropped':
          this.engine.countDrop(a.reason, a.count);
          break;
        case 'NeighborChanged':
          if (iface) {
            this.emitEvent({
              type: 'NeighborChanged',
              ifindex: a.ifindex,
              interface: iface.name,
              address: this.formatAddr(a.addr, iface),
              state: a.state,
              lladdr: a.mac && formatMac(a.mac),
              router: a.router,
            });
          }
          break;
      }
    }
  }

  /**
   * Source address for `dst` on `iface` (until RFC 6724 arrives with the
   * addressing issue): link-local for link-local destinations, else an address
   * whose prefix covers dst, else any non-link-local one, else link-local.
   */
  sourceFor(iface: Interface, dst: Ip6): Ip6 | undefined {
    const usable = iface.addresses.filter((a) => !a.tentative && !a.anycast);
    const ll = usable.find((a) => isLinkLocal(a.addr));
    if (isLinkLocal(dst) || (isMulticast(dst) && (dst[1] & 0x0f) <= 2)) return ll?.addr ?? usable[0]?.addr;
    const covering = usable.find((a) => !isLinkLocal(a.addr) && a.prefixLen < 128 && prefixMatch(a.addr, dst, a.prefixLen) && !a.deprecated);
    return (covering ?? usable.find((a) => !isLinkLocal(a.addr) && !a.deprecated) ?? usable.find((a) => !isLinkLocal(a.addr)) ?? ll)?.addr;
  }

  // --- echo client -------------------------------------------------------------

  /** Pings `destination` (`addr` or `fe80::1%eth0`) like iputils ping. */
  ping(destination: string, opts: PingOptions = {}): Pinger {
    this.assertOpen();
    if (typeof destination !== 'string') throw invalidArg('destination', 'a string', destination);
    const { addr, iface: zoned } = this.resolveZoned(destination);
    if (isUnspecified(addr) || (isMulticast(addr) && !zoned)) {
      if (isUnspecified(addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `cannot ping ${destination}`);
    }
    const iface = zoned ?? this.routeInterface(addr, destination);
    const count = opts.count ?? 4;
    if (!(Number.isInteger(count) && count > 0) && count !== Infinity) throw invalidArg('count', 'a positive integer', count);
    const size = opts.size ?? 56;
    const maxSize = iface.mtu - IP6_HEADER_LEN - 8;
    if (!Number.isInteger(size) || size < 0) throw invalidArg('size', 'a non-negative integer', size);
    if (size > maxSize) throw new WasagiError('ERR_MESSAGE_TOO_BIG', `size ${size} exceeds the ${iface.name} MTU (${iface.mtu}): at most ${maxSize} (fragmentation arrives with the IPv6-core issue)`);
    const interval = opts.interval ?? 1;
    if (typeof interval !== 'number' || !(interval >= 0)) throw invalidArg('interval', 'a non-negative number of seconds', interval);
    const flood = opts.flood ?? false;
    const timeout = opts.timeout ?? (flood ? 0.2 : 1);
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw invalidArg('timeout', 'a non-negative number of seconds', timeout);
    const src = this.sourceFor(iface, addr);
    if (!src) throw new WasagiError('ERR_NO_SOURCE_ADDRESS', `${iface.name} has no address to send from`);
    let id = 0;
    do id = 1 + Math.floor(this.random() * 0xfffe);
    while (this.pingers.has(id));
    const p = new Pinger(id, iface.ifindex, src, addr, this.formatAddr(addr, iface), { count, interval, size, timeout, flood }, this.clock.now(), (pp, seq, payload) =>
      this.sendEcho(pp, seq, payload),
    );
    this.pingers.set(id, p);
    p.once('done', () => {
      this.pingers.delete(id);
      this.reschedule();
    });
    this.enter();
    try {
      p.onDeadline(this.clock.now());
    } finally {
      this.leave();
    }
    return p;
  }

  /** Pings and resolves with the summary. */
  async pingAsync(destination: string, opts?: PingOptions): Promise<PingSummary> {
    return this.ping(destination, opts).done;
  }

  private sendEcho(p: Pinger, seq: number, payload: Uint8Array): void {
    const iface = this.ifaces[p.ifindex];
    if (!iface) return;
    this.sendIp6(iface, p.src, p.dst, isMulticast(p.dst) ? 1 : iface.hopLimit, NH_ICMPV6, 8 + payload.length, (b, o) => {
      b[o] = ICMP6_ECHO_REQUEST;
      b[o + 1] = 0;
      b[o + 2] = 0;
      b[o + 3] = 0;
      b[o + 4] = p.id >> 8;
      b[o + 5] = p.id & 0xff;
      b[o + 6] = seq >> 8;
      b[o + 7] = seq & 0xff;
      b.set(payload, o + 8);
    });
  }

  /** The interface to reach `dst` without a zone (on-link prefix, else the only one). */
  private routeInterface(dst: Ip6, text: string): Interface {
    const all = this.interfaces;
    if (isLinkLocal(dst) || isMulticast(dst)) {
      if (all.length === 1) return all[0];
      throw new WasagiError('ERR_ZONE_REQUIRED', `${text} is link-scoped: add a zone, e.g. ${text}%${all[0]?.name ?? 'eth0'}`);
    }
    const onLink = all.find((i) => this.isOnLink(i, dst));
    if (onLink) return onLink;
    throw new WasagiError('ERR_NO_ROUTE', `no route to ${text} (no on-link prefix covers it; default routers arrive with Neighbor Discovery)`);
  }

  /** Upper-layer reachability confirmation (RFC 4861 §7.3.1), for sockets and TCP. */
  confirmReachable(address: string): void {
    const { addr, iface } = this.resolveZoned(address);
    const i = iface ?? this.routeInterface(addr, address);
    this.enter();
    try {
      this.handle(this.neighbors.confirmReachable(i.ifindex, addr, this.clock.now()), this.clock.now());
    } finally {
      this.leave();
    }
  }

  // --- time ------------------------------------------------------------------------

  /** The earliest deadline of any machine in the stack. */
  nextDeadline(): Instant {
    let t = this.neighbors.nextDeadline();
    for (const p of this.pingers.values()) t = Math.min(t, p.nextDeadline());
    return t;
  }

  /** Runs everything due at the clock's current time. */
  poll(): void {
    if (this.closed) return;
    this.enter();
    try {
      const now = this.clock.now();
      this.handle(this.neighbors.onDeadline(now), now);
      for (const p of [...this.pingers.values()]) if (p.nextDeadline() <= now) p.onDeadline(now);
    } finally {
      this.leave();
    }
  }

  private enter(): void {
    this.inEntry++;
  }

  /**
   * Every entry point ends here: the transmit batch goes out in one device
   * write, the event ring is drained (it may queue more), and the one timer is
   * re-armed.
   */
  private leave(): void {
    if (this.inEntry > 1) {
      this.inEntry--;
      return;
    }
    try {
      const now = this.clock.now();
      this.flushTx(now);
      this.drainEvents(now);
      this.flushTx(now);
    } finally {
      this.inEntry--;
      this.reschedule();
    }
  }

  /** Arms the one real timer for the earliest deadline (SystemClock only). */
  private reschedule(): void {
    if (this.clock.manual || this.closed) return;
    const next = this.nextDeadline();
    if (next === this.timerAt && this.timer) {
      this.refTimer();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === NEVER) return;
    const delay = Math.max(0, next - this.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = NEVER;
      this.poll();
    }, Math.ceil(delay));
    this.timerRefed = true;
    this.refTimer();
  }

  /** The timer keeps the process alive only while a pinger runs. */
  private refTimer(): void {
    if (!this.timer) return;
    const want = this.pingers.size > 0;
    if (want === this.timerRefed) return;
    this.timerRefed = want;
    if (want) this.timer.ref();
    else this.timer.unref();
  }

  // --- inspection -----------------------------------------------------------------

  /** MIB counters (Linux /proc/net/snmp6 names) and drop reasons. */
  counters(): { mib: Record<string, number>; drops: Record<string, number> } {
    const mib: Record<string, number> = {};
    for (const [name, v] of Object.entries(L.Counter)) if (typeof v === 'number') mib[name] = this.engine.counter(v);
    for (const k of TS_COUNTERS) mib[k] = this.tsCounters[k];
    const drops: Record<string, number> = {};
    for (const [name, v] of Object.entries(L.DropReason)) if (typeof v === 'number' && v !== 0) drops[name] = this.engine.drops(v);
    return { mib, drops };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const p of [...this.pingers.values()]) p.stop(now);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const i of this.interfaces) i.device.close();
    this.emitEvent({ type: 'Closed' });
  }

  private assertOpen(): void {
    if (this.closed) throw new WasagiError('ERR_STACK_CLOSED', 'the stack is closed');
  }

  private emitEvent(e: StackEvent): void {
    this.emit('event', e);
  }
}

function record(addr: Ip6, prefixLen: number, origin: AddressRecord['origin']): AddressRecord {
  return { addr, prefixLen, origin, tentative: false, deprecated: false, anycast: false };
}

/** Creates a stack (the public entry point). */
export function createStack(opts?: StackOptions): Stack {
  return new Stack(opts);
}
