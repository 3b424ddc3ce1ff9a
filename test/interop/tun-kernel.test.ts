// Dual-stack interop with the Linux kernel across a TUN device (needs root).
//
// wasagi runs in this process in TUN mode (`mode: 'tun'`, IFF_NO_PI): raw IP
// packets, no Ethernet header, no ARP or Neighbor Discovery address
// resolution — a point-to-point link (RFC 4861 §2.2: ND needs a link-layer
// address; a TUN has none). The kernel's end of the TUN is moved into a fresh
// network namespace with 10.7.0.1/24 and 2001:db8:7::1/64 (nodad); wasagi has
// 10.7.0.2/24 and 2001:db8:7::2/64 and, being on a non-Ethernet device, no
// link-local address. Every test builds its own namespace, TUN and stack and
// removes them in `finally`. The kernel's UDP side is node:dgram run in the
// namespace (`ip netns exec NS node -e KERNEL_UDP '{json}'`), one JSON line per event.
//
//   - ICMP echo (RFC 792, RFC 4443 §4): the kernel's ping -4 / -6 answered with
//     TTL / hop limit 64; stack.ping() to the kernel's addresses.
//   - UDP over IPv4 and IPv6 both ways on a dual-stack udp6 socket (RFC 768;
//     IPv4-mapped addresses, RFC 4291 §2.5.5.2, RFC 3493 §3.7).
//   - Port Unreachable → ECONNREFUSED on connected sockets (RFC 1122 §4.1.3.1, RFC 4443 §3.1).
//   - A 3000-byte IPv4 datagram fragmented by each side across the 1500-byte
//     MTU, reassembled by the other (RFC 791); 3000-byte echoes over both families.
//   - A pcap of the TUN records IPv4 and IPv6 alike (LINKTYPE_RAW).
//
// The kernel gives the TUN a stable-privacy link-local anyway and sends RS and
// MLD reports from it; wasagi drops them (groups it has not joined). wasagi
// sends no NS/NA here.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createStack, type Stack } from '../../src/stack/stack.js';
import type { Interface } from '../../src/stack/interface.js';
import type { PingReply } from '../../src/stack/ping.js';
import type { PcapDevice } from '../../src/device/pcap.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createNamespace, deleteNamespace, ip, makeTempDir, nsName, runInNs } from '../../bench/netns.js';
import { parsePing } from '../../bench/ping-parse.js';
import { interopSkipReason, until } from '../support/interop.js';
import { KernelUdp, bound, collect, kernelSnmp } from '../support/kernel-udp.js';

const skip = interopSkipReason([['ip', 'iproute2'], ['ping', 'iputils-ping']]);

const K4 = '10.7.0.1';
const W4 = '10.7.0.2';
const K6 = '2001:db8:7::1';
const W6 = '2001:db8:7::2';

// --- per-test network ---------------------------------------------------------------

interface Net {
  ns: string;
  tun: string;
  stack: Stack;
  iface: Interface;
}

let netCount = 0;

/** A namespace with the kernel's end of a fresh TUN, wasagi on the other; always removed. */
async function withTun(fn: (net: Net) => Promise<void>, opts: { pcap?: string } = {}): Promise<void> {
  const k = ++netCount;
  const ns = nsName(`tun${k}`);
  const tun = `wst${process.pid % 10000}x${k}`;
  let stack: Stack | undefined;
  try {
    await createNamespace(ns);
    stack = createStack();
    // No DAD delay (dadTransmits 0), no RS: the addresses are usable at once.
    const iface = stack.addInterface({ tap: { name: tun, mode: 'tun', mtu: 1500 }, addresses: [`${W6}/64`, `${W4}/24`], acceptRa: false, dadTransmits: 0, pcap: opts.pcap });
    await ip(['link', 'set', tun, 'netns', ns]);
    await ip(['link', 'set', tun, 'up'], ns);
    // Point-to-point: on-link prefixes through the TUN, no neighbour resolution (IFF_NOARP).
    await ip(['addr', 'add', `${K4}/24`, 'dev', tun], ns);
    await ip(['-6', 'addr', 'add', `${K6}/64`, 'dev', tun, 'nodad'], ns);
    await fn({ ns, tun, stack, iface });
  } finally {
    stack?.close();
    await deleteNamespace(ns);
  }
}

