// ICMPv6 error rate limiting (RFC 4443 §2.4 f: "an IPv6 node MUST limit the
// rate of ICMPv6 error messages it originates", by a token bucket, with
// configurable parameters). Two buckets, as Linux has them (net/ipv6/icmp.c):
//
//  - global: icmp_msgs_per_sec = 1000 tokens a second, icmp_msgs_burst = 50
//    (net.ipv4.icmp_msgs_*, shared by ICMPv6 in Linux);
//  - per destination: one token per net.ipv6.icmp.ratelimit = 1000 ms, at most
//    XRLIM_BURST_FACTOR = 6 saved (inet_peer_xrlim_allow); a destination not
//    seen before starts full (inet_getpeer sets rate_last 60 s back).
//
// Only types in the ratemask are limited at all (net.ipv6.icmp.ratemask,
// default "0-1,3-127"): Destination Unreachable, Time Exceeded and Parameter
// Problem are; Packet Too Big (2) is not, so PMTU discovery keeps working, and
// neither is any informational type (Echo Reply 129…). As in Linux, a type
// outside the mask skips the global bucket as well as the per-destination one.
//
// Order (Linux since "icmp: change the order of rate limits", CVE-2024-47678):
// the global bucket is checked but not charged, then the per-destination
// bucket is checked and charged, and only a message that passed both is
// charged to the global bucket. A host-limited message costs no global token,
// so the global counter cannot be used as a side channel about one peer. With
// an RNG the global charge is 0, 1 or 2 tokens (mean 1), as Linux draws it
// against SAD DNS-style probing (CVE-2020-25705); without one it is exactly 1.
//
// Deliberate deviations: no 20 ms refill granularity (the global bucket refills
// continuously); no "wider prefix gets a shorter interval" shift, which Linux
// removed in 0201eedb69b2 (the same commit moved its default ratelimit to
// 100 ms; we keep the long-standing 1000 ms). Per-destination buckets are
// bounded (LRU); an evicted destination starts full again, which the global
// bucket still bounds. Sans-IO: `now` comes in, no timers are kept.

import { invalidArg } from '../errors.js';
import { ip6Key, type Ip6 } from '../wire/address.js';
import type { Duration, Instant } from '../time/instant.js';

/** Linux net.ipv4.icmp_msgs_per_sec default (RFC 4443 §2.4 f leaves the rate to the implementer). */
export const ICMP_MSGS_PER_SEC = 1000;
/** Linux net.ipv4.icmp_msgs_burst default. */
export const ICMP_MSGS_BURST = 50;
/** Linux net.ipv6.icmp.ratelimit: ms per token for one destination (the default until 0201eedb69b2 made it 100 ms in 2026). */
export const ICMPV6_RATELIMIT_MS: Duration = 1000;
/** Linux XRLIM_BURST_FACTOR: tokens a destination may save up. */
export const XRLIM_BURST_FACTOR = 6;
/** Linux net.ipv6.icmp.ratemask default: every error type but Packet Too Big. */
export const ICMPV6_RATEMASK = '0-1,3-127';
/** Per-destination buckets kept before the least recently used is dropped. */
export const MAX_RATE_BUCKETS = 4096;

export interface RateLimiterOptions {
  /** Global refill rate, tokens a second (> 0). */
  globalPerSec?: number;
  /** Global bucket size (≥ 1). */
  globalBurst?: number;
  /** ms per token for one destination; 0 turns the per-destination limit off (as ratelimit=0 does). */
  hostInterval?: Duration;
  /** Tokens one destination may save (≥ 1). */
  hostBurst?: number;
  /** Types limited: Linux list syntax ("0-1,3-127") or the type numbers. */
  ratemask?: string | readonly number[];
  /** Per-destination buckets kept (≥ 1). */
  maxHosts?: number;
  /** Uniform [0, 1) source; when given the global charge is 0, 1 or 2 tokens as in Linux. */
  rand?: () => number;
}

/** Parses a ratemask in Linux's list syntax ("0-1,3-127") into 256 flags. Throws ERR_INVALID_ARG. */
export function parseRatemask(mask: string | readonly number[]): Uint8Array {
  const bits = new Uint8Array(256);
  const bad = (): Error => invalidArg('ratemask', 'ICMPv6 types 0..255 as a list of ranges like "0-1,3-127"', mask);
  if (typeof mask === 'string') {
    const s = mask.trim();
    if (s === '') return bits;
    for (const part of s.split(',')) {
      const m = /^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?$/.exec(part);
      if (!m) throw bad();
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (lo > hi || hi > 255) throw bad();
      for (let t = lo; t <= hi; t++) bits[t] = 1;
    }
    return bits;
  }
  if (!Array.isArray(mask)) throw bad();
  for (const t of mask) {
    if (!Number.isInteger(t) || t < 0 || t > 255) throw bad();
    bits[t] = 1;
  }
  return bits;
}

