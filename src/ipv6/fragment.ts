// IPv6 source fragmentation (RFC 8200 §4.5) and Fragment Identification
// selection (RFC 7739).
//
// An original packet is split into an Unfragmentable Part and a Fragmentable
// Part (RFC 8200 §4.5):
//
//   original:   | Unfragmentable Part | first | second | … | last |
//   fragment i: | Unfragmentable Part | Fragment header | piece i |
//
// The Unfragmentable Part is the IPv6 header plus the extension headers that
// nodes en route must process: "all headers up to and including the Routing
// header if present, else the Hop-by-Hop Options header if present, else no
// extension headers" — so Destination Options that precede a Routing header
// are in it, and those after it (or without one) are not. In each fragment the
// last Next Header of the Unfragmentable Part says 44, the Fragment header
// carries the original value, and Payload Length counts the fragment only.
// Every piece but the last is a multiple of 8 octets; every fragment fits the
// MTU. Pieces are as large as the MTU allows, the tail goes last (as Linux).
//
// Not done here: the first fragment is not checked to hold the whole header
// chain through the upper-layer header (RFC 7112 §5) — with an MTU ≥ 1280 it
// carries at least 1232 octets minus the Unfragmentable Part, which only an
// absurd chain of our own making could exceed. Atomic fragments (RFC 6946) are
// never produced: a packet that fits is returned as it is (RFC 8021).

import { invalidArg, WasagiError } from '../errors.js';
import { IP6_HEADER_LEN } from '../wire/ipv6.js';
import { emitFragmentHeader, FRAG_HEADER_LEN, NH_FRAGMENT } from '../wire/frag.js';

/** Every link carries at least 1280 octets (RFC 8200 §5). */
export const IPV6_MIN_MTU = 1280;
const NH_HOP_BY_HOP = 0; // RFC 8200 §4.3
const NH_ROUTING = 43; // RFC 8200 §4.4
const NH_DEST_OPTS = 60; // RFC 8200 §4.6

/** Where the Unfragmentable Part of `pkt` ends, and where its last Next Header field is. */
export interface UnfragmentablePart {
  /** Length of the Unfragmentable Part (40 with no extension headers in it). */
  end: number;
  /** Offset of the Next Header field that names the first header of the Fragmentable Part. */
  nextHeaderAt: number;
}

/**
 * The Unfragmentable Part of an IPv6 packet (RFC 8200 §4.5): IPv6 header,
 * Hop-by-Hop Options if first, and everything up to and including the last
 * Routing header among the Destination Options/Routing headers that follow.
 * Null when a header runs past the packet.
 */
export function unfragmentablePart(pkt: Uint8Array): UnfragmentablePart | null {
  if (pkt.length < IP6_HEADER_LEN) return null;
  let end = IP6_HEADER_LEN;
  let nextHeaderAt = 6;
  let pos = IP6_HEADER_LEN;
  let nh = pkt[6];
  let first = true;
  while ((nh === NH_HOP_BY_HOP && first) || nh === NH_DEST_OPTS || nh === NH_ROUTING) {
    if (pos + 2 > pkt.length) return null;
    const len = (pkt[pos + 1] + 1) * 8; // Hdr Ext Len in 8-octet units, not counting the first 8 (RFC 8200 §4.3–4.6)
    if (pos + len > pkt.length) return null;
    if (nh === NH_HOP_BY_HOP || nh === NH_ROUTING) {
      end = pos + len;
      nextHeaderAt = pos;
    }
    nh = pkt[pos];
    pos += len;
    first = false;
  }
  return { end, nextHeaderAt };
}

/**
 * Splits `pkt` (a whole IPv6 packet without a Fragment header, Payload Length
 * matching its size) into fragments of at most `mtu` octets with the given
 * Identification (RFC 8200 §4.5). A packet that already fits is returned as
 * the only element, itself, not a copy. Throws ERR_INVALID_ARG on programmer
 * error (mtu < 1280, a malformed packet of our own, an existing Fragment
 * header) and ERR_MESSAGE_TOO_BIG when the Unfragmentable Part alone leaves no
 * room for 8 octets of data.
 */
export function fragmentPacket(pkt: Uint8Array, mtu: number, identification: number): Uint8Array[] {
  if (!(pkt instanceof Uint8Array)) throw invalidArg('pkt', 'a Uint8Array', pkt);
  if (!Number.isInteger(mtu) || mtu < IPV6_MIN_MTU) throw invalidArg('mtu', `an integer ≥ ${IPV6_MIN_MTU} (RFC 8200 §5)`, mtu);
  if (!Number.isInteger(identification) || identification < 0 || identification > 0xffffffff) {
    throw invalidArg('identification', 'an unsigned 32-bit integer', identification);
  }
  if (pkt.length < IP6_HEADER_LEN || pkt[0] >> 4 !== 6 || IP6_HEADER_LEN + ((pkt[4] << 8) | pkt[5]) !== pkt.length) {
    throw invalidArg('pkt', 'an IPv6 packet whose Payload Length matches its size', `${pkt.length} octets`);
  }
  if (pkt.length <= mtu) return [pkt];
  const u = unfragmentablePart(pkt);
  if (!u) throw invalidArg('pkt', 'a packet with a well-formed extension header chain', 'a header past the end');
  const originalNh = pkt[u.nextHeaderAt];
  if (originalNh === NH_FRAGMENT) throw invalidArg('pkt', 'a packet without a Fragment header', 'one with Next Header 44');
  // RFC 8200 §4.5: each piece but the last is a multiple of 8 octets.
  const maxPiece = Math.floor((mtu - u.end - FRAG_HEADER_LEN) / 8) * 8;
  if (maxPiece < 8) {
    throw new WasagiError('ERR_MESSAGE_TOO_BIG', `The Unfragmentable Part (${u.end} octets) leaves no room for data in a ${mtu}-octet MTU`);
  }
  const fragmentable = pkt.subarray(u.end);
  const out: Uint8Array[] = [];
  for (let off = 0; off < fragmentable.length; off += maxPiece) {
    const n = Math.min(maxPiece, fragmentable.length - off);
    const f = new Uint8Array(u.end + FRAG_HEADER_LEN + n);
    f.set(pkt.subarray(0, u.end));
    f[u.nextHeaderAt] = NH_FRAGMENT;
    const payloadLength = f.length - IP6_HEADER_LEN;
    f[4] = payloadLength >> 8;
    f[5] = payloadLength & 0xff;
    emitFragmentHeader(f, u.end, { nextHeader: originalNh, offset: off, more: off + n < fragmentable.length, identification });
    f.set(fragmentable.subarray(off, off + n), u.end + FRAG_HEADER_LEN);
    out.push(f);
  }
  return out;
}

/**
 * A new Fragment Identification (RFC 7739 §5: unpredictable, so an off-path
 * attacker can neither guess it to inject fragments nor learn traffic rates
 * from it). `random` returns a float in [0, 1); give it a cryptographic
 * source in production. The result is in 1..2³²−1: never 0, as Linux
 * (`__ipv6_select_ident` redraws 0), so callers can use 0 as "not chosen".
 */
export function newIdentification(random: () => number): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw invalidArg('random()', 'a number in [0, 1)', r);
  return Math.floor(r * 0xffffffff) + 1;
}
