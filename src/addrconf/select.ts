// Default address selection (RFC 6724): the source address for a destination
// (§5, eight rules) and the order in which to try a list of destinations (§6,
// ten rules). Pure functions: the caller supplies the candidate set (§4), the
// address states, and the routing facts (outgoing interface, next hop,
// reachability); nothing here looks at the stack.
//
// How the rules are applied. RFC 6724 states each rule as a preference between
// a pair ("if SA … and SB …, prefer SA"). Most rules rank every address on one
// scale, but two do not: Rule 4 (home addresses) ranks "just home" above "just
// care-of" yet ranks neither against an address that is neither, and §6 Rule 9
// compares only destinations of the same family. Pairwise preferences of that
// shape are not transitive, so a comparison sort — or a "keep the best so far"
// scan — could answer differently for the same set in a different order. We
// apply each rule to the whole remaining set instead: a rule removes every
// address that some other remaining address beats under that rule, and the
// next rule sees only the survivors. For two addresses this is exactly the
// RFC's pairwise text; for more it is order-independent. When the rules leave
// several, the earliest given wins (§6 Rule 10, "leave the order unchanged";
// for sources, §5 leaves ties to the implementation).
//
// Not covered: building the candidate set beyond the filters below (which
// interfaces may send to the destination is the router's business, §4);
// application overrides of the policy table; RFC 5014 socket flags other than
// the two reversals (preferHome, preferTemporary) that §5 Rules 4 and 7 require.

import { ip6Equal, isLinkLocal, isMulticast, isUnspecified, prefixMatch, type Ip6 } from '../wire/address.js';
import { DEFAULT_POLICY_TABLE, type PolicyTable } from './policy.js';
import { addressScope, isIpv4Mapped } from './scope.js';

/** One of this host's addresses, as a possible source (RFC 6724 §4). */
export interface SourceCandidate {
  addr: Ip6;
  /** The interface the address is assigned to. */
  ifindex: number;
  /** On-link prefix length; bounds CommonPrefixLen (RFC 6724 §2.2). For IPv4-mapped, 96 + the IPv4 prefix length. */
  prefixLen: number;
  /** RFC 4862 §5.5.4 deprecated: usable, avoided by Rule 3. */
  deprecated?: boolean;
  /** RFC 4862 §5.4 tentative: not assigned yet, never a source — unless also `optimistic`. */
  tentative?: boolean;
  /** RFC 4429 §2.1 optimistic: usable during DAD; ranked as deprecated by Rule 3 (RFC 4429 §3.3). */
  optimistic?: boolean;
  /** DAD found a duplicate (RFC 4862 §5.4.5): never a source. */
  dadFailed?: boolean;
  /** Valid lifetime expired (RFC 4862 §5.5.4 "invalid"): never a source. */
  invalid?: boolean;
  /** An anycast address: never a source here (see `isUsableSource`). */
  anycast?: boolean;
  /** RFC 8981 temporary address (Rule 7). */
  temporary?: boolean;
  /** Mobile IPv6 home address (RFC 6275; Rule 4). */
  home?: boolean;
  /** Mobile IPv6 care-of address (RFC 6275; Rule 4). */
  careOf?: boolean;
  /** The address (or its prefix) was advertised by the next hop toward the destination (Rule 5.5). */
  nextHopAdvertised?: boolean;
}

export interface SelectSourceOptions {
  /** Default: the RFC 6724 §2.1 table. */
  policy?: PolicyTable;
  /** The interface that will send to the destination (Rule 5; §4 link restriction). Omitted: Rule 5 is skipped. */
  outgoingIfindex?: number;
  /** Rule 7: prefer temporary over public addresses. Default true (RFC 6724 §5 Rule 7). */
  preferTemporary?: boolean;
  /** Rule 4: prefer home over care-of addresses. Default true (RFC 6724 §5 Rule 4). */
  preferHome?: boolean;
}

export interface SortDestinationsOptions {
  /** Default: the RFC 6724 §2.1 table. */
  policy?: PolicyTable;
  /** Rule 1: a destination for which this returns false is "known to be unreachable". Default: none is. */
  reachable?: (d: Ip6) => boolean;
  /** Rule 4's reversal, as for selectSource. Default true. */
  preferHome?: boolean;
}

