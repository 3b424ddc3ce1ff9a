// Reassembly queues with bounded memory, shared by IPv4 (src/ipv4/reassembly.ts,
// RFC 791 §3.2, RFC 815) and IPv6 (src/ipv6/reassembly.ts, RFC 8200 §4.5).
// Everything here is the same for both families; the reassemblers keep what
// differs: the key, the header checks and which RFC rules apply, how the
// reassembled packet's header is rewritten, and their drop reasons.
//
// A queue is one datagram in reassembly. It holds each fragment's data,
// copied, as disjoint pieces sorted by offset (the filled ranges rather than
// RFC 815's hole descriptors: a new piece is checked against its two
// neighbours only). The offset-0 fragment is kept whole, as received
// (trimmed to its length field), because its header heads the reassembled
// packet and Time Exceeded quotes it. A datagram is complete
// when the last fragment has fixed its end, the offset-0 fragment is held
// and the data received add up to that end.
//
// Rules shared by both families (RFC 5722 §4, which Linux applies to IPv4
// too since 2018):
// - Any overlap, exact duplicates included, discards the datagram (RFC 5722
//   §4 says "any" overlap; a duplicate with different data is the attack,
//   and comparing bytes to tell a benign copy from it costs as much as it
//   saves). So does data past the end fixed by the last fragment, or a second
//   last fragment with another end.
// - A discarded datagram leaves a tombstone until its timeout: later
//   fragments of it are dropped (RFC 5722 §4 "and any constituent fragments,
//   including those not yet received"). Tombstones hold no fragments, expire
//   silently and count toward maxQueues.
// - The timeout runs from the first-arriving fragment; later fragments do
//   not extend it. One DeadlineHeap entry per datagram; `onDeadline(now)`
//   re-checks the time, so an early call does nothing.
//
// Memory: each fragment costs its stored octets + FRAGMENT_OVERHEAD (object
// and view headers, like Linux's skb truesize, so a flood of 8-octet pieces
// is bounded too). Before a fragment is stored, the oldest datagrams of its
// source are evicted until the source fits maxBytesPerSource, then the
// oldest overall until everything fits maxBytesTotal; a new datagram beyond
// maxQueues first evicts a tombstone or the oldest datagram of its own
// source, and only then a tombstone or the oldest datagram overall. A flood
// from one source thus cycles within its own budget and cannot push out
// other sources' datagrams unless the total is exhausted by many sources.
// bytesHeld never exceeds maxBytesTotal.
//
// ECN (RFC 3168 §5.3, as Linux's ip_frag_ecn_table): each queue collects the
// codepoints seen, one bit each; the reassemblers apply the rule.

import { invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';

/** Default octets held for one source address. */
export const MAX_BYTES_PER_SOURCE = 256 * 1024;
/** Default octets held overall (Linux ipfrag_high_thresh 4 MiB). */
export const MAX_BYTES_TOTAL = 4 * 1024 * 1024;
/** Default number of datagrams (queues and tombstones) at once. */
export const MAX_QUEUES = 1024;
/** Octets charged per stored fragment on top of its data (bookkeeping, as Linux's truesize). */
export const FRAGMENT_OVERHEAD = 64;

const ECN_NOT_ECT = 1 << 0;
const ECN_CE = 1 << 3;
/** ECN codepoint (RFC 3168 §5: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE) as the one-bit mask a queue collects. */
export const ecnBit = (codepoint: number): number => 1 << (codepoint & 3);
/** RFC 3168 §5.3: Not-ECT mixed with ECT or CE; the datagram is dropped. */
export const ecnMixed = (mask: number): boolean => (mask & ECN_NOT_ECT) !== 0 && (mask & ~ECN_NOT_ECT) !== 0;
/** RFC 3168 §5.3: CE in any fragment marks the reassembled packet CE. */
export const ecnCe = (mask: number): boolean => (mask & ECN_CE) !== 0;

/** Budgets and timeout, as given to a reassembler's constructor. */
export interface FragLimitOptions {
  maxBytesPerSource?: number;
  maxBytesTotal?: number;
  maxQueues?: number;
  timeout?: number;
}

/** The counters the queues keep; each reassembler's counters object extends them. */
export interface FragCounters {
  /** Datagrams given up: timed out, discarded as inconsistent, evicted (the reassembler adds its own). */
  fails: number;
  /** Datagrams abandoned after the timeout. */
  timeouts: number;
  /** Datagrams discarded for overlapping fragments (RFC 5722 §4). */
  overlaps: number;
  /** Datagrams evicted by a memory or queue budget. */
  evictions: number;
  /** Octets held now (data + FRAGMENT_OVERHEAD per fragment). */
  bytesHeld: number;
}

/** One fragment, as its reassembler parsed it; offsets are octets. */
export interface FragmentIn<S> {
  /** Identifies the datagram (the family's RFC key). */
  key: string;
  /** Identifies its source, for the per-source budget. */
  srcKey: S;
  /** The whole packet, header included; trusted up to `end`. */
  pkt: Uint8Array;
  /** Fragment Offset in octets, and the More Fragments flag. */
  off: number;
  more: boolean;
  /** Where in `pkt` the header the reassembled packet keeps ends (IPv4: IHL · 4; IPv6: the Unfragmentable Part). */
  headLen: number;
  /** Where in `pkt` the fragment's data begin and end. */
  dataStart: number;
  end: number;
  /** ecnBit of the packet's ECN field. */
  ecn: number;
}

/** A piece of the data, [off, end) in the reassembled data. */
export interface FragPiece {
  readonly off: number;
  readonly end: number;
  readonly data: Uint8Array;
}

/** A source address's share of the budget. */
export interface FragSource<S> {
  readonly key: S;
  bytes: number;
  /** Live datagrams and tombstones of this source, oldest first (insertion order). */
  readonly live: Set<FragQueue<S>>;
  readonly dead: Set<FragQueue<S>>;
}

/** One datagram in reassembly, or its tombstone. */
export interface FragQueue<S> {
  readonly key: string;
  readonly src: FragSource<S>;
  /** A tombstone of a discarded datagram (RFC 5722 §4). */
  dead: boolean;
  /** Pieces sorted by offset, never overlapping. */
  pieces: FragPiece[];
  /** End of the data, fixed by the last fragment; −1 until it arrives. */
  total: number;
  /** Largest end of any piece held. */
  maxEnd: number;
  /** Data octets held (complete when it equals `total`, pieces being disjoint). */
  received: number;
  /** Octets charged to the budgets. */
  bytes: number;
  /** The offset-0 fragment as received, trimmed to its length field. */
  first?: Uint8Array;
  /** `headLen` of the offset-0 fragment. */
  headLen: number;
  /** ECN codepoints seen, one bit per codepoint (as Linux's ip_frag_ecn). */
  ecn: number;
  heapIndex: number;
}

/** Why `add` refused a fragment. The reassemblers map these to their drop reasons. */
export enum FragReject {
  POISONED = 1, // belongs to a datagram already discarded (RFC 5722 §4)
  OVERLAP = 2, // overlaps (or duplicates) a fragment held: the datagram was discarded (RFC 5722 §4)
  BEYOND_END = 3, // data past the end fixed by the last fragment: the datagram was discarded
  LAST_MISMATCH = 4, // a second last fragment with another end: the datagram was discarded
  OVER_BUDGET = 5, // cannot be held within the memory budgets (its datagram was the oldest)
}

/** What `add` did with a fragment. `complete` hands over the queue, already removed. */
export type FragAdded<S> =
  | { kind: 'pending' }
  | { kind: 'complete'; queue: FragQueue<S> }
  | { kind: 'rejected'; why: FragReject };

/** Effect of onDeadline: a Time Exceeded to the source of `firstFragment`, quoting it. */
export type FragTimeExceeded = { type: 'TimeExceeded'; firstFragment: Uint8Array };

const PENDING: FragAdded<never> = Object.freeze({ kind: 'pending' });
const REJECTED: Record<FragReject, FragAdded<never>> = {
  [FragReject.POISONED]: Object.freeze({ kind: 'rejected', why: FragReject.POISONED }),
  [FragReject.OVERLAP]: Object.freeze({ kind: 'rejected', why: FragReject.OVERLAP }),
  [FragReject.BEYOND_END]: Object.freeze({ kind: 'rejected', why: FragReject.BEYOND_END }),
  [FragReject.LAST_MISMATCH]: Object.freeze({ kind: 'rejected', why: FragReject.LAST_MISMATCH }),
  [FragReject.OVER_BUDGET]: Object.freeze({ kind: 'rejected', why: FragReject.OVER_BUDGET }),
};

const oldest = <T>(s: Set<T> | undefined): T | undefined => (s && s.size ? s.values().next().value : undefined);

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw invalidArg(name, 'a positive integer', v);
  return v;
}

