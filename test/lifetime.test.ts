// Closing rings and pools under load: thousands of operations in flight
// (reads on pipes and sockets that never complete, timeouts, file reads)
// and more queued in JS than the SQ holds. Every promise settles exactly
// once, close() returns only after the kernel's last completion, and every
// method used after close throws a UringError naming it.
import { closeSync, openSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeFifo, random, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, BufferPool, UringError: UringErrorClass, AF_INET, SOCK_STREAM, serve, connect } = uring;

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const FILE_BYTES = 1 << 20;
const fileData = random(FILE_BYTES, 7);
const filePath = join(tmp.dir, "data.bin");
writeFileSync(filePath, fileData);

/** A connected loopback TCP pair: [client, accepted, listener]. */
async function socketPair(ring: Ring): Promise<number[]> {
  const l = await ring.socket(AF_INET, SOCK_STREAM);
  await ring.bind(l, { address: "127.0.0.1", port: 0 });
  await ring.listen(l, 4);
  const port = (ring.localAddress(l) as { port: number }).port;
  const c = await ring.socket(AF_INET, SOCK_STREAM);
  const [accepted] = await Promise.all([ring.accept(l), ring.connect(c, { address: "127.0.0.1", port })]);
  return [c, accepted.fd, l];
}

/** Counts the promises that have settled: one close() left pending shows here. */
function tally(promises: Promise<unknown>[]): { settled: () => number; outcomes: Promise<PromiseSettledResult<unknown>[]> } {
  let n = 0;
  for (const p of promises) p.then(() => n++, () => n++);
  return { settled: () => n, outcomes: Promise.allSettled(promises) };
}

function expectCancelled(r: PromiseSettledResult<unknown>, op: string): void {
  expect(r.status).toBe("rejected");
  const e = (r as PromiseRejectedResult).reason as UringError;
  expect(e).toBeInstanceOf(UringErrorClass);
  expect(e.code).toBe("ECANCELED");
  expect(e.op).toBe(op);
}

const modes = [{ mode: "no-mmap" as const }, { mode: "mmap" as const }];

const loadConfigs = [
  { name: "no-mmap", options: { mode: "no-mmap" as const } },
  { name: "mmap", options: { mode: "mmap" as const } },
  { name: "no-mmap, SQPOLL", options: { mode: "no-mmap" as const, sqpoll: { idleMs: 20 } } },
];

