// The kernel probe: the opcode and flag tables, QUERY against PROBE on the
// running kernel, the release-based fallback against what QUERY says, and
// PROBE's raw answer read here independently of core/probe.ts.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runtime, runtimeCommand, skip, tempDir, uring } from "./support/uring.ts";
import * as C from "../core/constants.ts";
import { getNative } from "../core/native.ts";
import {
  ENTER_FLAGS, FEATURE_FLAGS, type FlagInfo, hasRelease, LAST_KNOWN_OPCODE, OPCODES, opcodeInfo,
  parseKernelVersion, SETUP_FLAGS, SQE_FLAGS,
} from "../core/opcodes.ts";
import { inferProbe, Probe, probe, probeKernel, UNKNOWN_RELEASE, versionFloor } from "../core/probe.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const native = getNative();
const kernel = parseKernelVersion(release());
const queried = probeKernel(native, { method: "auto" });
const hasQuery = queried.source === "query";
if (!hasQuery) console.log(`probe tests: no IORING_REGISTER_QUERY on ${release()} (6.18+): QUERY comparisons skipped`);

/** IORING_REGISTER_PROBE read without core/probe.ts: the supported opcode numbers and last_op. */
function rawProbe(ringFd: number): { lastOp: number; opsLen: number; supported: Set<number> } {
  const buf = new Uint8Array(16 + 256 * 8);
  const res = native.register(ringFd, C.IORING_REGISTER_PROBE, native.addressOf(buf), 256);
  expect(res).toBe(0);
  const supported = new Set<number>();
  for (let i = 0; i < buf[1]!; i++) {
    const op = buf[16 + i * 8]!;
    expect(op).toBe(i); // the kernel numbers each entry
    if ((buf[16 + i * 8 + 2]! | (buf[16 + i * 8 + 3]! << 8)) & 1) supported.add(op);
  }
  return { lastOp: buf[0]!, opsLen: buf[1]!, supported };
}

describe("the opcode table (core/opcodes.ts)", () => {
  it("numbers every opcode from 0 to IORING_OP_PIPE with no gap", () => {
    expect(OPCODES.map((o) => o.opcode)).toEqual(OPCODES.map((_, i) => i));
    expect(OPCODES[LAST_KNOWN_OPCODE]!.uapi).toBe("IORING_OP_PIPE");
    expect(LAST_KNOWN_OPCODE).toBe(62);
  });

  it("names each op as the camelCase of its uapi name", () => {
    for (const o of OPCODES) {
      const words = o.uapi.replace(/^IORING_OP_/, "").toLowerCase().split("_");
      expect(o.name).toBe(words[0] + words.slice(1).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(""));
    }
    expect(new Set(OPCODES.map((o) => o.name)).size).toBe(OPCODES.length);
    const names = ["readvFixed", "asyncCancel", "fsetxattr", "futexWaitv", "sendZc", "fixedFdInstall", "uringCmd", "msgRing"];
    for (const n of names) expect(opcodeInfo(n)?.name).toBe(n);
  });

  it("has releases that never decrease with the opcode (the kernel only appends)", () => {
    for (let i = 1; i < OPCODES.length; i++) {
      const [prev, cur] = [OPCODES[i - 1]!, OPCODES[i]!];
      expect(hasRelease(parseKernelVersion(cur.since), prev.since), `${cur.uapi} ${cur.since} after ${prev.uapi} ${prev.since}`).toBe(true);
    }
    const spot = { readv: "5.1", syncFileRange: "5.2", sendmsg: "5.3", timeout: "5.4", asyncCancel: "5.5", epollCtl: "5.6",
      tee: "5.8", msgRing: "5.18", sendZc: "6.0", waitid: "6.7", bind: "6.11", readvFixed: "6.15", pipe: "6.16" };
    for (const [name, since] of Object.entries(spot)) expect(opcodeInfo(name)?.since, name).toBe(since);
  });

  it("looks ops up by name, uapi name and number", () => {
    expect(opcodeInfo("readvFixed")).toBe(opcodeInfo("IORING_OP_READV_FIXED"));
    expect(opcodeInfo(60)?.name).toBe("readvFixed");
    expect(opcodeInfo("bogus")).toBeUndefined();
    expect(opcodeInfo(63)).toBeUndefined();
    expect(Object.isFrozen(OPCODES) && Object.isFrozen(OPCODES[0])).toBe(true);
  });

  it("agrees with every IORING_OP_* constant of asm/assembly/abi.ts", () => {
    const abi = readFileSync(`${root}/asm/assembly/abi.ts`, "utf8");
    const consts = [...abi.matchAll(/export const (IORING_OP_\w+): u8 = (\d+);/g)];
    expect(consts.length).toBeGreaterThan(0);
    for (const [, uapi, value] of consts) expect(opcodeInfo(uapi!)?.opcode, uapi).toBe(Number(value));
    // Once it has the last one it must have them all.
    if (abi.includes("IORING_OP_PIPE")) expect(consts.map(([, uapi]) => uapi)).toEqual(OPCODES.map((o) => o.uapi));
    else console.log(`abi.ts defines ${consts.length} of ${OPCODES.length} opcodes`);
  });

  it("has flag tables whose values are core/constants.ts's and unique bits", () => {
    const tables: [string, ReadonlyArray<FlagInfo>][] = [["setup", SETUP_FLAGS], ["enter", ENTER_FLAGS], ["sqe", SQE_FLAGS], ["feature", FEATURE_FLAGS]];
    for (const [what, table] of tables) {
      table.forEach((f, bit) => expect(f.value, `${what} ${f.uapi}`).toBe(1 << bit));
    }
    expect(FEATURE_FLAGS.map((f) => [f.value, f.name])).toEqual(C.FEATURE_NAMES.map(([v, n]) => [v, n]));
    expect(SETUP_FLAGS.find((f) => f.name === "NO_MMAP")).toEqual({ name: "NO_MMAP", uapi: "IORING_SETUP_NO_MMAP", value: C.IORING_SETUP_NO_MMAP, since: "6.5" });
  });
});

