// wasagi memory map — the one source of truth for every region of the WASM memory.
//
// The memory is created by TypeScript (src/wasm/instance.ts), imported by the module,
// and never grows, so the Uint8Array/DataView views and the native addon's pointer
// into it stay valid for the life of the stack. scripts/gen-layout.mjs turns the
// `export const` lines below into src/wasm/layout.generated.ts, so both sides share
// every offset. Each region has a single writer (DESIGN.md §3):
//
//   region          writer        contents
//   CONFIG/IFACE    TypeScript    per-interface flags, MAC, hop limit, MTU
//   ADDR, GROUP     TypeScript    unicast/anycast addresses, joined multicast groups
//   NEIGH           TypeScript    neighbor entries (address → MAC, state); WASM writes
//                                 only each entry's `hint` byte (STALE-used report)
//   RX slots        native addon  frames read from the device (lengths in RX_DESC)
//   RX_DESC verdict WASM          verdict, reason, offsets per slot
//   TX slots/desc   TypeScript    control-plane packets; WASM finishes them (txBuild)
//   IOV, WORK       WASM          frames to write; slots that need the control plane
//   RX_SOCK         WASM          per-slot UDP socket entry of a DELIVER UDP/UDP4 slot
//   UDP demux       TypeScript    port heads and socket entries (src/socket/udp-table.ts)
//   COUNTERS, DROPS WASM          MIB counters and per-reason drop counters
//   EVENTS          WASM (head)   event ring; TypeScript owns the tail
//
// Only `export const NAME: u32 = <expression of earlier names>;` lines belong here.

export const PAGE_SIZE: u32 = 65536;
export const LAYOUT_BASE: u32 = 65536; // AssemblyScript's static data lives below this

// --- interfaces -------------------------------------------------------------
export const MAX_IFACES: u32 = 8;
export const IFACE_BASE: u32 = LAYOUT_BASE;
export const IFACE_STRIDE: u32 = 64;
export const IFACE_FLAGS: u32 = 0; // u8: IFF_UP | IFF_ETHERNET
export const IFACE_HOP_LIMIT: u32 = 1; // u8: CurHopLimit for packets we originate
export const IFACE_MTU: u32 = 2; // u16: link MTU
export const IFACE_MAC: u32 = 4; // 6 bytes: our link-layer address
export const IFACE_ROUTER: u32 = 16; // 16 bytes: the selected default router (RFC 4861 §6.3.6)
export const IFACE_ECHO_MAX: u32 = 32; // u16: largest echo reply built in place (the smallest path MTU known on the link)
export const IFACE_ROUTER4: u32 = 36; // 16 bytes: the IPv4 default gateway as ::ffff:a.b.c.d (valid with IFF_ROUTER4)
export const IFACE_TTL: u32 = 52; // u8: IPv4 TTL for packets we originate (0: the default, 64)
export const IFF_UP: u32 = 1;
export const IFF_ETHERNET: u32 = 2; // TAP / memory link (Ethernet framing); else TUN (raw IPv4/IPv6)
export const IFF_ROUTER: u32 = 4; // IFACE_ROUTER holds a default router
export const IFF_SLOW_ROUTE: u32 = 8; // routes beyond on-link + default exist: off-link goes to TypeScript (IPv6 and IPv4)
export const IFF_ROUTER4: u32 = 16; // IFACE_ROUTER4 holds an IPv4 default gateway

// --- addresses (unicast and anycast) -------------------------------------------
// IPv4 addresses are stored as IPv4-mapped IPv6 addresses ::ffff:a.b.c.d
// everywhere (ADDR, GROUP, PREFIX, NEIGH, IFACE_ROUTER4); an IPv4 ADDR entry's
// ADDR_PREFIX_LEN is the IPv4 prefix length, its PREFIX entry's length 96 + it.
export const MAX_ADDRS: u32 = 64;
export const ADDR_COUNT: u32 = IFACE_BASE + MAX_IFACES * IFACE_STRIDE; // u32
export const ADDR_BASE: u32 = ADDR_COUNT + 16;
export const ADDR_STRIDE: u32 = 32;
export const ADDR_IP: u32 = 0; // 16 bytes
export const ADDR_IFINDEX: u32 = 16; // u8
export const ADDR_FLAGS: u32 = 17; // u8: AF_*
export const ADDR_PREFIX_LEN: u32 = 18; // u8: on-link prefix length (0: none)
export const AF_VALID: u32 = 1;
export const AF_TENTATIVE: u32 = 2; // RFC 4862 §5.4: only DAD traffic
export const AF_ANYCAST: u32 = 4;
export const AF_DEPRECATED: u32 = 8;

