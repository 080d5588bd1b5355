// Builds native/ (make, the system cc), asm/ (asc) and dist/ (the
// compiled JavaScript the package exports). Run as `prepare` by `npm ci`,
// `npm pack` and `npm publish`, and by `npm run build`; the tests and the bench in the
// clone run the TypeScript sources, examples/ the compiled package.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBench } from "./build-bench.mjs";
import { buildDist } from "./build-dist.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

try {
  run("make", ["-s", "-C", "native"]);
} catch (err) {
  console.error("uringshim: building native/ failed; it needs make and a C compiler (cc) with Linux headers");
  throw err;
}
run(process.execPath, [
  "node_modules/assemblyscript/bin/asc.js", "asm/assembly/index.ts",
  "--config", "asm/asconfig.json", "--target", "release",
]);
buildDist(root);
await buildBench(root, join(root, "dist/bench"));
console.log("uringshim: built native/build/liburingshim.so, asm/build/uring.wasm and dist/");
