// The one validation path for received ND messages (RFC 4861 §6.1, §7.1):
// each rule drops with its own reason, counted exactly once, and the message
// has no effect (no entry, no answer, no router, no parameter). Each test
// also sends the same message made valid, so the rule — not something else —
// is what stopped it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Host, HOST, HOST_LL, ICMP_NA, ICMP_RS, concat, emitRouterAdvert, formatIp6, naMessage, nsMessage, parseIp6, peer, rsMessage, solicitedNode,
} from '../support/nd.js';

const N = '2001:db8::b';
const M1 = Uint8Array.from([2, 0, 0, 0, 0, 0x0b]);
const R = peer(0x101);
const UNSPEC = '::';

const totalDrops = (h: Host): number => Object.values(h.drops()).reduce((a, b) => a + b, 0);

/** Runs `send` and checks it caused exactly one drop, for `reason`, and no packet. */
function dropsOnce(h: Host, reason: string, send: () => void): void {
  const before = totalDrops(h);
  const had = h.drops()[reason];
  const mark = h.mark;
  const entries = h.stack.neighbors.size;
  send();
  assert.equal(h.drops()[reason] - had, 1, `${reason} counted once`);
  assert.equal(totalDrops(h) - before, 1, 'and nothing else dropped');
  assert.equal(h.sent(mark).length, 0, 'no answer');
  assert.equal(h.stack.neighbors.size, entries, 'no neighbor entry');
}

test('§6.1.1 a Router Solicitation on a host: silently discarded (ND_RS_ON_HOST), no entry for its source', () => {
  const h = new Host({ acceptRa: false });
  const s = peer(0x55);
  dropsOnce(h, 'ND_RS_ON_HOST', () => h.inject({ src: s.ll, dst: 'ff02::1', srcMac: s.mac, upper: rsMessage(s.mac) }));
  dropsOnce(h, 'ND_RS_ON_HOST', () => h.inject({ src: s.ll, dst: HOST_LL, srcMac: s.mac, upper: rsMessage(s.mac) }));
  assert.equal(h.entry(s.ll), undefined);
  assert.equal(h.mib().Icmp6InRouterSolicits, 2, 'received, then discarded');
  h.close();
});

test('§6.1.1 an RS from :: with an SLLA option: dropped (ND_UNSPECIFIED_WITH_SLLAO)', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_UNSPECIFIED_WITH_SLLAO', () => h.inject({ src: UNSPEC, dst: 'ff02::1', srcMac: M1, upper: rsMessage(M1) }));
  h.close();
});

test('§6.1.2 an RA from a global source: dropped (ND_RA_SOURCE_NOT_LINK_LOCAL), nothing learned, solicitation goes on', () => {
  const h = new Host();
  const ra = emitRouterAdvert({
    routerLifetime: 1800, curHopLimit: 9, reachableTime: 5_000, retransTimer: 300, mtu: 1400, sourceLinkAddr: R.mac,
    prefixes: [{ prefix: parseIp6('2001:db8:5::'), prefixLength: 64, onLink: true, autonomous: false, validLifetime: 600, preferredLifetime: 600 }],
    rdnss: [{ lifetime: 600, servers: [parseIp6('2001:db8::53')] }],
  });
  dropsOnce(h, 'ND_RA_SOURCE_NOT_LINK_LOCAL', () => h.inject({ src: '2001:db8::1', dst: 'ff02::1', srcMac: R.mac, upper: ra }));
  assert.equal(h.stack.routers.routers.size, 0);
  assert.equal(h.stack.routers.prefixes.size, 0);
  assert.equal(h.iface.hopLimit, 64);
  assert.equal(h.iface.mtu, 1500);
  assert.equal(h.stack.neighbors.paramsOf(1).retransTimer, 1_000);
  assert.equal(h.stack.neighbors.paramsOf(1).baseReachableTime, 30_000);
  assert.deepEqual(h.stack.dns().servers, []);
  h.advance(10_000);
  assert.equal(h.sentType(ICMP_RS).length, 3, 'not a valid RA: soliciting continues');
  // Control: the same RA from a link-local source is taken.
  h.inject({ src: R.ll, dst: 'ff02::1', srcMac: R.mac, upper: ra });
  assert.equal(h.stack.routers.routers.size, 1);
  assert.equal(h.iface.hopLimit, 9);
  h.close();
});

test('§6.1.2 an RA with IP Hop Limit ≠ 255 (ND_HOP_LIMIT), shorter than 16 octets (ICMP6_TRUNCATED), or with an option of length 0 (ND_OPTION_LENGTH): nothing learned', () => {
  const h = new Host({ acceptRa: true });
  const ra = emitRouterAdvert({ routerLifetime: 1800, curHopLimit: 9, sourceLinkAddr: R.mac });
  dropsOnce(h, 'ND_HOP_LIMIT', () => h.inject({ src: R.ll, dst: 'ff02::1', srcMac: R.mac, hopLimit: 254, upper: ra }));
  dropsOnce(h, 'ICMP6_TRUNCATED', () => h.inject({ src: R.ll, dst: 'ff02::1', srcMac: R.mac, upper: ra.slice(0, 15) }));
  dropsOnce(h, 'ND_OPTION_LENGTH', () => h.inject({ src: R.ll, dst: 'ff02::1', srcMac: R.mac, upper: concat(ra, Uint8Array.from([3, 0, 0, 0, 0, 0, 0, 0])) }));
  assert.equal(h.stack.routers.routers.size, 0);
  assert.equal(h.iface.hopLimit, 64);
  h.close();
});

