// RFC 6724 default address selection: scope (§3), the policy table (§2.1),
// source selection (§5) and destination ordering (§6), plus the worked
// examples of §10.1 and §10.2.
//
// Each rule test isolates its rule: the winner wins ONLY by that rule — every
// later rule that can be made to point the other way does — and a control
// assertion removes the rule's difference and shows the other candidate then
// wins. So a rule that is missing, reversed or applied out of order fails.
// Source tests run each pair in both orders.
//
// The §10 examples are written from the RFC text (cross-checked against
// published test suites that quote it; §10.1's first result reads
// "2001:db8::1" there, a typo for the candidate 2001:db8:3::1, and the fifth
// "2001:db8:1:::2" for 2001:db8:1::2). Values are the RFC's own numbers, not
// imported from the code under test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasagiError } from '../../src/errors.js';
import { formatIp6, parseIp6, type Ip6 } from '../../src/wire/address.js';
import {
  addressScope,
  isIpv4Mapped,
  SCOPE_ADMIN_LOCAL,
  SCOPE_GLOBAL,
  SCOPE_INTERFACE_LOCAL,
  SCOPE_LINK_LOCAL,
  SCOPE_ORGANIZATION_LOCAL,
  SCOPE_SITE_LOCAL,
} from '../../src/addrconf/scope.js';
import { DEFAULT_POLICY, DEFAULT_POLICY_TABLE, PolicyTable, UNMATCHED_POLICY, type PolicyEntry } from '../../src/addrconf/policy.js';
import {
  commonPrefixLen,
  selectSource,
  sortDestinations,
  type SelectSourceOptions,
  type SortDestinationsOptions,
  type SourceCandidate,
} from '../../src/addrconf/select.js';

const ip = parseIp6;

/** A candidate on interface 1 with a /64 (IPv4-mapped: give prefixLen). */
function cand(addr: string, more: Partial<SourceCandidate> = {}): SourceCandidate {
  return { addr: ip(addr), ifindex: 1, prefixLen: 64, ...more };
}

function show(c: SourceCandidate | undefined): string {
  return c === undefined ? 'undefined' : formatIp6(c.addr);
}

function pick(dst: string, cands: SourceCandidate[], opts?: SelectSourceOptions): string {
  return show(selectSource(ip(dst), cands, opts));
}

