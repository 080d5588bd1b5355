// bench/programs.ts: the program cases: small real programs
// timed whole, each under Bun and Deno, through uringshim's promise API
// ("promise") and through the runtime's own node:fs/promises ("fs-async")
// in the same rounds. Pure: the cases, their labels, the children's
// command lines and what their output means. The children are
// program-child.ts (fresh-read, hash) and startup.ts; the parent's part
// is program-run.ts, the tables program-report.ts.
//
//   fresh-read  N page-cache reads of 64–1023 B at random offsets (fixed
//               seed), 100 in flight, into a new Uint8Array(size) per read
//               ("fresh") and into reused buffers ("reused"), in one process.
//   startup     a fresh process: import the package → Ring.open() → first
//               nop() completed (node:fs: import node:fs/promises → first
//               stat()); and, in the same round, the same script doing
//               nothing: the runtime's own boot.
//   hash        sha256 of N files of 1–16 KiB (fixed seed), 64 in flight,
//               each file open → statx → read → close; workers take names
//               from an array index ("pre-listed") or from one shared async
//               generator ("streamed"), in one process.
import type { Built, Programs } from "./children.ts";
import { scriptCommand } from "./children.ts";
import type { Suite } from "./suites.ts";
import type { Impl, JsRuntime, Runner } from "./types.ts";

export const PROGRAMS = ["fresh-read", "startup", "hash"] as const;
export type ProgramName = (typeof PROGRAMS)[number];

/** The implementations a program runs with: uringshim's promise API, the runtime's node:fs/promises. */
export const PROGRAM_IMPLS: readonly Impl[] = ["promise", "fs-async"];

/** How much work each program does (--reads, --hash-files, --spawns). */
export interface ProgramSizes {
  /** fresh-read: reads per timed pass. */
  reads: number;
  /** hash: files in the tree. */
  hashFiles: number;
  /** startup: processes per runtime and implementation (the case's rounds). */
  spawns: number;
}

export const PROGRAM_SIZES: ProgramSizes = { reads: 100_000, hashFiles: 20_000, spawns: 10 };

export const READ_BYTES = { min: 64, max: 1023 } as const;
export const READ_IN_FLIGHT = 100;
export const HASH_FILE_BYTES = { min: 1024, max: 16 * 1024 } as const;
export const HASH_IN_FLIGHT = 64;
/** The seed of the read plan and of the hash tree's sizes and bytes. */
export const PROGRAM_SEED = 16;

/** xorshift32 from seed: the programs' sizes, offsets and file bytes, the same on every run. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The two shapes a fresh-read or hash child times, in this order: the ratio is the second's time over the first's. */
export const SHAPES = { "fresh-read": ["reused", "fresh"], hash: ["prelisted", "streamed"] } as const;

export interface ProgramCase {
  program: ProgramName;
  /** The program's name: each program's rounds run back to back. */
  group: string;
  /** fresh-read: reads per pass; hash: files; startup: processes per runner. */
  count: number;
  /** Requests in flight (startup: 1). */
  inFlight: number;
}

/**
 * The programs of a suite: every one in programs and full, none in quick,
 * which stays a throughput check of about 75 s (the programs take about as
 * long again, and hash writes its 20,000 files first).
 */
export function suitePrograms(suite: Suite): ProgramName[] {
  return suite === "quick" ? [] : [...PROGRAMS];
}

export function programCase(program: ProgramName, sizes: ProgramSizes = PROGRAM_SIZES): ProgramCase {
  switch (program) {
    case "fresh-read":
      return { program, group: program, count: sizes.reads, inFlight: READ_IN_FLIGHT };
    case "hash":
      return { program, group: program, count: sizes.hashFiles, inFlight: HASH_IN_FLIGHT };
    case "startup":
      return { program, group: program, count: sizes.spawns, inFlight: 1 };
  }
}

const thousands = (n: number) => n.toLocaleString("en-US");

