// Ring.open({ compat }) and URINGSHIM_COMPAT: each kernel feature turned
// off takes the fallback used on kernels without it, shown by ring.compat
// and by what the kernel then sees. scripts/test.mjs also runs this file
// (with the core suite) once per feature turned off by URINGSHIM_COMPAT, so
// every assertion about a default ring accepts the fallback that run forces.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compatOff, random, rejection, runtimeCommand, tempDir, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, BufferPool, COMPAT_FEATURES, IORING_SETUP_NO_MMAP, IORING_SETUP_SINGLE_ISSUER, O_RDONLY, O_RDWR, O_CREAT } = uring;
const BLOCK = 4096;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("compat", () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  const data = random(4 * BLOCK, 11);

  beforeAll(() => {
    tmp = tempDir();
    path = join(tmp.dir, "data.bin");
    writeFileSync(path, data);
  });
  afterAll(() => tmp.cleanup());

  /** Reads the file's second block through ring: the ring works whatever it fell back to. */
  async function readsBack(ring: Ring): Promise<void> {
    const fd = await ring.openat(path, O_RDONLY);
    const buf = new Uint8Array(BLOCK);
    expect(await ring.read(fd, buf, BLOCK)).toBe(BLOCK);
    expect(buf).toEqual(data.subarray(BLOCK, 2 * BLOCK));
    await ring.closeFd(fd);
  }

  it("a default ring uses every feature this kernel has, except what URINGSHIM_COMPAT turns off", async () => {
    using ring = RingClass.open({ entries: 8 });
    for (const f of COMPAT_FEATURES) {
      const reason = ring.compatReasons[f];
      if (compatOff.has(f)) {
        expect([f, ring.compat[f]]).toEqual([f, false]);
        expect(reason).toContain(`URINGSHIM_COMPAT=${uring.compatEnvName(f)}`);
      } else if (!ring.compat[f]) {
        // Only the kernel may take a feature away from a default ring.
        expect(reason).toMatch(/needs Linux|refused/);
      } else expect(reason).toBeUndefined();
    }
    await readsBack(ring);
  });

  it("noMmap: false sets the ring up kernel-mapped, and refuses an explicit no-mmap ring as an old kernel would", async () => {
    using ring = RingClass.open({ entries: 8, compat: { noMmap: false } });
    expect([ring.mode, ring.compat.noMmap, ring.setupFlags & IORING_SETUP_NO_MMAP]).toEqual(["mmap", false, 0]);
    expect(ring.compatReasons.noMmap).toMatch(/noMmap|no-no-mmap/);
    await readsBack(ring);
    let error: unknown;
    try {
      RingClass.open({ entries: 8, mode: "no-mmap", compat: { noMmap: false } }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(uring.UringError);
    expect(error).toMatchObject({ code: "EINVAL", op: "setup" });
  });

  it("query: false probes with IORING_REGISTER_PROBE and infers the flags from the release", async () => {
    using ring = RingClass.open({ entries: 8, compat: { query: false } });
    expect(ring.compat.query).toBe(false);
    const p = ring.probe();
    expect(p.source).toBe("probe");
    expect(p.flagsInferred).toBe(true);
    // PROBE answers the opcodes itself: the same set the process-wide probe has.
    expect(p.supportedOpcodes).toEqual(uring.probe({ method: "probe" }).supportedOpcodes);
    await readsBack(ring);
  });

  it("singleIssuer: false sets the ring up without IORING_SETUP_SINGLE_ISSUER, so other threads may use it", () => {
    using ring = RingClass.open({ entries: 8, compat: { singleIssuer: false } });
    expect([ring.compat.singleIssuer, ring.setupFlags & IORING_SETUP_SINGLE_ISSUER]).toEqual([false, 0]);
    using pool = BufferPool.create({ count: 1, size: BLOCK });
    ring.registerBuffers(pool);
    // A single-issuer ring's table cannot be shared with other threads.
    expect(ring.shareBuffers().buffers.length).toBe(1);
  });

  it("registeredRing: a ring enters by a registered index (mmap mode too) unless turned off", async () => {
    for (const mode of ["no-mmap", "mmap"] as const) {
      if (mode === "no-mmap" && compatOff.has("noMmap")) continue;
      using ring = RingClass.open({ entries: 8, mode });
      if (ring.compat.registeredRing) expect(ring.registeredRingIndex).toBeGreaterThanOrEqual(0);
      else expect(ring.registeredRingIndex).toBe(-1);
      await readsBack(ring);
    }
    using plain = RingClass.open({ entries: 8, compat: { registeredRing: false } });
    expect([plain.compat.registeredRing, plain.registeredRingIndex]).toEqual([false, -1]);
    expect(plain.compatReasons.registeredRing).toMatch(/registeredRing|no-registered-ring/);
    await readsBack(plain);
  });

  it("registeredRing: a thread's 16 registered rings full, the next ring enters by fd; closing one frees its index", async () => {
    if (compatOff.has("registeredRing")) {
      using ring = RingClass.open({ entries: 4 });
      expect(ring.registeredRingIndex).toBe(-1);
      return;
    }
    const rings: Ring[] = [];
    try {
      while (rings.length < 17) rings.push(RingClass.open({ entries: 4 }));
      const indices = rings.map((r) => r.registeredRingIndex);
      const registered = indices.filter((i) => i >= 0);
      // Other rings of this thread (none in this file) would take slots too.
      expect(new Set(registered).size).toBe(registered.length);
      expect(registered.length).toBeLessThanOrEqual(16);
      const last = rings[16];
      expect(last.registeredRingIndex).toBe(-1);
      expect(last.compatReasons.registeredRing).toMatch(/EBUSY/);
      await readsBack(last);
      const freed = rings[0].registeredRingIndex;
      rings.shift()!.close();
      using next = RingClass.open({ entries: 4 });
      if (freed >= 0) expect(next.registeredRingIndex).toBe(freed);
    } finally {
      for (const r of rings) r.close();
    }
  });

  it("cloneBuffers: false registers the source's pool again; the table grows on replace as a clone's does", async () => {
    using source = RingClass.open({ entries: 8 });
    using pool = BufferPool.create({ count: 2, size: BLOCK });
    using other = BufferPool.create({ count: 1, size: BLOCK });
    source.registerBuffers(pool);
    using ring = RingClass.open({ entries: 8, compat: { cloneBuffers: false } });
    expect(ring.compat.cloneBuffers).toBe(false);
    ring.registerBuffers(other);
    ring.cloneBuffersFrom(source, { replace: true, dstOffset: 1 });
    expect(ring.bufferTableSize).toBe(2);
    expect([ring.registeredBuffer(0), ring.registeredBuffer(1)]).toEqual([other, pool]);
    const fd = await ring.openat(path, O_RDONLY);
    expect(await ring.readFixed(fd, pool, 1, 2 * BLOCK)).toBe(BLOCK);
    expect(pool.view(1)).toEqual(data.subarray(2 * BLOCK, 3 * BLOCK));
    expect(await ring.readFixed(fd, other, 0, 0)).toBe(BLOCK);
    expect(other.view(0)).toEqual(data.subarray(0, BLOCK));
    await ring.closeFd(fd);
    // The re-registration is this ring's own: it outlives the source's table.
    source.unregisterBuffers();
    const fd2 = await ring.openat(path, O_RDONLY);
    expect(await ring.readFixed(fd2, pool, 0, 3 * BLOCK)).toBe(BLOCK);
    expect(pool.view(0)).toEqual(data.subarray(3 * BLOCK));
    await ring.closeFd(fd2);
  });

  it("fixedVectored: false sends READV/WRITEV over the pool memory (a ring allowed only those accepts it)", async () => {
    const restrictions = {
      ops: ["openat", "close", "readv", "writev"],
      registerOps: ["IORING_REGISTER_BUFFERS2", "IORING_REGISTER_BUFFERS_UPDATE", "IORING_UNREGISTER_BUFFERS"],
    };
    using pool = BufferPool.create({ count: 2, size: 2 * BLOCK });
    using ring = RingClass.open({ entries: 8, compat: { fixedVectored: false }, restrictions });
    expect(ring.compat.fixedVectored).toBe(false);
    ring.registerBuffers(pool);
    const fd = await ring.openat(path, O_RDONLY);
    expect(await ring.readvFixed(fd, pool, [{ index: 1 }, { index: 0, length: BLOCK }], BLOCK)).toBe(3 * BLOCK);
    expect(pool.view(1)).toEqual(data.subarray(BLOCK, 3 * BLOCK));
    expect(pool.view(0, 0, BLOCK)).toEqual(data.subarray(3 * BLOCK));
    await ring.closeFd(fd);
    const out = join(tmp.dir, "gathered.bin");
    const wfd = await ring.openat(out, O_RDWR | O_CREAT, 0o600);
    expect(await ring.writevFixed(wfd, pool, [{ index: 0, length: BLOCK }, { index: 1, offset: BLOCK, length: BLOCK }], 0)).toBe(2 * BLOCK);
    await ring.closeFd(wfd);
    expect(new Uint8Array(readFileSync(out))).toEqual(concat(data.subarray(3 * BLOCK), data.subarray(2 * BLOCK, 3 * BLOCK)));
    ring.unregisterBuffers();
    // The same request through READV_FIXED is refused by those restrictions.
    using fixed = RingClass.open({ entries: 8, restrictions });
    fixed.registerBuffers(pool);
    const fd2 = await fixed.openat(path, O_RDONLY);
    const attempt = fixed.readvFixed(fd2, pool, [{ index: 1 }], 0);
    if (fixed.compat.fixedVectored) expect((await rejection(attempt)).code).toBe("EACCES");
    else expect(await attempt).toBe(2 * BLOCK);
    await fixed.closeFd(fd2);
    fixed.unregisterBuffers();
  });

  it("rejects bad compat options with a TypeError naming the key", () => {
    expect(() => RingClass.open({ compat: { registeredRing: "no" as unknown as boolean } })).toThrow(
      /Ring.open\(\): options.compat.registeredRing must be a boolean/,
    );
    expect(() => RingClass.open({ compat: { fastPath: false } as never })).toThrow(TypeError);
    expect(() => RingClass.open({ compat: { fastPath: false } as never })).toThrow(/options.compat.fastPath is not a compat feature/);
    expect(() => RingClass.open({ compat: 5 as never })).toThrow(/options.compat must be an object/);
    expect(() => RingClass.open({ compat: [] as never })).toThrow(/options.compat must be an object/);
  });

  it("parses URINGSHIM_COMPAT: a comma list of no-<feature>, or all; anything else names the entry", () => {
    expect([...uring.parseCompatEnv(" no-query , no-registered-ring,")]).toEqual(["query", "registeredRing"]);
    expect([...uring.parseCompatEnv("all")]).toEqual([...COMPAT_FEATURES]);
    expect([...uring.parseCompatEnv(COMPAT_FEATURES.map(uring.compatEnvName).join(","))]).toEqual([...COMPAT_FEATURES]);
    expect(uring.parseCompatEnv("").size).toBe(0);
    expect(() => uring.parseCompatEnv("no-query,no-turbo")).toThrow(/URINGSHIM_COMPAT: unknown entry "no-turbo"/);
  });

  it("URINGSHIM_COMPAT applies to every ring of a process, and a bad value fails Ring.open", () => {
    const script = join(tmp.dir, "env.ts");
    const adapter = new URL(`../runtime-${"Bun" in globalThis ? "bun" : "deno"}/mod.ts`, import.meta.url).href;
    writeFileSync(script, [
      `import { Ring } from ${JSON.stringify(adapter)};`,
      "try {",
      "  using a = Ring.open({ entries: 4 });",
      "  using b = Ring.open({ entries: 4, compat: { query: true } });",
      "  console.log(JSON.stringify({ a: a.compat, b: b.compat, reason: a.compatReasons.registeredRing, index: a.registeredRingIndex }));",
      "} catch (e) {",
      "  console.log(JSON.stringify({ name: e.name, message: e.message }));",
      "}",
    ].join("\n"));
    const [cmd, args] = runtimeCommand(script);
    const child = (value: string) => {
      const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000, env: { ...process.env, URINGSHIM_COMPAT: value } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split("\n").pop()!);
    };
    const ok = child("no-query,no-registered-ring");
    for (const ring of [ok.a, ok.b]) expect([ring.query, ring.registeredRing]).toEqual([false, false]);
    expect([ok.reason, ok.index]).toEqual(["URINGSHIM_COMPAT=no-registered-ring", -1]);
    const bad = child("no-query,no-turbo");
    expect(bad.name).toBe("TypeError");
    expect(bad.message).toMatch(/URINGSHIM_COMPAT: unknown entry "no-turbo"/);
  });
});
