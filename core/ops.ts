// In-flight promise operations: what each SQE was for, the memory the
// kernel may touch until its CQE arrives, and how its result is delivered.
import type { UringWasm } from "./wasm.ts";
import { ECANCELED, EINTR, type ErrorPaths, type UringError, uringError } from "./errors.ts";
import { opcodeInfo } from "./opcodes.ts";

/**
 * One kind of operation: its opcode (checked against the kernel's probe
 * before submission), how it is encoded, and what its promise resolves
 * with. Specs are shared constants; an Op carries the per-call values.
 */
export interface OpSpec {
  /** The Ring method's name, used in errors and by ring.supports(). */
  readonly name: string;
  readonly opcode: number;
  /** Encodes op into sqe (zeroed by getSqe) through liburing-named prep helpers. */
  prep(w: UringWasm, sqe: number, op: Op): void;
  /** The resolved value for a result that is not an error. Default: res. */
  value?(op: Op, res: number, flags: number): unknown;
  /** Negative results that are outcomes, not failures (a timeout's -ETIME). */
  outcome?(res: number): boolean;
  /**
   * Hot path: getSqe + prep + set_data in one WebAssembly call (the
   * enqueue* exports), for ops with no SQE flags. False when the SQ is full.
   */
  enqueue?(w: UringWasm, op: Op, udLo: number, udHi: number): boolean;
  /** The fds an EBADF may be about, for its message (default: the SQE's fd). */
  badFd?(op: Op): string;
  /** The completion arrived (either outcome): memory held for the kernel can be reused (a staging slot). */
  release?(op: Op): void;
}

const EBADF = 9;
const IOSQE_FIXED_FILE = 1;

/** An fd argument as an error names it: "fd 7", or "fd 3 (fixed)" for a file-table slot. */
export function fdDetail(name: string, fd: number, fixed: boolean): string {
  return `${name} ${fd}${fixed ? " (fixed)" : ""}`;
}

/** Receives every CQE of a multishot request (see op-stream.ts). `why`: the ring's reason for a failure, if it knows one (settleOp's). */
export interface CqeSink {
  onCqe(op: Op, res: number, flags: number, closing: boolean, why?: string): void;
}

/** user_data high word: the low 2 bits say who a CQE belongs to. */
export const UD_TAG_MASK = 3;
export const UD_BATCH = 0; // batch API: the caller's 32-bit user data, high word 0
export const UD_PROMISE = 1; // promise API: low word is the op slot, bits 2-31 a sequence number
export const UD_INTERNAL = 2; // the ring's own requests (cancel on close)
export const UD_MESSAGE = 3; // msgRing() from another ring: the low word is the sender's data

export class Op {
  slot = -1;
  /** user_data high word (int32): UD_PROMISE plus a sequence number, so a cancel never hits a reused slot. */
  udHi = UD_PROMISE;
  /** The promise handed to the caller, for cancel(promise) and link(). */
  promise: Promise<unknown> | undefined;
  /** IOSQE_* flags (IO_LINK / IO_HARDLINK inside ring.link()). */
  sqeFlags = 0;
  /** Link chain: the head holds the member count, later members -1, others 0. */
  chain = 0;
  /** Fails before submission (an opcode the kernel lacks, a broken chain). */
  error: UringError | undefined;
  /** Multishot requests deliver every CQE here instead of settling once. */
  sink: CqeSink | undefined;
  /** The CQE being delivered (set by the reap pass, read when settling after it). */
  res = 0;
  cqeFlags = 0;
  constructor(
    readonly spec: OpSpec,
    readonly fd: number,
    /** Host address of the buffer, iovec array, path, timespec … */
    readonly addr: number,
    readonly len: number,
    readonly off: number,
    /** The op's own flags field (rw_flags, open_flags, timeout_flags …). */
    readonly flags: number,
    /** A second address (statx buffer, new path) or a value the spec names. */
    readonly addr2: number,
    /** One more value the spec names (mode, buffer group, target user_data …). */
    readonly arg: number,
    /** Everything the kernel may read or write until completion. */
    readonly refs: unknown,
    readonly resolve: (value: any) => void,
    readonly reject: (reason: unknown) => void,
    /** Appended to the error message (a path). */
    readonly detail?: string,
  ) {}
}

