// bench/histogram.ts: the latency histogram of the bench children, the
// same code as ref_bench.c's hist_index / hist_value / hist_percentile.
//
// Log-linear (HDR-style): one bucket per ns below 256 ns, then 128 buckets
// per power of two, so a bucket is at most 1/128 of its values wide and
// its middle is within 0.4% of any value in it. Values are clamped at
// 2^40 - 1 ns (18 minutes). 4352 buckets in one Uint32Array; record() does
// no allocation.

export const HIST_LINEAR = 256;
export const HIST_SUB_BITS = 7;
export const HIST_MAX_NS = 2 ** 40 - 1;
export const HIST_BUCKETS = (32 << HIST_SUB_BITS) + HIST_LINEAR;

/** 2^-shift for shift 0..40: v >> shift as an exact float multiply for v up to 2^53. */
const INV_POW2 = Float64Array.from({ length: 41 }, (_, i) => 2 ** -i);

/** The bucket of a latency of ns nanoseconds (a non-negative number; fractions are dropped). */
export function histIndex(ns: number): number {
  let v = Math.floor(ns);
  if (v > HIST_MAX_NS) v = HIST_MAX_NS;
  else if (!(v >= 0)) v = 0; // also NaN
  if (v < HIST_LINEAR) return v;
  const msb = v < 2 ** 32 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v * INV_POW2[32]));
  const shift = msb - HIST_SUB_BITS;
  return (shift << HIST_SUB_BITS) + Math.floor(v * INV_POW2[shift]);
}

/** The middle of bucket idx: its lowest value plus half its width, rounded down. */
export function histValue(idx: number): number {
  if (idx < HIST_LINEAR) return idx;
  const shift = (idx >>> HIST_SUB_BITS) - 1;
  return (idx - (shift << HIST_SUB_BITS)) * 2 ** shift + Math.floor(2 ** shift / 2);
}

export interface LatencySummary {
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  samples: number;
}

export class Histogram {
  readonly counts = new Uint32Array(HIST_BUCKETS);
  samples = 0;

  /**
   * Throws on a negative (or NaN) latency: that is a caller timing a
   * completion against a clock read taken before the request was submitted,
   * and clamping it to bucket 0 would hide the bug in a plausible-looking p50.
   */
  record(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`latency sample ${ns} ns: completion timed before submission`);
    this.counts[histIndex(ns)]++;
    this.samples++;
  }

  reset(): void {
    this.counts.fill(0);
    this.samples = 0;
  }

  /** The value at rank ceil(q × samples) (at least 1). */
  percentile(q: number): number {
    const want = Math.max(1, Math.ceil(q * this.samples));
    let seen = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= want) return histValue(i);
    }
    return histValue(HIST_BUCKETS - 1);
  }

  /** p50/p99/p99.9 and the sample count; null without samples. */
  summary(): LatencySummary | null {
    if (this.samples === 0) return null;
    return { p50Ns: this.percentile(0.5), p99Ns: this.percentile(0.99), p999Ns: this.percentile(0.999), samples: this.samples };
  }
}
