// Router and prefix discovery for hosts (RFC 4861 §6.3), with router
// preferences and more-specific routes (RFC 4191 §3, a Type C host) and DNS
// configuration (RFC 8106 §5.3). Sans-IO: inputs take `now`, outputs are
// RdAction values; every lifetime is one deadline in one heap.
//
// Kept per interface: the Default Router List (lifetime, preference), the
// Prefix List (on-link prefixes with their valid lifetimes), the Route
// Information routes, RDNSS and DNSSL entries, and the parameters an RA sets
// (CurHopLimit, link MTU, BaseReachableTime, RetransTimer). Router
// Solicitations go out at interface start (§6.3.7).

import { DeadlineHeap } from '../time/deadlines.js';
import { NEVER, type Instant } from '../time/instant.js';
import { formatIp6, ip6Key, isLinkLocal, type Ip6 } from '../wire/address.js';
import { INFINITE_LIFETIME, maskPrefix, preferenceRank, type Preference, type RouterAdvert } from '../wire/ra.js';

export const MAX_RTR_SOLICITATION_DELAY = 1_000; // ms, RFC 4861 §10
export const RTR_SOLICITATION_INTERVAL = 4_000; // ms, RFC 4861 §10
export const MAX_RTR_SOLICITATIONS = 3; // RFC 4861 §10
/** Entries kept per interface per list; beyond it new ones are ignored (a flood of RAs cannot grow memory). */
export const MAX_LIST_ENTRIES = 64;

export interface DefaultRouter {
  ifindex: number;
  addr: Ip6;
  preference: Preference;
  expiresAt: Instant;
  /** Order of arrival, for round-robin among routers of unknown reachability. */
  seq: number;
}

export interface OnLinkPrefix {
  ifindex: number;
  prefix: Ip6;
  prefixLength: number;
  expiresAt: Instant;
  autonomous: boolean;
  preferredLifetime: number;
}

export interface Route {
  ifindex: number;
  prefix: Ip6;
  prefixLength: number;
  router: Ip6;
  preference: Preference;
  expiresAt: Instant;
}

export interface DnsEntry<T> {
  ifindex: number;
  value: T;
  router: Ip6;
  expiresAt: Instant;
}

export interface LinkParams {
  curHopLimit?: number;
  mtu?: number;
  baseReachableTime?: number;
  retransTimer?: number;
}

export type RdAction =
  | { type: 'SendRouterSolicit'; ifindex: number }
  | { type: 'RoutersChanged'; ifindex: number }
  | { type: 'PrefixesChanged'; ifindex: number }
  | { type: 'ParamsChanged'; ifindex: number; params: LinkParams }
  | { type: 'DnsChanged'; ifindex: number }
  | { type: 'RouterAdded'; ifindex: number; addr: Ip6; preference: Preference; lifetime: number }
  | { type: 'RouterRemoved'; ifindex: number; addr: Ip6; why: 'expired' | 'lifetime-zero' | 'not-a-router' | 'interface-down' }
  | { type: 'PrefixAdded'; ifindex: number; prefix: Ip6; prefixLength: number; validLifetime: number }
  | { type: 'PrefixRemoved'; ifindex: number; prefix: Ip6; prefixLength: number; why: 'expired' | 'lifetime-zero' };

type Key = string;

/** Seconds (with all ones = infinity) to an absolute deadline. */
function until(now: Instant, seconds: number): Instant {
  return seconds === INFINITE_LIFETIME ? NEVER : now + seconds * 1000;
}

export class RouterDiscovery {
  readonly routers = new Map<Key, DefaultRouter>();
  readonly prefixes = new Map<Key, OnLinkPrefix>();
  readonly routes = new Map<Key, Route>();
  readonly rdnss = new Map<Key, DnsEntry<Ip6>>();
  readonly dnssl = new Map<Key, DnsEntry<string>>();
  readonly params = new Map<number, LinkParams>();
  private readonly rs = new Map<number, { sent: number; done: boolean }>();
  private readonly heap = new DeadlineHeap<Key>();
  private seq = 0;

  constructor(private readonly random: () => number) {}

