// `npm pack` / `npm publish` (prepack): the native library for every
// platform (prebuilt/). The rest of what the package ships (the .wasm,
// dist/) is the host build, scripts/build.mjs, which npm runs next as
// `prepare` on pack and publish. With URINGSHIM_RELEASE=1 a platform whose
// cross toolchain is missing is an error; otherwise it is left out, saying
// so (the loader names what a package holds when a user's platform is not
// among them).
import { fileURLToPath } from "node:url";
import { buildPrebuilt } from "./build-prebuilt.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
for (const r of await buildPrebuilt({ root })) {
  console.log(r.built ? `uringshim: prebuilt ${r.platform}: ${r.library}` : `uringshim: prebuilt ${r.platform}: left out: ${r.reason}`);
}
