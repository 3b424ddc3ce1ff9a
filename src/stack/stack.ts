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
import { DeadlineHeap } from '../time/deadlines.js';
import { WasagiError, invalidArg } from '../errors.js';
import {
  ALL_NODES, ALL_ROUTERS, UNSPECIFIED, formatIp6, formatMac, ip6Equal, ip6Key, isLinkLocal, isMulticast, isUnspecified,
  maskPrefix, parseIp6, parseIp6Zoned, parseMac, parsePrefix, prefixMatch, randomMac, solicitedNode, type Ip6,
} from '../wire/address.js';
import { emitIp6Header, ip6Fields, upperLayerChecksum, IP6_HEADER_LEN, NH_ICMPV6, NH_UDP } from '../wire/ipv6.js';
import {
  emitNeighborAdvert, emitNeighborSolicit, neighborAdvertLength, neighborSolicitLength, parseNeighborAdvert,
  parseNeighborSolicit, ND_NA, ND_NS,
} from '../wire/ndisc.js';
import { NeighborTable } from '../nd/neighbor-table.js';
import { NeighborCache, probablyReachable, type NdAction } from '../nd/neighbor-cache.js';
import {
  MALFORMED, validateNeighborAdvert, validateNeighborSolicit, validateRedirect, validateRouterAdvert, validateRouterSolicit,
} from '../nd/validate.js';
import { RouterDiscovery, type RdAction } from '../nd/router-discovery.js';
import {
  emitRouterSolicit, parseRedirect, parseRouterAdvert, parseRouterSolicit, preferenceRank, routerSolicitLength,
  ND_RA, ND_REDIRECT, ND_RS,
} from '../wire/ra.js';
import { Interface, isUsable } from './interface.js';
import { AddressConfig, type AddrAction, type ManagedAddress } from '../addrconf/addresses.js';
import { eui64Iid, generateSecretKey, stableIidWithCounter } from '../addrconf/iid.js';
import { selectSource, sortDestinations, type SourceCandidate } from '../addrconf/select.js';
import { MldListener, type MldAction } from '../mld/listener.js';
import { PmtuCache } from '../route/pmtu.js';
import { PortSpace, type UdpBindRequest } from '../socket/portspace.js';
import { UdpSocket, type SocketOptions, type UdpHost } from '../socket/udp.js';
import { Reassembler, ReasmDrop } from '../ipv6/reassembly.js';
import { fragmentPacket, newIdentification } from '../ipv6/fragment.js';
import { IcmpRateLimiter } from '../icmp/ratelimit.js';
import { shouldSendError } from '../icmp/policy.js';
import {
  emitIcmp6Error, parseIcmp6Error, ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROBLEM, ICMP6_TIME_EXCEEDED,
} from '../wire/icmp6err.js';
import {
  ALL_MLDV2_ROUTERS, emitMldv1Message, emitMldv2Report, parseMldQuery, parseMldv1Message, MLD_QUERY, MLD_V1_DONE, MLD_V1_REPORT,
} from '../wire/mld.js';
import { DEFAULT_POLICY_TABLE, PolicyTable, type PolicyEntry } from '../addrconf/policy.js';
import { Pinger, type PingOptions, type PingSummary } from './ping.js';
import type { StackEvent } from './events.js';
import type { Device } from '../device/device.js';
import type { MemoryLink } from '../device/memory.js';
import { openTap, type TapOptions } from '../device/tap.js';
import { withPcap } from '../device/pcap.js';
import { Ipv4, formatV4, isBroadcast4, isMulticast4, looksV4, parseV4 } from './ipv4.js';
import { isMapped, toMapped, IPPROTO_ICMP, IPPROTO_UDP } from '../wire/ipv4.js';
import { ICMP4_DEST_UNREACH, ICMP4_ECHO_REPLY, ICMP4_ECHO_REQUEST, ICMP4_TIME_EXCEEDED, writeIcmp4 } from '../wire/icmpv4.js';
import { EchoSocket } from '../socket/echo.js';
import { inetSum, udp4Checksum } from './ipv4.js';
import { UdpDemuxTable } from '../socket/udp-table.js';
import { Ip6Memo } from '../wire/memo.js';

const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;
const ND_HOP_LIMIT = 255; // RFC 4861 §6.1, §7.1
const OPT_NONCE = 14; // RFC 3971 §5.3.2, used by RFC 7527 for DAD loopback detection
const MAX_ANYCAST_DELAY_TIME = 1_000; // ms, RFC 4861 §10
const ALL_HOSTS4 = toMapped(Uint8Array.of(224, 0, 0, 1)); // RFC 1112 §4
/** Destination Unreachable codes Linux treats as hard errors for a socket (net/ipv4/icmp.c icmp_err_convert, fatal = 1). */
const UNREACH4_HARD: Record<number, string> = {
  2: 'ENOPROTOOPT', 3: 'ECONNREFUSED', 6: 'ENETUNREACH', 7: 'EHOSTDOWN', 8: 'ENONET', 9: 'ENETUNREACH', 10: 'EHOSTUNREACH', 13: 'EHOSTUNREACH', 14: 'EHOSTUNREACH', 15: 'EHOSTUNREACH',
};
/** The same for ICMPv6 (net/ipv6/icmp.c tab_unreach, fatal = 1). */
const UNREACH6_HARD: Record<number, string> = { 1: 'EACCES', 4: 'ECONNREFUSED', 5: 'EACCES', 6: 'EACCES' };

export interface StackOptions {
  /** Time source; a ManualClock gives virtual time (no timers armed). Default: SystemClock. */
  clock?: Clock;
  /** Random source in [0, 1) (ReachableTime, identifiers, MACs). Default: Math.random. */
  random?: () => number;
  /** Use the SIMD build when the engine supports it (default true). */
  simd?: boolean;
  /** Entries of the WASM neighbor table, a power of two (default 4096; the cache keeps it ≤ 3/4 full). */
  neighborCapacity?: number;
  /**
   * RFC 7217 secret_key (≥ 16 bytes) for stable-privacy interface identifiers.
   * Keep it and pass it again to get the same addresses after a restart;
   * default: a random key per stack.
   */
  stableSecret?: Uint8Array;
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
  /** Process Router Advertisements and solicit them at start (default true, like a Linux host). */
  acceptRa?: boolean;
  /** Form addresses from Prefix Information with the A flag (RFC 4862 §5.5.3; default true). */
  slaac?: boolean;
  /** Interface identifiers: RFC 7217 stable-privacy (default) or modified EUI-64 (RFC 4291 App. A). */
  iid?: 'stable' | 'eui64';
  /** DupAddrDetectTransmits (RFC 4862 §5.1; default 1; 0: addresses are usable at once). */
  dadTransmits?: number;
  /** Optimistic DAD for autoconfigured addresses (RFC 4429; default false). */
  optimisticDad?: boolean;
  /** RFC 8981 temporary addresses beside autoconfigured ones (default false, like Linux). */
  tempAddresses?: boolean;
}

/** Counters that only the control plane sees (the rest live in WASM memory). */
const TS_COUNTERS = [
  'Udp6NoPorts',
  'Udp6InDatagrams',
  'UdpNoPorts',
  'UdpInDatagrams',
  'Ip6OutNoRoutes',
  'NdResolveForTentative',
  'EventsLost',
  'Icmp6InRedirectsAccepted',
  'AddressConflicts',
  'Icmp6OutParmProblems',
  'Icmp6OutTimeExcds',
  'Icmp6OutPortUnreachs',
  'Icmp6OutRateLimitGlobal',
  'Icmp6OutRateLimitHost',
  'Icmp6InPktTooBigs',
  'Icmp6InTimeExcds',
  'Icmp6InParmProblems',
  'Ip6FragOKs',
  'Ip6FragCreates',
  'Ip6FragFails',
] as const;
type TsCounter = (typeof TS_COUNTERS)[number];

export class Stack extends EventEmitter {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly random: () => number;
  readonly neighbors: NeighborCache;
  /** Router and prefix discovery: default routers, prefixes, routes, DNS (RFC 4861 §6.3, RFC 4191, RFC 8106). */
  readonly routers: RouterDiscovery;
  /** Static routes (the API, `wasagi up --route`): prefix → interface and optional gateway. */
  readonly staticRoutes: Array<{ ifindex: number; prefix: Ip6; prefixLength: number; via?: Ip6 }> = [];
  /** Destination cache entries made by Redirects (RFC 4861 §8.3): ifindex|destination → target. */
  private readonly redirects = new Map<string, { ifindex: number; destination: Ip6; target: Ip6; via: Ip6 }>();
  private readonly table: NeighborTable;
  /** IPv4: addresses, routes, ARP, ICMPv4, IGMP, reassembly (src/stack/ipv4.ts). */
  readonly v4: Ipv4;
  /** Every address this host owns, with DAD and lifetimes (RFC 4862). */
  readonly addrconf: AddressConfig;
  /** MLDv2 listener (RFC 3810) for every group the host joins. */
  readonly mld: MldListener;
  /** Path MTU per destination (RFC 8201). */
  readonly pmtu = new PmtuCache();
  /** ICMPv6 error rate limits (RFC 4443 §2.4 f). */
  readonly icmpLimiter = new IcmpRateLimiter();
  /** Fragment reassembly with per-source and total memory budgets (RFC 8200 §4.5, RFC 5722). */
  readonly reassembler = new Reassembler();
  /** The UDP port space, Linux's rules with V6ONLY (paper §4). */
  readonly udpPorts = new PortSpace<UdpBindRequest & { owner: UdpSocket }>((addr, family, ifindex) => {
    if (family === 4) return this.v4.isLocal(addr);
    const a = this.addrconf.findAny(addr);
    return a !== undefined && (!isLinkLocal(addr) || ifindex === undefined || a.ifindex === ifindex);
  });
  /** The port space mirrored into WASM, where datagrams are demultiplexed (issue 6 §7). */
  private udpTable!: UdpDemuxTable;
  /** Multicast groups joined by sockets: ifindex|group → number of sockets. */
  private readonly socketGroups = new Map<string, { ifindex: number; group: Ip6; refs: number }>();
  /** Node's dgram, on this stack: `stack.dgram.createSocket({ type: 'udp6' })`. */
  readonly dgram = {
    createSocket: (opts: SocketOptions | 'udp6' | 'udp4', listener?: (msg: Buffer, rinfo: unknown) => void): UdpSocket => {
      this.assertOpen();
      const s = new UdpSocket(this.udpHost, typeof opts === 'string' ? { type: opts } : opts);
      if (listener) s.on('message', listener);
      return s;
    },
  };
  private readonly udpHost: UdpHost = {
    ports: {
      bind: (req) => {
        const r = this.udpPorts.bind(req);
        if (r.ok) this.udpTable.syncPort(r.port, this.udpPorts.socketsOn(r.port));
        return r;
      },
      unbind: (handle) => {
        const h = handle as { port: number };
        this.udpPorts.unbind(handle as Parameters<typeof this.udpPorts.unbind>[0]);
        this.udpTable.syncPort(h.port, this.udpPorts.socketsOn(h.port));
      },
      connect: (handle, peer, local) => {
        const h = handle as Parameters<typeof this.udpPorts.connect>[0];
        if (this.udpPorts.connect(h, peer, local)) this.udpTable.syncPort(h.port, this.udpPorts.socketsOn(h.port));
      },
    },
    isLocal: (a) => (isMapped(a) ? this.v4.isLocal(a) : this.addrconf.findAny(a) !== undefined),
    zoneIndex: (zone) => {
      const i = this.interfaces.find((x) => x.name === zone) ?? (/^\d+$/.test(zone) ? this.ifaces[Number(zone)] : undefined);
      if (!i) throw new WasagiError('ERR_UNKNOWN_ZONE', `unknown zone ${JSON.stringify(zone)}`);
      return i.ifindex;
    },
    v4Ifindex: (addr) => {
      for (const i of this.interfaces) if (this.v4.addresses(i.ifindex).some((a) => ip6Equal(a.addr, addr))) return i.ifindex;
      return undefined;
    },
    format: (a, ifindex) => this.formatAddr(a, ifindex !== undefined ? this.ifaces[ifindex] : undefined),
    localFor: (dst, ifindex) => {
      if (isMapped(dst)) {
        const r = this.v4.route(dst, ifindex);
        return r && this.v4.sourceFor(r.iface, r.hop);
      }
      try {
        const iface = ifindex !== undefined ? this.ifaces[ifindex] : this.routeInterface(dst);
        return iface && this.sourceFor(iface, dst);
      } catch {
        return undefined;
      }
    },
    membership: (join, group, ifindex) => this.socketMembership(join, group, ifindex),
    sendUdp: (req) => {
      if (this.closed) return 'ERR_SOCKET_DGRAM_NOT_RUNNING';
      const { srcPort, dst, dstPort, payload } = req;
      const len = 8 + payload.length;
      const writeUdp = (b: Uint8Array, o: number): void => {
        // RFC 768 header; txBuild fills the checksum (mandatory over IPv6, RFC 8200 §8.1; always sent over IPv4, as Linux).
        b[o] = srcPort >> 8;
        b[o + 1] = srcPort & 0xff;
        b[o + 2] = dstPort >> 8;
        b[o + 3] = dstPort & 0xff;
        b[o + 4] = len >> 8;
        b[o + 5] = len & 0xff;
        b[o + 6] = 0;
        b[o + 7] = 0;
        b.set(payload, o + 8);
      };
      if (isMapped(dst)) {
        // IPv4 (a udp4 socket, or a udp6 one sending to ::ffff:a.b.c.d, RFC 4291 §2.5.5.2).
        const mcast = isMulticast4(dst);
        const ifindex = mcast ? (req.mcastIfindex ?? req.ifindex) : req.ifindex;
        const r = this.v4.route(dst, ifindex);
        if (!r) return 'ENETUNREACH';
        if ((isBroadcast4(dst) || this.v4.isBroadcastOn(r.iface.ifindex, dst)) && !req.broadcast) return 'EACCES'; // SO_BROADCAST (Linux udp_sendmsg)
        const from = req.src ?? this.v4.sourceFor(r.iface, r.hop);
        if (!from) return 'EADDRNOTAVAIL';
        this.flushSoon();
        return this.v4.send(from, dst, IPPROTO_UDP, len, writeUdp, this.clock.now(), {
          ifindex: r.iface.ifindex,
          route: r,
          ttl: mcast ? (req.mcastTtl ?? 1) : req.ttl,
        });
      }
      let iface: Interface | undefined;
      const mcast = isMulticast(dst);
      const pinned = req.ifindex ?? (mcast ? req.mcastIfindex : undefined);
      try {
        iface = pinned !== undefined ? this.ifaces[pinned] : this.routeInterface(dst);
      } catch (e) {
        return (e as WasagiError).code === 'ERR_ZONE_REQUIRED' ? 'EINVAL' : 'ENETUNREACH';
      }
      if (!iface) return 'ENETUNREACH';
      const from = req.src ?? this.cachedSourceFor(iface, dst);
      if (!from) return 'EADDRNOTAVAIL';
      this.flushSoon();
      this.sendIp6(iface, from, dst, mcast ? (req.mcastTtl ?? 1) : (req.ttl ?? iface.hopLimit), NH_UDP, len, writeUdp);
      return undefined;
    },
  };

