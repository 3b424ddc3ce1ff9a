// UDP header (RFC 768; over IPv6: RFC 8200 §8.1).
//
//   0               1               2               3
//  +-------------------------------+-------------------------------+
//  |          Source Port          |       Destination Port        |
//  +-------------------------------+-------------------------------+
//  |            Length             |           Checksum            |
//  +-------------------------------+-------------------------------+

import { be16 } from '../util/bytes';

export const UDP_SRC_PORT: u32 = 0;
export const UDP_DST_PORT: u32 = 2;
export const UDP_LENGTH: u32 = 4;
export const UDP_CSUM: u32 = 6;
export const UDP_HEADER_LEN: u32 = 8;

/** Length check: the header fits and the Length field fits in `avail`. */
// @ts-ignore: decorator
@inline export function udpCheck(p: usize, avail: u32): bool {
  if (avail < UDP_HEADER_LEN) return false;
  const l = be16(p + UDP_LENGTH);
  return l >= UDP_HEADER_LEN && l <= avail;
}

// @ts-ignore: decorator
@inline export function udpLength(p: usize): u32 {
  return be16(p + UDP_LENGTH);
}
