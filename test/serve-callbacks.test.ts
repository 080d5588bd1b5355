// serve() with callbacks ({ open, data, end, error, close }) and
// Connection.send(), on loopback with node:net peers: round trips, the
// order of the callbacks, buffers held until the sends that may read them
// are done, failures reaching error() and closing the connection, and
// server.close() with callback connections open.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeRoundTrip, sha, waitFor } from "./support/net.ts";
import { bytesOf, random, type Ring, uring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, serve, connect } = uring;
type Connection = InstanceType<typeof uring.Connection>;

/**
 * Writes data in one go and reads the echo slowly: it pauses after every
 * 256 KiB, so the server's sends stay blocked while more data arrives.
 */
function slowEcho(port: number, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    let nextPause = 256 << 10;
    const s = net.connect(port, "127.0.0.1", () => s.write(data));
    s.on("data", (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= nextPause) {
        nextPause += 256 << 10;
        s.pause();
        setTimeout(() => s.resume(), 10);
      }
      if (got >= data.length) s.end();
    });
    s.on("error", reject);
    s.on("close", () => resolve(Buffer.concat(parts)));
  });
}

describe("serve() with callbacks", () => {
  let ring: Ring;
  beforeAll(() => {
    ring = RingClass.open({ entries: 256 });
  });
  afterAll(() => ring.close());

  it("echoes 1 MiB to a node:net client: open, data…, then the peer's end closes it after the sends, and close() runs once", async () => {
    const calls: string[] = [];
    let received = 0;
    await using server = await serve(ring, {}, {
      open: () => calls.push("open"),
      data(conn, chunk) {
        if (calls.at(-1) !== "data") calls.push("data");
        received += chunk.length;
        conn.send(chunk);
      },
      close: () => calls.push("close"),
    });
    const data = random(1 << 20, 11);
    const back = await nodeRoundTrip(server.port, data);
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
    await waitFor(() => calls.at(-1) === "close", "close()");
    expect(calls).toEqual(["open", "data", "close"]);
    expect(received).toBe(data.length);
    expect(server.connections).toBe(0);
  });

  for (const mode of ["callbacks, send()", "a handler loop, write() not awaited"] as const) {
    it(`a chunk's buffer comes back only after the sends started before it: 8 MiB through 4 buffers of 4 KiB to a slow reader (${mode})`, async () => {
      const handler = mode === "callbacks, send()"
        ? { data: (conn: Connection, chunk: Uint8Array) => conn.send(chunk) }
        : async (conn: Connection) => {
          for await (const chunk of conn) void conn.write(chunk);
        };
      await using server = await serve(ring, { bufferRing: { entries: 4, size: 4096 } }, handler);
      const data = random(8 << 20, 21);
      // A buffer handed back while its send still waited for the reader would
      // be refilled by later data before it went out: the echo would differ.
      const back = await slowEcho(server.port, data);
      expect(back.length).toBe(data.length);
      expect(sha(back)).toBe(sha(data));
    });
  }

  it("a custom end() writes a last word; what data() throws goes to error() and closes that connection", async () => {
    const errors: unknown[] = [];
    let closes = 0;
    await using server = await serve(ring, {}, {
      data(conn, chunk) {
        if (new TextDecoder().decode(chunk).includes("boom")) throw new Error("data broke");
        conn.send(chunk);
      },
      end(conn) {
        conn.send("bye");
        void conn.closeAfterWrites();
      },
      error: (_conn, e) => errors.push(e),
      close: () => closes++,
    });
    expect(Buffer.from(await nodeRoundTrip(server.port, bytesOf("hi "))).toString()).toBe("hi bye");
    // The server closes the connection on the error, maybe with the client's bytes unread (a reset).
    await nodeRoundTrip(server.port, bytesOf("boom")).catch((e: { code?: string }) => {
      if (e.code !== "ECONNRESET") throw e;
    });
    await waitFor(() => closes === 2, "both closes");
    expect(errors.map((e) => (e as Error).message)).toEqual(["data broke"]);
  });

  it("a send() the peer cuts off (it closes with data unread: a reset) reaches error() as a UringError and closes the connection", async () => {
    const errors: unknown[] = [];
    let closed = false;
    await using server = await serve(ring, {}, {
      data: (conn) => conn.send(new Uint8Array(64 << 20)), // far more than the socket buffers hold
      error: (_conn, e) => errors.push(e),
      close: () => {
        closed = true;
      },
    });
    await new Promise<void>((resolve) => {
      const s = net.connect(server.port, "127.0.0.1", () => s.write("go"));
      s.pause(); // never reads: the send blocks until the reset
      s.on("error", () => {});
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 100);
    });
    await waitFor(() => closed, "close()");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(uring.UringError);
    expect(["ECONNRESET", "EPIPE"]).toContain((errors[0] as UringError).code);
    expect((errors[0] as UringError).op).toBe("send");
  });

  it("without error(), a throwing callback goes to options.onError", async () => {
    const reported: unknown[] = [];
    await using server = await serve(ring, { onError: (e) => reported.push(e) }, {
      open() {
        throw new Error("open broke");
      },
      data() {},
    });
    await nodeRoundTrip(server.port, new Uint8Array(0)).catch(() => {});
    await waitFor(() => reported.length === 1, "the report");
    expect((reported[0] as Error).message).toBe("open broke");
    await waitFor(() => server.connections === 0, "the connection closed");
  });

  it("server.close() closes callback connections: close() runs for each, the blocked send ends, nothing is left pending", async () => {
    const closedConns: Connection[] = [];
    const opened: Connection[] = [];
    const server = await serve(ring, { bufferRing: { entries: 8, size: 4096 } }, {
      open: (conn) => opened.push(conn),
      data(conn, chunk) {
        if (chunk[0] === 2) conn.send(new Uint8Array(64 << 20)); // the peer never reads: blocks
      },
      close: (conn) => closedConns.push(conn),
      error: (_conn, e) => {
        throw new Error(`no error expected, got ${String(e)}`);
      },
    });
    const sockets = await Promise.all([1, 1, 2].map((tag) =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(server.port, "127.0.0.1", () => {
          s.write(Uint8Array.of(tag));
          resolve(s);
        });
        s.pause();
        s.on("error", () => {});
      })
    ));
    await waitFor(() => server.connections === 3, "three connections");
    await new Promise((r) => setTimeout(r, 100)); // the send is blocked by now
    const gone = sockets.map((s) => new Promise((resolve) => s.on("close", resolve)));
    await server.close();
    for (const s of sockets) s.resume();
    await Promise.all(gone);
    expect(closedConns.length).toBe(3);
    expect(new Set(closedConns)).toEqual(new Set(opened));
    expect(server.connections).toBe(0);
    expect(ring.pending).toBe(0);
  });

  it("a connection read with callbacks cannot also be read in a loop", async () => {
    let loopError: unknown;
    await using server = await serve(ring, {}, {
      open(conn) {
        conn[Symbol.asyncIterator]().next().catch((e) => {
          loopError = e;
        });
      },
      data: (conn, chunk) => conn.send(chunk),
    });
    expect(Buffer.from(await nodeRoundTrip(server.port, bytesOf("still echoes"))).toString()).toBe("still echoes");
    expect(loopError).toBeInstanceOf(TypeError);
    expect((loopError as Error).message).toMatch(/data callback/);
  });

  it("send() on a connect()ed connection whose peer resets: the connection closes and the next read rejects with the error", async () => {
    const listener = net.createServer((s) => {
      s.on("error", () => {});
      s.pause();
      setTimeout(() => s.destroy(), 50); // unread data: the kernel resets the connection
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    try {
      const conn = await connect(ring, { port: (listener.address() as net.AddressInfo).port });
      conn.send(new Uint8Array(64 << 20));
      await waitFor(() => conn.closed, "the connection closed");
      let failure: unknown;
      try {
        for await (const _ of conn) { /* nothing arrives */ }
      } catch (e) {
        failure = e;
      }
      expect(failure).toBeInstanceOf(uring.UringError);
      expect(["ECONNRESET", "EPIPE"]).toContain((failure as UringError).code);
      expect(() => conn.send("late")).toThrow(/Connection\.send\(\)/);
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });
});
