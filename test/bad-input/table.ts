// The bad-input table: a row per public method and option, each argument
// with a valid value and its bad-value class (values.ts). The sweep
// (sweep.test.ts) calls every row once per bad value, with the others valid.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Ring, uring } from "../support/uring.ts";
import {
  bad, type BadValue, naming, badBits, badBoolean, badBuffer, badBufferList, badFd, badFunction, badIntegers, badMs, badObject,
  badOffset, badOptions, badPath, badU32, detachedView,
} from "./values.ts";

type BufferPool = import("../../core/mod.ts").BufferPool;
type BufferRing = import("../../core/mod.ts").BufferRing;
type FixedFile = import("../../core/mod.ts").FixedFile;

/** Real rings, files and pools the rows use; made once per test file. */
export interface Fixture {
  ring: Ring;
  /** No registered tables: for register* rows. */
  bare: Ring;
  other: Ring;
  closed: Ring;
  dir: string;
  path: string;
  fd: number;
  buf: Uint8Array;
  pool: BufferPool;
  /** Registered on `other` only. */
  otherPool: BufferPool;
  closedPool: BufferPool;
  fixed: FixedFile;
  otherFixed: FixedFile;
  bufferRing: BufferRing;
  otherBufferRing: BufferRing;
  word: Int32Array;
  page: Uint8Array;
  close(): Promise<void>;
}

export async function makeFixture(dir: string, mode: "no-mmap" | "mmap" = "no-mmap"): Promise<Fixture> {
  const { Ring, BufferPool, NativeBuffer } = uring;
  const ring = Ring.open({ entries: 16, mode });
  const bare = Ring.open({ entries: 8, mode });
  const other = Ring.open({ entries: 8, mode });
  const closed = Ring.open({ entries: 4, mode });
  closed.close();
  const path = join(dir, "data");
  writeFileSync(path, new Uint8Array(8192).fill(7));
  // Opened through the ring: a real kernel fd in both runtimes.
  const fd = await ring.openat(path, 2 /* O_RDWR */);
  const pool = BufferPool.create({ count: 2, size: 4096 });
  ring.registerBuffers(pool);
  const otherPool = BufferPool.create({ count: 1, size: 4096 });
  other.registerBuffers(otherPool);
  const closedPool = BufferPool.create({ count: 1, size: 4096 });
  closedPool.close();
  const fixed = ring.registerFiles({ sparse: 4 })[0];
  const otherFixed = other.registerFiles({ sparse: 4 })[0];
  const bufferRing = ring.registerBufferRing({ entries: 4, size: 256 });
  const otherBufferRing = other.registerBufferRing({ entries: 4, size: 256 });
  const page = NativeBuffer.alloc(4096);
  return {
    ring, bare, other, closed, dir, path, fd, buf: new Uint8Array(16), pool, otherPool, closedPool, fixed, otherFixed, bufferRing,
    otherBufferRing, word: new Int32Array(new SharedArrayBuffer(8)), page: page.bytes,
    async close() {
      await ring.closeFd(fd);
      bufferRing.close();
      otherBufferRing.close();
      for (const r of [ring, bare, other]) r.close();
      pool.close();
      otherPool.close();
      page.close();
    },
  };
}

export interface Arg {
  name: string;
  valid: (fx: Fixture) => unknown;
  bad: BadValue[];
}

export interface Row {
  /** The function as its errors name it: "read", "BufferPool.view", "serve". */
  fn: string;
  /** What the coverage check knows it as: "Ring#read", "BufferPool#view", "BufferPool.create", "serve". */
  covers: string;
  args: Arg[];
  /** The object the row calls; a closed one of the same kind for the closed-object case. */
  target: (fx: Fixture) => unknown;
  closedTarget?: (fx: Fixture) => unknown;
  call: (target: any, a: any[], fx: Fixture) => unknown;
  /** Batch API: a call that wrongly succeeds queued an SQE to submit and reap. */
  batch?: boolean;
  /** An async function: bad input rejects instead of throwing. */
  rejects?: boolean;
}

const arg = (name: string, valid: (fx: Fixture) => unknown, badValues: BadValue[]): Arg => ({ name, valid, bad: badValues });

/** A fixed-file handle of another ring, or beyond this ring's table. */
const badFixed = (): BadValue[] => [
  bad("another ring's FixedFile", (fx) => (fx as Fixture).otherFixed, "TypeError"),
  bad("a FixedFile outside the table", (fx) => new uring.FixedFile((fx as Fixture).ring, 99), "RangeError"),
];
const fdArg = (name = "fd", kernel = true) => arg(name, (fx) => fx.fd, [...badFd({ kernel }), ...badFixed()]);
const plainFdArg = (name = "fd", kernel = true) => arg(name, (fx) => fx.fd, badFd({ kernel }));
const dirfdArg = (name = "dirfd") => arg(name, () => -100, badIntegers(0, 0x7fff_ffff).filter((b) => b.label !== "-1 (below the minimum)").concat(bad("-5", () => -5, "RangeError")));
const bufArg = (name = "buf") => arg(name, (fx) => fx.buf, badBuffer());
const offsetArg = (name = "offset") => arg(name, () => 0, badOffset());
const sizeArg = (name: string) => arg(name, () => 0, badIntegers(0, Number.MAX_SAFE_INTEGER, { bigint: true, required: true }));
const pathArg = (name = "path", valid = (fx: Fixture) => fx.path) => arg(name, valid, badPath());
const optionsArg = (name = "options") => arg(name, () => ({}), badOptions());
const intArg = (name: string, valid: number, min: number, max: number, required = false) =>
  arg(name, () => valid, badIntegers(min, max, { required }));