describe.each(loadConfigs)("close() under load ($name)", ({ name, options }) => {
  it("4096 operations across pipes, sockets, timeouts and file reads: each settles once, cancelled or genuinely done", async () => {
    const ring = RingClass.open({ ...options, entries: 256 }); // 512 CQEs: at most 512 in the kernel, the rest queued in JS
    const fifo = makeFifo(tmp.dir, `fifo-${name.replace(/\W+/g, "-")}`);
    const pipeFd = openSync(fifo, "r+");
    // Sockets come from (and are closed by) a second ring: Deno's closeSync knows only its own fds.
    const util = RingClass.open();
    const [client, server, listener] = await socketPair(util);
    const fileFd = openSync(filePath, "r");
    // A multishot request first, so it is in the kernel: its loop must end with the same error.
    const polling = (async () => {
      for await (const _ of ring.pollMultishot(pipeFd, 1 /* POLLIN */));
    })();
    const PER_KIND = 1024;
    const reads: Promise<unknown>[] = [];
    const kinds: string[] = [];
    const fileReads: { p: Promise<unknown>; buf: Uint8Array; at: number }[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      reads.push(ring.read(pipeFd, new Uint8Array(16)));
      kinds.push("pipe");
      reads.push(ring.recv(i % 2 ? client : server, new Uint8Array(32)));
      kinds.push("recv");
      reads.push(ring.timeout(60_000));
      kinds.push("timeout");
      const at = (i * 997) % (FILE_BYTES - 256);
      const buf = new Uint8Array(100 + (i % 150));
      const p = ring.read(fileFd, buf, at);
      reads.push(p);
      kinds.push("file");
      fileReads.push({ p, buf, at });
    }
    // Let the first flush and its completions go through: the kernel now
    // holds reads that will never complete, and thousands wait in JS.
    await new Promise((r) => setTimeout(r, 50));
    const { settled, outcomes } = tally(reads);
    expect(ring.pending).toBeGreaterThan(512);
    ring.close();
    expect(ring.closed).toBe(true);
    expect(ring.pending).toBe(0);
    const results = await outcomes;
    expect(settled()).toBe(reads.length);
    expectCancelled((await Promise.allSettled([polling]))[0], "pollMultishot");
    let done = 0;
    for (let i = 0; i < results.length; i++) {
      const kind = kinds[i];
      if (kind === "file") continue;
      expectCancelled(results[i], kind === "pipe" ? "read" : kind);
    }
    for (const { p, buf, at } of fileReads) {
      const r = results[reads.indexOf(p)];
      if (r.status === "fulfilled") {
        done++;
        expect(r.value).toBe(buf.length);
        expect(buf).toEqual(fileData.subarray(at, at + buf.length));
      } else {
        expectCancelled(r, "read");
      }
    }
    // Some file reads really completed before close (the first flush's), some were still queued.
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(PER_KIND);
    for (const fd of [pipeFd, fileFd]) closeSync(fd);
    for (const fd of [client, server, listener]) await util.closeFd(fd);
    util.close();
  });

  it("close() twice is a no-op, and the ring's own close reports nothing twice", async () => {
    const ring = RingClass.open(options);
    const fifo = makeFifo(tmp.dir, `fifo2-${name.replace(/\W+/g, "-")}`);
    const fd = openSync(fifo, "r+");
    const p = ring.read(fd, new Uint8Array(8));
    await new Promise((r) => setTimeout(r, 10));
    ring.close();
    expect(() => ring.close()).not.toThrow();
    ring[Symbol.dispose]();
    expectCancelled((await Promise.allSettled([p]))[0], "read");
    closeSync(fd);
  });
});

describe("use after close", () => {
  it("every kind of method throws a UringError (ERING_CLOSED) naming itself", async () => {
    const ring = RingClass.open();
    const other = RingClass.open();
    const pool = BufferPool.create({ count: 1, size: 4096 });
    const buf = new Uint8Array(8);
    ring.close();
    const calls: [string, () => unknown][] = [
      ["nop", () => ring.nop()],
      ["read", () => ring.read(0, buf)],
      ["write", () => ring.write(1, buf)],
      ["readv", () => ring.readv(0, [buf])],
      ["readFixed", () => ring.readFixed(0, pool, 0)],
      ["timeout", () => ring.timeout(1)],
      ["openat", () => ring.openat("/dev/null")],
      ["statx", () => ring.statx("/dev/null")],
      ["socket", () => ring.socket(AF_INET, SOCK_STREAM)],
      ["recv", () => ring.recv(0, buf)],
      ["cancel", () => ring.cancel("all")],
      ["link", () => ring.link([])],
      ["msgRing", () => ring.msgRing(other, 1)],
      ["receiveMessage", () => ring.receiveMessage()],
      ["pollMultishot", () => ring.pollMultishot(0, 1)],
      ["registerBuffers", () => ring.registerBuffers(pool)],
      ["registerFiles", () => ring.registerFiles([0])],
      ["probe", () => ring.probe()],
      ["prepNop", () => ring.prepNop()],
      ["prepRead", () => ring.prepRead(0, buf, 8, 0)],
      ["submit", () => ring.submit()],
      ["submitAndWait", () => ring.submitAndWait(1)],
      ["reap", () => ring.reap(() => {})],
      ["sqSpaceLeft", () => ring.sqSpaceLeft()],
      ["fd", () => ring.fd],
    ];
    for (const [name, call] of calls) {
      let thrown: unknown;
      try {
        const r = call();
        // A promise method must not hand back a promise at all once closed.
        thrown = r instanceof Promise ? new Error(`${name} returned a promise`) : undefined;
      } catch (e) {
        thrown = e;
      }
      expect(thrown, name).toBeInstanceOf(UringErrorClass);
      expect((thrown as UringError).code, name).toBe("ERING_CLOSED");
      expect((thrown as UringError).message, name).toContain(`${name}(): the ring is closed`);
    }
    other.close();
    pool.close();
    expect(() => pool.view(0)).toThrow(/BufferPool\.view\(\): the pool is closed/);
    expect(() => pool.slotAddress(0)).toThrow(UringErrorClass);
    pool.close(); // again: a no-op
  });
});

