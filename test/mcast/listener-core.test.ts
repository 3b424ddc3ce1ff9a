// Multicast listener core (src/mcast/listener-core.ts) through a toy family:
// the parts of the ListenerFamily contract neither adapter shows on its own —
// the oldest present older version wins and the mode steps back one timer at
// a time, leave messages per older version, and the two order knobs that
// keep MLD's and IGMP's random draws where they were. Random factors pinned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerCore, type GroupRecord, type ListenerFamily, type ListenerQuery } from '../../src/mcast/listener-core.js';

type Act = string;
const G = Uint8Array.of(7);
const H = Uint8Array.of(8);

function family(over: Partial<ListenerFamily<Uint8Array, Act>> = {}): ListenerFamily<Uint8Array, Act> {
  return {
    version: 4,
    olderVersions: [1, 2, 3],
    key: (a) => String(a[0]),
    isReportable: () => true,
    reports: (i, records: GroupRecord<Uint8Array>[]) => [`if${i} v4 ${records.map((r) => `${r.type}:${r.group[0]}`).join(',')}`],
    olderReport: (i, g, v) => `if${i} v${v}-report ${g[0]}`,
    olderLeave: (i, g, v) => (v === 3 ? `if${i} v3-leave ${g[0]}` : undefined),
    drawDelayBeforeLookup: false,
    armOlderTimerFirst: false,
    ...over,
  };
}

const CONFIG = { robustness: 2, queryInterval: 100, queryResponseInterval: 10, unsolicitedReportInterval: 1, olderUnsolicitedReportInterval: 5, mtu: 1500 };
const query = (version: number, group?: Uint8Array): ListenerQuery<Uint8Array> =>
  ({ version, general: !group, group: group ?? Uint8Array.of(0), maxResponseDelay: 10, qrv: 0, qqi: 0, sources: [] });

function dice(): { random: () => number; pin: (...v: number[]) => void; draws: () => number } {
  const q: number[] = [];
  let n = 0;
  return {
    random: () => {
      const v = q.shift();
      if (v === undefined) throw new Error('random() drawn with no factor pinned');
      n++;
      return v;
    },
    pin: (...v) => void q.push(...v),
    draws: () => n,
  };
}

test('the oldest present older version wins; expiry steps back to the next one, then to the current version', () => {
  const d = dice();
  const c = new ListenerCore(d.random, family(), CONFIG);
  c.onQuery(1, query(3), 0); // v3 timer until 210
  c.onQuery(1, query(1), 50); // v1 timer until 260
  assert.equal(c.version(1), 1);
  c.onDeadline(210);
  assert.equal(c.version(1), 1);
  c.onDeadline(260);
  assert.equal(c.version(1), 4);
});

test('an older-mode leave sends the family leave message only where it has one, and only if we reported last', () => {
  const d = dice();
  const c = new ListenerCore(d.random, family(), CONFIG);
  c.onQuery(1, query(3), 0);
  d.pin(0.5); // the join report repeats once, 5 × 0.5 ms later (older interval)
  assert.deepEqual(c.join(1, G, 0), ['if1 v3-report 7']);
  assert.equal(c.nextDeadline(), 2.5);
  assert.deepEqual(c.leave(1, G, 1), ['if1 v3-leave 7']);
  c.onQuery(1, query(2), 1);
  c.join(1, H, 2); // the running repeat timer covers H: no draw
  assert.deepEqual(c.leave(1, H, 3), []); // v2 has no leave message
});

test('drawDelayBeforeLookup: a group-specific query for a group not joined draws one factor, else none', () => {
  for (const [early, draws] of [[false, 0], [true, 1]] as const) {
    const d = dice();
    const c = new ListenerCore(d.random, family({ drawDelayBeforeLookup: early }), CONFIG);
    d.pin(0.3);
    c.onQuery(1, query(4, G), 0);
    assert.equal(d.draws(), draws);
  }
});

test('armOlderTimerFirst changes no outcome: entering an older mode cancels current-version work either way', () => {
  for (const first of [false, true]) {
    const d = dice();
    const c = new ListenerCore(d.random, family({ armOlderTimerFirst: first }), CONFIG);
    d.pin(0.5);
    c.join(1, G, 0); // TO_EX now, a repeat armed at 0.5
    d.pin(0.2);
    c.onQuery(1, query(2), 0); // v2 mode: the repeat is cancelled, G answered at 2
    assert.equal(c.version(1), 2);
    assert.deepEqual(c.onDeadline(1), []);
    assert.deepEqual(c.onDeadline(2), ['if1 v2-report 7']);
    assert.equal(c.nextDeadline(), 210);
  }
});
