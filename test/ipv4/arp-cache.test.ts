// The ARP cache (src/ipv4/arp-cache.ts) in virtual time: each state's one
// deadline fires exactly when due — "deadline − 1 ms: nothing; deadline:
// exactly this packet" (STYLE.md 3) — and RFC 826's merge rule decides what a
// received packet may teach. The random factor of ReachableTime is pinned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArpCache, DELAY_FIRST_PROBE_TIME, LOCKTIME, MAX_QUEUED_PER_ENTRY, MCAST_SOLICIT, RETRANS_TIME, UCAST_SOLICIT,
  type ArpAction, type ArpParams,
} from '../../src/ipv4/arp-cache.js';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../../src/wire/arp.js';
import { formatIpv4, parseIpv4, type Ip4 } from '../../src/wire/ipv4.js';
import { formatMac, parseMac } from '../../src/wire/address.js';
import { seededRandom } from '../../src/time/clock.js';
import { DropReason } from '../../src/wasm/layout.generated.js';

const US = parseIpv4('192.0.2.10');
const GW = parseIpv4('192.0.2.1');
const GW_MAC = parseMac('02:00:00:00:00:01');
const NEW_MAC = parseMac('02:00:00:00:00:02');
const STRANGER = parseIpv4('192.0.2.77');
const STRANGER_MAC = parseMac('02:00:00:00:00:77');
const OTHER = parseIpv4('192.0.2.99'); // neither us nor anyone with an entry
const ctx = { ourAddrs: [US] };
const bcast = { ourAddrs: [US], broadcast: true };
const T0 = 10_000;

const pkt = (n: number): Uint8Array => Uint8Array.of(0x45, n);
const host = (n: number): Ip4 => parseIpv4(`192.0.2.${n}`);
const mac = (n: number): Uint8Array => parseMac(`02:00:00:00:01:${n.toString(16).padStart(2, '0')}`);

/** A cache whose ReachableTime factor is pinned: 0.5 + r (r = 0.5 → exactly 30 s). */
const cache = (r = 0.5, params: Partial<ArpParams> = {}): ArpCache => new ArpCache(() => r, params);

function of<T extends ArpAction['type']>(acts: ArpAction[], type: T): Array<Extract<ArpAction, { type: T }>> {
  return acts.filter((a): a is Extract<ArpAction, { type: T }> => a.type === type);
}
const types = (acts: ArpAction[]): string[] => acts.map((a) => (a.type === 'EntryChanged' ? `EntryChanged:${a.state}` : a.type));
const ip = (a: Ip4 | undefined): string => (a ? formatIpv4(a) : 'none');

/** Runs every deadline in order until none is left; returns the actions. */
function runAll(c: ArpCache): ArpAction[] {
  const out: ArpAction[] = [];
  for (let i = 0; c.nextDeadline() < Infinity; i++) {
    assert.ok(i < 1000, 'deadlines do not run out');
    out.push(...c.onDeadline(c.nextDeadline()));
  }
  return out;
}

/** GW resolved by a unicast reply at `at`: REACHABLE. */
function reachable(c: ArpCache, at = T0): void {
  c.resolve(GW, pkt(0), at, US);
  c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, at, ctx);
  assert.equal(c.get(GW)!.state, 'REACHABLE');
}

/** GW STALE: REACHABLE, then its ReachableTime runs out. Returns the time it went STALE. */
function stale(c: ArpCache, at = T0): number {
  reachable(c, at);
  const due = c.deadlineOf(c.get(GW)!);
  c.onDeadline(due);
  assert.equal(c.get(GW)!.state, 'STALE');
  return due;
}

// --- resolution -------------------------------------------------------------------------

