// bench/orchestrate.ts: the round-robin. For each group of cases, round
// after round, every case of the group and, within it, every runner once,
// in order (A B C A B C …): a run and the C run it is compared with are
// seconds apart, so the machine's slow drift hits both. What a run is (a
// process, a fake in tests) is the caller's run() hook. Generic over what a
// case and a run's result are: the throughput cases (Case, RunResult) and
// the programs (programs.ts) go through the same round-robin.
import type { Case, Runner, RunResult } from "./types.ts";

/** What every kind of case has: the group its rounds run in. */
export interface Grouped {
  group: string;
}

/** What to run for one case: the runners that apply, and those skipped with the reason. */
export interface Plan<C extends Grouped = Case> {
  case: C;
  runners: Runner[];
  skipped: { runner: Runner; reason: string }[];
  /** Rounds of this case, when not the run's (the startup program runs one process per round). */
  rounds?: number;
}

/** Per case and runner: one entry per round, a result or the error of that round. */
export interface Raw<C extends Grouped = Case, R extends object = RunResult> {
  case: C;
  runner: Runner;
  perRound: (R | null)[];
  errors: (string | null)[];
}

/**
 * What a run gives: a result, the error of a failed run, or a refusal: the
 * child said it cannot run this combination (exit 2), so the runner is
 * dropped from the case for the remaining rounds and reported as not run.
 */
export type RunOutcome<R extends object = RunResult> = R | { error: string } | { refused: string };

export interface Hooks<C extends Grouped = Case, R extends object = RunResult> {
  run(runner: Runner, c: C, round: number): RunOutcome<R>;
  /** Called before each case's runners in each round (the page cache is warmed here). */
  beforeCase?(c: C, round: number): void;
  /** Called before each run: done runs so far, of total. */
  progress?(done: number, total: number, c: C, runner: Runner, round: number): void;
}

/** The group names in the order their first case appears. */
export function groupOrder(plans: readonly Plan<Grouped>[]): string[] {
  return [...new Set(plans.map((p) => p.case.group))];
}

export interface Refusal<C extends Grouped = Case> {
  case: C;
  runner: Runner;
  reason: string;
}

/**
 * Runs every plan for rounds rounds (or its own). Returns one Raw per
 * (case, runner) in plan order, less the runners a child refused (listed
 * in refused).
 */
export function runPlans<C extends Grouped = Case, R extends object = RunResult>(
  plans: readonly Plan<C>[], rounds: number, hooks: Hooks<C, R>,
): { raws: Raw<C, R>[]; refused: Refusal<C>[] } {
  const raws = new Map<Plan<C>, Raw<C, R>[]>();
  for (const p of plans) {
    raws.set(p, p.runners.map((runner) => ({ case: p.case, runner, perRound: [], errors: [] })));
  }
  const refused: Refusal<C>[] = [];
  const isRefused = (c: C, r: Runner) => refused.some((x) => x.case === c && x.runner === r);
  const roundsOf = (p: Plan<C>) => p.rounds ?? rounds;
  let total = plans.reduce((s, p) => s + p.runners.length * roundsOf(p), 0);
  let done = 0;
  for (const g of groupOrder(plans)) {
    const members = plans.filter((p) => p.case.group === g && p.runners.length > 0);
    const groupRounds = Math.max(0, ...members.map(roundsOf));
    for (let round = 0; round < groupRounds; round++) {
      for (const p of members) {
        if (round >= roundsOf(p)) continue;
        hooks.beforeCase?.(p.case, round);
        p.runners.forEach((runner, i) => {
          if (isRefused(p.case, runner)) return;
          hooks.progress?.(done, total, p.case, runner, round);
          const r = hooks.run(runner, p.case, round);
          const raw = raws.get(p)![i];
          done++;
          if ("refused" in r) {
            refused.push({ case: p.case, runner, reason: r.refused });
            total -= roundsOf(p) - round - 1;
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
