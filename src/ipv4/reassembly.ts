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
// time exceeded", which RFC 1122 §3.3.2 says to send only then. One
// DeadlineHeap entry per datagram; nothing else looks at the clock. The
// driver runs onDeadline(now) before feeding fragments received at `now`.
//
// Queues are keyed by (Source, Destination, Protocol, Identification), RFC
// 791 §3.2: "the fragments of a datagram … have the same source, destination,
// protocol, and identifier". A queue holds each fragment's data, copied; the
// offset-0 fragment is kept whole (trimmed to its Total Length), because its
// header heads the reassembled datagram and Time Exceeded quotes it.
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
// Choices where the RFCs leave room (the IPv6 module's, unless said):
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
// Memory: the IPv6 module's policy. Each fragment costs its stored octets +
// FRAGMENT_OVERHEAD. Before a fragment is stored, the oldest datagrams of its
// source are evicted until the source fits maxBytesPerSource, then the
// oldest overall until everything fits maxBytesTotal; a new datagram beyond
// maxQueues first evicts a tombstone or the oldest datagram of its own
// source, and only then the oldest overall. bytesHeld never exceeds
// maxBytesTotal.
//
// Not here: validation beyond the header (the caller checks the destination
// is ours first); reassembly per interface (one Ip4Reassembler per interface
// if that matters, as Linux keys on the VRF/interface).

import { invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';
import {
  IP4_FLAG_MF, IP4_OFFSET_MASK, IPV4_MAX_TOTAL_LENGTH, checkIpv4Header, ip4ToNumber, ipv4Checksum, type Ip4,
} from '../wire/ipv4.js';

/** Reassembly gives up this long after the first-arriving fragment (Linux ipfrag_time 30 s; see the header). */
export const REASM_TIMEOUT = 30_000; // ms
/** Default octets held for one source address. */
export const MAX_BYTES_PER_SOURCE = 256 * 1024;
/** Default octets held overall (Linux ipfrag_high_thresh 4 MiB). */
export const MAX_BYTES_TOTAL = 4 * 1024 * 1024;
/** Default number of datagrams (queues and tombstones) at once. */
export const MAX_QUEUES = 1024;
/** Octets charged per stored fragment on top of its data (bookkeeping, as Linux's truesize). */
export const FRAGMENT_OVERHEAD = 64;

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

interface Piece {
  off: number;
  end: number;
  data: Uint8Array;
}

interface Source {
  readonly key: number;
  bytes: number;
  /** Live datagrams and tombstones of this source, oldest first (insertion order). */
  readonly live: Set<Queue>;
  readonly dead: Set<Queue>;
}

interface Queue {
  readonly key: string;
  readonly src: Source;
  /** A tombstone of a discarded datagram. */
  dead: boolean;
  /** Pieces sorted by offset, never overlapping. */
  pieces: Piece[];
  /** End of the data, fixed by the last fragment (MF = 0); −1 until it arrives. */
  total: number;
  /** Largest end of any piece held. */
  maxEnd: number;
  /** Data octets held (complete when it equals `total`, pieces being disjoint). */
  received: number;
  /** Octets charged to the budgets. */
  bytes: number;
  /** The offset-0 fragment as received, trimmed to its Total Length. */
  first?: Uint8Array;
  /** Its header length (IHL · 4). */
  firstHl: number;
  /** ECN codepoints seen, one bit per codepoint (as Linux's ip_frag_ecn). */
  ecn: number;
  heapIndex: number;
}

const PENDING: Ip4ReasmResult = Object.freeze({ kind: 'pending' });

const oldest = <T>(s: Set<T> | undefined): T | undefined => (s && s.size ? s.values().next().value : undefined);

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw invalidArg(name, 'a positive integer', v);
  return v;
}

/** ECN codepoint (low 2 bits of the TOS octet, RFC 3168 §5) as a one-bit mask. */
const ecnBit = (pkt: Uint8Array): number => 1 << (pkt[1] & 3);
const ECN_NOT_ECT = 1 << 0;
const ECN_CE = 1 << 3;

export class Ip4Reassembler {
  readonly counters: Ip4ReasmCounters = { reqds: 0, oks: 0, fails: 0, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0, dropped: 0 };
  readonly maxBytesPerSource: number;
  readonly maxBytesTotal: number;
  readonly maxQueues: number;
  readonly timeout: number;

  private readonly queues = new Map<string, Queue>();
  private readonly sources = new Map<number, Source>();
  /** Live datagrams and tombstones, oldest first. */
  private readonly live = new Set<Queue>();
  private readonly dead = new Set<Queue>();
  private readonly deadlines = new DeadlineHeap<Queue>({
    get: (q) => (q.heapIndex >= 0 ? q.heapIndex : undefined),
    set: (q, i) => void (q.heapIndex = i),
    delete: (q) => void (q.heapIndex = -1),
  });

