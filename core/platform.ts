// Which prebuilt native library fits this process: the OS, the CPU and the
// C library. The libc is the one the running executable was linked
// against, read from its ELF program interpreter (PT_INTERP): a musl
// process cannot load a glibc library and vice versa, whatever else the
// machine has installed. Asked of the runtime through the adapter's Host
// (core/native.ts), never node:process / node:fs: under Deno those start
// its Node compatibility layer.
import { getHost } from "./native.ts";

export type Libc = "gnu" | "musl";

export interface Platform {
  /** process.platform: "linux", "darwin", … */
  readonly os: string;
  /** process.arch: "x64", "arm64", … */
  readonly arch: string;
  /** The C library of this process, null when it cannot be told (a static executable, no /proc). */
  readonly libc: Libc | null;
}

/** The platforms the package ships a prebuilt liburingshim.so for (folders of prebuilt/). */
export const PREBUILT_PLATFORMS = ["linux-x64-gnu", "linux-x64-musl", "linux-arm64-gnu", "linux-arm64-musl"] as const;
export type PrebuiltPlatform = (typeof PREBUILT_PLATFORMS)[number];

/** "linux-x64-gnu": how a platform is named in prebuilt/ and in errors ("unknown libc" where it cannot be told). */
export function platformName(p: Platform): string {
  return `${p.os}-${p.arch}-${p.libc ?? "unknown-libc"}`;
}

/**
 * The prebuilt folder for p, or null when none is shipped for it. A libc
 * that cannot be told is taken as glibc, by far the commoner: loading the
 * wrong one fails cleanly in dlopen (its libc is not found), never later.
 */
export function prebuiltFor(p: Platform): PrebuiltPlatform | null {
  const name = `${p.os}-${p.arch}-${p.libc ?? "gnu"}`;
  return (PREBUILT_PLATFORMS as readonly string[]).includes(name) ? (name as PrebuiltPlatform) : null;
}

/** The libc a program interpreter path belongs to: /lib/ld-musl-x86_64.so.1 → musl, /lib64/ld-linux-x86-64.so.2 → gnu. */
export function libcOfInterpreter(interpreter: string | null): Libc | null {
  if (interpreter === null) return null;
  const base = interpreter.slice(interpreter.lastIndexOf("/") + 1);
  if (base.startsWith("ld-musl-")) return "musl";
  if (base.startsWith("ld-linux") || base === "ld64.so.2" || base === "ld64.so.1") return "gnu";
  return null;
}

const PT_INTERP = 3;

/**
 * The PT_INTERP path of an ELF image given its first bytes (they must
 * reach the program headers and the interpreter string; the first 4 KiB
 * do for every linker's layout), or null: not ELF, static, or cut short.
 */
export function elfInterpreter(head: Uint8Array): string | null {
  if (head.length < 64 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return null;
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const word = (at: number) => (is64 ? Number(v.getBigUint64(at, little)) : v.getUint32(at, little));
  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = v.getUint16(is64 ? 0x36 : 0x2a, little);
  const phnum = v.getUint16(is64 ? 0x38 : 0x2c, little);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > head.length) return null;
    if (v.getUint32(ph, little) !== PT_INTERP) continue;
    const offset = word(ph + (is64 ? 0x08 : 0x04));
    const size = word(ph + (is64 ? 0x20 : 0x10));
    if (offset + size > head.length || size === 0) return null;
    return new TextDecoder().decode(head.subarray(offset, offset + size - 1)); // drop the NUL
  }
  return null;
}

/** The first bytes of a file (empty when it cannot be read). */
function headOf(path: string, bytes = 4096): Uint8Array {
  try {
    return getHost().readFile(path, bytes);
  } catch {
    return new Uint8Array(0);
  }
}

let host: Platform | undefined;

/** This process's platform (computed once). */
export function hostPlatform(): Platform {
  if (host === undefined) {
    const { os, arch } = getHost();
    host = { os, arch, libc: os === "linux" ? libcOfInterpreter(elfInterpreter(headOf("/proc/self/exe"))) : null };
  }
  return host;
}
