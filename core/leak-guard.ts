// The safety net for rings, pools and native buffers dropped without
// close(): once the garbage collector has proven one unreachable, its native
// resources (ring fd, eventfd, waiter thread, mappings) are released and a
// warning, once per process, says close() should have been called.
//
// What is registered must be unreachable only when the kernel can no longer
// touch its memory: the owners make sure of that (a ring with requests in
// flight is strongly referenced until their last CQE; a pool's target is the
// ArrayBuffer every view of it shares). A held value never references its
// target, or the target could never be collected.

interface Held {
  /** "Ring", "BufferPool", "NativeBuffer": named in the warning. */
  readonly what: string;
  readonly release: () => void;
}

let warned = false;

function warnOnce(what: string): void {
  if (warned) return;
  warned = true;
  console.warn(
    `uringshim: a ${what} was garbage-collected without close(); a safety net released its fds and memory. ` +
      "Call close() (or `using`) when done with rings and pools. Further leaks are not reported.",
  );
}

const registry = new FinalizationRegistry<Held>((held) => {
  try {
    held.release();
  } finally {
    warnOnce(held.what);
  }
});

/** Calls release() once target is collected, unless unguard(token) came first. release must not reach target. */
export function guard(target: object, what: string, release: () => void, token: object): void {
  registry.register(target, { what, release }, token);
}

/** close() ran: the safety net is no longer needed. */
export function unguard(token: object): void {
  registry.unregister(token);
}

const quiet = new FinalizationRegistry<() => void>((release) => release());

/**
 * Calls release() once target is collected, with no warning: for memory the
 * library owns and frees only this way (staging slots). Never called when a
 * Worker is terminated: the runtime frees its heap without collecting.
 */
export function releaseWhenCollected(target: object, release: () => void): void {
  quiet.register(target, release);
}
