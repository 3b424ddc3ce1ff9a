// IPv6 reassembly (RFC 8200 §4.5), hardened: atomic fragments alone (RFC 6946),
// overlapping fragments discard the whole datagram (RFC 5722), the first
// fragment must carry the whole header chain (RFC 7112, checked by the caller),
// ECN codepoints merged (RFC 3168 §5.3), and bounded memory.
//
// Sans-IO: `onFragment(pkt, …, now)` returns what became of one fragment —
// `complete` (the reassembled packet), `pending`, or `dropped` with a reason
// and, where RFC 8200 §4.5 asks for one, the Parameter Problem to send.
// `onDeadline(now)` abandons datagrams 60 s after their first-arriving
// fragment and returns the Time Exceeded (code 1) messages to send. One
// DeadlineHeap entry per datagram; nothing else looks at the clock. The
// driver runs onDeadline(now) before feeding fragments received at `now`.
//
// Queues are keyed by (Source, Destination, Identification) (RFC 8200 §4.5).
// A queue holds only each fragment's data, copied; the offset-0 fragment is
// kept whole, as received, because its Unfragmentable Part heads the
// reassembled packet and Time Exceeded quotes it. The Unfragmentable Part of
// the other fragments and every Fragment header Next Header but the offset-0
// one are ignored (RFC 8200 §4.5).
//
// Choices where the RFCs leave room:
// - Exact duplicates count as overlaps (RFC 5722 §4 says "any" overlap; a
//   duplicate with different data is the attack, and comparing bytes to tell
//   a benign copy from it costs as much as it saves). Linux drops a duplicate
//   whose data differ; we drop the datagram for any duplicate.
// - A discarded datagram leaves a tombstone until its timeout (its first
//   fragment + 60 s): later fragments of it are dropped (RFC 5722 §4 "and any
//   constituent fragments, including those not yet received"). This applies
//   to every inconsistency that discards a datagram (overlap, data past the
//   end fixed by the last fragment, a second last fragment with another
//   end), not just overlaps. Tombstones hold no fragments, expire silently
//   and count toward maxQueues.
// - "Payload Length of the packet reassembled" > 65535 (RFC 8200 §4.5) is
//   computed with this fragment's Unfragmentable Part: (fragOffset − 40) +
//   offset + length. With no extension headers before the Fragment header
//   this is Linux's `offset + length > 65535`.
// - Order of the two Parameter Problem checks: the RFC's (length multiple of
//   8 first); Linux tests the 65535 rule first.
// - An empty fragment (no data, not atomic) is dropped alone, datagram kept.
//   Linux discards the datagram; one forged empty fragment should not.
// - The 8-multiple and 65535 rules drop only that fragment (as Linux).
//
// Memory: each fragment costs its stored octets + FRAGMENT_OVERHEAD (object
// and view headers, like Linux's skb truesize, so a flood of 8-octet pieces is
// bounded too). Before a fragment is stored, the oldest datagrams of its
// source are evicted until the source fits maxBytesPerSource, then the oldest
// overall until everything fits maxBytesTotal; a new datagram beyond
// maxQueues first evicts a tombstone or the oldest datagram of its own
// source, and only then the oldest overall. A flood from one source thus
// cycles within its own budget and cannot push out other sources' datagrams
// unless the total is exhausted by many sources. bytesHeld never exceeds
// maxBytesTotal.
//
// Not supported: a Jumbo Payload (RFC 2675 §3 forbids it with a Fragment
// header); reassembly per interface (the key has no interface index: the
// caller runs one Reassembler per interface when link-local traffic must not
// mix, as Linux's key does with `iif`).

import { invalidArg } from '../errors.js';
import { DeadlineHeap } from '../time/deadlines.js';
import type { Instant } from '../time/instant.js';
import { ip6Key, type Ip6 } from '../wire/address.js';
import { IP6_HEADER_LEN } from '../wire/ipv6.js';
import {
  FRAG_HEADER_LEN, FRAG_OFFSET_FIELD, NH_FRAGMENT, fragIdentification, fragMore, fragNextHeader, fragOffsetBytes,
} from '../wire/frag.js';

