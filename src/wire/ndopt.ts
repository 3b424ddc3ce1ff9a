// Neighbor Discovery options (RFC 4861 §4.6).
//
//   0               1               2               3
//  +---------------+---------------+-------------------------------+
//  |     Type      |    Length     |              ...              |
//  +---------------+---------------+-------------------------------+
//
// Length is in units of 8 octets including Type and Length; 0 is invalid and
// the whole message MUST be discarded (§4.6). Unknown options are skipped (§4.6,
// "MUST silently ignore"). Source/Target Link-Layer Address (§4.6.1) on
// Ethernet: Length 1, then the 6-byte MAC.

export const OPT_SLLA = 1;
export const OPT_TLLA = 2;
export const OPT_PREFIX_INFO = 3;
export const OPT_REDIRECTED_HEADER = 4;
export const OPT_MTU = 5;

export interface NdOption {
  type: number;
  /** Option bytes including Type and Length. */
  data: Uint8Array;
}

/** Parses options; null when an option has length 0 or overruns the message (§4.6, §7.1). */
export function parseNdOptions(b: Uint8Array): NdOption[] | null {
  const out: NdOption[] = [];
  let o = 0;
  while (o < b.length) {
    if (b.length - o < 2) return null;
    const len = b[o + 1] * 8;
    if (len === 0 || o + len > b.length) return null;
    out.push({ type: b[o], data: b.subarray(o, o + len) });
    o += len;
  }
  return out;
}

/** Link-layer address carried by an SLLA/TLLA option, if it is well formed for Ethernet. */
export function linkLayerAddress(opt: NdOption): Uint8Array | undefined {
  return opt.data.length >= 8 ? opt.data.slice(2, 8) : undefined;
}

/** Writes an SLLA/TLLA option for a 6-byte MAC at `o`; returns its length (8). */
export function emitLinkLayerOption(b: Uint8Array, o: number, type: number, mac: Uint8Array): number {
  b[o] = type;
  b[o + 1] = 1;
  b.set(mac.subarray(0, 6), o + 2);
  return 8;
}
