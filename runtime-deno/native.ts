// The Native interface on Deno.dlopen. Wake-ups: a `nonblocking` FFI call
// does a blocking read of the eventfd on Deno's blocking pool and resolves
// a promise. A pending call keeps the process alive, so it is started only
// while operations are in flight and released (eventfd write) otherwise.
import { type LibraryChoice, loadError, nativeLibrary } from "../core/native-library.ts";
import type { Native, Waiter } from "../core/native.ts";
import { symbols } from "./symbols.ts";

type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
type SymbolName = keyof typeof symbols;

/**
 * What opening a ring, its first operations and closing it call: bound
 * when the adapter loads. Deno.dlopen builds a call trampoline per symbol
 * (measured here: all 26 in the process's first dlopen 9 ms, these 10 about
 * 5 ms); every other symbol is bound on its first call by a dlopen of that
 * one symbol (about 0.25 ms), which reuses the library already loaded.
 */
export const STARTUP_SYMBOLS = [
  "us_setup", "us_enter", "us_register", "us_register_eventfd", "us_unregister_eventfd", "us_eventfd",
  "us_eventfd_write", "us_eventfd_read", "us_close", "us_kernel_release",
] as const satisfies readonly SymbolName[];

function pick<K extends SymbolName>(names: readonly K[]): Pick<typeof symbols, K> {
  return Object.fromEntries(names.map((n) => [n, symbols[n]])) as Pick<typeof symbols, K>;
}

/**
 * The library's symbols: STARTUP_SYMBOLS bound now, every other one a stub
 * that binds it on its first call and puts it in its place (callers read
 * `s.name` at each call, never keep a stub). A failing dlopen, now or
 * later, is loadError's UringError.
 */
export function bindSymbols(library: LibraryChoice, dlopen: typeof Deno.dlopen = Deno.dlopen): Symbols {
  const load = <K extends SymbolName>(names: readonly K[]) => {
    try {
      return dlopen(library.path, pick(names)).symbols;
    } catch (cause) {
      throw loadError(library, cause, " (Deno needs --allow-ffi)");
    }
  };
  const s: Record<string, unknown> = { ...load(STARTUP_SYMBOLS) };
  for (const name of Object.keys(symbols) as SymbolName[]) {
    if (name in s) continue;
    s[name] = (...args: unknown[]) => {
      const fn = load([name])[name] as (...a: unknown[]) => unknown;
      s[name] = fn;
      return fn(...args);
    };
  }
  return s as Symbols;
}

// Deno types 64-bit FFI parameters as bigint.
const NO_TIMEOUT = -1n;
const ns = (timeoutNs: number): bigint => (timeoutNs === -1 ? NO_TIMEOUT : BigInt(timeoutNs));

/** Backing-store address per ArrayBuffer (see addressOf). */
const bases = new WeakMap<ArrayBufferLike, number>();

export function createDenoNative(): Native {
  const s = bindSymbols(nativeLibrary());
  // Pointer objects for addresses used on every call (mmap-mode contexts).
  const cached = new Map<number, Deno.PointerValue>();
  const p = (addr: number): Deno.PointerValue => {
    if (addr === 0) return null;
    let v = cached.get(addr);
    if (v === undefined) {
      v = Deno.UnsafePointer.create(BigInt(addr));
      if (cached.size < 1024) cached.set(addr, v);
    }
    return v;
  };
  return {
    runtime: "deno",
    setup: (entries, params) => s.us_setup(entries, p(params)),
    enter: s.us_enter,
    enterTimeout: (fd, toSubmit, minComplete, flags, timeoutNs) => s.us_enter_timeout(fd, toSubmit, minComplete, flags, ns(timeoutNs)),
    register: (fd, opcode, arg, nr) => s.us_register(fd, opcode, p(arg), nr),
    registerEventfd: s.us_register_eventfd,
    unregisterEventfd: s.us_unregister_eventfd,
    mmapRings: (fd, params, shadow, ctx) => s.us_mmap_rings(fd, p(params), p(shadow), p(ctx)),
    mmapEnter: (ctx, minComplete, flags, timeoutNs) => s.us_mmap_enter(p(ctx), minComplete, flags, ns(timeoutNs)),
    mmapSetEnterFd: (ctx, enterFd, enterFlags) => s.us_mmap_set_enter_fd(p(ctx), enterFd, enterFlags),
    munmapRings(ctx) {
      const res = s.us_munmap_rings(p(ctx));
      cached.delete(ctx);
      return res;
    },
    eventfd: (initval, nonblock) => s.us_eventfd(initval, nonblock ? 1 : 0),
    eventfdWrite: s.us_eventfd_write,
    bufAlloc: (size, flags, out) => s.us_buf_alloc(BigInt(size), flags, p(out)),
    bufFree: (addr, size) => s.us_buf_free(Deno.UnsafePointer.create(BigInt(addr)), BigInt(size)),
    poolAlloc: (size, align, flags, out) => s.us_pool_alloc(BigInt(size), BigInt(align), flags, p(out)),
    memlockLimit: (out) => s.us_memlock_limit(p(out)),
    mmapFd: (fd, size, offset, out) => s.us_mmap_fd(fd, BigInt(size), BigInt(offset), p(out)),
    munmap: (addr, size) => s.us_munmap(Deno.UnsafePointer.create(BigInt(addr)), BigInt(size)),
    close: s.us_close,
    bind: (fd, addr, addrlen) => s.us_bind(fd, p(addr), addrlen),
    listen: (fd, backlog) => s.us_listen(fd, backlog), // bound on first use: not read here
    getsockname: (fd, addr, len) => s.us_getsockname(fd, p(addr), len),
    kernelRelease() {
      const out = new Uint8Array(65); // sizeof(struct utsname.release)
      const n = s.us_kernel_release(p(this.addressOf(out)), out.length);
      return n < 0 ? undefined : new TextDecoder().decode(out.subarray(0, n));
    },
    addressOf(buffer) {
      if (buffer.byteLength === 0) return 0;
      // Touching .buffer moves an on-heap typed array's storage off-heap,
      // where it never moves: the backing store's address is then fixed for
      // the ArrayBuffer's life, so one lookup per ArrayBuffer serves every
      // view of it (UnsafePointer.of + BigInt per call is the Deno promise
      // API's costliest step otherwise).
      const isView = ArrayBuffer.isView(buffer);
      const backing = isView ? buffer.buffer : buffer;
      let base = bases.get(backing);
      if (base === undefined) {
        base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(backing as unknown as BufferSource)));
        bases.set(backing, base);
      }
      return isView ? base + buffer.byteOffset : base;
    },
    bufferAt: (addr, length) => Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(BigInt(addr))!, length),
    createWaiter(eventFd, _waiterMem, onWake): Waiter {
      let pending: Promise<void> | undefined;
      let closed = false;
      let afterClose: (() => void) | undefined;
      const settled = () => {
        pending = undefined;
        if (closed) afterClose?.();
        else onWake();
      };
      return {
        arm() {
          if (pending === undefined && !closed) pending = s.us_eventfd_read(eventFd).then(settled, settled);
        },
        disarm() {
          // Release the pending read so it stops keeping the process alive.
          if (pending !== undefined) s.us_eventfd_write(eventFd, 1);
        },
        close(closeEventfd) {
          closed = true;
          if (pending === undefined) closeEventfd();
          else {
            // Close the fd only after the pool thread's read returned: closing
            // it earlier could let a reused fd number be read instead.
            afterClose = closeEventfd;
            s.us_eventfd_write(eventFd, 1);
          }
        },
      };
    },
  };
}
