// The UDP port space: which binds may share a port, which socket an arriving
// datagram belongs to, and how ephemeral ports are chosen. It models Linux's
// rules exactly, IPV6_V6ONLY included (USAGI paper §4; the option is RFC 3493
// §5.3, the IPv4-mapped addresses ::ffff:a.b.c.d through which an IPv6 socket
// talks to IPv4 peers are RFC 4291 §2.5.5.2 and RFC 4038 §4.2).
//
// One space holds IPv4 and IPv6 sockets together, as in Linux (one UDP hash
// table for both families). A udp6 socket WITHOUT V6ONLY bound to :: owns the
// port in both families; WITH V6ONLY it owns only the IPv6 side, so a udp4
// socket may share the port (the point of paper §4). The rules below are the
// Linux functions they port, line for line where it matters:
//
//   bind checks      __inet_bind (net/ipv4/af_inet.c), __inet6_bind (net/ipv6/af_inet6.c)
//   port in use      udp_lib_lport_inuse (net/ipv4/udp.c)
//   same address?    inet_rcv_saddr_equal → ipv4_rcv_saddr_equal / ipv6_rcv_saddr_equal
//                    (net/ipv4/inet_connection_sock.c)
//   demultiplexing   __udp4_lib_lookup / __udp6_lib_lookup with compute_score
//                    (net/ipv4/udp.c, net/ipv6/udp.c)
//   ephemeral port   RFC 6056 §3.3.1 Algorithm 1, over ip_local_port_range 32768–60999
//
// Sans-IO and pure: the host's addresses come in through `isLocal`, the
// randomness through `random`; nothing here touches a device or a clock.
//
// Connected sockets (`connect`) score their peer as compute_score does: a
// datagram from another source does not fit them; one from the peer scores
// higher (IPv4 +4 +4, IPv6 +1 +1).
//
// A wildcard-bound socket that connects takes the source address the route
// picked as its bound address (ip4_datagram_connect / ip6_datagram_connect
// then udp_lib_rehash): later binds and lookups see that address, until
// disconnect puts the wildcard back (__udp_disconnect, unless bind chose the
// address).
//
// Not modelled: SO_REUSEPORT groups, SO_BINDTODEVICE apart from the zone of link-local
// binds, EACCES for ports below 1024, ENODEV for an unknown interface (the
// predicate answers false and the bind fails with EADDRNOTAVAIL), multicast
// and broadcast fan-out (lookup finds the one socket of unicast delivery), and
// the second hash udp_lib_get_port uses past 10 sockets on a port, which
// gives the same answers.

import { randomInt } from 'node:crypto';
import { WasagiError, invalidArg } from '../errors.js';
import { formatIp6, ip6Equal, isLinkLocal, isMulticast, isUnspecified, multicastScope, UNSPECIFIED, type Ip6 } from '../wire/address.js';

/** The errors a bind can meet, as Linux's errno names (and Node's err.code). */
export type BindErrorCode = 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL';

/**
 * A socket asking for a local address and port. The object itself is the
 * socket's identity: binding it twice without unbinding is EINVAL, like a
 * second bind(2) on one fd.
 */
export interface UdpBindRequest {
  /** 4 for a udp4 (AF_INET) socket, 6 for udp6 (AF_INET6). */
  family: 4 | 6;
  /** IPV6_V6ONLY (udp6 only; ignored for udp4). Undefined: the space's `bindv6only` default. */
  v6only?: boolean;
  /** SO_REUSEADDR; two sockets may share an address only if both set it. Default false. */
  reuseAddr?: boolean;
  /** Local address. udp4: ::ffff:a.b.c.d, with :: or ::ffff:0.0.0.0 for 0.0.0.0. udp6: any. */
  addr: Ip6;
  /** Local port; 0 asks for an ephemeral one. */
  port: number;
  /** The zone (sin6_scope_id) of a link-local bind; ignored for addresses that need none, as in Linux. */
  ifindex?: number;
}