  /** A socket joins or leaves `group` (mapped for IPv4) on `ifindex` (undefined: by route); MLD or IGMP speak for the first and last. */
  private socketMembership(join: boolean, group: Ip6, ifindex: number | undefined): string | undefined {
    const v4 = isMapped(group);
    let iface: Interface | undefined;
    if (ifindex !== undefined) iface = this.ifaces[ifindex];
    else if (v4) iface = this.v4.route(group)?.iface;
    else iface = this.interfaces.length === 1 ? this.interfaces[0] : this.interfaces.find((i) => i.up);
    if (!iface) return 'ENODEV';
    const key = `${iface.ifindex}|${ip6Key(group)}`;
    const g = this.socketGroups.get(key);
    const now = this.clock.now();
    this.enter();
    try {
      if (join) {
        if (g) g.refs++;
        else {
          this.socketGroups.set(key, { ifindex: iface.ifindex, group: group.slice(), refs: 1 });
          if (v4) this.v4.joinGroup(iface, group, now);
          else this.handleMld(this.mld.join(iface.ifindex, group, now));
          this.writeConfig();
        }
      } else {
        if (!g) return 'EADDRNOTAVAIL';
        if (--g.refs === 0) {
          this.socketGroups.delete(key);
          if (v4) this.v4.leaveGroup(iface, group, now);
          else this.handleMld(this.mld.leave(iface.ifindex, group, now));
          this.writeConfig();
        }
      }
    } finally {
      this.leave();
    }
    return undefined;
  }

  /**
   * A UDP datagram (already validated: length, checksum) to its socket, or
   * Port Unreachable (RFC 4443 §3.1 code 4; RFC 1122 §4.1.3.1 for IPv4).
   * `sockIndex` is the fast path's demultiplexing answer (0xffffffff: look
   * it up here). Multicast and broadcast datagrams go to every socket that
   * fits (Linux __udp4_lib_mcast_deliver / __udp6_lib_mcast_deliver).
   * Addresses are mapped for IPv4.
   */
  private deliverUdp(iface: Interface, invoking: Uint8Array, udp: Uint8Array, src: Ip6, dst: Ip6, linkMulticast: boolean, family: 4 | 6, sockIndex = 0xffffffff): void {
    const srcPort = (udp[0] << 8) | udp[1];
    const dstPort = (udp[2] << 8) | udp[3];
    const len = Math.min((udp[4] << 8) | udp[5], udp.length);
    const group = family === 4 ? isMulticast4(dst) || this.v4.isBroadcastOn(iface.ifindex, dst) : isMulticast(dst);
    const payload = udp.subarray(8, len);
    const deliverTo = (owner: UdpSocket): void => {
      try {
        owner.deliver(src, srcPort, iface.ifindex, payload); // the socket copies what it keeps
      } catch (e) {
        queueMicrotask(() => {
          throw e; // a listener's exception: uncaught, as from a dgram socket, after the stack's burst
        });
      }
    };
    if (group) {
      const all = this.udpPorts.socketsOn(dstPort).filter(
        (s) =>
          (family === 6 ? s.family === 6 : s.family === 4 || !s.v6only) &&
          (s.ifindex === undefined || s.ifindex === iface.ifindex) &&
          (isUnspecified(s.addr) || ip6Equal(s.addr, dst) || (family === 4 && s.addr[10] === 0xff && s.addr[12] === 0 && s.addr[13] === 0 && s.addr[14] === 0 && s.addr[15] === 0)),
      );
      if (all.length === 0) {
        this.tsCounters[family === 4 ? 'UdpNoPorts' : 'Udp6NoPorts']++;
        this.engine.countDrop(L.DropReason.UDP_NO_PORT);
        return;
      }
      this.tsCounters[family === 4 ? 'UdpInDatagrams' : 'Udp6InDatagrams']++;
      for (const s of all) deliverTo(s.request.owner);
      return;
    }
    let sock = sockIndex !== 0xffffffff ? (this.udpTable.socketAt(sockIndex) as ReturnType<typeof this.udpPorts.lookup>) : undefined;
    if (!sock) {
      sock = this.udpPorts.lookup(dst, dstPort, family, iface.ifindex, src, srcPort);
      if (sock) this.tsCounters[family === 4 ? 'UdpInDatagrams' : 'Udp6InDatagrams']++;
    }
    if (!sock) {
      this.tsCounters[family === 4 ? 'UdpNoPorts' : 'Udp6NoPorts']++;
      this.engine.countDrop(L.DropReason.UDP_NO_PORT);
      this.portUnreachable(iface, invoking, linkMulticast, family);
      return;
    }
    deliverTo(sock.request.owner);
  }

  /** Port Unreachable for a unicast datagram no socket wanted (rate limited); the drop is counted already. */
  private portUnreachable(iface: Interface, invoking: Uint8Array, linkMulticast: boolean, family: 4 | 6): void {
    if (family === 4) this.v4.sendError(iface, invoking, linkMulticast, ICMP4_DEST_UNREACH, 3, this.clock.now());
    else if (!isMulticast(invoking.subarray(24, 40))) this.sendIcmpError(iface, invoking, linkMulticast, ICMP6_DST_UNREACH, 4, 0);
  }
  private readonly stableSecret: Uint8Array;
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
    this.engine = new Engine({ simd: opts.simd, neighborCapacity: opts.neighborCapacity });
    this.table = new NeighborTable(this.engine);
    this.udpTable = new UdpDemuxTable(this.engine, (sock) => this.udpPorts.isConnected(sock as Parameters<typeof this.udpPorts.isConnected>[0]));
    this.v4 = new Ipv4({
      engine: this.engine,
      table: this.table,
      random: this.random,
      iface: (i) => this.ifaces[i],
      interfaces: () => this.interfaces,
      allocTx: (i, now) => this.allocTx(i, now),
      countDrop: (r, n) => this.engine.countDrop(r, n),
      emitEvent: (e) => this.emitEvent(e),
      writeConfig: () => this.writeConfig(),
      reportUnreachable: (packet, from, why) => this.reportUnreachable4(packet, from, why),
    });
    this.neighbors = new NeighborCache(this.table, this.random);
    this.routers = new RouterDiscovery(this.random);
    this.mld = new MldListener(this.random);
    if (opts.stableSecret !== undefined && (!(opts.stableSecret instanceof Uint8Array) || opts.stableSecret.length < 16)) {
      throw invalidArg('stableSecret', 'a Uint8Array of at least 16 bytes', opts.stableSecret);
    }
    this.stableSecret = opts.stableSecret?.slice() ?? generateSecretKey();
    this.addrconf = new AddressConfig(this.random, (ifindex) => {
      const i = this.ifaces[ifindex];
      return {
        transmits: i?.dadTransmits ?? 1,
        retransTimer: this.neighbors.paramsOf(ifindex).retransTimer,
        optimistic: i?.optimisticDad ?? false,
        temporary: i?.tempAddresses ?? false,
      };
    });
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
    const v4addrs: string[] = [];
    for (const a of opts.addresses ?? []) {
      if (typeof a !== 'string') throw invalidArg('addresses', 'an array of strings', a);
      if (looksV4(a)) v4addrs.push(a);
    }
    const addrs = (opts.addresses ?? []).filter((a) => !v4addrs.includes(a)).map((a) => {
      const p = parsePrefix(a);
      if (isMulticast(p.addr) || isUnspecified(p.addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `${a} cannot be an interface address`);
      return p;
    });
    if (opts.hopLimit !== undefined && (!Number.isInteger(opts.hopLimit) || opts.hopLimit < 1 || opts.hopLimit > 255)) {
      throw invalidArg('hopLimit', 'an integer 1..255', opts.hopLimit);
    }
    if (opts.dadTransmits !== undefined && (!Number.isInteger(opts.dadTransmits) || opts.dadTransmits < 0 || opts.dadTransmits > 10)) {
      throw invalidArg('dadTransmits', 'an integer 0..10', opts.dadTransmits);
    }
    if (opts.iid !== undefined && opts.iid !== 'stable' && opts.iid !== 'eui64') throw invalidArg('iid', '"stable" or "eui64"', opts.iid);
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
    if (opts.acceptRa === false) iface.acceptRa = false;
    if (opts.slaac === false) iface.slaac = false;
    if (opts.iid) iface.iid = opts.iid;
    if (opts.dadTransmits !== undefined) iface.dadTransmits = opts.dadTransmits;
    if (opts.optimisticDad) iface.optimisticDad = true;
    if (opts.tempAddresses) iface.tempAddresses = true;
    this.ifaces[ifindex] = iface;
    this.writeConfig();
    device.attach(this.engine, (n) => this.rx(ifindex, n));
    this.emitEvent({ type: 'InterfaceAdded', ifindex, name, kind: device.kind, lladdr: iface.mac && formatMac(iface.mac), mtu: device.mtu });
    this.enter();
    try {
      const now = this.clock.now();
      // RFC 4862 §5.3: the link-local address first; its DAD is the interface's
      // first transmission and waits a random delay (§5.4.2).
      if (device.ethernet && opts.linkLocal !== false) {
        const f = this.formAddress(iface, parseIp6('fe80::'), 64, 0)!;
        this.handleAddr(this.addrconf.add({ ifindex, addr: f.addr, prefixLen: 64, origin: 'link-local', hardwareIid: f.hardwareIid, stable: f.stable }, now, true).actions, now);
      }
      for (const a of addrs) {
        // §5.4.2: everything sent at interface start waits the random delay.
        this.handleAddr(this.addrconf.add({ ifindex, addr: a.addr, prefixLen: a.prefixLen, origin: 'static' }, now, true).actions, now);
      }
      for (const a of v4addrs) this.v4.addAddress(iface, a);
      if (iface.acceptRa) this.routers.start(ifindex, now);
    } finally {
      this.leave();
    }
    return iface;
  }

  /**
   * The address for `prefix` on `iface`: RFC 7217 stable-privacy (prefix,
   * interface name, DAD counter, the stack's secret) or modified EUI-64 of the
   * MAC. Undefined when the prefix length leaves no room for a 64-bit
   * identifier (RFC 4862 §5.5.3 d).
   */
  private formAddress(iface: Interface, prefix: Ip6, prefixLen: number, dadCounter: number): { addr: Ip6; hardwareIid: boolean; stable?: { prefix: Ip6; dadCounter: number } } | undefined {
    if (prefixLen !== 64) return undefined;
    const addr = prefix.slice();
    if (iface.iid === 'eui64' && iface.mac) {
      addr.set(eui64Iid(iface.mac), 8);
      return { addr, hardwareIid: true };
    }
    const s = stableIidWithCounter({ prefix, netIface: iface.name, dadCounter, secretKey: this.stableSecret });
    addr.set(s.iid, 8);
    return { addr, hardwareIid: false, stable: { prefix: prefix.slice(), dadCounter: s.dadCounter } };
  }