/** Resolves or rejects op with its CQE. `closing`: the ring cancelled it. `why`: the ring's reason for a failure, if it knows one. */
export function settleOp(op: Op, res: number, flags: number, closing: boolean, why?: string): void {
  const spec = op.spec;
  if (res >= 0 || (spec.outcome !== undefined && spec.outcome(res) && !(closing && res === -ECANCELED))) {
    const value = spec.value === undefined ? res : spec.value(op, res, flags);
    if (spec.release !== undefined) spec.release(op);
    op.resolve(value);
    return;
  }
  if (spec.release !== undefined) spec.release(op);
  op.reject(opError(op, res, closing, why));
}

/** The UringError for a failed CQE of op. */
export function opError(op: Op, res: number, closing: boolean, why?: string): UringError {
  // A request interrupted by the ring's own cancellation reports EINTR for
  // some file types; to the caller both mean "cancelled by close()".
  const code = closing && res === -EINTR ? -ECANCELED : res;
  let detail = closing && code === -ECANCELED ? "the ring was closed" : why ?? op.detail;
  const paths = opPaths(op);
  // The kernel does not say which fd was bad: name the request's (error path only).
  if (detail === undefined && paths === undefined && code === -EBADF && op.fd >= 0) {
    detail = op.spec.badFd?.(op) ?? fdDetail("fd", op.fd, (op.sqeFlags & IOSQE_FIXED_FILE) !== 0);
  }
  return uringError(op.spec.name, code, detail, paths);
}

/**
 * A path operation's path arguments as the caller gave them, for its
 * errors' `path` and `dest` (and their message). It rides as the last
 * element of the op's refs (core/ring-fs.ts puts it there).
 */
export class OpPaths implements ErrorPaths {
  constructor(readonly path: string, readonly dest?: string) {}
}

function opPaths(op: Op): OpPaths | undefined {
  const refs = op.refs;
  const last = Array.isArray(refs) ? refs[refs.length - 1] : undefined;
  return last instanceof OpPaths ? last : undefined;
}

/** The IORING_OP_* number of an opcode name ("readvFixed"). */
export function opcodeOf(name: string): number {
  const info = opcodeInfo(name);
  if (info === undefined) throw new Error(`uringshim: no io_uring opcode is named ${name}`);
  return info.opcode;
}

/** Resolves with undefined: ops whose result carries nothing (fsync, close …). */
export function noValue(): undefined {
  return undefined;
}

/** Fixed-capacity table of in-flight ops indexed by slot, with a free-slot stack. */
export class OpTable {
  readonly #ops: (Op | undefined)[];
  readonly #free: Int32Array;
  #top: number;
  inFlight = 0;

  constructor(readonly capacity: number) {
    this.#ops = new Array(capacity).fill(undefined);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#top = capacity;
  }

  /** Free slots. */
  get free(): number {
    return this.#top;
  }

  add(op: Op): number {
    const slot = this.#free[--this.#top];
    this.#ops[slot] = op;
    op.slot = slot;
    this.inFlight++;
    return slot;
  }

  get(slot: number): Op | undefined {
    return this.#ops[slot];
  }

  /** Frees op's slot. */
  take(op: Op): void {
    this.#ops[op.slot] = undefined;
    this.#free[this.#top++] = op.slot;
    this.inFlight--;
  }

  /** The in-flight op whose promise is target (a linear scan: cancel is rare). */
  find(target: unknown): Op | undefined {
    for (const op of this.#ops) if (op !== undefined && op.promise === target) return op;
    return undefined;
  }

  *all(): IterableIterator<Op> {
    for (const op of this.#ops) if (op) yield op;
  }
}
