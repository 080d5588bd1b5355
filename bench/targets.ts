// bench/targets.ts: the throughput targets the project set itself, checked
// against one run's results, per runtime. Where a target is relative to a
// runtime's own fs, the row also says how far C's io_uring got against
// that same fs in the same run: the most any io_uring client could show on
// this machine, so a miss there is the machine's, not the shim's.
// A target whose cases did not run (the quick suite, --impl subsets) is
// left out.
import type { JsRuntime, Result, RunResult } from "./types.ts";
import { median, pairedRatios } from "./stats.ts";

export interface TargetCheck {
  /** What is measured, e.g. "batch API, NOP batch 32 (vs C)". */
  target: string;
  /** The target as text, e.g. "≥ 0.95x", and its number. */
  wanted: string;
  threshold: number;
  /** Per runtime: the measured value, or undefined when its runs are missing. */
  bun?: Measured;
  deno?: Measured;
}

export interface Measured {
  value: number;
  met: boolean;
  /** For targets relative to the runtime's fs: C's own ratio to that fs in the same run. */
  ceiling?: number;
}

type Find = (label: string, key: string) => Result | undefined;

const iopsOf = (r: Result) => r.perRound.map((x: RunResult | null) => (x === null ? null : x.iops));

/** The median of the per-round IOPS ratios a / b (undefined when no round has both). */
function roundRatio(a: Result | undefined, b: Result | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : median(pairedRatios(iopsOf(a), iopsOf(b)));
}

/** The better of a runtime's async fs implementations on a case, by median IOPS. */
function bestAsyncFs(find: Find, label: string, rt: JsRuntime): Result | undefined {
  const candidates = [find(label, `${rt}-fs-async`), find(label, `${rt}-native-file`)]
    .filter((r): r is Result => r !== undefined && r.iops !== null);
  return candidates.sort((a, b) => b.iops! - a.iops!)[0];
}

interface Spec {
  target: string;
  wanted: string;
  threshold: number;
  /** The measured value for a runtime, with C's ceiling where there is one. */
  measure(find: Find, rt: JsRuntime): { value: number; ceiling?: number } | undefined;
  met(value: number): boolean;
}

const PAGE_CACHE_QD32 = "randread 4K QD 32 page cache";

function vsC(target: string, label: string, impl: "batch" | "promise", at: number): Spec {
  return {
    target: `${target} (vs C)`,
    wanted: `≥ ${at.toFixed(2)}x`,
    threshold: at,
    measure(find, rt) {
      const r = find(label, `${rt}-${impl}`);
      return r?.ratioToC == null ? undefined : { value: r.ratioToC };
    },
    met: (v) => v >= at,
  };
}

function vsFs(target: string, at: number, fs: (find: Find, rt: JsRuntime) => Result | undefined): Spec {
  return {
    target,
    wanted: `≥ ${at}x`,
    threshold: at,
    measure(find, rt) {
      const own = fs(find, rt);
      const value = roundRatio(find(PAGE_CACHE_QD32, `${rt}-batch`), own);
      return value === undefined ? undefined : { value, ceiling: roundRatio(find(PAGE_CACHE_QD32, "c"), own) };
    },
    met: (v) => v >= at,
  };
}

const p50sOf = (r: Result) => r.perRound.map((x: RunResult | null) => x?.latency?.p50Ns ?? null);

function p50OverC(target: string, label: string, impl: "batch" | "promise"): Spec {
  return {
    target: `${target}: p50 minus C's`,
    wanted: "≤ 1 µs",
    threshold: 1,
    // Paired by round like the ratios: a device's latency drifts between rounds as its IOPS do.
    measure(find, rt) {
      const r = find(label, `${rt}-${impl}`);
      const c = find(label, "c");
      if (r === undefined || c === undefined) return undefined;
      const cs = p50sOf(c);
      const diffs = p50sOf(r).map((x, i) => (x === null || cs[i] === null ? null : x - cs[i]!));
      const value = median(diffs);
      return value === undefined ? undefined : { value: value / 1000 };
    },
    met: (v) => v <= 1,
  };
}