/** A bound socket as the port space holds it; what `lookup` returns. */
export interface BoundUdpSocket<T extends UdpBindRequest = UdpBindRequest> {
  readonly family: 4 | 6;
  /**
   * V6ONLY in force. Linux sets it on a udp6 socket bound to a specific IPv6
   * address (not :: and not mapped), and so does this (__inet6_bind).
   */
  readonly v6only: boolean;
  readonly reuseAddr: boolean;
  /** The bound address, a copy; udp4 binds as ::ffff:a.b.c.d (::ffff:0.0.0.0 for the wildcard). */
  readonly addr: Ip6;
  /** The bound port, the chosen one after a port-0 bind. */
  readonly port: number;
  /** The interface a scoped (link-local) bind is tied to (sk_bound_dev_if); undefined otherwise. */
  readonly ifindex: number | undefined;
  /** The request object that was bound. */
  readonly request: T;
}

export type BindResult<T extends UdpBindRequest = UdpBindRequest> =
  | { ok: true; port: number; handle: BoundUdpSocket<T> }
  | { ok: false; code: BindErrorCode };

/**
 * Is `addr` configured on this host (for `family` 4, given as ::ffff:a.b.c.d)?
 * `ifindex` is the zone of a scoped bind: link-local (and host-scope) addresses
 * must then be on that interface (ipv6_chk_addr with a device). Wildcards,
 * multicast groups and 255.255.255.255 are never asked about.
 */
export type IsLocal = (addr: Ip6, family: 4 | 6, ifindex?: number) => boolean;

export interface PortSpaceOptions {
  /** net.ipv6.bindv6only: the V6ONLY of udp6 sockets that do not say. Default false, like Linux. */
  bindv6only?: boolean;
  /** net.ipv4.ip_local_port_range, inclusive. Default [32768, 60999], Linux's. */
  ephemeralRange?: readonly [number, number];
  /** Uniform random numbers in [0, 1) for ephemeral ports. Default node:crypto (RFC 6056 §3.2 wants unpredictable). */
  random?: () => number;
}

/** Lowest ephemeral port by default: Linux's ip_local_port_range (RFC 6056 §3.2 suggests 1024–65535; Linux is narrower). */
export const EPHEMERAL_PORT_MIN = 32768;
/** Highest ephemeral port by default (Linux's ip_local_port_range). */
export const EPHEMERAL_PORT_MAX = 60999;

// ipv6_addr_type(), reduced to the three classes the rules tell apart.
const ANY = 0; // IPV6_ADDR_ANY: ::
const MAPPED = 1; // IPV6_ADDR_MAPPED: ::ffff:a.b.c.d (::ffff:0.0.0.0 included)
const OTHER = 2; // any other IPv6 address
type AddrClass = typeof ANY | typeof MAPPED | typeof OTHER;

/**
 * The IPv4 address Linux gives a udp6 socket bound to a specific IPv6 address
 * (LOOPBACK4_IPV6, 127.0.0.6, include/net/ipv6.h): a placeholder that no IPv4
 * lookup uses, since such a socket is V6ONLY.
 */
const LOOPBACK4_IPV6 = 0x7f000006;

/** The fields of struct sock that the rules read. */
interface Sock {
  readonly family: 4 | 6;
  /** sk_v6_rcv_saddr (udp6 only: inet6_rcv_saddr() is NULL for udp4). */
  readonly v6: Ip6 | undefined;
  /** ipv6_addr_type(sk_v6_rcv_saddr); MAPPED for udp4, as ipv6_rcv_saddr_equal treats a NULL address. */
  readonly cls: AddrClass;
  /** sk_rcv_saddr, host order; 0 is INADDR_ANY. */
  readonly v4: number;
  /** ipv6_only_sock(). */
  readonly ipv6only: boolean;
  /** sk_reuse. */
  readonly reuse: boolean;
  /** sk_bound_dev_if; 0 is none. */
  readonly dev: number;
}

interface Entry {
  family: 4 | 6;
  v6: Ip6 | undefined;
  cls: AddrClass;
  v4: number;
  ipv6only: boolean;
  readonly reuse: boolean;
  readonly dev: number;
  readonly pub: BoundUdpSocket<UdpBindRequest>;
  /** The connected peer (inet_daddr/sk_v6_daddr and inet_dport), mapped for IPv4; undefined when unconnected. */
  peer?: { addr: Ip6; port: number };
  /** The bound address fields before connect filled in a wildcard (restored on disconnect). */
  unconnected?: { v6: Ip6 | undefined; cls: AddrClass; v4: number };
}

