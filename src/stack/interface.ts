// An interface: a device, our link-layer address, and our addresses on it.

import type { Device } from '../device/device.js';
import type { Ip6 } from '../wire/address.js';

export interface AddressRecord {
  addr: Ip6;
  prefixLen: number;
  origin: 'link-local' | 'static';
  tentative: boolean;
  deprecated: boolean;
  anycast: boolean;
}

export class Interface {
  readonly addresses: AddressRecord[] = [];
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
