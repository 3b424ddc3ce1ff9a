// Address-configuration test helpers (RFC 4862 DAD and SLAAC, RFC 3810 MLD on
// the stack): a Node is one stack with one interface on a memory link of a
// Sim (virtual time, seeded RNG, every frame on the wire captured), plus
// frames injected straight into its port as the wire would deliver them, a
// decoder that understands the Hop-by-Hop Router Alert of MLD, and checkers
// for DAD probes and MLDv2 Reports (STYLE.md 3, 12).
//
// Unlike Sim.stack() and nd.ts's Host, a Node turns DAD on (dadTransmits 1)
// and gives every stack the same RFC 7217 secret, so stable identifiers are
// the same on every run; tests override what they need.

import assert from 'node:assert/strict';
import { Sim } from './sim.js';
import { upperChecksum } from './frames.js';
import { Stack, type InterfaceOptions } from '../../src/stack/stack.js';
import type { StackEvent } from '../../src/stack/events.js';
import type { MemoryLink } from '../../src/device/memory.js';
import type { ManagedAddress } from '../../src/addrconf/addresses.js';
import { stableIidWithCounter } from '../../src/addrconf/iid.js';
import { formatIp6, formatMac, ip6Equal, linkLocalFromMac, parseIp6, parseMac, solicitedNode, type Ip6 } from '../../src/wire/address.js';
import { emitIp6Header } from '../../src/wire/ipv6.js';
import { emitRouterAdvert, type PrefixInformation, type RouterAdvertSpec } from '../../src/wire/ra.js';
import { McastRecordType, emitMldQuery, parseMldv2Report, type McastRecord, type MldQuerySpec } from '../../src/wire/mld.js';

export { McastRecordType, formatIp6, parseIp6, solicitedNode, linkLocalFromMac };

/** RFC 7217 secret_key shared by the tests (≥ 16 bytes). */
export const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
export const OTHER_SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
export const IFNAME = 'eth0';
export const MAC = parseMac('02:00:00:00:00:0a');
/** The node's modified EUI-64 link-local address: fe80::ff:fe00:a (RFC 4291 App. A). */
export const LL = linkLocalFromMac(MAC);
/** A router: its MAC and link-local address (RAs and MLD queries come from here). */
export const ROUTER = { mac: parseMac('02:00:00:00:00:01'), ll: linkLocalFromMac(parseMac('02:00:00:00:00:01')) };
/** Another host on the link (injected frames only). */
export const PEER = { mac: parseMac('02:00:00:00:00:99'), ll: linkLocalFromMac(parseMac('02:00:00:00:00:99')) };
/** RetransTimer default (RFC 4861 §10): 1 000 ms between DAD probes. */
export const RETRANS_TIMER = 1_000;
/** MAX_RTR_SOLICITATION_DELAY (RFC 4861 §10), the bound of the §5.4.2 delay. */
export const MAX_RTR_SOLICITATION_DELAY = 1_000;
/** Lifetime timer granularity (paper §2). */
export const COALESCE = 500;
/** All ones: an infinite lifetime in a PIO (RFC 4861 §4.6.2) and in `ip -j addr` output. */
export const INFINITE = 0xffffffff;

export const ICMP_ECHO_REQUEST = 128;
export const ICMP_ECHO_REPLY = 129;
export const MLD_QUERY = 130;
export const MLD_V1_REPORT = 131;
export const MLD_V1_DONE = 132;
export const ICMP_RS = 133;
export const ICMP_NS = 135;
export const ICMP_NA = 136;
export const MLD_V2_REPORT = 143;
export const OPT_SLLA = 1;
export const OPT_NONCE = 14;

const ALL_MLDV2_ROUTERS = 'ff02::16';

const ip = (a: string | Ip6): Ip6 => (typeof a === 'string' ? parseIp6(a) : a);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');

export type Timed<E> = E & { at: number };

