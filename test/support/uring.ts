// The library as a user gets it under the runtime running this test, plus
// real-kernel fixtures (temp files, FIFOs). No mocks of io_uring.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type TestContext } from "vitest";

export const runtime: "bun" | "deno" = "Bun" in globalThis ? "bun" : "deno";

type Mod = typeof import("../../core/mod.ts");
export type Ring = import("../../core/mod.ts").Ring;
export type UringError = import("../../core/mod.ts").UringError;
export type FixedFile = import("../../core/mod.ts").FixedFile;
// A computed specifier: tsc type-checks through the Bun adapter only;
// `deno check` covers the Deno one.
const adapter = `../../runtime-${runtime}/mod.ts`;
export const uring: Mod = await import(adapter);

/** The features URINGSHIM_COMPAT turns off for this run (scripts/test.mjs runs the core suite once per feature). */
export const compatOff: ReadonlySet<string> = uring.parseCompatEnv(process.env.URINGSHIM_COMPAT);

// Without NO_MMAP (URINGSHIM_COMPAT=no-no-mmap) "no-mmap" rings cannot be
// set up: those configurations run kernel-mapped, as on a kernel before 6.5.
const noMmap: "no-mmap" | "mmap" = compatOff.has("noMmap") ? "mmap" : "no-mmap";

/** Ring configurations every core test runs under, like liburing's per-config runs. */
export const ringConfigs = [
  { name: "no-mmap", options: { mode: noMmap } },
  { name: "mmap", options: { mode: "mmap" as const } },
  { name: "no-mmap, small SQ (4 entries)", options: { mode: noMmap, entries: 4 } },
  { name: "no-mmap, SQPOLL", options: { mode: noMmap, sqpoll: { idleMs: 20 } } },
  { name: "mmap, SQPOLL", options: { mode: "mmap" as const, sqpoll: { idleMs: 20 } } },
  { name: "no-mmap, SQE128 + CQE32", options: { mode: noMmap, sqe128: true, cqe32: true } },
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

/** n pseudo-random bytes (xorshift32 from seed): data that shows misplaced bytes. */
export function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The UringError p rejects with (fails the test if it resolves or rejects with anything else). */
export async function rejection(p: Promise<unknown>): Promise<UringError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(uring.UringError);
    return e as UringError;
  }
  throw new Error("expected the promise to reject");
}

/** The open(2) flags of one of this process's fds, as the kernel reports them (octal "flags:" in /proc/self/fdinfo). */
export function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
  if (m === null) throw new Error(`no flags line in /proc/self/fdinfo/${fd}`);
  return parseInt(m[1], 8);
}

declare module "vitest" {
  interface TaskMeta {
    /** Why the test skipped: scripts/test.mjs lists these after the run. */
    skipReason?: string;
  }
}

/** Skips the running test, recording why, so `npm test` prints the reason. */
export function skip(ctx: TestContext, reason: string): never {
  ctx.task.meta.skipReason = reason;
  ctx.skip(reason);
  throw new Error("unreachable: ctx.skip() throws");
}

/**
 * Runs `body` (statements using the library's exports as `u`) in a child
 * of this runtime under `ulimit -l kib` and, as root, without CAP_IPC_LOCK
 * (which would bypass the limit); body's last line should print JSON.
 * Skips the test when setpriv(1) is missing. Returns the parsed last line.
 * The child keeps CAP_SYS_ADMIN, so test/restricted.test.ts setting
 * kernel.io_uring_disabled = 1 cannot affect it; a child without it must
 * start through nonRootCommand() in test/restricted/nonroot.ts.
 */
export function runUnderMemlockLimit(ctx: TestContext, kib: number, body: string[]): Record<string, unknown> {
  const root = process.getuid?.() === 0;
  if (root && !existsSync("/usr/bin/setpriv")) skip(ctx, "needs setpriv(1) to drop CAP_IPC_LOCK as root");
  const { dir, cleanup } = tempDir();
  try {
    const script = join(dir, "limited.ts");
    const adapter = new URL(`../../runtime-${runtime}/mod.ts`, import.meta.url).href;
    writeFileSync(script, [`import * as u from ${JSON.stringify(adapter)};`, ...body].join("\n"));
    const [cmd, args] = runtimeCommand(script);
    const drop = root ? ["setpriv", "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock", "--"] : [];
    const r = spawnSync("sh", ["-c", `ulimit -l ${kib} && exec "$@"`, "sh", ...drop, cmd, ...args], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
  } finally {
    cleanup();
  }
}
