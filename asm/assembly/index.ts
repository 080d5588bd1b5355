// uring.wasm: the ring core. No imports but the host-created memory, no
// allocation, no syscalls; core/ calls these exports and native/ enters.
export {
  ringLayout, prepareParams, paramsSqEntries,
  regionRings, regionRingsBytes, regionSqes, regionCompletions, completionCapacity, completionWords,
  totalBytes, PARAMS_AT, MMAP_CTX_AT, WAITER_AT, SCRATCH_AT, SCRATCH_BYTES,
} from "./layout";
export {
  initKernelRing, initShadowRing, getSqe, sqSpaceLeft, flushSq, sqFlags, sqDropped,
  sqRingEntries, cqRingEntries, cqOverflow, cqReady, reap, completionsAt, cqEventfdToggle,
} from "./queue";
export { prepRw, sqeSetData, sqeSetFlags, sqeSetBufGroup } from "./sqe";
export {
  prepNop, prepRead, prepWrite, prepReadv, prepReadv2, prepWritev, prepWritev2, prepReadFixed,
  prepWriteFixed, prepReadvFixed, prepWritevFixed, prepReadMultishot, prepTimeout, prepTimeoutRemove,
  prepTimeoutUpdate, prepLinkTimeout, prepCancel64, prepCancel, prepCancelFd,
} from "./prep";
export {
  prepFsync, prepSyncFileRange, prepFallocate, prepFadvise, prepFadvise64, prepMadvise, prepMadvise64,
  prepFtruncate, prepSplice, prepTee, prepClose, prepCloseDirect, prepFilesUpdate, prepFixedFdInstall,
  prepPipe, prepPipeDirect,
} from "./prep-fs";
export {
  prepOpenat, prepOpenatDirect, prepOpen, prepOpenDirect, prepOpenat2, prepOpenat2Direct, prepStatx,
  prepRenameat, prepRename, prepUnlinkat, prepUnlink, prepMkdirat, prepMkdir, prepSymlinkat, prepSymlink,
  prepLinkat, prepLink, prepGetxattr, prepSetxattr, prepFgetxattr, prepFsetxattr,
} from "./prep-path";
export {
  prepSocket, prepSocketDirect, prepSocketDirectAlloc, prepConnect, prepBind, prepListen, prepAccept,
  prepAcceptDirect, prepMultishotAccept, prepMultishotAcceptDirect, prepSend, prepSendBundle,
  prepSendSetAddr, prepSendto, prepSendZc, prepSendZcFixed, prepSendmsg, prepSendmsgZc, prepSendmsgZcFixed,
  prepRecv, prepRecvMultishot, prepRecvmsg, prepRecvmsgMultishot, prepRecvZc, prepShutdown,
} from "./prep-net";
export {
  prepPollAdd, prepPollMultishot, prepPollRemove, prepPollUpdate, prepEpollCtl, prepEpollWait,
  prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd, prepMsgRingFdAlloc, prepFutexWake, prepFutexWait,
  prepFutexWaitv, prepWaitid, prepProvideBuffers, prepRemoveBuffers,
} from "./prep-control";
export { prepUringCmd, prepCmdSock, prepCmdGetsockname, prepCmdDiscard, prepCmdZoneResetAll } from "./prep-cmd";
export { enqueueNop, enqueueRead, enqueueWrite, enqueueReadFixed, enqueueWriteFixed } from "./enqueue";
