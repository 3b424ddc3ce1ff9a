// Address scope for default address selection (RFC 6724 §3.1, §3.2; RFC 4007 §4–5;
// RFC 4291 §2.5.6–2.7). One number per address so that a unicast scope and a
// multicast scope compare directly: unicast link-local equals multicast
// link-local, unicast site-local equals multicast site-local, unicast global
// equals multicast global (RFC 6724 §3.1).
//
// Not covered: zones (which link or site an address belongs to) — that is the
// caller's candidate set (RFC 6724 §4) — and IPv4 scopes for IPv4 addresses in
// any form other than IPv4-mapped (RFC 6724 §3.2 requires the mapped form).

import { isLinkLocal, isLoopback, isMulticast, multicastScope, type Ip6 } from '../wire/address.js';

/** Multicast scop 1 (RFC 4291 §2.7). No unicast address has it. */
export const SCOPE_INTERFACE_LOCAL = 0x1;
/** Multicast scop 2; fe80::/10, ::1 (RFC 4007 §4), IPv4 127/8 and 169.254/16 (RFC 6724 §3.2). */
export const SCOPE_LINK_LOCAL = 0x2;
/** Multicast scop 3 (RFC 7346). Listed for completeness; no unicast address has it. */
export const SCOPE_REALM_LOCAL = 0x3;
/** Multicast scop 4 (RFC 7346, RFC 4291 §2.7). */
export const SCOPE_ADMIN_LOCAL = 0x4;
/** Multicast scop 5; fec0::/10, the deprecated site-local unicast prefix (RFC 3879, RFC 6724 §3.1). */
export const SCOPE_SITE_LOCAL = 0x5;
/** Multicast scop 8 (RFC 4291 §2.7). */
export const SCOPE_ORGANIZATION_LOCAL = 0x8;
/** Multicast scop e; every other unicast address, ULAs included (RFC 6724 §3.1, RFC 4193 §3.3). */
export const SCOPE_GLOBAL = 0xe;

/** ::ffff:0:0/96 — IPv4-mapped (RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(a: Ip6): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/**
 * Scope(A) of RFC 6724 §3.1 as a number on the multicast scop scale. Multicast:
 * the scop field itself (RFC 4291 §2.7), reserved values included. Unicast:
 * fe80::/10 and ::1 are link-local (RFC 4007 §4 treats the loopback address as
 * link-local scope), fec0::/10 is site-local (RFC 3879 deprecates the prefix, but
 * RFC 6724 §3.1 still compares it as site-local), IPv4-mapped addresses follow
 * RFC 6724 §3.2 (127/8 and 169.254/16 link-local, everything else — RFC 1918
 * private space included — global), and everything else is global.
 */
export function addressScope(a: Ip6): number {
  if (isMulticast(a)) return multicastScope(a);
  if (isLinkLocal(a) || isLoopback(a)) return SCOPE_LINK_LOCAL;
  if (a[0] === 0xfe && (a[1] & 0xc0) === 0xc0) return SCOPE_SITE_LOCAL; // fec0::/10
  if (isIpv4Mapped(a)) {
    // RFC 6724 §3.2: auto-configuration (RFC 3927) and loopback (RFC 1812 §4.2.2.11).
    if (a[12] === 127 || (a[12] === 169 && a[13] === 254)) return SCOPE_LINK_LOCAL;
    return SCOPE_GLOBAL;
  }
  return SCOPE_GLOBAL;
}
