// Page-aligned native memory (us_buf_alloc): what O_DIRECT needs, and
// memory the garbage collector can never move or reuse while the kernel
// writes into it. BufferPool (registered buffers) builds on this.
import { closedError, uringError } from "./errors.ts";
import { guard, releaseWhenCollected, unguard } from "./leak-guard.ts";
import { getNative, type Native } from "./native.ts";
import { checkBoolean, checkInteger, checkOptions } from "./validate.ts";

const US_BUF_HUGE = 1;
const US_BUF_THP = 2;
const US_BUF_LOCK = 4;

export interface NativeBufferOptions {
  /** 2 MiB pages via MAP_HUGETLB (needs reserved huge pages; fails otherwise). */
  hugePages?: boolean;
  /** Ask for transparent huge pages (madvise MADV_HUGEPAGE). */
  transparentHugePages?: boolean;
  /** mlock the memory (counts against RLIMIT_MEMLOCK). */
  lock?: boolean;
}

/**
 * size bytes of zeroed native memory that the engine hands the kernel for its
 * own requests (staging slots), as one view. It is unmapped once that view's
 * ArrayBuffer is collected, which cannot happen while a request in flight
 * references it. Not an ArrayBuffer of the runtime's heap: a terminated
 * Worker's heap is freed before its thread exits, and until then the kernel
 * still completes the thread's reads, into memory the runtime may have
 * reused (test/exit.test.ts, "Workers terminated"). This memory just stays
 * mapped: termination collects nothing.
 */
export function engineMemory(native: Native, size: number): { bytes: Uint8Array; address: number } {
  const out = new BigUint64Array(1);
  const res = native.bufAlloc(size, 0, native.addressOf(out));
  if (res < 0) throw uringError("bufAlloc", res);
  const address = Number(out[0]);
  const bytes = new Uint8Array(native.bufferAt(address, size));
  releaseWhenCollected(bytes.buffer, () => native.bufFree(address, size));
  return { bytes, address };
}

export class NativeBuffer implements Disposable {
  readonly address: number;
  readonly size: number;
  readonly #native: Native;
  #bytes: Uint8Array | undefined;

  private constructor(native: Native, address: number, size: number) {
    this.#native = native;
    this.address = address;
    this.size = size;
    this.#bytes = new Uint8Array(native.bufferAt(address, size));
    // The target is the ArrayBuffer every view of `bytes` shares: a view in a
    // request still in flight keeps the memory alive after this object is gone.
    guard(this.#bytes.buffer, "NativeBuffer", () => native.bufFree(address, size), this);
  }

  /** Allocates size bytes, page-aligned (2 MiB-aligned with hugePages), zero-filled. */
  static alloc(size: number, options: NativeBufferOptions = {}): NativeBuffer {
    const n = checkInteger("NativeBuffer.alloc", "size", size, 1, Number.MAX_SAFE_INTEGER);
    const o = checkOptions("NativeBuffer.alloc", options);
    // Booleans, not truthiness: { lock: "no" } must not mlock.
    const flag = (name: string, bit: number) =>
      o[name] === undefined ? 0 : checkBoolean("NativeBuffer.alloc", `options.${name}`, o[name]) ? bit : 0;
    const flags = flag("hugePages", US_BUF_HUGE) | flag("transparentHugePages", US_BUF_THP) | flag("lock", US_BUF_LOCK);
    const native = getNative();
    const out = new BigUint64Array(1);
    const res = native.bufAlloc(n, flags, native.addressOf(out));
    if (res < 0) throw uringError("NativeBuffer.alloc", res, o.lock ? "mlock counts against RLIMIT_MEMLOCK (ulimit -l)" : undefined);
    return new NativeBuffer(native, Number(out[0]), n);
  }

  /** A Uint8Array over the memory (no copy). Throws once the buffer is closed. */
  get bytes(): Uint8Array {
    if (!this.#bytes) throw closedError("NativeBuffer.bytes", "buffer");
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#bytes === undefined;
  }

  /**
   * Unmaps the memory. Views obtained from `bytes` are detached first (they
   * read as empty; they never touch unmapped memory). The caller must not
   * close a buffer an in-flight operation uses.
   */
  close(): void {
    if (!this.#bytes) return;
    unguard(this);
    (this.#bytes.buffer as ArrayBuffer).transfer(0);
    this.#bytes = undefined;
    this.#native.bufFree(this.address, this.size);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
