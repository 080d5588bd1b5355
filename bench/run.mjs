#!/usr/bin/env node
// bench/run.mjs: the `uringshim-bench` bin and `npm run bench`; every
// argument is passed through (`--help` lists them). In a clone it starts
// `bun bench/cli.ts …` under the Bun of the devDependencies, as ever
// (`deno run -A bench/cli.ts …` works too). The installed package has no
// TypeScript and no devDependencies: there it runs dist/bench/cli.js (the
// bundle scripts/build-bench.mjs makes) in this process, under whichever
// runtime runs this file (node via npx, bun via bunx, deno), and that
// finds the Bun and Deno to measure (bench/locate.ts).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
const bundle = new URL("../dist/bench/cli.js", import.meta.url);

if (existsSync(cli)) {
  const bun = fileURLToPath(new URL("../node_modules/.bin/bun", import.meta.url));
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
} else if (existsSync(fileURLToPath(bundle))) {
  const { main } = await import(bundle.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  console.error(`uringshim-bench: neither bench/cli.ts (a clone) nor dist/bench/cli.js (the package) is in ${root}`);
  process.exit(1);
}
