// Ring: the public object. Ring.open() sets up the ring; the operations
// live in one file per family (ring-io.ts: file descriptors, ring-fs.ts:
// paths, this file: timers, cancellation's relatives, messages between
// rings, futexes and child processes) over the engine in ring-base.ts.
import { type CompatOptions, compatOff, compatPlan } from "./compat.ts";
import {
  IORING_REGISTER_RESTRICTIONS, IORING_SETUP_COOP_TASKRUN, IORING_SETUP_CQE32, IORING_SETUP_R_DISABLED,
  IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_SQ_AFF, IORING_SETUP_SQE128, IORING_SETUP_SQPOLL, IORING_SETUP_SUBMIT_ALL,
  IORING_TIMEOUT_ABS, IORING_TIMEOUT_ETIME_SUCCESS, IORING_UNREGISTER_RING_FDS,
} from "./constants.ts";
import { ECANCELED, ETIME, uringError } from "./errors.ts";
import { getNative } from "./native.ts";
import { MultishotStream } from "./op-stream.ts";
import {
  FUTEX_BITSET_MATCH_ANY, FUTEX_WAITV_MAX, FUTEX2_PRIVATE, FUTEX2_SIZE_U32, IORING_MSG_DATA,
  IORING_TIMEOUT_MULTISHOT, P_PIDFD,
} from "./op-constants.ts";
import { noValue, type Op, opcodeOf, type OpSpec, UD_MESSAGE } from "./ops.ts";
import { inferProbe, Probe, probe, probeKernel } from "./probe.ts";
import { encodeRestrictions, refusalOf, type RestrictionOptions, type Restrictions } from "./restrictions.ts";
import { RingCore } from "./ring-core.ts";
import { RingNet } from "./ring-net.ts";
import { checkBits, checkBoolean, checkBuffer, checkInteger, checkOptions, checkU32 } from "./validate.ts";

export type { BatchCallback, RingMessage } from "./ring-base.ts";
export type { OpenHow } from "./ring-fs.ts";
export type { Accepted, Received } from "./ring-net.ts";
export type { NewFdOptions } from "./validate.ts";

export interface RingOptions {
  /** SQ entries, rounded up to a power of two (1–32768). Default 256. */
  entries?: number;
  /** CQ entries, rounded up to a power of two (entries–65536). Default 2 × entries. */
  cqEntries?: number;
  /** A kernel thread polls the SQ (IORING_SETUP_SQPOLL): submission needs no syscall while it is awake. */
  sqpoll?: boolean | { idleMs?: number; cpu?: number };
  /** IORING_SETUP_SINGLE_ISSUER (6.0+): only this thread submits. Default true. */
  singleIssuer?: boolean;
  /** 128-byte SQEs (IORING_SETUP_SQE128), for uring_cmd payloads. */
  sqe128?: boolean;
  /** 32-byte CQEs (IORING_SETUP_CQE32), for uring_cmd results. */
  cqe32?: boolean;
  /**
   * Use only the ops a kernel of this release has ("5.15"), though the
   * running one has more: they reject EOPNOTSUPP before submission, as they
   * would there. For testing code meant to run on older kernels.
   */
  assumeKernel?: string;
  /** "no-mmap": rings inside WebAssembly memory (6.5+); "mmap": kernel-mapped rings plus a copy; "auto" (default) tries no-mmap first. */
  mode?: "auto" | "no-mmap" | "mmap";
  /**
   * Kernel features to go without ({ registeredRing: false, … }): the ring
   * takes the fallback it takes on a kernel that lacks them (README, "Kernel
   * features and fallbacks"). URINGSHIM_COMPAT="no-query,…" does the same
   * for every ring of the process. ring.compat says what the ring uses.
   */
  compat?: CompatOptions;
  /**
   * IORING_REGISTER_RESTRICTIONS (5.10+): the only ops, SQE flags and
   * register opcodes the ring may use once enabled; everything else fails
   * with EACCES. The ring is set up disabled, restricted, and enabled at
   * the end of open() (or by enableRings() with { disabled: true }).
   */
  restrictions?: RestrictionOptions;
  /**
   * Set the ring up disabled (IORING_SETUP_R_DISABLED): register buffers and
   * files (which restrictions may forbid later), then ring.enableRings().
   * Operations before that reject EBADFD.
   */
  disabled?: boolean;
}

