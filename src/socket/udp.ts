// UDP sockets with Node's dgram.Socket surface (RFC 768; over IPv6 RFC 8200
// §8.1), on the stack rather than the kernel: bind/connect/send/close/address,
// 'listening' / 'message' / 'connect' / 'close' / 'error', Node's error codes.
// Binding follows Linux's port-space rules, IPV6_V6ONLY included (paper §4,
// src/socket/portspace.ts). The stack calls `deliver` for datagrams and sends
// through the `UdpHost` it passes in; sockets never touch devices.
//
// The argument handling, the bind/connect state machines and which errors are
// thrown, emitted or passed to callbacks follow Node's lib/dgram.js and
// libuv, so code written for node:dgram meets the same outcomes
// (test/socket/dgram-parity.test.ts plays the same scenarios on both).
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
import { WasagiError } from '../errors.js';
import { formatIp6, isMulticast, isUnspecified, parseIp6Zoned, type Ip6 } from '../wire/address.js';
import { Ip6Memo } from '../wire/memo.js';

/** The port space as sockets use it (the stack adapts src/socket/portspace.ts to this). */
export interface UdpPorts {
  bind(req: { family: 4 | 6; v6only?: boolean; reuseAddr: boolean; addr: Ip6; port: number; ifindex?: number; owner: UdpSocket }):
    | { ok: true; port: number; handle: unknown }
    | { ok: false; code: 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EINVAL' };
  unbind(handle: unknown): void;
  /**
   * The socket connected to `peer` (mapped for IPv4), or disconnected
   * (undefined): lookups score the peer, and a wildcard socket takes `local`
   * (the source the route picked) as its bound address until disconnect.
   */
  connect(handle: unknown, peer: { addr: Ip6; port: number } | undefined, local?: Ip6): void;
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
  /** The source address the stack would pick for `dst` (for getsockname after connect), if any. */
  localFor(dst: Ip6, ifindex: number | undefined): Ip6 | undefined;
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
  /** Name resolution, like dns.lookup(hostname, family, callback): wasagi has no resolver of its own. */
  lookup?: (hostname: string, family: 4 | 6, callback: (err: Error | null, address?: string, family?: number) => void) => void;
  /** Closes the socket when aborted, as Node's createSocket({ signal }). */
  signal?: AbortSignal;
}

type Resolved = { addr: Ip6; ifindex?: number; family: 4 | 6; text: string };

type SendCallback = (err: Error | null, bytes?: number) => void;

const err = (code: string, message: string): WasagiError => new WasagiError(code, message);

const ERRNO: Record<string, number> = {
  EINVAL: -22, EADDRINUSE: -98, EADDRNOTAVAIL: -99, ENODEV: -19, EACCES: -13, EBADF: -9, ENETUNREACH: -101, EAFNOSUPPORT: -97,
  ECONNREFUSED: -111, EHOSTUNREACH: -113, ENOPROTOOPT: -92, EHOSTDOWN: -112, ENONET: -64, EMSGSIZE: -90, ENOTFOUND: -3008,
};

/** Node's ErrnoException / ExceptionWithHostPort: code, errno, syscall (and address/port). */
function errnoError(code: string, syscall: string, address?: string, port?: number): WasagiError {
  const where = address !== undefined ? ` ${address}${port ? `:${port}` : ''}` : '';
  const e = err(code, `${syscall} ${code}${where}`);
  return Object.assign(e, { errno: ERRNO[code], syscall, ...(address !== undefined ? { address } : {}), ...(port ? { port } : {}) });
}

/** Node's ERR_INVALID_ARG_TYPE. */
function argType(name: string, expected: string, got: unknown): WasagiError {
  const shown = got === null || got === undefined ? String(got) : typeof got === 'object' || typeof got === 'function' ? `an instance of ${(got as object).constructor?.name ?? 'Object'}` : `type ${typeof got} (${String(got)})`;
  return err('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${shown}`);
}

function validateString(v: unknown, name: string): asserts v is string {
  if (typeof v !== 'string') throw argType(name, 'of type string', v);
}

/** Node's validatePort(port, name, allowZero = false): numbers or numeric strings 1..65535 (0 too when allowed). */
function validatePort(port: unknown, name = 'Port', allowZero = false): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw err('ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${typeof port === 'string' ? `type string ('${port}')` : String(port)}.`);
  }
  return +port | 0;
}

const isView = (b: unknown): b is ArrayBufferView => ArrayBuffer.isView(b);

function toView(b: ArrayBufferView): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Node's sliceBuffer: offset and length as uint32, ERR_BUFFER_OUT_OF_BOUNDS past the end. */
function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Uint8Array {
  let b: Uint8Array;
  if (typeof buffer === 'string') b = Buffer.from(buffer);
  else if (isView(buffer)) b = toView(buffer);
  else throw argType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  const o = Number(offset) >>> 0;
  const l = Number(length) >>> 0;
  if (o > b.byteLength) throw err('ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
  if (o + l > b.byteLength) throw err('ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
  return b.subarray(o, o + l);
}

const UNBOUND = 0;
const BINDING = 1;
const BOUND = 2;
const DISCONNECTED = 0;
const CONNECTING = 1;
const CONNECTED = 2;

export class UdpSocket extends EventEmitter {
  readonly type: 'udp6' | 'udp4';
  readonly ipv6Only: boolean;
  readonly reuseAddr: boolean;
  private bindState = UNBOUND;
  private connectState = DISCONNECTED;
  /** What the socket is bound to; port 0 after a disconnect released an unlocked port (Linux __udp_disconnect). */
  private bound?: { addr: Ip6; port: number; ifindex?: number; portLocked: boolean; addrLocked: boolean };
  /** A bind reached the "kernel" (libuv created the descriptor): getsockname works from then on. */
  private hasFd = false;
  private remote?: { addr: Ip6; port: number; ifindex?: number };
  /** The source the stack picked at connect for a wildcard-bound socket (ip4_datagram_connect / ip6_datagram_connect). */
  private connectedSrc?: Ip6;
  private closed = false;
  /** Calls waiting for a bind in progress (Node's state.queue). */
  private queue?: Array<() => void>;
  private readonly v6onlyOption: boolean | undefined;
  private ttl?: number;
  private mcastTtl?: number;
  private mcastIfindex?: number;
  private broadcast = false;
  /** Groups this socket joined: ifindex|group text → what to leave on close. */
  private readonly groups = new Map<string, { group: Ip6; ifindex: number | undefined }>();
  /** @internal the PortSpace handle */
  handle?: unknown;
  private readonly userLookup?: SocketOptions['lookup'];
  /** Address literals already parsed (bounded). */
  private readonly parsed = new Map<string, { addr: Ip6; ifindex?: number; family: 4 | 6; text: string }>();
  /** Senders' address text, memoized per (interface, address). */
  private readonly senders = new Ip6Memo<string>();

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
    if (opts.lookup !== undefined && typeof opts.lookup !== 'function') throw argType('options.lookup', 'of type function', opts.lookup);
    this.userLookup = opts.lookup;
    if (opts.signal !== undefined) {
      const signal = opts.signal;
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) throw argType('options.signal', 'an instance of AbortSignal', signal);
      const onAborted = (): void => {
        if (!this.closed) this.close();
      };
      if (signal.aborted) onAborted();
      else {
        signal.addEventListener('abort', onAborted, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAborted));
      }
    }
  }

