// The ARP cache of one interface (RFC 826), with Linux's reachability states
// (net/core/neighbour.c, net/ipv4/arp.c) rather than a bare translation table.
// Kept separate from IPv6 Neighbor Discovery (src/nd/neighbor-cache.ts) on
// purpose: ARP learns from every packet by RFC 826's merge rule, ND by RFC
// 4861's tables; neither borrows the other's rules.
//
// Sans-IO (STYLE.md 1): inputs are methods named after events that take
// `now`; outputs are ArpActions the stack turns into ARP packets, frames and
// events. Every entry arms at most one deadline, for its current state, in one
// DeadlineHeap (STYLE.md 2):
//
//   INCOMPLETE  broadcast requests RETRANS_TIME apart, MCAST_SOLICIT in all;
//               then FAILED: the entry is deleted and its queued packets
//               reported (ResolutionFailed).
//   REACHABLE   for ReachableTime (BASE_REACHABLE_TIME × [0.5, 1.5)), then STALE.
//   STALE       no timer; used by the stack → DELAY.
//   DELAY       DELAY_FIRST_PROBE_TIME without confirmation → PROBE.
//   PROBE       unicast requests to the cached MAC RETRANS_TIME apart,
//               UCAST_SOLICIT in all; then FAILED (deleted).
//
// Receiving ARP (RFC 826 "Packet Reception", the merge rule): a packet from a
// sender we have an entry for updates it; an entry is created only when the
// packet's target is one of our addresses; a request for one of our addresses
// is answered. Gratuitous ARP (sender = target address, RFC 5227 §3) updates
// existing entries only — Linux's arp_accept = 0. Only a unicast reply
// asserts reachability; requests and broadcast replies only make an entry
// STALE when its address changes (Linux arp_process, neigh_update).
//
// Deliberate differences:
// - Linux keeps a FAILED entry until garbage collection; here it is deleted
//   at once (the next packet starts a new resolution).
// - Linux moves REACHABLE to DELAY instead of STALE when the entry was used
//   within the last DELAY_FIRST_PROBE_TIME; here REACHABLE always goes STALE,
//   like RFC 4861 §7.3.3 and the IPv6 cache, and the next use goes DELAY.
// - A reply for us from a sender we have no entry for creates one (STALE),
//   as RFC 826 says; Linux with arp_accept = 0 creates none.
// - Linux queues up to unres_qlen_bytes (≈ 101 packets, unres_qlen) per
//   unresolved entry; here MAX_QUEUED_PER_ENTRY = 16 — resolution takes at
//   most 3 s, and 16 packets cover a burst without letting one unresolvable
//   next hop hold a megabyte. On overflow the oldest is dropped, as in Linux.
// - Linux bounds the table with gc_thresh1..3 and periodic GC; here there is
//   a hard limit (`maxEntries`, default 1024 = gc_thresh3) with fair eviction
//   like the IPv6 cache: a new INCOMPLETE entry may only push out the oldest
//   INCOMPLETE one; any other new entry only the least recently refreshed
//   STALE one. REACHABLE, DELAY and PROBE entries are never evicted.
//
// Not here: proxy ARP, arp_ignore/arp_filter/arp_announce policies, RFC 5227
// address conflict detection (a packet whose sender address is ours is
// reported as ArpIgnored SENDER_IS_OURS for the stack to act on), static
// (permanent) entries, multiple interfaces (one cache per interface).

import { DropReason } from '../wasm/layout.generated.js';
import { DeadlineHeap } from '../time/deadlines.js';
import { NEVER, type Instant } from '../time/instant.js';
import { invalidArg } from '../errors.js';
import {
  IPV4_UNSPECIFIED, ip4Equal, ip4ToNumber, isIpv4Broadcast, isIpv4Loopback, isIpv4Multicast, isIpv4Unspecified, type Ip4,
} from '../wire/ipv4.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST, type ArpOp } from '../wire/arp.js';

