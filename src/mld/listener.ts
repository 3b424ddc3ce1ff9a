// Multicast listener, host side: MLDv2 (RFC 3810 §4, §6) with MLDv1
// compatibility (RFC 3810 §8.2, RFC 2710 §4). Sans-IO: inputs take `now`,
// outputs are MldActions; every timer — the Interface Timer for General
// Queries, one Multicast Address Timer per group, the State Change
// retransmission timer and the Older Version Querier Present timer — is one
// deadline in one DeadlineHeap.
//
// Only any-source listening is implemented: a joined group's per-interface
// state is filter mode EXCLUDE with an empty source list (§4), which is all
// the stack needs (solicited-node groups, socket joins). Entries keep a filter
// mode and a source list so source filters (SSM, RFC 4604) can be added; until
// then a Multicast Address and Source Specific Query is answered like a
// Multicast Address Specific Query, with the group's whole state (IS_EX {}):
// see onQuery.
//
// Joins are counted: only the first join and the last leave of a group on an
// interface change the interface state and send a State Change Report.
//
// Never reported (§6): ff02::1, and every group of scope 0 (reserved) or 1
// (interface-local). They can still be joined; groups() lists them.

import { WasagiError, invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';
import { ALL_NODES, ip6Equal, ip6Key, isMulticast, isUnspecified, multicastScope, type Ip6 } from '../wire/address.js';
import { McastRecordType, splitMcastRecords, type McastRecord, type MldQuery } from '../wire/mld.js';

export const ROBUSTNESS_VARIABLE = 2; // RFC 3810 §9.1
export const QUERY_INTERVAL = 125_000; // ms, RFC 3810 §9.2
export const QUERY_RESPONSE_INTERVAL = 10_000; // ms, RFC 3810 §9.3
export const UNSOLICITED_REPORT_INTERVAL = 1_000; // ms, RFC 3810 §9.11
/** Reports are sized for this unless told the link's MTU (RFC 8200 §5: the IPv6 minimum). */
export const MIN_LINK_MTU = 1280;

/** Host Compatibility Mode of an interface (RFC 3810 §8.2.1). */
export type HostCompatibilityMode = 'MLDv1' | 'MLDv2';

/**
 * What the stack sends. MLDv2 Reports go to ff02::16 (§5.2.14), MLDv1 Reports
 * to the group itself and Dones to ff02::2 (RFC 2710 §3, §4); all with hop
 * limit 1, a link-local source and a Router Alert option (RFC 3810 §5).
 */
export type MldAction =
  | { type: 'SendMldv2Report'; ifindex: number; records: McastRecord[] }
  | { type: 'SendMldv1Report'; ifindex: number; group: Ip6 }
  | { type: 'SendMldv1Done'; ifindex: number; group: Ip6 };

export interface MldListenerOptions {
  /** [Robustness Variable] until a Query says otherwise (§9.1). */
  robustness?: number;
  /** [Query Interval] in ms until a Query says otherwise (§9.2). */
  queryInterval?: number;
  /** [Query Response Interval] in ms (§9.3), used for the Older Version Querier Present Timeout. */
  queryResponseInterval?: number;
  /** [Unsolicited Report Interval] in ms (§9.11). */
  unsolicitedReportInterval?: number;
  /** Link MTU reports are split for, unless setMtu gives an interface its own. */
  mtu?: number;
}

/** A group this host listens to, or one still being left, on one interface: the per-interface state of §4. */
interface GroupEntry {
  readonly group: Ip6;
  readonly key: string;
  /** Joins not yet left; 0 while only a leave's retransmissions keep the entry. */
  refs: number;
  /** Filter mode and source list (§4). Any-source listening is EXCLUDE {}; INCLUDE {} is no listening. */
  filterMode: 'INCLUDE' | 'EXCLUDE';
  sources: Ip6[];
  /** The Filter Mode Change record being retransmitted (§6.1), and how many more times it goes out. */
  change: McastRecordType.CHANGE_TO_INCLUDE_MODE | McastRecordType.CHANGE_TO_EXCLUDE_MODE | undefined;
  retransmissions: number;
  /** MLDv1 "last reporter" flag (RFC 2710 §4): cleared when another node's Report suppressed ours. */
  lastReporter: boolean;
}

interface Iface {
  /** [Robustness Variable], adopted from MLDv2 Queries (QRV). */
  robustness: number;
  /** [Query Interval] in ms, adopted from MLDv2 Queries (QQIC). */
  queryInterval: number;
  mtu: number;
  /** Host Compatibility Mode is MLDv1 while the Older Version Querier Present timer runs. */
  v1: boolean;
  readonly groups: Map<string, GroupEntry>;
}

/** Whether MLD messages are ever sent about `group` (RFC 3810 §6). */
export function isReportable(group: Ip6): boolean {
  const scope = multicastScope(group);
  return isMulticast(group) && scope !== 0 && scope !== 1 && !ip6Equal(group, ALL_NODES);
}

// Deadline keys: `g|if` Interface Timer (General Query response), `q|if|group`
// Multicast Address Timer, `sc|if` State Change retransmission, `v1|if` Older
// Version Querier Present timer.
type Key = string;

export class MldListener {
  private readonly ifaces = new Map<number, Iface>();
  private readonly heap = new DeadlineHeap<Key>();
  private readonly robustness: number;
  private readonly queryInterval: number;
  private readonly queryResponseInterval: number;
  private readonly unsolicitedReportInterval: number;
  private readonly mtu: number;

  constructor(
    private readonly random: () => number,
    options: MldListenerOptions = {},
  ) {
    if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
    this.robustness = checkInt('options.robustness', options.robustness ?? ROBUSTNESS_VARIABLE, 1, 7);
    this.queryInterval = checkNumber('options.queryInterval', options.queryInterval ?? QUERY_INTERVAL);
    this.queryResponseInterval = checkNumber('options.queryResponseInterval', options.queryResponseInterval ?? QUERY_RESPONSE_INTERVAL);
    this.unsolicitedReportInterval = checkNumber('options.unsolicitedReportInterval', options.unsolicitedReportInterval ?? UNSOLICITED_REPORT_INTERVAL);
    this.mtu = checkInt('options.mtu', options.mtu ?? MIN_LINK_MTU, MIN_LINK_MTU, 0xffffffff);
  }

  nextDeadline(): Instant {
    return this.heap.next();
  }

  /** Groups listened to on an interface (joined and not left), reportable or not. */
  groups(ifindex: number): Ip6[] {
    const i = this.ifaces.get(ifindex);
    return i ? [...i.groups.values()].filter((g) => g.refs > 0).map((g) => g.group.slice()) : [];
  }

  mode(ifindex: number): HostCompatibilityMode {
    return this.ifaces.get(ifindex)?.v1 ? 'MLDv1' : 'MLDv2';
  }

  /** [Robustness Variable] in force on an interface (the default, or the last QRV heard). */
  robustnessOf(ifindex: number): number {
    return this.ifaces.get(ifindex)?.robustness ?? this.robustness;
  }

  /** The link MTU Reports of this interface must fit (≥ 1280). */
  setMtu(ifindex: number, mtu: number): void {
    checkIfindex(ifindex);
    this.iface(ifindex).mtu = checkInt('mtu', mtu, MIN_LINK_MTU, 0xffffffff);
  }

  /** Forgets an interface (it went down): its groups, modes and timers. Nothing is sent. */
  stop(ifindex: number): void {
    const i = this.ifaces.get(ifindex);
    if (!i) return;
    for (const g of i.groups.values()) this.heap.cancel(`q|${ifindex}|${g.key}`);
    this.heap.cancel(`g|${ifindex}`);
    this.heap.cancel(`sc|${ifindex}`);
    this.heap.cancel(`v1|${ifindex}`);
    this.ifaces.delete(ifindex);
  }

  /**
   * Starts listening to `group` on an interface (§6.1). The first join sends
   * a State Change Report with CHANGE_TO_EXCLUDE_MODE {} at once (an MLDv1
   * Report in MLDv1 mode), then [Robustness Variable] − 1 retransmissions at
   * random intervals in [0, Unsolicited Report Interval].
   */
  join(ifindex: number, group: Ip6, now: Instant): MldAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    const i = this.iface(ifindex);
    const key = ip6Key(group);
    let g = i.groups.get(key);
    if (g && g.refs > 0) {
      g.refs++;
      return [];
    }
    if (!g) {
      g = { group: group.slice(), key, refs: 0, filterMode: 'INCLUDE', sources: [], change: undefined, retransmissions: 0, lastReporter: false };
      i.groups.set(key, g);
    }
    g.refs = 1;
    g.filterMode = 'EXCLUDE';
    g.sources = [];
    if (!isReportable(group)) return [];
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_EXCLUDE_MODE, now);
  }

  /**
   * Stops listening (§6.1). The last leave sends CHANGE_TO_INCLUDE_MODE {}
   * with the same retransmissions; in MLDv1 mode one Done instead, unless
   * another node's Report suppressed our last one (RFC 2710 §4).
   */
  leave(ifindex: number, group: Ip6, now: Instant): MldAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    const i = this.ifaces.get(ifindex);
    const g = i?.groups.get(ip6Key(group));
    if (!i || !g || g.refs === 0) return [];
    if (--g.refs > 0) return [];
    g.filterMode = 'INCLUDE';
    g.sources = [];
    this.heap.cancel(`q|${ifindex}|${g.key}`);
    if (!isReportable(group)) {
      i.groups.delete(g.key);
      return [];
    }
    if (i.v1) {
      i.groups.delete(g.key);
      return g.lastReporter ? [{ type: 'SendMldv1Done', ifindex, group: g.group }] : [];
    }
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_INCLUDE_MODE, now);
  }

  /**
   * A Query heard on an interface, already validated by the stack (ICMPv6
   * checksum, link-local source, hop limit 1: RFC 3810 §5.1.14, §6.2).
   *
   * MLDv1 Query: Host Compatibility Mode becomes MLDv1 for the Older Version
   * Querier Present Timeout, RV × QI + QRI (§8.2.1, §9.12); each group queried
   * gets an MLDv1 response at a random time in [0, MRD], its timer reset only
   * if MRD is below the time it has left (RFC 2710 §4). While in MLDv1 mode
   * MLDv2 Queries are answered the MLDv1 way too (they do not extend the mode).
   *
   * MLDv2 Query (§6.2), with one random delay in [0, MRD]: a General Query
   * arms the Interface Timer unless it already runs out sooner; a Multicast
   * Address (and Source) Specific Query for a group we listen to arms that
   * group's timer unless the Interface Timer or the group's own timer runs out
   * sooner (rules 1, 3, 4). Source lists are not recorded: the response is the
   * group's whole state, a superset of what §6.3 rule 3 asks for.
   */
  onQuery(ifindex: number, q: MldQuery, now: Instant): void {
    const general = isUnspecified(q.group);
    // §5.1.10: a General Query carries no sources; one that does is malformed.
    if (general ? q.sources.length > 0 : !isMulticast(q.group)) return;
    const i = this.iface(ifindex);
    if (q.version === 2) {
      // §5.1.8, §5.1.9, §9.1, §9.2: adopt the Querier's values; QRV 0 means "above 7", keep ours.
      if (q.qrv !== 0) i.robustness = q.qrv;
      if (q.qqi !== 0) i.queryInterval = q.qqi * 1000;
    } else {
      if (!i.v1) this.enterV1(ifindex, i);
      this.heap.arm(`v1|${ifindex}`, now + i.robustness * i.queryInterval + this.queryResponseInterval);
    }
    const mrd = q.maxResponseDelay;
    if (i.v1) {
      for (const g of general ? i.groups.values() : [i.groups.get(ip6Key(q.group))]) {
        if (!g || g.refs === 0 || !isReportable(g.group)) continue;
        const k = `q|${ifindex}|${g.key}`;
        const left = this.heap.get(k);
        if (left === undefined || mrd < left - now) this.heap.arm(k, now + this.random() * mrd);
      }
      return;
    }
    if (general) {
      const at = now + this.random() * mrd;
      const pending = this.heap.get(`g|${ifindex}`);
      if (pending === undefined || at < pending) this.heap.arm(`g|${ifindex}`, at);
      return;
    }
    const g = i.groups.get(ip6Key(q.group));
    if (!g || g.refs === 0 || !isReportable(g.group)) return;
    const at = now + this.random() * mrd;
    const interfaceTimer = this.heap.get(`g|${ifindex}`);
    if (interfaceTimer !== undefined && interfaceTimer <= at) return; // rule 1
    const k = `q|${ifindex}|${g.key}`;
    const pending = this.heap.get(k);
    if (pending === undefined || at < pending) this.heap.arm(k, at);
  }

  /**
   * Another node's MLDv1 Report (RFC 2710 §4): in MLDv1 mode it stops our
   * pending Report for that group (a query response or an unsolicited
   * repetition) and clears the last-reporter flag. Ignored in MLDv2 mode
   * (§6: MLDv2 hosts do not suppress).
   */
  onMldv1Report(ifindex: number, group: Ip6, _now: Instant): void {
    const i = this.ifaces.get(ifindex);
    if (!i?.v1) return;
    const g = i.groups.get(ip6Key(group));
    if (!g || g.refs === 0) return;
    const k = `q|${ifindex}|${g.key}`;
    if (this.heap.get(k) === undefined && g.retransmissions === 0) return;
    this.heap.cancel(k);
    g.retransmissions = 0;
    g.lastReporter = false;
  }

  onDeadline(now: Instant): MldAction[] {
    const acts: MldAction[] = [];
    for (let k = this.heap.popDue(now); k !== undefined; k = this.heap.popDue(now)) {
      const [kind, ifs, gk] = k.split('|');
      const ifindex = Number(ifs);
      const i = this.ifaces.get(ifindex);
      if (!i) continue;
      switch (kind) {
        case 'g': // §6.3 rule 1: one Current State Record per group with listening state
          this.sendV2(ifindex, i, [...i.groups.values()].filter((g) => g.refs > 0 && isReportable(g.group)).map(currentState), acts);
          break;
        case 'q': {
          const g = i.groups.get(gk);
          if (!g || g.refs === 0) break; // §6.3 rule 2: only with listening state
          if (i.v1) {
            acts.push({ type: 'SendMldv1Report', ifindex, group: g.group });
            g.lastReporter = true;
          } else this.sendV2(ifindex, i, [currentState(g)], acts);
          break;
        }
        case 'sc':
          this.retransmit(ifindex, i, now, acts);
          break;
        case 'v1': // §8.2.1: the Older Version Querier Present timer expired
          i.v1 = false;
          break;
      }
    }
    return acts;
  }

  private iface(ifindex: number): Iface {
    let i = this.ifaces.get(ifindex);
    if (!i) {
      i = { robustness: this.robustness, queryInterval: this.queryInterval, mtu: this.mtu, v1: false, groups: new Map() };
      this.ifaces.set(ifindex, i);
    }
    return i;
  }

  /** §6.1: the report goes out now and [Robustness Variable] − 1 more times; a newer change supersedes an older one. */
  private stateChange(ifindex: number, i: Iface, g: GroupEntry, change: GroupEntry['change'], now: Instant): MldAction[] {
    const acts: MldAction[] = [];
    g.change = change;
    g.retransmissions = i.robustness - 1;
    // Only joins get here in MLDv1 mode (leaves send a Done).
    if (i.v1) acts.push({ type: 'SendMldv1Report', ifindex, group: g.group });
    else this.sendV2(ifindex, i, [{ type: change!, group: g.group, sources: g.sources.slice() }], acts);
    g.lastReporter = true;
    if (g.retransmissions === 0 && g.refs === 0) i.groups.delete(g.key);
    // One retransmission timer per interface: a running one already ends within the interval.
    if (g.retransmissions > 0 && this.heap.get(`sc|${ifindex}`) === undefined) {
      this.heap.arm(`sc|${ifindex}`, now + this.random() * this.unsolicitedReportInterval);
    }
    return acts;
  }

  /** The State Change retransmission timer: every pending change record, in one Report (or one MLDv1 Report per group). */
  private retransmit(ifindex: number, i: Iface, now: Instant, acts: MldAction[]): void {
    const records: McastRecord[] = [];
    let more = false;
    for (const g of i.groups.values()) {
      if (g.retransmissions === 0) continue;
      g.retransmissions--;
      if (i.v1) {
        if (g.refs > 0) {
          acts.push({ type: 'SendMldv1Report', ifindex, group: g.group });
          g.lastReporter = true;
        }
      } else records.push({ type: g.change!, group: g.group, sources: g.sources.slice() });
      if (g.retransmissions > 0) more = true;
      else if (g.refs === 0) i.groups.delete(g.key);
    }
    this.sendV2(ifindex, i, records, acts);
    if (more) this.heap.arm(`sc|${ifindex}`, now + this.random() * this.unsolicitedReportInterval);
  }

  /**
   * Entering MLDv1 mode: pending MLDv2 responses and retransmissions are
   * cancelled and groups being left are forgotten (as Linux does; the MLDv1
   * Querier's own query is answered next).
   */
  private enterV1(ifindex: number, i: Iface): void {
    i.v1 = true;
    this.heap.cancel(`g|${ifindex}`);
    this.heap.cancel(`sc|${ifindex}`);
    for (const g of i.groups.values()) {
      this.heap.cancel(`q|${ifindex}|${g.key}`);
      g.retransmissions = 0;
      g.change = undefined;
      if (g.refs === 0) i.groups.delete(g.key);
    }
  }

  /** §5.2.15: as many records per Report as the link MTU allows. */
  private sendV2(ifindex: number, i: Iface, records: McastRecord[], acts: MldAction[]): void {
    if (records.length === 0) return;
    for (const part of splitMcastRecords(records, i.mtu)) acts.push({ type: 'SendMldv2Report', ifindex, records: part });
  }
}

/** A Current State Record (§5.2.12) for an entry's filter mode and sources. */
function currentState(g: GroupEntry): McastRecord {
  const type = g.filterMode === 'EXCLUDE' ? McastRecordType.MODE_IS_EXCLUDE : McastRecordType.MODE_IS_INCLUDE;
  return { type, group: g.group, sources: g.sources.slice() };
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex < 0) throw invalidArg('ifindex', 'a non-negative integer', ifindex);
}

function checkGroup(group: Ip6): void {
  if (!(group instanceof Uint8Array) || group.length !== 16) throw invalidArg('group', 'a 16-byte Uint8Array', group);
  if (!isMulticast(group)) throw new WasagiError('ERR_INVALID_ADDRESS', 'The "group" argument must be a multicast address (ff00::/8)');
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalidArg(name, `an integer in [${min}, ${max}]`, v);
  return v;
}

function checkNumber(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(name, 'a finite number ≥ 0', v);
  return v;
}
