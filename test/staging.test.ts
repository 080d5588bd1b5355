// Small reads and writes go through the ring's staging slots (core/staging.ts):
// a new buffer per request costs no address lookup. What the caller sees must
// not change: the bytes land in their buffer, short reads copy only what was
// read, a failed read leaves the buffer alone, and more small requests in
// flight than there are slots still work (they use the caller's buffer).
import { openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ringConfigs, tempDir, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, O_RDWR, O_CREAT, O_TRUNC } = uring;

/** Deterministic bytes: a file whose every offset says what it should hold. */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe.each(ringConfigs)("staged small I/O ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;
  const content = pattern(1 << 18);
  let path: string;
  let fd: number;

  beforeAll(() => {
    tmp = tempDir();
    ring = RingClass.open(options);
    path = join(tmp.dir, "pattern");
    writeFileSync(path, content);
    fd = openSync(path, "r");
  });
  afterAll(() => {
    closeSync(fd);
    ring.close();
    tmp.cleanup();
  });

  it("reads into a new buffer each time, sizes across the staging limit, 64 in flight", async () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const requests = Array.from({ length: 2000 }, (_, i) => {
      const size = i % 50 === 0 ? 2047 + (i % 3) : 1 + (next() % 2100); // 2047, 2048, 2049 and below/above
      return { size, offset: next() % (content.length - size) };
    });
    let at = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (at < requests.length) {
        const { size, offset } = requests[at++];
        const buf = new Uint8Array(size);
        expect(await ring.read(fd, buf, offset)).toBe(size);
        expect(buf).toEqual(content.subarray(offset, offset + size));
      }
    }));
  });

  it("a short read copies only the bytes read; the rest of the buffer is untouched", async () => {
    const buf = new Uint8Array(100).fill(0xee);
    expect(await ring.read(fd, buf, content.length - 10)).toBe(10);
    expect(buf.subarray(0, 10)).toEqual(content.subarray(content.length - 10));
    expect(buf.subarray(10).every((b) => b === 0xee)).toBe(true);
  });

  it("a failed read leaves the buffer alone", async () => {
    const buf = new Uint8Array(16).fill(0xaa);
    await expect(ring.read(999_999, buf, 0)).rejects.toMatchObject({ code: "EBADF" });
    expect(buf.every((b) => b === 0xaa)).toBe(true);
  });

  it("reads into views at an offset, other typed arrays and ArrayBuffers", async () => {
    const backing = new Uint8Array(64).fill(1);
    const view = backing.subarray(8, 24);
    expect(await ring.read(fd, view, 100)).toBe(16);
    expect(view).toEqual(content.subarray(100, 116));
    expect(backing.subarray(0, 8).every((b) => b === 1) && backing.subarray(24).every((b) => b === 1)).toBe(true);
    const words = new Uint32Array(4);
    expect(await ring.read(fd, words, 200)).toBe(16);
    expect(new Uint8Array(words.buffer)).toEqual(content.subarray(200, 216));
    const raw = new ArrayBuffer(12);
    expect(await ring.read(fd, raw, 300)).toBe(12);
    expect(new Uint8Array(raw)).toEqual(content.subarray(300, 312));
  });

  it("writes from new buffers land where they were aimed", async () => {
    const out = join(tmp.dir, "written");
    const wfd = await ring.openat(out, O_RDWR | O_CREAT | O_TRUNC, 0o600);
    const chunks: Promise<number>[] = [];
    for (let offset = 0; offset < 40_000; offset += 1000) {
      chunks.push(ring.write(wfd, content.slice(offset, offset + 1000), offset));
    }
    expect(await Promise.all(chunks)).toEqual(Array(40).fill(1000));
    await ring.closeFd(wfd);
    expect(readFileSync(out)).toEqual(Buffer.from(content.subarray(0, 40_000)));
  });
});

describe("staging slots run out", () => {
  it("more small reads in flight than slots (1,024 per ring) use the callers' buffers", async () => {
    const ring = RingClass.open({ entries: 2048 });
    try {
      const [readFd, writeFd] = await ring.pipe();
      const n = 1100;
      const bufs = Array.from({ length: n }, () => new Uint8Array(1));
      // Each read waits in the kernel for pipe data: all n hold their memory at once.
      const reads = bufs.map((b) => ring.read(readFd, b));
      await new Promise((r) => setTimeout(r, 20));
      expect(ring.pending).toBe(n);
      const data = pattern(n);
      expect(await ring.write(writeFd, data)).toBe(n);
      expect(await Promise.all(reads)).toEqual(Array(n).fill(1));
      // Which read got which byte is the kernel's order; together they got every byte.
      const got = bufs.map((b) => b[0]).sort((a, b) => a - b);
      expect(got).toEqual([...data].sort((a, b) => a - b));
      await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
    } finally {
      ring.close();
    }
  });
});

describe("staged reads and a buffer detached while in flight", () => {
  it("the read resolves and the buffer's new owner is not written", async () => {
    const ring = RingClass.open({ entries: 8 });
    try {
      const [readFd, writeFd] = await ring.pipe();
      const buf = new Uint8Array(16);
      const read = ring.read(readFd, buf);
      await new Promise((r) => setTimeout(r, 5));
      const moved = new Uint8Array(buf.buffer.transfer()); // buf is detached now
      expect(await ring.write(writeFd, new Uint8Array(16).fill(9))).toBe(16);
      expect(await read).toBe(16);
      expect(buf.byteLength).toBe(0);
      expect(moved.every((b) => b === 0)).toBe(true);
      await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
    } finally {
      ring.close();
    }
  });
});