describe(`probing the running kernel (${release()}, ${runtime})`, () => {
  it("reports the release os.release() gives", () => {
    expect(queried.kernelRelease).toBe(release());
    expect(queried.kernelVersion).toEqual(kernel);
  });

  it("finds exactly the table's opcodes up to this release, lastOp the newest of them", () => {
    const expected = OPCODES.filter((o) => hasRelease(kernel, o.since));
    if (queried.lastOp <= LAST_KNOWN_OPCODE) expect(queried.lastOp).toBe(expected.at(-1)!.opcode);
    if (kernel.major === 6 && kernel.minor === 18) expect(queried.lastOp).toBe(62); // IORING_OP_PIPE
    // A release-appropriate kernel may still leave ops out (CONFIG_NET …); print them.
    const missing = expected.filter((o) => !queried.supports(o.name)).map((o) => o.name);
    if (missing.length) console.log(`configured out of this kernel: ${missing.join(", ")}`);
    expect(queried.opcodes).toEqual(expected.map((o) => o.name).filter((n) => !missing.includes(n)));
  });

  it("says readvFixed, writevFixed, epollWait and pipe are supported on 6.16+", (ctx) => {
    if (!hasRelease(kernel, "6.16")) skip(ctx, `needs Linux 6.16+, this is ${release()}`);
    for (const n of ["nop", "readvFixed", "writevFixed", "epollWait", "pipe", "IORING_OP_PIPE"]) expect(queried.supports(n), n).toBe(true);
    expect(queried.unsupportedMessage("pipe")).toBeUndefined();
    expect(queried.unsupportedError("pipe")).toBeUndefined();
  });

  it("QUERY's opcode count and PROBE's per-op answer agree", (ctx) => {
    if (!hasQuery) skip(ctx, "no IORING_REGISTER_QUERY (Linux 6.18+)");
    const byQuery = probeKernel(native, { method: "query" });
    const byProbe = probeKernel(native, { method: "probe" });
    expect(byQuery.source).toBe("query");
    expect(byQuery.inferred).toEqual(["opcodes"]);
    expect(byProbe.source).toBe("probe");
    expect(byQuery.supportedOpcodes).toEqual(byProbe.supportedOpcodes);
    expect(byQuery.lastOp).toBe(byProbe.lastOp);
    expect(queried.supportedOpcodes).toEqual(byProbe.supportedOpcodes);
    expect(queried.registerOpcodes).toBeGreaterThan(C.IORING_REGISTER_QUERY);
  });

  it("QUERY's flags include NO_MMAP, SQPOLL … and equal what the release implies", (ctx) => {
    if (!hasQuery) skip(ctx, "no IORING_REGISTER_QUERY (Linux 6.18+)");
    expect(queried.inferred).toEqual([]);
    expect(queried.flagsInferred).toBe(false);
    expect(queried.setupFlagNames).toEqual(expect.arrayContaining(["SQPOLL", "NO_MMAP", "NO_SQARRAY", "SINGLE_ISSUER", "SUBMIT_ALL", "CQSIZE"]));
    expect(queried.enterFlagNames).toEqual(expect.arrayContaining(["GETEVENTS", "SQ_WAKEUP", "EXT_ARG"]));
    expect(queried.sqeFlagNames).toEqual(expect.arrayContaining(["FIXED_FILE", "IO_LINK", "ASYNC"]));
    const fallback = probeKernel(native, { method: "probe" });
    expect(fallback.flagsInferred).toBe(true);
    expect(fallback.inferred).toEqual(["setupFlags", "enterFlags", "sqeFlags"]); // features: the temporary ring's params
    // Names first, so a wrong `since` shows up as the flag it concerns.
    expect(fallback.setupFlagNames).toEqual(queried.setupFlagNames);
    expect(fallback.enterFlagNames).toEqual(queried.enterFlagNames);
    expect(fallback.sqeFlagNames).toEqual(queried.sqeFlagNames);
    expect(fallback.featureNames).toEqual(queried.featureNames);
    expect([fallback.setupFlags, fallback.enterFlags, fallback.sqeFlags, fallback.features])
      .toEqual([queried.setupFlags, queried.enterFlags, queried.sqeFlags, queried.features]);
    expect(inferProbe(release()).featureNames).toEqual(queried.featureNames);
  });

  it("each opcode the probe calls unsupported is absent from the kernel's own PROBE answer, and vice versa", () => {
    const params = new Uint8Array(120);
    const fd = native.setup(2, native.addressOf(params));
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      const raw = rawProbe(fd);
      expect(queried.lastOp).toBe(raw.lastOp);
      expect(raw.opsLen).toBe(raw.lastOp + 1);
      for (let op = 0; op < 256; op++) expect(queried.supportsOpcode(op), `opcode ${op}`).toBe(raw.supported.has(op));
      for (const o of OPCODES) if (!queried.supports(o.name)) expect(raw.supported.has(o.opcode), o.uapi).toBe(false);
    } finally {
      native.close(fd);
    }
  });

  it("probes through a given ring's fd, taking that ring's features", () => {
    using ring = uring.Ring.open({ entries: 4 });
    const p = probeKernel(native, { method: "probe", ringFd: ring.fd, features: ring.features });
    expect(p.supportedOpcodes).toEqual(queried.supportedOpcodes);
    expect(p.features).toBe(ring.features);
    expect(p.inferred).not.toContain("features");
    const bare = probeKernel(native, { method: "probe", ringFd: ring.fd });
    expect(bare.inferred).toContain("features");
  });

  it("caches probe() for the process", () => {
    expect(probe()).toBe(probe());
    expect(probe().supportedOpcodes).toEqual(queried.supportedOpcodes);
    expect(probe({ method: "probe" })).not.toBe(probe());
  });

  it("turns a kernel refusal into a UringError", () => {
    const file = openSync(`${root}/README.md`, "r"); // an fd, but not an io_uring one
    try {
      const notRing = () => probeKernel(native, { method: "probe", ringFd: file });
      expect(notRing).toThrow(uring.UringError);
      expect(notRing).toThrow(/probe: EOPNOTSUPP/);
    } finally {
      closeSync(file);
    }
    expect(() => probeKernel(native, { method: "probe", ringFd: 1_000_000 })).toThrow(/probe: EBADF/);
    expect(() => probeKernel(native, { method: "fast" as "auto" })).toThrow(TypeError);
  });
});

