// The per-peer memo (src/wire/memo.ts): hits only on the same interface and bytes, bounded, cleared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ip6Memo } from '../../src/wire/memo.js';
import { parseIp6 } from '../../src/wire/address.js';

test('Ip6Memo: same (ifindex, address) hits; another interface, another address or after clear() misses; 10k keys stay within 256 slots', () => {
  const m = new Ip6Memo<string>();
  const a = parseIp6('2001:db8::1');
  assert.equal(m.get(1, a), null);
  m.set(1, a, 'x');
  assert.deepEqual(m.get(1, a), { value: 'x' });
  assert.equal(m.get(2, a), null);
  assert.equal(m.get(1, parseIp6('2001:db8::2')), null);
  m.set(1, parseIp6('2001:db8::2'), undefined as unknown as string);
  const b = m.get(1, parseIp6('2001:db8::2'));
  assert.ok(b !== null && b.value === undefined); // undefined values are remembered too
  m.clear();
  assert.equal(m.get(1, a), null);
  // Colliding keys replace each other but never answer for one another.
  for (let i = 0; i < 10_000; i++) {
    const k = parseIp6(`2001:db8::${i.toString(16)}`);
    m.set(1, k, String(i));
    assert.equal(m.get(1, k)?.value, String(i));
  }
  let hits = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = m.get(1, parseIp6(`2001:db8::${i.toString(16)}`));
    if (r) {
      hits++;
      assert.equal(r.value, String(i));
    }
  }
  assert.ok(hits <= 256);
});