/** The reassembled packet: the offset-0 fragment's first `headLen` octets, then the data in order. */
export function assemble(q: FragQueue<unknown>): Uint8Array {
  const packet = new Uint8Array(q.headLen + q.total);
  packet.set(q.first!.subarray(0, q.headLen));
  for (const p of q.pieces) packet.set(p.data, q.headLen + p.off);
  return packet;
}

/** The datagrams in reassembly, keyed by `FragmentIn.key`, with their sources' budgets and deadlines. */
export class FragQueues<S> {
  readonly maxBytesPerSource: number;
  readonly maxBytesTotal: number;
  readonly maxQueues: number;
  readonly timeout: number;

  private readonly queues = new Map<string, FragQueue<S>>();
  private readonly sources = new Map<S, FragSource<S>>();
  /** Live datagrams and tombstones, oldest first. */
  private readonly live = new Set<FragQueue<S>>();
  private readonly dead = new Set<FragQueue<S>>();
  private readonly deadlines = new DeadlineHeap<FragQueue<S>>({
    get: (q) => (q.heapIndex >= 0 ? q.heapIndex : undefined),
    set: (q, i) => void (q.heapIndex = i),
    delete: (q) => void (q.heapIndex = -1),
  });

  /** `counters` is updated in place; `defaultTimeout` is the family's (ms). Throws ERR_INVALID_ARG on a limit that is not a positive integer. */
  constructor(private readonly counters: FragCounters, opts: FragLimitOptions, defaultTimeout: number) {
    this.maxBytesPerSource = positiveInt('maxBytesPerSource', opts.maxBytesPerSource, MAX_BYTES_PER_SOURCE);
    this.maxBytesTotal = positiveInt('maxBytesTotal', opts.maxBytesTotal, MAX_BYTES_TOTAL);
    this.maxQueues = positiveInt('maxQueues', opts.maxQueues, MAX_QUEUES);
    this.timeout = positiveInt('timeout', opts.timeout, defaultTimeout);
  }

  /** Datagrams in reassembly, tombstones included. */
  get size(): number {
    return this.queues.size;
  }

  /** Octets held for one source. */
  bytesHeldBy(srcKey: S): number {
    return this.sources.get(srcKey)?.bytes ?? 0;
  }

  /** Earliest reassembly timeout, or NEVER. */
  nextDeadline(): Instant {
    return this.deadlines.next();
  }

