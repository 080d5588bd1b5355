// The Host (core/native.ts) on Deno: Deno's own file and build APIs.
// node:fs, node:process or the `process` global would start Deno's Node
// compatibility layer, 40-50 ms here before the first op. Imported first
// by mod.ts, so the Host is bound before any core module evaluates (ES
// modules evaluate in import order).
import { bindHost, type Host } from "../core/native.ts";

/** Deno.build's names in process.platform / process.arch spelling, as Deno's own `process` gives them. */
const OS: Record<string, string> = { windows: "win32" };
const ARCH: Record<string, string> = { x86_64: "x64", aarch64: "arm64" };

export const host: Host = {
  os: OS[Deno.build.os] ?? Deno.build.os,
  arch: ARCH[Deno.build.arch] ?? Deno.build.arch,
  exists(path) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  readFile(path, maxBytes) {
    if (maxBytes === undefined) return Deno.readFileSync(path);
    using file = Deno.openSync(path);
    const buf = new Uint8Array(maxBytes);
    let n = 0;
    while (n < maxBytes) {
      const got = file.readSync(buf.subarray(n));
      if (got === null || got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  },
};

bindHost(host);
