// The UDP port space (src/socket/portspace.ts) against the Linux kernel it
// models (USAGI paper §4, IPV6_V6ONLY): every scenario below is a sequence of
// socket operations played twice, on node:dgram sockets over this host's
// loopback and on a PortSpace that knows the same local addresses, and each
// step must end the same way on both (bound, or the same errno). Each bind
// also carries the outcome we expect from reading Linux; that is checked too
// when the host runs with net.ipv6.bindv6only = 0 (the default) — when the
// kernel and the reading disagree, the kernel wins and the table is wrong.
//
// Ports: each scenario gets a block of 10 from 61000 up, above Linux's
// ephemeral range (32768–60999) so port-0 binds anywhere on the host cannot
// take them mid-scenario, and every port of a block is checked free first.
//
// After the bind scenarios, delivery scenarios send real datagrams over
// loopback and check that `lookup` names the socket the kernel delivered to,
// and `remoteInfo` the sender as the kernel showed it; then unit tests of the
// rules that loopback cannot show (interfaces, ephemeral port choice, errors).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { WasagiError } from '../../src/errors.js';
import {
  EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN, PortSpace, remoteInfo,
  type BindErrorCode, type BoundUdpSocket, type IsLocal, type UdpBindRequest,
} from '../../src/socket/portspace.js';
import { ip6Equal, parseIp6, parseIp6Zoned, type Ip6 } from '../../src/wire/address.js';

// --- the host ------------------------------------------------------------------

const readSys = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const HOST_BINDV6ONLY = readSys('/proc/sys/net/ipv6/bindv6only') === '1';
const HOST_RANGE = (readSys('/proc/sys/net/ipv4/ip_local_port_range') ?? `${EPHEMERAL_PORT_MIN} ${EPHEMERAL_PORT_MAX}`).split(/\s+/).map(Number);
const LO = Number(readSys('/sys/class/net/lo/ifindex') ?? '1');
const IFINDEX: Record<string, number> = { lo: LO };
const V6_LOOPBACK = parseIp6('::1');

/**
 * The host's local addresses as far as the scenarios go: all of 127.0.0.0/8
 * (Linux routes the whole block to lo: "local 127.0.0.0/8 dev lo") and ::1.
 * The non-local addresses used are documentation ones (198.51.100.7,
 * 2001:db8::7) and fe80::1, which no interface here has.
 */
const hostIsLocal: IsLocal = (addr, family) => (family === 4 ? addr[12] === 127 : ip6Equal(addr, V6_LOOPBACK));

/** A seeded PRNG (mulberry32) for the model's ephemeral ports. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- scenarios -------------------------------------------------------------------

type Outcome = 'ok' | BindErrorCode;
type SockType = 'udp4' | 'udp6';
/** A port: an offset from the scenario's base, 'ephemeral' (0), or '=name' (the port socket `name` got). */
type PortSpec = number | 'ephemeral' | `=${string}`;

interface BindStep {
  op: 'bind';
  name: string;
  type: SockType;
  v6only: boolean;
  reuse: boolean;
  addr: string;
  port: PortSpec;
  expect: Outcome;
}
interface CloseStep {
  op: 'close';
  name: string;
}
type Step = BindStep | CloseStep;

interface Scenario {
  /** The rule the scenario shows, with the Linux function or RFC behind it. */
  rule: string;
  steps: Step[];
}

/** `spec` is the socket type then options: 'udp6 v6only reuse', 'udp4 reuse', … */
function bind(name: string, spec: string, addr: string, expect: Outcome, port: PortSpec = 0): BindStep {
  const words = spec.split(' ');
  const type = words[0] as SockType;
  assert.ok(type === 'udp4' || type === 'udp6', spec);
  for (const w of words.slice(1)) assert.ok(w === 'v6only' || w === 'reuse', spec);
  return { op: 'bind', name, type, v6only: words.includes('v6only'), reuse: words.includes('reuse'), addr, port, expect };
}
const close = (name: string): CloseStep => ({ op: 'close', name });

const describeStep = (s: Step): string =>
  s.op === 'close'
    ? `close ${s.name}`
    : `${s.name}=${s.type}${s.v6only ? ' v6only' : ''}${s.reuse ? ' reuse' : ''} [${s.addr}]:${s.port === 'ephemeral' ? 0 : typeof s.port === 'number' ? `P+${s.port}` : s.port}`;

// The V6ONLY matrix (paper §4): every kind of bind first, then every kind on
// the same port. X: the second bind fails with EADDRINUSE; .: both bind.
// A udp6 socket's v4 side (sk_rcv_saddr) is 0.0.0.0 when bound to :: without
// V6ONLY, a.b.c.d when bound to ::ffff:a.b.c.d, and none when V6ONLY (set
// explicitly, or by Linux itself on a bind to a specific IPv6 address).
const KINDS: Array<[label: string, spec: string, addr: string]> = [
  ['udp4 0.0.0.0', 'udp4', '0.0.0.0'],
  ['udp4 127.0.0.1', 'udp4', '127.0.0.1'],
  ['udp6 ::ffff:0.0.0.0', 'udp6', '::ffff:0.0.0.0'],
  ['udp6 ::ffff:127.0.0.1', 'udp6', '::ffff:127.0.0.1'],
  ['udp6 ::', 'udp6', '::'],
  ['udp6 v6only ::', 'udp6 v6only', '::'],
  ['udp6 ::1', 'udp6', '::1'],
  ['udp6 v6only ::1', 'udp6 v6only', '::1'],
];
const MATRIX = [
  //  second: 4any 4lo  m-any m-lo ::   ::/6 ::1  ::1/6      first:
  'X X X X X . . .', // udp4 0.0.0.0         IPv4 wildcard: every IPv4 bind, and :: without V6ONLY
  'X X X X X . . .', // udp4 127.0.0.1       the same address, any IPv4 wildcard, :: without V6ONLY
  'X X X X X . . .', // udp6 ::ffff:0.0.0.0  behaves as udp4 0.0.0.0
  'X X X X X . . .', // udp6 ::ffff:127.0.0.1 behaves as udp4 127.0.0.1
  'X X X X X X X X', // udp6 ::              owns both spaces
  '. . . . X X X X', // udp6 v6only ::       owns the IPv6 space only
  '. . . . X X X X', // udp6 ::1             V6ONLY implied by the specific address
  '. . . . X X X X', // udp6 v6only ::1
];

