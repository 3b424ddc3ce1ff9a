// The `wasagi` command: demo (the embedded default), up (a stack on a TAP/TUN
// device), show and ping (talking to a running `up` through its control socket),
// bench (the benchmarks).

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Stack } from '../stack/stack.js';
import { createMemoryLink } from '../device/memory.js';
import type { StackEvent } from '../stack/events.js';
import type { PingReply, PingSummary } from '../stack/ping.js';
import { formatAddrText, formatNeighText, formatRouteText, formatStatsText, showNeigh, showRoute, type LinkAddrs, type NeighJson, type RouteJson } from '../stack/show.js';
import type { MemoryLink } from '../device/memory.js';
import { emitRouterAdvert } from '../wire/ra.js';
import { emitIp6Header, upperLayerChecksum } from '../wire/ipv6.js';
import { parseIp6 } from '../wire/address.js';
import { ctlRequest, defaultCtlPath, serveCtl } from './ctl.js';
import { histogram, percentile } from './draw.js';
import { WasagiError } from '../errors.js';
import { warmUp } from '../stack/warmup.js';

const USAGE = `usage: wasagi <command> [options]

  demo [--count N] [--size BYTES]
        Two stacks on a simulated link inside this process (no root): they
        resolve each other, ping, then flood-ping; prints what happened and the
        RTT distribution. This is what "npm start" runs.
  up --tap NAME [--tun] [--mac MAC] [--addr ADDR/PLEN]... [--mtu N] [--ctl PATH]
     [--busy-poll US] [--warmup N] [--pcap FILE] [--iid stable|eui64] [--dad N]
     [--stable-secret HEX] [--temp-addresses] [--route PREFIX[=GATEWAY]]... [--udp-echo PORT] [--verbose]
        Runs the stack on a TAP (or, with --tun, TUN) device until interrupted.
        Needs CAP_NET_ADMIN. The device is created if it does not exist.
        --busy-poll: microseconds to keep reading after a burst (default 100, 0 off).
        --warmup: echo round trips run in-process first to warm the JIT (default 20000).
        --pcap: also write every frame received and sent to FILE (libpcap format).
        --iid: interface identifiers, RFC 7217 stable-privacy (default) or EUI-64;
        --stable-secret: its secret key (keep it for the same addresses next time);
        --dad: DupAddrDetectTransmits (default 1; 0 skips DAD).
        --temp-addresses: RFC 8981 temporary addresses beside autoconfigured ones.
        --route: a static route, e.g. default=fe80::1 or 2001:db8:100::/48=2001:db8::1.
        --udp-echo PORT: echo every UDP datagram to PORT back to its sender (a
        dual-stack udp6 socket on the stack; bench/udp-echo.ts uses it).
  show addr|neigh|route|stats|dns [--json] [--ctl PATH]
        Asks a running "wasagi up" (like "ip -6 addr", "ip -6 neigh", "ip -6 route",
        nstat; dns: servers and search domains learned from RAs).
  ping DEST [-c COUNT] [-i SECONDS] [-s SIZE] [-W SECONDS] [-f] [--ctl PATH]
        Pings from a running "wasagi up", printing like iputils ping; exits 0
        when a reply came, 1 when none did.
  bench [--quick]
        Runs the benchmarks (same as "npm run bench").

The control socket defaults to $WASAGI_CTL or ${defaultCtlPath()}.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'demo':
        return await demo(rest);
      case 'up':
        return await up(rest);
      case 'show':
        return await show(rest);
      case 'ping':
        return await ping(rest);
      case 'bench': {
        const m = await import('../../bench/index.js');
        return await m.main(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        console.error(`wasagi: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      console.error(`wasagi ${cmd}: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`wasagi ${cmd}: ${err.message ?? e}${err.code ? ` [${err.code}]` : ''}`);
    return 2;
  }
}

function intOpt(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new WasagiError('ERR_INVALID_ARG', `--${name} must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

function numOpt(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new WasagiError('ERR_INVALID_ARG', `${name} must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

// --- demo ---------------------------------------------------------------------

async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string' }, size: { type: 'string' } } });
  const count = intOpt('count', values.count, 10_000, 1, 10_000_000);
  const size = intOpt('size', values.size, 56, 0, 1452);
  const t0 = performance.now();
  const stamp = (): string => `[${((performance.now() - t0) / 1000).toFixed(3)}s]`;
  const link = createMemoryLink();
  const a = new Stack();
  const b = new Stack();
  const log = (who: string) => (e: StackEvent) => {
    switch (e.type) {
      case 'InterfaceAdded':
        console.log(`${stamp()} ${who}: interface ${e.name} up (${e.kind}, lladdr ${e.lladdr}, mtu ${e.mtu})`);
        break;
      case 'AddressAdded':
        console.log(`${stamp()} ${who}: address ${e.address}/${e.prefixLen} (${e.origin}, ${e.state})`);
        break;
      case 'AddressStateChanged':
        console.log(`${stamp()} ${who}: address ${e.address} ${e.state}${e.state === 'preferred' ? ' (DAD done, RFC 4862 §5.4)' : ''}`);
        break;
      case 'AddressRemoved':
        console.log(`${stamp()} ${who}: address ${e.address} removed`);
        break;
      case 'NeighborChanged':
        console.log(`${stamp()} ${who}: neighbor ${e.address} ${e.state}${e.lladdr ? ` lladdr ${e.lladdr}` : ''}`);
        break;
      case 'ResolutionFailed':
        console.log(`${stamp()} ${who}: could not resolve ${e.address} (${e.dropped} packets dropped)`);
        break;
      case 'RouterAdded':
        console.log(`${stamp()} ${who}: router ${e.address} (preference ${e.preference}, lifetime ${e.lifetime}s)`);
        break;
      case 'DefaultRouterChanged':
        console.log(`${stamp()} ${who}: default router ${e.address ?? 'none'}`);
        break;
      case 'PrefixAdded':
        console.log(`${stamp()} ${who}: on-link prefix ${e.prefix} (valid ${e.validLifetime}s)`);
        break;
      case 'DnsChanged':
        console.log(`${stamp()} ${who}: DNS servers ${e.servers.join(', ') || 'none'}; search ${e.searchList.join(' ') || 'none'}`);
        break;
    }
  };
  a.on('event', log('A'));
  b.on('event', log('B'));
  console.log(`wasagi demo: two stacks on an in-process Ethernet link (hot path: ${a.engine.simd ? 'WASM SIMD' : 'WASM scalar'})`);
  a.addInterface({ link, name: 'sim0', mac: '02:00:5e:00:00:0a', addresses: ['2001:db8:d::a/64', '192.0.2.10/24'] });
  b.addInterface({ link, name: 'sim0', mac: '02:00:5e:00:00:0b', addresses: ['2001:db8:d::b/64', '192.0.2.11/24'] });
  console.log(`(link-local addresses are RFC 7217 stable-privacy; every address runs Duplicate Address Detection first)`);
  await Promise.all([a.addressesSettled(), b.addressesSettled()]);

  console.log(`\n$ ping -c 3 -i 0.2 2001:db8:d::b   (from A; the first request waits for address resolution)`);
  const s1 = await runPing(a, '2001:db8:d::b', { count: 3, interval: 0.2, size }, true);
  printSummary(s1);
  const aLinkLocal = a.formatAddr(a.interface('sim0').addresses.find((x) => x.origin === 'link-local')!.addr, a.interface('sim0'));
  console.log(`\n$ ping -c 2 ${aLinkLocal}   (from B, link-local with a zone)`);
  const s2 = await runPing(b, aLinkLocal, { count: 2, interval: 0.2, size }, true);
  printSummary(s2);

  // A router on the link (a scripted one: wasagi is a host) advertises itself,
  // a prefix, a more specific route and a DNS server (RFC 4861 §6.3.4,
  // RFC 4191, RFC 8106); both stacks learn them.
  console.log(`\n(a router fe80::1 on sim0 sends a Router Advertisement)`);
  sendDemoRa(link);
  await new Promise((r) => setTimeout(r, 20));
  console.log(`\nA$ ip -6 route\n${indent(formatRouteText(showRoute(a)))}`);
  const dns = a.dns();
  console.log(`A$ cat resolv.conf (from RDNSS/DNSSL)\n${indent([...dns.servers.map((x) => `nameserver ${x.address}`), `search ${dns.searchList.map((x) => x.domain).join(' ')}`].join('\n'))}`);

  // The dual stack (paper §4): ARP and ICMPv4, and one udp6 socket serving IPv4 through mapped addresses.
  console.log(`\n$ ping -4 -c 2 -i 0.2 192.0.2.11   (from A; ARP resolves B first, B answers in WASM)`);
  const s4 = await runPing(a, '192.0.2.11', { count: 2, interval: 0.2, size }, true);
  printSummary(s4);
  const server = b.dgram.createSocket({ type: 'udp6' }); // no ipv6Only: IPv4 arrives as ::ffff:a.b.c.d
  server.on('message', (m: Buffer, r: { address: string; port: number }) => {
    console.log(`B udp6 [::]:7 got "${m}" from [${r.address}]:${r.port}`);
    server.send(m, r.port, r.address);
  });
  await new Promise<void>((r) => server.bind(7, () => r()));
  for (const [type, dst] of [['udp4', '192.0.2.11'], ['udp6', '2001:db8:d::b']] as const) {
    const c = a.dgram.createSocket(type);
    await new Promise<void>((r) => {
      c.on('message', (m: Buffer, ri: { address: string; port: number }) => {
        console.log(`A ${type} got the echo "${m}" from ${ri.address}:${ri.port}`);
        c.close();
        r();
      });
      c.send(`hello over ${type === 'udp4' ? 'IPv4' : 'IPv6'}`, 7, dst);
    });
  }
  server.close();

  console.log(`\nA$ ip neigh\n${indent(formatNeighText(showNeigh(a)))}`);
  console.log(`B$ ip neigh\n${indent(formatNeighText(showNeigh(b)))}`);

  console.log(`\n$ ping -f -c ${count} -s ${size} 2001:db8:d::b   (flood from A; B answers in WASM)`);
  const fp = a.ping('2001:db8:d::b', { count, size, flood: true });
  let last = 0;
  fp.on('reply', () => {
    const n = ++last;
    if (n % Math.max(1, Math.floor(count / 10)) === 0) process.stderr.write(`\r  ${n}/${count} replies…`);
  });
  const fs = await fp.done;
  process.stderr.write('\r' + ' '.repeat(40) + '\r');
  printSummary(fs);
  const pps = fs.received / (fs.time / 1000);
  const sorted = [...fs.rtts].sort((x, y) => x - y);
  console.log(`  ${pps.toFixed(0)} echoes/s through two stacks in one process; p50 ${fmtMs(percentile(sorted, 50))} ms, p99 ${fmtMs(percentile(sorted, 99))} ms`);
  console.log(`  RTT distribution:`);
  for (const l of histogram(fs.rtts)) console.log(`    ${l}`);

  const cb = b.counters();
  console.log(`\nB counters: Ip6InReceives ${cb.mib.Ip6InReceives}, Icmp6InEchos ${cb.mib.Icmp6InEchos}, Icmp6OutEchoReplies ${cb.mib.Icmp6OutEchoReplies}, NS in/out ${cb.mib.Icmp6InNeighborSolicits}/${cb.mib.Icmp6OutNeighborSolicits}, NA in/out ${cb.mib.Icmp6InNeighborAdvertisements}/${cb.mib.Icmp6OutNeighborAdvertisements}`);
  const drops = Object.entries(cb.drops).filter(([, v]) => v > 0);
  console.log(`B drops: ${drops.length ? drops.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  a.close();
  b.close();
  return fs.received === fs.transmitted && s1.received === 3 && s2.received === 2 ? 0 : 1;
}

/** A Router Advertisement from a scripted router (MAC 02:00:5e:00:00:01, fe80::1) onto `link`. */
function sendDemoRa(link: MemoryLink): void {
  const router = link.port('router');
  const mac = Uint8Array.from([2, 0, 0x5e, 0, 0, 1]);
  const ra = emitRouterAdvert({
    curHopLimit: 64,
    routerLifetime: 1800,
    reachableTime: 30_000,
    retransTimer: 1_000,
    sourceLinkAddr: mac,
    mtu: 1500,
    prefixes: [{ prefixLength: 64, onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400, prefix: parseIp6('2001:db8:d::') }],
    routes: [{ prefixLength: 48, preference: 'high', lifetime: 1800, prefix: parseIp6('2001:db8:f00::') }],
    rdnss: [{ lifetime: 600, servers: [parseIp6('2001:db8:d::53')] }],
    dnssl: [{ lifetime: 600, domains: ['example.test'] }],
  });
  const frame = new Uint8Array(14 + 40 + ra.length);
  frame.set([0x33, 0x33, 0, 0, 0, 1, ...mac, 0x86, 0xdd]);
  emitIp6Header(frame, 14, { payloadLength: ra.length, nextHeader: 58, hopLimit: 255, src: parseIp6('fe80::1'), dst: parseIp6('ff02::1') });
  const c = upperLayerChecksum(parseIp6('fe80::1'), parseIp6('ff02::1'), 58, ra);
  ra[2] = c >> 8;
  ra[3] = c & 0xff;
  frame.set(ra, 54);
  link.inject(router, frame);
  router.close();
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function fmtMs(ms: number): string {
  return ms.toFixed(3);
}

function runPing(stack: Stack, dest: string, opts: { count: number; interval: number; size: number }, verbose: boolean): Promise<PingSummary> {
  const p = stack.ping(dest, opts);
  // iputils: IPv4 shows the datagram size (data + 8 ICMP + 20 IP), IPv6 only the data.
  console.log(/^\d+(\.\d+){3}$/.test(p.destination) ? `PING ${p.destination} (${p.destination}) ${p.size}(${p.size + 28}) bytes of data.` : `PING ${p.destination} (${p.destination}) ${p.size} data bytes`);
  if (verbose) p.on('reply', (r: PingReply) => printReply(r));
  return p.done;
}

function printReply(r: PingReply): void {
  console.log(`${r.bytes} bytes from ${r.from}: icmp_seq=${r.seq} ttl=${r.hopLimit} time=${r.rtt < 10 ? r.rtt.toFixed(3) : r.rtt.toFixed(1)} ms${r.duplicate ? ' (DUP!)' : ''}`);
}

function printSummary(s: PingSummary): void {
  console.log(`\n--- ${s.destination} ping statistics ---`);
  console.log(
    `${s.transmitted} packets transmitted, ${s.received} received,${s.duplicates ? ` +${s.duplicates} duplicates,` : ''}${s.errors ? ` +${s.errors} errors,` : ''} ${+s.loss.toFixed(4)}% packet loss, time ${Math.round(s.time)}ms`,
  );
  if (s.received) console.log(`rtt min/avg/max/mdev = ${fmtMs(s.min)}/${fmtMs(s.avg)}/${fmtMs(s.max)}/${fmtMs(s.mdev)} ms`);
}

// --- up ---------------------------------------------------------------------------

async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tap: { type: 'string' },
      tun: { type: 'boolean' },
      mac: { type: 'string' },
      addr: { type: 'string', multiple: true },
      mtu: { type: 'string' },
      ctl: { type: 'string' },
      'busy-poll': { type: 'string' },
      warmup: { type: 'string' },
      pcap: { type: 'string' },
      iid: { type: 'string' },
      route: { type: 'string', multiple: true },
      'temp-addresses': { type: 'boolean' },
      dad: { type: 'string' },
      'stable-secret': { type: 'string' },
      'udp-echo': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  if (!values.tap) throw new WasagiError('ERR_INVALID_ARG', 'up needs --tap NAME');
  const mtu = values.mtu === undefined ? undefined : intOpt('mtu', values.mtu, 1500, 1280, 2034);
  // Warm the compilers up before the device exists, so the first real packets
  // do not share the CPU with V8's background tier-up.
  await warmUp(intOpt('warmup', values.warmup, 20_000, 0, 10_000_000));
  const secretHex = values['stable-secret'];
  if (secretHex !== undefined && !/^([0-9a-fA-F]{2}){16,}$/.test(secretHex)) throw new WasagiError('ERR_INVALID_ARG', '--stable-secret must be at least 16 bytes of hex');
  const iid = values.iid ?? 'stable';
  if (iid !== 'stable' && iid !== 'eui64') throw new WasagiError('ERR_INVALID_ARG', '--iid must be "stable" or "eui64"');
  const stack = new Stack({ stableSecret: secretHex ? Uint8Array.from(Buffer.from(secretHex, 'hex')) : undefined });
  if (values.verbose) {
    stack.on('event', (e: StackEvent) => console.error(`wasagi: ${JSON.stringify(e)}`));
  }
  const iface = stack.addInterface({
    tap: { name: values.tap, mode: values.tun ? 'tun' : 'tap', mtu, busyPoll: intOpt('busy-poll', values['busy-poll'], 100, 0, 1000) },
    mac: values.mac,
    addresses: values.addr ?? [],
    pcap: values.pcap,
    iid,
    dadTransmits: intOpt('dad', values.dad, 1, 0, 10),
    tempAddresses: values['temp-addresses'] ?? false,
  });
  for (const r of values.route ?? []) {
    // PREFIX[=GATEWAY]: through a gateway, or on-link on this interface.
    const [prefix, via] = r.split('=');
    stack.addRoute(prefix, via ? { via: via.includes('%') || !via.startsWith('fe80') ? via : `${via}%${iface.name}`, dev: iface.name } : { dev: iface.name });
  }
  // Announce once Duplicate Address Detection has finished (RFC 4862 §5.4).
  await stack.addressesSettled(15_000);
  if (values['udp-echo'] !== undefined) await startUdpEcho(stack, intOpt('udp-echo', values['udp-echo'], 0, 1, 65535));
  const ctl = values.ctl ?? defaultCtlPath();
  const server = await serveCtl(stack, ctl);
  const addrs = iface.addresses
    .map((a) => `${stack.formatAddr(a.addr, iface)}/${a.prefixLen}`)
    .concat(stack.v4.addresses(iface.ifindex).map((a) => `${a.addr[12]}.${a.addr[13]}.${a.addr[14]}.${a.addr[15]}/${a.prefixLen}`))
    .join(', ');
  console.log(`wasagi up: ${iface.name} (${iface.device.kind}${iface.mac ? `, lladdr ${formatMacOf(iface.mac)}` : ''}, mtu ${iface.mtu}) ${addrs}; control socket ${ctl}; hot path ${stack.engine.simd ? 'SIMD' : 'scalar'}`);
  return new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      console.error(`wasagi: ${sig}, shutting down`);
      server.close();
      stack.close();
      resolve(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** `up --udp-echo PORT`: a dual-stack udp6 socket that sends every datagram back to its sender. */
async function startUdpEcho(stack: Stack, port: number): Promise<void> {
  const s = stack.dgram.createSocket({ type: 'udp6' });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, () => {
      s.off('error', reject);
      resolve();
    });
  });
  let failures = 0;
  s.on('error', (e: Error & { code?: string }) => {
    if (failures++ === 0) console.error(`wasagi: udp echo: ${e.message} (further send errors not shown)`);
  });
  s.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => s.send(msg, rinfo.port, rinfo.address));
}

function formatMacOf(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

// --- show / ping through the control socket ------------------------------------

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', short: 'j' }, ctl: { type: 'string' } } });
  const what = positionals[0];
  if (what !== 'addr' && what !== 'neigh' && what !== 'route' && what !== 'stats' && what !== 'dns') {
    throw new WasagiError('ERR_INVALID_ARG', 'show needs one of: addr, neigh, route, stats, dns');
  }
  let result: unknown;
  let error: { code: string; message: string } | undefined;
  await ctlRequest(values.ctl ?? defaultCtlPath(), { cmd: 'show', what }, (m) => {
    if (m.ok) result = m.data;
    else error = m.error as { code: string; message: string };
  });
  if (error) throw new WasagiError(error.code, error.message);
  if (values.json) console.log(JSON.stringify(result));
  else if (what === 'addr') console.log(formatAddrText(result as LinkAddrs[]));
  else if (what === 'neigh') {
    const t = formatNeighText(result as NeighJson[]);
    if (t) console.log(t);
  } else if (what === 'route') {
    const t = formatRouteText(result as RouteJson[]);
    if (t) console.log(t);
  } else if (what === 'dns') {
    const d = result as { servers: Array<{ address: string; interface: string; expires: number }>; searchList: Array<{ domain: string; interface: string; expires: number }> };
    for (const x of d.servers) console.log(`nameserver ${x.address}  # ${x.interface}, expires ${x.expires === null ? 'never' : `${x.expires}s`}`);
    if (d.searchList.length) console.log(`search ${d.searchList.map((x) => x.domain).join(' ')}`);
  } else console.log(formatStatsText(result as { mib: Record<string, number>; drops: Record<string, number> }));
  return 0;
}

async function ping(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string', short: 'c' },
      interval: { type: 'string', short: 'i' },
      size: { type: 'string', short: 's' },
      timeout: { type: 'string', short: 'W' },
      flood: { type: 'boolean', short: 'f' },
      ctl: { type: 'string' },
    },
  });
  const dest = positionals[0];
  if (!dest) throw new WasagiError('ERR_INVALID_ARG', 'ping needs a destination');
  const req = {
    cmd: 'ping' as const,
    dest,
    count: values.count === undefined ? (values.flood ? 1000 : 4) : intOpt('c', values.count, 4, 1, 100_000_000),
    interval: numOpt('-i', values.interval, 1, 0),
    size: intOpt('s', values.size, 56, 0, 65_000),
    timeout: values.timeout === undefined ? undefined : numOpt('-W', values.timeout, 1, 0),
    flood: values.flood ?? false,
  };
  let summary: PingSummary | undefined;
  let error: { code: string; message: string } | undefined;
  await ctlRequest(values.ctl ?? defaultCtlPath(), req, (m) => {
    if (m.type === 'start') console.log(`PING ${m.destination} (${m.destination}) ${m.size} data bytes`);
    else if (m.type === 'reply') printReply(m as unknown as PingReply);
    else if (m.type === 'unreachable') console.log(`From ${m.from} icmp_seq=${m.seq} ${m.message}`);
    else if (m.type === 'done') summary = m.summary as PingSummary;
    else if (m.ok === false) error = m.error as { code: string; message: string };
  });
  if (error) throw new WasagiError(error.code, error.message);
  if (!summary) throw new WasagiError('ERR_CTL', 'the instance closed the connection before the ping finished');
  printSummary(summary);
  return summary.received > 0 ? 0 : 1;
}