/** Broadcast requests while INCOMPLETE (Linux mcast_solicit 3). */
export const MCAST_SOLICIT = 3;
/** Unicast requests while PROBE (Linux ucast_solicit 3). */
export const UCAST_SOLICIT = 3;
/** ms between requests (Linux retrans_time_ms 1000; RFC 1122 §2.3.2.1: at most one per second per destination). */
export const RETRANS_TIME = 1_000;
/** ms (Linux base_reachable_time_ms 30000). */
export const BASE_REACHABLE_TIME = 30_000;
/** ms (Linux delay_first_probe_time 5 s). */
export const DELAY_FIRST_PROBE_TIME = 5_000;
/** ReachableTime is drawn uniformly in [0.5, 1.5) × BASE_REACHABLE_TIME (Linux neigh_rand_reach_time). */
export const MIN_RANDOM_FACTOR = 0.5;
export const MAX_RANDOM_FACTOR = 1.5;
/** ReachableTime is re-drawn this often (Linux neigh_periodic_work: every 300 s). */
export const REACHABLE_TIME_REDRAW = 300_000;
/** ms after an address is learned in which a different one is ignored unless gratuitous (Linux locktime 1 s: "use the FIRST" of back-to-back replies). */
export const LOCKTIME = 1_000;
/** Packets queued per INCOMPLETE entry (Linux unres_qlen is 101; see the header). */
export const MAX_QUEUED_PER_ENTRY = 16;
/** Entries kept (Linux gc_thresh3 1024). */
export const MAX_ENTRIES = 1_024;
/** Most deadlines handled in one onDeadline call. */
export const DEADLINE_BATCH = 4_096;

export type ArpState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';

/** Tunables; defaults from defaultArpParams(). */
export interface ArpParams {
  baseReachableTime: number;
  retransTime: number;
  delayFirstProbeTime: number;
  mcastSolicit: number;
  ucastSolicit: number;
  locktime: number;
  /** Packets queued per INCOMPLETE entry. */
  maxQueued: number;
  maxEntries: number;
  /** Most INCOMPLETE entries at once (default max(16, maxEntries / 8), as in the IPv6 cache). */
  maxIncomplete: number;
}

/** The Linux defaults (net/ipv4/arp.c arp_tbl), except the queue bound (see the header). */
export function defaultArpParams(): ArpParams {
  return {
    baseReachableTime: BASE_REACHABLE_TIME,
    retransTime: RETRANS_TIME,
    delayFirstProbeTime: DELAY_FIRST_PROBE_TIME,
    mcastSolicit: MCAST_SOLICIT,
    ucastSolicit: UCAST_SOLICIT,
    locktime: LOCKTIME,
    maxQueued: MAX_QUEUED_PER_ENTRY,
    maxEntries: MAX_ENTRIES,
    maxIncomplete: Math.max(16, Math.floor(MAX_ENTRIES / 8)),
  };
}

export interface ArpEntry {
  readonly key: number;
  readonly addr: Ip4;
  state: ArpState;
  mac?: Uint8Array;
  /** Requests sent in the current INCOMPLETE or PROBE episode. */
  probes: number;
  /** Packets waiting for resolution (INCOMPLETE only). */
  queue: Uint8Array[];
  /** Source address for our requests: that of the first packet queued. */
  source?: Ip4;
  /** When the current MAC was learned (LOCKTIME). */
  updated: Instant;
  /** Position in the deadline heap (-1: none). */
  heapIndex: number;
}

/** Why a received ARP packet taught the cache nothing. */
export type ArpIgnoreReason =
  /** Sender hardware address is broadcast or multicast (RFC 1812 §3.3.2: MUST NOT believe it). */
  | 'SENDER_MAC_GROUP'
  /** Sender protocol address is multicast, broadcast or loopback (RFC 1122 §3.2.1.3: never a source). */
  | 'SENDER_IP_INVALID'
  /** Someone else claims one of our addresses (RFC 5227 §2.4): a conflict for the stack. */
  | 'SENDER_IS_OURS'
  /** A different address within LOCKTIME of the last one learned (Linux arp_process). */
  | 'LOCKTIME';

export type ArpAction =
  /** Broadcast a request for `target`, or unicast it to `unicastMac` (PROBE). */
  | { type: 'SendArpRequest'; target: Ip4; source?: Ip4; unicastMac?: Uint8Array }
  /** Reply to `to` at `toMac` that `ourAddr` is at our MAC (RFC 826). `to` is 0.0.0.0 for an RFC 5227 probe. */
  | { type: 'SendArpReply'; to: Ip4; toMac: Uint8Array; ourAddr: Ip4 }
  /** Send these IPv4 packets to `mac`. */
  | { type: 'SendQueued'; packets: Uint8Array[]; mac: Uint8Array }
  /** Resolution of `target` failed; `packets` were waiting for it (ICMP host unreachable is the stack's call, RFC 1122 §2.3.2.2). */
  | { type: 'ResolutionFailed'; target: Ip4; packets: Uint8Array[] }
  | { type: 'EntryChanged'; addr: Ip4; state: ArpState | 'FAILED' | 'EVICTED'; mac?: Uint8Array }
  | { type: 'Dropped'; reason: DropReason; count: number }
  | { type: 'ArpIgnored'; reason: ArpIgnoreReason };

