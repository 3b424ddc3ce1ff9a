// Interface identifiers (IIDs) for SLAAC: the low 64 bits of an address under
// a /64 prefix (RFC 4291 §2.5.1). Three generators and the rules around them:
//
// - Modified EUI-64 from a MAC (RFC 4291 App. A, RFC 2464 §4): kept for
//   link-local addresses built from the hardware address.
// - Stable, semantically opaque IIDs (RFC 7217 §5): one per {prefix,
//   interface, network}, the same after every reboot, different on every
//   prefix, unguessable without the host's secret key.
// - Temporary (privacy) IIDs (RFC 8981 §3.3.1): 64 random bits, with the
//   lifetime rules for the addresses they make (RFC 8981 §3.4, §3.5, §3.8).
//
// Every generator refuses the reserved IIDs of RFC 5453 (IANA "Reserved IPv6
// Interface Identifiers"). Sans-IO: times are milliseconds passed in; the only
// randomness is an injected source (defaulting to node:crypto) and the key.
//
// RFC 7217 leaves F(), the input encoding and the choice of output bits to the
// implementation. Ours, fixed here so that addresses stay stable across
// versions (changing any of it renumbers every host):
//
//   RID = SHA-256( Prefix[0..8) ‖ Net_Iface ‖ Network_ID ‖ DAD_Counter ‖ secret_key )
//   IID = RID[24..32)   (the least significant 64 bits, RFC 7217 §5 step 2)
//
//   Prefix       the first 8 bytes (the /64 prefix) of the 16-byte address given;
//                bytes 8..15 are ignored.
//   Net_Iface    a string is encoded as UTF-8; bytes (e.g. a MAC) are used as given.
//   Network_ID   the bytes given, or nothing when absent (it is OPTIONAL).
//   DAD_Counter  4 bytes, unsigned 32-bit big-endian.
//   secret_key   the bytes given, at least 16 (128 bits).
//
// The fields are concatenated without length prefixes, as RFC 7217 §5 describes.
// Hence Net_Iface "eth0" with Network_ID "1x" hashes like "eth01" with "x": two
// of the host's own interfaces could only collide that way on the same prefix,
// with names and network IDs chosen to line up, and DAD would then catch it.

import { createHash, randomBytes } from 'node:crypto';
import { WasagiError, invalidArg } from '../errors.js';
import type { Duration, Instant } from '../time/instant.js';
import { linkLocalFromMac, type Ip6 } from '../wire/address.js';

/** An interface identifier: 8 bytes, network order. */
export type Iid = Uint8Array;

// --- Modified EUI-64 ---------------------------------------------------------

/**
 * Modified EUI-64 IID of a 48-bit MAC (RFC 2464 §4: ff:fe inserted after the
 * OUI) or of a 64-bit EUI-64; either way the U/L bit is inverted (RFC 4291
 * App. A). Throws ERR_INVALID_MAC for other lengths and for group addresses.
 */
export function eui64Iid(mac: Uint8Array): Iid {
  if (!(mac instanceof Uint8Array) || (mac.length !== 6 && mac.length !== 8)) {
    throw new WasagiError('ERR_INVALID_MAC', 'The "mac" argument must be a 6-byte MAC or an 8-byte EUI-64');
  }
  // An interface identifier names one interface; a group (I/G = 1) address names none.
  if (mac[0] & 0x01) throw new WasagiError('ERR_INVALID_MAC', 'A multicast (group) address cannot form an interface identifier');
  if (mac.length === 6) return linkLocalFromMac(mac).slice(8);
  const iid = Uint8Array.from(mac);
  iid[0] ^= 0x02; // RFC 4291 App. A: invert the universal/local bit
  return iid;
}

// --- Reserved IIDs (RFC 5453) -------------------------------------------------

/**
 * True for the IIDs no generator may produce (RFC 5453 §3, IANA registry):
 * - 0000:0000:0000:0000, the Subnet-Router anycast (RFC 4291 §2.6.1);
 * - 0200:5EFF:FE00:0000–0200:5EFF:FEFF:FFFF, the IANA Ethernet block
 *   (RFC 4291), which includes 0200:5EFF:FE00:5213 for Proxy Mobile IPv6 (RFC 6543);
 * - FDFF:FFFF:FFFF:FF80–FDFF:FFFF:FFFF:FFFF, reserved subnet anycast (RFC 2526 §2).
 */
