// A full CQ and a full SQ: completions beyond the CQ's size wait in the
// kernel's overflow list and are flushed and delivered, each exactly once;
// a full SQ makes the promise API queue in JS (and drain in order) and the
// batch API say so, never overwriting an SQE not yet submitted.
import { describe, expect, it } from "vitest";
import { type Ring, uring } from "./support/uring.ts";

const { Ring: RingClass } = uring;

const modes = [{ mode: "no-mmap" as const }, { mode: "mmap" as const }];
const SQ = 8;
const CQ = 16;
const TOTAL = 10 * CQ;

/**
 * Reaps (never waits: NOPs complete at submission) until want batch
 * completions arrived or a reap finds none; returns them in arrival order.
 * Only reap() runs, so what was in the overflow list arrives only if reap
 * flushes it.
 */
function reapAll(ring: Ring, want: number): { ud: number; res: number }[] {
  const got: { ud: number; res: number }[] = [];
  while (got.length < want && ring.reap((ud, res) => got.push({ ud, res })) > 0);
  return got;
}

describe.each(modes)("CQ overflow ($mode)", ({ mode }) => {
  it(`batch API: ${TOTAL} NOPs into a ${CQ}-entry CQ without reaping, then every completion exactly once`, () => {
    const ring = RingClass.open({ mode, entries: SQ, cqEntries: CQ });
    let next = 0;
    while (next < TOTAL) {
      while (next < TOTAL && ring.prepNop(next)) next++;
      expect(ring.submit()).toBeGreaterThan(0);
    }
    // 16 in the CQ, 144 in the kernel's overflow list: reaping flushes it.
    const got = reapAll(ring, TOTAL);
    expect(got.length).toBe(TOTAL);
    expect(new Set(got.map((c) => c.ud)).size).toBe(TOTAL);
    expect(got.every((c) => c.res === 0 && c.ud < TOTAL)).toBe(true);
    // Nothing else left over.
    expect(ring.reap(() => {})).toBe(0);
    ring.close();
  });

  // IORING_TIMEOUT_MULTISHOT is 6.4+, as test/multishot.test.ts assumes.
  // The promise API never has more single-shot requests in flight than the
  // CQ holds; a multishot request can overflow it. The kernel then ends the
  // multishot (a request's extra CQEs never go to the overflow list) and
  // puts its final CQE in the overflow list: that one must arrive too.
  it("promise API: a multishot timer fills the CQ while JS is blocked; its final CQE comes from the overflow list, each once, in order", async () => {
    const ring = RingClass.open({ mode, entries: SQ, cqEntries: CQ });
    const ticks = ring.timeoutMultishot(1, { count: TOTAL });
    await ring.nop(); // submitted
    // Block the thread: the kernel fires TOTAL times into a CQ of CQ entries.
    const until = Date.now() + TOTAL * 1 + 400;
    while (Date.now() < until) { /* nothing reaps meanwhile */ }
    const seen: number[] = [];
    for await (const t of ticks) seen.push(t);
    expect(seen.length).toBeGreaterThan(CQ); // more than the CQ holds: the overflow list was flushed
    expect(seen.length).toBeLessThanOrEqual(TOTAL);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(ring.pending).toBe(0);
    ring.close();
  });

  it("promise API with batch completions overflowing alongside: each side gets exactly its own", async () => {
    const ring = RingClass.open({ mode, entries: SQ, cqEntries: CQ });
    const timers = Array.from({ length: 4 }, (_, i) => ring.timeout(1 + i).then(() => i));
    await ring.nop();
    let next = 0;
    while (next < TOTAL) {
      while (next < TOTAL && ring.prepNop(next)) next++;
      ring.submit();
    }
    expect(await Promise.all(timers)).toEqual([0, 1, 2, 3]);
    const got = reapAll(ring, TOTAL);
    expect(got.length).toBe(TOTAL);
    expect(new Set(got.map((c) => c.ud))).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => i)));
    ring.close();
  });

  it(`promise API: ${TOTAL} NOPs started at once settle once each, in the order started`, async () => {
    const ring = RingClass.open({ mode, entries: SQ, cqEntries: CQ });
    const order: number[] = [];
    await Promise.all(Array.from({ length: TOTAL }, (_, i) => ring.nop().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    ring.close();
  });
});

describe.each(modes)("SQ full ($mode)", ({ mode }) => {
  it("promise API: 1000 writes to a pipe through a 4-entry SQ queue in JS and arrive in order", async () => {
    const ring = RingClass.open({ mode, entries: 4 });
    const [r, w] = await ring.pipe();
    const enc = new TextEncoder();
    const N = 1000; // 8 KB in all: the pipe never fills, so no write waits on another
    const writes = Array.from({ length: N }, (_, i) => ring.write(w, enc.encode(String(i).padStart(7, "0") + "\n")));
    expect(ring.pending).toBe(N);
    expect((await Promise.all(writes)).every((n) => n === 8)).toBe(true);
    const got = new Uint8Array(new ArrayBuffer(N * 8));
    for (let at = 0; at < got.length;) at += await ring.read(r, got.subarray(at));
    const lines = new TextDecoder().decode(got).trimEnd().split("\n");
    expect(lines).toEqual(Array.from({ length: N }, (_, i) => String(i).padStart(7, "0")));
    await ring.closeFd(r);
    await ring.closeFd(w);
    ring.close();
  });

  it("batch API: prep returns false on a full SQ and never overwrites an SQE not yet submitted", () => {
    const ring = RingClass.open({ mode, entries: SQ, cqEntries: CQ });
    const buf = new Uint8Array(new ArrayBuffer(16));
    for (let i = 0; i < SQ; i++) expect(ring.prepNop(i)).toBe(true);
    expect(ring.sqSpaceLeft()).toBe(0);
    expect(ring.prepNop(1000)).toBe(false);
    expect(ring.prepRead(0, buf, 16, 0, 1001)).toBe(false);
    expect(ring.prepWrite(1, buf, 16, 0, 1002)).toBe(false);
    expect(ring.submit()).toBe(SQ);
    for (let i = SQ; i < 2 * SQ; i++) expect(ring.prepNop(i)).toBe(true);
    expect(ring.prepNop(1003)).toBe(false);
    expect(ring.submit()).toBe(SQ);
    const got = reapAll(ring, 2 * SQ);
    expect(got.map((c) => c.ud).sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * SQ }, (_, i) => i));
    expect(ring.reap(() => {})).toBe(0);
    ring.close();
  });
});
