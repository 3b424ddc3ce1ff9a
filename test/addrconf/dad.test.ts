// Duplicate Address Detection on the stack (RFC 4862 §5.4, RFC 7527 nonces,
// RFC 7217 §6 retries), in virtual time: every probe and report is checked on
// the wire at the instant it must leave, one millisecond earlier nothing
// (STYLE.md 3). Random delays are read from the stack's deadline (seeded RNG),
// never guessed. Expectations come from the RFC text; where the stack
// disagrees the test is marked todo with the reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import {
  ICMP_ECHO_REPLY, ICMP_NA, ICMP_NS, LL, MAX_RTR_SOLICITATION_DELAY, MLD_V2_REPORT, Node, PEER, RETRANS_TIMER,
  decodePacket, expectDadProbe, expectMldv2Report, formatIp6, formatMac, groupMac, ndOptions, parseIp6, recordLines, solicitedNode, stableAddr,
  type NodeOptions,
} from '../support/addr.js';
import { showAddr } from '../../src/stack/show.js';
import { STABLE_IDGEN_RETRIES } from '../../src/addrconf/addresses.js';

const G = '2001:db8::1';
const GA = parseIp6(G);

/** A node whose link-local address has finished DAD (delay ≤ 1 s, then DupAddrDetectTransmits × RetransTimer). */
function settled(opts: NodeOptions = {}): Node {
  const n = new Node(opts);
  n.advance(MAX_RTR_SOLICITATION_DELAY + (opts.iface?.dadTransmits ?? 1) * RETRANS_TIMER);
  assert.equal(n.state(LL), 'preferred', 'setup: link-local preferred');
  return n;
}

/** Runs deadlines until `addr` has sent its first DAD probe (bounded); returns the probe's time. */
function untilProbe(n: Node, addr: Uint8Array, from: number): number {
  for (let i = 0; i < 10 && n.probes(addr, from).length === 0; i++) {
    const d = n.stack.addrconf.nextDeadline();
    if (d === Infinity) break;
    n.advanceTo(Math.max(d, n.now));
  }
  const p = n.probes(addr, from);
  assert.equal(p.length, 1, `one probe for ${formatIp6(addr)}`);
  return p[0].at;
}

// --- probing (§5.4.2) -------------------------------------------------------------

test('RFC 4862 §5.4.2 the first probe after interface start waits a random delay in [0, MAX_RTR_SOLICITATION_DELAY]: deadline − 1 ms nothing, deadline the join and the NS', () => {
  const n = new Node();
  const at = n.stack.addrconf.nextDeadline();
  assert.ok(at > n.startedAt && at <= n.startedAt + MAX_RTR_SOLICITATION_DELAY, `delay ${at - n.startedAt} ms within (0, 1000]`);
  assert.equal(n.stack.nextDeadline(), at, 'the probe is the first thing due');
  n.advanceTo(at - 1);
  assert.equal(n.sent().length, 0, 'nothing leaves the interface during the delay');
  assert.equal(n.state(LL), 'tentative');
  n.advanceTo(at);
  assert.deepEqual(
    n.sent().map((p) => [p.at, p.icmpType]),
    [
      [at, MLD_V2_REPORT],
      [at, ICMP_NS],
    ],
    'at the deadline: the solicited-node join, then the probe',
  );
  // The delay is drawn from the seeded RNG: the same seed, the same delay; another seed, another.
  assert.equal(new Node({ seed: 1 }).stack.addrconf.nextDeadline(), at);
  assert.notEqual(new Node({ seed: 2 }).stack.addrconf.nextDeadline(), at);
});

test('RFC 4862 §5.4.2 the solicited-node group is joined before the probe: MLDv2 CHANGE_TO_EXCLUDE {} to ff02::16, hop limit 1, Router Alert, from :: while no address is ours', () => {
  const n = new Node();
  n.advanceTo(n.stack.addrconf.nextDeadline());
  const [join, probe] = n.sent();
  assert.ok(join && probe);
  const records = expectMldv2Report(join, '::');
  assert.deepEqual(recordLines(records), ['TO_EX ff02::1:ff00:a'], 'one Filter Mode Change record for the solicited-node group');
  assert.equal(formatIp6(solicitedNode(LL)), 'ff02::1:ff00:a');
  assert.equal(probe.icmpType, ICMP_NS, 'the probe comes after the join');
});

