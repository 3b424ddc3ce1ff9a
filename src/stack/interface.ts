// An interface: a device, our link-layer address, and our addresses on it.

import type { Device } from '../device/device.js';
import type { ManagedAddress } from '../addrconf/addresses.js';
import type { Ip6 } from '../wire/address.js';

/** An address of an interface, as address configuration keeps it (src/addrconf/addresses.ts). */
export type AddressRecord = ManagedAddress;

/** Usable as a source or to receive: not under plain DAD, not failed (RFC 4862 §5.4; RFC 4429 optimistic is usable). */
export function isUsable(a: ManagedAddress): boolean {
  return a.state === 'preferred' || a.state === 'deprecated' || a.state === 'optimistic';
}

export class Interface {
  /** This interface's addresses (kept by the stack's AddressConfig), including DAD-failed ones. */
  addresses: ManagedAddress[] = [];
  /** How this interface forms interface identifiers (RFC 7217 stable-privacy, or modified EUI-64). */
  iid: 'stable' | 'eui64' = 'stable';
  /** Form addresses from Prefix Information with the A flag (RFC 4862 §5.5.3). */
  slaac = true;
  /** DupAddrDetectTransmits (RFC 4862 §5.1) and Optimistic DAD (RFC 4429). */
  dadTransmits = 1;
  optimisticDad = false;
  /** RFC 8981 temporary addresses (off by default, like Linux). */
  tempAddresses = false;
  hopLimit = 64; // RFC 8200 §3 recommends the IANA default (64)
  up = true;
  /** Link MTU learned from an RA's MTU option (RFC 4861 §6.3.4), never above the device's. */
  raMtu?: number;
  /** Process Router Advertisements and send Router Solicitations. */
  acceptRa = true;
  /** The default router the fast path uses (RFC 4861 §6.3.6), if any. */
  defaultRouter?: Ip6;
  constructor(
    readonly ifindex: number,
    readonly name: string,
    readonly device: Device,
    /** Our link-layer address (Ethernet devices); undefined on TUN. */
    readonly mac: Uint8Array | undefined,
  ) {}

  get mtu(): number {
    return this.raMtu !== undefined ? Math.min(this.raMtu, this.device.mtu) : this.device.mtu;
  }
}
