// bench/shim.ts: the JS child of the throughput benchmark, run under Bun or
// Deno (`bun bench/shim.ts …` / `deno run -A bench/shim.ts …`). One timed
// run, one JSON line on stdout: the same flags and fields as
// native/build/ref-bench, plus --impl.
//
//   --impl batch|promise|fs-sync|fs-async|native-file   (--api batch|promise: the old name)
//   --workload nop|randread|seqread|randwrite|seqwrite|mixed   (seq: seqread)
//   --bs N --qd N --batch N --file PATH --duration-ms N --warmup-ms N (default 200)
//   --entries N --direct --fixed --files --sqpoll --huge --latency --verify
//   --submit-each (batch: one enter per request as it is prepared)
//   --fsync-every N (writes) --read-pct N (mixed, default 50)
//   --compat LIST (batch, promise: kernel features the ring goes without, URINGSHIM_COMPAT's syntax)
//   --selftest (the offsets' uint32 halves against BigInt), --print-plan K
//
// Exit 0 with the line; 1 when the run fails (message on stderr); 2 for a
// bad option or a combination the implementation cannot run (e.g.
// native-file with --direct): skip it, do not retry.
//
// The modules: shim-common.ts (options, request plan, data check, result
// line), shim-ring.ts (batch and promise API loops, mirroring
// ref_bench.c), shim-fs.ts (node:fs, node:fs/promises, Bun.file /
// Deno.FsFile), histogram.ts (latency), pattern.mjs (the file's content).
//
// Unlike ref-bench (default --warmup-ms 0), every JS run first runs
// --warmup-ms untimed so the JIT has compiled the loop before the clock
// starts.
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseCompatEnv } from "../core/compat.ts";
import { Histogram } from "./histogram.ts";
import { fillPattern, holdsPattern } from "./pattern.mjs";
import {
  exit, fail, IMPLS, type Impl, type IoEnv, isBun, makePlan, type Options, refuse, resultLine, type RunResult, verifiedAll,
  WORKLOADS, type Workload, xorshiftBelow, xorshiftBelowBig,
} from "./shim-common.ts";
import { fsAsync, fsSync, nativeFile, nativeFileRefusal } from "./shim-fs.ts";
import { batchIo, batchNop, openRing, promiseIo, promiseNop } from "./shim-ring.ts";

const USAGE = "usage: shim.ts --impl batch|promise|fs-sync|fs-async|native-file\n" +
  "  --workload nop|randread|seqread|randwrite|seqwrite|mixed [--bs N] [--qd N] [--batch N] [--file PATH]\n" +
  "  [--duration-ms N] [--warmup-ms N] [--entries N] [--direct] [--fixed] [--files] [--sqpoll] [--huge]\n" +
  "  [--submit-each]\n" +
  "  [--latency] [--verify] [--fsync-every N] [--read-pct N] [--compat LIST] | --selftest | --print-plan K";

const argv: string[] = isBun
  ? (globalThis as unknown as { Bun: { argv: string[] } }).Bun.argv.slice(2)
  : (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      impl: { type: "string" },
      api: { type: "string" },
      workload: { type: "string", default: "nop" },
      batch: { type: "string", default: "32" },
      qd: { type: "string", default: "32" },
      file: { type: "string" },
      bs: { type: "string", default: "4096" },
      "duration-ms": { type: "string", default: "2000" },
      "warmup-ms": { type: "string", default: "200" },
      entries: { type: "string", default: "256" },
      "fsync-every": { type: "string", default: "0" },
      "read-pct": { type: "string" },
      "print-plan": { type: "string" },
      compat: { type: "string", default: "" },
      direct: { type: "boolean", default: false },
      sqpoll: { type: "boolean", default: false },
      "submit-each": { type: "boolean", default: false },
      fixed: { type: "boolean", default: false },
      files: { type: "boolean", default: false },
      huge: { type: "boolean", default: false },
      latency: { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      selftest: { type: "boolean", default: false },
    },
  }));
} catch (e) {
  refuse(`${(e as Error).message}\n${USAGE}`);
}

function num(name: string): number {
  const v = values[name] as string;
  if (!/^\d+$/.test(v)) refuse(`bad value for --${name}: ${v}`);
  return Number(v);
}

if (values.selftest) {
  // The uint32 halves against BigInt, for the nblocks the bench uses and a few odd ones.
  for (const n of [65536, 65535, 1_000_003, 3, 100, 94_906_265]) {
    for (const seed of [42, 7]) {
      const got = xorshiftBelow(seed, n);
      const want = xorshiftBelowBig(seed, n);
      for (let i = 0; i < 1_000_000; i++) {
        const g = got();
        const w = want();
        if (g !== w) fail(`selftest: draw ${i} mod ${n} (seed ${seed}): got ${g}, want ${w}`);
      }
    }
  }
  console.log(`selftest ok (${isBun ? "bun" : "deno"})`);
  exit(0);
}

