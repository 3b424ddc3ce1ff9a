// Clocks. SystemClock is the only place that reads real time; ManualClock is the
// virtual time every state-machine test runs on (STYLE.md 1, 3).

import { performance } from 'node:perf_hooks';
import type { Instant } from './instant.js';

export interface Clock {
  now(): Instant;
  /** True when time only moves when told to (tests): the stack then arms no timers. */
  readonly manual: boolean;
}

/** Monotonic real time (performance.now()). */
export class SystemClock implements Clock {
  readonly manual = false;
  now(): Instant {
    return performance.now();
  }
}

/** Virtual time, advanced explicitly. */
export class ManualClock implements Clock {
  readonly manual = true;
  private t: Instant;
  constructor(start: Instant = 0) {
    this.t = start;
  }
  now(): Instant {
    return this.t;
  }
  /** Moves time to `t` (never backwards). */
  set(t: Instant): void {
    if (t < this.t) throw new RangeError(`ManualClock cannot go back from ${this.t} to ${t}`);
    this.t = t;
  }
  advance(ms: number): void {
    this.set(this.t + ms);
  }
}

/** A seeded PRNG (xorshift128+ folded to [0, 1)) so random factors are reproducible. */
export function seededRandom(seed: number): () => number {
  let s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let s1 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
}
