// Address configuration interop with the Linux kernel and radvd (needs root).
//
// As in kernel-tap.test.ts and nd-kernel.test.ts, wasagi runs in this process
// on a TAP whose kernel side lives in a fresh network namespace. Here the TAP
// is opened first, moved into the namespace and configured, and only then
// given to the stack (`device:`), so that everything wasagi sends — its first
// DAD probe and MLD report included — goes onto a live link, and so that the
// kernel can hold an address before wasagi starts DAD for it. Every frame is
// also written to a pcap file and dissected with tshark.
//
//   1. radvd with two prefixes, one with short lifetimes (RFC 4862 §5.5.3,
//      §5.5.4): SLAAC with RFC 7217 stable-privacy identifiers, then radvd is
//      killed and the short-lived address is deprecated at its preferred
//      lifetime and removed at its valid lifetime, measured from the last RA
//      on the wire. The same secret and interface name give the same
//      addresses again (RFC 7217 §5). wasagi's MLDv2 reports (RFC 3810 §5.2,
//      §6.1) as tshark reads them.
//   2. The kernel already holds the address: wasagi's DAD fails (RFC 4862
//      §5.4.4, §5.4.5), for a static address and for an EUI-64 link-local one
//      (which disables the interface).
//   3. The kernel runs DAD for an address wasagi owns: wasagi defends it with
//      an NA to all-nodes (RFC 4861 §7.2.4, RFC 4862 §5.4.3) and the kernel's
//      address ends up dadfailed.
//
// Namespaces, radvd, TAPs and temporary files are removed in `after`, even on
// failure (and by bench/netns.ts's exit handlers if the process dies).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from '../../src/stack/stack.js';
import type { StackEvent } from '../../src/stack/events.js';
import type { PcapDevice } from '../../src/device/pcap.js';
import { MemoryLink } from '../../src/device/memory.js';
import { openTap, type TapDevice } from '../../src/device/tap.js';
import { showAddr, type AddrInfo } from '../../src/stack/show.js';
import { formatIp6, parseIp6, prefixMatch, solicitedNode } from '../../src/wire/address.js';
import type { ManagedAddress } from '../../src/addrconf/addresses.js';
import { createNamespace, deleteNamespace, delay, ip, makeTempDir, nsName, run, runInNs, spawnInNs, type ProcHandle } from '../../bench/netns.js';
import { interopSkipReason, kernelMac, sysctl, until } from '../support/interop.js';

const skip = interopSkipReason([['ip', 'iproute2'], ['tshark', 'tshark'], ['radvd', 'radvd']]);

// --- helpers ------------------------------------------------------------------------

interface KernelAddr {
  local: string;
  prefixlen: number;
  scope: string;
  tentative?: boolean;
  dadfailed?: boolean;
}

async function kernelAddrs(ns: string, dev: string): Promise<KernelAddr[]> {
  const j = JSON.parse(await ip(['-j', '-6', 'addr', 'show', 'dev', dev], ns)) as Array<{ addr_info?: KernelAddr[] }>;
  return j.flatMap((l) => l.addr_info ?? []);
}

/** The kernel's link-local address on `dev`, once it is no longer tentative. */
async function kernelLinkLocal(ns: string, dev: string, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last: KernelAddr[] = [];
  while (Date.now() < end) {
    last = await kernelAddrs(ns, dev);
    const ll = last.find((a) => a.scope === 'link' && !a.tentative);
    if (ll) return ll.local;
    await delay(50);
  }
  throw new Error(`no usable link-local address on ${dev} in ${ns}: ${JSON.stringify(last)}`);
}

/**
 * Opens a TAP in this process's namespace, moves it into `ns` and brings the
 * kernel side up. The fd stays ours; the stack gets the device later.
 */
async function tapInNamespace(ns: string, name: string, sysctls: string[] = []): Promise<TapDevice> {
  const dev = openTap({ name, mtu: 1500 });
  try {
    await ip(['link', 'set', name, 'netns', ns]);
    for (const s of sysctls) await sysctl(ns, s.replace('TAP', name));
    await ip(['link', 'set', name, 'up'], ns);
    return dev;
  } catch (e) {
    dev.close();
    throw e;
  }
}

/** One frame as tshark dissects it: every occurrence of every field asked for. */
interface Dissected {
  /** Capture time, ms since the epoch (wasagi stamps each frame as it writes or reads it). */
  t: number;
  f: Record<string, string[]>;
}

/** Flushes wasagi's pcap writer and dissects the frames matching `filter` with tshark. */
async function dissect(stack: Stack, ifname: string, file: string, filter: string, fields: string[]): Promise<Dissected[]> {
  (stack.interface(ifname).device as unknown as PcapDevice).flush();
  const all = ['frame.time_epoch', ...fields];
  const r = await run(['tshark', '-n', '-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...all.flatMap((f) => ['-e', f])], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, `tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const cols = l.split('\t');
      const f: Record<string, string[]> = {};
      all.forEach((name, i) => (f[name] = cols[i] ? cols[i].split(',') : []));
      return { t: Number(cols[0]) * 1000, f };
    });
}

const one = (d: Dissected, field: string): string => d.f[field]?.[0] ?? '';

function describeFrames(ds: Dissected[], t0: number, fields: string[]): string {
  return ds.map((d) => `  +${(d.t - t0).toFixed(0)}ms ${fields.map((k) => `${k.replace(/^.*\./, '')}=${d.f[k]?.join(',') ?? ''}`).join(' ')}`).join('\n');
}

