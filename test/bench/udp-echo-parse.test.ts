/**
 * Unit tests for bench/udp-echo-parse.ts and the parts of bench/udp-echo.ts
 * that need no root (command lines, the table). The client fixtures are
 * verbatim output of bench/udp-echo-client.c (cc -O2) against
 * bench/udp-echo-server.c on Linux 6.18 over loopback; no timing is asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossPercent, meetsTarget, parseClientOutput, ratio, TARGET_RATIO } from '../../bench/udp-echo-parse.js';
import {
  clientCommand,
  ECHO_PORT,
  formatDrawings,
  formatTable,
  wasagiCommand,
  type TargetResult,
  type UdpEchoReport,
} from '../../bench/udp-echo.js';

// udp-echo-client -a ::1 -p 9999 -d 1 -w 0.2
const W1_64 =
  '{"family":6,"size":64,"window":1,"timeoutMs":100.000,"probes":1,"warmupSent":5050,"warmupReceived":5050,' +
  '"sent":17481,"received":17481,"lost":0,"late":0,"invalid":0,"elapsedMs":1000.027,"wallMs":1000.027,"pps":17480.5,' +
  '"rttMinMs":0.0188,"rttAvgMs":0.0572,"rttMaxMs":1.9850,"rttP50Ms":0.055,"rttP99Ms":0.089,"rttP999Ms":0.131}\n';

// Since rttHistUs: udp-echo-client -a ::1 -p 9999 -d 0.5 -w 0.2 (Linux 6.18)
const WITH_HIST =
  '{"family":6,"size":64,"window":1,"timeoutMs":100.000,"probes":1,"warmupSent":5939,"warmupReceived":5939,"sent"' +
  ':6994,"received":6994,"lost":0,"late":0,"invalid":0,"elapsedMs":500.056,"wallMs":500.056,"pps":13986.4,"rttMin' +
  'Ms":0.0124,"rttAvgMs":0.0715,"rttMaxMs":0.2012,"rttP50Ms":0.071,"rttP99Ms":0.109,"rttP999Ms":0.142,"rttHistUs"' +
  ':[[12,13,41],[13,14,5],[14,15,4],[15,16,91],[16,17,21],[17,18,5],[18,19,2],[20,21,1],[21,22,1],[26,27,1],[29,3' +
  '0,1],[30,31,1],[31,32,4],[32,34,2],[34,36,1],[38,40,1],[40,42,11],[42,44,28],[44,46,46],[46,48,39],[48,50,40],' +
  '[50,52,84],[52,54,211],[54,56,207],[56,58,228],[58,60,262],[60,62,291],[62,64,331],[64,68,881],[68,72,869],[72' +
  ',76,661],[76,80,557],[80,84,566],[84,88,576],[88,92,424],[92,96,244],[96,100,110],[100,104,41],[104,108,28],[1' +
  '08,112,19],[112,116,10],[116,120,8],[120,124,5],[124,128,11],[128,136,13],[136,144,5],[144,152,3],[152,160,1],' +
  '[168,176,1],[200,208,1]]}' + '\n';

// udp-echo-client -4 -a 127.0.0.1 -p 9999 -d 0.5
const V4 =
  '{"family":4,"size":64,"window":1,"timeoutMs":100.000,"probes":1,"warmupSent":9671,"warmupReceived":9671,' +
  '"sent":9213,"received":9213,"lost":0,"late":0,"invalid":0,"elapsedMs":500.021,"wallMs":500.021,"pps":18425.2,' +
  '"rttMinMs":0.0193,"rttAvgMs":0.0543,"rttMaxMs":0.7827,"rttP50Ms":0.052,"rttP99Ms":0.074,"rttP999Ms":0.121}\n';

// udp-echo-client -a ::1 -p 9998 -d 0.5   (nothing listens)
const NO_SERVER = '{"error":"no reply to 10 probes (1 s each) from ::1 port 9998","probes":10}\n';

// A measurement that lost everything after the probe (hand-made from the printf format).
const ALL_LOST =
  '{"family":6,"size":1400,"window":16,"timeoutMs":100.000,"probes":1,"warmupSent":0,"warmupReceived":0,' +
  '"sent":16,"received":0,"lost":16,"late":0,"invalid":0,"elapsedMs":0.000,"wallMs":100.412,"pps":0.0,' +
  '"rttMinMs":null,"rttAvgMs":null,"rttMaxMs":null,"rttP50Ms":null,"rttP99Ms":null,"rttP999Ms":null}\n';

test('client result: every field, numbers as printed', () => {
  const out = parseClientOutput(W1_64);
  assert.ok(out?.ok);
  assert.deepEqual(out.result, {
    family: 6,
    size: 64,
    window: 1,
    timeoutMs: 100,
    probes: 1,
    warmupSent: 5050,
    warmupReceived: 5050,
    sent: 17481,
    received: 17481,
    lost: 0,
    late: 0,
    invalid: 0,
    elapsedMs: 1000.027,
    wallMs: 1000.027,
    pps: 17480.5,
    rttMinMs: 0.0188,
    rttAvgMs: 0.0572,
    rttMaxMs: 1.985,
    rttP50Ms: 0.055,
    rttP99Ms: 0.089,
    rttP999Ms: 0.131,
    rttHistUs: null, // printed by a client before the histogram
  });
});

test('client result: rttHistUs as [lo, hi, count] µs buckets adding up to received', () => {
  const out = parseClientOutput(WITH_HIST);
  assert.ok(out?.ok);
  const h = out.result.rttHistUs;
  assert.ok(h !== null);
  assert.deepEqual(h.slice(0, 2), [[12, 13, 41], [13, 14, 5]]);
  assert.deepEqual(h.at(-1), [200, 208, 1]);
  assert.equal(h.reduce((a, [, , c]) => a + c, 0), out.result.received);
  // The min and max RTT fall in the first and last buckets.
  assert.ok(h[0][0] <= out.result.rttMinMs! * 1000 && out.result.rttMinMs! * 1000 < h[0][1]);
  assert.ok(h.at(-1)![0] <= out.result.rttMaxMs! * 1000 && out.result.rttMaxMs! * 1000 < h.at(-1)![1]);
  // Nothing received: an empty histogram.
  const lost = parseClientOutput(ALL_LOST.replace('}\n', ',"rttHistUs":[]}\n'));
  assert.ok(lost?.ok);
  assert.deepEqual(lost.result.rttHistUs, []);
});

test('a malformed rttHistUs is named', () => {
  const withHist = (h: string): string =>
    WITH_HIST.replace(/"received":\d+/, '"received":3').replace(/"rttHistUs":\[.*\]\}/, `"rttHistUs":${h}}`);
  assert.ok(parseClientOutput(withHist('[[10,11,1],[40,42,2]]'))?.ok);
  for (const h of [
    '{}', // not an array
    '[[10,11,3,0]]', // not a triple
    '[[10,11,"3"]]', // not a number
    '[[10,11,1.5],[12,13,1.5]]', // not an integer
    '[[-1,11,3]]', // negative
    '[[11,11,3]]', // empty range
    '[[10,11,0],[12,13,3]]', // empty bucket printed
    '[[40,42,2],[10,11,1]]', // descending
    '[[10,20,1],[15,25,2]]', // overlapping
    '[[10,11,1],[40,42,1]]', // counts add up to 2, not 3
    `[${Array.from({ length: 1001 }, (_, i) => `[${i},${i + 1},${i === 0 ? 3 : 1}]`).join(',')}]`, // unbounded
  ]) {
    const out = parseClientOutput(withHist(h));
    assert.ok(out && !out.ok, h);
    assert.match(out.error, /"rttHistUs"/, h);
  }
});

test('client result: IPv4 family', () => {
  const out = parseClientOutput(V4);
  assert.ok(out?.ok);
  assert.equal(out.result.family, 4);
  assert.equal(out.result.received, 9213);
});

test('client error object → ok: false with its message', () => {
  assert.deepEqual(parseClientOutput(NO_SERVER), { ok: false, error: 'no reply to 10 probes (1 s each) from ::1 port 9998' });
});

test('no replies: RTT fields null, loss 100%', () => {
  const out = parseClientOutput(ALL_LOST);
  assert.ok(out?.ok);
  assert.equal(out.result.rttAvgMs, null);
  assert.equal(lossPercent(out.result), 100);
});

test('the last JSON line wins; stray text around it is ignored', () => {
  const out = parseClientOutput(`warning: something\n${NO_SERVER}${V4}\n`);
  assert.ok(out?.ok);
  assert.equal(out.result.family, 4);
});

test('no JSON object at all → null', () => {
  assert.equal(parseClientOutput(''), null);
  assert.equal(parseClientOutput('Segmentation fault\n'), null);
  assert.equal(parseClientOutput('{not json}\n'), null);
  assert.equal(parseClientOutput('[1,2]\n'), null);
});

test('a missing or malformed field is named', () => {
  const missing = parseClientOutput(W1_64.replace('"lost":0,', ''));
  assert.ok(missing && !missing.ok);
  assert.match(missing.error, /"lost"/);
  const negative = parseClientOutput(W1_64.replace('"sent":17481', '"sent":-1'));
  assert.ok(negative && !negative.ok);
  assert.match(negative.error, /"sent"/);
  const family = parseClientOutput(W1_64.replace('"family":6', '"family":5'));
  assert.ok(family && !family.ok);
  assert.match(family.error, /"family"/);
  // RTTs must be null exactly when nothing was received.
  const rtt = parseClientOutput(W1_64.replace('"rttMinMs":0.0188', '"rttMinMs":null'));
  assert.ok(rtt && !rtt.ok);
  assert.match(rtt.error, /"rttMinMs"/);
});

test('ratio and the 0.5x target', () => {
  assert.equal(ratio(50, 100), 0.5);
  assert.equal(ratio(null, 100), null);
  assert.equal(ratio(50, null), null);
  assert.equal(ratio(50, 0), null);
  assert.equal(TARGET_RATIO, 0.5);
  assert.equal(meetsTarget(0.5), true);
  assert.equal(meetsTarget(0.499), false);
  assert.equal(meetsTarget(null), null);
  assert.equal(lossPercent({ sent: 0, lost: 0 }), null);
  assert.equal(lossPercent({ sent: 200, lost: 1 }), 0.5);
});

test('wasagi command: pinned, one --addr per family, --udp-echo PORT', () => {
  const argv = wasagiCommand({ root: '/r', cpu: 1, addrs: ['2001:db8:b::2/64', '10.77.0.2/24'], ctl: '/t/ctl.sock', port: ECHO_PORT });
  assert.deepEqual(argv.slice(0, 3), ['taskset', '-c', '1']);
  assert.equal(argv[4], '/r/bin/wasagi.js');
  assert.deepEqual(argv.filter((_, i) => argv[i - 1] === '--addr'), ['2001:db8:b::2/64', '10.77.0.2/24']);
  assert.deepEqual(argv.slice(-2), ['--udp-echo', String(ECHO_PORT)]);
});

test('client command: family flag and every knob', () => {
  const argv = clientCommand({
    binary: '/t/c', cpu: 0, family: 4, destination: '10.78.0.2', port: 7008, size: 1400, window: 16,
    durationS: 1, warmupS: 0.25, timeoutMs: 100,
  });
  assert.deepEqual(argv, [
    'taskset', '-c', '0', '/t/c', '-4', '-a', '10.78.0.2', '-p', '7008', '-s', '1400', '-W', '16', '-d', '1', '-w', '0.25', '-t', '100',
  ]);
});

function target(t: TargetResult['target'], json: string | null, unavailable: string | null = null): TargetResult {
  const out = json === null ? null : parseClientOutput(json);
  return {
    target: t, namespace: 'ns', destination: 'd', port: 7007, serverCpu: 1, clientCpu: 0,
    result: out?.ok ? out.result : null, lossPercent: null, unavailable, error: null, wallMs: 0,
  };
}

test('table: ratios on the wasagi line, unavailable rows and their reason once', () => {
  const report: UdpEchoReport = {
    benchmark: 'udp-echo', schemaVersion: 1, skipped: null, startedAt: '', finishedAt: '', durationMs: 0,
    config: {
      durationS: 1, warmupS: 0.25, timeoutMs: 100, sizes: [64], windows: [1], families: [6, 4], placements: ['cross-cpu'],
      placementCpus: { 'same-cpu': { serverCpu: 0, clientCpu: 0 }, 'cross-cpu': { serverCpu: 1, clientCpu: 0 } },
      wasagiBusyPollUs: null, targetRatio: 0.5, root: '/r', wasagiCommand: [], clientCommand: [], kernelServerCommand: [], nodeServerCommand: [],
    },
    environment: { node: 'v20', platform: 'linux', kernel: '6', cpus: 2, cpuModel: null, cc: null },
    servers: [],
    rows: [
      {
        family: 6, size: 64, window: 1, placement: 'cross-cpu',
        wasagi: target('wasagi', W1_64), kernel: target('kernel', W1_64), node: target('node', V4),
        ratio: { kernel: 1, node: 0.25 }, meetsTarget: true,
      },
      ...[64, 1400].map((size) => ({
        family: 4 as const, size, window: 1, placement: 'cross-cpu' as const,
        wasagi: target('wasagi', null, 'unavailable: no IPv4 yet'), kernel: target('kernel', V4), node: target('node', V4),
        ratio: { kernel: null, node: null }, meetsTarget: null,
      })),
    ],
    errors: [], notes: [], resultsFile: null,
  };
  const text = formatTable(report);
  assert.match(text, /wasagi .*1\.000x\s+0\.250x/);
  assert.equal((text.match(/ unavailable /g) ?? []).length, 2);
  assert.equal((text.match(/unavailable: no IPv4 yet/g) ?? []).length, 1);
  assert.equal(formatTable({ ...report, skipped: 'not root' }), 'skipped: not root\n');
});

test('--draw: wasagi above kernel on the same bins, a reason in place of missing bars', () => {
  const report = {
    skipped: null,
    rows: [
      {
        family: 6, size: 64, window: 1, placement: 'same-cpu',
        wasagi: target('wasagi', WITH_HIST), kernel: target('kernel', WITH_HIST), node: target('node', V4),
      },
      {
        family: 4, size: 64, window: 1, placement: 'same-cpu',
        wasagi: target('wasagi', null, 'unavailable: no IPv4 yet'), kernel: target('kernel', V4), node: target('node', V4),
      },
    ],
  } as unknown as UdpEchoReport;
  const lines = formatDrawings(report).split('\n');
  const w = lines.indexOf('v6 64 B W=1 same-cpu — wasagi');
  const k = lines.indexOf('v6 64 B W=1 same-cpu — kernel');
  assert.ok(w >= 0 && k > w, lines.join('\n'));
  const wasagiBars = lines.slice(w + 1, k);
  const kernelBars = lines.slice(k + 1, k + 1 + wasagiBars.length);
  // 16 bins up to p99.9, then the tail beyond on one line.
  assert.equal(wasagiBars.length, 17);
  assert.match(wasagiBars[16], /^ *≥ \d+µs │/);
  // Same input, same bins: identical lines.
  assert.deepEqual(kernelBars, wasagiBars);
  assert.ok(lines.includes('v4 64 B W=1 same-cpu — wasagi: unavailable: no IPv4 yet'));
  assert.ok(lines.some((l) => l.endsWith('— kernel: no histogram from the client')));
  assert.equal(formatDrawings({ ...report, skipped: 'not root' }), '');
});
