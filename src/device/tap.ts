// TAP (Ethernet) and TUN (raw IPv4/IPv6) devices through the native addon
// (native/src). The addon reads bursts straight into the engine's RX slots from
// a libuv poll handle on the loop thread and writes the engine's write list in
// one call; no per-packet JavaScript runs here.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../wasm/layout.generated.js';
import type { Engine } from '../wasm/instance.js';
import type { Device } from './device.js';
import { WasagiError } from '../errors.js';

interface NativePoller {
  start(): void;
  stop(): void;
  close(): void;
  ref(): void;
  unref(): void;
  setBusyPoll(us: number): void;
}

export interface NativeAddon {
  openTun(opts: { name: string; mode: 'tap' | 'tun'; mtu?: number; create?: boolean }): { fd: number; name: string; ifindex: number; mtu: number };
  readBurst(fd: number, mem: ArrayBuffer, slotBase: number, slotSize: number, maxSlots: number, lenBase: number, lenStride: number): number;
  writeBurst(fd: number, mem: ArrayBuffer, iovBase: number, n: number): number;
  close(fd: number): void;
  Poller: new (
    fd: number,
    mem: ArrayBuffer,
    slotBase: number,
    slotSize: number,
    maxSlots: number,
    lenBase: number,
    lenStride: number,
    onFrames: (n: number) => void,
  ) => NativePoller;
}

let cached: { addon?: NativeAddon; error?: string } | undefined;

/** The addon, or a WasagiError ERR_TAP_UNAVAILABLE saying why it cannot be loaded. */
export function loadAddon(): NativeAddon {
  if (!cached) {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const file = join(root, 'build', 'Release', 'wasagi_native.node');
    if (!existsSync(file)) {
      cached = { error: `the native addon was not built (${file} is missing; run "npm run build:native" and read its errors — it needs python3, make and a C++ compiler)` };
    } else {
      try {
        cached = { addon: createRequire(import.meta.url)(file) as NativeAddon };
      } catch (e) {
        cached = { error: `the native addon failed to load: ${(e as Error).message}` };
      }
    }
  }
  if (!cached.addon) throw new WasagiError('ERR_TAP_UNAVAILABLE', `TAP/TUN mode is unavailable: ${cached.error}`);
  return cached.addon;
}

export interface TapOptions {
  name: string;
  mode?: 'tap' | 'tun';
  mtu?: number;
  /** Create the device if it does not exist (default true). */
  create?: boolean;
  /**
   * Microseconds to keep reading after a burst before going back to epoll
   * (like SO_BUSY_POLL; empty reads yield the CPU). Default 100; 0 turns it off.
   * It cuts the wake-up cost per packet under load, most of all when the peer
   * runs on another CPU, and spends at most that much CPU after the last frame.
   */
  busyPoll?: number;
}

/** Default busy-poll window in microseconds (see TapOptions.busyPoll). */
export const DEFAULT_BUSY_POLL_US = 100;

export class TapDevice implements Device {
  readonly kind: 'tap' | 'tun';
  readonly ethernet: boolean;
  readonly name: string;
  readonly mtu: number;
  readonly fd: number;
  readonly kernelIfindex: number;
  readonly busyPoll: number;
  private poller?: NativePoller;
  /** Frames the kernel did not take (queue full). */
  writeDrops = 0;

  constructor(
    private readonly addon: NativeAddon,
    opts: TapOptions,
  ) {
    this.kind = opts.mode ?? 'tap';
    this.busyPoll = opts.busyPoll ?? DEFAULT_BUSY_POLL_US;
    if (typeof this.busyPoll !== 'number' || !(this.busyPoll >= 0 && this.busyPoll <= 1000)) {
      throw new WasagiError('ERR_INVALID_ARG', `busyPoll must be 0..1000 microseconds, got ${opts.busyPoll}`);
    }
    this.ethernet = this.kind === 'tap';
    const r = addon.openTun({ name: opts.name, mode: this.kind, mtu: opts.mtu, create: opts.create });
    this.fd = r.fd;
    this.name = r.name;
    this.mtu = r.mtu;
    this.kernelIfindex = r.ifindex;
  }

  attach(engine: Engine, onFrames: (n: number) => void): void {
    if (this.poller) throw new WasagiError('ERR_INVALID_ARG', `device ${this.name} is already attached`);
    this.poller = new this.addon.Poller(this.fd, engine.buffer, L.RX_SLOT_BASE, L.SLOT_SIZE, L.RX_SLOTS, L.RX_DESC_BASE + L.DESC_LEN, L.DESC_STRIDE, onFrames);
    this.poller.setBusyPoll(this.busyPoll);
    this.poller.start();
  }

  write(engine: Engine, n: number): number {
    const w = this.addon.writeBurst(this.fd, engine.buffer, L.IOV_BASE, n);
    this.writeDrops += n - w;
    return w;
  }

  close(): void {
    this.poller?.close();
    this.poller = undefined;
    this.addon.close(this.fd);
  }
}

/** Opens (or creates) a TAP or TUN device. Throws ERR_TAP_UNAVAILABLE or the addon's ERR_TUN_* errors. */
export function openTap(opts: TapOptions): TapDevice {
  return new TapDevice(loadAddon(), opts);
}
