// Property tests for the hot path (STYLE.md 6, 12): seeded random frames and
// mutations of valid ones (IPv6, IPv4, ARP) go through rxBurst in bursts of up to RX_SLOTS, and
// random descriptors through txBuild, on both builds. Whatever the bytes:
// no trap, one known verdict per slot, every drop counted exactly once, and the
// write list only ever points inside the right slot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { parseIp6, parseMac, solicitedNode } from '../../src/wire/address.js';
import { decode, echoRequest, ethFrame, naMessage, nsMessage, refChecksum, refSum, upperChecksum } from '../support/frames.js';
import { arpPacket, eth4, ethernet, icmp4, icmp4Echo, ip4, ipv4Packet, udp4, udp4Checksum } from '../support/frames4.js';
import { BUILDS, Harness, mapped4, prng } from '../support/engine.js';
import type { BoundUdpSocket } from '../../src/socket/portspace.js';

const { Verdict, DropReason, ControlKind, NeighState } = L;

const RANDOM_FRAMES = 20_000;
const MUTATED_FRAMES = 20_000;
const MUTATED4_FRAMES = 20_000; // IPv4 and ARP
const TX_ROUNDS = 400;

const OUR_MAC = '02:00:00:00:00:01';
const TABLE_MAC = '02:00:00:00:00:22';
const PEER_MAC = parseMac('02:00:00:00:00:02');
const OURS = parseIp6('2001:db8::1');

function setup(simd: boolean): Harness {
  const hp = new Harness(simd, [
    {
      ifindex: 1, mac: OUR_MAC, hopLimit: 64, addresses: ['2001:db8::1/64', 'fe80::1/64', { addr: '2001:db8::7/64', tentative: true }],
      ipv4: ['10.0.0.1/24'], groups4: ['239.1.2.3'],
    },
    { ifindex: 2, ethernet: false, addresses: ['2001:db8:2::1/64'], ipv4: ['192.168.2.1/24'] },
  ]);
  hp.neighbor(1, parseIp6('2001:db8::2'), NeighState.REACHABLE, TABLE_MAC);
  hp.neighbor(1, parseIp6('fe80::2'), NeighState.STALE, TABLE_MAC);
  hp.neighbor(1, mapped4('10.0.0.2'), NeighState.REACHABLE, TABLE_MAC);
  // UDP sockets on port 7 (udp6 ::, both families) and 53 (udp4 10.0.0.1), so
  // every demultiplexing outcome is reachable.
  const sock = (family: 4 | 6, addr: Uint8Array, port: number): BoundUdpSocket =>
    ({ family, v6only: false, reuseAddr: false, addr, port, ifindex: undefined, request: { family, addr, port } });
  hp.udp.syncPort(7, [sock(6, parseIp6('::'), 7)]);
  hp.udp.syncPort(53, [sock(4, mapped4('10.0.0.1'), 53)]);
  return hp;
}

/** Valid frames to mutate: each kind of traffic the fast path classifies. */
function templates(): Uint8Array[] {
  const me = parseMac(OUR_MAC);
  const udp = (n: number): Uint8Array => {
    const d = new Uint8Array(8 + n).fill(0x5a);
    d.set([0x13, 0x88, 0x00, 0x07, (8 + n) >> 8, (8 + n) & 0xff, 0, 0]);
    return d;
  };
  const data = Uint8Array.from({ length: 56 }, (_, i) => i);
  const reply = echoRequest(3, 4, data);
  reply[0] = 129;
  return [
    ethFrame({ dstMac: me, srcMac: PEER_MAC, src: '2001:db8::2', dst: OURS, upper: echoRequest(1, 2, data) }),
    ethFrame({ dstMac: me, srcMac: PEER_MAC, src: 'fe80::2', dst: 'fe80::1', upper: echoRequest(7, 8, new Uint8Array(1000).fill(7)) }),
    ethFrame({ dstMac: me, srcMac: PEER_MAC, src: '2001:db9::5', dst: OURS, upper: echoRequest(1, 1) }),
    ethFrame({ srcMac: PEER_MAC, src: '2001:db8::2', dst: 'ff02::1', upper: echoRequest(1, 1) }),
    ethFrame({ srcMac: PEER_MAC, src: '2001:db8::2', dst: solicitedNode(OURS), hopLimit: 255, upper: nsMessage(OURS, PEER_MAC) }),
    ethFrame({ srcMac: PEER_MAC, src: '::', dst: solicitedNode(OURS), hopLimit: 255, upper: nsMessage(OURS) }),
    ethFrame({ srcMac: PEER_MAC, src: 'fe80::2', dst: 'ff02::1', hopLimit: 255, upper: naMessage(parseIp6('fe80::2'), { o: true }, PEER_MAC) }),
    ethFrame({ dstMac: me, srcMac: PEER_MAC, src: '2001:db8::2', dst: OURS, nextHeader: 17, upper: udp(33) }),
    ethFrame({ dstMac: me, srcMac: PEER_MAC, src: '2001:db8::2', dst: OURS, upper: reply }),
  ];
}

