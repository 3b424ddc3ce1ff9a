// IPv4 source fragmentation (src/ipv4/fragment.ts, RFC 791 §2.3, §3.2):
// golden fragments (checksums computed by hand with an independent RFC 1071
// sum), the copied-flag rule for options, DF, the 68-octet floor,
// re-fragmenting a fragment, argument checks, a property test over random
// sizes and MTUs, and a cross-check against scapy when it is installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WasagiError } from '../../src/errors.js';
import { IPV4_MIN_MTU, copiedOptions, fragmentIpv4 } from '../../src/ipv4/fragment.js';
import {
  checkIpv4Header, emitIpv4, parseIpv4, parseIpv4Header, IPPROTO_UDP, type Ipv4HeaderSpec,
} from '../../src/wire/ipv4.js';
import { prng } from '../support/engine.js';
import { PY } from '../support/interop.js';

const hexBytes = (h: string): number[] => h.trim().split(/\s+/).flatMap((w) => w.match(/../g)!.map((x) => parseInt(x, 16)));
const SRC = parseIpv4('192.0.2.1');
const DST = parseIpv4('198.51.100.2');

type Spec = Omit<Ipv4HeaderSpec, 'totalLength'>;
const BASE: Spec = { protocol: IPPROTO_UDP, src: SRC, dst: DST, identification: 0x1234, ttl: 64 };

/** Octets 0, 1, 2, … (mod 256). */
const counting = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

function datagram(payload: Uint8Array, spec: Partial<Spec> = {}): Uint8Array {
  return emitIpv4({ ...BASE, ...spec }, payload);
}

/** Fragments glued back by offset (a reference reassembly, no checks beyond ordering). */
function glue(frags: Uint8Array[]): Uint8Array {
  const parts = frags.map((f) => parseIpv4Header(f)!).sort((a, b) => a.header.fragmentOffset - b.header.fragmentOffset);
  const total = parts.reduce((n, p) => n + p.payload.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    assert.equal(p.header.fragmentOffset, at, 'contiguous pieces');
    out.set(p.payload, at);
    at += p.payload.length;
  }
  return out;
}

test('a datagram that fits is returned as is (the same object)', () => {
  const d = datagram(counting(48));
  const out = fragmentIpv4(d, 68);
  assert.equal(out.length, 1);
  assert.equal(out[0], d);
  // DF set does not matter when it fits
  const df = datagram(counting(1480), { dontFragment: true });
  assert.equal(fragmentIpv4(df, 1500)[0], df);
});

test('golden: 100 octets at MTU 68 → 48 + 48 + 4, MF on all but the last, offsets 0/6/12, checksums', () => {
  const frags = fragmentIpv4(datagram(counting(100)), 68);
  assert.equal(frags.length, 3);
  // Checksums 5c3e, 5c38, 7c5e computed outside this code base (RFC 1071 over the 20 octets).
  assert.deepEqual([...frags[0].subarray(0, 20)], hexBytes('4500 0044 1234 2000 4011 5c3e c000 0201 c633 6402'));
  assert.deepEqual([...frags[1].subarray(0, 20)], hexBytes('4500 0044 1234 2006 4011 5c38 c000 0201 c633 6402'));
  assert.deepEqual([...frags[2].subarray(0, 20)], hexBytes('4500 0018 1234 000c 4011 7c5e c000 0201 c633 6402'));
  assert.deepEqual([...frags[0].subarray(20)], [...counting(48)]);
  assert.deepEqual([...frags[1].subarray(20)], [...counting(96).subarray(48)]);
  assert.deepEqual([...frags[2].subarray(20)], [...counting(100).subarray(96)]);
});

test('pieces are as large as the MTU allows, rounded down to 8: MTU 1500 carries 1480, MTU 1006 carries 984', () => {
  const d = datagram(counting(4000));
  assert.deepEqual(fragmentIpv4(d, 1500).map((f) => f.length - 20), [1480, 1480, 1040]);
  assert.deepEqual(fragmentIpv4(d, 1006).map((f) => f.length - 20), [984, 984, 984, 984, 64]);
});

test('TOS, TTL, Identification, Protocol and addresses are copied; the reserved flag is written 0', () => {
  const d = datagram(counting(200), { tos: 0xb8, ttl: 7, identification: 0xbeef });
  d[6] |= 0x80; // reserved bit set in the original (fix the checksum: fragmentIpv4 recomputes anyway)
  for (const f of fragmentIpv4(d, 100)) {
    assert.equal(checkIpv4Header(f), null);
    const h = parseIpv4Header(f)!.header;
    assert.equal(h.tos, 0xb8);
    assert.equal(h.ttl, 7);
    assert.equal(h.identification, 0xbeef);
    assert.equal(h.protocol, IPPROTO_UDP);
    assert.deepEqual([...h.src], [...SRC]);
    assert.deepEqual([...h.dst], [...DST]);
    assert.equal(f[6] & 0x80, 0);
  }
});