  /**
   * Adds one fragment that passed its family's checks (data non-empty, a
   * multiple of 8 unless last, within the largest length). Inconsistent
   * fragments discard their datagram, leaving a tombstone (RFC 5722 §4).
   */
  add(f: FragmentIn<S>, now: Instant): FragAdded<S> {
    const dataLen = f.end - f.dataStart;
    const fragEnd = f.off + dataLen;
    let q = this.queues.get(f.key);
    // RFC 5722 §4: fragments of a discarded datagram, "including those not yet received".
    if (q?.dead) return REJECTED[FragReject.POISONED];

    let pos = 0;
    if (q) {
      // RFC 8200 §4.5, RFC 791 §3.2: the last fragment fixes the length; data
      // past it, or another last fragment with a different end, is inconsistent.
      if (!f.more) {
        if (q.total >= 0 && fragEnd !== q.total) return this.discard(q, FragReject.LAST_MISMATCH);
        if (fragEnd < q.maxEnd) return this.discard(q, FragReject.BEYOND_END);
      } else if (q.total >= 0 && fragEnd > q.total) {
        return this.discard(q, FragReject.BEYOND_END);
      }
      // RFC 5722 §4: any overlap discards the datagram; pieces are sorted and
      // disjoint, so only the neighbours of the insertion point can overlap.
      const ps = q.pieces;
      let lo = 0;
      let hi = ps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ps[mid].off < f.off) lo = mid + 1;
        else hi = mid;
      }
      pos = lo;
      if ((pos > 0 && ps[pos - 1].end > f.off) || (pos < ps.length && ps[pos].off < fragEnd)) {
        this.counters.overlaps++;
        return this.discard(q, FragReject.OVERLAP);
      }
    }

    const stored = f.off === 0 ? f.end : dataLen;
    const cost = stored + FRAGMENT_OVERHEAD;
    if (cost > this.maxBytesPerSource || cost > this.maxBytesTotal) return REJECTED[FragReject.OVER_BUDGET];
    if (!q) this.makeRoomForQueue(f.srcKey);
    let src = q?.src ?? this.sources.get(f.srcKey);
    if (!src) {
      src = { key: f.srcKey, bytes: 0, live: new Set(), dead: new Set() };
      this.sources.set(f.srcKey, src);
    }
    if (!this.makeRoom(src, cost, q)) return REJECTED[FragReject.OVER_BUDGET];
    if (!q) {
      q = { key: f.key, src, dead: false, pieces: [], total: -1, maxEnd: 0, received: 0, bytes: 0, headLen: 0, ecn: 0, heapIndex: -1 };
      this.queues.set(f.key, q);
      this.live.add(q);
      src.live.add(q);
      // From the first-arriving fragment; later fragments do not extend it.
      this.deadlines.arm(q, now + this.timeout);
    }

    // Store: the offset-0 fragment whole (it heads the packet and is quoted), others' data only.
    let data: Uint8Array;
    if (f.off === 0) {
      q.first = f.pkt.slice(0, f.end);
      q.headLen = f.headLen;
      data = q.first.subarray(f.dataStart);
    } else {
      data = f.pkt.slice(f.dataStart, f.end);
    }
    q.pieces.splice(pos, 0, { off: f.off, end: fragEnd, data });
    q.received += dataLen;
    if (fragEnd > q.maxEnd) q.maxEnd = fragEnd;
    if (!f.more) q.total = fragEnd;
    q.ecn |= f.ecn;
    q.bytes += cost;
    src.bytes += cost;
    this.counters.bytesHeld += cost;

    if (q.first && q.total >= 0 && q.received === q.total) {
      this.remove(q);
      return { kind: 'complete', queue: q };
    }
    return PENDING;
  }

  /**
   * Abandons datagrams whose timeout has come and returns a Time Exceeded
   * for each one whose offset-0 fragment had arrived; others and tombstones
   * go silently. Re-checks the time: early calls do nothing.
   */
  onDeadline(now: Instant): FragTimeExceeded[] {
    const acts: FragTimeExceeded[] = [];
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

  /** An inconsistent datagram: free it and leave a tombstone until its timeout (RFC 5722 §4). */
  private discard(q: FragQueue<S>, why: FragReject): FragAdded<S> {
    this.counters.fails++;
    this.release(q);
    q.pieces = [];
    q.first = undefined;
    q.dead = true;
    this.live.delete(q);
    q.src.live.delete(q);
    this.dead.add(q);
    q.src.dead.add(q);
    return REJECTED[why];
  }

  /**
   * Evicts the oldest datagrams of `src`, then the oldest overall, until
   * `cost` more octets fit both budgets. False when `current` itself had to go.
   */
  private makeRoom(src: FragSource<S>, cost: number, current: FragQueue<S> | undefined): boolean {
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
  private makeRoomForQueue(srcKey: S): void {
    while (this.queues.size >= this.maxQueues) {
      const s = this.sources.get(srcKey);
      const victim = oldest(s?.dead) ?? oldest(s?.live) ?? oldest(this.dead) ?? oldest(this.live);
      if (!victim) return;
      if (victim.dead) this.remove(victim);
      else this.evict(victim);
    }
  }

  private evict(q: FragQueue<S>): void {
    this.counters.evictions++;
    this.counters.fails++;
    this.remove(q);
  }

  private release(q: FragQueue<S>): void {
    q.src.bytes -= q.bytes;
    this.counters.bytesHeld -= q.bytes;
    q.bytes = 0;
  }

  private remove(q: FragQueue<S>): void {
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