/** `winner` is chosen over `loser` whichever comes first. */
function wins(dst: string, winner: SourceCandidate, loser: SourceCandidate, opts?: SelectSourceOptions): void {
  assert.equal(pick(dst, [winner, loser], opts), show(winner), 'winner given first');
  assert.equal(pick(dst, [loser, winner], opts), show(winner), 'winner given second');
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

// --- §3 scope ----------------------------------------------------------------------

describe('scope (RFC 6724 §3, RFC 4291 §2.7, RFC 4007 §4)', () => {
  test('scope constants are the multicast scop values of RFC 4291 §2.7', () => {
    assert.deepEqual(
      [SCOPE_INTERFACE_LOCAL, SCOPE_LINK_LOCAL, SCOPE_ADMIN_LOCAL, SCOPE_SITE_LOCAL, SCOPE_ORGANIZATION_LOCAL, SCOPE_GLOBAL],
      [1, 2, 4, 5, 8, 14],
    );
  });

  test('multicast: the scope is the scop field, whatever the flags', () => {
    const cases: [string, number][] = [
      ['ff01::1', 1],
      ['ff02::1', 2],
      ['ff04::1', 4],
      ['ff05::1:3', 5],
      ['ff08::1', 8],
      ['ff0e::101', 14],
      ['ff15::101', 5], // T flag set
      ['ff32:40:2001:db8::1', 2], // P and T flags (RFC 3306)
      ['ff03::1', 3], // realm-local (RFC 7346)
    ];
    for (const [a, s] of cases) assert.equal(addressScope(ip(a)), s, a);
  });

  test('fe80::/10 is link-local, to its last address', () => {
    assert.equal(addressScope(ip('fe80::1')), SCOPE_LINK_LOCAL);
    assert.equal(addressScope(ip('febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff')), SCOPE_LINK_LOCAL);
  });

  test('::1 is link-local scope (RFC 4007 §4, as RFC 6724 §3.2 recalls)', () => {
    assert.equal(addressScope(ip('::1')), SCOPE_LINK_LOCAL);
  });

  test('fec0::/10, deprecated site-local (RFC 3879), is still site-local scope 5', () => {
    assert.equal(addressScope(ip('fec0::1')), SCOPE_SITE_LOCAL);
    assert.equal(addressScope(ip('feff:ffff::1')), SCOPE_SITE_LOCAL);
    assert.equal(addressScope(ip('fec0::1')), addressScope(ip('ff05::1')), 'unicast site-local = multicast site-local (§3.1)');
  });

  test('ULAs, documentation and other unicast space are global (RFC 6724 §3.1)', () => {
    for (const a of ['fc00::1', 'fd12:3456:789a::1', '2001:db8::1', '2002:c633:6401::1', '3ffe::1', 'fe00::1', '::', '::2']) {
      assert.equal(addressScope(ip(a)), SCOPE_GLOBAL, a);
    }
  });

  test('IPv4-mapped: 127/8 and 169.254/16 link-local, RFC 1918 and the rest global (RFC 6724 §3.2)', () => {
    const cases: [string, number][] = [
      ['::ffff:127.0.0.1', 2],
      ['::ffff:127.255.255.255', 2],
      ['::ffff:169.254.13.78', 2],
      ['::ffff:169.254.255.255', 2],
      ['::ffff:169.253.0.1', 14],
      ['::ffff:169.255.0.1', 14],
      ['::ffff:126.0.0.1', 14],
      ['::ffff:128.0.0.1', 14],
      ['::ffff:10.1.2.3', 14],
      ['::ffff:192.168.1.1', 14],
      ['::ffff:100.64.0.1', 14], // RFC 6598 shared space
      ['::ffff:198.51.100.121', 14],
    ];
    for (const [a, s] of cases) assert.equal(addressScope(ip(a)), s, a);
  });

  test('only ::ffff:0:0/96 counts as IPv4: ::127.0.0.1 (IPv4-compatible) is global', () => {
    assert.equal(isIpv4Mapped(ip('::ffff:127.0.0.1')), true);
    assert.equal(isIpv4Mapped(ip('::127.0.0.1')), false);
    assert.equal(isIpv4Mapped(ip('::1:ffff:127.0.0.1')), false);
    assert.equal(addressScope(ip('::127.0.0.1')), SCOPE_GLOBAL);
  });
});

// --- §2.1 policy table -------------------------------------------------------------

describe('policy table (RFC 6724 §2.1)', () => {
  test('each default row answers for an address only it matches longest', () => {
    // [address, precedence, label] — the RFC's table, one address per row.
    const cases: [string, number, number][] = [
      ['::1', 50, 0], // ::1/128
      ['2001:db8::1', 40, 1], // ::/0
      ['::ffff:10.1.2.3', 35, 4], // ::ffff:0:0/96
      ['2002:c633:6401::1', 30, 2], // 2002::/16
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 5, 5], // 2001::/32 (Teredo)
      ['fd00::1', 3, 13], // fc00::/7
      ['fc00::1', 3, 13], // fc00::/7, the other half
      ['::192.0.2.1', 1, 3], // ::/96
      ['fec0::1', 1, 11], // fec0::/10
      ['3ffe:1::1', 1, 12], // 3ffe::/16
    ];
    for (const [a, precedence, label] of cases) {
      assert.deepEqual({ ...DEFAULT_POLICY_TABLE.lookup(ip(a)) }, { precedence, label }, a);
    }
  });

  test('just outside each row falls to ::/0', () => {
    for (const a of ['::2:0:0:1', '2001:1::1', '2003::1', 'fe00::1', 'fe80::1', 'ff02::1', '3fff::1', '::1:0:0:0']) {
      assert.deepEqual({ ...DEFAULT_POLICY_TABLE.lookup(ip(a)) }, { precedence: 40, label: 1 }, a);
    }
  });

  test('entries() is the RFC table, row for row', () => {
    const rfc: [string, number, number][] = [
      ['::1/128', 50, 0],
      ['::/0', 40, 1],
      ['::ffff:0:0/96', 35, 4],
      ['2002::/16', 30, 2],
      ['2001::/32', 5, 5],
      ['fc00::/7', 3, 13],
      ['::/96', 1, 3],
      ['fec0::/10', 1, 11],
      ['3ffe::/16', 1, 12],
    ];
    const got = new PolicyTable().entries();
    assert.equal(got.length, rfc.length);
    got.forEach((e, i) => {
      const [prefix, precedence, label] = rfc[i];
      const [a, l] = prefix.split('/');
      assert.equal(e.prefix, `${formatIp6(ip(a))}/${l}`, prefix);
      assert.equal(e.precedence, precedence, prefix);
      assert.equal(e.label, label, prefix);
    });
    assert.equal(DEFAULT_POLICY.length, 9);
  });

  test('entries() is a copy: changing it does not change the table', () => {
    const t = new PolicyTable([{ prefix: '::/0', precedence: 40, label: 1 }]);
    const e = t.entries();
    e.length = 0;
    assert.equal(t.entries().length, 1);
    assert.throws(() => {
      (t.entries()[0] as { precedence: number }).precedence = 1;
    }, TypeError);
    assert.equal(t.lookup(ip('2001:db8::1')).precedence, 40);
  });

  test('longest prefix wins whatever the row order', () => {
    const t = new PolicyTable([
      { prefix: '::/0', precedence: 40, label: 1 },
      { prefix: '2001:db8::/32', precedence: 41, label: 20 },
      { prefix: '2001:db8:1::/48', precedence: 42, label: 21 },
    ]);
    const r = new PolicyTable([...t.entries()].reverse());
    for (const table of [t, r]) {
      assert.equal(table.lookup(ip('2001:db8:1::5')).label, 21);
      assert.equal(table.lookup(ip('2001:db8:2::5')).label, 20);
      assert.equal(table.lookup(ip('2001:db9::5')).label, 1);
    }
  });

  test('a user table replaces the default entirely (RFC 6724 §10.3: prefer IPv4)', () => {
    const t = new PolicyTable([
      { prefix: '::1/128', precedence: 50, label: 0 },
      { prefix: '::/0', precedence: 40, label: 1 },
      { prefix: '::ffff:0:0/96', precedence: 100, label: 4 },
    ]);
    assert.equal(t.lookup(ip('::ffff:192.0.2.1')).precedence, 100);
    assert.deepEqual({ ...t.lookup(ip('2002::1')) }, { precedence: 40, label: 1 }, 'no 2002::/16 row any more');
    assert.deepEqual({ ...t.lookup(ip('fd00::1')) }, { precedence: 40, label: 1 }, 'no fc00::/7 row any more');
    // And it changes destination order: IPv4 now first (§6 Rule 6).
    const srcs = [cand('2001:db8:1::2'), cand('::ffff:192.0.2.2', { prefixLen: 120 })];
    const sourceFor = (d: Ip6) => selectSource(d, srcs, { policy: t });
    const dsts = [ip('2001:db8:1::1'), ip('::ffff:192.0.2.1')];
    assert.deepEqual(sortDestinations(dsts, sourceFor, { policy: t }).map((d) => formatIp6(d)), ['::ffff:192.0.2.1', '2001:db8:1::1']);
    assert.deepEqual(sortDestinations(dsts, sourceFor).map((d) => formatIp6(d)), ['2001:db8:1::1', '::ffff:192.0.2.1'], 'default table: IPv6 first');
  });

  test('an address no row matches gets UNMATCHED_POLICY', () => {
    const t = new PolicyTable([{ prefix: '2001:db8::/32', precedence: 7, label: 7 }]);
    assert.equal(t.lookup(ip('2001:db9::1')), UNMATCHED_POLICY);
    assert.deepEqual({ ...UNMATCHED_POLICY }, { precedence: -1, label: -1 });
    assert.equal(new PolicyTable([]).lookup(ip('::1')), UNMATCHED_POLICY);
  });

  test('invalid user entries are rejected with ERR_INVALID_ARG', () => {
    const ok = { prefix: '::/0', precedence: 40, label: 1 };
    const bad: [string, unknown][] = [
      ['not an array', { prefix: '::/0', precedence: 1, label: 1 }],
      ['null', null],
      ['entry not an object', [ok, 'fe80::/10 1 1']],
      ['entry null', [null]],
      ['prefix missing', [{ precedence: 1, label: 1 }]],
      ['prefix a number', [{ prefix: 42, precedence: 1, label: 1 }]],
      ['prefix not an address', [{ prefix: 'zz::/16', precedence: 1, label: 1 }]],
      ['prefix with IPv4 text', [{ prefix: '10.0.0.0/8', precedence: 1, label: 1 }]],
      ['prefix length 129', [{ prefix: '2001:db8::/129', precedence: 1, label: 1 }]],
      ['prefix length negative', [{ prefix: '2001:db8::/-1', precedence: 1, label: 1 }]],
      ['prefix with a zone', [{ prefix: 'fe80::%eth0/64', precedence: 1, label: 1 }]],
      ['bits set past the prefix length', [{ prefix: '2001:db8::1/32', precedence: 1, label: 1 }]],
      ['precedence fractional', [{ prefix: '::/0', precedence: 1.5, label: 1 }]],
      ['precedence negative', [{ prefix: '::/0', precedence: -1, label: 1 }]],
      ['precedence a string', [{ prefix: '::/0', precedence: '40', label: 1 }]],
      ['precedence too large', [{ prefix: '::/0', precedence: 2 ** 32, label: 1 }]],
      ['precedence missing', [{ prefix: '::/0', label: 1 }]],
      ['label NaN', [{ prefix: '::/0', precedence: 1, label: NaN }]],
      ['label Infinity', [{ prefix: '::/0', precedence: 1, label: Infinity }]],
      ['label too large', [{ prefix: '::/0', precedence: 1, label: 2 ** 32 }]],
      ['label missing', [{ prefix: '::/0', precedence: 1 }]],
      ['prefix repeated', [ok, { prefix: '::/0', precedence: 1, label: 2 }]],
      ['prefix repeated in another spelling', [{ prefix: '2001:db8::/32', precedence: 1, label: 1 }, { prefix: '2001:0db8:0::/32', precedence: 2, label: 2 }]],
    ];
    for (const [why, entries] of bad) {
      assert.throws(
        () => new PolicyTable(entries as PolicyEntry[]),
        (e: unknown) => e instanceof WasagiError && e.code === 'ERR_INVALID_ARG',
        why,
      );
    }
    // The same shapes done right are accepted: the rejections are about the defect.
    assert.doesNotThrow(() => new PolicyTable([ok, { prefix: '2001:db8::/32', precedence: 0, label: 2 ** 32 - 1 }, { prefix: 'fe80::/10', precedence: 1, label: 1 }]));
  });
});

