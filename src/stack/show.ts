// Views of the stack in iproute2's JSON shapes (`ip -j -6 addr`, `ip -j -6 neigh`),
// so tools written for the kernel read wasagi too, and their text forms.

import { formatIp6, formatMac, isLinkLocal, maskPrefix } from '../wire/address.js';
import type { Stack } from './stack.js';
import { formatV4 } from './ipv4.js';

/** iproute2 prints "forever" lifetimes as 4294967295 in JSON. */
const INFINITY_LIFETIME = 4294967295;

export interface AddrInfo {
  family: 'inet6' | 'inet';
  local: string;
  prefixlen: number;
  scope: 'link' | 'global' | 'host';
  temporary?: true;
  dynamic?: true;
  tentative?: true;
  optimistic?: true;
  deprecated?: true;
  dadfailed?: true;
  anycast?: true;
  valid_life_time: number;
  preferred_life_time: number;
}

export interface LinkAddrs {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: 'UP' | 'DOWN';
  link_type: 'ether' | 'none';
  address?: string;
  addr_info: AddrInfo[];
}

export interface NeighJson {
  dst: string;
  dev: string;
  lladdr?: string;
  router?: null;
  state: string[];
}

/** Seconds left, as iproute2 prints lifetimes (all ones for forever). */
function secondsLeft(until: number, now: number): number {
  return until === Infinity ? INFINITY_LIFETIME : Math.max(0, Math.floor((until - now) / 1000));
}

export function showAddr(stack: Stack): LinkAddrs[] {
  const now = stack.clock.now();
  return stack.interfaces.map((i) => ({
    ifindex: i.ifindex,
    ifname: i.name,
    flags: i.device.ethernet ? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] : ['POINTOPOINT', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'],
    mtu: i.mtu,
    operstate: i.up ? 'UP' : 'DOWN',
    link_type: i.device.ethernet ? 'ether' : 'none',
    ...(i.mac ? { address: formatMac(i.mac) } : {}),
    addr_info: i.addresses.map((a): AddrInfo => ({
      family: 'inet6' as const,
      local: formatIp6(a.addr),
      prefixlen: a.prefixLen,
      scope: isLinkLocal(a.addr) ? ('link' as const) : ('global' as const),
      ...(a.origin === 'temporary' ? { temporary: true as const } : {}),
      ...(a.origin === 'slaac' || a.origin === 'temporary' ? { dynamic: true as const } : {}),
      ...(a.state === 'tentative' || a.state === 'dadfailed' ? { tentative: true as const } : {}),
      ...(a.state === 'optimistic' ? { optimistic: true as const } : {}),
      ...(a.state === 'deprecated' ? { deprecated: true as const } : {}),
      ...(a.state === 'dadfailed' ? { dadfailed: true as const } : {}),
      ...(a.anycast ? { anycast: true as const } : {}),
      valid_life_time: secondsLeft(a.validUntil, now),
      preferred_life_time: a.state === 'deprecated' ? 0 : secondsLeft(a.preferredUntil, now),
    })).concat(
      stack.v4.addresses(i.ifindex).map((a): AddrInfo => ({
        family: 'inet' as const,
        local: formatV4(a.addr),
        prefixlen: a.prefixLen,
        scope: 'global' as const,
        valid_life_time: INFINITY_LIFETIME,
        preferred_life_time: INFINITY_LIFETIME,
      })),
    ),
  }));
}

export function showNeigh(stack: Stack): NeighJson[] {
  const arp: NeighJson[] = [];
  for (const i of stack.interfaces) {
    for (const e of stack.v4.arp(i.ifindex)?.list() ?? []) {
      arp.push({ dst: `${e.addr[0]}.${e.addr[1]}.${e.addr[2]}.${e.addr[3]}`, dev: i.name, ...(e.mac && e.state !== 'INCOMPLETE' ? { lladdr: formatMac(e.mac) } : {}), state: [e.state] });
    }
  }
  return arp.concat(stack.neighbors.list().map((e) => {
    const iface = stack.interface(e.ifindex);
    return {
      dst: formatIp6(e.addr),
      dev: iface.name,
      ...(e.mac && e.state !== 'INCOMPLETE' ? { lladdr: formatMac(e.mac) } : {}),
      ...(e.isRouter ? { router: null } : {}),
      state: [e.state],
    };
  }));
}

export function formatAddrText(links: LinkAddrs[]): string {
  const out: string[] = [];
  for (const l of links) {
    out.push(`${l.ifindex}: ${l.ifname}: <${l.flags.join(',')}> mtu ${l.mtu} state ${l.operstate}`);
    out.push(`    link/${l.link_type}${l.address ? ` ${l.address}` : ''}`);
    for (const a of l.addr_info) {
      const flags = [a.temporary && 'temporary', a.dynamic && 'dynamic', a.optimistic && 'optimistic', a.deprecated && 'deprecated', a.dadfailed && 'dadfailed', a.tentative && 'tentative', a.anycast && 'anycast']
        .filter(Boolean)
        .join(' ');
      out.push(`    ${a.family} ${a.local}/${a.prefixlen} scope ${a.scope}${flags ? ` ${flags}` : ''} `);
      const life = (s: number): string => (s === INFINITY_LIFETIME ? 'forever' : `${s}sec`);
      out.push(`       valid_lft ${life(a.valid_life_time)} preferred_lft ${life(a.preferred_life_time)}`);
    }
  }
  return out.join('\n');
}

