// Detection of dma-buf buffer registration (core/dmabuf-probe.ts): the
// descriptor layout byte by byte, what each kernel answer means, and the
// probe on the running kernel, which must leave the ring as it found it.
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { random, ringConfigs, skip, tempDir, uring } from "./support/uring.ts";
import * as D from "../core/dmabuf-probe.ts";
import { getNative, type Native } from "../core/native.ts";

const { Ring, UringError, NativeBuffer, O_RDONLY } = uring;
const native = getNative();
const EINVAL = 22;
const EBADF = 9;
const EOVERFLOW = 75;
const ENXIO = 6;
const EOPNOTSUPP = 95;

/** The flags-word check done here without core/dmabuf-probe.ts: the kernel's raw answer. */
function rawExtendedUpdate(ringFd: number, offset: number, flags: number): number {
  const mem = new Uint8Array(32 + 80);
  const view = new DataView(mem.buffer);
  const addr = native.addressOf(mem);
  view.setUint32(0, offset, true);
  view.setUint32(4, flags, true);
  view.setBigUint64(8, BigInt(addr + 32), true);
  view.setUint32(24, 1, true);
  return native.register(ringFd, 16, addr, 32);
}

/** The registered-buffer table as /proc shows it ("UserBufs: n" and one line per slot). */
function bufferTable(ringFd: number): string {
  const info = readFileSync(`/proc/self/fdinfo/${ringFd}`, "utf8");
  const m = /^UserBufs:\s*(\d+)\n((?:\s+\d+:.*\n)*)/m.exec(info);
  if (!m) throw new Error(`no UserBufs in /proc/self/fdinfo/${ringFd}`);
  return m[0];
}

/** IORING_REGISTER_BUFFERS2 of the given iovecs (address 0 = an empty slot). */
function registerBuffers(ringFd: number, iovecs: Array<[number, number]>): number {
  const mem = new Uint8Array(32 + 16 * iovecs.length);
  const view = new DataView(mem.buffer);
  const addr = native.addressOf(mem);
  view.setUint32(0, iovecs.length, true);
  view.setBigUint64(16, BigInt(addr + 32), true);
  iovecs.forEach(([base, len], i) => {
    view.setBigUint64(32 + 16 * i, BigInt(base), true);
    view.setBigUint64(32 + 16 * i + 8, BigInt(len), true);
  });
  return native.register(ringFd, 15, addr, 32);
}

function registerSparse(ringFd: number, nr: number): number {
  const mem = new Uint8Array(32);
  new DataView(mem.buffer).setUint32(0, nr, true);
  new DataView(mem.buffer).setUint32(4, 1, true);
  return native.register(ringFd, 15, native.addressOf(mem), 32);
}

const unregisterBuffers = (ringFd: number) => native.register(ringFd, 1, 0, 0);

interface Recorded {
  native: Native;
  /** Every register() call: the ring fd, opcode, nr_args and a copy of the argument's first 32 bytes. */
  calls: Array<{ fd: number; opcode: number; nrArgs: number; arg: Uint8Array; data?: Uint8Array }>;
  /** fds returned by setup(), and fds passed to close(). */
  setups: number[];
  closed: number[];
}