describe("Probe values", () => {
  it("is immutable", () => {
    expect(Object.isFrozen(queried)).toBe(true);
    expect(Object.isFrozen(queried.opcodes) && Object.isFrozen(queried.setupFlagNames)).toBe(true);
    expect(() => (queried.opcodes as string[]).push("x")).toThrow(TypeError);
  });

  it("supports() throws a TypeError naming a name that is not an opcode", () => {
    expect(() => queried.supports("bogus")).toThrow(TypeError);
    expect(() => queried.supports("bogus")).toThrow(/name: "bogus" is not an io_uring opcode name/);
    expect(() => queried.supports("READV")).toThrow(TypeError);
    expect(() => queried.supports(1 as unknown as string)).toThrow(TypeError);
    expect(() => queried.unsupportedMessage("bogus")).toThrow(TypeError);
    expect(queried.describe("readvFixed")).toEqual({ opcode: 60, uapi: "IORING_OP_READV_FIXED", name: "readvFixed", since: "6.15" });
  });

  it("explains an op newer than the kernel, and makes it an EOPNOTSUPP UringError", () => {
    const old = inferProbe("6.1.0");
    expect(old.source).toBe("probe");
    expect(old.lastOp).toBe(opcodeInfo("sendmsgZc")!.opcode);
    expect(old.supports("sendmsgZc")).toBe(true);
    expect(old.supports("readvFixed")).toBe(false);
    expect(old.unsupportedMessage("readvFixed")).toBe("'readvFixed' (IORING_OP_READV_FIXED) needs Linux 6.15+; this kernel is 6.1.0");
    expect(old.unsupportedMessage(60)).toBe(old.unsupportedMessage("readvFixed"));
    expect(old.setupFlagNames).toContain("DEFER_TASKRUN");
    expect(old.setupFlagNames).not.toContain("NO_MMAP");
    const err = old.unsupportedError("readvFixed", "readvFixed")!;
    expect(err).toBeInstanceOf(uring.UringError);
    expect([err.code, err.errno, err.op]).toEqual(["EOPNOTSUPP", 95, "readvFixed"]);
    expect(err.message).toBe("readvFixed: EOPNOTSUPP: 'readvFixed' (IORING_OP_READV_FIXED) needs Linux 6.15+; this kernel is 6.1.0");
  });

  it("explains an op the kernel is new enough for but was built without", () => {
    const p = new Probe({
      kernelRelease: "6.18.0-custom", source: "probe", inferred: [], lastOp: 62,
      supportedOpcodes: OPCODES.map((o) => o.opcode).filter((n) => n !== 59), setupFlags: 0, enterFlags: 0, sqeFlags: 0, features: 0,
    });
    expect(p.supports("epollWait")).toBe(false);
    expect(p.unsupportedMessage("epollWait")).toMatch(/^'epollWait' \(IORING_OP_EPOLL_WAIT\) is not supported by this kernel \(6\.18\.0-custom\) although it is in Linux 6\.15\+/);
  });
});

