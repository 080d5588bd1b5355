// Children that run as an unprivileged user, and the lock that keeps them
// apart from the one test that sets kernel.io_uring_disabled = 1. That
// sysctl is global: while it is 1, io_uring_setup fails with EPERM for
// every process without CAP_SYS_ADMIN (outside kernel.io_uring_group) on
// the machine, including other test files' children and other checkouts'
// test runs. Root processes, and runUnderMemlockLimit()'s children (root
// without CAP_IPC_LOCK only), keep CAP_SYS_ADMIN and are not affected.
//
// So: every test that starts a child without CAP_SYS_ADMIN starts it through
// nonRootCommand(), which holds a shared flock(1) on NONROOT_LOCK for the
// child's lifetime; withExclusiveNonRootLock() holds it exclusively. The
// kernel drops a flock when its holder dies, so a killed run leaves no
// stale lock.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

export const NONROOT_LOCK = "/tmp/uringshim-nonroot-children.lock";
/** The overflow uid/gid, "nobody" / "nogroup" on Debian. */
export const NOBODY = 65534;
const LOCK_WAIT_S = "60";

function tool(name: string): string | undefined {
  return ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

/** Why children cannot be run as nobody here, or undefined when they can. */
export function nonRootUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to start children as another user (setpriv --reuid)";
  for (const t of ["setpriv", "prlimit", "flock"]) {
    if (!tool(t)) return `needs ${t}(1) (util-linux)`;
  }
  return undefined;
}

/**
 * cmd args as uid/gid 65534 with no supplementary groups and so no
 * capabilities, optionally under RLIMIT_MEMLOCK = memlock bytes (soft and
 * hard), holding the shared lock while it runs.
 */
export function nonRootCommand(cmd: string, args: string[], options: { memlock?: number; lock?: boolean } = {}): [string, string[]] {
  const inner = [
    ...(options.memlock === undefined ? [] : [tool("prlimit")!, `--memlock=${options.memlock}:${options.memlock}`]),
    tool("setpriv")!, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", cmd, ...args,
  ];
  if (options.lock === false) return [inner[0]!, inner.slice(1)];
  return [tool("flock")!, ["--shared", "--timeout", LOCK_WAIT_S, NONROOT_LOCK, ...inner]];
}

/**
 * Runs fn while no child started by nonRootCommand() runs (here or in any
 * other checkout's tests). fn's own non-root children must pass
 * `lock: false` to nonRootCommand().
 */
export async function withExclusiveNonRootLock<T>(fn: () => Promise<T>): Promise<T> {
  // flock holds the lock while its sh waits on stdin: closing stdin (or
  // this process dying) releases it.
  const holder = spawn(tool("flock")!, ["--exclusive", "--timeout", LOCK_WAIT_S, NONROOT_LOCK, "sh", "-c", "echo locked; read _"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => {
    holder.on("close", () => resolve());
    holder.on("error", () => resolve());
  });
  try {
    const locked = await new Promise<boolean>((resolve) => {
      holder.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve(true));
      holder.on("close", () => resolve(false));
      holder.on("error", () => resolve(false));
    });
    if (!locked) throw new Error(`could not lock ${NONROOT_LOCK} exclusively within ${LOCK_WAIT_S} s`);
    return await fn();
  } finally {
    holder.stdin.end();
    await exited;
  }
}