/** What a program's rows are called, e.g. "hash 20,000 files of 1–16 KiB, 64 in flight". */
export function programLabel(c: ProgramCase): string {
  switch (c.program) {
    case "fresh-read":
      return `fresh-buffer reads: ${thousands(c.count)} page-cache reads of ${READ_BYTES.min}–${READ_BYTES.max} B, ${c.inFlight} in flight`;
    case "hash":
      return `hash ${thousands(c.count)} files of 1–16 KiB, ${c.inFlight} in flight, open → statx → read → close`;
    case "startup":
      return `startup: import → first completed op, ${c.count} processes`;
  }
}

/** The runners of the program cases: the asked-for implementations that programs have; Bun's, then Deno's, uringshim before node:fs. */
export function programRunners(impls: readonly Impl[], runtimes: readonly JsRuntime[]): Runner[] {
  const out: Runner[] = [];
  for (const rt of ["bun", "deno"] as const) {
    if (!runtimes.includes(rt)) continue;
    for (const impl of PROGRAM_IMPLS) if (impls.includes(impl)) out.push({ impl, runtime: rt, key: `${rt}-${impl}` });
  }
  return out;
}

/** The runtime of a program runner (always Bun or Deno). */
function jsRuntime(r: Runner): JsRuntime {
  if (r.runtime !== "bun" && r.runtime !== "deno") throw new Error(`the programs run under Bun or Deno, not ${r.runtime}`);
  return r.runtime;
}

/** A program runner's name in tables: "Bun uringshim", "Deno node:fs". */
export function programRunnerLabel(r: Runner): string {
  return `${r.runtime === "bun" ? "Bun" : "Deno"} ${r.impl === "promise" ? "uringshim" : "node:fs"}`;
}

// ---- the children's command lines ----------------------------------------------------

/** What the program children need from the run: the read file, the hash tree, the module startup imports. */
export interface ProgramEnv {
  programs: Programs;
  readFile: string | null;
  hashDir: string | null;
  /** Per runtime: what startup imports for `import "uringshim"` (locate.ts packageEntry). */
  entry: Record<JsRuntime, Entry>;
}

/** The module startup imports, as a file:// URL, and what it is ("dist/runtime-bun/uringshim.js"); or why there is none. */
export type Entry = { url: string; what: string } | { missing: string };

/** The command line of a fresh-read or hash run. */
export function programArgs(runner: Runner, c: ProgramCase, env: ProgramEnv): Built {
  const b = scriptCommand(jsRuntime(runner), env.programs, env.programs.program);
  if ("unsupported" in b) return b;
  const args = [...b.args, "--program", c.program, "--impl", runner.impl, "--in-flight", `${c.inFlight}`];
  if (c.program === "fresh-read") {
    if (env.readFile === null) return { unsupported: "no data file" };
    args.push("--file", env.readFile, "--reads", `${c.count}`);
  } else if (c.program === "hash") {
    if (env.hashDir === null) return { unsupported: "no file tree" };
    args.push("--dir", env.hashDir, "--files", `${c.count}`);
  } else {
    throw new Error("startup runs are built by startupArgs");
  }
  return { cmd: b.cmd, args };
}

/** The two command lines of a startup run: the script doing nothing, then the runner's. */
export function startupArgs(runner: Runner, env: ProgramEnv): { empty: Built; real: Built } {
  const rt = jsRuntime(runner);
  const b = scriptCommand(rt, env.programs, env.programs.startup);
  if ("unsupported" in b) return { empty: b, real: b };
  const empty = { cmd: b.cmd, args: [...b.args, "--impl", "empty"] };
  if (runner.impl !== "promise") return { empty, real: { cmd: b.cmd, args: [...b.args, "--impl", runner.impl] } };
  const entry = env.entry[rt];
  if ("missing" in entry) return { empty, real: { unsupported: entry.missing } };
  return { empty, real: { cmd: b.cmd, args: [...b.args, "--impl", runner.impl, "--module", entry.url] } };
}

// ---- what the children print ---------------------------------------------------------------

/** One timed pass of a shape in a fresh-read or hash child. */
export interface TimedPass {
  ms: number;
  /** Operations of the pass (reads; hash: open + statx + reads + close per file). */
  ops: number;
  /** io_uring_enter calls the ring made during the pass (ring.enters after minus before); null for node:fs. */
  enters: number | null;
}

