// Builds native/ (make, the system cc) and asm/ (asc) into their build/
// folders. Run by `npm ci` (prepare) and `npm run build`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

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
console.log("uringshim: built native/build/liburingshim.so and asm/build/uring.wasm");