/** What waitid() resolves with: the siginfo_t fields of a SIGCHLD. */
export interface WaitidInfo {
  /** SIGCHLD (17), or 0 when WNOHANG found no child in the state asked for. */
  signo: number;
  /** CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_TRAPPED or CLD_CONTINUED. */
  code: number;
  pid: number;
  uid: number;
  /** The exit status (CLD_EXITED) or the signal number. */
  status: number;
}

const MAX_ENTRIES = 32768;
const WAITID_OPTIONS = 0x0100_000f; // WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT
const SIGINFO_BYTES = 128;

function pow2ceil(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** struct __kernel_timespec { s64 tv_sec; long long tv_nsec; } for ms milliseconds. */
function timespec(fn: string, ms: unknown): BigInt64Array {
  if (typeof ms !== "number") throw new TypeError(`${fn}(): ms must be a number, got ${typeof ms}`);
  if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER / 1e6) {
    throw new RangeError(`${fn}(): ms must be a finite number >= 0, got ${ms}`);
  }
  const ts = new BigInt64Array(new ArrayBuffer(16));
  const sec = Math.floor(ms / 1000);
  ts[0] = BigInt(sec);
  ts[1] = BigInt(Math.round((ms - sec * 1000) * 1e6));
  return ts;
}

/** Address of element index of a 32-bit futex word array, validated. */
function futexWord(fn: string, ring: Ring, view: unknown, index: unknown, name = "view"): number {
  if (!(view instanceof Int32Array) && !(view instanceof Uint32Array)) {
    throw new TypeError(`${fn}(): ${name} must be an Int32Array or Uint32Array`);
  }
  if (view.length === 0) checkBuffer(fn, view, name); // a detached view says so
  const i = checkInteger(fn, name === "view" ? "index" : name.replace(/view$/, "index"), index, 0, view.length - 1);
  return ring.addressOf(view) + i * 4;
}

function futexFlags(fn: string, name: string, options: Record<string, unknown>): number {
  // Process-private futexes (the default, as glibc's) are cheaper; { shared: true } for shared memory.
  return FUTEX2_SIZE_U32 | (checkBoolean(fn, `${name}.shared`, options.shared ?? false) ? 0 : FUTEX2_PRIVATE);
}

/** The running kernel's capabilities cut down to what `release` has. */
function assumeKernel(real: Probe, release: string): Probe {
  const assumed = inferProbe(release);
  return new Probe({
    kernelRelease: release,
    source: real.source,
    inferred: real.inferred,
    supportedOpcodes: real.supportedOpcodes.filter((op) => assumed.supportsOpcode(op)),
    lastOp: Math.min(real.lastOp, assumed.lastOp),
    setupFlags: real.setupFlags & assumed.setupFlags,
    enterFlags: real.enterFlags & assumed.enterFlags,
    sqeFlags: real.sqeFlags & assumed.sqeFlags,
    features: real.features & assumed.features,
  });
}

const spec = {
  timeout: {
    name: "timeout", opcode: opcodeOf("timeout"),
    // In a chain, expiry is this op's success (it resolves), so it must not
    // break the chain: IORING_TIMEOUT_ETIME_SUCCESS makes the kernel agree.
    prep: (w, sqe, op) => w.prepTimeout(sqe, op.addr, op.arg, op.flags | (op.chain !== 0 ? IORING_TIMEOUT_ETIME_SUCCESS : 0)),
    outcome: (res) => res === -ETIME, value: noValue,
  },
  timeoutMultishot: {
    name: "timeoutMultishot", opcode: opcodeOf("timeout"),
    prep: (w, sqe, op) => w.prepTimeout(sqe, op.addr, op.arg, op.flags),
    outcome: (res) => res === -ETIME,
  },
  linkTimeout: {
    name: "linkTimeout", opcode: opcodeOf("linkTimeout"),
    prep: (w, sqe, op) => w.prepLinkTimeout(sqe, op.addr, op.flags),
    // -ETIME: it fired and cancelled the request; -ECANCELED: the request finished first.
    outcome: (res) => res === -ETIME || res === -ECANCELED,
    value: (_op, res) => res === -ETIME,
  },
  msgRing: {
    name: "msgRing", opcode: opcodeOf("msgRing"),
    prep: (w, sqe, op) => w.prepMsgRing(sqe, op.fd, op.len, op.arg, UD_MESSAGE, op.flags), value: noValue,
  },
  futexWait: {
    name: "futexWait", opcode: opcodeOf("futexWait"),
    prep: (w, sqe, op) => w.prepFutexWait(sqe, op.addr, op.off, 0, op.addr2, 0, op.arg, 0), value: noValue,
  },
  futexWake: {
    name: "futexWake", opcode: opcodeOf("futexWake"),
    prep: (w, sqe, op) => w.prepFutexWake(sqe, op.addr, op.off, 0, op.addr2, 0, op.arg, 0),
  },
  futexWaitv: {
    name: "futexWaitv", opcode: opcodeOf("futexWaitv"),
    prep: (w, sqe, op) => w.prepFutexWaitv(sqe, op.addr, op.len, 0),
  },
  waitid: {
    name: "waitid", opcode: opcodeOf("waitid"),
    prep: (w, sqe, op) => w.prepWaitid(sqe, op.arg, op.fd, op.addr, op.flags, 0),
    value: (op): WaitidInfo => {
      const v = new DataView((op.refs as Uint8Array).buffer);
      // siginfo_t: si_signo, si_errno, si_code, then the SIGCHLD union: pid, uid, status.
      return { signo: v.getInt32(0, true), code: v.getInt32(8, true), pid: v.getInt32(16, true), uid: v.getUint32(20, true), status: v.getInt32(24, true) };
    },
  },
} satisfies Record<string, OpSpec>;

