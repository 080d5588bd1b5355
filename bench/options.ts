// bench/options.ts: the command line of `uringshim-bench` (node:util
// parseArgs, which Bun and Deno implement too), validated into Options.
// Pure: a bad option throws a UsageError naming it; nothing is run.
import { parseArgs } from "node:util";
import { compatEnvName, parseCompatEnv } from "../core/compat.ts";
import type { Case, Impl, JsRuntime, Workload } from "./types.ts";
import { IMPLS, WORKLOADS } from "./types.ts";
import { customCases, isWrite, type Suite, SUITE_DEFAULTS, SUITES, suiteCases } from "./suites.ts";
import { type ProgramCase, programCase, type ProgramName, PROGRAM_SIZES, PROGRAMS, type ProgramSizes, suitePrograms } from "./programs.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export type Output = "table" | "json" | "markdown";

export interface Options {
  suite: Suite;
  /** Workload options (or --program) replaced the suite's cases with their own. */
  custom: boolean;
  /** The throughput cases. */
  cases: Case[];
  /** The program cases (programs.ts). */
  programs: ProgramCase[];
  rounds: number;
  durationMs: number;
  warmupMs: number;
  runtimes: JsRuntime[];
  impls: Impl[];
  file: string | null;
  output: Output;
  chart: string | null;
  pin: boolean;
  /** The CPU to pin to (default: the last one). */
  cpu: number | null;
  /** Kernel features the JS rings go without (URINGSHIM_COMPAT syntax, normalised), or null. */
  compat: string | null;
  help: boolean;
}

export const USAGE = `usage: uringshim-bench [options]   (npx / bunx uringshim-bench …, deno run -A npm:uringshim/bench …;
                                   in a clone: npm run bench -- …, bun bench/cli.ts …, deno run -A bench/cli.ts …)

  --suite S                  quick|full|programs: what to measure (default quick; full runs
                             the programs too; see README "Benchmarks")
  --program P[,P…]           fresh-read|startup|hash: run these programs instead of a suite
                             (with workload options: those cases too)
  --reads N                  fresh-read: reads per pass (default 100000)
  --hash-files N             hash: files to write and hash (default 20000)
  --spawns N                 startup: processes per runtime and implementation (default 10)
  --workload W[,W…]          nop|randread|seqread|randwrite|seqwrite|mixed: measure these
                             instead of a suite, every combination with the options below
  --bs SIZE[,SIZE…]          block size: 4096, 4k, 128K, 1m (default 4k)
  --qd N[,N…]                requests in flight (default 32)
  --batch N[,N…]             NOPs per enter / completions waited for per enter
                             (default: NOP 32; page cache min(QD, 32); O_DIRECT 1)
  --direct                   O_DIRECT (the file must not be on tmpfs)
  --fixed-buffers            registered buffers (READ_FIXED / WRITE_FIXED)
  --registered-files         a registered file (IOSQE_FIXED_FILE)
  --sqpoll                   IORING_SETUP_SQPOLL (such runs are never pinned)
  --submit-each              one io_uring_enter per request as it is prepared, as fio does
                             (C and the batch API; default: the enter that waits submits)
  --compat LIST              the JS rings (batch, promise) go without these kernel features and take
                             their fallbacks: no-no-mmap, no-query, no-single-issuer, no-registered-ring,
                             no-clone-buffers, no-fixed-vectored, or all (URINGSHIM_COMPAT's syntax)
  --fsync-every N            write workloads: fsync after every N writes
  --read-pct N               mixed: percentage of reads (default 70)
  --duration TIME            timed part of each run: 500, 500ms, 2s (quick 300ms, full 1s)
  --warmup TIME              untimed warm-up of each run first (quick 100ms, full 200ms)
  --rounds N                 rounds; implementations alternate within each (quick 3, full 5,
                             programs 3; startup runs --spawns processes instead)
  --runtime bun|deno|both    JS runtimes (default both)
  --impl I[,I…]              c, batch, promise, fs-sync, fs-async, native-file, fio (default all;
                             the programs run promise and fs-async)
  --file PATH                read this file instead of a 256 MiB temp file (writes go to a
                             scratch file beside it)
  --json                     one JSON document: { header, results: [one object per result],
                             programs: [one per program and implementation], skipped, targets }
  --markdown                 Markdown (bench/RESULTS.md is one)
  --chart FILE.svg           an SVG of IOPS vs queue depth (page-cache randread)
  --pin / --no-pin           pin each run to one CPU with taskset (default: pin when taskset exists)
  --cpu N                    the CPU to pin to (default: the last one)
  -h, --help`;

