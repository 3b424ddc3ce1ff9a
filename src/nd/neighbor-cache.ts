// Neighbor Cache and Neighbor Unreachability Detection (RFC 4861 §5.1, §7.2, §7.3).
//
// Paper §2: every entry arms exactly one deadline for its current state in one
// DeadlineHeap — no periodic scan, no per-entry timer object. Sans-IO: inputs
// are methods named after events that take `now`; outputs are NdActions the
// stack turns into packets and events. The fast path's copy of each entry
// (address → MAC, state) lives in the WASM neighbor table, written only here.
//
// RFC 7048: after the unicast probes of PROBE fail, the entry is not deleted
// but goes UNREACHABLE and keeps probing (multicast NS, so a neighbor that
// changed its link-layer address is found) with exponential back-off; packets
// meanwhile are reported unreachable to their sender. It is deleted when the
// back-off reaches MAX_RETRANS_TIMER without traffic wanting it.
//
// Bounded and fair: at most `maxEntries` entries and `maxIncomplete`
// INCOMPLETE ones. A new INCOMPLETE entry (remote traffic can cause them: an
// echo reply to a spoofed on-link source) may only push out the oldest
// INCOMPLETE entry; any other new entry may only push out the least recently
// refreshed STALE or UNREACHABLE non-router entry. REACHABLE, DELAY and PROBE
// entries — neighbors in use — are never evicted.

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
export const BACKOFF_MULTIPLE = 3; // RFC 7048 §3
export const MAX_RETRANS_TIMER = 60_000; // ms, RFC 7048 §3

export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'UNREACHABLE';

const toTable: Record<NudState, NeighState> = {
  INCOMPLETE: NeighState.INCOMPLETE,
  REACHABLE: NeighState.REACHABLE,
  STALE: NeighState.STALE,
  DELAY: NeighState.DELAY,
  PROBE: NeighState.PROBE,
  UNREACHABLE: NeighState.UNREACHABLE,
};

/** "Reachable or probably reachable" (RFC 4861 §6.3.6): any state but INCOMPLETE and UNREACHABLE. */
export function probablyReachable(e: NeighborEntry | undefined): boolean {
  return e !== undefined && e.state !== 'INCOMPLETE' && e.state !== 'UNREACHABLE';
}

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
  /** UNREACHABLE: the current back-off timeout, and whether traffic wanted the entry since the last probe. */
  backoff: number;
  wanted: boolean;
  /** Position in the deadline heap (-1: none); kept on the entry itself. */
  heapIndex: number;
}

/** Most deadlines handled in one onDeadline call, so a mass expiry never blocks the event loop for long. */
export const DEADLINE_BATCH = 4096;

export type NdAction =
  | { type: 'SendNeighborSolicit'; ifindex: number; target: Ip6; source?: Ip6; unicast?: { mac: Uint8Array } }
  | { type: 'SendQueued'; ifindex: number; packets: Uint8Array[]; mac: Uint8Array }
  | { type: 'ResolutionFailed'; ifindex: number; target: Ip6; packets: Uint8Array[] }
  | { type: 'NeighborUnreachable'; ifindex: number; target: Ip6; packets: Uint8Array[] }
  | { type: 'RouterFlagCleared'; ifindex: number; addr: Ip6 }
  | { type: 'Dropped'; reason: DropReason; count: number }
  | { type: 'NeighborChanged'; ifindex: number; addr: Ip6; state: NudState | 'FAILED' | 'DELETED' | 'EVICTED'; mac?: Uint8Array; router: boolean };

/** Per-interface host variables (RFC 4861 §6.3.2). */
export interface NdParams {
  baseReachableTime: number;
  retransTimer: number;
  /** The current ReachableTime and when it was drawn. */
  reachableTime: number;
  drawnAt: Instant;
}

export class NeighborCache {
  private entries = new Map<string, NeighborEntry>();
  private bySlot = new Map<number, NeighborEntry>();
  private deadlines = new DeadlineHeap<NeighborEntry>({
    get: (e) => (e.heapIndex >= 0 ? e.heapIndex : undefined),
    set: (e, i) => void (e.heapIndex = i),
    delete: (e) => void (e.heapIndex = -1),
  });
  /** Eviction candidates, oldest first (Map keeps insertion order). */
  private readonly staleOrder = new Map<NeighborEntry, true>();
  private readonly incompleteOrder = new Map<NeighborEntry, true>();
  private readonly ifParams = new Map<number, NdParams>();
  /** Most entries kept (the WASM table stays at most 3/4 full so probes stay short). */
  readonly maxEntries: number;
  /** Most INCOMPLETE entries at once. */
  readonly maxIncomplete: number;

