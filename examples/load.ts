// A loopback load generator on uringshim: N connections, each sending a
// message, reading its echo back in full, and sending the next, until
// --count requests or --duration-ms have passed (the echo is spot-checked:
// every 61st byte and the last of each chunk).
// Run with:
//   bun examples/load.ts --port 7000 [--host 127.0.0.1] [--connections 64] [--size 64]
//                        [--count 1000000] [--duration-ms 5000] [--json]
//   deno run --allow-ffi --allow-read examples/load.ts --port 7000 …
// Prints requests/s, MB/s (echoed payload, one direction) and round-trip
// percentiles; --json prints them as one line (bench/echo.ts reads it).
import { connect, type Connection, Ring } from "uringshim";
import process from "node:process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    connections: { type: "string", default: "64" },
    size: { type: "string", default: "64" },
    count: { type: "string", default: "1000000" },
    "duration-ms": { type: "string", default: "5000" },
    json: { type: "boolean", default: false },
  },
});
if (values.port === undefined) {
  console.error("load: --port is required");
  process.exit(2);
}
const connections = Number(values.connections);
const size = Number(values.size);
const maxRequests = Number(values.count);
const durationMs = Number(values["duration-ms"]);

// Message k is pattern[k % size …]: a misplaced or stale byte shows up.
const pattern = new Uint8Array(2 * size);
for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 131 + 7) & 0xff;

using ring = Ring.open({ entries: 1024 });
using buffers = ring.registerBufferRing({ entries: 512, size: 16384 });
const conns: Connection[] = [];
for (let i = 0; i < connections; i++) conns.push(await connect(ring, { address: values.host, port: Number(values.port), bufferRing: buffers }));

const latencies: number[] = [];
let started = 0;
let mismatches = 0;
let errors = 0;
let last = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const deadline = t0 + durationMs;

async function drive(conn: Connection): Promise<void> {
  while (started < maxRequests && performance.now() < deadline) {
    const seq = started++;
    const message = pattern.subarray(seq % size, (seq % size) + size);
    const begin = performance.now();
    // Read while writing: a message larger than the socket buffers must not deadlock.
    const writing = conn.write(message);
    let got = 0;
    for await (const chunk of conn) {
      // Spot checks (every 61st byte and the last): a full compare would cost more than the echo.
      for (let i = 0; i < chunk.length; i += 61) if (chunk[i] !== message[got + i]) mismatches++;
      if (chunk[chunk.length - 1] !== message[got + chunk.length - 1]) mismatches++;
      got += chunk.length;
      if (got >= size) break;
    }
    await writing;
    if (got !== size) {
      errors++; // the server closed the connection (or sent too much)
      return;
    }
    last = performance.now();
    latencies.push(last - begin);
  }
}

await Promise.all(conns.map((c) => drive(c).catch(() => void errors++)));
const cpu = process.cpuUsage(cpu0);
await Promise.all(conns.map((c) => c.close()));

latencies.sort((a, b) => a - b);
const at = (q: number) => Math.round(1000 * (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0));
const elapsedMs = (last || performance.now()) - t0;
const result = {
  requests: latencies.length,
  bytes: latencies.length * size,
  elapsedNs: Math.round(elapsedMs * 1e6),
  p50Us: at(0.5),
  p99Us: at(0.99),
  p999Us: at(0.999),
  maxUs: at(1),
  mismatches,
  cpuUs: cpu.user + cpu.system,
  errors,
};
if (values.json) console.log(JSON.stringify(result));
else {
  const secs = elapsedMs / 1000;
  console.log(
    `${result.requests} requests over ${connections} connections of ${size} B in ${secs.toFixed(2)} s: ` +
      `${Math.round(result.requests / secs)} requests/s, ${(result.bytes / secs / 1e6).toFixed(1)} MB/s, ` +
      `p50 ${result.p50Us} µs, p99 ${result.p99Us} µs${mismatches || errors ? `, ${mismatches} bad bytes, ${errors} errors` : ""}`,
  );
}
