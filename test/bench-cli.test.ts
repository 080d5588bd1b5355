// The bench command (bench/cli.ts and its parts): option parsing, suites,
// the child protocol and fio's output, the result schema,
// the Markdown and SVG outputs from fake results, and one short real run.
// No timing thresholds.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writePatternFile } from "../bench/pattern.mjs";
import { childArgs, normalize, lastJsonLine, pinned, type RunEnv } from "../bench/children.ts";
import { fioArgs, parseFio } from "../bench/fio.ts";
import { parseOptions, UsageError } from "../bench/options.ts";
import { runPlans, type Plan, type RunOutcome } from "../bench/orchestrate.ts";
import { resultJson, toMarkdown, toTable, formatIops, formatNs } from "../bench/report.ts";
import { chartPoints, renderChart } from "../bench/chart.ts";
import { caseLabel, makeCase, notApplicable, runnersFor, suiteCases } from "../bench/suites.ts";
import { summarize } from "../bench/summarize.ts";
import type { Case, Header, Runner } from "../bench/types.ts";
import { versionOf } from "../bench/setup.ts";
import { runtime, runtimeCommand, tempDir } from "./support/uring.ts";

const cli = fileURLToPath(new URL("../bench/cli.ts", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function usageError(argv: string[]): string {
  try {
    parseOptions(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parseOptions(${JSON.stringify(argv)}) did not throw`);
}

describe("bench options", () => {
  it("defaults: the quick suite, both runtimes, every implementation, pinned", () => {
    const o = parseOptions([]);
    expect(o.suite).toBe("quick");
    expect(o.custom).toBe(false);
    expect(o.runtimes).toEqual(["bun", "deno"]);
    expect(o.impls).toEqual(["c", "batch", "promise", "fs-sync", "fs-async", "native-file", "fio"]);
    expect(o.pin).toBe(true);
    expect(o.output).toBe("table");
    expect(o.rounds).toBe(3);
    expect(o.durationMs).toBe(300);
    expect(o.cases).toEqual(suiteCases("quick"));
  });

  it("values: durations, sizes, lists (comma-separated or repeated), flags", () => {
    const o = parseOptions([
      "--workload", "randread,seqread", "--bs", "4k", "--bs", "128K", "--qd", "1,32", "--batch", "1",
      "--direct", "--fixed-buffers", "--registered-files", "--duration", "2s", "--warmup", "0", "--rounds", "7",
      "--runtime", "deno", "--impl", "fio,c", "--file", "/x", "--json", "--chart", "out.svg", "--no-pin",
    ]);
    expect(o.custom).toBe(true);
    expect(o.durationMs).toBe(2000);
    expect(o.warmupMs).toBe(0);
    expect(o.rounds).toBe(7);
    expect(o.runtimes).toEqual(["deno"]);
    expect(o.impls).toEqual(["c", "fio"]); // run order, not argument order
    expect(o.file).toBe("/x");
    expect(o.output).toBe("json");
    expect(o.chart).toBe("out.svg");
    expect(o.pin).toBe(false);
    expect(o.cases.length).toBe(2 * 2 * 2); // workloads × bs × qd
    for (const c of o.cases) {
      expect(c).toMatchObject({ direct: true, fixed: true, files: true, sqpoll: false, batch: 1 });
    }
    expect(o.cases.map((c) => `${c.workload} ${c.bs} ${c.qd}`)).toEqual([
      "randread 4096 1", "randread 4096 32", "randread 131072 1", "randread 131072 32",
      "seqread 4096 1", "seqread 4096 32", "seqread 131072 1", "seqread 131072 32",
    ]);
    expect(parseOptions(["--duration", "250ms"]).durationMs).toBe(250);
    expect(parseOptions(["--duration", "1.5s"]).durationMs).toBe(1500);
    expect(parseOptions(["--duration", "300"]).durationMs).toBe(300);
    expect(parseOptions(["--suite", "full"]).rounds).toBe(5);
    expect(parseOptions(["--markdown"]).output).toBe("markdown");
  });

  it("default batch: NOP 32, page cache min(QD, 32), O_DIRECT 1", () => {
    expect(parseOptions(["--workload", "nop"]).cases).toEqual([makeCase("nop", { batch: 32 })]);
    expect(parseOptions(["--workload", "randread", "--qd", "8,128"]).cases.map((c) => c.batch)).toEqual([8, 32]);
    expect(parseOptions(["--workload", "randread", "--direct"]).cases[0].batch).toBe(1);
    expect(parseOptions(["--qd", "4"]).cases[0].workload).toBe("randread"); // workload options alone: randread
    // nop ignores bs and qd: one case, not one per value
    expect(parseOptions(["--workload", "nop", "--qd", "1,2,3"]).cases.length).toBe(1);
  });

  it("errors name the option", () => {
    expect(usageError(["--bogus"])).toMatch(/--bogus/);
    expect(usageError(["--qd"])).toMatch(/--qd/);
    expect(usageError(["--suite", "slow"])).toMatch(/--suite .*"slow"/);
    expect(usageError(["--workload", "randread,fly"])).toMatch(/--workload .*"fly"/);
    expect(usageError(["--bs", "4q"])).toMatch(/--bs .*"4q"/);
    expect(usageError(["--qd", "0"])).toMatch(/--qd takes a positive integer, got "0"/);
    expect(usageError(["--batch", "-1"])).toMatch(/--batch/);
    expect(usageError(["--rounds", "x"])).toMatch(/--rounds .*"x"/);
    expect(usageError(["--duration", "soon"])).toMatch(/--duration .*"soon"/);
    expect(usageError(["--duration", "0"])).toMatch(/--duration/);
    expect(usageError(["--runtime", "node"])).toMatch(/--runtime .*"node"/);
    expect(usageError(["--impl", "c,rust"])).toMatch(/--impl .*"rust"/);
    expect(usageError(["--json", "--markdown"])).toMatch(/--json and --markdown/);
    expect(usageError(["--pin", "--no-pin"])).toMatch(/--pin and --no-pin/);
    expect(usageError(["--chart", "out.png"])).toMatch(/--chart .*\.svg/);
    expect(usageError(["--suite", "full", "--qd", "8"])).toMatch(/--suite .*--qd/);
    expect(usageError(["--workload", "nop", "--direct"])).toMatch(/--direct does not apply to --workload nop/);
    expect(usageError(["--qd", "4", "--batch", "8"])).toMatch(/--batch 8 is larger than --qd 4/);
    expect(usageError(["--workload", "randread", "--fsync-every", "8"])).toMatch(/--fsync-every/);
    expect(usageError(["--workload", "mixed", "--read-pct", "101"])).toMatch(/--read-pct/);
    expect(usageError(["--direct", "--bs", "1000"])).toMatch(/--bs 1000 with --direct/);
    expect(usageError(["--qd", "512"])).toMatch(/--qd and --batch go up to 256/);
    expect(usageError(["extra"])).toMatch(/extra/);
    expect(usageError(["--compat", "no-query,no-turbo"])).toMatch(/--compat: unknown entry "no-turbo"/);
    expect(usageError(["--compat", ","])).toMatch(/--compat takes/);
  });

  it("--compat: normalised, and passed to the ring implementations only", () => {
    expect(parseOptions([]).compat).toBeNull();
    const o = parseOptions(["--compat", " no-registered-ring , no-query"]);
    expect(o.compat).toBe("no-query,no-registered-ring");
    const c = makeCase("randread", { qd: 8 });
    const withCompat = { ...env, compat: o.compat };
    for (const key of ["bun-batch", "deno-promise"]) {
      const built = childArgs(runner(key), c, withCompat);
      expect("args" in built && built.args.join(" ")).toContain("--compat no-query,no-registered-ring");
    }
    for (const key of ["c", "bun-fs-sync"]) {
      const built = childArgs(runner(key), c, withCompat);
      expect("args" in built && built.args).not.toContain("--compat");
    }
  });
});

describe("bench options: the programs (issue 16)", () => {
  const names = (argv: string[]) => parseOptions(argv).programs.map((p) => p.program);

  it("--suite programs: the three programs at their default sizes and no throughput case; full has them too, quick none", () => {
    const o = parseOptions(["--suite", "programs"]);
    expect(o.cases).toEqual([]);
    expect(o.programs).toEqual([
      { program: "fresh-read", group: "fresh-read", count: 100_000, inFlight: 100 },
      { program: "startup", group: "startup", count: 10, inFlight: 1 },
      { program: "hash", group: "hash", count: 20_000, inFlight: 64 },
    ]);
    expect(o.rounds).toBe(3);
    expect(o.custom).toBe(false);
    const full = parseOptions(["--suite", "full"]);
    expect(full.cases).toEqual(suiteCases("full"));
    expect(full.programs.map((p) => p.program)).toEqual(["fresh-read", "startup", "hash"]);
    expect(parseOptions([]).programs).toEqual([]);
    expect(parseOptions(["--suite", "quick"]).programs).toEqual([]);
  });

  it("--program picks programs (in run order), alone or beside workload options; sizes apply to their program", () => {
    const o = parseOptions(["--program", "hash,startup", "--hash-files", "200", "--spawns", "3"]);
    expect(o.custom).toBe(true);
    expect(o.cases).toEqual([]);
    expect(o.programs.map((p) => [p.program, p.count])).toEqual([["startup", 3], ["hash", 200]]);
    expect(names(["--program", "fresh-read", "--program", "hash"])).toEqual(["fresh-read", "hash"]);
    const both = parseOptions(["--workload", "nop", "--program", "fresh-read", "--reads", "1000"]);
    expect(both.cases.map(caseLabel)).toEqual(["nop batch 32"]);
    expect(both.programs).toEqual([{ program: "fresh-read", group: "fresh-read", count: 1000, inFlight: 100 }]);
    // Workload options alone: no programs.
    expect(parseOptions(["--workload", "nop"]).programs).toEqual([]);
    expect(parseOptions(["--suite", "programs", "--reads", "5000"]).programs[0].count).toBe(5000);
  });

  it("errors name the option", () => {
    expect(usageError(["--program", "fresh-read,fly"])).toMatch(/--program takes fresh-read, startup, hash; got "fly"/);
    expect(usageError(["--suite", "programs", "--program", "hash"])).toMatch(/--suite .*--program/);
    expect(usageError(["--reads", "1000"])).toMatch(/--reads sizes the fresh-read program, which this run does not have/);
    expect(usageError(["--program", "hash", "--spawns", "2"])).toMatch(/--spawns sizes the startup program/);
    expect(usageError(["--program", "hash", "--hash-files", "0"])).toMatch(/--hash-files takes a positive integer, got "0"/);
    expect(usageError(["--suite", "programs", "--reads", "1e5"])).toMatch(/--reads takes a positive integer/);
    expect(usageError(["--suite", "everything"])).toMatch(/--suite takes quick, full, programs; got "everything"/);
  });
});

describe("bench suites", () => {
  it("quick: NOP batch 1/32/128, page-cache randread QD 32, O_DIRECT randread QD 32 plain, fixed and submitted each", () => {
    expect(suiteCases("quick").map(caseLabel)).toEqual([
      "nop batch 1",
      "nop batch 32",
      "nop batch 128",
      "randread 4K QD 32 page cache",
      "randread 4K QD 32 direct",
      "randread 4K QD 32 direct, fixed",
      "randread 4K QD 32 direct, submit each",
    ]);
  });

  it("full: every workload of the issue", () => {
    const labels = suiteCases("full").map(caseLabel);
    for (const b of [1, 8, 32, 128]) expect(labels).toContain(`nop batch ${b}`);
    for (const qd of [1, 8, 32, 128]) expect(labels).toContain(`randread 4K QD ${qd} page cache`);
    expect(labels).toContain("randread 4K QD 32 direct, submit each");
    expect(labels).toContain("randread 4K QD 32 direct, fixed+files, submit each");
    for (const qd of [1, 32]) {
      for (const v of ["direct", "direct, fixed", "direct, fixed+files"]) expect(labels).toContain(`randread 4K QD ${qd} ${v}`);
    }
    expect(labels).toContain("seqread 128K QD 32 direct");
    expect(labels).toContain("randwrite 4K QD 32 direct, fsync/32");
    expect(labels.filter((l) => l.includes("sqpoll")).length).toBeGreaterThanOrEqual(2);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it("which implementations apply", () => {
    const nop = makeCase("nop");
    const page = makeCase("randread");
    const direct = makeCase("randread", { direct: true });
    expect(notApplicable("c", nop)).toBeNull();
    expect(notApplicable("promise", direct)).toBeNull();
    expect(notApplicable("fio", nop)).toMatch(/NOP/);
    expect(notApplicable("fio", direct)).toBeNull();
    for (const fs of ["fs-sync", "fs-async", "native-file"] as const) {
      expect(notApplicable(fs, page)).toBeNull();
      expect(notApplicable(fs, nop)).not.toBeNull();
      expect(notApplicable(fs, direct)).toBeNull(); // the child refuses (exit 2) if it cannot
      expect(notApplicable(fs, makeCase("randread", { direct: true, fixed: true }))).toMatch(/registered buffers/);
      expect(notApplicable(fs, makeCase("randread", { sqpoll: true }))).not.toBeNull();
      expect(notApplicable(fs, makeCase("randread", { direct: true, submitEach: true }))).toMatch(/submission/);
    }
    const each = makeCase("randread", { direct: true, submitEach: true });
    expect(notApplicable("batch", each)).toBeNull();
    expect(notApplicable("c", each)).toBeNull();
    expect(notApplicable("fio", each)).toBeNull();
    expect(notApplicable("promise", each)).toMatch(/one macrotask started/);
    expect(makeCase("nop", { submitEach: true }).submitEach).toBe(false);
    expect(parseOptions(["--workload", "randread", "--direct", "--submit-each"]).cases[0]).toMatchObject({ direct: true, submitEach: true });
    expect(() => parseOptions(["--workload", "nop", "--submit-each"])).toThrow(/--submit-each does not apply to --workload nop/);
    expect(() => parseOptions(["--workload", "randread", "--submit-each", "--sqpoll"])).toThrow(/--submit-each and --sqpoll/);
    expect(runnersFor(["fio", "batch", "c"], ["bun", "deno"]).map((r) => r.key)).toEqual(["c", "bun-batch", "deno-batch", "fio"]);
  });
});

// ---- the child protocol ----------------------------------------------------------------

const env: RunEnv = {
  programs: { refBench: "/rb", shim: "/shim.ts", program: "/program-child.ts", startup: "/startup.ts", bun: "/bun", deno: "/deno" },
  readFile: "/data",
  writeFile: "/scratch",
  durationMs: 300,
  warmupMs: 50,
};
const runner = (key: string): Runner => runnersFor(["c", "batch", "promise", "fs-sync", "fio"], ["bun", "deno"]).find((r) => r.key === key)!;

describe("bench child protocol", () => {
  it("current command lines", () => {
    const c = makeCase("randread", { qd: 8, fixed: true });
    expect(childArgs(runner("c"), c, env)).toEqual({
      cmd: "/rb",
      args: ["--workload", "randread", "--batch", "8", "--bs", "4096", "--qd", "8", "--file", "/data", "--latency", "--fixed", "--duration-ms", "300", "--warmup-ms", "50"],
    });
    const d = childArgs(runner("deno-fs-sync"), makeCase("randwrite", { fsyncEvery: 16 }), env);
    expect(d).toMatchObject({ cmd: "/deno" });
    expect("args" in d && d.args.slice(0, 5)).toEqual(["run", "-A", "/shim.ts", "--impl", "fs-sync"]);
    expect("args" in d && d.args).toContain("/scratch"); // writes never go into the read file
    expect("args" in d && d.args.join(" ")).toContain("--fsync-every 16");
    expect(pinned({ cmd: "/rb", args: ["-x"] }, ["taskset", "-c", "1"])).toEqual({ cmd: "taskset", args: ["-c", "1", "/rb", "-x"] });
    expect(pinned({ cmd: "/rb", args: [] }, null)).toEqual({ cmd: "/rb", args: [] });
  });

  it("normalize: a current line", () => {
    const line = JSON.stringify({
      impl: "batch", runtime: "bun", workload: "randread", bs: 4096, qd: 32, batch: 32, direct: false, fixed: false, files: false, sqpoll: false,
      ops: 2000, seconds: 0.5, bytes: 2000 * 4096, cpuUserUs: 600, cpuSysUs: 400,
      latency: { p50Ns: 1000, p99Ns: 3000, p999Ns: 9000, samples: 2000 }, verified: true, mode: "no-mmap", extra: "tolerated",
    });
    const r = normalize(lastJsonLine(`warming up\n${line}\n`), 4096);
    expect(r).toEqual({
      ops: 2000, seconds: 0.5, bytes: 8192000, iops: 4000, mbps: 16.384, cpuPerOpUs: 0.5,
      latency: { p50Ns: 1000, p99Ns: 3000, p999Ns: 9000, samples: 2000 }, verified: true, mode: "no-mmap",
    });
  });

  it("normalize: a nop line, and fields left out", () => {
    const nop = normalize({ impl: "batch", runtime: "deno", workload: "nop", batch: 8, qd: 0, bs: 0, ops: 10, seconds: 1, bytes: 0, latency: null, verified: null }, 0);
    expect(nop).toEqual({ ops: 10, seconds: 1, bytes: 0, iops: 10, mbps: null, cpuPerOpUs: null, latency: null, verified: null, mode: null });
    // No bytes: ops × the case's block size. A latency object without a percentile is no latency.
    const r = normalize({ ops: 100, seconds: 0.5, cpuUserUs: 10, latency: { samples: 0 }, verified: "yes" }, 4096);
    expect(r).toMatchObject({ bytes: 409600, iops: 200, mbps: 0.8192, cpuPerOpUs: null, latency: null, verified: null });
  });

  it("normalize rejects lines without ops and seconds; lastJsonLine needs a JSON line", () => {
    expect(() => normalize({ impl: "c" }, 0)).toThrow(/without ops and seconds/);
    expect(() => normalize({ ops: 1, seconds: 0 }, 0)).toThrow(/without ops and seconds/);
    expect(() => lastJsonLine("no json here\n")).toThrow(/no JSON line/);
  });

  it("a program that is not installed (fio, say) has no version: the runner is skipped", () => {
    expect(versionOf("uringshim-no-such-program", ["--version"])).toBeNull();
    expect(versionOf("make", ["--version"])).toMatch(/Make/);
  });

  it("fio: command line and JSON", () => {
    const a = fioArgs(makeCase("randread", { direct: true, fixed: true, files: true }), "/data", 1 << 20, 500, 100);
    expect(a.cmd).toBe("fio");
    for (const x of ["--ioengine=io_uring", "--rw=randread", "--bs=4096", "--iodepth=32", "--direct=1", "--invalidate=0", "--fixedbufs", "--registerfiles", "--runtime=500ms", "--ramp_time=100ms", "--output-format=json"]) {
      expect(a.args).toContain(x);
    }
    expect(fioArgs(makeCase("randwrite", { fsyncEvery: 32 }), "/w", 1 << 20, 500, 0).args).toContain("--fsync=32");
    expect(fioArgs(makeCase("seqread"), "/d", 1 << 20, 500, 0).args).toContain("--rw=read");
    expect(() => fioArgs(makeCase("nop"), "/d", 1, 1, 0)).toThrow(/NOP/);
    const out = "fio: some warning\n" + JSON.stringify({
      jobs: [{
        error: 0, job_runtime: 2000, usr_cpu: 10, sys_cpu: 30,
        read: { total_ios: 4000, io_bytes: 4000 * 4096, lat_ns: { N: 4000, percentile: { "50.000000": 1500, "99.000000": 4000, "99.900000": 8000 } } },
        write: { total_ios: 0, io_bytes: 0, lat_ns: { N: 0 } },
      }],
    });
    const r = parseFio(out);
    expect(r.iops).toBe(2000);
    expect(r.mbps).toBeCloseTo(2000 * 4096 / 1e6, 9);
    expect(r.cpuPerOpUs).toBeCloseTo(0.4 * 2e6 / 4000, 9); // 40% of 2 s over 4000 ops
    expect(r.latency).toEqual({ p50Ns: 1500, p99Ns: 4000, p999Ns: 8000, samples: 4000 });
    expect(() => parseFio(JSON.stringify({ jobs: [{ error: 5 }] }))).toThrow(/fio job error 5/);
  });
});

// ---- results from fake children ------------------------------------------------------------

const header: Header = {
  command: "uringshim-bench --suite full --markdown",
  kernel: "6.18.0", cpu: "Test CPU", cores: 2, runtimes: { bun: "1.4.5", deno: "2.9.6" }, fio: "fio-3.33", disk: "ext4 on /dev/vda (virtio_blk)",
  pinned: true, pinNote: "pinned: every run under `taskset -c 1`", rounds: 3, durationMs: 100, warmupMs: 0, suite: "test", file: null, date: "2026-01-01",
};

/** Fake child output: C does 1000 × QD IOPS per round (drifting by round), batch 0.9x, fio 1.1x; deno-batch fails round 2. */
function fakeResults() {
  const cases: Case[] = [1, 8, 32, 128].map((qd) => makeCase("randread", { qd, group: "page cache" }));
  cases.unshift(makeCase("nop", { batch: 32, group: "nop" }));
  const runners = runnersFor(["c", "batch", "fio"], ["bun", "deno"]);
  const plans: Plan[] = cases.map((c) => ({
    case: c,
    runners: runners.filter((r) => notApplicable(r.impl, c) === null),
    skipped: runners.filter((r) => notApplicable(r.impl, c) !== null).map((r) => ({ runner: r, reason: notApplicable(r.impl, c)! })),
  }));
  const order: string[] = [];
  const factor: Record<string, number> = { c: 1, "bun-batch": 0.9, "deno-batch": 0.9, fio: 1.1 };
  const { raws } = runPlans(plans, 3, {
    run(r, c, round): RunOutcome {
      order.push(`${caseLabel(c)}/${r.key}/${round}`);
      if (r.key === "deno-batch" && round === 1) return { error: "exit 1: boom" };
      const line = {
        ops: (1000 * Math.max(c.qd, 1) * factor[r.key] * (round === 2 ? 0.5 : 1)) | 0, seconds: 1, bytes: undefined, cpuUserUs: 100, cpuSysUs: 100,
        latency: c.workload === "nop" ? null : { p50Ns: 1000 + round, p99Ns: 2000 + round, p999Ns: 3000 + round, samples: 100 },
        verified: r.key === "fio" ? null : true, mode: r.runtime === "bun" || r.runtime === "deno" ? "no-mmap" : null,
      };
      return normalize(lastJsonLine(JSON.stringify(line)), c.bs);
    },
  });
  return { results: summarize(raws, () => true), order, skipped: plans.flatMap((p) => p.skipped.map((s) => ({ label: caseLabel(p.case), runner: s.runner.key, reason: s.reason }))) };
}

describe("bench results", () => {
  it("runners alternate within each round, case by case, group by group", () => {
    const { order } = fakeResults();
    expect(order.slice(0, 6)).toEqual([
      "nop batch 32/c/0", "nop batch 32/bun-batch/0", "nop batch 32/deno-batch/0",
      "nop batch 32/c/1", "nop batch 32/bun-batch/1", "nop batch 32/deno-batch/1",
    ]);
    // page cache: round 0 of every QD before round 1 of any
    const pc = order.filter((o) => o.startsWith("randread"));
    expect(pc.slice(0, 16).every((o) => o.endsWith("/0"))).toBe(true);
    expect(pc[16]).toBe("randread 4K QD 1 page cache/c/1");
  });

  it("a runner the child refuses (exit 2) is dropped from the case for the remaining rounds", () => {
    const c = makeCase("randread", { direct: true });
    const runners = runnersFor(["c", "fs-sync"], ["bun"]);
    const calls: string[] = [];
    const { raws, refused } = runPlans([{ case: c, runners, skipped: [] }], 3, {
      run(r, _c, round): RunOutcome {
        calls.push(`${r.key}/${round}`);
        if (r.impl === "fs-sync") return { refused: "fs-sync cannot run --direct" };
        return normalize({ ops: 10, seconds: 1 }, 4096);
      },
    });
    expect(calls).toEqual(["c/0", "bun-fs-sync/0", "c/1", "c/2"]);
    expect(raws.map((r) => r.runner.key)).toEqual(["c"]);
    expect(refused).toEqual([{ case: c, runner: runners[1], reason: "fs-sync cannot run --direct" }]);
  });

  it("the JSON of a result: every field, medians, median of per-round ratios", () => {
    const { results } = fakeResults();
    const r = results.find((x) => x.label === "randread 4K QD 32 page cache" && x.runner.key === "bun-batch")!;
    const j = resultJson(r, results);
    expect(Object.keys(j).sort()).toEqual([
      "cpuPerOpUs", "error", "impl", "iops", "label", "latency", "mbps", "mode", "options", "perRound", "pinned", "ratioToC",
      "rounds", "roundsOk", "runner", "runtime", "verified", "workload",
    ]);
    expect(j).toMatchObject({
      workload: "randread", impl: "batch", runtime: "bun", runner: "bun-batch",
      options: { bs: 4096, qd: 32, batch: 32, direct: false, fixedBuffers: false, registeredFiles: false, sqpoll: false, fsyncEvery: 0, readPct: 0 },
      iops: 28800, // rounds 28800, 28800, 14400
      latency: { p50Ns: 1001, p99Ns: 2001, p999Ns: 3001 },
      cpuPerOpUs: 200 / 28800,
      rounds: 3, roundsOk: 3, pinned: true, verified: true, mode: "no-mmap", error: null,
    });
    expect(j.mbps).toBeCloseTo(28800 * 4096 / 1e6, 9);
    expect(j.ratioToC).toBeCloseTo(0.9, 9);
    expect(j.perRound.length).toBe(3);
    for (const p of j.perRound) expect(p!.ratioToC).toBeCloseTo(0.9, 9);
    expect(Object.keys(j.perRound[0]!).sort()).toEqual([
      "cpuPerOpUs", "iops", "latencySamples", "mbps", "ops", "p50Ns", "p999Ns", "p99Ns", "ratioToC", "seconds", "verified",
    ]);
    // A failed round: null in perRound, left out of the medians, named in error.
    const d = resultJson(results.find((x) => x.label === "randread 4K QD 32 page cache" && x.runner.key === "deno-batch")!, results);
    expect(d.roundsOk).toBe(2);
    expect(d.perRound[1]).toBeNull();
    expect(d.ratioToC).toBeCloseTo(0.9, 9);
    expect(d.error).toMatch(/1 of 3 round\(s\) failed: exit 1: boom/);
    const c = resultJson(results.find((x) => x.label === "nop batch 32" && x.runner.key === "c")!, results);
    expect(c).toMatchObject({ ratioToC: 1, latency: null, mbps: null });
  });

  it("the table and the Markdown hold every result under a header naming the machine", () => {
    const { results, skipped } = fakeResults();
    const table = toTable(header, results, skipped);
    expect(table).toContain("pinned: every run under `taskset -c 1`");
    expect(table).toContain("kernel 6.18.0");
    const tableLines = table.split("\n");
    const at = tableLines.findIndex((l) => l.includes("randread 4K QD 32 page cache"));
    expect(tableLines[at]).toMatch(/│ C ✓ +│ +32\.0K │/);
    expect(tableLines[at + 1]).toMatch(/│ Bun batch ✓ +│ +28\.8K │ .* 0\.90x │/);
    expect(table).toContain("fio has no NOP workload");
    expect(table).toMatch(/failed runs:\n.*Deno batch: 1 of 3 round/);

    const md = toMarkdown(header, results, skipped, ["A note."]);
    const lines = md.split("\n");
    expect(lines[0]).toBe("# uringshim benchmark results");
    expect(md).toContain("Generated by `uringshim-bench --suite full --markdown` on 2026-01-01.");
    for (const h of ["## Machine", "## Method", "## Ratio to C (IOPS)", "## nop", "## page cache", "## Not run", "## Failed runs"]) {
      expect(lines).toContain(h);
    }
    expect(md).toContain("| CPU | Test CPU, 2 CPUs |");
    expect(md).toContain("| kernel | 6.18.0 |");
    expect(md).toContain("A note.");
    // Ratio matrix: one row per case, a column per non-C runner.
    expect(md).toContain("| case | C IOPS | Bun batch | Deno batch | fio |");
    expect(md).toMatch(/\| randread 4K QD 32 page cache \| 32\.0K \| 0\.90x \| 0\.90x \| 1\.10x \|/);
    // Every table row has as many cells as its header.
    const tableRows = lines.filter((l) => l.startsWith("|"));
    expect(tableRows.length).toBeGreaterThan(results.length);
    const pc = lines.slice(lines.indexOf("## page cache") + 2).filter((l) => l.startsWith("|"));
    expect(pc.length).toBe(2 + 4 * 4); // header, rule, 4 QDs × 4 runners
    for (const l of pc) expect(l.split(" | ").length).toBe(10);
  });

  it("the chart: an SVG with a line per implementation over the queue depths", async () => {
    const { results } = fakeResults();
    const points = chartPoints(results);
    expect(points.length).toBe(4 * 4);
    expect([...new Set(points.map((p) => p.qd))]).toEqual([1, 8, 32, 128]);
    const svg = await renderChart(results, header);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const text of ["queue depth", "IOPS", "implementation", "C", "batch", "fio", "runtime", "Bun", "Deno", "native", "Test CPU"]) {
      expect(svg).toContain(`>${text}`);
    }
    // Deno batch at QD 8: rounds 7200, failed, 3600: the median of the two
    expect(points.find((p) => p.impl === "Deno batch" && p.qd === 8)).toEqual({ qd: 8, iops: 5400, impl: "Deno batch", kind: "batch", runtime: "Deno" });
    expect((svg.match(/class="mark-line role-mark/g) ?? []).length).toBe(4); // one line per implementation
    await expect(renderChart(results.filter((r) => r.case.workload === "nop"), header)).rejects.toThrow(/no 4 KiB page-cache randread/);
  });

  it("formats numbers like fio", () => {
    expect(formatIops(1_234_567)).toBe("1.23M");
    expect(formatIops(123_456)).toBe("123K");
    expect(formatIops(12_345)).toBe("12.3K");
    expect(formatIops(null)).toBe("-");
    expect(formatNs(850)).toBe("850 ns");
    expect(formatNs(1500)).toBe("1.50 µs");
    expect(formatNs(61_000)).toBe("61.0 µs");
    expect(formatNs(410_000)).toBe("410 µs");
    expect(formatNs(3_500_000)).toBe("3.50 ms");
  });
});

// ---- one real run --------------------------------------------------------------------------------

describe(`bench/cli.ts under ${runtime}`, () => {
  it("a short run prints complete, sane JSON", () => {
    const file = join(tmp.dir, "data.bin");
    writePatternFile(file, 4 << 20);
    const [cmd, base] = runtimeCommand(cli);
    const r = spawnSync(cmd, [
      ...base, "--workload", "randread", "--qd", "32", "--rounds", "1", "--duration", "50ms", "--warmup", "0",
      "--runtime", runtime, "--impl", "c,batch,promise", "--file", file, "--json", "--no-pin",
    ], { encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header).toMatchObject({ pinned: false, rounds: 1, durationMs: 50, suite: "custom", file });
    expect(out.header.runtimes[runtime]).toMatch(/^\d+\.\d+/);
    const keys = out.results.map((x: { runner: string }) => x.runner);
    expect(keys).toEqual(["c", `${runtime}-batch`, `${runtime}-promise`]);
    for (const x of out.results) {
      expect(x.roundsOk).toBe(1);
      expect(x.iops).toBeGreaterThan(0);
      expect(x.mbps).toBeGreaterThan(0);
      expect(x.perRound[0].ops).toBeGreaterThan(0);
      expect(x.ratioToC).toBeGreaterThan(0);
      expect(x.options).toMatchObject({ bs: 4096, qd: 32, batch: 32, direct: false });
      const { p50Ns, p99Ns, p999Ns } = x.latency;
      expect(p50Ns).toBeGreaterThan(0);
      expect(p99Ns).toBeGreaterThanOrEqual(p50Ns);
      expect(p999Ns).toBeGreaterThanOrEqual(p99Ns);
      expect(x.cpuPerOpUs).toBeGreaterThan(0);
      expect(x.verified).toBe(true); // the file holds the pattern: every child checked its reads
    }
    // The one target this case measures, for this runtime alone.
    expect(out.targets.map((t: { target: string }) => t.target)).toEqual(["promise API, 4K page-cache random reads QD 32 (vs C)"]);
    const [t] = out.targets;
    expect(t[runtime].value).toBeCloseTo(out.results[2].ratioToC, 9);
    expect(t[runtime].met).toBe(t[runtime].value >= 0.9);
    expect(t[runtime === "bun" ? "deno" : "bun"]).toBeUndefined();
  });
});
