// UDP demultiplexing for both families: the port heads and socket entries that
// src/socket/udp-table.ts mirrors from src/socket/portspace.ts. The lookup is
// PortSpace.lookup (Linux's __udp4_lib_lookup / __udp6_lib_lookup with
// compute_score, unconnected sockets): first the sockets bound to exactly the
// destination, then, only if none fits, the wildcard ones; the highest score
// wins and ties go to the newest socket (chains run newest first, so the first
// strictly higher score is kept).
//
// A connected socket that fits by address and interface makes the lookup
// answer UDP_ASK: its score depends on the datagram's source (Linux adds 4 +
// 4 for a matching peer and refuses another peer), which TypeScript scores.
//
// TypeScript writes the table; WASM only reads it. A broken chain (an index out
// of range, a free entry, a cycle) ends the walk: it can never trap or spin.

import {
  UDP_PORT_HEAD, UDP_SOCK_BASE, UDP_SOCK_STRIDE, MAX_UDP_SOCKETS, UDP_NO_SOCKET,
  US_V6, US_V4, US_NEXT, US_FAMILY, US_FLAGS, US_DEV, USF_V6ONLY, USF_CONNECTED, UDP_ASK,
} from '../layout';
import { eq16 } from '../util/bytes';

/** True when any socket entry is bound to `port` (multicast and broadcast need one to be worth handing over). */
// @ts-ignore: decorator
@inline export function udpPortUsed(port: u32): bool {
  return load<u16>(UDP_PORT_HEAD + (port << 1)) != 0;
}

/** One pass over the chain of `port` for an IPv4 destination `raw` (0: the wildcard pass). */
function pass4(port: u32, raw: u32, ifindex: u32): u32 {
  let best = UDP_NO_SOCKET;
  let badness: i32 = -1;
  let next = <u32>load<u16>(UDP_PORT_HEAD + (port << 1));
  for (let n: u32 = 0; next != 0 && next <= MAX_UDP_SOCKETS && n < MAX_UDP_SOCKETS; n++) {
    const i = next - 1;
    const e = UDP_SOCK_BASE + i * UDP_SOCK_STRIDE;
    next = <u32>load<u16>(e + US_NEXT);
    const fam = <u32>load<u8>(e + US_FAMILY);
    if (fam == 0) break; // a free entry: the chain is stale
    // An IPv4 datagram fits udp4 sockets and udp6 sockets without V6ONLY.
    if (fam != 4 && (fam != 6 || (<u32>load<u8>(e + US_FLAGS) & USF_V6ONLY) != 0)) continue;
    if (load<u32>(e + US_V4) != raw) continue;
    const dev = load<u32>(e + US_DEV);
    if (dev != 0 && dev != ifindex) continue;
    if ((<u32>load<u8>(e + US_FLAGS) & USF_CONNECTED) != 0) return UDP_ASK;
    const score: i32 = (fam == 4 ? 2 : 1) + (dev != 0 ? 4 : 0);
    if (score > badness) {
      badness = score;
      best = i;
    }
  }
  return best;
}

/** One pass over the chain of `port` for an IPv6 destination at `dst` (`wild`: match :: instead). */
function pass6(port: u32, dst: usize, wild: bool, ifindex: u32): u32 {
  let best = UDP_NO_SOCKET;
  let badness: i32 = -1;
  let next = <u32>load<u16>(UDP_PORT_HEAD + (port << 1));
  for (let n: u32 = 0; next != 0 && next <= MAX_UDP_SOCKETS && n < MAX_UDP_SOCKETS; n++) {
    const i = next - 1;
    const e = UDP_SOCK_BASE + i * UDP_SOCK_STRIDE;
    next = <u32>load<u16>(e + US_NEXT);
    const fam = <u32>load<u8>(e + US_FAMILY);
    if (fam == 0) break;
    if (fam != 6) continue; // an IPv6 datagram fits only udp6 sockets
    if (wild ? (load<u64>(e + US_V6) != 0 || load<u64>(e + US_V6, 8) != 0) : !eq16(e + US_V6, dst)) continue;
    const dev = load<u32>(e + US_DEV);
    if (dev != 0 && dev != ifindex) continue;
    if ((<u32>load<u8>(e + US_FLAGS) & USF_CONNECTED) != 0) return UDP_ASK;
    const score: i32 = dev != 0 ? 1 : 0;
    if (score > badness) {
      badness = score;
      best = i;
    }
  }
  return best;
}

/** Socket entry for a unicast IPv4 datagram to `raw`:`port` arriving on `ifindex`, or UDP_NO_SOCKET. */
export function udpLookup4(raw: u32, port: u32, ifindex: u32): u32 {
  if (port == 0 || port > 0xffff) return UDP_NO_SOCKET; // port 0 is never bound
  const hit = pass4(port, raw, ifindex);
  return hit != UDP_NO_SOCKET ? hit : pass4(port, 0, ifindex); // UDP_ASK stops at the first pass that meets it
}

/** Socket entry for a unicast IPv6 datagram to [dst]:`port` arriving on `ifindex`, or UDP_NO_SOCKET. */
export function udpLookup6(dst: usize, port: u32, ifindex: u32): u32 {
  if (port == 0 || port > 0xffff) return UDP_NO_SOCKET;
  const hit = pass6(port, dst, false, ifindex);
  return hit != UDP_NO_SOCKET ? hit : pass6(port, dst, true, ifindex);
}
