// IPv4, ICMPv4 and ARP in the hot path (asm/path/rx4.ts, echo4.ts, tx4.ts) with
// golden frames from test/support/frames4.ts, on both builds. Each drop test
// checks that exactly its DropReason counter moved; checksums of replies are
// checked with the independent RFC 1071 reference (test/support/frames.ts).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { parseIp6, parseMac } from '../../src/wire/address.js';
import { ethFrame, echoRequest, ipv6Packet, refSum, refChecksum } from '../support/frames.js';
import { arpPacket, eth4, ethernet, icmp4, icmp4Echo, ipv4Packet, mac, type Eth4Spec } from '../support/frames4.js';
import { BUILDS, Harness, deltas, mapped4, type BurstResult } from '../support/engine.js';

const { Verdict, DropReason, ControlKind, Counter, NeighState } = L;

const OUR_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02'; // source MAC of the frames
const TABLE_MAC = '02:00:00:00:00:22'; // the ARP table's MAC for PEER (differs on purpose)
const ROUTER_MAC = '02:00:00:00:00:fe';
const OURS = '10.0.0.1';
const PEER = '10.0.0.2';
const TTL = 55; // IFACE_TTL, distinct from the requests' 64
const BCAST = 'ff:ff:ff:ff:ff:ff';

function setup(simd: boolean, extra: { slowRoute?: boolean; echoMax?: number } = {}): Harness {
  const hp = new Harness(simd, [
    {
      ifindex: 1, mac: OUR_MAC, ttl: TTL, addresses: ['2001:db8::1/64'], ipv4: [`${OURS}/24`],
      router4: '10.0.0.254', groups4: ['239.1.2.3'], ...extra,
    },
    { ifindex: 2, ethernet: false, ttl: 33, ipv4: ['192.168.2.1/24'] },
  ]);
  hp.neighbor(1, mapped4(PEER), NeighState.REACHABLE, TABLE_MAC);
  hp.neighbor(1, mapped4('10.0.0.254'), NeighState.REACHABLE, ROUTER_MAC);
  return hp;
}

const DATA = Uint8Array.from({ length: 56 }, (_, i) => (i * 7 + 3) & 0xff);

/** A frame to our MAC (defaults: PEER → OURS, TTL 64, an echo request). */
function frame(s: Partial<Eth4Spec> = {}): Uint8Array {
  return eth4({ dstMac: OUR_MAC, srcMac: PEER_MAC, src: PEER, dst: OURS, upper: icmp4Echo(8, 0x1234, 0xbeef, DATA), ...s });
}

function expectDrop(hp: Harness, f: Uint8Array, reason: L.DropReason, ifindex = 1): BurstResult {
  const before = hp.dropCounts();
  const r = hp.rx([f], ifindex);
  assert.equal(Verdict[r.slots[0].verdict], 'DROP', 'verdict DROP');
  assert.equal(DropReason[r.slots[0].reason], DropReason[reason], 'drop reason');
  assert.deepEqual(deltas(before, hp.dropCounts()), { [reason]: 1 }, 'exactly its counter, once');
  assert.deepEqual(r.iov, []);
  assert.deepEqual(r.work, []);
  return r;
}

function expectKind(hp: Harness, f: Uint8Array, verdict: L.Verdict, kind: L.ControlKind, drops: Record<number, number> = {}, ifindex = 1): BurstResult {
  const before = hp.dropCounts();
  const r = hp.rx([f], ifindex);
  assert.equal(Verdict[r.slots[0].verdict], Verdict[verdict], `verdict (reason ${r.slots[0].reason})`);
  assert.equal(ControlKind[r.slots[0].reason], ControlKind[kind], 'kind');
  assert.deepEqual(r.work, [0]);
  assert.deepEqual(deltas(before, hp.dropCounts()), drops, 'drop counters');
  return r;
}

/** The reply the fast path must build for `frame()`-style requests, built independently. */
function expectedReply(s: { dstMac: string; src: string; dst: string; ttl: number; tos?: number; id?: number; data?: Uint8Array; id16?: number; seq?: number }): Uint8Array {
  const body = icmp4Echo(0, s.id16 ?? 0x1234, s.seq ?? 0xbeef, s.data ?? DATA);
  return ethernet(s.dstMac, OUR_MAC, 0x0800, ipv4Packet({ src: s.src, dst: s.dst, ttl: s.ttl, tos: s.tos, id: s.id, frag: 0, proto: 1, upper: body }));
}

