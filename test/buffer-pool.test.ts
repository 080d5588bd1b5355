// BufferPool: slots in one native mapping, zero-copy views, huge pages and
// mlock as the kernel reports them (/sys, /proc/self/smaps, VmLck), close
// with holders, and sharing with a Worker. Real I/O through the ring.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wrapMapping } from "../core/buffer-pool.ts";
import { getNative } from "../core/native.ts";
import { random, runUnderMemlockLimit, runtime, runtimeCommand, skip, tempDir, uring } from "./support/uring.ts";

const { BufferPool, Ring, UringError, memlockHint, O_RDONLY, O_RDWR, O_CREAT, O_DIRECT, O_TRUNC } = uring;
type BufferPool = import("../core/mod.ts").BufferPool;

const MiB = 1024 * 1024;

/** The fields of the VMA holding addr in /proc/self/smaps (values as written), or undefined. */
function smaps(addr: number): Record<string, string> | undefined {
  let fields: Record<string, string> | undefined;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const vma = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (vma) {
      if (fields) return fields;
      if (addr >= parseInt(vma[1], 16) && addr < parseInt(vma[2], 16)) fields = { range: line };
      continue;
    }
    const kv = /^(\w+):\s*(.*)$/.exec(line);
    if (fields && kv) fields[kv[1]] = kv[2].trim();
  }
  return fields;
}

/** The active word of a /sys selector ("always [madvise] never" → "madvise"). */
function selected(path: string): string | undefined {
  return existsSync(path) ? /\[(\w+)\]/.exec(readFileSync(path, "utf8"))?.[1] : undefined;
}

/** THP for 2 MiB pages as the kernel resolves it: the per-size setting unless "inherit", else the global one. */
function thpSetting(): string {
  const perSize = selected("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled");
  const setting = perSize && perSize !== "inherit" ? perSize : selected("/sys/kernel/mm/transparent_hugepage/enabled");
  // PR_SET_THP_DISABLE shows here as "THP_enabled: 0".
  return /^THP_enabled:\s*0/m.test(readFileSync("/proc/self/status", "utf8")) ? "never" : (setting ?? "never");
}

