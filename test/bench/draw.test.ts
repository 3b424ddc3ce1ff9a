/**
 * Unit tests for the bucket histograms of src/cli/draw.ts (bucketHistograms),
 * which bench/udp-echo.ts --draw uses; `histogram` is covered by its callers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketHistograms, histogram, type Bucket } from '../../src/cli/draw.js';

const b = (lo: number, hi: number, count: number): Bucket => ({ lo, hi, count });
/** The count at the end of a bar line (0 for an empty bin). */
const countOf = (line: string): number => Number(/ (\d+) \((<?[\d.]+)%\)$/.exec(line)?.[1] ?? 0);
const labelOf = (line: string): string => line.slice(0, line.indexOf('│'));
const barOf = (line: string): number => (line.slice(line.indexOf('│') + 1).match(/█/g) ?? []).length;

test('two series share bin edges spanning both', () => {
  const [a, k] = bucketHistograms([[b(0.01, 0.011, 5)], [b(0.1, 0.104, 7)]], { bins: 4, width: 10 });
  assert.equal(a.length, 4);
  assert.equal(k.length, 4);
  assert.deepEqual(a.map(labelOf), k.map(labelOf));
  assert.match(a[0], /^ *10µs–/);
  assert.match(a[3], /–104µs │/);
  assert.deepEqual(a.map(countOf), [5, 0, 0, 0]);
  assert.deepEqual(k.map(countOf), [0, 0, 0, 7]);
});

test('bars are shares of their own series on one scale', () => {
  // Series 1: 100 samples, half and half; series 2: 10 samples, all in one bin.
  const [x, y] = bucketHistograms(
    [
      [b(1, 1.1, 50), b(10, 11, 50)],
      [b(1, 1.1, 10)],
    ],
    { bins: 2, width: 20 },
  );
  assert.deepEqual(x.map(barOf), [10, 10]);
  assert.deepEqual(y.map(barOf), [20, 0]);
  assert.match(x[0], / 50 \(50\.0%\)$/);
  assert.match(y[0], / 10 \(100\.0%\)$/);
  assert.equal(y[1], `${labelOf(y[1])}│`);
});

test('every count lands in some bin; a bucket goes by its geometric middle', () => {
  const buckets = [b(0, 0.001, 2), b(0.012, 0.013, 3), b(0.064, 0.068, 11), b(0.2, 0.208, 1), b(100, 100.001, 4)];
  const [lines] = bucketHistograms([buckets], { bins: 12 });
  assert.equal(lines.map(countOf).reduce((s, c) => s + c, 0), 21);
  // [0, 1 µs) is clamped to 1 µs, the lowest edge.
  assert.match(lines[0], /^ *1µs–.* 2 \(/);
  assert.match(lines[11], /100\.00ms │.* 4 \(/);
});

test('a tiny share still shows; empty series and no samples at all', () => {
  const [x] = bucketHistograms([[b(1, 1.01, 1000), b(5, 5.01, 1)]], { bins: 2, width: 10 });
  assert.ok(x[1].includes('│▏'));
  assert.match(x[1], / 1 \(<0\.1%\)$/);
  const [e, f] = bucketHistograms([[], [b(1, 2, 3)]], { bins: 3 });
  assert.deepEqual(e, ['(no samples)']);
  assert.equal(f.length, 3);
  assert.deepEqual(bucketHistograms([[], [b(1, 2, 0)]]), [['(no samples)'], ['(no samples)']]);
});

test('upTo: bins end at the quantile the slower series reaches; the tail on one "≥" line', () => {
  // a: 999 samples at 10 µs, one at 50 ms; k: 990 at 10 µs, 10 at 20 µs (its p99.9 is in the 20 µs bucket).
  const a = [b(0.01, 0.011, 999), b(50, 50.001, 1)];
  const k = [b(0.01, 0.011, 990), b(0.02, 0.021, 10)];
  const [x, y] = bucketHistograms([a, k], { bins: 4, upTo: 0.999 });
  assert.equal(x.length, 5);
  assert.match(x[3], /–21µs │/);
  assert.match(x[4], /^ *≥ 21µs │▏ +1 \(0\.1%\)$/);
  assert.equal(y[4], `${labelOf(y[4])}│`);
  assert.deepEqual(y.map(countOf), [990, 0, 0, 10, 0]);
  // Without a tail beyond the quantile's bucket there is no "≥" line.
  assert.equal(bucketHistograms([k], { bins: 4, upTo: 0.999 })[0].length, 4);
});

test('histogram is unchanged for its callers', () => {
  assert.deepEqual(histogram([]), ['(no samples)']);
  const lines = histogram([1, 1, 2, 4], { bins: 2, width: 4 });
  assert.deepEqual(lines, ['1.00ms–2.00ms │████ 2', '2.00ms–4.00ms │████ 2']);
});