/** The raw bytes of every frame in a classic (microsecond) libpcap file. */
function pcapFrames(file: string): Array<{ t: number; data: Uint8Array }> {
  const b = readFileSync(file);
  const out: Array<{ t: number; data: Uint8Array }> = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const sec = b.readUInt32LE(o);
    const usec = b.readUInt32LE(o + 4);
    const incl = b.readUInt32LE(o + 8);
    if (o + 16 + incl > b.length) break;
    out.push({ t: sec * 1000 + usec / 1000, data: new Uint8Array(b.subarray(o + 16, o + 16 + incl)) });
    o += 16 + incl;
  }
  return out;
}

/** Drop counters that moved between two snapshots. */
function movedDrops(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== before[k]).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

type Timed = { t: number; e: StackEvent };

function describeEvents(events: Timed[], t0: number): string {
  return events
    .filter((x) => x.e.type.startsWith('Address') || x.e.type === 'InterfaceDisabled' || x.e.type === 'RouterAdded' || x.e.type === 'RouterRemoved')
    .map((x) => `  +${x.t - t0}ms ${JSON.stringify(x.e)}`)
    .join('\n');
}

const addrInfo = (stack: Stack, ifname: string, addr: string): AddrInfo | undefined =>
  showAddr(stack)
    .find((l) => l.ifname === ifname)
    ?.addr_info.find((a) => a.local === addr);

const MLD_FIELDS = [
  'eth.src',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'ipv6.nxt',
  'ipv6.hopopts.nxt',
  'ipv6.opt.type',
  'ipv6.opt.router_alert',
  'icmpv6.type',
  'icmpv6.checksum.status',
  'icmpv6.mldr.nb_mcast_records',
  'icmpv6.mldr.mar.record_type',
  'icmpv6.mldr.mar.nb_sources',
  'icmpv6.mldr.mar.multicast_address',
  '_ws.malformed',
  '_ws.expert.severity',
];

const ND_FIELDS = [
  'eth.src',
  'eth.dst',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'icmpv6.type',
  'icmpv6.checksum.status',
  'icmpv6.nd.ns.target_address',
  'icmpv6.nd.na.target_address',
  'icmpv6.nd.na.flag.r',
  'icmpv6.nd.na.flag.s',
  'icmpv6.nd.na.flag.o',
  'icmpv6.opt.type',
  'icmpv6.opt.linkaddr',
];

/** tshark prints booleans in fields as 1/0 (older versions: True/False). */
const flag = (v: string): boolean => v === '1' || v.toLowerCase() === 'true';

// --- 1. radvd: SLAAC, lifetimes, stable-privacy, MLD --------------------------------

