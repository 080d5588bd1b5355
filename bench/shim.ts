// bench/shim.ts: the JS side of the throughput benchmark, run under Bun or
// Deno (`bun bench/shim.ts …` / `deno run -A bench/shim.ts …`). Same flags
// and the same one-line JSON output as native/build/ref-bench, plus
// `--api batch|promise` and a "mode" field (the ring's mode).
//
// The batch loops mirror ref_bench.c step for step (same ring size, same
// enter/wait pattern, same xorshift64 offsets); keep them in sync. Unlike
// ref-bench, every loop first runs --warmup-ms (default 200) untimed so the
// JIT has compiled it before the clock starts.
//
// As in ref-bench, the nop and randread loops stay as they are, and an
// instrumented loop (batchIo, batch API only) runs for --workload seq and
// whenever --fixed, --files, --huge, --latency or --verify is given: a
// BufferPool (registered as one fixed buffer with --fixed: prepReadFixed),
// a registered file (--files), per-request latency stamped with
// performance.now(), the data checked against the bench file's pattern
// (bench/pattern.mjs), and CPU per op from process.cpuUsage() around the
// timed loop.
//
// Random offsets: xorshift64 (13, 7, 17), seeded 42, stepping before each
// draw, offset = (draw % nblocks) * bs, exactly as ref-bench. It is computed
// per op on two uint32 halves (no BigInt, no precomputed table); the 64-bit
// modulo is ((hi % n) * (2^32 % n) + lo % n) % n, exact while n^2 < 2^53
// (n = file size / bs; 256 MiB / 4 KiB = 65536). Larger n falls back to
// BigInt. `--selftest` checks the halves against a BigInt reference.
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";

type Mod = typeof import("../runtime-bun/mod.ts");


// ---- arguments ------------------------------------------------------------

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const runtime = isBun ? "bun" : "deno";
const argv: string[] = isBun
  ? (globalThis as unknown as { Bun: { argv: string[] } }).Bun.argv.slice(2)
  : (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;

function fail(msg: string): never {
  console.error(`shim: ${msg}`);
  exit(1);
}

function exit(code: number): never {
  // Explicit exit: nothing the ring left behind (Bun's waiter thread, a
  // pending Deno FFI call) may keep the process alive.
  if (isBun) (globalThis as unknown as { process: { exit(c: number): never } }).process.exit(code);
  (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(code);
  throw new Error("unreachable");
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workload: { type: "string", default: "nop" },
      api: { type: "string", default: "batch" },
      batch: { type: "string", default: "32" },
      qd: { type: "string", default: "32" },
      file: { type: "string" },
      bs: { type: "string", default: "4096" },
      "duration-ms": { type: "string", default: "2000" },
      "warmup-ms": { type: "string", default: "200" },
      entries: { type: "string", default: "256" },
      direct: { type: "boolean", default: false },
      sqpoll: { type: "boolean", default: false },
      selftest: { type: "boolean", default: false },
      fixed: { type: "boolean", default: false },
      files: { type: "boolean", default: false },
      huge: { type: "boolean", default: false },
      latency: { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
    },
  }));
} catch (e) {
  fail(`${(e as Error).message}\nusage: shim.ts --workload nop|randread|seq --api batch|promise [--batch N] [--qd N]\n` +
    "  [--file PATH] [--bs N] [--direct] [--duration-ms N] [--entries N] [--sqpoll]\n" +
    "  [--fixed] [--files] [--huge] [--latency] [--verify]");
}

function num(name: string): number {
  const v = values[name] as string;
  if (!/^\d+$/.test(v)) fail(`bad value for --${name}: ${v}`);
  return Number(v);
}

const workload = values.workload as string;
const api = values.api as string;
let batch = num("batch");
let qd = num("qd");
let bs = num("bs");
const durationMs = num("duration-ms");
const WARMUP_MS = num("warmup-ms");
const entries = num("entries");
const direct = values.direct as boolean;
const sqpoll = values.sqpoll as boolean;
const nop = workload === "nop";
const seq = workload === "seq";
const fixed = values.fixed as boolean;
const files = values.files as boolean;
const huge = values.huge as boolean;
const latency = values.latency as boolean;
const verify = values.verify as boolean;
/** The instrumented loop (batchIo) instead of the original randread loop. */
const instrumented = seq || fixed || files || huge || latency || verify;

