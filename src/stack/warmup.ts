// Warm-up: run the hot path and the stack's receive/transmit code on an
// in-process link before real traffic arrives, so V8's optimizing compilers
// (JavaScript and WebAssembly tier-up, which run on background threads) finish
// before the first real packets instead of competing with them for the CPU.
// The WebAssembly module is shared by every Engine in the process, and so is
// its tier-up state and the JavaScript functions' type feedback.

import { createMemoryLink } from '../device/memory.js';
import { Stack } from './stack.js';

/** Flood-pings between two throwaway stacks; resolves with the round trips done. */
export async function warmUp(packets = 20_000): Promise<number> {
  if (!(Number.isInteger(packets) && packets >= 0)) throw new RangeError(`warm-up packets must be a non-negative integer, got ${packets}`);
  if (packets === 0) return 0;
  const link = createMemoryLink();
  const quiet = { dadTransmits: 0, acceptRa: false, slaac: false, iid: 'eui64' as const };
  const a = new Stack({ interfaces: [{ link, name: 'warm0', mac: '02:00:00:00:00:01', addresses: ['2001:db8:ffff::1/64'], ...quiet }] });
  const b = new Stack({ interfaces: [{ link, name: 'warm0', mac: '02:00:00:00:00:02', addresses: ['2001:db8:ffff::2/64'], ...quiet }] });
  try {
    const s = await a.ping('2001:db8:ffff::2', { count: packets, flood: true, timeout: 1 }).done;
    return s.received;
  } finally {
    a.close();
    b.close();
  }
}