test('RFC 4862 §5.4.2 the probe is an NS from :: to the solicited-node group, hop limit 255, without SLLA option, with a 6-byte Nonce (RFC 7527 §4.1)', () => {
  const n = new Node();
  n.advanceTo(n.stack.addrconf.nextDeadline());
  const probes = n.probes(LL);
  assert.equal(probes.length, 1);
  expectDadProbe(probes[0], LL);
  assert.equal(probes[0].dstMac, '33:33:ff:00:00:0a');
  assert.equal(probes[0].payloadLength, 24 + 8, 'NS + one 8-octet Nonce option, nothing else');
});

test('RFC 4862 §5.4.2 a later address joins from the link-local address, still before its probe, which leaves at once', () => {
  const n = settled();
  const m = n.mark;
  const t = n.now;
  n.stack.addAddress('eth0', `${G}/64`);
  const out = n.sent(m);
  assert.deepEqual(
    out.map((p) => [p.at, p.icmpType]),
    [
      [t, MLD_V2_REPORT],
      [t, ICMP_NS],
    ],
  );
  assert.deepEqual(recordLines(expectMldv2Report(out[0], 'fe80::ff:fe00:a')), ['TO_EX ff02::1:ff00:1']);
  expectDadProbe(out[1], GA);
});

test('RFC 4862 §5.4 one probe: the address becomes preferred exactly RetransTimer after it (− 1 ms: still tentative)', () => {
  const n = new Node();
  const probeAt = n.stack.addrconf.nextDeadline();
  n.advanceTo(probeAt + RETRANS_TIMER - 1);
  assert.equal(n.state(LL), 'tentative');
  assert.equal(n.eventsOf('AddressStateChanged').length, 0);
  n.advanceTo(probeAt + RETRANS_TIMER);
  assert.equal(n.state(LL), 'preferred');
  assert.deepEqual(
    n.eventsOf('AddressStateChanged').map((e) => [e.at, e.address, e.state]),
    [[probeAt + RETRANS_TIMER, 'fe80::ff:fe00:a%eth0', 'preferred']],
  );
  assert.equal(n.probes(LL).length, 1, 'DupAddrDetectTransmits 1: one probe');
});

test('RFC 4862 §5.4 DupAddrDetectTransmits 2: probes RetransTimer apart, preferred RetransTimer after the last', () => {
  const n = settled({ iface: { dadTransmits: 2 } });
  const t = n.now;
  n.stack.addAddress('eth0', `${G}/64`);
  assert.deepEqual(n.probes(GA).map((p) => p.at), [t]);
  n.advanceTo(t + RETRANS_TIMER - 1);
  assert.equal(n.probes(GA).length, 1, '− 1 ms: no second probe yet');
  n.advanceTo(t + RETRANS_TIMER);
  assert.deepEqual(n.probes(GA).map((p) => p.at), [t, t + RETRANS_TIMER]);
  for (const p of n.probes(GA)) expectDadProbe(p, GA);
  n.advanceTo(t + 2 * RETRANS_TIMER - 1);
  assert.equal(n.state(G), 'tentative');
  n.advanceTo(t + 2 * RETRANS_TIMER);
  assert.equal(n.state(G), 'preferred');
  assert.equal(n.probes(GA).length, 2, 'no third probe');
});

test('RFC 4862 §5.4 probes follow the interface RetransTimer: 1500 ms after an RA sets it (RFC 4861 §6.3.4)', () => {
  const n = settled({ iface: { dadTransmits: 2, acceptRa: true } });
  n.ra({ retransTimer: 1500 });
  const t = n.now;
  n.stack.addAddress('eth0', `${G}/64`);
  n.advanceTo(t + 1499);
  assert.equal(n.probes(GA).length, 1);
  n.advanceTo(t + 1500);
  assert.deepEqual(n.probes(GA).map((p) => p.at), [t, t + 1500]);
  n.advanceTo(t + 2999);
  assert.equal(n.state(G), 'tentative');
  n.advanceTo(t + 3000);
  assert.equal(n.state(G), 'preferred');
});

