// bench/locate.ts: the programs a bench run starts, in either layout the
// orchestrator runs from. A clone runs bench/*.ts from source under the
// Bun and Deno of its devDependencies and builds ref-bench with make; an
// installed package runs dist/bench/*.js (scripts/build-bench.mjs), has a
// prebuilt static ref-bench, and no devDependencies: the runtimes are
// whatever the user has, and a missing one skips its runs, saying why.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { Entry } from "./programs.ts";
import type { JsRuntime } from "./types.ts";

/** A program to start, or why there is none (its runs are listed as not run, with that reason). */
export type Program = string | { missing: string };

/** What the search looks at; the process's own by default (see hostOf), a fake one in tests. */
export interface Host {
  /** The runtime running this code. */
  current: JsRuntime | "node";
  /** Its executable. */
  execPath: string;
  cwd: string;
  /** $PATH. */
  pathEnv: string;
  os: string;
  arch: string;
  exists(p: string): boolean;
  executable(p: string): boolean;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function hostOf(): Host {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return {
    current: g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node",
    execPath: process.execPath,
    cwd: process.cwd(),
    pathEnv: process.env.PATH ?? "",
    os: process.platform,
    arch: process.arch,
    exists: existsSync,
    executable,
  };
}

/**
 * A clone set up for development: ref-bench's C source is there (the
 * package does not ship it) and so is `npm ci`'s node_modules. Only then
 * does the bench run `make -C native` and the JS children from source.
 */
export function isDevClone(root: string, host: Pick<Host, "exists">): boolean {
  return host.exists(path.join(root, "native/bench/ref_bench.c")) && host.exists(path.join(root, "node_modules"));
}

const RUNTIME_HINT: Record<JsRuntime, string> = {
  bun: "install Bun or run under bunx",
  deno: "install Deno or run under deno (deno run -A npm:uringshim/bench)",
};

/**
 * The executable of a child runtime: the runtime running the bench when it
 * is that one; the clone's devDependency; node_modules/.bin walking up from
 * the current directory (a project that installed it); then $PATH.
 */
export function findRuntime(name: JsRuntime, root: string, host: Host): Program {
  if (host.current === name) return host.execPath;
  const local = path.join(root, "node_modules/.bin", name);
  if (host.executable(local)) return local;
  for (let dir = path.resolve(host.cwd);; dir = path.dirname(dir)) {
    const p = path.join(dir, "node_modules/.bin", name);
    if (host.executable(p)) return p;
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of host.pathEnv.split(path.delimiter)) {
    if (dir === "") continue;
    const p = path.join(dir, name);
    if (host.executable(p)) return p;
  }
  return { missing: `${name} not found: ${RUNTIME_HINT[name]}` };
}

/**
 * The C reference: the one make built (a clone, or a package where someone
 * ran make), else the package's static build for this CPU (it runs on any
 * libc, so the folder names no libc).
 */
export function findRefBench(root: string, host: Host): Program {
  const built = path.join(root, "native/build/ref-bench");
  if (host.exists(built)) return built;
  const platform = `${host.os}-${host.arch}`;
  const prebuilt = path.join(root, "prebuilt", platform, "ref-bench");
  if (host.exists(prebuilt)) return prebuilt;
  return { missing: `no C reference for ${platform}: neither native/build/ref-bench nor prebuilt/${platform}/ref-bench is in ${root}` };
}

/** The JS child beside the running orchestrator: bench/shim.ts in a clone, dist/bench/shim.js in the package. */
export function shimBeside(orchestrator: string): string {
  return besideOrchestrator(orchestrator, "shim");
}

/** A child script beside the running orchestrator: bench/NAME.ts in a clone, dist/bench/NAME.js in the package. */
export function besideOrchestrator(orchestrator: string, name: string): string {
  return path.join(path.dirname(orchestrator), `${name}${path.extname(orchestrator)}`);
}

/** The file the package's exports give `import "uringshim"` under rt (the "bun" or "deno" condition), relative to root. */
export function exportedEntry(packageJson: string, rt: JsRuntime): string | null {
  const dot = (JSON.parse(packageJson) as { exports?: Record<string, Record<string, string>> }).exports?.["."];
  const file = dot?.[rt];
  return typeof file === "string" ? file : null;
}

/** A .ts source (not .d.ts) below root/folder modified after builtMs (the entry's build), or null. */
function newerThan(root: string, folder: string, builtMs: number): string | null {
  const dir = path.join(root, folder);
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    if (!f.endsWith(".ts") || f.endsWith(".d.ts")) continue;
    if (statSync(path.join(dir, f)).mtimeMs > builtMs) return `${folder}/${f}`;
  }
  return null;
}

/**
 * What the startup program imports for `import "uringshim"` under rt: the
 * file the package's export names for that runtime (the one-file bundle
 * dist/runtime-<rt>/uringshim.js), what users load. In a clone whose entry
 * is missing or older than the sources it is built from (core/,
 * runtime-<rt>/), the TypeScript sources instead, saying so: the runtime
 * then also transpiles them, which users never pay.
 */
export function packageEntry(root: string, rt: JsRuntime, clone: boolean): Entry {
  let file: string | null;
  try {
    file = exportedEntry(readFileSync(path.join(root, "package.json"), "utf8"), rt);
  } catch (e) {
    return { missing: `${path.join(root, "package.json")}: ${(e as Error).message}` };
  }
  if (file === null) return { missing: `package.json has no "${rt}" export for "."` };
  const dist = path.join(root, file);
  let stale: string | null = existsSync(dist) ? null : `${file} is missing`;
  if (clone && stale === null) {
    const builtMs = statSync(dist).mtimeMs;
    const newer = newerThan(root, "core", builtMs) ?? newerThan(root, `runtime-${rt}`, builtMs);
    if (newer !== null) stale = `dist/ is older than ${newer}`;
  }
  if (stale === null) return { url: pathToFileURL(dist).href, what: file.replace(/^\.\//, "") };
  if (!clone) return { missing: `${stale} in ${root}` };
  const source = `runtime-${rt}/mod.ts`;
  return { url: pathToFileURL(path.join(root, source)).href, what: `${source}, the TypeScript sources (${stale}; npm run build to measure dist/)` };
}
