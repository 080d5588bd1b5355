// A provided-buffer ring (IORING_REGISTER_PBUF_RING): buffers the kernel
// picks from for multishot receives. The ring of struct io_uring_buf and the
// buffers live in native memory (BufferPools); the application hands a
// buffer back with release(bufferId) once it is done with the data, and only
// then may the kernel fill it again.
import { BufferPool } from "./buffer-pool.ts";
import { closedError, uringError } from "./errors.ts";
import { checkInteger } from "./validate.ts";

const BUF_BYTES = 16; // struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv (tail in entry 0) }
const TAIL_U16 = 7; // the ring's tail: entry 0's resv, byte 14

/** Registration primitives the ring provides (it owns the io_uring fd). */
export interface BufferRingHost {
  unregister(ring: BufferRing): number;
  /** IORING_REGISTER_PBUF_STATUS: the kernel's head, or -errno. */
  head(ring: BufferRing): number;
}

// The receive stream's hooks into a BufferRing. Module functions, not
// methods: a caller outside core that filled the ring twice or took a
// buffer the kernel had not handed over would let the kernel fill a buffer
// the application still reads. mod.ts exports only the class.
/** Hands every buffer to the kernel (right after registration). */
export let fillBufferRing: (ring: BufferRing) => void;
/**
 * The data of a completion: `length` bytes of buffer bufferId (a view
 * over native memory, valid until release(bufferId)). With incremental
 * consumption the data starts where the buffer's previous completion
 * ended; `more` (IORING_CQE_F_BUF_MORE) says the kernel keeps filling it.
 */
export let takeBuffer: (ring: BufferRing, bufferId: number, length: number, more: boolean) => Uint8Array;
/** A multishot receive found no buffer: re-arm it on the next release (or now, if one is back). */
export let whenBuffers: (ring: BufferRing, rearm: () => void) => void;

export class BufferRing implements Disposable {
  static {
    fillBufferRing = (ring) => ring.#fill();
    takeBuffer = (ring, bufferId, length, more) => ring.#take(bufferId, length, more);
    whenBuffers = (ring, rearm) => ring.#whenBuffers(rearm);
  }

  readonly #host: BufferRingHost;
  /** The ring of struct io_uring_buf (page-aligned, entries × 16 bytes). */
  readonly ringMemory: BufferPool;
  readonly #data: BufferPool;
  readonly #mask: number;
  /** The same entries as u16 halves: bid, and the tail (entry 0's resv). */
  readonly #halves: Uint16Array;
  /** The ring's entries as u32 words (4 per struct io_uring_buf). */
  readonly #words: Uint32Array;
  /** Per buffer: its address as two u32 halves (low, high), computed once: release() allocates no BigInt. */
  readonly #addressWords: Uint32Array;
  #next = 0;
  /** Per buffer: true while the kernel may fill it (added and not yet handed back in a CQE). */
  readonly #kernelOwns: Uint8Array;
  /** Per buffer: its chunks handed out and not released yet (several on an incremental ring). */
  readonly #chunksOut: Uint32Array;
  /** Incremental consumption: where the next completion's data starts in each buffer. */
  readonly #offsets: Uint32Array;
  /** Multishot requests that ran out of buffers, re-armed on the next release(). */
  #starved: (() => void)[] = [];
  #closed = false;

