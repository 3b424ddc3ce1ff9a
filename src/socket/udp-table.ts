// The WASM UDP demultiplexing table (asm/table/udp.ts, layout UDP_*), mirrored
// from the port space (src/socket/portspace.ts) so rxBurst can hand each
// unicast datagram over with its socket already found (DESIGN.md §3: TypeScript
// writes configuration, WASM reads it).
//
// Per port, a chain of entries newest first (UDP_PORT_HEAD → US_NEXT), as
// Linux's hash chain: the WASM lookup keeps the first strictly better score, so
// ties go to the socket bound last, exactly as PortSpace.lookup does. When the
// sockets do not fit in MAX_UDP_SOCKETS entries, UDP_OVERFLOW is set and WASM
// hands every datagram to TypeScript unlooked-up; it is cleared once everything
// fits again (resyncAll, or any syncPort that brings the total back in range).

import type { Engine } from '../wasm/instance.js';
import * as L from '../wasm/layout.generated.js';
import type { BoundUdpSocket } from './portspace.js';

const isMapped = (a: Uint8Array): boolean =>
  a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0 &&
  a[6] === 0 && a[7] === 0 && a[8] === 0 && a[9] === 0 && a[10] === 0xff && a[11] === 0xff;

/** Mirrors bound UDP sockets into the WASM table; `socketAt` maps rxBurst's entry index back. */
export class UdpDemuxTable {
  private readonly engine: Engine;
  /** The socket in each entry (index = entry index). */
  private readonly entries: Array<BoundUdpSocket | undefined> = new Array(L.MAX_UDP_SOCKETS).fill(undefined);
  /** Entry indexes in use per port, oldest first. */
  private readonly byPort = new Map<number, number[]>();
  /** Free entry indexes; popped from the end (lowest first). */
  private readonly free: number[] = [];
  /** What each port should hold (bind order), kept so an overflow can be undone. */
  private readonly wanted = new Map<number, readonly BoundUdpSocket[]>();
  private wantedTotal = 0;
  private overflowed = false;

  /**
   * `connected` tells which sockets are connected: their entries carry
   * USF_CONNECTED, and WASM leaves datagrams that fit them to TypeScript,
   * which scores the peer (PortSpace.lookup with the source).
   */
  constructor(
    engine: Engine,
    private readonly connected: (s: BoundUdpSocket) => boolean = () => false,
  ) {
    this.engine = engine;
    this.clear();
  }

  /** True when UDP_OVERFLOW is set: WASM leaves every UDP lookup to TypeScript. */
  get overflow(): boolean {
    return this.overflowed;
  }

  /** Entries in use. */
  get size(): number {
    return L.MAX_UDP_SOCKETS - this.free.length;
  }

  /** The socket of entry `index` (RX_SOCK_BASE's value for a DELIVER slot); undefined for 0xffffffff or a free entry. */
  socketAt(index: number): BoundUdpSocket | undefined {
    return index >= 0 && index < L.MAX_UDP_SOCKETS ? this.entries[index] : undefined;
  }

