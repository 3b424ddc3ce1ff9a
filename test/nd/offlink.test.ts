// Off-link traffic through a learned default router (RFC 4861 §5.2, §6.3.6):
// the WASM fast path answers an echo from an off-link source straight to the
// router's MAC, and our own packets to off-link destinations go there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, HOST_LL, HOST_MAC, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_NS, formatIp6, formatMac, naMessage, peer, rioOption, solicitedNode } from '../support/nd.js';
import { echoRequest } from '../support/frames.js';

const R = peer(0x101);
const FAR = '2001:db8:ffff::1';

/** A host whose default router R is REACHABLE (SLLAO in its RA, then a solicited NA). */
function withRouter(extra?: Uint8Array): Host {
  const h = new Host();
  h.ra(R, { routerLifetime: 1800, sourceLinkAddr: R.mac }, extra);
  h.inject({ src: R.ll, dst: HOST_LL, srcMac: R.mac, upper: naMessage(R.ll, { r: true, s: true, o: true }, R.mac) });
  assert.equal(h.state(R.ll), 'REACHABLE');
  assert.equal(formatIp6(h.iface.defaultRouter!), formatIp6(R.ll));
  return h;
}

/** An echo request from an off-link host, arriving through R. */
function farEcho(h: Host, seq = 1): void {
  h.inject({ src: FAR, dst: '2001:db8::a', srcMac: R.mac, hopLimit: 60, upper: echoRequest(0x4242, seq) });
}

test('an echo request from an off-link source is answered by the fast path straight to the default router\'s MAC (RFC 4861 §5.2, RFC 4443 §4.2)', () => {
  const h = withRouter();
  const before = h.mib().Icmp6OutEchoReplies;
  const mark = h.mark;
  // Watch the burst: the reply must be built by rxBurst itself (write list),
  // with no slot handed to the control plane (work list empty).
  const eng = h.stack.engine as { exports: typeof h.stack.engine.exports };
  const exports = eng.exports;
  let burst = -1;
  eng.exports = { ...exports, rxBurst: (i: number, n: number, now: number) => (burst = exports.rxBurst(i, n, now)) };
  farEcho(h);
  eng.exports = exports;
  assert.equal(burst >>> 16, 0, 'no work for the control plane');
  assert.equal(burst & 0xffff, 1, 'one frame in the write list');
  const out = h.sent(mark).filter((d) => d.icmpType !== 133);
  assert.equal(out.length, 1, 'the reply and nothing else (no NS: the router is REACHABLE)');
  const r = out[0];
  assert.equal(r.icmpType, ICMP_ECHO_REPLY);
  assert.equal(formatIp6(r.dst), FAR);
  assert.equal(formatIp6(r.src), '2001:db8::a');
  assert.equal(r.dstMac, formatMac(R.mac), 'to the router');
  assert.equal(r.srcMac, formatMac(HOST_MAC));
  assert.equal(r.hopLimit, 64);
  assert.ok(r.checksumOk);
  assert.equal(h.mib().Icmp6OutEchoReplies, before + 1);
  assert.equal(h.stack.neighbors.size, 1, 'no neighbor entry for the off-link source');
  h.close();
});

test('our ping to an off-link address goes to the default router\'s MAC (RFC 4861 §5.2)', () => {
  const h = withRouter();
  const mark = h.mark;
  h.stack.ping(FAR, { count: 2, interval: 1, timeout: 1 });
  h.advance(1_000);
  const echo = h.sentType(ICMP_ECHO_REQUEST, mark);
  assert.equal(echo.length, 2);
  for (const e of echo) {
    assert.equal(formatIp6(e.dst), FAR);
    assert.equal(formatIp6(e.src), '2001:db8::a');
    assert.equal(e.dstMac, formatMac(R.mac));
  }
  assert.equal(h.sentType(ICMP_NS, mark).length, 0);
  h.close();
});

test('off-link traffic through a STALE router starts NUD on the router (RFC 4861 §7.3.3)', () => {
  const h = new Host();
  h.ra(R, { routerLifetime: 1800, sourceLinkAddr: R.mac });
  assert.equal(h.state(R.ll), 'STALE');
  const mark = h.mark;
  farEcho(h);
  const reply = h.sentType(ICMP_ECHO_REPLY, mark);
  assert.equal(reply.length, 1);
  assert.equal(reply[0].dstMac, formatMac(R.mac));
  assert.equal(h.state(R.ll), 'DELAY');
  h.close();
});

test('off-link traffic with an unresolved router: the router is resolved first, then the reply goes to it (RFC 4861 §7.2.2)', () => {
  const h = new Host();
  h.ra(R, { routerLifetime: 1800 }); // no SLLAO
  const mark = h.mark;
  farEcho(h);
  const ns = h.sentType(ICMP_NS, mark);
  assert.equal(ns.length, 1);
  assert.equal(formatIp6(ns[0].dst), formatIp6(solicitedNode(R.ll)));
  assert.equal(h.sentType(ICMP_ECHO_REPLY, mark).length, 0);
  h.inject({ src: R.ll, dst: HOST_LL, srcMac: R.mac, upper: naMessage(R.ll, { r: true, s: true, o: true }, R.mac) });
  const reply = h.sentType(ICMP_ECHO_REPLY, mark);
  assert.equal(reply.length, 1);
  assert.equal(reply[0].dstMac, formatMac(R.mac));
  assert.equal(formatIp6(reply[0].dst), FAR);
  h.close();
});

test('no router: an echo from an off-link source is not answered and counted as no route (RFC 4861 §5.2)', () => {
  const h = new Host({ acceptRa: false });
  const mark = h.mark;
  farEcho(h);
  assert.equal(h.sent(mark).length, 0);
  assert.equal(h.drops().TX_NO_ROUTE, 1);
  assert.equal(h.mib().Ip6OutNoRoutes, 1);
  h.close();
});

test(
  'an echo reply the fast path hands to the control plane (next hop via a Route Information route) is counted once (RFC 4293 icmpMsgStatsOutPkts)',
  () => {
    const h = withRouter(rioOption('2001:db8:ff00::', 40, 2, 0, 600));
    const before = h.mib();
    const mark = h.mark;
    farEcho(h);
    const reply = h.sentType(ICMP_ECHO_REPLY, mark);
    assert.equal(reply.length, 1);
    assert.equal(reply[0].dstMac, formatMac(R.mac));
    const after = h.mib();
    assert.equal(after.Icmp6OutEchoReplies - before.Icmp6OutEchoReplies, 1);
    assert.equal(after.Icmp6OutMsgs - before.Icmp6OutMsgs, 1);
    h.close();
  },
);

test('the fast path uses the default router chosen by selection: after a switch, replies go to the new router (RFC 4861 §6.3.6, RFC 4191 §3.2)', () => {
  const h = withRouter();
  const r2 = peer(0x102);
  h.ra(r2, { routerLifetime: 1800, preference: 'high', sourceLinkAddr: r2.mac });
  assert.equal(formatIp6(h.iface.defaultRouter!), formatIp6(r2.ll));
  const mark = h.mark;
  farEcho(h, 2);
  const reply = h.sentType(ICMP_ECHO_REPLY, mark);
  assert.equal(reply.length, 1);
  assert.equal(reply[0].dstMac, formatMac(r2.mac));
  h.close();
});