test('INCOMPLETE: broadcast requests at 0, +1 s, +2 s; FAILED at +3 s with the queued packets (Linux mcast_solicit 3)', () => {
  const c = cache();
  const first = c.resolve(GW, pkt(1), T0, US);
  assert.deepEqual(types(first), ['EntryChanged:INCOMPLETE', 'SendArpRequest']);
  const req = of(first, 'SendArpRequest')[0];
  assert.equal(ip(req.target), '192.0.2.1');
  assert.equal(ip(req.source), '192.0.2.10', 'the source of the packet waiting');
  assert.equal(req.unicastMac, undefined, 'broadcast');
  assert.deepEqual(c.resolve(GW, pkt(2), T0 + 10), [], 'a second packet is only queued: no second request');
  assert.equal(c.get(GW)!.state, 'INCOMPLETE');

  let requests = 1;
  for (const k of [1, 2]) {
    const due = T0 + k * RETRANS_TIME;
    assert.equal(c.nextDeadline(), due);
    assert.deepEqual(c.onDeadline(due - 1), [], `+${k} s − 1 ms: nothing`);
    const acts = c.onDeadline(due);
    assert.deepEqual(types(acts), ['SendArpRequest'], `+${k} s: exactly one request`);
    assert.equal(of(acts, 'SendArpRequest')[0].unicastMac, undefined, 'still broadcast');
    requests++;
  }
  assert.equal(requests, MCAST_SOLICIT);
  const failAt = T0 + MCAST_SOLICIT * RETRANS_TIME;
  assert.deepEqual(c.onDeadline(failAt - 1), []);
  const acts = c.onDeadline(failAt);
  assert.deepEqual(types(acts), ['ResolutionFailed', 'EntryChanged:FAILED'], 'no fourth request');
  const failed = of(acts, 'ResolutionFailed')[0];
  assert.equal(ip(failed.target), '192.0.2.1');
  assert.deepEqual(failed.packets.map((p) => p[1]), [1, 2], 'the queued packets, in order');
  assert.equal(c.get(GW), undefined, 'FAILED entries are deleted');
  assert.equal(c.nextDeadline(), Infinity);
  assert.equal(c.size, 0);
});

test('a unicast reply completes resolution: the queue is flushed in order and the entry is REACHABLE', () => {
  const c = cache();
  c.resolve(GW, pkt(1), T0, US);
  c.resolve(GW, pkt(2), T0 + 1);
  const acts = c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, T0 + 500, ctx);
  assert.deepEqual(types(acts), ['EntryChanged:REACHABLE', 'SendQueued']);
  const sq = of(acts, 'SendQueued')[0];
  assert.equal(formatMac(sq.mac), '02:00:00:00:00:01');
  assert.deepEqual(sq.packets.map((p) => p[1]), [1, 2]);
  const e = c.get(GW)!;
  assert.equal(e.state, 'REACHABLE');
  assert.equal(e.queue.length, 0);
  assert.equal(c.deadlineOf(e), T0 + 500 + 30_000, 'ReachableTime 30 s with the factor pinned at 1');
  assert.deepEqual(c.onDeadline(T0 + RETRANS_TIME), [], 'no retransmission after the reply');
  // Later packets go straight out.
  const now = c.resolve(GW, pkt(3), T0 + 600);
  assert.deepEqual(types(now), ['SendQueued']);
  assert.equal(of(now, 'SendQueued')[0].packets[0][1], 3);
});

test('a broadcast reply resolves to STALE, and sending the queue is its first use: DELAY (Linux neigh_update)', () => {
  const c = cache();
  c.resolve(GW, pkt(1), T0, US);
  const acts = c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, T0 + 200, bcast);
  assert.deepEqual(types(acts), ['EntryChanged:STALE', 'SendQueued', 'EntryChanged:DELAY']);
  assert.equal(c.get(GW)!.state, 'DELAY');
  assert.equal(c.deadlineOf(c.get(GW)!), T0 + 200 + DELAY_FIRST_PROBE_TIME);
});

// --- RFC 826 merge rule ------------------------------------------------------------------

test('RFC 826: a request from a stranger for someone else creates nothing and is not answered', () => {
  const c = cache();
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, STRANGER, STRANGER_MAC, OTHER, T0, bcast), []);
  assert.deepEqual(c.onArp(ARP_OP_REPLY, STRANGER, STRANGER_MAC, OTHER, T0, ctx), []);
  assert.equal(c.size, 0);
});

test('RFC 826: a request from a stranger for us creates a STALE entry and is answered', () => {
  const c = cache();
  const acts = c.onArp(ARP_OP_REQUEST, STRANGER, STRANGER_MAC, US, T0, bcast);
  assert.deepEqual(types(acts), ['EntryChanged:STALE', 'SendArpReply']);
  const r = of(acts, 'SendArpReply')[0];
  assert.equal(ip(r.to), '192.0.2.77');
  assert.equal(formatMac(r.toMac), '02:00:00:00:00:77');
  assert.equal(ip(r.ourAddr), '192.0.2.10', 'we answer for the address asked');
  const e = c.get(STRANGER)!;
  assert.equal(e.state, 'STALE');
  assert.equal(formatMac(e.mac!), '02:00:00:00:00:77');
  assert.equal(c.deadlineOf(e), Infinity, 'STALE arms no timer');
  assert.equal(c.answer(US, ctx.ourAddrs), true);
  assert.equal(c.answer(OTHER, ctx.ourAddrs), false);
});

