// Multicast listener, host side: MLDv2 (RFC 3810 §4, §6) with MLDv1
// compatibility (RFC 3810 §8.2, RFC 2710 §4). Sans-IO: inputs take `now`,
// outputs are MldActions. The state machine and its timers — the Interface
// Timer for General Queries, one Multicast Address Timer per group, the State
// Change retransmission timer and the Older Version Querier Present timer —
// are the core shared with IGMP (src/mcast/listener-core.ts); this file says
// what is MLD's: reportable groups, messages, defaults, argument checks.
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
import { ListenerCore, checkIfindex, checkInt, checkNumber, type ListenerFamily } from '../mcast/listener-core.js';
import type { Instant } from '../time/instant.js';
import { ALL_NODES, ip6Equal, ip6Key, isMulticast, isUnspecified, multicastScope, type Ip6 } from '../wire/address.js';
import { splitMcastRecords, type McastRecord, type MldQuery } from '../wire/mld.js';

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

/** Whether MLD messages are ever sent about `group` (RFC 3810 §6). */
export function isReportable(group: Ip6): boolean {
  const scope = multicastScope(group);
  return isMulticast(group) && scope !== 0 && scope !== 1 && !ip6Equal(group, ALL_NODES);
}

/**
 * What MLD plugs into the shared core: version 2 with MLDv1 as the one older
 * mode (Older Version Querier Present timer `v1|if`); MLDv1 Done is the leave
 * message; records go out as MLDv2 Reports split for the MTU (§5.2.15).
 */
const MLD: ListenerFamily<Ip6, MldAction> = {
  version: 2,
  olderVersions: [1],
  key: ip6Key,
  isReportable,
  reports: (ifindex, records, mtu) => splitMcastRecords(records, mtu).map((part) => ({ type: 'SendMldv2Report', ifindex, records: part })),
  olderReport: (ifindex, group) => ({ type: 'SendMldv1Report', ifindex, group }),
  olderLeave: (ifindex, group) => ({ type: 'SendMldv1Done', ifindex, group }),
  drawDelayBeforeLookup: false,
  armOlderTimerFirst: false,
};

export class MldListener {
  private readonly core: ListenerCore<Ip6, MldAction>;

  constructor(random: () => number, options: MldListenerOptions = {}) {
    if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
    const robustness = checkInt('options.robustness', options.robustness ?? ROBUSTNESS_VARIABLE, 1, 7);
    const queryInterval = checkNumber('options.queryInterval', options.queryInterval ?? QUERY_INTERVAL);
    const queryResponseInterval = checkNumber('options.queryResponseInterval', options.queryResponseInterval ?? QUERY_RESPONSE_INTERVAL);
    const unsolicitedReportInterval = checkNumber('options.unsolicitedReportInterval', options.unsolicitedReportInterval ?? UNSOLICITED_REPORT_INTERVAL);
    const mtu = checkInt('options.mtu', options.mtu ?? MIN_LINK_MTU, MIN_LINK_MTU, 0xffffffff);
    // MLDv1 mode repeats unsolicited Reports at the same interval.
    this.core = new ListenerCore(random, MLD, {
      robustness, queryInterval, queryResponseInterval, unsolicitedReportInterval, olderUnsolicitedReportInterval: unsolicitedReportInterval, mtu,
    });
  }

  nextDeadline(): Instant {
    return this.core.nextDeadline();
  }

  /** Groups listened to on an interface (joined and not left), reportable or not. */
  groups(ifindex: number): Ip6[] {
    return this.core.groups(ifindex);
  }

  mode(ifindex: number): HostCompatibilityMode {
    return this.core.version(ifindex) === 1 ? 'MLDv1' : 'MLDv2';
  }

  /** [Robustness Variable] in force on an interface (the default, or the last QRV heard). */
  robustnessOf(ifindex: number): number {
    return this.core.robustnessOf(ifindex);
  }

  /** The link MTU Reports of this interface must fit (≥ 1280). */
  setMtu(ifindex: number, mtu: number): void {
    checkIfindex(ifindex);
    this.core.setMtu(ifindex, checkInt('mtu', mtu, MIN_LINK_MTU, 0xffffffff));
  }

  /** Forgets an interface (it went down): its groups, modes and timers. Nothing is sent. */
  stop(ifindex: number): void {
    this.core.stop(ifindex);
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
    return this.core.join(ifindex, group, now);
  }

  /**
   * Stops listening (§6.1). The last leave sends CHANGE_TO_INCLUDE_MODE {}
   * with the same retransmissions; in MLDv1 mode one Done instead, unless
   * another node's Report suppressed our last one (RFC 2710 §4).
   */
  leave(ifindex: number, group: Ip6, now: Instant): MldAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    return this.core.leave(ifindex, group, now);
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
   * sooner (rules 1, 3, 4). Source lists are not recorded (the core is given
   * none): the response is the group's whole state, a superset of what §6.3
   * rule 3 asks for.
   */
  onQuery(ifindex: number, q: MldQuery, now: Instant): void {
    const general = isUnspecified(q.group);
    // §5.1.10: a General Query carries no sources; one that does is malformed.
    if (general ? q.sources.length > 0 : !isMulticast(q.group)) return;
    // §5.1.8, §5.1.9, §9.1, §9.2: the core adopts QRV and QQI from MLDv2 Queries.
    this.core.onQuery(ifindex, { version: q.version, general, group: q.group, maxResponseDelay: q.maxResponseDelay, qrv: q.qrv, qqi: q.qqi, sources: [] }, now);
  }

  /**
   * Another node's MLDv1 Report (RFC 2710 §4): in MLDv1 mode it stops our
   * pending Report for that group (a query response or an unsolicited
   * repetition) and clears the last-reporter flag. Ignored in MLDv2 mode
   * (§6: MLDv2 hosts do not suppress).
   */
  onMldv1Report(ifindex: number, group: Ip6, _now: Instant): void {
    this.core.onOlderReport(ifindex, group);
  }

  onDeadline(now: Instant): MldAction[] {
    return this.core.onDeadline(now);
  }
}

function checkGroup(group: Ip6): void {
  if (!(group instanceof Uint8Array) || group.length !== 16) throw invalidArg('group', 'a 16-byte Uint8Array', group);
  if (!isMulticast(group)) throw new WasagiError('ERR_INVALID_ADDRESS', 'The "group" argument must be a multicast address (ff00::/8)');
}
