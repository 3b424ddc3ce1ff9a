// IPv6 fixed header (RFC 8200 §3).
//
//   0               1               2               3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-------+---------------+---------------------------------------+
//  |Version| Traffic Class |              Flow Label               |
//  +-------+---------------+-------+---------------+---------------+
//  |        Payload Length         |  Next Header  |   Hop Limit   |
//  +-------------------------------+---------------+---------------+
//  |                    Source Address (128 bits)                  |
//  +---------------------------------------------------------------+
//  |                 Destination Address (128 bits)                |
//  +---------------------------------------------------------------+

import { be16 } from '../util/bytes';

export const IP6_VTC: u32 = 0;
export const IP6_PAYLOAD_LEN: u32 = 4;
export const IP6_NEXT_HEADER: u32 = 6;
export const IP6_HOP_LIMIT: u32 = 7;
export const IP6_SRC: u32 = 8;
export const IP6_DST: u32 = 24;
export const IP6_HEADER_LEN: u32 = 40;

export const NH_HOP_BY_HOP: u32 = 0;
export const NH_TCP: u32 = 6;
export const NH_UDP: u32 = 17;
export const NH_ROUTING: u32 = 43;
export const NH_FRAGMENT: u32 = 44;
export const NH_ESP: u32 = 50;
export const NH_AH: u32 = 51;
export const NH_ICMPV6: u32 = 58;
export const NH_NONE: u32 = 59;
export const NH_DEST_OPTS: u32 = 60;
export const NH_MOBILITY: u32 = 135;

/** Length check: the fixed header fits in `avail` bytes. */
// @ts-ignore: decorator
@inline export function ip6Check(avail: u32): bool {
  return avail >= IP6_HEADER_LEN;
}

// @ts-ignore: decorator
@inline export function ip6Version(p: usize): u32 {
  return <u32>load<u8>(p) >> 4;
}

// @ts-ignore: decorator
@inline export function ip6PayloadLen(p: usize): u32 {
  return be16(p + IP6_PAYLOAD_LEN);
}

// @ts-ignore: decorator
@inline export function ip6NextHeader(p: usize): u32 {
  return load<u8>(p + IP6_NEXT_HEADER);
}

// @ts-ignore: decorator
@inline export function ip6HopLimit(p: usize): u32 {
  return load<u8>(p + IP6_HOP_LIMIT);
}

/** ff00::/8 (RFC 4291 §2.7). `a` points at an address. */
// @ts-ignore: decorator
@inline export function isMulticast(a: usize): bool {
  return load<u8>(a) == 0xff;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
// @ts-ignore: decorator
@inline export function isLinkLocal(a: usize): bool {
  return load<u8>(a) == 0xfe && (load<u8>(a, 1) & 0xc0) == 0x80;
}

/** ::1 (RFC 4291 §2.5.3). */
// @ts-ignore: decorator
@inline export function isLoopback(a: usize): bool {
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0x0100000000000000;
}

/** :: (RFC 4291 §2.5.2). */
// @ts-ignore: decorator
@inline export function isUnspecified(a: usize): bool {
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0;
}

/** True when the first `plen` bits of `a` and `b` are equal. */
export function prefixMatch(a: usize, b: usize, plen: u32): bool {
  if (plen > 128) return false;
  let i: u32 = 0;
  while (plen >= 8) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
    plen -= 8;
  }
  if (plen == 0) return true;
  const mask = <u32>(0xff << (8 - plen)) & 0xff;
  return ((<u32>load<u8>(a + i) ^ <u32>load<u8>(b + i)) & mask) == 0;
}