/** native with register(), setup() and close() recorded. */
function recording(): Recorded {
  const rec: Omit<Recorded, "native"> = { calls: [], setups: [], closed: [] };
  const proxy = new Proxy(native, {
    get(target, key) {
      if (key === "register") {
        return (ringFd: number, opcode: number, arg: number, nrArgs: number) => {
          const copy = arg ? new Uint8Array(native.bufferAt(arg, 32).slice(0)) : new Uint8Array(0);
          // BUFFERS_UPDATE: also the first element `data` points at (an 80-byte descriptor with EXTENDED).
          const data = opcode === 16 ? Number(new DataView(copy.buffer).getBigUint64(8, true)) : 0;
          rec.calls.push({ fd: ringFd, opcode, nrArgs, arg: copy, data: data ? new Uint8Array(native.bufferAt(data, 80).slice(0)) : undefined });
          return target.register(ringFd, opcode, arg, nrArgs);
        };
      }
      if (key === "setup") {
        return (entries: number, params: number) => {
          const fd = target.setup(entries, params);
          rec.setups.push(fd);
          return fd;
        };
      }
      if (key === "close") {
        return (fd: number) => {
          rec.closed.push(fd);
          return target.close(fd);
        };
      }
      const v = Reflect.get(target, key) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { native: proxy, ...rec };
}

// Whether this kernel treats the flags word as reserved, asked directly.
const probeRing = Ring.open();
const flagsReserved = rawExtendedUpdate(probeRing.fd, 0xffff_ffff, D.IORING_RSRC_UPDATE_EXTENDED) === -EINVAL;
probeRing.close();
const noSeriesReason = "the kernel takes the io_uring_rsrc_update2 flags word (has a version of the dmabuf series)";

describe("struct layouts", () => {
  it("encodeRegbufDesc writes every field at its offset, little-endian, and zeroes __resv[6]", () => {
    const b = D.encodeRegbufDesc({
      type: D.IO_REGBUF_TYPE_DMABUF, flags: 0x0a0b0c0d, size: 0x1122334455667788n, uaddr: 0x0123456789abcdefn,
      dmabufFd: -1, targetFd: 0x01020304,
    }, new Uint8Array(80).fill(0xee));
    expect(b.length).toBe(80);
    expect(D.REGBUF_DESC_SIZE).toBe(80);
    expect([...b.subarray(0, 4)]).toEqual([2, 0, 0, 0]); // type
    expect([...b.subarray(4, 8)]).toEqual([0x0d, 0x0c, 0x0b, 0x0a]); // flags
    expect([...b.subarray(8, 16)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]); // size
    expect([...b.subarray(16, 24)]).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]); // uaddr
    expect([...b.subarray(24, 28)]).toEqual([0xff, 0xff, 0xff, 0xff]); // dmabuf_fd
    expect([...b.subarray(28, 32)]).toEqual([4, 3, 2, 1]); // target_fd
    expect(b.subarray(32, 80).every((v) => v === 0)).toBe(true); // __resv[6]
    expect([D.REGBUF_DESC_OFF_TYPE, D.REGBUF_DESC_OFF_FLAGS, D.REGBUF_DESC_OFF_SIZE, D.REGBUF_DESC_OFF_UADDR,
      D.REGBUF_DESC_OFF_DMABUF_FD, D.REGBUF_DESC_OFF_TARGET_FD, D.REGBUF_DESC_OFF_RESV]).toEqual([0, 4, 8, 16, 24, 28, 32]);
    expect([D.IO_REGBUF_TYPE_EMPTY, D.IO_REGBUF_TYPE_UADDR, D.IO_REGBUF_TYPE_DMABUF]).toEqual([0, 1, 2]);
    expect(D.IORING_RSRC_UPDATE_EXTENDED).toBe(2);
  });

  it("encodeRegbufDesc defaults omitted fields to 0 and packs an array back to back", () => {
    const arr = new Uint8Array(160).fill(0xee);
    D.encodeRegbufDesc({ type: D.IO_REGBUF_TYPE_UADDR, uaddr: 0x7f00_0000_1000, size: 4096 }, arr, 0);
    D.encodeRegbufDesc({ type: D.IO_REGBUF_TYPE_EMPTY }, arr, 80);
    const v = new DataView(arr.buffer);
    expect(v.getUint32(0, true)).toBe(1);
    expect(v.getBigUint64(8, true)).toBe(4096n);
    expect(v.getBigUint64(16, true)).toBe(0x7f00_0000_1000n);
    expect(v.getInt32(24, true)).toBe(0);
    expect(v.getInt32(28, true)).toBe(0);
    expect(arr.subarray(80).every((x) => x === 0)).toBe(true);
  });

  it("encodeRegbufDesc rejects values the C types cannot hold", () => {
    expect(() => D.encodeRegbufDesc({ type: -1 })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 2 ** 32 })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 2, dmabufFd: 2 ** 31 })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 2, size: -1 })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 1, uaddr: 1n << 64n })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 1, uaddr: 1.5 })).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: "1" as unknown as number })).toThrow(TypeError);
    expect(() => D.encodeRegbufDesc({ type: 1 }, new Uint8Array(100), 21)).toThrow(RangeError);
    expect(() => D.encodeRegbufDesc({ type: 1 }, new Uint8Array(79))).toThrow(RangeError);
  });

  it("encodeRsrcUpdate2 lays out offset, flags (mainline: resv), data, tags, nr, resv2", () => {
    const b = D.encodeRsrcUpdate2({ offset: 0xffff_fffe, flags: D.IORING_RSRC_UPDATE_EXTENDED, data: 0x1122_3344_5566, tags: 0x7788n, nr: 3 },
      new Uint8Array(32).fill(0xee));
    const v = new DataView(b.buffer);
    expect(v.getUint32(0, true)).toBe(0xffff_fffe);
    expect(v.getUint32(4, true)).toBe(2);
    expect(v.getBigUint64(8, true)).toBe(0x1122_3344_5566n);
    expect(v.getBigUint64(16, true)).toBe(0x7788n);
    expect(v.getUint32(24, true)).toBe(3);
    expect(v.getUint32(28, true)).toBe(0);
    expect(D.RSRC_UPDATE2_SIZE).toBe(32);
  });
});

