// Text drawings for terminals: an RTT histogram on log-spaced bins.

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

/** Percentile (0..100) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
