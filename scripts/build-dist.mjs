// Compiles core/ and the runtime adapters into dist/ (ESM JavaScript,
// .d.ts, source maps with the sources inlined), what the package's
// exports point at: Deno and Node refuse TypeScript under node_modules.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The folders the package ships compiled, each as dist/<folder>/. */
export const LIBRARY_FOLDERS = ["core", "runtime-bun", "runtime-deno"];

/** Every file below dir whose name ends with suffix. */
function filesBelow(dir, suffix) {
  return readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
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
  return dist;
}
