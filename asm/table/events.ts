// The event ring: WASM reports hints to the control plane (DESIGN.md §3).
// WASM advances EVENT_HEAD; TypeScript advances EVENT_TAIL after draining.
// A full ring drops the event and counts it in EVENT_LOST; TypeScript then
// re-scans the neighbor table, so nothing is lost for good.

import { EVENT_HEAD, EVENT_TAIL, EVENT_LOST, EVENT_BASE, EVENT_CAPACITY, EVENT_STRIDE } from '../layout';
import { EventKind } from '../verdict';

export function emitEvent(kind: EventKind, ifindex: u32, arg: u32): void {
  const head = load<u32>(EVENT_HEAD);
  const tail = load<u32>(EVENT_TAIL);
  if (head - tail >= EVENT_CAPACITY) {
    store<u32>(EVENT_LOST, load<u32>(EVENT_LOST) + 1);
    return;
  }
  const p = EVENT_BASE + (head & (EVENT_CAPACITY - 1)) * EVENT_STRIDE;
  store<u16>(p, <u16>kind);
  store<u16>(p, <u16>ifindex, 2);
  store<u32>(p, arg, 4);
  store<u32>(EVENT_HEAD, head + 1);
}