  /** Address-configuration actions into packets, tables and events. */
  private handleAddr(acts: AddrAction[], now: Instant): void {
    let tables = false;
    for (const a of acts) {
      const iface = this.ifaces['ifindex' in a ? a.ifindex : a.address.ifindex];
      if (!iface) continue;
      switch (a.type) {
        case 'JoinGroup':
        case 'LeaveGroup':
          tables = true; // the WASM group table follows the addresses (MLD reports: groups issue)
          this.onGroupChange(iface, a.group, a.type === 'JoinGroup', now);
          break;
        case 'SendDadProbe': {
          // RFC 4862 §5.4.2: NS from ::, to the target's solicited-node group, no
          // SLLA option, with a Nonce option (RFC 7527 §4.1; RFC 3971 §5.3.2 format).
          const ns = { target: a.target };
          const len = neighborSolicitLength({}) + 8;
          this.sendIp6(iface, UNSPECIFIED, solicitedNode(a.target), ND_HOP_LIMIT, NH_ICMPV6, len, (b, o) => {
            const n = emitNeighborSolicit(b, o, ns);
            b[o + n] = OPT_NONCE;
            b[o + n + 1] = 1;
            b.set(a.nonce.subarray(0, 6), o + n + 2);
          });
          break;
        }
        case 'AddressChanged': {
          tables = true;
          iface.addresses = this.addrconf.list(iface.ifindex);
          const addr = this.formatAddr(a.address.addr, iface);
          if (a.change === 'added') {
            this.emitEvent({ type: 'AddressAdded', ifindex: iface.ifindex, interface: iface.name, address: addr, prefixLen: a.address.prefixLen, state: a.address.state, origin: a.address.origin });
          } else if (a.change === 'removed') {
            this.emitEvent({ type: 'AddressRemoved', ifindex: iface.ifindex, interface: iface.name, address: addr, prefixLen: a.address.prefixLen });
          } else if (a.change !== 'lifetimes') {
            this.emitEvent({ type: 'AddressStateChanged', ifindex: iface.ifindex, interface: iface.name, address: addr, state: a.change });
          }
          break;
        }
        case 'AddressConflict':
          this.tsCounters.AddressConflicts++;
          this.emitEvent({ type: 'AddressConflict', ifindex: iface.ifindex, interface: iface.name, address: this.formatAddr(a.address.addr, iface) });
          break;
        case 'DisableInterface':
          // RFC 4862 §5.4.5: a hardware-derived link-local address is in use by another node.
          iface.up = false;
          tables = true;
          this.emitEvent({ type: 'InterfaceDisabled', ifindex: iface.ifindex, interface: iface.name, reason: `duplicate ${this.formatAddr(a.address.addr, iface)}` });
          break;
        case 'RegenerateStable': {
          const f = this.formAddress(iface, a.prefix, a.prefixLen, a.dadCounter);
          if (f && !this.addrconf.find(iface.ifindex, f.addr)) {
            const origin = isLinkLocal(a.prefix) ? 'link-local' : 'slaac';
            // RFC 7217 §6: the next attempt waits a random delay up to IDGEN_DELAY (1 s).
            this.handleAddr(
              this.addrconf.add({ ifindex: iface.ifindex, addr: f.addr, prefixLen: a.prefixLen, origin, validLifetime: a.validLifetime, preferredLifetime: a.preferredLifetime, stable: f.stable }, now, true).actions,
              now,
            );
          }
          break;
        }
      }
    }
    if (tables) this.writeConfig();
  }

  /** A group joined or left: MLD tells the routers (RFC 3810 §6.1). */
  private onGroupChange(iface: Interface, group: Ip6, join: boolean, now: Instant): void {
    this.handleMld(join ? this.mld.join(iface.ifindex, group, now) : this.mld.leave(iface.ifindex, group, now));
  }

  /**
   * MLD messages out (RFC 3810 §5, RFC 2710 §3): hop limit 1, a Router Alert,
   * from our link-local address, or :: while we have none yet (§5.2.13).
   */
  private handleMld(acts: MldAction[]): void {
    for (const a of acts) {
      const iface = this.ifaces[a.ifindex];
      if (!iface || !iface.up) continue;
      const src = iface.addresses.find((x) => isLinkLocal(x.addr) && (x.state === 'preferred' || x.state === 'deprecated'))?.addr ?? UNSPECIFIED;
      let dst: Ip6;
      let body: Uint8Array;
      if (a.type === 'SendMldv2Report') {
        dst = ALL_MLDV2_ROUTERS;
        body = emitMldv2Report(a.records);
      } else if (a.type === 'SendMldv1Report') {
        dst = a.group;
        body = emitMldv1Message(MLD_V1_REPORT, a.group);
      } else {
        dst = ALL_ROUTERS;
        body = emitMldv1Message(MLD_V1_DONE, a.group);
      }
      this.sendIp6(iface, src, dst, 1, NH_ICMPV6, body.length, (b, o) => b.set(body, o), { routerAlert: true });
    }
  }

  /**
   * MLD in (RFC 3810 §6.2, RFC 2710 §5): only from a link-local source, with
   * hop limit 1 and a Router Alert; queries drive our reports, another host's
   * MLDv1 report suppresses ours; v2 reports are for routers.
   */
  private onMld(iface: Interface, h: { src: Ip6; dst: Ip6; hopLimit: number }, ip: number, l4: number, msg: Uint8Array, now: Instant): void {
    const u8 = this.engine.u8;
    const routerAlert = u8[ip + 6] === 0 && l4 - ip >= 48 && hasRouterAlert(u8.subarray(ip + 40, l4));
    if (!isLinkLocal(h.src) || h.hopLimit !== 1 || !routerAlert) {
      this.engine.countDrop(L.DropReason.MLD_INVALID);
      return;
    }
    if (msg[0] === MLD_QUERY) {
      const q = parseMldQuery(msg);
      if (!q) return void this.engine.countDrop(L.DropReason.MLD_INVALID);
      this.mld.onQuery(iface.ifindex, q, now);
    } else if (msg[0] === MLD_V1_REPORT) {
      const r = parseMldv1Message(msg);
      if (r) this.mld.onMldv1Report(iface.ifindex, r.group, now);
    }
  }

