#!/usr/bin/env node
// bench/run.mjs: the throughput benchmark (`npm run bench`). Runs the C
// reference (native/build/ref-bench) and the JS implementations
// (bench/shim.ts under Bun and Deno, batch and promise APIs) round-robin:
// for each workload and each round, every implementation once, in order,
// each in its own child process. Reports medians over rounds and the
// median of the per-round ratios to C (both ran in the same round, so the
// machine's slow drift cancels out).
//
//   node bench/run.mjs [--rounds N] [--duration-ms N] [--pin] [--runtime bun|deno|both]
//                      [--workload nop|randread] [--json] [--file PATH] [--direct]
//
// Defaults: 3 rounds × 800 ms per run; 5 workloads × 5 implementations ×
// 3 rounds = 75 runs, about 80 s in all (each JS run also spends 200 ms
// warming up and ~0.1–0.2 s starting). --pin runs every child under
// `taskset -c 1`.
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync,
} from "node:fs";
import { randomFillSync } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const refBench = path.join(root, "native/build/ref-bench");
const shim = path.join(root, "bench/shim.ts");
const bunBin = path.join(root, "node_modules/.bin/bun");
const denoBin = path.join(root, "node_modules/.bin/deno");

const FILE_SIZE = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const WARMUP_MS = 200;

