// The loopback echo benchmark (issue #6). Run with:
//   bun bench/echo.ts [options]   or   deno run -A bench/echo.ts [options]
//   npm run bench:echo -- [options]
//
// Eight echo servers, each in its own process (bench/echo-server.ts): the
// uringshim server (serve(): multishot accept, multishot receive into one
// shared buffer ring) with callbacks and with the handler loop of
// examples/, each under Bun and under Deno; Bun.listen, Deno.listen, and
// node:net under each runtime. Every one meets the same client, a C
// program (bench/echo-client.c, built with cc on first use): one thread,
// 64 connections in a closed loop, each sending a message and waiting for
// all of it to come back before sending the next. C, because the client
// has to cost less per request than any server under test, or the bench
// measures the client; and one client for all, because two clients would
// measure two clients. Its CPU share is reported so a client-bound run
// shows. `--client uring` (the default) drives the connections through
// io_uring, one enter per pass for all of them; `--client epoll` is the
// classic loop, which on a 2-vCPU VM saturates its CPU at about the rate
// of the servers it drives; `--client load` runs examples/load.ts under
// Bun, which costs about as much CPU per request as a server, so it
// mostly measures itself.
//
// Per round, every server runs every message size (64 B and 16 KiB by
// default) for --duration-ms after --warmup-ms; the order of the servers
// rotates round by round. With taskset and 2+ CPUs, servers are pinned to
// CPU 1 and the client to CPU 0. Each load loop is bounded by --count
// requests and --duration-ms. Loopback only. Reported: medians over the
// rounds of requests/s, MB/s (echoed payload, one direction), p50/p99
// round trip (as the client sees it), the server's CPU time per request
// (utime+stime from /proc), and each server's ratio to its runtime's own
// server (median of per-round ratios). --json prints every run and the
// summary as one JSON object instead of the table.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

type Runtime = "bun" | "deno";
type Impl = "uringshim" | "uringshim-loop" | "runtime" | "node";

interface ServerSpec {
  name: string;
  runtime: Runtime;
  impl: Impl;
}

const SERVERS: ServerSpec[] = [
  { name: "uringshim (Bun)", runtime: "bun", impl: "uringshim" },
  { name: "uringshim loop (Bun)", runtime: "bun", impl: "uringshim-loop" },
  { name: "Bun.listen", runtime: "bun", impl: "runtime" },
  { name: "node:net (Bun)", runtime: "bun", impl: "node" },
  { name: "uringshim (Deno)", runtime: "deno", impl: "uringshim" },
  { name: "uringshim loop (Deno)", runtime: "deno", impl: "uringshim-loop" },
  { name: "Deno.listen", runtime: "deno", impl: "runtime" },
  { name: "node:net (Deno)", runtime: "deno", impl: "node" },
];

/** What one client run printed (bench/echo-client.c and examples/load.ts print the same fields). */
interface ClientResult {
  requests: number;
  bytes: number;
  elapsedNs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  mismatches: number;
  cpuUs: number;
  errors: number;
  /** The C client's engine: "uring", or "epoll" (asked for, or io_uring unavailable). */
  engine?: string;
}

export interface EchoRun {
  round: number;
  server: string;
  runtime: Runtime;
  impl: Impl;
  size: number;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  mbPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  /** Server CPU time (user + system, all threads) per request, µs. */
  serverCpuUsPerRequest: number;
  /** Server CPU time over wall time, percent of one CPU. */
  serverCpuPct: number;
  clientCpuPct: number;
  /** What drove the load: the C client's engine (uring, epoll) or load (examples/load.ts). */
  client: string;
  errors: number;
  mismatches: number;
}

export interface EchoSummary {
  server: string;
  runtime: Runtime;
  impl: Impl;
  size: number;
  requestsPerSec: number;
  mbPerSec: number;
  p50Us: number;
  p99Us: number;
  serverCpuUsPerRequest: number;
  clientCpuPct: number;
  /** Median over rounds of requestsPerSec / that of the runtime's own server in the same round. */
  vsRuntime: number | null;
}

const root = fileURLToPath(new URL("..", import.meta.url));
const runtimeBin: Record<Runtime, string> = {
  bun: join(root, "node_modules", ".bin", "bun"),
  deno: join(root, "node_modules", ".bin", "deno"),
};

const { values: opt } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rounds: { type: "string", default: "3" },
    "duration-ms": { type: "string", default: "2000" },
    "warmup-ms": { type: "string", default: "500" },
    connections: { type: "string", default: "64" },
    sizes: { type: "string", default: "64,16384" },
    count: { type: "string", default: "10000000" },
    runtime: { type: "string", default: "both" },
    servers: { type: "string", default: "uringshim,uringshim-loop,runtime,node" },
    client: { type: "string", default: "uring" },
    host: { type: "string", default: "127.0.0.1" },
    "no-pin": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opt.help) {
  console.log(`usage: bun bench/echo.ts [--rounds 3] [--duration-ms 2000] [--warmup-ms 500] [--connections 64]
  [--sizes 64,16384] [--count 10000000] [--runtime bun|deno|both]
  [--servers uringshim,uringshim-loop,runtime,node]
  [--client uring|epoll|load] [--host 127.0.0.1|::1] [--no-pin] [--json]`);
  process.exit(0);
}

