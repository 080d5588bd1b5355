// The Host (core/native.ts) on Bun: node:fs, Bun's native one, and process.
// Bun has no synchronous file read of its own that opens read-only
// (Bun.mmap opens O_RDWR: ETXTBSY on /proc/self/exe, EACCES on a package
// installed read-only). Imported first by mod.ts, so the Host is bound
// before any core module evaluates (ES modules evaluate in import order).
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { bindHost, type Host } from "../core/native.ts";

export const host: Host = {
  os: process.platform,
  arch: process.arch,
  exists: existsSync,
  readFile(path, maxBytes) {
    if (maxBytes === undefined) return readFileSync(path);
    const fd = openSync(path, "r");
    try {
      const buf = new Uint8Array(maxBytes);
      return buf.subarray(0, readSync(fd, buf, 0, maxBytes, 0));
    } finally {
      closeSync(fd);
    }
  },
};

bindHost(host);
