// The bench's statistics (bench/stats.ts) on known inputs. Pure.
import { describe, expect, it } from "vitest";
import { finite, median, medianOfRatios, pairedRatios, percentile, quantile, range, ratioOfMedians, spread } from "../bench/stats.ts";

describe("bench statistics", () => {
  it("median: odd, even, single, unsorted, empty", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5); // mean of the two middle values
    expect(median([7])).toBe(7);
    expect(median([10, -5])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });

  it("failed rounds (null, undefined, NaN, Infinity) are left out", () => {
    expect(finite([1, null, undefined, NaN, Infinity, 2])).toEqual([1, 2]);
    expect(median([null, 5, undefined, 1, NaN])).toBe(3);
    expect(median([null, undefined])).toBeUndefined();
  });

  it("percentiles interpolate linearly between ranks (numpy's default)", () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile(xs, 50)).toBe(5.5);
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 12); // h = 9 × 0.9 = 8.1 → 9 + 0.1 × (10 - 9)
    expect(percentile(xs, 99)).toBeCloseTo(9.91, 12);
    expect(percentile(xs, 99.9)).toBeCloseTo(9.991, 12);
    expect(quantile([5, 1, 3], 0.25)).toBe(2); // sorted [1, 3, 5]: h = 0.5
    expect(percentile([42], 99)).toBe(42); // one element: every percentile is it
    expect(percentile([2, 4], 50)).toBe(3); // even length
    expect(percentile([], 50)).toBeUndefined();
  });

  it("percentiles are ordered", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    const [p50, p99, p999] = [50, 99, 99.9].map((p) => percentile(xs, p)!);
    expect(p50).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(p999);
    expect(p999).toBeLessThanOrEqual(999);
  });

  it("quantile rejects q outside [0, 1]", () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => quantile([1], -0.1)).toThrow(/q must be in \[0, 1\]/);
    expect(() => quantile([1], NaN)).toThrow(RangeError);
  });

  it("median of per-round ratios pairs each round with the C run of the same round", () => {
    // The machine drifts: C and the implementation both slow down in round 3.
    const c = [100, 100, 50];
    const impl = [90, 90, 45];
    expect(pairedRatios(impl, c)).toEqual([0.9, 0.9, 0.9]);
    expect(medianOfRatios(impl, c)).toBeCloseTo(0.9, 12);
    // The two ways differ when the drift does not hit the medians alike.
    const c2 = [100, 60, 80];
    const impl2 = [50, 60, 80];
    expect(medianOfRatios(impl2, c2)).toBe(1); // ratios 0.5, 1, 1
    expect(ratioOfMedians(impl2, c2)).toBeCloseTo(60 / 80, 12);
  });

  it("ratios skip rounds where either side failed or C is 0", () => {
    expect(pairedRatios([10, null, 30, 5], [5, 10, null, 0])).toEqual([2, null, null, null]);
    expect(medianOfRatios([10, null, 30], [5, 10, null])).toBe(2);
    expect(medianOfRatios([10, 20], [5, 10])).toBe(2); // even count: mean of 2 and 2
    expect(medianOfRatios([3, 1], [1, 1])).toBe(2); // ratios 3 and 1: their mean
    expect(medianOfRatios([null], [1])).toBeUndefined();
    expect(ratioOfMedians([1], [])).toBeUndefined();
    expect(ratioOfMedians([1], [0])).toBeUndefined();
  });

  it("range and spread", () => {
    expect(range([3, null, 1, 2])).toEqual({ min: 1, max: 3 });
    expect(range([])).toBeUndefined();
    expect(spread([90, 100, 110])).toBeCloseTo(0.2, 12);
    expect(spread([5])).toBe(0);
    expect(spread([])).toBeUndefined();
  });
});
