// Actionable messages for io_uring being refused, as TigerBeetle's
// io/linux.zig gives them: io_uring_setup(2) (or io_uring_register(2) where
// it comes first) failing with EPERM, ENOSYS or ENOMEM. Each message names
// the cause that applies to this process, read from /proc where it may be,
// and the fix.
import { IORING_SETUP_CQE32, IORING_SETUP_NO_SQARRAY, IORING_SETUP_SQE128 } from "./constants.ts";
import { ENOMEM, ENOSYS, EPERM, uringError, type UringError } from "./errors.ts";
import { memlockLimit } from "./memlock.ts";
import { getHost } from "./native.ts";

const CAP_IPC_LOCK = 14n;
const CAP_SYS_ADMIN = 21n;
const PAGE = 4096;
const RINGS_HEADER = 64; // struct io_rings before its CQE array (cq_off.cqes on 6.18)
const SECCOMP_FIX =
  "allow io_uring_setup, io_uring_enter and io_uring_register in the sandbox's seccomp profile (Docker and containerd " +
  "refuse them by default: docker/podman run --security-opt seccomp=<a profile allowing them>; systemd: add them, or " +
  "@aio, to SystemCallFilter=)";

type DenoPermissions = { permissions: { querySync(d: { name: "read"; path: string }): { state: string } } };

