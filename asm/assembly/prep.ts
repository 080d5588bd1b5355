// Core request preps: read/write (plain, vectored, fixed-buffer,
// multishot), NOP, timeouts and cancellation. One helper per liburing
// io_uring_prep_*, same name in camelCase and same argument order; the
// argument forms and the zeroed-SQE contract are in sqe.ts.
import {
  SQE_OFF_OPCODE, SQE_OFF_FLAGS, SQE_OFF_ADDR, SQE_OFF_OP_FLAGS, SQE_OFF_BUF_INDEX,
  SQE_OFF_BUF_GROUP,
  IORING_OP_NOP, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED,
  IORING_OP_READV_FIXED, IORING_OP_WRITEV_FIXED, IORING_OP_READ, IORING_OP_WRITE,
  IORING_OP_READ_MULTISHOT, IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE, IORING_OP_ASYNC_CANCEL,
  IORING_OP_LINK_TIMEOUT, IOSQE_BUFFER_SELECT, IORING_TIMEOUT_UPDATE, IORING_ASYNC_CANCEL_FD,
} from "./abi";
import { prepRw, storeU64Halves } from "./sqe";

export function prepNop(sqe: usize): void {
  prepRw(IORING_OP_NOP, sqe, -1, 0, 0, 0);
}

export function prepRead(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64): void {
  prepRw(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

export function prepWrite(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64): void {
  prepRw(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

export function prepReadv(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
}

export function prepReadv2(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32): void {
  prepReadv(sqe, fd, iovecs, nrVecs, offset);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepWritev(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
}

export function prepWritev2(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32): void {
  prepWritev(sqe, fd, iovecs, nrVecs, offset);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// buf must lie inside registered buffer bufIndex.
export function prepReadFixed(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: i32): void {
  prepRw(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

export function prepWriteFixed(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: i32): void {
  prepRw(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

// Every iovec must lie inside registered buffer bufIndex (Linux 6.15+).
export function prepReadvFixed(
  sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32, bufIndex: i32,
): void {
  prepReadv2(sqe, fd, iovecs, nrVecs, offset, flags);
  store<u8>(sqe, IORING_OP_READV_FIXED, SQE_OFF_OPCODE);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

export function prepWritevFixed(
  sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32, bufIndex: i32,
): void {
  prepWritev2(sqe, fd, iovecs, nrVecs, offset, flags);
  store<u8>(sqe, IORING_OP_WRITEV_FIXED, SQE_OFF_OPCODE);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

// Reads into buffers picked from provided-buffer group bufGroup, one CQE
// per read until it fails or the group runs dry (Linux 6.7+).
export function prepReadMultishot(sqe: usize, fd: i32, nbytes: u32, offset: f64, bufGroup: i32): void {
  prepRw(IORING_OP_READ_MULTISHOT, sqe, fd, 0, nbytes, offset);
  store<u16>(sqe, <u16>bufGroup, SQE_OFF_BUF_GROUP);
  store<u8>(sqe, IOSQE_BUFFER_SELECT, SQE_OFF_FLAGS);
}

// ts points at a struct __kernel_timespec the kernel reads at submission.
export function prepTimeout(sqe: usize, ts: f64, count: u32, flags: u32): void {
  prepRw(IORING_OP_TIMEOUT, sqe, -1, ts, 1, <f64>count);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepTimeoutRemove(sqe: usize, userDataLo: u32, userDataHi: u32, flags: u32): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, 0, 0, 0);
  storeU64Halves(sqe, SQE_OFF_ADDR, userDataLo, userDataHi);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepTimeoutUpdate(sqe: usize, ts: f64, userDataLo: u32, userDataHi: u32, flags: u32): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, 0, 0, ts);
  storeU64Halves(sqe, SQE_OFF_ADDR, userDataLo, userDataHi);
  store<u32>(sqe, flags | IORING_TIMEOUT_UPDATE, SQE_OFF_OP_FLAGS);
}

export function prepLinkTimeout(sqe: usize, ts: f64, flags: u32): void {
  prepRw(IORING_OP_LINK_TIMEOUT, sqe, -1, ts, 1, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// io_uring_prep_cancel64: cancel the request whose user_data matches.
export function prepCancel64(sqe: usize, userDataLo: u32, userDataHi: u32, flags: i32): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, 0, 0, 0);
  storeU64Halves(sqe, SQE_OFF_ADDR, userDataLo, userDataHi);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// liburing takes the user_data as a void *; here its value, as two halves.
export function prepCancel(sqe: usize, userDataLo: u32, userDataHi: u32, flags: i32): void {
  prepCancel64(sqe, userDataLo, userDataHi, flags);
}

export function prepCancelFd(sqe: usize, fd: i32, flags: u32): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, fd, 0, 0, 0);
  store<u32>(sqe, flags | IORING_ASYNC_CANCEL_FD, SQE_OFF_OP_FLAGS);
}
