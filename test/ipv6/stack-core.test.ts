// The IPv6 core on two stacks in virtual time: fragmentation on send and
// reassembly on receipt (RFC 8200 §4.5), Packet Too Big lowering the path MTU
// (RFC 8201), and the ICMPv6 errors the stack owes (RFC 4443) with their rate
// limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { decode, ethFrame, ipv6Packet } from '../support/frames.js';
import { formatIp6, parseIp6 } from '../../src/wire/address.js';
import { emitIcmp6Error } from '../../src/wire/icmp6err.js';

const MAC_A = Uint8Array.from([2, 0, 0, 0, 0, 0x0a]);
const MAC_B = Uint8Array.from([2, 0, 0, 0, 0, 0x0b]);

function pair() {
  const sim = new Sim(17);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'], acceptRa: false });
  const b = sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['2001:db8::b/64'], acceptRa: false });
  return { sim, link, a, b };
}

/** IPv6 packets (after the Ethernet header) put on the wire by `from` since index `mark`. */
function packets(sim: Sim, from: string, mark = 0) {
  return sim.framesSince(mark).filter((f) => f.from === from).map((f) => ({ at: f.at, bytes: f.frame.subarray(14), d: decode(f.frame) }));
}

test('a 4000-byte ping is fragmented on the way out and reassembled on both ends (RFC 8200 §4.5)', async () => {
  const { sim, a, b } = pair();
  const p = a.ping('2001:db8::b', { count: 1, size: 4000 });
  sim.advance(10);
  const frags = packets(sim, 'a0').filter((x) => x.d.nextHeader === 44);
  assert.equal(frags.length, 3, 'ceil(4048 / 1448) fragments of a 1500-byte link');
  for (const f of frags) assert.ok(f.bytes.length <= 1500, `fragment of ${f.bytes.length} bytes`);
  const ids = new Set(frags.map((f) => new DataView(f.bytes.buffer, f.bytes.byteOffset + 44, 4).getUint32(0)));
  assert.equal(ids.size, 1, 'one Identification for the datagram');
  assert.equal(b.counters().mib.Ip6ReasmOKs, 1);
  assert.equal(packets(sim, 'b0').filter((x) => x.d.nextHeader === 44).length, 3, 'the reply is fragmented too');
  assert.equal(a.counters().mib.Ip6ReasmOKs, 1);
  assert.equal(a.counters().mib.Ip6FragCreates, 3);
  const summary = await p.done;
  assert.equal(summary.received, 1);
  sim.close();
});

test('Packet Too Big lowers the path MTU for that destination; the next large packet is fragmented to it (RFC 8201 §4)', async () => {
  const { sim, link, a } = pair();
  await (async () => {
    const p = a.ping('2001:db8::b', { count: 1, size: 1300 });
    sim.advance(10);
    assert.equal((await p.done).received, 1);
  })();
  const mark = sim.wire.length;
  // A PTB from a router quoting one of A's packets to B.
  const quoted = ipv6Packet({ src: '2001:db8::a', dst: '2001:db8::b', upper: new Uint8Array(1300) });
  const ptb = emitIcmp6Error({ type: 2, code: 0, param: 1280, invoking: quoted });
  link.ports[0].deliver([ethFrame({ dstMac: MAC_A, srcMac: MAC_B, src: 'fe80::1', dst: '2001:db8::a', upper: ptb })]);
  assert.equal(a.pmtu.pmtu(parseIp6('2001:db8::b'), 1500), 1280);
  assert.equal(a.counters().mib.Icmp6InPktTooBigs, 1);
  const p = a.ping('2001:db8::b', { count: 1, size: 1300 });
  sim.advance(10);
  const frags = packets(sim, 'a0', mark).filter((x) => x.d.nextHeader === 44);
  assert.equal(frags.length, 2);
  for (const f of frags) assert.ok(f.bytes.length <= 1280, `${f.bytes.length} ≤ 1280`);
  assert.equal((await p.done).received, 1);
  // RFC 8201 §4: the estimate ages back up after 10 minutes.
  sim.advance(600_000);
  assert.equal(a.pmtu.pmtu(parseIp6('2001:db8::b'), 1500), 1500);
  sim.close();
});