export function isReservedIid(iid: Iid): boolean {
  if (!(iid instanceof Uint8Array) || iid.length !== 8) throw invalidArg('iid', 'an 8-byte Uint8Array', iid);
  if (iid.every((b) => b === 0)) return true;
  if (iid[0] === 0x02 && iid[1] === 0x00 && iid[2] === 0x5e && iid[3] === 0xff && iid[4] === 0xfe) return true;
  return iid[0] === 0xfd && iid[1] === 0xff && iid[2] === 0xff && iid[3] === 0xff && iid[4] === 0xff && iid[5] === 0xff && iid[6] === 0xff && iid[7] >= 0x80;
}

const iidKey = (iid: Uint8Array): string => Buffer.from(iid.buffer, iid.byteOffset, iid.byteLength).toString('hex');

function keySet(exclude: Iterable<Uint8Array> | undefined): Set<string> {
  const keys = new Set<string>();
  if (exclude === undefined) return keys;
  for (const e of exclude) {
    if (!(e instanceof Uint8Array) || e.length !== 8) throw invalidArg('exclude', 'a collection of 8-byte IIDs', e);
    keys.add(iidKey(e));
  }
  return keys;
}

// --- Stable, semantically opaque IIDs (RFC 7217) -------------------------------

/** Tentative addresses tried per prefix after DAD failures (RFC 7217 §7, used in §6). */
export const IDGEN_RETRIES = 3;
/** Upper bound of the random delay before retrying after a DAD failure, ms (RFC 7217 §7, used in §6). */
export const IDGEN_DELAY: Duration = 1_000;
/** Shortest accepted secret_key, bytes (RFC 7217 §5: "at least 128 bits"). */
export const MIN_SECRET_KEY_BYTES = 16;

/** F() of RFC 7217 §5: any PRF over the encoded input; at least 8 bytes out, of which the last 8 are used. */
export type Prf = (input: Uint8Array) => Uint8Array;

/** SHA-256 over the encoded input (RFC 7217 §5 names SHA-256 as an option for F()). */
export const sha256Prf: Prf = (input) => createHash('sha256').update(input).digest();

export interface StableIidParams {
  /** Prefix: the address whose first 8 bytes are the /64 prefix (link-local, global or ULA). */
  prefix: Ip6;
  /** Net_Iface: a stable identifier of the interface, e.g. its name (UTF-8) or MAC bytes. */
  netIface: string | Uint8Array;
  /** Network_ID: optional network-specific data such as the SSID; absent and empty hash alike. */
  networkId?: Uint8Array;
  /** DAD_Counter: 0 at first, +1 after each DAD conflict (RFC 7217 §6); 0..2^32−1. */
  dadCounter: number;
  /** secret_key: at least 128 bits, random, kept across reboots (see generateSecretKey). */
  secretKey: Uint8Array;
  /** IIDs already used on this interface with this prefix; treated like reserved ones (RFC 7217 §5 step 2). */
  exclude?: Iterable<Uint8Array>;
  /** F(); SHA-256 when absent. A parameter so a deployment may pick another PRF and tests may force outcomes. */
  prf?: Prf;
}

/** A stable IID and the DAD_Counter that produced it (the caller continues from it after a DAD failure). */
export interface StableIid {
  iid: Iid;
  dadCounter: number;
}

const utf8 = new TextEncoder();

/** The documented F() input: Prefix[0..8) ‖ Net_Iface ‖ Network_ID ‖ DAD_Counter (u32 BE) ‖ secret_key. */
function rfc7217Input(prefix: Uint8Array, netIface: Uint8Array, networkId: Uint8Array, dadCounter: number, secretKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + netIface.length + networkId.length + 4 + secretKey.length);
  let at = 0;
  out.set(prefix.subarray(0, 8), at);
  at += 8;
  out.set(netIface, at);
  at += netIface.length;
  out.set(networkId, at);
  at += networkId.length;
  new DataView(out.buffer).setUint32(at, dadCounter, false);
  at += 4;
  out.set(secretKey, at);
  return out;
}

/**
 * RFC 7217 §5 with the counter it ended on: tries DAD_Counter = dadCounter,
 * then — while the IID is reserved (RFC 5453) or excluded, which §5 step 2 says
 * to handle like a DAD conflict (§6) — the next counters, at most IDGEN_RETRIES
 * more. Throws ERR_INVALID_ARG for bad parameters and ERR_IDGEN_FAILED when
 * every attempt was unacceptable (§6: hosts MUST limit the attempts).
 */
