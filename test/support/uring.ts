// The library as a user gets it under the runtime running this test, plus
// real-kernel fixtures (temp files, FIFOs). No mocks of io_uring.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const runtime: "bun" | "deno" = "Bun" in globalThis ? "bun" : "deno";

type Mod = typeof import("../../core/mod.ts");
export type Ring = import("../../core/mod.ts").Ring;
export type UringError = import("../../core/mod.ts").UringError;
// A computed specifier: tsc type-checks through the Bun adapter only;
// `deno check` covers the Deno one.
const adapter = `../../runtime-${runtime}/mod.ts`;
export const uring: Mod = await import(adapter);

/** Ring configurations every core test runs under, like liburing's per-config runs. */
export const ringConfigs = [
  { name: "no-mmap", options: { mode: "no-mmap" as const } },
  { name: "mmap", options: { mode: "mmap" as const } },
  { name: "no-mmap, small SQ (4 entries)", options: { mode: "no-mmap" as const, entries: 4 } },
  { name: "no-mmap, SQPOLL", options: { mode: "no-mmap" as const, sqpoll: { idleMs: 20 } } },
  { name: "mmap, SQPOLL", options: { mode: "mmap" as const, sqpoll: { idleMs: 20 } } },
  { name: "no-mmap, SQE128 + CQE32", options: { mode: "no-mmap" as const, sqe128: true, cqe32: true } },
];

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "uringshim-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A named pipe (mkfifo), opened read-write through the ring so opening never blocks. */
export function makeFifo(dir: string, name = "fifo"): string {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  return path;
}

/** The current runtime's executable and the arguments that run a script with it. */
export function runtimeCommand(script: string): [string, string[]] {
  return runtime === "bun" ? [process.execPath, [script]] : [process.execPath, ["run", "-A", script]];
}

export function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
