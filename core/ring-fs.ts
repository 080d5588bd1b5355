// Operations on paths: open, close, stat, rename, unlink, mkdir, symlink,
// link and extended attributes. Paths are encoded to NUL-terminated UTF-8
// the kernel copies at submission; buffers it writes (statx, xattr values)
// stay referenced until the completion arrives. A path op's refs end with
// its OpPaths: its errors carry them as `path` and `dest`, as Node's do.
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_STATX_DONT_SYNC, AT_STATX_FORCE_SYNC,
  AT_STATX_SYNC_AS_STAT, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, STATX_BASIC_STATS,
} from "./constants.ts";
import { XATTR_SIZE_MAX } from "./op-constants.ts";
import { noValue, type Op, opcodeOf, OpPaths, type OpSpec } from "./ops.ts";
import { FixedFile } from "./fixed-file.ts";
import { RingIo } from "./ring-io.ts";
import { Statx, STATX_SIZE_BYTES } from "./statx.ts";
import {
  checkBits, checkBoolean, checkBuffer, checkDirFd, checkFd, checkFlags, checkInteger, checkOptions, checkU32, cloexecUnless,
  describe as describeArg, encodeName, encodePath,
} from "./validate.ts";

const RENAME_FLAGS = 0x7;
const IORING_FILE_INDEX_ALLOC = 0xffff_ffff;
const STATX_FLAGS = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC;
const LINKAT_FLAGS = AT_SYMLINK_FOLLOW | AT_EMPTY_PATH;
const XATTR_FLAGS = 0x3;
const RESOLVE_FLAGS = 0x3f;
const O_CREAT = 0o100;
const O_TMPFILE = 0o20200000;

/**
 * statx's fd form: an fd (not a path). A FixedFile is refused: IORING_OP_STATX
 * takes no registered file (io_statx_prep fails REQ_F_FIXED_FILE with EBADF).
 */
function statxFd(value: unknown): number {
  if (value instanceof FixedFile) {
    throw new TypeError(
      `statx(): path is a FixedFile (${value.index}); IORING_OP_STATX takes no registered file (the kernel fails it EBADF): pass an fd`,
    );
  }
  if (typeof value !== "number") throw new TypeError(`statx(): path must be a string or an fd (number), got ${describeArg(value)}`);
  return checkFd("statx", value, "path (an fd)");
}

/** A copy of the first res bytes of the value buffer. */
function xattrValue(op: Op, res: number): Uint8Array {
  return (op.refs as Uint8Array[])[1].slice(0, res);
}

