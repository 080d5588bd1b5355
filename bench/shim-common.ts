// bench/shim-common.ts: what every implementation of bench/shim.ts shares:
// the options, the request plan (offsets and read/write choices, the same
// sequences as ref_bench.c), the data check, CPU time, the result line.
import { closeSync, constants, openSync, readSync } from "node:fs";
import process from "node:process";
import { checkPattern } from "./pattern.mjs";
import { Histogram, type LatencySummary } from "./histogram.ts";

export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
export const runtime: "bun" | "deno" = isBun ? "bun" : "deno";

export const WORKLOADS = ["nop", "randread", "seqread", "randwrite", "seqwrite", "mixed"] as const;
export type Workload = (typeof WORKLOADS)[number];
export const IMPLS = ["batch", "promise", "fs-sync", "fs-async", "native-file"] as const;
export type Impl = (typeof IMPLS)[number];

/** What a workload is, as the parent's cases (bench/types.ts Case) and the children's options both name it. */
export interface WorkloadShape {
  workload: Workload;
  /** Block size in bytes. */
  bs: number;
  /** Requests in flight. */
  qd: number;
  /** Submissions per io_uring_enter (nop: NOPs per enter; I/O: completions waited for per enter). */
  batch: number;
  direct: boolean;
  /** Registered (fixed) buffers. */
  fixed: boolean;
  /** A registered file. */
  files: boolean;
  sqpoll: boolean;
  /**
   * I/O: one io_uring_enter per request as soon as it is prepared (fio's
   * default, iodepth_batch_submit=1), then the enter that waits submits
   * nothing. Otherwise a request waits for the next enter, which submits
   * every pending one and waits.
   */
  submitEach: boolean;
  /** Write workloads: an fsync after every N writes (0: none). */
  fsyncEvery: number;
  /** mixed: percentage of reads (the rest are writes). */
  readPct: number;
}

export interface Options extends WorkloadShape {
  impl: Impl;
  huge: boolean;
  file: string | undefined;
  durationMs: number;
  warmupMs: number;
  entries: number;
  latency: boolean;
  verify: boolean;
  /** Kernel features the ring goes without (URINGSHIM_COMPAT syntax); "" for none. */
  compat: string;
}