  /**
   * Makes `port`'s chain hold exactly `sockets` (bind order, oldest first, as
   * PortSpace.socketsOn returns them; an empty list clears the port). Call it
   * after every bind and unbind on the port.
   */
  syncPort(port: number, sockets: readonly BoundUdpSocket[]): void {
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`UDP port must be 1..65535, got ${port}`);
    this.wantedTotal += sockets.length - (this.wanted.get(port)?.length ?? 0);
    if (sockets.length === 0) this.wanted.delete(port);
    else this.wanted.set(port, sockets.slice());
    if (this.overflowed) {
      // Nothing WASM reads matters until everything fits; then write it all.
      if (this.wantedTotal <= L.MAX_UDP_SOCKETS) this.rewrite();
      return;
    }
    this.freePort(port);
    if (sockets.length > this.free.length) {
      this.setOverflow(true);
      return;
    }
    this.writePort(port, sockets);
  }

  /** Rewrites the whole table from `all` (port → sockets in bind order); clears UDP_OVERFLOW if everything fits. */
  resyncAll(all: ReadonlyMap<number, readonly BoundUdpSocket[]>): void {
    this.wanted.clear();
    this.wantedTotal = 0;
    for (const [port, list] of all) {
      if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`UDP port must be 1..65535, got ${port}`);
      if (list.length === 0) continue;
      this.wanted.set(port, list.slice());
      this.wantedTotal += list.length;
    }
    this.rewrite();
  }

  private rewrite(): void {
    this.clear();
    if (this.wantedTotal > L.MAX_UDP_SOCKETS) {
      this.setOverflow(true);
      return;
    }
    for (const [port, list] of this.wanted) this.writePort(port, list);
    this.setOverflow(false);
  }

  private clear(): void {
    const { u8 } = this.engine;
    u8.fill(0, L.UDP_PORT_HEAD, L.UDP_PORT_HEAD + 65536 * 2);
    u8.fill(0, L.UDP_SOCK_BASE, L.UDP_SOCK_BASE + L.MAX_UDP_SOCKETS * L.UDP_SOCK_STRIDE);
    this.entries.fill(undefined);
    this.byPort.clear();
    this.free.length = 0;
    for (let i = L.MAX_UDP_SOCKETS - 1; i >= 0; i--) this.free.push(i);
    this.setOverflow(false);
  }

  private setOverflow(on: boolean): void {
    this.overflowed = on;
    this.engine.dv.setUint32(L.UDP_OVERFLOW, on ? 1 : 0, true);
  }

  private freePort(port: number): void {
    const old = this.byPort.get(port);
    this.engine.dv.setUint16(L.UDP_PORT_HEAD + port * 2, 0, true);
    if (!old) return;
    const { u8 } = this.engine;
    for (let k = old.length - 1; k >= 0; k--) {
      const i = old[k];
      const e = L.UDP_SOCK_BASE + i * L.UDP_SOCK_STRIDE;
      u8.fill(0, e, e + L.UDP_SOCK_STRIDE);
      this.entries[i] = undefined;
      this.free.push(i);
    }
    this.byPort.delete(port);
  }

  /** Writes `sockets` (oldest first) as a chain whose head is the newest. Requires enough free entries. */
  private writePort(port: number, sockets: readonly BoundUdpSocket[]): void {
    const { u8, dv } = this.engine;
    const used: number[] = [];
    let older = 0; // 1 + index of the previous (older) entry
    for (const s of sockets) {
      const i = this.free.pop() as number;
      const e = L.UDP_SOCK_BASE + i * L.UDP_SOCK_STRIDE;
      u8.fill(0, e, e + L.UDP_SOCK_STRIDE);
      // udp6: the bound address (:: is the wildcard). udp4: unused.
      if (s.family === 6) u8.set(s.addr, e + L.US_V6);
      // The IPv4 side: a udp4 socket's address, or a udp6 socket's mapped one;
      // 0 (wildcard) for 0.0.0.0 and ::. A udp6 socket bound to a plain IPv6
      // address is V6ONLY, so its IPv4 word is never read.
      if (s.family === 4 || isMapped(s.addr)) u8.set(s.addr.subarray(12, 16), e + L.US_V4);
      dv.setUint16(e + L.US_NEXT, older, true);
      u8[e + L.US_FAMILY] = s.family;
      u8[e + L.US_FLAGS] = (s.family === 6 && s.v6only ? L.USF_V6ONLY : 0) | (this.connected(s) ? L.USF_CONNECTED : 0);
      dv.setUint32(e + L.US_DEV, s.ifindex ?? 0, true);
      this.entries[i] = s;
      used.push(i);
      older = i + 1;
    }
    if (used.length > 0) this.byPort.set(port, used);
    dv.setUint16(L.UDP_PORT_HEAD + port * 2, older, true);
  }
}
