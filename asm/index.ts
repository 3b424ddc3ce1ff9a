// wasagi hot path: the module's exports. Batch calls only (DESIGN.md §3):
// one rxBurst per received burst, at most one txBuild per burst.

import { LAYOUT_BASE, NEIGH_BASE, NEIGH_CAP_WORD, NEIGH_STRIDE, UDP_NO_SOCKET } from './layout';
import { sumScalar, sumSimd, fold } from './csum/inet';
import { udpLookup4, udpLookup6 } from './table/udp';
import { isMapped } from './wire/ipv4';

export { rxBurst } from './path/rx';
export { txBuild } from './path/tx';
export { neighFind } from './table/neighbor';
import { neighFind } from './table/neighbor';

/**
 * Looks up `n` addresses laid out 16 bytes apart at `addrs` on `ifindex` and
 * returns how many have entries (for benchmarks of the table at scale).
 */
export function neighLookupBatch(ifindex: u32, addrs: usize, n: u32): u32 {
  let hits: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (neighFind(ifindex, addrs + (<usize>i << 4)) != 0) hits++;
  return hits;
}

/** Sanity check the host runs once: static data below the map, memory large enough for the table. */
export function layoutOk(): bool {
  const cap = <u64>load<u32>(NEIGH_CAP_WORD);
  return <usize>__heap_base <= <usize>LAYOUT_BASE && <u64>NEIGH_BASE + cap * <u64>NEIGH_STRIDE <= <u64>memory.size() << 16;
}

/** True when this build uses the SIMD checksum kernel. */
export function simd(): bool {
  return ASC_FEATURE_SIMD;
}

/** Internet checksum (complemented fold) of `len` bytes at `p`, scalar kernel. */
export function csumScalar(p: usize, len: u32): u32 {
  return ~fold(sumScalar(p, len)) & 0xffff;
}

/** Internet checksum (complemented fold) of `len` bytes at `p`, SIMD kernel where built. */
export function csumSimd(p: usize, len: u32): u32 {
  return ~fold(sumSimd(p, len)) & 0xffff;
}

/**
 * The UDP socket entry a unicast datagram to [dst]:port arriving on `ifindex`
 * would go to, or UDP_NO_SOCKET (0xffffffff): the demultiplexing rxBurst does,
 * for tests against PortSpace.lookup. `dst` points at 16 bytes: for family 4
 * the address as ::ffff:a.b.c.d (anything else finds nothing), for family 6 an
 * IPv6 address (a mapped one finds nothing: RFC 4291 §2.5.5.2).
 */
export function udpLookup(family: u32, dst: usize, port: u32, ifindex: u32): u32 {
  if (family == 4) return isMapped(dst) ? udpLookup4(load<u32>(dst, 12), port, ifindex) : UDP_NO_SOCKET;
  if (family == 6) return isMapped(dst) ? UDP_NO_SOCKET : udpLookup6(dst, port, ifindex);
  return UDP_NO_SOCKET;
}
