// wasagi's dgram (src/socket/udp.ts on src/stack/stack.ts) against node:dgram
// on the Linux kernel it imitates (USAGI paper §4, IPV6_V6ONLY, RFC 3493 §3.7,
// RFC 4291 §2.5.5.2): every scenario below is a sequence of calls on sockets,
// played twice — on node:dgram sockets over this host's loopback, and on
// `stack.dgram` sockets of a simulated stack (test/support/sim.ts) — and each
// step must end the same way on both: what the call threw or returned, and
// every event, callback and datagram that followed it, errors included.
//
// Addresses: wasagi has no loopback interface, so the stack under test (A)
// stands in for the kernel's lo and a second stack (B) on the same memory link
// for the kernel's other loopback sockets:
//
//   kernel                 wasagi, as a local address   wasagi, as a peer
//   127.0.0.1              10.0.0.1 (A)                 10.0.0.2 (B)
//   127.0.0.2              10.0.0.3 (A)                 —
//   ::1                    2001:db8::1 (A)              2001:db8::2 (B)
//   ::ffff:127.0.0.1       ::ffff:10.0.0.1              ::ffff:10.0.0.2
//   %lo                    %a0                          —
//
// `L(…)` marks an argument that names one of our addresses (bind), `R(…)` one
// that names the peer (connect, send); what the sockets report is translated
// back before comparing (10.0.0.1 and 10.0.0.2 both read 127.0.0.1). Other
// addresses (198.51.100.7, 2001:db8::7, fe80::1, 0.0.0.0, ::) are on neither
// host and pass unchanged.
//
// Peers: on the kernel, udp4 sockets on 127.0.0.1 and udp6 sockets on ::1, on
// ports P+8 and P+9; on wasagi the same ports on B's 10.0.0.2 and 2001:db8::2.
// They send the datagrams of `deliver` steps and receive what the sockets
// under test send; what they hear is part of the outcome.
//
// Ports: each scenario gets a block of 10 from 61000 up (P..P+9), above
// Linux's ephemeral range so port-0 binds anywhere on the host cannot take
// them, checked free in /proc/net/udp{,6} first; wasagi uses the same numbers.
// Ephemeral ports read 'EPH' when in the side's ephemeral range.
//
// Left out, because they need what a simulated stack does not have:
// - sending to one of our own addresses (the kernel loops it back over lo;
//   wasagi has no loopback interface and does not loop datagrams back);
// - host names other than IP literals: node:dgram resolves them with
//   getaddrinfo (/etc/hosts, DNS), whose answers depend on the host; wasagi
//   has no resolver;
// - multicast joins, broadcast and setMulticastInterface to a real address:
//   the outcome depends on the host's interfaces and routes (lo carries no
//   multicast), not on the socket layer; only their argument errors are here.
//
// - connect() after close(): Node throws a plain TypeError without a code (its
//   connect has no healthCheck and reaches the null handle, a Node bug);
//   wasagi throws ERR_SOCKET_DGRAM_NOT_RUNNING, as every other call does.
//
// A scenario where the two differ would be marked `todo` with the difference;
// none is today.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Sim } from '../support/sim.js';
import { EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN } from '../../src/socket/portspace.js';

// --- the host --------------------------------------------------------------------

const readSys = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};
/** wasagi's stacks behave as bindv6only = 0; with 1 every unset-ipv6Only scenario would differ. */
const HOST_BINDV6ONLY = readSys('/proc/sys/net/ipv6/bindv6only') === '1';
const HOST_RANGE = (readSys('/proc/sys/net/ipv4/ip_local_port_range') ?? `${EPHEMERAL_PORT_MIN} ${EPHEMERAL_PORT_MAX}`).split(/\s+/).map(Number) as [number, number];

// --- the scenario language --------------------------------------------------------

/** A port of the block: P+n as a number, as a numeric string, or as n+P+65536 (libuv keeps the low 16 bits). */
interface PortTok {
  $: 'port';
  n: number;
  form: 'number' | 'string' | 'wrap';
}
interface AddrTok {
  $: 'local' | 'remote';
  a: string;
}
/** A callback recording `method-cb CODE` / `method-cb ok …`, or with `full` every argument it got. */
interface CbTok {
  $: 'cb';
  full: boolean;
}
/** A Buffer with these bytes (strings stay strings). */
interface BytesTok {
  $: 'bytes';
  text: string;
}
type Tok = PortTok | AddrTok | CbTok | BytesTok;
type Arg = Tok | string | number | boolean | null | undefined | Arg[] | { [k: string]: Arg };

const P = (n: number): PortTok => ({ $: 'port', n, form: 'number' });
const Pstr = (n: number): PortTok => ({ $: 'port', n, form: 'string' });
const Pwrap = (n: number): PortTok => ({ $: 'port', n, form: 'wrap' });
const L = (a: string): AddrTok => ({ $: 'local', a });
const R = (a: string): AddrTok => ({ $: 'remote', a });
const CB: CbTok = { $: 'cb', full: false };
const CBARGS: CbTok = { $: 'cb', full: true };
const BYTES = (text: string): BytesTok => ({ $: 'bytes', text });

interface CreateStep {
  op: 'create';
  sock: string;
  /** As given to createSocket: 'udp6 v6only reuse' style, or a raw value. */
  opts: unknown;
  label: string;
}
interface CallStep {
  op: 'call';
  sock: string;
  method: string;
  args: Arg[];
}
interface DeliverStep {
  op: 'deliver';
  /** The peer socket that sends: family and port P+8 or P+9. */
  family: 4 | 6;
  from: 8 | 9;
  /** One of our addresses (translated as L). */
  to: string;
  port: number;
}
/** Calls made one after another in the same turn, before anything they start completes. */
interface TogetherStep {
  op: 'together';
  calls: CallStep[];
}
type Step = CreateStep | CallStep | DeliverStep | TogetherStep;

