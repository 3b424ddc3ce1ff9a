// A pcap-writing wrapper around any device: every frame received and sent is
// appended to a classic libpcap file (tcpdump/tshark/Wireshark read it).
// Format: the libpcap file format (tcpdump.org "pcap-savefile"): a 24-byte
// global header, then per packet a 16-byte record header and the bytes.
// Link type 1 (Ethernet) for TAP and memory links, 101 (LINKTYPE_RAW: each
// packet starts with an IPv4 or IPv6 header) for TUN, which carries both.

import { closeSync, openSync, writeSync } from 'node:fs';
import * as L from '../wasm/layout.generated.js';
import type { Engine } from '../wasm/instance.js';
import type { Device } from './device.js';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const SNAPLEN = 65535;

export class PcapDevice implements Device {
  private fd: number;
  private buf = Buffer.alloc(256 * 1024);
  private used = 0;
  /** Frames written to the file. */
  captured = 0;

  constructor(
    readonly inner: Device,
    readonly path: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(SNAPLEN, 16);
    h.writeUInt32LE(inner.ethernet ? LINKTYPE_ETHERNET : LINKTYPE_RAW, 20);
    writeSync(this.fd, h);
  }

  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  get ethernet() {
    return this.inner.ethernet;
  }
  get mtu() {
    return this.inner.mtu;
  }

  attach(engine: Engine, onFrames: (n: number) => void): void {
    this.inner.attach(engine, (n) => {
      for (let i = 0; i < n; i++) {
        const off = engine.rxSlot(i);
        this.record(engine.u8, off, Math.min(engine.dv.getUint32(engine.rxDesc(i) + L.DESC_LEN, true), L.SLOT_SIZE));
      }
      onFrames(n);
    });
  }

  write(engine: Engine, n: number): number {
    const w = this.inner.write(engine, n);
    for (let i = 0; i < w; i++) {
      this.record(engine.u8, engine.dv.getUint32(L.IOV_BASE + i * 8, true), engine.dv.getUint32(L.IOV_BASE + i * 8 + 4, true));
    }
    return w;
  }

  private record(u8: Uint8Array, off: number, len: number): void {
    if (this.fd < 0) return;
    const cap = Math.min(len, SNAPLEN);
    if (this.used + 16 + cap > this.buf.length) this.flush();
    const t = this.now();
    const sec = Math.floor(t / 1000);
    this.buf.writeUInt32LE(sec >>> 0, this.used);
    this.buf.writeUInt32LE(Math.floor((t - sec * 1000) * 1000) >>> 0, this.used + 4);
    this.buf.writeUInt32LE(cap, this.used + 8);
    this.buf.writeUInt32LE(len, this.used + 12);
    this.buf.set(u8.subarray(off, off + cap), this.used + 16);
    this.used += 16 + cap;
    this.captured++;
  }

  /** Writes buffered records to the file. */
  flush(): void {
    if (this.fd < 0 || this.used === 0) return;
    writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.inner.close();
  }
}

/** Wraps `device` so its traffic is also written to the pcap file at `path`. */
export function withPcap(device: Device, path: string): PcapDevice {
  return new PcapDevice(device, path);
}