export interface NodeOptions {
  /** Seed of a new Sim (ignored when `sim` is given). */
  seed?: number;
  /** Share a Sim (clock, RNG, wire) with other nodes. */
  sim?: Sim;
  /** The link to attach to (default: the Sim's first link, made if needed). */
  link?: MemoryLink;
  stableSecret?: Uint8Array;
  /** Interface options over the defaults: eth0, MAC 02:00:00:00:00:0a, DAD on (1 probe), EUI-64, no RA processing, no SLAAC. */
  iface?: Partial<InterfaceOptions>;
}

/** One stack with one interface on a memory link, in virtual time. */
export class Node {
  readonly sim: Sim;
  readonly link: MemoryLink;
  readonly stack: Stack;
  readonly events: Array<Timed<StackEvent>> = [];
  readonly name: string;
  readonly mac: Uint8Array;
  /** Virtual time when the interface was added. */
  readonly startedAt: number;
  private readonly portIndex: number;

  constructor(opts: NodeOptions = {}) {
    this.sim = opts.sim ?? new Sim(opts.seed ?? 1);
    this.link = opts.link ?? this.sim.links[0] ?? this.sim.link();
    this.stack = new Stack({ clock: this.sim.clock, random: this.sim.random, stableSecret: opts.stableSecret ?? SECRET });
    this.stack.on('event', (e: StackEvent) => this.events.push({ ...e, at: this.sim.clock.now() }));
    this.sim.stacks.push(this.stack);
    this.name = opts.iface?.name ?? IFNAME;
    const mac = opts.iface?.mac ?? MAC;
    this.mac = typeof mac === 'string' ? parseMac(mac) : mac;
    this.portIndex = this.link.ports.length;
    this.startedAt = this.sim.clock.now();
    this.stack.addInterface({ link: this.link, acceptRa: false, dadTransmits: 1, iid: 'eui64', slaac: false, ...opts.iface, name: this.name, mac: this.mac });
  }

  get iface() {
    return this.stack.interface(this.name);
  }

  get ifindex(): number {
    return this.iface.ifindex;
  }

  get now(): number {
    return this.sim.clock.now();
  }

  /** Our record of `a` on this interface (including DAD-failed ones). */
  addr(a: string | Ip6): ManagedAddress | undefined {
    return this.stack.addrconf.find(this.ifindex, ip(a));
  }

  state(a: string | Ip6): string | undefined {
    return this.addr(a)?.state;
  }

  /** Addresses of the interface, as text, in the order kept. */
  addresses(): string[] {
    return this.iface.addresses.map((a) => formatIp6(a.addr));
  }

  /** Delivers one frame straight into this node's port and runs its burst. */
  deliver(frame: Uint8Array): void {
    this.link.ports[this.portIndex].deliver([frame]);
  }

  /** Injects an ICMPv6 message (type onwards; checksum computed) from `src` to `dst`. */
  inject(m: { src: string | Ip6; dst: string | Ip6; upper: Uint8Array; hopLimit?: number; srcMac?: Uint8Array; dstMac?: Uint8Array }): void {
    this.deliver(icmpFrame({ ...m, dstMac: m.dstMac ?? (ip(m.dst)[0] === 0xff ? undefined : this.mac) }));
  }

  /** An RA from the router's link-local address to all-nodes, hop limit 255 (RFC 4861 §6.1.2). */
  ra(spec: Partial<RouterAdvertSpec> & { prefixes?: PrefixInformation[] }): void {
    this.inject({ src: ROUTER.ll, dst: 'ff02::1', srcMac: ROUTER.mac, hopLimit: 255, upper: emitRouterAdvert({ routerLifetime: 0, sourceLinkAddr: ROUTER.mac, ...spec }) });
  }

  /** An RA with one Prefix Information option. */
  pio(prefix: string, p: Partial<Omit<PrefixInformation, 'prefix'>> = {}): void {
    this.ra({ prefixes: [{ prefix: parseIp6(prefix), prefixLength: 64, onLink: false, autonomous: true, validLifetime: 86_400, preferredLifetime: 14_400, ...p }] });
  }

