// Address configuration for hosts (RFC 4862): every address this host owns,
// its Duplicate Address Detection (§5.4), its lifetimes (§5.5.4), and stateless
// autoconfiguration from Prefix Information (§5.5.3), with Optimistic DAD
// (RFC 4429) as an option and stable-privacy retries (RFC 7217 §6).
//
// Timers follow the paper's §2: each address under DAD has its own deadline
// (like a neighbor entry), while lifetimes share ONE earliest deadline across
// all addresses that never fires more often than every LIFETIME_COALESCE ms,
// so near-simultaneous expiries are handled in one wake-up. Sans-IO: inputs
// take `now`, outputs are AddrAction values.

import { DeadlineHeap } from '../time/deadlines.js';
import { NEVER, type Instant } from '../time/instant.js';
import { ip6Equal, isLinkLocal, prefixMatch, solicitedNode, type Ip6 } from '../wire/address.js';
import { MAX_DESYNC_FACTOR, REGEN_ADVANCE, TEMP_PREFERRED_LIFETIME, TEMP_VALID_LIFETIME, temporaryIid } from './iid.js';

export const MAX_RTR_SOLICITATION_DELAY = 1_000; // ms, RFC 4861 §10 (RFC 4862 §5.4.2 delay)
export const DUP_ADDR_DETECT_TRANSMITS = 1; // RFC 4862 §5.1
export const TWO_HOURS = 2 * 3600_000; // ms, RFC 4862 §5.5.3 e
/** Lifetime timer granularity (paper §2): never more often than every 0.5 s. */
export const LIFETIME_COALESCE = 500;
/** Stable-privacy addresses are regenerated at most this many times after DAD failures (RFC 7217 §6). */
export const STABLE_IDGEN_RETRIES = 3;
/** All ones: an infinite lifetime (RFC 4861 §4.6.2). */
const INFINITE = 0xffffffff;

export type AddrState = 'tentative' | 'optimistic' | 'preferred' | 'deprecated' | 'dadfailed';
export type AddrOrigin = 'link-local' | 'static' | 'slaac' | 'temporary';

export interface ManagedAddress {
  readonly ifindex: number;
  readonly addr: Ip6;
  readonly prefixLen: number;
  readonly origin: AddrOrigin;
  state: AddrState;
  /** RFC 4291 §2.6: never a source, answered with O = 0, no DAD (RFC 4862 §5.4). */
  readonly anycast: boolean;
  validUntil: Instant;
  preferredUntil: Instant;
  readonly createdAt: Instant;
  /** The interface identifier came from the hardware address (RFC 4862 §5.4.5). */
  readonly hardwareIid: boolean;
  /** RFC 7217: the prefix and DAD counter this address was generated from. */
  readonly stable?: { prefix: Ip6; dadCounter: number };
  /** DAD: probes still to send, and the nonces of the probes sent (RFC 7527). */
  dadProbesLeft: number;
  dadNonces: Uint8Array[];
  /** First DAD probe not sent yet (the solicited-node group joins with it). */
  dadStarted: boolean;
  /** This address's join of its solicited-node group is in force (joins are counted per address). */
  joined: boolean;
  heapIndex: number;
}

export type AddrChange = 'added' | 'preferred' | 'deprecated' | 'removed' | 'dadfailed' | 'lifetimes';

export type AddrAction =
  | { type: 'JoinGroup'; ifindex: number; group: Ip6 }
  | { type: 'LeaveGroup'; ifindex: number; group: Ip6 }
  | { type: 'SendDadProbe'; ifindex: number; target: Ip6; nonce: Uint8Array }
  | { type: 'AddressChanged'; address: ManagedAddress; change: AddrChange }
  | { type: 'AddressConflict'; address: ManagedAddress }
  | { type: 'DisableInterface'; ifindex: number; address: ManagedAddress }
  | { type: 'RegenerateStable'; ifindex: number; prefix: Ip6; prefixLen: number; dadCounter: number; validLifetime: number; preferredLifetime: number };

export interface AddressSpec {
  ifindex: number;
  addr: Ip6;
  prefixLen: number;
  origin: AddrOrigin;
  anycast?: boolean;
  /** Seconds; all ones (0xffffffff) or undefined: infinite. */
  validLifetime?: number;
  preferredLifetime?: number;
  hardwareIid?: boolean;
  stable?: { prefix: Ip6; dadCounter: number };
}

