// rxBurst classification (asm/path/rx.ts, echo.ts) with golden frames built by
// the records in test/support/frames.ts, on both builds. Each drop test checks
// that exactly its DropReason counter moved (STYLE.md 6).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { formatIp6, parseIp6, parseMac, solicitedNode } from '../../src/wire/address.js';
import { decode, echoRequest, ethFrame, ipv6Packet, naMessage, nsMessage, upperChecksum, type FrameSpec } from '../support/frames.js';
import { BUILDS, Harness, deltas, type BurstResult } from '../support/engine.js';

const { Verdict, DropReason, ControlKind, Counter, NeighState } = L;

const OUR_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02'; // source MAC of the frames
const TABLE_MAC = '02:00:00:00:00:22'; // the neighbor table's MAC for PEER (differs on purpose)
const OURS = '2001:db8::1';
const LL = 'fe80::1';
const PEER = '2001:db8::2';
const HOP_LIMIT = 77; // interface CurHopLimit, distinct from the requests' 64

function setup(simd: boolean): Harness {
  return new Harness(simd, [
    {
      ifindex: 1,
      mac: OUR_MAC,
      hopLimit: HOP_LIMIT,
      addresses: [
        `${OURS}/64`,
        `${LL}/64`,
        { addr: '2001:db8::7/64', tentative: true },
        { addr: '2001:db8::80/64', anycast: true },
      ],
    },
  ]);
}

/** A unicast frame to our MAC (defaults: PEER → OURS, hop limit 64, ICMPv6). */
function frame(s: Partial<FrameSpec> & { upper: Uint8Array }): Uint8Array {
  return ethFrame({ dstMac: parseMac(OUR_MAC), srcMac: parseMac(PEER_MAC), src: PEER, dst: OURS, ...s });
}

const DATA = Uint8Array.from({ length: 56 }, (_, i) => (i * 7 + 3) & 0xff);
const echo = (s: Partial<FrameSpec> = {}): Uint8Array => frame({ upper: echoRequest(0x1234, 0xbeef, DATA), ...s });

/** An NS for our address to its solicited-node group, hop limit 255, with SLLAO. */
function ns(s: Partial<FrameSpec> = {}, edit?: (m: Uint8Array) => void): Uint8Array {
  const m = nsMessage(parseIp6(OURS), parseMac(PEER_MAC));
  edit?.(m);
  const dst = solicitedNode(parseIp6(OURS));
  return ethFrame({ srcMac: parseMac(PEER_MAC), src: PEER, dst, hopLimit: 255, upper: m, ...s });
}

function udp(srcPort: number, dstPort: number, payload: Uint8Array, length = 8 + payload.length): Uint8Array {
  const d = new Uint8Array(8 + payload.length);
  const v = new DataView(d.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, length);
  d.set(payload, 8);
  return d;
}

/** One frame through rxBurst; asserts DROP with `reason` and that only that drop counter moved by 1. */
function expectDrop(hp: Harness, f: Uint8Array | { frame: Uint8Array; len: number }, reason: L.DropReason, ifindex = 1): BurstResult {
  const before = hp.dropCounts();
  if (f instanceof Uint8Array) hp.writeRx(0, f);
  else hp.writeRx(0, f.frame, f.len);
  const r = hp.burst(1, ifindex);
  assert.equal(r.slots[0].verdict, Verdict.DROP, 'verdict DROP');
  assert.equal(DropReason[r.slots[0].reason], DropReason[reason], 'drop reason');
  assert.deepEqual(deltas(before, hp.dropCounts()), { [reason]: 1 }, 'exactly its counter, once');
  assert.deepEqual(r.iov, []);
  assert.deepEqual(r.work, []);
  return r;
}

function expectControl(r: BurstResult, verdict: L.Verdict, kind: L.ControlKind, slot = 0): void {
  assert.equal(Verdict[r.slots[slot].verdict], Verdict[verdict], 'verdict');
  assert.equal(ControlKind[r.slots[slot].reason], ControlKind[kind], 'control kind');
  assert.ok(r.work.includes(slot), 'slot on the work list');
}

