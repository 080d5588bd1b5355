// Register once, share: IORING_REGISTER_CLONE_BUFFERS from one ring to
// another in this thread, and to a ring in each of two Workers, each reading
// its own range of one file into its own buffer of the one pinned pool.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random, skip, tempDir, uring } from "./support/uring.ts";

const { Ring, BufferPool, O_RDONLY, O_DIRECT } = uring;
const BYTES = 64 * 1024;

describe("cloneBuffersFrom", () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  const data = random(2 * BYTES, 5);

  beforeAll(() => {
    tmp = tempDir();
    path = join(tmp.dir, "shared.bin");
    writeFileSync(path, data);
  });
  afterAll(() => tmp.cleanup());

  it("gives a second ring of this thread the same registered pool", async (ctx) => {
    using source = Ring.open({ entries: 8 });
    if (!source.supports("readFixed")) skip(ctx, "no fixed buffers");
    using pool = BufferPool.create({ count: 2, size: BYTES });
    source.registerBuffers(pool);
    using clone = Ring.open({ entries: 8 });
    try {
      clone.cloneBuffersFrom(source);
    } catch (e) {
      if ((e as { code?: string }).code === "EINVAL") skip(ctx, "IORING_REGISTER_CLONE_BUFFERS needs Linux 6.12+");
      throw e;
    }
    expect(clone.bufferSlotOf(pool)).toBe(0);
    const fd = await clone.openat(path, O_RDONLY | O_DIRECT);
    expect(await clone.readFixed(fd, pool, 1, BYTES)).toBe(BYTES);
    expect(pool.view(1)).toEqual(data.subarray(BYTES));
    await clone.closeFd(fd);
    expect(() => clone.cloneBuffersFrom(source)).toThrow(/already has a buffer table/);
    clone.cloneBuffersFrom(source, { replace: true, dstOffset: 1 });
    expect(clone.bufferTableSize).toBe(2);
    expect(() => clone.cloneBuffersFrom(clone)).toThrow(/source is this ring/);
  });

  it("shares one pinned pool with a ring in each of two Workers", async () => {
    using single = Ring.open({ entries: 8 });
    using one = BufferPool.create({ count: 1, size: BYTES });
    single.registerBuffers(one);
    // Under URINGSHIM_COMPAT=no-single-issuer no ring is single-issuer.
    if (single.compat.singleIssuer) expect(() => single.shareBuffers()).toThrow(/singleIssuer: false/);
    // Other threads clone from it: not a single-issuer ring.
    using source = Ring.open({ entries: 8, singleIssuer: false });
    using pool = BufferPool.create({ count: 2, size: BYTES });
    source.registerBuffers(pool);
    const shared = source.shareBuffers();
    const results = await Promise.all([0, 1].map((index) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const worker = new Worker(new URL("./support/clone-worker.ts", import.meta.url).href, { type: "module" });
      worker.onmessage = (e: MessageEvent<Record<string, unknown> | "ready">) => {
        if (e.data === "ready") {
          worker.postMessage({ shared, path, index, bytes: BYTES });
          return;
        }
        worker.terminate();
        resolve(e.data);
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(new Error(`worker ${index}: ${(e as ErrorEvent).message}`));
      };
    })));
    for (const r of results) {
      expect(r.error).toBeUndefined();
      const index = r.index as number;
      expect(r.n).toBe(BYTES);
      expect(r.slot).toBe(0);
      // What each Worker read landed in the one pool, visible here.
      expect(pool.view(index)).toEqual(data.subarray(index * BYTES, (index + 1) * BYTES));
      expect([r.first, r.last]).toEqual([data[index * BYTES], data[(index + 1) * BYTES - 1]]);
    }
  });
});
