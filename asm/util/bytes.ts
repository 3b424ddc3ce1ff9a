// Byte-order helpers. WebAssembly is little-endian; the wire is big-endian.

// @ts-ignore: decorator
@inline export function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

// @ts-ignore: decorator
@inline export function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// @ts-ignore: decorator
@inline export function putBe16(p: usize, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}

// @ts-ignore: decorator
@inline export function putBe32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

/** 16-byte equality (IPv6 addresses). */
// @ts-ignore: decorator
@inline export function eq16(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** Copies 16 bytes (an IPv6 address). */
// @ts-ignore: decorator
@inline export function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/** Copies 6 bytes (a MAC address). */
// @ts-ignore: decorator
@inline export function copy6(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(src));
  store<u16>(dst, load<u16>(src, 4), 4);
}