  private healthCheck(): void {
    if (this.closed) throw err('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
  }

  /** Node's enqueue: run `fn` once the bind in progress succeeds; drop the queue if it fails. */
  private enqueue(fn: () => void): void {
    if (!this.queue) {
      this.queue = [];
      const onError = (): void => {
        this.removeListener('listening', onListening);
        this.queue = undefined;
      };
      const onListening = (): void => {
        this.removeListener('error', onError);
        const q = this.queue ?? [];
        this.queue = undefined;
        for (const f of q) f();
      };
      this.once('listening', onListening);
      this.once('error', onError);
    }
    this.queue.push(fn);
  }

  /**
   * Resolves `address` as Node's dns.lookup would for this socket: IP
   * literals of either family as they are (libuv then refuses the other
   * family with EINVAL), `localhost`, anything else ENOTFOUND. Throws
   * ERR_INVALID_ARG_TYPE for a non-string, like dns.lookup.
   */
  private lookup(address: unknown, fallback: string): (done: (r: Resolved | WasagiError) => void) => void {
    const a = address || fallback;
    validateString(a, 'hostname');
    const user = this.userLookup;
    if (user) {
      // createSocket({ lookup }): Node calls it for every address, literals included.
      return (done) =>
        user(a, this.type === 'udp4' ? 4 : 6, (e: Error | null, ip?: unknown) => {
          if (e) done(e instanceof WasagiError ? e : Object.assign(new WasagiError((e as NodeJS.ErrnoException).code ?? 'ENOTFOUND', e.message), { syscall: 'getaddrinfo', hostname: a }));
          else if (typeof ip !== 'string') done(errnoError('EINVAL', 'getaddrinfo', a));
          else done(this.resolveText(ip));
        });
    }
    return (done) =>
      queueMicrotask(() => {
        // Literals without a zone are memoized (a server answers the same peers over and over).
        const known = this.parsed.get(a);
        if (known) return done(known);
        const r = this.resolveText(a);
        if (!(r instanceof WasagiError) && r.ifindex === undefined) {
          if (this.parsed.size >= 256) this.parsed.clear();
          this.parsed.set(a, r);
        }
        done(r);
      });
  }

  private resolveText(a: string): Resolved | WasagiError {
    {
      const text = a === 'localhost' ? (this.type === 'udp4' ? '127.0.0.1' : '::1') : a;
      if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
        try {
          return { addr: mapped(text), family: 4, text };
        } catch {
          return errnoError('ENOTFOUND', 'getaddrinfo', text);
        }
      }
      try {
        const z = parseIp6Zoned(text);
        return { addr: z.addr, ifindex: z.zone !== undefined ? this.host.zoneIndex(z.zone) : undefined, family: 6, text };
      } catch (e) {
        if ((e as WasagiError).code === 'ERR_UNKNOWN_ZONE') return errnoError('EINVAL', 'getaddrinfo', text);
        return errnoError('ENOTFOUND', 'getaddrinfo', text);
      }
    }
  }

