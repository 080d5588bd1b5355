// Process lifetime, checked in child processes of the same runtime: an idle
// ring never keeps the process alive, an in-flight op does, and close()
// with ops in flight rejects them and lets the process exit promptly.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { childScript, runChild as runWithDeadline } from "./support/child.ts";
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

// Each child ends by itself (never process.exit) and prints "done" last:
// exiting well within the deadline is the test.
describe(`processes exit by themselves (${runtime})`, () => {
  const DEADLINE_MS = 20_000;
  async function exitsAlone(name: string, body: string): Promise<string[]> {
    const r = await runWithDeadline(childScript(tmp.dir, name, body + '\nconsole.log("done");'), { deadlineMs: DEADLINE_MS });
    expect(r.timedOut, `${name} was still running after ${DEADLINE_MS} ms: ${r.stderr}`).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("done");
    return lines;
  }

  it("with a ring closed after use", async () => {
    await exitsAlone("closed", `
      const ring = u.Ring.open();
      await ring.nop();
      await ring.timeout(1);
      ring.close();
    `);
  });

  it("with 2000 operations in flight on pipes and timers when the ring is closed", async () => {
    const fifo = makeFifo(tmp.dir, "exit-many-fifo");
    const lines = await exitsAlone("many-inflight", `
      const ring = u.Ring.open({ entries: 64 });
      const fd = await ring.openat(${JSON.stringify(fifo)}, u.O_RDWR);
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) ops.push(ring.read(fd, new Uint8Array(8)), ring.timeout(60_000));
      await new Promise((r) => setTimeout(r, 20));
      ring.close();
      const settled = await Promise.allSettled(ops);
      console.log(settled.filter((s) => s.status === "rejected" && (s.reason as { code?: string }).code === "ECANCELED").length);
    `);
    expect(lines[0]).toBe("2000");
  });

  it("with many rings, some closed and some left open, in both modes", async () => {
    await exitsAlone("many-rings", `
      const rings = [];
      for (let i = 0; i < 16; i++) {
        const ring = u.Ring.open({ entries: 8, mode: i % 2 ? "mmap" : "no-mmap" });
        await ring.nop();
        await ring.timeout(1);
        rings.push(ring);
      }
      for (let i = 0; i < rings.length; i += 3) rings[i].close();
      (globalThis as any).keep = rings; // the open ones stay reachable: no collection helps here
    `);
  });

  it("with a buffer pool open and registered on an open ring", async () => {
    await exitsAlone("pool-open", `
      const ring = u.Ring.open();
      const pool = u.BufferPool.create({ count: 4, size: 4096 });
      ring.registerBuffers(pool);
      await ring.nop();
      (globalThis as any).keep = [ring, pool];
    `);
  });

  it("Workers terminated with requests in flight: their completions, arriving later, end quietly", async () => {
    // A terminated Worker's heap and VM are freed before its thread exits,
    // and the kernel completes the thread's requests until it has exited: a
    // read completing in between wrote into freed memory (a staging slot in
    // a runtime ArrayBuffer), and under Bun the wake-up called a freed
    // JSCallback. The write below sweeps that window (0-24 ms after
    // terminate); one fixed 20 ms delay hit it only under load.
    const worker = fileURLToPath(new URL("./support/orphan-worker.ts", import.meta.url));
    const path = join(tmp.dir, "orphans.ts");
    writeFileSync(path, `
      import { openSync, writeSync } from "node:fs";
      import { execFileSync } from "node:child_process";
      const rounds = 50;
      for (let i = 0; i < rounds; i++) {
        const fds = ["a", "b"].map((name) => {
          const fifo = ${JSON.stringify(tmp.dir)} + "/orphan-" + name + i;
          execFileSync("mkfifo", [fifo]);
          return openSync(fifo, "r+");
        });
        const w = new Worker(new URL(${JSON.stringify(`file://${worker}`)}).href, { type: "module" });
        await new Promise((resolve) => {
          w.onmessage = resolve;
          w.postMessage({ pollFd: fds[0], readFd: fds[1] });
        });
        w.terminate();
        (globalThis as any).Bun?.gc(true);
        const t0 = performance.now();
        while (performance.now() - t0 < i % 25) await new Promise((r) => setTimeout(r, 0));
        for (const fd of fds) writeSync(fd, "x".repeat(64)); // completes the dying Worker's poll and read (all 64 bytes)
        await new Promise((r) => setTimeout(r, 10));
      }
      console.log("survived", rounds);
    `);
    const r = runChild(path, 60_000);
    expect(r.status, `${r.stdout}\n${r.stderr}\nsignal ${r.signal}`).toBe(0);
    expect(r.stdout.trim()).toBe("survived 50");
  });

  it("timers run while a loop awaits operations that complete at submission, or in kernel workers", async () => {
    const lines = await exitsAlone("no-starvation", `
      const ring = u.Ring.open();
      // Bounded, so a starved timer fails the assertion below instead of hanging the child.
      async function loop(op: () => Promise<unknown>): Promise<string> {
        let stop = false;
        setTimeout(() => { stop = true; }, 50);
        const t0 = Date.now();
        while (!stop && Date.now() - t0 < 5_000) await op();
        return stop ? "timer ran" : "timer starved";
      }
      console.log(await loop(() => ring.nop())); // completes inside io_uring_enter
      console.log(await loop(() => ring.sqeSetFlags(ring.nop(), u.IOSQE_ASYNC))); // completes on an io-wq thread: a wake-up each
      ring.close();
    `);
    expect(lines.slice(0, 2)).toEqual(["timer ran", "timer ran"]);
  });
});