// --- joined multicast groups ------------------------------------------------
export const MAX_GROUPS: u32 = 64;
export const GROUP_COUNT: u32 = ADDR_BASE + MAX_ADDRS * ADDR_STRIDE; // u32
export const GROUP_BASE: u32 = GROUP_COUNT + 16;
export const GROUP_STRIDE: u32 = 32;
export const GROUP_IP: u32 = 0; // 16 bytes
export const GROUP_IFINDEX: u32 = 16; // u8

// --- on-link prefixes (RFC 4861 §5.2 Prefix List, plus static prefixes) -------
export const MAX_PREFIXES: u32 = 32;
export const PREFIX_COUNT: u32 = GROUP_BASE + MAX_GROUPS * GROUP_STRIDE; // u32
export const PREFIX_BASE: u32 = PREFIX_COUNT + 16;
export const PREFIX_STRIDE: u32 = 32;
export const PREFIX_IP: u32 = 0; // 16 bytes
export const PREFIX_LEN: u32 = 16; // u8
export const PREFIX_IFINDEX: u32 = 17; // u8

// --- counters -----------------------------------------------------------------
export const NUM_COUNTERS: u32 = 64;
export const COUNTERS_BASE: u32 = PREFIX_BASE + MAX_PREFIXES * PREFIX_STRIDE; // u64 each
export const NUM_DROP_REASONS: u32 = 96;
export const DROPS_BASE: u32 = COUNTERS_BASE + NUM_COUNTERS * 8; // u64 each

// --- receive ------------------------------------------------------------------
export const SLOT_SIZE: u32 = 2048; // largest frame (Ethernet header + IPv6 packet)
export const RX_SLOTS: u32 = 256;
export const RX_DESC_BASE: u32 = DROPS_BASE + NUM_DROP_REASONS * 8;
export const DESC_STRIDE: u32 = 16;
export const DESC_LEN: u32 = 0; // u32: frame length (native addon / link writes it)
export const DESC_VERDICT: u32 = 4; // u16: Verdict
export const DESC_REASON: u32 = 6; // u16: DropReason or ControlKind
export const DESC_L3: u32 = 8; // u16: offset of the IPv6 header in the slot
export const DESC_L4: u32 = 10; // u16: offset of the upper-layer header in the slot
export const DESC_AUX: u32 = 12; // u32: verdict-specific (e.g. IPv6 packet length)
export const RX_SLOT_BASE: u32 = RX_DESC_BASE + RX_SLOTS * DESC_STRIDE;

// --- transmit (control-plane packets) --------------------------------------
// A TX slot holds an IPv6 packet at TX_HEADROOM; txBuild writes the Ethernet
// header in the 14 bytes before it, so a frame starts at TX_HEADROOM - 14.
export const TX_SLOTS: u32 = 256;
export const TX_HEADROOM: u32 = 16;
export const TX_DESC_BASE: u32 = RX_SLOT_BASE + RX_SLOTS * SLOT_SIZE;
export const TXD_LEN: u32 = 0; // u32: IPv6 packet length
export const TXD_IFINDEX: u32 = 4; // u8
export const TXD_FLAGS: u32 = 5; // u8: TXF_*
export const TXD_STATUS: u32 = 6; // u16: Verdict written by txBuild (TX_READY, RESOLVE, DROP)
export const TXD_MAC: u32 = 8; // 6 bytes: link-layer destination when TXF_HAVE_MAC
export const TXD_L4: u32 = 14; // u8: upper-layer offset from the IPv6 header (0: 40, no extension headers)
export const TXD_PROTO: u32 = 15; // u8: upper-layer protocol when TXD_L4 is set
export const TXF_CSUM: u32 = 1; // compute the upper-layer checksum (ICMPv6, UDP)
export const TXF_HAVE_MAC: u32 = 2; // TXD_MAC is the destination; skip the neighbor table
export const TXF_IPV4: u32 = 4; // the slot holds an IPv4 packet at TX_HEADROOM (TXD_L4/TXD_PROTO unused)
export const TXF_ARP: u32 = 8; // the slot holds a 28-byte ARP payload (RFC 826); needs TXF_HAVE_MAC
export const TX_SLOT_BASE: u32 = TX_DESC_BASE + TX_SLOTS * DESC_STRIDE;

// --- write list and work list ----------------------------------------------
export const IOV_MAX: u32 = RX_SLOTS + TX_SLOTS;
export const IOV_BASE: u32 = TX_SLOT_BASE + TX_SLOTS * SLOT_SIZE; // u32 offset, u32 length
export const WORK_BASE: u32 = IOV_BASE + IOV_MAX * 8; // u16 slot indexes for the control plane

