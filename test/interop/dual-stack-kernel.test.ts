// Dual-stack interop with the Linux kernel across a TAP device (needs root).
//
// wasagi runs in this process on a TAP whose kernel side is moved into a fresh
// network namespace: 10.9.0.1/24 and 2001:db8:9::1/64 on the kernel,
// 10.9.0.2/24 and 2001:db8:9::2/64 on wasagi. Every test builds its own
// namespace, TAP and stack and removes them in `finally`, even on failure
// (and bench/netns.ts's exit handlers remove them if the process dies). The
// kernel's side of each UDP exchange is node:dgram run in the namespace
// (`ip netns exec NS node -e KERNEL_UDP '{json}'`), one JSON line per event.
//
//   - ARP both ways (RFC 826): each side's cache holds the other's MAC; the
//     kernel's unicast reconfirmation probe is answered.
//   - ICMP echo (RFC 792, RFC 4443): iputils ping -4 / -6 (also 3000 bytes) and stack.ping().
//   - UDP over IPv4 and IPv6 both ways (RFC 768); payloads, ports, rinfo.
//   - IPv4-mapped addresses on udp6 sockets (RFC 4291 §2.5.5.2, RFC 3493 §3.7).
//   - Port Unreachable → ECONNREFUSED on connected sockets, both sides
//     (RFC 1122 §4.1.3.1, RFC 4443 §3.1).
//   - A 3000-byte datagram fragmented by each side, reassembled by the other (RFC 791).
//   - Through the kernel as a router onto a 1000-byte MTU link: Frag Needed
//     and the IPv4 path MTU (RFC 1191).
//   - Multicast: the kernel's datagram to 239.1.2.3 reaches a member socket
//     (RFC 1112), and the IGMPv3 report on the wire (RFC 3376 §4.2, RFC 2113).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createStack, type Stack } from '../../src/stack/stack.js';
import type { Interface } from '../../src/stack/interface.js';
import type { PcapDevice } from '../../src/device/pcap.js';

import { join } from 'node:path';
import { createNamespace, createVethPair, deleteNamespace, ip, makeTempDir, nsName, run, runInNs, spawnInNs } from '../../bench/netns.js';
import { parsePing } from '../../bench/ping-parse.js';
import { interopSkipReason, kernelMac, sysctl, until } from '../support/interop.js';
import { KernelUdp, bound, collect, kernelSnmp } from '../support/kernel-udp.js';

const skip = interopSkipReason([['ip', 'iproute2'], ['ping', 'iputils-ping']]);
const tsharkSkip = skip ?? interopSkipReason([['tshark', 'tshark']]);

const W_MAC = '02:00:5e:00:d5:02';
const K4 = '10.9.0.1';
const W4 = '10.9.0.2';
const K6 = '2001:db8:9::1';
const W6 = '2001:db8:9::2';
const GROUP = '239.1.2.3';
/** The router test: the kernel's other leg and a host behind it. */
const R4 = '10.9.1.1';
const H4 = '10.9.1.2';

// --- per-test network ---------------------------------------------------------------

interface Net {
  ns: string;
  tap: string;
  stack: Stack;
  iface: Interface;
  kmac: string;
  /** With `router`: a second namespace on a veth behind the first (10.9.1.2/24, MTU 1000). */
  hostNs?: string;
  /** With `pcap`: wasagi's capture of the TAP. */
  pcap?: string;
}

let netCount = 0;

