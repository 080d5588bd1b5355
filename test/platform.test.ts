// The loader's choice of native library (core/platform.ts,
// core/native-library.ts): which libc a process has, which prebuilt
// library fits which platform, and the error where none does.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { elfInterpreter, hostPlatform, libcOfInterpreter, type Platform, PREBUILT_PLATFORMS, prebuiltFor } from "../core/platform.ts";
import { buildCommand, chooseNativeLibrary, LIBRARY_ENV } from "../core/native-library.ts";
import { packageRoot } from "../core/paths.ts";
import { uring } from "./support/uring.ts";

/** A minimal ELF image: header, program headers (PT_LOAD, PT_INTERP when interp is given), the interpreter string. */
function elf(opts: { interp?: string; is64?: boolean; little?: boolean }): Uint8Array {
  const { interp, is64 = true, little = true } = opts;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const phnum = interp === undefined ? 1 : 2;
  const strAt = ehsize + phnum * phentsize;
  const bytes = new Uint8Array(strAt + (interp?.length ?? 0) + 1 + 16);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]);
  const word = (at: number, value: number) => (is64 ? v.setBigUint64(at, BigInt(value), little) : v.setUint32(at, value, little));
  word(is64 ? 0x20 : 0x1c, ehsize);
  v.setUint16(is64 ? 0x36 : 0x2a, phentsize, little);
  v.setUint16(is64 ? 0x38 : 0x2c, phnum, little);
  v.setUint32(ehsize, 1, little); // PT_LOAD
  if (interp !== undefined) {
    const ph = ehsize + phentsize;
    v.setUint32(ph, 3, little); // PT_INTERP
    word(ph + (is64 ? 0x08 : 0x04), strAt);
    word(ph + (is64 ? 0x20 : 0x10), interp.length + 1);
    bytes.set(new TextEncoder().encode(interp), strAt);
  }
  return bytes;
}

describe("libc of a process: the ELF program interpreter", () => {
  it("reads PT_INTERP from 64- and 32-bit, little- and big-endian images", () => {
    expect(elfInterpreter(elf({ interp: "/lib/ld-musl-aarch64.so.1" }))).toBe("/lib/ld-musl-aarch64.so.1");
    expect(elfInterpreter(elf({ interp: "/lib64/ld-linux-x86-64.so.2", little: false }))).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(elfInterpreter(elf({ interp: "/lib/ld-linux-armhf.so.3", is64: false }))).toBe("/lib/ld-linux-armhf.so.3");
  });

  it("is null for a static image, a non-ELF file and a header cut short", () => {
    expect(elfInterpreter(elf({}))).toBeNull();
    expect(elfInterpreter(new TextEncoder().encode("#!/bin/sh\necho not elf\n".padEnd(80)))).toBeNull();
    const whole = elf({ interp: "/lib/ld-musl-x86_64.so.1" });
    expect(elfInterpreter(whole.subarray(0, 100))).toBeNull();
  });

  it("names the libc of glibc's and musl's loaders, and no other", () => {
    expect(libcOfInterpreter("/lib64/ld-linux-x86-64.so.2")).toBe("gnu");
    expect(libcOfInterpreter("/lib/ld-linux-aarch64.so.1")).toBe("gnu");
    expect(libcOfInterpreter("/lib/ld-musl-x86_64.so.1")).toBe("musl");
    expect(libcOfInterpreter("/lib/ld-musl-aarch64.so.1")).toBe("musl");
    expect(libcOfInterpreter("/system/bin/linker64")).toBeNull();
    expect(libcOfInterpreter(null)).toBeNull();
  });

  it("this process: the runtime's own executable names its libc", () => {
    const host = hostPlatform();
    expect(host.os).toBe("linux");
    expect(host.arch).toBe(process.arch);
    const head = new Uint8Array(4096);
    const fd = openSync("/proc/self/exe", "r");
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const interp = elfInterpreter(head);
    expect(host.libc).toBe(libcOfInterpreter(interp));
    expect(host.libc).not.toBeNull(); // Bun and Deno are dynamically linked
  });
});