// --- commonPrefixLen ---------------------------------------------------------------

test('commonPrefixLen counts leading equal bits, 0..128', () => {
  assert.equal(commonPrefixLen(ip('2001:db8::1'), ip('2001:db8::1')), 128);
  assert.equal(commonPrefixLen(ip('fe80::1'), ip('fe80::2')), 126);
  assert.equal(commonPrefixLen(ip('8000::'), ip('::')), 0);
  assert.equal(commonPrefixLen(ip('2001:db8:3f44::2'), ip('2001:db8:3ffe::1')), 40);
  assert.equal(commonPrefixLen(ip('2001:db8:1::2'), ip('2001:db8:3::2')), 46);
  assert.equal(commonPrefixLen(ip('::'), ip('::1')), 127);
});

// --- §5 source address selection ---------------------------------------------------

describe('source selection rules (RFC 6724 §5)', () => {
  const D = '2001:db8:1::1';
  const OUT = { outgoingIfindex: 1 };

  test('Rule 1: prefer same address — over a deprecated, off-interface, care-of flag', () => {
    const same = cand('2001:db8:1::1', { deprecated: true, careOf: true, ifindex: 2 });
    const other = cand('2001:db8:1::2', { home: true, nextHopAdvertised: true, temporary: true });
    wins(D, same, other, OUT);
    wins(D, other, cand('2001:db8:1::3', { deprecated: true, careOf: true, ifindex: 2 }), OUT); // control
  });

  test('Rule 2: a global destination takes a global source over a link-local one', () => {
    const global = cand('2001:db8:3::1', { deprecated: true, careOf: true, ifindex: 2 });
    const ll = cand('fe80::1', { home: true, nextHopAdvertised: true, temporary: true });
    wins(D, global, ll, OUT);
    wins(D, ll, cand('fe80::3', { deprecated: true, careOf: true, ifindex: 2 }), OUT); // control
  });

  test('Rule 2: at or above Scope(D), the smaller scope wins (site-local for ff05::1)', () => {
    // (No outgoing interface here: for a multicast destination §4 would drop the other link's addresses.)
    const site = cand('fec0::1', { deprecated: true, careOf: true });
    const global = cand('2001:db8::1', { home: true, nextHopAdvertised: true, temporary: true });
    wins('ff05::1', site, global);
    wins('ff05::1', global, cand('2001:db8::2', { deprecated: true, careOf: true })); // control
  });

  test('Rule 2: below Scope(D), the larger scope wins (site-local over link-local for ff0e::1)', () => {
    const site = cand('fec0::1', { deprecated: true, careOf: true });
    const ll = cand('fe80::1', { home: true, nextHopAdvertised: true, temporary: true });
    wins('ff0e::1', site, ll);
    wins('ff0e::1', ll, cand('fe80::2', { deprecated: true, careOf: true })); // control
  });

  test('Rule 3: avoid deprecated addresses — over home, next hop, temporary and longer prefix', () => {
    const preferred = cand('2001:db8:9::2', { careOf: true, ifindex: 2 });
    const deprecated = cand('2001:db8:1::2', { deprecated: true, home: true, nextHopAdvertised: true, temporary: true });
    wins(D, preferred, deprecated, OUT);
    wins(D, { ...deprecated, deprecated: false }, preferred, OUT); // control
  });

  test('Rule 3: an optimistic address ranks as deprecated (RFC 4429 §3.3)', () => {
    const preferred = cand('2001:db8:9::2', { careOf: true, ifindex: 2 });
    const optimistic = cand('2001:db8:1::2', { tentative: true, optimistic: true, home: true, nextHopAdvertised: true, temporary: true });
    wins(D, preferred, optimistic, OUT);
    wins(D, { ...optimistic, tentative: false, optimistic: false }, preferred, OUT); // control
  });

  test('Rule 3: optimistic and deprecated tie, so a later rule decides either way', () => {
    // Rule 8 picks the longer prefix whichever of the two it is.
    wins(D, cand('2001:db8:1::2', { deprecated: true }), cand('2001:db8:9::2', { optimistic: true, tentative: true }));
    wins(D, cand('2001:db8:1::2', { optimistic: true, tentative: true }), cand('2001:db8:9::2', { deprecated: true }));
  });

  test('Rule 4: prefer a home address over a care-of one (§10.1 example, plus later rules against it)', () => {
    const home = cand('2001:db8:3::2', { home: true, ifindex: 2 });
    const careOf = cand('2001:db8:1::2', { careOf: true, nextHopAdvertised: true, temporary: true });
    wins(D, home, careOf, OUT);
    wins(D, careOf, { ...home, home: false, careOf: true }, OUT); // control
  });

  test('Rule 4: an address that is both home and care-of beats one that is just home', () => {
    const both = cand('2001:db8:3::2', { home: true, careOf: true, ifindex: 2 });
    const homeOnly = cand('2001:db8:1::2', { home: true, nextHopAdvertised: true, temporary: true });
    wins(D, both, homeOnly, OUT);
    wins(D, homeOnly, { ...both, careOf: false }, OUT); // control
  });

  test('Rule 4: preferHome: false prefers care-of over home (the reversal §5 asks for)', () => {
    const careOf = cand('2001:db8:3::2', { careOf: true, ifindex: 2 });
    const home = cand('2001:db8:1::2', { home: true, nextHopAdvertised: true, temporary: true });
    wins(D, careOf, home, { ...OUT, preferHome: false });
    wins(D, home, careOf, OUT); // control: the default is the other way
    // Both-at-once still wins when reversed.
    wins(D, cand('2001:db8:3::3', { home: true, careOf: true, ifindex: 2 }), cand('2001:db8:1::3', { careOf: true }), { ...OUT, preferHome: false });
  });

  test('Rule 4: no preference between a home (or care-of) address and a plain one', () => {
    wins(D, cand('2001:db8:1::2'), cand('2001:db8:3::2', { home: true })); // Rule 8 decides
    wins(D, cand('2001:db8:1::2', { careOf: true }), cand('2001:db8:3::2')); // Rule 8 decides
  });

  test('Rule 4: the answer for three candidates does not depend on their order', () => {
    // Pairwise, home beats care-of (Rule 4), care-of beats plain (Rule 8: 64 > 48 bits),
    // plain beats home (Rule 8: 48 > 46 bits) — a cycle. Care-of loses to the home
    // address in the set, and plain then beats home.
    const home = cand('2001:db8:3::2', { home: true });
    const plain = cand('2001:db8:1:8000::2');
    const careOf = cand('2001:db8:1::2', { careOf: true });
    for (const order of permutations([home, plain, careOf])) {
      assert.equal(pick(D, order), '2001:db8:1:8000::2', order.map(show).join(' '));
    }
  });

  test('Rule 5: prefer the outgoing interface', () => {
    const onOut = cand('2001:db8:9::2', { ifindex: 1 });
    const other = cand('2001:db8:1::2', { ifindex: 2, nextHopAdvertised: true, temporary: true });
    wins(D, onOut, other, OUT);
    wins(D, other, onOut); // control: without an outgoing interface the rule is skipped
    wins(D, other, onOut, { outgoingIfindex: 2 }); // and it follows the interface given
  });

  test('§4: for link-local and multicast destinations, only the outgoing link\'s addresses are candidates', () => {
    const elsewhere = cand('fe80::1', { ifindex: 2 });
    assert.equal(pick('ff02::1', [elsewhere], OUT), 'undefined');
    assert.equal(pick('fe80::9', [elsewhere], OUT), 'undefined');
    assert.equal(pick('ff0e::1', [cand('2001:db8::1', { ifindex: 2 })], OUT), 'undefined', 'all multicast scopes (§4: RPF)');
    assert.equal(pick('2001:db8::9', [cand('2001:db8::1', { ifindex: 2 })], OUT), '2001:db8::1', 'global unicast: Rule 5 prefers, does not exclude');
    assert.equal(pick('ff02::1', [elsewhere]), 'fe80::1', 'control: no outgoing interface given');
  });

  test('Rule 5.5: prefer an address in a prefix advertised by the next hop', () => {
    const advertised = cand('2001:db8:9::2', { nextHopAdvertised: true });
    const other = cand('2001:db8:1::2', { temporary: true });
    wins(D, advertised, other);
    wins(D, other, { ...advertised, nextHopAdvertised: false }); // control
  });

  test('Rule 6: prefer matching label — 6to4 source for a 6to4 destination, over a temporary', () => {
    const D6to4 = '2002:c633:6401::1';
    const sixToFour = cand('2002:c633:6401::2');
    const native = cand('2001:db8:1::2', { temporary: true });
    wins(D6to4, sixToFour, native);
    wins(D6to4, native, cand('2001:db8:9::2')); // control: with labels equal, Rule 7 picks the temporary
  });

  test('Rule 6: labels come from the table given', () => {
    const t = new PolicyTable([
      { prefix: '::/0', precedence: 40, label: 1 },
      { prefix: '2001:db8:1::/48', precedence: 40, label: 7 },
      { prefix: '2001:db8:5::/48', precedence: 40, label: 7 },
    ]);
    const tagged = cand('2001:db8:5::2');
    const untagged = cand('2001:db8:2::2', { temporary: true }); // label 1; Rules 7 and 8 favor it (46 bits over 45)
    wins(D, tagged, untagged, { policy: t });
    wins(D, untagged, tagged); // control: the default table
  });

  test('Rule 7: prefer temporary addresses (RFC 8981), by default', () => {
    const temporary = cand('2001:db8:2::a', { temporary: true });
    const pub = cand('2001:db8:1::b');
    wins(D, temporary, pub);
    wins(D, pub, { ...temporary, temporary: false }); // control
  });

  test('Rule 7: preferTemporary: false prefers public addresses', () => {
    const pub = cand('2001:db8:2::a');
    const temporary = cand('2001:db8:1::b', { temporary: true });
    wins(D, pub, temporary, { preferTemporary: false });
    wins(D, temporary, pub); // control
  });

  test('Rule 8: use longest matching prefix', () => {
    wins(D, cand('2001:db8:1::2'), cand('2001:db8:3::2'));
    wins(D, cand('2001:db8:1:1::2'), cand('2001:db8:1:8000::2')); // 63 bits over 48
  });

  test('Rule 8: CommonPrefixLen stops at the source\'s prefix length (RFC 6724 §2.2)', () => {
    const d = '2001:db8:1:0:d5e3::1';
    const a = cand('2001:db8:1::2');
    const b = cand('2001:db8:1:0:d5e3::9'); // 124 bits in common, but a /64
    // Both count 64: a tie, so the earlier candidate stays.
    assert.equal(pick(d, [a, b]), '2001:db8:1::2');
    assert.equal(pick(d, [b, a]), '2001:db8:1:0:d5e3::9');
    // With a longer on-link prefix the extra bits count.
    wins(d, { ...b, prefixLen: 80 }, a);
    wins(d, { ...b, prefixLen: 128 }, a);
  });
});