const spec = {
  openat: {
    name: "openat", opcode: opcodeOf("openat"),
    prep: (w, sqe, op) => w.prepOpenat(sqe, op.fd, op.addr, op.flags, op.arg),
  },
  openat2: {
    name: "openat2", opcode: opcodeOf("openat2"),
    prep: (w, sqe, op) => w.prepOpenat2(sqe, op.fd, op.addr, op.addr2),
  },
  closeFd: { name: "closeFd", opcode: opcodeOf("close"), prep: (w, sqe, op) => w.prepClose(sqe, op.fd), value: noValue },
  closeDirect: {
    name: "closeFd", opcode: opcodeOf("close"), prep: (w, sqe, op) => w.prepCloseDirect(sqe, op.arg), value: noValue,
  },
  openatDirect: {
    name: "openatDirect", opcode: opcodeOf("openat"),
    prep: (w, sqe, op) => w.prepOpenatDirect(sqe, op.fd, op.addr, op.flags, op.arg, op.len),
  },
  statx: {
    name: "statx", opcode: opcodeOf("statx"),
    prep: (w, sqe, op) => w.prepStatx(sqe, op.fd, op.addr, op.flags, op.arg, op.addr2),
    value: (op) => new Statx((op.refs as Uint8Array[])[1]),
  },
  renameat: {
    name: "renameat", opcode: opcodeOf("renameat"),
    prep: (w, sqe, op) => w.prepRenameat(sqe, op.fd, op.addr, op.arg, op.addr2, op.flags), value: noValue,
  },
  unlinkat: {
    name: "unlinkat", opcode: opcodeOf("unlinkat"),
    prep: (w, sqe, op) => w.prepUnlinkat(sqe, op.fd, op.addr, op.flags), value: noValue,
  },
  mkdirat: {
    name: "mkdirat", opcode: opcodeOf("mkdirat"),
    prep: (w, sqe, op) => w.prepMkdirat(sqe, op.fd, op.addr, op.arg), value: noValue,
  },
  symlinkat: {
    name: "symlinkat", opcode: opcodeOf("symlinkat"),
    prep: (w, sqe, op) => w.prepSymlinkat(sqe, op.addr, op.fd, op.addr2), value: noValue,
  },
  linkat: {
    name: "linkat", opcode: opcodeOf("linkat"),
    prep: (w, sqe, op) => w.prepLinkat(sqe, op.fd, op.addr, op.arg, op.addr2, op.flags), value: noValue,
  },
  getxattr: {
    name: "getxattr", opcode: opcodeOf("getxattr"),
    prep: (w, sqe, op) => w.prepGetxattr(sqe, op.addr, op.addr2, op.off, op.len), value: xattrValue,
  },
  fgetxattr: {
    name: "fgetxattr", opcode: opcodeOf("fgetxattr"),
    prep: (w, sqe, op) => w.prepFgetxattr(sqe, op.fd, op.addr, op.addr2, op.len), value: xattrValue,
  },
  setxattr: {
    name: "setxattr", opcode: opcodeOf("setxattr"),
    prep: (w, sqe, op) => w.prepSetxattr(sqe, op.addr, op.addr2, op.off, op.flags, op.len), value: noValue,
  },
  fsetxattr: {
    name: "fsetxattr", opcode: opcodeOf("fsetxattr"),
    prep: (w, sqe, op) => w.prepFsetxattr(sqe, op.fd, op.addr, op.addr2, op.flags, op.len), value: noValue,
  },
} satisfies Record<string, OpSpec>;

export interface OpenHow {
  /** O_* flags; O_CLOEXEC is added unless `inheritable` is true. */
  flags?: number;
  /** Permission bits for a created file (O_CREAT / O_TMPFILE). */
  mode?: number;
  /** RESOLVE_* flags restricting path resolution. */
  resolve?: number;
  /**
   * true: open without O_CLOEXEC, so the fd survives exec into child
   * processes (for handing a file to a child on purpose). Default false.
   */
  inheritable?: boolean;
}

export class RingFs extends RingIo {
  /** openat(2): resolves with the new fd (O_CLOEXEC is added: fds never leak into children; see openat2's how.inheritable). */
  openat(path: string, flags = 0, mode = 0o644, dirfd: number = AT_FDCWD): Promise<number> {
    this.check("openat");
    const p = encodePath("openat", path);
    const f = checkFlags("openat", "flags", flags) | O_CLOEXEC;
    const m = checkInteger("openat", "mode", mode, 0, 0o7777);
    const d = checkDirFd("openat", dirfd);
    return this.start(spec.openat, d, this.native.addressOf(p), 0, 0, f, 0, m, [p, new OpPaths(path)]);
  }

