// IPv4 wire formats: the header (src/wire/ipv4.ts, RFC 791 §3.1, checksum
// RFC 1071), ARP (src/wire/arp.ts, RFC 826) and ICMPv4 (src/wire/icmpv4.ts,
// RFC 792). Golden bytes written out by hand from the RFCs (and the
// well-known header of Wikipedia's "IPv4 header checksum" article), round
// trips, and every refusal of the checks, one at a time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp6, parseIp6, parseMac } from '../../src/wire/address.js';
import {
  checkIpv4Header, emitIpv4, emitIpv4Header, formatIpv4, fromMapped, ip4DontFragment, ip4FragmentOffset, ip4FromNumber,
  ip4IsFragment, ip4MoreFragments, ip4ToNumber, ipv4Checksum, ipv4HeaderLength, isMapped, parseIpv4, parseIpv4Header,
  toMapped, IPPROTO_ICMP, IPPROTO_UDP,
} from '../../src/wire/ipv4.js';
import {
  arpReplyTo, arpRequest, checkArp, emitArp, emitArpPacket, isGratuitous, parseArp, ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST,
} from '../../src/wire/arp.js';
import {
  checkIcmp4, echoReplyTo, emitIcmp4, icmp4Length, icmp4QuoteLength, parseIcmp4, writeIcmp4, ICMP4_DEST_UNREACH,
  ICMP4_ECHO_REPLY, ICMP4_ECHO_REQUEST, ICMP4_ERROR_MAX_QUOTE, ICMP4_TIME_EXCEEDED, Icmp4TimeExceededCode,
  Icmp4UnreachCode, type Icmp4Echo, type Icmp4Error,
} from '../../src/wire/icmpv4.js';

/** Bytes from a hex listing with spaces and line breaks. */
const hexBytes = (h: string): number[] => h.trim().split(/\s+/).flatMap((w) => w.match(/../g)!.map((x) => parseInt(x, 16)));

/** Emits into a buffer pre-filled with 0xaa at offset 3, so every byte written (and only those) shows. */
function emitted(size: number, emit: (b: Uint8Array, o: number) => number): { bytes: number[]; len: number; after: number[] } {
  const b = new Uint8Array(size + 8).fill(0xaa);
  const len = emit(b, 3);
  assert.deepEqual([...b.subarray(0, 3)], [0xaa, 0xaa, 0xaa], 'nothing written before the offset');
  return { bytes: [...b.subarray(3, 3 + len)], len, after: [...b.subarray(3 + len)] };
}

/** Recomputes the header checksum of `b` in place (to isolate the other checks). */
function refix(b: Uint8Array): Uint8Array {
  const hl = (b[0] & 0x0f) * 4;
  b[10] = 0;
  b[11] = 0;
  const c = ipv4Checksum(b.subarray(0, hl));
  b[10] = c >> 8;
  b[11] = c & 0xff;
  return b;
}

// --- IPv4 header ----------------------------------------------------------------------

// Wikipedia, "Internet checksum" / "IPv4 header checksum": a UDP datagram from
// 192.168.0.1 to 192.168.0.199, Total Length 0x73, DF, TTL 64, checksum b861.
const WIKI_HEADER = hexBytes('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
const WIKI_SPEC = {
  totalLength: 0x73,
  identification: 0,
  dontFragment: true,
  ttl: 64,
  protocol: IPPROTO_UDP,
  src: parseIpv4('192.168.0.1'),
  dst: parseIpv4('192.168.0.199'),
};

test('IPv4 header: golden bytes with checksum b861 (RFC 791 §3.1, RFC 1071)', () => {
  const e = emitted(20, (b, o) => emitIpv4Header(b, o, WIKI_SPEC));
  assert.equal(e.len, 20);
  assert.equal(ipv4HeaderLength(WIKI_SPEC), 20);
  assert.deepEqual(e.bytes, WIKI_HEADER, 'every byte, checksum b8 61 computed');
  assert.ok(e.after.every((x) => x === 0xaa), 'nothing written past the header');
});

test('ipv4Checksum: b861 over the header with the field zeroed, 0 over the whole header (RFC 1071 §1)', () => {
  const h = Uint8Array.from(WIKI_HEADER);
  assert.equal(ipv4Checksum(h), 0, 'a correct header sums to 0');
  h[10] = 0;
  h[11] = 0;
  assert.equal(ipv4Checksum(h), 0xb861);
  // RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement.
  assert.equal(ipv4Checksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), ~0xddf2 & 0xffff);
  // An odd length pads the last octet with zero on the right (RFC 1071 §4.1).
  assert.equal(ipv4Checksum(Uint8Array.of(0x01)), 0xfeff);
  assert.equal(ipv4Checksum(Uint8Array.of(0x12, 0x34, 0x56)), ~(0x1234 + 0x5600) & 0xffff);
});