export function formatNeighText(n: NeighJson[]): string {
  return n
    .map((e) => `${e.dst} dev ${e.dev}${e.lladdr ? ` lladdr ${e.lladdr}` : ''}${e.router === null ? ' router' : ''} ${e.state.join(',')}`)
    .join('\n');
}

export function formatStatsText(c: { mib: Record<string, number>; drops: Record<string, number> }): string {
  const w = Math.max(...Object.keys(c.mib).map((k) => k.length), ...Object.keys(c.drops).map((k) => k.length + 5));
  const lines = Object.entries(c.mib).map(([k, v]) => `${k.padEnd(w)} ${v}`);
  const drops = Object.entries(c.drops).filter(([, v]) => v > 0);
  if (drops.length) lines.push('', ...drops.map(([k, v]) => `Drop ${k}`.padEnd(w + 1) + ` ${v}`));
  return lines.join('\n');
}

export interface RouteJson {
  dst: string;
  gateway?: string;
  dev: string;
  protocol: 'kernel' | 'ra' | 'redirect' | 'static';
  metric: number;
  flags: string[];
  pref?: 'high' | 'medium' | 'low';
  expires?: number;
}

/** Routes in `ip -j -6 route` shape: on-link prefixes, RA routes, default routers. */
export function showRoute(stack: Stack): RouteJson[] {
  const now = stack.clock.now();
  const secs = (t: number): number | undefined => (t === Infinity ? undefined : Math.max(0, Math.round((t - now) / 1000)));
  const out: RouteJson[] = [];
  for (const i of stack.interfaces) {
    for (const a of i.addresses) {
      if (a.prefixLen >= 128) continue;
      const p = maskText(a.addr, a.prefixLen);
      if (!out.some((r) => r.dst === p && r.dev === i.name)) out.push({ dst: p, dev: i.name, protocol: 'kernel', metric: 256, flags: [], pref: 'medium' });
    }
  }
  for (const p of stack.routers.prefixes.values()) {
    const dst = `${formatIp6(p.prefix)}/${p.prefixLength}`;
    const dev = stack.interface(p.ifindex).name;
    if (!out.some((r) => r.dst === dst && r.dev === dev)) out.push({ dst, dev, protocol: 'ra', metric: 256, flags: [], pref: 'medium', ...opt('expires', secs(p.expiresAt)) });
  }
  for (const r of stack.routers.routes.values()) {
    out.push({ dst: r.prefixLength === 0 ? 'default' : `${formatIp6(r.prefix)}/${r.prefixLength}`, gateway: formatIp6(r.router), dev: stack.interface(r.ifindex).name, protocol: 'ra', metric: 1024, flags: [], pref: r.preference, ...opt('expires', secs(r.expiresAt)) });
  }
  for (const r of stack.staticRoutes) {
    out.push({ dst: r.prefixLength === 0 ? 'default' : `${formatIp6(r.prefix)}/${r.prefixLength}`, ...(r.via ? { gateway: formatIp6(r.via) } : {}), dev: stack.interface(r.ifindex).name, protocol: 'static', metric: 1024, flags: [], pref: 'medium' });
  }
  for (const i of stack.interfaces) {
    for (const a of stack.v4.addresses(i.ifindex)) {
      const n = ((a.addr[12] << 24) | (a.addr[13] << 16) | (a.addr[14] << 8) | a.addr[15]) >>> 0;
      const m = a.prefixLen === 0 ? 0 : (n & ((0xffffffff << (32 - a.prefixLen)) >>> 0)) >>> 0;
      out.push({ dst: `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${a.prefixLen}`, dev: i.name, protocol: 'kernel', metric: 0, flags: [] });
    }
  }
  for (const r of stack.v4.routes) {
    out.push({ dst: r.prefixLen === 0 ? 'default' : `${formatV4(r.prefix)}/${r.prefixLen}`, ...(r.via ? { gateway: formatV4(r.via) } : {}), dev: stack.interface(r.ifindex).name, protocol: 'static', metric: 0, flags: [] });
  }
  for (const i of stack.interfaces) {
    for (const r of stack.routers.routersOf(i.ifindex)) {
      out.push({ dst: 'default', gateway: formatIp6(r.addr), dev: i.name, protocol: 'ra', metric: 1024, flags: [], pref: r.preference, ...opt('expires', secs(r.expiresAt)) });
    }
  }
  return out;
}

function opt<K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, number>);
}

function maskText(a: Uint8Array, plen: number): string {
  return `${formatIp6(maskPrefix(a, plen))}/${plen}`;
}

export function formatRouteText(routes: RouteJson[]): string {
  return routes
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev} proto ${r.protocol} metric ${r.metric}${r.expires !== undefined ? ` expires ${r.expires}sec` : ''}${r.pref ? ` pref ${r.pref}` : ''}`)
    .join('\n');
}