interface Scenario {
  rule: string;
  steps: Step[];
  /** What differs today (kernel outcome vs wasagi outcome); the scenario still runs. */
  todo?: string;
}

/** 'udp6' leaves ipv6Only unset; 'udp6 dual' sets it false; 'v6only' true; 'reuse' sets reuseAddr. */
function sock(name: string, spec: string): CreateStep {
  const words = spec.split(' ');
  for (const w of words.slice(1)) assert.ok(w === 'v6only' || w === 'dual' || w === 'reuse', spec);
  const opts: { type: string; ipv6Only?: boolean; reuseAddr?: boolean } = { type: words[0] };
  if (words.includes('v6only')) opts.ipv6Only = true;
  if (words.includes('dual')) opts.ipv6Only = false;
  if (words.includes('reuse')) opts.reuseAddr = true;
  return { op: 'create', sock: name, opts, label: spec };
}
const rawSock = (name: string, opts: unknown): CreateStep => ({ op: 'create', sock: name, opts, label: JSON.stringify(opts) });
const call = (s: string, method: string, ...args: Arg[]): CallStep => ({ op: 'call', sock: s, method, args });
/** bind(P+n, L(addr), cb). */
const bindP = (s: string, addr: string, n = 0): CallStep => call(s, 'bind', P(n), L(addr), CB);
const together = (...calls: CallStep[]): TogetherStep => ({ op: 'together', calls });
const deliver = (family: 4 | 6, to: string, port = 0, from: 8 | 9 = 9): DeliverStep => ({ op: 'deliver', family, from, to, port });

function describeArg(a: Arg): string {
  if (a === undefined) return 'undefined';
  if (Array.isArray(a)) return `[${a.map(describeArg).join(', ')}]`;
  if (a !== null && typeof a === 'object') {
    if (a.$ === 'port') {
      const t = a as PortTok;
      return t.form === 'number' ? `P+${t.n}` : t.form === 'string' ? `'P+${t.n}'` : `P+${t.n}+65536`;
    }
    if (a.$ === 'local' || a.$ === 'remote') return `${a.$ === 'local' ? 'L' : 'R'}(${(a as AddrTok).a})`;
    if (a.$ === 'cb') return (a as CbTok).full ? 'cb(...)' : 'cb';
    if (a.$ === 'bytes') return `Buffer(${JSON.stringify((a as BytesTok).text)})`;
    return `{ ${Object.entries(a).map(([k, v]) => `${k}: ${describeArg(v)}`).join(', ')} }`;
  }
  return JSON.stringify(a);
}
const describeStep = (s: Step): string =>
  s.op === 'create'
    ? `${s.sock} = createSocket(${s.label})`
    : s.op === 'call'
      ? `${s.sock}.${s.method}(${s.args.map(describeArg).join(', ')})`
      : s.op === 'together'
        ? s.calls.map(describeStep).join('; ')
        : `peer${s.family}@${s.from} → [${s.to}]:P+${s.port}`;

// --- the scenarios ------------------------------------------------------------------

const scenarios: Scenario[] = [];

// The V6ONLY matrix (paper §4): every kind of bind, then every kind on the same
// port, then a datagram from an IPv4 peer to 127.0.0.1:P and one from an IPv6
// peer to ::1:P, to see which socket holds which family. ipv6Only unset and
// false are both listed: Node passes no flag for either.
const KINDS: Array<[label: string, spec: string, addr: string]> = [
  ['udp4 0.0.0.0', 'udp4', '0.0.0.0'],
  ['udp4 127.0.0.1', 'udp4', '127.0.0.1'],
  ['udp6 ::ffff:0.0.0.0', 'udp6', '::ffff:0.0.0.0'],
  ['udp6 ::ffff:127.0.0.1', 'udp6', '::ffff:127.0.0.1'],
  ['udp6 ::', 'udp6', '::'],
  ['udp6 ipv6Only:false ::', 'udp6 dual', '::'],
  ['udp6 ipv6Only ::', 'udp6 v6only', '::'],
  ['udp6 ::1', 'udp6', '::1'],
  ['udp6 ipv6Only ::1', 'udp6 v6only', '::1'],
];
for (const reuse of [false, true]) {
  for (const [l1, s1, a1] of KINDS) {
    for (const [l2, s2, a2] of KINDS) {
      const r = reuse ? ' reuse' : '';
      scenarios.push({
        rule: `V6ONLY matrix${reuse ? ', reuseAddr on both' : ''}: ${l1} then ${l2}; who hears IPv4 and IPv6`,
        steps: [sock('a', s1 + r), bindP('a', a1), sock('b', s2 + r), bindP('b', a2), deliver(4, '127.0.0.1'), deliver(6, '::1')],
      });
    }
  }
}

