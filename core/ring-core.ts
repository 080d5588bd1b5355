// One ring's memory and syscalls: a WebAssembly instance whose fixed memory
// holds the rings (IORING_SETUP_NO_MMAP) or a shadow of kernel-mapped rings
// (mmap mode), the ring fd, and the submit/reap primitives both APIs share.
import {
  IORING_ENTER_GETEVENTS, IORING_ENTER_REGISTERED_RING, IORING_ENTER_SQ_WAKEUP, IORING_REGISTER_ENABLE_RINGS,
  IORING_REGISTER_RING_FDS, IORING_SETUP_CQSIZE, IORING_SETUP_NO_MMAP, IORING_SETUP_NO_SQARRAY, IORING_SETUP_R_DISABLED,
  IORING_SETUP_SQPOLL, IORING_SQ_CQ_OVERFLOW, IORING_SQ_NEED_WAKEUP, IORING_UNREGISTER_RING_FDS,
} from "./constants.ts";
import { EFAULT, EINVAL, uringError } from "./errors.ts";
import type { Native } from "./native.ts";
import { setupError } from "./setup-errors.ts";
import { instantiate, ringMemoryBytes, type UringWasm } from "./wasm.ts";

export type RingMode = "no-mmap" | "mmap";

export interface CoreSetup {
  sqEntries: number; // power of two
  cqEntries: number; // power of two >= sqEntries
  flags: number; // setup flags other than NO_MMAP / NO_SQARRAY (SQE128 and CQE32 included)
  sqThreadCpu: number;
  sqThreadIdle: number;
  mode: "auto" | RingMode;
}

const WASM_PAGE = 65536;
// params offsets read back after setup (struct io_uring_params)
const P_SQ_ENTRIES = 0;
const P_CQ_ENTRIES = 4;
const P_FEATURES = 20;

export class RingCore {
  /** Where reap() writes completions: cqeWords int32 per CQE (see reap). */
  readonly completions: Int32Array;
  /** int32 words per completion: 8 on an IORING_SETUP_CQE32 ring, else 4. */
  readonly cqeWords: 4 | 8;
  /** io_uring_enter calls made to submit or wait (what strace -e io_uring_enter would count of them). */
  enters = 0;
  #closed = false;
  /** IORING_SETUP_R_DISABLED and not yet enabled: the kernel refuses to enter (EBADFD). */
  #disabled: boolean;
  /**
   * What io_uring_enter is given: the ring fd, or the index registered with
   * IORING_REGISTER_RING_FDS (then #enterFlags has IORING_ENTER_REGISTERED_RING).
   * Registered indices belong to the thread that registered them: this one,
   * the only thread that enters (the waiter threads only read the eventfd).
   */
  #enterFd: number;
  #enterFlags = 0;
  #ringIndex = -1;

  private constructor(
    readonly native: Native,
    readonly wasm: UringWasm,
    readonly memory: WebAssembly.Memory,
    readonly base: number,
    readonly fd: number,
    readonly mode: RingMode,
    readonly setupFlags: number,
    readonly features: number,
    readonly sqEntries: number,
    readonly cqEntries: number,
  ) {
    // ringLayout() chose the stride from the same setup flags (IORING_SETUP_CQE32).
    this.cqeWords = wasm.completionWords.value === 8 ? 8 : 4;
    this.completions = new Int32Array(memory.buffer, wasm.completionsAt(), wasm.completionCapacity.value * this.cqeWords);
    this.#disabled = (setupFlags & IORING_SETUP_R_DISABLED) !== 0;
    this.#enterFd = fd;
  }

  /** Sets up a ring, preferring NO_MMAP and NO_SQARRAY, falling back as the kernel requires. */
  static open(native: Native, req: CoreSetup): RingCore {
    const modes: RingMode[] = req.mode === "auto" ? ["no-mmap", "mmap"] : [req.mode];
    let lastRes = 0;
    for (const mode of modes) {
      // NO_SQARRAY is 6.6+, NO_MMAP 6.5+: an older kernel answers EINVAL.
      for (const sqArray of [IORING_SETUP_NO_SQARRAY, 0]) {
        const flags = req.flags | IORING_SETUP_CQSIZE | sqArray | (mode === "no-mmap" ? IORING_SETUP_NO_MMAP : 0);
        const res = RingCore.#trySetup(native, req, mode, flags);
        if (res instanceof RingCore) return res;
        lastRes = res;
        // Only a flag the kernel does not know (EINVAL), or NO_MMAP memory it
        // will not take (6.5–6.9 need physically contiguous pages), moves on.
        if (res !== -EINVAL && !(res === -EFAULT && mode === "no-mmap")) throw setupError(res, req.sqEntries, req.cqEntries, flags);
      }
    }
    throw setupError(lastRes, req.sqEntries, req.cqEntries);
  }

