// bench/startup.ts: the child of the startup program (programs.ts), run
// under Bun or Deno in a fresh process each time. No static imports: the
// runtime has loaded nothing of the bench or of the library when the
// first line runs, so what the import costs is all inside the clock.
//
//   startup.ts --impl empty                    the runtime's own boot: print and exit
//   startup.ts --impl promise --module URL     await import(URL) → Ring.open() → await ring.nop()
//   startup.ts --impl fs-async                 await import("node:fs/promises") → await stat(".")
//
// One JSON line: { impl, runtime, startEpochMs (wall clock at the first
// line, for the parent's spawn-to-script time), importMs, openMs (null
// for node:fs), firstOpMs, totalMs (import to first completed op) }. The
// process then ends on its own (an idle ring must not keep it alive).
const startEpochMs = performance.timeOrigin + performance.now();

const g = globalThis as unknown as { Deno?: { args: string[] }; process?: { argv: string[] } };
const argv: string[] = g.Deno !== undefined ? g.Deno.args : g.process!.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const impl = arg("impl");
const out: Record<string, unknown> = { impl, runtime: g.Deno !== undefined ? "deno" : "bun", startEpochMs };

if (impl === "promise") {
  const url = arg("module");
  if (url === undefined) throw new Error("startup.ts --impl promise needs --module URL");
  const t0 = performance.now();
  const mod = await import(url);
  const t1 = performance.now();
  const ring = mod.Ring.open();
  const t2 = performance.now();
  await ring.nop();
  const t3 = performance.now();
  ring.close();
  Object.assign(out, { importMs: t1 - t0, openMs: t2 - t1, firstOpMs: t3 - t2, totalMs: t3 - t0, mode: ring.mode });
} else if (impl === "fs-async") {
  const t0 = performance.now();
  const fs = await import("node:fs/promises");
  const t1 = performance.now();
  await fs.stat(".");
  const t2 = performance.now();
  Object.assign(out, { importMs: t1 - t0, openMs: null, firstOpMs: t2 - t1, totalMs: t2 - t0 });
} else if (impl !== "empty") {
  throw new Error(`startup.ts: --impl takes empty, promise or fs-async, got ${impl}`);
}
console.log(JSON.stringify(out));
export {};
