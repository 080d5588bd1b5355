// Argument checks that run before anything reaches the kernel. Each error
// names the function and the argument.

const MAX_U32 = 0xffff_ffff;
const MAX_I32 = 0x7fff_ffff;

/** A value as an error message shows it ("got …"). */
export function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (value === null || typeof value !== "object") return String(value);
  return Object.prototype.toString.call(value);
}

/**
 * An integer in [min, max]. A bigint only where the API takes one (offsets
 * and lengths typed `number | bigint`: pass bigintOk), and only below 2^53:
 * elsewhere it is a TypeError, never silently converted.
 */
export function checkInteger(fn: string, name: string, value: unknown, min: number, max: number, bigintOk = false): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint" && bigintOk) {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`${fn}(): ${name} must be in [${min}, ${max}], got ${describe(value)}`);
    }
    n = Number(value);
  } else throw new TypeError(`${fn}(): ${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(n)) throw new RangeError(`${fn}(): ${name} must be an integer, got ${describe(value)}`);
  if (n < min || n > max) throw new RangeError(`${fn}(): ${name} must be in [${min}, ${max}], got ${describe(value)}`);
  return n;
}

export function checkFd(fn: string, value: unknown, name = "fd"): number {
  if (typeof value === "number" && (value | 0) === value && value >= 0) return value;
  return checkInteger(fn, name, value, 0, MAX_I32);
}

/** A directory fd for *at(): AT_FDCWD (-100) or an open fd. */
export function checkDirFd(fn: string, value: unknown, name = "dirfd"): number {
  if (value === -100 || value === -100n) return -100;
  return checkInteger(fn, name, value, 0, MAX_I32);
}

/** A file offset: -1 (the current position, for streams) or [0, 2^53). */
export function checkOffset(fn: string, value: unknown, name = "offset"): number {
  if (typeof value === "number" && value >= -1 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value) return value;
  return checkInteger(fn, name, value, -1, Number.MAX_SAFE_INTEGER, true);
}

export function checkU32(fn: string, name: string, value: unknown): number {
  return checkInteger(fn, name, value, 0, MAX_U32);
}

export function checkFlags(fn: string, name: string, value: unknown): number {
  return checkInteger(fn, name, value, -0x8000_0000, MAX_U32) | 0;
}

/**
 * The bytes of an ArrayBuffer or view, as a Uint8Array over the same
 * memory. Rejects detached buffers and lengths io_uring cannot express
 * (the SQE length is 32 bits: never truncate silently).
 */
export function checkBuffer(fn: string, value: unknown, name = "buf"): Uint8Array {
  // The common case first: a non-empty Uint8Array (a view of a detached
  // buffer has byteLength 0, so it takes the full path below).
  if (value instanceof Uint8Array && value.byteLength !== 0 && value.byteLength <= MAX_U32) return value;
  const backing = ArrayBuffer.isView(value) ? value.buffer : value;
  if (backing instanceof ArrayBuffer && backing.detached) throw new TypeError(`${fn}(): ${name} is detached`);
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  else if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
    bytes = new Uint8Array(value);
  } else throw new TypeError(`${fn}(): ${name} must be an ArrayBuffer or a typed array/DataView, got ${describe(value)}`);
  if (bytes.byteLength > MAX_U32) {
    throw new RangeError(`${fn}(): ${name} is ${bytes.byteLength} bytes; one io_uring operation moves at most ${MAX_U32}`);
  }
  return bytes;
}

export function checkBufferList(fn: string, value: unknown, name = "buffers"): Uint8Array[] {
  if (!Array.isArray(value)) throw new TypeError(`${fn}(): ${name} must be an array of buffers, got ${describe(value)}`);
  if (value.length === 0) throw new RangeError(`${fn}(): ${name} must not be empty`);
  if (value.length > 1024) throw new RangeError(`${fn}(): ${name} has ${value.length} buffers; IOV_MAX is 1024`);
  return value.map((b, i) => checkBuffer(fn, b, `${name}[${i}]`));
}

/** A path as the NUL-terminated UTF-8 the kernel reads. */
export function encodePath(fn: string, value: unknown, name = "path"): Uint8Array {
  if (typeof value !== "string") throw new TypeError(`${fn}(): ${name} must be a string, got ${describe(value)}`);
  if (value.includes("\0")) throw new TypeError(`${fn}(): ${name} must not contain NUL characters`);
  const encoded = new TextEncoder().encode(value);
  if (encoded.length >= 4096) throw new RangeError(`${fn}(): ${name} is ${encoded.length} bytes; PATH_MAX is 4096`);
  // An ArrayBuffer-backed copy: its memory never moves while it is referenced.
  const out = new Uint8Array(new ArrayBuffer(encoded.length + 1));
  out.set(encoded);
  return out;
}

export function checkOptions(fn: string, value: unknown, name = "options"): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object") throw new TypeError(`${fn}(): ${name} must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Options of the calls that create an fd (pipe, socket, accept, acceptMultishot). */
export interface NewFdOptions {
  /**
   * Leave close-on-exec off, so a child process inherits the fd (to hand it
   * a socket or a pipe end). Default false: every fd the library creates is
   * close-on-exec.
   */
  inheritable?: boolean;
}

/**
 * The close-on-exec bit (cloexec: O_CLOEXEC or SOCK_CLOEXEC) to add to a new
 * fd's flags: none with options.inheritable, which then refuses flags that
 * ask for close-on-exec themselves. optionsName: what the caller calls the
 * options object (openat2's is `how`).
 */
export function cloexecUnless(
  fn: string, options: unknown, flags: number, cloexec: number, flagsName = "flags", optionsName = "options",
): number {
  const o = checkOptions(fn, options, optionsName);
  if (!checkBoolean(fn, `${optionsName}.inheritable`, o.inheritable ?? false)) return cloexec;
  if ((flags & cloexec) !== 0) {
    throw new RangeError(`${fn}(): ${flagsName} asks for close-on-exec but ${optionsName}.inheritable is true`);
  }
  return 0;
}

/** Flags made only of the bits in `allowed`: an unknown bit is a RangeError, never passed to the kernel. */
export function checkBits(fn: string, name: string, value: unknown, allowed: number): number {
  const n = checkInteger(fn, name, value, 0, MAX_U32);
  const unknown = (n & ~allowed) >>> 0;
  if (unknown !== 0) throw new RangeError(`${fn}(): ${name} has unknown bits 0x${unknown.toString(16)} (allowed: 0x${(allowed >>> 0).toString(16)})`);
  return n;
}

/** A length or offset in [0, 2^53) (number or bigint). */
export function checkSize(fn: string, name: string, value: unknown): number {
  return checkInteger(fn, name, value, 0, Number.MAX_SAFE_INTEGER, true);
}

/**
 * A host address for the batch API (from addressOf() or a pool's
 * slotAddress()): an integer in [0, 2^53), the range an f64 carries exactly.
 */
export function checkAddress(fn: string, name: string, value: unknown): number {
  return checkInteger(fn, name, value, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * The buffer of a batch prepRead/prepWrite given as a view: the kernel
 * moves len bytes there, so len must fit in it (a detached view has none).
 */
export function checkBatchBuffer(fn: string, value: unknown, len: unknown): void {
  if (!ArrayBuffer.isView(value)) {
    throw new TypeError(`${fn}(): buf must be an address (number) or a typed array/DataView, got ${describe(value)}`);
  }
  const bytes = checkBuffer(fn, value);
  if (typeof len === "number" && len > bytes.byteLength) {
    throw new RangeError(`${fn}(): len ${len} exceeds buf's ${bytes.byteLength} bytes`);
  }
}

/** A non-empty attribute name (xattr): NUL-terminated, at most XATTR_NAME_MAX (255) bytes. */
export function encodeName(fn: string, value: unknown, name = "name"): Uint8Array {
  const out = encodePath(fn, value, name);
  if (out.length === 1) throw new RangeError(`${fn}(): ${name} must not be empty`);
  if (out.length - 1 > 255) throw new RangeError(`${fn}(): ${name} is ${out.length - 1} bytes; XATTR_NAME_MAX is 255`);
  return out;
}

export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${fn}(): ${name} must be a boolean, got ${describe(value)}`);
  return value;
}
