// Fixed-size slots in one native mapping: the memory rings register as
// fixed buffers (IORING_REGISTER_BUFFERS2) and O_DIRECT reads into. JS sees
// it through zero-copy Uint8Array views over one backing ArrayBuffer that
// close() detaches, so no view ever reads memory that has been unmapped.
import { dmabufRegistrationNoRing, isDmabuf, mapDmabuf } from "./dmabuf.ts";
import { closedError, EAGAIN, EBUSY, ENOMEM, EPERM, UringError, uringError } from "./errors.ts";
import { guard, unguard } from "./leak-guard.ts";
import { memlockHint } from "./memlock.ts";
import { getNative, type Native } from "./native.ts";
import { checkBoolean, checkInteger, checkOptions } from "./validate.ts";

// us_pool_alloc flags (native/include/uringshim.h), asked for and reported.
const US_BUF_HUGE = 1;
const US_BUF_THP = 2;
const US_BUF_LOCK = 4;

const PAGE = 4096;
const MAX_ALIGN = 2 * 1024 * 1024;
/** One slot is at most what one SQE can move (its length is 32 bits). */
const MAX_SIZE = 0xffff_ffff;
/** More than any user address space (x86-64: 2^47, arm64: 2^48 bytes). */
const MAX_BYTES = 2 ** 48;

/** Which pages back a pool: 2 MiB hugetlb pages, transparent huge pages, or base pages. */
export type HugePageKind = "hugetlb" | "transparent" | "none";

export interface BufferPoolOptions {
  /** Number of slots (at least 1). */
  count: number;
  /** Bytes per slot (1 to 2^32 - 1). */
  size: number;
  /** Every slot starts at a multiple of this: a power of two from 4096 (the default) to 2 MiB. */
  align?: number;
  /**
   * 2 MiB pages: MAP_HUGETLB when huge pages are reserved (vm.nr_hugepages),
   * else transparent huge pages (madvise MADV_HUGEPAGE). `pool.hugePages` says
   * which it got: "transparent" only when the kernel's THP setting lets this
   * mapping have them (and, with THP set to "always", also without asking).
   */
  hugePages?: boolean;
  /** mlock the pool (counts against RLIMIT_MEMLOCK without CAP_IPC_LOCK). */
  lock?: boolean;
}

/**
 * What another Worker of the same process needs to attach to a pool: plain
 * numbers and strings, structured-clonable (postMessage).
 */
export type SharedPoolDescriptor = Readonly<Omit<PoolMapping, "free" | "dmabufFd">>;

/**
 * Something that may hand the pool's memory to the kernel (a Ring that
 * registered it). `close()` calls releasePool first; it returns only once
 * the kernel is done with the memory (in-flight operations on it completed,
 * the pool unregistered).
 */
export interface PoolHolder {
  releasePool(pool: BufferPool): void;
}

/**
 * A mapping to wrap as a pool (see wrapMapping): count slots of size bytes,
 * stride apart, from address. Internal: BufferPool.fromDmabuf builds on it.
 */
export interface PoolMapping {
  address: number;
  /** Bytes the views may cover: at least count × stride. */
  byteLength: number;
  count: number;
  size: number;
  stride: number;
  align: number;
  hugePages: HugePageKind;
  locked: boolean;
  /** Unmaps the memory; undefined for a pool that does not own it (attach). */
  free?: () => number;
  /** The dma-buf the memory maps (BufferPool.fromDmabuf), for Ring.mapBuffers. */
  dmabufFd?: number;
}

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

// Pools whose holders failed to release them: the kernel may still use the
// memory, so it stays mapped (and referenced) for the life of the process.
const abandoned = new Set<PoolMapping>();

let construct: (native: Native, mapping: PoolMapping) => BufferPool;

/**
 * A pool over memory mapped elsewhere (us_mmap_fd: a dmabuf), freed with
 * mapping.free on close. Internal to core; not exported from mod.ts.
 */
export function wrapMapping(mapping: PoolMapping): BufferPool {
  return construct(getNative(), checkMapping("BufferPool.wrapMapping", mapping, "mapping"));
}

