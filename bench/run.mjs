#!/usr/bin/env node
// bench/run.mjs: the throughput benchmark (`npm run bench`). Runs the C
// reference (native/build/ref-bench) and the JS implementations
// (bench/shim.ts under Bun and Deno, batch and promise APIs) round-robin:
// for each group of workloads and each round, every workload of the group
// and every implementation once, in order, each in its own child process.
// Reports medians over rounds and the median of the per-round ratios to C
// (both ran in the same round, so the machine's slow drift cancels out).
//
//   node bench/run.mjs [--rounds N] [--duration-ms N] [--pin] [--runtime bun|deno|both]
//                      [--workload nop,randread,direct,seq] [--json] [--file PATH]
//                      [--direct] [--latency]
//
// Defaults: workloads nop and randread, 3 rounds × 800 ms per run;
// 5 workloads × 5 implementations × 3 rounds = 75 runs, about 80 s in all
// (each JS run also spends 200 ms warming up and ~0.1–0.2 s starting).
// --pin runs every child under `taskset -c 1`.
//
// Registered buffers and files are opt-in (each group would push the
// default run past two minutes):
//  - direct: O_DIRECT 4 KiB random reads at QD 1 and QD 32 (waiting for at
//    least one completion per io_uring_enter, like fio's default), each with
//    plain buffers (READ), fixed buffers (READ_FIXED from one registered
//    buffer) and fixed buffers + a registered file (IOSQE_FIXED_FILE): the C
//    reference, the batch API under Bun and Deno, and fio when it is
//    installed. About 80 s.
//  - seq: O_DIRECT 128 KiB sequential reads at QD 32, plain and fixed
//    buffers, each from a pool of 4 KiB pages and from a huge-page pool
//    (C: madvise MADV_HUGEPAGE on a 2 MiB-aligned area). About 40 s.
// Their rows add p50/p99 submit-to-completion latency, CPU µs per I/O (user
// + sys of the process over the timed loop) and a check of the data read
// against the bench file's pattern (bench/pattern.mjs). The variants of a
// group run back to back within each round, so "what registration bought"
// (plain vs fixed, 4K vs huge pages) is a per-round ratio too.
// --latency adds latency and CPU per op to the page-cache randread rows of
// C and the batch API (the shim then runs its instrumented loop).
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { holdsPattern, writePatternFile } from "./pattern.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const refBench = path.join(root, "native/build/ref-bench");
const shim = path.join(root, "bench/shim.ts");
const bunBin = path.join(root, "node_modules/.bin/bun");
const denoBin = path.join(root, "node_modules/.bin/deno");

const FILE_SIZE = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const WARMUP_MS = 200;
const KINDS = ["nop", "randread", "direct", "seq"];

