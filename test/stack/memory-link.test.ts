// Two stacks on a memory link in virtual time: address resolution (NS/NA) and
// echo, checked on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { decode } from '../support/frames.js';
import { formatIp6, parseIp6, solicitedNode } from '../../src/wire/address.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

function pair() {
  const sim = new Sim(7);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: MAC_A, addresses: ['2001:db8::a/64'] });
  const b = sim.stack({ link, name: 'b0', mac: MAC_B, addresses: ['2001:db8::b/64'] });
  return { sim, link, a, b };
}

test('ping resolves the neighbor with NS/NA, then echoes; entries become REACHABLE and STALE', async () => {
  const { sim, a, b } = pair();
  const p = a.ping('2001:db8::b', { count: 3, interval: 1 });
  const replies: number[] = [];
  p.on('reply', (r) => replies.push(r.seq));
  // First frame on the wire: a multicast NS for 2001:db8::b (RFC 4861 §7.2.2).
  // (MLD reports for the solicited-node groups go first: RFC 3810 §6.1.)
  const ns = sim.wire.map((f) => decode(f.frame)).find((d) => d.nextHeader === 58 && d.icmpType === 135)!;
  assert.equal(ns.icmpType, 135);
  assert.equal(ns.hopLimit, 255);
  assert.equal(formatIp6(ns.dst), formatIp6(solicitedNode(parseIp6('2001:db8::b'))));
  assert.equal(ns.dstMac, '33:33:ff:00:00:0b');
  assert.equal(formatIp6(ns.src), '2001:db8::a', 'source of the prompting packet (§7.2.2)');
  assert.deepEqual([...ns.upper.subarray(24, 32)], [1, 1, 2, 0, 0, 0, 0, 0x0a], 'SLLAO with our MAC');
  assert.ok(ns.checksumOk);
  sim.settle();
  // B answered with a solicited NA carrying its MAC; the queued echo then went out.
  const na = sim.wire.map((f) => decode(f.frame)).find((d) => d.icmpType === 136)!;
  assert.ok(na, 'an NA was sent');
  assert.equal(na.upper[4] & 0xe0, 0x60, 'S and O set, R clear');
  assert.equal(na.dstMac, '02:00:00:00:00:0a', 'unicast to the solicitor');
  assert.equal(formatIp6(na.dst), '2001:db8::a');
  assert.ok(na.checksumOk);
  assert.deepEqual(replies, [1]);
  assert.equal(a.neighbors.get(1, parseIp6('2001:db8::b'))?.state, 'REACHABLE');
  assert.equal(b.neighbors.get(1, parseIp6('2001:db8::a'))?.state, 'DELAY', 'B learned A from the SLLAO (STALE) and used it (DELAY)');
  sim.advance(2500);
  assert.deepEqual(replies, [1, 2, 3]);
  const s = await p.done;
  assert.equal(s.transmitted, 3);
  assert.equal(s.received, 3);
  assert.equal(s.loss, 0);
  // B's echo replies came from the WASM fast path.
  assert.equal(b.counters().mib.Icmp6OutEchoReplies, 3);
  assert.equal(b.counters().mib.Icmp6InEchos, 3);
  sim.close();
});

test('link-local ping with a zone', async () => {
  const { sim, a } = pair();
  const p = a.ping('fe80::ff:fe00:b%a0', { count: 1 });
  sim.advance(100);
  const s = await p.done;
  assert.equal(s.received, 1);
  sim.close();
});

test('an unknown zone is a clear error', () => {
  const { sim, a } = pair();
  assert.throws(() => a.ping('fe80::1%nope'), { code: 'ERR_UNKNOWN_ZONE' });
  sim.close();
});