test('§7.1.1 an NS whose target is multicast: dropped (ND_TARGET_MULTICAST), no entry for its source, no NA', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_TARGET_MULTICAST', () => h.ns(N, M1, parseIp6('ff02::1')));
  assert.equal(h.entry(N), undefined);
  // Control: for our address it is answered and the source is learned.
  const mark = h.mark;
  h.ns(N, M1);
  assert.equal(h.sentType(ICMP_NA, mark).length, 1);
  assert.equal(h.state(N), 'STALE');
  h.close();
});

test('§7.1.1 an NS from :: not to a solicited-node group: dropped (ND_DAD_NOT_SOLICITED_NODE), no NA', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_DAD_NOT_SOLICITED_NODE', () => h.ns(UNSPEC, undefined, HOST, HOST));
  dropsOnce(h, 'ND_DAD_NOT_SOLICITED_NODE', () => h.ns(UNSPEC, undefined, HOST, 'ff02::1'));
  // Control: to the solicited-node group it is a DAD probe and gets a multicast NA (§7.2.4).
  const mark = h.mark;
  h.ns(UNSPEC, undefined, HOST, solicitedNode(HOST));
  const na = h.sentType(ICMP_NA, mark);
  assert.equal(na.length, 1);
  assert.equal(formatIp6(na[0].dst), 'ff02::1');
  assert.equal(na[0].upper[4] & 0x40, 0, 'S clear');
  h.close();
});

test('§7.1.1 an NS from :: with an SLLA option: dropped (ND_UNSPECIFIED_WITH_SLLAO), no NA', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_UNSPECIFIED_WITH_SLLAO', () => h.inject({ src: UNSPEC, dst: solicitedNode(HOST), srcMac: M1, upper: nsMessage(HOST, M1) }));
  h.close();
});

test('§7.1.1 an NS with IP Hop Limit ≠ 255 (ND_HOP_LIMIT) or shorter than 24 octets (ICMP6_TRUNCATED): no entry, no NA', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_HOP_LIMIT', () => h.inject({ src: N, dst: HOST, srcMac: M1, hopLimit: 254, upper: nsMessage(HOST, M1) }));
  dropsOnce(h, 'ICMP6_TRUNCATED', () => h.inject({ src: N, dst: HOST, srcMac: M1, upper: nsMessage(HOST).slice(0, 23) }));
  assert.equal(h.entry(N), undefined);
  h.close();
});

test('§7.2.3 an NS for an address that is not ours: dropped (ND_TARGET_NOT_OURS), its SLLAO not recorded, no NA', () => {
  const h = new Host({ acceptRa: false });
  dropsOnce(h, 'ND_TARGET_NOT_OURS', () => h.ns(N, M1, parseIp6('2001:db8::99')));
  assert.equal(h.entry(N), undefined);
  h.close();
});

test('§7.1.2 a solicited NA to a multicast destination: dropped (ND_NA_SOLICITED_MULTICAST), the INCOMPLETE entry learns nothing', () => {
  const h = new Host({ acceptRa: false });
  h.stack.ping(N, { count: 1, timeout: 5 });
  assert.equal(h.state(N), 'INCOMPLETE');
  dropsOnce(h, 'ND_NA_SOLICITED_MULTICAST', () => h.inject({ src: N, dst: 'ff02::1', srcMac: M1, upper: naMessage(parseIp6(N), { s: true, o: true }, M1) }));
  assert.equal(h.state(N), 'INCOMPLETE');
  assert.equal(h.entry(N)!.mac, undefined);
  // Control: unsolicited to all-nodes, it is accepted.
  h.inject({ src: N, dst: 'ff02::1', srcMac: M1, upper: naMessage(parseIp6(N), { s: false, o: true }, M1) });
  assert.notEqual(h.state(N), 'INCOMPLETE');
  h.close();
});

test('§7.1.2 an NA whose target is multicast (ND_TARGET_MULTICAST), with Hop Limit ≠ 255 (ND_HOP_LIMIT) or Code ≠ 0 (ND_CODE): the entry learns nothing', () => {
  const h = new Host({ acceptRa: false });
  h.stack.ping(N, { count: 1, timeout: 5 });
  const na = naMessage(parseIp6(N), { s: true, o: true }, M1);
  const mcastTarget = naMessage(parseIp6('ff02::1'), { s: true, o: true }, M1);
  const code1 = na.slice();
  code1[1] = 1;
  dropsOnce(h, 'ND_TARGET_MULTICAST', () => h.inject({ src: N, dst: HOST, srcMac: M1, upper: mcastTarget }));
  dropsOnce(h, 'ND_HOP_LIMIT', () => h.inject({ src: N, dst: HOST, srcMac: M1, hopLimit: 1, upper: na }));
  dropsOnce(h, 'ND_CODE', () => h.inject({ src: N, dst: HOST, srcMac: M1, upper: code1 }));
  assert.equal(h.state(N), 'INCOMPLETE');
  h.inject({ src: N, dst: HOST, srcMac: M1, upper: na });
  assert.equal(h.state(N), 'REACHABLE', 'control: the valid NA resolves it');
  h.close();
});

test('§4.6 unknown ND options are skipped, not a reason to drop (RFC 4861 §4.6, §7.1)', () => {
  const h = new Host({ acceptRa: false });
  const unknown = Uint8Array.from([200, 1, 0, 0, 0, 0, 0, 0]);
  const before = totalDrops(h);
  h.inject({ src: N, dst: HOST, srcMac: M1, upper: concat(nsMessage(HOST, M1), unknown) });
  assert.equal(totalDrops(h), before);
  assert.equal(h.state(N), 'STALE');
  h.close();
});