// ---- xorshift64 on two uint32 halves ---------------------------------------

let rngHi = 0;
let rngLo = 42;

/** Steps the state (x ^= x << 13; x ^= x >> 7; x ^= x << 17). */
function xorshiftStep(): void {
  let hi = rngHi;
  let lo = rngLo;
  hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0;
  lo = (lo ^ (lo << 13)) >>> 0;
  lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0;
  hi = (hi ^ (hi >>> 7)) >>> 0;
  hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0;
  lo = (lo ^ (lo << 17)) >>> 0;
  rngHi = hi;
  rngLo = lo;
}

let bigState = 42n;
const MASK64 = (1n << 64n) - 1n;
function xorshiftBig(): bigint {
  let x = bigState;
  x ^= (x << 13n) & MASK64;
  x ^= x >> 7n;
  x ^= (x << 17n) & MASK64;
  return (bigState = x);
}

/** Returns a function giving the next offset, (draw % nblocks) * bs. */
function offsetSource(nblocks: number, blockSize: number): () => number {
  if (nblocks * nblocks < 2 ** 53) {
    const two32modN = 2 ** 32 % nblocks;
    return () => {
      xorshiftStep();
      return (((rngHi % nblocks) * two32modN + (rngLo % nblocks)) % nblocks) * blockSize;
    };
  }
  const n = BigInt(nblocks);
  const b = BigInt(blockSize);
  return () => Number((xorshiftBig() % n) * b);
}

if (values.selftest) {
  // The halves against BigInt, for the nblocks the bench uses and a few odd ones.
  for (const n of [65536, 65535, 1_000_003, 3, 94_906_265]) {
    rngHi = 0;
    rngLo = 42;
    bigState = 42n;
    const next = offsetSource(n, 1);
    for (let i = 0; i < 1_000_000; i++) {
      const want = Number(xorshiftBig() % BigInt(n));
      const got = next();
      if (got !== want) fail(`selftest: draw ${i} mod ${n}: got ${got}, want ${want}`);
    }
  }
  rngHi = 0;
  rngLo = 42;
  bigState = 42n;
  console.log(`selftest ok (${runtime})`);
  exit(0);
}

// ---- validation (ref-bench's rules) ----------------------------------------

if (!nop && !seq && workload !== "randread") fail(`unknown workload ${workload}`);
if (api !== "batch" && api !== "promise") fail(`unknown api ${api} (batch|promise)`);
if (!batch || batch > entries || (!nop && (!qd || qd > entries || batch > qd || !bs))) {
  fail(`need 0 < batch <= entries${nop ? "" : ", 0 < batch <= qd <= entries, bs > 0"}`);
}
if (!nop && !values.file) fail(`${workload} needs --file`);
if (nop && instrumented) fail("--fixed, --files, --huge, --latency and --verify are for reads");
if (instrumented && api !== "batch") fail("--workload seq, --fixed, --files, --huge, --latency and --verify run with --api batch");
// prepRead takes a plain fd only; a FixedFile goes through prepReadFixed.
if (files && !fixed) fail("--files needs --fixed here (the batch API's prepRead takes no FixedFile)");

// ---- setup -----------------------------------------------------------------

const mod: Mod = isBun ? await import("../runtime-bun/mod.ts") : await import("../runtime-deno/mod.ts");
const { Ring, NativeBuffer, BufferPool } = mod;
type BufferPool = import("../runtime-bun/mod.ts").BufferPool;
type FixedFile = import("../runtime-bun/mod.ts").FixedFile;

// ref-bench: ring_init(entries, 2 * entries, sqpoll) with SUBMIT_ALL | SINGLE_ISSUER.
const ring = Ring.open({ entries, cqEntries: 2 * entries, singleIssuer: true, ...(sqpoll ? { sqpoll: true } : {}) });
if (ring.entries !== entries) fail(`entries must be a power of two (ring has ${ring.entries})`);

const now = () => performance.now();

interface Result { ops: number; seconds: number }

/**
 * Runs one batch-API iteration until ms have passed (clock read once per
 * iteration, as ref-bench does); opsSoFar() reads the caller's counter.
 */
