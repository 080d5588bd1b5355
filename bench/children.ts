// bench/children.ts: one run = one child process printing one JSON line.
// Builds the command line of a run (ref-bench, or bench/shim.ts under Bun
// or Deno; fio.ts builds fio's), runs it (pinned with taskset when asked),
// and turns what it printed into a RunResult.
//
// The child protocol: flags `--workload W --bs N --qd N --batch N [--direct]
// [--fixed] [--files] [--sqpoll] [--file PATH] [--duration-ms N]
// [--warmup-ms N] [--latency] [--fsync-every N] [--read-pct N]`, plus
// `--impl batch|promise|fs-sync|fs-async|native-file` for the JS child;
// output `{ impl, runtime, workload, bs, qd, batch, direct, fixed, files,
// sqpoll, ops, seconds, bytes, cpuUserUs, cpuSysUs, latency: { p50Ns,
// p99Ns, p999Ns, samples } | null, verified, mode }`, exit 0; exit 1 and a
// message on stderr when the run fails; exit 2 when the child cannot run
// that combination (e.g. native-file with --direct): not a failure, the
// runner is skipped for the case with the child's message as the reason.
//
// The first children spoke an older dialect ("legacy"): `--api
// batch|promise` instead of --impl, workloads nop|randread|seq, no
// --warmup-ms in ref-bench, --latency only for reads of the batch API; output `opsPerSec`, `cpuUsPerOp`, `p50Us`/`p99Us`,
// `latencySamples`, `verified` as a count. detectProtocol() asks each child
// once which one it speaks; legacyArgs() says "unsupported" for what the
// old dialect cannot express, and normalize() reads both outputs.
import { spawnSync } from "node:child_process";
import type { Case, ChildRuntime, Latency, RunResult, Runner } from "./types.ts";
import { isWrite } from "./suites.ts";

export type Protocol = "current" | "legacy";

export interface Programs {
  refBench: string;
  shim: string;
  bun: string;
  deno: string;
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
  /** The prefix that pins a run to one CPU (["taskset", "-c", "1"]), or null. */
  pin: string[] | null;
  /** The protocol each child program speaks (detectProtocol()). */
  protocol: Partial<Record<ChildRuntime, Protocol>>;
}

export type Command = { cmd: string; args: string[] };
export type Built = Command | { unsupported: string };

/** The program and leading arguments that start a child of this runtime. */
function base(rt: ChildRuntime, p: Programs): Command {
  if (rt === "c") return { cmd: p.refBench, args: [] };
  if (rt === "bun") return { cmd: p.bun, args: [p.shim] };
  if (rt === "deno") return { cmd: p.deno, args: ["run", "-A", p.shim] };
  throw new Error("fio runs are built by fio.ts");
}

/** The file a case's runs use: writes go to the scratch file, never into the read file. */
export function fileFor(c: Case, env: Pick<RunEnv, "readFile" | "writeFile">): string | null {
  if (c.workload === "nop") return null;
  return isWrite(c.workload) ? env.writeFile : env.readFile;
}

/** The command line of a run in the current protocol. */
export function currentArgs(runner: Runner, c: Case, env: RunEnv): Built {
  const b = base(runner.runtime, env.programs);
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
  if (c.fsyncEvery > 0) args.push("--fsync-every", `${c.fsyncEvery}`);
  if (c.workload === "mixed") args.push("--read-pct", `${c.readPct}`);
  args.push("--duration-ms", `${env.durationMs}`, "--warmup-ms", `${env.warmupMs}`);
  return { cmd: b.cmd, args };
}