test('RFC 4862 §5.4 DupAddrDetectTransmits 0: the address is preferred at once, no probe, the group joined', () => {
  const n = settled({ iface: { dadTransmits: 0 } });
  const m = n.mark;
  const e = n.events.length;
  n.stack.addAddress('eth0', `${G}/64`);
  assert.equal(n.state(G), 'preferred');
  assert.deepEqual(n.eventsOf('AddressAdded', e).map((x) => x.state), ['preferred']);
  assert.equal(n.sentType(ICMP_NS, m).length, 0, 'no DAD probe');
  assert.deepEqual(n.reports(m).map((r) => recordLines(r.records)), [['TO_EX ff02::1:ff00:1']]);
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, parseIp6('2001:db8::99'))!), G, 'usable as a source at once');
});

// --- while tentative (§5.4, §5.4.3) ---------------------------------------------------

test('RFC 4862 §5.4 a packet to a tentative address is dropped (IP6_TENTATIVE), an NS is not; after DAD it is answered', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  const m = n.mark;
  n.echo(G, PEER.ll, PEER.mac);
  assert.equal(n.drops().IP6_TENTATIVE, 1, 'echo to a tentative address');
  n.ns(G, { src: PEER.ll, dst: G });
  assert.equal(n.drops().IP6_TENTATIVE, 1, 'the NS passes the receive path');
  assert.equal(n.sent(m).length, 0, 'nothing answered');
  n.advance(RETRANS_TIMER);
  assert.equal(n.state(G), 'preferred');
  const m2 = n.mark;
  n.ns(G, { src: PEER.ll, dst: G }); // now answered, and PEER's MAC is learned
  n.echo(G, PEER.ll, PEER.mac);
  assert.equal(n.drops().IP6_TENTATIVE, 1);
  const replies = n.sentType(ICMP_ECHO_REPLY, m2);
  assert.equal(replies.length, 1, 'echo answered once the address is preferred');
  assert.equal(replies[0].srcText, G);
});

test('RFC 4862 §5.4.3 an NS for a tentative address from a unicast source is silently ignored: no NA, no neighbor entry', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  const m = n.mark;
  n.ns(G, { src: PEER.ll });
  assert.equal(n.sentType(ICMP_NA, m).length, 0, 'no NA');
  assert.equal(n.mib().NdResolveForTentative, 1);
  assert.equal(n.stack.neighbors.get(n.ifindex, PEER.ll), undefined, 'the solicitation created no entry');
  assert.equal(n.state(G), 'tentative', 'and it is no duplicate');
  n.advance(RETRANS_TIMER);
  assert.equal(n.state(G), 'preferred');
});

test('RFC 4862 §5.4 a tentative address is never a source: ping picks the link-local address, then the global one after DAD', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  const p = n.stack.ping('2001:db8::99', { count: 1 });
  assert.equal(formatIp6(p.src), 'fe80::ff:fe00:a');
  p.stop(n.now);
  n.advance(RETRANS_TIMER);
  const q = n.stack.ping('2001:db8::99', { count: 1 });
  assert.equal(formatIp6(q.src), G);
  q.stop(n.now);
});

test('RFC 4862 §5.4 with only a tentative address there is no source: ping throws ERR_NO_SOURCE_ADDRESS', () => {
  const n = new Node({ iface: { linkLocal: false } });
  n.stack.addAddress('eth0', `${G}/64`);
  assert.equal(n.state(G), 'tentative');
  assert.throws(() => n.stack.ping('2001:db8::99', { count: 1 }), { code: 'ERR_NO_SOURCE_ADDRESS' });
  n.advance(RETRANS_TIMER);
  const p = n.stack.ping('2001:db8::99', { count: 1 });
  assert.equal(formatIp6(p.src), G);
  p.stop(n.now);
});

