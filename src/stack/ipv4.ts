// The IPv4 half of the dual stack (USAGI paper §4): addresses, routes, ARP,
// ICMPv4, sending and receiving IPv4 datagrams. It is driven by the Stack
// (src/stack/stack.ts) and talks to it only through `V4Host`.
//
// IPv4 addresses are carried as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d,
// RFC 4291 §2.5.5.2) everywhere above the wire: in the WASM tables (ADDR,
// PREFIX, GROUP and the neighbor table, which ARP shares with ND under
// disjoint keys), in the port space and in sockets. Only the packet builders
// below see 4-byte addresses.
//
// ARP keeps its own cache and timers (src/ipv4/arp-cache.ts), apart from
// Neighbor Discovery as the paper wants; it mirrors its entries into the WASM
// neighbor table so the fast path can address IPv4 replies without the
// control plane.
//
// Routing (RFC 1122 §3.3.1): a destination covered by one of our addresses'
// prefixes is on-link; otherwise the longest matching static route, whose
// gateway must itself be on-link; the default route is the /0 one. The fast
// path knows the on-link prefixes and each interface's default gateway;
// interfaces with more specific routes send off-link traffic through here
// (IFF_SLOW_ROUTE).

import * as L from '../wasm/layout.generated.js';
import type { Engine } from '../wasm/instance.js';
import type { NeighborTable } from '../nd/neighbor-table.js';
import type { Instant } from '../time/instant.js';
import { WasagiError } from '../errors.js';
import { ArpCache, type ArpAction, type ArpState } from '../ipv4/arp-cache.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, parseArp, emitArp, ARP_LEN } from '../wire/arp.js';
import {
  ipv4Checksum, parseIpv4, formatIpv4, toMapped, ip4ToNumber,
  IPPROTO_ICMP, IPPROTO_UDP, IPV4_DEFAULT_TTL, type Ip4,
} from '../wire/ipv4.js';
import { writeIcmp4, icmp4Length, ICMP4_DEST_UNREACH, ICMP4_ECHO_REPLY, ICMP4_ECHO_REQUEST, ICMP4_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { IcmpRateLimiter } from '../icmp/ratelimit.js';
import { fragmentIpv4 } from '../ipv4/fragment.js';
import { PmtuCache } from '../route/pmtu.js';
import { Ip4Reassembler, Ip4ReasmDrop } from '../ipv4/reassembly.js';
import { IgmpHost, type IgmpAction } from '../ipv4/igmp.js';
import { hasRouterAlert, parseIgmpQuery, parseIgmpV2Message, validateIgmp, IGMP_MEMBERSHIP_QUERY } from '../wire/igmp.js';
import { formatMac, type Ip6 } from '../wire/address.js';
import type { Interface } from './interface.js';
import type { StackEvent } from './events.js';

/** An IPv4 address of an interface: the mapped form and the prefix length (0–32). */
export interface V4Address {
  addr: Ip6;
  prefixLen: number;
}

/** A static IPv4 route; prefix is mapped, prefixLen 0–32, `via` a mapped on-link gateway. */
export interface V4Route {
  ifindex: number;
  prefix: Ip6;
  prefixLen: number;
  via?: Ip6;
}

/** What the IPv4 layer needs from the stack. */
export interface V4Host {
  readonly engine: Engine;
  readonly table: NeighborTable;
  readonly random: () => number;
  iface(ifindex: number): Interface | undefined;
  interfaces(): Interface[];
  /** A TX slot in the current batch for `ifindex`. */
  allocTx(ifindex: number, now: Instant): number;
  countDrop(reason: L.DropReason, n?: number): void;
  emitEvent(e: StackEvent): void;
  /** The configuration changed: rewrite the WASM tables. */
  writeConfig(): void;
  /** An echo we sent could not be delivered (ping's "Destination Host Unreachable"). */
  reportUnreachable(packet: Uint8Array, from: Ip6, why: string): void;
}

const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

const toTable: Record<ArpState, L.NeighState> = {
  INCOMPLETE: L.NeighState.INCOMPLETE,
  REACHABLE: L.NeighState.REACHABLE,
  STALE: L.NeighState.STALE,
  DELAY: L.NeighState.DELAY,
  PROBE: L.NeighState.PROBE,
};

/** Linux net.ipv4.icmp_ratemask default 0x1818: Destination Unreachable, Source Quench, Time Exceeded, Parameter Problem. */
export const ICMP4_RATEMASK = '3-4,11-12';

const v4num = (m: Ip6): number => ((m[12] << 24) | (m[13] << 16) | (m[14] << 8) | m[15]) >>> 0;
const maskOf = (plen: number): number => (plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0);
const inPrefix = (a: number, p: number, plen: number): boolean => ((a ^ p) & maskOf(plen)) === 0;
export const isMulticast4 = (m: Ip6): boolean => (m[12] & 0xf0) === 0xe0;
export const isBroadcast4 = (m: Ip6): boolean => (m[12] & m[13] & m[14] & m[15]) === 0xff;

/** Parses `a.b.c.d` into its mapped form; throws ERR_INVALID_ADDRESS. */
export function parseV4(text: string): Ip6 {
  return toMapped(parseIpv4(text));
}

/** `a.b.c.d/len` (len 0–32, default 32). */
export function parseV4Prefix(text: string): V4Address {
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new WasagiError('ERR_INVALID_ADDRESS', `Invalid IPv4 prefix ${JSON.stringify(text)}`);
  const prefixLen = m[2] === undefined ? 32 : Number(m[2]);
  if (prefixLen > 32) throw new WasagiError('ERR_INVALID_ADDRESS', `Invalid IPv4 prefix length in ${JSON.stringify(text)}`);
  return { addr: parseV4(m[1]), prefixLen };
}

/** True for text that looks like an IPv4 address or prefix (dotted quad, no colon). */
export const looksV4 = (text: string): boolean => /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(text.trim());

/** Dotted-quad text of a mapped address. */
export const formatV4 = (m: Ip6): string => `${m[12]}.${m[13]}.${m[14]}.${m[15]}`;

export class Ipv4 {
  /** Per interface: IPv4 addresses and the ARP cache. */
  private readonly ifs = new Map<number, { addrs: V4Address[]; arp: ArpCache }>();
  readonly routes: V4Route[] = [];
  /** ICMPv4 errors: Linux's icmp_ratelimit (1 s, burst 6 per destination) and icmp_msgs_per_sec. */
  readonly limiter = new IcmpRateLimiter({ ratemask: ICMP4_RATEMASK });
  /** Counters kept here (Linux /proc/net/snmp names). */
  readonly counters = { IpOutNoRoutes: 0, IpFragOKs: 0, IpFragFails: 0, IpFragCreates: 0, IcmpOutErrors: 0, IcmpOutRateLimitHost: 0 };
  /** Path MTU per destination (RFC 1191), from Fragmentation Needed; at least 552 (Linux's min_pmtu). */
  readonly pmtu = new PmtuCache({ minMtu: 552, belowMinimum: 'clamp' });
  /** Reassembly (RFC 791 §3.2, RFC 815), bounded; 30 s like Linux's ipfrag_time. */
  readonly reassembler = new Ip4Reassembler();
  /** IGMPv3 host (RFC 3376) with v1/v2 compatibility, for the groups sockets join. */
  readonly igmp: IgmpHost;
  private ident: number;

  constructor(private readonly host: V4Host) {
    this.ident = Math.floor(host.random() * 0x10000);
    this.igmp = new IgmpHost(host.random);
  }

  // --- configuration ---------------------------------------------------------------

  private state(ifindex: number): { addrs: V4Address[]; arp: ArpCache } {
    let s = this.ifs.get(ifindex);
    if (!s) {
      s = { addrs: [], arp: new ArpCache(this.host.random) };
      this.ifs.set(ifindex, s);
    }
    return s;
  }

  addresses(ifindex: number): readonly V4Address[] {
    return this.ifs.get(ifindex)?.addrs ?? [];
  }

  arp(ifindex: number): ArpCache | undefined {
    return this.ifs.get(ifindex)?.arp;
  }

  addAddress(iface: Interface, text: string): V4Address {
    const p = parseV4Prefix(text);
    const n = v4num(p.addr);
    const first = n >>> 24;
    if (n === 0 || n === 0xffffffff || first === 127 || first >= 224) {
      throw new WasagiError('ERR_INVALID_ADDRESS', `${text} cannot be an interface address`);
    }
    for (const [, s] of this.ifs) {
      if (s.addrs.some((a) => v4num(a.addr) === n)) throw new WasagiError('ERR_ADDRESS_EXISTS', `${formatV4(p.addr)} is already configured`);
    }
    const s = this.state(iface.ifindex);
    s.addrs.push(p);
    this.host.writeConfig();
    this.host.emitEvent({ type: 'AddressAdded', ifindex: iface.ifindex, interface: iface.name, address: formatV4(p.addr), prefixLen: p.prefixLen, state: 'preferred', origin: 'static' });
    return p;
  }

  removeAddress(iface: Interface, text: string): boolean {
    const p = parseV4Prefix(text);
    const s = this.ifs.get(iface.ifindex);
    const i = s ? s.addrs.findIndex((a) => v4num(a.addr) === v4num(p.addr)) : -1;
    if (!s || i < 0) return false;
    const [a] = s.addrs.splice(i, 1);
    // Routes whose gateway is no longer on-link stay, as in Linux they would be flushed; we drop them.
    this.host.writeConfig();
    this.host.emitEvent({ type: 'AddressRemoved', ifindex: iface.ifindex, interface: iface.name, address: formatV4(a.addr), prefixLen: a.prefixLen });
    return true;
  }

  addRoute(prefix: string, opts: { via?: string; dev?: Interface }): void {
    const p = prefix === 'default' ? { addr: toMapped(new Uint8Array(4)), prefixLen: 0 } : parseV4Prefix(prefix);
    const masked = toMapped(Uint8Array.of(0, 0, 0, 0));
    const m = v4num(p.addr) & maskOf(p.prefixLen);
    masked.set([m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff], 12);
    let iface = opts.dev;
    let via: Ip6 | undefined;
    if (opts.via !== undefined) {
      via = parseV4(opts.via);
      const onLink = this.host.interfaces().filter((i) => this.onLink(i.ifindex, via!));
      if (iface && !onLink.includes(iface)) throw new WasagiError('ERR_INVALID_ARG', `gateway ${opts.via} is not on-link on ${iface.name}`);
      iface ??= onLink[0];
      if (!iface) throw new WasagiError('ERR_NO_ROUTE', `gateway ${opts.via} is not on-link on any interface`);
    }
    if (!iface) throw new WasagiError('ERR_INVALID_ARG', 'a route needs "via" or "dev"');
    const ifindex = iface.ifindex;
    if (this.routes.some((r) => r.ifindex === ifindex && r.prefixLen === p.prefixLen && v4num(r.prefix) === m)) {
      throw new WasagiError('ERR_ROUTE_EXISTS', `a route to ${prefix} on ${iface.name} exists already`);
    }
    this.routes.push({ ifindex, prefix: masked, prefixLen: p.prefixLen, via });
    this.host.writeConfig();
  }

  /** Is `dst` (mapped) one of our addresses (on any interface: the weak host model, RFC 1122 §3.3.4.2)? */
  isLocal(dst: Ip6, ifindex?: number): boolean {
    const n = v4num(dst);
    for (const [k, s] of this.ifs) if ((ifindex === undefined || k === ifindex) && s.addrs.some((a) => v4num(a.addr) === n)) return true;
    return false;
  }

  /** On-link on `ifindex`: covered by the prefix of one of its addresses. */
  onLink(ifindex: number, dst: Ip6): boolean {
    const n = v4num(dst);
    return (this.ifs.get(ifindex)?.addrs ?? []).some((a) => inPrefix(n, v4num(a.addr), a.prefixLen));
  }

  /** Broadcast for `ifindex`: 255.255.255.255 or the directed broadcast of one of its prefixes (< /31). */
  isBroadcastOn(ifindex: number, dst: Ip6): boolean {
    if (isBroadcast4(dst)) return true;
    const n = v4num(dst);
    return (this.ifs.get(ifindex)?.addrs ?? []).some((a) => a.prefixLen < 31 && (n | maskOf(a.prefixLen)) >>> 0 === 0xffffffff && inPrefix(n, v4num(a.addr), a.prefixLen));
  }

  /**
   * Route lookup (RFC 1122 §3.3.1.1): the interface and next hop for `dst`.
   * `ifindex` pins the interface (a bound or multicast socket). Undefined:
   * no route.
   */
  route(dst: Ip6, ifindex?: number): { iface: Interface; hop: Ip6 } | undefined {
    if (ifindex !== undefined) {
      const i = this.host.iface(ifindex);
      if (!i) return undefined;
      if (isMulticast4(dst) || isBroadcast4(dst) || this.onLink(ifindex, dst)) return { iface: i, hop: dst };
    } else {
      const all = this.host.interfaces();
      if (isMulticast4(dst) || isBroadcast4(dst)) {
        const i = all.find((x) => this.addresses(x.ifindex).length > 0) ?? all[0];
        return i ? { iface: i, hop: dst } : undefined;
      }
      for (const i of all) if (this.onLink(i.ifindex, dst)) return { iface: i, hop: dst };
    }
    const n = v4num(dst);
    let best: V4Route | undefined;
    for (const r of this.routes) {
      if (ifindex !== undefined && r.ifindex !== ifindex) continue;
      if (inPrefix(n, v4num(r.prefix), r.prefixLen) && (!best || r.prefixLen > best.prefixLen)) best = r;
    }
    if (!best) return undefined;
    const iface = this.host.iface(best.ifindex);
    return iface ? { iface, hop: best.via ?? dst } : undefined;
  }

  /** Source address for `dst` out of `iface` (RFC 1122 §3.3.4.3): the address whose prefix covers the next hop, else the first. */
  sourceFor(iface: Interface, hop: Ip6): Ip6 | undefined {
    const addrs = this.addresses(iface.ifindex);
    const n = v4num(hop);
    return (addrs.find((a) => inPrefix(n, v4num(a.addr), a.prefixLen)) ?? addrs[0])?.addr;
  }

  /** What writeConfig puts in WASM for `ifindex`: addresses, on-link prefixes, groups, default gateway. */
  config(ifindex: number): { addrs: V4Address[]; gateway?: Ip6; slow: boolean } {
    const addrs = this.ifs.get(ifindex)?.addrs ?? [];
    const def = this.routes.find((r) => r.ifindex === ifindex && r.prefixLen === 0 && r.via);
    const slow = this.routes.some((r) => r.ifindex === ifindex && (r.prefixLen > 0 || !r.via));
    return { addrs, gateway: def?.via, slow };
  }

  // --- sending ---------------------------------------------------------------------

  private nextIdent(): number {
    this.ident = (this.ident + 1 + Math.floor(this.host.random() * 16)) & 0xffff; // RFC 7739 §5.1: not predictable
    return this.ident;
  }

  /**
   * Sends an IPv4 datagram: header written here, the upper-layer checksum
   * (UDP, ICMP) and the header checksum and link-layer header by txBuild.
   * Larger than the link MTU: built whole and fragmented (RFC 791), unless
   * `df`. Returns an errno-style code when it cannot go.
   */
  send(
    src: Ip6,
    dst: Ip6,
    protocol: number,
    upperLen: number,
    writeUpper: (b: Uint8Array, o: number) => void,
    now: Instant,
    opts: { ttl?: number; ifindex?: number; mac?: Uint8Array; routerAlert?: boolean; df?: boolean; tos?: number; route?: { iface: Interface; hop: Ip6 }; options?: Uint8Array } = {},
  ): string | undefined {
    const r = opts.route ?? this.route(dst, opts.ifindex);
    if (!r) {
      this.counters.IpOutNoRoutes++;
      this.host.countDrop(L.DropReason.TX_NO_ROUTE);
      return 'ENETUNREACH';
    }
    const { iface } = r;
    // Options: Router Alert (RFC 2113) for IGMP, or those an echo reply returns (a multiple of 4 octets).
    const options = opts.routerAlert ? ROUTER_ALERT : opts.options ?? NO_OPTIONS;
    const hl = 20 + options.length;
    const total = hl + upperLen;
    if (total > 0xffff) return 'EMSGSIZE';
    const ttl = opts.ttl ?? (isMulticast4(dst) ? 1 : IPV4_DEFAULT_TTL);
    const mac = opts.mac ?? (isBroadcast4(dst) || this.isBroadcastOn(iface.ifindex, dst) ? BROADCAST_MAC : undefined);
    const header = (b: Uint8Array, o: number, totalLen: number, df: boolean): void => {
      b[o] = 0x40 | (hl >> 2);
      b[o + 1] = opts.tos ?? 0;
      b[o + 2] = totalLen >> 8;
      b[o + 3] = totalLen & 0xff;
      const id = this.nextIdent();
      b[o + 4] = id >> 8;
      b[o + 5] = id & 0xff;
      b[o + 6] = df ? 0x40 : 0;
      b[o + 7] = 0;
      b[o + 8] = ttl;
      b[o + 9] = protocol;
      b[o + 10] = 0;
      b[o + 11] = 0;
      b.set(src.subarray(12, 16), o + 12);
      b.set(dst.subarray(12, 16), o + 16);
      b.set(options, o + 20);
    };
    // RFC 1191: the path MTU (a Fragmentation Needed lowered it) or the link's; multicast and broadcast use the link's.
    const mtu = isMulticast4(dst) || mac === BROADCAST_MAC ? iface.mtu : this.pmtu.pmtu(dst, iface.mtu);
    if (total > mtu) {
      if (opts.df) return 'EMSGSIZE';
      // RFC 791: the whole datagram (checksums over all of it), then fragments on 8-octet boundaries.
      const pkt = new Uint8Array(total);
      header(pkt, 0, total, false);
      writeUpper(pkt, hl);
      fillUpperChecksum(pkt, hl, protocol);
      pkt.set(u16be(ipv4Checksum(pkt.subarray(0, hl))), 10);
      let frags: Uint8Array[];
      try {
        frags = fragmentIpv4(pkt, mtu);
      } catch {
        this.counters.IpFragFails++;
        this.host.countDrop(L.DropReason.TX_TOO_BIG);
        return 'EMSGSIZE';
      }
      this.counters.IpFragOKs++;
      this.counters.IpFragCreates += frags.length;
      for (const f of frags) this.sendRaw(iface.ifindex, f, now, mac);
      return undefined;
    }
    if (total > L.SLOT_SIZE - L.TX_HEADROOM) {
      this.host.countDrop(L.DropReason.TX_TOO_BIG);
      return 'EMSGSIZE';
    }
    const { u8, dv } = this.host.engine;
    const i = this.host.allocTx(iface.ifindex, now);
    const off = this.host.engine.txSlot(i) + L.TX_HEADROOM;
    // DF on unfragmented datagrams, as Linux does for UDP and ICMP (IP_PMTUDISC_WANT).
    header(u8, off, total, opts.df ?? true);
    writeUpper(u8, off + hl);
    const d = this.host.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, total, true);
    u8[d + L.TXD_IFINDEX] = iface.ifindex;
    u8[d + L.TXD_FLAGS] = L.TXF_IPV4 | (protocol === IPPROTO_UDP || protocol === IPPROTO_ICMP ? L.TXF_CSUM : 0) | (mac ? L.TXF_HAVE_MAC : 0);
    u8[d + L.TXD_L4] = 0;
    u8[d + L.TXD_PROTO] = 0;
    if (mac) u8.set(mac, d + L.TXD_MAC);
    return undefined;
  }

  /** A finished IPv4 datagram (all checksums done) to `mac`, or through the neighbor table. */
  sendRaw(ifindex: number, packet: Uint8Array, now: Instant, mac?: Uint8Array): void {
    if (packet.length > L.SLOT_SIZE - L.TX_HEADROOM) {
      this.host.countDrop(L.DropReason.TX_TOO_BIG);
      return;
    }
    const { u8, dv } = this.host.engine;
    const i = this.host.allocTx(ifindex, now);
    u8.set(packet, this.host.engine.txSlot(i) + L.TX_HEADROOM);
    const d = this.host.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, packet.length, true);
    u8[d + L.TXD_IFINDEX] = ifindex;
    u8[d + L.TXD_FLAGS] = L.TXF_IPV4 | (mac ? L.TXF_HAVE_MAC : 0);
    u8[d + L.TXD_L4] = 0;
    u8[d + L.TXD_PROTO] = 0;
    if (mac) u8.set(mac.subarray(0, 6), d + L.TXD_MAC);
  }

  private sendArp(ifindex: number, op: 1 | 2, targetMac: Uint8Array, senderIp: Ip4, targetIp: Ip4, toMac: Uint8Array, now: Instant): void {
    const iface = this.host.iface(ifindex);
    if (!iface?.mac) return;
    const { u8, dv } = this.host.engine;
    const i = this.host.allocTx(ifindex, now);
    const off = this.host.engine.txSlot(i) + L.TX_HEADROOM;
    emitArp(u8, off, { op, senderMac: iface.mac, senderIp, targetMac, targetIp });
    const d = this.host.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, ARP_LEN, true);
    u8[d + L.TXD_IFINDEX] = ifindex;
    u8[d + L.TXD_FLAGS] = L.TXF_ARP | L.TXF_HAVE_MAC;
    u8[d + L.TXD_L4] = 0;
    u8[d + L.TXD_PROTO] = 0;
    u8.set(toMac, d + L.TXD_MAC);
  }

  /** A datagram the fast path could not address (RESOLVE): next hop (RFC 1122 §3.3.1), then ARP. */
  resolve(ifindex: number, packet: Uint8Array, now: Instant): void {
    const dst = toMapped(packet.slice(16, 20));
    const src = packet.slice(12, 16);
    const r = this.route(dst, ifindex);
    if (!r || r.iface.ifindex !== ifindex) {
      this.counters.IpOutNoRoutes++;
      this.host.countDrop(L.DropReason.TX_NO_ROUTE);
      this.host.reportUnreachable(packet, dst, 'Destination Net Unreachable');
      return;
    }
    if (!r.iface.device.ethernet) {
      this.sendRaw(ifindex, packet, now);
      return;
    }
    const hop = r.hop.slice(12, 16);
    this.handleArp(ifindex, this.state(ifindex).arp.resolve(hop, packet, now, src), now);
  }

  // --- receiving -------------------------------------------------------------------

  /** An ARP packet (RFC 826) the fast path passed on: its length and fixed fields are checked. */
  onArp(iface: Interface, arp: Uint8Array, broadcast: boolean, now: Instant): void {
    const p = parseArp(arp);
    if (!p) return void this.host.countDrop(L.DropReason.ARP_MALFORMED);
    const s = this.state(iface.ifindex);
    const ours = s.addrs.map((a) => a.addr.slice(12, 16));
    this.handleArp(iface.ifindex, s.arp.onArp(p.op, p.senderIp, p.senderMac, p.targetIp, now, { ourAddrs: ours, broadcast }), now, p.senderIp);
  }

  /** ARP deadlines (retransmissions, REACHABLE → STALE, probes). */
  onDeadline(now: Instant): void {
    for (const [k, s] of this.ifs) if (s.arp.nextDeadline() <= now) this.handleArp(k, s.arp.onDeadline(now), now);
    if (this.igmp.nextDeadline() <= now) this.handleIgmp(this.igmp.onDeadline(now), now);
    if (this.pmtu.onDeadline(now).length) this.host.writeConfig(); // RFC 1191 §6.3: estimates age back up
    for (const t of this.reassembler.onDeadline(now)) {
      // RFC 792 / RFC 1122 §3.3.2: reassembly timed out with the first fragment in: Time Exceeded code 1.
      const f = t.firstFragment;
      const r = this.route(toMapped(f.slice(12, 16)));
      if (r) this.sendError(r.iface, f, false, ICMP4_TIME_EXCEEDED, 1, now);
    }
  }

  nextDeadline(): Instant {
    let t = Math.min(this.igmp.nextDeadline(), this.reassembler.nextDeadline(), this.pmtu.nextDeadline());
    for (const s of this.ifs.values()) t = Math.min(t, s.arp.nextDeadline());
    return t;
  }

  /** A fragment (MF or offset set): the reassembled datagram when it completes. */
  onFragment(pkt: Uint8Array, now: Instant): Uint8Array | undefined {
    const r = this.reassembler.onFragment(pkt, now);
    if (r.kind === 'complete') return r.packet;
    if (r.kind === 'dropped') {
      this.host.countDrop(
        r.reason === Ip4ReasmDrop.OVERLAP || r.reason === Ip4ReasmDrop.POISONED ? L.DropReason.FRAG_OVERLAP
        : r.reason === Ip4ReasmDrop.OVER_BUDGET ? L.DropReason.FRAG_BUDGET
        : L.DropReason.FRAG4_INVALID,
      );
    }
    return undefined;
  }

  /** Joins `group` (mapped) on `iface` for a socket: IGMP reports it (RFC 3376 §5.1). */
  joinGroup(iface: Interface, group: Ip6, now: Instant): void {
    this.handleIgmp(this.igmp.join(iface.ifindex, group.slice(12, 16), now), now);
  }

  leaveGroup(iface: Interface, group: Ip6, now: Instant): void {
    this.handleIgmp(this.igmp.leave(iface.ifindex, group.slice(12, 16), now), now);
  }

  /** An IGMP message (RFC 3376 §4; RFC 2236): queries drive our reports; others' reports suppress IGMPv1/v2 ones. */
  onIgmp(iface: Interface, pkt: Uint8Array, now: Instant): void {
    const hl = (pkt[0] & 0x0f) * 4;
    const msg = pkt.subarray(hl, (pkt[2] << 8) | pkt[3]);
    const bad = validateIgmp({ ttl: pkt[8], dst: pkt.slice(16, 20), routerAlert: hasRouterAlert(pkt.subarray(20, hl)) }, msg);
    if (bad !== null) return void this.host.countDrop(L.DropReason.IGMP_INVALID);
    if (msg[0] === IGMP_MEMBERSHIP_QUERY) {
      const q = parseIgmpQuery(msg);
      if (q) this.igmp.onQuery(iface.ifindex, q, now);
      return;
    }
    const v2 = parseIgmpV2Message(msg);
    if (v2 && v2.type !== 0x17) this.igmp.onReport(iface.ifindex, v2.group, now);
  }

  private handleIgmp(acts: IgmpAction[], now: Instant): void {
    for (const a of acts) {
      const iface = this.host.iface(a.ifindex);
      if (!iface) continue;
      const src = this.addresses(a.ifindex)[0]?.addr ?? toMapped(new Uint8Array(4)); // RFC 3376 §4.2.13: 0.0.0.0 before an address
      // RFC 3376 §4: TTL 1, IP Router Alert (RFC 2113); the message carries its checksum.
      this.send(src, toMapped(a.dst), IGMP_PROTOCOL, a.message.length, (b, o) => b.set(a.message, o), now, { ifindex: a.ifindex, ttl: 1, routerAlert: true, tos: 0xc0 });
    }
  }

  /** The fast path sent through a STALE ARP entry (event ring): STALE → DELAY. */
  onStaleUsed(ifindex: number, addr: Ip6, now: Instant): void {
    const s = this.ifs.get(ifindex);
    if (s) this.handleArp(ifindex, s.arp.onStaleUsed(addr.slice(12, 16), now), now);
  }

  confirmReachable(ifindex: number, addr: Ip6, now: Instant): void {
    const s = this.ifs.get(ifindex);
    if (s) this.handleArp(ifindex, s.arp.confirmReachable(addr.slice(12, 16), now), now);
  }

  private handleArp(ifindex: number, acts: ArpAction[], now: Instant, sender?: Ip4): void {
    const iface = this.host.iface(ifindex);
    if (!iface) return;
    const s = this.state(ifindex);
    for (const a of acts) {
      switch (a.type) {
        case 'SendArpRequest': {
          // Linux arp_solicit: the prompting packet's source when it is ours, else the interface's address for the target.
          const src = a.source && s.addrs.some((x) => ip4ToNumber(x.addr.subarray(12)) === ip4ToNumber(a.source!)) ? a.source : this.sourceFor(iface, toMapped(a.target))?.slice(12, 16);
          if (!src) break;
          this.sendArp(ifindex, ARP_OP_REQUEST, new Uint8Array(6), src, a.target, a.unicastMac ?? BROADCAST_MAC, now);
          break;
        }
        case 'SendArpReply':
          this.sendArp(ifindex, ARP_OP_REPLY, a.toMac, a.ourAddr, a.to, a.toMac, now);
          break;
        case 'SendQueued':
          for (const p of a.packets) this.sendRaw(ifindex, p, now, a.mac);
          break;
        case 'ResolutionFailed':
          if (a.packets.length) this.host.countDrop(L.DropReason.IP4_RESOLVE_FAILED, a.packets.length);
          for (const p of a.packets) this.host.reportUnreachable(p, toMapped(a.target), 'Destination Host Unreachable');
          this.host.emitEvent({ type: 'ResolutionFailed', ifindex, interface: iface.name, address: formatIpv4(a.target), dropped: a.packets.length });
          break;
        case 'EntryChanged': {
          const key = toMapped(a.addr);
          const t = this.host.table;
          if (a.state === 'FAILED' || a.state === 'EVICTED') {
            const i = t.find(ifindex, key);
            if (i >= 0) t.remove(i);
          } else {
            const i = t.insert(ifindex, key, toTable[a.state]);
            if (i >= 0) t.update(i, toTable[a.state], a.mac ?? s.arp.get(a.addr)?.mac);
          }
          this.host.emitEvent({ type: 'NeighborChanged', ifindex, interface: iface.name, address: formatIpv4(a.addr), state: a.state, lladdr: a.mac && formatMac(a.mac), router: false });
          break;
        }
        case 'Dropped':
          this.host.countDrop(a.reason, a.count);
          break;
        case 'ArpIgnored':
          this.host.countDrop(a.reason === 'SENDER_IS_OURS' ? L.DropReason.ARP_CONFLICT : L.DropReason.ARP_IGNORED);
          // RFC 5227 §2.4: someone else uses one of our addresses; reported, not defended.
          if (a.reason === 'SENDER_IS_OURS' && sender) this.host.emitEvent({ type: 'AddressConflict', ifindex, interface: iface.name, address: formatIpv4(sender) });
          break;
      }
    }
  }

  /**
   * Sends an ICMPv4 error about `invoking` (an IPv4 datagram we received)
   * to its source, unless RFC 1122 §3.2.2 forbids it: never about an ICMP
   * error, a datagram to a broadcast or multicast address or sent as a
   * link-layer broadcast, a non-initial fragment, or one whose source is not
   * a unicast host; and within the rate limit (RFC 1812 §4.3.2.8, Linux's
   * icmp_ratelimit). Quotes up to 548 octets, as Linux.
   */
  sendError(iface: Interface, invoking: Uint8Array, linkBroadcast: boolean, type: number, code: number, now: Instant): void {
    if (invoking.length < 20) return;
    const hl = (invoking[0] & 0x0f) * 4;
    const src = toMapped(invoking.slice(12, 16));
    const dst = toMapped(invoking.slice(16, 20));
    const s = v4num(src);
    const fragOff = ((invoking[6] << 8) | invoking[7]) & 0x1fff;
    const icmpError = invoking[9] === IPPROTO_ICMP && hl < invoking.length && (invoking[hl] === 3 || invoking[hl] === 4 || invoking[hl] === 5 || invoking[hl] === 11 || invoking[hl] === 12);
    if (
      icmpError ||
      linkBroadcast ||
      isMulticast4(dst) ||
      this.isBroadcastOn(iface.ifindex, dst) ||
      fragOff !== 0 ||
      s === 0 ||
      isMulticast4(src) ||
      isBroadcast4(src) ||
      s >>> 24 === 127
    ) {
      this.host.countDrop(L.DropReason.ICMP4_ERROR_SUPPRESSED);
      return;
    }
    if (!this.limiter.allow(src, type, now)) {
      this.counters.IcmpOutRateLimitHost++;
      this.host.countDrop(L.DropReason.ICMP4_RATE_LIMITED);
      return;
    }
    // From the address the datagram was sent to (it is ours: unicast was checked).
    const from = this.isLocal(dst) ? dst : this.sourceFor(iface, src);
    if (!from) return void this.host.countDrop(L.DropReason.ICMP4_ERROR_SUPPRESSED); // no address of ours to send it from
    const msg = { type: type as typeof ICMP4_DEST_UNREACH | typeof ICMP4_TIME_EXCEEDED, code, invoking };
    const len = icmp4Length(msg);
    this.counters.IcmpOutErrors++;
    this.send(from, src, IPPROTO_ICMP, len, (b, o) => writeIcmp4(b, o, msg), now, { ifindex: iface.ifindex, df: false });
  }

  /**
   * Fragmentation Needed (RFC 1191 §4) about a datagram of ours to `dst`:
   * lower its path MTU. An MTU field of 0 (a pre-RFC 1191 router) means the
   * next plateau below the quoted datagram's length (§5, Table 7-1).
   */
  onFragNeeded(dst: Ip6, mtu: number, quotedLength: number, linkMtu: number, now: Instant): void {
    if (mtu === 0) mtu = PLATEAUS.find((p) => p < quotedLength) ?? 68;
    if (this.pmtu.onPacketTooBig(dst, mtu, linkMtu, now)) this.host.writeConfig();
  }

  /** The smallest path MTU known (for the fast path's in-place echo limit). */
  smallestPmtu(linkMtu: number): number {
    let m = linkMtu;
    for (const e of this.pmtu.entries()) m = Math.min(m, e.pmtu);
    return m;
  }

  /** An echo request the fast path left to us (options, larger than in place allows): the reply (RFC 792). */
  echoReply(iface: Interface, pkt: Uint8Array, now: Instant): void {
    const hl = (pkt[0] & 0x0f) * 4;
    const body = pkt.slice(hl, (pkt[2] << 8) | pkt[3]);
    if (body.length < 8 || body[0] !== ICMP4_ECHO_REQUEST) return;
    const src = toMapped(pkt.slice(12, 16));
    const dst = toMapped(pkt.slice(16, 20));
    if (isMulticast4(dst) || this.isBroadcastOn(iface.ifindex, dst)) return void this.host.countDrop(L.DropReason.ECHO4_BROADCAST_IGNORED);
    body[0] = ICMP4_ECHO_REPLY;
    body[1] = 0;
    const from = this.isLocal(dst) ? dst : this.sourceFor(iface, src);
    if (!from) return void this.host.countDrop(L.DropReason.ECHO_MCAST_NO_SOURCE); // no address of ours to answer from
    this.send(from, src, IPPROTO_ICMP, body.length, (b, o) => {
      b.set(body, o);
      b[o + 2] = 0;
      b[o + 3] = 0;
    }, now, { ifindex: iface.ifindex, df: false, options: echoOptions(pkt.subarray(20, hl), from) });
  }
}

