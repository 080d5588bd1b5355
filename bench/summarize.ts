// bench/summarize.ts: per (case, runner), the rounds' raw results as one
// Result: medians over rounds, and the ratio to C as the median of the
// per-round ratios (stats.ts says why).
import type { Case, Result, RunResult } from "./types.ts";
import type { Raw } from "./orchestrate.ts";
import { caseLabel } from "./suites.ts";
import { median, medianOfRatios } from "./stats.ts";

const orNull = (v: number | undefined): number | null => (v === undefined ? null : v);

/** The median over rounds of f(round) (failed rounds and nulls left out). */
function med(perRound: readonly (RunResult | null)[], f: (r: RunResult) => number | null): number | null {
  return orNull(median(perRound.map((r) => (r === null ? null : f(r)))));
}

/** pinnedFor(c): whether the case's runs were pinned (SQPOLL runs never are). */
export function summarize(raws: readonly Raw[], pinnedFor: (c: Case) => boolean): Result[] {
  return raws.map((raw) => {
    const c = raws.find((x) => x.case === raw.case && x.runner.runtime === "c");
    const iopsOf = (rs: readonly (RunResult | null)[]) => rs.map((r) => (r === null ? null : r.iops));
    const ok = raw.perRound.filter((r): r is RunResult => r !== null);
    const verified = ok.length === 0 || ok.every((r) => r.verified === null) ? null : ok.every((r) => r.verified === true);
    const modes = [...new Set(ok.map((r) => r.mode).filter((m): m is string => m !== null))];
    const firstError = raw.errors.find((e) => e !== null) ?? null;
    const failedRounds = raw.errors.filter((e) => e !== null).length;
    return {
      case: raw.case,
      label: caseLabel(raw.case),
      runner: raw.runner,
      roundsOk: ok.length,
      rounds: raw.perRound.length,
      iops: med(raw.perRound, (r) => r.iops),
      mbps: med(raw.perRound, (r) => r.mbps),
      p50Ns: med(raw.perRound, (r) => r.latency?.p50Ns ?? null),
      p99Ns: med(raw.perRound, (r) => r.latency?.p99Ns ?? null),
      p999Ns: med(raw.perRound, (r) => r.latency?.p999Ns ?? null),
      cpuPerOpUs: med(raw.perRound, (r) => r.cpuPerOpUs),
      ratioToC: c === undefined ? null : orNull(medianOfRatios(iopsOf(raw.perRound), iopsOf(c.perRound))),
      verified,
      mode: modes.length > 0 ? modes.join(",") : null,
      pinned: pinnedFor(raw.case),
      note: firstError === null ? null : `${failedRounds} of ${raw.perRound.length} round(s) failed: ${firstError}`,
      perRound: [...raw.perRound],
    };
  });
}
