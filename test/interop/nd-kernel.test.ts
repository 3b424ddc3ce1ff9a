// Neighbor Discovery interop with the Linux kernel, radvd and scapy (needs root).
//
// As in kernel-tap.test.ts, wasagi runs in this process on a TAP whose kernel
// side is moved into a fresh network namespace. Every frame wasagi sends or
// receives is also written to a pcap file (`pcap:` on the interface), which
// tshark dissects: the assertions about timing and addressing are about what
// was on the wire, not about wasagi's own account of it.
//
//   1. A silent kernel: NUD's STALE → DELAY → PROBE → UNREACHABLE (RFC 4861
//      §7.3.3, RFC 7048) seen as unicast probes RetransTimer apart, then
//      multicast ones.
//   2. radvd as the router: what an RA configures (RFC 4861 §6.3.4, RFC 4191,
//      RFC 8106), and a ping to an off-link address through it.
//   3. Redirects crafted with scapy (RFC 4861 §8.1, §8.3): one valid, and one
//      per validity rule that must drop it.
//
// Namespaces, radvd, scapy and temporary files are removed in `after`, even
// on failure (and by bench/netns.ts's exit handlers if the process dies).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../src/stack/stack.js';
import type { StackEvent } from '../../src/stack/events.js';
import type { Interface } from '../../src/stack/interface.js';
import type { PcapDevice } from '../../src/device/pcap.js';
import { formatIp6, formatMac, parseIp6 } from '../../src/wire/address.js';

import { createNamespace, deleteNamespace, delay, ip, makeTempDir, nsName, run, runInNs, spawnInNs, type ProcHandle } from '../../bench/netns.js';
import { PY, interopSkipReason, kernelMac, sysctl, until } from '../support/interop.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCAPY_SENDER = join(root, 'test/interop/scapy/send_redirect.py');

const skip = interopSkipReason([['ip', 'iproute2'], ['tshark', 'tshark'], ['radvd', 'radvd']], { scapy: true });

// --- helpers ------------------------------------------------------------------------

/** One ICMPv6 frame of the capture, as tshark dissects it. */
interface Frame {
  /** Capture time, ms since the epoch (wasagi stamps each frame as it writes or reads it). */
  t: number;
  ethSrc: string;
  ethDst: string;
  src: string;
  dst: string;
  hlim: number;
  type: number;
  /** NS/NA target. */
  target: string;
}

/** Flushes wasagi's pcap writer and dissects every ICMPv6 frame with tshark. */
async function capture(stack: Stack, ifname: string, file: string): Promise<Frame[]> {
  (stack.interface(ifname).device as unknown as PcapDevice).flush();
  const fields = ['frame.time_epoch', 'eth.src', 'eth.dst', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'icmpv6.type', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address'];
  const r = await run(['tshark', '-n', '-r', file, '-Y', 'icmpv6', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', ...fields.flatMap((f) => ['-e', f])], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, `tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [t, ethSrc, ethDst, src, dst, hlim, type, nsT, naT] = l.split('\t');
      return { t: Number(t) * 1000, ethSrc, ethDst, src, dst, hlim: Number(hlim), type: Number(type), target: nsT || naT || '' };
    });
}

function describeFrames(fs: Frame[], t0: number): string {
  return fs.map((f) => `  +${(f.t - t0).toFixed(0)}ms ${f.ethSrc}>${f.ethDst} ${f.src}>${f.dst} hlim=${f.hlim} type=${f.type}${f.target ? ` target=${f.target}` : ''}`).join('\n');
}

/** The kernel's link-local address on `dev`, once it is no longer tentative. */
async function kernelLinkLocal(ns: string, dev: string, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = await ip(['-j', '-6', 'addr', 'show', 'dev', dev], ns);
    const j = JSON.parse(last) as Array<{ addr_info?: Array<{ local: string; scope: string; tentative?: boolean }> }>;
    const ll = j.flatMap((l) => l.addr_info ?? []).find((a) => a.scope === 'link' && !a.tentative);
    if (ll) return ll.local;
    await delay(50);
  }
  throw new Error(`no usable link-local address on ${dev} in ${ns}: ${last}`);
}

