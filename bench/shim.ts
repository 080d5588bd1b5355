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
// Random offsets: xorshift64 (13, 7, 17), seeded 42, stepping before each
// draw, offset = (draw % nblocks) * bs, exactly as ref-bench. It is computed
// per op on two uint32 halves (no BigInt, no precomputed table); the 64-bit
// modulo is ((hi % n) * (2^32 % n) + lo % n) % n, exact while n^2 < 2^53
// (n = file size / bs; 256 MiB / 4 KiB = 65536). Larger n falls back to
// BigInt. `--selftest` checks the halves against a BigInt reference.
import { closeSync, constants, fstatSync, openSync } from "node:fs";
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
    },
  }));
} catch (e) {
  fail(`${(e as Error).message}\nusage: shim.ts --workload nop|randread --api batch|promise [--batch N] [--qd N]\n` +
    "  [--file PATH] [--bs N] [--direct] [--duration-ms N] [--entries N] [--sqpoll]");
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

if (!nop && workload !== "randread") fail(`unknown workload ${workload}`);
if (api !== "batch" && api !== "promise") fail(`unknown api ${api} (batch|promise)`);
if (!batch || batch > entries || (!nop && (!qd || qd > entries || batch > qd || !bs))) {
  fail(`need 0 < batch <= entries${nop ? "" : ", 0 < batch <= qd <= entries, bs > 0"}`);
}
if (!nop && !values.file) fail("randread needs --file");

// ---- setup -----------------------------------------------------------------

const mod: Mod = isBun ? await import("../runtime-bun/mod.ts") : await import("../runtime-deno/mod.ts");
const { Ring, NativeBuffer } = mod;

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
    const nextOffset = offsetSource(Math.floor(size / bs), bs);
    // One page-aligned native buffer for all qd buffers (O_DIRECT or not),
    // as ref-bench's single mmap; bs keeps each one aligned.
    const buf = NativeBuffer.alloc(Math.ceil((qd * bs) / 4096) * 4096);
    buf.bytes.fill(1); // populate the pages (ref-bench: MAP_POPULATE)
    result = api === "batch" ? batchRandread(fd, nextOffset, buf.address) : await promiseRandread(fd, nextOffset, buf.bytes);
    ring.close(); // nothing is in flight now; close before the buffer goes
    buf.close();
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
}));
exit(0);
