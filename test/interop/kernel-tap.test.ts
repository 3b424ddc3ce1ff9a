// Interop with the Linux kernel across a TAP device (needs root).
//
// wasagi runs in this process on a TAP whose kernel side is moved into a fresh
// network namespace with 2001:db8:1::1/64; the kernel's own ping, neighbor
// cache and ND implementation are the peer. A second part runs the CLI
// (`wasagi up` in a namespace, `wasagi show` / `wasagi ping` through the
// control socket). Namespaces are removed in `after`, even on failure.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../src/stack/stack.js';
import { parseIp6 } from '../../src/wire/address.js';

import { warmUp as warmUpJit } from '../../src/stack/warmup.js';
import { createNamespace, createTap, deleteNamespace, ip, nsName, run, runInNs, spawnInNs, delay, type ProcHandle } from '../../bench/netns.js';
import { parsePing } from '../../bench/ping-parse.js';
import { interopSkipReason, kernelMac } from '../support/interop.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const skip = interopSkipReason([['ip', 'iproute2'], ['ping', 'iputils-ping']]);
const WASAGI_MAC = '02:00:5e:00:00:02';
const WASAGI_LL = 'fe80::5eff:fe00:2'; // modified EUI-64 of 02:00:5e:00:00:02 (RFC 4291 App. A)

/** Pings from the namespace until one reply arrives (the kernel's link needs a moment). */
async function warmUp(ns: string, dest: string): Promise<void> {
  const r = await runInNs(ns, ['ping', '-6', '-c', '1', '-w', '10', dest], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, `warm-up ping to ${dest} failed: ${r.stdout} ${r.stderr}`);
}

describe('wasagi on a TAP, the kernel in a namespace', { skip }, () => {
  const ns = nsName('kt');
  const tap = `wsgk${process.pid % 10000}`;
  let stack: Stack;
  let kmac = '';

  before(async () => {
    await createNamespace(ns);
    stack = new Stack();
    stack.addInterface({ tap: { name: tap, mtu: 1500 }, mac: WASAGI_MAC, addresses: ['2001:db8:1::2/64'], iid: 'eui64' });
    assert.ok(await stack.addressesSettled(), 'DAD finished (RFC 4862 §5.4)');
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['link', 'set', tap, 'up'], ns);
    await ip(['addr', 'add', '2001:db8:1::1/64', 'dev', tap, 'nodad'], ns);
    await warmUpJit(5000); // as `wasagi up` does, so compiler tier-up does not land mid-test
    kmac = await kernelMac(ns, tap);
    await warmUp(ns, '2001:db8:1::2');
  });

  after(async () => {
    stack?.close();
    await deleteNamespace(ns);
  });

  it("the kernel's ping reaches the static address: every reply comes back", async () => {
    const r = await runInNs(ns, ['ping', '-6', '-c', '5', '-i', '0.2', '-W', '2', '2001:db8:1::2'], { timeoutMs: 15_000 });
    const s = parsePing(r.stdout);
    assert.ok(s, r.stdout);
    assert.equal(s.transmitted, 5);
    assert.equal(s.received, 5);
    assert.equal(r.code, 0);
  });

  it("the kernel's ping reaches the EUI-64 link-local address", async () => {
    await warmUp(ns, `${WASAGI_LL}%${tap}`);
    const r = await runInNs(ns, ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', `${WASAGI_LL}%${tap}`], { timeoutMs: 15_000 });
    const s = parsePing(r.stdout);
    assert.ok(s, r.stdout);
    assert.equal(s.received, 3);
  });

  it("the kernel's neighbor entry for wasagi is REACHABLE with wasagi's MAC", async () => {
    // A fresh solicited NA makes the kernel's entry REACHABLE (RFC 4861 §7.2.5).
    await ip(['neigh', 'flush', 'dev', tap], ns);
    await runInNs(ns, ['ping', '-6', '-c', '1', '-W', '2', '2001:db8:1::2'], { timeoutMs: 10_000 });
    const neigh = JSON.parse(await ip(['-j', '-6', 'neigh', 'show', 'dev', tap], ns)) as Array<{ dst: string; lladdr?: string; state: string[] }>;
    const e = neigh.find((n) => n.dst === '2001:db8:1::2');
    assert.ok(e, JSON.stringify(neigh));
    assert.equal(e.lladdr, WASAGI_MAC);
    assert.ok(e.state.includes('REACHABLE'), `state ${e.state}`);
  });

  it("wasagi learned the kernel from its solicitation's SLLAO (RFC 4861 §7.2.3)", () => {
    const e = stack.neighbors.get(1, parseIp6('2001:db8:1::1'));
    assert.ok(e);
    assert.equal(Array.from(e.mac!, (b) => b.toString(16).padStart(2, '0')).join(':'), kmac);
    assert.notEqual(e.state, 'INCOMPLETE');
  });

  it('a short flood (ping -f -c 2000) loses nothing', async () => {
    const before = stack.counters();
    // -w: wait for every reply. Without it, ping -f gives up on the last
    // request after 2 × the largest RTT seen, so one late reply would read as
    // a loss; here a loss is a request that never got its reply.
    const r = await runInNs(ns, ['ping', '-6', '-q', '-f', '-c', '2000', '-w', '30', '2001:db8:1::2'], { timeoutMs: 60_000 });
    const s = parsePing(r.stdout);
    const after = stack.counters();
    const moved = Object.fromEntries(Object.entries(after.drops).filter(([k, v]) => v !== before.drops[k]));
    assert.ok(s, r.stdout + r.stderr);
    assert.ok(s.received >= 2000, r.stdout);
    assert.equal(s.transmitted, s.received, `${r.stdout}\nwasagi drops during the flood: ${JSON.stringify(moved)}`);
    assert.ok(after.mib.Icmp6OutEchoReplies - before.mib.Icmp6OutEchoReplies >= 2000);
  });

  it('wasagi pings the kernel (resolution through the kernel\'s NA)', async () => {
    const s = await stack.ping('2001:db8:1::1', { count: 3, interval: 0.1, timeout: 2 }).done;
    assert.equal(s.received, 3);
    const ll = JSON.parse(await ip(['-j', '-6', 'addr', 'show', 'dev', tap], ns)) as Array<{ addr_info?: Array<{ local: string; scope: string }> }>;
    const kll = ll.flatMap((l) => l.addr_info ?? []).find((a) => a.scope === 'link')?.local;
    assert.ok(kll, JSON.stringify(ll));
    const s2 = await stack.ping(`${kll}%${tap}`, { count: 2, interval: 0.1, timeout: 2 }).done;
    assert.equal(s2.received, 2);
  });

  it('nothing the kernel sent was dropped as malformed', () => {
    const d = stack.counters().drops;
    for (const r of ['ICMP6_CHECKSUM', 'IP6_TRUNCATED', 'IP6_VERSION', 'ND_INVALID', 'ND_HOP_LIMIT', 'SLOT_OVERFLOW', 'WRITE_FAILED']) {
      assert.equal(d[r], 0, `${r} = ${d[r]}`);
    }
  });
});

