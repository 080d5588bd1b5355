// The Native interface on bun:ffi. Wake-ups: Bun's own event loop polls the
// ring's eventfd (a nonblocking fd read as a Bun.file() stream), so no thread
// of ours ever calls into JavaScript.
//
// bun:ffi has no nonblocking calls, and a native thread calling a threadsafe
// JSCallback (the first design) is not safe in a Worker: Bun tears down a
// terminated Worker's VM, its JSCallbacks' code included, before the
// Worker's thread exits, and nothing tells a foreign thread. A completion in
// between had the waiter jump into freed code (test/exit.test.ts, "Workers
// terminated": most runs segfaulted under load). Bun stops polling with the
// VM it belongs to.
import { dlopen, ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import { loadError, nativeLibrary } from "../core/native-library.ts";
import type { Native, Waiter } from "../core/native.ts";
import { symbols } from "./symbols.ts";

/** What the waiter uses of Bun.file() (typed here so that `deno check` needs no Bun types). */
interface Reader {
  read(): Promise<{ done: boolean }>;
  cancel(): Promise<void>;
}
interface BunFiles {
  file(fd: number): { stream(): { getReader(): Reader } };
}

function open() {
  const library = nativeLibrary();
  try {
    return dlopen(library.path, symbols);
  } catch (cause) {
    throw loadError(library, cause);
  }
}

export function createBunNative(): Native {
  const s = open().symbols;
  const p = (addr: number) => addr as unknown as Pointer;
  return {
    runtime: "bun",
    setup: (entries, params) => s.us_setup(entries, p(params)),
    enter: s.us_enter,
    enterTimeout: s.us_enter_timeout,
    register: (fd, opcode, arg, nr) => s.us_register(fd, opcode, p(arg), nr),
    registerEventfd: s.us_register_eventfd,
    unregisterEventfd: s.us_unregister_eventfd,
    mmapRings: (fd, params, shadow, ctx) => s.us_mmap_rings(fd, p(params), p(shadow), p(ctx)),
    mmapEnter: (ctx, minComplete, flags, timeoutNs) => s.us_mmap_enter(p(ctx), minComplete, flags, timeoutNs),
    munmapRings: (ctx) => s.us_munmap_rings(p(ctx)),
    mmapSetEnterFd: (ctx, enterFd, enterFlags) => s.us_mmap_set_enter_fd(p(ctx), enterFd, enterFlags),
    // Always O_NONBLOCK: Bun polls a nonblocking fd in its event loop (a
    // blocking one it reads with pread on its thread pool: ESPIPE), and
    // nothing under Bun reads an eventfd blocking.
    eventfd: (initval, _nonblock) => s.us_eventfd(initval, 1),
    eventfdWrite: s.us_eventfd_write,
    bufAlloc: (size, flags, out) => s.us_buf_alloc(size, flags, p(out)),
    bufFree: (addr, size) => s.us_buf_free(p(addr), size),
    poolAlloc: (size, align, flags, out) => s.us_pool_alloc(size, align, flags, p(out)),
    memlockLimit: (out) => s.us_memlock_limit(p(out)),
    mmapFd: (fd, size, offset, out) => s.us_mmap_fd(fd, size, offset, p(out)),
    munmap: (addr, size) => s.us_munmap(p(addr), size),
    close: s.us_close,
    bind: (fd, addr, addrlen) => s.us_bind(fd, p(addr), addrlen),
    listen: s.us_listen,
    getsockname: (fd, addr, len) => s.us_getsockname(fd, p(addr), len),
    kernelRelease() {
      const out = new Uint8Array(65); // sizeof(struct utsname.release)
      const n = s.us_kernel_release(p(this.addressOf(out)), out.length);
      return n < 0 ? undefined : new TextDecoder().decode(out.subarray(0, n));
    },
    addressOf(buffer) {
      if (buffer.byteLength === 0) return 0;
      // Touching .buffer moves a small typed array's storage out of the GC
      // heap into a stable ArrayBuffer before its address is taken.
      if (ArrayBuffer.isView(buffer)) void buffer.buffer;
      return ptr(buffer as Uint8Array) as unknown as number;
    },
    bufferAt: (addr, length) => toArrayBuffer(p(addr), 0, length),
    createWaiter(eventFd, _waiterMem, onWake): Waiter {
      // One stream while ops are in flight, one read of it pending at a time.
      // A pending read keeps the process alive, so an idle ring cancels its
      // stream; lazily, one macrotask after disarm(), so a loop that awaits
      // one op and starts the next keeps the same stream (a new one costs
      // about 30 us).
      let reader: Reader | undefined;
      let reading = false;
      let wanted = false;
      let closed = false;
      let releaseQueued = false;
      const pull = (r: Reader) => {
        reading = true;
        r.read().then(({ done }) => {
          if (r !== reader) return;
          reading = false;
          if (done) {
            reader = undefined;
            return;
          }
          onWake();
          if (wanted && r === reader && !reading) pull(r);
        }, () => {
          // A read error (the fd is gone): the next arm() starts a new stream.
          if (r === reader) {
            reader = undefined;
            reading = false;
          }
        });
      };
      const cancel = (): Promise<void> => {
        const r = reader;
        reader = undefined;
        reading = false;
        return r === undefined ? Promise.resolve() : r.cancel().catch(() => {});
      };
      const release = () => {
        releaseQueued = false;
        if (!wanted && !closed) void cancel();
      };
      return {
        arm() {
          wanted = true;
          if (closed) return;
          const r = reader ?? (reader = (globalThis as unknown as { Bun: BunFiles }).Bun.file(eventFd).stream().getReader());
          if (!reading) pull(r);
        },
        disarm() {
          wanted = false;
          if (reader !== undefined && !releaseQueued) {
            releaseQueued = true;
            setImmediate(release);
          }
        },
        close(closeEventfd) {
          closed = true;
          wanted = false;
          // Bun polls a dup of the fd (closed after the cancel); ours is closed
          // after the cancel too, so a reused number can never be Bun's.
          if (reader === undefined) closeEventfd();
          else void cancel().then(closeEventfd);
        },
      };
    },
  };
}