test('RFC 4862 §5.4.2 during the initial random delay the node already processes DAD NSs: a duplicate fails the address and no probe follows', () => {
  const n = new Node();
  const at = n.stack.addrconf.nextDeadline();
  n.advanceTo(n.startedAt + (at - n.startedAt) / 2);
  n.ns(LL, { nonce: Uint8Array.of(1, 2, 3, 4, 5, 6) });
  assert.equal(n.state(LL), 'dadfailed');
  n.advance(3 * RETRANS_TIMER);
  assert.equal(n.probes(LL).length, 0, 'no probe for a failed address');
});

test('RFC 4862 §5.4.2 on interface start nothing is sent before the random delay, static addresses included (the first message is delayed)', () => {
  const n = new Node({ iface: { addresses: [`${G}/64`] } });
  assert.equal(n.sent().length, 0, 'nothing sent at interface start');
  const first = n.stack.addrconf.nextDeadline();
  assert.ok(first > n.startedAt && first <= n.startedAt + MAX_RTR_SOLICITATION_DELAY);
});

// --- anycast (RFC 4862 §5.4, RFC 4291 §2.6) -----------------------------------------

test('RFC 4862 §5.4 an anycast address does no DAD: preferred at once, no probe, answered with NA O=0 (RFC 4861 §7.2.4), never a source', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  n.advance(RETRANS_TIMER);
  const m = n.mark;
  const e = n.events.length;
  n.stack.addAddress('eth0', '2001:db8::80/64', { anycast: true });
  assert.deepEqual(n.eventsOf('AddressAdded', e).map((x) => [x.address, x.state]), [['2001:db8::80', 'preferred']]);
  n.advance(2 * RETRANS_TIMER);
  assert.equal(n.sentType(ICMP_NS, m).length, 0, 'no DAD probe');
  const m2 = n.mark;
  n.ns('2001:db8::80', { src: PEER.ll });
  n.advance(MAX_RTR_SOLICITATION_DELAY);
  const na = n.sentType(ICMP_NA, m2);
  assert.equal(na.length, 1);
  assert.equal(na[0].srcText, '2001:db8::80');
  assert.equal(na[0].msg[4] & 0xe0, 0x40, 'R=0 S=1 O=0');
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, parseIp6('2001:db8::99'))!), G, 'the unicast address is the source');
  assert.equal(formatIp6(n.stack.sourceFor(n.iface, parseIp6('2001:db8::80'))!), G, 'even towards the anycast address itself');
  assert.equal(showAddr(n.stack)[0].addr_info.find((a) => a.local === '2001:db8::80')?.anycast, true);
});

test('RFC 4861 §7.2.7 an NA for an anycast target is delayed by a random time in [0, MAX_ANYCAST_DELAY_TIME]', () => {
  const n = settled();
  n.stack.addAddress('eth0', '2001:db8::80/64', { anycast: true });
  const m = n.mark;
  const t = n.now;
  n.ns('2001:db8::80', { src: PEER.ll });
  assert.equal(n.sentType(ICMP_NA, m).length, 0, 'not in the same instant');
  n.advanceTo(t + 1000);
  const na = n.sentType(ICMP_NA, m);
  assert.equal(na.length, 1);
  assert.ok(na[0].at > t && na[0].at <= t + 1000);
});

// --- duplicates (§5.4.3, §5.4.4, §5.4.5) ------------------------------------------------

