// What the start of a process does, checked for correctness (never for
// time: bench/ measures that): the runtime's Host that core reads files
// through instead of node:fs, the work done once per process and shared by
// every ring (wasm compile, probe), and under Deno the symbols bound on
// first use.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, type TestContext } from "vitest";
import { runtime, skip, uring } from "./support/uring.ts";
import { IORING_REGISTER_PROBE } from "../core/constants.ts";
import { bindHost, bindNative, getHost, getNative } from "../core/native.ts";
import { wasmPath } from "../core/paths.ts";
import { probe, probeKernel } from "../core/probe.ts";
import { symbols as bunSymbols } from "../runtime-bun/symbols.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("once per process, shared by every ring", () => {
  // First in this file: no ring has been opened in this worker's module graph yet.
  it("two rings: the wasm module is read (and compiled) once, the kernel probed once", async () => {
    const host = getHost();
    const native = getNative();
    const reads: string[] = [];
    let probes = 0;
    bindHost({ ...host, readFile: (path, maxBytes) => (reads.push(path), host.readFile(path, maxBytes)) });
    bindNative({
      ...native,
      register(fd, opcode, arg, nr) {
        if (opcode === IORING_REGISTER_PROBE) probes++;
        return native.register(fd, opcode, arg, nr);
      },
    });
    try {
      using a = uring.Ring.open({ entries: 4 });
      using b = uring.Ring.open({ entries: 8 });
      expect(await Promise.all([a.nop(), b.nop()])).toEqual([undefined, undefined]);
      expect(reads.filter((p) => p === wasmPath)).toHaveLength(1);
      expect(probes).toBe(1);
      expect(probe().opcodes.filter((op) => a.supports(op) !== b.supports(op))).toEqual([]);
    } finally {
      bindHost(host);
      bindNative(native);
    }
  });

  it("the cached probe gives the answers a fresh one does", () => {
    const cached = probe();
    expect(probe()).toBe(cached);
    expect(probeKernel(getNative())).toEqual(cached);
  });
});

describe("the Host: files and platform in the runtime's own API", () => {
  it("is the adapter's, bound before any ring (runtime-*/host.ts)", async () => {
    // Computed specifier: each runtime's host module is type-checked by its own checker.
    const own = `../runtime-${runtime}/host.ts`;
    expect(getHost()).toBe((await import(own)).host);
  });

  it("spells the OS and CPU as process.platform and process.arch do", () => {
    expect(getHost().os).toBe(process.platform);
    expect(getHost().arch).toBe(process.arch);
  });

  it("tells files that exist from those that do not, as existsSync does", () => {
    for (const path of [`${root}package.json`, root, wasmPath, `${root}no-such-file`, "/proc/self/exe"]) {
      expect(getHost().exists(path)).toBe(existsSync(path));
    }
  });

  it("reads a whole file, or its first bytes, as node:fs does; a missing file throws", () => {
    const whole = readFileSync(wasmPath);
    expect(new Uint8Array(getHost().readFile(wasmPath))).toEqual(new Uint8Array(whole));
    expect(new Uint8Array(getHost().readFile(wasmPath, 8))).toEqual(new Uint8Array(whole.subarray(0, 8)));
    expect(getHost().readFile(wasmPath, whole.length + 100).length).toBe(whole.length);
    // /proc files have no size: read to their end all the same
    expect(new TextDecoder().decode(getHost().readFile("/proc/self/stat")).split(" ")[0]).toBe(String(process.pid));
    expect(() => getHost().readFile(`${root}no-such-file`)).toThrow();
  });

  it("core's own modules on the startup path import no node: builtin (Deno would start its Node layer)", () => {
    const files = ["core/native.ts", "core/platform.ts", "core/native-library.ts", "core/wasm.ts", "core/probe.ts", "runtime-deno/host.ts", "runtime-deno/native.ts", "runtime-deno/mod.ts"];
    for (const f of files) expect({ f, imports: readFileSync(`${root}${f}`, "utf8").match(/^import .* from "node:.*$/gm) }).toEqual({ f, imports: null });
  });
});

type DenoSymbols = Record<string, (...args: unknown[]) => unknown>;
type DenoNativeModule = {
  STARTUP_SYMBOLS: readonly string[];
  bindSymbols(library: { path: string; source: string }, dlopen: (path: string, syms: object) => { symbols: object }): DenoSymbols;
};

describe("Deno: symbols a ring does not need at startup are bound on first use", () => {
  const load = async (ctx: TestContext) => {
    if (runtime !== "deno") skip(ctx, "Bun binds every symbol at load: bun:ffi's dlopen costs about 1 ms whatever their number");
    // Computed specifier: runtime-deno/ is type-checked by deno check.
    const denoNative = "../runtime-deno/native.ts";
    const mod: DenoNativeModule = await import(denoNative);
    const library = (await import("../core/native-library.ts")).nativeLibrary();
    const opened: string[][] = [];
    const dlopen = (path: string, syms: object) => {
      opened.push(Object.keys(syms));
      return (globalThis as unknown as { Deno: { dlopen(p: string, s: object): { symbols: object } } }).Deno.dlopen(path, syms);
    };
    return { mod, s: mod.bindSymbols(library, dlopen), opened };
  };

  it("the startup set is part of the one symbol table, and binds in one dlopen", async (ctx) => {
    const { mod, s, opened } = await load(ctx);
    const names = Object.keys(bunSymbols); // the same names as Deno's table (test/abi.test.ts)
    for (const name of mod.STARTUP_SYMBOLS) expect(names).toContain(name);
    expect(opened).toEqual([[...mod.STARTUP_SYMBOLS]]);
    expect(Object.keys(s).sort()).toEqual([...names].sort());
  });

  it("a cold symbol binds on its first call, once, and answers as a bound one", async (ctx) => {
    const { s, opened } = await load(ctx);
    const stub = s.us_memlock_limit;
    const out = new BigUint64Array(2);
    const ptr = (globalThis as unknown as { Deno: { UnsafePointer: { of(b: ArrayBufferView): unknown } } }).Deno.UnsafePointer.of(out);
    expect(s.us_memlock_limit!(ptr)).toBe(0);
    expect(opened).toHaveLength(2);
    expect(opened[1]).toEqual(["us_memlock_limit"]);
    expect(s.us_memlock_limit).not.toBe(stub);
    const first = [...out];
    out.fill(0n);
    expect(s.us_memlock_limit!(ptr)).toBe(0);
    expect([...out]).toEqual(first);
    expect(opened).toHaveLength(2); // no second dlopen
  });

  it("the adapter's cold paths work through the bound stubs (memory, memlock, sockets)", () => {
    // Under Bun every symbol is bound already: the same calls, answered the same way.
    using pool = uring.BufferPool.create({ size: 4096, count: 2 });
    const view = pool.view(1);
    view[4095] = 7;
    expect(pool.view(1)[4095]).toBe(7);
    expect(uring.memlockHint(4096)).toMatch(/RLIMIT_MEMLOCK is /);
  });
});