const SPECS: readonly Spec[] = [
  vsC("batch API, NOP batch 32", "nop batch 32", "batch", 0.95),
  vsC("batch API, NOP batch 128", "nop batch 128", "batch", 0.95),
  vsC("promise API, NOP batch 32", "nop batch 32", "promise", 0.5),
  vsC("promise API, 4K page-cache random reads QD 32", PAGE_CACHE_QD32, "promise", 0.9),
  vsFs("page-cache random reads QD 32, batch API vs the runtime's readSync", 2, (find, rt) => find(PAGE_CACHE_QD32, `${rt}-fs-sync`)),
  vsFs(
    "page-cache random reads QD 32, batch API vs the runtime's best async fs",
    4,
    (find, rt) => bestAsyncFs(find, PAGE_CACHE_QD32, rt),
  ),
  {
    target: "O_DIRECT random reads QD 32, submitted one by one, batch API vs fio",
    wanted: "≥ 0.98x",
    threshold: 0.98,
    measure(find, rt) {
      const label = "randread 4K QD 32 direct, submit each";
      const value = roundRatio(find(label, `${rt}-batch`), find(label, "fio"));
      return value === undefined ? undefined : { value };
    },
    met: (v) => v >= 0.98,
  },
  p50OverC("QD 1 page cache, batch API", "randread 4K QD 1 page cache", "batch"),
  p50OverC("QD 1 page cache, promise API", "randread 4K QD 1 page cache", "promise"),
  p50OverC("QD 1 O_DIRECT, batch API", "randread 4K QD 1 direct", "batch"),
  p50OverC("QD 1 O_DIRECT, promise API", "randread 4K QD 1 direct", "promise"),
];

/** Every target with at least one runtime measured in results. */
export function checkTargets(results: readonly Result[]): TargetCheck[] {
  const byKey = new Map(results.filter((r) => r.roundsOk > 0).map((r) => [`${r.label}\0${r.runner.key}`, r]));
  const find: Find = (label, key) => byKey.get(`${label}\0${key}`);
  const out: TargetCheck[] = [];
  for (const spec of SPECS) {
    const check: TargetCheck = { target: spec.target, wanted: spec.wanted, threshold: spec.threshold };
    for (const rt of ["bun", "deno"] as const) {
      const m = spec.measure(find, rt);
      if (m !== undefined) check[rt] = { ...m, met: spec.met(m.value) };
    }
    if (check.bun !== undefined || check.deno !== undefined) out.push(check);
  }
  return out;
}

/**
 * A measured value as a cell: "0.88x ✗", "+0.37 µs ✓", "96.2 ms ✗", "" when not
 * measured. One more decimal where two would round a miss onto the
 * target ("0.949x ✗", not "0.95x ✗").
 */
export function formatMeasured(check: TargetCheck, m: Measured | undefined): string {
  if (m === undefined) return "";
  const ms = check.wanted.endsWith(" ms");
  let digits = ms ? 1 : 2;
  if (!m.met && m.value.toFixed(digits) === check.threshold.toFixed(digits)) digits++;
  const v = check.wanted.endsWith("µs")
    ? `${m.value >= 0 ? "+" : ""}${m.value.toFixed(digits)} µs`
    : ms
    ? `${m.value.toFixed(digits)} ms`
    : `${m.value.toFixed(digits)}x`;
  return `${v} ${m.met ? "✓" : "✗"}`;
}

/** C's own ratio to each runtime's fs, for targets that have one: "Bun 1.25x, Deno 1.56x"; "" otherwise. */
export function formatCeiling(check: TargetCheck): string {
  const parts: string[] = [];
  if (check.bun?.ceiling !== undefined) parts.push(`Bun ${check.bun.ceiling.toFixed(2)}x`);
  if (check.deno?.ceiling !== undefined) parts.push(`Deno ${check.deno.ceiling.toFixed(2)}x`);
  return parts.join(", ");
}

export const TARGETS_HEAD = ["target", "wanted", "Bun", "Deno", "C's own, same run"] as const;

export const TARGETS_NOTE =
  "Targets: the project's performance goals, from this run. x: median of the per-round ratios; ms: median over rounds. " +
  "C's own: C's io_uring against the same runtime fs in the same rounds, the most an io_uring client reaches here.";

/** The rows of the targets table (TARGETS_HEAD's columns). */
export function targetRows(checks: readonly TargetCheck[]): string[][] {
  return checks.map((c) => [c.target, c.wanted, formatMeasured(c, c.bun), formatMeasured(c, c.deno), formatCeiling(c)]);
}