const bitsArg = (name: string, valid: number, unknown: number, required = false) => arg(name, () => valid, badBits(unknown, required));
const boolArg = (name: string) => arg(name, () => false, badBoolean());
const poolArg = (name = "pool") => arg(name, (fx) => fx.pool, [
  ...badObject(),
  bad("a closed pool", (fx) => (fx as Fixture).closedPool, "TypeError"),
  bad("a pool registered only on another ring", (fx) => (fx as Fixture).otherPool, "TypeError"),
]);
const name = (fx: Fixture) => `${fx.dir}/${Math.random().toString(36).slice(2)}`;

// Most ring rows: target fx.ring, closed fx.closed, call the method by name.
function ringRow(fn: string, args: Arg[], extra: Partial<Row> = {}): Row {
  return {
    fn, covers: `Ring#${fn}`, args, target: (fx) => fx.ring, closedTarget: (fx) => fx.closed,
    call: (r, a) => r[fn](...a), ...extra,
  };
}
const bareRow = (fn: string, args: Arg[], extra: Partial<Row> = {}) => ringRow(fn, args, { target: (fx) => fx.bare, ...extra });
/** A call whose trailing arguments are one options object: each field is its own table argument. */
function withOptions(positional: number, fields: string[]): (r: any, a: any[], fx: Fixture, fn: string) => unknown {
  return (r, a) => {
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      if (a[positional + i] !== undefined) o[f] = a[positional + i];
    });
    return [a.slice(0, positional), o];
  };
}
function optionsRow(fn: string, positional: Arg[], fields: Arg[], extra: Partial<Row> = {}): Row {
  const split = withOptions(positional.length, fields.map((f) => f.name.replace(/^[a-zA-Z]+\./, "")));
  return ringRow(fn, [...positional, ...fields], {
    call: (r, a, fx) => {
      const [pos, o] = split(r, a, fx, fn) as [unknown[], object];
      return r[fn](...pos, o);
    },
    ...extra,
  });
}

const FUTEX_BAD = badIntegers(-0x8000_0000, 0xffff_ffff, { required: true });

