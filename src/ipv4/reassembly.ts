// IPv4 reassembly (RFC 791 §3.2 "reassembly", RFC 815, RFC 1122 §3.3.2),
// hardened like the IPv6 one (src/ipv6/reassembly.ts): overlapping fragments
// discard the whole datagram (RFC 5722's rule, which Linux applies to IPv4
// too since 2018, counting ReasmOverlaps), ECN codepoints merged (RFC 3168
// §5.3), bounded memory, tombstones.
//
// Sans-IO: `onFragment(pkt, now)` returns what became of one fragment —
// `complete` (the reassembled datagram), `pending`, or `dropped` with a
// reason. `onDeadline(now)` abandons datagrams REASM_TIMEOUT after their
// first-arriving fragment and returns a Time Exceeded for each one whose
// first fragment (offset 0) had arrived: RFC 792 code 1 "fragment reassembly
// time exceeded", which RFC 1122 §3.3.2 says to send only then. Nothing
// else looks at the clock. The driver runs onDeadline(now) before feeding
// fragments received at `now`.
//
// The queues, their memory budgets, eviction, tombstones, deadlines and the
// overlap rule are shared with IPv6: src/frag/queue.ts, whose header gives
// the policy. This module keeps what is IPv4's own: the header checks, the
// key, the timeout, and the fresh header of the reassembled datagram.
//
// Queues are keyed by (Source, Destination, Protocol, Identification), RFC
// 791 §3.2: "the fragments of a datagram … have the same source, destination,
// protocol, and identifier". The offset-0 fragment is kept whole (trimmed to
// its Total Length), because its header heads the reassembled datagram and
// Time Exceeded quotes it.
//
// The reassembled datagram gets a fresh header: the first fragment's,
// options included (RFC 791 §3.2: "the header of the first fragment"), with
// Total Length set, flags and Fragment Offset 0 (DF too: Linux keeps DF when a
// fragment had it, for forwarding, which a host does not do), the ECN field
// merged, and the header checksum recomputed.
//
// Timeout: 30 s, Linux's ipfrag_time. RFC 791's example sets the timer to
// 15 s (raised to each fragment's TTL), RFC 1122 §3.3.2 recommends 60–120 s
// fixed; Linux, FreeBSD (net.inet.ip.fragttl 30 s) and common practice use
// 30 s, which also halves how long a flood can pin memory. Like RFC 1122
// (not RFC 791), later fragments do not extend it. Configurable (`timeout`).
//
// Choices where the RFCs leave room (the IPv6 module's, unless said; the
// shared ones in src/frag/queue.ts):
// - Any overlap, exact duplicates included, discards the datagram and leaves
//   a tombstone until its timeout; later fragments of it are dropped. Linux
//   drops a fragment lying wholly within one it holds (IPFRAG_DUP) but keeps
//   the queue; we treat it as the overlap it might be, as for IPv6.
// - Other inconsistencies discard the datagram the same way: data past the
//   end fixed by the last fragment (MF = 0), or a second last fragment with
//   another end.
// - MF = 1 with data not a multiple of 8 octets: the fragment is dropped
//   (RFC 791 §3.2 makes every non-last fragment a multiple of 8). Linux
//   trims the data to a multiple of 8 instead.
// - Header length + offset + data > 65535 (Total Length could not hold it):
//   the fragment is dropped (checked again with the first fragment's header
//   length when complete, OVERSIZE), as Linux's "Oversized IP packet".
// - An empty fragment (no data) is dropped alone; the datagram is kept.
// - A datagram that is not a fragment (MF = 0, offset 0) is returned as
//   `complete`, unchanged: callers may feed every datagram through.
// - Not done: Linux's ipfrag_max_dist (discard a queue after 64 other
//   fragments from the source arrived in between).
//
// Memory: src/frag/queue.ts's budgets (per source, overall, queue count),
// as for IPv6; the source is the IPv4 source address.
//
// Not here: validation beyond the header (the caller checks the destination
// is ours first); reassembly per interface (one Ip4Reassembler per interface
// if that matters, as Linux keys on the VRF/interface).

import { invalidArg } from '../errors.js';
import {
  FragQueues, FragReject, assemble, ecnBit, ecnCe, ecnMixed, type FragQueue,
} from '../frag/queue.js';
import type { Instant } from '../time/instant.js';
import {
  IP4_FLAG_MF, IP4_OFFSET_MASK, IPV4_MAX_TOTAL_LENGTH, checkIpv4Header, ip4ToNumber, ipv4Checksum, type Ip4,
} from '../wire/ipv4.js';

/** Reassembly gives up this long after the first-arriving fragment (Linux ipfrag_time 30 s; see the header). */
export const REASM_TIMEOUT = 30_000; // ms
/** Memory defaults, the same for IPv6 (src/frag/queue.ts). */
export { FRAGMENT_OVERHEAD, MAX_BYTES_PER_SOURCE, MAX_BYTES_TOTAL, MAX_QUEUES } from '../frag/queue.js';