  /** Resolves when no address of any interface is tentative (DAD done), or after `timeoutMs`. */
  async addressesSettled(timeoutMs = 10_000): Promise<boolean> {
    // In virtual time nothing moves while we wait: answer for now.
    if (this.clock.manual) return !this.addrconf.list().some((a) => a.state === 'tentative');
    const start = this.clock.now();
    while (this.addrconf.list().some((a) => a.state === 'tentative')) {
      if (this.clock.now() - start > timeoutMs || this.closed) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /**
   * Adds a static address `addr/plen` to an interface; it runs DAD first
   * (RFC 4862 §5.4). `anycast`: an anycast address (RFC 4291 §2.6: never a
   * source, no DAD, answered with O = 0).
   */
  addAddress(ifname: string | number, text: string, opts: { anycast?: boolean } = {}): void {
    this.assertOpen();
    const iface = this.interface(ifname);
    if (typeof text === 'string' && looksV4(text)) {
      if (opts.anycast) throw new WasagiError('ERR_INVALID_ARG', 'IPv4 has no anycast addresses here');
      this.enter();
      try {
        this.v4.addAddress(iface, text);
      } finally {
        this.leave();
      }
      return;
    }
    const p = parsePrefix(text);
    if (isMulticast(p.addr) || isUnspecified(p.addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `${text} cannot be an interface address`);
    if (iface.addresses.some((a) => ip6Equal(a.addr, p.addr) && a.state !== 'dadfailed')) throw new WasagiError('ERR_ADDRESS_EXISTS', `${text} is already on ${iface.name}`);
    if (this.addrconf.list().length >= L.MAX_ADDRS) {
      throw new WasagiError('ERR_TOO_MANY_ADDRESSES', `at most ${L.MAX_ADDRS} addresses`);
    }
    this.enter();
    try {
      const now = this.clock.now();
      this.handleAddr(this.addrconf.add({ ifindex: iface.ifindex, addr: p.addr, prefixLen: p.prefixLen, origin: 'static', anycast: opts.anycast }, now).actions, now);
    } finally {
      this.leave();
    }
  }

  /**
   * Adds a static route: `prefix` (`2001:db8:100::/48`, `default`) through
   * gateway `via` (an on-link address, `fe80::1%eth0` with its zone) or, with
   * `dev` alone, on-link on that interface.
   */
  addRoute(prefix: string, opts: { via?: string; dev?: string }): void {
    this.assertOpen();
    if (looksV4(prefix) || prefix === '0.0.0.0/0' || (prefix === 'default' && opts.via !== undefined && looksV4(opts.via))) {
      this.v4.addRoute(prefix, { via: opts.via, dev: opts.dev !== undefined ? this.interface(opts.dev) : undefined });
      return;
    }
    const p = prefix === 'default' ? { addr: new Uint8Array(16), prefixLen: 0 } : parsePrefix(prefix);
    let iface: Interface | undefined = opts.dev !== undefined ? this.interface(opts.dev) : undefined;
    let via: Ip6 | undefined;
    if (opts.via !== undefined) {
      const z = this.resolveZoned(opts.via);
      if (isMulticast(z.addr) || isUnspecified(z.addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `${opts.via} cannot be a gateway`);
      if (iface && z.iface && z.iface !== iface) throw new WasagiError('ERR_INVALID_ARG', `gateway ${opts.via} is not on ${iface.name}`);
      iface ??= z.iface ?? this.interfaces.find((i) => this.isOnLink(i, z.addr));
      if (!iface) throw new WasagiError(isLinkLocal(z.addr) ? 'ERR_ZONE_REQUIRED' : 'ERR_NO_ROUTE', `gateway ${opts.via} is not on-link on any interface`);
      via = z.addr;
    }
    if (!iface) throw new WasagiError('ERR_INVALID_ARG', 'a route needs "via" or "dev"');
    const masked = maskPrefix(p.addr, p.prefixLen);
    const ifindex = iface.ifindex;
    if (this.staticRoutes.some((r) => r.ifindex === ifindex && r.prefixLength === p.prefixLen && ip6Equal(r.prefix, masked))) {
      throw new WasagiError('ERR_ROUTE_EXISTS', `a route to ${prefix} on ${iface.name} exists already`);
    }
    this.staticRoutes.push({ ifindex, prefix: masked, prefixLength: p.prefixLen, via });
    this.writeRoutes();
  }

  /** Removes an address from an interface. */
  removeAddress(ifname: string | number, text: string): void {
    this.assertOpen();
    const iface = this.interface(ifname);
    if (typeof text === 'string' && looksV4(text)) {
      if (!this.v4.removeAddress(iface, text)) throw new WasagiError('ERR_INVALID_ADDRESS', `${text} is not on ${iface.name}`);
      return;
    }
    const p = parsePrefix(text);
    const a = this.addrconf.find(iface.ifindex, p.addr);
    if (!a) throw new WasagiError('ERR_INVALID_ADDRESS', `${text} is not on ${iface.name}`);
    this.enter();
    try {
      this.handleAddr(this.addrconf.remove(a, this.clock.now()), this.clock.now());
    } finally {
      this.leave();
    }
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
    this.sourceCache.clear();
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
      dv.setUint16(b + L.IFACE_ECHO_MAX, this.echoMax(i), true);
      if (i.mac) u8.set(i.mac, b + L.IFACE_MAC);
      groupAt(k, ALL_NODES); // RFC 4291 §2.8: every node joins all-nodes
      for (const a of i.addresses) {
        if (na >= L.MAX_ADDRS) break;
        if (a.state === 'dadfailed') continue; // not ours (RFC 4862 §5.4.5)
        const e = L.ADDR_BASE + na * L.ADDR_STRIDE;
        u8.fill(0, e, e + L.ADDR_STRIDE);
        u8.set(a.addr, e);
        u8[e + L.ADDR_IFINDEX] = k;
        u8[e + L.ADDR_FLAGS] =
          L.AF_VALID | (a.state === 'tentative' ? L.AF_TENTATIVE : 0) | (a.anycast ? L.AF_ANYCAST : 0) | (a.state === 'deprecated' ? L.AF_DEPRECATED : 0);
        u8[e + L.ADDR_PREFIX_LEN] = a.prefixLen < 128 ? a.prefixLen : 0;
        na++;
        groupAt(k, solicitedNode(a.addr)); // RFC 4861 §7.2.1
      }
      // IPv4 (mapped): addresses with their prefix length, all-hosts (RFC 1112 §4), TTL.
      u8[b + L.IFACE_TTL] = 64;
      const v4 = this.v4.config(k);
      for (const a of v4.addrs) {
        if (na >= L.MAX_ADDRS) break;
        const e = L.ADDR_BASE + na * L.ADDR_STRIDE;
        u8.fill(0, e, e + L.ADDR_STRIDE);
        u8.set(a.addr, e);
        u8[e + L.ADDR_IFINDEX] = k;
        u8[e + L.ADDR_FLAGS] = L.AF_VALID;
        u8[e + L.ADDR_PREFIX_LEN] = a.prefixLen;
        na++;
      }
      if (v4.addrs.length) groupAt(k, ALL_HOSTS4);
      for (const g of this.socketGroups.values()) if (g.ifindex === k) groupAt(k, g.group);
    }
    dv.setUint32(L.ADDR_COUNT, na, true);
    dv.setUint32(L.GROUP_COUNT, ng, true);
    this.writeRoutes();
  }

  /** The largest echo reply the fast path may build in place: the link MTU, or the smallest path MTU known below it. */
  private echoMax(i: Interface): number {
    let m = this.v4.smallestPmtu(i.mtu);
    for (const e of this.pmtu.entries()) m = Math.min(m, e.pmtu);
    return m;
  }

  /**
   * Writes what the fast path needs for next-hop determination: on-link
   * prefixes (static address prefixes and the Prefix List), each interface's
   * selected default router, and whether slower routes (Route Information,
   * Redirects) exist there.
   */
  private writeRoutes(): void {
    this.sourceCache.clear();
    const { u8, dv } = this.engine;
    let np = 0;
    const put = (ifindex: number, prefix: Ip6, plen: number): void => {
      if (np >= L.MAX_PREFIXES) return;
      const b = L.PREFIX_BASE + np * L.PREFIX_STRIDE;
      u8.fill(0, b, b + L.PREFIX_STRIDE);
      u8.set(prefix, b);
      u8[b + L.PREFIX_LEN] = plen;
      u8[b + L.PREFIX_IFINDEX] = ifindex;
      np++;
    };
    for (const i of this.interfaces) {
      // Static addresses bring their prefix on-link; autoconfigured ones do not (RFC 5942 §4).
      for (const a of i.addresses) if (a.origin === 'static' && a.state !== 'dadfailed' && a.prefixLen < 128 && !isLinkLocal(a.addr)) put(i.ifindex, a.addr, a.prefixLen);
    }
    for (const p of this.routers.prefixes.values()) put(p.ifindex, p.prefix, p.prefixLength);
    for (const i of this.interfaces) for (const a of this.v4.config(i.ifindex).addrs) put(i.ifindex, maskPrefix(a.addr, 96 + a.prefixLen), 96 + a.prefixLen);
    dv.setUint32(L.PREFIX_COUNT, np, true);
    for (const i of this.interfaces) {
      const b = L.IFACE_BASE + i.ifindex * L.IFACE_STRIDE;
      let f = u8[b + L.IFACE_FLAGS] & ~(L.IFF_ROUTER | L.IFF_SLOW_ROUTE | L.IFF_ROUTER4);
      const v4 = this.v4.config(i.ifindex);
      if (v4.gateway) {
        u8.set(v4.gateway, b + L.IFACE_ROUTER4);
        f |= L.IFF_ROUTER4;
      }
      if (v4.slow) f |= L.IFF_SLOW_ROUTE;
      if (i.defaultRouter) {
        u8.set(i.defaultRouter, b + L.IFACE_ROUTER);
        f |= L.IFF_ROUTER;
      }
      const slow =
        np >= L.MAX_PREFIXES ||
        this.staticRoutes.some((r) => r.ifindex === i.ifindex) ||
        [...this.redirects.values()].some((r) => r.ifindex === i.ifindex) ||
        [...this.routers.routes.values()].some((r) => r.ifindex === i.ifindex);
      if (slow) f |= L.IFF_SLOW_ROUTE;
      u8[b + L.IFACE_FLAGS] = f;
    }
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
    const linkMulticast = iface.device.ethernet && (u8[base] & 1) === 1;
    if (verdict === L.Verdict.RESOLVE) {
      if (u8[ip] >> 4 === 4) this.v4.resolve(ifindex, u8.slice(ip, ip + pktLen), now);
      else this.resolveAndQueue(ifindex, u8.slice(ip, ip + pktLen), now);
      return;
    }
    if (kind >= L.ControlKind.ARP) {
      this.onWork4(iface, slot, kind, ip, l4, pktLen, linkMulticast, now);
      return;
    }
    const h = ip6Fields(u8, ip);
    switch (kind) {
      case L.ControlKind.FRAGMENT: {
        const pkt = u8.slice(ip, ip + pktLen);
        const fragAt = dv.getUint16(d + L.DESC_L4, true) - (ip - base);
        const r = this.reassembler.onFragment(pkt, fragAt, fragAt, now);
        if (r.kind === 'complete') this.onReassembled(iface, r.packet, linkMulticast, now);
        else if (r.kind === 'dropped') {
          this.engine.countDrop(
            r.reason === ReasmDrop.OVERLAP || r.reason === ReasmDrop.POISONED ? L.DropReason.FRAG_OVERLAP
            : r.reason === ReasmDrop.OVER_BUDGET ? L.DropReason.FRAG_BUDGET
            : L.DropReason.FRAG_INVALID,
          );
          // RFC 8200 §4.5: a bad length or offset owes a Parameter Problem code 0.
          if (r.paramProblem) this.sendIcmpError(iface, pkt, linkMulticast, ICMP6_PARAM_PROBLEM, r.paramProblem.code, r.paramProblem.pointer);
        }
        return;
      }
      case L.ControlKind.PARAM_PROBLEM_HEADER:
      case L.ControlKind.PARAM_PROBLEM_NEXT_HEADER:
      case L.ControlKind.PARAM_PROBLEM_OPTION:
      case L.ControlKind.PARAM_PROBLEM_OPTION_UNICAST:
      case L.ControlKind.PARAM_PROBLEM_CHAIN: {
        // The hot path dropped it; DESC_L4 holds the pointer (RFC 4443 §3.4).
        const pointer = dv.getUint16(d + L.DESC_L4, true);
        const code =
          kind === L.ControlKind.PARAM_PROBLEM_HEADER ? 0
          : kind === L.ControlKind.PARAM_PROBLEM_NEXT_HEADER ? 1
          : kind === L.ControlKind.PARAM_PROBLEM_CHAIN ? 3
          : 2;
        const invoking = u8.slice(ip, ip + pktLen);
        this.sendIcmpError(iface, invoking, linkMulticast, ICMP6_PARAM_PROBLEM, code, pointer, code === 2 ? invoking[pointer] : undefined);
        return;
      }
    }
    const msg = u8.subarray(l4, ip + pktLen);
    switch (kind) {
      case L.ControlKind.ND:
        if (msg[0] === ND_NS) this.onNeighborSolicit(iface, h, msg, now);
        else if (msg[0] === ND_NA) this.onNeighborAdvert(iface, h, msg, now);
        else if (msg[0] === ND_RA) this.onRouterAdvert(iface, h, msg, now);
        else if (msg[0] === ND_REDIRECT) this.onRedirect(iface, h, msg, now);
        else if (msg[0] === ND_RS) {
          const rs = parseRouterSolicit(msg);
          this.engine.countDrop(rs ? validateRouterSolicit(h, rs) : MALFORMED);
        }
        return;
      case L.ControlKind.MLD:
        this.onMld(iface, h, ip, l4, msg, now);
        return;
      case L.ControlKind.ECHO_MULTICAST:
        this.onMulticastEcho(iface, h, msg);
        return;
      case L.ControlKind.ECHO_REPLY: {
        const id = (msg[4] << 8) | msg[5];
        const seq = (msg[6] << 8) | msg[7];
        const p = this.pingers.get(id);
        if (p && ip6Equal(h.src, p.dst)) p.onReply(seq, msg.length, this.formatAddr(h.src, iface), h.hopLimit, now);
        else this.deliverEchoSocket(6, id, h.src, iface.ifindex, msg);
        return;
      }
      case L.ControlKind.UDP:
        this.deliverUdp(iface, u8.subarray(ip, ip + pktLen), msg, h.src, h.dst, linkMulticast, 6, dv.getUint32(L.RX_SOCK_BASE + slot * 4, true));
        return;
      case L.ControlKind.ICMP6_ERROR:
        this.onIcmpError(iface, h, msg, now);
        return;
      default:
        this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED);
    }
  }

  /**
   * IPv4 and ARP work from the fast path: DESC_L3 is the IPv4 header (or the
   * ARP payload), DESC_L4 the upper layer, DESC_AUX the Total Length. The
   * fast path validated the header, the checksums and the destination.
   */
  private onWork4(iface: Interface, slot: number, kind: L.ControlKind, ip: number, l4: number, pktLen: number, linkMulticast: boolean, now: Instant): void {
    const { u8, dv } = this.engine;
    switch (kind) {
      case L.ControlKind.ARP:
        this.v4.onArp(iface, u8.slice(ip, ip + 28), linkMulticast, now);
        return;
      case L.ControlKind.FRAGMENT4: {
        const r = this.v4.onFragment(u8.slice(ip, ip + pktLen), now);
        if (r) this.onDatagram4(iface, r, linkMulticast, now);
        return;
      }
    }
    const src = toMapped(u8.slice(ip + 12, ip + 16));
    const dst = toMapped(u8.slice(ip + 16, ip + 20));
    const msg = u8.subarray(l4, ip + pktLen);
    switch (kind) {
      case L.ControlKind.UDP4:
        this.deliverUdp(iface, u8.subarray(ip, ip + pktLen), msg, src, dst, linkMulticast, 4, dv.getUint32(L.RX_SOCK_BASE + slot * 4, true));
        return;
      case L.ControlKind.UDP_NO_PORT:
        if (u8[ip] >> 4 === 4) this.portUnreachable(iface, u8.slice(ip, ip + pktLen), linkMulticast, 4);
        else this.portUnreachable(iface, u8.slice(ip, ip + pktLen), linkMulticast, 6);
        return;
      case L.ControlKind.ECHO4:
        this.v4.echoReply(iface, u8.slice(ip, ip + pktLen), now);
        return;
      case L.ControlKind.ECHO4_REPLY:
        this.onEchoReply4(iface, src, u8[ip + 8], msg, now);
        return;
      case L.ControlKind.ICMP4_ERROR:
        this.onIcmp4Error(iface, src, msg);
        return;
      case L.ControlKind.PROTO4_UNREACHABLE:
        // RFC 1122 §3.2.2.1: protocol unreachable (code 2) for a transport we do not have.
        this.v4.sendError(iface, u8.slice(ip, ip + pktLen), linkMulticast, ICMP4_DEST_UNREACH, 2, now);
        return;
      case L.ControlKind.IGMP:
        this.v4.onIgmp(iface, u8.slice(ip, ip + pktLen), now);
        return;
    }
  }

  /** A whole IPv4 datagram rebuilt by reassembly: its upper layer, checked here (it may be larger than a slot). */
  private onDatagram4(iface: Interface, pkt: Uint8Array, linkMulticast: boolean, now: Instant): void {
    const hl = (pkt[0] & 0x0f) * 4;
    const upper = pkt.subarray(hl, (pkt[2] << 8) | pkt[3]);
    const src = toMapped(pkt.slice(12, 16));
    const dst = toMapped(pkt.slice(16, 20));
    if (pkt[9] === IPPROTO_UDP) {
      if (upper.length < 8 || ((upper[4] << 8) | upper[5]) > upper.length || ((upper[4] << 8) | upper[5]) < 8) return void this.engine.countDrop(L.DropReason.UDP_TRUNCATED);
      if ((upper[6] | upper[7]) !== 0 && udp4Checksum(pkt, upper.subarray(0, (upper[4] << 8) | upper[5])) !== 0) return void this.engine.countDrop(L.DropReason.UDP_CHECKSUM);
      this.deliverUdp(iface, pkt, upper, src, dst, linkMulticast, 4);
      return;
    }
    if (pkt[9] === IPPROTO_ICMP) {
      if (upper.length < 8 || inetSum(upper) !== 0) return void this.engine.countDrop(L.DropReason.ICMP4_CHECKSUM);
      if (upper[0] === ICMP4_ECHO_REQUEST) this.v4.echoReply(iface, pkt, now);
      else if (upper[0] === ICMP4_ECHO_REPLY) this.onEchoReply4(iface, src, pkt[8], upper, now);
      else if (upper[0] === ICMP4_DEST_UNREACH || upper[0] === ICMP4_TIME_EXCEEDED) this.onIcmp4Error(iface, src, upper);
      else this.engine.countDrop(L.DropReason.ICMP4_UNHANDLED);
      return;
    }
    this.engine.countDrop(L.DropReason.IP4_PROTO_UNSUPPORTED);
    this.v4.sendError(iface, pkt, linkMulticast, ICMP4_DEST_UNREACH, 2, now);
  }

  /** An ICMPv4 Echo Reply: to the pinger or ping socket that owns its identifier. */
  private onEchoReply4(iface: Interface, src: Ip6, ttl: number, msg: Uint8Array, now: Instant): void {
    const id = (msg[4] << 8) | msg[5];
    const p = this.pingers.get(id);
    if (p && ip6Equal(src, p.dst)) p.onReply((msg[6] << 8) | msg[7], msg.length, formatV4(src), ttl, now);
    else this.deliverEchoSocket(4, id, src, iface.ifindex, msg);
  }

  /** An ICMPv4 error (RFC 1122 §3.2.2.1): a pinger's request that could not be delivered is reported. */
  private onIcmp4Error(iface: Interface, from: Ip6, msg: Uint8Array): void {
    const inv = msg.subarray(8);
    if (msg.length < 28 || inv[0] >> 4 !== 4) return void this.engine.countDrop(L.DropReason.ICMP4_TRUNCATED);
    const hl = (inv[0] & 0x0f) * 4;
    if (inv[9] === IPPROTO_ICMP && inv.length >= hl + 8 && inv[hl] === ICMP4_ECHO_REQUEST) {
      const p = this.pingers.get((inv[hl + 4] << 8) | inv[hl + 5]);
      const why = msg[0] === ICMP4_TIME_EXCEEDED ? 'Time to live exceeded' : (['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable'][msg[1]] ?? `Destination Unreachable, code ${msg[1]}`);
      if (p) p.onUnreachable((inv[hl + 6] << 8) | inv[hl + 7], msg[1], why, formatV4(from));
      return;
    }
    if (msg[0] === ICMP4_DEST_UNREACH && msg[1] === 4 && this.v4.isLocal(toMapped(inv.slice(12, 16)))) {
      // RFC 1191 §4: Fragmentation Needed about a datagram of ours lowers the path MTU; the socket hears nothing (not a hard error).
      this.v4.onFragNeeded(toMapped(inv.slice(16, 20)), (msg[6] << 8) | msg[7], (inv[2] << 8) | inv[3], iface.mtu, this.clock.now());
      return;
    }
    if (inv[9] === IPPROTO_UDP && inv.length >= hl + 8 && msg[0] === ICMP4_DEST_UNREACH) {
      // RFC 1122 §4.1.3.3: report to the application. As Linux (__udp4_lib_err, icmp_err_convert): a
      // connected socket without IP_RECVERR hears only the hard errors.
      const code = UNREACH4_HARD[msg[1]];
      if (!code) return;
      const sport = (inv[hl] << 8) | inv[hl + 1];
      const dport = (inv[hl + 2] << 8) | inv[hl + 3];
      const s = this.udpPorts.lookup(toMapped(inv.slice(12, 16)), sport, 4, iface.ifindex, toMapped(inv.slice(16, 20)), dport);
      s?.request.owner.icmpError(toMapped(inv.slice(16, 20)), dport, code);
    }
  }

  /**
   * A datagram the reassembler completed (RFC 8200 §4.5): what follows the
   * fragmentable part goes to its upper layer here, in TypeScript (it may be
   * far larger than a receive slot). ND inside fragments is dropped (RFC 6980).
   */
  private onReassembled(iface: Interface, pkt: Uint8Array, linkMulticast: boolean, now: Instant): void {
    let off = IP6_HEADER_LEN;
    let nhAt = 6;
    let nh = pkt[6];
    for (let n = 0; (nh === 0 || nh === 60 || nh === 43) && n < 8; n++) {
      if (off + 8 > pkt.length) return void this.engine.countDrop(L.DropReason.IP6_EXT_MALFORMED);
      nhAt = off;
      const len = (pkt[off + 1] + 1) * 8;
      nh = pkt[off];
      off += len;
    }
    if (off > pkt.length) return void this.engine.countDrop(L.DropReason.IP6_EXT_MALFORMED);
    const src = pkt.slice(8, 24);
    const dst = pkt.slice(24, 40);
    const upper = pkt.subarray(off);
    if (nh === NH_ICMPV6 || nh === NH_UDP) {
      if (upper.length < (nh === NH_UDP ? 8 : 4) || upperLayerChecksum(src, dst, nh, upper) !== 0) {
        return void this.engine.countDrop(nh === NH_UDP ? L.DropReason.UDP_CHECKSUM : L.DropReason.ICMP6_CHECKSUM);
      }
    }
    if (nh === NH_UDP) {
      this.deliverUdp(iface, pkt, upper, src, dst, linkMulticast, 6);
      return;
    }
    if (nh !== NH_ICMPV6) {
      this.engine.countDrop(L.DropReason.IP6_PROTO_UNSUPPORTED);
      this.sendIcmpError(iface, pkt, linkMulticast, ICMP6_PARAM_PROBLEM, 1, nhAt);
      return;
    }
    const type = upper[0];
    const h = { src, dst, hopLimit: pkt[7] };
    if (type >= 133 && type <= 137) return void this.engine.countDrop(L.DropReason.ND_IN_FRAGMENT);
    if (type === ICMP6_ECHO_REQUEST && upper.length >= 8) {
      // RFC 4443 §4.2: the reply carries the request's data; it is fragmented
      // again on the way out if the path needs it.
      const from = isMulticast(dst) || this.addrconf.findAny(dst)?.anycast ? this.sourceFor(iface, src) : dst;
      if (!from) return;
      const body = upper.slice();
      body[0] = ICMP6_ECHO_REPLY;
      body[1] = 0;
      this.sendIp6(iface, from, src, iface.hopLimit, NH_ICMPV6, body.length, (b, o) => {
        b.set(body, o);
        b[o + 2] = 0;
        b[o + 3] = 0;
      });
      return;
    }
    if (type === ICMP6_ECHO_REPLY && upper.length >= 8) {
      const p = this.pingers.get((upper[4] << 8) | upper[5]);
      if (p && ip6Equal(src, p.dst)) p.onReply((upper[6] << 8) | upper[7], upper.length, this.formatAddr(src, iface), h.hopLimit, now);
      return;
    }
    if (type < 128) return void this.onIcmpError(iface, h, upper, now);
    this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED);
  }

  /**
   * Sends an ICMPv6 error about `invoking` (an IPv6 packet we received) to its
   * source (RFC 4443 §2.4): not when §2.4 (e) forbids it, and only within the
   * rate limits (§2.4 f); from the address it was sent to when that is one of
   * our unicast addresses, else by source selection (§2.2); quoting as much
   * as fits in 1280 bytes (§2.4 c).
   */
  private sendIcmpError(iface: Interface, invoking: Uint8Array, linkMulticast: boolean, type: number, code: number, param: number, optionType?: number): void {
    const src = invoking.subarray(8, 24);
    const dst = invoking.subarray(24, 40);
    // The upper layer past any extension headers (as Linux's is_ineligible does).
    const ul = upperLayerOf(invoking);
    const icmpType = ul && ul.nextHeader === NH_ICMPV6 && ul.offset < invoking.length ? invoking[ul.offset] : -1;
    const verdict = shouldSendError(
      { src, dst, linkMulticast, isIcmpError: icmpType >= 0 && icmpType < 128, isRedirect: icmpType === ND_REDIRECT },
      { type, code, optionType },
      { isOurAnycast: (a) => this.addrconf.findAny(a)?.anycast === true },
    );
    if (!verdict.send) {
      this.engine.countDrop(L.DropReason.ICMP6_ERROR_SUPPRESSED);
      return;
    }
    const now = this.clock.now();
    const before = { g: this.icmpLimiter.counters.limitedGlobal, h: this.icmpLimiter.counters.limitedHost };
    if (!this.icmpLimiter.allow(src, type, now)) {
      this.engine.countDrop(L.DropReason.ICMP6_RATE_LIMITED);
      this.tsCounters.Icmp6OutRateLimitGlobal += this.icmpLimiter.counters.limitedGlobal - before.g;
      this.tsCounters.Icmp6OutRateLimitHost += this.icmpLimiter.counters.limitedHost - before.h;
      return;
    }
    const mine = this.addrconf.findAny(dst);
    const from = mine && !mine.anycast && !isMulticast(dst) ? dst.slice() : this.sourceFor(iface, src);
    if (!from) return;
    const body = emitIcmp6Error({ type, code, param, invoking });
    if (type === ICMP6_PARAM_PROBLEM) this.tsCounters.Icmp6OutParmProblems++;
    else if (type === ICMP6_TIME_EXCEEDED) this.tsCounters.Icmp6OutTimeExcds++;
    else if (type === ICMP6_DST_UNREACH && code === 4) this.tsCounters.Icmp6OutPortUnreachs++;
    this.sendIp6(iface, from, src.slice(), iface.hopLimit, NH_ICMPV6, body.length, (b, o) => b.set(body, o));
  }

  /**
   * An ICMPv6 error for us (RFC 4443 §2.4 d): Packet Too Big lowers the path
   * MTU of the quoted packet's destination (RFC 8201 §4) when the quoted
   * packet is one of ours; errors about our echo requests go to their pinger.
   */
  private onIcmpError(iface: Interface, h: { src: Ip6 }, msg: Uint8Array, now: Instant): void {
    const e = parseIcmp6Error(msg);
    if (!e) {
      this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED);
      return;
    }
    const q = e.invoking;
    const qsrc = q.subarray(8, 24);
    const qdst = q.subarray(24, 40);
    if (!this.addrconf.findAny(qsrc)) {
      this.engine.countDrop(L.DropReason.ICMP6_UNHANDLED); // not about a packet of ours
      return;
    }
    if (e.type === ICMP6_PACKET_TOO_BIG) {
      this.tsCounters.Icmp6InPktTooBigs++;
      if (this.pmtu.onPacketTooBig(qdst.slice(), e.param, iface.device.mtu, now)) this.writeConfig();
      return;
    }
    if (e.type === ICMP6_TIME_EXCEEDED) this.tsCounters.Icmp6InTimeExcds++;
    if (e.type === ICMP6_PARAM_PROBLEM) this.tsCounters.Icmp6InParmProblems++;
    // An error about one of our echo requests: tell its pinger.
    if (q.length >= 48 && q[6] === NH_ICMPV6 && q[40] === ICMP6_ECHO_REQUEST) {
      const p = this.pingers.get((q[44] << 8) | q[45]);
      const why = e.type === ICMP6_TIME_EXCEEDED ? 'time exceeded' : e.type === ICMP6_PARAM_PROBLEM ? 'parameter problem' : 'unreachable';
      if (p) p.onUnreachable((q[46] << 8) | q[47], e.type === ICMP6_DST_UNREACH ? e.code : 100 + e.type, why, this.formatAddr(h.src, iface));
    }
    // About a datagram of a UDP socket (RFC 4443 §3.1, RFC 1122 §4.1.3.3): a connected socket hears of it (Linux: ECONNREFUSED for code 4).
    if (e.type === ICMP6_DST_UNREACH && q.length >= 48 && q[6] === NH_UDP) {
      const sport = (q[40] << 8) | q[41];
      const dport = (q[42] << 8) | q[43];
      const s = this.udpPorts.lookup(qsrc.slice(), sport, 6, iface.ifindex, qdst.slice(), dport);
      // icmpv6_err_convert: only the hard errors reach a socket without IPV6_RECVERR.
      const code = UNREACH6_HARD[e.code];
      if (code) s?.request.owner.icmpError(qdst.slice(), dport, code);
    }
  }

