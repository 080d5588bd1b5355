// bench/program-report.ts: the program cases' results (programs.ts): the
// rounds summed up per (case, runner), their tables (for the human table
// and the Markdown, report.ts prints them), their JSON, and the targets
// they measure. Pure.
import type { Raw } from "./orchestrate.ts";
import { type ProgramCase, programLabel, type ProgramName, programRunnerLabel, type ProgramRun } from "./programs.ts";
import { median, pairedRatios } from "./stats.ts";
import type { TargetCheck } from "./targets.ts";
import type { Runner } from "./types.ts";

export interface ProgramResult {
  case: ProgramCase;
  label: string;
  runner: Runner;
  roundsOk: number;
  rounds: number;
  /** Per metric, the median over the rounds (a ratio: the median of the rounds' ratios). */
  metrics: Record<string, number | null>;
  /** uringshim rows, per time metric: the median of the per-round ratios node:fs's time / this one's (above 1: uringshim is faster). */
  vsFs: Record<string, number | null>;
  verified: boolean | null;
  digest: string | null;
  mode: string | null;
  pinned: boolean;
  /** Why rounds failed, if any did. */
  note: string | null;
  perRound: (ProgramRun | null)[];
}

/** The time metrics compared with node:fs in the same rounds. */
const VS_FS: Record<ProgramName, readonly string[]> = {
  "fresh-read": ["reusedMs", "freshMs"],
  hash: ["prelistedMs", "streamedMs"],
  startup: [],
};

const orNull = (v: number | undefined): number | null => (v === undefined ? null : v);

export function summarizePrograms(raws: readonly Raw<ProgramCase, ProgramRun>[], pinned: boolean): ProgramResult[] {
  const valuesOf = (raw: Raw<ProgramCase, ProgramRun>, k: string) => raw.perRound.map((r) => r?.metrics[k] ?? null);
  return raws.map((raw) => {
    const ok = raw.perRound.filter((r): r is ProgramRun => r !== null);
    const keys = [...new Set(ok.flatMap((r) => Object.keys(r.metrics)))];
    const metrics = Object.fromEntries(keys.map((k) => [k, orNull(median(valuesOf(raw, k)))]));
    const fs = raw.runner.impl === "promise"
      ? raws.find((x) => x.case === raw.case && x.runner.runtime === raw.runner.runtime && x.runner.impl === "fs-async")
      : undefined;
    const vsFs = fs === undefined
      ? {}
      : Object.fromEntries(VS_FS[raw.case.program].map((k) => [k, orNull(median(pairedRatios(valuesOf(fs, k), valuesOf(raw, k))))]));
    const firstError = raw.errors.find((e) => e !== null) ?? null;
    const failed = raw.errors.filter((e) => e !== null).length;
    const digests = [...new Set(ok.map((r) => r.digest).filter((d): d is string => d !== null))];
    const modes = [...new Set(ok.map((r) => r.mode).filter((m): m is string => m !== null))];
    return {
      case: raw.case,
      label: programLabel(raw.case),
      runner: raw.runner,
      roundsOk: ok.length,
      rounds: raw.perRound.length,
      metrics,
      vsFs,
      verified: ok.length === 0 || ok.every((r) => r.verified === null) ? null : ok.every((r) => r.verified === true),
      digest: digests.length === 1 ? digests[0] : null,
      mode: modes.length > 0 ? modes.join(",") : null,
      pinned,
      note: firstError === null ? null : `${failed} of ${raw.perRound.length} round(s) failed: ${firstError}`,
      perRound: [...raw.perRound],
    };
  });
}

// ---- cells ----------------------------------------------------------------------------------

