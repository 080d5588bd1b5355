// Registered buffers and files: the ring's fixed-buffer table
// (IORING_REGISTER_BUFFERS2 / BUFFERS_UPDATE, with tags) and fixed-file
// table (FILES2 / FILES_UPDATE2 / FILE_ALLOC_RANGE). Every registered
// buffer carries a tag: the kernel posts it once no request uses the buffer
// any more, and only then does the ring let go of the memory. Releasing a
// BufferPool (pool.close()) waits for exactly that.
import { BufferPool, type SharedPoolDescriptor } from "./buffer-pool.ts";
import { COMPAT_FEATURES, type CompatReasons, type RingCompat } from "./compat.ts";
import { dmabufRegistration } from "./dmabuf.ts";
import { encodeRegbufDesc, encodeRsrcUpdate2, IO_REGBUF_TYPE_DMABUF, IORING_RSRC_UPDATE_EXTENDED } from "./dmabuf-probe.ts";
import { IORING_SETUP_SINGLE_ISSUER } from "./constants.ts";
import { EFAULT, ENOMEM, uringError } from "./errors.ts";
import { FixedFile } from "./fixed-file.ts";
import { memlockHint } from "./memlock.ts";
import { UD_INTERNAL } from "./ops.ts";
import { RingBase } from "./ring-base.ts";
import { checkBoolean, checkFd, checkInteger, checkOptions } from "./validate.ts";

const IORING_UNREGISTER_BUFFERS = 1;
const IORING_UNREGISTER_FILES = 3;
const IORING_REGISTER_FILES2 = 13;
const IORING_REGISTER_FILES_UPDATE2 = 14;
const IORING_REGISTER_BUFFERS2 = 15;
const IORING_REGISTER_BUFFERS_UPDATE = 16;
const IORING_REGISTER_FILE_ALLOC_RANGE = 25;
const IORING_REGISTER_CLONE_BUFFERS = 30;
const IORING_RSRC_REGISTER_SPARSE = 1;
const IORING_REGISTER_DST_REPLACE = 1 << 1;
// The kernel's limits (io_uring/rsrc.h): table sizes and one buffer's size.
const MAX_REG_BUFFERS = 1 << 14;
const MAX_FIXED_FILES = 1 << 20;
const MAX_BUFFER_BYTES = 1 << 30;
/** user_data high word of a buffer tag CQE: UD_INTERNAL plus resource kind 1. */
const UD_BUFFER_TAG = (1 << 2) | UD_INTERNAL;
const RELEASE_DEADLINE_MS = 10_000;

/** What one fixed-buffer table slot holds: a whole pool, or one caller buffer. */
interface BufferEntry {
  readonly source: BufferPool | Uint8Array;
  /** 0 for a cloned slot: the kernel gives clones no tag. */
  readonly tag: number;
  /** A dma-buf registered for one target file (mapBuffers): addressed by offset, found per file. */
  readonly target?: number;
}

/** What mapBuffers() did for one file. */
export interface MapReport {
  file: number | FixedFile;
  /** "premapped": the kernel mapped the buffer for this file's device; "fixed": an ordinary registered buffer. */
  mode: "premapped" | "fixed";
  reason: string;
}

/** A ring's buffer table described for another thread: cloneBuffersFrom() there attaches the pools. */
export interface SharedBufferTable {
  /** The source ring's fd; it must stay open while the clone is made. */
  readonly ringFd: number;
  /** Per table slot: the pool's share() descriptor, or null (empty, or a caller buffer). */
  readonly buffers: (SharedPoolDescriptor | null)[];
}

/** A registration source: a pool (one slot), caller buffers (one slot each), or empty slots. */
export type BufferSource = BufferPool | ArrayBufferView[] | { sparse: number };

function isPool(x: unknown): x is BufferPool {
  return typeof x === "object" && x !== null && "slotAddress" in x && "stride" in x;
}