export interface DadParams {
  /** DupAddrDetectTransmits (RFC 4862 §5.1); 0 turns DAD off. */
  transmits: number;
  /** RetransTimer of the interface, ms. */
  retransTimer: number;
  /** Optimistic DAD (RFC 4429): new addresses are usable while DAD runs. */
  optimistic: boolean;
  /** RFC 8981 temporary addresses beside each autoconfigured one. */
  temporary: boolean;
}

const lifetimeEnd = (now: Instant, seconds: number | undefined): Instant =>
  seconds === undefined || seconds === INFINITE ? NEVER : now + seconds * 1000;

export class AddressConfig {
  private readonly addrs: ManagedAddress[] = [];
  private readonly dad = new DeadlineHeap<ManagedAddress>({
    get: (a) => (a.heapIndex >= 0 ? a.heapIndex : undefined),
    set: (a, i) => void (a.heapIndex = i),
    delete: (a) => void (a.heapIndex = -1),
  });
  /** The one lifetime deadline, and when lifetimes were last processed. */
  private lifetimeAt: Instant = NEVER;
  private lifetimeRanAt: Instant = -Infinity;
  /** How many lifetime wake-ups ran (for tests and benchmarks). */
  lifetimeWakeups = 0;
  /** RFC 8981 §3.8: regenerate each temporary address REGEN_ADVANCE before it deprecates. */
  private readonly regen = new DeadlineHeap<ManagedAddress>();
  /** RFC 8981 §3.8 DESYNC_FACTOR: drawn once, so hosts on a link do not regenerate in step. */
  private readonly desyncFactor: number;

  constructor(
    private readonly random: () => number,
    private readonly params: (ifindex: number) => DadParams,
  ) {
    this.desyncFactor = this.random() * MAX_DESYNC_FACTOR;
  }

  list(ifindex?: number): ManagedAddress[] {
    return ifindex === undefined ? [...this.addrs] : this.addrs.filter((a) => a.ifindex === ifindex);
  }

  find(ifindex: number, addr: Ip6): ManagedAddress | undefined {
    return this.addrs.find((a) => a.ifindex === ifindex && ip6Equal(a.addr, addr));
  }

  /** Any interface (for the weak host model): the address we own, not DAD-failed. */
  findAny(addr: Ip6): ManagedAddress | undefined {
    return this.addrs.find((a) => a.state !== 'dadfailed' && ip6Equal(a.addr, addr));
  }

  nextDeadline(): Instant {
    return Math.min(this.dad.next(), this.lifetimeAt, this.regen.next());
  }

  /**
   * Adds an address. Unicast addresses start DAD (RFC 4862 §5.4) unless
   * DupAddrDetectTransmits is 0; anycast ones never do. `initial`: this is the
   * interface's first transmission, so the first probe waits a random delay up
   * to MAX_RTR_SOLICITATION_DELAY (§5.4.2).
   */
  add(spec: AddressSpec, now: Instant, initial = false): { address: ManagedAddress; actions: AddrAction[] } {
    const acts: AddrAction[] = [];
    const p = this.params(spec.ifindex);
    const validUntil = lifetimeEnd(now, spec.validLifetime);
    const preferredUntil = Math.min(validUntil, lifetimeEnd(now, spec.preferredLifetime));
    const anycast = spec.anycast ?? false;
    const dad = !anycast && p.transmits > 0;
    const a: ManagedAddress = {
      ifindex: spec.ifindex,
      addr: spec.addr.slice(),
      prefixLen: spec.prefixLen,
      origin: spec.origin,
      state: dad ? (p.optimistic && spec.origin !== 'static' ? 'optimistic' : 'tentative') : preferredUntil > now ? 'preferred' : 'deprecated',
      anycast,
      validUntil,
      preferredUntil,
      createdAt: now,
      hardwareIid: spec.hardwareIid ?? false,
      stable: spec.stable,
      dadProbesLeft: dad ? p.transmits : 0,
      dadNonces: [],
      dadStarted: false,
      joined: false,
      heapIndex: -1,
    };
    this.addrs.push(a);
    acts.push({ type: 'AddressChanged', address: a, change: 'added' });
    if (dad) {
      const delay = initial ? this.random() * MAX_RTR_SOLICITATION_DELAY : 0;
      if (delay === 0) this.probe(a, now, acts);
      else this.dad.arm(a, now + delay);
    } else {
      this.join(a, acts);
    }
    this.rearmLifetimes(now);
    return { address: a, actions: acts };
  }