const scenarios: Scenario[] = [];

// 64: the matrix without SO_REUSEADDR.
KINDS.forEach(([l1, s1, a1], i) =>
  KINDS.forEach(([l2, s2, a2], j) => {
    const x = MATRIX[i].split(' ')[j] === 'X';
    scenarios.push({
      rule: `V6ONLY matrix: ${l1} then ${l2} → ${x ? 'EADDRINUSE' : 'both bound'} (inet_rcv_saddr_equal)`,
      steps: [bind('a', s1, a1, 'ok'), bind('b', s2, a2, x ? 'EADDRINUSE' : 'ok')],
    });
  }),
);

// 64: the same matrix when both sockets set SO_REUSEADDR: everything coexists.
KINDS.forEach(([l1, s1, a1]) =>
  KINDS.forEach(([l2, s2, a2]) => {
    scenarios.push({
      rule: `SO_REUSEADDR on both: ${l1} then ${l2} → both bound (udp_lib_lport_inuse: !sk2->sk_reuse || !sk->sk_reuse)`,
      steps: [bind('a', `${s1} reuse`, a1, 'ok'), bind('b', `${s2} reuse`, a2, 'ok')],
    });
  }),
);

scenarios.push(
  // Specific addresses.
  {
    rule: 'different specific IPv4 addresses share a port (ipv4_rcv_saddr_equal: addresses differ, neither is a wildcard)',
    steps: [bind('a', 'udp4', '127.0.0.1', 'ok'), bind('b', 'udp4', '127.0.0.2', 'ok'), bind('c', 'udp6', '::ffff:127.0.0.3', 'ok')],
  },
  {
    rule: 'an IPv4 wildcard conflicts with every specific IPv4 bind before it',
    steps: [bind('a', 'udp4', '127.0.0.1', 'ok'), bind('b', 'udp4', '127.0.0.2', 'ok'), bind('c', 'udp4', '0.0.0.0', 'EADDRINUSE'), bind('d', 'udp6', '::ffff:0.0.0.0', 'EADDRINUSE')],
  },
  {
    rule: 'udp6 :: without V6ONLY conflicts with udp4 specific binds; with V6ONLY it does not (paper §4)',
    steps: [bind('a', 'udp4', '127.0.0.1', 'ok'), bind('b', 'udp4', '127.0.0.2', 'ok'), bind('c', 'udp6', '::', 'EADDRINUSE'), bind('d', 'udp6 v6only', '::', 'ok')],
  },
  {
    rule: 'udp6 V6ONLY :: and udp4 0.0.0.0 split the port; a mapped bind then meets the IPv4 wildcard, ::1 the IPv6 one',
    steps: [
      bind('a', 'udp6 v6only', '::', 'ok'), bind('b', 'udp4', '0.0.0.0', 'ok'),
      bind('c', 'udp6', '::ffff:127.0.0.1', 'EADDRINUSE'), bind('d', 'udp6', '::1', 'EADDRINUSE'), bind('e', 'udp4', '127.0.0.1', 'EADDRINUSE'),
    ],
  },
  {
    rule: 'udp6 ::1 leaves the IPv4 space free: a mapped bind and udp4 0.0.0.0 coexist with it, then they conflict with each other',
    steps: [bind('a', 'udp6', '::1', 'ok'), bind('b', 'udp6', '::ffff:127.0.0.1', 'ok'), bind('c', 'udp4', '127.0.0.1', 'EADDRINUSE'), bind('d', 'udp4', '0.0.0.0', 'EADDRINUSE'), bind('e', 'udp4', '127.0.0.2', 'ok')],
  },
  {
    rule: 'binds on other ports never conflict (udp_lib_lport_inuse compares udp_port_hash first)',
    steps: [bind('a', 'udp6', '::', 'ok', 0), bind('b', 'udp4', '0.0.0.0', 'ok', 1), bind('c', 'udp6', '::', 'ok', 2), bind('d', 'udp4', '0.0.0.0', 'EADDRINUSE', 2)],
  },
  // EINVAL and EADDRNOTAVAIL, and which check comes first.
  {
    rule: 'a mapped address on a V6ONLY socket is EINVAL (__inet6_bind), even the IPv4 wildcard ::ffff:0.0.0.0',
    steps: [bind('a', 'udp6 v6only', '::ffff:127.0.0.1', 'EINVAL'), bind('b', 'udp6 v6only', '::ffff:0.0.0.0', 'EINVAL'), bind('c', 'udp6 v6only reuse', '::ffff:127.0.0.1', 'EINVAL')],
  },
  {
    rule: 'a mapped address on a V6ONLY socket is EINVAL before the port is looked at, and before the address is',
    steps: [bind('a', 'udp4', '127.0.0.1', 'ok'), bind('b', 'udp6 v6only', '::ffff:127.0.0.1', 'EINVAL'), bind('c', 'udp6 v6only', '::ffff:198.51.100.7', 'EINVAL')],
  },
  {
    rule: 'a link-local bind without a zone is EINVAL (__inet6_bind: "requires an interface"), before the port or address checks',
    steps: [bind('a', 'udp6', '::', 'ok'), bind('b', 'udp6', 'fe80::1', 'EINVAL'), bind('c', 'udp6 v6only', 'fe80::1', 'EINVAL')],
  },
  {
    rule: 'a link-local address the zone does not have is EADDRNOTAVAIL (ipv6_chk_addr with the device)',
    steps: [bind('a', 'udp6', 'fe80::1%lo', 'EADDRNOTAVAIL'), bind('b', 'udp6 v6only reuse', 'fe80::1%lo', 'EADDRNOTAVAIL')],
  },
  {
    rule: 'an IPv4 address not on the host is EADDRNOTAVAIL (inet_addr_valid_or_nonlocal), before the port is looked at',
    steps: [bind('a', 'udp4', '0.0.0.0', 'ok'), bind('b', 'udp4', '198.51.100.7', 'EADDRNOTAVAIL'), bind('c', 'udp4 reuse', '198.51.100.7', 'EADDRNOTAVAIL')],
  },
  {
    rule: 'a mapped address not on the host is EADDRNOTAVAIL (__inet6_bind reproduces the AF_INET check)',
    steps: [bind('a', 'udp6', '::ffff:198.51.100.7', 'EADDRNOTAVAIL'), bind('b', 'udp6', '::ffff:127.0.0.1', 'ok')],
  },
  {
    rule: 'an IPv6 address not on the host is EADDRNOTAVAIL (ipv6_chk_addr), before the port is looked at',
    steps: [bind('a', 'udp6', '::', 'ok'), bind('b', 'udp6', '2001:db8::7', 'EADDRNOTAVAIL'), bind('c', 'udp6 v6only', '2001:db8::7', 'EADDRNOTAVAIL')],
  },
  // SO_REUSEADDR on one side only.
  {
    rule: 'SO_REUSEADDR on the first socket only does not help (both must set it)',
    steps: [bind('a', 'udp4 reuse', '0.0.0.0', 'ok'), bind('b', 'udp4', '0.0.0.0', 'EADDRINUSE'), bind('c', 'udp6', '::', 'EADDRINUSE')],
  },
  {
    rule: 'SO_REUSEADDR on the second socket only does not help (both must set it)',
    steps: [bind('a', 'udp6', '::', 'ok'), bind('b', 'udp4 reuse', '127.0.0.1', 'EADDRINUSE'), bind('c', 'udp6 reuse', '::1', 'EADDRINUSE')],
  },
  {
    rule: 'SO_REUSEADDR is checked against every holder: one holder without it blocks',
    steps: [bind('a', 'udp4 reuse', '0.0.0.0', 'ok'), bind('b', 'udp4 reuse', '0.0.0.0', 'ok'), bind('c', 'udp6 v6only', '::', 'ok'), bind('d', 'udp6 reuse', '::', 'EADDRINUSE'), bind('e', 'udp4 reuse', '127.0.0.1', 'ok'), bind('f', 'udp4', '127.0.0.1', 'EADDRINUSE')],
  },
  {
    rule: 'SO_REUSEADDR does not lift EINVAL or EADDRNOTAVAIL',
    steps: [bind('a', 'udp6 reuse', '::', 'ok'), bind('b', 'udp6 v6only reuse', '::ffff:127.0.0.1', 'EINVAL'), bind('c', 'udp4 reuse', '198.51.100.7', 'EADDRNOTAVAIL'), bind('d', 'udp6 reuse', 'fe80::1', 'EINVAL')],
  },
  // Unbind, then rebind.
  {
    rule: 'closing the dual-stack :: frees both spaces for new binds',
    steps: [bind('a', 'udp6', '::', 'ok'), bind('b', 'udp4', '0.0.0.0', 'EADDRINUSE'), close('a'), bind('c', 'udp4', '0.0.0.0', 'ok'), bind('d', 'udp6', '::', 'EADDRINUSE'), bind('e', 'udp6 v6only', '::', 'ok')],
  },
  {
    rule: 'closing a mapped bind frees its IPv4 address; the same address binds again',
    steps: [bind('a', 'udp6', '::ffff:127.0.0.1', 'ok'), bind('b', 'udp4', '127.0.0.1', 'EADDRINUSE'), close('a'), bind('c', 'udp4', '127.0.0.1', 'ok'), close('c'), bind('d', 'udp6', '::ffff:127.0.0.1', 'ok')],
  },
  {
    rule: 'closing a socket whose bind failed frees nothing',
    steps: [bind('a', 'udp4', '0.0.0.0', 'ok'), bind('b', 'udp4', '0.0.0.0', 'EADDRINUSE'), close('b'), bind('c', 'udp4', '127.0.0.1', 'EADDRINUSE'), close('a'), bind('d', 'udp4', '127.0.0.1', 'ok')],
  },
  {
    rule: 'closing one of two SO_REUSEADDR holders leaves the other holding the port',
    steps: [bind('a', 'udp4 reuse', '0.0.0.0', 'ok'), bind('b', 'udp4 reuse', '0.0.0.0', 'ok'), close('a'), bind('c', 'udp4', '127.0.0.1', 'EADDRINUSE'), close('b'), bind('d', 'udp4', '127.0.0.1', 'ok')],
  },
  // Port 0.
  {
    rule: 'port 0 binds an ephemeral port in ip_local_port_range, for every kind of bind (RFC 6056)',
    steps: KINDS.map(([, s, a], i) => bind(String.fromCharCode(97 + i), s, a, 'ok', 'ephemeral')),
  },
  {
    rule: 'an ephemeral dual-stack :: port is then taken in both spaces',
    steps: [bind('a', 'udp6', '::', 'ok', 'ephemeral'), bind('b', 'udp4', '0.0.0.0', 'EADDRINUSE', '=a'), bind('c', 'udp6 v6only', '::1', 'EADDRINUSE', '=a')],
  },
  {
    rule: 'an ephemeral V6ONLY :: port is taken in the IPv6 space only',
    steps: [bind('a', 'udp6 v6only', '::', 'ok', 'ephemeral'), bind('b', 'udp4', '0.0.0.0', 'ok', '=a'), bind('c', 'udp6', '::ffff:127.0.0.1', 'EADDRINUSE', '=a')],
  },
  {
    rule: 'port 0 does not skip the address checks: EINVAL and EADDRNOTAVAIL as with a fixed port',
    steps: [bind('a', 'udp6 v6only', '::ffff:127.0.0.1', 'EINVAL', 'ephemeral'), bind('b', 'udp4', '198.51.100.7', 'EADDRNOTAVAIL', 'ephemeral'), bind('c', 'udp6', 'fe80::1', 'EINVAL', 'ephemeral')],
  },
);

