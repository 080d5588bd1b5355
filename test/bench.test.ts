// The benchmark's JS side runs under this runtime and agrees with the C
// reference on what it measures (numbers are never asserted: bench/ does
// that, side by side). Short runs only.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePatternFile } from "../bench/pattern.mjs";
import { runtime, runtimeCommand, skip, tempDir, uring } from "./support/uring.ts";

const shim = fileURLToPath(new URL("../bench/shim.ts", import.meta.url));
const runner = fileURLToPath(new URL("../bench/run.mjs", import.meta.url));
const refBench = fileURLToPath(new URL("../native/build/ref-bench", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function runShim(args: string[]) {
  const [cmd, base] = runtimeCommand(shim);
  const r = spawnSync(cmd, [...base, ...args], { encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

function runRef(args: string[]) {
  const r = spawnSync(refBench, args, { encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe(`bench/shim.ts (${runtime})`, () => {
  it("its random offsets are ref-bench's xorshift64 sequence", () => {
    expect(runShim(["--selftest"])).toBe(`selftest ok (${runtime})`);
  });

  it.each(["batch", "promise"])("%s API: nop and randread print one result line like ref-bench", (api) => {
    const file = join(tmp.dir, "data.bin");
    writeFileSync(file, new Uint8Array(1 << 20));
    for (const args of [
      ["--workload", "nop", "--batch", "8"],
      ["--workload", "randread", "--file", file, "--qd", "8", "--batch", "4"],
    ]) {
      const common = [...args, "--duration-ms", "50"];
      const js = JSON.parse(runShim([...common, "--api", api, "--warmup-ms", "0"]));
      const c = JSON.parse(spawnSync(refBench, common, { encoding: "utf8" }).stdout);
      expect(js.impl).toBe(`${runtime}-${api}`);
      for (const key of ["workload", "batch", "qd", "bs"]) expect(js[key]).toBe(c[key]);
      expect(js.ops).toBeGreaterThan(0);
      expect(js.opsPerSec).toBeGreaterThan(0);
    }
  });
});

// The direct and seq workloads: O_DIRECT reads of a file holding the bench
// pattern (bench/pattern.mjs), plain, into registered buffers, with a
// registered file, into a huge-page pool. --verify makes both sides check
// every buffer against the pattern at the offset last read into it.
describe(`registered buffers and files in the bench (${runtime})`, () => {
  const QD = 4;
  let file: string;
  let directOk = true;

  beforeAll(() => {
    file = join(tmp.dir, "pattern.bin");
    writePatternFile(file, 4 << 20);
    try {
      closeSync(openSync(file, uring.O_RDONLY | uring.O_DIRECT));
    } catch {
      directOk = false; // e.g. a tmpfs /tmp
    }
  });

  const variants: [string, string[]][] = [
    ["plain 4 KiB random reads", ["--workload", "randread"]],
    ["fixed buffers", ["--workload", "randread", "--fixed"]],
    ["fixed buffers + registered file", ["--workload", "randread", "--fixed", "--files"]],
    ["128 KiB sequential, plain, huge pages", ["--workload", "seq", "--bs", "131072", "--huge"]],
    ["128 KiB sequential, fixed, 4 KiB pages", ["--workload", "seq", "--bs", "131072", "--fixed"]],
    ["128 KiB sequential, fixed, huge pages", ["--workload", "seq", "--bs", "131072", "--fixed", "--huge"]],
  ];

  it.for(variants)("%s: ref-bench and the shim read verified data and report latency and CPU", ([, variant], ctx) => {
    if (!directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    const common = [...variant, "--file", file, "--direct", "--qd", `${QD}`, "--batch", "1", "--latency", "--verify", "--duration-ms", "50"];
    const c = JSON.parse(runRef(common));
    const js = JSON.parse(runShim([...common, "--warmup-ms", "0"]));
    expect(js.impl).toBe(`${runtime}-batch`);
    for (const key of ["workload", "batch", "qd", "bs", "direct", "fixed", "files", "huge"]) expect(js[key]).toBe(c[key]);
    expect(js.fixed).toBe(variant.includes("--fixed"));
    expect(js.files).toBe(variant.includes("--files"));
    for (const r of [c, js]) {
      expect(r.ops).toBeGreaterThan(0);
      expect(r.opsPerSec).toBeGreaterThan(0);
      expect(r.verified).toBe(QD); // every buffer matched the pattern
      expect(r.latencySamples).toBe(r.ops);
      expect(r.p50Us).toBeGreaterThan(0);
      expect(r.p99Us).toBeGreaterThanOrEqual(r.p50Us);
      expect(r.cpuUsPerOp).toBeGreaterThan(0);
      expect(r.thpKb).toBeGreaterThanOrEqual(0);
    }
    expect(["hugetlb", "transparent", "none"]).toContain(js.hugePages);
    if (!variant.includes("--huge")) expect(js.thpKb).toBe(0);
  });

  it("--verify fails on data that is not the pattern, in ref-bench and in the shim", (ctx) => {
    if (!directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    const zeros = join(tmp.dir, "zeros.bin");
    writeFileSync(zeros, new Uint8Array(1 << 20));
    const args = ["--workload", "randread", "--file", zeros, "--direct", "--qd", "2", "--batch", "1", "--fixed", "--verify", "--duration-ms", "10"];
    const c = spawnSync(refBench, args, { encoding: "utf8" });
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/verify: buffer \d+ \(read from offset \d+\) does not hold the bench pattern/);
    const [cmd, base] = runtimeCommand(shim);
    const js = spawnSync(cmd, [...base, ...args, "--warmup-ms", "0"], { encoding: "utf8", timeout: 30_000 });
    expect(js.status).toBe(1);
    expect(js.stderr).toMatch(/verify: slot \d+ \(read from offset \d+\) does not hold the bench pattern/);
  });

  it("run.mjs --workload direct,seq --json: every row ran, verified, with latency, CPU and ratios", (ctx) => {
    if (!directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    const r = spawnSync(
      "node",
      [runner, "--workload", "direct,seq", "--rounds", "1", "--duration-ms", "30", "--runtime", runtime, "--file", file, "--json"],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(r.stderr).not.toMatch(/run\(s\) failed/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header.verified).toBe(true);
    const hasFio = out.header.fio !== "not installed";
    if (!hasFio) expect(r.stderr).toContain("fio: not installed (apt-get install fio)");
    const labels = new Set(out.results.map((row: { workload: string }) => row.workload));
    expect(labels.size).toBe(10); // direct: 2 QDs × 3 variants; seq: plain/fixed × 4K/huge pages
    for (const row of out.results) {
      expect(row.runs).toBe(1);
      expect(row.opsPerSec).toBeGreaterThan(0);
      expect(row.mbPerSec).toBeGreaterThan(0);
      expect(row.p50Us).toBeGreaterThan(0);
      expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us);
      expect(row.cpuUsPerOp).toBeGreaterThan(0);
      expect(row.ratioToC).toBeGreaterThan(0);
      if (row.impl !== "fio") expect(row.verified).toBe(true);
    }
    const impls = new Set(out.results.map((row: { impl: string }) => row.impl));
    expect([...impls].sort()).toEqual(["c", `${runtime}-batch`, ...(hasFio ? ["fio"] : [])].sort());
    // direct: plain → fixed, plain → fixed+files per QD (fio too); seq: 4 comparisons (c and the shim).
    expect(out.registration.length).toBe(4 * impls.size + 4 * 2);
    for (const g of out.registration) expect(g.iopsRatio).toBeGreaterThan(0);
  });
});