test('IPv4 header: parse reads every field; payload ends at Total Length, link padding excluded', () => {
  const pkt = new Uint8Array(0x73 + 10); // 10 octets of trailing padding
  pkt.set(WIKI_HEADER);
  for (let i = 20; i < 0x73; i++) pkt[i] = i & 0xff;
  assert.equal(checkIpv4Header(pkt), null);
  const d = parseIpv4Header(pkt)!;
  assert.ok(d);
  assert.equal(d.headerLength, 20);
  assert.equal(d.header.tos, 0);
  assert.equal(d.header.totalLength, 0x73);
  assert.equal(d.header.identification, 0);
  assert.equal(d.header.dontFragment, true);
  assert.equal(d.header.moreFragments, false);
  assert.equal(d.header.fragmentOffset, 0);
  assert.equal(d.header.ttl, 64);
  assert.equal(d.header.protocol, IPPROTO_UDP);
  assert.equal(d.header.checksum, 0xb861);
  assert.equal(formatIpv4(d.header.src), '192.168.0.1');
  assert.equal(formatIpv4(d.header.dst), '192.168.0.199');
  assert.equal(d.header.options.length, 0);
  assert.equal(d.payload.length, 0x73 - 20);
  assert.equal(d.payload[0], 20);
  assert.equal(ip4DontFragment(pkt), true);
  assert.equal(ip4IsFragment(pkt), false, 'DF alone is not a fragment');
});

test('IPv4 header: each check refuses on its own (RFC 1122 §3.2.1.1–2, RFC 1812 §5.2.2)', () => {
  const good = (): Uint8Array => {
    const p = new Uint8Array(0x73);
    p.set(WIKI_HEADER);
    return p;
  };
  const cases: Array<[string, Uint8Array, string]> = [
    ['19 octets', good().slice(0, 19), 'TRUNCATED'],
    ['empty', new Uint8Array(0), 'TRUNCATED'],
    ['version 6', refix(Object.assign(good(), { 0: 0x65 })), 'VERSION'],
    ['IHL 4', refix(Object.assign(good(), { 0: 0x44 })), 'IHL'],
    ['IHL 15 in a 40-octet packet', (() => { const p = good().slice(0, 40); p[0] = 0x4f; p[3] = 40; return p; })(), 'IHL'],
    ['checksum off by one', Object.assign(good(), { 11: 0x62 }), 'CHECKSUM'],
    ['Total Length 0x74 > 0x73 octets', refix(Object.assign(good(), { 3: 0x74 })), 'TOTAL_LENGTH'],
    ['Total Length 19 < IHL·4', refix(Object.assign(good(), { 2: 0, 3: 19 })), 'TOTAL_LENGTH'],
  ];
  for (const [name, p, why] of cases) {
    assert.equal(checkIpv4Header(p), why, name);
    assert.equal(parseIpv4Header(p), null, `${name}: parse refuses`);
  }
  assert.equal(checkIpv4Header(good()), null, 'the unmodified packet passes');
});

test('IPv4 header: options are skipped but kept; IHL 6 puts the payload at 24 (RFC 791 §3.1)', () => {
  const routerAlert = Uint8Array.of(0x94, 0x04, 0x00, 0x00); // RFC 2113
  const payload = Uint8Array.of(1, 2, 3, 4, 5);
  const spec = { protocol: 2, ttl: 1, src: parseIpv4('192.0.2.10'), dst: parseIpv4('224.0.0.22'), options: routerAlert, tos: 0xc0 };
  const p = emitIpv4(spec, payload);
  assert.equal(p.length, 29);
  assert.equal(p[0], 0x46, 'version 4, IHL 6');
  assert.equal(ipv4Checksum(p.subarray(0, 24)), 0, 'checksum covers the options');
  const d = parseIpv4Header(p)!;
  assert.equal(d.headerLength, 24);
  assert.deepEqual([...d.header.options], [...routerAlert]);
  assert.deepEqual([...d.payload], [...payload]);
  assert.equal(d.header.tos, 0xc0);
  // Round trip: the parsed record emits the same bytes.
  assert.deepEqual([...emitIpv4({ ...d.header }, d.payload)], [...p]);
});

