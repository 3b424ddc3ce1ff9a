// Virtual-time harness: stacks on memory links driven by one ManualClock and a
// seeded RNG (STYLE.md 3). Frames move only when settle() flushes the links;
// advance() steps through every deadline in order, so timers fire exactly when due.

import { ManualClock, seededRandom } from '../../src/time/clock.js';
import { createMemoryLink, type MemoryLink } from '../../src/device/memory.js';
import { Stack, type InterfaceOptions } from '../../src/stack/stack.js';
import type { StackEvent } from '../../src/stack/events.js';

export interface CapturedFrame {
  at: number;
  from: string;
  frame: Uint8Array;
}

export class Sim {
  readonly clock = new ManualClock(1000);
  readonly random: () => number;
  readonly links: MemoryLink[] = [];
  readonly stacks: Stack[] = [];
  readonly wire: CapturedFrame[] = [];
  readonly events = new Map<Stack, StackEvent[]>();

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  link(): MemoryLink {
    const l = createMemoryLink({ autoFlush: false });
    l.taps.push((frame, from) => this.wire.push({ at: this.clock.now(), from, frame: frame.slice() }));
    this.links.push(l);
    return l;
  }

  stack(...ifaces: InterfaceOptions[]): Stack {
    const s = new Stack({ clock: this.clock, random: this.random, interfaces: [] });
    const ev: StackEvent[] = [];
    this.events.set(s, ev);
    s.on('event', (e: StackEvent) => ev.push(e));
    // Unless a test asks for them: no DAD delay, EUI-64 link-locals, no SLAAC.
    for (const i of ifaces) s.addInterface({ dadTransmits: 0, iid: 'eui64', slaac: false, ...i });
    this.stacks.push(s);
    return s;
  }

  /** Delivers frames until every link is quiet (bounded). */
  settle(maxRounds = 10_000): void {
    for (let r = 0; r < maxRounds; r++) {
      let moved = 0;
      for (const l of this.links) moved += l.flush();
      if (moved === 0 && this.links.every((l) => l.pending === 0)) return;
    }
    throw new Error('links did not settle');
  }

  /** Earliest deadline over all stacks. */
  nextDeadline(): number {
    return Math.min(...this.stacks.map((s) => s.nextDeadline()));
  }

  /** Moves time forward by `ms`, firing every deadline on the way at its exact time. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    this.settle();
    for (;;) {
      const t = this.nextDeadline();
      if (t > end) break;
      this.clock.set(Math.max(t, this.clock.now()));
      for (const s of this.stacks) if (s.nextDeadline() <= this.clock.now()) s.poll();
      this.settle();
    }
    this.clock.set(end);
  }

  /** Frames captured since index `from`. */
  framesSince(from: number): CapturedFrame[] {
    return this.wire.slice(from);
  }

  close(): void {
    for (const s of this.stacks) s.close();
  }
}