/** A namespace with the kernel's end of a fresh TAP, wasagi on the other; always removed. */
async function withNet(fn: (net: Net) => Promise<void>, opts: { router?: boolean; pcap?: boolean } = {}): Promise<void> {
  const k = ++netCount;
  const ns = nsName(`ds${k}`);
  const hostNs = opts.router ? nsName(`ds${k}h`) : undefined;
  const tap = `wsd${process.pid % 10000}x${k}`;
  let stack: Stack | undefined;
  const tmp = opts.pcap ? makeTempDir() : undefined;
  const pcap = tmp && join(tmp.dir, 'tap.pcap');
  try {
    await createNamespace(ns);
    if (hostNs) await createNamespace(hostNs);
    stack = createStack();
    // No DAD delay (dadTransmits 0), no RS: the addresses are usable at once.
    const iface = stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: W_MAC, addresses: [`${W6}/64`, `${W4}/24`], acceptRa: false, dadTransmits: 0, pcap });
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['link', 'set', tap, 'up'], ns);
    await ip(['addr', 'add', `${K4}/24`, 'dev', tap], ns);
    await ip(['addr', 'add', `${K6}/64`, 'dev', tap, 'nodad'], ns);
    if (hostNs) {
      await createVethPair({ ns, ifname: 'r0', addr: `${R4}/24` }, { ns: hostNs, ifname: 'h0', addr: `${H4}/24` });
      for (const [n, dev] of [[ns, 'r0'], [hostNs, 'h0']]) await ip(['link', 'set', dev, 'mtu', '1000'], n);
      await ip(['route', 'add', 'default', 'via', R4], hostNs);
      await sysctl(ns, 'net.ipv4.ip_forward=1');
    }
    const kmac = await kernelMac(ns, tap);
    await fn({ ns, tap, stack, iface, kmac, hostNs, pcap });
  } finally {
    stack?.close();
    if (hostNs) await deleteNamespace(hostNs);
    await deleteNamespace(ns);
    tmp?.release();
  }
}

/** Pings from the namespace until one reply arrives (the kernel's IPv6 on a new link needs a moment). */
async function warmUp6(ns: string): Promise<void> {
  const r = await runInNs(ns, ['ping', '-6', '-c', '1', '-w', '10', W6], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, `warm-up ping to ${W6} failed: ${r.stdout} ${r.stderr}`);
}

type Neigh = { dst: string; lladdr?: string; state: string[] };

const payload = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff));
const macOf = (m: Uint8Array | undefined): string | undefined => m && Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');

// --- the tests ----------------------------------------------------------------------