  constructor(
    private readonly table: NeighborTable,
    private readonly random: () => number,
    limits: { maxEntries?: number; maxIncomplete?: number } = {},
  ) {
    this.maxEntries = Math.min(limits.maxEntries ?? Math.floor((table.capacity * 3) / 4), table.capacity - 1);
    this.maxIncomplete = Math.min(limits.maxIncomplete ?? Math.max(16, Math.floor(this.maxEntries / 8)), this.maxEntries);
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

  /** The host variables of an interface (RFC 4861 §6.3.2), defaults from §10 until an RA sets them. */
  paramsOf(ifindex: number): NdParams {
    let p = this.ifParams.get(ifindex);
    if (!p) {
      p = { baseReachableTime: REACHABLE_TIME, retransTimer: RETRANS_TIMER, reachableTime: 0, drawnAt: -Infinity };
      this.ifParams.set(ifindex, p);
    }
    return p;
  }

  /** ReachableTime of an interface: uniformly in [0.5, 1.5] × BaseReachableTime, re-drawn every few hours (§6.3.2, §6.3.4). */
  currentReachableTime(now: Instant, ifindex = 1): number {
    const p = this.paramsOf(ifindex);
    if (now - p.drawnAt >= REACHABLE_TIME_REDRAW || p.reachableTime === 0) {
      const f = MIN_RANDOM_FACTOR + (MAX_RANDOM_FACTOR - MIN_RANDOM_FACTOR) * this.random();
      p.reachableTime = p.baseReachableTime * f;
      p.drawnAt = now;
    }
    return p.reachableTime;
  }

  /** Sets BaseReachableTime of an interface (all when omitted); ReachableTime is re-drawn at once (§6.3.4). */
  setBaseReachableTime(ms: number, ifindex?: number): void {
    const targets = ifindex === undefined ? [...new Set([1, ...this.ifParams.keys()])] : [ifindex];
    for (const i of targets) {
      const p = this.paramsOf(i);
      p.baseReachableTime = ms;
      p.drawnAt = -Infinity;
    }
  }

  /** Sets RetransTimer of an interface (RFC 4861 §6.3.4). */
  setRetransTimer(ms: number, ifindex: number): void {
    this.paramsOf(ifindex).retransTimer = ms;
  }

  /**
   * A packet must go to `addr` on `ifindex` and the fast path had no usable
   * entry (§7.2.2): queue it, creating an INCOMPLETE entry and soliciting.
   */
  resolve(ifindex: number, addr: Ip6, packet: Uint8Array, source: Ip6 | undefined, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    let e = this.get(ifindex, addr);
    if (e && e.state === 'UNREACHABLE') {
      // RFC 7048: known unreachable; tell the sender now rather than queue.
      e.wanted = true;
      acts.push({ type: 'NeighborUnreachable', ifindex, target: addr, packets: [packet] });
      return acts;
    }
    if (e && e.state !== 'INCOMPLETE' && e.mac) {
      // Usable already: the fast path could not pick this next hop itself
      // (a redirect or a more specific route), or raced with an update. The
      // first packet to a STALE neighbor starts NUD (§7.3.3).
      if (e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
      acts.push({ type: 'SendQueued', ifindex, packets: [packet], mac: e.mac });
      return acts;
    }
    if (!e) {
      e = this.create(ifindex, addr, 'INCOMPLETE', undefined, now, acts);
      if (!e) {
        acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 });
        return acts;
      }
      e.solicitSource = source;
      e.probes = 1;
      this.deadlines.arm(e, now + this.paramsOf(e.ifindex).retransTimer);
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
      this.release(e, acts, now);
    } else if (!macEqual(e.mac, sllao) || e.state === 'UNREACHABLE') {
      // A changed address, or a sign of life from an UNREACHABLE neighbor.
      e.mac = sllao.slice();
      this.transition(e, 'STALE', now, acts);
    }
    return acts;
  }

