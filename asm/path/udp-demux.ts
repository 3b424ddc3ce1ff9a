// UDP demultiplexing on receive, both families (RFC 768; RFC 1122 §4.1.3.1;
// RFC 4443 §3.1). After the length and checksum checks, a datagram gets one of:
//   DELIVER UDP/UDP4 with RX_SOCK_BASE[slot] = the socket entry (counted here),
//   DELIVER with UDP_NO_SOCKET: TypeScript looks it up (table overflow, a
//     connected socket on the port) or fans it out (multicast, broadcast),
//   CONTROL UDP_NO_PORT: unicast, no socket; dropped and counted, and the
//     control plane owes Port Unreachable (rate limited),
//   DROP UDP_NO_PORT: multicast/broadcast to a port nobody is bound to (no ICMP
//     error for those: RFC 1122 §3.2.2, RFC 4443 §2.4 e.3).

import { RX_SOCK_BASE, UDP_OVERFLOW, UDP_NO_SOCKET, UDP_ASK } from '../layout';
import { Verdict, DropReason, ControlKind, Counter } from '../verdict';
import { count, countDrop, dropDesc } from '../table/counters';
import { udpLookup4, udpLookup6, udpPortUsed } from '../table/udp';
import { be16 } from '../util/bytes';
import { UDP_DST_PORT } from '../wire/udp';
import { toControl } from './work';

/**
 * Classifies a validated UDP datagram at `l4`. `family` 4 or 6; the
 * destination is `raw4` (IPv4, network-order bytes as a native u32) or the
 * 16 bytes at `dst6` (IPv6); `group`: to a multicast or broadcast address.
 */
export function udpDemux(family: u32, ifindex: u32, slotIndex: u32, desc: usize, dst6: usize, raw4: u32, group: bool, l4: usize): void {
  const kind = family == 4 ? ControlKind.UDP4 : ControlKind.UDP;
  if (load<u32>(UDP_OVERFLOW) != 0) { // the table is incomplete: TypeScript decides
    toControl(desc, slotIndex, Verdict.DELIVER, kind);
    return;
  }
  const port = be16(l4 + UDP_DST_PORT);
  if (group) {
    if (!udpPortUsed(port)) {
      dropDesc(desc, DropReason.UDP_NO_PORT);
      return;
    }
    toControl(desc, slotIndex, Verdict.DELIVER, kind);
    return;
  }
  const sock = family == 4 ? udpLookup4(raw4, port, ifindex) : udpLookup6(dst6, port, ifindex);
  if (sock == UDP_ASK) { // a connected socket fits: its score depends on the source
    toControl(desc, slotIndex, Verdict.DELIVER, kind);
    return;
  }
  if (sock == UDP_NO_SOCKET) {
    // RFC 1122 §4.1.3.1 / RFC 4443 §3.1 code 4: the control plane sends Port Unreachable.
    count(family == 4 ? Counter.UdpNoPorts : Counter.Udp6NoPorts);
    countDrop(DropReason.UDP_NO_PORT);
    toControl(desc, slotIndex, Verdict.CONTROL, ControlKind.UDP_NO_PORT);
    return;
  }
  count(family == 4 ? Counter.UdpInDatagrams : Counter.Udp6InDatagrams);
  store<u32>(RX_SOCK_BASE + (slotIndex << 2), sock);
  toControl(desc, slotIndex, Verdict.DELIVER, kind);
}