for (const build of BUILDS) {
  describe(`IPv4 rxBurst, ${build.name} build`, () => {
    // --- ICMPv4 echo in place (RFC 792, RFC 1122 §3.2.2.6) --------------------------------
    test('an echo request is answered in place: exact reply bytes, checksums by RFC 1071', () => {
      const hp = setup(build.simd);
      const req = frame({ frag: 0x4000, tos: 0x10, id: 0x4242, upper: icmp4Echo(8, 0x1234, 0xbeef, DATA, 7) });
      const c0 = hp.counterValues();
      const r = hp.rx([req]);
      assert.deepEqual(r.slots[0], { verdict: Verdict.TX_READY, reason: 0, l3: 14, l4: 34, aux: req.length - 14 });
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: req.length }]);
      assert.deepEqual(r.work, []);
      const got = hp.readRx(0, req.length);
      // Addresses swapped, TTL = IFACE_TTL, DF cleared, TOS and ID kept; type 0, code 0.
      assert.deepEqual(got, expectedReply({ dstMac: TABLE_MAC, src: OURS, dst: PEER, ttl: TTL, tos: 0x10, id: 0x4242 }));
      assert.equal(refSum(got.subarray(14, 34)), 0xffff, 'IPv4 header checksum (RFC 1071)');
      assert.equal(refSum(got.subarray(34)), 0xffff, 'ICMP checksum (RFC 1071)');
      assert.deepEqual(deltas(c0, hp.counterValues()), {
        [Counter.IpInReceives]: 1, [Counter.IpInDelivers]: 1, [Counter.IcmpInMsgs]: 1, [Counter.IcmpInEchos]: 1,
        [Counter.IcmpOutMsgs]: 1, [Counter.IcmpOutEchoReps]: 1, [Counter.IpOutRequests]: 1,
      });
    });

    test('an all-zero echo gets checksum 0xffff, as computed from scratch (RFC 1624 §3 edge case)', () => {
      const hp = setup(build.simd);
      const r = hp.rx([frame({ upper: icmp4Echo(8, 0, 0, new Uint8Array(0)) })]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      const icmp = hp.readRx(0, r.iov[0].length).subarray(34);
      assert.deepEqual(Array.from(icmp), [0, 0, 0xff, 0xff, 0, 0, 0, 0]);
      assert.equal(refChecksum(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0])), 0xffff);
    });

    test('Ethernet padding after Total Length is accepted and not sent back', () => {
      const hp = setup(build.simd);
      const req = frame({ upper: icmp4Echo(8, 1, 2, new Uint8Array(4)), pad: 14 });
      const r = hp.rx([req]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: req.length - 14 }]);
      assert.deepEqual(hp.readRx(0, req.length - 14), expectedReply({ dstMac: TABLE_MAC, src: OURS, dst: PEER, ttl: TTL, id16: 1, seq: 2, data: new Uint8Array(4) }));
    });

    test('weak host (RFC 1122 §3.3.4.2): an address of another interface is ours too', () => {
      const hp = setup(build.simd);
      const r = hp.rx([frame({ dst: '192.168.2.1' })]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      assert.deepEqual(hp.readRx(0, r.iov[0].length), expectedReply({ dstMac: TABLE_MAC, src: '192.168.2.1', dst: PEER, ttl: TTL }));
    });

    test('an off-link source is answered through the default gateway (IFACE_ROUTER4)', () => {
      const hp = setup(build.simd);
      const r = hp.rx([frame({ src: '198.51.100.7' })]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      assert.deepEqual(hp.readRx(0, r.iov[0].length), expectedReply({ dstMac: ROUTER_MAC, src: OURS, dst: '198.51.100.7', ttl: TTL }));
    });

    test('unknown next hop → RESOLVE with the reply built; IFF_SLOW_ROUTE leaves off-link to TypeScript', () => {
      const hp = setup(build.simd);
      const c0 = hp.counterValues();
      const r = hp.rx([frame({ src: '10.0.0.3' })]);
      assert.deepEqual(r.slots[0], { verdict: Verdict.RESOLVE, reason: 0, l3: 14, l4: 34, aux: 20 + 8 + DATA.length });
      assert.deepEqual(r.work, [0]);
      assert.deepEqual(r.iov, []);
      const ip = hp.readRx(0, r.slots[0].aux + 14).subarray(14);
      assert.deepEqual(Array.from(ip.subarray(12, 20)), [10, 0, 0, 1, 10, 0, 0, 3]);
      assert.equal(ip[20], 0, 'type 0 already');
      const d = deltas(c0, hp.counterValues());
      assert.equal(d[Counter.IcmpOutEchoReps], undefined, 'counted when it leaves (txBuild)');
      const slow = setup(build.simd, { slowRoute: true });
      assert.equal(slow.rx([frame({ src: '198.51.100.7' })]).slots[0].verdict, Verdict.RESOLVE);
      assert.equal(slow.rx([frame()]).slots[0].verdict, Verdict.TX_READY, 'on-link still in place');
    });

    test('on a TUN interface the reply is the bare IPv4 packet (version nibble 4)', () => {
      const hp = setup(build.simd);
      const pkt = ipv4Packet({ src: '192.168.2.9', dst: '192.168.2.1', upper: icmp4Echo(8, 5, 6, DATA) });
      const r = hp.rx([pkt], 2);
      assert.deepEqual(r.slots[0], { verdict: Verdict.TX_READY, reason: 0, l3: 0, l4: 20, aux: pkt.length });
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: pkt.length }]);
      const want = ipv4Packet({ src: '192.168.2.1', dst: '192.168.2.9', ttl: 33, frag: 0, upper: icmp4Echo(0, 5, 6, DATA) });
      assert.deepEqual(hp.readRx(0, pkt.length), want);
      const bad = pkt.slice();
      bad[0] = 0x55;
      expectDrop(hp, bad, DropReason.IP6_VERSION, 2);
    });

    test('an echo request from 0.0.0.0 cannot be answered', () => {
      expectDrop(setup(build.simd), frame({ src: '0.0.0.0' }), DropReason.ECHO_UNSPEC_SOURCE);
    });

    test('echo to broadcast or multicast is ignored (RFC 1122 §3.2.2.6, Linux icmp_echo_ignore_broadcasts)', () => {
      const hp = setup(build.simd);
      for (const dst of ['255.255.255.255', '10.0.0.255', '224.0.0.1', '239.1.2.3']) {
        const c0 = hp.counterValues();
        expectDrop(hp, frame({ dstMac: BCAST, dst }), DropReason.ECHO4_BROADCAST_IGNORED);
        const d = deltas(c0, hp.counterValues());
        assert.equal(d[Counter.IcmpInEchos], 1);
        assert.equal((d[Counter.IpExtInBcastPkts] ?? 0) + (d[Counter.IpExtInMcastPkts] ?? 0), 1, dst);
      }
    });

    test('echo with IP options or above IFACE_ECHO_MAX goes to the control plane (ECHO4)', () => {
      const hp = setup(build.simd);
      const opts = Uint8Array.from([1, 1, 1, 0]); // NOP NOP NOP EOL
      const r = expectKind(hp, frame({ options: opts }), Verdict.CONTROL, ControlKind.ECHO4);
      assert.equal(r.slots[0].l4, 14 + 24, 'L4 after the options');
      const small = setup(build.simd, { echoMax: 60 });
      expectKind(small, frame(), Verdict.CONTROL, ControlKind.ECHO4);
      assert.equal(small.rx([frame({ upper: icmp4Echo(8, 1, 1, new Uint8Array(32)) })]).slots[0].verdict, Verdict.TX_READY, '60 bytes fit');
    });

    test('echo reply → DELIVER ECHO4_REPLY; errors 3/11/12 → CONTROL ICMP4_ERROR; others dropped', () => {
      const hp = setup(build.simd);
      const c0 = hp.counterValues();
      expectKind(hp, frame({ upper: icmp4Echo(0, 9, 9) }), Verdict.DELIVER, ControlKind.ECHO4_REPLY);
      assert.equal(deltas(c0, hp.counterValues())[Counter.IcmpInEchoReps], 1);
      for (const t of [3, 11, 12]) {
        const c1 = hp.counterValues();
        expectKind(hp, frame({ upper: icmp4(t, 1, new Uint8Array(32)) }), Verdict.CONTROL, ControlKind.ICMP4_ERROR);
        assert.equal(deltas(c1, hp.counterValues())[Counter.IcmpInDestUnreachs], t === 3 ? 1 : undefined);
      }
      expectDrop(hp, frame({ upper: icmp4(13, 0, new Uint8Array(16)) }), DropReason.ICMP4_UNHANDLED); // timestamp
      expectDrop(hp, frame({ upper: icmp4(42, 0) }), DropReason.ICMP4_UNHANDLED);
    });

    test('ICMP shorter than 8 bytes or with a bad checksum is dropped (RFC 792)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, frame({ upper: icmp4Echo(8, 1, 1).subarray(0, 7) }), DropReason.ICMP4_TRUNCATED);
      const bad = icmp4Echo(8, 1, 1, DATA);
      bad[20] ^= 1;
      const c0 = hp.counterValues();
      expectDrop(hp, frame({ upper: bad }), DropReason.ICMP4_CHECKSUM);
      const d = deltas(c0, hp.counterValues());
      assert.equal(d[Counter.IcmpInCsumErrors], 1);
      assert.equal(d[Counter.IcmpInErrors], 1);
    });

    // --- IPv4 header validation (RFC 791, RFC 1122 §3.2.1) ----------------------------------
    test('truncated headers and lengths → IP4_TRUNCATED (RFC 791 §3.1)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, frame().subarray(0, 14 + 19), DropReason.IP4_TRUNCATED);
      expectDrop(hp, frame({ vihl: 0x4f, upper: new Uint8Array(8) }), DropReason.IP4_TRUNCATED); // IHL 15: 60 bytes, beyond the 28-byte packet
      expectDrop(hp, frame({ totalLength: 19 }), DropReason.IP4_TRUNCATED);
      const f = frame();
      expectDrop(hp, frame({ totalLength: f.length - 14 + 1 }), DropReason.IP4_TRUNCATED);
      const c0 = hp.counterValues();
      expectDrop(hp, frame().subarray(0, 20), DropReason.IP4_TRUNCATED);
      assert.equal(deltas(c0, hp.counterValues())[Counter.IpInTruncatedPkts], 1);
    });

    test('version ≠ 4 or IHL < 5 → IP4_HEADER (RFC 1122 §3.2.1.1)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, frame({ vihl: 0x65 }), DropReason.IP4_HEADER);
      expectDrop(hp, frame({ vihl: 0x44 }), DropReason.IP4_HEADER);
    });

    test('a bad header checksum → IP4_CHECKSUM (RFC 1122 §3.2.1.2)', () => {
      const hp = setup(build.simd);
      const f = frame();
      f[14 + 10] ^= 0x40;
      const c0 = hp.counterValues();
      expectDrop(hp, f, DropReason.IP4_CHECKSUM);
      assert.equal(deltas(c0, hp.counterValues())[Counter.IpInHdrErrors], 1);
      expectDrop(hp, frame({ checksum: false }), DropReason.IP4_CHECKSUM);
    });

    test('martians → IP4_SRC_INVALID (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7)', () => {
      const hp = setup(build.simd);
      for (const src of ['224.0.0.5', '255.255.255.255', '127.0.0.1']) expectDrop(hp, frame({ src }), DropReason.IP4_SRC_INVALID);
      expectDrop(hp, frame({ dst: '127.0.0.1' }), DropReason.IP4_SRC_INVALID);
    });

    test('destinations: not ours, group not joined, another interface’s broadcast', () => {
      const hp = setup(build.simd);
      expectDrop(hp, frame({ dst: '10.0.0.9' }), DropReason.IP4_NOT_OURS);
      expectDrop(hp, frame({ dstMac: '01:00:5e:09:09:09', dst: '239.9.9.9' }), DropReason.IP4_GROUP_NOT_JOINED);
      expectDrop(hp, frame({ dstMac: BCAST, dst: '192.168.2.255' }), DropReason.IP4_NOT_OURS); // ifindex 2's broadcast, on 1
      // 239.1.2.3 is joined on ifindex 1 only (RFC 1112 §6.2: per interface).
      expectDrop(hp, ipv4Packet({ src: '192.168.2.9', dst: '239.1.2.3', upper: icmp4Echo(8, 1, 1) }), DropReason.IP4_GROUP_NOT_JOINED, 2);
    });

    test('fragments → CONTROL FRAGMENT4 (TypeScript reassembles); DF alone is not a fragment', () => {
      const hp = setup(build.simd);
      let r = expectKind(hp, frame({ frag: 0x2000 }), Verdict.CONTROL, ControlKind.FRAGMENT4);
      assert.deepEqual(r.slots[0], { verdict: Verdict.CONTROL, reason: ControlKind.FRAGMENT4, l3: 14, l4: 34, aux: 20 + 64 });
      r = expectKind(hp, frame({ frag: 0x0010 }), Verdict.CONTROL, ControlKind.FRAGMENT4);
      assert.equal(hp.rx([frame({ frag: 0x4000 })]).slots[0].verdict, Verdict.TX_READY);
      assert.equal(hp.rx([frame({ frag: 0x8000 })]).slots[0].verdict, Verdict.TX_READY, 'reserved bit ignored');
    });

    test('IGMP → CONTROL IGMP; an unknown protocol → CONTROL PROTO4_UNREACHABLE, counted dropped', () => {
      const hp = setup(build.simd);
      expectKind(hp, frame({ dstMac: '01:00:5e:00:00:01', dst: '224.0.0.1', proto: 2, ttl: 1, upper: new Uint8Array(8) }), Verdict.CONTROL, ControlKind.IGMP);
      const c0 = hp.counterValues();
      expectKind(hp, frame({ proto: 6, upper: new Uint8Array(20) }), Verdict.CONTROL, ControlKind.PROTO4_UNREACHABLE, { [DropReason.IP4_PROTO_UNSUPPORTED]: 1 });
      assert.equal(deltas(c0, hp.counterValues())[Counter.IpInUnknownProtos], 1);
    });

    // --- ARP (RFC 826) ---------------------------------------------------------------------
    test('a well-formed ARP request or reply → CONTROL ARP (L3 = L4 = 14, AUX = 28)', () => {
      const hp = setup(build.simd);
      const req = ethernet(BCAST, PEER_MAC, 0x0806, arpPacket({ op: 1, sha: PEER_MAC, spa: PEER, tpa: OURS }), 18); // padded to 60
      const r = expectKind(hp, req, Verdict.CONTROL, ControlKind.ARP);
      assert.deepEqual(r.slots[0], { verdict: Verdict.CONTROL, reason: ControlKind.ARP, l3: 14, l4: 14, aux: 28 });
      expectKind(hp, ethernet(OUR_MAC, PEER_MAC, 0x0806, arpPacket({ op: 2, sha: PEER_MAC, spa: PEER, tha: OUR_MAC, tpa: OURS })), Verdict.CONTROL, ControlKind.ARP);
    });

    test('malformed ARP → ARP_MALFORMED', () => {
      const hp = setup(build.simd);
      const base = { op: 1, sha: PEER_MAC, spa: PEER, tpa: OURS };
      const arp = (s: Partial<Parameters<typeof arpPacket>[0]>): Uint8Array => ethernet(BCAST, PEER_MAC, 0x0806, arpPacket({ ...base, ...s }));
      expectDrop(hp, arp({}).subarray(0, 14 + 27), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ htype: 6 }), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ ptype: 0x86dd }), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ hlen: 8 }), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ plen: 16 }), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ op: 3 }), DropReason.ARP_MALFORMED);
      expectDrop(hp, arp({ op: 0 }), DropReason.ARP_MALFORMED);
    });

    // --- IPv6 with IPv4-mapped addresses (RFC 4291 §2.5.5.2) ---------------------------------
    test('an IPv6 packet with a mapped source or destination → IP6_MAPPED', () => {
      const hp = setup(build.simd);
      const v6 = (src: string, dst: string): Uint8Array =>
        ethFrame({ dstMac: parseMac(OUR_MAC), srcMac: parseMac(PEER_MAC), src, dst, upper: echoRequest(1, 1) });
      expectDrop(hp, v6('::ffff:10.0.0.2', '2001:db8::1'), DropReason.IP6_MAPPED);
      expectDrop(hp, v6('2001:db8::2', '::ffff:10.0.0.1'), DropReason.IP6_MAPPED);
      const tun = ipv6Packet({ src: '::ffff:192.168.2.9', dst: '2001:db8::1', upper: echoRequest(1, 1) });
      expectDrop(hp, tun, DropReason.IP6_MAPPED, 2);
    });
  });

  describe(`IPv4 and ARP txBuild, ${build.name} build`, () => {
    /** Writes one TX slot: `payload` at TX_HEADROOM; returns the engine's answer for it. */
    function tx(hp: Harness, payload: Uint8Array, o: { ifindex?: number; flags: number; mac?: string; len?: number }): { status: number; frame?: Uint8Array } {
      const { u8, dv } = hp.engine;
      const d = hp.engine.txDesc(0);
      u8.fill(0, d, d + L.DESC_STRIDE);
      dv.setUint32(d + L.TXD_LEN, o.len ?? payload.length, true);
      u8[d + L.TXD_IFINDEX] = o.ifindex ?? 1;
      u8[d + L.TXD_FLAGS] = o.flags;
      if (o.mac) u8.set(mac(o.mac), d + L.TXD_MAC);
      u8.set(payload, hp.engine.txSlot(0) + L.TX_HEADROOM);
      const n = hp.engine.exports.txBuild(1, 0, 0);
      const status = dv.getUint16(d + L.TXD_STATUS, true);
      if (n === 0) return { status };
      const [e] = hp.iov(1);
      return { status, frame: u8.slice(e.offset, e.offset + e.length) };
    }

    const V4 = L.TXF_IPV4;
    const udpPayload = Uint8Array.from([1, 2, 3, 4, 5]);
    function udpPkt(dst: string, csum = 0x1111): Uint8Array {
      const d = new Uint8Array(13);
      const v = new DataView(d.buffer);
      v.setUint16(0, 40000);
      v.setUint16(2, 53);
      v.setUint16(4, 13);
      v.setUint16(6, csum);
      d.set(udpPayload, 8);
      const p = ipv4Packet({ src: OURS, dst, proto: 17, ttl: TTL, upper: d, checksum: false });
      p[10] = 0xde; // garbage: txBuild always recomputes the header checksum
      p[11] = 0xad;
      return p;
    }
    function finished(p: Uint8Array): Uint8Array {
      const q = p.slice();
      q[10] = q[11] = 0;
      const hc = refChecksum(q.subarray(0, 20));
      q[10] = hc >> 8;
      q[11] = hc & 0xff;
      return q;
    }

    test('unicast: the header checksum is recomputed and the ARP table gives the MAC', () => {
      const hp = setup(build.simd);
      const p = udpPkt(PEER);
      const c0 = hp.counterValues();
      const r = tx(hp, p, { flags: V4 });
      assert.equal(r.status, Verdict.TX_READY);
      assert.deepEqual(r.frame, ethernet(TABLE_MAC, OUR_MAC, 0x0800, finished(p)));
      assert.deepEqual(deltas(c0, hp.counterValues()), { [Counter.IpOutRequests]: 1, [Counter.UdpOutDatagrams]: 1 });
    });

    test('TXF_CSUM fills the UDP checksum over the IPv4 pseudo-header and the ICMP checksum', () => {
      const hp = setup(build.simd);
      const p = udpPkt(PEER, 0);
      const r = tx(hp, p, { flags: V4 | L.TXF_CSUM });
      const ip = r.frame!.subarray(14);
      const ph = new Uint8Array(12);
      ph.set(ip.subarray(12, 20));
      ph[9] = 17;
      ph[11] = 13;
      assert.equal(refSum(ip.subarray(20), refSum(ph)), 0xffff, 'UDP checksum (RFC 768)');
      assert.notEqual((ip[26] << 8) | ip[27], 0);
      const ping = ipv4Packet({ src: OURS, dst: PEER, ttl: TTL, upper: icmp4Echo(8, 3, 4, DATA) });
      ping[22] = ping[23] = 0;
      const c0 = hp.counterValues();
      const r2 = tx(hp, ping, { flags: V4 | L.TXF_CSUM });
      assert.deepEqual(r2.frame!.subarray(14), ipv4Packet({ src: OURS, dst: PEER, ttl: TTL, upper: icmp4Echo(8, 3, 4, DATA) }));
      assert.deepEqual(deltas(c0, hp.counterValues()), { [Counter.IpOutRequests]: 1, [Counter.IcmpOutMsgs]: 1, [Counter.IcmpOutEchos]: 1 });
    });

    test('multicast → 01:00:5e + the low 23 bits (RFC 1112 §6.4); 255.255.255.255 → broadcast; TXF_HAVE_MAC wins', () => {
      const hp = setup(build.simd);
      assert.deepEqual(tx(hp, udpPkt('239.129.2.3'), { flags: V4 }).frame!.subarray(0, 6), mac('01:00:5e:01:02:03'));
      assert.deepEqual(tx(hp, udpPkt('224.0.0.251'), { flags: V4 }).frame!.subarray(0, 6), mac('01:00:5e:00:00:fb'));
      const b = udpPkt('255.255.255.255');
      assert.deepEqual(tx(hp, b, { flags: V4 }).frame, ethernet(BCAST, OUR_MAC, 0x0800, finished(b)));
      assert.deepEqual(tx(hp, udpPkt('10.0.0.255'), { flags: V4 | L.TXF_HAVE_MAC, mac: BCAST }).frame!.subarray(0, 6), mac(BCAST));
      assert.deepEqual(tx(hp, udpPkt('239.1.1.1'), { flags: V4 | L.TXF_HAVE_MAC, mac: PEER_MAC }).frame!.subarray(0, 6), parseMac(PEER_MAC));
    });

    test('off-link via the gateway; unknown next hop or no gateway → RESOLVE', () => {
      const hp = setup(build.simd);
      assert.deepEqual(tx(hp, udpPkt('198.51.100.1'), { flags: V4 }).frame!.subarray(0, 6), parseMac(ROUTER_MAC));
      const c0 = hp.counterValues();
      assert.deepEqual(tx(hp, udpPkt('10.0.0.77'), { flags: V4 }), { status: Verdict.RESOLVE });
      assert.deepEqual(deltas(c0, hp.counterValues()), {});
      hp.configure([{ ifindex: 1, mac: OUR_MAC, ipv4: [`${OURS}/24`] }]); // no gateway
      assert.deepEqual(tx(hp, udpPkt('198.51.100.1'), { flags: V4 }), { status: Verdict.RESOLVE });
    });

    test('TUN: the bare packet; too big or a broken header → TX_TOO_BIG', () => {
      const hp = setup(build.simd);
      const p = ipv4Packet({ src: '192.168.2.1', dst: '192.168.2.9', upper: icmp4Echo(0, 1, 1) });
      assert.deepEqual(tx(hp, p, { flags: V4, ifindex: 2 }).frame, finished(p));
      for (const [pkt, len] of [[p, 19], [p, 1501], [Uint8Array.from([0x44, ...p.subarray(1)]), p.length], [Uint8Array.from([0x4f, ...p.subarray(1)]), 40]] as const) {
        const before = hp.dropCounts();
        const c0 = hp.counterValues();
        assert.deepEqual(tx(hp, pkt, { flags: V4, len }), { status: Verdict.DROP });
        assert.deepEqual(deltas(before, hp.dropCounts()), { [DropReason.TX_TOO_BIG]: 1 });
        assert.deepEqual(deltas(c0, hp.counterValues()), { [Counter.IpOutDiscards]: 1 });
      }
    });

    test('TXF_ARP: our MAC, the given MAC, ethertype 0x0806, the 28 bytes, zero-padded to 60 (IEEE 802.3); TUN or no MAC → TX_NO_ROUTE', () => {
      const hp = setup(build.simd);
      const a = arpPacket({ op: 1, sha: OUR_MAC, spa: OURS, tpa: PEER });
      const r = tx(hp, a, { flags: L.TXF_ARP | L.TXF_HAVE_MAC, mac: BCAST });
      assert.equal(r.status, Verdict.TX_READY);
      assert.deepEqual(r.frame, ethernet(BCAST, OUR_MAC, 0x0806, a, 18));
      for (const o of [{ flags: L.TXF_ARP | L.TXF_HAVE_MAC, mac: BCAST, ifindex: 2 }, { flags: L.TXF_ARP }]) {
        const before = hp.dropCounts();
        assert.deepEqual(tx(hp, a, o), { status: Verdict.DROP });
        assert.deepEqual(deltas(before, hp.dropCounts()), { [DropReason.TX_NO_ROUTE]: 1 });
      }
      const before = hp.dropCounts();
      assert.deepEqual(tx(hp, a, { flags: L.TXF_ARP | L.TXF_HAVE_MAC, mac: BCAST, len: 27 }), { status: Verdict.DROP });
      assert.deepEqual(deltas(before, hp.dropCounts()), { [DropReason.TX_TOO_BIG]: 1 });
    });
  });
}
