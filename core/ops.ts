// In-flight promise operations: what each SQE was for, the buffers the
// kernel may touch until its CQE arrives, and how its result is delivered.
import type { UringWasm } from "./wasm.ts";
import { IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY } from "./constants.ts";
import { ECANCELED, EINTR, ETIME, uringError } from "./errors.ts";
import { Statx } from "./statx.ts";

export const OpKind = {
  Nop: 0,
  Read: 1,
  Write: 2,
  Readv: 3,
  Writev: 4,
  Fsync: 5,
  Openat: 6,
  Close: 7,
  Statx: 8,
  Timeout: 9,
  CancelOp: 10,
  CancelFd: 11,
  CancelAll: 12,
} as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/** user_data high word: who a CQE belongs to. */
export const UD_BATCH = 0; // batch API: the caller's 32-bit user data
export const UD_PROMISE = 1; // promise API: low word is the op slot
export const UD_INTERNAL = 2; // the ring's own requests (cancel on close)

export class Op {
  slot = -1;
  /** The promise handed to the caller, for cancel(promise). */
  promise: Promise<unknown> | undefined;
  constructor(
    readonly kind: OpKind,
    readonly name: string,
    readonly fd: number,
    /** Host address of the buffer, iovec array, path or timespec. */
    readonly addr: number,
    readonly len: number,
    readonly off: number,
    readonly flags: number,
    /** A second address (statx buffer) or a target slot (cancel). */
    readonly extra: number,
    /** Everything the kernel may read or write until completion. */
    readonly refs: unknown,
    readonly resolve: (value: any) => void,
    readonly reject: (reason: unknown) => void,
    /** Appended to the error message (a path). */
    readonly detail?: string,
  ) {}
}

/** Encodes op into sqe (zeroed by getSqe) through the liburing-named prep helpers. */
export function prepOp(w: UringWasm, sqe: number, op: Op): void {
  switch (op.kind) {
    case OpKind.Nop: w.prepNop(sqe); break;
    case OpKind.Read: w.prepRead(sqe, op.fd, op.addr, op.len, op.off); break;
    case OpKind.Write: w.prepWrite(sqe, op.fd, op.addr, op.len, op.off); break;
    case OpKind.Readv: w.prepReadv2(sqe, op.fd, op.addr, op.len, op.off, op.flags); break;
    case OpKind.Writev: w.prepWritev2(sqe, op.fd, op.addr, op.len, op.off, op.flags); break;
    case OpKind.Fsync: w.prepFsync(sqe, op.fd, op.flags); break;
    case OpKind.Openat: w.prepOpenat(sqe, op.fd, op.addr, op.flags, op.len); break;
    case OpKind.Close: w.prepClose(sqe, op.fd); break;
    case OpKind.Statx: w.prepStatx(sqe, op.fd, op.addr, op.flags, op.len, op.extra); break;
    case OpKind.Timeout: w.prepTimeout(sqe, op.addr, 0, op.flags); break;
    case OpKind.CancelOp: w.prepCancel64(sqe, op.extra, UD_PROMISE, 0); break;
    case OpKind.CancelFd: w.prepCancelFd(sqe, op.fd, IORING_ASYNC_CANCEL_ALL); break;
    case OpKind.CancelAll: w.prepCancel64(sqe, 0, 0, IORING_ASYNC_CANCEL_ANY); break;
  }
}

/** Resolves or rejects op with its CQE result. `closing`: the ring cancelled it. */
export function settleOp(op: Op, res: number, closing: boolean): void {
  if (res < 0) {
    if (op.kind === OpKind.Timeout && res === -ETIME) {
      op.resolve(undefined);
      return;
    }
    // A request interrupted by the ring's own cancellation reports EINTR
    // for some file types; to the caller both mean "cancelled by close()".
    const code = closing && res === -EINTR ? -ECANCELED : res;
    op.reject(uringError(op.name, code, closing && code === -ECANCELED ? "the ring was closed" : op.detail));
    return;
  }
  switch (op.kind) {
    case OpKind.Nop:
    case OpKind.Fsync:
    case OpKind.Close:
    case OpKind.Timeout:
      op.resolve(undefined);
      break;
    case OpKind.Statx:
      op.resolve(new Statx((op.refs as [Uint8Array, Uint8Array])[1]));
      break;
    default:
      op.resolve(res);
  }
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

  get hasRoom(): boolean {
    return this.#top > 0;
  }

  add(op: Op): number {
    const slot = this.#free[--this.#top];
    this.#ops[slot] = op;
    op.slot = slot;
    this.inFlight++;
    return slot;
  }

  /** Removes and returns the op in slot (undefined for a stale slot). */
  take(slot: number): Op | undefined {
    const op = this.#ops[slot];
    if (op === undefined) return undefined;
    this.#ops[slot] = undefined;
    this.#free[this.#top++] = slot;
    this.inFlight--;
    return op;
  }

  /** Releases a slot whose SQE never reached the kernel. */
  release(op: Op): void {
    this.take(op.slot);
  }

  /** The in-flight op whose promise is target (a linear scan: cancel is rare). */
  find(target: Promise<unknown>): Op | undefined {
    for (const op of this.#ops) if (op !== undefined && op.promise === target) return op;
    return undefined;
  }

  *all(): IterableIterator<Op> {
    for (const op of this.#ops) if (op) yield op;
  }
}