function timedLoop(ms: number, iteration: () => void, opsSoFar: () => number): Result {
  const t0 = now();
  const end = t0 + ms;
  let t1: number;
  do {
    iteration();
    t1 = now();
  } while (t1 < end);
  return { ops: opsSoFar(), seconds: (t1 - t0) / 1000 };
}

// ---- batch nop: ref-bench's nop loop ----------------------------------------
// repeat { prep `batch` NOPs; submitAndWait(batch) (one enter(batch, batch,
// GETEVENTS)); reap all available CQEs (res must be 0) } until the duration.
function batchNop(): Result {
  let ops = 0;
  let bad = 0;
  const onCqe = (_ud: number, res: number) => {
    if (res !== 0) bad = res;
    ops++;
  };
  const iteration = () => {
    for (let i = 0; i < batch; i++) ring.prepNop(ops + i);
    ring.submitAndWait(batch);
    ring.reap(onCqe);
    if (bad !== 0) fail(`nop res ${bad}`);
  };
  const loop = (ms: number): Result => {
    ops = 0;
    return timedLoop(ms, iteration, () => ops);
  };
  loop(WARMUP_MS);
  return loop(durationMs);
}

// ---- batch randread: ref-bench's randread loop -------------------------------
// prime qd reads (userData = buffer index); repeat { submitAndWait(batch)
// (enter(pending, batch, GETEVENTS)); for each CQE check res == bs and at
// once prep a new random read into the same buffer } until the duration.
function batchRandread(fd: number, nextOffset: () => number, base: number): Result {
  let ops = 0;
  let pending = 0;
  let bad: number | undefined;
  let draining = false;
  let outstanding = qd; // reads prepared and not yet completed
  const onCqe = (idx: number, res: number) => {
    if (res !== bs) bad = res;
    if (draining) {
      outstanding--;
      return;
    }
    ops++;
    ring.prepRead(fd, base + idx * bs, bs, nextOffset(), idx);
    pending++;
  };
  for (let i = 0; i < qd; i++) {
    ring.prepRead(fd, base + i * bs, bs, nextOffset(), i);
    pending++;
  }
  const iteration = () => {
    pending -= ring.submitAndWait(batch);
    ring.reap(onCqe);
    if (bad !== undefined) fail(`read res ${bad} (want ${bs})`);
  };
  const loop = (ms: number): Result => {
    ops = 0;
    return timedLoop(ms, iteration, () => ops);
  };
  loop(WARMUP_MS);
  const r = loop(durationMs);
  // Collect the reads still in flight before the buffer is freed, so the
  // timed loop's state ends clean (close() would also wait for them).
  draining = true;
  while (outstanding > 0) {
    ring.submitAndWait(1);
    ring.reap(onCqe);
  }
  return r;
}

// ---- batch io: ref-bench's instrumented loop (run_io) ---------------------------
// The randread loop's shape (prime qd reads, userData = slot; repeat {
// submitAndWait(batch); for each CQE check res and at once prep the next
// read into the same slot } until the duration), with ref-bench's options:
// seq offsets step by bs (wrapping); --fixed: prepReadFixed into the pool
// registered as one fixed buffer; --files: the FixedFile of the registered
// fd; --latency: one clock read before each submitAndWait stamps every read
// it submits, one after it returns is the completion time of every CQE
// reaped then (100 ns buckets up to 100 ms, as ref-bench); --verify: after
// draining, every slot is checked against the pattern at its last offset.

const LAT_BUCKETS = 1_000_000;
const PATTERN_MAGIC = 0x9e3779b9;

interface IoResult extends Result {
  cpuUs: number;
  samples: number;
  hist: Uint32Array;
  verified: number;
}

/** The file offset of the first word of bytes (read from off) that breaks the pattern, or -1. */
function checkPattern(bytes: Uint8Array, off: number): number {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let k = 0; k + 1 < w.length; k += 2) {
    const o = off + k * 4;
    if (w[k] !== o >>> 0 || w[k + 1] !== (PATTERN_MAGIC ^ Math.floor(o / 2 ** 32)) >>> 0) return o;
  }
  return -1;
}

