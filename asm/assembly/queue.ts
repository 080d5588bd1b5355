// Submission and completion bookkeeping for one ring: the producer side of
// the SQ and the consumer side of the CQ. The same code drives a kernel
// ring (IORING_SETUP_NO_MMAP, rings in this memory) and the shadow ring of
// mmap mode, where native/us_mmap_enter plays the kernel's part.
import { io_uring_smp_load_acquire, io_uring_smp_store_release } from "./barrier";
import {
  P_FLAGS, P_SQ_OFF, P_CQ_OFF,
  SQO_HEAD, SQO_TAIL, SQO_RING_MASK, SQO_RING_ENTRIES, SQO_FLAGS, SQO_DROPPED, SQO_ARRAY,
  CQO_HEAD, CQO_TAIL, CQO_RING_MASK, CQO_RING_ENTRIES, CQO_OVERFLOW, CQO_CQES, CQO_FLAGS,
  SHADOW_SQ_HEAD, SHADOW_SQ_TAIL, SHADOW_SQ_FLAGS, SHADOW_SQ_DROPPED, SHADOW_CQ_HEAD,
  SHADOW_CQ_TAIL, SHADOW_CQ_OVERFLOW, SHADOW_CQ_FLAGS, SHADOW_SQ_ENTRIES, SHADOW_CQ_ENTRIES, SHADOW_SQES,
  IORING_SETUP_NO_SQARRAY, IORING_CQ_EVENTFD_DISABLED,
  CQE_OFF_USER_DATA, CQE_OFF_RES, CQE_OFF_FLAGS, CQE_OFF_BIG_CQE,
} from "./abi";
import {
  PARAMS_AT, regionRings, regionSqes, regionCompletions, completionCapacity,
  sqeSizeFor, cqeSizeFor,
} from "./layout";

let sqHeadPtr: usize = 0;
let sqTailPtr: usize = 0;
let sqFlagsPtr: usize = 0;
let sqDroppedPtr: usize = 0;
let sqMask: u32 = 0;
let sqEntries: u32 = 0;
let sqesBase: usize = 0;
let sqeShift: u32 = 6;
// Next SQE to hand out; published to *sqTailPtr by flushSq().
let sqeTail: u32 = 0;
// The SQ head as last read: getSqe re-reads the kernel's only when it must.
let sqHeadSeen: u32 = 0;

let cqHeadPtr: usize = 0;
let cqTailPtr: usize = 0;
let cqOverflowPtr: usize = 0;
let cqFlagsPtr: usize = 0;
let cqMask: u32 = 0;
let cqEntries: u32 = 0;
let cqesBase: usize = 0;
let cqeShift: u32 = 4;

function setSizes(setupFlags: u32): void {
  sqeShift = sqeSizeFor(setupFlags) == 128 ? 7 : 6;
  cqeShift = cqeSizeFor(setupFlags) == 32 ? 5 : 4;
  sqeTail = 0;
  sqHeadSeen = 0;
}

