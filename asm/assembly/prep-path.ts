// Path-name preps: open, stat, rename, unlink, mkdir, symlink, link and
// extended attributes. Every path is the address of a NUL-terminated
// string the kernel copies when it prepares the request. liburing names and
// argument order; the argument forms and the zeroed-SQE contract are in sqe.ts.
import {
  SQE_OFF_OP_FLAGS, SQE_OFF_ADDR3, AT_FDCWD, OPEN_HOW_SIZE,
  IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_STATX, IORING_OP_RENAMEAT, IORING_OP_UNLINKAT,
  IORING_OP_MKDIRAT, IORING_OP_SYMLINKAT, IORING_OP_LINKAT, IORING_OP_GETXATTR,
  IORING_OP_SETXATTR, IORING_OP_FGETXATTR, IORING_OP_FSETXATTR,
} from "./abi";
import { prepRw, setDirectSlot, u64of } from "./sqe";

export function prepOpenat(sqe: usize, dfd: i32, path: f64, flags: i32, mode: u32): void {
  prepRw(IORING_OP_OPENAT, sqe, dfd, path, mode, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// Opens into direct descriptor slot fileIndex (or IORING_FILE_INDEX_ALLOC).
export function prepOpenatDirect(sqe: usize, dfd: i32, path: f64, flags: i32, mode: u32, fileIndex: u32): void {
  prepOpenat(sqe, dfd, path, flags, mode);
  setDirectSlot(sqe, fileIndex);
}

export function prepOpen(sqe: usize, path: f64, flags: i32, mode: u32): void {
  prepOpenat(sqe, AT_FDCWD, path, flags, mode);
}

export function prepOpenDirect(sqe: usize, path: f64, flags: i32, mode: u32, fileIndex: u32): void {
  prepOpenatDirect(sqe, AT_FDCWD, path, flags, mode, fileIndex);
}

// how points at a struct open_how (24 bytes) the kernel reads at submission.
export function prepOpenat2(sqe: usize, dfd: i32, path: f64, how: f64): void {
  prepRw(IORING_OP_OPENAT2, sqe, dfd, path, OPEN_HOW_SIZE, how);
}

export function prepOpenat2Direct(sqe: usize, dfd: i32, path: f64, how: f64, fileIndex: u32): void {
  prepOpenat2(sqe, dfd, path, how);
  setDirectSlot(sqe, fileIndex);
}

// statxbuf is written by the kernel at completion: keep it alive till then.
export function prepStatx(sqe: usize, dfd: i32, path: f64, flags: i32, mask: u32, statxbuf: f64): void {
  prepRw(IORING_OP_STATX, sqe, dfd, path, mask, statxbuf);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// The new directory fd travels in sqe->len, the new path in sqe->addr2.
export function prepRenameat(sqe: usize, olddfd: i32, oldpath: f64, newdfd: i32, newpath: f64, flags: u32): void {
  prepRw(IORING_OP_RENAMEAT, sqe, olddfd, oldpath, <u32>newdfd, newpath);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepRename(sqe: usize, oldpath: f64, newpath: f64): void {
  prepRenameat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

export function prepUnlinkat(sqe: usize, dfd: i32, path: f64, flags: i32): void {
  prepRw(IORING_OP_UNLINKAT, sqe, dfd, path, 0, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepUnlink(sqe: usize, path: f64, flags: i32): void {
  prepUnlinkat(sqe, AT_FDCWD, path, flags);
}

export function prepMkdirat(sqe: usize, dfd: i32, path: f64, mode: u32): void {
  prepRw(IORING_OP_MKDIRAT, sqe, dfd, path, mode, 0);
}

export function prepMkdir(sqe: usize, path: f64, mode: u32): void {
  prepMkdirat(sqe, AT_FDCWD, path, mode);
}

export function prepSymlinkat(sqe: usize, target: f64, newdirfd: i32, linkpath: f64): void {
  prepRw(IORING_OP_SYMLINKAT, sqe, newdirfd, target, 0, linkpath);
}

export function prepSymlink(sqe: usize, target: f64, linkpath: f64): void {
  prepSymlinkat(sqe, target, AT_FDCWD, linkpath);
}

export function prepLinkat(sqe: usize, olddfd: i32, oldpath: f64, newdfd: i32, newpath: f64, flags: i32): void {
  prepRw(IORING_OP_LINKAT, sqe, olddfd, oldpath, <u32>newdfd, newpath);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepLink(sqe: usize, oldpath: f64, newpath: f64, flags: i32): void {
  prepLinkat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, flags);
}

// value receives up to len bytes at completion. xattr_flags stays 0.
export function prepGetxattr(sqe: usize, name: f64, value: f64, path: f64, len: u32): void {
  prepRw(IORING_OP_GETXATTR, sqe, 0, name, len, value);
  store<u64>(sqe, u64of(path), SQE_OFF_ADDR3);
}

export function prepSetxattr(sqe: usize, name: f64, value: f64, path: f64, flags: i32, len: u32): void {
  prepRw(IORING_OP_SETXATTR, sqe, 0, name, len, value);
  store<u64>(sqe, u64of(path), SQE_OFF_ADDR3);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepFgetxattr(sqe: usize, fd: i32, name: f64, value: f64, len: u32): void {
  prepRw(IORING_OP_FGETXATTR, sqe, fd, name, len, value);
}

export function prepFsetxattr(sqe: usize, fd: i32, name: f64, value: f64, flags: i32, len: u32): void {
  prepRw(IORING_OP_FSETXATTR, sqe, fd, name, len, value);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}