/** Reassembly gives up this long after the first-arriving fragment (RFC 8200 §4.5: 60 seconds). */
export const REASM_TIMEOUT = 60_000; // ms
/** Default octets held for one source address. */
export const MAX_BYTES_PER_SOURCE = 256 * 1024;
/** Default octets held overall. */
export const MAX_BYTES_TOTAL = 4 * 1024 * 1024;
/** Default number of datagrams (queues and tombstones) at once. */
export const MAX_QUEUES = 1024;
/** Octets charged per stored fragment on top of its data (bookkeeping, as Linux's truesize). */
export const FRAGMENT_OVERHEAD = 64;
/** Largest Payload Length (RFC 8200 §3: 16 bits). */
export const IPV6_MAX_PAYLOAD = 65535;

/** ICMPv6 Parameter Problem codes (RFC 4443 §3.4, RFC 7112 §7). */
export const PARAM_PROBLEM_HEADER_FIELD = 0;
export const PARAM_PROBLEM_INCOMPLETE_CHAIN = 3;

const NH_HOP_BY_HOP = 0; // RFC 8200 §4.3
const NH_ROUTING = 43; // RFC 8200 §4.4
const NH_DEST_OPTS = 60; // RFC 8200 §4.6
/** Offset of Payload Length in the IPv6 header (RFC 8200 §3). */
const IP6_PAYLOAD_LENGTH = 4;

/** Why a fragment was dropped. Each drop site cites the rule it enforces. */
export enum ReasmDrop {
  TRUNCATED = 1, // shorter than 40 octets or its Payload Length, or the Fragment header does not fit (RFC 8200 §3)
  JUMBO = 2, // Payload Length 0: a Jumbo Payload cannot be fragmented (RFC 2675 §3)
  HEADER_CHAIN = 3, // the headers before the Fragment header are not Hop-by-Hop/Destination/Routing ending in Next Header 44 (RFC 8200 §4.5)
  NOT_MULTIPLE_OF_8 = 4, // M = 1 and the length is not a multiple of 8 (RFC 8200 §4.5): Parameter Problem → Payload Length
  TOO_LONG = 5, // the reassembled Payload Length would exceed 65535 (RFC 8200 §4.5): Parameter Problem → Fragment Offset
  FIRST_INCOMPLETE = 6, // the first fragment lacks part of the header chain (RFC 7112 §5, RFC 8200 §4.5): Parameter Problem code 3
  EMPTY = 7, // no data in a fragment that is not atomic (nothing to reassemble)
  POISONED = 8, // belongs to a datagram already discarded (RFC 5722 §4)
  OVERLAP = 9, // overlaps (or duplicates) a fragment held: the datagram is discarded (RFC 5722 §4)
  BEYOND_END = 10, // data past the end fixed by the last fragment: the datagram is discarded (RFC 8200 §4.5)
  LAST_MISMATCH = 11, // a second last fragment with another end: the datagram is discarded (RFC 8200 §4.5)
  OVERSIZE = 12, // complete, but with the first fragment's Unfragmentable Part it would exceed 65535 (RFC 8200 §4.5)
  ECN_MIXED = 13, // Not-ECT mixed with ECT/CE fragments (RFC 3168 §5.3)
  OVER_BUDGET = 14, // the fragment cannot be held within the memory budgets (its datagram was the oldest)
}

/** What became of one fragment. */
export type ReasmResult =
  | { kind: 'complete'; packet: Uint8Array }
  | { kind: 'pending' }
  | { kind: 'dropped'; reason: ReasmDrop; paramProblem?: { code: number; pointer: number } };

