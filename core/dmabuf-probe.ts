// Detection of kernel dma-buf buffer registration: the io_uring "dmabuf
// read/write" series (Pavel Begunkov, v3, 2026-04-29, not in mainline):
//   [PATCH v3 09/10] io_uring/rsrc: extend buffer update
//   [PATCH v3 10/10] io_uring/rsrc: add dmabuf backed registered buffers
// It renames the reserved word of struct io_uring_rsrc_update2 (`resv`, at
// byte 4) to `flags`; with IORING_RSRC_UPDATE_EXTENDED set,
// IORING_REGISTER_BUFFERS_UPDATE reads `data` as an array of
// struct io_uring_regbuf_desc (80 bytes each) instead of iovecs, and a
// descriptor of type IO_REGBUF_TYPE_DMABUF installs a dma-buf mapped for one
// target file into a slot of the ring's (sparse) buffer table.
//
// Never issue a register opcode the running kernel may read as something
// else: the 2022 "dma mapping optimisations" series numbered
// IORING_REGISTER_MAP_BUFFERS / UNMAP_BUFFERS 28/29 (fio's prototype: 20),
// which mainline uses for IORING_UNREGISTER_NAPI / IORING_REGISTER_CLOCK
// (and IORING_REGISTER_RING_FDS). This file only issues
// IORING_REGISTER_BUFFERS_UPDATE (16) and, on a ring of its own,
// IORING_REGISTER_BUFFERS2 (15).
import { ERRNO_BY_NAME, ERRNO_NAMES } from "./errno.ts";
import { EINVAL, ENOMEM, EOPNOTSUPP, uringError } from "./errors.ts";
import type { Native } from "./native.ts";
import { kernelRelease } from "./probe.ts";
import { checkFd, checkInteger, checkU32 } from "./validate.ts";

// io_uring_register(2) opcodes used here (mainline numbers since 5.13).
export const IORING_REGISTER_BUFFERS2 = 15;
export const IORING_REGISTER_BUFFERS_UPDATE = 16;

/** struct io_uring_rsrc_register.flags: a table of empty slots (5.19+). */
export const IORING_RSRC_REGISTER_SPARSE = 1 << 0;
/**
 * struct io_uring_rsrc_update2.flags (mainline: `resv`, must be 0): `data`
 * points at io_uring_regbuf_desc[nr]. v3 of the series; its RFC v2 (2025-11)
 * used bit 0 with a different 16-byte descriptor.
 */
export const IORING_RSRC_UPDATE_EXTENDED = 1 << 1;

// enum io_uring_regbuf_type
/** Leave the slot empty (uaddr, size, dmabuf_fd and target_fd 0). */
export const IO_REGBUF_TYPE_EMPTY = 0;
/** User memory, like an iovec (dmabuf_fd and target_fd 0). */
export const IO_REGBUF_TYPE_UADDR = 1;
/** A dma-buf (dmabuf_fd) mapped for one file (target_fd); uaddr and size 0. */
export const IO_REGBUF_TYPE_DMABUF = 2;

// struct io_uring_rsrc_update2 (32 bytes)
export const RSRC_UPDATE2_SIZE = 32;
export const RSRC_UPDATE2_OFF_OFFSET = 0;
export const RSRC_UPDATE2_OFF_FLAGS = 4;
export const RSRC_UPDATE2_OFF_DATA = 8;
export const RSRC_UPDATE2_OFF_TAGS = 16;
export const RSRC_UPDATE2_OFF_NR = 24;
export const RSRC_UPDATE2_OFF_RESV2 = 28;

// struct io_uring_rsrc_register (32 bytes)
export const RSRC_REGISTER_SIZE = 32;
export const RSRC_REGISTER_OFF_NR = 0;
export const RSRC_REGISTER_OFF_FLAGS = 4;
export const RSRC_REGISTER_OFF_RESV2 = 8;
export const RSRC_REGISTER_OFF_DATA = 16;
export const RSRC_REGISTER_OFF_TAGS = 24;

