// IORING_OP_URING_CMD preps: a command the file's driver interprets
// (sockets, block devices, NVMe passthrough). The command's own bytes go in
// sqe->cmd (SQE_OFF_CMD: 16 bytes, 80 on an IORING_SETUP_SQE128 ring).
// liburing names and argument order; the argument forms and the zeroed-SQE
// contract are in sqe.ts.
import {
  SQE_OFF_OPCODE, SQE_OFF_FD, SQE_OFF_CMD_OP, SQE_OFF_ADDR, SQE_OFF_ADDR3, SQE_OFF_LEVEL,
  SQE_OFF_OPTNAME, SQE_OFF_OPTLEN, SQE_OFF_OPTVAL, IORING_OP_URING_CMD,
  SOCKET_URING_OP_GETSOCKNAME, BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL,
} from "./abi";
import { u64of } from "./sqe";

// Not through prepRw: liburing writes cmd_op (and a zero __pad1, addr and
// len) where prepRw would write off.
export function prepUringCmd(sqe: usize, cmdOp: i32, fd: i32): void {
  store<u8>(sqe, IORING_OP_URING_CMD, SQE_OFF_OPCODE);
  store<i32>(sqe, fd, SQE_OFF_FD);
  store<i32>(sqe, cmdOp, SQE_OFF_CMD_OP);
}

// SOCKET_URING_OP_* (SIOCINQ, SIOCOUTQ, GETSOCKOPT, SETSOCKOPT,
// TX_TIMESTAMP); optval is read or written as the command says.
export function prepCmdSock(
  sqe: usize, cmdOp: i32, fd: i32, level: i32, optname: i32, optval: f64, optlen: i32,
): void {
  prepUringCmd(sqe, cmdOp, fd);
  store<u64>(sqe, u64of(optval), SQE_OFF_OPTVAL);
  store<i32>(sqe, optname, SQE_OFF_OPTNAME);
  store<i32>(sqe, optlen, SQE_OFF_OPTLEN);
  store<i32>(sqe, level, SQE_OFF_LEVEL);
}

// getsockname(2), or getpeername(2) when peer != 0 (newer than Linux 6.18).
export function prepCmdGetsockname(sqe: usize, fd: i32, sockaddr: f64, sockaddrLen: f64, peer: i32): void {
  prepUringCmd(sqe, <i32>SOCKET_URING_OP_GETSOCKNAME, fd);
  store<u64>(sqe, u64of(sockaddr), SQE_OFF_ADDR);
  store<u64>(sqe, u64of(sockaddrLen), SQE_OFF_ADDR3);
  store<i32>(sqe, peer, SQE_OFF_OPTLEN);
}

// BLKDISCARD on a block device (Linux 6.12+): offset in sqe->addr, length in sqe->addr3.
export function prepCmdDiscard(sqe: usize, fd: i32, offset: f64, nbytes: f64): void {
  prepUringCmd(sqe, <i32>BLOCK_URING_CMD_DISCARD, fd);
  store<u64>(sqe, u64of(offset), SQE_OFF_ADDR);
  store<u64>(sqe, u64of(nbytes), SQE_OFF_ADDR3);
}

// Resets every zone of a zoned block device (newer than Linux 6.18).
export function prepCmdZoneResetAll(sqe: usize, fd: i32): void {
  prepUringCmd(sqe, <i32>BLOCK_URING_CMD_ZONE_RESET_ALL, fd);
}