  /**
   * openat2(2) (struct open_how): resolves with the new fd. O_CLOEXEC is
   * added unless how.inheritable is true (the one way to get an fd that
   * children inherit; every other fd this library creates is close-on-exec).
   */
  openat2(path: string, how: OpenHow = {}, dirfd: number = AT_FDCWD): Promise<number> {
    this.check("openat2");
    const p = encodePath("openat2", path);
    const o = checkOptions("openat2", how, "how");
    let flags = checkFlags("openat2", "how.flags", o.flags ?? 0);
    flags = (flags | cloexecUnless("openat2", how, flags, O_CLOEXEC, "how.flags", "how")) >>> 0;
    const creating = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
    // The kernel rejects a mode without O_CREAT/O_TMPFILE: default it only when creating.
    const mode = checkInteger("openat2", "how.mode", o.mode ?? (creating ? 0o644 : 0), 0, 0o7777);
    const resolve = checkBits("openat2", "how.resolve", o.resolve ?? 0, RESOLVE_FLAGS);
    const d = checkDirFd("openat2", dirfd);
    // struct open_how { __u64 flags; __u64 mode; __u64 resolve; }
    const howBuf = new BigUint64Array(new ArrayBuffer(24));
    howBuf[0] = BigInt(flags);
    howBuf[1] = BigInt(mode);
    howBuf[2] = BigInt(resolve);
    return this.start(
      spec.openat2, d, this.native.addressOf(p), 0, 0, 0, this.native.addressOf(howBuf), 0, [p, howBuf, new OpPaths(path)],
    );
  }

  /** close(2) of a file descriptor through the ring, or of a fixed-file slot (IORING_OP_CLOSE with file_index). */
  closeFd(fd: number | FixedFile): Promise<void> {
    this.check("closeFd");
    const file = this.fileArg("closeFd", fd);
    if (typeof file === "number") return this.start(spec.closeFd, file, 0, 0, 0, 0, 0, 0, undefined);
    return this.start(spec.closeDirect, 0, 0, 0, 0, 0, 0, file.index, undefined);
  }

  /**
   * openat(2) straight into this ring's file table (io_uring_prep_openat_direct):
   * into slot fileIndex, or a free slot the kernel picks (IORING_FILE_INDEX_ALLOC,
   * within fileAllocRange()) when fileIndex is omitted. No fd is created.
   * Resolves with the FixedFile.
   */
  openatDirect(path: string, flags = 0, mode = 0o644, dirfd: number = AT_FDCWD, fileIndex?: number): Promise<FixedFile> {
    this.check("openatDirect");
    const p = encodePath("openatDirect", path);
    const f = checkFlags("openatDirect", "flags", flags);
    const m = checkInteger("openatDirect", "mode", mode, 0, 0o7777);
    const d = checkDirFd("openatDirect", dirfd);
    if (this.fileTableSize === 0) throw new TypeError("openatDirect(): no file table; registerFiles() first");
    const slot = fileIndex === undefined ? IORING_FILE_INDEX_ALLOC : checkInteger("openatDirect", "fileIndex", fileIndex, 0, this.fileTableSize - 1);
    const opened = this.start<number>(spec.openatDirect, d, this.native.addressOf(p), slot, 0, f, 0, m, [p, new OpPaths(path)]);
    return this.mapped(opened, (res) => this.fixedFile(fileIndex ?? res));
  }

  /**
   * statx(2): resolves with a Statx (fields like fs.Stats). `path` is a path
   * (relative to options.dirfd, default the working directory) or an open
   * fd, which stats the file it refers to, as fstat(2) does (AT_EMPTY_PATH
   * with an empty path; options.dirfd is then a TypeError). A FixedFile is a
   * TypeError: IORING_OP_STATX takes no registered file (the kernel fails
   * IOSQE_FIXED_FILE with EBADF).
   */
  statx(path: string | number, options: { dirfd?: number; flags?: number; mask?: number } = {}): Promise<Statx> {
    this.check("statx");
    const o = checkOptions("statx", options);
    const byFd = typeof path !== "string";
    const fd = byFd ? statxFd(path) : 0;
    const p = byFd ? new Uint8Array(new ArrayBuffer(1)) : encodePath("statx", path);
    if (byFd && o.dirfd !== undefined) throw new TypeError("statx(): options.dirfd is for a path, and path is an fd");
    const d = byFd ? fd : checkDirFd("statx", o.dirfd ?? AT_FDCWD, "options.dirfd");
    let flags = checkBits("statx", "options.flags", o.flags ?? AT_STATX_SYNC_AS_STAT, STATX_FLAGS);
    if (byFd) flags |= AT_EMPTY_PATH;
    const mask = checkU32("statx", "options.mask", o.mask ?? STATX_BASIC_STATS);
    const out = new Uint8Array(new ArrayBuffer(STATX_SIZE_BYTES));
    const refs = byFd ? [p, out] : [p, out, new OpPaths(path)];
    return this.start(spec.statx, d, this.native.addressOf(p), 0, 0, flags, this.native.addressOf(out), mask, refs);
  }

