// Path MTU cache (RFC 8201, Path MTU Discovery for IPv6). A destination
// without an entry uses its link MTU (§3: the first PMTU estimate). A Packet
// Too Big lowers the estimate to the MTU it reports (§4), with three rules:
//  - a reported MTU below the IPv6 minimum link MTU (1280, RFC 8200 §5) is
//    discarded: "it must discard it", and the estimate is never reduced below
//    1280 (§4; Linux 4a65dff81a04 does the same, TAHI v6LC.4.1.6);
//  - a PTB never raises the estimate (§4: "MUST NOT increase its estimate of
//    the Path MTU in response to the contents of a Packet Too Big message");
//    one reporting the current estimate or more is ignored and does not
//    restart the aging timer (Linux __ip6_rt_update_pmtu returns early too);
//  - a lowered estimate ages out: after 10 minutes the entry is dropped and
//    the destination goes back to the link MTU, so a larger path is found
//    again (§4: "MUST NOT be done less than 5 minutes after a Packet Too Big
//    … recommended … 10 minutes"; Linux ip6_rt_mtu_expires 600 s).
// One deadline per entry in a DeadlineHeap (STYLE.md 2); onDeadline re-checks
// the time. Bounded: past maxEntries the least recently used entry goes
// (its destination falls back to the link MTU and may draw another PTB).
//
// The caller validates the PTB first (checksum, quoted packet matches a flow
// of ours: RFC 8201 §5.2, RFC 5927) and passes the quoted Destination Address.
// IPv4 (RFC 1191) uses the same cache with `minMtu: 552, belowMinimum:
// 'clamp'`: Linux's ip_rt_min_pmtu (512 + 20 + 20); a smaller report lowers
// the estimate to 552, not below (__ip_rt_update_pmtu), rather than being
// discarded as IPv6 requires.
//
// Not supported: per-flow or per-interface entries (the key is the
// destination address alone, so fe80::1 on two links shares one entry),
// PLPMTUD (RFC 8899), increasing the estimate by probing.

import { ip6Key, type Ip6 } from '../wire/address.js';
import { DeadlineHeap, type HeapIndex } from '../time/deadlines.js';
import type { Duration, Instant } from '../time/instant.js';
import { invalidArg } from '../errors.js';
import { IPV6_MIN_MTU } from '../wire/icmp6err.js';

/** How long a lowered estimate stands before the link MTU is tried again (RFC 8201 §4: ≥ 5 min, recommended 10). */
export const PMTU_AGING: Duration = 10 * 60 * 1000;
/** Destinations with a lowered estimate kept before the least recently used is dropped. */
export const MAX_PMTU_ENTRIES = 4096;

export interface PmtuOptions {
  /** Aging time in ms; RFC 8201 §4 forbids less than 5 minutes. Default PMTU_AGING. */
  aging?: Duration;
  /** Entries kept (≥ 1). Default MAX_PMTU_ENTRIES. */
  maxEntries?: number;
  /** The smallest estimate (default 1280, IPv6's minimum link MTU). */
  minMtu?: number;
  /** A report below minMtu: 'discard' it (IPv6, RFC 8201 §4; default) or 'clamp' the estimate to minMtu (IPv4, Linux). */
  belowMinimum?: 'discard' | 'clamp';
}

/** One cached estimate, for display. */
export interface PmtuEntry {
  dst: Ip6;
  pmtu: number;
  /** When the estimate ages out and the destination returns to its link MTU. */
  expires: Instant;
}

interface Entry {
  dst: Ip6;
  key: string;
  pmtu: number;
  /** Position in the deadline heap (intrusive index). */
  heapPos: number | undefined;
}

const heapIndex: HeapIndex<Entry> = {
  get: (e) => e.heapPos,
  set: (e, i) => {
    e.heapPos = i;
  },
  delete: (e) => {
    e.heapPos = undefined;
  },
};

export class PmtuCache {
  /** PTBs dropped or ignored, and entries pushed out by the size bound. */
  readonly counters = { belowMinimum: 0, notLower: 0, evicted: 0 };

