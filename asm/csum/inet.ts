// The Internet checksum (RFC 1071), scalar and SIMD.
//
// Byte-order independence (RFC 1071 §2 B): we sum 16-bit words in the machine's
// little-endian order, fold, complement, and store the result with a native u16
// store; the bytes in memory are then the correct big-endian checksum, with no
// swap anywhere. Sums are "partial": an unfolded u64 that callers add together
// (pseudo-header + payload) before one final fold.
//
// The SIMD build (compiled with the simd feature; ASC_FEATURE_SIMD is a
// compile-time constant) widens eight u16 lanes pairwise into four u32 lanes per
// 16 bytes. Both builds export both kernels so tests can compare them; `sum`
// picks the best one the build has. Results are bit-identical.

/** Partial sum of `len` bytes at `p`, scalar: eight bytes per step. */
export function sumScalar(p: usize, len: u32): u64 {
  let acc: u64 = 0;
  let n = len;
  while (n >= 32) {
    const a = load<u64>(p);
    const b = load<u64>(p, 8);
    const c = load<u64>(p, 16);
    const d = load<u64>(p, 24);
    acc += (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32);
    acc += (c & 0xffffffff) + (c >> 32) + (d & 0xffffffff) + (d >> 32);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    const a = load<u64>(p);
    acc += (a & 0xffffffff) + (a >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    acc += <u64>load<u32>(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    acc += <u64>load<u16>(p);
    p += 2;
    n -= 2;
  }
  if (n) acc += <u64>load<u8>(p); // odd byte: the low byte of a zero-padded LE word
  return acc;
}

/** Partial sum of `len` bytes at `p`, SIMD (only meaningful in the SIMD build). */
export function sumSimd(p: usize, len: u32): u64 {
  if (!ASC_FEATURE_SIMD) return sumScalar(p, len);
  let acc: u64 = 0;
  let n = len;
  while (n >= 64) {
    // At most 16 KiB per block: each u32 lane gains ≤ 2·0xffff per vector, so
    // 1024 vectors stay far below 2^32 before we widen to u64.
    let lanes = i32x4.splat(0);
    let block = n < 16384 ? n & ~63 : 16384;
    n -= block;
    while (block) {
      lanes = i32x4.add(lanes, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
      lanes = i32x4.add(lanes, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)));
      lanes = i32x4.add(lanes, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)));
      lanes = i32x4.add(lanes, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)));
      p += 64;
      block -= 64;
    }
    const wide = i64x2.add(i64x2.extend_low_i32x4_u(lanes), i64x2.extend_high_i32x4_u(lanes));
    acc += <u64>i64x2.extract_lane(wide, 0) + <u64>i64x2.extract_lane(wide, 1);
  }
  return acc + sumScalar(p, n);
}

/** The best kernel this build has. */
// @ts-ignore: decorator
@inline export function sum(p: usize, len: u32): u64 {
  if (ASC_FEATURE_SIMD) return sumSimd(p, len);
  return sumScalar(p, len);
}

/** Folds a partial sum to 16 bits (end-around carry). */
// @ts-ignore: decorator
@inline export function fold(acc: u64): u32 {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  let s = <u32>acc;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return s;
}

/**
 * Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination,
 * upper-layer packet length, next header. `ip6` points at the IPv6 header.
 */
// @ts-ignore: decorator
@inline export function pseudo6(ip6: usize, upperLen: u32, nextHeader: u32): u64 {
  // Addresses are already big-endian in memory; the two 32-bit fields are
  // added as the LE words their big-endian bytes would form.
  return sumScalar(ip6 + 8, 32) +
    <u64>bswap<u16>(<u16>(upperLen >> 16)) + <u64>bswap<u16>(<u16>upperLen) +
    <u64>bswap<u16>(<u16>nextHeader);
}

/** Verifies an upper-layer checksum: true when the folded sum is 0xffff. */
// @ts-ignore: decorator
@inline export function verify6(ip6: usize, l4: usize, upperLen: u32, nextHeader: u32): bool {
  return fold(pseudo6(ip6, upperLen, nextHeader) + sum(l4, upperLen)) == 0xffff;
}

/** Computes and stores an upper-layer checksum at `l4 + csumOffset` (field zeroed first). */
// @ts-ignore: decorator
@inline export function fill6(ip6: usize, l4: usize, upperLen: u32, nextHeader: u32, csumOffset: u32): void {
  store<u16>(l4 + csumOffset, 0);
  let c = ~fold(pseudo6(ip6, upperLen, nextHeader) + sum(l4, upperLen)) & 0xffff;
  // RFC 768: a computed UDP checksum of 0 is sent as all ones.
  if (c == 0 && nextHeader == 17) c = 0xffff;
  store<u16>(l4 + csumOffset, <u16>c);
}

/**
 * Partial sum of the IPv4 pseudo-header (RFC 768; RFC 1122 §4.1.3.4): source,
 * destination, zero, protocol, upper-layer length. `ip4` points at the IPv4 header.
 */
// @ts-ignore: decorator
@inline export function pseudo4(ip4: usize, upperLen: u32, proto: u32): u64 {
  return <u64>load<u32>(ip4 + 12) + <u64>load<u32>(ip4 + 16) +
    <u64>bswap<u16>(<u16>upperLen) + <u64>bswap<u16>(<u16>proto);
}

/** Verifies an upper-layer checksum over the IPv4 pseudo-header: true when the folded sum is 0xffff. */
// @ts-ignore: decorator
@inline export function verify4(ip4: usize, l4: usize, upperLen: u32, proto: u32): bool {
  return fold(pseudo4(ip4, upperLen, proto) + sum(l4, upperLen)) == 0xffff;
}

/** Computes and stores an upper-layer checksum with the IPv4 pseudo-header (field zeroed first). */
// @ts-ignore: decorator
@inline export function fill4(ip4: usize, l4: usize, upperLen: u32, proto: u32, csumOffset: u32): void {
  store<u16>(l4 + csumOffset, 0);
  let c = ~fold(pseudo4(ip4, upperLen, proto) + sum(l4, upperLen)) & 0xffff;
  // RFC 768: a computed UDP checksum of 0 is sent as all ones (0 means "none").
  if (c == 0 && proto == 17) c = 0xffff;
  store<u16>(l4 + csumOffset, <u16>c);
}

/** Checksum with no pseudo-header (ICMPv4, RFC 792): true when the folded sum of `len` bytes is 0xffff. */
// @ts-ignore: decorator
@inline export function verifyPlain(p: usize, len: u32): bool {
  return fold(sum(p, len)) == 0xffff;
}

/** Computes and stores a checksum with no pseudo-header at `p + csumOffset` (IPv4 header, ICMPv4). */
// @ts-ignore: decorator
@inline export function fillPlain(p: usize, len: u32, csumOffset: u32): void {
  store<u16>(p + csumOffset, 0);
  store<u16>(p + csumOffset, <u16>(~fold(sum(p, len)) & 0xffff));
}
