// ICMP echo sockets, like Linux's ping sockets (net/ipv4/ping.c: socket(AF_INET
// or AF_INET6, SOCK_DGRAM, IPPROTO_ICMP / IPPROTO_ICMPV6)): an unprivileged way
// to send Echo Requests and receive the matching Echo Replies. As in Linux, the
// socket owns one echo identifier (its "port"): `send` takes an Echo Request
// message (ICMP header and data; type 8 or 128, code 0, else EINVAL), the
// stack writes the identifier and the checksum; every Echo Reply carrying the
// identifier arrives as 'message' (ICMP header and data) with the sender.

import { EventEmitter } from 'node:events';
import { WasagiError, invalidArg } from '../errors.js';

export interface EchoSocketHost {
  send(msg: Uint8Array, address: string): string | undefined;
  close(): void;
}

export class EchoSocket extends EventEmitter {
  private closed = false;

  constructor(
    readonly family: 4 | 6,
    /** The echo identifier the stack gives this socket's requests. */
    readonly identifier: number,
    private readonly host: EchoSocketHost,
  ) {
    super();
  }

  /** Sends an Echo Request to `address`; errors go to `cb` (or 'error') with Linux's errno names. */
  send(msg: Uint8Array, address: string, cb?: (err: Error | null, bytes: number) => void): void {
    if (this.closed) throw new WasagiError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (!(msg instanceof Uint8Array)) throw invalidArg('msg', 'a Buffer or Uint8Array', msg);
    if (typeof address !== 'string') throw invalidArg('address', 'a string', address);
    const copy = msg.slice();
    queueMicrotask(() => {
      if (this.closed) return;
      const code = this.host.send(copy, address);
      const e = code ? Object.assign(new WasagiError(code, `send ${code} ${address}`), { syscall: 'send' }) : null;
      if (cb) cb(e, e ? 0 : copy.length);
      else if (e) this.emit('error', e);
    });
  }

  close(cb?: () => void): void {
    if (this.closed) throw new WasagiError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    this.closed = true;
    this.host.close();
    if (cb) this.once('close', cb);
    queueMicrotask(() => this.emit('close'));
  }
}