// Under Deno without read permission a read would prompt on a terminal;
// the message then says less instead.
function readProc(path: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno;
  if (deno && deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  try {
    return new TextDecoder().decode(getHost().readFile(path)).trim();
  } catch {
    return undefined;
  }
}

/** What /proc says about the restrictions on io_uring for this process. */
interface Restrictions {
  disabled?: string; // kernel.io_uring_disabled (6.6+; absent without io_uring)
  group?: string; // kernel.io_uring_group
  seccomp?: string; // "0" none, "1" strict, "2" filter
  capEff?: bigint;
  uid?: string;
  gids: string[]; // fsgid and supplementary groups: what in_group_p() checks
}

function restrictions(): Restrictions {
  const status = readProc("/proc/self/status") ?? "";
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(status)?.[1]?.trim();
  const cap = field("CapEff");
  const gid = field("Gid")?.split(/\s+/);
  return {
    disabled: readProc("/proc/sys/kernel/io_uring_disabled"),
    group: readProc("/proc/sys/kernel/io_uring_group"),
    seccomp: field("Seccomp"),
    capEff: cap === undefined ? undefined : BigInt(`0x${cap}`),
    uid: field("Uid")?.split(/\s+/)[1],
    gids: [...(gid?.[3] ? [gid[3]] : []), ...(field("Groups")?.split(/\s+/).filter(Boolean) ?? [])],
  };
}

function hasCap(r: Restrictions, cap: bigint): boolean | undefined {
  return r.capEff === undefined ? undefined : ((r.capEff >> cap) & 1n) === 1n;
}

// io_uring_allowed() in io_uring/io_uring.c: 2 refuses everyone; 1 allows
// CAP_SYS_ADMIN and members of kernel.io_uring_group.
function sysctlCause(r: Restrictions): string | undefined {
  if (r.disabled === "2") {
    return "io_uring is disabled for every process (sysctl kernel.io_uring_disabled = 2); " +
      "fix: sysctl -w kernel.io_uring_disabled=0 (and persist it in /etc/sysctl.d/)";
  }
  if (r.disabled !== "1" || hasCap(r, CAP_SYS_ADMIN) === true) return undefined;
  const group = r.group ?? "unknown";
  if (group !== "-1" && r.gids.includes(group)) return undefined;
  const who = `uid ${r.uid ?? "?"}, groups ${r.gids.join(",") || "?"}`;
  const join = group === "-1" || group === "unknown"
    ? "sysctl -w kernel.io_uring_group=<a group of this user>"
    : `add this user to group ${group} (kernel.io_uring_group)`;
  return `io_uring is limited to CAP_SYS_ADMIN and the members of kernel.io_uring_group (sysctl kernel.io_uring_disabled = 1, ` +
    `kernel.io_uring_group = ${group}${group === "-1" ? ", no group" : ""}) and this process (${who}) is neither; ` +
    `fix: sysctl -w kernel.io_uring_disabled=0, or ${join}`;
}

/**
 * Why `syscall` (io_uring_setup, io_uring_register) was refused with EPERM
 * or ENOSYS, and the fix; undefined for any other result.
 */
export function restrictedHint(res: number, syscall: string): string | undefined {
  if (res !== -EPERM && res !== -ENOSYS) return undefined;
  const r = restrictions();
  const filtered = r.seccomp === "2";
  const seccomp = `a seccomp filter on this process (Seccomp: 2 in /proc/self/status) refuses ${syscall}`;
  if (res === -ENOSYS) {
    // The sysctl exists only where the kernel was built with io_uring.
    if (filtered) {
      return `${seccomp}${r.disabled !== undefined ? " (the kernel has io_uring: kernel.io_uring_disabled exists)" : ", or the kernel lacks io_uring"}; ` +
        `Podman's default profile answers ENOSYS for it; fix: ${SECCOMP_FIX}`;
    }
    return "this kernel has no io_uring (built without CONFIG_IO_URING, or older than 5.1); " +
      "fix: run on Linux 6.0+ built with CONFIG_IO_URING=y";
  }
  const sysctl = sysctlCause(r);
  if (sysctl && filtered) {
    return `${sysctl}; this process also runs under a seccomp filter (Seccomp: 2 in /proc/self/status), which may refuse ` +
      `${syscall} as well; if so: ${SECCOMP_FIX}`;
  }
  if (sysctl) return sysctl;
  if (filtered) return `${seccomp}; fix: ${SECCOMP_FIX}`;
  if (r.disabled === undefined && r.seccomp === undefined) {
    return "io_uring_disabled or a seccomp filter may refuse it, but /proc could not be read to tell " +
      "(Deno: --allow-read=/proc); fix: sysctl -w kernel.io_uring_disabled=0, or " + SECCOMP_FIX;
  }
  return "neither kernel.io_uring_disabled nor a seccomp filter refuses it here, so a Linux security module " +
    "(SELinux io_uring class, AppArmor) or a sandbox around the process does; fix: allow io_uring in its policy " +
    "(see the audit log for the denial)";
}

/**
 * What io_uring_setup charges to RLIMIT_MEMLOCK for a process without
 * CAP_IPC_LOCK (io_create_region → __io_account_mem): the rings region
 * (struct io_rings, the CQEs, the SQ index array unless NO_SQARRAY) and the
 * SQE array, each rounded up to pages. The same in mmap and NO_MMAP mode.
 */
export function ringLockedBytes(sqEntries: number, cqEntries: number, flags: number): number {
  const pages = (n: number) => Math.ceil(n / PAGE) * PAGE;
  let rings = RINGS_HEADER + cqEntries * (flags & IORING_SETUP_CQE32 ? 32 : 16);
  if (!(flags & IORING_SETUP_NO_SQARRAY)) rings = Math.ceil(rings / 64) * 64 + sqEntries * 4;
  return pages(rings) + pages(sqEntries * (flags & IORING_SETUP_SQE128 ? 128 : 64));
}

function memlockHintForRing(sqEntries: number, cqEntries: number, flags: number): string {
  const r = restrictions();
  const need = `the ring (${sqEntries} SQ / ${cqEntries} CQ entries) needs ${ringLockedBytes(sqEntries, cqEntries, flags)} bytes of locked memory`;
  if (hasCap(r, CAP_IPC_LOCK) === true) {
    return `${need}, and this process has CAP_IPC_LOCK, so RLIMIT_MEMLOCK does not apply: the kernel is out of memory; ` +
      "fix: free memory or ask for fewer entries";
  }
  const limit = memlockLimit();
  if (limit?.soft === "unlimited") {
    return `${need}, and RLIMIT_MEMLOCK is unlimited: the kernel is out of memory; fix: free memory or ask for fewer entries`;
  }
  const now = limit === undefined ? "could not be read" : `is ${limit.soft} bytes (soft) / ${limit.hard} (hard)`;
  return `${need}; RLIMIT_MEMLOCK ${now}, and io_uring charges every ring and registered buffer of this user ` +
    `(uid ${r.uid ?? "?"}) against it, releasing a closed ring's charge only some time later (a ring closed just before, ` +
    "like the one-entry ring probe() opens, may still count); fix: raise the limit (ulimit -l, prlimit --memlock, " +
    "memlock in /etc/security/limits.conf, systemd LimitMEMLOCK=, docker run --ulimit memlock=-1), grant CAP_IPC_LOCK, " +
    "or ask for fewer entries";
}

/** The UringError for a failed io_uring_setup(2), with the cause and the fix where one is known. */
export function setupError(res: number, sqEntries: number, cqEntries: number, flags = 0): UringError {
  const hint = res === -ENOMEM ? memlockHintForRing(sqEntries, cqEntries, flags) : restrictedHint(res, "io_uring_setup");
  return uringError("setup", res, hint);
}