test('RFC 4862 §5.4.3 an NS from :: with another nonce for our tentative address: dadfailed, DAD_DUPLICATE, group left, no more probes', () => {
  const n = settled({ iface: { dadTransmits: 2 } });
  n.stack.addAddress('eth0', `${G}/64`);
  const mine = expectDadProbe(n.probes(GA)[0], GA);
  const other = mine.map((b) => b ^ 0xff);
  const m = n.mark;
  const e = n.events.length;
  n.ns(G, { nonce: other });
  assert.equal(n.state(G), 'dadfailed');
  assert.equal(n.drops().DAD_DUPLICATE, 1);
  assert.deepEqual(n.eventsOf('AddressStateChanged', e).map((x) => [x.at, x.address, x.state]), [[n.now, G, 'dadfailed']]);
  const leave = n.reports(m);
  assert.equal(leave.length, 1);
  assert.deepEqual(recordLines(expectMldv2Report(leave[0], 'fe80::ff:fe00:a')), ['TO_IN ff02::1:ff00:1'], 'the solicited-node group is left');
  n.advance(5 * RETRANS_TIMER);
  assert.equal(n.probes(GA).length, 1, 'the second probe is never sent');
  assert.equal(n.state(G), 'dadfailed', 'never becomes preferred');
  const info = showAddr(n.stack)[0].addr_info.find((a) => a.local === G);
  assert.equal(info?.dadfailed, true);
  assert.equal(info?.tentative, true, 'iproute2 shows "tentative dadfailed"');
  n.echo(G, PEER.ll, PEER.mac);
  assert.equal(n.drops().IP6_NOT_OURS, 1, 'a failed address is not ours');
});

test('RFC 4862 §5.4.3 an NS from :: without a Nonce for our tentative address is a duplicate', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  n.ns(G);
  assert.equal(n.state(G), 'dadfailed');
  assert.equal(n.drops().DAD_DUPLICATE, 1);
});

test('RFC 4862 §5.4.3 a DAD NS for a preferred address is answered with an NA to all-nodes, S=0 O=1 (RFC 4861 §7.2.4)', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  n.advance(RETRANS_TIMER);
  const m = n.mark;
  n.ns(G, { nonce: Uint8Array.of(9, 9, 9, 9, 9, 9) });
  assert.equal(n.state(G), 'preferred', 'the owner keeps its address');
  const na = n.sentType(ICMP_NA, m);
  assert.equal(na.length, 1);
  assert.equal(na[0].srcText, G);
  assert.equal(na[0].dstText, 'ff02::1');
  assert.equal(na[0].msg[4] & 0xe0, 0x20, 'R=0 S=0 O=1');
  assert.equal(formatMac(ndOptions(na[0].msg).find((o) => o.type === 2)!.body), formatMac(n.mac), 'TLLA option');
});

test('RFC 4862 §5.4.3 the solicited-node group is not left when another address still uses it', () => {
  const n = settled();
  const shared = '2001:db8::ff:fe00:a'; // same low 24 bits as fe80::ff:fe00:a
  n.stack.addAddress('eth0', `${shared}/64`);
  const m = n.mark;
  n.ns(shared);
  assert.equal(n.state(shared), 'dadfailed');
  assert.equal(n.reports(m).length, 0, 'no CHANGE_TO_INCLUDE for ff02::1:ff00:a');
  assert.ok(n.stack.mld.groups(n.ifindex).some((g) => formatIp6(g) === 'ff02::1:ff00:a'), 'still listening');
  n.ns(LL, { src: PEER.ll, dst: solicitedNode(LL) });
  assert.equal(n.sentType(ICMP_NA, m).length, 1, 'the link-local address still answers through the group');
});

test('RFC 7527 §4.2 our own probe looped back (same nonce) is not a duplicate: preferred on time', () => {
  const n = settled();
  const t = n.now;
  n.stack.addAddress('eth0', `${G}/64`);
  const probe = n.sim.wire.filter((f) => f.at === t && decodePacket(f.frame).icmpType === ICMP_NS).at(-1)!;
  n.deliver(probe.frame);
  assert.equal(n.state(G), 'tentative');
  assert.equal(n.drops().DAD_DUPLICATE, 0);
  n.advanceTo(t + RETRANS_TIMER);
  assert.equal(n.state(G), 'preferred');
});

test('RFC 7527 §4.2 with two probes, the first looped back after the second was sent is still ours', () => {
  const n = settled({ iface: { dadTransmits: 2 } });
  const t = n.now;
  n.stack.addAddress('eth0', `${G}/64`);
  const first = n.sim.wire.filter((f) => f.at === t && decodePacket(f.frame).icmpType === ICMP_NS).at(-1)!;
  n.advanceTo(t + RETRANS_TIMER);
  assert.equal(n.probes(GA).length, 2);
  n.deliver(first.frame);
  assert.equal(n.state(G), 'tentative', 'a looped-back probe of ours is no duplicate');
  n.advanceTo(t + 2 * RETRANS_TIMER);
  assert.equal(n.state(G), 'preferred');
});

