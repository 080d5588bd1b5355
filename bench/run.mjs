#!/usr/bin/env node
// bench/run.mjs: the `uringshim-bench` bin and `npm run bench`. A Node
// launcher only: the bench itself is bench/cli.ts, run under the Bun this
// package installs (`bun bench/cli.ts …`; `deno run -A bench/cli.ts …`
// works too). Every argument is passed through; `--help` lists them.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bun = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));
const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));

if (!existsSync(cli)) {
  console.error("uringshim-bench: bench/cli.ts is missing: the bench runs from a clone of the uringshim repository");
  process.exit(1);
}
if (!existsSync(bun)) {
  console.error(`uringshim-bench: ${bun} is missing: run \`npm ci\` (or \`npm install\`) in ${root} first`);
  process.exit(1);
}
const r = spawnSync(bun, [cli, ...process.argv.slice(2)], { stdio: "inherit" });
if (r.error) {
  console.error(`uringshim-bench: ${r.error.message}`);
  process.exit(1);
}
// Die the way the bench died (e.g. Ctrl-C), else with its exit code.
if (r.signal) process.kill(process.pid, r.signal);
process.exit(r.status ?? 1);
