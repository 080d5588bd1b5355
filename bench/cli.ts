// bench/cli.ts: `uringshim-bench`, the throughput suite. Runs under Bun
// (`bun bench/cli.ts …`, what `npm run bench` and bench/run.mjs do in a
// clone), Deno (`deno run -A bench/cli.ts …`) and, bundled into
// dist/bench/cli.js for the installed package (scripts/build-bench.mjs),
// under Node too: it only starts children. Measures each case with every
// implementation that applies, one child process per run, round-robin
// (orchestrate.ts), then the program cases (program-run.ts), and prints a
// table, JSON or Markdown (report.ts) and optionally an SVG chart
// (chart.ts). `--help` lists the options (options.ts); README's
// "Benchmarks" section says what is measured.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, realpathSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { packageRoot as root } from "../core/paths.ts";
import { holdsPattern } from "./pattern.mjs";
import { childArgs, execute, lastJsonLine, normalize, pinned, type Programs, type RunEnv } from "./children.ts";
import { fioArgs, parseFio } from "./fio.ts";
import { type Options, parseOptions, USAGE, UsageError } from "./options.ts";
import { type Plan, type RunOutcome, runPlans } from "./orchestrate.ts";
import { type Skip, toJson, toMarkdown, toTable } from "./report.ts";
import { loadVega, renderChart } from "./chart.ts";
import { caseLabel, isWrite, notApplicable, runnerLabel, runnersFor, usesFile, usesPageCache } from "./suites.ts";
import { besideOrchestrator, findRefBench, findRuntime, hostOf, isDevClone, packageEntry, type Program, shimBeside } from "./locate.ts";
import { runPrograms } from "./program-run.ts";
import { summarizePrograms } from "./program-report.ts";
import { programLabel, programRunners } from "./programs.ts";
import { checkDataFile, cpuInfo, DataFiles, DEFAULT_FILE_SIZE, describeDisk, directUnusable, pinPrefix, versionOf, warmPageCache } from "./setup.ts";
import { summarize } from "./summarize.ts";
import type { Case, Header, Runner } from "./types.ts";

const self = fileURLToPath(import.meta.url);

const say = (line: string) => process.stderr.write(`${line}\n`);
/** The last non-empty line of a child's stderr, without the program's "name: " prefix. */
const lastLine = (text: string) => (text.trim().split("\n").pop() ?? "").replace(/^(shim|ref-bench): /, "");