  static #trySetup(native: Native, req: CoreSetup, mode: RingMode, flags: number): RingCore | number {
    const bytes = ringMemoryBytes(req.sqEntries, req.cqEntries, flags);
    const pages = Math.ceil(bytes / WASM_PAGE);
    // initial == maximum: the memory can never grow, so its address never moves.
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const wasm = instantiate(memory);
    wasm.ringLayout(req.sqEntries, req.cqEntries, flags);
    const base = native.addressOf(memory.buffer as ArrayBuffer);
    if (base % 4096 !== 0) return -EFAULT; // the kernel needs page-aligned ring memory
    const params = base + wasm.prepareParams(req.cqEntries, flags, req.sqThreadCpu, req.sqThreadIdle, base);
    const fd = native.setup(req.sqEntries, params);
    if (fd < 0) return fd;
    const view = new DataView(memory.buffer);
    const p = wasm.PARAMS_AT.value;
    const sq = view.getUint32(p + P_SQ_ENTRIES, true);
    const cq = view.getUint32(p + P_CQ_ENTRIES, true);
    const features = view.getUint32(p + P_FEATURES, true);
    if (sq !== req.sqEntries || cq !== req.cqEntries) {
      native.close(fd);
      throw uringError("setup", -EINVAL, `kernel gave ${sq}/${cq} entries for ${req.sqEntries}/${req.cqEntries}`);
    }
    if (mode === "mmap") {
      const res = native.mmapRings(fd, params, base + wasm.regionRings.value, base + wasm.MMAP_CTX_AT.value);
      if (res < 0) {
        native.close(fd);
        throw uringError("setup", res, "mapping the kernel rings");
      }
      wasm.initShadowRing(flags);
    } else {
      wasm.initKernelRing();
    }
    return new RingCore(native, wasm, memory, base, fd, mode, flags, features, sq, cq);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get sqpoll(): boolean {
    return (this.setupFlags & IORING_SETUP_SQPOLL) !== 0;
  }

  /** Set up with IORING_SETUP_R_DISABLED and not enabled yet. */
  get disabled(): boolean {
    return this.#disabled;
  }

  /** IORING_REGISTER_ENABLE_RINGS: 0 or -errno. On a SINGLE_ISSUER ring the calling thread becomes the submitter. */
  enable(): number {
    const res = this.native.register(this.fd, IORING_REGISTER_ENABLE_RINGS, 0, 0);
    if (res >= 0) this.#disabled = false;
    return res;
  }

  /** The registered ring index io_uring_enter uses, or -1 (the ring fd). */
  get registeredIndex(): number {
    return this.#ringIndex;
  }

  /**
   * IORING_REGISTER_RING_FDS (5.18+): registers the ring fd in this
   * thread's table (16 slots per thread) and enters by that index from now
   * on, saving the kernel an fget/fput per io_uring_enter. Returns the
   * index, or -errno (EBUSY: the thread's table is full) leaving the ring
   * on its fd.
   */
  registerRing(): number {
    // struct io_uring_rsrc_update { u32 offset; u32 resv; u64 data; }: offset -1 = any free slot.
    const up = new DataView(new ArrayBuffer(16));
    up.setUint32(0, 0xffff_ffff, true);
    up.setBigUint64(8, BigInt(this.fd), true);
    const res = this.native.register(this.fd, IORING_REGISTER_RING_FDS, this.native.addressOf(up), 1);
    if (res < 0) return res;
    if (res !== 1) return -EINVAL;
    const index = up.getUint32(0, true);
    if (this.mode === "mmap") {
      const set = this.native.mmapSetEnterFd(this.base + this.wasm.MMAP_CTX_AT.value, index, IORING_ENTER_REGISTERED_RING);
      if (set < 0) {
        this.#unregisterRing(index);
        return set;
      }
    }
    this.#ringIndex = index;
    this.#enterFd = index;
    this.#enterFlags = IORING_ENTER_REGISTERED_RING;
    return index;
  }

