// The safety net for rings, pools and native buffers dropped without
// close(), checked in a child process that can force garbage collection: the
// kernel's fds and mappings go, one warning is printed, and a ring whose
// request is still in flight (with the buffer it reads into) is never
// collected before its CQE.
import { afterAll, describe, expect, it } from "vitest";
import { childScript, forceGc, runChild } from "./support/child.ts";
import { makeFifo, runtime, tempDir } from "./support/uring.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const procHelpers = `
import { openSync, readdirSync, readFileSync, readlinkSync, writeSync, closeSync, constants } from "node:fs";
function fds(kind: string): number[] {
  return readdirSync("/proc/self/fd").map(Number).filter((fd) => {
    try { return readlinkSync("/proc/self/fd/" + fd) === kind; } catch { return false; }
  });
}
const state = () => ({
  rings: fds("anon_inode:[io_uring]").length,
  eventfds: fds("anon_inode:[eventfd]").length,
  ringMaps: readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.includes("io_uring")).length,
});
// A mapping exactly [address, address + length): the pools below are mlocked or
// madvised, so the kernel never merges them with a neighbour, and a later
// mapping at the same place and of the same size would be a coincidence.
function mapped(address: number, length: number): boolean {
  return readFileSync("/proc/self/maps", "utf8").split("\\n").some((l) => {
    const [start, end] = l.split(" ")[0].split("-").map((x) => parseInt(x, 16));
    return start === address && end === address + length;
  });
}
async function collect(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) {
    ${forceGc};
    await new Promise((r) => setTimeout(r, 10));
  }
}
`;

describe(`leak guard (${runtime})`, () => {
  it("rings, pools and a native buffer dropped without close() are released after collection, with one warning", async () => {
    const script = childScript(tmp.dir, "dropped", `${procHelpers}
      const before = state();
      async function use(): Promise<void> {
        // Both ring modes, one with the pool registered (ring and pool then reference each other).
        const a = u.Ring.open({ mode: "mmap" });
        const b = u.Ring.open({ mode: "no-mmap" });
        const pool = u.BufferPool.create({ count: 3, size: 12345, lock: true });
        b.registerBuffers(pool);
        await a.nop();
        await b.timeout(1);
        const other = u.BufferPool.create({ count: 2, size: 4096, hugePages: true });
        other.view(1)[0] = 7;
        // Locked and THP-advised: flags neither pool has, so its mapping stays its own.
        const buffer = u.NativeBuffer.alloc(3 * 4096, { lock: true, transparentHugePages: true });
        buffer.bytes[5] = 1;
        pools.push([pool.address, pool.byteLength], [other.address, other.byteLength], [buffer.address, buffer.size]);
      }
      const pools: [number, number][] = [];
      await use();
      // Under Bun a ring's wake-up reads a dup of its eventfd (Bun.file().stream()),
      // closed once the loop has turned after the ring went idle: count after that.
      await new Promise((r) => setTimeout(r, 20));
      const poolsMapped = () => pools.map(([at, len]) => mapped(at, len));
      const during = { ...state(), pools: poolsMapped() };
      const released = () => { const s = state(); return s.rings === before.rings && s.eventfds === before.eventfds && !poolsMapped().includes(true); };
      await collect(released);
      const after = { ...state(), pools: poolsMapped() };
      console.log(JSON.stringify({ before, during, after }));
    `);
    const r = await runChild(script, { deadlineMs: 30_000, gc: true });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    const { before, during, after } = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(during.rings).toBe(before.rings + 2);
    expect(during.eventfds).toBe(before.eventfds + 2);
    expect(during.ringMaps).toBeGreaterThan(before.ringMaps); // the mmap-mode ring's kernel mappings
    expect(during.pools).toEqual([true, true, true]);
    expect(after).toEqual({ ...before, pools: [false, false, false] });
    const warnings = r.stderr.split("\n").filter((l) => l.includes("garbage-collected without close()"));
    expect(warnings.length, r.stderr).toBe(1);
    expect(warnings[0]).toMatch(/a (Ring|BufferPool|NativeBuffer) was garbage-collected without close\(\).*Call close\(\)/);
  });

  it("a dropped ring with a read in flight stays alive, and keeps its buffer, until the CQE; then it is collected", async () => {
    const fifo = makeFifo(tmp.dir, "guard-fifo");
    const script = childScript(tmp.dir, "inflight", `${procHelpers}
      const before = state();
      let bufRef: WeakRef<Uint8Array>;
      function start(): Promise<number> {
        const ring = u.Ring.open();
        const fd = openSync(${JSON.stringify(fifo)}, constants.O_RDWR);
        const buf = new Uint8Array(new ArrayBuffer(8192));
        bufRef = new WeakRef(buf);
        return ring.read(fd, buf).finally(() => closeSync(fd));
      }
      const reading = start();
      await new Promise((r) => setTimeout(r, 20));
      for (let i = 0; i < 5; i++) {
        ${forceGc};
        await new Promise((r) => setTimeout(r, 10));
      }
      const whileInFlight = { ...state(), buffer: bufRef!.deref() !== undefined };
      const w = openSync(${JSON.stringify(fifo)}, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(w, "late bytes");
      closeSync(w);
      const n = await reading;
      const text = new TextDecoder().decode(bufRef!.deref()!.subarray(0, n));
      await collect(() => state().rings === before.rings);
      console.log(JSON.stringify({ before, whileInFlight, text, after: state() }));
    `);
    const r = await runChild(script, { deadlineMs: 30_000, gc: true });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    const { before, whileInFlight, text, after } = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(whileInFlight.rings).toBe(before.rings + 1);
    expect(whileInFlight.buffer).toBe(true);
    expect(text).toBe("late bytes");
    expect(after.rings).toBe(before.rings);
    expect(after.eventfds).toBe(before.eventfds);
    expect(r.stderr).toContain("a Ring was garbage-collected without close()");
  });

  it("a dropped ring whose batch read the kernel still holds is never released", async () => {
    const fifo = makeFifo(tmp.dir, "guard-batch-fifo");
    const script = childScript(tmp.dir, "batch", `${procHelpers}
      const before = state();
      const fd = openSync(${JSON.stringify(fifo)}, constants.O_RDWR);
      const buf = new Uint8Array(new ArrayBuffer(64)); // ours: the batch API leaves buffers to the caller
      function start(): void {
        const ring = u.Ring.open();
        ring.prepRead(fd, buf, 64, -1, 1);
        ring.submit();
      }
      start();
      await collect(() => false); // 100 forced collections
      const afterGc = state();
      const w = openSync(${JSON.stringify(fifo)}, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(w, "for the kernel's read");
      closeSync(w);
      await collect(() => false);
      console.log(JSON.stringify({ before, afterGc, text: new TextDecoder().decode(buf.subarray(0, 21)), after: state() }));
      closeSync(fd);
    `);
    const r = await runChild(script, { deadlineMs: 30_000, gc: true });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    const { before, afterGc, text, after } = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(afterGc.rings).toBe(before.rings + 1);
    // The kernel completed the read into the buffer; nobody reaped it, so the ring stays (pinned), unreleased.
    expect(text).toBe("for the kernel's read");
    expect(after.rings).toBe(before.rings + 1);
    expect(r.stderr).not.toContain("garbage-collected without close()");
  });

  it("a settled operation's promise is not retained by its (open) ring", async () => {
    const script = childScript(tmp.dir, "settled", `
      let collected = false;
      const registry = new FinalizationRegistry(() => { collected = true; });
      const ring = u.Ring.open();
      async function once(): Promise<void> {
        const p = ring.nop();
        registry.register(p, "op");
        await p;
      }
      await once();
      for (let i = 0; i < 100 && !collected; i++) {
        ${forceGc};
        await new Promise((r) => setTimeout(r, 5));
      }
      console.log(collected ? "collected" : "retained");
      ring.close();
    `);
    const r = await runChild(script, { deadlineMs: 30_000, gc: true });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("collected");
  });
});
