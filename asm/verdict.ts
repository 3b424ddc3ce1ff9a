// Verdicts, drop reasons, control kinds, counters, event kinds and neighbor states,
// shared by WASM and TypeScript (mirrored into src/wasm/layout.generated.ts).
// Only `export const enum` blocks with `NAME = number,` members belong here.

/** What rxBurst/txBuild decided for one slot. */
export const enum Verdict {
  NONE = 0,
  DROP = 1, // dropped; DESC_REASON holds the DropReason (counted)
  TX_READY = 2, // a reply was built in place and queued in the write list
  CONTROL = 3, // the control plane must look at it; DESC_REASON holds the ControlKind
  DELIVER = 4, // upper-layer data for a socket (UDP, echo replies)
  RESOLVE = 5, // built, but the next hop's link-layer address is unknown
}

/** Why a packet was dropped. Each drop site cites the rule it enforces. */
export const enum DropReason {
  NONE = 0,
  L2_TRUNCATED = 1, // shorter than an Ethernet header
  L2_NOT_FOR_US = 2, // destination MAC is neither ours nor multicast
  L2_ETHERTYPE = 3, // neither IPv6, IPv4 nor ARP
  IP6_TRUNCATED = 4, // shorter than 40 bytes, or Payload Length beyond the frame (RFC 8200 §3)
  IP6_VERSION = 5, // Version ≠ 6 (RFC 8200 §3)
  IP6_SRC_MULTICAST = 6, // multicast source address (RFC 4291 §2.7)
  IP6_SRC_LOOPBACK = 7, // ::1 from a link (RFC 4291 §2.5.3)
  IP6_NOT_OURS = 8, // unicast destination that is not one of our addresses
  IP6_GROUP_NOT_JOINED = 9, // multicast destination we do not listen to
  IP6_JUMBO = 10, // Payload Length 0 (jumbogram, RFC 2675) is not supported
  IP6_NO_NEXT_HEADER = 12, // Next Header 59 (RFC 8200 §4.7)
  IP6_PROTO_UNSUPPORTED = 13, // upper-layer protocol we do not implement
  IP6_TENTATIVE = 14, // to a tentative address, not DAD (RFC 4862 §5.4)
  IFACE_DOWN = 15, // the interface is down or unknown
  ICMP6_TRUNCATED = 16, // shorter than the ICMPv6 header or the message's fixed part
  ICMP6_CHECKSUM = 17, // bad ICMPv6 checksum (RFC 4443 §2.3)
  ICMP6_UNKNOWN_INFO = 18, // unknown informational type: silently discarded (RFC 4443 §2.4 b)
  ND_HOP_LIMIT = 19, // ND message with Hop Limit ≠ 255 (RFC 4861 §6.1, §7.1, §8.1)
  ND_CODE = 20, // ND message with Code ≠ 0 (RFC 4861 §6.1, §7.1, §8.1)
  UDP_TRUNCATED = 21, // shorter than 8 bytes or Length beyond the payload (RFC 768)
  UDP_ZERO_CHECKSUM = 22, // UDP over IPv6 with checksum 0 (RFC 8200 §8.1)
  UDP_CHECKSUM = 23, // bad UDP checksum
  UDP_NO_PORT = 24, // no socket on that port
  TX_TOO_BIG = 25, // control-plane packet larger than a slot or the link MTU
  TX_NO_ROUTE = 26, // no next hop for the destination
  RESOLVE_FAILED = 27, // address resolution failed (RFC 4861 §7.2.2)
  RESOLVE_QUEUE_FULL = 28, // too many packets queued for one neighbor
  ND_INVALID = 29, // ND message that fails the rest of the validation (control plane)
  ECHO_MCAST_NO_SOURCE = 30, // multicast echo with no unicast address to answer from
  WRITE_FAILED = 31, // the device did not take the frame (full queue)
  ICMP6_UNHANDLED = 32, // ICMPv6 message we receive but do not act on yet (MLD, errors)
  ECHO_UNSPEC_SOURCE = 33, // echo request from :: cannot be answered (RFC 4443 §4.2)
  SLOT_OVERFLOW = 34, // a descriptor claims more bytes than a slot holds
  ND_OPTION_LENGTH = 35, // an ND option of length 0 or past the message (RFC 4861 §4.6, §6.1, §7.1, §8.1)
  ND_TARGET_MULTICAST = 36, // NS/NA Target Address is multicast (RFC 4861 §7.1.1, §7.1.2)
  ND_DAD_NOT_SOLICITED_NODE = 37, // NS from :: not to a solicited-node group (RFC 4861 §7.1.1)
  ND_UNSPECIFIED_WITH_SLLAO = 38, // NS or RS from :: carrying an SLLA option (RFC 4861 §6.1.1, §7.1.1)
  ND_NA_SOLICITED_MULTICAST = 39, // NA to a multicast group with S set (RFC 4861 §7.1.2)
  ND_RA_SOURCE_NOT_LINK_LOCAL = 40, // RA not from a link-local address (RFC 4861 §6.1.2)
  ND_RS_ON_HOST = 41, // hosts silently discard RS (RFC 4861 §6.1.1)
  ND_REDIRECT_SOURCE_NOT_LINK_LOCAL = 42, // Redirect not from a link-local address (RFC 4861 §8.1)
  ND_REDIRECT_NOT_FIRST_HOP = 43, // Redirect not from the current first hop for the destination (RFC 4861 §8.1)
  ND_REDIRECT_DESTINATION_MULTICAST = 44, // Redirect for a multicast destination (RFC 4861 §8.1)
  ND_REDIRECT_BAD_TARGET = 45, // Redirect target neither link-local nor the destination (RFC 4861 §8.1)
  ND_TARGET_NOT_OURS = 46, // NS for an address we do not have (RFC 4861 §7.2.3)
  NEIGH_CACHE_FULL = 47, // no neighbor entry could be made under the cache limits
  NEIGH_UNREACHABLE = 48, // to a neighbor in UNREACHABLE (RFC 7048), reported to the sender
  IP6_EXT_MALFORMED = 49, // an extension header or option that does not fit (RFC 8200 §4.2)
  IP6_OPTION_UNKNOWN = 50, // unknown option whose action bits say discard (RFC 8200 §4.2)
  MLD_INVALID = 51, // MLD message failing RFC 3810 §7.4 / RFC 2710 §5 (hop limit 1, link-local source, length)
  DAD_DUPLICATE = 52, // a tentative address was found in use (RFC 4862 §5.4.3, §5.4.4)
  IP6_EXT_CHAIN_TOO_LONG = 53, // more extension headers than we walk (RFC 8504 §5.3)
  IP6_HOP_BY_HOP_NOT_FIRST = 54, // Hop-by-Hop not right after the IPv6 header (RFC 8200 §4.1)
  IP6_ROUTING_TYPE = 55, // unrecognized Routing Type with Segments Left ≠ 0 (RFC 8200 §4.4, RFC 5095)
  IP6_FIRST_FRAGMENT_INCOMPLETE = 56, // first fragment without the whole header chain (RFC 7112 §5)
  ND_IN_FRAGMENT = 57, // ND message carried in a fragment (RFC 6980 §5)
  FRAG_INVALID = 58, // fragment that breaks RFC 8200 §4.5 (length, offset)
  FRAG_OVERLAP = 59, // overlapping fragments: the whole datagram is dropped (RFC 5722)
  FRAG_BUDGET = 60, // reassembly memory budget exceeded (oldest datagram evicted)
  FRAG_TIMEOUT = 61, // reassembly not finished within 60 s (RFC 8200 §4.5)
  ICMP6_RATE_LIMITED = 62, // an ICMPv6 error not sent: rate limit (RFC 4443 §2.4 f)
  ICMP6_ERROR_SUPPRESSED = 63, // an ICMPv6 error not sent: RFC 4443 §2.4 e (error, multicast, …)
  IP4_TRUNCATED = 64, // shorter than 20 bytes or its IHL, or Total Length beyond the frame (RFC 791 §3.1)
  IP4_HEADER = 65, // Version ≠ 4 or IHL < 5 (RFC 791 §3.1, RFC 1122 §3.2.1.1)
  IP4_CHECKSUM = 66, // bad header checksum (RFC 1122 §3.2.1.2)
  IP4_SRC_INVALID = 67, // martian: source multicast, limited broadcast or 127/8; destination 127/8 (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7)
  IP4_NOT_OURS = 68, // destination neither ours nor a broadcast we accept (RFC 1122 §3.3.4.2 weak host)
  IP4_GROUP_NOT_JOINED = 69, // multicast destination not joined on the interface (RFC 1112 §6.2)
  IP4_PROTO_UNSUPPORTED = 70, // protocol we do not implement; Protocol Unreachable owed (RFC 1122 §3.2.2.1)
  ICMP4_TRUNCATED = 71, // shorter than the 8-byte ICMP header (RFC 792)
  ICMP4_CHECKSUM = 72, // bad ICMP checksum (RFC 792, RFC 1122 §3.2.2)
  ICMP4_UNHANDLED = 73, // ICMP type we do not implement: silently discarded (RFC 1122 §3.2.2)
  ARP_MALFORMED = 74, // ARP packet not Ethernet/IPv4, short, or an unknown op (RFC 826)
  ARP_IGNORED = 75, // ARP packet not for us and nothing to merge (control plane, RFC 826)
  ARP_CONFLICT = 76, // ARP from another host claiming one of our addresses (RFC 5227 §2.4)
  FRAG4_INVALID = 77, // IPv4 fragment that breaks RFC 791 §3.2 (control plane)
  ICMP4_RATE_LIMITED = 78, // an ICMPv4 error not sent: rate limit (RFC 1812 §4.3.2.8)
  ICMP4_ERROR_SUPPRESSED = 79, // an ICMPv4 error not sent: RFC 1122 §3.2.2 (error, broadcast, …)
  IP6_MAPPED = 80, // IPv6 packet with an IPv4-mapped source or destination (RFC 4291 §2.5.5.2)
  ECHO4_BROADCAST_IGNORED = 81, // echo request to broadcast/multicast (RFC 1122 §3.2.2.6 MAY; Linux icmp_echo_ignore_broadcasts)
  IGMP_INVALID = 82, // IGMP message failing RFC 3376 §4 / RFC 2236 (control plane)
  UDP_CONNECTED_OTHER = 83, // datagram for a connected socket from another peer (control plane)
  ICMP_SOCKET_NO_MATCH = 84, // ICMP echo reply no ping socket waits for (control plane)
  IP4_RESOLVE_FAILED = 85, // ARP resolution failed (RFC 1122 §2.3.2.2)
}