const isMapped = (a: Ip6): boolean =>
  a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0 &&
  a[6] === 0 && a[7] === 0 && a[8] === 0 && a[9] === 0 && a[10] === 0xff && a[11] === 0xff;

const v4Of = (a: Ip6): number => ((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0;

const classOf = (a: Ip6): AddrClass => (isUnspecified(a) ? ANY : isMapped(a) ? MAPPED : OTHER);

/**
 * ipv4_rcv_saddr_equal(): sk2's IPv4 address overlaps sk1's, wildcards
 * included (match_wildcard is true for UDP binds). A V6ONLY sk2 has no IPv4 side.
 */
function ipv4RcvSaddrEqual(sk1: Sock, sk2: Sock): boolean {
  if (sk2.ipv6only) return false;
  return sk1.v4 === sk2.v4 || sk1.v4 === 0 || sk2.v4 === 0;
}

/** ipv6_rcv_saddr_equal(), for a udp6 sk1 against any sk2 (udp4 sk2 counts as MAPPED). */
function ipv6RcvSaddrEqual(sk1: Sock, sk2: Sock): boolean {
  const t1 = sk1.cls;
  const t2 = sk2.family === 6 ? sk2.cls : MAPPED;
  // Both mapped (or udp4): compare as IPv4.
  if (t1 === MAPPED && t2 === MAPPED) return ipv4RcvSaddrEqual(sk1, sk2);
  if (t1 === ANY && t2 === ANY) return true;
  // A wildcard covers the other's address, except that a V6ONLY :: does not cover IPv4.
  if (t2 === ANY && !(sk2.ipv6only && t1 === MAPPED)) return true;
  if (t1 === ANY && !(sk1.ipv6only && t2 === MAPPED)) return true;
  return sk2.family === 6 && ip6Equal(sk1.v6 as Ip6, sk2.v6 as Ip6);
}

/** inet_rcv_saddr_equal(sk, sk2, match_wildcard = true): the family of the new socket picks the comparison. */
function rcvSaddrEqual(sk: Sock, sk2: Sock): boolean {
  return sk.family === 6 ? ipv6RcvSaddrEqual(sk, sk2) : ipv4RcvSaddrEqual(sk, sk2);
}

/**
 * udp_lib_lport_inuse(): sk2 blocks sk on the same port unless both set
 * SO_REUSEADDR, or they are tied to different interfaces, or their addresses
 * do not overlap.
 */
function blocks(sk: Sock, sk2: Sock): boolean {
  return (!sk2.reuse || !sk.reuse) && (sk2.dev === 0 || sk.dev === 0 || sk2.dev === sk.dev) && rcvSaddrEqual(sk, sk2);
}

/** __ipv6_addr_needs_scope_id(): link-local unicast, and interface- or link-local multicast. */
function needsScope(a: Ip6): boolean {
  if (isLinkLocal(a)) return true;
  if (!isMulticast(a)) return false;
  const s = multicastScope(a);
  return s === 1 || s === 2;
}

const fail = (code: BindErrorCode): { ok: false; code: BindErrorCode } => ({ ok: false, code });

/** Linux's UDP port space for both families. `T` is the caller's request type, handed back by `lookup`. */
export class PortSpace<T extends UdpBindRequest = UdpBindRequest> {
  private readonly isLocal: IsLocal;
  private readonly bindv6only: boolean;
  private readonly low: number;
  private readonly high: number;
  private readonly random: () => number;
  /** Sockets by port, oldest first (Linux adds to the head of the hash chain; we scan from the end). */
  private readonly byPort = new Map<number, Entry[]>();
  private readonly byRequest = new Map<UdpBindRequest, Entry>();
  private readonly byHandle = new Map<BoundUdpSocket<UdpBindRequest>, Entry>();

  constructor(isLocal: IsLocal, options: PortSpaceOptions = {}) {
    if (typeof isLocal !== 'function') throw invalidArg('isLocal', 'a function (addr, family, ifindex?) => boolean', isLocal);
    if (options === null || typeof options !== 'object') throw invalidArg('options', 'an object', options);
    const { bindv6only = false, ephemeralRange = [EPHEMERAL_PORT_MIN, EPHEMERAL_PORT_MAX], random } = options;
    if (typeof bindv6only !== 'boolean') throw invalidArg('options.bindv6only', 'a boolean', bindv6only);
    if (
      !Array.isArray(ephemeralRange) || ephemeralRange.length !== 2 ||
      !ephemeralRange.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) || ephemeralRange[0] > ephemeralRange[1]
    ) {
      throw invalidArg('options.ephemeralRange', 'two ports [low, high] with 1 <= low <= high <= 65535', ephemeralRange);
    }
    if (random !== undefined && typeof random !== 'function') throw invalidArg('options.random', 'a function returning numbers in [0, 1)', random);
    this.isLocal = isLocal;
    this.bindv6only = bindv6only;
    this.low = ephemeralRange[0];
    this.high = ephemeralRange[1];
    this.random = random ?? ((): number => randomInt(0x100000000) / 0x100000000);
  }

  /**
   * Binds `req` (bind(2) for UDP). Checks, in Linux's order:
   *  udp4 (__inet_bind): the address must be 0.0.0.0, local, multicast or
   *    255.255.255.255 (EADDRNOTAVAIL); the socket must not be bound (EINVAL).
   *  udp6 (__inet6_bind): the socket must not be bound (EINVAL); a mapped
   *    address on a V6ONLY socket is EINVAL; a mapped address must pass the
   *    udp4 address check (EADDRNOTAVAIL); a link-local address needs a zone
   *    (EINVAL); another non-multicast address must be local (EADDRNOTAVAIL).
   *  both: the port must be free for this address (udp_lib_lport_inuse,
   *    EADDRINUSE); port 0 takes a free ephemeral port, EADDRINUSE if none.
   * Throws ERR_INVALID_ARG for a malformed request.
   */
  bind(req: T): BindResult<T> {
    validate(req);
    const reuse = req.reuseAddr ?? false;
    let sock: Sock;
    if (req.family === 4) {
      const v4 = isUnspecified(req.addr) ? 0 : v4Of(req.addr);
      if (!this.v4Acceptable(v4, req.addr)) return fail('EADDRNOTAVAIL');
      if (this.byRequest.has(req)) return fail('EINVAL');
      sock = { family: 4, v6: undefined, cls: MAPPED, v4, ipv6only: false, reuse, dev: 0 };
    } else {
      if (this.byRequest.has(req)) return fail('EINVAL');
      const v6only = req.v6only ?? this.bindv6only;
      const addr = req.addr.slice();
      const cls = classOf(addr);
      if (cls === MAPPED) {
        // "Binding to v4-mapped address on a v6-only socket makes no sense."
        if (v6only) return fail('EINVAL');
        // "Reproduce AF_INET checks to make the bindings consistent."
        const v4 = v4Of(addr);
        if (!this.v4Acceptable(v4, addr)) return fail('EADDRNOTAVAIL');
        sock = { family: 6, v6: addr, cls, v4, ipv6only: false, reuse, dev: 0 };
      } else if (cls === ANY) {
        sock = { family: 6, v6: addr, cls, v4: 0, ipv6only: v6only, reuse, dev: 0 };
      } else {
        const scoped = needsScope(addr);
        const dev = scoped ? (req.ifindex ?? 0) : 0;
        // "Binding to link-local address requires an interface."
        if (scoped && dev === 0) return fail('EINVAL');
        if (!isMulticast(addr) && this.isLocal(addr.slice(), 6, scoped ? dev : undefined) !== true) return fail('EADDRNOTAVAIL');
        // A socket bound to one IPv6 address can never see IPv4: Linux sets V6ONLY on it.
        sock = { family: 6, v6: addr, cls, v4: LOOPBACK4_IPV6, ipv6only: true, reuse, dev };
      }
    }
    const port = req.port === 0 ? this.ephemeral(sock) : this.inUse(sock, req.port) ? -1 : req.port;
    if (port < 0) return fail('EADDRINUSE');

    // The handle gets its own copy: callers may write into theirs.
    const addr = sock.family === 6 ? (sock.v6 as Ip6).slice() : mappedOf(sock.v4);
    const pub: BoundUdpSocket<T> = Object.freeze({
      family: sock.family,
      v6only: sock.ipv6only,
      reuseAddr: reuse,
      addr,
      port,
      ifindex: sock.dev === 0 ? undefined : sock.dev,
      request: req,
    });
    const entry: Entry = { ...sock, pub };
    const list = this.byPort.get(port);
    if (list) list.push(entry);
    else this.byPort.set(port, [entry]);
    this.byRequest.set(req, entry);
    this.byHandle.set(pub, entry);
    return { ok: true, port, handle: pub };
  }

  /** Releases a socket (close(2)), given its handle or the request that bound it. False if it was not bound. */
  unbind(socket: BoundUdpSocket<T> | T): boolean {
    const entry = this.byHandle.get(socket as BoundUdpSocket<UdpBindRequest>) ?? this.byRequest.get(socket as UdpBindRequest);
    if (!entry) return false;
    const port = entry.pub.port;
    const list = this.byPort.get(port) as Entry[];
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.byPort.delete(port);
    this.byRequest.delete(entry.pub.request);
    this.byHandle.delete(entry.pub);
    return true;
  }

  /**
   * The socket a unicast datagram to [dstAddr]:dstPort goes to, or undefined
   * (the stack then answers ICMP port unreachable). `family` is the packet's:
   * for 4, `dstAddr` is ::ffff:a.b.c.d. `ifindex` is the arriving interface.
   *
   * As __udp4_lib_lookup / __udp6_lib_lookup: first the sockets bound to
   * exactly dstAddr, then, only if none fits, the wildcard ones. An IPv4
   * packet fits a udp4 socket and a udp6 socket that is not V6ONLY (bound to
   * ::, ::ffff:0.0.0.0 or the mapped dstAddr); an IPv6 packet fits only udp6
   * sockets. A socket tied to an interface fits only packets from it. Among
   * fits, compute_score: for IPv4 a udp4 socket (2) beats a udp6 one (1), a
   * socket tied to the interface gains 4 (IPv6: 1); ties go to the socket
   * bound last (the head of Linux's hash chain). IPv6 packets to a mapped
   * address fit nothing (RFC 4291 §2.5.5.2: mapped addresses are not used on the wire).
   */
  lookup(dstAddr: Ip6, dstPort: number, family: 4 | 6, ifindex = 0, src?: Ip6, srcPort?: number): BoundUdpSocket<T> | undefined {
    const list = this.byPort.get(dstPort);
    if (!list) return undefined;
    const from = src !== undefined && srcPort !== undefined ? { addr: src, port: srcPort } : undefined;
    if (family === 4) {
      if (!isMapped(dstAddr)) return undefined;
      const v4 = v4Of(dstAddr);
      const hit = best(list, (s) => score4(s, v4, ifindex, from)) ?? best(list, (s) => score4(s, 0, ifindex, from));
      return hit as BoundUdpSocket<T> | undefined;
    }
    if (isMapped(dstAddr)) return undefined;
    const hit = best(list, (s) => score6(s, dstAddr, ifindex, from)) ?? best(list, (s) => score6(s, UNSPECIFIED, ifindex, from));
    return hit as BoundUdpSocket<T> | undefined;
  }

  /** The sockets bound to `port`, in bind order (oldest first); what src/socket/udp-table.ts mirrors. */
  socketsOn(port: number): BoundUdpSocket<T>[] {
    const list = this.byPort.get(port);
    return list ? list.map((e) => e.pub as BoundUdpSocket<T>) : [];
  }

  /**
   * Records the peer of a connected socket (connect(2)), or forgets it
   * (undefined: disconnect). `peer.addr` is mapped for IPv4. False when the
   * handle is not bound.
   */
  connect(socket: BoundUdpSocket<T>, peer: { addr: Ip6; port: number } | undefined, local?: Ip6): boolean {
    const entry = this.byHandle.get(socket as BoundUdpSocket<UdpBindRequest>);
    if (!entry) return false;
    entry.peer = peer && { addr: peer.addr.slice(), port: peer.port };
    if (entry.unconnected) {
      // disconnect (or a new connect): back to the wildcard first.
      Object.assign(entry, entry.unconnected);
      entry.unconnected = undefined;
    }
    if (peer && local && (entry.family === 4 ? entry.v4 === 0 : entry.cls === ANY || (entry.cls === MAPPED && entry.v4 === 0))) {
      // The rehash: the source the route picked becomes the bound address.
      entry.unconnected = { v6: entry.v6, cls: entry.cls, v4: entry.v4 };
      if (entry.family === 4) entry.v4 = v4Of(local);
      else if (isMapped(local)) {
        entry.v6 = local.slice();
        entry.cls = MAPPED;
        entry.v4 = v4Of(local);
      } else {
        entry.v6 = local.slice();
        entry.cls = OTHER;
        entry.v4 = LOOPBACK4_IPV6;
      }
    }
    return true;
  }

  /** Whether a bound socket is connected. */
  isConnected(socket: BoundUdpSocket<T>): boolean {
    return this.byHandle.get(socket as BoundUdpSocket<UdpBindRequest>)?.peer !== undefined;
  }

  /** Every bound socket, in bind order within each port. */
  sockets(): BoundUdpSocket<T>[] {
    const out: BoundUdpSocket<T>[] = [];
    for (const list of this.byPort.values()) for (const e of list) out.push(e.pub as BoundUdpSocket<T>);
    return out;
  }

  /** inet_addr_valid_or_nonlocal() without ip_nonlocal_bind: 0.0.0.0, a local address, multicast (RTN_MULTICAST) or 255.255.255.255. */
  private v4Acceptable(v4: number, addr: Ip6): boolean {
    if (v4 === 0 || v4 >>> 28 === 0xe || v4 === 0xffffffff) return true;
    return this.isLocal(isMapped(addr) ? addr.slice() : mappedOf(v4), 4) === true;
  }

  private inUse(sock: Sock, port: number): boolean {
    const list = this.byPort.get(port);
    if (!list) return false;
    for (const sk2 of list) if (blocks(sock, sk2)) return true;
    return false;
  }

  /**
   * RFC 6056 §3.3.1 Algorithm 1 (Simple Port Randomization): start at a random
   * port of the range, walk up (wrapping) to the first one `sock` may bind. The
   * suitability test is the bind test itself, so a port is never handed out
   * where it would conflict, and (as on Linux) two SO_REUSEADDR sockets may be
   * given the same one. Returns -1 when no port is free.
   *
   * Not Algorithm 3: at bind time there is no remote endpoint to hash, so its
   * F(local, secret) would hand out consecutive ports from one secret offset,
   * and one observed port would predict the next (the guessing RFC 6056 §1
   * exists to stop). Linux's UDP likewise starts at a random port.
   */
  private ephemeral(sock: Sock): number {
    const n = this.high - this.low + 1;
    const r = this.random();
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw invalidArg('options.random', 'a function returning numbers in [0, 1)', r);
    let port = this.low + Math.floor(r * n);
    for (let count = n; count > 0; count--) {
      if (!this.inUse(sock, port)) return port;
      port = port === this.high ? this.low : port + 1;
    }
    return -1;
  }
}

/**
 * compute_score() of net/ipv4/udp.c; -1 when it does not fit. A connected
 * socket fits only its peer (+4 for the address, +4 for the port); without
 * a source to compare (`from` undefined) it fits as if it were the peer.
 */
function score4(s: Entry, v4: number, ifindex: number, from?: { addr: Ip6; port: number }): number {
  if (s.ipv6only || s.v4 !== v4) return -1;
  let score = s.family === 4 ? 2 : 1;
  if (s.peer) {
    if (from && (!isMapped(s.peer.addr) || v4Of(s.peer.addr) !== v4Of(from.addr) || s.peer.port !== from.port)) return -1;
    score += 8;
  }
  if (s.dev !== 0 && s.dev !== ifindex) return -1;
  return score + (s.dev !== 0 ? 4 : 0);
}

/** compute_score() of net/ipv6/udp.c; -1 when it does not fit (a connected socket: +1 +1 for its peer, else no fit). */
function score6(s: Entry, dst: Ip6, ifindex: number, from?: { addr: Ip6; port: number }): number {
  if (s.family !== 6 || !ip6Equal(s.v6 as Ip6, dst)) return -1;
  let score = 0;
  if (s.peer) {
    if (from && (!ip6Equal(s.peer.addr, from.addr) || s.peer.port !== from.port)) return -1;
    score += 2;
  }
  if (s.dev !== 0 && s.dev !== ifindex) return -1;
  return score + (s.dev !== 0 ? 1 : 0);
}

/** udp4_lib_lookup2 / udp6_lib_lookup2: the highest score, the newest socket on ties. */
function best(list: readonly Entry[], score: (s: Entry) => number): BoundUdpSocket<UdpBindRequest> | undefined {
  let found: Entry | undefined;
  let badness = -1;
  for (let i = list.length - 1; i >= 0; i--) {
    const sc = score(list[i]);
    if (sc > badness) {
      badness = sc;
      found = list[i];
    }
  }
  return found?.pub;
}

function mappedOf(v4: number): Ip6 {
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  a[12] = v4 >>> 24;
  a[13] = (v4 >>> 16) & 0xff;
  a[14] = (v4 >>> 8) & 0xff;
  a[15] = v4 & 0xff;
  return a;
}

function validate(req: UdpBindRequest): void {
  if (req === null || typeof req !== 'object') throw invalidArg('req', 'an object', req);
  if (req.family !== 4 && req.family !== 6) throw invalidArg('req.family', '4 or 6', req.family);
  if (!(req.addr instanceof Uint8Array) || req.addr.length !== 16) throw invalidArg('req.addr', 'a 16-byte Uint8Array', req.addr);
  if (!Number.isInteger(req.port) || req.port < 0 || req.port > 65535) throw invalidArg('req.port', 'an integer from 0 to 65535', req.port);
  if (req.v6only !== undefined && typeof req.v6only !== 'boolean') throw invalidArg('req.v6only', 'a boolean', req.v6only);
  if (req.reuseAddr !== undefined && typeof req.reuseAddr !== 'boolean') throw invalidArg('req.reuseAddr', 'a boolean', req.reuseAddr);
  if (req.ifindex !== undefined && !(Number.isInteger(req.ifindex) && req.ifindex >= 0 && req.ifindex <= 0xffffffff)) {
    throw invalidArg('req.ifindex', 'an interface index (unsigned 32-bit integer)', req.ifindex);
  }
  if (req.family === 4 && !isUnspecified(req.addr) && !isMapped(req.addr)) {
    throw new WasagiError('ERR_INVALID_ADDRESS', `A udp4 bind takes an IPv4 address as ::ffff:a.b.c.d; got ${formatIp6(req.addr)}`);
  }
}

/**
 * The sender as a socket's recvfrom()/Node's rinfo shows it: a udp4 socket sees
 * a.b.c.d; a udp6 socket sees every sender as IPv6, an IPv4 one as
 * ::ffff:a.b.c.d (udpv6_recvmsg: ipv6_addr_set_v4mapped; RFC 3493 §3.7).
 * `src` is the datagram's source, IPv4 ones as ::ffff:a.b.c.d; `zone` is added
 * after `%` for a link-local source.
 */
export function remoteInfo(
  socket: Pick<BoundUdpSocket, 'family'>,
  src: Ip6,
  srcPort: number,
  zone?: string,
): { address: string; family: 'IPv4' | 'IPv6'; port: number } {
  if (socket.family === 4) return { address: `${src[12]}.${src[13]}.${src[14]}.${src[15]}`, family: 'IPv4', port: srcPort };
  return { address: formatIp6(src, isLinkLocal(src) ? zone : undefined), family: 'IPv6', port: srcPort };
}