function usage(msg) {
  if (msg) console.error(`bench: ${msg}`);
  console.error(
    "usage: node bench/run.mjs [--rounds N] [--duration-ms N] [--pin] [--runtime bun|deno|both]\n" +
      "                          [--workload nop|randread] [--json] [--file PATH] [--direct]",
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
if (opts.workload !== undefined && !["nop", "randread"].includes(opts.workload)) {
  usage(`--workload must be nop or randread, got ${opts.workload}`);
}
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
const impls = [{ name: "c", cmd: refBench, pre: [] }];
for (const api of ["batch", "promise"]) {
  for (const rt of runtimes) {
    const pre = rt === "bun" ? [shim, "--api", api] : ["run", "-A", shim, "--api", api];
    impls.push({ name: `${rt}-${api}`, cmd: rt === "bun" ? bunBin : denoBin, pre });
  }
}
// Order within a round: c, bun-batch, deno-batch, bun-promise, deno-promise.

const workloads = [];
for (const batch of [1, 8, 32, 128]) workloads.push({ label: `nop b${batch}`, kind: "nop", args: ["--workload", "nop", "--batch", `${batch}`] });
workloads.push({
  label: `randread 4K qd32 b32${opts.direct ? " direct" : ""}`,
  kind: "randread",
  args: ["--workload", "randread", "--bs", "4096", "--qd", "32", "--batch", "32", ...(opts.direct ? ["--direct"] : [])],
});
const selected = workloads.filter((w) => opts.workload === undefined || w.kind === opts.workload);

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

if (selected.some((w) => w.kind === "randread")) {
  if (dataFile === undefined) {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), "uringshim-bench-"));
    dataFile = path.join(tmpDir, "data.bin");
    const block = randomFillSync(Buffer.alloc(CHUNK));
    const fd = openSync(dataFile, "w");
    try {
      for (let off = 0; off < FILE_SIZE; off += CHUNK) {
        // Vary each block a little so no two MiB are identical.
        block.writeUInt32LE(off / CHUNK, 0);
        writeSync(fd, block, 0, CHUNK, off);
      }
    } finally {
      closeSync(fd);
    }
  } else if (!existsSync(dataFile) || !statSync(dataFile).isFile()) {
    usage(`--file ${dataFile} is not a regular file`);
  } else if (statSync(dataFile).size < 4096) {
    usage(`--file ${dataFile} is smaller than 4 KiB`);
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
const cpus = os.cpus();
const header = {
  kernel: os.release(),
  cpu: `${cpus[0]?.model ?? "unknown"} (${cpus.length} CPUs)`,
  node: process.version,
  bun: runtimes.includes("bun") ? version(bunBin, ["--version"]) : "-",
  deno: runtimes.includes("deno") ? version(denoBin, ["--version"]).replace(/^deno /, "").split(" ")[0] : "-",
  pinned: pinned ? "pinned to CPU 1" : "unpinned",
  rounds,
  durationMs,
};
log(`kernel ${header.kernel} | ${header.cpu} | node ${header.node} | bun ${header.bun} | deno ${header.deno} | ${header.pinned}`);
log(`${rounds} round(s) × ${durationMs} ms per run (JS runs warm up ${WARMUP_MS} ms first); implementations alternate within each round`);

// ---- runs ----------------------------------------------------------------------------

const failures = [];
/** results[workload label][impl name] = array (per round) of parsed JSON or undefined */
const results = new Map();

function runOne(impl, workload) {
  const args = [...impl.pre, ...workload.args, "--duration-ms", `${durationMs}`];
  if (workload.kind === "randread") args.push("--file", dataFile);
  let file = impl.cmd;
  let argv = args;
  if (pinned) {
    file = "taskset";
    argv = ["-c", "1", impl.cmd, ...args];
  }
  try {
    const out = execFileSync(file, argv, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: durationMs + WARMUP_MS + 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = out.trim().split("\n").pop();
    return JSON.parse(line);
  } catch (e) {
    const stderr = e.stderr ? String(e.stderr).trim() : "";
    const what = e.signal ? `killed by ${e.signal}${e.code === "ETIMEDOUT" ? " (timeout)" : ""}` : e.status !== undefined && e.status !== null ? `exit ${e.status}` : e.message;
    failures.push({ impl: impl.name, workload: workload.label, command: [file, ...argv].join(" "), what, stderr });
    return undefined;
  }
}

const t0 = Date.now();
for (const w of selected) {
  const perImpl = new Map(impls.map((i) => [i.name, []]));
  results.set(w.label, perImpl);
  for (let r = 0; r < rounds; r++) {
    if (w.kind === "randread" && !opts.direct) warmPageCache(dataFile);
    for (const impl of impls) perImpl.get(impl.name).push(runOne(impl, w));
  }
  if (!opts.json) process.stdout.write(`  ${w.label}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

// ---- summary -------------------------------------------------------------------------

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const rows = [];
for (const w of selected) {
  const perImpl = results.get(w.label);
  const c = perImpl.get("c");
  for (const impl of impls) {
    const runs = perImpl.get(impl.name);
    const ok = runs.filter(Boolean);
    const opsPerSec = median(ok.map((x) => x.opsPerSec));
    // Ratio to C: median of the per-round ratios (same round as the C run).
    const ratio = impl.name === "c" ? (ok.length > 0 ? 1 : undefined) : median(runs.map((x, i) => (x && c[i] ? x.opsPerSec / c[i].opsPerSec : NaN)));
    const bs = ok[0]?.bs ?? 0;
    rows.push({
      workload: w.label,
      impl: impl.name,
      runs: ok.length,
      opsPerSec,
      mbPerSec: w.kind === "randread" && opsPerSec !== undefined ? (opsPerSec * bs) / 1e6 : undefined,
      ratioToC: ratio,
      mode: impl.name === "c" ? "mmap" : [...new Set(ok.map((x) => x.mode))].join(",") || undefined,
      perRound: runs.map((x) => (x ? x.opsPerSec : null)),
    });
  }
}

if (opts.json) {
  console.log(JSON.stringify({ header, results: rows }, null, 2));
} else {
  const fmtOps = (v) => (v === undefined ? "FAILED" : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(0)}K`);
  const table = [["workload", "impl", "ops/s (median)", "MB/s", "ratio to C", "mode", "per round"]];
  for (const r of rows) {
    table.push([
      r.workload,
      r.impl,
      fmtOps(r.opsPerSec),
      r.mbPerSec === undefined ? "" : r.mbPerSec.toFixed(0),
      r.ratioToC === undefined ? "-" : `${r.ratioToC.toFixed(2)}x`,
      r.mode ?? "-",
      r.perRound.map((v) => (v === null ? "fail" : fmtOps(v))).join(" "),
    ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const right = new Set([2, 3, 4]);
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
  console.log("");
  console.log(
    "ops/s: median over rounds. MB/s = ops/s × 4096 / 1e6. ratio to C: median of per-round ratios " +
      "(each JS run ÷ the C run of the same round). mode: ring mode (c: ref-bench's own mmap'd ring).",
  );
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
