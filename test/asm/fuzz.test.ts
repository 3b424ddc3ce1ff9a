// Property tests for the hot path (STYLE.md 6, 12): seeded random frames and
// mutations of valid ones go through rxBurst in bursts of up to RX_SLOTS, and
// random descriptors through txBuild, on both builds. Whatever the bytes:
// no trap, one known verdict per slot, every drop counted exactly once, and the
// write list only ever points inside the right slot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { parseIp6, parseMac, solicitedNode } from '../../src/wire/address.js';
import { decode, echoRequest, ethFrame, naMessage, nsMessage, upperChecksum } from '../support/frames.js';
import { BUILDS, Harness, prng } from '../support/engine.js';

const { Verdict, DropReason, ControlKind, NeighState } = L;

const RANDOM_FRAMES = 20_000;
const MUTATED_FRAMES = 20_000;
const TX_ROUNDS = 400;

const OUR_MAC = '02:00:00:00:00:01';
const TABLE_MAC = '02:00:00:00:00:22';
const PEER_MAC = parseMac('02:00:00:00:00:02');
const OURS = parseIp6('2001:db8::1');

function setup(simd: boolean): Harness {
  const hp = new Harness(simd, [
    { ifindex: 1, mac: OUR_MAC, hopLimit: 64, addresses: ['2001:db8::1/64', 'fe80::1/64', { addr: '2001:db8::7/64', tentative: true }] },
    { ifindex: 2, ethernet: false, addresses: ['2001:db8:2::1/64'] },
  ]);
  hp.neighbor(1, parseIp6('2001:db8::2'), NeighState.REACHABLE, TABLE_MAC);
  hp.neighbor(1, parseIp6('fe80::2'), NeighState.STALE, TABLE_MAC);
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

const SPECIAL = ['ff02::1', '::1', '::', '2001:db8::7', 'fe80::1', '2001:db8::1', 'ff02::1:ff00:1', 'ff05::2'].map(parseIp6);
const NEXT_HEADERS = [0, 6, 17, 43, 44, 58, 59, 60];

class Gen {
  readonly rand: () => number;
  private readonly tpl = templates();
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
  DropReason.SLOT_OVERFLOW,
];

const KNOWN = new Set<number>([Verdict.DROP, Verdict.TX_READY, Verdict.CONTROL, Verdict.DELIVER, Verdict.RESOLVE]);

for (const build of BUILDS) {
  test(`rxBurst on ${RANDOM_FRAMES} random and ${MUTATED_FRAMES} mutated frames: no trap, every slot one verdict, every drop counted (${build.name} build)`, () => {
    const hp = setup(build.simd);
    const gen = new Gen(build.simd ? 2 : 1);
    const buf = new Uint8Array(L.SLOT_SIZE);
    const lens: number[] = [];
    const tally = { frames: 0, drops: 0, tx: 0, verdicts: new Map<number, number>() };
    let bursts = 0;
    const total = RANDOM_FRAMES + MUTATED_FRAMES;
    while (tally.frames < total) {
      const n = Math.min(1 + gen.int(L.RX_SLOTS), total - tally.frames);
      for (let i = 0; i < n; i++) {
        const k = tally.frames + i;
        let len = k < RANDOM_FRAMES ? gen.random(buf) : gen.mutated(buf);
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
          // Dropped too, but with a Parameter Problem owed to the sender.
          if (s.verdict === Verdict.CONTROL && s.reason >= ControlKind.PARAM_PROBLEM_HEADER && s.reason <= ControlKind.PARAM_PROBLEM_CHAIN) dropped++;
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
        assert.ok(e.length >= l3 + 40 + 8, `entry ${k}: holds an echo reply`);
        const bytes = hp.readRx(i, e.length);
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
        if (gen.int(2)) {
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
        assert.ok(e.length === len || e.length === len + 14, `entry ${k}: length ${e.length} for packet ${len}`);
      });
      ready += readySlots.length;
    }
    assert.ok(ready > 1000, `some frames were queued (${ready})`);
  });
}