describe('dual stack against the kernel over a TAP', { skip }, () => {
  it('ARP resolves both ways: wasagi caches the kernel\'s MAC, the kernel caches wasagi\'s (RFC 826)', { timeout: 20_000 }, (t) =>
    withNet(async ({ ns, tap, stack, iface, kmac }) => {
      // wasagi first: its broadcast request, the kernel's reply.
      const s = await stack.ping(K4, { count: 2, interval: 0.2, timeout: 2 }).done;
      assert.equal(s.received, 2, `stack.ping ${K4}: ${JSON.stringify(s)}`);
      const e = stack.v4.arp(iface.ifindex)!.get(Uint8Array.of(10, 9, 0, 1));
      assert.ok(e, 'wasagi has an ARP entry for the kernel');
      assert.equal(macOf(e.mac), kmac);
      assert.ok(['REACHABLE', 'STALE', 'DELAY'].includes(e.state), `wasagi's entry is ${e.state}`);

      // Then the kernel, with its cache flushed: its request, wasagi's reply.
      await ip(['-4', 'neigh', 'flush', 'dev', tap], ns);
      const r = await runInNs(ns, ['ping', '-4', '-c', '1', '-W', '2', W4], { timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const neigh = JSON.parse(await ip(['-j', '-4', 'neigh', 'show', 'dev', tap], ns)) as Neigh[];
      const k = neigh.find((n) => n.dst === W4);
      assert.ok(k, JSON.stringify(neigh));
      assert.equal(k.lladdr, W_MAC);
      assert.ok(k.state.some((x) => ['REACHABLE', 'STALE', 'DELAY'].includes(x)), `the kernel's entry is ${k.state}`);
      // The kernel's reconfirmation: STALE, used → DELAY, then a unicast request
      // to the cached MAC (PROBE) that wasagi must answer (RFC 1122 §2.3.2.1).
      await sysctl(ns, `net.ipv4.neigh.${tap}.delay_first_probe_time=1`);
      await ip(['neigh', 'change', W4, 'lladdr', W_MAC, 'dev', tap, 'nud', 'stale'], ns);
      const r2 = await runInNs(ns, ['ping', '-4', '-c', '1', '-W', '2', W4], { timeoutMs: 10_000 });
      assert.equal(r2.code, 0, r2.stdout + r2.stderr);
      let last: Neigh | undefined;
      const confirmed = await (async () => {
        for (let i = 0; i < 40; i++) {
          last = (JSON.parse(await ip(['-j', '-4', 'neigh', 'show', 'dev', tap], ns)) as Neigh[]).find((n) => n.dst === W4);
          if (last?.state.includes('REACHABLE')) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      })();
      assert.ok(confirmed, `the kernel's unicast probe was not answered: ${JSON.stringify(last)}`);
      t.diagnostic(`wasagi's entry for ${K4}: ${macOf(e.mac)} ${e.state}; the kernel's for ${W4}: ${k.lladdr} ${k.state.join(',')}`);
    }));

  it('the kernel\'s ping -4 and ping -6 get every reply; stack.ping reaches the kernel over IPv4', { timeout: 30_000 }, () =>
    withNet(async ({ ns, stack }) => {
      const p4 = await runInNs(ns, ['ping', '-4', '-c', '5', '-i', '0.2', '-W', '2', W4], { timeoutMs: 15_000 });
      const s4 = parsePing(p4.stdout);
      assert.ok(s4, p4.stdout + p4.stderr);
      assert.deepEqual([s4.transmitted, s4.received, s4.lossPercent], [5, 5, 0], p4.stdout);
      assert.equal(p4.code, 0);
      assert.match(p4.stdout, new RegExp(`bytes from ${W4.replaceAll('.', '\\.')}: icmp_seq=1 ttl=64`));

      // 3000-byte echoes: the kernel's fragments reassembled, the reply fragmented (RFC 792, RFC 791).
      const pbig = await runInNs(ns, ['ping', '-4', '-c', '2', '-i', '0.2', '-W', '2', '-s', '3000', W4], { timeoutMs: 15_000 });
      const sbig = parsePing(pbig.stdout);
      assert.deepEqual(sbig && [sbig.transmitted, sbig.received], [2, 2], pbig.stdout + pbig.stderr);

      await warmUp6(ns);
      const p6 = await runInNs(ns, ['ping', '-6', '-c', '5', '-i', '0.2', '-W', '2', W6], { timeoutMs: 15_000 });
      const s6 = parsePing(p6.stdout);
      assert.ok(s6, p6.stdout + p6.stderr);
      assert.deepEqual([s6.transmitted, s6.received, s6.lossPercent], [5, 5, 0], p6.stdout);

      const s = await stack.ping(K4, { count: 3, interval: 0.2, timeout: 2 }).done;
      assert.deepEqual([s.transmitted, s.received, s.errors], [3, 3, 0], JSON.stringify(s));
      const m = stack.counters().mib;
      assert.ok(m.IcmpInEchos >= 5 && m.IcmpOutEchoReps >= 5, `IcmpInEchos ${m.IcmpInEchos} IcmpOutEchoReps ${m.IcmpOutEchoReps}`);
    }));

  for (const fam of [4, 6] as const) {
    const [kAddr, wAddr, type, family] = fam === 4 ? [K4, W4, 'udp4', 'IPv4'] as const : [K6, W6, 'udp6', 'IPv6'] as const;
    it(`UDP over IPv${fam} both ways: payloads, ports and rinfo on each side (RFC 768)`, { timeout: 30_000 }, () =>
      withNet(async ({ ns, stack }) => {
        if (fam === 6) await warmUp6(ns);
        // The kernel → a wasagi echo server.
        const server = stack.dgram.createSocket(type);
        const heard = collect(server, true);
        await bound(server, 7001);
        const kc = new KernelUdp(ns, { type, send: { text: `hello v${fam}`, port: 7001, address: wAddr }, expect: 1, timeoutMs: 5000 });
        await kc.finished();
        const kport = kc.events.find((e) => e.ev === 'listening')?.address?.port;
        assert.equal(heard.length, 1, kc.describe());
        assert.equal(heard[0].data.toString(), `hello v${fam}`);
        assert.deepEqual(heard[0].rinfo, { address: kAddr, family, port: kport, size: `hello v${fam}`.length });
        const back = kc.messages();
        assert.equal(back.length, 1, kc.describe());
        assert.equal(back[0].data.toString(), `echo hello v${fam}`);
        assert.deepEqual(back[0].rinfo, { address: wAddr, family, port: 7001, size: `echo hello v${fam}`.length });

        // A wasagi client → the kernel's echo server.
        const ks = new KernelUdp(ns, { type, port: 7002, address: kAddr, echo: true, expect: 1, timeoutMs: 5000 });
        await ks.listening();
        const client = stack.dgram.createSocket(type);
        const replies = collect(client);
        const cport = await bound(client);
        client.send(`from wasagi v${fam}`, 7002, kAddr);
        await ks.finished();
        const kheard = ks.messages();
        assert.equal(kheard.length, 1, ks.describe());
        assert.equal(kheard[0].data.toString(), `from wasagi v${fam}`);
        assert.deepEqual(kheard[0].rinfo, { address: wAddr, family, port: cport, size: `from wasagi v${fam}`.length });
        assert.ok(await until(() => replies.length > 0, 2000), 'no reply from the kernel');
        assert.equal(replies[0].data.toString(), `echo from wasagi v${fam}`);
        assert.deepEqual(replies[0].rinfo, { address: kAddr, family, port: 7002, size: `echo from wasagi v${fam}`.length });
        for (const s of [server, client]) s.close();
      }));
  }

  it('a udp6 socket on :: hears the kernel\'s IPv4 as ::ffff:10.9.0.1 and answers from 10.9.0.2 (RFC 4291 §2.5.5.2)', { timeout: 20_000 }, () =>
    withNet(async ({ ns, stack }) => {
      const server = stack.dgram.createSocket({ type: 'udp6' });
      const heard = collect(server, true);
      await bound(server, 7003, '::');
      const kc = new KernelUdp(ns, { type: 'udp4', send: { text: 'mapped?', port: 7003, address: W4 }, expect: 1, timeoutMs: 5000 });
      await kc.finished();
      const kport = kc.events.find((e) => e.ev === 'listening')?.address?.port;
      assert.equal(heard.length, 1, kc.describe());
      assert.equal(heard[0].data.toString(), 'mapped?');
      assert.deepEqual(heard[0].rinfo, { address: `::ffff:${K4}`, family: 'IPv6', port: kport, size: 7 });
      const back = kc.messages();
      assert.equal(back.length, 1, kc.describe());
      assert.equal(back[0].data.toString(), 'echo mapped?');
      assert.deepEqual(back[0].rinfo, { address: W4, family: 'IPv4', port: 7003, size: 12 });

      // A udp6 client sends to ::ffff:10.9.0.1: IPv4 on the wire, from 10.9.0.2.
      const ks = new KernelUdp(ns, { type: 'udp4', port: 7013, echo: true, expect: 1, timeoutMs: 5000 });
      await ks.listening();
      const c6 = stack.dgram.createSocket('udp6');
      const replies = collect(c6);
      const cport = await bound(c6);
      c6.send('via mapped', 7013, `::ffff:${K4}`);
      await ks.finished();
      assert.deepEqual(ks.messages().map((m) => [m.data.toString(), m.rinfo]), [['via mapped', { address: W4, family: 'IPv4', port: cport, size: 10 }]], ks.describe());
      assert.ok(await until(() => replies.length > 0, 2000), 'no reply from the kernel');
      assert.deepEqual(replies.map((m) => [m.data.toString(), m.rinfo]), [['echo via mapped', { address: `::ffff:${K4}`, family: 'IPv6', port: 7013, size: 15 }]]);
      for (const x of [server, c6]) x.close();
    }));

  it('a closed port answers Port Unreachable: the kernel\'s connected udp4 and udp6 sockets get ECONNREFUSED (RFC 1122 §4.1.3.1, RFC 4443 §3.1)', { timeout: 30_000 }, (t) =>
    withNet(async ({ ns, stack }) => {
      await warmUp6(ns);
      const c0 = stack.counters().mib;
      for (const [type, addr] of [['udp4', W4], ['udp6', W6]] as const) {
        // Linux reports the ICMP error on the connected socket's next recvmsg
        // (sk_err); node:dgram emits it as an 'error' event. A few sends, 100 ms apart.
        const k = new KernelUdp(ns, { type, connect: { port: 9, address: addr }, send: { text: 'anyone?' }, count: 8, interval: 100, untilError: true, timeoutMs: 5000 });
        const ev = await k.finished();
        const errs = ev.filter((e) => e.ev === 'error' || (e.ev === 'sent' && e.code));
        assert.ok(errs.length > 0, `${type}: no error\n${k.describe()}`);
        assert.equal(errs[0].code, 'ECONNREFUSED', k.describe());
        t.diagnostic(`${type}: ${errs[0].code} from ${errs[0].ev === 'error' ? errs[0].syscall : 'send'} after ${ev.filter((e) => e.ev === 'sent').length} sends`);
      }
      // And the other way: the kernel's Port Unreachable reaches wasagi's connected sockets.
      for (const [type, addr] of [['udp4', K4], ['udp6', K6]] as const) {
        const c = stack.dgram.createSocket(type);
        const errors: NodeJS.ErrnoException[] = [];
        c.on('error', (e: NodeJS.ErrnoException) => errors.push(e));
        await new Promise<void>((r) => c.connect(9, addr, () => r()));
        for (let i = 0; i < 5 && errors.length === 0; i++) {
          c.send('anyone?');
          await until(() => errors.length > 0, 200);
        }
        c.close();
        assert.equal(errors[0]?.code, 'ECONNREFUSED', `wasagi's connected ${type} socket: ${errors.map((e) => e.code).join(', ') || 'no error'}`);
      }
      const c1 = stack.counters().mib;
      assert.ok(c1.UdpNoPorts > c0.UdpNoPorts, `UdpNoPorts ${c0.UdpNoPorts} → ${c1.UdpNoPorts}`);
      assert.ok(c1.Udp6NoPorts > c0.Udp6NoPorts, `Udp6NoPorts ${c0.Udp6NoPorts} → ${c1.Udp6NoPorts}`);
    }));

  it('3000-byte UDP over IPv4: the kernel\'s fragments reassembled, wasagi\'s reply fragmented and reassembled by the kernel (RFC 791)', { timeout: 20_000 }, () =>
    withNet(async ({ ns, stack }) => {
      const server = stack.dgram.createSocket('udp4');
      const heard = collect(server, true);
      await bound(server, 7004);
      const k0 = await kernelSnmp(ns);
      const w0 = stack.counters().mib;
      const kc = new KernelUdp(ns, { type: 'udp4', send: { size: 3000, port: 7004, address: W4 }, expect: 1, timeoutMs: 5000 });
      await kc.finished();
      const k1 = await kernelSnmp(ns);
      const w1 = stack.counters().mib;
      const ctx = `${kc.describe()}\nkernel FragCreates +${k1['Ip.FragCreates'] - k0['Ip.FragCreates']} ReasmOKs +${k1['Ip.ReasmOKs'] - k0['Ip.ReasmOKs']}; wasagi IpFragOKs +${w1.IpFragOKs - w0.IpFragOKs} IpFragCreates +${w1.IpFragCreates - w0.IpFragCreates}`;
      assert.equal(heard.length, 1, ctx);
      assert.equal(heard[0].data.length, 3000, ctx);
      assert.ok(heard[0].data.equals(payload(3000)), 'payload intact');
      assert.equal(k1['Ip.FragCreates'] - k0['Ip.FragCreates'], 3, `the kernel sent 3 fragments (1480 + 1480 + 48)\n${ctx}`);
      const back = kc.messages();
      assert.equal(back.length, 1, ctx);
      assert.ok(back[0].data.equals(Buffer.concat([Buffer.from('echo '), payload(3000)])), ctx);
      assert.deepEqual(back[0].rinfo, { address: W4, family: 'IPv4', port: 7004, size: 3005 });
      assert.equal(w1.IpFragOKs - w0.IpFragOKs, 1, ctx);
      assert.equal(w1.IpFragCreates - w0.IpFragCreates, 3, ctx);
      assert.equal(k1['Ip.ReasmOKs'] - k0['Ip.ReasmOKs'], 1, ctx);
      server.close();
    }));

  it('through a kernel router onto a 1000-byte MTU link: Frag Needed lowers the path MTU, the next 1200-byte datagrams arrive, no socket error (RFC 1191, Linux IP_PMTUDISC_WANT)', {
    timeout: 20_000,
  }, (t) =>
    withNet(
      async ({ stack, hostNs, pcap }) => {
        stack.addRoute('0.0.0.0/0', { via: K4 });
        const ks = new KernelUdp(hostNs!, { type: 'udp4', port: 7010, timeoutMs: 6000 });
        await ks.listening();
        const c = stack.dgram.createSocket('udp4');
        const errors: string[] = [];
        c.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? String(e)));
        await new Promise<void>((r) => c.connect(7010, H4, () => r()));
        const sizes = (): number[] => ks.messages().map((m) => m.data.length);
        c.send(payload(500));
        assert.ok(await until(() => sizes().length === 1, 3000), `the 500-byte datagram did not cross the router\n${ks.describe()}`);
        // DF is set (as Linux does for UDP): the router answers Frag Needed, MTU 1000 (RFC 792, RFC 1191 §4).
        for (let i = 0; i < 4; i++) {
          c.send(payload(1200));
          await new Promise((r) => setTimeout(r, 200));
        }
        await until(() => sizes().length >= 4, 1000);
        c.close();
        const m = stack.counters().mib;
        let wire = '';
        if (pcap) {
          (stack.interfaces[0].device as unknown as PcapDevice).flush();
          const r = await run(['tshark', '-n', '-r', pcap, '-Y', 'ip && !arp', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.len', '-e', 'ip.flags.df', '-e', 'ip.frag_offset', '-e', 'ip.flags.mf', '-e', 'icmp.type', '-e', 'icmp.code', '-e', 'icmp.mtu'], { timeoutMs: 10_000 });
          wire = r.stdout;
        }
        const ctx = `the host got datagrams of ${JSON.stringify(sizes())}; wasagi's socket errors: ${JSON.stringify(errors)}; IpFragOKs ${m.IpFragOKs}, IcmpInDestUnreachs ${m.IcmpInDestUnreachs}\non the TAP (src dst len DF off MF icmp-type code mtu):\n${wire}`;
        t.diagnostic(`the host got ${JSON.stringify(sizes())}; socket errors ${JSON.stringify(errors)}`);
        assert.deepEqual(errors, [], `Frag Needed is not a hard error for a PMTUDISC_WANT socket (Linux __udp4_lib_err)\n${ctx}`);
        assert.ok(sizes().filter((n) => n === 1200).length >= 3, `after the first Frag Needed, wasagi fragments to the path MTU\n${ctx}`);
      },
      { router: true, pcap: true },
    ));

  it('multicast: a member udp4 socket receives the kernel\'s datagram to 239.1.2.3 (RFC 1112)', { timeout: 20_000 }, () =>
    withNet(async ({ ns, stack }) => {
      const r4 = stack.dgram.createSocket({ type: 'udp4', reuseAddr: true });
      const heard = collect(r4);
      await bound(r4, 7005);
      r4.addMembership(GROUP);
      const k = new KernelUdp(ns, { type: 'udp4', multicastInterface: K4, send: { text: 'to the group', port: 7005, address: GROUP }, count: 3, interval: 100, timeoutMs: 1500 });
      await k.finished();
      assert.ok(heard.length >= 1, k.describe());
      assert.equal(heard[0].data.toString(), 'to the group');
      const kport = k.events.find((e) => e.ev === 'listening')?.address?.port;
      assert.deepEqual(heard[0].rinfo, { address: K4, family: 'IPv4', port: kport, size: 12 });
      r4.close();
    }));

  it('membership changes send IGMPv3 reports to 224.0.0.22, TTL 1, Router Alert: TO_EX on join, TO_IN on drop and on close (RFC 3376 §4.2, §5.1, RFC 2113)', { timeout: 30_000, skip: tsharkSkip }, (t) =>
    withNet(async ({ ns, tap, stack }) => {
      // Captured on the kernel's side of the TAP; tshark checks both checksums.
      const fields = ['eth.src', 'ip.dst', 'ip.ttl', 'ip.hdr_len', 'ip.checksum.status', 'ip.opt.type', 'ip.opt.ra', 'igmp.version', 'igmp.type', 'igmp.checksum.status', 'igmp.record_type', 'igmp.maddr'] as const;
      const cap = spawnInNs(ns, ['tshark', '-i', tap, '-n', '-l', '-f', 'igmp', '-a', 'duration:20', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])]);
      type Report = Record<(typeof fields)[number], string>;
      const reports = (): Report[] =>
        cap.stdout().split('\n').filter((l) => l.startsWith(W_MAC)).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])) as Report);
      /** The first report from wasagi with a record of `type` for `group` (a report may hold several records). */
      const report = (group: string, type: number): Report | undefined =>
        reports().find((r) => {
          const types = r['igmp.record_type'].split(',').map(Number);
          return r['igmp.maddr'].split(',').some((g, i) => g === group && types[i] === type);
        });
      const expectReport = async (group: string, type: number, what: string): Promise<void> => {
        const ok = await until(() => report(group, type) !== undefined, 5000);
        assert.ok(ok, `no IGMPv3 ${what} report for ${group} from wasagi\n${cap.stdout()}\n${cap.stderr()}`);
        const r = report(group, type)!;
        const ctx = `${what}: ${JSON.stringify(r)}`;
        assert.equal(r['ip.dst'], '224.0.0.22', ctx);
        assert.equal(Number(r['ip.ttl']), 1, ctx);
        assert.equal(Number(r['ip.hdr_len']), 24, `a 4-byte option: ${ctx}`);
        assert.equal(Number(r['ip.opt.type']), 0x94, `Router Alert, copied (RFC 2113): ${ctx}`);
        assert.equal(Number(r['ip.opt.ra']), 0, ctx);
        assert.equal(Number(r['ip.checksum.status']), 1, `IPv4 header checksum good: ${ctx}`);
        assert.equal(Number(r['igmp.version']), 3, ctx);
        assert.equal(Number(r['igmp.type']), 0x22, ctx);
        assert.equal(Number(r['igmp.checksum.status']), 1, `IGMP checksum good: ${ctx}`);
      };
      try {
        const started = await until(() => /Capturing on/.test(cap.stderr()) || cap.exitStatus() !== null, 15_000);
        assert.ok(started && cap.exitStatus() === null, `tshark did not start: ${cap.stderr()}`);
        const r4 = stack.dgram.createSocket({ type: 'udp4', reuseAddr: true });
        await bound(r4, 7006);
        r4.addMembership(GROUP);
        r4.addMembership('239.1.2.4');
        await expectReport(GROUP, 4, 'CHANGE_TO_EXCLUDE_MODE (join)');
        await expectReport('239.1.2.4', 4, 'CHANGE_TO_EXCLUDE_MODE (join)');
        r4.dropMembership(GROUP);
        await expectReport(GROUP, 3, 'CHANGE_TO_INCLUDE_MODE (leave)');
        // Closing a member socket leaves its groups (Linux ip_mc_drop_socket).
        r4.close();
        await expectReport('239.1.2.4', 3, 'CHANGE_TO_INCLUDE_MODE (leave on close)');
        t.diagnostic(`tshark: ${reports().map((r) => `${r['igmp.record_type']}/${r['igmp.maddr']}`).join(' ')}`);
      } finally {
        await cap.stop('SIGINT', 2000);
      }
    }));
});
