// Preps that wait for or signal something other than file data: poll and
// epoll, messages to another ring, futexes, waitid, provided buffers.
// liburing names and argument order; the argument forms and the zeroed-SQE
// contract are in sqe.ts.
import {
  SQE_OFF_OFF, SQE_OFF_ADDR, SQE_OFF_ADDR2, SQE_OFF_ADDR3, SQE_OFF_LEN, SQE_OFF_OP_FLAGS,
  SQE_OFF_BUF_GROUP, SQE_OFF_FILE_INDEX, IORING_POLL_ADD_MULTI, IORING_MSG_SEND_FD,
  IORING_MSG_RING_FLAGS_PASS, IORING_FILE_INDEX_ALLOC,
  IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT,
  IORING_OP_MSG_RING, IORING_OP_FUTEX_WAIT, IORING_OP_FUTEX_WAKE, IORING_OP_FUTEX_WAITV,
  IORING_OP_WAITID, IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS,
} from "./abi";
import { prepRw, setDirectSlot, storeU64Halves, u64of } from "./sqe";

// poll32_events as a little-endian host stores it (liburing swaps the
// halfwords only on big-endian hosts; wasm is little-endian).
export function prepPollAdd(sqe: usize, fd: i32, pollMask: u32): void {
  prepRw(IORING_OP_POLL_ADD, sqe, fd, 0, 0, 0);
  store<u32>(sqe, pollMask, SQE_OFF_OP_FLAGS);
}

export function prepPollMultishot(sqe: usize, fd: i32, pollMask: u32): void {
  prepPollAdd(sqe, fd, pollMask);
  store<u32>(sqe, IORING_POLL_ADD_MULTI, SQE_OFF_LEN);
}

export function prepPollRemove(sqe: usize, userDataLo: u32, userDataHi: u32): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, 0, 0, 0);
  storeU64Halves(sqe, SQE_OFF_ADDR, userDataLo, userDataHi);
}

// flags (IORING_POLL_UPDATE_*) travel in sqe->len, the new user_data in sqe->off.
export function prepPollUpdate(
  sqe: usize, oldUserDataLo: u32, oldUserDataHi: u32, newUserDataLo: u32, newUserDataHi: u32,
  pollMask: u32, flags: u32,
): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, 0, flags, 0);
  storeU64Halves(sqe, SQE_OFF_OFF, newUserDataLo, newUserDataHi);
  storeU64Halves(sqe, SQE_OFF_ADDR, oldUserDataLo, oldUserDataHi);
  store<u32>(sqe, pollMask, SQE_OFF_OP_FLAGS);
}

// ev (a struct epoll_event) is read at submission; the target fd goes in
// sqe->off zero-extended, as liburing's (__u32) cast does.
export function prepEpollCtl(sqe: usize, epfd: i32, fd: i32, op: i32, ev: f64): void {
  prepRw(IORING_OP_EPOLL_CTL, sqe, epfd, ev, <u32>op, <f64><u32>fd);
}

// events receives up to maxevents entries at completion (Linux 6.15+).
export function prepEpollWait(sqe: usize, fd: i32, events: f64, maxevents: i32, flags: u32): void {
  prepRw(IORING_OP_EPOLL_WAIT, sqe, fd, events, <u32>maxevents, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// Posts a CQE on the ring fd: res = len, user_data = data.
export function prepMsgRing(sqe: usize, fd: i32, len: u32, dataLo: u32, dataHi: u32, flags: u32): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, 0, len, 0);
  storeU64Halves(sqe, SQE_OFF_OFF, dataLo, dataHi);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// Like prepMsgRing, and the target CQE's flags are cqeFlags.
export function prepMsgRingCqeFlags(
  sqe: usize, fd: i32, len: u32, dataLo: u32, dataHi: u32, flags: u32, cqeFlags: u32,
): void {
  prepMsgRing(sqe, fd, len, dataLo, dataHi, IORING_MSG_RING_FLAGS_PASS | flags);
  store<u32>(sqe, cqeFlags, SQE_OFF_FILE_INDEX);
}

// Sends this ring's direct descriptor sourceFd into slot targetFd (or
// IORING_FILE_INDEX_ALLOC) of the ring fd.
export function prepMsgRingFd(
  sqe: usize, fd: i32, sourceFd: i32, targetFd: i32, dataLo: u32, dataHi: u32, flags: u32,
): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, <f64>IORING_MSG_SEND_FD, 0, 0);
  storeU64Halves(sqe, SQE_OFF_OFF, dataLo, dataHi);
  store<i64>(sqe, <i64>sourceFd, SQE_OFF_ADDR3);
  setDirectSlot(sqe, <u32>targetFd);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepMsgRingFdAlloc(sqe: usize, fd: i32, sourceFd: i32, dataLo: u32, dataHi: u32, flags: u32): void {
  prepMsgRingFd(sqe, fd, sourceFd, <i32>IORING_FILE_INDEX_ALLOC, dataLo, dataHi, flags);
}

// futex points at the futex word; futexFlags (FUTEX2_*) travel in sqe->fd,
// val in sqe->off, mask in sqe->addr3 (Linux 6.7+).
export function prepFutexWake(
  sqe: usize, futex: f64, valLo: u32, valHi: u32, maskLo: u32, maskHi: u32, futexFlags: u32, flags: u32,
): void {
  prepRw(IORING_OP_FUTEX_WAKE, sqe, <i32>futexFlags, futex, 0, 0);
  storeU64Halves(sqe, SQE_OFF_OFF, valLo, valHi);
  storeU64Halves(sqe, SQE_OFF_ADDR3, maskLo, maskHi);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepFutexWait(
  sqe: usize, futex: f64, valLo: u32, valHi: u32, maskLo: u32, maskHi: u32, futexFlags: u32, flags: u32,
): void {
  prepRw(IORING_OP_FUTEX_WAIT, sqe, <i32>futexFlags, futex, 0, 0);
  storeU64Halves(sqe, SQE_OFF_OFF, valLo, valHi);
  storeU64Halves(sqe, SQE_OFF_ADDR3, maskLo, maskHi);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// futex points at nrFutex struct futex_waitv, read at submission.
export function prepFutexWaitv(sqe: usize, futex: f64, nrFutex: u32, flags: u32): void {
  prepRw(IORING_OP_FUTEX_WAITV, sqe, 0, futex, nrFutex, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// waitid(2): the id in sqe->fd, idtype in sqe->len, options in
// sqe->file_index, infop (written at completion) in sqe->addr2 (Linux 6.7+).
export function prepWaitid(sqe: usize, idtype: i32, id: u32, infop: f64, options: i32, flags: u32): void {
  prepRw(IORING_OP_WAITID, sqe, <i32>id, 0, <u32>idtype, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
  store<i32>(sqe, options, SQE_OFF_FILE_INDEX);
  store<u64>(sqe, u64of(infop), SQE_OFF_ADDR2);
}

// Hands nr buffers of len bytes at addr to group bgid, ids from bid.
export function prepProvideBuffers(sqe: usize, addr: f64, len: i32, nr: i32, bgid: i32, bid: i32): void {
  prepRw(IORING_OP_PROVIDE_BUFFERS, sqe, nr, addr, <u32>len, <f64>bid);
  store<u16>(sqe, <u16>bgid, SQE_OFF_BUF_GROUP);
}

export function prepRemoveBuffers(sqe: usize, nr: i32, bgid: i32): void {
  prepRw(IORING_OP_REMOVE_BUFFERS, sqe, nr, 0, 0, 0);
  store<u16>(sqe, <u16>bgid, SQE_OFF_BUF_GROUP);
}
