// Our addresses and joined groups, as the control plane configured them.

import {
  ADDR_COUNT, ADDR_BASE, ADDR_STRIDE, ADDR_IFINDEX, ADDR_FLAGS, ADDR_PREFIX_LEN, MAX_ADDRS,
  GROUP_COUNT, GROUP_BASE, GROUP_STRIDE, GROUP_IFINDEX, MAX_GROUPS, AF_VALID,
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
 * On-link determination (RFC 4861 §5.2) for the fast path: link-local
 * destinations, and prefixes of our addresses on `ifindex`. Anything else is
 * the control plane's (default routers, the prefix list).
 */
export function isOnLink(ifindex: u32, a: usize): bool {
  if (isLinkLocal(a)) return true;
  let n = load<u32>(ADDR_COUNT);
  if (n > MAX_ADDRS) n = MAX_ADDRS;
  for (let i: u32 = 0; i < n; i++) {
    const e = ADDR_BASE + i * ADDR_STRIDE;
    if (load<u8>(e + ADDR_IFINDEX) != ifindex) continue;
    const plen = <u32>load<u8>(e + ADDR_PREFIX_LEN);
    if (plen != 0 && (load<u8>(e + ADDR_FLAGS) & AF_VALID) != 0 && prefixMatch(e, a, plen)) return true;
  }
  return false;
}
