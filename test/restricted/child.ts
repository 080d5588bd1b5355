// Short scripts against the library, each run in a child of the runtime
// running the test (possibly under a launcher: seccomp-launch, setpriv,
// prlimit), reporting what each step did as one JSON line.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtime } from "../support/uring.ts";

/** What one step threw (or { ok: true }). */
export interface Outcome {
  ok?: true;
  uringError?: boolean;
  name?: string;
  code?: string;
  errno?: number;
  op?: string;
  message?: string;
  [k: string]: unknown;
}

export interface ChildRun {
  status: number | null;
  signal: string | null;
  stderr: string;
  /** Each step's outcome, by the name given to step(). */
  steps: Record<string, Outcome>;
}

/** A child that is not done by then is killed: nothing here may hang CI. */
export const CHILD_DEADLINE_MS = 20_000;

const adapter = new URL(`../../runtime-${runtime}/mod.ts`, import.meta.url).href;

// `step(name, fn)` runs fn (sync or async) and records its outcome;
// `done()` prints them all. Everything the library throws is reported,
// anything else too (as uringError: false), so the test sees it.
const prelude = `import * as u from ${JSON.stringify(adapter)};
import process from "node:process";
const steps = {};
const outcome = (e) => e instanceof u.UringError
  ? { uringError: true, name: e.name, code: e.code, errno: e.errno, op: e.op, message: e.message }
  : { uringError: false, name: e?.name, message: String(e?.message ?? e) };
async function step(name, fn) {
  try { steps[name] = { ok: true, ...((await fn()) ?? {}) }; } catch (e) { steps[name] = outcome(e); }
}
const done = () => console.log(JSON.stringify(steps));
// Says it is ready, then waits until the parent closes its stdin.
async function gate() {
  console.log(JSON.stringify({ ready: true }));
  await new Promise((resolve) => { process.stdin.on("data", () => {}); process.stdin.on("end", resolve); });
}
`;

/** A temp dir of child scripts that an unprivileged child can read too. */
export class ChildScripts {
  readonly dir = mkdtempSync(join(tmpdir(), "uringshim-restricted-"));

  constructor() {
    chmodSync(this.dir, 0o755);
  }

  /** Writes a script: the prelude, then body (statements using u, step, done). */
  write(name: string, body: string): string {
    const path = join(this.dir, `${name}.ts`);
    writeFileSync(path, `${prelude}${body}\n`, { mode: 0o644 });
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function parseSteps(line: string): Record<string, Outcome> {
  try {
    return JSON.parse(line) as Record<string, Outcome>;
  } catch {
    return {}; // the test's assertions on steps say what is missing
  }
}

/**
 * Runs [cmd, ...args] (a runtimeCommand(), maybe behind launchers) to
 * completion or the deadline; steps is empty when the child printed no
 * JSON line.
 */
export function runChild(cmd: string, args: string[], cwd: string): ChildRun {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: CHILD_DEADLINE_MS, killSignal: "SIGKILL" });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw r.error;
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  return { status: r.status, signal: r.signal, stderr: r.stderr ?? "", steps: parseSteps(last) };
}

/**
 * Like runChild, for a script that calls gate(): once the child is ready
 * (the library loaded), opened() runs, then the child goes on; closed()
 * runs as soon as its steps are printed (or it exits, or the deadline
 * kills it), so whatever opened() changed is changed for as short a time
 * as the child needs.
 */
export function runGatedChild(cmd: string, args: string[], cwd: string, opened: () => void, closed: () => void): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let failed: unknown;
    let out = "";
    let stderr = "";
    let state: "starting" | "open" | "closed" = "starting";
    let steps: Record<string, Outcome> = {};
    const close = () => {
      const was = state;
      state = "closed";
      try {
        if (was === "open") closed();
      } catch (e) {
        failed ??= e;
      }
    };
    const timer = setTimeout(() => {
      close();
      child.kill("SIGKILL");
    }, CHILD_DEADLINE_MS);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf("\n")) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        const parsed = parseSteps(line);
        if (state === "starting" && parsed.ready) {
          state = "open";
          try {
            opened();
          } catch (e) {
            failed = e;
            child.kill("SIGKILL");
          } finally {
            child.stdin.end();
          }
        } else if (line.startsWith("{")) {
          steps = parsed;
          close();
        }
      }
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      close();
      reject(e);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      close();
      if (failed !== undefined) reject(failed);
      else resolve({ status, signal, stderr, steps });
    });
  });
}
