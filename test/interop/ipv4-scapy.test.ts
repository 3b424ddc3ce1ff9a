// IPv4 edge cases against wasagi, crafted with scapy on the kernel's side of
// a TAP (needs root, /dev/net/tun and python3-scapy).
//
// wasagi runs in this process on a TAP whose kernel side is moved into a
// fresh network namespace (10.47.0.1/24 and one source address per case on
// the kernel, 10.47.0.2/24 on wasagi). scapy (test/interop/scapy/ipv4_edge.py,
// started once, one JSON line per recipe) sends what the kernel never would
// and sniffs every frame wasagi sends back; the assertions read those frames
// and wasagi's drop counters.
//
//   1. Header checks (RFC 791 §3.1, RFC 1122 §3.2.1.1–2): bad checksum,
//      Version ≠ 4, IHL < 5, Total Length beyond the frame are dropped
//      silently; Ethernet padding after a short datagram is ignored.
//   2. Echo (RFC 792, RFC 1122 §3.2.2.6): requests with options are answered;
//      requests to a broadcast are ignored (Linux's icmp_echo_ignore_broadcasts).
//   3. Martian sources (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7) are dropped.
//   4. An unknown protocol: Protocol Unreachable (RFC 1122 §3.2.2.1) quoting
//      the datagram within 576 bytes (RFC 1812 §4.3.2.3); none for a broadcast.
//   5. UDP (RFC 768, RFC 1122 §4.1.3): Port Unreachable, checksum 0 accepted,
//      a bad checksum dropped.
//   6. Fragments (RFC 791 §3.2, RFC 1122 §3.3.2): in and out of order, an
//      overlap (RFC 5722's rule, as Linux), and a lone first fragment timing
//      out into Time Exceeded code 1 — after the stack's own 30 s (it has no
//      option to shorten it), so it is sent first and checked last while the
//      other cases run.
//   7. The ICMP error rate limit (RFC 1812 §4.3.2.8, Linux's burst of 6).
//
// Each case has its own source address, so the per-destination rate limit of
// one case does not silence the next. Namespace, scapy and stack are removed
// in `after`, even on failure (and by bench/netns.ts's exit handlers if the
// process dies).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStack, type Stack } from '../../src/stack/stack.js';
import type { RemoteInfo, UdpSocket } from '../../src/socket/udp.js';
import { ipv4Checksum } from '../../src/wire/ipv4.js';

import { createNamespace, deleteNamespace, delay, ip, nsName, runInNs, spawnInNs, type ProcHandle } from '../../bench/netns.js';
import { PY, interopSkipReason, kernelMac, until } from '../support/interop.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCAPY_HELPER = join(root, 'test/interop/scapy/ipv4_edge.py');

const skip = interopSkipReason([['ip', 'iproute2'], ['ping', 'iputils-ping']], { scapy: true });

// --- addresses ----------------------------------------------------------------------

const MAC = '02:00:5e:00:c4:02';
const W4 = '10.47.0.2'; // wasagi
const K4 = '10.47.0.1'; // the kernel
const BCAST = '10.47.0.255';
const LIMITED = '255.255.255.255';
const ETH_BCAST = 'ff:ff:ff:ff:ff:ff';
/** One source per case, configured on the kernel's side of the TAP. */
const SRC = {
  header: '10.47.0.11',
  pad: '10.47.0.12',
  opts: '10.47.0.13',
  bcastEcho: '10.47.0.14',
  proto: '10.47.0.15',
  protoBcast: '10.47.0.16',
  udpClosed: '10.47.0.17',
  udpBound: '10.47.0.18',
  frags: '10.47.0.19',
  overlap: '10.47.0.20',
  lone: '10.47.0.21',
  burst: '10.47.0.22',
} as const;
/** Reassembly timeout of wasagi's IPv4 reassembler (src/ipv4/reassembly.ts REASM_TIMEOUT, Linux's ipfrag_time). */
const REASM_TIMEOUT_MS = 30_000;

// --- frames -------------------------------------------------------------------------

interface Ip4 {
  hl: number;
  tot: number;
  ttl: number;
  proto: number;
  src: string;
  dst: string;
  /** The header checksum verifies (RFC 1071). */
  headerOk: boolean;
  options: Buffer;
  /** Header and payload, up to Total Length. */
  datagram: Buffer;
  payload: Buffer;
}

