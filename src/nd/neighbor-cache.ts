// Neighbor Cache and Neighbor Unreachability Detection (RFC 4861 §5.1, §7.2, §7.3).
//
// Paper §2: every entry arms exactly one deadline for its current state in one
// DeadlineHeap — no periodic scan, no per-entry timer object. Sans-IO: inputs
// are methods named after events that take `now`; outputs are NdActions the
// stack turns into packets and events. The fast path's copy of each entry
// (address → MAC, state) lives in the WASM neighbor table, written only here.
//
// Not yet here (the Neighbor Discovery issue): UNREACHABLE with RFC 7048
// back-off, router lists, Redirect, eviction under pressure, ICMPv6
// Destination Unreachable for packets queued to a neighbor that never answered
// (they are dropped and counted as RESOLVE_FAILED).

import { NeighState, DropReason } from '../wasm/layout.generated.js';
import { DeadlineHeap } from '../time/deadlines.js';
import { NEVER, type Instant } from '../time/instant.js';
import { ip6Key, type Ip6 } from '../wire/address.js';
import type { NeighborTable } from './neighbor-table.js';

/** Protocol constants (RFC 4861 §10). */
export const MAX_MULTICAST_SOLICIT = 3; // RFC 4861 §10
export const MAX_UNICAST_SOLICIT = 3; // RFC 4861 §10
export const REACHABLE_TIME = 30_000; // ms, RFC 4861 §10
export const RETRANS_TIMER = 1_000; // ms, RFC 4861 §10
export const DELAY_FIRST_PROBE_TIME = 5_000; // ms, RFC 4861 §10
export const MIN_RANDOM_FACTOR = 0.5; // RFC 4861 §10
export const MAX_RANDOM_FACTOR = 1.5; // RFC 4861 §10
/** Packets queued per INCOMPLETE entry; the oldest is replaced on overflow (RFC 4861 §7.2.2). */
export const MAX_PENDING_PER_NEIGHBOR = 16;
/** ReachableTime is re-drawn at least this often (RFC 4861 §6.3.4: "at least every few hours"). */
export const REACHABLE_TIME_REDRAW = 2 * 3600_000;

export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';

const toTable: Record<NudState, NeighState> = {
  INCOMPLETE: NeighState.INCOMPLETE,
  REACHABLE: NeighState.REACHABLE,
  STALE: NeighState.STALE,
  DELAY: NeighState.DELAY,
  PROBE: NeighState.PROBE,
};

export interface NeighborEntry {
  readonly key: string;
  readonly ifindex: number;
  readonly addr: Ip6;
  state: NudState;
  mac?: Uint8Array;
  isRouter: boolean;
  /** Solicitations sent in the current INCOMPLETE or PROBE episode. */
  probes: number;
  /** Index in the WASM neighbor table. */
  slot: number;
  /** IPv6 packets waiting for resolution (INCOMPLETE only). */
  queue: Uint8Array[];
  /** Source to use in solicitations: that of the first queued packet (§7.2.2). */
  solicitSource?: Ip6;
}

export type NdAction =
  | { type: 'SendNeighborSolicit'; ifindex: number; target: Ip6; source?: Ip6; unicast?: { mac: Uint8Array } }
  | { type: 'SendQueued'; ifindex: number; packets: Uint8Array[] }
  | { type: 'ResolutionFailed'; ifindex: number; target: Ip6; packets: Uint8Array[] }
  | { type: 'Dropped'; reason: DropReason; count: number }
  | { type: 'NeighborChanged'; ifindex: number; addr: Ip6; state: NudState | 'FAILED' | 'DELETED'; mac?: Uint8Array; router: boolean };

export interface NdParams {
  baseReachableTime: number;
  retransTimer: number;
}

export class NeighborCache {
  private entries = new Map<string, NeighborEntry>();
  private bySlot = new Map<number, NeighborEntry>();
  private deadlines = new DeadlineHeap<NeighborEntry>();
  private reachableTime = 0;
  private drawnAt = -Infinity;
  readonly params: NdParams = { baseReachableTime: REACHABLE_TIME, retransTimer: RETRANS_TIMER };

  constructor(
    private readonly table: NeighborTable,
    private readonly random: () => number,
  ) {
    table.onRebuild = () => {
      this.bySlot.clear();
      for (const e of this.entries.values()) {
        e.slot = table.find(e.ifindex, e.addr);
        this.bySlot.set(e.slot, e);
      }
    };
  }

  get size(): number {
    return this.entries.size;
  }

  get(ifindex: number, addr: Ip6): NeighborEntry | undefined {
    return this.entries.get(key(ifindex, addr));
  }

  list(): NeighborEntry[] {
    return [...this.entries.values()];
  }

  nextDeadline(): Instant {
    return this.deadlines.next();
  }

  deadlineOf(e: NeighborEntry): Instant {
    return this.deadlines.get(e) ?? NEVER;
  }

