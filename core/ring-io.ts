// Operations on open file descriptors: read/write and their vectored forms,
// syncing and space management, splice/tee/pipe, poll, and the multishot
// read. Each method validates everything before queueing (TypeError or
// RangeError naming the argument) and keeps every buffer the kernel may
// touch referenced until the completion arrives.
import { IOSQE_BUFFER_SELECT, O_CLOEXEC } from "./constants.ts";
import { ENOBUFS, type UringError } from "./errors.ts";
import { MultishotStream, SKIP } from "./op-stream.ts";
import { IORING_POLL_ADD_MULTI, POLL_EVENTS_ALL } from "./op-constants.ts";
import { fdDetail, noValue, Op, opcodeOf, type OpSpec } from "./ops.ts";
import { BufferPool } from "./buffer-pool.ts";
import { FixedFile } from "./fixed-file.ts";
import { RingRegistered } from "./ring-register.ts";
import { STAGE_MAX, StagedIo, Staging } from "./staging.ts";
import {
  checkBits, checkBoolean, checkBuffer, checkBufferList, checkFd, checkFlags, checkInteger, checkOffset, checkOptions, checkSize,
  checkU32, cloexecUnless, type NewFdOptions,
} from "./validate.ts";

const O_DIRECT_PIPE = 0o40000; // O_DIRECT: a "packet mode" pipe
const SPLICE_FLAGS = 0xf;
const SYNC_FILE_RANGE_FLAGS = 0x7;
const FALLOC_FLAGS = 0xff;
const PIPE_FLAGS = O_CLOEXEC | 0o4000 /* O_NONBLOCK */ | O_DIRECT_PIPE;
const MAX_MULTISHOT_BUFFERS = 32768;
const MAX_STAGING_SLOTS = 1024; // 2 MiB of staging per ring at most