export function stableIidWithCounter(params: StableIidParams): StableIid {
  if (params === null || typeof params !== 'object') throw invalidArg('params', 'an object', params);
  const { prefix, netIface, networkId, dadCounter, secretKey, exclude, prf = sha256Prf } = params;
  if (!(prefix instanceof Uint8Array) || prefix.length !== 16) throw invalidArg('prefix', 'a 16-byte IPv6 address (Uint8Array)', prefix);
  let iface: Uint8Array;
  if (typeof netIface === 'string') iface = utf8.encode(netIface);
  else if (netIface instanceof Uint8Array) iface = netIface;
  else throw invalidArg('netIface', 'a string or a Uint8Array', netIface);
  // RFC 7217 §5: Net_Iface MUST be different for each interface; an empty one identifies none.
  if (iface.length === 0) throw invalidArg('netIface', 'non-empty', '(empty)');
  if (networkId !== undefined && !(networkId instanceof Uint8Array)) throw invalidArg('networkId', 'a Uint8Array', networkId);
  if (!Number.isInteger(dadCounter) || dadCounter < 0 || dadCounter > 0xffff_ffff) {
    throw invalidArg('dadCounter', 'an integer from 0 to 4294967295', dadCounter);
  }
  if (!(secretKey instanceof Uint8Array)) throw invalidArg('secretKey', 'a Uint8Array', secretKey);
  if (secretKey.length < MIN_SECRET_KEY_BYTES) {
    throw invalidArg('secretKey', `at least ${MIN_SECRET_KEY_BYTES} bytes (128 bits, RFC 7217 §5)`, `${secretKey.length} bytes`);
  }
  if (typeof prf !== 'function') throw invalidArg('prf', 'a function', prf);
  const taken = keySet(exclude);
  const netId = networkId ?? new Uint8Array(0);
  const last = Math.min(dadCounter + IDGEN_RETRIES, 0xffff_ffff);
  for (let counter = dadCounter; counter <= last; counter++) {
    const rid = prf(rfc7217Input(prefix, iface, netId, counter, secretKey));
    if (!(rid instanceof Uint8Array) || rid.length < 8) throw invalidArg('prf', 'a function returning at least 8 bytes', rid);
    // §5 step 2: "as many bits ... as necessary, starting from the least significant bit".
    const iid = new Uint8Array(rid.subarray(rid.length - 8)); // a copy, and a plain Uint8Array even if rid is a Buffer
    if (!isReservedIid(iid) && !taken.has(iidKey(iid))) return { iid, dadCounter: counter };
  }
  throw new WasagiError(
    'ERR_IDGEN_FAILED',
    `No acceptable stable interface identifier for DAD_Counter ${dadCounter}..${last} (RFC 7217 §6)`,
  );
}

/** The RFC 7217 §5 stable IID (8 bytes) for these parameters; see stableIidWithCounter. */
export function stableIid(params: StableIidParams): Iid {
  return stableIidWithCounter(params).iid;
}

/** The stable address: the first 8 bytes of `prefix` followed by stableIid({ prefix, ...params }). */
export function stableAddress(prefix: Ip6, params: Omit<StableIidParams, 'prefix'>): Ip6 {
  const iid = stableIid({ ...params, prefix });
  const a = new Uint8Array(16);
  a.set(prefix.subarray(0, 8), 0);
  a.set(iid, 8);
  return a;
}

/** A fresh secret_key: 256 random bits (RFC 7217 §5: pseudo-random per RFC 4086, at least 128 bits). */
export function generateSecretKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

// --- Temporary addresses (RFC 8981) -------------------------------------------

/** Maximum valid lifetime of a temporary address: 2 days, ms (RFC 8981 §3.8). */
export const TEMP_VALID_LIFETIME: Duration = 2 * 86_400_000;
/** Maximum preferred lifetime of a temporary address: 1 day, ms (RFC 8981 §3.8). */
export const TEMP_PREFERRED_LIFETIME: Duration = 86_400_000;
/** Attempts to form a temporary address after DAD failures (RFC 8981 §3.8). */
export const TEMP_IDGEN_RETRIES = 3;
/**
 * How long before deprecation a successor is made, ms (RFC 8981 §3.8):
 * 2 + TEMP_IDGEN_RETRIES × DupAddrDetectTransmits × RetransTimer / 1000 seconds,
 * here with the defaults DupAddrDetectTransmits = 1 (RFC 4862 §5.1) and
 * RetransTimer = 1000 ms (RFC 4861 §10): 2 + 3 × 1 × 1 = 5 s.
 * See computeRegenAdvance when a Router Advertisement changes RetransTimer.
 */
