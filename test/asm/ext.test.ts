// The extension header chain in the hot path (RFC 8200 §4), with the
// Parameter Problem each failure owes its sender (RFC 4443 §3.4), fragments
// handed to the control plane, RFC 6946 atomic fragments, RFC 7112 and RFC 6980.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/wasm/layout.generated.js';
import { parseIp6, parseMac } from '../../src/wire/address.js';
import { echoRequest, ethFrame, nsMessage, type FrameSpec } from '../support/frames.js';
import { BUILDS, Harness, deltas } from '../support/engine.js';

const { Verdict, DropReason, ControlKind } = L;
const OUR_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02';
const OURS = '2001:db8::1';
const PEER = '2001:db8::2';

function setup(simd: boolean): Harness {
  const h = new Harness(simd, [{ ifindex: 1, mac: OUR_MAC, addresses: [`${OURS}/64`, 'fe80::1/64'] }]);
  h.neighbor(1, parseIp6(PEER), L.NeighState.REACHABLE, PEER_MAC);
  return h;
}

/** A frame whose payload is `chain` (extension headers) followed by `upper`; nextHeader names the first. */
function frame(nextHeader: number, chain: Uint8Array[], upper: Uint8Array, s: Partial<FrameSpec> = {}): Uint8Array {
  const body = new Uint8Array(chain.reduce((n, c) => n + c.length, 0) + upper.length);
  let o = 0;
  for (const c of chain) {
    body.set(c, o);
    o += c.length;
  }
  body.set(upper, o);
  return ethFrame({ dstMac: parseMac(OUR_MAC), srcMac: parseMac(PEER_MAC), src: PEER, dst: OURS, nextHeader, upper: body, checksum: false, ...s });
}

/** An options header (Hop-by-Hop or Destination Options) with `opts` then padding to 8n bytes. */
function optsHeader(next: number, opts: number[]): Uint8Array {
  const len = Math.ceil((2 + opts.length) / 8) * 8;
  const h = new Uint8Array(len);
  h[0] = next;
  h[1] = len / 8 - 1;
  h.set(opts, 2);
  const pad = len - 2 - opts.length;
  if (pad === 1) h[len - 1] = 0; // Pad1
  else if (pad > 1) {
    h[2 + opts.length] = 1; // PadN
    h[3 + opts.length] = pad - 2;
  }
  return h;
}

function routing(next: number, type: number, segmentsLeft: number): Uint8Array {
  const h = new Uint8Array(24);
  h[0] = next;
  h[1] = 2;
  h[2] = type;
  h[3] = segmentsLeft;
  return h;
}

function fragment(next: number, offset: number, more: boolean, id = 0x1234): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = next;
  const v = (offset << 3) | (more ? 1 : 0);
  h[2] = v >> 8;
  h[3] = v & 0xff;
  new DataView(h.buffer).setUint32(4, id);
  return h;
}

/** An echo request with a correct checksum for PEER → OURS, to follow a chain. */
function echoWithChecksum(): Uint8Array {
  // The checksum covers only the ICMPv6 message; build it through a plain frame.
  const plain = ethFrame({ src: PEER, dst: OURS, upper: echoRequest(7, 9, new Uint8Array(8)) });
  return plain.subarray(14 + 40);
}