// ---- options and their rules (ref-bench's) --------------------------------------------

const implName = (values.impl ?? values.api ?? "batch") as string;
if (values.impl !== undefined && values.api !== undefined && values.impl !== values.api) {
  refuse(`--impl ${values.impl} and --api ${values.api} disagree (--api is the old name of --impl)`);
}
if (!(IMPLS as readonly string[]).includes(implName)) refuse(`unknown impl ${implName} (${IMPLS.join("|")})`);
let workloadName = values.workload as string;
if (workloadName === "seq") workloadName = "seqread"; // the old name
if (!(WORKLOADS as readonly string[]).includes(workloadName)) refuse(`unknown workload ${workloadName}`);

const o: Options = {
  impl: implName as Impl,
  workload: workloadName as Workload,
  bs: num("bs"),
  qd: num("qd"),
  batch: num("batch"),
  direct: values.direct as boolean,
  fixed: values.fixed as boolean,
  files: values.files as boolean,
  sqpoll: values.sqpoll as boolean,
  submitEach: values["submit-each"] as boolean,
  huge: values.huge as boolean,
  file: values.file as string | undefined,
  durationMs: num("duration-ms"),
  warmupMs: num("warmup-ms"),
  entries: num("entries"),
  latency: values.latency as boolean,
  verify: values.verify as boolean,
  fsyncEvery: num("fsync-every"),
  readPct: values["read-pct"] === undefined ? 50 : num("read-pct"),
  compat: values.compat as string,
};
try {
  parseCompatEnv(o.compat);
} catch (e) {
  refuse(`--compat: ${(e as Error).message}`);
}
if (o.compat && !(o.impl === "batch" || o.impl === "promise")) refuse(`--compat is for the ring (batch, promise), not ${o.impl}`);
const nop = o.workload === "nop";
const ringImpl = o.impl === "batch" || o.impl === "promise";
const plan = values["print-plan"] === undefined ? 0 : num("print-plan");

if (nop) {
  if (!o.batch || o.batch > o.entries) refuse("need 0 < batch <= entries");
  if (o.direct || o.fixed || o.files || o.huge || o.verify || o.fsyncEvery || o.submitEach || plan) {
    refuse("--direct, --fixed, --files, --huge, --verify, --fsync-every, --submit-each and --print-plan are for I/O workloads");
  }
  if (!ringImpl) refuse(`${o.impl} has no nop (nop is for the ring: batch, promise)`);
  // --latency is taken and ignored: nop reports "latency": null.
} else {
  // Between two submits the batch loop prepares at most qd requests plus one fsync per fsync-every writes.
  const room = o.qd + (o.fsyncEvery ? Math.floor(o.qd / o.fsyncEvery) + 1 : 0);
  if (!o.batch || !o.qd || !o.bs || o.batch > o.qd || room > o.entries) {
    refuse("need 0 < batch <= qd, bs > 0, and qd (+ qd / fsync-every + 1) <= entries");
  }
  if (!o.file) refuse("I/O workloads need --file");
  if (o.fsyncEvery && !["randwrite", "seqwrite", "mixed"].includes(o.workload)) refuse("--fsync-every is for workloads that write");
  if (values["read-pct"] !== undefined && o.workload !== "mixed") refuse("--read-pct is for --workload mixed");
  if (o.readPct > 100) refuse("--read-pct must be 0 to 100");
  if (o.verify && o.bs % 512 !== 0) refuse("--verify needs bs a multiple of 512 (the pattern's sector)");
  if (!ringImpl && (o.fixed || o.files || o.sqpoll || o.huge)) {
    refuse(`--fixed, --files, --sqpoll and --huge are for the ring (batch, promise), not ${o.impl}`);
  }
  if (o.submitEach && o.impl !== "batch") refuse(`--submit-each is for the batch API (${o.impl} decides its own submissions)`);
  if (o.submitEach && o.sqpoll) refuse("--submit-each with --sqpoll: the SQ thread submits");
  if (o.impl === "native-file") {
    const why = nativeFileRefusal(o);
    if (why !== undefined) refuse(why);
  }
}

// ---- the I/O environment ------------------------------------------------------------------