export const REGEN_ADVANCE: Duration = 5_000;
/** Upper bound of DESYNC_FACTOR: 0.4 × TEMP_PREFERRED_LIFETIME, ms (RFC 8981 §3.8). */
export const MAX_DESYNC_FACTOR: Duration = 0.4 * TEMP_PREFERRED_LIFETIME;

/** REGEN_ADVANCE in ms for the interface's current DAD parameters (RFC 8981 §3.8). */
export function computeRegenAdvance(p: { dupAddrDetectTransmits: number; retransTimer: Duration; tempIdgenRetries?: number }): Duration {
  const retries = p.tempIdgenRetries ?? TEMP_IDGEN_RETRIES;
  for (const [name, v] of [['dupAddrDetectTransmits', p.dupAddrDetectTransmits], ['retransTimer', p.retransTimer], ['tempIdgenRetries', retries]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg(name, 'a finite number ≥ 0', v);
  }
  // The formula is in seconds with RetransTimer in ms; ×1000 keeps ms.
  return 2_000 + retries * p.dupAddrDetectTransmits * p.retransTimer;
}

/**
 * A DESYNC_FACTOR for a new temporary address, ms (RFC 8981 §3.8): random in
 * [0, MAX_DESYNC_FACTOR], computed per address, and kept below
 * TEMP_PREFERRED_LIFETIME − REGEN_ADVANCE (a MUST) so that regeneration is
 * never scheduled before creation. MAX_DESYNC_FACTOR scales with tempPreferred.
 */
export function randomDesyncFactor(
  random: () => number,
  tempPreferred: Duration = TEMP_PREFERRED_LIFETIME,
  regenAdvance: Duration = REGEN_ADVANCE,
): Duration {
  const bound = Math.min(0.4 * tempPreferred, tempPreferred - regenAdvance);
  if (!(bound > 0)) throw invalidArg('tempPreferred', `longer than REGEN_ADVANCE (${regenAdvance} ms)`, tempPreferred);
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw invalidArg('random', 'a function returning numbers in [0, 1)', r);
  // floor(r × bound) < bound whenever r < 1, so the strict bound holds.
  return Math.floor(r * bound);
}

/** A random source: floats in [0, 1) (e.g. a seeded RNG) or bytes (e.g. crypto.randomBytes). */
export type RandomSource = (() => number) | ((n: number) => Uint8Array);

/** Draws before temporaryIid gives up on a source that keeps yielding unacceptable IIDs. */
const MAX_TEMP_IID_DRAWS = 64;

function draw64(random: RandomSource): Iid {
  const first = (random as (n: number) => Uint8Array | number)(8);
  if (first instanceof Uint8Array) {
    if (first.length < 8) throw invalidArg('random', 'a byte source returning at least the 8 bytes asked for', `${first.length} bytes`);
    return new Uint8Array(first.subarray(0, 8));
  }
  const iid = new Uint8Array(8);
  let r: unknown = first;
  for (let i = 0; i < 8; i++) {
    if (i > 0) r = (random as () => number)();
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw invalidArg('random', 'a function returning numbers in [0, 1) or bytes', r);
    iid[i] = Math.floor(r * 256);
  }
  return iid;
}

/**
 * A randomized IID for a temporary address (RFC 8981 §3.3.1): 64 random bits,
 * all of them (no bit is forced, RFC 7136 §5), drawn again while the result is
 * reserved (RFC 5453) or equal to an IID in `exclude` (those already used on
 * the interface). `random` is called with 8 and may return 8 bytes, or
 * ignore the argument and return a float in [0, 1) (then it is called 8 times,
 * one byte each). Defaults to node:crypto (RFC 8981 §3.3.1 wants RFC 4086
 * randomness). Throws ERR_INVALID_ARG if the source misbehaves, including
 * 64 unacceptable draws in a row.
 */
export function temporaryIid(random: RandomSource = (n: number) => new Uint8Array(randomBytes(n)), exclude?: Iterable<Uint8Array>): Iid {
  if (typeof random !== 'function') throw invalidArg('random', 'a function', random);
  const taken = keySet(exclude);
  for (let i = 0; i < MAX_TEMP_IID_DRAWS; i++) {
    const iid = draw64(random);
    if (!isReservedIid(iid) && !taken.has(iidKey(iid))) return iid;
  }
  throw new WasagiError('ERR_INVALID_ARG', `The "random" source gave ${MAX_TEMP_IID_DRAWS} reserved or excluded IIDs in a row; it is not random`);
}

export interface TemporaryLifetimeParams {
  /** The current time. */
  now: Instant;
  /** When the prefix's (public address's) valid lifetime ends; NEVER (Infinity) for infinite. */
  prefixValidUntil: Instant;
  /** When the prefix's preferred lifetime ends; NEVER (Infinity) for infinite. */
  prefixPreferredUntil: Instant;
  /** CREATION_TIME of the temporary address; `now` for a new one (RFC 8981 §3.4.2 for updates). */
  createdAt?: Instant;
  /** This address's DESYNC_FACTOR, ms (RFC 8981 §3.8). */
  desyncFactor: Duration;
  /** TEMP_VALID_LIFETIME in force, ms; defaults to the RFC's 2 days. */
  tempValid?: Duration;
  /** TEMP_PREFERRED_LIFETIME in force, ms; defaults to the RFC's 1 day. */
  tempPreferred?: Duration;
}

/**
 * When a temporary address stops being valid and preferred (RFC 8981 §3.4
 * step 4, and §3.4.2 when a later RA refreshes the prefix):
 *   validUntil     = min(prefix valid end,     CREATION_TIME + TEMP_VALID_LIFETIME)
 *   preferredUntil = min(prefix preferred end, CREATION_TIME + TEMP_PREFERRED_LIFETIME − DESYNC_FACTOR, validUntil)
 * DESYNC_FACTOR shortens only the preferred lifetime. preferredUntil is also
 * capped at validUntil (an address is never preferred but invalid, RFC 4862
 * §5.5.3 c). Bounds already passed come back as `now`: deprecated or expired now.
 */
export function temporaryLifetimes(p: TemporaryLifetimeParams): { validUntil: Instant; preferredUntil: Instant } {
  const { now, prefixValidUntil, prefixPreferredUntil, desyncFactor } = p;
  const createdAt = p.createdAt ?? now;
  const tempValid = p.tempValid ?? TEMP_VALID_LIFETIME;
  const tempPreferred = p.tempPreferred ?? TEMP_PREFERRED_LIFETIME;
  for (const [name, v] of [['now', now], ['createdAt', createdAt], ['tempValid', tempValid], ['tempPreferred', tempPreferred], ['desyncFactor', desyncFactor]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArg(name, 'a finite number (ms)', v);
  }
  for (const [name, v] of [['prefixValidUntil', prefixValidUntil], ['prefixPreferredUntil', prefixPreferredUntil]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw invalidArg(name, 'a time in ms or Infinity', v);
  }
  if (desyncFactor < 0 || desyncFactor >= tempPreferred) throw invalidArg('desyncFactor', 'in [0, tempPreferred) ms (RFC 8981 §3.8)', desyncFactor);
  const validUntil = Math.max(now, Math.min(prefixValidUntil, createdAt + tempValid));
  const preferredUntil = Math.max(now, Math.min(prefixPreferredUntil, createdAt + tempPreferred - desyncFactor, validUntil));
  return { validUntil, preferredUntil };
}

/**
 * RFC 8981 §3.4 step 5: a temporary address is created only if its preferred
 * lifetime exceeds REGEN_ADVANCE (in particular never with a preferred lifetime of 0).
 */
export function mayCreateTemporary(now: Instant, preferredUntil: Instant, regenAdvance: Duration = REGEN_ADVANCE): boolean {
  return preferredUntil - now > regenAdvance;
}

/**
 * When to form the successor of a temporary address: REGEN_ADVANCE before it
 * is deprecated (RFC 8981 §3.5). NEVER (Infinity) stays NEVER.
 */
export function regenerateAt(preferredUntil: Instant, regenAdvance: Duration = REGEN_ADVANCE): Instant {
  return preferredUntil - regenAdvance;
}
