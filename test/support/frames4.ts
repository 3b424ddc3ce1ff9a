// IPv4, ICMPv4, UDP-over-IPv4 and ARP frame builders for tests (STYLE.md 12).
// Checksums come from the independent RFC 1071 reference in frames.ts, never
// from the WASM kernel.

import { refChecksum, refSum } from './frames.js';

/** 'xx:xx:xx:xx:xx:xx' → 6 bytes; group addresses allowed (parseMac refuses them as interface addresses). */
export function mac(text: string): Uint8Array {
  const p = text.split(':').map((h) => parseInt(h, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`bad MAC ${text}`);
  return Uint8Array.from(p);
}

/** 'a.b.c.d' → 4 bytes. */
export function ip4(text: string): Uint8Array {
  const p = text.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address ${text}`);
  return Uint8Array.from(p);
}

export interface Ip4Spec {
  src: string;
  dst: string;
  proto?: number;
  ttl?: number;
  tos?: number;
  id?: number;
  /** Flags and fragment offset (host order): 0x4000 DF, 0x2000 MF. */
  frag?: number;
  /** IP options (padded to a multiple of 4 by the caller). */
  options?: Uint8Array;
  upper: Uint8Array;
  /** Header checksum right (default) or left 0. */
  checksum?: boolean;
  /** Override the Total Length field. */
  totalLength?: number;
  /** Override the Version/IHL byte. */
  vihl?: number;
}

/** An IPv4 packet (RFC 791 §3.1) with a correct header checksum unless told otherwise. */
export function ipv4Packet(s: Ip4Spec): Uint8Array {
  const opt = s.options ?? new Uint8Array(0);
  const hl = 20 + opt.length;
  const p = new Uint8Array(hl + s.upper.length);
  const v = new DataView(p.buffer);
  p[0] = s.vihl ?? 0x40 | (hl >> 2);
  p[1] = s.tos ?? 0;
  v.setUint16(2, s.totalLength ?? p.length);
  v.setUint16(4, s.id ?? 0x1234);
  v.setUint16(6, s.frag ?? 0);
  p[8] = s.ttl ?? 64;
  p[9] = s.proto ?? 1;
  p.set(ip4(s.src), 12);
  p.set(ip4(s.dst), 16);
  p.set(opt, 20);
  if (s.checksum ?? true) v.setUint16(10, refChecksum(p.subarray(0, hl)));
  p.set(s.upper, hl);
  return p;
}

export interface Eth4Spec extends Ip4Spec {
  dstMac: string;
  srcMac: string;
  ethertype?: number;
  /** Bytes of Ethernet padding after the packet. */
  pad?: number;
}

export function ethernet(dstMac: string, srcMac: string, ethertype: number, payload: Uint8Array, pad = 0): Uint8Array {
  const f = new Uint8Array(14 + payload.length + pad);
  f.set(mac(dstMac), 0);
  f.set(mac(srcMac), 6);
  f[12] = ethertype >> 8;
  f[13] = ethertype & 0xff;
  f.set(payload, 14);
  return f;
}

/** An IPv4 packet in an Ethernet frame (RFC 894). */
export function eth4(s: Eth4Spec): Uint8Array {
  return ethernet(s.dstMac, s.srcMac, s.ethertype ?? 0x0800, ipv4Packet(s), s.pad ?? 0);
}

/** An ICMP echo message (RFC 792) of `type` (8 request, 0 reply) with its checksum. */
export function icmp4Echo(type: number, id: number, seq: number, data: Uint8Array = new Uint8Array(8), code = 0): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  const v = new DataView(m.buffer);
  m[0] = type;
  m[1] = code;
  v.setUint16(4, id);
  v.setUint16(6, seq);
  m.set(data, 8);
  v.setUint16(2, refChecksum(m));
  return m;
}

/** Any ICMP message: type, code, 4 bytes of rest-of-header, body; checksummed. */
export function icmp4(type: number, code: number, body: Uint8Array = new Uint8Array(4)): Uint8Array {
  const m = new Uint8Array(4 + body.length);
  m[0] = type;
  m[1] = code;
  m.set(body, 4);
  new DataView(m.buffer).setUint16(2, refChecksum(m));
  return m;
}

/** UDP checksum over the IPv4 pseudo-header (RFC 768), 0 sent as 0xffff. */
export function udp4Checksum(src: string, dst: string, d: Uint8Array): number {
  const ph = new Uint8Array(12);
  ph.set(ip4(src), 0);
  ph.set(ip4(dst), 4);
  ph[9] = 17;
  new DataView(ph.buffer).setUint16(10, d.length);
  const c = ~refSum(d, refSum(ph)) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** A UDP datagram for src → dst (checksum: 'ok' default, 'zero' none, 'bad'). */
export function udp4(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, o: { checksum?: 'ok' | 'zero' | 'bad'; length?: number } = {}): Uint8Array {
  const d = new Uint8Array(8 + payload.length);
  const v = new DataView(d.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, d.length);
  d.set(payload, 8);
  const mode = o.checksum ?? 'ok';
  if (mode !== 'zero') v.setUint16(6, udp4Checksum(src, dst, d) ^ (mode === 'bad' ? 0x0101 : 0));
  if (o.length !== undefined) v.setUint16(4, o.length);
  return d;
}

export interface ArpSpec {
  op: number;
  sha: string;
  spa: string;
  tha?: string;
  tpa: string;
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
}

/** A 28-byte Ethernet/IPv4 ARP packet (RFC 826). */
export function arpPacket(s: ArpSpec): Uint8Array {
  const p = new Uint8Array(28);
  const v = new DataView(p.buffer);
  v.setUint16(0, s.htype ?? 1);
  v.setUint16(2, s.ptype ?? 0x0800);
  p[4] = s.hlen ?? 6;
  p[5] = s.plen ?? 4;
  v.setUint16(6, s.op);
  p.set(mac(s.sha), 8);
  p.set(ip4(s.spa), 14);
  p.set(mac(s.tha ?? '00:00:00:00:00:00'), 18);
  p.set(ip4(s.tpa), 24);
  return p;
}
