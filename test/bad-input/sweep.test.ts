// Every public method and option × every bad-value class (table.ts): each
// call must be refused with the expected TypeError / RangeError /
// UringError whose message names the function and the argument, without
// queueing anything; kernel-refused values (a closed fd) reject with EBADF.
// Every Ring and BufferPool method must have a row (or be listed with a
// reason), and every one refuses a closed ring or pool.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, uring, type UringError } from "../support/uring.ts";
import { EXEMPT, type Fixture, makeFixture, NO_ARGUMENTS, type Row, table } from "./table.ts";
import { mismatch, outcome } from "./check.ts";
import { badBuffer } from "./values.ts";

const UringErrorClass = uring.UringError;

describe.each([["no-mmap"], ["mmap"]] as const)("bad input (%s)", (mode) => {
  let fx: Fixture;
  let cleanup: () => void;
  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    fx = await makeFixture(t.dir, mode);
  });
  afterAll(async () => {
    await fx.close();
    cleanup();
  });

  const rows = table();

  it.each(rows.map((r) => [`${r.covers}`, r] as const))("%s refuses every bad value", async (_label, row: Row) => {
    const failures: string[] = [];
    let batched = 0;
    for (let i = 0; i < row.args.length; i++) {
      for (const b of row.args[i].bad) {
        const target = row.target(fx);
        const args = row.args.map((a, j) => (j === i ? b.value(fx) : a.valid(fx)));
        const ring = target === fx.ring || target === fx.bare ? (target as typeof fx.ring) : undefined;
        const before = ring === undefined ? undefined : [ring.pending, ring.sqSpaceLeft()];
        let after = before;
        const got = await outcome(() => row.call(target, args, fx), () => ring && (after = [ring.pending, ring.sqSpaceLeft()]));
        const what = `${row.args[i].name} = ${b.label}`;
        if (got.thrown === undefined) {
          failures.push(`${what}: accepted (returned ${String(got.returned)})`);
          if (row.batch && got.returned === true) batched++;
          continue;
        }
        const why = mismatch(got.thrown, row.fn, row.args[i].name, b);
        if (why !== undefined) failures.push(`${what}: ${why}`);
        // A refused call queues nothing (kernel-refused ones ran to completion);
        // a refused link() takes its valid members out of the queue again.
        if (ring !== undefined && !b.kernel && !got.async) {
          if (after![0] > before![0] || after![1] < before![1]) failures.push(`${what}: queued something (pending/sq ${before} → ${after})`);
        }
      }
    }
    if (batched > 0) {
      // Wrongly accepted batch calls: hand them to the kernel and reap them.
      fx.ring.submitAndWait(batched, 1000);
      fx.ring.reap(() => {});
    }
    expect(failures).toEqual([]);
  });

  it.each(rows.filter((r) => r.closedTarget !== undefined).map((r) => [r.covers, r] as const))(
    "%s refuses a closed ring or pool",
    async (_label, row: Row) => {
      const args = row.args.map((a) => a.valid(fx));
      const got = await outcome(() => row.call(row.closedTarget!(fx), args, fx));
      expect(got.thrown).toBeInstanceOf(UringErrorClass);
      expect((got.thrown as UringError).code).toBe("ERING_CLOSED");
      expect((got.thrown as Error).message).toContain(`${row.fn}(`);
    },
  );

  it.each(NO_ARGUMENTS.Ring.map((m) => [m]))("Ring#%s (no arguments) refuses a closed ring", (method) => {
    const call = () => (fx.closed as unknown as Record<string, () => unknown>)[method]();
    expect(call).toThrow(UringErrorClass);
    expect(call).toThrow(`${method}(): the ring is closed`);
  });

  it("BufferPool#share (no arguments) refuses a closed pool", () => {
    expect(() => fx.closedPool.share()).toThrow("BufferPool.share(): the pool is closed");
  });

  it("FixedFile handles of a closed ring are refused by the closed ring", () => {
    expect(() => fx.closed.read(fx.fixed, fx.buf)).toThrow("read(): the ring is closed");
  });
});

describe("coverage of the table", () => {
  function methods(proto: object): string[] {
    const out = new Set<string>();
    for (let p = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Reflect.ownKeys(p)) {
        if (key === "constructor") continue;
        const d = Object.getOwnPropertyDescriptor(p, key)!;
        if (typeof d.value === "function") out.add(String(key));
      }
    }
    return [...out];
  }

  it.each([["Ring", uring.Ring.prototype], ["BufferPool", uring.BufferPool.prototype]] as const)(
    "every %s method has a row, is argument-free (closed case only) or is exempt with a reason",
    (cls, proto) => {
      const covered = new Set(table().map((r) => r.covers.split("(")[0]));
      const missing = methods(proto).filter((m) =>
        !covered.has(`${cls}#${m}`) && !NO_ARGUMENTS[cls].includes(m) && !EXEMPT[cls].includes(m)
      );
      expect(missing).toEqual([]);
      // The lists name real methods (a renamed method must not hide behind a stale entry).
      const all = methods(proto);
      expect([...NO_ARGUMENTS[cls], ...EXEMPT[cls]].filter((m) => !all.includes(m))).toEqual([]);
    },
  );

  it("every static factory and exported function taking options has a row", () => {
    const covered = new Set(table().map((r) => r.covers.split("(")[0]));
    for (const name of ["Ring.open", "BufferPool.create", "BufferPool.attach", "BufferPool.fromDmabuf", "NativeBuffer.alloc", "probe", "serve", "connect"]) {
      expect(covered, name).toContain(name);
    }
  });
});

describe("Connection", () => {
  it("write() and send() refuse bad data; write(), send() and end() refuse a closed connection", async () => {
    using ring = uring.Ring.open({ entries: 16 });
    const server = await uring.serve(ring, { port: 0 }, async (conn) => {
      for await (const _ of conn) { /* drain */ }
    });
    const conn = await uring.connect(ring, { port: server.port });
    const failures: string[] = [];
    for (const fn of ["write", "send"] as const) {
      for (const b of badBuffer().filter((v) => !v.label.startsWith("a string"))) {
        const got = await outcome(() => conn[fn](b.value(undefined) as Uint8Array));
        const why = got.thrown === undefined ? "accepted" : mismatch(got.thrown, `Connection.${fn}`, "data", b);
        if (why !== undefined) failures.push(`${fn}: data = ${b.label}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
    await conn.close();
    const calls = [["Connection.write", () => conn.write("x")], ["Connection.send", () => conn.send("x")], ["Connection.end", () => conn.end()]] as const;
    for (const [fn, call] of calls) {
      const got = await outcome(call);
      expect((got.thrown as UringError).code, fn).toBe("ERING_CLOSED");
      expect((got.thrown as Error).message).toContain(`${fn}()`);
    }
    await server.close();
  });
});
