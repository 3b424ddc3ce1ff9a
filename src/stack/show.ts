// Views of the stack in iproute2's JSON shapes (`ip -j -6 addr`, `ip -j -6 neigh`),
// so tools written for the kernel read wasagi too, and their text forms.

import { formatIp6, formatMac, isLinkLocal } from '../wire/address.js';
import type { Stack } from './stack.js';

/** iproute2 prints "forever" lifetimes as 4294967295 in JSON. */
const INFINITY_LIFETIME = 4294967295;

export interface AddrInfo {
  family: 'inet6';
  local: string;
  prefixlen: number;
  scope: 'link' | 'global' | 'host';
  tentative?: true;
  deprecated?: true;
  dadfailed?: true;
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

export function showAddr(stack: Stack): LinkAddrs[] {
  return stack.interfaces.map((i) => ({
    ifindex: i.ifindex,
    ifname: i.name,
    flags: i.device.ethernet ? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] : ['POINTOPOINT', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'],
    mtu: i.mtu,
    operstate: i.up ? 'UP' : 'DOWN',
    link_type: i.device.ethernet ? 'ether' : 'none',
    ...(i.mac ? { address: formatMac(i.mac) } : {}),
    addr_info: i.addresses.map((a) => ({
      family: 'inet6' as const,
      local: formatIp6(a.addr),
      prefixlen: a.prefixLen,
      scope: isLinkLocal(a.addr) ? ('link' as const) : ('global' as const),
      ...(a.tentative ? { tentative: true as const } : {}),
      ...(a.deprecated ? { deprecated: true as const } : {}),
      valid_life_time: INFINITY_LIFETIME,
      preferred_life_time: a.deprecated ? 0 : INFINITY_LIFETIME,
    })),
  }));
}

export function showNeigh(stack: Stack): NeighJson[] {
  return stack.neighbors.list().map((e) => {
    const iface = stack.interface(e.ifindex);
    return {
      dst: formatIp6(e.addr),
      dev: iface.name,
      ...(e.mac && e.state !== 'INCOMPLETE' ? { lladdr: formatMac(e.mac) } : {}),
      ...(e.isRouter ? { router: null } : {}),
      state: [e.state],
    };
  });
}

export function formatAddrText(links: LinkAddrs[]): string {
  const out: string[] = [];
  for (const l of links) {
    out.push(`${l.ifindex}: ${l.ifname}: <${l.flags.join(',')}> mtu ${l.mtu} state ${l.operstate}`);
    out.push(`    link/${l.link_type}${l.address ? ` ${l.address}` : ''}`);
    for (const a of l.addr_info) {
      const flags = [a.tentative && 'tentative', a.deprecated && 'deprecated', a.dadfailed && 'dadfailed'].filter(Boolean).join(' ');
      out.push(`    inet6 ${a.local}/${a.prefixlen} scope ${a.scope}${flags ? ` ${flags}` : ''} `);
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
