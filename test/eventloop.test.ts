// Waiting for completions never blocks the event loop.
import { closeSync, openSync, writeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeFifo, tempDir, uring } from "./support/uring.ts";

const { Ring, O_RDWR } = uring;

describe.each(["no-mmap", "mmap"] as const)("event loop (%s)", (mode) => {
  it("setTimeout keeps firing while a read on an empty pipe waits", async () => {
    const tmp = tempDir();
    const ring = Ring.open({ mode });
    try {
      const fifo = makeFifo(tmp.dir);
      const fd = await ring.openat(fifo, O_RDWR);
      const buf = new Uint8Array(32);
      let settled = false;
      const read = ring.read(fd, buf).finally(() => { settled = true; });
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          ticks++;
          if (ticks === 10) {
            clearInterval(t);
            resolve();
          }
        }, 5);
      });
      expect(ticks).toBe(10);
      expect(settled).toBe(false);
      const w = openSync(fifo, "w");
      writeSync(w, "wake up");
      closeSync(w);
      expect(await read).toBe(7);
      expect(new TextDecoder().decode(buf.subarray(0, 7))).toBe("wake up");
      await ring.closeFd(fd);
    } finally {
      ring.close();
      tmp.cleanup();
    }
  });

  it("completions arriving later are delivered without any other activity", async () => {
    const ring = Ring.open({ mode });
    try {
      const results = await Promise.all([ring.timeout(10), ring.timeout(20), ring.timeout(30)]);
      expect(results).toEqual([undefined, undefined, undefined]);
    } finally {
      ring.close();
    }
  });
});