for (const build of BUILDS) {
  describe(`extension headers, ${build.name} build`, () => {
    test('Hop-by-Hop and Destination Options with Pad1/PadN are walked; the echo behind them is answered by the control plane (RFC 8200 §4.2–§4.6)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(0, [optsHeader(60, [1, 0]), optsHeader(58, [0, 0, 0])], echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.CONTROL);
      assert.equal(r.slots[0].reason, ControlKind.ECHO_MULTICAST, 'a fresh reply without the extension headers');
      assert.equal(r.slots[0].l4, 14 + 40 + 8 + 8, 'the ICMPv6 header after both extension headers');
    });

    test('a Routing header with Segments Left 0 is ignored (RFC 8200 §4.4)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(43, [routing(58, 0, 0)], echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.CONTROL);
      assert.equal(r.slots[0].l4, 14 + 40 + 24);
    });

    for (const type of [0, 2, 253]) {
      test(`Routing Type ${type} with Segments Left ≠ 0 → Parameter Problem code 0 pointing at the Routing Type (RFC 8200 §4.4, RFC 5095)`, () => {
        const h = setup(build.simd);
        const d0 = h.dropCounts();
        const r = h.rx([frame(43, [routing(58, type, 1)], echoWithChecksum())]);
        assert.equal(r.slots[0].verdict, Verdict.CONTROL);
        assert.equal(r.slots[0].reason, ControlKind.PARAM_PROBLEM_HEADER);
        assert.equal(r.slots[0].l4, 40 + 2, 'pointer: the Routing Type octet');
        assert.deepEqual(deltas(d0, h.dropCounts()), { [DropReason.IP6_ROUTING_TYPE]: 1 });
      });
    }

    test('unknown option with action 00 is skipped (RFC 8200 §4.2)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(60, [optsHeader(58, [0x1e, 2, 0, 0])], echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.CONTROL);
      assert.equal(r.slots[0].reason, ControlKind.ECHO_MULTICAST);
    });

    test('unknown option with action 01 is discarded silently (RFC 8200 §4.2)', () => {
      const h = setup(build.simd);
      const d0 = h.dropCounts();
      const r = h.rx([frame(60, [optsHeader(58, [0x5e, 0])], echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.DROP);
      assert.equal(r.slots[0].reason, DropReason.IP6_OPTION_UNKNOWN);
      assert.deepEqual(deltas(d0, h.dropCounts()), { [DropReason.IP6_OPTION_UNKNOWN]: 1 });
    });

    for (const [type, kind] of [
      [0x9e, ControlKind.PARAM_PROBLEM_OPTION],
      [0xde, ControlKind.PARAM_PROBLEM_OPTION_UNICAST],
    ] as const) {
      test(`unknown option type 0x${type.toString(16)} → Parameter Problem code 2 pointing at the option (RFC 8200 §4.2, ${kind === ControlKind.PARAM_PROBLEM_OPTION ? 'action 10' : 'action 11: not to multicast'})`, () => {
        const h = setup(build.simd);
        const r = h.rx([frame(0, [optsHeader(58, [1, 0, type, 0])], echoWithChecksum())]);
        assert.equal(r.slots[0].verdict, Verdict.CONTROL);
        assert.equal(r.slots[0].reason, kind);
        assert.equal(r.slots[0].l4, 40 + 4, 'pointer: the option type after a PadN of 2');
      });
    }

    test('Hop-by-Hop after another header → Parameter Problem code 1 pointing at the Next Header that named it (RFC 8200 §4.1)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(60, [optsHeader(0, []), optsHeader(58, [])], echoWithChecksum())]);
      assert.equal(r.slots[0].reason, ControlKind.PARAM_PROBLEM_NEXT_HEADER);
      assert.equal(r.slots[0].l4, 40, 'pointer: the Destination Options Next Header field');
    });

    test('an unrecognized Next Header → Parameter Problem code 1 pointing at it (RFC 8200 §4)', () => {
      const h = setup(build.simd);
      let r = h.rx([frame(253, [], new Uint8Array(8))]);
      assert.equal(r.slots[0].reason, ControlKind.PARAM_PROBLEM_NEXT_HEADER);
      assert.equal(r.slots[0].l4, 6, 'pointer: the IPv6 Next Header field');
      r = h.rx([frame(60, [optsHeader(253, [])], new Uint8Array(8))]);
      assert.equal(r.slots[0].l4, 40, 'pointer: the Destination Options Next Header field');
    });

    test('a fragment goes to the control plane with its Fragment header located (RFC 8200 §4.5)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(44, [fragment(58, 0, true)], new Uint8Array(64).fill(1)), frame(44, [fragment(58, 8, false)], new Uint8Array(16))]);
      for (const s of r.slots) {
        assert.equal(s.verdict, Verdict.CONTROL);
        assert.equal(s.reason, ControlKind.FRAGMENT);
        assert.equal(s.l4, 14 + 40);
      }
    });

    test('an atomic fragment is processed alone, as if unfragmented (RFC 6946)', () => {
      const h = setup(build.simd);
      const r = h.rx([frame(44, [fragment(58, 0, false)], echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.CONTROL);
      assert.equal(r.slots[0].reason, ControlKind.ECHO_MULTICAST);
    });

    test('an ND message in an (atomic) fragment is dropped (RFC 6980 §5)', () => {
      const h = setup(build.simd);
      const ns = ethFrame({ src: PEER, dst: OURS, hopLimit: 255, upper: nsMessage(parseIp6(OURS), parseMac(PEER_MAC)) }).subarray(54);
      const r = h.rx([frame(44, [fragment(58, 0, false)], ns, { hopLimit: 255 })]);
      assert.equal(r.slots[0].verdict, Verdict.DROP);
      assert.equal(r.slots[0].reason, DropReason.ND_IN_FRAGMENT);
    });

    test('a first fragment without the whole header chain → Parameter Problem code 3 (RFC 7112 §5)', () => {
      const h = setup(build.simd);
      // Fragment, then a Destination Options header claiming 32 bytes of which 8 are here.
      const dst = new Uint8Array(8);
      dst[0] = 58;
      dst[1] = 3;
      const r = h.rx([frame(44, [fragment(60, 0, true)], dst)]);
      assert.equal(r.slots[0].reason, ControlKind.PARAM_PROBLEM_CHAIN);
      const r2 = h.rx([frame(44, [fragment(17, 0, true)], new Uint8Array(4))]);
      assert.equal(r2.slots[0].reason, ControlKind.PARAM_PROBLEM_CHAIN, 'a UDP header cut short');
    });

    test('more than 8 extension headers are dropped (RFC 8504 §5.3)', () => {
      const h = setup(build.simd);
      const chain = Array.from({ length: 9 }, (_, i) => optsHeader(i === 8 ? 58 : 60, []));
      const r = h.rx([frame(60, chain, echoWithChecksum())]);
      assert.equal(r.slots[0].verdict, Verdict.DROP);
      assert.equal(r.slots[0].reason, DropReason.IP6_EXT_CHAIN_TOO_LONG);
    });
  });
}