// Binds the queue to a kernel ring set up with IORING_SETUP_NO_MMAP, using
// the offsets the kernel wrote back into the params at PARAMS_AT.
export function initKernelRing(): void {
  const p: usize = PARAMS_AT;
  const flags = load<u32>(p, P_FLAGS);
  const rings: usize = regionRings;
  const sq: usize = p + P_SQ_OFF;
  const cq: usize = p + P_CQ_OFF;
  setSizes(flags);
  sqHeadPtr = rings + load<u32>(sq, SQO_HEAD);
  sqTailPtr = rings + load<u32>(sq, SQO_TAIL);
  sqFlagsPtr = rings + load<u32>(sq, SQO_FLAGS);
  sqDroppedPtr = rings + load<u32>(sq, SQO_DROPPED);
  sqMask = load<u32>(rings + load<u32>(sq, SQO_RING_MASK));
  sqEntries = load<u32>(rings + load<u32>(sq, SQO_RING_ENTRIES));
  sqesBase = regionSqes;
  cqHeadPtr = rings + load<u32>(cq, CQO_HEAD);
  cqTailPtr = rings + load<u32>(cq, CQO_TAIL);
  cqOverflowPtr = rings + load<u32>(cq, CQO_OVERFLOW);
  cqFlagsPtr = rings + load<u32>(cq, CQO_FLAGS);
  cqMask = load<u32>(rings + load<u32>(cq, CQO_RING_MASK));
  cqEntries = load<u32>(rings + load<u32>(cq, CQO_RING_ENTRIES));
  cqesBase = rings + load<u32>(cq, CQO_CQES);
  sqeTail = load<u32>(sqTailPtr);
  sqHeadSeen = load<u32>(sqHeadPtr);
  if (!(flags & IORING_SETUP_NO_SQARRAY)) {
    // Identity index array: SQE slot i is always submitted as index i,
    // since getSqe hands slots out in ring order.
    const array: usize = rings + load<u32>(sq, SQO_ARRAY);
    for (let i: u32 = 0; i < sqEntries; i++) store<u32>(array + (<usize>i << 2), i);
  }
}

// Binds the queue to the shadow ring at the rings region (mmap mode); its
// header was initialised by native us_mmap_rings.
export function initShadowRing(setupFlags: u32): void {
  const s: usize = regionRings;
  setSizes(setupFlags);
  sqHeadPtr = s + SHADOW_SQ_HEAD;
  sqTailPtr = s + SHADOW_SQ_TAIL;
  sqFlagsPtr = s + SHADOW_SQ_FLAGS;
  sqDroppedPtr = s + SHADOW_SQ_DROPPED;
  sqEntries = load<u32>(s, SHADOW_SQ_ENTRIES);
  sqMask = sqEntries - 1;
  sqesBase = s + SHADOW_SQES;
  cqHeadPtr = s + SHADOW_CQ_HEAD;
  cqTailPtr = s + SHADOW_CQ_TAIL;
  cqOverflowPtr = s + SHADOW_CQ_OVERFLOW;
  cqFlagsPtr = s + SHADOW_CQ_FLAGS;
  cqEntries = load<u32>(s, SHADOW_CQ_ENTRIES);
  cqMask = cqEntries - 1;
  cqesBase = sqesBase + (<usize>sqEntries << sqeShift);
  sqeTail = load<u32>(sqTailPtr);
  sqHeadSeen = load<u32>(sqHeadPtr);
}

// The one place an SQE is zeroed: every prep helper relies on getting a
// zeroed SQE and writes only the fields it sets (liburing zeroes in its
// prep helpers instead; the contract here is explicit). Returns the SQE's
// address, or 0 when the SQ is full (the caller flushes or queues; nothing
// is ever overwritten).
export function getSqe(): usize {
  // The kernel's head only moves forward: reload it (a load-acquire pairing
  // with its store-release once it has consumed entries, or native's in
  // mmap mode) only when the last value read says the SQ is full.
  if (sqeTail - sqHeadSeen >= sqEntries) {
    sqHeadSeen = io_uring_smp_load_acquire(sqHeadPtr);
    if (sqeTail - sqHeadSeen >= sqEntries) return 0;
  }
  const sqe: usize = sqesBase + (<usize>(sqeTail & sqMask) << sqeShift);
  // Plain 64-bit stores: cheaper than memory.fill for one SQE.
  store<u64>(sqe, 0);
  store<u64>(sqe, 0, 8);
  store<u64>(sqe, 0, 16);
  store<u64>(sqe, 0, 24);
  store<u64>(sqe, 0, 32);
  store<u64>(sqe, 0, 40);
  store<u64>(sqe, 0, 48);
  store<u64>(sqe, 0, 56);
  if (sqeShift == 7) memory.fill(sqe + 64, 0, 64); // SQE128
  sqeTail++;
  return sqe;
}