  /**
   * A valid RA from `src` (RFC 4861 §6.3.4): record its SLLAO (creating the
   * entry STALE, or STALE when the address changed) and set IsRouter.
   */
  onRouterAdvert(ifindex: number, src: Ip6, sllao: Uint8Array | undefined, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    let e = this.get(ifindex, src);
    if (!e) {
      if (!sllao) return acts;
      e = this.create(ifindex, src, 'STALE', sllao, now, acts, true);
      if (!e) acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 });
      return acts;
    }
    const wasRouter = e.isRouter;
    e.isRouter = true;
    if (sllao && (e.state === 'INCOMPLETE' || e.state === 'UNREACHABLE' || !macEqual(e.mac, sllao))) {
      const wasIncomplete = e.state === 'INCOMPLETE';
      e.mac = sllao.slice();
      this.transition(e, 'STALE', now, acts);
      if (wasIncomplete) this.release(e, acts, now);
    } else if (!wasRouter) this.changed(e, acts);
    return acts;
  }

  /**
   * A valid Redirect to `target` (RFC 4861 §8.3): with a TLLAO the entry is
   * created STALE or updated (STALE if the address changed); IsRouter is set
   * when the target is a router (target ≠ destination).
   */
  onRedirect(ifindex: number, target: Ip6, tllao: Uint8Array | undefined, targetIsRouter: boolean, now: Instant): NdAction[] {
    const acts: NdAction[] = [];
    let e = this.get(ifindex, target);
    if (!e) {
      if (!tllao) return acts; // resolved on first use
      e = this.create(ifindex, target, 'STALE', tllao, now, acts, targetIsRouter);
      if (!e) acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 });
      return acts;
    }
    if (targetIsRouter) e.isRouter = true;
    if (tllao && (e.state === 'INCOMPLETE' || e.state === 'UNREACHABLE' || !macEqual(e.mac, tllao))) {
      const wasIncomplete = e.state === 'INCOMPLETE';
      e.mac = tllao.slice();
      this.transition(e, 'STALE', now, acts);
      if (wasIncomplete) this.release(e, acts, now);
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
      if (e.isRouter && !na.router) acts.push({ type: 'RouterFlagCleared', ifindex, addr: e.addr });
      e.isRouter = na.router;
      this.transition(e, na.solicited ? 'REACHABLE' : 'STALE', now, acts);
      this.release(e, acts, now);
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
    // §7.2.5: a router that turns host leaves the Default Router List.
    if (wasRouter && !e.isRouter) acts.push({ type: 'RouterFlagCleared', ifindex, addr: e.addr });
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

  /**
   * Runs the entries whose deadline is ≤ now (each handler re-checks its
   * state), at most DEADLINE_BATCH of them; if more are due, nextDeadline()
   * is still ≤ now and the caller comes back at once.
   */
  onDeadline(now: Instant, budget = DEADLINE_BATCH): NdAction[] {
    const acts: NdAction[] = [];
    for (let e = budget > 0 ? this.deadlines.popDue(now) : undefined; e; e = --budget > 0 ? this.deadlines.popDue(now) : undefined) {
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
        case 'UNREACHABLE':
          this.onUnreachableTimeout(e, now, acts);
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
      this.deadlines.arm(e, now + this.paramsOf(e.ifindex).retransTimer);
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
      this.deadlines.arm(e, now + this.paramsOf(e.ifindex).retransTimer);
      acts.push({ type: 'SendNeighborSolicit', ifindex: e.ifindex, target: e.addr, unicast: { mac: e.mac! } });
      return;
    }
    // RFC 7048 §3 (updating §7.3.3): no answer to MAX_UNICAST_SOLICIT probes →
    // UNREACHABLE, probing on with multicast NS and exponential back-off.
    e.backoff = this.paramsOf(e.ifindex).retransTimer * BACKOFF_MULTIPLE;
    e.wanted = false;
    this.transition(e, 'UNREACHABLE', now, acts);
    this.deadlines.arm(e, now + e.backoff);
  }

  private onUnreachableTimeout(e: NeighborEntry, now: Instant, acts: NdAction[]): void {
    if (e.backoff >= MAX_RETRANS_TIMER && !e.wanted) {
      // Probed at the longest interval and nobody wants it: forget it.
      acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: 'FAILED', mac: e.mac, router: e.isRouter });
      this.remove(e);
      return;
    }
    e.wanted = false;
    acts.push({ type: 'SendNeighborSolicit', ifindex: e.ifindex, target: e.addr });
    e.backoff = Math.min(e.backoff * BACKOFF_MULTIPLE, MAX_RETRANS_TIMER);
    this.deadlines.arm(e, now + e.backoff);
  }

  /** Number of INCOMPLETE entries. */
  get incompleteCount(): number {
    return this.incompleteOrder.size;
  }

  /**
   * Makes room for one more entry (see the header): INCOMPLETE entries may
   * only displace INCOMPLETE ones; others only STALE/UNREACHABLE non-routers.
   */
  private makeRoom(state: NudState, acts: NdAction[]): boolean {
    if (state === 'INCOMPLETE' && this.incompleteOrder.size >= this.maxIncomplete) {
      const victim = this.incompleteOrder.keys().next().value as NeighborEntry | undefined;
      if (!victim) return false;
      this.evict(victim, acts);
    }
    if (this.entries.size < this.maxEntries) return true;
    if (state === 'INCOMPLETE') {
      const victim = this.incompleteOrder.keys().next().value as NeighborEntry | undefined;
      if (victim) {
        this.evict(victim, acts);
        return true;
      }
    }
    for (const victim of this.staleOrder.keys()) {
      if (victim.isRouter) continue;
      this.evict(victim, acts);
      return true;
    }
    return false;
  }

  private evict(e: NeighborEntry, acts: NdAction[]): void {
    if (e.queue.length) acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: e.queue.length });
    e.queue = [];
    acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: 'EVICTED', mac: e.mac, router: e.isRouter });
    this.remove(e);
  }

  private create(
    ifindex: number,
    addr: Ip6,
    state: NudState,
    mac: Uint8Array | undefined,
    now: Instant,
    acts: NdAction[],
    isRouter = false,
  ): NeighborEntry | undefined {
    if (!this.makeRoom(state, acts)) return undefined;
    const slot = this.table.insert(ifindex, addr, toTable[state]);
    if (slot < 0) return undefined;
    const e: NeighborEntry = { key: key(ifindex, addr), ifindex, addr: addr.slice(), state, mac: mac?.slice(), isRouter, probes: 0, slot, queue: [], backoff: 0, wanted: false, heapIndex: -1 };
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
    this.staleOrder.delete(e);
    this.incompleteOrder.delete(e);
    if (state === 'STALE' || state === 'UNREACHABLE') this.staleOrder.set(e, true);
    else if (state === 'INCOMPLETE') this.incompleteOrder.set(e, true);
    switch (state) {
      case 'REACHABLE':
        this.deadlines.arm(e, now + this.currentReachableTime(now, e.ifindex));
        break;
      case 'DELAY':
        this.deadlines.arm(e, now + DELAY_FIRST_PROBE_TIME);
        break;
      case 'PROBE':
        this.deadlines.arm(e, now + this.paramsOf(e.ifindex).retransTimer);
        break;
      case 'STALE':
        this.deadlines.cancel(e);
        break;
      case 'INCOMPLETE':
      case 'UNREACHABLE':
        break; // armed by resolve() / onProbeTimeout()
    }
  }

  /** Sends the queued packets; sending to a STALE entry is its first use (§7.3.3: STALE → DELAY). */
  private release(e: NeighborEntry, acts: NdAction[], now: Instant): void {
    if (e.queue.length && e.mac) {
      acts.push({ type: 'SendQueued', ifindex: e.ifindex, packets: e.queue, mac: e.mac });
      if (e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
    }
    e.queue = [];
  }

  private changed(e: NeighborEntry, acts: NdAction[]): void {
    acts.push({ type: 'NeighborChanged', ifindex: e.ifindex, addr: e.addr, state: e.state, mac: e.mac, router: e.isRouter });
  }

  private remove(e: NeighborEntry): void {
    this.deadlines.cancel(e);
    this.staleOrder.delete(e);
    this.incompleteOrder.delete(e);
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