export class RingRegistered extends RingBase {
  /** The fixed-buffer table, undefined when none is registered. */
  #buffers: (BufferEntry | undefined)[] | undefined;
  /** Entries the kernel may still use: kept until their tag CQE. */
  readonly #retired = new Map<number, BufferEntry>();
  #nextTag = 1;
  /** The fixed-file table's size, undefined when none is registered. */
  #files: number | undefined;
  #compat: RingCompat = Object.freeze(Object.fromEntries(COMPAT_FEATURES.map((f) => [f, true]))) as RingCompat;
  #compatReasons: CompatReasons = Object.freeze({});

  /** Ring.open records what the ring ended up using, once: per feature why not, or undefined (used). */
  protected initCompat(why: CompatReasons): void {
    this.#compat = Object.freeze(Object.fromEntries(COMPAT_FEATURES.map((f) => [f, why[f] === undefined]))) as RingCompat;
    this.#compatReasons = Object.freeze(Object.fromEntries(COMPAT_FEATURES.flatMap((f) => (why[f] === undefined ? [] : [[f, why[f]]]))));
  }

  /**
   * The kernel features this ring uses (true) or goes without (false: it
   * takes the fallback, see Ring.open's options.compat).
   */
  get compat(): RingCompat {
    return this.#compat;
  }

  /** For each feature this ring goes without, why: the kernel lacks it, options.compat, URINGSHIM_COMPAT, … */
  get compatReasons(): CompatReasons {
    return this.#compatReasons;
  }

  // ---- fixed buffers ------------------------------------------------------

  /**
   * Registers a fixed-buffer table (IORING_REGISTER_BUFFERS2): a BufferPool
   * (one slot holding the whole pool; readFixed addresses its buffers by
   * index), caller buffers (one slot each; they must not move: ArrayBuffer
   * or NativeBuffer memory), or { sparse: n } empty slots for
   * updateBuffers(). The memory is pinned: ENOMEM says how much against
   * RLIMIT_MEMLOCK.
   */
  registerBuffers(source: BufferSource): void {
    this.check("registerBuffers");
    if (this.#buffers !== undefined) {
      throw new TypeError("registerBuffers(): this ring already has a buffer table; updateBuffers() or unregisterBuffers() first");
    }
    const { entries, iovecs, tags, nr, sparse } = this.#encode("registerBuffers", source, MAX_REG_BUFFERS);
    // struct io_uring_rsrc_register { u32 nr; u32 flags; u64 resv2; u64 data; u64 tags; }
    const reg = new DataView(new ArrayBuffer(32));
    reg.setUint32(0, nr, true);
    reg.setUint32(4, sparse ? IORING_RSRC_REGISTER_SPARSE : 0, true);
    if (!sparse) {
      reg.setBigUint64(16, BigInt(this.native.addressOf(iovecs)), true);
      reg.setBigUint64(24, BigInt(this.native.addressOf(tags)), true);
    }
    const res = this.native.register(this.fd, IORING_REGISTER_BUFFERS2, this.native.addressOf(reg), 32);
    if (res < 0) throw this.#registerError("registerBuffers", res, entries);
    this.#buffers = sparse ? new Array(nr).fill(undefined) : entries;
    this.#hold(entries);
  }

  /**
   * Replaces table slots from offset (IORING_REGISTER_BUFFERS_UPDATE) with a
   * pool, caller buffers, or { sparse: n } to empty n slots. What a slot held
   * stays referenced until the kernel's tag says no request uses it.
   */
  updateBuffers(offset: number, source: BufferSource): void {
    this.check("updateBuffers");
    const table = this.#buffers;
    if (table === undefined) throw new TypeError("updateBuffers(): no buffer table; registerBuffers() first");
    const at = checkInteger("updateBuffers", "offset", offset, 0, table.length - 1);
    const { entries, iovecs, tags, nr } = this.#encode("updateBuffers", source, table.length - at, true);
    // struct io_uring_rsrc_update2 { u32 offset; u32 resv; u64 data; u64 tags; u32 nr; u32 resv2; }
    const up = new DataView(new ArrayBuffer(32));
    up.setUint32(0, at, true);
    up.setBigUint64(8, BigInt(this.native.addressOf(iovecs)), true);
    up.setBigUint64(16, BigInt(this.native.addressOf(tags)), true);
    up.setUint32(24, nr, true);
    const res = this.native.register(this.fd, IORING_REGISTER_BUFFERS_UPDATE, this.native.addressOf(up), 32);
    if (res < 0) throw this.#registerError("updateBuffers", res, entries);
    for (let i = 0; i < nr; i++) {
      this.#retire(table[at + i]);
      table[at + i] = entries[i];
    }
    this.#hold(entries);
  }