// struct io_uring_regbuf_desc (80 bytes, v3 10/10)
export const REGBUF_DESC_SIZE = 80;
export const REGBUF_DESC_OFF_TYPE = 0;
export const REGBUF_DESC_OFF_FLAGS = 4;
export const REGBUF_DESC_OFF_SIZE = 8;
export const REGBUF_DESC_OFF_UADDR = 16;
export const REGBUF_DESC_OFF_DMABUF_FD = 24;
export const REGBUF_DESC_OFF_TARGET_FD = 28;
/** __u64 __resv[6]: must be zero. */
export const REGBUF_DESC_OFF_RESV = 32;

const { EACCES, EBADF, EEXIST, ENXIO, EOVERFLOW } = ERRNO_BY_NAME as Record<"EACCES" | "EBADF" | "EEXIST" | "ENXIO" | "EOVERFLOW", number>;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_I32 = 0x7fff_ffff;

/** One struct io_uring_regbuf_desc. Omitted fields are 0. */
export interface RegbufDesc {
  /** IO_REGBUF_TYPE_EMPTY, IO_REGBUF_TYPE_UADDR or IO_REGBUF_TYPE_DMABUF. */
  type: number;
  /** No flags are defined yet (v3): 0. */
  flags?: number;
  /** UADDR: the length in bytes; DMABUF: 0 (the dma-buf's own size is used). */
  size?: number | bigint;
  /** UADDR: the address; DMABUF: 0. */
  uaddr?: number | bigint;
  /** DMABUF: the dma-buf fd; other types: 0. */
  dmabufFd?: number;
  /** DMABUF: the file the buffer is registered for (e.g. an NVMe block device); other types: 0. */
  targetFd?: number;
}

/**
 * Encodes one struct io_uring_regbuf_desc (little-endian) into `bytes` at
 * byte `at` (a fresh 80-byte array by default) and returns `bytes`; for
 * IORING_RSRC_UPDATE_EXTENDED updates of `nr` slots, encode nr of them back
 * to back. The layout follows the unmerged v3 series and is untested
 * against a kernel that has it. The series' own rules (not checked here,
 * the kernel answers EINVAL): DMABUF wants uaddr and size 0, EMPTY and
 * UADDR want dmabufFd and targetFd 0 (not -1).
 */