describe('SLAAC from radvd with two prefixes; lifetimes run out after radvd dies (RFC 4862 §5.5)', { skip, timeout: 50_000 }, () => {
  const ns = nsName('adra');
  const tap = `wsa1${process.pid % 10000}`;
  const MAC = '02:00:5e:00:04:02';
  const SECRET = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
  const P51 = parseIp6('2001:db8:51::');
  const P52 = parseIp6('2001:db8:52::');
  const tmp = makeTempDir();
  const pcap = join(tmp.dir, 'radvd.pcap');
  const conf = join(tmp.dir, 'radvd.conf');
  let stack: Stack | undefined;
  let dev: TapDevice | undefined;
  let radvd: ProcHandle | undefined;
  let kmac = '';
  let kll = '';
  let tStart = 0;
  const events: Timed[] = [];
  /** Set by the tests below: when radvd was killed, the last RA on the wire, the addresses formed. */
  let tKill = 0;
  let tLastRa = 0;
  let addr51 = '';
  let addr52 = '';
  let ll = '';

  const slaacOf = (s: Stack, prefix: Uint8Array): ManagedAddress | undefined =>
    s.interface(tap).addresses.find((a) => a.origin === 'slaac' && prefixMatch(a.addr, prefix, 64));

  before(async () => {
    await createNamespace(ns);
    await sysctl(ns, 'net.ipv6.conf.all.forwarding=1'); // the kernel side is the router
    // accept_dad=0: the kernel's link-local is usable at once (radvd needs one).
    dev = await tapInNamespace(ns, tap, ['net.ipv6.conf.TAP.accept_dad=0']);
    kmac = await kernelMac(ns, tap);
    kll = await kernelLinkLocal(ns, tap);
    stack = new Stack({ stableSecret: SECRET });
    stack.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    tStart = Date.now();
    // The defaults under test: iid 'stable', slaac, acceptRa, dadTransmits 1.
    stack.addInterface({ device: dev, mac: MAC, pcap });
    dev = undefined; // the stack owns it now (closes it in close())
    writeFileSync(
      conf,
      `interface ${tap} {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix 2001:db8:51::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 12;
    AdvPreferredLifetime 6;
  };
  prefix 2001:db8:52::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 3600;
    AdvPreferredLifetime 1800;
  };
};
`,
      { mode: 0o644 },
    );
    radvd = spawnInNs(ns, ['radvd', '-n', '-C', conf, '-p', join(tmp.dir, 'radvd.pid'), '-m', 'stderr', '-d', '1']);
    const got = await until(() => events.some((x) => x.e.type === 'RouterAdded') || radvd!.exitStatus() !== null, 10_000);
    assert.ok(got && radvd.exitStatus() === null, `no RA from radvd within 10 s (radvd ${JSON.stringify(radvd.exitStatus())}): ${radvd.stderr()}`);
  });

  after(async () => {
    if (radvd) await radvd.stop('SIGKILL', 3000);
    dev?.close();
    stack?.close();
    await deleteNamespace(ns);
    tmp.release();
  });

  it('forms one stable-privacy address per prefix, DAD first (RFC 4862 §5.5.3, RFC 7217)', async (t) => {
    const s = stack!;
    const ok = await until(() => slaacOf(s, P51)?.state === 'preferred' && slaacOf(s, P52)?.state === 'preferred', 10_000);
    const ctx = `events:\n${describeEvents(events, tStart)}\naddresses: ${JSON.stringify(showAddr(s)[0]?.addr_info)}`;
    assert.ok(ok, `both SLAAC addresses preferred within 10 s\n${ctx}`);
    const a51 = slaacOf(s, P51)!;
    const a52 = slaacOf(s, P52)!;
    addr51 = formatIp6(a51.addr);
    addr52 = formatIp6(a52.addr);
    const lla = s.interface(tap).addresses.find((a) => a.origin === 'link-local');
    assert.ok(lla, ctx);
    ll = formatIp6(lla.addr);
    t.diagnostic(`link-local ${ll}, ${addr51}, ${addr52}`);
    assert.equal(s.interface(tap).addresses.filter((a) => a.origin === 'slaac').length, 2, `one address per prefix\n${ctx}`);
    // Not the modified EUI-64 of the MAC (fe80::5eff:fe00:402's identifier): RFC 7217 is the default.
    for (const a of [a51, a52, lla]) assert.notDeepEqual(Array.from(a.addr.subarray(8)), [0x00, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x04, 0x02], `EUI-64 identifier\n${ctx}`);
    // Each went through DAD: added tentative, then preferred (RFC 4862 §5.4).
    for (const a of [addr51, addr52]) {
      const mine = events.filter((x) => 'address' in x.e && x.e.address === a).map((x) => `${x.e.type}:${'state' in x.e ? x.e.state : ''}`);
      assert.deepEqual(mine, ['AddressAdded:tentative', 'AddressStateChanged:preferred'], `${a}\n${ctx}`);
    }
    // Lifetimes as advertised (RFC 4862 §5.5.3 d), in `ip -j -6 addr` shape.
    const i51 = addrInfo(s, tap, addr51);
    const i52 = addrInfo(s, tap, addr52);
    assert.ok(i51 && i52, ctx);
    assert.equal(i51.dynamic, true);
    assert.equal(i51.deprecated, undefined);
    assert.ok(i51.valid_life_time <= 12 && i51.valid_life_time >= 7, `valid_life_time ${i51.valid_life_time} of ${addr51}`);
    assert.ok(i51.preferred_life_time <= 6 && i51.preferred_life_time >= 1, `preferred_life_time ${i51.preferred_life_time} of ${addr51}`);
    assert.ok(i52.valid_life_time <= 3600 && i52.valid_life_time >= 3590, `valid_life_time ${i52.valid_life_time} of ${addr52}`);
    assert.ok(i52.preferred_life_time <= 1800 && i52.preferred_life_time >= 1790, `preferred_life_time ${i52.preferred_life_time} of ${addr52}`);
    // wasagi's DAD probes for them are on the wire: NS from ::, to the solicited-node group.
    const probes = (await dissect(s, tap, pcap, 'icmpv6.type == 135', ND_FIELDS)).filter((d) => one(d, 'eth.src') === MAC && one(d, 'ipv6.src') === '::');
    for (const a of [a51, a52, lla]) {
      const p = probes.find((d) => one(d, 'icmpv6.nd.ns.target_address') === formatIp6(a.addr));
      assert.ok(p, `no DAD probe for ${formatIp6(a.addr)}\n${describeFrames(probes, tStart, ND_FIELDS)}`);
      assert.equal(one(p, 'ipv6.dst'), formatIp6(solicitedNode(a.addr)));
      assert.equal(one(p, 'ipv6.hlim'), '255');
      assert.ok(!p.f['icmpv6.opt.type'].map(Number).includes(1), 'no SLLAO from :: (RFC 4861 §7.2.2)');
    }
  });

  it('after radvd dies, 2001:db8:51:: is deprecated at +6 s and removed at +12 s from the last RA; 2001:db8:52:: stays', async (t) => {
    const s = stack!;
    assert.ok(addr51 && addr52, 'the SLAAC addresses were not formed');
    // At least two RAs first, so the deadline can only be met if the second
    // one refreshed the lifetimes the first one set (RFC 4862 §5.5.3 e).
    const twoRas = await until(() => s.counters().mib.Icmp6InRouterAdvertisements >= 2, 8000);
    assert.ok(twoRas, `radvd sent ${s.counters().mib.Icmp6InRouterAdvertisements} RA(s) in 8 s (MaxRtrAdvInterval 4)`);
    // SIGKILL: no final RA. radvd re-announces the same lifetimes in every RA
    // (DecrementLifetimes off), so the last RA on the wire starts both clocks.
    await radvd!.stop('SIGKILL', 3000);
    tKill = Date.now();
    await delay(300);
    const ras = (await dissect(s, tap, pcap, 'icmpv6.type == 134', ['eth.src', 'ipv6.src', 'ipv6.dst'])).filter((d) => one(d, 'eth.src') === kmac);
    assert.ok(ras.length >= 2, `${ras.length} RA(s) in the capture`);
    tLastRa = ras[ras.length - 1].t;
    const ctx = (): string =>
      `RAs at ${ras.map((d) => `+${(d.t - tStart).toFixed(0)}`).join(', ')} ms; radvd killed at +${tKill - tStart} ms\nevents (t0 = addInterface):\n${describeEvents(events, tStart)}`;
    assert.ok(tLastRa <= tKill + 50, `an RA after radvd was killed\n${ctx()}`);

    const ev = (type: string, addr: string, state?: string): Timed | undefined =>
      events.find((x) => x.e.type === type && 'address' in x.e && x.e.address === addr && (state === undefined || ('state' in x.e && x.e.state === state)));

    // Deprecation: preferred lifetime 6 s after the last RA (+ the 0.5 s coalescing bin, + slack).
    const deprecated = await until(() => ev('AddressStateChanged', addr51, 'deprecated') !== undefined, Math.max(0, tLastRa + 6000 + 1500 - Date.now()));
    assert.ok(deprecated, `${addr51} not deprecated by +7.5 s after the last RA\n${ctx()}`);
    const tDep = ev('AddressStateChanged', addr51, 'deprecated')!.t - tLastRa;
    // Between deprecation and removal: `ip -j -6 addr` shape says deprecated, preferred_life_time 0.
    await delay(1000);
    const mid51 = addrInfo(s, tap, addr51);
    const mid52 = addrInfo(s, tap, addr52);
    const state51mid = slaacOf(s, P51)?.state;

    const removed = await until(() => ev('AddressRemoved', addr51) !== undefined, Math.max(0, tLastRa + 12000 + 1500 - Date.now()));
    assert.ok(removed, `${addr51} not removed by +13.5 s after the last RA\n${ctx()}`);
    const tRem = ev('AddressRemoved', addr51)!.t - tLastRa;
    t.diagnostic(`last RA at +${(tLastRa - tStart).toFixed(0)} ms; deprecated +${tDep.toFixed(0)} ms after it (preferred lifetime 6000); removed +${tRem.toFixed(0)} ms (valid lifetime 12000); lifetime wake-ups ${s.addrconf.lifetimeWakeups}`);

    assert.ok(tDep >= 6000 - 30 && tDep <= 6000 + 500 + 100, `deprecated ${tDep.toFixed(0)} ms after the last RA, not 6000..6600\n${ctx()}`);
    assert.ok(tRem >= 12000 - 30 && tRem <= 12000 + 500 + 100, `removed ${tRem.toFixed(0)} ms after the last RA, not 12000..12600\n${ctx()}`);
    assert.equal(state51mid, 'deprecated');
    assert.ok(mid51, `${addr51} missing from showAddr while deprecated`);
    assert.equal(mid51.deprecated, true, JSON.stringify(mid51));
    assert.equal(mid51.preferred_life_time, 0, JSON.stringify(mid51));
    assert.ok(mid51.valid_life_time >= 3 && mid51.valid_life_time <= 5, `valid_life_time ${mid51.valid_life_time} while deprecated (12 s − ~7 s)`);
    assert.ok(mid52 && mid52.deprecated === undefined && mid52.preferred_life_time > 1700, JSON.stringify(mid52));

    // After removal: gone from the list and from showAddr; 2001:db8:52:: untouched.
    assert.equal(slaacOf(s, P51), undefined);
    assert.equal(addrInfo(s, tap, addr51), undefined);
    assert.equal(slaacOf(s, P52)?.state, 'preferred');
    const i52 = addrInfo(s, tap, addr52);
    assert.ok(i52 && i52.deprecated === undefined && i52.valid_life_time > 3500, JSON.stringify(i52));
    const only52 = events.filter((x) => 'address' in x.e && x.e.address === addr52).map((x) => `${x.e.type}:${'state' in x.e ? x.e.state : ''}`);
    assert.deepEqual(only52, ['AddressAdded:tentative', 'AddressStateChanged:preferred'], `${addr52} changed\n${ctx()}`);
    const all51 = events.filter((x) => 'address' in x.e && x.e.address === addr51).map((x) => `${x.e.type}:${'state' in x.e ? x.e.state : ''}`);
    assert.deepEqual(all51, ['AddressAdded:tentative', 'AddressStateChanged:preferred', 'AddressStateChanged:deprecated', 'AddressRemoved:'], ctx());
    // The link-local address is untouched.
    assert.equal(s.interface(tap).addresses.find((a) => a.origin === 'link-local')?.state, 'preferred');
  });

  it('the same stableSecret and interface name form the same addresses again (RFC 7217 §5)', async () => {
    assert.ok(addr52 && ll, 'the SLAAC addresses were not formed');
    // A second stack on an in-process link with the same interface name gets
    // one of radvd's RAs from the capture, byte for byte.
    const ras = pcapFrames(pcap).filter(
      (f) => f.data.length > 54 && f.data[12] === 0x86 && f.data[13] === 0xdd && f.data[20] === 58 && f.data[54] === 134 && f.data[0] === 0x33,
    );
    assert.ok(ras.length >= 1, 'no multicast RA in the capture');
    const ra = ras[ras.length - 1].data;
    const replay = async (secret: Uint8Array): Promise<{ ll?: string; a51?: string; a52?: string }> => {
      const link = new MemoryLink();
      const s2 = new Stack({ stableSecret: secret });
      try {
        s2.addInterface({ link, name: tap, mac: MAC });
        link.inject(link.port('radvd'), ra);
        await until(() => slaacOf(s2, P51) !== undefined && slaacOf(s2, P52) !== undefined, 3000);
        const f = (a?: ManagedAddress): string | undefined => a && formatIp6(a.addr);
        return { ll: f(s2.interface(tap).addresses.find((a) => a.origin === 'link-local')), a51: f(slaacOf(s2, P51)), a52: f(slaacOf(s2, P52)) };
      } finally {
        s2.close();
      }
    };
    const same = await replay(SECRET);
    assert.deepEqual(same, { ll, a51: addr51, a52: addr52 }, 'same secret, same name, same prefixes');
    const other = await replay(Uint8Array.from(SECRET, (b) => b ^ 0x5a));
    assert.ok(other.a51 && other.a52 && other.ll, JSON.stringify(other));
    for (const [k, v] of Object.entries(other)) assert.ok(![ll, addr51, addr52].includes(v!), `${k} ${v} is the same with another secret`);
  });

  it("wasagi's MLDv2 reports are well formed: ff02::16, hop limit 1, Router Alert, CHANGE_TO_EXCLUDE per solicited-node group (RFC 3810 §5.2, §6.1)", async (t) => {
    const s = stack!;
    assert.ok(addr51 && addr52 && ll, 'the SLAAC addresses were not formed');
    await delay(1100); // the last leave's retransmission (within [Unsolicited Report Interval])
    const reports = (await dissect(s, tap, pcap, 'icmpv6.type == 143', MLD_FIELDS)).filter((d) => one(d, 'eth.src') === MAC);
    const ctx = describeFrames(reports, tStart, MLD_FIELDS.slice(1));
    t.diagnostic(`${reports.length} MLDv2 reports from wasagi`);
    assert.ok(reports.length >= 1, 'no MLDv2 report from wasagi');
    for (const d of reports) {
      assert.equal(one(d, 'ipv6.dst'), 'ff02::16', `to all MLDv2-capable routers (§5.2.14)\n${ctx}`);
      assert.equal(one(d, 'ipv6.hlim'), '1', `hop limit 1 (§5)\n${ctx}`);
      assert.ok(one(d, 'ipv6.src') === ll || one(d, 'ipv6.src') === '::', `source ${one(d, 'ipv6.src')}: link-local, or :: before it is usable (§5.2.13)\n${ctx}`);
      assert.equal(one(d, 'ipv6.nxt'), '0', `a Hop-by-Hop Options header (§5)\n${ctx}`);
      assert.equal(one(d, 'ipv6.hopopts.nxt'), '58', `ICMPv6 after the Hop-by-Hop header\n${ctx}`);
      assert.ok(d.f['ipv6.opt.type'].map(Number).includes(5), `a Router Alert option (RFC 2711)\n${ctx}`);
      assert.deepEqual(d.f['ipv6.opt.router_alert'].map(Number), [0], `Router Alert value 0: MLD (RFC 2711 §2.1)\n${ctx}`);
      assert.equal(one(d, 'icmpv6.checksum.status'), '1', `checksum good (tshark status 1)\n${ctx}`);
      assert.deepEqual(d.f['_ws.malformed'], [], `tshark: malformed\n${ctx}`);
      const n = Number(one(d, 'icmpv6.mldr.nb_mcast_records'));
      assert.ok(n >= 1, ctx);
      assert.equal(d.f['icmpv6.mldr.mar.record_type'].length, n, `record count matches the records\n${ctx}`);
      assert.equal(d.f['icmpv6.mldr.mar.multicast_address'].length, n, ctx);
      assert.ok(d.f['icmpv6.mldr.mar.nb_sources'].every((x) => x === '0'), `any-source: no sources\n${ctx}`);
    }
    const records = reports.flatMap((d) => d.f['icmpv6.mldr.mar.record_type'].map((type, i) => ({ t: d.t, type, group: d.f['icmpv6.mldr.mar.multicast_address'][i] })));
    for (const a of [ll, addr51, addr52]) {
      const group = formatIp6(solicitedNode(parseIp6(a)));
      const joins = records.filter((r) => r.group === group && r.type === '4');
      // §6.1: the State Change Report, then [Robustness Variable] − 1 = 1 retransmission.
      assert.ok(joins.length >= 2, `${joins.length} CHANGE_TO_EXCLUDE records for ${group} (${a}); want the report and its retransmission\n${ctx}`);
    }
    assert.ok(!records.some((r) => r.group === 'ff02::1'), 'ff02::1 is never reported (§6)');
    // The removed address's group is left: CHANGE_TO_INCLUDE {} (record type 3), after the removal.
    const g51 = formatIp6(solicitedNode(parseIp6(addr51)));
    const shared = [ll, addr52].some((a) => formatIp6(solicitedNode(parseIp6(a))) === g51);
    if (!shared) {
      const tRem = events.find((x) => x.e.type === 'AddressRemoved' && x.e.address === addr51)?.t;
      assert.ok(tRem, 'the lifetime test did not see the removal');
      const leaves = records.filter((r) => r.group === g51 && r.type === '3');
      assert.ok(leaves.length >= 1 && leaves.every((r) => r.t >= tRem - 5), `CHANGE_TO_INCLUDE for ${g51} after ${addr51} went\n${ctx}`);
    }
  });
});