/** Effects of onDeadline: a Time Exceeded, code 1 "fragment reassembly time exceeded" (RFC 4443 §3.3), to the source of `firstFragment`. */
export type ReasmAction = { type: 'TimeExceeded'; firstFragment: Uint8Array };

export interface ReasmOptions {
  /** Octets held for one source address (default MAX_BYTES_PER_SOURCE). */
  maxBytesPerSource?: number;
  /** Octets held overall (default MAX_BYTES_TOTAL). */
  maxBytesTotal?: number;
  /** Datagrams in reassembly at once, tombstones included (default MAX_QUEUES). */
  maxQueues?: number;
  /** Reassembly timeout in ms (default REASM_TIMEOUT, RFC 8200 §4.5). */
  timeout?: number;
}

/** What the caller learnt about a fragment while parsing it. */
export interface FragmentHints {
  /** False when this offset-0 fragment does not hold every header through the upper-layer header (RFC 7112 §5). */
  firstFragmentComplete?: boolean;
}

/** Counters, named after Linux's /proc/net/snmp6 where one exists. */
export interface ReasmCounters {
  /** Fragments received (Ip6ReasmReqds), atomic ones included. */
  reqds: number;
  /** Datagrams reassembled (Ip6ReasmOKs), atomic fragments included (as Linux). */
  oks: number;
  /** Datagrams given up (Ip6ReasmFails): timed out, discarded as inconsistent, evicted, oversize. */
  fails: number;
  /** Datagrams abandoned after the timeout (Ip6ReasmTimeout). */
  timeouts: number;
  /** Datagrams discarded for overlapping fragments (RFC 5722). */
  overlaps: number;
  /** Datagrams evicted by a memory or queue budget. */
  evictions: number;
  /** Octets held now (data + FRAGMENT_OVERHEAD per fragment). */
  bytesHeld: number;
  /** Atomic fragments passed through (RFC 6946). */
  atomic: number;
  /** Fragments whose result was `dropped`. */
  dropped: number;
}

interface Piece {
  off: number;
  end: number;
  data: Uint8Array;
}

interface Source {
  readonly key: string;
  bytes: number;
  /** Live datagrams and tombstones of this source, oldest first (insertion order). */
  readonly live: Set<Queue>;
  readonly dead: Set<Queue>;
}

interface Queue {
  readonly key: string;
  readonly src: Source;
  /** A tombstone of a discarded datagram (RFC 5722). */
  dead: boolean;
  /** Pieces sorted by offset, never overlapping. */
  pieces: Piece[];
  /** End of the Fragmentable Part, fixed by the last fragment; −1 until it arrives. */
  total: number;
  /** Largest end of any piece held. */
  maxEnd: number;
  /** Data octets held (complete when it equals `total`, pieces being disjoint). */
  received: number;
  /** Octets charged to the budgets. */
  bytes: number;
  /** The offset-0 fragment as received, trimmed to its Payload Length. */
  first?: Uint8Array;
  /** Its Unfragmentable Part's length and the Next Header field that said 44. */
  unfragLen: number;
  nextHeaderAt: number;
  /** The Next Header of the offset-0 fragment's Fragment header. */
  nextHeader: number;
  /** ECN codepoints seen, one bit per codepoint (as Linux's ip6_frag_ecn). */
  ecn: number;
  heapIndex: number;
}

const PENDING: ReasmResult = Object.freeze({ kind: 'pending' });

const oldest = <T>(s: Set<T> | undefined): T | undefined => (s && s.size ? s.values().next().value : undefined);

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) throw invalidArg(name, 'a positive integer', v);
  return v;
}

/**
 * The Next Header field that names the Fragment header at `fragOffset`: the
 * Unfragmentable Part is walked as Hop-by-Hop (first only), Destination
 * Options and Routing headers (RFC 8200 §4.5). −1 when it does not end
 * exactly at `fragOffset` with Next Header 44.
 */