interface HostBucket {
  /** Saved credit in ms, at most hostBurst × hostInterval (inet_peer rate_tokens). */
  credit: number;
  last: Instant;
}

export class IcmpRateLimiter {
  /** Messages refused by each bucket (Linux Icmp6OutRateLimitGlobal / Icmp6OutRateLimitHost). */
  readonly counters = { limitedGlobal: 0, limitedHost: 0 };

  private readonly perSec: number;
  private readonly gBurst: number;
  private readonly interval: Duration;
  private readonly hBurst: number;
  private readonly mask: Uint8Array;
  private readonly maxHosts: number;
  private readonly rand?: () => number;

  private gTokens: number;
  private gLast: Instant | undefined;
  /** Insertion order is recency: the first key is the least recently used. */
  private readonly hosts = new Map<string, HostBucket>();

  constructor(opts: RateLimiterOptions = {}) {
    const num = (name: string, v: number, ok: boolean, want: string): number => {
      if (!ok) throw invalidArg(name, want, v);
      return v;
    };
    const g = opts.globalPerSec ?? ICMP_MSGS_PER_SEC;
    this.perSec = num('globalPerSec', g, typeof g === 'number' && g > 0 && Number.isFinite(g), 'a positive number');
    const gb = opts.globalBurst ?? ICMP_MSGS_BURST;
    this.gBurst = num('globalBurst', gb, Number.isInteger(gb) && gb >= 1, 'an integer ≥ 1');
    const hi = opts.hostInterval ?? ICMPV6_RATELIMIT_MS;
    this.interval = num('hostInterval', hi, typeof hi === 'number' && hi >= 0 && Number.isFinite(hi), 'a number of ms ≥ 0');
    const hb = opts.hostBurst ?? XRLIM_BURST_FACTOR;
    this.hBurst = num('hostBurst', hb, Number.isInteger(hb) && hb >= 1, 'an integer ≥ 1');
    const mh = opts.maxHosts ?? MAX_RATE_BUCKETS;
    this.maxHosts = num('maxHosts', mh, Number.isInteger(mh) && mh >= 1, 'an integer ≥ 1');
    if (opts.rand !== undefined && typeof opts.rand !== 'function') throw invalidArg('rand', 'a function', opts.rand);
    this.rand = opts.rand;
    this.mask = parseRatemask(opts.ratemask ?? ICMPV6_RATEMASK);
    this.gTokens = this.gBurst;
  }

  /** Whether messages of `type` are rate limited at all (in the ratemask). */
  limits(type: number): boolean {
    return this.mask[type & 0xff] === 1;
  }

  /** Per-destination buckets currently kept (≤ maxHosts). */
  get hostBuckets(): number {
    return this.hosts.size;
  }

  /**
   * Whether an ICMPv6 message of `type` to `dst` may be sent at `now`; when
   * it may, the tokens are taken. A refusal is counted (counters).
   */
  allow(dst: Ip6, type: number, now: Instant): boolean {
    if (!this.limits(type)) return true;
    // 1. Global bucket: check only (CVE-2024-47678 order).
    this.refillGlobal(now);
    if (this.gTokens < 1) {
      this.counters.limitedGlobal++;
      return false;
    }
    // 2. Per destination: check and charge (inet_peer_xrlim_allow).
    if (this.interval > 0 && !this.takeHost(dst, now)) {
      this.counters.limitedHost++;
      return false;
    }
    // 3. Charge the global bucket (icmp_global_consume).
    this.gTokens -= this.rand ? Math.min(2, Math.floor(this.rand() * 3)) : 1;
    return true;
  }

  private refillGlobal(now: Instant): void {
    if (this.gLast !== undefined && now > this.gLast) {
      this.gTokens = Math.min(this.gBurst, this.gTokens + ((now - this.gLast) * this.perSec) / 1000);
    }
    if (this.gLast === undefined || now > this.gLast) this.gLast = now;
  }

  private takeHost(dst: Ip6, now: Instant): boolean {
    const key = ip6Key(dst);
    const cap = this.hBurst * this.interval;
    let b = this.hosts.get(key);
    if (b) {
      this.hosts.delete(key); // re-inserted below as the most recently used
      if (now > b.last) {
        b.credit = Math.min(cap, b.credit + (now - b.last));
        b.last = now;
      }
    } else {
      b = { credit: cap, last: now }; // a new peer starts full (inet_getpeer)
      if (this.hosts.size >= this.maxHosts) {
        const lru = this.hosts.keys().next().value as string;
        this.hosts.delete(lru);
      }
    }
    this.hosts.set(key, b);
    if (b.credit < this.interval) return false;
    b.credit -= this.interval;
    return true;
  }
}
