// UDP sockets on two stacks with Node's dgram surface, in virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { decode } from '../support/frames.js';
import type { RemoteInfo } from '../../src/socket/udp.js';

function pair() {
  const sim = new Sim(23);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'], acceptRa: false });
  const b = sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['2001:db8::b/64'], acceptRa: false });
  return { sim, a, b };
}

/** Lets queued microtasks (dgram-style deferred completions) run, then moves frames. */
async function turn(sim: Sim): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    sim.settle();
  }
}

test('udp6: bind, send, receive with rinfo, reply to rinfo (RFC 768, dgram surface)', async () => {
  const { sim, a, b } = pair();
  const server = b.dgram.createSocket({ type: 'udp6' });
  const got: Array<[string, RemoteInfo]> = [];
  server.on('message', (m: Buffer, r: RemoteInfo) => {
    got.push([m.toString(), r]);
    server.send(`echo ${m}`, r.port, r.address);
  });
  let listening = false;
  server.bind(7000, () => (listening = true));
  await turn(sim);
  assert.ok(listening);
  assert.deepEqual(server.address(), { address: '::', family: 'IPv6', port: 7000 });
  const client = a.dgram.createSocket('udp6');
  const replies: string[] = [];
  client.on('message', (m: Buffer) => replies.push(m.toString()));
  let sent = -1;
  client.send('hello', 7000, '2001:db8::b', (err: Error | null, n: number) => {
    assert.equal(err, null);
    sent = n;
  });
  await turn(sim);
  assert.equal(sent, 5);
  assert.equal(got.length, 1);
  assert.equal(got[0][0], 'hello');
  assert.equal(got[0][1].address, '2001:db8::a');
  assert.equal(got[0][1].family, 'IPv6');
  const cport = client.address().port;
  assert.ok(cport >= 32768 && cport <= 60999, `ephemeral port ${cport} (RFC 6056, Linux's range)`);
  assert.equal(got[0][1].port, cport);
  assert.deepEqual(replies, ['echo hello']);
  // On the wire: a checksummed UDP datagram.
  const d = sim.wire.map((f) => decode(f.frame)).find((x) => x.nextHeader === 17)!;
  assert.ok(d.checksumOk);
  client.close();
  server.close();
  sim.close();
});

test('a second bind of the same port is EADDRINUSE; V6ONLY lets a v4 bind share it (paper §4)', async () => {
  const { sim, b } = pair();
  const s1 = b.dgram.createSocket({ type: 'udp6' });
  s1.bind(7001);
  const s2 = b.dgram.createSocket({ type: 'udp6' });
  const errs: string[] = [];
  s2.on('error', (e: NodeJS.ErrnoException) => errs.push(e.code!));
  s2.bind(7001);
  await turn(sim);
  assert.deepEqual(errs, ['EADDRINUSE']);
  const v6only = b.dgram.createSocket({ type: 'udp6', ipv6Only: true });
  v6only.bind(7002);
  const v4 = b.dgram.createSocket({ type: 'udp4' });
  const v4errs: string[] = [];
  v4.on('error', (e: NodeJS.ErrnoException) => v4errs.push(e.code!));
  v4.bind(7002);
  const v4b = b.dgram.createSocket({ type: 'udp4' });
  v4b.on('error', (e: NodeJS.ErrnoException) => v4errs.push(`second:${e.code}`));
  v4b.bind(7001); // the dual-stack :: socket owns 7001 in the IPv4 space too
  await turn(sim);
  assert.deepEqual(v4errs, ['second:EADDRINUSE']);
  sim.close();
});

test('a connected socket only hears its peer; closed ports answer Port Unreachable', async () => {
  const { sim, a, b } = pair();
  const server = b.dgram.createSocket('udp6');
  const got: string[] = [];
  server.on('message', (m: Buffer) => got.push(m.toString()));
  server.bind(7003);
  await turn(sim);
  server.connect(9999, '2001:db8::a');
  await turn(sim);
  const c = a.dgram.createSocket('udp6');
  c.send('not the peer', 7003, '2001:db8::b');
  await turn(sim);
  assert.deepEqual(got, [], 'filtered: the source port is not 9999');
  const mark = sim.wire.length;
  c.send('nobody', 7999, '2001:db8::b');
  await turn(sim);
  const unreach = sim.framesSince(mark).map((f) => decode(f.frame)).filter((d) => d.icmpType === 1 && d.icmpCode === 4);
  assert.equal(unreach.length, 1);
  sim.close();
});