function nextHeaderFieldOf(pkt: Uint8Array, fragOffset: number): number {
  let at = 6;
  let pos = IP6_HEADER_LEN;
  let nh = pkt[6];
  while (pos < fragOffset) {
    if (!(nh === NH_HOP_BY_HOP && pos === IP6_HEADER_LEN) && nh !== NH_DEST_OPTS && nh !== NH_ROUTING) return -1;
    if (pos + 2 > fragOffset) return -1;
    at = pos;
    nh = pkt[pos];
    pos += (pkt[pos + 1] + 1) * 8;
  }
  return pos === fragOffset && nh === NH_FRAGMENT ? at : -1;
}

function setPayloadLength(b: Uint8Array, n: number): void {
  b[IP6_PAYLOAD_LENGTH] = n >> 8;
  b[IP6_PAYLOAD_LENGTH + 1] = n & 0xff;
}

/** ECN codepoint of a packet (low 2 bits of Traffic Class, RFC 3168 §5) as a one-bit mask. */
const ecnBit = (pkt: Uint8Array): number => 1 << ((pkt[1] >> 4) & 3);
const ECN_NOT_ECT = 1 << 0;
const ECN_CE = 1 << 3;

export class Reassembler {
  readonly counters: ReasmCounters = { reqds: 0, oks: 0, fails: 0, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0, atomic: 0, dropped: 0 };
  readonly maxBytesPerSource: number;
  readonly maxBytesTotal: number;
  readonly maxQueues: number;
  readonly timeout: number;

  private readonly queues = new Map<string, Queue>();
  private readonly sources = new Map<string, Source>();
  /** Live datagrams and tombstones, oldest first. */
  private readonly live = new Set<Queue>();
  private readonly dead = new Set<Queue>();
  private readonly deadlines = new DeadlineHeap<Queue>({
    get: (q) => (q.heapIndex >= 0 ? q.heapIndex : undefined),
    set: (q, i) => void (q.heapIndex = i),
    delete: (q) => void (q.heapIndex = -1),
  });

