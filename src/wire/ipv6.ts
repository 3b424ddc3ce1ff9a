// IPv6 header emit for control-plane packets (RFC 8200 §3). Parsing lives in
// the hot path (asm/wire/ipv6.ts); TypeScript only writes headers and reads the
// few fields it needs from packets the hot path already validated.

import type { Ip6 } from './address.js';

export const IP6_HEADER_LEN = 40;
export const NH_ICMPV6 = 58;
export const NH_UDP = 17;

/** Writes a 40-byte IPv6 header at `o` (traffic class and flow label 0). */
export function emitIp6Header(
  b: Uint8Array,
  o: number,
  h: { payloadLength: number; nextHeader: number; hopLimit: number; src: Ip6; dst: Ip6 },
): void {
  b[o] = 0x60;
  b[o + 1] = 0;
  b[o + 2] = 0;
  b[o + 3] = 0;
  b[o + 4] = h.payloadLength >> 8;
  b[o + 5] = h.payloadLength & 0xff;
  b[o + 6] = h.nextHeader;
  b[o + 7] = h.hopLimit;
  b.set(h.src, o + 8);
  b.set(h.dst, o + 24);
}

/** Source, destination and hop limit of a validated packet at `o`. */
export function ip6Fields(b: Uint8Array, o: number): { src: Ip6; dst: Ip6; hopLimit: number; payloadLength: number } {
  return {
    src: b.slice(o + 8, o + 24),
    dst: b.slice(o + 24, o + 40),
    hopLimit: b[o + 7],
    payloadLength: (b[o + 4] << 8) | b[o + 5],
  };
}

/**
 * The upper-layer checksum over the IPv6 pseudo-header (RFC 8200 §8.1, RFC 1071)
 * for packets built outside the hot path (simulated hosts, tools); the stack's
 * own packets get theirs from txBuild.
 */
export function upperLayerChecksum(src: Ip6, dst: Ip6, nextHeader: number, upper: Uint8Array): number {
  let sum = 0;
  const add = (b: Uint8Array): void => {
    for (let o = 0; o < b.length; o += 2) sum += (b[o] << 8) | (o + 1 < b.length ? b[o + 1] : 0);
  };
  add(src);
  add(dst);
  sum += Math.floor(upper.length / 65536) + (upper.length & 0xffff) + nextHeader;
  add(upper);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}
