// Our addresses and joined groups, as the control plane configured them.

import {
  ADDR_COUNT, ADDR_BASE, ADDR_STRIDE, ADDR_IFINDEX, ADDR_FLAGS, MAX_ADDRS,
  GROUP_COUNT, GROUP_BASE, GROUP_STRIDE, GROUP_IFINDEX, MAX_GROUPS, AF_VALID,
  PREFIX_COUNT, PREFIX_BASE, PREFIX_STRIDE, PREFIX_LEN, PREFIX_IFINDEX, MAX_PREFIXES,
  IFACE_FLAGS, IFACE_ROUTER, IFF_ROUTER, IFF_SLOW_ROUTE,
} from '../layout';
import { eq16 } from '../util/bytes';
import { isLinkLocal, prefixMatch } from '../wire/ipv6';

/**
 * Finds our address equal to `a`; 0 when none. Weak host model (RFC 1122
 * §3.3.4.2) as Linux does it, except that a link-local address belongs to its
 * own link only (RFC 4007 §6).
 */
export function addrFind(ifindex: u32, a: usize): usize {
  let n = load<u32>(ADDR_COUNT);
  if (n > MAX_ADDRS) n = MAX_ADDRS;
  const ll = isLinkLocal(a);
  for (let i: u32 = 0; i < n; i++) {
    const e = ADDR_BASE + i * ADDR_STRIDE;
    if ((load<u8>(e + ADDR_FLAGS) & AF_VALID) == 0) continue;
    if (ll && load<u8>(e + ADDR_IFINDEX) != ifindex) continue;
    if (eq16(e, a)) return e;
  }
  return 0;
}

/** True when `ifindex` has joined group `g`. */
export function groupJoined(ifindex: u32, g: usize): bool {
  let n = load<u32>(GROUP_COUNT);
  if (n > MAX_GROUPS) n = MAX_GROUPS;
  for (let i: u32 = 0; i < n; i++) {
    const e = GROUP_BASE + i * GROUP_STRIDE;
    if (load<u8>(e + GROUP_IFINDEX) == ifindex && eq16(e, g)) return true;
  }
  return false;
}

/**
 * Next-hop determination for the fast path (RFC 4861 §5.2): link-local and
 * on-link prefixes (the Prefix List and static prefixes, PREFIX table) go
 * direct; anything else goes to the interface's selected default router
 * (§6.3.6), unless more specific routes or redirects exist (IFF_SLOW_ROUTE) or
 * there is no router: then 0, and the control plane decides.
 */
export function nextHop(ifindex: u32, iface: usize, a: usize): usize {
  if (isLinkLocal(a)) return a;
  let n = load<u32>(PREFIX_COUNT);
  if (n > MAX_PREFIXES) n = MAX_PREFIXES;
  for (let i: u32 = 0; i < n; i++) {
    const e = PREFIX_BASE + i * PREFIX_STRIDE;
    if (<u32>load<u8>(e + PREFIX_IFINDEX) == ifindex && prefixMatch(e, a, <u32>load<u8>(e + PREFIX_LEN))) return a;
  }
  const flags = <u32>load<u8>(iface + IFACE_FLAGS);
  if ((flags & (IFF_ROUTER | IFF_SLOW_ROUTE)) == IFF_ROUTER) return iface + IFACE_ROUTER;
  return 0;
}
