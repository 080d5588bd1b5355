// Ring.open({ restrictions }): IORING_REGISTER_RESTRICTIONS on a ring set
// up disabled, then IORING_REGISTER_ENABLE_RINGS. The kernel refuses what is
// not allowed with EACCES: SQEs (their CQE) and io_uring_register calls.
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, compatOff, random, rejection, tempDir, uring } from "./support/uring.ts";

const { Ring, BufferPool, IOSQE_ASYNC, IOSQE_FIXED_FILE, IORING_SETUP_R_DISABLED, IORING_SETUP_SINGLE_ISSUER, O_RDONLY } = uring;
const BLOCK = 4096;

describe("restrictions", () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  const data = random(2 * BLOCK, 3);

  beforeAll(() => {
    tmp = tempDir();
    path = join(tmp.dir, "data.bin");
    writeFileSync(path, data);
  });
  afterAll(() => tmp.cleanup());

  /** An fd of the data file, opened by an unrestricted ring. */
  async function openFd(): Promise<number> {
    using opener = Ring.open({ entries: 4 });
    return await opener.openat(path, O_RDONLY);
  }

  async function closeFd(fd: number): Promise<void> {
    using closer = Ring.open({ entries: 4 });
    await closer.closeFd(fd);
  }

  it("allows the listed ops and refuses any other with EACCES, naming the op", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["openat", "read", "close", "nop"] } });
    expect(ring.disabled).toBe(false);
    expect(ring.restrictions).toEqual({
      ops: ["nop", "asyncCancel", "openat", "close", "read"], sqeFlags: { allowed: 0, required: 0 }, registerOps: [],
    });
    await ring.nop();
    const fd = await ring.openat(path, O_RDONLY);
    const buf = new Uint8Array(BLOCK);
    expect(await ring.read(fd, buf, BLOCK)).toBe(BLOCK);
    expect(buf).toEqual(data.subarray(BLOCK));
    const refused = await rejection(ring.write(fd, buf, 0));
    expect([refused.code, refused.op]).toEqual(["EACCES", "write"]);
    // The message says it was the ring, and what it allows.
    expect(refused.message).toBe(
      "write: EACCES: Permission denied (this ring's restrictions do not allow write; they allow nop, asyncCancel, openat, close, read)",
    );
    expect((await rejection(ring.statx(path))).message).toMatch(/restrictions do not allow statx;/);
    // An SQE flag not allowed (IOSQE_IO_LINK of a chain) is refused the same way.
    const [first, second] = await ring.link([ring.nop(), ring.nop()]);
    expect(first.status === "rejected" && (first.reason as { code: string }).code).toBe("EACCES");
    expect(first.status === "rejected" && (first.reason as Error).message).toMatch(/restrictions do not allow the SQE flag IOSQE_IO_LINK\)$/);
    expect(second.status).toBe("rejected");
    await ring.closeFd(fd);
  });

  it("a multishot request the restrictions refuse ends its iterator with the same EACCES message", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["nop"] } });
    const fd = await openFd();
    try {
      let error: unknown;
      try {
        for await (const _ of ring.pollMultishot(fd, 1 /* POLLIN */)) throw new Error("a refused poll delivered an event");
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: "EACCES", op: "pollMultishot" });
      // Restrictions are by opcode: a multishot poll is IORING_OP_POLL_ADD, what restrictions.ops would have to name.
      expect((error as Error).message).toBe(
        "pollMultishot: EACCES: Permission denied (this ring's restrictions do not allow pollAdd; they allow nop, asyncCancel)",
      );
    } finally {
      await closeFd(fd);
    }
  });

  it("a refused zero-copy send, and a refused Connection write, name the op the restrictions lack", async () => {
    const listener = net.createServer((sock) => sock.resume());
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    try {
      using ring = Ring.open({ entries: 8, restrictions: { ops: ["socket", "connect", "close"] } });
      const conn = await uring.connect(ring, { port: (listener.address() as net.AddressInfo).port });
      const zc = await rejection(ring.sendZc(conn.fd, bytesOf("x")));
      expect(zc.message).toBe("sendZc: EACCES: Permission denied (this ring's restrictions do not allow sendZc; they allow asyncCancel, connect, close, socket)");
      // Connection's writes complete through a CQE sink of their own, not a promise: the same detail.
      const write = await rejection(conn.write("x"));
      expect(write.message).toBe("send: EACCES: Permission denied (this ring's restrictions do not allow send; they allow asyncCancel, connect, close, socket)");
      await conn.close();
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });

  it("an SQE without a required flag is refused, and the message names the flag", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["nop"], sqeFlags: { required: IOSQE_ASYNC } } });
    const refused = await rejection(ring.nop());
    expect(refused.code).toBe("EACCES");
    expect(refused.message).toMatch(/\(this ring's restrictions require the SQE flag IOSQE_ASYNC\)$/);
    await expect(ring.sqeSetFlags(ring.nop(), IOSQE_ASYNC)).resolves.toBeUndefined();
  });

  it("refuses a register opcode not allowed after enabling, and allows a listed one", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["read"], registerOps: ["IORING_REGISTER_FILES2"] } });
    const fd = await openFd();
    const files = ring.registerFiles([fd]);
    expect(files.length).toBe(1);
    await closeFd(fd);
    using pool = BufferPool.create({ count: 1, size: BLOCK });
    let error: unknown;
    try {
      ring.registerBuffers(pool);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(uring.UringError);
    expect(error).toMatchObject({ code: "EACCES", op: "registerBuffers" });
    // The library's own register calls are refused as well: probe() asks IORING_REGISTER_PROBE.
    expect(() => ring.probe()).toThrow(/EACCES/);
  });

  it("a disabled ring registers what it needs, rejects ops EBADFD until enableRings(), then enforces the restrictions", async () => {
    // Declared first, so closed after the ring: releasing it from a live ring
    // takes IORING_REGISTER_BUFFERS_UPDATE, which this ring may not use.
    using pool = BufferPool.create({ count: 1, size: BLOCK });
    using ring = Ring.open({
      entries: 8, disabled: true,
      restrictions: { ops: ["openat", "read", "readFixed", "close"], sqeFlags: { allowed: IOSQE_FIXED_FILE } },
    });
    expect(ring.disabled).toBe(true);
    expect(ring.setupFlags & IORING_SETUP_R_DISABLED).toBe(IORING_SETUP_R_DISABLED);
    ring.registerBuffers(pool); // REGISTER_BUFFERS2 is not allowed once enabled: now is the time
    const before = await rejection(ring.openat(path, O_RDONLY));
    expect([before.code, before.op]).toEqual(["EBADFD", "openat"]);
    ring.enableRings();
    expect(ring.disabled).toBe(false);
    expect(() => ring.enableRings()).toThrow(/not disabled/);
    const fd = await ring.openat(path, O_RDONLY);
    expect(await ring.readFixed(fd, pool, 0, 0)).toBe(BLOCK);
    expect(pool.view(0)).toEqual(data.subarray(0, BLOCK));
    // No register opcode is allowed once enabled.
    expect(() => ring.registerFiles([fd])).toThrow(/registerFiles: EACCES/);
    await ring.closeFd(fd);
  });

  it("sqeFlags.required: only SQEs carrying the flag pass (IOSQE_FIXED_FILE: registered files only)", async () => {
    using ring = Ring.open({
      entries: 8, disabled: true, restrictions: { ops: ["read"], sqeFlags: { required: IOSQE_FIXED_FILE } },
    });
    const fd = await openFd();
    const [file] = ring.registerFiles([fd]);
    ring.enableRings();
    const buf = new Uint8Array(BLOCK);
    expect(await ring.read(file, buf, BLOCK)).toBe(BLOCK);
    expect(buf).toEqual(data.subarray(BLOCK));
    expect((await rejection(ring.read(fd, buf, 0))).code).toBe("EACCES");
    await closeFd(fd);
  });

  it("single issuer: the thread that enables becomes the submitter; the eventfd registered while disabled wakes promises", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["pipe", "read", "write", "close", "timeout"] } });
    if (!compatOff.has("singleIssuer")) expect(ring.setupFlags & IORING_SETUP_SINGLE_ISSUER).toBe(IORING_SETUP_SINGLE_ISSUER);
    const [r, w] = await ring.pipe();
    const buf = new Uint8Array(16);
    // In flight while the event loop runs: only the eventfd wake-up can settle it.
    const pending = ring.read(r, buf);
    await ring.timeout(5);
    await ring.write(w, bytesOf("late"));
    expect(await pending).toBe(4);
    await Promise.all([ring.closeFd(r), ring.closeFd(w)]);
  });

  it("close() cancels what is in flight (ASYNC_CANCEL is always allowed)", async () => {
    using ring = Ring.open({ entries: 8, restrictions: { ops: ["pipe", "read"] } });
    const [r] = await ring.pipe();
    const pending = ring.read(r, new Uint8Array(8));
    const started = Date.now();
    ring.close();
    expect((await rejection(pending)).code).toBe("ECANCELED");
    // Well under close()'s 10 s deadline for requests it could not cancel.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("uses a registered ring fd only when close() may unregister it", () => {
    using plain = Ring.open({ entries: 4, restrictions: { ops: ["nop"] } });
    expect(plain.compat.registeredRing).toBe(false);
    expect(plain.compatReasons.registeredRing).toMatch(compatOff.has("registeredRing") ? /no-registered-ring/ : /IORING_UNREGISTER_RING_FDS/);
    using allowed = Ring.open({ entries: 4, restrictions: { ops: ["nop"], registerOps: ["IORING_UNREGISTER_RING_FDS"] } });
    expect(allowed.compat.registeredRing).toBe(!compatOff.has("registeredRing"));
  });

  it("rejects bad restrictions with errors naming the field", () => {
    const open = (restrictions: unknown) => () => Ring.open({ entries: 4, restrictions: restrictions as never });
    expect(open({})).toThrow(/options.restrictions.ops is required/);
    expect(open({ ops: "read" })).toThrow(/options.restrictions.ops must be an array/);
    expect(open({ ops: ["read", "teleport"] })).toThrow(/options.restrictions.ops\[1\] must be an io_uring opcode name/);
    expect(open({ ops: ["read"], registerOps: ["IORING_REGISTER_EVERYTHING"] })).toThrow(/options.restrictions.registerOps\[0\]/);
    expect(open({ ops: ["read"], sqeFlags: { allowed: 0x100 } })).toThrow(RangeError);
    expect(open({ ops: ["read"], sqeFlags: { wanted: 1 } })).toThrow(/sqeFlags.wanted is not a field/);
    expect(open({ ops: ["read"], limits: 1 })).toThrow(/options.restrictions.limits is not a restriction/);
    expect(open(null)).toThrow(TypeError);
    expect(() => Ring.open({ disabled: "yes" as never })).toThrow(/options.disabled/);
  });
});
