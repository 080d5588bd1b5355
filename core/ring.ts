// Ring: the public object. A promise API that batches every op queued in
// one event-loop turn into one io_uring_enter and never blocks the event
// loop, and a batch API (prep*/submit/submitAndWait/reap) for throughput
// loops and Workers, which blocks and says so.
import {
  AT_FDCWD, FEATURE_NAMES, IORING_ENTER_GETEVENTS, IORING_FSYNC_DATASYNC,
  IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_SQ_AFF, IORING_SETUP_SQPOLL, IORING_SETUP_SUBMIT_ALL,
  STATX_BASIC_STATS, IORING_TIMEOUT_ABS, AT_STATX_SYNC_AS_STAT,
} from "./constants.ts";
import { closedError, EAGAIN, EBUSY, ECANCELED, EINVAL, ETIME, UringError, uringError } from "./errors.ts";
import { getNative, type Native, type Waiter } from "./native.ts";
import { Op, OpKind, OpTable, prepOp, settleOp, UD_BATCH, UD_INTERNAL, UD_PROMISE } from "./ops.ts";
import { RingCore, type RingMode } from "./ring-core.ts";
import type { UringWasm } from "./wasm.ts";
import { STATX_SIZE_BYTES, type Statx } from "./statx.ts";
import {
  checkBuffer, checkBufferList, checkDirFd, checkFd, checkFlags, checkInteger, checkOffset, checkOptions,
  checkU32, encodePath,
} from "./validate.ts";

export interface RingOptions {
  /** SQ entries, rounded up to a power of two (1–32768). Default 256. */
  entries?: number;
  /** CQ entries, rounded up to a power of two (entries–65536). Default 2 × entries. */
  cqEntries?: number;
  /** A kernel thread polls the SQ (IORING_SETUP_SQPOLL): submission needs no syscall while it is awake. */
  sqpoll?: boolean | { idleMs?: number; cpu?: number };
  /** IORING_SETUP_SINGLE_ISSUER (6.0+): only this thread submits. Default true. */
  singleIssuer?: boolean;
  /** "no-mmap": rings inside WebAssembly memory (6.5+); "mmap": kernel-mapped rings plus a copy; "auto" (default) tries no-mmap first. */
  mode?: "auto" | RingMode;
}

export type BatchCallback = (userData: number, res: number, flags: number) => void;

const CLOSE_DEADLINE_MS = 10_000;
// While ops are in flight a timer also reaps this often: a safety net for a
// wake-up lost in the race between re-enabling eventfd notifications and a
// completion posted at that instant. It also keeps the process alive.
const SAFETY_POLL_MS = 50;
const CLOSE_WAIT_NS = 50_000_000;
const MAX_ENTRIES = 32768;

