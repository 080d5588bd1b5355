// The bench outside the clone: how the orchestrator finds its children in
// either layout (bench/locate.ts), that a missing one skips its runs with
// the reason instead of failing, and what the package's bundle of the
// bench imports (scripts/build-bench.mjs). Running the bundle from an
// installed package is test/package.test.ts's.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { childArgs, type RunEnv } from "../bench/children.ts";
import { besideOrchestrator, findRefBench, findRuntime, type Host, isDevClone, shimBeside } from "../bench/locate.ts";
import { makeCase } from "../bench/suites.ts";
import { tempDir } from "./support/uring.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** A host with these executables (and files) and nothing else. */
function fakeHost(files: string[], over: Partial<Host> = {}): Host {
  const set = new Set(files);
  return {
    current: "node", execPath: "/usr/bin/node", cwd: "/home/u/project/src", pathEnv: "/usr/local/bin:/usr/bin", os: "linux", arch: "x64",
    exists: (p) => set.has(p) || [...set].some((f) => f.startsWith(`${p}/`)),
    executable: (p) => set.has(p),
    ...over,
  };
}

describe("bench/locate.ts: the children in a clone and in an installed package", () => {
  const pkg = "/home/u/project/node_modules/uringshim";

  it("a runtime: the running one, the clone's, node_modules/.bin up from the cwd, then PATH", () => {
    const all = ["/repo/node_modules/.bin/bun", "/home/u/project/node_modules/.bin/bun", "/usr/local/bin/bun"];
    expect(findRuntime("bun", "/repo", fakeHost(all, { current: "bun", execPath: "/opt/bun" }))).toBe("/opt/bun");
    expect(findRuntime("bun", "/repo", fakeHost(all))).toBe("/repo/node_modules/.bin/bun");
    expect(findRuntime("bun", pkg, fakeHost(all))).toBe("/home/u/project/node_modules/.bin/bun");
    expect(findRuntime("bun", pkg, fakeHost(all.slice(2)))).toBe("/usr/local/bin/bun");
    // Deno running the bench is no Bun: it is found like any other.
    expect(findRuntime("bun", pkg, fakeHost(all.slice(2), { current: "deno", execPath: "/opt/deno" }))).toBe("/usr/local/bin/bun");
    expect(findRuntime("bun", pkg, fakeHost([]))).toEqual({ missing: "bun not found: install Bun or run under bunx" });
    expect(findRuntime("deno", pkg, fakeHost([]))).toEqual({ missing: expect.stringMatching(/^deno not found: install Deno/) });
  });

  it("ref-bench: make's build, else the package's prebuilt for the CPU, else a reason", () => {
    expect(findRefBench("/repo", fakeHost(["/repo/native/build/ref-bench"]))).toBe("/repo/native/build/ref-bench");
    expect(findRefBench(pkg, fakeHost([`${pkg}/prebuilt/linux-x64/ref-bench`]))).toBe(`${pkg}/prebuilt/linux-x64/ref-bench`);
    expect(findRefBench(pkg, fakeHost([`${pkg}/prebuilt/linux-x64/ref-bench`], { arch: "arm64" }))).toEqual({
      missing: `no C reference for linux-arm64: neither native/build/ref-bench nor prebuilt/linux-arm64/ref-bench is in ${pkg}`,
    });
  });

  it("make runs only in a clone set up for development; the JS child is the orchestrator's sibling", () => {
    expect(isDevClone(root, fakeHost([join(root, "native/bench/ref_bench.c"), join(root, "node_modules/.bin/bun")]))).toBe(true);
    // The package ships native/src and a Makefile, never ref_bench.c.
    expect(isDevClone(pkg, fakeHost([`${pkg}/native/Makefile`, `${pkg}/native/src/ring.c`]))).toBe(false);
    expect(isDevClone("/repo", fakeHost(["/repo/native/bench/ref_bench.c"]))).toBe(false); // no npm ci yet
    expect(shimBeside("/repo/bench/cli.ts")).toBe("/repo/bench/shim.ts");
    expect(shimBeside(`${pkg}/dist/bench/cli.js`)).toBe(`${pkg}/dist/bench/shim.js`);
    expect(besideOrchestrator(`${pkg}/dist/bench/cli.js`, "startup")).toBe(`${pkg}/dist/bench/startup.js`);
    expect(besideOrchestrator("/repo/bench/cli.ts", "program-child")).toBe("/repo/bench/program-child.ts");
  });

  it("a missing program makes its runs unsupported, with the reason", () => {
    const env: RunEnv = {
      programs: {
        refBench: { missing: "no C reference" }, shim: "/p/dist/bench/shim.js", program: "/p/dist/bench/program-child.js",
        startup: "/p/dist/bench/startup.js", bun: { missing: "bun not found" }, deno: "/usr/bin/deno",
      },
      readFile: null, writeFile: null, durationMs: 100, warmupMs: 0,
    };
    const nop = makeCase("nop", {});
    expect(childArgs({ impl: "c", runtime: "c", key: "c" }, nop, env)).toEqual({ unsupported: "no C reference" });
    expect(childArgs({ impl: "batch", runtime: "bun", key: "bun-batch" }, nop, env)).toEqual({ unsupported: "bun not found" });
    const deno = childArgs({ impl: "batch", runtime: "deno", key: "deno-batch" }, nop, env);
    expect("cmd" in deno && [deno.cmd, ...deno.args.slice(0, 5)]).toEqual(["/usr/bin/deno", "run", "-A", "/p/dist/bench/shim.js", "--impl", "batch"]);
  });
});