function hugetlbFree(): number {
  return Number(/^HugePages_Free:\s*(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
}

function vmLckBytes(): number {
  return Number(/^VmLck:\s*(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
}

/** RLIMIT_MEMLOCK soft and hard from /proc/self/limits: bytes or "unlimited". */
function procMemlock(): [string, string] {
  const m = /^Max locked memory\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"))!;
  return [m[1], m[2]];
}

describe("BufferPool", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("puts every slot on a multiple of align, stride apart, in one mapping", () => {
    using ring = Ring.open({ entries: 4 });
    for (const { count, size, align } of [
      { count: 5, size: 4096, align: undefined },
      { count: 3, size: 5000, align: undefined },
      { count: 4, size: 100, align: 65536 },
      { count: 3, size: MiB + 1, align: 2 * MiB },
    ]) {
      using pool = BufferPool.create({ count, size, align });
      const a = align ?? 4096;
      const stride = Math.ceil(size / a) * a;
      expect({ count: pool.count, size: pool.size, align: pool.align, stride: pool.stride, byteLength: pool.byteLength })
        .toEqual({ count, size, align: a, stride, byteLength: count * stride });
      expect(pool.owner).toBe(true);
      expect(pool.closed).toBe(false);
      for (let i = 0; i < count; i++) {
        const at = pool.slotAddress(i);
        expect(at % a).toBe(0);
        expect(at).toBe(pool.address + i * stride);
        expect(pool.view(i).length).toBe(size);
        // The view is the native memory itself: its address is the slot's.
        expect(ring.addressOf(pool.view(i))).toBe(at);
        expect(ring.addressOf(pool.view(i, 7, 3))).toBe(at + 7);
      }
      // One mapping holds the whole pool (the kernel may merge it with a neighbour, so it need not start there).
      expect(smaps(pool.address + pool.byteLength - 1)!.range).toBe(smaps(pool.address)!.range);
    }
  });

  it("views are zero-copy and zero-filled; slots do not overlap", () => {
    using pool = BufferPool.create({ count: 3, size: 5000 });
    for (let i = 0; i < 3; i++) expect(pool.view(i).every((b) => b === 0)).toBe(true);
    pool.view(1).fill(0xab);
    pool.view(1, 100, 4).set([1, 2, 3, 4]);
    const other = pool.view(1);
    expect(Array.from(other.subarray(98, 106))).toEqual([0xab, 0xab, 1, 2, 3, 4, 0xab, 0xab]);
    expect(pool.view(1, 4999)).toEqual(new Uint8Array([0xab]));
    expect(pool.view(1, 5000).length).toBe(0);
    expect(pool.view(0).every((b) => b === 0)).toBe(true);
    expect(pool.view(2).every((b) => b === 0)).toBe(true);
    // Views of different slots share one backing buffer over the mapping.
    expect(pool.view(0).buffer).toBe(pool.view(2).buffer);
    expect(pool.view(2).byteOffset - pool.view(0).byteOffset).toBe(2 * pool.stride);
  });

  it("ring.write sends a slot's bytes to a file and ring.read fills one from a file", async () => {
    using ring = Ring.open({ entries: 8 });
    using pool = BufferPool.create({ count: 4, size: 8192 });
    const data = random(8192, 7);
    pool.view(2).set(data);
    const path = join(tmp.dir, "pool-write.bin");
    const fd = await ring.openat(path, O_RDWR | O_CREAT | O_TRUNC, 0o600);
    expect(await ring.write(fd, pool.view(2), 0)).toBe(8192);
    expect(await ring.write(fd, pool.view(2, 10, 90), 8192)).toBe(90);
    await ring.closeFd(fd);
    const file = readFileSync(path);
    expect(new Uint8Array(file.subarray(0, 8192))).toEqual(data);
    expect(new Uint8Array(file.subarray(8192))).toEqual(data.subarray(10, 100));

    const input = random(6000, 11);
    writeFileSync(join(tmp.dir, "pool-read.bin"), input);
    const rfd = await ring.openat(join(tmp.dir, "pool-read.bin"), O_RDONLY);
    expect(await ring.read(rfd, pool.view(3, 100, 5000), 1000)).toBe(5000);
    await ring.closeFd(rfd);
    expect(pool.view(3, 100, 5000)).toEqual(input.subarray(1000, 6000));
    expect(pool.view(3, 0, 100).every((b) => b === 0)).toBe(true);
  });

  it("serves O_DIRECT reads into a slot", async (ctx) => {
    const path = join(tmp.dir, "pool-direct.bin");
    const data = random(64 * 1024, 3);
    writeFileSync(path, data);
    using ring = Ring.open({ entries: 8 });
    let fd: number;
    try {
      fd = await ring.openat(path, O_RDONLY | O_DIRECT);
    } catch (e) {
      skip(ctx, `${tmp.dir} does not support O_DIRECT (${(e as Error).message})`);
    }
    using pool = BufferPool.create({ count: 4, size: 16384 });
    const reads = [0, 1, 2, 3].map((i) => ring.read(fd, pool.view(i), (3 - i) * 16384));
    expect(await Promise.all(reads)).toEqual([16384, 16384, 16384, 16384]);
    for (let i = 0; i < 4; i++) expect(pool.view(i)).toEqual(data.subarray((3 - i) * 16384, (4 - i) * 16384));
    await ring.closeFd(fd);
  });

  it("reports the huge pages it got, as /sys and /proc/self/smaps say", () => {
    const thp = thpSetting();
    const transparent = thp === "always" || thp === "madvise";
    const hugetlb = hugetlbFree() >= 2;
    {
      using pool = BufferPool.create({ count: 2, size: 2 * MiB, hugePages: true });
      const vma = smaps(pool.address)!;
      expect(pool.hugePages).toBe(hugetlb ? "hugetlb" : transparent ? "transparent" : "none");
      if (pool.hugePages === "hugetlb") {
        expect(vma.KernelPageSize).toBe("2048 kB");
      } else {
        // madvise(MADV_HUGEPAGE) was given ("hg"); the kernel says whether it applies.
        expect(vma.VmFlags.split(" ")).toContain("hg");
        expect(vma.THPeligible).toBe(pool.hugePages === "transparent" ? "1" : "0");
        expect(pool.address % (2 * MiB)).toBe(0);
      }
      pool.view(0).fill(1); // huge pages or not, it is ordinary memory
      expect(pool.view(0)[2 * MiB - 1]).toBe(1);
    }
    if (!hugetlb) {
      // Too small to hold an aligned 2 MiB page: no THP whatever the setting.
      using small = BufferPool.create({ count: 4, size: 4096, hugePages: true });
      expect(small.hugePages).toBe("none");
      expect(smaps(small.address)!.THPeligible).toBe("0");
    }
    // Not asked for: only THP "always" gives them anyway.
    using plain = BufferPool.create({ count: 4, size: MiB, align: 2 * MiB });
    expect(plain.hugePages).toBe(thp === "always" ? "transparent" : "none");
    expect(smaps(plain.address)!.THPeligible).toBe(plain.hugePages === "transparent" ? "1" : "0");
  });

  it("lock: true mlocks the pool: smaps Locked and VmLck grow by its size", (ctx) => {
    const opts = { count: 4, size: 256 * 1024, lock: true };
    for (let attempt = 0; ; attempt++) {
      const before = vmLckBytes();
      let pool: BufferPool;
      try {
        pool = BufferPool.create(opts);
      } catch (e) {
        expect(String(e)).toMatch(/RLIMIT_MEMLOCK/);
        skip(ctx, `cannot mlock 1 MiB here: ${(e as Error).message}`);
      }
      try {
        expect(pool.locked).toBe(true);
        expect(smaps(pool.address)!.Locked).toBe("1024 kB");
        // Process-wide: another test file's thread may lock memory meanwhile, so retry.
        const grew = vmLckBytes() - before;
        if (grew !== pool.byteLength && attempt < 3) continue;
        expect(grew).toBe(pool.byteLength);
      } finally {
        pool.close();
      }
      break;
    }
    using unlocked = BufferPool.create({ count: 1, size: 4096 });
    expect(unlocked.locked).toBe(false);
    expect(smaps(unlocked.address)!.Locked).toBe("0 kB");
  });

  it("an mlock over RLIMIT_MEMLOCK is ENOMEM naming the bytes and the limit", (ctx) => {
    const result = runUnderMemlockLimit(ctx, 64, [
      `try { u.BufferPool.create({ count: 16, size: 65536, lock: true }); console.log(JSON.stringify({ ok: true })); }`,
      `catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    ]);
    expect(result.code).toBe("ENOMEM");
    expect(result.message).toBe(
      "BufferPool.create: ENOMEM: Cannot allocate memory (pinning 1048576 bytes; RLIMIT_MEMLOCK is 65536 bytes (soft) / 65536 (hard): raise it with ulimit -l or LimitMEMLOCK=)",
    );
  });

  it("memlockHint gives the bytes and getrlimit's RLIMIT_MEMLOCK", () => {
    const [soft, hard] = procMemlock();
    expect(memlockHint(8388608)).toBe(
      `pinning 8388608 bytes; RLIMIT_MEMLOCK is ${soft === "unlimited" ? soft : `${soft} bytes`} (soft) / ${hard} (hard): raise it with ulimit -l or LimitMEMLOCK=`,
    );
    // The shell's view of the same limit (ulimit -l counts KiB).
    const kib = execFileSync("sh", ["-c", "ulimit -l"], { encoding: "utf8" }).trim();
    expect(kib === "unlimited" ? kib : String(Number(kib) * 1024)).toBe(soft);
    expect(() => memlockHint(-1)).toThrow(RangeError);
    expect(() => memlockHint(1.5)).toThrow(/bytes must be an integer/);
  });

  it("close detaches every view, then view() and the rest throw ERING_CLOSED", () => {
    const pool = BufferPool.create({ count: 2, size: 4096 });
    const view = pool.view(1);
    const alias = new Uint32Array(view.buffer, view.byteOffset, 16);
    view.fill(9);
    pool.close();
    pool.close();
    expect(pool.closed).toBe(true);
    expect(view.length).toBe(0);
    expect(alias.length).toBe(0);
    expect(view[0]).toBeUndefined();
    for (const call of [() => pool.view(0), () => pool.slotAddress(0), () => pool.share(), () => pool.addHolder({ releasePool() {} })]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UringError);
      expect((error as InstanceType<typeof UringError>).code).toBe("ERING_CLOSED");
      expect(String(error)).toMatch(/pool is closed/);
    }
    expect(smaps(pool.address)?.range.startsWith(pool.address.toString(16)) ?? false).toBe(false);
    let disposed: BufferPool;
    {
      using scoped = BufferPool.create({ count: 1, size: 10 });
      expect(scoped.view(0).length).toBe(10);
      disposed = scoped;
    }
    expect(disposed.closed).toBe(true);
  });

  it("close calls releasePool once per holder, while the memory is still there, before freeing", () => {
    const pool = BufferPool.create({ count: 2, size: 4096 });
    const view = pool.view(0);
    view[0] = 42;
    const calls: string[] = [];
    const holder = (name: string) => ({
      releasePool(p: BufferPool) {
        expect(p).toBe(pool);
        expect(p.closed).toBe(true); // closing: no new holders, no new views
        expect(view[0]).toBe(42); // not yet detached or unmapped
        calls.push(name);
      },
    });
    const a = holder("a");
    const b = holder("b");
    const gone = holder("gone");
    const selfRemoving = {
      releasePool(p: BufferPool) {
        p.removeHolder(selfRemoving);
        p.removeHolder(a);
        calls.push("self");
      },
    };
    pool.addHolder(selfRemoving); // runs first and removes a: a is then skipped
    pool.addHolder(a);
    pool.addHolder(b);
    pool.addHolder(b);
    pool.addHolder(gone);
    pool.removeHolder(gone);
    expect(() => pool.addHolder({} as never)).toThrow(TypeError);
    pool.close();
    expect(calls).toEqual(["self", "b"]);
    expect(view.length).toBe(0);
    pool.close();
    expect(calls.length).toBe(2);
  });

  it("a holder that cannot release leaves the memory mapped and close throws EBUSY", () => {
    const pool = BufferPool.create({ count: 1, size: 4096 });
    const view = pool.view(0);
    const cause = new Error("kernel still busy");
    pool.addHolder({ releasePool() { throw cause; } });
    let error: unknown;
    try {
      pool.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UringError);
    expect((error as InstanceType<typeof UringError>).code).toBe("EBUSY");
    expect((error as Error).cause).toBe(cause);
    expect(pool.closed).toBe(true);
    expect(view.length).toBe(0);
    // Still mapped: the kernel may write it yet.
    expect(smaps(pool.address)).toBeDefined(); // still mapped
    pool.close(); // idempotent, no second throw
  });

  it("share() / attach() in this thread: same bytes, attached close never frees", () => {
    using pool = BufferPool.create({ count: 3, size: 3000, align: 8192, hugePages: true });
    const d = pool.share();
    expect(d).toEqual({
      address: pool.address, count: 3, size: 3000, stride: 8192, align: 8192, byteLength: 3 * 8192,
      hugePages: pool.hugePages, locked: false,
    });
    expect(structuredClone(d)).toEqual(d);
    const attached = BufferPool.attach(structuredClone(d));
    expect(attached.owner).toBe(false);
    expect(attached.slotAddress(2)).toBe(pool.slotAddress(2));
    pool.view(2).set([5, 6, 7]);
    expect(Array.from(attached.view(2, 0, 3))).toEqual([5, 6, 7]);
    attached.view(1, 2999).set([77]);
    expect(pool.view(1)[2999]).toBe(77);
    const attachedView = attached.view(0);
    attached.close();
    expect(attachedView.length).toBe(0);
    expect(pool.view(1)[2999]).toBe(77); // still mapped, owner's views intact
  });

  it("share() / attach() across a real Worker: it reads what this thread wrote, and its writes show here", async () => {
    using pool = BufferPool.create({ count: 2, size: 4096 });
    const data = random(4096, 21);
    pool.view(0).set(data);
    const url = new URL("./support/pool-worker.ts", import.meta.url).href;
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (e: MessageEvent<Record<string, unknown>>) => {
        worker.terminate();
        resolve(e.data);
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(new Error(`pool worker: ${(e as ErrorEvent).message}`));
      };
      worker.postMessage({ descriptor: pool.share(), fill: 0x3c });
    });
    expect(reply.error).toBeUndefined();
    expect(reply).toMatchObject({ owner: false, address: pool.address, slot1: pool.slotAddress(1), hugePages: pool.hugePages, detachedAfterClose: true });
    expect(new Uint8Array(reply.seen as number[])).toEqual(data);
    expect(pool.view(1).every((b) => b === 0x3c)).toBe(true);
    expect(pool.view(0)).toEqual(data); // the Worker's close freed nothing
  });

  it("wraps a shared fd mapping (us_mmap_fd) and frees it with its own function", async () => {
    const native = getNative();
    using ring = Ring.open({ entries: 4 });
    const path = join(tmp.dir, "mapped.bin");
    writeFileSync(path, new Uint8Array(3 * 4096));
    const fd = await ring.openat(path, O_RDWR);
    const out = new BigUint64Array(1);
    expect(native.mmapFd(fd, 3 * 4096, 0, native.addressOf(out))).toBe(0);
    await ring.closeFd(fd); // the mapping outlives the fd
    const address = Number(out[0]);
    let freed = 0;
    const pool = wrapMapping({
      address, byteLength: 3 * 4096, count: 3, size: 4096, stride: 4096, align: 4096, hugePages: "none", locked: false,
      free: () => (freed++, native.munmap(address, 3 * 4096)),
    });
    expect(pool.owner).toBe(true);
    pool.view(1).set([1, 2, 3]);
    expect(Array.from(readFileSync(path).subarray(4096, 4099))).toEqual([1, 2, 3]); // MAP_SHARED: the file's pages
    pool.close();
    expect(freed).toBe(1);
    expect(smaps(address)).toBeUndefined();
    expect(() => wrapMapping({ address, byteLength: 4096, count: 2, size: 4096, stride: 4096, align: 4096, hugePages: "none", locked: false }))
      .toThrow(/do not fit/);
    expect(native.mmapFd(-1, 4096, 0, native.addressOf(out))).toBe(-9); // EBADF
  });

  it("refuses bad input with TypeError/RangeError naming the argument", () => {
    const create = (o: unknown) => () => BufferPool.create(o as never);
    expect(create(undefined)).toThrow(TypeError);
    expect(create(null)).toThrow(TypeError);
    expect(create({ count: 0, size: 4096 })).toThrow(/count must be in/);
    expect(create({ count: 1, size: 0 })).toThrow(/size must be in/);
    expect(create({ count: 1.5, size: 4096 })).toThrow(/count must be an integer/);
    expect(create({ count: 1, size: 10.5 })).toThrow(RangeError);
    expect(create({ count: "2", size: 4096 })).toThrow(TypeError);
    expect(create({ count: 2, size: 2 ** 32 })).toThrow(/size must be in/);
    expect(create({ count: 1, size: 4096, align: 12288 })).toThrow(/align must be a power of two/);
    expect(create({ count: 1, size: 4096, align: 2048 })).toThrow(/align must be in \[4096, 2097152\]/);
    expect(create({ count: 1, size: 4096, align: 4 * MiB })).toThrow(/align must be in/);
    expect(create({ count: 2 ** 40, size: 2 ** 20 })).toThrow(/count × size is too large/);
    expect(create({ count: Number.MAX_SAFE_INTEGER, size: 2 ** 32 - 1 })).toThrow(RangeError);
    // 4 GiB + 4 KiB of untouched memory: Bun's ArrayBuffers stop at 4 GiB, Deno's do not.
    if (runtime === "bun") expect(create({ count: 2 ** 20 + 1, size: 4096 })).toThrow(/cannot be one ArrayBuffer under Bun \(at most 4 GiB\)/);
    else BufferPool.create({ count: 2 ** 20 + 1, size: 4096 }).close();
    expect(create({ count: 1, size: 4096, hugePages: "yes" })).toThrow(/hugePages must be a boolean/);
    expect(create({ count: 1, size: 4096, lock: 1 })).toThrow(/lock must be a boolean/);

    using pool = BufferPool.create({ count: 2, size: 100 });
    expect(() => pool.view(2)).toThrow(/index must be in \[0, 1\]/);
    expect(() => pool.view(-1)).toThrow(RangeError);
    expect(() => pool.view(0.5)).toThrow(/index must be an integer/);
    expect(() => pool.view("0" as never)).toThrow(TypeError);
    expect(() => pool.view(0, 101)).toThrow(/offset must be in \[0, 100\]/);
    expect(() => pool.view(0, 50, 51)).toThrow(/offset \+ length \(50 \+ 51\) exceeds the slot size 100/);
    expect(() => pool.view(0, 0, -1)).toThrow(/length must be in/);
    expect(() => pool.slotAddress(2)).toThrow(/index must be in/);

    const d = pool.share();
    const attach = (patch: object) => () => BufferPool.attach({ ...d, ...patch });
    expect(() => BufferPool.attach(undefined as never)).toThrow(TypeError);
    expect(attach({ address: 0 })).toThrow(/descriptor.address must be in/);
    expect(attach({ address: d.address + 1 })).toThrow(/multiples of descriptor.align/);
    expect(attach({ stride: 50 })).toThrow(/descriptor.stride must be in/);
    expect(attach({ count: 3 })).toThrow(/do not fit in descriptor.byteLength/);
    expect(attach({ hugePages: "big" })).toThrow(/descriptor.hugePages must be/);
  });
});
