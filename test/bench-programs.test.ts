// The bench's program cases (issue 16: fresh-buffer reads, startup, a hash
// of many small files; bench/programs.ts and its parts): their command
// lines, what their output means, the rounds, the tables, the hash tree
// and its digest, the children, and one tiny end-to-end run of each under
// this runtime. No timing thresholds.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writePatternFile } from "../bench/pattern.mjs";
import { makeTree, treeName, treeNames } from "../bench/hash-tree.ts";
import { packageEntry } from "../bench/locate.ts";
import { type Plan, runPlans } from "../bench/orchestrate.ts";
import { programJson, programTables, programTargets, summarizePrograms } from "../bench/program-report.ts";
import { checkDigest } from "../bench/program-run.ts";
import { readPlan } from "../bench/program-reads.ts";
import {
  HASH_FILE_BYTES, PROGRAMS, programArgs, programCase, type ProgramCase, type ProgramEnv, programLabel, programRun, programRunners,
  type ProgramRun, READ_BYTES, startupArgs, startupRun,
} from "../bench/programs.ts";
import { toJson, toMarkdown, toTable } from "../bench/report.ts";
import type { Header } from "../bench/types.ts";
import { runtime, runtimeCommand, tempDir } from "./support/uring.ts";
// For tsc's type check only (erased at run time; startup.ts is a script).
import type {} from "../bench/program-hash.ts";
import type {} from "../bench/startup.ts";

