// Process lifetime, checked in child processes of the same runtime: an idle
// ring never keeps the process alive, an in-flight op does, and close()
// with ops in flight rejects them and lets the process exit promptly.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { makeFifo, runtime, runtimeCommand, tempDir } from "./support/uring.ts";

const adapter = fileURLToPath(new URL(`../runtime-${runtime}/mod.ts`, import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function script(name: string, body: string): string {
  const path = join(tmp.dir, `${name}.ts`);
  writeFileSync(path, `import { Ring, O_RDWR } from ${JSON.stringify(adapter)};\n${body}\n`);
  return path;
}

function runChild(path: string, timeout = 15_000) {
  const [cmd, args] = runtimeCommand(path);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout });
  return { ...r, ms: Date.now() - t0 };
}

describe(`process lifetime (${runtime})`, () => {
  it("an idle ring that was never closed does not keep the process alive", () => {
    const r = runChild(script("idle", `
      const ring = Ring.open();
      await ring.nop();
      await ring.timeout(5);
      console.log("done");
    `));
    expect(r.error).toBeUndefined();
    expect(r.stdout.trim()).toBe("done");
    expect(r.status).toBe(0);
  });

  it("close() with reads pending on a pipe rejects them with ECANCELED and the process exits", () => {
    const fifo = makeFifo(tmp.dir, "close-fifo");
    const r = runChild(script("close-inflight", `
      const ring = Ring.open();
      const fd = await ring.openat(${JSON.stringify(fifo)}, O_RDWR);
      const reads = Array.from({ length: 50 }, () => ring.read(fd, new Uint8Array(8)));
      setTimeout(() => ring.close(), 50);
      const settled = await Promise.allSettled(reads);
      console.log(settled.map((s) => s.status === "rejected" ? s.reason.code : "resolved").join(","));
    `));
    expect(r.error).toBeUndefined();
    expect(r.stdout.trim()).toBe(Array(50).fill("ECANCELED").join(","));
    expect(r.status).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });

  it("an op in flight keeps the process alive until it completes", async () => {
    const fifo = makeFifo(tmp.dir, "alive-fifo");
    const path = script("inflight", `
      const ring = Ring.open();
      const fd = await ring.openat(${JSON.stringify(fifo)}, O_RDWR);
      const buf = new Uint8Array(16);
      console.log("waiting");
      const n = await ring.read(fd, buf);
      console.log(new TextDecoder().decode(buf.subarray(0, n)));
      ring.close();
    `);
    const [cmd, args] = runtimeCommand(path);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 15_000;
    while (!out.includes("waiting") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Still running 300 ms later: the pending read holds the process.
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(w, "late data");
    closeSync(w);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    expect(out).toContain("late data");
    expect(code).toBe(0);
  });
});