export function formatMs(v: number | null | undefined): string {
  if (v === null || v === undefined) return "-";
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ms`;
}
const formatX = (v: number | null | undefined) => (v === null || v === undefined ? "-" : `${v.toFixed(2)}x`);
const formatPerOp = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(v >= 1 ? 2 : 3));
const formatCount = (v: number | null | undefined) => (v === null || v === undefined ? "-" : Math.round(v).toLocaleString("en-US"));
const formatPlusMs = (v: number | null | undefined) => (v === null || v === undefined ? "-" : `${v >= 0 ? "+" : ""}${formatMs(v)}`);

interface Column {
  head: string;
  cell(r: ProgramResult): string;
}

const m = (k: string, f: (v: number | null | undefined) => string): ((r: ProgramResult) => string) => (r) => f(r.metrics[k]);
const vs = (k: string): ((r: ProgramResult) => string) => (r) => (r.runner.impl === "promise" ? formatX(r.vsFs[k]) : "");

const COLUMNS: Record<ProgramName, Column[]> = {
  "fresh-read": [
    { head: "reused", cell: m("reusedMs", formatMs) },
    { head: "fresh", cell: m("freshMs", formatMs) },
    { head: "fresh / reused", cell: m("ratio", formatX) },
    { head: "reused vs node:fs", cell: vs("reusedMs") },
    { head: "fresh vs node:fs", cell: vs("freshMs") },
    { head: "enters/op reused", cell: m("reusedEntersPerOp", formatPerOp) },
    { head: "enters/op fresh", cell: m("freshEntersPerOp", formatPerOp) },
  ],
  hash: [
    { head: "pre-listed", cell: m("prelistedMs", formatMs) },
    { head: "streamed", cell: m("streamedMs", formatMs) },
    { head: "streamed / pre-listed", cell: m("ratio", formatX) },
    { head: "pre-listed vs node:fs", cell: vs("prelistedMs") },
    { head: "streamed vs node:fs", cell: vs("streamedMs") },
    { head: "ops", cell: m("ops", formatCount) },
    { head: "enters/op pre-listed", cell: m("prelistedEntersPerOp", formatPerOp) },
    { head: "enters/op streamed", cell: m("streamedEntersPerOp", formatPerOp) },
  ],
  startup: [
    { head: "import", cell: m("importMs", formatMs) },
    { head: "Ring.open", cell: m("openMs", formatMs) },
    { head: "first op", cell: m("firstOpMs", formatMs) },
    { head: "import → first op", cell: m("totalMs", formatMs) },
    { head: "spawn → script", cell: m("startMs", formatMs) },
    { head: "… empty script", cell: m("emptyStartMs", formatMs) },
    { head: "process", cell: m("wallMs", formatMs) },
    { head: "… empty script", cell: m("emptyWallMs", formatMs) },
    { head: "process − empty", cell: m("extraWallMs", formatPlusMs) },
  ],
};

export const PROGRAM_LEGEND =
  "Programs: fixed work timed whole, medians over rounds; uringshim is the promise API, node:fs the runtime's node:fs/promises. " +
  "fresh-read and hash: each process warms up each shape, then times them A B B A; a shape's time is the mean of its two passes. " +
  "x / y: the ratio of the two shapes' times (median of the rounds'). vs node:fs: node:fs's time over uringshim's in the same round " +
  "(median of the rounds'; above 1: uringshim is faster). enters/op: io_uring_enter calls per operation (ring.enters). " +
  "startup: import, Ring.open and the first nop() (node:fs: its first stat()) timed in a fresh process; spawn → script: from spawn " +
  "to the script's first line; process: spawn to exit; the empty script is the same file doing nothing, in the same round. " +
  "✓: reads matched the file / the digest matched the tree's.";

/** One table per program: its label, header cells and rows (the runner first), and notes (what startup imported, failures). */
export function programTables(results: readonly ProgramResult[]): { title: string; head: string[]; rows: string[][]; notes: string[] }[] {
  const byCase = new Map<ProgramCase, ProgramResult[]>();
  for (const r of results) byCase.set(r.case, [...(byCase.get(r.case) ?? []), r]);
  return [...byCase].map(([c, rs]) => ({
    title: programLabel(c),
    head: ["implementation", ...COLUMNS[c.program].map((col) => col.head)],
    rows: rs.map((r) => {
      const mark = r.verified === true ? " ✓" : r.verified === false ? " ✗" : "";
      const rounds = r.roundsOk === 0 ? " FAILED" : r.roundsOk < r.rounds ? ` (${r.roundsOk}/${r.rounds})` : "";
      return [programRunnerLabel(r.runner) + mark + rounds, ...COLUMNS[c.program].map((col) => (r.roundsOk === 0 ? "-" : col.cell(r)))];
    }),
    notes: rs.filter((r) => r.mode !== null).map((r) => `${programRunnerLabel(r.runner)}: ${r.mode}`),
  }));
}

/** One result as its --json object. */
export function programJson(r: ProgramResult) {
  return {
    program: r.case.program,
    label: r.label,
    impl: r.runner.impl,
    runtime: r.runner.runtime,
    runner: r.runner.key,
    count: r.case.count,
    inFlight: r.case.inFlight,
    metrics: r.metrics,
    vsNodeFs: r.vsFs,
    rounds: r.rounds,
    roundsOk: r.roundsOk,
    pinned: r.pinned,
    verified: r.verified,
    digest: r.digest,
    mode: r.mode,
    error: r.note,
    perRound: r.perRound.map((x) => (x === null ? null : { ...x.metrics, digest: x.digest })),
  };
}

// ---- targets -----------------------------------------------------------------------------------

/** The program targets with at least one runtime measured: fresh buffers ≤ 1.3x reused, startup ≤ 20 ms. */
export function programTargets(results: readonly ProgramResult[]): TargetCheck[] {
  const specs = [
    { program: "fresh-read", key: "ratio", target: "fresh-buffer reads, promise API: fresh / reused time", wanted: "≤ 1.30x", threshold: 1.3 },
    { program: "startup", key: "totalMs", target: "startup, uringshim: import → first completed op", wanted: "≤ 20 ms", threshold: 20 },
  ] as const;
  const out: TargetCheck[] = [];
  for (const s of specs) {
    const check: TargetCheck = { target: s.target, wanted: s.wanted, threshold: s.threshold };
    for (const rt of ["bun", "deno"] as const) {
      const r = results.find((x) => x.case.program === s.program && x.runner.key === `${rt}-promise` && x.roundsOk > 0);
      const value = r?.metrics[s.key];
      if (value !== null && value !== undefined) check[rt] = { value, met: value <= s.threshold };
    }
    if (check.bun !== undefined || check.deno !== undefined) out.push(check);
  }
  return out;
}