// --- 2. the kernel holds the address: wasagi's DAD fails -------------------------------

describe("the kernel already holds the address: wasagi's DAD fails (RFC 4862 §5.4.4, §5.4.5)", { skip, timeout: 40_000 }, () => {
  const ns = nsName('addad');
  const tapA = `wsa2${process.pid % 10000}`;
  const tapB = `wsa3${process.pid % 10000}`;
  const MAC_A = '02:00:5e:00:05:02';
  const MAC_B = '02:00:5e:00:06:02';
  const LL_B = 'fe80::5eff:fe00:602'; // modified EUI-64 of 02:00:5e:00:06:02 (RFC 4291 App. A)
  const ADDR = '2001:db8:53::5';
  const tmp = makeTempDir();
  const pcapA = join(tmp.dir, 'static.pcap');
  const pcapB = join(tmp.dir, 'eui64.pcap');
  const stacks: Stack[] = [];
  const devs: TapDevice[] = [];

  before(async () => {
    await createNamespace(ns);
  });

  after(async () => {
    for (const d of devs) d.close();
    for (const s of stacks) s.close();
    await deleteNamespace(ns);
    tmp.release();
  });

  it('a static address the kernel holds (nodad) becomes dadfailed; the kernel keeps it', async (t) => {
    const dev = await tapInNamespace(ns, tapA);
    devs.push(dev);
    await ip(['addr', 'add', `${ADDR}/64`, 'dev', tapA, 'nodad'], ns);
    const kmac = await kernelMac(ns, tapA);
    const s = new Stack();
    stacks.push(s);
    const events: Timed[] = [];
    s.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    s.addInterface({ device: dev, mac: MAC_A, pcap: pcapA, acceptRa: false, iid: 'eui64', dadTransmits: 1 });
    devs.pop(); // the stack owns it now
    assert.ok(await s.addressesSettled(), 'link-local DAD finished');
    const drops0 = s.counters().drops;
    const t0 = Date.now();
    s.addAddress(tapA, `${ADDR}/64`);
    const failed = () => events.find((x) => x.e.type === 'AddressStateChanged' && x.e.address === ADDR && x.e.state === 'dadfailed');
    await until(() => failed() !== undefined, 3000);
    await delay(1200); // past RetransTimer: DAD must not complete anyway
    const drops1 = s.counters().drops;
    const nd = await dissect(s, tapA, pcapA, 'icmpv6.type == 135 || icmpv6.type == 136', ND_FIELDS);
    const since = nd.filter((d) => d.t >= t0 - 5);
    const ctx = `events:\n${describeEvents(events, t0)}\ndrops moved: ${JSON.stringify(movedDrops(drops0, drops1))}\nND frames since addAddress:\n${describeFrames(since, t0, ND_FIELDS)}`;
    t.diagnostic(`dadfailed ${failed() ? `+${failed()!.t - t0} ms` : 'never'} after addAddress; drops moved ${JSON.stringify(movedDrops(drops0, drops1))}`);

    // On the wire: wasagi's probe, the kernel's defence (NA to all-nodes, RFC 4861 §7.2.4).
    const probe = since.find((d) => one(d, 'eth.src') === MAC_A && one(d, 'icmpv6.type') === '135' && one(d, 'icmpv6.nd.ns.target_address') === ADDR);
    assert.ok(probe, `no DAD probe from wasagi\n${ctx}`);
    assert.deepEqual([one(probe, 'ipv6.src'), one(probe, 'ipv6.dst'), one(probe, 'ipv6.hlim')], ['::', 'ff02::1:ff00:5', '255'], ctx);
    assert.ok(probe.f['icmpv6.opt.type'].map(Number).includes(14), `a Nonce option (RFC 7527)\n${ctx}`);
    const defence = since.find((d) => one(d, 'eth.src') === kmac && one(d, 'icmpv6.type') === '136' && one(d, 'icmpv6.nd.na.target_address') === ADDR);
    assert.ok(defence, `the kernel did not answer the probe\n${ctx}`);
    assert.equal(one(defence, 'ipv6.dst'), 'ff02::1', ctx);

    // wasagi's account: dadfailed, counted, never preferred.
    assert.ok(failed(), `no AddressStateChanged dadfailed for ${ADDR}\n${ctx}`);
    assert.ok(failed()!.t >= defence.t - 5, ctx);
    const a = s.interface(tapA).addresses.find((x) => formatIp6(x.addr) === ADDR);
    assert.equal(a?.state, 'dadfailed', ctx);
    assert.ok(!events.some((x) => x.e.type === 'AddressStateChanged' && x.e.address === ADDR && x.e.state === 'preferred'), ctx);
    assert.ok((drops1.DAD_DUPLICATE ?? 0) - (drops0.DAD_DUPLICATE ?? 0) >= 1, `drops.DAD_DUPLICATE did not move\n${ctx}`);
    const info = addrInfo(s, tapA, ADDR);
    assert.ok(info?.dadfailed && info.tentative, `showAddr: ${JSON.stringify(info)}`);
    const src = s.sourceFor(s.interface(tapA), parseIp6('2001:db8:53::1'));
    assert.notEqual(src && formatIp6(src), ADDR, 'a DAD-failed address is never a source (RFC 4862 §5.4.5, RFC 6724 §4)');

    // Nothing advertised the address with wasagi's MAC, and the kernel's neighbor cache never learned it.
    assert.ok(!nd.some((d) => one(d, 'eth.src') === MAC_A && one(d, 'icmpv6.type') === '136' && one(d, 'icmpv6.nd.na.target_address') === ADDR), `wasagi advertised ${ADDR}\n${ctx}`);
    const neigh = JSON.parse(await ip(['-j', '-6', 'neigh', 'show', 'dev', tapA], ns)) as Array<{ dst: string; lladdr?: string }>;
    assert.ok(!neigh.some((n) => n.dst === ADDR || (n.lladdr === MAC_A && n.dst !== 'fe80::5eff:fe00:502')), `kernel neighbor cache: ${JSON.stringify(neigh)}`);
    const k = (await kernelAddrs(ns, tapA)).find((x) => x.local === ADDR);
    assert.ok(k && !k.tentative && !k.dadfailed, `the kernel's own ${ADDR}: ${JSON.stringify(k)}`);
  });

  it('an EUI-64 link-local the kernel holds disables the interface (RFC 4862 §5.4.5)', async (t) => {
    const dev = await tapInNamespace(ns, tapB);
    devs.push(dev);
    await ip(['addr', 'add', `${LL_B}/64`, 'dev', tapB, 'nodad'], ns);
    const kmac = await kernelMac(ns, tapB);
    const s = new Stack();
    stacks.push(s);
    const events: Timed[] = [];
    s.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    const t0 = Date.now();
    s.addInterface({ device: dev, mac: MAC_B, pcap: pcapB, acceptRa: false, iid: 'eui64', dadTransmits: 1 });
    devs.pop();
    const disabled = () => events.find((x) => x.e.type === 'InterfaceDisabled');
    // The first probe waits up to MAX_RTR_SOLICITATION_DELAY (1 s).
    await until(() => disabled() !== undefined, 3000);
    await delay(1500); // anything wasagi would still send
    const all = await dissect(s, tapB, pcapB, 'ipv6', ND_FIELDS);
    const ctx = `events:\n${describeEvents(events, t0)}\nframes:\n${describeFrames(all, t0, ND_FIELDS)}`;
    t.diagnostic(`InterfaceDisabled ${disabled() ? `+${disabled()!.t - t0} ms` : 'never'} after addInterface`);
    const probe = all.find((d) => one(d, 'eth.src') === MAC_B && one(d, 'icmpv6.type') === '135' && one(d, 'icmpv6.nd.ns.target_address') === LL_B);
    assert.ok(probe, `no DAD probe for ${LL_B}: wasagi formed another link-local?\n${ctx}`);
    const defence = all.find((d) => one(d, 'eth.src') === kmac && one(d, 'icmpv6.type') === '136' && one(d, 'icmpv6.nd.na.target_address') === LL_B);
    assert.ok(defence, `the kernel did not defend ${LL_B}\n${ctx}`);
    const ev = disabled();
    assert.ok(ev && ev.e.type === 'InterfaceDisabled', `no InterfaceDisabled\n${ctx}`);
    assert.equal(ev.e.interface, tapB);
    assert.match(ev.e.reason, /fe80::5eff:fe00:602/, ctx);
    assert.ok(events.some((x) => x.e.type === 'AddressStateChanged' && x.e.address.startsWith(LL_B) && x.e.state === 'dadfailed'), ctx);
    const iface = s.interface(tapB);
    assert.equal(iface.up, false);
    assert.equal(iface.addresses.find((a) => a.origin === 'link-local')?.state, 'dadfailed');
    assert.equal(showAddr(s).find((l) => l.ifname === tapB)?.operstate, 'DOWN');
    // "IP operation on the interface SHOULD be disabled": nothing more from wasagi.
    const later = all.filter((d) => one(d, 'eth.src') === MAC_B && d.t > ev.t + 20);
    assert.deepEqual(later.map((d) => `${one(d, 'ipv6.dst')} type ${one(d, 'icmpv6.type')}`), [], `wasagi sent after it disabled the interface\n${ctx}`);
  });
});

