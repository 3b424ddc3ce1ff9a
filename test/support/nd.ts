// Neighbor Discovery test helpers: one host stack on a memory link in virtual
// time, frames injected straight into its port (as the wire would deliver
// them) with correct checksums, and checkers for what it sends (STYLE.md 3, 12).
//
// The host is 2001:db8::a/64 with MAC 02:00:00:00:00:0a (link-local
// fe80::ff:fe00:a). Peers are simulated by injection only: nothing answers
// unless a test injects the answer.

import assert from 'node:assert/strict';
import { Sim } from './sim.js';
import { decode, ethFrame, naMessage, nsMessage, type Decoded } from './frames.js';
import { Stack, type InterfaceOptions } from '../../src/stack/stack.js';
import type { StackEvent } from '../../src/stack/events.js';
import type { MemoryLink } from '../../src/device/memory.js';
import { formatIp6, formatMac, linkLocalFromMac, parseIp6, parseMac, solicitedNode, type Ip6 } from '../../src/wire/address.js';
import { emitRedirect, emitRouterAdvert, type RouterAdvertSpec } from '../../src/wire/ra.js';
import type { NudState } from '../../src/nd/neighbor-cache.js';

export { emitRouterAdvert, emitRedirect, parseIp6, formatIp6, formatMac, parseMac, solicitedNode, naMessage, nsMessage, decode };

export const HOST_MAC = parseMac('02:00:00:00:00:0a');
export const HOST = parseIp6('2001:db8::a');
export const HOST_LL = linkLocalFromMac(HOST_MAC);
export const IFNAME = 'h0';

/** A simulated peer: its MAC and the addresses it uses. */
export interface Peer {
  mac: Uint8Array;
  ll: Ip6;
}

export function peer(n: number): Peer {
  const mac = Uint8Array.from([2, 0, 0, 0, (n >> 8) & 0xff, n & 0xff]);
  return { mac, ll: linkLocalFromMac(mac) };
}

export const ICMP_RS = 133;
export const ICMP_RA = 134;
export const ICMP_NS = 135;
export const ICMP_NA = 136;
export const ICMP_REDIRECT = 137;
export const ICMP_ECHO_REQUEST = 128;
export const ICMP_ECHO_REPLY = 129;

export interface HostOptions {
  seed?: number;
  acceptRa?: boolean;
  neighborCapacity?: number;
  addresses?: string[];
}

export class Host {
  readonly sim: Sim;
  readonly link: MemoryLink;
  readonly stack: Stack;
  readonly events: StackEvent[] = [];

  constructor(opts: HostOptions = {}) {
    this.sim = new Sim(opts.seed ?? 11);
    this.link = this.sim.link();
    this.stack = new Stack({ clock: this.sim.clock, random: this.sim.random, neighborCapacity: opts.neighborCapacity });
    this.stack.on('event', (e: StackEvent) => this.events.push(e));
    this.sim.events.set(this.stack, this.events);
    this.sim.stacks.push(this.stack);
    const i: InterfaceOptions = {
      link: this.link,
      name: IFNAME,
      mac: HOST_MAC,
      addresses: opts.addresses ?? ['2001:db8::a/64'],
      acceptRa: opts.acceptRa ?? true,
      // ND tests start with usable addresses and EUI-64 link-locals; the
      // addressing tests turn DAD and stable identifiers on themselves.
      dadTransmits: 0,
      iid: 'eui64',
      slaac: false,
    };
    this.stack.addInterface(i);
  }

  get iface() {
    return this.stack.interface(IFNAME);
  }

  get now(): number {
    return this.sim.clock.now();
  }

  /** Delivers one frame straight into the host's port and runs its burst. */
  deliver(frame: Uint8Array): void {
    this.link.ports[0].deliver([frame]);
  }

  /**
   * Injects an ICMPv6 message (type onwards; the checksum is computed) from
   * `src` to `dst`. Unicast destinations go to the host's MAC.
   */
  inject(m: { src: string | Ip6; dst: string | Ip6; upper: Uint8Array; hopLimit?: number; srcMac?: Uint8Array; checksum?: boolean }): void {
    const dst = typeof m.dst === 'string' ? parseIp6(m.dst) : m.dst;
    this.deliver(
      ethFrame({
        src: m.src,
        dst,
        dstMac: dst[0] === 0xff ? undefined : HOST_MAC,
        srcMac: m.srcMac,
        hopLimit: m.hopLimit ?? 255,
        upper: m.upper,
        checksum: m.checksum,
      }),
    );
  }

  /** An RA from `p` (link-local source) to all-nodes. */
  ra(p: Peer, spec: RouterAdvertSpec, extra?: Uint8Array): void {
    this.inject({ src: p.ll, dst: 'ff02::1', srcMac: p.mac, upper: concat(emitRouterAdvert(spec), extra) });
  }

  /** An NS from `src` for `target` (default: the host's global address), optionally with an SLLAO. */
  ns(src: string | Ip6, mac: Uint8Array | undefined, target: Ip6 = HOST, dst: string | Ip6 = HOST): void {
    this.inject({ src, dst, srcMac: mac, upper: nsMessage(target, mac) });
  }

