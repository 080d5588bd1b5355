// SQE prep helpers, one per liburing io_uring_prep_*, same names (camelCase)
// and argument order. Each writes only the fields it sets: getSqe() handed
// out a zeroed SQE. 64-bit values (addresses, offsets) arrive as f64, exact
// below 2^53, so hot exports never take BigInt; -1 (the "current file
// position" offset) converts through i64.
import {
  SQE_OFF_OPCODE, SQE_OFF_FLAGS, SQE_OFF_FD, SQE_OFF_OFF, SQE_OFF_ADDR, SQE_OFF_LEN,
  SQE_OFF_OP_FLAGS, SQE_OFF_USER_DATA, SQE_OFF_BUF_INDEX,
  IORING_OP_NOP, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_READ_FIXED,
  IORING_OP_WRITE_FIXED, IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE, IORING_OP_ASYNC_CANCEL,
  IORING_OP_LINK_TIMEOUT, IORING_OP_OPENAT, IORING_OP_CLOSE, IORING_OP_STATX, IORING_OP_READ,
  IORING_OP_WRITE, IORING_ASYNC_CANCEL_FD,
} from "./abi";
import { getSqe } from "./queue";

// @ts-ignore: decorator
@inline function u64of(x: f64): u64 {
  return <u64><i64>x;
}

// io_uring_prep_rw
export function prepRw(op: u8, sqe: usize, fd: i32, addr: f64, len: u32, offset: f64): void {
  store<u8>(sqe, op, SQE_OFF_OPCODE);
  store<i32>(sqe, fd, SQE_OFF_FD);
  store<u64>(sqe, u64of(offset), SQE_OFF_OFF);
  store<u64>(sqe, u64of(addr), SQE_OFF_ADDR);
  store<u32>(sqe, len, SQE_OFF_LEN);
}

// io_uring_sqe_set_data64, split so user_data never crosses as a BigInt.
export function sqeSetData(sqe: usize, lo: u32, hi: u32): void {
  store<u32>(sqe, lo, SQE_OFF_USER_DATA);
  store<u32>(sqe, hi, SQE_OFF_USER_DATA + 4);
}

// io_uring_sqe_set_flags (IOSQE_*)
export function sqeSetFlags(sqe: usize, flags: u8): void {
  store<u8>(sqe, flags, SQE_OFF_FLAGS);
}

export function prepNop(sqe: usize): void {
  prepRw(IORING_OP_NOP, sqe, -1, 0, 0, 0);
}

export function prepReadv(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
}

export function prepReadv2(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32): void {
  prepReadv(sqe, fd, iovecs, nrVecs, offset);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepReadFixed(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: u16): void {
  prepRw(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
  store<u16>(sqe, bufIndex, SQE_OFF_BUF_INDEX);
}

export function prepWritev(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
}

export function prepWritev2(sqe: usize, fd: i32, iovecs: f64, nrVecs: u32, offset: f64, flags: i32): void {
  prepWritev(sqe, fd, iovecs, nrVecs, offset);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepWriteFixed(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: u16): void {
  prepRw(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
  store<u16>(sqe, bufIndex, SQE_OFF_BUF_INDEX);
}

export function prepFsync(sqe: usize, fd: i32, fsyncFlags: u32): void {
  prepRw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  store<u32>(sqe, fsyncFlags, SQE_OFF_OP_FLAGS);
}

// ts points at a struct __kernel_timespec the kernel reads at submission.
export function prepTimeout(sqe: usize, ts: f64, count: u32, flags: u32): void {
  prepRw(IORING_OP_TIMEOUT, sqe, -1, ts, 1, <f64>count);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepTimeoutRemove(sqe: usize, userDataLo: u32, userDataHi: u32, flags: u32): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, 0, 0, 0);
  store<u32>(sqe, userDataLo, SQE_OFF_ADDR);
  store<u32>(sqe, userDataHi, SQE_OFF_ADDR + 4);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// io_uring_prep_cancel64: cancel the request whose user_data matches.
export function prepCancel64(sqe: usize, userDataLo: u32, userDataHi: u32, flags: i32): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, 0, 0, 0);
  store<u32>(sqe, userDataLo, SQE_OFF_ADDR);
  store<u32>(sqe, userDataHi, SQE_OFF_ADDR + 4);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepCancelFd(sqe: usize, fd: i32, flags: u32): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, fd, 0, 0, 0);
  store<u32>(sqe, flags | IORING_ASYNC_CANCEL_FD, SQE_OFF_OP_FLAGS);
}

export function prepLinkTimeout(sqe: usize, ts: f64, flags: u32): void {
  prepRw(IORING_OP_LINK_TIMEOUT, sqe, -1, ts, 1, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// path points at a NUL-terminated string the kernel copies at submission.
export function prepOpenat(sqe: usize, dfd: i32, path: f64, flags: i32, mode: u32): void {
  prepRw(IORING_OP_OPENAT, sqe, dfd, path, mode, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepClose(sqe: usize, fd: i32): void {
  prepRw(IORING_OP_CLOSE, sqe, fd, 0, 0, 0);
}

// statxbuf is written by the kernel at completion: keep it alive till then.
export function prepStatx(sqe: usize, dfd: i32, path: f64, flags: i32, mask: u32, statxbuf: f64): void {
  prepRw(IORING_OP_STATX, sqe, dfd, path, mask, statxbuf);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepRead(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64): void {
  prepRw(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

export function prepWrite(sqe: usize, fd: i32, buf: f64, nbytes: u32, offset: f64): void {
  prepRw(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

// The hot paths of the batch API in one crossing each: getSqe + prep +
// set_data. They return false when the SQ is full, like getSqe's 0.
export function enqueueNop(userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepNop(sqe);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

export function enqueueRead(fd: i32, buf: f64, nbytes: u32, offset: f64, userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepRead(sqe, fd, buf, nbytes, offset);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

export function enqueueWrite(fd: i32, buf: f64, nbytes: u32, offset: f64, userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepWrite(sqe, fd, buf, nbytes, offset);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}
