// The bad-value classes of the sweep, one generator per argument kind: each
// returns the values that must be refused and the error class each must
// get. Shared by the table (table.ts) and the randomized sequence test.
import { readdirSync } from "node:fs";

export type ErrorClass = "TypeError" | "RangeError" | "UringError";

/** A value to pass in place of one argument, and what it must be refused with. */
export interface BadValue {
  label: string;
  /** Gets the test fixture (table.ts), for values that are handles of it. */
  // deno-lint-ignore no-explicit-any
  value: (fx: any) => unknown;
  error: ErrorClass;
  /** Refused by the kernel (a UringError from the promise), not before submission. */
  kernel?: boolean;
  /** What the message names when it is more precise than the argument ("fds[0]" inside source). */
  mentions?: string;
}

/** b, with the message expected to name `what`. */
export const naming = (what: string, b: BadValue): BadValue => ({ ...b, mentions: what });

// deno-lint-ignore no-explicit-any
const bad = (label: string, value: (fx: any) => unknown, error: ErrorClass, kernel = false): BadValue => ({ label, value, error, kernel });

/** An ArrayBuffer whose memory was transferred away. */
export function detachedBuffer(): ArrayBuffer {
  const b = new ArrayBuffer(16);
  b.transfer();
  return b;
}

/** A view of a detached buffer (its byteLength reads 0). */
export function detachedView(): Uint8Array {
  const b = new ArrayBuffer(16);
  const view = new Uint8Array(b);
  structuredClone(b, { transfer: [b] });
  return view;
}

/**
 * An fd number that is closed and stays closed: the kernel hands out the
 * lowest free number, so one 10000 above the highest open fd is not reused
 * by anything else this process (or another test thread) opens meanwhile.
 */
export function closedFd(): number {
  return Math.max(...readdirSync("/proc/self/fd").map(Number)) + 10_000;
}

/** Numbers an integer argument must refuse: wrong types, NaN, fractions, beyond 2^53, out of [min, max]. */
export function badIntegers(min: number, max: number, options: { bigint?: boolean; required?: boolean } = {}): BadValue[] {
  const out = [
    bad("NaN", () => Number.NaN, "RangeError"),
    bad("1.5", () => 1.5, "RangeError"),
    bad("Infinity", () => Infinity, "RangeError"),
    bad("2^53+2", () => 2 ** 53 + 2, "RangeError"),
    bad('"1"', () => "1", "TypeError"),
    bad("{}", () => ({}), "TypeError"),
    bad("a symbol", () => Symbol("n"), "TypeError"),
    bad(`${min - 1} (below the minimum)`, () => min - 1, "RangeError"),
  ];
  if (max < 2 ** 53) out.push(bad(`${max + 1} (above the maximum)`, () => max + 1, "RangeError"));
  // Where the API takes a bigint (offsets, lengths) one beyond 2^53 is refused; elsewhere any bigint is.
  out.push(options.bigint ? bad("2n^64", () => 2n ** 64n, "RangeError") : bad("10n", () => 10n, "TypeError"));
  if (options.required) out.push(bad("missing", () => undefined, "TypeError"));
  return out;
}

export const badU32 = (required = true): BadValue[] => [...badIntegers(0, 0xffff_ffff, { required }), bad("2^32", () => 2 ** 32, "RangeError")];

/** A file offset: -1 or [0, 2^53), number or bigint. */
export const badOffset = (): BadValue[] => [
  ...badIntegers(-1, Number.MAX_SAFE_INTEGER, { bigint: true }),
  bad("-2n", () => -2n, "RangeError"),
];

/** An fd argument (a plain fd, or a FixedFile where the op takes one). */
export function badFd(options: { required?: boolean; kernel?: boolean } = {}): BadValue[] {
  const out = badIntegers(0, 0x7fff_ffff, { required: options.required ?? true });
  // Only the kernel knows an fd is closed: the op's promise rejects EBADF.
  if (options.kernel ?? true) out.push(bad("a closed fd", closedFd, "UringError", true));
  return out;
}

export const badBuffer = (required = true): BadValue[] => [
  bad("detached ArrayBuffer", detachedBuffer, "TypeError"),
  bad("view of a detached buffer", detachedView, "TypeError"),
  bad('a string "abc"', () => "abc", "TypeError"),
  bad("a plain array", () => [1, 2, 3], "TypeError"),
  bad("a number", () => 42, "TypeError"),
  bad("null", () => null, "TypeError"),
  bad("a symbol", () => Symbol("b"), "TypeError"),
  ...(required ? [bad("missing", () => undefined, "TypeError")] : []),
];

export const badBufferList = (): BadValue[] => [
  bad("an empty list", () => [], "RangeError"),
  bad("not an array", () => new Uint8Array(4), "TypeError"),
  bad("a list with a number", () => [new Uint8Array(4), 3], "TypeError"),
  bad("a list with a detached buffer", () => [new Uint8Array(4), detachedView()], "TypeError"),
  bad("1025 buffers (IOV_MAX 1024)", () => Array.from({ length: 1025 }, () => new Uint8Array(1)), "RangeError"),
  bad("missing", () => undefined, "TypeError"),
];

export const badPath = (): BadValue[] => [
  bad("NUL in the path", () => "/tmp/a\0b", "TypeError"),
  bad("a number", () => 42, "TypeError"),
  bad("a Uint8Array", () => new Uint8Array(3), "TypeError"),
  bad("a symbol", () => Symbol("p"), "TypeError"),
  bad("5000 bytes (PATH_MAX 4096)", () => "x".repeat(5000), "RangeError"),
  bad("missing", () => undefined, "TypeError"),
];

export const badOptions = (): BadValue[] => [
  bad("a number", () => 7, "TypeError"),
  bad("a string", () => "x", "TypeError"),
  bad("null", () => null, "TypeError"),
];

export const badBoolean = (): BadValue[] => [
  bad('"yes"', () => "yes", "TypeError"),
  bad("1", () => 1, "TypeError"),
  bad("an object", () => ({}), "TypeError"),
];

/** Flags checked bit by bit: also an unknown bit. */
export const badBits = (unknownBit: number, required = false): BadValue[] => [
  ...badIntegers(0, 0xffff_ffff, { required }),
  bad(`unknown bit 0x${unknownBit.toString(16)}`, () => unknownBit, "RangeError"),
];

export const badMs = (): BadValue[] => [
  bad("NaN", () => Number.NaN, "RangeError"),
  bad("-1", () => -1, "RangeError"),
  bad("Infinity", () => Infinity, "RangeError"),
  bad("2^53", () => 2 ** 53, "RangeError"),
  bad('"1"', () => "1", "TypeError"),
  bad("10n", () => 10n, "TypeError"),
  bad("missing", () => undefined, "TypeError"),
];

export const badFunction = (): BadValue[] => [
  bad("a number", () => 5, "TypeError"),
  bad("missing", () => undefined, "TypeError"),
];

/** Values that are not the expected object at all. */
export const badObject = (): BadValue[] => [
  bad("a number", () => 5, "TypeError"),
  bad("a plain object", () => ({}), "TypeError"),
  bad("null", () => null, "TypeError"),
];

export { bad };