test('RFC 4862 §5.4.4 an NA for our tentative address: dadfailed, DAD_DUPLICATE', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  const e = n.events.length;
  n.na(G, { o: true });
  assert.equal(n.state(G), 'dadfailed');
  assert.equal(n.drops().DAD_DUPLICATE, 1);
  assert.deepEqual(n.eventsOf('AddressStateChanged', e).map((x) => x.state), ['dadfailed']);
});

test('RFC 4862 §5.4.4 an NA for a preferred address: AddressConflict, the address is kept', () => {
  const n = settled();
  n.stack.addAddress('eth0', `${G}/64`);
  n.advance(RETRANS_TIMER);
  const e = n.events.length;
  n.na(G, { o: true });
  assert.equal(n.state(G), 'preferred');
  assert.deepEqual(n.eventsOf('AddressConflict', e).map((x) => [x.at, x.address]), [[n.now, G]]);
  assert.equal(n.eventsOf('AddressStateChanged', e).length, 0);
  assert.equal(n.mib().AddressConflicts, 1);
  assert.equal(n.drops().DAD_DUPLICATE, 0);
});

test('RFC 4862 §5.4.5 a duplicate of the modified EUI-64 link-local address (iid eui64) disables the interface: InterfaceDisabled, nothing more sent or received', () => {
  const n = new Node({ iface: { acceptRa: true, addresses: [`${G}/64`] } });
  const probeAt = n.stack.addrconf.nextDeadline();
  n.advanceTo(probeAt);
  const e = n.events.length;
  n.ns(LL, { nonce: Uint8Array.of(6, 5, 4, 3, 2, 1) });
  const m = n.mark;
  assert.equal(n.state(LL), 'dadfailed');
  assert.deepEqual(n.eventsOf('InterfaceDisabled', e).map((x) => [x.at, x.interface]), [[n.now, 'eth0']]);
  assert.equal(showAddr(n.stack)[0].operstate, 'DOWN');
  n.advance(60_000); // RS, MLD retransmissions, the static address's DAD would all be due
  assert.deepEqual(n.sent(m).map((p) => [p.at, p.dstText, p.icmpType]), [], 'nothing sent after');
  const down = n.drops().IFACE_DOWN;
  n.echo(G, PEER.ll, PEER.mac);
  n.ns(G, { src: PEER.ll });
  assert.equal(n.drops().IFACE_DOWN, down + 2, 'nothing received');
  assert.equal(n.sent(m).length, 0);
});

test('RFC 4862 §5.4.5 a duplicate stable-privacy link-local address does not disable the interface', () => {
  const n = new Node({ iface: { iid: 'stable' } });
  const a0 = stableAddr('fe80::', 0);
  assert.deepEqual(n.addresses(), [formatIp6(a0)]);
  n.advanceTo(n.stack.addrconf.nextDeadline());
  n.ns(a0);
  assert.equal(n.state(a0), 'dadfailed');
  assert.equal(n.eventsOf('InterfaceDisabled').length, 0);
  assert.equal(showAddr(n.stack)[0].operstate, 'UP');
});

