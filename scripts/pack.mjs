// `npm pack` / `npm publish` (prepack): everything the package ships,
// built from this clone: the host build (scripts/build.mjs: the .wasm,
// dist/), then the native library for every platform (prebuilt/). With
// URINGSHIM_RELEASE=1 a platform whose cross toolchain is missing is an
// error; otherwise it is left out, saying so (the loader names what a
// package holds when a user's platform is not among them).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildPrebuilt } from "./build-prebuilt.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
const release = process.env.URINGSHIM_RELEASE === "1";
const results = await buildPrebuilt({ root, require: release });
for (const r of results) {
  console.log(r.built ? `uringshim: prebuilt ${r.platform}: ${r.library}` : `uringshim: prebuilt ${r.platform}: left out: ${r.reason}`);
}