/** Why a fragment was dropped. Each drop site cites the rule it enforces. */
export enum Ip4ReasmDrop {
  MALFORMED = 1, // the IPv4 header fails checkIpv4Header (RFC 1122 §3.2.1.1–2)
  NOT_MULTIPLE_OF_8 = 2, // MF = 1 and the data is not a multiple of 8 octets (RFC 791 §3.2)
  TOO_LONG = 3, // header + offset + data would exceed 65535, the largest Total Length (RFC 791 §3.1)
  EMPTY = 4, // no data in a fragment (nothing to reassemble)
  POISONED = 5, // belongs to a datagram already discarded (RFC 5722 §4's rule)
  OVERLAP = 6, // overlaps (or duplicates) a fragment held: the datagram is discarded (RFC 5722 §4's rule)
  BEYOND_END = 7, // data past the end fixed by the last fragment: the datagram is discarded
  LAST_MISMATCH = 8, // a second last fragment with another end: the datagram is discarded
  OVERSIZE = 9, // complete, but the first fragment's header + data exceed 65535 (RFC 791 §3.1)
  ECN_MIXED = 10, // Not-ECT mixed with ECT/CE fragments (RFC 3168 §5.3)
  OVER_BUDGET = 11, // the fragment cannot be held within the memory budgets (its datagram was the oldest)
}

/** What became of one fragment. */
export type Ip4ReasmResult =
  | { kind: 'complete'; packet: Uint8Array }
  | { kind: 'pending' }
  | { kind: 'dropped'; reason: Ip4ReasmDrop };

/**
 * Effects of onDeadline: an ICMP Time Exceeded, code 1 "fragment reassembly
 * time exceeded" (RFC 792), to the source of `firstFragment`, which it quotes.
 */
export type Ip4ReasmAction = { type: 'TimeExceeded'; firstFragment: Uint8Array };

export interface Ip4ReasmOptions {
  /** Octets held for one source address (default MAX_BYTES_PER_SOURCE). */
  maxBytesPerSource?: number;
  /** Octets held overall (default MAX_BYTES_TOTAL). */
  maxBytesTotal?: number;
  /** Datagrams in reassembly at once, tombstones included (default MAX_QUEUES). */
  maxQueues?: number;
  /** Reassembly timeout in ms (default REASM_TIMEOUT, 30 s). */
  timeout?: number;
}

/** Counters, named after Linux's /proc/net/snmp Ip: fields where one exists. */
export interface Ip4ReasmCounters {
  /** Fragments received (ReasmReqds). */
  reqds: number;
  /** Datagrams reassembled (ReasmOKs). */
  oks: number;
  /** Datagrams given up (ReasmFails): timed out, discarded as inconsistent, evicted, oversize. */
  fails: number;
  /** Datagrams abandoned after the timeout (ReasmTimeout). */
  timeouts: number;
  /** Datagrams discarded for overlapping fragments (ReasmOverlaps). */
  overlaps: number;
  /** Datagrams evicted by a memory or queue budget. */
  evictions: number;
  /** Octets held now (data + FRAGMENT_OVERHEAD per fragment). */
  bytesHeld: number;
  /** Fragments whose result was `dropped`. */
  dropped: number;
}

const PENDING: Ip4ReasmResult = Object.freeze({ kind: 'pending' });

/** The shared queue's refusals as drop reasons (each cites its rule in Ip4ReasmDrop). */
const REJECTED: Record<FragReject, Ip4ReasmDrop> = {
  [FragReject.POISONED]: Ip4ReasmDrop.POISONED,
  [FragReject.OVERLAP]: Ip4ReasmDrop.OVERLAP,
  [FragReject.BEYOND_END]: Ip4ReasmDrop.BEYOND_END,
  [FragReject.LAST_MISMATCH]: Ip4ReasmDrop.LAST_MISMATCH,
  [FragReject.OVER_BUDGET]: Ip4ReasmDrop.OVER_BUDGET,
};

/** ECN codepoint of a datagram: the low 2 bits of the TOS octet (RFC 3168 §5). */
const ecnOf = (pkt: Uint8Array): number => pkt[1] & 3;

export class Ip4Reassembler {
  readonly counters: Ip4ReasmCounters = { reqds: 0, oks: 0, fails: 0, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0, dropped: 0 };
  readonly maxBytesPerSource: number;
  readonly maxBytesTotal: number;
  readonly maxQueues: number;
  readonly timeout: number;

  private readonly queues: FragQueues<number>;

  constructor(opts: Ip4ReasmOptions = {}) {
    this.queues = new FragQueues(this.counters, opts, REASM_TIMEOUT);
    this.maxBytesPerSource = this.queues.maxBytesPerSource;
    this.maxBytesTotal = this.queues.maxBytesTotal;
    this.maxQueues = this.queues.maxQueues;
    this.timeout = this.queues.timeout;
  }

