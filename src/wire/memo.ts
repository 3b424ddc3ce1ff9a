// A small direct-mapped memo keyed by (ifindex, 16-byte address), for per-peer
// answers on per-datagram paths (source selection, address text): a hash of
// the bytes picks one of 256 slots and the bytes are compared to confirm, so
// no string key is built. A collision just replaces the slot. Bounded by
// construction.

import type { Ip6 } from './address.js';

const SLOTS = 256;

export class Ip6Memo<V> {
  private readonly keys = new Uint8Array(SLOTS * 16);
  private readonly ifs = new Int32Array(SLOTS).fill(-1);
  private readonly values: Array<V | undefined> = new Array(SLOTS);

  private slot(ifindex: number, a: Ip6): number {
    let h = Math.imul(ifindex + 1, 0x9e3779b1);
    for (let i = 0; i < 16; i += 4) h = Math.imul(h ^ (a[i] | (a[i + 1] << 8) | (a[i + 2] << 16) | (a[i + 3] << 24)), 0x85ebca77) ^ (h >>> 15);
    return (h >>> 0) & (SLOTS - 1);
  }

  /** The memoized value for (ifindex, a), wrapped; null on a miss. */
  get(ifindex: number, a: Ip6): { value: V } | null {
    const s = this.slot(ifindex, a);
    if (this.ifs[s] !== ifindex) return null;
    const o = s * 16;
    for (let i = 0; i < 16; i++) if (this.keys[o + i] !== a[i]) return null;
    return { value: this.values[s] as V };
  }

  set(ifindex: number, a: Ip6, value: V): void {
    const s = this.slot(ifindex, a);
    this.ifs[s] = ifindex;
    this.keys.set(a.subarray(0, 16), s * 16);
    this.values[s] = value;
  }

  clear(): void {
    this.ifs.fill(-1);
    this.values.fill(undefined);
  }
}