/** What onArp needs to know about the packet beyond its fields. */
export interface ArpContext {
  /** Our IPv4 addresses on this interface. */
  ourAddrs: readonly Ip4[];
  /** The frame was sent to the broadcast MAC (a broadcast reply asserts no reachability). */
  broadcast?: boolean;
}

const isIp4 = (a: unknown): a is Ip4 => a instanceof Uint8Array && a.length === 4;
const isMac = (a: unknown): a is Uint8Array => a instanceof Uint8Array && a.length === 6;

export class ArpCache {
  private readonly entries = new Map<number, ArpEntry>();
  private readonly deadlines = new DeadlineHeap<ArpEntry>({
    get: (e) => (e.heapIndex >= 0 ? e.heapIndex : undefined),
    set: (e, i) => void (e.heapIndex = i),
    delete: (e) => void (e.heapIndex = -1),
  });
  /** Eviction candidates, least recently refreshed first (Map keeps insertion order). */
  private readonly staleOrder = new Map<ArpEntry, true>();
  private readonly incompleteOrder = new Map<ArpEntry, true>();
  readonly params: Readonly<ArpParams>;
  private reachableTime = 0;
  private drawnAt: Instant = -Infinity;

  /** `random` in [0, 1) draws ReachableTime (pin it in tests). Throws ERR_INVALID_ARG on bad params. */
  constructor(
    private readonly random: () => number,
    params: Partial<ArpParams> = {},
  ) {
    if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
    const p = defaultArpParams();
    for (const [k, v] of Object.entries(params) as Array<[keyof ArpParams, number | undefined]>) if (v !== undefined) p[k] = v;
    if (params.maxEntries !== undefined && params.maxIncomplete === undefined) p.maxIncomplete = Math.max(16, Math.floor(p.maxEntries / 8));
    for (const k of ['baseReachableTime', 'retransTime', 'delayFirstProbeTime'] as const) {
      if (!(p[k] > 0) || !Number.isFinite(p[k])) throw invalidArg(k, 'a positive number of ms', p[k]);
    }
    if (!(p.locktime >= 0) || !Number.isFinite(p.locktime)) throw invalidArg('locktime', 'a non-negative number of ms', p.locktime);
    for (const k of ['mcastSolicit', 'ucastSolicit', 'maxQueued', 'maxEntries', 'maxIncomplete'] as const) {
      if (!Number.isInteger(p[k]) || p[k] < 1) throw invalidArg(k, 'a positive integer', p[k]);
    }
    p.maxIncomplete = Math.min(p.maxIncomplete, p.maxEntries);
    this.params = Object.freeze(p);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Number of INCOMPLETE entries. */
  get incompleteCount(): number {
    return this.incompleteOrder.size;
  }

  get(addr: Ip4): ArpEntry | undefined {
    return isIp4(addr) ? this.entries.get(ip4ToNumber(addr)) : undefined;
  }

  list(): ArpEntry[] {
    return [...this.entries.values()];
  }

  nextDeadline(): Instant {
    return this.deadlines.next();
  }

  deadlineOf(e: ArpEntry): Instant {
    return this.deadlines.get(e) ?? NEVER;
  }

  /** ReachableTime: uniformly in [0.5, 1.5) × baseReachableTime, re-drawn every 300 s (Linux neigh_rand_reach_time, neigh_periodic_work). */
  currentReachableTime(now: Instant): number {
    if (this.reachableTime === 0 || now - this.drawnAt >= REACHABLE_TIME_REDRAW) {
      const f = MIN_RANDOM_FACTOR + (MAX_RANDOM_FACTOR - MIN_RANDOM_FACTOR) * this.random();
      this.reachableTime = this.params.baseReachableTime * f;
      this.drawnAt = now;
    }
    return this.reachableTime;
  }

  /** Whether to answer a request for `requestTargetIp`: we own it (RFC 826: "Am I the target protocol address?"). */
  answer(requestTargetIp: Ip4, ourAddrs: readonly Ip4[]): boolean {
    if (!isIp4(requestTargetIp)) throw invalidArg('requestTargetIp', 'a 4-byte Uint8Array', requestTargetIp);
    return ourAddrs.some((a) => ip4Equal(a, requestTargetIp));
  }

  /**
   * An IPv4 packet must go to the on-link `addr` and the caller has no usable
   * MAC: send it at once when the entry has one (first use of a STALE entry:
   * → DELAY), otherwise queue it on an INCOMPLETE entry, creating it and
   * broadcasting the first request. `source` is the address our requests
   * carry (the packet's own source, as Linux arp_solicit picks).
   */
  resolve(addr: Ip4, packet: Uint8Array, now: Instant, source?: Ip4): ArpAction[] {
    if (!isIp4(addr)) throw invalidArg('addr', 'a 4-byte Uint8Array', addr);
    if (isIpv4Unspecified(addr) || isIpv4Broadcast(addr) || isIpv4Multicast(addr) || isIpv4Loopback(addr)) {
      throw invalidArg('addr', 'a unicast IPv4 address (broadcast and multicast map to a MAC without ARP)', addr.join('.'));
    }
    if (!(packet instanceof Uint8Array)) throw invalidArg('packet', 'a Uint8Array', packet);
    if (source !== undefined && !isIp4(source)) throw invalidArg('source', 'a 4-byte Uint8Array', source);
    const acts: ArpAction[] = [];
    let e = this.get(addr);
    if (e && e.state !== 'INCOMPLETE' && e.mac) {
      if (e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
      acts.push({ type: 'SendQueued', packets: [packet], mac: e.mac });
      return acts;
    }
    if (!e) {
      e = this.create(addr, 'INCOMPLETE', undefined, now, acts);
      if (!e) {
        acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 });
        return acts;
      }
      e.source = source?.slice();
      e.probes = 1;
      this.deadlines.arm(e, now + this.params.retransTime);
      acts.push({ type: 'SendArpRequest', target: e.addr, source: e.source });
    }
    if (e.queue.length >= this.params.maxQueued) {
      e.queue.shift(); // the oldest goes, as in Linux __neigh_event_send
      acts.push({ type: 'Dropped', reason: DropReason.RESOLVE_QUEUE_FULL, count: 1 });
    }
    e.queue.push(packet);
    return acts;
  }

