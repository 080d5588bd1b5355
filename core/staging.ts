// Engine-owned memory for small reads and writes. Taking the address of a
// caller's buffer is cheap once and costly the first time: a new small
// typed array must first be moved out of the garbage-collected heap (Bun) or
// have its backing store looked up and remembered (Deno), which cost more
// than a page-cache read itself (bench: "fresh buffers"). Real code
// allocates a new buffer per read, so a small read goes into a slot of
// memory whose address is known and is copied into the caller's buffer at
// completion; a small write is copied in when its SQE is written. Copying
// 2 KiB costs about what the address lookup of a reused buffer does.
import { engineMemory } from "./native-buffer.ts";
import type { Native } from "./native.ts";

/** Requests of at most this many bytes are staged. */
export const STAGE_MAX = 2048;
/** Slots per chunk: chunks are allocated as the number of small requests in flight grows. */
const CHUNK_SLOTS = 32;

/** A ring's staging slots. At most maxSlots: beyond, requests use the caller's buffer. */
export class Staging {
  readonly #native: Native;
  readonly #maxSlots: number;
  /** Per slot: its chunk (a Uint8Array the slot is part of), its offset there, and its address. */
  readonly #chunks: Uint8Array[] = [];
  readonly #offsets: number[] = [];
  readonly #addresses: number[] = [];
  readonly #free: number[] = [];

  constructor(native: Native, maxSlots: number) {
    this.#native = native;
    this.#maxSlots = maxSlots;
  }

  /** A free slot, or -1 when all maxSlots are in use. */
  take(): number {
    const slot = this.#free.pop();
    if (slot !== undefined) return slot;
    const first = this.#addresses.length;
    if (first >= this.#maxSlots) return -1;
    // Native memory, not an ArrayBuffer of the runtime's heap: a terminated
    // Worker's heap is freed while the kernel may still complete a read into it.
    const { bytes: chunk, address: base } = engineMemory(this.#native, CHUNK_SLOTS * STAGE_MAX);
    const n = Math.min(CHUNK_SLOTS, this.#maxSlots - first);
    for (let i = 0; i < n; i++) {
      this.#chunks.push(chunk);
      this.#offsets.push(i * STAGE_MAX);
      this.#addresses.push(base + i * STAGE_MAX);
    }
    for (let i = n - 1; i > 0; i--) this.#free.push(first + i);
    return first;
  }

  release(slot: number): void {
    this.#free.push(slot);
  }

  address(slot: number): number {
    return this.#addresses[slot];
  }

  /** Copies src into slot. */
  copyIn(slot: number, src: Uint8Array): void {
    this.#chunks[slot].set(src, this.#offsets[slot]);
  }

  /** Copies the first n bytes of slot into dst. */
  copyOut(slot: number, dst: Uint8Array, n: number): void {
    const at = this.#offsets[slot];
    dst.set(this.#chunks[slot].subarray(at, at + n));
  }

  /** Slots allocated so far (in use or free). */
  get allocated(): number {
    return this.#addresses.length;
  }
}

/**
 * One staged request: the caller's buffer, and the slot it holds while the
 * kernel has the request. The slot is taken when the SQE is written and
 * given back when the completion is settled, so a request that never
 * reaches the kernel (cancelled in the queue, a broken chain) holds none.
 */
export class StagedIo {
  slot = -1;

  constructor(readonly staging: Staging, readonly native: Native, readonly bytes: Uint8Array) {}

  /** The address the SQE gets: a slot (for a write, filled from bytes), or bytes' own when none is free. */
  address(write: boolean): number {
    const slot = this.staging.take();
    if (slot < 0) return this.native.addressOf(this.bytes);
    this.slot = slot;
    if (write) this.staging.copyIn(slot, this.bytes);
    return this.staging.address(slot);
  }

  /** A read's completion: its res bytes into the caller's buffer (as many as it still has: it may have been detached meanwhile). */
  copyOut(res: number): void {
    const n = Math.min(res, this.bytes.byteLength);
    if (this.slot >= 0 && n > 0) this.staging.copyOut(this.slot, this.bytes, n);
  }

  /** The completion has arrived: the kernel no longer uses the slot. */
  release(): void {
    if (this.slot < 0) return;
    this.staging.release(this.slot);
    this.slot = -1;
  }
}