export class BufferPool implements Disposable {
  /** Host address of slot 0. */
  readonly address: number;
  readonly count: number;
  /** Usable bytes per slot. */
  readonly size: number;
  /** Distance between slot starts: size rounded up to align. */
  readonly stride: number;
  readonly align: number;
  /** count × stride: the bytes views can reach. */
  readonly byteLength: number;
  readonly hugePages: HugePageKind;
  /** mlocked: resident, never swapped. */
  readonly locked: boolean;
  /** false for a pool attached from another Worker: close() never frees its memory. */
  readonly owner: boolean;
  /** The dma-buf this pool maps (fromDmabuf), undefined for ordinary memory. */
  readonly dmabufFd: number | undefined;
  readonly #mapping: PoolMapping;
  readonly #holders = new Set<PoolHolder>();
  #backing: ArrayBuffer | undefined;
  #state = OPEN;

  static {
    construct = (native, mapping) => new BufferPool(native, mapping);
  }

  private constructor(native: Native, mapping: PoolMapping) {
    this.#mapping = mapping;
    this.address = mapping.address;
    this.count = mapping.count;
    this.size = mapping.size;
    this.stride = mapping.stride;
    this.align = mapping.align;
    this.byteLength = mapping.count * mapping.stride;
    this.hugePages = mapping.hugePages;
    this.locked = mapping.locked;
    this.owner = mapping.free !== undefined;
    this.dmabufFd = mapping.dmabufFd;
    this.#backing = native.bufferAt(mapping.address, this.byteLength);
    // The target is the ArrayBuffer every view shares, not the pool: a view
    // in a request still in flight (ring.read(fd, pool.view(i))) keeps it,
    // and so the memory, alive after the pool object itself is gone.
    if (mapping.free !== undefined) guard(this.#backing, "BufferPool", mapping.free, this);
  }

  /**
   * count slots of size bytes in one zero-filled native mapping, each
   * starting at a multiple of align (page-aligned by default, as O_DIRECT
   * and registration want). Throws TypeError/RangeError naming a bad
   * option, and UringError when the kernel refuses (ENOMEM from mlock says
   * the bytes and RLIMIT_MEMLOCK).
   */
  static create(options: BufferPoolOptions): BufferPool {
    const fn = "BufferPool.create";
    if (options === undefined) throw new TypeError(`${fn}(): options { count, size } are required`);
    const o = checkOptions(fn, options);
    const count = checkInteger(fn, "count", o.count, 1, Number.MAX_SAFE_INTEGER);
    const size = checkInteger(fn, "size", o.size, 1, MAX_SIZE);
    const align = o.align === undefined ? PAGE : checkAlign(fn, "align", o.align);
    const hugePages = o.hugePages === undefined ? false : checkBoolean(fn, "hugePages", o.hugePages);
    const lock = o.lock === undefined ? false : checkBoolean(fn, "lock", o.lock);
    const stride = Math.ceil(size / align) * align;
    if (count > Math.floor(MAX_BYTES / stride)) {
      throw new RangeError(
        `${fn}(): count × size is too large: ${count} slots of ${stride} bytes exceed 2^48 bytes, more than a process can map`,
      );
    }
    const byteLength = count * stride;
    const native = getNative();
    const out = new BigUint64Array(1);
    const flags = (hugePages ? US_BUF_HUGE | US_BUF_THP : 0) | (lock ? US_BUF_LOCK : 0);
    const got = native.poolAlloc(byteLength, align, flags, native.addressOf(out));
    if (got < 0) {
      const pinning = lock && (got === -ENOMEM || got === -EPERM || got === -EAGAIN);
      throw uringError(fn, got, pinning ? memlockHint(byteLength) : `allocating ${byteLength} bytes (${count} slots of ${stride})`);
    }
    const address = Number(out[0]);
    const mapping: PoolMapping = {
      address, byteLength, count, size, stride, align,
      hugePages: got & US_BUF_HUGE ? "hugetlb" : got & US_BUF_THP ? "transparent" : "none",
      locked: (got & US_BUF_LOCK) !== 0,
      free: () => native.bufFree(address, byteLength),
    };
    try {
      return new BufferPool(native, mapping);
    } catch (e) {
      // The engine refused an ArrayBuffer this large (Bun: over 4 GiB).
      native.bufFree(address, byteLength);
      throw new RangeError(
        `${fn}(): ${byteLength} bytes cannot be one ArrayBuffer under ${native.runtime === "bun" ? "Bun (at most 4 GiB)" : "Deno"}; use several pools`,
        { cause: e },
      );
    }
  }

  /**
   * A pool over memory another Worker of this process created (from its
   * `share()`): views over the same bytes, no copy. It does not own the
   * memory (`owner: false`): its close() detaches its own views and never
   * frees. The owning pool must stay open for as long as any attached pool
   * is used; reading an attached pool after the owner closed reads
   * unmapped memory (a crash), which nothing here can detect.
   */
  /**
   * A pool over a dma-buf (one buffer of size bytes). The kernel registers
   * dma-bufs for a device where it can (Ring.mapBuffers reports
   * "premapped"); elsewhere the dma-buf is mmapped and registered as an
   * ordinary fixed buffer, with no change for the code that submits I/O.
   * TypeError for an fd that is not a dma-buf; UringError when it can be
   * neither mapped nor taken by the kernel.
   */
  static fromDmabuf(fd: number, size: number): BufferPool {
    const fn = "BufferPool.fromDmabuf";
    checkInteger(fn, "fd", fd, 0, 0x7fff_ffff);
    checkInteger(fn, "size", size, 1, 2 ** 32 - 1);
    if (!isDmabuf(fd)) throw new TypeError(`${fn}(): fd ${fd} is not a dma-buf (its /proc/self/fdinfo has no exp_name)`);
    const native = getNative();
    return mapDmabuf(native, fd, size, dmabufRegistrationNoRing(native));
  }

  static attach(descriptor: SharedPoolDescriptor): BufferPool {
    const fn = "BufferPool.attach";
    const d = checkMapping(fn, { ...checkOptions(fn, descriptor, "descriptor") } as unknown as PoolMapping, "descriptor");
    return new BufferPool(getNative(), {
      address: d.address, byteLength: d.byteLength, count: d.count, size: d.size, stride: d.stride, align: d.align,
      hugePages: d.hugePages, locked: d.locked,
    });
  }

  /** The descriptor another Worker passes to BufferPool.attach (postMessage it). */
  share(): SharedPoolDescriptor {
    this.#live("share");
    return {
      address: this.address, count: this.count, size: this.size, stride: this.stride, align: this.align,
      byteLength: this.byteLength, hugePages: this.hugePages, locked: this.locked,
    };
  }

  get closed(): boolean {
    return this.#state !== OPEN;
  }

  /**
   * A Uint8Array over bytes [offset, offset + length) of slot index: the
   * native memory itself, no copy. Once the pool is closed every view it
   * handed out reads as empty (detached).
   */
  view(index: number, offset = 0, length?: number): Uint8Array {
    const backing = this.#live("view");
    const fn = "BufferPool.view";
    const i = this.#index(fn, index);
    const off = checkInteger(fn, "offset", offset, 0, this.size);
    let len = this.size - off;
    if (length !== undefined) {
      len = checkInteger(fn, "length", length, 0, this.size);
      if (off + len > this.size) {
        throw new RangeError(`${fn}(): offset + length (${off} + ${len}) exceeds the slot size ${this.size}`);
      }
    }
    return new Uint8Array(backing, i * this.stride + off, len);
  }

  /** Host address of slot index's first byte. */
  slotAddress(index: number): number {
    this.#live("slotAddress");
    return this.address + this.#index("BufferPool.slotAddress", index) * this.stride;
  }

  /**
   * For Ring: registers a holder whose releasePool(pool) close() calls (once)
   * before the memory goes. Adding the same holder twice keeps one.
   */
  addHolder(holder: PoolHolder): void {
    this.#live("addHolder");
    if (typeof holder?.releasePool !== "function") {
      throw new TypeError("BufferPool.addHolder(): holder must have a releasePool(pool) method");
    }
    this.#holders.add(holder);
  }

  /** For Ring: the holder no longer uses the pool (it unregistered it). */
  removeHolder(holder: PoolHolder): void {
    this.#holders.delete(holder);
  }

  /**
   * Calls releasePool(pool) once on every holder (each returns when the
   * kernel is done with the memory; one removed meanwhile is skipped),
   * detaches every view, then unmaps (an owning pool). Idempotent. Holders
   * cover registered use only: an operation started on a view
   * (ring.read(fd, pool.view(i))) must have completed before close(), as
   * with NativeBuffer. If a holder throws, the memory stays mapped for the
   * life of the process (the kernel may still use it) and close() throws a
   * UringError (code EBUSY) whose cause is what the holder threw.
   */
  close(): void {
    if (this.#state !== OPEN) return;
    unguard(this);
    this.#state = CLOSING;
    const failures: unknown[] = [];
    for (const holder of [...this.#holders]) {
      if (!this.#holders.has(holder)) continue;
      try {
        holder.releasePool(this);
      } catch (e) {
        failures.push(e);
      }
    }
    this.#holders.clear();
    this.#backing!.transfer(0);
    this.#backing = undefined;
    this.#state = CLOSED;
    if (failures.length > 0) {
      if (this.owner) abandoned.add(this.#mapping);
      const cause = failures.length === 1 ? failures[0] : new AggregateError(failures, "holders failed to release the pool");
      throw new UringError(
        "BufferPool.close", "EBUSY", EBUSY,
        `BufferPool.close(): ${failures.length} holder(s) could not release the pool; its memory stays mapped because the kernel may still use it`,
        { cause },
      );
    }
    const res = this.#mapping.free?.() ?? 0;
    if (res < 0) throw uringError("BufferPool.close", res, `unmapping ${this.byteLength} bytes at 0x${this.address.toString(16)}`);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(op: string): ArrayBuffer {
    if (this.#state !== OPEN) throw closedError(`BufferPool.${op}`, "pool");
    return this.#backing!;
  }

  #index(fn: string, index: unknown): number {
    return checkInteger(fn, "index", index, 0, this.count - 1);
  }
}

function checkAlign(fn: string, name: string, value: unknown): number {
  const align = checkInteger(fn, name, value, PAGE, MAX_ALIGN);
  if ((align & (align - 1)) !== 0) throw new RangeError(`${fn}(): ${name} must be a power of two, got ${align}`);
  return align;
}

const HUGE_PAGE_KINDS: readonly unknown[] = ["hugetlb", "transparent", "none"];

/** A mapping or descriptor whose numbers describe slots that fit inside it. */
function checkMapping(fn: string, m: PoolMapping, name: string): PoolMapping {
  const address = checkInteger(fn, `${name}.address`, m.address, 1, Number.MAX_SAFE_INTEGER);
  const count = checkInteger(fn, `${name}.count`, m.count, 1, Number.MAX_SAFE_INTEGER);
  const size = checkInteger(fn, `${name}.size`, m.size, 1, MAX_SIZE);
  const align = checkAlign(fn, `${name}.align`, m.align);
  const stride = checkInteger(fn, `${name}.stride`, m.stride, size, Number.MAX_SAFE_INTEGER);
  const byteLength = checkInteger(fn, `${name}.byteLength`, m.byteLength, 1, MAX_BYTES);
  if (address % align !== 0 || stride % align !== 0) {
    throw new RangeError(`${fn}(): ${name}.address and ${name}.stride must be multiples of ${name}.align (${align})`);
  }
  if (count > Math.floor(byteLength / stride)) {
    throw new RangeError(`${fn}(): ${count} slots of ${stride} bytes do not fit in ${name}.byteLength ${byteLength}`);
  }
  if (!HUGE_PAGE_KINDS.includes(m.hugePages)) {
    throw new TypeError(`${fn}(): ${name}.hugePages must be "hugetlb", "transparent" or "none", got ${String(m.hugePages)}`);
  }
  const locked = m.locked === undefined ? false : checkBoolean(fn, `${name}.locked`, m.locked);
  if (m.free !== undefined && typeof m.free !== "function") throw new TypeError(`${fn}(): ${name}.free must be a function`);
  return { address, count, size, align, stride, byteLength, hugePages: m.hugePages, locked, free: m.free, dmabufFd: m.dmabufFd };
}
