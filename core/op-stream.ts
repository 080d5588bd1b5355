// A multishot request as an async iterator: every CQE the kernel posts with
// IORING_CQE_F_MORE is one item; the first CQE without it ends the
// iteration. Leaving a for-await loop early (break, throw) cancels the
// request and waits for its final CQE, so nothing the kernel may still
// write is released before the kernel is done with it. listen() is the
// push mode a server's callbacks use: each item goes to a callback as its
// CQE is reaped, with no promise per item.
import { IORING_CQE_F_MORE } from "./cqe.ts";
import { ECANCELED, type UringError } from "./errors.ts";
import { type CqeSink, type Op, opError } from "./ops.ts";

const CANCEL_RETRY_MS = 1;

function noop(): void {}

/** An item hook's answer for a CQE that yields nothing (end of file). */
export const SKIP: unique symbol = Symbol("skip");

export interface StreamHooks<T> {
  /** Turns a CQE into the item handed to the consumer, when the consumer takes it. */
  item(res: number, flags: number): T | typeof SKIP;
  /** The final CQE failed with res: return true to keep the stream open (the hook re-arms it). */
  restart?(res: number): boolean;
  /** Asks the kernel to stop op; settles when the kernel has answered. */
  cancel(op: Op): Promise<unknown>;
  /** A CQE the consumer never took (the loop was left): give back what it holds (a buffer). */
  discard?(res: number, flags: number): void;
  /** The stream ended (after the request's final CQE); settles once its cleanup is done. */
  ended?(): Promise<unknown> | void;
}

export class MultishotStream<T> implements CqeSink, AsyncIterableIterator<T> {
  /** The request currently armed (a restart replaces it). */
  op: Op | undefined;
  /** Pending CQEs as (res, flags) pairs, converted when taken. */
  #cqes: number[] = [];
  #head = 0;
  #failure: UringError | undefined;
  #ended = false;
  #stopping = false;
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #waitingReject: ((e: unknown) => void) | undefined;
  #endWaiters: (() => void)[] = [];
  /** Settles once the final CQE has arrived and the hooks' cleanup is done. */
  #cleanedUp: Promise<unknown> = Promise.resolve();
  /** Push mode (listen()): where items and the end go instead of next(). */
  #onItem: ((value: T) => void) | undefined;
  #onEnd: ((error: UringError | undefined) => void) | undefined;

  constructor(readonly hooks: StreamHooks<T>) {}