function positive(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench/echo: --${name} must be an integer >= ${min}, got ${text}`);
    process.exit(2);
  }
  return n;
}

const rounds = positive("rounds", opt.rounds!);
const durationMs = positive("duration-ms", opt["duration-ms"]!);
const warmupMs = positive("warmup-ms", opt["warmup-ms"]!, 0);
const connections = positive("connections", opt.connections!);
const count = positive("count", opt.count!);
const sizes = opt.sizes!.split(",").map((s) => positive("sizes", s));
if (opt.host !== "127.0.0.1" && opt.host !== "::1") {
  console.error("bench/echo: loopback only: --host must be 127.0.0.1 or ::1");
  process.exit(2);
}
const host = opt.host!;
const C_ENGINES = ["uring", "epoll"];
if (!C_ENGINES.includes(opt.client!) && opt.client !== "load") {
  console.error("bench/echo: --client must be uring, epoll or load");
  process.exit(2);
}
const runtimes: Runtime[] = opt.runtime === "both" ? ["bun", "deno"] : [opt.runtime as Runtime];
if (!runtimes.every((r) => r === "bun" || r === "deno")) {
  console.error("bench/echo: --runtime must be bun, deno or both");
  process.exit(2);
}
const impls = opt.servers!.split(",") as Impl[];
const servers = SERVERS.filter((s) => runtimes.includes(s.runtime) && impls.includes(s.impl));
if (servers.length === 0) {
  console.error("bench/echo: no server left after --runtime and --servers");
  process.exit(2);
}

const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const pinned = !opt["no-pin"] && hasTaskset && cpus().length >= 2;
const serverPin = pinned ? ["taskset", "-c", "1"] : [];
const clientPin = pinned ? ["taskset", "-c", "0"] : [];
const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

function log(message: string): void {
  if (!opt.json) console.error(message);
}

/** The C client, built once per source version into the temp directory. */
function buildClient(): string {
  const source = join(root, "bench", "echo-client.c");
  const hash = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
  const out = join(tmpdir(), `uringshim-echo-client-${hash}`);
  if (existsSync(out)) return out;
  const r = spawnSync("cc", ["-O2", "-o", out, source], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`bench/echo: cannot build ${source} with cc (${r.error?.message ?? r.stderr}); install a C compiler or use --client load`);
    process.exit(1);
  }
  return out;
}

const clientProgram = C_ENGINES.includes(opt.client!) ? buildClient() : "";

function withPin(pin: string[], cmd: string, args: string[]): [string, string[]] {
  return pin.length > 0 ? [pin[0], [...pin.slice(1), cmd, ...args]] : [cmd, args];
}

interface RunningServer {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

function startServer(spec: ServerSpec): Promise<RunningServer> {
  const script = join(root, "bench", "echo-server.ts");
  const args = spec.runtime === "bun" ? [script] : ["run", "-A", script];
  const [cmd, argv] = withPin(serverPin, runtimeBin[spec.runtime], [...args, "--impl", spec.impl, "--host", host]);
  const child = spawn(cmd, argv, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${spec.name}: no port within 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name}: exited (${code}) before listening; stderr: ${stderr}`));
    });
    child.stdout!.on("data", (d) => {
      out += String(d);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined || !out.includes("\n")) return;
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        pid: child.pid!,
        port,
        async stop() {
          child.stdin!.end(); // the server closes and exits when stdin ends
          const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** utime + stime of a process (all its threads), in µs. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
}

let fallbackNoted = false;

function runClient(port: number, size: number, maxRequests: number, ms: number): ClientResult {
  const [cmd, argv] = clientProgram !== ""
    ? withPin(clientPin, clientProgram, [
      host, String(port), String(connections), String(size), String(maxRequests), String(ms), opt.client!,
    ])
    : withPin(clientPin, runtimeBin.bun, [
      join(root, "examples", "load.ts"), "--host", host, "--port", String(port), "--connections", String(connections),
      "--size", String(size), "--count", String(maxRequests), "--duration-ms", String(ms), "--json",
    ]);
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", timeout: ms + 30_000 });
  // The C client falls back to epoll where io_uring is unavailable, and says why: pass that on, once.
  const note = (r.stderr ?? "").split("\n").find((l) => l.includes("using epoll"));
  if (note !== undefined && !fallbackNoted) {
    fallbackNoted = true;
    console.error(note);
  }
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("{"));
  if (r.status !== 0 || line === undefined) throw new Error(`client failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  return JSON.parse(line) as ClientResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const runs: EchoRun[] = [];
log(
  `loopback echo: ${servers.length} servers × ${sizes.join(", ")} B, ${connections} connections, ${rounds} rounds of ` +
    `${durationMs} ms (+${warmupMs} ms warm-up), client ${clientProgram !== "" ? `C/${opt.client === "uring" ? "io_uring" : "epoll"}` : "examples/load.ts (Bun)"}` +
    (pinned ? ", server on CPU 1, client on CPU 0" : ", unpinned"),
);
for (let round = 0; round < rounds; round++) {
  // Alternate: each round starts one server later.
  const order = servers.map((_, i) => servers[(i + round) % servers.length]);
  for (const spec of order) {
    const server = await startServer(spec);
    try {
      for (const size of sizes) {
        if (warmupMs > 0) runClient(server.port, size, count, warmupMs);
        const before = cpuUs(server.pid);
        const c = runClient(server.port, size, count, durationMs);
        const serverCpu = cpuUs(server.pid) - before;
        const seconds = c.elapsedNs / 1e9;
        const run: EchoRun = {
          round, server: spec.name, runtime: spec.runtime, impl: spec.impl, size,
          requests: c.requests, seconds,
          requestsPerSec: seconds > 0 ? c.requests / seconds : 0,
          mbPerSec: seconds > 0 ? c.bytes / seconds / 1e6 : 0,
          p50Us: c.p50Us, p99Us: c.p99Us, p999Us: c.p999Us,
          serverCpuUsPerRequest: c.requests > 0 ? serverCpu / c.requests : 0,
          serverCpuPct: seconds > 0 ? (serverCpu / 1e4) / seconds : 0,
          clientCpuPct: seconds > 0 ? (c.cpuUs / 1e4) / seconds : 0,
          client: c.engine ?? "load",
          errors: c.errors, mismatches: c.mismatches,
        };
        runs.push(run);
        log(
          `round ${round + 1}: ${spec.name.padEnd(21)} ${String(size).padStart(6)} B: ${Math.round(run.requestsPerSec)} req/s, ` +
            `p99 ${run.p99Us} µs, server ${run.serverCpuUsPerRequest.toFixed(1)} µs/req (${run.serverCpuPct.toFixed(0)}% CPU), ` +
            `client ${run.clientCpuPct.toFixed(0)}% CPU${run.errors || run.mismatches ? `, ${run.errors} errors, ${run.mismatches} bad bytes` : ""}`,
        );
      }
    } finally {
      await server.stop();
    }
  }
}

const summary: EchoSummary[] = [];
for (const spec of servers) {
  for (const size of sizes) {
    const mine = runs.filter((r) => r.server === spec.name && r.size === size);
    const ratios: number[] = [];
    for (const r of mine) {
      const own = runs.find((o) => o.round === r.round && o.size === size && o.runtime === spec.runtime && o.impl === "runtime");
      if (own !== undefined && own.requestsPerSec > 0) ratios.push(r.requestsPerSec / own.requestsPerSec);
    }
    summary.push({
      server: spec.name, runtime: spec.runtime, impl: spec.impl, size,
      requestsPerSec: median(mine.map((r) => r.requestsPerSec)),
      mbPerSec: median(mine.map((r) => r.mbPerSec)),
      p50Us: median(mine.map((r) => r.p50Us)),
      p99Us: median(mine.map((r) => r.p99Us)),
      serverCpuUsPerRequest: median(mine.map((r) => r.serverCpuUsPerRequest)),
      clientCpuPct: median(mine.map((r) => r.clientCpuPct)),
      vsRuntime: ratios.length > 0 ? median(ratios) : null,
    });
  }
}

if (opt.json) {
  console.log(JSON.stringify({
    connections, sizes, rounds, durationMs, warmupMs, count, pinned, client: opt.client, host, runs, summary,
  }));
} else {
  const sizeName = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);
  const rows = summary.map((s) => [
    s.server, sizeName(s.size), Math.round(s.requestsPerSec).toLocaleString("en-US"), s.mbPerSec.toFixed(1),
    `${s.p50Us} / ${s.p99Us}`, s.serverCpuUsPerRequest.toFixed(1), `${s.clientCpuPct.toFixed(0)}%`,
    s.vsRuntime === null ? "" : `${s.vsRuntime.toFixed(2)}x`,
  ]);
  const head = ["server", "message", "requests/s", "MB/s", "p50 / p99 µs", "server CPU µs/req", "client CPU", "vs runtime's own"];
  console.log(`| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log(`\n(medians of ${rounds} rounds; ratio: median of per-round ratios of requests/s to Bun.listen or Deno.listen)`);
}
