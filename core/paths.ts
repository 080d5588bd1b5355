// Where the package's files are, whichever layout loads this module: the
// clone (core/paths.ts), the installed package (dist/core/paths.js) or a
// bundle of it (dist/bench/*.js). Every file is found from the package
// root: the nearest folder above that holds uringshim's package.json.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "uringshim";

function findPackageRoot(from: string): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === PACKAGE_NAME) return dir;
    } catch {
      // no package.json here (or not readable): look further up
    }
  }
  // Copied out of its package (a user's bundle): the clone's layout, one level up.
  return dirname(from);
}

export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const wasmPath: string = join(packageRoot, "asm/build/uring.wasm");