  nextDeadline(): Instant {
    return this.heap.next();
  }

  /** Interface start: the first RS after a random delay in [0, MAX_RTR_SOLICITATION_DELAY] (§6.3.7). */
  start(ifindex: number, now: Instant): void {
    this.rs.set(ifindex, { sent: 0, done: false });
    this.heap.arm(`rs|${ifindex}`, now + this.random() * MAX_RTR_SOLICITATION_DELAY);
  }

  /** Forgets everything about an interface. */
  stop(ifindex: number): RdAction[] {
    const acts: RdAction[] = [];
    this.heap.cancel(`rs|${ifindex}`);
    this.rs.delete(ifindex);
    for (const [k, r] of this.routers) if (r.ifindex === ifindex) this.dropRouter(k, r, 'interface-down', acts);
    for (const m of [this.prefixes, this.routes, this.rdnss, this.dnssl] as Array<Map<Key, { ifindex: number }>>) {
      for (const [k, v] of m) {
        if (v.ifindex === ifindex) {
          m.delete(k);
          this.heap.cancel(k);
        }
      }
    }
    this.params.delete(ifindex);
    return acts;
  }

  /** Solicitations sent on an interface so far. */
  solicitationsSent(ifindex: number): number {
    return this.rs.get(ifindex)?.sent ?? 0;
  }

