// bench/children.ts: one run = one child process printing one JSON line.
// Builds the command line of a run (ref-bench, or bench/shim.ts under Bun
// or Deno; fio.ts builds fio's), runs it (pinned with taskset when asked),
// and turns what it printed into a RunResult.
//
// The child protocol: flags `--workload W --bs N --qd N --batch N [--direct]
// [--fixed] [--files] [--sqpoll] [--file PATH] [--duration-ms N]
// [--warmup-ms N] [--latency] [--fsync-every N] [--read-pct N] [--compat LIST]`, plus
// `--impl batch|promise|fs-sync|fs-async|native-file` for the JS child;
// output `{ impl, runtime, workload, bs, qd, batch, direct, fixed, files,
// sqpoll, ops, seconds, bytes, cpuUserUs, cpuSysUs, latency: { p50Ns,
// p99Ns, p999Ns, samples } | null, verified, mode }`, exit 0; exit 1 and a
// message on stderr when the run fails; exit 2 when the child cannot run
// that combination (e.g. native-file with --direct): not a failure, the
// runner is skipped for the case with the child's message as the reason.
// Fields a child adds beyond these are ignored.
import { spawnSync } from "node:child_process";
import type { Case, ChildRuntime, JsRuntime, Latency, RunResult, Runner } from "./types.ts";
import type { Program } from "./locate.ts";
import { isWrite } from "./suites.ts";

/** What the children are started with (locate.ts finds them); a missing one makes its runs "not run". */
export interface Programs {
  refBench: Program;
  shim: string;
  /** The program cases' children (programs.ts): fresh-read and hash, and startup. */
  program: string;
  startup: string;
  bun: Program;
  deno: Program;
}

/** What every run of one bench invocation shares. */
export interface RunEnv {
  programs: Programs;
  /** The file reads go to (null when no case needs one). */
  readFile: string | null;
  /** The scratch file writes go to. */
  writeFile: string | null;
  durationMs: number;
  warmupMs: number;
  /** --compat, passed to the ring implementations (batch, promise) only. */
  compat?: string | null;
}

export type Command = { cmd: string; args: string[] };
export type Built = Command | { unsupported: string };

/** The program and leading arguments that start a child of this runtime. */
function base(rt: ChildRuntime, p: Programs): Built {
  if (rt === "fio") throw new Error("fio runs are built by fio.ts");
  if (rt !== "c") return scriptCommand(rt, p, p.shim);
  return typeof p.refBench === "string" ? { cmd: p.refBench, args: [] } : { unsupported: p.refBench.missing };
}

/** The runtime and leading arguments that run a script under Bun or Deno. */
export function scriptCommand(rt: JsRuntime, p: Programs, script: string): Built {
  const program = rt === "bun" ? p.bun : p.deno;
  if (typeof program !== "string") return { unsupported: program.missing };
  return rt === "bun" ? { cmd: program, args: [script] } : { cmd: program, args: ["run", "-A", script] };
}

/** The file a case's runs use: writes go to the scratch file, never into the read file. */
export function fileFor(c: Case, env: Pick<RunEnv, "readFile" | "writeFile">): string | null {
  if (c.workload === "nop") return null;
  return isWrite(c.workload) ? env.writeFile : env.readFile;
}

/** The command line of a run (ref-bench or the shim; fio.ts builds fio's). */
export function childArgs(runner: Runner, c: Case, env: RunEnv): Built {
  const b = base(runner.runtime, env.programs);
  if ("unsupported" in b) return b;
  const args = [...b.args];
  if (runner.runtime !== "c") args.push("--impl", runner.impl);
  args.push("--workload", c.workload, "--batch", `${c.batch}`);
  if (c.workload !== "nop") {
    const file = fileFor(c, env);
    if (file === null) return { unsupported: "no data file" };
    args.push("--bs", `${c.bs}`, "--qd", `${c.qd}`, "--file", file, "--latency");
  }
  if (c.direct) args.push("--direct");
  if (c.fixed) args.push("--fixed");
  if (c.files) args.push("--files");
  if (c.sqpoll) args.push("--sqpoll");
  if (env.compat && (runner.impl === "batch" || runner.impl === "promise")) args.push("--compat", env.compat);
  if (c.submitEach) args.push("--submit-each");
  if (c.fsyncEvery > 0) args.push("--fsync-every", `${c.fsyncEvery}`);
  if (c.workload === "mixed") args.push("--read-pct", `${c.readPct}`);
  args.push("--duration-ms", `${env.durationMs}`, "--warmup-ms", `${env.warmupMs}`);
  return { cmd: b.cmd, args };
}

/** cmd and args behind the pin prefix, when there is one. */
export function pinned(command: Command, pin: string[] | null): Command {
  return pin === null ? command : { cmd: pin[0], args: [...pin.slice(1), command.cmd, ...command.args] };
}

export type Outcome = { ok: true; stdout: string } | { ok: false; error: string; status: number | null; stderr: string };

/**
 * Runs a command to completion; a non-zero exit, a signal or a timeout is
 * an error carrying stderr's last lines (and the exit status: 2 is a
 * child's "I cannot run this combination").
 */
export function execute(command: Command, timeoutMs: number, cwd?: string): Outcome {
  const r = spawnSync(command.cmd, command.args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = (r.stderr ?? "").trim().split("\n").slice(-6).join("\n");
  const fail = (what: string) => ({ ok: false as const, error: `${what}${stderr ? `: ${stderr}` : ""}`, status: r.status, stderr });
  if (r.error) return fail(r.error.message);
  if (r.signal) return fail(`killed by ${r.signal}`);
  if (r.status !== 0) return fail(`exit ${r.status}`);
  return { ok: true, stdout: r.stdout ?? "" };
}

/** The last line of stdout that is a JSON object. */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n").reverse();
  for (const line of lines) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const v = JSON.parse(t);
      if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  throw new Error(`no JSON line in the child's output: ${JSON.stringify(stdout.slice(0, 200))}`);
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * One child line as a RunResult. bs is the case's block
 * size, used when the child does not report bytes. Throws on a line without
 * a positive op count and duration.
 */
export function normalize(raw: Record<string, unknown>, bs: number): RunResult {
  const ops = num(raw.ops);
  const seconds = num(raw.seconds);
  if (ops === null || seconds === null || seconds <= 0) {
    throw new Error(`child result without ops and seconds: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  const iops = ops / seconds;
  const bytes = num(raw.bytes) ?? ops * (num(raw.bs) ?? bs);
  const cpuUser = num(raw.cpuUserUs);
  const cpuSys = num(raw.cpuSysUs);
  const cpuPerOpUs = cpuUser !== null && cpuSys !== null && ops > 0 ? (cpuUser + cpuSys) / ops : null;
  let latency: Latency | null = null;
  if (raw.latency !== null && typeof raw.latency === "object") {
    const l = raw.latency as Record<string, unknown>;
    latency = { p50Ns: num(l.p50Ns), p99Ns: num(l.p99Ns), p999Ns: num(l.p999Ns), samples: num(l.samples) ?? 0 };
    if (latency.p50Ns === null && latency.p99Ns === null && latency.p999Ns === null) latency = null;
  }
  const isNop = raw.workload === "nop" || bs === 0;
  return {
    ops,
    seconds,
    bytes,
    iops,
    mbps: isNop ? null : bytes / seconds / 1e6,
    cpuPerOpUs,
    latency,
    verified: typeof raw.verified === "boolean" ? raw.verified : null,
    mode: typeof raw.mode === "string" ? raw.mode : null,
  };
}