scenarios.push(
  // --- binds: mapped addresses, reuseAddr on one side, the address checks ---------------
  {
    rule: 'a mapped bind is an exact IPv4 match: it beats udp4 0.0.0.0 for 127.0.0.1, not for 127.0.0.2',
    steps: [sock('a', 'udp4 reuse'), bindP('a', '0.0.0.0'), sock('b', 'udp6 reuse'), bindP('b', '::ffff:127.0.0.1'), deliver(4, '127.0.0.1'), deliver(4, '127.0.0.2'), deliver(6, '::1')],
  },
  {
    rule: 'specific IPv4 addresses share a port, a mapped one among them; each hears its own',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), sock('b', 'udp6'), bindP('b', '::ffff:127.0.0.2'), deliver(4, '127.0.0.1'), deliver(4, '127.0.0.2')],
  },
  {
    rule: 'reuseAddr on one socket only does not let a second bind in (both must set it)',
    steps: [sock('a', 'udp4 reuse'), bindP('a', '0.0.0.0'), sock('b', 'udp4'), bindP('b', '0.0.0.0'), sock('c', 'udp6'), bindP('c', '::'), sock('d', 'udp6 reuse'), bindP('d', '::')],
  },
  {
    rule: 'a V6ONLY socket cannot bind a mapped address, even ::ffff:0.0.0.0: EINVAL',
    steps: [sock('a', 'udp6 v6only'), bindP('a', '::ffff:127.0.0.1'), sock('b', 'udp6 v6only reuse'), bindP('b', '::ffff:0.0.0.0')],
  },
  {
    rule: 'addresses not on the host are EADDRNOTAVAIL, in both families and mapped',
    steps: [sock('a', 'udp4'), bindP('a', '198.51.100.7'), sock('b', 'udp6'), bindP('b', '::ffff:198.51.100.7'), sock('c', 'udp6'), bindP('c', '2001:db8::7')],
  },
  {
    rule: 'a link-local bind needs a zone (EINVAL); with one, an address the interface lacks is EADDRNOTAVAIL',
    steps: [sock('a', 'udp6'), bindP('a', 'fe80::1'), sock('b', 'udp6'), bindP('b', 'fe80::1%lo')],
  },
  {
    rule: 'a zone on an address that needs none is accepted and not shown',
    steps: [sock('a', 'udp6'), bindP('a', '::1%lo'), sock('b', 'udp6 v6only'), bindP('b', '::%lo', 1)],
  },
  {
    rule: 'bind() with no arguments: an ephemeral port on the wildcard of the socket type',
    steps: [sock('a', 'udp4'), call('a', 'bind', CB), sock('b', 'udp6'), call('b', 'bind'), sock('c', 'udp6 v6only'), call('c', 'bind', P(2))],
  },
  {
    rule: 'bind(options): port and address from the object',
    steps: [sock('a', 'udp4'), call('a', 'bind', { port: P(0), address: L('127.0.0.1') }, CB), sock('b', 'udp6'), call('b', 'bind', { port: P(1) })],
  },
  {
    rule: 'an ephemeral dual-stack :: port is taken in both families',
    steps: [sock('a', 'udp6'), call('a', 'bind', 0, L('::'), CB), sock('b', 'udp4'), call('b', 'bind', 0, L('127.0.0.1'), CB)],
  },
  {
    rule: 'closing a socket frees its port at once',
    steps: [sock('a', 'udp6'), bindP('a', '::'), sock('b', 'udp4'), bindP('b', '127.0.0.1'), call('a', 'close', CB), sock('c', 'udp4'), bindP('c', '127.0.0.1')],
  },
  {
    rule: 'after a failed bind the socket may bind again elsewhere',
    steps: [sock('a', 'udp4'), bindP('a', '0.0.0.0'), sock('b', 'udp4'), call('b', 'bind', P(0), L('127.0.0.1')), call('b', 'bind', P(1), L('127.0.0.1'), CB)],
  },
  {
    rule: 'the callback of a failed bind is dropped with it: the next bind calls only its own',
    steps: [sock('a', 'udp4'), bindP('a', '0.0.0.0'), sock('b', 'udp4'), bindP('b', '127.0.0.1'), call('b', 'bind', P(1), L('127.0.0.1'), CB)],
  },

  // --- binds: misuse and bad arguments -----------------------------------------------------
  {
    rule: 'a second bind throws ERR_SOCKET_ALREADY_BOUND, while binding and once bound',
    steps: [sock('a', 'udp4'), together(call('a', 'bind', P(0), L('127.0.0.1')), call('a', 'bind', P(1))), call('a', 'bind', P(1))],
  },
  {
    rule: 'bind and close after close throw ERR_SOCKET_DGRAM_NOT_RUNNING',
    steps: [sock('a', 'udp4'), call('a', 'close'), call('a', 'bind', P(0)), call('a', 'close'), sock('b', 'udp6'), bindP('b', '::'), call('b', 'close', CB), call('b', 'close')],
  },
  {
    rule: 'address() after close throws ERR_SOCKET_DGRAM_NOT_RUNNING',
    steps: [sock('a', 'udp6'), bindP('a', '::'), call('a', 'close'), call('a', 'address')],
  },
  {
    rule: 'createSocket with a bad type throws ERR_SOCKET_BAD_TYPE',
    steps: [rawSock('a', 'udp5'), rawSock('b', { type: 'udp' })],
  },
  {
    rule: 'address() before bind throws (Node: EBADF from getsockname)',
    steps: [sock('a', 'udp4'), call('a', 'address'), together(call('a', 'bind', P(0)), call('a', 'address')), call('a', 'address')],
  },
  {
    rule: 'address() after a failed bind shows the unbound socket, 0.0.0.0:0',
    steps: [sock('a', 'udp4'), bindP('a', '0.0.0.0'), sock('b', 'udp4'), bindP('b', '0.0.0.0'), call('b', 'address')],
  },
  {
    rule: 'udp4 given an IPv6 literal (and udp6 an IPv4 one) fails the bind with EINVAL',
    steps: [sock('a', 'udp4'), bindP('a', '::1'), sock('b', 'udp6'), bindP('b', '127.0.0.1')],
  },
  {
    rule: 'a bind address that is not a string throws ERR_INVALID_ARG_TYPE',
    steps: [sock('a', 'udp4'), call('a', 'bind', P(0), 123)],
  },
  {
    rule: 'bind takes the port as given, unchecked: a numeric string binds that port',
    steps: [sock('a', 'udp4'), call('a', 'bind', Pstr(0), L('127.0.0.1'), CB)],
  },
  {
    rule: 'bind takes the port as given, unchecked: P + 65536 binds P (the low 16 bits)',
    steps: [sock('a', 'udp4'), call('a', 'bind', Pwrap(0), L('127.0.0.1'), CB)],
  },
  {
    rule: 'ipv6Only on a udp4 socket makes its bind fail with EINVAL',
    steps: [rawSock('a', { type: 'udp4', ipv6Only: true }), bindP('a', '127.0.0.1')],
  },

  // --- connect ----------------------------------------------------------------------------------
  {
    rule: 'connect on an unbound socket binds an ephemeral port first: listening, then connect; remoteAddress names the peer',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'remoteAddress'), sock('b', 'udp6'), call('b', 'connect', P(9), R('::1'), CB), call('b', 'remoteAddress')],
  },
  {
    rule: 'connect without an address connects to localhost of the family',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9)), call('a', 'remoteAddress'), sock('b', 'udp6'), call('b', 'connect', P(9), CB), call('b', 'remoteAddress')],
  },
  {
    rule: 'a udp6 socket connects to a mapped address; send reaches the IPv4 peer; only that peer is heard, as ::ffff:a.b.c.d',
    steps: [
      sock('a', 'udp6'), bindP('a', '::'), call('a', 'connect', P(9), R('::ffff:127.0.0.1'), CB), call('a', 'remoteAddress'),
      call('a', 'send', 'hi', CB), deliver(4, '127.0.0.1', 0, 9), deliver(4, '127.0.0.1', 0, 8), deliver(6, '::1', 0, 9),
    ],
  },
  {
    rule: 'a connected udp4 socket hears only its peer (address and port); after disconnect it hears everyone',
    steps: [
      sock('a', 'udp4'), bindP('a', '0.0.0.0'), call('a', 'connect', P(9), R('127.0.0.1'), CB),
      deliver(4, '127.0.0.1', 0, 9), deliver(4, '127.0.0.1', 0, 8), call('a', 'disconnect'), call('a', 'remoteAddress'), deliver(4, '127.0.0.1', 0, 8),
    ],
  },
  {
    rule: 'a connected dual-stack udp6 socket hears only its IPv6 peer, no IPv4',
    steps: [sock('a', 'udp6'), bindP('a', '::'), call('a', 'connect', P(9), R('::1'), CB), deliver(6, '::1', 0, 9), deliver(6, '::1', 0, 8), deliver(4, '127.0.0.1', 0, 9)],
  },
  {
    rule: 'two reuseAddr udp4 sockets on a port, the newer connected: the peer reaches the connected one, anyone else the other (compute_score)',
    steps: [
      sock('a', 'udp4 reuse'), bindP('a', '0.0.0.0'), sock('b', 'udp4 reuse'), bindP('b', '0.0.0.0'), call('b', 'connect', P(9), R('127.0.0.1'), CB),
      deliver(4, '127.0.0.1', 0, 9), deliver(4, '127.0.0.1', 0, 8), call('b', 'disconnect'), deliver(4, '127.0.0.1', 0, 9),
    ],
  },
  {
    rule: 'two reuseAddr udp6 sockets on a port, the older connected: the peer still reaches it over the newer unconnected one (IPv6 and mapped IPv4)',
    steps: [
      sock('a', 'udp6 reuse'), bindP('a', '::'), call('a', 'connect', P(9), R('::1'), CB), sock('b', 'udp6 reuse'), bindP('b', '::'),
      deliver(6, '::1', 0, 9), deliver(6, '::1', 0, 8), deliver(4, '127.0.0.1', 0, 9),
      sock('c', 'udp6 reuse'), bindP('c', '::', 1), call('c', 'connect', P(8), R('::ffff:127.0.0.1'), CB), sock('d', 'udp4 reuse'), bindP('d', '0.0.0.0', 1),
      deliver(4, '127.0.0.1', 1, 8), deliver(4, '127.0.0.1', 1, 9),
    ],
  },
  {
    rule: 'connect gives a wildcard socket the route\'s source as its bound address: a bind to another address on the port now succeeds; after disconnect the wildcard is back and blocks',
    steps: [
      sock('a', 'udp4'), bindP('a', '0.0.0.0'), call('a', 'connect', P(9), R('127.0.0.1'), CB), sock('b', 'udp4'), bindP('b', '127.0.0.2'),
      call('a', 'address'), call('a', 'disconnect'), sock('c', 'udp4'), bindP('c', '127.0.0.2', 0),
    ],
  },
  {
    rule: 'a connected dual-stack udp6 socket holds only its source address: a udp4 bind to another address on the port succeeds',
    steps: [
      sock('a', 'udp6'), bindP('a', '::'), call('a', 'connect', P(9), R('::1'), CB), sock('b', 'udp4'), bindP('b', '127.0.0.2'),
      call('a', 'disconnect'), sock('c', 'udp4'), bindP('c', '127.0.0.1'),
    ],
  },
  {
    rule: 'connect on a connecting or connected socket throws ERR_SOCKET_DGRAM_IS_CONNECTED',
    steps: [sock('a', 'udp4'), together(call('a', 'connect', P(9), R('127.0.0.1')), call('a', 'connect', P(8), R('127.0.0.1'))), call('a', 'connect', P(8), R('127.0.0.1')), call('a', 'remoteAddress')],
  },
  {
    rule: 'connect checks its port: 0, 65536, none → ERR_SOCKET_BAD_PORT',
    steps: [sock('a', 'udp4'), call('a', 'connect', 0, R('127.0.0.1')), call('a', 'connect', 65536, R('127.0.0.1')), call('a', 'connect', undefined, R('127.0.0.1')), call('a', 'remoteAddress')],
  },
  {
    rule: 'disconnect and remoteAddress on an unconnected socket throw ERR_SOCKET_DGRAM_NOT_CONNECTED, also after a disconnect',
    steps: [sock('a', 'udp4'), call('a', 'disconnect'), call('a', 'remoteAddress'), bindP('a', '127.0.0.1'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'disconnect'), call('a', 'disconnect'), call('a', 'remoteAddress')],
  },
  {
    rule: 'a connected socket whose peer port is closed hears ECONNREFUSED (ICMP Port Unreachable); an unconnected one does not',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(7), R('127.0.0.1'), CB), call('a', 'send', 'x', CB), sock('b', 'udp4'), call('b', 'send', 'x', P(7), R('127.0.0.1'), CB)],
  },
  {
    rule: 'a V6ONLY socket cannot connect to a mapped address: ENETUNREACH to the callback, and it stays unconnected',
    steps: [sock('a', 'udp6 v6only'), call('a', 'connect', P(9), R('::ffff:127.0.0.1'), CB), call('a', 'remoteAddress')],
  },
  {
    rule: 'a udp4 socket given an IPv6 literal fails to connect with EINVAL',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9), R('::1'), CB), call('a', 'remoteAddress')],
  },
  {
    rule: 'connect fixes the local address: address() shows the source the route chose; disconnect clears it again',
    steps: [sock('a', 'udp4'), bindP('a', '0.0.0.0'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'address'), call('a', 'disconnect'), call('a', 'address')],
  },
  {
    rule: 'disconnect of an implicitly bound socket gives up its ephemeral port (address() reads 0.0.0.0:0)',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'disconnect'), call('a', 'address')],
  },
  {
    rule: 'send(msg, cb) while connect is still pending is an unconnected send without a port: ERR_SOCKET_BAD_PORT',
    steps: [sock('a', 'udp4'), together(call('a', 'connect', P(9), R('127.0.0.1')), call('a', 'send', 'x', CB))],
  },
  {
    rule: 'disconnect while connect is still pending throws ERR_SOCKET_DGRAM_NOT_CONNECTED',
    steps: [sock('a', 'udp4'), together(call('a', 'connect', P(9), R('127.0.0.1')), call('a', 'disconnect')), call('a', 'remoteAddress')],
  },
  {
    rule: 'a connected socket refuses a destination in send(msg, offset, length, port, address)',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'send', 'hello', 0, 1, P(9), R('127.0.0.1')), call('a', 'send', 'hello', 0, 1, P(9))],
  },
  {
    rule: 'a connected socket reads send(msg, port, address) as send(msg, offset, length) with no length: sent to the peer',
    steps: [sock('a', 'udp4'), call('a', 'connect', P(9), R('127.0.0.1'), CB), call('a', 'send', 'hi', P(8), R('127.0.0.1'))],
  },

  // --- send: families, mapped destinations, V6ONLY ------------------------------------------
  {
    rule: 'an unbound socket binds on send: listening, then the datagram leaves from an ephemeral port',
    steps: [sock('a', 'udp4'), call('a', 'send', 'hello', P(9), R('127.0.0.1'), CB), call('a', 'address'), sock('b', 'udp6'), call('b', 'send', 'hello', P(9), R('::1'), CB)],
  },
  {
    rule: 'a udp6 socket without V6ONLY (ipv6Only unset or false) reaches an IPv4 peer through its mapped address',
    steps: [sock('a', 'udp6'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB), sock('b', 'udp6 dual'), bindP('b', '::'), call('b', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB)],
  },
  {
    rule: 'a V6ONLY udp6 socket sending to a mapped address gets ENETUNREACH (udpv6_sendmsg), bound or not',
    steps: [sock('a', 'udp6 v6only'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB), sock('b', 'udp6 v6only'), bindP('b', '::'), call('b', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB), call('b', 'send', 'x', P(9), R('::1'), CB)],
  },
  {
    rule: 'a udp6 socket bound to ::1 is V6ONLY by that bind: ENETUNREACH to a mapped address',
    steps: [sock('a', 'udp6'), bindP('a', '::1'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB), call('a', 'send', 'x', P(9), R('::1'), CB)],
  },
  {
    rule: 'a udp6 socket bound to a mapped address sends IPv4 from it',
    steps: [sock('a', 'udp6'), bindP('a', '::ffff:127.0.0.1'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB)],
  },
  {
    rule: 'a udp6 socket bound to ::ffff:0.0.0.0 sends IPv4',
    steps: [sock('a', 'udp6'), bindP('a', '::ffff:0.0.0.0'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CB)],
  },
  {
    rule: 'a udp6 socket bound to a mapped address cannot send IPv6: EAFNOSUPPORT',
    steps: [sock('a', 'udp6'), bindP('a', '::ffff:127.0.0.1'), call('a', 'send', 'x', P(9), R('::1'), CB), sock('b', 'udp6'), bindP('b', '::ffff:0.0.0.0', 1), call('b', 'send', 'x', P(9), R('::1'), CB)],
  },
  {
    rule: 'a udp4 socket bound to one address sends from it',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), call('a', 'send', 'x', P(9), R('127.0.0.1'), CB)],
  },
  {
    rule: 'V6ONLY send to a mapped address without a callback: the error is dropped, no event',
    steps: [sock('a', 'udp6 v6only'), bindP('a', '::'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'))],
  },
  {
    rule: 'the send callback gets (err) alone on failure',
    steps: [sock('a', 'udp6 v6only'), call('a', 'send', 'x', P(9), R('::ffff:127.0.0.1'), CBARGS)],
  },
  {
    rule: 'the send callback gets (null, bytes) on success; the connect callback nothing',
    steps: [sock('a', 'udp4'), call('a', 'send', 'abc', P(9), R('127.0.0.1'), CBARGS), sock('b', 'udp4'), call('b', 'connect', P(9), R('127.0.0.1'), CBARGS)],
  },
  {
    rule: 'udp4 send to an IPv6 literal fails with EINVAL in the callback',
    steps: [sock('a', 'udp4'), call('a', 'send', 'x', P(9), R('::1'), CB)],
  },
  {
    rule: 'udp6 send to an IPv4 literal fails with EINVAL in the callback',
    steps: [sock('a', 'udp6'), call('a', 'send', 'x', P(9), R('127.0.0.1'), CB)],
  },
  {
    rule: 'offset/length, lists and empty datagrams: the peer gets exactly those bytes',
    steps: [
      sock('a', 'udp4'), call('a', 'send', BYTES('hello'), 1, 3, P(9), R('127.0.0.1'), CB), call('a', 'send', ['ab', BYTES('cd')], P(9), R('127.0.0.1'), CB),
      call('a', 'send', '', P(9), R('127.0.0.1'), CB), call('a', 'send', [], P(9), R('127.0.0.1'), CB),
    ],
  },
  {
    rule: 'offset/length apply to a string message too',
    steps: [sock('a', 'udp4'), call('a', 'send', 'hello', 1, 3, P(9), R('127.0.0.1'), CB)],
  },

  // --- send: misuse and bad arguments -------------------------------------------------------
  {
    rule: 'send checks its port: 0, 65536, none → ERR_SOCKET_BAD_PORT, and the socket stays unbound',
    steps: [sock('a', 'udp4'), call('a', 'send', 'x', 0, R('127.0.0.1')), call('a', 'send', 'x', 65536, R('127.0.0.1')), call('a', 'send', 'x'), call('a', 'send', 'x', undefined, R('127.0.0.1'))],
  },
  {
    rule: 'send after close throws ERR_SOCKET_DGRAM_NOT_RUNNING',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), call('a', 'close'), call('a', 'send', 'x', P(9), R('127.0.0.1'), CB)],
  },
  {
    rule: 'send validates its arguments before it looks at the socket: a bad port after close is ERR_SOCKET_BAD_PORT',
    steps: [sock('a', 'udp4'), call('a', 'close'), call('a', 'send', 'x', 0, R('127.0.0.1'))],
  },
  {
    rule: 'send takes a numeric string port',
    steps: [sock('a', 'udp4'), call('a', 'send', 'x', Pstr(9), R('127.0.0.1'), CB)],
  },
  {
    rule: 'send with an address that is not a string throws ERR_INVALID_ARG_TYPE',
    steps: [sock('a', 'udp4'), call('a', 'send', 'x', P(9), 123, CB)],
  },
  {
    rule: 'send with a message that is not bytes or a string throws ERR_INVALID_ARG_TYPE',
    steps: [sock('a', 'udp4'), call('a', 'send', 123, P(9), R('127.0.0.1'), CB)],
  },

  // --- socket options: what the socket layer decides -------------------------------------------
  {
    rule: 'options before bind are EBADF; setTTL and setMulticastTTL range checks are EINVAL',
    steps: [
      sock('a', 'udp4'), call('a', 'setTTL', 5), call('a', 'setMulticastTTL', 5), call('a', 'setBroadcast', true), bindP('a', '127.0.0.1'),
      call('a', 'setTTL', 0), call('a', 'setTTL', 256), call('a', 'setTTL', 64), call('a', 'setMulticastTTL', 0), call('a', 'setMulticastTTL', 256), call('a', 'setBroadcast', true),
    ],
  },
  {
    rule: 'membership argument errors: a non-group is EINVAL, none is ERR_MISSING_ARGS, leaving an unjoined group EADDRNOTAVAIL',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), call('a', 'addMembership', '127.0.0.1'), call('a', 'addMembership'), call('a', 'dropMembership', '224.0.0.251'), call('a', 'setMulticastInterface', '198.51.100.7')],
  },
  {
    rule: 'setTTL with a non-number throws ERR_INVALID_ARG_TYPE',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), call('a', 'setTTL', 'x'), call('a', 'setMulticastInterface', 5)],
  },
  {
    rule: 'setTTL truncates a fraction (the binding reads an int32)',
    steps: [sock('a', 'udp4'), bindP('a', '127.0.0.1'), call('a', 'setTTL', 1.5)],
  },
);