  /** renameat2(2). flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
  renameat(
    oldPath: string, newPath: string, options: { oldDirfd?: number; newDirfd?: number; flags?: number } = {},
  ): Promise<void> {
    this.check("renameat");
    const o = checkOptions("renameat", options);
    const from = encodePath("renameat", oldPath, "oldPath");
    const to = encodePath("renameat", newPath, "newPath");
    const oldDirfd = checkDirFd("renameat", o.oldDirfd ?? AT_FDCWD, "options.oldDirfd");
    const newDirfd = checkDirFd("renameat", o.newDirfd ?? AT_FDCWD, "options.newDirfd");
    const flags = checkBits("renameat", "options.flags", o.flags ?? 0, RENAME_FLAGS);
    return this.start(
      spec.renameat, oldDirfd, this.native.addressOf(from), 0, 0, flags, this.native.addressOf(to), newDirfd,
      [from, to, new OpPaths(oldPath, newPath)],
    );
  }

  /** unlinkat(2): removes a file, or an empty directory with { removeDir: true } (AT_REMOVEDIR). */
  unlinkat(path: string, options: { dirfd?: number; removeDir?: boolean } = {}): Promise<void> {
    this.check("unlinkat");
    const o = checkOptions("unlinkat", options);
    const p = encodePath("unlinkat", path);
    const d = checkDirFd("unlinkat", o.dirfd ?? AT_FDCWD, "options.dirfd");
    const removeDir = checkBoolean("unlinkat", "options.removeDir", o.removeDir ?? false);
    return this.start(
      spec.unlinkat, d, this.native.addressOf(p), 0, 0, removeDir ? AT_REMOVEDIR : 0, 0, 0, [p, new OpPaths(path)],
    );
  }

  /** mkdirat(2). */
  mkdirat(path: string, mode = 0o777, dirfd: number = AT_FDCWD): Promise<void> {
    this.check("mkdirat");
    const p = encodePath("mkdirat", path);
    const m = checkInteger("mkdirat", "mode", mode, 0, 0o7777);
    const d = checkDirFd("mkdirat", dirfd);
    return this.start(spec.mkdirat, d, this.native.addressOf(p), 0, 0, 0, 0, m, [p, new OpPaths(path)]);
  }

  /**
   * symlinkat(2): creates linkPath pointing at target (which need not exist).
   * Its errors, like Node's symlink's, have path = target, dest = linkPath.
   */
  symlinkat(target: string, linkPath: string, newDirfd: number = AT_FDCWD): Promise<void> {
    this.check("symlinkat");
    const t = encodePath("symlinkat", target, "target");
    const l = encodePath("symlinkat", linkPath, "linkPath");
    const d = checkDirFd("symlinkat", newDirfd, "newDirfd");
    return this.start(
      spec.symlinkat, d, this.native.addressOf(t), 0, 0, 0, this.native.addressOf(l), 0, [t, l, new OpPaths(target, linkPath)],
    );
  }

  /** linkat(2): a hard link newPath to oldPath. flags: AT_SYMLINK_FOLLOW, AT_EMPTY_PATH. */
  linkat(
    oldPath: string, newPath: string, options: { oldDirfd?: number; newDirfd?: number; flags?: number } = {},
  ): Promise<void> {
    this.check("linkat");
    const o = checkOptions("linkat", options);
    const from = encodePath("linkat", oldPath, "oldPath");
    const to = encodePath("linkat", newPath, "newPath");
    const oldDirfd = checkDirFd("linkat", o.oldDirfd ?? AT_FDCWD, "options.oldDirfd");
    const newDirfd = checkDirFd("linkat", o.newDirfd ?? AT_FDCWD, "options.newDirfd");
    const flags = checkBits("linkat", "options.flags", o.flags ?? 0, LINKAT_FLAGS);
    return this.start(
      spec.linkat, oldDirfd, this.native.addressOf(from), 0, 0, flags, this.native.addressOf(to), newDirfd,
      [from, to, new OpPaths(oldPath, newPath)],
    );
  }

