// One echo server of the loopback echo benchmark (bench/echo.ts), under
// the runtime running this file (Bun or Deno):
//   --impl uringshim  serve() from uringshim with callbacks (data: send the
//                     chunk back): multishot accept, multishot receive into
//                     one shared buffer ring, a send per chunk
//   --impl uringshim-loop  the same server with the two-line handler loop
//                     of examples/ (for await … await conn.write(chunk))
//   --impl runtime    the runtime's own server: Bun.listen or Deno.listen
//   --impl node       node:net in that runtime
// Listens on --host (127.0.0.1) with a port the kernel picks, prints
// {"port", "impl", "runtime", "pid"} on one line, echoes until stdin closes
// (the bench closes it), then exits 0. Each server echoes every byte,
// keeping what a send could not take for when the socket drains.
import process from "node:process";
import net from "node:net";

type Impl = "uringshim" | "uringshim-loop" | "runtime" | "node";
const runtime: "bun" | "deno" = "Bun" in globalThis ? "bun" : "deno";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const impl = arg("impl", "uringshim") as Impl;
const host = arg("host", "127.0.0.1");

async function loadUring(): Promise<typeof import("../runtime-bun/mod.ts")> {
  return runtime === "bun" ? await import("../runtime-bun/mod.ts") : await import("../runtime-deno/mod.ts");
}

async function uringshimServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const uring = await loadUring();
  const ring = uring.Ring.open();
  const server = impl === "uringshim"
    ? await uring.serve(ring, { address: host, port: 0 }, { data: (conn, chunk) => conn.send(chunk) })
    : await uring.serve(ring, { address: host, port: 0 }, async (conn) => {
      for await (const chunk of conn) await conn.write(chunk);
    });
  return {
    port: server.port,
    stop: async () => {
      await server.close();
      ring.close();
    },
  };
}

/** The parts of Bun.listen used here (typed locally so that `deno check` needs no Bun types). */
interface BunSocket {
  data: { pending: Uint8Array | undefined };
  write(data: Uint8Array): number;
}
interface BunListen {
  listen(options: {
    hostname: string;
    port: number;
    socket: { open(s: BunSocket): void; data(s: BunSocket, data: Uint8Array): void; drain(s: BunSocket): void };
  }): { port: number; stop(closeActive: boolean): void };
}

async function bunServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const Bun = (globalThis as unknown as { Bun: BunListen }).Bun;
  const listener = Bun.listen({
    hostname: host,
    port: 0,
    socket: {
      open(s) {
        s.data = { pending: undefined };
      },
      data(s, data) {
        const st = s.data;
        if (st.pending !== undefined) {
          // Still draining an earlier chunk: keep order.
          const both = new Uint8Array(st.pending.length + data.length);
          both.set(st.pending);
          both.set(data, st.pending.length);
          st.pending = both;
          return;
        }
        const n = s.write(data);
        if (n < data.length) st.pending = data.slice(Math.max(n, 0));
      },
      drain(s) {
        const st = s.data;
        const p = st.pending;
        if (p === undefined) return;
        const n = s.write(p);
        st.pending = n < p.length ? p.subarray(Math.max(n, 0)) : undefined;
      },
    },
  });
  return { port: listener.port, stop: async () => listener.stop(true) };
}

async function denoServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  // deno-lint-ignore no-explicit-any
  const Deno = (globalThis as any).Deno;
  const listener = Deno.listen({ hostname: host, port: 0 });
  const conns = new Set<{ close(): void }>();
  const handle = async (conn: { read(b: Uint8Array): Promise<number | null>; write(b: Uint8Array): Promise<number>; close(): void }) => {
    conns.add(conn);
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        for (let at = 0; at < n;) at += await conn.write(buf.subarray(at, n));
      }
    } catch {
      // reset by the peer, or closed by stop()
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed already */ }
    }
  };
  (async () => {
    try {
      for await (const conn of listener) handle(conn);
    } catch { /* the listener was closed */ }
  })();
  return {
    port: listener.addr.port,
    stop: async () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
    },
  };
}

async function nodeServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => s.write(d)); // net.Socket queues what the kernel cannot take yet
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const start = impl === "uringshim" || impl === "uringshim-loop" ? uringshimServer
  : impl === "node" ? nodeServer
  : impl === "runtime" ? (runtime === "bun" ? bunServer : denoServer)
  : undefined;
if (start === undefined) {
  console.error(`echo-server: unknown --impl ${impl} (uringshim, runtime, node)`);
  process.exit(2);
}
const server = await start();
console.log(JSON.stringify({ port: server.port, impl, runtime, pid: process.pid }));
process.stdin.resume();
process.stdin.on("end", async () => {
  await server.stop();
  process.exit(0);
});