  /** Unregisters the buffer table. Requests in flight keep their buffers until they complete. */
  unregisterBuffers(): void {
    this.check("unregisterBuffers");
    const table = this.#buffers;
    if (table === undefined) return;
    const res = this.native.register(this.fd, IORING_UNREGISTER_BUFFERS, 0, 0);
    if (res < 0) throw uringError("unregisterBuffers", res);
    this.#buffers = undefined;
    for (const entry of table) this.#retire(entry);
  }

  /** Slots of the fixed-buffer table (0 without one). */
  get bufferTableSize(): number {
    return this.#buffers?.length ?? 0;
  }

  /**
   * The DMA pre-map step: makes pool usable by readFixed/writeFixed on each
   * of files, pre-mapped for the file's device where the kernel can do
   * that (a dma-buf pool, IORING_RSRC_UPDATE_EXTENDED with a DMABUF
   * descriptor, the 2026 io_uring dmabuf series), and otherwise as the
   * ordinary fixed buffer it registers (or finds) for the pool. The code
   * that submits I/O is the same either way; the report says per file which
   * it got and why.
   */
  mapBuffers(pool: BufferPool, options: { files: (number | FixedFile)[] }): MapReport[] {
    this.check("mapBuffers");
    if (!(pool instanceof BufferPool)) throw new TypeError("mapBuffers(): pool must be a BufferPool");
    if (pool.closed) throw new TypeError("mapBuffers(): the pool is closed");
    const o = checkOptions("mapBuffers", options);
    if (!Array.isArray(o.files) || o.files.length === 0) throw new TypeError("mapBuffers(): options.files must be a non-empty array of fds or FixedFiles");
    const files = o.files.map((f, i) => this.fileArg("mapBuffers", f, `options.files[${i}]`));
    // The fallback every file can use: the pool as an ordinary fixed buffer.
    if (this.bufferSlotOf(pool) < 0) {
      const free = this.#buffers?.indexOf(undefined) ?? -1;
      if (this.#buffers === undefined) this.registerBuffers(pool);
      else if (free >= 0) this.updateBuffers(free, pool);
      else throw new RangeError("mapBuffers(): the buffer table has no free slot for the pool (registerBuffers({ sparse: n }) a larger one)");
    }
    const kernel = dmabufRegistration(this.native, this.fd);
    return files.map((file): MapReport => {
      if (!kernel.supported) return { file, mode: "fixed", reason: kernel.reason };
      if (pool.dmabufFd === undefined) {
        return { file, mode: "fixed", reason: "the pool is ordinary memory: the kernel pre-maps dma-bufs only (BufferPool.fromDmabuf)" };
      }
      if (typeof file !== "number") return { file, mode: "fixed", reason: "a FixedFile has no fd to name as the DMA target" };
      const res = this.#premap(pool, pool.dmabufFd, file);
      return res < 0
        ? { file, mode: "fixed", reason: `the kernel would not pre-map the dma-buf for this file: ${uringError("mapBuffers", res).code}` }
        : { file, mode: "premapped", reason: `dma-buf ${pool.dmabufFd} registered for fd ${file} in buffer-table slot ${res}` };
    });
  }

  /** Registers a dma-buf for one target file into a free slot; the slot or -errno. Unexercised: no kernel has it yet. */
  #premap(pool: BufferPool, dmabufFd: number, target: number): number {
    const table = this.#buffers!;
    const slot = table.indexOf(undefined);
    if (slot < 0) return -28; // ENOSPC: no free slot
    const desc = encodeRegbufDesc({ type: IO_REGBUF_TYPE_DMABUF, dmabufFd, targetFd: target });
    const tag = this.#nextTag++;
    const tags = new BigUint64Array([(BigInt(UD_BUFFER_TAG) << 32n) | BigInt(tag)]);
    const up = encodeRsrcUpdate2({
      offset: slot, flags: IORING_RSRC_UPDATE_EXTENDED, data: this.native.addressOf(desc), tags: this.native.addressOf(tags), nr: 1,
    });
    const res = this.native.register(this.fd, IORING_REGISTER_BUFFERS_UPDATE, this.native.addressOf(up), up.byteLength);
    if (res < 0) return res;
    table[slot] = { source: pool, tag, target };
    pool.addHolder(this);
    return slot;
  }

