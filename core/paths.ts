// Where the package's files are, whichever layout loads this module: the
// clone (core/paths.ts), the installed package (dist/core/paths.js) or a
// bundle of it (dist/bench/*.js). Every file is found from the package
// root: the nearest folder above that holds uringshim's package.json.
// Read through the adapter's Host (core/native.ts), bound before this
// module evaluates: node:fs / node:path / node:url would start Deno's Node
// compatibility layer at import.
import { getHost } from "./native.ts";

const PACKAGE_NAME = "uringshim";

/** node:path's dirname for the absolute paths used here. */
function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function findPackageRoot(from: string): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const text = new TextDecoder().decode(getHost().readFile(`${dir === "/" ? "" : dir}/package.json`));
      if (JSON.parse(text).name === PACKAGE_NAME) return dir;
    } catch {
      // no package.json here (or not readable): look further up
    }
  }
  // Copied out of its package (a user's bundle): the clone's layout, one level up.
  return dirname(from);
}

// file: URL → path, as node:url's fileURLToPath does on Linux.
export const packageRoot: string = findPackageRoot(dirname(decodeURIComponent(new URL(import.meta.url).pathname)));
export const wasmPath: string = `${packageRoot === "/" ? "" : packageRoot}/asm/build/uring.wasm`;