/** The latency (µs, bucket middle) below which fraction q of the samples lie (ref-bench's lat_percentile). */
function latPercentile(hist: Uint32Array, total: number, q: number): number {
  const want = Math.max(1, Math.floor(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= want) return Number(((i + 0.5) / 10).toFixed(1));
  }
  return hist.length / 10;
}

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

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function batchIo(fd: number, file: number | FixedFile, nextOffset: () => number, pool: BufferPool, bufIndex: number): IoResult {
  const addrs = Array.from({ length: qd }, (_, i) => pool.slotAddress(i));
  const lastOff = new Float64Array(qd);
  const tSub = new Float64Array(qd);
  const unsub = new Int32Array(qd); // slots prepared since the last submitAndWait
  let nunsub = 0;
  const hist = new Uint32Array(latency ? LAT_BUCKETS : 1);
  let samples = 0;
  let tDone = 0;
  let ops = 0;
  let bad: number | undefined;
  let draining = false;
  let outstanding = qd;
  const prep = fixed
    ? (idx: number, off: number) => ring.prepReadFixed(file, addrs[idx], bs, off, bufIndex, idx)
    : (idx: number, off: number) => ring.prepRead(fd, addrs[idx], bs, off, idx);
  const onCqe = (idx: number, res: number) => {
    if (res !== bs) bad = res;
    if (draining) {
      outstanding--;
      return;
    }
    ops++;
    if (latency) {
      const b = ((tDone - tSub[idx]) * 1e4) | 0; // ms → 100 ns buckets
      hist[b < LAT_BUCKETS ? b : LAT_BUCKETS - 1]++;
      samples++;
      unsub[nunsub++] = idx;
    }
    const off = nextOffset();
    lastOff[idx] = off;
    prep(idx, off);
  };
  for (let i = 0; i < qd; i++) {
    const off = nextOffset();
    lastOff[i] = off;
    prep(i, off);
    if (latency) unsub[nunsub++] = i;
  }
  const iteration = () => {
    if (latency) {
      const t = now();
      for (let k = 0; k < nunsub; k++) tSub[unsub[k]] = t;
      nunsub = 0;
    }
    ring.submitAndWait(batch);
    if (latency) tDone = now();
    ring.reap(onCqe);
    if (bad !== undefined) fail(`read res ${bad} (want ${bs})`);
  };
  const loop = (ms: number): Result => {
    ops = 0;
    samples = 0;
    hist.fill(0);
    return timedLoop(ms, iteration, () => ops);
  };
  loop(WARMUP_MS);
  const cpu0 = cpuUs();
  const r = loop(durationMs);
  const cpu = cpuUs() - cpu0;
  draining = true;
  while (outstanding > 0) {
    ring.submitAndWait(1);
    ring.reap(onCqe);
    if (bad !== undefined) fail(`read res ${bad} while draining`);
  }
  let verified = 0;
  if (verify) {
    for (let i = 0; i < qd; i++) {
      const at = checkPattern(pool.view(i, 0, bs), lastOff[i]);
      if (at >= 0) {
        fail(`verify: slot ${i} (read from offset ${lastOff[i]}) does not hold the bench pattern at file offset ${at}`);
      }
      verified++;
    }
  }
  return { ...r, cpuUs: cpu, samples, hist, verified };
}

// ---- promise nop -------------------------------------------------------------
// `batch` nop() promises per round, in one reused array; Promise.all per
// round (the ring turns each round into one io_uring_enter).
async function promiseNop(): Promise<Result> {
  const ps: Promise<void>[] = new Array(batch);
  const loop = async (ms: number): Promise<Result> => {
    let ops = 0;
    const t0 = now();
    const end = t0 + ms;
    let t1: number;
    do {
      for (let i = 0; i < batch; i++) ps[i] = ring.nop();
      await Promise.all(ps);
      ops += batch;
      t1 = now();
    } while (t1 < end);
    return { ops, seconds: (t1 - t0) / 1000 };
  };
  await loop(WARMUP_MS);
  return loop(durationMs);
}