  /**
   * The table slot readFixed uses for pool on file, and the base its
   * addresses are relative to: a dma-buf registered for that file has no
   * user address (offsets from 0); an ordinary fixed buffer uses host
   * addresses. slot -1: not registered.
   */
  protected fixedTarget(pool: BufferPool, file: number | FixedFile): { slot: number; base: number } {
    const table = this.#buffers;
    if (table !== undefined && typeof file === "number") {
      for (let i = 0; i < table.length; i++) if (table[i]?.source === pool && table[i]?.target === file) return { slot: i, base: pool.address };
    }
    return { slot: this.bufferSlotOf(pool), base: 0 };
  }

  /** What table slot `slot` holds: a pool (attached, for a table cloned from another Worker), a buffer, or undefined. */
  registeredBuffer(slot: number): BufferPool | Uint8Array | undefined {
    this.check("registeredBuffer");
    const table = this.#buffers;
    if (table === undefined) return undefined;
    return table[checkInteger("registeredBuffer", "slot", slot, 0, table.length - 1)]?.source;
  }

  /** The table slot holding source (a pool or a registered buffer), or -1. */
  bufferSlotOf(source: BufferPool | ArrayBufferView): number {
    this.check("bufferSlotOf");
    if (!(source instanceof BufferPool) && !ArrayBuffer.isView(source)) {
      throw new TypeError("bufferSlotOf(): source must be a BufferPool or a typed array/DataView");
    }
    const table = this.#buffers;
    if (table === undefined) return -1;
    for (let i = 0; i < table.length; i++) {
      if (table[i]?.target !== undefined) continue;
      const s = table[i]?.source;
      if (s === source || (s instanceof Uint8Array && ArrayBuffer.isView(source) && sameBytes(s, source))) return i;
    }
    return -1;
  }

