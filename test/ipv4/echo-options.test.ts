// The options an ICMP Echo Reply returns (RFC 1122 §3.2.2.6, RFC 791 option formats).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoOptions, parseV4 } from '../../src/stack/ipv4.js';

const OURS = parseV4('10.0.0.2');

test('Record Route: our address goes in the next free slot and the pointer moves on; a full one is returned as it is', () => {
  // type 7, length 11 (two slots), pointer 4, slot 1 holds 10.0.0.1, slot 2 free; padded with EOL to 12.
  const rr = Uint8Array.of(7, 11, 8, 10, 0, 0, 1, 0, 0, 0, 0);
  assert.deepEqual([...echoOptions(Uint8Array.of(...rr, 0), OURS)], [7, 11, 12, 10, 0, 0, 1, 10, 0, 0, 2, 0]);
  const full = Uint8Array.of(7, 7, 8, 10, 0, 0, 1, 0);
  assert.deepEqual([...echoOptions(full, OURS)], [7, 7, 8, 10, 0, 0, 1, 0]);
});

test('Timestamp: flags 0 records milliseconds since midnight UT, flags 1 the address too; no room raises the overflow count', () => {
  const ms = 3_600_000 + 1234; // 01:00:01.234 UT
  const now = Date.UTC(2026, 10, 27) + ms;
  const ts0 = Uint8Array.of(68, 8, 5, 0, 0, 0, 0, 0);
  assert.deepEqual([...echoOptions(ts0, OURS, now)], [68, 8, 9, 0, (ms >>> 24) & 255, (ms >>> 16) & 255, (ms >>> 8) & 255, ms & 255]);
  const ts1 = Uint8Array.of(68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  assert.deepEqual([...echoOptions(ts1, OURS, now)], [68, 12, 13, 1, 10, 0, 0, 2, (ms >>> 24) & 255, (ms >>> 16) & 255, (ms >>> 8) & 255, ms & 255]);
  const fullTs = Uint8Array.of(68, 4, 5, 0x20);
  assert.deepEqual([...echoOptions(fullTs, OURS, now)], [68, 4, 5, 0x30]);
});

test('NOPs, source routes and unknown options are not returned; a malformed option ends the walk', () => {
  assert.deepEqual([...echoOptions(Uint8Array.of(1, 1, 1, 1), OURS)], []);
  assert.deepEqual([...echoOptions(Uint8Array.of(131, 7, 4, 10, 0, 0, 9, 0), OURS)], []);
  assert.deepEqual([...echoOptions(Uint8Array.of(7, 40, 4, 0), OURS)], []); // length past the header
  assert.deepEqual([...echoOptions(Uint8Array.of(7, 1, 4, 0), OURS)], []);
});
