// Bad input against the whole IPv4 control plane (ARP, ICMPv4 errors, IGMP,
// fragments, UDP fan-out): mutated frames whose checksums are then repaired,
// so they get past the hot path's checks and reach TypeScript. The stack must
// never throw, must count what it drops, must stay within its memory bounds,
// and must still answer afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { seededRandom } from '../../src/time/clock.js';
import { refChecksum } from '../support/frames.js';
import { arpPacket, eth4, ethernet, icmp4, icmp4Echo, ipv4Packet, udp4 } from '../support/frames4.js';
import { MAX_BYTES_TOTAL } from '../../src/ipv4/reassembly.js';

const A_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:99';

/** Repairs the IPv4 header checksum and, when the packet is whole, the ICMP/UDP/IGMP one, so mutations reach the control plane. */
function repair(f: Uint8Array): void {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00) return;
  const ip = f.subarray(14);
  const hl = (ip[0] & 0x0f) * 4;
  if (hl < 20 || hl > ip.length) return;
  ip[10] = 0;
  ip[11] = 0;
  const c = refChecksum(ip.subarray(0, hl));
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const total = (ip[2] << 8) | ip[3];
  if (total > ip.length || total < hl || (((ip[6] << 8) | ip[7]) & 0x3fff) !== 0) return;
  const up = ip.subarray(hl, total);
  if ((ip[9] === 1 || ip[9] === 2) && up.length >= 4) {
    up[2] = 0;
    up[3] = 0;
    const u = refChecksum(up);
    up[2] = u >> 8;
    up[3] = u & 0xff;
  }
}

test('20,000 mutated IPv4/ARP/ICMP/IGMP/fragment frames with repaired checksums: no throw, bounded, still answering', async () => {
  const sim = new Sim(7);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: A_MAC, addresses: ['10.1.0.1/24'], acceptRa: false });
  const peer = link.port('peer');
  const rnd = seededRandom(99);
  const ri = (n: number): number => Math.floor(rnd() * n);
  // Sockets so UDP reaches delivery and fan-out too.
  const s4 = a.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const s6 = a.dgram.createSocket({ type: 'udp6' });
  let messages = 0;
  s4.on('message', () => messages++);
  s6.on('message', () => messages++);
  await new Promise<void>((r) => s4.bind(5000, () => r()));
  await new Promise<void>((r) => s6.bind(5001, () => r()));
  s4.addMembership('239.0.0.1');
  const quoted = ipv4Packet({ src: '10.1.0.1', dst: '10.1.0.7', proto: 17, upper: udp4('10.1.0.1', '10.1.0.7', 5000, 53, new Uint8Array(12)) });
  const seeds: Array<() => Uint8Array> = [
    () => ethernet('ff:ff:ff:ff:ff:ff', PEER_MAC, 0x0806, arpPacket({ op: 1, sha: PEER_MAC, spa: `10.1.0.${2 + ri(200)}`, tpa: '10.1.0.1' })),
    () => ethernet(A_MAC, PEER_MAC, 0x0806, arpPacket({ op: 2, sha: PEER_MAC, spa: `10.1.0.${2 + ri(200)}`, tpa: '10.1.0.1' })),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: `10.1.0.${2 + ri(200)}`, dst: '10.1.0.1', proto: 1, upper: icmp4Echo(8, ri(65536), ri(65536), new Uint8Array(ri(100))) }),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: '10.1.0.7', dst: '10.1.0.1', proto: 1, upper: icmp4(3, ri(16), Uint8Array.of(0, 0, 0, 0, ...quoted)) }),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: '10.1.0.7', dst: '10.1.0.1', proto: 1, upper: icmp4(11, ri(2), Uint8Array.of(0, 0, 0, 0, ...quoted.subarray(0, 28))) }),
    () => eth4({ dstMac: '01:00:5e:00:00:01', srcMac: PEER_MAC, src: '10.1.0.254', dst: '224.0.0.1', proto: 2, ttl: 1, options: Uint8Array.of(0x94, 4, 0, 0), upper: icmp4(0x11, 100, new Uint8Array(8)) }),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: `10.1.0.${2 + ri(3)}`, dst: '10.1.0.1', proto: 17, id: ri(8), frag: (ri(2) ? 0x2000 : 0) | ri(200), upper: new Uint8Array(8 * (1 + ri(60))) }),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: '10.1.0.9', dst: '10.1.0.1', proto: 17, upper: udp4('10.1.0.9', '10.1.0.1', 1234, [5000, 5001, 9][ri(3)], new Uint8Array(ri(64))) }),
    () => eth4({ dstMac: 'ff:ff:ff:ff:ff:ff', srcMac: PEER_MAC, src: '10.1.0.9', dst: ri(2) ? '255.255.255.255' : '10.1.0.255', proto: 17, upper: udp4('10.1.0.9', '255.255.255.255', 1234, 5000, new Uint8Array(4), { checksum: 'zero' }) }),
    () => eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: '10.1.0.9', dst: '10.1.0.1', proto: [6, 47, 50, 132][ri(4)], upper: new Uint8Array(20) }),
  ];
  let thrown = 0;
  for (let i = 0; i < 20_000; i++) {
    const f = seeds[ri(seeds.length)]().slice();
    const flips = ri(4);
    for (let k = 0; k < flips; k++) f[14 + ri(Math.max(1, f.length - 14))] = ri(256);
    if (rnd() < 0.8) repair(f);
    try {
      link.inject(peer, f);
      sim.settle();
      if (i % 500 === 0) sim.advance(1_000);
    } catch {
      thrown++;
    }
    await (i % 2000 === 0 ? new Promise((r) => setImmediate(r)) : undefined);
  }
  assert.equal(thrown, 0);
  // Bounded: reassembly within its budget, the ARP cache within its limit.
  assert.ok(a.v4.reassembler.counters.reqds > 0, 'fragments reached reassembly');
  assert.ok(a.v4.reassembler.counters.bytesHeld <= MAX_BYTES_TOTAL);
  assert.ok(a.v4.arp(a.interface('a0').ifindex)!.size <= 1024);
  const drops = a.counters().drops;
  for (const k of ['IP4_CHECKSUM', 'ARP_MALFORMED', 'ICMP4_CHECKSUM', 'UDP_NO_PORT']) assert.ok(drops[k] > 0, `${k} counted`);
  assert.ok(messages > 0);
  // Still answering: a clean echo request gets its reply.
  const before = sim.wire.length;
  link.inject(peer, eth4({ dstMac: A_MAC, srcMac: PEER_MAC, src: '10.1.0.9', dst: '10.1.0.1', proto: 1, upper: icmp4Echo(8, 77, 1) }));
  sim.settle();
  sim.advance(5_000);
  sim.settle();
  const reply = sim.wire.slice(before).find((w) => w.from === 'a0' && w.frame[12] === 8 && w.frame[13] === 0 && w.frame[14 + 9] === 1 && w.frame[34] === 0);
  assert.ok(reply, 'echo reply after the fuzz');
  s4.close();
  s6.close();
  sim.close();
});
