// `npm test`: the native C tests, then the vitest suite under Bun and under
// Deno, then the core suite once per compat configuration under both. Fails
// if any part fails; ends with one line summing all of them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "uringshim-results-"));
const extra = process.argv.slice(2); // e.g. a test file filter
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let ok = true;

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
  if (r.error) console.error(r.error.message);
  return r.status ?? 1;
}

/** The runner's JSON report, or undefined when it wrote none. */
function report(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function vitest(name, cmd, args, options = [], files = extra, env = {}) {
  const file = join(out, `${name.replace(/\W+/g, "_")}.json`);
  const argv = [...args, "run", ...options, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`, ...files];
  let status = run(cmd, argv, env);
  let r = report(file);
  if (r === undefined && status !== 0) {
    // The runner process itself died (a failing test still writes the
    // report): a runtime crash, e.g. Bun 1.4.5's rare segfault. Run it
    // once more and say so; a crash that repeats still fails the run.
    console.log(`== ${name}: the runner died without results (exit ${status}); running it once more ==`);
    lines.push(`${name}: the first run died without results (exit ${status}); the counts below are the second run's`);
    status = run(cmd, argv, env);
    r = report(file);
  }
  if (r === undefined) {
    lines.push(`${name}: no results (exit ${status})`);
    totals.failed++;
    ok = false;
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const skipped = r.numPendingTests + r.numTodoTests;
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += skipped;
  // A suite that failed to load counts as a failure even with no failed test.
  const failedSuites = r.testResults.filter((t) => t.status === "failed" && t.assertionResults.every((a) => a.status !== "failed")).length;
  totals.failed += failedSuites;
  if (status !== 0 || r.numFailedTests > 0 || failedSuites > 0) ok = false;
  lines.push(`${name}: ${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed, ${skipped} skipped`);
  // Each skip with its reason (test/support/uring.ts skip() records it).
  for (const t of r.testResults) {
    for (const a of t.assertionResults) {
      if (a.status === "skipped" || a.status === "pending") {
        lines.push(`  skipped: ${a.fullName}: ${a.meta?.skipReason ?? "(no reason recorded)"}`);
      }
    }
  }
  return { passed: r.numPassedTests, failed: r.numFailedTests + failedSuites, skipped };
}

// The native harness again under ASan/LSan/UBSan, where the compiler can
// build and link a program with those flags (else a skip line saying why).
function nativeSanitize() {
  const cc = process.env.CC || "cc";
  const probe = spawnSync(cc, ["-x", "c", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-o", join(out, "probe"), "-"], {
    input: "int main(void) { return 0; }\n", encoding: "utf8",
  });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split("\n")[0];
    lines.push(`native (C) under ASan+UBSan: skipped: ${cc} cannot build with -fsanitize=address,undefined (${why})`);
    return;
  }
  makeStep("native (C) under ASan+UBSan", "sanitize");
}

// ref-bench's short runs under valgrind memcheck; a skip line without valgrind.
function nativeValgrind() {
  if (spawnSync("sh", ["-c", "command -v valgrind"], { stdio: "ignore" }).status !== 0) {
    lines.push("valgrind (ref-bench): skipped: valgrind is not installed (apt-get install valgrind)");
    return;
  }
  makeStep("valgrind (ref-bench)", "valgrind");
}

/** `make -C native <target>`, reported in the summary as name: passed / failed. */
function makeStep(name, target) {
  console.log(`== ${name} (make -C native ${target}) ==`);
  const failed = run("make", ["-s", "-C", "native", target]) !== 0;
  if (failed) ok = false;
  lines.push(`${name}: ${failed ? "failed" : "passed"}`);
}

if (extra.length === 0) {
  makeStep("native (C)", "test");
  nativeSanitize();
  nativeValgrind();
  console.log("== type check (tsc for core, runtime-bun, test; deno check for runtime-deno, bench) ==");
  const tsc = run(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."]);
  const denoCheck = run("node_modules/.bin/deno", ["check", "runtime-deno/mod.ts", "bench/shim.ts", "bench/cli.ts", "bench/program-child.ts", "bench/startup.ts"]);
  if (tsc !== 0 || denoCheck !== 0) {
    ok = false;
    lines.push("type check: failed");
  } else lines.push("type check: passed");
}

// The package as users get it, packed once (npm pack runs prepack: the
// build, dist/ and prebuilt/) for test/package.test.ts under every runtime.
const env = {};
if (extra.length === 0) {
  console.log("== npm pack (the package test's tarball) ==");
  const r = spawnSync("npm", ["pack", "--silent", "--pack-destination", out], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const tarball = r.status === 0 ? join(out, r.stdout.trim().split("\n").pop()) : null;
  if (tarball === null) {
    ok = false;
    lines.push(`npm pack: failed (exit ${r.status})`);
  } else {
    env.URINGSHIM_TARBALL = tarball;
    lines.push(`npm pack: ${tarball.replace(`${out}/`, "")}`);
  }
}

// Bun: the forks pool cannot start workers there (child.channel.unref is missing), threads can.
const runtimes = [
  ["bun", "node_modules/.bin/bun", ["--bun", "node_modules/.bin/vitest"], ["--pool=threads"]],
  ["deno", "node_modules/.bin/deno", ["run", "-A", "node_modules/vitest/vitest.mjs"], []],
];
for (const [name, cmd, args, options] of runtimes) {
  console.log(`== vitest under ${name === "bun" ? "Bun" : "Deno"} ==`);
  vitest(name, cmd, args, options, extra, env);
}

// The core suite once per kernel feature turned off (URINGSHIM_COMPAT, see
// core/compat.ts), like liburing's per-configuration runs: every fallback
// taken on this kernel, under both runtimes. Full runs only.
const coreSuite = [
  "test/ring.test.ts", "test/io-ops.test.ts", "test/fs-ops.test.ts", "test/link.test.ts", "test/fixed.test.ts",
  "test/clone.test.ts", "test/probe.test.ts", "test/multishot.test.ts", "test/control-ops.test.ts", "test/compat.test.ts",
  "test/restrictions.test.ts", "test/batching.test.ts", "test/staging.test.ts",
];
// Features that change every submission run the whole core suite; the two
// that change one call each run the files that exercise that call.
const compatConfigs = [
  ["no-no-mmap", coreSuite], ["no-query", coreSuite], ["no-single-issuer", coreSuite], ["no-registered-ring", coreSuite],
  ["no-clone-buffers", ["test/clone.test.ts", "test/fixed.test.ts", "test/compat.test.ts"]],
  ["no-fixed-vectored", ["test/fixed.test.ts", "test/compat.test.ts", "test/restrictions.test.ts"]],
];
const table = [];
if (extra.length === 0) {
  for (const [config, files] of compatConfigs) {
    for (const [name, cmd, args, options] of runtimes) {
      console.log(`== URINGSHIM_COMPAT=${config}, ${name}: ${files === coreSuite ? "the core suite" : files.join(" ")} ==`);
      const r = vitest(`${name} URINGSHIM_COMPAT=${config}`, cmd, args, options, files, { URINGSHIM_COMPAT: config });
      table.push([config, name, r]);
    }
  }
}

rmSync(out, { recursive: true, force: true });
console.log("");
for (const l of lines) console.log(l);
if (table.length > 0) {
  console.log("");
  console.log(`per URINGSHIM_COMPAT: passed / failed / skipped (core suite: ${coreSuite.map((f) => f.replace(/^test\/|\.test\.ts$/g, "")).join(", ")})`);
  const width = Math.max(...compatConfigs.map(([c]) => c.length));
  console.log(`${"".padEnd(width)}  ${runtimes.map(([n]) => n.padEnd(14)).join("  ")}  files`);
  for (const [config, files] of compatConfigs) {
    const cells = runtimes.map(([n]) => {
      const r = table.find(([c, rt]) => c === config && rt === n)[2];
      return `${r.passed} / ${r.failed} / ${r.skipped}`.padEnd(14);
    });
    console.log(`${config.padEnd(width)}  ${cells.join("  ")}  ${files === coreSuite ? "core suite" : files.map((f) => f.replace(/^test\/|\.test\.ts$/g, "")).join(", ")}`);
  }
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
