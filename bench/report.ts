// bench/report.ts: results as a human table (cli-table3), a JSON document
// and Markdown: the throughput cases here, the programs' tables from
// program-report.ts. Pure: strings in, strings out.
import Table from "cli-table3";
import type { Header, Result, RunResult } from "./types.ts";
import { runnerLabel } from "./suites.ts";
import { pairedRatios, spread } from "./stats.ts";
import { checkTargets, type TargetCheck, TARGETS_HEAD, TARGETS_NOTE, targetRows } from "./targets.ts";
import { PROGRAM_LEGEND, programJson, type ProgramResult, programTables, programTargets } from "./program-report.ts";
import { programRunnerLabel } from "./programs.ts";

/** A runner that did not run a case, and why. */
export interface Skip {
  label: string;
  runner: string;
  reason: string;
}

// ---- numbers -------------------------------------------------------------------------

export function formatIops(v: number | null): string {
  if (v === null) return "-";
  if (v >= 999.5e3) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 99.95e3) return `${(v / 1e3).toFixed(0)}K`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}K`;
  return v.toFixed(0);
}

export function formatNs(ns: number | null): string {
  if (ns === null) return "-";
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e4) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e5 ? 1 : 0)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

export const formatRatio = (v: number | null): string => (v === null ? "-" : `${v.toFixed(2)}x`);
const formatMbps = (v: number | null): string => (v === null ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const formatCpu = (v: number | null): string => (v === null ? "-" : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const formatSpread = (r: Result): string => {
  const s = spread(r.perRound.map((x) => (x === null ? null : x.iops)));
  return s === undefined || r.roundsOk < 2 ? "-" : `±${((s / 2) * 100).toFixed(0)}%`;
};

// ---- header --------------------------------------------------------------------------

export function headerLines(h: Header): string[] {
  const rt = Object.entries(h.runtimes).map(([k, v]) => `${k} ${v}`).join(" · ");
  const timed = h.ioCases === 0 ? "" : ` × ${h.durationMs} ms (JS runs warm up ${h.warmupMs} ms first)`;
  return [
    `uringshim-bench: ${h.suite} · ${h.rounds} round(s)${timed} · implementations alternate within each round`,
    ...(h.programs ? [`programs: ${h.programs}`] : []),
    `kernel ${h.kernel} · ${h.cpu} (${h.cores} CPUs) · ${rt} · ${h.fio}`,
    h.pinNote,
    ...(h.compat ? [`compat: the JS rings (batch, promise) ran without ${h.compat}; C and fio use every feature`] : []),
    ...(h.file ? [`data: ${h.file}${h.disk ? ` (${h.disk})` : ""}`] : []),
  ];
}

// ---- JSON ------------------------------------------------------------------------------

function roundJson(r: RunResult | null, ratio: number | null) {
  if (r === null) return null;
  return {
    iops: r.iops,
    mbps: r.mbps,
    p50Ns: r.latency?.p50Ns ?? null,
    p99Ns: r.latency?.p99Ns ?? null,
    p999Ns: r.latency?.p999Ns ?? null,
    latencySamples: r.latency?.samples ?? null,
    cpuPerOpUs: r.cpuPerOpUs,
    ops: r.ops,
    seconds: r.seconds,
    ratioToC: ratio,
    verified: r.verified,
  };
}

/** One result as its --json object. all: every result of the run (for the C run of each round). */
export function resultJson(r: Result, all: readonly Result[]) {
  const c = all.find((x) => x.case === r.case && x.runner.runtime === "c");
  const ratios = c ? pairedRatios(r.perRound.map((x) => x?.iops), c.perRound.map((x) => x?.iops)) : r.perRound.map(() => null);
  return {
    workload: r.case.workload,
    label: r.label,
    impl: r.runner.impl,
    runtime: r.runner.runtime,
    runner: r.runner.key,
    options: {
      bs: r.case.bs,
      qd: r.case.qd,
      batch: r.case.batch,
      direct: r.case.direct,
      fixedBuffers: r.case.fixed,
      registeredFiles: r.case.files,
      sqpoll: r.case.sqpoll,
      submitEach: r.case.submitEach,
      fsyncEvery: r.case.fsyncEvery,
      readPct: r.case.readPct,
    },
    iops: r.iops,
    mbps: r.mbps,
    latency: r.p50Ns === null && r.p99Ns === null && r.p999Ns === null ? null : { p50Ns: r.p50Ns, p99Ns: r.p99Ns, p999Ns: r.p999Ns },
    cpuPerOpUs: r.cpuPerOpUs,
    ratioToC: r.ratioToC,
    rounds: r.rounds,
    roundsOk: r.roundsOk,
    pinned: r.pinned,
    verified: r.verified,
    mode: r.mode,
    error: r.note,
    perRound: r.perRound.map((x, i) => roundJson(x, ratios[i])),
  };
}

export type ResultJson = ReturnType<typeof resultJson>;

/** Every target measured: the throughput cases' and the programs'. */
function allTargets(results: readonly Result[], programs: readonly ProgramResult[]): TargetCheck[] {
  return [...checkTargets(results), ...programTargets(programs)];
}

export function toJson(header: Header, results: readonly Result[], skipped: readonly Skip[], programs: readonly ProgramResult[] = []): string {
  return JSON.stringify({
    header,
    results: results.map((r) => resultJson(r, results)),
    programs: programs.map(programJson),
    skipped,
    targets: allTargets(results, programs),
  }, null, 2);
}

// ---- tables ----------------------------------------------------------------------------

const COLUMNS = ["case", "impl", "IOPS", "MB/s", "p50", "p99", "p99.9", "CPU µs/op", "vs C", "spread"];

function row(r: Result, first: boolean): string[] {
  const failed = r.roundsOk === 0;
  return [
    first ? r.label : "",
    runnerLabel(r.runner) + (r.verified === true ? " ✓" : r.verified === false ? " ✗" : ""),
    failed ? "FAILED" : formatIops(r.iops),
    formatMbps(r.mbps),
    formatNs(r.p50Ns),
    formatNs(r.p99Ns),
    formatNs(r.p999Ns),
    formatCpu(r.cpuPerOpUs),
    formatRatio(r.ratioToC),
    formatSpread(r) + (r.roundsOk < r.rounds && !failed ? ` (${r.roundsOk}/${r.rounds})` : ""),
  ];
}

/** Results grouped by case group, in order. */
function byGroup(results: readonly Result[]): Map<string, Result[]> {
  const m = new Map<string, Result[]>();
  for (const r of results) {
    const g = m.get(r.case.group) ?? [];
    g.push(r);
    m.set(r.case.group, g);
  }
  return m;
}

/** The skips, one line per reason: "Bun fs-sync, Deno fs-sync on 3 case(s): reason". */
export function skipLines(skipped: readonly Skip[]): string[] {
  const byReason = new Map<string, { runners: Set<string>; cases: Set<string> }>();
  for (const s of skipped) {
    const e = byReason.get(s.reason) ?? { runners: new Set(), cases: new Set() };
    e.runners.add(s.runner);
    e.cases.add(s.label);
    byReason.set(s.reason, e);
  }
  return [...byReason].map(([reason, e]) => `${[...e.runners].join(", ")} (${e.cases.size} case${e.cases.size > 1 ? "s" : ""}): ${reason}`);
}

export const LEGEND =
  "IOPS, MB/s, latency and CPU: medians over rounds. p50/p99/p99.9: per-op completion latency (submit to reap). " +
  "CPU µs/op: user + sys CPU of the process per op. vs C: median of the per-round ratios of IOPS to the C run of the same round. " +
  "spread: half the range of the rounds' IOPS around the median. ✓: every buffer read held the file's pattern.";

/** Every failed result, as "label / runner: why". */
function failures(results: readonly Result[], programs: readonly ProgramResult[]): string[] {
  return [
    ...results.filter((r) => r.note !== null).map((r) => `${r.label} / ${runnerLabel(r.runner)}: ${r.note}`),
    ...programs.filter((r) => r.note !== null).map((r) => `${r.label} / ${programRunnerLabel(r.runner)}: ${r.note}`),
  ];
}

/** The fio-like human report: header, one table per group and per program, legend, skips and failures. */
export function toTable(header: Header, results: readonly Result[], skipped: readonly Skip[], programs: readonly ProgramResult[] = []): string {
  const out: string[] = [...headerLines(header)];
  for (const [group, rs] of byGroup(results)) {
    const t = new Table({
      head: COLUMNS,
      style: { head: [], border: [], compact: true },
      colAligns: ["left", "left", "right", "right", "right", "right", "right", "right", "right", "right"],
    });
    let last = "";
    for (const r of rs) {
      t.push(row(r, r.label !== last));
      last = r.label;
    }
    out.push("", group, t.toString());
  }
  for (const p of programTables(programs)) {
    const t = new Table({ head: p.head, style: { head: [], border: [], compact: true }, colAligns: p.head.map((_, i) => (i === 0 ? "left" : "right")) });
    for (const r of p.rows) t.push(r);
    out.push("", p.title, t.toString(), ...p.notes.map((n) => `  ${n}`));
  }
  const targets = allTargets(results, programs);
  if (targets.length) {
    const t = new Table({ head: [...TARGETS_HEAD], style: { head: [], border: [], compact: true } });
    for (const r of targetRows(targets)) t.push(r);
    out.push("", "targets", t.toString(), TARGETS_NOTE);
  }
  if (results.length || !programs.length) out.push("", LEGEND);
  if (programs.length) out.push("", PROGRAM_LEGEND);
  const skips = skipLines(skipped);
  if (skips.length) out.push("", "not run:", ...skips.map((s) => `  ${s}`));
  const failed = failures(results, programs);
  if (failed.length) out.push("", "failed runs:", ...failed.map((f) => `  ${f}`));
  return out.join("\n");
}

// ---- Markdown ----------------------------------------------------------------------------

const md = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
const mdTable = (head: readonly string[], rows: readonly string[][], right: number): string[] => [
  md(head),
  md(head.map((_, i) => (i >= right ? "---:" : "---"))),
  ...rows.map(md),
];

/** Markdown: machine, method, a ratio-to-C matrix, then every result by group, then the programs. notes: extra lines after the method. */
export function toMarkdown(
  header: Header, results: readonly Result[], skipped: readonly Skip[], notes: readonly string[] = [], programs: readonly ProgramResult[] = [],
): string {
  const out: string[] = [];
  out.push("# uringshim benchmark results", "");
  out.push(`Generated by \`${header.command}\` on ${header.date}.`, "");
  out.push("## Machine", "");
  const rt = Object.entries(header.runtimes).map(([k, v]) => `${k} ${v}`).join(", ");
  out.push(
    ...mdTable(["machine", ""], [
      ["CPU", `${header.cpu}, ${header.cores} CPUs`],
      ["kernel", header.kernel],
      ["disk", header.disk ?? "-"],
      ["runtimes", rt],
      ["fio", header.fio],
      ["pinning", header.pinNote],
    ], 99),
  );
  out.push("", "## Method");
  if (results.length || !programs.length) {
    out.push(
      "",
      `${header.rounds} rounds; each run is one process timed for ${header.durationMs} ms (JS runs warm up ${header.warmupMs} ms first). ` +
        "Within a round every implementation runs each case once, one after the other, so a run and the C run it is compared with " +
        "are seconds apart. Page-cache cases re-read the file right before each round; O_DIRECT cases use a file on disk; " +
        "writes go to a scratch file, never into the file the reads use.",
    );
    out.push("", LEGEND);
  }
  if (programs.length) out.push("", ...(header.programs ? [`Programs: ${header.programs}.`, ""] : []), PROGRAM_LEGEND);
  if (notes.length) out.push("", ...notes);

  const runners = [...new Map(results.map((r) => [r.runner.key, r.runner])).values()];
  const others = runners.filter((r) => r.runtime !== "c");
  const labels = [...new Set(results.map((r) => r.label))];
  const cell = (label: string, key: string) => results.find((r) => r.label === label && r.runner.key === key);
  if (results.length) {
    out.push("", "## Ratio to C (IOPS)", "");
    out.push(
      ...mdTable(
        ["case", ...(runners.some((r) => r.runtime === "c") ? ["C IOPS"] : []), ...others.map(runnerLabel)],
        labels.map((l) => [
          l,
          ...(runners.some((r) => r.runtime === "c") ? [formatIops(cell(l, "c")?.iops ?? null)] : []),
          ...others.map((r) => {
            const x = cell(l, r.key);
            return x === undefined ? "" : x.roundsOk === 0 ? "failed" : formatRatio(x.ratioToC);
          }),
        ]),
        1,
      ),
    );
  }
  const targets = allTargets(results, programs);
  if (targets.length) out.push("", "## Targets", "", TARGETS_NOTE, "", ...mdTable([...TARGETS_HEAD], targetRows(targets), 99));
  for (const [group, rs] of byGroup(results)) {
    out.push("", `## ${group}`, "");
    let last = "";
    const rows = rs.map((r) => {
      const cells = row(r, r.label !== last);
      last = r.label;
      return cells;
    });
    out.push(...mdTable(COLUMNS, rows, 2));
  }
  for (const p of programTables(programs)) {
    out.push("", `## ${p.title}`, "", ...mdTable(p.head, p.rows, 1));
    if (p.notes.length) out.push("", ...p.notes.map((n) => `- ${n}`));
  }
  const skips = skipLines(skipped);
  if (skips.length) out.push("", "## Not run", "", ...skips.map((s) => `- ${s}`));
  const failed = failures(results, programs);
  if (failed.length) out.push("", "## Failed runs", "", ...failed.map((f) => `- ${f}`));
  return out.join("\n") + "\n";
}