export function encodeRegbufDesc(desc: RegbufDesc, bytes: Uint8Array = new Uint8Array(REGBUF_DESC_SIZE), at = 0): Uint8Array {
  const fn = "encodeRegbufDesc";
  if (desc === null || typeof desc !== "object") throw new TypeError(`${fn}(): desc must be an object`);
  const type = checkU32(fn, "desc.type", desc.type);
  const flags = checkU32(fn, "desc.flags", desc.flags ?? 0);
  const size = checkU64(fn, "desc.size", desc.size ?? 0);
  const uaddr = checkU64(fn, "desc.uaddr", desc.uaddr ?? 0);
  const dmabufFd = checkInteger(fn, "desc.dmabufFd", desc.dmabufFd ?? 0, -MAX_I32 - 1, MAX_I32);
  const targetFd = checkInteger(fn, "desc.targetFd", desc.targetFd ?? 0, -MAX_I32 - 1, MAX_I32);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}(): bytes must be a Uint8Array`);
  if (bytes.length < REGBUF_DESC_SIZE) throw new RangeError(`${fn}(): bytes holds ${bytes.length} bytes, fewer than ${REGBUF_DESC_SIZE}`);
  checkInteger(fn, "at", at, 0, bytes.length - REGBUF_DESC_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, REGBUF_DESC_SIZE);
  view.setUint32(REGBUF_DESC_OFF_TYPE, type, true);
  view.setUint32(REGBUF_DESC_OFF_FLAGS, flags, true);
  view.setBigUint64(REGBUF_DESC_OFF_SIZE, size, true);
  view.setBigUint64(REGBUF_DESC_OFF_UADDR, uaddr, true);
  view.setInt32(REGBUF_DESC_OFF_DMABUF_FD, dmabufFd, true);
  view.setInt32(REGBUF_DESC_OFF_TARGET_FD, targetFd, true);
  bytes.fill(0, at + REGBUF_DESC_OFF_RESV, at + REGBUF_DESC_SIZE);
  return bytes;
}

/** One struct io_uring_rsrc_update2. Omitted fields are 0. */
export interface RsrcUpdate2 {
  /** First slot to update. */
  offset?: number;
  /** IORING_RSRC_UPDATE_EXTENDED or 0 (mainline kernels: must be 0). */
  flags?: number;
  /** Address of iovec[nr], or of io_uring_regbuf_desc[nr] with EXTENDED. */
  data?: number | bigint;
  /** Address of u64 tags[nr], or 0. */
  tags?: number | bigint;
  /** Number of slots (the kernel refuses 0). */
  nr: number;
}

/**
 * Encodes struct io_uring_rsrc_update2 (little-endian), the argument of
 * IORING_REGISTER_BUFFERS_UPDATE / FILES_UPDATE2 with nr_args = 32.
 */
export function encodeRsrcUpdate2(up: RsrcUpdate2, bytes: Uint8Array = new Uint8Array(RSRC_UPDATE2_SIZE), at = 0): Uint8Array {
  const fn = "encodeRsrcUpdate2";
  if (up === null || typeof up !== "object") throw new TypeError(`${fn}(): up must be an object`);
  const offset = checkU32(fn, "up.offset", up.offset ?? 0);
  const flags = checkU32(fn, "up.flags", up.flags ?? 0);
  const data = checkU64(fn, "up.data", up.data ?? 0);
  const tags = checkU64(fn, "up.tags", up.tags ?? 0);
  const nr = checkU32(fn, "up.nr", up.nr);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}(): bytes must be a Uint8Array`);
  if (bytes.length < RSRC_UPDATE2_SIZE) throw new RangeError(`${fn}(): bytes holds ${bytes.length} bytes, fewer than ${RSRC_UPDATE2_SIZE}`);
  checkInteger(fn, "at", at, 0, bytes.length - RSRC_UPDATE2_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, RSRC_UPDATE2_SIZE);
  view.setUint32(RSRC_UPDATE2_OFF_OFFSET, offset, true);
  view.setUint32(RSRC_UPDATE2_OFF_FLAGS, flags, true);
  view.setBigUint64(RSRC_UPDATE2_OFF_DATA, data, true);
  view.setBigUint64(RSRC_UPDATE2_OFF_TAGS, tags, true);
  view.setUint32(RSRC_UPDATE2_OFF_NR, nr, true);
  view.setUint32(RSRC_UPDATE2_OFF_RESV2, 0, true);
  return bytes;
}

function checkU64(fn: string, name: string, value: unknown): bigint {
  if (typeof value === "bigint") {
    if (value < 0n || value > MAX_U64) throw new RangeError(`${fn}(): ${name} must be in [0, 2^64), got ${value}n`);
    return value;
  }
  return BigInt(checkInteger(fn, name, value, 0, Number.MAX_SAFE_INTEGER));
}

export interface DmabufProbeResult {
  /** True when IORING_REGISTER_BUFFERS_UPDATE takes IO_REGBUF_TYPE_DMABUF descriptors. */
  supported: boolean;
  /** What the kernel answered and what that means. */
  reason: string;
}

const NO_SERIES = "no dma-buf buffer registration (the 2026 io_uring dmabuf series); registered buffers stay ordinary fixed buffers";

function errnoName(res: number): string {
  return ERRNO_NAMES[-res] ?? `errno ${-res}`;
}

/**
 * What the first probe's answer means: a DmabufProbeResult, or undefined
 * when the kernel took the flags word (go on to probeDmabufTypeRaw). The
 * probe is an update of nr 1 at offset 2^32-1 with flags EXTENDED.
 */
