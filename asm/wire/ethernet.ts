// Ethernet II framing (IEEE 802.3; IPv6 over Ethernet: RFC 2464).
//
//  0                   6                   12      14
//  +-------------------+-------------------+-------+
//  | destination MAC   | source MAC        | type  |  payload …
//  +-------------------+-------------------+-------+
//
// IPv6 multicast maps to 33:33 followed by the group's low 32 bits (RFC 2464 §7).

import { be16 } from '../util/bytes';

export const ETH_DST: u32 = 0;
export const ETH_SRC: u32 = 6;
export const ETH_TYPE: u32 = 12;
export const ETH_HEADER_LEN: u32 = 14;
export const ETHERTYPE_IPV6: u32 = 0x86dd;

/** Length check: true when a frame of `len` bytes holds an Ethernet header. */
// @ts-ignore: decorator
@inline export function ethCheck(len: u32): bool {
  return len >= ETH_HEADER_LEN;
}

// @ts-ignore: decorator
@inline export function ethType(f: usize): u32 {
  return be16(f + ETH_TYPE);
}

/** The destination is a multicast (group) address: I/G bit set. */
// @ts-ignore: decorator
@inline export function ethDstIsMulticast(f: usize): bool {
  return (load<u8>(f) & 1) != 0;
}

/** Writes the 33:33:xx:xx:xx:xx address of IPv6 group `group` at `p` (RFC 2464 §7). */
// @ts-ignore: decorator
@inline export function ethMulticastFor(p: usize, group: usize): void {
  store<u16>(p, 0x3333);
  store<u32>(p + 2, load<u32>(group + 12));
}