/** Leading bits `a` and `b` have in common, 0..128 (RFC 6724 §2.2 without the prefix-length bound). */
export function commonPrefixLen(a: Ip6, b: Ip6): number {
  for (let i = 0; i < 16; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 128;
}

/** CommonPrefixLen(S, D) of RFC 6724 §2.2: at most the length of S's prefix. */
function boundedPrefixLen(s: SourceCandidate, d: Ip6): number {
  return Math.min(commonPrefixLen(s.addr, d), s.prefixLen);
}

/**
 * Whether a candidate may be a source at all. Excluded: multicast and the
 * unspecified address (RFC 6724 §4 MUST NOT), addresses not yet or no longer
 * assigned (tentative without optimistic — RFC 4862 §5.4, RFC 4429 §3.3 —
 * dadFailed, invalid), and anycast addresses. RFC 3513 §2.6 forbade anycast
 * sources; RFC 4291 (App. B) lifted that, but replies to an anycast source may
 * reach a different node than the one that sent, so we keep them out.
 */
export function isUsableSource(c: SourceCandidate): boolean {
  if (isMulticast(c.addr) || isUnspecified(c.addr)) return false;
  if (c.tentative && !c.optimistic) return false;
  return !c.dadFailed && !c.invalid && !c.anycast;
}

/** Rule 3's "deprecated": deprecated, or optimistic (RFC 4429 §3.3). The two rank equal. */
function notPreferred(c: SourceCandidate): boolean {
  return c.deprecated === true || c.optimistic === true;
}

/** Keeps the items with the highest key: everything some other item beats is removed. */
function keepBest<T>(set: T[], key: (x: T) => number): T[] {
  if (set.length < 2) return set;
  const keys = set.map(key);
  let best = -Infinity;
  for (const k of keys) if (k > best) best = k;
  return set.filter((_, i) => keys[i] === best);
}

/**
 * RFC 6724 §5 Rule 4 and §6 Rule 4. "If SA is simultaneously a home address and
 * care-of address and SB is not, then prefer SA … If SA is just a home address
 * and SB is just a care-of address, then prefer SA." An address that is neither
 * is not ranked against a just-home or just-care-of one. Reversed (the
 * application preference the rule asks for), just-care-of beats just-home; an
 * address that is both still wins, since it is both a home and a care-of address.
 */
function ruleHome<T>(set: T[], src: (x: T) => SourceCandidate, preferHome: boolean): T[] {
  if (set.length < 2) return set;
  const both = set.filter((x) => src(x).home === true && src(x).careOf === true);
  if (both.length > 0) return both;
  const homeOnly = (c: SourceCandidate): boolean => c.home === true && c.careOf !== true;
  const careOfOnly = (c: SourceCandidate): boolean => c.careOf === true && c.home !== true;
  const [win, lose] = preferHome ? [homeOnly, careOfOnly] : [careOfOnly, homeOnly];
  if (!set.some((x) => win(src(x)))) return set;
  return set.filter((x) => !lose(src(x)));
}

/**
 * RFC 6724 §5: the source address for `dst`, or undefined when no candidate is
 * usable ("Source(D) is undefined", §6). `candidates` should be the §4
 * candidate set; this function additionally drops unusable addresses
 * (`isUsableSource`), addresses of the other family (an IPv4 destination —
 * IPv4-mapped, §3.2 — needs an IPv4-mapped source, and an IPv6 one an IPv6
 * source), and, when `outgoingIfindex` is given, addresses on other interfaces
 * for multicast and link-local destinations (§4 MUST; one link per interface,
 * RFC 4007 §6). Ties after Rule 8 go to the earliest candidate.
 */
export function selectSource(dst: Ip6, candidates: readonly SourceCandidate[], opts: SelectSourceOptions = {}): SourceCandidate | undefined {
  const policy = opts.policy ?? DEFAULT_POLICY_TABLE;
  const oif = opts.outgoingIfindex;
  const dstMapped = isIpv4Mapped(dst);
  const sameLinkOnly = oif !== undefined && (isMulticast(dst) || isLinkLocal(dst));
  let set = candidates.filter(
    (c) => isUsableSource(c) && isIpv4Mapped(c.addr) === dstMapped && (!sameLinkOnly || c.ifindex === oif),
  );
  if (set.length < 2) return set[0];
  const id = (c: SourceCandidate): SourceCandidate => c;

  // Rule 1: prefer same address.
  set = keepBest(set, (c) => (ip6Equal(c.addr, dst) ? 1 : 0));
  // Rule 2: prefer appropriate scope. If Scope(SA) < Scope(SB): prefer SB when
  // Scope(SA) < Scope(D), else SA. So: any scope ≥ Scope(D) beats any below it;
  // at or above Scope(D) the smaller wins, below it the larger.
  const sd = addressScope(dst);
  set = keepBest(set, (c) => {
    const s = addressScope(c.addr);
    return s >= sd ? 32 - s : s - 32;
  });
  // Rule 3: avoid deprecated addresses (optimistic counts as deprecated, RFC 4429 §3.3).
  set = keepBest(set, (c) => (notPreferred(c) ? 0 : 1));
  // Rule 4: prefer home addresses (or care-of, reversed).
  set = ruleHome(set, id, opts.preferHome ?? true);
  // Rule 5: prefer the outgoing interface.
  if (oif !== undefined) set = keepBest(set, (c) => (c.ifindex === oif ? 1 : 0));
  // Rule 5.5: prefer addresses in a prefix advertised by the next hop. An address
  // not marked counts as advertised by a different next hop (or by none).
  set = keepBest(set, (c) => (c.nextHopAdvertised === true ? 1 : 0));
  // Rule 6: prefer matching label.
  const ld = policy.lookup(dst).label;
  set = keepBest(set, (c) => (policy.lookup(c.addr).label === ld ? 1 : 0));
  // Rule 7: prefer temporary addresses (public ones, reversed).
  const wantTemporary = opts.preferTemporary ?? true;
  set = keepBest(set, (c) => ((c.temporary === true) === wantTemporary ? 1 : 0));
  // Rule 8: use longest matching prefix, CommonPrefixLen bounded by the source's prefix (§2.2).
  set = keepBest(set, (c) => boundedPrefixLen(c, dst));
  return set[0];
}

/** Rule 7 of §6: 6to4 (2002::/16, RFC 3056) and Teredo (2001::/32, RFC 4380) are reached by encapsulation. */
function isEncapsulated(d: Ip6): boolean {
  const sixToFour = d[0] === 0x20 && d[1] === 0x02;
  const teredo = d[0] === 0x20 && d[1] === 0x01 && d[2] === 0 && d[3] === 0;
  return sixToFour || teredo;
}

interface Dest {
  d: Ip6;
  src: SourceCandidate | undefined;
  usable: boolean;
}

/**
 * RFC 6724 §6: `dsts` in the order to try them; a new array, the input is not
 * changed. `sourceFor` gives Source(D) — usually `selectSource` over the
 * candidates for D — and is called once per destination. Rules 2–5 and 9 need
 * Source(D); among destinations none of which is usable, they are skipped when
 * any lacks a source. O(n²) in the number of destinations (a DNS answer).
 */
export function sortDestinations(
  dsts: readonly Ip6[],
  sourceFor: (d: Ip6) => SourceCandidate | undefined,
  opts: SortDestinationsOptions = {},
): Ip6[] {
  const infos: Dest[] = dsts.map((d) => {
    const src = sourceFor(d);
    return { d, src, usable: src !== undefined && opts.reachable?.(d) !== false };
  });
  const out: Ip6[] = [];
  let remaining = infos;
  while (remaining.length > 0) {
    const best = bestDestination(remaining, opts);
    out.push(best.d);
    remaining = remaining.filter((x) => x !== best);
  }
  return out;
}

/** The destination to try first among `set`: the rules of §6 by elimination, then the earliest (Rule 10). */
function bestDestination(all: Dest[], opts: SortDestinationsOptions): Dest {
  const policy = opts.policy ?? DEFAULT_POLICY_TABLE;
  // Rule 1: avoid unusable destinations (unreachable, or Source(D) undefined).
  let set = keepBest(all, (x) => (x.usable ? 1 : 0));
  if (set.every((x) => x.src !== undefined)) {
    const src = (x: Dest): SourceCandidate => x.src as SourceCandidate;
    // Rule 2: prefer matching scope, Scope(D) = Scope(Source(D)).
    set = keepBest(set, (x) => (addressScope(x.d) === addressScope(src(x).addr) ? 1 : 0));
    // Rule 3: avoid deprecated (or optimistic) source addresses.
    set = keepBest(set, (x) => (notPreferred(src(x)) ? 0 : 1));
    // Rule 4: prefer home addresses.
    set = ruleHome(set, src, opts.preferHome ?? true);
    // Rule 5: prefer matching label, Label(Source(D)) = Label(D).
    set = keepBest(set, (x) => (policy.lookup(src(x).addr).label === policy.lookup(x.d).label ? 1 : 0));
  }
  // Rule 6: prefer higher precedence.
  set = keepBest(set, (x) => policy.lookup(x.d).precedence);
  // Rule 7: prefer native transport.
  set = keepBest(set, (x) => (isEncapsulated(x.d) ? 0 : 1));
  // Rule 8: prefer smaller scope.
  set = keepBest(set, (x) => -addressScope(x.d));
  // Rule 9: use longest matching prefix — only "when DA and DB belong to the
  // same address family (both are IPv6 or both are IPv4)": a destination loses
  // only to one of its own family with a longer CommonPrefixLen(Source(D), D).
  if (set.length > 1 && set.every((x) => x.src !== undefined)) {
    const cpl = set.map((x) => boundedPrefixLen(x.src as SourceCandidate, x.d));
    const fam = set.map((x) => isIpv4Mapped(x.d));
    set = set.filter((_, i) => !set.some((__, j) => fam[j] === fam[i] && cpl[j] > cpl[i]));
  }
  // Rule 10: otherwise, leave the order unchanged — the earliest survivor.
  return set[0];
}
