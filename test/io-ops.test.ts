// The file-descriptor operations beyond read/write (ring-io.ts): pipe,
// splice, tee, fallocate, ftruncate, fadvise, madvise, syncFileRange and
// pollAdd, against the real kernel once per ring configuration. Every
// result is checked against something the ring did not produce: node:fs on
// the path, /proc/self/fdinfo, the kernel's own errors. (Deno's node:fs
// refuses fds it did not open, so fds the ring opened are only ever read
// through the ring or through their path.)
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { bytesOf, fdFlags, makeFifo, random, rejection, ringConfigs, skip, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const {
  Ring: RingClass, UringError: UringErrorClass, NativeBuffer,
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_NONBLOCK, O_DIRECT, O_CLOEXEC,
  POLLIN, POLLOUT, POLLHUP, SPLICE_F_NONBLOCK, SPLICE_F_MOVE,
  SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE, SYNC_FILE_RANGE_WAIT_AFTER,
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
  POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE,
  MADV_WILLNEED, MADV_DONTNEED,
} = uring;

const O_ACCMODE = 0o3;
// A multiple of every Linux page size (4, 16 and 64 KiB), so madvise ranges
// inside a NativeBuffer stay page-aligned on x86-64 and arm64 alike.
const CHUNK = 64 * 1024;

/** Whether p has settled, without waiting for it. */
function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  return { promise: p, settled: () => done };
}

/** Reads exactly n bytes from a pipe through the ring (a pipe read returns what is there). */
async function readExactly(ring: Ring, fd: number, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = await ring.read(fd, out.subarray(got), -1);
    if (k === 0) break;
    got += k;
  }
  return out.subarray(0, got);
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((v) => v === 0);
}

