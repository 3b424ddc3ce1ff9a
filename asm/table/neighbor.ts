// The neighbor table as the fast path sees it: address → link-layer address and
// NUD state (RFC 4861 §5.1 Neighbor Cache). TypeScript owns every entry; WASM
// only reads, and writes each entry's HINT byte when it reports the use of a
// STALE entry (STALE → DELAY, RFC 4861 §7.3.3) through the event ring.
//
// Open addressing with linear probing over the capacity TypeScript chose
// (NEIGH_CAP_WORD, a power of two; TypeScript keeps at least one slot EMPTY so
// every probe ends); the hash must match src/nd/neighbor-table.ts (neighHash).

import {
  NEIGH_BASE, NEIGH_CAP_WORD, NEIGH_STRIDE, NE_MAC, NE_STATE, NE_IFINDEX, NE_EPOCH, NE_HINT,
} from '../layout';
import { NeighState, EventKind } from '../verdict';
import { eq16, copy6 } from '../util/bytes';
import { emitEvent } from './events';

/** Hash of (ifindex, address); mirrored in TypeScript. */
// @ts-ignore: decorator
@inline export function neighHash(ifindex: u32, a: usize): u32 {
  let h = load<u32>(a) * 0x9e3779b1;
  h ^= load<u32>(a, 4) * 0x85ebca77;
  h ^= load<u32>(a, 8) * 0xc2b2ae3d;
  h ^= load<u32>(a, 12) * 0x27d4eb2f;
  h ^= ifindex * 0x165667b1;
  h ^= h >> 15;
  h *= 0x2c1b3c6d;
  h ^= h >> 12;
  return h;
}

/** Entry for (ifindex, a), or 0. */
export function neighFind(ifindex: u32, a: usize): usize {
  const cap = load<u32>(NEIGH_CAP_WORD);
  if (cap == 0 || (cap & (cap - 1)) != 0) return 0; // not configured: no entries
  const mask = cap - 1;
  let i = neighHash(ifindex, a) & mask;
  for (let n: u32 = 0; n < cap; n++) {
    const e = NEIGH_BASE + i * NEIGH_STRIDE;
    const st = <u32>load<u8>(e + NE_STATE);
    if (st == NeighState.EMPTY) return 0;
    if (st != NeighState.DELETED && <u32>load<u8>(e + NE_IFINDEX) == ifindex && eq16(e, a)) return e;
    i = (i + 1) & mask;
  }
  return 0;
}

/**
 * Link-layer address for sending to neighbor `a` on `ifindex`, written at `out`.
 * False when there is no usable entry (none, or INCOMPLETE): the caller hands
 * the packet to the control plane to resolve.
 */
export function neighResolve(ifindex: u32, a: usize, out: usize): bool {
  const e = neighFind(ifindex, a);
  if (e == 0) return false;
  const st = <u32>load<u8>(e + NE_STATE);
  if (st == NeighState.INCOMPLETE || st == NeighState.UNREACHABLE) return false;
  copy6(out, e + NE_MAC);
  if (st == NeighState.STALE) {
    const epoch = load<u8>(e + NE_EPOCH);
    if (load<u8>(e + NE_HINT) != epoch) {
      store<u8>(e + NE_HINT, epoch);
      emitEvent(EventKind.NEIGH_STALE_USED, ifindex, <u32>((e - NEIGH_BASE) / NEIGH_STRIDE));
    }
  }
  return true;
}
