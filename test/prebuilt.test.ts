// The prebuilt native libraries the package ships (scripts/build-prebuilt.mjs),
// for each platform whose toolchain is installed: the ELF machine and class,
// the libc it links, exactly the header's exports, the oldest glibc it asks
// for, and that it runs: the C harness natively (x64) or under qemu-user
// (arm64), and the static ref-bench likewise. A missing tool skips, naming
// the Debian package.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, type TestContext } from "vitest";
import { buildPrebuilt, MIN_GLIBC, onPath, PLATFORMS, type PrebuiltPlatform, type PrebuiltResult } from "../scripts/build-prebuilt.mjs";
import { PREBUILT_PLATFORMS } from "../core/platform.ts";
import { skip } from "./support/uring.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

const MACHINE = { x64: "Advanced Micro Devices X86-64", arm64: "AArch64" } as const;
const MUSL_ARCH = { x64: "x86_64", arm64: "aarch64" } as const;
/** What runs an arm64 program here: qemu-user, with glibc's cross sysroot for the gnu build. */
const QEMU = "qemu-aarch64";
const ARM64_GLIBC_ROOT = "/usr/aarch64-linux-gnu";
const QEMU_SKIP = `${QEMU} is not installed (apt-get install qemu-user)`;

/** The prototypes between the ABI markers of the header, as the Makefile's `test` target reads them. */
const abi = (() => {
  const h = readFileSync(join(root, "native/include/uringshim.h"), "utf8");
  const block = h.slice(h.indexOf("ABI-BEGIN"), h.indexOf("ABI-END"));
  return [...block.matchAll(/(us_[a-z_]*)\(/g)].map((m) => m[1]).sort();
})();

function run(cmd: string, args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** stdout of a binutils command that must succeed. */
function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  expect(r.status, `${cmd} ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function needed(file: string): string[] {
  return [...tool("readelf", ["-dW", file]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/** "2.17" < "2.34", compared as numbers. */
function versionAbove(a: string, b: string): boolean {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

let results: PrebuiltResult[] = [];
beforeAll(async () => {
  results = await buildPrebuilt({ root, harness: true });
}, 60_000);

/** This platform's build, or a skip naming the Debian package its toolchain needs. */
function built(ctx: TestContext, p: PrebuiltPlatform): { library: string; refBench?: string; harness?: string } {
  const r = results.find((x) => x.platform === p.platform);
  if (r === undefined) throw new Error(`no build result for ${p.platform}`);
  if (!r.built) skip(ctx, `${p.platform}: ${r.reason}`);
  return r;
}

/** How to run a binary of this platform here, or why it cannot be. */
function runner(p: PrebuiltPlatform): { prefix: string[]; env: Record<string, string> } | { why: string } {
  const loader = p.libc === "musl" ? `/lib/ld-musl-${MUSL_ARCH[p.arch]}.so.1` : null;
  const loaderPkg = p.arch === "arm64" ? "musl:arm64" : "musl";
  if (loader !== null && !existsSync(loader)) return { why: `no musl loader ${loader} (apt-get install ${loaderPkg})` };
  if (p.arch === "x64") return process.arch === "x64" ? { prefix: [], env: {} } : { why: "the host is not x86-64" };
  if (!onPath(QEMU)) return { why: QEMU_SKIP };
  if (p.libc === "gnu") {
    if (!existsSync(`${ARM64_GLIBC_ROOT}/lib/ld-linux-aarch64.so.1`)) return { why: `no ${ARM64_GLIBC_ROOT}/lib/ld-linux-aarch64.so.1 (apt-get install libc6-arm64-cross)` };
    return { prefix: [QEMU, "-L", ARM64_GLIBC_ROOT], env: { URINGSHIM_TEST_EMULATOR: "qemu-user" } };
  }
  return { prefix: [QEMU], env: { URINGSHIM_TEST_EMULATOR: "qemu-user" } };
}

/** One run of the platform's native-test per file (two tests read it). */
const harnessRuns = new Map<string, { status: number | null; out: string }>();
function harness(ctx: TestContext, p: PrebuiltPlatform): { status: number | null; out: string } {
  const b = built(ctx, p);
  const how = runner(p);
  if ("why" in how) skip(ctx, `${p.platform} native-test: ${how.why}`);
  let r = harnessRuns.get(p.platform);
  if (r === undefined) {
    const [cmd, ...args] = [...how.prefix, b.harness!];
    r = run(cmd, args, how.env);
    harnessRuns.set(p.platform, r);
  }
  return r;
}

it("builds exactly the platforms the loader looks for (core/platform.ts)", () => {
  expect(PLATFORMS.map((p) => p.platform)).toEqual([...PREBUILT_PLATFORMS]);
});

for (const p of PLATFORMS) {
  const where = p.arch === "x64" ? "natively" : "under qemu-user";

  describe(`prebuilt ${p.platform}`, () => {
    it(`is a 64-bit ${MACHINE[p.arch]} shared object named liburingshim.so`, (ctx) => {
      const { library } = built(ctx, p);
      const h = tool("readelf", ["-hW", library]);
      expect(h).toMatch(/Class:\s+ELF64\n/);
      expect(h).toMatch(/Type:\s+DYN /);
      expect(h).toContain(`Machine:                           ${MACHINE[p.arch]}\n`);
      expect(tool("readelf", ["-dW", library])).toMatch(/\(SONAME\)\s+Library soname: \[liburingshim\.so\]/);
    });

    it(p.libc === "gnu" ? "needs glibc's libc.so.6 (and libpthread.so.0, for glibc before 2.34)" : "needs musl's libc and nothing else", (ctx) => {
      const { library } = built(ctx, p);
      if (p.libc === "gnu") {
        expect(needed(library).sort()).toEqual(["libc.so.6", "libpthread.so.0"]);
      } else {
        // Debian's musl names itself libc.so, Alpine's libc.musl-<arch>.so.1;
        // musl's loader resolves any libc.* to itself, so either loads anywhere.
        const libs = needed(library);
        expect(libs).toHaveLength(1);
        expect(libs[0]).toMatch(new RegExp(`^libc\\.(so|musl-${MUSL_ARCH[p.arch]}\\.so\\.1)$`));
      }
    });

    it("exports exactly the us_* functions between the header's ABI markers", (ctx) => {
      const { library } = built(ctx, p);
      const defined = tool("nm", ["-D", "--defined-only", library]).trim().split("\n").map((l) => l.trim().split(/\s+/));
      // musl's crti.o gives _init and _fini default visibility (glibc's hides them): every musl library exports them.
      const extra = p.libc === "musl" ? ["_fini", "_init"] : [];
      expect(defined.filter(([, type]) => type === "T").map(([, , name]) => name).sort()).toEqual([...abi, ...extra].sort());
      expect(defined.filter(([, type]) => type !== "T"), "defined dynamic symbols that are not functions").toEqual([]);
    });

    if (p.libc === "gnu") {
      it(`asks for no symbol version above GLIBC_${MIN_GLIBC}`, (ctx) => {
        const { library } = built(ctx, p);
        const versions = [...new Set([...tool("objdump", ["-T", library]).matchAll(/\bGLIBC_([0-9.]+)\b/g)].map((m) => m[1]))];
        expect(versions.length).toBeGreaterThan(0);
        const above = versions.filter((v) => versionAbove(v, MIN_GLIBC));
        expect(above, `GLIBC_ versions asked for: ${versions.join(" ")}; native/compat/glibc-floor.h says how to pin them`).toEqual([]);
        expect(tool("objdump", ["-T", library])).not.toContain("GLIBC_PRIVATE");
      });
    } else {
      it("needs only symbols musl's libc.so exports", (ctx) => {
        const { library } = built(ctx, p);
        const loader = `/lib/ld-musl-${MUSL_ARCH[p.arch]}.so.1`;
        if (!existsSync(loader)) skip(ctx, `no ${loader} to compare with (apt-get install ${p.arch === "arm64" ? "musl:arm64" : "musl"})`);
        const musl = new Set(tool("nm", ["-D", "--defined-only", loader]).trim().split("\n").map((l) => l.trim().split(/\s+/)[2]));
        const undef = tool("nm", ["-D", "--undefined-only", library]).trim().split("\n").map((l) => l.trim().split(/\s+/))
          .filter(([type]) => type === "U").map(([, name]) => name);
        expect(undef.length).toBeGreaterThan(0);
        expect(undef.filter((s) => !musl.has(s)), "undefined symbols musl does not define").toEqual([]);
      });
    }

    it(`runs the C test harness against it ${where}`, (ctx) => {
      const r = harness(ctx, p);
      expect(r.status, r.out).toBe(0);
      const m = /^native: (\d+) passed, (\d+) failed$/m.exec(r.out);
      expect(m, r.out).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(100);
      expect(Number(m![2])).toBe(0);
    });

    it(`runs the harness's io_uring tests ${where}`, (ctx) => {
      const r = harness(ctx, p);
      // qemu-user answers io_uring_setup with ENOSYS: the harness says so and skips those.
      const skipped = /^skip io_uring \([^)]*\): (.*)$/m.exec(r.out);
      if (skipped !== null) skip(ctx, `${p.platform} native-test: ${skipped[1]}`);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/^native: \d+ passed, 0 failed$/m);
    });

    if (p.libc === "musl") {
      it(`gives a static ref-bench for linux-${p.arch} (no interpreter, no NEEDED) that starts ${where}`, (ctx) => {
        const { refBench } = built(ctx, p);
        expect(refBench).toBe(join(root, "prebuilt", `linux-${p.arch}`, "ref-bench"));
        expect(tool("readelf", ["-hW", refBench!])).toContain(`Machine:                           ${MACHINE[p.arch]}\n`);
        expect(tool("readelf", ["-lW", refBench!])).not.toMatch(/\bINTERP\b/);
        expect(tool("readelf", ["-dW", refBench!])).toContain("There is no dynamic section in this file.");
        // Static: it needs no loader, only the machine.
        if (p.arch === "x64" && process.arch !== "x64") skip(ctx, "ref-bench for linux-x64: the host is not x86-64");
        if (p.arch === "arm64" && !onPath(QEMU)) skip(ctx, `ref-bench for linux-arm64: ${QEMU_SKIP}`);
        const prefix = p.arch === "arm64" ? [QEMU] : [];
        // --hist-index needs no ring: "<bucket> <value>" per argument.
        const [cmd, ...args] = [...prefix, refBench!, "--hist-index", "1000", "1000000"];
        const r = run(cmd, args);
        expect(r.status, r.out).toBe(0);
        expect(r.out).toMatch(/^\d+ \d+\n\d+ \d+\n$/);
      });
    }
  });
}