  /**
   * A valid ARP packet arrived (RFC 826 "Packet Reception"): merge the sender
   * into an existing entry; create one only when the target is us; answer a
   * request for one of our addresses. See the header for the Linux details.
   */
  onArp(op: ArpOp, senderIp: Ip4, senderMac: Uint8Array, targetIp: Ip4, now: Instant, ctx: ArpContext): ArpAction[] {
    if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY) throw invalidArg('op', 'ARP_OP_REQUEST (1) or ARP_OP_REPLY (2)', op);
    if (!isIp4(senderIp)) throw invalidArg('senderIp', 'a 4-byte Uint8Array', senderIp);
    if (!isMac(senderMac)) throw invalidArg('senderMac', 'a 6-byte Uint8Array', senderMac);
    if (!isIp4(targetIp)) throw invalidArg('targetIp', 'a 4-byte Uint8Array', targetIp);
    if (!ctx || !Array.isArray(ctx.ourAddrs)) throw invalidArg('ctx.ourAddrs', 'an array of 4-byte Uint8Arrays', ctx?.ourAddrs);
    const acts: ArpAction[] = [];
    const ours = (a: Ip4): boolean => ctx.ourAddrs.some((x) => ip4Equal(x, a));
    if (senderMac[0] & 1) {
      acts.push({ type: 'ArpIgnored', reason: 'SENDER_MAC_GROUP' });
      return acts;
    }
    if (ours(senderIp)) {
      acts.push({ type: 'ArpIgnored', reason: 'SENDER_IS_OURS' });
      return acts;
    }
    if (isIpv4Unspecified(senderIp)) {
      // An address probe (RFC 5227 §2.1.1): nothing to learn; if it asks for
      // one of ours, defend it with a reply to the prober's MAC (Linux arp_process).
      if (op === ARP_OP_REQUEST && ours(targetIp)) acts.push({ type: 'SendArpReply', to: IPV4_UNSPECIFIED.slice(), toMac: senderMac.slice(), ourAddr: targetIp.slice() });
      return acts;
    }
    if (isIpv4Multicast(senderIp) || isIpv4Broadcast(senderIp) || isIpv4Loopback(senderIp)) {
      acts.push({ type: 'ArpIgnored', reason: 'SENDER_IP_INVALID' });
      return acts;
    }
    const gratuitous = ip4Equal(senderIp, targetIp);
    const forUs = !gratuitous && ours(targetIp);
    // Linux: only a reply to our own MAC asserts reachability.
    const confirmed = op === ARP_OP_REPLY && !ctx.broadcast;
    const e = this.get(senderIp);
    if (e) this.merge(e, senderMac, confirmed, gratuitous, now, acts); // RFC 826: Merge_flag := true
    else if (forUs) this.create(senderIp, 'STALE', senderMac, now, acts); // RFC 826: "If Merge_flag is false, add the triplet"
    if (op === ARP_OP_REQUEST && forUs) {
      acts.push({ type: 'SendArpReply', to: senderIp.slice(), toMac: senderMac.slice(), ourAddr: targetIp.slice() });
    }
    return acts;
  }

  /** Upper-layer reachability confirmation (Linux neigh_confirm, e.g. TCP ACKs): the entry becomes REACHABLE. */
  confirmReachable(addr: Ip4, now: Instant): ArpAction[] {
    const acts: ArpAction[] = [];
    const e = this.get(addr);
    if (e && e.state !== 'INCOMPLETE') this.transition(e, 'REACHABLE', now, acts);
    return acts;
  }

  /** The stack sent to a STALE entry through its own copy of the MAC: STALE → DELAY. */
  onStaleUsed(addr: Ip4, now: Instant): ArpAction[] {
    const acts: ArpAction[] = [];
    const e = this.get(addr);
    if (e && e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
    return acts;
  }

  /**
   * Runs the entries whose deadline is ≤ now, at most `budget` of them; if
   * more are due, nextDeadline() is still ≤ now and the caller comes back.
   */
  onDeadline(now: Instant, budget = DEADLINE_BATCH): ArpAction[] {
    const acts: ArpAction[] = [];
    for (let e = budget > 0 ? this.deadlines.popDue(now) : undefined; e; e = --budget > 0 ? this.deadlines.popDue(now) : undefined) {
      switch (e.state) {
        case 'INCOMPLETE':
          this.onResolveTimeout(e, now, acts);
          break;
        case 'REACHABLE': // ReachableTime passed without confirmation
          this.transition(e, 'STALE', now, acts);
          break;
        case 'DELAY': // no confirmation within DELAY_FIRST_PROBE_TIME
          e.probes = 1;
          this.transition(e, 'PROBE', now, acts);
          acts.push({ type: 'SendArpRequest', target: e.addr, source: e.source, unicastMac: e.mac });
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

  /** Removes every entry (the interface went down); queued packets are reported failed. */
  flush(): ArpAction[] {
    const acts: ArpAction[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.queue.length) acts.push({ type: 'ResolutionFailed', target: e.addr, packets: e.queue });
      e.queue = [];
      this.remove(e);
    }
    return acts;
  }

  private onResolveTimeout(e: ArpEntry, now: Instant, acts: ArpAction[]): void {
    if (e.probes < this.params.mcastSolicit) {
      e.probes++;
      this.deadlines.arm(e, now + this.params.retransTime);
      acts.push({ type: 'SendArpRequest', target: e.addr, source: e.source });
      return;
    }
    acts.push({ type: 'ResolutionFailed', target: e.addr, packets: e.queue });
    e.queue = [];
    acts.push({ type: 'EntryChanged', addr: e.addr, state: 'FAILED' });
    this.remove(e);
  }

  private onProbeTimeout(e: ArpEntry, now: Instant, acts: ArpAction[]): void {
    if (e.probes < this.params.ucastSolicit) {
      e.probes++;
      this.deadlines.arm(e, now + this.params.retransTime);
      acts.push({ type: 'SendArpRequest', target: e.addr, source: e.source, unicastMac: e.mac });
      return;
    }
    acts.push({ type: 'EntryChanged', addr: e.addr, state: 'FAILED', mac: e.mac });
    this.remove(e);
  }

  /** RFC 826's merge of <sender IP, sender MAC> into an existing entry, with Linux's neigh_update rules. */
  private merge(e: ArpEntry, mac: Uint8Array, confirmed: boolean, gratuitous: boolean, now: Instant, acts: ArpAction[]): void {
    if (e.state === 'INCOMPLETE') {
      e.mac = mac.slice();
      e.updated = now;
      this.transition(e, confirmed ? 'REACHABLE' : 'STALE', now, acts);
      this.release(e, now, acts);
      return;
    }
    if (!macEqual(e.mac, mac)) {
      if (!gratuitous && now - e.updated < this.params.locktime) {
        acts.push({ type: 'ArpIgnored', reason: 'LOCKTIME' });
        return;
      }
      e.mac = mac.slice();
      e.updated = now;
      this.transition(e, confirmed ? 'REACHABLE' : 'STALE', now, acts, true);
      return;
    }
    // Same address: a confirmation refreshes REACHABLE; anything else leaves
    // the state as it is (Linux neigh_update: STALE over a valid entry with
    // an unchanged address keeps the old state).
    if (confirmed) this.transition(e, 'REACHABLE', now, acts);
  }

  /**
   * Makes room for one more entry (see the header): INCOMPLETE entries may
   * only displace INCOMPLETE ones; others only STALE ones.
   */
  private makeRoom(state: ArpState, acts: ArpAction[]): boolean {
    if (state === 'INCOMPLETE' && this.incompleteOrder.size >= this.params.maxIncomplete) {
      const victim = this.incompleteOrder.keys().next().value as ArpEntry | undefined;
      if (!victim) return false;
      this.evict(victim, acts);
    }
    if (this.entries.size < this.params.maxEntries) return true;
    if (state === 'INCOMPLETE') {
      const victim = this.incompleteOrder.keys().next().value as ArpEntry | undefined;
      if (victim) {
        this.evict(victim, acts);
        return true;
      }
    }
    const victim = this.staleOrder.keys().next().value as ArpEntry | undefined;
    if (!victim) return false;
    this.evict(victim, acts);
    return true;
  }

  private evict(e: ArpEntry, acts: ArpAction[]): void {
    if (e.queue.length) acts.push({ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: e.queue.length });
    e.queue = [];
    acts.push({ type: 'EntryChanged', addr: e.addr, state: 'EVICTED', mac: e.mac });
    this.remove(e);
  }

  private create(addr: Ip4, state: ArpState, mac: Uint8Array | undefined, now: Instant, acts: ArpAction[]): ArpEntry | undefined {
    if (!this.makeRoom(state, acts)) return undefined;
    const e: ArpEntry = { key: ip4ToNumber(addr), addr: addr.slice(), state, mac: mac?.slice(), probes: 0, queue: [], updated: now, heapIndex: -1 };
    this.entries.set(e.key, e);
    this.enter(e, state, now);
    this.changed(e, acts);
    return e;
  }

  /** The one place an entry changes state: sets exactly one deadline (or none for STALE). */
  private transition(e: ArpEntry, next: ArpState, now: Instant, acts: ArpAction[], macChanged = false): void {
    const prev = e.state;
    e.state = next;
    if (next !== 'INCOMPLETE' && next !== 'PROBE') e.probes = 0;
    this.enter(e, next, now);
    if (prev !== next || macChanged) this.changed(e, acts);
  }

  private enter(e: ArpEntry, state: ArpState, now: Instant): void {
    this.staleOrder.delete(e);
    this.incompleteOrder.delete(e);
    if (state === 'STALE') this.staleOrder.set(e, true);
    else if (state === 'INCOMPLETE') this.incompleteOrder.set(e, true);
    switch (state) {
      case 'REACHABLE':
        this.deadlines.arm(e, now + this.currentReachableTime(now));
        break;
      case 'DELAY':
        this.deadlines.arm(e, now + this.params.delayFirstProbeTime);
        break;
      case 'PROBE':
        this.deadlines.arm(e, now + this.params.retransTime);
        break;
      case 'STALE':
        this.deadlines.cancel(e);
        break;
      case 'INCOMPLETE':
        break; // armed by resolve()
    }
  }

  /** Sends the queued packets; sending to a STALE entry is its first use (→ DELAY, as Linux's neigh_resolve_output). */
  private release(e: ArpEntry, now: Instant, acts: ArpAction[]): void {
    if (e.queue.length && e.mac) {
      acts.push({ type: 'SendQueued', packets: e.queue, mac: e.mac });
      if (e.state === 'STALE') this.transition(e, 'DELAY', now, acts);
    }
    e.queue = [];
  }

  private changed(e: ArpEntry, acts: ArpAction[]): void {
    acts.push({ type: 'EntryChanged', addr: e.addr, state: e.state, mac: e.mac });
  }

  private remove(e: ArpEntry): void {
    this.deadlines.cancel(e);
    this.staleOrder.delete(e);
    this.incompleteOrder.delete(e);
    this.entries.delete(e.key);
  }
}

function macEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a) return false;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
