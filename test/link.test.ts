// ring.link([...]): linked chains as the kernel runs them (IOSQE_IO_LINK /
// IOSQE_IO_HARDLINK), link timeouts, and the ways a chain can be misused.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, ringConfigs, tempDir, uring, type FixedFile, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, AF_INET, SOCK_STREAM, O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, IOSQE_IO_DRAIN, IOSQE_ASYNC, IOSQE_IO_LINK, IOSQE_CQE_SKIP_SUCCESS } = uring;

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

  it("open into a fixed slot, read, close: one chain of direct-descriptor ops", async () => {
    const path = join(tmp.dir, "direct");
    writeFileSync(path, "direct descriptors");
    const files = ring.registerFiles({ sparse: 4 });
    try {
      const file = ring.fixedFile(2);
      // Exactly the file's size: a short read breaks a chain, as the kernel treats it.
      const buf = new Uint8Array(18);
      const results = await ring.link([ring.openatDirect(path, O_RDONLY, 0, undefined, 2), ring.read(file, buf, 0), ring.closeFd(file)]);
      const [opened, read, closed] = results.map(fulfilled);
      expect((opened as FixedFile).index).toBe(2);
      expect(read).toBe(18);
      expect(new TextDecoder().decode(buf)).toBe("direct descriptors");
      expect(closed).toBeUndefined();
      // The slot is empty again: a read of it fails.
      await expect(ring.read(file, buf, 0)).rejects.toMatchObject({ code: "EBADF" });
      // A failed open cancels the rest of its chain.
      const missing = await ring.link([ring.openatDirect(join(tmp.dir, "absent"), O_RDONLY, 0, undefined, 1), ring.read(ring.fixedFile(1), buf, 0)]);
      expect(missing.map(rejectedCode)).toEqual(["ENOENT", "ECANCELED"]);
    } finally {
      expect(files).toHaveLength(4);
      ring.unregisterFiles();
    }
  });

  it("socketDirect and sqeSetFlags take a direct-descriptor op's promise", async () => {
    ring.registerFiles({ sparse: 2 });
    try {
      const sock = ring.socketDirect(AF_INET, SOCK_STREAM, 0, 0);
      expect(ring.sqeSetFlags(sock, IOSQE_ASYNC)).toBe(sock);
      const [created, closed] = (await ring.link([ring.socketDirect(AF_INET, SOCK_STREAM, 0, 1), ring.closeFd(ring.fixedFile(1))])).map(fulfilled);
      expect((created as FixedFile).index).toBe(1);
      expect(closed).toBeUndefined();
      expect((await sock).index).toBe(0);
      await ring.closeFd(ring.fixedFile(0));
    } finally {
      ring.unregisterFiles();
    }
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

  const notSubmitted = { code: "ECANCELED", message: expect.stringMatching(/the link\(\) it was passed to threw/) };

  it("refuses members started in an earlier turn, naming the member", async () => {
    const early = ring.nop();
    await early;
    const late = ring.nop();
    expect(() => ring.link([late, early])).toThrow(/members\[1\] is not an operation of this ring still waiting/);
    await expect(late).rejects.toMatchObject(notSubmitted);
    const write = ring.nop();
    expect(() => ring.link([write, Promise.resolve()])).toThrow(/members\[1\] is not an operation/);
    await expect(write).rejects.toMatchObject(notSubmitted);
  });

  it("refuses members out of order or with another op between them", async () => {
    const a = ring.nop();
    const b = ring.nop();
    expect(() => ring.link([b, a])).toThrow(/members\[0\] was not started in order/);
    const c = ring.nop();
    const between = ring.nop();
    expect(() => ring.link([c])).toThrow(/members\[0\] was not started in order/);
    for (const dropped of [a, b, c]) await expect(dropped).rejects.toMatchObject(notSubmitted);
    await expect(between).resolves.toBeUndefined(); // not a member: it runs
  });

  it("refuses a link timeout first, an empty chain, a chain larger than the SQ and bad options", async () => {
    const timer = ring.linkTimeout(10);
    expect(() => ring.link([timer])).toThrow(/linkTimeout\(\) must follow/);
    await expect(timer).rejects.toMatchObject(notSubmitted);
    expect(() => ring.link([])).toThrow(RangeError);
    const five = [ring.nop(), ring.nop(), ring.nop(), ring.nop(), ring.nop()];
    expect(() => ring.link(five)).toThrow(/cannot fit in the 4-entry SQ/);
    for (const dropped of five) await expect(dropped).rejects.toMatchObject(notSubmitted);
    const members = [ring.nop(), ring.nop()];
    expect(() => ring.link(members, { hard: "yes" as unknown as boolean })).toThrow(/options\.hard/);
    for (const dropped of members) await expect(dropped).rejects.toMatchObject(notSubmitted);
    expect(() => ring.link("nope" as unknown as Promise<unknown>[])).toThrow(TypeError);
    expect(ring.pending).toBe(0);
  });

  it("a link() that throws starts nothing: no buffer filled, no byte written", async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, "untouched");
      const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC, 0o600);
      await ring.write(fd, bytesOf("before"), 0);
      const buf = new Uint8Array(6);
      const read = ring.read(fd, buf, 0);
      const write = ring.write(fd, bytesOf("after!"), 0);
      expect(() => ring.link([read, write, Promise.resolve()])).toThrow(/members\[2\]/);
      await expect(read).rejects.toMatchObject(notSubmitted);
      await expect(write).rejects.toMatchObject(notSubmitted);
      expect(buf).toEqual(new Uint8Array(6));
      expect(readFileSync(path, "utf8")).toBe("before");
      await ring.closeFd(fd);
    } finally {
      tmp.cleanup();
    }
  });

  it("a thrown link()'s members leave no unhandled rejection when the ring closes first", async () => {
    const other = RingClass.open({ entries: 4 });
    const a = other.nop();
    const b = other.nop();
    expect(() => other.link([b, a])).toThrow(TypeError);
    other.close();
    // Had they stayed queued, close() would reject them unhandled; they were dropped, handled.
    await new Promise((r) => setTimeout(r, 10));
    await expect(a).rejects.toMatchObject({ code: "ECANCELED" });
  });

  it("refuses linking a member twice, and the first chain still runs", async () => {
    const a = ring.nop();
    const b = ring.nop();
    const chain = ring.link([a, b]);
    expect(() => ring.link([a, b])).toThrow(/members\[0\] is already in a link chain/);
    expect((await chain).map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
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