describe('candidates that are never a source', () => {
  const D = '2001:db8:1::1';
  const fallback = () => cand('2001:db8:9::2', { deprecated: true });

  const never: [string, Partial<SourceCandidate>][] = [
    ['tentative (RFC 4862 §5.4)', { tentative: true }],
    ['dadFailed (RFC 4862 §5.4.5)', { dadFailed: true }],
    ['invalid (RFC 4862 §5.5.4)', { invalid: true }],
    ['anycast', { anycast: true }],
  ];
  for (const [why, flags] of never) {
    test(`${why}: skipped even when it would win Rule 1`, () => {
      const c = cand(D, flags);
      assert.equal(pick(D, [c, fallback()]), '2001:db8:9::2');
      assert.equal(pick(D, [fallback(), c]), '2001:db8:9::2');
      assert.equal(pick(D, [c]), 'undefined');
      assert.equal(pick(D, [cand(D)]), D, 'control: without the flag it is chosen');
    });
  }

  test('multicast and the unspecified address are never candidates (RFC 6724 §4)', () => {
    assert.equal(pick('ff02::1', [cand('ff02::1'), cand('fe80::1', { deprecated: true })]), 'fe80::1');
    assert.equal(pick(D, [cand('::'), cand('2001:db8:9::2', { deprecated: true })]), '2001:db8:9::2');
    assert.equal(pick(D, [cand('::')]), 'undefined');
  });

  test('an optimistic address (tentative + optimistic) may be chosen (RFC 4429 §3.3)', () => {
    assert.equal(pick(D, [cand('2001:db8:1::2', { tentative: true, optimistic: true })]), '2001:db8:1::2');
    assert.equal(pick(D, [cand('2001:db8:1::2', { tentative: true })]), 'undefined', 'control: plain tentative');
  });

  test('an IPv4 destination takes only an IPv4 source, an IPv6 one only IPv6 (§3.2)', () => {
    const v4 = cand('::ffff:192.0.2.2', { prefixLen: 120, deprecated: true });
    const v6 = cand('2001:db8:1::2');
    assert.equal(pick('::ffff:192.0.2.1', [v6, v4]), '::ffff:192.0.2.2');
    assert.equal(pick('::ffff:192.0.2.1', [v6]), 'undefined');
    assert.equal(pick(D, [v4]), 'undefined');
    assert.equal(pick(D, [v4, v6]), '2001:db8:1::2');
  });

  test('no candidates: undefined', () => {
    assert.equal(selectSource(ip(D), []), undefined);
  });

  test('the chosen candidate is returned as given (same object)', () => {
    const c = cand('2001:db8:1::2');
    assert.equal(selectSource(ip(D), [cand('fe80::1'), c]), c);
  });
});