describe.each(ringConfigs.slice(0, 2))("fd operations ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;
  let fifos = 0;

  beforeAll(() => {
    tmp = tempDir();
    ring = RingClass.open(options);
  });
  afterAll(() => {
    ring.close();
    tmp.cleanup();
  });

  /**
   * [readFd, writeFd] of one pipe: pipe() where the kernel has
   * IORING_OP_PIPE (6.16+), else a FIFO opened twice through the ring.
   */
  async function pipePair(): Promise<[number, number]> {
    if (ring.supports("pipe")) return ring.pipe();
    const fifo = makeFifo(tmp.dir, `fifo-${fifos++}`);
    return [await ring.openat(fifo, O_RDWR), await ring.openat(fifo, O_RDWR)];
  }

  async function closeAll(...fds: number[]): Promise<void> {
    await Promise.all(fds.map((fd) => ring.closeFd(fd)));
  }

  /** A file with content, opened through the ring. */
  async function fileWith(name: string, data: Uint8Array, flags = O_RDWR): Promise<{ path: string; fd: number }> {
    const path = join(tmp.dir, name);
    writeFileSync(path, data);
    return { path, fd: await ring.openat(path, flags) };
  }

  function skipWithout(ctx: TestContext, op: string): boolean {
    if (ring.supports(op)) return false;
    skip(ctx, `${op}() is not available on this ring's kernel (ring.supports("${op}") is false)`);
  }

  describe("pipe", () => {
    it("returns a pipe: bytes written to [1] are read from [0], O_CLOEXEC set on both ends", async (ctx) => {
      if (skipWithout(ctx, "pipe")) return;
      const [r, w] = await ring.pipe();
      expect(Number.isInteger(r) && r >= 0).toBe(true);
      expect(Number.isInteger(w) && w >= 0).toBe(true);
      expect(r).not.toBe(w);
      // The kernel's view: a FIFO, read end O_RDONLY, write end O_WRONLY, both close-on-exec.
      expect(statSync(`/proc/self/fd/${r}`).isFIFO()).toBe(true);
      expect(statSync(`/proc/self/fd/${r}`).ino).toBe(statSync(`/proc/self/fd/${w}`).ino);
      expect(fdFlags(r) & O_ACCMODE).toBe(O_RDONLY);
      expect(fdFlags(w) & O_ACCMODE).toBe(O_WRONLY);
      expect(fdFlags(r) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(fdFlags(w) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(fdFlags(r) & O_NONBLOCK).toBe(0);
      const data = random(3000, 11);
      expect(await ring.write(w, data)).toBe(data.length);
      expect(await readExactly(ring, r, data.length)).toEqual(data);
      // Wrong direction: the kernel refuses a write to the read end.
      expect((await rejection(ring.write(r, data))).code).toBe("EBADF");
      await closeAll(r, w);
    });

    it("O_NONBLOCK: both ends non-blocking; splice and tee from the empty pipe reject EAGAIN", async (ctx) => {
      if (skipWithout(ctx, "pipe")) return;
      const [r, w] = await ring.pipe(O_NONBLOCK);
      expect(fdFlags(r) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(fdFlags(w) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(fdFlags(r) & O_CLOEXEC).toBe(O_CLOEXEC);
      // io_uring polls a pollable file whatever its O_NONBLOCK says, so a
      // plain read would wait; splice(2) and tee(2) honour the file flag
      // (no SPLICE_F_NONBLOCK passed here), as a blocking pipe's do not.
      const outFd = await ring.openat(join(tmp.dir, "nonblock-dst.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0o600);
      const [r2, w2] = await ring.pipe();
      const e = await rejection(ring.splice(r, -1, outFd, 0, 100));
      expect(e.code).toBe("EAGAIN");
      expect((await rejection(ring.tee(r, w2, 100))).code).toBe("EAGAIN");
      expect(await ring.write(w, bytesOf("now"))).toBe(3);
      expect(await readExactly(ring, r, 3)).toEqual(bytesOf("now"));
      await closeAll(r, w, r2, w2, outFd);
    });

    it("O_DIRECT: a packet-mode pipe returns one write per read", async (ctx) => {
      if (skipWithout(ctx, "pipe")) return;
      const [r, w] = await ring.pipe(O_DIRECT | O_CLOEXEC);
      expect(fdFlags(w) & O_DIRECT).toBe(O_DIRECT);
      await ring.write(w, bytesOf("ab"));
      await ring.write(w, bytesOf("cde"));
      const buf = new Uint8Array(64);
      expect(await ring.read(r, buf)).toBe(2);
      expect(await ring.read(r, buf)).toBe(3);
      expect(buf.subarray(0, 3)).toEqual(bytesOf("cde"));
      await closeAll(r, w);
    });

    it("flags outside O_CLOEXEC | O_NONBLOCK | O_DIRECT are a RangeError", () => {
      const before = ring.pending;
      expect(() => ring.pipe(O_RDWR)).toThrow(RangeError);
      expect(() => ring.pipe(O_RDWR)).toThrow(/pipe\(\): flags has unknown bits 0x2/);
      expect(() => ring.pipe(O_CREAT | O_NONBLOCK)).toThrow(/pipe\(\): flags has unknown bits 0x40 /);
      expect(ring.pending).toBe(before);
    });
  });

  describe("splice", () => {
    it("moves a file through a pipe into another file at the offsets given", async () => {
      const src = random(100_000 + 17, 3);
      const { fd: inFd } = await fileWith("splice-src.bin", src, O_RDONLY);
      const dstPath = join(tmp.dir, "splice-dst.bin");
      const outFd = await ring.openat(dstPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600);
      const [r, w] = await pipePair();
      let inOff = 1000;
      let outOff = 500;
      for (;;) {
        // Offsets as bigint on one side, numbers on the other: both accepted.
        const n = await ring.splice(inFd, BigInt(inOff), w, -1, 16384);
        if (n === 0) break;
        expect(n).toBeLessThanOrEqual(16384);
        inOff += n;
        for (let left = n; left > 0;) {
          const m = await ring.splice(r, -1, outFd, outOff, left, SPLICE_F_MOVE);
          expect(m).toBeGreaterThan(0);
          left -= m;
          outOff += m;
        }
      }
      expect(inOff).toBe(src.length);
      const out = readFileSync(dstPath);
      expect(out.length).toBe(500 + src.length - 1000);
      expect(allZero(out.subarray(0, 500))).toBe(true); // never written: a hole reads as zeros
      expect(new Uint8Array(out.subarray(500))).toEqual(src.subarray(1000));
      await closeAll(inFd, outFd, r, w);
    });

    it("offset -1 on a file uses and advances its position; 0 at end of file", async () => {
      const src = random(1000, 4);
      const { fd } = await fileWith("splice-pos.bin", src, O_RDONLY);
      const [r, w] = await pipePair();
      expect(await ring.splice(fd, -1, w, -1, 100)).toBe(100);
      expect(await ring.splice(fd, -1, w, -1, 150)).toBe(150);
      expect(await readExactly(ring, r, 250)).toEqual(src.subarray(0, 250));
      // An explicit offset does not move the position: the next -1 read continues at 250.
      expect(await ring.splice(fd, 900, w, -1, 50)).toBe(50);
      expect(await ring.splice(fd, -1, w, -1, 10)).toBe(10);
      expect(await readExactly(ring, r, 60)).toEqual(new Uint8Array([...src.subarray(900, 950), ...src.subarray(250, 260)]));
      // At and beyond end of file: 0 bytes, no error.
      expect(await ring.splice(fd, src.length, w, -1, 100)).toBe(0);
      expect(await ring.splice(fd, src.length + 4096, w, -1, 100)).toBe(0);
      await closeAll(fd, r, w);
    });

    it("an empty pipe: SPLICE_F_NONBLOCK rejects EAGAIN; without it the splice waits for data", async () => {
      const dstPath = join(tmp.dir, "splice-wait.bin");
      const outFd = await ring.openat(dstPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600);
      const [r, w] = await pipePair();
      const e = await rejection(ring.splice(r, -1, outFd, 0, 100, SPLICE_F_NONBLOCK));
      expect(e.code).toBe("EAGAIN");
      expect(e.op).toBe("splice");
      const waiting = tracked(ring.splice(r, -1, outFd, 0, 100));
      await ring.timeout(30);
      expect(waiting.settled()).toBe(false);
      expect(await ring.write(w, bytesOf("hello"))).toBe(5);
      expect(await waiting.promise).toBe(5);
      expect(readFileSync(dstPath, "utf8")).toBe("hello");
      await closeAll(outFd, r, w);
    });

    it("kernel errors are typed: no pipe on either side is EINVAL, a pipe offset is ESPIPE", async () => {
      const a = await fileWith("splice-a.bin", random(100, 5), O_RDONLY);
      const b = await fileWith("splice-b.bin", new Uint8Array(0), O_WRONLY);
      expect((await rejection(ring.splice(a.fd, 0, b.fd, 0, 10))).code).toBe("EINVAL");
      const [r, w] = await pipePair();
      expect((await rejection(ring.splice(a.fd, 0, w, 0, 10))).code).toBe("ESPIPE");
      await closeAll(a.fd, b.fd, r, w);
    });
  });

  describe("tee", () => {
    it("duplicates a pipe's contents into another pipe without consuming them", async () => {
      const [r1, w1] = await pipePair();
      const [r2, w2] = await pipePair();
      const data = random(20_000, 6);
      expect(await ring.write(w1, data)).toBe(data.length);
      // tee(2) never consumes: each call copies from the start of what r1
      // holds, so after a partial tee that part is read off r1 by hand.
      let copied = 0;
      let consumed = 0;
      while (copied < data.length) {
        const n = await ring.tee(r1, w2, data.length - copied);
        expect(n).toBeGreaterThan(0);
        copied += n;
        if (copied < data.length) {
          expect(await readExactly(ring, r1, n)).toEqual(data.subarray(consumed, consumed + n));
          consumed += n;
        }
      }
      expect(await readExactly(ring, r2, data.length)).toEqual(data);
      // The first pipe still holds everything not read off it by hand.
      expect(await readExactly(ring, r1, data.length - consumed)).toEqual(data.subarray(consumed));
      await closeAll(r1, w1, r2, w2);
    });

    it("the source still holds every byte after a full tee", async () => {
      const [r1, w1] = await pipePair();
      const [r2, w2] = await pipePair();
      const data = bytesOf("tee leaves the source intact");
      await ring.write(w1, data);
      expect(await ring.tee(r1, w2, 4096)).toBe(data.length);
      expect(await readExactly(ring, r2, data.length)).toEqual(data);
      expect(await readExactly(ring, r1, data.length)).toEqual(data);
      // Both are empty now: tee with SPLICE_F_NONBLOCK says EAGAIN.
      const e = await rejection(ring.tee(r1, w2, 10, SPLICE_F_NONBLOCK));
      expect(e.code).toBe("EAGAIN");
      expect(e.op).toBe("tee");
      await closeAll(r1, w1, r2, w2);
    });

    it("a regular file on either side is EINVAL from the kernel", async () => {
      const f = await fileWith("tee-file.bin", random(10, 7));
      const [r, w] = await pipePair();
      await ring.write(w, bytesOf("x"));
      expect((await rejection(ring.tee(r, f.fd, 1))).code).toBe("EINVAL");
      expect((await rejection(ring.tee(f.fd, w, 1))).code).toBe("EINVAL");
      await closeAll(f.fd, r, w);
    });
  });

  describe("fallocate", () => {
    it("mode 0 grows the file to offset + length, zero-filled and allocated", async () => {
      const path = join(tmp.dir, "falloc-grow.bin");
      const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC, 0o600);
      await ring.fallocate(fd, 0, 1 << 20);
      let st = statSync(path);
      expect(st.size).toBe(1 << 20);
      expect(st.blocks * 512).toBeGreaterThanOrEqual(1 << 20);
      await ring.fallocate(fd, 3n << 20n, 4096n);
      st = statSync(path);
      expect(st.size).toBe((3 << 20) + 4096);
      expect(allZero(readFileSync(path))).toBe(true);
      await ring.closeFd(fd);
    });

    it("FALLOC_FL_KEEP_SIZE allocates blocks beyond the end without changing the size", async () => {
      const { path, fd } = await fileWith("falloc-keep.bin", random(4096, 8));
      await ring.fsync(fd);
      const before = statSync(path);
      await ring.fallocate(fd, 4096, 1 << 20, FALLOC_FL_KEEP_SIZE);
      const after = statSync(path);
      expect(after.size).toBe(4096);
      expect(after.blocks - before.blocks).toBeGreaterThanOrEqual((1 << 20) / 512);
      await ring.closeFd(fd);
    });

    it("FALLOC_FL_PUNCH_HOLE | KEEP_SIZE zeroes a range and keeps the rest", async () => {
      const data = random(CHUNK, 9);
      const { path, fd } = await fileWith("falloc-punch.bin", data);
      await ring.fallocate(fd, 8192, 16384, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
      const back = new Uint8Array(readFileSync(path));
      expect(back.length).toBe(CHUNK);
      expect(back.subarray(0, 8192)).toEqual(data.subarray(0, 8192));
      expect(allZero(back.subarray(8192, 8192 + 16384))).toBe(true);
      expect(back.subarray(8192 + 16384)).toEqual(data.subarray(8192 + 16384));
      // The kernel requires KEEP_SIZE with PUNCH_HOLE.
      expect((await rejection(ring.fallocate(fd, 0, 4096, FALLOC_FL_PUNCH_HOLE))).code).toBe("EOPNOTSUPP");
      await ring.closeFd(fd);
    });

    it("kernel errors are typed: a read-only fd is EBADF, a pipe ESPIPE", async () => {
      const { fd } = await fileWith("falloc-ro.bin", random(10, 10), O_RDONLY);
      const e = await rejection(ring.fallocate(fd, 0, 4096));
      expect(e.code).toBe("EBADF");
      expect(e.op).toBe("fallocate");
      const [r, w] = await pipePair();
      expect((await rejection(ring.fallocate(w, 0, 4096))).code).toBe("ESPIPE");
      await closeAll(fd, r, w);
    });
  });

  describe("ftruncate", () => {
    it("shrinks and grows a file; the grown part reads as zeros", async (ctx) => {
      if (skipWithout(ctx, "ftruncate")) return;
      const data = random(10_000, 12);
      const { path, fd } = await fileWith("ftruncate.bin", data);
      await ring.ftruncate(fd, 3000);
      expect(statSync(path).size).toBe(3000);
      expect(new Uint8Array(readFileSync(path))).toEqual(data.subarray(0, 3000));
      await ring.ftruncate(fd, 8192n);
      expect(statSync(path).size).toBe(8192);
      const back = new Uint8Array(readFileSync(path));
      expect(back.subarray(0, 3000)).toEqual(data.subarray(0, 3000));
      expect(allZero(back.subarray(3000))).toBe(true);
      await ring.ftruncate(fd, 0);
      expect(statSync(path).size).toBe(0);
      await ring.closeFd(fd);
    });

    it("a read-only fd or a pipe is EINVAL from the kernel", async (ctx) => {
      if (skipWithout(ctx, "ftruncate")) return;
      const { path, fd } = await fileWith("ftruncate-ro.bin", random(100, 13), O_RDONLY);
      const e = await rejection(ring.ftruncate(fd, 10));
      expect(e.code).toBe("EINVAL");
      expect(e.op).toBe("ftruncate");
      expect(statSync(path).size).toBe(100);
      const [r, w] = await pipePair();
      expect((await rejection(ring.ftruncate(w, 0))).code).toBe("EINVAL");
      await closeAll(fd, r, w);
    });
  });

  describe("fadvise", () => {
    it("every POSIX_FADV_* advice resolves on a file, over a range and to the end", async () => {
      const data = random(CHUNK, 14);
      const { path, fd } = await fileWith("fadvise.bin", data, O_RDONLY);
      const advice = [
        POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL, POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,
        POSIX_FADV_NOREUSE,
      ];
      for (const a of advice) {
        await expect(ring.fadvise(fd, 0, 0, a), `advice ${a}`).resolves.toBeUndefined();
        await expect(ring.fadvise(fd, 4096n, 8192n, a), `advice ${a} over a range`).resolves.toBeUndefined();
      }
      // A length wider than 32 bits travels whole.
      await expect(ring.fadvise(fd, 0, 2 ** 40, POSIX_FADV_WILLNEED)).resolves.toBeUndefined();
      // Advice changes caching, never content.
      expect(new Uint8Array(readFileSync(path))).toEqual(data);
      await ring.closeFd(fd);
    });

    it("a pipe is ESPIPE from the kernel", async () => {
      const [r, w] = await pipePair();
      const e = await rejection(ring.fadvise(r, 0, 0, POSIX_FADV_NORMAL));
      expect(e.code).toBe("ESPIPE");
      expect(e.op).toBe("fadvise");
      await closeAll(r, w);
    });
  });

  describe("madvise", () => {
    it("MADV_WILLNEED keeps the bytes; MADV_DONTNEED zeroes exactly the pages given", async () => {
      using b = NativeBuffer.alloc(3 * CHUNK);
      b.bytes.fill(0xab);
      await ring.madvise(b.bytes, MADV_WILLNEED);
      expect(b.bytes.every((v) => v === 0xab)).toBe(true);
      // Private anonymous memory after MADV_DONTNEED reads back as zero-fill pages.
      await ring.madvise(b.bytes.subarray(CHUNK, 2 * CHUNK), MADV_DONTNEED);
      expect(b.bytes.subarray(0, CHUNK).every((v) => v === 0xab)).toBe(true);
      expect(allZero(b.bytes.subarray(CHUNK, 2 * CHUNK))).toBe(true);
      expect(b.bytes.subarray(2 * CHUNK).every((v) => v === 0xab)).toBe(true);
      // The same through an ArrayBuffer-typed view of the whole buffer.
      await ring.madvise(new DataView(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength), MADV_DONTNEED);
      expect(allZero(b.bytes)).toBe(true);
    });

    it("advice the kernel does not know is EINVAL from the kernel", async () => {
      using b = NativeBuffer.alloc(CHUNK);
      const e = await rejection(ring.madvise(b.bytes, 99));
      expect(e.code).toBe("EINVAL");
      expect(e.op).toBe("madvise");
    });

    it("a buffer not starting on a page boundary is a RangeError", () => {
      using b = NativeBuffer.alloc(CHUNK);
      const before = ring.pending;
      expect(() => ring.madvise(b.bytes.subarray(1), MADV_WILLNEED)).toThrow(RangeError);
      expect(() => ring.madvise(b.bytes.subarray(100, 4196), MADV_DONTNEED)).toThrow(/madvise\(\): buf must start on a page boundary/);
      expect(ring.pending).toBe(before);
    });
  });

  describe("syncFileRange", () => {
    it("SYNC_FILE_RANGE_WRITE | WAIT_AFTER on written data resolves; the data is intact", async () => {
      const path = join(tmp.dir, "sfr.bin");
      const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC, 0o600);
      const data = random(CHUNK * 2, 15);
      expect(await ring.write(fd, data, 0)).toBe(data.length);
      await ring.syncFileRange(fd, 0, 0, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      await ring.syncFileRange(fd, 4096n, CHUNK, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      await ring.syncFileRange(fd, 0, 0xffff_ffff, SYNC_FILE_RANGE_WRITE);
      expect(new Uint8Array(readFileSync(path))).toEqual(data);
      await ring.closeFd(fd);
    });

    it("a pipe is ESPIPE from the kernel", async () => {
      const [r, w] = await pipePair();
      const e = await rejection(ring.syncFileRange(w, 0, 0, SYNC_FILE_RANGE_WRITE));
      expect(e.code).toBe("ESPIPE");
      expect(e.op).toBe("syncFileRange");
      await closeAll(r, w);
    });
  });

  describe("pollAdd", () => {
    it("a pipe holding data is readable at once: POLLIN", async () => {
      const [r, w] = await pipePair();
      await ring.write(w, bytesOf("x"));
      const events = await ring.pollAdd(r, POLLIN);
      expect(events & POLLIN).toBe(POLLIN);
      await closeAll(r, w);
    });

    it("an empty pipe's poll stays pending until data is written, then resolves POLLIN", async () => {
      const [r, w] = await pipePair();
      const base = ring.pending;
      const poll = tracked(ring.pollAdd(r, POLLIN));
      await ring.nop();
      await ring.timeout(30);
      expect(poll.settled()).toBe(false);
      expect(ring.pending).toBe(base + 1);
      expect(await ring.write(w, bytesOf("wake"))).toBe(4);
      const events = await poll.promise;
      expect(events & POLLIN).toBe(POLLIN);
      expect(events & POLLOUT).toBe(0); // only what was asked for
      // The poll consumed nothing.
      expect(await readExactly(ring, r, 4)).toEqual(bytesOf("wake"));
      await closeAll(r, w);
    });

    it("the write end of an empty pipe is writable: POLLOUT", async () => {
      const [r, w] = await pipePair();
      const events = await ring.pollAdd(w, POLLOUT);
      expect(events & POLLOUT).toBe(POLLOUT);
      await closeAll(r, w);
    });

    it("the read end reports POLLHUP once the write end is closed", async (ctx) => {
      if (skipWithout(ctx, "pipe")) return; // a FIFO opened read-write never hangs up
      const [r, w] = await ring.pipe();
      await ring.closeFd(w);
      const events = await ring.pollAdd(r, POLLIN);
      expect(events & POLLHUP).toBe(POLLHUP);
      expect(await ring.read(r, new Uint8Array(8))).toBe(0); // end of file, as the poll said
      await ring.closeFd(r);
    });

    it("cancel(promise) of a pending poll resolves 1 and rejects the poll with ECANCELED", async () => {
      const [r, w] = await pipePair();
      const base = ring.pending;
      const poll = ring.pollAdd(r, POLLIN);
      await ring.nop(); // the poll is in the kernel
      expect(ring.pending).toBe(base + 1);
      expect(await ring.cancel(poll)).toBe(1);
      const e = await rejection(poll);
      expect(e.code).toBe("ECANCELED");
      expect(e.op).toBe("pollAdd");
      expect(ring.pending).toBe(base);
      // The pipe is unaffected: a new poll after a write still sees POLLIN.
      await ring.write(w, bytesOf("y"));
      expect((await ring.pollAdd(r, POLLIN)) & POLLIN).toBe(POLLIN);
      await closeAll(r, w);
    });
  });

  it("leaves nothing in flight", () => {
    expect(ring.pending).toBe(0);
  });
});

describe("fd operations: bad input is refused before anything is queued", () => {
  const ring = RingClass.open({ entries: 8 });
  const page = NativeBuffer.alloc(CHUNK);
  afterAll(() => {
    page.close();
    ring.close();
  });
  const detached = new ArrayBuffer(8);
  structuredClone(detached, { transfer: [detached] });
  const s = (v: unknown) => v as number;

  it.each<[string, () => unknown, typeof TypeError | typeof RangeError, RegExp]>([
    // pipe
    ["pipe: string flags", () => ring.pipe(s("0")), TypeError, /pipe\(\): flags must be a number, got "0"/],
    ["pipe: negative flags", () => ring.pipe(-1), RangeError, /pipe\(\): flags must be in \[0, 4294967295\], got -1/],
    ["pipe: fractional flags", () => ring.pipe(1.5), RangeError, /pipe\(\): flags must be an integer, got 1.5/],
    ["pipe: unknown flag bit", () => ring.pipe(0o1), RangeError, /pipe\(\): flags has unknown bits 0x1 /],
    // splice
    ["splice: negative fdIn", () => ring.splice(-1, -1, 1, -1, 10), RangeError, /splice\(\): fdIn must be in \[0, 2147483647\], got -1/],
    ["splice: fractional fdIn", () => ring.splice(0.5, -1, 1, -1, 10), RangeError, /splice\(\): fdIn must be an integer, got 0.5/],
    ["splice: string fdOut", () => ring.splice(0, -1, s("1"), -1, 10), TypeError, /splice\(\): fdOut must be a number, got "1"/],
    ["splice: fdOut beyond int32", () => ring.splice(0, -1, 2 ** 31, -1, 10), RangeError, /splice\(\): fdOut must be in/],
    ["splice: offIn -2", () => ring.splice(0, -2, 1, -1, 10), RangeError, /splice\(\): offIn must be in \[-1, 9007199254740991\], got -2/],
    ["splice: offOut 2^53", () => ring.splice(0, -1, 1, 2 ** 53, 10), RangeError, /splice\(\): offOut must be in \[-1,/],
    ["splice: bigint offIn beyond 2^53", () => ring.splice(0, 2n ** 60n, 1, -1, 10), RangeError, /splice\(\): offIn must be in/],
    ["splice: nbytes beyond 2^32-1", () => ring.splice(0, -1, 1, -1, 2 ** 32), RangeError, /splice\(\): nbytes must be in \[0, 4294967295\]/],
    ["splice: negative nbytes", () => ring.splice(0, -1, 1, -1, -1), RangeError, /splice\(\): nbytes must be in/],
    ["splice: unknown flag bit", () => ring.splice(0, -1, 1, -1, 10, 0x10), RangeError, /splice\(\): flags has unknown bits 0x10 /],
    ["splice: null flags", () => ring.splice(0, -1, 1, -1, 10, s(null)), TypeError, /splice\(\): flags must be a number, got null/],
    // tee
    ["tee: negative fdIn", () => ring.tee(-1, 1, 10), RangeError, /tee\(\): fdIn must be in/],
    ["tee: NaN fdOut", () => ring.tee(0, Number.NaN, 10), RangeError, /tee\(\): fdOut must be an integer, got NaN/],
    ["tee: nbytes beyond 2^32-1", () => ring.tee(0, 1, 2 ** 32), RangeError, /tee\(\): nbytes must be in/],
    ["tee: unknown flag bit", () => ring.tee(0, 1, 10, 0x20), RangeError, /tee\(\): flags has unknown bits 0x20 /],
    // fallocate
    ["fallocate: negative fd", () => ring.fallocate(-1, 0, 10), RangeError, /fallocate\(\): fd must be in/],
    ["fallocate: offset -1", () => ring.fallocate(0, -1, 10), RangeError, /fallocate\(\): offset must be in \[0, 9007199254740991\], got -1/],
    ["fallocate: length 0", () => ring.fallocate(0, 0, 0), RangeError, /fallocate\(\): length must be in \[1, 9007199254740991\], got 0/],
    ["fallocate: length beyond 2^53", () => ring.fallocate(0, 0, 2 ** 53), RangeError, /fallocate\(\): length must be in/],
    ["fallocate: bigint length beyond 2^53", () => ring.fallocate(0, 0, 2n ** 60n), RangeError, /fallocate\(\): length must be in/],
    ["fallocate: fractional length", () => ring.fallocate(0, 0, 1.5), RangeError, /fallocate\(\): length must be an integer/],
    ["fallocate: unknown mode bit", () => ring.fallocate(0, 0, 10, 0x100), RangeError, /fallocate\(\): mode has unknown bits 0x100 /],
    ["fallocate: string mode", () => ring.fallocate(0, 0, 10, s("1")), TypeError, /fallocate\(\): mode must be a number/],
    // ftruncate
    ["ftruncate: fd beyond int32", () => ring.ftruncate(2 ** 31, 0), RangeError, /ftruncate\(\): fd must be in/],
    ["ftruncate: undefined fd", () => ring.ftruncate(s(undefined), 0), TypeError, /ftruncate\(\): fd must be a number, got undefined/],
    ["ftruncate: negative length", () => ring.ftruncate(0, -1), RangeError, /ftruncate\(\): length must be in \[0, 9007199254740991\], got -1/],
    ["ftruncate: length beyond 2^53", () => ring.ftruncate(0, 2 ** 53), RangeError, /ftruncate\(\): length must be in/],
    ["ftruncate: fractional length", () => ring.ftruncate(0, 1.5), RangeError, /ftruncate\(\): length must be an integer/],
    ["ftruncate: string length", () => ring.ftruncate(0, s("1")), TypeError, /ftruncate\(\): length must be a number/],
    // fadvise
    ["fadvise: fractional fd", () => ring.fadvise(1.25, 0, 0, 0), RangeError, /fadvise\(\): fd must be an integer/],
    ["fadvise: offset -1", () => ring.fadvise(0, -1, 0, 0), RangeError, /fadvise\(\): offset must be in \[0,/],
    ["fadvise: length beyond 2^53", () => ring.fadvise(0, 0, 2 ** 53, 0), RangeError, /fadvise\(\): length must be in/],
    ["fadvise: advice 6", () => ring.fadvise(0, 0, 0, 6), RangeError, /fadvise\(\): advice must be in \[0, 5\], got 6/],
    ["fadvise: advice -1", () => ring.fadvise(0, 0, 0, -1), RangeError, /fadvise\(\): advice must be in \[0, 5\]/],
    ["fadvise: string advice", () => ring.fadvise(0, 0, 0, s("3")), TypeError, /fadvise\(\): advice must be a number/],
    // madvise
    ["madvise: a string", () => ring.madvise(s("x") as never, MADV_WILLNEED), TypeError, /madvise\(\): buf must be an ArrayBuffer or a typed array/],
    ["madvise: detached buffer", () => ring.madvise(detached, MADV_WILLNEED), TypeError, /madvise\(\): buf is detached/],
    ["madvise: unaligned buffer", () => ring.madvise(page.bytes.subarray(8), MADV_WILLNEED), RangeError, /madvise\(\): buf must start on a page boundary/],
    ["madvise: advice 128", () => ring.madvise(page.bytes, 128), RangeError, /madvise\(\): advice must be in \[0, 127\], got 128/],
    ["madvise: fractional advice", () => ring.madvise(page.bytes, 3.5), RangeError, /madvise\(\): advice must be an integer/],
    // syncFileRange
    ["syncFileRange: negative fd", () => ring.syncFileRange(-1, 0, 0, 0), RangeError, /syncFileRange\(\): fd must be in/],
    ["syncFileRange: offset -1", () => ring.syncFileRange(0, -1, 0, 0), RangeError, /syncFileRange\(\): offset must be in \[0,/],
    ["syncFileRange: offset beyond 2^53", () => ring.syncFileRange(0, 2n ** 53n, 0, 0), RangeError, /syncFileRange\(\): offset must be in/],
    ["syncFileRange: nbytes beyond 2^32-1", () => ring.syncFileRange(0, 0, 2 ** 32, 0), RangeError, /syncFileRange\(\): nbytes must be in \[0, 4294967295\], got 4294967296/],
    ["syncFileRange: unknown flag bit", () => ring.syncFileRange(0, 0, 0, 8), RangeError, /syncFileRange\(\): flags has unknown bits 0x8 /],
    ["syncFileRange: negative flags", () => ring.syncFileRange(0, 0, 0, -1), RangeError, /syncFileRange\(\): flags must be in/],
    // pollAdd
    ["pollAdd: negative fd", () => ring.pollAdd(-1, POLLIN), RangeError, /pollAdd\(\): fd must be in/],
    ["pollAdd: string fd", () => ring.pollAdd(s("0"), POLLIN), TypeError, /pollAdd\(\): fd must be a number/],
    ["pollAdd: unknown event bit", () => ring.pollAdd(0, 0x8000), RangeError, /pollAdd\(\): events has unknown bits 0x8000 /],
    ["pollAdd: string events", () => ring.pollAdd(0, s("1")), TypeError, /pollAdd\(\): events must be a number/],
  ])("%s", (_name, call, type, message) => {
    const before = ring.pending;
    const space = ring.sqSpaceLeft();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(ring.pending).toBe(before); // nothing was queued
    expect(ring.sqSpaceLeft()).toBe(space);
  });
});