test('RFC 826: a packet from a known sender updates its entry even when not for us; within LOCKTIME a different address is ignored', () => {
  const c = cache();
  c.onArp(ARP_OP_REQUEST, STRANGER, STRANGER_MAC, US, T0, bcast);
  // Within LOCKTIME (Linux: "use the FIRST" of back-to-back answers): ignored.
  const early = c.onArp(ARP_OP_REQUEST, STRANGER, NEW_MAC, OTHER, T0 + LOCKTIME - 1, bcast);
  assert.deepEqual(early, [{ type: 'ArpIgnored', reason: 'LOCKTIME' }]);
  assert.equal(formatMac(c.get(STRANGER)!.mac!), '02:00:00:00:00:77');
  // At LOCKTIME: merged, though the request is for someone else.
  const acts = c.onArp(ARP_OP_REQUEST, STRANGER, NEW_MAC, OTHER, T0 + LOCKTIME, bcast);
  assert.deepEqual(types(acts), ['EntryChanged:STALE'], 'updated, not answered');
  assert.equal(formatMac(c.get(STRANGER)!.mac!), '02:00:00:00:00:02');
  // The same address again changes nothing (no event).
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, STRANGER, NEW_MAC, OTHER, T0 + 5_000, bcast), []);
});

test('RFC 826: a request for someone else from the target of an INCOMPLETE entry completes it', () => {
  const c = cache();
  c.resolve(GW, pkt(1), T0, US);
  const acts = c.onArp(ARP_OP_REQUEST, GW, GW_MAC, OTHER, T0 + 300, bcast);
  assert.deepEqual(types(acts), ['EntryChanged:STALE', 'SendQueued', 'EntryChanged:DELAY']);
  assert.equal(formatMac(of(acts, 'SendQueued')[0].mac), '02:00:00:00:00:01');
});

test('an address probe (sender 0.0.0.0, RFC 5227 §2.1.1) for us is answered to the prober, and learns nothing', () => {
  const c = cache();
  const acts = c.onArp(ARP_OP_REQUEST, parseIpv4('0.0.0.0'), STRANGER_MAC, US, T0, bcast);
  assert.deepEqual(types(acts), ['SendArpReply']);
  const r = of(acts, 'SendArpReply')[0];
  assert.equal(ip(r.to), '0.0.0.0');
  assert.equal(formatMac(r.toMac), '02:00:00:00:00:77');
  assert.equal(c.size, 0);
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, parseIpv4('0.0.0.0'), STRANGER_MAC, OTHER, T0, bcast), [], 'a probe for another address: nothing');
});

test('bogus senders teach nothing: group MAC (RFC 1812 §3.3.2), our own address (RFC 5227 §2.4), multicast/broadcast IP', () => {
  const c = cache();
  const group = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, STRANGER, group, US, T0, bcast), [{ type: 'ArpIgnored', reason: 'SENDER_MAC_GROUP' }]);
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, STRANGER, Uint8Array.of(1, 0, 0x5e, 0, 0, 1), US, T0, bcast), [{ type: 'ArpIgnored', reason: 'SENDER_MAC_GROUP' }]);
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, US, STRANGER_MAC, US, T0, bcast), [{ type: 'ArpIgnored', reason: 'SENDER_IS_OURS' }], 'no reply, no entry for ourselves');
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, parseIpv4('224.0.0.1'), STRANGER_MAC, US, T0, bcast), [{ type: 'ArpIgnored', reason: 'SENDER_IP_INVALID' }]);
  assert.deepEqual(c.onArp(ARP_OP_REPLY, parseIpv4('255.255.255.255'), STRANGER_MAC, US, T0, ctx), [{ type: 'ArpIgnored', reason: 'SENDER_IP_INVALID' }]);
  assert.equal(c.size, 0);
});

test('an unsolicited unicast reply for us creates a STALE entry (RFC 826; Linux arp_accept=0 would not)', () => {
  const c = cache();
  const acts = c.onArp(ARP_OP_REPLY, STRANGER, STRANGER_MAC, US, T0, ctx);
  assert.deepEqual(types(acts), ['EntryChanged:STALE'], 'no reply to a reply');
  assert.equal(c.get(STRANGER)!.state, 'STALE', 'not REACHABLE: we asked nothing');
});