  /**
   * getxattr(2): resolves with the attribute's value (a copy). size bounds
   * it (default and maximum XATTR_SIZE_MAX); a larger value rejects ERANGE.
   */
  getxattr(path: string, name: string, options: { size?: number } = {}): Promise<Uint8Array> {
    this.check("getxattr");
    const p = encodePath("getxattr", path);
    const n = encodeName("getxattr", name);
    const value = this.#xattrBuffer("getxattr", options);
    const a = this.native;
    return this.start(
      spec.getxattr, -1, a.addressOf(n), value.byteLength, a.addressOf(p), 0, a.addressOf(value), 0,
      [n, value, p, new OpPaths(path)],
    );
  }

  /** fgetxattr(2): getxattr on an open fd. */
  fgetxattr(fd: number | FixedFile, name: string, options: { size?: number } = {}): Promise<Uint8Array> {
    this.check("fgetxattr");
    const file = this.fileArg("fgetxattr", fd);
    const n = encodeName("fgetxattr", name);
    const value = this.#xattrBuffer("fgetxattr", options);
    const a = this.native;
    return this.start(spec.fgetxattr, file, a.addressOf(n), value.byteLength, 0, 0, a.addressOf(value), 0, [n, value]);
  }

  /** setxattr(2). flags: XATTR_CREATE (fail if it exists), XATTR_REPLACE (fail if it does not). */
  setxattr(path: string, name: string, value: ArrayBufferView | ArrayBuffer | string, flags = 0): Promise<void> {
    this.check("setxattr");
    const p = encodePath("setxattr", path);
    const n = encodeName("setxattr", name);
    const v = this.#xattrValue("setxattr", value);
    const f = checkBits("setxattr", "flags", flags, XATTR_FLAGS);
    const a = this.native;
    return this.start(
      spec.setxattr, -1, a.addressOf(n), v.byteLength, a.addressOf(p), f, a.addressOf(v), 0, [n, v, p, new OpPaths(path)],
    );
  }

  /** fsetxattr(2): setxattr on an open fd. */
  fsetxattr(fd: number | FixedFile, name: string, value: ArrayBufferView | ArrayBuffer | string, flags = 0): Promise<void> {
    this.check("fsetxattr");
    const file = this.fileArg("fsetxattr", fd);
    const n = encodeName("fsetxattr", name);
    const v = this.#xattrValue("fsetxattr", value);
    const f = checkBits("fsetxattr", "flags", flags, XATTR_FLAGS);
    const a = this.native;
    return this.start(spec.fsetxattr, file, a.addressOf(n), v.byteLength, 0, f, a.addressOf(v), 0, [n, v]);
  }

  #xattrBuffer(fn: string, options: unknown): Uint8Array {
    const o = checkOptions(fn, options);
    const size = checkInteger(fn, "options.size", o.size ?? XATTR_SIZE_MAX, 1, XATTR_SIZE_MAX);
    return new Uint8Array(new ArrayBuffer(size));
  }

  #xattrValue(fn: string, value: unknown): Uint8Array {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : checkBuffer(fn, value, "value");
    if (bytes.byteLength > XATTR_SIZE_MAX) {
      throw new RangeError(`${fn}(): value is ${bytes.byteLength} bytes; XATTR_SIZE_MAX is ${XATTR_SIZE_MAX}`);
    }
    // A copy: the caller may change or detach value before the kernel reads
    // it. An empty value is address 0, length 0, which the kernel accepts.
    const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
    copy.set(bytes);
    return copy;
  }
}
