// wasagi hot path: the module's exports. Batch calls only (DESIGN.md §3):
// one rxBurst per received burst, at most one txBuild per burst.

import { LAYOUT_BASE, LAYOUT_END, MEMORY_PAGES } from './layout';
import { sumScalar, sumSimd, fold } from './csum/inet';

export { rxBurst } from './path/rx';
export { txBuild } from './path/tx';
export { neighFind } from './table/neighbor';

/** Sanity check the host runs once: static data below the map, memory large enough. */
export function layoutOk(): bool {
  return <usize>__heap_base <= <usize>LAYOUT_BASE && <usize>memory.size() >= <usize>MEMORY_PAGES && LAYOUT_END <= MEMORY_PAGES * 65536;
}

/** True when this build uses the SIMD checksum kernel. */
export function simd(): bool {
  return ASC_FEATURE_SIMD;
}

/** Internet checksum (complemented fold) of `len` bytes at `p`, scalar kernel. */
export function csumScalar(p: usize, len: u32): u32 {
  return ~fold(sumScalar(p, len)) & 0xffff;
}

/** Internet checksum (complemented fold) of `len` bytes at `p`, SIMD kernel where built. */
export function csumSimd(p: usize, len: u32): u32 {
  return ~fold(sumSimd(p, len)) & 0xffff;
}
