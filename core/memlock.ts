// RLIMIT_MEMLOCK: what mlocked pools and registered (pinned) buffers count
// against for a process without CAP_IPC_LOCK. An ENOMEM from pinning says
// how many bytes were asked for and which limit refused them.
import { getNative } from "./native.ts";
import { checkInteger } from "./validate.ts";

const UNLIMITED = 0xffff_ffff_ffff_ffffn; // us_memlock_limit's RLIM_INFINITY

/** RLIMIT_MEMLOCK in bytes (getrlimit(2)), "unlimited" for RLIM_INFINITY. */
export interface MemlockLimit {
  soft: bigint | "unlimited";
  hard: bigint | "unlimited";
}

/** The limit in force now, or undefined if it cannot be read. */
export function memlockLimit(): MemlockLimit | undefined {
  const native = getNative();
  const out = new BigUint64Array(2);
  if (native.memlockLimit(native.addressOf(out)) < 0) return undefined;
  const value = (v: bigint) => (v === UNLIMITED ? "unlimited" : v);
  return { soft: value(out[0]), hard: value(out[1]) };
}

/**
 * The text for an ENOMEM from pinning `bytes` (mlock, IORING_REGISTER_BUFFERS2):
 * "pinning 8388608 bytes; RLIMIT_MEMLOCK is 65536 bytes (soft) / 65536 (hard):
 * raise it with ulimit -l or LimitMEMLOCK=".
 */
export function memlockHint(bytes: number): string {
  const n = checkInteger("memlockHint", "bytes", bytes, 0, Number.MAX_SAFE_INTEGER);
  const limit = memlockLimit();
  if (limit === undefined) return `pinning ${n} bytes; RLIMIT_MEMLOCK could not be read: raise it with ulimit -l or LimitMEMLOCK=`;
  const soft = limit.soft === "unlimited" ? "unlimited" : `${limit.soft} bytes`;
  return `pinning ${n} bytes; RLIMIT_MEMLOCK is ${soft} (soft) / ${limit.hard} (hard): raise it with ulimit -l or LimitMEMLOCK=`;
}