const spec = {
  nop: {
    name: "nop", opcode: opcodeOf("nop"), prep: (w, sqe) => w.prepNop(sqe), value: noValue,
    enqueue: (w, _op, lo, hi) => w.enqueueNop(lo, hi) !== 0,
  },
  read: {
    name: "read", opcode: opcodeOf("read"), prep: (w, sqe, op) => w.prepRead(sqe, op.fd, op.addr, op.len, op.off),
    enqueue: (w, op, lo, hi) => w.enqueueRead(op.fd, op.addr, op.len, op.off, lo, hi) !== 0,
  },
  write: {
    name: "write", opcode: opcodeOf("write"), prep: (w, sqe, op) => w.prepWrite(sqe, op.fd, op.addr, op.len, op.off),
    enqueue: (w, op, lo, hi) => w.enqueueWrite(op.fd, op.addr, op.len, op.off, lo, hi) !== 0,
  },
  // Small requests through the ring's staging slots (core/staging.ts); refs is the StagedIo.
  readStaged: {
    name: "read", opcode: opcodeOf("read"),
    prep: (w, sqe, op) => w.prepRead(sqe, op.fd, (op.refs as StagedIo).address(false), op.len, op.off),
    value: (op, res) => {
      (op.refs as StagedIo).copyOut(res);
      return res;
    },
    release: (op) => (op.refs as StagedIo).release(),
  },
  writeStaged: {
    name: "write", opcode: opcodeOf("write"),
    prep: (w, sqe, op) => w.prepWrite(sqe, op.fd, (op.refs as StagedIo).address(true), op.len, op.off),
    release: (op) => (op.refs as StagedIo).release(),
  },
  readv: {
    name: "readv", opcode: opcodeOf("readv"),
    prep: (w, sqe, op) => w.prepReadv2(sqe, op.fd, op.addr, op.len, op.off, op.flags),
  },
  writev: {
    name: "writev", opcode: opcodeOf("writev"),
    prep: (w, sqe, op) => w.prepWritev2(sqe, op.fd, op.addr, op.len, op.off, op.flags),
  },
  readFixed: {
    name: "readFixed", opcode: opcodeOf("readFixed"),
    prep: (w, sqe, op) => w.prepReadFixed(sqe, op.fd, op.addr, op.len, op.off, op.arg),
  },
  writeFixed: {
    name: "writeFixed", opcode: opcodeOf("writeFixed"),
    prep: (w, sqe, op) => w.prepWriteFixed(sqe, op.fd, op.addr, op.len, op.off, op.arg),
  },
  readvFixed: {
    name: "readvFixed", opcode: opcodeOf("readvFixed"),
    prep: (w, sqe, op) => w.prepReadvFixed(sqe, op.fd, op.addr, op.len, op.off, op.flags, op.arg),
  },
  writevFixed: {
    name: "writevFixed", opcode: opcodeOf("writevFixed"),
    prep: (w, sqe, op) => w.prepWritevFixed(sqe, op.fd, op.addr, op.len, op.off, op.flags, op.arg),
  },
  // Without READV_FIXED/WRITEV_FIXED (6.15): plain vectored I/O over the same
  // pool memory. Same result, but the kernel maps the pages per request.
  readvFixedFallback: {
    name: "readvFixed", opcode: opcodeOf("readv"),
    prep: (w, sqe, op) => w.prepReadv2(sqe, op.fd, op.addr, op.len, op.off, op.flags),
  },
  writevFixedFallback: {
    name: "writevFixed", opcode: opcodeOf("writev"),
    prep: (w, sqe, op) => w.prepWritev2(sqe, op.fd, op.addr, op.len, op.off, op.flags),
  },
  fsync: { name: "fsync", opcode: opcodeOf("fsync"), prep: (w, sqe, op) => w.prepFsync(sqe, op.fd, op.flags), value: noValue },
  syncFileRange: {
    name: "syncFileRange", opcode: opcodeOf("syncFileRange"),
    prep: (w, sqe, op) => w.prepSyncFileRange(sqe, op.fd, op.len, op.off, op.flags), value: noValue,
  },
  fallocate: {
    name: "fallocate", opcode: opcodeOf("fallocate"),
    prep: (w, sqe, op) => w.prepFallocate(sqe, op.fd, op.flags, op.off, op.addr2), value: noValue,
  },
  fadvise: {
    name: "fadvise", opcode: opcodeOf("fadvise"),
    prep: (w, sqe, op) => w.prepFadvise64(sqe, op.fd, op.off, op.addr2, op.flags), value: noValue,
  },
  madvise: {
    name: "madvise", opcode: opcodeOf("madvise"),
    prep: (w, sqe, op) => w.prepMadvise64(sqe, op.addr, op.addr2, op.flags), value: noValue,
  },
  ftruncate: {
    name: "ftruncate", opcode: opcodeOf("ftruncate"),
    prep: (w, sqe, op) => w.prepFtruncate(sqe, op.fd, op.off), value: noValue,
  },
  splice: {
    name: "splice", opcode: opcodeOf("splice"),
    prep: (w, sqe, op) => w.prepSplice(sqe, op.arg, op.off, op.fd, op.addr2, op.len, op.flags),
    badFd: (op) => spliceFds(op),
  },
  tee: {
    name: "tee", opcode: opcodeOf("tee"), prep: (w, sqe, op) => w.prepTee(sqe, op.arg, op.fd, op.len, op.flags),
    badFd: (op) => spliceFds(op),
  },
  pipe: {
    name: "pipe", opcode: opcodeOf("pipe"),
    prep: (w, sqe, op) => w.prepPipe(sqe, op.addr, op.flags),
    value: (op) => {
      const fds = op.refs as Int32Array;
      return [fds[0], fds[1]];
    },
  },
  pollAdd: { name: "pollAdd", opcode: opcodeOf("pollAdd"), prep: (w, sqe, op) => w.prepPollAdd(sqe, op.fd, op.flags) },
  pollMultishot: {
    name: "pollMultishot", opcode: opcodeOf("pollAdd"),
    prep: (w, sqe, op) => w.prepPollMultishot(sqe, op.fd, op.flags),
  },
  readMultishot: {
    name: "readMultishot", opcode: opcodeOf("readMultishot"),
    prep: (w, sqe, op) => w.prepReadMultishot(sqe, op.fd, op.len, op.off, op.arg),
  },
  provideBuffers: {
    name: "provideBuffers", opcode: opcodeOf("provideBuffers"),
    prep: (w, sqe, op) => w.prepProvideBuffers(sqe, op.addr, op.len, op.flags, op.arg, op.off),
  },
  removeBuffers: {
    name: "removeBuffers", opcode: opcodeOf("removeBuffers"),
    prep: (w, sqe, op) => w.prepRemoveBuffers(sqe, op.flags, op.arg),
  },
} satisfies Record<string, OpSpec>;

function noop(): void {}

