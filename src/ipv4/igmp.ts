// IGMP, host side: IGMPv3 (RFC 3376 §5, §7) with IGMPv2 (RFC 2236) and
// IGMPv1 (RFC 1112 Appendix I) compatibility. The IPv4 twin of
// src/mld/listener.ts. Sans-IO: inputs take `now`, outputs are IgmpActions
// carrying the IGMP message ready to send (checksum filled in); every timer —
// the Interface Timer for General Queries, one Group Timer per group, the
// State Change retransmission timer, and the IGMPv1 and IGMPv2 Querier
// Present timers — is one deadline in one DeadlineHeap.
//
// Only any-source membership is implemented: a joined group's per-interface
// state is EXCLUDE {} (RFC 3376 §3.2), all the stack needs (socket joins).
// Group-and-Source-Specific Queries are still answered exactly (§5.2): with
// EXCLUDE {} every queried source is wanted, so the answer is IS_IN(queried).
//
// Host Compatibility Mode (§7.2.1): IGMPv1 while the IGMPv1 Querier Present
// timer runs, else IGMPv2 while the IGMPv2 Querier Present timer runs, else
// IGMPv3. Each older Query (re)arms its timer for the Older Version Querier
// Present Timeout, RV × QI + QRI (§8.12). Entering an older mode cancels
// pending IGMPv3 responses and retransmissions and forgets groups being left
// (as Linux's igmp_heard_query); the Query that caused it is answered in the
// new mode. Returning to IGMPv3 sends nothing. In IGMPv1/v2 mode every Query,
// IGMPv3 ones included, is answered the old way, and another host's v1/v2
// Report for a group suppresses ours (RFC 2236 §3); in IGMPv3 mode nothing is
// suppressed (§5.1).
//
// Joins are counted: only the first join and the last leave of a group on an
// interface change the interface state and send a report.
//
// Never reported (RFC 3376 §5): 224.0.0.1, the all-systems group — "No IGMP
// messages are ever sent regarding the all-systems multicast address". It can
// be joined; groups() lists it. Other 224.0.0.x groups are reported, as Linux
// with igmp_link_local_mcast_reports = 1 (its default).
//
// What the stack does with a SendReport: an IPv4 datagram to `dst` with TTL 1,
// TOS 0xc0 and the Router Alert option, protocol 2 (RFC 3376 §4) —
// emitIgmpDatagram in src/wire/igmp.ts; the source is the interface's
// primary address, or 0.0.0.0 if it has none yet (§4.2.13). Before onQuery
// and onReport, received messages go through validateIgmp (src/wire/igmp.ts).
//
// Choices where the RFCs leave room:
// - Unsolicited reports in IGMPv3 mode: the first at once, then RV − 1 more at
//   random in [0, Unsolicited Report Interval = 1 s] (§5.1, §8.11). In IGMPv1/v2
//   mode the same count, but spread over the IGMPv2 interval of 10 s
//   (RFC 2236 §8.10, RFC 1112; Linux's mr_v2_unsolicited_report_interval).
// - IGMPv2 Leave is sent only if we were the last host to report the group
//   (RFC 2236 §3 "SHOULD"; it MAY always send one), once, to 224.0.0.2. In
//   IGMPv1 mode no Leave is sent (RFC 2236 §4: MAY suppress; IGMPv1 has none).
// - Reports are sized for a 576-octet MTU (the datagram every IPv4 host
//   accepts, RFC 1122 §3.3.2) unless setMtu gives the interface's.

