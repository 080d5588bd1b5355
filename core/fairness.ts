// Keeps the promise API from starving the event loop. An op that completes
// during its own submission (a NOP, a page-cache read) settles inside the
// flush microtask, so a loop awaiting such ops runs entirely in microtasks
// and timers and I/O callbacks would never run. A canary macrotask tells:
// if it is still pending FLUSH_CHECK flushes later, the loop has not turned
// meanwhile, and the next flush waits for a macrotask instead of a
// microtask. Process-wide: the event loop is.

const FLUSH_CHECK = 256; // a power of two

// setImmediate (Bun and Deno have it) runs once timers and I/O have had their
// turn, in microseconds. Taken at load, so fake timers installed later (a
// test framework's) cannot stall the ring: as the property's descriptor,
// whose getter (Deno's timer globals are getters that load its Node timers
// layer, about 10 ms) is called only when a macrotask is first needed.
function taken(name: "setImmediate" | "setTimeout"): () => ((fn: () => void, ms?: number) => unknown) | undefined {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  let fn = d?.get ? undefined : d?.value;
  return () => (fn ??= d?.get?.call(globalThis));
}
const realSetImmediate = taken("setImmediate");
const realSetTimeout = taken("setTimeout");
const macrotask = (fn: () => void): void => {
  const immediate = realSetImmediate();
  if (typeof immediate === "function") immediate(fn);
  else realSetTimeout()!(fn, 0);
};

let flushes = 0;
let canaryPending = false;

/** Set while the event loop has not turned for FLUSH_CHECK flushes: schedule flushes with `macrotask`. */
export const loop = { starving: false, macrotask };

function canary(): void {
  canaryPending = false;
  loop.starving = false;
}

/** Called once per flush. */
export function countFlush(): void {
  if ((++flushes & (FLUSH_CHECK - 1)) !== 0) return;
  if (canaryPending) loop.starving = true;
  else {
    canaryPending = true;
    macrotask(canary);
  }
}