interface Icmp {
  type: number;
  code: number;
  csumOk: boolean;
  /** Bytes 4–7 (identifier and sequence number of an echo). */
  id: number;
  seq: number;
  /** After the 8-byte header: echo data, or an error's quoted datagram. */
  data: Buffer;
}

interface Frame {
  /** ms since the epoch (scapy's capture time). */
  t: number;
  bytes: Buffer;
  etherType: number;
  ip?: Ip4;
  icmp?: Icmp;
}

const dotted = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function parseFrame(t: number, hex: string): Frame {
  const bytes = Buffer.from(hex, 'hex');
  const etherType = bytes.readUInt16BE(12);
  const f: Frame = { t: t * 1000, bytes, etherType };
  if (etherType !== 0x0800 || bytes.length < 34) return f;
  const b = bytes.subarray(14);
  const hl = (b[0] & 0x0f) * 4;
  const tot = b.readUInt16BE(2);
  const datagram = b.subarray(0, Math.min(tot, b.length));
  f.ip = {
    hl,
    tot,
    ttl: b[8],
    proto: b[9],
    src: dotted(b, 12),
    dst: dotted(b, 16),
    headerOk: ipv4Checksum(b.subarray(0, hl)) === 0,
    options: b.subarray(20, hl),
    datagram,
    payload: datagram.subarray(hl),
  };
  const p = f.ip.payload;
  if (f.ip.proto === 1 && p.length >= 8) {
    f.icmp = { type: p[0], code: p[1], csumOk: ipv4Checksum(p) === 0, id: p.readUInt16BE(4), seq: p.readUInt16BE(6), data: p.subarray(8) };
  }
  return f;
}

function describeFrames(frames: Frame[], t0: number): string {
  if (frames.length === 0) return '  (none)';
  return frames
    .map((f) => {
      const at = `+${(f.t - t0).toFixed(1)}ms len=${f.bytes.length}`;
      if (!f.ip) return `  ${at} ethertype 0x${f.etherType.toString(16)}`;
      const i = f.ip;
      const icmp = f.icmp ? ` icmp ${f.icmp.type}/${f.icmp.code} id=${f.icmp.id} seq=${f.icmp.seq} data=${f.icmp.data.length}${f.icmp.csumOk ? '' : ' BAD-CSUM'}` : '';
      return `  ${at} ${i.src} > ${i.dst} proto=${i.proto} tot=${i.tot} hl=${i.hl} ttl=${i.ttl}${i.headerOk ? '' : ' BAD-HDR-CSUM'}${icmp}`;
    })
    .join('\n');
}

/** The bytes the test's pattern helpers put in payloads (ipv4_edge.py `pattern`). */
const pattern = (n: number, k: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * k + 3) & 0xff));

/** Drop counters that moved between two snapshots. */
function moved(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => v !== before[k]).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

interface Sent {
  sent: number;
  /** ms since the epoch when the first frame left. */
  t0: number;
  /** The first frame sent. */
  first: Buffer;
  /** wasagi's frames sniffed from t0 until the listening window closed. */
  frames: Frame[];
}

function bound(s: UdpSocket, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, W4, () => {
      s.off('error', reject);
      resolve(s.address().port);
    });
  });
}

// --- the tests ----------------------------------------------------------------------