describe.each(modes)("BufferPool.close() under load ($mode)", ({ mode }) => {
  it("cancels 4096 fixed reads on a pipe and a file, in the kernel and queued, then unmaps", async () => {
    const ring = RingClass.open({ mode, entries: 256 });
    const pool = BufferPool.create({ count: 64, size: 4096 });
    ring.registerBuffers(pool);
    const fifo = makeFifo(tmp.dir, `pool-fifo-${mode}`);
    const pipeFd = openSync(fifo, "r+");
    const fileFd = openSync(filePath, "r");
    const pipeReads: Promise<number>[] = [];
    const fileReads: { p: Promise<number>; at: number }[] = [];
    for (let i = 0; i < 2048; i++) {
      pipeReads.push(ring.readFixed(pipeFd, pool, i % 32, -1, { length: 64 }));
      // Slot 32 + (i % 32) holds whatever read landed last: each result is checked by length only.
      const at = (i * 4099) % (FILE_BYTES - 4096);
      fileReads.push({ p: ring.readFixed(fileFd, pool, 32 + (i % 32), at, { length: 512 }), at });
    }
    const all = [...pipeReads, ...fileReads.map((f) => f.p)];
    await new Promise((r) => setTimeout(r, 50));
    const { settled, outcomes } = tally(all);
    expect(ring.pending).toBeGreaterThan(512);
    pool.close(); // returns once the kernel no longer uses the memory
    expect(pool.closed).toBe(true);
    const results = await outcomes;
    expect(settled()).toBe(all.length);
    for (let i = 0; i < pipeReads.length; i++) expectCancelled(results[i], "readFixed");
    for (let i = pipeReads.length; i < results.length; i++) {
      const r = results[i];
      if (r.status === "fulfilled") expect(r.value).toBe(512);
      else expectCancelled(r, "readFixed");
    }
    // The ring outlives the pool and works on.
    expect(ring.pending).toBe(0);
    await ring.nop();
    const b = new Uint8Array(new ArrayBuffer(16));
    expect(await ring.read(fileFd, b, 100)).toBe(16);
    expect(b).toEqual(fileData.subarray(100, 116));
    ring.close();
    closeSync(pipeFd);
    closeSync(fileFd);
  });
});