// ---- promise randread ----------------------------------------------------------
// qd workers, each looping `await ring.read(fd, its view, next offset)`.
// Worker 0 reads the clock once per pass of the qd workers and raises `stop`.
async function promiseRandread(fd: number, nextOffset: () => number, bytes: Uint8Array): Promise<Result> {
  const views = Array.from({ length: qd }, (_, i) => bytes.subarray(i * bs, (i + 1) * bs));
  const loop = async (ms: number): Promise<Result> => {
    let ops = 0;
    let stop = false;
    const t0 = now();
    const end = t0 + ms;
    const worker = async (i: number) => {
      const view = views[i];
      while (!stop) {
        const n = await ring.read(fd, view, nextOffset());
        if (n !== bs) fail(`read res ${n} (want ${bs})`);
        ops++;
        if (i === 0 && now() >= end) stop = true;
      }
    };
    await Promise.all(views.map((_, i) => worker(i)));
    return { ops, seconds: (now() - t0) / 1000 };
  };
  await loop(WARMUP_MS);
  return loop(durationMs);
}

// ---- run -----------------------------------------------------------------------

let result: Result;
/** The instrumented loop's extra output fields. */
let extra: Record<string, unknown> = {};
try {
  if (nop) {
    result = api === "batch" ? batchNop() : await promiseNop();
    qd = 0;
    bs = 0;
  } else {
    const file = values.file as string;
    let flags = constants.O_RDONLY;
    if (direct) {
      if (constants.O_DIRECT === undefined) fail("O_DIRECT is not available here");
      flags |= constants.O_DIRECT;
    }
    let fd: number;
    try {
      fd = openSync(file, flags);
    } catch (e) {
      fail(`${file}: ${(e as Error).message}`);
    }
    const size = fstatSync(fd).size;
    if (size < bs) fail(`${file} is smaller than bs`);
    const nblocks = Math.floor(size / bs);
    let seqNext = 0;
    const nextOffset = seq ? () => (seqNext++ % nblocks) * bs : offsetSource(nblocks, bs);
    if (instrumented) {
      // One pool slot per read in flight (ref-bench: one mmap of qd × bs);
      // hugePages asks for 2 MiB pages, pool.hugePages says what it got.
      const pool = BufferPool.create({ count: qd, size: bs, hugePages: huge });
      for (let i = 0; i < qd; i++) pool.view(i).fill(1); // populate, after the pool's madvise (ref-bench: memset)
      let bufIndex = 0;
      if (fixed) {
        ring.registerBuffers(pool); // the whole pool: one fixed buffer
        bufIndex = ring.bufferSlotOf(pool);
      }
      const target = files ? ring.registerFiles([fd])[0] : fd;
      const r = batchIo(fd, target, nextOffset, pool, bufIndex);
      result = r;
      extra = {
        direct, fixed, files, huge,
        hugePages: pool.hugePages,
        thpKb: thpKb(pool.address, pool.byteLength),
        cpuUsPerOp: r.ops > 0 ? Number((r.cpuUs / r.ops).toFixed(3)) : 0,
        verified: r.verified,
        ...(latency && r.samples > 0
          ? { latencySamples: r.samples, p50Us: latPercentile(r.hist, r.samples, 0.5), p99Us: latPercentile(r.hist, r.samples, 0.99) }
          : {}),
      };
      ring.close(); // nothing is in flight now; close before the pool goes
      pool.close();
    } else {
      // One page-aligned native buffer for all qd buffers (O_DIRECT or not),
      // as ref-bench's single mmap; bs keeps each one aligned.
      const buf = NativeBuffer.alloc(Math.ceil((qd * bs) / 4096) * 4096);
      buf.bytes.fill(1); // populate the pages (ref-bench: MAP_POPULATE)
      result = api === "batch" ? batchRandread(fd, nextOffset, buf.address) : await promiseRandread(fd, nextOffset, buf.bytes);
      ring.close(); // nothing is in flight now; close before the buffer goes
      buf.close();
    }
    closeSync(fd);
  }
} catch (e) {
  fail((e as Error)?.stack ?? String(e));
}

const mode = ring.mode;
ring.close();
console.log(JSON.stringify({
  impl: `${runtime}-${api}`,
  workload,
  batch,
  qd,
  bs,
  ops: result.ops,
  seconds: Number(result.seconds.toFixed(6)),
  opsPerSec: Number((result.ops / result.seconds).toFixed(1)),
  mode,
  ...extra,
}));
exit(0);
