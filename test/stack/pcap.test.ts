// The pcap wrapper: a capture of NS/NA and echo between two stacks, read back
// byte by byte and, where tshark is installed, dissected by Wireshark's own
// dissectors (a peer nobody here wrote): types, addresses and checksums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sim } from '../support/sim.js';

const tshark = ['/usr/bin/tshark', '/usr/local/bin/tshark'].find((p) => existsSync(p));

test('pcap capture of resolution and echo, checked by tshark', { skip: tshark ? false : 'tshark is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasagi-pcap-'));
  try {
    const file = join(dir, 'a.pcap');
    const sim = new Sim(11);
    const link = sim.link();
    const a = sim.stack({ link, name: 'a0', mac: '02:00:00:00:00:0a', addresses: ['2001:db8::a/64'], pcap: file });
    sim.stack({ link, name: 'b0', mac: '02:00:00:00:00:0b', addresses: ['2001:db8::b/64'] });
    const p = a.ping('2001:db8::b', { count: 2, interval: 1 });
    sim.advance(1500);
    assert.equal((await p.done).received, 2);
    sim.close();

    const bytes = readFileSync(file);
    assert.equal(bytes.readUInt32LE(0), 0xa1b2c3d4, 'libpcap magic');
    assert.equal(bytes.readUInt32LE(20), 1, 'LINKTYPE_ETHERNET');
    const out = execFileSync(tshark!, ['-r', file, '-T', 'fields', '-E', 'separator=,', '-e', 'icmpv6.type', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'icmpv6.checksum.status', '-e', 'ipv6.hlim'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const all = out.trim().split('\n').map((l) => l.split(','));
    // Router Solicitations (133) go out at start, at random times (RFC 4861 §6.3.7).
    assert.ok(all.some((r) => r[0] === '133' && r[2] === 'ff02::2'), 'an RS to all-routers');
    // MLDv2 reports (143) go out as groups are joined (RFC 3810 §6.1); tshark reads them too.
    assert.ok(all.some((r) => r[0] === '143' && r[2] === 'ff02::16' && r[4] === '1'), 'an MLDv2 report to ff02::16 with hop limit 1');
    const rows = all.filter((r) => r[0] !== '133' && r[0] !== '143');
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      [
        ['135', '2001:db8::a', 'ff02::1:ff00:b'],
        ['136', '2001:db8::b', '2001:db8::a'],
        ['128', '2001:db8::a', '2001:db8::b'],
        ['129', '2001:db8::b', '2001:db8::a'],
        ['128', '2001:db8::a', '2001:db8::b'],
        ['129', '2001:db8::b', '2001:db8::a'],
      ],
    );
    for (const r of rows) assert.equal(r[3], '1', `checksum good: ${r}`);
    assert.deepEqual(rows.slice(0, 2).map((r) => r[4]), ['255', '255'], 'ND hop limit 255');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
