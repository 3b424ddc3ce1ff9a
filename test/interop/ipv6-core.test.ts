// IPv6 core interop: fragmentation, reassembly, extension headers and ICMPv6
// errors against the Linux kernel and scapy (needs root).
//
// As in nd-kernel.test.ts, wasagi runs in this process on a TAP whose kernel
// side is moved into a fresh network namespace, and every frame wasagi sends
// or receives is written to a pcap file that tshark dissects: what is asserted
// is what was on the wire. scapy (test/interop/scapy/ipv6_core.py, started
// once, one JSON line per packet recipe) crafts the packets the kernel would
// never send.
//
//   1. The kernel pings with 8000 bytes: reassembly of its fragments, and
//      wasagi's replies fragmented (RFC 8200 §4.5), reassembled by tshark.
//   2. One scapy packet per rule of RFC 8200 §4 / RFC 4443 §2.4, §3: the exact
//      Parameter Problem (code, pointer), Port Unreachable, or silence; the
//      per-destination rate limit (burst 6) on a burst of 20.
//   3. Overlapping fragments discard the datagram (RFC 5722); the next
//      fragmented echo is answered.
//   4. A flood of 3000 first fragments from one source: the kernel's pings
//      still go through and the reassembly budgets hold.
//   5. A Packet Too Big (RFC 8201) lowers the path MTU: the next replies leave
//      in fragments ≤ 1280 bytes.
//
// Each rule has its own source address (all configured on the kernel's side,
// so wasagi's errors can be delivered), so the per-destination ICMPv6 rate
// limit of one case does not silence the next one. Namespace, scapy and the
// temporary directory are removed in `after`, even on failure (and by
// bench/netns.ts's exit handlers if the process dies).

import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../src/stack/stack.js';
import type { PcapDevice } from '../../src/device/pcap.js';
import { parseIp6 } from '../../src/wire/address.js';

import { createNamespace, deleteNamespace, delay, ip, makeTempDir, nsName, run, runInNs, spawnInNs, type ProcHandle } from '../../bench/netns.js';
import { parsePing, type PingSummary } from '../../bench/ping-parse.js';
import { PY, interopSkipReason, kernelMac, until } from '../support/interop.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCAPY_HELPER = join(root, 'test/interop/scapy/ipv6_core.py');

const skip = interopSkipReason([['ip', 'iproute2'], ['ping', 'iputils-ping'], ['tshark', 'tshark']], { scapy: true });

// --- addresses ----------------------------------------------------------------------

const MAC = '02:00:5e:00:c0:02';
const W_ADDR = '2001:db8:c0::2'; // wasagi
const K_ADDR = '2001:db8:c0::1'; // the kernel
/** One source per rule, configured on the kernel's side of the TAP (nodad). */
const CASE_SRC = {
  nh253: '2001:db8:c0::1:1',
  opt10: '2001:db8:c0::1:2',
  opt11: '2001:db8:c0::1:3',
  opt11mc: '2001:db8:c0::1:4',
  opt10mc: '2001:db8:c0::1:5',
  opt01: '2001:db8:c0::1:6',
  rh0sl1: '2001:db8:c0::1:7',
  rh0sl0: '2001:db8:c0::1:8',
  cutchain: '2001:db8:c0::1:9',
  fragnot8: '2001:db8:c0::1:a',
  errbroken: '2001:db8:c0::1:b',
  errdestopt: '2001:db8:c0::1:c',
  udp: '2001:db8:c0::1:d',
  udpburst: '2001:db8:c0::1:e',
  overlap: '2001:db8:c0::1:f',
} as const;
/** The flood's source: not configured anywhere (nothing is sent back to it). */
const FLOOD_SRC = '2001:db8:c0::f:1';

const PER_SOURCE = 256 * 1024;
/** The flood starts this long before the ping's second request is due (about half of scapy's sending time). */
const FLOOD_LEAD_MS = 5;
const TOTAL = 4 * 1024 * 1024;

// --- helpers ------------------------------------------------------------------------

/** One frame of the capture as tshark dissects it; multi-valued fields keep every occurrence (outer first). */
interface Row {
  t: number;
  len: number;
  ethSrc: string;
  src: string[];
  dst: string[];
  type: number[];
  code: number[];
  pointer: number | undefined;
  mtu: number | undefined;
  echoId: number[];
  echoSeq: number[];
  fragId: number | undefined;
  fragOff: number | undefined;
  fragMore: boolean | undefined;
  dataLen: number | undefined;
  csum: number[];
}

const FIELDS = [
  'frame.time_epoch', 'frame.len', 'eth.src', 'ipv6.src', 'ipv6.dst', 'icmpv6.type', 'icmpv6.code', 'icmpv6.pointer', 'icmpv6.mtu',
  'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number', 'ipv6.fraghdr.ident', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'data.len',
  'icmpv6.checksum.status',
];

const nums = (s: string | undefined): number[] => (!s ? [] : s.split('|').map((x) => (x.startsWith('0x') ? parseInt(x, 16) : Number(x))));
const first = (s: string | undefined): number | undefined => nums(s)[0];

