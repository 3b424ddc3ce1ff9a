// Multicast listener core, host side: the state machine MLDv2 (RFC 3810 §6)
// and IGMPv3 (RFC 3376 §5) share — RFC 3810 was written from RFC 3376 — with
// the compatibility modes both keep for older Queriers (RFC 3810 §8.2,
// RFC 3376 §7.2). src/mld/listener.ts and src/ipv4/igmp.ts are thin adapters
// over it; a ListenerFamily says what differs (address key, which groups are
// reportable, message builders, version numbers).
//
// Sans-IO: inputs take `now`, outputs are the family's actions. Every timer
// is one deadline in one DeadlineHeap, keyed `g|if` Interface Timer (General
// Query response), `q|if|group` group timer, `sc|if` State Change
// retransmission, `v<N>|if` Older Version Querier Present timer for version N.
// The interface's Host Compatibility Mode is read from those last timers: the
// oldest version whose timer runs, else the current version.
//
// Per-interface state (RFC 3810 §4, RFC 3376 §3.2) is kept as filter mode and
// source list, but only any-source listening is driven: join makes it
// EXCLUDE {}, the last leave INCLUDE {}. Joins are counted: only the first
// join and the last leave change the state and send a report.
//
// Queried sources (rules 3–5 of RFC 3376 §5.2, RFC 3810 §6.2) are recorded
// as the caller passes them: a family that passes none answers every
// source-specific Query with the group's whole state.

import { invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';
import { McastRecordType } from '../wire/mld.js';

/** One Multicast Address Record (RFC 3810 §5.2.4) or Group Record (RFC 3376 §4.2.4). */
export interface GroupRecord<A> {
  type: McastRecordType;
  group: A;
  sources: A[];
}

/** What differs between MLD and IGMP. */
export interface ListenerFamily<A extends Uint8Array, Act> {
  /** The current protocol version: 2 for MLDv2, 3 for IGMPv3. */
  readonly version: number;
  /** Older versions a Query can put an interface in, oldest first (the oldest present Querier wins). */
  readonly olderVersions: readonly number[];
  /** A string naming an address, for maps and deadline keys. */
  key(a: A): string;
  /** Whether messages are ever sent about `group`. */
  isReportable(group: A): boolean;
  /** Current-version Reports carrying `records`, as many as `mtu` needs. */
  reports(ifindex: number, records: GroupRecord<A>[], mtu: number): Act[];
  /** An older-version Report for `group`. */
  olderReport(ifindex: number, group: A, version: number): Act;
  /** What the last leave sends in an older version if we were the last reporter, or undefined. */
  olderLeave(ifindex: number, group: A, version: number): Act | undefined;
  /**
   * Order details kept so seeded runs replay as before the two machines were
   * merged: IGMP draws a Group-Specific Query's delay before looking the group
   * up (so a query for a group not joined still uses one random number), and
   * arms an Older Version Querier Present timer before cancelling the
   * current-version work (which orders ties in the heap); MLD does both the
   * other way round.
   */
  readonly drawDelayBeforeLookup: boolean;
  readonly armOlderTimerFirst: boolean;
}

/** Defaults, already validated by the adapter. */
export interface ListenerConfig {
  /** [Robustness Variable] until a Query says otherwise. */
  robustness: number;
  /** [Query Interval] in ms until a Query says otherwise. */
  queryInterval: number;
  /** [Query Response Interval] in ms, for the Older Version Querier Present Timeout. */
  queryResponseInterval: number;
  /** [Unsolicited Report Interval] in ms in the current version, and in the older ones. */
  unsolicitedReportInterval: number;
  olderUnsolicitedReportInterval: number;
  /** Link MTU reports are split for, unless setMtu gives an interface its own. */
  mtu: number;
}

/** A Query as the core needs it; the adapter has dropped malformed ones. */
export interface ListenerQuery<A> {
  version: number;
  /** A General Query (group unspecified). */
  general: boolean;
  group: A;
  /** ms. */
  maxResponseDelay: number;
  /** Querier's Robustness Variable, 0 when above 7 (read from current-version Queries only). */
  qrv: number;
  /** Querier's Query Interval in seconds (read from current-version Queries only). */
  qqi: number;
  /** Queried sources to record for the response; none means the whole state. */
  sources: A[];
}

/** A group listened to, or one still being left, on one interface. */
interface GroupEntry<A> {
  readonly group: A;
  readonly key: string;
  /** Joins not yet left; 0 while only a leave's retransmissions keep the entry. */
  refs: number;
  /** Filter mode and source list. Any-source listening is EXCLUDE {}; INCLUDE {} is no listening. */
  filterMode: 'INCLUDE' | 'EXCLUDE';
  sources: A[];
  /** The Filter Mode Change record being retransmitted, and how many more times it goes out. */
  change: McastRecordType.CHANGE_TO_INCLUDE_MODE | McastRecordType.CHANGE_TO_EXCLUDE_MODE | undefined;
  retransmissions: number;
  /** Sources recorded from source-specific Queries for the pending response; empty = whole state. */
  pendingSources: A[];
  /** Older versions' "last reporter" flag (RFC 2710 §4, RFC 2236 §3): cleared when another node's Report suppressed ours. */
  lastReporter: boolean;
}

interface Iface<A> {
  /** [Robustness Variable] and [Query Interval] (ms), adopted from current-version Queries. */
  robustness: number;
  queryInterval: number;
  mtu: number;
  readonly groups: Map<string, GroupEntry<A>>;
}

export class ListenerCore<A extends Uint8Array, Act> {
  private readonly ifaces = new Map<number, Iface<A>>();
  private readonly heap = new DeadlineHeap<string>();

  constructor(
    private readonly random: () => number,
    private readonly family: ListenerFamily<A, Act>,
    private readonly config: ListenerConfig,
  ) {}

  nextDeadline(): Instant {
    return this.heap.next();
  }

  /** Groups listened to on an interface (joined and not left), reportable or not. */
  groups(ifindex: number): A[] {
    const i = this.ifaces.get(ifindex);
    return i ? [...i.groups.values()].filter((g) => g.refs > 0).map((g) => g.group.slice() as A) : [];
  }

  /** Host Compatibility Mode as a version number: the oldest whose Querier Present timer runs, else the current one. */
  version(ifindex: number): number {
    for (const v of this.family.olderVersions) if (this.heap.get(`v${v}|${ifindex}`) !== undefined) return v;
    return this.family.version;
  }

  robustnessOf(ifindex: number): number {
    return this.ifaces.get(ifindex)?.robustness ?? this.config.robustness;
  }

  setMtu(ifindex: number, mtu: number): void {
    this.iface(ifindex).mtu = mtu;
  }

  /** Forgets an interface: its groups, modes and timers. Nothing is sent. */
  stop(ifindex: number): void {
    const i = this.ifaces.get(ifindex);
    if (!i) return;
    for (const g of i.groups.values()) this.heap.cancel(`q|${ifindex}|${g.key}`);
    this.heap.cancel(`g|${ifindex}`);
    this.heap.cancel(`sc|${ifindex}`);
    for (const v of this.family.olderVersions) this.heap.cancel(`v${v}|${ifindex}`);
    this.ifaces.delete(ifindex);
  }

  /** The first join sends CHANGE_TO_EXCLUDE_MODE {} (an older Report in an older mode) and schedules RV − 1 repeats. */
  join(ifindex: number, group: A, now: Instant): Act[] {
    const i = this.iface(ifindex);
    const key = this.family.key(group);
    let g = i.groups.get(key);
    if (g && g.refs > 0) {
      g.refs++;
      return [];
    }
    if (!g) {
      g = {
        group: group.slice() as A, key, refs: 0, filterMode: 'INCLUDE', sources: [], change: undefined, retransmissions: 0,
        pendingSources: [], lastReporter: false,
      };
      i.groups.set(key, g);
    }
    g.refs = 1;
    g.filterMode = 'EXCLUDE';
    g.sources = [];
    if (!this.family.isReportable(group)) return [];
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_EXCLUDE_MODE, now);
  }

  /** The last leave sends CHANGE_TO_INCLUDE_MODE {} with repeats; in an older mode the family's leave message, if we reported last. */
  leave(ifindex: number, group: A, now: Instant): Act[] {
    const i = this.ifaces.get(ifindex);
    const g = i?.groups.get(this.family.key(group));
    if (!i || !g || g.refs === 0) return [];
    if (--g.refs > 0) return [];
    g.filterMode = 'INCLUDE';
    g.sources = [];
    g.pendingSources = [];
    this.heap.cancel(`q|${ifindex}|${g.key}`);
    if (!this.family.isReportable(group)) {
      i.groups.delete(g.key);
      return [];
    }
    const v = this.version(ifindex);
    if (v !== this.family.version) {
      i.groups.delete(g.key);
      const act = g.lastReporter ? this.family.olderLeave(ifindex, g.group, v) : undefined;
      return act ? [act] : [];
    }
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_INCLUDE_MODE, now);
  }

  /**
   * A Query. An older-version one (re)arms its Querier Present timer for
   * RV × QI + QRI; entering an older mode cancels current-version work. In an
   * older mode each group queried gets an older Report at a random time in
   * [0, MRD], its timer reset only if MRD is below the time it has left. In
   * the current mode, one random delay in [0, MRD]: rule 1, a pending General
   * Query response due sooner covers the Query; rule 2, a General Query arms
   * the Interface Timer; rules 3–5, a group-specific one for a reportable
   * group we listen to arms (or keeps, if sooner) its timer, recording the
   * queried sources unless a group-wide response is pending.
   */
  onQuery(ifindex: number, q: ListenerQuery<A>, now: Instant): void {
    const f = this.family;
    const i = this.iface(ifindex);
    if (q.version === f.version) {
      // QRV 0 means "above 7": keep ours.
      if (q.qrv !== 0) i.robustness = q.qrv;
      if (q.qqi !== 0) i.queryInterval = q.qqi * 1000;
    } else {
      const entering = this.version(ifindex) === f.version;
      const timer = `v${q.version}|${ifindex}`;
      const until = now + i.robustness * i.queryInterval + this.config.queryResponseInterval;
      if (f.armOlderTimerFirst) this.heap.arm(timer, until);
      if (entering) this.enterOlderMode(ifindex, i);
      if (!f.armOlderTimerFirst) this.heap.arm(timer, until);
    }
    const mrd = q.maxResponseDelay;
    if (this.version(ifindex) !== f.version) {
      for (const g of q.general ? i.groups.values() : [i.groups.get(f.key(q.group))]) {
        if (!g || g.refs === 0 || !f.isReportable(g.group)) continue;
        const k = `q|${ifindex}|${g.key}`;
        const left = this.heap.get(k);
        if (left === undefined || mrd < left - now) this.heap.arm(k, now + this.random() * mrd);
      }
      return;
    }
    const interfaceTimer = this.heap.get(`g|${ifindex}`);
    if (q.general) {
      const at = now + this.random() * mrd;
      if (interfaceTimer === undefined || at < interfaceTimer) this.heap.arm(`g|${ifindex}`, at); // rules 1, 2
      return;
    }
    const early = f.drawDelayBeforeLookup ? this.random() : undefined;
    const g = i.groups.get(f.key(q.group));
    if (!g || g.refs === 0 || !f.isReportable(g.group)) return;
    const at = now + (early ?? this.random()) * mrd;
    if (interfaceTimer !== undefined && interfaceTimer <= at) return; // rule 1
    const k = `q|${ifindex}|${g.key}`;
    const pending = this.heap.get(k);
    if (pending === undefined) {
      g.pendingSources = q.sources.map((s) => s.slice() as A); // rule 3
      this.heap.arm(k, at);
      return;
    }
    if (q.sources.length === 0 || g.pendingSources.length === 0) g.pendingSources = []; // rule 4
    else {
      // rule 5: augment the recorded list
      const seen = new Set(g.pendingSources.map((s) => f.key(s)));
      for (const s of q.sources) if (!seen.has(f.key(s))) {
        seen.add(f.key(s));
        g.pendingSources.push(s.slice() as A);
      }
    }
    if (at < pending) this.heap.arm(k, at);
  }

  /**
   * Another node's older-version Report: in an older mode it stops our pending
   * Report for that group and clears the last-reporter flag. Ignored in the
   * current mode (current-version hosts do not suppress).
   */
  onOlderReport(ifindex: number, group: A): void {
    if (this.version(ifindex) === this.family.version) return;
    const g = this.ifaces.get(ifindex)?.groups.get(this.family.key(group));
    if (!g || g.refs === 0) return;
    const k = `q|${ifindex}|${g.key}`;
    if (this.heap.get(k) === undefined && g.retransmissions === 0) return;
    this.heap.cancel(k);
    g.retransmissions = 0;
    g.lastReporter = false;
  }

  /** Fires every timer due at `now` (a re-check: early calls do nothing). */
  onDeadline(now: Instant): Act[] {
    const acts: Act[] = [];
    for (let k = this.heap.popDue(now); k !== undefined; k = this.heap.popDue(now)) {
      const [kind, ifs, gk] = k.split('|');
      const ifindex = Number(ifs);
      const i = this.ifaces.get(ifindex);
      if (!i) continue;
      switch (kind) {
        case 'g': // one Current State Record per reportable group with listening state
          this.send(ifindex, i, [...i.groups.values()].filter((g) => g.refs > 0 && this.family.isReportable(g.group)).map(currentState), acts);
          break;
        case 'q': {
          const g = i.groups.get(gk);
          if (!g || g.refs === 0) break; // only with listening state
          const v = this.version(ifindex);
          if (v !== this.family.version) this.sendOlder(ifindex, g, v, acts);
          else if (g.pendingSources.length === 0) this.send(ifindex, i, [currentState(g)], acts);
          else {
            // EXCLUDE mode → IS_IN(queried − excluded); INCLUDE → IS_IN(queried ∩ included); none → no response.
            const ours = new Set(g.sources.map((s) => this.family.key(s)));
            const wanted = g.pendingSources.filter((s) => ours.has(this.family.key(s)) === (g.filterMode === 'INCLUDE'));
            if (wanted.length) this.send(ifindex, i, [{ type: McastRecordType.MODE_IS_INCLUDE, group: g.group, sources: wanted }], acts);
          }
          g.pendingSources = [];
          break;
        }
        case 'sc':
          this.retransmit(ifindex, i, now, acts);
          break;
        default: // `v<N>`: a Querier Present timer ran out; version() now reads the next one
          break;
      }
    }
    return acts;
  }

  private iface(ifindex: number): Iface<A> {
    let i = this.ifaces.get(ifindex);
    if (!i) {
      i = { robustness: this.config.robustness, queryInterval: this.config.queryInterval, mtu: this.config.mtu, groups: new Map() };
      this.ifaces.set(ifindex, i);
    }
    return i;
  }

  /** The report goes out now and [Robustness Variable] − 1 more times; a newer change supersedes an older one. */
  private stateChange(ifindex: number, i: Iface<A>, g: GroupEntry<A>, change: GroupEntry<A>['change'], now: Instant): Act[] {
    const acts: Act[] = [];
    const v = this.version(ifindex);
    g.change = change;
    g.retransmissions = i.robustness - 1;
    // Only joins get here in an older mode (leaves send the family's leave message or nothing).
    if (v !== this.family.version) this.sendOlder(ifindex, g, v, acts);
    else this.send(ifindex, i, [{ type: change!, group: g.group, sources: g.sources.slice() }], acts);
    g.lastReporter = true;
    if (g.retransmissions === 0 && g.refs === 0) i.groups.delete(g.key);
    // One retransmission timer per interface: a running one already ends within the interval.
    if (g.retransmissions > 0 && this.heap.get(`sc|${ifindex}`) === undefined) {
      this.heap.arm(`sc|${ifindex}`, now + this.random() * this.reportInterval(v));
    }
    return acts;
  }

  /** The State Change retransmission timer: every pending change record in one Report (one older Report per group). */
  private retransmit(ifindex: number, i: Iface<A>, now: Instant, acts: Act[]): void {
    const v = this.version(ifindex);
    const records: GroupRecord<A>[] = [];
    let more = false;
    for (const g of i.groups.values()) {
      if (g.retransmissions === 0) continue;
      g.retransmissions--;
      if (v !== this.family.version) {
        if (g.refs > 0) this.sendOlder(ifindex, g, v, acts);
      } else records.push({ type: g.change!, group: g.group, sources: g.sources.slice() });
      if (g.retransmissions > 0) more = true;
      else if (g.refs === 0) i.groups.delete(g.key);
    }
    this.send(ifindex, i, records, acts);
    if (more) this.heap.arm(`sc|${ifindex}`, now + this.random() * this.reportInterval(v));
  }

  private reportInterval(v: number): number {
    return v === this.family.version ? this.config.unsolicitedReportInterval : this.config.olderUnsolicitedReportInterval;
  }

  /**
   * Entering an older mode: pending current-version responses and
   * retransmissions are cancelled and groups being left are forgotten (as
   * Linux's igmp_heard_query); the older Querier's own Query is answered next.
   */
  private enterOlderMode(ifindex: number, i: Iface<A>): void {
    this.heap.cancel(`g|${ifindex}`);
    this.heap.cancel(`sc|${ifindex}`);
    for (const g of i.groups.values()) {
      this.heap.cancel(`q|${ifindex}|${g.key}`);
      g.retransmissions = 0;
      g.change = undefined;
      g.pendingSources = [];
      if (g.refs === 0) i.groups.delete(g.key);
    }
  }

  private sendOlder(ifindex: number, g: GroupEntry<A>, v: number, acts: Act[]): void {
    acts.push(this.family.olderReport(ifindex, g.group, v));
    g.lastReporter = true;
  }

  private send(ifindex: number, i: Iface<A>, records: GroupRecord<A>[], acts: Act[]): void {
    if (records.length === 0) return;
    for (const a of this.family.reports(ifindex, records, i.mtu)) acts.push(a);
  }
}

/** A Current State Record for an entry's filter mode and sources. */
function currentState<A extends Uint8Array>(g: GroupEntry<A>): GroupRecord<A> {
  const type = g.filterMode === 'EXCLUDE' ? McastRecordType.MODE_IS_EXCLUDE : McastRecordType.MODE_IS_INCLUDE;
  return { type, group: g.group, sources: g.sources.slice() };
}

export function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex < 0) throw invalidArg('ifindex', 'a non-negative integer', ifindex);
}

export function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalidArg(name, `an integer in [${min}, ${max}]`, v);
  return v;
}

export function checkNumber(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(name, 'a finite number ≥ 0', v);
  return v;
}