// --- running a scenario on the kernel and on the model ---------------------------

interface StepResult {
  outcome: Outcome | 'closed' | string;
  /** The port asked for (0: ephemeral) and, once bound, the port got. */
  asked?: number;
  port?: number;
}

function resolvePort(p: PortSpec, base: number, got: Map<string, number>): number {
  if (p === 'ephemeral') return 0;
  if (typeof p === 'number') return base + p;
  const port = got.get(p.slice(1));
  assert.ok(port !== undefined, `socket ${p.slice(1)} has no port`);
  return port;
}

function kernelBind(sock: dgram.Socket, port: number, address: string): Promise<StepResult> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      sock.off('listening', onListening);
      resolve({ outcome: err.code ?? String(err) });
    };
    const onListening = (): void => {
      sock.off('error', onError);
      resolve({ outcome: 'ok', port: sock.address().port });
    };
    sock.once('error', onError);
    sock.bind(port, address, onListening);
  });
}

const closeSocket = (sock: dgram.Socket): Promise<void> =>
  new Promise((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });

async function runKernel(steps: Step[], base: number): Promise<StepResult[]> {
  const byName = new Map<string, dgram.Socket>();
  const ports = new Map<string, number>();
  const opened: dgram.Socket[] = [];
  const out: StepResult[] = [];
  try {
    for (const s of steps) {
      if (s.op === 'close') {
        const sock = byName.get(s.name);
        byName.delete(s.name);
        if (sock) await closeSocket(sock);
        out.push({ outcome: 'closed' });
        continue;
      }
      // ipv6Only: false leaves IPV6_V6ONLY at the host's default, like any program.
      const sock = dgram.createSocket({ type: s.type, ipv6Only: s.v6only, reuseAddr: s.reuse });
      opened.push(sock);
      byName.set(s.name, sock);
      const asked = resolvePort(s.port, base, ports);
      const r = await kernelBind(sock, asked, s.addr);
      if (r.port !== undefined) ports.set(s.name, r.port);
      out.push({ ...r, asked });
    }
  } finally {
    for (const sock of opened) await closeSocket(sock);
  }
  return out;
}

