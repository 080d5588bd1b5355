// A Worker for test/clone.test.ts: its own ring clones the main thread's
// registered pool (registered and pinned once, there) and reads its part of
// a file into its own buffer of that pool with O_DIRECT.
export {};

// The Worker global scope, typed for just what this file uses.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown): void;
};
const runtime = "Bun" in globalThis ? "bun" : "deno";
const adapter = `../../runtime-${runtime}/mod.ts`;
const { Ring, O_RDONLY, O_DIRECT } = (await import(adapter)) as typeof import("../../core/mod.ts");

interface Job {
  shared: import("../../core/mod.ts").SharedBufferTable;
  path: string;
  index: number;
  bytes: number;
}

scope.onmessage = async (event: MessageEvent<Job>) => {
  const { shared, path, index, bytes } = event.data;
  try {
    using ring = Ring.open({ entries: 8 });
    ring.cloneBuffersFrom(shared);
    const pool = ring.registeredBuffer(0) as import("../../core/mod.ts").BufferPool;
    const fd = await ring.openat(path, O_RDONLY | O_DIRECT);
    const n = await ring.readFixed(fd, pool, index, index * bytes);
    await ring.closeFd(fd);
    // First and last bytes as seen from this thread, for the main thread to compare.
    const view = pool.view(index);
    scope.postMessage({ index, n, first: view[0], last: view[view.length - 1], slot: ring.bufferSlotOf(pool) });
  } catch (e) {
    scope.postMessage({ index, error: String(e) });
  }
};
// Ready only now: with the top-level await above, a message posted before
// this point could be dispatched before there was a handler.
scope.postMessage("ready");