// --- two worlds that play a scenario ------------------------------------------------------

/** What both dgram implementations offer, as far as the scenarios go. */
type Sock = { on(event: string, fn: (...args: never[]) => void): unknown } & Record<string, unknown>;

interface World {
  /** Ephemeral ports are reported as EPH when in this range. */
  readonly range: readonly [number, number];
  createSocket(opts: unknown): Sock;
  /** The peer socket of a family on P+8 or P+9. */
  peer(family: 4 | 6, from: 8 | 9): Sock;
  /** Our address for a kernel address (L), the peer's (R), and back for what sockets report. */
  local(a: string): string;
  remote(a: string): string;
  out(a: string): string;
  /** Lets everything the last call started finish (bounded). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    }),
  ]);
}

const closeQuietly = (s: Sock): void => {
  try {
    (s.close as () => void).call(s);
  } catch {
    // already closed
  }
};

function listen(s: Sock, port: number, address: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      s.on('error', reject as (...a: never[]) => void);
      (s.bind as (p: number, a: string, cb: () => void) => void).call(s, port, address, () => resolve());
    }),
    2000,
    `peer bind [${address}]:${port}`,
  );
}

async function kernelWorld(base: number): Promise<World> {
  const peers = new Map<string, Sock>();
  for (const from of [8, 9] as const) {
    for (const [family, type, addr] of [[4, 'udp4', '127.0.0.1'], [6, 'udp6', '::1']] as const) {
      const s = dgram.createSocket(type) as unknown as Sock;
      peers.set(`${family}@${from}`, s);
      await listen(s, base + from, addr);
    }
  }
  const opened: Sock[] = [];
  const id = (a: string): string => a;
  return {
    range: HOST_RANGE,
    createSocket(opts) {
      const s = dgram.createSocket(opts as dgram.SocketOptions) as unknown as Sock;
      opened.push(s);
      return s;
    },
    peer: (family, from) => peers.get(`${family}@${from}`)!,
    local: id,
    remote: id,
    out: id,
    async settle() {
      // Loopback delivers inside the send system call; node:dgram's calls
      // complete a tick or a loop turn later. Two short timers let the loop
      // poll at least twice after that.
      for (let i = 0; i < 3; i++) await immediate();
      await sleep(2);
      await immediate();
      await sleep(1);
    },
    async close() {
      for (const s of [...opened, ...peers.values()]) closeQuietly(s);
    },
  };
}

// The address table of the header, for wasagi.
const LOCAL: Record<string, string> = { '127.0.0.1': '10.0.0.1', '127.0.0.2': '10.0.0.3', '::1': '2001:db8::1' };
const REMOTE: Record<string, string> = { '127.0.0.1': '10.0.0.2', '::1': '2001:db8::2' };
const BACK: Record<string, string> = { '10.0.0.1': '127.0.0.1', '10.0.0.2': '127.0.0.1', '10.0.0.3': '127.0.0.2', '2001:db8::1': '::1', '2001:db8::2': '::1' };
const ZONE_IN: Record<string, string> = { lo: 'a0' };
const ZONE_OUT: Record<string, string> = { a0: 'lo' };

/** Maps an address text through `table`, keeping a ::ffff: prefix (IPv4 entries only) and mapping a %zone. */
function mapAddr(text: string, table: Record<string, string>, zones: Record<string, string>): string {
  const m = /^(::ffff:)?([^%]*)(?:%(.*))?$/i.exec(text);
  if (!m) return text;
  const [, pre, addr, zone] = m;
  let a = table[addr] ?? addr;
  if (pre !== undefined && a.includes(':')) a = addr; // ::ffff: goes with IPv4 only
  return `${pre ?? ''}${a}${zone !== undefined ? `%${zones[zone] ?? zone}` : ''}`;
}

async function wasagiWorld(base: number, seed: number): Promise<World> {
  const sim = new Sim(seed);
  const link = sim.link();
  const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:01', addresses: ['2001:db8::1/64', '10.0.0.1/24', '10.0.0.3/24'], acceptRa: false });
  const b = sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:02', addresses: ['2001:db8::2/64', '10.0.0.2/24'], acceptRa: false });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 8; i++) {
      await immediate();
      sim.settle();
    }
  };
  const peers = new Map<string, Sock>();
  for (const from of [8, 9] as const) {
    for (const [family, type, addr] of [[4, 'udp4', '10.0.0.2'], [6, 'udp6', '2001:db8::2']] as const) {
      const s = b.dgram.createSocket(type) as unknown as Sock;
      peers.set(`${family}@${from}`, s);
      const bound = listen(s, base + from, addr);
      await settle();
      await bound;
    }
  }
  return {
    range: [EPHEMERAL_PORT_MIN, EPHEMERAL_PORT_MAX],
    createSocket: (opts) => a.dgram.createSocket(opts as 'udp4') as unknown as Sock,
    peer: (family, from) => peers.get(`${family}@${from}`)!,
    local: (t) => mapAddr(t, LOCAL, ZONE_IN),
    remote: (t) => mapAddr(t, REMOTE, ZONE_IN),
    out: (t) => mapAddr(t, BACK, ZONE_OUT),
    settle,
    async close() {
      sim.close();
    },
  };
}

