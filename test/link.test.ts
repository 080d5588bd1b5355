// ring.link([...]): linked chains as the kernel runs them (IOSQE_IO_LINK /
// IOSQE_IO_HARDLINK), link timeouts, and the ways a chain can be misused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, ringConfigs, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, O_RDWR, O_CREAT, O_TRUNC, IOSQE_IO_DRAIN, IOSQE_ASYNC, IOSQE_IO_LINK, IOSQE_CQE_SKIP_SUCCESS } = uring;

function fulfilled(r: PromiseSettledResult<unknown>): unknown {
  if (r.status !== "fulfilled") throw new Error(`expected fulfilled, got ${String((r as PromiseRejectedResult).reason)}`);
  return r.value;
}

function rejectedCode(r: PromiseSettledResult<unknown>): string {
  if (r.status !== "rejected") throw new Error(`expected rejected, got ${String(r.value)}`);
  return (r.reason as UringError).code;
}

describe.each(ringConfigs)("link ($name)", ({ options }) => {
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

  it("runs members in order: write, fsync, read back", async () => {
    const fd = await ring.openat(join(tmp.dir, "chain"), O_RDWR | O_CREAT | O_TRUNC, 0o600);
    const out = new Uint8Array(5);
    const results = await ring.link([ring.write(fd, bytesOf("chain"), 0), ring.fsync(fd), ring.read(fd, out, 0)]);
    expect(results.map(fulfilled)).toEqual([5, undefined, 5]);
    expect(new TextDecoder().decode(out)).toBe("chain");
    expect(readFileSync(join(tmp.dir, "chain"), "utf8")).toBe("chain");
    await ring.closeFd(fd);
  });

  it("a failing member cancels the rest, as the kernel reports", async () => {
    const results = await ring.link([ring.nop(), ring.read(999_999, new Uint8Array(1), 0), ring.nop(), ring.nop()]);
    expect(fulfilled(results[0])).toBeUndefined();
    expect(rejectedCode(results[1])).toBe("EBADF");
    expect(results.slice(2).map(rejectedCode)).toEqual(["ECANCELED", "ECANCELED"]);
  });

  it("a hard link keeps going after a failure", async () => {
    const results = await ring.link([ring.read(999_999, new Uint8Array(1), 0), ring.nop()], { hard: true });
    expect(rejectedCode(results[0])).toBe("EBADF");
    expect(fulfilled(results[1])).toBeUndefined();
  });

  it("a member's promise rejects too, for callers that await it directly", async () => {
    const bad = ring.read(999_999, new Uint8Array(1), 0);
    const after = ring.nop();
    void ring.link([bad, after]);
    await expect(bad).rejects.toMatchObject({ code: "EBADF" });
    await expect(after).rejects.toMatchObject({ code: "ECANCELED" });
  });

  it("a link timeout cancels a request that takes too long", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const started = performance.now();
    const [read, timer] = await ring.link([ring.read(readFd, new Uint8Array(8)), ring.linkTimeout(30)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(rejectedCode(read)).toBe("ECANCELED");
    expect(fulfilled(timer)).toBe(true);
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("a link timeout that does not fire resolves false", async () => {
    const [nop, timer] = await ring.link([ring.nop(), ring.linkTimeout(5_000)]);
    expect(fulfilled(nop)).toBeUndefined();
    expect(fulfilled(timer)).toBe(false);
  });

  it("a timeout inside a chain delays the next member without breaking the chain", async () => {
    const started = performance.now();
    const results = await ring.link([ring.timeout(20), ring.nop()]);
    expect(results.map(fulfilled)).toEqual([undefined, undefined]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it("a chain waits for SQ room rather than splitting across submissions", async () => {
    const small = RingClass.open({ ...options, entries: 4 });
    try {
      const loose = [small.nop(), small.nop(), small.nop()];
      const chain = small.link([small.nop(), small.nop(), small.nop(), small.nop()]);
      await Promise.all(loose);
      expect((await chain).map(fulfilled)).toEqual([undefined, undefined, undefined, undefined]);
    } finally {
      small.close();
    }
  });
});

describe("sqeSetFlags", () => {
  const ring = RingClass.open({ entries: 8 });
  afterAll(() => ring.close());

  it("IOSQE_IO_DRAIN holds an op until everything before it has completed", async () => {
    const order: string[] = [];
    const timer = ring.timeout(30).then(() => order.push("timeout"));
    const drained = ring.sqeSetFlags(ring.nop(), IOSQE_IO_DRAIN).then(() => order.push("drained"));
    const plain = ring.nop().then(() => order.push("later nop"));
    await Promise.all([timer, drained, plain]);
    expect(order).toEqual(["timeout", "drained", "later nop"]);
  });

  it("IOSQE_ASYNC runs the op in a kernel worker with the same result", async () => {
    const [readFd, writeFd] = await ring.pipe();
    await ring.write(writeFd, bytesOf("async"));
    const buf = new Uint8Array(8);
    await expect(ring.sqeSetFlags(ring.read(readFd, buf), IOSQE_ASYNC)).resolves.toBe(5);
    expect(new TextDecoder().decode(buf.subarray(0, 5))).toBe("async");
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("refuses flags a promise op cannot carry, and ops already submitted", async () => {
    const p = ring.nop();
    expect(() => ring.sqeSetFlags(p, IOSQE_IO_LINK)).toThrow(/ring\.link\(\)/);
    expect(() => ring.sqeSetFlags(p, IOSQE_CQE_SKIP_SUCCESS)).toThrow(/needs its completion/);
    expect(() => ring.sqeSetFlags(p, 256)).toThrow(RangeError);
    await p;
    expect(() => ring.sqeSetFlags(p, IOSQE_ASYNC)).toThrow(/still waiting to be submitted/);
  });
});

describe("link misuse", () => {
  const ring = RingClass.open({ entries: 4 });
  afterAll(() => ring.close());

  it("refuses members started in an earlier turn", async () => {
    const early = ring.nop();
    await early;
    expect(() => ring.link([early, ring.nop()])).toThrow(/members\[0\] is not the matching operation/);
    await new Promise((r) => setTimeout(r, 0));
  });

  it("refuses members out of order or with another op between them", async () => {
    const a = ring.nop();
    const b = ring.nop();
    expect(() => ring.link([b, a])).toThrow(TypeError);
    const c = ring.nop();
    void ring.nop();
    expect(() => ring.link([c])).toThrow(TypeError);
    await Promise.all([a, b, c]);
  });

  it("refuses a link timeout first, an empty chain and a chain larger than the SQ", async () => {
    const timer = ring.linkTimeout(10);
    expect(() => ring.link([timer])).toThrow(/linkTimeout\(\) must follow/);
    await expect(timer).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => ring.link([])).toThrow(RangeError);
    const five = [ring.nop(), ring.nop(), ring.nop(), ring.nop(), ring.nop()];
    expect(() => ring.link(five)).toThrow(/cannot fit in the 4-entry SQ/);
    await Promise.all(five);
    expect(() => ring.link("nope" as unknown as Promise<unknown>[])).toThrow(TypeError);
  });

  it("refuses linking a member twice", async () => {
    const a = ring.nop();
    const b = ring.nop();
    const chain = ring.link([a, b]);
    expect(() => ring.link([a, b])).toThrow(TypeError);
    await chain;
  });

  it("a member the kernel lacks fails the chain before submission", async () => {
    const old = RingClass.open({ entries: 8, assumeKernel: "6.0" });
    try {
      const results = await old.link([old.nop(), old.ftruncate(0, 0), old.nop()]);
      expect(results.map(rejectedCode)).toEqual(["ECANCELED", "EOPNOTSUPP", "ECANCELED"]);
      expect(old.pending).toBe(0);
    } finally {
      old.close();
    }
  });

  it("cancelling a queued member fails its whole chain before submission", async () => {
    const a = ring.nop();
    const b = ring.nop();
    const chain = ring.link([a, b]);
    await expect(ring.cancel(b)).resolves.toBe(1);
    expect((await chain).map(rejectedCode)).toEqual(["ECANCELED", "ECANCELED"]);
  });
});