const macOf = (m: Uint8Array | undefined): string | undefined => (m ? formatMac(m) : undefined);

/** Drop counters that moved between two snapshots. */
function movedDrops(before: Record<string, number>, after: Record<string, number>, ignore: readonly string[] = []): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([k, v]) => v !== before[k] && !ignore.includes(k))
      .map(([k, v]) => [k, v - (before[k] ?? 0)]),
  );
}

// --- 1. a silent kernel ------------------------------------------------------------

describe('NUD against a kernel that goes silent (RFC 4861 §7.3.3, RFC 7048)', { skip, timeout: 60_000 }, () => {
  const ns = nsName('ndsil');
  const tap = `wsn1${process.pid % 10000}`;
  const MAC = '02:00:5e:00:01:02';
  const KADDR = '2001:db8:31::1';
  const tmp = makeTempDir();
  const pcap = join(tmp.dir, 'silent.pcap');
  let stack: Stack | undefined;
  let kmac = '';
  const events: Array<{ t: number; e: StackEvent }> = [];

  before(async () => {
    await createNamespace(ns);
    stack = new Stack();
    stack.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    // No RAs on this link: nothing but NUD should move the kernel's entry.
    stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: MAC, addresses: ['2001:db8:31::2/64'], pcap, acceptRa: false, iid: 'eui64' });
    assert.ok(await stack.addressesSettled(), 'DAD finished (RFC 4862 §5.4)');
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['link', 'set', tap, 'up'], ns);
    await ip(['addr', 'add', `${KADDR}/64`, 'dev', tap, 'nodad'], ns);
    kmac = await kernelMac(ns, tap);
  });

  after(async () => {
    stack?.close();
    await deleteNamespace(ns);
    tmp.release();
  });

  it('3 unicast probes RetransTimer apart, then UNREACHABLE with multicast probes; pings get errors', async (t) => {
    const s = stack!;
    const ifindex = s.interface(tap).ifindex;
    const kaddr = parseIp6(KADDR);
    // A short BaseReachableTime (what an RA's Reachable Time would set) so the
    // REACHABLE entry goes STALE within 1.5 s instead of 15-45 s.
    s.neighbors.setBaseReachableTime(1000);

    // Resolution: INCOMPLETE, multicast NS, the kernel's solicited NA → REACHABLE.
    const first = await s.ping(KADDR, { count: 1, timeout: 3 }).done;
    assert.equal(first.received, 1, `wasagi could not ping the kernel: ${JSON.stringify(first)}`);
    const resolved = s.neighbors.get(ifindex, kaddr);
    assert.ok(resolved, 'no neighbor entry for the kernel after a successful ping');
    assert.equal(macOf(resolved.mac), kmac);

    assert.ok(await until(() => s.neighbors.get(ifindex, kaddr)?.state === 'STALE', 3000), `entry never went STALE: ${s.neighbors.get(ifindex, kaddr)?.state}`);

    // The kernel goes silent: the address goes (so NS for it go unanswered and
    // echo requests to it are dropped) and its own entry for us too (so it does
    // not probe us and give wasagi a sign of life).
    await ip(['addr', 'del', `${KADDR}/64`, 'dev', tap], ns);
    await ip(['neigh', 'flush', 'dev', tap], ns);
    const tSilent = Date.now();

    const pinger = s.ping(KADDR, { count: 100, interval: 0.2, timeout: 0.5 });
    const tPing = Date.now();
    const unreachable = () => events.find((x) => x.t >= tSilent && x.e.type === 'NeighborChanged' && x.e.address === KADDR && x.e.state === 'UNREACHABLE');
    // DELAY 5 s + 3 probes × 1 s, then UNREACHABLE.
    const gotUnreachable = await until(() => unreachable() !== undefined, 11_000, 50);
    // RFC 7048 back-off: the first multicast probe comes RetransTimer × BACKOFF_MULTIPLE (3 s) later.
    if (gotUnreachable) await delay(3500);
    pinger.stop(s.clock.now());
    const summary = await pinger.done;

    const states = events.filter((x) => x.t >= tSilent && x.e.type === 'NeighborChanged' && x.e.address === KADDR).map((x) => `+${x.t - tPing}ms ${(x.e as { state: string }).state}`);
    const frames = (await capture(s, tap, pcap)).filter((f) => f.t >= tSilent - 5);
    const ours = frames.filter((f) => f.ethSrc === MAC);
    const ns135 = ours.filter((f) => f.type === 135 && f.target === KADDR);
    const unicast = ns135.filter((f) => f.dst === KADDR);
    const multicast = ns135.filter((f) => f.dst !== KADDR);
    const context = `neighbor states: ${states.join(', ')}\nping: ${JSON.stringify({ ...summary, rtts: undefined })}\nwasagi's ICMPv6 frames since the kernel went silent (t0 = first ping):\n${describeFrames(ours, tPing)}`;

    const rel = (x: number) => `+${(x - tPing).toFixed(0)}`;
    t.diagnostic(`t0 = first ping after the kernel went silent; states ${states.join(', ')}; unicast NS at ${unicast.map((f) => rel(f.t)).join(', ')} ms; multicast NS at ${multicast.map((f) => rel(f.t)).join(', ')} ms; ping transmitted ${summary.transmitted}, received ${summary.received}, errors ${summary.errors}`);
    assert.ok(gotUnreachable, `no UNREACHABLE within 11 s\n${context}`);
    assert.deepEqual(
      states.map((x) => x.split(' ')[1]),
      ['DELAY', 'PROBE', 'UNREACHABLE'],
      `STALE → DELAY → PROBE → UNREACHABLE expected\n${context}`,
    );
    // Exactly MAX_UNICAST_SOLICIT unicast probes, to the kernel's address and MAC.
    assert.equal(unicast.length, 3, `unicast NS\n${context}`);
    for (const f of unicast) {
      assert.equal(f.ethDst, kmac, `unicast probe to the cached MAC\n${context}`);
      assert.equal(f.hlim, 255);
    }
    // The first probe DELAY_FIRST_PROBE_TIME (5 s) after the first use of the STALE entry.
    const firstUse = ours.find((f) => f.type === 128 && f.dst === KADDR);
    assert.ok(firstUse, `no echo request after the kernel went silent\n${context}`);
    const delayed = unicast[0].t - firstUse.t;
    assert.ok(Math.abs(delayed - 5000) <= 250, `first probe ${delayed.toFixed(0)} ms after the first use (DELAY_FIRST_PROBE_TIME 5000 ms)\n${context}`);
    // RetransTimer (1000 ms) apart, in real time.
    for (let i = 1; i < unicast.length; i++) {
      const gap = unicast[i].t - unicast[i - 1].t;
      assert.ok(Math.abs(gap - 1000) <= 100, `unicast probes ${i} and ${i + 1} are ${gap.toFixed(0)} ms apart, not 1000 ± 100\n${context}`);
    }
    // UNREACHABLE RetransTimer after the last unicast probe.
    const tUnreach = unreachable()!.t;
    assert.ok(Math.abs(tUnreach - unicast[2].t - 1000) <= 150, `UNREACHABLE ${(tUnreach - unicast[2].t).toFixed(0)} ms after the third probe\n${context}`);
    assert.equal(s.neighbors.get(ifindex, kaddr)?.state, 'UNREACHABLE', context);
    // Then multicast probes to the solicited-node group (RFC 7048 §3), none before.
    assert.ok(multicast.length >= 1, `no multicast NS after UNREACHABLE\n${context}`);
    for (const f of multicast) {
      assert.equal(f.dst, 'ff02::1:ff00:1', context);
      assert.equal(f.ethDst, '33:33:ff:00:00:01', context);
      assert.ok(f.t > unicast[2].t, `a multicast probe before the unicast ones ended\n${context}`);
    }
    // Pings to an UNREACHABLE neighbor are answered with errors, not left hanging.
    assert.equal(summary.received, 0, context);
    assert.ok(summary.errors > 0, `no ping errors while UNREACHABLE\n${context}`);
    assert.ok(s.counters().drops.NEIGH_UNREACHABLE >= summary.errors, context);
  });
});