test('IPv4 header: fragment fields DF, MF and offset (RFC 791 §3.1, §3.2)', () => {
  const p = emitIpv4(
    { protocol: IPPROTO_ICMP, identification: 0xbeef, moreFragments: true, fragmentOffset: 1480, src: parseIpv4('198.51.100.1'), dst: parseIpv4('203.0.113.9') },
    new Uint8Array(16),
  );
  assert.deepEqual([p[4], p[5]], [0xbe, 0xef]);
  assert.deepEqual([p[6], p[7]], [0x20, 0xb9], 'MF (0x2000) | 1480 / 8 = 185 = 0xb9');
  assert.equal(ip4MoreFragments(p), true);
  assert.equal(ip4FragmentOffset(p), 1480);
  assert.equal(ip4IsFragment(p), true);
  const h = parseIpv4Header(p)!.header;
  assert.deepEqual([h.dontFragment, h.moreFragments, h.fragmentOffset, h.identification], [false, true, 1480, 0xbeef]);
  assert.equal(h.ttl, 64, 'default TTL 64');
  const last = emitIpv4({ protocol: 1, fragmentOffset: 65528, src: h.src, dst: h.dst }, new Uint8Array(0));
  assert.deepEqual([last[6], last[7]], [0x1f, 0xff], 'the largest offset fills all 13 bits');
  assert.equal(ip4IsFragment(last), true, 'a last fragment (offset ≠ 0, MF clear) is a fragment');
});

test('IPv4 header: emit refuses specs that do not fit the header (ERR_INVALID_ARG)', () => {
  const base = { protocol: 17, totalLength: 40, src: parseIpv4('192.0.2.1'), dst: parseIpv4('192.0.2.2') };
  const b = new Uint8Array(64);
  const bad = [
    { ...base, fragmentOffset: 4 },
    { ...base, fragmentOffset: 65536 },
    { ...base, options: new Uint8Array(3) },
    { ...base, options: new Uint8Array(44), totalLength: 100 },
    { ...base, totalLength: 19 },
    { ...base, totalLength: 65536 },
    { ...base, ttl: 256 },
    { ...base, src: new Uint8Array(16) },
  ];
  for (const s of bad) assert.throws(() => emitIpv4Header(b, 0, s), { code: 'ERR_INVALID_ARG' }, JSON.stringify(s, (_k, v) => (v instanceof Uint8Array ? v.length : v)));
  assert.equal(emitIpv4Header(b, 0, base), 20);
});

// --- address helpers ----------------------------------------------------------------

test('parseIpv4 / formatIpv4: dotted quads round trip; everything else throws ERR_INVALID_ADDRESS', () => {
  for (const s of ['0.0.0.0', '192.0.2.1', '255.255.255.255', '10.0.0.10']) assert.equal(formatIpv4(parseIpv4(s)), s);
  assert.deepEqual([...parseIpv4('192.0.2.1')], [192, 0, 2, 1]);
  assert.equal(parseIpv4('192.0.2.1').length, 4);
  for (const s of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '0x7f.0.0.1', '1..2.3', '1.2.3.4 x', '::1']) {
    assert.throws(() => parseIpv4(s), { code: 'ERR_INVALID_ADDRESS' }, s);
  }
  assert.equal(ip4ToNumber(parseIpv4('192.0.2.1')), 0xc0000201);
  assert.equal(formatIpv4(ip4FromNumber(0xc0000201)), '192.0.2.1');
  assert.equal(ip4ToNumber(parseIpv4('255.255.255.255')), 0xffffffff, 'unsigned');
});

test('toMapped / fromMapped: ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)', () => {
  const m = toMapped(parseIpv4('192.0.2.1'));
  assert.equal(m.length, 16);
  assert.equal(formatIp6(m), '::ffff:192.0.2.1');
  assert.deepEqual([...m], [...parseIp6('::ffff:c000:201')]);
  assert.ok(isMapped(m));
  assert.equal(formatIpv4(fromMapped(m)!), '192.0.2.1');
  assert.equal(fromMapped(parseIp6('2001:db8::1')), null);
  assert.equal(fromMapped(parseIp6('::192.0.2.1')), null, 'IPv4-compatible (deprecated) is not mapped');
  assert.equal(fromMapped(parseIp6('::fffe:192.0.2.1')), null);
  assert.equal(fromMapped(parseIp6('1::ffff:192.0.2.1')), null);
  assert.throws(() => toMapped(new Uint8Array(16)), { code: 'ERR_INVALID_ARG' });
});

