// Expected SQEs for the preps liburing 2.3 (the generator's liburing) does
// not have, and for the cases where newer liburing encodes differently
// (IORING_FILE_INDEX_ALLOC in the *_direct preps). Written by hand from the
// uapi field names (include/uapi/linux/io_uring.h, Linux 6.18) and the
// helper each `source` names in the newest liburing's src/include/liburing.h
// or, where liburing has none, the kernel's io_uring/*.c prep function.
// Same argument values as gen.c so a misplaced value shows.
import type { SqeFields } from "./sqe-fields.ts";

export interface DerivedVector {
  /** The uring.wasm export under test. */
  export: string;
  /** The liburing helper with this encoding, or null when liburing has none. */
  prep: string | null;
  /** The export's arguments after `sqe`, in order. */
  args: [string, number][];
  /** sqeSetData(sqe, lo, hi) after the prep. */
  userData?: [number, number];
  sqeSize: 64 | 128;
  /** Expected fields; every other byte of the SQE is zero. */
  fields: SqeFields;
  /** Where this encoding comes from. */
  source: string;
}

// Argument values (gen.c's): pointers/offsets below 2^53, full 64-bit values as halves.
const P1 = 0x1a2b3c4d5e6f70;
const P2 = 0x1b2c3d4e5f6071;
const P3 = 0x1c2d3e4f506172;
const P4 = 0x1d2e3f40516273;
const OFF1 = 0x1f2e3d4c5b6a79;
const OFF2 = 0x19283746556473;
const U64A: [number, number] = [0x44332211, 0x88776655];
const U64B: [number, number] = [0xb4a59687, 0xf0e1d2c3];
const big = ([lo, hi]: [number, number]) => (BigInt(hi) << 32n) | BigInt(lo);
const UD: [number, number] = [0x76543210, 0xfedcba98];

// enum io_uring_op, IOSQE_*, and the op values these preps write.
const OP = {
  FADVISE: 24, MADVISE: 25, SEND: 26, OPENAT: 18, OPENAT2: 28, ACCEPT: 13, MSG_RING: 40,
  SOCKET: 45, URING_CMD: 46, SENDMSG_ZC: 48, READ_MULTISHOT: 49, WAITID: 50, FUTEX_WAIT: 51,
  FUTEX_WAKE: 52, FUTEX_WAITV: 53, FIXED_FD_INSTALL: 54, FTRUNCATE: 55, BIND: 56, LISTEN: 57,
  RECV_ZC: 58, EPOLL_WAIT: 59, READV_FIXED: 60, WRITEV_FIXED: 61, PIPE: 62,
} as const;
const IOSQE_FIXED_FILE = 1 << 0;
const IOSQE_BUFFER_SELECT = 1 << 5;
const IORING_FILE_INDEX_ALLOC = 0xffffffff;
const IORING_RECVSEND_POLL_FIRST = 1 << 0;
const IORING_RECV_MULTISHOT = 1 << 1;
const IORING_RECVSEND_FIXED_BUF = 1 << 2;
const IORING_RECVSEND_BUNDLE = 1 << 4;
const IORING_MSG_SEND_FD = 1;
const IORING_MSG_RING_CQE_SKIP = 1 << 0;
const IORING_MSG_RING_FLAGS_PASS = 1 << 1;
const AT_FDCWD = -100;
const SOCKET_URING_OP_GETSOCKOPT = 2;
const SOCKET_URING_OP_GETSOCKNAME = 5;
const BLOCK_URING_CMD_DISCARD = 0x1200; // _IO(0x12, 0)
const BLOCK_URING_CMD_ZONE_RESET_ALL = 0x1201; // _IO(0x12, 1)

function v(
  exp: string, prep: string | null, args: [string, number][], fields: SqeFields, source: string,
  sqeSize: 64 | 128 = 64,
): DerivedVector {
  return { export: exp, prep, args, userData: UD, sqeSize, fields: { ...fields, user_data: big(UD) }, source };
}