/** Why a packet went to the control plane. */
export const enum ControlKind {
  NONE = 0,
  ND = 1, // RS/RA/NS/NA/Redirect, hop limit and code already checked
  ECHO_MULTICAST = 2, // echo request to a group or an anycast address: TypeScript picks a unicast source
  ICMP6_ERROR = 3, // ICMPv6 error message for an upper layer
  MLD = 4, // MLD query/report
  ECHO_REPLY = 5, // echo reply for one of our pings (verdict DELIVER)
  UDP = 6, // UDP datagram (verdict DELIVER)
  FRAGMENT = 7, // a (non-atomic) fragment: DESC_L4 is its Fragment header
  PARAM_PROBLEM_HEADER = 8, // dropped; owes Parameter Problem code 0 (pointer in DESC_L4)
  PARAM_PROBLEM_NEXT_HEADER = 9, // dropped; owes Parameter Problem code 1
  PARAM_PROBLEM_OPTION = 10, // dropped; owes Parameter Problem code 2 (action 10: even to multicast)
  PARAM_PROBLEM_OPTION_UNICAST = 11, // dropped; owes Parameter Problem code 2 unless to multicast (action 11)
  PARAM_PROBLEM_CHAIN = 12, // dropped; owes Parameter Problem code 3 (RFC 7112)
  ARP = 13, // a well-formed Ethernet/IPv4 ARP request or reply (RFC 826): DESC_L3 = DESC_L4 = its offset
  ECHO4 = 14, // ICMPv4 echo request the fast path does not answer (options, larger than IFACE_ECHO_MAX)
  ECHO4_REPLY = 15, // ICMPv4 echo reply (verdict DELIVER)
  UDP4 = 16, // UDP over IPv4 (verdict DELIVER); RX_SOCK_BASE holds the socket entry
  ICMP4_ERROR = 17, // ICMPv4 Destination Unreachable, Time Exceeded or Parameter Problem
  FRAGMENT4 = 18, // an IPv4 fragment (MF or offset ≠ 0): TypeScript reassembles
  PROTO4_UNREACHABLE = 19, // dropped (IP4_PROTO_UNSUPPORTED); owes Protocol Unreachable to unicast destinations
  UDP_NO_PORT = 20, // dropped (UDP_NO_PORT); unicast with no socket: owes Port Unreachable (both families)
  IGMP = 21, // IGMP message (TypeScript validates)
}

