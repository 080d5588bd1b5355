// Socket preps: socket, bind/listen/connect/accept, send and receive in
// their plain, msghdr, zero-copy, multishot and bundle forms, shutdown.
// liburing names and argument order; the argument forms and the zeroed-SQE
// contract are in sqe.ts.
import {
  SQE_OFF_OPCODE, SQE_OFF_IOPRIO, SQE_OFF_ADDR2, SQE_OFF_OP_FLAGS, SQE_OFF_BUF_INDEX,
  SQE_OFF_ADDR_LEN, SQE_OFF_ZCRX_IFQ_IDX, IORING_FILE_INDEX_ALLOC,
  IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_SEND,
  IORING_OP_SEND_ZC, IORING_OP_SENDMSG, IORING_OP_SENDMSG_ZC, IORING_OP_RECV, IORING_OP_RECVMSG,
  IORING_OP_RECV_ZC, IORING_OP_SOCKET, IORING_OP_SHUTDOWN,
  IORING_RECV_MULTISHOT, IORING_RECVSEND_FIXED_BUF, IORING_RECVSEND_BUNDLE, IORING_ACCEPT_MULTISHOT,
} from "./abi";
import { prepRw, setTargetFixedFile, setDirectSlot, u64of } from "./sqe";

// @ts-ignore: decorator
@inline function orIoprio(sqe: usize, bits: u16): void {
  store<u16>(sqe, load<u16>(sqe, SQE_OFF_IOPRIO) | bits, SQE_OFF_IOPRIO);
}

