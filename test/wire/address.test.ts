// Address text forms (src/wire/address.ts): RFC 4291 §2.2 parsing, RFC 5952
// printing, RFC 4007 §11 zones, prefixes, solicited-node groups (RFC 4291
// §2.7.1), modified EUI-64 link-local addresses (RFC 4291 App. A), MACs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIp6, formatMac, linkLocalFromMac, parseIp6, parseIp6Zoned, parseMac, parsePrefix, solicitedNode,
} from '../../src/wire/address.js';
import { prng } from '../support/engine.js';

const hex = (a: Uint8Array): string => Buffer.from(a).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/[ :]/g, ''), 'hex'));

test('parses all three text forms into network-order bytes (RFC 4291 §2.2)', () => {
  assert.equal(hex(parseIp6('2001:0db8:0000:0000:0008:0800:200c:417a')), '20010db80000000000080800200c417a');
  assert.equal(hex(parseIp6('2001:DB8::8:800:200C:417A')), '20010db80000000000080800200c417a');
  assert.equal(hex(parseIp6('::')), '0'.repeat(32));
  assert.equal(hex(parseIp6('::1')), '0'.repeat(31) + '1');
  assert.equal(hex(parseIp6('ff01::101')), 'ff01' + '0'.repeat(24) + '0101');
  assert.equal(hex(parseIp6('1::')), '0001' + '0'.repeat(28));
  assert.equal(hex(parseIp6('1:2:3:4:5:6:7::')), '0001000200030004000500060007' + '0000');
  assert.equal(hex(parseIp6('::0:0:0:0:0:0:1')), '0'.repeat(31) + '1', ':: standing for one group');
  assert.equal(hex(parseIp6('[fe80::1]')), 'fe80' + '0'.repeat(27) + '1', 'brackets (RFC 3986 host form)');
});