  /** A valid RA (RFC 4861 §6.3.4; RFC 4191 §3.1; RFC 8106 §5.3.1). */
  onRouterAdvert(ifindex: number, src: Ip6, ra: RouterAdvert, linkMtu: number, now: Instant): RdAction[] {
    const acts: RdAction[] = [];
    // §6.3.7: a valid RA with a non-zero Router Lifetime ends the solicitations.
    const rs = this.rs.get(ifindex);
    if (rs && !rs.done && ra.routerLifetime !== 0) {
      rs.done = true;
      this.heap.cancel(`rs|${ifindex}`);
    }
    // Default Router List.
    const rk = `r|${ifindex}|${ip6Key(src)}`;
    const existing = this.routers.get(rk);
    if (ra.routerLifetime === 0) {
      if (existing) {
        this.dropRouter(rk, existing, 'lifetime-zero', acts);
        acts.push({ type: 'RoutersChanged', ifindex });
      }
    } else if (existing) {
      const changed = existing.preference !== ra.preference;
      existing.preference = ra.preference;
      existing.expiresAt = now + ra.routerLifetime * 1000;
      this.heap.arm(rk, existing.expiresAt);
      if (changed) acts.push({ type: 'RoutersChanged', ifindex });
    } else if (this.count(this.routers, ifindex) < MAX_LIST_ENTRIES) {
      const r: DefaultRouter = { ifindex, addr: src.slice(), preference: ra.preference, expiresAt: now + ra.routerLifetime * 1000, seq: this.seq++ };
      this.routers.set(rk, r);
      this.heap.arm(rk, r.expiresAt);
      acts.push({ type: 'RouterAdded', ifindex, addr: r.addr, preference: r.preference, lifetime: ra.routerLifetime });
      acts.push({ type: 'RoutersChanged', ifindex });
    }
    // Parameters (§6.3.4): unspecified (0) values leave ours as they are.
    const p: LinkParams = { ...(this.params.get(ifindex) ?? {}) };
    let pc = false;
    if (ra.curHopLimit !== 0 && p.curHopLimit !== ra.curHopLimit) {
      p.curHopLimit = ra.curHopLimit;
      pc = true;
    }
    if (ra.reachableTime !== 0 && p.baseReachableTime !== ra.reachableTime) {
      p.baseReachableTime = ra.reachableTime;
      pc = true;
    }
    if (ra.retransTimer !== 0 && p.retransTimer !== ra.retransTimer) {
      p.retransTimer = ra.retransTimer;
      pc = true;
    }
    // §6.3.4: the MTU option is used when it is at least the IPv6 minimum and at most the link's own.
    if (ra.mtu !== undefined && ra.mtu >= 1280 && ra.mtu <= linkMtu && p.mtu !== ra.mtu) {
      p.mtu = ra.mtu;
      pc = true;
    }
    if (pc) {
      this.params.set(ifindex, p);
      acts.push({ type: 'ParamsChanged', ifindex, params: p });
    }
    // Prefix List (§6.3.4): on-link prefixes only; link-local ones are ignored.
    let prefixesChanged = false;
    for (const pi of ra.prefixes) {
      if (!pi.onLink || isLinkLocal(pi.prefix)) continue;
      const prefix = maskPrefix(pi.prefix, pi.prefixLength);
      const k = `p|${ifindex}|${ip6Key(prefix)}/${pi.prefixLength}`;
      const e = this.prefixes.get(k);
      if (pi.validLifetime === 0) {
        if (e) {
          this.prefixes.delete(k);
          this.heap.cancel(k);
          acts.push({ type: 'PrefixRemoved', ifindex, prefix, prefixLength: pi.prefixLength, why: 'lifetime-zero' });
          prefixesChanged = true;
        }
        continue;
      }
      if (e) {
        e.expiresAt = until(now, pi.validLifetime);
        e.autonomous = pi.autonomous;
        e.preferredLifetime = pi.preferredLifetime;
        this.arm(k, e.expiresAt);
      } else if (this.count(this.prefixes, ifindex) < MAX_LIST_ENTRIES) {
        const n: OnLinkPrefix = { ifindex, prefix, prefixLength: pi.prefixLength, expiresAt: until(now, pi.validLifetime), autonomous: pi.autonomous, preferredLifetime: pi.preferredLifetime };
        this.prefixes.set(k, n);
        this.arm(k, n.expiresAt);
        acts.push({ type: 'PrefixAdded', ifindex, prefix, prefixLength: pi.prefixLength, validLifetime: pi.validLifetime });
        prefixesChanged = true;
      }
    }
    if (prefixesChanged) acts.push({ type: 'PrefixesChanged', ifindex });
    // Route Information (RFC 4191 §3.1): per (prefix, router); lifetime 0 removes.
    let routesChanged = false;
    for (const ri of ra.routes) {
      const k = `ri|${ifindex}|${ip6Key(ri.prefix)}/${ri.prefixLength}|${ip6Key(src)}`;
      const e = this.routes.get(k);
      if (ri.lifetime === 0) {
        if (e) {
          this.routes.delete(k);
          this.heap.cancel(k);
          routesChanged = true;
        }
        continue;
      }
      if (e) {
        routesChanged ||= e.preference !== ri.preference;
        e.preference = ri.preference;
        e.expiresAt = until(now, ri.lifetime);
        this.arm(k, e.expiresAt);
      } else if (this.count(this.routes, ifindex) < MAX_LIST_ENTRIES) {
        const n: Route = { ifindex, prefix: ri.prefix, prefixLength: ri.prefixLength, router: src.slice(), preference: ri.preference, expiresAt: until(now, ri.lifetime) };
        this.routes.set(k, n);
        this.arm(k, n.expiresAt);
        routesChanged = true;
      }
    }
    if (routesChanged) acts.push({ type: 'RoutersChanged', ifindex });
    // DNS (RFC 8106 §5.3.1): per (value, router); lifetime 0 removes.
    let dnsChanged = false;
    for (const o of ra.rdnss) {
      for (const s of o.servers) dnsChanged = this.dns(this.rdnss, `dn|${ifindex}|${ip6Key(s)}|${ip6Key(src)}`, ifindex, s.slice(), src, o.lifetime, now) || dnsChanged;
    }
    for (const o of ra.dnssl) {
      for (const d of o.domains) dnsChanged = this.dns(this.dnssl, `ds|${ifindex}|${d}|${ip6Key(src)}`, ifindex, d, src, o.lifetime, now) || dnsChanged;
    }
    if (dnsChanged) acts.push({ type: 'DnsChanged', ifindex });
    return acts;
  }

  /** The neighbor stopped being a router (an NA with R clear, §7.2.5): leave the list at once. */
  onNoLongerRouter(ifindex: number, addr: Ip6): RdAction[] {
    const acts: RdAction[] = [];
    const k = `r|${ifindex}|${ip6Key(addr)}`;
    const r = this.routers.get(k);
    if (r) {
      this.dropRouter(k, r, 'not-a-router', acts);
      acts.push({ type: 'RoutersChanged', ifindex });
    }
    return acts;
  }