  #unregisterRing(index: number): void {
    const up = new DataView(new ArrayBuffer(16));
    up.setUint32(0, index, true);
    this.native.register(this.fd, IORING_UNREGISTER_RING_FDS, this.native.addressOf(up), 1);
  }

  /**
   * Publishes queued SQEs and enters the kernel when there is something to
   * do: SQEs to submit, completions to wait for, or overflowed CQEs to
   * flush. Returns the kernel's result (SQEs consumed, or -errno).
   */
  submit(minComplete = 0, extraFlags = 0, timeoutNs = -1): number {
    const w = this.wasm;
    if (this.mode === "mmap") {
      if (w.flushSq() > 0 || minComplete > 0 || extraFlags !== 0) this.enters++;
      return this.native.mmapEnter(this.base + w.MMAP_CTX_AT.value, minComplete, extraFlags, timeoutNs);
    }
    const toSubmit = w.flushSq();
    let flags = extraFlags;
    if (minComplete > 0) flags |= IORING_ENTER_GETEVENTS;
    const sqFlags = w.sqFlags();
    if (sqFlags & IORING_SQ_CQ_OVERFLOW) flags |= IORING_ENTER_GETEVENTS;
    if (this.sqpoll) {
      // The poller consumes the SQ itself; enter only to wake it or to wait.
      // Like liburing, report the SQEs published as submitted.
      if (toSubmit > 0 && sqFlags & IORING_SQ_NEED_WAKEUP) flags |= IORING_ENTER_SQ_WAKEUP;
      if (flags === 0) return toSubmit;
      this.enters++;
      flags |= this.#enterFlags;
      const res = timeoutNs >= 0
        ? this.native.enterTimeout(this.#enterFd, 0, minComplete, flags, timeoutNs)
        : this.native.enter(this.#enterFd, 0, minComplete, flags);
      return res < 0 ? res : toSubmit;
    } else if (toSubmit === 0 && flags === 0) {
      return 0;
    }
    this.enters++;
    flags |= this.#enterFlags;
    if (timeoutNs >= 0) return this.native.enterTimeout(this.#enterFd, toSubmit, minComplete, flags, timeoutNs);
    return this.native.enter(this.#enterFd, toSubmit, minComplete, flags);
  }

  /**
   * Drains up to max CQEs into `completions` (cqeWords int32 per CQE:
   * user_data lo, user_data hi, res, flags, and on a CQE32 ring big_cqe[0]
   * lo, hi, big_cqe[1] lo, hi), advancing the CQ head once. Flushes
   * overflowed CQEs the kernel is holding when the ring looks empty.
   */
  reap(max: number): number {
    const w = this.wasm;
    if (this.mode === "mmap") this.native.mmapEnter(this.base + w.MMAP_CTX_AT.value, 0, 0, -1);
    let n = w.reap(max);
    if (n === 0 && w.sqFlags() & IORING_SQ_CQ_OVERFLOW) {
      this.submit(0, IORING_ENTER_GETEVENTS);
      n = w.reap(max);
    }
    return n;
  }

  /**
   * Turns eventfd notifications on or off (IORING_CQ_EVENTFD_DISABLED).
   * Returns the CQEs ready right after the change, so a caller enabling
   * them can reap what completed while they were off.
   */
  setEventfdEnabled(enabled: boolean): number {
    const w = this.wasm;
    w.cqEventfdToggle(enabled);
    if (this.mode === "mmap") this.native.mmapEnter(this.base + w.MMAP_CTX_AT.value, 0, 0, -1);
    return w.cqReady();
  }

  get waiterMemory(): number {
    return this.base + this.wasm.WAITER_AT.value;
  }

  /** Releases the ring. The caller has already collected every CQE it cares about. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The thread's table holds a reference to the ring file: without this the
    // ring would outlive close() until the thread exits.
    if (this.#ringIndex >= 0) this.#unregisterRing(this.#ringIndex);
    if (this.mode === "mmap") this.native.munmapRings(this.base + this.wasm.MMAP_CTX_AT.value);
    this.native.close(this.fd);
  }
}
