// UDP demultiplexing in the hot path (asm/table/udp.ts, asm/path/udp-demux.ts)
// and its TypeScript mirror (src/socket/udp-table.ts), on both builds:
// golden frames for each verdict with counter deltas, and a property test that
// the WASM lookup answers exactly as PortSpace.lookup (Linux's compute_score
// rules with V6ONLY, USAGI paper §4) over random bind sets.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { parseIp6, parseMac, type Ip6 } from '../../src/wire/address.js';
import { PortSpace, type BoundUdpSocket, type UdpBindRequest } from '../../src/socket/portspace.js';
import { ethFrame, upperChecksum } from '../support/frames.js';
import { eth4, ipv4Packet, udp4 } from '../support/frames4.js';
import { BUILDS, Harness, deltas, mapped4, prng } from '../support/engine.js';

const { Verdict, DropReason, ControlKind, Counter } = L;
const NONE = 0xffffffff;

const OUR_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02';
const OURS4 = '10.0.0.1';
const PEER4 = '10.0.0.2';
const OURS6 = '2001:db8::1';
const PEER6 = '2001:db8::2';

function setup(simd: boolean): Harness {
  const hp = new Harness(simd, [
    { ifindex: 1, mac: OUR_MAC, addresses: [`${OURS6}/64`, 'fe80::1/64'], ipv4: [`${OURS4}/24`], groups4: ['239.1.2.3'] },
    { ifindex: 2, ethernet: false, ipv4: ['192.168.2.1/24'], addresses: ['2001:db8:2::1/64'] },
  ]);
  hp.udp; // attach the table: UDP_OVERFLOW cleared
  return hp;
}

const space = (): PortSpace => new PortSpace(() => true, { random: prng(7) });
const PAYLOAD = Uint8Array.from([1, 2, 3, 4, 5]);

function dgram4(dst: string, port: number, o: Parameters<typeof udp4>[5] = {}): Uint8Array {
  const dstMac = dst === '255.255.255.255' || dst.endsWith('.255') ? 'ff:ff:ff:ff:ff:ff' : dst.startsWith('239.') ? '01:00:5e:01:02:03' : OUR_MAC;
  return eth4({ dstMac, srcMac: PEER_MAC, src: PEER4, dst, proto: 17, upper: udp4(PEER4, dst, 40000, port, PAYLOAD, o) });
}

function dgram6(dst: string, port: number): Uint8Array {
  const d = new Uint8Array(8 + PAYLOAD.length);
  const v = new DataView(d.buffer);
  v.setUint16(0, 40000);
  v.setUint16(2, port);
  v.setUint16(4, d.length);
  d.set(PAYLOAD, 8);
  v.setUint16(6, upperChecksum(parseIp6(PEER6), parseIp6(dst), 17, d));
  const dstMac = dst.startsWith('ff') ? parseMac('02:00:00:00:00:01').map((b, i) => (i === 0 ? 0x33 : b)) : parseMac(OUR_MAC);
  return ethFrame({ dstMac, srcMac: parseMac(PEER_MAC), src: PEER6, dst, nextHeader: 17, upper: d, checksum: false });
}

/** Binds and mirrors; returns the handle. */
function bind(hp: Harness, ps: PortSpace, req: UdpBindRequest): BoundUdpSocket {
  const r = ps.bind(req);
  assert.ok(r.ok, `bind ${JSON.stringify({ ...req, addr: Array.from(req.addr) })}`);
  hp.udp.syncPort(r.port, ps.socketsOn(r.port));
  return r.handle;
}

function one(hp: Harness, f: Uint8Array, ifindex = 1) {
  const d0 = hp.dropCounts();
  const c0 = hp.counterValues();
  const r = hp.rx([f], ifindex);
  return { slot: r.slots[0], work: r.work, sock: hp.rxSock(0), drops: deltas(d0, hp.dropCounts()), counters: deltas(c0, hp.counterValues()) };
}

