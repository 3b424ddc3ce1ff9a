// IPv6 reassembly (RFC 8200 §4.5), hardened: atomic fragments alone (RFC 6946),
// overlapping fragments discard the whole datagram (RFC 5722), the first
// fragment must carry the whole header chain (RFC 7112, checked by the caller),
// ECN codepoints merged (RFC 3168 §5.3), and bounded memory.
//
// Sans-IO: `onFragment(pkt, …, now)` returns what became of one fragment —
// `complete` (the reassembled packet), `pending`, or `dropped` with a reason
// and, where RFC 8200 §4.5 asks for one, the Parameter Problem to send.
// `onDeadline(now)` abandons datagrams 60 s after their first-arriving
// fragment and returns the Time Exceeded (code 1) messages to send. Nothing
// else looks at the clock. The driver runs onDeadline(now) before feeding
// fragments received at `now`.
//
// The queues, their memory budgets, eviction, tombstones, deadlines and the
// overlap rule are shared with IPv4: src/frag/queue.ts, whose header gives
// the policy. This module keeps what is IPv6's own: the header checks and
// Parameter Problems, atomic fragments, the key, and rebuilding the packet.
//
// Queues are keyed by (Source, Destination, Identification) (RFC 8200 §4.5).
// The offset-0 fragment is kept whole, as received, because its
// Unfragmentable Part heads the reassembled packet and Time Exceeded quotes
// it. The Unfragmentable Part of the other fragments and every Fragment
// header Next Header but the offset-0 one are ignored (RFC 8200 §4.5).
//
// Choices where the RFCs leave room (shared ones in src/frag/queue.ts):
// - Exact duplicates count as overlaps. Linux drops a duplicate whose data
//   differ; we drop the datagram for any duplicate.
// - Every inconsistency that discards a datagram (overlap, data past the end
//   fixed by the last fragment, a second last fragment with another end)
//   leaves a tombstone until the datagram's timeout (its first fragment +
//   60 s), not just overlaps.
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
// Memory: src/frag/queue.ts's budgets (per source, overall, queue count);
// the source is the IPv6 Source Address.
//
// Not supported: a Jumbo Payload (RFC 2675 §3 forbids it with a Fragment
// header); reassembly per interface (the key has no interface index: the
// caller runs one Reassembler per interface when link-local traffic must not
// mix, as Linux's key does with `iif`).

import { invalidArg } from '../errors.js';
import {
  FragQueues, FragReject, assemble, ecnBit, ecnCe, ecnMixed, type FragQueue,
} from '../frag/queue.js';
import type { Instant } from '../time/instant.js';
import { ip6Key, type Ip6 } from '../wire/address.js';
import { IP6_HEADER_LEN } from '../wire/ipv6.js';
import {
  FRAG_HEADER_LEN, FRAG_OFFSET_FIELD, NH_FRAGMENT, fragIdentification, fragMore, fragNextHeader, fragOffsetBytes,
} from '../wire/frag.js';

/** Reassembly gives up this long after the first-arriving fragment (RFC 8200 §4.5: 60 seconds). */
export const REASM_TIMEOUT = 60_000; // ms
/** Memory defaults, the same for IPv4 (src/frag/queue.ts). */
export { FRAGMENT_OVERHEAD, MAX_BYTES_PER_SOURCE, MAX_BYTES_TOTAL, MAX_QUEUES } from '../frag/queue.js';
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

const PENDING: ReasmResult = Object.freeze({ kind: 'pending' });

/** The shared queue's refusals as drop reasons (each cites its rule in ReasmDrop). */
const REJECTED: Record<FragReject, ReasmDrop> = {
  [FragReject.POISONED]: ReasmDrop.POISONED,
  [FragReject.OVERLAP]: ReasmDrop.OVERLAP,
  [FragReject.BEYOND_END]: ReasmDrop.BEYOND_END,
  [FragReject.LAST_MISMATCH]: ReasmDrop.LAST_MISMATCH,
  [FragReject.OVER_BUDGET]: ReasmDrop.OVER_BUDGET,
};

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

/** ECN codepoint of a packet: the low 2 bits of Traffic Class (RFC 3168 §5). */
const ecnOf = (pkt: Uint8Array): number => (pkt[1] >> 4) & 3;

export class Reassembler {
  readonly counters: ReasmCounters = { reqds: 0, oks: 0, fails: 0, timeouts: 0, overlaps: 0, evictions: 0, bytesHeld: 0, atomic: 0, dropped: 0 };
  readonly maxBytesPerSource: number;
  readonly maxBytesTotal: number;
  readonly maxQueues: number;
  readonly timeout: number;

  private readonly queues: FragQueues<string>;

  constructor(opts: ReasmOptions = {}) {
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
  bytesHeldBy(src: Ip6): number {
    return this.queues.bytesHeldBy(ip6Key(src));
  }

  /** Earliest reassembly timeout, or NEVER. */
  nextDeadline(): Instant {
    return this.queues.nextDeadline();
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
    // Overlaps, inconsistent ends, tombstones (RFC 5722 §4, RFC 8200 §4.5) and budgets: src/frag/queue.ts.
    const r = this.queues.add({ key, srcKey, pkt, off, more, headLen: fragOffset, dataStart, end, ecn: ecnBit(ecnOf(pkt)) }, now);
    if (r.kind === 'complete') return this.complete(r.queue);
    if (r.kind === 'rejected') return this.drop(REJECTED[r.why]);
    return PENDING;
  }

  /**
   * Abandons datagrams whose timeout has come (RFC 8200 §4.5) and returns a
   * Time Exceeded for each one whose offset-0 fragment had arrived; others
   * and tombstones go silently. Re-checks the time: early calls do nothing.
   */
  onDeadline(now: Instant): ReasmAction[] {
    return this.queues.onDeadline(now);
  }

  // --- internals ---------------------------------------------------------------

  private drop(reason: ReasmDrop, paramProblem?: { code: number; pointer: number }): ReasmResult {
    this.counters.dropped++;
    return paramProblem ? { kind: 'dropped', reason, paramProblem } : { kind: 'dropped', reason };
  }

  /** A complete datagram, already out of the queues: the last checks, then the packet. */
  private complete(q: FragQueue<string>): ReasmResult {
    const first = q.first!;
    const unfragLen = q.headLen;
    const payloadLength = unfragLen - IP6_HEADER_LEN + q.total;
    if (payloadLength > IPV6_MAX_PAYLOAD) {
      this.counters.fails++;
      return this.drop(ReasmDrop.OVERSIZE);
    }
    // RFC 3168 §5.3 (Linux's ip_frag_ecn_table): Not-ECT mixed with ECT or CE
    // is dropped; CE in any fragment marks the reassembled packet CE.
    if (ecnMixed(q.ecn)) {
      this.counters.fails++;
      return this.drop(ReasmDrop.ECN_MIXED);
    }
    // RFC 8200 §4.5: the Unfragmentable Part of the offset-0 fragment, its
    // last Next Header taken from that fragment's Fragment header, then the
    // Fragmentable Part in order; Payload Length from the last fragment.
    // The Next Header field is found again in the stored copy (onFragment checked it).
    const packet = assemble(q);
    packet[nextHeaderFieldOf(first, unfragLen)] = fragNextHeader(first, unfragLen);
    setPayloadLength(packet, payloadLength);
    if (ecnCe(q.ecn)) packet[1] |= 0x30;
    this.counters.oks++;
    return { kind: 'complete', packet };
  }
}