for (const build of BUILDS) {
  describe(`rxBurst, ${build.name} build`, () => {
    // --- echo (RFC 4443 §4) ------------------------------------------------------
    test('echo request to our address becomes an echo reply built in place (RFC 4443 §4.2)', () => {
      const hp = setup(build.simd);
      const peer = parseIp6(PEER);
      hp.neighbor(1, peer, NeighState.REACHABLE, TABLE_MAC);
      const req = echo();
      // A non-zero traffic class / flow label must not be copied into the reply.
      req[14] = 0x6a;
      req[15] = 0xbc;
      req[16] = 0xde;
      req[17] = 0xf0;
      const c0 = hp.counterValues();
      const d0 = hp.dropCounts();
      const r = hp.rx([req]);
      assert.deepEqual(r.slots[0], { verdict: Verdict.TX_READY, reason: 0, l3: 14, l4: 54, aux: 40 + 8 + DATA.length });
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: req.length }]);
      assert.deepEqual(r.work, []);
      const rep = decode(hp.readRx(0, r.iov[0].length));
      assert.equal(rep.icmpType, 129, 'Echo Reply');
      assert.equal(rep.icmpCode, 0);
      assert.equal(formatIp6(rep.src), OURS, 'from the address the request was sent to');
      assert.equal(formatIp6(rep.dst), PEER, 'to the requester');
      assert.equal(rep.hopLimit, HOP_LIMIT, 'interface hop limit');
      assert.deepEqual([...hp.readRx(0, 18).subarray(14, 18)], [0x60, 0, 0, 0], 'version 6, traffic class and flow label 0');
      assert.deepEqual(rep.upper.subarray(4), req.subarray(14 + 40 + 4), 'identifier, sequence number and data unchanged');
      assert.equal(rep.payloadLength, 8 + DATA.length);
      assert.ok(rep.checksumOk, 'ICMPv6 checksum valid');
      assert.equal(rep.dstMac, TABLE_MAC, 'destination MAC from the neighbor table');
      assert.equal(rep.srcMac, OUR_MAC, 'our MAC');
      assert.equal(rep.ethertype, 0x86dd);
      assert.deepEqual(deltas(c0, hp.counterValues()), {
        [Counter.Ip6InReceives]: 1,
        [Counter.Icmp6InMsgs]: 1,
        [Counter.Icmp6InEchos]: 1,
        [Counter.Icmp6OutMsgs]: 1,
        [Counter.Icmp6OutEchoReplies]: 1,
        [Counter.Ip6OutRequests]: 1,
      });
      assert.deepEqual(deltas(d0, hp.dropCounts()), {});
    });

    test('echo reply data is byte-identical for odd lengths and the largest frame a slot holds', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
      for (const n of [0, 1, 13, 1452, L.SLOT_SIZE - 14 - 40 - 8]) {
        const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
        const req = frame({ upper: echoRequest(n, n + 1, data) });
        const r = hp.rx([req]);
        assert.equal(r.slots[0].verdict, Verdict.TX_READY, `${n} data bytes`);
        const rep = decode(hp.readRx(0, r.iov[0].length));
        assert.ok(rep.checksumOk, `checksum, ${n} data bytes`);
        assert.deepEqual(rep.upper.subarray(4), req.subarray(58), `id/seq/data, ${n} data bytes`);
      }
    });

    test('Ethernet padding after Payload Length is accepted and not echoed (RFC 8200 §3)', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
      const req = echo({ upper: echoRequest(1, 2, new Uint8Array(0)) }); // 14 + 40 + 8 = 62 bytes
      const padded = new Uint8Array(req.length + 10);
      padded.set(req);
      padded.fill(0xee, req.length);
      const r = hp.rx([padded]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: req.length }], 'the reply ends at Payload Length');
      assert.equal(r.slots[0].aux, 48, 'AUX: IPv6 packet length');
    });

    test('echo request with no neighbor entry is built and handed over as RESOLVE (RFC 4861 §7.2.2)', () => {
      const hp = setup(build.simd);
      const f0 = echo();
      const f1 = echo({ upper: echoRequest(1, 1) });
      const r = hp.rx([f0, f1]);
      assert.equal(r.slots[0].verdict, Verdict.RESOLVE);
      assert.equal(r.slots[1].verdict, Verdict.RESOLVE);
      assert.deepEqual(r.work, [0, 1], 'both slot indexes on the work list, in order');
      assert.deepEqual(r.iov, [], 'nothing to write yet');
      const rep = decode(hp.readRx(0, f0.length));
      assert.equal(rep.icmpType, 129, 'the reply is already built');
      assert.ok(rep.checksumOk);
    });

    test('an INCOMPLETE entry does not resolve: RESOLVE (RFC 4861 §7.2.2)', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.INCOMPLETE, TABLE_MAC);
      const r = hp.rx([echo()]);
      assert.equal(r.slots[0].verdict, Verdict.RESOLVE);
      assert.deepEqual(r.work, [0]);
    });

    test('echo to an off-link source goes to the control plane for the next hop (RFC 4861 §5.2)', () => {
      const hp = setup(build.simd);
      const far = parseIp6('2001:db9::5');
      hp.neighbor(1, far, NeighState.REACHABLE, TABLE_MAC); // present, but not on-link
      const r = hp.rx([echo({ src: far })]);
      assert.equal(r.slots[0].verdict, Verdict.RESOLVE);
      assert.deepEqual(r.work, [0]);
    });

    test('link-local echo is answered from the link-local address', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6('fe80::2'), NeighState.REACHABLE, TABLE_MAC);
      const r = hp.rx([echo({ src: 'fe80::2', dst: LL })]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY);
      const rep = decode(hp.readRx(0, r.iov[0].length));
      assert.equal(formatIp6(rep.src), LL);
      assert.equal(formatIp6(rep.dst), 'fe80::2');
      assert.ok(rep.checksumOk);
    });

    test('using a STALE entry emits exactly one NEIGH_STALE_USED event per epoch (RFC 4861 §7.3.3)', () => {
      const hp = setup(build.simd);
      const idx = hp.neighbor(1, parseIp6(PEER), NeighState.STALE, TABLE_MAC);
      const head = (): number => hp.dv.getUint32(L.EVENT_HEAD, true);
      assert.equal(head(), 0);
      const r = hp.rx([echo()]);
      assert.equal(r.slots[0].verdict, Verdict.TX_READY, 'a STALE entry is usable (§7.3.3)');
      assert.equal(decode(hp.readRx(0, r.iov[0].length)).dstMac, TABLE_MAC);
      assert.equal(head(), 1, 'EVENT_HEAD advanced by one');
      const ev = L.EVENT_BASE; // slot 0 of the ring
      assert.deepEqual(
        { kind: hp.dv.getUint16(ev, true), ifindex: hp.dv.getUint16(ev + 2, true), arg: hp.dv.getUint32(ev + 4, true) },
        { kind: L.EventKind.NEIGH_STALE_USED, ifindex: 1, arg: idx },
      );
      // Used again (two more frames) without a state change: no new event.
      const r2 = hp.rx([echo(), echo()]);
      assert.deepEqual(r2.slots.map((s) => s.verdict), [Verdict.TX_READY, Verdict.TX_READY]);
      assert.equal(head(), 1, 'no second event in the same epoch');
      // TypeScript changes the entry (epoch bump): the next use reports again.
      hp.neighbors.update(idx, NeighState.STALE, undefined);
      hp.rx([echo()]);
      assert.equal(head(), 2, 'a new epoch reports again');
      assert.equal(hp.dv.getUint32(L.EVENT_LOST, true), 0);
    });

    test('echo request to a multicast group goes to the control plane (RFC 4443 §2.2 b)', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
      const r = hp.rx([ethFrame({ srcMac: parseMac(PEER_MAC), src: PEER, dst: 'ff02::1', upper: echoRequest(1, 1) })]);
      expectControl(r, Verdict.CONTROL, ControlKind.ECHO_MULTICAST);
      assert.deepEqual(r.iov, []);
    });

    test(
      'echo request to an anycast address is not answered from it (RFC 4443 §2.2 b)',
      () => {
        const hp = setup(build.simd);
        hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
        const r = hp.rx([echo({ dst: '2001:db8::80' })]);
        // The control plane picks a unicast source and answers (RFC 4443 §4.1).
        expectControl(r, Verdict.CONTROL, ControlKind.ECHO_MULTICAST);
        assert.deepEqual(r.iov, [], 'not answered in place from the anycast address');
      },
    );

    test(
      'echo reply carries Code 0 whatever the request carried (RFC 4443 §4.2)',
      () => {
        const hp = setup(build.simd);
        hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
        const m = echoRequest(1, 1);
        m[1] = 48;
        const r = hp.rx([frame({ upper: m })]);
        assert.equal(r.slots[0].verdict, Verdict.TX_READY);
        const rep = decode(hp.readRx(0, r.iov[0].length));
        assert.ok(rep.checksumOk);
        assert.equal(rep.icmpCode, 0);
      },
    );

    test('echo request from the unspecified address is dropped (RFC 4443 §4.2)', () => {
      expectDrop(setup(build.simd), echo({ src: '::' }), DropReason.ECHO_UNSPEC_SOURCE);
    });

    test('echo request shorter than 8 bytes is dropped (RFC 4443 §4.1)', () => {
      const m = echoRequest(1, 1).subarray(0, 6);
      expectDrop(setup(build.simd), echo({ upper: m }), DropReason.ICMP6_TRUNCATED);
    });

    test('echo reply for us is delivered (RFC 4443 §4.2)', () => {
      const hp = setup(build.simd);
      const m = echoRequest(9, 9);
      m[0] = 129;
      const r = hp.rx([frame({ upper: m })]);
      expectControl(r, Verdict.DELIVER, ControlKind.ECHO_REPLY);
    });

    // --- ICMPv6 (RFC 4443) ----------------------------------------------------------
    test('bad ICMPv6 checksum is dropped and counted in Icmp6InCsumErrors (RFC 4443 §2.3)', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
      const f = echo();
      f[14 + 40 + 2] ^= 0x01;
      const c0 = hp.counterValues();
      expectDrop(hp, f, DropReason.ICMP6_CHECKSUM);
      const d = deltas(c0, hp.counterValues());
      assert.equal(d[Counter.Icmp6InCsumErrors], 1);
      assert.equal(d[Counter.Icmp6InErrors], 1);
      assert.equal(d[Counter.Icmp6OutEchoReplies], undefined, 'no reply');
    });

    test('a checksum computed without the pseudo-header is rejected (RFC 4443 §2.3)', () => {
      const m = echoRequest(1, 1);
      const f = echo({ upper: m, checksum: false });
      // RFC 1071 checksum over the ICMPv6 message alone (no pseudo-header).
      let s = 0;
      for (let i = 0; i < m.length; i += 2) s += (m[i] << 8) | m[i + 1];
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      f[56] = (~s >> 8) & 0xff;
      f[57] = ~s & 0xff;
      expectDrop(setup(build.simd), f, DropReason.ICMP6_CHECKSUM);
    });

    test('unknown informational type 200 is silently discarded (RFC 4443 §2.4 b)', () => {
      const m = new Uint8Array(8);
      m[0] = 200;
      expectDrop(setup(build.simd), frame({ upper: m }), DropReason.ICMP6_UNKNOWN_INFO);
    });

    test('ICMPv6 error messages go to the upper layer (RFC 4443 §2.4 a)', () => {
      const hp = setup(build.simd);
      const m = new Uint8Array(8 + 48);
      m[0] = 1; // Destination Unreachable
      m[1] = 4;
      const c0 = hp.counterValues();
      expectControl(hp.rx([frame({ upper: m })]), Verdict.CONTROL, ControlKind.ICMP6_ERROR);
      assert.equal(deltas(c0, hp.counterValues())[Counter.Icmp6InDestUnreachs], 1);
    });

    test('MLD queries go to the control plane (RFC 2710 §3, RFC 3810 §5)', () => {
      const hp = setup(build.simd);
      const m = new Uint8Array(24);
      m[0] = 130;
      const r = hp.rx([ethFrame({ srcMac: parseMac(PEER_MAC), src: 'fe80::9', dst: 'ff02::1', hopLimit: 1, upper: m })]);
      expectControl(r, Verdict.CONTROL, ControlKind.MLD);
    });

    test('ICMPv6 shorter than its 4-byte header is dropped (RFC 4443 §2.1)', () => {
      expectDrop(setup(build.simd), frame({ upper: Uint8Array.from([128, 0, 0]), checksum: false }), DropReason.ICMP6_TRUNCATED);
    });

    // --- Neighbor Discovery (RFC 4861) -----------------------------------------------
    test('NS with Hop Limit ≠ 255 is dropped (RFC 4861 §7.1.1)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, ns({ hopLimit: 254 }), DropReason.ND_HOP_LIMIT);
      expectDrop(hp, ns({ hopLimit: 1 }), DropReason.ND_HOP_LIMIT);
    });

    test('NS with ICMP Code ≠ 0 is dropped (RFC 4861 §7.1.1)', () => {
      expectDrop(setup(build.simd), ns({}, (m) => (m[1] = 1)), DropReason.ND_CODE);
    });

    test('NS shorter than 24 bytes is dropped (RFC 4861 §7.1.1)', () => {
      const m = nsMessage(parseIp6(OURS)).subarray(0, 20);
      const f = ethFrame({ srcMac: parseMac(PEER_MAC), src: PEER, dst: solicitedNode(parseIp6(OURS)), hopLimit: 255, upper: m });
      expectDrop(setup(build.simd), f, DropReason.ICMP6_TRUNCATED);
    });

    test('NS with valid hop limit, code and length goes to the control plane as ND (RFC 4861 §7.1.1)', () => {
      const hp = setup(build.simd);
      const c0 = hp.counterValues();
      const d0 = hp.dropCounts();
      const r = hp.rx([ns()]);
      assert.deepEqual(r.slots[0], { verdict: Verdict.CONTROL, reason: ControlKind.ND, l3: 14, l4: 54, aux: 40 + 32 });
      assert.deepEqual(r.work, [0]);
      assert.deepEqual(r.iov, []);
      assert.equal(deltas(c0, hp.counterValues())[Counter.Icmp6InNeighborSolicits], 1);
      assert.deepEqual(deltas(d0, hp.dropCounts()), {});
    });

    test('DAD NS (from ::) for a tentative address goes to the control plane (RFC 4862 §5.4.3)', () => {
      const hp = setup(build.simd);
      const tent = parseIp6('2001:db8::7');
      const f = ethFrame({ srcMac: parseMac(PEER_MAC), src: '::', dst: solicitedNode(tent), hopLimit: 255, upper: nsMessage(tent) });
      expectControl(hp.rx([f]), Verdict.CONTROL, ControlKind.ND);
    });

    test('unicast NS to a tentative address is accepted; other packets to it are discarded (RFC 4862 §5.4)', () => {
      const hp = setup(build.simd);
      const tent = parseIp6('2001:db8::7');
      const f = frame({ dst: tent, hopLimit: 255, upper: nsMessage(tent, parseMac(PEER_MAC)) });
      expectControl(hp.rx([f]), Verdict.CONTROL, ControlKind.ND);
      expectDrop(hp, echo({ dst: tent }), DropReason.IP6_TENTATIVE);
      expectDrop(hp, frame({ dst: tent, nextHeader: 17, upper: udp(1, 2, new Uint8Array(4)) }), DropReason.IP6_TENTATIVE);
    });

    test('NA with valid fields goes to the control plane (RFC 4861 §7.1.2)', () => {
      const hp = setup(build.simd);
      const m = naMessage(parseIp6(PEER), { s: true, o: true }, parseMac(PEER_MAC));
      const r = hp.rx([frame({ hopLimit: 255, upper: m })]);
      expectControl(r, Verdict.CONTROL, ControlKind.ND);
      expectDrop(hp, frame({ hopLimit: 64, upper: m }), DropReason.ND_HOP_LIMIT);
    });

    // --- IPv6 (RFC 8200, RFC 4291) ----------------------------------------------------
    test('Payload Length beyond the frame is dropped (RFC 8200 §3)', () => {
      const hp = setup(build.simd);
      const m = echoRequest(1, 1);
      const c0 = hp.counterValues();
      expectDrop(hp, echo({ upper: m, payloadLength: m.length + 1 }), DropReason.IP6_TRUNCATED);
      assert.equal(deltas(c0, hp.counterValues())[Counter.Ip6InTruncatedPkts], 1);
    });

    test('a packet shorter than the 40-byte IPv6 header is dropped (RFC 8200 §3)', () => {
      expectDrop(setup(build.simd), echo().subarray(0, 14 + 39), DropReason.IP6_TRUNCATED);
    });

    test('Version ≠ 6 is dropped (RFC 8200 §3)', () => {
      const f = echo();
      f[14] = 0x45;
      expectDrop(setup(build.simd), f, DropReason.IP6_VERSION);
    });

    test('a multicast source address is dropped (RFC 4291 §2.7)', () => {
      expectDrop(setup(build.simd), echo({ src: 'ff02::1' }), DropReason.IP6_SRC_MULTICAST);
    });

    test('the loopback address never arrives from a link (RFC 4291 §2.5.3)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, echo({ src: '::1' }), DropReason.IP6_SRC_LOOPBACK);
      expectDrop(hp, echo({ dst: '::1' }), DropReason.IP6_SRC_LOOPBACK);
    });

    test('a unicast destination that is not ours is dropped (RFC 4291 §2.1)', () => {
      expectDrop(setup(build.simd), echo({ dst: '2001:db8::99' }), DropReason.IP6_NOT_OURS);
    });

    test('a multicast group we did not join is dropped (RFC 4291 §2.7)', () => {
      const hp = setup(build.simd);
      const f = (dst: string): Uint8Array => ethFrame({ srcMac: parseMac(PEER_MAC), src: PEER, dst, upper: echoRequest(1, 1) });
      expectDrop(hp, f('ff02::1:ff00:99'), DropReason.IP6_GROUP_NOT_JOINED);
      expectDrop(hp, f('ff02::2'), DropReason.IP6_GROUP_NOT_JOINED); // all-routers: we are a host
    });

    test('a link-local address belongs to its own link only (RFC 4007 §6)', () => {
      const hp = setup(build.simd);
      hp.configure([
        { ifindex: 1, mac: OUR_MAC, hopLimit: HOP_LIMIT, addresses: [`${OURS}/64`, `${LL}/64`] },
        { ifindex: 2, mac: '02:00:00:00:00:03', addresses: ['2001:db8:2::1/64'] },
      ]);
      const f = ethFrame({ dstMac: parseMac('02:00:00:00:00:03'), srcMac: parseMac(PEER_MAC), src: 'fe80::2', dst: LL, upper: echoRequest(1, 1) });
      expectDrop(hp, f, DropReason.IP6_NOT_OURS, 2);
    });

    test('Next Header 59 (No Next Header) is dropped (RFC 8200 §4.7)', () => {
      expectDrop(setup(build.simd), frame({ nextHeader: 59, upper: new Uint8Array(8), checksum: false }), DropReason.IP6_NO_NEXT_HEADER);
    });

    test('an extension header that does not fit its packet is dropped as malformed (RFC 8200 §4)', () => {
      const hp = setup(build.simd);
      for (const nh of [0, 43, 60]) {
        const hdr = new Uint8Array(8);
        hdr[0] = 59;
        hdr[1] = 3; // 32 bytes claimed, 8 present
        expectDrop(hp, frame({ nextHeader: nh, upper: hdr, checksum: false }), DropReason.IP6_EXT_MALFORMED);
      }
      expectDrop(hp, frame({ nextHeader: 44, upper: new Uint8Array(4), checksum: false }), DropReason.IP6_EXT_MALFORMED);
    });

    // --- UDP (RFC 768, RFC 8200 §8.1) ---------------------------------------------------
    test('UDP with checksum 0 is dropped over IPv6 (RFC 8200 §8.1)', () => {
      const f = frame({ nextHeader: 17, upper: udp(5000, 7, new Uint8Array([1, 2, 3])), checksum: false });
      expectDrop(setup(build.simd), f, DropReason.UDP_ZERO_CHECKSUM);
    });

    test('UDP with a bad checksum is dropped (RFC 768)', () => {
      const f = frame({ nextHeader: 17, upper: udp(5000, 7, new Uint8Array([1, 2, 3])) });
      f[14 + 40 + 8] ^= 0x80;
      expectDrop(setup(build.simd), f, DropReason.UDP_CHECKSUM);
    });

    test('UDP Length beyond the payload or below 8 is dropped (RFC 768)', () => {
      const hp = setup(build.simd);
      expectDrop(hp, frame({ nextHeader: 17, upper: udp(1, 2, new Uint8Array(4), 13) }), DropReason.UDP_TRUNCATED);
      expectDrop(hp, frame({ nextHeader: 17, upper: udp(1, 2, new Uint8Array(4), 7) }), DropReason.UDP_TRUNCATED);
    });

    test('a valid UDP datagram is delivered (RFC 768)', () => {
      const hp = setup(build.simd);
      const c0 = hp.counterValues();
      const r = hp.rx([frame({ nextHeader: 17, upper: udp(5000, 7, Uint8Array.from([1, 2, 3, 4, 5])) })]);
      assert.deepEqual(r.slots[0], { verdict: Verdict.DELIVER, reason: ControlKind.UDP, l3: 14, l4: 54, aux: 40 + 13 });
      assert.deepEqual(r.work, [0]);
      assert.equal(deltas(c0, hp.counterValues())[Counter.Ip6InDelivers], 1);
    });

    test(
      'UDP checksum uses the UDP Length, not the Payload Length, in the pseudo-header (RFC 8200 §8.1)',
      () => {
        const hp = setup(build.simd);
        const d = udp(5000, 7, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
        const c = upperChecksum(parseIp6(PEER), parseIp6(OURS), 17, d);
        d[6] = c >> 8;
        d[7] = c & 0xff;
        const upper = new Uint8Array(d.length + 4); // 4 bytes after the datagram, inside Payload Length
        upper.set(d);
        const r = hp.rx([frame({ nextHeader: 17, upper, checksum: false })]);
        assert.equal(Verdict[r.slots[0].verdict], 'DELIVER', `got ${DropReason[r.slots[0].reason]}`);
      },
    );

    // --- link layer and descriptors ------------------------------------------------------
    test('a frame to another unicast MAC is dropped', () => {
      expectDrop(setup(build.simd), echo({ dstMac: parseMac('02:00:00:00:00:77') }), DropReason.L2_NOT_FOR_US);
    });

    test('an ethertype that is neither IPv6, IPv4 nor ARP (0x88b5) is dropped (RFC 2464 §3)', () => {
      expectDrop(setup(build.simd), echo({ ethertype: 0x88b5 }), DropReason.L2_ETHERTYPE);
    });

    test('a frame shorter than an Ethernet header is dropped', () => {
      const hp = setup(build.simd);
      expectDrop(hp, echo().subarray(0, 13), DropReason.L2_TRUNCATED);
      expectDrop(hp, new Uint8Array(0), DropReason.L2_TRUNCATED);
    });

    test('a descriptor length larger than a slot is dropped before any read', () => {
      const hp = setup(build.simd);
      expectDrop(hp, { frame: echo(), len: L.SLOT_SIZE + 1 }, DropReason.SLOT_OVERFLOW);
      expectDrop(hp, { frame: echo(), len: 0xffffffff }, DropReason.SLOT_OVERFLOW);
    });

    test('every frame on a down or unknown interface is dropped as IFACE_DOWN', () => {
      const hp = setup(build.simd);
      hp.configure([{ ifindex: 1, mac: OUR_MAC, up: false, addresses: [`${OURS}/64`] }]);
      const before = hp.dropCounts();
      const r = hp.rx([echo(), ns(), new Uint8Array(3)]);
      assert.deepEqual(r.slots.map((s) => [s.verdict, s.reason]), Array(3).fill([Verdict.DROP, DropReason.IFACE_DOWN]));
      assert.deepEqual(deltas(before, hp.dropCounts()), { [DropReason.IFACE_DOWN]: 3 });
      expectDrop(hp, echo(), DropReason.IFACE_DOWN, 5); // never configured
      expectDrop(hp, echo(), DropReason.IFACE_DOWN, L.MAX_IFACES); // out of range
    });

    test('on a TUN interface (no Ethernet) the reply is the bare IPv6 packet', () => {
      const hp = setup(build.simd);
      hp.configure([{ ifindex: 3, ethernet: false, hopLimit: 99, addresses: ['2001:db8:3::1/64'] }]);
      const pkt = ipv6Packet({ src: '2001:db8:3::2', dst: '2001:db8:3::1', upper: echoRequest(5, 6, DATA) });
      const r = hp.rx([pkt], 3);
      assert.deepEqual(r.slots[0], { verdict: Verdict.TX_READY, reason: 0, l3: 0, l4: 40, aux: pkt.length });
      assert.deepEqual(r.iov, [{ offset: hp.engine.rxSlot(0), length: pkt.length }]);
      const framed = new Uint8Array(14 + pkt.length);
      framed.set(hp.readRx(0, pkt.length), 14);
      const rep = decode(framed);
      assert.equal(rep.icmpType, 129);
      assert.equal(rep.hopLimit, 99);
      assert.equal(formatIp6(rep.dst), '2001:db8:3::2');
      assert.ok(rep.checksumOk);
    });

    test('a mixed burst: one verdict per slot, write list and work list in slot order', () => {
      const hp = setup(build.simd);
      hp.neighbor(1, parseIp6(PEER), NeighState.REACHABLE, TABLE_MAC);
      const frames = [echo(), ns(), echo({ dst: '2001:db8::99' }), echo(), frame({ nextHeader: 17, upper: udp(1, 2, new Uint8Array(2)) })];
      const before = hp.dropCounts();
      const r = hp.rx(frames);
      assert.deepEqual(r.slots.map((s) => s.verdict), [Verdict.TX_READY, Verdict.CONTROL, Verdict.DROP, Verdict.TX_READY, Verdict.DELIVER]);
      assert.deepEqual(r.iov, [
        { offset: hp.engine.rxSlot(0), length: frames[0].length },
        { offset: hp.engine.rxSlot(3), length: frames[3].length },
      ]);
      assert.deepEqual(r.work, [1, 4]);
      assert.deepEqual(deltas(before, hp.dropCounts()), { [DropReason.IP6_NOT_OURS]: 1 });
    });
  });
}
