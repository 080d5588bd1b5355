// Registered buffers and files against the real kernel: O_DIRECT reads and
// writes through a registered BufferPool verified by content, sparse tables
// and updates, bounds refused before submission, and releasing a pool while
// the kernel still uses it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random, rejection, ringConfigs, runUnderMemlockLimit, skip, tempDir, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, BufferPool, O_RDONLY, O_RDWR, O_CREAT, O_DIRECT, FixedFile } = uring;

const BLOCK = 4096;

describe.each(ringConfigs.slice(0, 2))("registered buffers and files ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;
  let path: string;
  const data = random(64 * BLOCK, 11);

  beforeAll(() => {
    tmp = tempDir();
    path = join(tmp.dir, "data.bin");
    writeFileSync(path, data);
    ring = RingClass.open(options);
  });
  afterAll(() => {
    ring.close();
    tmp.cleanup();
  });

  it("readFixed and writeFixed move the right bytes with O_DIRECT, by pool index and offset", async () => {
    using pool = BufferPool.create({ count: 8, size: 4 * BLOCK });
    ring.registerBuffers(pool);
    try {
      expect(ring.bufferSlotOf(pool)).toBe(0);
      expect(ring.bufferTableSize).toBe(1);
      const fd = await ring.openat(path, O_RDWR | O_DIRECT);
      expect(await ring.readFixed(fd, pool, 3, 8 * BLOCK)).toBe(4 * BLOCK);
      expect(pool.view(3)).toEqual(data.subarray(8 * BLOCK, 12 * BLOCK));
      // A part of a buffer: offset and length inside slot 5.
      expect(await ring.readFixed(fd, pool, 5, 0, { offset: BLOCK, length: 2 * BLOCK })).toBe(2 * BLOCK);
      expect(pool.view(5, BLOCK, 2 * BLOCK)).toEqual(data.subarray(0, 2 * BLOCK));
      pool.view(1).fill(0xab);
      expect(await ring.writeFixed(fd, pool, 1, 16 * BLOCK)).toBe(4 * BLOCK);
      await ring.fsync(fd);
      await ring.closeFd(fd);
      expect(readFileSync(path).subarray(16 * BLOCK, 20 * BLOCK).every((b) => b === 0xab)).toBe(true);
      writeFileSync(path, data);
    } finally {
      ring.unregisterBuffers();
    }
  });

  it("readvFixed and writevFixed scatter and gather across pool buffers", async (ctx) => {
    if (!ring.supports("readvFixed")) skip(ctx, "readvFixed needs Linux 6.15+");
    using pool = BufferPool.create({ count: 4, size: 2 * BLOCK });
    ring.registerBuffers(pool);
    try {
      const fd = await ring.openat(path, O_RDONLY | O_DIRECT);
      const n = await ring.readvFixed(fd, pool, [{ index: 2 }, { index: 0, offset: BLOCK, length: BLOCK }], 4 * BLOCK);
      expect(n).toBe(3 * BLOCK);
      expect(pool.view(2)).toEqual(data.subarray(4 * BLOCK, 6 * BLOCK));
      expect(pool.view(0, BLOCK)).toEqual(data.subarray(6 * BLOCK, 7 * BLOCK));
      await ring.closeFd(fd);
      const out = join(tmp.dir, "gathered.bin");
      const wfd = await ring.openat(out, O_RDWR | O_CREAT | O_DIRECT, 0o600);
      expect(await ring.writevFixed(wfd, pool, [{ index: 0, offset: BLOCK, length: BLOCK }, { index: 2 }], 0)).toBe(3 * BLOCK);
      await ring.closeFd(wfd);
      const written = readFileSync(out);
      expect(written.subarray(0, BLOCK)).toEqual(Buffer.from(data.subarray(6 * BLOCK, 7 * BLOCK)));
      expect(written.subarray(BLOCK)).toEqual(Buffer.from(data.subarray(4 * BLOCK, 6 * BLOCK)));
    } finally {
      ring.unregisterBuffers();
    }
  });

  it("registered caller buffers, a sparse table, and updates", async () => {
    ring.registerBuffers({ sparse: 4 });
    try {
      expect(ring.bufferTableSize).toBe(4);
      using pool = BufferPool.create({ count: 2, size: BLOCK });
      const own = new Uint8Array(new ArrayBuffer(BLOCK));
      ring.updateBuffers(2, pool);
      ring.updateBuffers(3, [own]);
      expect(ring.bufferSlotOf(pool)).toBe(2);
      expect(ring.bufferSlotOf(own)).toBe(3);
      const fd = await ring.openat(path);
      expect(await ring.readFixed(fd, pool, 1, BLOCK)).toBe(BLOCK);
      expect(pool.view(1)).toEqual(data.subarray(BLOCK, 2 * BLOCK));
      expect(await ring.readFixed(fd, own, 2 * BLOCK)).toBe(BLOCK);
      expect(own).toEqual(data.subarray(2 * BLOCK, 3 * BLOCK));
      // Emptying the slot: the pool is no longer addressable through this ring.
      ring.updateBuffers(2, { sparse: 1 });
      expect(ring.bufferSlotOf(pool)).toBe(-1);
      expect(() => ring.readFixed(fd, pool, 0)).toThrow(/not registered on this ring/);
      await ring.closeFd(fd);
    } finally {
      ring.unregisterBuffers();
    }
    expect(ring.bufferTableSize).toBe(0);
  });

  it("refuses out-of-range slots, offsets and lengths before submission", async () => {
    using pool = BufferPool.create({ count: 2, size: BLOCK });
    const stranger = BufferPool.create({ count: 1, size: BLOCK });
    ring.registerBuffers(pool);
    try {
      const before = ring.pending;
      expect(() => ring.readFixed(0, pool, 2)).toThrow(/readFixed\(\): index must be in \[0, 1\]/);
      expect(() => ring.readFixed(0, pool, -1)).toThrow(RangeError);
      expect(() => ring.readFixed(0, pool, 0, 0, { offset: BLOCK })).toThrow(/options.offset must be in \[0, 4095\]/);
      expect(() => ring.readFixed(0, pool, 0, 0, { offset: 1, length: BLOCK })).toThrow(/options.length must be in \[1, 4095\]/);
      expect(() => ring.writeFixed(0, pool, 0, -2)).toThrow(/position/);
      expect(() => ring.readFixed(0, stranger, 0)).toThrow(/not registered on this ring/);
      expect(() => ring.readFixed(0, new Uint8Array(8))).toThrow(/not registered on this ring/);
      expect(() => ring.readvFixed(0, pool, [])).toThrow(RangeError);
      expect(() => ring.readvFixed(0, pool, [{ index: 9 }])).toThrow(/parts\[0\]\.index/);
      expect(() => ring.registerBuffers(pool)).toThrow(/already has a buffer table/);
      expect(() => ring.updateBuffers(1, pool)).toThrow(/offset must be in \[0, 0\]/);
      expect(ring.pending).toBe(before);
    } finally {
      ring.unregisterBuffers();
      stranger.close();
    }
  });

  it("unaligned O_DIRECT through a fixed buffer is the kernel's EINVAL, typed", async () => {
    using pool = BufferPool.create({ count: 1, size: 2 * BLOCK });
    ring.registerBuffers(pool);
    try {
      const fd = await ring.openat(path, O_RDONLY | O_DIRECT);
      const error = await rejection(ring.readFixed(fd, pool, 0, 0, { offset: 1, length: BLOCK }));
      expect(error.code).toBe("EINVAL");
      expect(error.op).toBe("readFixed");
      await ring.closeFd(fd);
    } finally {
      ring.unregisterBuffers();
    }
  });

  it("pool.close() with a read in flight cancels it and waits for the kernel before unmapping", async () => {
    const pool = BufferPool.create({ count: 1, size: BLOCK });
    ring.registerBuffers(pool);
    const [readFd, writeFd] = await ring.pipe();
    const view = pool.view(0);
    const pending = ring.readFixed(readFd, pool, 0); // an empty pipe: waits
    await ring.nop();
    expect(ring.pending).toBe(1);
    pool.close(); // blocks until the kernel's buffer tag says it is done
    expect(ring.pending).toBe(0);
    expect(view.length).toBe(0); // views are detached, never left over unmapped memory
    expect((await rejection(pending)).code).toBe("ECANCELED");
    expect(ring.bufferSlotOf(pool)).toBe(-1);
    ring.unregisterBuffers();
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("unregistering with a read in flight lets that read finish into its buffer", async () => {
    using pool = BufferPool.create({ count: 1, size: BLOCK });
    ring.registerBuffers(pool);
    const [readFd, writeFd] = await ring.pipe();
    const pending = ring.readFixed(readFd, pool, 0);
    await ring.nop();
    ring.unregisterBuffers();
    await ring.write(writeFd, new TextEncoder().encode("still here"));
    expect(await pending).toBe(10);
    expect(new TextDecoder().decode(pool.view(0, 0, 10))).toBe("still here");
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("fixed files: registered fds work as FixedFiles in every kind of op", async () => {
    const fd = await ring.openat(path, O_RDWR);
    const [file] = ring.registerFiles([fd]);
    try {
      await ring.closeFd(fd); // the table holds its own reference
      expect(file).toBeInstanceOf(FixedFile);
      const buf = new Uint8Array(new ArrayBuffer(100));
      expect(await ring.read(file, buf, 5 * BLOCK)).toBe(100);
      expect(buf).toEqual(data.subarray(5 * BLOCK, 5 * BLOCK + 100));
      await ring.fsync(file);
      using pool = BufferPool.create({ count: 1, size: BLOCK });
      ring.registerBuffers(pool);
      expect(await ring.readFixed(file, pool, 0, 7 * BLOCK)).toBe(BLOCK);
      expect(pool.view(0)).toEqual(data.subarray(7 * BLOCK, 8 * BLOCK));
      ring.unregisterBuffers();
      const st = await ring.statx(path);
      expect(st.size).toBe(data.length);
    } finally {
      ring.unregisterFiles();
    }
    expect(ring.fileTableSize).toBe(0);
  });

  it("openatDirect into a sparse table, splice between fixed files, closeFd of a slot", async () => {
    const files = ring.registerFiles({ sparse: 8 });
    try {
      expect(files.length).toBe(8);
      ring.fileAllocRange(4, 4);
      const chosen = await ring.openatDirect(path, O_RDONLY, 0, undefined, 1);
      expect(chosen.index).toBe(1);
      const allocated = await ring.openatDirect(path, O_RDONLY);
      expect(allocated.index).toBeGreaterThanOrEqual(4);
      const [pr, pw] = await ring.pipe();
      const [pipeIn] = ring.updateFiles(2, [pw]);
      expect(await ring.splice(allocated, 3 * BLOCK, pipeIn, -1, 64)).toBe(64);
      const got = new Uint8Array(new ArrayBuffer(64));
      expect(await ring.read(pr, got)).toBe(64);
      expect(got).toEqual(data.subarray(3 * BLOCK, 3 * BLOCK + 64));
      await ring.closeFd(chosen);
      expect((await rejection(ring.read(chosen, got, 0))).code).toBe("EBADF");
      await Promise.all([ring.closeFd(allocated), ring.closeFd(pr), ring.closeFd(pw)]);
    } finally {
      ring.unregisterFiles();
    }
  });

  it("cancel({ fd: FixedFile }) cancels the requests on that slot", async () => {
    const [pr, pw] = await ring.pipe();
    const [file] = ring.registerFiles([pr]);
    try {
      const reads = [ring.read(file, new Uint8Array(new ArrayBuffer(8))), ring.read(file, new Uint8Array(new ArrayBuffer(8)))];
      await ring.nop();
      await expect(ring.cancel({ fd: file })).resolves.toBe(2);
      for (const r of reads) expect((await rejection(r)).code).toBe("ECANCELED");
    } finally {
      ring.unregisterFiles();
      await Promise.all([ring.closeFd(pr), ring.closeFd(pw)]);
    }
  });

  it("refuses FixedFiles of another ring or beyond the table", async () => {
    const other = RingClass.open({ entries: 4 });
    try {
      const [foreign] = other.registerFiles({ sparse: 1 });
      const [own] = ring.registerFiles({ sparse: 2 });
      expect(() => ring.read(foreign, new Uint8Array(8))).toThrow(/FixedFile of another ring/);
      ring.unregisterFiles();
      expect(() => ring.read(own, new Uint8Array(8))).toThrow(/not in this ring's file table/);
      expect(() => ring.fixedFile(0)).toThrow(/no file table/);
      expect(() => ring.updateFiles(0, [0])).toThrow(/no file table/);
    } finally {
      other.close();
    }
  });

  it("batch API: prepRead on a FixedFile", async () => {
    const fd = await ring.openat(path, O_RDONLY);
    const [file] = ring.registerFiles([fd]);
    try {
      const buf = new Uint8Array(new ArrayBuffer(BLOCK));
      expect(ring.prepRead(file, buf, BLOCK, 3 * BLOCK, 7)).toBe(true);
      ring.submitAndWait(1);
      const got: number[] = [];
      ring.reap((ud, res) => got.push(ud, res));
      expect(got).toEqual([7, BLOCK]);
      expect(buf).toEqual(data.subarray(3 * BLOCK, 4 * BLOCK));
      expect(() => ring.prepRead({ index: 0 } as unknown as number, buf, 1, 0)).toThrow(/FixedFile of this ring/);
    } finally {
      ring.unregisterFiles();
      await ring.closeFd(fd);
    }
  });

  it("batch API: prepReadFixed with a FixedFile", async () => {
    using pool = BufferPool.create({ count: 4, size: BLOCK });
    ring.registerBuffers(pool);
    const fd = await ring.openat(path, O_RDONLY | O_DIRECT);
    const [file] = ring.registerFiles([fd]);
    try {
      for (let i = 0; i < 4; i++) expect(ring.prepReadFixed(file, pool.slotAddress(i), BLOCK, i * 2 * BLOCK, 0, 100 + i)).toBe(true);
      ring.submitAndWait(4);
      const seen: number[] = [];
      while (seen.length < 4) {
        ring.reap((ud, res) => {
          expect(res).toBe(BLOCK);
          seen.push(ud);
        });
        if (seen.length < 4) ring.submitAndWait(1);
      }
      expect(seen.sort()).toEqual([100, 101, 102, 103]);
      for (let i = 0; i < 4; i++) expect(pool.view(i)).toEqual(data.subarray(i * 2 * BLOCK, (i * 2 + 1) * BLOCK));
    } finally {
      ring.unregisterFiles();
      ring.unregisterBuffers();
      await ring.closeFd(fd);
    }
  });
});

describe("registration limits", () => {
  it("pinning beyond RLIMIT_MEMLOCK is ENOMEM naming the bytes and the limit", (ctx) => {
    const result = runUnderMemlockLimit(ctx, 256, [
      "const ring = u.Ring.open({ entries: 4 });",
      "const pool = u.BufferPool.create({ count: 16, size: 65536 });",
      "try { ring.registerBuffers(pool); console.log(JSON.stringify({ ok: true })); }",
      "catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }",
    ]);
    expect(result.code).toBe("ENOMEM");
    expect(result.message).toMatch(/^registerBuffers: ENOMEM: .*pinning 1048576 bytes; RLIMIT_MEMLOCK is 262144 bytes \(soft\)/);
  });
});
