// The dual stack on two stacks in virtual time (paper §4): ARP, ICMPv4 echo,
// udp4 and udp6 sockets with IPv4-mapped addresses, V6ONLY, Port Unreachable,
// multicast with IGMP, fragmentation and reassembly, ICMP echo sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import type { RemoteInfo, UdpSocket } from '../../src/socket/udp.js';
import type { Stack } from '../../src/stack/stack.js';
import { ipv4Checksum } from '../../src/wire/ipv4.js';

function pair(mtu?: number) {
  const sim = new Sim(41);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64', '10.0.0.1/24'], acceptRa: false, ...(mtu ? { mtu } : {}) });
  const b = sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['2001:db8::b/64', '10.0.0.2/24'], acceptRa: false, ...(mtu ? { mtu } : {}) });
  return { sim, a, b };
}

async function turn(sim: Sim, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setImmediate(r));
    sim.settle();
  }
}

/** Frames on the wire with a given ethertype. */
function ether(sim: Sim, type: number): Uint8Array[] {
  return sim.wire.map((f) => f.frame).filter((f) => ((f[12] << 8) | f[13]) === type);
}

function bound(s: UdpSocket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
}

const v4 = (f: Uint8Array): Uint8Array => f.subarray(14);

test('ARP resolves both ways and ping -4 is answered in place (RFC 826, RFC 792)', async () => {
  const { sim, a, b } = pair();
  const p = a.ping('10.0.0.2', { count: 3, interval: 0.2 });
  for (let i = 0; i < 20; i++) {
    sim.settle();
    sim.advance(100);
  }
  const s = await p.done;
  assert.equal(s.transmitted, 3);
  assert.equal(s.received, 3);
  const arp = ether(sim, 0x0806);
  // One broadcast request from a, one unicast reply from b (RFC 826); b learned a from the request.
  assert.equal(arp.length, 2);
  assert.deepEqual([...arp[0].subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.equal(arp[0][21], 1); // op request
  assert.deepEqual([...arp[0].subarray(14 + 24, 14 + 28)], [10, 0, 0, 2]);
  assert.equal(arp[1][21], 2); // op reply
  assert.deepEqual([...arp[1].subarray(0, 6)], [2, 0, 0, 0, 0, 0x0a]);
  // Echo replies: IPv4 header checksum and ICMP checksum valid, TTL 64, addresses swapped.
  const replies = ether(sim, 0x0800).filter((f) => f[14 + 9] === 1 && f[14 + 20] === 0);
  assert.equal(replies.length, 3);
  for (const f of replies) {
    const ip = v4(f);
    assert.equal(ipv4Checksum(ip.subarray(0, 20)), 0);
    assert.equal(ipv4Checksum(ip.subarray(20, (ip[2] << 8) | ip[3])), 0);
    assert.deepEqual([...ip.subarray(12, 16)], [10, 0, 0, 2]);
    assert.deepEqual([...ip.subarray(16, 20)], [10, 0, 0, 1]);
  }
  assert.equal(b.counters().mib.IcmpInEchos, 3);
  assert.equal(b.counters().mib.IcmpOutEchoReps, 3);
  const na = a.v4.arp(a.interface('a0').ifindex)!.get(Uint8Array.of(10, 0, 0, 2));
  assert.equal(na?.state, 'REACHABLE');
  const nb = b.v4.arp(b.interface('b0').ifindex)!.get(Uint8Array.of(10, 0, 0, 1));
  // Learned STALE from the request (not a confirmation); the in-place echo replies
  // used it, which the fast path reported: STALE → DELAY (Linux neigh_event_send).
  assert.equal(nb?.state, 'DELAY');
  // DELAY_FIRST_PROBE_TIME (5 s) later: a unicast probe to the cached MAC, answered → REACHABLE.
  const before = ether(sim, 0x0806).length;
  for (let i = 0; i < 60; i++) {
    sim.advance(100);
    sim.settle();
  }
  const probes = ether(sim, 0x0806).slice(before);
  assert.equal(probes.length, 2);
  assert.deepEqual([...probes[0].subarray(0, 6)], [2, 0, 0, 0, 0, 0x0a]); // unicast request
  assert.equal(probes[0][21], 1);
  assert.equal(b.v4.arp(b.interface('b0').ifindex)!.get(Uint8Array.of(10, 0, 0, 1))?.state, 'REACHABLE');
  sim.close();
});

test('a udp6 socket without V6ONLY hears IPv4 as ::ffff:a.b.c.d and answers through it (RFC 4291 §2.5.5.2)', async () => {
  const { sim, a, b } = pair();
  const server = b.dgram.createSocket({ type: 'udp6' });
  const got: RemoteInfo[] = [];
  server.on('message', (m: Buffer, r: RemoteInfo) => {
    got.push(r);
    server.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address);
  });
  await bound(server, 7000);
  const client = a.dgram.createSocket('udp4');
  const replies: Array<[string, RemoteInfo]> = [];
  client.on('message', (m: Buffer, r: RemoteInfo) => replies.push([m.toString(), r]));
  client.send('hi', 7000, '10.0.0.2');
  await turn(sim, 10);
  assert.equal(got.length, 1);
  assert.equal(got[0].address, '::ffff:10.0.0.1');
  assert.equal(got[0].family, 'IPv6');
  assert.equal(replies.length, 1);
  assert.equal(replies[0][0], 'echo hi');
  assert.deepEqual({ ...replies[0][1] }, { address: '10.0.0.2', family: 'IPv4', port: 7000, size: 7 });
  // On the wire: IPv4 UDP with a valid checksum over the pseudo-header (RFC 768).
  const udp = ether(sim, 0x0800).map(v4).filter((ip) => ip[9] === 17);
  assert.equal(udp.length, 2);
  for (const ip of udp) {
    const u = ip.subarray(20, (ip[2] << 8) | ip[3]);
    const pseudo = new Uint8Array(12 + u.length);
    pseudo.set(ip.subarray(12, 20));
    pseudo[9] = 17;
    pseudo[10] = u.length >> 8;
    pseudo[11] = u.length & 0xff;
    pseudo.set(u, 12);
    assert.notEqual((u[6] << 8) | u[7], 0);
    assert.equal(ipv4Checksum(pseudo), 0);
  }
  // A udp6 client can send to a mapped address too.
  const c6 = a.dgram.createSocket('udp6');
  const r6: RemoteInfo[] = [];
  c6.on('message', (_m: Buffer, r: RemoteInfo) => r6.push(r));
  c6.send('x', 7000, '::ffff:10.0.0.2');
  await turn(sim, 10);
  assert.equal(r6.length, 1);
  assert.equal(r6[0].address, '::ffff:10.0.0.2');
  for (const s of [client, c6, server]) s.close();
  sim.close();
});

test('V6ONLY: the udp6 socket never sees IPv4; a udp4 socket may share the port; closed ports answer Port Unreachable', async () => {
  const { sim, a, b } = pair();
  const only6 = b.dgram.createSocket({ type: 'udp6', ipv6Only: true });
  const heard6: string[] = [];
  only6.on('message', (m: Buffer) => heard6.push(m.toString()));
  await bound(only6, 7100);
  const client = a.dgram.createSocket('udp4');
  const errors: string[] = [];
  client.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code!));
  await new Promise<void>((r) => client.connect(7100, '10.0.0.2', () => r()));
  client.send('to nobody');
  await turn(sim, 10);
  assert.deepEqual(heard6, []);
  // RFC 1122 §4.1.3.1: Port Unreachable, quoting the datagram; the connected socket sees ECONNREFUSED.
  const icmp = ether(sim, 0x0800).map(v4).filter((ip) => ip[9] === 1 && ip[20] === 3);
  assert.equal(icmp.length, 1);
  assert.equal(icmp[0][21], 3);
  assert.deepEqual([...icmp[0].subarray(28 + 12, 28 + 20)], [10, 0, 0, 1, 10, 0, 0, 2]);
  assert.deepEqual(errors, ['ECONNREFUSED']);
  // With V6ONLY the IPv4 side of the port is free for a udp4 socket (paper §4).
  const s4 = b.dgram.createSocket('udp4');
  const heard4: string[] = [];
  s4.on('message', (m: Buffer) => heard4.push(m.toString()));
  await bound(s4, 7100);
  client.send('to s4');
  const c6 = a.dgram.createSocket('udp6');
  c6.send('to only6', 7100, '2001:db8::b');
  await turn(sim, 10);
  assert.deepEqual(heard4, ['to s4']);
  assert.deepEqual(heard6, ['to only6']);
  // Over IPv6 too: Port Unreachable (RFC 4443 §3.1 code 4) → ECONNREFUSED on the connected socket.
  const c6c = a.dgram.createSocket('udp6');
  const errs6: string[] = [];
  c6c.on('error', (e: NodeJS.ErrnoException) => errs6.push(e.code!));
  await new Promise<void>((r) => c6c.connect(7199, '2001:db8::b', () => r()));
  c6c.send('nobody');
  await turn(sim, 10);
  assert.deepEqual(errs6, ['ECONNREFUSED']);
  c6c.close();
  // A V6ONLY sender cannot reach a mapped address (udpv6_sendmsg: ENETUNREACH).
  const o6 = a.dgram.createSocket({ type: 'udp6', ipv6Only: true });
  const e = await new Promise<NodeJS.ErrnoException | null>((r) => o6.send('x', 7100, '::ffff:10.0.0.2', (err: Error | null) => r(err as NodeJS.ErrnoException)));
  assert.equal(e?.code, 'ENETUNREACH');
  for (const s of [only6, client, s4, c6, o6]) s.close();
  sim.close();
});