const cli = fileURLToPath(new URL("../bench/cli.ts", import.meta.url));
const child = fileURLToPath(new URL("../bench/program-child.ts", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const env: ProgramEnv = {
  programs: { refBench: "/rb", shim: "/shim.ts", program: "/program-child.ts", startup: "/startup.ts", bun: "/bun", deno: "/deno" },
  readFile: "/data",
  hashDir: "/tree",
  entry: { bun: { url: "file:///pkg/dist/runtime-bun/uringshim.js", what: "dist/runtime-bun/uringshim.js" }, deno: { missing: "no dist" } },
};
const [bunRing, bunFs, denoRing, denoFs] = programRunners(["c", "promise", "fs-async", "fio"], ["deno", "bun"]);

describe("bench programs: cases and command lines", () => {
  it("runners: uringshim's promise API and node:fs, Bun's then Deno's", () => {
    expect([bunRing, bunFs, denoRing, denoFs].map((r) => r.key)).toEqual(["bun-promise", "bun-fs-async", "deno-promise", "deno-fs-async"]);
    expect(programRunners(["c", "batch", "fio"], ["bun"])).toEqual([]);
    expect(PROGRAMS.map((p) => programLabel(programCase(p)))).toEqual([
      "fresh-buffer reads: 100,000 page-cache reads of 64–1023 B, 100 in flight",
      "startup: import → first completed op, 10 processes",
      "hash 20,000 files of 1–16 KiB, 64 in flight, open → statx → read → close",
    ]);
  });

  it("the children's command lines", () => {
    const reads = programCase("fresh-read", { reads: 1000, hashFiles: 1, spawns: 1 });
    expect(programArgs(bunRing, reads, env)).toEqual({
      cmd: "/bun", args: ["/program-child.ts", "--program", "fresh-read", "--impl", "promise", "--in-flight", "100", "--file", "/data", "--reads", "1000"],
    });
    expect(programArgs(denoFs, programCase("hash"), env)).toEqual({
      cmd: "/deno",
      args: ["run", "-A", "/program-child.ts", "--program", "hash", "--impl", "fs-async", "--in-flight", "64", "--dir", "/tree", "--files", "20000"],
    });
    expect(programArgs(bunRing, reads, { ...env, readFile: null })).toEqual({ unsupported: "no data file" });
    expect(programArgs(bunRing, reads, { ...env, programs: { ...env.programs, bun: { missing: "bun not found" } } })).toEqual({ unsupported: "bun not found" });
    expect(startupArgs(bunRing, env)).toEqual({
      empty: { cmd: "/bun", args: ["/startup.ts", "--impl", "empty"] },
      real: { cmd: "/bun", args: ["/startup.ts", "--impl", "promise", "--module", "file:///pkg/dist/runtime-bun/uringshim.js"] },
    });
    expect(startupArgs(bunFs, env).real).toEqual({ cmd: "/bun", args: ["/startup.ts", "--impl", "fs-async"] });
    // No module to import: uringshim's startup cannot run, node:fs's can.
    expect(startupArgs(denoRing, env).real).toEqual({ unsupported: "no dist" });
    expect(startupArgs(denoFs, env).real).toEqual({ cmd: "/deno", args: ["run", "-A", "/startup.ts", "--impl", "fs-async"] });
  });

  it("what `import \"uringshim\"` loads: the file the package's export names, or in a clone where it is older than a source, the sources, saying so", () => {
    const root = join(tmp.dir, "pkg");
    for (const d of ["dist/runtime-bun", "core", "runtime-bun"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "uringshim", exports: { ".": { bun: "./dist/runtime-bun/uringshim.js" } } }));
    // The bundle alone: the sources are compared with the file the export names, not with per-module output.
    for (const f of ["core/a.ts", "runtime-bun/mod.ts", "dist/runtime-bun/uringshim.js"]) writeFileSync(join(root, f), "");
    const old = new Date(Date.now() - 60_000);
    for (const f of ["core/a.ts", "runtime-bun/mod.ts"]) utimesSync(join(root, f), old, old);
    const dist = { url: pathToFileURL(join(root, "dist/runtime-bun/uringshim.js")).href, what: "dist/runtime-bun/uringshim.js" };
    expect(packageEntry(root, "bun", true)).toEqual(dist);
    expect(packageEntry(root, "bun", false)).toEqual(dist);
    expect(packageEntry(root, "deno", false)).toEqual({ missing: 'package.json has no "deno" export for "."' });
    utimesSync(join(root, "core/a.ts"), new Date(), new Date(Date.now() + 60_000));
    expect(packageEntry(root, "bun", true)).toEqual({
      url: pathToFileURL(join(root, "runtime-bun/mod.ts")).href,
      what: "runtime-bun/mod.ts, the TypeScript sources (dist/ is older than core/a.ts; npm run build to measure dist/)",
    });
    expect(packageEntry(root, "bun", false)).toEqual(dist); // an installed package has no sources to compare with
  });
});

describe("bench programs: what the children print", () => {
  it("fresh-read and hash: each shape's mean over its passes, their ratio, enters per op (none for node:fs)", () => {
    const line = {
      shapes: { reused: { ms: [100, 140], ops: 1000, enters: [10, 12] }, fresh: { ms: [300, 300], ops: 1000, enters: [10, 10] } },
      verified: true, mode: "m",
    };
    expect(programRun("fresh-read", line)).toEqual({
      metrics: { reusedMs: 120, freshMs: 300, ratio: 2.5, ops: 1000, reusedEntersPerOp: 0.011, freshEntersPerOp: 0.01 },
      digest: null, verified: true, mode: "m",
    });
    const fs = programRun("hash", {
      shapes: { prelisted: { ms: [50, 50], ops: 800, enters: null }, streamed: { ms: [60, 40], ops: 800, enters: null } }, digest: "ab",
    });
    expect(fs.metrics).toEqual({ prelistedMs: 50, streamedMs: 50, ratio: 1, ops: 800, prelistedEntersPerOp: null, streamedEntersPerOp: null });
    expect(fs.digest).toBe("ab");
    expect(() => programRun("hash", { shapes: { prelisted: { ms: [1], ops: 1 } } })).toThrow(/without the times of "streamed"/);
    expect(() => programRun("fresh-read", { shapes: { reused: { ms: [0], ops: 1 }, fresh: { ms: [1], ops: 1 } } })).toThrow(/"reused"/);
  });

  it("startup: the child's clocks and the parent's, the empty script beside", () => {
    const run = startupRun(
      { raw: { startEpochMs: 1020 }, spawnedAt: 1000, wallMs: 30 },
      { raw: { startEpochMs: 2025, importMs: 40, openMs: 8, firstOpMs: 1, totalMs: 49 }, spawnedAt: 2000, wallMs: 90 },
      "imported dist/runtime-bun/uringshim.js",
    );
    expect(run.metrics).toEqual({
      emptyStartMs: 20, emptyWallMs: 30, startMs: 25, importMs: 40, openMs: 8, firstOpMs: 1, totalMs: 49, wallMs: 90, extraWallMs: 60,
    });
    expect(run.mode).toBe("imported dist/runtime-bun/uringshim.js");
    expect(() => startupRun({ raw: {}, spawnedAt: 0, wallMs: 1 }, { raw: { startEpochMs: 1, importMs: 1, firstOpMs: 1, totalMs: 2 }, spawnedAt: 0, wallMs: 1 }, null))
      .toThrow(/startEpochMs/);
    expect(() => startupRun({ raw: { startEpochMs: 1 }, spawnedAt: 0, wallMs: 1 }, { raw: { startEpochMs: 1 }, spawnedAt: 0, wallMs: 1 }, null))
      .toThrow(/importMs/);
  });

  it("a digest other than the tree's fails the run", () => {
    const run: ProgramRun = { metrics: {}, digest: "bad", verified: null, mode: null };
    expect(checkDigest(run, "good")).toMatch(/wrong digest bad \(the tree's is good\)/);
    expect(checkDigest({ ...run, digest: null }, "good")).toMatch(/wrong digest null/);
    expect(checkDigest({ ...run, digest: "good" }, "good")).toBeNull();
  });
});

// ---- rounds and reports from fake children ------------------------------------------------------------

const header: Header = {
  command: "uringshim-bench --suite programs", kernel: "6.18.0", cpu: "Test CPU", cores: 2, runtimes: { bun: "1.4.5", deno: "2.9.6" },
  fio: "fio not asked for", disk: null, pinned: false, pinNote: "unpinned (--no-pin)", rounds: 2, durationMs: 300, warmupMs: 100,
  suite: "programs", ioCases: 0, programs: "three of them", file: null, date: "2026-01-01",
};

/** Two rounds of fresh-read and hash, three of startup: uringshim twice as fast as node:fs, round 1 at half speed for everyone. */
function fakePrograms(failDenoHash = false) {
  const sizes = { reads: 1000, hashFiles: 200, spawns: 3 };
  const cases: ProgramCase[] = PROGRAMS.map((p) => programCase(p, sizes));
  const runners = programRunners(["promise", "fs-async"], ["bun", "deno"]);
  const plans: Plan<ProgramCase>[] = cases.map((c) => ({ case: c, runners, skipped: [], ...(c.program === "startup" ? { rounds: c.count } : {}) }));
  const order: string[] = [];
  const { raws } = runPlans<ProgramCase, ProgramRun>(plans, 2, {
    run(r, c, round) {
      order.push(`${c.program}/${r.key}/${round}`);
      if (failDenoHash && c.program === "hash" && r.key === "deno-promise" && round === 0) return { error: "wrong digest" };
      const slow = (r.impl === "promise" ? 1 : 2) * (round === 1 ? 2 : 1);
      if (c.program === "startup") {
        return startupRun(
          { raw: { startEpochMs: 10 }, spawnedAt: 0, wallMs: 20 },
          { raw: { startEpochMs: 12, importMs: 10 * slow + round, openMs: 2, firstOpMs: 1, totalMs: 13 * slow + round }, spawnedAt: 0, wallMs: 50 },
          "m",
        );
      }
      const [a, b] = c.program === "fresh-read" ? ["reused", "fresh"] : ["prelisted", "streamed"];
      const run = programRun(c.program, {
        shapes: {
          [a]: { ms: [100 * slow, 100 * slow], ops: 4 * c.count, enters: r.impl === "promise" ? [40, 40] : null },
          [b]: { ms: [150 * slow, 150 * slow], ops: 4 * c.count, enters: r.impl === "promise" ? [80, 80] : null },
        },
        digest: c.program === "hash" ? "d1" : undefined,
        verified: c.program === "fresh-read" ? true : undefined,
      });
      return c.program === "hash" ? { ...run, verified: true } : run;
    },
  });
  return { results: summarizePrograms(raws, false), order };
}

describe("bench programs: rounds and reports", () => {
  it("each program's rounds run back to back, runners alternating; startup runs its own count of processes", () => {
    const { order } = fakePrograms();
    expect(order.filter((o) => o.startsWith("fresh-read"))).toEqual([
      "fresh-read/bun-promise/0", "fresh-read/bun-fs-async/0", "fresh-read/deno-promise/0", "fresh-read/deno-fs-async/0",
      "fresh-read/bun-promise/1", "fresh-read/bun-fs-async/1", "fresh-read/deno-promise/1", "fresh-read/deno-fs-async/1",
    ]);
    expect(order.filter((o) => o.startsWith("startup")).length).toBe(4 * 3);
    expect(order.filter((o) => o.startsWith("hash")).length).toBe(4 * 2);
    expect(order.indexOf("startup/bun-promise/0")).toBe(8);
  });

  it("medians over rounds, the shapes' ratio, and vs node:fs as the median of per-round time ratios", () => {
    const { results } = fakePrograms();
    const r = results.find((x) => x.case.program === "fresh-read" && x.runner.key === "bun-promise")!;
    expect(r.metrics).toMatchObject({ reusedMs: 150, freshMs: 225, ratio: 1.5, reusedEntersPerOp: 0.01, freshEntersPerOp: 0.02 });
    expect(r.vsFs).toEqual({ reusedMs: 2, freshMs: 2 });
    expect(r.verified).toBe(true);
    const fs = results.find((x) => x.case.program === "fresh-read" && x.runner.key === "bun-fs-async")!;
    expect(fs.vsFs).toEqual({});
    expect(fs.metrics.reusedEntersPerOp).toBeNull();
    const s = results.find((x) => x.case.program === "startup" && x.runner.key === "deno-promise")!;
    expect(s.rounds).toBe(3);
    expect(s.metrics).toMatchObject({ importMs: 12, totalMs: 15, extraWallMs: 30 }); // rounds 10, 21, 12 and 13, 27, 15
  });

  it("the targets: fresh ≤ 1.3x reused and startup ≤ 20 ms, per runtime", () => {
    const checks = programTargets(fakePrograms().results);
    expect(checks.map((c) => [c.target, c.wanted, c.bun, c.deno])).toEqual([
      ["fresh-buffer reads, promise API: fresh / reused time", "≤ 1.30x", { value: 1.5, met: false }, { value: 1.5, met: false }],
      ["startup, uringshim: import → first completed op", "≤ 20 ms", { value: 15, met: true }, { value: 15, met: true }],
    ]);
  });

  it("tables, Markdown and JSON hold every program result; a failed round is named", () => {
    const { results } = fakePrograms(true);
    const tables = programTables(results);
    expect(tables.map((t) => t.title)).toEqual(PROGRAMS.map((p) => programLabel(programCase(p, { reads: 1000, hashFiles: 200, spawns: 3 }))));
    const hash = tables[2];
    expect(hash.head).toEqual([
      "implementation", "pre-listed", "streamed", "streamed / pre-listed", "pre-listed vs node:fs", "streamed vs node:fs", "ops",
      "enters/op pre-listed", "enters/op streamed",
    ]);
    expect(hash.rows[0]).toEqual(["Bun uringshim ✓", "150 ms", "225 ms", "1.50x", "2.00x", "2.00x", "800", "0.050", "0.100"]);
    expect(hash.rows[1]).toEqual(["Bun node:fs ✓", "300 ms", "450 ms", "1.50x", "", "", "800", "-", "-"]);
    expect(hash.rows[2][0]).toBe("Deno uringshim ✓ (1/2)");
    for (const t of tables) for (const row of t.rows) expect(row.length).toBe(t.head.length);

    const table = toTable(header, [], [], results);
    expect(table.split("\n")[0]).toBe("uringshim-bench: programs · 2 round(s) · implementations alternate within each round");
    expect(table).toContain("programs: three of them");
    expect(table).toMatch(/failed runs:\n {2}hash .* \/ Deno uringshim: 1 of 2 round\(s\) failed: wrong digest/);
    expect(table).toContain("startup, uringshim: import → first completed op");

    const md = toMarkdown(header, [], [], [], results);
    const lines = md.split("\n");
    expect(lines).not.toContain("## Ratio to C (IOPS)");
    for (const t of tables) expect(lines).toContain(`## ${t.title}`);
    expect(lines).toContain("## Targets");
    expect(lines).toContain("## Failed runs");
    const json = JSON.parse(toJson(header, [], [], results));
    expect(json.programs.length).toBe(12);
    expect(json.programs[0]).toEqual(programJson(results[0]));
    expect(Object.keys(json.programs[0]).sort()).toEqual([
      "count", "digest", "error", "impl", "inFlight", "label", "metrics", "mode", "perRound", "pinned", "program", "rounds", "roundsOk",
      "runner", "runtime", "verified", "vsNodeFs",
    ]);
    expect(json.targets.length).toBe(2);
  });
});

// ---- the hash tree and the children ------------------------------------------------------------------

describe("bench programs: the hash tree and the read plan", () => {
  it("the tree is the same for the same seed; names sort by index; sizes 1–16 KiB", () => {
    const a = join(tmp.dir, "tree-a");
    const b = join(tmp.dir, "tree-b");
    mkdirSync(a);
    mkdirSync(b);
    const ta = makeTree(a, 120);
    expect(makeTree(b, 120)).toEqual(ta);
    expect(ta.digest).toMatch(/^[0-9a-f]{64}$/);
    const names = treeNames(a);
    expect(names.length).toBe(120);
    expect(names[0]).toBe(treeName(0, 120));
    expect(names[119]).toBe("00119.bin");
    const sizes = names.map((n) => readFileSync(join(a, n)).length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(HASH_FILE_BYTES.min);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(HASH_FILE_BYTES.max);
    expect(new Set(sizes).size).toBeGreaterThan(100);
    const c = join(tmp.dir, "tree-c");
    mkdirSync(c);
    expect(makeTree(c, 120, 99).digest).not.toBe(ta.digest);
  });

  it("the read plan: sizes 64–1023 B anywhere in the file, the same every time", () => {
    const p = readPlan(10_000, 1 << 20);
    expect(readPlan(10_000, 1 << 20)).toEqual(p);
    expect(Math.min(...p.sizes)).toBe(READ_BYTES.min);
    expect(Math.max(...p.sizes)).toBe(READ_BYTES.max);
    for (let i = 0; i < p.sizes.length; i++) expect(p.offsets[i] + READ_BYTES.max).toBeLessThanOrEqual(1 << 20);
    expect(Math.max(...p.offsets)).toBeGreaterThan((1 << 20) * 0.99);
    expect(() => readPlan(1, 100)).toThrow(/fewer than one read/);
  });
});

function runChild(args: string[]) {
  const [cmd, base] = runtimeCommand(child);
  return spawnSync(cmd, [...base, ...args], { encoding: "utf8", timeout: 120_000 });
}

describe(`bench/program-child.ts (${runtime})`, () => {
  it("hash: both implementations give the tree's digest; a changed file changes it", () => {
    const dir = join(tmp.dir, "tree-child");
    mkdirSync(dir);
    const { digest } = makeTree(dir, 150);
    for (const impl of ["promise", "fs-async"]) {
      const r = runChild(["--program", "hash", "--impl", impl, "--dir", dir, "--files", "150", "--in-flight", "16"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const line = JSON.parse(r.stdout);
      expect(line).toMatchObject({ program: "hash", impl, runtime, count: 150, inFlight: 16, digest });
      expect(line.shapes.prelisted.ms.length).toBe(2);
      expect(line.shapes.streamed.ops).toBe(4 * 150); // open, statx, read, close
      if (impl === "promise") expect(line.shapes.streamed.enters.every((e: number) => e > 0)).toBe(true);
      else expect(line.shapes.streamed.enters).toBeNull();
    }
    const first = join(dir, treeName(0, 150));
    const bytes = readFileSync(first);
    bytes[0] ^= 1;
    writeFileSync(first, bytes);
    const r = runChild(["--program", "hash", "--impl", "promise", "--dir", dir, "--files", "150", "--in-flight", "16"]);
    expect(JSON.parse(r.stdout).digest).not.toBe(digest);
  });

  it("fresh-read: every shape timed twice, reads checked against the file", () => {
    const file = join(tmp.dir, "reads.bin");
    writePatternFile(file, 1 << 20);
    for (const impl of ["promise", "fs-async"]) {
      const r = runChild(["--program", "fresh-read", "--impl", impl, "--file", file, "--reads", "500", "--in-flight", "20"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const line = JSON.parse(r.stdout);
      expect(line).toMatchObject({ program: "fresh-read", impl, runtime, count: 500, verified: true });
      for (const s of ["reused", "fresh"]) {
        expect(line.shapes[s].ms.length).toBe(2);
        expect(line.shapes[s].ops).toBe(500);
      }
    }
  });

  it("bad options: exit 2 and the reason", () => {
    for (const [args, why] of [
      [["--program", "startup", "--impl", "promise"], /--program takes fresh-read or hash/],
      [["--program", "hash", "--impl", "batch", "--in-flight", "4"], /--impl takes promise or fs-async/],
      [["--program", "hash", "--impl", "promise", "--in-flight", "0", "--dir", "/x", "--files", "1"], /--in-flight takes a positive integer/],
      [["--program", "fresh-read", "--impl", "promise", "--in-flight", "4", "--reads", "5"], /fresh-read needs --file/],
    ] as const) {
      const r = runChild([...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });
});

// ---- one tiny run of every program, end to end --------------------------------------------------------

describe(`bench/cli.ts --program … under ${runtime}`, () => {
  it("1,000 reads, 200 files, 2 startups: every row complete, every implementation's digest the tree's", () => {
    const [cmd, base] = runtimeCommand(cli);
    const r = spawnSync(cmd, [
      ...base, "--program", "fresh-read,startup,hash", "--reads", "1000", "--hash-files", "200", "--spawns", "2", "--rounds", "1",
      "--runtime", runtime, "--json", "--no-pin",
    ], { encoding: "utf8", timeout: 300_000 });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header).toMatchObject({ suite: "custom", ioCases: 0, rounds: 1 });
    expect(out.results).toEqual([]);
    const rows = out.programs as ReturnType<typeof programJson>[];
    expect(rows.map((x) => `${x.program} ${x.runner}`)).toEqual(
      PROGRAMS.flatMap((p) => [`${p} ${runtime}-promise`, `${p} ${runtime}-fs-async`]),
    );
    for (const x of rows) {
      expect(x.error).toBeNull();
      expect(x.roundsOk).toBe(x.program === "startup" ? 2 : 1);
      expect(x.rounds).toBe(x.roundsOk);
      for (const [k, v] of Object.entries(x.metrics)) {
        if (v !== null) expect(v, k).toBeGreaterThanOrEqual(k === "extraWallMs" ? -Infinity : 0);
      }
    }
    const ring = (p: string) => rows.find((x) => x.program === p && x.impl === "promise")!;
    const fs = (p: string) => rows.find((x) => x.program === p && x.impl === "fs-async")!;
    for (const p of ["fresh-read", "hash"]) {
      expect(ring(p).verified).toBe(true);
      expect(fs(p).verified).toBe(true);
      const [a, b] = p === "hash" ? ["prelisted", "streamed"] : ["reused", "fresh"];
      for (const x of [ring(p), fs(p)]) {
        expect(x.metrics[`${a}Ms`]).toBeGreaterThan(0);
        expect(x.metrics.ratio).toBeCloseTo(x.metrics[`${b}Ms`]! / x.metrics[`${a}Ms`]!, 9);
      }
      expect(ring(p).metrics[`${a}EntersPerOp`]).toBeGreaterThan(0);
      expect(fs(p).metrics[`${a}EntersPerOp`]).toBeNull();
      expect(Object.keys(ring(p).vsNodeFs).sort()).toEqual([`${a}Ms`, `${b}Ms`].sort());
    }
    expect(ring("hash").metrics.ops).toBe(800);
    // Digest agreement: both implementations hashed the tree a fresh writer of the same seed makes.
    const dir = join(tmp.dir, "tree-e2e");
    mkdirSync(dir);
    const { digest } = makeTree(dir, 200);
    expect(ring("hash").digest).toBe(digest);
    expect(fs("hash").digest).toBe(digest);
    for (const k of ["importMs", "firstOpMs", "totalMs", "startMs", "emptyStartMs", "wallMs", "emptyWallMs"]) {
      expect(ring("startup").metrics[k], k).toBeGreaterThan(0);
      expect(fs("startup").metrics[k], k).toBeGreaterThan(0);
    }
    expect(ring("startup").metrics.openMs).toBeGreaterThan(0);
    expect(fs("startup").metrics.openMs).toBeNull();
    // What the package's export names (the one-file bundle), or in a clone whose bundle is older than a source, the sources.
    const exported = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).exports["."];
    expect([`imported ${exported[runtime].slice(2)}`, `imported runtime-${runtime}/mod.ts`]).toContain(ring("startup").mode!.replace(/(; |, the TypeScript sources).*$/, ""));
    expect(out.targets.map((t: { target: string }) => t.target)).toEqual([
      "fresh-buffer reads, promise API: fresh / reused time",
      "startup, uringshim: import → first completed op",
    ]);
  });
});