describe("what each kernel answer means", () => {
  const rel = "6.18.44";

  it("EINVAL to the flags word: no dma-buf registration", () => {
    const r = D.interpretExtendedFlagAnswer(-EINVAL, rel);
    expect(r).toEqual({
      supported: false,
      reason: expect.stringContaining("IORING_REGISTER_BUFFERS_UPDATE rejected IORING_RSRC_UPDATE_EXTENDED with EINVAL: this kernel (6.18.44) has no dma-buf buffer registration (the 2026 io_uring dmabuf series)"),
    });
  });

  it("EOVERFLOW to the flags word: go on to the type check", () => {
    expect(D.interpretExtendedFlagAnswer(-EOVERFLOW, rel)).toBeUndefined();
  });

  it("anything else to the flags word is not relied on", () => {
    for (const res of [-13, -17, -EBADF, -14, 0, 1]) {
      const r = D.interpretExtendedFlagAnswer(res, rel)!;
      expect(r.supported).toBe(false);
      expect(r.reason).toContain(rel);
    }
    expect(D.interpretExtendedFlagAnswer(-13, rel)!.reason).toContain("restricted");
    expect(D.interpretExtendedFlagAnswer(-17, rel)!.reason).toContain("SINGLE_ISSUER");
  });

  it("the type check: EBADF (target_fd -1 refused) means supported; EOPNOTSUPP, EINVAL and the rest do not", () => {
    expect(D.interpretDmabufTypeAnswer(-EBADF, rel).supported).toBe(true);
    const off = D.interpretDmabufTypeAnswer(-EOPNOTSUPP, rel);
    expect(off.supported).toBe(false);
    expect(off.reason).toContain("CONFIG_DMABUF_TOKEN");
    const noType = D.interpretDmabufTypeAnswer(-EINVAL, rel);
    expect(noType.supported).toBe(false);
    expect(noType.reason).toContain("IO_REGBUF_TYPE_DMABUF was refused with EINVAL");
    for (const res of [0, 1, -ENXIO, -12, -14]) expect(D.interpretDmabufTypeAnswer(res, rel).supported).toBe(false);
  });
});

