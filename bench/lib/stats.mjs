/** Order statistics for small samples: nearest-rank percentiles (with n < 100, p99 is the max). */

/** { n, min, p50, p99, max } of finite numbers; every field undefined for an empty sample. */
export function summarize(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  const rank = (p) => (n === 0 ? undefined : sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]);
  return { n, min: sorted[0], p50: rank(50), p99: rank(99), max: sorted[n - 1] };
}

/** a ÷ b, or undefined when either is missing or b is 0. */
export const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
