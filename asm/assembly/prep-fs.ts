// File-descriptor preps: sync, space and advice, splice/tee, closing, the
// direct-descriptor table, pipes. liburing names and argument order; the
// argument forms and the zeroed-SQE contract are in sqe.ts.
import {
  SQE_OFF_FLAGS, SQE_OFF_ADDR, SQE_OFF_OP_FLAGS, SQE_OFF_SPLICE_OFF_IN, SQE_OFF_SPLICE_FD_IN,
  IORING_OP_FSYNC, IORING_OP_SYNC_FILE_RANGE, IORING_OP_FALLOCATE, IORING_OP_FADVISE,
  IORING_OP_MADVISE, IORING_OP_FTRUNCATE, IORING_OP_SPLICE, IORING_OP_TEE, IORING_OP_CLOSE,
  IORING_OP_FILES_UPDATE, IORING_OP_FIXED_FD_INSTALL, IORING_OP_PIPE, IOSQE_FIXED_FILE,
} from "./abi";
import { prepRw, setTargetFixedFile, setDirectSlot, u64of } from "./sqe";

export function prepFsync(sqe: usize, fd: i32, fsyncFlags: u32): void {
  prepRw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  store<u32>(sqe, fsyncFlags, SQE_OFF_OP_FLAGS);
}

export function prepSyncFileRange(sqe: usize, fd: i32, len: u32, offset: f64, flags: i32): void {
  prepRw(IORING_OP_SYNC_FILE_RANGE, sqe, fd, 0, len, offset);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// The mode travels in sqe->len and the length in sqe->addr.
export function prepFallocate(sqe: usize, fd: i32, mode: i32, offset: f64, len: f64): void {
  prepRw(IORING_OP_FALLOCATE, sqe, fd, 0, <u32>mode, offset);
  store<u64>(sqe, u64of(len), SQE_OFF_ADDR);
}

export function prepFadvise(sqe: usize, fd: i32, offset: f64, len: u32, advice: i32): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, 0, len, offset);
  store<i32>(sqe, advice, SQE_OFF_OP_FLAGS);
}

// A 64-bit length, in sqe->addr; kernels without it answer -EINVAL.
export function prepFadvise64(sqe: usize, fd: i32, offset: f64, len: f64, advice: i32): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, 0, 0, offset);
  store<u64>(sqe, u64of(len), SQE_OFF_ADDR);
  store<i32>(sqe, advice, SQE_OFF_OP_FLAGS);
}

export function prepMadvise(sqe: usize, addr: f64, length: u32, advice: i32): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, length, 0);
  store<i32>(sqe, advice, SQE_OFF_OP_FLAGS);
}

// A 64-bit length, in sqe->off; kernels without it answer -EINVAL.
export function prepMadvise64(sqe: usize, addr: f64, length: f64, advice: i32): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, 0, length);
  store<i32>(sqe, advice, SQE_OFF_OP_FLAGS);
}

export function prepFtruncate(sqe: usize, fd: i32, len: f64): void {
  prepRw(IORING_OP_FTRUNCATE, sqe, fd, 0, 0, len);
}

// One of fdIn/fdOut must be a pipe; an offset of -1 means "current
// position" (and is required for the pipe end).
export function prepSplice(
  sqe: usize, fdIn: i32, offIn: f64, fdOut: i32, offOut: f64, nbytes: u32, spliceFlags: u32,
): void {
  prepRw(IORING_OP_SPLICE, sqe, fdOut, 0, nbytes, offOut);
  store<u64>(sqe, u64of(offIn), SQE_OFF_SPLICE_OFF_IN);
  store<i32>(sqe, fdIn, SQE_OFF_SPLICE_FD_IN);
  store<u32>(sqe, spliceFlags, SQE_OFF_OP_FLAGS);
}

export function prepTee(sqe: usize, fdIn: i32, fdOut: i32, nbytes: u32, spliceFlags: u32): void {
  prepRw(IORING_OP_TEE, sqe, fdOut, 0, nbytes, 0);
  store<i32>(sqe, fdIn, SQE_OFF_SPLICE_FD_IN);
  store<u32>(sqe, spliceFlags, SQE_OFF_OP_FLAGS);
}

export function prepClose(sqe: usize, fd: i32): void {
  prepRw(IORING_OP_CLOSE, sqe, fd, 0, 0, 0);
}

export function prepCloseDirect(sqe: usize, fileIndex: u32): void {
  prepClose(sqe, 0);
  setTargetFixedFile(sqe, fileIndex);
}

// fds points at nrFds ints; offset is the first table slot, or -1
// (IORING_FILE_INDEX_ALLOC) to let the kernel pick: sign-extended into
// sqe->off like liburing's (__u64) cast of an int.
export function prepFilesUpdate(sqe: usize, fds: f64, nrFds: u32, offset: i32): void {
  prepRw(IORING_OP_FILES_UPDATE, sqe, -1, fds, nrFds, <f64>offset);
}

// Installs direct descriptor fd as a normal fd (Linux 6.8+).
export function prepFixedFdInstall(sqe: usize, fd: i32, flags: u32): void {
  prepRw(IORING_OP_FIXED_FD_INSTALL, sqe, fd, 0, 0, 0);
  store<u8>(sqe, IOSQE_FIXED_FILE, SQE_OFF_FLAGS);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// fds points at two ints the kernel fills at completion (Linux 6.16+).
export function prepPipe(sqe: usize, fds: f64, pipeFlags: i32): void {
  prepRw(IORING_OP_PIPE, sqe, 0, fds, 0, 0);
  store<i32>(sqe, pipeFlags, SQE_OFF_OP_FLAGS);
}

export function prepPipeDirect(sqe: usize, fds: f64, pipeFlags: i32, fileIndex: u32): void {
  prepPipe(sqe, fds, pipeFlags);
  setDirectSlot(sqe, fileIndex);
}
