// bench/types.ts: the shapes the bench's parts pass to each other.

import { IMPLS as JS_IMPLS, WORKLOADS, type Workload, type WorkloadShape } from "./shim-common.ts";

/** The workloads the children take (bench/shim-common.ts holds the list). */
export { WORKLOADS, type Workload };

/** Implementations, in the order they run within a round: C, the JS child's, fio. */
export const IMPLS = ["c", ...JS_IMPLS, "fio"] as const;
export type Impl = (typeof IMPLS)[number];

export type JsRuntime = "bun" | "deno";
/** The program a run is: ref-bench, the shim under a runtime, or fio. */
export type ChildRuntime = "c" | JsRuntime | "fio";

/** One workload configuration (bs and qd 0 for nop): every runner that applies runs it once per round. */
export interface Case extends WorkloadShape {
  /** Cases of one group run back to back within each round. */
  group: string;
}

export interface Runner {
  impl: Impl;
  runtime: ChildRuntime;
  /** Unique name, e.g. "c", "bun-batch", "deno-fs-sync", "fio". */
  key: string;
}

export interface Latency {
  p50Ns: number | null;
  p99Ns: number | null;
  p999Ns: number | null;
  samples: number;
}

/** One child run, whatever the child printed, in one shape (see children.ts normalize()). */
export interface RunResult {
  ops: number;
  seconds: number;
  bytes: number;
  iops: number;
  /** MB/s (10^6 bytes); null for nop. */
  mbps: number | null;
  /** user + sys CPU µs per op, null when the child did not say. */
  cpuPerOpUs: number | null;
  latency: Latency | null;
  verified: boolean | null;
  mode: string | null;
}

/** What one runner did on one case over all rounds (report.ts prints it, --json emits it). */
export interface Result {
  case: Case;
  label: string;
  runner: Runner;
  /** Rounds that produced a result / rounds attempted. */
  roundsOk: number;
  rounds: number;
  iops: number | null;
  mbps: number | null;
  p50Ns: number | null;
  p99Ns: number | null;
  p999Ns: number | null;
  cpuPerOpUs: number | null;
  /** Median of the per-round ratios of IOPS to C's (null for C itself when no C ran, or when C failed). */
  ratioToC: number | null;
  verified: boolean | null;
  mode: string | null;
  pinned: boolean;
  /** Why the runner did not run (skipped) or failed, if so. */
  note: string | null;
  /** Per round: the run's result, or null (failed). */
  perRound: (RunResult | null)[];
}

/** The machine and the method, printed above every report. */
export interface Header {
  /** The command line, e.g. "uringshim-bench --suite full --markdown". */
  command: string;
  kernel: string;
  cpu: string;
  cores: number;
  runtimes: Record<string, string>;
  fio: string;
  disk: string | null;
  pinned: boolean;
  pinNote: string;
  rounds: number;
  durationMs: number;
  warmupMs: number;
  suite: string;
  /** Throughput cases in the run (0: programs only, no timed duration to print). */
  ioCases?: number;
  /** The programs run and their sizes, e.g. "fresh-buffer reads: …; startup: …", or null. */
  programs?: string | null;
  /** --compat: the kernel features the JS rings went without. */
  compat?: string | null;
  file: string | null;
  date: string;
}