import { WasagiError, invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';
import { ip4ToNumber, isIpv4Multicast, type Ip4 } from '../wire/ipv4.js';
import {
  ALL_IGMPV3_ROUTERS, ALL_ROUTERS, ALL_SYSTEMS, IGMP_V1_MEMBERSHIP_REPORT, IGMP_V2_LEAVE_GROUP, IGMP_V2_MEMBERSHIP_REPORT,
  McastRecordType, emitIgmpV2Message, emitIgmpv3Report, splitIgmpRecords, type IgmpGroupRecord, type IgmpQuery,
} from '../wire/igmp.js';

export const ROBUSTNESS_VARIABLE = 2; // RFC 3376 §8.1
export const QUERY_INTERVAL = 125_000; // ms, RFC 3376 §8.2
export const QUERY_RESPONSE_INTERVAL = 10_000; // ms, RFC 3376 §8.3
export const UNSOLICITED_REPORT_INTERVAL = 1_000; // ms, RFC 3376 §8.11
export const V2_UNSOLICITED_REPORT_INTERVAL = 10_000; // ms, RFC 2236 §8.10
/** Reports are sized for this unless told the link's MTU (RFC 1122 §3.3.2: every host accepts 576 octets). */
export const DEFAULT_IGMP_MTU = 576;
/** The smallest MTU an IPv4 link may have (RFC 791 §3.2: 68 octets). */
export const IPV4_MIN_MTU = 68;

/** Host Compatibility Mode of an interface (RFC 3376 §7.2.1). */
export type IgmpCompatibilityMode = 'IGMPv1' | 'IGMPv2' | 'IGMPv3';

/**
 * What the stack sends: `message` (the IGMP message, checksum included) in
 * an IPv4 datagram to `dst` — 224.0.0.22 for IGMPv3 Reports (§4.2.14), the
 * group itself for IGMPv1/v2 Reports, 224.0.0.2 for Leave Group (RFC 2236
 * §9) — with TTL 1 and Router Alert (see emitIgmpDatagram).
 */
export type IgmpAction = { type: 'SendReport'; ifindex: number; dst: Ip4; message: Uint8Array };

export interface IgmpHostOptions {
  /** [Robustness Variable] until an IGMPv3 Query says otherwise (§8.1). */
  robustness?: number;
  /** [Query Interval] in ms until an IGMPv3 Query says otherwise (§8.2). */
  queryInterval?: number;
  /** [Query Response Interval] in ms (§8.3), for the Older Version Querier Present Timeout. */
  queryResponseInterval?: number;
  /** [Unsolicited Report Interval] in ms for IGMPv3 (§8.11). */
  unsolicitedReportInterval?: number;
  /** [Unsolicited Report Interval] in ms in IGMPv1/v2 mode (RFC 2236 §8.10). */
  v2UnsolicitedReportInterval?: number;
  /** Link MTU IGMPv3 Reports are split for, unless setMtu gives an interface its own. */
  mtu?: number;
}

/** A group this host is a member of, or one still being left, on one interface (§3.2). */
interface GroupEntry {
  readonly group: Ip4;
  readonly key: number;
  /** Joins not yet left; 0 while only a leave's retransmissions keep the entry. */
  refs: number;
  filterMode: 'INCLUDE' | 'EXCLUDE';
  sources: Ip4[];
  /** The Filter Mode Change record being retransmitted (§5.1), and how many more times. */
  change: McastRecordType.CHANGE_TO_INCLUDE_MODE | McastRecordType.CHANGE_TO_EXCLUDE_MODE | undefined;
  retransmissions: number;
  /** Sources recorded from Group-and-Source-Specific Queries for the pending response (§5.2 rules 3–5); empty = whole state. */
  pendingSources: Ip4[];
  /** IGMPv2 "last host to report" flag (RFC 2236 §3). */
  lastReporter: boolean;
}

interface Iface {
  robustness: number;
  queryInterval: number;
  mtu: number;
  readonly groups: Map<number, GroupEntry>;
}

// Deadline keys: `g|if` Interface Timer, `q|if|group` Group Timer, `sc|if`
// State Change retransmission, `v1|if` / `v2|if` IGMPv1 / IGMPv2 Querier Present.
type Key = string;

/** Whether IGMP messages are ever sent about `group` (RFC 3376 §5: never for 224.0.0.1). */
export function isIgmpReportable(group: Ip4): boolean {
  return isIpv4Multicast(group) && ip4ToNumber(group) !== ip4ToNumber(ALL_SYSTEMS);
}

export class IgmpHost {
  private readonly ifaces = new Map<number, Iface>();
  private readonly heap = new DeadlineHeap<Key>();
  private readonly robustness: number;
  private readonly queryInterval: number;
  private readonly queryResponseInterval: number;
  private readonly unsolicitedReportInterval: number;
  private readonly v2UnsolicitedReportInterval: number;
  private readonly mtu: number;

  /** `random` returns floats in [0, 1): report delays are drawn from it (seeded in tests). */
  constructor(
    private readonly random: () => number,
    options: IgmpHostOptions = {},
  ) {
    if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
    this.robustness = checkInt('options.robustness', options.robustness ?? ROBUSTNESS_VARIABLE, 1, 7);
    this.queryInterval = checkNumber('options.queryInterval', options.queryInterval ?? QUERY_INTERVAL);
    this.queryResponseInterval = checkNumber('options.queryResponseInterval', options.queryResponseInterval ?? QUERY_RESPONSE_INTERVAL);
    this.unsolicitedReportInterval = checkNumber('options.unsolicitedReportInterval', options.unsolicitedReportInterval ?? UNSOLICITED_REPORT_INTERVAL);
    this.v2UnsolicitedReportInterval = checkNumber('options.v2UnsolicitedReportInterval', options.v2UnsolicitedReportInterval ?? V2_UNSOLICITED_REPORT_INTERVAL);
    this.mtu = checkInt('options.mtu', options.mtu ?? DEFAULT_IGMP_MTU, IPV4_MIN_MTU, 0xffff);
  }

  /** Earliest timer, or NEVER. */
  nextDeadline(): Instant {
    return this.heap.next();
  }

  /** Groups joined (and not left) on an interface, reportable or not. */
  groups(ifindex: number): Ip4[] {
    const i = this.ifaces.get(ifindex);
    return i ? [...i.groups.values()].filter((g) => g.refs > 0).map((g) => g.group.slice()) : [];
  }

  /** Host Compatibility Mode (§7.2.1). */
  mode(ifindex: number): IgmpCompatibilityMode {
    if (this.heap.get(`v1|${ifindex}`) !== undefined) return 'IGMPv1';
    if (this.heap.get(`v2|${ifindex}`) !== undefined) return 'IGMPv2';
    return 'IGMPv3';
  }

  /** [Robustness Variable] in force on an interface (the default, or the last QRV heard). */
  robustnessOf(ifindex: number): number {
    return this.ifaces.get(ifindex)?.robustness ?? this.robustness;
  }

  /** The link MTU IGMPv3 Reports of this interface must fit (68..65535). */
  setMtu(ifindex: number, mtu: number): void {
    checkIfindex(ifindex);
    this.iface(ifindex).mtu = checkInt('mtu', mtu, IPV4_MIN_MTU, 0xffff);
  }

  /** Forgets an interface (it went down): its groups, modes and timers. Nothing is sent. */
  stop(ifindex: number): void {
    const i = this.ifaces.get(ifindex);
    if (!i) return;
    for (const g of i.groups.values()) this.heap.cancel(`q|${ifindex}|${g.key}`);
    for (const k of ['g', 'sc', 'v1', 'v2']) this.heap.cancel(`${k}|${ifindex}`);
    this.ifaces.delete(ifindex);
  }

  /**
   * Joins `group` on an interface (§5.1). The first join sends a State
   * Change Report with CHANGE_TO_EXCLUDE_MODE {} at once (an IGMPv1/v2 Report
   * in those modes), then [Robustness Variable] − 1 retransmissions at random
   * intervals in [0, Unsolicited Report Interval].
   */
  join(ifindex: number, group: Ip4, now: Instant): IgmpAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    const i = this.iface(ifindex);
    const key = ip4ToNumber(group);
    let g = i.groups.get(key);
    if (g && g.refs > 0) {
      g.refs++;
      return [];
    }
    if (!g) {
      g = {
        group: group.slice(), key, refs: 0, filterMode: 'INCLUDE', sources: [], change: undefined, retransmissions: 0,
        pendingSources: [], lastReporter: false,
      };
      i.groups.set(key, g);
    }
    g.refs = 1;
    g.filterMode = 'EXCLUDE';
    g.sources = [];
    if (!isIgmpReportable(group)) return [];
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_EXCLUDE_MODE, now);
  }

  /**
   * Leaves (§5.1). The last leave sends CHANGE_TO_INCLUDE_MODE {} with the
   * same retransmissions; in IGMPv2 mode one Leave Group to 224.0.0.2 if we
   * were the last reporter (RFC 2236 §3); in IGMPv1 mode nothing.
   */
  leave(ifindex: number, group: Ip4, now: Instant): IgmpAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    const i = this.ifaces.get(ifindex);
    const g = i?.groups.get(ip4ToNumber(group));
    if (!i || !g || g.refs === 0) return [];
    if (--g.refs > 0) return [];
    g.filterMode = 'INCLUDE';
    g.sources = [];
    g.pendingSources = [];
    this.heap.cancel(`q|${ifindex}|${g.key}`);
    if (!isIgmpReportable(group)) {
      i.groups.delete(g.key);
      return [];
    }
    const mode = this.mode(ifindex);
    if (mode !== 'IGMPv3') {
      i.groups.delete(g.key);
      if (mode === 'IGMPv2' && g.lastReporter) {
        return [{ type: 'SendReport', ifindex, dst: ALL_ROUTERS.slice(), message: emitIgmpV2Message(IGMP_V2_LEAVE_GROUP, g.group) }];
      }
      return [];
    }
    return this.stateChange(ifindex, i, g, McastRecordType.CHANGE_TO_INCLUDE_MODE, now);
  }

  /**
   * A Query heard on an interface, already validated (validateIgmp) and
   * parsed (parseIgmpQuery).
   *
   * IGMPv1/v2 Query: (re)arms the IGMPv1/IGMPv2 Querier Present timer for
   * RV × QI + QRI (§7.2.1, §8.12); on a mode change pending IGMPv3 work is
   * cancelled. In IGMPv1/v2 mode each group queried (all, for a General
   * Query) gets a Report at a random time in [0, Max Resp Time], its timer
   * reset only if Max Resp Time is below the time it has left (RFC 2236 §3).
   *
   * IGMPv3 Query in IGMPv3 mode (§5.2), one random delay in [0, Max Resp
   * Time]: adopts QRV and QQI (§4.1.6, §4.1.7); rule 1, a pending General
   * Query response due sooner covers it; rule 2, a General Query arms the
   * Interface Timer; rules 3–5, a Group(-and-Source)-Specific Query for a
   * group we are a member of arms (or keeps, if sooner) its Group Timer,
   * recording queried sources unless a group-wide response is pending.
   */
  onQuery(ifindex: number, q: IgmpQuery, now: Instant): void {
    checkIfindex(ifindex);
    const general = ip4ToNumber(q.group) === 0;
    if (!general && !isIpv4Multicast(q.group)) return;
    const i = this.iface(ifindex);
    if (q.version === 3) {
      // §4.1.6, §4.1.7: adopt the Querier's values; QRV 0 means "above 7", keep ours.
      if (q.qrv !== 0) i.robustness = q.qrv;
      if (q.qqi !== 0) i.queryInterval = q.qqi * 1000;
    } else {
      const before = this.mode(ifindex);
      this.heap.arm(`v${q.version}|${ifindex}`, now + i.robustness * i.queryInterval + this.queryResponseInterval);
      if (before === 'IGMPv3') this.enterOlderMode(ifindex, i);
    }
    const mrt = q.maxResponseTime;
    if (this.mode(ifindex) !== 'IGMPv3') {
      for (const g of general ? i.groups.values() : [i.groups.get(ip4ToNumber(q.group))]) {
        if (!g || g.refs === 0 || !isIgmpReportable(g.group)) continue;
        const k = `q|${ifindex}|${g.key}`;
        const left = this.heap.get(k);
        if (left === undefined || mrt < left - now) this.heap.arm(k, now + this.random() * mrt);
      }
      return;
    }
    const at = now + this.random() * mrt;
    const interfaceTimer = this.heap.get(`g|${ifindex}`);
    if (interfaceTimer !== undefined && interfaceTimer <= at) return; // rule 1
    if (general) {
      this.heap.arm(`g|${ifindex}`, at); // rule 2
      return;
    }
    const g = i.groups.get(ip4ToNumber(q.group));
    if (!g || g.refs === 0 || !isIgmpReportable(g.group)) return;
    const k = `q|${ifindex}|${g.key}`;
    const pending = this.heap.get(k);
    if (pending === undefined) {
      g.pendingSources = q.sources.map((s) => s.slice()); // rule 3
      this.heap.arm(k, at);
      return;
    }
    if (q.sources.length === 0 || g.pendingSources.length === 0) g.pendingSources = []; // rule 4
    else {
      // rule 5: augment the recorded list
      const seen = new Set(g.pendingSources.map(ip4ToNumber));
      for (const s of q.sources) if (!seen.has(ip4ToNumber(s))) {
        seen.add(ip4ToNumber(s));
        g.pendingSources.push(s.slice());
      }
    }
    if (at < pending) this.heap.arm(k, at);
  }

  /**
   * Another host's IGMPv1/v2 Report for `group` (RFC 2236 §3): in IGMPv1/v2
   * mode it stops our pending Report for that group (query response or
   * unsolicited repetition) and clears the last-reporter flag. Ignored in
   * IGMPv3 mode (§5.1: IGMPv3 hosts do not suppress).
   */
  onReport(ifindex: number, group: Ip4, _now: Instant): void {
    if (this.mode(ifindex) === 'IGMPv3') return;
    const g = this.ifaces.get(ifindex)?.groups.get(ip4ToNumber(group));
    if (!g || g.refs === 0) return;
    const k = `q|${ifindex}|${g.key}`;
    if (this.heap.get(k) === undefined && g.retransmissions === 0) return;
    this.heap.cancel(k);
    g.retransmissions = 0;
    g.lastReporter = false;
  }

  /** Fires every timer due at `now` (a re-check: early calls do nothing) and returns the Reports to send. */
  onDeadline(now: Instant): IgmpAction[] {
    const acts: IgmpAction[] = [];
    for (let k = this.heap.popDue(now); k !== undefined; k = this.heap.popDue(now)) {
      const [kind, ifs, gk] = k.split('|');
      const ifindex = Number(ifs);
      const i = this.ifaces.get(ifindex);
      if (!i) continue;
      switch (kind) {
        case 'g': // §5.2: one Current-State Record per group with reception state
          this.sendV3(ifindex, i, [...i.groups.values()].filter((g) => g.refs > 0 && isIgmpReportable(g.group)).map(currentState), acts);
          break;
        case 'q': {
          const g = i.groups.get(Number(gk));
          if (!g || g.refs === 0) break; // §5.2: only with reception state
          const mode = this.mode(ifindex);
          if (mode !== 'IGMPv3') this.sendOld(ifindex, g, mode, acts);
          else if (g.pendingSources.length === 0) this.sendV3(ifindex, i, [currentState(g)], acts);
          else {
            // §5.2: EXCLUDE mode → IS_IN(queried − excluded); INCLUDE → IS_IN(queried ∩ included); none → no response.
            const ours = new Set(g.sources.map(ip4ToNumber));
            const wanted = g.pendingSources.filter((s) => ours.has(ip4ToNumber(s)) === (g.filterMode === 'INCLUDE'));
            if (wanted.length) this.sendV3(ifindex, i, [{ type: McastRecordType.MODE_IS_INCLUDE, group: g.group, sources: wanted }], acts);
          }
          g.pendingSources = [];
          break;
        }
        case 'sc':
          this.retransmit(ifindex, i, now, acts);
          break;
        case 'v1':
        case 'v2': // §7.2.1: a Querier Present timer ran out; mode() now reads the other one
          break;
      }
    }
    return acts;
  }

  private iface(ifindex: number): Iface {
    let i = this.ifaces.get(ifindex);
    if (!i) {
      i = { robustness: this.robustness, queryInterval: this.queryInterval, mtu: this.mtu, groups: new Map() };
      this.ifaces.set(ifindex, i);
    }
    return i;
  }

  /** §5.1: the report goes out now and [Robustness Variable] − 1 more times; a newer change supersedes an older one. */
  private stateChange(ifindex: number, i: Iface, g: GroupEntry, change: GroupEntry['change'], now: Instant): IgmpAction[] {
    const acts: IgmpAction[] = [];
    const mode = this.mode(ifindex);
    g.change = change;
    g.retransmissions = i.robustness - 1;
    // Only joins get here in IGMPv1/v2 mode (leaves send a Leave Group or nothing).
    if (mode !== 'IGMPv3') this.sendOld(ifindex, g, mode, acts);
    else this.sendV3(ifindex, i, [{ type: change!, group: g.group, sources: g.sources.slice() }], acts);
    g.lastReporter = true;
    if (g.retransmissions === 0 && g.refs === 0) i.groups.delete(g.key);
    // One retransmission timer per interface: a running one already ends within the interval.
    if (g.retransmissions > 0 && this.heap.get(`sc|${ifindex}`) === undefined) {
      this.heap.arm(`sc|${ifindex}`, now + this.random() * this.reportInterval(mode));
    }
    return acts;
  }

  /** The State Change retransmission timer: every pending change record in one Report (one v1/v2 Report per group). */
  private retransmit(ifindex: number, i: Iface, now: Instant, acts: IgmpAction[]): void {
    const mode = this.mode(ifindex);
    const records: IgmpGroupRecord[] = [];
    let more = false;
    for (const g of i.groups.values()) {
      if (g.retransmissions === 0) continue;
      g.retransmissions--;
      if (mode !== 'IGMPv3') {
        if (g.refs > 0) this.sendOld(ifindex, g, mode, acts);
      } else records.push({ type: g.change!, group: g.group, sources: g.sources.slice() });
      if (g.retransmissions > 0) more = true;
      else if (g.refs === 0) i.groups.delete(g.key);
    }
    this.sendV3(ifindex, i, records, acts);
    if (more) this.heap.arm(`sc|${ifindex}`, now + this.random() * this.reportInterval(mode));
  }

  private reportInterval(mode: IgmpCompatibilityMode): number {
    return mode === 'IGMPv3' ? this.unsolicitedReportInterval : this.v2UnsolicitedReportInterval;
  }

  /**
   * Entering IGMPv1/v2 mode from IGMPv3: pending IGMPv3 responses and
   * retransmissions are cancelled and groups being left are forgotten (as
   * Linux's igmp_heard_query); the older Querier's own Query is answered next.
   */
  private enterOlderMode(ifindex: number, i: Iface): void {
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

  /** An IGMPv1 or IGMPv2 Membership Report, to the group (RFC 1112, RFC 2236 §3). */
  private sendOld(ifindex: number, g: GroupEntry, mode: IgmpCompatibilityMode, acts: IgmpAction[]): void {
    const type = mode === 'IGMPv1' ? IGMP_V1_MEMBERSHIP_REPORT : IGMP_V2_MEMBERSHIP_REPORT;
    acts.push({ type: 'SendReport', ifindex, dst: g.group.slice(), message: emitIgmpV2Message(type, g.group) });
    g.lastReporter = true;
  }

  /** §4.2.16: as many records per Report as the link MTU allows; to 224.0.0.22 (§4.2.14). */
  private sendV3(ifindex: number, i: Iface, records: IgmpGroupRecord[], acts: IgmpAction[]): void {
    if (records.length === 0) return;
    for (const part of splitIgmpRecords(records, i.mtu)) {
      acts.push({ type: 'SendReport', ifindex, dst: ALL_IGMPV3_ROUTERS.slice(), message: emitIgmpv3Report(part) });
    }
  }
}

/** A Current-State Record (§4.2.12) for an entry's filter mode and sources. */
function currentState(g: GroupEntry): IgmpGroupRecord {
  const type = g.filterMode === 'EXCLUDE' ? McastRecordType.MODE_IS_EXCLUDE : McastRecordType.MODE_IS_INCLUDE;
  return { type, group: g.group, sources: g.sources.slice() };
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex < 0) throw invalidArg('ifindex', 'a non-negative integer', ifindex);
}

function checkGroup(group: Ip4): void {
  if (!(group instanceof Uint8Array) || group.length !== 4) throw invalidArg('group', 'a 4-byte Uint8Array', group);
  if (!isIpv4Multicast(group)) throw new WasagiError('ERR_INVALID_ADDRESS', 'The "group" argument must be a multicast address (224.0.0.0/4)');
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalidArg(name, `an integer in [${min}, ${max}]`, v);
  return v;
}

function checkNumber(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(name, 'a finite number ≥ 0', v);
  return v;
}
