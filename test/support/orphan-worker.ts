// A Worker for test/exit.test.ts: opens a ring, leaves a poll and a read in
// flight on the two FIFOs it is given, says so, and waits to be terminated
// with the ring still open.
export {};

type Mod = typeof import("../../core/mod.ts");

const runtime = "Bun" in globalThis ? "bun" : "deno";
// Not awaited at the top: a message posted while this module still loads would be lost.
const loading = import(`../../runtime-${runtime}/mod.ts`) as Promise<Mod>;

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ pollFd: number; readFd: number }>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  const { Ring, POLLIN } = await loading;
  const ring = Ring.open({ entries: 8 });
  ring.pollAdd(event.data.pollFd, POLLIN).catch(() => {});
  ring.read(event.data.readFd, new Uint8Array(64), 0).catch(() => {});
  (globalThis as { keep?: unknown }).keep = ring;
  // After the enter that submitted them: the waiter is armed by then.
  setTimeout(() => scope.postMessage("in flight"), 10);
};
