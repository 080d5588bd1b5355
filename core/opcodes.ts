// Every io_uring opcode of Linux 6.18 (enum io_uring_op, IORING_OP_NOP …
// IORING_OP_PIPE) and every IORING_SETUP_* / IORING_ENTER_* / IOSQE_* /
// IORING_FEAT_* flag, each with the first mainline release that has it.
// The probe (probe.ts) asks the kernel which of them it has; these
// `since` versions are what it falls back on where the kernel cannot be
// asked (flags before IORING_REGISTER_QUERY, 6.18) and what error messages
// quote. Sources: the kernel's git history, checked against liburing's
// man pages (io_uring_enter.2, io_uring_setup.2, io_uring_prep_*.3).
import * as C from "./constants.ts";
import { checkInteger } from "./validate.ts";

export interface OpcodeInfo {
  readonly opcode: number;
  /** The C name: "IORING_OP_READV_FIXED". */
  readonly uapi: string;
  /** camelCase of the uapi name without its prefix: "readvFixed". */
  readonly name: string;
  /** First mainline release with the opcode: "6.15". */
  readonly since: string;
}

export interface FlagInfo {
  /** Without the prefix, as FEATURE_NAMES spells them: "NO_MMAP". */
  readonly name: string;
  readonly uapi: string;
  readonly value: number;
  readonly since: string;
}

// Enum order: an opcode's number is its index. The kernel only ever
// appends to enum io_uring_op, so `since` never decreases down the list.
const OPS: ReadonlyArray<readonly [string, string]> = [
  ["NOP", "5.1"], ["READV", "5.1"], ["WRITEV", "5.1"], ["FSYNC", "5.1"],
  ["READ_FIXED", "5.1"], ["WRITE_FIXED", "5.1"], ["POLL_ADD", "5.1"], ["POLL_REMOVE", "5.1"],
  ["SYNC_FILE_RANGE", "5.2"],
  ["SENDMSG", "5.3"], ["RECVMSG", "5.3"],
  ["TIMEOUT", "5.4"],
  ["TIMEOUT_REMOVE", "5.5"], ["ACCEPT", "5.5"], ["ASYNC_CANCEL", "5.5"], ["LINK_TIMEOUT", "5.5"],
  ["CONNECT", "5.5"],
  ["FALLOCATE", "5.6"], ["OPENAT", "5.6"], ["CLOSE", "5.6"], ["FILES_UPDATE", "5.6"], ["STATX", "5.6"],
  ["READ", "5.6"], ["WRITE", "5.6"], ["FADVISE", "5.6"], ["MADVISE", "5.6"], ["SEND", "5.6"],
  ["RECV", "5.6"], ["OPENAT2", "5.6"], ["EPOLL_CTL", "5.6"],
  ["SPLICE", "5.7"], ["PROVIDE_BUFFERS", "5.7"], ["REMOVE_BUFFERS", "5.7"],
  ["TEE", "5.8"],
  ["SHUTDOWN", "5.11"], ["RENAMEAT", "5.11"], ["UNLINKAT", "5.11"],
  ["MKDIRAT", "5.15"], ["SYMLINKAT", "5.15"], ["LINKAT", "5.15"],
  ["MSG_RING", "5.18"],
  ["FSETXATTR", "5.19"], ["SETXATTR", "5.19"], ["FGETXATTR", "5.19"], ["GETXATTR", "5.19"],
  ["SOCKET", "5.19"], ["URING_CMD", "5.19"],
  ["SEND_ZC", "6.0"],
  ["SENDMSG_ZC", "6.1"],
  // io_uring_enter.2 says WAITID is 6.5; it was merged for 6.7 with the
  // futex ops (io_uring_prep_waitid.3 agrees), after READ_MULTISHOT (6.7).
  ["READ_MULTISHOT", "6.7"], ["WAITID", "6.7"], ["FUTEX_WAIT", "6.7"], ["FUTEX_WAKE", "6.7"],
  ["FUTEX_WAITV", "6.7"],
  ["FIXED_FD_INSTALL", "6.8"],
  ["FTRUNCATE", "6.9"],
  ["BIND", "6.11"], ["LISTEN", "6.11"],
  ["RECV_ZC", "6.15"], ["EPOLL_WAIT", "6.15"], ["READV_FIXED", "6.15"], ["WRITEV_FIXED", "6.15"],
  ["PIPE", "6.16"],
];