// --- §10.1 worked examples ---------------------------------------------------------

describe('RFC 6724 §10.1 source selection examples', () => {
  const examples: { dst: string; cands: SourceCandidate[]; result: string; why: string }[] = [
    { dst: '2001:db8:1::1', cands: [cand('2001:db8:3::1'), cand('fe80::1')], result: '2001:db8:3::1', why: 'prefer appropriate scope' },
    { dst: 'ff05::1', cands: [cand('2001:db8:3::1'), cand('fe80::1')], result: '2001:db8:3::1', why: 'prefer appropriate scope' },
    { dst: '2001:db8:1::1', cands: [cand('2001:db8:1::1', { deprecated: true }), cand('2001:db8:2::1')], result: '2001:db8:1::1', why: 'prefer same address' },
    { dst: 'fe80::1', cands: [cand('fe80::2', { deprecated: true }), cand('2001:db8:1::1')], result: 'fe80::2', why: 'prefer appropriate scope' },
    { dst: '2001:db8:1::1', cands: [cand('2001:db8:1::2'), cand('2001:db8:3::2')], result: '2001:db8:1::2', why: 'longest matching prefix' },
    {
      dst: '2001:db8:1::1',
      cands: [cand('2001:db8:1::2', { careOf: true }), cand('2001:db8:3::2', { home: true })],
      result: '2001:db8:3::2',
      why: 'prefer home address',
    },
    {
      dst: '2002:c633:6401::1',
      cands: [cand('2002:c633:6401::d5e3:7953:13eb:22e8', { temporary: true }), cand('2001:db8:1::2')],
      result: '2002:c633:6401::d5e3:7953:13eb:22e8',
      why: 'prefer matching label',
    },
    {
      dst: '2001:db8:1::d5e3:0:0:1',
      cands: [cand('2001:db8:1::2'), cand('2001:db8:1::d5e3:7953:13eb:22e8', { temporary: true })],
      result: '2001:db8:1::d5e3:7953:13eb:22e8',
      why: 'prefer temporary address',
    },
  ];
  for (const ex of examples) {
    test(`${ex.dst} from ${ex.cands.map(show).join(' or ')} → ${ex.result} (${ex.why})`, () => {
      const want = formatIp6(ip(ex.result)); // RFC 5952 writes a lone zero group out: …:0:d5e3:…
      assert.equal(pick(ex.dst, ex.cands), want);
      assert.equal(pick(ex.dst, [...ex.cands].reverse()), want, 'candidates reversed');
    });
  }
});