// --- ARP --------------------------------------------------------------------------------

const MAC_A = parseMac('02:00:00:00:00:0a');
const MAC_GW = parseMac('02:00:00:00:00:01');
const IP_A = parseIpv4('192.0.2.10');
const IP_GW = parseIpv4('192.0.2.1');

// RFC 826: ar$hrd 1 (Ethernet) | ar$pro 0x0800 | ar$hln 6 | ar$pln 4 | ar$op |
// sha | spa | tha | tpa. A request leaves tha zero.
const ARP_REQUEST_GOLDEN = hexBytes(`
  0001 0800 06 04 0001
  02 00 00 00 00 0a   c0 00 02 0a
  00 00 00 00 00 00   c0 00 02 01
`);
const ARP_REPLY_GOLDEN = hexBytes(`
  0001 0800 06 04 0002
  02 00 00 00 00 01   c0 00 02 01
  02 00 00 00 00 0a   c0 00 02 0a
`);

test('ARP request and reply: golden bytes (RFC 826)', () => {
  const req = arpRequest(MAC_A, IP_A, IP_GW);
  const e = emitted(ARP_LEN, (b, o) => emitArp(b, o, req));
  assert.equal(e.len, 28);
  assert.deepEqual(e.bytes, ARP_REQUEST_GOLDEN);
  assert.ok(e.after.every((x) => x === 0xaa), 'nothing past 28 octets');
  const rep = arpReplyTo(req, MAC_GW);
  assert.deepEqual([...emitArpPacket(rep)], ARP_REPLY_GOLDEN, 'RFC 826: swap, our addresses as sender, op REPLY');
});

test('ARP: parse reads a padded 60-octet Ethernet payload; round trip', () => {
  const frame = new Uint8Array(46); // minimum Ethernet payload
  frame.set(ARP_REPLY_GOLDEN);
  const p = parseArp(frame)!;
  assert.ok(p);
  assert.equal(p.op, ARP_OP_REPLY);
  assert.deepEqual([...p.senderMac], [...MAC_GW]);
  assert.equal(formatIpv4(p.senderIp), '192.0.2.1');
  assert.deepEqual([...p.targetMac], [...MAC_A]);
  assert.equal(formatIpv4(p.targetIp), '192.0.2.10');
  assert.deepEqual([...emitArpPacket(p)], ARP_REPLY_GOLDEN);
  const q = parseArp(Uint8Array.from(ARP_REQUEST_GOLDEN))!;
  assert.equal(q.op, ARP_OP_REQUEST);
  assert.equal(isGratuitous(q), false);
  assert.equal(isGratuitous(arpRequest(MAC_A, IP_A, IP_A)), true, 'sender = target address: gratuitous (RFC 5227 §3)');
});

test('ARP: truncated or foreign packets are refused (RFC 826 hardware/protocol checks)', () => {
  const g = (): Uint8Array => Uint8Array.from(ARP_REQUEST_GOLDEN);
  const cases: Array<[string, Uint8Array, string]> = [
    ['27 octets', g().slice(0, 27), 'TRUNCATED'],
    ['hardware type 6 (IEEE 802)', Object.assign(g(), { 1: 6 }), 'HARDWARE'],
    ['hardware length 8', Object.assign(g(), { 4: 8 }), 'HARDWARE'],
    ['protocol 0x86dd', Object.assign(g(), { 2: 0x86, 3: 0xdd }), 'PROTOCOL'],
    ['protocol length 16', Object.assign(g(), { 5: 16 }), 'PROTOCOL'],
    ['op 3 (RARP)', Object.assign(g(), { 7: 3 }), 'OPERATION'],
    ['op 0x0101', Object.assign(g(), { 6: 1 }), 'OPERATION'],
  ];
  for (const [name, p, why] of cases) {
    assert.equal(checkArp(p), why, name);
    assert.equal(parseArp(p), null, name);
  }
  assert.equal(checkArp(g()), null);
});

// --- ICMPv4 ---------------------------------------------------------------------------------