  /** Work deferred to a later time (delayed anycast answers), earliest first. */
  private readonly deferred = new DeadlineHeap<{ run: () => void }>();

  /** Runs `fn` at `at` (through the stack's one timer). */
  private later(at: Instant, fn: () => void): void {
    this.deferred.arm({ run: fn }, at);
  }

  /** Counts a failed validation; true when the message passed. */
  private valid(reason: L.DropReason): boolean {
    if (reason === L.DropReason.NONE) return true;
    this.engine.countDrop(reason);
    return false;
  }

  /** NS (RFC 4861 §7.2.3, §7.2.4). */
  private onNeighborSolicit(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, now: Instant): void {
    const ns = parseNeighborSolicit(msg);
    if (!ns) return void this.valid(MALFORMED);
    if (!this.valid(validateNeighborSolicit(h, ns))) return;
    const mine = iface.addresses.find((a) => ip6Equal(a.addr, ns.target) && a.state !== 'dadfailed');
    if (!mine) {
      this.engine.countDrop(L.DropReason.ND_TARGET_NOT_OURS); // §7.2.3: silently discard
      return;
    }
    if (isUnspecified(h.src)) {
      // Someone else's DAD for this address (RFC 4862 §5.4.3).
      const nonce = ns.options.find((o) => o.type === OPT_NONCE)?.data.slice(2, 8);
      const r = this.addrconf.onDadSolicit(iface.ifindex, ns.target, nonce, now);
      if (r.duplicate) {
        this.engine.countDrop(L.DropReason.DAD_DUPLICATE);
        this.handleAddr(r.actions, now);
        return;
      }
      if (mine.state === 'tentative' || mine.state === 'optimistic') return; // our own probe looped back
    } else if (mine.state === 'tentative') {
      // §5.4.3: address resolution for a tentative address is silently ignored.
      this.tsCounters.NdResolveForTentative++;
      return;
    }
    const fromUnspecified = isUnspecified(h.src);
    if (!fromUnspecified && ns.sourceLinkAddr) {
      this.handle(this.neighbors.onNeighborSolicit(iface.ifindex, h.src, ns.sourceLinkAddr, now), now);
    }
    // §7.2.4: answer from the target; to all-nodes when the solicitor had no address.
    const dst = fromUnspecified ? ALL_NODES : h.src;
    // O = 0 for anycast (RFC 4861 §7.2.4) and optimistic addresses (RFC 4429 §3.3).
    const na = { router: false, solicited: !fromUnspecified, override: !mine.anycast && mine.state !== 'optimistic', target: ns.target, targetLinkAddr: iface.mac };
    const mac = !fromUnspecified ? ns.sourceLinkAddr : undefined;
    const send = (): void => {
      this.sendIp6(iface, na.target, dst, ND_HOP_LIMIT, NH_ICMPV6, neighborAdvertLength(na), (b, o) => emitNeighborAdvert(b, o, na), { mac });
    };
    // §7.2.7: answers for an anycast address wait a random time in
    // [0, MAX_ANYCAST_DELAY_TIME], so the nearest of several answers first.
    if (mine.anycast) this.later(now + this.random() * MAX_ANYCAST_DELAY_TIME, send);
    else send();
  }