const u16be = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const IGMP_PROTOCOL = 2;
const ROUTER_ALERT = Uint8Array.of(0x94, 0x04, 0x00, 0x00); // RFC 2113
const NO_OPTIONS = new Uint8Array(0);

/**
 * The options an Echo Reply carries back (RFC 1122 §3.2.2.6): a Record Route
 * (RFC 791) or Timestamp (RFC 791, RFC 781) option of the request, updated
 * with this hop — our address, and for Timestamp the milliseconds since
 * midnight UT — or its overflow count raised when full, "without
 * truncation". Other options (source routes included) are not returned.
 * Padded with End of Option List to a multiple of 4.
 */
export function echoOptions(opts: Uint8Array, ours: Ip6, now = Date.now()): Uint8Array {
  const out: number[] = [];
  for (let o = 0; o < opts.length; ) {
    const t = opts[o];
    if (t === 0) break; // End of Option List
    if (t === 1) {
      o++;
      continue;
    }
    const len = opts[o + 1];
    if (o + 1 >= opts.length || len < 2 || o + len > opts.length) break; // malformed: return nothing past it
    const opt = Array.from(opts.subarray(o, o + len));
    o += len;
    if (t === 7 && len >= 3) {
      // Record Route: the pointer (1-based) names the next free slot.
      const ptr = opt[2];
      if (ptr >= 4 && ptr + 3 <= len) {
        opt.splice(ptr - 1, 4, ours[12], ours[13], ours[14], ours[15]);
        opt[2] = ptr + 4;
      }
      out.push(...opt);
    } else if (t === 68 && len >= 4) {
      // Timestamp: flags 0 (timestamps) or 1 (address and timestamp); 3 (prespecified) only when our address is next.
      const ptr = opt[2];
      const flags = opt[3] & 0x0f;
      const ms = now % 86_400_000;
      const stamp = [(ms >>> 24) & 0xff, (ms >>> 16) & 0xff, (ms >>> 8) & 0xff, ms & 0xff];
      const room = flags === 0 ? 4 : 8;
      const prespecifiedOurs = flags === 3 && ptr + 7 <= len && opt[ptr - 1] === ours[12] && opt[ptr] === ours[13] && opt[ptr + 1] === ours[14] && opt[ptr + 2] === ours[15];
      if (ptr >= 5 && ptr + room - 1 <= len && (flags === 0 || flags === 1 || prespecifiedOurs)) {
        const entry = flags === 0 ? stamp : [ours[12], ours[13], ours[14], ours[15], ...stamp];
        opt.splice(ptr - 1, room, ...entry);
        opt[2] = ptr + room;
      } else if (flags !== 3) {
        const over = (opt[3] >> 4) & 0x0f;
        if (over < 15) opt[3] = ((over + 1) << 4) | flags; // RFC 791: the overflow count
      }
      out.push(...opt);
    }
  }
  while (out.length % 4) out.push(0);
  return Uint8Array.from(out.slice(0, 40));
}
/** RFC 1191 §7 Table 7-1: MTU plateaus. */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/** The Internet checksum (RFC 1071) over `b`: 0 when `b` holds a correct one. */
export const inetSum = (b: Uint8Array): number => ipv4Checksum(b);

