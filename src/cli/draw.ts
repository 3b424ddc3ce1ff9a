// Text drawings for terminals: RTT histograms on log-spaced bins, from raw
// values or from counts already binned (several series on shared bins).

/** A histogram of `values` (milliseconds) as lines of bars, `width` characters wide at most. */
export function histogram(values: number[], opts: { width?: number; bins?: number } = {}): string[] {
  if (!values.length) return ['(no samples)'];
  const width = opts.width ?? 40;
  const sorted = [...values].sort((a, b) => a - b);
  const lo = Math.max(sorted[0], 1e-3);
  const hi = Math.max(sorted[sorted.length - 1], lo * 1.0001);
  const nb = opts.bins ?? 12;
  const ratio = Math.pow(hi / lo, 1 / nb);
  const edges = Array.from({ length: nb + 1 }, (_, i) => lo * Math.pow(ratio, i));
  const counts = new Array(nb).fill(0);
  for (const v of sorted) {
    let b = Math.floor(Math.log(Math.max(v, lo) / lo) / Math.log(ratio));
    if (b >= nb) b = nb - 1;
    if (b < 0) b = 0;
    counts[b]++;
  }
  const peak = Math.max(...counts);
  const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)}µs` : `${ms.toFixed(2)}ms`);
  const labels = counts.map((_, i) => `${fmt(edges[i])}–${fmt(edges[i + 1])}`);
  const lw = Math.max(...labels.map((l) => l.length));
  return counts.map((c, i) => {
    const bar = '█'.repeat(Math.round((c / peak) * width)) || (c ? '▏' : '');
    return `${labels[i].padStart(lw)} │${bar} ${c}`;
  });
}

/** Samples already counted into [lo, hi) (milliseconds, hi exclusive). */
export interface Bucket {
  lo: number;
  hi: number;
  count: number;
}

/**
 * Histograms of several series of buckets on the same log-spaced bins (from
 * the lowest edge to the highest of all series), one array of lines per
 * series, so drawn one above the other they line up. A bucket counts in the
 * bin of its geometric middle, so it should be narrow next to a bin. A bar is
 * the bin's share of its own series, every series on the same scale (the
 * largest share is `width` characters); each line ends with count and share.
 * With `upTo` (a quantile, e.g. 0.999) the bins end where every series has
 * reached it, and one more line "≥ edge" holds the tail beyond, so a few
 * outliers do not squeeze the body into one bin.
 */
export function bucketHistograms(
  series: readonly (readonly Bucket[])[],
  opts: { width?: number; bins?: number; upTo?: number } = {},
): string[][] {
  const nonEmpty = series.map((bs) => bs.filter((b) => b.count > 0).sort((a, b) => a.lo - b.lo));
  const all = nonEmpty.flat();
  if (!all.length) return series.map(() => ['(no samples)']);
  const width = opts.width ?? 40;
  const nb = opts.bins ?? 12;
  const lo = Math.max(Math.min(...all.map((b) => b.lo)), 1e-3);
  let hi = Math.max(...all.map((b) => b.hi));
  if (opts.upTo !== undefined && opts.upTo < 1) {
    // The upper edge of the bucket where each series reaches the quantile; the largest of them.
    const q = opts.upTo;
    hi = Math.max(
      ...nonEmpty.map((bs) => {
        const total = bs.reduce((a, b) => a + b.count, 0);
        let acc = 0;
        for (const b of bs) if ((acc += b.count) >= q * total) return b.hi;
        return 0;
      }),
    );
  }
  hi = Math.max(hi, lo * 1.0001);
  const ratio = Math.pow(hi / lo, 1 / nb);
  const edges = Array.from({ length: nb + 1 }, (_, i) => lo * Math.pow(ratio, i));
  const tail = nonEmpty.some((bs) => bs.some((b) => b.lo >= hi));
  const counts = nonEmpty.map((bs) => {
    const c = new Array<number>(nb + 1).fill(0);
    for (const b of bs) {
      if (b.lo >= hi) c[nb] += b.count;
      else {
        const mid = Math.sqrt(Math.max(b.lo, lo) * Math.min(Math.max(b.hi, lo), hi));
        c[Math.min(nb - 1, Math.max(0, Math.floor(Math.log(mid / lo) / Math.log(ratio))))] += b.count;
      }
    }
    return tail ? c : c.slice(0, nb);
  });
  const totals = counts.map((c) => c.reduce((a, b) => a + b, 0));
  const peak = Math.max(...counts.map((c, s) => (totals[s] ? Math.max(...c) / totals[s] : 0)));
  const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)}µs` : `${ms.toFixed(2)}ms`);
  const labels = edges.slice(0, nb).map((e, i) => `${fmt(e)}–${fmt(edges[i + 1])}`);
  if (tail) labels.push(`≥ ${fmt(hi)}`);
  const pct = (share: number): string => (share >= 0.001 || share === 0 ? `${(100 * share).toFixed(1)}%` : '<0.1%');
  const lw = Math.max(...labels.map((l) => l.length));
  return counts.map((c, s) => {
    if (!totals[s]) return ['(no samples)'];
    return c.map((n, i) => {
      const share = n / totals[s];
      const bar = '█'.repeat(Math.round((share / peak) * width)) || (n ? '▏' : '');
      return `${labels[i].padStart(lw)} │${bar.padEnd(width)} ${n ? `${n} (${pct(share)})` : ''}`.trimEnd();
    });
  });
}

/** Percentile (0..100) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
