// Loads the hot path and owns its memory (DESIGN.md §3). The memory is created
// here at the size the layout needs and never grows, so the views below and the
// native addon's pointer stay valid. The SIMD build is chosen when the engine
// validates it (STYLE.md 11).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasagiError } from '../errors.js';
import * as L from './layout.generated.js';

export interface HotPath {
  rxBurst(ifindex: number, n: number, now: number): number;
  txBuild(m: number, iovStart: number, now: number): number;
  neighFind(ifindex: number, addrPtr: number): number;
  neighLookupBatch(ifindex: number, addrs: number, n: number): number;
  /** UDP demultiplexing (asm/table/udp.ts): socket entry for [dst]:port, or -1 (0xffffffff as i32). */
  udpLookup(family: number, dst: number, port: number, ifindex: number): number;
  layoutOk(): number;
  simd(): number;
  csumScalar(p: number, len: number): number;
  csumSimd(p: number, len: number): number;
}

function findRoot(): string {
  // dist/src/wasm/instance.js → project root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

const moduleCache = new Map<string, WebAssembly.Module>();

function loadModule(simd: boolean): WebAssembly.Module {
  const file = join(findRoot(), 'dist', 'asm', simd ? 'wasagi.simd.wasm' : 'wasagi.wasm');
  let m = moduleCache.get(file);
  if (!m) {
    const bytes = readFileSync(file);
    if (simd && !WebAssembly.validate(bytes)) throw new Error('SIMD not supported by this engine');
    m = new WebAssembly.Module(bytes);
    moduleCache.set(file, m);
  }
  return m;
}

/** One instance of the hot path with its memory and views. */
export class Engine {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly exports: HotPath;
  readonly simd: boolean;

  /** Entries the WASM neighbor table can hold (a power of two). */
  readonly neighborCapacity: number;

  constructor(opts: { simd?: boolean; neighborCapacity?: number } = {}) {
    const cap = opts.neighborCapacity ?? L.NEIGH_CAPACITY;
    if (!Number.isInteger(cap) || cap < 16 || cap > L.NEIGH_MAX_CAPACITY || (cap & (cap - 1)) !== 0) {
      throw new WasagiError('ERR_INVALID_ARG', `neighborCapacity must be a power of two in 16..${L.NEIGH_MAX_CAPACITY}, got ${opts.neighborCapacity}`);
    }
    this.neighborCapacity = cap;
    const pages = Math.max(L.MEMORY_PAGES, Math.ceil((L.NEIGH_BASE + cap * L.NEIGH_STRIDE) / L.PAGE_SIZE));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    new DataView(this.memory.buffer).setUint32(L.NEIGH_CAP_WORD, cap, true);
    let mod: WebAssembly.Module;
    let simd = opts.simd ?? true;
    try {
      mod = loadModule(simd);
    } catch (e) {
      if (opts.simd === true) throw e;
      simd = false;
      mod = loadModule(false);
    }
    const inst = new WebAssembly.Instance(mod, { env: { memory: this.memory } });
    this.exports = inst.exports as unknown as HotPath;
    this.simd = simd && this.exports.simd() === 1;
    if (this.exports.layoutOk() !== 1) {
      throw new WasagiError('ERR_WASM_LAYOUT', 'the WASM module does not fit the memory map (static data above LAYOUT_BASE?)');
    }
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  counter(c: L.Counter): number {
    return Number(this.dv.getBigUint64(L.COUNTERS_BASE + c * 8, true));
  }

  drops(r: L.DropReason): number {
    return Number(this.dv.getBigUint64(L.DROPS_BASE + r * 8, true));
  }

  /** Adds to a drop counter from the control plane (drops WASM never saw). */
  countDrop(r: L.DropReason, n = 1): void {
    const off = L.DROPS_BASE + r * 8;
    this.dv.setBigUint64(off, this.dv.getBigUint64(off, true) + BigInt(n), true);
  }

  rxSlot(i: number): number {
    return L.RX_SLOT_BASE + i * L.SLOT_SIZE;
  }

  rxDesc(i: number): number {
    return L.RX_DESC_BASE + i * L.DESC_STRIDE;
  }

  txSlot(i: number): number {
    return L.TX_SLOT_BASE + i * L.SLOT_SIZE;
  }

  txDesc(i: number): number {
    return L.TX_DESC_BASE + i * L.DESC_STRIDE;
  }
}
