// Where a ring's regions live in this instance's linear memory. The memory
// is created by the host with exactly ringLayout()'s size (initial ==
// maximum), so addresses handed to the kernel never move.
import {
  IORING_SETUP_SQE128, IORING_SETUP_CQE32, IORING_SETUP_NO_MMAP,
  SHADOW_SQES, PARAMS_SIZE, SQE_SIZE, SQE128_SIZE,
  P_SQ_ENTRIES, P_CQ_ENTRIES, P_FLAGS, P_SQ_THREAD_CPU, P_SQ_THREAD_IDLE,
  P_SQ_OFF, P_CQ_OFF, SQO_USER_ADDR, CQO_USER_ADDR,
} from "./abi";

export const PAGE: u32 = 4096;
// Fixed scratch areas in the first page, below any ring region.
export const PARAMS_AT: u32 = 256; // struct io_uring_params
export const MMAP_CTX_AT: u32 = 512; // US_MMAP_CTX_SIZE (256)
export const WAITER_AT: u32 = 768; // US_WAITER_SIZE (64)
export const SCRATCH_AT: u32 = 1024; // 3 KiB for native out-parameters
export const SCRATCH_BYTES: u32 = 3072;
export const REGIONS_AT: u32 = PAGE;
// struct io_rings header before its CQE array is 320 bytes on x86-64
// (two cacheline-aligned head/tail pairs plus counters); leave room for
// wider cachelines on other architectures.
const RINGS_HEADER_BUDGET: u32 = 1024;
// One compact completion, as i32 words: user_data lo, user_data hi, res,
// flags; on an IORING_SETUP_CQE32 ring also big_cqe[0] lo/hi and
// big_cqe[1] lo/hi (8 words).
export function completionWordsFor(setupFlags: u32): u32 {
  return setupFlags & IORING_SETUP_CQE32 ? 8 : 4;
}

export let regionRings: u32 = 0;
export let regionRingsBytes: u32 = 0;
export let regionSqes: u32 = 0;
export let regionSqesBytes: u32 = 0;
export let regionCompletions: u32 = 0;
export let completionCapacity: u32 = 0;
export let completionWords: u32 = 4;
export let totalBytes: u32 = 0;

// @ts-ignore: decorator
@inline export function pageAlign(n: u32): u32 {
  return (n + PAGE - 1) & ~(PAGE - 1);
}

export function sqeSizeFor(setupFlags: u32): u32 {
  return setupFlags & IORING_SETUP_SQE128 ? SQE128_SIZE : SQE_SIZE;
}

export function cqeSizeFor(setupFlags: u32): u32 {
  return setupFlags & IORING_SETUP_CQE32 ? 32 : 16;
}

// Computes every region for a ring of sqEntries/cqEntries (powers of two,
// as the kernel will round them) and returns the bytes of linear memory it
// needs. With IORING_SETUP_NO_MMAP the rings region is the kernel's
// struct io_rings (sized like the kernel's rings_size(), with the SQ index
// array) and the SQE array is its own page-aligned region; otherwise the
// rings region is the shadow ring of native/include/uringshim.h, SQEs
// inside it.
export function ringLayout(sqEntries: u32, cqEntries: u32, setupFlags: u32): u32 {
  const sqeSize = sqeSizeFor(setupFlags);
  const cqeSize = cqeSizeFor(setupFlags);
  regionRings = REGIONS_AT;
  if (setupFlags & IORING_SETUP_NO_MMAP) {
    const cqEnd = RINGS_HEADER_BUDGET + cqEntries * cqeSize;
    regionRingsBytes = pageAlign(((cqEnd + 63) & ~63) + sqEntries * 4);
    regionSqes = regionRings + regionRingsBytes;
    regionSqesBytes = pageAlign(sqEntries * sqeSize);
  } else {
    regionRingsBytes = pageAlign(SHADOW_SQES + sqEntries * sqeSize + cqEntries * cqeSize);
    regionSqes = regionRings + SHADOW_SQES;
    regionSqesBytes = 0;
  }
  regionCompletions = regionRings + regionRingsBytes + regionSqesBytes;
  completionCapacity = cqEntries;
  completionWords = completionWordsFor(setupFlags);
  totalBytes = regionCompletions + pageAlign(cqEntries * completionWords * 4);
  return totalBytes;
}

// Fills the io_uring_params at PARAMS_AT for io_uring_setup(2). memBase is
// the host address of this linear memory (exact as f64 below 2^53).
export function prepareParams(
  cqEntries: u32, setupFlags: u32, sqThreadCpu: u32, sqThreadIdle: u32, memBase: f64,
): usize {
  const p: usize = PARAMS_AT;
  memory.fill(p, 0, PARAMS_SIZE);
  store<u32>(p, cqEntries, P_CQ_ENTRIES);
  store<u32>(p, setupFlags, P_FLAGS);
  store<u32>(p, sqThreadCpu, P_SQ_THREAD_CPU);
  store<u32>(p, sqThreadIdle, P_SQ_THREAD_IDLE);
  if (setupFlags & IORING_SETUP_NO_MMAP) {
    const base = <u64>memBase;
    store<u64>(p + P_SQ_OFF, base + <u64>regionSqes, SQO_USER_ADDR);
    store<u64>(p + P_CQ_OFF, base + <u64>regionRings, CQO_USER_ADDR);
  }
  return p;
}

export function paramsSqEntries(): u32 {
  return load<u32>(PARAMS_AT, P_SQ_ENTRIES);
}
