#!/usr/bin/env node
// uringshim-build: builds liburingshim.so from the C sources the package
// ships (native/src, native/include) with the system's C compiler, for a
// platform no prebuilt library fits (another CPU, another libc). The result
// goes to native/build/, where uringshim looks before its prebuilt ones.
// Runs under node, bun or deno (`deno run -A npm:uringshim/build`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const USAGE = "usage: uringshim-build [--out FILE]   (CC picks the compiler, default cc)";

const argv = process.argv.slice(2);
const defaultOut = join(root, "native/build/liburingshim.so");
let out = defaultOut;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--out" && argv[i + 1]) out = argv[++i];
  else if (argv[i] === "--help" || argv[i] === "-h") {
    console.log(USAGE);
    process.exit(0);
  } else {
    console.error(`uringshim-build: unknown argument ${argv[i]}\n${USAGE}`);
    process.exit(2);
  }
}

const src = join(root, "native/src");
const sources = readdirSync(src).filter((f) => f.endsWith(".c")).sort().map((f) => join(src, f));
mkdirSync(join(out, ".."), { recursive: true });
const cc = process.env.CC || "cc";
// The flags of native/Makefile's library rule, less -Werror: a newer
// compiler's new warning must not stop a user's build.
const args = [
  "-O2", "-Wall", "-Wextra", "-pthread", "-fPIC", "-shared", "-fvisibility=hidden",
  "-Wl,-soname,liburingshim.so", "-Wl,-z,nodelete", "-I", join(root, "native/include"), "-o", out, ...sources,
];
console.log(`${cc} ${args.join(" ")}`);
const r = spawnSync(cc, args, { stdio: "inherit" });
if (r.error) {
  console.error(`uringshim-build: cannot run ${cc}: ${r.error.message} (install a C compiler: apt-get install gcc, apk add build-base)`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error(`uringshim-build: ${cc} failed (exit ${r.status})`);
  process.exit(1);
}
console.log(
  out === defaultOut
    ? `uringshim-build: built ${out}; uringshim loads it from there`
    : `uringshim-build: built ${out}; run with URINGSHIM_LIBRARY=${out} to load it`,
);
