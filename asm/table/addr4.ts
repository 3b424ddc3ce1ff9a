// Our IPv4 addresses, groups and next hops, read from the same ADDR, GROUP and
// PREFIX tables as IPv6: an IPv4 entry holds ::ffff:a.b.c.d (asm/layout.ts).
// `raw` arguments are the four network-order bytes loaded as a native u32.

import {
  ADDR_COUNT, ADDR_BASE, ADDR_STRIDE, ADDR_IFINDEX, ADDR_FLAGS, ADDR_PREFIX_LEN, MAX_ADDRS, AF_VALID,
  GROUP_COUNT, GROUP_BASE, GROUP_STRIDE, GROUP_IFINDEX, MAX_GROUPS,
  PREFIX_COUNT, PREFIX_BASE, PREFIX_STRIDE, PREFIX_LEN, PREFIX_IFINDEX, MAX_PREFIXES,
  IFACE_FLAGS, IFACE_ROUTER4, IFF_ROUTER4, IFF_SLOW_ROUTE,
} from '../layout';
import { be32 } from '../util/bytes';
import { isMapped, isMappedOf } from '../wire/ipv4';
import { prefixMatch } from '../wire/ipv6';

/**
 * Our IPv4 address equal to `raw` on ANY interface, or 0: the weak host model
 * (RFC 1122 §3.3.4.2), as Linux does it.
 */
export function addr4Find(raw: u32): usize {
  let n = load<u32>(ADDR_COUNT);
  if (n > MAX_ADDRS) n = MAX_ADDRS;
  for (let i: u32 = 0; i < n; i++) {
    const e = ADDR_BASE + i * ADDR_STRIDE;
    if ((load<u8>(e + ADDR_FLAGS) & AF_VALID) != 0 && isMappedOf(e, raw)) return e;
  }
  return 0;
}

/**
 * True when `host` (host order) is the directed broadcast address of one of
 * our IPv4 addresses on `ifindex` (RFC 1122 §3.3.6: all ones in the host
 * part). Prefixes /31 and /32 have no broadcast address (RFC 3021).
 */
export function isDirectedBroadcast4(ifindex: u32, host: u32): bool {
  let n = load<u32>(ADDR_COUNT);
  if (n > MAX_ADDRS) n = MAX_ADDRS;
  for (let i: u32 = 0; i < n; i++) {
    const e = ADDR_BASE + i * ADDR_STRIDE;
    if (<u32>load<u8>(e + ADDR_IFINDEX) != ifindex || (load<u8>(e + ADDR_FLAGS) & AF_VALID) == 0 || !isMapped(e)) continue;
    const plen = <u32>load<u8>(e + ADDR_PREFIX_LEN);
    if (plen == 0 || plen >= 31) continue;
    const mask = 0xffffffff << (32 - plen);
    if ((be32(e + 12) | ~mask) == host) return true;
  }
  return false;
}

/** True when `ifindex` has joined IPv4 group `raw`. */
export function group4Joined(ifindex: u32, raw: u32): bool {
  let n = load<u32>(GROUP_COUNT);
  if (n > MAX_GROUPS) n = MAX_GROUPS;
  for (let i: u32 = 0; i < n; i++) {
    const e = GROUP_BASE + i * GROUP_STRIDE;
    if (<u32>load<u8>(e + GROUP_IFINDEX) == ifindex && isMappedOf(e, raw)) return true;
  }
  return false;
}

/**
 * IPv4 next hop for the fast path (RFC 1122 §3.3.1.1): a destination inside
 * an on-link prefix of `ifindex` (PREFIX entries ::ffff:0:0/96+len) is sent
 * to directly; otherwise to the interface's default gateway, unless more
 * specific routes exist (IFF_SLOW_ROUTE) or there is none: then 0, and the
 * control plane decides. `mapped` is the destination as ::ffff:a.b.c.d.
 */
export function nextHop4(ifindex: u32, iface: usize, mapped: usize): usize {
  let n = load<u32>(PREFIX_COUNT);
  if (n > MAX_PREFIXES) n = MAX_PREFIXES;
  for (let i: u32 = 0; i < n; i++) {
    const e = PREFIX_BASE + i * PREFIX_STRIDE;
    const plen = <u32>load<u8>(e + PREFIX_LEN);
    if (plen >= 96 && plen <= 128 && <u32>load<u8>(e + PREFIX_IFINDEX) == ifindex && prefixMatch(e, mapped, plen)) return mapped;
  }
  const flags = <u32>load<u8>(iface + IFACE_FLAGS);
  if ((flags & (IFF_ROUTER4 | IFF_SLOW_ROUTE)) == IFF_ROUTER4) return iface + IFACE_ROUTER4;
  return 0;
}
