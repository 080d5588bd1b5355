// The package as a user gets it: the tarball `npm pack` makes, installed
// with install scripts off into an empty project that knows nothing of
// this clone (no symlink, no path to it), then README's examples, the
// shipped types, the bins and the loader's errors tried there.
// scripts/test.mjs packs once for every runtime (URINGSHIM_TARBALL); run
// alone, this file packs itself.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPlatform, prebuiltFor } from "../core/platform.ts";
import { runtime, skip, tempDir } from "./support/uring.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = [...readme.matchAll(/<!-- example:(\w+) -->\n```ts\n([\s\S]*?)```/g)].map(([, tag, code]) => ({ tag, code }));
const expected: Record<string, RegExp> = {
  bun: /^hello from io_uring 19 bytes, (no-mmap|mmap) mode$/m,
  deno: /^directories: true true\nENOENT 2 statx$/m,
};
const PACK_MS = 180_000;
const RUN_MS = 60_000;

const work = tempDir();
afterAll(() => work.cleanup());

/** The user's environment, plus env: nothing that points back at this clone (npm's script variables, a library override). */
function userEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_") && k !== "URINGSHIM_LIBRARY" && k !== "INIT_CWD"));
  return { ...clean, ...env } as NodeJS.ProcessEnv;
}

/** A command's result, as text. */
function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeout = RUN_MS): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, env: userEnv(env) });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error || r.status !== 0) throw new Error(`${what}: exit ${r.status} ${r.error?.message ?? ""}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function packTarball(): string {
  const given = process.env.URINGSHIM_TARBALL;
  if (given && existsSync(given)) return given;
  const dest = join(work.dir, "pack");
  mkdirSync(dest);
  const out = ok(sh("npm", ["pack", "--silent", "--pack-destination", dest], root, {}, PACK_MS), "npm pack");
  return join(dest, out.trim().split("\n").pop()!);
}

/** An empty project with the tarball installed by `npm install --ignore-scripts` (offline: the package has no dependencies). */
function npmProject(tarball: string, name: string): string {
  const dir = join(work.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }, null, 2));
  ok(sh("npm", ["install", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", tarball], dir, {}, PACK_MS), "npm install");
  return dir;
}

/** The same with `bun add` (Bun runs no dependency scripts unless trusted). */
function bunProject(tarball: string, name: string): string {
  const dir = join(work.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }, null, 2));
  ok(sh(bunExe(), ["add", "--ignore-scripts", tarball], dir, {}, PACK_MS), "bun add");
  return dir;
}

/** The clone's own Bun and Deno serve as the user's runtimes (the test runs under one of them). */
const bunExe = () => (runtime === "bun" ? process.execPath : join(root, "node_modules/.bin/bun"));
const denoExe = () => (runtime === "deno" ? process.execPath : join(root, "node_modules/.bin/deno"));

/** Node.js itself: under `bun --bun`, "node" on PATH is Bun. */
function nodeExe(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (existsSync(candidate) && !basename(realpathSync(candidate)).startsWith("bun")) return candidate;
  }
  return undefined;
}

/** Runs a README example as its "run with:" line says, with this test's runtime. */
function runExample(dir: string, tag: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const { code } = examples.find((e) => e.tag === tag)!;
  writeFileSync(join(dir, "hello.ts"), code);
  const line = code.match(/run with: (.*)$/m)?.[1];
  if (!line) throw new Error(`the ${tag} example names no command`);
  const [tool, ...args] = line.trim().split(/\s+/);
  expect(tool).toBe(tag);
  // Deno lets a program read the environment only with --allow-env.
  if (tag === "deno" && Object.keys(env).length > 0) args.splice(1, 0, "--allow-env");
  return sh(tag === "bun" ? bunExe() : denoExe(), args, dir, env);
}

/** Every file below dir, relative to it. */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** sh() without blocking this thread: the loopback registry below must answer the child. */
function shAsync(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_MS);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid ?? 0, output: [], stdout, stderr, status, signal } as SpawnSyncReturns<string>);
    });
  });
}

/**
 * A registry on loopback that holds one package, the tarball: what
 * `deno add npm:uringshim` and `bun add uringshim` fetch from, as from
 * the npm registry (a packument and the tarball, with its integrity).
 */
async function localRegistry(tgz: string): Promise<{ url: string; server: Server }> {
  const bytes = readFileSync(tgz);
  const manifest = JSON.parse(ok(sh("tar", ["-xzOf", tgz, "package/package.json"], work.dir), "tar"));
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    if (req.url === `/${manifest.name}`) {
      const dist = {
        tarball: `${base}/${manifest.name}/-/${manifest.name}-${manifest.version}.tgz`,
        shasum: createHash("sha1").update(bytes).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
      };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ name: manifest.name, "dist-tags": { latest: manifest.version }, versions: { [manifest.version]: { ...manifest, dist } } }));
    } else if (req.url?.endsWith(".tgz")) {
      res.setHeader("content-type", "application/octet-stream");
      res.end(bytes);
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server };
}

let tarball = "";
let npmDir = "";
beforeAll(() => {
  tarball = packTarball();
  npmDir = npmProject(tarball, "npm-project");
}, PACK_MS * 2);

describe(`the packed package, installed as a user would (${runtime})`, () => {
  it("holds compiled JavaScript with types, the .wasm, the prebuilt libraries and the C sources, and no TypeScript source or test", () => {
    const pkg = join(npmDir, "node_modules/uringshim");
    expect(lstatSync(pkg).isSymbolicLink()).toBe(false);
    const files = listFiles(pkg);
    for (const f of [
      "package.json", "README.md", "LICENSE", "CHANGELOG.md", "asm/build/uring.wasm",
      "dist/core/mod.js", "dist/core/mod.d.ts", "dist/core/mod.js.map", "dist/runtime-bun/mod.js", "dist/runtime-deno/mod.js",
      "dist/core/no-adapter.js", "bin/uringshim-build.mjs", "native/include/uringshim.h", "native/src/syscalls.c",
    ]) expect(files).toContain(f);
    // Beside each adapter's compiled modules, its one-file bundle (what the export condition names), map and types: nothing else.
    for (const rt of ["bun", "deno"]) {
      expect(files.filter((f) => f.startsWith(`dist/runtime-${rt}/uringshim`))).toEqual(
        [`dist/runtime-${rt}/uringshim.d.ts`, `dist/runtime-${rt}/uringshim.js`, `dist/runtime-${rt}/uringshim.js.map`],
      );
    }
    expect(files).toContain(`prebuilt/${prebuiltFor(hostPlatform())}/liburingshim.so`);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /^(test|native\/test|core|runtime-|scripts|node_modules)\b/.test(f))).toEqual([]);
    // Nothing inside names the clone it was packed from.
    const text = files.filter((f) => /\.(js|mjs|json|d\.ts|map)$/.test(f)).map((f) => readFileSync(join(pkg, f), "utf8")).join("\n");
    expect(text).not.toContain(root);
    expect(statSync(tarball).size).toBeLessThan(2 * 1024 * 1024);
  });

  it("import \"uringshim\" loads one file per runtime: the bundle imports only the runtime's own modules, and its map leads to the .ts sources", () => {
    const pkg = join(npmDir, "node_modules/uringshim");
    const dot = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).exports["."];
    expect(Object.keys(dot)).toEqual(["types", "bun", "deno", "default"]);
    for (const rt of ["bun", "deno"]) {
      expect(dot[rt]).toBe(`./dist/runtime-${rt}/uringshim.js`);
      const code = readFileSync(join(pkg, dot[rt]), "utf8");
      // Import statements and import() calls (the bundle's whitespace is minified), not the words in its strings.
      const specifiers = [...code.matchAll(/(?:^|[;}])import\s*(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*(?:from\s*)?"([^"]+)"|\bimport\("([^"]+)"\)/gm)]
        .map((m) => m[1] ?? m[2]);
      expect(specifiers.filter((s) => !s.startsWith("node:") && s !== "bun:ffi"), rt).toEqual([]);
      // Deno cannot load bun:ffi; and core evaluates without node: modules under Deno (startup.test.ts).
      if (rt === "bun") expect(specifiers).toContain("bun:ffi");
      else expect(specifiers).toEqual([]);
      // Bun loads a file that starts with `// @bun` untranspiled, and decodes it as Latin-1: ASCII only.
      if (rt === "bun") expect(code.startsWith("// @bun\n")).toBe(true);
      expect(code.match(/[^\x00-\x7f]/)?.[0], rt).toBeUndefined();
      expect(code).toMatch(/\n\/\/# sourceMappingURL=uringshim\.js\.map\n$/);
      const map = JSON.parse(readFileSync(join(pkg, `${dot[rt]}.map`), "utf8")) as { sources: string[]; sourcesContent: string[] };
      expect(map.sources).toContain("../../core/ring.ts");
      expect(map.sources).toContain(`../../runtime-${rt}/native.ts`);
      expect(map.sources.filter((s) => !/^\.\.\/\.\.\/(core|runtime-\w+)\/[\w-]+\.ts$/.test(s))).toEqual(["bundle-entry.js"]);
      expect(map.sourcesContent).toHaveLength(map.sources.length);
    }
  });

  it(`the bundle keeps the API's names, and stack traces name the functions${runtime === "bun" ? " and the .ts lines (Bun applies the source map)" : ""}`, () => {
    writeFileSync(join(npmDir, "names.ts"), [
      `import * as uringshim from "uringshim";`,
      `const renamed = Object.entries(uringshim).filter(([k, v]) => typeof v === "function" && v.name !== k).map(([k]) => k);`,
      `try { uringshim.Ring.open({ entries: 0 }); } catch (e) { console.log(JSON.stringify({ renamed, stack: (e as Error).stack })); }`,
      "",
    ].join("\n"));
    const r = runtime === "bun" ? sh(bunExe(), ["names.ts"], npmDir) : sh(denoExe(), ["run", "-A", "names.ts"], npmDir);
    const { renamed, stack } = JSON.parse(ok(r, "names.ts"));
    // A bundle names a class that refers to itself _Ring; the build gives it back its name.
    expect(renamed).toEqual([]);
    expect(stack).toMatch(/^RangeError: Ring\.open\(\): options\.entries must be in/);
    // Bun maps the whole position (`// @bun` bundles only); Deno maps line and column but keeps
    // the bundle's file name when the .ts the map names is not there, as in any package.
    expect(stack).toMatch(runtime === "bun"
      ? /\n +at checkInteger \(\S*\/node_modules\/uringshim\/core\/validate\.ts:\d+:\d+\)\n/
      : /\n +at checkInteger \(\S*\/node_modules\/uringshim\/dist\/runtime-deno\/uringshim\.js:\d+:\d+\)\n +at Ring\.open \(/);
  });

  it("npm publish --dry-run warns of nothing (metadata, bins, files)", () => {
    // A token so that the dry run's only other warning, "you are not logged in", stays out of the way.
    const r = sh("npm", ["publish", "--dry-run", "--ignore-scripts", "--//registry.npmjs.org/:_authToken=dry-run"], root, {}, PACK_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter((l) => /^npm (warn|error)\b/i.test(l))).toEqual([]);
    expect(r.stderr).toMatch(/^npm notice total files: \d+$/m);
  });

  it(`README's ${runtime} example runs as written`, () => {
    const r = runExample(npmDir, runtime);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(expected[runtime]);
    expect(r.status).toBe(0);
  });

  // Deno installs npm packages from a registry only: its `deno add` is the registry test below.
  if (runtime === "bun") it("bun add of the tarball: README's bun example runs as written", () => {
    const dir = bunProject(tarball, "bun-project");
    expect(lstatSync(join(dir, "node_modules/uringshim")).isSymbolicLink()).toBe(false);
    const r = runExample(dir, "bun");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(expected.bun);
  });

  it(`${runtime === "bun" ? "bun add uringshim" : "deno add npm:uringshim"} from a registry (a loopback one holding the tarball), then README's ${runtime} example`, async () => {
    const registry = await localRegistry(tarball);
    try {
      // Fresh caches: every pack is version 0.1.0 with other bytes.
      const cache = join(work.dir, `${runtime}-cache`);
      const env: Record<string, string> = runtime === "bun"
        ? { BUN_CONFIG_REGISTRY: registry.url, BUN_INSTALL_CACHE_DIR: cache }
        : { NPM_CONFIG_REGISTRY: registry.url, DENO_DIR: cache };
      // Deno: with node_modules/ ("nodeModulesDir": "auto") and from its global npm cache (no node_modules/ at all).
      const layouts = runtime === "bun" ? [{ name: "bun-registry", config: null }] : [
        { name: "deno-auto", config: { nodeModulesDir: "auto" } },
        { name: "deno-global-cache", config: {} },
      ];
      for (const { name, config } of layouts) {
        const dir = join(work.dir, name);
        mkdirSync(dir);
        if (config === null) writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
        else writeFileSync(join(dir, "deno.json"), JSON.stringify(config));
        const add = runtime === "bun"
          ? await shAsync(bunExe(), ["add", "uringshim"], dir, env)
          : await shAsync(denoExe(), ["add", "npm:uringshim"], dir, env);
        expect(add.status, `${name}: ${add.stderr}`).toBe(0);
        expect(existsSync(join(dir, "node_modules/uringshim"))).toBe(name !== "deno-global-cache");
        const { code } = examples.find((e) => e.tag === runtime)!;
        writeFileSync(join(dir, "hello.ts"), code);
        const args = code.match(/run with: (.*)$/m)![1].trim().split(/\s+/).slice(1);
        const r = await shAsync(runtime === "bun" ? bunExe() : denoExe(), args, dir, env);
        expect(r.stderr, name).toBe("");
        expect(r.stdout, name).toMatch(expected[runtime]);
      }
    } finally {
      registry.server.close();
    }
  });

  it("the shipped .d.ts type-check a consumer (tsc --noEmit and deno check)", () => {
    writeFileSync(join(npmDir, "consumer.ts"), [
      `import { Ring, UringError, BufferPool, type RingOptions } from "uringshim";`,
      `const options: RingOptions = { entries: 8 };`,
      `using ring = Ring.open(options);`,
      `const n: number = await ring.read(0, new Uint8Array(4), 0);`,
      `const code: string = new UringError("read", "EBADF", 9, "m").code;`,
      `export const used = [n, code, BufferPool, ring.mode satisfies "no-mmap" | "mmap"];`,
      "",
    ].join("\n"));
    writeFileSync(join(npmDir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        // DOM for WebAssembly's types, which bun-types, @types/node and Deno's own declare too.
        target: "ES2024", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2024", "ESNext.Disposable", "DOM"], strict: true, noEmit: true,
        types: [], skipLibCheck: false,
      },
      files: ["consumer.ts"],
    }));
    ok(sh("node", [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], npmDir), "tsc --noEmit");
    ok(sh(denoExe(), ["check", "consumer.ts"], npmDir), "deno check");
    // A type error must fail both: the check is real.
    writeFileSync(join(npmDir, "consumer.ts"), `import { Ring } from "uringshim";\nconst x: string = Ring.open().mode satisfies number;\n`);
    expect(sh("node", [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], npmDir).status).not.toBe(0);
    expect(sh(denoExe(), ["check", "consumer.ts"], npmDir).status).not.toBe(0);
  });

  it("uringshim-bench from the installed package: a fraction of a second of C and the batch API, sane JSON", (ctx) => {
    const quick = ["--workload", "nop", "--impl", "c,batch", "--runtime", runtime, "--rounds", "1", "--duration", "100ms", "--warmup", "0", "--no-pin", "--json"];
    // As the README spells it for each runtime; npx runs the orchestrator under Node, which finds this runtime on PATH.
    const runs: [string, SpawnSyncReturns<string>][] = [
      runtime === "bun"
        ? ["bunx uringshim-bench", sh(bunExe(), ["x", "uringshim-bench", ...quick], npmDir)]
        : ["deno run -A npm:uringshim/bench", sh(denoExe(), ["run", "-A", "npm:uringshim/bench", ...quick], npmDir)],
    ];
    const node = nodeExe();
    const pathWithRuntime = `${dirname(runtime === "bun" ? bunExe() : denoExe())}${delimiter}${process.env.PATH}`;
    if (node !== undefined) runs.push(["npx uringshim-bench", sh(node, [join(dirname(node), "npx"), "--offline", "uringshim-bench", ...quick], npmDir, { PATH: pathWithRuntime })]);
    for (const [how, r] of runs) {
      const report = JSON.parse(ok(r, how));
      const rows = new Map<string, { iops: number }>(report.results.map((x: { runner: string; iops: number }) => [x.runner, x]));
      expect(rows.get("c")?.iops, how).toBeGreaterThan(0);
      expect(rows.get(`${runtime}-batch`)?.iops, how).toBeGreaterThan(0);
      expect(report.header.runtimes[runtime], how).toMatch(/^\d+\.\d+\.\d+/);
    }
    if (node === undefined) skip(ctx, "no Node.js on PATH: npx uringshim-bench not tried");
  });

  it("URINGSHIM_LIBRARY naming a missing file: a UringError naming it", () => {
    const r = runExample(npmDir, runtime, { URINGSHIM_LIBRARY: "/no/such/liburingshim.so" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("URINGSHIM_LIBRARY=/no/such/liburingshim.so: no such file");
  });

  it("Node.js, which has no adapter yet: a UringError saying which runtimes it runs under", (ctx) => {
    const node = nodeExe();
    if (node === undefined) skip(ctx, "no Node.js on PATH");
    const r = sh(node, ["--input-type=module", "-e", `import("uringshim").catch((e) => { console.log(e.name, e.code, e.message); })`], npmDir);
    expect(r.stdout).toMatch(/^UringError ERUNTIME uringshim: Node\.js v\d+\.\d+\.\d+ has no uringshim adapter; it runs under Bun \(bun:ffi\) and Deno/);
  });

  it("no prebuilt library for this platform: the error names it and the build command; uringshim-build then makes it work", (ctx) => {
    const tag = prebuiltFor(hostPlatform());
    if (spawnSync("sh", ["-c", "command -v cc"]).status !== 0) skip(ctx, "no C compiler (cc) to run uringshim-build with");
    // A copy of the project whose package lost this platform's library.
    const dir = join(work.dir, `no-prebuilt-${runtime}`);
    cpSync(npmDir, dir, { recursive: true, verbatimSymlinks: true });
    const pkg = join(dir, "node_modules/uringshim");
    renameSync(join(pkg, "prebuilt", tag!), join(pkg, "prebuilt", "moved-away"));
    const failed = runExample(dir, runtime);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(`the prebuilt liburingshim.so for ${tag} is missing`);
    expect(failed.stderr).toContain(runtime === "bun" ? "bunx uringshim-build" : "deno run -A npm:uringshim/build");
    // The command the error names, spelled for this runtime.
    const build = runtime === "bun"
      ? sh(bunExe(), ["x", "uringshim-build"], dir, {}, PACK_MS)
      : sh(denoExe(), ["run", "-A", "npm:uringshim/build"], dir, {}, PACK_MS);
    expect(ok(build, "uringshim-build")).toContain(`built ${join(pkg, "native/build/liburingshim.so")}`);
    const r = runExample(dir, runtime);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(expected[runtime]);
    rmSync(dir, { recursive: true, force: true });
  });
});