/** The UDP checksum check over an IPv4 pseudo-header (RFC 768): 0 when `udp` (UDP Length bytes) is intact. */
export function udp4Checksum(pkt: Uint8Array, udp: Uint8Array): number {
  const pseudo = new Uint8Array(12 + udp.length);
  pseudo.set(pkt.subarray(12, 20), 0);
  pseudo[9] = IPPROTO_UDP;
  pseudo[10] = udp.length >> 8;
  pseudo[11] = udp.length & 0xff;
  pseudo.set(udp, 12);
  return ipv4Checksum(pseudo);
}

/** UDP (with the IPv4 pseudo-header; 0 sent as 0xffff, RFC 768) or ICMP (no pseudo-header) checksum of a whole datagram. */
function fillUpperChecksum(pkt: Uint8Array, hl: number, protocol: number): void {
  const upper = pkt.subarray(hl);
  if (protocol === IPPROTO_UDP && upper.length >= 8) {
    upper[6] = 0;
    upper[7] = 0;
    let c = udp4Checksum(pkt, upper);
    if (c === 0) c = 0xffff;
    upper.set(u16be(c), 6);
  } else if (protocol === IPPROTO_ICMP && upper.length >= 4) {
    upper[2] = 0;
    upper[3] = 0;
    upper.set(u16be(ipv4Checksum(upper)), 2);
  }
}