// --- §6 destination ordering -------------------------------------------------------

/** Orders `dsts` with Source(D) chosen from `cands` by selectSource. */
function order(dsts: string[], cands: SourceCandidate[], opts: SortDestinationsOptions & SelectSourceOptions = {}): string[] {
  const sourceFor = (d: Ip6) => selectSource(d, cands, opts);
  return sortDestinations(dsts.map(ip), sourceFor, opts).map((d) => formatIp6(d));
}

/** Orders `dsts` with Source(D) given per destination. */
function orderWith(pairs: [string, SourceCandidate | undefined][], opts: SortDestinationsOptions = {}): string[] {
  const map = new Map(pairs.map(([d, s]) => [formatIp6(ip(d)), s]));
  return sortDestinations(pairs.map(([d]) => ip(d)), (d) => map.get(formatIp6(d)), opts).map((d) => formatIp6(d));
}

/** `first` goes before `second` whichever comes first in the input. */
function before(first: [string, SourceCandidate | undefined], second: [string, SourceCandidate | undefined], opts?: SortDestinationsOptions): void {
  const want = [formatIp6(ip(first[0])), formatIp6(ip(second[0]))];
  assert.deepEqual(orderWith([first, second], opts), want, 'already in order');
  assert.deepEqual(orderWith([second, first], opts), want, 'given reversed');
}