describe("which prebuilt library a platform gets", () => {
  const linux = (arch: string, libc: Platform["libc"]): Platform => ({ os: "linux", arch, libc });

  it("each shipped platform by CPU and libc; an unknown libc is taken as glibc", () => {
    expect(prebuiltFor(linux("x64", "gnu"))).toBe("linux-x64-gnu");
    expect(prebuiltFor(linux("x64", "musl"))).toBe("linux-x64-musl");
    expect(prebuiltFor(linux("arm64", "gnu"))).toBe("linux-arm64-gnu");
    expect(prebuiltFor(linux("arm64", "musl"))).toBe("linux-arm64-musl");
    expect(prebuiltFor(linux("arm64", null))).toBe("linux-arm64-gnu");
  });

  it("none for another CPU or OS", () => {
    expect(prebuiltFor(linux("riscv64", "gnu"))).toBeNull();
    expect(prebuiltFor(linux("ia32", "gnu"))).toBeNull();
    expect(prebuiltFor({ os: "darwin", arch: "arm64", libc: null })).toBeNull();
  });

  const root = "/pkg";
  const shipped = new Set(PREBUILT_PLATFORMS.map((p) => `/pkg/prebuilt/${p}/liburingshim.so`));
  const has = (extra: string[] = []) => (path: string) => shipped.has(path) || extra.includes(path);

  it("prefers URINGSHIM_LIBRARY, then a library built from source, then the prebuilt one", () => {
    const p = linux("arm64", "musl");
    expect(chooseNativeLibrary(root, p, has(), {})).toEqual({ path: "/pkg/prebuilt/linux-arm64-musl/liburingshim.so", source: "prebuilt" });
    const built = "/pkg/native/build/liburingshim.so";
    expect(chooseNativeLibrary(root, p, has([built]), {})).toEqual({ path: built, source: "built" });
    expect(chooseNativeLibrary(root, p, has([built, "/opt/mine.so"]), { [LIBRARY_ENV]: "/opt/mine.so" }))
      .toEqual({ path: "/opt/mine.so", source: "env" });
  });

  it("URINGSHIM_LIBRARY naming a missing file is an ENOENT UringError naming it", () => {
    expect(() => chooseNativeLibrary(root, linux("x64", "gnu"), has(), { [LIBRARY_ENV]: "/nope.so" }))
      .toThrowError(expect.objectContaining({ name: "UringError", code: "ENOENT", message: expect.stringContaining("URINGSHIM_LIBRARY=/nope.so") }));
  });

  it("an unsupported platform: a UringError naming it, what the package has, and the build command for the runtime", () => {
    let err: unknown;
    try {
      chooseNativeLibrary(root, linux("riscv64", "gnu"), has(), {}, "bun");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(uring.UringError);
    const e = err as InstanceType<typeof uring.UringError>;
    expect(e.code).toBe("EPLATFORM");
    expect(e.op).toBe("load");
    expect(e.message).toContain("no prebuilt liburingshim.so for linux-riscv64-gnu");
    expect(e.message).toContain(PREBUILT_PLATFORMS.join(", "));
    expect(e.message).toContain("bunx uringshim-build");
    expect(e.message).toContain(LIBRARY_ENV);
  });

  it("a shipped platform whose file is missing says which file", () => {
    const onlyX64 = (path: string) => path === "/pkg/prebuilt/linux-x64-gnu/liburingshim.so";
    expect(() => chooseNativeLibrary(root, linux("arm64", "gnu"), onlyX64, {}, "deno"))
      .toThrowError(/prebuilt liburingshim\.so for linux-arm64-gnu is missing \(\/pkg\/prebuilt\/linux-arm64-gnu\/liburingshim\.so\); this package has linux-x64-gnu\. .*deno run -A npm:uringshim\/build/);
  });

  it("spells the build command for each runtime", () => {
    expect(buildCommand("bun")).toBe("bunx uringshim-build");
    expect(buildCommand("deno")).toBe("deno run -A npm:uringshim/build");
    expect(buildCommand("node")).toBe("npx uringshim-build");
  });

  it("the package root is the folder of uringshim's package.json", () => {
    expect(JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).name).toBe("uringshim");
  });
});