function usage(msg) {
  if (msg) console.error(`bench: ${msg}`);
  console.error(
    "usage: node bench/run.mjs [--rounds N] [--duration-ms N] [--pin] [--runtime bun|deno|both]\n" +
      "                          [--workload nop,randread,direct,seq] [--json] [--file PATH]\n" +
      "                          [--direct] [--latency]",
  );
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    strict: true,
    options: {
      rounds: { type: "string", default: "3" },
      "duration-ms": { type: "string", default: "800" },
      pin: { type: "boolean", default: false },
      runtime: { type: "string", default: "both" },
      workload: { type: "string" },
      json: { type: "boolean", default: false },
      file: { type: "string" },
      direct: { type: "boolean", default: false },
      latency: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (opts.help) usage();
const positive = (name) => {
  const v = opts[name];
  if (!/^\d+$/.test(v) || Number(v) === 0) usage(`--${name} must be a positive integer, got ${v}`);
  return Number(v);
};
const rounds = positive("rounds");
const durationMs = positive("duration-ms");
if (!["bun", "deno", "both"].includes(opts.runtime)) usage(`--runtime must be bun, deno or both, got ${opts.runtime}`);
const kinds = opts.workload === undefined ? ["nop", "randread"] : opts.workload.split(",");
for (const k of kinds) if (!KINDS.includes(k)) usage(`--workload takes a comma-separated list of ${KINDS.join(", ")}; got "${k}"`);
const log = opts.json ? (...a) => console.error(...a) : (...a) => console.log(...a);

// ---- build ---------------------------------------------------------------------

try {
  execFileSync("make", ["-s", "-C", path.join(root, "native")], { stdio: ["ignore", "inherit", "inherit"] });
} catch {
  console.error("bench: `make -C native` failed");
  process.exit(1);
}
if (!existsSync(refBench)) {
  console.error(`bench: ${refBench} missing after make`);
  process.exit(1);
}

// ---- pinning -------------------------------------------------------------------

let pinned = false;
if (opts.pin) {
  pinned = spawnSync("taskset", ["-c", "1", "true"]).status === 0;
  if (!pinned) console.error("bench: --pin: `taskset -c 1` is not available here; running unpinned");
}

// ---- implementations and workloads -----------------------------------------------

const runtimes = opts.runtime === "both" ? ["bun", "deno"] : [opts.runtime];
const C = { name: "c", kind: "c", cmd: refBench, pre: [] };
const js = {};
for (const api of ["batch", "promise"]) {
  for (const rt of runtimes) {
    const pre = rt === "bun" ? [shim, "--api", api] : ["run", "-A", shim, "--api", api];
    js[`${rt}-${api}`] = { name: `${rt}-${api}`, kind: "js", api, cmd: rt === "bun" ? bunBin : denoBin, pre };
  }
}
const batchImpls = runtimes.map((rt) => js[`${rt}-batch`]);
const promiseImpls = runtimes.map((rt) => js[`${rt}-promise`]);
// Order within a round: c, bun-batch, deno-batch, bun-promise, deno-promise (fio last).
const allImpls = [C, ...batchImpls, ...promiseImpls];

const hasFio = spawnSync("fio", ["--version"]).status === 0;
const FIO = { name: "fio", kind: "fio", cmd: "fio", pre: [] };

/**
 * A group's workloads run back to back within each round. Each workload:
 * label, kind, group, args (for ref-bench and the shim alike), impls,
 * variant (for the registration table), fio (fio's options, direct only).
 */
const workloads = [];
if (kinds.includes("nop")) {
  for (const batch of [1, 8, 32, 128]) {
    workloads.push({ label: `nop b${batch}`, kind: "nop", group: `nop b${batch}`, impls: allImpls, args: ["--workload", "nop", "--batch", `${batch}`] });
  }
}
if (kinds.includes("randread")) {
  workloads.push({
    label: `randread 4K qd32 b32${opts.direct ? " direct" : ""}`,
    kind: "randread",
    group: "randread",
    impls: allImpls,
    args: ["--workload", "randread", "--bs", "4096", "--qd", "32", "--batch", "32", ...(opts.direct ? ["--direct"] : [])],
  });
}
const VARIANTS = [
  { variant: "plain", args: [], fio: [] },
  { variant: "fixed", args: ["--fixed"], fio: ["--fixedbufs"] },
  { variant: "fixed+files", args: ["--fixed", "--files"], fio: ["--fixedbufs", "--registerfiles"] },
];
if (kinds.includes("direct")) {
  for (const qd of [1, 32]) {
    for (const v of VARIANTS) {
      workloads.push({
        label: `direct 4K qd${qd} ${v.variant}`,
        kind: "direct",
        group: "direct",
        qd,
        variant: v.variant,
        impls: [C, ...batchImpls, ...(hasFio ? [FIO] : [])],
        args: ["--workload", "randread", "--direct", "--bs", "4096", "--qd", `${qd}`, "--batch", "1", "--latency", ...v.args],
        fio: ["--rw=randread", "--bs=4k", `--iodepth=${qd}`, ...v.fio],
      });
    }
  }
}
if (kinds.includes("seq")) {
  for (const [pages, hugeArg] of [["4K pages", []], ["huge pages", ["--huge"]]]) {
    for (const [buffers, fixedArg] of [["plain", []], ["fixed", ["--fixed"]]]) {
      workloads.push({
        label: `seq 128K qd32 ${buffers} ${pages}`,
        kind: "seq",
        group: "seq",
        qd: 32,
        variant: `${buffers} ${pages}`,
        impls: [C, ...batchImpls],
        args: ["--workload", "seq", "--direct", "--bs", "131072", "--qd", "32", "--batch", "1", "--latency", ...fixedArg, ...hugeArg],
      });
    }
  }
}
/** The "what it bought" comparisons: [kind, variant, baseline], per QD of the kind. */
const COMPARISONS = [
  ["direct", "fixed", "plain"],
  ["direct", "fixed+files", "plain"],
  ["seq", "fixed 4K pages", "plain 4K pages"],
  ["seq", "fixed huge pages", "plain huge pages"],
  ["seq", "plain huge pages", "plain 4K pages"],
  ["seq", "fixed huge pages", "fixed 4K pages"],
];
const groups = [...new Set(workloads.map((w) => w.group))];
const needsFile = workloads.some((w) => w.kind !== "nop");

// ---- data file -------------------------------------------------------------------

let dataFile = opts.file;
let tmpDir;
function cleanup() {
  if (tmpDir) {
    rmSync(tmpDir, { recursive: true, force: true });
    tmpDir = undefined;
  }
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Whether reads are checked against the pattern (our own file, or a --file that holds it). */
let verify = false;
if (needsFile) {
  if (dataFile === undefined) {
    // On the temp dir's filesystem (ext4 here: O_DIRECT works), fsynced.
    tmpDir = mkdtempSync(path.join(os.tmpdir(), "uringshim-bench-"));
    dataFile = path.join(tmpDir, "data.bin");
    writePatternFile(dataFile, FILE_SIZE);
    verify = true;
  } else if (!existsSync(dataFile) || !statSync(dataFile).isFile()) {
    usage(`--file ${dataFile} is not a regular file`);
  } else if (statSync(dataFile).size < 4096) {
    usage(`--file ${dataFile} is smaller than 4 KiB`);
  } else {
    verify = holdsPattern(dataFile, statSync(dataFile).size);
  }
}

/** Reads the whole file sequentially so the page-cache rounds find it cached. */
function warmPageCache(file) {
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, "r");
  try {
    let off = 0;
    for (let n; (n = readSync(fd, buf, 0, CHUNK, off)) > 0; ) off += n;
  } finally {
    closeSync(fd);
  }
}

// ---- header ------------------------------------------------------------------------

function version(bin, args) {
  try {
    return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0].trim();
  } catch {
    return "unavailable";
  }
}
function thpSetting() {
  try {
    const s = readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8");
    return /\[(\w+)\]/.exec(s)?.[1] ?? "unknown";
  } catch {
    return "unavailable";
  }
}
const cpus = os.cpus();
const usesFio = workloads.some((w) => w.kind === "direct");
const header = {
  kernel: os.release(),
  cpu: `${cpus[0]?.model ?? "unknown"} (${cpus.length} CPUs)`,
  node: process.version,
  bun: runtimes.includes("bun") ? version(bunBin, ["--version"]) : "-",
  deno: runtimes.includes("deno") ? version(denoBin, ["--version"]).replace(/^deno /, "").split(" ")[0] : "-",
  fio: usesFio ? (hasFio ? version("fio", ["--version"]) : "not installed") : "-",
  thp: thpSetting(),
  pinned: pinned ? "pinned to CPU 1" : "unpinned",
  rounds,
  durationMs,
  workloads: kinds,
  verified: verify,
};
log(`kernel ${header.kernel} | ${header.cpu} | node ${header.node} | bun ${header.bun} | deno ${header.deno} | ${header.pinned}`);
log(`${rounds} round(s) × ${durationMs} ms per run (JS runs warm up ${WARMUP_MS} ms first); implementations alternate within each round`);
if (usesFio && !hasFio) log("fio: not installed (apt-get install fio)");
if (needsFile && !verify) log(`bench: ${dataFile} does not hold the bench pattern; reads are not verified`);

// ---- runs ----------------------------------------------------------------------------

const failures = [];
/** results[workload label][impl name] = array (per round) of parsed JSON or undefined */
const results = new Map();

/** fio's JSON (one job) in the shape ref-bench and the shim print. */
function fromFio(out, w) {
  const job = JSON.parse(out.slice(out.indexOf("{"))).jobs[0];
  if (job.error) throw new Error(`fio job error ${job.error}`);
  const r = job.read;
  const pct = r.lat_ns.percentile ?? {};
  const seconds = job.job_runtime / 1000;
  return {
    impl: "fio",
    workload: "randread",
    qd: w.qd,
    bs: 4096,
    ops: r.total_ios,
    seconds,
    opsPerSec: r.iops,
    // usr_cpu/sys_cpu: percent of the job's runtime.
    cpuUsPerOp: r.total_ios > 0 ? ((job.usr_cpu + job.sys_cpu) / 100) * seconds * 1e6 / r.total_ios : undefined,
    p50Us: pct["50.000000"] / 1000,
    p99Us: pct["99.000000"] / 1000,
    latencySamples: r.lat_ns.N,
  };
}

function runOne(impl, workload) {
  let cmd = impl.cmd;
  let args;
  if (impl.kind === "fio") {
    args = [
      "--name=uringshim", `--filename=${dataFile}`, "--ioengine=io_uring", "--direct=1", ...workload.fio,
      "--time_based", `--runtime=${durationMs}ms`, `--ramp_time=${WARMUP_MS}ms`, "--invalidate=0",
      "--lat_percentiles=1", "--output-format=json",
    ];
  } else {
    args = [...impl.pre, ...workload.args, "--duration-ms", `${durationMs}`];
    if (workload.kind !== "nop") args.push("--file", dataFile);
    // The instrumented loop (new workloads; randread with --latency) checks the data.
    const instrumented = workload.kind === "direct" || workload.kind === "seq" ||
      (opts.latency && workload.kind === "randread" && (impl.kind === "c" || impl.api === "batch"));
    if (opts.latency && workload.kind === "randread" && instrumented) args.push("--latency");
    if (verify && instrumented) args.push("--verify");
  }
  if (pinned) {
    args = ["-c", "1", cmd, ...args];
    cmd = "taskset";
  }
  try {
    const out = execFileSync(cmd, args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: durationMs + WARMUP_MS + 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return impl.kind === "fio" ? fromFio(out, workload) : JSON.parse(out.trim().split("\n").pop());
  } catch (e) {
    const stderr = e.stderr ? String(e.stderr).trim() : "";
    const what = e.signal
      ? `killed by ${e.signal}${e.code === "ETIMEDOUT" ? " (timeout)" : ""}`
      : e.status !== undefined && e.status !== null ? `exit ${e.status}` : e.message;
    failures.push({ impl: impl.name, workload: workload.label, command: [cmd, ...args].join(" "), what, stderr });
    return undefined;
  }
}

const t0 = Date.now();
for (const w of workloads) results.set(w.label, new Map(w.impls.map((i) => [i.name, []])));
for (const g of groups) {
  const members = workloads.filter((w) => w.group === g);
  for (let r = 0; r < rounds; r++) {
    for (const w of members) {
      if (w.kind === "randread" && !opts.direct) warmPageCache(dataFile);
      const perImpl = results.get(w.label);
      for (const impl of w.impls) perImpl.get(impl.name).push(runOne(impl, w));
    }
  }
  if (!opts.json) process.stdout.write(`  ${g}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

// ---- summary -------------------------------------------------------------------------

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** Median over rounds of field f of the runs (undefined entries are failed runs). */
const med = (runs, f) => median(runs.map((x) => (x ? x[f] : NaN)));
/** Median of the per-round ratios a[i].f / b[i].f. */
const ratioMed = (a, b, f) => median(a.map((x, i) => (x && b[i] ? x[f] / b[i][f] : NaN)));

/** How a run's buffers were backed (new workloads): the pool's huge-page kind and what smaps shows. */
function memoryOf(x) {
  if (!x) return undefined;
  const parts = [];
  if (x.hugePages !== undefined) parts.push(`pool ${x.hugePages}`);
  if (x.thpKb !== undefined && x.thpKb >= 0) parts.push(x.thpKb > 0 ? `THP ${x.thpKb} kB` : "4K pages");
  return parts.join(", ") || undefined;
}

const rows = [];
for (const w of workloads) {
  const perImpl = results.get(w.label);
  const c = perImpl.get("c");
  for (const impl of w.impls) {
    const runs = perImpl.get(impl.name);
    const ok = runs.filter(Boolean);
    const opsPerSec = med(runs, "opsPerSec");
    const bs = ok[0]?.bs ?? 0;
    rows.push({
      workload: w.label,
      kind: w.kind,
      variant: w.variant,
      impl: impl.name,
      runs: ok.length,
      opsPerSec,
      mbPerSec: w.kind !== "nop" && opsPerSec !== undefined ? (opsPerSec * bs) / 1e6 : undefined,
      p50Us: med(runs, "p50Us"),
      p99Us: med(runs, "p99Us"),
      cpuUsPerOp: med(runs, "cpuUsPerOp"),
      // Ratio to C: median of the per-round ratios (same round as the C run).
      ratioToC: impl.name === "c" ? (ok.length > 0 ? 1 : undefined) : ratioMed(runs, c, "opsPerSec"),
      cpuRatioToC: impl.name === "c" ? undefined : ratioMed(runs, c, "cpuUsPerOp"),
      mode: impl.name === "c" ? "mmap" : impl.name === "fio" ? undefined : [...new Set(ok.map((x) => x.mode))].join(",") || undefined,
      memory: [...new Set(ok.map(memoryOf).filter(Boolean))].join(" / ") || undefined,
      verified: ok.length > 0 && ok.every((x) => x.verified > 0) ? true : ok.some((x) => x.verified !== undefined) ? false : undefined,
      perRound: runs.map((x) => (x ? x.opsPerSec : null)),
      rounds: runs.map((x) => x ?? null),
    });
  }
}

// What registration (and huge pages) bought: per impl and QD, a variant
// against its baseline (COMPARISONS), as medians of per-round ratios (IOPS,
// CPU) and medians of CPU µs per I/O.
const gains = [];
for (const [kind, variant, baseline] of COMPARISONS) {
  for (const w of workloads.filter((x) => x.kind === kind && x.variant === variant)) {
    const b = workloads.find((x) => x.kind === kind && x.variant === baseline && x.qd === w.qd);
    for (const impl of w.impls) {
      const runs = results.get(w.label).get(impl.name);
      const baseRuns = results.get(b.label).get(impl.name);
      gains.push({
        kind,
        qd: w.qd,
        impl: impl.name,
        variant,
        baseline,
        iopsRatio: ratioMed(runs, baseRuns, "opsPerSec"),
        cpuUsPerOp: med(runs, "cpuUsPerOp"),
        baselineCpuUsPerOp: med(baseRuns, "cpuUsPerOp"),
        cpuRatio: ratioMed(runs, baseRuns, "cpuUsPerOp"),
      });
    }
  }
}

/** Prints table (header row first) with the columns in right right-aligned; drops columns empty in every row. */
function printTable(full, right) {
  const keep = full[0].map((_, i) => full.slice(1).some((row) => row[i] !== ""));
  const table = full.map((row) => row.filter((_, i) => keep[i]));
  right = new Set([...right].map((i) => keep.slice(0, i).filter(Boolean).length).filter((_, k) => keep[[...right][k]]));
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(" | ").trimEnd();
  console.log("");
  console.log(line(table[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  let last;
  for (const row of table.slice(1)) {
    if (last !== undefined && row[0] !== last) console.log("");
    last = row[0];
    console.log(line(row));
  }
}

if (opts.json) {
  console.log(JSON.stringify({ header, results: rows, registration: gains }, null, 2));
} else {
  const fmtOps = (v) => (v === undefined ? "FAILED" : v >= 999.5e3 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(v >= 1e5 ? 0 : 1)}K`);
  const fmt = (v, d) => (v === undefined ? "" : v.toFixed(d));
  const fmtX = (v) => (v === undefined ? "-" : `${v.toFixed(2)}x`);
  const table = [["workload", "impl", "ops/s (median)", "MB/s", "p50 µs", "p99 µs", "CPU µs/op", "ratio to C", "mode / memory", "per round"]];
  for (const r of rows) {
    table.push([
      r.workload,
      r.impl,
      fmtOps(r.opsPerSec),
      r.mbPerSec === undefined ? "" : r.mbPerSec.toFixed(0),
      fmt(r.p50Us, 1),
      fmt(r.p99Us, 1),
      fmt(r.cpuUsPerOp, 2),
      fmtX(r.ratioToC),
      [r.mode, r.memory].filter(Boolean).join(", ") || "-",
      r.perRound.map((v) => (v === null ? "fail" : fmtOps(v))).join(" ") + (r.verified === true ? " ✓" : r.verified === false ? " unverified" : ""),
    ]);
  }
  printTable(table, new Set([2, 3, 4, 5, 6, 7]));
  console.log("");
  console.log(
    "ops/s: median over rounds. MB/s = ops/s × block size / 1e6. p50/p99: submit-to-completion latency, and CPU µs/op: " +
      "user + sys CPU of the process per I/O, both medians over rounds (new workloads, or --latency). ratio to C: median of " +
      "per-round ratios (each run ÷ the C run of the same round). ✓: the data read was checked against the file's pattern. " +
      "mode: ring mode (c: ref-bench's own mmap'd ring); memory: pool huge-page kind and the THP smaps shows.",
  );
  if (gains.length > 0) {
    const t2 = [["what it bought", "impl", "IOPS vs baseline", "CPU µs/op", "CPU vs baseline"]];
    for (const g of gains) {
      t2.push([
        `${g.kind}${g.qd !== undefined ? ` qd${g.qd}` : ""}: ${g.variant} vs ${g.baseline}`,
        g.impl,
        fmtX(g.iopsRatio),
        `${fmt(g.baselineCpuUsPerOp, 2)} → ${fmt(g.cpuUsPerOp, 2)}`,
        fmtX(g.cpuRatio),
      ]);
    }
    printTable(t2, new Set([2, 4]));
    console.log("");
    console.log("IOPS and CPU vs baseline: medians of per-round ratios (the variants of a round ran back to back).");
  }
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (failures.length > 0) {
  console.error(`\nbench: ${failures.length} run(s) failed:`);
  for (const f of failures) {
    console.error(`--- ${f.workload} / ${f.impl}: ${f.what}\n    ${f.command}`);
    if (f.stderr) console.error(f.stderr.split("\n").map((l) => `    ${l}`).join("\n"));
  }
  process.exitCode = 1;
}
