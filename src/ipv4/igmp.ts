// IGMP, host side: IGMPv3 (RFC 3376 §5, §7) with IGMPv2 (RFC 2236) and
// IGMPv1 (RFC 1112 Appendix I) compatibility. The IPv4 twin of
// src/mld/listener.ts. Sans-IO: inputs take `now`, outputs are IgmpActions
// carrying the IGMP message ready to send (checksum filled in). The state
// machine and its timers — the Interface Timer for General Queries, one Group
// Timer per group, the State Change retransmission timer, and the IGMPv1 and
// IGMPv2 Querier Present timers — are the core shared with MLD
// (src/mcast/listener-core.ts); this file says what is IGMP's.
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
import { ListenerCore, checkIfindex, checkInt, checkNumber, type ListenerFamily } from '../mcast/listener-core.js';
import type { Instant } from '../time/instant.js';
import { ip4ToNumber, isIpv4Multicast, type Ip4 } from '../wire/ipv4.js';
import {
  ALL_IGMPV3_ROUTERS, ALL_ROUTERS, ALL_SYSTEMS, IGMP_V1_MEMBERSHIP_REPORT, IGMP_V2_LEAVE_GROUP, IGMP_V2_MEMBERSHIP_REPORT,
  emitIgmpV2Message, emitIgmpv3Report, splitIgmpRecords, type IgmpQuery,
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

/** Whether IGMP messages are ever sent about `group` (RFC 3376 §5: never for 224.0.0.1). */
export function isIgmpReportable(group: Ip4): boolean {
  return isIpv4Multicast(group) && ip4ToNumber(group) !== ip4ToNumber(ALL_SYSTEMS);
}

/**
 * What IGMP plugs into the shared core: version 3 with IGMPv1 and IGMPv2 as
 * older modes (timers `v1|if`, `v2|if`; IGMPv1 wins); IGMPv2 Leave Group is
 * the leave message, IGMPv1 has none; records go out as IGMPv3 Reports to
 * 224.0.0.22 (§4.2.14), as many as the link MTU allows (§4.2.16).
 */
const IGMP: ListenerFamily<Ip4, IgmpAction> = {
  version: 3,
  olderVersions: [1, 2],
  key: (a) => String(ip4ToNumber(a)),
  isReportable: isIgmpReportable,
  reports: (ifindex, records, mtu) =>
    splitIgmpRecords(records, mtu).map((part) => ({ type: 'SendReport', ifindex, dst: ALL_IGMPV3_ROUTERS.slice(), message: emitIgmpv3Report(part) })),
  // An IGMPv1 or IGMPv2 Membership Report, to the group (RFC 1112, RFC 2236 §3).
  olderReport: (ifindex, group, version) => ({
    type: 'SendReport', ifindex, dst: group.slice(),
    message: emitIgmpV2Message(version === 1 ? IGMP_V1_MEMBERSHIP_REPORT : IGMP_V2_MEMBERSHIP_REPORT, group),
  }),
  olderLeave: (ifindex, group, version) =>
    version === 2 ? { type: 'SendReport', ifindex, dst: ALL_ROUTERS.slice(), message: emitIgmpV2Message(IGMP_V2_LEAVE_GROUP, group) } : undefined,
  drawDelayBeforeLookup: true,
  armOlderTimerFirst: true,
};

export class IgmpHost {
  private readonly core: ListenerCore<Ip4, IgmpAction>;

  /** `random` returns floats in [0, 1): report delays are drawn from it (seeded in tests). */
  constructor(random: () => number, options: IgmpHostOptions = {}) {
    if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
    this.core = new ListenerCore(random, IGMP, {
      robustness: checkInt('options.robustness', options.robustness ?? ROBUSTNESS_VARIABLE, 1, 7),
      queryInterval: checkNumber('options.queryInterval', options.queryInterval ?? QUERY_INTERVAL),
      queryResponseInterval: checkNumber('options.queryResponseInterval', options.queryResponseInterval ?? QUERY_RESPONSE_INTERVAL),
      unsolicitedReportInterval: checkNumber('options.unsolicitedReportInterval', options.unsolicitedReportInterval ?? UNSOLICITED_REPORT_INTERVAL),
      olderUnsolicitedReportInterval: checkNumber('options.v2UnsolicitedReportInterval', options.v2UnsolicitedReportInterval ?? V2_UNSOLICITED_REPORT_INTERVAL),
      mtu: checkInt('options.mtu', options.mtu ?? DEFAULT_IGMP_MTU, IPV4_MIN_MTU, 0xffff),
    });
  }

  /** Earliest timer, or NEVER. */
  nextDeadline(): Instant {
    return this.core.nextDeadline();
  }

  /** Groups joined (and not left) on an interface, reportable or not. */
  groups(ifindex: number): Ip4[] {
    return this.core.groups(ifindex);
  }

  /** Host Compatibility Mode (§7.2.1). */
  mode(ifindex: number): IgmpCompatibilityMode {
    return `IGMPv${this.core.version(ifindex) as 1 | 2 | 3}`;
  }

  /** [Robustness Variable] in force on an interface (the default, or the last QRV heard). */
  robustnessOf(ifindex: number): number {
    return this.core.robustnessOf(ifindex);
  }

  /** The link MTU IGMPv3 Reports of this interface must fit (68..65535). */
  setMtu(ifindex: number, mtu: number): void {
    checkIfindex(ifindex);
    this.core.setMtu(ifindex, checkInt('mtu', mtu, IPV4_MIN_MTU, 0xffff));
  }

  /** Forgets an interface (it went down): its groups, modes and timers. Nothing is sent. */
  stop(ifindex: number): void {
    this.core.stop(ifindex);
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
    return this.core.join(ifindex, group, now);
  }

  /**
   * Leaves (§5.1). The last leave sends CHANGE_TO_INCLUDE_MODE {} with the
   * same retransmissions; in IGMPv2 mode one Leave Group to 224.0.0.2 if we
   * were the last reporter (RFC 2236 §3); in IGMPv1 mode nothing.
   */
  leave(ifindex: number, group: Ip4, now: Instant): IgmpAction[] {
    checkIfindex(ifindex);
    checkGroup(group);
    return this.core.leave(ifindex, group, now);
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
   * recording queried sources unless a group-wide response is pending. When
   * it fires (§5.2): EXCLUDE mode → IS_IN(queried − excluded); INCLUDE →
   * IS_IN(queried ∩ included); none → no response.
   */
  onQuery(ifindex: number, q: IgmpQuery, now: Instant): void {
    checkIfindex(ifindex);
    const general = ip4ToNumber(q.group) === 0;
    if (!general && !isIpv4Multicast(q.group)) return;
    this.core.onQuery(ifindex, { version: q.version, general, group: q.group, maxResponseDelay: q.maxResponseTime, qrv: q.qrv, qqi: q.qqi, sources: q.sources }, now);
  }

  /**
   * Another host's IGMPv1/v2 Report for `group` (RFC 2236 §3): in IGMPv1/v2
   * mode it stops our pending Report for that group (query response or
   * unsolicited repetition) and clears the last-reporter flag. Ignored in
   * IGMPv3 mode (§5.1: IGMPv3 hosts do not suppress).
   */
  onReport(ifindex: number, group: Ip4, _now: Instant): void {
    this.core.onOlderReport(ifindex, group);
  }

  /** Fires every timer due at `now` (a re-check: early calls do nothing) and returns the Reports to send. */
  onDeadline(now: Instant): IgmpAction[] {
    return this.core.onDeadline(now);
  }
}

function checkGroup(group: Ip4): void {
  if (!(group instanceof Uint8Array) || group.length !== 4) throw invalidArg('group', 'a 4-byte Uint8Array', group);
  if (!isIpv4Multicast(group)) throw new WasagiError('ERR_INVALID_ADDRESS', 'The "group" argument must be a multicast address (224.0.0.0/4)');
}
