// The work list: slot indexes rxBurst hands to the control plane (CONTROL,
// DELIVER, RESOLVE), in slot order.

import { WORK_BASE, DESC_VERDICT, DESC_REASON } from '../layout';
import { Verdict, ControlKind } from '../verdict';

let workN: u32 = 0;

// @ts-ignore: decorator
@inline export function workReset(): void {
  workN = 0;
}

// @ts-ignore: decorator
@inline export function workCount(): u32 {
  return workN;
}

/** Sets a slot's verdict and kind and appends it to the work list. */
// @ts-ignore: decorator
@inline export function toControl(desc: usize, slotIndex: u32, verdict: Verdict, kind: ControlKind): void {
  store<u16>(desc + DESC_VERDICT, <u16>verdict);
  store<u16>(desc + DESC_REASON, <u16>kind);
  store<u16>(WORK_BASE + (workN << 1), <u16>slotIndex);
  workN++;
}