test(`RFC 7217 §6 a duplicate stable-privacy address is regenerated with the next DAD_Counter, at most IDGEN_RETRIES (${STABLE_IDGEN_RETRIES}) times`, () => {
  const n = new Node({ iface: { iid: 'stable' } });
  const tried: string[] = [];
  for (let k = 0; k <= STABLE_IDGEN_RETRIES; k++) {
    const want = stableAddr('fe80::', k);
    const tentative = n.iface.addresses.filter((a) => a.state === 'tentative');
    assert.deepEqual(tentative.map((a) => formatIp6(a.addr)), [formatIp6(want)], `attempt ${k}: DAD_Counter ${k}`);
    assert.equal(tentative[0].stable?.dadCounter, k);
    untilProbe(n, want, 0);
    expectDadProbe(n.probes(want)[0], want);
    n.ns(want);
    assert.equal(n.state(want), 'dadfailed');
    tried.push(formatIp6(want));
  }
  assert.equal(new Set(tried).size, STABLE_IDGEN_RETRIES + 1, 'four different addresses');
  const m = n.mark;
  n.advance(10_000);
  assert.equal(n.iface.addresses.length, STABLE_IDGEN_RETRIES + 1, 'no fifth attempt');
  assert.ok(n.iface.addresses.every((a) => a.state === 'dadfailed'));
  assert.equal(n.sentType(ICMP_NS, m).length, 0, 'nothing probed after the last failure');
});

test('RFC 7217 §6 the next attempt after a DAD failure waits a random delay in [0, IDGEN_DELAY]', () => {
  const n = new Node({ iface: { iid: 'stable' } });
  const a0 = stableAddr('fe80::', 0);
  const a1 = stableAddr('fe80::', 1);
  n.advanceTo(n.stack.addrconf.nextDeadline());
  const t = n.now;
  n.ns(a0);
  assert.equal(n.probes(a1).length, 0, 'no probe in the instant of the conflict');
  const at = untilProbe(n, a1, 0);
  assert.ok(at > t && at <= t + 1000, `retry after ${at - t} ms`);
});

// --- two stacks on one link ------------------------------------------------------------

test('RFC 4862 §5.4 two nodes, one static address: the second one\'s DAD fails against the first one\'s NA, the first keeps it', () => {
  const sim = new Sim(3);
  const a = new Node({ sim, iface: { name: 'a0', mac: '02:00:00:00:00:a0' } });
  const b = new Node({ sim, iface: { name: 'b0', mac: '02:00:00:00:00:b0' } });
  a.advance(2000);
  a.stack.addAddress('a0', `${G}/64`);
  a.advance(RETRANS_TIMER);
  assert.equal(a.state(G), 'preferred');
  const m = a.mark;
  const ea = a.events.length;
  const t = a.now;
  b.stack.addAddress('b0', `${G}/64`);
  a.advance(0); // the wire delivers B's probe to A, and A's answer to B
  expectDadProbe(b.probes(GA, m)[0], GA);
  const na = a.sentType(ICMP_NA, m);
  assert.equal(na.length, 1, 'A defends its address');
  assert.equal(na[0].dstText, 'ff02::1');
  assert.equal(na[0].msg[4] & 0xe0, 0x20, 'S=0 O=1');
  assert.equal(b.state(G), 'dadfailed');
  assert.deepEqual(b.eventsOf('AddressStateChanged').filter((x) => x.address === G).map((x) => [x.at, x.state]), [[t, 'dadfailed']]);
  a.advance(5 * RETRANS_TIMER);
  assert.equal(a.state(G), 'preferred');
  assert.equal(a.events.slice(ea).length, 0, 'A saw no conflict and no change');
  assert.equal(b.state(G), 'dadfailed');
  assert.equal(b.probes(GA, m).length, 1);
});

test('RFC 4862 §5.4.3 two nodes probing the same address in the same instant both fail', () => {
  const sim = new Sim(4);
  const a = new Node({ sim, iface: { name: 'a0', mac: '02:00:00:00:00:a0' } });
  const b = new Node({ sim, iface: { name: 'b0', mac: '02:00:00:00:00:b0' } });
  a.advance(2000);
  a.stack.addAddress('a0', `${G}/64`);
  b.stack.addAddress('b0', `${G}/64`);
  a.advance(0);
  assert.equal(a.state(G), 'dadfailed');
  assert.equal(b.state(G), 'dadfailed');
  assert.equal(a.drops().DAD_DUPLICATE, 1);
  assert.equal(b.drops().DAD_DUPLICATE, 1);
  assert.equal(a.sentType(ICMP_NA).length + b.sentType(ICMP_NA).length, 0, 'neither defends a tentative address');
  assert.equal(groupMac(solicitedNode(GA)), '33:33:ff:00:00:01');
});
