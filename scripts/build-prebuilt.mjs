// @ts-self-types="./build-prebuilt.d.mts"
// The native library prebuilt for each platform the npm package ships, so
// users need no compiler: `make -C native prebuilt P=<platform>` with that
// platform's cross compiler (the same sources and flags as the library
// `make -C native` builds; native/Makefile says what differs and why).
//
//   prebuilt/<platform>/liburingshim.so   linux-{x64,arm64}-{gnu,musl}
//   prebuilt/linux-<arch>/ref-bench       the C reference benchmark, static (musl)
//
// Objects go under native/build/<platform>/; make rebuilds only what
// changed. Platforms whose toolchain is missing are skipped, saying which
// Debian package to install, unless `require` (or URINGSHIM_RELEASE=1):
// then that is an error. `node scripts/build-prebuilt.mjs` prints one line
// per platform. Toolchains and paths are Debian 12's, on an x86-64 host.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The oldest glibc the gnu libraries load on: the highest GLIBC_x.y
 * version they may ask for (native/compat/glibc-floor.h pins what would
 * otherwise need 2.34). test/prebuilt.test.ts checks objdump -T against it.
 */
export const MIN_GLIBC = "2.17";

const ARM64_MULTIARCH = "musl-dev:arm64 (dpkg --add-architecture arm64 && apt-get update first)";

/** What each platform is built with; `needs` pairs a command or file with the Debian package that has it. */
export const PLATFORMS = [
  {
    platform: "linux-x64-gnu", arch: "x64", libc: "gnu", cc: "x86_64-linux-gnu-gcc",
    needs: [["x86_64-linux-gnu-gcc", "gcc"], ["/usr/include/linux/io_uring.h", "linux-libc-dev"]],
  },
  {
    platform: "linux-x64-musl", arch: "x64", libc: "musl", cc: "x86_64-linux-musl-gcc",
    needs: [["x86_64-linux-musl-gcc", "musl-tools"], ["/usr/include/linux/io_uring.h", "linux-libc-dev"]],
  },
  {
    platform: "linux-arm64-gnu", arch: "arm64", libc: "gnu", cc: "aarch64-linux-gnu-gcc",
    needs: [["aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"], ["/usr/aarch64-linux-gnu/include/stdio.h", "libc6-dev-arm64-cross"]],
  },
  {
    // Debian's musl-dev:arm64 has the wrapper (the aarch64 glibc cross gcc
    // with musl's specs); the kernel headers are the glibc cross toolchain's.
    platform: "linux-arm64-musl", arch: "arm64", libc: "musl", cc: "aarch64-linux-musl-gcc",
    needs: [
      ["aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"],
      ["aarch64-linux-musl-gcc", ARM64_MULTIARCH],
      ["/usr/aarch64-linux-gnu/include/linux/io_uring.h", "linux-libc-dev-arm64-cross"],
    ],
  },
];

/** Whether cmd is a file in one of $PATH's folders. */
export function onPath(cmd) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, cmd)));
}

/** Why this platform cannot be built here ("needs X: apt-get install Y"), or undefined. */
export function missingToolchain(p) {
  for (const [what, pkg] of [["make", "make"], ["flock", "util-linux"], ...p.needs]) {
    if (what.startsWith("/") ? !existsSync(what) : !onPath(what)) return `needs ${what}: apt-get install ${pkg}`;
  }
  return undefined;
}

/** make -C native args, holding the platform's lock: npm pack and a test may build at once. */
function make(root, platform, args) {
  const dir = join(root, "native", "build", platform);
  mkdirSync(dir, { recursive: true });
  const argv = [join(dir, ".lock"), "make", "-s", "-C", join(root, "native"), ...args];
  return new Promise((done, fail) => {
    const child = spawn("flock", argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`make ${args.join(" ")} failed (exit ${code}):\n${out}`))));
  });
}

/**
 * Builds every platform whose toolchain is installed (all of them, or an
 * error, with `require`). With `harness`, also each platform's C test
 * harness (native/build/<platform>/native-test, linked against its library).
 * Resolves to one result per platform, in PLATFORMS order.
 */
export async function buildPrebuilt({ root = fileURLToPath(new URL("..", import.meta.url)), require = process.env.URINGSHIM_RELEASE === "1", harness = false } = {}) {
  const missing = PLATFORMS.map((p) => [p, missingToolchain(p)]).filter(([, why]) => why !== undefined);
  if (require && missing.length > 0) {
    throw new Error(`cannot build every prebuilt platform:\n${missing.map(([p, why]) => `  ${p.platform}: ${why}`).join("\n")}`);
  }
  return Promise.all(PLATFORMS.map(async (p) => {
    const reason = missingToolchain(p);
    if (reason !== undefined) return { platform: p.platform, built: false, reason };
    await make(root, p.platform, [`P=${p.platform}`, `CC=${p.cc}`, "prebuilt", ...(harness ? ["prebuilt-test"] : [])]);
    return {
      platform: p.platform,
      built: true,
      library: join(root, "prebuilt", p.platform, "liburingshim.so"),
      ...(p.libc === "musl" ? { refBench: join(root, "prebuilt", `linux-${p.arch}`, "ref-bench") } : {}),
      ...(harness ? { harness: join(root, "native", "build", p.platform, "native-test") } : {}),
    };
  }));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  try {
    for (const r of await buildPrebuilt({ root })) {
      const files = r.built ? [r.library, r.refBench].filter((f) => f !== undefined) : [];
      const what = r.built ? files.map((f) => `${relative(root, f)} (${statSync(f).size} bytes)`).join(", ") : `skipped: ${r.reason}`;
      console.log(`${r.platform.padEnd(17)} ${what}`);
    }
  } catch (err) {
    console.error(`build-prebuilt: ${err.message}`);
    process.exit(1);
  }
}
