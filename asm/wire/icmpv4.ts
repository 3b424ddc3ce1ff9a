// ICMP for IPv4 (RFC 792; host requirements RFC 1122 §3.2.2).
//
//   0                   1                   2                   3
//  +---------------+---------------+-------------------------------+
//  |     Type      |     Code      |          Checksum             |
//  +---------------+---------------+-------------------------------+
//  |   Identifier (echo) / unused  |  Sequence Number (echo) / ... |
//  +-------------------------------+-------------------------------+
//
// The checksum covers the whole ICMP message, with no pseudo-header.

export const ICMP4_TYPE: u32 = 0;
export const ICMP4_CODE: u32 = 1;
export const ICMP4_CSUM: u32 = 2;
export const ICMP4_HEADER_LEN: u32 = 8; // type, code, checksum and the 4-byte rest of header

export const ICMP4_ECHO_REPLY: u32 = 0;
export const ICMP4_DST_UNREACH: u32 = 3;
export const ICMP4_ECHO_REQUEST: u32 = 8;
export const ICMP4_TIME_EXCEEDED: u32 = 11;
export const ICMP4_PARAM_PROBLEM: u32 = 12;

/** Length check: the 8-byte header fits. */
// @ts-ignore: decorator
@inline export function icmp4Check(avail: u32): bool {
  return avail >= ICMP4_HEADER_LEN;
}

// @ts-ignore: decorator
@inline export function icmp4Type(p: usize): u32 {
  return <u32>load<u8>(p + ICMP4_TYPE);
}