  constructor(opts: Ip4ReasmOptions = {}) {
    this.maxBytesPerSource = positiveInt('maxBytesPerSource', opts.maxBytesPerSource, MAX_BYTES_PER_SOURCE);
    this.maxBytesTotal = positiveInt('maxBytesTotal', opts.maxBytesTotal, MAX_BYTES_TOTAL);
    this.maxQueues = positiveInt('maxQueues', opts.maxQueues, MAX_QUEUES);
    this.timeout = positiveInt('timeout', opts.timeout, REASM_TIMEOUT);
  }

  /** Datagrams in reassembly, tombstones included. */
  get size(): number {
    return this.queues.size;
  }

  /** Octets held for one source address. */
  bytesHeldBy(src: Ip4): number {
    return this.sources.get(ip4ToNumber(src))?.bytes ?? 0;
  }

  /** Earliest reassembly timeout, or NEVER. */
  nextDeadline(): Instant {
    return this.deadlines.next();
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
    let q = this.queues.get(key);
    // RFC 5722 §4's rule: fragments of a discarded datagram, "including those not yet received".
    if (q?.dead) return this.drop(Ip4ReasmDrop.POISONED);

    let pos = 0;
    if (q) {
      // The last fragment fixes the length; data past it, or another last fragment with a different end, is inconsistent.
      if (!more) {
        if (q.total >= 0 && fragEnd !== q.total) return this.discard(q, Ip4ReasmDrop.LAST_MISMATCH);
        if (fragEnd < q.maxEnd) return this.discard(q, Ip4ReasmDrop.BEYOND_END);
      } else if (q.total >= 0 && fragEnd > q.total) {
        return this.discard(q, Ip4ReasmDrop.BEYOND_END);
      }
      // Any overlap discards the datagram; pieces are sorted and disjoint,
      // so only the neighbours of the insertion point can overlap.
      const ps = q.pieces;
      let lo = 0;
      let hi = ps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ps[mid].off < off) lo = mid + 1;
        else hi = mid;
      }
      pos = lo;
      if ((pos > 0 && ps[pos - 1].end > off) || (pos < ps.length && ps[pos].off < fragEnd)) {
        this.counters.overlaps++;
        return this.discard(q, Ip4ReasmDrop.OVERLAP);
      }
    }

    const stored = off === 0 ? totalLength : dataLen;
    const cost = stored + FRAGMENT_OVERHEAD;
    if (cost > this.maxBytesPerSource || cost > this.maxBytesTotal) return this.drop(Ip4ReasmDrop.OVER_BUDGET);
    if (!q) this.makeRoomForQueue(srcKey);
    let src = q?.src ?? this.sources.get(srcKey);
    if (!src) {
      src = { key: srcKey, bytes: 0, live: new Set(), dead: new Set() };
      this.sources.set(srcKey, src);
    }
    if (!this.makeRoom(src, cost, q)) return this.drop(Ip4ReasmDrop.OVER_BUDGET);
    if (!q) {
      q = { key, src, dead: false, pieces: [], total: -1, maxEnd: 0, received: 0, bytes: 0, firstHl: 0, ecn: 0, heapIndex: -1 };
      this.queues.set(key, q);
      this.live.add(q);
      src.live.add(q);
      // From the first-arriving fragment; later fragments do not extend it (RFC 1122 §3.3.2 fixed timeout).
      this.deadlines.arm(q, now + this.timeout);
    }

    // Store: the offset-0 fragment whole (it heads the datagram and is quoted), others' data only.
    let data: Uint8Array;
    if (off === 0) {
      q.first = pkt.slice(0, totalLength);
      q.firstHl = hl;
      data = q.first.subarray(hl);
    } else {
      data = pkt.slice(hl, totalLength);
    }
    q.pieces.splice(pos, 0, { off, end: fragEnd, data });
    q.received += dataLen;
    if (fragEnd > q.maxEnd) q.maxEnd = fragEnd;
    if (!more) q.total = fragEnd;
    q.ecn |= ecnBit(pkt);
    q.bytes += cost;
    src.bytes += cost;
    this.counters.bytesHeld += cost;

    if (q.first && q.total >= 0 && q.received === q.total) return this.complete(q);
    return PENDING;
  }

  /**
   * Abandons datagrams whose timeout has come and returns a Time Exceeded
   * for each one whose offset-0 fragment had arrived (RFC 1122 §3.3.2);
   * others and tombstones go silently. Re-checks the time: early calls do
   * nothing.
   */
  onDeadline(now: Instant): Ip4ReasmAction[] {
    const acts: Ip4ReasmAction[] = [];
    for (let q = this.deadlines.popDue(now); q; q = this.deadlines.popDue(now)) {
      if (!q.dead) {
        this.counters.timeouts++;
        this.counters.fails++;
        if (q.first) acts.push({ type: 'TimeExceeded', firstFragment: q.first });
      }
      this.remove(q);
    }
    return acts;
  }

  // --- internals ---------------------------------------------------------------

  private drop(reason: Ip4ReasmDrop): Ip4ReasmResult {
    this.counters.dropped++;
    return { kind: 'dropped', reason };
  }

  /** An inconsistent datagram: free it and leave a tombstone until its timeout. */
  private discard(q: Queue, reason: Ip4ReasmDrop): Ip4ReasmResult {
    this.counters.fails++;
    this.release(q);
    q.pieces = [];
    q.first = undefined;
    q.dead = true;
    this.live.delete(q);
    q.src.live.delete(q);
    this.dead.add(q);
    q.src.dead.add(q);
    return this.drop(reason);
  }

  private complete(q: Queue): Ip4ReasmResult {
    const first = q.first!;
    const hl = q.firstHl;
    const totalLength = hl + q.total;
    this.remove(q);
    if (totalLength > IPV4_MAX_TOTAL_LENGTH) {
      this.counters.fails++;
      return this.drop(Ip4ReasmDrop.OVERSIZE);
    }
    // RFC 3168 §5.3 (Linux's ip_frag_ecn_table): Not-ECT mixed with ECT or CE
    // is dropped; CE in any fragment marks the reassembled datagram CE.
    if (q.ecn & ECN_NOT_ECT && q.ecn & ~ECN_NOT_ECT) {
      this.counters.fails++;
      return this.drop(Ip4ReasmDrop.ECN_MIXED);
    }
    // RFC 791 §3.2: the first fragment's header, the data in order; then a
    // fresh Total Length, no flags, offset 0, and the checksum recomputed.
    const packet = new Uint8Array(totalLength);
    packet.set(first.subarray(0, hl));
    for (const p of q.pieces) packet.set(p.data, hl + p.off);
    packet[2] = totalLength >> 8;
    packet[3] = totalLength & 0xff;
    packet[6] = 0;
    packet[7] = 0;
    if (q.ecn & ECN_CE) packet[1] |= 3;
    packet[10] = 0;
    packet[11] = 0;
    const c = ipv4Checksum(packet.subarray(0, hl));
    packet[10] = c >> 8;
    packet[11] = c & 0xff;
    this.counters.oks++;
    return { kind: 'complete', packet };
  }

  /**
   * Evicts the oldest datagrams of `src`, then the oldest overall, until
   * `cost` more octets fit both budgets. False when `current` itself had to go.
   */
  private makeRoom(src: Source, cost: number, current: Queue | undefined): boolean {
    while (src.bytes + cost > this.maxBytesPerSource) {
      const victim = oldest(src.live);
      if (!victim) break;
      this.evict(victim);
      if (victim === current) return false;
    }
    while (this.counters.bytesHeld + cost > this.maxBytesTotal) {
      const victim = oldest(this.live);
      if (!victim) break;
      this.evict(victim);
      if (victim === current) return false;
    }
    // Evicting a source's last datagram forgets the source; the fragment about to be stored brings it back.
    if (!this.sources.has(src.key)) this.sources.set(src.key, src);
    return true;
  }

  /** Frees a queue slot for a new datagram of `srcKey`: a tombstone or datagram of that source first, then overall. */
  private makeRoomForQueue(srcKey: number): void {
    while (this.queues.size >= this.maxQueues) {
      const s = this.sources.get(srcKey);
      const victim = oldest(s?.dead) ?? oldest(s?.live) ?? oldest(this.dead) ?? oldest(this.live);
      if (!victim) return;
      if (victim.dead) this.remove(victim);
      else this.evict(victim);
    }
  }

  private evict(q: Queue): void {
    this.counters.evictions++;
    this.counters.fails++;
    this.remove(q);
  }

  private release(q: Queue): void {
    q.src.bytes -= q.bytes;
    this.counters.bytesHeld -= q.bytes;
    q.bytes = 0;
  }

  private remove(q: Queue): void {
    this.release(q);
    this.queues.delete(q.key);
    this.live.delete(q);
    this.dead.delete(q);
    q.src.live.delete(q);
    q.src.dead.delete(q);
    this.deadlines.cancel(q);
    if (q.src.live.size === 0 && q.src.dead.size === 0) this.sources.delete(q.src.key);
  }
}