  /** Datagrams in reassembly, tombstones included. */
  get size(): number {
    return this.queues.size;
  }

  /** Octets held for one source address. */
  bytesHeldBy(src: Ip4): number {
    return this.queues.bytesHeldBy(ip4ToNumber(src));
  }

  /** Earliest reassembly timeout, or NEVER. */
  nextDeadline(): Instant {
    return this.queues.nextDeadline();
  }

  /**
   * One fragment: `pkt` is the whole IPv4 datagram, header included (octets
   * past Total Length, link padding, are ignored). Untrusted bytes are never
   * thrown on; only a non-Uint8Array throws ERR_INVALID_ARG.
   */
  onFragment(pkt: Uint8Array, now: Instant): Ip4ReasmResult {
    if (!(pkt instanceof Uint8Array)) throw invalidArg('pkt', 'a Uint8Array', pkt);
    if (checkIpv4Header(pkt) !== null) return this.drop(Ip4ReasmDrop.MALFORMED);
    const hl = (pkt[0] & 0x0f) * 4;
    const totalLength = (pkt[2] << 8) | pkt[3];
    const ff = (pkt[6] << 8) | pkt[7];
    const more = (ff & IP4_FLAG_MF) !== 0;
    const off = (ff & IP4_OFFSET_MASK) * 8;
    if (!more && off === 0) return { kind: 'complete', packet: pkt.subarray(0, totalLength) };
    this.counters.reqds++;

    const dataLen = totalLength - hl;
    const fragEnd = off + dataLen;
    // RFC 791 §3.2: every fragment but the last carries a multiple of 8 octets.
    if (more && (dataLen & 7) !== 0) return this.drop(Ip4ReasmDrop.NOT_MULTIPLE_OF_8);
    // RFC 791 §3.1: Total Length is 16 bits, so the datagram cannot end past 65535.
    if (hl + fragEnd > IPV4_MAX_TOTAL_LENGTH) return this.drop(Ip4ReasmDrop.TOO_LONG);
    if (dataLen === 0) return this.drop(Ip4ReasmDrop.EMPTY);

    // RFC 791 §3.2: fragments of one datagram share source, destination, protocol and identification.
    const srcKey = ip4ToNumber(pkt.subarray(12, 16));
    const key = `${srcKey}:${ip4ToNumber(pkt.subarray(16, 20))}:${pkt[9]}:${(pkt[4] << 8) | pkt[5]}`;
    // Overlaps, inconsistent ends, tombstones (RFC 5722 §4's rule) and budgets: src/frag/queue.ts.
    const r = this.queues.add({ key, srcKey, pkt, off, more, headLen: hl, dataStart: hl, end: totalLength, ecn: ecnBit(ecnOf(pkt)) }, now);
    if (r.kind === 'complete') return this.complete(r.queue);
    if (r.kind === 'rejected') return this.drop(REJECTED[r.why]);
    return PENDING;
  }

  /**
   * Abandons datagrams whose timeout has come and returns a Time Exceeded
   * for each one whose offset-0 fragment had arrived (RFC 1122 §3.3.2);
   * others and tombstones go silently. Re-checks the time: early calls do
   * nothing.
   */
  onDeadline(now: Instant): Ip4ReasmAction[] {
    return this.queues.onDeadline(now);
  }

  // --- internals ---------------------------------------------------------------

  private drop(reason: Ip4ReasmDrop): Ip4ReasmResult {
    this.counters.dropped++;
    return { kind: 'dropped', reason };
  }

  /** A complete datagram, already out of the queues: the last checks, then the datagram. */
  private complete(q: FragQueue<number>): Ip4ReasmResult {
    const hl = q.headLen;
    const totalLength = hl + q.total;
    if (totalLength > IPV4_MAX_TOTAL_LENGTH) {
      this.counters.fails++;
      return this.drop(Ip4ReasmDrop.OVERSIZE);
    }
    // RFC 3168 §5.3 (Linux's ip_frag_ecn_table): Not-ECT mixed with ECT or CE
    // is dropped; CE in any fragment marks the reassembled datagram CE.
    if (ecnMixed(q.ecn)) {
      this.counters.fails++;
      return this.drop(Ip4ReasmDrop.ECN_MIXED);
    }
    // RFC 791 §3.2: the first fragment's header, the data in order; then a
    // fresh Total Length, no flags, offset 0, and the checksum recomputed.
    const packet = assemble(q);
    packet[2] = totalLength >> 8;
    packet[3] = totalLength & 0xff;
    packet[6] = 0;
    packet[7] = 0;
    if (ecnCe(q.ecn)) packet[1] |= 3;
    packet[10] = 0;
    packet[11] = 0;
    const c = ipv4Checksum(packet.subarray(0, hl));
    packet[10] = c >> 8;
    packet[11] = c & 0xff;
    this.counters.oks++;
    return { kind: 'complete', packet };
  }
}