export function table(): Row[] {
  return [
    // ---- promise API: I/O --------------------------------------------------
    ringRow("read", [fdArg(), bufArg(), offsetArg()]),
    ringRow("write", [fdArg(), bufArg(), offsetArg()]),
    ringRow("readv", [fdArg(), arg("buffers", (fx) => [fx.buf], badBufferList()), offsetArg(), intArg("flags", 0, -0x8000_0000, 0xffff_ffff)]),
    ringRow("writev", [fdArg(), arg("buffers", (fx) => [fx.buf], badBufferList()), offsetArg(), intArg("flags", 0, -0x8000_0000, 0xffff_ffff)]),
    ...["readFixed", "writeFixed"].map((fn) =>
      ringRow(fn, [
        fdArg(), poolArg("pool"), intArg("index", 0, 0, 1, true), offsetArg("position"),
        arg("options.offset", () => 0, badIntegers(0, 4095)), arg("options.length", () => 16, badIntegers(1, 4096)),
      ], { call: (r, a) => r[fn](a[0], a[1], a[2], a[3], { offset: a[4], length: a[5] }) })
    ),
    ...["readvFixed", "writevFixed"].map((fn) =>
      ringRow(fn, [
        fdArg(), poolArg("pool"),
        arg("parts", () => [{ index: 0, length: 16 }], [
          bad("an empty list", () => [], "RangeError"),
          bad("not an array", () => 5, "RangeError"),
          bad("a part with index out of range", () => [{ index: 2 }], "RangeError"),
          bad("a part with a NaN length", () => [{ index: 0, length: Number.NaN }], "RangeError"),
          bad("a part that is not an object", () => [7], "TypeError"),
        ]),
        offsetArg("position"), intArg("flags", 0, -0x8000_0000, 0xffff_ffff),
      ])
    ),
    optionsRow("fsync", [fdArg()], [boolArg("options.datasync")]),
    ringRow("syncFileRange", [fdArg(), sizeArg("offset"), arg("nbytes", () => 0, badU32()), bitsArg("flags", 0, 0x100, true)]),
    ringRow("fallocate", [fdArg(), sizeArg("offset"), arg("length", () => 1, badIntegers(1, Number.MAX_SAFE_INTEGER, { bigint: true, required: true })), bitsArg("mode", 0, 0x1000)]),
    ringRow("fadvise", [fdArg(), sizeArg("offset"), sizeArg("length"), intArg("advice", 0, 0, 5, true)]),
    ringRow("madvise", [arg("buf", (fx) => fx.page, badBuffer()), intArg("advice", 0, 0, 127, true)]),
    ringRow("ftruncate", [fdArg(), sizeArg("length")]),
    ringRow("splice", [fdArg("fdIn"), offsetArg("offIn"), fdArg("fdOut"), offsetArg("offOut"), arg("nbytes", () => 0, badU32()), bitsArg("flags", 0, 0x10)]),
    ringRow("tee", [fdArg("fdIn"), fdArg("fdOut"), arg("nbytes", () => 0, badU32()), bitsArg("flags", 0, 0x10)]),
    optionsRow("pipe", [bitsArg("flags", 0, 0x1)], [boolArg("options.inheritable")]),
    ringRow("pollAdd", [fdArg(), bitsArg("events", 1, 0x8000_0000, true)]),
    ringRow("pollMultishot", [fdArg(), bitsArg("events", 1, 0x8000_0000, true)]),
    optionsRow("readMultishot", [fdArg()], [
      arg("options.bufferSize", () => 64, badIntegers(1, 1 << 24)), arg("options.buffers", () => 2, badIntegers(1, 1 << 15)),
    ]),
    // ---- promise API: files and paths ----------------------------------------
    ringRow("openat", [pathArg(), intArg("flags", 0, -0x8000_0000, 0xffff_ffff), intArg("mode", 0o644, 0, 0o7777), dirfdArg()]),
    ringRow("openat2", [
      pathArg(), arg("how.flags", () => 0, badIntegers(-0x8000_0000, 0xffff_ffff)), arg("how.mode", () => undefined, badIntegers(0, 0o7777)),
      arg("how.resolve", () => 0, badBits(0x100)), dirfdArg(),
    ], { call: (r, a) => r.openat2(a[0], { flags: a[1], mode: a[2], resolve: a[3] }, a[4]) }),
    ringRow("closeFd", [fdArg()]),
    ringRow("openatDirect", [
      pathArg(), intArg("flags", 0, -0x8000_0000, 0xffff_ffff), intArg("mode", 0o644, 0, 0o7777), dirfdArg(),
      arg("fileIndex", () => 1, badIntegers(0, 3)),
    ]),
    optionsRow("statx", [pathArg()], [dirfdArg("options.dirfd"), arg("options.flags", () => 0, badBits(0x1)), arg("options.mask", () => 0x7ff, badU32(false))]),
    optionsRow("renameat", [pathArg("oldPath"), pathArg("newPath", name)], [dirfdArg("options.oldDirfd"), dirfdArg("options.newDirfd"), arg("options.flags", () => 0, badBits(0x100))]),
    optionsRow("unlinkat", [pathArg("path", name)], [dirfdArg("options.dirfd"), boolArg("options.removeDir")]),
    ringRow("mkdirat", [pathArg("path", name), intArg("mode", 0o777, 0, 0o7777), dirfdArg()]),
    ringRow("symlinkat", [pathArg("target"), pathArg("linkPath", name), dirfdArg("newDirfd")]),
    optionsRow("linkat", [pathArg("oldPath"), pathArg("newPath", name)], [dirfdArg("options.oldDirfd"), dirfdArg("options.newDirfd"), arg("options.flags", () => 0, badBits(0x1))]),
    ...[["getxattr", pathArg()], ["fgetxattr", fdArg()]].map(([fn, first]) =>
      optionsRow(fn as string, [first as Arg, arg("name", () => "user.x", [...badPath().filter((b) => b.label !== "5000 bytes (PATH_MAX 4096)"), bad("empty", () => "", "RangeError"), bad("256 bytes", () => "u".repeat(256), "RangeError")])], [
        arg("options.size", () => 16, badIntegers(1, 65536)),
      ])
    ),
    ...[["setxattr", pathArg()], ["fsetxattr", fdArg()]].map(([fn, first]) =>
      ringRow(fn as string, [
        first as Arg, arg("name", () => "user.x", [bad("NUL in the name", () => "a\0b", "TypeError"), bad("empty", () => "", "RangeError"), bad("a number", () => 1, "TypeError")]),
        // A string value is valid (its UTF-8 is stored).
        arg("value", () => "v", badBuffer().filter((b) => !b.label.startsWith("a string"))), bitsArg("flags", 0, 0x4),
      ])
    ),
    // ---- promise API: sockets --------------------------------------------------
    optionsRow("socket", [intArg("domain", 2, 0, 45, true), bitsArg("type", 1, 0x10, true), intArg("protocol", 0, 0, 0xffff)], [
      boolArg("options.inheritable"),
    ]),
    ringRow("socketDirect", [intArg("domain", 2, 0, 45, true), bitsArg("type", 1, 0x10, true), intArg("protocol", 0, 0, 0xffff), arg("fileIndex", () => 1, badIntegers(0, 3))]),
    ringRow("acceptDirect", [fdArg(), arg("fileIndex", () => 1, badIntegers(0, 3)), bitsArg("flags", 0, 0x1)]),
    optionsRow("acceptMultishot", [fdArg(), bitsArg("flags", 0, 0x1)], [boolArg("options.inheritable")]),
    ringRow("recvMultishot", [fdArg(), arg("bufferRing", (fx) => fx.bufferRing, [
      ...badObject(), bad("another ring's BufferRing", (fx) => (fx as Fixture).otherBufferRing, "TypeError"),
    ]), intArg("flags", 0, 0, 0x7fff_ffff)]),
    ringRow("bind", [fdArg(), arg("address", () => ({ address: "127.0.0.1", port: 0 }), [
      ...badObject().filter((b) => b.label !== "a plain object"), bad("NUL in a unix path", () => ({ path: "a\0b" }), "TypeError"),
      bad("a port of 70000", () => ({ address: "127.0.0.1", port: 70000 }), "RangeError"),
    ])]),
    ringRow("connect", [fdArg(), arg("address", () => ({ address: "127.0.0.1", port: 1 }), [
      ...badObject().filter((b) => b.label !== "a plain object"), bad("a port of NaN", () => ({ address: "127.0.0.1", port: Number.NaN }), "RangeError"),
    ])]),
    ringRow("listen", [fdArg(), intArg("backlog", 1, 0, 0x7fff_ffff)]),
    ringRow("localAddress", [plainFdArg("fd")]),
    optionsRow("accept", [fdArg(), bitsArg("flags", 0, 0x1)], [boolArg("options.inheritable")]),
    ringRow("send", [fdArg(), bufArg(), intArg("flags", 0, 0, 0x7fff_ffff)]),
    ringRow("recv", [fdArg(), bufArg(), intArg("flags", 0, 0, 0x7fff_ffff)]),
    ringRow("sendZc", [fdArg(), bufArg(), intArg("flags", 0, 0, 0x7fff_ffff)]),
    ...["sendmsg", "sendmsgZc", "recvmsg"].map((fn) =>
      optionsRow(fn, [fdArg(), arg("buffers", (fx) => [fx.buf], badBufferList())], [arg("options.flags", () => 0, badIntegers(0, 0x7fff_ffff))])
    ),
    ringRow("shutdown", [fdArg(), intArg("how", 2, 0, 2)]),
    // ---- timers, messages, futexes, waitid --------------------------------------
    optionsRow("timeout", [arg("ms", () => 1, badMs())], [boolArg("options.absolute"), arg("options.count", () => 0, badU32(false))]),
    optionsRow("timeoutMultishot", [arg("ms", () => 1, badMs())], [arg("options.count", () => 1, badU32(false))]),
    optionsRow("linkTimeout", [arg("ms", () => 1, badMs())], [boolArg("options.absolute")]),
    optionsRow("msgRing", [
      arg("target", (fx) => fx.other, [...badObject(), bad("a closed ring", (fx) => (fx as Fixture).closed, "TypeError")]),
      intArg("value", 0, -0x8000_0000, 0x7fff_ffff, true),
    ], [arg("options.data", () => 0, badU32(false))]),
    ...["futexWait", "futexWake"].map((fn) =>
      optionsRow(fn, [
        arg("view", (fx) => fx.word, [
          ...badObject(), bad("a Float64Array", () => new Float64Array(2), "TypeError"),
          bad("a detached Int32Array", () => {
            const b = new ArrayBuffer(8);
            const v = new Int32Array(b);
            b.transfer();
            return v;
          }, "TypeError"),
        ]),
        intArg("index", 0, 0, 1, true),
        fn === "futexWait" ? arg("expected", () => 1, FUTEX_BAD) : arg("count", () => 1, badIntegers(1, 0x7fff_ffff)),
      ], [arg("options.mask", () => 1, badIntegers(1, 0xffff_ffff)), boolArg("options.shared")])
    ),
    ringRow("futexWaitv", [arg("futexes", (fx) => [{ view: fx.word, index: 0, expected: 1 }], [
      bad("an empty list", () => [], "RangeError"),
      bad("not an array", () => 5, "TypeError"),
      naming("futexes[0].index", bad("an entry with a NaN index", (fx) => [{ view: (fx as Fixture).word, index: Number.NaN, expected: 1 }], "RangeError")),
      bad("an entry that is not an object", () => [5], "TypeError"),
    ])]),
    ringRow("waitid", [intArg("idtype", 1, 0, 3, true), intArg("id", 1, 0, 0x7fff_ffff, true), bitsArg("options", 5, 0x10_0000, true)]),
    // ---- control --------------------------------------------------------------
    ringRow("cancel", [arg("target", () => "all", [
      bad("a number", () => 5, "TypeError"), bad("null", () => null, "TypeError"), bad("missing", () => undefined, "TypeError"),
      bad('"ALL"', () => "ALL", "TypeError"),
    ])]),
    optionsRow("cancel", [], [arg("target.fd", (fx) => fx.fd, [...badFd({ kernel: false }), ...badFixed()])], {
      call: (r, a) => r.cancel({ fd: a[0] }),
    }),
    ringRow("link", [arg("members", (fx) => [fx.ring.nop()], [
      bad("a number", () => 5, "TypeError"), bad("an empty list", () => [], "RangeError"),
      bad("a foreign promise", () => [Promise.resolve()], "TypeError"),
      bad("more members than SQ entries", () => Array.from({ length: 17 }, () => Promise.resolve()), "RangeError"),
    ]), arg("options", () => ({}), [...badOptions(), bad("hard: 1", () => ({ hard: 1 }), "TypeError")])]),
    ringRow("sqeSetFlags", [arg("member", (fx) => fx.ring.nop(), [bad("a foreign promise", () => Promise.resolve(), "TypeError"), bad("a number", () => 5, "TypeError")]),
      arg("flags", () => 0, [...badIntegers(0, 0xff, { required: true }), bad("IOSQE_IO_LINK", () => 4, "RangeError")])]),
    ringRow("supports", [arg("name", () => "read", [bad("a number", () => 5, "TypeError"), bad("an unknown name", () => "frobnicate", "TypeError"), bad("missing", () => undefined, "TypeError")])],
      { closedTarget: undefined }),
    // ---- registration -------------------------------------------------------------
    bareRow("registerBuffers", [arg("source", () => ({ sparse: 1 }), [
      bad("a number", () => 5, "TypeError"), bad("null", () => null, "TypeError"), bad("an empty list", () => [], "RangeError"),
      bad("a list with a detached buffer", () => [detachedView()], "RangeError"), bad("a list with a string", () => ["abc"], "TypeError"),
      bad("sparse NaN", () => ({ sparse: Number.NaN }), "RangeError"), bad("sparse 0", () => ({ sparse: 0 }), "RangeError"),
      bad("sparse 10n", () => ({ sparse: 10n }), "TypeError"), naming("pool", bad("a closed pool", (fx) => (fx as Fixture).closedPool, "TypeError")),
    ])]),
    ringRow("updateBuffers", [intArg("offset", 0, 0, 0, true), arg("source", (fx) => fx.pool, [
      bad("a number", () => 5, "TypeError"), bad("sparse 2 (past the table)", () => ({ sparse: 2 }), "RangeError"),
      naming("pool", bad("a closed pool", (fx) => (fx as Fixture).closedPool, "TypeError")),
    ])]),
    ringRow("registeredBuffer", [intArg("slot", 0, 0, 0, true)]),
    ringRow("bufferSlotOf", [arg("source", (fx) => fx.pool, [bad("a number", () => 5, "TypeError"), bad("missing", () => undefined, "TypeError")])]),
    // Any open pool is valid here (mapBuffers registers it).
    bareRow("mapBuffers", [{ ...poolArg("pool"), bad: poolArg("pool").bad.filter((b) => !b.label.includes("another ring")) }, arg("options", (fx) => ({ files: [fx.fd] }), [
      ...badOptions(), bad("files: []", () => ({ files: [] }), "TypeError"),
      bad("files: [NaN]", () => ({ files: [Number.NaN] }), "RangeError"),
      bad("files: [another ring's FixedFile]", (fx) => ({ files: [(fx as Fixture).otherFixed] }), "TypeError"),
    ])], { covers: "Ring#mapBuffers" }),
    optionsRow("cloneBuffersFrom", [arg("source", (fx) => fx.ring, [
      bad("a number", () => 5, "TypeError"), bad("a closed ring", (fx) => (fx as Fixture).closed, "TypeError"),
      bad("a descriptor with fd NaN", () => ({ ringFd: Number.NaN, buffers: [] }), "RangeError"),
    ])], [
      arg("options.srcOffset", () => 0, badIntegers(0, 0)), arg("options.dstOffset", () => 0, badIntegers(0, 16383)),
      arg("options.count", () => 1, badIntegers(1, 1)), boolArg("options.replace"),
    ], { target: (fx) => fx.bare }),
    bareRow("registerFiles", [arg("source", () => ({ sparse: 1 }), [
      bad("a number", () => 5, "TypeError"), naming("fds", bad("an empty list", () => [], "RangeError")),
      naming("fds[0]", bad("fds [1.5]", () => [1.5], "RangeError")), naming("fds[0]", bad("fds [-2]", () => [-2], "RangeError")),
      naming("fds[0]", bad('fds ["1"]', () => ["1"], "TypeError")), naming("fds[0]", bad("fds [10n]", () => [10n], "TypeError")),
      bad("fds [a closed fd]", () => [999_999], "UringError"), bad("sparse NaN", () => ({ sparse: Number.NaN }), "RangeError"),
    ])]),
    ringRow("updateFiles", [intArg("offset", 0, 0, 3, true), arg("fds", () => [-1], [
      bad("a number", () => 5, "RangeError"), bad("an empty list", () => [], "RangeError"), bad("fds [NaN]", () => [Number.NaN], "RangeError"),
      bad("5 fds (past the table)", () => [-1, -1, -1, -1, -1], "RangeError"),
    ])]),
    ringRow("fileAllocRange", [intArg("offset", 0, 0, 3, true), intArg("length", 1, 1, 4, true)]),
    ringRow("fixedFile", [intArg("index", 0, 0, 3, true)]),
    ringRow("registerBufferRing", [
      arg("options.entries", () => 4, [...badIntegers(1, 32768, { required: true }), bad("3 (not a power of two)", () => 3, "RangeError")]),
      arg("options.size", () => 64, badIntegers(1, 0xffff_ffff, { required: true })),
      arg("options.bgid", () => 100, badIntegers(0, 0x7fff)), boolArg("options.incremental"),
    ], { call: (r, a) => r.registerBufferRing({ entries: a[0], size: a[1], bgid: a[2], incremental: a[3] }) }),
    // ---- batch API ------------------------------------------------------------------
    ringRow("prepNop", [arg("userData", () => 1, badU32(false))], { batch: true }),
    ...["prepRead", "prepWrite"].map((fn) =>
      ringRow(fn, [
        fdArg("fd", false),
        arg("buf", (fx) => fx.buf, [
          bad("NaN", () => Number.NaN, "RangeError"), bad("-1", () => -1, "RangeError"), bad("1.5", () => 1.5, "RangeError"),
          bad("2^53+2", () => 2 ** 53 + 2, "RangeError"), bad('"1"', () => "1", "TypeError"), bad("10n", () => 10n, "TypeError"),
          bad("a view of a detached buffer", detachedView, "TypeError"), bad("a plain array", () => [1], "TypeError"),
        ]),
        arg("len", () => 16, [...badU32(), bad("17 (past the 16-byte buf)", () => 17, "RangeError")]),
        arg("offset", () => 0, badOffset()),
        arg("userData", () => 1, badU32(false)),
      ], { batch: true })
    ),
    ...["prepReadFixed", "prepWriteFixed"].map((fn) =>
      ringRow(fn, [
        fdArg("fd", false),
        arg("buf", (fx) => fx.pool.slotAddress(0), [
          bad("NaN", () => Number.NaN, "RangeError"), bad("-1", () => -1, "RangeError"), bad("1.5", () => 1.5, "RangeError"),
          bad('"1"', () => "1", "TypeError"), bad("10n", () => 10n, "TypeError"),
        ]),
        arg("len", () => 16, badU32()),
        arg("offset", () => 0, badOffset()),
        arg("bufIndex", () => 0, badIntegers(0, 0xffff, { required: true })),
        arg("userData", () => 1, badU32(false)),
      ], { batch: true })
    ),
    ringRow("prepFsync", [
      fdArg("fd", false), arg("fsyncFlags", () => 0, badU32(false)), arg("userData", () => 1, badU32(false)),
      arg("sqeFlags", () => 0, [...badIntegers(0, 0xff), bad("IOSQE_CQE_SKIP_SUCCESS", () => 0x40, "RangeError")]),
    ], { batch: true }),
    ringRow("submitAndWait", [arg("waitNr", () => 0, badIntegers(0, 32)), arg("timeoutMs", () => 0, badIntegers(0, 2 ** 31))]),
    ringRow("reap", [arg("callback", () => () => {}, badFunction())]),
    ringRow("addressOf", [arg("buf", (fx) => fx.buf, badBuffer())]),
    // ---- BufferPool ---------------------------------------------------------------------
    {
      fn: "BufferPool.view", covers: "BufferPool#view", target: (fx) => fx.pool, closedTarget: (fx) => fx.closedPool,
      args: [intArg("index", 0, 0, 1, true), intArg("offset", 0, 0, 4096), intArg("length", 16, 0, 4096)],
      call: (p, a) => p.view(...a),
    },
    {
      fn: "BufferPool.slotAddress", covers: "BufferPool#slotAddress", target: (fx) => fx.pool, closedTarget: (fx) => fx.closedPool,
      args: [intArg("index", 0, 0, 1, true)], call: (p, a) => p.slotAddress(...a),
    },
    {
      fn: "BufferPool.addHolder", covers: "BufferPool#addHolder", target: (fx) => fx.pool, closedTarget: (fx) => fx.closedPool,
      args: [arg("holder", (fx) => fx.ring, [bad("a number", () => 5, "TypeError"), bad("a plain object", () => ({}), "TypeError")])],
      call: (p, a) => p.addHolder(...a),
    },
    {
      fn: "BufferPool.create", covers: "BufferPool.create", target: () => uring.BufferPool,
      args: [
        arg("count", () => 1, badIntegers(1, Number.MAX_SAFE_INTEGER, { required: true })),
        arg("size", () => 4096, badIntegers(1, 2 ** 40, { required: true })),
        arg("align", () => 4096, [...badIntegers(4096, 2 ** 30).filter((b) => !b.label.startsWith("1073741825")), bad("6000 (not a power of two)", () => 6000, "RangeError")]),
        boolArg("hugePages"), boolArg("lock"),
      ],
      call: (P, a) => {
        const pool = P.create({ count: a[0], size: a[1], align: a[2], hugePages: a[3], lock: a[4] });
        pool.close(); // a wrongly accepted call still frees what it made
        return pool;
      },
    },
    {
      fn: "BufferPool.create", covers: "BufferPool.create(options)", target: () => uring.BufferPool,
      args: [arg("options", () => ({ count: 1, size: 4096 }), [...badOptions(), bad("missing", () => undefined, "TypeError")])],
      call: (P, a) => P.create(a[0]).close(),
    },
    {
      fn: "BufferPool.fromDmabuf", covers: "BufferPool.fromDmabuf", target: () => uring.BufferPool,
      args: [arg("fd", (fx) => fx.fd, [...badFd({ kernel: false }), bad("a regular file", (fx) => (fx as Fixture).fd, "TypeError")]), intArg("size", 4096, 1, 2 ** 40)],
      call: (P, a) => P.fromDmabuf(...a),
    },
    {
      fn: "BufferPool.attach", covers: "BufferPool.attach", target: () => uring.BufferPool,
      args: [arg("descriptor", (fx) => fx.pool.share(), [
        ...badOptions(),
        bad("address NaN", (fx) => ({ ...(fx as Fixture).pool.share(), address: Number.NaN }), "RangeError"),
        bad("count 10n", (fx) => ({ ...(fx as Fixture).pool.share(), count: 10n }), "TypeError"),
        bad("count past byteLength", (fx) => ({ ...(fx as Fixture).pool.share(), count: 3 }), "RangeError"),
        bad("hugePages 1", (fx) => ({ ...(fx as Fixture).pool.share(), hugePages: 1 }), "TypeError"),
      ])],
      call: (P, a) => P.attach(a[0]).close(),
    },
    {
      fn: "NativeBuffer.alloc", covers: "NativeBuffer.alloc", target: () => uring.NativeBuffer,
      args: [
        arg("size", () => 4096, badIntegers(1, Number.MAX_SAFE_INTEGER, { required: true })),
        boolArg("options.hugePages"), boolArg("options.transparentHugePages"), boolArg("options.lock"),
      ],
      call: (N, a) => N.alloc(a[0], { hugePages: a[1], transparentHugePages: a[2], lock: a[3] }).close(),
    },
    { fn: "NativeBuffer.alloc", covers: "NativeBuffer.alloc(options)", target: () => uring.NativeBuffer, args: [optionsArg()], call: (N, a) => N.alloc(4096, a[0]).close() },
    // ---- buffer rings, probe, Ring.open, serve/connect ----------------------------------------
    {
      fn: "BufferRing.release", covers: "BufferRing#release", target: (fx) => fx.bufferRing,
      args: [arg("bufferId", () => 0, [...badIntegers(0, 3, { required: true }), naming("buffer 1", bad("a buffer the kernel owns", () => 1, "RangeError"))])],
      call: (b, a) => b.release(...a),
    },
    {
      fn: "probe", covers: "probe", target: () => uring,
      args: [arg("options.method", () => "auto", [bad('"fast"', () => "fast", "TypeError"), bad("a number", () => 1, "TypeError")]),
        arg("options.ringFd", () => undefined, badFd({ required: false, kernel: false }))],
      call: (u, a) => u.probe({ method: a[0], ringFd: a[1] }),
    },
    { fn: "probe", covers: "probe(options)", target: () => uring, args: [arg("options", () => ({}), badOptions())], call: (u, a) => u.probe(a[0]) },
    {
      fn: "Ring.open", covers: "Ring.open", target: () => uring.Ring,
      args: [
        arg("options.entries", () => 4, badIntegers(1, 32768)), arg("options.cqEntries", () => 8, badIntegers(4, 65536)),
        arg("options.mode", () => "auto", [bad('"fast"', () => "fast", "TypeError"), bad("a number", () => 1, "TypeError")]),
        arg("options.sqpoll.idleMs", () => undefined, badIntegers(0, 0xffff_ffff)),
        arg("options.assumeKernel", () => undefined, [bad('"latest"', () => "latest", "TypeError"), bad("a number", () => 6, "TypeError")]),
      ],
      call: (R, a) => R.open({ entries: a[0], cqEntries: a[1], mode: a[2], sqpoll: a[3] === undefined ? undefined : { idleMs: a[3] }, assumeKernel: a[4] }).close(),
    },
    { fn: "Ring.open", covers: "Ring.open(options)", target: () => uring.Ring, args: [arg("options", () => ({}), badOptions())], call: (R, a) => R.open(a[0]).close() },
    {
      fn: "serve", covers: "serve", target: (fx) => fx.ring, closedTarget: (fx) => fx.closed, rejects: true,
      args: [
        arg("options.address", () => "127.0.0.1", [bad('"localhost"', () => "localhost", "TypeError"), bad("a number", () => 1, "TypeError")]),
        arg("options.port", () => 0, badIntegers(0, 65535)), arg("options.backlog", () => 1, badIntegers(0, 0x7fff_ffff)),
        arg("options.bufferRing", () => ({ entries: 4, size: 64 }), [
          bad("another ring's BufferRing", (fx) => (fx as Fixture).otherBufferRing, "TypeError"),
          bad("entries NaN", () => ({ entries: Number.NaN, size: 64 }), "RangeError"), bad("a number", () => 5, "TypeError"),
        ]),
        arg("handler", () => () => {}, [
          ...badFunction(), bad("null", () => null, "TypeError"), bad("callbacks without data", () => ({}), "TypeError"),
          bad("callbacks whose open is a number", () => ({ data() {}, open: 5 }), "TypeError"),
        ]),
      ],
      call: async (r, a) => (await uring.serve(r, { address: a[0], port: a[1], backlog: a[2], bufferRing: a[3] }, a[4])).close(),
    },
    {
      fn: "connect", covers: "connect", target: (fx) => fx.ring, closedTarget: (fx) => fx.closed, rejects: true,
      args: [
        arg("options.address", () => "127.0.0.1", [bad('"localhost"', () => "localhost", "TypeError")]),
        arg("options.port", () => 1, badIntegers(1, 65535, { required: true })),
        arg("options.readSize", () => 64, badIntegers(1, 1 << 30)),
        arg("options.bufferRing", () => undefined, [bad("another ring's BufferRing", (fx) => (fx as Fixture).otherBufferRing, "TypeError"), bad("a number", () => 5, "TypeError")]),
      ],
      call: async (r, a) => (await uring.connect(r, { address: a[0], port: a[1], readSize: a[2], bufferRing: a[3] })).close(),
    },
    // ---- exported helpers ---------------------------------------------------------------------
    {
      fn: "parseKernelVersion", covers: "parseKernelVersion", target: () => uring,
      args: [arg("release", () => "6.18", [bad("a number", () => 6, "TypeError"), bad('"latest"', () => "latest", "TypeError"), bad("missing", () => undefined, "TypeError")])],
      call: (u, a) => u.parseKernelVersion(a[0]),
    },
    {
      fn: "hasRelease", covers: "hasRelease", target: () => uring,
      args: [
        arg("v", () => ({ major: 6, minor: 1 }), [...badObject().filter((b) => b.label !== "a plain object"), naming("v.major", bad("major NaN", () => ({ major: Number.NaN, minor: 1 }), "RangeError"))]),
        arg("since", () => "5.1", [bad("a number", () => 5, "TypeError")]),
      ],
      call: (u, a) => u.hasRelease(a[0], a[1]),
    },
    {
      fn: "flagNames", covers: "flagNames", target: () => uring,
      args: [arg("table", () => uring.SETUP_FLAGS, badObject()), arg("mask", () => 1, badIntegers(-0x8000_0000, 0xffff_ffff, { required: true }))],
      call: (u, a) => u.flagNames(a[0], a[1]),
    },
    {
      fn: "versionFloor", covers: "versionFloor", target: () => uring,
      args: [arg("supportedOpcodes", () => [0, 1], badObject()), arg("hasQuery", () => false, badBoolean())],
      call: (u, a) => u.versionFloor(a[0], a[1]),
    },
    {
      fn: "inferProbe", covers: "inferProbe", target: () => uring,
      args: [arg("kernelRelease", () => "6.1", [bad("a number", () => 6, "TypeError"), bad('"x"', () => "x", "TypeError")])],
      call: (u, a) => u.inferProbe(a[0]),
    },
    {
      fn: "memlockHint", covers: "memlockHint", target: () => uring,
      args: [arg("bytes", () => 4096, badIntegers(0, Number.MAX_SAFE_INTEGER, { required: true }))],
      call: (u, a) => u.memlockHint(a[0]),
    },
    { fn: "serve", covers: "serve(ring)", target: () => uring, args: [arg("ring", (fx) => fx.ring, badObject())], rejects: true, call: (u, a) => u.serve(a[0], {}, () => {}) },
  ];
}

