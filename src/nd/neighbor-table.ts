// The WASM neighbor table seen from TypeScript, its only writer (DESIGN.md §3).
// Open addressing with linear probing; the hash mirrors asm/table/neighbor.ts.
// Deleted entries become tombstones; when tombstones pass a quarter of the
// table it is rebuilt in place so probe chains stay short.

import * as L from '../wasm/layout.generated.js';
import type { Engine } from '../wasm/instance.js';
import type { Ip6 } from '../wire/address.js';

const le32 = (a: Ip6, o: number): number => (a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) >>> 0;

/** Must equal neighHash in asm/table/neighbor.ts. */
export function neighHash(ifindex: number, a: Ip6): number {
  let h = Math.imul(le32(a, 0), 0x9e3779b1);
  h ^= Math.imul(le32(a, 4), 0x85ebca77);
  h ^= Math.imul(le32(a, 8), 0xc2b2ae3d);
  h ^= Math.imul(le32(a, 12), 0x27d4eb2f);
  h ^= Math.imul(ifindex, 0x165667b1);
  h >>>= 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return h >>> 0;
}

export class NeighborTable {
  private used = 0;
  private tombstones = 0;
  private readonly cap: number;
  private readonly mask: number;
  constructor(private readonly engine: Engine) {
    this.cap = engine.neighborCapacity;
    this.mask = this.cap - 1;
  }

  get capacity(): number {
    return this.cap;
  }

  get size(): number {
    return this.used;
  }

  private base(i: number): number {
    return L.NEIGH_BASE + i * L.NEIGH_STRIDE;
  }

  private state(i: number): number {
    return this.engine.u8[this.base(i) + L.NE_STATE];
  }

  /** Index of the entry for (ifindex, a), or -1. */
  find(ifindex: number, a: Ip6): number {
    const u8 = this.engine.u8;
    let i = neighHash(ifindex, a) & this.mask;
    for (let n = 0; n < this.cap; n++) {
      const b = this.base(i);
      const st = u8[b + L.NE_STATE];
      if (st === L.NeighState.EMPTY) return -1;
      if (st !== L.NeighState.DELETED && u8[b + L.NE_IFINDEX] === ifindex && equalAt(u8, b, a)) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Inserts (or finds) an entry; -1 when the table is full (the caller evicts). */
  insert(ifindex: number, a: Ip6, state: L.NeighState): number {
    const found = this.find(ifindex, a);
    if (found >= 0) return found;
    // Keep at least one EMPTY slot so probe loops in WASM always end early.
    if (this.used + 1 >= this.cap) return -1;
    if (this.tombstones > this.cap / 4) this.rebuild();
    const u8 = this.engine.u8;
    let i = neighHash(ifindex, a) & this.mask;
    for (;;) {
      const st = this.state(i);
      if (st === L.NeighState.EMPTY || st === L.NeighState.DELETED) {
        if (st === L.NeighState.DELETED) this.tombstones--;
        const b = this.base(i);
        u8.fill(0, b, b + L.NEIGH_STRIDE);
        u8.set(a, b);
        u8[b + L.NE_IFINDEX] = ifindex;
        u8[b + L.NE_STATE] = state;
        this.used++;
        return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Writes state and link-layer address, bumping the epoch so WASM may report a use again. */
  update(i: number, state: L.NeighState, mac: Uint8Array | undefined): void {
    const u8 = this.engine.u8;
    const b = this.base(i);
    if (mac) u8.set(mac.subarray(0, 6), b + L.NE_MAC);
    u8[b + L.NE_STATE] = state;
    u8[b + L.NE_EPOCH] = (u8[b + L.NE_EPOCH] + 1) & 0xff;
  }

  remove(i: number): void {
    const b = this.base(i);
    this.engine.u8[b + L.NE_STATE] = L.NeighState.DELETED;
    this.used--;
    this.tombstones++;
  }

  /** Address stored at entry i (a copy). */
  addressAt(i: number): Ip6 {
    const b = this.base(i);
    return this.engine.u8.slice(b, b + 16);
  }

  ifindexAt(i: number): number {
    return this.engine.u8[this.base(i) + L.NE_IFINDEX];
  }

  private rebuild(): void {
    const u8 = this.engine.u8;
    const start = L.NEIGH_BASE;
    const end = L.NEIGH_BASE + this.cap * L.NEIGH_STRIDE;
    const live: Uint8Array[] = [];
    for (let i = 0; i < this.cap; i++) {
      const st = this.state(i);
      if (st !== L.NeighState.EMPTY && st !== L.NeighState.DELETED) live.push(u8.slice(this.base(i), this.base(i) + L.NEIGH_STRIDE));
    }
    u8.fill(0, start, end);
    this.used = 0;
    this.tombstones = 0;
    for (const e of live) {
      const a = e.subarray(0, 16);
      const i = this.insert(e[L.NE_IFINDEX], a, e[L.NE_STATE]);
      u8.set(e, this.base(i));
    }
    this.onRebuild?.();
  }

  /** Called after a rebuild moved entries; owners re-find their indexes. */
  onRebuild?: () => void;
}

function equalAt(u8: Uint8Array, off: number, a: Ip6): boolean {
  for (let k = 0; k < 16; k++) if (u8[off + k] !== a[k]) return false;
  return true;
}
