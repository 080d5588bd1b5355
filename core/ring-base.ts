// The engine under every Ring method: a promise API that batches every op
// queued in one event-loop turn into one io_uring_enter and never blocks the
// event loop; linked chains; multishot streams; the batch API
// (prep*/submit/submitAndWait/reap) for throughput loops and Workers, which
// blocks and says so; and the ring's lifetime. Ring (ring.ts) adds the
// operations on top, one file per family.
import {
  FEATURE_NAMES, IORING_ASYNC_CANCEL_ANY, IORING_ENTER_GETEVENTS, IOSQE_ASYNC, IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN, IOSQE_IO_HARDLINK, IOSQE_IO_LINK,
} from "./constants.ts";
import { IORING_CQE_F_MORE } from "./cqe.ts";
import { ERRNO_BY_NAME } from "./errno.ts";
import { closedError, EACCES, EAGAIN, EBUSY, ECANCELED, EINVAL, EOPNOTSUPP, ETIME, UringError, uringError } from "./errors.ts";
import type { Native, Waiter } from "./native.ts";
import { MultishotStream } from "./op-stream.ts";
import {
  Op, opcodeOf, type OpSpec, OpTable, settleOp, UD_BATCH, UD_INTERNAL, UD_MESSAGE, UD_PROMISE, UD_TAG_MASK,
} from "./ops.ts";
import { probeKernel, type Probe } from "./probe.ts";
import type { RingCore, RingMode } from "./ring-core.ts";
import { countFlush, loop } from "./fairness.ts";
import { FixedFile } from "./fixed-file.ts";
import { guard, unguard } from "./leak-guard.ts";
import type { UringWasm } from "./wasm.ts";
import {
  checkAddress, checkBatchBuffer, checkBoolean, checkBuffer, checkFd, checkInteger, checkOffset, checkOptions, checkU32,
} from "./validate.ts";

export type BatchCallback = (userData: number, res: number, flags: number) => void;

/** A message another ring posted with msgRing(). */
export interface RingMessage {
  /** The int32 value sent. */
  value: number;
  /** The sender's uint32 tag (options.data). */
  data: number;
}

const CLOSE_DEADLINE_MS = 10_000;
// How long the flush waits for more ops (see #flushWhenQuiet), in microtask
// hops (about 25 ns each): after one op from a lone chain, after several or
// when several chains were just resumed, and at most in all.
const QUIET_HOPS_LONE = 2;
const QUIET_HOPS_MANY = 16;
const MAX_HOPS = 128;
const EBADFD = ERRNO_BY_NAME.EBADFD; // what the kernel answers io_uring_enter on a disabled ring
// While ops are in flight a timer also reaps this often: a safety net for a
// wake-up lost in the race between re-enabling eventfd notifications and a
// completion posted at that instant. It also keeps the process alive.
const SAFETY_POLL_MS = 50;
const CLOSE_WAIT_NS = 50_000_000;

// Rings whose close() gave up waiting for the kernel: their memory and
// buffers stay referenced for the life of the process rather than be reused
// while the kernel might still write to them.
const abandoned = new Set<unknown>();

// Rings with batch requests the kernel may hold, by pin slot: a strong
// reference, so the leak guard never releases a ring the kernel still
// writes to. (Promise requests keep their ring alive through its poll timer.)
const batchPins: (RingBase | undefined)[] = [];
const freePins: number[] = [];

/**
 * Stops wake-ups (eventfd unregistered, waiter stopped, eventfd closed)
 * and, unless the kernel still holds requests (keepRing), releases the
 * ring's fd and mappings. Reaches no RingBase: the leak guard calls it for
 * a ring that was collected.
 */
function releaseRing(core: RingCore, native: Native, eventFd: number, waiter: Waiter, keepRing: boolean): void {
  native.unregisterEventfd(core.fd);
  waiter.close(() => native.close(eventFd));
  if (!keepRing) core.close();
}

const cancelSpec: OpSpec = {
  name: "cancel",
  opcode: opcodeOf("asyncCancel"),
  // The target's user_data is known only once it has an SQE: read it at prep.
  prep(w, sqe, op) {
    const target = op.refs as Op;
    w.prepCancel64(sqe, target.slot < 0 ? 0 : target.slot, target.slot < 0 ? 0 : target.udHi, 0);
  },
};

function noop(): void {}

/**
 * Where capture() leaves a new promise's resolve/reject (the executor runs
 * synchronously); start() empties it again, so it never retains the last
 * op's promise.
 */
