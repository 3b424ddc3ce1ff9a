// The write list: (offset, length) pairs handed to the device in one call.

import { IOV_BASE, IOV_MAX } from '../layout';

let iovN: u32 = 0;

// @ts-ignore: decorator
@inline export function iovReset(): void {
  iovN = 0;
}

// @ts-ignore: decorator
@inline export function iovCount(): u32 {
  return iovN;
}

/** Sets the count (txBuild appends after rxBurst's entries). */
// @ts-ignore: decorator
@inline export function iovSet(n: u32): void {
  iovN = n < IOV_MAX ? n : IOV_MAX;
}

/** Appends a frame; false when the list is full. */
// @ts-ignore: decorator
@inline export function iovPush(off: usize, len: u32): bool {
  if (iovN >= IOV_MAX) return false;
  const p = IOV_BASE + (iovN << 3);
  store<u32>(p, <u32>off);
  store<u32>(p, len, 4);
  iovN++;
  return true;
}
