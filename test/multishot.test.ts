// Multishot requests as async iterators: they yield one item per CQE, end
// when the kernel clears IORING_CQE_F_MORE, and leaving the loop cancels
// the request and waits for its final CQE.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, ringConfigs, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, POLLIN } = uring;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

describe.each(ringConfigs)("multishot ($name)", ({ options }) => {
  let ring: Ring;

  beforeAll(() => {
    ring = RingClass.open(options);
  });
  afterAll(() => ring.close());

  it("timeoutMultishot yields 1..count, then ends as the kernel clears F_MORE", async () => {
    const ticks: number[] = [];
    for await (const tick of ring.timeoutMultishot(5, { count: 3 })) ticks.push(tick);
    expect(ticks).toEqual([1, 2, 3]);
    expect(ring.pending).toBe(0);
  });

  it("break cancels an endless timer and waits for its final CQE", async () => {
    let last = 0;
    for await (const tick of ring.timeoutMultishot(2)) {
      last = tick;
      if (tick === 4) break;
    }
    expect(last).toBe(4);
    expect(ring.pending).toBe(0);
  });

  it("pollMultishot reports readiness every time, until the loop is left", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const events: number[] = [];
    const drain = new Uint8Array(16);
    await ring.write(writeFd, bytesOf("a"));
    for await (const revents of ring.pollMultishot(readFd, POLLIN)) {
      events.push(revents);
      await ring.read(readFd, drain);
      if (events.length === 3) break;
      await ring.write(writeFd, bytesOf("b"));
    }
    expect(events).toEqual([POLLIN, POLLIN, POLLIN]);
    expect(ring.pending).toBe(0);
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("readMultishot yields exactly what was written, re-arming when its buffers run out", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const data = pattern(10_000);
    // 4 buffers of 256 bytes: the kernel runs out (ENOBUFS) many times over.
    const chunks: Uint8Array[] = [];
    const reading = (async () => {
      for await (const chunk of ring.readMultishot(readFd, { bufferSize: 256, buffers: 4 })) {
        chunks.push(chunk);
        if (chunks.length % 5 === 0) await sleep(1); // a slow consumer
      }
    })();
    for (let at = 0; at < data.length; at += 1000) await ring.write(writeFd, data.subarray(at, at + 1000));
    await ring.closeFd(writeFd); // EOF ends the iteration
    await reading;
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(256);
      joined.set(c, at);
      at += c.length;
    }
    expect(joined).toEqual(data);
    expect(ring.pending).toBe(0);
    await ring.closeFd(readFd);
  });

  it("chunks stay valid after the loop moves on (they are copies)", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const it = ring.readMultishot(readFd, { bufferSize: 4, buffers: 1 });
    await ring.write(writeFd, bytesOf("wxyz"));
    const first = await it.next();
    await ring.write(writeFd, bytesOf("1234"));
    const second = await it.next();
    expect(new TextDecoder().decode(first.value as Uint8Array)).toBe("wxyz");
    expect(new TextDecoder().decode(second.value as Uint8Array)).toBe("1234");
    await it.return!();
    expect(ring.pending).toBe(0);
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });

  it("ring.cancel(iterator) ends it like break", async () => {
    const [readFd, writeFd] = await ring.pipe();
    const stream = ring.pollMultishot(readFd, POLLIN);
    const next = stream.next();
    await expect(ring.cancel(stream)).resolves.toBe(1);
    await expect(next).resolves.toEqual({ value: undefined, done: true });
    await expect(ring.cancel(stream)).resolves.toBe(0);
    expect(ring.pending).toBe(0);
    await Promise.all([ring.closeFd(readFd), ring.closeFd(writeFd)]);
  });
});

describe("multishot and the ring's lifetime", () => {
  it("close() ends a live iterator with ECANCELED", async () => {
    const ring = RingClass.open({ entries: 8 });
    const stream = ring.timeoutMultishot(1000);
    const next = stream.next();
    await ring.nop(); // the timer is armed
    ring.close();
    const error = await next.then(() => undefined, (e: UringError) => e);
    expect(error?.code).toBe("ECANCELED");
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it("an opcode the kernel lacks fails the iterator before submission", async () => {
    const ring = RingClass.open({ entries: 8, assumeKernel: "6.6" });
    try {
      const error = await ring.readMultishot(0).next().then(() => undefined, (e: UringError) => e);
      expect(error?.code).toBe("EOPNOTSUPP");
      expect(error?.message).toMatch(/readMultishot.*6\.7/);
    } finally {
      ring.close();
    }
  });

  it("validates before queueing anything", () => {
    const ring = RingClass.open({ entries: 8 });
    try {
      expect(() => ring.pollMultishot(-1, POLLIN)).toThrow(RangeError);
      expect(() => ring.pollMultishot(0, 1 << 20)).toThrow(/events has unknown bits/);
      expect(() => ring.readMultishot(0, { bufferSize: 0 })).toThrow(/options.bufferSize/);
      expect(() => ring.readMultishot(0, { buffers: 1e6 })).toThrow(/options.buffers/);
      expect(() => ring.timeoutMultishot(-5)).toThrow(RangeError);
      expect(() => ring.timeoutMultishot(5, { count: -1 })).toThrow(/options.count/);
      expect(ring.pending).toBe(0);
    } finally {
      ring.close();
    }
  });
});
