// bench/suites.ts: which cases a run measures and which implementations
// apply to each. Pure: no I/O.
//
// Batch rule (the suites' and the default for custom runs): NOP submits
// `batch` NOPs per io_uring_enter and waits for all of them; page-cache I/O
// keeps QD requests in flight and waits for min(QD, 32) completions per
// enter; O_DIRECT I/O waits for one (batch 1: each enter submits what is
// pending and returns as soon as a completion is there, like fio's default).
import type { Case, Impl, JsRuntime, Runner, Workload } from "./types.ts";
import { IMPLS } from "./types.ts";

export const SUITES = ["quick", "full", "programs"] as const;
export type Suite = (typeof SUITES)[number];

/**
 * Per-suite defaults: rounds and the timed duration of each run (JS
 * children warm up warmupMs first). The programs (programs.ts) do fixed
 * work instead; programs.ts suitePrograms says which suites have them.
 */
export const SUITE_DEFAULTS: Record<Suite, { rounds: number; durationMs: number; warmupMs: number }> = {
  quick: { rounds: 3, durationMs: 300, warmupMs: 100 },
  full: { rounds: 5, durationMs: 1000, warmupMs: 200 },
  programs: { rounds: 3, durationMs: 300, warmupMs: 100 },
};


export const FSYNC_EVERY = 32;
export const MIXED_READ_PCT = 70;

export interface CaseOptions {
  bs?: number;
  qd?: number;
  batch?: number;
  direct?: boolean;
  fixed?: boolean;
  files?: boolean;
  sqpoll?: boolean;
  submitEach?: boolean;
  fsyncEvery?: number;
  readPct?: number;
  group?: string;
}

export const isWrite = (w: Workload): boolean => w === "randwrite" || w === "seqwrite" || w === "mixed";

/** The default batch for a workload at a queue depth (see the batch rule above). */
export function defaultBatch(workload: Workload, qd: number, direct: boolean): number {
  if (workload === "nop") return 32;
  return direct ? 1 : Math.min(qd, 32);
}

/** A case with the defaults filled in (nop: bs and qd 0). */
export function makeCase(workload: Workload, o: CaseOptions = {}): Case {
  const nop = workload === "nop";
  const qd = nop ? 0 : (o.qd ?? 32);
  const direct = !nop && (o.direct ?? false);
  return {
    workload,
    bs: nop ? 0 : (o.bs ?? 4096),
    qd,
    batch: o.batch ?? defaultBatch(workload, qd, direct),
    direct,
    fixed: o.fixed ?? false,
    files: o.files ?? false,
    sqpoll: o.sqpoll ?? false,
    submitEach: !nop && (o.submitEach ?? false),
    fsyncEvery: isWrite(workload) ? (o.fsyncEvery ?? 0) : 0,
    readPct: workload === "mixed" ? (o.readPct ?? MIXED_READ_PCT) : 0,
    group: o.group ?? workload,
  };
}

/** "4K", "128K", "1M", or bytes. */
export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)}M`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}K`;
  return `${bytes}`;
}

/** What a case's row is called, e.g. "randread 4K QD 32 direct, fixed+files". */
export function caseLabel(c: Case): string {
  if (c.workload === "nop") return `nop batch ${c.batch}${c.sqpoll ? ", sqpoll" : ""}`;
  const opts: string[] = [c.direct ? "direct" : "page cache"];
  if (c.fixed && c.files) opts.push("fixed+files");
  else if (c.fixed) opts.push("fixed");
  else if (c.files) opts.push("files");
  if (c.sqpoll) opts.push("sqpoll");
  if (c.submitEach) opts.push("submit each");
  if (c.fsyncEvery > 0) opts.push(`fsync/${c.fsyncEvery}`);
  if (c.workload === "mixed") opts.push(`${c.readPct}% reads`);
  const batch = c.batch !== defaultBatch(c.workload, c.qd, c.direct) ? ` batch ${c.batch}` : "";
  return `${c.workload} ${formatSize(c.bs)} QD ${c.qd}${batch} ${opts.join(", ")}`;
}

