// Loads asm/build/uring.wasm (built by `npm ci`) and types its exports.
import { getHost } from "./native.ts";
import { wasmPath } from "./paths.ts";

type U32Global = { value: number };

/** The exports of asm/assembly/index.ts. Addresses are offsets in the instance's memory unless named otherwise. */
export interface UringWasm {
  ringLayout(sqEntries: number, cqEntries: number, setupFlags: number): number;
  prepareParams(cqEntries: number, setupFlags: number, sqThreadCpu: number, sqThreadIdle: number, memBase: number): number;
  paramsSqEntries(): number;
  regionRings: U32Global;
  regionRingsBytes: U32Global;
  regionSqes: U32Global;
  regionCompletions: U32Global;
  completionCapacity: U32Global;
  /** i32 words per reaped completion: 4, or 8 on an IORING_SETUP_CQE32 ring. */
  completionWords: U32Global;
  totalBytes: U32Global;
  PARAMS_AT: U32Global;
  MMAP_CTX_AT: U32Global;
  WAITER_AT: U32Global;
  SCRATCH_AT: U32Global;
  SCRATCH_BYTES: U32Global;
  initKernelRing(): void;
  initShadowRing(setupFlags: number): void;
  getSqe(): number;
  sqSpaceLeft(): number;
  flushSq(): number;
  sqFlags(): number;
  sqDropped(): number;
  sqRingEntries(): number;
  cqRingEntries(): number;
  cqOverflow(): number;
  cqReady(): number;
  cqEventfdToggle(enabled: boolean): void;
  reap(max: number): number;
  completionsAt(): number;
  // sqe.ts: io_uring_prep_rw and the io_uring_sqe_set_* setters
  prepRw(op: number, sqe: number, fd: number, addr: number, len: number, offset: number): void;
  sqeSetData(sqe: number, lo: number, hi: number): void;
  sqeSetFlags(sqe: number, flags: number): void;
  sqeSetBufGroup(sqe: number, bgid: number): void;
  // prep.ts: read/write, NOP, timeouts, cancellation
  prepNop(sqe: number): void;
  prepRead(sqe: number, fd: number, buf: number, nbytes: number, offset: number): void;
  prepWrite(sqe: number, fd: number, buf: number, nbytes: number, offset: number): void;
  prepReadv(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number): void;
  prepReadv2(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void;
  prepWritev(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number): void;
  prepWritev2(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void;
  prepReadFixed(sqe: number, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number): void;
  prepWriteFixed(sqe: number, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number): void;
  prepReadvFixed(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number, bufIndex: number): void;
  prepWritevFixed(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number, bufIndex: number): void;
  prepReadMultishot(sqe: number, fd: number, nbytes: number, offset: number, bufGroup: number): void;
  prepTimeout(sqe: number, ts: number, count: number, flags: number): void;
  prepTimeoutRemove(sqe: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepTimeoutUpdate(sqe: number, ts: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepLinkTimeout(sqe: number, ts: number, flags: number): void;
  prepCancel64(sqe: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepCancel(sqe: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepCancelFd(sqe: number, fd: number, flags: number): void;
  // prep-fs.ts: sync, space and advice, splice/tee, close, direct descriptors, pipes
  prepFsync(sqe: number, fd: number, fsyncFlags: number): void;
  prepSyncFileRange(sqe: number, fd: number, len: number, offset: number, flags: number): void;
  prepFallocate(sqe: number, fd: number, mode: number, offset: number, len: number): void;
  prepFadvise(sqe: number, fd: number, offset: number, len: number, advice: number): void;
  prepFadvise64(sqe: number, fd: number, offset: number, len: number, advice: number): void;
  prepMadvise(sqe: number, addr: number, length: number, advice: number): void;
  prepMadvise64(sqe: number, addr: number, length: number, advice: number): void;
  prepFtruncate(sqe: number, fd: number, len: number): void;
  prepSplice(sqe: number, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, spliceFlags: number): void;
  prepTee(sqe: number, fdIn: number, fdOut: number, nbytes: number, spliceFlags: number): void;
  prepClose(sqe: number, fd: number): void;
  prepCloseDirect(sqe: number, fileIndex: number): void;
  prepFilesUpdate(sqe: number, fds: number, nrFds: number, offset: number): void;
  prepFixedFdInstall(sqe: number, fd: number, flags: number): void;
  prepPipe(sqe: number, fds: number, pipeFlags: number): void;
  prepPipeDirect(sqe: number, fds: number, pipeFlags: number, fileIndex: number): void;
  // prep-path.ts: open, stat, rename, unlink, mkdir, symlink, link, xattr
  prepOpenat(sqe: number, dfd: number, path: number, flags: number, mode: number): void;
  prepOpenatDirect(sqe: number, dfd: number, path: number, flags: number, mode: number, fileIndex: number): void;
  prepOpen(sqe: number, path: number, flags: number, mode: number): void;
  prepOpenDirect(sqe: number, path: number, flags: number, mode: number, fileIndex: number): void;
  prepOpenat2(sqe: number, dfd: number, path: number, how: number): void;
  prepOpenat2Direct(sqe: number, dfd: number, path: number, how: number, fileIndex: number): void;
  prepStatx(sqe: number, dfd: number, path: number, flags: number, mask: number, statxbuf: number): void;
  prepRenameat(sqe: number, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number): void;
  prepRename(sqe: number, oldpath: number, newpath: number): void;
  prepUnlinkat(sqe: number, dfd: number, path: number, flags: number): void;
  prepUnlink(sqe: number, path: number, flags: number): void;
  prepMkdirat(sqe: number, dfd: number, path: number, mode: number): void;
  prepMkdir(sqe: number, path: number, mode: number): void;
  prepSymlinkat(sqe: number, target: number, newdirfd: number, linkpath: number): void;
  prepSymlink(sqe: number, target: number, linkpath: number): void;
  prepLinkat(sqe: number, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number): void;
  prepLink(sqe: number, oldpath: number, newpath: number, flags: number): void;
  prepGetxattr(sqe: number, name: number, value: number, path: number, len: number): void;
  prepSetxattr(sqe: number, name: number, value: number, path: number, flags: number, len: number): void;
  prepFgetxattr(sqe: number, fd: number, name: number, value: number, len: number): void;
  prepFsetxattr(sqe: number, fd: number, name: number, value: number, flags: number, len: number): void;
  // prep-net.ts: sockets
  prepSocket(sqe: number, domain: number, type: number, protocol: number, flags: number): void;
  prepSocketDirect(sqe: number, domain: number, type: number, protocol: number, fileIndex: number, flags: number): void;
  prepSocketDirectAlloc(sqe: number, domain: number, type: number, protocol: number, flags: number): void;
  prepConnect(sqe: number, fd: number, addr: number, addrlen: number): void;
  prepBind(sqe: number, fd: number, addr: number, addrlen: number): void;
  prepListen(sqe: number, fd: number, backlog: number): void;
  prepAccept(sqe: number, fd: number, addr: number, addrlen: number, flags: number): void;
  prepAcceptDirect(sqe: number, fd: number, addr: number, addrlen: number, flags: number, fileIndex: number): void;
  prepMultishotAccept(sqe: number, fd: number, addr: number, addrlen: number, flags: number): void;
  prepMultishotAcceptDirect(sqe: number, fd: number, addr: number, addrlen: number, flags: number): void;
  prepSend(sqe: number, sockfd: number, buf: number, len: number, flags: number): void;
  prepSendBundle(sqe: number, sockfd: number, len: number, flags: number): void;
  prepSendSetAddr(sqe: number, destAddr: number, addrLen: number): void;
  prepSendto(sqe: number, sockfd: number, buf: number, len: number, flags: number, addr: number, addrlen: number): void;
  prepSendZc(sqe: number, sockfd: number, buf: number, len: number, flags: number, zcFlags: number): void;
  prepSendZcFixed(sqe: number, sockfd: number, buf: number, len: number, flags: number, zcFlags: number, bufIndex: number): void;
  prepSendmsg(sqe: number, fd: number, msg: number, flags: number): void;
  prepSendmsgZc(sqe: number, fd: number, msg: number, flags: number): void;
  prepSendmsgZcFixed(sqe: number, fd: number, msg: number, flags: number, bufIndex: number): void;
  prepRecv(sqe: number, sockfd: number, buf: number, len: number, flags: number): void;
  prepRecvMultishot(sqe: number, sockfd: number, buf: number, len: number, flags: number): void;
  prepRecvmsg(sqe: number, fd: number, msg: number, flags: number): void;
  prepRecvmsgMultishot(sqe: number, fd: number, msg: number, flags: number): void;
  prepRecvZc(sqe: number, sockfd: number, len: number, recvFlags: number, zcrxIfqIdx: number): void;
  prepShutdown(sqe: number, fd: number, how: number): void;
  // prep-control.ts: poll, epoll, msg_ring, futex, waitid, provided buffers
  prepPollAdd(sqe: number, fd: number, pollMask: number): void;
  prepPollMultishot(sqe: number, fd: number, pollMask: number): void;
  prepPollRemove(sqe: number, userDataLo: number, userDataHi: number): void;
  prepPollUpdate(
    sqe: number, oldUserDataLo: number, oldUserDataHi: number, newUserDataLo: number, newUserDataHi: number,
    pollMask: number, flags: number,
  ): void;
  prepEpollCtl(sqe: number, epfd: number, fd: number, op: number, ev: number): void;
  prepEpollWait(sqe: number, fd: number, events: number, maxevents: number, flags: number): void;
  prepMsgRing(sqe: number, fd: number, len: number, dataLo: number, dataHi: number, flags: number): void;
  prepMsgRingCqeFlags(sqe: number, fd: number, len: number, dataLo: number, dataHi: number, flags: number, cqeFlags: number): void;
  prepMsgRingFd(sqe: number, fd: number, sourceFd: number, targetFd: number, dataLo: number, dataHi: number, flags: number): void;
  prepMsgRingFdAlloc(sqe: number, fd: number, sourceFd: number, dataLo: number, dataHi: number, flags: number): void;
  prepFutexWake(
    sqe: number, futex: number, valLo: number, valHi: number, maskLo: number, maskHi: number, futexFlags: number, flags: number,
  ): void;
  prepFutexWait(
    sqe: number, futex: number, valLo: number, valHi: number, maskLo: number, maskHi: number, futexFlags: number, flags: number,
  ): void;
  prepFutexWaitv(sqe: number, futex: number, nrFutex: number, flags: number): void;
  prepWaitid(sqe: number, idtype: number, id: number, infop: number, options: number, flags: number): void;
  prepProvideBuffers(sqe: number, addr: number, len: number, nr: number, bgid: number, bid: number): void;
  prepRemoveBuffers(sqe: number, nr: number, bgid: number): void;
  // prep-cmd.ts: IORING_OP_URING_CMD
  prepUringCmd(sqe: number, cmdOp: number, fd: number): void;
  prepCmdSock(sqe: number, cmdOp: number, fd: number, level: number, optname: number, optval: number, optlen: number): void;
  prepCmdGetsockname(sqe: number, fd: number, sockaddr: number, sockaddrLen: number, peer: number): void;
  prepCmdDiscard(sqe: number, fd: number, offset: number, nbytes: number): void;
  prepCmdZoneResetAll(sqe: number, fd: number): void;
  // enqueue.ts: getSqe + prep + set_data in one call
  enqueueNop(userDataLo: number, userDataHi: number): number;
  enqueueRead(fd: number, buf: number, nbytes: number, offset: number, userDataLo: number, userDataHi: number): number;
  enqueueWrite(fd: number, buf: number, nbytes: number, offset: number, userDataLo: number, userDataHi: number): number;
  enqueueReadFixed(
    fd: number, buf: number, nbytes: number, offset: number, bufIndex: number, sqeFlags: number, userDataLo: number, userDataHi: number,
  ): number;
  enqueueWriteFixed(
    fd: number, buf: number, nbytes: number, offset: number, bufIndex: number, sqeFlags: number, userDataLo: number, userDataHi: number,
  ): number;
}

// Compiled once per process, on first use (the first Ring.open, not at
// import), and instantiated once per ring: every ring of the process shares
// the Module, and the scratch instance ringMemoryBytes sizes rings with.
let compiled: WebAssembly.Module | undefined;
let sizer: UringWasm | undefined;

function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Uint8Array;
    try {
      bytes = getHost().readFile(wasmPath);
    } catch (cause) {
      throw new Error(`uringshim: cannot read ${wasmPath}; build it with \`npm run build\` (npm ci does)`, { cause });
    }
    compiled = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  }
  return compiled;
}

export function instantiate(memory: WebAssembly.Memory): UringWasm {
  return new WebAssembly.Instance(wasmModule(), { env: { memory } }).exports as unknown as UringWasm;
}

/** Bytes of linear memory a ring of this shape needs (ringLayout on a scratch instance). */
export function ringMemoryBytes(sqEntries: number, cqEntries: number, setupFlags: number): number {
  sizer ??= instantiate(new WebAssembly.Memory({ initial: 1, maximum: 1 }));
  return sizer.ringLayout(sqEntries, cqEntries, setupFlags);
}
