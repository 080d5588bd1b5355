// uring.wasm: the ring core. No imports but the host-created memory, no
// allocation, no syscalls; core/ calls these exports and native/ enters.
export {
  ringLayout, prepareParams, paramsSqEntries,
  regionRings, regionRingsBytes, regionSqes, regionCompletions, completionCapacity, totalBytes,
  PARAMS_AT, MMAP_CTX_AT, WAITER_AT, SCRATCH_AT, SCRATCH_BYTES,
} from "./layout";
export {
  initKernelRing, initShadowRing, getSqe, sqSpaceLeft, flushSq, sqFlags, sqDropped,
  sqRingEntries, cqRingEntries, cqOverflow, cqReady, reap, completionsAt, cqEventfdToggle,
} from "./queue";
export {
  prepRw, sqeSetData, sqeSetFlags, prepNop, prepReadv, prepReadv2, prepReadFixed, prepWritev,
  prepWritev2, prepWriteFixed, prepFsync, prepTimeout, prepTimeoutRemove, prepCancel64,
  prepCancelFd, prepLinkTimeout, prepOpenat, prepClose, prepStatx, prepRead, prepWrite,
  enqueueNop, enqueueRead, enqueueWrite,
} from "./prep";
