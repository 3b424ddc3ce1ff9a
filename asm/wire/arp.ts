// ARP for IPv4 over Ethernet (RFC 826).
//
//   0                   1                   2                   3
//  +-------------------------------+-------------------------------+
//  |  Hardware Type (1 Ethernet)   |  Protocol Type (0x0800 IPv4)  |
//  +---------------+---------------+-------------------------------+
//  |  HLEN (6)     |  PLEN (4)     |  Operation (1 request 2 reply)|
//  +---------------+---------------+-------------------------------+
//  |  Sender Hardware Address (6)  …  Sender Protocol Address (4)  |
//  |  Target Hardware Address (6)  …  Target Protocol Address (4)  |
//  +---------------------------------------------------------------+
//
// The fast path only checks the shape; the merge rule and the answer are the
// control plane's (src/ipv4/).

import { be16 } from '../util/bytes';

export const ETHERTYPE_ARP: u32 = 0x0806;
export const ARP_HTYPE: u32 = 0;
export const ARP_PTYPE: u32 = 2;
export const ARP_HLEN: u32 = 4;
export const ARP_PLEN: u32 = 5;
export const ARP_OP: u32 = 6;
export const ARP_SHA: u32 = 8;
export const ARP_SPA: u32 = 14;
export const ARP_THA: u32 = 18;
export const ARP_TPA: u32 = 24;
export const ARP_LEN: u32 = 28; // Ethernet/IPv4
export const ARP_OP_REQUEST: u32 = 1;
export const ARP_OP_REPLY: u32 = 2;

/** Length check: the 28-byte Ethernet/IPv4 packet fits in `avail`. */
// @ts-ignore: decorator
@inline export function arpCheck(avail: u32): bool {
  return avail >= ARP_LEN;
}

/** Ethernet/IPv4 ARP with a known operation (call after arpCheck). */
// @ts-ignore: decorator
@inline export function arpWellFormed(p: usize): bool {
  const op = be16(p + ARP_OP);
  return be16(p + ARP_HTYPE) == 1 && be16(p + ARP_PTYPE) == 0x0800 && load<u8>(p + ARP_HLEN) == 6 &&
    load<u8>(p + ARP_PLEN) == 4 && (op == ARP_OP_REQUEST || op == ARP_OP_REPLY);
}
