// IPv4 header (RFC 791 §3.1; host requirements RFC 1122 §3.2.1).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options                    |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Addresses are handled two ways here: "raw" (a native u32 load of the four
// network-order bytes, compared against tables that hold ::ffff:a.b.c.d) and
// "host" (be32, for class tests like 224/4). The tables store IPv4 addresses as
// IPv4-mapped IPv6 addresses (RFC 4291 §2.5.5.2), see asm/layout.ts.

import { be16, be32 } from '../util/bytes';

export const IP4_VIHL: u32 = 0;
export const IP4_TOS: u32 = 1;
export const IP4_TOTAL_LEN: u32 = 2;
export const IP4_ID: u32 = 4;
export const IP4_FRAG: u32 = 6; // flags (3 bits: reserved, DF, MF) and Fragment Offset (13 bits)
export const IP4_TTL: u32 = 8;
export const IP4_PROTO: u32 = 9;
export const IP4_CSUM: u32 = 10;
export const IP4_SRC: u32 = 12;
export const IP4_DST: u32 = 16;
export const IP4_HEADER_LEN: u32 = 20;

export const ETHERTYPE_IPV4: u32 = 0x0800; // RFC 894
export const PROTO_ICMP: u32 = 1;
export const PROTO_IGMP: u32 = 2;
export const PROTO_UDP: u32 = 17;

export const IP4_MF: u32 = 0x2000; // More Fragments
export const IP4_OFFSET_MASK: u32 = 0x1fff;

/** Length check for the fixed header. */
// @ts-ignore: decorator
@inline export function ip4Check(avail: u32): bool {
  return avail >= IP4_HEADER_LEN;
}

// @ts-ignore: decorator
@inline export function ip4Version(p: usize): u32 {
  return <u32>load<u8>(p) >> 4;
}

/** Header length in bytes (IHL × 4). */
// @ts-ignore: decorator
@inline export function ip4HeaderLen(p: usize): u32 {
  return (<u32>load<u8>(p) & 0x0f) << 2;
}

// @ts-ignore: decorator
@inline export function ip4TotalLen(p: usize): u32 {
  return be16(p + IP4_TOTAL_LEN);
}

/** Flags and fragment offset, host order. */
// @ts-ignore: decorator
@inline export function ip4FragField(p: usize): u32 {
  return be16(p + IP4_FRAG);
}

// @ts-ignore: decorator
@inline export function ip4Proto(p: usize): u32 {
  return <u32>load<u8>(p + IP4_PROTO);
}

/** An address in host order (for class tests). */
// @ts-ignore: decorator
@inline export function ip4Host(a: usize): u32 {
  return be32(a);
}

/** 224.0.0.0/4 (RFC 1112 §4). */
// @ts-ignore: decorator
@inline export function isMulticast4(host: u32): bool {
  return (host >> 28) == 0xe;
}

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3 g). */
// @ts-ignore: decorator
@inline export function isLoopback4(host: u32): bool {
  return (host >> 24) == 127;
}

/** The second word of ::ffff:a.b.c.d as a native (little-endian) u32 load: bytes 00 00 ff ff. */
export const MAPPED_WORD: u32 = 0xffff0000;

/** True when the 16 bytes at `a` are an IPv4-mapped address ::ffff:a.b.c.d. */
// @ts-ignore: decorator
@inline export function isMapped(a: usize): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == MAPPED_WORD;
}

/** True when the 16 bytes at `a` are ::ffff:<raw>. */
// @ts-ignore: decorator
@inline export function isMappedOf(a: usize, raw: u32): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == MAPPED_WORD && load<u32>(a, 12) == raw;
}

/** Writes ::ffff:<raw> at `p`. */
// @ts-ignore: decorator
@inline export function putMapped(p: usize, raw: u32): void {
  store<u64>(p, 0);
  store<u32>(p, MAPPED_WORD, 8);
  store<u32>(p, raw, 12);
}

/** Writes the 01:00:5e address of IPv4 group `host` at `p` (RFC 1112 §6.4: the low 23 bits). */
// @ts-ignore: decorator
@inline export function ethMulticast4For(p: usize, host: u32): void {
  store<u8>(p, 0x01);
  store<u8>(p, 0x00, 1);
  store<u8>(p, 0x5e, 2);
  store<u8>(p, <u8>((host >> 16) & 0x7f), 3);
  store<u8>(p, <u8>(host >> 8), 4);
  store<u8>(p, <u8>host, 5);
}