test('an unknown Next Header gets Parameter Problem code 1 pointing at it (RFC 8200 §4, RFC 4443 §3.4)', () => {
  const { sim, link, b } = pair();
  const mark = sim.wire.length;
  link.ports[1].deliver([ethFrame({ dstMac: MAC_B, srcMac: MAC_A, src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 253, upper: new Uint8Array(16), checksum: false })]);
  sim.settle();
  const pp = packets(sim, 'b0', mark).filter((x) => x.d.icmpType === 4);
  assert.equal(pp.length, 1);
  assert.equal(pp[0].d.icmpCode, 1);
  assert.equal(new DataView(pp[0].d.upper.buffer, pp[0].d.upper.byteOffset + 4, 4).getUint32(0), 6, 'pointer: the IPv6 Next Header field');
  assert.equal(formatIp6(pp[0].d.dst), '2001:db8::a');
  assert.equal(formatIp6(pp[0].d.src), '2001:db8::b', 'from the address the packet was sent to (RFC 4443 §2.2)');
  assert.ok(pp[0].d.checksumOk);
  assert.equal(b.counters().mib.Icmp6OutParmProblems, 1);
  sim.close();
});

test('no error about a packet to a multicast group, except the two exceptions (RFC 4443 §2.4 e.3)', () => {
  const { sim, link, b } = pair();
  const mark = sim.wire.length;
  link.ports[1].deliver([
    ethFrame({ srcMac: MAC_A, src: '2001:db8::a', dst: 'ff02::1', nextHeader: 253, upper: new Uint8Array(16), checksum: false }),
  ]);
  sim.settle();
  assert.equal(packets(sim, 'b0', mark).filter((x) => x.d.icmpType === 4).length, 0);
  assert.equal(b.counters().drops.ICMP6_ERROR_SUPPRESSED, 1);
  sim.close();
});

test('closed UDP ports answer Port Unreachable, at most 6 in a burst to one host then 1 per second (RFC 4443 §2.4 f, Linux defaults)', () => {
  const { sim, link, b } = pair();
  const udp = (port: number): Uint8Array => {
    const u = new Uint8Array(12);
    new DataView(u.buffer).setUint16(2, port);
    new DataView(u.buffer).setUint16(4, 12);
    return ethFrame({ dstMac: MAC_B, srcMac: MAC_A, src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 17, upper: u });
  };
  const mark = sim.wire.length;
  link.ports[1].deliver(Array.from({ length: 10 }, (_, i) => udp(5000 + i)));
  sim.settle();
  const unreach = () => packets(sim, 'b0', mark).filter((x) => x.d.icmpType === 1 && x.d.icmpCode === 4);
  assert.equal(unreach().length, 6);
  assert.equal(b.counters().drops.ICMP6_RATE_LIMITED, 4);
  sim.advance(1000);
  link.ports[1].deliver([udp(6000), udp(6001)]);
  sim.settle();
  assert.equal(unreach().length, 7, 'one more token a second later');
  sim.close();
});

test('a datagram left incomplete gets Time Exceeded code 1 at exactly 60 s when its first fragment came (RFC 8200 §4.5)', () => {
  const { sim, link, b } = pair();
  const frag = new Uint8Array(8 + 64);
  frag[0] = 58;
  frag[3] = 1; // offset 0, M = 1
  new DataView(frag.buffer).setUint32(4, 0xabcdef);
  frag[8] = 128; // the start of an echo request (an ICMPv6 error would get no error back, §2.4 e.1)
  link.ports[1].deliver([ethFrame({ dstMac: MAC_B, srcMac: MAC_A, src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 44, upper: frag, checksum: false })]);
  const mark = sim.wire.length;
  sim.advance(60_000 - 1);
  assert.equal(packets(sim, 'b0', mark).filter((x) => x.d.icmpType === 3).length, 0, '60 s − 1 ms: nothing');
  sim.advance(1);
  const te = packets(sim, 'b0', mark).filter((x) => x.d.icmpType === 3);
  assert.equal(te.length, 1);
  assert.equal(te[0].d.icmpCode, 1);
  assert.equal(b.counters().mib.Ip6ReasmTimeout, 1);
  sim.close();
});