  /** An NA for `target`, unicast to the host. */
  na(target: string | Ip6, flags: { r?: boolean; s?: boolean; o?: boolean }, tllao?: Uint8Array, srcMac?: Uint8Array): void {
    const t = typeof target === 'string' ? parseIp6(target) : target;
    this.inject({ src: t, dst: HOST, srcMac: srcMac ?? tllao, upper: naMessage(t, flags, tllao) });
  }

  /** A Redirect from `from` (link-local) to the host. */
  redirect(from: Peer, target: string | Ip6, destination: string | Ip6, tllao?: Uint8Array, opts: { hopLimit?: number; src?: string | Ip6 } = {}): void {
    const ip = (a: string | Ip6): Ip6 => (typeof a === 'string' ? parseIp6(a) : a);
    this.inject({
      src: opts.src ?? from.ll,
      dst: HOST,
      srcMac: from.mac,
      hopLimit: opts.hopLimit,
      upper: emitRedirect({ target: ip(target), destination: ip(destination), targetLinkAddr: tllao }),
    });
  }

  /** The host's neighbor entry for `addr`. */
  entry(addr: string | Ip6) {
    return this.stack.neighbors.get(this.iface.ifindex, typeof addr === 'string' ? parseIp6(addr) : addr);
  }

  state(addr: string | Ip6): NudState | undefined {
    return this.entry(addr)?.state;
  }

  mac(addr: string | Ip6): string | undefined {
    const m = this.entry(addr)?.mac;
    return m && formatMac(m);
  }

  nextHop(dst: string): string | undefined {
    const h = this.stack.nextHop(this.iface, parseIp6(dst));
    return h && formatIp6(h);
  }

  drops(): Record<string, number> {
    return this.stack.counters().drops;
  }

  mib(): Record<string, number> {
    return this.stack.counters().mib;
  }

  /**
   * Frames the host sent since wire index `from`, decoded, with their time;
   * MLD reports (RFC 3810, sent when groups are joined) are left out: they are
   * not Neighbor Discovery traffic.
   */
  sent(from = 0): Array<Decoded & { at: number }> {
    return this.sim.wire
      .slice(from)
      .filter((f) => f.from === IFNAME)
      .map((f) => ({ ...decode(f.frame), at: f.at }))
      .filter((d) => !(d.nextHeader === 0 && [131, 132, 143].includes(d.upper[8])));
  }

  /** ICMPv6 messages of `type` the host sent since wire index `from`. */
  sentType(type: number, from = 0): Array<Decoded & { at: number }> {
    return this.sent(from).filter((d) => d.nextHeader === 58 && d.icmpType === type);
  }

  get mark(): number {
    return this.sim.wire.length;
  }

  /** Moves time forward by `ms`, firing deadlines at their exact times. */
  advance(ms: number): void {
    this.sim.advance(ms);
  }

  /** Moves time to exactly `t` (no floating-point drift from `now + (t − now)`). */
  advanceTo(t: number): void {
    const sim = this.sim;
    assert.ok(t >= sim.clock.now(), `advanceTo(${t}) is in the past (now ${sim.clock.now()})`);
    sim.settle();
    for (;;) {
      const d = sim.nextDeadline();
      if (d > t) break;
      sim.clock.set(Math.max(d, sim.clock.now()));
      for (const s of sim.stacks) if (s.nextDeadline() <= sim.clock.now()) s.poll();
      sim.settle();
    }
    sim.clock.set(t);
  }

  eventsOf<T extends StackEvent['type']>(type: T, from = 0): Array<Extract<StackEvent, { type: T }>> {
    return this.events.slice(from).filter((e): e is Extract<StackEvent, { type: T }> => e.type === type);
  }

  close(): void {
    this.sim.close();
  }
}

export function concat(a: Uint8Array, b?: Uint8Array): Uint8Array {
  if (!b || b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A Route Information option (RFC 4191 §2.3) with an explicit Length (units of 8 octets). */
export function rioOption(prefix: string, prefixLength: number, lengthUnits: number, prfBits: number, lifetime: number): Uint8Array {
  const o = new Uint8Array(lengthUnits * 8);
  o[0] = 24;
  o[1] = lengthUnits;
  o[2] = prefixLength;
  o[3] = (prfBits & 3) << 3;
  new DataView(o.buffer).setUint32(4, lifetime);
  const p = parseIp6(prefix);
  o.set(p.subarray(0, Math.max(0, (lengthUnits - 1) * 8)), 8);
  return o;
}

/** A Router Solicitation message (type onwards), with an SLLAO when `mac` is given. */
export function rsMessage(mac?: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + (mac ? 8 : 0));
  m[0] = 133;
  if (mac) {
    m[8] = 1;
    m[9] = 1;
    m.set(mac, 10);
  }
  return m;
}

/** Flushes queued microtasks and immediates (Pinger events are deferred). */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
