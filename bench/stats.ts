// bench/stats.ts: the statistics of the bench, pure functions on numbers.
//
// Rounds: every implementation runs once per round, so a run and the C run
// of the same round saw the same machine. The ratio to C is therefore the
// median of the per-round ratios (medianOfRatios), not the ratio of the
// two medians (ratioOfMedians, kept for comparison): on this VM the speed
// drifts ±25% over tens of seconds, and pairing by round cancels the drift.
// Missing values (a failed run: null, undefined or NaN) are left out.

export type Maybe = number | null | undefined;

/** The finite values of xs, in order. */
export function finite(xs: readonly Maybe[]): number[] {
  return xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the finite values of xs, interpolating
 * linearly between the two nearest ranks (numpy's default, Hyndman–Fan
 * type 7): h = (n - 1)·q, then x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋]).
 * undefined when there is no value.
 */
export function quantile(xs: readonly Maybe[], q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const s = finite(xs).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** The p-th percentile (0 ≤ p ≤ 100), as quantile(xs, p / 100). */
export function percentile(xs: readonly Maybe[], p: number): number | undefined {
  return quantile(xs, p / 100);
}

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(xs: readonly Maybe[]): number | undefined {
  return quantile(xs, 0.5);
}

/** min and max of the finite values (undefined when there is none). */
export function range(xs: readonly Maybe[]): { min: number; max: number } | undefined {
  const f = finite(xs);
  return f.length === 0 ? undefined : { min: Math.min(...f), max: Math.max(...f) };
}

/** a[i] / b[i] per index where both are finite and b[i] is not 0; null elsewhere. */
export function pairedRatios(a: readonly Maybe[], b: readonly Maybe[]): (number | null)[] {
  return a.map((x, i) => {
    const y = b[i];
    return typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y) && y !== 0 ? x / y : null;
  });
}

/** The median of the per-round ratios a[i] / b[i] (rounds where either failed are left out). */
export function medianOfRatios(a: readonly Maybe[], b: readonly Maybe[]): number | undefined {
  return median(pairedRatios(a, b));
}

/** median(a) / median(b): drift between rounds does not cancel; for comparison only. */
export function ratioOfMedians(a: readonly Maybe[], b: readonly Maybe[]): number | undefined {
  const ma = median(a);
  const mb = median(b);
  return ma === undefined || mb === undefined || mb === 0 ? undefined : ma / mb;
}

/** The relative spread (max - min) / median of the values, a quick noise gauge. */
export function spread(xs: readonly Maybe[]): number | undefined {
  const r = range(xs);
  const m = median(xs);
  return r === undefined || m === undefined || m === 0 ? undefined : (r.max - r.min) / m;
}