// --- 2 and 3. radvd as the router, scapy's Redirects ----------------------------------

describe('radvd as the router; Redirects from scapy', { skip, timeout: 60_000 }, () => {
  const ns = nsName('ndrtr');
  const tap = `wsn2${process.pid % 10000}`;
  const MAC = '02:00:5e:00:02:02';
  const WASAGI_LL = 'fe80::5eff:fe00:202'; // modified EUI-64 of 02:00:5e:00:02:02
  const tmp = makeTempDir();
  const pcap = join(tmp.dir, 'router.pcap');
  const conf = join(tmp.dir, 'radvd.conf');
  let stack: Stack | undefined;
  let iface: Interface;
  let radvd: ProcHandle | undefined;
  let scapy: ProcHandle | undefined;
  let scapyOut = '';
  let kmac = '';
  let kll = '';
  let tStack = 0;
  let tRadvd = 0;
  const events: Array<{ t: number; e: StackEvent }> = [];

  before(async () => {
    await createNamespace(ns);
    await sysctl(ns, 'net.ipv6.conf.all.forwarding=1'); // the kernel is a router (NA with R set)
    stack = new Stack();
    stack.on('event', (e: StackEvent) => events.push({ t: Date.now(), e }));
    tStack = Date.now();
    // acceptRa (the default): an RS goes out within MAX_RTR_SOLICITATION_DELAY.
    iface = stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: MAC, addresses: ['2001:db8:a::2/64'], pcap, iid: 'eui64' });
    assert.ok(await stack.addressesSettled(), 'DAD finished (RFC 4862 §5.4)');
    await ip(['link', 'set', tap, 'netns', ns]);
    await sysctl(ns, `net.ipv6.conf.${tap}.accept_dad=0`); // the automatic link-local is usable at once
    await ip(['link', 'set', tap, 'up'], ns);
    // The router's own address on the link, so replies to 2001:db8:a::2 go back out the TAP.
    await ip(['addr', 'add', '2001:db8:a::1/64', 'dev', tap, 'nodad'], ns);
    kmac = await kernelMac(ns, tap);
    kll = await kernelLinkLocal(ns, tap);
    writeFileSync(
      conf,
      `interface ${tap} {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 30;
  AdvLinkMTU 1400;
  AdvCurHopLimit 42;
  AdvReachableTime 20000;
  AdvRetransTimer 1500;
  prefix 2001:db8:a::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvValidLifetime 3600;
    AdvPreferredLifetime 1800;
  };
  route 2001:db8:f00::/48 {
    AdvRoutePreference high;
    AdvRouteLifetime 600;
  };
  RDNSS 2001:db8:a::53 {
    AdvRDNSSLifetime 60;
  };
  DNSSL example.test {
    AdvDNSSLLifetime 60;
  };
};
`,
      { mode: 0o644 },
    );
    tRadvd = Date.now();
    radvd = spawnInNs(ns, ['radvd', '-n', '-C', conf, '-p', join(tmp.dir, 'radvd.pid'), '-m', 'stderr', '-d', '5']);
    const got = await until(() => events.some((x) => x.e.type === 'RouterAdded') || radvd!.exitStatus() !== null, 10_000, 20);
    assert.ok(got && radvd.exitStatus() === null, `no RA from radvd within 10 s (radvd ${JSON.stringify(radvd.exitStatus())}): ${radvd.stderr()}`);
  });

  after(async () => {
    if (scapy) {
      scapy.child.stdin?.end();
      await scapy.stop('SIGTERM', 2000);
    }
    if (radvd) await radvd.stop('SIGTERM', 3000);
    stack?.close();
    await deleteNamespace(ns);
    tmp.release();
  });

  it("wasagi's RS is answered and the RA configures the link (RFC 4861 §6.3.4, RFC 4191, RFC 8106)", async (t) => {
    const s = stack!;
    const ifx = iface.ifindex;
    const added = events.find((x) => x.e.type === 'RouterAdded')!;
    const frames = await capture(s, tap, pcap);
    const rs = frames.filter((f) => f.ethSrc === MAC && f.type === 133);
    const ras = frames.filter((f) => f.ethSrc === kmac && f.type === 134);
    t.diagnostic(`RS sent: ${rs.length ? rs.map((f) => `+${(f.t - tStack).toFixed(0)} ms`).join(', ') : 'none'} (times after addInterface); radvd started at +${tRadvd - tStack} ms; first RA at +${(ras[0]?.t ?? NaN) - tStack} ms; RouterAdded at +${added.t - tStack} ms`);
    // The first RS waits a random 0-1 s (MAX_RTR_SOLICITATION_DELAY) and radvd
    // advertises as soon as it starts, so usually the RA comes first and no RS
    // is needed (§6.3.7); any RS sent is checked, and so is the answer's delay.
    assert.ok(ras.length >= 1, `no RA in the capture:\n${describeFrames(frames, tStack)}`);
    assert.ok(added.t - tRadvd < 5000, `first RA processed ${added.t - tRadvd} ms after radvd started`);
    for (const f of rs) {
      // §6.3.7: from our link-local once DAD has finished, from :: while it is still tentative.
      assert.ok(f.src === WASAGI_LL || f.src === '::', `RS source ${f.src}`);
      assert.deepEqual([f.dst, f.ethDst, f.hlim], ['ff02::2', '33:33:00:00:00:02', 255], 'RS to all-routers, hop limit 255 (§6.3.7)');
    }
    // An RS that went out while radvd ran is answered within MAX_RA_DELAY_TIME (0.5 s) + slack.
    const heard = rs.filter((f) => f.t >= tRadvd + 100);
    if (heard.length) assert.ok(ras.some((a) => a.t > heard[0].t && a.t - heard[0].t < 1500), `RS at +${heard[0].t - tStack} ms not answered:\n${describeFrames(frames, tStack)}`);
    // §6.3.7: no solicitation after a valid RA.
    assert.ok(!rs.some((f) => f.t > ras[0].t + 5), `an RS after the first RA:\n${describeFrames(frames, tStack)}`);

    // Default router: the kernel's link-local, a neighbor with IsRouter.
    assert.ok(iface.defaultRouter, 'no default router');
    assert.equal(formatIp6(iface.defaultRouter), kll);
    assert.deepEqual(s.routers.routersOf(ifx).map((r) => formatIp6(r.addr)), [kll]);
    const rtr = s.routers.routersOf(ifx)[0];
    assert.equal(rtr.preference, 'medium');
    assert.ok(Math.abs((rtr.expiresAt - s.clock.now()) / 1000 - 30) <= 5, `router lifetime ${(rtr.expiresAt - s.clock.now()) / 1000} s, AdvDefaultLifetime 30`);
    const ne = s.neighbors.get(ifx, parseIp6(kll));
    assert.ok(ne, 'no neighbor entry for the router');
    assert.equal(ne.isRouter, true);
    assert.equal(macOf(ne.mac), kmac, "the router's SLLAO");

    // Prefix List.
    const p = [...s.routers.prefixes.values()].find((x) => x.ifindex === ifx && formatIp6(x.prefix) === '2001:db8:a::' && x.prefixLength === 64);
    assert.ok(p, `prefix 2001:db8:a::/64 not learned: ${[...s.routers.prefixes.values()].map((x) => `${formatIp6(x.prefix)}/${x.prefixLength}`)}`);
    assert.ok(Math.abs((p.expiresAt - s.clock.now()) / 1000 - 3600) <= 10, 'valid lifetime 3600 s');
    assert.equal(p.preferredLifetime, 1800);
    assert.equal(p.autonomous, true);
    assert.ok(s.isOnLink(iface, parseIp6('2001:db8:a::77')));

    // Route Information (RFC 4191).
    const routes = [...s.routers.routes.values()].filter((x) => x.ifindex === ifx);
    const route = routes.find((x) => formatIp6(x.prefix) === '2001:db8:f00::' && x.prefixLength === 48);
    assert.ok(route, `route 2001:db8:f00::/48 not learned: ${routes.map((x) => `${formatIp6(x.prefix)}/${x.prefixLength}`)}`);
    assert.equal(route.preference, 'high');
    assert.equal(formatIp6(route.router), kll);
    assert.ok(Math.abs((route.expiresAt - s.clock.now()) / 1000 - 600) <= 10, 'route lifetime 600 s');
    assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:f00::1'))!), kll);

    // Link parameters.
    assert.equal(iface.mtu, 1400, 'AdvLinkMTU');
    assert.equal(iface.hopLimit, 42, 'AdvCurHopLimit');
    assert.equal(s.neighbors.paramsOf(iface.ifindex).baseReachableTime, 20000, 'AdvReachableTime');
    assert.equal(s.neighbors.paramsOf(iface.ifindex).retransTimer, 1500, 'AdvRetransTimer');
    assert.equal(s.pmtu.pmtu(parseIp6('2001:db8:a::1'), iface.mtu), 1400, 'the path MTU starts at the RA link MTU');

    // DNS (RFC 8106).
    const dns = s.dns(tap);
    assert.deepEqual(dns.servers.map((x) => x.address), ['2001:db8:a::53']);
    assert.deepEqual(dns.searchList.map((x) => x.domain), ['example.test']);
    assert.ok(dns.servers[0].expires > 50 && dns.servers[0].expires <= 60, `RDNSS lifetime ${dns.servers[0].expires}`);
  });

  it('pings an off-link address through the default router, with hop limit 42', async (t) => {
    const s = stack!;
    // A network behind the router: a dummy interface, or (kernels built without
    // the dummy driver) one end of a veth pair inside the namespace.
    const dummy = await run(['ip', '-n', ns, 'link', 'add', 'dum0', 'type', 'dummy'], { timeoutMs: 10_000 });
    if (dummy.code !== 0) {
      t.diagnostic(`no dummy driver (${dummy.stderr.trim()}): using a veth pair`);
      await ip(['link', 'add', 'dum0', 'type', 'veth', 'peer', 'name', 'dum1'], ns);
      await ip(['link', 'set', 'dum1', 'up'], ns);
    }
    await ip(['addr', 'add', '2001:db8:b::1/64', 'dev', 'dum0', 'nodad'], ns);
    await ip(['link', 'set', 'dum0', 'up'], ns);
    assert.equal(s.isOnLink(iface, parseIp6('2001:db8:b::1')), false);
    assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:b::1'))!), kll);
    const t0 = Date.now();
    const r = await s.ping('2001:db8:b::1', { count: 3, interval: 0.2, timeout: 2 }).done;
    const frames = (await capture(s, tap, pcap)).filter((f) => f.t >= t0 - 5);
    const req = frames.filter((f) => f.ethSrc === MAC && f.type === 128);
    const ctx = `ping: ${JSON.stringify({ ...r, rtts: undefined })}\n${describeFrames(frames, t0)}`;
    assert.equal(r.received, 3, ctx);
    assert.equal(req.length, 3, ctx);
    for (const f of req) {
      assert.equal(f.dst, '2001:db8:b::1', ctx);
      assert.equal(f.ethDst, kmac, `sent to the router's MAC\n${ctx}`);
      assert.equal(f.hlim, 42, `CurHopLimit from the RA\n${ctx}`);
    }
    // ND keeps hop limit 255 whatever CurHopLimit says (§7.1).
    for (const f of frames.filter((x) => x.ethSrc === MAC && x.type >= 133 && x.type <= 137)) assert.equal(f.hlim, 255, ctx);
  });

  // --- 3. Redirects ---------------------------------------------------------------

  let seq = 0;
  async function sendRedirect(m: { src: string; hlim?: number; target: string; destination: string; tllao?: string }): Promise<string> {
    if (!scapy) {
      scapyOut = '';
      scapy = spawnInNs(ns, [PY, SCAPY_SENDER, tap], { stdio: ['pipe', 'pipe', 'pipe'], onStdout: (c) => (scapyOut += c) });
      const ok = await until(() => scapyOut.includes('ready') || scapy!.exitStatus() !== null, 30_000, 50);
      assert.ok(ok && scapy.exitStatus() === null, `scapy sender did not start: ${scapy.stderr()}`);
    }
    const id = `r${++seq}`;
    scapy.child.stdin!.write(JSON.stringify({ id, ethSrc: kmac, ethDst: MAC, dst: WASAGI_LL, hlim: 255, ...m }) + '\n');
    const sent = await until(() => scapyOut.includes(`sent ${id} `) || scapy!.exitStatus() !== null, 10_000, 10);
    assert.ok(sent, `scapy did not send ${id}: ${scapy.stderr()}`);
    return scapyOut.split('\n').find((l) => l.startsWith(`sent ${id} `))!.split(' ')[2];
  }

  it('a valid Redirect (RFC 4861 §8.3): next hop, neighbor entry, and where the next ping goes', async () => {
    const s = stack!;
    const ifx = iface.ifindex;
    const dest = parseIp6('2001:db8:b::1');
    const accepted0 = s.counters().mib.Icmp6InRedirectsAccepted;
    const drops0 = s.counters().drops;
    const hex = await sendRedirect({ src: kll, target: 'fe80::99', destination: '2001:db8:b::1', tllao: '02:00:00:00:00:99' });
    await until(() => s.counters().mib.Icmp6InRedirectsAccepted !== accepted0, 3000);
    const ctx = `frame: ${hex}\ndrops moved: ${JSON.stringify(movedDrops(drops0, s.counters().drops))}`;
    assert.equal(s.counters().mib.Icmp6InRedirectsAccepted, accepted0 + 1, `Redirect not accepted\n${ctx}`);
    assert.equal(formatIp6(s.nextHop(iface, dest)!), 'fe80::99', ctx);
    const e = s.neighbors.get(ifx, parseIp6('fe80::99'));
    assert.ok(e, `no neighbor entry for the target\n${ctx}`);
    assert.equal(e.state, 'STALE');
    assert.equal(macOf(e.mac), '02:00:00:00:00:99');
    assert.equal(e.isRouter, true, 'target ≠ destination: the target is a router');
    assert.ok(events.some((x) => x.e.type === 'Redirected' && x.e.destination === '2001:db8:b::1' && x.e.target.startsWith('fe80::99')));
    // Only that destination is redirected.
    assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:b::2'))!), kll);

    const t0 = Date.now();
    const r = await s.ping('2001:db8:b::1', { count: 1, timeout: 0.3 }).done;
    const req = (await capture(s, tap, pcap)).filter((f) => f.t >= t0 - 5 && f.ethSrc === MAC && f.type === 128);
    assert.equal(req.length, 1, JSON.stringify(req));
    assert.equal(req[0].dst, '2001:db8:b::1');
    assert.equal(req[0].ethDst, '02:00:00:00:00:99', 'the echo request goes to the redirect target');
    assert.equal(r.received, 0, 'nobody has 02:00:00:00:00:99');
    assert.equal(s.neighbors.get(ifx, parseIp6('fe80::99'))?.state, 'DELAY', 'STALE entry used → DELAY');
  });

  // Each invalid Redirect goes to its own destination (off-link, first hop: the
  // router), so one wrongly accepted cannot change what the next one tests.
  const invalid: Array<{ name: string; reason: string; m: () => { src: string; hlim?: number; target: string; destination: string; tllao?: string } }> = [
    { name: 'from a global source', reason: 'ND_REDIRECT_SOURCE_NOT_LINK_LOCAL', m: () => ({ src: '2001:db8:a::1', target: 'fe80::91', destination: '2001:db8:c::1', tllao: '02:00:00:00:00:91' }) },
    { name: 'from a link-local that is not the first hop', reason: 'ND_REDIRECT_NOT_FIRST_HOP', m: () => ({ src: 'fe80::77', target: 'fe80::92', destination: '2001:db8:c::2', tllao: '02:00:00:00:00:92' }) },
    { name: 'with hop limit 254', reason: 'ND_HOP_LIMIT', m: () => ({ src: kll, hlim: 254, target: 'fe80::93', destination: '2001:db8:c::3', tllao: '02:00:00:00:00:93' }) },
    { name: 'with a global target other than the destination', reason: 'ND_REDIRECT_BAD_TARGET', m: () => ({ src: kll, target: '2001:db8:a::94', destination: '2001:db8:c::4', tllao: '02:00:00:00:00:94' }) },
    { name: 'for a multicast destination', reason: 'ND_REDIRECT_DESTINATION_MULTICAST', m: () => ({ src: kll, target: 'fe80::95', destination: 'ff0e::1', tllao: '02:00:00:00:00:95' }) },
  ];
  // Background traffic that may arrive meanwhile: the kernel's MLD reports.
  const BACKGROUND = ['ICMP6_UNHANDLED', 'IP6_GROUP_NOT_JOINED'];

  for (const c of invalid) {
    it(`a Redirect ${c.name} is dropped as ${c.reason} (RFC 4861 §8.1)`, async () => {
      const s = stack!;
      const ifx = iface.ifindex;
      const m = c.m();
      const dest = parseIp6(m.destination);
      const hopBefore = s.nextHop(iface, dest);
      const redirectedBefore = formatIp6(s.nextHop(iface, parseIp6('2001:db8:b::1'))!);
      const c0 = s.counters();
      const hex = await sendRedirect(m);
      await until(() => s.counters().drops[c.reason] !== c0.drops[c.reason] || s.counters().mib.Icmp6InRedirectsAccepted !== c0.mib.Icmp6InRedirectsAccepted, 3000);
      await delay(100); // anything else it would move
      const c1 = s.counters();
      const moved = movedDrops(c0.drops, c1.drops, BACKGROUND);
      const ctx = `frame: ${hex}\ndrops moved: ${JSON.stringify(moved)}; Icmp6InRedirects ${c0.mib.Icmp6InRedirects}→${c1.mib.Icmp6InRedirects}, accepted ${c0.mib.Icmp6InRedirectsAccepted}→${c1.mib.Icmp6InRedirectsAccepted}`;
      assert.deepEqual(moved, { [c.reason]: 1 }, ctx);
      assert.equal(c1.mib.Icmp6InRedirectsAccepted, c0.mib.Icmp6InRedirectsAccepted, ctx);
      const hopAfter = s.nextHop(iface, dest);
      assert.equal(hopAfter && formatIp6(hopAfter), hopBefore && formatIp6(hopBefore), `next hop changed\n${ctx}`);
      assert.equal(s.neighbors.get(ifx, parseIp6(m.target)), undefined, `a neighbor entry for the target was made\n${ctx}`);
      assert.equal(formatIp6(s.nextHop(iface, parseIp6('2001:db8:b::1'))!), redirectedBefore, ctx);
    });
  }
});