// RFC 792 Echo: 08 00 | checksum | id 1234 | seq 0001 | "abcd". By hand:
// 0800 + 1234 + 0001 + 6162 + 6364 = defb → checksum ~defb = 2104.
const ECHO_GOLDEN = hexBytes('08 00 21 04 12 34 00 01 61 62 63 64');
// The reply differs only in the type: 0000 + … = d6fb → 2904.
const ECHO_REPLY_GOLDEN = hexBytes('00 00 29 04 12 34 00 01 61 62 63 64');
const ABCD = Uint8Array.of(0x61, 0x62, 0x63, 0x64);

test('ICMPv4 Echo: golden bytes with a correct checksum; the reply (RFC 792)', () => {
  const req: Icmp4Echo = { type: ICMP4_ECHO_REQUEST, code: 0, identifier: 0x1234, sequence: 1, data: ABCD };
  const e = emitted(12, (b, o) => writeIcmp4(b, o, req));
  assert.equal(e.len, 12);
  assert.equal(icmp4Length(req), 12);
  assert.deepEqual(e.bytes, ECHO_GOLDEN);
  assert.ok(e.after.every((x) => x === 0xaa));
  const parsed = parseIcmp4(Uint8Array.from(ECHO_GOLDEN)) as Icmp4Echo;
  assert.deepEqual({ ...parsed, data: [...parsed.data] }, { ...req, data: [...ABCD] });
  assert.deepEqual([...emitIcmp4(echoReplyTo(parsed))], ECHO_REPLY_GOLDEN);
  assert.equal((parseIcmp4(Uint8Array.from(ECHO_REPLY_GOLDEN)) as Icmp4Echo).type, ICMP4_ECHO_REPLY);
});

test('ICMPv4 in IPv4: a whole echo datagram round trips', () => {
  const msg = emitIcmp4({ type: ICMP4_ECHO_REQUEST, code: 0, identifier: 7, sequence: 9, data: new Uint8Array(56).fill(0x5a) });
  const dg = emitIpv4({ protocol: IPPROTO_ICMP, src: IP_A, dst: IP_GW }, msg);
  const d = parseIpv4Header(dg)!;
  assert.equal(d.header.protocol, IPPROTO_ICMP);
  assert.equal(d.header.totalLength, 84, 'the classic 84-octet ping');
  const m = parseIcmp4(d.payload) as Icmp4Echo;
  assert.equal(m.identifier, 7);
  assert.equal(m.sequence, 9);
  assert.equal(m.data.length, 56);
});

test('ICMPv4: bad checksum, truncation and unknown types are refused (RFC 1122 §3.2.2)', () => {
  const g = (): Uint8Array => Uint8Array.from(ECHO_GOLDEN);
  const cases: Array<[string, Uint8Array, string]> = [
    ['7 octets', g().slice(0, 7), 'TRUNCATED'],
    ['data octet flipped', Object.assign(g(), { 11: 0x65 }), 'CHECKSUM'],
    ['checksum zero', Object.assign(g(), { 2: 0, 3: 0 }), 'CHECKSUM'],
  ];
  // Timestamp (13) with a correct checksum: unknown here, silently discarded.
  const ts = new Uint8Array(20);
  ts[0] = 13;
  const c = ipv4Checksum(ts);
  ts[2] = c >> 8;
  ts[3] = c & 0xff;
  cases.push(['timestamp (13)', ts, 'UNKNOWN_TYPE']);
  // A Destination Unreachable quoting only 19 octets of the invoking header.
  const shortErr = new Uint8Array(8 + 19);
  shortErr[0] = ICMP4_DEST_UNREACH;
  const c2 = ipv4Checksum(shortErr);
  shortErr[2] = c2 >> 8;
  shortErr[3] = c2 & 0xff;
  cases.push(['error quoting 19 octets', shortErr, 'TRUNCATED']);
  for (const [name, m, why] of cases) {
    assert.equal(checkIcmp4(m), why, name);
    assert.equal(parseIcmp4(m), null, name);
  }
  assert.equal(checkIcmp4(g()), null);
});

/** A UDP datagram from 192.0.2.10:5000 to 192.0.2.1:9 with `n` octets of data. */
function udpDatagram(n: number, options?: Uint8Array): Uint8Array {
  const udp = new Uint8Array(8 + n);
  udp.set([0x13, 0x88, 0x00, 0x09, (8 + n) >> 8, (8 + n) & 0xff, 0, 0]);
  udp.fill(0x77, 8);
  return emitIpv4({ protocol: IPPROTO_UDP, src: IP_A, dst: IP_GW, options }, udp);
}