// Options (RFC 791 §3.1): Router Alert 94 04 0000 (copied), NOP, Record Route
// 07 07 04 + one slot (not copied), Loose Source Route 83 07 04 + one
// address (copied), End of Option List.
const OPTIONS = Uint8Array.from(hexBytes('94040000 01 070704 00000000 830704 c6336401 00'));

test('options: the first fragment keeps all; later ones only the copied ones, re-laid and padded to 4', () => {
  assert.equal(OPTIONS.length, 20);
  assert.deepEqual([...copiedOptions(OPTIONS)], hexBytes('94040000 830704 c6336401 00'));
  const d = datagram(counting(300), { options: OPTIONS });
  const frags = fragmentIpv4(d, 120);
  assert.equal(frags[0][0], 0x4a, 'first: IHL 10');
  assert.deepEqual([...frags[0].subarray(20, 40)], [...OPTIONS]);
  assert.equal(frags[0].length - 40, 80); // (120 − 40) rounded to 8
  for (const f of frags.slice(1)) {
    assert.equal(f[0], 0x48, 'later: IHL 8 (20 + 12)');
    assert.deepEqual([...f.subarray(20, 32)], hexBytes('94040000 830704 c6336401 00'));
    assert.equal(checkIpv4Header(f), null);
  }
  assert.deepEqual(frags.slice(1, -1).map((f) => f.length - 32), [88, 88]); // (120 − 32) = 88
  assert.deepEqual([...glue(frags)], [...counting(300)]);
});

test('options: none copied → later fragments have a bare 20-octet header', () => {
  const rr = Uint8Array.from(hexBytes('070704 00000000 00')); // Record Route, padded
  const frags = fragmentIpv4(datagram(counting(200), { options: rr }), 100);
  assert.equal(frags[0][0], 0x47);
  for (const f of frags.slice(1)) assert.equal(f[0], 0x45);
  assert.deepEqual([...glue(frags)], [...counting(200)]);
});

test('MTU 68 with a 60-octet header: 8 octets per fragment (RFC 791 §3.2: 68 always works)', () => {
  const opts = new Uint8Array(40);
  opts.set([0x94, 4, 0, 0]); // copied Router Alert …
  opts.fill(1, 4); // … then NOPs: later fragments carry 24-octet headers
  const frags = fragmentIpv4(datagram(counting(40), { options: opts }), 68);
  assert.equal(frags[0].length, 68);
  assert.equal(frags[0].length - 60, 8);
  for (const f of frags) assert.ok(f.length <= 68);
  assert.deepEqual([...glue(frags)], [...counting(40)]);
});

test('DF set and too big: ERR_FRAGMENT_DF', () => {
  const d = datagram(counting(1000), { dontFragment: true });
  assert.throws(() => fragmentIpv4(d, 576), (e: unknown) => e instanceof WasagiError && e.code === 'ERR_FRAGMENT_DF');
});

test('MTU below 68, non-integer MTU, malformed datagrams: ERR_INVALID_ARG', () => {
  const d = datagram(counting(100));
  const invalid = (e: unknown): boolean => e instanceof WasagiError && e.code === 'ERR_INVALID_ARG';
  assert.equal(IPV4_MIN_MTU, 68);
  assert.throws(() => fragmentIpv4(d, 67), invalid);
  assert.throws(() => fragmentIpv4(d, 100.5), invalid);
  assert.throws(() => fragmentIpv4(d.subarray(0, 90), 68), invalid, 'Total Length ≠ size');
  const v6 = d.slice();
  v6[0] = 0x65;
  assert.throws(() => fragmentIpv4(v6, 68), invalid, 'version');
  const badOpt = datagram(counting(100), { options: Uint8Array.of(0x83, 9, 0, 0) }); // length past the options
  assert.throws(() => fragmentIpv4(badOpt, 68), invalid);
  assert.throws(() => fragmentIpv4('x' as unknown as Uint8Array, 68), invalid);
});

test('a fragment can be fragmented again: offsets stay absolute, the last piece keeps MF', () => {
  const original = datagram(counting(3000));
  const [a, b, c] = fragmentIpv4(original, 1500); // 1480, 1480, 40
  assert.ok(c);
  const again = fragmentIpv4(b, 576); // 1480 at offset 1480, MF → 552 + 552 + 376
  assert.deepEqual(again.map((f) => parseIpv4Header(f)!.header.fragmentOffset), [1480, 2032, 2584]);
  assert.deepEqual(again.map((f) => parseIpv4Header(f)!.header.moreFragments), [true, true, true]);
  assert.deepEqual([...glue([a, ...again, c])], [...counting(3000)]);
  // A last fragment re-fragmented: its last piece has MF clear.
  const tail = fragmentIpv4(datagram(counting(1000)), 600)[1]; // offset 576, 424 octets, MF 0
  const pieces = fragmentIpv4(tail, 300);
  assert.deepEqual(pieces.map((f) => parseIpv4Header(f)!.header.moreFragments), [true, false]);
  assert.deepEqual(pieces.map((f) => parseIpv4Header(f)!.header.fragmentOffset), [576, 856]);
});