  /** ReachableTime: uniformly in [0.5, 1.5] × BaseReachableTime, re-drawn every few hours (§6.3.2, §6.3.4). */
  currentReachableTime(now: Instant): number {
    if (now - this.drawnAt >= REACHABLE_TIME_REDRAW || this.reachableTime === 0) {
      const f = MIN_RANDOM_FACTOR + (MAX_RANDOM_FACTOR - MIN_RANDOM_FACTOR) * this.random();
      this.reachableTime = this.params.baseReachableTime * f;
      this.drawnAt = now;
    }
    return this.reachableTime;
  }

  /** Sets BaseReachableTime; ReachableTime is re-drawn at once (§6.3.4). */
  setBaseReachableTime(ms: number): void {
    this.params.baseReachableTime = ms;
    this.drawnAt = -Infinity;
  }

  /**
   * A packet must go to `addr` on `ifindex` and the fast path had no usable
   * entry (§7.2.2): queue it, creating an INCOMPLETE entry and soliciting.
   */
  resolve(ifindex: number, addr: Ip6, packet: Uint8Array, source: Ip6 | undefined, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    let e = this.get(ifindex, addr);
    if (e && e.state !== 'INCOMPLETE' && e.mac) {
      // Usable already (the fast path raced with an update): send now.
      acts.push({ type: 'SendQueued', ifindex, packets: [packet] });
      return acts;
    }
    if (!e) {
      e = this.create(ifindex, addr, 'INCOMPLETE', undefined, now, acts);
      if (!e) {
        acts.push({ type: 'Dropped', reason: DropReason.RESOLVE_QUEUE_FULL, count: 1 });
        return acts;
      }
      e.solicitSource = source;
      e.probes = 1;
      this.deadlines.arm(e, now + this.params.retransTimer);
      acts.push({ type: 'SendNeighborSolicit', ifindex, target: addr, source });
    }
    if (e.queue.length >= MAX_PENDING_PER_NEIGHBOR) {
      e.queue.shift();
      acts.push({ type: 'Dropped', reason: DropReason.RESOLVE_QUEUE_FULL, count: 1 });
    }
    e.queue.push(packet);
    return acts;
  }

  /**
   * A valid NS arrived from `src` with a Source Link-Layer Address option
   * (§7.2.3): create the entry STALE, or move it to STALE if the address changed.
   */
  onNeighborSolicit(ifindex: number, src: Ip6, sllao: Uint8Array, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    const e = this.get(ifindex, src);
    if (!e) {
      this.create(ifindex, src, 'STALE', sllao, now, acts);
      return acts;
    }
    if (e.state === 'INCOMPLETE') {
      e.mac = sllao.slice();
      this.transition(e, 'STALE', now, acts);
      this.release(e, acts);
    } else if (!macEqual(e.mac, sllao)) {
      e.mac = sllao.slice();
      this.transition(e, 'STALE', now, acts);
    }
    return acts;
  }

  /** A valid NA for `target` (§7.2.5); no entry is ever created by an NA. */
  onNeighborAdvert(
    ifindex: number,
    target: Ip6,
    na: { router: boolean; solicited: boolean; override: boolean; tllao?: Uint8Array },
    now: Instant,
  ): NdAction[] {
    const acts: NdAction[] = [];
    const e = this.get(ifindex, target);
    if (!e) return acts; // §7.2.5: no entry → silently discard
    if (e.state === 'INCOMPLETE') {
      if (!na.tllao) return acts; // §7.2.5: nothing to learn
      e.mac = na.tllao.slice();
      e.isRouter = na.router;
      this.transition(e, na.solicited ? 'REACHABLE' : 'STALE', now, acts);
      this.release(e, acts);
      return acts;
    }
    const different = na.tllao !== undefined && !macEqual(e.mac, na.tllao);
    if (!na.override && different) {
      // §7.2.5: a non-override NA never changes the cached address; a
      // REACHABLE entry becomes STALE, others are left as they are.
      if (e.state === 'REACHABLE') this.transition(e, 'STALE', now, acts);
      return acts;
    }
    if (different) e.mac = na.tllao!.slice();
    const wasRouter = e.isRouter;
    e.isRouter = na.router;
    if (na.solicited) this.transition(e, 'REACHABLE', now, acts);
    else if (different) this.transition(e, 'STALE', now, acts);
    else if (wasRouter !== e.isRouter) this.changed(e, acts);
    return acts;
  }

