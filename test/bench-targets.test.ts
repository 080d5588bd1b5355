// bench/targets.ts: the project's throughput targets checked against a
// run's results (fake children with known IOPS and latencies), and the
// targets section of the table and the Markdown.
import { describe, expect, it } from "vitest";
import { lastJsonLine, normalize } from "../bench/children.ts";
import { type Plan, runPlans, type RunOutcome } from "../bench/orchestrate.ts";
import { toMarkdown, toTable } from "../bench/report.ts";
import { makeCase, notApplicable, runnersFor } from "../bench/suites.ts";
import { summarize } from "../bench/summarize.ts";
import { checkTargets, formatMeasured, type TargetCheck } from "../bench/targets.ts";
import type { Case, Header } from "../bench/types.ts";

const header: Header = {
  command: "uringshim-bench --suite full --markdown",
  kernel: "6.18.0", cpu: "Test CPU", cores: 2, runtimes: { bun: "1.4.5", deno: "2.9.6" }, fio: "fio-3.33", disk: null,
  pinned: true, pinNote: "pinned", rounds: 3, durationMs: 100, warmupMs: 0, suite: "test", file: null, date: "2026-01-01",
};

const CASES: Case[] = [
  makeCase("nop", { batch: 32, group: "nop" }),
  makeCase("nop", { batch: 128, group: "nop" }),
  makeCase("randread", { qd: 1, group: "page cache" }),
  makeCase("randread", { qd: 32, group: "page cache" }),
  makeCase("randread", { qd: 1, direct: true, group: "direct" }),
  makeCase("randread", { qd: 32, direct: true, submitEach: true, group: "direct" }),
];

/**
 * Three rounds whose speed drifts (round 2 at half speed, for everyone):
 * IOPS = 1000 × factor × drift; p50 = C's 10 µs plus the runner's extra.
 */
function results(
  factor: Record<string, number>, extraP50Us: Record<string, number>, p50Us = (key: string, _round: number) => 10 + (extraP50Us[key] ?? 0),
) {
  const runners = runnersFor(["c", "batch", "promise", "fs-sync", "fs-async", "native-file", "fio"], ["bun", "deno"]);
  const plans: Plan[] = CASES.map((c) => ({ case: c, runners: runners.filter((r) => notApplicable(r.impl, c) === null), skipped: [] }));
  const { raws } = runPlans(plans, 3, {
    run(r, c, round): RunOutcome {
      const f = factor[r.key] ?? 1;
      const p50 = p50Us(r.key, round) * 1000;
      const line = {
        ops: Math.round(1000 * f * (round === 2 ? 0.5 : 1)), seconds: 1, cpuUserUs: 1, cpuSysUs: 1,
        latency: c.workload === "nop" ? null : { p50Ns: p50, p99Ns: p50 * 2, p999Ns: p50 * 3, samples: 100 },
      };
      return normalize(lastJsonLine(JSON.stringify(line)), c.bs);
    },
  });
  return summarize(raws, () => true);
}

const byTarget = (checks: TargetCheck[], start: string) => {
  const c = checks.find((x) => x.target.startsWith(start));
  if (c === undefined) throw new Error(`no target ${start}: ${checks.map((x) => x.target).join("; ")}`);
  return c;
};

