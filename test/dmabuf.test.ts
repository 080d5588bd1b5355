// The DMA pre-map step (ring.mapBuffers) and dma-buf pools
// (BufferPool.fromDmabuf) on a kernel without dma-buf registration and
// without a dma-buf exporter (this VM): the detection, the report, the
// fallbacks, and identical data whichever path a file got. What cannot run
// here: a "premapped" file (no kernel has the interface yet) and a real
// dma-buf (no exporter: no udmabuf, no GPU); a regular file stands in for a
// dma-buf's mmap.
import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapDmabuf } from "../core/dmabuf.ts";
import { getNative } from "../core/native.ts";
import { random, tempDir, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, BufferPool, UringError, O_RDONLY, O_DIRECT, isDmabuf } = uring;
const BLOCK = 4096;

describe("mapBuffers and dma-buf pools", () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let ring: Ring;
  const data = random(16 * BLOCK, 3);

  beforeAll(() => {
    tmp = tempDir();
    path = join(tmp.dir, "data.bin");
    writeFileSync(path, data);
    ring = RingClass.open({ entries: 8 });
  });
  afterAll(() => {
    ring.close();
    tmp.cleanup();
  });

  it("reports every file 'fixed' with the kernel's reason, and the same submission code reads the same data", async () => {
    using pool = BufferPool.create({ count: 4, size: 2 * BLOCK });
    const fd = await ring.openat(path, O_RDONLY | O_DIRECT);
    const [file] = ring.registerFiles([fd]);
    try {
      const report = ring.mapBuffers(pool, { files: [fd, file] });
      expect(report.map((r) => r.mode)).toEqual(["fixed", "fixed"]);
      expect(report[0].file).toBe(fd);
      expect(report[1].file).toBe(file);
      for (const r of report) expect(r.reason).toMatch(/IORING_RSRC_UPDATE_EXTENDED with EINVAL: this kernel \(.*\) has no dma-buf buffer registration/);
      expect(ring.bufferSlotOf(pool)).toBe(0); // registered as the fallback
      // Through both files, and against a plain read of the same range.
      expect(await ring.readFixed(fd, pool, 0, 2 * BLOCK)).toBe(2 * BLOCK);
      expect(await ring.readFixed(file, pool, 1, 2 * BLOCK)).toBe(2 * BLOCK);
      const plain = new Uint8Array(new ArrayBuffer(2 * BLOCK));
      using direct = BufferPool.create({ count: 1, size: 2 * BLOCK });
      expect(await ring.read(fd, direct.view(0), 2 * BLOCK)).toBe(2 * BLOCK);
      plain.set(direct.view(0));
      expect(pool.view(0)).toEqual(plain);
      expect(pool.view(1)).toEqual(plain);
      expect(plain).toEqual(data.subarray(2 * BLOCK, 4 * BLOCK));
    } finally {
      ring.unregisterFiles();
      ring.unregisterBuffers();
      await ring.closeFd(fd);
    }
  });

  it("uses a free slot of an existing table, and says when there is none", () => {
    using a = BufferPool.create({ count: 1, size: BLOCK });
    using b = BufferPool.create({ count: 1, size: BLOCK });
    ring.registerBuffers({ sparse: 1 });
    try {
      expect(ring.mapBuffers(a, { files: [0] })[0].mode).toBe("fixed");
      expect(ring.bufferSlotOf(a)).toBe(0);
      expect(() => ring.mapBuffers(b, { files: [0] })).toThrow(/no free slot/);
      expect(() => ring.mapBuffers(a, { files: [] })).toThrow(TypeError);
      expect(() => ring.mapBuffers(a, { files: [-1] })).toThrow(/options.files\[0\]/);
    } finally {
      ring.unregisterBuffers();
    }
  });

  it("fromDmabuf refuses an fd that is not a dma-buf", async () => {
    const fd = openSync(path, "r");
    try {
      expect(isDmabuf(fd)).toBe(false);
      expect(() => BufferPool.fromDmabuf(fd, BLOCK)).toThrow(/fd \d+ is not a dma-buf/);
      expect(() => BufferPool.fromDmabuf(-1, BLOCK)).toThrow(RangeError);
    } finally {
      closeSync(fd);
    }
  });

  it("fallback: the dma-buf's mmap becomes an ordinary fixed buffer (a file stands in for the dma-buf)", async () => {
    const native = getNative();
    // Shared memory, as udmabuf's dma-bufs are: io_uring pins shmem pages,
    // not a regular file's page cache (EFAULT; see the next test).
    const shm = `/dev/shm/uringshim-dmabuf-${process.pid}`;
    writeFileSync(shm, data);
    const standIn = openSync(shm, "r+");
    const noKernel = { supported: false, reason: "test: no dma-buf registration" };
    const pool = mapDmabuf(native, standIn, 4 * BLOCK, noKernel, "stand-in dma-buf");
    try {
      expect(pool.dmabufFd).toBe(standIn);
      expect(pool.view(0)).toEqual(data.subarray(0, 4 * BLOCK)); // the mapping shows the "dma-buf"'s bytes
      const report = ring.mapBuffers(pool, { files: [0] });
      expect(report[0].mode).toBe("fixed");
      const other = await ring.openat(path, O_RDONLY | O_DIRECT);
      expect(await ring.readFixed(other, pool, 0, 8 * BLOCK, { length: BLOCK })).toBe(BLOCK);
      expect(pool.view(0, 0, BLOCK)).toEqual(data.subarray(8 * BLOCK, 9 * BLOCK));
      await ring.closeFd(other);
    } finally {
      pool.close(); // releases the registration, then unmaps
      ring.unregisterBuffers();
      closeSync(standIn);
      rmSync(shm, { force: true });
    }
  });

  it("a mapping the kernel cannot pin is a clear error naming the dma-buf", () => {
    const native = getNative();
    const standIn = openSync(path, "r+"); // a regular file's page cache: not pinnable for io_uring
    const pool = mapDmabuf(native, standIn, BLOCK, { supported: false, reason: "test" }, "stand-in dma-buf");
    try {
      expect(() => ring.registerBuffers(pool)).toThrow(/registerBuffers: EFAULT: .*dma-buf \d+'s mapping cannot be pinned/);
      expect(ring.bufferTableSize).toBe(0);
    } finally {
      pool.close();
      closeSync(standIn);
    }
  });

  it("no mapping and no kernel support: a clear error; with kernel support: says what is missing", async () => {
    const native = getNative();
    const [r, w] = await ring.pipe(); // a pipe cannot be mmapped
    try {
      const plainKernel = { supported: false, reason: "no dma-buf buffer registration" };
      const e1 = (() => { try { mapDmabuf(native, r, BLOCK, plainKernel); } catch (e) { return e; } })();
      expect(e1).toBeInstanceOf(UringError);
      expect((e1 as Error).message).toMatch(/cannot be CPU-mapped, and the kernel cannot take it directly: no dma-buf buffer registration/);
      const e2 = (() => { try { mapDmabuf(native, r, BLOCK, { supported: true, reason: "" }); } catch (e) { return e; } })();
      expect((e2 as Error).message).toMatch(/only for a target file/);
    } finally {
      await Promise.all([ring.closeFd(r), ring.closeFd(w)]);
    }
  });
});
