// Child processes of the runtime running the test, for what one process
// cannot check about itself: that it exits by itself, what it prints, and
// behaviour under forced garbage collection. Every child has a deadline.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtime } from "./uring.ts";

const adapter = new URL(`../../runtime-${runtime}/mod.ts`, import.meta.url).href;

/** A statement that forces a full collection in the child (needs runChild's gc option under Deno). */
export const forceGc = runtime === "bun" ? "Bun.gc(true)" : "(globalThis as any).gc()";

/** Writes dir/name.ts: the library's exports as `u`, then body. */
export function childScript(dir: string, name: string, body: string): string {
  const path = join(dir, `${name}.ts`);
  writeFileSync(path, `import * as u from ${JSON.stringify(adapter)};\n${body}\n`);
  return path;
}

export interface ChildResult {
  /** Exit code, or null when a signal ended it (timedOut: our SIGKILL at the deadline). */
  status: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs script with this runtime (Deno: -A, and --expose-gc when gc is set;
 * Bun always has Bun.gc) and resolves when it exits or, at deadlineMs,
 * after killing it.
 */
export function runChild(script: string, options: { deadlineMs: number; gc?: boolean }): Promise<ChildResult> {
  const args = runtime === "bun"
    ? [script]
    : ["run", "-A", ...(options.gc ? ["--v8-flags=--expose-gc"] : []), script];
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.deadlineMs);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