  private readonly aging: Duration;
  private readonly maxEntries: number;
  private readonly minMtu: number;
  private readonly clamp: boolean;
  /** Insertion order is recency: the first key is the least recently used. */
  private readonly byKey = new Map<string, Entry>();
  private readonly heap = new DeadlineHeap<Entry>(heapIndex);

  constructor(opts: PmtuOptions = {}) {
    const aging = opts.aging ?? PMTU_AGING;
    if (typeof aging !== 'number' || !(aging >= 5 * 60 * 1000) || !Number.isFinite(aging)) {
      throw invalidArg('aging', 'a number of ms ≥ 300000 (RFC 8201 §4: not less than 5 minutes)', aging);
    }
    const max = opts.maxEntries ?? MAX_PMTU_ENTRIES;
    if (!Number.isInteger(max) || max < 1) throw invalidArg('maxEntries', 'an integer ≥ 1', max);
    this.aging = aging;
    this.maxEntries = max;
    const min = opts.minMtu ?? IPV6_MIN_MTU;
    if (!Number.isInteger(min) || min < 68) throw invalidArg('minMtu', 'an integer ≥ 68', min);
    this.minMtu = min;
    this.clamp = opts.belowMinimum === 'clamp';
  }

  /** Destinations with a lowered estimate. */
  get size(): number {
    return this.byKey.size;
  }

  /** The PMTU to use towards `dst`: the cached estimate, never above the link MTU. */
  pmtu(dst: Ip6, linkMtu: number): number {
    if (this.byKey.size === 0) return linkMtu; // the common case, without building a key
    const key = ip6Key(dst);
    const e = this.byKey.get(key);
    if (!e) return linkMtu;
    this.byKey.delete(key); // most recently used
    this.byKey.set(key, e);
    return Math.min(e.pmtu, linkMtu);
  }

  /**
   * A validated Packet Too Big about a packet to `dst` reported `mtu`
   * (RFC 8201 §4). True when the estimate went down; then the entry ages out
   * at now + aging.
   */
  onPacketTooBig(dst: Ip6, mtu: number, linkMtu: number, now: Instant): boolean {
    if (mtu < this.minMtu) {
      this.counters.belowMinimum++; // RFC 8201 §4: must discard it (IPv6); IPv4: clamped, as Linux
      if (!this.clamp) return false;
      mtu = this.minMtu;
    }
    const key = ip6Key(dst);
    const e = this.byKey.get(key);
    const current = e ? Math.min(e.pmtu, linkMtu) : linkMtu;
    if (mtu >= current) {
      this.counters.notLower++; // RFC 8201 §4: MUST NOT increase
      return false;
    }
    if (e) {
      this.byKey.delete(key);
      e.pmtu = mtu;
      this.byKey.set(key, e);
      this.heap.arm(e, now + this.aging);
      return true;
    }
    if (this.byKey.size >= this.maxEntries) {
      const lru = this.byKey.values().next().value as Entry;
      this.byKey.delete(lru.key);
      this.heap.cancel(lru);
      this.counters.evicted++;
    }
    const n: Entry = { dst: dst.slice(0, 16), key, pmtu: mtu, heapPos: undefined };
    this.byKey.set(key, n);
    this.heap.arm(n, now + this.aging);
    return true;
  }

  /** The earliest aging deadline, or NEVER. */
  nextDeadline(): Instant {
    return this.heap.next();
  }

  /**
   * Ages out every entry due at `now` (an early or stale call does nothing)
   * and returns the destinations whose PMTU went back up to the link MTU.
   */
  onDeadline(now: Instant): Ip6[] {
    const raised: Ip6[] = [];
    for (let e = this.heap.popDue(now); e; e = this.heap.popDue(now)) {
      this.byKey.delete(e.key);
      raised.push(e.dst);
    }
    return raised;
  }

  /** The cached estimates, least recently used first. */
  entries(): PmtuEntry[] {
    return [...this.byKey.values()].map((e) => ({ dst: e.dst.slice(), pmtu: e.pmtu, expires: this.heap.get(e) as Instant }));
  }
}