// --- gratuitous ARP -------------------------------------------------------------------------

test('gratuitous ARP creates no entry, request or reply (RFC 5227 §3; Linux arp_accept=0)', () => {
  const c = cache();
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, STRANGER, STRANGER_MAC, STRANGER, T0, bcast), []);
  assert.deepEqual(c.onArp(ARP_OP_REPLY, STRANGER, STRANGER_MAC, STRANGER, T0, bcast), []);
  assert.equal(c.size, 0);
});

test('gratuitous ARP updates an existing entry at once, even within LOCKTIME', () => {
  const c = cache();
  reachable(c, T0);
  const acts = c.onArp(ARP_OP_REQUEST, GW, NEW_MAC, GW, T0 + 10, bcast);
  assert.deepEqual(types(acts), ['EntryChanged:STALE']);
  const e = c.get(GW)!;
  assert.equal(formatMac(e.mac!), '02:00:00:00:00:02');
  assert.equal(e.state, 'STALE', 'a new address is not known reachable');
  // Same address announced again: nothing changes.
  assert.deepEqual(c.onArp(ARP_OP_REPLY, GW, NEW_MAC, GW, T0 + 20, bcast), []);
  assert.equal(e.state, 'STALE');
});

// --- NUD-like states -----------------------------------------------------------------------

test('REACHABLE → STALE exactly at the drawn ReachableTime, with no packet', () => {
  for (const [r, ms] of [
    [0.25, 22_500],
    [0.75, 37_500],
  ] as const) {
    const c = cache(r);
    reachable(c, T0);
    const e = c.get(GW)!;
    assert.equal(c.deadlineOf(e), T0 + ms, `factor ${0.5 + r}`);
    assert.deepEqual(c.onDeadline(T0 + ms - 1), [], 'deadline − 1 ms: nothing');
    assert.equal(e.state, 'REACHABLE');
    const acts = c.onDeadline(T0 + ms);
    assert.deepEqual(types(acts), ['EntryChanged:STALE'], 'no request for REACHABLE → STALE');
    assert.equal(c.deadlineOf(e), Infinity);
  }
});

test('ReachableTime is drawn in [0.5, 1.5) × 30 s and re-drawn after 300 s (Linux neigh_rand_reach_time)', () => {
  const rnd = seededRandom(7);
  for (let i = 0; i < 200; i++) {
    const rt = new ArpCache(rnd).currentReachableTime(0);
    assert.ok(rt >= 15_000 && rt < 45_000, `ReachableTime ${rt}`);
  }
  const draws = [0.125, 0.875];
  const c = new ArpCache(() => draws.shift()!);
  assert.equal(c.currentReachableTime(0), 18_750);
  assert.equal(c.currentReachableTime(299_999), 18_750, 'kept for 300 s');
  assert.equal(c.currentReachableTime(300_000), 41_250, 're-drawn');
});

test('STALE → DELAY on use (the packet goes at once) → PROBE at +5 s with unicast requests, FAILED after UCAST_SOLICIT', () => {
  const c = cache();
  const t = stale(c, T0) + 1_000;
  const use = c.resolve(GW, pkt(9), t);
  assert.deepEqual(types(use), ['EntryChanged:DELAY', 'SendQueued']);
  assert.equal(of(use, 'SendQueued')[0].packets[0][1], 9, 'sent with the cached address, not queued');
  const e = c.get(GW)!;
  assert.equal(c.deadlineOf(e), t + DELAY_FIRST_PROBE_TIME);
  assert.deepEqual(c.onDeadline(t + DELAY_FIRST_PROBE_TIME - 1), [], 'deadline − 1 ms: nothing');
  const probe = c.onDeadline(t + DELAY_FIRST_PROBE_TIME);
  assert.deepEqual(types(probe), ['EntryChanged:PROBE', 'SendArpRequest'], 'exactly one probe');
  const p1 = of(probe, 'SendArpRequest')[0];
  assert.equal(ip(p1.target), '192.0.2.1');
  assert.equal(formatMac(p1.unicastMac!), '02:00:00:00:00:01', 'unicast to the cached MAC');
  const p0 = t + DELAY_FIRST_PROBE_TIME;
  for (const k of [1, 2]) {
    assert.deepEqual(c.onDeadline(p0 + k * RETRANS_TIME - 1), []);
    const acts = c.onDeadline(p0 + k * RETRANS_TIME);
    assert.deepEqual(types(acts), ['SendArpRequest']);
    assert.ok(of(acts, 'SendArpRequest')[0].unicastMac, 'unicast');
  }
  const end = p0 + UCAST_SOLICIT * RETRANS_TIME;
  assert.deepEqual(c.onDeadline(end - 1), []);
  assert.deepEqual(types(c.onDeadline(end)), ['EntryChanged:FAILED']);
  assert.equal(c.get(GW), undefined);
});