export function prepSocket(sqe: usize, domain: i32, type: i32, protocol: i32, flags: u32): void {
  prepRw(IORING_OP_SOCKET, sqe, domain, 0, <u32>protocol, <f64>type);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepSocketDirect(sqe: usize, domain: i32, type: i32, protocol: i32, fileIndex: u32, flags: u32): void {
  prepSocket(sqe, domain, type, protocol, flags);
  setDirectSlot(sqe, fileIndex);
}

export function prepSocketDirectAlloc(sqe: usize, domain: i32, type: i32, protocol: i32, flags: u32): void {
  prepSocket(sqe, domain, type, protocol, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

// addr (a sockaddr) is read at submission; its length goes in sqe->off.
export function prepConnect(sqe: usize, fd: i32, addr: f64, addrlen: u32): void {
  prepRw(IORING_OP_CONNECT, sqe, fd, addr, 0, <f64>addrlen);
}

export function prepBind(sqe: usize, fd: i32, addr: f64, addrlen: u32): void {
  prepRw(IORING_OP_BIND, sqe, fd, addr, 0, <f64>addrlen);
}

export function prepListen(sqe: usize, fd: i32, backlog: i32): void {
  prepRw(IORING_OP_LISTEN, sqe, fd, 0, <u32>backlog, 0);
}

// addr and addrlen (a socklen_t in/out) may be 0; the kernel writes them
// at completion.
export function prepAccept(sqe: usize, fd: i32, addr: f64, addrlen: f64, flags: i32): void {
  prepRw(IORING_OP_ACCEPT, sqe, fd, addr, 0, addrlen);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepAcceptDirect(sqe: usize, fd: i32, addr: f64, addrlen: f64, flags: i32, fileIndex: u32): void {
  prepAccept(sqe, fd, addr, addrlen, flags);
  setDirectSlot(sqe, fileIndex);
}

export function prepMultishotAccept(sqe: usize, fd: i32, addr: f64, addrlen: f64, flags: i32): void {
  prepAccept(sqe, fd, addr, addrlen, flags);
  orIoprio(sqe, IORING_ACCEPT_MULTISHOT);
}

export function prepMultishotAcceptDirect(sqe: usize, fd: i32, addr: f64, addrlen: f64, flags: i32): void {
  prepMultishotAccept(sqe, fd, addr, addrlen, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

export function prepSend(sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32): void {
  prepRw(IORING_OP_SEND, sqe, sockfd, buf, len, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// Sends from as many buffers of the group set by sqeSetBufGroup (with
// IOSQE_BUFFER_SELECT) as len allows (Linux 6.10+).
export function prepSendBundle(sqe: usize, sockfd: i32, len: u32, flags: i32): void {
  prepSend(sqe, sockfd, 0, len, flags);
  orIoprio(sqe, IORING_RECVSEND_BUNDLE);
}

// Adds a destination to a send/send_zc SQE (sendto semantics).
export function prepSendSetAddr(sqe: usize, destAddr: f64, addrLen: u16): void {
  store<u64>(sqe, u64of(destAddr), SQE_OFF_ADDR2);
  store<u16>(sqe, addrLen, SQE_OFF_ADDR_LEN);
}

export function prepSendto(sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32, addr: f64, addrlen: u32): void {
  prepSend(sqe, sockfd, buf, len, flags);
  prepSendSetAddr(sqe, addr, <u16>addrlen);
}

// Zero-copy send: buf must stay untouched until the IORING_CQE_F_NOTIF CQE.
export function prepSendZc(sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32, zcFlags: u32): void {
  prepRw(IORING_OP_SEND_ZC, sqe, sockfd, buf, len, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
  store<u16>(sqe, <u16>zcFlags, SQE_OFF_IOPRIO);
}

export function prepSendZcFixed(
  sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32, zcFlags: u32, bufIndex: u32,
): void {
  prepSendZc(sqe, sockfd, buf, len, flags, zcFlags);
  orIoprio(sqe, IORING_RECVSEND_FIXED_BUF);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

// msg points at a struct msghdr the kernel reads at submission.
export function prepSendmsg(sqe: usize, fd: i32, msg: f64, flags: u32): void {
  prepRw(IORING_OP_SENDMSG, sqe, fd, msg, 1, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepSendmsgZc(sqe: usize, fd: i32, msg: f64, flags: u32): void {
  prepSendmsg(sqe, fd, msg, flags);
  store<u8>(sqe, IORING_OP_SENDMSG_ZC, SQE_OFF_OPCODE);
}

export function prepSendmsgZcFixed(sqe: usize, fd: i32, msg: f64, flags: u32, bufIndex: u32): void {
  prepSendmsgZc(sqe, fd, msg, flags);
  orIoprio(sqe, IORING_RECVSEND_FIXED_BUF);
  store<u16>(sqe, <u16>bufIndex, SQE_OFF_BUF_INDEX);
}

export function prepRecv(sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32): void {
  prepRw(IORING_OP_RECV, sqe, sockfd, buf, len, 0);
  store<i32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

// One CQE per receive (IORING_CQE_F_MORE while it stays armed); usually
// with a provided-buffer group (IOSQE_BUFFER_SELECT, buf 0, len 0).
export function prepRecvMultishot(sqe: usize, sockfd: i32, buf: f64, len: u32, flags: i32): void {
  prepRecv(sqe, sockfd, buf, len, flags);
  orIoprio(sqe, IORING_RECV_MULTISHOT);
}

export function prepRecvmsg(sqe: usize, fd: i32, msg: f64, flags: u32): void {
  prepRw(IORING_OP_RECVMSG, sqe, fd, msg, 1, 0);
  store<u32>(sqe, flags, SQE_OFF_OP_FLAGS);
}

export function prepRecvmsgMultishot(sqe: usize, fd: i32, msg: f64, flags: u32): void {
  prepRecvmsg(sqe, fd, msg, flags);
  orIoprio(sqe, IORING_RECV_MULTISHOT);
}

// No liburing prep (its examples/zcrx.c open-codes it). Zero-copy receive
// into the area of registered zcrx interface queue zcrxIfqIdx (Linux 6.15+),
// as the kernel's io_recvzc_prep reads it: len (0: no limit), recvFlags
// (IORING_RECV_MULTISHOT, IORING_RECVSEND_POLL_FIRST) in sqe->ioprio; addr,
// addr2, addr3 and msg_flags must stay 0. Completions are 32-byte CQEs
// (IORING_SETUP_CQE32) carrying a struct io_uring_zcrx_cqe.
export function prepRecvZc(sqe: usize, sockfd: i32, len: u32, recvFlags: u32, zcrxIfqIdx: u32): void {
  prepRw(IORING_OP_RECV_ZC, sqe, sockfd, 0, len, 0);
  store<u16>(sqe, <u16>recvFlags, SQE_OFF_IOPRIO);
  store<u32>(sqe, zcrxIfqIdx, SQE_OFF_ZCRX_IFQ_IDX);
}

export function prepShutdown(sqe: usize, fd: i32, how: i32): void {
  prepRw(IORING_OP_SHUTDOWN, sqe, fd, 0, <u32>how, 0);
}
