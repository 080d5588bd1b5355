// Compiles core/ and the runtime adapters into dist/ (ESM JavaScript,
// .d.ts, source maps with the sources inlined), what the package's
// exports point at: Deno and Node refuse TypeScript under node_modules.
//
// Then bundles each adapter into one file, dist/runtime-<rt>/uringshim.js,
// what the "bun" and "deno" export conditions name: importing ~45 modules
// cost Bun ~5 ms and Deno ~11 ms more than one file holding the same code.
// The bundle is made from tsc's output, so it is the same
// JavaScript as the per-module files, and its source map leads through
// tsc's maps back to the .ts sources. The per-module files stay: their
// .d.ts are the package's types, and the bench's own bundles
// (scripts/build-bench.mjs) import their .js.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

/** The folders the package ships compiled, each as dist/<folder>/. */
export const LIBRARY_FOLDERS = ["core", "runtime-bun", "runtime-deno"];

/** The one-file bundle in each adapter's dist/ folder (dist/runtime-<rt>/uringshim.js). */
const BUNDLE_FILE = "uringshim.js";

/** Imports left to the runtime: its own modules, nothing of the package's. */
const BUNDLE_EXTERNAL = ["bun:ffi", "node:*"];

/** Every file below dir whose name ends with suffix. */
function filesBelow(dir, suffix) {
  return readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
}

/** The bundle's options (see bundleAdapter for why each). */
const BUNDLE_OPTIONS = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2024",
  external: BUNDLE_EXTERNAL,
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  sourcemap: "linked",
  logLevel: "warning",
};

/**
 * dist/runtime-<rt>/mod.js and all it imports as one ESM file beside it,
 * with a linked source map and a .d.ts that re-exports mod.d.ts.
 *
 * Measured (import, medians of 60-80 fresh processes, alternating):
 * whitespace and syntax minified, Deno imports it ~6 ms faster than the
 * unminified bundle, Bun 1-2 ms. Identifiers are not minified (that would
 * save 1-2 ms more): a stack trace names the functions. Deno maps positions through the source map
 * but keeps the bundle's file name when the .ts it names is not there
 * (the package ships none), so the names are what a trace says; esbuild's
 * keepNames would keep them under mangling but costs 2-3 ms at import and
 * wraps closures in hot methods.
 *
 * The Bun bundle starts with the `// @bun` pragma: Bun then loads it as
 * it is, without its transpiler, and maps stack traces through the source
 * map (it does not for other .js files). Bun 1.4 decodes such a file as
 * Latin-1: hence charset "ascii" (test/package.test.ts checks it).
 *
 * A class that names itself in its body (Ring, BufferPool…) becomes
 * `var Ring = class _Ring` in a bundle, and `Ring.name` "_Ring"; the entry
 * gives the exported ones their names back (two passes: the first finds
 * them in the output).
 */
function bundleAdapter(root, folder) {
  const dir = join(root, "dist", folder);
  const outfile = join(dir, BUNDLE_FILE);
  const banner = folder === "runtime-bun" ? { banner: { js: "// @bun" } } : {};
  const first = esbuild.buildSync({ ...BUNDLE_OPTIONS, absWorkingDir: root, entryPoints: [join(dir, "mod.js")], outfile, write: false, metafile: true });
  const code = first.outputFiles.find((f) => f.path.endsWith(".js")).text;
  const exported = new Set(Object.values(first.metafile.outputs).flatMap((o) => o.exports));
  const renamed = [...new Set([...code.matchAll(/\bclass _([A-Za-z$][\w$]*)/g)].map((m) => m[1]))].filter((n) => exported.has(n)).sort();
  const contents = [
    'export * from "./mod.js";',
    ...(renamed.length === 0 ? [] : [
      `import { ${renamed.join(", ")} } from "./mod.js";`,
      `for (const [name, value] of [${renamed.map((n) => `["${n}", ${n}]`).join(", ")}]) {`,
      '  if (value.name !== name) Object.defineProperty(value, "name", { value: name, configurable: true });',
      "}",
    ]),
    "",
  ].join("\n");
  esbuild.buildSync({
    ...BUNDLE_OPTIONS,
    ...banner,
    absWorkingDir: root,
    stdin: { contents, resolveDir: dir, sourcefile: "bundle-entry.js", loader: "js" },
    outfile,
  });
  writeFileSync(join(dir, BUNDLE_FILE.replace(/\.js$/, ".d.ts")), 'export * from "./mod.js";\n');
}

export function buildDist(root) {
  const dist = join(root, "dist");
  for (const folder of LIBRARY_FOLDERS) rmSync(join(dist, folder), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.dist.json")], {
    cwd: root,
    stdio: "inherit",
  });
  // tsc rewrites "./x.ts" to "./x.js" in the JavaScript only; a consumer's
  // tsc or deno check reads the declarations, which must name files that exist.
  for (const folder of LIBRARY_FOLDERS) {
    for (const file of filesBelow(join(dist, folder), ".d.ts")) {
      const text = readFileSync(file, "utf8");
      const fixed = text.replace(/(["'])(\.\.?\/[^"']*)\.ts\1/g, "$1$2.js$1");
      if (fixed !== text) writeFileSync(file, fixed);
    }
  }
  for (const folder of LIBRARY_FOLDERS.filter((f) => f.startsWith("runtime-"))) bundleAdapter(root, folder);
  return dist;
}
