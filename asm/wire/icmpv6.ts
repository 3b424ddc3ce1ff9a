// ICMPv6 message header (RFC 4443 §2.1).
//
//   0               1               2               3
//  +---------------+---------------+-------------------------------+
//  |     Type      |     Code      |           Checksum            |
//  +---------------+---------------+-------------------------------+
//  |                         Message Body                          |
//
// Echo Request/Reply (§4.1, §4.2) carry Identifier and Sequence Number in the
// first four bytes of the body.

export const ICMP6_TYPE: u32 = 0;
export const ICMP6_CODE: u32 = 1;
export const ICMP6_CSUM: u32 = 2;
export const ICMP6_HEADER_LEN: u32 = 4;
export const ICMP6_ECHO_LEN: u32 = 8; // header + identifier + sequence

export const ICMP6_DST_UNREACH: u32 = 1;
export const ICMP6_PACKET_TOO_BIG: u32 = 2;
export const ICMP6_TIME_EXCEEDED: u32 = 3;
export const ICMP6_PARAM_PROB: u32 = 4;
export const ICMP6_ECHO_REQUEST: u32 = 128;
export const ICMP6_ECHO_REPLY: u32 = 129;
export const MLD_QUERY: u32 = 130;
export const MLD_REPORT: u32 = 131;
export const MLD_DONE: u32 = 132;
export const ND_ROUTER_SOLICIT: u32 = 133;
export const ND_ROUTER_ADVERT: u32 = 134;
export const ND_NEIGHBOR_SOLICIT: u32 = 135;
export const ND_NEIGHBOR_ADVERT: u32 = 136;
export const ND_REDIRECT: u32 = 137;
export const MLD2_REPORT: u32 = 143;

/** Length check: the 4-byte ICMPv6 header fits. */
// @ts-ignore: decorator
@inline export function icmp6Check(len: u32): bool {
  return len >= ICMP6_HEADER_LEN;
}

// @ts-ignore: decorator
@inline export function icmp6Type(p: usize): u32 {
  return load<u8>(p + ICMP6_TYPE);
}

// @ts-ignore: decorator
@inline export function icmp6Code(p: usize): u32 {
  return load<u8>(p + ICMP6_CODE);
}

/** Minimum length of each ND message's fixed part (RFC 4861 §4.1–§4.5). */
export function ndMinLen(type: u32): u32 {
  switch (type) {
    case ND_ROUTER_SOLICIT: return 8;
    case ND_ROUTER_ADVERT: return 16;
    case ND_NEIGHBOR_SOLICIT: return 24;
    case ND_NEIGHBOR_ADVERT: return 24;
    case ND_REDIRECT: return 40;
  }
  return 0;
}