test('ICMPv4 Port Unreachable quotes the IP header + 8 octets (RFC 792) or up to 548 (RFC 1812 §4.3.2.3, Linux)', () => {
  const inv = udpDatagram(100); // 128 octets
  const e792: Icmp4Error & { quote: 'rfc792' } = { type: ICMP4_DEST_UNREACH, code: Icmp4UnreachCode.PORT_UNREACHABLE, invoking: inv, quote: 'rfc792' };
  const m = emitIcmp4(e792);
  assert.equal(m.length, 8 + 28, 'header + IP header (20) + 64 bits');
  assert.deepEqual([...m.subarray(0, 2)], [3, 3]);
  assert.deepEqual([...m.subarray(4, 8)], [0, 0, 0, 0], 'unused is zero');
  assert.deepEqual([...m.subarray(8)], [...inv.subarray(0, 28)]);
  assert.equal(ipv4Checksum(m), 0, 'checksum correct');
  const p = parseIcmp4(m) as Icmp4Error;
  assert.equal(p.type, ICMP4_DEST_UNREACH);
  assert.equal(p.code, 3);
  assert.equal(p.mtu, undefined, 'no MTU outside code 4');
  assert.deepEqual([...p.invoking], [...inv.subarray(0, 28)]);
  // The quoted header parses as far as it goes: addresses and ports are there.
  assert.equal(formatIpv4(p.invoking.subarray(16, 20)), '192.0.2.1');
  assert.deepEqual([...p.invoking.subarray(20, 24)], [0x13, 0x88, 0x00, 0x09]);

  // With options the minimal quote grows with IHL.
  assert.equal(icmp4QuoteLength(udpDatagram(100, new Uint8Array(4)), 'rfc792'), 24 + 8);
  // The default quotes everything up to 548 octets: the error datagram stays ≤ 576.
  assert.equal(icmp4QuoteLength(inv), 128);
  assert.equal(emitIcmp4({ type: 3, code: 3, invoking: inv }).length, 8 + 128);
  const big = udpDatagram(1000);
  const mb = emitIcmp4({ type: 3, code: 3, invoking: big });
  assert.equal(mb.length, 8 + ICMP4_ERROR_MAX_QUOTE);
  assert.equal(20 + mb.length, 576);
  const tiny = emitIpv4({ protocol: IPPROTO_UDP, src: IP_A, dst: IP_GW }, new Uint8Array(4)); // 24 octets
  assert.equal(icmp4QuoteLength(tiny, 'rfc792'), 24, 'a datagram shorter than header + 8 is quoted whole');
});

test('ICMPv4 Fragmentation Needed carries the Next-Hop MTU; Time Exceeded (RFC 1191 §4, RFC 792)', () => {
  const inv = udpDatagram(1400);
  const m = emitIcmp4({ type: ICMP4_DEST_UNREACH, code: Icmp4UnreachCode.FRAGMENTATION_NEEDED, mtu: 1400, invoking: inv, quote: 'rfc792' });
  assert.deepEqual([...m.subarray(4, 8)], [0, 0, 0x05, 0x78]);
  assert.equal((parseIcmp4(m) as Icmp4Error).mtu, 1400);
  // The MTU field is not written for other codes.
  const pu = emitIcmp4({ type: ICMP4_DEST_UNREACH, code: Icmp4UnreachCode.PORT_UNREACHABLE, mtu: 1400, invoking: inv, quote: 'rfc792' });
  assert.deepEqual([...pu.subarray(4, 8)], [0, 0, 0, 0]);
  const te = emitIcmp4({ type: ICMP4_TIME_EXCEEDED, code: Icmp4TimeExceededCode.TTL_EXCEEDED, invoking: inv, quote: 'rfc792' });
  assert.deepEqual([...te.subarray(0, 2)], [11, 0]);
  const tp = parseIcmp4(te) as Icmp4Error;
  assert.equal(tp.type, ICMP4_TIME_EXCEEDED);
  assert.equal(tp.code, 0);
  assert.equal(tp.invoking.length, 28);
  assert.throws(() => emitIcmp4({ type: 5 as 3, code: 0, invoking: inv }), { code: 'ERR_INVALID_ARG' }, 'Redirect is not emitted here');
  assert.throws(() => emitIcmp4({ type: 8, code: 0, identifier: 70000, sequence: 0, data: ABCD }), { code: 'ERR_INVALID_ARG' });
});