function pow2ceil(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

// Rings whose close() gave up waiting for the kernel: their memory and
// buffers stay referenced for the life of the process rather than be reused
// while the kernel might still write to them.
const abandoned = new Set<unknown>();

export class Ring implements Disposable {
  readonly #core: RingCore;
  /** core.wasm, one load less on the batch hot path. */
  readonly #wasm: UringWasm;
  readonly #native: Native;
  readonly #ops: OpTable;
  /** Ops waiting for an SQE or a slot, in submission order. */
  #backlog: Op[] = [];
  #backlogHead = 0;
  #flushQueued = false;
  #closed = false;
  #closing = false;
  readonly #eventFd: number;
  readonly #waiter: Waiter;
  #armed = false;
  #safetyPoll: ReturnType<typeof setInterval> | undefined;
  /** Batch-API requests the kernel has not completed yet (close() waits for them). */
  #batchInFlight = 0;
  /** Batch completions found while draining for promises, handed to the next reap(). */
  #batchBacklog: number[] = [];
  readonly #flushTask = () => this.#flush();
  readonly #wakeTask = () => this.#onWake();

  private constructor(core: RingCore, native: Native) {
    this.#core = core;
    this.#wasm = core.wasm;
    this.#native = native;
    this.#ops = new OpTable(core.cqEntries);
    const efd = native.eventfd(0, false);
    if (efd < 0) {
      core.close();
      throw uringError("eventfd", efd);
    }
    const reg = native.registerEventfd(core.fd, efd);
    if (reg < 0) {
      native.close(efd);
      core.close();
      throw uringError("register_eventfd", reg);
    }
    this.#eventFd = efd;
    // Idle: no notifications until an op is in flight (see #updateWaiter).
    core.setEventfdEnabled(false);
    try {
      this.#waiter = native.createWaiter(efd, core.waiterMemory, this.#wakeTask);
    } catch (cause) {
      native.unregisterEventfd(core.fd);
      native.close(efd);
      core.close();
      throw cause;
    }
  }

  /** Sets up a ring. Synchronous; throws UringError saying why and how to fix it when io_uring is unavailable. */
  static open(options: RingOptions = {}): Ring {
    const o = checkOptions("Ring.open", options);
    const entries = pow2ceil(checkInteger("Ring.open", "options.entries", o.entries ?? 256, 1, MAX_ENTRIES));
    const cqEntries = pow2ceil(
      checkInteger("Ring.open", "options.cqEntries", o.cqEntries ?? entries * 2, entries, MAX_ENTRIES * 2),
    );
    const mode = o.mode ?? "auto";
    if (mode !== "auto" && mode !== "no-mmap" && mode !== "mmap") {
      throw new TypeError(`Ring.open(): options.mode must be "auto", "no-mmap" or "mmap", got ${String(mode)}`);
    }
    let flags = IORING_SETUP_SUBMIT_ALL;
    if (o.singleIssuer ?? true) flags |= IORING_SETUP_SINGLE_ISSUER;
    let sqThreadCpu = 0;
    let sqThreadIdle = 0;
    if (o.sqpoll) {
      flags |= IORING_SETUP_SQPOLL;
      const sq = o.sqpoll === true ? {} : checkOptions("Ring.open", o.sqpoll, "options.sqpoll") as { idleMs?: unknown; cpu?: unknown };
      sqThreadIdle = checkU32("Ring.open", "options.sqpoll.idleMs", sq.idleMs ?? 1000);
      if (sq.cpu !== undefined) {
        sqThreadCpu = checkInteger("Ring.open", "options.sqpoll.cpu", sq.cpu, 0, 4095);
        flags |= IORING_SETUP_SQ_AFF;
      }
    }
    const native = getNative();
    const core = RingCore.open(native, { sqEntries: entries, cqEntries, flags, sqThreadCpu, sqThreadIdle, mode });
    return new Ring(core, native);
  }

  /** "no-mmap" (rings in WebAssembly memory) or "mmap" (kernel-mapped rings, SQEs copied in). */
  get mode(): RingMode {
    return this.#core.mode;
  }

  /** The kernel's IORING_FEAT_* bits. */
  get features(): number {
    return this.#core.features;
  }

  /** The IORING_FEAT_* names the kernel reported. */
  get featureNames(): string[] {
    return FEATURE_NAMES.filter(([bit]) => this.#core.features & bit).map(([, name]) => name);
  }

  /** Setup flags the ring was created with (IORING_SETUP_*). */
  get setupFlags(): number {
    return this.#core.setupFlags;
  }

  get entries(): number {
    return this.#core.sqEntries;
  }

  get cqEntries(): number {
    return this.#core.cqEntries;
  }

  get fd(): number {
    this.#check("fd");
    return this.#core.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Promise operations submitted or waiting to be, not yet completed. */
  get pending(): number {
    return this.#ops.inFlight + this.#backlog.length - this.#backlogHead;
  }

  #check(fn: string): void {
    if (this.#closed) throw closedError(fn);
  }

  // ---- promise API -------------------------------------------------------

  #start<T>(
    kind: OpKind, name: string, fd: number, addr: number, len: number, off: number,
    flags: number, extra: number, refs: unknown, detail?: string,
  ): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const op = new Op(kind, name, fd, addr, len, off, flags, extra, refs, resolve, reject, detail);
    op.promise = promise;
    if (this.#backlogHead === this.#backlog.length && this.#ops.hasRoom) {
      if (!this.#prep(op)) this.#backlog.push(op);
    } else {
      this.#backlog.push(op);
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
    return promise;
  }

  /** Puts op in an SQE and the op table; false when the SQ is full. */
  #prep(op: Op): boolean {
    const w = this.#core.wasm;
    const sqe = w.getSqe();
    if (sqe === 0) return false;
    prepOp(w, sqe, op);
    w.sqeSetData(sqe, this.#ops.add(op), UD_PROMISE);
    return true;
  }

  /** Moves backlog ops into free SQEs and slots; returns how many moved. */
  #refill(): number {
    let moved = 0;
    while (this.#backlogHead < this.#backlog.length && this.#ops.hasRoom) {
      if (!this.#prep(this.#backlog[this.#backlogHead])) break;
      this.#backlog[this.#backlogHead++] = undefined as unknown as Op;
      moved++;
    }
    if (this.#backlogHead === this.#backlog.length) {
      this.#backlog = [];
      this.#backlogHead = 0;
    }
    return moved;
  }

  /** End of the event-loop turn: one io_uring_enter for everything queued. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed) return;
    for (;;) {
      const res = this.#core.submit();
      if (res < 0 && res !== -EBUSY && res !== -EAGAIN) {
        // Nothing transient: the ring itself is unusable. Fail what is queued.
        this.#failAll(uringError("submit", res));
        return;
      }
      // Inline completions (NOPs, page-cache hits) are already in the CQ:
      // deliver them now instead of after a wake-up round trip.
      this.#drain();
      if (res < 0 || this.#backlogHead === this.#backlog.length || this.#refill() === 0) break;
    }
    this.#updateWaiter();
  }

  /**
   * Keeps a wake-up pending exactly while ops are in flight: eventfd
   * notifications on, the waiter armed, the safety poll running. An idle
   * ring has notifications off, so batch loops and inline completions pay
   * nothing for the promise API. waiter.arm() is idempotent and also
   * re-arms a waiter whose wake-up was consumed (Deno's read), so it is
   * called on every pass while busy.
   */
  #updateWaiter(): void {
    if (this.#ops.inFlight > 0) {
      if (!this.#armed) {
        this.#armed = true;
        this.#safetyPoll = setInterval(this.#wakeTask, SAFETY_POLL_MS);
        // CQEs posted while notifications were off signalled nothing.
        if (this.#core.setEventfdEnabled(true) > 0) queueMicrotask(this.#wakeTask);
      }
      this.#waiter.arm();
    } else if (this.#armed) {
      this.#stopWaiting();
      this.#core.setEventfdEnabled(false);
    }
  }

  #stopWaiting(): void {
    this.#armed = false;
    clearInterval(this.#safetyPoll);
    this.#safetyPoll = undefined;
    this.#waiter.disarm();
  }

  #onWake(): void {
    if (this.#closed) return;
    this.#drain();
    if (this.#backlogHead < this.#backlog.length && this.#refill() > 0) {
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flushTask);
      }
    }
    this.#updateWaiter();
  }

  /**
   * Reaps every CQE, then settles the promises after the pass, never inside
   * it: a continuation that queues more ops cannot re-enter the drain.
   */
  #drain(): void {
    const c = this.#core.completions;
    const cap = this.#core.cqEntries;
    let done: Op[] | undefined;
    let results: number[] | undefined;
    for (;;) {
      const n = this.#core.reap(cap);
      if (n === 0) break;
      for (let i = 0, k = 0; i < n; i++, k += 4) {
        const hi = c[k + 1];
        if (hi === UD_PROMISE) {
          const op = this.#ops.take(c[k]);
          if (op === undefined) continue;
          (done ??= []).push(op);
          (results ??= []).push(c[k + 2]);
        } else if (hi === UD_BATCH) {
          this.#batchInFlight--;
          this.#batchBacklog.push(c[k] >>> 0, c[k + 2], c[k + 3] >>> 0);
        }
      }
    }
    if (done === undefined) return;
    const closing = this.#closing;
    for (let i = 0; i < done.length; i++) settleOp(done[i], results![i], closing);
  }

  #failAll(error: UringError): void {
    for (let i = this.#backlogHead; i < this.#backlog.length; i++) this.#backlog[i].reject(error);
    this.#backlog = [];
    this.#backlogHead = 0;
  }

  /** A no-op through the ring: resolves when its CQE arrives. */
  nop(): Promise<void> {
    this.#check("nop");
    return this.#start(OpKind.Nop, "nop", -1, 0, 0, 0, 0, 0, undefined);
  }

  /**
   * Reads into buf at file offset (-1: the current position, for pipes and
   * sockets). Resolves with the bytes read; buf stays referenced until then.
   */
  read(fd: number, buf: ArrayBufferView | ArrayBuffer, offset: number | bigint = -1): Promise<number> {
    this.#check("read");
    fd = checkFd("read", fd);
    const bytes = checkBuffer("read", buf);
    const off = checkOffset("read", offset);
    return this.#start(OpKind.Read, "read", fd, this.#native.addressOf(bytes), bytes.byteLength, off, 0, 0, bytes);
  }

  /** Writes buf at file offset (-1: the current position). Resolves with the bytes written. */
  write(fd: number, buf: ArrayBufferView | ArrayBuffer, offset: number | bigint = -1): Promise<number> {
    this.#check("write");
    fd = checkFd("write", fd);
    const bytes = checkBuffer("write", buf);
    const off = checkOffset("write", offset);
    return this.#start(OpKind.Write, "write", fd, this.#native.addressOf(bytes), bytes.byteLength, off, 0, 0, bytes);
  }

  #iovecs(fn: string, buffers: unknown): { iov: Uint8Array; refs: unknown[]; count: number } {
    const list = checkBufferList(fn, buffers);
    // struct iovec { void *iov_base; size_t iov_len; }, in an ArrayBuffer
    // (stable memory) the kernel reads at submission.
    const iov = new Uint8Array(new ArrayBuffer(list.length * 16));
    const words = new Uint32Array(iov.buffer);
    for (let i = 0; i < list.length; i++) {
      const addr = this.#native.addressOf(list[i]);
      const len = list[i].byteLength;
      words[i * 4] = addr >>> 0;
      words[i * 4 + 1] = Math.floor(addr / 2 ** 32);
      words[i * 4 + 2] = len >>> 0;
      words[i * 4 + 3] = Math.floor(len / 2 ** 32);
    }
    return { iov, refs: [iov, list], count: list.length };
  }

  /** preadv2: scatters into buffers from offset. Resolves with the total bytes read. */
  readv(fd: number, buffers: ArrayBufferView[], offset: number | bigint = -1, flags = 0): Promise<number> {
    this.#check("readv");
    fd = checkFd("readv", fd);
    const off = checkOffset("readv", offset);
    const rwFlags = checkFlags("readv", "flags", flags);
    const { iov, refs, count } = this.#iovecs("readv", buffers);
    return this.#start(OpKind.Readv, "readv", fd, this.#native.addressOf(iov), count, off, rwFlags, 0, refs);
  }

  /** pwritev2: gathers buffers to offset. Resolves with the total bytes written. */
  writev(fd: number, buffers: ArrayBufferView[], offset: number | bigint = -1, flags = 0): Promise<number> {
    this.#check("writev");
    fd = checkFd("writev", fd);
    const off = checkOffset("writev", offset);
    const rwFlags = checkFlags("writev", "flags", flags);
    const { iov, refs, count } = this.#iovecs("writev", buffers);
    return this.#start(OpKind.Writev, "writev", fd, this.#native.addressOf(iov), count, off, rwFlags, 0, refs);
  }

  /** fsync(2), or fdatasync(2) with { datasync: true }. */
  fsync(fd: number, options: { datasync?: boolean } = {}): Promise<void> {
    this.#check("fsync");
    fd = checkFd("fsync", fd);
    const o = checkOptions("fsync", options);
    return this.#start(OpKind.Fsync, "fsync", fd, 0, 0, 0, o.datasync ? IORING_FSYNC_DATASYNC : 0, 0, undefined);
  }

  /** openat(2): resolves with the new fd (O_CLOEXEC is added: fds never leak into children). */
  openat(path: string, flags = 0, mode = 0o644, dirfd: number = AT_FDCWD): Promise<number> {
    this.#check("openat");
    const p = encodePath("openat", path);
    const f = checkFlags("openat", "flags", flags) | 0o2000000;
    const m = checkInteger("openat", "mode", mode, 0, 0o7777);
    const d = checkDirFd("openat", dirfd);
    return this.#start(OpKind.Openat, "openat", d, this.#native.addressOf(p), m, 0, f, 0, p, path);
  }

  /** close(2) of a file descriptor through the ring. */
  closeFd(fd: number): Promise<void> {
    this.#check("closeFd");
    fd = checkFd("closeFd", fd);
    return this.#start(OpKind.Close, "close", fd, 0, 0, 0, 0, 0, undefined);
  }

  /** statx(2): resolves with a Statx (fields like fs.Stats). */
  statx(
    path: string,
    options: { dirfd?: number; flags?: number; mask?: number } = {},
  ): Promise<Statx> {
    this.#check("statx");
    const o = checkOptions("statx", options);
    const p = encodePath("statx", path);
    const d = checkDirFd("statx", o.dirfd ?? AT_FDCWD, "options.dirfd");
    const flags = checkFlags("statx", "options.flags", o.flags ?? AT_STATX_SYNC_AS_STAT);
    const mask = checkU32("statx", "options.mask", o.mask ?? STATX_BASIC_STATS);
    const out = new Uint8Array(new ArrayBuffer(STATX_SIZE_BYTES));
    return this.#start(
      OpKind.Statx, "statx", d, this.#native.addressOf(p), mask, 0, flags, this.#native.addressOf(out), [p, out], path,
    );
  }

  /**
   * Resolves after ms milliseconds (IORING_OP_TIMEOUT, relative), or at
   * the CLOCK_MONOTONIC time ms with { absolute: true }.
   */
  timeout(ms: number, options: { absolute?: boolean } = {}): Promise<void> {
    this.#check("timeout");
    if (typeof ms !== "number") throw new TypeError(`timeout(): ms must be a number, got ${typeof ms}`);
    if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER / 1e6) {
      throw new RangeError(`timeout(): ms must be a finite number >= 0, got ${ms}`);
    }
    const o = checkOptions("timeout", options);
    // struct __kernel_timespec { s64 tv_sec; long long tv_nsec; }
    const ts = new BigInt64Array(2);
    const sec = Math.floor(ms / 1000);
    ts[0] = BigInt(sec);
    ts[1] = BigInt(Math.round((ms - sec * 1000) * 1e6));
    const flags = o.absolute ? IORING_TIMEOUT_ABS : 0;
    return this.#start(OpKind.Timeout, "timeout", -1, this.#native.addressOf(ts), 0, 0, flags, 0, ts);
  }

  /**
   * Cancels in-flight operations: a promise returned by this ring, every
   * request on an fd ({ fd }), or everything ("all"). Resolves with the
   * number of requests cancelled (0 for a promise no longer in flight);
   * rejects EALREADY when the request is running and cannot be stopped,
   * ENOENT when the kernel no longer knows it.
   */
  cancel(target: Promise<unknown> | { fd: number } | "all"): Promise<number> {
    this.#check("cancel");
    if (target === "all") return this.#start(OpKind.CancelAll, "cancel", -1, 0, 0, 0, 0, 0, undefined);
    if (target instanceof Promise) {
      // A scan, not a per-op map: cancel is rare, the hot path stays lean.
      const inFlight = this.#ops.find(target);
      if (inFlight !== undefined) {
        return this.#start<number>(OpKind.CancelOp, "cancel", -1, 0, 0, 0, 0, inFlight.slot, undefined).then(() => 1);
      }
      for (let i = this.#backlogHead; i < this.#backlog.length; i++) {
        const op = this.#backlog[i];
        if (op.promise === target) {
          // Still in the backlog: it never reaches the kernel.
          this.#backlog.splice(i, 1);
          op.reject(uringError(op.name, -ECANCELED));
          return Promise.resolve(1);
        }
      }
      // Completed already (or never this ring's): nothing to cancel.
      return Promise.resolve(0);
    }
    if (target !== null && typeof target === "object" && "fd" in target) {
      const fd = checkFd("cancel", target.fd, "target.fd");
      return this.#start(OpKind.CancelFd, "cancel", fd, 0, 0, 0, 0, 0, undefined);
    }
    throw new TypeError('cancel(): target must be a promise from this ring, { fd }, or "all"');
  }

  // ---- batch API ---------------------------------------------------------
  // For throughput loops and Workers. submitAndWait() blocks the calling
  // thread until completions arrive; don't use it on a thread whose event
  // loop must keep running. userData is a 32-bit unsigned integer.

  /** io_uring_prep_nop into the next SQE; false when the SQ is full (submit, then retry). */
  prepNop(userData = 0): boolean {
    if (this.#closed) throw closedError("prepNop");
    if (this.#wasm.enqueueNop(userData >>> 0, UD_BATCH) === 0) return false;
    this.#batchInFlight++;
    return true;
  }

  /**
   * io_uring_prep_read. buf is a host address (see addressOf(); the memory
   * must stay referenced until the completion is reaped) or a buffer.
   */
  prepRead(fd: number, buf: number | ArrayBufferView, len: number, offset: number, userData = 0): boolean {
    return this.#prepRwBatch("prepRead", this.#wasm.enqueueRead, fd, buf, len, offset, userData);
  }

  /** io_uring_prep_write; see prepRead. */
  prepWrite(fd: number, buf: number | ArrayBufferView, len: number, offset: number, userData = 0): boolean {
    return this.#prepRwBatch("prepWrite", this.#wasm.enqueueWrite, fd, buf, len, offset, userData);
  }

  #prepRwBatch(
    fn: string, enqueue: UringWasm["enqueueRead"],
    fd: number, buf: number | ArrayBufferView, len: number, offset: number, userData: number,
  ): boolean {
    if (this.#closed) throw closedError(fn);
    const addr = typeof buf === "number" ? buf : this.#native.addressOf(buf);
    if ((fd | 0) !== fd || fd < 0) checkFd(fn, fd);
    if (len >>> 0 !== len) checkU32(fn, "len", len);
    if (enqueue(fd, addr, len, offset, userData >>> 0, UD_BATCH) === 0) return false;
    this.#batchInFlight++;
    return true;
  }

  /** io_uring_submit: hands queued SQEs to the kernel. Returns how many it took. */
  submit(): number {
    if (this.#closed) throw closedError("submit");
    const res = this.#core.submit();
    if (res < 0) throw uringError("submit", res);
    return res;
  }

  /**
   * io_uring_submit_and_wait: submits, then blocks until at least waitNr
   * completions are ready (or timeoutMs passes: returns then without
   * throwing). Returns how many SQEs the kernel took.
   */
  submitAndWait(waitNr = 1, timeoutMs?: number): number {
    if (this.#closed) throw closedError("submitAndWait");
    const n = checkU32("submitAndWait", "waitNr", waitNr);
    const timeoutNs = timeoutMs === undefined ? -1 : Math.round(checkInteger("submitAndWait", "timeoutMs", timeoutMs, 0, 2 ** 31) * 1e6);
    const res = this.#core.submit(n, n > 0 ? IORING_ENTER_GETEVENTS : 0, timeoutNs);
    if (res === -ETIME) return 0;
    if (res < 0) throw uringError("submitAndWait", res);
    return res;
  }

  /**
   * Reaps every ready completion of the batch API, calling
   * callback(userData, res, flags) for each, and returns the count. Promise
   * operations' completions are delivered to their promises instead.
   */
  reap(callback: BatchCallback): number {
    if (this.#closed) throw closedError("reap");
    let count = 0;
    const backlog = this.#batchBacklog;
    if (backlog.length > 0) {
      this.#batchBacklog = [];
      for (let i = 0; i < backlog.length; i += 3) callback(backlog[i], backlog[i + 1], backlog[i + 2]);
      count = backlog.length / 3;
    }
    let batchDone = 0;
    const c = this.#core.completions;
    const cap = this.#core.cqEntries;
    let promiseOps = false;
    for (;;) {
      const n = this.#core.reap(cap);
      if (n === 0) break;
      for (let i = 0, k = 0; i < n; i++, k += 4) {
        const hi = c[k + 1];
        if (hi === UD_BATCH) {
          callback(c[k] >>> 0, c[k + 2], c[k + 3] >>> 0);
          batchDone++;
        } else if (hi === UD_PROMISE) {
          promiseOps = true;
          const op = this.#ops.take(c[k]);
          if (op) settleOp(op, c[k + 2], this.#closing);
        }
      }
    }
    this.#batchInFlight -= batchDone;
    if (promiseOps) this.#updateWaiter();
    return count + batchDone;
  }

  /** Free SQEs right now. */
  sqSpaceLeft(): number {
    if (this.#closed) throw closedError("sqSpaceLeft");
    return this.#core.wasm.sqSpaceLeft();
  }

  /** Host address of a buffer, for the batch API's prepRead/prepWrite. Keep the buffer referenced while in use. */
  addressOf(buf: ArrayBufferView | ArrayBuffer): number {
    return this.#native.addressOf(checkBuffer("addressOf", buf));
  }

  // ---- lifetime ----------------------------------------------------------

  /** Requests of either API the kernel still holds. */
  #outstanding(): number {
    return this.#ops.inFlight + this.#batchInFlight;
  }

  /**
   * Cancels everything in flight (promise and batch requests), waits for
   * every CQE (so no buffer is released while the kernel may still write
   * it), rejects those promises with ECANCELED, then releases the ring.
   * Batch completions reaped here are dropped. Blocks briefly; idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closing = true;
    this.#failAll(uringError("close", -ECANCELED, "the ring was closed"));
    const core = this.#core;
    let abandon = false;
    if (this.#outstanding() > 0) {
      this.#cancelEverything();
      const deadline = Date.now() + CLOSE_DEADLINE_MS;
      while (this.#outstanding() > 0 && Date.now() < deadline) {
        const res = core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
        this.#drain();
        this.#batchBacklog = [];
        if (res === -ETIME && this.#outstanding() > 0) this.#cancelEverything();
      }
      if (this.#outstanding() > 0) {
        // The kernel still holds requests after the deadline: keep every
        // buffer and the ring memory alive instead of risking a late write.
        abandon = true;
        abandoned.add([core, [...this.#ops.all()].map((op) => op.refs)]);
        for (const op of this.#ops.all()) op.reject(uringError(op.name, -ECANCELED, "the ring was closed; the kernel never completed it"));
      }
    }
    this.#closed = true;
    this.#stopWaiting();
    const native = this.#native;
    const efd = this.#eventFd;
    native.unregisterEventfd(core.fd);
    this.#waiter.close(() => native.close(efd));
    // An abandoned ring keeps its fd and maps too: the kernel still owns requests.
    if (!abandon) core.close();
  }

  /** Submits IORING_ASYNC_CANCEL_ANY (5.19+), or one cancel per op on older kernels. */
  #cancelEverything(): void {
    const w = this.#core.wasm;
    const sqe = this.#sqeForClose();
    w.prepCancel64(sqe, 0, 0, 4 /* IORING_ASYNC_CANCEL_ANY */);
    w.sqeSetData(sqe, 0, UD_INTERNAL);
    this.#core.submit();
    const res = this.#waitInternal();
    if (res === -EINVAL) {
      for (const op of this.#ops.all()) {
        const s = this.#sqeForClose();
        w.prepCancel64(s, op.slot, UD_PROMISE, 0);
        w.sqeSetData(s, 1, UD_INTERNAL);
      }
      this.#core.submit();
    }
  }

  #sqeForClose(): number {
    let sqe = this.#core.wasm.getSqe();
    while (sqe === 0) {
      this.#core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
      this.#drain();
      sqe = this.#core.wasm.getSqe();
    }
    return sqe;
  }

  /** Result of the internal cancel just submitted, settling promise CQEs met on the way. */
  #waitInternal(): number {
    const c = this.#core.completions;
    const deadline = Date.now() + CLOSE_DEADLINE_MS;
    while (Date.now() < deadline) {
      this.#core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
      const n = this.#core.reap(this.#core.cqEntries);
      let internal: number | undefined;
      for (let i = 0, k = 0; i < n; i++, k += 4) {
        if (c[k + 1] === UD_PROMISE) {
          const op = this.#ops.take(c[k]);
          if (op) settleOp(op, c[k + 2], true);
        } else if (c[k + 1] === UD_BATCH) this.#batchInFlight--;
        else if (c[k + 1] === UD_INTERNAL && c[k] === 0) internal = c[k + 2];
      }
      if (internal !== undefined) return internal;
    }
    return -ETIME;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