/** The PortSpace request for a step: udp4 addresses as ::ffff:a.b.c.d, zones as interface indexes. */
function requestOf(s: BindStep, port: number): UdpBindRequest {
  if (s.type === 'udp4') return { family: 4, reuseAddr: s.reuse, addr: parseIp6(`::ffff:${s.addr}`), port };
  const z = parseIp6Zoned(s.addr);
  const ifindex = z.zone === undefined ? undefined : /^\d+$/.test(z.zone) ? Number(z.zone) : IFINDEX[z.zone];
  // v6only undefined: the space's default, configured like the host's bindv6only.
  return { family: 6, v6only: s.v6only ? true : undefined, reuseAddr: s.reuse, addr: z.addr, port, ifindex };
}

const newSpace = (seed: number): PortSpace => new PortSpace(hostIsLocal, { bindv6only: HOST_BINDV6ONLY, random: prng(seed) });

function runModel(steps: Step[], base: number, seed: number): StepResult[] {
  const space = newSpace(seed);
  const byName = new Map<string, UdpBindRequest>();
  const ports = new Map<string, number>();
  const out: StepResult[] = [];
  for (const s of steps) {
    if (s.op === 'close') {
      const req = byName.get(s.name);
      byName.delete(s.name);
      if (req) space.unbind(req);
      out.push({ outcome: 'closed' });
      continue;
    }
    const asked = resolvePort(s.port, base, ports);
    const req = requestOf(s, asked);
    byName.set(s.name, req);
    const r = space.bind(req);
    if (r.ok) {
      ports.set(s.name, r.port);
      out.push({ outcome: 'ok', asked, port: r.port });
    } else out.push({ outcome: r.code, asked });
  }
  return out;
}

// --- ports ---------------------------------------------------------------------------

const FIRST_BASE = 61000;
let cursor = FIRST_BASE;

async function portFree(port: number): Promise<boolean> {
  // udp6 :: without V6ONLY conflicts with every bind on the port (when the
  // host default lets it be dual-stack); the udp4 probe covers the other case.
  for (const [type, addr] of [['udp6', '::'], ['udp4', '0.0.0.0']] as const) {
    const sock = dgram.createSocket({ type });
    const r = await kernelBind(sock, port, addr);
    await closeSocket(sock);
    if (r.outcome !== 'ok') return false;
  }
  return true;
}

/** The next block of 10 ports, all free on the host. */
async function freeBlock(): Promise<number> {
  for (; cursor + 10 <= 65536; cursor += 10) {
    let free = true;
    for (let p = cursor; p < cursor + 10 && free; p++) free = await portFree(p);
    if (free) {
      const base = cursor;
      cursor += 10;
      return base;
    }
  }
  throw new Error(`no block of 10 free UDP ports left above ${FIRST_BASE}`);
}

// --- the bind scenarios --------------------------------------------------------------

test('the scenario table is large and covers every outcome', () => {
  assert.ok(scenarios.length >= 40, `${scenarios.length} scenarios`);
  const outcomes = new Set(scenarios.flatMap((s) => s.steps.flatMap((st) => (st.op === 'bind' ? [st.expect] : []))));
  assert.deepEqual([...outcomes].sort(), ['EADDRINUSE', 'EADDRNOTAVAIL', 'EINVAL', 'ok']);
});

scenarios.forEach((sc, k) => {
  test(`parity ${k + 1}: ${sc.rule}`, async () => {
    const base = await freeBlock();
    const kernel = await runKernel(sc.steps, base);
    const model = runModel(sc.steps, base, k + 1);
    const table = sc.steps
      .map((s, i) => `  ${describeStep(s).padEnd(44)} linux: ${kernel[i].outcome.padEnd(14)} PortSpace: ${model[i].outcome.padEnd(14)}${s.op === 'bind' ? `expected: ${s.expect}` : ''}`)
      .join('\n');
    assert.deepEqual(
      model.map((r) => r.outcome),
      kernel.map((r) => r.outcome),
      `PortSpace and Linux differ (P = ${base}):\n${table}`,
    );
    if (!HOST_BINDV6ONLY) {
      assert.deepEqual(
        model.map((r) => r.outcome),
        sc.steps.map((s) => (s.op === 'bind' ? s.expect : 'closed')),
        `the table's expectation is wrong (P = ${base}):\n${table}`,
      );
    }
    sc.steps.forEach((s, i) => {
      if (s.op !== 'bind' || model[i].outcome !== 'ok') return;
      if (s.port === 'ephemeral') {
        const [lo, hi] = HOST_RANGE;
        const kp = kernel[i].port as number;
        const mp = model[i].port as number;
        assert.ok(kp >= lo && kp <= hi, `Linux gave ${kp}, outside ${lo}–${hi}`);
        assert.ok(mp >= EPHEMERAL_PORT_MIN && mp <= EPHEMERAL_PORT_MAX, `PortSpace gave ${mp}`);
      } else {
        // A fixed port (or '=name': each side's own port of that socket) is bound as asked.
        assert.equal(kernel[i].port, kernel[i].asked, `${describeStep(s)}: the port Linux bound`);
        assert.equal(model[i].port, model[i].asked, `${describeStep(s)}: the port PortSpace bound`);
      }
    });
  });
});