export function exit(code: number): never {
  // Explicit exit: nothing the ring left behind (Bun's waiter thread, a
  // pending Deno FFI call) may keep the process alive.
  if (isBun) (globalThis as unknown as { process: { exit(c: number): never } }).process.exit(code);
  (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(code);
  throw new Error("unreachable");
}

/** A failed run: message on stderr, exit 1. */
export function fail(msg: string): never {
  console.error(`shim: ${msg}`);
  exit(1);
}

/** A bad option, or a combination this implementation cannot run: message on stderr, exit 2 (do not retry). */
export function refuse(msg: string): never {
  console.error(`shim: ${msg}`);
  exit(2);
}

export const now = (): number => performance.now();

/**
 * --latency samples every latencySampleEvery(o)-th request (ref-bench's
 * LATENCY_SAMPLE_EVERY rule, in every implementation alike): every 8th of
 * a page-cache run, where two clock reads would be a visible share of a
 * ~1 µs request (Deno's performance.now() costs ~90 ns), every O_DIRECT one.
 */
export const latencySampleEvery = (o: Pick<Options, "direct">): number => (o.direct ? 1 : 8);

// ---- the request plan ------------------------------------------------------
//
// As ref_bench.c: offsets from xorshift64 (13, 7, 17) seeded 42, stepping
// before each draw, offset = (draw % nblocks) * bs; seq workloads step by
// bs from 0, wrapping at the end of the file; mixed draws from a second
// xorshift64 seeded 7, a read when draw % 100 < readPct. The draws happen
// when a request is prepared, in the order requests are prepared.
//
// The 64-bit state lives in two uint32 halves (no BigInt, no table); the
// 64-bit modulo is ((hi % n) * (2^32 % n) + lo % n) % n, exact while
// n^2 < 2^53 (n = 256 MiB / 4 KiB = 65536 is far below). Larger n falls
// back to BigInt. `shim.ts --selftest` checks the halves against BigInt.

export const OFFSET_SEED = 42;
export const MIX_SEED = 7;
const MASK64 = (1n << 64n) - 1n;

/** The next draw % n of a xorshift64 stream seeded seed, as a function. */
export function xorshiftBelow(seed: number, n: number): () => number {
  if (n * n < 2 ** 53) {
    const two32modN = 2 ** 32 % n;
    let hi = 0;
    let lo = seed >>> 0;
    return () => {
      hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0;
      lo = (lo ^ (lo << 13)) >>> 0;
      lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0;
      hi = (hi ^ (hi >>> 7)) >>> 0;
      hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0;
      lo = (lo ^ (lo << 17)) >>> 0;
      return ((hi % n) * two32modN + (lo % n)) % n;
    };
  }
  return xorshiftBelowBig(seed, n);
}

/** The BigInt reference of xorshiftBelow. */
export function xorshiftBelowBig(seed: number, n: number): () => number {
  let x = BigInt(seed);
  const bn = BigInt(n);
  return () => {
    x ^= (x << 13n) & MASK64;
    x ^= x >> 7n;
    x ^= (x << 17n) & MASK64;
    return Number(x % bn);
  };
}

export interface Plan {
  /** The next request's file offset. */
  nextOffset: () => number;
  /** Whether the next request is a write. */
  nextIsWrite: () => boolean;
}

export function makePlan(o: Options, nblocks: number): Plan {
  const bs = o.bs;
  let nextOffset: () => number;
  if (o.workload === "seqread" || o.workload === "seqwrite") {
    let seqNext = 0;
    nextOffset = () => (seqNext++ % nblocks) * bs;
  } else {
    const draw = xorshiftBelow(OFFSET_SEED, nblocks);
    nextOffset = () => draw() * bs;
  }
  let nextIsWrite: () => boolean;
  if (o.workload === "mixed") {
    const mix = xorshiftBelow(MIX_SEED, 100);
    const readPct = o.readPct;
    nextIsWrite = () => mix() >= readPct;
  } else {
    const w = o.workload === "randwrite" || o.workload === "seqwrite";
    nextIsWrite = () => w;
  }
  return { nextOffset, nextIsWrite };
}

// ---- the I/O environment every implementation starts from ------------------

export interface IoEnv {
  o: Options;
  path: string;
  size: number;
  nblocks: number;
  hasReads: boolean;
  hasWrites: boolean;
  /** bs is a multiple of the pattern's 512-byte sector: writes carry the pattern (stampHeaders), data can be checked. */
  stamp: boolean;
  /** Reads are checked: the file holds the pattern, or --verify. */
  checkReads: boolean;
  /** Writes are read back and checked (always, when stamp). */
  checkWrites: boolean;
  plan: Plan;
  /** Per-request latency, with --latency. */
  hist: Histogram | null;
  /** open(2) flags for the data file: O_RDONLY or O_RDWR, plus O_DIRECT with --direct. */
  openFlags: number;
}

/** What an implementation's run returns. */
export interface RunResult {
  ops: number;
  seconds: number;
  cpuUserUs: number;
  cpuSysUs: number;
  reads: number;
  writes: number;
  fsyncs: number;
  /** Buffers (or blocks read back) that matched the pattern; 0 when nothing was checked. */
  verifiedBuffers: number;
  /** Requests in flight at once (qd, or 1 for one-at-a-time APIs). */
  inFlight: number;
  mode: string | null;
  extra?: Record<string, unknown>;
}

/** User and system CPU µs of the whole process so far. */
export function cpuNow(): { user: number; system: number } {
  return process.cpuUsage();
}

/** Runs loop(warmupMs) untimed (if > 0), then loop(durationMs) with CPU time around it. */
export async function measured(
  o: Options, loop: (ms: number) => { ops: number; seconds: number } | Promise<{ ops: number; seconds: number }>, reset: () => void,
): Promise<{ ops: number; seconds: number; cpuUserUs: number; cpuSysUs: number }> {
  if (o.warmupMs > 0) await loop(o.warmupMs);
  reset();
  const c0 = cpuNow();
  const r = await loop(o.durationMs);
  const c1 = cpuNow();
  return { ...r, cpuUserUs: c1.user - c0.user, cpuSysUs: c1.system - c0.system };
}

/**
 * The data check after a run, every request drained (ref_bench.c's):
 * a buffer whose last request was a read must hold the pattern at its
 * offset (with checkReads); the block at a write's offset is read back and
 * must hold the pattern (with checkWrites). Fails the run on a mismatch;
 * returns how many were checked.
 */
export function verifySlots(
  env: IoEnv, lastOff: Float64Array, lastWrite: Uint8Array, slotBytes: (i: number) => Uint8Array | undefined,
): number {
  const bs = env.o.bs;
  let checked = 0;
  let fd = -1;
  try {
    for (let i = 0; i < lastOff.length; i++) {
      const write = lastWrite[i] === 1;
      if (write ? !env.checkWrites : !env.checkReads) continue;
      let bytes = write ? undefined : slotBytes(i);
      if (bytes === undefined && !write) continue; // a slot that never read
      if (write) {
        if (fd < 0) fd = openSync(env.path, constants.O_RDONLY);
        bytes = new Uint8Array(bs);
        if (readSync(fd, bytes, 0, bs, lastOff[i]) !== bs) fail(`verify: reading back ${bs} bytes at ${lastOff[i]} came up short`);
      }
      const at = checkPattern(bytes!, lastOff[i]);
      if (at >= 0) {
        fail(
          `verify: slot ${i} (${write ? "written at" : "read from"} offset ${lastOff[i]}) does not hold the bench pattern at file offset ${at}`,
        );
      }
      checked++;
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return checked;
}

/** Whether every kind of request of the workload was checked. */
export function verifiedAll(env: IoEnv): boolean {
  return (!env.hasReads || env.checkReads) && (!env.hasWrites || env.checkWrites);
}

/** The one result line (ref_bench.c prints the same fields). */
export function resultLine(o: Options, r: RunResult, latency: LatencySummary | null, verified: boolean | null): string {
  const nop = o.workload === "nop";
  const bs = nop ? 0 : o.bs;
  const cpu = r.cpuUserUs + r.cpuSysUs;
  return JSON.stringify({
    impl: o.impl,
    runtime,
    workload: o.workload,
    bs,
    qd: nop ? 0 : o.qd,
    batch: o.batch,
    direct: o.direct,
    fixed: o.fixed,
    files: o.files,
    sqpoll: o.sqpoll,
    submitEach: o.submitEach,
    huge: o.huge,
    ops: r.ops,
    seconds: Number(r.seconds.toFixed(6)),
    bytes: r.ops * bs,
    cpuUserUs: Math.round(r.cpuUserUs),
    cpuSysUs: Math.round(r.cpuSysUs),
    latency,
    ...(latency ? { latencySamples: latency.samples, p50Us: latency.p50Ns / 1000, p99Us: latency.p99Ns / 1000 } : {}),
    verified,
    ...(nop ? {} : { verifiedBuffers: r.verifiedBuffers }),
    mode: r.mode,
    ...(o.compat ? { compat: o.compat } : {}),
    opsPerSec: Number((r.seconds > 0 ? r.ops / r.seconds : 0).toFixed(1)),
    cpuUsPerOp: r.ops > 0 ? Number((cpu / r.ops).toFixed(3)) : 0,
    ...(nop ? {} : {
      reads: r.reads,
      writes: r.writes,
      fsyncs: r.fsyncs,
      fsyncEvery: o.fsyncEvery,
      readPct: o.workload === "mixed" ? o.readPct : o.workload.endsWith("read") ? 100 : 0,
      inFlight: r.inFlight,
    }),
    ...r.extra,
  });
}