/** Why impl does not apply to c (printed once per case), or null when it applies. */
export function notApplicable(impl: Impl, c: Case): string | null {
  switch (impl) {
    case "c":
    case "batch":
      return null;
    case "promise":
      return c.submitEach ? "the promise API submits together what one macrotask started" : null;
    case "fs-sync":
    case "fs-async":
    case "native-file":
      // O_DIRECT: the child decides (native-file refuses it, exit 2, saying why).
      if (c.workload === "nop") return "no NOP in a runtime's fs";
      if (c.fixed || c.files || c.sqpoll) return "no registered buffers, files or SQPOLL in a runtime's fs";
      if (c.submitEach) return "a runtime's fs has no submission to choose";
      return null;
    case "fio":
      return c.workload === "nop" ? "fio has no NOP workload" : null;
  }
}

/** Every runner asked for, in the order they run within a round: c, batch, promise, fs…, fio; Bun before Deno. */
export function runnersFor(impls: readonly Impl[], runtimes: readonly JsRuntime[]): Runner[] {
  const out: Runner[] = [];
  for (const impl of IMPLS) {
    if (!impls.includes(impl)) continue;
    if (impl === "c") out.push({ impl, runtime: "c", key: "c" });
    else if (impl === "fio") out.push({ impl, runtime: "fio", key: "fio" });
    else for (const rt of runtimes) out.push({ impl, runtime: rt, key: `${rt}-${impl}` });
  }
  return out;
}

/** A runner's name in tables: "C", "Bun batch", "Deno fs-async", "fio". */
export function runnerLabel(r: Runner): string {
  if (r.runtime === "c") return "C";
  if (r.runtime === "fio") return "fio";
  return `${r.runtime === "bun" ? "Bun" : "Deno"} ${r.impl}`;
}

/** The throughput cases of a suite, in run order. */
export function suiteCases(suite: Suite): Case[] {
  const cases: Case[] = [];
  if (suite === "programs") return cases;
  const nop = (batch: number, sqpoll = false) => cases.push(makeCase("nop", { batch, sqpoll, group: "nop" }));
  if (suite === "quick") {
    for (const b of [1, 32, 128]) nop(b);
    cases.push(makeCase("randread", { qd: 32, group: "page cache" }));
    for (const fixed of [false, true]) cases.push(makeCase("randread", { qd: 32, direct: true, fixed, group: "direct" }));
    cases.push(makeCase("randread", { qd: 32, direct: true, submitEach: true, group: "direct" }));
    return cases;
  }
  for (const b of [1, 8, 32, 128]) nop(b);
  nop(32, true);
  for (const qd of [1, 8, 32, 128]) cases.push(makeCase("randread", { qd, group: "page cache" }));
  cases.push(makeCase("randread", { qd: 32, sqpoll: true, group: "page cache" }));
  for (const qd of [1, 32]) {
    for (const [fixed, files] of [[false, false], [true, false], [true, true]]) {
      cases.push(makeCase("randread", { qd, direct: true, fixed, files, group: `direct QD ${qd}` }));
    }
  }
  for (const [fixed, files] of [[false, false], [true, true]]) {
    cases.push(makeCase("randread", { qd: 32, direct: true, fixed, files, submitEach: true, group: "direct QD 32" }));
  }
  cases.push(makeCase("randread", { qd: 32, direct: true, sqpoll: true, group: "direct QD 32" }));
  for (const fixed of [false, true]) cases.push(makeCase("seqread", { bs: 128 * 1024, qd: 32, direct: true, fixed, group: "seqread" }));
  cases.push(makeCase("randwrite", { qd: 32, direct: true, fsyncEvery: FSYNC_EVERY, group: "randwrite" }));
  return cases;
}

/** Every combination of the listed values (the custom set that workload options give). */
export function customCases(
  workloads: readonly Workload[],
  bss: readonly (number | undefined)[],
  qds: readonly (number | undefined)[],
  batches: readonly (number | undefined)[],
  flags: Omit<CaseOptions, "bs" | "qd" | "batch" | "group">,
): Case[] {
  const out: Case[] = [];
  const seen = new Set<string>();
  for (const w of workloads) {
    for (const bs of bss) {
      for (const qd of qds) {
        for (const batch of batches) {
          const c = makeCase(w, { ...flags, bs, qd, batch, group: w });
          const key = JSON.stringify(c);
          if (!seen.has(key)) {
            seen.add(key);
            out.push(c);
          }
        }
      }
    }
  }
  return out;
}

/** Whether the case reads a page-cached file (the cache is re-warmed right before its runs). */
export const usesPageCache = (c: Case): boolean => c.workload !== "nop" && !c.direct;
/** Whether the case needs the data file at all. */
export const usesFile = (c: Case): boolean => c.workload !== "nop";