  /**
   * pool.close() calls this (the ring is one of its holders): empty every
   * slot that holds pool, cancel requests using it, and block until the
   * kernel's tags say nothing uses it any more.
   */
  releasePool(pool: BufferPool): void {
    if (this.closed) return;
    const table = this.#buffers;
    if (table !== undefined) {
      for (let i = 0; i < table.length; i++) if (table[i]?.source === pool) this.updateBuffers(i, { sparse: 1 });
    }
    const uses = (op: { refs: unknown }) => refersTo(op.refs, pool);
    // Tagged slots: the kernel's tag says when it is done. Cloned (untagged)
    // slots: done when the requests that use them are.
    const busy = () => [...this.#retired.values()].some((e) => e.source === pool) || this.inFlightMatching(uses);
    // Users still queued in JS reject now (even with none in the kernel); those in flight are cancelled.
    this.cancelMatching(uses);
    if (!busy()) return;
    if (!this.waitUntil(() => !busy(), RELEASE_DEADLINE_MS)) {
      throw uringError("BufferPool.close", -16 /* EBUSY */, "the kernel still uses the pool after 10 s; it stays mapped");
    }
  }

  protected override onResourceCqe(lo: number, hi: number, _res: number): void {
    if (hi !== UD_BUFFER_TAG) return;
    const entry = this.#retired.get(lo);
    if (entry === undefined) return;
    this.#retired.delete(lo);
    if (isPool(entry.source) && !this.#stillHolds(entry.source)) entry.source.removeHolder(this);
  }

  #stillHolds(pool: BufferPool): boolean {
    if (this.#buffers?.some((e) => e?.source === pool)) return true;
    for (const e of this.#retired.values()) if (e.source === pool) return true;
    return false;
  }

  #hold(entries: (BufferEntry | undefined)[]): void {
    for (const e of entries) if (e !== undefined && isPool(e.source)) e.source.addHolder(this);
  }

  #retire(entry: BufferEntry | undefined): void {
    if (entry === undefined) return;
    if (entry.tag !== 0) this.#retired.set(entry.tag, entry);
    else if (isPool(entry.source) && !this.#stillHolds(entry.source)) entry.source.removeHolder(this);
  }

  /**
   * This ring's buffer table, for a ring in another Worker of this process:
   * post it there and call cloneBuffersFrom() with it. The pools must
   * outlive every ring that clones them.
   */
  shareBuffers(): SharedBufferTable {
    this.check("shareBuffers");
    const table = this.#buffers;
    if (table === undefined) throw new TypeError("shareBuffers(): no buffer table; registerBuffers() first");
    if (this.setupFlags & IORING_SETUP_SINGLE_ISSUER) {
      // The kernel refuses (EEXIST) a clone from another thread's single-issuer ring.
      throw new TypeError("shareBuffers(): other threads cannot clone from a single-issuer ring; open it with { singleIssuer: false }");
    }
    return { ringFd: this.fd, buffers: table.map((e) => (e !== undefined && isPool(e.source) ? e.source.share() : null)) };
  }

  /**
   * IORING_REGISTER_CLONE_BUFFERS (6.12+; ranges 6.13+): gives this ring the
   * registered buffers of another ring, the same pinned pages, registered
   * once. source is a Ring of this thread, or shareBuffers() of a ring in
   * another Worker (its pools are attached here). count slots from srcOffset
   * land at dstOffset; { replace: true } merges them into an existing table.
   */
  cloneBuffersFrom(
    source: RingRegistered | SharedBufferTable,
    options: { srcOffset?: number; dstOffset?: number; count?: number; replace?: boolean } = {},
  ): void {
    this.check("cloneBuffersFrom");
    const o = checkOptions("cloneBuffersFrom", options);
    let srcFd: number;
    let srcEntries: (BufferPool | Uint8Array | undefined)[];
    if (source instanceof RingRegistered) {
      if (source === this) throw new TypeError("cloneBuffersFrom(): source is this ring");
      if (source.closed) throw new TypeError("cloneBuffersFrom(): source is a closed ring");
      srcFd = source.fd;
      srcEntries = (source.#buffers ?? []).map((e) => e?.source);
    } else {
      const shared = checkOptions("cloneBuffersFrom", source, "source") as unknown as SharedBufferTable;
      srcFd = checkFd("cloneBuffersFrom", shared.ringFd, "source.ringFd");
      if (!Array.isArray(shared.buffers)) throw new TypeError("cloneBuffersFrom(): source must be a Ring or shareBuffers() of one");
      srcEntries = shared.buffers.map((d) => (d === null ? undefined : BufferPool.attach(d)));
    }
    if (srcEntries.length === 0) throw new TypeError("cloneBuffersFrom(): the source ring has no buffer table");
    const srcOff = checkInteger("cloneBuffersFrom", "options.srcOffset", o.srcOffset ?? 0, 0, srcEntries.length - 1);
    const nr = checkInteger("cloneBuffersFrom", "options.count", o.count ?? srcEntries.length - srcOff, 1, srcEntries.length - srcOff);
    const dstOff = checkInteger("cloneBuffersFrom", "options.dstOffset", o.dstOffset ?? 0, 0, MAX_REG_BUFFERS - nr);
    const replace = checkBoolean("cloneBuffersFrom", "options.replace", o.replace ?? false);
    if (this.#buffers !== undefined && !replace) {
      throw new TypeError("cloneBuffersFrom(): this ring already has a buffer table; pass { replace: true } or unregisterBuffers() first");
    }
    if (!this.#compat.cloneBuffers) {
      this.#registerAgain(srcEntries.slice(srcOff, srcOff + nr), dstOff);
      return;
    }
    // struct io_uring_clone_buffers { u32 src_fd; u32 flags; u32 src_off; u32 dst_off; u32 nr; u32 pad[3]; }
    const arg = new Uint32Array(new ArrayBuffer(32));
    arg[0] = srcFd;
    arg[1] = replace ? IORING_REGISTER_DST_REPLACE : 0;
    arg[2] = srcOff;
    arg[3] = dstOff;
    arg[4] = nr;
    const res = this.native.register(this.fd, IORING_REGISTER_CLONE_BUFFERS, this.native.addressOf(arg), 1);
    if (res < 0) throw uringError("cloneBuffersFrom", res);
    const table = this.#buffers ?? [];
    while (table.length < dstOff + nr) table.push(undefined);
    const added: BufferEntry[] = [];
    for (let i = 0; i < nr; i++) {
      const src = srcEntries[srcOff + i];
      this.#retire(table[dstOff + i]);
      table[dstOff + i] = src === undefined ? undefined : { source: src, tag: 0 };
      if (src !== undefined) added.push({ source: src, tag: 0 });
    }
    this.#buffers = table;
    this.#hold(added);
  }

  /**
   * cloneBuffersFrom() without IORING_REGISTER_CLONE_BUFFERS: the same
   * memory registered again into this ring's table, slot by slot. Same
   * addresses and table layout, so readFixed() works as on a clone; but the
   * pages are pinned (and charged to RLIMIT_MEMLOCK) once more, and a
   * slot's tag is this ring's own.
   */
  #registerAgain(sources: (BufferPool | Uint8Array | undefined)[], dstOff: number): void {
    const end = dstOff + sources.length;
    let carried: (BufferPool | Uint8Array | undefined)[] = [];
    if (this.#buffers !== undefined && this.#buffers.length < end) {
      // A clone grows the table; a registered table cannot grow, so it is
      // registered anew, larger, with what it held (dma-buf slots aside).
      carried = this.#buffers.map((e) => (e?.target === undefined ? e?.source : undefined));
      this.unregisterBuffers();
    }
    if (this.#buffers === undefined) this.registerBuffers({ sparse: Math.max(end, carried.length) });
    carried.forEach((src, i) => {
      if (src !== undefined && (i < dstOff || i >= end)) this.updateBuffers(i, src instanceof Uint8Array ? [src] : src);
    });
    sources.forEach((src, i) => {
      if (src !== undefined) this.updateBuffers(dstOff + i, src instanceof Uint8Array ? [src] : src);
      else if (this.#buffers![dstOff + i] !== undefined) this.updateBuffers(dstOff + i, { sparse: 1 });
    });
  }

  /** readvFixed()/writevFixed() use IORING_OP_READV_FIXED/WRITEV_FIXED; false: READV/WRITEV over the same memory. */
  protected get fixedVectored(): boolean {
    return this.#compat.fixedVectored;
  }

  #registerError(fn: string, res: number, entries: (BufferEntry | undefined)[]): Error {
    const dmabuf = entries.find((e) => e !== undefined && isPool(e.source) && e.source.dmabufFd !== undefined);
    if (res === -EFAULT && dmabuf !== undefined) {
      const fd = (dmabuf.source as BufferPool).dmabufFd;
      return uringError(fn, res, `dma-buf ${fd}'s mapping cannot be pinned as a fixed buffer (device or file-backed memory); this kernel has no dma-buf registration to take it directly`);
    }
    if (res === -ENOMEM) {
      let bytes = 0;
      for (const e of entries) if (e) bytes += isPool(e.source) ? e.source.byteLength : e.source.byteLength;
      return uringError(fn, res, memlockHint(bytes));
    }
    return uringError(fn, res);
  }

  /** struct iovec and tag arrays for a source (tags: user_data high word UD_BUFFER_TAG, low word the tag). */
  #encode(fn: string, source: unknown, room: number, update = false) {
    if (source !== null && typeof source === "object" && "sparse" in source && !isPool(source)) {
      const n = checkInteger(fn, "source.sparse", (source as { sparse: unknown }).sparse, 1, room);
      // Updating to empty slots takes iovecs of { NULL, 0 } and zero tags.
      return { entries: new Array<BufferEntry | undefined>(n).fill(undefined), iovecs: new Uint8Array(new ArrayBuffer(n * 16)), tags: new BigUint64Array(new ArrayBuffer(n * 8)), nr: n, sparse: !update };
    }
    let list: (BufferPool | Uint8Array)[];
    if (isPool(source)) {
      if (source.closed) throw new TypeError(`${fn}(): the pool is closed`);
      if (source.byteLength > MAX_BUFFER_BYTES) {
        throw new RangeError(`${fn}(): a pool is registered as one fixed buffer of at most 1 GiB; this one is ${source.byteLength} bytes`);
      }
      list = [source];
    } else if (Array.isArray(source)) {
      if (source.length === 0 || source.length > room) throw new RangeError(`${fn}(): source must hold 1 to ${room} buffers, got ${source.length}`);
      list = source.map((b, i) => {
        if (!ArrayBuffer.isView(b)) throw new TypeError(`${fn}(): source[${i}] must be a typed array or DataView`);
        if (b.byteLength === 0 || b.byteLength > MAX_BUFFER_BYTES) throw new RangeError(`${fn}(): source[${i}] must be 1 byte to 1 GiB`);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      });
    } else {
      throw new TypeError(`${fn}(): source must be a BufferPool, an array of buffers, or { sparse: n }`);
    }
    const n = list.length;
    const iov = new DataView(new ArrayBuffer(n * 16));
    const tags = new BigUint64Array(new ArrayBuffer(n * 8));
    const entries: BufferEntry[] = [];
    for (let i = 0; i < n; i++) {
      const s = list[i];
      const addr = isPool(s) ? s.address : this.native.addressOf(s);
      iov.setBigUint64(i * 16, BigInt(addr), true);
      iov.setBigUint64(i * 16 + 8, BigInt(s.byteLength), true);
      const tag = this.#nextTag++;
      tags[i] = (BigInt(UD_BUFFER_TAG) << 32n) | BigInt(tag);
      entries.push({ source: s, tag });
    }
    return { entries, iovecs: new Uint8Array(iov.buffer), tags, nr: n, sparse: false };
  }

  // ---- fixed files --------------------------------------------------------

  /**
   * Registers a fixed-file table (IORING_REGISTER_FILES2) with fds (the
   * table holds its own references: closing the fds afterwards is fine) or
   * { sparse: n } empty slots. Returns a FixedFile per slot: pass it as the
   * fd of any operation.
   */
  registerFiles(source: number[] | { sparse: number }): FixedFile[] {
    this.check("registerFiles");
    if (this.#files !== undefined) throw new TypeError("registerFiles(): this ring already has a file table; updateFiles() or unregisterFiles() first");
    const { fds, nr, sparse } = this.#fdList("registerFiles", source, MAX_FIXED_FILES);
    const reg = new DataView(new ArrayBuffer(32));
    reg.setUint32(0, nr, true);
    reg.setUint32(4, sparse ? IORING_RSRC_REGISTER_SPARSE : 0, true);
    if (!sparse) reg.setBigUint64(16, BigInt(this.native.addressOf(fds)), true);
    const res = this.native.register(this.fd, IORING_REGISTER_FILES2, this.native.addressOf(reg), 32);
    if (res < 0) throw uringError("registerFiles", res);
    this.#files = nr;
    return Array.from({ length: nr }, (_, i) => new FixedFile(this, i));
  }

  /** Replaces file-table slots from offset (-1 in fds empties a slot). Returns their FixedFiles. */
  updateFiles(offset: number, fds: number[]): FixedFile[] {
    this.check("updateFiles");
    const size = this.#files;
    if (size === undefined) throw new TypeError("updateFiles(): no file table; registerFiles() first");
    const at = checkInteger("updateFiles", "offset", offset, 0, size - 1);
    if (!Array.isArray(fds) || fds.length === 0 || fds.length > size - at) {
      throw new RangeError(`updateFiles(): fds must hold 1 to ${size - at} fds`);
    }
    const list = new Int32Array(new ArrayBuffer(fds.length * 4));
    fds.forEach((fd, i) => (list[i] = fd === -1 ? -1 : checkFd("updateFiles", fd, `fds[${i}]`)));
    const up = new DataView(new ArrayBuffer(32));
    up.setUint32(0, at, true);
    up.setBigUint64(8, BigInt(this.native.addressOf(list)), true);
    up.setUint32(24, fds.length, true);
    const res = this.native.register(this.fd, IORING_REGISTER_FILES_UPDATE2, this.native.addressOf(up), 32);
    if (res < 0) throw uringError("updateFiles", res);
    return fds.map((_, i) => new FixedFile(this, at + i));
  }

  /** Unregisters the file table; FixedFiles of it stop working (EBADF). */
  unregisterFiles(): void {
    this.check("unregisterFiles");
    if (this.#files === undefined) return;
    const res = this.native.register(this.fd, IORING_UNREGISTER_FILES, 0, 0);
    if (res < 0) throw uringError("unregisterFiles", res);
    this.#files = undefined;
  }

  /** Where IORING_FILE_INDEX_ALLOC (openatDirect() without an index) may allocate slots (6.0+). */
  fileAllocRange(offset: number, length: number): void {
    this.check("fileAllocRange");
    const size = this.#files;
    if (size === undefined) throw new TypeError("fileAllocRange(): no file table; registerFiles() first");
    const off = checkInteger("fileAllocRange", "offset", offset, 0, size - 1);
    const len = checkInteger("fileAllocRange", "length", length, 1, size - off);
    // struct io_uring_file_index_range { u32 off; u32 len; u64 resv; }
    const range = new Uint32Array(new ArrayBuffer(16));
    range[0] = off;
    range[1] = len;
    const res = this.native.register(this.fd, IORING_REGISTER_FILE_ALLOC_RANGE, this.native.addressOf(range), 0);
    if (res < 0) throw uringError("fileAllocRange", res);
  }

  /** Slots of the fixed-file table (0 without one). */
  override get fileTableSize(): number {
    return this.#files ?? 0;
  }

  /** The FixedFile for a slot of this ring's file table. */
  fixedFile(index: number): FixedFile {
    this.check("fixedFile");
    const size = this.#files;
    if (size === undefined) throw new TypeError("fixedFile(): no file table; registerFiles() first");
    return new FixedFile(this, checkInteger("fixedFile", "index", index, 0, size - 1));
  }

  /** An operation's fd argument: an open fd, or a FixedFile of this ring. */
  protected fileArg(fn: string, value: unknown, name = "fd"): number | FixedFile {
    if (typeof value === "number" && (value | 0) === value && value >= 0) return value;
    if (value instanceof FixedFile) {
      if (value.ring !== this) throw new TypeError(`${fn}(): ${name} is a FixedFile of another ring`);
      if (this.#files === undefined || value.index >= this.#files) {
        throw new RangeError(`${fn}(): ${name} (FixedFile ${value.index}) is not in this ring's file table (${this.#files ?? 0} slots)`);
      }
      return value;
    }
    return checkFd(fn, value, name);
  }

  #fdList(fn: string, source: unknown, max: number): { fds: Int32Array; nr: number; sparse: boolean } {
    if (Array.isArray(source)) {
      if (source.length === 0 || source.length > max) throw new RangeError(`${fn}(): fds must hold 1 to ${max} fds`);
      const fds = new Int32Array(new ArrayBuffer(source.length * 4));
      source.forEach((fd, i) => (fds[i] = fd === -1 ? -1 : checkFd(fn, fd, `fds[${i}]`)));
      return { fds, nr: source.length, sparse: false };
    }
    const o = checkOptions(fn, source, "source");
    const n = checkInteger(fn, "source.sparse", o.sparse, 1, max);
    return { fds: new Int32Array(0), nr: n, sparse: true };
  }
}

function sameBytes(a: Uint8Array, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

/** Whether an op's refs (a value or an array of them) include target. */
function refersTo(refs: unknown, target: unknown): boolean {
  return refs === target || (Array.isArray(refs) && refs.includes(target));
}