  /**
   * A Neighbor Solicitation for `target`: from :: (someone's DAD, to the
   * solicited-node group, optionally with a Nonce) or from a unicast source
   * (address resolution, with an SLLA option).
   */
  ns(target: string | Ip6, o: { src?: string | Ip6; nonce?: Uint8Array; srcMac?: Uint8Array; dst?: string | Ip6 } = {}): void {
    const t = ip(target);
    const src = ip(o.src ?? '::');
    const fromUnspecified = src.every((b) => b === 0);
    const mac = o.srcMac ?? PEER.mac;
    this.inject({ src, dst: o.dst ?? solicitedNode(t), srcMac: mac, hopLimit: 255, upper: nsMessage(t, { sllao: fromUnspecified ? undefined : mac, nonce: o.nonce }) });
  }

  /** A Neighbor Advertisement for `target` from `target` itself to all-nodes (a defence or an unsolicited NA). */
  na(target: string | Ip6, flags: { s?: boolean; o?: boolean; r?: boolean } = { o: true }, srcMac: Uint8Array = PEER.mac): void {
    const t = ip(target);
    this.inject({ src: t, dst: 'ff02::1', srcMac, hopLimit: 255, upper: naMessage(t, flags, srcMac) });
  }

  /** An Echo Request to `dst` from `src`. */
  echo(dst: string | Ip6, src: string | Ip6 = ROUTER.ll, srcMac: Uint8Array = ROUTER.mac, id = 0x4242, seq = 1): void {
    const m = new Uint8Array(16);
    m[0] = ICMP_ECHO_REQUEST;
    m[4] = id >> 8;
    m[5] = id & 0xff;
    m[6] = seq >> 8;
    m[7] = seq & 0xff;
    this.inject({ src, dst, srcMac, hopLimit: 64, upper: m });
  }

  /** Index into the Sim's wire capture: frames after it are new. */
  get mark(): number {
    return this.sim.wire.length;
  }

  /** Frames this node put on the wire since `from`, decoded. */
  sent(from = 0): Pkt[] {
    const port = this.link.ports[this.portIndex]?.name ?? this.name;
    return this.sim.wire
      .slice(from)
      .filter((f) => f.from === port)
      .map((f) => ({ ...decodePacket(f.frame), at: f.at }));
  }

  /** ICMPv6 messages of `type` this node sent since `from`. */
  sentType(type: number, from = 0): Pkt[] {
    return this.sent(from).filter((p) => p.proto === 58 && p.icmpType === type);
  }

  /** DAD probes (NS from ::) for `target` sent since `from`. */
  probes(target: string | Ip6, from = 0): Pkt[] {
    const t = ip(target);
    return this.sentType(ICMP_NS, from).filter((p) => p.srcText === '::' && ip6Equal(p.msg.subarray(8, 24), t));
  }

  /** MLDv2 Reports this node sent since `from`, with their records. */
  reports(from = 0): Array<Pkt & { records: McastRecord[] }> {
    return this.sentType(MLD_V2_REPORT, from).map((p) => ({ ...p, records: parseMldv2Report(p.msg) ?? [] }));
  }

  /** Moves time to exactly `t`, firing every deadline on the way at its own time. */
  advanceTo(t: number): void {
    const sim = this.sim;
    assert.ok(t >= sim.clock.now(), `advanceTo(${t}) is in the past (now ${sim.clock.now()})`);
    sim.settle();
    for (let rounds = 0; ; rounds++) {
      const d = sim.nextDeadline();
      if (d > t) break;
      // A deadline that polling does not move (in the past, re-armed in the past) would spin forever.
      if (rounds > 100_000) throw new Error(`deadlines do not advance: stuck at ${d} (now ${sim.clock.now()})`);
      sim.clock.set(Math.max(d, sim.clock.now()));
      for (const s of sim.stacks) if (!s.isClosed && s.nextDeadline() <= sim.clock.now()) s.poll();
      sim.settle();
    }
    sim.clock.set(t);
    sim.settle();
  }

  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  drops(): Record<string, number> {
    return this.stack.counters().drops;
  }

