// bench/program-run.ts: the parent's side of the program cases
// (programs.ts): which runners run each and why not, the hash tree
// (written once per bench run), the page cache warmed before each round,
// one run = one child process (startup: the empty script, then the
// runner's), its output checked (a wrong digest fails the run), all over
// the rounds of orchestrate.ts.
import { execute, lastJsonLine, pinned, type Command } from "./children.ts";
import { makeTree, warmTree } from "./hash-tree.ts";
import { type Plan, type Raw, type RunOutcome, runPlans } from "./orchestrate.ts";
import {
  type ProgramCase, type ProgramEnv, programArgs, programLabel, programRun, programRunnerLabel, type ProgramRun, startupArgs,
  startupRun,
} from "./programs.ts";
import type { Skip } from "./report.ts";
import { warmPageCache } from "./setup.ts";
import type { Runner } from "./types.ts";

export interface ProgramRunContext {
  cases: readonly ProgramCase[];
  runners: readonly Runner[];
  /** Rounds of fresh-read and hash (startup runs count processes per runner instead). */
  rounds: number;
  env: Omit<ProgramEnv, "hashDir">;
  pin: string[] | null;
  /** The children's working directory. */
  cwd: string;
  /** A fresh temp dir for the hash tree (removed when the bench ends). */
  tempDir(): string;
  say(line: string): void;
  /** A progress line for runs estimated to take estimateMs (cli.ts progressReporter). */
  progress?(estimateMs: number): {
    update(done: number, total: number, label: string, runner: string, round: number, rounds: number): void;
    end(): void;
  };
}

/** The last non-empty line of a child's stderr, without its "shim: " prefix. */
const lastLine = (text: string) => (text.trim().split("\n").pop() ?? "").replace(/^shim: /, "");

/** Why runner cannot run c (a missing runtime, no module to import), or null when it can. */
function whyNot(runner: Runner, c: ProgramCase, env: ProgramEnv): string | null {
  if (c.program === "startup") {
    const { empty, real } = startupArgs(runner, env);
    if ("unsupported" in empty) return empty.unsupported;
    return "unsupported" in real ? real.unsupported : null;
  }
  // The tree is written after planning: plan with a stand-in folder.
  const built = programArgs(runner, c, { ...env, hashDir: env.hashDir ?? "(tree)" });
  return "unsupported" in built ? built.unsupported : null;
}

/** A rough duration of one run, for the estimate printed before the runs. */
function estimateMs(c: ProgramCase, r: Runner): number {
  const fs = r.impl !== "promise" ? 3 : 1;
  if (c.program === "fresh-read") return 200 + (c.count / 100_000) * 1500 * fs;
  if (c.program === "hash") return 200 + (c.count / 20_000) * 3000 * fs;
  return 400;
}

function timedRun(command: Command, pin: string[] | null, cwd: string) {
  const spawnedAt = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  const r = execute(pinned(command, pin), 120_000, cwd);
  return { r, spawnedAt, wallMs: performance.now() - t0 };
}

/** Why a hash run's digest is not the tree's (the run fails), or null when it is. */
export function checkDigest(run: ProgramRun, expected: string): string | null {
  return run.digest === expected ? null : `wrong digest ${run.digest} (the tree's is ${expected}): the files were not read right`;
}

/** Runs every program case with every runner that can run it; returns the raw rounds and the runners skipped, with why. */
export function runPrograms(ctx: ProgramRunContext): { raws: Raw<ProgramCase, ProgramRun>[]; skipped: Skip[] } {
  const env: ProgramEnv = { ...ctx.env, hashDir: null };
  const skipped: Skip[] = [];
  const plans: Plan<ProgramCase>[] = ctx.cases.map((c) => {
    const plan: Plan<ProgramCase> = { case: c, runners: [], skipped: [], ...(c.program === "startup" ? { rounds: c.count } : {}) };
    for (const runner of ctx.runners) {
      const reason = whyNot(runner, c, env);
      if (reason === null) plan.runners.push(runner);
      else {
        plan.skipped.push({ runner, reason });
        skipped.push({ label: programLabel(c), runner: programRunnerLabel(runner), reason });
      }
    }
    return plan;
  });

  let expected: string | null = null;
  const hash = plans.find((p) => p.case.program === "hash" && p.runners.length > 0);
  if (hash !== undefined) {
    env.hashDir = ctx.tempDir();
    ctx.say(`writing ${hash.case.count.toLocaleString("en-US")} files of 1–16 KiB in ${env.hashDir} …`);
    expected = makeTree(env.hashDir, hash.case.count).digest;
  }

  const runs = plans.reduce((s, p) => s + p.runners.length * (p.rounds ?? ctx.rounds), 0);
  const ms = plans.reduce((s, p) => s + p.runners.reduce((t, r) => t + estimateMs(p.case, r), 0) * (p.rounds ?? ctx.rounds), 0);
  if (runs > 0) ctx.say(`programs: ${runs} runs, about ${Math.ceil(ms / 1000)} s`);
  const progress = ctx.progress?.(ms);

  const { raws, refused } = runPlans<ProgramCase, ProgramRun>(plans, ctx.rounds, {
    beforeCase(c) {
      if (c.program === "fresh-read" && env.readFile !== null) warmPageCache(env.readFile);
      if (c.program === "hash" && env.hashDir !== null) warmTree(env.hashDir);
    },
    progress(done, total, c, runner, round) {
      progress?.update(done, total, programLabel(c), programRunnerLabel(runner), round, c.program === "startup" ? c.count : ctx.rounds);
    },
    run(runner, c): RunOutcome<ProgramRun> {
      try {
        if (c.program === "startup") {
          const { empty, real } = startupArgs(runner, env);
          if ("unsupported" in empty) return { error: empty.unsupported };
          if ("unsupported" in real) return { error: real.unsupported };
          const e = timedRun(empty, ctx.pin, ctx.cwd);
          if (!e.r.ok) return { error: `the empty script: ${e.r.error}` };
          const x = timedRun(real, ctx.pin, ctx.cwd);
          if (!x.r.ok) return { error: x.r.error };
          const entry = runner.runtime === "bun" || runner.runtime === "deno" ? env.entry[runner.runtime] : null;
          const what = runner.impl === "promise" && entry !== null && "what" in entry ? `imported ${entry.what}` : "node:fs/promises, first op stat()";
          const raw = lastJsonLine(x.r.stdout);
          const mode = typeof raw.mode === "string" ? `${what}; ${raw.mode} ring` : what;
          return startupRun({ ...e, raw: lastJsonLine(e.r.stdout) }, { ...x, raw }, mode);
        }
        const built = programArgs(runner, c, env);
        if ("unsupported" in built) return { error: built.unsupported };
        const r = execute(pinned(built, ctx.pin), 600_000, ctx.cwd);
        if (!r.ok) return r.status === 2 ? { refused: lastLine(r.stderr) || r.error } : { error: r.error };
        const run = programRun(c.program, lastJsonLine(r.stdout));
        if (c.program === "hash") {
          const wrong = checkDigest(run, expected ?? "");
          if (wrong !== null) return { error: wrong };
          run.verified = true;
        }
        return run;
      } catch (e) {
        return { error: (e as Error).message };
      }
    },
  });
  progress?.end();
  for (const x of refused) skipped.push({ label: programLabel(x.case), runner: programRunnerLabel(x.runner), reason: x.reason });
  return { raws, skipped };
}
