// bench/program-child.ts: the child of the fresh-read and hash programs
// (programs.ts), run under Bun or Deno, one run per process:
//
//   program-child.ts --program fresh-read --impl promise|fs-async --file PATH --reads N --in-flight N
//   program-child.ts --program hash --impl promise|fs-async --dir DIR --files N --in-flight N
//
// An untimed warm-up pass of each shape (a fifth of the work), then the
// timed passes A B B A (PASS_ORDER). One JSON line on stdout:
// { program, impl, runtime, count, inFlight, shapes: { <shape>: { ms: [..],
// ops, enters: [..] | null } }, digest (hash), verified, mode }. Exit 1
// and a message on stderr when the run fails (a short read, bytes that
// differ from the file, passes whose digests differ), 2 for bad options.
// uringshim is imported for the promise API only, node:fs needs none of it.
import { parseArgs } from "node:util";
import { treeNames } from "./hash-tree.ts";
import { PASS_ORDER, PROGRAMS, SHAPES, type TimedPass } from "./programs.ts";
import { hashProgram } from "./program-hash.ts";
import { readsProgram } from "./program-reads.ts";
import { exit, fail, isBun, refuse, runtime } from "./shim-common.ts";

const argv: string[] = isBun
  ? (globalThis as unknown as { Bun: { argv: string[] } }).Bun.argv.slice(2)
  : (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      program: { type: "string" },
      impl: { type: "string" },
      file: { type: "string" },
      dir: { type: "string" },
      reads: { type: "string" },
      files: { type: "string" },
      "in-flight": { type: "string" },
    },
  }));
} catch (e) {
  refuse((e as Error).message);
}

function count(name: string): number {
  const v = values[name];
  if (v === undefined || !/^\d+$/.test(v) || Number(v) === 0) refuse(`--${name} takes a positive integer, got ${v}`);
  return Number(v);
}

const programName = values.program;
if (programName !== "fresh-read" && programName !== "hash") refuse(`--program takes fresh-read or hash (${PROGRAMS.join(", ")} are the programs; startup has its own child)`);
const program: "fresh-read" | "hash" = programName;
const impl = values.impl;
if (impl !== "promise" && impl !== "fs-async") refuse(`--impl takes promise or fs-async, got ${impl}`);
const inFlight = count("in-flight");

const mod: typeof import("../runtime-bun/mod.ts") | null = impl !== "promise"
  ? null
  : isBun
  ? await import("../runtime-bun/mod.ts")
  : await import("../runtime-deno/mod.ts");

type Shape = (typeof SHAPES)[typeof program][number];

/** Warm-up of each shape over a fifth of the work, then the timed passes; every pass of each shape, in order. */
async function passes(n: number, run: (shape: Shape, count: number) => Promise<TimedPass>): Promise<Record<string, TimedPass[]>> {
  const shapes = SHAPES[program] as readonly Shape[];
  const warm = Math.min(n, Math.max(inFlight * 4, Math.ceil(n / 5)));
  for (const s of shapes) await run(s, warm);
  const out: Record<string, TimedPass[]> = Object.fromEntries(shapes.map((s) => [s, []]));
  for (const k of PASS_ORDER) out[shapes[k]].push(await run(shapes[k], n));
  return out;
}

let line: Record<string, unknown>;
try {
  if (program === "fresh-read") {
    if (values.file === undefined) refuse("fresh-read needs --file");
    const n = count("reads");
    const p = await readsProgram(impl, mod, values.file, n, inFlight);
    const timed = await passes(n, (shape, c) => p.pass(shape as "reused" | "fresh", c));
    await p.close();
    line = { count: n, shapes: shapesJson(timed), verified: true, mode: p.mode };
  } else {
    if (values.dir === undefined) refuse("hash needs --dir");
    const n = count("files");
    const names = treeNames(values.dir);
    if (names.length !== n) fail(`${values.dir} has ${names.length} files, not ${n}`);
    const p = hashProgram(impl, mod, values.dir, names, inFlight);
    const digests = new Set<string>();
    const timed = await passes(n, async (shape, c) => {
      const r = await p.pass(shape as "prelisted" | "streamed", c);
      if (c === n) digests.add(r.digest);
      return r;
    });
    p.close();
    if (digests.size !== 1) fail(`the passes over ${values.dir} gave different digests: ${[...digests].join(", ")}`);
    line = { count: n, shapes: shapesJson(timed), digest: [...digests][0], verified: null, mode: p.mode };
  }
} catch (e) {
  fail((e as Error)?.stack ?? String(e));
}

console.log(JSON.stringify({ program, impl, runtime, inFlight, ...line }));
exit(0);

function shapesJson(timed: Record<string, TimedPass[]>) {
  return Object.fromEntries(Object.entries(timed).map(([shape, ps]) => [shape, {
    ms: ps.map((p) => Number(p.ms.toFixed(3))),
    ops: ps[0].ops,
    enters: ps.some((p) => p.enters === null) ? null : ps.map((p) => p.enters),
  }]));
}
