// How the sweep and the randomized sequence judge one call: what it threw
// or rejected with, and whether that is the refusal the table expects.
import { uring, type UringError } from "../support/uring.ts";
import type { BadValue } from "./values.ts";

const UringErrorClass = uring.UringError;

const classes = { TypeError, RangeError, UringError: UringErrorClass } as const;

/** Why e is not the refusal expected (undefined when it is). */
export function mismatch(e: unknown, fn: string, name: string, expected: BadValue): string | undefined {
  if (!(e instanceof Error)) return `threw a non-error ${String(e)}`;
  if (expected.kernel) {
    if (!(e instanceof UringErrorClass)) return `expected a UringError, got ${e.name}: ${e.message}`;
    if ((e as UringError).code !== "EBADF") return `expected EBADF, got ${(e as UringError).code}: ${e.message}`;
    // The kernel's EBADF names the fd it was about.
    return e.message.startsWith(`${fn}: EBADF`) && e.message.includes(`${name} `) ? undefined : `message does not name ${fn} and ${name}: ${e.message}`;
  }
  if (!(e instanceof classes[expected.error]) || (expected.error !== "UringError" && e instanceof UringErrorClass)) {
    return `expected ${expected.error}, got ${e.name}: ${e.message}`;
  }
  if (!e.message.includes(`${fn}(`) && !(e instanceof UringErrorClass && e.message.startsWith(`${fn.split(".").pop()}:`))) {
    return `message does not name ${fn}(): ${e.message}`;
  }
  const argName = expected.mentions ?? name.split(".").pop()!;
  if (expected.error !== "UringError" && !e.message.includes(argName)) return `message does not name ${name}: ${e.message}`;
  return undefined;
}

/** Runs call; returns what it threw or rejected with, or "returned" (with the result settled quietly). */
export async function outcome(call: () => unknown, afterCall?: () => void): Promise<{ thrown?: unknown; async?: boolean; returned?: unknown }> {
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    afterCall?.();
    return { thrown: e };
  }
  afterCall?.();
  if (result instanceof Promise) {
    try {
      result = await result;
    } catch (e) {
      return { thrown: e, async: true };
    }
  } else if (result !== null && typeof result === "object" && typeof (result as AsyncIterator<unknown>).next === "function") {
    // A multishot stream refused by the kernel fails on its first next().
    const stream = result as AsyncIterator<unknown> & { return(): Promise<unknown> };
    try {
      await stream.next();
    } catch (e) {
      return { thrown: e, async: true };
    } finally {
      await stream.return().catch(() => {});
    }
  }
  return { returned: result };
}