  /** Removes an address at once (API, or the interface going away). */
  remove(a: ManagedAddress, now: Instant): AddrAction[] {
    const acts: AddrAction[] = [];
    this.drop(a, acts);
    this.rearmLifetimes(now);
    return acts;
  }

  /**
   * A Neighbor Solicitation from :: for one of our addresses (someone's DAD,
   * RFC 4862 §5.4.3). Our own probe looped back carries our nonce (RFC 7527)
   * and is not a duplicate. Returns true when it was handled as DAD traffic.
   */
  onDadSolicit(ifindex: number, target: Ip6, nonce: Uint8Array | undefined, now: Instant): { duplicate: boolean; actions: AddrAction[] } {
    const a = this.find(ifindex, target);
    if (!a || (a.state !== 'tentative' && a.state !== 'optimistic')) return { duplicate: false, actions: [] };
    if (nonce && a.dadNonces.some((n) => n.length === nonce.length && n.every((b, i) => b === nonce[i]))) {
      return { duplicate: false, actions: [] }; // RFC 7527 §4.2: one of our own probes, looped back
    }
    return { duplicate: true, actions: this.duplicate(a, now) };
  }

  /**
   * A Neighbor Advertisement for one of our addresses (RFC 4862 §5.4.4): during
   * DAD it is a duplicate; afterwards someone else claims it (logged as a conflict).
   */
  onAdvertFor(ifindex: number, target: Ip6, now: Instant): AddrAction[] {
    const a = this.find(ifindex, target);
    if (!a || a.state === 'dadfailed') return [];
    if (a.state === 'tentative' || a.state === 'optimistic') return this.duplicate(a, now);
    return [{ type: 'AddressConflict', address: a }];
  }

  /**
   * Prefix Information with the A flag (RFC 4862 §5.5.3). `form` makes the
   * address for a prefix (stable-privacy or EUI-64), or undefined when the
   * prefix length does not fit the interface identifier (§5.5.3 d).
   */
  onPrefixInformation(
    ifindex: number,
    pio: { prefix: Ip6; prefixLength: number; autonomous: boolean; validLifetime: number; preferredLifetime: number },
    now: Instant,
    form: (prefix: Ip6, prefixLen: number, dadCounter: number) => { addr: Ip6; hardwareIid: boolean; stable?: { prefix: Ip6; dadCounter: number } } | undefined,
  ): AddrAction[] {
    const acts: AddrAction[] = [];
    if (!pio.autonomous) return acts; // §5.5.3 a
    if (isLinkLocal(pio.prefix)) return acts; // §5.5.3 b
    if (pio.preferredLifetime !== INFINITE && (pio.validLifetime !== INFINITE && pio.preferredLifetime > pio.validLifetime)) return acts; // §5.5.3 c
    const mine = this.addrs.filter(
      (a) => a.ifindex === ifindex && (a.origin === 'slaac' || a.origin === 'temporary') && a.prefixLen === pio.prefixLength && prefixMatch(a.addr, pio.prefix, pio.prefixLength),
    );
    if (mine.length === 0) {
      // §5.5.3 d: a new prefix; nothing to do when its valid lifetime is 0.
      if (pio.validLifetime === 0) return acts;
      const f = form(pio.prefix, pio.prefixLength, 0);
      if (!f) return acts;
      const pub = this.add(
        { ifindex, addr: f.addr, prefixLen: pio.prefixLength, origin: 'slaac', validLifetime: pio.validLifetime, preferredLifetime: pio.preferredLifetime, hardwareIid: f.hardwareIid, stable: f.stable },
        now,
      );
      acts.push(...pub.actions);
      if (this.params(ifindex).temporary) this.createTemporary(pub.address, now, acts);
      return acts;
    }
    for (const a of mine) {
      if (a.state === 'dadfailed') continue;
      if (a.origin === 'temporary') {
        // RFC 8981 §3.4: a temporary address never outlives the prefix, nor its own maxima.
        a.validUntil = Math.min(a.createdAt + TEMP_VALID_LIFETIME, lifetimeEnd(now, pio.validLifetime));
        a.preferredUntil = Math.min(a.createdAt + TEMP_PREFERRED_LIFETIME - this.desyncFactor, lifetimeEnd(now, pio.preferredLifetime), a.validUntil);
        if (a.state !== 'deprecated') this.regen.arm(a, Math.max(now, a.preferredUntil - REGEN_ADVANCE));
        acts.push({ type: 'AddressChanged', address: a, change: 'lifetimes' });
        continue;
      }
      // §5.5.3 e: the preferred lifetime is always reset…
      const wasDeprecated = a.state === 'deprecated';
      a.preferredUntil = lifetimeEnd(now, pio.preferredLifetime);
      // …the valid lifetime only under the two-hour rule.
      const remaining = a.validUntil - now;
      const received = pio.validLifetime === INFINITE ? NEVER : pio.validLifetime * 1000;
      if (received > TWO_HOURS || received > remaining) a.validUntil = lifetimeEnd(now, pio.validLifetime);
      else if (remaining > TWO_HOURS) a.validUntil = now + TWO_HOURS;
      // (remaining ≤ 2 h and received ≤ remaining: ignored without SEND.)
      a.preferredUntil = Math.min(a.preferredUntil, a.validUntil);
      if (wasDeprecated && a.preferredUntil > now) {
        a.state = 'preferred';
        acts.push({ type: 'AddressChanged', address: a, change: 'preferred' });
      } else acts.push({ type: 'AddressChanged', address: a, change: 'lifetimes' });
      if (a.preferredUntil <= now && a.state === 'preferred') {
        a.state = 'deprecated';
        acts.push({ type: 'AddressChanged', address: a, change: 'deprecated' });
      }
    }
    this.rearmLifetimes(now);
    return acts;
  }