export function interpretExtendedFlagAnswer(res: number, release: string): DmabufProbeResult | undefined {
  const what = "IORING_REGISTER_BUFFERS_UPDATE";
  // Every mainline release since 5.13 refuses a non-zero resv first
  // (io_register_rsrc_update: `if (!up.nr || up.resv || up.resv2) return
  // -EINVAL`); before 5.13 opcode 16 does not exist (EINVAL as well).
  if (res === -EINVAL) {
    return { supported: false, reason: `${what} rejected IORING_RSRC_UPDATE_EXTENDED with EINVAL: this kernel (${release}) has ${NO_SERIES}` };
  }
  // The series no longer refuses the word and then fails the u32 overflow
  // check of offset + nr in __io_register_rsrc_update, before it looks for
  // a table or reads `data`.
  if (res === -EOVERFLOW) return undefined;
  if (res === -EACCES) {
    return { supported: false, reason: `${what} is not allowed on this restricted ring (IORING_REGISTER_RESTRICTIONS): cannot tell whether this kernel (${release}) has dma-buf buffer registration` };
  }
  if (res === -EEXIST) {
    return { supported: false, reason: `${what} answered EEXIST: the ring is IORING_SETUP_SINGLE_ISSUER and this thread is not its submitter; probe from that thread (kernel ${release})` };
  }
  if (res >= 0) {
    return { supported: false, reason: `${what} unexpectedly accepted an update at offset 2^32-1 (returned ${res}); not relying on dma-buf registration on this kernel (${release})` };
  }
  return { supported: false, reason: `${what} with IORING_RSRC_UPDATE_EXTENDED answered ${errnoName(res)}, which neither mainline nor the dmabuf series gives: not relying on dma-buf registration on this kernel (${release})` };
}

/**
 * What the second probe's answer means (only after the first one found the
 * flags word taken): a DMABUF descriptor with target_fd -1 on a ring of the
 * probe's own.
 */
export function interpretDmabufTypeAnswer(res: number, release: string): DmabufProbeResult {
  const what = "IORING_REGISTER_BUFFERS_UPDATE with IORING_RSRC_UPDATE_EXTENDED";
  // io_register_dmabuf (v3 10/10): fget(target_fd) fails first.
  if (res === -EBADF) {
    return {
      supported: true,
      reason: `${what} took an IO_REGBUF_TYPE_DMABUF descriptor and refused its target_fd -1 with EBADF: this kernel (${release}) has dma-buf buffer registration (the 2026 io_uring dmabuf series). ` +
        "Whether a file can use it is decided when a dma-buf is registered for it (NVMe block devices only in v3; others fail)",
    };
  }
  if (res === -EOPNOTSUPP) {
    return { supported: false, reason: `${what} refused IO_REGBUF_TYPE_DMABUF with EOPNOTSUPP: this kernel (${release}) has the dmabuf series but was built without CONFIG_DMABUF_TOKEN` };
  }
  if (res === -EINVAL) {
    return {
      supported: false,
      reason: `${what} was taken but IO_REGBUF_TYPE_DMABUF was refused with EINVAL: this kernel (${release}) has extended buffer updates without dma-buf registration, or another revision of the series (RFC v2 used flag bit 0 and a different descriptor)`,
    };
  }
  if (res === -ENOMEM) {
    return { supported: false, reason: `${what} answered ENOMEM: cannot tell whether this kernel (${release}) has dma-buf buffer registration` };
  }
  return {
    supported: false,
    reason: `${what} answered ${res >= 0 ? `${res}` : errnoName(res)} to an IO_REGBUF_TYPE_DMABUF descriptor with target_fd -1, not the series' EBADF: not relying on dma-buf registration on this kernel (${release})`,
  };
}

// Scratch memory: update2 at 0, one descriptor at 32, rsrc_register at 112.
// One allocation whose address is taken once, for the whole synchronous call.
const SCRATCH_DESC = RSRC_UPDATE2_SIZE;
const SCRATCH_REGISTER = SCRATCH_DESC + REGBUF_DESC_SIZE;
const SCRATCH_BYTES = SCRATCH_REGISTER + RSRC_REGISTER_SIZE;

