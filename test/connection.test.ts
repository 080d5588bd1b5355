// serve() / connect() / Connection on loopback: round trips with both
// receive modes, node:net peers on the other end, partial sends completed,
// the peer's close ending the loop, leaving a loop and coming back,
// writes kept in order, and server.close() with connections in flight.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeRoundTrip, sha, waitFor } from "./support/net.ts";
import { bytesOf, random, rejection, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, serve, connect } = uring;
type Connection = InstanceType<typeof uring.Connection>;

const echo = async (conn: Connection) => {
  for await (const chunk of conn) await conn.write(chunk);
};

/** Reads conn until n bytes arrived (copies them). */
async function readBytes(conn: Connection, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  if (n === 0) return out;
  for await (const chunk of conn) {
    out.set(chunk.subarray(0, n - at), at);
    at += chunk.length;
    if (at >= n) break;
  }
  expect(at).toBe(n);
  return out;
}

describe("serve / connect / Connection", () => {
  let ring: Ring;
  beforeAll(() => {
    ring = RingClass.open({ entries: 256 });
  });
  afterAll(() => ring.close());

  it("echoes through a node:net client, and the peer's close ends the handler's loop", async () => {
    let handlerSaw = 0;
    let loopEnded = false;
    await using server = await serve(ring, {}, async (conn) => {
      for await (const chunk of conn) {
        handlerSaw += chunk.length;
        await conn.write(chunk);
      }
      loopEnded = true;
    });
    expect(server.address).toMatchObject({ family: "ipv4", address: "127.0.0.1" });
    expect(server.port).toBeGreaterThan(0);
    const data = random(200_000, 3);
    const back = await nodeRoundTrip(server.port, data);
    expect(sha(back)).toBe(sha(data));
    await waitFor(() => loopEnded);
    expect(handlerSaw).toBe(data.length);
    await waitFor(() => server.connections === 0); // the finished handler closed its connection
  });

  it("round trips with connect(): a private buffer and a buffer ring", async () => {
    await using server = await serve(ring, { bufferRing: { entries: 8, size: 1024 } }, echo);
    using clientBuffers = ring.registerBufferRing({ entries: 8, size: 4096 });
    for (const bufferRing of [undefined, clientBuffers]) {
      await using conn = await connect(ring, { port: server.port, bufferRing });
      await conn.write("hello, ring");
      expect(new TextDecoder().decode(await readBytes(conn, 11))).toBe("hello, ring");
      const data = random(100_000, 9); // many 1 KiB server buffers in flight at once
      const [, got] = await Promise.all([conn.write(data), readBytes(conn, data.length)]);
      expect(sha(got)).toBe(sha(data));
    }
    expect(clientBuffers.available).toBe(8);
  });

  it("listens on ::1 too", async () => {
    await using server = await serve(ring, { address: "::1" }, echo);
    expect(server.address).toMatchObject({ family: "ipv6", address: "::1" });
    expect(Buffer.from(await nodeRoundTrip(server.port, bytesOf("six"), "::1")).toString()).toBe("six");
  });

  it("write() completes partial sends: 32 MiB in one call to a slow reader", async () => {
    let firstSend = -1;
    await using server = await serve(ring, {}, async (conn) => {
      const data = random(32 << 20, 77);
      // One send of it all takes only what the socket buffers hold: a partial send.
      firstSend = await ring.send(conn.fd, data);
      await conn.write(data.subarray(firstSend));
    });
    const slow = new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      const s = net.connect(server.port, "127.0.0.1");
      s.pause();
      setTimeout(() => s.resume(), 200); // the sender fills the buffers first
      s.on("data", (d: Buffer) => parts.push(d));
      s.on("error", reject);
      s.on("close", () => resolve(Buffer.concat(parts)));
    });
    expect(sha(await slow)).toBe(sha(random(32 << 20, 77)));
    expect(firstSend).toBeGreaterThan(0);
    expect(firstSend).toBeLessThan(32 << 20);
  });

  it("writes started without awaiting go out whole and in order", async () => {
    await using server = await serve(ring, {}, async (conn) => {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) writes.push(conn.write(random(10_000 + i, i + 1)));
      await Promise.all(writes);
    });
    const back = await nodeRoundTrip(server.port, new Uint8Array(0));
    const expected = Buffer.concat(Array.from({ length: 200 }, (_, i) => random(10_000 + i, i + 1)));
    expect(back.length).toBe(expected.length);
    expect(sha(back)).toBe(sha(expected));
  });

  it("send() from a handler: what it queued still goes out after the handler returns", async () => {
    const data = random(16 << 20, 31);
    await using server = await serve(ring, {}, (conn) => {
      conn.send(data); // far more than the socket buffers hold while the client waits
    });
    const back = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      const s = net.connect(server.port, "127.0.0.1");
      s.pause();
      setTimeout(() => s.resume(), 100); // the handler has long returned by then
      s.on("data", (d: Buffer) => parts.push(d));
      s.on("error", reject);
      s.on("close", () => resolve(Buffer.concat(parts)));
    });
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
  });

  it("leaving the loop keeps the chunks not yet handed out: the next loop goes on from there", async () => {
    let parts: string[] = [];
    await using server = await serve(ring, {}, async (conn) => {
      const head = await readBytes(conn, 5);
      const rest: Uint8Array[] = [];
      for await (const chunk of conn) rest.push(chunk.slice());
      parts = [new TextDecoder().decode(head), new TextDecoder().decode(Buffer.concat(rest))];
      await conn.write("ok");
    });
    // Two chunks: a loop hands out whole chunks, so the first loop must stop at a chunk's end.
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      const s = net.connect(server.port, "127.0.0.1", () => {
        s.write("HEAD:");
        setTimeout(() => s.end("and the body"), 50);
      });
      s.on("data", (d) => (text += d));
      s.on("error", reject);
      s.on("close", () => resolve(text));
    });
    expect(reply).toBe("ok");
    expect(parts).toEqual(["HEAD:", "and the body"]);
  });

  it("hands every buffer back: a small shared ring serves many connections", async () => {
    using buffers = ring.registerBufferRing({ entries: 4, size: 512 });
    await using server = await serve(ring, { bufferRing: buffers }, echo);
    const datas = Array.from({ length: 16 }, (_, i) => random(20_000, 100 + i));
    const backs = await Promise.all(datas.map((d) => nodeRoundTrip(server.port, d)));
    backs.forEach((b, i) => expect(sha(b)).toBe(sha(datas[i])));
    await waitFor(() => server.connections === 0);
    expect(buffers.available).toBe(4);
    await server.close();
    expect(buffers.closed).toBe(false); // the caller's ring stays open
  });

  it("server.close() with connections in flight: loops end, blocked writes reject, nothing left pending", async () => {
    const outcomes: string[] = [];
    const server = await serve(ring, { bufferRing: { entries: 8, size: 4096 } }, async (conn) => {
      const first = await readBytes(conn, 1);
      if (first[0] === 1) {
        for await (const _ of conn) { /* waits for data that never comes */ }
        outcomes.push("reader ended");
      } else {
        try {
          await conn.write(new Uint8Array(64 << 20)); // the peer never reads: blocks
          outcomes.push("write finished?");
        } catch (e) {
          outcomes.push(`write ${(e as { code?: string }).code}`);
        }
      }
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
    await waitFor(() => server.connections === 3);
    await new Promise((r) => setTimeout(r, 100)); // the handlers are in their reads and the write
    const closed = sockets.map((s) => new Promise((resolve) => s.on("close", resolve)));
    await server.close();
    for (const s of sockets) s.resume();
    await Promise.all(closed);
    await waitFor(() => outcomes.length === 3);
    expect(outcomes.sort()).toEqual(["reader ended", "reader ended", "write ECANCELED"]);
    expect(server.connections).toBe(0);
    expect(server.bufferRing.closed).toBe(true); // the server registered it, so it closed it
    expect(ring.pending).toBe(0);
    // Nothing listens any more.
    expect((await rejection(connect(ring, { port: server.port }))).code).toBe("ECONNREFUSED");
  });

  it("close() ends a loop waiting for data; write after close is ERING_CLOSED", async () => {
    await using server = await serve(ring, {}, echo);
    const conn = await connect(ring, { port: server.port });
    const loop = (async () => {
      let n = 0;
      for await (const _ of conn) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 20));
    await conn.close();
    expect(await loop).toBe(0);
    expect(conn.closed).toBe(true);
    expect((await rejection(conn.write("x"))).code).toBe("ERING_CLOSED");
    await conn.close(); // idempotent
  });

  it("write() on a connection whose ring closed rejects (never throws), and so does the next", async () => {
    const own = RingClass.open({ entries: 16 });
    const listener = net.createServer((s) => s.resume());
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    try {
      const conn = await connect(own, { port: (listener.address() as net.AddressInfo).port });
      await conn.write("before");
      own.close();
      let first: Promise<void> | undefined;
      expect(() => {
        first = conn.write("after");
      }).not.toThrow();
      expect((await rejection(first!)).code).toBe("ERING_CLOSED");
      // The failed write left no write counted in flight: the next one fails the same way, on its own.
      expect((await rejection(conn.write("again"))).code).toBe("ERING_CLOSED");
      await conn.close(); // closes the fd directly: the ring is gone
    } finally {
      own.close();
      await new Promise((r) => listener.close(r));
    }
  });

  it("a handler's error goes to onError; ECONNREFUSED is typed", async () => {
    const errors: unknown[] = [];
    await using server = await serve(ring, { onError: (e) => errors.push(e) }, () => {
      throw new Error("handler broke");
    });
    // The server closes on the handler's error, possibly with "x" unread: the
    // kernel then resets the connection, which the client may see first.
    await nodeRoundTrip(server.port, bytesOf("x")).catch((e: { code?: string }) => {
      if (e.code !== "ECONNRESET") throw e;
    });
    await waitFor(() => errors.length === 1);
    expect((errors[0] as Error).message).toBe("handler broke");
    const probe = await serve(ring, {}, echo);
    const port = probe.port;
    await probe.close();
    const e = await rejection(connect(ring, { port }));
    expect(e.code).toBe("ECONNREFUSED");
    expect(e.op).toBe("connect");
  });

  it("rejects bad arguments naming them", async () => {
    await expect(serve(ring, { port: 70000 }, echo)).rejects.toThrow(RangeError);
    await expect(serve(ring, { port: 70000 }, echo)).rejects.toThrow(/options\.port/);
    await expect(serve(ring, { address: "localhost" }, echo)).rejects.toThrow(TypeError);
    await expect(serve(ring, { address: "localhost" }, echo)).rejects.toThrow(/options\.address/);
    await expect(serve(ring, {}, "nope" as never)).rejects.toThrow(/handler must be a function/);
    await expect(serve({} as Ring, {}, echo)).rejects.toThrow(/ring must be a Ring/);
    await expect(serve(ring, { bufferRing: { entries: 3, size: 64 } }, echo)).rejects.toThrow(/power of two/);
    await expect(connect(ring, {} as never)).rejects.toThrow(/options\.port/);
    await expect(connect(ring, { port: 1, readSize: 0 })).rejects.toThrow(RangeError);
    await using server = await serve(ring, {}, echo);
    await using conn = await connect(ring, { port: server.port });
    expect(() => conn.write(42 as never)).toThrow(/Connection\.write\(\): data/);
  });
});
