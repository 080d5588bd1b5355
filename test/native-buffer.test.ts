// Page-aligned native memory, and O_DIRECT I/O through it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { skip, tempDir, uring } from "./support/uring.ts";

const { NativeBuffer, Ring, O_RDONLY, O_DIRECT, UringError } = uring;

describe("NativeBuffer", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("is page-aligned, zero-filled and writable", () => {
    using b = NativeBuffer.alloc(10_000);
    expect(b.address % 4096).toBe(0);
    expect(b.bytes.length).toBe(10_000);
    expect(b.bytes.every((v) => v === 0)).toBe(true);
    b.bytes.fill(7);
    expect(b.bytes[9_999]).toBe(7);
  });

  it("close detaches earlier views instead of leaving them over unmapped memory", () => {
    const b = NativeBuffer.alloc(4096);
    const view = b.bytes;
    const alias = new Uint32Array(view.buffer);
    b.close();
    b.close();
    expect(b.closed).toBe(true);
    expect(view.length).toBe(0);
    expect(alias.length).toBe(0);
    expect(() => b.bytes).toThrow(UringError);
    expect(() => b.bytes).toThrow(/buffer is closed/);
  });

  it("refuses bad sizes", () => {
    expect(() => NativeBuffer.alloc(0)).toThrow(RangeError);
    expect(() => NativeBuffer.alloc(-1)).toThrow(/size must be in/);
    expect(() => NativeBuffer.alloc("1" as unknown as number)).toThrow(TypeError);
  });

  it("mlocked memory works (root) or says RLIMIT_MEMLOCK", () => {
    try {
      using b = NativeBuffer.alloc(65536, { lock: true });
      expect(b.bytes.length).toBe(65536);
    } catch (e) {
      expect(String(e)).toMatch(/RLIMIT_MEMLOCK/);
    }
  });

  it("serves O_DIRECT reads through the ring", async (ctx) => {
    const path = join(tmp.dir, "direct.bin");
    const data = new Uint8Array(64 * 1024).map((_, i) => (i * 31) & 0xff);
    writeFileSync(path, data);
    using ring = Ring.open();
    let fd: number;
    try {
      fd = await ring.openat(path, O_RDONLY | O_DIRECT);
    } catch (e) {
      // tmpfs has no O_DIRECT: skip, saying why.
      const reason = `${tmp.dir} does not support O_DIRECT (${(e as Error).message})`;
      console.warn(`skipped: ${reason}`);
      skip(ctx, reason);
      return;
    }
    using b = NativeBuffer.alloc(16384);
    expect(await ring.read(fd, b.bytes, 8192)).toBe(16384);
    expect(b.bytes).toEqual(data.subarray(8192, 8192 + 16384));
    await ring.closeFd(fd);
  });

  it("unaligned O_DIRECT reads fail with EINVAL from the kernel, typed", async (ctx) => {
    const path = join(tmp.dir, "direct2.bin");
    writeFileSync(path, new Uint8Array(8192));
    using ring = Ring.open();
    const fd = await ring.openat(path, O_RDONLY | O_DIRECT).catch(() => -1);
    if (fd < 0) {
      console.warn(`skipped: ${tmp.dir} does not support O_DIRECT`);
      skip(ctx, `${tmp.dir} does not support O_DIRECT`);
      return;
    }
    using b = NativeBuffer.alloc(8192);
    const err = await ring.read(fd, b.bytes.subarray(1, 4097), 0).catch((e) => e);
    expect(err).toBeInstanceOf(UringError);
    expect(err.code).toBe("EINVAL");
    await ring.closeFd(fd);
  });
});