test('a unicast reply in PROBE, or an upper-layer confirmation in DELAY, makes the entry REACHABLE: no more probes', () => {
  const c = cache();
  let t = stale(c, T0);
  c.resolve(GW, pkt(1), t);
  t += DELAY_FIRST_PROBE_TIME;
  c.onDeadline(t);
  assert.equal(c.get(GW)!.state, 'PROBE');
  const acts = c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, t + 100, ctx);
  assert.deepEqual(types(acts), ['EntryChanged:REACHABLE']);
  assert.deepEqual(c.onDeadline(t + RETRANS_TIME), [], 'the probe timer is gone');
  assert.equal(c.deadlineOf(c.get(GW)!), t + 100 + 30_000);

  const d = cache();
  const s = stale(d, T0);
  d.onStaleUsed(GW, s + 1);
  assert.equal(d.get(GW)!.state, 'DELAY', 'onStaleUsed: STALE → DELAY');
  assert.deepEqual(types(d.confirmReachable(GW, s + 2)), ['EntryChanged:REACHABLE']);
  assert.deepEqual(d.onDeadline(s + 1 + DELAY_FIRST_PROBE_TIME), [], 'no probe at the old DELAY deadline');
});

test('a request or broadcast reply with the same address leaves REACHABLE as it is (Linux neigh_update)', () => {
  const c = cache();
  reachable(c, T0);
  const due = c.deadlineOf(c.get(GW)!);
  assert.deepEqual(c.onArp(ARP_OP_REQUEST, GW, GW_MAC, US, T0 + 2_000, bcast).filter((a) => a.type !== 'SendArpReply'), []);
  assert.equal(c.get(GW)!.state, 'REACHABLE');
  assert.equal(c.deadlineOf(c.get(GW)!), due, 'not refreshed either');
  // A unicast reply refreshes it.
  c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, T0 + 3_000, ctx);
  assert.equal(c.deadlineOf(c.get(GW)!), T0 + 3_000 + 30_000);
});

test('a request never asserts reachability, even unicast (the peer probing us): STALE stays STALE', () => {
  const c = cache();
  const t = stale(c, T0);
  const acts = c.onArp(ARP_OP_REQUEST, GW, GW_MAC, US, t + 1, ctx);
  assert.deepEqual(types(acts), ['SendArpReply'], 'answered, nothing else');
  assert.equal(c.get(GW)!.state, 'STALE');
  assert.equal(c.deadlineOf(c.get(GW)!), Infinity);
});

// --- bounds ------------------------------------------------------------------------------------

test(`bounded queue: at most ${MAX_QUEUED_PER_ENTRY} packets per INCOMPLETE entry, the oldest dropped`, () => {
  const c = cache();
  const drops: ArpAction[] = [];
  for (let i = 1; i <= MAX_QUEUED_PER_ENTRY + 4; i++) drops.push(...of(c.resolve(GW, pkt(i), T0, US), 'Dropped'));
  assert.equal(drops.length, 4);
  assert.ok(drops.every((d) => d.type === 'Dropped' && d.reason === DropReason.RESOLVE_QUEUE_FULL && d.count === 1));
  const acts = c.onArp(ARP_OP_REPLY, GW, GW_MAC, US, T0 + 1, ctx);
  const sent = of(acts, 'SendQueued')[0].packets.map((p) => p[1]);
  assert.equal(sent.length, MAX_QUEUED_PER_ENTRY);
  assert.deepEqual(sent, Array.from({ length: MAX_QUEUED_PER_ENTRY }, (_, i) => i + 5), 'packets 1–4 were dropped');

  const small = cache(0.5, { maxQueued: 2 });
  for (let i = 1; i <= 3; i++) small.resolve(GW, pkt(i), T0);
  const failed = of(runAll(small), 'ResolutionFailed');
  assert.equal(failed.length, 1);
  assert.deepEqual(failed[0].packets.map((p) => p[1]), [2, 3], 'a bound of 2 keeps the newest 2');
});

