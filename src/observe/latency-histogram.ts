/**
 * Latency quantiles without keeping samples: counts in log-spaced buckets (8 per decade, from
 * 0.1 ms to 100 s), so recording is an increment and any window's p50/p99 is a sum of counts.
 * A quantile is exact to within one bucket (±15 %), plenty for a dashboard.
 */
const PER_DECADE = 8;
const MIN_MS = 0.1;
export const BUCKETS = PER_DECADE * 6 + 1;

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log10(ms / MIN_MS) * PER_DECADE));
}

/** The upper bound (ms) of a bucket. */
export function boundOf(bucket: number): number {
  return MIN_MS * 10 ** (bucket / PER_DECADE);
}

export function newCounts(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

/** The `q` quantile (0..1) of the counts, in ms; null with no samples. */
export function quantile(counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return boundOf(i);
  }
  return boundOf(counts.length - 1);
}
