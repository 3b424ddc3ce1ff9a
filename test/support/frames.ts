// Frame builders and checkers for tests: build packets with the records, assert
// on decoded fields (STYLE.md 12). The checksum here is an independent
// TypeScript reference implementation of RFC 1071 (not the WASM kernel).

import { parseIp6, solicitedNode, type Ip6 } from '../../src/wire/address.js';
import { emitIp6Header } from '../../src/wire/ipv6.js';

/** RFC 1071 reference: one's-complement sum of big-endian 16-bit words. */
export function refSum(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

export function refChecksum(b: Uint8Array): number {
  return ~refSum(b) & 0xffff;
}

/** Upper-layer checksum over the IPv6 pseudo-header (RFC 8200 §8.1). */
export function upperChecksum(src: Ip6, dst: Ip6, nh: number, upper: Uint8Array): number {
  const ph = new Uint8Array(40 + upper.length);
  ph.set(src, 0);
  ph.set(dst, 16);
  new DataView(ph.buffer).setUint32(32, upper.length);
  ph[39] = nh;
  ph.set(upper, 40);
  return refChecksum(ph);
}

export interface FrameSpec {
  dstMac?: Uint8Array;
  srcMac?: Uint8Array;
  ethertype?: number;
  src: string | Ip6;
  dst: string | Ip6;
  hopLimit?: number;
  nextHeader?: number;
  upper: Uint8Array;
  /** Compute the ICMPv6/UDP checksum (default true). */
  checksum?: boolean;
  /** Override Payload Length. */
  payloadLength?: number;
}

const ip = (a: string | Ip6): Ip6 => (typeof a === 'string' ? parseIp6(a) : a);

export function ipv6Packet(s: FrameSpec): Uint8Array {
  const src = ip(s.src);
  const dst = ip(s.dst);
  const nh = s.nextHeader ?? 58;
  const p = new Uint8Array(40 + s.upper.length);
  emitIp6Header(p, 0, { payloadLength: s.payloadLength ?? s.upper.length, nextHeader: nh, hopLimit: s.hopLimit ?? 64, src, dst });
  p.set(s.upper, 40);
  if (s.checksum !== false) {
    const off = nh === 17 ? 46 : 42;
    p[off] = 0;
    p[off + 1] = 0;
    const c = upperChecksum(src, dst, nh, p.subarray(40));
    p[off] = c >> 8;
    p[off + 1] = c & 0xff;
  }
  return p;
}

export function ethFrame(s: FrameSpec): Uint8Array {
  const pkt = ipv6Packet(s);
  const f = new Uint8Array(14 + pkt.length);
  const dst = ip(s.dst);
  if (s.dstMac) f.set(s.dstMac, 0);
  else f.set([0x33, 0x33, dst[12], dst[13], dst[14], dst[15]], 0);
  f.set(s.srcMac ?? Uint8Array.from([2, 0, 0, 0, 0, 0x99]), 6);
  f[12] = (s.ethertype ?? 0x86dd) >> 8;
  f[13] = (s.ethertype ?? 0x86dd) & 0xff;
  f.set(pkt, 14);
  return f;
}

export function echoRequest(id: number, seq: number, data: Uint8Array = new Uint8Array(8)): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = 128;
  m[4] = id >> 8;
  m[5] = id & 0xff;
  m[6] = seq >> 8;
  m[7] = seq & 0xff;
  m.set(data, 8);
  return m;
}

export function nsMessage(target: Ip6, sllao?: Uint8Array): Uint8Array {
  const m = new Uint8Array(24 + (sllao ? 8 : 0));
  m[0] = 135;
  m.set(target, 8);
  if (sllao) {
    m[24] = 1;
    m[25] = 1;
    m.set(sllao, 26);
  }
  return m;
}

export function naMessage(target: Ip6, flags: { r?: boolean; s?: boolean; o?: boolean }, tllao?: Uint8Array): Uint8Array {
  const m = new Uint8Array(24 + (tllao ? 8 : 0));
  m[0] = 136;
  m[4] = (flags.r ? 0x80 : 0) | (flags.s ? 0x40 : 0) | (flags.o ? 0x20 : 0);
  m.set(target, 8);
  if (tllao) {
    m[24] = 2;
    m[25] = 1;
    m.set(tllao, 26);
  }
  return m;
}

/** Decoded view of an Ethernet + IPv6 + ICMPv6 frame for assertions. */
export interface Decoded {
  dstMac: string;
  srcMac: string;
  ethertype: number;
  src: Ip6;
  dst: Ip6;
  hopLimit: number;
  nextHeader: number;
  payloadLength: number;
  icmpType?: number;
  icmpCode?: number;
  /** ICMPv6 message or UDP datagram. */
  upper: Uint8Array;
  checksumOk: boolean;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');

export function decode(frame: Uint8Array): Decoded {
  const ipb = frame.subarray(14);
  const nh = ipb[6];
  const plen = (ipb[4] << 8) | ipb[5];
  const upper = ipb.slice(40, 40 + plen);
  const src = ipb.slice(8, 24);
  const dst = ipb.slice(24, 40);
  return {
    dstMac: hex(frame.subarray(0, 6)),
    srcMac: hex(frame.subarray(6, 12)),
    ethertype: (frame[12] << 8) | frame[13],
    src,
    dst,
    hopLimit: ipb[7],
    nextHeader: nh,
    payloadLength: plen,
    icmpType: nh === 58 ? upper[0] : undefined,
    icmpCode: nh === 58 ? upper[1] : undefined,
    upper,
    checksumOk: upperChecksum(src, dst, nh, upper) === 0,
  };
}

export { solicitedNode, parseIp6 };
