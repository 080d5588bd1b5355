// A Worker for test/buffer-pool.test.ts: attaches to the main thread's pool
// from its share() descriptor, reports what slot 0 holds as seen from here,
// fills slot 1 for the main thread to read, then closes its attached pool
// (which must detach only its own views and never unmap the memory).
export {};

type Mod = typeof import("../../core/mod.ts");
type Descriptor = import("../../core/mod.ts").SharedPoolDescriptor;

const runtime = "Bun" in globalThis ? "bun" : "deno";
const adapter = `../../runtime-${runtime}/mod.ts`;
// Not awaited at the top: a message posted while this module still loads
// would find no handler and be lost.
const loading = import(adapter) as Promise<Mod>;

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ descriptor: Descriptor; fill: number }>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  const { descriptor, fill } = event.data;
  try {
    const { BufferPool } = await loading;
    const pool = BufferPool.attach(descriptor);
    const seen = Array.from(pool.view(0));
    const view = pool.view(1);
    view.fill(fill);
    const slot1 = pool.slotAddress(1);
    pool.close();
    scope.postMessage({
      owner: pool.owner, address: pool.address, slot1, hugePages: pool.hugePages, seen,
      detachedAfterClose: view.length === 0 && pool.closed,
    });
  } catch (e) {
    scope.postMessage({ error: String(e) });
  }
};
