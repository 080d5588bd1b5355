// The Native interface on bun:ffi. Wake-ups: a native thread blocks on the
// eventfd and calls a threadsafe JSCallback (bun:ffi has no nonblocking
// calls).
import { dlopen, JSCallback, ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import { loadError, nativeLibrary } from "../core/native-library.ts";
import { uringError } from "../core/errors.ts";
import type { Native, Waiter } from "../core/native.ts";
import { symbols } from "./symbols.ts";

// A JSCallback must outlive every call its thread queued before it stopped.
const CALLBACK_GRACE_MS = 1000;

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
    eventfd: (initval, nonblock) => s.us_eventfd(initval, nonblock ? 1 : 0),
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
    createWaiter(eventFd, waiterMem, onWake): Waiter {
      const callback = new JSCallback(() => onWake(), { args: ["i32"], returns: "void", threadsafe: true });
      const res = s.us_waiter_start(p(waiterMem), eventFd, callback.ptr);
      if (res < 0) {
        callback.close();
        throw uringError("waiter_start", res);
      }
      return {
        // The thread always blocks on the eventfd; core turns notifications
        // on only while ops are in flight, and its poll timer keeps the
        // process alive meanwhile.
        arm() {},
        disarm() {},
        close(closeEventfd) {
          s.us_waiter_stop(p(waiterMem));
          closeEventfd();
          const t = setTimeout(() => callback.close(), CALLBACK_GRACE_MS);
          (t as { unref?: () => void }).unref?.();
        },
      };
    },
  };
}