for (const build of BUILDS) {
  test(`an echo reply longer than the smallest known path MTU goes to the control plane to be fragmented (RFC 8201), ${build.name} build`, () => {
    const h = new Harness(build.simd, [{ ifindex: 1, mac: OUR_MAC, addresses: [`${OURS}/64`], echoMax: 1280 }]);
    h.neighbor(1, parseIp6(PEER), L.NeighState.REACHABLE, PEER_MAC);
    const small = ethFrame({ dstMac: parseMac(OUR_MAC), srcMac: parseMac(PEER_MAC), src: PEER, dst: OURS, upper: echoRequest(1, 1, new Uint8Array(1280 - 48)) });
    const big = ethFrame({ dstMac: parseMac(OUR_MAC), srcMac: parseMac(PEER_MAC), src: PEER, dst: OURS, upper: echoRequest(1, 2, new Uint8Array(1280 - 48 + 1)) });
    const r = h.rx([small, big]);
    assert.equal(r.slots[0].verdict, Verdict.TX_READY, 'exactly 1280 bytes: answered in place');
    assert.equal(r.slots[1].verdict, Verdict.CONTROL, '1281 bytes: the control plane');
    assert.equal(r.slots[1].reason, ControlKind.ECHO_MULTICAST);
  });
}

for (const build of BUILDS) {
  test(`random extension header chains never trap and every drop is counted (${build.name} build)`, () => {
    const h = setup(build.simd);
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const kinds = [0, 60, 43, 44, 58, 17, 59, 253];
    let frames = 0;
    let dropsSeen = 0;
    const d0 = h.dropCounts().reduce((a, b) => a + b, 0);
    for (let round = 0; round < 400; round++) {
      const burst: Uint8Array[] = [];
      for (let k = 0; k < 50; k++) {
        const n = rnd(6);
        const chain: Uint8Array[] = [];
        for (let i = 0; i < n; i++) {
          const next = kinds[rnd(kinds.length)];
          const kind = kinds[rnd(4)];
          if (kind === 44) chain.push(fragment(next, rnd(4) * 8, rnd(2) === 1, rnd(1 << 30)));
          else if (kind === 43) chain.push(routing(next, rnd(4), rnd(3)));
          else {
            const opts = Array.from({ length: rnd(12) }, () => rnd(256));
            chain.push(optsHeader(next, opts));
          }
        }
        const upper = Uint8Array.from({ length: rnd(64) }, () => rnd(256));
        const f = frame(kinds[rnd(kinds.length)], chain, upper);
        if (rnd(4) === 0) f[14 + 40 + rnd(Math.max(1, f.length - 54))] ^= 1 << rnd(8); // a flipped bit somewhere in the chain
        burst.push(f);
      }
      const r = h.rx(burst);
      frames += burst.length;
      for (const s of r.slots) {
        assert.ok([Verdict.DROP, Verdict.TX_READY, Verdict.CONTROL, Verdict.DELIVER, Verdict.RESOLVE].includes(s.verdict), `verdict ${s.verdict}`);
        if (s.verdict === Verdict.DROP) dropsSeen++;
        if (s.verdict === Verdict.CONTROL && s.reason >= ControlKind.PARAM_PROBLEM_HEADER && s.reason <= ControlKind.PARAM_PROBLEM_CHAIN) dropsSeen++;
      }
    }
    assert.equal(frames, 20_000);
    assert.equal(h.dropCounts().reduce((a, b) => a + b, 0) - d0, dropsSeen, 'drop counters = DROP verdicts + Parameter Problems owed');
    assert.ok(dropsSeen > 1000, `the generator reaches drops (${dropsSeen})`);
  });
}