  /** The address in this socket's family: udp4 takes a.b.c.d only; udp6 any IPv6 literal (mapped ones included). */
  private fits(r: { family: 4 | 6 }): boolean {
    return this.type === 'udp4' ? r.family === 4 : r.family === 6;
  }

  /** bind([port][, address][, callback]) or bind(options[, callback]), like dgram. */
  bind(...args: unknown[]): this {
    this.healthCheck();
    if (this.bindState !== UNBOUND) throw err('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    this.bindState = BINDING;
    const cb = args.length ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      // Node: the callback goes with this bind only; a failed bind removes it.
      const removeListeners = (): void => {
        this.removeListener('error', removeListeners);
        this.removeListener('listening', onListening);
      };
      const onListening = (): void => {
        removeListeners();
        (cb as () => void).call(this);
      };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    let port: unknown = args[0];
    let address: unknown;
    if (port !== null && typeof port === 'object') {
      const o = port as { port?: unknown; address?: unknown };
      address = o.address || '';
      port = o.port;
    } else {
      address = typeof args[1] === 'function' ? '' : args[1];
    }
    if (!address) address = this.type === 'udp4' ? '0.0.0.0' : '::';
    const resolve = this.lookup(address, '');
    // libuv takes the port as an unsigned 32-bit number and keeps its low 16 bits (htons).
    const p = (Number(port || 0) >>> 0) & 0xffff;
    resolve((r) => {
      if (this.closed) return;
      if (r instanceof WasagiError) {
        this.bindState = UNBOUND;
        this.emit('error', r);
        return;
      }
      this.hasFd = true;
      const fail = (code: string): void => {
        this.bindState = UNBOUND;
        this.emit('error', errnoError(code, 'bind', r.text, p));
      };
      // libuv: an address of the other family (uv_ip4_addr/uv_ip6_addr), or UV_UDP_IPV6ONLY on AF_INET.
      if (!this.fits(r) || (this.type === 'udp4' && this.v6onlyOption)) return fail('EINVAL');
      // An unset ipv6Only leaves V6ONLY to the port space's bindv6only default (Linux's sysctl).
      const res = this.host.ports.bind({ family: this.type === 'udp4' ? 4 : 6, v6only: this.v6onlyOption, reuseAddr: this.reuseAddr, addr: r.addr, port: p, ifindex: r.ifindex, owner: this });
      if (!res.ok) return fail(res.code);
      this.bound = { addr: r.addr, port: res.port, ifindex: r.ifindex, portLocked: p !== 0, addrLocked: !isWildcard(r.addr) };
      this.handle = res.handle;
      this.bindState = BOUND;
      this.emit('listening');
    });
    return this;
  }

  /** connect(port[, address][, callback]): datagrams only to and from that peer. */
  connect(port: unknown, address?: unknown, cb?: unknown): void {
    const p = validatePort(port, 'Port', false);
    if (typeof address === 'function') {
      cb = address;
      address = '';
    } else if (address === undefined) address = '';
    validateString(address, 'address');
    if (this.connectState !== DISCONNECTED) throw err('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    this.connectState = CONNECTING;
    if (this.bindState === UNBOUND) this.bind({ port: 0 });
    const go = (): void => this.doConnect(p, address as string, typeof cb === 'function' ? (cb as (e?: Error) => void) : undefined);
    if (this.bindState !== BOUND) this.enqueue(go);
    else go();
  }

  private doConnect(port: number, address: string, cb: ((e?: Error) => void) | undefined): void {
    if (cb) this.once('connect', cb);
    const resolve = this.lookup(address, this.type === 'udp4' ? '127.0.0.1' : '::1');
    resolve((r) => {
      if (this.closed) return;
      let ex: WasagiError | undefined = r instanceof WasagiError ? r : undefined;
      if (!ex && !(r instanceof WasagiError)) {
        const code = !this.fits(r) ? 'EINVAL' : this.familyError(r.addr);
        if (code) ex = errnoError(code, 'connect', address, port);
        else {
          this.remote = { addr: r.addr, port, ifindex: r.ifindex };
          const b = this.bound!;
          if (!b.addrLocked) this.connectedSrc = this.host.localFor(r.addr, r.ifindex ?? b.ifindex);
          if (this.handle !== undefined) this.host.ports.connect(this.handle, { addr: r.addr, port }, this.connectedSrc);
        }
      }
      if (ex) {
        this.connectState = DISCONNECTED;
        const e = ex;
        queueMicrotask(() => {
          if (cb) {
            this.removeListener('connect', cb);
            cb(e);
          } else this.emit('error', e);
        });
        return;
      }
      this.connectState = CONNECTED;
      queueMicrotask(() => this.emit('connect'));
    });
  }

  /**
   * Errors Linux gives a udp6 socket for a destination of the other kind
   * (udpv6_sendmsg, ip6_datagram_connect): a V6ONLY socket cannot reach an
   * IPv4-mapped address (ENETUNREACH); one bound to a mapped address cannot
   * reach IPv6 (EAFNOSUPPORT).
   */
  private familyError(dst: Ip6): string | undefined {
    if (this.type !== 'udp6') return undefined;
    if (isMappedAddr(dst) && (this.handle as { v6only?: boolean } | undefined)?.v6only) return 'ENETUNREACH';
    if (!isMappedAddr(dst) && this.bound && isMappedAddr(this.bound.addr)) return 'EAFNOSUPPORT';
    return undefined;
  }

  disconnect(): void {
    if (this.connectState !== CONNECTED) throw err('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.remote = undefined;
    this.connectedSrc = undefined;
    this.connectState = DISCONNECTED;
    if (this.handle !== undefined) this.host.ports.connect(this.handle, undefined);
    // __udp_disconnect: a port bind() did not choose is given up (the next send picks another).
    const b = this.bound;
    if (b && !b.portLocked && this.handle !== undefined) {
      this.host.ports.unbind(this.handle);
      this.handle = undefined;
      b.port = 0;
      if (!b.addrLocked) b.addr = new Uint8Array(16);
    }
  }

  /** Linux's autobind: a socket whose port was released takes a new ephemeral one before sending. */
  private autobind(): string | undefined {
    const b = this.bound!;
    if (b.port !== 0) return undefined;
    const res = this.host.ports.bind({ family: this.type === 'udp4' ? 4 : 6, v6only: this.v6onlyOption, reuseAddr: this.reuseAddr, addr: b.addr, port: 0, ifindex: b.ifindex, owner: this });
    if (!res.ok) return res.code === 'EADDRINUSE' ? 'EAGAIN' : res.code;
    b.port = res.port;
    this.handle = res.handle;
    return undefined;
  }

  /**
   * send(msg[, offset, length][, port][, address][, callback]) exactly as
   * Node parses it; an unbound socket is bound to an ephemeral port first
   * (RFC 6056). Errors go to the callback; without one they are dropped,
   * as Node drops them (resolution errors excepted: those are emitted).
   */
  send(buffer: unknown, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    let list: Uint8Array[];
    const connected = this.connectState === CONNECTED;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) buffer = sliceBuffer(buffer, offset, length);
      else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else callback = offset;
      if (port || address) throw err('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)];
      else if (!isView(buffer)) throw argType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer);
      else list = [toView(buffer)];
    } else {
      list = buffer.map((b: unknown) => {
        if (typeof b === 'string') return Buffer.from(b);
        if (isView(b)) return toView(b);
        throw argType('buffer list arguments', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer);
      });
    }
    let dstPort = 0;
    if (!connected) dstPort = validatePort(port, 'Port', false);
    let cb = typeof callback === 'function' ? (callback as SendCallback) : undefined;
    if (typeof address === 'function') {
      cb = address as SendCallback;
      address = undefined;
    } else if (address !== null && address !== undefined) validateString(address, 'address');
    this.healthCheck();
    if (this.bindState === UNBOUND) this.bind({ port: 0 });
    const payload = list.length === 1 ? list[0].slice() : Uint8Array.from(Buffer.concat(list));
    const go = (): void => this.doSend(payload, dstPort, address as string | undefined, connected, cb);
    if (this.bindState !== BOUND) this.enqueue(go);
    else go();
  }

  private doSend(payload: Uint8Array, port: number, address: string | undefined, connected: boolean, cb: SendCallback | undefined): void {
    const resolve = connected ? undefined : this.lookup(address, this.type === 'udp4' ? '127.0.0.1' : '::1');
    const run = (r?: Resolved | WasagiError): void => {
      if (this.closed) return;
      let dst: { addr: Ip6; ifindex?: number };
      if (r) {
        if (r instanceof WasagiError) {
          if (cb) cb(r);
          else this.emit('error', r);
          return;
        }
        if (!this.fits(r)) {
          cb?.(errnoError('EINVAL', 'send', address, port));
          return;
        }
        dst = r;
      } else {
        if (!this.remote) return;
        dst = this.remote;
        port = this.remote.port;
      }
      let code = payload.length > 0xffff - 8 ? 'EMSGSIZE' : this.familyError(dst.addr);
      if (!code) code = this.autobind();
      const b = this.bound!;
      if (!code) {
        code = this.host.sendUdp({
          src: isWildcard(b.addr) ? undefined : b.addr,
          srcPort: b.port,
          dst: dst.addr,
          dstPort: port,
          ifindex: dst.ifindex ?? b.ifindex,
          payload,
          ttl: this.ttl,
          mcastTtl: this.mcastTtl,
          mcastIfindex: this.mcastIfindex,
          broadcast: this.broadcast,
        });
      }
      // Node: a synchronous send error reaches the callback only; success calls back with the length.
      if (code) cb?.(errnoError(code, 'send', address, port));
      else cb?.(null, payload.length);
    };
    if (resolve) resolve(run);
    else queueMicrotask(() => run());
  }

  close(cb?: () => void): this {
    if (typeof cb === 'function') this.on('close', cb);
    if (this.queue) {
      this.queue.push(() => this.close());
      return this;
    }
    this.healthCheck();
    this.closed = true;
    for (const g of this.groups.values()) this.host.membership(false, g.group, g.ifindex);
    this.groups.clear();
    if (this.handle !== undefined) this.host.ports.unbind(this.handle);
    this.handle = undefined;
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  /** getsockname: EBADF before a bind reached the stack; the wildcard with port 0 after a failed one. */
  address(): { address: string; family: 'IPv6' | 'IPv4'; port: number } {
    this.healthCheck();
    if (!this.hasFd || (this.bindState !== BOUND && !this.bound)) {
      if (!this.hasFd) throw errnoError('EBADF', 'getsockname');
      return { address: this.type === 'udp4' ? '0.0.0.0' : '::', family: this.type === 'udp4' ? 'IPv4' : 'IPv6', port: 0 };
    }
    const b = this.bound!;
    const a = this.connectedSrc ?? b.addr;
    return {
      address: this.type === 'udp4' ? dotted(a) : this.host.format(a, b.ifindex),
      family: this.type === 'udp4' ? 'IPv4' : 'IPv6',
      port: b.port,
    };
  }

  remoteAddress(): { address: string; family: 'IPv6' | 'IPv4'; port: number } {
    this.healthCheck();
    if (this.connectState !== CONNECTED || !this.remote) throw err('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
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
        ? { address: dotted(src), family: 'IPv4', port: srcPort, size: payload.length }
        : { address: this.senderText(src, ifindex), family: 'IPv6', port: srcPort, size: payload.length };
    this.emit('message', Buffer.from(payload), rinfo);
    return true;
  }

  private senderText(src: Ip6, ifindex: number): string {
    const hit = this.senders.get(ifindex, src);
    if (hit) return hit.value;
    const t = this.host.format(src, ifindex);
    this.senders.set(ifindex, src, t);
    return t;
  }

  /**
   * @internal An ICMP error about a datagram this socket sent to [dst]:port.
   * Like Linux without IP_RECVERR, only a connected socket hears of it
   * (RFC 1122 §4.1.3.3), and only of the hard errors the stack passes on.
   */
  icmpError(dst: Ip6, port: number, code: string): void {
    if (this.closed || !this.remote || this.remote.port !== port || !this.remote.addr.every((b, i) => b === dst[i])) return;
    const e = errnoError(code, 'recvmsg');
    queueMicrotask(() => this.emit('error', e));
  }

  // --- options (Node's dgram.Socket; errors as libuv/Linux give them) ---------------

  private requireFd(syscall: string): void {
    this.healthCheck();
    // libuv has no descriptor before bind: the option calls fail with EBADF.
    if (!this.hasFd) throw errnoError('EBADF', syscall);
  }

  /** IP_TTL / IPV6_UNICAST_HOPS: 1–255 (as an int32, like libuv). */
  setTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw argType('ttl', 'of type number', ttl);
    this.requireFd('setTTL');
    const t = ttl | 0;
    if (t < 1 || t > 255) throw errnoError('EINVAL', 'setTTL');
    this.ttl = t;
    return ttl;
  }

  /** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: 0–255 (default 1). */
  setMulticastTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw argType('ttl', 'of type number', ttl);
    this.requireFd('setMulticastTTL');
    const t = ttl | 0;
    if (t < 0 || t > 255) throw errnoError('EINVAL', 'setMulticastTTL');
    this.mcastTtl = t;
    return ttl;
  }

  /** SO_BROADCAST: needed to send to 255.255.255.255 or a directed broadcast (else EACCES). */
  setBroadcast(flag: boolean): void {
    this.requireFd('setBroadcast');
    this.broadcast = !!flag;
  }

  /** IP_MULTICAST_LOOP: accepted; the stack never loops its datagrams back. */
  setMulticastLoopback(flag: boolean): boolean {
    this.requireFd('setMulticastLoopback');
    return flag;
  }

  /**
   * IP_MULTICAST_IF / IPV6_MULTICAST_IF: udp4 takes one of our IPv4
   * addresses (EADDRNOTAVAIL otherwise), udp6 a zone (`::%eth0`, `::%2`).
   */
  setMulticastInterface(interfaceAddress: string): void {
    this.healthCheck();
    validateString(interfaceAddress, 'interfaceAddress');
    this.requireFd('setMulticastInterface');
    this.mcastIfindex = this.interfaceOf(interfaceAddress, 'setMulticastInterface');
  }

  private interfaceOf(text: string, syscall: string): number | undefined {
    if (this.type === 'udp4') {
      let a: Ip6;
      try {
        a = mapped(text);
      } catch {
        throw errnoError('EINVAL', syscall);
      }
      if (a.subarray(12).every((x) => x === 0)) return undefined; // INADDR_ANY: the routing table decides
      const i = this.host.v4Ifindex(a);
      if (i === undefined) throw errnoError('EADDRNOTAVAIL', syscall);
      return i;
    }
    const pct = text.indexOf('%');
    if (pct < 0) return undefined;
    try {
      return this.host.zoneIndex(text.slice(pct + 1));
    } catch {
      throw errnoError('EINVAL', syscall);
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
    this.healthCheck();
    if (!multicastAddress) throw err('ERR_MISSING_ARGS', 'The "multicastAddress" argument must be specified');
    validateString(multicastAddress, 'multicastAddress');
    if (multicastInterface !== undefined) validateString(multicastInterface, 'interfaceAddress');
    let group: Ip6;
    try {
      group = this.type === 'udp4' ? mapped(multicastAddress) : parseIp6Zoned(multicastAddress).addr;
    } catch {
      throw errnoError('EINVAL', syscall);
    }
    const isGroup = this.type === 'udp4' ? (group[12] & 0xf0) === 0xe0 : isMulticast(group);
    if (!isGroup) throw errnoError('EINVAL', syscall);
    const ifindex = multicastInterface === undefined ? undefined : this.interfaceOf(multicastInterface, syscall);
    const key = `${ifindex ?? '*'}|${formatIp6(group)}`;
    if (join && this.groups.has(key)) throw errnoError('EADDRINUSE', syscall);
    if (!join && !this.groups.has(key)) throw errnoError('EADDRNOTAVAIL', syscall);
    const code = this.host.membership(join, group, ifindex);
    if (code) throw errnoError(code, syscall);
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
}

const isWildcard = (a: Ip6): boolean => isUnspecified(a) || (isMappedAddr(a) && a[12] === 0 && a[13] === 0 && a[14] === 0 && a[15] === 0);

/** a.b.c.d of a mapped address (:: counts as 0.0.0.0, the udp4 wildcard). */
function dotted(a: Ip6): string {
  return `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
}

function isMappedAddr(a: Ip6): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
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
