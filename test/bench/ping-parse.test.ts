/**
 * Unit tests for bench/ping-parse.ts. Every fixture below is verbatim output
 * of iputils ping 20221126 (LC_ALL=C, stdout+stderr, stdout not a terminal)
 * captured on Linux 6.18 between two network namespaces joined by a veth
 * pair (2001:db8:c::1 -> 2001:db8:c::2; 2001:db8:c::99 does not exist).
 * Flood output keeps ping's `.` / `\b \b` / `\bE` progress characters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePing, packetsPerSecond } from '../../bench/ping-parse.js';

// ping -6 -c 3 -i 0.2 2001:db8:c::2   (link settled)
const NORMAL = [
  'PING 2001:db8:c::2(2001:db8:c::2) 56 data bytes',
  '64 bytes from 2001:db8:c::2: icmp_seq=1 ttl=64 time=0.040 ms',
  '64 bytes from 2001:db8:c::2: icmp_seq=2 ttl=64 time=0.046 ms',
  '64 bytes from 2001:db8:c::2: icmp_seq=3 ttl=64 time=0.057 ms',
  '',
  '--- 2001:db8:c::2 ping statistics ---',
  '3 packets transmitted, 3 received, 0% packet loss, time 407ms',
  'rtt min/avg/max/mdev = 0.040/0.047/0.057/0.007 ms',
  '',
].join('\n');

// ping -6 -c 3 -i 0.2 2001:db8:c::2 right after `ip link set up`: neighbor
// resolution takes ~1 s while the veth comes up, requests queue (pipe 3)
const FIRST_PING_PIPE = [
  'PING 2001:db8:c::2(2001:db8:c::2) 56 data bytes',
  '64 bytes from 2001:db8:c::2: icmp_seq=1 ttl=64 time=1015 ms',
  '64 bytes from 2001:db8:c::2: icmp_seq=2 ttl=64 time=812 ms',
  '64 bytes from 2001:db8:c::2: icmp_seq=3 ttl=64 time=608 ms',
  '',
  '--- 2001:db8:c::2 ping statistics ---',
  '3 packets transmitted, 3 received, 0% packet loss, time 407ms',
  'rtt min/avg/max/mdev = 607.992/811.568/1014.709/166.041 ms, pipe 3',
  '',
].join('\n');

// ping -6 -c 3 -i 0.2 -W 1 2001:db8:c::99   (100% loss: no rtt line)
const LOSS_100 = [
  'PING 2001:db8:c::99(2001:db8:c::99) 56 data bytes',
  '',
  '--- 2001:db8:c::99 ping statistics ---',
  '3 packets transmitted, 0 received, 100% packet loss, time 407ms',
  '',
  '',
].join('\n');

// ping -6 -f -c 20 -s 56 2001:db8:c::2
const FLOOD_56 = [
  'PING 2001:db8:c::2(2001:db8:c::2) 56 data bytes',
  '.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b',
  '--- 2001:db8:c::2 ping statistics ---',
  '20 packets transmitted, 20 received, 0% packet loss, time 0ms',
  'rtt min/avg/max/mdev = 0.005/0.005/0.013/0.002 ms, ipg/ewma 0.011/0.006 ms',
  '',
].join('\n');

// ping -6 -f -c 20 -s 1400 2001:db8:c::2
const FLOOD_1400 = [
  'PING 2001:db8:c::2(2001:db8:c::2) 1400 data bytes',
  '.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b',
  '--- 2001:db8:c::2 ping statistics ---',
  '20 packets transmitted, 20 received, 0% packet loss, time 0ms',
  'rtt min/avg/max/mdev = 0.005/0.005/0.012/0.001 ms, ipg/ewma 0.012/0.006 ms',
  '',
].join('\n');

// ping -6 -f -c 30 -W 1 2001:db8:c::99   (neighbor resolution fails: errors)
const FLOOD_LOSS_100_ERRORS = [
  'PING 2001:db8:c::99(2001:db8:c::99) 56 data bytes',
  '............\bE\bE\bE\bE\bE\bE\bE\bE\bE\bE\bE\bE............EEEEEE',
  '--- 2001:db8:c::99 ping statistics ---',
  '30 packets transmitted, 0 received, +12 errors, 100% packet loss, time 3512ms',
  '',
  '',
].join('\n');

// timeout -s INT 1 ping -6 -f 2001:db8:c::99   (interrupted, no -c)
const FLOOD_SIGINT = [
  'PING 2001:db8:c::99(2001:db8:c::99) 56 data bytes',
  '.\bE............',
  '--- 2001:db8:c::99 ping statistics ---',
  '13 packets transmitted, 0 received, +1 errors, 100% packet loss, time 983ms',
  '',
  '',
].join('\n');

// ping -6 -f -c 300 2001:db8:c::2 with the responder rate-limiting echo
// replies (net.ipv6.icmp.ratemask=0-1,3-127,129, ratelimit=2)
const FLOOD_PARTIAL_LOSS = [
  'PING 2001:db8:c::2(2001:db8:c::2) 56 data bytes',
  '.\b \b.\b \b.\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b..\b \b.\b \b.\b \b.\b \b.',
  '--- 2001:db8:c::2 ping statistics ---',
  '300 packets transmitted, 241 received, 19.6667% packet loss, time 937ms',
  'rtt min/avg/max/mdev = 0.005/0.016/0.081/0.018 ms, ipg/ewma 3.133/0.015 ms',
  '',
].join('\n');

// ping -6 -c 2 -i 0.2 ff02::1%cv1   (all-nodes multicast: more replies than requests)
const DUPLICATES = [
  'PING ff02::1%cv1(ff02::1%cv1) 56 data bytes',
  '64 bytes from fe80::e8cf:eff:fef6:f7e4%cv1: icmp_seq=1 ttl=64 time=0.039 ms',
  '64 bytes from fe80::78b3:ddff:fecd:3aac%cv1: icmp_seq=1 ttl=64 time=0.070 ms',
  '64 bytes from fe80::e8cf:eff:fef6:f7e4%cv1: icmp_seq=2 ttl=64 time=0.049 ms',
  '',
  '--- ff02::1%cv1 ping statistics ---',
  '2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time 201ms',
  'rtt min/avg/max/mdev = 0.039/0.052/0.070/0.012 ms',
  '',
].join('\n');

// ping -6 -c 1 2001:db8:d::1   (no route: ping fails before sending)
const UNREACHABLE = [
  'ping: connect: Network is unreachable',
  '',
].join('\n');

test('normal ping: counts, loss, time and rtt', () => {
  const s = parsePing(NORMAL);
  assert.deepEqual(s, {
    destination: '2001:db8:c::2',
    dataBytes: 56,
    transmitted: 3,
    received: 3,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
    lossPercent: 0,
    timeMs: 407,
    rtt: { min: 0.04, avg: 0.047, max: 0.057, mdev: 0.007 },
    pipe: null,
    ipgMs: null,
    ewmaMs: null,
  });
});

test('rtt line followed by ", pipe N"', () => {
  const s = parsePing(FIRST_PING_PIPE);
  assert.ok(s);
  assert.deepEqual(s.rtt, { min: 607.992, avg: 811.568, max: 1014.709, mdev: 166.041 });
  assert.equal(s.pipe, 3);
  assert.equal(s.ipgMs, null);
  // Reply lines contain "time=1015 ms"; only the summary's "time 407ms" counts.
  assert.equal(s.timeMs, 407);
});

test('100% loss: no rtt line', () => {
  const s = parsePing(LOSS_100);
  assert.ok(s);
  assert.equal(s.transmitted, 3);
  assert.equal(s.received, 0);
  assert.equal(s.lossPercent, 100);
  assert.equal(s.timeMs, 407);
  assert.equal(s.rtt, null);
  assert.equal(s.ipgMs, null);
  assert.equal(s.ewmaMs, null);
  assert.equal(packetsPerSecond(s), 0);
});

test('flood output with ipg/ewma and progress characters', () => {
  const s = parsePing(FLOOD_56);
  assert.deepEqual(s, {
    destination: '2001:db8:c::2',
    dataBytes: 56,
    transmitted: 20,
    received: 20,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
    lossPercent: 0,
    timeMs: 0,
    rtt: { min: 0.005, avg: 0.005, max: 0.013, mdev: 0.002 },
    pipe: null,
    ipgMs: 0.011,
    ewmaMs: 0.006,
  });
  // "time 0ms" (20 packets take < 0.5 ms): no meaningful rate.
  assert.equal(packetsPerSecond(s!), null);
});

test('flood output, 1400-byte payload', () => {
  const s = parsePing(FLOOD_1400);
  assert.ok(s);
  assert.equal(s.dataBytes, 1400);
  assert.equal(s.received, 20);
  assert.deepEqual(s.rtt, { min: 0.005, avg: 0.005, max: 0.012, mdev: 0.001 });
  assert.equal(s.ipgMs, 0.012);
  assert.equal(s.ewmaMs, 0.006);
});

test('flood with 100% loss and "+N errors"', () => {
  const s = parsePing(FLOOD_LOSS_100_ERRORS);
  assert.ok(s);
  assert.equal(s.destination, '2001:db8:c::99');
  assert.equal(s.transmitted, 30);
  assert.equal(s.received, 0);
  assert.equal(s.errors, 12);
  assert.equal(s.lossPercent, 100);
  assert.equal(s.timeMs, 3512);
  assert.equal(s.rtt, null);
  assert.equal(s.ipgMs, null);
});

test('flood interrupted by SIGINT still has a summary', () => {
  const s = parsePing(FLOOD_SIGINT);
  assert.ok(s);
  assert.equal(s.transmitted, 13);
  assert.equal(s.received, 0);
  assert.equal(s.errors, 1);
  assert.equal(s.timeMs, 983);
});

test('flood with partial loss: fractional %g loss, ipg/ewma', () => {
  const s = parsePing(FLOOD_PARTIAL_LOSS);
  assert.ok(s);
  assert.equal(s.transmitted, 300);
  assert.equal(s.received, 241);
  assert.equal(s.lossPercent, 19.6667);
  assert.equal(s.timeMs, 937);
  assert.deepEqual(s.rtt, { min: 0.005, avg: 0.016, max: 0.081, mdev: 0.018 });
  assert.equal(s.ipgMs, 3.133);
  assert.equal(s.ewmaMs, 0.015);
  assert.equal(Math.round(packetsPerSecond(s)!), Math.round(241 / 0.937));
});

test('duplicates are counted separately from received', () => {
  const s = parsePing(DUPLICATES);
  assert.ok(s);
  assert.equal(s.destination, 'ff02::1%cv1');
  assert.equal(s.transmitted, 2);
  assert.equal(s.received, 2);
  assert.equal(s.duplicates, 1);
  assert.equal(s.lossPercent, 0);
  assert.equal(s.timeMs, 201);
});

test('no summary (ping failed before sending) gives null', () => {
  assert.equal(parsePing(UNREACHABLE), null);
  assert.equal(parsePing(''), null);
});

test('the last summary wins when outputs are concatenated', () => {
  const s = parsePing(NORMAL + LOSS_100);
  assert.ok(s);
  assert.equal(s.destination, '2001:db8:c::99');
  assert.equal(s.received, 0);
  assert.equal(s.rtt, null);
});

test('loss printed in exponent form (%g) and missing mdev are accepted', () => {
  // Shapes iputils and busybox can print; not captured from a real run.
  const s = parsePing(
    '100000 packets transmitted, 99999 received, 1e-05% packet loss, time 1000ms\n' +
      'round-trip min/avg/max = 0.010/0.020/0.030 ms\n',
  );
  assert.ok(s);
  assert.equal(s.lossPercent, 1e-5);
  assert.deepEqual(s.rtt, { min: 0.01, avg: 0.02, max: 0.03, mdev: null });
  assert.equal(packetsPerSecond(s), 99999);
});
