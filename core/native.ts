// The one interface a runtime adapter implements (runtime-bun/, runtime-deno/).
// Every method mirrors a function of native/include/uringshim.h and returns
// its int32 result (-errno on failure); addresses are plain numbers (exact
// below 2^53, which covers x86-64 and arm64 user space).

export interface Waiter {
  /**
   * Operations are in flight: make sure a wake-up will be delivered (Deno
   * starts an eventfd read). Called on every pass while busy; idempotent.
   */
  arm(): void;
  /** Nothing in flight: release whatever arm() started. */
  disarm(): void;
  /**
   * Stop for good. The adapter guarantees onWake is never called after
   * this returns, and calls closeEventfd() once the eventfd is no longer
   * read by anything it started.
   */
  close(closeEventfd: () => void): void;
}

export interface Native {
  readonly runtime: "bun" | "deno";
  setup(entries: number, params: number): number;
  enter(ringFd: number, toSubmit: number, minComplete: number, flags: number): number;
  enterTimeout(ringFd: number, toSubmit: number, minComplete: number, flags: number, timeoutNs: number): number;
  register(ringFd: number, opcode: number, arg: number, nrArgs: number): number;
  registerEventfd(ringFd: number, eventFd: number): number;
  unregisterEventfd(ringFd: number): number;
  mmapRings(ringFd: number, params: number, shadow: number, ctx: number): number;
  mmapEnter(ctx: number, minComplete: number, flags: number, timeoutNs: number): number;
  munmapRings(ctx: number): number;
  /** us_mmap_set_enter_fd: later mmapEnter calls enter with enterFd and enterFlags (a registered ring index). */
  mmapSetEnterFd(ctx: number, enterFd: number, enterFlags: number): number;
  eventfd(initval: number, nonblock: boolean): number;
  eventfdWrite(eventFd: number, value: number): number;
  bufAlloc(size: number, flags: number, out: number): number;
  bufFree(addr: number, size: number): number;
  /** us_pool_alloc: returns the US_BUF_* flags it got (>= 0) or -errno; writes the address (u64) to out. */
  poolAlloc(size: number, align: number, flags: number, out: number): number;
  /** us_memlock_limit: writes RLIMIT_MEMLOCK soft, hard (u64, UINT64_MAX = unlimited) to out (16 bytes). */
  memlockLimit(out: number): number;
  /** us_mmap_fd: MAP_SHARED read-write mapping of fd; writes the address (u64) to out. */
  mmapFd(fd: number, size: number, offset: number, out: number): number;
  /** us_munmap: unmaps what mmapFd mapped. */
  munmap(addr: number, size: number): number;
  close(fd: number): number;
  /** bind(2) / listen(2) / getsockname(2): for kernels without IORING_OP_BIND/LISTEN, and a bound socket's address. */
  bind(fd: number, addr: number, addrlen: number): number;
  listen(fd: number, backlog: number): number;
  getsockname(fd: number, addr: number, len: number): number;
  /** The running kernel's release (uname(2)), undefined if it cannot be read. */
  kernelRelease(): string | undefined;
  /** Host address of a buffer's first byte (it must stay referenced while the kernel uses it). */
  addressOf(buffer: ArrayBufferView | ArrayBuffer): number;
  /** An ArrayBuffer over native memory (no copy); valid until that memory is freed. */
  bufferAt(addr: number, length: number): ArrayBuffer;
  /**
   * Wake-up primitive: calls onWake on the JS thread whenever the eventfd
   * may have been signalled. waiterMem is US_WAITER_SIZE bytes of memory
   * that outlives the waiter.
   */
  createWaiter(eventFd: number, waiterMem: number, onWake: () => void): Waiter;
}

/**
 * What core asks of the runtime before and besides the native library:
 * the OS and CPU, and synchronous reads of the package's own files and of
 * /proc. Each adapter answers with its runtime's own API and binds it
 * before any core module evaluates (runtime-bun/host.ts,
 * runtime-deno/host.ts): under Deno, node:fs or node:process would start
 * its Node compatibility layer, tens of milliseconds at import.
 */
export interface Host {
  /** process.platform's spelling: "linux". */
  readonly os: string;
  /** process.arch's spelling: "x64", "arm64". */
  readonly arch: string;
  /** Whether something exists at path (node:fs existsSync: false when it cannot be told). */
  exists(path: string): boolean;
  /** The file's bytes, or only its first maxBytes; throws the runtime's error when it cannot be read. */
  readFile(path: string, maxBytes?: number): Uint8Array;
}

let host: Host | undefined;

/** Called by the runtime adapter's host.ts, first thing. */
export function bindHost(h: Host): void {
  host = h;
}

type NodeFs = {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  openSync(path: string, flags: string): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
};
type NodeProcess = { platform: string; arch: string; getBuiltinModule(id: "node:fs"): NodeFs };

/** A Host over node:fs and process, loaded on first use: core imported without an adapter (tests, tools). */
function nodeHost(): Host {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  let fs: NodeFs | undefined;
  const nodeFs = () => (fs ??= proc.getBuiltinModule("node:fs"));
  return {
    os: proc.platform,
    arch: proc.arch,
    exists: (path) => nodeFs().existsSync(path),
    readFile(path, maxBytes) {
      if (maxBytes === undefined) return nodeFs().readFileSync(path);
      const f = nodeFs();
      const fd = f.openSync(path, "r");
      try {
        const buf = new Uint8Array(maxBytes);
        return buf.subarray(0, f.readSync(fd, buf, 0, maxBytes, 0));
      } finally {
        f.closeSync(fd);
      }
    },
  };
}

/** The adapter's Host, or node's where none is bound. */
export function getHost(): Host {
  return (host ??= nodeHost());
}

let bound: Native | undefined;

/** Called once by the runtime adapter's mod.ts. */
export function bindNative(native: Native): void {
  bound = native;
}

export function getNative(): Native {
  if (!bound) {
    throw new Error(
      'uringshim: no runtime adapter is bound; import "uringshim" (or runtime-bun/mod.ts / runtime-deno/mod.ts), not core/ directly',
    );
  }
  return bound;
}
