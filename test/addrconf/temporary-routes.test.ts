// RFC 8981 temporary addresses and static routes, in virtual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from '../support/sim.js';
import { ethFrame } from '../support/frames.js';
import { emitRouterAdvert } from '../../src/wire/ra.js';
import { formatIp6, parseIp6, prefixMatch } from '../../src/wire/address.js';
import { REGEN_ADVANCE, TEMP_PREFERRED_LIFETIME, MAX_DESYNC_FACTOR } from '../../src/addrconf/iid.js';

const ROUTER_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0x01]);

function raFrame(prefix: string, valid: number, preferred: number): Uint8Array {
  return ethFrame({
    srcMac: ROUTER_MAC,
    src: 'fe80::1',
    dst: 'ff02::1',
    hopLimit: 255,
    upper: emitRouterAdvert({
      routerLifetime: 1800,
      sourceLinkAddr: ROUTER_MAC,
      prefixes: [{ prefixLength: 64, onLink: true, autonomous: true, validLifetime: valid, preferredLifetime: preferred, prefix: parseIp6(prefix) }],
    }),
  });
}

function host(tempAddresses: boolean) {
  const sim = new Sim(21);
  const link = sim.link();
  const s = sim.stack({ link, name: 'h0', mac: '02:00:00:00:00:0a', slaac: true, tempAddresses, dadTransmits: 0 });
  return { sim, link, s, iface: s.interface('h0') };
}

test('temporary addresses (RFC 8981 §3.4): one beside the public SLAAC address, random IID, lifetimes capped by TEMP_PREFERRED_LIFETIME − DESYNC_FACTOR', () => {
  const { sim, link, s, iface } = host(true);
  const t0 = sim.clock.now();
  link.ports[0].deliver([raFrame('2001:db8:7::', 7 * 86400, 3 * 86400)]);
  const slaac = iface.addresses.filter((a) => a.origin === 'slaac');
  const temp = iface.addresses.filter((a) => a.origin === 'temporary');
  assert.equal(slaac.length, 1);
  assert.equal(temp.length, 1);
  assert.ok(prefixMatch(temp[0].addr, parseIp6('2001:db8:7::'), 64));
  assert.notDeepEqual([...temp[0].addr.subarray(8)], [...slaac[0].addr.subarray(8)], 'a different interface identifier');
  const pref = temp[0].preferredUntil - t0;
  assert.ok(pref <= TEMP_PREFERRED_LIFETIME && pref >= TEMP_PREFERRED_LIFETIME - MAX_DESYNC_FACTOR, `preferred ${pref}`);
  assert.equal(temp[0].validUntil - t0, 2 * 86400_000, 'TEMP_VALID_LIFETIME (the prefix allows 7 days)');
  // RFC 6724 rule 7: the temporary address is the source for new traffic.
  assert.equal(formatIp6(s.sourceFor(iface, parseIp6('2001:db8:99::1'))!), formatIp6(temp[0].addr));
  sim.close();
});

test('temporary addresses are regenerated REGEN_ADVANCE before they deprecate (RFC 8981 §3.5)', () => {
  const { sim, link, iface } = host(true);
  link.ports[0].deliver([raFrame('2001:db8:7::', 7 * 86400, 3 * 86400)]);
  const first = iface.addresses.find((a) => a.origin === 'temporary')!;
  const regenAt = first.preferredUntil - REGEN_ADVANCE;
  sim.advance(regenAt - sim.clock.now() - 1);
  assert.equal(iface.addresses.filter((a) => a.origin === 'temporary').length, 1, 'regen deadline − 1 ms: still one');
  sim.advance(1);
  const temps = iface.addresses.filter((a) => a.origin === 'temporary');
  assert.equal(temps.length, 2, 'a new temporary address at the regeneration deadline');
  assert.equal(first.state, 'preferred', 'the old one is still preferred until its own deadline');
  sim.advance(REGEN_ADVANCE + 600);
  assert.equal(first.state, 'deprecated');
  sim.close();
});

test('temporary addresses are off by default, like Linux', () => {
  const { sim, link, iface } = host(false);
  link.ports[0].deliver([raFrame('2001:db8:7::', 7 * 86400, 3 * 86400)]);
  assert.equal(iface.addresses.filter((a) => a.origin === 'temporary').length, 0);
  assert.equal(iface.addresses.filter((a) => a.origin === 'slaac').length, 1);
  sim.close();
});

test('static routes: longest match, gateway or on-link, errors with stable codes', () => {
  const sim = new Sim(5);
  const link = sim.link();
  const s = sim.stack({ link, name: 'h0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'] });
  const iface = s.interface('h0');
  assert.equal(s.nextHop(iface, parseIp6('2001:db8:100::1')), undefined, 'no route yet');
  s.addRoute('default', { via: 'fe80::1%h0' });
  s.addRoute('2001:db8:100::/48', { via: 'fe80::2%h0' });
  s.addRoute('2001:db8:100:5::/64', { dev: 'h0' });
  assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:100::1'))!), 'fe80::2');
  assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:100:5::9'))!), '2001:db8:100:5::9', 'interface route: on-link');
  assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:200::1'))!), 'fe80::1', 'default');
  assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8::77'))!), '2001:db8::77', 'on-link prefix beats routes');
  assert.throws(() => s.addRoute('2001:db8:100::/48', { via: 'fe80::2%h0' }), { code: 'ERR_ROUTE_EXISTS' });
  assert.throws(() => s.addRoute('2001:db8:300::/48', { via: 'fe80::2%nope' }), { code: 'ERR_UNKNOWN_ZONE' });
  assert.throws(() => s.addRoute('2001:db8:300::/48', {}), { code: 'ERR_INVALID_ARG' });
  assert.throws(() => s.addRoute('2001:db8:300::/48', { via: '2001:db9::1' }), { code: 'ERR_NO_ROUTE' });
  sim.close();
});
