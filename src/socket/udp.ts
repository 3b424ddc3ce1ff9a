// UDP sockets with Node's dgram.Socket surface (RFC 768; over IPv6 RFC 8200
// §8.1), on the stack rather than the kernel: bind/connect/send/close/address,
// 'listening' / 'message' / 'connect' / 'close' / 'error', Node's error codes.
// Binding follows Linux's port-space rules, IPV6_V6ONLY included (paper §4,
// src/socket/portspace.ts). The stack calls `deliver` for datagrams and sends
// through the `UdpHost` it passes in; sockets never touch devices.
//
// Both families: a udp4 socket speaks IPv4; a udp6 socket speaks IPv6 and,
// without V6ONLY, IPv4 too through IPv4-mapped addresses (::ffff:a.b.c.d,
// RFC 4291 §2.5.5.2, RFC 3493 §3.7). Addresses are mapped inside the stack
// for both; only what users see is dotted for udp4 sockets.
//
// Not here: SO_REUSEPORT, IP_MULTICAST_LOOP (the stack does not loop its own
// datagrams back), source-specific membership (addSourceSpecificMembership),
// setRecvBufferSize/setSendBufferSize (datagrams are delivered at once).

import { EventEmitter } from 'node:events';
import { WasagiError, invalidArg } from '../errors.js';
import { formatIp6, isLinkLocal, isMulticast, isUnspecified, parseIp6Zoned, type Ip6 } from '../wire/address.js';

/** The port space as sockets use it (the stack adapts src/socket/portspace.ts to this). */
export interface UdpPorts {
  bind(req: { family: 4 | 6; v6only?: boolean; reuseAddr: boolean; addr: Ip6; port: number; ifindex?: number; owner: UdpSocket }):
    | { ok: true; port: number; handle: unknown }
    | { ok: false; code: 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL' };
  unbind(handle: unknown): void;
}

export interface RemoteInfo {
  address: string;
  family: 'IPv6' | 'IPv4';
  port: number;
  size: number;
}

/** One datagram to send, as the socket's options shape it. Addresses are mapped for IPv4. */
export interface UdpSendRequest {
  src?: Ip6;
  srcPort: number;
  dst: Ip6;
  dstPort: number;
  /** Interface a scoped destination or a bound socket pins. */
  ifindex?: number;
  payload: Uint8Array;
  /** setTTL (unicast hop limit / TTL); undefined: the interface's. */
  ttl?: number;
  /** setMulticastTTL; undefined: 1 (RFC 1112 §6.1, RFC 3493 §5.2). */
  mcastTtl?: number;
  /** setMulticastInterface. */
  mcastIfindex?: number;
  /** setBroadcast (SO_BROADCAST). */
  broadcast: boolean;
}

/** What a socket needs from the stack. */
export interface UdpHost {
  readonly ports: UdpPorts;
  /** Is `addr` one of ours (for bind)? */
  isLocal(addr: Ip6): boolean;
  /** Interface index for a zone name/number, or throws ERR_UNKNOWN_ZONE. */
  zoneIndex(zone: string): number;
  /** Interface holding IPv4 address `addr` (mapped), if ours. */
  v4Ifindex(addr: Ip6): number | undefined;
  /** Sends a datagram; returns an error code or undefined. */
  sendUdp(req: UdpSendRequest): string | undefined;
  /** Formats an address with its zone when link-local. */
  format(addr: Ip6, ifindex: number | undefined): string;
  /** Joins or leaves a group (mapped for IPv4) on an interface (undefined: the stack's choice); an error code or undefined. */
  membership(join: boolean, group: Ip6, ifindex: number | undefined): string | undefined;
}

export interface SocketOptions {
  type: 'udp6' | 'udp4';
  ipv6Only?: boolean;
  reuseAddr?: boolean;
}

type SendCallback = (err: Error | null, bytes: number) => void;

const err = (code: string, message: string): WasagiError => new WasagiError(code, message);

export class UdpSocket extends EventEmitter {
  readonly type: 'udp6' | 'udp4';
  readonly ipv6Only: boolean;
  readonly reuseAddr: boolean;
  private bound?: { addr: Ip6; port: number; ifindex?: number };
  private remote?: { addr: Ip6; port: number; ifindex?: number };
  private closed = false;
  private binding = false;
  private readonly v6onlyOption: boolean | undefined;
  private ttl?: number;
  private mcastTtl?: number;
  private mcastIfindex?: number;
  private broadcast = false;
  /** Groups this socket joined: ifindex|group text → what to leave on close. */
  private readonly groups = new Map<string, { group: Ip6; ifindex: number | undefined }>();
  /** @internal the PortSpace handle */
  handle?: unknown;

