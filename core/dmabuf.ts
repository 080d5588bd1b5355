// dma-bufs as buffer pools, and the one answer about them every ring
// shares: does this kernel register dma-bufs for a device (the 2026 io_uring
// dmabuf series)? Where it does not, a dma-buf is mmapped and registered as
// ordinary fixed buffers, and the code that submits I/O does not change.
import { type BufferPool, wrapMapping } from "./buffer-pool.ts";
import { type DmabufProbeResult, probeDmabufRegistration } from "./dmabuf-probe.ts";
import { uringError } from "./errors.ts";
import { getHost, type Native } from "./native.ts";
import { checkFd, checkInteger } from "./validate.ts";

const PAGE = 4096;
let cached: DmabufProbeResult | undefined;

/** The process-wide answer (the kernel does not change under a process), asked through ringFd once. */
export function dmabufRegistration(native: Native, ringFd: number): DmabufProbeResult {
  return (cached ??= probeDmabufRegistration(native, ringFd));
}

/** The same answer without a ring of the caller's: a bare 1-entry ring is set up to ask through. */
export function dmabufRegistrationNoRing(native: Native): DmabufProbeResult {
  if (cached !== undefined) return cached;
  const params = new Uint8Array(new ArrayBuffer(120)); // struct io_uring_params, zeroed: a default ring
  const fd = native.setup(1, native.addressOf(params));
  if (fd < 0) throw uringError("fromDmabuf", fd, "setting up a ring to probe dma-buf registration");
  try {
    return dmabufRegistration(native, fd);
  } finally {
    native.close(fd);
  }
}

/** Whether fd is a dma-buf: the kernel lists its exporter ("exp_name:") in the fd's fdinfo. */
export function isDmabuf(fd: number): boolean {
  try {
    return /^exp_name:/m.test(new TextDecoder().decode(getHost().readFile(`/proc/self/fdinfo/${fd}`)));
  } catch {
    return false;
  }
}

/**
 * A pool over a dma-buf's CPU mapping (one buffer of size bytes), that
 * remembers its dma-buf fd for Ring.mapBuffers. When the mapping fails,
 * the error says whether the kernel could have taken the dma-buf itself.
 * `what` names the fd in messages. Exported for the tests, which cannot
 * make a real dma-buf here (no exporter): they pass an mmap-able file.
 */
export function mapDmabuf(native: Native, fd: number, size: number, kernel: DmabufProbeResult, what = "dma-buf"): BufferPool {
  const fn = "BufferPool.fromDmabuf";
  checkFd(fn, fd);
  checkInteger(fn, "size", size, 1, 2 ** 32 - 1);
  const out = new BigUint64Array(new ArrayBuffer(8));
  const res = native.mmapFd(fd, size, 0, native.addressOf(out));
  if (res < 0) {
    const why = kernel.supported
      ? `the ${what} cannot be CPU-mapped; this kernel registers dma-bufs, but only for a target file, and a pool needs a mapping for its views`
      : `the ${what} cannot be CPU-mapped, and the kernel cannot take it directly: ${kernel.reason}`;
    throw uringError(fn, res, why);
  }
  const address = Number(out[0]);
  const stride = Math.ceil(size / PAGE) * PAGE;
  return wrapMapping({
    address, byteLength: stride, count: 1, size, stride, align: PAGE, hugePages: "none", locked: false,
    free: () => native.munmap(address, size), dmabufFd: fd,
  });
}