/** Part of a pool buffer: byte offset into it and length (default: to its end). */
export interface FixedRange {
  offset?: number;
  length?: number;
}

/** A pool buffer, or part of one, for readvFixed/writevFixed. */
export interface FixedPart extends FixedRange {
  index: number;
}

function fixedRange(fn: string, pool: BufferPool, options: unknown, name = "options"): { at: number; length: number } {
  const o = checkOptions(fn, options, name);
  const at = checkInteger(fn, `${name}.offset`, o.offset ?? 0, 0, pool.size - 1);
  const length = checkInteger(fn, `${name}.length`, o.length ?? pool.size - at, 1, pool.size - at);
  return { at, length };
}

const SPLICE_F_FD_IN_FIXED = 1 << 31;

/** splice/tee: fdIn travels in splice_fd_in (op.arg), fdOut as the SQE's fd. */
function spliceFds(op: Op): string {
  return `${fdDetail("fdIn", op.arg, (op.flags & SPLICE_F_FD_IN_FIXED) !== 0)}, ${fdDetail("fdOut", op.fd, (op.sqeFlags & 1 /* IOSQE_FIXED_FILE */) !== 0)}`;
}

function inFixed(fd: number | FixedFile): number {
  return typeof fd === "number" ? 0 : SPLICE_F_FD_IN_FIXED;
}

function fdNumber(fd: number | FixedFile): number {
  return typeof fd === "number" ? fd : fd.index;
}

export class RingIo extends RingRegistered {
  /** Buffer group ids for readMultishot, taken from the top of the u16 range. */
  #nextGroup = 0xffff;
  #staging: Staging | undefined;
  #freeGroups: number[] = [];

  /** A no-op through the ring: resolves when its CQE arrives. */
  nop(): Promise<void> {
    this.check("nop");
    return this.start(spec.nop, -1, 0, 0, 0, 0, 0, 0, undefined);
  }

