// The promise API's batching as async code meets it: ops started anywhere in
// one macrotask, at any microtask depth, reach the kernel together. Counted
// with ring.enters (the ring's own io_uring_enter calls), so each test fails
// if the flush goes out at the first microtask checkpoint.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ringConfigs, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass } = uring;

/** Resolves in a later macrotask: every flush of this one has gone out. */
const nextMacrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

// Not SQPOLL: its kernel thread takes the SQEs, and the ring enters only to wake it.
describe.each(ringConfigs.filter((c) => !("sqpoll" in c.options)))("batching ($name)", ({ options }) => {
  let ring: Ring;

  beforeAll(() => {
    ring = RingClass.open({ ...options, entries: 256 });
  });
  afterAll(() => ring.close());

  async function entersFor(run: () => Promise<unknown>): Promise<number> {
    await nextMacrotask();
    const before = ring.enters;
    await run();
    return ring.enters - before;
  }

  it("one enter for ops started at microtask depths 0 to 63 of one macrotask", async () => {
    const enters = await entersFor(() =>
      Promise.all(Array.from({ length: 64 }, async (_, depth) => {
        for (let i = 0; i < depth; i++) await null;
        await ring.nop();
      }))
    );
    expect(enters).toBe(1);
  });

  it("one enter for a few ops started by async functions resuming one another", async () => {
    async function chain(n: number): Promise<void> {
      if (n === 0) return;
      const op = ring.nop();
      await chain(n - 1);
      await op;
    }
    // Each level starts its op, then calls the next before awaiting: depths 0..7.
    expect(await entersFor(() => chain(8))).toBe(1);
  });

  it("workers fed by an async generator batch like workers fed from an array", async () => {
    const items = 4096;
    const workers = 32;
    async function* names(): AsyncGenerator<number> {
      for (let i = 0; i < items; i++) yield i;
    }
    async function* twice(source: AsyncGenerator<number>): AsyncGenerator<number> {
      for await (const x of source) yield x * 2;
    }
    const streamed = async (source: AsyncGenerator<number>) => {
      const it = source[Symbol.asyncIterator]();
      await Promise.all(Array.from({ length: workers }, async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) await ring.nop();
      }));
    };
    const fromArray = async () => {
      let next = 0;
      await Promise.all(Array.from({ length: workers }, async () => {
        while (next < items) {
          next++;
          await ring.nop();
        }
      }));
    };
    const array = await entersFor(fromArray);
    const generator = await entersFor(() => streamed(names()));
    const pipeline = await entersFor(() => streamed(twice(names())));
    // An enter per depth would be about one per op (4096); per batch of workers, items / workers.
    expect(array).toBeLessThanOrEqual(2 * items / workers);
    expect(generator).toBeLessThanOrEqual(2 * array);
    expect(pipeline).toBeLessThanOrEqual(2 * array);
  });

  it("a lone op still goes out in its own macrotask", async () => {
    await nextMacrotask();
    const before = ring.enters;
    let settled = false;
    void ring.nop().then(() => (settled = true));
    await nextMacrotask();
    expect(ring.enters - before).toBe(1);
    expect(settled).toBe(true);
  });

  it("a QD 1 loop of awaited ops enters once per op", async () => {
    expect(await entersFor(async () => {
      for (let i = 0; i < 100; i++) await ring.nop();
    })).toBe(100);
  });

  it("ops arriving at every hop without end still go out: the wait is bounded", async () => {
    await nextMacrotask();
    let firstDone = false;
    void ring.nop().then(() => (firstDone = true));
    const started: Promise<void>[] = [];
    let hops = 0;
    for (; hops < 10_000 && !firstDone; hops++) {
      started.push(ring.nop());
      await null;
    }
    await Promise.all(started);
    expect(firstDone).toBe(true);
    expect(hops).toBeLessThan(10_000);
  });
});