test('prints RFC 5952 §4.1: leading zeros dropped', () => {
  assert.equal(formatIp6(parseIp6('2001:0db8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
  assert.equal(formatIp6(parseIp6('2001:db8:00aa:0bb0:0c00:1:2:3')), '2001:db8:aa:bb0:c00:1:2:3');
});

test('prints RFC 5952 §4.2: longest zero run compressed, first on ties, single zero group kept', () => {
  assert.equal(formatIp6(parseIp6('2001:db8:0:0:0:0:2:1')), '2001:db8::2:1', '§4.2.1 shorten as much as possible');
  assert.equal(formatIp6(parseIp6('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1', '§4.2.2 one 16-bit 0 field is not ::');
  assert.equal(formatIp6(parseIp6('2001:0:0:1:0:0:0:1')), '2001:0:0:1::1', '§4.2.3 the longest run');
  assert.equal(formatIp6(parseIp6('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1', '§4.2.3 first of equal runs');
  assert.equal(formatIp6(parseIp6('1:2:3:4:5:6:7:0')), '1:2:3:4:5:6:7:0');
  assert.equal(formatIp6(parseIp6('0:2:3:4:5:6:7:8')), '0:2:3:4:5:6:7:8');
  assert.equal(formatIp6(parseIp6('0:0:3:4:5:6:7:8')), '::3:4:5:6:7:8');
  assert.equal(formatIp6(parseIp6('1:2:3:4:5:6:0:0')), '1:2:3:4:5:6::');
  assert.equal(formatIp6(parseIp6('0:0:0:0:0:0:0:0')), '::');
  assert.equal(formatIp6(parseIp6('0:0:0:0:0:0:0:1')), '::1');
});

test('prints RFC 5952 §4.3: lower case', () => {
  assert.equal(formatIp6(parseIp6('2001:DB8::AbCd:EF')), '2001:db8::abcd:ef');
});

test('round trip: format(parse(s)) == s for canonical text, and parse(format(a)) == a for random addresses', () => {
  for (const s of ['::', '::1', '1::', 'fe80::1', '2001:db8::1:0:0:1', 'ff02::1:ff00:1', '2001:db8:1:2:3:4:5:6', '::ffff:192.0.2.1']) {
    assert.equal(formatIp6(parseIp6(s)), s);
  }
  const rand = prng(5952);
  for (let k = 0; k < 2000; k++) {
    const a = new Uint8Array(16);
    for (let g = 0; g < 8; g++) {
      if (rand() < 0.5) continue; // zero groups in runs of every length
      const w = rand() < 0.3 ? (rand() * 16) | 0 : (rand() * 65536) | 0;
      a[2 * g] = w >> 8;
      a[2 * g + 1] = w & 0xff;
    }
    const s = formatIp6(a);
    assert.deepEqual(parseIp6(s), a, s);
    assert.equal(formatIp6(parseIp6(s.toUpperCase())), s);
    // Differential: WHATWG URL's IPv6 serializer follows RFC 5952 §4 (not §5's dotted IPv4-mapped form).
    if (!s.startsWith('::ffff:')) assert.equal(s, new URL(`http://[${s}]/`).hostname.slice(1, -1), hex(a));
  }
});

test('embedded IPv4 (RFC 4291 §2.2 form 3); IPv4-mapped printed dotted (RFC 5952 §5)', () => {
  const a = parseIp6('::ffff:192.0.2.1');
  assert.equal(hex(a), '00000000000000000000ffffc0000201');
  assert.equal(formatIp6(a), '::ffff:192.0.2.1');
  assert.equal(hex(parseIp6('64:ff9b::192.0.2.33')), '0064ff9b0000000000000000c0000221');
  assert.equal(hex(parseIp6('1:2:3:4:5:6:1.2.3.4')), '00010002000300040005000601020304');
  for (const bad of ['::ffff:1.2.3', '::ffff:256.1.1.1', '::ffff:1.2.3.4.5', '::ffff:01.2.3.4', '1.2.3.4::', '::1.2.3.4:1', '1:2:3:4:5:6:7:1.2.3.4']) {
    assert.throws(() => parseIp6(bad), { code: 'ERR_INVALID_ADDRESS' }, bad);
  }
});

test('zones: fe80::1%tap0 has zone "tap0" (RFC 4007 §11)', () => {
  const z = parseIp6Zoned('fe80::1%tap0');
  assert.equal(z.zone, 'tap0');
  assert.equal(hex(z.addr), 'fe80' + '0'.repeat(27) + '1');
  assert.equal(formatIp6(z.addr, 'tap0'), 'fe80::1%tap0');
  assert.equal(parseIp6Zoned('fe80::1%3').zone, '3');
  assert.equal(parseIp6Zoned('fe80::1').zone, undefined);
  assert.throws(() => parseIp6('fe80::1%tap0'), { code: 'ERR_INVALID_ADDRESS' }, 'parseIp6 takes no zone');
  assert.throws(() => parseIp6Zoned('fe80::1%tap 0'), { code: 'ERR_INVALID_ADDRESS' });
});

test('malformed addresses are rejected with ERR_INVALID_ADDRESS (RFC 4291 §2.2)', () => {
  for (const bad of [
    ':::', '1::2::3', '12345::', 'fe80::1%', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '', ':', ':1::2', '1::2:',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:', ' ', 'fe80:::1', '02001::1',
  ]) {
    assert.throws(() => parseIp6Zoned(bad), { code: 'ERR_INVALID_ADDRESS' }, JSON.stringify(bad));
  }
  assert.throws(() => parseIp6(42 as unknown as string), { code: 'ERR_INVALID_ADDRESS' });
});

test('parsePrefix reads addr/plen; plen 0..128 (RFC 4291 §2.3)', () => {
  const p = parsePrefix('2001:db8::/64');
  assert.equal(p.prefixLen, 64);
  assert.equal(formatIp6(p.addr), '2001:db8::');
  assert.equal(parsePrefix('2001:db8::1').prefixLen, 128, 'no /plen: a host');
  assert.equal(parsePrefix('::/0').prefixLen, 0);
  assert.equal(parsePrefix('2001:db8::1/128').prefixLen, 128);
  const z = parsePrefix('fe80::1%tap0/64');
  assert.deepEqual([formatIp6(z.addr), z.prefixLen, z.zone], ['fe80::1', 64, 'tap0']);
  for (const bad of ['2001:db8::/129', '2001:db8::/', '2001:db8::/-1', '2001:db8::/6 4', '2001:db8::/1000', '2001:db8::/64/64']) {
    assert.throws(() => parsePrefix(bad), { code: 'ERR_INVALID_ADDRESS' }, bad);
  }
});

test('solicited-node group of 4037::01:800:200E:8C6C is FF02::1:FF0E:8C6C (RFC 4291 §2.7.1)', () => {
  assert.equal(formatIp6(solicitedNode(parseIp6('4037::01:800:200E:8C6C'))), 'ff02::1:ff0e:8c6c');
  assert.equal(formatIp6(solicitedNode(parseIp6('2001:db8::1'))), 'ff02::1:ff00:1');
  assert.equal(formatIp6(solicitedNode(parseIp6('fe80::211:22ff:fe33:4455'))), 'ff02::1:ff33:4455');
});

test('link-local address from a MAC: modified EUI-64, U/L bit inverted (RFC 4291 App. A, RFC 2464 §4–5)', () => {
  assert.equal(formatIp6(linkLocalFromMac(parseMac('00:11:22:33:44:55'))), 'fe80::211:22ff:fe33:4455');
  // 02: locally administered → the inverted U/L bit leaves 00.
  assert.equal(formatIp6(linkLocalFromMac(parseMac('02:00:00:00:00:02'))), 'fe80::ff:fe00:2');
  assert.equal(formatIp6(linkLocalFromMac(parseMac('02:00:5e:00:00:02'))), 'fe80::5eff:fe00:2');
  assert.equal(formatIp6(linkLocalFromMac(parseMac('fe:ff:ff:ff:ff:ff'))), 'fe80::fcff:ffff:feff:ffff');
});

test('parseMac/formatMac; a multicast (I/G) MAC is ERR_INVALID_MAC', () => {
  assert.deepEqual(parseMac('02:00:5E:00:00:01'), bytes('02005e000001'));
  assert.deepEqual(parseMac('02-00-5e-00-00-01'), bytes('02005e000001'));
  assert.deepEqual(parseMac('2:0:5e:0:0:1'), bytes('02005e000001'));
  assert.equal(formatMac(bytes('02005e0000ab')), '02:00:5e:00:00:ab');
  assert.equal(formatMac(parseMac('0A:1B:2C:3D:4E:5F')), '0a:1b:2c:3d:4e:5f');
  for (const bad of ['01:00:5e:00:00:01', '33:33:00:00:00:01', 'ff:ff:ff:ff:ff:ff']) {
    assert.throws(() => parseMac(bad), { code: 'ERR_INVALID_MAC', message: /multicast/ }, bad);
  }
  for (const bad of ['02:00:5e:00:00', '02:00:5e:00:00:01:02', '02:00-5e:00:00:01', '02:00:5e:00:00:0g', '020:0:5e:00:00:01', '']) {
    assert.throws(() => parseMac(bad), { code: 'ERR_INVALID_MAC' }, bad);
  }
});