/** "READV_FIXED" → "readvFixed". */
function camelCase(upper: string): string {
  return upper.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const OPCODES: ReadonlyArray<OpcodeInfo> = Object.freeze(
  OPS.map(([op, since], opcode) => Object.freeze({ opcode, uapi: `IORING_OP_${op}`, name: camelCase(op), since })),
);

/** The last opcode this table knows (IORING_OP_PIPE). */
export const LAST_KNOWN_OPCODE = OPCODES.length - 1;

const byKey = new Map<string | number, OpcodeInfo>();
for (const info of OPCODES) {
  byKey.set(info.opcode, info);
  byKey.set(info.name, info);
  byKey.set(info.uapi, info);
}

/** The table row for an opcode number, name ("readvFixed") or uapi name ("IORING_OP_READV_FIXED"); undefined if unknown. */
export function opcodeInfo(nameOrNumber: string | number): OpcodeInfo | undefined {
  return byKey.get(nameOrNumber);
}

function flags(prefix: string, rows: ReadonlyArray<readonly [string, string]>): ReadonlyArray<FlagInfo> {
  const values = C as unknown as Record<string, number>;
  return Object.freeze(rows.map(([name, since]) => {
    const uapi = prefix + name;
    const value = values[uapi];
    // A typo here would silently yield a flag with no bit.
    if (typeof value !== "number") throw new Error(`core/constants.ts has no ${uapi}`);
    if (!since) throw new Error(`no kernel release recorded for ${uapi}`);
    return Object.freeze({ name, uapi, value, since });
  }));
}

export const SETUP_FLAGS = flags("IORING_SETUP_", [
  ["IOPOLL", "5.1"], ["SQPOLL", "5.1"], ["SQ_AFF", "5.1"], ["CQSIZE", "5.5"], ["CLAMP", "5.6"],
  ["ATTACH_WQ", "5.6"], ["R_DISABLED", "5.10"], ["SUBMIT_ALL", "5.18"], ["COOP_TASKRUN", "5.19"],
  ["TASKRUN_FLAG", "5.19"], ["SQE128", "5.19"], ["CQE32", "5.19"], ["SINGLE_ISSUER", "6.0"],
  ["DEFER_TASKRUN", "6.1"], ["NO_MMAP", "6.5"], ["REGISTERED_FD_ONLY", "6.5"], ["NO_SQARRAY", "6.6"],
  ["HYBRID_IOPOLL", "6.13"], ["CQE_MIXED", "6.18"],
]);

export const ENTER_FLAGS = flags("IORING_ENTER_", [
  ["GETEVENTS", "5.1"], ["SQ_WAKEUP", "5.1"], ["SQ_WAIT", "5.10"], ["EXT_ARG", "5.11"],
  ["REGISTERED_RING", "5.18"], ["ABS_TIMER", "6.12"], ["EXT_ARG_REG", "6.13"], ["NO_IOWAIT", "6.15"],
]);

export const SQE_FLAGS = flags("IOSQE_", [
  ["FIXED_FILE", "5.1"], ["IO_DRAIN", "5.2"], ["IO_LINK", "5.3"], ["IO_HARDLINK", "5.5"],
  ["ASYNC", "5.6"], ["BUFFER_SELECT", "5.7"], ["CQE_SKIP_SUCCESS", "5.17"],
]);

// The names are FEATURE_NAMES' (what ring.featureNames reports); only the
// releases are added here.
const FEATURE_SINCE: Record<string, string> = {
  SINGLE_MMAP: "5.4", NODROP: "5.5", SUBMIT_STABLE: "5.5", RW_CUR_POS: "5.6", CUR_PERSONALITY: "5.6",
  FAST_POLL: "5.7", POLL_32BITS: "5.9", SQPOLL_NONFIXED: "5.11", EXT_ARG: "5.11", NATIVE_WORKERS: "5.12",
  RSRC_TAGS: "5.13", CQE_SKIP: "5.17", LINKED_FILE: "5.17", REG_REG_RING: "6.3", RECVSEND_BUNDLE: "6.10",
  MIN_TIMEOUT: "6.12", RW_ATTR: "6.14", NO_IOWAIT: "6.15",
};
export const FEATURE_FLAGS = flags("IORING_FEAT_", C.FEATURE_NAMES.map(([, name]) => [name, FEATURE_SINCE[name] ?? ""] as const));

/** The names of the bits of `mask` that `table` knows, in bit order. */
export function flagNames(table: ReadonlyArray<FlagInfo>, mask: number): string[] {
  if (!Array.isArray(table)) throw new TypeError("flagNames(): table must be a flag table such as SETUP_FLAGS");
  checkInteger("flagNames", "mask", mask, -0x8000_0000, 0xffff_ffff);
  return table.filter((f) => mask & f.value).map((f) => f.name);
}

export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
}

/** "6.18.44-fc-v595" or "6.15" → { major: 6, minor: 18 }. */
export function parseKernelVersion(release: string): KernelVersion {
  return releaseVersion("parseKernelVersion", "release", release);
}

/** parseKernelVersion for an argument of fn: its error names fn and the argument. */
export function releaseVersion(fn: string, name: string, release: unknown): KernelVersion {
  const m = typeof release === "string" ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (!m) throw new TypeError(`${fn}(): ${name}: not a Linux kernel release: ${JSON.stringify(release) ?? String(release)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Whether kernel `v` is release `since` or later. */
export function hasRelease(v: KernelVersion, since: string): boolean {
  if (v === null || typeof v !== "object") throw new TypeError("hasRelease(): v must be a { major, minor } KernelVersion");
  checkInteger("hasRelease", "v.major", v.major, 0, 0xffff);
  checkInteger("hasRelease", "v.minor", v.minor, 0, 0xffff);
  const s = releaseVersion("hasRelease", "since", since);
  return v.major !== s.major ? v.major > s.major : v.minor >= s.minor;
}
