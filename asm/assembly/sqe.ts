// What every prep helper shares: io_uring_prep_rw, the io_uring_sqe_set_*
// field setters, and the conversions of the JS-facing argument forms.
//
// Contract (the same for every prep-*.ts): getSqe() hands out a zeroed SQE
// and a helper writes only the fields it sets, so the bytes equal
// liburing's, which zeroes inside its helpers instead. 64-bit addresses,
// offsets and lengths arrive as f64 (exact below 2^53; hot exports never
// take a BigInt) and convert through i64 so -1 stays all ones; a 64-bit
// user_data or data value arrives as two u32 halves, lo then hi.
import {
  SQE_OFF_OPCODE, SQE_OFF_FLAGS, SQE_OFF_FD, SQE_OFF_OFF, SQE_OFF_ADDR, SQE_OFF_LEN,
  SQE_OFF_USER_DATA, SQE_OFF_BUF_GROUP, SQE_OFF_FILE_INDEX, IORING_FILE_INDEX_ALLOC,
} from "./abi";

// @ts-ignore: decorator
@inline export function u64of(x: f64): u64 {
  return <u64><i64>x;
}

// @ts-ignore: decorator
@inline export function storeU64Halves(sqe: usize, offset: usize, lo: u32, hi: u32): void {
  store<u32>(sqe + offset, lo);
  store<u32>(sqe + offset, hi, 4);
}

// io_uring_prep_rw: the common fields of every read/write-shaped request.
export function prepRw(op: u8, sqe: usize, fd: i32, addr: f64, len: u32, offset: f64): void {
  store<u8>(sqe, op, SQE_OFF_OPCODE);
  store<i32>(sqe, fd, SQE_OFF_FD);
  store<u64>(sqe, u64of(offset), SQE_OFF_OFF);
  store<u64>(sqe, u64of(addr), SQE_OFF_ADDR);
  store<u32>(sqe, len, SQE_OFF_LEN);
}

// io_uring_sqe_set_data64, split so user_data never crosses as a BigInt.
export function sqeSetData(sqe: usize, lo: u32, hi: u32): void {
  storeU64Halves(sqe, SQE_OFF_USER_DATA, lo, hi);
}

// io_uring_sqe_set_flags (IOSQE_*)
export function sqeSetFlags(sqe: usize, flags: u8): void {
  store<u8>(sqe, flags, SQE_OFF_FLAGS);
}

// io_uring_sqe_set_buf_group: the provided-buffer group for IOSQE_BUFFER_SELECT.
export function sqeSetBufGroup(sqe: usize, bgid: i32): void {
  store<u16>(sqe, <u16>bgid, SQE_OFF_BUF_GROUP);
}

// liburing's __io_uring_set_target_fixed_file: file_index is the direct
// descriptor slot + 1, since 0 means "not direct".
export function setTargetFixedFile(sqe: usize, fileIndex: u32): void {
  store<u32>(sqe, fileIndex + 1, SQE_OFF_FILE_INDEX);
}

// The *_direct preps' slot argument: IORING_FILE_INDEX_ALLOC asks the kernel
// to pick a free slot and must reach it unchanged, hence the -1 first
// (liburing 2.4+; 2.3 let it wrap to 0). close_direct takes a plain slot.
export function setDirectSlot(sqe: usize, fileIndex: u32): void {
  setTargetFixedFile(sqe, fileIndex == IORING_FILE_INDEX_ALLOC ? fileIndex - 1 : fileIndex);
}
