// The promise and batch APIs against the real kernel, once per ring
// configuration. Every op round-trips real data.
import { openSync, closeSync, readFileSync, readlinkSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, makeFifo, random, rejection, ringConfigs, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, UringError: UringErrorClass, O_RDWR, O_CREAT, O_TRUNC, O_RDONLY, IORING_SETUP_SQPOLL, IORING_SETUP_NO_MMAP } = uring;

describe.each(ringConfigs)("Ring ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;

  beforeAll(() => {
    tmp = tempDir();
    ring = RingClass.open(options);
  });
  afterAll(() => {
    ring.close();
    tmp.cleanup();
  });

  it("reports the mode it got and the kernel's features", () => {
    expect(ring.mode).toBe(options.mode);
    expect(ring.features).toBeGreaterThan(0);
    expect(ring.featureNames).toContain("NODROP");
    expect(ring.entries).toBe("entries" in options ? options.entries : 256);
    expect(ring.cqEntries).toBe(ring.entries * 2);
    expect((ring.setupFlags & IORING_SETUP_SQPOLL) !== 0).toBe("sqpoll" in options);
    expect((ring.setupFlags & IORING_SETUP_NO_MMAP) !== 0).toBe(options.mode === "no-mmap");
  });

  it("nop resolves", async () => {
    await expect(ring.nop()).resolves.toBeUndefined();
  });

  it("queues every op of one event-loop turn and submits them together", async () => {
    const before = ring.sqSpaceLeft();
    const ops = [ring.nop(), ring.nop(), ring.nop()];
    // Queued, not yet in SQEs: the flush at the end of the turn preps and enters them together.
    expect(ring.pending).toBe(3);
    expect(ring.sqSpaceLeft()).toBe(before);
    await Promise.all(ops);
    expect(ring.pending).toBe(0);
    expect(ring.sqSpaceLeft()).toBe(ring.entries);
  });

  it("openat, write, fsync, read back, statx, closeFd", async () => {
    const path = join(tmp.dir, "roundtrip.bin");
    const data = random(256 * 1024 + 123, 7);
    const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC, 0o600);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(await ring.write(fd, data, 0)).toBe(data.length);
    await ring.fsync(fd);
    await ring.fsync(fd, { datasync: true });
    expect(readFileSync(path)).toEqual(Buffer.from(data));
    const back = new Uint8Array(data.length);
    expect(await ring.read(fd, back, 0)).toBe(data.length);
    expect(back).toEqual(data);
    // A read at an offset into a view with a byteOffset.
    const window = new Uint8Array(new ArrayBuffer(4096 + 100), 100, 4096);
    expect(await ring.read(fd, window, 8192)).toBe(4096);
    expect(window).toEqual(data.subarray(8192, 8192 + 4096));
    const st = await ring.statx(path);
    const ref = statSync(path);
    expect(st.size).toBe(data.length);
    expect(st.isFile()).toBe(true);
    expect(st.isDirectory()).toBe(false);
    expect(st.mode).toBe(ref.mode);
    expect(st.ino).toBe(ref.ino);
    expect(st.nlink).toBe(ref.nlink);
    expect(st.dev).toBe(ref.dev);
    expect(Math.abs(st.mtimeMs - ref.mtimeMs)).toBeLessThan(1);
    await ring.closeFd(fd);
    // The fd is really closed: the kernel says EBADF. (Unless a test running
    // in parallel in this process got the number meanwhile: then it names
    // another file.)
    const after = await ring.read(fd, back, 0).then(() => undefined, (e: UringError) => e);
    if (after === undefined) {
      let target = "";
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch { /* closed again by its new owner */ }
      expect(target).not.toBe(path);
    } else {
      expect(after.code).toBe("EBADF");
      expect(after.op).toBe("read");
    }
  });

  it("readv and writev scatter and gather", async () => {
    const path = join(tmp.dir, "vectored.bin");
    const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC);
    const parts = [random(1000, 1), random(5000, 2), random(3, 3)];
    expect(await ring.writev(fd, parts, 0)).toBe(6003);
    const whole = readFileSync(path);
    expect(whole).toEqual(Buffer.concat(parts.map((p) => Buffer.from(p))));
    const outs = [new Uint8Array(3), new Uint8Array(6000)];
    expect(await ring.readv(fd, outs, 0)).toBe(6003);
    expect(outs[0]).toEqual(new Uint8Array(whole.subarray(0, 3)));
    expect(outs[1].subarray(0, 6000)).toEqual(new Uint8Array(whole.subarray(3, 6003)));
    await ring.closeFd(fd);
  });

  it("statx of a directory and of a missing path", async () => {
    expect((await ring.statx(tmp.dir)).isDirectory()).toBe(true);
    const e = await rejection(ring.statx(join(tmp.dir, "missing")));
    expect(e.code).toBe("ENOENT");
    expect(e.errno).toBe(2);
    expect(e.op).toBe("statx");
    expect(e.message).toContain("missing");
  });

  it("openat errors are typed", async () => {
    const e = await rejection(ring.openat(join(tmp.dir, "nope", "x"), O_RDONLY));
    expect(e.code).toBe("ENOENT");
    const e2 = await rejection(ring.openat(tmp.dir, O_RDWR));
    expect(e2.code).toBe("EISDIR");
  });

  it("timeout resolves after its time, not before", async () => {
    const t0 = performance.now();
    await ring.timeout(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  it("completes 10,000 concurrent reads with the right data", async () => {
    const path = join(tmp.dir, "many.bin");
    const size = 4 * 1024 * 1024;
    const data = random(size, 99);
    writeFileSync(path, data);
    const fd = openSync(path, "r");
    try {
      const count = 10_000;
      const bufs = Array.from({ length: count }, () => new Uint8Array(512));
      const offsets = Array.from({ length: count }, (_, i) => ((i * 7919) % (size / 512)) * 512);
      const results = await Promise.all(bufs.map((b, i) => ring.read(fd, b, offsets[i])));
      for (let i = 0; i < count; i++) {
        expect(results[i]).toBe(512);
        const expected = data.subarray(offsets[i], offsets[i] + 512);
        if (!bufs[i].every((v, j) => v === expected[j])) throw new Error(`read ${i} at ${offsets[i]} has wrong bytes`);
      }
      expect(ring.pending).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it("cancels one operation, and everything on an fd", async () => {
    const fifo = makeFifo(tmp.dir, "cancel-fifo");
    const fd = await ring.openat(fifo, O_RDWR);
    const pending = ring.read(fd, new Uint8Array(16));
    await ring.nop(); // make sure the read reached the kernel
    expect(await ring.cancel(pending)).toBe(1);
    expect((await rejection(pending)).code).toBe("ECANCELED");
    const a = ring.read(fd, new Uint8Array(16));
    const b = ring.read(fd, new Uint8Array(16));
    await ring.nop();
    expect(await ring.cancel({ fd })).toBe(2);
    expect((await rejection(a)).code).toBe("ECANCELED");
    expect((await rejection(b)).code).toBe("ECANCELED");
    await ring.closeFd(fd);
  });

  it("a read on a pipe completes when data arrives", async () => {
    const fifo = makeFifo(tmp.dir, "data-fifo");
    const fd = await ring.openat(fifo, O_RDWR);
    const buf = new Uint8Array(64);
    const pending = ring.read(fd, buf);
    await ring.timeout(20);
    const w = openSync(fifo, "w");
    writeSync(w, "through the pipe");
    closeSync(w);
    const n = await pending;
    expect(new TextDecoder().decode(buf.subarray(0, n))).toBe("through the pipe");
    await ring.closeFd(fd);
  });

  it("batch API: prep, submitAndWait, reap with user data", () => {
    const seen: number[] = [];
    const n = Math.min(ring.entries, 32);
    for (let i = 0; i < n; i++) expect(ring.prepNop(1000 + i)).toBe(true);
    expect(ring.submitAndWait(n)).toBe(n);
    expect(ring.reap((ud, res) => { expect(res).toBe(0); seen.push(ud); })).toBe(n);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => 1000 + i));
  });

  it("batch API: a full SQ returns false and nothing is overwritten", () => {
    let queued = 0;
    while (ring.prepNop(queued)) queued++;
    expect(queued).toBe(ring.entries);
    expect(ring.sqSpaceLeft()).toBe(0);
    ring.submitAndWait(queued);
    const seen = new Set<number>();
    ring.reap((ud) => seen.add(ud));
    expect(seen.size).toBe(queued);
  });

  it("batch API: reads a file into a buffer by address", () => {
    const path = join(tmp.dir, "batch-read.bin");
    const data = random(8192, 5);
    writeFileSync(path, data);
    const fd = openSync(path, "r");
    const buf = new Uint8Array(4096);
    expect(ring.prepRead(fd, ring.addressOf(buf), 4096, 4096, 77)).toBe(true);
    ring.submitAndWait(1);
    let res = -1;
    expect(ring.reap((ud, r) => { expect(ud).toBe(77); res = r; })).toBe(1);
    expect(res).toBe(4096);
    expect(buf).toEqual(data.subarray(4096));
    closeSync(fd);
  });

  it("batch API: prepFsync with IOSQE_IO_DRAIN completes after the writes before it", () => {
    const path = join(tmp.dir, "batch-fsync.bin");
    const fd = openSync(path, "w+");
    const chunks = [random(4096, 11), random(4096, 12), random(4096, 13)];
    chunks.forEach((c, i) => expect(ring.prepWrite(fd, ring.addressOf(c), c.length, i * 4096, i)).toBe(true));
    expect(ring.prepFsync(fd, uring.IORING_FSYNC_DATASYNC, 99, uring.IOSQE_IO_DRAIN)).toBe(true);
    ring.submitAndWait(4);
    const order: [number, number][] = [];
    while (order.length < 4) {
      ring.reap((ud, res) => order.push([ud, res]));
      if (order.length < 4) ring.submitAndWait(1);
    }
    // DRAIN: the fsync starts only once the three writes have completed, so its completion is last.
    expect(order[3]).toEqual([99, 0]);
    expect(order.slice(0, 3).map(([ud]) => ud).sort()).toEqual([0, 1, 2]);
    for (const [, res] of order.slice(0, 3)) expect(res).toBe(4096);
    expect(new Uint8Array(readFileSync(path))).toEqual(new Uint8Array([...chunks[0], ...chunks[1], ...chunks[2]]));
    closeSync(fd);
  });

  it("batch API: prepFsync refuses SQE flags it cannot honour and bad fds", () => {
    expect(() => ring.prepFsync(0, 0, 0, uring.IOSQE_CQE_SKIP_SUCCESS)).toThrow(/prepFsync\(\): sqeFlags 0x40/);
    expect(() => ring.prepFsync(0, 0, 0, uring.IOSQE_FIXED_FILE)).toThrow(RangeError);
    expect(() => ring.prepFsync(-1)).toThrow(/prepFsync\(\).*fd/);
    expect(() => ring.prepFsync(0, -1)).toThrow(/prepFsync\(\).*fsyncFlags/);
    expect(ring.sqSpaceLeft()).toBe(ring.entries); // nothing was queued
  });

  it("batch API: submitAndWait honours its timeout", () => {
    const t0 = performance.now();
    expect(ring.submitAndWait(1, 20)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it("writes from a pipe read are typed: EBADF on a read-only fd", async () => {
    const path = join(tmp.dir, "ro.bin");
    writeFileSync(path, "x");
    const fd = openSync(path, "r");
    const e = await rejection(ring.write(fd, bytesOf("nope"), 0));
    expect(e.code).toBe("EBADF");
    closeSync(fd);
  });
});

describe("Ring lifetime", () => {
  it("close() cancels in-flight ops, rejects them with ECANCELED, and is idempotent", async () => {
    const tmp = tempDir();
    const ring = RingClass.open();
    const fifo = makeFifo(tmp.dir);
    const fd = openSync(fifo, "r+");
    const reads = Array.from({ length: 100 }, () => ring.read(fd, new Uint8Array(8)));
    await ring.nop();
    expect(ring.pending).toBe(100);
    ring.close();
    ring.close();
    const results = await Promise.allSettled(reads);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason.code).toBe("ECANCELED");
    }
    expect(ring.closed).toBe(true);
    closeSync(fd);
    tmp.cleanup();
  });

  it("ops queued but not yet submitted when close() runs are rejected too", async () => {
    const ring = RingClass.open({ entries: 2 });
    const ops = Array.from({ length: 10 }, () => ring.timeout(10_000));
    ring.close();
    for (const r of await Promise.allSettled(ops)) {
      expect((r as PromiseRejectedResult).reason.code).toBe("ECANCELED");
    }
  });

  it("use after close throws a clear UringError", () => {
    const ring = RingClass.open();
    ring.close();
    expect(() => ring.nop()).toThrow(UringErrorClass);
    expect(() => ring.nop()).toThrow(/nop\(\): the ring is closed/);
    try {
      ring.read(0, new Uint8Array(1));
    } catch (e) {
      expect((e as UringError).code).toBe("ERING_CLOSED");
    }
    expect(() => ring.prepNop()).toThrow(UringErrorClass);
    expect(() => ring.submitAndWait(1)).toThrow(UringErrorClass);
  });

  it("Symbol.dispose closes the ring", () => {
    let escaped: Ring;
    {
      using ring = RingClass.open();
      escaped = ring;
    }
    expect(escaped.closed).toBe(true);
  });

  it("many rings open and close in a row", async () => {
    for (let i = 0; i < 50; i++) {
      const ring = RingClass.open({ entries: 8 });
      await ring.nop();
      ring.close();
    }
  });
});

describe("Ring lifetime with the batch API", () => {
  it("close() waits for batch requests the kernel still holds, cancelling them", () => {
    const tmp = tempDir();
    const fifo = makeFifo(tmp.dir);
    const fd = openSync(fifo, "r+");
    const ring = RingClass.open({ entries: 8 });
    const bufs = Array.from({ length: 4 }, () => new Uint8Array(16));
    for (let i = 0; i < 4; i++) expect(ring.prepRead(fd, bufs[i], 16, -1, i)).toBe(true);
    expect(ring.submit()).toBe(4);
    const t0 = performance.now();
    ring.close(); // returns only after the 4 cancelled reads completed
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(ring.closed).toBe(true);
    closeSync(fd);
    tmp.cleanup();
  });
});