/** The command line of a run in the legacy dialect, or why that dialect cannot express it. */
export function legacyArgs(runner: Runner, c: Case, env: RunEnv): Built {
  const child = runner.runtime === "c" ? "ref-bench" : "bench/shim.ts";
  if (runner.impl !== "c" && runner.impl !== "batch" && runner.impl !== "promise") {
    return { unsupported: `${child} has no --impl ${runner.impl} yet` };
  }
  if (c.workload !== "nop" && c.workload !== "randread" && c.workload !== "seqread") {
    return { unsupported: `${child} has no ${c.workload} workload yet` };
  }
  const promise = runner.impl === "promise";
  if (promise && (c.workload === "seqread" || c.fixed || c.files)) {
    return { unsupported: `${child} runs seqread, fixed buffers and registered files with the batch API only` };
  }
  if (runner.impl === "batch" && c.files && !c.fixed) return { unsupported: `${child} needs fixed buffers for a registered file` };
  const b = base(runner.runtime, env.programs);
  const args = [...b.args];
  if (runner.runtime !== "c") args.push("--api", runner.impl);
  args.push("--workload", c.workload === "seqread" ? "seq" : c.workload, "--batch", `${c.batch}`);
  if (c.workload !== "nop") {
    if (env.readFile === null) return { unsupported: "no data file" };
    args.push("--bs", `${c.bs}`, "--qd", `${c.qd}`, "--file", env.readFile);
    // Latency comes from the instrumented loop, which the old promise child lacks. (No --verify:
    // the old children check the first version of bench/pattern.mjs, not today's.)
    if (!promise) args.push("--latency");
  }
  if (c.direct) args.push("--direct");
  if (c.fixed) args.push("--fixed");
  if (c.files) args.push("--files");
  if (c.sqpoll) args.push("--sqpoll");
  args.push("--duration-ms", `${env.durationMs}`);
  if (runner.runtime !== "c") args.push("--warmup-ms", `${env.warmupMs}`);
  return { cmd: b.cmd, args };
}

/** The command line of a run in the protocol its child speaks. */
export function childArgs(runner: Runner, c: Case, env: RunEnv): Built {
  return env.protocol[runner.runtime] === "legacy" ? legacyArgs(runner, c, env) : currentArgs(runner, c, env);
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
 * One child line (either dialect) as a RunResult. bs is the case's block
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
  let cpuPerOpUs: number | null = null;
  if (cpuUser !== null && cpuSys !== null && ops > 0) cpuPerOpUs = (cpuUser + cpuSys) / ops;
  else if (num(raw.cpuUsPerOp) !== null && (raw.cpuUsPerOp as number) > 0) cpuPerOpUs = raw.cpuUsPerOp as number;
  let latency: Latency | null = null;
  const l = raw.latency;
  if (l !== null && typeof l === "object") {
    const o = l as Record<string, unknown>;
    latency = { p50Ns: num(o.p50Ns), p99Ns: num(o.p99Ns), p999Ns: num(o.p999Ns), samples: num(o.samples) ?? 0 };
  } else if (num(raw.p50Us) !== null) {
    const us = (v: unknown) => (num(v) === null ? null : (v as number) * 1000);
    latency = { p50Ns: us(raw.p50Us), p99Ns: us(raw.p99Us), p999Ns: us(raw.p999Us), samples: num(raw.latencySamples) ?? 0 };
  }
  if (latency !== null && latency.p50Ns === null && latency.p99Ns === null && latency.p999Ns === null) latency = null;
  let verified: boolean | null = null;
  if (typeof raw.verified === "boolean") verified = raw.verified;
  else if (num(raw.verified) !== null && (raw.verified as number) > 0) verified = true; // legacy: a count of checked buffers
  const isNop = raw.workload === "nop" || bs === 0;
  return {
    ops,
    seconds,
    bytes,
    iops,
    mbps: isNop ? null : bytes / seconds / 1e6,
    cpuPerOpUs,
    latency,
    verified,
    mode: typeof raw.mode === "string" ? raw.mode : null,
  };
}

/**
 * Which protocol a child program speaks: a 1 ms NOP run with the current
 * flags succeeds only under the current protocol.
 */
export function detectProtocol(rt: "c" | "bun" | "deno", programs: Programs): Protocol {
  const b = base(rt, programs);
  const args = [...b.args, ...(rt === "c" ? [] : ["--impl", "batch"]), "--workload", "nop", "--batch", "1", "--duration-ms", "1", "--warmup-ms", "0"];
  const r = execute({ cmd: b.cmd, args }, 30_000);
  if (!r.ok) return "legacy";
  try {
    normalize(lastJsonLine(r.stdout), 0);
    return "current";
  } catch {
    return "legacy";
  }
}