function ioEnv(): IoEnv {
  const path = o.file!;
  const hasReads = o.workload === "randread" || o.workload === "seqread" || o.workload === "mixed";
  const hasWrites = o.workload === "randwrite" || o.workload === "seqwrite" || o.workload === "mixed";
  let openFlags = hasWrites ? constants.O_RDWR : constants.O_RDONLY;
  if (o.direct) {
    if (constants.O_DIRECT === undefined) refuse("O_DIRECT is not available here");
    openFlags |= constants.O_DIRECT;
  }
  let size: number;
  try {
    const fd = openSync(path, constants.O_RDONLY);
    size = fstatSync(fd).size;
    closeSync(fd);
  } catch (e) {
    fail(`${path}: ${(e as Error).message}`);
  }
  if (size < o.bs) fail(`${path} is smaller than bs`);
  const nblocks = Math.floor(size / o.bs);
  const stamp = o.bs % 512 === 0;
  return {
    o, path, size, nblocks, hasReads, hasWrites, stamp,
    checkReads: hasReads && stamp && (o.verify || holdsPattern(path, size)),
    checkWrites: hasWrites && stamp,
    plan: makePlan(o, nblocks),
    hist: o.latency ? new Histogram() : null,
    openFlags,
  };
}

if (plan) {
  // The first K requests of the plan, as ref-bench --print-plan prints them.
  const env = ioEnv();
  const lines: string[] = [];
  for (let i = 0; i < plan; i++) {
    const off = env.plan.nextOffset();
    lines.push(`${env.plan.nextIsWrite() ? "w" : "r"} ${off}`);
  }
  console.log(lines.join("\n"));
  exit(0);
}

// ---- run --------------------------------------------------------------------------------

const mod: typeof import("../runtime-bun/mod.ts") = isBun ? await import("../runtime-bun/mod.ts") : await import("../runtime-deno/mod.ts");

let result: RunResult;
let env: IoEnv | undefined;
try {
  if (nop) {
    const ring = openRing(mod, o);
    result = o.impl === "batch" ? await batchNop(ring, o) : await promiseNop(ring, o);
    ring.close();
  } else {
    env = ioEnv();
    // One pool slot per request in flight (ref-bench: one mapping of qd × bs),
    // page-aligned (O_DIRECT); hugePages asks for 2 MiB pages, pool.hugePages says what it got.
    const pool = mod.BufferPool.create({ count: o.qd, size: o.bs, hugePages: o.huge });
    // Populate, after the pool's madvise: ones (never the pattern) for reads; the pattern's body for writes (ref-bench's).
    const u32 = new Uint32Array(pool.view(0).buffer, 0, pool.byteLength >>> 2);
    u32.fill(0x01010101);
    if (env.hasWrites && env.stamp) {
      for (let i = 0; i < o.qd; i++) fillPattern(u32, (i * pool.stride) >>> 2, 0, o.bs);
    }
    if (ringImpl) {
      const ring = openRing(mod, o);
      const fd = openSync(env.path, env.openFlags);
      let bufIndex = 0;
      if (o.fixed) {
        ring.registerBuffers(pool); // the whole pool: one fixed buffer
        bufIndex = ring.bufferSlotOf(pool);
      }
      const file = o.files ? ring.registerFiles([fd])[0] : fd;
      const io = { ring, pool, fd, file, bufIndex };
      result = o.impl === "batch" ? await batchIo(env, io) : await promiseIo(env, io);
      result.extra = { ...result.extra, hugePages: pool.hugePages, thpKb: thpKb(pool.address, pool.byteLength) };
      ring.close(); // nothing is in flight now; close before the pool goes
      closeSync(fd);
    } else {
      result = o.impl === "fs-sync" ? await fsSync(env, pool) : o.impl === "fs-async" ? await fsAsync(env, pool) : await nativeFile(env, pool);
    }
    pool.close();
  }
} catch (e) {
  fail((e as Error)?.stack ?? String(e));
}

const verified = env !== undefined && verifiedAll(env) && result.verifiedBuffers > 0 ? true : null;
console.log(resultLine(o, result, env?.hist?.summary() ?? null, verified));
exit(0);

/** AnonHugePages (kB) of the mappings overlapping [address, address + length) in /proc/self/smaps; -1 if unreadable. */
function thpKb(address: number, length: number): number {
  let text: string;
  try {
    text = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return -1;
  }
  let inside = false;
  let kb = 0;
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) inside = parseInt(m[1], 16) < address + length && parseInt(m[2], 16) > address;
    else if (inside) {
      const a = /^AnonHugePages:\s+(\d+) kB/.exec(line);
      if (a) kb += Number(a[1]);
    }
  }
  return kb;
}