describe("scripts/build-bench.mjs: the bench bundle the package ships", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("imports node builtins, the package's compiled dist/ and, lazily, vega: nothing else", () => {
    const out = join(tmp.dir, "dist/bench");
    const built = spawnSync("node", [join(root, "scripts/build-bench.mjs"), out], { encoding: "utf8" });
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    const imports = (file: string) =>
      [...readFileSync(join(out, file), "utf8").matchAll(/(?:^import .* from |import\()"([^"]+)"/gm)].map((m) => m[1]);
    const foreign = (specs: string[]) => specs.filter((s) => !s.startsWith("node:") && !/^\.\.\/(core|runtime-bun|runtime-deno)\/[\w./-]+\.js$/.test(s));
    const cli = imports("cli.js");
    expect(cli).toContain("../core/paths.js");
    expect(foreign(cli).sort()).toEqual(["vega", "vega-lite"]);
    expect(readFileSync(join(out, "cli.js"), "utf8")).not.toMatch(/^import .* from "vega/m); // only import("vega") in --chart
    const shim = imports("shim.js");
    expect(foreign(shim)).toEqual([]);
    // Each runtime loads only its own adapter: Bun's (and its bun:ffi) must stay out of Deno's way.
    expect(shim).toContain("../runtime-bun/mod.js");
    expect(shim).toContain("../runtime-deno/mod.js");
    expect(readFileSync(join(out, "shim.js"), "utf8")).not.toMatch(/^import .* from "\.\.\/runtime-/m);
    expect(readFileSync(join(out, "shim.js"), "utf8")).not.toMatch(/bun:ffi/);
    // The program child: the same lazy adapters; startup: nothing at all before its clock starts.
    const program = imports("program-child.js");
    expect(foreign(program)).toEqual([]);
    expect(program).toContain("../runtime-bun/mod.js");
    expect(readFileSync(join(out, "program-child.js"), "utf8")).not.toMatch(/^import .* from "\.\.\/runtime-/m);
    const startup = readFileSync(join(out, "startup.js"), "utf8");
    expect(startup).not.toMatch(/^import /m);
    expect(imports("startup.js")).toEqual(["node:fs/promises"]);
  });
});