// --- delivery: which socket the kernel hands a datagram to ---------------------------

interface Delivery {
  rule: string;
  /** Bound in order on port P; all must succeed. */
  sockets: Array<[spec: string, addr: string]>;
  /** Datagrams to [to]:P from a udp4 socket on 127.0.0.1 (IPv4 `to`) or a udp6 one on ::1; `expect` is the receiving socket's index. */
  packets: Array<{ to: string; expect: number | null }>;
}

const deliveries: Delivery[] = [
  {
    rule: 'an IPv4 datagram reaches a dual-stack udp6 :: socket, which sees the sender as ::ffff:127.0.0.1',
    sockets: [['udp6', '::']],
    packets: [{ to: '127.0.0.1', expect: 0 }, { to: '::1', expect: 0 }],
  },
  {
    rule: 'an IPv4 datagram never reaches a V6ONLY socket',
    sockets: [['udp6 v6only', '::']],
    packets: [{ to: '127.0.0.1', expect: null }, { to: '::1', expect: 0 }],
  },
  {
    rule: 'V6ONLY :: and udp4 0.0.0.0 split the port by family',
    sockets: [['udp6 v6only', '::'], ['udp4', '0.0.0.0']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '::1', expect: 0 }],
  },
  {
    rule: 'an IPv6 datagram never reaches a udp4 socket',
    sockets: [['udp4', '0.0.0.0']],
    packets: [{ to: '::1', expect: null }, { to: '127.0.0.1', expect: 0 }],
  },
  {
    rule: 'the exact IPv4 address beats the wildcard bound after it (__udp4_lib_lookup: exact pass first)',
    sockets: [['udp4 reuse', '127.0.0.1'], ['udp4 reuse', '0.0.0.0']],
    packets: [{ to: '127.0.0.1', expect: 0 }, { to: '127.0.0.2', expect: 1 }],
  },
  {
    rule: 'the exact IPv4 address beats the wildcard bound before it',
    sockets: [['udp4 reuse', '0.0.0.0'], ['udp4 reuse', '127.0.0.1']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '127.0.0.2', expect: 0 }],
  },
  {
    rule: 'a udp6 socket bound to the mapped address is an exact match for IPv4',
    sockets: [['udp4 reuse', '0.0.0.0'], ['udp6 reuse', '::ffff:127.0.0.1']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '127.0.0.2', expect: 0 }],
  },
  {
    rule: 'an exact udp4 bind beats a dual-stack udp6 ::',
    sockets: [['udp6 reuse', '::'], ['udp4 reuse', '127.0.0.1']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '127.0.0.2', expect: 0 }, { to: '::1', expect: 0 }],
  },
  {
    rule: 'among IPv4 wildcards udp4 beats a dual-stack udp6, bound after it (compute_score: 2 > 1)',
    sockets: [['udp6 reuse', '::'], ['udp4 reuse', '0.0.0.0']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '::1', expect: 0 }],
  },
  {
    rule: 'among IPv4 wildcards udp4 beats a dual-stack udp6, bound before it',
    sockets: [['udp4 reuse', '0.0.0.0'], ['udp6 reuse', '::']],
    packets: [{ to: '127.0.0.1', expect: 0 }, { to: '::1', expect: 1 }],
  },
  {
    rule: 'the exact IPv6 address beats the wildcard (__udp6_lib_lookup: exact pass first)',
    sockets: [['udp6 reuse', '::1'], ['udp6 reuse', '::']],
    packets: [{ to: '::1', expect: 0 }, { to: '127.0.0.1', expect: 1 }],
  },
  {
    rule: 'a udp6 socket on ::ffff:0.0.0.0 is an IPv4 wildcard and gets no IPv6',
    sockets: [['udp6', '::ffff:0.0.0.0']],
    packets: [{ to: '127.0.0.1', expect: 0 }, { to: '::1', expect: null }],
  },
  {
    rule: 'equal scores go to the socket bound last (head of the hash chain): two udp4 wildcards',
    sockets: [['udp4 reuse', '0.0.0.0'], ['udp4 reuse', '0.0.0.0']],
    packets: [{ to: '127.0.0.1', expect: 1 }],
  },
  {
    rule: 'equal scores go to the socket bound last: udp6 :: and udp6 ::ffff:0.0.0.0 for IPv4',
    sockets: [['udp6 reuse', '::ffff:0.0.0.0'], ['udp6 reuse', '::']],
    packets: [{ to: '127.0.0.1', expect: 1 }, { to: '::1', expect: 1 }],
  },
];

const isV4Text = (s: string): boolean => s.includes('.') && !s.includes(':');
const addrOfText = (s: string): Ip6 => parseIp6(isV4Text(s) ? `::ffff:${s}` : s);

interface Received {
  index: number;
  rinfo: dgram.RemoteInfo;
}