  /** The fast path (or the stack) sent to a STALE entry: STALE → DELAY (§7.3.3). */
  onStaleUsed(slot: number, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    const e = this.bySlot.get(slot);
    if (e && e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
    return acts;
  }

  /** Upper-layer reachability confirmation (§7.3.1): the entry becomes REACHABLE. */
  confirmReachable(ifindex: number, addr: Ip6, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    const e = this.get(ifindex, addr);
    if (e && e.state !== 'INCOMPLETE') this.transition(e, 'REACHABLE', now, acts);
    return acts;
  }

  /** Runs every entry whose deadline is ≤ now (each handler re-checks its state). */
  onDeadline(now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    for (let e = this.deadlines.popDue(now); e; e = this.deadlines.popDue(now)) {
      switch (e.state) {
        case 'INCOMPLETE':
          this.onResolutionTimeout(e, now, acts);
          break;
        case 'REACHABLE': // §7.3.3: ReachableTime passed without confirmation
          this.transition(e, 'STALE', now, acts);
          break;
        case 'DELAY': // §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME
          e.probes = 1;
          this.transition(e, 'PROBE', now, acts);
          acts.push({ type: 'SendNeighborSolicit', ifindex: e.ifindex, target: e.addr, unicast: { mac: e.mac! } });
          break;
        case 'PROBE':
          this.onProbeTimeout(e, now, acts);
          break;
        case 'STALE':
          break; // STALE has no timer
      }
    }
    return acts;
  }

  /** Removes every entry of an interface (it went away). */
  flushInterface(ifindex: number): void {
    for (const e of [...this.entries.values()]) if (e.ifindex === ifindex) this.remove(e);
  }

  private onResolutionTimeout(e: NeighborEntry, now: Instant, acts: NdAction[]): void {
    if (e.probes < MAX_MULTICAST_SOLICIT) {
      e.probes++;
      this.deadlines.arm(e, now + this.params.retransTimer);
      acts.push({ type: 'SendNeighborSolicit', ifindex: e.ifindex, target: e.addr, source: e.solicitSource });
      return;
    }
    // §7.2.2: resolution failed; the queued packets are dropped.
    acts.push({ type: 'ResolutionFailed', ifindex: e.ifindex, target: e.addr, packets: e.queue });
    e.queue = [];
    acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: 'FAILED', router: e.isRouter });
    this.remove(e);
  }

  private onProbeTimeout(e: NeighborEntry, now: Instant, acts: NdAction[]): void {
    if (e.probes < MAX_UNICAST_SOLICIT) {
      e.probes++;
      this.deadlines.arm(e, now + this.params.retransTimer);
      acts.push({ type: 'SendNeighborSolicit', ifindex: e.ifindex, target: e.addr, unicast: { mac: e.mac! } });
      return;
    }
    // §7.3.3: no answer to MAX_UNICAST_SOLICIT probes: the entry is deleted.
    acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: 'FAILED', mac: e.mac, router: e.isRouter });
    this.remove(e);
  }

  private create(ifindex: number, addr: Ip6, state: NudState, mac: Uint8Array | undefined, now: Instant, acts: NdAction[]): NeighborEntry | undefined {
    const slot = this.table.insert(ifindex, addr, toTable[state]);
    if (slot < 0) return undefined;
    const e: NeighborEntry = { key: key(ifindex, addr), ifindex, addr: addr.slice(), state, mac: mac?.slice(), isRouter: false, probes: 0, slot, queue: [] };
    this.entries.set(e.key, e);
    this.bySlot.set(slot, e);
    this.table.update(slot, toTable[state], e.mac);
    this.enter(e, state, now);
    this.changed(e, acts);
    return e;
  }

  /** The one place an entry changes state: sets the table and exactly one deadline. */
  private transition(e: NeighborEntry, next: NudState, now: Instant, acts: NdAction[]): void {
    const prev = e.state;
    e.state = next;
    if (next !== 'INCOMPLETE' && next !== 'PROBE') e.probes = 0;
    this.table.update(e.slot, toTable[next], e.mac);
    this.enter(e, next, now);
    if (prev !== next || next === 'REACHABLE' || next === 'STALE') this.changed(e, acts);
  }

  private enter(e: NeighborEntry, state: NudState, now: Instant): void {
    switch (state) {
      case 'REACHABLE':
        this.deadlines.arm(e, now + this.currentReachableTime(now));
        break;
      case 'DELAY':
        this.deadlines.arm(e, now + DELAY_FIRST_PROBE_TIME);
        break;
      case 'PROBE':
        this.deadlines.arm(e, now + this.params.retransTimer);
        break;
      case 'STALE':
        this.deadlines.cancel(e);
        break;
      case 'INCOMPLETE':
        break; // armed by resolve()
    }
  }

  private release(e: NeighborEntry, acts: NdAction[]): void {
    if (e.queue.length) acts.push({ type: 'SendQueued', ifindex: e.ifindex, packets: e.queue });
    e.queue = [];
  }

  private changed(e: NeighborEntry, acts: NdAction[]): void {
    acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: e.state, mac: e.mac, router: e.isRouter });
  }

  private remove(e: NeighborEntry): void {
    this.deadlines.cancel(e);
    this.entries.delete(e.key);
    this.bySlot.delete(e.slot);
    this.table.remove(e.slot);
  }
}

function key(ifindex: number, a: Ip6): string {
  return `${ifindex}|${ip6Key(a)}`;
}

function macEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a) return false;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