describe('destination ordering rules (RFC 6724 §6)', () => {
  test('Rule 1: avoid a destination known to be unreachable', () => {
    const bad = '2001:db8:1::1';
    const good: [string, SourceCandidate] = ['fd00::1', cand('fd00:9::2')];
    const unreachable: [string, SourceCandidate] = [bad, cand('2001:db8:1::2')];
    before(good, unreachable, { reachable: (d) => formatIp6(d) !== bad });
    before(unreachable, good); // control: reachable, it wins on precedence (Rule 6)
  });

  test('Rule 1: avoid a destination with no source address', () => {
    const none: [string, undefined] = ['2001:db8:1::1', undefined];
    const ula: [string, SourceCandidate] = ['fd00::1', cand('fd00:9::2')];
    before(ula, none);
    before(['2001:db8:1::1', cand('2001:db8:1::2')], ula); // control
  });

  test('Rule 1: among unusable destinations the source-free rules still order them', () => {
    // Neither has a source: Rule 6 (precedence) decides, Rule 10 would not.
    assert.deepEqual(orderWith([['fd00::1', undefined], ['2001:db8::1', undefined]]), ['2001:db8::1', 'fd00::1']);
  });

  test('Rule 2: prefer matching scope — over higher precedence', () => {
    const matching: [string, SourceCandidate] = ['fd00::1', cand('fd00::2')];
    const mismatched: [string, SourceCandidate] = ['2001:db8:1::1', cand('fe80::1')];
    before(matching, mismatched);
    before(['2001:db8:1::1', cand('2001:db8:9::2')], matching); // control
  });

  test('Rule 3: avoid a deprecated source — over higher precedence and smaller scope', () => {
    const fresh: [string, SourceCandidate] = ['fd00::1', cand('fd00::2')];
    const stale: [string, SourceCandidate] = ['fe80::1', cand('fe80::2', { deprecated: true })];
    before(fresh, stale);
    before(['fe80::1', cand('fe80::2')], fresh); // control
  });

  test('Rule 3: an optimistic source counts as deprecated (RFC 4429 §3.3)', () => {
    const fresh: [string, SourceCandidate] = ['fd00::1', cand('fd00::2')];
    const optimistic: [string, SourceCandidate] = ['fe80::1', cand('fe80::2', { optimistic: true, tentative: true })];
    before(fresh, optimistic);
  });

  test('Rule 4: prefer a destination whose source is a home address', () => {
    const viaHome: [string, SourceCandidate] = ['fd00::1', cand('fd00::2', { home: true })];
    const viaCareOf: [string, SourceCandidate] = ['fe80::1', cand('fe80::2', { careOf: true })];
    before(viaHome, viaCareOf);
    before(viaCareOf, viaHome, { preferHome: false }); // reversed
    before(['fe80::1', cand('fe80::2', { home: true })], viaHome); // control
  });

  test('Rule 5: prefer matching label — over higher precedence', () => {
    const sixToFour: [string, SourceCandidate] = ['2002:c633:6401::1', cand('2002:c633:6401::2')];
    const native: [string, SourceCandidate] = ['2001:db8:1::1', cand('2002:c633:6401::2')];
    before(sixToFour, native);
    before(['2001:db8:1::1', cand('2001:db8:1::2')], sixToFour); // control
  });

  test('Rule 6: prefer higher precedence — over longer matching prefix', () => {
    const high: [string, SourceCandidate] = ['2001:db8::1', cand('2001:db8:9::2')]; // 40, 44 bits
    const low: [string, SourceCandidate] = ['fd00::1', cand('fd00::2')]; // 3, 64 bits
    before(high, low);
    const flat = new PolicyTable([{ prefix: '::/0', precedence: 40, label: 1 }]);
    before(low, high, { policy: flat }); // control: equal precedence, Rule 9 decides
  });

  test('Rule 7: prefer native transport over 6to4 and Teredo', () => {
    // Equal precedence and labels, so only Rule 7 and Rule 9 remain; Rule 9 favors the tunnel.
    const flat = new PolicyTable([{ prefix: '::/0', precedence: 40, label: 1 }]);
    const native: [string, SourceCandidate] = ['2001:db8:1::1', cand('2001:db8:2::2')];
    for (const [d, s] of [
      ['2002:c633:6401::1', '2002:c633:6401::2'],
      ['2001:0:4136:e378::1', '2001:0:4136:e378::2'],
    ]) {
      before(native, [d, cand(s)], { policy: flat });
    }
    before(['2001:db8:1::1', cand('2001:db8:1::2')], native, { policy: flat }); // control: Rule 9 is live
  });

  test('Rule 8: prefer smaller scope — over longer matching prefix', () => {
    const ll: [string, SourceCandidate] = ['fe80::1', cand('fe80::2')]; // 64 bits
    const global: [string, SourceCandidate] = ['2001:db8:1::1', cand('2001:db8:1::2', { prefixLen: 126 })]; // 126 bits
    before(ll, global);
    before(global, ['2001:db8:7::1', cand('2001:db8:7::2')]); // control: at equal scope, Rule 9 prefers it
  });

  test('Rule 9: use longest matching prefix', () => {
    before(['2001:db8:1::1', cand('2001:db8:1::2')], ['2001:db8:3ffe::1', cand('2001:db8:3f44::2')]);
  });

  test('Rule 9: only between destinations of the same family', () => {
    // Equal precedence for IPv4 and IPv6 so Rules 1–8 tie; the IPv4 pair shares 120 bits,
    // the IPv6 pair 44. Across families Rule 9 does not apply: input order stays.
    const flat = new PolicyTable([
      { prefix: '::/0', precedence: 40, label: 1 },
      { prefix: '::ffff:0:0/96', precedence: 40, label: 4 },
    ]);
    const v4: [string, SourceCandidate] = ['::ffff:198.51.100.1', cand('::ffff:198.51.100.2', { prefixLen: 120 })];
    const v6: [string, SourceCandidate] = ['2001:db8:1::1', cand('2001:db8:9::2')];
    assert.deepEqual(orderWith([v6, v4], { policy: flat }), ['2001:db8:1::1', '::ffff:198.51.100.1']);
    assert.deepEqual(orderWith([v4, v6], { policy: flat }), ['::ffff:198.51.100.1', '2001:db8:1::1']);
    // Control: the same prefix lengths within one family do reorder.
    const v6long: [string, SourceCandidate] = ['2001:db8:5::1', cand('2001:db8:5::2', { prefixLen: 120 })];
    assert.deepEqual(orderWith([v6, v6long], { policy: flat }), ['2001:db8:5::1', '2001:db8:1::1']);
  });

  test('Rule 9 with three: a destination loses only to its own family', () => {
    const flat = new PolicyTable([
      { prefix: '::/0', precedence: 40, label: 1 },
      { prefix: '::ffff:0:0/96', precedence: 40, label: 4 },
    ]);
    const short6: [string, SourceCandidate] = ['2001:db8:1::1', cand('2001:db8:9::2')];
    const v4: [string, SourceCandidate] = ['::ffff:198.51.100.1', cand('::ffff:198.51.100.2', { prefixLen: 120 })];
    const long6: [string, SourceCandidate] = ['2001:db8:5::1', cand('2001:db8:5::2')];
    assert.deepEqual(orderWith([short6, v4, long6], { policy: flat }), ['::ffff:198.51.100.1', '2001:db8:5::1', '2001:db8:1::1']);
  });

  test('Rule 10: otherwise leave the order unchanged', () => {
    const s = cand('2001:db8:1::2');
    const dsts = ['2001:db8:1::a', '2001:db8:1::b', '2001:db8:1::c'];
    assert.deepEqual(orderWith(dsts.map((d) => [d, s])), dsts);
    assert.deepEqual(orderWith([...dsts].reverse().map((d) => [d, s])), [...dsts].reverse());
  });

  test('sourceFor is asked once per destination, and the input is not changed', () => {
    const dsts = [ip('fd00::1'), ip('2001:db8::1')];
    const copy = dsts.map((d) => formatIp6(d));
    let calls = 0;
    const out = sortDestinations(dsts, (d) => {
      calls++;
      return selectSource(d, [cand('2001:db8::2'), cand('fd00::2')]);
    });
    assert.equal(calls, 2);
    assert.deepEqual(dsts.map((d) => formatIp6(d)), copy);
    assert.deepEqual(out.map((d) => formatIp6(d)), ['2001:db8::1', 'fd00::1']);
    assert.notEqual(out, dsts);
  });

  test('empty list: empty result', () => {
    assert.deepEqual(sortDestinations([], () => undefined), []);
  });
});