  /**
   * A temporary address beside `pub` (RFC 8981 §3.4): a random identifier, at
   * most TEMP_VALID_LIFETIME valid and TEMP_PREFERRED_LIFETIME − DESYNC_FACTOR
   * preferred, never beyond the public address's lifetimes; none when its
   * preferred lifetime would not outlast REGEN_ADVANCE (§3.4 step 6).
   */
  private createTemporary(pub: ManagedAddress, now: Instant, acts: AddrAction[]): void {
    const validUntil = Math.min(pub.validUntil, now + TEMP_VALID_LIFETIME);
    const preferredUntil = Math.min(pub.preferredUntil, now + TEMP_PREFERRED_LIFETIME - this.desyncFactor, validUntil);
    if (preferredUntil - now <= REGEN_ADVANCE) return;
    const taken = this.addrs.filter((x) => x.ifindex === pub.ifindex).map((x) => x.addr.subarray(8, 16));
    const iid = temporaryIid(this.random, taken);
    const addr = pub.addr.slice();
    addr.set(iid, 8);
    const secs = (t: Instant): number => (t === NEVER ? 0xffffffff : Math.max(0, Math.floor((t - now) / 1000)));
    const t = this.add({ ifindex: pub.ifindex, addr, prefixLen: pub.prefixLen, origin: 'temporary', validLifetime: secs(validUntil), preferredLifetime: secs(preferredUntil) }, now);
    acts.push(...t.actions);
    this.regen.arm(t.address, Math.max(now, t.address.preferredUntil - REGEN_ADVANCE));
  }

  /** DAD probes and completions (their own deadlines), then the coalesced lifetime pass. */
  onDeadline(now: Instant): AddrAction[] {
    const acts: AddrAction[] = [];
    // RFC 8981 §3.5: a new temporary address before the current one deprecates.
    for (let t = this.regen.popDue(now); t; t = this.regen.popDue(now)) {
      if (!this.addrs.includes(t) || t.state === 'dadfailed' || !this.params(t.ifindex).temporary) continue;
      const pub = this.addrs.find((x) => x.ifindex === t.ifindex && x.origin === 'slaac' && x.state !== 'dadfailed' && prefixMatch(x.addr, t.addr, t.prefixLen));
      if (pub && pub.preferredUntil > now) this.createTemporary(pub, now, acts);
    }
    for (let a = this.dad.popDue(now); a; a = this.dad.popDue(now)) {
      if (a.state !== 'tentative' && a.state !== 'optimistic') continue;
      if (a.dadProbesLeft > 0) this.probe(a, now, acts);
      else {
        // §5.4: no duplicate within RetransTimer of the last probe: the address is ours.
        a.state = a.preferredUntil > now ? 'preferred' : 'deprecated';
        a.dadNonces = [];
        acts.push({ type: 'AddressChanged', address: a, change: a.state === 'preferred' ? 'preferred' : 'deprecated' });
        this.rearmLifetimes(now); // its preferred lifetime now counts
      }
    }
    if (now >= this.lifetimeAt) this.runLifetimes(now, acts);
    return acts;
  }