const CONFIG = {
  suite: { type: "string" },
  program: { type: "string", multiple: true },
  reads: { type: "string" },
  "hash-files": { type: "string" },
  spawns: { type: "string" },
  workload: { type: "string", multiple: true },
  bs: { type: "string", multiple: true },
  qd: { type: "string", multiple: true },
  batch: { type: "string", multiple: true },
  direct: { type: "boolean" },
  "fixed-buffers": { type: "boolean" },
  "registered-files": { type: "boolean" },
  sqpoll: { type: "boolean" },
  "submit-each": { type: "boolean" },
  compat: { type: "string" },
  "fsync-every": { type: "string" },
  "read-pct": { type: "string" },
  duration: { type: "string" },
  warmup: { type: "string" },
  rounds: { type: "string" },
  runtime: { type: "string" },
  impl: { type: "string", multiple: true },
  file: { type: "string" },
  json: { type: "boolean" },
  markdown: { type: "boolean" },
  chart: { type: "string" },
  pin: { type: "boolean" },
  "no-pin": { type: "boolean" },
  cpu: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The items of repeated and comma-separated values: ["1,8", "32"] → ["1", "8", "32"]. */
export function listOf(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** A positive integer (or 0 when zeroOk), else a UsageError naming the option. */
export function parseCount(option: string, v: string, zeroOk = false): number {
  if (!/^\d+$/.test(v) || (!zeroOk && Number(v) === 0) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${option} takes a ${zeroOk ? "non-negative" : "positive"} integer, got "${v}"`);
  }
  return Number(v);
}

/** Bytes from 4096, 4k, 4K, 4KiB, 128k, 1m, 1MiB. */
export function parseSize(option: string, v: string): number {
  const m = /^(\d+)\s*(k|kib|kb|m|mib|mb)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2] ? (m[2][0].toLowerCase() === "k" ? 1024 : 1024 * 1024) : 1) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${option} takes a size such as 4096, 4k or 128K, got "${v}"`);
  return n;
}

/** Milliseconds from 500, 500ms, 2s, 1.5s. */
export function parseDuration(option: string, v: string, zeroOk = false): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(v.trim());
  const ms = m ? Math.round(Number(m[1]) * (m[2] === "s" ? 1000 : 1)) : NaN;
  if (!Number.isFinite(ms) || (!zeroOk && ms <= 0)) {
    throw new UsageError(`--${option} takes a duration such as 500, 500ms or 2s, got "${v}"`);
  }
  return ms;
}

function parseValues(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: CONFIG, strict: true, allowPositionals: false }).values;
  } catch (e) {
    // parseArgs names the option: "Unknown option '--foo'", "Option '--qd <value>' argument missing".
    throw new UsageError((e as Error).message);
  }
}

/** The program cases of names, sized by --reads, --hash-files and --spawns (each an error when its program is not run). */
function programCases(names: readonly ProgramName[], values: ReturnType<typeof parseValues>): ProgramCase[] {
  const sizes: ProgramSizes = { ...PROGRAM_SIZES };
  const sizeOptions = [["reads", "reads", "fresh-read"], ["hash-files", "hashFiles", "hash"], ["spawns", "spawns", "startup"]] as const;
  for (const [option, key, program] of sizeOptions) {
    const v = values[option];
    if (v === undefined) continue;
    if (!names.includes(program)) {
      throw new UsageError(`--${option} sizes the ${program} program, which this run does not have (--suite programs|full, --program ${program})`);
    }
    sizes[key] = parseCount(option, v);
  }
  return names.map((p) => programCase(p, sizes));
}