/** A progress line on stderr (rewritten in place on a terminal, at most every 5 s otherwise) once a run is past a few seconds. */
function progressReporter(estimateMs: number) {
  const t0 = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  let shown = false;
  return {
    update(done: number, total: number, label: string, runner: string, round: number, rounds: number) {
      if (estimateMs < 5000) return;
      const now = Date.now();
      if (!tty && now - lastPrint < 5000 && done > 0) return;
      lastPrint = now;
      const elapsed = (now - t0) / 1000;
      const left = done > 0 ? (elapsed / done) * (total - done) : estimateMs / 1000;
      const line = `[${done + 1}/${total}] ${label} · ${runner} · round ${round + 1}/${rounds} · ${elapsed.toFixed(0)} s, ~${left.toFixed(0)} s left`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      shown = true;
    },
    end() {
      if (shown && tty) process.stderr.write("\r\x1b[K");
      if (shown) say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  };
}

/** The version of each runtime asked for, as "1.4.5". */
function runtimeVersions(opts: Options, programs: Programs): Record<string, string> {
  const version = (p: Program) => (typeof p === "string" ? versionOf(p, ["--version"]) ?? "unavailable" : "not found");
  const v: Record<string, string> = {};
  if (opts.runtimes.includes("bun")) v.bun = version(programs.bun);
  if (opts.runtimes.includes("deno")) v.deno = version(programs.deno).replace(/^deno\s+(\S+).*$/, "$1");
  return v;
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`uringshim-bench: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  if (opts.chart !== null) {
    // Before the runs, not after minutes of them.
    try {
      await loadVega();
    } catch (e) {
      say(`uringshim-bench: ${(e as Error).message}`);
      return 1;
    }
  }

  // ---- the programs: a clone builds the C reference (and the library the shim loads) ----
  const host = hostOf();
  const clone = isDevClone(root, host);
  if (clone) {
    const make = spawnSync("make", ["-s", "-C", path.join(root, "native")], { stdio: ["ignore", "inherit", "inherit"] });
    if (make.status !== 0) {
      say("uringshim-bench: `make -C native` failed (a C compiler and make are needed)");
      return 1;
    }
  }
  const programs: Programs = {
    refBench: findRefBench(root, host),
    shim: shimBeside(self),
    program: besideOrchestrator(self, "program-child"),
    startup: besideOrchestrator(self, "startup"),
    bun: findRuntime("bun", root, host),
    deno: findRuntime("deno", root, host),
  };
  /** Where temp files go when os.tmpdir() and /var/tmp cannot hold O_DIRECT files: never into an installed package. */
  const lastResortDir = clone ? root : process.cwd();

  // ---- pinning ------------------------------------------------------------------
  const cpu = opts.cpu ?? os.cpus().length - 1;
  let pin: string[] | null = null;
  let pinNote = "unpinned (--no-pin)";
  if (opts.pin) {
    const p = pinPrefix(cpu);
    if ("prefix" in p) {
      pin = p.prefix;
      pinNote = `pinned: every run under \`taskset -c ${cpu}\``;
      if (opts.cases.some((c) => c.sqpoll)) pinNote += " (SQPOLL runs unpinned: the SQ thread needs a CPU of its own)";
    } else pinNote = `unpinned: ${p.reason}`;
  }
  say(pinNote);

  /** fio's version ("fio-3.33"), or null when it is not installed (or not asked for). */
  const fio = opts.impls.includes("fio") ? versionOf("fio", ["--version"]) : null;

  // ---- data files ---------------------------------------------------------------------
  const files = new DataFiles();
  const cleanup = () => files.cleanup();
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  try {
    if (opts.impls.includes("c") && typeof programs.refBench === "string" && !host.executable(programs.refBench)) {
      // A package manager that dropped the prebuilt's mode bits: run a copy that has them.
      const copy = path.join(files.tempDir(false, lastResortDir), "ref-bench");
      copyFileSync(programs.refBench, copy);
      chmodSync(copy, 0o755);
      programs.refBench = copy;
    }
    const needFile = opts.cases.some(usesFile) || opts.programs.some((p) => p.program === "fresh-read");
    const needsDisk = opts.cases.some((c) => c.direct);
    const maxBs = Math.max(4096, ...opts.cases.map((c) => c.bs));
    let readFile: string | null = null;
    let writeFile: string | null = null;
    /** fio's own scratch file: fio writes its own data, which would break the children's checks of the pattern. */
    let fioWriteFile: string | null = null;
    let fileSize = DEFAULT_FILE_SIZE;
    let writeSize = 0;
    if (needFile) {
      if (opts.file !== null) {
        const f = checkDataFile(opts.file, maxBs);
        if ("reason" in f) {
          say(`uringshim-bench: ${f.reason}`);
          return 2;
        }
        readFile = path.resolve(opts.file);
        fileSize = f.size;
        if (!holdsPattern(readFile, fileSize)) say(`${readFile} does not hold the bench pattern: reads are not checked`);
      } else {
        const dir = files.tempDir(needsDisk, lastResortDir);
        say(`writing a ${DEFAULT_FILE_SIZE >> 20} MiB data file in ${dir} …`);
        readFile = files.patternFile(path.join(dir, "data.bin"), DEFAULT_FILE_SIZE);
      }
      if (opts.cases.some((c) => isWrite(c.workload))) {
        // Writes never go into the read file (it may be the user's): a scratch file beside it.
        writeSize = Math.floor(Math.min(fileSize, DEFAULT_FILE_SIZE) / 4096) * 4096;
        const scratch = (name: string) => files.patternFile(path.join(path.dirname(readFile as string), `.uringshim-bench-${name}-${process.pid}.bin`), writeSize);
        writeFile = scratch("write");
        if (fio !== null) fioWriteFile = scratch("fio-write");
      }
    }
    const directReason = needsDisk && readFile !== null ? directUnusable(readFile) : null;

    // ---- plans ---------------------------------------------------------------------------
    const env: RunEnv = { programs, readFile, writeFile, durationMs: opts.durationMs, warmupMs: opts.warmupMs, compat: opts.compat };
    const skipped: Skip[] = [];
    const plans: Plan[] = opts.cases.map((c) => {
      const plan: Plan = { case: c, runners: [], skipped: [] };
      for (const runner of runnersFor(opts.impls, opts.runtimes)) {
        let reason = notApplicable(runner.impl, c);
        if (reason === null && c.direct && directReason !== null) reason = directReason;
        if (reason === null && runner.impl === "fio" && fio === null) reason = "fio is not installed (apt-get install fio)";
        if (reason === null && runner.runtime !== "fio") {
          const built = childArgs(runner, c, env);
          if ("unsupported" in built) reason = built.unsupported;
        }
        if (reason === null) plan.runners.push(runner);
        else {
          plan.skipped.push({ runner, reason });
          skipped.push({ label: caseLabel(c), runner: runnerLabel(runner), reason });
        }
      }
      return plan;
    });

    // ---- run ---------------------------------------------------------------------------------
    const perRunMs = (r: Runner) => opts.durationMs + opts.warmupMs + (r.runtime === "c" ? 10 : 150);
    const estimateMs = plans.reduce((s, p) => s + p.runners.reduce((t, r) => t + perRunMs(r), 0), 0) * opts.rounds;
    if (plans.length > 0) {
      say(`${plans.reduce((s, p) => s + p.runners.length, 0) * opts.rounds} runs in ${opts.rounds} round(s), about ${Math.ceil(estimateMs / 1000)} s`);
    }
    const progress = progressReporter(estimateMs);
    const pinFor = (c: Case) => (c.sqpoll ? null : pin);
    const fileOf = (c: Case) => (isWrite(c.workload) ? writeFile : readFile);
    const { raws, refused } = runPlans(plans, opts.rounds, {
      beforeCase(c) {
        const f = fileOf(c);
        if (usesPageCache(c) && f !== null) warmPageCache(f);
      },
      progress(done, total, c, runner, round) {
        progress.update(done, total, caseLabel(c), runnerLabel(runner), round, opts.rounds);
      },
      run(runner, c): RunOutcome {
        const command = runner.runtime === "fio"
          ? isWrite(c.workload)
            ? fioArgs(c, fioWriteFile as string, writeSize, opts.durationMs, opts.warmupMs)
            : fioArgs(c, readFile as string, fileSize, opts.durationMs, opts.warmupMs)
          : childArgs(runner, c, env);
        if ("unsupported" in command) return { error: command.unsupported };
        const r = execute(pinned(command, pinFor(c)), opts.durationMs + opts.warmupMs + 60_000, root);
        if (!r.ok) {
          // Exit 2: the child cannot run this combination (its message says why).
          if (r.status === 2 && runner.runtime !== "fio") return { refused: lastLine(r.stderr) || r.error };
          return { error: r.error };
        }
        try {
          return runner.runtime === "fio" ? parseFio(r.stdout) : normalize(lastJsonLine(r.stdout), c.bs);
        } catch (e) {
          return { error: (e as Error).message };
        }
      },
    });
    progress.end();
    for (const x of refused) skipped.push({ label: caseLabel(x.case), runner: runnerLabel(x.runner), reason: x.reason });

    // ---- the programs (program-run.ts) ----------------------------------------------------------
    const programRuns = runPrograms({
      cases: opts.programs,
      runners: programRunners(opts.impls, opts.runtimes),
      rounds: opts.rounds,
      env: {
        programs,
        readFile,
        entry: { bun: packageEntry(root, "bun", clone), deno: packageEntry(root, "deno", clone) },
      },
      pin,
      cwd: root,
      tempDir: () => files.tempDir(false, lastResortDir),
      say,
      progress: progressReporter,
    });
    skipped.push(...programRuns.skipped);

    // ---- report -----------------------------------------------------------------------------
    const results = summarize(raws, (c) => pinFor(c) !== null);
    const programResults = summarizePrograms(programRuns.raws, pin !== null);
    const { model, cores } = cpuInfo();
    const header: Header = {
      command: ["uringshim-bench", ...argv].join(" "),
      kernel: os.release(),
      cpu: model,
      cores,
      runtimes: runtimeVersions(opts, programs),
      fio: opts.impls.includes("fio") ? (fio ?? "fio not installed") : "fio not asked for",
      disk: readFile === null ? null : describeDisk(readFile),
      pinned: pin !== null,
      pinNote,
      rounds: opts.rounds,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      suite: opts.custom ? "custom" : opts.suite,
      ioCases: opts.cases.length,
      programs: opts.programs.length ? opts.programs.map(programLabel).join("; ") : null,
      compat: opts.compat,
      file: opts.file === null ? (readFile === null ? null : `a ${DEFAULT_FILE_SIZE >> 20} MiB temp file`) : readFile,
      date: new Date().toISOString().slice(0, 10),
    };
    const text = opts.output === "json"
      ? toJson(header, results, skipped, programResults)
      : opts.output === "markdown"
      ? toMarkdown(header, results, skipped, [], programResults)
      : toTable(header, results, skipped, programResults);
    process.stdout.write(`${text}\n`);

    if (opts.chart !== null) {
      try {
        writeFileSync(opts.chart, await renderChart(results, header));
        say(`chart: ${opts.chart}`);
      } catch (e) {
        say(`uringshim-bench: --chart: ${(e as Error).message}`);
      }
    }
    const failed = results.filter((r) => r.note !== null).length + programResults.filter((r) => r.note !== null).length;
    if (failed > 0) say(`uringshim-bench: ${failed} result(s) had failed runs (listed above)`);
    return failed > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}

/** Run as a program (`deno run -A npm:uringshim/bench`, `node dist/bench/cli.js`), not imported by bench/run.mjs. */
function isMain(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  // Node before 24.2 has no import.meta.main.
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(self);
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await main(process.argv.slice(2));
}
