// 100,000 reads of distinct small ranges of a real file, each into a fresh,
// short-lived Uint8Array (a fifth under 64 bytes: the size engines keep
// inside the object, where the GC may move or free it), with collections
// forced while they are queued, in the kernel, and completing, and their
// ArrayBuffers asked for mid-flight (engines move small arrays' storage out
// of the object then). Every
// buffer must hold exactly the file's bytes. Run in a child so the
// collector can be driven (Bun.gc(true); Deno: --expose-gc).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { childScript, forceGc, runChild } from "./support/child.ts";
import { random, runtime, tempDir } from "./support/uring.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const FILE_BYTES = 4 << 20;

describe(`GC stress (${runtime})`, () => {
  it("100,000 reads into fresh small buffers under forced collections: every buffer holds the file's bytes", async () => {
    const path = join(tmp.dir, "data.bin");
    writeFileSync(path, random(FILE_BYTES, 21));
    const script = childScript(tmp.dir, "gc-stress", `
      import { closeSync, openSync, readFileSync } from "node:fs";
      const data = new Uint8Array(readFileSync(${JSON.stringify(path)}));
      const fd = openSync(${JSON.stringify(path)}, "r");
      const ring = u.Ring.open({ entries: 256 });
      const TOTAL = 100_000;
      const ROUND = 2_000;
      let bad = 0;
      let firstBad = "";
      let done = 0;
      let collections = 0;
      const gc = () => { ${forceGc}; collections++; };
      function check(buf: Uint8Array, off: number, n: number): void {
        done++;
        let ok = n === buf.length;
        for (let j = 0; ok && j < buf.length; j++) ok = buf[j] === data[off + j];
        if (!ok && bad++ === 0) firstBad = \`read of \${buf.length} bytes at \${off}: got \${n}\`;
      }
      // Collections also run while completions arrive from kernel workers.
      const ticker = setInterval(gc, 2);
      for (let k0 = 0; k0 < TOTAL; k0 += ROUND) {
        const reads: Promise<void>[] = [];
        for (let k = k0; k < k0 + ROUND; k++) {
          const len = k % 5 === 0 ? 1 + (k % 63) : k % 5 === 1 ? 64 + (k % 200) : 256 + (k % 3840);
          const off = (k * 4099) % (data.length - 4096);
          const buf = new Uint8Array(len);
          const p = ring.read(fd, buf, off);
          // A quarter go to a kernel worker (IOSQE_ASYNC): they complete while JS runs on.
          if (k % 4 === 0) ring.sqeSetFlags(p, u.IOSQE_ASYNC);
          // Asking a small array for its ArrayBuffer while the read is in flight
          // is where engines move inline storage out of the object.
          if (k % 3 === 0) void buf.buffer;
          reads.push(p.then((n) => check(buf, off, n)));
        }
        gc(); // all still queued in JS
        await new Promise((r) => setTimeout(r, 0));
        gc(); // some in the kernel, some done, the rest queued
        await Promise.all(reads);
      }
      clearInterval(ticker);
      ring.close();
      closeSync(fd);
      console.log(JSON.stringify({ done, bad, firstBad, collections }));
    `);
    const r = await runChild(script, { deadlineMs: 90_000, gc: true });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(result.firstBad).toBe("");
    expect(result).toMatchObject({ done: 100_000, bad: 0 });
    expect(result.collections).toBeGreaterThanOrEqual(100);
  }, 120_000);
});