test('multicast: addMembership sends IGMPv3 and MLDv2 reports, and group datagrams arrive (RFC 3376, RFC 3810)', async () => {
  const { sim, a, b } = pair();
  const r4 = b.dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const got4: string[] = [];
  r4.on('message', (m: Buffer) => got4.push(m.toString()));
  await bound(r4, 5353);
  r4.addMembership('224.0.0.251');
  assert.throws(() => r4.addMembership('224.0.0.251'), { code: 'EADDRINUSE' });
  assert.throws(() => r4.addMembership('10.0.0.9'), { code: 'EINVAL' });
  const r6 = b.dgram.createSocket({ type: 'udp6', ipv6Only: true, reuseAddr: true });
  const got6: string[] = [];
  r6.on('message', (m: Buffer) => got6.push(m.toString()));
  await bound(r6, 5353);
  r6.addMembership('ff02::fb', '::%b0');
  sim.settle();
  // IGMPv3 report to 224.0.0.22, TTL 1, Router Alert (RFC 3376 §4.2, RFC 2113).
  const igmp = ether(sim, 0x0800).map(v4).filter((ip) => ip[9] === 2);
  assert.ok(igmp.length >= 1);
  assert.deepEqual([...igmp[0].subarray(16, 20)], [224, 0, 0, 22]);
  assert.equal(igmp[0][8], 1);
  assert.deepEqual([...igmp[0].subarray(20, 24)], [0x94, 4, 0, 0]);
  assert.equal(igmp[0][24], 0x22);
  const s4 = a.dgram.createSocket('udp4');
  await bound(s4, 0);
  s4.setMulticastTTL(1);
  s4.send('m4', 5353, '224.0.0.251');
  const s6 = a.dgram.createSocket('udp6');
  await bound(s6, 0);
  s6.setMulticastInterface('::%a0');
  s6.send('m6', 5353, 'ff02::fb');
  await turn(sim, 10);
  assert.deepEqual(got4, ['m4']);
  assert.deepEqual(got6, ['m6']);
  // The group frame went to 01:00:5e:00:00:fb (RFC 1112 §6.4).
  const f = ether(sim, 0x0800).find((x) => x[14 + 9] === 17)!;
  assert.deepEqual([...f.subarray(0, 6)], [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);
  r4.dropMembership('224.0.0.251');
  assert.throws(() => r4.dropMembership('224.0.0.251'), { code: 'EADDRNOTAVAIL' });
  for (const s of [r4, r6, s4, s6]) s.close();
  sim.close();
});

test('a 4000-byte udp4 datagram is fragmented for a 1500 MTU and reassembled (RFC 791)', async () => {
  const { sim, a, b } = pair();
  const server = b.dgram.createSocket('udp4');
  const got: Buffer[] = [];
  server.on('message', (m: Buffer) => got.push(m));
  await bound(server, 9000);
  const client = a.dgram.createSocket('udp4');
  const payload = Buffer.alloc(4000, 0).map((_, i) => (i * 7) & 0xff);
  client.send(payload, 9000, '10.0.0.2');
  await turn(sim, 10);
  assert.equal(got.length, 1);
  assert.ok(got[0].equals(payload));
  const frags = ether(sim, 0x0800).map(v4).filter((ip) => ip[9] === 17);
  assert.equal(frags.length, 3);
  assert.deepEqual(frags.map((ip) => ((ip[6] << 8) | ip[7]) & 0x3fff), [0x2000, 0x2000 | 185, 370]);
  for (const s of [client, server]) s.close();
  sim.close();
});

test('ICMP echo sockets (Linux ping sockets) for IPv4 and IPv6', async () => {
  const { sim, a } = pair();
  const results: Array<[number, string, string]> = [];
  for (const [type, dst] of [['icmp4', '10.0.0.2'], ['icmp6', '2001:db8::b']] as const) {
    const s = a.createEchoSocket(type);
    s.on('message', (m: Buffer, r: { address: string }) => results.push([m[0], r.address, m.subarray(8).toString()]));
    const req = Buffer.from([type === 'icmp4' ? 8 : 128, 0, 0, 0, 0, 0, 0, 1, ...Buffer.from('ping!')]);
    s.send(req, dst);
    await turn(sim, 10);
    s.close();
  }
  assert.deepEqual(results, [
    [0, '10.0.0.2', 'ping!'],
    [129, '2001:db8::b', 'ping!'],
  ]);
  sim.close();
});

test('socket options: EBADF before bind, EINVAL for bad TTLs, EACCES for broadcast without SO_BROADCAST', async () => {
  const { sim, a }: { sim: Sim; a: Stack } = pair();
  const s = a.dgram.createSocket('udp4');
  assert.throws(() => s.setTTL(5), { code: 'EBADF' });
  await bound(s, 0);
  assert.throws(() => s.setTTL(0), { code: 'EINVAL' });
  assert.throws(() => s.setTTL(256), { code: 'EINVAL' });
  assert.equal(s.setTTL(9), 9);
  assert.throws(() => s.setMulticastTTL(256), { code: 'EINVAL' });
  assert.throws(() => s.setMulticastInterface('10.0.0.99'), { code: 'EADDRNOTAVAIL' });
  const e = await new Promise<NodeJS.ErrnoException | null>((r) => s.send('b', 9, '255.255.255.255', (err: Error | null) => r(err as NodeJS.ErrnoException)));
  assert.equal(e?.code, 'EACCES');
  s.setBroadcast(true);
  const ok = await new Promise<Error | null>((r) => s.send('b', 9, '10.0.0.255', (err: Error | null) => r(err)));
  assert.equal(ok, null);
  sim.settle();
  const f = ether(sim, 0x0800).find((x) => x[14 + 9] === 17)!;
  assert.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.equal(f[14 + 8], 9); // setTTL
  s.close();
  sim.close();
});

test('ARP from another host claiming our address is counted and reported, not learned (RFC 5227 §2.4)', async () => {
  const { sim, b } = pair();
  const link = sim.links[0];
  const intruder = link.port('intruder');
  const f = new Uint8Array(42);
  f.set([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0x66, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0x66, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
  link.inject(intruder, f);
  sim.settle();
  assert.equal(b.counters().drops.ARP_CONFLICT, 1);
  const ev = sim.events.get(b)!.filter((e) => e.type === 'AddressConflict');
  assert.deepEqual(ev.map((e) => (e as { address: string }).address), ['10.0.0.2']);
  assert.equal(b.v4.arp(b.interface('b0').ifindex)!.size, 0);
  sim.close();
});

test('the memoized source for a peer follows address changes (RFC 6724 reruns after removeAddress/addAddress)', async () => {
  const { sim, a } = pair();
  const s = a.dgram.createSocket('udp6');
  const srcOf = (): string[] =>
    sim.wire
      .filter((w) => w.from === 'a0' && w.frame[12] === 0x86 && w.frame[13] === 0xdd && w.frame[20] === 17)
      .map((w) => Array.from(w.frame.subarray(22, 38), (b) => b.toString(16).padStart(2, '0')).join(''));
  s.send('1', 9, '2001:db8::b');
  await turn(sim);
  a.addAddress('a0', '2001:db8::aa/64');
  a.removeAddress('a0', '2001:db8::a/64');
  s.send('2', 9, '2001:db8::b');
  await turn(sim);
  const srcs = srcOf();
  assert.equal(srcs.length, 2);
  assert.equal(srcs[0], '20010db80000000000000000000000' + '0a');
  assert.equal(srcs[1], '20010db80000000000000000000000' + 'aa');
  s.close();
  sim.close();
});

test('createSocket options: lookup resolves names (errors pass through), signal closes the socket (as Node)', async () => {
  const { sim, a, b } = pair();
  const server = b.dgram.createSocket('udp4');
  const heard: string[] = [];
  server.on('message', (m: Buffer) => heard.push(m.toString()));
  await bound(server, 7300);
  const asked: Array<[string, number]> = [];
  const lookup = (name: string, family: 4 | 6, cb: (e: Error | null, ip?: string) => void): void => {
    asked.push([name, family]);
    if (/^[\d.]+$/.test(name)) setImmediate(() => cb(null, name)); // literals as they are, like dns.lookup
    else if (name === 'b.test') setImmediate(() => cb(null, '10.0.0.2'));
    else setImmediate(() => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })));
  };
  const c = a.dgram.createSocket({ type: 'udp4', lookup });
  c.send('by name', 7300, 'b.test');
  const e = await new Promise<NodeJS.ErrnoException | null>((r) => c.send('x', 7300, 'nowhere.test', (err: Error | null) => r(err as NodeJS.ErrnoException)));
  await turn(sim, 10);
  assert.deepEqual(heard, ['by name']);
  assert.equal(e?.code, 'ENOTFOUND');
  // Node calls the lookup for the bind address too (0.0.0.0 here).
  assert.deepEqual(asked, [['0.0.0.0', 4], ['b.test', 4], ['nowhere.test', 4]]);
  assert.throws(() => a.dgram.createSocket({ type: 'udp4', lookup: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  // signal: aborted later closes; aborted before closes at once.
  const ac = new AbortController();
  const s1 = a.dgram.createSocket({ type: 'udp6', signal: ac.signal });
  let closed = 0;
  s1.on('close', () => closed++);
  await bound(s1, 7301);
  ac.abort();
  await turn(sim);
  assert.equal(closed, 1);
  assert.throws(() => s1.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
  const s2 = a.dgram.createSocket({ type: 'udp6', signal: AbortSignal.abort() });
  assert.throws(() => s2.bind(7302), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
  c.close();
  server.close();
  sim.close();
});