/**
 * Ring and BufferPool methods that take no argument: they get only the
 * closed-ring (closed-pool) case, which the sweep runs for them by name.
 */
export const NO_ARGUMENTS: Record<string, string[]> = {
  Ring: ["nop", "unregisterBuffers", "shareBuffers", "unregisterFiles", "probe", "receiveMessage", "submit", "sqSpaceLeft", "enableRings"],
  BufferPool: ["share"],
};

/**
 * Methods with no row, and why. Internal hooks between Ring and BufferPool
 * (protected at the type level, visible at run time), and the lifetime
 * methods whose use after close is by design not an error.
 */
export const EXEMPT: Record<string, string[]> = {
  Ring: [
    // protected helpers of the class chain (not public API)
    "check", "start", "startStream", "mapped", "enqueue", "waitUntil", "inFlightMatching", "cancelMatching", "cancelRequest", "fileArg",
    "fixedTarget", "onResourceCqe", "refusal",
    // Ring.open() records the compat outcome through it, once
    "initCompat",
    // called by BufferPool.close() on its holders; a no-op once the ring is closed
    "releasePool",
    // idempotent by contract: closing twice is fine
    "close", "Symbol(Symbol.dispose)",
    // an async generator that ends (instead of throwing) once the ring is closed
    "messages",
  ],
  BufferPool: ["removeHolder", "close", "Symbol(Symbol.dispose)"],
};
