// ARP for IPv4 over Ethernet (RFC 826), EtherType 0x0806: the 28-octet
// packet with hardware type 1 (Ethernet, 6-octet addresses) and protocol type
// 0x0800 (IPv4, 4-octet addresses). Kept apart from IPv6 Neighbor Discovery
// on purpose: each follows its own RFC (paper).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Hardware Type (ar$hrd)    |     Protocol Type (ar$pro)    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  HLEN (ar$hln)|  PLEN (ar$pln)|       Operation (ar$op)       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               Sender Hardware Address (ar$sha) …              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        … (ar$sha)             | Sender Protocol Address (spa) |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        … (ar$spa)             | Target Hardware Address (tha) |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               … (ar$tha)                                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               Target Protocol Address (ar$tpa)                |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Records start at ar$hrd (after the Ethernet header). Octets past the 28
// (Ethernet pads frames to 60) are ignored. In a request the Target Hardware
// Address is "not yet known" (RFC 826): we send zeros, as Linux does, and
// ignore it on reception. A packet whose Sender and Target Protocol Addresses
// are equal is gratuitous (RFC 5227 §3 "ARP Announcement", RFC 5944 §4.6).
//
// Not supported: other hardware types (IEEE 802 = 6, InfiniBand = 32, …),
// RARP (RFC 903, operations 3/4), InARP (RFC 2390, operations 8/9).

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
/** ar$hrd for Ethernet (10 Mb) (RFC 826; IANA "Hardware Types"). */
export const ARP_HTYPE_ETHERNET = 1;
/** ar$pro for IPv4: its EtherType (RFC 826). */
export const ARP_PTYPE_IPV4 = ETHERTYPE_IPV4;
export const ARP_HLEN_ETHERNET = 6;
export const ARP_PLEN_IPV4 = 4;
/** ar$op (RFC 826). */
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
/** 8 + 2·6 + 2·4 octets. */
export const ARP_LEN = 28;

/** Field offsets. */
export const ARP_HRD = 0;
export const ARP_PRO = 2;
export const ARP_HLN = 4;
export const ARP_PLN = 5;
export const ARP_OP = 6;
export const ARP_SHA = 8;
export const ARP_SPA = 14;
export const ARP_THA = 18;
export const ARP_TPA = 24;

export type ArpOp = typeof ARP_OP_REQUEST | typeof ARP_OP_REPLY;

/** One ARP packet for Ethernet/IPv4. */
export interface ArpPacket {
  op: ArpOp;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  /** Zeros in a request (RFC 826: "not yet known"). */
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

/** Why an ARP packet is not for us to read; each maps to a drop counter. */
export type ArpDrop =
  /** Fewer than 28 octets. */
  | 'TRUNCATED'
  /** ar$hrd ≠ 1 or ar$hln ≠ 6 (RFC 826: "Do I have the hardware type…"). */
  | 'HARDWARE'
  /** ar$pro ≠ 0x0800 or ar$pln ≠ 4 (RFC 826: "Do I speak the protocol…"). */
  | 'PROTOCOL'
  /** ar$op neither 1 nor 2. */
  | 'OPERATION';

/** Why `b` is not an Ethernet/IPv4 ARP request or reply, or null when it is. */
export function checkArp(b: Uint8Array): ArpDrop | null {
  if (b.length < ARP_LEN) return 'TRUNCATED';
  if (((b[0] << 8) | b[1]) !== ARP_HTYPE_ETHERNET || b[4] !== ARP_HLEN_ETHERNET) return 'HARDWARE';
  if (((b[2] << 8) | b[3]) !== ARP_PTYPE_IPV4 || b[5] !== ARP_PLEN_IPV4) return 'PROTOCOL';
  const op = (b[6] << 8) | b[7];
  if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY) return 'OPERATION';
  return null;
}

// Accessors — only after checkArp.
export const arpOp = (b: Uint8Array): ArpOp => ((b[6] << 8) | b[7]) as ArpOp;
export const arpSenderMac = (b: Uint8Array): Uint8Array => b.subarray(ARP_SHA, ARP_SHA + 6);
export const arpSenderIp = (b: Uint8Array): Uint8Array => b.subarray(ARP_SPA, ARP_SPA + 4);
export const arpTargetMac = (b: Uint8Array): Uint8Array => b.subarray(ARP_THA, ARP_THA + 6);
export const arpTargetIp = (b: Uint8Array): Uint8Array => b.subarray(ARP_TPA, ARP_TPA + 4);

/** Parses the packet at the start of `b`; null when checkArp refuses it. Addresses are copies. */
export function parseArp(b: Uint8Array): ArpPacket | null {
  if (checkArp(b) !== null) return null;
  return {
    op: arpOp(b),
    senderMac: b.slice(ARP_SHA, ARP_SHA + 6),
    senderIp: b.slice(ARP_SPA, ARP_SPA + 4),
    targetMac: b.slice(ARP_THA, ARP_THA + 6),
    targetIp: b.slice(ARP_TPA, ARP_TPA + 4),
  };
}

/** Always 28. */
export function arpLength(): number {
  return ARP_LEN;
}

/** Writes all 28 octets at `b[o..]`; returns 28. Builders do not check. */
export function emitArp(b: Uint8Array, o: number, p: ArpPacket): number {
  b[o] = 0;
  b[o + 1] = ARP_HTYPE_ETHERNET;
  b[o + 2] = ARP_PTYPE_IPV4 >> 8;
  b[o + 3] = ARP_PTYPE_IPV4 & 0xff;
  b[o + 4] = ARP_HLEN_ETHERNET;
  b[o + 5] = ARP_PLEN_IPV4;
  b[o + 6] = 0;
  b[o + 7] = p.op;
  b.set(p.senderMac.subarray(0, 6), o + ARP_SHA);
  b.set(p.senderIp.subarray(0, 4), o + ARP_SPA);
  b.set(p.targetMac.subarray(0, 6), o + ARP_THA);
  b.set(p.targetIp.subarray(0, 4), o + ARP_TPA);
  return ARP_LEN;
}

/** A request for `targetIp` (RFC 826): Target Hardware Address zero. */
export function arpRequest(senderMac: Uint8Array, senderIp: Uint8Array, targetIp: Uint8Array): ArpPacket {
  return { op: ARP_OP_REQUEST, senderMac, senderIp, targetMac: new Uint8Array(6), targetIp };
}

/**
 * The reply to a request (RFC 826 "Packet Reception": swap the sender and
 * target fields, put our addresses in the sender fields, set ar$op REPLY).
 */
export function arpReplyTo(request: Pick<ArpPacket, 'senderMac' | 'senderIp' | 'targetIp'>, ourMac: Uint8Array): ArpPacket {
  return { op: ARP_OP_REPLY, senderMac: ourMac, senderIp: request.targetIp, targetMac: request.senderMac, targetIp: request.senderIp };
}

/** A packet is gratuitous when Sender and Target Protocol Address are the same (RFC 5227 §3). */
export function isGratuitous(p: Pick<ArpPacket, 'senderIp' | 'targetIp'>): boolean {
  const a = p.senderIp;
  const b = p.targetIp;
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** A whole 28-octet packet. */
export function emitArpPacket(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(ARP_LEN);
  emitArp(b, 0, p);
  return b;
}
