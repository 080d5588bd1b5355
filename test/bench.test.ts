// The benchmark's JS side runs under this runtime and agrees with the C
// reference on what it measures (numbers are never asserted: bench/ does
// that, side by side). Short runs only.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runtime, runtimeCommand, tempDir } from "./support/uring.ts";

const shim = fileURLToPath(new URL("../bench/shim.ts", import.meta.url));
const refBench = fileURLToPath(new URL("../native/build/ref-bench", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function runShim(args: string[]) {
  const [cmd, base] = runtimeCommand(shim);
  const r = spawnSync(cmd, [...base, ...args], { encoding: "utf8", timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe(`bench/shim.ts (${runtime})`, () => {
  it("its random offsets are ref-bench's xorshift64 sequence", () => {
    expect(runShim(["--selftest"])).toBe(`selftest ok (${runtime})`);
  });

  it.each(["batch", "promise"])("%s API: nop and randread print one result line like ref-bench", (api) => {
    const file = join(tmp.dir, "data.bin");
    writeFileSync(file, new Uint8Array(1 << 20));
    for (const args of [
      ["--workload", "nop", "--batch", "8"],
      ["--workload", "randread", "--file", file, "--qd", "8", "--batch", "4"],
    ]) {
      const common = [...args, "--duration-ms", "50"];
      const js = JSON.parse(runShim([...common, "--api", api, "--warmup-ms", "0"]));
      const c = JSON.parse(spawnSync(refBench, common, { encoding: "utf8" }).stdout);
      expect(js.impl).toBe(`${runtime}-${api}`);
      for (const key of ["workload", "batch", "qd", "bs"]) expect(js[key]).toBe(c[key]);
      expect(js.ops).toBeGreaterThan(0);
      expect(js.opsPerSec).toBeGreaterThan(0);
    }
  });
});
