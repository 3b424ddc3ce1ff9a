// IPv4 Path MTU Discovery (RFC 1191) on the shared cache (src/route/pmtu.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PmtuCache } from '../../src/route/pmtu.js';
import { Sim } from '../support/sim.js';
import { parseV4 } from '../../src/stack/ipv4.js';

test('IPv4 cache: a report below 552 clamps to 552 (Linux min_pmtu); never raised; ages out after 10 min (RFC 1191 §6.3)', () => {
  const c = new PmtuCache({ minMtu: 552, belowMinimum: 'clamp' });
  const d = parseV4('198.51.100.7');
  assert.equal(c.onPacketTooBig(d, 300, 1500, 0), true);
  assert.equal(c.pmtu(d, 1500), 552);
  assert.equal(c.onPacketTooBig(d, 1000, 1500, 1), false); // not raised
  assert.equal(c.nextDeadline(), 600_000);
  assert.deepEqual(c.onDeadline(600_000).length, 1);
  assert.equal(c.pmtu(d, 1500), 1500);
  // IPv6's default still discards reports below 1280 (RFC 8201 §4).
  const c6 = new PmtuCache();
  assert.equal(c6.onPacketTooBig(d, 1000, 1500, 0), false);
  assert.throws(() => new PmtuCache({ minMtu: 10 }), { code: 'ERR_INVALID_ARG' });
});

test('Fragmentation Needed with MTU 0 (a pre-RFC 1191 router) takes the next plateau below the datagram (RFC 1191 §5, Table 7-1); sends then fragment to it', async () => {
  const sim = new Sim(3);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['10.0.0.1/24'], acceptRa: false });
  sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['10.0.0.2/24'], acceptRa: false });
  const dst = parseV4('10.0.0.2');
  a.v4.onFragNeeded(dst, 0, 1500, 1500, sim.clock.now());
  assert.equal(a.v4.pmtu.pmtu(dst, 1500), 1492);
  a.v4.onFragNeeded(dst, 0, 1006, 1500, sim.clock.now());
  assert.equal(a.v4.pmtu.pmtu(dst, 1500), 552); // plateau 508, clamped to Linux's minimum
  const s = a.dgram.createSocket('udp4');
  s.send(Buffer.alloc(1000), 9, '10.0.0.2');
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    sim.settle();
  }
  const udp = sim.wire.filter((w) => w.from === 'a0' && w.frame[12] === 8 && w.frame[13] === 0 && w.frame[14 + 9] === 17).map((w) => w.frame.subarray(14));
  assert.equal(udp.length, 2);
  assert.ok(udp.every((ip) => ((ip[2] << 8) | ip[3]) <= 552));
  assert.equal(((udp[0][6] << 8) | udp[0][7]) & 0x4000, 0); // fragments go without DF
  s.close();
  sim.close();
});