/** What fd refers to now ("socket:[1234]"), or undefined when it is closed. */
function fdTarget(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

describe("servers and connections when their ring closes first", () => {
  it("the listening socket and both ends of a connection are closed, not leaked", async () => {
    const ring = RingClass.open();
    let serverSide: { fd: number } | undefined;
    const handled = Promise.withResolvers<void>();
    const server = await serve(ring, { port: 0 }, async (conn) => {
      serverSide = conn;
      handled.resolve();
      for await (const _ of conn); // until the ring closes under it
    });
    const client = await connect(ring, { port: server.port });
    await handled.promise;
    const sockets = [server.fd, client.fd, serverSide!.fd];
    const before = sockets.map(fdTarget);
    for (const t of before) expect(t).toMatch(/^socket:\[\d+\]$/);
    ring.close();
    await client.close(); // after the ring: closes its socket directly
    await server.close(); // likewise the listener and the accepted connection
    expect(sockets.map(fdTarget).filter((t, i) => t === before[i])).toEqual([]);
    expect(server.connections).toBe(0);
  });

  it("a server whose ring closes closes itself and its connections without server.close()", async () => {
    const ring = RingClass.open();
    const accepted = Promise.withResolvers<number>();
    const server = await serve(ring, { port: 0 }, async (conn) => {
      accepted.resolve(conn.fd);
      for await (const _ of conn);
    });
    const client = await connect(ring, { port: server.port });
    const serverSide = await accepted.promise;
    const sockets = [server.fd, serverSide];
    const before = sockets.map(fdTarget);
    ring.close();
    for (let i = 0; i < 100 && sockets.some((fd, k) => fdTarget(fd) === before[k]); i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets.map(fdTarget).filter((t, i) => t === before[i])).toEqual([]);
    await client.close();
  });
});

describe.each(modes)("close() inside a batch reap callback ($mode)", ({ mode }) => {
  it("stops the pass: no completion is delivered twice or from a closed ring, and promise ops still settle once", async () => {
    const ring = RingClass.open({ mode, entries: 16 });
    const fifo = makeFifo(tmp.dir, `reap-close-${mode}`);
    const fd = openSync(fifo, "r+");
    const buf = new Uint8Array(new ArrayBuffer(64));
    for (let i = 0; i < 4; i++) expect(ring.prepRead(fd, buf.subarray(i * 16, i * 16 + 16), 16, -1, 100 + i)).toBe(true);
    for (let i = 0; i < 8; i++) expect(ring.prepNop(i)).toBe(true);
    expect(ring.submit()).toBe(12);
    const nop = ring.nop();
    const seen: number[] = [];
    // close() cancels the pipe reads and reaps their CQEs while this pass still has NOPs to hand out.
    const n = ring.reap((ud) => {
      seen.push(ud);
      if (seen.length === 2) ring.close();
    });
    expect(ring.closed).toBe(true);
    expect(seen).toEqual([0, 1]);
    expect(n).toBe(2);
    expect(() => ring.reap(() => {})).toThrow(/reap\(\): the ring is closed/);
    const [r] = await Promise.allSettled([nop]);
    if (r.status === "rejected") expectCancelled(r, "nop");
    closeSync(fd);
  });
});

describe.each(modes)("close() with the batch API under load ($mode)", ({ mode }) => {
  it("4096 batch reads on a pipe, 8x the CQ: cancelled, their CQEs (through the overflow list) waited for, the ring fd closed", () => {
    const ring = RingClass.open({ mode, entries: 256 });
    const fifo = makeFifo(tmp.dir, `batch-load-${mode}`);
    const fd = openSync(fifo, "r+");
    const buf = new Uint8Array(new ArrayBuffer(4096 * 8));
    for (let i = 0; i < 4096;) {
      while (i < 4096 && ring.prepRead(fd, buf.subarray(i * 8, i * 8 + 8), 8, -1, i)) i++;
      ring.submit();
    }
    const ringFd = ring.fd;
    const target = fdTarget(ringFd);
    expect(target).toBe("anon_inode:[io_uring]");
    ring.close(); // returns once all 4096 cancelled reads have completed
    expect(ring.closed).toBe(true);
    // Not abandoned (which keeps the fd): the kernel gave every CQE back in time.
    expect(fdTarget(ringFd)).not.toBe(target);
    closeSync(fd);
  });
});

describe("BufferPool.close() with operations not yet submitted", () => {
  it("fixed reads queued in the same turn reject ECANCELED instead of reaching the kernel", async () => {
    const ring = RingClass.open();
    const pool = BufferPool.create({ count: 2, size: 4096 });
    ring.registerBuffers(pool);
    const fd = openSync(filePath, "r");
    const reads = [ring.readFixed(fd, pool, 0, 0), ring.readFixed(fd, pool, 1, 4096)];
    pool.close(); // before this turn's flush
    for (const r of await Promise.allSettled(reads)) expectCancelled(r, "readFixed");
    await ring.nop();
    ring.close();
    closeSync(fd);
  });
});