  /** NA (RFC 4861 §7.2.5). */
  private onNeighborAdvert(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, now: Instant): void {
    const na = parseNeighborAdvert(msg);
    if (!na) return void this.valid(MALFORMED);
    if (!this.valid(validateNeighborAdvert(h, na))) return;
    if (iface.addresses.some((a) => ip6Equal(a.addr, na.target) && a.state !== 'dadfailed')) {
      // Someone claims our address: a duplicate during DAD, a conflict after (RFC 4862 §5.4.4).
      const acts = this.addrconf.onAdvertFor(iface.ifindex, na.target, now);
      if (acts.some((x) => x.type === 'AddressChanged')) this.engine.countDrop(L.DropReason.DAD_DUPLICATE);
      this.handleAddr(acts, now);
      return;
    }
    this.handle(
      this.neighbors.onNeighborAdvert(iface.ifindex, na.target, { router: na.router, solicited: na.solicited, override: na.override, tllao: na.targetLinkAddr }, now),
      now,
    );
  }

  /** RA (RFC 4861 §6.3.4; RFC 4191 §3.1; RFC 8106 §5.3.1). */
  private onRouterAdvert(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, now: Instant): void {
    const ra = parseRouterAdvert(msg);
    if (!ra) return void this.valid(MALFORMED);
    if (!this.valid(validateRouterAdvert(h, ra))) return;
    if (!iface.acceptRa) return;
    this.handle(this.neighbors.onRouterAdvert(iface.ifindex, h.src, ra.sourceLinkAddr, now), now);
    this.handleRd(this.routers.onRouterAdvert(iface.ifindex, h.src, ra, iface.device.mtu, now), now);
    if (iface.slaac) {
      for (const pio of ra.prefixes) {
        this.handleAddr(this.addrconf.onPrefixInformation(iface.ifindex, pio, now, (p, plen, c) => this.formAddress(iface, p, plen, c)), now);
      }
    }
  }

