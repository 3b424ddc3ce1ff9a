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

/**
 * A seeded PRNG in [0, 1): sfc32 (Chris Doty-Humphrey's Small Fast Counter,
 * period ≥ 2^32 thanks to its counter, ~2^127 on average) seeded through
 * splitmix32, so random factors in tests are reproducible.
 */
export function seededRandom(seed: number): () => number {
  let z = seed >>> 0;
  const split = (): number => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z ^ (z >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return () => next() / 4294967296;
}
