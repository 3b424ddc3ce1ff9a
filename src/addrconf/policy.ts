// The policy table of default address selection (RFC 6724 §2.1): a
// longest-matching-prefix table giving each address a precedence (used to
// order destinations, §6 Rule 6) and a label (used to pair sources with
// destinations, §5 Rule 6 and §6 Rule 5). The default table is the RFC's;
// administrators may replace it (RFC 6724 §2.1: "SHOULD be configurable").
//
// Not covered: per-application tables, and the draft update that moves ULAs
// above IPv4 (draft-ietf-6man-rfc6724-update); pass your own table for that.

import { invalidArg, WasagiError } from '../errors.js';
import { formatIp6, parsePrefix, prefixMatch, type Ip6 } from '../wire/address.js';

/** Precedence(A) and Label(A) of RFC 6724 §2.1. */
export interface Policy {
  readonly precedence: number;
  readonly label: number;
}

/** One row of the table: `prefix` is `addr/len` text (RFC 4291 §2.3). */
export interface PolicyEntry {
  readonly prefix: string;
  readonly precedence: number;
  readonly label: number;
}

/** Precedence and label are unsigned 32-bit integers (as in Linux `ip addrlabel`). */
const MAX_VALUE = 0xffffffff;

/**
 * The answer for an address no row matches. Only a user table without ::/0 can
 * produce it. Precedence −1 ranks below every configured row; label −1 equals no
 * configured label (though two unmatched addresses do share it).
 */
export const UNMATCHED_POLICY: Policy = Object.freeze({ precedence: -1, label: -1 });

/** RFC 6724 §2.1, the default policy table, row for row. */
export const DEFAULT_POLICY: readonly PolicyEntry[] = Object.freeze(
  [
    { prefix: '::1/128', precedence: 50, label: 0 }, // loopback
    { prefix: '::/0', precedence: 40, label: 1 }, // everything else (native IPv6)
    { prefix: '::ffff:0:0/96', precedence: 35, label: 4 }, // IPv4-mapped, i.e. IPv4 (§3.2)
    { prefix: '2002::/16', precedence: 30, label: 2 }, // 6to4 (RFC 3056)
    { prefix: '2001::/32', precedence: 5, label: 5 }, // Teredo (RFC 4380)
    { prefix: 'fc00::/7', precedence: 3, label: 13 }, // ULA (RFC 4193)
    { prefix: '::/96', precedence: 1, label: 3 }, // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
    { prefix: 'fec0::/10', precedence: 1, label: 11 }, // site-local, deprecated (RFC 3879)
    { prefix: '3ffe::/16', precedence: 1, label: 12 }, // 6bone, returned (RFC 3701)
  ].map((e) => Object.freeze(e)),
);

interface Row {
  addr: Ip6;
  prefixLen: number;
  entry: PolicyEntry;
  policy: Policy;
}

/** A policy table; immutable once built. Lookups are longest-prefix match (RFC 6724 §2.1). */
export class PolicyTable {
  /** Rows in the order given, for `entries()`. */
  readonly #rows: Row[];
  /** The same rows, longest prefix first, for `lookup()`. */
  readonly #byLength: Row[];

  /**
   * `entries` replaces the whole default table (RFC 6724 §2.1); omitted, the
   * default table is used. Throws ERR_INVALID_ARG for anything that is not an
   * array of `{ prefix, precedence, label }` with a parseable, zone-less prefix
   * whose bits past the prefix length are zero, integer precedence and label in
   * 0..2^32−1, and no prefix given twice.
   */
  constructor(entries: readonly PolicyEntry[] = DEFAULT_POLICY) {
    if (!Array.isArray(entries)) throw invalidArg('entries', 'an array of policy entries', entries);
    const seen = new Set<string>();
    this.#rows = entries.map((e: unknown, i) => {
      const row = checkEntry(e, `entries[${i}]`);
      if (seen.has(row.entry.prefix)) {
        throw new WasagiError('ERR_INVALID_ARG', `The "entries[${i}].prefix" argument repeats prefix ${row.entry.prefix}`);
      }
      seen.add(row.entry.prefix);
      return row;
    });
    // Stable sort: prefixes are distinct, so equal lengths never overlap.
    this.#byLength = [...this.#rows].sort((a, b) => b.prefixLen - a.prefixLen);
  }

  /** Precedence(a) and Label(a): the longest matching row (RFC 6724 §2.1), else UNMATCHED_POLICY. */
  lookup(a: Ip6): Policy {
    for (const r of this.#byLength) if (prefixMatch(a, r.addr, r.prefixLen)) return r.policy;
    return UNMATCHED_POLICY;
  }

  /** The rows in the order given, prefixes in canonical text (RFC 5952); a fresh array. */
  entries(): PolicyEntry[] {
    return this.#rows.map((r) => r.entry);
  }
}

/** The RFC 6724 §2.1 default table, shared. */
export const DEFAULT_POLICY_TABLE = new PolicyTable();

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_VALUE;
}

function checkEntry(e: unknown, name: string): Row {
  if (typeof e !== 'object' || e === null) throw invalidArg(name, 'an object { prefix, precedence, label }', e);
  const { prefix, precedence, label } = e as Record<string, unknown>;
  if (typeof prefix !== 'string') throw invalidArg(`${name}.prefix`, 'a string like "2001:db8::/32"', prefix);
  let parsed: ReturnType<typeof parsePrefix>;
  try {
    parsed = parsePrefix(prefix);
  } catch (err) {
    throw new WasagiError('ERR_INVALID_ARG', `The "${name}.prefix" argument must be an IPv6 prefix like "2001:db8::/32". Received ${JSON.stringify(prefix)}`, { cause: err });
  }
  if (parsed.zone !== undefined) throw invalidArg(`${name}.prefix`, 'a prefix without a zone', prefix);
  const masked = new Uint8Array(16);
  masked.set(parsed.addr);
  clearHostBits(masked, parsed.prefixLen);
  if (!prefixMatch(masked, parsed.addr, 128)) throw invalidArg(`${name}.prefix`, `a prefix with no bits set past /${parsed.prefixLen}`, prefix);
  if (!isUint32(precedence)) throw invalidArg(`${name}.precedence`, 'an integer from 0 to 4294967295', precedence);
  if (!isUint32(label)) throw invalidArg(`${name}.label`, 'an integer from 0 to 4294967295', label);
  const text = `${formatIp6(masked)}/${parsed.prefixLen}`;
  return {
    addr: masked,
    prefixLen: parsed.prefixLen,
    entry: Object.freeze({ prefix: text, precedence, label }),
    policy: Object.freeze({ precedence, label }),
  };
}

function clearHostBits(a: Uint8Array, plen: number): void {
  for (let bit = plen; bit < 128; bit++) a[bit >> 3] &= ~(0x80 >> (bit & 7));
}