  /** CQEs received and not yet taken by the consumer. */
  get queued(): number {
    return (this.#cqes.length - this.#head) / 2;
  }

  /** True once the request's final CQE arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  onCqe(op: Op, res: number, flags: number, closing: boolean, why?: string): void {
    const more = (flags & IORING_CQE_F_MORE) !== 0;
    const spec = op.spec;
    if (res >= 0 || (spec.outcome !== undefined && spec.outcome(res))) {
      // Ended already: a CQE of this reap pass after a callback closed the ring (which ended the stream).
      if (this.#stopping || this.#ended) this.hooks.discard?.(res, flags); // nobody will take it
      else if (this.#onItem !== undefined && this.#head === this.#cqes.length) {
        // Push mode with nothing queued: straight to the listener.
        const value = this.hooks.item(res, flags);
        if (value !== SKIP) this.#onItem(value);
      } else this.#cqes.push(res, flags);
    } else if (!more) {
      if (this.#stopping && res === -ECANCELED) {
        // break/return(): the cancel we asked for.
      } else if (!closing && !this.#stopping && this.hooks.restart?.(res)) {
        return;
      } else {
        this.#failure = opError(op, res, closing, why);
      }
    }
    if (!more) this.#finish();
    this.#pump();
  }

  /** A request the hooks re-armed after restart() returned true. */
  rearmed(op: Op): void {
    this.op = op;
  }

  /** The stream cannot continue (a re-arm failed before submission). */
  fail(error: UringError): void {
    if (this.#ended) return;
    this.#failure = error;
    this.#finish();
    this.#pump();
  }

  #finish(): void {
    this.#ended = true;
    const cleanup = this.hooks.ended?.();
    if (cleanup !== undefined) this.#cleanedUp = cleanup.then(noop, noop);
    for (const resolve of this.#endWaiters.splice(0)) resolve();
  }

  #pump(): void {
    if (this.#onItem !== undefined) return this.#push();
    const resolve = this.#waiting;
    if (resolve === undefined) return;
    // The common case, an item for a waiting next(), settles it directly.
    const value = this.#shift();
    if (value === SKIP && this.#failure === undefined && !this.#ended && !this.#stopping) return; // still waiting
    const reject = this.#waitingReject!;
    this.#waiting = this.#waitingReject = undefined;
    if (value !== SKIP) resolve({ value, done: false });
    else this.next().then(resolve, reject);
  }

  /** The next queued item, or SKIP when none is queued. */
  #shift(): T | typeof SKIP {
    while (this.#head < this.#cqes.length) {
      const res = this.#cqes[this.#head];
      const flags = this.#cqes[this.#head + 1];
      this.#head += 2;
      if (this.#head === this.#cqes.length) {
        this.#cqes.length = 0;
        this.#head = 0;
      }
      const value = this.hooks.item(res, flags);
      if (value !== SKIP) return value;
    }
    return SKIP;
  }

  /**
   * Push mode, instead of next(): from now on every item goes to onItem as
   * its CQE is reaped, inside the reap pass, and the end to onEnd, once:
   * with undefined after the final CQE (or return()), or with the failure.
   * return() still stops the request.
   */
  listen(onItem: (value: T) => void, onEnd: (error: UringError | undefined) => void): void {
    if (this.#onItem !== undefined || this.#waiting !== undefined) throw new TypeError("listen(): the stream already has a consumer");
    this.#onItem = onItem;
    this.#onEnd = onEnd;
    this.#push();
  }

  #push(): void {
    const onItem = this.#onItem!;
    while (!this.#stopping) {
      const value = this.#shift();
      if (value === SKIP) break;
      onItem(value);
    }
    // The end comes with the final CQE (after return() too, which waits for it).
    if (!this.#ended) return;
    const onEnd = this.#onEnd;
    if (onEnd === undefined) return;
    this.#onEnd = undefined;
    const failure = this.#failure;
    this.#failure = undefined;
    void this.#cleanedUp.then(() => onEnd(failure));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#onItem !== undefined) return Promise.reject(new TypeError("next(): the stream delivers to its listener"));
    const value = this.#shift();
    if (value !== SKIP) return Promise.resolve({ value, done: false });
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      this.#stopping = true;
      return Promise.reject(failure);
    }
    // Done: after the request's cleanup, so nothing of it is still in flight.
    if (this.#ended || this.#stopping) return this.#cleanedUp.then(() => ({ value: undefined, done: true }));
    if (this.#waiting !== undefined) return Promise.reject(new TypeError("next() called again before the previous next() settled"));
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#waitingReject = reject;
    });
  }

  /** Stops the request (for-await calls this on break) and resolves after its final CQE. */
  async return(): Promise<IteratorResult<T>> {
    this.#discardPending();
    let cancelled: Promise<unknown> | undefined;
    if (!this.#ended) {
      if (!this.#stopping) {
        this.#stopping = true;
        if (this.op !== undefined) cancelled = this.#cancelUntilEnded();
      }
      await new Promise<void>((resolve) => this.#endWaiters.push(resolve));
    }
    this.#stopping = true;
    this.#discardPending(); // CQEs that arrived while the cancel was in flight
    await cancelled;
    await this.#cleanedUp;
    this.#pump();
    return { value: undefined, done: true };
  }

  /**
   * Cancels the request until its final CQE is on its way. A multishot
   * request between two CQEs can be off the kernel's lists (a multishot
   * timer from firing until its task work re-arms it, which SQPOLL under
   * load delays): the cancel then finds nothing (ENOENT) or a firing timer
   * (EALREADY), and asked once the request would run on, return() waiting
   * for it forever.
   */
  async #cancelUntilEnded(): Promise<void> {
    while (!this.#ended && this.op !== undefined) {
      try {
        await this.hooks.cancel(this.op);
        return; // found: its final CQE follows
      } catch (e) {
        const code = (e as UringError).code;
        if (code !== "ENOENT" && code !== "EALREADY") return;
      }
      await new Promise((resolve) => setTimeout(resolve, CANCEL_RETRY_MS));
    }
  }

  #discardPending(): void {
    const discard = this.hooks.discard;
    if (discard !== undefined) {
      for (let i = this.#head; i < this.#cqes.length; i += 2) discard(this.#cqes[i], this.#cqes[i + 1]);
    }
    this.#cqes = [];
    this.#head = 0;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
