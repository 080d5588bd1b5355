// Actionable messages for a failed io_uring_setup(2): the likely cause and
// the fix, as TigerBeetle's io/linux.zig does.
import { readFileSync } from "node:fs";
import { ENOMEM, ENOSYS, EPERM, uringError, type UringError } from "./errors.ts";

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

function memlockLimit(): string {
  const line = readProc("/proc/self/limits")?.split("\n").find((l) => l.startsWith("Max locked memory"));
  const soft = line?.split(/\s{2,}/)[1];
  if (!soft) return "unknown";
  return soft === "unlimited" ? soft : `${Math.round(Number(soft) / 1024)} KiB`;
}

export function setupError(res: number, entries: number, cqEntries: number): UringError {
  let hint: string | undefined;
  if (res === -ENOSYS) {
    hint = "this kernel has no io_uring (Linux 5.1+ is needed, 6.1+ recommended), or a seccomp filter answers ENOSYS";
  } else if (res === -EPERM) {
    const disabled = readProc("/proc/sys/kernel/io_uring_disabled");
    hint = disabled && disabled !== "0"
      ? `io_uring is disabled: sysctl kernel.io_uring_disabled = ${disabled}; set it to 0 (or 1 and add this user to kernel.io_uring_group)`
      : "io_uring is blocked for this process, most likely by a seccomp profile (Docker, Podman and systemd sandboxes block io_uring_setup by default): allow io_uring_setup, io_uring_enter and io_uring_register";
  } else if (res === -ENOMEM) {
    hint = `the ring (${entries} SQ / ${cqEntries} CQ entries) exceeds the locked-memory limit (RLIMIT_MEMLOCK, now ${memlockLimit()}): ` +
      "raise it (ulimit -l, systemd LimitMEMLOCK=, docker --ulimit memlock=-1) or ask for fewer entries; rings closed just before are uncharged asynchronously, so rapid open/close can also hit this";
  }
  return uringError("setup", res, hint);
}