// --- playing -------------------------------------------------------------------------------

const codeOf = (e: unknown): string => {
  const x = e as { code?: unknown; name?: string; message?: string } | null;
  if (x && typeof x.code === 'string') return x.code;
  return x instanceof Error ? `${x.name} (no code)` : `non-error ${String(e)}`;
};

/** Each step's outcome: what the call did, then every event it caused, grouped by socket in order. */
async function play(world: World, steps: Step[], base: number): Promise<string[][]> {
  const socks = new Map<string, Sock>();
  const events: Array<[who: string, what: string]> = [];
  const port = (p: number): string => (p >= base && p < base + 10 ? `P+${p - base}` : p >= world.range[0] && p <= world.range[1] ? 'EPH' : String(p));
  const where = (o: { address: string; family: string; port: number }): string => `[${world.out(o.address)}]:${port(o.port)} ${o.family}`;
  const value = (v: unknown, self: Sock): string => {
    if (v === self) return 'this';
    if (v !== null && typeof v === 'object' && 'port' in v) return where(v as { address: string; family: string; port: number });
    return v === undefined ? 'undefined' : JSON.stringify(v);
  };
  const watch = (who: string, s: Sock): void => {
    s.on('listening', () => {
      let at: string;
      try {
        at = where((s.address as () => { address: string; family: string; port: number }).call(s));
      } catch (e) {
        at = `(address() throws ${codeOf(e)})`;
      }
      events.push([who, `listening ${at}`]);
    });
    s.on('connect', () => events.push([who, 'connect']));
    s.on('error', (e: never) => events.push([who, `error ${codeOf(e)}`]));
    s.on('close', () => events.push([who, 'close']));
    s.on('message', (m: never, r: never) => {
      const ri = r as { address: string; family: string; port: number; size: number };
      events.push([who, `message ${JSON.stringify((m as Buffer).toString())} from ${where(ri)} size ${ri.size}`]);
    });
  };
  const resolve = (a: Arg, who: string, method: string): unknown => {
    if (Array.isArray(a)) return a.map((x) => resolve(x, who, method));
    if (a === null || typeof a !== 'object') return a;
    if (a.$ === 'port') {
      const t = a as PortTok;
      return t.form === 'number' ? base + t.n : t.form === 'string' ? String(base + t.n) : base + t.n + 65536;
    }
    if (a.$ === 'bytes') return Buffer.from((a as BytesTok).text);
    if (a.$ === 'local') return world.local((a as AddrTok).a);
    if (a.$ === 'remote') return world.remote((a as AddrTok).a);
    if (a.$ === 'cb') {
      const full = (a as CbTok).full;
      return (...args: unknown[]) => {
        const fmt = (x: unknown): string => (x instanceof Error ? codeOf(x) : x === undefined ? 'undefined' : JSON.stringify(x));
        if (full) events.push([who, `${method}-cb(${args.map(fmt).join(', ')})`]);
        else if (args[0] instanceof Error) events.push([who, `${method}-cb ${codeOf(args[0])}`]);
        else events.push([who, `${method}-cb ok${args.length > 1 ? ` ${args.slice(1).map(fmt).join(' ')}` : ''}`]);
      };
    }
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, resolve(v, who, method)]));
  };
  for (const f of [4, 6] as const) for (const from of [8, 9] as const) watch(`peer${f}@${from}`, world.peer(f, from));

  const invoke = (st: CallStep): string => {
    const s = socks.get(st.sock);
    assert.ok(s, `no socket ${st.sock}`);
    const args = st.args.map((x) => resolve(x, st.sock, st.method));
    try {
      return `returns ${value((s[st.method] as (...a: unknown[]) => unknown).apply(s, args), s)}`;
    } catch (e) {
      return `throws ${codeOf(e)}`;
    }
  };

  const out: string[][] = [];
  for (const st of steps) {
    events.length = 0;
    const head: string[] = [];
    try {
      if (st.op === 'together') {
        st.calls.forEach((c, i) => head.push(`${i + 1}. ${invoke(c)}`));
      } else if (st.op === 'create') {
        const s = world.createSocket(st.opts);
        socks.set(st.sock, s);
        watch(st.sock, s);
        head.push('created');
      } else if (st.op === 'call') {
        head.push(invoke(st));
      } else {
        const from = world.peer(st.family, st.from);
        const who = `peer${st.family}@${st.from}`;
        await withTimeout(
          new Promise<void>((done) =>
            (from.send as (m: string, p: number, a: string, cb: (e: Error | null) => void) => void).call(from, 'wasagi', base + st.port, world.local(st.to), (e) => {
              if (e) events.push([who, `send-cb ${codeOf(e)}`]);
              done();
            }),
          ),
          2000,
          describeStep(st),
        );
        head.push('sent');
      }
    } catch (e) {
      if (e instanceof assert.AssertionError || (e as Error).message?.startsWith('timed out')) throw e;
      head.push(`throws ${codeOf(e)}`);
    }
    await world.settle();
    // Each socket's events in order; sockets by name (the kernel does not order callbacks across sockets).
    const byWho = [...events].map(([who, what], i) => ({ who, what, i })).sort((x, y) => (x.who < y.who ? -1 : x.who > y.who ? 1 : x.i - y.i));
    out.push([...head, ...byWho.map((x) => `${x.who}: ${x.what}`)]);
  }
  for (const s of socks.values()) closeQuietly(s);
  return out;
}

