// Bad input is refused before it reaches the kernel, with an error naming
// the function and the argument.
import { afterAll, describe, expect, it } from "vitest";
import { uring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, UringError: UringErrorClass } = uring;

describe("argument validation", () => {
  const ring = RingClass.open({ entries: 8 });
  afterAll(() => ring.close());
  const buf = new Uint8Array(16);

  it.each([
    ["negative fd", () => ring.read(-1, buf, 0), RangeError, /read\(\): fd must be in \[0, 2147483647\], got -1/],
    ["fractional fd", () => ring.read(1.5, buf, 0), RangeError, /fd must be an integer/],
    ["NaN fd", () => ring.write(Number.NaN, buf, 0), RangeError, /write\(\): fd must be an integer, got NaN/],
    ["string fd", () => ring.read("3" as unknown as number, buf, 0), TypeError, /fd must be a number, got "3"/],
    ["non-buffer", () => ring.read(0, "hello" as unknown as Uint8Array, 0), TypeError, /buf must be an ArrayBuffer or a typed array/],
    ["plain array", () => ring.write(0, [1, 2] as unknown as Uint8Array, 0), TypeError, /buf must be/],
    ["offset beyond 2^53", () => ring.read(0, buf, 2 ** 53), RangeError, /offset must be in \[-1, 9007199254740991\]/],
    ["bigint offset beyond 2^53", () => ring.read(0, buf, 2n ** 60n), RangeError, /offset must be in/],
    ["offset -2", () => ring.write(0, buf, -2), RangeError, /offset must be in/],
    ["NUL in path", () => ring.openat("/tmp/a\0b"), TypeError, /path must not contain NUL/],
    ["non-string path", () => ring.statx(true as unknown as string), TypeError, /statx\(\): path must be a string or an fd/],
    ["bad mode", () => ring.openat("/tmp/x", 0, -1), RangeError, /openat\(\): mode must be in/],
    ["bad dirfd", () => ring.openat("x", 0, 0o644, -5), RangeError, /dirfd must be in/],
    ["negative timeout", () => ring.timeout(-1), RangeError, /timeout\(\): ms must be a finite number/],
    ["infinite timeout", () => ring.timeout(Infinity), RangeError, /ms must be a finite number/],
    ["empty iovec list", () => ring.readv(0, []), RangeError, /readv\(\): buffers must not be empty/],
    ["iovec of non-buffers", () => ring.writev(0, [buf, 3 as unknown as Uint8Array]), TypeError, /buffers\[1\] must be/],
    ["cancel of nonsense", () => ring.cancel(5 as unknown as "all"), TypeError, /cancel\(\): target must be/],
    ["batch prepRead negative fd", () => ring.prepRead(-3, 0, 1, 0), RangeError, /prepRead\(\): fd must be in/],
    ["batch prepRead huge len", () => ring.prepRead(0, 0, 2 ** 32, 0), RangeError, /len must be in/],
    // The kernel would write len bytes into a 16-byte view: past its end.
    ["batch prepRead len past the view", () => ring.prepRead(0, buf, 17, 0), RangeError, /prepRead\(\): len 17 exceeds buf's 16 bytes/],
    ["batch prepWrite offset -2", () => ring.prepWrite(0, buf, 16, -2), RangeError, /prepWrite\(\): offset must be in \[-1,/],
    ["batch prepRead offset NaN", () => ring.prepRead(0, buf, 16, Number.NaN), RangeError, /prepRead\(\): offset must be an integer/],
    ["batch prepNop userData -1", () => ring.prepNop(-1), RangeError, /prepNop\(\): userData must be in \[0, 4294967295\]/],
    ["batch prepNop bigint userData", () => ring.prepNop(5n as unknown as number), TypeError, /prepNop\(\): userData must be a number, got 5n/],
    ["batch prepReadFixed address NaN", () => ring.prepReadFixed(0, Number.NaN, 16, 0, 0), RangeError, /prepReadFixed\(\): buf must be an integer/],
    ["submitAndWait beyond the CQ", () => ring.submitAndWait(17), RangeError, /submitAndWait\(\): waitNr must be in \[0, 16\]/],
    ["reap without a callback", () => ring.reap(undefined as never), TypeError, /reap\(\): callback must be a function/],
    ["bigint fd", () => ring.read(3n as unknown as number, buf, 0), TypeError, /read\(\): fd must be a number, got 3n/],
  ])("%s", (_name, call, type, message) => {
    const before = ring.sqSpaceLeft();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(ring.sqSpaceLeft()).toBe(before); // nothing was queued
  });

  it("cancel of a promise that is not in flight cancels nothing", async () => {
    expect(await ring.cancel(Promise.resolve())).toBe(0);
    const done = ring.nop();
    await done;
    expect(await ring.cancel(done)).toBe(0);
  });

  it("a detached buffer", () => {
    const b = new ArrayBuffer(8);
    structuredClone(b, { transfer: [b] });
    expect(() => ring.read(0, b, 0)).toThrow(/buf is detached/);
  });

  it.each([
    ["entries 0", { entries: 0 }, RangeError, /options.entries must be in \[1, 32768\]/],
    ["entries too large", { entries: 1 << 20 }, RangeError, /options.entries/],
    ["cqEntries below entries", { entries: 64, cqEntries: 8 }, RangeError, /options.cqEntries must be in \[64,/],
    ["unknown mode", { mode: "fast" }, TypeError, /options.mode must be "auto", "no-mmap" or "mmap"/],
    ["non-object options", 7, TypeError, /Ring.open\(\): options must be an object/],
    ["bad sqpoll cpu", { sqpoll: { cpu: -1 } }, RangeError, /options.sqpoll.cpu/],
  ])("Ring.open with %s", (_name, options, type, message) => {
    expect(() => RingClass.open(options as never)).toThrow(type);
    expect(() => RingClass.open(options as never)).toThrow(message);
  });

  it("a closed ring refuses every call with ERING_CLOSED", () => {
    const r = RingClass.open({ entries: 2 });
    r.close();
    for (const call of [() => r.read(0, buf, 0), () => r.openat("/x"), () => r.timeout(1), () => r.submit(), () => r.reap(() => {})]) {
      expect(call).toThrow(UringErrorClass);
      try {
        call();
      } catch (e) {
        expect((e as UringError).code).toBe("ERING_CLOSED");
      }
    }
  });
});