  onDeadline(now: Instant): RdAction[] {
    const acts: RdAction[] = [];
    for (let k = this.heap.popDue(now); k !== undefined; k = this.heap.popDue(now)) {
      const [kind, ifs] = k.split('|');
      const ifindex = Number(ifs);
      if (kind === 'rs') {
        const rs = this.rs.get(ifindex);
        if (!rs || rs.done) continue;
        rs.sent++;
        acts.push({ type: 'SendRouterSolicit', ifindex });
        // §6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart.
        if (rs.sent < MAX_RTR_SOLICITATIONS) this.heap.arm(k, now + RTR_SOLICITATION_INTERVAL);
      } else if (kind === 'r') {
        const r = this.routers.get(k);
        if (r) {
          this.dropRouter(k, r, 'expired', acts);
          acts.push({ type: 'RoutersChanged', ifindex });
        }
      } else if (kind === 'p') {
        const p = this.prefixes.get(k);
        if (p) {
          this.prefixes.delete(k);
          acts.push({ type: 'PrefixRemoved', ifindex, prefix: p.prefix, prefixLength: p.prefixLength, why: 'expired' });
          acts.push({ type: 'PrefixesChanged', ifindex });
        }
      } else if (kind === 'ri') {
        if (this.routes.delete(k)) acts.push({ type: 'RoutersChanged', ifindex });
      } else if (kind === 'dn' || kind === 'ds') {
        const m = kind === 'dn' ? this.rdnss : this.dnssl;
        if ((m as Map<Key, unknown>).delete(k)) acts.push({ type: 'DnsChanged', ifindex });
      }
    }
    return acts;
  }

  /** Routers of an interface, best preference first, then oldest first. */
  routersOf(ifindex: number): DefaultRouter[] {
    return [...this.routers.values()]
      .filter((r) => r.ifindex === ifindex)
      .sort((a, b) => preferenceRank(b.preference) - preferenceRank(a.preference) || a.seq - b.seq);
  }

  describe(): string {
    return [...this.routers.values()].map((r) => `${formatIp6(r.addr)}%${r.ifindex} ${r.preference}`).join(', ');
  }

  private dropRouter(k: Key, r: DefaultRouter, why: 'expired' | 'lifetime-zero' | 'not-a-router' | 'interface-down', acts: RdAction[]): void {
    this.routers.delete(k);
    this.heap.cancel(k);
    acts.push({ type: 'RouterRemoved', ifindex: r.ifindex, addr: r.addr, why });
    // RFC 4191 §3.1: routes learned from that router go with it.
    for (const [rk, route] of this.routes) {
      if (route.ifindex === r.ifindex && route.router.every((b, i) => b === r.addr[i])) {
        this.routes.delete(rk);
        this.heap.cancel(rk);
      }
    }
  }

  private dns<T>(m: Map<Key, DnsEntry<T>>, k: Key, ifindex: number, value: T, router: Ip6, lifetime: number, now: Instant): boolean {
    const e = m.get(k);
    if (lifetime === 0) {
      if (!e) return false;
      m.delete(k);
      this.heap.cancel(k);
      return true;
    }
    if (e) {
      e.expiresAt = until(now, lifetime);
      this.arm(k, e.expiresAt);
      return false;
    }
    if (this.count(m, ifindex) >= MAX_LIST_ENTRIES) return false;
    const n: DnsEntry<T> = { ifindex, value, router: router.slice(), expiresAt: until(now, lifetime) };
    m.set(k, n);
    this.arm(k, n.expiresAt);
    return true;
  }

  private arm(k: Key, at: Instant): void {
    if (at === NEVER) this.heap.cancel(k);
    else this.heap.arm(k, at);
  }

  private count(m: Map<Key, { ifindex: number }>, ifindex: number): number {
    let n = 0;
    for (const v of m.values()) if (v.ifindex === ifindex) n++;
    return n;
  }
}