// --- 3. the kernel probes an address wasagi owns: wasagi defends ----------------------

describe('the kernel runs DAD for an address wasagi owns: wasagi defends it (RFC 4862 §5.4.3)', { skip, timeout: 30_000 }, () => {
  const ns = nsName('addef');
  const tap = `wsa4${process.pid % 10000}`;
  const MAC = '02:00:5e:00:07:02';
  const ADDR = '2001:db8:54::7';
  const tmp = makeTempDir();
  const pcap = join(tmp.dir, 'defend.pcap');
  let stack: Stack | undefined;
  let dev: TapDevice | undefined;
  const events: Timed[] = [];

  before(async () => {
    await createNamespace(ns);
    // The kernel does DAD on this TAP (the default; set in case the host's default says otherwise).
    dev = await tapInNamespace(ns, tap, ['net.ipv6.conf.TAP.accept_dad=1', 'net.ipv6.conf.TAP.dad_transmits=1']);
    stack = new Stack();
    stack.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    stack.addInterface({ device: dev, mac: MAC, pcap, acceptRa: false, iid: 'eui64', addresses: [`${ADDR}/64`] });
    dev = undefined;
    assert.ok(await stack.addressesSettled(), 'DAD finished (RFC 4862 §5.4)');
  });

  after(async () => {
    dev?.close();
    stack?.close();
    await deleteNamespace(ns);
    tmp.release();
  });

  it("wasagi's NA (to ff02::1, S=0, O=1, TLLAO) makes the kernel's copy dadfailed; wasagi's stays preferred", async (t) => {
    const s = stack!;
    assert.equal(s.interface(tap).addresses.find((a) => formatIp6(a.addr) === ADDR)?.state, 'preferred');
    const kmac = await kernelMac(ns, tap);
    const c0 = s.counters();
    const t0 = Date.now();
    await ip(['addr', 'add', `${ADDR}/64`, 'dev', tap], ns); // no nodad: the kernel probes first
    let k: KernelAddr | undefined;
    let tFailed = 0;
    for (const end = Date.now() + 4000; Date.now() < end; ) {
      k = (await kernelAddrs(ns, tap)).find((x) => x.local === ADDR);
      if (k?.dadfailed) {
        tFailed = Date.now();
        break;
      }
      await delay(50);
    }
    await delay(200);
    const c1 = s.counters();
    const nd = (await dissect(s, tap, pcap, 'icmpv6.type == 135 || icmpv6.type == 136', ND_FIELDS)).filter((d) => d.t >= t0 - 5);
    const ctx = `kernel: ${JSON.stringify(k)}\nevents:\n${describeEvents(events, t0)}\ndrops moved: ${JSON.stringify(movedDrops(c0.drops, c1.drops))}\nND frames since the kernel's addr add:\n${describeFrames(nd, t0, ND_FIELDS)}`;
    t.diagnostic(`kernel address dadfailed ${tFailed ? `+${tFailed - t0} ms` : 'never (within 4 s)'} after ip addr add`);

    const probes = nd.filter((d) => one(d, 'eth.src') === kmac && one(d, 'icmpv6.type') === '135' && one(d, 'ipv6.src') === '::' && one(d, 'icmpv6.nd.ns.target_address') === ADDR);
    assert.ok(probes.length >= 1, `no DAD probe from the kernel\n${ctx}`);
    assert.equal(one(probes[0], 'ipv6.dst'), 'ff02::1:ff00:7', ctx);
    const nas = nd.filter((d) => one(d, 'eth.src') === MAC && one(d, 'icmpv6.type') === '136' && one(d, 'icmpv6.nd.na.target_address') === ADDR);
    assert.ok(nas.length >= 1, `wasagi did not defend ${ADDR}\n${ctx}`);
    const na = nas[0];
    assert.ok(na.t >= probes[0].t && na.t - probes[0].t < 200, `NA ${(na.t - probes[0].t).toFixed(0)} ms after the probe\n${ctx}`);
    // RFC 4861 §7.2.4: the solicitation came from ::, so to all-nodes with S = 0; O = 1; the TLLAO.
    assert.equal(one(na, 'ipv6.dst'), 'ff02::1', ctx);
    assert.equal(one(na, 'eth.dst'), '33:33:00:00:00:01', ctx);
    assert.equal(one(na, 'ipv6.src'), ADDR, ctx);
    assert.equal(one(na, 'ipv6.hlim'), '255', ctx);
    assert.equal(one(na, 'icmpv6.checksum.status'), '1', `checksum good\n${ctx}`);
    assert.equal(flag(one(na, 'icmpv6.nd.na.flag.s')), false, `S flag\n${ctx}`);
    assert.equal(flag(one(na, 'icmpv6.nd.na.flag.o')), true, `O flag\n${ctx}`);
    assert.equal(flag(one(na, 'icmpv6.nd.na.flag.r')), false, `R flag\n${ctx}`);
    assert.deepEqual(na.f['icmpv6.opt.type'].map(Number), [2], `one option, the TLLAO\n${ctx}`);
    assert.equal(na.f['icmpv6.opt.linkaddr'][0], MAC, ctx);

    // The kernel gave up its copy (RFC 4862 §5.4.5) within ~2 s (up to 1 s random delay before its probe).
    assert.ok(k?.dadfailed, `the kernel's ${ADDR} is not dadfailed after 4 s\n${ctx}`);
    assert.ok(tFailed - t0 <= 2500, `kernel dadfailed ${tFailed - t0} ms after ip addr add\n${ctx}`);
    assert.equal(k.tentative, true, `dadfailed addresses stay tentative\n${ctx}`);

    // wasagi's copy is untouched: preferred, no DAD failure or conflict counted.
    assert.equal(s.interface(tap).addresses.find((a) => formatIp6(a.addr) === ADDR)?.state, 'preferred', ctx);
    assert.ok(!events.some((x) => x.t >= t0 && 'address' in x.e && x.e.address === ADDR), `wasagi changed ${ADDR}\n${ctx}`);
    assert.equal(c1.drops.DAD_DUPLICATE, c0.drops.DAD_DUPLICATE, ctx);
    assert.equal(c1.mib.AddressConflicts, c0.mib.AddressConflicts, ctx);
    const info = addrInfo(s, tap, ADDR);
    assert.ok(info && !info.tentative && !info.dadfailed && !info.deprecated, JSON.stringify(info));
  });
});