  /** @internal Made by Ring.registerBufferRing(). */
  constructor(
    host: BufferRingHost,
    readonly bgid: number,
    readonly entries: number,
    /** Bytes per buffer. */
    readonly size: number,
    /** IOU_PBUF_RING_INC: a buffer may be filled by several completions (6.12+). */
    readonly incremental: boolean,
    ringMemory: BufferPool,
    data: BufferPool,
  ) {
    this.#host = host;
    this.ringMemory = ringMemory;
    this.#data = data;
    this.#mask = entries - 1;
    const bytes = ringMemory.view(0);
    this.#halves = new Uint16Array(bytes.buffer, bytes.byteOffset, entries * (BUF_BYTES / 2));
    this.#words = new Uint32Array(bytes.buffer, bytes.byteOffset, entries * (BUF_BYTES / 4));
    this.#addressWords = new Uint32Array(2 * entries);
    for (let bid = 0; bid < entries; bid++) {
      const address = data.slotAddress(bid);
      this.#addressWords[2 * bid] = address % 2 ** 32;
      this.#addressWords[2 * bid + 1] = Math.floor(address / 2 ** 32);
    }
    this.#kernelOwns = new Uint8Array(entries);
    this.#chunksOut = new Uint32Array(entries);
    this.#offsets = new Uint32Array(entries);
  }

  #fill(): void {
    for (let bid = 0; bid < this.entries; bid++) this.#add(bid);
    this.#publish();
  }

  #add(bid: number): void {
    // Little-endian words (io_uring hosts are): addr lo, addr hi, len, then bid
    // in the low half of the last word. Its high half is resv, the ring's
    // tail in entry 0: written only by #publish, so a u16 store for bid.
    const w = (this.#next++ & this.#mask) * (BUF_BYTES / 4);
    const words = this.#words;
    words[w] = this.#addressWords[2 * bid];
    words[w + 1] = this.#addressWords[2 * bid + 1];
    words[w + 2] = this.size;
    this.#halves[2 * w + 6] = bid;
    this.#kernelOwns[bid] = 1;
    this.#offsets[bid] = 0;
  }

  #publish(): void {
    // A store-release of the tail: the entries above are visible before it.
    Atomics.store(this.#halves, TAIL_U16, this.#next & 0xffff);
  }

  #take(bufferId: number, length: number, more: boolean): Uint8Array {
    const offset = this.incremental ? this.#offsets[bufferId] : 0;
    if (more) this.#offsets[bufferId] = offset + length;
    else this.#kernelOwns[bufferId] = 0;
    this.#chunksOut[bufferId]++;
    return this.#data.view(bufferId, offset, length);
  }

  /**
   * Releases one chunk of buffer bufferId: call it once per chunk received.
   * The buffer goes back to the kernel when it has no chunk out any more
   * and the kernel is done filling it (on an incremental ring, after the
   * chunk without `more`): chunks of several receives can share a buffer
   * there. A released chunk's view must not be used after this.
   * RangeError for a buffer with no chunk out (never handed out, or
   * released already).
   */
  release(bufferId: number): void {
    if (this.#closed) throw closedError("BufferRing.release", "buffer ring");
    const bid = checkInteger("BufferRing.release", "bufferId", bufferId, 0, this.entries - 1);
    if (this.#chunksOut[bid] === 0) throw new RangeError(`BufferRing.release(): buffer ${bid} is the kernel's (released already, or never handed out)`);
    if (--this.#chunksOut[bid] > 0 || this.#kernelOwns[bid]) return;
    this.#add(bid);
    this.#publish();
    const starved = this.#starved;
    if (starved.length > 0) {
      this.#starved = [];
      for (const rearm of starved) rearm();
    }
  }

  /** Buffers the kernel can still fill right now (IORING_REGISTER_PBUF_STATUS, 6.8+). */
  get available(): number {
    if (this.#closed) throw closedError("BufferRing.available", "buffer ring");
    const head = this.#host.head(this);
    if (head < 0) throw uringError("BufferRing.available", head);
    return (this.#next - head) & 0xffff;
  }

  #whenBuffers(rearm: () => void): void {
    const head = this.#host.head(this);
    if (head >= 0 && head !== (this.#next & 0xffff)) rearm();
    else this.#starved.push(rearm);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Unregisters the ring and frees its memory. Requests still selecting
   * from it fail (ENOBUFS); close the streams using it first.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#starved = [];
    this.#host.unregister(this);
    this.ringMemory.close();
    this.#data.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