  constructor(
    private readonly host: UdpHost,
    opts: SocketOptions,
  ) {
    super();
    if (opts.type !== 'udp6' && opts.type !== 'udp4') throw err('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
    this.type = opts.type;
    this.ipv6Only = opts.ipv6Only ?? false;
    this.v6onlyOption = opts.ipv6Only;
    this.reuseAddr = opts.reuseAddr ?? false;
  }

  /** bind([port][, address][, callback]) or bind(options[, callback]), like dgram. */
  bind(a?: number | { port?: number; address?: string } | (() => void), b?: string | (() => void), c?: () => void): this {
    let port = 0;
    let address: string | undefined;
    let cb: (() => void) | undefined;
    if (typeof a === 'object' && a !== null) {
      port = a.port ?? 0;
      address = a.address;
      cb = b as (() => void) | undefined;
    } else {
      if (typeof a === 'function') cb = a;
      else if (a !== undefined) port = a;
      if (typeof b === 'function') cb = b;
      else if (b !== undefined) address = b;
      if (typeof c === 'function') cb = c;
    }
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (this.bound || this.binding) throw err('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw err('ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${port}.`);
    this.binding = true;
    if (cb) this.once('listening', cb);
    // Completions are deferred, like dgram's (which goes through the event loop).
    queueMicrotask(() => {
      this.binding = false;
      if (this.closed) return;
      let addr: Ip6;
      let ifindex: number | undefined;
      try {
        if (address === undefined || address === '') addr = new Uint8Array(16);
        else if (this.type === 'udp4') addr = mapped(address);
        else {
          const z = parseIp6Zoned(address);
          addr = z.addr;
          if (z.zone !== undefined) ifindex = this.host.zoneIndex(z.zone);
        }
      } catch (e) {
        this.emit('error', e);
        return;
      }
      // An unset ipv6Only leaves V6ONLY to the port space's bindv6only default (Linux's sysctl).
      const r = this.host.ports.bind({ family: this.type === 'udp4' ? 4 : 6, v6only: this.v6onlyOption, reuseAddr: this.reuseAddr, addr, port, ifindex, owner: this });
      if (!r.ok) {
        const e = err(r.code, `bind ${r.code} ${address ?? (this.type === 'udp4' ? '0.0.0.0' : '::')}:${port}`);
        Object.assign(e, { errno: r.code === 'EADDRINUSE' ? -98 : r.code === 'EADDRNOTAVAIL' ? -99 : -22, syscall: 'bind', address, port });
        this.emit('error', e);
        return;
      }
      this.bound = { addr, port: r.port, ifindex };
      this.handle = r.handle;
      this.emit('listening');
    });
    return this;
  }

  /** connect(port[, address][, callback]): datagrams only to and from that peer. */
  connect(port: number, address?: string | (() => void), cb?: () => void): void {
    if (typeof address === 'function') {
      cb = address;
      address = undefined;
    }
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (this.remote) throw err('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw err('ERR_SOCKET_BAD_PORT', `Port should be > 0 and < 65536. Received ${port}.`);
    const { addr, ifindex } = this.parseDest(address ?? (this.type === 'udp4' ? '127.0.0.1' : '::1'));
    this.remote = { addr, port, ifindex };
    if (cb) this.once('connect', cb);
    const go = (): void => void queueMicrotask(() => this.emit('connect'));
    if (!this.bound) {
      this.once('listening', go);
      if (!this.binding) this.bind(0);
    } else go();
  }

  disconnect(): void {
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (!this.remote) throw err('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.remote = undefined;
  }

  /**
   * send(msg[, offset, length][, port][, address][, callback]) like dgram:
   * an unbound socket is bound to an ephemeral port first (RFC 6056).
   */
  send(msg: Uint8Array | string | Array<Uint8Array | string>, ...args: unknown[]): void {
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    let cb: SendCallback | undefined;
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as SendCallback;
    let data = toBytes(msg);
    if (typeof args[0] === 'number' && typeof args[1] === 'number' && !Array.isArray(msg) && typeof msg !== 'string' && args.length >= 2 && (args.length >= 3 || this.remote)) {
      const [offset, length] = args as number[];
      if (offset < 0 || length < 0 || offset + length > data.length) throw invalidArg('offset/length', 'within the buffer', `${offset}/${length}`);
      data = data.subarray(offset, offset + length);
      args = args.slice(2);
    }
    let port: number;
    let address: string | undefined;
    if (this.remote) {
      if (args.length && args[0] !== undefined) throw err('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
      port = this.remote.port;
    } else {
      port = args[0] as number;
      address = args[1] as string | undefined;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw err('ERR_SOCKET_BAD_PORT', `Port should be > 0 and < 65536. Received ${String(port)}.`);
    }
    if (data.length > 0xffff - 8) throw err('ERR_MESSAGE_TOO_BIG', `a UDP payload holds at most ${0xffff - 8} bytes`);
    const copy = data.slice();
    const go = (): void => {
      let dst: { addr: Ip6; ifindex?: number };
      try {
        dst = this.remote ? { addr: this.remote.addr, ifindex: this.remote.ifindex } : this.parseDest(address ?? (this.type === 'udp4' ? '127.0.0.1' : '::1'));
      } catch (e) {
        if (cb) cb(e as Error, 0);
        else this.emit('error', e);
        return;
      }
      const b = this.bound!;
      const wildcard = isUnspecified(b.addr) || (isMappedAddr(b.addr) && b.addr[12] === 0 && b.addr[13] === 0 && b.addr[14] === 0 && b.addr[15] === 0);
      const src = wildcard ? undefined : b.addr;
      let code: string | undefined;
      // udpv6_sendmsg: a V6ONLY socket cannot reach IPv4 (ENETUNREACH); one bound to a mapped address cannot reach IPv6.
      if (this.type === 'udp6' && isMappedAddr(dst.addr) && (this.handle as { v6only?: boolean } | undefined)?.v6only) code = 'ENETUNREACH';
      else if (this.type === 'udp6' && !isMappedAddr(dst.addr) && src && isMappedAddr(src)) code = 'ENETUNREACH';
      else {
        code = this.host.sendUdp({
          src,
          srcPort: b.port,
          dst: dst.addr,
          dstPort: port,
          ifindex: dst.ifindex ?? b.ifindex,
          payload: copy,
          ttl: this.ttl,
          mcastTtl: this.mcastTtl,
          mcastIfindex: this.mcastIfindex,
          broadcast: this.broadcast,
        });
      }
      const e = code ? Object.assign(err(code, `send ${code} ${address ?? ''}:${port}`), { syscall: 'send' }) : null;
      if (cb) cb(e, e ? 0 : copy.length);
      else if (e) this.emit('error', e);
    };
    if (!this.bound) {
      this.once('listening', () => queueMicrotask(go));
      if (!this.binding) this.bind(0);
    } else queueMicrotask(go);
  }

  close(cb?: () => void): this {
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    this.closed = true;
    for (const g of this.groups.values()) this.host.membership(false, g.group, g.ifindex);
    this.groups.clear();
    if (this.handle !== undefined) this.host.ports.unbind(this.handle);
    this.handle = undefined;
    if (cb) this.once('close', cb);
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  address(): { address: string; family: 'IPv6' | 'IPv4'; port: number } {
    if (!this.bound) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    return {
      address: this.type === 'udp4' ? dotted(this.bound.addr) : this.host.format(this.bound.addr, this.bound.ifindex),
      family: this.type === 'udp4' ? 'IPv4' : 'IPv6',
      port: this.bound.port,
    };
  }

  remoteAddress(): { address: string; family: 'IPv6' | 'IPv4'; port: number } {
    if (!this.remote) throw err('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    return {
      address: this.type === 'udp4' ? dotted(this.remote.addr) : this.host.format(this.remote.addr, this.remote.ifindex),
      family: this.type === 'udp4' ? 'IPv4' : 'IPv6',
      port: this.remote.port,
    };
  }

  /** @internal A datagram for this socket (the port space chose it); `src` is mapped for IPv4. */
  deliver(src: Ip6, srcPort: number, ifindex: number, payload: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.remote && (this.remote.port !== srcPort || !this.remote.addr.every((b, i) => b === src[i]))) return false; // connected: only the peer
    // udpv6_recvmsg shows an IPv4 sender as ::ffff:a.b.c.d (RFC 3493 §3.7); a udp4 socket as a.b.c.d.
    const rinfo: RemoteInfo =
      this.type === 'udp4'
        ? { address: `${src[12]}.${src[13]}.${src[14]}.${src[15]}`, family: 'IPv4', port: srcPort, size: payload.length }
        : { address: this.host.format(src, ifindex), family: 'IPv6', port: srcPort, size: payload.length };
    this.emit('message', Buffer.from(payload), rinfo);
    return true;
  }

  /**
   * @internal An ICMP error about a datagram this socket sent to [dst]:port.
   * Like Linux without IP_RECVERR, only a connected socket hears of it
   * (RFC 1122 §4.1.3.3): 'error' with ECONNREFUSED for Port Unreachable.
   */
  icmpError(dst: Ip6, port: number, code: string): void {
    if (this.closed || !this.remote || this.remote.port !== port || !this.remote.addr.every((b, i) => b === dst[i])) return;
    const errno: Record<string, number> = { ECONNREFUSED: -111, EHOSTUNREACH: -113, ENETUNREACH: -101, ENOPROTOOPT: -92, EHOSTDOWN: -112, ENONET: -64, EACCES: -13 };
    const e = Object.assign(err(code, `recvmsg ${code}`), { syscall: 'recvmsg', errno: errno[code] });
    queueMicrotask(() => this.emit('error', e));
  }

  // --- options (Node's dgram.Socket; errors as libuv/Linux give them) ---------------

  private requireBound(syscall: string): void {
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    // libuv has no descriptor before bind: the option calls fail with EBADF.
    if (!this.bound) throw Object.assign(err('EBADF', `${syscall} EBADF`), { syscall, errno: -9 });
  }

  private errno(code: string, syscall: string): WasagiError {
    const n: Record<string, number> = { EINVAL: -22, EADDRINUSE: -98, EADDRNOTAVAIL: -99, ENODEV: -19, EACCES: -13 };
    return Object.assign(err(code, `${syscall} ${code}`), { syscall, errno: n[code] });
  }

  /** IP_TTL / IPV6_UNICAST_HOPS: 1–255. */
  setTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw invalidArg('ttl', 'a number', ttl);
    this.requireBound('setTTL');
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw this.errno('EINVAL', 'setTTL');
    this.ttl = ttl;
    return ttl;
  }

  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: 0–255 (default 1). */
  setMulticastTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw invalidArg('ttl', 'a number', ttl);
    this.requireBound('setMulticastTTL');
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw this.errno('EINVAL', 'setMulticastTTL');
    this.mcastTtl = ttl;
    return ttl;
  }

  /** SO_BROADCAST: needed to send to 255.255.255.255 or a directed broadcast (else EACCES). */
  setBroadcast(flag: boolean): void {
    this.requireBound('setBroadcast');
    this.broadcast = !!flag;
  }

  /** IP_MULTICAST_LOOP: accepted; the stack never loops its datagrams back. */
  setMulticastLoopback(flag: boolean): boolean {
    this.requireBound('setMulticastLoopback');
    return flag;
  }

  /**
   * IP_MULTICAST_IF / IPV6_MULTICAST_IF: udp4 takes one of our IPv4
   * addresses (EADDRNOTAVAIL otherwise), udp6 a zone (`::%eth0`, `::%2`).
   */
  setMulticastInterface(interfaceAddress: string): void {
    if (typeof interfaceAddress !== 'string') throw invalidArg('interfaceAddress', 'a string', interfaceAddress);
    this.requireBound('setMulticastInterface');
    this.mcastIfindex = this.interfaceOf(interfaceAddress, 'setMulticastInterface');
  }

  private interfaceOf(text: string, syscall: string): number | undefined {
    if (this.type === 'udp4') {
      let a: Ip6;
      try {
        a = mapped(text);
      } catch {
        throw this.errno('EINVAL', syscall);
      }
      if (a.subarray(12).every((x) => x === 0)) return undefined; // INADDR_ANY: the routing table decides
      const i = this.host.v4Ifindex(a);
      if (i === undefined) throw this.errno('EADDRNOTAVAIL', syscall);
      return i;
    }
    const pct = text.indexOf('%');
    if (pct < 0) return undefined;
    try {
      return this.host.zoneIndex(text.slice(pct + 1));
    } catch {
      throw this.errno('EINVAL', syscall);
    }
  }

  /** IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP: MLD (RFC 3810) or IGMP (RFC 3376) joins for the first socket. */
  addMembership(multicastAddress: string, multicastInterface?: string): void {
    this.membership(true, multicastAddress, multicastInterface);
  }

  /** IP_DROP_MEMBERSHIP / IPV6_LEAVE_GROUP: EADDRNOTAVAIL when this socket had not joined. */
  dropMembership(multicastAddress: string, multicastInterface?: string): void {
    this.membership(false, multicastAddress, multicastInterface);
  }

  private membership(join: boolean, multicastAddress: string, multicastInterface: string | undefined): void {
    const syscall = join ? 'addMembership' : 'dropMembership';
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (typeof multicastAddress !== 'string') throw Object.assign(err('ERR_MISSING_ARGS', 'The "multicastAddress" argument must be specified'), {});
    let group: Ip6;
    try {
      group = this.type === 'udp4' ? mapped(multicastAddress) : parseIp6Zoned(multicastAddress).addr;
    } catch {
      throw this.errno('EINVAL', syscall);
    }
    const isGroup = this.type === 'udp4' ? (group[12] & 0xf0) === 0xe0 : isMulticast(group);
    if (!isGroup) throw this.errno('EINVAL', syscall);
    const ifindex = multicastInterface === undefined ? undefined : this.interfaceOf(multicastInterface, syscall);
    const key = `${ifindex ?? '*'}|${formatIp6(group)}`;
    if (join && this.groups.has(key)) throw this.errno('EADDRINUSE', syscall);
    if (!join && !this.groups.has(key)) throw this.errno('EADDRNOTAVAIL', syscall);
    const code = this.host.membership(join, group, ifindex);
    if (code) throw this.errno(code, syscall);
    if (join) this.groups.set(key, { group, ifindex });
    else this.groups.delete(key);
  }

  /** Like Node's: the socket keeps no event-loop handle of its own, so these only return the socket. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  private parseDest(address: string): { addr: Ip6; ifindex?: number } {
    if (this.type === 'udp4') return { addr: mapped(address === 'localhost' ? '127.0.0.1' : address) };
    const z = parseIp6Zoned(address);
    if (isMulticast(z.addr) && z.zone === undefined && isLinkLocal(z.addr)) throw err('ERR_ZONE_REQUIRED', `${address} needs a zone`);
    return { addr: z.addr, ifindex: z.zone !== undefined ? this.host.zoneIndex(z.zone) : undefined };
  }
}

/** a.b.c.d of a mapped address (:: counts as 0.0.0.0, the udp4 wildcard). */
function dotted(a: Ip6): string {
  return `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
}

function isMappedAddr(a: Ip6): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

function toBytes(msg: Uint8Array | string | Array<Uint8Array | string>): Uint8Array {
  if (typeof msg === 'string') return Buffer.from(msg);
  if (Array.isArray(msg)) return Buffer.concat(msg.map((m) => (typeof m === 'string' ? Buffer.from(m) : Buffer.from(m))));
  if (msg instanceof Uint8Array) return msg;
  throw invalidArg('msg', 'a Buffer, TypedArray, string or array of them', msg);
}

/** a.b.c.d → ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
function mapped(v4: string): Ip6 {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new WasagiError('ERR_INVALID_ADDRESS', `Invalid IPv4 address ${JSON.stringify(v4)}`);
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  m.slice(1).forEach((x, i) => (a[12 + i] = Number(x)));
  return a;
}