/** The order of a child's timed passes: A B B A, so a drift over the run weighs on both shapes' means alike. */
export const PASS_ORDER = [0, 1, 1, 0] as const;

/** One program run, whatever the child printed, as named measurements (see program-report.ts for their columns). */
export interface ProgramRun {
  /** ms, counts and ratios by name; null where the implementation has none (node:fs makes no io_uring_enter). */
  metrics: Record<string, number | null>;
  /** hash: the digest of the tree. */
  digest: string | null;
  /** fresh-read: the reads checked against the file. */
  verified: boolean | null;
  mode: string | null;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function timedShape(raw: Record<string, unknown>, shape: string): { ms: number; ops: number; enters: number | null } {
  const s = (raw.shapes as Record<string, unknown> | undefined)?.[shape] as Record<string, unknown> | undefined;
  const ms = Array.isArray(s?.ms) ? (s.ms as unknown[]).map(num) : [];
  const ops = num(s?.ops);
  if (ms.length === 0 || ms.some((x) => x === null || x <= 0) || ops === null || ops <= 0) {
    throw new Error(`child result without the times of "${shape}": ${JSON.stringify(raw).slice(0, 200)}`);
  }
  const enters = Array.isArray(s?.enters) ? (s.enters as unknown[]).map(num) : null;
  return {
    ms: mean(ms as number[]),
    ops,
    enters: enters === null || enters.some((e) => e === null) ? null : mean(enters as number[]),
  };
}

/** A fresh-read or hash child's line as a ProgramRun: each shape's mean time over its passes, their ratio, enters per op. Throws on a line without them. */
export function programRun(program: "fresh-read" | "hash", raw: Record<string, unknown>): ProgramRun {
  const [a, b] = SHAPES[program];
  const first = timedShape(raw, a);
  const second = timedShape(raw, b);
  const perOp = (s: typeof first) => (s.enters === null ? null : s.enters / s.ops);
  return {
    metrics: {
      [`${a}Ms`]: first.ms,
      [`${b}Ms`]: second.ms,
      ratio: second.ms / first.ms,
      ops: first.ops,
      [`${a}EntersPerOp`]: perOp(first),
      [`${b}EntersPerOp`]: perOp(second),
    },
    digest: typeof raw.digest === "string" ? raw.digest : null,
    verified: typeof raw.verified === "boolean" ? raw.verified : null,
    mode: typeof raw.mode === "string" ? raw.mode : null,
  };
}

/**
 * A startup run as a ProgramRun from its two children's lines and the
 * parent's clocks: spawnedAt (epoch ms, just before each spawn) and the
 * wall time of each process, spawn to exit.
 */
export function startupRun(
  empty: { raw: Record<string, unknown>; spawnedAt: number; wallMs: number },
  real: { raw: Record<string, unknown>; spawnedAt: number; wallMs: number },
  mode: string | null,
): ProgramRun {
  const started = (x: typeof empty) => {
    const at = num(x.raw.startEpochMs);
    if (at === null) throw new Error(`startup child without startEpochMs: ${JSON.stringify(x.raw).slice(0, 200)}`);
    return at - x.spawnedAt;
  };
  const importMs = num(real.raw.importMs);
  const firstOpMs = num(real.raw.firstOpMs);
  const totalMs = num(real.raw.totalMs);
  if (importMs === null || firstOpMs === null || totalMs === null) {
    throw new Error(`startup child without importMs, firstOpMs and totalMs: ${JSON.stringify(real.raw).slice(0, 200)}`);
  }
  return {
    metrics: {
      emptyStartMs: started(empty),
      emptyWallMs: empty.wallMs,
      startMs: started(real),
      importMs,
      openMs: num(real.raw.openMs),
      firstOpMs,
      totalMs,
      wallMs: real.wallMs,
      extraWallMs: real.wallMs - empty.wallMs,
    },
    digest: null,
    verified: null,
    mode,
  };
}
