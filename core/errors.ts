import { ERRNO_BY_NAME, ERRNO_MESSAGES, ERRNO_NAMES } from "./errno.ts";

/** A failed io_uring operation or setup, or use of a closed ring or pool. */
export class UringError extends Error {
  override name = "UringError";
  /** Symbolic code: "ENOENT", "EBADF", …, or "ERING_CLOSED" for use after close. */
  readonly code: string;
  /** Positive errno (0 when there is none). */
  readonly errno: number;
  /** The operation that failed ("read", "openat", "setup", …). */
  readonly op: string;
  /**
   * The path argument of a failed path operation, as given (Node's
   * `err.path`): openat's, statx's, renameat's old path, symlinkat's
   * target … Not a property at all on errors of operations without one.
   */
  declare readonly path?: string;
  /** The second path of a two-path operation (renameat, linkat, symlinkat's link path), as Node's `err.dest`. */
  declare readonly dest?: string;

  constructor(
    op: string, code: string, errno: number, message: string, options?: { cause?: unknown; path?: string; dest?: string },
  ) {
    super(message, options);
    this.op = op;
    this.code = code;
    this.errno = errno;
    if (options?.path !== undefined) (this as { path?: string }).path = options.path;
    if (options?.dest !== undefined) (this as { dest?: string }).dest = options.dest;
  }
}

/** The path arguments a failed operation names: `err.path`, and `err.dest` for two-path ones. */
export interface ErrorPaths {
  readonly path: string;
  readonly dest?: string;
}

/**
 * The one place a negative kernel result becomes an error. `detail` is
 * appended to the message (a path, a hint naming the fix); without one,
 * `paths` is ("old -> new" for two). `paths` become the error's `path`
 * and `dest` either way.
 */
export function uringError(op: string, res: number, detail?: string, paths?: ErrorPaths): UringError {
  const errno = -res;
  const code = ERRNO_NAMES[errno] ?? `E${errno}`;
  const text = ERRNO_MESSAGES[errno] ?? `errno ${errno}`;
  if (detail === undefined && paths !== undefined) detail = paths.dest === undefined ? paths.path : `${paths.path} -> ${paths.dest}`;
  const message = `${op}: ${code}: ${text}${detail ? ` (${detail})` : ""}`;
  return new UringError(op, code, errno, message, paths && { path: paths.path, dest: paths.dest });
}

export function closedError(op: string, what = "ring"): UringError {
  return new UringError(op, "ERING_CLOSED", ERRNO_BY_NAME.EBADF, `${op}(): the ${what} is closed`);
}

export const ECANCELED = ERRNO_BY_NAME.ECANCELED;
export const ETIME = ERRNO_BY_NAME.ETIME;
export const EINTR = ERRNO_BY_NAME.EINTR;
export const EAGAIN = ERRNO_BY_NAME.EAGAIN;
export const EBUSY = ERRNO_BY_NAME.EBUSY;
export const EINVAL = ERRNO_BY_NAME.EINVAL;
export const ENOMEM = ERRNO_BY_NAME.ENOMEM;
export const EPERM = ERRNO_BY_NAME.EPERM;
export const ENOSYS = ERRNO_BY_NAME.ENOSYS;
export const EFAULT = ERRNO_BY_NAME.EFAULT;
export const ENOENT = ERRNO_BY_NAME.ENOENT;
export const EALREADY = ERRNO_BY_NAME.EALREADY;
export const EOPNOTSUPP = ERRNO_BY_NAME.EOPNOTSUPP;
export const ENOBUFS = ERRNO_BY_NAME.ENOBUFS;
export const EACCES = ERRNO_BY_NAME.EACCES;
