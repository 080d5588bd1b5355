// examples/: the echo server of this runtime started with the command its
// header names, echoing for a node:net client and stopping on SIGINT;
// examples/load.ts driving it; and a smoke run of bench/echo.ts with tiny
// counts (its JSON is checked for sanity, never for speed).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runtime } from "./support/uring.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The example's "Run with:" command, run by this runtime's executable, with port 0. */
function exampleCommand(file: string): [string, string[]] {
  const line = readFileSync(join(root, file), "utf8").match(/^\/\/ Run with: (.*)$/m)?.[1];
  if (line === undefined) throw new Error(`${file} names no command`);
  const [tool, ...args] = line.trim().split(/\s+/).filter((a) => a !== "[port]");
  expect(tool).toBe(runtime);
  return [process.execPath, [...args, "0"]];
}

/** Starts an example server; resolves with its port once it prints it. */
function startExample(file: string): Promise<{ child: ChildProcess; port: number; stderr: () => string; exit: Promise<number | null> }> {
  const [cmd, args] = exampleCommand(file);
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${file} printed no port within 20 s: ${out} ${err}`)), 20_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(m[1]), stderr: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`${file} exited (${code}) before listening: ${err}`)));
  });
}

function echoOnce(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const s = net.connect(port, "127.0.0.1", () => s.write(message));
    s.on("data", (d) => {
      text += d;
      if (text.length >= message.length) s.end();
    });
    s.on("error", reject);
    s.on("close", () => resolve(text));
  });
}

/**
 * Ctrl-C. process.kill, not child.kill: Deno's child.kill() reports the
 * signal it sent as the exit status even when the child handled it and
 * exited 0.
 */
function interrupt(child: ChildProcess): void {
  process.kill(child.pid!, "SIGINT");
}

const example = runtime === "bun" ? "examples/echo-bun.ts" : "examples/echo-deno.ts";

describe(`examples (${runtime})`, () => {
  it(`${example} echoes and stops on SIGINT`, async () => {
    const server = await startExample(example);
    try {
      expect(await echoOnce(server.port, "hello over io_uring")).toBe("hello over io_uring");
      const many = await Promise.all(Array.from({ length: 8 }, (_, i) => echoOnce(server.port, `message ${i} `.repeat(1000))));
      many.forEach((m, i) => expect(m).toBe(`message ${i} `.repeat(1000)));
    } finally {
      interrupt(server.child);
    }
    expect(await server.exit).toBe(0);
    expect(server.stderr()).toBe("");
  });

  it("examples/load.ts drives it for a bounded number of requests", async () => {
    const server = await startExample(example);
    try {
      const args = ["examples/load.ts", "--port", String(server.port), "--connections", "8", "--size", "1000", "--count", "300", "--duration-ms", "10000", "--json"];
      const r = spawnSync(process.execPath, runtime === "bun" ? args : ["run", "--allow-ffi", "--allow-read", ...args], {
        cwd: root, encoding: "utf8", timeout: 30_000,
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const result = JSON.parse(r.stdout.trim());
      expect(result).toMatchObject({ requests: 300, bytes: 300_000, mismatches: 0, errors: 0 });
      expect(result.p50Us).toBeGreaterThan(0);
      expect(result.p99Us).toBeGreaterThanOrEqual(result.p50Us);
    } finally {
      interrupt(server.child);
    }
    expect(await server.exit).toBe(0);
  });

  it("bench/echo.ts: a tiny run prints sane JSON", () => {
    const args = [
      "bench/echo.ts", "--runtime", runtime, "--rounds", "1", "--duration-ms", "300", "--warmup-ms", "0", "--count", "400",
      "--connections", "4", "--sizes", "64,4096", "--no-pin", "--json",
    ];
    const r = spawnSync(process.execPath, runtime === "bun" ? args : ["run", "-A", ...args], { cwd: root, encoding: "utf8", timeout: 90_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out).toMatchObject({ connections: 4, sizes: [64, 4096], rounds: 1, pinned: false, client: "uring" });
    const servers = runtime === "bun"
      ? ["uringshim (Bun)", "uringshim loop (Bun)", "Bun.listen", "node:net (Bun)"]
      : ["uringshim (Deno)", "uringshim loop (Deno)", "Deno.listen", "node:net (Deno)"];
    expect(out.runs).toHaveLength(8);
    expect(new Set(out.runs.map((r: { server: string }) => r.server))).toEqual(new Set(servers));
    for (const run of out.runs) {
      expect(run.requests).toBeGreaterThan(0);
      expect(run.requests).toBeLessThanOrEqual(400);
      // The suite itself needs io_uring, so the client cannot have fallen back to epoll here.
      expect(run).toMatchObject({ errors: 0, mismatches: 0, client: "uring" });
      expect(Number.isFinite(run.requestsPerSec) && run.requestsPerSec > 0).toBe(true);
      expect(run.mbPerSec).toBeCloseTo((run.requestsPerSec * run.size) / 1e6, 3);
      expect(run.p99Us).toBeGreaterThanOrEqual(run.p50Us);
      expect(run.serverCpuUsPerRequest).toBeGreaterThanOrEqual(0);
    }
    expect(out.summary).toHaveLength(8);
    for (const s of out.summary) {
      if (s.impl === "runtime") expect(s.vsRuntime).toBe(1);
      else expect(s.vsRuntime).toBeGreaterThan(0);
    }
  });

  it("bench/echo.ts --client epoll: the C client's epoll engine drives a server too", () => {
    const args = [
      "bench/echo.ts", "--runtime", runtime, "--rounds", "1", "--duration-ms", "200", "--warmup-ms", "0", "--count", "300",
      "--connections", "3", "--sizes", "100", "--servers", "uringshim", "--client", "epoll", "--no-pin", "--json",
    ];
    const r = spawnSync(process.execPath, runtime === "bun" ? args : ["run", "-A", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out).toMatchObject({ client: "epoll", runs: [{ client: "epoll", errors: 0, mismatches: 0, size: 100 }] });
    expect(out.runs[0].requests).toBeGreaterThan(0);
    expect(out.runs[0].requests).toBeLessThanOrEqual(300);
  });

  it("bench/echo.ts: where io_uring is refused, the C client says so and drives the server with epoll", () => {
    // The runtime's own server needs no io_uring; the client's io_uring_setup gets ENOSYS, as under Podman.
    const launcher = join(root, "native", "build", "seccomp-launch");
    expect(existsSync(launcher), `${launcher} (built by npm run build)`).toBe(true);
    const args = [
      "bench/echo.ts", "--runtime", runtime, "--rounds", "1", "--duration-ms", "200", "--warmup-ms", "0", "--count", "200",
      "--connections", "2", "--sizes", "64", "--servers", "runtime", "--no-pin", "--json",
    ];
    const r = spawnSync(launcher, ["--errno", "ENOSYS", "--", process.execPath, ...(runtime === "bun" ? args : ["run", "-A", ...args])], {
      cwd: root, encoding: "utf8", timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/echo-client: io_uring unavailable \(Function not implemented\): using epoll/);
    const out = JSON.parse(r.stdout.trim());
    expect(out.runs).toHaveLength(1);
    expect(out.runs[0]).toMatchObject({ client: "epoll", errors: 0, mismatches: 0 });
    expect(out.runs[0].requests).toBeGreaterThan(0);
  });
});