describe('the wasagi CLI on a TAP: up, show, ping', { skip }, () => {
  const ns = nsName('cli');
  const tap = `wsgc${process.pid % 10000}`;
  const dir = mkdtempSync(join(tmpdir(), 'wasagi-cli-'));
  const ctl = join(dir, 'ctl.sock');
  let up: ProcHandle | undefined;
  const cli = (args: string[]) => run([process.execPath, join(root, 'bin/wasagi.js'), ...args, '--ctl', ctl], { timeoutMs: 20_000 });

  before(async () => {
    await createNamespace(ns);
    await createTap(ns, tap, { addr: '2001:db8:2::1/64' });
    let out = '';
    up = spawnInNs(ns, [process.execPath, join(root, 'bin/wasagi.js'), 'up', '--tap', tap, '--mac', '02:00:5e:00:00:03', '--iid', 'eui64', '--addr', '2001:db8:2::2/64', '--ctl', ctl], {
      onStdout: (c) => (out += c),
    });
    for (let i = 0; i < 200 && !out.includes('wasagi up:'); i++) await delay(50);
    assert.match(out, /wasagi up: /, `wasagi up did not start: ${up.stderr()}`);
    await warmUp(ns, '2001:db8:2::2');
  });

  after(async () => {
    await up?.stop('SIGINT', 5000);
    await deleteNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('show addr --json has iproute2 keys', async () => {
    const r = await cli(['show', 'addr', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Array<{ ifname: string; address: string; addr_info: Array<{ local: string; prefixlen: number; scope: string; valid_life_time: number }> }>;
    assert.equal(j[0].ifname, tap);
    assert.equal(j[0].address, '02:00:5e:00:00:03');
    const g = j[0].addr_info.find((a) => a.local === '2001:db8:2::2');
    assert.deepEqual(g && { prefixlen: g.prefixlen, scope: g.scope }, { prefixlen: 64, scope: 'global' });
    assert.ok(j[0].addr_info.some((a) => a.local === 'fe80::5eff:fe00:3' && a.scope === 'link' && a.prefixlen === 64));
  });

  it('show neigh --json lists the kernel with its MAC', async () => {
    const r = await cli(['show', 'neigh', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Array<{ dst: string; dev: string; lladdr?: string; state: string[] }>;
    const e = j.find((n) => n.dst === '2001:db8:2::1');
    assert.ok(e, r.stdout);
    assert.equal(e.lladdr, await kernelMac(ns, tap));
    assert.equal(e.dev, tap);
  });

  it('ping exits 0 with replies and prints like iputils', async () => {
    const r = await cli(['ping', '2001:db8:2::1', '-c', '3', '-i', '0.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PING 2001:db8:2::1 \(2001:db8:2::1\) 56 data bytes$/m);
    assert.match(r.stdout, /^64 bytes from 2001:db8:2::1: icmp_seq=1 ttl=64 time=[\d.]+ ms$/m);
    const s = parsePing(r.stdout);
    assert.equal(s?.transmitted, 3);
    assert.equal(s?.received, 3);
  });

  it('ping exits 1 when nothing answers', async () => {
    const r = await cli(['ping', '2001:db8:2::99', '-c', '1', '-W', '1']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /1 packets transmitted, 0 received, 100% packet loss/);
  });

  it('show stats counts what crossed the TAP', async () => {
    const r = await cli(['show', 'stats', '--json']);
    const j = JSON.parse(r.stdout) as { mib: Record<string, number> };
    assert.ok(j.mib.Icmp6InEchos >= 1 && j.mib.Icmp6OutEchoReplies >= 1, r.stdout);
    assert.ok(j.mib.Icmp6OutEchos >= 3, 'the 3 answered requests (the unresolved one never left)');
  });

  it('a missing control socket is a clear error', async () => {
    const r = await run([process.execPath, join(root, 'bin/wasagi.js'), 'show', 'addr', '--ctl', join(dir, 'nope.sock')], { timeoutMs: 10_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no wasagi instance at .*nope\.sock/);
  });
});