const SPECIAL = ['ff02::1', '::1', '::', '2001:db8::7', 'fe80::1', '2001:db8::1', 'ff02::1:ff00:1', 'ff05::2', '::ffff:10.0.0.1'].map(parseIp6);

/** IPv4 and ARP frames to mutate. */
function templates4(): Uint8Array[] {
  const data = Uint8Array.from({ length: 56 }, (_, i) => i);
  const f = (dst: string, proto: number, upper: Uint8Array, dstMac = OUR_MAC, frag = 0): Uint8Array =>
    eth4({ dstMac, srcMac: '02:00:00:00:00:02', src: '10.0.0.2', dst, proto, frag, upper });
  const u = (dst: string, port: number): Uint8Array => udp4('10.0.0.2', dst, 1234, port, data.subarray(0, 20));
  return [
    f('10.0.0.1', 1, icmp4Echo(8, 1, 2, data)),
    f('10.0.0.1', 1, icmp4Echo(0, 1, 2, data)),
    f('10.0.0.1', 1, icmp4(3, 3, new Uint8Array(32))),
    f('10.0.0.1', 17, u('10.0.0.1', 7)),
    f('10.0.0.1', 17, u('10.0.0.1', 53)),
    f('10.0.0.1', 17, u('10.0.0.1', 9)),
    f('255.255.255.255', 17, u('255.255.255.255', 7), 'ff:ff:ff:ff:ff:ff'),
    f('239.1.2.3', 17, u('239.1.2.3', 9), '01:00:5e:01:02:03'),
    f('224.0.0.1', 2, new Uint8Array(8), '01:00:5e:00:00:01'),
    f('10.0.0.1', 6, new Uint8Array(20)),
    f('10.0.0.1', 1, icmp4Echo(8, 1, 2, data), OUR_MAC, 0x2000),
    ethernet('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:02', 0x0806, arpPacket({ op: 1, sha: '02:00:00:00:00:02', spa: '10.0.0.2', tpa: '10.0.0.1' })),
    ipv4Packet({ src: '192.168.2.9', dst: '192.168.2.1', upper: icmp4Echo(8, 3, 3, data) }), // for the TUN interface
  ];
}

const SPECIAL4 = ['10.0.0.1', '10.0.0.255', '255.255.255.255', '127.0.0.1', '224.0.0.1', '239.9.9.9', '0.0.0.0', '192.168.2.1', '10.0.0.2'].map(ip4);
const NEXT_HEADERS = [0, 6, 17, 43, 44, 58, 59, 60];