const payload = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff));
const re = (s: string): string => s.replaceAll('.', '\\.');

// --- the tests ----------------------------------------------------------------------

describe('dual stack against the kernel over a TUN (point-to-point, no link layer)', { skip }, () => {
  it('the kernel\'s ping -4 and ping -6 get every reply with TTL / hop limit 64; stack.ping reaches both kernel addresses (RFC 792, RFC 4443 §4)', { timeout: 25_000 }, (t) =>
    withTun(async ({ ns, stack, iface }) => {
      // No Ethernet: no MAC, no EUI-64/stable link-local (wasagi forms one only on Ethernet).
      assert.equal(iface.mac, undefined);
      assert.ok(!stack.interfaces[0].addresses.some((a) => a.origin === 'link-local'), 'no link-local address on a TUN');

      for (const [fam, addr] of [[4, W4], [6, W6]] as const) {
        const r = await runInNs(ns, ['ping', `-${fam}`, '-c', '4', '-i', '0.2', '-W', '2', addr], { timeoutMs: 10_000 });
        const s = parsePing(r.stdout);
        assert.ok(s, r.stdout + r.stderr);
        assert.deepEqual([s.transmitted, s.received, s.lossPercent], [4, 4, 0], r.stdout + r.stderr);
        assert.equal(r.code, 0);
        // iputils prints the IPv6 hop limit as "ttl=" too.
        const lines = r.stdout.split('\n').filter((l) => l.includes(`bytes from ${addr}`));
        assert.equal(lines.length, 4, r.stdout);
        for (const l of lines) assert.match(l, new RegExp(`bytes from ${re(addr)}: icmp_seq=\\d+ ttl=64 `), `IPv${fam}: ${l}`);
      }

      for (const dst of [K4, K6]) {
        const p = stack.ping(dst, { count: 3, interval: 0.2, timeout: 2 });
        const replies: PingReply[] = [];
        p.on('reply', (r: PingReply) => replies.push(r));
        const s = await p.done;
        assert.deepEqual([s.transmitted, s.received, s.errors], [3, 3, 0], `stack.ping ${dst}: ${JSON.stringify(s)}`);
        assert.deepEqual(replies.map((r) => [r.from, r.hopLimit]), [[dst, 64], [dst, 64], [dst, 64]], 'the kernel answers with its default TTL / hop limit 64');
      }
      const m = stack.counters().mib;
      t.diagnostic(`IcmpInEchos ${m.IcmpInEchos} IcmpOutEchoReps ${m.IcmpOutEchoReps}`);
      assert.ok(m.IcmpInEchos >= 4 && m.IcmpOutEchoReps >= 4, `IcmpInEchos ${m.IcmpInEchos} IcmpOutEchoReps ${m.IcmpOutEchoReps}`);
      // No address resolution on a link without link-layer addresses (RFC 4861 §7.2: NS only where the link needs it).
      assert.deepEqual([m.Icmp6OutNeighborSolicits, m.Icmp6OutNeighborAdvertisements], [0, 0], 'wasagi sent no NS/NA on the TUN');
    }));

  it('UDP both ways over IPv4 and IPv6 on a dual-stack udp6 socket: ::ffff:10.7.0.1 for the IPv4 peer, replies from 10.7.0.2 (RFC 768, RFC 4291 §2.5.5.2)', { timeout: 25_000 }, () =>
    withTun(async ({ ns, stack }) => {
      // The kernel → a wasagi echo server on [::]:7001 (not v6-only).
      const server = stack.dgram.createSocket('udp6');
      const heard = collect(server, true);
      await bound(server, 7001, '::');
      for (const [type, to, family, mapped] of [['udp4', W4, 'IPv4', `::ffff:${K4}`], ['udp6', W6, 'IPv6', K6]] as const) {
        const text = `hello over ${type}`;
        const n = heard.length;
        const kc = new KernelUdp(ns, { type, send: { text, port: 7001, address: to }, expect: 1, timeoutMs: 4000 });
        await kc.finished();
        assert.equal(heard.length, n + 1, kc.describe());
        assert.equal(heard[n].data.toString(), text);
        assert.deepEqual(heard[n].rinfo, { address: mapped, family: 'IPv6', port: kc.port(), size: text.length });
        const back = kc.messages();
        assert.equal(back.length, 1, `the kernel's ${type} socket got no echo\n${kc.describe()}`);
        assert.equal(back[0].data.toString(), `echo ${text}`);
        assert.deepEqual(back[0].rinfo, { address: to, family, port: 7001, size: text.length + 5 }, `the reply comes from ${to}`);
      }

      // A wasagi udp6 client → the kernel's udp4 and udp6 echo servers.
      const client = stack.dgram.createSocket('udp6');
      const replies = collect(client);
      const cport = await bound(client);
      for (const [type, kAddr, dst, wAddr, family, port] of [['udp4', K4, `::ffff:${K4}`, W4, 'IPv4', 7002], ['udp6', K6, K6, W6, 'IPv6', 7003]] as const) {
        const ks = new KernelUdp(ns, { type, port, address: kAddr, echo: true, expect: 1, timeoutMs: 4000 });
        await ks.listening();
        const text = `from wasagi to ${type}`;
        const n = replies.length;
        client.send(text, port, dst);
        await ks.finished();
        assert.deepEqual(ks.messages().map((m) => [m.data.toString(), m.rinfo]), [[text, { address: wAddr, family, port: cport, size: text.length }]], ks.describe());
        assert.ok(await until(() => replies.length > n, 2000), `no reply from the kernel's ${type} socket`);
        assert.deepEqual([replies[n].data.toString(), replies[n].rinfo], [`echo ${text}`, { address: dst, family: 'IPv6', port, size: text.length + 5 }]);
      }
      for (const s of [server, client]) s.close();
    }));

  it('a closed port answers Port Unreachable: the kernel\'s connected udp4 and udp6 sockets get ECONNREFUSED, and so do wasagi\'s (RFC 1122 §4.1.3.1, RFC 4443 §3.1)', { timeout: 25_000 }, (t) =>
    withTun(async ({ ns, stack }) => {
      const c0 = stack.counters().mib;
      for (const [type, addr] of [['udp4', W4], ['udp6', W6]] as const) {
        // Linux reports the ICMP error on the connected socket's next call
        // (sk_err); node:dgram emits it as 'error'. A few sends, 100 ms apart.
        const k = new KernelUdp(ns, { type, connect: { port: 9, address: addr }, send: { text: 'anyone?' }, count: 8, interval: 100, untilError: true, timeoutMs: 4000 });
        const ev = await k.finished();
        const errs = ev.filter((e) => e.ev === 'error' || (e.ev === 'sent' && e.code));
        assert.ok(errs.length > 0, `${type}: no error\n${k.describe()}`);
        assert.equal(errs[0].code, 'ECONNREFUSED', k.describe());
        t.diagnostic(`kernel ${type}: ${errs[0].code} after ${ev.filter((e) => e.ev === 'sent').length} sends`);
      }
      const c1 = stack.counters().mib;
      assert.ok(c1.UdpNoPorts > c0.UdpNoPorts, `UdpNoPorts ${c0.UdpNoPorts} → ${c1.UdpNoPorts}`);
      assert.ok(c1.Udp6NoPorts > c0.Udp6NoPorts, `Udp6NoPorts ${c0.Udp6NoPorts} → ${c1.Udp6NoPorts}`);

      // The other way: the kernel's Port Unreachable, raw IP on the TUN, reaches wasagi's connected sockets.
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
    }));

  it('3000-byte UDP over IPv4 across the 1500-byte TUN: the kernel\'s 3 fragments reassembled, wasagi\'s reply fragmented and reassembled by the kernel (RFC 791)', { timeout: 20_000 }, (t) =>
    withTun(async ({ ns, stack }) => {
      const server = stack.dgram.createSocket('udp4');
      const heard = collect(server, true);
      await bound(server, 7004);
      const k0 = await kernelSnmp(ns);
      const w0 = stack.counters().mib;
      const kc = new KernelUdp(ns, { type: 'udp4', send: { size: 3000, port: 7004, address: W4 }, expect: 1, timeoutMs: 4000 });
      await kc.finished();
      const k1 = await kernelSnmp(ns);
      const w1 = stack.counters().mib;
      const d = (k: string): number => k1[k] - k0[k];
      const ctx = `${kc.describe()}\nkernel FragCreates +${d('Ip.FragCreates')} ReasmOKs +${d('Ip.ReasmOKs')} ReasmFails +${d('Ip.ReasmFails')}; wasagi IpFragOKs +${w1.IpFragOKs - w0.IpFragOKs} IpFragCreates +${w1.IpFragCreates - w0.IpFragCreates}`;
      t.diagnostic(ctx.split('\n').at(-1)!);
      assert.equal(heard.length, 1, ctx);
      assert.equal(heard[0].data.length, 3000, ctx);
      assert.ok(heard[0].data.equals(payload(3000)), 'payload intact');
      assert.deepEqual(heard[0].rinfo, { address: K4, family: 'IPv4', port: kc.port(), size: 3000 });
      assert.equal(d('Ip.FragCreates'), 3, `the kernel sent 3 fragments (1480 + 1480 + 48)\n${ctx}`);
      const back = kc.messages();
      assert.equal(back.length, 1, ctx);
      assert.ok(back[0].data.equals(Buffer.concat([Buffer.from('echo '), payload(3000)])), ctx);
      assert.deepEqual(back[0].rinfo, { address: W4, family: 'IPv4', port: 7004, size: 3005 });
      assert.equal(w1.IpFragOKs - w0.IpFragOKs, 1, ctx);
      assert.equal(w1.IpFragCreates - w0.IpFragCreates, 3, ctx);
      assert.equal(d('Ip.ReasmOKs'), 1, ctx);
      server.close();
    }));

  it('3000-byte echoes both families: the kernel\'s ping -s 3000 fragments reassembled by wasagi, its replies fragmented for the 1500-byte TUN (RFC 791, RFC 8200 §4.5)', { timeout: 20_000 }, () =>
    withTun(async ({ ns }) => {
      for (const [fam, addr] of [[4, W4], [6, W6]] as const) {
        const r = await runInNs(ns, ['ping', `-${fam}`, '-c', '2', '-i', '0.2', '-W', '2', '-s', '3000', addr], { timeoutMs: 10_000 });
        const s = parsePing(r.stdout);
        assert.deepEqual(s && [s.transmitted, s.received], [2, 2], `IPv${fam}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, new RegExp(`3008 bytes from ${re(addr)}: icmp_seq=1 ttl=64 `), r.stdout);
      }
    }));

  it('a pcap of a TUN interface records IPv4 and IPv6 as such: LINKTYPE_RAW (101), the version nibble first', {
    timeout: 15_000,
  }, () => {
    const tmp = makeTempDir();
    const file = join(tmp.dir, 'tun.pcap');
    return withTun(
      async ({ stack }) => {
        for (const dst of [K4, K6]) {
          const s = await stack.ping(dst, { count: 1, timeout: 2 }).done;
          assert.equal(s.received, 1, `stack.ping ${dst}: ${JSON.stringify(s)}`);
        }
        (stack.interfaces[0].device as unknown as PcapDevice).flush();
        const b = readFileSync(file);
        // Records: 16-byte headers (incl_len at +8), then the packet; versions in order.
        const versions = new Set<number>();
        for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) versions.add(b[o + 16] >> 4);
        assert.deepEqual([...versions].sort(), [4, 6], 'both families were captured');
        assert.equal(b.readUInt32LE(20), 101, 'LINKTYPE_RAW: each packet starts with an IPv4 or IPv6 header (tcpdump.org linktypes)');
      },
      { pcap: file },
    ).finally(() => tmp.release());
  });
});