  /** Redirect (RFC 4861 §8.1, §8.3). */
  private onRedirect(iface: Interface, h: { src: Ip6; dst: Ip6 }, msg: Uint8Array, now: Instant): void {
    const r = parseRedirect(msg);
    if (!r) return void this.valid(MALFORMED);
    if (!this.valid(validateRedirect(h, r, this.nextHop(iface, r.destination)))) return;
    const onLink = ip6Equal(r.target, r.destination);
    const k = `${iface.ifindex}|${ip6Key(r.destination)}`;
    if (onLink && this.isOnLink(iface, r.destination)) this.redirects.delete(k);
    else this.redirects.set(k, { ifindex: iface.ifindex, destination: r.destination, target: r.target, via: h.src });
    this.tsCounters.Icmp6InRedirectsAccepted++;
    this.handle(this.neighbors.onRedirect(iface.ifindex, r.target, r.targetLinkAddr, !onLink, now), now);
    this.writeRoutes();
    this.emitEvent({ type: 'Redirected', ifindex: iface.ifindex, interface: iface.name, destination: formatIp6(r.destination), target: this.formatAddr(r.target, iface) });
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
      if (kind === L.EventKind.NEIGH_STALE_USED) {
        const a = this.table.addressAt(arg);
        if (isMapped(a)) this.v4.onStaleUsed(this.table.ifindexAt(arg), a, now);
        else this.handle(this.neighbors.onStaleUsed(arg, now), now);
      }
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
    if (pending) {
      for (const p of pending) {
        if (p[0] >> 4 === 4) this.v4.resolve(ifindex, p, now);
        else this.resolveAndQueue(ifindex, p, now);
      }
    }
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
    opts: { mac?: Uint8Array; routerAlert?: boolean } = {},
  ): boolean {
    const now = this.clock.now();
    // RFC 2711 Router Alert in a Hop-by-Hop header (MLD, RFC 3810 §5): 8 bytes.
    const ext = opts.routerAlert ? 8 : 0;
    const len = IP6_HEADER_LEN + ext + upperLen;
    const mtu = isMulticast(dst) ? iface.mtu : this.pmtu.pmtu(dst, iface.mtu);
    if (len > mtu) {
      // RFC 8200 §5: larger than the path MTU: build the whole packet here
      // (the checksum covers all of it), then fragment it (§4.5).
      if (ext || ext + upperLen > 0xffff) {
        this.engine.countDrop(L.DropReason.TX_TOO_BIG);
        return false;
      }
      const pkt = new Uint8Array(len);
      emitIp6Header(pkt, 0, { payloadLength: upperLen, nextHeader, hopLimit, src, dst });
      writeUpper(pkt, IP6_HEADER_LEN);
      const csumAt = nextHeader === NH_ICMPV6 ? 42 : nextHeader === NH_UDP ? 46 : -1;
      if (csumAt > 0) {
        pkt[csumAt] = 0;
        pkt[csumAt + 1] = 0;
        let c = upperLayerChecksum(src, dst, nextHeader, pkt.subarray(IP6_HEADER_LEN));
        if (c === 0 && nextHeader === NH_UDP) c = 0xffff;
        pkt[csumAt] = c >> 8;
        pkt[csumAt + 1] = c & 0xff;
      }
      let frags: Uint8Array[];
      try {
        frags = fragmentPacket(pkt, mtu, newIdentification(this.random)); // RFC 7739: unpredictable IDs
      } catch {
        this.tsCounters.Ip6FragFails++;
        this.engine.countDrop(L.DropReason.TX_TOO_BIG);
        return false;
      }
      this.tsCounters.Ip6FragOKs++;
      this.tsCounters.Ip6FragCreates += frags.length;
      for (const f of frags) this.sendRaw(iface.ifindex, f, now, opts.mac);
      return true;
    }
    if (len > L.SLOT_SIZE - L.TX_HEADROOM) {
      this.engine.countDrop(L.DropReason.TX_TOO_BIG);
      return false;
    }
    const i = this.allocTx(iface.ifindex, now);
    const off = this.engine.txSlot(i) + L.TX_HEADROOM;
    const { u8, dv } = this.engine;
    emitIp6Header(u8, off, { payloadLength: ext + upperLen, nextHeader: ext ? 0 : nextHeader, hopLimit, src, dst });
    if (ext) {
      // Next Header, Hdr Ext Len 0, Router Alert (type 5, length 2, value 0 = MLD), PadN of 0.
      u8.set([nextHeader, 0, 5, 2, 0, 0, 1, 0], off + IP6_HEADER_LEN);
    }
    writeUpper(u8, off + IP6_HEADER_LEN + ext);
    const d = this.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, len, true);
    u8[d + L.TXD_IFINDEX] = iface.ifindex;
    u8[d + L.TXD_FLAGS] = L.TXF_CSUM | (opts.mac ? L.TXF_HAVE_MAC : 0);
    u8[d + L.TXD_L4] = ext ? IP6_HEADER_LEN + ext : 0;
    u8[d + L.TXD_PROTO] = ext ? nextHeader : 0;
    if (opts.mac) u8.set(opts.mac.subarray(0, 6), d + L.TXD_MAC);
    return true;
  }

  /** Sends a finished IPv6 packet (checksums done), to `mac` when known, else through the neighbor table. */
  private sendRaw(ifindex: number, packet: Uint8Array, now: Instant, mac?: Uint8Array): void {
    const iface = this.ifaces[ifindex];
    if (!iface) return;
    const i = this.allocTx(ifindex, now);
    const { u8, dv } = this.engine;
    u8.set(packet, this.engine.txSlot(i) + L.TX_HEADROOM);
    const d = this.engine.txDesc(i);
    dv.setUint32(d + L.TXD_LEN, packet.length, true);
    u8[d + L.TXD_IFINDEX] = ifindex;
    u8[d + L.TXD_FLAGS] = mac ? L.TXF_HAVE_MAC : 0;
    u8[d + L.TXD_L4] = 0;
    u8[d + L.TXD_PROTO] = 0;
    if (mac) u8.set(mac.subarray(0, 6), d + L.TXD_MAC);
  }

  /** Next-hop determination (RFC 4861 §5.2) and queueing for resolution (§7.2.2). */
  private resolveAndQueue(ifindex: number, packet: Uint8Array, now: Instant): void {
    const iface = this.ifaces[ifindex];
    if (!iface) return;
    const dst = packet.slice(24, 40);
    const src = packet.slice(8, 24);
    const hop = this.nextHop(iface, dst);
    if (!hop) {
      this.tsCounters.Ip6OutNoRoutes++;
      this.engine.countDrop(L.DropReason.TX_NO_ROUTE);
      this.reportUnreachable(iface, packet, 0, 'no route'); // RFC 4443 §3.1 code 0
      return;
    }
    this.handle(this.neighbors.resolve(ifindex, hop, packet, src, now), now);
  }

  /** On-link (RFC 4861 §5.2): link-local, a static prefix of ours, or the Prefix List. */
  isOnLink(iface: Interface, dst: Ip6): boolean {
    if (isLinkLocal(dst)) return true;
    if (iface.addresses.some((a) => a.origin === 'static' && a.state !== 'dadfailed' && a.prefixLen < 128 && !isLinkLocal(a.addr) && prefixMatch(a.addr, dst, a.prefixLen))) return true;
    for (const p of this.routers.prefixes.values()) if (p.ifindex === iface.ifindex && prefixMatch(p.prefix, dst, p.prefixLength)) return true;
    return false;
  }

  /**
   * Next-hop determination (RFC 4861 §5.2): a Redirect's destination cache
   * entry first, then on-link, then the most specific Route Information route
   * (RFC 4191 §3.2: longest match, then preference, reachable routers first),
   * then the selected default router (§6.3.6). Undefined: no route.
   */
  nextHop(iface: Interface, dst: Ip6): Ip6 | undefined {
    const rd = this.redirects.size ? this.redirects.get(`${iface.ifindex}|${ip6Key(dst)}`) : undefined;
    if (rd) return rd.target;
    if (this.isOnLink(iface, dst) || isMulticast(dst)) return dst;
    // Static routes: the longest match wins; an interface route means on-link.
    let stat: { plen: number; via?: Ip6 } | undefined;
    for (const r of this.staticRoutes) {
      if (r.ifindex === iface.ifindex && prefixMatch(r.prefix, dst, r.prefixLength) && (!stat || r.prefixLength > stat.plen)) stat = { plen: r.prefixLength, via: r.via };
    }
    let best: { plen: number; rank: number; reach: boolean; router: Ip6 } | undefined;
    for (const r of this.routers.routes.values()) {
      if (r.ifindex !== iface.ifindex || !prefixMatch(r.prefix, dst, r.prefixLength)) continue;
      // RFC 4191 §3.2: a route through a router known not to be reachable is
      // passed over for the next best one.
      if (this.neighbors.get(iface.ifindex, r.router)?.state === 'UNREACHABLE') continue;
      const cand = { plen: r.prefixLength, rank: preferenceRank(r.preference), reach: probablyReachable(this.neighbors.get(iface.ifindex, r.router)), router: r.router };
      if (
        !best ||
        cand.plen > best.plen ||
        (cand.plen === best.plen && (Number(cand.reach) - Number(best.reach) || cand.rank - best.rank) > 0)
      ) {
        best = cand;
      }
    }
    if (stat && (!best || stat.plen >= best.plen) && (stat.plen > 0 || !iface.defaultRouter)) return stat.via ?? dst;
    // A default route (::/0 from RIO or the router list) never beats a more specific one.
    if (best && best.plen > 0) return best.router;
    return iface.defaultRouter ?? best?.router;
  }

  /**
   * Default router selection (RFC 4861 §6.3.6, RFC 4191 §3.2): among routers
   * that are reachable or probably reachable, the highest preference, keeping
   * the current one on ties; if none is, the next one in turn (round-robin),
   * so NUD tries each.
   */
  private selectDefaultRouter(iface: Interface, failed?: Ip6): void {
    const list = this.routers.routersOf(iface.ifindex);
    const cur = iface.defaultRouter;
    let pick: Ip6 | undefined;
    const reachable = list.filter((r) => probablyReachable(this.neighbors.get(iface.ifindex, r.addr)));
    if (reachable.length) {
      const top = preferenceRank(reachable[0].preference);
      const best = reachable.filter((r) => preferenceRank(r.preference) === top);
      pick = (best.find((r) => cur && ip6Equal(r.addr, cur)) ?? best[0]).addr;
    } else if (list.length) {
      const i = cur ? list.findIndex((r) => ip6Equal(r.addr, cur)) : -1;
      // Keep a router still being resolved; move on from one that failed or
      // is known unreachable, so the next request tries the next router.
      const curEntry = cur ? this.neighbors.get(iface.ifindex, cur) : undefined;
      const curFailed = cur !== undefined && failed !== undefined && ip6Equal(cur, failed);
      const keep = i >= 0 && !curFailed && (!curEntry || curEntry.state === 'INCOMPLETE');
      pick = keep ? list[i].addr : list[(i + 1) % list.length].addr;
    }
    const changed = !(pick === cur || (pick && cur && ip6Equal(pick, cur)));
    iface.defaultRouter = pick;
    if (changed) {
      this.writeRoutes();
      this.emitEvent({ type: 'DefaultRouterChanged', ifindex: iface.ifindex, interface: iface.name, address: pick ? this.formatAddr(pick, iface) : null });
    }
  }

  /**
   * Delivers an ICMPv6 Destination Unreachable for a packet we could not send
   * (RFC 4443 §3.1; RFC 4861 §7.2.2 for code 3) to its sender. Every packet
   * here was originated by this host, so the error is delivered locally (to the
   * pinger that sent it); there is no forwarding.
   */
  private reportUnreachable(iface: Interface, packet: Uint8Array, code: number, why: string): void {
    if (packet.length < 48 || packet[6] !== NH_ICMPV6 || packet[40] !== ICMP6_ECHO_REQUEST) return;
    const id = (packet[44] << 8) | packet[45];
    const seq = (packet[46] << 8) | packet[47];
    const p = this.pingers.get(id);
    if (p) p.onUnreachable(seq, code, why, this.formatAddr(this.sourceFor(iface, packet.subarray(24, 40)) ?? packet.subarray(8, 24), iface));
  }

  /** Turns neighbor-cache actions into packets and events. */
  private handle(acts: NdAction[], now: Instant): void {
    for (const a of acts) {
      const iface = 'ifindex' in a ? this.ifaces[a.ifindex] : undefined;
      switch (a.type) {
        case 'SendNeighborSolicit': {
          if (!iface) break;
          // §7.2.2: the source of the prompting packet when it is ours, else one of ours.
          const src = a.source && iface.addresses.some((x) => ip6Equal(x.addr, a.source!) && isUsable(x) && !x.anycast) ? a.source : this.sourceFor(iface, a.target);
          if (!src) break;
          const dst = a.unicast ? a.target : solicitedNode(a.target);
          const ns = { target: a.target, sourceLinkAddr: iface.mac };
          this.sendIp6(iface, src, dst, ND_HOP_LIMIT, NH_ICMPV6, neighborSolicitLength(ns), (b, o) => emitNeighborSolicit(b, o, ns), {
            mac: a.unicast?.mac,
          });
          break;
        }
        case 'SendQueued':
          // With the resolved MAC: the fast path must not re-resolve a next hop
          // it cannot determine itself (it would hand the packet back).
          for (const p of a.packets) this.sendRaw(a.ifindex, p, now, a.mac);
          break;
        case 'ResolutionFailed':
          if (a.packets.length) this.engine.countDrop(L.DropReason.RESOLVE_FAILED, a.packets.length);
          if (iface) {
            for (const p of a.packets) this.reportUnreachable(iface, p, 3, 'address unreachable'); // §7.2.2
            this.emitEvent({ type: 'ResolutionFailed', ifindex: a.ifindex, interface: iface.name, address: this.formatAddr(a.target, iface), dropped: a.packets.length });
            this.forgetNeighbor(iface, a.target);
          }
          break;
        case 'NeighborUnreachable':
          this.engine.countDrop(L.DropReason.NEIGH_UNREACHABLE, a.packets.length);
          if (iface) for (const p of a.packets) this.reportUnreachable(iface, p, 3, 'address unreachable');
          break;
        case 'RouterFlagCleared':
          this.handleRd(this.routers.onNoLongerRouter(a.ifindex, a.addr), now);
          break;
        case 'Dropped':
          this.engine.countDrop(a.reason, a.count);
          break;
        case 'NeighborChanged':
          if (iface) {
            if (a.router || this.routers.routers.has(`r|${a.ifindex}|${ip6Key(a.addr)}`)) {
              this.selectDefaultRouter(iface, a.state === 'FAILED' || a.state === 'EVICTED' ? a.addr : undefined);
            }
            if (a.state === 'FAILED' || a.state === 'EVICTED') this.forgetNeighbor(iface, a.addr);
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

  /** A neighbor is gone: redirects through it go too (§7.3.3: next hop recomputed). */
  private forgetNeighbor(iface: Interface, addr: Ip6): void {
    let changed = false;
    for (const [k, r] of this.redirects) {
      if (r.ifindex === iface.ifindex && ip6Equal(r.target, addr)) {
        this.redirects.delete(k);
        changed = true;
      }
    }
    if (changed) this.writeRoutes();
  }

  /** Router-discovery actions into packets, configuration and events. */
  private handleRd(acts: RdAction[], now: Instant): void {
    for (const a of acts) {
      const iface = this.ifaces[a.ifindex];
      if (!iface) continue;
      switch (a.type) {
        case 'SendRouterSolicit': {
          // §6.3.7: from a link-local address when there is one (then with an
          // SLLA option), else from :: without it; to all-routers.
          const src = iface.addresses.find((x) => isLinkLocal(x.addr) && x.state !== 'tentative' && x.state !== 'dadfailed' && x.state !== 'optimistic')?.addr;
          const rs = { sourceLinkAddr: src ? iface.mac : undefined };
          this.sendIp6(iface, src ?? UNSPECIFIED, ALL_ROUTERS, ND_HOP_LIMIT, NH_ICMPV6, routerSolicitLength(rs), (b, o) => emitRouterSolicit(b, o, rs));
          break;
        }
        case 'RoutersChanged':
          this.selectDefaultRouter(iface);
          this.writeRoutes();
          break;
        case 'PrefixesChanged':
          this.writeRoutes();
          break;
        case 'ParamsChanged': {
          const p = a.params;
          if (p.curHopLimit !== undefined) iface.hopLimit = p.curHopLimit;
          if (p.mtu !== undefined) iface.raMtu = p.mtu;
          const nd = this.neighbors.paramsOf(a.ifindex);
          if (p.baseReachableTime !== undefined && p.baseReachableTime !== nd.baseReachableTime) {
            this.neighbors.setBaseReachableTime(p.baseReachableTime, a.ifindex);
          }
          if (p.retransTimer !== undefined) this.neighbors.setRetransTimer(p.retransTimer, a.ifindex);
          this.writeConfig();
          this.emitEvent({ type: 'LinkParamsChanged', ifindex: a.ifindex, interface: iface.name, ...p });
          break;
        }
        case 'DnsChanged': {
          const d = this.dns(iface.name);
          this.emitEvent({ type: 'DnsChanged', ifindex: a.ifindex, interface: iface.name, servers: d.servers.map((x) => x.address), searchList: d.searchList.map((x) => x.domain) });
          break;
        }
        case 'RouterAdded':
          this.emitEvent({ type: 'RouterAdded', ifindex: a.ifindex, interface: iface.name, address: this.formatAddr(a.addr, iface), preference: a.preference, lifetime: a.lifetime });
          break;
        case 'RouterRemoved':
          this.forgetRedirectsVia(iface, a.addr);
          this.emitEvent({ type: 'RouterRemoved', ifindex: a.ifindex, interface: iface.name, address: this.formatAddr(a.addr, iface), reason: a.why });
          break;
        case 'PrefixAdded':
          this.emitEvent({ type: 'PrefixAdded', ifindex: a.ifindex, interface: iface.name, prefix: `${formatIp6(a.prefix)}/${a.prefixLength}`, validLifetime: a.validLifetime });
          break;
        case 'PrefixRemoved':
          this.emitEvent({ type: 'PrefixRemoved', ifindex: a.ifindex, interface: iface.name, prefix: `${formatIp6(a.prefix)}/${a.prefixLength}`, reason: a.why });
          break;
      }
    }
  }

  /** §6.3.5: a router that leaves the list takes the redirects it gave with it. */
  private forgetRedirectsVia(iface: Interface, router: Ip6): void {
    for (const [k, r] of this.redirects) if (r.ifindex === iface.ifindex && ip6Equal(r.via, router)) this.redirects.delete(k);
  }

  /** DNS servers and search domains learned from RAs (RFC 8106), optionally for one interface. */
  dns(ifname?: string): { servers: Array<{ address: string; interface: string; expires: number }>; searchList: Array<{ domain: string; interface: string; expires: number }> } {
    const only = ifname === undefined ? undefined : this.interface(ifname).ifindex;
    const now = this.clock.now();
    const left = (t: number): number => (t === Infinity ? Infinity : Math.max(0, Math.round((t - now) / 1000)));
    const servers = [...this.routers.rdnss.values()]
      .filter((e) => only === undefined || e.ifindex === only)
      .map((e) => ({ address: this.formatAddr(e.value, this.ifaces[e.ifindex]), interface: this.ifaces[e.ifindex]?.name ?? '', expires: left(e.expiresAt) }));
    const searchList = [...this.routers.dnssl.values()]
      .filter((e) => only === undefined || e.ifindex === only)
      .map((e) => ({ domain: e.value, interface: this.ifaces[e.ifindex]?.name ?? '', expires: left(e.expiresAt) }));
    return { servers, searchList };
  }

  /**
   * Source address selection (RFC 6724 §5) among the outgoing interface's
   * addresses: never tentative, DAD-failed or anycast ones; deprecated and
   * optimistic ones lose to preferred ones; then scope, labels, temporary
   * addresses and the longest matching prefix, with the stack's policy table.
   */
  /**
   * Source selection for datagrams, memoized per (interface, destination)
   * until the addresses or routes change (writeConfig/writeRoutes clear it):
   * RFC 6724 runs once per peer, not once per datagram.
   */
  private readonly sourceCache = new Ip6Memo<Ip6 | undefined>();

  private cachedSourceFor(iface: Interface, dst: Ip6): Ip6 | undefined {
    const hit = this.sourceCache.get(iface.ifindex, dst);
    if (hit !== null) return hit.value;
    const v = this.sourceFor(iface, dst);
    this.sourceCache.set(iface.ifindex, dst, v);
    return v;
  }

  sourceFor(iface: Interface, dst: Ip6): Ip6 | undefined {
    const hop = isMulticast(dst) ? undefined : this.nextHop(iface, dst);
    const candidates: SourceCandidate[] = iface.addresses.map((a) => ({
      addr: a.addr,
      ifindex: a.ifindex,
      prefixLen: a.prefixLen,
      deprecated: a.state === 'deprecated',
      tentative: a.state === 'tentative' || a.state === 'optimistic',
      optimistic: a.state === 'optimistic',
      dadFailed: a.state === 'dadfailed',
      anycast: a.anycast,
      temporary: a.origin === 'temporary',
      // Rule 5.5: the prefix came from the router we are about to use.
      nextHopAdvertised: hop !== undefined && a.origin !== 'static' && [...this.routers.prefixes.values()].some((p) => p.ifindex === iface.ifindex && prefixMatch(p.prefix, a.addr, p.prefixLength)),
    }));
    return selectSource(dst, candidates, { policy: this.policy, outgoingIfindex: iface.ifindex })?.addr;
  }

  /** The RFC 6724 policy table (§2.1 default until setPolicyTable). */
  private policy = DEFAULT_POLICY_TABLE;

  /** Replaces the RFC 6724 policy table (prefix, precedence, label rows); throws ERR_INVALID_ARG. */
  setPolicyTable(entries: PolicyEntry[]): void {
    this.policy = new PolicyTable(entries);
  }

  /** RFC 6724 §6 destination ordering, e.g. for the addresses a name resolved to. */
  sortDestinations(destinations: string[]): string[] {
    const parsed = destinations.map((d) => this.resolveZoned(d));
    const order = sortDestinations(
      parsed.map((p) => p.addr),
      (d) => {
        const p = parsed.find((x) => ip6Equal(x.addr, d));
        let iface: Interface | undefined;
        try {
          iface = p?.iface ?? this.routeInterface(d);
        } catch {
          return undefined;
        }
        const src = this.sourceFor(iface, d);
        const a = src && iface.addresses.find((x) => ip6Equal(x.addr, src));
        return a ? { addr: a.addr, ifindex: a.ifindex, prefixLen: a.prefixLen, deprecated: a.state === 'deprecated', temporary: a.origin === 'temporary' } : undefined;
      },
      { policy: this.policy, reachable: (d) => !parsed.some((p) => ip6Equal(p.addr, d)) || this.neighbors.get(this.interfaces[0]?.ifindex ?? 1, d)?.state !== 'UNREACHABLE' },
    );
    return order.map((d) => destinations[parsed.findIndex((p) => ip6Equal(p.addr, d))]);
  }

  // --- echo client -------------------------------------------------------------

  /** Pings `destination` (`addr` or `fe80::1%eth0`) like iputils ping. */
  ping(destination: string, opts: PingOptions = {}): Pinger {
    this.assertOpen();
    if (typeof destination !== 'string') throw invalidArg('destination', 'a string', destination);
    if (looksV4(destination)) return this.ping4(destination, opts);
    const { addr, iface: zoned } = this.resolveZoned(destination);
    if (isUnspecified(addr) || (isMulticast(addr) && !zoned)) {
      if (isUnspecified(addr)) throw new WasagiError('ERR_INVALID_ADDRESS', `cannot ping ${destination}`);
    }
    const iface = zoned ?? this.routeInterface(addr, destination);
    // Payload Length is 16 bits (RFC 8200 §3): 8 bytes of ICMPv6 header plus the data; larger than the path MTU is fragmented.
    const o = this.pingOptions(opts, 0xffff - 8);
    const src = this.sourceFor(iface, addr);
    if (!src) throw new WasagiError('ERR_NO_SOURCE_ADDRESS', `${iface.name} has no address to send from`);
    return this.startPinger(iface, src, addr, this.formatAddr(addr, iface), o, (pp, seq, payload) => this.sendEcho(pp, seq, payload));
  }

  /** ping -4: ICMP Echo (RFC 792) to an IPv4 destination. */
  private ping4(destination: string, opts: PingOptions): Pinger {
    const dst = parseV4(destination);
    if (isUnspecified(dst.subarray(12)) || isBroadcast4(dst)) throw new WasagiError('ERR_INVALID_ADDRESS', `cannot ping ${destination}`);
    const r = this.v4.route(dst);
    if (!r) throw new WasagiError('ERR_NO_ROUTE', `no route to ${destination}`);
    const o = this.pingOptions(opts, 0xffff - 20 - 8);
    const src = this.v4.sourceFor(r.iface, r.hop);
    if (!src) throw new WasagiError('ERR_NO_SOURCE_ADDRESS', `${r.iface.name} has no IPv4 address to send from`);
    return this.startPinger(r.iface, src, dst, destination, o, (p, seq, payload) => {
      const msg = { type: ICMP4_ECHO_REQUEST as 8, code: 0, identifier: p.id, sequence: seq, data: payload };
      this.v4.send(p.src, p.dst, IPPROTO_ICMP, 8 + payload.length, (b, o2) => writeIcmp4(b, o2, msg), this.clock.now(), { ifindex: p.ifindex, df: false });
    });
  }

  /** Checks ping options (count, size up to `maxSize`, interval, timeout, flood) and fills in iputils' defaults. */
  private pingOptions(opts: PingOptions, maxSize: number): Required<PingOptions> {
    const count = opts.count ?? 4;
    if (!(Number.isInteger(count) && count > 0) && count !== Infinity) throw invalidArg('count', 'a positive integer', count);
    const size = opts.size ?? 56;
    if (!Number.isInteger(size) || size < 0) throw invalidArg('size', 'a non-negative integer', size);
    if (size > maxSize) throw new WasagiError('ERR_MESSAGE_TOO_BIG', `size ${size} is larger than a packet can carry: at most ${maxSize}`);
    const interval = opts.interval ?? 1;
    if (typeof interval !== 'number' || !(interval >= 0)) throw invalidArg('interval', 'a non-negative number of seconds', interval);
    const flood = opts.flood ?? false;
    const timeout = opts.timeout ?? (flood ? 0.2 : 1);
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw invalidArg('timeout', 'a non-negative number of seconds', timeout);
    return { count, size, interval, timeout, flood };
  }

  /** A fresh echo identifier, unused by pingers and ping sockets. */
  private freeEchoId(): number {
    let id = 0;
    do id = 1 + Math.floor(this.random() * 0xfffe);
    while (this.pingers.has(id) || this.echoSockets.has(`4|${id}`) || this.echoSockets.has(`6|${id}`));
    return id;
  }

  private startPinger(iface: Interface, src: Ip6, dst: Ip6, text: string, o: Required<PingOptions>, send: (p: Pinger, seq: number, payload: Uint8Array) => void): Pinger {
    const id = this.freeEchoId();
    const p = new Pinger(id, iface.ifindex, src, dst, text, o, this.clock.now(), send);
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

  /** An IPv4 datagram we sent could not be delivered: tell its pinger (iputils' "From … Destination Host Unreachable"). */
  private reportUnreachable4(packet: Uint8Array, to: Ip6, why: string): void {
    const hl = (packet[0] & 0x0f) * 4;
    if (packet.length < hl + 8 || packet[9] !== IPPROTO_ICMP || packet[hl] !== ICMP4_ECHO_REQUEST) return;
    const p = this.pingers.get((packet[hl + 4] << 8) | packet[hl + 5]);
    if (p) p.onUnreachable((packet[hl + 6] << 8) | packet[hl + 7], 1, why, formatV4(p.src));
  }

  // --- ICMP echo sockets (Linux ping sockets) ----------------------------------

  private readonly echoSockets = new Map<string, EchoSocket>();

  /**
   * An ICMP echo socket, like Linux's ping sockets (socket(AF_INET,
   * SOCK_DGRAM, IPPROTO_ICMP)): `send` takes an Echo Request (8-byte ICMP
   * header and data); the identifier becomes the socket's and the checksum
   * is computed; 'message' gives each Echo Reply for that identifier (header
   * and data) with its sender.
   */
  createEchoSocket(type: 'icmp4' | 'icmp6'): EchoSocket {
    this.assertOpen();
    if (type !== 'icmp4' && type !== 'icmp6') throw new WasagiError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: icmp4, icmp6');
    const family = type === 'icmp4' ? 4 : 6;
    const id = this.freeEchoId();
    const s: EchoSocket = new EchoSocket(family, id, {
      close: () => void this.echoSockets.delete(`${family}|${id}`),
      send: (msg, address) => this.sendEchoSocket(family, id, msg, address),
    });
    this.echoSockets.set(`${family}|${id}`, s);
    return s;
  }

  private sendEchoSocket(family: 4 | 6, id: number, msg: Uint8Array, address: string): string | undefined {
    if (msg.length < 8 || msg[0] !== (family === 4 ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST) || msg[1] !== 0) return 'EINVAL'; // Linux ping_common_sendmsg
    const body = msg.slice();
    body[2] = 0;
    body[3] = 0;
    body[4] = id >> 8;
    body[5] = id & 0xff;
    this.enter();
    try {
      const now = this.clock.now();
      if (family === 4) {
        if (!looksV4(address)) return 'EINVAL';
        const dst = parseV4(address);
        const r = this.v4.route(dst);
        if (!r) return 'ENETUNREACH';
        const src = this.v4.sourceFor(r.iface, r.hop);
        if (!src) return 'EADDRNOTAVAIL';
        return this.v4.send(src, dst, IPPROTO_ICMP, body.length, (b, o) => b.set(body, o), now, { ifindex: r.iface.ifindex, df: false });
      }
      let z: { addr: Ip6; iface?: Interface };
      try {
        z = this.resolveZoned(address);
      } catch {
        return 'EINVAL';
      }
      let iface: Interface;
      try {
        iface = z.iface ?? this.routeInterface(z.addr, address);
      } catch (e) {
        return (e as WasagiError).code === 'ERR_ZONE_REQUIRED' ? 'EINVAL' : 'ENETUNREACH';
      }
      const src = this.sourceFor(iface, z.addr);
      if (!src) return 'EADDRNOTAVAIL';
      this.sendIp6(iface, src, z.addr, isMulticast(z.addr) ? 1 : iface.hopLimit, NH_ICMPV6, body.length, (b, o) => b.set(body, o));
      return undefined;
    } finally {
      this.leave();
    }
  }

  /** An echo reply no pinger wanted: to the echo socket with its identifier, if any. */
  private deliverEchoSocket(family: 4 | 6, id: number, src: Ip6, ifindex: number, msg: Uint8Array): void {
    const s = this.echoSockets.get(`${family}|${id}`);
    if (!s) return void this.engine.countDrop(L.DropReason.ICMP_SOCKET_NO_MATCH);
    const address = family === 4 ? formatV4(src) : this.formatAddr(src, this.ifaces[ifindex]);
    try {
      s.emit('message', Buffer.from(msg), { address, family: family === 4 ? 'IPv4' : 'IPv6', port: 0, size: msg.length });
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
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
  private routeInterface(dst: Ip6, text?: string): Interface {
    const all = this.interfaces;
    text ??= formatIp6(dst); // only for the error messages below
    if (isLinkLocal(dst) || isMulticast(dst)) {
      if (all.length === 1) return all[0];
      throw new WasagiError('ERR_ZONE_REQUIRED', `${text} is link-scoped: add a zone, e.g. ${text}%${all[0]?.name ?? 'eth0'}`);
    }
    const onLink = all.find((i) => this.isOnLink(i, dst));
    if (onLink) return onLink;
    const routed = all.find((i) => this.nextHop(i, dst) !== undefined);
    if (routed) return routed;
    throw new WasagiError('ERR_NO_ROUTE', `no route to ${text}: no on-link prefix covers it and no router is known`);
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
    let t = Math.min(
      this.neighbors.nextDeadline(),
      this.routers.nextDeadline(),
      this.addrconf.nextDeadline(),
      this.mld.nextDeadline(),
      this.deferred.next(),
      this.pmtu.nextDeadline(),
      this.reassembler.nextDeadline(),
      this.v4.nextDeadline(),
    );
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
      this.handleRd(this.routers.onDeadline(now), now);
      this.handleAddr(this.addrconf.onDeadline(now), now);
      this.handleMld(this.mld.onDeadline(now));
      for (let d = this.deferred.popDue(now); d; d = this.deferred.popDue(now)) d.run();
      if (this.pmtu.onDeadline(now).length) this.writeConfig(); // RFC 8201 §4: estimates age back up to the link MTU
      for (const t of this.reassembler.onDeadline(now)) {
        // RFC 8200 §4.5: 60 s without completion, the first fragment had come → Time Exceeded code 1.
        const f = t.firstFragment;
        const src = f.subarray(8, 24);
        const iface = this.interfaces.find((i) => this.nextHop(i, src) !== undefined);
        if (iface) this.sendIcmpError(iface, f, false, ICMP6_TIME_EXCEEDED, 1, 0);
      }
      this.v4.onDeadline(now);
      for (const p of [...this.pingers.values()]) if (p.nextDeadline() <= now) p.onDeadline(now);
    } finally {
      this.leave();
    }
  }

  private flushQueued = false;

  /**
   * Datagrams sockets send in one turn of the event loop (say, the replies to
   * one received burst) go out in one batch: one txBuild and one device
   * write, after the last of them, instead of a write each.
   */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.closed) return;
      this.enter();
      this.leave();
    });
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
    for (const k of TS_COUNTERS) mib[k] = (mib[k] ?? 0) + this.tsCounters[k];
    for (const [k, v] of Object.entries(this.v4.counters)) mib[k] = v;
    const r = this.reassembler.counters;
    mib.Ip6ReasmReqds = r.reqds;
    mib.Ip6ReasmOKs = r.oks;
    mib.Ip6ReasmFails = r.fails;
    mib.Ip6ReasmTimeout = r.timeouts;
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


/** Creates a stack (the public entry point). */
export function createStack(opts?: StackOptions): Stack {
  return new Stack(opts);
}

/** True when a Hop-by-Hop Options header carries a Router Alert option (RFC 2711). */
function hasRouterAlert(hbh: Uint8Array): boolean {
  for (let o = 2; o < hbh.length; ) {
    const t = hbh[o];
    if (t === 0) {
      o++;
      continue;
    }
    if (t === 5) return true;
    o += 2 + (hbh[o + 1] ?? 0);
  }
  return false;
}

/**
 * The upper-layer header of an IPv6 packet past Hop-by-Hop, Destination
 * Options and Routing headers (and a first fragment's Fragment header), or
 * undefined when the chain does not fit.
 */
function upperLayerOf(p: Uint8Array): { nextHeader: number; offset: number } | undefined {
  let nh = p[6];
  let o = IP6_HEADER_LEN;
  for (let n = 0; n < 8; n++) {
    if (nh === 0 || nh === 60 || nh === 43) {
      if (o + 8 > p.length) return undefined;
      const len = (p[o + 1] + 1) * 8;
      nh = p[o];
      o += len;
    } else if (nh === 44) {
      if (o + 8 > p.length) return undefined;
      if (((p[o + 2] << 8) | p[o + 3]) & 0xfff8) return { nextHeader: 44, offset: o }; // not a first fragment
      nh = p[o];
      o += 8;
    } else return { nextHeader: nh, offset: o };
  }
  return undefined;
}