// --- UDP demultiplexing (both families; mirrors src/socket/portspace.ts) ------
// RX_SOCK_BASE: per RX slot, the socket entry index of a DELIVER UDP/UDP4 slot,
// or UDP_NO_SOCKET (TypeScript looks it up: overflow, multicast, broadcast).
export const RX_SOCK_BASE: u32 = WORK_BASE + RX_SLOTS * 2; // u32 per RX slot, written by WASM
export const UDP_NO_SOCKET: u32 = 0xffffffff;
// UDP_OVERFLOW ≠ 0: TypeScript could not fit every socket; WASM decides nothing
// and hands every datagram over with UDP_NO_SOCKET.
export const UDP_OVERFLOW: u32 = RX_SOCK_BASE + RX_SLOTS * 4; // u32, written by TypeScript
export const UDP_PORT_HEAD: u32 = UDP_OVERFLOW + 16; // u16 per port: 1 + index of the NEWEST entry; 0 = none
export const MAX_UDP_SOCKETS: u32 = 4096;
export const UDP_SOCK_BASE: u32 = UDP_PORT_HEAD + 65536 * 2;
export const UDP_SOCK_STRIDE: u32 = 32;
export const US_V6: u32 = 0; // 16 bytes: bound IPv6 address (:: wildcard); unused for udp4
export const US_V4: u32 = 16; // u32: bound IPv4 address, network byte order as in memory; 0 = wildcard
export const US_NEXT: u32 = 20; // u16: 1 + index of the next OLDER entry on the same port; 0 = end
export const US_FAMILY: u32 = 22; // u8: 4 or 6; 0 = free entry
export const US_FLAGS: u32 = 23; // u8: USF_*
export const US_DEV: u32 = 24; // u32: bound ifindex (SO_BINDTODEVICE / scope zone), 0 = any
export const USF_V6ONLY: u32 = 1; // IPV6_V6ONLY in force: no IPv4 side
export const USF_CONNECTED: u32 = 2; // connected: Linux scores the peer (compute_score); TypeScript decides
export const UDP_ASK: u32 = 0xfffffffe; // udpLookup: a connected socket fits, TypeScript must score the peer

// --- event ring ---------------------------------------------------------------
export const EVENT_CAPACITY: u32 = 1024; // power of two
export const EVENT_HEAD: u32 = UDP_SOCK_BASE + MAX_UDP_SOCKETS * UDP_SOCK_STRIDE; // u32, written by WASM
export const EVENT_TAIL: u32 = EVENT_HEAD + 4; // u32, written by TypeScript
export const EVENT_LOST: u32 = EVENT_HEAD + 8; // u32, written by WASM
export const EVENT_BASE: u32 = EVENT_HEAD + 16;
export const EVENT_STRIDE: u32 = 8; // u16 kind, u16 ifindex, u32 argument

// --- neighbor table (open addressing, linear probing) -----------------------
// The table is the last region; its capacity (a power of two) is chosen when
// the memory is created and written at NEIGH_CAP_WORD. The memory is sized for
// it then and never grows.
export const NEIGH_CAP_WORD: u32 = EVENT_BASE + EVENT_CAPACITY * EVENT_STRIDE; // u32
export const NEIGH_CAPACITY: u32 = 4096; // default capacity
export const NEIGH_MAX_CAPACITY: u32 = 8388608; // 2^23 entries = 256 MiB
export const NEIGH_BASE: u32 = NEIGH_CAP_WORD + 64;
export const NEIGH_STRIDE: u32 = 32;
export const NE_IP: u32 = 0; // 16 bytes
export const NE_MAC: u32 = 16; // 6 bytes
export const NE_STATE: u32 = 22; // u8: NeighState
export const NE_IFINDEX: u32 = 23; // u8
export const NE_EPOCH: u32 = 24; // u8: bumped by TypeScript on every state change
export const NE_HINT: u32 = 25; // u8: WASM copies EPOCH here when it reports a use

export const LAYOUT_END: u32 = NEIGH_BASE + NEIGH_CAPACITY * NEIGH_STRIDE; // with the default capacity
export const MEMORY_PAGES: u32 = (LAYOUT_END + PAGE_SIZE - 1) / PAGE_SIZE; // the smallest memory
export const MAX_MEMORY_PAGES: u32 = (NEIGH_BASE + NEIGH_MAX_CAPACITY * NEIGH_STRIDE + PAGE_SIZE - 1) / PAGE_SIZE + 8; // room for NEIGH_MAX_CAPACITY