  mib(): Record<string, number> {
    return this.stack.counters().mib;
  }

  eventsOf<T extends StackEvent['type']>(type: T, from = 0): Array<Timed<Extract<StackEvent, { type: T }>>> {
    return this.events.slice(from).filter((e): e is Timed<Extract<StackEvent, { type: T }>> => e.type === type);
  }

  close(): void {
    this.stack.close();
  }
}

// --- the stable address the stack should form ---------------------------------

/** prefix (first 64 bits) + the RFC 7217 IID for (prefix, interface name, DAD_Counter, secret). */
export function stableAddr(prefix: string | Ip6, dadCounter = 0, netIface = IFNAME, secretKey = SECRET): Ip6 {
  const p = ip(prefix);
  const a = new Uint8Array(16);
  a.set(p.subarray(0, 8));
  a.set(stableIidWithCounter({ prefix: p, netIface, dadCounter, secretKey }).iid, 8);
  return a;
}

/** prefix + the modified EUI-64 IID of `mac` (RFC 4291 App. A). */
export function eui64Addr(prefix: string | Ip6, mac: Uint8Array = MAC): Ip6 {
  const a = linkLocalFromMac(mac);
  a.set(ip(prefix).subarray(0, 8));
  return a;
}

// --- frames ------------------------------------------------------------------------

/** A Neighbor Solicitation (type onwards), with an SLLA option and/or a Nonce option (RFC 3971 §5.3.2 format). */
export function nsMessage(target: Ip6, o: { sllao?: Uint8Array; nonce?: Uint8Array } = {}): Uint8Array {
  const m = new Uint8Array(24 + (o.sllao ? 8 : 0) + (o.nonce ? 8 : 0));
  m[0] = ICMP_NS;
  m.set(target, 8);
  let at = 24;
  if (o.sllao) {
    m[at] = OPT_SLLA;
    m[at + 1] = 1;
    m.set(o.sllao, at + 2);
    at += 8;
  }
  if (o.nonce) {
    m[at] = OPT_NONCE;
    m[at + 1] = 1;
    m.set(o.nonce.subarray(0, 6), at + 2);
  }
  return m;
}

export function naMessage(target: Ip6, f: { r?: boolean; s?: boolean; o?: boolean }, tllao?: Uint8Array): Uint8Array {
  const m = new Uint8Array(24 + (tllao ? 8 : 0));
  m[0] = ICMP_NA;
  m[4] = (f.r ? 0x80 : 0) | (f.s ? 0x40 : 0) | (f.o ? 0x20 : 0);
  m.set(target, 8);
  if (tllao) {
    m[24] = 2;
    m[25] = 1;
    m.set(tllao, 26);
  }
  return m;
}

export interface IcmpFrameSpec {
  src: string | Ip6;
  dst: string | Ip6;
  upper: Uint8Array;
  hopLimit?: number;
  srcMac?: Uint8Array;
  dstMac?: Uint8Array;
  /**
   * A Hop-by-Hop Options header in front of the ICMPv6 message: 'router-alert'
   * (RFC 2711, value 0 = MLD, then PadN) or 'padding' (PadN only).
   */
  hopByHop?: 'router-alert' | 'padding';
}

