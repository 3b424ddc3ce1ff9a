// In-process links: several stacks on one simulated Ethernet segment, no root,
// no kernel (tests, benchmarks, `wasagi demo`). A link is a hub: a frame written
// by one port is offered to every other port, whose hot path filters by MAC.
//
// Frames written are copied into the link's queue (the "wire") and delivered by
// flush(): automatically on the next turn of the event loop, or, for tests in
// virtual time, only when the test calls flush() (autoFlush: false).

import * as L from '../wasm/layout.generated.js';
import type { Engine } from '../wasm/instance.js';
import type { Device } from './device.js';
import { WasagiError } from '../errors.js';

export interface MemoryLinkOptions {
  /** Deliver on the next event-loop turn (default true); false: only flush() delivers. */
  autoFlush?: boolean;
  mtu?: number;
  /** Frames held on the wire before new ones are dropped (default 4096). */
  maxQueued?: number;
}

interface Queued {
  from: MemoryPort;
  frame: Uint8Array;
}

export class MemoryLink {
  readonly ports: MemoryPort[] = [];
  readonly autoFlush: boolean;
  readonly mtu: number;
  readonly maxQueued: number;
  private queue: Queued[] = [];
  private scheduled = false;
  /** Frames dropped because the wire was full. */
  dropped = 0;
  /** Observers see every frame put on the wire (captures, tests). */
  readonly taps: Array<(frame: Uint8Array, from: string) => void> = [];

  constructor(opts: MemoryLinkOptions = {}) {
    this.autoFlush = opts.autoFlush ?? true;
    this.mtu = opts.mtu ?? 1500;
    this.maxQueued = opts.maxQueued ?? 4096;
    if (!Number.isInteger(this.mtu) || this.mtu < 1280 || this.mtu > L.SLOT_SIZE - 14) {
      throw new WasagiError('ERR_INVALID_ARG', `memory link mtu must be 1280..${L.SLOT_SIZE - 14}, got ${opts.mtu}`);
    }
  }

  /** A new attachment point on this link. */
  port(name = `mem${this.ports.length}`): MemoryPort {
    const p = new MemoryPort(this, name);
    this.ports.push(p);
    return p;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Puts a frame on the wire as if `from` had sent it (simulated hosts, tests). */
  inject(from: MemoryPort, frame: Uint8Array): boolean {
    return this.enqueue(from, frame.slice());
  }

  /** @internal */
  enqueue(from: MemoryPort, frame: Uint8Array): boolean {
    if (this.queue.length >= this.maxQueued) {
      this.dropped++;
      return false;
    }
    for (const t of this.taps) t(frame, from.name);
    this.queue.push({ from, frame });
    if (this.autoFlush && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return true;
  }

  /**
   * Delivers the frames queued now (not those their delivery causes); returns
   * how many frames were delivered to ports. Call until it returns 0 to settle.
   */
  flush(): number {
    const batch = this.queue;
    this.queue = [];
    let delivered = 0;
    for (const port of this.ports) {
      if (!port.attached) continue;
      const mine = batch.filter((q) => q.from !== port);
      for (let i = 0; i < mine.length; i += L.RX_SLOTS) {
        delivered += port.deliver(mine.slice(i, i + L.RX_SLOTS).map((q) => q.frame));
      }
    }
    return delivered;
  }
}

export class MemoryPort implements Device {
  readonly kind = 'memory' as const;
  readonly ethernet = true;
  private engine?: Engine;
  private onFrames?: (n: number) => void;
  constructor(
    readonly link: MemoryLink,
    readonly name: string,
  ) {}

  get mtu(): number {
    return this.link.mtu;
  }

  get attached(): boolean {
    return this.engine !== undefined;
  }

  attach(engine: Engine, onFrames: (n: number) => void): void {
    this.engine = engine;
    this.onFrames = onFrames;
  }

  /** @internal Copies frames into RX slots and runs one burst. */
  deliver(frames: Uint8Array[]): number {
    const e = this.engine;
    if (!e || !this.onFrames) return 0;
    let n = 0;
    for (const f of frames) {
      const len = Math.min(f.length, L.SLOT_SIZE);
      e.u8.set(f.subarray(0, len), e.rxSlot(n));
      e.dv.setUint32(e.rxDesc(n) + L.DESC_LEN, len, true);
      n++;
    }
    if (n) this.onFrames(n);
    return n;
  }

  write(engine: Engine, n: number): number {
    let taken = 0;
    for (let i = 0; i < n; i++) {
      const off = engine.dv.getUint32(L.IOV_BASE + i * 8, true);
      const len = engine.dv.getUint32(L.IOV_BASE + i * 8 + 4, true);
      if (this.link.enqueue(this, engine.u8.slice(off, off + len))) taken++;
    }
    return taken;
  }

  close(): void {
    this.engine = undefined;
    this.onFrames = undefined;
    const i = this.link.ports.indexOf(this);
    if (i >= 0) this.link.ports.splice(i, 1);
  }
}

/** A new in-process Ethernet segment. */
export function createMemoryLink(opts?: MemoryLinkOptions): MemoryLink {
  return new MemoryLink(opts);
}