export const derivedVectors: DerivedVector[] = [
  // ---- read/write
  v("prepReadvFixed", "io_uring_prep_readv_fixed",
    [["fd", 0x91], ["iovecs", P1], ["nrVecs", 0x21], ["offset", OFF1], ["flags", 0x12], ["bufIndex", 0x5abc]],
    { opcode: OP.READV_FIXED, fd: 0x91, addr: P1, len: 0x21, off: OFF1, rw_flags: 0x12, buf_index: 0x5abc },
    "liburing 2.10 io_uring_prep_readv_fixed: io_uring_prep_readv2 fields, then opcode = IORING_OP_READV_FIXED and buf_index"),
  v("prepWritevFixed", "io_uring_prep_writev_fixed",
    [["fd", 0x92], ["iovecs", P2], ["nrVecs", 0x22], ["offset", -1], ["flags", 0x13], ["bufIndex", 0x5abd]],
    { opcode: OP.WRITEV_FIXED, fd: 0x92, addr: P2, len: 0x22, off: -1n, rw_flags: 0x13, buf_index: 0x5abd },
    "liburing 2.10 io_uring_prep_writev_fixed: io_uring_prep_writev2 fields, then opcode = IORING_OP_WRITEV_FIXED and buf_index"),
  v("prepReadMultishot", "io_uring_prep_read_multishot",
    [["fd", 0x93], ["nbytes", 0x1000], ["offset", OFF2], ["bufGroup", 0x6bcd]],
    { opcode: OP.READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: 0x93, len: 0x1000, off: OFF2, buf_group: 0x6bcd },
    "liburing 2.6 io_uring_prep_read_multishot: io_uring_prep_rw(READ_MULTISHOT, fd, NULL, nbytes, offset), buf_group, flags = IOSQE_BUFFER_SELECT"),

  // ---- file descriptors
  v("prepFadvise64", "io_uring_prep_fadvise64",
    [["fd", 0x94], ["offset", OFF1], ["len", OFF2], ["advice", 4]],
    { opcode: OP.FADVISE, fd: 0x94, off: OFF1, addr: OFF2, fadvise_advice: 4 },
    "liburing 2.7 io_uring_prep_fadvise64: io_uring_prep_rw(FADVISE, fd, NULL, 0, offset), addr = len, fadvise_advice"),
  v("prepMadvise64", "io_uring_prep_madvise64",
    [["addr", P2], ["length", OFF1], ["advice", 0xe]],
    { opcode: OP.MADVISE, fd: -1, addr: P2, off: OFF1, fadvise_advice: 0xe },
    "liburing 2.7 io_uring_prep_madvise64: io_uring_prep_rw(MADVISE, -1, addr, 0, length), fadvise_advice"),
  v("prepFtruncate", "io_uring_prep_ftruncate",
    [["fd", 0x95], ["len", OFF2]],
    { opcode: OP.FTRUNCATE, fd: 0x95, off: OFF2 },
    "liburing 2.6 io_uring_prep_ftruncate: io_uring_prep_rw(FTRUNCATE, fd, 0, 0, len); kernel io_uring/truncate.c io_ftruncate_prep reads sqe->off"),
  v("prepFixedFdInstall", "io_uring_prep_fixed_fd_install",
    [["fd", 0x96], ["flags", 1]],
    { opcode: OP.FIXED_FD_INSTALL, flags: IOSQE_FIXED_FILE, fd: 0x96, install_fd_flags: 1 },
    "liburing 2.6 io_uring_prep_fixed_fd_install: io_uring_prep_rw(FIXED_FD_INSTALL, fd, NULL, 0, 0), flags = IOSQE_FIXED_FILE, install_fd_flags"),
  v("prepPipe", "io_uring_prep_pipe",
    [["fds", P3], ["pipeFlags", 0x80800]],
    { opcode: OP.PIPE, fd: 0, addr: P3, pipe_flags: 0x80800 },
    "liburing 2.12 io_uring_prep_pipe: io_uring_prep_rw(PIPE, 0, fds, 0, 0), pipe_flags"),
  v("prepPipeDirect", "io_uring_prep_pipe_direct",
    [["fds", P4], ["pipeFlags", 0x800], ["fileIndex", 0x7788]],
    { opcode: OP.PIPE, addr: P4, pipe_flags: 0x800, file_index: 0x7789 },
    "liburing 2.12 io_uring_prep_pipe_direct: io_uring_prep_pipe, file_index = slot + 1"),
  v("prepPipeDirect", "io_uring_prep_pipe_direct",
    [["fds", P1], ["pipeFlags", 0x80000], ["fileIndex", IORING_FILE_INDEX_ALLOC]],
    { opcode: OP.PIPE, addr: P1, pipe_flags: 0x80000, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.12 io_uring_prep_pipe_direct: IORING_FILE_INDEX_ALLOC is decremented first, so file_index = IORING_FILE_INDEX_ALLOC"),

  // ---- paths (open, and IORING_FILE_INDEX_ALLOC as liburing 2.4+ encodes it)
  v("prepOpen", "io_uring_prep_open",
    [["path", P1], ["flags", 0x241], ["mode", 0o640]],
    { opcode: OP.OPENAT, fd: AT_FDCWD, addr: P1, len: 0o640, open_flags: 0x241 },
    "liburing 2.8 io_uring_prep_open: io_uring_prep_openat(AT_FDCWD, path, flags, mode)"),
  v("prepOpenDirect", "io_uring_prep_open_direct",
    [["path", P2], ["flags", 0x42], ["mode", 0o600], ["fileIndex", 0x99aa]],
    { opcode: OP.OPENAT, fd: AT_FDCWD, addr: P2, len: 0o600, open_flags: 0x42, file_index: 0x99ab },
    "liburing 2.8 io_uring_prep_open_direct: io_uring_prep_openat_direct(AT_FDCWD, …), file_index = slot + 1"),
  v("prepOpenatDirect", "io_uring_prep_openat_direct",
    [["dfd", 0x97], ["path", P3], ["flags", 0x2], ["mode", 0o644], ["fileIndex", IORING_FILE_INDEX_ALLOC]],
    { opcode: OP.OPENAT, fd: 0x97, addr: P3, len: 0o644, open_flags: 0x2, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.4+ io_uring_prep_openat_direct: file_index == IORING_FILE_INDEX_ALLOC is decremented before the +1 (2.3 wrapped it to 0)"),
  v("prepOpenat2Direct", "io_uring_prep_openat2_direct",
    [["dfd", 0x98], ["path", P4], ["how", P1], ["fileIndex", IORING_FILE_INDEX_ALLOC]],
    { opcode: OP.OPENAT2, fd: 0x98, addr: P4, len: 24, off: P1, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.4+ io_uring_prep_openat2_direct: len = sizeof(struct open_how) = 24, off = how, ALLOC kept"),

  // ---- sockets
  v("prepAcceptDirect", "io_uring_prep_accept_direct",
    [["fd", 0x99], ["addr", P2], ["addrlen", P3], ["flags", 0x800], ["fileIndex", IORING_FILE_INDEX_ALLOC]],
    { opcode: OP.ACCEPT, fd: 0x99, addr: P2, off: P3, accept_flags: 0x800, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.4+ io_uring_prep_accept_direct: ALLOC kept"),
  v("prepSocketDirect", "io_uring_prep_socket_direct",
    [["domain", 2], ["type", 1], ["protocol", 6], ["fileIndex", IORING_FILE_INDEX_ALLOC], ["flags", 0x74]],
    { opcode: OP.SOCKET, fd: 2, off: 1, len: 6, rw_flags: 0x74, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.4+ io_uring_prep_socket_direct: io_uring_prep_rw(SOCKET, domain, NULL, protocol, type), rw_flags, ALLOC kept"),
  v("prepBind", "io_uring_prep_bind",
    [["fd", 0x9a], ["addr", P4], ["addrlen", 0x10]],
    { opcode: OP.BIND, fd: 0x9a, addr: P4, off: 0x10 },
    "liburing 2.7 io_uring_prep_bind: io_uring_prep_rw(BIND, fd, addr, 0, addrlen)"),
  v("prepListen", "io_uring_prep_listen",
    [["fd", 0x9b], ["backlog", 0x200]],
    { opcode: OP.LISTEN, fd: 0x9b, len: 0x200 },
    "liburing 2.7 io_uring_prep_listen: io_uring_prep_rw(LISTEN, fd, 0, backlog, 0)"),
  v("prepSendBundle", "io_uring_prep_send_bundle",
    [["sockfd", 0x9c], ["len", 0xb0b0b], ["flags", 0x4000]],
    { opcode: OP.SEND, ioprio: IORING_RECVSEND_BUNDLE, fd: 0x9c, len: 0xb0b0b, msg_flags: 0x4000 },
    "liburing 2.7 io_uring_prep_send_bundle: io_uring_prep_send(sockfd, NULL, len, flags), ioprio |= IORING_RECVSEND_BUNDLE"),
  v("prepSendto", "io_uring_prep_sendto",
    [["sockfd", 0x9d], ["buf", P1], ["len", 0xc0c0c], ["flags", 0x40], ["addr", P2], ["addrlen", 0x1c]],
    { opcode: OP.SEND, fd: 0x9d, addr: P1, len: 0xc0c0c, msg_flags: 0x40, addr2: P2, addr_len: 0x1c },
    "liburing 2.4 io_uring_prep_sendto: io_uring_prep_send, then io_uring_prep_send_set_addr (addr2, addr_len)"),
  v("prepSendmsgZcFixed", "io_uring_prep_sendmsg_zc_fixed",
    [["fd", 0x9e], ["msg", P3], ["flags", 0x4000], ["bufIndex", 0x7cde]],
    { opcode: OP.SENDMSG_ZC, ioprio: IORING_RECVSEND_FIXED_BUF, fd: 0x9e, addr: P3, len: 1, msg_flags: 0x4000, buf_index: 0x7cde },
    "liburing 2.10 io_uring_prep_sendmsg_zc_fixed: io_uring_prep_sendmsg_zc, ioprio |= IORING_RECVSEND_FIXED_BUF, buf_index"),
  v("prepRecvZc", null,
    [["sockfd", 0x9f], ["len", 0xd0d0d], ["recvFlags", IORING_RECV_MULTISHOT | IORING_RECVSEND_POLL_FIRST], ["zcrxIfqIdx", 3]],
    { opcode: OP.RECV_ZC, ioprio: IORING_RECV_MULTISHOT | IORING_RECVSEND_POLL_FIRST, fd: 0x9f, len: 0xd0d0d, zcrx_ifq_idx: 3 },
    "no liburing prep: kernel io_uring/net.c io_recvzc_prep reads fd, len, ioprio (POLL_FIRST | RECV_MULTISHOT), zcrx_ifq_idx; " +
      "addr, addr2, addr3, msg_flags must be 0 (liburing examples/zcrx.c add_recvzc open-codes the same)"),

  // ---- control
  v("prepEpollWait", "io_uring_prep_epoll_wait",
    [["fd", 0xa0], ["events", P4], ["maxevents", 0x40], ["flags", 0x5]],
    { opcode: OP.EPOLL_WAIT, fd: 0xa0, addr: P4, len: 0x40, rw_flags: 0x5 },
    "liburing 2.10 io_uring_prep_epoll_wait: io_uring_prep_rw(EPOLL_WAIT, fd, events, maxevents, 0), rw_flags"),
  v("prepMsgRingCqeFlags", "io_uring_prep_msg_ring_cqe_flags",
    [["fd", 0xa1], ["len", 0xe0e0e], ["dataLo", U64A[0]], ["dataHi", U64A[1]], ["flags", IORING_MSG_RING_CQE_SKIP], ["cqeFlags", 0x8000abcd]],
    { opcode: OP.MSG_RING, fd: 0xa1, len: 0xe0e0e, off: big(U64A), msg_ring_flags: IORING_MSG_RING_FLAGS_PASS | IORING_MSG_RING_CQE_SKIP, file_index: 0x8000abcd },
    "liburing 2.4 io_uring_prep_msg_ring_cqe_flags: io_uring_prep_rw(MSG_RING, fd, NULL, len, data), msg_ring_flags = FLAGS_PASS | flags, file_index = cqe_flags"),
  v("prepMsgRingFd", "io_uring_prep_msg_ring_fd",
    [["fd", 0xa2], ["sourceFd", 0x11], ["targetFd", 0x22], ["dataLo", U64B[0]], ["dataHi", U64B[1]], ["flags", 0x1]],
    { opcode: OP.MSG_RING, fd: 0xa2, addr: IORING_MSG_SEND_FD, off: big(U64B), addr3: 0x11, file_index: 0x23, msg_ring_flags: 0x1 },
    "liburing 2.4 io_uring_prep_msg_ring_fd: io_uring_prep_rw(MSG_RING, fd, IORING_MSG_SEND_FD, 0, data), addr3 = source_fd, file_index = target + 1, msg_ring_flags"),
  v("prepMsgRingFd", "io_uring_prep_msg_ring_fd",
    [["fd", 0xa3], ["sourceFd", 0x12], ["targetFd", -1], ["dataLo", U64A[0]], ["dataHi", U64A[1]], ["flags", 0]],
    { opcode: OP.MSG_RING, fd: 0xa3, addr: IORING_MSG_SEND_FD, off: big(U64A), addr3: 0x12, file_index: IORING_FILE_INDEX_ALLOC },
    "liburing 2.4 io_uring_prep_msg_ring_fd: a target_fd of (unsigned) IORING_FILE_INDEX_ALLOC is decremented first, so file_index = ALLOC"),
  v("prepMsgRingFdAlloc", "io_uring_prep_msg_ring_fd_alloc",
    [["fd", 0xa4], ["sourceFd", 0x33], ["dataLo", U64B[0]], ["dataHi", U64B[1]], ["flags", 0x1]],
    { opcode: OP.MSG_RING, fd: 0xa4, addr: IORING_MSG_SEND_FD, off: big(U64B), addr3: 0x33, file_index: IORING_FILE_INDEX_ALLOC, msg_ring_flags: 0x1 },
    "liburing 2.4 io_uring_prep_msg_ring_fd_alloc: io_uring_prep_msg_ring_fd with target IORING_FILE_INDEX_ALLOC"),
  v("prepFutexWake", "io_uring_prep_futex_wake",
    [["futex", P1], ["valLo", U64A[0]], ["valHi", U64A[1]], ["maskLo", U64B[0]], ["maskHi", U64B[1]], ["futexFlags", 0x82], ["flags", 0x4]],
    { opcode: OP.FUTEX_WAKE, fd: 0x82, addr: P1, off: big(U64A), addr3: big(U64B), futex_flags: 0x4 },
    "liburing 2.6 io_uring_prep_futex_wake: io_uring_prep_rw(FUTEX_WAKE, futex_flags, futex, 0, val), futex_flags = flags, addr3 = mask"),
  v("prepFutexWait", "io_uring_prep_futex_wait",
    [["futex", P2], ["valLo", U64B[0]], ["valHi", U64B[1]], ["maskLo", U64A[0]], ["maskHi", U64A[1]], ["futexFlags", 0x2], ["flags", 0x3]],
    { opcode: OP.FUTEX_WAIT, fd: 0x2, addr: P2, off: big(U64B), addr3: big(U64A), futex_flags: 0x3 },
    "liburing 2.6 io_uring_prep_futex_wait: io_uring_prep_rw(FUTEX_WAIT, futex_flags, futex, 0, val), futex_flags = flags, addr3 = mask"),
  v("prepFutexWaitv", "io_uring_prep_futex_waitv",
    [["futex", P3], ["nrFutex", 0x8], ["flags", 0x5]],
    { opcode: OP.FUTEX_WAITV, fd: 0, addr: P3, len: 0x8, futex_flags: 0x5 },
    "liburing 2.6 io_uring_prep_futex_waitv: io_uring_prep_rw(FUTEX_WAITV, 0, futex, nr_futex, 0), futex_flags"),
  v("prepWaitid", "io_uring_prep_waitid",
    [["idtype", 1], ["id", 0x1234], ["infop", P3], ["options", 4], ["flags", 0x6]],
    { opcode: OP.WAITID, fd: 0x1234, len: 1, addr2: P3, file_index: 4, waitid_flags: 0x6 },
    "liburing 2.6 io_uring_prep_waitid: io_uring_prep_rw(WAITID, id, NULL, idtype, 0), waitid_flags, file_index = options, addr2 = infop"),

  // ---- IORING_OP_URING_CMD (the generic one on a 128-byte SQE: nothing past byte 64 is written)
  v("prepUringCmd", "io_uring_prep_uring_cmd",
    [["cmdOp", 0x80045501 | 0], ["fd", 0xa5]],
    { opcode: OP.URING_CMD, fd: 0xa5, cmd_op: 0x80045501 },
    "liburing 2.13 io_uring_prep_uring_cmd (__io_uring_prep_uring_cmd): opcode, fd, cmd_op; __pad1, addr, len = 0", 128),
  v("prepCmdSock", "io_uring_prep_cmd_sock",
    [["cmdOp", SOCKET_URING_OP_GETSOCKOPT], ["fd", 0xa6], ["level", 1], ["optname", 0x14], ["optval", P4], ["optlen", 0x8]],
    { opcode: OP.URING_CMD, fd: 0xa6, cmd_op: SOCKET_URING_OP_GETSOCKOPT, level: 1, optname: 0x14, optval: P4, optlen: 0x8 },
    "liburing 2.5 io_uring_prep_cmd_sock: io_uring_prep_uring_cmd, optval, optname, optlen, level"),
  v("prepCmdGetsockname", "io_uring_prep_cmd_getsockname",
    [["fd", 0xa7], ["sockaddr", P1], ["sockaddrLen", P2], ["peer", 1]],
    { opcode: OP.URING_CMD, fd: 0xa7, cmd_op: SOCKET_URING_OP_GETSOCKNAME, addr: P1, addr3: P2, optlen: 1 },
    "liburing 2.13 io_uring_prep_cmd_getsockname: uring_cmd SOCKET_URING_OP_GETSOCKNAME, addr = sockaddr, addr3 = sockaddr_len, optlen = peer (kernels after 6.18)"),
  v("prepCmdDiscard", "io_uring_prep_cmd_discard",
    [["fd", 0xa8], ["offset", OFF1], ["nbytes", OFF2]],
    { opcode: OP.URING_CMD, fd: 0xa8, cmd_op: BLOCK_URING_CMD_DISCARD, addr: OFF1, addr3: OFF2 },
    "liburing 2.8 io_uring_prep_cmd_discard: uring_cmd BLOCK_URING_CMD_DISCARD, addr = offset, addr3 = nbytes"),
  v("prepCmdZoneResetAll", "io_uring_prep_cmd_zone_reset_all",
    [["fd", 0xa9]],
    { opcode: OP.URING_CMD, fd: 0xa9, cmd_op: BLOCK_URING_CMD_ZONE_RESET_ALL },
    "liburing (unreleased, 2026-08) io_uring_prep_cmd_zone_reset_all: uring_cmd BLOCK_URING_CMD_ZONE_RESET_ALL (_IO(0x12, 1))"),

  // ---- setters
  v("sqeSetBufGroup", "io_uring_sqe_set_buf_group",
    [["bgid", 0x18abc]],
    { buf_group: 0x8abc },
    "liburing 2.9 io_uring_sqe_set_buf_group: buf_group = (__u16) bgid"),
];