test('bounded cache: a new INCOMPLETE entry pushes out the oldest INCOMPLETE one', () => {
  const c = cache(0.5, { maxEntries: 4 });
  for (let n = 1; n <= 4; n++) c.resolve(host(100 + n), pkt(n), T0 + n);
  assert.equal(c.size, 4);
  const acts = c.resolve(host(105), pkt(5), T0 + 5);
  assert.deepEqual(types(acts), ['Dropped', 'EntryChanged:EVICTED', 'EntryChanged:INCOMPLETE', 'SendArpRequest']);
  assert.deepEqual(of(acts, 'Dropped')[0], { type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 }, "the evicted entry's packet");
  assert.equal(ip(of(acts, 'EntryChanged')[0].addr), '192.0.2.101', 'the oldest');
  assert.equal(c.size, 4);
  assert.equal(c.get(host(101)), undefined);
});

test('bounded cache: REACHABLE entries are never evicted; a STALE one is', () => {
  const c = cache(0.5, { maxEntries: 3 });
  for (let n = 1; n <= 3; n++) {
    c.resolve(host(n + 1), pkt(n), T0);
    c.onArp(ARP_OP_REPLY, host(n + 1), mac(n), US, T0, ctx);
  }
  assert.equal(c.size, 3);
  // Full of REACHABLE: a new resolution cannot start.
  const acts = c.resolve(host(50), pkt(50), T0 + 1);
  assert.deepEqual(acts, [{ type: 'Dropped', reason: DropReason.NEIGH_CACHE_FULL, count: 1 }], 'no entry, no request');
  assert.equal(c.get(host(50)), undefined);
  // A request for us is still answered, with no entry made.
  const ans = c.onArp(ARP_OP_REQUEST, STRANGER, STRANGER_MAC, US, T0 + 2, bcast);
  assert.deepEqual(types(ans), ['SendArpReply']);
  assert.equal(c.get(STRANGER), undefined);
  // Once one goes STALE it is the one to go.
  for (let n = 1; n <= 3; n++) c.confirmReachable(host(n + 1), T0 + 10_000 * n);
  c.onDeadline(T0 + 10_000 + 30_000); // host 2 only
  assert.equal(c.get(host(2))!.state, 'STALE');
  const again = c.resolve(host(50), pkt(50), T0 + 40_001);
  assert.deepEqual(types(again), ['EntryChanged:EVICTED', 'EntryChanged:INCOMPLETE', 'SendArpRequest']);
  assert.equal(ip(of(again, 'EntryChanged')[0].addr), '192.0.2.2');
  assert.equal(c.get(host(3))!.state, 'REACHABLE');
  assert.equal(c.get(host(4))!.state, 'REACHABLE');
});

test('bounded cache: INCOMPLETE entries are limited on their own (maxIncomplete)', () => {
  const c = cache(0.5, { maxEntries: 8, maxIncomplete: 2 });
  c.resolve(host(1), pkt(1), T0);
  c.resolve(host(2), pkt(2), T0 + 1);
  assert.equal(c.incompleteCount, 2);
  const acts = c.resolve(host(3), pkt(3), T0 + 2);
  assert.equal(ip(of(acts, 'EntryChanged').find((a) => a.state === 'EVICTED')!.addr), '192.0.2.1');
  assert.equal(c.incompleteCount, 2);
  assert.equal(c.size, 2, 'room left in the cache, yet only two unresolved');
});

test('API edge: bad arguments throw ERR_INVALID_ARG', () => {
  assert.throws(() => new ArpCache(() => 0.5, { retransTime: 0 }), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => new ArpCache(() => 0.5, { maxQueued: 1.5 }), { code: 'ERR_INVALID_ARG' });
  const c = cache();
  assert.throws(() => c.resolve(parseIpv4('255.255.255.255'), pkt(1), T0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => c.resolve(parseIpv4('224.0.0.251'), pkt(1), T0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => c.resolve(new Uint8Array(16), pkt(1), T0), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => c.onArp(3 as 1, GW, GW_MAC, US, T0, ctx), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => c.onArp(ARP_OP_REPLY, GW, new Uint8Array(4), US, T0, ctx), { code: 'ERR_INVALID_ARG' });
  assert.equal(c.size, 0);
});