describe('IPv4 edge cases crafted with scapy against wasagi', { skip, timeout: 90_000 }, () => {
  const ns = nsName('v4scapy');
  const tap = `wsv4${process.pid % 100000}`;
  let stack: Stack | undefined;
  let scapy: ProcHandle | undefined;
  let scapyBuf = '';
  const scapyLines: string[] = [];
  let kmac = '';
  let seq = 0;
  const sockets: UdpSocket[] = [];

  before(async () => {
    await createNamespace(ns);
    stack = createStack();
    // No DAD and no RS: only IPv4 matters here.
    stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: MAC, addresses: [`${W4}/24`], acceptRa: false, dadTransmits: 0 });
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['link', 'set', tap, 'up'], ns);
    await ip(['addr', 'add', `${K4}/24`, 'dev', tap], ns);
    for (const a of Object.values(SRC)) await ip(['addr', 'add', `${a}/24`, 'dev', tap], ns);
    kmac = await kernelMac(ns, tap);
    // scapy imports slowly: start it while the link warms up.
    scapy = spawnInNs(ns, [PY, SCAPY_HELPER, tap, MAC], {
      stdio: ['pipe', 'pipe', 'pipe'],
      onStdout: (c) => {
        scapyBuf += c;
        let nl: number;
        while ((nl = scapyBuf.indexOf('\n')) >= 0) {
          scapyLines.push(scapyBuf.slice(0, nl));
          scapyBuf = scapyBuf.slice(nl + 1);
        }
      },
    });
    const warm = await runInNs(ns, ['ping', '-4', '-c', '1', '-w', '10', W4], { timeoutMs: 15_000 });
    assert.equal(warm.code, 0, `warm-up ping to wasagi failed: ${warm.stdout} ${warm.stderr}`);
    // wasagi resolves every case source now (RFC 826), so no error waits in an ARP queue later.
    const s = stack;
    const res = await Promise.all(Object.values(SRC).map((a) => s.ping(a, { count: 1, timeout: 3 }).done));
    res.forEach((r, k) => assert.equal(r.received, 1, `wasagi could not ping ${Object.values(SRC)[k]}`));
    const ok = await until(() => scapyLines.includes('ready') || scapy!.exitStatus() !== null, 30_000, 20);
    assert.ok(ok && scapy.exitStatus() === null, `scapy helper did not start: ${scapyLines.join('\n')}\n${scapy.stderr()}`);
  });

  after(async () => {
    for (const s of sockets) s.close();
    if (scapy) {
      scapy.child.stdin?.end();
      await scapy.stop('SIGTERM', 2000);
    }
    stack?.close();
    await deleteNamespace(ns);
  });

  /** Sends one scapy recipe and collects wasagi's frames for `listen` seconds after it. */
  async function send(m: Record<string, unknown> & { op: string }, listen = 0.3): Promise<Sent> {
    const id = `p${++seq}`;
    const line = JSON.stringify({ id, ethSrc: kmac, ethDst: MAC, dst: W4, listen, ...m });
    scapy!.child.stdin!.write(line + '\n');
    const find = () => scapyLines.find((l) => l.startsWith(`error ${id} `) || (l.startsWith('result ') && l.includes(`"id": "${id}"`)));
    const got = await until(() => find() !== undefined || scapy!.exitStatus() !== null, 10_000 + listen * 1000, 5);
    assert.ok(got, `scapy did not answer ${line}: ${scapy!.stderr()}`);
    const l = find()!;
    assert.ok(l.startsWith('result '), `scapy could not send ${line}: ${l}\n${scapy!.stderr()}`);
    const r = JSON.parse(l.slice('result '.length)) as { sent: number; t0: number; first?: string; frames: Array<{ t: number; hex: string }> };
    return { sent: r.sent, t0: r.t0 * 1000, first: Buffer.from(r.first ?? '', 'hex'), frames: r.frames.map((f) => parseFrame(f.t, f.hex)) };
  }

  const drops = (): Record<string, number> => stack!.counters().drops;
  /** wasagi's IPv4 frames to `dst`. */
  const to = (frames: Frame[], dst: string): Frame[] => frames.filter((f) => f.ip?.dst === dst);
  const ctxOf = (r: Sent, d0: Record<string, number>, d1: Record<string, number>): string =>
    `drops moved: ${JSON.stringify(moved(d0, d1))}\nwasagi's frames:\n${describeFrames(r.frames, r.t0)}`;

  /** The lone first fragment of 6d, sent first and checked last. */
  let lone: { t0: number; first: Buffer; timeouts0: number } | undefined;

  // --- 6d (start). The lone first fragment: its 30 s run while the other cases do -----

  it('6d (start): a lone first fragment is held, nothing sent back yet', async () => {
    const s = stack!;
    const timeouts0 = s.v4.reassembler.counters.timeouts;
    const held0 = s.v4.reassembler.size;
    const r = await send({ op: 'frags', src: SRC.lone, sport: 40600, dport: 9, size: 1200, fragsize: 600, ident: 0x6d01, order: 'first' });
    lone = { t0: r.t0, first: r.first, timeouts0 };
    assert.equal(r.sent, 1);
    assert.equal(s.v4.reassembler.size, held0 + 1, `the fragment is not held\n${describeFrames(r.frames, r.t0)}`);
    assert.deepEqual(to(r.frames, SRC.lone), [], 'nothing goes back before the timeout');
  });

  // --- 1. header checks ---------------------------------------------------------------

  it('1. a bad header checksum is dropped silently: IP4_CHECKSUM, no reply (RFC 1122 §3.2.1.2)', async () => {
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.header, ip: { chksum: 0x1234 }, body: { kind: 'echo', echoId: 0x0101 } });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(d1.IP4_CHECKSUM - d0.IP4_CHECKSUM, 1, ctx);
    assert.deepEqual(to(r.frames, SRC.header), [], `a reply to a datagram with a bad header checksum\n${ctx}`);
  });

  it('1. Version ≠ 4 and IHL < 5 are dropped silently: IP4_HEADER (RFC 791 §3.1, RFC 1122 §3.2.1.1)', async () => {
    const d0 = drops();
    const v5 = await send({ op: 'ip', src: SRC.header, ip: { version: 5 }, body: { kind: 'echo', echoId: 0x0102 } }, 0.1);
    const ihl4 = await send({ op: 'ip', src: SRC.header, ip: { ihl: 4 }, body: { kind: 'echo', echoId: 0x0103 } });
    const d1 = drops();
    const frames = [...v5.frames, ...ihl4.frames];
    const ctx = `drops moved: ${JSON.stringify(moved(d0, d1))}\nwasagi's frames:\n${describeFrames(frames, v5.t0)}`;
    assert.equal(d1.IP4_HEADER - d0.IP4_HEADER, 2, ctx);
    assert.deepEqual(to(frames, SRC.header), [], ctx);
  });

  it('1. Total Length beyond the frame is dropped: IP4_TRUNCATED (RFC 791 §3.1)', async () => {
    const d0 = drops();
    // 20 + 8 + 16 bytes sent, Total Length 200.
    const r = await send({ op: 'ip', src: SRC.header, ip: { len: 200 }, body: { kind: 'echo', echoId: 0x0104 } });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(r.first.length, 14 + 20 + 8 + 16, ctx);
    assert.equal(d1.IP4_TRUNCATED - d0.IP4_TRUNCATED, 1, ctx);
    assert.deepEqual(to(r.frames, SRC.header), [], ctx);
  });

  it('1. Ethernet padding after a short datagram is ignored: the echo is answered, Total Length 28', async () => {
    const d0 = drops();
    // An echo request with no data: 28 bytes of IPv4, 18 bytes of 0xaa padding to 60.
    const r = await send({ op: 'ip', src: SRC.pad, body: { kind: 'echo', echoId: 0x0105, seq: 7, size: 0 }, pad: 18 });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(r.first.length, 60, ctx);
    const replies = to(r.frames, SRC.pad).filter((f) => f.icmp?.type === 0);
    assert.equal(replies.length, 1, `no single echo reply\n${ctx}`);
    const [f] = replies;
    assert.equal(f.ip!.src, W4, ctx);
    assert.ok(f.ip!.headerOk, `bad header checksum in the reply\n${ctx}`);
    assert.equal(f.ip!.tot, 28, `the padding went into the reply\n${ctx}`);
    assert.ok(f.icmp!.csumOk, `bad ICMP checksum in the reply (over the padding?)\n${ctx}`);
    assert.deepEqual([f.icmp!.code, f.icmp!.id, f.icmp!.seq, f.icmp!.data.length], [0, 0x0105, 7, 0], ctx);
  });

  // --- 2. echo ------------------------------------------------------------------------

  for (const [name, options, echoId] of [['4 NOPs', 'nop', 0x0201], ['an empty Record Route', 'rr', 0x0202]] as const) {
    it(`2. an echo request with options (${name}) is answered with a valid reply (RFC 792, RFC 1122 §3.2.2.6)`, async () => {
      const d0 = drops();
      const r = await send({ op: 'ip', src: SRC.opts, options, body: { kind: 'echo', echoId, seq: 3, size: 56 } });
      const d1 = drops();
      const ctx = ctxOf(r, d0, d1);
      assert.equal(r.first[14] & 0x0f, options === 'nop' ? 6 : 15, `scapy's header length\n${ctx}`);
      const replies = to(r.frames, SRC.opts).filter((f) => f.icmp?.type === 0 && f.icmp.id === echoId);
      assert.equal(replies.length, 1, `no single echo reply\n${ctx}`);
      const [f] = replies;
      assert.equal(f.ip!.src, W4, ctx);
      assert.ok(f.ip!.headerOk, ctx);
      assert.equal(f.ip!.tot, f.ip!.hl + 8 + 56, ctx);
      assert.ok(f.icmp!.csumOk, ctx);
      assert.deepEqual([f.icmp!.code, f.icmp!.seq], [0, 3], ctx);
      assert.deepEqual(f.icmp!.data, pattern(56, 7), `the echo data\n${ctx}`);
    });
  }

  it(
    '2. the reply to an echo request with Record Route carries the option with wasagi\'s address recorded (RFC 1122 §3.2.2.6 SHOULD; Linux ip_options_echo)',
    {},
    async () => {
      const r = await send({ op: 'ip', src: SRC.opts, options: 'rr', body: { kind: 'echo', echoId: 0x0203, seq: 4, size: 8 } });
      const ctx = `wasagi's frames:\n${describeFrames(r.frames, r.t0)}`;
      const [f] = to(r.frames, SRC.opts).filter((x) => x.icmp?.type === 0 && x.icmp.id === 0x0203);
      assert.ok(f, `no echo reply\n${ctx}`);
      const o = f.ip!.options;
      assert.ok(o.length >= 39, `no options in the reply (IHL ${f.ip!.hl / 4})\n${ctx}`);
      assert.deepEqual([o[0], o[1]], [7, 39], `not the Record Route\n${ctx}`);
      // Linux records its address twice (on input and on output: pointer 12); once is enough for RFC 1122.
      assert.ok(o[2] >= 8 && o[2] <= 40 && o[2] % 4 === 0, `the pointer (${o[2]}) did not move past a recorded address\n${ctx}`);
      const recorded = Array.from({ length: (o[2] - 4) / 4 }, (_, k) => dotted(o, 3 + 4 * k));
      assert.ok(recorded.includes(W4), `wasagi's address is not recorded: ${recorded.join(', ')}\n${ctx}`);
    },
  );

  it('2. echo requests to the subnet broadcast and to 255.255.255.255 are ignored: ECHO4_BROADCAST_IGNORED (Linux icmp_echo_ignore_broadcasts=1)', async () => {
    const d0 = drops();
    const a = await send({ op: 'ip', src: SRC.bcastEcho, dst: BCAST, ethDst: ETH_BCAST, body: { kind: 'echo', echoId: 0x0204 } }, 0.1);
    const b = await send({ op: 'ip', src: SRC.bcastEcho, dst: LIMITED, ethDst: ETH_BCAST, body: { kind: 'echo', echoId: 0x0205 } });
    const d1 = drops();
    const frames = [...a.frames, ...b.frames];
    const ctx = `drops moved: ${JSON.stringify(moved(d0, d1))}\nwasagi's frames:\n${describeFrames(frames, a.t0)}`;
    assert.equal(d1.ECHO4_BROADCAST_IGNORED - d0.ECHO4_BROADCAST_IGNORED, 2, ctx);
    assert.deepEqual(to(frames, SRC.bcastEcho), [], ctx);
  });

  // --- 3. martian sources -------------------------------------------------------------

  it('3. echo requests from a multicast, the limited broadcast and a loopback source are dropped: IP4_SRC_INVALID (RFC 1122 §3.2.1.3)', async () => {
    const d0 = drops();
    const martians = ['224.1.2.3', LIMITED, '127.0.0.1'];
    const rs: Sent[] = [];
    for (const [k, src] of martians.entries()) rs.push(await send({ op: 'ip', src, body: { kind: 'echo', echoId: 0x0301 + k } }, k === martians.length - 1 ? 0.3 : 0.05));
    const d1 = drops();
    const frames = rs.flatMap((r) => r.frames);
    const ctx = `drops moved: ${JSON.stringify(moved(d0, d1))}\nwasagi's frames:\n${describeFrames(frames, rs[0].t0)}`;
    assert.equal(d1.IP4_SRC_INVALID - d0.IP4_SRC_INVALID, 3, ctx);
    const answers = frames.filter((f) => (f.ip && martians.includes(f.ip.dst)) || (f.icmp?.type === 0 && f.icmp.id >= 0x0301 && f.icmp.id <= 0x0303));
    assert.deepEqual(answers, [], ctx);
    // Nor an ARP request for one of them.
    const arps = frames.filter((f) => f.etherType === 0x0806 && martians.includes(dotted(f.bytes, 14 + 24)));
    assert.deepEqual(arps, [], ctx);
  });

  // --- 4. unknown protocol ------------------------------------------------------------

  it('4. protocol 253 → Protocol Unreachable (code 2) quoting the header and ≥ 8 bytes, ≤ 576 in all (RFC 1122 §3.2.2.1, RFC 1812 §4.3.2.3)', async (t) => {
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.proto, ip: { proto: 253 }, body: { kind: 'raw', size: 1000 } });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(d1.IP4_PROTO_UNSUPPORTED - d0.IP4_PROTO_UNSUPPORTED, 1, ctx);
    const errs = to(r.frames, SRC.proto).filter((f) => f.icmp);
    assert.equal(errs.length, 1, `no single ICMP error\n${ctx}`);
    const [f] = errs;
    const sent = r.first.subarray(14);
    t.diagnostic(`Protocol Unreachable: ${f.ip!.tot} bytes, quoting ${f.icmp!.data.length} of the ${sent.length}-byte datagram`);
    assert.deepEqual([f.icmp!.type, f.icmp!.code], [3, 2], ctx);
    assert.equal(f.ip!.src, W4, ctx);
    assert.ok(f.ip!.headerOk, ctx);
    assert.ok(f.icmp!.csumOk, ctx);
    assert.equal(f.icmp!.id, 0, `the unused word is not zero\n${ctx}`);
    assert.ok(f.ip!.tot <= 576, `the error is ${f.ip!.tot} bytes > 576\n${ctx}`);
    const q = f.icmp!.data;
    assert.ok(q.length >= 20 + 8, `quotes ${q.length} bytes < header + 8\n${ctx}`);
    assert.deepEqual(q, sent.subarray(0, q.length), `the quote is not the datagram as sent\n${ctx}`);
  });

  it('4. protocol 253 to the subnet broadcast and to 255.255.255.255: no ICMP error (RFC 1122 §3.2.2)', async () => {
    const d0 = drops();
    const a = await send({ op: 'ip', src: SRC.protoBcast, dst: BCAST, ethDst: ETH_BCAST, ip: { proto: 253 }, body: { kind: 'raw', size: 32 } }, 0.1);
    const b = await send({ op: 'ip', src: SRC.protoBcast, dst: LIMITED, ethDst: ETH_BCAST, ip: { proto: 253 }, body: { kind: 'raw', size: 32 } });
    const d1 = drops();
    const frames = [...a.frames, ...b.frames];
    const ctx = `drops moved: ${JSON.stringify(moved(d0, d1))}\nwasagi's frames:\n${describeFrames(frames, a.t0)}`;
    assert.equal(d1.IP4_PROTO_UNSUPPORTED - d0.IP4_PROTO_UNSUPPORTED, 2, ctx);
    assert.equal(d1.ICMP4_ERROR_SUPPRESSED - d0.ICMP4_ERROR_SUPPRESSED, 2, ctx);
    assert.deepEqual(to(frames, SRC.protoBcast), [], ctx);
  });

  // --- 5. UDP -------------------------------------------------------------------------

  it('5. UDP to a closed port → Port Unreachable (code 3) quoting the datagram (RFC 1122 §4.1.3.1)', async () => {
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.udpClosed, body: { kind: 'udp', sport: 40500, dport: 9, size: 24 } });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(d1.UDP_NO_PORT - d0.UDP_NO_PORT, 1, ctx);
    const errs = to(r.frames, SRC.udpClosed).filter((f) => f.icmp);
    assert.equal(errs.length, 1, `no single ICMP error\n${ctx}`);
    const [f] = errs;
    assert.deepEqual([f.icmp!.type, f.icmp!.code, f.ip!.src], [3, 3, W4], ctx);
    assert.ok(f.ip!.headerOk && f.icmp!.csumOk, ctx);
    const sent = r.first.subarray(14);
    const q = f.icmp!.data;
    assert.ok(q.length >= 28, ctx);
    assert.deepEqual(q, sent.subarray(0, q.length), `the quote is not the datagram as sent\n${ctx}`);
    assert.deepEqual([q.readUInt16BE(20), q.readUInt16BE(22)], [40500, 9], ctx);
  });

  it('5. UDP with checksum 0 (none computed) reaches a bound socket over IPv4 (RFC 768, RFC 1122 §4.1.3.4)', async () => {
    const sock = stack!.dgram.createSocket('udp4');
    sockets.push(sock);
    const port = await bound(sock, 40700);
    const got: Array<{ data: Buffer; rinfo: RemoteInfo }> = [];
    sock.on('message', (m: Buffer, ri: RemoteInfo) => got.push({ data: Buffer.from(m), rinfo: { ...ri } }));
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.udpBound, body: { kind: 'udp', sport: 40501, dport: port, size: 32, chksum: 0 } });
    await until(() => got.length > 0, 1000);
    const d1 = drops();
    const ctx = `${ctxOf(r, d0, d1)}\nreceived: ${JSON.stringify(got.map((g) => ({ len: g.data.length, rinfo: g.rinfo })))}`;
    assert.equal(r.first.readUInt16BE(14 + 20 + 6), 0, `scapy sent a checksum\n${ctx}`);
    assert.equal(got.length, 1, ctx);
    assert.deepEqual(got[0].data, pattern(32, 5), ctx);
    assert.deepEqual([got[0].rinfo.address, got[0].rinfo.port, got[0].rinfo.family], [SRC.udpBound, 40501, 'IPv4'], ctx);
    assert.deepEqual(to(r.frames, SRC.udpBound).filter((f) => f.icmp), [], ctx);
  });

  it('5. UDP with a bad checksum is dropped: UDP_CHECKSUM, nothing delivered, no ICMP (RFC 1122 §4.1.3.4)', async () => {
    const sock = stack!.dgram.createSocket('udp4');
    sockets.push(sock);
    const port = await bound(sock, 40701);
    const got: Buffer[] = [];
    sock.on('message', (m: Buffer) => got.push(Buffer.from(m)));
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.udpBound, body: { kind: 'udp', sport: 40502, dport: port, size: 32, badChksum: true } });
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    assert.equal(d1.UDP_CHECKSUM - d0.UDP_CHECKSUM, 1, ctx);
    assert.equal(got.length, 0, ctx);
    assert.deepEqual(to(r.frames, SRC.udpBound).filter((f) => f.icmp), [], ctx);
  });

  // --- 6. fragments -------------------------------------------------------------------

  for (const [order, ident, port] of [['in', 0x6a01, 40800], ['reverse', 0x6b01, 40801]] as const) {
    it(`6. a 3000-byte UDP datagram in 4 fragments sent ${order === 'in' ? 'in order' : 'last first'} is reassembled and delivered (RFC 791 §3.2, RFC 815)`, async () => {
      const sock = stack!.dgram.createSocket('udp4');
      sockets.push(sock);
      await bound(sock, port);
      const got: Array<{ data: Buffer; rinfo: RemoteInfo }> = [];
      sock.on('message', (m: Buffer, ri: RemoteInfo) => got.push({ data: Buffer.from(m), rinfo: { ...ri } }));
      const d0 = drops();
      const ok0 = stack!.v4.reassembler.counters.oks;
      const r = await send({ op: 'frags', src: SRC.frags, sport: 40601, dport: port, size: 3000, fragsize: 1000, ident, order });
      await until(() => got.length > 0, 1000);
      const d1 = drops();
      const ctx = `${ctxOf(r, d0, d1)}\nreceived: ${got.map((g) => g.data.length).join(', ') || 'nothing'}`;
      assert.equal(r.sent, 4, ctx);
      assert.equal(stack!.v4.reassembler.counters.oks - ok0, 1, ctx);
      assert.equal(got.length, 1, ctx);
      assert.deepEqual(got[0].data, pattern(3000, 13), ctx);
      assert.deepEqual([got[0].rinfo.address, got[0].rinfo.port], [SRC.frags, 40601], ctx);
    });
  }

  it('6. overlapping fragments: the datagram is discarded, FRAG_OVERLAP counted, nothing delivered (RFC 5722\'s rule, as Linux)', async () => {
    const sock = stack!.dgram.createSocket('udp4');
    sockets.push(sock);
    const port = await bound(sock, 40802);
    const got: Buffer[] = [];
    sock.on('message', (m: Buffer) => got.push(Buffer.from(m)));
    const d0 = drops();
    const ov0 = stack!.v4.reassembler.counters.overlaps;
    const r = await send({ op: 'frags', src: SRC.overlap, sport: 40602, dport: port, size: 3000, fragsize: 1000, ident: 0x6c01, order: 'overlap' }, 0.4);
    const d1 = drops();
    const ctx = `${ctxOf(r, d0, d1)}\nreceived: ${got.map((g) => g.length).join(', ') || 'nothing'}`;
    assert.equal(r.sent, 5, ctx);
    assert.ok(d1.FRAG_OVERLAP - d0.FRAG_OVERLAP >= 1, `FRAG_OVERLAP not counted\n${ctx}`);
    assert.equal(stack!.v4.reassembler.counters.overlaps - ov0, 1, ctx);
    assert.equal(got.length, 0, `the overlapped datagram was delivered\n${ctx}`);
    assert.deepEqual(to(r.frames, SRC.overlap), [], ctx);
  });

  // --- 7. rate limit ------------------------------------------------------------------

  it('7. 20 datagrams to a closed port from one source: ≤ 6 Port Unreachables in the first second, the rest ICMP4_RATE_LIMITED (RFC 1812 §4.3.2.8, Linux burst 6)', async (t) => {
    const d0 = drops();
    const r = await send({ op: 'ip', src: SRC.burst, count: 20, sportStep: true, body: { kind: 'udp', sport: 41000, dport: 9, size: 16 } }, 1.1);
    const d1 = drops();
    const ctx = ctxOf(r, d0, d1);
    const answers = to(r.frames, SRC.burst).filter((f) => f.icmp);
    const first = answers.filter((f) => f.t < r.t0 + 1000);
    t.diagnostic(`${answers.length} Port Unreachables (${first.length} in the first second), ICMP4_RATE_LIMITED +${d1.ICMP4_RATE_LIMITED - d0.ICMP4_RATE_LIMITED}`);
    assert.equal(d1.UDP_NO_PORT - d0.UDP_NO_PORT, 20, ctx);
    assert.ok(first.length >= 1, `no Port Unreachable at all\n${ctx}`);
    assert.ok(first.length <= 6, `${first.length} Port Unreachables in the first second (burst 6)\n${ctx}`);
    for (const f of answers) assert.deepEqual([f.icmp!.type, f.icmp!.code, f.ip!.src], [3, 3, W4], ctx);
    assert.equal(d1.ICMP4_RATE_LIMITED - d0.ICMP4_RATE_LIMITED, 20 - answers.length, ctx);
  });

  // --- 6d (end). The lone first fragment times out -----------------------------------

  it('6d. a lone first fragment → Time Exceeded code 1 after the 30 s reassembly timeout, quoting it (RFC 792, RFC 1122 §3.3.2)', { timeout: REASM_TIMEOUT_MS + 15_000 }, async (t) => {
    assert.ok(lone, 'the first fragment was not sent');
    const s = stack!;
    const deadline = lone.t0 + REASM_TIMEOUT_MS + 3000;
    let frames: Frame[] = [];
    const poll = async (): Promise<boolean> => {
      frames = (await send({ op: 'frames', since: lone!.t0 / 1000 }, 0)).frames;
      return to(frames, SRC.lone).some((f) => f.icmp);
    };
    // Nothing is due before the timeout: sleep until just before it, then poll.
    await delay(Math.max(0, lone.t0 + REASM_TIMEOUT_MS - 500 - Date.now()));
    while (!(await poll()) && Date.now() < deadline) await delay(100);
    const ctx = `wasagi's frames to ${SRC.lone} since the fragment:\n${describeFrames(to(frames, SRC.lone), lone.t0)}`;
    const errs = to(frames, SRC.lone).filter((f) => f.icmp);
    assert.equal(errs.length, 1, `no single ICMP error\n${ctx}`);
    const [f] = errs;
    const after = f.t - lone.t0;
    t.diagnostic(`Time Exceeded ${after.toFixed(0)} ms after the fragment, quoting ${f.icmp!.data.length} bytes`);
    assert.deepEqual([f.icmp!.type, f.icmp!.code, f.ip!.src], [11, 1, W4], ctx);
    assert.ok(f.ip!.headerOk && f.icmp!.csumOk, ctx);
    assert.ok(after >= REASM_TIMEOUT_MS - 100, `sent ${after.toFixed(0)} ms after the fragment, before the timeout\n${ctx}`);
    assert.ok(after <= REASM_TIMEOUT_MS + 2000, `sent ${after.toFixed(0)} ms after the fragment\n${ctx}`);
    const sent = lone.first.subarray(14);
    const q = f.icmp!.data;
    assert.ok(q.length >= 28, ctx);
    assert.ok(f.ip!.tot <= 576, ctx);
    assert.deepEqual(q, sent.subarray(0, q.length), `the quote is not the first fragment as sent\n${ctx}`);
    assert.equal(s.v4.reassembler.counters.timeouts - lone.timeouts0, 1, ctx);
  });
});