test('property: random sizes, options and MTUs → valid headers, ≤ MTU, 8-octet pieces, same bytes back', () => {
  const rand = prng(791);
  for (let n = 0; n < 400; n++) {
    const size = Math.floor(rand() * 9000);
    const mtu = 68 + Math.floor(rand() * 2000);
    const withOpts = rand() < 0.3;
    const payload = Uint8Array.from({ length: size }, () => Math.floor(rand() * 256));
    const d = datagram(payload, withOpts ? { options: OPTIONS } : {});
    const frags = fragmentIpv4(d, mtu);
    if (d.length <= mtu) {
      assert.equal(frags[0], d);
      continue;
    }
    frags.forEach((f, k) => {
      assert.equal(checkIpv4Header(f), null, `fragment ${k} header`);
      assert.ok(f.length <= mtu, `fragment ${k} fits ${mtu}`);
      const h = parseIpv4Header(f)!.header;
      const last = k === frags.length - 1;
      assert.equal(h.moreFragments, !last);
      assert.equal(h.totalLength, f.length);
      if (!last) assert.equal((f.length - (f[0] & 15) * 4) % 8, 0);
    });
    assert.deepEqual(glue(frags), payload);
  }
});

// --- scapy ---------------------------------------------------------------------------

function scapySkip(): string | undefined {
  if (!existsSync(PY)) return `needs ${PY} (apt-get install python3-scapy)`;
  const s = spawnSync(PY, ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 60_000 });
  return s.status === 0 ? undefined : `needs scapy for ${PY} (apt-get install python3-scapy)`;
}

const SCAPY_FRAGMENTS = `
import json, sys
from scapy.all import IP, defragment, raw
j = json.load(sys.stdin)
frags = [IP(bytes.fromhex(h)) for h in j['frags']]
out = {'frags': []}
for f in frags:
    again = IP(raw(f)); del again.chksum
    out['frags'].append({'ihl': f.ihl, 'len': f.len, 'flags': int(f.flags), 'frag': f.frag, 'id': f.id,
        'chksum_ok': IP(raw(again)).chksum == f.chksum,
        'options': [o.option for o in f.options], 'load': len(raw(f.payload))})
whole = defragment(frags)
out['defrag'] = [raw(p).hex() for p in whole]
print(json.dumps(out))
`;

test('scapy parses our fragments the same way and defragment() gives back the payload', { skip: scapySkip() }, () => {
  const payload = counting(2000);
  const frags = fragmentIpv4(datagram(payload, { options: OPTIONS }), 700);
  const r = spawnSync(PY, ['-c', SCAPY_FRAGMENTS], { input: JSON.stringify({ frags: frags.map((f) => Buffer.from(f).toString('hex')) }), timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr?.toString());
  const out = JSON.parse(r.stdout.toString()) as {
    frags: Array<{ ihl: number; len: number; flags: number; frag: number; id: number; chksum_ok: boolean; options: number[]; load: number }>;
    defrag: string[];
  };
  assert.equal(out.frags.length, frags.length);
  out.frags.forEach((s, k) => {
    const h = parseIpv4Header(frags[k])!;
    assert.equal(s.ihl * 4, h.headerLength);
    assert.equal(s.len, h.header.totalLength);
    assert.equal(s.flags, (h.header.dontFragment ? 2 : 0) | (h.header.moreFragments ? 1 : 0));
    assert.equal(s.frag * 8, h.header.fragmentOffset);
    assert.equal(s.id, 0x1234);
    assert.ok(s.chksum_ok, `fragment ${k}: scapy agrees with the checksum`);
    assert.equal(s.load, h.payload.length);
    // scapy names options by number: 20 Router Alert, 1 NOP, 7 Record Route, 3 LSRR, 0 EOL
    if (k === 0) assert.deepEqual(s.options.filter((o) => o !== 0), [20, 1, 7, 3]);
    else assert.deepEqual(s.options.filter((o) => o !== 0), [20, 3]);
  });
  assert.equal(out.defrag.length, 1);
  const whole = Buffer.from(out.defrag[0], 'hex');
  assert.deepEqual([...whole.subarray(whole.length - payload.length)], [...payload]);
});