describe("bench targets", () => {
  const checks = checkTargets(results(
    {
      "bun-batch": 0.96, "deno-batch": 0.9, "bun-promise": 0.5, "deno-promise": 0.45,
      "bun-fs-sync": 0.5, "deno-fs-sync": 0.4, "bun-fs-async": 0.2, "bun-native-file": 0.25, "deno-fs-async": 0.1,
      "deno-native-file": 0.05, fio: 0.96,
    },
    { "bun-batch": 0.5, "deno-batch": 1.5, "bun-promise": 3, "deno-promise": -0.25 },
  ));

  it("ratios to C: medians of the per-round ratios, met or not against the target", () => {
    expect(byTarget(checks, "batch API, NOP batch 32").bun).toMatchObject({ met: true });
    expect(byTarget(checks, "batch API, NOP batch 32").bun!.value).toBeCloseTo(0.96, 9);
    expect(byTarget(checks, "batch API, NOP batch 128").deno).toMatchObject({ met: false });
    expect(byTarget(checks, "promise API, NOP batch 32").bun).toMatchObject({ value: 0.5, met: true });
    expect(byTarget(checks, "promise API, NOP batch 32").deno).toMatchObject({ met: false });
    expect(byTarget(checks, "promise API, 4K page-cache").bun).toMatchObject({ value: 0.5, met: false });
  });

  it("against the runtime's fs: the batch API's ratio and C's own in the same rounds", () => {
    const sync = byTarget(checks, "page-cache random reads QD 32, batch API vs the runtime's readSync");
    expect(sync.bun!.value).toBeCloseTo(0.96 / 0.5, 9);
    expect(sync.bun!.ceiling).toBeCloseTo(2, 9);
    expect(sync.bun!.met).toBe(false); // 1.92x
    expect(sync.deno!.value).toBeCloseTo(0.9 / 0.4, 9);
    expect(sync.deno!.ceiling).toBeCloseTo(2.5, 9);
    expect(sync.deno!.met).toBe(true);
    // The best async fs is the faster of fs-async and native-file: Bun's native-file, Deno's fs-async.
    const async = byTarget(checks, "page-cache random reads QD 32, batch API vs the runtime's best async fs");
    expect(async.bun!.value).toBeCloseTo(0.96 / 0.25, 9);
    expect(async.bun!.ceiling).toBeCloseTo(4, 9);
    expect(async.deno!.value).toBeCloseTo(9, 9);
    expect(async.deno!.ceiling).toBeCloseTo(10, 9);
  });

  it("fio on the same case, and QD 1 p50 latency minus C's", () => {
    const fio = byTarget(checks, "O_DIRECT random reads QD 32");
    expect(fio.bun!.value).toBeCloseTo(1, 9);
    expect(fio.bun!.met).toBe(true);
    expect(fio.deno!.value).toBeCloseTo(0.9 / 0.96, 9);
    expect(fio.deno!.met).toBe(false);
    expect(byTarget(checks, "QD 1 page cache, batch API").bun).toMatchObject({ value: 0.5, met: true });
    expect(byTarget(checks, "QD 1 page cache, batch API").deno).toMatchObject({ value: 1.5, met: false });
    expect(byTarget(checks, "QD 1 O_DIRECT, promise API").bun).toMatchObject({ value: 3, met: false });
    expect(byTarget(checks, "QD 1 O_DIRECT, promise API").deno).toMatchObject({ value: -0.25, met: true });
  });

  it("latency is paired by round like the ratios: a slow round of the device moves C and JS together", () => {
    // C's p50 by round 10, 10, 40 µs; Bun's 11, 30, 41: per round +1, +20, +1, so +1 (medians alone would say 30 - 10 = +20).
    const p50 = (key: string, round: number) => key === "c" ? [10, 10, 40][round] : key === "bun-promise" ? [11, 30, 41][round] : 10;
    const t = byTarget(checkTargets(results({}, {}, p50)), "QD 1 O_DIRECT, promise API");
    expect(t.bun).toMatchObject({ value: 1, met: true });
  });

  it("a miss that two decimals would round onto the target shows a third", () => {
    const t = byTarget(checkTargets(results({ "bun-batch": 0.949, "deno-batch": 0.95 }, {})), "batch API, NOP batch 32");
    expect(formatMeasured(t, t.bun)).toBe("0.949x ✗");
    expect(formatMeasured(t, t.deno)).toBe("0.95x ✓");
  });

  it("targets whose cases did not run are left out; the reports print the rest", () => {
    expect(checks.length).toBe(11);
    const some = results({}, {}).filter((r) => r.label.startsWith("nop"));
    expect(checkTargets(some).map((c) => c.target)).toEqual([
      "batch API, NOP batch 32 (vs C)", "batch API, NOP batch 128 (vs C)", "promise API, NOP batch 32 (vs C)",
    ]);
    expect(checkTargets(some.filter((r) => r.runner.impl !== "batch" && r.runner.impl !== "promise"))).toEqual([]);

    const all = results({ "bun-batch": 0.96, "bun-fs-sync": 0.5 }, { "bun-promise": 3 });
    const md = toMarkdown(header, all, []);
    expect(md).toContain("## Targets");
    expect(md).toContain("| batch API, NOP batch 32 (vs C) | ≥ 0.95x | 0.96x ✓ | 1.00x ✓ |  |");
    expect(md).toContain("| page-cache random reads QD 32, batch API vs the runtime's readSync | ≥ 2x | 1.92x ✗ | 1.00x ✗ | Bun 2.00x, Deno 1.00x |");
    expect(md).toContain("| QD 1 O_DIRECT, promise API: p50 minus C's | ≤ 1 µs | +3.00 µs ✗ | +0.00 µs ✓ |  |");
    const table = toTable(header, all, []);
    expect(table).toMatch(/targets\n/);
    expect(table).toMatch(/│ batch API, NOP batch 32 \(vs C\) +│ ≥ 0\.95x │ 0\.96x ✓ +│ 1\.00x ✓ +│/);
    expect(toMarkdown(header, some.filter((r) => r.runner.impl === "c"), [])).not.toContain("## Targets");
  });
});