for (const build of BUILDS) {
  describe(`UDP demultiplexing, ${build.name} build`, () => {
    test('IPv4 unicast to a bound socket → DELIVER UDP4 with its entry; UdpInDatagrams counted by WASM', () => {
      const hp = setup(build.simd);
      const ps = space();
      const s = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 5353 });
      const r = one(hp, dgram4(OURS4, 5353));
      assert.deepEqual(r.slot, { verdict: Verdict.DELIVER, reason: ControlKind.UDP4, l3: 14, l4: 34, aux: 20 + 8 + PAYLOAD.length });
      assert.deepEqual(r.work, [0]);
      assert.equal(hp.udp.socketAt(r.sock), s);
      assert.deepEqual(r.drops, {});
      assert.deepEqual(r.counters, { [Counter.IpInReceives]: 1, [Counter.IpInDelivers]: 1, [Counter.UdpInDatagrams]: 1 });
      // RFC 768: checksum 0 = none, legal over IPv4.
      assert.equal(hp.udp.socketAt(one(hp, dgram4(OURS4, 5353, { checksum: 'zero' })).sock), s);
    });

    test('a connected socket on the port: WASM hands the datagram to TypeScript, which scores the peer (compute_score)', () => {
      const hp = setup(build.simd);
      const ps = space();
      const a = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 6000, reuseAddr: true });
      const b = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 6000, reuseAddr: true });
      assert.equal(hp.udp.socketAt(one(hp, dgram4(OURS4, 6000)).sock), b); // newest wins while neither is connected
      ps.connect(a, { addr: mapped4(PEER4), port: 40000 });
      hp.connectedSockets.add(a);
      hp.udp.syncPort(6000, ps.socketsOn(6000));
      const r = one(hp, dgram4(OURS4, 6000));
      assert.deepEqual(r.slot, { verdict: Verdict.DELIVER, reason: ControlKind.UDP4, l3: 14, l4: 34, aux: 20 + 8 + PAYLOAD.length });
      assert.equal(r.sock, NONE);
      assert.equal(r.counters[Counter.UdpInDatagrams], undefined); // TypeScript counts what it delivers
      assert.equal(hp.udpLookup(4, mapped4(OURS4), 6000, 1), 0xfffffffe); // UDP_ASK
      // TypeScript's answer: the peer goes to the connected socket (+4 +4), another source to the other one.
      assert.equal(ps.lookup(mapped4(OURS4), 6000, 4, 1, mapped4(PEER4), 40000), a);
      assert.equal(ps.lookup(mapped4(OURS4), 6000, 4, 1, mapped4(PEER4), 40001), b);
      assert.equal(ps.lookup(mapped4(OURS4), 6000, 4, 1, mapped4('10.0.0.9'), 40000), b);
    });

    test('UDP over IPv4: bad checksum, short Length, Length beyond the payload → dropped (RFC 768)', () => {
      const hp = setup(build.simd);
      let r = one(hp, dgram4(OURS4, 5353, { checksum: 'bad' }));
      assert.deepEqual([r.slot.verdict, r.slot.reason], [Verdict.DROP, DropReason.UDP_CHECKSUM]);
      assert.deepEqual(r.drops, { [DropReason.UDP_CHECKSUM]: 1 });
      assert.equal(r.counters[Counter.UdpInCsumErrors], 1);
      assert.equal(r.counters[Counter.UdpInErrors], 1);
      for (const length of [7, 8 + PAYLOAD.length + 1]) {
        r = one(hp, dgram4(OURS4, 5353, { checksum: 'zero', length }));
        assert.deepEqual(r.drops, { [DropReason.UDP_TRUNCATED]: 1 });
      }
      r = one(hp, eth4({ dstMac: OUR_MAC, srcMac: PEER_MAC, src: PEER4, dst: OURS4, proto: 17, upper: new Uint8Array(7) }));
      assert.deepEqual(r.drops, { [DropReason.UDP_TRUNCATED]: 1 });
    });

    test('unicast with no socket → CONTROL UDP_NO_PORT, dropped and counted (both families)', () => {
      const hp = setup(build.simd);
      let r = one(hp, dgram4(OURS4, 9));
      assert.deepEqual([r.slot.verdict, r.slot.reason, r.sock], [Verdict.CONTROL, ControlKind.UDP_NO_PORT, NONE]);
      assert.deepEqual(r.work, [0]);
      assert.deepEqual(r.drops, { [DropReason.UDP_NO_PORT]: 1 });
      assert.equal(r.counters[Counter.UdpNoPorts], 1);
      r = one(hp, dgram6(OURS6, 9));
      assert.deepEqual([r.slot.verdict, r.slot.reason], [Verdict.CONTROL, ControlKind.UDP_NO_PORT]);
      assert.deepEqual(r.drops, { [DropReason.UDP_NO_PORT]: 1 });
      assert.equal(r.counters[Counter.Udp6NoPorts], 1);
    });

    test('broadcast and multicast: DELIVER with socket 0xffffffff if the port has sockets, else DROP UDP_NO_PORT', () => {
      const hp = setup(build.simd);
      for (const dst of ['255.255.255.255', '10.0.0.255', '239.1.2.3']) {
        const r = one(hp, dgram4(dst, 5353));
        assert.deepEqual([r.slot.verdict, r.slot.reason], [Verdict.DROP, DropReason.UDP_NO_PORT], dst);
        assert.deepEqual(r.drops, { [DropReason.UDP_NO_PORT]: 1 });
        assert.equal(r.counters[Counter.UdpNoPorts], undefined, 'no ICMP owed, not a NoPorts');
      }
      let r = one(hp, dgram6('ff02::1', 5353));
      assert.deepEqual(r.drops, { [DropReason.UDP_NO_PORT]: 1 });
      const ps = space();
      bind(hp, ps, { family: 6, addr: parseIp6('::'), port: 5353 });
      for (const dst of ['255.255.255.255', '10.0.0.255', '239.1.2.3']) {
        r = one(hp, dgram4(dst, 5353));
        assert.deepEqual([r.slot.verdict, r.slot.reason, r.sock], [Verdict.DELIVER, ControlKind.UDP4, NONE], dst);
        assert.equal(r.counters[Counter.UdpInDatagrams], undefined, 'TypeScript counts fan-out');
      }
      r = one(hp, dgram6('ff02::1', 5353));
      assert.deepEqual([r.slot.verdict, r.slot.reason, r.sock], [Verdict.DELIVER, ControlKind.UDP, NONE]);
    });

    test('IPv6 unicast → DELIVER UDP with its entry; Udp6InDatagrams counted', () => {
      const hp = setup(build.simd);
      const ps = space();
      const s = bind(hp, ps, { family: 6, addr: parseIp6('::'), port: 7000 });
      const r = one(hp, dgram6(OURS6, 7000));
      assert.deepEqual(r.slot, { verdict: Verdict.DELIVER, reason: ControlKind.UDP, l3: 14, l4: 54, aux: 40 + 8 + PAYLOAD.length });
      assert.equal(hp.udp.socketAt(r.sock), s);
      assert.deepEqual(r.counters, { [Counter.Ip6InReceives]: 1, [Counter.Ip6InDelivers]: 1, [Counter.Udp6InDatagrams]: 1 });
      // …and the same udp6 :: socket (not V6ONLY) takes IPv4 too (USAGI paper §4).
      assert.equal(hp.udp.socketAt(one(hp, dgram4(OURS4, 7000)).sock), s);
    });

    test('V6ONLY: a udp4 socket and a V6ONLY udp6 socket share a port, each family to its own', () => {
      const hp = setup(build.simd);
      const ps = space();
      const s6 = bind(hp, ps, { family: 6, addr: parseIp6('::'), port: 8000, v6only: true });
      const s4 = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 8000 });
      assert.equal(hp.udp.socketAt(one(hp, dgram4(OURS4, 8000)).sock), s4);
      assert.equal(hp.udp.socketAt(one(hp, dgram6(OURS6, 8000)).sock), s6);
      ps.unbind(s4);
      hp.udp.syncPort(8000, ps.socketsOn(8000));
      assert.equal(one(hp, dgram4(OURS4, 8000)).slot.reason, ControlKind.UDP_NO_PORT, 'V6ONLY: no IPv4 side');
    });

    test('a specific address beats the wildcard; ties go to the newest bind', () => {
      const hp = setup(build.simd);
      const ps = space();
      const wild = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 9000, reuseAddr: true });
      const exact = bind(hp, ps, { family: 4, addr: mapped4(OURS4), port: 9000, reuseAddr: true });
      assert.equal(hp.udp.socketAt(one(hp, dgram4(OURS4, 9000)).sock), exact);
      assert.equal(hp.udp.socketAt(one(hp, ipv4Packet({ src: '192.168.2.9', dst: '192.168.2.1', proto: 17, upper: udp4('192.168.2.9', '192.168.2.1', 1, 9000, PAYLOAD) }), 2).sock), wild);
      const wild2 = bind(hp, ps, { family: 4, addr: mapped4('0.0.0.0'), port: 9000, reuseAddr: true });
      assert.equal(hp.udp.socketAt(one(hp, ipv4Packet({ src: '192.168.2.9', dst: '192.168.2.1', proto: 17, upper: udp4('192.168.2.9', '192.168.2.1', 1, 9000, PAYLOAD) }), 2).sock), wild2);
      assert.notEqual(wild, wild2);
    });

    test('overflow: more than MAX_UDP_SOCKETS → UDP_OVERFLOW, every datagram to TypeScript; cleared when all fit again', () => {
      const hp = setup(build.simd);
      const fake = (port: number, k: number): BoundUdpSocket =>
        ({ family: 4, v6only: false, reuseAddr: true, addr: mapped4(`10.0.${k >> 8}.${k & 0xff}`), port, ifindex: undefined, request: { family: 4, addr: mapped4('0.0.0.0'), port } });
      const all = new Map<number, BoundUdpSocket[]>();
      for (let p = 1; p <= 5; p++) all.set(p, Array.from({ length: 1000 }, (_, k) => fake(p, k)));
      hp.udp.resyncAll(all);
      assert.equal(hp.udp.overflow, true);
      assert.equal(hp.dv.getUint32(L.UDP_OVERFLOW, true), 1);
      let r = one(hp, dgram4(OURS4, 9));
      assert.deepEqual([r.slot.verdict, r.slot.reason, r.sock], [Verdict.DELIVER, ControlKind.UDP4, NONE], 'no port: still TypeScript’s call');
      r = one(hp, dgram6(OURS6, 9));
      assert.deepEqual([r.slot.verdict, r.slot.reason, r.sock], [Verdict.DELIVER, ControlKind.UDP, NONE]);
      // syncPort brings the total back to 4000: the table is rewritten and WASM decides again.
      hp.udp.syncPort(5, []);
      assert.equal(hp.udp.overflow, false);
      assert.equal(hp.udp.size, 4000);
      r = one(hp, dgram4(OURS4, 3));
      assert.deepEqual([r.slot.verdict, r.slot.reason], [Verdict.DELIVER, ControlKind.UDP4]);
      assert.equal(hp.udp.socketAt(r.sock)?.port, 3);
      assert.equal(one(hp, dgram4(OURS4, 5)).slot.reason, ControlKind.UDP_NO_PORT);
      // One port too many overflows from syncPort too; resyncAll with what fits clears it.
      hp.udp.syncPort(6, Array.from({ length: 97 }, (_, k) => fake(6, k)));
      assert.equal(hp.udp.overflow, true);
      all.delete(5);
      hp.udp.resyncAll(all);
      assert.equal(hp.udp.overflow, false);
      assert.equal(hp.dv.getUint32(L.UDP_OVERFLOW, true), 0);
    });

    test(`property: udpLookup answers as PortSpace.lookup over random bind sets (${build.name})`, () => {
      const hp = setup(build.simd);
      const rand = prng(build.simd ? 1234 : 4321);
      const int = (n: number): number => Math.floor(rand() * n);
      const pick = <T>(a: readonly T[]): T => a[int(a.length)];
      const V4 = ['10.0.0.1', '10.0.0.2', '192.168.2.1'];
      const V6 = ['2001:db8::1', '2001:db8::2', '2001:db8:2::1'];
      const ps = new PortSpace(() => true, { random: rand, ephemeralRange: [40000, 40003] });
      const PORTS = [7, 53, 5353, 40000, 40001, 40002, 40003];
      const live: BoundUdpSocket[] = [];
      const addr4 = (): Ip6 => mapped4(pick([...V4, '0.0.0.0', '239.1.2.3', '255.255.255.255']));
      const addr6 = (): { addr: Ip6; ifindex?: number } => {
        const k = int(8);
        if (k < 2) return { addr: parseIp6('::') };
        if (k === 2) return { addr: mapped4(pick([...V4, '0.0.0.0'])) };
        if (k === 3) return { addr: parseIp6('fe80::1'), ifindex: 1 + int(3) };
        if (k === 4) return { addr: parseIp6('ff02::1:3'), ifindex: 1 + int(3) };
        return { addr: parseIp6(pick(V6)) };
      };
      let binds = 0;
      let lookups = 0;
      const hits = { v4: 0, v6: 0, none: 0, dev: 0 };
      const check = (): void => {
        for (let k = 0; k < 60; k++) {
          const family = int(2) ? 4 : 6;
          let dst: Ip6;
          if (family === 4) dst = int(12) === 0 ? parseIp6(pick(V6)) : mapped4(pick([...V4, '10.0.0.9', '0.0.0.0', '239.1.2.3', '255.255.255.255']));
          else dst = int(10) === 0 ? mapped4(pick(V4)) : parseIp6(pick([...V6, '::', 'fe80::1', 'ff02::1:3', '2001:db8::99']));
          const port = int(20) === 0 ? int(65536) : pick(PORTS);
          const ifindex = int(4);
          const want = ps.lookup(dst, port, family as 4 | 6, ifindex);
          const idx = hp.udpLookup(family as 4 | 6, dst, port, ifindex);
          const got = idx === NONE ? undefined : hp.udp.socketAt(idx);
          assert.ok(idx === NONE || got !== undefined, `entry ${idx} is in use`);
          assert.equal(got, want, `lookup family ${family} port ${port} ifindex ${ifindex} dst ${Array.from(dst).join('.')}`);
          lookups++;
          if (!want) hits.none++;
          else if (want.ifindex !== undefined) hits.dev++;
          else if (family === 4) hits.v4++;
          else hits.v6++;
        }
      };
      for (let step = 0; step < 1500; step++) {
        if (live.length > 0 && int(10) < 3) {
          const s = live.splice(int(live.length), 1)[0];
          ps.unbind(s);
          hp.udp.syncPort(s.port, ps.socketsOn(s.port));
        } else {
          const family = int(2) ? 4 : 6;
          const a = family === 4 ? { addr: addr4() } : addr6();
          const v6only = int(3) === 0 ? undefined : int(2) === 0;
          const port = int(6) === 0 ? 0 : pick(PORTS);
          const r = ps.bind({ family, ...a, v6only, reuseAddr: int(4) !== 0, port });
          if (r.ok) {
            binds++;
            live.push(r.handle);
            hp.udp.syncPort(r.port, ps.socketsOn(r.port));
          }
        }
        if (step % 10 === 0) check();
      }
      // A full resync gives the same answers.
      const all = new Map<number, BoundUdpSocket[]>();
      for (const s of ps.sockets()) all.set(s.port, [...(all.get(s.port) ?? []), s]);
      hp.udp.resyncAll(all);
      check();
      assert.ok(binds > 500 && lookups > 5000, `${binds} binds, ${lookups} lookups`);
      for (const [k, v] of Object.entries(hits)) assert.ok(v > 100, `${k} answers reached (${v})`);
    });
  });
}