  /**
   * Reads into buf at file offset (-1: the current position, for pipes and
   * sockets). Resolves with the bytes read; buf stays referenced until then.
   */
  read(fd: number | FixedFile, buf: ArrayBufferView | ArrayBuffer, offset: number | bigint = -1): Promise<number> {
    this.check("read");
    const file = this.fileArg("read", fd);
    const bytes = checkBuffer("read", buf);
    const off = checkOffset("read", offset);
    if (bytes.byteLength <= STAGE_MAX) return this.start(spec.readStaged, file, 0, bytes.byteLength, off, 0, 0, 0, this.#staged(bytes));
    return this.start(spec.read, file, this.native.addressOf(bytes), bytes.byteLength, off, 0, 0, 0, bytes);
  }

  /** Writes buf at file offset (-1: the current position). Resolves with the bytes written. */
  write(fd: number | FixedFile, buf: ArrayBufferView | ArrayBuffer, offset: number | bigint = -1): Promise<number> {
    this.check("write");
    const file = this.fileArg("write", fd);
    const bytes = checkBuffer("write", buf);
    const off = checkOffset("write", offset);
    if (bytes.byteLength <= STAGE_MAX) return this.start(spec.writeStaged, file, 0, bytes.byteLength, off, 0, 0, 0, this.#staged(bytes));
    return this.start(spec.write, file, this.native.addressOf(bytes), bytes.byteLength, off, 0, 0, 0, bytes);
  }

  #staged(bytes: Uint8Array): StagedIo {
    // As many slots as requests can be in flight, allocated as they are needed.
    this.#staging ??= new Staging(this.native, Math.min(this.cqEntries, MAX_STAGING_SLOTS));
    return new StagedIo(this.#staging, this.native, bytes);
  }

  #iovecs(fn: string, buffers: unknown): { iov: Uint8Array; refs: unknown[]; count: number } {
    const list = checkBufferList(fn, buffers);
    // struct iovec { void *iov_base; size_t iov_len; }, in an ArrayBuffer
    // (stable memory) the kernel reads at submission.
    const iov = new Uint8Array(new ArrayBuffer(list.length * 16));
    const words = new Uint32Array(iov.buffer);
    for (let i = 0; i < list.length; i++) {
      const addr = this.native.addressOf(list[i]);
      const len = list[i].byteLength;
      words[i * 4] = addr >>> 0;
      words[i * 4 + 1] = Math.floor(addr / 2 ** 32);
      words[i * 4 + 2] = len >>> 0;
      words[i * 4 + 3] = Math.floor(len / 2 ** 32);
    }
    return { iov, refs: [iov, list], count: list.length };
  }

  /** preadv2: scatters into buffers from offset. Resolves with the total bytes read. */
  readv(fd: number | FixedFile, buffers: ArrayBufferView[], offset: number | bigint = -1, flags = 0): Promise<number> {
    this.check("readv");
    const file = this.fileArg("readv", fd);
    const off = checkOffset("readv", offset);
    const rwFlags = checkFlags("readv", "flags", flags);
    const { iov, refs, count } = this.#iovecs("readv", buffers);
    return this.start(spec.readv, file, this.native.addressOf(iov), count, off, rwFlags, 0, 0, refs);
  }

  /** pwritev2: gathers buffers to offset. Resolves with the total bytes written. */
  writev(fd: number | FixedFile, buffers: ArrayBufferView[], offset: number | bigint = -1, flags = 0): Promise<number> {
    this.check("writev");
    const file = this.fileArg("writev", fd);
    const off = checkOffset("writev", offset);
    const rwFlags = checkFlags("writev", "flags", flags);
    const { iov, refs, count } = this.#iovecs("writev", buffers);
    return this.start(spec.writev, file, this.native.addressOf(iov), count, off, rwFlags, 0, 0, refs);
  }

  /**
   * IORING_OP_READ_FIXED into buffer `index` of a BufferPool registered on
   * this ring (registerBuffers / updateBuffers), or into a buffer registered
   * on its own; { offset, length } narrow it to a part of the buffer. No
   * pinning or page lookup per request: the kernel did that at registration.
   * Resolves with the bytes read.
   */
  readFixed(fd: number | FixedFile, pool: BufferPool, index: number, position?: number | bigint, options?: FixedRange): Promise<number>;
  readFixed(fd: number | FixedFile, buffer: ArrayBufferView, position?: number | bigint): Promise<number>;
  readFixed(fd: number | FixedFile, target: unknown, a?: unknown, b?: unknown, c?: unknown): Promise<number> {
    return this.#rwFixed("readFixed", spec.readFixed, fd, target, a, b, c);
  }

  /** IORING_OP_WRITE_FIXED from a registered buffer; see readFixed. Resolves with the bytes written. */
  writeFixed(fd: number | FixedFile, pool: BufferPool, index: number, position?: number | bigint, options?: FixedRange): Promise<number>;
  writeFixed(fd: number | FixedFile, buffer: ArrayBufferView, position?: number | bigint): Promise<number>;
  writeFixed(fd: number | FixedFile, target: unknown, a?: unknown, b?: unknown, c?: unknown): Promise<number> {
    return this.#rwFixed("writeFixed", spec.writeFixed, fd, target, a, b, c);
  }

  #rwFixed(fn: string, s: OpSpec, fd: unknown, target: unknown, a: unknown, b: unknown, c: unknown): Promise<number> {
    this.check(fn);
    const file = this.fileArg(fn, fd);
    if (ArrayBuffer.isView(target)) {
      const slot = this.bufferSlotOf(target);
      if (slot < 0) throw new TypeError(`${fn}(): buffer is not registered on this ring (registerBuffers([buffer]))`);
      const off = checkOffset(fn, a ?? -1, "position");
      return this.start(s, file, this.native.addressOf(target), target.byteLength, off, 0, 0, slot, target);
    }
    const pool = this.#openPool(fn, target);
    const { slot, base } = this.fixedTarget(pool, file);
    if (slot < 0) throw new TypeError(`${fn}(): the pool is not registered on this ring (registerBuffers(pool))`);
    const index = checkInteger(fn, "index", a, 0, pool.count - 1);
    const off = checkOffset(fn, b ?? -1, "position");
    const { at, length } = fixedRange(fn, pool, c);
    return this.start(s, file, pool.slotAddress(index) + at - base, length, off, 0, 0, slot, pool);
  }

  /**
   * IORING_OP_READV_FIXED (6.15+): scatters into parts of a registered pool's
   * buffers ({ index, offset, length } each). Resolves with the bytes read.
   * Without it (ring.compat.fixedVectored false) the same iovecs go out as
   * IORING_OP_READV: same result, pages mapped per request.
   */
  readvFixed(
    fd: number | FixedFile, pool: BufferPool, parts: FixedPart[], position: number | bigint = -1, flags = 0,
  ): Promise<number> {
    return this.#rwvFixed("readvFixed", this.fixedVectored ? spec.readvFixed : spec.readvFixedFallback, fd, pool, parts, position, flags);
  }