/** Link-level state of a neighbor entry as the fast path sees it (RFC 4861 §7.3.2). */
export const enum NeighState {
  EMPTY = 0,
  INCOMPLETE = 1,
  REACHABLE = 2,
  STALE = 3,
  DELAY = 4,
  PROBE = 5,
  DELETED = 6, // tombstone: probing continues past it
  UNREACHABLE = 7, // RFC 7048: probes failed; still probed with back-off, not used to send
}

/** Kinds of entries in the event ring. */
export const enum EventKind {
  NONE = 0,
  NEIGH_STALE_USED = 1, // a STALE entry was used to send: STALE → DELAY (RFC 4861 §7.3.3)
}

/** MIB counters, named like Linux's /proc/net/snmp6 and /proc/net/snmp. */
export const enum Counter {
  Ip6InReceives = 0,
  Ip6InHdrErrors = 1,
  Ip6InAddrErrors = 2,
  Ip6InUnknownProtos = 3,
  Ip6InTruncatedPkts = 4,
  Ip6InDiscards = 5,
  Ip6InDelivers = 6,
  Ip6OutRequests = 7,
  Ip6OutDiscards = 8,
  Ip6OutNoRoutes = 9,
  Ip6InMcastPkts = 10,
  Ip6OutMcastPkts = 11,
  Icmp6InMsgs = 12,
  Icmp6InErrors = 13,
  Icmp6OutMsgs = 14,
  Icmp6InCsumErrors = 15,
  Icmp6InEchos = 16,
  Icmp6InEchoReplies = 17,
  Icmp6OutEchos = 18,
  Icmp6OutEchoReplies = 19,
  Icmp6InRouterSolicits = 20,
  Icmp6InRouterAdvertisements = 21,
  Icmp6InNeighborSolicits = 22,
  Icmp6InNeighborAdvertisements = 23,
  Icmp6InRedirects = 24,
  Icmp6OutRouterSolicits = 25,
  Icmp6OutNeighborSolicits = 26,
  Icmp6OutNeighborAdvertisements = 27,
  Udp6InDatagrams = 28, // counted by WASM for datagrams with a known socket; TypeScript counts the rest
  Udp6NoPorts = 29,
  Udp6InErrors = 30,
  Udp6InCsumErrors = 31,
  Udp6OutDatagrams = 32,
  Icmp6InDestUnreachs = 33,
  Icmp6OutDestUnreachs = 34,
  Icmp6InMLD = 35,
  Icmp6OutErrors = 36,
  IpInReceives = 37,
  IpInHdrErrors = 38,
  IpInAddrErrors = 39,
  IpInDelivers = 40,
  IpOutRequests = 41,
  IpInUnknownProtos = 42,
  IcmpInMsgs = 43,
  IcmpInErrors = 44,
  IcmpInCsumErrors = 45,
  IcmpInEchos = 46,
  IcmpInEchoReps = 47,
  IcmpOutMsgs = 48,
  IcmpOutEchos = 49,
  IcmpOutEchoReps = 50,
  IcmpInDestUnreachs = 51,
  IcmpOutDestUnreachs = 52,
  UdpInDatagrams = 53, // counted by WASM for datagrams with a known socket; TypeScript counts the rest
  UdpNoPorts = 54,
  UdpInErrors = 55,
  UdpInCsumErrors = 56,
  UdpOutDatagrams = 57,
  IpOutDiscards = 58,
  IpExtInBcastPkts = 59,
  IpExtInMcastPkts = 60,
  IpInTruncatedPkts = 61,
}