async function kernelDeliver(d: Delivery, base: number): Promise<{ got: Array<Received | null>; senders: Record<4 | 6, number> }> {
  const opened: dgram.Socket[] = [];
  try {
    const inbox: Received[] = [];
    for (const [i, [spec, addr]] of d.sockets.entries()) {
      const st = bind(String(i), spec, addr, 'ok');
      const sock = dgram.createSocket({ type: st.type, ipv6Only: st.v6only, reuseAddr: st.reuse });
      opened.push(sock);
      const r = await kernelBind(sock, base, addr);
      assert.equal(r.outcome, 'ok', `Linux refused socket ${i} ${spec} [${addr}]`);
      sock.on('message', (_msg, rinfo) => inbox.push({ index: i, rinfo }));
    }
    const s4 = dgram.createSocket({ type: 'udp4' });
    const s6 = dgram.createSocket({ type: 'udp6' });
    opened.push(s4, s6);
    const p4 = await kernelBind(s4, 0, '127.0.0.1');
    const p6 = await kernelBind(s6, 0, '::1');
    assert.ok(p4.port && p6.port);
    const got: Array<Received | null> = [];
    for (const p of d.packets) {
      inbox.length = 0;
      const sender = isV4Text(p.to) ? s4 : s6;
      await new Promise<void>((resolve, reject) => sender.send('wasagi', base, p.to, (err) => (err ? reject(err) : resolve())));
      // Loopback delivers within the send; wait for it, then a little longer for any second copy.
      for (let t = 0; t < 50 && inbox.length === 0; t++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(inbox.length <= 1, `one unicast datagram, ${inbox.length} deliveries`);
      got.push(inbox[0] ?? null);
    }
    return { got, senders: { 4: p4.port, 6: p6.port } };
  } finally {
    for (const sock of opened) await closeSocket(sock);
  }
}

deliveries.forEach((d, k) => {
  test(`delivery parity ${k + 1}: ${d.rule}`, async () => {
    const base = await freeBlock();
    const { got, senders } = await kernelDeliver(d, base);

    const space = newSpace(1000 + k);
    const handles: BoundUdpSocket[] = d.sockets.map(([spec, addr], i) => {
      const r = space.bind(requestOf(bind(String(i), spec, addr, 'ok'), base));
      assert.ok(r.ok, `PortSpace refused socket ${i}`);
      return r.handle;
    });
    d.packets.forEach((p, j) => {
      const family = isV4Text(p.to) ? 4 : 6;
      const hit = space.lookup(addrOfText(p.to), base, family, LO);
      const modelIndex = hit === undefined ? null : handles.indexOf(hit);
      const kernelIndex = got[j]?.index ?? null;
      assert.equal(modelIndex, kernelIndex, `datagram to [${p.to}]:P went to socket ${kernelIndex} on Linux, ${modelIndex} in PortSpace`);
      assert.equal(modelIndex, p.expect, `datagram to [${p.to}]:P: expected socket ${p.expect}`);
      if (hit !== undefined && got[j]) {
        const { rinfo } = got[j] as Received;
        const src = family === 4 ? parseIp6('::ffff:127.0.0.1') : V6_LOOPBACK;
        assert.deepEqual(remoteInfo(hit, src, senders[family]), { address: rinfo.address, family: rinfo.family, port: rinfo.port }, 'the sender as the socket sees it');
      }
    });
  });
});

// --- unit tests of the model: delivery ----------------------------------------------

const A = (text: string): Ip6 => addrOfText(text);
const req = (family: 4 | 6, addr: string, port: number, extra: Partial<UdpBindRequest> = {}): UdpBindRequest => ({ family, addr: A(addr), port, ...extra });
function must(space: PortSpace, r: UdpBindRequest): BoundUdpSocket {
  const res = space.bind(r);
  assert.ok(res.ok, `bind refused: ${res.ok ? '' : res.code}`);
  return res.handle;
}
const allLocal: IsLocal = () => true;

test('lookup: an IPv4 datagram reaches a dual-stack :: socket, and its sender shows as ::ffff:a.b.c.d, family IPv6 (RFC 3493 §3.7)', () => {
  const space = new PortSpace(allLocal);
  const dual = must(space, req(6, '::', 5353));
  assert.equal(dual.v6only, false);
  assert.equal(space.lookup(A('192.0.2.1'), 5353, 4, 2), dual);
  assert.deepEqual(remoteInfo(dual, A('198.51.100.9'), 4000), { address: '::ffff:198.51.100.9', family: 'IPv6', port: 4000 });
  const v4 = new PortSpace(allLocal);
  const s4 = must(v4, req(4, '0.0.0.0', 5353));
  assert.deepEqual(remoteInfo(s4, A('198.51.100.9'), 4000), { address: '198.51.100.9', family: 'IPv4', port: 4000 });
});

test('lookup: an IPv4 datagram never reaches a V6ONLY socket, bound to :: or to an IPv6 address (RFC 3493 §5.3)', () => {
  const space = new PortSpace(allLocal);
  const any6 = must(space, req(6, '::', 53, { v6only: true }));
  const one6 = must(space, req(6, '2001:db8::1', 54));
  assert.equal(one6.v6only, true, '__inet6_bind sets V6ONLY on a specific IPv6 bind');
  assert.equal(space.lookup(A('192.0.2.1'), 53, 4), undefined);
  assert.equal(space.lookup(A('192.0.2.1'), 54, 4), undefined);
  assert.equal(space.lookup(A('2001:db8::1'), 53, 6), any6);
  assert.equal(space.lookup(A('2001:db8::1'), 54, 6), one6);
});

test('lookup: an IPv6 datagram never reaches a udp4 socket, nor one bound to a mapped address; nor does one to a mapped destination (RFC 4291 §2.5.5.2)', () => {
  const space = new PortSpace(allLocal);
  must(space, req(4, '0.0.0.0', 53));
  must(space, req(6, '::ffff:0.0.0.0', 54));
  const dual = must(space, req(6, '::', 55));
  assert.equal(space.lookup(A('2001:db8::1'), 53, 6), undefined);
  assert.equal(space.lookup(A('2001:db8::1'), 54, 6), undefined);
  assert.equal(space.lookup(A('::ffff:192.0.2.1'), 55, 6), undefined);
  assert.equal(space.lookup(A('2001:db8::1'), 55, 6), dual);
});

test('lookup: the exact local address beats the wildcard whichever was bound first, in both families (two-pass __udp{4,6}_lib_lookup)', () => {
  for (const order of [0, 1]) {
    const space = new PortSpace(allLocal);
    const reuseAddr = true;
    const binds = [req(4, '0.0.0.0', 9, { reuseAddr }), req(4, '192.0.2.1', 9, { reuseAddr }), req(6, '::', 9, { v6only: true, reuseAddr }), req(6, '2001:db8::1', 9, { reuseAddr })];
    const h = (order ? [...binds].reverse() : binds).map((r) => must(space, r));
    const [wild4, exact4, wild6, exact6] = order ? [...h].reverse() : h;
    assert.equal(space.lookup(A('192.0.2.1'), 9, 4), exact4);
    assert.equal(space.lookup(A('192.0.2.2'), 9, 4), wild4);
    assert.equal(space.lookup(A('2001:db8::1'), 9, 6), exact6);
    assert.equal(space.lookup(A('2001:db8::2'), 9, 6), wild6);
    assert.equal(space.lookup(A('192.0.2.1'), 10, 4), undefined, 'no socket on the port');
  }
});

test('lookup: among IPv4 wildcards udp4 beats dual-stack udp6 (compute_score 2 > 1); equal scores go to the last bound; unbind hands over', () => {
  const space = new PortSpace(allLocal);
  const s4 = must(space, req(4, '0.0.0.0', 7, { reuseAddr: true }));
  const dual = must(space, req(6, '::', 7, { reuseAddr: true }));
  assert.equal(space.lookup(A('192.0.2.1'), 7, 4), s4);
  assert.equal(space.lookup(A('2001:db8::1'), 7, 6), dual);
  const s4b = must(space, req(4, '0.0.0.0', 7, { reuseAddr: true }));
  assert.equal(space.lookup(A('192.0.2.1'), 7, 4), s4b, 'the newer of two equal sockets');
  assert.ok(space.unbind(s4b));
  assert.equal(space.lookup(A('192.0.2.1'), 7, 4), s4);
  assert.ok(space.unbind(s4.request));
  assert.equal(space.lookup(A('192.0.2.1'), 7, 4), dual);
  assert.ok(space.unbind(dual));
  assert.equal(space.lookup(A('192.0.2.1'), 7, 4), undefined);
  assert.equal(space.unbind(dual), false, 'already unbound');
});

test('lookup: a link-local socket gets only datagrams that arrive on its interface (udp_sk_bound_dev_eq)', () => {
  const space = new PortSpace(allLocal);
  const on2 = must(space, req(6, 'fe80::1', 546, { ifindex: 2 }));
  const on3 = must(space, req(6, 'fe80::1', 546, { ifindex: 3, reuseAddr: true }));
  assert.equal(on2.ifindex, 2);
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 2), on2);
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 3), on3);
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 4), undefined);
  assert.deepEqual(space.bind(req(6, '::', 546, { v6only: true, reuseAddr: true })), { ok: false, code: 'EADDRINUSE' }, 'on2 lacks SO_REUSEADDR');
  assert.ok(space.unbind(on2));
  const wild = must(space, req(6, '::', 546, { v6only: true, reuseAddr: true, ifindex: 9 }));
  assert.equal(wild.ifindex, undefined, 'a zone on an address that needs none is ignored, as sin6_scope_id is');
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 4), wild);
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 3), on3, 'the exact address on its interface still wins');
  assert.equal(space.lookup(A('fe80::1'), 546, 6, 2), wild, 'on2 is gone');
});