describe("a kernel release that cannot be read", () => {
  it("is stood in for by the oldest release with what the kernel showed", () => {
    const upTo = (last: number) => OPCODES.filter((o) => o.opcode <= last).map((o) => o.opcode);
    expect(versionFloor(upTo(62), true)).toEqual({ major: 6, minor: 18 });
    expect(versionFloor(upTo(62), false)).toEqual({ major: 6, minor: 16 });
    expect(versionFloor(upTo(48), false)).toEqual({ major: 6, minor: 1 });
    const p = new Probe({
      kernelRelease: UNKNOWN_RELEASE, kernelVersion: versionFloor(upTo(48), false), source: "probe", inferred: ["kernelVersion"],
      lastOp: 48, supportedOpcodes: upTo(48), setupFlags: 0, enterFlags: 0, sqeFlags: 0, features: 0,
    });
    expect(p.kernelVersion).toEqual({ major: 6, minor: 1 });
    expect(p.unsupportedMessage("pipe")).toBe("'pipe' (IORING_OP_PIPE) needs Linux 6.16+ and is not supported by this kernel (release unknown)");
  });

  it("does not stop Deno without --allow-sys: the release comes from uname(2) over FFI", () => {
    const dir = tempDir();
    try {
      const script = `${dir.dir}/probe.ts`;
      writeFileSync(script, [
        `import { createDenoNative } from ${JSON.stringify(`${root}/runtime-deno/native.ts`)};`,
        `import { probeKernel } from ${JSON.stringify(`${root}/core/probe.ts`)};`,
        "const p = probeKernel(createDenoNative());",
        "console.log(JSON.stringify({ ...p, readvFixed: p.supports('readvFixed') }));",
      ].join("\n"));
      const deno = runtime === "deno" ? process.execPath : `${root}/node_modules/.bin/deno`;
      const r = spawnSync(deno, ["run", "--no-prompt", "--allow-ffi", `--allow-read=${root},${dir.dir}`, script], { encoding: "utf8", timeout: 20_000 });
      expect(r.stderr).toBe("");
      const p = JSON.parse(r.stdout);
      expect(p.kernelRelease).toBe(release());
      expect(p.inferred).not.toContain("kernelVersion");
      expect(p.supportedOpcodes).toEqual(queried.supportedOpcodes);
      if (hasQuery) expect([p.source, p.setupFlags, p.features]).toEqual(["query", queried.setupFlags, queried.features]);
    } finally {
      dir.cleanup();
    }
  });
});

describe("README's opcode table", () => {
  const readme = readFileSync(`${root}/README.md`, "utf8");
  const block = readme.slice(readme.indexOf("<!-- opcodes:begin -->"), readme.indexOf("<!-- opcodes:end -->"));

  it("is what scripts/opcode-table.mjs generates from core/opcodes.ts", () => {
    const [cmd, args] = runtimeCommand(`${root}/scripts/opcode-table.mjs`);
    const r = spawnSync(cmd, [...args, "--check"], { encoding: "utf8", timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(block.split("\n").filter((l) => l.startsWith("| ") && /^\| \d/.test(l))).toHaveLength(OPCODES.length);
  });

  it("names only promise methods Ring has", () => {
    const methods = [...block.matchAll(/\| `(\w+)\(\)` \|$/gm)].map((m) => m[1]!);
    expect(methods.length).toBeGreaterThan(0);
    const proto = uring.Ring.prototype as unknown as Record<string, unknown>;
    for (const m of methods) expect(typeof proto[m], m).toBe("function");
  });
});