// Free SQEs right now.
export function sqSpaceLeft(): u32 {
  return sqEntries - (sqeTail - io_uring_smp_load_acquire(sqHeadPtr));
}

// Publishes every SQE handed out so far and returns how many the kernel
// has yet to consume (the to_submit for io_uring_enter).
export function flushSq(): u32 {
  // Pairs with the kernel's load-acquire of the SQ tail (io_sqring_entries):
  // the SQE stores above become visible before the new tail.
  io_uring_smp_store_release(sqTailPtr, sqeTail);
  return sqeTail - io_uring_smp_load_acquire(sqHeadPtr);
}

// SQ ring flags (IORING_SQ_NEED_WAKEUP, IORING_SQ_CQ_OVERFLOW,
// IORING_SQ_TASKRUN). Sequentially consistent: with SQPOLL this load must
// not pass the tail store in flushSq (liburing's smp_mb before reading it).
export function sqFlags(): u32 {
  return atomic.load<u32>(sqFlagsPtr);
}

export function sqDropped(): u32 {
  return atomic.load<u32>(sqDroppedPtr);
}

export function sqRingEntries(): u32 {
  return sqEntries;
}

export function cqRingEntries(): u32 {
  return cqEntries;
}

export function cqOverflow(): u32 {
  return atomic.load<u32>(cqOverflowPtr);
}

// io_uring_cq_eventfd_toggle: with IORING_CQ_EVENTFD_DISABLED set the
// kernel does not signal the registered eventfd, so an idle promise API
// costs a batch loop nothing. Sequentially consistent, so a cqReady() after
// enabling sees every CQE posted while notifications were off (mmap mode:
// after native's next call, which applies the flag).
export function cqEventfdToggle(enabled: bool): void {
  const flags = atomic.load<u32>(cqFlagsPtr);
  atomic.store<u32>(cqFlagsPtr, enabled ? flags & ~IORING_CQ_EVENTFD_DISABLED : flags | IORING_CQ_EVENTFD_DISABLED);
}

// CQEs waiting to be reaped.
export function cqReady(): u32 {
  // Pairs with the kernel's store-release of the CQ tail (io_commit_cqring).
  return io_uring_smp_load_acquire(cqTailPtr) - load<u32>(cqHeadPtr);
}

// Drains up to max CQEs into the compact completion array at
// completionsAt() (per CQE: user_data lo, user_data hi, res, flags as i32
// words, then on a CQE32 ring big_cqe[0] and big_cqe[1] as lo/hi words)
// and advances the CQ head once for the whole batch. Returns the count.
export function reap(max: u32): u32 {
  const head = load<u32>(cqHeadPtr);
  // Pairs with the kernel's store-release of the CQ tail: CQE contents are
  // visible once the new tail is.
  const tail = io_uring_smp_load_acquire(cqTailPtr);
  let n = tail - head;
  if (n > max) n = max;
  if (n > completionCapacity) n = completionCapacity;
  const big = cqeShift == 5;
  let out: usize = regionCompletions;
  for (let i: u32 = 0; i < n; i++) {
    const cqe: usize = cqesBase + (<usize>((head + i) & cqMask) << cqeShift);
    store<u64>(out, load<u64>(cqe, CQE_OFF_USER_DATA));
    store<i32>(out, load<i32>(cqe, CQE_OFF_RES), 8);
    store<u32>(out, load<u32>(cqe, CQE_OFF_FLAGS), 12);
    if (big) {
      store<u64>(out, load<u64>(cqe, CQE_OFF_BIG_CQE), 16);
      store<u64>(out, load<u64>(cqe, CQE_OFF_BIG_CQE + 8), 24);
      out += 32;
    } else {
      out += 16;
    }
  }
  // Pairs with the kernel's load-acquire of the CQ head when it checks for
  // room: the CQE slots are not reused before this store.
  if (n) io_uring_smp_store_release(cqHeadPtr, head + n);
  return n;
}

export function completionsAt(): usize {
  return regionCompletions;
}