// --- ports ---------------------------------------------------------------------------------

const FIRST_BASE = 61000;
let cursor = FIRST_BASE;

/** UDP ports bound on the host right now, from /proc/net/udp and udp6 (local_address is ADDR:PORT in hex). */
function portsInUse(): Set<number> {
  const used = new Set<number>();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = readSys(f) ?? '';
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local?.includes(':')) used.add(parseInt(local.split(':')[1], 16));
    }
  }
  return used;
}

/** The next block of 10 ports, none bound on the host. */
function freeBlock(): number {
  const used = portsInUse();
  for (; cursor + 10 <= 65536; cursor += 10) {
    let free = true;
    for (let p = cursor; p < cursor + 10 && free; p++) free = !used.has(p);
    if (free) {
      const base = cursor;
      cursor += 10;
      return base;
    }
  }
  throw new Error(`no block of 10 free UDP ports left above ${FIRST_BASE}`);
}

// --- the tests -------------------------------------------------------------------------------

const skip = HOST_BINDV6ONLY ? 'the host runs with net.ipv6.bindv6only = 1; wasagi stacks behave as bindv6only = 0' : false;

test('the scenario table covers the V6ONLY matrix, mapped addresses, connect, send and the error surface', { skip }, () => {
  assert.ok(scenarios.length >= 200, `${scenarios.length} scenarios`);
  const text = scenarios.flatMap((s) => s.steps.map(describeStep)).join('\n');
  for (const needle of ['::ffff:127.0.0.1', 'v6only', 'reuse', 'connect', 'disconnect', 'send', 'peer4@8']) assert.ok(text.includes(needle), needle);
});

scenarios.forEach((sc, k) => {
  test(`dgram parity ${k + 1}: ${sc.rule}`, { skip, ...(sc.todo ? { todo: sc.todo } : {}) }, async () => {
    const base = freeBlock();
    const kw = await kernelWorld(base);
    let kernel: string[][];
    try {
      kernel = await withTimeout(play(kw, sc.steps, base), 5000, 'kernel scenario');
    } finally {
      await kw.close();
    }
    const ww = await wasagiWorld(base, k + 1);
    let wasagi: string[][];
    try {
      wasagi = await withTimeout(play(ww, sc.steps, base), 5000, 'wasagi scenario');
    } finally {
      await ww.close();
    }
    const table = sc.steps
      .map((s, i) => {
        const same = JSON.stringify(kernel[i]) === JSON.stringify(wasagi[i]);
        return `${same ? '  ' : '≠ '}${describeStep(s)}\n      linux:  ${kernel[i].join('; ')}\n      wasagi: ${wasagi[i].join('; ')}`;
      })
      .join('\n');
    assert.deepEqual(wasagi, kernel, `wasagi and Linux differ (P = ${base}):\n${table}`);
  });
});