function extendedUpdate(native: Native, ringFd: number, offset: number, desc: RegbufDesc): number {
  const mem = new Uint8Array(SCRATCH_BYTES);
  const base = native.addressOf(mem);
  encodeRegbufDesc(desc, mem, SCRATCH_DESC);
  encodeRsrcUpdate2({ offset, flags: IORING_RSRC_UPDATE_EXTENDED, data: base + SCRATCH_DESC, nr: 1 }, mem, 0);
  return native.register(ringFd, IORING_REGISTER_BUFFERS_UPDATE, base, RSRC_UPDATE2_SIZE);
}

const PARAMS_BYTES = 120; // struct io_uring_params

/**
 * The second probe, raw: on a 1-entry ring set up for it (never the
 * caller's, whose table may be in use), register a 1-slot sparse buffer
 * table and update slot 0 with an IO_REGBUF_TYPE_DMABUF descriptor whose
 * dmabuf_fd and target_fd are -1, which no kernel can install; then close
 * that ring, table and all. Returns the update's result (a ring-setup or
 * table failure as a string). Only meaningful once the first probe found
 * the flags word taken: mainline answers EINVAL here for the flags word.
 */
export function probeDmabufTypeRaw(native: Native): number | string {
  const params = new Uint8Array(PARAMS_BYTES);
  const fd = native.setup(1, native.addressOf(params));
  if (fd < 0) return `could not set up a 1-entry scratch ring (${errnoName(fd)})`;
  try {
    const mem = new Uint8Array(RSRC_REGISTER_SIZE);
    const view = new DataView(mem.buffer);
    view.setUint32(RSRC_REGISTER_OFF_NR, 1, true);
    view.setUint32(RSRC_REGISTER_OFF_FLAGS, IORING_RSRC_REGISTER_SPARSE, true);
    const reg = native.register(fd, IORING_REGISTER_BUFFERS2, native.addressOf(mem), RSRC_REGISTER_SIZE);
    if (reg < 0) return `could not register a sparse buffer table on the scratch ring (${errnoName(reg)})`;
    return extendedUpdate(native, fd, 0, { type: IO_REGBUF_TYPE_DMABUF, dmabufFd: -1, targetFd: -1 });
  } finally {
    native.close(fd);
  }
}

/**
 * Does the running kernel register dma-bufs as io_uring buffers? Touches
 * nothing on `ringFd`: it asks for an extended update at offset 2^32-1,
 * which mainline rejects (EINVAL: the flags word is reserved) and the
 * series fails with EOVERFLOW before looking at any table, so the answer is
 * the same whether or not the ring has buffers registered or in flight.
 * Only when the word is taken does it confirm the dma-buf type on a scratch
 * ring of its own (probeDmabufTypeRaw). Throws a UringError if ringFd is
 * not an io_uring fd.
 */
export function probeDmabufRegistration(native: Native, ringFd: number): DmabufProbeResult {
  const fn = "probeDmabufRegistration";
  const fd = checkFd(fn, ringFd, "ringFd");
  const release = kernelRelease(native) ?? "release unknown";
  const first = extendedUpdate(native, fd, 0xffff_ffff, { type: IO_REGBUF_TYPE_EMPTY });
  if (first === -EBADF || first === -EOPNOTSUPP) throw uringError(fn, first, `ringFd ${fd} is not an open io_uring fd`);
  const verdict = interpretExtendedFlagAnswer(first, release);
  if (verdict) return verdict;
  const second = probeDmabufTypeRaw(native);
  if (typeof second === "string") {
    return { supported: false, reason: `IORING_REGISTER_BUFFERS_UPDATE took IORING_RSRC_UPDATE_EXTENDED, but the dma-buf type could not be confirmed: ${second} (kernel ${release})` };
  }
  if (second === -ENXIO) {
    return { supported: false, reason: `the scratch ring's buffer table was not found (ENXIO) for the dma-buf type check: not relying on dma-buf registration on this kernel (${release})` };
  }
  return interpretDmabufTypeAnswer(second, release);
}