describe("probeDmabufRegistration on the running kernel", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("this kernel rejects the flags word where the probe expects it to (EINVAL, even with no buffer table), and the offset check is real", (ctx) => {
    if (!flagsReserved) skip(ctx, noSeriesReason);
    using ring = Ring.open();
    expect(rawExtendedUpdate(ring.fd, 0, D.IORING_RSRC_UPDATE_EXTENDED)).toBe(-EINVAL);
    // Without the flag the same offset fails the overflow check the series reaches instead.
    expect(rawExtendedUpdate(ring.fd, 0xffff_ffff, 0)).toBe(-EOVERFLOW);
    expect(rawExtendedUpdate(ring.fd, 0, 0)).toBe(-ENXIO);
  });

  it("says unsupported with the EINVAL reason", (ctx) => {
    if (!flagsReserved) skip(ctx, noSeriesReason);
    using ring = Ring.open();
    const r = D.probeDmabufRegistration(native, ring.fd);
    expect(r.supported).toBe(false);
    expect(r.reason).toMatch(/^IORING_REGISTER_BUFFERS_UPDATE rejected IORING_RSRC_UPDATE_EXTENDED with EINVAL: this kernel \(.+\) has no dma-buf buffer registration \(the 2026 io_uring dmabuf series\)/);
    expect(r.reason).toContain(native.kernelRelease() ?? "release unknown");
  });

  it("issues one IORING_REGISTER_BUFFERS_UPDATE at offset 2^32-1 and never a 2022 opcode", (ctx) => {
    if (!flagsReserved) skip(ctx, noSeriesReason);
    using ring = Ring.open();
    const rec = recording();
    D.probeDmabufRegistration(rec.native, ring.fd);
    expect(rec.calls.map((c) => [c.opcode, c.nrArgs])).toEqual([[16, 32]]);
    const v = new DataView(rec.calls[0]!.arg.buffer);
    expect(v.getUint32(0, true)).toBe(0xffff_ffff); // offset
    expect(v.getUint32(4, true)).toBe(D.IORING_RSRC_UPDATE_EXTENDED);
    expect(v.getBigUint64(16, true)).toBe(0n); // tags
    expect(v.getUint32(24, true)).toBe(1); // nr
    expect(v.getUint32(28, true)).toBe(0);
    for (const c of rec.calls) expect([20, 26, 27, 28, 29]).not.toContain(c.opcode);
  });

  it("gives the same answer twice", () => {
    using ring = Ring.open();
    const a = D.probeDmabufRegistration(native, ring.fd);
    const b = D.probeDmabufRegistration(native, ring.fd);
    expect(b).toEqual(a);
  });

  it("leaves the ring fully usable, with no buffer table behind", async () => {
    using ring = Ring.open();
    expect(bufferTable(ring.fd)).toMatch(/^UserBufs:\s*0\n/);
    D.probeDmabufRegistration(native, ring.fd);
    expect(bufferTable(ring.fd)).toMatch(/^UserBufs:\s*0\n/);
    // A table can still be registered (EBUSY would mean one was left behind), then dropped.
    expect(registerSparse(ring.fd, 1)).toBe(0);
    expect(unregisterBuffers(ring.fd)).toBe(0);
    await ring.nop();
    const data = random(5000, 41);
    const path = join(tmp.dir, "after-probe");
    writeFileSync(path, data);
    const fd = await ring.openat(path, O_RDONLY);
    const buf = new Uint8Array(5000);
    expect(await ring.read(fd, buf, 0)).toBe(5000);
    expect(buf).toEqual(data);
    await ring.closeFd(fd);
  });

  describe.each(ringConfigs)("on a $name ring", ({ options }) => {
    it("gives the same answer as on a default ring, and the ring still works", async () => {
      using plain = Ring.open();
      const expected = D.probeDmabufRegistration(native, plain.fd);
      using ring = Ring.open(options);
      expect(D.probeDmabufRegistration(native, ring.fd)).toEqual(expected);
      expect(bufferTable(ring.fd)).toMatch(/^UserBufs:\s*0\n/);
      await ring.nop();
      const buf = new Uint8Array(16);
      const path = join(tmp.dir, "config-read");
      writeFileSync(path, "sixteen bytes!!!");
      const fd = await ring.openat(path, O_RDONLY);
      expect(await ring.read(fd, buf, 0)).toBe(16);
      expect(new TextDecoder().decode(buf)).toBe("sixteen bytes!!!");
      await ring.closeFd(fd);
    });
  });

  it("leaves a ring's own buffer table exactly as it was", async () => {
    using ring = Ring.open();
    using mem = NativeBuffer.alloc(8192);
    expect(registerBuffers(ring.fd, [[mem.address, 4096], [0, 0], [mem.address + 4096, 4096]])).toBe(0);
    const before = bufferTable(ring.fd);
    expect(before).toMatch(/^UserBufs:\s*3\n/);
    D.probeDmabufRegistration(native, ring.fd);
    D.probeDmabufRegistration(native, ring.fd);
    expect(bufferTable(ring.fd)).toBe(before);
    expect(registerSparse(ring.fd, 1)).toBe(-16); // EBUSY: still registered
    expect(unregisterBuffers(ring.fd)).toBe(0);
    await ring.nop();
  });

  it("the scratch-ring type check sets up and closes its own ring (here: EINVAL, the flags word is reserved)", (ctx) => {
    if (!flagsReserved) skip(ctx, noSeriesReason);
    const rec = recording();
    expect(D.probeDmabufTypeRaw(rec.native)).toBe(-EINVAL);
    expect(rec.setups).toHaveLength(1);
    expect(rec.setups[0]).toBeGreaterThanOrEqual(0);
    expect(rec.closed).toEqual(rec.setups);
    // A 1-slot sparse table on the scratch ring, then slot 0 with a DMABUF descriptor.
    expect(rec.calls.map((c) => [c.fd, c.opcode, c.nrArgs])).toEqual([[rec.setups[0], 15, 32], [rec.setups[0], 16, 32]]);
    const reg = new DataView(rec.calls[0]!.arg.buffer);
    expect([reg.getUint32(0, true), reg.getUint32(4, true), reg.getBigUint64(16, true)]).toEqual([1, D.IORING_RSRC_REGISTER_SPARSE, 0n]);
    const up = new DataView(rec.calls[1]!.arg.buffer);
    expect([up.getUint32(0, true), up.getUint32(4, true), up.getUint32(24, true)]).toEqual([0, D.IORING_RSRC_UPDATE_EXTENDED, 1]);
    const desc = new DataView(rec.calls[1]!.data!.buffer);
    expect([desc.getUint32(0, true), desc.getBigUint64(8, true), desc.getBigUint64(16, true), desc.getInt32(24, true), desc.getInt32(28, true)])
      .toEqual([D.IO_REGBUF_TYPE_DMABUF, 0n, 0n, -1, -1]);
  });

  it("throws for something that is not a ring", () => {
    expect(() => D.probeDmabufRegistration(native, -1)).toThrow(RangeError);
    const path = join(tmp.dir, "not-a-ring");
    writeFileSync(path, "x");
    const fd = openSync(path, "r");
    try {
      const e = catchError(() => D.probeDmabufRegistration(native, fd));
      expect(e).toBeInstanceOf(UringError);
      expect((e as InstanceType<typeof UringError>).code).toBe("EOPNOTSUPP");
    } finally {
      closeSync(fd);
    }
    const e = catchError(() => D.probeDmabufRegistration(native, fd));
    expect((e as InstanceType<typeof UringError>).code).toBe("EBADF");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
