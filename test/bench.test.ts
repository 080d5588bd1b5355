// The benchmark's children (native/build/ref-bench and bench/shim.ts under
// this runtime): each workload × implementation runs for a fraction of a
// second and prints one complete, sane JSON line; the C and JS sides draw
// the same request plan and use the same histogram and data pattern.
// Numbers are never asserted: bench/ compares them, side by side.
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HIST_BUCKETS, HIST_MAX_NS, Histogram, histIndex, histValue } from "../bench/histogram.ts";
import { checkPattern, fillPattern, holdsPattern, patternBytes, stampHeaders, writePatternFile } from "../bench/pattern.mjs";
import { runtime, runtimeCommand, skip, tempDir, uring } from "./support/uring.ts";

const shim = fileURLToPath(new URL("../bench/shim.ts", import.meta.url));
const refBench = fileURLToPath(new URL("../native/build/ref-bench", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const FILE_SIZE = 4 << 20;
const QD = 4;
const IO_WORKLOADS = ["randread", "seqread", "randwrite", "seqwrite", "mixed"] as const;
const JS_IMPLS = ["batch", "promise", "fs-sync", "fs-async", "native-file"] as const;
/** The fields every result line has (the parent reads them). */
const FIELDS = [
  "impl", "runtime", "workload", "bs", "qd", "batch", "direct", "fixed", "files", "sqpoll", "submitEach", "ops", "seconds", "bytes",
  "cpuUserUs", "cpuSysUs", "latency", "verified", "mode", "opsPerSec", "cpuUsPerOp",
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawn(cmd: string, args: string[], timeout = 60_000): Run {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runShimRaw(args: string[]): Run {
  const [cmd, base] = runtimeCommand(shim);
  return spawn(cmd, [...base, ...args]);
}

/** Runs a child that must succeed; returns its one JSON line, parsed. */
function ok(r: Run): Record<string, any> {
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines.length).toBe(1);
  return JSON.parse(lines[0]);
}

const runShim = (args: string[]) => ok(runShimRaw(args));
const runRef = (args: string[]) => ok(spawn(refBench, args));

let readFile: string;
let directOk = true;
let writeCount = 0;

/** A fresh pattern file for a run that writes (writes never go to a file another run reads). */
function writeFile(): string {
  const path = join(tmp.dir, `write-${writeCount++}.bin`);
  copyFileSync(readFile, path);
  return path;
}

beforeAll(() => {
  readFile = join(tmp.dir, "pattern.bin");
  writePatternFile(readFile, FILE_SIZE);
  try {
    closeSync(openSync(readFile, uring.O_RDONLY | uring.O_DIRECT));
  } catch {
    directOk = false; // e.g. a tmpfs /tmp
  }
});

interface Expect {
  workload: string;
  bs?: number;
  latency?: boolean;
  /** --fsync-every N given. */
  fsyncEvery?: number;
}

/** The checks every result line must pass: complete, consistent, ordered latencies, verified data. */
function checkResult(r: Record<string, any>, e: Expect): void {
  for (const f of FIELDS) expect(r, `field ${f}`).toHaveProperty(f);
  expect(r.workload).toBe(e.workload);
  expect(r.ops).toBeGreaterThan(0);
  expect(r.seconds).toBeGreaterThan(0);
  expect(r.opsPerSec).toBeGreaterThan(0);
  expect(r.cpuUserUs).toBeGreaterThanOrEqual(0);
  expect(r.cpuSysUs).toBeGreaterThanOrEqual(0);
  expect(r.cpuUsPerOp).toBeGreaterThanOrEqual(0);
  for (const f of ["direct", "fixed", "files", "sqpoll", "submitEach"]) expect(typeof r[f]).toBe("boolean");
  expect(typeof r.mode).toBe("string");
  if (e.workload === "nop") {
    expect(r.bs).toBe(0);
    expect(r.bytes).toBe(0);
    expect(r.latency).toBeNull();
    expect(r.verified).toBeNull();
    return;
  }
  const bs = e.bs ?? 4096;
  expect(r.bs).toBe(bs);
  expect(r.bytes).toBe(r.ops * bs);
  expect(r.reads + r.writes).toBe(r.ops);
  if (e.workload.endsWith("read")) expect(r.writes).toBe(0);
  if (e.workload.endsWith("write")) expect(r.reads).toBe(0);
  // Every kind of request was checked against the pattern (all files here hold it).
  expect(r.verified).toBe(true);
  expect(r.verifiedBuffers).toBeGreaterThan(0);
  if (e.latency) {
    const l = r.latency;
    // Every O_DIRECT request is sampled, every 8th page-cache one (ref-bench's LATENCY_SAMPLE_EVERY),
    // give or take the requests in flight when the timed loop starts and ends.
    if (r.direct) expect(l.samples).toBe(r.ops);
    else expect(Math.abs(l.samples - r.ops / 8)).toBeLessThanOrEqual((r.inFlight ?? 1) / 8 + 2);
    expect(l.samples).toBeGreaterThan(0);
    expect(l.p50Ns).toBeGreaterThan(0);
    expect(l.p50Ns).toBeLessThanOrEqual(l.p99Ns);
    expect(l.p99Ns).toBeLessThanOrEqual(l.p999Ns);
  } else {
    expect(r.latency).toBeNull();
  }
  if (e.fsyncEvery) {
    expect(r.fsyncEvery).toBe(e.fsyncEvery);
    expect(r.fsyncs).toBeLessThanOrEqual(r.writes);
    // After N + qd completed writes at least one fsync has completed (DRAIN holds the later writes).
    if (r.writes > 2 * (e.fsyncEvery + r.inFlight)) expect(r.fsyncs).toBeGreaterThan(0);
  } else {
    expect(r.fsyncs).toBe(0);
  }
}

function fileFor(workload: string): string {
  return workload.endsWith("read") ? readFile : writeFile();
}

const SHORT = ["--duration-ms", "80", "--warmup-ms", "20"];

// ---- the pieces both sides share --------------------------------------------------

describe("bench: latency histogram (bench/histogram.ts = ref_bench.c)", () => {
  it("buckets are within 1% of their values, and the C and JS buckets agree", () => {
    const values = [0, 1, 255, 256, 257, 383, 384, 511, 512, 1000, 4095, 65_537, 1e6, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12_345, 1e12, HIST_MAX_NS, 2 ** 41];
    let x = 12345;
    for (let i = 0; i < 200; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values.push(x % 100_000_000);
    }
    for (const v of values) {
      const idx = histIndex(v);
      expect(idx).toBeGreaterThanOrEqual(0);
      expect(idx).toBeLessThan(HIST_BUCKETS);
      const mid = histValue(idx);
      const clamped = Math.min(v, HIST_MAX_NS);
      expect(Math.abs(mid - clamped)).toBeLessThanOrEqual(Math.max(0, clamped * 0.01));
    }
    const c = spawn(refBench, ["--hist-index", ...values.map((v) => `${v}`)]);
    expect(c.status).toBe(0);
    expect(c.stdout.trim().split("\n")).toEqual(values.map((v) => `${histIndex(v)} ${histValue(histIndex(v))}`));
  });

  it("percentiles of a known distribution", () => {
    const h = new Histogram();
    expect(h.summary()).toBeNull();
    for (let v = 1; v <= 100_000; v++) h.record(v * 10); // 10 ns … 1 ms, uniform
    const s = h.summary()!;
    expect(s.samples).toBe(100_000);
    expect(Math.abs(s.p50Ns - 500_000) / 500_000).toBeLessThan(0.01);
    expect(Math.abs(s.p99Ns - 990_000) / 990_000).toBeLessThan(0.01);
    expect(Math.abs(s.p999Ns - 999_000) / 999_000).toBeLessThan(0.01);
    h.reset();
    h.record(5);
    expect(h.summary()).toEqual({ p50Ns: 5, p99Ns: 5, p999Ns: 5, samples: 1 });
    // A completion timed before its submission is a bug in the loop, not a 0 ns sample.
    expect(() => h.record(-1)).toThrow(RangeError);
    expect(() => h.record(NaN)).toThrow(RangeError);
    expect(h.samples).toBe(1);
  });
});

describe("bench: the data pattern (bench/pattern.mjs)", () => {
  it("a buffer of the pattern becomes another offset's by its sector headers alone", () => {
    const u32 = new Uint32Array(8192 / 4);
    fillPattern(u32, 0, 0, 8192);
    stampHeaders(u32, 0, 2 ** 33 + 8192 * 3, 8192);
    expect(new Uint8Array(u32.buffer)).toEqual(patternBytes(2 ** 33 + 8192 * 3, 8192));
    expect(checkPattern(new Uint8Array(u32.buffer), 2 ** 33 + 8192 * 3)).toBe(-1);
    expect(checkPattern(new Uint8Array(u32.buffer), 8192 * 3)).toBe(8192 * 3); // the wrong offset: its first header
    expect(checkPattern(new Uint8Array(8192), 0)).toBe(0);
    expect(holdsPattern(readFile, FILE_SIZE)).toBe(true);
  });
});

describe(`bench/shim.ts (${runtime}) and ref-bench: the same request plan`, () => {
  it("the offsets' uint32 halves are xorshift64 (against BigInt)", () => {
    const r = runShimRaw(["--selftest"]);
    expect(r.stdout.trim()).toBe(`selftest ok (${runtime})`);
  });

  it.for([
    ["randread"], ["seqread"], ["randwrite"], ["seqwrite"], ["mixed", "--read-pct", "30"],
  ])("--workload %s --print-plan: the same offsets and reads/writes", (args) => {
    const common = ["--workload", ...args, "--file", readFile, "--bs", "8192", "--print-plan", "3000"];
    const c = spawn(refBench, common);
    const js = runShimRaw(common);
    expect(c.status).toBe(0);
    expect(js.stderr).toBe("");
    expect(js.stdout).toBe(c.stdout);
    const lines = c.stdout.trim().split("\n");
    expect(lines.length).toBe(3000);
    if (args[0] === "mixed") {
      const reads = lines.filter((l) => l.startsWith("r ")).length;
      expect(reads / 3000).toBeGreaterThan(0.25);
      expect(reads / 3000).toBeLessThan(0.35);
    }
  });
});

// ---- smoke runs: every workload × implementation ---------------------------------

describe("ref-bench: every workload", () => {
  it.for(["nop", ...IO_WORKLOADS])("%s", (workload) => {
    const args = workload === "nop"
      ? ["--workload", "nop", "--batch", "8"]
      : ["--workload", workload, "--file", fileFor(workload), "--qd", `${QD}`, "--batch", "2", "--latency"];
    const r = runRef([...args, ...SHORT]);
    expect(r.impl).toBe("c");
    expect(r.runtime).toBe("c");
    checkResult(r, { workload, latency: workload !== "nop" });
  });
});

/** What this implementation refuses here (exit 2), or undefined. */
function refusal(impl: string, workload: string): RegExp | undefined {
  if (workload === "nop" && !["batch", "promise"].includes(impl)) return /has no nop/;
  if (impl === "native-file" && runtime === "bun" && (workload === "randwrite" || workload === "mixed")) return /no positional write/;
  return undefined;
}

describe(`bench/shim.ts (${runtime}): every workload × implementation`, () => {
  const cases = JS_IMPLS.flatMap((impl) => ["nop", ...IO_WORKLOADS].map((w) => [impl, w] as [string, string]));
  it.for(cases)("%s %s", ([impl, workload]) => {
    const args = workload === "nop"
      ? ["--impl", impl, "--workload", "nop", "--batch", "8"]
      : ["--impl", impl, "--workload", workload, "--file", fileFor(workload), "--qd", `${QD}`, "--batch", "2", "--latency"];
    const why = refusal(impl, workload);
    if (why) {
      const r = runShimRaw([...args, ...SHORT]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(why);
      return;
    }
    const r = runShim([...args, ...SHORT]);
    expect(r.impl).toBe(impl);
    expect(r.runtime).toBe(runtime);
    checkResult(r, { workload, latency: workload !== "nop" });
    expect(r.inFlight ?? QD).toBe(impl === "fs-sync" || (impl === "native-file" && runtime === "bun" && workload === "seqwrite") ? 1 : QD);
  });

  it("--compat: the ring goes without those features (all: kernel-mapped rings) and says so", () => {
    for (const impl of ["batch", "promise"]) {
      const r = runShim(["--impl", impl, "--workload", "randread", "--file", readFile, "--qd", "4", "--batch", "2", "--compat", "all", ...SHORT]);
      checkResult(r, { workload: "randread" });
      expect([r.compat, r.mode]).toEqual(["all", "mmap"]);
    }
  });

  it("--api is the old name of --impl, seq of seqread; latency is off unless asked", () => {
    const r = runShim(["--api", "promise", "--workload", "seq", "--file", readFile, "--qd", "2", "--batch", "1", ...SHORT]);
    expect(r.impl).toBe("promise");
    checkResult(r, { workload: "seqread" });
  });

  it("refuses what an implementation cannot do, with exit 2 and the reason", () => {
    for (
      const [args, why] of [
        [["--impl", "fs-sync", "--workload", "randread", "--fixed"], /are for the ring/],
        [["--impl", "native-file", "--workload", "randread", "--direct"], /no O_DIRECT/],
        [["--impl", "batch", "--workload", "randread", "--fsync-every", "4"], /for workloads that write/],
        [["--impl", "batch", "--workload", "randread", "--read-pct", "4"], /for --workload mixed/],
        [["--impl", "nope", "--workload", "randread"], /unknown impl/],
        [["--impl", "fs-sync", "--workload", "randread", "--compat", "no-query"], /--compat is for the ring/],
        [["--impl", "batch", "--workload", "randread", "--compat", "no-turbo"], /--compat: .*"no-turbo"/],
      ] as [string[], RegExp][]
    ) {
      const r = runShimRaw([...args, "--file", readFile, ...SHORT]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });
});

// ---- options: O_DIRECT, registered buffers and files, fsync, SQPOLL, huge pages ----

describe(`options of the ring implementations and ref-bench (${runtime})`, () => {
  const variants: [string, string[], boolean][] = [
    // label, args, needs O_DIRECT
    ["randread --direct --fixed", ["--workload", "randread", "--direct", "--fixed"], true],
    ["randread --direct --fixed --files", ["--workload", "randread", "--direct", "--fixed", "--files"], true],
    ["randread --files", ["--workload", "randread", "--files"], false],
    ["seqread 128 KiB --direct --huge", ["--workload", "seqread", "--bs", "131072", "--direct", "--huge"], true],
    ["randwrite --direct --fixed --fsync-every 4", ["--workload", "randwrite", "--direct", "--fixed", "--fsync-every", "4"], true],
    ["seqwrite --files --fsync-every 2", ["--workload", "seqwrite", "--files", "--fsync-every", "2"], false],
    ["mixed --read-pct 70 --direct --fixed --files --fsync-every 3", [
      "--workload", "mixed", "--read-pct", "70", "--direct", "--fixed", "--files", "--fsync-every", "3",
    ], true],
    ["randread --sqpoll", ["--workload", "randread", "--sqpoll"], false],
    ["randwrite --sqpoll --fixed --fsync-every 4", ["--workload", "randwrite", "--sqpoll", "--fixed", "--fsync-every", "4"], false],
  ];
  it.for(variants)("%s: C, batch and promise", ([, variant, direct], ctx) => {
    if (direct && !directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    const workload = variant[1];
    const bs = variant.includes("--bs") ? Number(variant[variant.indexOf("--bs") + 1]) : 4096;
    const fsync = variant.includes("--fsync-every") ? Number(variant[variant.indexOf("--fsync-every") + 1]) : undefined;
    const common = [...variant, "--qd", `${QD}`, "--batch", "1", "--latency", ...SHORT];
    const results = [
      runRef([...common, "--file", fileFor(workload)]),
      runShim([...common, "--impl", "batch", "--file", fileFor(workload)]),
      runShim([...common, "--impl", "promise", "--file", fileFor(workload)]),
    ];
    for (const r of results) {
      checkResult(r, { workload, bs, latency: true, fsyncEvery: fsync });
      expect(r.direct).toBe(variant.includes("--direct"));
      expect(r.fixed).toBe(variant.includes("--fixed"));
      expect(r.files).toBe(variant.includes("--files"));
      expect(r.sqpoll).toBe(variant.includes("--sqpoll"));
      expect(r.thpKb).toBeGreaterThanOrEqual(0);
      if (!variant.includes("--huge")) expect(r.thpKb).toBe(0);
    }
  });

  it("--submit-each: C and the batch API submit per request; the promise API says it cannot", (ctx) => {
    if (!directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    const common = ["--workload", "randread", "--direct", "--submit-each", "--qd", `${QD}`, "--batch", "1", "--latency", "--file", fileFor("randread"), ...SHORT];
    for (const r of [runRef(common), runShim([...common, "--impl", "batch"])]) {
      checkResult(r, { workload: "randread", latency: true });
      expect(r.submitEach).toBe(true);
    }
    const refused = runShimRaw([...common, "--impl", "promise"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--submit-each is for the batch API/);
  });

  it("--submit-each from the page cache ends on time (each submit completes reads that the same reap() would keep finding)", () => {
    const args = ["--workload", "randread", "--submit-each", "--qd", `${QD}`, "--batch", "1", "--latency", "--file", readFile, ...SHORT];
    const [cmd, base] = runtimeCommand(shim);
    for (const r of [ok(spawn(refBench, args, 10_000)), ok(spawn(cmd, [...base, ...args, "--impl", "batch"], 10_000))]) {
      checkResult(r, { workload: "randread", latency: true });
      expect(r.submitEach).toBe(true);
    }
  });

  it("fs-sync and fs-async with --direct (pool memory is aligned)", (ctx) => {
    if (!directOk) skip(ctx, `O_DIRECT is refused on ${tmp.dir}`);
    for (const impl of ["fs-sync", "fs-async"]) {
      for (const workload of ["randread", "randwrite"]) {
        const fsync = workload === "randwrite" ? ["--fsync-every", "2"] : [];
        const r = runShim(["--impl", impl, "--workload", workload, "--direct", ...fsync, "--file", fileFor(workload), "--qd", `${QD}`, "--batch", "1", ...SHORT]);
        checkResult(r, { workload, fsyncEvery: workload === "randwrite" ? 2 : undefined });
        expect(r.direct).toBe(true);
      }
    }
  });

  it("--verify fails on data that is not the pattern, in ref-bench and in the shim", () => {
    const zeros = join(tmp.dir, "zeros.bin");
    writeFileSync(zeros, new Uint8Array(1 << 20));
    const args = ["--workload", "randread", "--file", zeros, "--qd", "2", "--batch", "1", "--verify", "--duration-ms", "10", "--warmup-ms", "0"];
    const c = spawn(refBench, args);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/verify: buffer \d+ \(read from offset \d+\) does not hold the bench pattern/);
    for (const impl of ["batch", "fs-async"]) {
      const js = runShimRaw([...args, "--impl", impl]);
      expect(js.status).toBe(1);
      expect(js.stderr).toMatch(/verify: slot \d+ \(read from offset \d+\) does not hold the bench pattern/);
    }
    // Without --verify a file that is not the pattern is read unchecked: "verified": null.
    const plain = runShim(["--workload", "randread", "--file", zeros, "--qd", "2", "--batch", "1", ...SHORT]);
    expect(plain.verified).toBeNull();
    expect(runRef(["--workload", "randread", "--file", zeros, "--qd", "2", "--batch", "1", ...SHORT]).verified).toBeNull();
  });
});