  /** IORING_OP_WRITEV_FIXED (6.15+): gathers parts of a registered pool's buffers; see readvFixed. */
  writevFixed(
    fd: number | FixedFile, pool: BufferPool, parts: FixedPart[], position: number | bigint = -1, flags = 0,
  ): Promise<number> {
    return this.#rwvFixed("writevFixed", this.fixedVectored ? spec.writevFixed : spec.writevFixedFallback, fd, pool, parts, position, flags);
  }

  #rwvFixed(
    fn: string, s: OpSpec, fd: unknown, target: unknown, parts: unknown, position: unknown, flags: unknown,
  ): Promise<number> {
    this.check(fn);
    const file = this.fileArg(fn, fd);
    const pool = this.#openPool(fn, target);
    const { slot, base: fixedBase } = this.fixedTarget(pool, file);
    if (slot < 0) throw new TypeError(`${fn}(): the pool is not registered on this ring (registerBuffers(pool))`);
    const base = this.fixedVectored ? fixedBase : 0; // the fallback addresses host memory
    if (!Array.isArray(parts) || parts.length === 0 || parts.length > 1024) {
      throw new RangeError(`${fn}(): parts must be an array of 1 to 1024 { index, offset?, length? }`);
    }
    const off = checkOffset(fn, position, "position");
    const rwFlags = checkFlags(fn, "flags", flags);
    const iov = new DataView(new ArrayBuffer(parts.length * 16));
    parts.forEach((part, i) => {
      const p = checkOptions(fn, part, `parts[${i}]`);
      const index = checkInteger(fn, `parts[${i}].index`, p.index, 0, pool.count - 1);
      const { at, length } = fixedRange(fn, pool, p, `parts[${i}]`);
      iov.setBigUint64(i * 16, BigInt(pool.slotAddress(index) + at - base), true);
      iov.setBigUint64(i * 16 + 8, BigInt(length), true);
    });
    return this.start(s, file, this.native.addressOf(iov), parts.length, off, rwFlags, 0, slot, [iov, pool]);
  }

  #openPool(fn: string, target: unknown): BufferPool {
    if (!(target instanceof BufferPool)) throw new TypeError(`${fn}(): pool must be a BufferPool or a buffer registered on this ring`);
    if (target.closed) throw new TypeError(`${fn}(): the pool is closed`);
    return target;
  }

  /** fsync(2), or fdatasync(2) with { datasync: true }. */
  fsync(fd: number | FixedFile, options: { datasync?: boolean } = {}): Promise<void> {
    this.check("fsync");
    const file = this.fileArg("fsync", fd);
    const o = checkOptions("fsync", options);
    return this.start(spec.fsync, file, 0, 0, 0, checkBoolean("fsync", "options.datasync", o.datasync ?? false) ? 1 /* IORING_FSYNC_DATASYNC */ : 0, 0, 0, undefined);
  }

  /**
   * sync_file_range(2) over [offset, offset + nbytes) (nbytes 0: to the end
   * of the file). flags: SYNC_FILE_RANGE_*.
   */
  syncFileRange(fd: number | FixedFile, offset: number | bigint, nbytes: number, flags: number): Promise<void> {
    this.check("syncFileRange");
    const file = this.fileArg("syncFileRange", fd);
    const off = checkSize("syncFileRange", "offset", offset);
    const len = checkU32("syncFileRange", "nbytes", nbytes);
    const f = checkBits("syncFileRange", "flags", flags, SYNC_FILE_RANGE_FLAGS);
    return this.start(spec.syncFileRange, file, 0, len, off, f, 0, 0, undefined);
  }

  /** fallocate(2): allocates (or with mode FALLOC_FL_*, punches, zeroes …) [offset, offset + length). */
  fallocate(fd: number | FixedFile, offset: number | bigint, length: number | bigint, mode = 0): Promise<void> {
    this.check("fallocate");
    const file = this.fileArg("fallocate", fd);
    const off = checkSize("fallocate", "offset", offset);
    const len = checkInteger("fallocate", "length", length, 1, Number.MAX_SAFE_INTEGER, true);
    const m = checkBits("fallocate", "mode", mode, FALLOC_FLAGS);
    return this.start(spec.fallocate, file, 0, 0, off, m, len, 0, undefined);
  }

  /** posix_fadvise(2) for [offset, offset + length) (length 0: to the end). advice: POSIX_FADV_*. */
  fadvise(fd: number | FixedFile, offset: number | bigint, length: number | bigint, advice: number): Promise<void> {
    this.check("fadvise");
    const file = this.fileArg("fadvise", fd);
    const off = checkSize("fadvise", "offset", offset);
    const len = checkSize("fadvise", "length", length);
    const a = checkInteger("fadvise", "advice", advice, 0, 5);
    return this.start(spec.fadvise, file, 0, 0, off, a, len, 0, undefined);
  }

  /**
   * madvise(2) over buf's memory, which must start on a page boundary
   * (NativeBuffer memory does). advice: MADV_*.
   */
  madvise(buf: ArrayBufferView | ArrayBuffer, advice: number): Promise<void> {
    this.check("madvise");
    const bytes = checkBuffer("madvise", buf);
    const a = checkInteger("madvise", "advice", advice, 0, 127);
    const addr = this.native.addressOf(bytes);
    if (addr % 4096 !== 0) throw new RangeError("madvise(): buf must start on a page boundary (use a NativeBuffer)");
    return this.start(spec.madvise, -1, addr, 0, 0, a, bytes.byteLength, 0, bytes);
  }

  /** ftruncate(2): sets the file's size to length. */
  ftruncate(fd: number | FixedFile, length: number | bigint): Promise<void> {
    this.check("ftruncate");
    const file = this.fileArg("ftruncate", fd);
    const len = checkSize("ftruncate", "length", length);
    return this.start(spec.ftruncate, file, 0, 0, len, 0, 0, 0, undefined);
  }

  /**
   * splice(2): moves up to nbytes from fdIn to fdOut, one of which is a
   * pipe. Offsets are -1 for a pipe (or to use the file position).
   * Resolves with the bytes moved (0 at end of input).
   */
  splice(
    fdIn: number | FixedFile, offIn: number | bigint, fdOut: number | FixedFile, offOut: number | bigint, nbytes: number,
    flags = 0,
  ): Promise<number> {
    this.check("splice");
    const inFd = this.fileArg("splice", fdIn, "fdIn");
    const inOff = checkOffset("splice", offIn, "offIn");
    const outFd = this.fileArg("splice", fdOut, "fdOut");
    const outOff = checkOffset("splice", offOut, "offOut");
    const n = checkU32("splice", "nbytes", nbytes);
    const f = checkBits("splice", "flags", flags, SPLICE_FLAGS);
    // fdOut travels as the SQE's fd (IOSQE_FIXED_FILE), fdIn as splice_fd_in (SPLICE_F_FD_IN_FIXED).
    return this.start(spec.splice, outFd, 0, n, inOff, f | inFixed(inFd), outOff, fdNumber(inFd), undefined);
  }

  /** tee(2): duplicates up to nbytes from pipe fdIn to pipe fdOut without consuming them. Resolves with the bytes duplicated. */
  tee(fdIn: number | FixedFile, fdOut: number | FixedFile, nbytes: number, flags = 0): Promise<number> {
    this.check("tee");
    const inFd = this.fileArg("tee", fdIn, "fdIn");
    const outFd = this.fileArg("tee", fdOut, "fdOut");
    const n = checkU32("tee", "nbytes", nbytes);
    const f = checkBits("tee", "flags", flags, SPLICE_FLAGS);
    return this.start(spec.tee, outFd, 0, n, 0, f | inFixed(inFd), 0, fdNumber(inFd), undefined);
  }

  /**
   * pipe2(2) through the ring (6.16+): resolves with [readFd, writeFd].
   * O_CLOEXEC is added unless options.inheritable. O_NONBLOCK does not make
   * ring reads of an empty pipe fail EAGAIN (io_uring waits for data on any
   * pipe); splice and tee do honour it.
   */
  pipe(flags = 0, options: NewFdOptions = {}): Promise<[number, number]> {
    this.check("pipe");
    const bits = checkBits("pipe", "flags", flags, PIPE_FLAGS);
    const f = bits | cloexecUnless("pipe", options, bits, O_CLOEXEC);
    const fds = new Int32Array(new ArrayBuffer(8));
    return this.start(spec.pipe, 0, this.native.addressOf(fds), 0, 0, f, 0, 0, fds);
  }

  /** poll(2) for one event: resolves with the ready events (POLL* bits) once any of `events` is ready. */
  pollAdd(fd: number | FixedFile, events: number): Promise<number> {
    this.check("pollAdd");
    const file = this.fileArg("pollAdd", fd);
    const mask = checkBits("pollAdd", "events", events, POLL_EVENTS_ALL);
    return this.start(spec.pollAdd, file, 0, 0, 0, mask, 0, 0, undefined);
  }

  /**
   * Multishot poll (IORING_POLL_ADD_MULTI): yields the ready events every
   * time fd becomes ready, until the kernel ends the request (it clears
   * IORING_CQE_F_MORE) or the loop is left, which cancels it.
   */
  pollMultishot(fd: number | FixedFile, events: number): MultishotStream<number> {
    this.check("pollMultishot");
    const file = this.fileArg("pollMultishot", fd);
    const mask = checkBits("pollMultishot", "events", events, POLL_EVENTS_ALL);
    const stream: MultishotStream<number> = new MultishotStream({
      item: (res) => res,
      cancel: (op) => this.cancelRequest(op),
    });
    this.startStream(stream, spec.pollMultishot, file, 0, IORING_POLL_ADD_MULTI, 0, mask, 0, 0, undefined);
    return stream;
  }

  /**
   * Multishot read (6.7+; pipes, sockets and other pollable files): yields
   * each chunk read from fd, until end of file or the loop is left (which
   * cancels the request). The ring provides `buffers` buffers of
   * `bufferSize` bytes (IORING_OP_PROVIDE_BUFFERS) for the kernel to pick
   * from; each yielded Uint8Array is a copy, and its buffer goes back to
   * the kernel when the consumer takes the chunk, so a slow consumer
   * applies back-pressure instead of growing memory.
   */
  readMultishot(fd: number | FixedFile, options: { bufferSize?: number; buffers?: number } = {}): MultishotStream<Uint8Array<ArrayBuffer>> {
    this.check("readMultishot");
    const file = this.fileArg("readMultishot", fd);
    const o = checkOptions("readMultishot", options);
    const size = checkInteger("readMultishot", "options.bufferSize", o.bufferSize ?? 65536, 1, 1 << 24);
    const count = checkInteger("readMultishot", "options.buffers", o.buffers ?? 16, 1, MAX_MULTISHOT_BUFFERS);
    if (size * count > 2 ** 31) throw new RangeError("readMultishot(): options.bufferSize * options.buffers must be at most 2 GiB");
    const group = this.#takeGroup();
    const memory = new Uint8Array(new ArrayBuffer(size * count));
    const base = this.native.addressOf(memory);
    let starved = false;
    const fail = (e: unknown) => stream.fail(e as UringError);
    const provide = (bid: number, nr: number) =>
      this.enqueue(new Op(spec.provideBuffers, -1, base + bid * size, size, bid, nr, 0, group, memory, noop, fail));
    const arm = () => this.startStream(stream, spec.readMultishot, file, 0, 0, -1, 0, 0, group, memory);
    const stream: MultishotStream<Uint8Array<ArrayBuffer>> = new MultishotStream({
      item: (res, flags) => {
        if (res === 0) return SKIP;
        const bid = flags >>> 16;
        const chunk = memory.slice(bid * size, bid * size + res);
        if (!stream.ended) provide(bid, 1);
        if (starved) {
          starved = false;
          arm();
        }
        return chunk;
      },
      // The kernel ran out of buffers: re-arm once the consumer hands one back.
      restart: (res) => {
        if (res !== -ENOBUFS) return false;
        if (stream.queued > 0) starved = true;
        else arm();
        return true;
      },
      cancel: (op) => this.cancelRequest(op),
      ended: () => {
        // Nothing selects from the group any more: take the buffers back.
        const { promise, resolve } = Promise.withResolvers<void>();
        const release = () => {
          this.#freeGroups.push(group);
          resolve();
        };
        this.enqueue(new Op(spec.removeBuffers, -1, 0, 0, 0, count, 0, group, memory, release, release));
        return promise;
      },
    });
    provide(0, count);
    arm();
    return stream;
  }

  #takeGroup(): number {
    const group = this.#freeGroups.pop() ?? this.#nextGroup--;
    if (group < 0x8000) throw new RangeError("readMultishot(): too many multishot reads open on this ring");
    return group;
  }
}
