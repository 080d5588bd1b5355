// Bundles the bench (bench/cli.ts, the orchestrator, and its JS children:
// bench/shim.ts, bench/program-child.ts, bench/startup.ts) into
// dist/bench/{cli,shim,program-child,startup}.js for the installed package, where
// no TypeScript runs and no devDependencies are installed: cli-table3 goes
// into the bundle; vega and vega-lite stay outside (only --chart imports
// them, and says how to install them when they are missing).
//
// core/ and the runtime adapters are NOT bundled: every import of them
// becomes an import of the package's own dist/<folder>/<file>.js (tsc's
// output, scripts/build-dist.mjs), the JavaScript users' one-file bundle
// (dist/runtime-<rt>/uringshim.js) is made of, and shim.ts's `await
// import()` of the Bun or the Deno adapter stays a lazy import: bundled
// here, both adapters would land in one module whose `bun:ffi` import Deno
// cannot load. The startup program imports the bundle itself (the file the
// package's export names: bench/locate.ts packageEntry).
//
//   node scripts/build-bench.mjs [OUT_DIR]   (default dist/bench)
import { rmSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { LIBRARY_FOLDERS } from "./build-dist.mjs";


/** Imports of core/ and the adapters, as the bundle in dist/bench/ reaches their compiled files in dist/. */
function libraryExternal(root) {
  const from = path.join(root, "dist/bench");
  return {
    name: "uringshim-library-external",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const rel = path.relative(root, path.resolve(args.resolveDir, args.path));
        if (!LIBRARY_FOLDERS.includes(rel.split(path.sep)[0])) return undefined;
        const target = path.join(root, "dist", rel.replace(/\.ts$/, ".js"));
        return { path: path.relative(from, target).split(path.sep).join("/"), external: true };
      });
    },
  };
}

/** The JS children beside the orchestrator (bench/locate.ts finds them there). */
export const BENCH_CHILDREN = ["shim", "program-child", "startup"];

/**
 * Writes outDir/cli.js (exports main(argv); runs it when it is the main
 * module) and outDir/<child>.js for each of BENCH_CHILDREN, with source maps. The bundles import
 * ../core/*.js and ../runtime-*\/*.js: outDir must end up as dist/bench
 * beside the package's compiled dist/core and adapters.
 */
export async function buildBench(root, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "es2022",
    sourcemap: true,
    outdir: outDir,
    logLevel: "warning",
    plugins: [libraryExternal(root)],
  };
  // cli-table3 is CommonJS and require()s node builtins (os, via its
  // optional colors); an ESM bundle has no require of its own.
  await esbuild.build({
    ...common,
    entryPoints: { cli: path.join(root, "bench/cli.ts") },
    external: ["vega", "vega-lite"],
    banner: {
      js: 'import { createRequire as __uringshimCreateRequire } from "node:module";\nconst require = __uringshimCreateRequire(import.meta.url);',
    },
  });
  // Each child its own bundle: startup.ts must load nothing before its clock starts.
  await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(BENCH_CHILDREN.map((c) => [c, path.join(root, `bench/${c}.ts`)])),
    external: ["bun:ffi"],
  });
  return outDir;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = path.resolve(process.argv[2] ?? path.join(root, "dist/bench"));
  await buildBench(root, out);
  console.log(`uringshim: built ${["cli", ...BENCH_CHILDREN].map((c) => path.join(out, `${c}.js`)).join(", ")}`);
}
