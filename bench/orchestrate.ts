// bench/orchestrate.ts: the round-robin. For each group of cases, round
// after round, every case of the group and, within it, every runner once,
// in order (A B C A B C …): a run and the C run it is compared with are
// seconds apart, so the machine's slow drift hits both. What a run is (a
// process, a fake in tests) is the caller's run() hook.
import type { Case, Runner, RunResult } from "./types.ts";

/** What to run for one case: the runners that apply, and those skipped with the reason. */
export interface Plan {
  case: Case;
  runners: Runner[];
  skipped: { runner: Runner; reason: string }[];
}

/** Per case and runner: one entry per round, a result or the error of that round. */
export interface Raw {
  case: Case;
  runner: Runner;
  perRound: (RunResult | null)[];
  errors: (string | null)[];
}

/**
 * What a run gives: a result, the error of a failed run, or a refusal: the
 * child said it cannot run this combination (exit 2), so the runner is
 * dropped from the case for the remaining rounds and reported as not run.
 */
export type RunOutcome = RunResult | { error: string } | { refused: string };

export interface Hooks {
  run(runner: Runner, c: Case, round: number): RunOutcome;
  /** Called before each case's runners in each round (the page cache is warmed here). */
  beforeCase?(c: Case, round: number): void;
  /** Called before each run: done runs so far, of total. */
  progress?(done: number, total: number, c: Case, runner: Runner, round: number): void;
}

/** The group names in the order their first case appears. */
export function groupOrder(plans: readonly Plan[]): string[] {
  return [...new Set(plans.map((p) => p.case.group))];
}

export interface Refusal {
  case: Case;
  runner: Runner;
  reason: string;
}

/**
 * Runs every plan for rounds rounds. Returns one Raw per (case, runner) in
 * plan order, less the runners a child refused (listed in refused).
 */
export function runPlans(plans: readonly Plan[], rounds: number, hooks: Hooks): { raws: Raw[]; refused: Refusal[] } {
  const raws = new Map<Plan, Raw[]>();
  for (const p of plans) {
    raws.set(p, p.runners.map((runner) => ({ case: p.case, runner, perRound: [], errors: [] })));
  }
  const refused: Refusal[] = [];
  const isRefused = (c: Case, r: Runner) => refused.some((x) => x.case === c && x.runner === r);
  let total = plans.reduce((s, p) => s + p.runners.length, 0) * rounds;
  let done = 0;
  for (const g of groupOrder(plans)) {
    const members = plans.filter((p) => p.case.group === g && p.runners.length > 0);
    for (let round = 0; round < rounds; round++) {
      for (const p of members) {
        hooks.beforeCase?.(p.case, round);
        p.runners.forEach((runner, i) => {
          if (isRefused(p.case, runner)) return;
          hooks.progress?.(done, total, p.case, runner, round);
          const r = hooks.run(runner, p.case, round);
          const raw = raws.get(p)![i];
          done++;
          if ("refused" in r) {
            refused.push({ case: p.case, runner, reason: r.refused });
            total -= rounds - round - 1;
            return;
          }
          if ("error" in r) {
            raw.perRound.push(null);
            raw.errors.push(r.error);
          } else {
            raw.perRound.push(r);
            raw.errors.push(null);
          }
        });
      }
    }
  }
  return { raws: plans.flatMap((p) => raws.get(p)!.filter((raw) => !isRefused(raw.case, raw.runner))), refused };
}