const captured = { resolve: noop as (value: any) => void, reject: noop as (reason: unknown) => void };
function capture(resolve: (value: any) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

export class RingBase implements Disposable {
  readonly #core: RingCore;
  /** core.wasm, one load less on the batch hot path. */
  readonly #wasm: UringWasm;
  readonly #native: Native;
  readonly #ops: OpTable;
  /** Ops not yet in an SQE, in submission order (consumed from #queueHead). */
  #queue: Op[] = [];
  #queueHead = 0;
  #flushQueued = false;
  #closed = false;
  #closing = false;
  readonly #eventFd: number;
  readonly #waiter: Waiter;
  #armed = false;
  /** Notifications switched off for the span of a flush (#flush); #updateWaiter restores them. */
  #notificationsOff = false;
  #safetyPoll: ReturnType<typeof setInterval> | undefined;
  /** Batch-API requests the kernel has not completed yet (close() waits for them). */
  #batchInFlight = 0;
  /** Batch completions found while draining for promises, handed to the next reap(). */
  #batchBacklog: number[] = [];
  /** Result of the last internal request (user_data 0 | UD_INTERNAL). */
  #internalRes: number | undefined;
  /** Per opcode: 1 when the kernel supports it (from the process-wide probe). */
  readonly #supported: Uint8Array;
  #seq = 0;
  /** msgRing() messages not yet received, and receivers waiting for one. */
  #inbox: RingMessage[] = [];
  #receivers: { resolve: (m: RingMessage) => void; reject: (e: unknown) => void }[] = [];
  readonly #flushTask = () => this.#flushWhenQuiet();
  /** Ops ever queued, and the count the flush saw at its last hop (see #flushWhenQuiet). */
  #enqueued = 0;
  #seenAtHop = 0;
  #quietHops = 0;
  #hops = 0;
  /** Promise ops the last reap pass settled: how many async chains it resumed. */
  #lastSettled = 0;
  readonly #wakeTask = () => this.#onWake();
  /** This ring's slot in batchPins. */
  readonly #pin: number;

  /** What ops may be used: the kernel's probe, or a narrower one (RingOptions.assumeKernel). */
  readonly #kernel: Probe;

  protected constructor(core: RingCore, native: Native, kernel: Probe) {
    this.#core = core;
    this.#wasm = core.wasm;
    this.#native = native;
    this.#ops = new OpTable(core.cqEntries);
    this.#kernel = kernel;
    this.#supported = new Uint8Array(256);
    for (let op = 0; op < 256; op++) this.#supported[op] = kernel.supportsOpcode(op) ? 1 : 0;
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
      // Weakly: the waiter lives as long as the ring's fds, which must not keep an idle ring from being collected.
      this.#waiter = native.createWaiter(efd, core.waiterMemory, RingBase.#weakWake(new WeakRef(this)));
    } catch (cause) {
      native.unregisterEventfd(core.fd);
      native.close(efd);
      core.close();
      throw cause;
    }
    this.#pin = freePins.pop() ?? batchPins.push(undefined) - 1;
    guard(this, "Ring", RingBase.#releaser(core, native, efd, this.#waiter, this.#pin), this);
  }

  // Static, so the closures' scope holds only their arguments, never a ring.
  static #weakWake(ring: WeakRef<RingBase>): () => void {
    return () => {
      const r = ring.deref();
      if (r !== undefined) r.#onWake();
    };
  }

  static #releaser(core: RingCore, native: Native, eventFd: number, waiter: Waiter, pin: number): () => void {
    return () => {
      releaseRing(core, native, eventFd, waiter, false);
      freePins.push(pin);
    };
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
    this.check("fd");
    return this.#core.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * io_uring_enter calls this ring has made to submit or wait for work, by
   * either API: how well ops are being batched. (A kernel-mapped SQPOLL
   * ring counts the submissions it hands to the C side, which enters only
   * to wake a sleeping poller.)
   */
  get enters(): number {
    return this.#core.enters;
  }

  /** Promise operations submitted or waiting to be, not yet completed. */
  get pending(): number {
    return this.#ops.inFlight + this.#queue.length - this.#queueHead;
  }

  /** Batch-API requests prepared (prep*) whose completions the kernel has not posted yet. */
  get batchPending(): number {
    return this.#batchInFlight;
  }

  /** What the running kernel supports, asked through this ring's fd (IORING_REGISTER_QUERY / PROBE). */
  probe(): Probe {
    this.check("probe");
    return probeKernel(this.#native, { ringFd: this.#core.fd, features: this.#core.features });
  }

  /**
   * Whether this ring may use the io_uring opcode `name` ("readvFixed",
   * "msgRing", …; see probe()): the kernel has it, and it is no newer than
   * RingOptions.assumeKernel.
   */
  supports(name: string): boolean {
    return this.#kernel.supports(name);
  }

  protected get native(): Native {
    return this.#native;
  }

  protected check(fn: string): void {
    if (this.#closed) throw closedError(fn);
  }

  // ---- promise engine ----------------------------------------------------

  /** Queues an op; everything queued in this turn goes out in one enter at a microtask. */
  protected start<T>(
    spec: OpSpec, fd: number | FixedFile, addr: number, len: number, off: number, flags: number,
    addr2: number, arg: number, refs: unknown, detail?: string,
  ): Promise<T> {
    // new Promise with a shared executor: no per-op result object or closure of ours.
    const promise = new Promise<T>(capture);
    const fixed = typeof fd !== "number";
    const op = new Op(spec, fixed ? fd.index : fd, addr, len, off, flags, addr2, arg, refs, captured.resolve, captured.reject, detail);
    captured.resolve = captured.reject = noop;
    if (fixed) op.sqeFlags = IOSQE_FIXED_FILE;
    op.promise = promise;
    this.#enqueue(op);
    return promise;
  }

  /**
   * raw, the promise start() just returned, mapped (a direct descriptor's
   * slot to its FixedFile). The mapped promise stands for the op from now
   * on: link(), sqeSetFlags() and cancel() take it.
   */
  protected mapped<T>(raw: Promise<number>, map: (res: number) => T): Promise<T> {
    const op = this.#queue[this.#queue.length - 1];
    const promise = raw.then(map);
    if (op?.promise === raw) op.promise = promise;
    return promise;
  }

  /** Queues a multishot request whose CQEs go to stream. */
  protected startStream<T>(
    stream: MultishotStream<T>, spec: OpSpec, fd: number | FixedFile, addr: number, len: number, off: number,
    flags: number, addr2: number, arg: number, refs: unknown, detail?: string,
  ): Op {
    const fixed = typeof fd !== "number";
    const op = new Op(
      spec, fixed ? fd.index : fd, addr, len, off, flags, addr2, arg, refs, noop, (e) => stream.fail(e as UringError), detail,
    );
    if (fixed) op.sqeFlags = IOSQE_FIXED_FILE;
    op.sink = stream;
    stream.op = op;
    this.#enqueue(op);
    return op;
  }

  /** Queues an op built by the caller (the ring's own requests, whose results go to op's handlers). */
  protected enqueue(op: Op): void {
    this.#enqueue(op);
  }

  /**
   * A CQE the ring's own registrations asked for: a resource tag (posted
   * once the kernel no longer uses a registered buffer). user_data's high
   * word has UD_INTERNAL in its low bits and a resource kind above.
   */
  protected onResourceCqe(_lo: number, _hi: number, _res: number): void {}

  /** Why the ring itself refused op (EACCES from its restrictions), or undefined when it did not. */
  protected refusal(_op: Op): string | undefined {
    return undefined;
  }

  /**
   * Blocks (bounded by deadlineMs) until done() is true, entering the kernel
   * for completions and delivering them meanwhile. For the few places that
   * must not return while the kernel still uses memory (releasing a
   * registered buffer pool). Returns done().
   */
  protected waitUntil(done: () => boolean, deadlineMs: number): boolean {
    const deadline = Date.now() + deadlineMs;
    while (!done() && Date.now() < deadline && !this.#closed) {
      this.#refill();
      this.#core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
      this.#drain();
    }
    this.#updateWaiter();
    return done();
  }

  /** Whether any in-flight promise op matches. */
  protected inFlightMatching(match: (op: Op) => boolean): boolean {
    for (const op of this.#ops.all()) if (match(op)) return true;
    return false;
  }

  /**
   * Cancels every promise op for which match() is true; returns how many.
   * Queued ones never reach the kernel: they reject with ECANCELED (a
   * chain member fails its chain). In-flight ones get an ASYNC_CANCEL
   * submitted now, not queued behind the JS queue: that queue may be
   * waiting for the very slots these ops hold.
   */
  protected cancelMatching(match: (op: Op) => boolean): number {
    let n = 0;
    const q = this.#queue;
    let kept = this.#queueHead;
    for (let i = this.#queueHead; i < q.length; i++) {
      const op = q[i];
      if (op.spec !== cancelSpec && match(op)) {
        n++;
        const error = uringError(op.spec.name, -ECANCELED, "cancelled before it was submitted");
        if (op.chain === 0) {
          op.reject(error);
          continue;
        }
        op.error = error;
      }
      q[kept++] = op;
    }
    q.length = kept;
    const w = this.#wasm;
    for (const op of this.#ops.all()) {
      if (op.spec === cancelSpec || !match(op)) continue;
      const sqe = this.#sqeNow();
      w.prepCancel64(sqe, op.slot, op.udHi, 0);
      w.sqeSetData(sqe, 1, UD_INTERNAL); // its result is not needed: the target's own CQE tells
      n++;
    }
    this.#core.submit();
    return n;
  }

  /** Asks the kernel to cancel op (a stream's request); settles with the kernel's answer. */
  protected cancelRequest(target: Op): Promise<unknown> {
    if (this.#closed) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#enqueue(new Op(cancelSpec, -1, 0, 0, 0, 0, 0, 0, target, resolve, reject));
    return promise;
  }

  #enqueue(op: Op): void {
    if (this.#supported[op.spec.opcode] === 0) op.error = this.#unsupported(op.spec);
    else if (this.#core.disabled) op.error = uringError(op.spec.name, -EBADFD, "the ring is disabled until ring.enableRings()");
    this.#queue.push(op);
    this.#enqueued++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      this.#seenAtHop = this.#enqueued;
      if (loop.starving) loop.macrotask(this.#flushTask);
      else queueMicrotask(this.#flushTask);
    }
  }

  #unsupported(spec: OpSpec): UringError {
    return this.#kernel.unsupportedError(spec.opcode, spec.name) ??
      uringError(spec.name, -EOPNOTSUPP, "not supported by this kernel");
  }

  /** Puts op in an SQE and the op table; false when the SQ is full. */
  #prep(op: Op): boolean {
    const w = this.#wasm;
    const spec = op.spec;
    this.#seq = (this.#seq + 1) & 0x3fff_ffff;
    op.udHi = (this.#seq << 2) | UD_PROMISE;
    if (spec.enqueue !== undefined && op.sqeFlags === 0) {
      if (spec.enqueue(w, op, this.#ops.add(op), op.udHi)) return true;
      this.#ops.take(op);
      return false;
    }
    const sqe = w.getSqe();
    if (sqe === 0) return false;
    spec.prep(w, sqe, op);
    if (op.sqeFlags !== 0) w.sqeSetFlags(sqe, op.sqeFlags);
    w.sqeSetData(sqe, this.#ops.add(op), op.udHi);
    return true;
  }

  /** Moves queued ops into free SQEs and slots, a link chain all at once; returns how many moved. */
  #refill(): number {
    const q = this.#queue;
    let moved = 0;
    while (this.#queueHead < q.length) {
      const op = q[this.#queueHead];
      if (op.chain > 1) {
        const n = op.chain;
        if (this.#failChainIfBroken(q, this.#queueHead, n)) {
          this.#queueHead += n;
          continue;
        }
        if (this.#ops.free < n || this.#wasm.sqSpaceLeft() < n) break;
        for (let i = 0; i < n; i++) this.#prep(q[this.#queueHead + i]);
        this.#queueHead += n;
        moved += n;
        continue;
      }
      if (op.error !== undefined) {
        op.reject(op.error);
        this.#queueHead++;
        continue;
      }
      if (!this.#ops.free || !this.#prep(op)) break;
      this.#queueHead++;
      moved++;
    }
    if (this.#queueHead === q.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > q.length) {
      this.#queue = q.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return moved;
  }

  /**
   * A chain with a member that failed before submission never reaches the
   * kernel: that member rejects with its error and the others with
   * ECANCELED, as the kernel reports a chain broken by a failed member.
   */
  #failChainIfBroken(q: Op[], at: number, n: number): boolean {
    let broken = false;
    for (let i = 0; i < n; i++) if (q[at + i].error !== undefined) broken = true;
    if (!broken) return false;
    for (let i = 0; i < n; i++) {
      const op = q[at + i];
      op.reject(op.error ?? uringError(op.spec.name, -ECANCELED, "an earlier member of its link chain failed"));
    }
    return true;
  }

  /**
   * The flush waits, one microtask hop at a time, while ops keep arriving.
   * Async code starts ops at successive microtask depths (each await is a
   * hop; an async generator handing items to workers takes about two per
   * stage), all in one macrotask: flushing at the first checkpoint would
   * enter once per depth. A lone chain (one op queued, at most one just
   * resumed) waits two quiet hops, so a QD 1 loop pays ~25 ns; where
   * several chains run it waits longer. Bounded, and never past a full SQ.
   */
  #flushWhenQuiet(): void {
    if (this.#enqueued !== this.#seenAtHop) {
      this.#seenAtHop = this.#enqueued;
      this.#quietHops = 0;
    } else this.#quietHops++;
    const queued = this.#queue.length - this.#queueHead;
    const quiet = queued > 1 || this.#lastSettled > 1 ? QUIET_HOPS_MANY : QUIET_HOPS_LONE;
    if (this.#quietHops < quiet && this.#hops < MAX_HOPS && queued < this.#core.sqEntries && !this.#closed) {
      this.#hops++;
      queueMicrotask(this.#flushTask);
      return;
    }
    this.#hops = 0;
    this.#quietHops = 0;
    this.#flush();
  }

  /** End of the event-loop turn: one io_uring_enter for everything queued. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed) return;
    countFlush();
    this.#refill();
    // Completions posted inside our own enter (task work it runs: socket
    // receives, inline reads) are drained right below: keep them from also
    // waking the waiter, a thread switch per flush for nothing.
    // #updateWaiter turns notifications back on. Not with SQPOLL: there the
    // kernel thread posts every completion, none comes from our enter.
    if (this.#armed && !this.#notificationsOff && !this.#core.sqpoll) {
      this.#notificationsOff = true;
      this.#wasm.cqEventfdToggle(false);
    }
    let transient = false;
    for (;;) {
      const res = this.#core.submit();
      transient = res === -EBUSY || res === -EAGAIN;
      if (res < 0 && !transient) {
        // Nothing transient: the ring itself is unusable. Fail what is queued.
        this.#failQueued(res, "io_uring_enter failed: the ring cannot submit");
        this.#updateWaiter();
        return;
      }
      // Inline completions (NOPs, page-cache hits) are already in the CQ:
      // deliver them now instead of after a wake-up round trip.
      this.#drain();
      if (res < 0 || this.#queueHead === this.#queue.length || this.#refill() === 0) break;
    }
    if (this.#batchInFlight > 0) batchPins[this.#pin] = this; // batch SQEs may have gone out with these
    // After EAGAIN/EBUSY the published SQEs wait for another enter that no completion will trigger.
    if (transient) this.#retryLater();
    else this.#ensureProgress();
    this.#updateWaiter();
  }

  /**
   * Ops wait in the JS queue and nothing is in flight, so no completion
   * will schedule the next flush. With SQPOLL this is a real state: the
   * kernel thread posts an SQE's CQE before it moves the SQ head past it,
   * so a drain can see every op done while the SQ still looks full. Retry
   * once the loop has turned (the SQ thread commits meanwhile).
   */
  #ensureProgress(): void {
    if (this.#queueHead < this.#queue.length && this.#ops.inFlight === 0) this.#retryLater();
  }

  #retryLater(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    loop.macrotask(this.#flushTask);
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
    if (this.#ops.inFlight > 0 || this.#receivers.length > 0) {
      if (!this.#armed) {
        this.#armed = true;
        this.#notificationsOff = false;
        this.#safetyPoll = setInterval(this.#wakeTask, SAFETY_POLL_MS);
        // CQEs posted while notifications were off signalled nothing.
        if (this.#core.setEventfdEnabled(true) > 0) queueMicrotask(this.#wakeTask);
      } else if (this.#notificationsOff) {
        this.#notificationsOff = false;
        if (this.#core.setEventfdEnabled(true) > 0) queueMicrotask(this.#wakeTask);
      }
      this.#waiter.arm();
    } else if (this.#armed) {
      this.#stopWaiting();
      this.#notificationsOff = false;
      this.#core.setEventfdEnabled(false);
    }
  }

  #stopWaiting(): void {
    this.#armed = false;
    // Only when one runs: Deno makes its timer functions on first use (about 10 ms), not worth it at close.
    if (this.#safetyPoll !== undefined) clearInterval(this.#safetyPoll);
    this.#safetyPoll = undefined;
    this.#waiter.disarm();
  }

  #onWake(): void {
    if (this.#closed) return;
    this.#drain();
    if (this.#queueHead < this.#queue.length && this.#refill() > 0) {
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flushTask);
      }
    } else {
      this.#ensureProgress();
    }
    this.#updateWaiter();
  }

  #drain(): void {
    this.#reapAll(undefined);
  }

  /**
   * Reaps every CQE. Batch completions go to callback (or, without one, to
   * the next reap()); promise completions are settled after the pass, never
   * inside it, so a continuation that queues more ops cannot re-enter the
   * reap loop. Returns the batch completions passed to callback.
   */
  #reapAll(callback: BatchCallback | undefined): number {
    const core = this.#core;
    const c = core.completions;
    const cap = core.cqEntries;
    const words = core.cqeWords;
    let batchDone = 0;
    let settle: Op[] | undefined;
    let streamed: (Op | number)[] | undefined;
    reaping: for (;;) {
      const n = core.reap(cap);
      if (n === 0) break;
      for (let i = 0, k = 0; i < n; i++, k += words) {
        const hi = c[k + 1];
        const tag = hi & UD_TAG_MASK;
        if (tag === UD_BATCH) {
          if (callback !== undefined) {
            callback(c[k] >>> 0, c[k + 2], c[k + 3] >>> 0);
            batchDone++;
            // close() inside the callback reaped into `c` itself: what is
            // left of this pass went with the ring. Still settle what it took.
            if (this.#closed) break reaping;
          } else {
            this.#batchInFlight--;
            this.#batchBacklog.push(c[k] >>> 0, c[k + 2], c[k + 3] >>> 0);
          }
        } else if (tag === UD_PROMISE) {
          const op = this.#ops.get(c[k]);
          if (op === undefined || op.udHi !== hi) continue;
          if (op.sink !== undefined) {
            // A multishot request may have several CQEs in this pass: keep each.
            if ((c[k + 3] & IORING_CQE_F_MORE) === 0) this.#ops.take(op);
            (streamed ??= []).push(op, c[k + 2], c[k + 3]);
            continue;
          }
          this.#ops.take(op);
          op.res = c[k + 2];
          op.cqeFlags = c[k + 3];
          (settle ??= []).push(op);
        } else if (tag === UD_MESSAGE) {
          this.#inbox.push({ value: c[k + 2], data: c[k] >>> 0 });
        } else if (hi !== UD_INTERNAL) {
          this.onResourceCqe(c[k] >>> 0, hi >>> 0, c[k + 2]);
        } else if (c[k] === 0) {
          this.#internalRes = c[k + 2];
        }
      }
    }
    this.#batchInFlight -= batchDone;
    const settled = (settle?.length ?? 0) + (streamed?.length ?? 0) / 3;
    if (settled > 0) this.#lastSettled = settled;
    while (this.#inbox.length > 0 && this.#receivers.length > 0) this.#receivers.shift()!.resolve(this.#inbox.shift()!);
    if (settle !== undefined) {
      const closing = this.#closing;
      for (let i = 0; i < settle.length; i++) {
        const op = settle[i];
        settleOp(op, op.res, op.cqeFlags, closing, this.#why(op, op.res));
      }
    }
    if (streamed !== undefined) {
      const closing = this.#closing;
      for (let i = 0; i < streamed.length; i += 3) {
        const op = streamed[i] as Op;
        const res = streamed[i + 1] as number;
        op.sink!.onCqe(op, res, streamed[i + 2] as number, closing, this.#why(op, res));
      }
    }
    return batchDone;
  }

  /** What the ring knows of a failure res of op: the restriction that refused it (EACCES). */
  #why(op: Op, res: number): string | undefined {
    return res === -EACCES ? this.refusal(op) : undefined;
  }

  /** Rejects every op still queued in JS, each with an error naming its own operation. */
  #failQueued(res: number, why: string): void {
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const op = this.#queue[i];
      op.reject(uringError(op.spec.name, res, why));
    }
    this.#queue = [];
    this.#queueHead = 0;
  }

  /**
   * Submits members as one linked chain (IOSQE_IO_LINK; IOSQE_IO_HARDLINK
   * with { hard: true }, which keeps going when a member fails). members
   * are the promises of operations started on this ring in the same
   * expression, in order: `ring.link([ring.write(fd, buf), ring.fsync(fd)])`.
   * Resolves, once every member has settled, with each member's outcome;
   * after a member fails the rest reject with ECANCELED, as the kernel
   * reports. Member rejections are handled here, so awaiting only link()
   * never leaves an unhandled rejection.
   */
  link(members: Promise<unknown>[], options: { hard?: boolean } = {}): Promise<PromiseSettledResult<unknown>[]> {
    this.check("link");
    if (!Array.isArray(members)) throw new TypeError("link(): members must be an array of promises from this ring");
    const n = members.length;
    const q = this.#queue;
    const at = q.length - n;
    let flag = IOSQE_IO_LINK;
    try {
      if (n === 0) throw new RangeError("link(): members must not be empty");
      if (n > this.#core.sqEntries) {
        throw new RangeError(`link(): members: a chain of ${n} cannot fit in the ${this.#core.sqEntries}-entry SQ; a chain must be submitted at once`);
      }
      for (let i = 0; i < n; i++) {
        const op = at + i >= this.#queueHead ? q[at + i] : undefined;
        if (op === undefined || op.promise !== members[i] || op.chain !== 0) this.#misplacedMember(members, at);
      }
      if (q[at].spec.name === "linkTimeout") throw new TypeError("link(): a linkTimeout() must follow the operation it limits");
      const o = checkOptions("link", options);
      if (checkBoolean("link", "options.hard", o.hard ?? false)) flag = IOSQE_IO_HARDLINK;
    } catch (e) {
      this.#dropUnlinked(members);
      throw e;
    }
    for (let i = 0; i < n; i++) {
      const op = q[at + i];
      op.chain = i === 0 ? n : -1;
      if (i < n - 1) op.sqeFlags |= flag;
    }
    for (const member of members) member.catch(noop);
    return Promise.allSettled(members);
  }

  /**
   * Throws the TypeError naming the member that cannot be linked: first one
   * that is no queued operation of this ring, then one already chained, then
   * the first out of place (the chain must be the last ops queued, from at).
   */
  #misplacedMember(members: Promise<unknown>[], at: number): never {
    const ops = members.map((m) => this.#queuedOp(m));
    let i = ops.indexOf(undefined);
    let why = "is not an operation of this ring still waiting to be submitted (started in an earlier turn, already settled, or not this ring's)";
    if (i < 0 && (i = ops.findIndex((op) => op!.chain !== 0)) >= 0) why = "is already in a link chain";
    else if (i < 0) {
      i = Math.max(0, ops.findIndex((op, k) => this.#queue[at + k] !== op));
      why = "was not started in order right after the member before it, with no other operation between them";
    }
    throw new TypeError(`link(): members[${i}] ${why}; start the members in the link() call itself, in order, e.g. ring.link([ring.write(fd, buf), ring.fsync(fd)])`);
  }

  /** The queued op whose promise is p, newest first (members are near the end). */
  #queuedOp(p: unknown): Op | undefined {
    for (let i = this.#queue.length - 1; i >= this.#queueHead; i--) if (this.#queue[i].promise === p) return this.#queue[i];
    return undefined;
  }

  /**
   * A link() that throws starts nothing: its members still waiting in the
   * queue (and in no other chain) are taken out and reject ECANCELED,
   * handled, since the caller has the thrown error.
   */
  #dropUnlinked(members: Promise<unknown>[]): void {
    for (const member of members) {
      const op = this.#queuedOp(member);
      if (op === undefined || op.chain !== 0) continue;
      member.catch(noop);
      this.#rejectQueued(op, uringError(op.spec.name, -ECANCELED, "not submitted: the link() it was passed to threw"));
    }
  }

  /** Takes op (queued, in no chain) out of the queue, never to be submitted, and rejects it with error. */
  #rejectQueued(op: Op, error: UringError): void {
    this.#queue.splice(this.#queue.lastIndexOf(op), 1);
    op.reject(error);
  }

  /**
   * io_uring_sqe_set_flags for an operation just started on this ring (not
   * yet submitted): IOSQE_IO_DRAIN (it starts only after everything
   * submitted before it has completed) and IOSQE_ASYNC (it goes straight to
   * a kernel worker instead of trying inline first). Returns member.
   */
  sqeSetFlags<T>(member: Promise<T>, flags: number): Promise<T> {
    this.check("sqeSetFlags");
    const n = checkInteger("sqeSetFlags", "flags", flags, 0, 0xff);
    const other = n & ~(IOSQE_IO_DRAIN | IOSQE_ASYNC);
    if (other !== 0) {
      const why = other & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK) ? "chain operations with ring.link()"
        : other & IOSQE_CQE_SKIP_SUCCESS ? "a promise needs its completion"
        : other & IOSQE_FIXED_FILE ? "fixed files need a registered file table"
        : other & IOSQE_BUFFER_SELECT ? "buffer selection needs a provided-buffer group"
        : "only IOSQE_IO_DRAIN and IOSQE_ASYNC can be set here";
      throw new RangeError(`sqeSetFlags(): flags 0x${other.toString(16)} cannot be set on a promise operation: ${why}`);
    }
    const op = this.#queuedOp(member);
    if (op === undefined) throw new TypeError("sqeSetFlags(): member is not an operation of this ring that is still waiting to be submitted");
    op.sqeFlags |= n;
    return member;
  }

  /**
   * Cancels in-flight operations: a promise returned by this ring, every
   * request on an fd ({ fd }), everything ("all"), or a multishot iterator
   * (as breaking out of its loop does). Resolves with the number of
   * requests cancelled (0 for a promise no longer in flight); rejects
   * EALREADY when the request is running and cannot be stopped, ENOENT
   * when the kernel no longer knows it.
   */
  // deno-lint-ignore no-explicit-any
  cancel(target: Promise<unknown> | { fd: number | FixedFile } | "all" | MultishotStream<any>): Promise<number> {
    this.check("cancel");
    if (target === "all") return this.start(cancelAllSpec, -1, 0, 0, 0, 0, 0, 0, undefined);
    if (target instanceof MultishotStream) {
      if (target.ended) return Promise.resolve(0);
      return target.return().then(() => 1);
    }
    if (target instanceof Promise) {
      // A scan, not a per-op map: cancel is rare, the hot path stays lean.
      const inFlight = this.#ops.find(target);
      if (inFlight !== undefined) return this.mapped(this.start<number>(cancelSpec, -1, 0, 0, 0, 0, 0, 0, inFlight), () => 1);
      const queued = this.#queuedOp(target);
      if (queued !== undefined) {
        // Still queued: it never reaches the kernel (a chain fails as a whole).
        const error = uringError(queued.spec.name, -ECANCELED);
        if (queued.chain !== 0) queued.error = error;
        else this.#rejectQueued(queued, error);
        return Promise.resolve(1);
      }
      // Completed already (or never this ring's): nothing to cancel.
      return Promise.resolve(0);
    }
    if (target !== null && typeof target === "object" && "fd" in target) {
      if (target.fd instanceof FixedFile) {
        this.#checkFixedFile("cancel", target.fd, "target.fd");
        return this.start(cancelFixedFdSpec, target.fd.index, 0, 0, 0, 0, 0, 0, undefined);
      }
      const fd = checkFd("cancel", target.fd, "target.fd");
      return this.start(cancelFdSpec, fd, 0, 0, 0, 0, 0, 0, undefined);
    }
    throw new TypeError('cancel(): target must be a promise or iterator from this ring, { fd }, or "all"');
  }

  /** The next message another ring sent here with msgRing(); waits for one. */
  receiveMessage(): Promise<RingMessage> {
    this.check("receiveMessage");
    this.#drain();
    if (this.#inbox.length > 0) return Promise.resolve(this.#inbox.shift()!);
    const { promise, resolve, reject } = Promise.withResolvers<RingMessage>();
    this.#receivers.push({ resolve, reject });
    this.#updateWaiter();
    return promise;
  }

  /** Every message sent here with msgRing(), as they arrive (until the loop is left or the ring closes). */
  async *messages(): AsyncGenerator<RingMessage, void, undefined> {
    while (!this.#closed) {
      let message: RingMessage;
      try {
        message = await this.receiveMessage();
      } catch (e) {
        if (e instanceof UringError && e.code === "ERING_CLOSED") return;
        throw e;
      }
      yield message;
    }
  }

  // ---- batch API ---------------------------------------------------------
  // For throughput loops and Workers. submitAndWait() blocks the calling
  // thread until completions arrive; don't use it on a thread whose event
  // loop must keep running. userData is a 32-bit unsigned integer.

  /** io_uring_prep_nop into the next SQE; false when the SQ is full (submit, then retry). */
  prepNop(userData = 0): boolean {
    if (this.#closed) throw closedError("prepNop");
    if (typeof userData !== "number" || userData >>> 0 !== userData) checkU32("prepNop", "userData", userData);
    if (this.#wasm.enqueueNop(userData, UD_BATCH) === 0) return false;
    this.#batchInFlight++;
    return true;
  }

  /**
   * io_uring_prep_read. buf is a host address (see addressOf(); the memory
   * must stay referenced until the completion is reaped) or a buffer.
   */
  prepRead(fd: number | FixedFile, buf: number | ArrayBufferView, len: number, offset: number, userData = 0): boolean {
    return this.#prepRwBatch("prepRead", this.#wasm.enqueueRead, fd, buf, len, offset, userData);
  }

  /** io_uring_prep_write; see prepRead. */
  prepWrite(fd: number | FixedFile, buf: number | ArrayBufferView, len: number, offset: number, userData = 0): boolean {
    return this.#prepRwBatch("prepWrite", this.#wasm.enqueueWrite, fd, buf, len, offset, userData);
  }

  /** READ/WRITE on a registered file: the SQE also carries IOSQE_FIXED_FILE (off the plain-fd hot path). */
  #prepRwFixedFile(
    fn: string, read: boolean, file: FixedFile, addr: number, len: number, offset: number, userData: number,
  ): boolean {
    this.#checkFixedFile(fn, file); // len, addr, offset and userData are checked by the caller
    const w = this.#wasm;
    const sqe = w.getSqe();
    if (sqe === 0) return false;
    if (read) w.prepRead(sqe, file.index, addr, len, offset);
    else w.prepWrite(sqe, file.index, addr, len, offset);
    w.sqeSetFlags(sqe, IOSQE_FIXED_FILE);
    w.sqeSetData(sqe, userData, UD_BATCH);
    this.#batchInFlight++;
    return true;
  }

  /** A batch op's FixedFile: of this ring, and inside its file table (the promise API's fileArg() says the same). */
  #checkFixedFile(fn: string, file: unknown, name = "fd"): void {
    if (!(file instanceof FixedFile) || file.ring !== this) throw new TypeError(`${fn}(): ${name} must be an fd or a FixedFile of this ring`);
    const size = this.fileTableSize;
    if (file.index >= size) throw new RangeError(`${fn}(): ${name} (FixedFile ${file.index}) is not in this ring's file table (${size} slots)`);
  }

  /** Slots of the fixed-file table (RingRegistered keeps the table). */
  get fileTableSize(): number {
    return 0;
  }

  /**
   * io_uring_prep_read_fixed: reads into registered buffer bufIndex at host
   * address buf (inside that buffer; see BufferPool.slotAddress()). fd may
   * be a FixedFile. False when the SQ is full.
   */
  prepReadFixed(
    fd: number | FixedFile, buf: number, len: number, offset: number, bufIndex: number, userData = 0,
  ): boolean {
    return this.#prepFixedBatch("prepReadFixed", this.#wasm.enqueueReadFixed, fd, buf, len, offset, bufIndex, userData);
  }

  /** io_uring_prep_write_fixed; see prepReadFixed. */
  prepWriteFixed(
    fd: number | FixedFile, buf: number, len: number, offset: number, bufIndex: number, userData = 0,
  ): boolean {
    return this.#prepFixedBatch("prepWriteFixed", this.#wasm.enqueueWriteFixed, fd, buf, len, offset, bufIndex, userData);
  }

  /**
   * io_uring_prep_fsync (fsyncFlags: IORING_FSYNC_DATASYNC for fdatasync)
   * with SQE flags: IOSQE_IO_DRAIN makes it a write barrier (it starts once
   * everything submitted before it has completed, and holds back what comes
   * after); IOSQE_IO_LINK / IO_HARDLINK chain the next SQE after it;
   * IOSQE_ASYNC. False when the SQ is full.
   */
  prepFsync(fd: number | FixedFile, fsyncFlags = 0, userData = 0, sqeFlags = 0): boolean {
    if (this.#closed) throw closedError("prepFsync");
    let flags = checkInteger("prepFsync", "sqeFlags", sqeFlags, 0, 0xff);
    const other = flags & ~(IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC);
    if (other !== 0) {
      throw new RangeError(
        `prepFsync(): sqeFlags 0x${other.toString(16)} cannot be set here (IOSQE_IO_DRAIN, IO_LINK, IO_HARDLINK and ASYNC can; ` +
          "a FixedFile sets IOSQE_FIXED_FILE itself, and every batch SQE must post its completion)",
      );
    }
    if (typeof fd !== "number") {
      this.#checkFixedFile("prepFsync", fd);
      flags |= IOSQE_FIXED_FILE;
      fd = fd.index;
    } else checkFd("prepFsync", fd);
    const f = checkU32("prepFsync", "fsyncFlags", fsyncFlags);
    const ud = checkU32("prepFsync", "userData", userData);
    const w = this.#wasm;
    const sqe = w.getSqe();
    if (sqe === 0) return false;
    w.prepFsync(sqe, fd, f);
    if (flags !== 0) w.sqeSetFlags(sqe, flags);
    w.sqeSetData(sqe, ud, UD_BATCH);
    this.#batchInFlight++;
    return true;
  }

  #prepFixedBatch(
    fn: string, enqueue: UringWasm["enqueueReadFixed"], fd: number | FixedFile, buf: number, len: number,
    offset: number, bufIndex: number, userData: number,
  ): boolean {
    if (this.#closed) throw closedError(fn);
    // Cheap checks first; the detailed one names the argument only on failure.
    if (typeof buf !== "number" || !(buf >= 0 && buf <= Number.MAX_SAFE_INTEGER) || Math.floor(buf) !== buf) checkAddress(fn, "buf", buf);
    if (typeof offset !== "number" || !(offset >= -1 && offset <= Number.MAX_SAFE_INTEGER) || Math.floor(offset) !== offset) {
      offset = checkOffset(fn, offset);
    }
    if (typeof userData !== "number" || userData >>> 0 !== userData) checkU32(fn, "userData", userData);
    let sqeFlags = 0;
    if (typeof fd !== "number") {
      this.#checkFixedFile(fn, fd);
      sqeFlags = IOSQE_FIXED_FILE;
      fd = fd.index;
    } else if ((fd | 0) !== fd || fd < 0) checkFd(fn, fd);
    if (typeof len !== "number" || len >>> 0 !== len) checkU32(fn, "len", len);
    if (typeof bufIndex !== "number" || (bufIndex & 0xffff) !== bufIndex) checkInteger(fn, "bufIndex", bufIndex, 0, 0xffff);
    if (enqueue(fd, buf, len, offset, bufIndex, sqeFlags, userData, UD_BATCH) === 0) return false;
    this.#batchInFlight++;
    return true;
  }

  #prepRwBatch(
    fn: string, enqueue: UringWasm["enqueueRead"],
    fd: number | FixedFile, buf: number | ArrayBufferView, len: number, offset: number, userData: number,
  ): boolean {
    if (this.#closed) throw closedError(fn);
    // Cheap checks first; the detailed one names the argument only on failure.
    if (typeof len !== "number" || len >>> 0 !== len) checkU32(fn, "len", len);
    let addr: number;
    if (typeof buf === "number") {
      if (!(buf >= 0 && buf <= Number.MAX_SAFE_INTEGER) || Math.floor(buf) !== buf) checkAddress(fn, "buf", buf);
      addr = buf;
    } else {
      // The kernel moves len bytes into or out of buf: never past its end.
      if (!ArrayBuffer.isView(buf) || len > buf.byteLength || buf.byteLength === 0) checkBatchBuffer(fn, buf, len);
      addr = this.#native.addressOf(buf);
    }
    if (typeof offset !== "number" || !(offset >= -1 && offset <= Number.MAX_SAFE_INTEGER) || Math.floor(offset) !== offset) {
      offset = checkOffset(fn, offset);
    }
    if (typeof userData !== "number" || userData >>> 0 !== userData) checkU32(fn, "userData", userData);
    if (typeof fd !== "number") return this.#prepRwFixedFile(fn, enqueue === this.#wasm.enqueueRead, fd, addr, len, offset, userData);
    if ((fd | 0) !== fd || fd < 0) checkFd(fn, fd);
    if (enqueue(fd, addr, len, offset, userData, UD_BATCH) === 0) return false;
    this.#batchInFlight++;
    return true;
  }

  /** io_uring_submit: hands queued SQEs to the kernel. Returns how many it took. */
  submit(): number {
    if (this.#closed) throw closedError("submit");
    const res = this.#core.submit();
    if (this.#batchInFlight > 0) batchPins[this.#pin] = this;
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
    // More than the CQ holds can never be ready at once: that wait would never end.
    const n = checkInteger("submitAndWait", "waitNr", waitNr, 0, this.#core.cqEntries);
    const timeoutNs = timeoutMs === undefined ? -1 : Math.round(checkInteger("submitAndWait", "timeoutMs", timeoutMs, 0, 2 ** 31) * 1e6);
    // Completions the promise API already drained wait in the backlog: they are ready too.
    const ready = this.#batchBacklog.length / 3;
    const wait = n > ready ? n - ready : 0;
    const res = this.#core.submit(wait, wait > 0 ? IORING_ENTER_GETEVENTS : 0, timeoutNs);
    if (this.#batchInFlight > 0) batchPins[this.#pin] = this;
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
    if (typeof callback !== "function") throw new TypeError(`reap(): callback must be a function, got ${typeof callback}`);
    let count = 0;
    const backlog = this.#batchBacklog;
    if (backlog.length > 0) {
      this.#batchBacklog = [];
      for (let i = 0; i < backlog.length; i += 3) callback(backlog[i], backlog[i + 1], backlog[i + 2]);
      count = backlog.length / 3;
    }
    const promisesBefore = this.#ops.inFlight;
    count += this.#reapAll(callback);
    if (this.#ops.inFlight !== promisesBefore) this.#updateWaiter();
    // (Unless the callback closed the ring: its pin slot may be another ring's by now.)
    if (this.#batchInFlight === 0 && !this.#closed) batchPins[this.#pin] = undefined;
    return count;
  }

  /** Free SQEs right now. */
  sqSpaceLeft(): number {
    if (this.#closed) throw closedError("sqSpaceLeft");
    return this.#wasm.sqSpaceLeft();
  }

  /** Host address of a buffer, for the batch API's prepRead/prepWrite. Keep the buffer referenced while in use. */
  addressOf(buf: ArrayBufferView | ArrayBuffer): number {
    this.check("addressOf");
    return this.#native.addressOf(checkBuffer("addressOf", buf));
  }

  // ---- lifetime ----------------------------------------------------------

  /** Requests of either API the kernel still holds. */
  #outstanding(): number {
    return this.#ops.inFlight + this.#batchInFlight;
  }

  /**
   * Cancels everything in flight (promise and batch requests, multishot
   * iterators), waits for every CQE (so no buffer is released while the
   * kernel may still write it), rejects those promises with ECANCELED, then
   * releases the ring. Batch completions reaped here are dropped. Blocks
   * briefly; idempotent.
   */
  close(): void {
    if (this.#closed) return;
    unguard(this);
    this.#closing = true;
    this.#failQueued(-ECANCELED, "the ring was closed before it was submitted");
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
        for (const op of this.#ops.all()) {
          const error = uringError(op.spec.name, -ECANCELED, "the ring was closed; the kernel never completed it");
          if (op.sink !== undefined) op.sink.onCqe(op, -ECANCELED, 0, true);
          else op.reject(error);
        }
      }
    }
    this.#closed = true;
    for (const r of this.#receivers.splice(0)) r.reject(closedError("receiveMessage"));
    this.#stopWaiting();
    // An abandoned ring keeps its fd and maps too: the kernel still owns requests.
    releaseRing(core, this.#native, this.#eventFd, this.#waiter, abandon);
    batchPins[this.#pin] = undefined;
    freePins.push(this.#pin);
  }

  /** Submits IORING_ASYNC_CANCEL_ANY (5.19+), or one cancel per op on older kernels. */
  #cancelEverything(): void {
    const w = this.#wasm;
    const sqe = this.#sqeNow();
    w.prepCancel64(sqe, 0, 0, IORING_ASYNC_CANCEL_ANY);
    w.sqeSetData(sqe, 0, UD_INTERNAL);
    this.#core.submit();
    const res = this.#waitInternal();
    if (res === -EINVAL) {
      for (const op of this.#ops.all()) {
        const s = this.#sqeNow();
        w.prepCancel64(s, op.slot, op.udHi, 0);
        w.sqeSetData(s, 1, UD_INTERNAL);
      }
      this.#core.submit();
    }
  }

  /** A free SQE, submitting and delivering completions until one is. */
  #sqeNow(): number {
    let sqe = this.#wasm.getSqe();
    while (sqe === 0) {
      this.#core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
      this.#drain();
      sqe = this.#wasm.getSqe();
    }
    return sqe;
  }

  /** Result of the internal cancel just submitted, settling promise CQEs met on the way. */
  #waitInternal(): number {
    this.#internalRes = undefined;
    const deadline = Date.now() + CLOSE_DEADLINE_MS;
    while (Date.now() < deadline) {
      this.#core.submit(1, IORING_ENTER_GETEVENTS, CLOSE_WAIT_NS);
      this.#drain();
      this.#batchBacklog = [];
      if (this.#internalRes !== undefined) return this.#internalRes;
    }
    return -ETIME;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const cancelAllSpec: OpSpec = {
  name: "cancel",
  opcode: 14,
  prep: (w, sqe) => w.prepCancel64(sqe, 0, 0, IORING_ASYNC_CANCEL_ANY),
};

const cancelFixedFdSpec: OpSpec = {
  name: "cancel",
  opcode: 14,
  // IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED: every request on that table slot.
  prep: (w, sqe, op) => w.prepCancelFd(sqe, op.fd, 1 | 8),
};

const cancelFdSpec: OpSpec = {
  name: "cancel",
  opcode: 14,
  prep: (w, sqe, op) => w.prepCancelFd(sqe, op.fd, 1 /* IORING_ASYNC_CANCEL_ALL */),
};