// --- §10.2 worked examples ---------------------------------------------------------

describe('RFC 6724 §10.2 destination ordering examples', () => {
  const v4 = (a: string, plen: number, more: Partial<SourceCandidate> = {}) => cand(`::ffff:${a}`, { prefixLen: 96 + plen, ...more });
  const examples: { cands: SourceCandidate[]; dsts: string[]; result: string[]; why: string }[] = [
    {
      cands: [cand('2001:db8:1::2'), cand('fe80::1'), v4('169.254.13.78', 16)],
      dsts: ['2001:db8:1::1', '::ffff:198.51.100.121'],
      result: ['2001:db8:1::1', '::ffff:198.51.100.121'],
      why: 'prefer matching scope',
    },
    {
      cands: [cand('fe80::1'), v4('198.51.100.117', 24)],
      dsts: ['2001:db8:1::1', '::ffff:198.51.100.121'],
      result: ['::ffff:198.51.100.121', '2001:db8:1::1'],
      why: 'prefer matching scope',
    },
    {
      cands: [cand('2001:db8:1::2'), cand('fe80::1'), v4('10.1.2.4', 8)],
      dsts: ['2001:db8:1::1', '::ffff:10.1.2.3'],
      result: ['2001:db8:1::1', '::ffff:10.1.2.3'],
      why: 'prefer higher precedence',
    },
    {
      cands: [cand('2001:db8:1::2'), cand('fe80::2')],
      dsts: ['2001:db8:1::1', 'fe80::1'],
      result: ['fe80::1', '2001:db8:1::1'],
      why: 'prefer smaller scope',
    },
    {
      cands: [cand('2001:db8:1::2', { careOf: true }), cand('2001:db8:3::1', { home: true }), cand('fe80::2', { careOf: true })],
      dsts: ['2001:db8:1::1', 'fe80::1'],
      result: ['2001:db8:1::1', 'fe80::1'],
      why: 'prefer home address',
    },
    {
      cands: [cand('2001:db8:1::2'), cand('fe80::2', { deprecated: true })],
      dsts: ['2001:db8:1::1', 'fe80::1'],
      result: ['2001:db8:1::1', 'fe80::1'],
      why: 'avoid deprecated addresses',
    },
    {
      cands: [cand('2001:db8:1::2'), cand('2001:db8:3f44::2'), cand('fe80::2')],
      dsts: ['2001:db8:1::1', '2001:db8:3ffe::1'],
      result: ['2001:db8:1::1', '2001:db8:3ffe::1'],
      why: 'longest matching prefix',
    },
    {
      cands: [cand('2002:c633:6401::2'), cand('fe80::2')],
      dsts: ['2002:c633:6401::1', '2001:db8:1::1'],
      result: ['2002:c633:6401::1', '2001:db8:1::1'],
      why: 'prefer matching label',
    },
    {
      cands: [cand('2002:c633:6401::2'), cand('2001:db8:1::2'), cand('fe80::2')],
      dsts: ['2002:c633:6401::1', '2001:db8:1::1'],
      result: ['2001:db8:1::1', '2002:c633:6401::1'],
      why: 'prefer higher precedence',
    },
  ];
  for (const ex of examples) {
    test(`${ex.result.join(' then ')} (${ex.why})`, () => {
      assert.deepEqual(order(ex.dsts, ex.cands), ex.result);
      assert.deepEqual(order([...ex.dsts].reverse(), ex.cands), ex.result, 'destinations given reversed');
    });
  }

  test('the sources the §10.2 examples name', () => {
    // "2001:db8:1::1 (src 2001:db8:3::1) then fe80::1 (src fe80::2) (prefer home address)"
    const cands = [cand('2001:db8:1::2', { careOf: true }), cand('2001:db8:3::1', { home: true }), cand('fe80::2', { careOf: true })];
    assert.equal(pick('2001:db8:1::1', cands), '2001:db8:3::1');
    assert.equal(pick('fe80::1', cands), 'fe80::2');
    // "198.51.100.121 (src 169.254.13.78)": the only IPv4 candidate, though link-local.
    assert.equal(pick('::ffff:198.51.100.121', [cand('2001:db8:1::2'), cand('fe80::1'), v4('169.254.13.78', 16)]), '::ffff:169.254.13.78');
    // "2001:db8:1::1 (src 2002:c633:6401::2) (prefer matching label)": no native source exists.
    assert.equal(pick('2001:db8:1::1', [cand('2002:c633:6401::2'), cand('fe80::2')]), '2002:c633:6401::2');
  });
});
