// Timers, cancellation, messages between rings, futexes, waitid and the
// probe gate, against the real kernel.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, ringConfigs, skip, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, UringError: UringErrorClass, POLLIN, P_PID, WEXITED, WNOWAIT, CLD_EXITED, probe } = uring;

describe.each(ringConfigs.slice(0, 2))("control ops ($name)", ({ options }) => {
  let ring: Ring;
  beforeAll(() => {
    ring = RingClass.open(options);
  });
  afterAll(() => ring.close());

  it("timeout with a count completes once that many other requests have", async () => {
    const started = performance.now();
    const timer = ring.timeout(10_000, { count: 2 });
    await Promise.all([ring.nop(), ring.nop()]);
    await timer;
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("an absolute timeout in the past fires at once; one far ahead can be cancelled", async () => {
    const started = performance.now();
    await ring.timeout(0, { absolute: true });
    expect(performance.now() - started).toBeLessThan(1_000);
    const far = ring.timeout(1e9, { absolute: true });
    await ring.nop();
    await expect(ring.cancel(far)).resolves.toBe(1);
    expect((await rejection(far)).code).toBe("ECANCELED");
  });

  it("cancel by fd and cancel all count what they cancelled", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const polls = [ring.pollAdd(readFd, POLLIN), ring.pollAdd(readFd, POLLIN)];
    await ring.nop();
    await expect(ring.cancel({ fd: readFd })).resolves.toBe(2);
    for (const p of polls) expect((await rejection(p)).code).toBe("ECANCELED");
    const more = [ring.pollAdd(readFd, POLLIN), ring.timeout(60_000)];
    await ring.nop();
    await expect(ring.cancel("all")).resolves.toBe(2);
    for (const p of more) expect((await rejection(p)).code).toBe("ECANCELED");
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("msgRing delivers values and tags to another ring, in order", async () => {
    const other = RingClass.open({ entries: 8 });
    try {
      const received: { value: number; data: number }[] = [];
      const reading = (async () => {
        for await (const m of other.messages()) {
          received.push(m);
          if (received.length === 3) break;
        }
      })();
      await ring.msgRing(other, 1, { data: 10 });
      await ring.msgRing(other, -2, { data: 0xffff_ffff });
      await ring.msgRing(other, 2 ** 31 - 1);
      await reading;
      expect(received).toEqual([{ value: 1, data: 10 }, { value: -2, data: 0xffff_ffff }, { value: 2 ** 31 - 1, data: 0 }]);
      // A message sent before anyone listens waits in the target.
      await ring.msgRing(other, 77);
      await expect(other.receiveMessage()).resolves.toEqual({ value: 77, data: 0 });
    } finally {
      other.close();
    }
    expect(() => ring.msgRing(other, 1)).toThrow(/target is closed/);
  });

  it("futexWake wakes futexWait waiters and reports how many", async () => {
    const words = new Int32Array(new SharedArrayBuffer(16));
    const waits = [ring.futexWait(words, 1, 0), ring.futexWait(words, 1, 0), ring.futexWait(words, 1, 0)];
    await ring.nop(); // the waits are queued in the kernel
    await expect(ring.futexWake(words, 1, 2)).resolves.toBe(2);
    await Promise.all(waits.slice(0, 2));
    await expect(ring.futexWake(words, 1, 10)).resolves.toBe(1);
    await waits[2];
    await expect(ring.futexWake(words, 1)).resolves.toBe(0);
  });

  it("futexWait rejects EAGAIN when the word no longer holds the expected value", async () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    words[0] = 5;
    expect((await rejection(ring.futexWait(words, 0, 4))).code).toBe("EAGAIN");
  });

  it("futexWaitv resolves with the index of the word woken", async () => {
    const a = new Int32Array(new SharedArrayBuffer(8));
    const b = new Uint32Array(new ArrayBuffer(8));
    const wait = ring.futexWaitv([{ view: a, index: 0, expected: 0 }, { view: b, index: 1, expected: 0 }]);
    await ring.nop();
    await expect(ring.futexWake(b, 1)).resolves.toBe(1);
    await expect(wait).resolves.toBe(1);
  });

  it("waitid reports a child's exit status", async (ctx) => {
    const child = spawn("sh", ["-c", "sleep 0.2; exit 3"], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // WNOWAIT: look without reaping, so the runtime still collects its child.
    const info = await ring.waitid(P_PID, child.pid!, WEXITED | WNOWAIT).catch((e: UringError) => e);
    await exited;
    if (info instanceof UringErrorClass && info.code === "ECHILD") {
      skip(ctx, "the runtime reaped its child before the kernel ran our waitid (ECHILD)");
      return;
    }
    expect(info).toEqual({ signo: 17, code: CLD_EXITED, pid: child.pid, uid: process.getuid!(), status: 3 });
  });
});

describe("control ops: bad input", () => {
  const ring = RingClass.open({ entries: 8 });
  afterAll(() => ring.close());
  const words = new Int32Array(new SharedArrayBuffer(8));

  it.each([
    ["futexWait on a plain array", () => ring.futexWait([0] as unknown as Int32Array, 0, 0), TypeError, /futexWait\(\): view must be an Int32Array/],
    ["futexWait index out of range", () => ring.futexWait(words, 2, 0), RangeError, /futexWait\(\): index must be in \[0, 1\]/],
    ["futexWait mask 0", () => ring.futexWait(words, 0, 0, { mask: 0 }), RangeError, /options.mask/],
    ["futexWake count 0", () => ring.futexWake(words, 0, 0), RangeError, /futexWake\(\): count/],
    ["futexWaitv empty", () => ring.futexWaitv([]), RangeError, /futexWaitv\(\): futexes must have 1 to 128/],
    ["futexWaitv bad entry", () => ring.futexWaitv([{ view: words, index: 0, expected: "x" as unknown as number }]), TypeError, /futexes\[0\]\.expected/],
    ["msgRing to a non-ring", () => ring.msgRing({} as Ring, 1), TypeError, /msgRing\(\): target must be a Ring/],
    ["msgRing value beyond int32", () => ring.msgRing(ring, 2 ** 31), RangeError, /msgRing\(\): value/],
    ["msgRing data beyond uint32", () => ring.msgRing(ring, 1, { data: -1 }), RangeError, /options.data/],
    ["waitid without a state", () => ring.waitid(P_PID, 1, WNOWAIT), RangeError, /must include WEXITED/],
    ["waitid unknown option bits", () => ring.waitid(P_PID, 1, WEXITED | 0x40), RangeError, /waitid\(\): options has unknown bits/],
    ["waitid bad idtype", () => ring.waitid(9, 1, WEXITED), RangeError, /waitid\(\): idtype/],
    ["linkTimeout NaN", () => ring.linkTimeout(Number.NaN), RangeError, /linkTimeout\(\): ms/],
    ["timeout count negative", () => ring.timeout(1, { count: -1 }), RangeError, /options.count/],
  ])("%s", (_name, call, type, message) => {
    const before = ring.pending;
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(ring.pending).toBe(before);
  });
});

describe("the probe gate", () => {
  it("rejects an op the (assumed) kernel lacks before submission, naming the op and its release", async () => {
    const ring = RingClass.open({ entries: 8, assumeKernel: "5.10" });
    try {
      expect(ring.supports("pipe")).toBe(false);
      expect(ring.supports("nop")).toBe(true);
      const error = await rejection(ring.pipe());
      expect(error.code).toBe("EOPNOTSUPP");
      expect(error.op).toBe("pipe");
      expect(error.message).toMatch(/'pipe' \(IORING_OP_PIPE\) needs Linux 6\.16\+/);
      expect((await rejection(ring.mkdirat("/tmp/never-made"))).message).toMatch(/5\.15\+/);
      await expect(ring.nop()).resolves.toBeUndefined();
      expect(ring.pending).toBe(0);
    } finally {
      ring.close();
    }
    expect(() => RingClass.open({ assumeKernel: "soon" })).toThrow(/options.assumeKernel/);
  });

  it("ring.supports agrees with the module-level probe", () => {
    const ring = RingClass.open({ entries: 8 });
    try {
      const kernel = probe();
      for (const name of ["nop", "readvFixed", "pipe", "futexWaitv", "msgRing"]) expect(ring.supports(name)).toBe(kernel.supports(name));
      expect(ring.probe().opcodes).toEqual(kernel.opcodes);
      expect(() => ring.supports("teleport")).toThrow(TypeError);
    } finally {
      ring.close();
    }
  });
});
