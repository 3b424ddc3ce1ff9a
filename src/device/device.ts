// A device moves frames between a link and the engine's memory. It never parses.
// Received frames land in RX slots 0..n-1 with their lengths in the RX
// descriptors, then the device calls onFrames(n) once per burst; frames to send
// are listed in the engine's write list (IOV table).

import type { Engine } from '../wasm/instance.js';

export type DeviceKind = 'tap' | 'tun' | 'memory';

export interface Device {
  readonly kind: DeviceKind;
  readonly name: string;
  /** Ethernet framing (TAP, memory links) or raw IP, IPv4 or IPv6 by the version nibble (TUN). */
  readonly ethernet: boolean;
  readonly mtu: number;
  /** Starts delivering bursts into the engine's RX slots. */
  attach(engine: Engine, onFrames: (n: number) => void): void;
  /** Sends the first `n` entries of the engine's write list; returns how many the device took. */
  write(engine: Engine, n: number): number;
  close(): void;
}