class Gen {
  readonly rand: () => number;
  private readonly tpl = templates();
  private readonly tpl4 = templates4();
  constructor(seed: number) {
    this.rand = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  fill(b: Uint8Array, from: number, to: number): void {
    let i = from;
    for (; i + 4 <= to; i += 4) {
      const x = (this.rand() * 4294967296) >>> 0;
      b[i] = x;
      b[i + 1] = x >>> 8;
      b[i + 2] = x >>> 16;
      b[i + 3] = x >>> 24;
    }
    for (; i < to; i++) b[i] = this.int(256);
  }

  /** Random bytes; a third of them with a plausible Ethernet + IPv6 start to get past L2. */
  random(b: Uint8Array): number {
    const len = this.int(L.SLOT_SIZE + 1);
    this.fill(b, 0, len);
    if (len >= 15 && this.int(3) === 0) {
      b.set(this.int(2) ? parseMac(OUR_MAC) : [0x33, 0x33, 0, 0, 0, 1], 0);
      b[12] = 0x86;
      b[13] = 0xdd;
      b[14] = 0x60 | (b[14] & 0x0f);
    }
    return len;
  }

  /** A template with 1–3 mutations, its checksum re-fixed half of the time. */
  mutated(b: Uint8Array): number {
    const t = this.tpl[this.int(this.tpl.length)];
    b.set(t);
    let len = t.length;
    for (let k = 1 + this.int(3); k > 0; k--) {
      switch (this.int(9)) {
        case 0: // flip 1–4 random bytes
          for (let j = 1 + this.int(4); j > 0; j--) b[this.int(len || 1)] ^= 1 + this.int(255);
          break;
        case 1: // truncate
          len = this.int(len + 1);
          break;
        case 2: {
          // extend with random bytes
          const n = len + this.int(L.SLOT_SIZE - len + 1);
          this.fill(b, len, n);
          len = n;
          break;
        }
        case 3: // Payload Length: random, or off by a little
          if (this.int(2)) b[18] = this.int(256), b[19] = this.int(256);
          else {
            const p = Math.max(0, ((b[18] << 8) | b[19]) + this.int(17) - 8);
            b[18] = p >> 8;
            b[19] = p & 0xff;
          }
          break;
        case 4: // UDP Length (or ICMPv6 body bytes) random
          b[58] = this.int(256);
          b[59] = this.int(256);
          break;
        case 5: // hop limit, next header, ICMPv6 type/code
          b[[20, 21, 54, 55][this.int(4)]] = this.int(256);
          break;
        case 6: // version / traffic class
          b[14] = this.int(256);
          break;
        case 7: // source or destination: a special address
          b.set(SPECIAL[this.int(SPECIAL.length)], this.int(2) ? 22 : 38);
          break;
        case 8: // next header from the interesting ones
          b[20] = NEXT_HEADERS[this.int(NEXT_HEADERS.length)];
          break;
      }
    }
    if (this.int(4) && len >= 54 + 8) fixChecksum(b, len);
    if (this.int(16) === 0 && len >= 62 && b[20] === 17) b[60] = b[61] = 0; // RFC 8200 §8.1: zero UDP checksum
    return len;
  }
}

/** An IPv4 or ARP template with 1–3 mutations; header and ICMP/UDP checksums re-fixed most of the time. */
function mutated4(g: Gen, tpl: Uint8Array[], b: Uint8Array): number {
  const t = tpl[g.int(tpl.length)];
  b.set(t);
  let len = t.length;
  const o = t[12] === 0x08 || t[12] === 0x06 ? 14 : 0; // the TUN template has no Ethernet header
  for (let k = 1 + g.int(3); k > 0; k--) {
    switch (g.int(9)) {
      case 0:
        for (let j = 1 + g.int(4); j > 0; j--) b[g.int(len || 1)] ^= 1 + g.int(255);
        break;
      case 1:
        len = g.int(len + 1);
        break;
      case 2: {
        const n = len + g.int(Math.min(L.SLOT_SIZE - len, 64) + 1); // Ethernet padding or trailing junk
        g.fill(b, len, n);
        len = n;
        break;
      }
      case 3: { // Total Length off by a little, or random
        const v = g.int(2) ? g.int(65536) : Math.max(0, ((b[o + 2] << 8) | b[o + 3]) + g.int(17) - 8);
        b[o + 2] = v >> 8;
        b[o + 3] = v & 0xff;
        break;
      }
      case 4: // Version/IHL, flags/fragment offset
        if (g.int(2)) b[o] = g.int(3) ? 0x40 | g.int(16) : g.int(256);
        else b[o + 6 + g.int(2)] = g.int(2) ? 0 : g.int(256);
        break;
      case 5: // protocol, or ICMP type / UDP port
        if (g.int(2)) b[o + 9] = [1, 2, 6, 17, 0, 41][g.int(6)];
        else b[o + 20 + g.int(4)] = [0, 3, 8, 11, 12, 13, 53, 7][g.int(8)];
        break;
      case 6: // source or destination: a special address
        b.set(SPECIAL4[g.int(SPECIAL4.length)], o + (g.int(2) ? 12 : 16));
        break;
      case 7: // UDP Length / ARP op and lengths
        b[o + 24 + g.int(2)] = g.int(256);
        break;
      case 8: // ethertype
        if (o) b[13] = [0x00, 0x06, 0x08][g.int(3)];
        break;
    }
  }
  if (g.int(4)) fixChecksum4(b, o, len);
  return len;
}

/** Recomputes the IPv4 header checksum and the ICMP/UDP checksum (when they fit) of the packet at `o`. */
function fixChecksum4(b: Uint8Array, o: number, len: number): void {
  if (b[12] === 0x08 && b[13] === 0x06 && o) return; // ARP
  const hl = (b[o] & 0x0f) * 4;
  if (hl < 20 || o + hl > len) return;
  b[o + 10] = b[o + 11] = 0;
  const hc = refChecksum(b.subarray(o, o + hl));
  b[o + 10] = hc >> 8;
  b[o + 11] = hc & 0xff;
  const tot = (b[o + 2] << 8) | b[o + 3];
  if (tot < hl + 8 || o + tot > len) return;
  const l4 = b.subarray(o + hl, o + tot);
  if (b[o + 9] === 1) {
    l4[2] = l4[3] = 0;
    const c = refChecksum(l4);
    l4[2] = c >> 8;
    l4[3] = c & 0xff;
  } else if (b[o + 9] === 17) {
    const ul = (l4[4] << 8) | l4[5];
    if (ul < 8 || ul > l4.length) return;
    l4[6] = l4[7] = 0;
    const f = (a: Uint8Array): string => Array.from(a).join('.');
    const c = udp4Checksum(f(b.subarray(o + 12, o + 16)), f(b.subarray(o + 16, o + 20)), l4.subarray(0, ul));
    l4[6] = c >> 8;
    l4[7] = c & 0xff;
  }
}

/** Recomputes the ICMPv6/UDP checksum of an Ethernet frame for its Payload Length (when it fits). */
function fixChecksum(b: Uint8Array, len: number): void {
  const plen = (b[18] << 8) | b[19];
  const nh = b[20];
  if (54 + plen > len || (nh !== 58 && nh !== 17) || plen < 8) return;
  const off = 54 + (nh === 17 ? 6 : 2);
  b[off] = 0;
  b[off + 1] = 0;
  const c = upperChecksum(b.subarray(22, 38), b.subarray(38, 54), nh, b.subarray(54, 54 + plen));
  b[off] = c >> 8;
  b[off + 1] = c & 0xff;
}

/** Every reason rxBurst drops for (the rest belong to txBuild and the control plane). */
const RX_REASONS = [
  DropReason.L2_TRUNCATED, DropReason.L2_NOT_FOR_US, DropReason.L2_ETHERTYPE, DropReason.IP6_TRUNCATED,
  DropReason.IP6_VERSION, DropReason.IP6_SRC_MULTICAST, DropReason.IP6_SRC_LOOPBACK, DropReason.IP6_NOT_OURS,
  DropReason.IP6_GROUP_NOT_JOINED, DropReason.IP6_EXT_MALFORMED, DropReason.IP6_NO_NEXT_HEADER,
  DropReason.IP6_PROTO_UNSUPPORTED, DropReason.IP6_TENTATIVE, DropReason.IFACE_DOWN, DropReason.ICMP6_TRUNCATED,
  DropReason.ICMP6_CHECKSUM, DropReason.ICMP6_UNKNOWN_INFO, DropReason.ND_HOP_LIMIT, DropReason.ND_CODE,
  DropReason.UDP_TRUNCATED, DropReason.UDP_ZERO_CHECKSUM, DropReason.UDP_CHECKSUM, DropReason.ECHO_UNSPEC_SOURCE,
  DropReason.SLOT_OVERFLOW, DropReason.UDP_NO_PORT, DropReason.IP6_MAPPED,
  DropReason.IP4_TRUNCATED, DropReason.IP4_HEADER, DropReason.IP4_CHECKSUM, DropReason.IP4_SRC_INVALID, DropReason.IP4_NOT_OURS,
  DropReason.IP4_GROUP_NOT_JOINED, DropReason.IP4_PROTO_UNSUPPORTED, DropReason.ICMP4_TRUNCATED, DropReason.ICMP4_CHECKSUM,
  DropReason.ICMP4_UNHANDLED, DropReason.ARP_MALFORMED, DropReason.ECHO4_BROADCAST_IGNORED,
];

/** Kinds that are drops too (counted by rxBurst) with something owed to the sender. */
const DROPPING_KINDS = new Set<number>([
  ControlKind.PARAM_PROBLEM_HEADER, ControlKind.PARAM_PROBLEM_NEXT_HEADER, ControlKind.PARAM_PROBLEM_OPTION,
  ControlKind.PARAM_PROBLEM_OPTION_UNICAST, ControlKind.PARAM_PROBLEM_CHAIN, ControlKind.PROTO4_UNREACHABLE, ControlKind.UDP_NO_PORT,
]);

const KNOWN = new Set<number>([Verdict.DROP, Verdict.TX_READY, Verdict.CONTROL, Verdict.DELIVER, Verdict.RESOLVE]);

for (const build of BUILDS) {
  test(`rxBurst on ${RANDOM_FRAMES} random, ${MUTATED_FRAMES} mutated IPv6 and ${MUTATED4_FRAMES} mutated IPv4/ARP frames: no trap, every slot one verdict, every drop counted (${build.name} build)`, () => {
    const hp = setup(build.simd);
    const gen = new Gen(build.simd ? 2 : 1);
    const buf = new Uint8Array(L.SLOT_SIZE);
    const lens: number[] = [];
    const tally = { frames: 0, drops: 0, tx: 0, verdicts: new Map<number, number>() };
    let bursts = 0;
    const total = RANDOM_FRAMES + MUTATED_FRAMES + MUTATED4_FRAMES;
    const tpl4 = templates4();
    const kinds = new Map<number, number>();
    while (tally.frames < total) {
      const n = Math.min(1 + gen.int(L.RX_SLOTS), total - tally.frames);
      for (let i = 0; i < n; i++) {
        const k = tally.frames + i;
        let len = k < RANDOM_FRAMES ? gen.random(buf) : k < RANDOM_FRAMES + MUTATED_FRAMES ? gen.mutated(buf) : mutated4(gen, tpl4, buf);
        hp.writeRx(i, buf.subarray(0, len), len);
        if (gen.int(200) === 0) hp.writeRx(i, buf.subarray(0, 0), (len = L.SLOT_SIZE + 1 + gen.int(0x7fffffff))); // bad descriptor
        lens[i] = len;
      }
      const x = gen.int(40);
      const ifindex = x === 0 ? 3 : x < 3 ? 2 : 1; // sometimes the TUN interface, rarely one that is down
      const before = hp.dropCounts();
      let r;
      try {
        r = hp.burst(n, ifindex, bursts);
      } catch (e) {
        assert.fail(`burst ${bursts} (frames ${tally.frames}..${tally.frames + n - 1}) threw: ${(e as Error).message}`);
      }
      bursts++;
      const drops = hp.dropCounts().reduce((s, v, k) => s + v - before[k], 0);
      let dropped = 0;
      const txSlots: number[] = [];
      const workSlots: number[] = [];
      r.slots.forEach((s, i) => {
        tally.verdicts.set(s.verdict, (tally.verdicts.get(s.verdict) ?? 0) + 1);
        assert.ok(KNOWN.has(s.verdict), `slot ${i}: verdict ${s.verdict}`);
        if (s.verdict === Verdict.DROP) {
          dropped++;
          assert.ok(s.reason !== 0 && DropReason[s.reason] !== undefined, `slot ${i}: drop reason ${s.reason}`);
        } else if (s.verdict === Verdict.TX_READY) txSlots.push(i);
        else {
          workSlots.push(i);
          // Dropped too, but with a Parameter Problem or an ICMP Unreachable owed to the sender.
          if (s.verdict === Verdict.CONTROL && DROPPING_KINDS.has(s.reason)) dropped++;
          if (s.verdict !== Verdict.RESOLVE) kinds.set(s.reason, (kinds.get(s.reason) ?? 0) + 1);
          const sock = hp.rxSock(i);
          if (s.verdict === Verdict.DELIVER && (s.reason === ControlKind.UDP || s.reason === ControlKind.UDP4)) {
            assert.ok(sock === 0xffffffff || hp.udp.socketAt(sock) !== undefined, `slot ${i}: socket entry ${sock}`);
          } else assert.equal(sock, 0xffffffff, `slot ${i}: RX_SOCK only for UDP deliveries`);
          if (s.verdict !== Verdict.RESOLVE) assert.ok(ControlKind[s.reason] !== undefined && s.reason !== 0, `slot ${i}: kind ${s.reason}`);
        }
      });
      assert.equal(drops, dropped, `burst ${bursts}: drop counters moved by the number of DROP verdicts (and Parameter Problems owed)`);
      assert.deepEqual(r.work, workSlots, 'work list: the CONTROL/DELIVER/RESOLVE slots, in order');
      assert.equal(r.iov.length, txSlots.length, 'one write-list entry per TX_READY slot');
      r.iov.forEach((e, k) => {
        const i = txSlots[k];
        const l3 = r.slots[i].l3;
        assert.equal(e.offset, hp.engine.rxSlot(i), `entry ${k} starts at slot ${i}`);
        assert.ok(e.length <= lens[i] && e.length <= L.SLOT_SIZE, `entry ${k}: length ${e.length} ≤ frame ${lens[i]}`);
        const bytes = hp.readRx(i, e.length);
        if ((bytes[l3] >> 4) === 4) {
          // An ICMPv4 echo reply: header and ICMP checksums by RFC 1071, length = Total Length.
          const ip = bytes.subarray(l3);
          assert.equal(ip.length, (ip[2] << 8) | ip[3], `slot ${i}: length = the reply's Total Length`);
          assert.equal(ip[0], 0x45);
          assert.equal(refSum(ip.subarray(0, 20)), 0xffff, `slot ${i}: IPv4 header checksum`);
          assert.equal(ip[20], 0, `slot ${i}: an Echo Reply`);
          assert.equal(refSum(ip.subarray(20)), 0xffff, `slot ${i}: ICMP checksum`);
          if (l3) assert.deepEqual(Array.from(bytes.subarray(0, 6)), Array.from(parseMac(TABLE_MAC)));
          return;
        }
        assert.ok(e.length >= l3 + 40 + 8, `entry ${k}: holds an echo reply`);
        const d = decode(l3 ? bytes : Uint8Array.from([...new Uint8Array(14), ...bytes]));
        assert.equal(d.icmpType, 129, `slot ${i}: an Echo Reply`);
        assert.ok(d.checksumOk, `slot ${i}: checksum`);
        assert.equal(e.length, l3 + 40 + d.payloadLength, `slot ${i}: length = the reply's packet`);
        if (l3) assert.equal(d.dstMac, TABLE_MAC);
      });
      tally.frames += n;
      tally.drops += dropped;
      tally.tx += txSlots.length;
    }
    assert.equal(hp.dropCounts().reduce((s, v) => s + v, 0), tally.drops, 'all drop counters sum to the DROP verdicts');
    // The generators must reach the interesting verdicts, or the property says little.
    for (const v of [Verdict.DROP, Verdict.TX_READY, Verdict.CONTROL, Verdict.DELIVER, Verdict.RESOLVE]) {
      assert.ok((tally.verdicts.get(v) ?? 0) > 20, `verdict ${Verdict[v]} reached (${tally.verdicts.get(v) ?? 0})`);
    }
    const missed = RX_REASONS.filter((r) => hp.engine.drops(r) === 0).map((r) => DropReason[r]);
    assert.deepEqual(missed, [], 'every drop reason rxBurst can produce was reached');
    const KINDS = [
      ControlKind.ARP, ControlKind.ECHO4_REPLY, ControlKind.UDP4, ControlKind.ICMP4_ERROR, ControlKind.FRAGMENT4,
      ControlKind.PROTO4_UNREACHABLE, ControlKind.UDP_NO_PORT, ControlKind.IGMP, ControlKind.UDP,
    ];
    assert.deepEqual(KINDS.filter((c) => !kinds.has(c)).map((c) => ControlKind[c]), [], 'every IPv4/ARP/UDP kind was reached');
  });

  test(`txBuild with random descriptors never traps and only queues frames inside their TX slot (${build.name} build)`, () => {
    const hp = setup(build.simd);
    const gen = new Gen(build.simd ? 20 : 10);
    const { u8, dv } = hp.engine;
    const dsts = [parseIp6('2001:db8::2'), parseIp6('fe80::2'), parseIp6('ff02::1'), parseIp6('2001:db9::1'), solicitedNode(OURS)];
    const SENTINEL = 0xbeef;
    let ready = 0;
    for (let round = 0; round < TX_ROUNDS; round++) {
      const m = gen.int(L.TX_SLOTS + 40);
      const iovStart = gen.int(4) === 0 ? gen.int(L.IOV_MAX + 10) : gen.int(L.RX_SLOTS);
      for (let i = 0; i < L.TX_SLOTS; i++) dv.setUint16(hp.engine.txDesc(i) + L.TXD_STATUS, SENTINEL, true);
      for (let i = 0; i < Math.min(m, L.TX_SLOTS); i++) {
        const d = hp.engine.txDesc(i);
        const pick = gen.int(6);
        const len = pick === 0 ? 0xffffffff - gen.int(100) : pick === 1 ? gen.int(L.SLOT_SIZE + 64) : pick === 2 ? gen.int(40) : 40 + gen.int(1500 - 39);
        dv.setUint32(d + L.TXD_LEN, len, true);
        u8[d + L.TXD_IFINDEX] = gen.int(3) ? 1 : gen.int(256);
        u8[d + L.TXD_FLAGS] = gen.int(256);
        gen.fill(u8, d + L.TXD_MAC, d + L.TXD_MAC + 6);
        const ip = hp.engine.txSlot(i) + L.TX_HEADROOM;
        gen.fill(u8, ip, ip + 64);
        if (gen.int(3) === 0) {
          // An IPv4 header (TXF_IPV4 set half the time by the random flags).
          u8[ip] = gen.int(4) ? 0x45 : 0x40 | gen.int(16);
          u8[ip + 9] = [1, 17, 2, gen.int(256)][gen.int(4)];
          u8.set(ip4(['10.0.0.2', '10.0.0.9', '239.1.2.3', '255.255.255.255', '8.8.8.8'][gen.int(5)]), ip + 16);
        } else if (gen.int(2)) {
          u8[ip] = 0x60;
          u8[ip + 6] = [58, 17, 59, gen.int(256)][gen.int(4)];
          u8.set(dsts[gen.int(dsts.length)], ip + 24);
        }
      }
      const before = hp.dropCounts();
      let count = 0;
      try {
        count = hp.engine.exports.txBuild(m, iovStart, round);
      } catch (e) {
        assert.fail(`round ${round} threw: ${(e as Error).message}`);
      }
      const start = Math.min(iovStart, L.IOV_MAX);
      assert.ok(count >= start && count <= L.IOV_MAX, `round ${round}: count ${count}, start ${iovStart}`);
      const readySlots: number[] = [];
      let dropped = 0;
      for (let i = 0; i < L.TX_SLOTS; i++) {
        const st = dv.getUint16(hp.engine.txDesc(i) + L.TXD_STATUS, true);
        if (i >= m) {
          assert.equal(st, SENTINEL, `slot ${i} ≥ m untouched`);
          continue;
        }
        assert.ok(st === Verdict.TX_READY || st === Verdict.RESOLVE || st === Verdict.DROP, `slot ${i}: status ${st}`);
        if (st === Verdict.TX_READY) readySlots.push(i);
        if (st === Verdict.DROP) dropped++;
      }
      assert.equal(hp.dropCounts().reduce((s, v, k) => s + v - before[k], 0), dropped, 'every DROP counted once');
      const entries = hp.iov(count, start);
      assert.equal(entries.length, readySlots.length, 'one entry per TX_READY slot');
      entries.forEach((e, k) => {
        const i = readySlots[k];
        const slot = hp.engine.txSlot(i);
        const len = dv.getUint32(hp.engine.txDesc(i) + L.TXD_LEN, true);
        assert.ok(e.offset >= slot && e.offset + e.length <= slot + L.SLOT_SIZE, `entry ${k}: [${e.offset}, +${e.length}) inside TX slot ${i}`);
        // The packet alone (TUN), with its Ethernet header, or an ARP frame padded to the 60-byte minimum.
        const arp = (dv.getUint8(hp.engine.txDesc(i) + L.TXD_FLAGS) & L.TXF_ARP) !== 0;
        assert.ok(e.length === len || e.length === len + 14 || (arp && e.length === 60), `entry ${k}: length ${e.length} for packet ${len}`);
      });
      ready += readySlots.length;
    }
    assert.ok(ready > 1000, `some frames were queued (${ready})`);
  });
}
