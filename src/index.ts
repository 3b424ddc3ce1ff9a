// wasagi — a userspace IPv6 host stack for Node.js. Public API.

export { Stack, createStack, type StackOptions, type InterfaceOptions } from './stack/stack.js';
export type { StackEvent } from './stack/events.js';
export { Pinger, type PingOptions, type PingReply, type PingSummary, type PingError } from './stack/ping.js';
export type { Interface, AddressRecord } from './stack/interface.js';
export { createMemoryLink, MemoryLink, MemoryPort, type MemoryLinkOptions } from './device/memory.js';
export { openTap, TapDevice, type TapOptions } from './device/tap.js';
export type { Device, DeviceKind } from './device/device.js';
export { withPcap, PcapDevice } from './device/pcap.js';
export { SystemClock, ManualClock, seededRandom, type Clock } from './time/clock.js';
export type { Instant, Duration } from './time/instant.js';
export { WasagiError, type ErrorCode } from './errors.js';
export { parseIp6, parseIp6Zoned, formatIp6, parseMac, formatMac } from './wire/address.js';
export { showAddr, showNeigh, showRoute } from './stack/show.js';