/** Parses and validates argv (without the program). Throws UsageError. */
export function parseOptions(argv: readonly string[]): Options {
  const values = parseValues(argv);
  const suiteName = values.suite ?? "quick";
  if (!(SUITES as readonly string[]).includes(suiteName)) {
    throw new UsageError(`--suite takes ${SUITES.join(", ")}; got "${suiteName}"`);
  }
  const suite = suiteName as Suite;

  const workloads = listOf(values.workload);
  for (const w of workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new UsageError(`--workload takes ${WORKLOADS.join(", ")}; got "${w}"`);
  }
  const bss = listOf(values.bs).map((v) => parseSize("bs", v));
  const qds = listOf(values.qd).map((v) => parseCount("qd", v));
  const batches = listOf(values.batch).map((v) => parseCount("batch", v));
  const direct = values.direct ?? false;
  const fixed = values["fixed-buffers"] ?? false;
  const files = values["registered-files"] ?? false;
  const sqpoll = values.sqpoll ?? false;
  const submitEach = values["submit-each"] ?? false;
  const fsyncEvery = values["fsync-every"] === undefined ? undefined : parseCount("fsync-every", values["fsync-every"], true);
  const readPct = values["read-pct"] === undefined ? undefined : parseCount("read-pct", values["read-pct"], true);
  if (readPct !== undefined && readPct > 100) throw new UsageError(`--read-pct takes 0 to 100, got "${values["read-pct"]}"`);

  const workloadOptions: [string, boolean][] = [
    ["--workload", workloads.length > 0], ["--bs", bss.length > 0], ["--qd", qds.length > 0], ["--batch", batches.length > 0],
    ["--direct", direct], ["--fixed-buffers", fixed], ["--registered-files", files], ["--sqpoll", sqpoll],
    ["--submit-each", submitEach],
    ["--fsync-every", fsyncEvery !== undefined], ["--read-pct", readPct !== undefined],
  ];
  const given = workloadOptions.filter(([, on]) => on).map(([name]) => name);
  const programNames = listOf(values.program);
  for (const p of programNames) {
    if (!(PROGRAMS as readonly string[]).includes(p)) throw new UsageError(`--program takes ${PROGRAMS.join(", ")}; got "${p}"`);
  }
  const custom = given.length > 0 || programNames.length > 0;
  if (custom && values.suite !== undefined) {
    const own = [...given, ...(programNames.length > 0 ? ["--program"] : [])];
    throw new UsageError(`--suite chooses a set of cases, ${own.join(", ")} describe your own: give one or the other`);
  }

  let cases: Case[];
  if (given.length > 0) {
    const ws: Workload[] = workloads.length > 0 ? (workloads as Workload[]) : ["randread"];
    if (ws.includes("nop")) {
      for (const [name, on] of [["--direct", direct], ["--fixed-buffers", fixed], ["--registered-files", files], ["--submit-each", submitEach]] as const) {
        if (on) throw new UsageError(`${name} does not apply to --workload nop`);
      }
    }
    if (submitEach && sqpoll) throw new UsageError("--submit-each and --sqpoll: with SQPOLL the kernel thread submits, there is no enter to choose");
    if (fsyncEvery !== undefined && !ws.some(isWrite)) throw new UsageError("--fsync-every applies to randwrite, seqwrite and mixed only");
    if (readPct !== undefined && !ws.includes("mixed")) throw new UsageError("--read-pct applies to --workload mixed only");
    cases = customCases(ws, bss.length ? bss : [undefined], qds.length ? qds : [undefined], batches.length ? batches : [undefined], {
      direct, fixed, files, sqpoll, submitEach, fsyncEvery, readPct,
    });
    for (const c of cases) {
      if (c.workload !== "nop" && c.batch > c.qd) {
        throw new UsageError(`--batch ${c.batch} is larger than --qd ${c.qd} (a run waits for at most QD completions)`);
      }
      if (c.direct && c.bs % 512 !== 0) throw new UsageError(`--bs ${c.bs} with --direct: O_DIRECT needs a multiple of 512 bytes`);
      if (c.qd > 256 || c.batch > 256) throw new UsageError("--qd and --batch go up to 256 (the ring's size)");
    }
  } else {
    cases = custom ? [] : suiteCases(suite);
  }
  const programs = programCases(
    custom ? PROGRAMS.filter((p) => programNames.includes(p)) : suitePrograms(suite),
    values,
  );

  const defaults = SUITE_DEFAULTS[suite];
  const rounds = values.rounds === undefined ? defaults.rounds : parseCount("rounds", values.rounds);
  const durationMs = values.duration === undefined ? defaults.durationMs : parseDuration("duration", values.duration);
  const warmupMs = values.warmup === undefined ? defaults.warmupMs : parseDuration("warmup", values.warmup, true);

  const runtimeName = values.runtime ?? "both";
  if (!["bun", "deno", "both"].includes(runtimeName)) throw new UsageError(`--runtime takes bun, deno or both, got "${runtimeName}"`);
  const runtimes: JsRuntime[] = runtimeName === "both" ? ["bun", "deno"] : [runtimeName as JsRuntime];

  const implList = listOf(values.impl);
  for (const i of implList) {
    if (!(IMPLS as readonly string[]).includes(i)) throw new UsageError(`--impl takes ${IMPLS.join(", ")}; got "${i}"`);
  }
  const impls: Impl[] = implList.length > 0 ? IMPLS.filter((i) => implList.includes(i)) : [...IMPLS];

  if (values.json && values.markdown) throw new UsageError("--json and --markdown both write to stdout: give one");
  if (values.pin && values["no-pin"]) throw new UsageError("--pin and --no-pin contradict each other");
  if (values.chart !== undefined && !values.chart.endsWith(".svg")) {
    throw new UsageError(`--chart writes an SVG file: give a name ending in .svg, got "${values.chart}"`);
  }
  const cpu = values.cpu === undefined ? null : parseCount("cpu", values.cpu, true);
  let compat: string | null = null;
  if (values.compat !== undefined) {
    try {
      compat = [...parseCompatEnv(values.compat)].map(compatEnvName).join(",");
    } catch (e) {
      throw new UsageError(`--compat: ${(e as Error).message.replace(/^URINGSHIM_COMPAT: /, "")}`);
    }
    if (compat === "") throw new UsageError("--compat takes a comma list of features to go without, got nothing");
  }
  if (cpu !== null && values["no-pin"]) throw new UsageError("--cpu picks the CPU to pin to, but --no-pin turns pinning off");

  return {
    suite,
    custom,
    cases,
    programs,
    rounds,
    durationMs,
    warmupMs,
    runtimes,
    impls,
    file: values.file ?? null,
    output: values.json ? "json" : values.markdown ? "markdown" : "table",
    chart: values.chart ?? null,
    pin: !values["no-pin"],
    cpu,
    compat,
    help: values.help ?? false,
  };
}