// --- unit tests of the model: binding ------------------------------------------------

test('link-local binds need a zone (EINVAL) and conflict only on the same interface (udp_lib_lport_inuse: sk_bound_dev_if)', () => {
  const calls: Array<[string, number, number | undefined]> = [];
  const onlyIf2: IsLocal = (a, f, i) => {
    calls.push([Buffer.from(a).toString('hex'), f, i]);
    return i === 2 || i === 3;
  };
  const space = new PortSpace(onlyIf2);
  assert.deepEqual(space.bind(req(6, 'fe80::1', 5000)), { ok: false, code: 'EINVAL' });
  assert.deepEqual(space.bind(req(6, 'ff02::fb', 5000)), { ok: false, code: 'EINVAL' }, 'link-local multicast needs a zone too');
  assert.deepEqual(space.bind(req(6, 'fe80::1', 5000, { ifindex: 4 })), { ok: false, code: 'EADDRNOTAVAIL' });
  assert.deepEqual(calls.at(-1), [Buffer.from(A('fe80::1')).toString('hex'), 6, 4], 'isLocal is asked with the zone');
  assert.ok(space.bind(req(6, 'fe80::1', 5000, { ifindex: 2 })).ok);
  assert.ok(space.bind(req(6, 'fe80::1', 5000, { ifindex: 3 })).ok, 'another interface: no conflict');
  assert.deepEqual(space.bind(req(6, 'fe80::1', 5000, { ifindex: 2 })), { ok: false, code: 'EADDRINUSE' });
  assert.deepEqual(space.bind(req(6, '::', 5000, { v6only: true })), { ok: false, code: 'EADDRINUSE' }, 'an unscoped wildcard meets every interface');
});

test('multicast groups and 255.255.255.255 bind without asking isLocal (RTN_MULTICAST / RTN_BROADCAST; __inet6_bind skips multicast)', () => {
  const space = new PortSpace(() => false);
  assert.ok(space.bind(req(4, '224.0.0.251', 5353)).ok);
  assert.ok(space.bind(req(4, '255.255.255.255', 67)).ok);
  assert.ok(space.bind(req(6, 'ff05::fb', 5353)).ok);
  assert.ok(space.bind(req(6, 'ff02::fb', 5353, { ifindex: 2 })).ok);
  assert.deepEqual(space.bind(req(4, '192.0.2.1', 5353)), { ok: false, code: 'EADDRNOTAVAIL' });
  assert.deepEqual(space.bind(req(6, '2001:db8::1', 5353)), { ok: false, code: 'EADDRNOTAVAIL' });
  assert.deepEqual(space.bind(req(6, '::', 5353, { v6only: true })), { ok: false, code: 'EADDRINUSE' }, 'ff05::fb holds the IPv6 side of 5353');
});

test('a socket binds once: the same request again is EINVAL (udp4 after the address check, udp6 before it); after unbind it binds again', () => {
  const space = new PortSpace((a, f) => f === 4 && a[15] === 1);
  const r4 = req(4, '192.0.2.1', 100);
  assert.ok(space.bind(r4).ok);
  assert.deepEqual(space.bind(r4), { ok: false, code: 'EINVAL' });
  // __inet_bind checks the address before "already bound"; __inet6_bind the other way round.
  const bad4 = req(4, '192.0.2.1', 101);
  assert.ok(space.bind(bad4).ok);
  bad4.addr = A('192.0.2.2');
  assert.deepEqual(space.bind(bad4), { ok: false, code: 'EADDRNOTAVAIL' });
  const r6 = req(6, '::ffff:192.0.2.1', 102);
  assert.ok(space.bind(r6).ok);
  r6.addr = A('::ffff:192.0.2.2');
  assert.deepEqual(space.bind(r6), { ok: false, code: 'EINVAL' });
  assert.ok(space.unbind(r4));
  assert.ok(space.bind(r4).ok);
});

