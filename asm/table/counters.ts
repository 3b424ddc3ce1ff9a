// MIB counters and per-reason drop counters (u64 each; WASM is the only writer).

import { COUNTERS_BASE, DROPS_BASE, DESC_VERDICT, DESC_REASON } from '../layout';
import { Verdict, DropReason, Counter } from '../verdict';

// @ts-ignore: decorator
@inline export function count(c: Counter): void {
  const p = COUNTERS_BASE + (<u32>c << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Marks a descriptor dropped for `reason` and counts the reason. */
// @ts-ignore: decorator
@inline export function dropDesc(desc: usize, reason: DropReason): void {
  store<u16>(desc + DESC_VERDICT, <u16>Verdict.DROP);
  store<u16>(desc + DESC_REASON, <u16>reason);
  const p = DROPS_BASE + (<u32>reason << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Counts a drop that has no descriptor. */
// @ts-ignore: decorator
@inline export function countDrop(reason: DropReason): void {
  const p = DROPS_BASE + (<u32>reason << 3);
  store<u64>(p, load<u64>(p) + 1);
}