  constructor(opts: ReasmOptions = {}) {
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
  bytesHeldBy(src: Ip6): number {
    return this.sources.get(ip6Key(src))?.bytes ?? 0;
  }

  /** Earliest reassembly timeout, or NEVER. */
  nextDeadline(): Instant {
    return this.deadlines.next();
  }

  /**
   * One fragment: `pkt` is the whole IPv6 packet (fixed header, extension
   * headers, Fragment header at `fragOffset`, data); `unfragmentableEnd`
   * must equal `fragOffset` (the Unfragmentable Part is pkt[0..fragOffset)).
   * Untrusted bytes are never thrown on; only wrong arguments throw
   * ERR_INVALID_ARG.
   */
  onFragment(pkt: Uint8Array, fragOffset: number, unfragmentableEnd: number, now: Instant, hints?: FragmentHints): ReasmResult {
    if (!(pkt instanceof Uint8Array)) throw invalidArg('pkt', 'a Uint8Array', pkt);
    if (!Number.isInteger(fragOffset) || fragOffset < 0) throw invalidArg('fragOffset', 'a non-negative integer', fragOffset);
    if (unfragmentableEnd !== fragOffset) throw invalidArg('unfragmentableEnd', `equal to fragOffset (${fragOffset})`, unfragmentableEnd);
    this.counters.reqds++;

    // RFC 8200 §3: the packet is 40 octets + Payload Length; link-layer padding past it is not ours.
    if (pkt.length < IP6_HEADER_LEN) return this.drop(ReasmDrop.TRUNCATED);
    const payloadLength = (pkt[4] << 8) | pkt[5];
    if (payloadLength === 0) return this.drop(ReasmDrop.JUMBO); // RFC 2675 §3
    const end = IP6_HEADER_LEN + payloadLength;
    if (end > pkt.length || fragOffset < IP6_HEADER_LEN || fragOffset + FRAG_HEADER_LEN > end) return this.drop(ReasmDrop.TRUNCATED);
    const nextHeaderAt = nextHeaderFieldOf(pkt, fragOffset);
    if (nextHeaderAt < 0) return this.drop(ReasmDrop.HEADER_CHAIN);

    const nextHeader = fragNextHeader(pkt, fragOffset);
    const off = fragOffsetBytes(pkt, fragOffset);
    const more = fragMore(pkt, fragOffset);
    const id = fragIdentification(pkt, fragOffset);
    const dataStart = fragOffset + FRAG_HEADER_LEN;
    const dataLen = end - dataStart;
    const fragEnd = off + dataLen;

    // RFC 7112 §5, RFC 8200 §4.5: a first fragment without the whole header
    // chain is discarded; Parameter Problem code 3, Pointer 0.
    if (off === 0 && hints?.firstFragmentComplete === false) {
      return this.drop(ReasmDrop.FIRST_INCOMPLETE, { code: PARAM_PROBLEM_INCOMPLETE_CHAIN, pointer: 0 });
    }

    // RFC 6946 §4: an atomic fragment is processed in isolation, never mixed
    // with a queue of the same Identification.
    if (off === 0 && !more) {
      const packet = new Uint8Array(end - FRAG_HEADER_LEN);
      packet.set(pkt.subarray(0, fragOffset));
      packet.set(pkt.subarray(dataStart, end), fragOffset);
      packet[nextHeaderAt] = nextHeader;
      setPayloadLength(packet, packet.length - IP6_HEADER_LEN);
      this.counters.atomic++;
      this.counters.oks++;
      return { kind: 'complete', packet };
    }

    // RFC 8200 §4.5: M = 1 and a length not a multiple of 8 → discard,
    // Parameter Problem code 0 pointing at Payload Length.
    if (more && (dataLen & 7) !== 0) {
      return this.drop(ReasmDrop.NOT_MULTIPLE_OF_8, { code: PARAM_PROBLEM_HEADER_FIELD, pointer: IP6_PAYLOAD_LENGTH });
    }
    // RFC 8200 §4.5: the reassembled Payload Length would exceed 65535 →
    // discard, Parameter Problem code 0 pointing at Fragment Offset.
    if (fragOffset - IP6_HEADER_LEN + fragEnd > IPV6_MAX_PAYLOAD) {
      return this.drop(ReasmDrop.TOO_LONG, { code: PARAM_PROBLEM_HEADER_FIELD, pointer: fragOffset + FRAG_OFFSET_FIELD });
    }
    if (dataLen === 0) return this.drop(ReasmDrop.EMPTY);

    // RFC 8200 §4.5: fragments of one datagram share Source, Destination and Identification.
    const srcKey = ip6Key(pkt.subarray(8, 24));
    const key = srcKey + ip6Key(pkt.subarray(24, 40)) + id.toString(16);
    let q = this.queues.get(key);
    // RFC 5722 §4: fragments of a discarded datagram, "including those not yet received".
    if (q?.dead) return this.drop(ReasmDrop.POISONED);

    let pos = 0;
    if (q) {
      // RFC 8200 §4.5: the last fragment fixes the length; data past it, or
      // another last fragment with a different end, is inconsistent.
      if (!more) {
        if (q.total >= 0 && fragEnd !== q.total) return this.discard(q, ReasmDrop.LAST_MISMATCH);
        if (fragEnd < q.maxEnd) return this.discard(q, ReasmDrop.BEYOND_END);
      } else if (q.total >= 0 && fragEnd > q.total) {
        return this.discard(q, ReasmDrop.BEYOND_END);
      }
      // RFC 5722 §4: any overlap discards the datagram; pieces are sorted and
      // disjoint, so only the neighbours of the insertion point can overlap.
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
        return this.discard(q, ReasmDrop.OVERLAP);
      }
    }

    const stored = off === 0 ? end : dataLen;
    const cost = stored + FRAGMENT_OVERHEAD;
    if (cost > this.maxBytesPerSource || cost > this.maxBytesTotal) return this.drop(ReasmDrop.OVER_BUDGET);
    if (!q) this.makeRoomForQueue(srcKey);
    let src = q?.src ?? this.sources.get(srcKey);
    if (!src) {
      src = { key: srcKey, bytes: 0, live: new Set(), dead: new Set() };
      this.sources.set(srcKey, src);
    }
    if (!this.makeRoom(src, cost, q)) return this.drop(ReasmDrop.OVER_BUDGET);
    if (!q) {
      q = {
        key, src, dead: false, pieces: [], total: -1, maxEnd: 0, received: 0, bytes: 0,
        unfragLen: 0, nextHeaderAt: 0, nextHeader: 0, ecn: 0, heapIndex: -1,
      };
      this.queues.set(key, q);
      this.live.add(q);
      src.live.add(q);
      // RFC 8200 §4.5: 60 seconds from the first-arriving fragment; later fragments do not extend it.
      this.deadlines.arm(q, now + this.timeout);
    }

    // Store: the offset-0 fragment whole (it heads the packet and is quoted), others' data only.
    let data: Uint8Array;
    if (off === 0) {
      q.first = pkt.slice(0, end);
      q.unfragLen = fragOffset;
      q.nextHeaderAt = nextHeaderAt;
      q.nextHeader = nextHeader; // RFC 8200 §4.5: only the offset-0 fragment's value is used
      data = q.first.subarray(dataStart);
    } else {
      data = pkt.slice(dataStart, end);
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
   * Abandons datagrams whose timeout has come (RFC 8200 §4.5) and returns a
   * Time Exceeded for each one whose offset-0 fragment had arrived; others
   * and tombstones go silently. Re-checks the time: early calls do nothing.
   */
  onDeadline(now: Instant): ReasmAction[] {
    const acts: ReasmAction[] = [];
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

  private drop(reason: ReasmDrop, paramProblem?: { code: number; pointer: number }): ReasmResult {
    this.counters.dropped++;
    return paramProblem ? { kind: 'dropped', reason, paramProblem } : { kind: 'dropped', reason };
  }

  /** An inconsistent datagram: free it and leave a tombstone until its timeout (RFC 5722 §4). */
  private discard(q: Queue, reason: ReasmDrop): ReasmResult {
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

  private complete(q: Queue): ReasmResult {
    const first = q.first!;
    const payloadLength = q.unfragLen - IP6_HEADER_LEN + q.total;
    this.remove(q);
    if (payloadLength > IPV6_MAX_PAYLOAD) {
      this.counters.fails++;
      return this.drop(ReasmDrop.OVERSIZE);
    }
    // RFC 3168 §5.3 (Linux's ip_frag_ecn_table): Not-ECT mixed with ECT or CE
    // is dropped; CE in any fragment marks the reassembled packet CE.
    if (q.ecn & ECN_NOT_ECT && q.ecn & ~ECN_NOT_ECT) {
      this.counters.fails++;
      return this.drop(ReasmDrop.ECN_MIXED);
    }
    // RFC 8200 §4.5: the Unfragmentable Part of the offset-0 fragment, its
    // last Next Header taken from that fragment's Fragment header, then the
    // Fragmentable Part in order; Payload Length from the last fragment.
    const packet = new Uint8Array(q.unfragLen + q.total);
    packet.set(first.subarray(0, q.unfragLen));
    for (const p of q.pieces) packet.set(p.data, q.unfragLen + p.off);
    packet[q.nextHeaderAt] = q.nextHeader;
    setPayloadLength(packet, payloadLength);
    if (q.ecn & ECN_CE) packet[1] |= 0x30;
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
  private makeRoomForQueue(srcKey: string): void {
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