/** Ethernet + IPv6 (+ Hop-by-Hop) + ICMPv6, with the ICMPv6 checksum over the pseudo-header (RFC 8200 §8.1). */
export function icmpFrame(s: IcmpFrameSpec): Uint8Array {
  const src = ip(s.src);
  const dst = ip(s.dst);
  const ext = s.hopByHop ? 8 : 0;
  const f = new Uint8Array(14 + 40 + ext + s.upper.length);
  if (s.dstMac) f.set(s.dstMac, 0);
  else f.set([0x33, 0x33, dst[12], dst[13], dst[14], dst[15]], 0);
  f.set(s.srcMac ?? PEER.mac, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  emitIp6Header(f, 14, { payloadLength: ext + s.upper.length, nextHeader: ext ? 0 : 58, hopLimit: s.hopLimit ?? 64, src, dst });
  if (s.hopByHop === 'router-alert') f.set([58, 0, 5, 2, 0, 0, 1, 0], 54);
  else if (s.hopByHop === 'padding') f.set([58, 0, 1, 4, 0, 0, 0, 0], 54);
  const m = f.subarray(54 + ext);
  m.set(s.upper);
  m[2] = 0;
  m[3] = 0;
  const c = upperChecksum(src, dst, 58, m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return f;
}

/** An MLD Query frame from the router: by default link-local source, hop limit 1, Router Alert, to ff02::1 (RFC 3810 §5, §5.1.14). */
export function mldQueryFrame(
  q: Partial<MldQuerySpec> & { version: 1 | 2; maxResponseDelay: number },
  o: { src?: string | Ip6; dst?: string | Ip6; hopLimit?: number; hopByHop?: 'router-alert' | 'padding' | 'none' } = {},
): Uint8Array {
  const msg = emitMldQuery({ group: new Uint8Array(16), ...q });
  const hbh = o.hopByHop ?? 'router-alert';
  return icmpFrame({ src: o.src ?? ROUTER.ll, dst: o.dst ?? 'ff02::1', srcMac: ROUTER.mac, hopLimit: o.hopLimit ?? 1, upper: msg, hopByHop: hbh === 'none' ? undefined : hbh });
}

// --- decoding and checkers ------------------------------------------------------

export interface NdOpt {
  type: number;
  /** Length in units of 8 octets, as on the wire. */
  length: number;
  /** The option's bytes after Type and Length. */
  body: Uint8Array;
}

/** One captured frame, decoded for assertions. */
export interface Pkt {
  at: number;
  dstMac: string;
  srcMac: string;
  src: Ip6;
  dst: Ip6;
  srcText: string;
  dstText: string;
  hopLimit: number;
  payloadLength: number;
  /** The Next Header field of the IPv6 header (0 = Hop-by-Hop). */
  nextHeader: number;
  /** The Hop-by-Hop Options header, when there is one. */
  hopByHop?: Uint8Array;
  /** Value of the Router Alert option (RFC 2711) in the Hop-by-Hop header; undefined when absent. */
  routerAlert?: number;
  /** Upper-layer protocol after any Hop-by-Hop header. */
  proto: number;
  icmpType?: number;
  icmpCode?: number;
  /** The upper-layer message (ICMPv6 from its Type). */
  msg: Uint8Array;
  checksumOk: boolean;
}

export function decodePacket(frame: Uint8Array): Omit<Pkt, 'at'> {
  const p = frame.subarray(14);
  const plen = (p[4] << 8) | p[5];
  const src = p.slice(8, 24);
  const dst = p.slice(24, 40);
  let proto = p[6];
  let off = 40;
  let hopByHop: Uint8Array | undefined;
  let routerAlert: number | undefined;
  if (proto === 0) {
    const len = (p[41] + 1) * 8;
    hopByHop = p.slice(40, 40 + len);
    for (let o = 2; o < len; ) {
      const t = hopByHop[o];
      if (t === 0) {
        o++;
        continue;
      }
      if (t === 5) routerAlert = (hopByHop[o + 2] << 8) | hopByHop[o + 3];
      o += 2 + hopByHop[o + 1];
    }
    proto = hopByHop[0];
    off = 40 + len;
  }
  const msg = p.slice(off, 40 + plen);
  return {
    dstMac: hex(frame.subarray(0, 6)),
    srcMac: hex(frame.subarray(6, 12)),
    src,
    dst,
    srcText: formatIp6(src),
    dstText: formatIp6(dst),
    hopLimit: p[7],
    payloadLength: plen,
    nextHeader: p[6],
    hopByHop,
    routerAlert,
    proto,
    icmpType: proto === 58 ? msg[0] : undefined,
    icmpCode: proto === 58 ? msg[1] : undefined,
    msg,
    checksumOk: upperChecksum(src, dst, proto, msg) === 0,
  };
}

/** ND options of an NS/NA (from octet 24). */
export function ndOptions(msg: Uint8Array, from = 24): NdOpt[] {
  const out: NdOpt[] = [];
  for (let o = from; o + 2 <= msg.length; ) {
    const length = msg[o + 1];
    if (length === 0) break;
    out.push({ type: msg[o], length, body: msg.slice(o + 2, o + length * 8) });
    o += length * 8;
  }
  return out;
}

/** The multicast MAC of a group (RFC 2464 §7): 33:33 and the low 32 bits. */
export function groupMac(g: Ip6): string {
  return hex(Uint8Array.from([0x33, 0x33, g[12], g[13], g[14], g[15]]));
}

/**
 * A DAD probe per RFC 4862 §5.4.2: from ::, to the target's solicited-node
 * group (and its multicast MAC), hop limit 255, code 0, no SLLA option, and
 * one Nonce option (RFC 7527 §4.1: type 14, length 1, 6 octets). Returns the nonce.
 */
export function expectDadProbe(p: Pkt, target: Ip6): Uint8Array {
  assert.equal(p.srcText, '::', 'DAD NS is sent from the unspecified address');
  assert.equal(p.dstText, formatIp6(solicitedNode(target)), "to the target's solicited-node group");
  assert.equal(p.dstMac, groupMac(solicitedNode(target)), 'to the solicited-node multicast MAC');
  assert.equal(p.hopLimit, 255);
  assert.equal(p.nextHeader, 58, 'no extension headers');
  assert.equal(p.icmpType, ICMP_NS);
  assert.equal(p.icmpCode, 0);
  assert.ok(p.checksumOk, 'ICMPv6 checksum');
  assert.equal(formatIp6(p.msg.subarray(8, 24)), formatIp6(target), 'Target Address');
  const opts = ndOptions(p.msg);
  assert.equal(opts.filter((o) => o.type === OPT_SLLA).length, 0, 'no Source Link-Layer Address option from ::');
  const nonces = opts.filter((o) => o.type === OPT_NONCE);
  assert.equal(nonces.length, 1, 'one Nonce option');
  assert.equal(nonces[0].length, 1, 'Nonce option length 1 (8 octets)');
  assert.equal(nonces[0].body.length, 6, '6-octet nonce');
  return nonces[0].body;
}

/**
 * An MLDv2 Report per RFC 3810 §5 and §5.2.14: to ff02::16 (and its MAC), hop
 * limit 1, a Hop-by-Hop header with Router Alert value 0 (RFC 2711: MLD), from
 * `src`. Returns its records.
 */
export function expectMldv2Report(p: Pkt, src: string): McastRecord[] {
  assert.equal(p.dstText, ALL_MLDV2_ROUTERS, 'MLDv2 Reports go to ff02::16');
  assert.equal(p.dstMac, '33:33:00:00:00:16');
  assert.equal(p.hopLimit, 1, 'hop limit 1');
  assert.equal(p.nextHeader, 0, 'a Hop-by-Hop Options header first');
  assert.equal(p.routerAlert, 0, 'Router Alert, value 0 (MLD)');
  assert.equal(p.icmpType, MLD_V2_REPORT);
  assert.ok(p.checksumOk, 'ICMPv6 checksum');
  assert.equal(p.srcText, src, 'source address');
  const records = parseMldv2Report(p.msg);
  assert.ok(records, 'a well-formed Report');
  return records;
}

/** `TO_EX ff02::1:ff00:a` style lines for records, sorted. */
export function recordLines(records: McastRecord[]): string[] {
  const short: Record<number, string> = { 1: 'IS_IN', 2: 'IS_EX', 3: 'TO_IN', 4: 'TO_EX', 5: 'ALLOW', 6: 'BLOCK' };
  return records.map((r) => `${short[r.type]} ${formatIp6(r.group)}${r.sources.length ? ` {${r.sources.map((s) => formatIp6(s)).join(' ')}}` : ''}`).sort();
}

export { formatMac };