export class Ring extends RingNet {
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
    // No inter-processor interrupt per completion (5.19+): the JS thread runs
    // its completions' task_work at its next kernel entry, and is still
    // woken if it sleeps. Not with SQPOLL, where the kernel refuses it.
    if (!o.sqpoll) flags |= IORING_SETUP_COOP_TASKRUN;
    if (o.sqe128) flags |= IORING_SETUP_SQE128;
    if (o.cqe32) flags |= IORING_SETUP_CQE32;
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
    const off = compatOff("Ring.open", o.compat);
    const real = off.has("query") ? probe({ method: "probe" }) : probe();
    let kernel = real;
    if (o.assumeKernel !== undefined) {
      if (typeof o.assumeKernel !== "string" || !/^\d+\.\d+/.test(o.assumeKernel)) {
        throw new TypeError(`Ring.open(): options.assumeKernel must be a release like "5.15", got ${String(o.assumeKernel)}`);
      }
      kernel = assumeKernel(kernel, o.assumeKernel);
    }
    const restricted = o.restrictions === undefined ? undefined : encodeRestrictions("Ring.open", o.restrictions);
    const disabled = checkBoolean("Ring.open", "options.disabled", o.disabled ?? false);
    if (restricted !== undefined || disabled) flags |= IORING_SETUP_R_DISABLED;
    const why = compatPlan(off, {
      mode, real, kernel, singleIssuer: (flags & IORING_SETUP_SINGLE_ISSUER) !== 0,
      mayUnregisterRing: restricted === undefined || restricted.registerOpcodes.has(IORING_UNREGISTER_RING_FDS),
    });
    if (why.singleIssuer !== undefined) flags &= ~IORING_SETUP_SINGLE_ISSUER;

