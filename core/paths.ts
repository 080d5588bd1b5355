// Where the build outputs of `npm ci` (scripts/build.mjs) live, relative to
// this package, whichever runtime loads it.
import { fileURLToPath } from "node:url";

export const nativeLibraryPath: string = fileURLToPath(new URL("../native/build/liburingshim.so", import.meta.url));
export const wasmPath: string = fileURLToPath(new URL("../asm/build/uring.wasm", import.meta.url));