  private probe(a: ManagedAddress, now: Instant, acts: AddrAction[]): void {
    if (!a.dadStarted) {
      a.dadStarted = true;
      // §5.4.2: join the solicited-node group before the first probe.
      this.join(a, acts);
    }
    const nonce = Uint8Array.from({ length: 6 }, () => Math.floor(this.random() * 256));
    a.dadNonces.push(nonce);
    a.dadProbesLeft--;
    acts.push({ type: 'SendDadProbe', ifindex: a.ifindex, target: a.addr, nonce });
    this.dad.arm(a, now + this.params(a.ifindex).retransTimer);
  }

  /** §5.4.5: a duplicate during DAD. */
  private duplicate(a: ManagedAddress, now: Instant): AddrAction[] {
    const acts: AddrAction[] = [];
    this.dad.cancel(a);
    this.regen.cancel(a);
    a.state = 'dadfailed';
    a.dadNonces = [];
    this.leave(a, acts);
    acts.push({ type: 'AddressChanged', address: a, change: 'dadfailed' });
    // §5.4.5: an identifier from the hardware is duplicated on the link: stop IPv6 there.
    if (a.hardwareIid && a.origin === 'link-local') acts.push({ type: 'DisableInterface', ifindex: a.ifindex, address: a });
    // RFC 7217 §6: a stable address tries the next DAD counter, a few times.
    if (a.stable && a.stable.dadCounter < STABLE_IDGEN_RETRIES) {
      acts.push({
        type: 'RegenerateStable',
        ifindex: a.ifindex,
        prefix: a.stable.prefix,
        prefixLen: a.prefixLen,
        dadCounter: a.stable.dadCounter + 1,
        validLifetime: a.validUntil === NEVER ? INFINITE : Math.max(0, Math.round((a.validUntil - now) / 1000)),
        preferredLifetime: a.preferredUntil === NEVER ? INFINITE : Math.max(0, Math.round((a.preferredUntil - now) / 1000)),
      });
    }
    this.rearmLifetimes(now);
    return acts;
  }

  /** The coalesced lifetime pass: deprecate and invalidate everything due (RFC 4862 §5.5.4). */
  private runLifetimes(now: Instant, acts: AddrAction[]): void {
    this.lifetimeWakeups++;
    this.lifetimeRanAt = now;
    for (const a of [...this.addrs]) {
      if (a.validUntil <= now) {
        this.drop(a, acts);
      } else if (a.preferredUntil <= now && a.state === 'preferred') {
        // (An optimistic address keeps its state until DAD ends, which then
        // deprecates it if its time has come: DAD must not stop half-way.)
        a.state = 'deprecated';
        acts.push({ type: 'AddressChanged', address: a, change: 'deprecated' });
      }
    }
    this.lifetimeAt = NEVER;
    this.rearmLifetimes(now);
  }

  /**
   * Arms the one lifetime deadline: the earliest moment any address must be
   * re-evaluated, but never sooner than LIFETIME_COALESCE after the last pass.
   */
  private rearmLifetimes(now: Instant): void {
    let earliest = NEVER;
    for (const a of this.addrs) {
      if (a.state === 'dadfailed') continue;
      if (a.validUntil < earliest) earliest = a.validUntil;
      // A tentative address is deprecated when its DAD ends, if its time has come by then.
      if (a.state === 'preferred' && a.preferredUntil < earliest) earliest = a.preferredUntil;
    }
    this.lifetimeAt = earliest === NEVER ? NEVER : Math.max(earliest, this.lifetimeRanAt + LIFETIME_COALESCE);
  }

  private drop(a: ManagedAddress, acts: AddrAction[]): void {
    const i = this.addrs.indexOf(a);
    if (i < 0) return;
    this.addrs.splice(i, 1);
    this.dad.cancel(a);
    this.regen.cancel(a);
    // Joins are counted per address by the MLD listener: the group is left
    // when the last address that joined it leaves (RFC 3810 §6.1).
    this.leave(a, acts);
    acts.push({ type: 'AddressChanged', address: a, change: 'removed' });
  }

  private join(a: ManagedAddress, acts: AddrAction[]): void {
    if (a.joined) return;
    a.joined = true;
    acts.push({ type: 'JoinGroup', ifindex: a.ifindex, group: solicitedNode(a.addr) });
  }

  private leave(a: ManagedAddress, acts: AddrAction[]): void {
    if (!a.joined) return;
    a.joined = false;
    acts.push({ type: 'LeaveGroup', ifindex: a.ifindex, group: solicitedNode(a.addr) });
  }
}