test('net.ipv6.bindv6only = 1 makes udp6 sockets V6ONLY unless they say otherwise', () => {
  const space = new PortSpace(allLocal, { bindv6only: true });
  const def = must(space, req(6, '::', 80));
  assert.equal(def.v6only, true);
  assert.ok(space.bind(req(4, '0.0.0.0', 80)).ok, 'the IPv4 side is free');
  assert.deepEqual(space.bind(req(6, '::ffff:192.0.2.1', 81)), { ok: false, code: 'EINVAL' }, 'mapped on a default (V6ONLY) socket');
  const dual = must(space, req(6, '::', 82, { v6only: false }));
  assert.equal(dual.v6only, false);
  assert.deepEqual(space.bind(req(4, '0.0.0.0', 82)), { ok: false, code: 'EADDRINUSE' });
  assert.equal(must(new PortSpace(allLocal), req(6, '::', 80)).v6only, false, 'the default is bindv6only = 0');
});

test('ephemeral ports: RFC 6056 Algorithm 1 — a random start, then the first free port up, wrapping; never a conflicting one; EADDRINUSE when none is left', () => {
  const starts = [0, 0.99, 0.5];
  const space = new PortSpace(allLocal, { ephemeralRange: [50000, 50003], random: () => starts.shift() ?? 0 });
  assert.equal(must(space, req(4, '0.0.0.0', 0)).port, 50000, 'start 0 → the low end');
  assert.equal(must(space, req(4, '0.0.0.0', 0)).port, 50003, 'start 0.99 → the high end');
  must(space, req(6, '::', 50002, { v6only: true }));
  // start 0.5 → 50002: its IPv6 side is taken, and a dual-stack socket needs both, so 50003 (taken), wrap, 50000 (taken), 50001.
  assert.equal(must(space, req(6, '::', 0)).port, 50001);
  assert.deepEqual(space.bind(req(6, '::', 0)), { ok: false, code: 'EADDRINUSE' }, 'range exhausted (Linux: EADDRINUSE)');
  // A udp4 socket only needs the IPv4 side: 50002 is still free there.
  assert.equal(must(space, req(4, '192.0.2.1', 0)).port, 50002);
});

test('ephemeral ports: by default from 32768–60999 (ip_local_port_range), spread by the injected randomness, all distinct without SO_REUSEADDR', () => {
  const space = new PortSpace(allLocal, { random: prng(7) });
  const ports = Array.from({ length: 2000 }, () => must(space, req(6, '::', 0)).port);
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(ports.every((p) => p >= EPHEMERAL_PORT_MIN && p <= EPHEMERAL_PORT_MAX));
  assert.ok(Math.min(...ports) < 34000 && Math.max(...ports) > 59000, 'spread over the range');
  const again = new PortSpace(allLocal, { random: prng(7) });
  assert.equal(must(again, req(6, '::', 0)).port, ports[0], 'same seed, same port');
  const dflt = new PortSpace(allLocal);
  const p = must(dflt, req(4, '0.0.0.0', 0)).port;
  assert.ok(p >= EPHEMERAL_PORT_MIN && p <= EPHEMERAL_PORT_MAX, 'node:crypto by default');
});

test('handles are copies and frozen: writing into the request after bind changes nothing', () => {
  const space = new PortSpace(allLocal);
  const r = req(6, '2001:db8::1', 443);
  const h = must(space, r);
  r.addr[15] = 2;
  assert.equal(space.lookup(A('2001:db8::1'), 443, 6), h);
  assert.equal(space.lookup(A('2001:db8::2'), 443, 6), undefined);
  h.addr[15] = 3;
  assert.equal(space.lookup(A('2001:db8::1'), 443, 6), h, 'nor into the handle');
  assert.ok(Object.isFrozen(h));
  assert.equal(h.request, r);
  const h4 = must(space, req(4, '::', 443));
  assert.deepEqual(h4.addr, A('0.0.0.0'), 'a udp4 wildcard reads back as ::ffff:0.0.0.0');
  assert.deepEqual(space.sockets(), [h, h4]);
});

test('malformed requests and options throw with stable codes (STYLE.md 7)', () => {
  const space = new PortSpace(allLocal);
  const code = (code: string) => (e: unknown) => e instanceof WasagiError && e.code === code;
  assert.throws(() => space.bind(req(6, '::', 65536)), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind(req(6, '::', -1)), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind(req(6, '::', 1.5)), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind({ family: 5 as 4, addr: A('::'), port: 1 }), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind({ family: 6, addr: new Uint8Array(4), port: 1 }), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind(req(6, '::', 1, { v6only: 1 as unknown as boolean })), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind(req(6, 'fe80::1', 1, { ifindex: -1 })), code('ERR_INVALID_ARG'));
  assert.throws(() => space.bind(req(4, '2001:db8::1', 1)), code('ERR_INVALID_ADDRESS'), 'udp4 takes ::ffff:a.b.c.d');
  assert.throws(() => new PortSpace(undefined as unknown as IsLocal), code('ERR_INVALID_ARG'));
  assert.throws(() => new PortSpace(allLocal, { ephemeralRange: [60000, 50000] }), code('ERR_INVALID_ARG'));
  assert.throws(() => new PortSpace(allLocal, { ephemeralRange: [0, 10] }), code('ERR_INVALID_ARG'));
  assert.throws(() => new PortSpace(allLocal, { bindv6only: 'yes' as unknown as boolean }), code('ERR_INVALID_ARG'));
  const broken = new PortSpace(allLocal, { random: () => 1 });
  assert.throws(() => broken.bind(req(4, '0.0.0.0', 0)), code('ERR_INVALID_ARG'), 'random must stay in [0, 1)');
  assert.equal(space.sockets().length, 0, 'nothing was bound by the failures');
});