    const native = getNative();
    const core = RingCore.open(native, { sqEntries: entries, cqEntries, flags, sqThreadCpu, sqThreadIdle, mode: why.noMmap ? "mmap" : mode });
    if (core.mode === "mmap") why.noMmap ??= "the kernel refused IORING_SETUP_NO_MMAP (6.5+; 6.5–6.9 want contiguous memory)";
    const ring = new Ring(core, native, kernel);
    try {
      // Registered while the ring may still be disabled: restrictions apply from enableRings() on.
      if (why.registeredRing === undefined) {
        const res = core.registerRing();
        if (res < 0) why.registeredRing = `IORING_REGISTER_RING_FDS: ${uringError("registerRing", res).code}${res === -16 ? " (this thread has 16 registered rings)" : ""}`;
      }
      ring.initCompat(why);
      ring.#core = core;
      if (restricted !== undefined) {
        const res = native.register(core.fd, IORING_REGISTER_RESTRICTIONS, native.addressOf(restricted.table), restricted.count);
        if (res < 0) throw uringError("Ring.open", res, "IORING_REGISTER_RESTRICTIONS (5.10+)");
        ring.#restrictions = restricted.normalised;
      }
      if (!disabled && core.disabled) ring.enableRings();
    } catch (e) {
      ring.close();
      throw e;
    }
    return ring;
  }

  #core: RingCore | undefined;
  #restrictions: Restrictions | undefined;

  /** The restrictions the ring was opened with (normalised), or undefined. */
  get restrictions(): Restrictions | undefined {
    return this.#restrictions;
  }

  protected override refusal(op: Op): string | undefined {
    return this.#restrictions === undefined ? undefined : refusalOf(this.#restrictions, op.spec.opcode, op.sqeFlags);
  }

  /** Opened with { disabled: true } and not enabled yet: operations reject EBADFD. */
  get disabled(): boolean {
    return this.#core?.disabled ?? false;
  }

  /**
   * IORING_REGISTER_ENABLE_RINGS: starts a ring opened with { disabled: true }.
   * Its restrictions take effect now; on a single-issuer ring this thread
   * becomes the one that submits.
   */
  enableRings(): void {
    this.check("enableRings");
    const core = this.#core!;
    if (!core.disabled) throw new TypeError("enableRings(): the ring is not disabled");
    const res = core.enable();
    if (res < 0) throw uringError("enableRings", res);
  }

  /** The registered ring index io_uring_enter uses (IORING_REGISTER_RING_FDS), or -1 when it enters with the fd. */
  get registeredRingIndex(): number {
    return this.#core?.registeredIndex ?? -1;
  }

  override probe(): Probe {
    if (this.compat.query) return super.probe();
    this.check("probe");
    return probeKernel(this.native, { method: "probe", ringFd: this.fd, features: this.features });
  }

  /**
   * Resolves after ms milliseconds (IORING_OP_TIMEOUT, relative), at the
   * CLOCK_MONOTONIC time ms with { absolute: true }, or earlier once
   * `count` other requests have completed.
   */
  timeout(ms: number, options: { absolute?: boolean; count?: number } = {}): Promise<void> {
    this.check("timeout");
    const ts = timespec("timeout", ms);
    const o = checkOptions("timeout", options);
    const count = checkU32("timeout", "options.count", o.count ?? 0);
    const flags = checkBoolean("timeout", "options.absolute", o.absolute ?? false) ? IORING_TIMEOUT_ABS : 0;
    return this.start(spec.timeout, -1, this.addressOf(ts), 0, 0, flags, 0, count, ts);
  }

  /**
   * A repeating timer (IORING_TIMEOUT_MULTISHOT, 6.4+): yields 1, 2, 3 …
   * every ms milliseconds, `count` times (0, the default: until the loop is
   * left, which cancels it).
   */
  timeoutMultishot(ms: number, options: { count?: number } = {}): MultishotStream<number> {
    this.check("timeoutMultishot");
    const ts = timespec("timeoutMultishot", ms);
    const o = checkOptions("timeoutMultishot", options);
    const count = checkU32("timeoutMultishot", "options.count", o.count ?? 0);
    let ticks = 0;
    const stream: MultishotStream<number> = new MultishotStream({
      item: () => ++ticks,
      cancel: (op) => this.cancelRequest(op),
    });
    this.startStream(stream, spec.timeoutMultishot, -1, this.addressOf(ts), 0, 0, IORING_TIMEOUT_MULTISHOT, 0, count, ts);
    return stream;
  }

  /**
   * IORING_OP_LINK_TIMEOUT: limits the operation before it in a
   * ring.link([...]) chain to ms milliseconds (that operation then rejects
   * ECANCELED). Resolves true if it fired, false if the operation finished
   * first.
   */
  linkTimeout(ms: number, options: { absolute?: boolean } = {}): Promise<boolean> {
    this.check("linkTimeout");
    const ts = timespec("linkTimeout", ms);
    const o = checkOptions("linkTimeout", options);
    return this.start(spec.linkTimeout, -1, this.addressOf(ts), 0, 0, checkBoolean("linkTimeout", "options.absolute", o.absolute ?? false) ? IORING_TIMEOUT_ABS : 0, 0, 0, ts);
  }

  /**
   * IORING_OP_MSG_RING: posts a message to another ring (5.18+), which
   * receives it with receiveMessage() / messages() as { value, data }.
   * value is an int32 (the CQE's res); data a uint32 tag. Resolves once the
   * kernel has posted it.
   */
  msgRing(target: Ring, value: number, options: { data?: number } = {}): Promise<void> {
    this.check("msgRing");
    if (!(target instanceof Ring)) throw new TypeError("msgRing(): target must be a Ring");
    if (target.closed) throw new TypeError("msgRing(): target is closed");
    const v = checkInteger("msgRing", "value", value, -0x8000_0000, 0x7fff_ffff);
    const o = checkOptions("msgRing", options);
    const data = checkU32("msgRing", "options.data", o.data ?? 0);
    return this.start(spec.msgRing, target.fd, 0, v >>> 0, 0, IORING_MSG_DATA, 0, data, target);
  }

  /**
   * FUTEX_WAIT through the ring (6.7+): resolves when view[index] is woken
   * (by futexWake or FUTEX_WAKE from anywhere); rejects EAGAIN at once if
   * view[index] !== expected. view's memory must not move: an
   * Int32Array/Uint32Array over a SharedArrayBuffer, an ArrayBuffer or a
   * NativeBuffer. { shared: true } for memory shared between processes.
   */
  futexWait(
    view: Int32Array | Uint32Array, index: number, expected: number, options: { mask?: number; shared?: boolean } = {},
  ): Promise<void> {
    this.check("futexWait");
    const addr = futexWord("futexWait", this, view, index);
    const value = checkInteger("futexWait", "expected", expected, -0x8000_0000, 0xffff_ffff) >>> 0;
    const o = checkOptions("futexWait", options);
    const mask = checkInteger("futexWait", "options.mask", o.mask ?? FUTEX_BITSET_MATCH_ANY, 1, 0xffff_ffff);
    return this.start(spec.futexWait, -1, addr, 0, value, 0, mask, futexFlags("futexWait", "options", o), view);
  }

  /** FUTEX_WAKE through the ring (6.7+): wakes up to count waiters on view[index]; resolves with how many woke. */
  futexWake(
    view: Int32Array | Uint32Array, index: number, count = 1, options: { mask?: number; shared?: boolean } = {},
  ): Promise<number> {
    this.check("futexWake");
    const addr = futexWord("futexWake", this, view, index);
    const n = checkInteger("futexWake", "count", count, 1, 0x7fff_ffff);
    const o = checkOptions("futexWake", options);
    const mask = checkInteger("futexWake", "options.mask", o.mask ?? FUTEX_BITSET_MATCH_ANY, 1, 0xffff_ffff);
    return this.start(spec.futexWake, -1, addr, 0, n, 0, mask, futexFlags("futexWake", "options", o), view);
  }

  /**
   * futex_waitv through the ring (6.7+): waits on several futex words at
   * once; resolves with the index in `futexes` of the one woken.
   */
  futexWaitv(
    futexes: { view: Int32Array | Uint32Array; index: number; expected: number; shared?: boolean }[],
  ): Promise<number> {
    this.check("futexWaitv");
    if (!Array.isArray(futexes)) throw new TypeError("futexWaitv(): futexes must be an array");
    if (futexes.length === 0 || futexes.length > FUTEX_WAITV_MAX) {
      throw new RangeError(`futexWaitv(): futexes must have 1 to ${FUTEX_WAITV_MAX} entries, got ${futexes.length}`);
    }
    // struct futex_waitv { __u64 val; __u64 uaddr; __u32 flags; __u32 __reserved; }
    const table = new DataView(new ArrayBuffer(futexes.length * 24));
    const views: unknown[] = [table];
    futexes.forEach((f, i) => {
      const e = checkOptions("futexWaitv", f, `futexes[${i}]`);
      const addr = futexWord("futexWaitv", this, e.view, e.index, `futexes[${i}].view`);
      const value = checkInteger("futexWaitv", `futexes[${i}].expected`, e.expected, -0x8000_0000, 0xffff_ffff) >>> 0;
      table.setBigUint64(i * 24, BigInt(value), true);
      table.setBigUint64(i * 24 + 8, BigInt(addr), true);
      table.setUint32(i * 24 + 16, futexFlags("futexWaitv", `futexes[${i}]`, e), true);
      views.push(e.view);
    });
    return this.start(spec.futexWaitv, -1, this.addressOf(table), futexes.length, 0, 0, 0, 0, views);
  }

  /**
   * waitid(2) through the ring (6.7+): idtype P_PID / P_PGID / P_PIDFD /
   * P_ALL, options WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT.
   * Resolves with the child's siginfo (pid, code, status). Runtimes reap
   * their own children: pass WNOWAIT to look without taking the status
   * from them.
   */
  waitid(idtype: number, id: number, options: number): Promise<WaitidInfo> {
    this.check("waitid");
    const type = checkInteger("waitid", "idtype", idtype, 0, P_PIDFD);
    const pid = checkInteger("waitid", "id", id, 0, 0x7fff_ffff);
    const opts = checkBits("waitid", "options", options, WAITID_OPTIONS);
    if ((opts & 0xe) === 0) throw new RangeError("waitid(): options must include WEXITED, WSTOPPED or WCONTINUED");
    const info = new Uint8Array(new ArrayBuffer(SIGINFO_BYTES));
    return this.start(spec.waitid, pid, this.addressOf(info), 0, 0, opts, 0, type, info);
  }
}