/** Flushes wasagi's pcap writer and dissects the frames matching `filter`. */
async function dissect(stack: Stack, ifname: string, file: string, filter: string, defragment = false): Promise<Row[]> {
  (stack.interface(ifname).device as unknown as PcapDevice).flush();
  const r = await run(
    ['tshark', '-n', '-r', file, '-o', `ipv6.defragment:${defragment ? 'TRUE' : 'FALSE'}`, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|', ...FIELDS.flatMap((f) => ['-e', f])],
    { timeoutMs: 30_000, tailChars: 256 * 1024 * 1024 }, // all of it: run() keeps only a tail otherwise
  );
  assert.equal(r.code, 0, `tshark failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const c = l.split('\t');
      const more = c[13] ?? '';
      return {
        t: Number(c[0]) * 1000,
        len: Number(c[1]),
        ethSrc: c[2],
        src: c[3] ? c[3].split('|') : [],
        dst: c[4] ? c[4].split('|') : [],
        type: nums(c[5]),
        code: nums(c[6]),
        pointer: first(c[7]),
        mtu: first(c[8]),
        echoId: nums(c[9]),
        echoSeq: nums(c[10]),
        fragId: first(c[11]),
        fragOff: first(c[12]),
        fragMore: more === '' ? undefined : more.split('|')[0] === 'True' || more.split('|')[0] === '1',
        dataLen: first(c[14]),
        csum: nums(c[15] ?? ''),
      };
    });
}

function describeRows(rows: Row[], t0: number): string {
  if (rows.length === 0) return '  (none)';
  return rows
    .map(
      (f) =>
        `  +${(f.t - t0).toFixed(0)}ms len=${f.len} ${f.ethSrc} ${f.src.join('|')} > ${f.dst.join('|')} type=${f.type.join('|')} code=${f.code.join('|')}` +
        `${f.pointer !== undefined ? ` ptr=${f.pointer}` : ''}${f.mtu !== undefined ? ` mtu=${f.mtu}` : ''}${f.echoId.length ? ` echo=${f.echoId.join('|')}/${f.echoSeq.join('|')}` : ''}` +
        `${f.fragId !== undefined ? ` frag id=0x${f.fragId.toString(16)} off=${f.fragOff} M=${f.fragMore}` : ''}${f.dataLen !== undefined ? ` data=${f.dataLen}` : ''}`,
    )
    .join('\n');
}

/** Counters (MIB and drops) that moved between two snapshots. */
function moved(before: Record<string, number>, after: Record<string, number>, ignore: readonly string[] = []): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([k, v]) => v !== before[k] && !ignore.includes(k))
      .map(([k, v]) => [k, v - (before[k] ?? 0)]),
  );
}

/** Background traffic that may move drop counters meanwhile (the kernel's MLD reports, RS, DAD). */
const BACKGROUND = ['ICMP6_UNHANDLED', 'IP6_GROUP_NOT_JOINED', 'L2_NOT_FOR_US'];

async function kernelPing(ns: string, args: string[], timeoutMs = 15_000): Promise<{ summary: PingSummary | null; text: string }> {
  // From K_ADDR: the kernel would pick any of the case sources otherwise.
  const r = await runInNs(ns, ['ping', '-6', '-I', K_ADDR, ...args], { timeoutMs });
  const text = `${r.stdout}\n${r.stderr}`;
  return { summary: parsePing(text), text };
}

// --- the tests ----------------------------------------------------------------------

describe('IPv6 core: fragments, extension headers and ICMPv6 errors against the kernel and scapy', { skip, timeout: 120_000 }, () => {
  const ns = nsName('v6core');
  const tap = `wsc${process.pid % 100000}`;
  let tmp: { dir: string; release: () => void } | undefined;
  let pcap = '';
  let stack: Stack | undefined;
  let scapy: ProcHandle | undefined;
  let scapyOut = '';
  let kmac = '';
  let seq = 0;

  before(async () => {
    tmp = makeTempDir();
    pcap = join(tmp.dir, 'ipv6-core.pcap');
    await createNamespace(ns);
    stack = new Stack();
    stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: MAC, addresses: [`${W_ADDR}/64`], pcap, acceptRa: false, iid: 'eui64' });
    assert.ok(await stack.addressesSettled(), 'DAD finished (RFC 4862 §5.4)');
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['link', 'set', tap, 'up'], ns);
    for (const a of [K_ADDR, ...Object.values(CASE_SRC)]) await ip(['addr', 'add', `${a}/64`, 'dev', tap, 'nodad'], ns);
    kmac = await kernelMac(ns, tap);
    // scapy imports slowly: start it while the link warms up.
    scapy = spawnInNs(ns, [PY, SCAPY_HELPER, tap], { stdio: ['pipe', 'pipe', 'pipe'], onStdout: (c) => (scapyOut += c) });
    const warm = await runInNs(ns, ['ping', '-6', '-I', K_ADDR, '-c', '1', '-w', '10', W_ADDR], { timeoutMs: 15_000 });
    assert.equal(warm.code, 0, `warm-up ping to wasagi failed: ${warm.stdout} ${warm.stderr}`);
    // wasagi resolves every case source now (RFC 4861 §7.2), so no error waits in an INCOMPLETE queue later.
    const s = stack;
    const res = await Promise.all(Object.values(CASE_SRC).map((a) => s.ping(a, { count: 1, timeout: 3 }).done));
    res.forEach((r, k) => assert.equal(r.received, 1, `wasagi could not ping ${Object.values(CASE_SRC)[k]}`));
    const ok = await until(() => scapyOut.includes('ready') || scapy!.exitStatus() !== null, 30_000, 20);
    assert.ok(ok && scapy.exitStatus() === null, `scapy helper did not start: ${scapy.stderr()}`);
  });

  after(async () => {
    if (scapy) {
      scapy.child.stdin?.end();
      await scapy.stop('SIGTERM', 2000);
    }
    stack?.close();
    await deleteNamespace(ns);
    tmp?.release();
  });

  /** Sends one scapy recipe; resolves with scapy's "sent" line (fields after the id). */
  async function send(m: Record<string, unknown> & { op: string; src: string }, timeoutMs = 15_000): Promise<string[]> {
    const id = `p${++seq}`;
    const line = JSON.stringify({ id, ethSrc: kmac, ethDst: MAC, dst: W_ADDR, ...m });
    scapy!.child.stdin!.write(line + '\n');
    const done = () => scapyOut.split('\n').find((l) => l.startsWith(`sent ${id} `) || l.startsWith(`error ${id} `));
    const got = await until(() => done() !== undefined || scapy!.exitStatus() !== null, timeoutMs, 5);
    assert.ok(got, `scapy did not answer ${line}: ${scapy!.stderr()}`);
    const l = done()!;
    assert.ok(l.startsWith('sent '), `scapy could not send ${line}: ${l}\n${scapy!.stderr()}`);
    return l.split(' ').slice(2);
  }

  // --- 1. kernel ping with 8000 bytes ---------------------------------------------------

  it("1. the kernel's ping -s 8000: 3/3, its fragments reassembled, the replies fragmented ≤ 1500 (RFC 8200 §4.5)", async (t) => {
    const s = stack!;
    const c0 = s.counters().mib;
    const t0 = Date.now();
    const p = await kernelPing(ns, ['-c', '3', '-i', '0.2', '-W', '2', '-s', '8000', W_ADDR]);
    const c1 = s.counters().mib;
    const frags = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${K_ADDR} && ipv6.fraghdr`)).filter((f) => f.t >= t0 - 5);
    const replies = (await dissect(s, tap, pcap, `eth.src == ${MAC} && icmpv6.type == 129 && ipv6.dst == ${K_ADDR}`, true)).filter((f) => f.t >= t0 - 5);
    const ctx = `ping:\n${p.text}\ncounters moved: ${JSON.stringify(moved(c0, c1))}\nwasagi's fragments:\n${describeRows(frags, t0)}\nreplies reassembled by tshark:\n${describeRows(replies, t0)}`;
    t.diagnostic(`ping -s 8000: ${p.summary?.received}/${p.summary?.transmitted}, rtt avg ${p.summary?.rtt?.avg} ms; ReasmOKs +${c1.Ip6ReasmOKs - c0.Ip6ReasmOKs}, FragOKs +${c1.Ip6FragOKs - c0.Ip6FragOKs}, FragCreates +${c1.Ip6FragCreates - c0.Ip6FragCreates}`);

    assert.ok(p.summary, `no ping summary\n${ctx}`);
    assert.equal(p.summary.transmitted, 3, ctx);
    assert.equal(p.summary.received, 3, ctx);
    assert.ok(c1.Ip6ReasmOKs - c0.Ip6ReasmOKs >= 3, `Ip6ReasmOKs\n${ctx}`);
    assert.ok(c1.Ip6ReasmReqds - c0.Ip6ReasmReqds >= 18, `Ip6ReasmReqds\n${ctx}`);
    assert.ok(c1.Ip6FragOKs - c0.Ip6FragOKs >= 3, `Ip6FragOKs\n${ctx}`);
    assert.ok(c1.Ip6FragCreates - c0.Ip6FragCreates >= 3 * 6, `Ip6FragCreates\n${ctx}`);

    // On the wire: one Identification per reply, its fragments ≤ 1500 bytes,
    // offsets contiguous, multiples of 8 but the last, M = 0 only on the last.
    const byId = new Map<number, Row[]>();
    for (const f of frags) byId.set(f.fragId!, [...(byId.get(f.fragId!) ?? []), f]);
    assert.equal(byId.size, 3, `one Identification per reply\n${ctx}`);
    for (const [id, fs] of byId) {
      fs.sort((a, b) => a.fragOff! - b.fragOff!);
      assert.equal(fs.length, 6, `fragments of 0x${id.toString(16)}\n${ctx}`);
      let next = 0;
      for (const [k, f] of fs.entries()) {
        assert.ok(f.len - 14 <= 1500, `fragment of ${f.len - 14} bytes > MTU 1500\n${ctx}`);
        assert.equal(f.fragOff! * 8, next, `fragment offsets of 0x${id.toString(16)} not contiguous\n${ctx}`);
        assert.equal(f.fragMore, k < fs.length - 1, `M flag\n${ctx}`);
        const data = f.len - 14 - 40 - 8;
        if (k < fs.length - 1) assert.equal(data % 8, 0, ctx);
        next += data;
      }
      assert.equal(next, 8 + 8000, `fragmentable part of 0x${id.toString(16)}\n${ctx}`);
    }
    // tshark's reassembly: three valid Echo Replies carrying the 8000 bytes.
    assert.equal(replies.length, 3, ctx);
    for (const r of replies) {
      assert.equal(r.src[0], W_ADDR, ctx);
      assert.equal(r.dataLen, 8000, `reassembled reply data length\n${ctx}`);
      assert.equal(r.csum[0], 1, `ICMPv6 checksum of the reassembled reply (tshark: 1 = good)\n${ctx}`);
    }
    assert.deepEqual(replies.map((r) => r.echoSeq[0]).sort((a, b) => a - b), [1, 2, 3], ctx);
  });

  // --- 2. rules from scapy -----------------------------------------------------------

  type Expect =
    | { error: { type: number; code: number; pointer?: number } }
    | { silence: true }
    | { echoReply: number };

  interface Case {
    name: string;
    src: string;
    recipe: Record<string, unknown> & { op: string };
    expect: Expect;
    /** Counters that must move by at least 1: proof the packet was received and judged. */
    proof: string[];
    todo?: string;
  }

  const cases: Case[] = [
    {
      name: 'unknown Next Header 253 → Parameter Problem code 1, pointer 6 (RFC 8200 §4, RFC 4443 §3.4)',
      src: CASE_SRC.nh253,
      recipe: { op: 'nh253' },
      expect: { error: { type: 4, code: 1, pointer: 6 } },
      proof: ['IP6_PROTO_UNSUPPORTED'],
    },
    {
      name: 'Destination Options, unknown option with action 10 (0x9e) → code 2, pointer 42 (RFC 8200 §4.2)',
      src: CASE_SRC.opt10,
      recipe: { op: 'destopt', otype: 0x9e, echoId: 0x0210 },
      expect: { error: { type: 4, code: 2, pointer: 42 } },
      proof: ['IP6_OPTION_UNKNOWN'],
    },
    {
      name: 'unknown option with action 11 (0xde) to a unicast address → code 2, pointer 42',
      src: CASE_SRC.opt11,
      recipe: { op: 'destopt', otype: 0xde, echoId: 0x0211 },
      expect: { error: { type: 4, code: 2, pointer: 42 } },
      proof: ['IP6_OPTION_UNKNOWN'],
    },
    {
      name: 'unknown option with action 11 to ff02::1 → silence (RFC 8200 §4.2, RFC 4443 §2.4 e.3)',
      src: CASE_SRC.opt11mc,
      recipe: { op: 'destopt', otype: 0xde, echoId: 0x0212, dst: 'ff02::1', ethDst: '33:33:00:00:00:01' },
      expect: { silence: true },
      proof: ['IP6_OPTION_UNKNOWN', 'ICMP6_ERROR_SUPPRESSED'],
    },
    {
      name: 'unknown option with action 10 to ff02::1 → code 2, pointer 42 all the same (the §2.4 e.3 exception)',
      src: CASE_SRC.opt10mc,
      recipe: { op: 'destopt', otype: 0x9e, echoId: 0x0213, dst: 'ff02::1', ethDst: '33:33:00:00:00:01' },
      expect: { error: { type: 4, code: 2, pointer: 42 } },
      proof: ['IP6_OPTION_UNKNOWN'],
    },
    {
      name: 'unknown option with action 01 (0x5e) → silence (discarded, RFC 8200 §4.2)',
      src: CASE_SRC.opt01,
      recipe: { op: 'destopt', otype: 0x5e, echoId: 0x0214 },
      expect: { silence: true },
      proof: ['IP6_OPTION_UNKNOWN'],
    },
    {
      name: 'Routing header type 0, Segments Left 1 → code 0, pointer 42 (RFC 8200 §4.4, RFC 5095)',
      src: CASE_SRC.rh0sl1,
      recipe: { op: 'rh0', segleft: 1, echoId: 0x0215 },
      expect: { error: { type: 4, code: 0, pointer: 42 } },
      proof: ['IP6_ROUTING_TYPE'],
    },
    {
      name: 'Routing header type 0, Segments Left 0 → ignored, the Echo Request behind it answered (RFC 8200 §4.4)',
      src: CASE_SRC.rh0sl0,
      recipe: { op: 'rh0', segleft: 0, echoId: 0x0216 },
      expect: { echoReply: 0x0216 },
      proof: [],
    },
    {
      name: 'a first fragment whose header chain is cut → code 3, pointer 0 (RFC 7112 §5, RFC 8200 §4.5)',
      src: CASE_SRC.cutchain,
      recipe: { op: 'cutchain', ident: 0xc0de0001 },
      expect: { error: { type: 4, code: 3, pointer: 0 } },
      proof: ['IP6_FIRST_FRAGMENT_INCOMPLETE'],
    },
    {
      name: 'a fragment with M = 1 and 13 data bytes → code 0, pointer 4 (RFC 8200 §4.5)',
      src: CASE_SRC.fragnot8,
      recipe: { op: 'fragnot8', ident: 0xc0de0002 },
      expect: { error: { type: 4, code: 0, pointer: 4 } },
      proof: ['FRAG_INVALID'],
    },
    {
      name: 'a Destination Unreachable quoting a broken packet → silence (RFC 4443 §2.4 e.1)',
      src: CASE_SRC.errbroken,
      recipe: { op: 'errbroken' },
      expect: { silence: true },
      proof: ['Icmp6InDestUnreachs'],
    },
    {
      name: 'a Destination Unreachable behind Destination Options with an action-10 option → silence, it is an error message (RFC 4443 §2.4 e.1)',
      src: CASE_SRC.errdestopt,
      recipe: { op: 'errdestopt', otype: 0x9e },
      expect: { silence: true },
      proof: ['IP6_OPTION_UNKNOWN'],
    },
    {
      name: 'UDP to a closed port → Destination Unreachable code 4 (RFC 4443 §3.1)',
      src: CASE_SRC.udp,
      recipe: { op: 'udp', count: 1, sport: 40000, dport: 9 },
      expect: { error: { type: 1, code: 4 } },
      proof: ['UDP_NO_PORT'],
    },
  ];

  for (const c of cases) {
    it(`2. ${c.name}`, { todo: c.todo }, async (t: TestContext) => {
      const s = stack!;
      const snap = () => ({ ...s.counters().mib, ...s.counters().drops });
      const c0 = snap();
      const t0 = Date.now();
      const sent = await send({ ...c.recipe, src: c.src });
      const answered = 'silence' in c.expect ? () => true : () => snap().Icmp6OutMsgs > c0.Icmp6OutMsgs;
      const judged = () => c.proof.every((k) => snap()[k] > c0[k]);
      const got = await until(() => judged() && answered(), 3000, 10);
      await delay(150); // anything else it would send
      const c1 = snap();
      const rows = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${c.src} && icmpv6 && !(icmpv6.type >= 133 && icmpv6.type <= 137)`)).filter((f) => f.t >= t0 - 5);
      const ctx = `sent: ${sent.join(' ')}\ncounters moved: ${JSON.stringify(moved(c0, c1, BACKGROUND))}\nwasagi's ICMPv6 to ${c.src} since the send:\n${describeRows(rows, t0)}`;
      t.diagnostic(`wasagi answered: ${rows.length ? rows.map((r) => `type ${r.type[0]} code ${r.code[0]}${r.pointer !== undefined ? ` pointer ${r.pointer}` : ''}`).join(', ') : 'nothing'}`);
      assert.ok(got, `not judged within 3 s (waiting for ${c.proof.join(', ') || 'an answer'})\n${ctx}`);
      if ('silence' in c.expect) {
        assert.deepEqual(rows, [], `expected silence\n${ctx}`);
      } else if ('echoReply' in c.expect) {
        assert.equal(rows.length, 1, ctx);
        assert.equal(rows[0].type[0], 129, ctx);
        assert.equal(rows[0].echoId[0], c.expect.echoReply, ctx);
        assert.equal(rows[0].src[0], W_ADDR, ctx);
      } else {
        const e = c.expect.error;
        assert.equal(rows.length, 1, `exactly one error expected\n${ctx}`);
        const r = rows[0];
        assert.deepEqual([r.type[0], r.code[0]], [e.type, e.code], `type, code\n${ctx}`);
        if (e.pointer !== undefined) assert.equal(r.pointer, e.pointer, `pointer\n${ctx}`);
        assert.equal(r.src[0], W_ADDR, `from wasagi's unicast address (RFC 4443 §2.2)\n${ctx}`);
        assert.equal(r.csum[0], 1, `ICMPv6 checksum (tshark: 1 = good)\n${ctx}`);
        // The invoking packet is quoted (RFC 4443 §2.4 c).
        assert.equal(r.src[1], c.src, `quoted source\n${ctx}`);
        assert.equal(r.dst[1], (c.recipe.dst as string | undefined) ?? W_ADDR, `quoted destination\n${ctx}`);
        assert.equal(c1.Icmp6OutErrors - c0.Icmp6OutErrors, 1, ctx);
      }
    });
  }

  it('2. a burst of 20 UDP datagrams to a closed port gets at most 6 Port Unreachables in the first second (RFC 4443 §2.4 f)', async (t) => {
    const s = stack!;
    const snap = () => ({ ...s.counters().mib, ...s.counters().drops });
    const c0 = snap();
    const t0 = Date.now();
    const sent = await send({ op: 'udp', count: 20, sport: 41000, dport: 9, src: CASE_SRC.udpburst });
    const got = await until(() => snap().UDP_NO_PORT - c0.UDP_NO_PORT >= 20, 3000, 10);
    await delay(150);
    const c1 = snap();
    const rows = (await dissect(s, tap, pcap, `ipv6.src == ${CASE_SRC.udpburst} || ipv6.dst == ${CASE_SRC.udpburst}`)).filter((f) => f.t >= t0 - 5);
    const inbound = rows.filter((f) => f.ethSrc === kmac && f.type.length === 0);
    const answers = rows.filter((f) => f.ethSrc === MAC && f.type[0] === 1);
    const ctx = `sent: ${sent.slice(0, 1).join(' ')} datagrams\ncounters moved: ${JSON.stringify(moved(c0, c1, BACKGROUND))}\nframes:\n${describeRows(rows.filter((f) => f.type.length > 0), t0)}`;
    const tFirst = inbound[0]?.t ?? t0;
    const inFirstSecond = answers.filter((f) => f.t < tFirst + 1000);
    t.diagnostic(`${inbound.length} datagrams over ${inbound.length ? (inbound[inbound.length - 1].t - tFirst).toFixed(1) : '?'} ms, ${answers.length} Port Unreachables (${inFirstSecond.length} in the first second); Icmp6OutRateLimitHost +${c1.Icmp6OutRateLimitHost - c0.Icmp6OutRateLimitHost}`);
    assert.ok(got, `wasagi did not receive the 20 datagrams\n${ctx}`);
    assert.equal(inbound.length, 20, ctx);
    assert.ok(inFirstSecond.length >= 1, `no Port Unreachable at all\n${ctx}`);
    assert.ok(inFirstSecond.length <= 6, `${inFirstSecond.length} Port Unreachables in the first second (burst 6)\n${ctx}`);
    for (const a of answers) assert.deepEqual([a.type[0], a.code[0], a.src[0]], [1, 4, W_ADDR], ctx);
    assert.equal(c1.Icmp6OutPortUnreachs - c0.Icmp6OutPortUnreachs, answers.length, ctx);
    assert.equal(c1.ICMP6_RATE_LIMITED - c0.ICMP6_RATE_LIMITED, 20 - answers.length, ctx);
    assert.equal(c1.Icmp6OutRateLimitHost - c0.Icmp6OutRateLimitHost, 20 - answers.length, ctx);
  });

  // --- 3. overlapping fragments ----------------------------------------------------------

  it('3. overlapping fragments discard the datagram (RFC 5722); the next fragmented echo is answered', async (t) => {
    const s = stack!;
    const src = CASE_SRC.overlap;
    const snap = () => ({ ...s.counters().mib, ...s.counters().drops });
    const c0 = snap();
    const t0 = Date.now();
    const sent = await send({ op: 'overlap', src, ident: 0x5722a001, echoId: 0x0301, size: 3000 });
    // 4 fragments: the first two, the overlapping one, the last.
    const judged = await until(() => snap().Ip6ReasmReqds - c0.Ip6ReasmReqds >= 4, 3000, 10);
    await delay(150);
    const c1 = snap();
    const t1 = Date.now();
    const sent2 = await send({ op: 'fragecho', src, ident: 0x5722a002, echoId: 0x0302, size: 3000 });
    const answered = await until(() => snap().Ip6FragOKs > c1.Ip6FragOKs, 3000, 10);
    await delay(100);
    const c2 = snap();
    const all = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${src} && (ipv6.fraghdr || icmpv6.type == 129)`)).filter((f) => f.t >= t0 - 5);
    const replies = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${src} && icmpv6.type == 129`, true)).filter((f) => f.t >= t0 - 5);
    const ctx = `scapy: ${sent[0]} frames then ${sent2[0]}\ncounters moved by the overlap: ${JSON.stringify(moved(c0, c1, BACKGROUND))}\nby the clean echo: ${JSON.stringify(moved(c1, c2, BACKGROUND))}\nwasagi's frames to ${src}:\n${describeRows(all, t0)}\nreassembled by tshark:\n${describeRows(replies, t0)}`;
    t.diagnostic(`overlap: FRAG_OVERLAP +${c1.FRAG_OVERLAP - c0.FRAG_OVERLAP}, ReasmOKs +${c1.Ip6ReasmOKs - c0.Ip6ReasmOKs}; clean echo: ReasmOKs +${c2.Ip6ReasmOKs - c1.Ip6ReasmOKs}, reply in ${c2.Ip6FragCreates - c1.Ip6FragCreates} fragments`);
    assert.ok(judged, `wasagi did not receive the 4 fragments\n${ctx}`);
    assert.equal(sent[0], '4', ctx);
    assert.ok(c1.FRAG_OVERLAP - c0.FRAG_OVERLAP >= 1, `FRAG_OVERLAP not counted\n${ctx}`);
    assert.equal(c1.Ip6ReasmOKs, c0.Ip6ReasmOKs, `the overlapped datagram was reassembled\n${ctx}`);
    assert.equal(replies.filter((r) => r.echoId[0] === 0x0301).length, 0, `an Echo Reply to the overlapped datagram\n${ctx}`);
    assert.equal(all.filter((f) => f.t < t1).length, 0, `wasagi sent something to ${src} after the overlap\n${ctx}`);
    // The clean one.
    assert.ok(answered, `the clean fragmented echo was not answered\n${ctx}`);
    assert.equal(c2.Ip6ReasmOKs - c1.Ip6ReasmOKs, 1, ctx);
    const ok = replies.filter((r) => r.echoId[0] === 0x0302);
    assert.equal(ok.length, 1, ctx);
    assert.equal(ok[0].dataLen, 3000, ctx);
    assert.equal(ok[0].csum[0], 1, ctx);
  });

  // --- 4. fragment flood -------------------------------------------------------------

  it('4. a flood of 3000 first fragments from one source: the kernel still pings 3/3, the budgets hold', async (t) => {
    const s = stack!;
    const r = s.reassembler;
    const flood = parseIp6(FLOOD_SRC);
    // Watch every fragment: the budgets after each one, not just at the end.
    let maxSource = 0;
    let maxTotal = 0;
    let calls = 0;
    const orig = r.onFragment;
    r.onFragment = function (this: typeof r, ...args: Parameters<typeof orig>) {
      const res = orig.apply(this, args);
      calls++;
      maxSource = Math.max(maxSource, r.bytesHeldBy(flood));
      maxTotal = Math.max(maxTotal, r.counters.bytesHeld);
      return res;
    };
    try {
      // The TAP's queue (tun's ring: txqueuelen frames) holds the whole flood, so
      // the kernel drops nothing on the way: every fragment and the ping's
      // request behind them reach wasagi, which must get through them.
      await ip(['link', 'set', tap, 'txqueuelen', '4096'], ns);
      const tapStats = async () => {
        const j = JSON.parse(await ip(['-j', '-s', 'link', 'show', 'dev', tap], ns)) as Array<{ txqlen: number; stats64: { tx: { packets: number; dropped: number } } }>;
        return { qlen: j[0].txqlen, ...j[0].stats64.tx };
      };
      const q0 = await tapStats();
      const snap = () => ({ ...s.counters().mib, ...s.counters().drops });
      const c0 = snap();
      const ev0 = r.counters.evictions;
      const t0 = Date.now();
      // The flood is timed so that the ping's second request (200 ms after the
      // first reply) leaves while scapy is still sending: it is queued among
      // the fragments, not before or after them.
      await send({ op: 'floodprep', src: FLOOD_SRC, size: 1200 });
      let pingOut = '';
      let floodAt = 0;
      let flooding: Promise<string[]> | undefined;
      const tPing = Date.now();
      const pinger = spawnInNs(ns, ['ping', '-6', '-I', K_ADDR, '-c', '3', '-i', '0.2', '-W', '2', W_ADDR], {
        onStdout: (chunk) => {
          pingOut += chunk;
          if (!floodAt && pingOut.includes('icmp_seq=1 ')) {
            floodAt = Date.now() + 200 - FLOOD_LEAD_MS;
            setTimeout(() => (flooding = send({ op: 'flood', src: FLOOD_SRC, count: 3000, base: 0x7f000000 }, 30_000)), 200 - FLOOD_LEAD_MS);
          }
        },
      });
      await pinger.exited;
      await until(() => flooding !== undefined, 1000, 5);
      assert.ok(flooding, `the flood never started: the ping's first reply did not come\n${pingOut}\n${pinger.stderr()}`);
      const fl = await flooding;
      const during = { text: `${pingOut}\n${pinger.stderr()}`, summary: parsePing(pingOut) };
      const tFlood = Date.now() - t0;
      // Drained: no fragment for 100 ms.
      for (let last = -1, end = Date.now() + 2000; calls !== last && Date.now() < end; ) {
        last = calls;
        await delay(100);
      }
      const afterPing = await kernelPing(ns, ['-c', '3', '-i', '0.2', '-W', '2', W_ADDR]);
      const c1 = snap();
      const q1 = await tapStats();
      // Where the ping's requests fell among the flood's fragments, in wasagi's receive order.
      const seen = (await dissect(s, tap, pcap, `ipv6.src == ${FLOOD_SRC} || (icmpv6.type == 128 && ipv6.src == ${K_ADDR})`)).filter((f) => f.t >= t0 - 5);
      const floodRows = seen.filter((f) => f.src[0] === FLOOD_SRC);
      const tFirstFrag = floodRows[0]?.t ?? NaN;
      const tLastFrag = floodRows[floodRows.length - 1]?.t ?? NaN;
      const pingAt = seen
        .flatMap((f, k) => (f.src[0] === K_ADDR ? [`#${f.echoSeq[0]} read after ${seen.slice(0, k).filter((x) => x.src[0] === FLOOD_SRC).length} fragments, ${(f.t - tFirstFrag).toFixed(0)} ms after the first`] : []))
        .slice(0, 3); // the ping during the flood, not the one after
      // The second request was due FLOOD_LEAD_MS after the flood was started.
      const due2 = floodAt + FLOOD_LEAD_MS;
      const floodSpan = floodRows.length ? `${floodRows.length} fragments read over ${(tLastFrag - tFirstFrag).toFixed(0)} ms` : 'no fragment';
      const received = c1.Ip6ReasmReqds - c0.Ip6ReasmReqds;
      const held = r.bytesHeldBy(flood);
      const ctx = `TAP (kernel side): txqueuelen ${q1.qlen}, ${q1.packets - q0.packets} frames sent to wasagi, ${q1.dropped - q0.dropped} dropped by the kernel
scapy: ${fl.join(' ')} (frames, ms, ENOBUFS retries, frame length)\nping during:\n${during.text}\nping after:\n${afterPing.text}\ncounters moved: ${JSON.stringify(moved(c0, c1, BACKGROUND))}\nheld for the source ${held}, max ${maxSource}; total ${r.counters.bytesHeld}, max ${maxTotal}; evictions +${r.counters.evictions - ev0}; datagrams ${r.size}`;
      t.diagnostic(`wasagi read the flood: ${floodSpan}; the ping's second request was due ${(due2 - tFirstFrag).toFixed(0)} ms after the first fragment was read; requests: ${pingAt.join('; ')}`);
      t.diagnostic(`flood: scapy sent ${fl[0]} frames in ${fl[1]} ms (${fl[2]} ENOBUFS retries), the TAP queue dropped ${q1.dropped - q0.dropped}, wasagi saw ${received} fragments; ping during ${during.summary?.received}/${during.summary?.transmitted}, after ${afterPing.summary?.received}/${afterPing.summary?.transmitted}; held max ${maxSource} B for the source, ${maxTotal} B total; evictions +${r.counters.evictions - ev0}; ${tFlood} ms`);
      assert.equal(during.summary?.transmitted, 3, ctx);
      assert.ok(due2 < tLastFrag, `the ping's second request was due ${(due2 - tLastFrag).toFixed(0)} ms after wasagi had read the whole flood: not during it\n${pingAt.join('; ')}\n${ctx}`);
      assert.equal(during.summary?.received, 3, `ping during the flood\n${ctx}`);
      assert.equal(afterPing.summary?.received, 3, `ping after the flood\n${ctx}`);
      // The flood must have reached past the per-source budget for the test to mean anything.
      assert.ok(received * (1200 + 64) > PER_SOURCE, `only ${received} fragments reached wasagi: the budget was never tested\n${ctx}`);
      assert.ok(r.counters.evictions > ev0 || c1.FRAG_BUDGET > c0.FRAG_BUDGET, `no eviction\n${ctx}`);
      assert.ok(maxSource <= PER_SOURCE, `per-source budget exceeded: ${maxSource}\n${ctx}`);
      assert.ok(held <= PER_SOURCE, ctx);
      assert.ok(held > 0, `nothing held for the flood's source\n${ctx}`);
      assert.ok(maxTotal <= TOTAL, `total budget exceeded: ${maxTotal}\n${ctx}`);
      assert.ok(r.counters.bytesHeld <= TOTAL, ctx);
      assert.equal(c1.Ip6ReasmOKs, c0.Ip6ReasmOKs, `a first fragment alone was "reassembled"\n${ctx}`);
    } finally {
      r.onFragment = orig;
    }
  });

  // --- 5. Packet Too Big --------------------------------------------------------------

  let ptbDone = false;

  it('5. a Packet Too Big with MTU 1280 lowers the path MTU: the next ping -s 1400 reply leaves in 2 fragments ≤ 1280 (RFC 8201 §4)', async (t) => {
    const s = stack!;
    const kaddr = parseIp6(K_ADDR);
    assert.equal(s.pmtu.pmtu(kaddr, 1500), 1500, 'the path MTU starts at the link MTU');
    const c0 = s.counters().mib;
    const t0 = Date.now();
    const p0 = await kernelPing(ns, ['-c', '1', '-W', '2', '-s', '1400', W_ADDR]);
    const before0 = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${K_ADDR} && (icmpv6.type == 129 || ipv6.fraghdr)`)).filter((f) => f.t >= t0 - 5);
    const ctx0 = `ping:\n${p0.text}\nwasagi's frames:\n${describeRows(before0, t0)}`;
    assert.equal(p0.summary?.received, 1, ctx0);
    assert.equal(before0.length, 1, `one unfragmented reply\n${ctx0}`);
    assert.equal(before0[0].fragId, undefined, ctx0);
    assert.equal(before0[0].len - 14, 40 + 8 + 1400, ctx0);

    // scapy: a PTB quoting that reply (its id and sequence number), cut to 1280 bytes.
    const sent = await send({ op: 'ptb', src: K_ADDR, mtu: 1280, quotedSrc: W_ADDR, quotedDst: K_ADDR, echoId: before0[0].echoId[0], seq: before0[0].echoSeq[0], dataLen: 1400 });
    const got = await until(() => s.counters().mib.Icmp6InPktTooBigs > c0.Icmp6InPktTooBigs, 3000, 10);
    assert.ok(got, `PTB not counted (Icmp6InPktTooBigs); drops moved ${JSON.stringify(moved(c0, s.counters().mib))}; frame ${sent[1]}`);
    assert.equal(s.pmtu.pmtu(kaddr, 1500), 1280, 'the path MTU after the PTB');
    ptbDone = true;

    const c1 = s.counters().mib;
    const t1 = Date.now();
    const p1 = await kernelPing(ns, ['-c', '1', '-W', '2', '-s', '1400', W_ADDR]);
    const c2 = s.counters().mib;
    const after1 = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${K_ADDR} && (icmpv6.type == 129 || ipv6.fraghdr)`)).filter((f) => f.t >= t1 - 5);
    const reasm = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${K_ADDR} && icmpv6.type == 129`, true)).filter((f) => f.t >= t1 - 5);
    const ctx = `ping:\n${p1.text}\ncounters moved: ${JSON.stringify(moved(c1, c2))}\nwasagi's frames after the PTB:\n${describeRows(after1, t1)}\nreassembled by tshark:\n${describeRows(reasm, t1)}`;
    t.diagnostic(`after the PTB: ${after1.length} frame(s) of ${after1.map((f) => f.len - 14).join(', ')} bytes (IPv6)`);
    assert.equal(p1.summary?.received, 1, ctx);
    assert.equal(after1.length, 2, `2 fragments expected\n${ctx}`);
    for (const f of after1) {
      assert.ok(f.fragId !== undefined, `an unfragmented frame after the PTB\n${ctx}`);
      assert.ok(f.len - 14 <= 1280, `a ${f.len - 14}-byte fragment > PMTU 1280\n${ctx}`);
    }
    assert.equal(after1[0].fragId, after1[1].fragId, ctx);
    assert.equal(reasm.length, 1, ctx);
    assert.equal(reasm[0].dataLen, 1400, ctx);
  });

  it('5. after the PTB, replies built from reassembled requests (ping -s 3000) also leave in fragments ≤ 1280', async (t) => {
    if (!ptbDone) return t.skip('the PTB was not processed');
    const s = stack!;
    const t1 = Date.now();
    const p = await kernelPing(ns, ['-c', '1', '-W', '2', '-s', '3000', W_ADDR]);
    const frags = (await dissect(s, tap, pcap, `eth.src == ${MAC} && ipv6.dst == ${K_ADDR} && ipv6.fraghdr`)).filter((f) => f.t >= t1 - 5);
    const ctx = `ping:\n${p.text}\nwasagi's fragments:\n${describeRows(frags, t1)}`;
    t.diagnostic(`fragments of ${frags.map((f) => f.len - 14).join(', ')} bytes`);
    assert.equal(p.summary?.received, 1, ctx);
    assert.equal(frags.length, 3, `3048 bytes in 1232-byte pieces\n${ctx}`);
    for (const f of frags) assert.ok(f.len - 14 <= 1280, ctx);
  });
});
