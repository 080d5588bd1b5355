// bench/shim-ring.ts: the uringshim implementations of bench/shim.ts, the
// batch API (prepRead/submitAndWait/reap, mirroring ref_bench.c step for
// step: same ring size, same enter/wait pattern, same request plan; keep
// them in sync) and the promise API (ring.read() and friends, qd requests
// in flight).
import { IOSQE_IO_DRAIN } from "../core/constants.ts";
import { stampHeaders } from "./pattern.mjs";
import { fail, measured, type IoEnv, now, type Options, type RunResult, verifySlots } from "./shim-common.ts";

type Mod = typeof import("../runtime-bun/mod.ts");
type Ring = import("../runtime-bun/mod.ts").Ring;
type BufferPool = import("../runtime-bun/mod.ts").BufferPool;
type FixedFile = import("../runtime-bun/mod.ts").FixedFile;

/** ref-bench: ring_init(entries, 2 * entries, sqpoll) with SUBMIT_ALL | SINGLE_ISSUER. */
export function openRing(mod: Mod, o: Options): Ring {
  // --compat: the features turned off, each as { feature: false }.
  const compat = Object.fromEntries([...mod.parseCompatEnv(o.compat)].map((f) => [f, false]));
  const ring = mod.Ring.open({
    entries: o.entries, cqEntries: 2 * o.entries, singleIssuer: true, compat, ...(o.sqpoll ? { sqpoll: true } : {}),
  });
  if (ring.entries !== o.entries) fail(`entries must be a power of two (ring has ${ring.entries})`);
  return ring;
}


// ---- nop ----------------------------------------------------------------------

/**
 * ref-bench's nop loop: repeat { prep `batch` NOPs; submitAndWait(batch)
 * (one enter(batch, batch, GETEVENTS)); reap all available CQEs (res must
 * be 0) } until the duration has passed (clock read once per iteration).
 */
export async function batchNop(ring: Ring, o: Options): Promise<RunResult> {
  const batch = o.batch;
  let ops = 0;
  let bad = 0;
  const onCqe = (_ud: number, res: number) => {
    if (res !== 0) bad = res;
    ops++;
  };
  const loop = (ms: number) => {
    const t0 = now();
    const end = t0 + ms;
    let t1: number;
    do {
      for (let i = 0; i < batch; i++) ring.prepNop(ops + i);
      ring.submitAndWait(batch);
      ring.reap(onCqe);
      if (bad !== 0) fail(`nop res ${bad}`);
      t1 = now();
    } while (t1 < end);
    return { ops, seconds: (t1 - t0) / 1000 };
  };
  const r = await measured(o, loop, () => (ops = 0));
  return { ...r, reads: 0, writes: 0, fsyncs: 0, verifiedBuffers: 0, inFlight: batch, mode: ring.mode };
}

/**
 * `batch` nop() promises per round in one reused array, Promise.all per
 * round (the ring turns each round into one io_uring_enter).
 */
export async function promiseNop(ring: Ring, o: Options): Promise<RunResult> {
  const batch = o.batch;
  const ps: Promise<void>[] = new Array(batch);
  const loop = async (ms: number) => {
    let ops = 0;
    const t0 = now();
    const end = t0 + ms;
    let t1: number;
    do {
      for (let i = 0; i < batch; i++) ps[i] = ring.nop();
      await Promise.all(ps);
      ops += batch;
      t1 = now();
    } while (t1 < end);
    return { ops, seconds: (t1 - t0) / 1000 };
  };
  const r = await measured(o, loop, () => {});
  return { ...r, reads: 0, writes: 0, fsyncs: 0, verifiedBuffers: 0, inFlight: batch, mode: ring.mode };
}

// ---- I/O ----------------------------------------------------------------------

/** A ring set up for an I/O run: the pool of qd slots (registered with --fixed), the file (a FixedFile with --files). */
export interface RingIo {
  ring: Ring;
  pool: BufferPool;
  fd: number;
  /** What requests name: fd, or its FixedFile. */
  file: number | FixedFile;
  /** The pool's slot in the registered buffer table (--fixed). */
  bufIndex: number;
}

/** Per-slot bookkeeping shared by the batch and promise loops. */
function slots(env: IoEnv, pool: BufferPool) {
  const qd = env.o.qd;
  return {
    lastOff: new Float64Array(qd),
    lastWrite: new Uint8Array(qd),
    /** The whole pool as words, for stampHeaders; slot i starts at word i * strideWords. */
    u32: new Uint32Array(pool.view(0).buffer, 0, pool.byteLength >>> 2),
    strideWords: pool.stride >>> 2,
  };
}

/**
 * ref-bench's io_loop: prime qd requests (userData = slot); repeat {
 * submitAndWait(batch) (enter(pending, batch, GETEVENTS)); for each CQE
 * check res and at once prepare the next request of the same slot (issue)
 * } until the duration. Then drain, and check the data.
 *
 * --latency: one clock read before each submitAndWait stamps every request
 * it submits, one after it returns is the completion time of every CQE
 * reaped then (ref-bench's method; the same histogram).
 *
 * --fsync-every N: ref-bench prepares an IORING_OP_FSYNC with
 * IOSQE_IO_DRAIN after every Nth write (why DRAIN: see its io_issue). The
 * batch API has no prepFsync and no way to set SQE flags, so the fsync is
 * the promise API's `ring.sqeSetFlags(ring.fsync(file), IOSQE_IO_DRAIN)`:
 * the same SQE at the same place in the SQ. The promise API puts it in the
 * SQ at the end of the event-loop turn, so the loop stops preparing
 * requests at that point (later completions wait in `deferred`), yields
 * one microtask (the ring's flush submits what is prepared plus the
 * fsync), then prepares the deferred requests behind it. What this adds
 * over ref-bench: the microtask hop per fsync, and the promise engine's
 * eventfd notifications while an fsync is in flight. ("fsyncVia" in the
 * result says so.)
 */
export async function batchIo(env: IoEnv, r: RingIo): Promise<RunResult> {
  const { ring, pool, file, bufIndex } = r;
  const o = env.o;
  const { qd, bs, batch, latency, fixed, fsyncEvery, sqpoll } = o;
  const { nextOffset, nextIsWrite } = env.plan;
  const stamp = env.stamp;
  const hist = env.hist;
  const { lastOff, lastWrite, u32, strideWords } = slots(env, pool);
  const addrs = Float64Array.from({ length: qd }, (_, i) => pool.slotAddress(i));
  const tSub = new Float64Array(qd);
  const unsub = new Int32Array(qd); // slots prepared since the last submitAndWait
  let nunsub = 0;
  let tDone = 0;
  let ops = 0;
  let reads = 0;
  let writes = 0;
  let writesIssued = 0;
  let fsyncs = 0;
  let bad: string | undefined;
  let draining = false;
  let outstanding = qd;
  /** An fsync is queued in the promise API: prepare nothing more until it is in the SQ. */
  let deferring = false;
  let deferred: number[] = [];

  const prepRead = fixed
    ? (i: number, off: number) => ring.prepReadFixed(file, addrs[i], bs, off, bufIndex, i)
    : (i: number, off: number) => ring.prepRead(file, addrs[i], bs, off, i);
  const prepWrite = fixed
    ? (i: number, off: number) => ring.prepWriteFixed(file, addrs[i], bs, off, bufIndex, i)
    : (i: number, off: number) => ring.prepWrite(file, addrs[i], bs, off, i);
  /** The SQ is full: only the SQPOLL thread's own pace can cause it (ref-bench's get_sqe). */
  const sqFull = (prep: () => boolean) => {
    if (!sqpoll) fail("SQ full (a bug in the loop's accounting)");
    while (!prep()) ring.submit();
  };
  const fsyncsPending = new Set<Promise<void>>();
  const queueFsync = () => {
    const f: Promise<void> = ring.sqeSetFlags(ring.fsync(file), IOSQE_IO_DRAIN).then(() => {
      fsyncs++;
      fsyncsPending.delete(f);
    }, (e) => {
      bad = `fsync: ${(e as Error).message}`;
      fsyncsPending.delete(f);
    });
    fsyncsPending.add(f);
    deferring = true;
  };

  const issue = (i: number) => {
    if (deferring) {
      deferred.push(i);
      return;
    }
    const off = nextOffset();
    const w = nextIsWrite();
    lastOff[i] = off;
    if (w) {
      lastWrite[i] = 1;
      if (stamp) stampHeaders(u32, i * strideWords, off, bs);
      if (!prepWrite(i, off)) sqFull(() => prepWrite(i, off));
      if (fsyncEvery !== 0 && ++writesIssued % fsyncEvery === 0) queueFsync();
    } else {
      lastWrite[i] = 0;
      if (!prepRead(i, off)) sqFull(() => prepRead(i, off));
    }
    if (latency) unsub[nunsub++] = i;
  };
  const onCqe = (i: number, res: number) => {
    if (res !== bs) bad = `${lastWrite[i] ? "write" : "read"} res ${res} (want ${bs})`;
    if (draining) {
      outstanding--;
      return;
    }
    ops++;
    if (lastWrite[i] === 1) writes++;
    else reads++;
    if (latency) hist!.record((tDone - tSub[i]) * 1e6);
    issue(i);
  };
  const stampSubmitted = () => {
    const t = now();
    for (let k = 0; k < nunsub; k++) tSub[unsub[k]] = t;
    nunsub = 0;
  };
  const iteration = () => {
    if (latency) stampSubmitted();
    ring.submitAndWait(batch);
    if (latency) tDone = now();
    ring.reap(onCqe);
    if (bad !== undefined) fail(bad);
  };
  /** After an fsync was queued: let the ring's flush put it in the SQ, then prepare what waited behind it. */
  const flushFsync = async () => {
    while (deferring) {
      if (latency) stampSubmitted(); // the flush submits them
      await null; // the flush task was queued when fsync() was called: it runs first
      deferring = false;
      const list = deferred;
      deferred = [];
      for (const i of list) issue(i); // may queue the next fsync, deferring the rest again
      // The flush also reaped what had completed, into reap()'s backlog:
      // those slots have nothing in flight until reaped, and the next
      // submitAndWait(batch) could wait for requests that never come.
      if (!deferring) {
        if (latency) tDone = now();
        ring.reap(onCqe);
        if (bad !== undefined) fail(bad);
      }
    }
  };

  for (let i = 0; i < qd; i++) issue(i);
  await flushFsync();
  const loop = fsyncEvery === 0
    ? (ms: number) => {
      const t0 = now();
      const end = t0 + ms;
      let t1: number;
      do {
        iteration();
        t1 = now();
      } while (t1 < end);
      return { ops, seconds: (t1 - t0) / 1000 };
    }
    : async (ms: number) => {
      const t0 = now();
      const end = t0 + ms;
      let t1: number;
      do {
        iteration();
        if (deferring) await flushFsync();
        t1 = now();
      } while (t1 < end);
      return { ops, seconds: (t1 - t0) / 1000 };
    };
  const m = await measured(o, loop, () => {
    ops = reads = writes = fsyncs = 0;
    hist?.reset();
  });
  // Collect what is still in flight (the qd data requests, then the fsyncs)
  // before checking the data; nothing new is prepared.
  draining = true;
  while (outstanding > 0) {
    ring.submitAndWait(1);
    ring.reap(onCqe);
    if (bad !== undefined) fail(`${bad} while draining`);
  }
  // No batch request is left: the promise engine reaps the fsyncs still in flight.
  await Promise.all(fsyncsPending);
  if (bad !== undefined) fail(`${bad} while draining`);
  const verifiedBuffers = verifySlotsOfPool(env, lastOff, lastWrite, pool);
  return {
    ...m, reads, writes, fsyncs, verifiedBuffers, inFlight: qd, mode: ring.mode,
    extra: fsyncEvery ? { fsyncVia: "promise fsync() + sqeSetFlags(IOSQE_IO_DRAIN): the batch API has no prepFsync" } : undefined,
  };
}

/**
 * qd workers, each looping: next request of its slot (the plan's offset
 * and kind), `await ring.read(file, slot view, offset)` (or write,
 * readFixed/writeFixed from the registered pool with --fixed). Worker 0
 * reads the clock once per request and raises `stop`.
 *
 * --fsync-every N: the worker that starts the Nth write starts
 * `ring.sqeSetFlags(ring.fsync(file), IOSQE_IO_DRAIN)` right behind it, in
 * the same event-loop turn, so it lands in the SQ right after that write,
 * as in ref-bench; it is not awaited by the worker (ref-bench does not wait
 * for it either: DRAIN holds the requests behind it in the kernel).
 *
 * --latency: a clock read when a request is started and one when its
 * await resumes.
 */
export async function promiseIo(env: IoEnv, r: RingIo): Promise<RunResult> {
  const { ring, pool, file } = r;
  const o = env.o;
  const { qd, bs, latency, fixed, fsyncEvery } = o;
  const { nextOffset, nextIsWrite } = env.plan;
  const stamp = env.stamp;
  const hist = env.hist;
  const { lastOff, lastWrite, u32, strideWords } = slots(env, pool);
  const views = Array.from({ length: qd }, (_, i) => pool.view(i, 0, bs));
  let ops = 0;
  let reads = 0;
  let writes = 0;
  let writesIssued = 0;
  let fsyncs = 0;
  const fsyncsPending = new Set<Promise<void>>();

  const loop = async (ms: number) => {
    let stop = false;
    const t0 = now();
    const end = t0 + ms;
    const worker = async (i: number) => {
      const view = views[i];
      const at = i * strideWords;
      while (!stop) {
        const off = nextOffset();
        const w = nextIsWrite();
        lastOff[i] = off;
        lastWrite[i] = w ? 1 : 0;
        let p: Promise<number>;
        if (w) {
          if (stamp) stampHeaders(u32, at, off, bs);
          p = fixed ? ring.writeFixed(file, pool, i, off) : ring.write(file, view, off);
          if (fsyncEvery !== 0 && ++writesIssued % fsyncEvery === 0) {
            const f = ring.sqeSetFlags(ring.fsync(file), IOSQE_IO_DRAIN).then(() => {
              fsyncs++;
              fsyncsPending.delete(f);
            }, (e) => fail(`fsync: ${(e as Error).message}`));
            fsyncsPending.add(f);
          }
        } else {
          p = fixed ? ring.readFixed(file, pool, i, off) : ring.read(file, view, off);
        }
        const t = latency ? now() : 0;
        const n = await p;
        if (n !== bs) fail(`${w ? "write" : "read"} res ${n} (want ${bs})`);
        ops++;
        if (w) writes++;
        else reads++;
        if (latency) {
          const t1 = now();
          hist!.record((t1 - t) * 1e6);
          if (i === 0 && t1 >= end) stop = true;
        } else if (i === 0 && now() >= end) stop = true;
      }
    };
    await Promise.all(views.map((_, i) => worker(i)));
    return { ops, seconds: (now() - t0) / 1000 };
  };
  const m = await measured(o, loop, () => {
    ops = reads = writes = fsyncs = 0;
    hist?.reset();
  });
  await Promise.all(fsyncsPending);
  const verifiedBuffers = verifySlotsOfPool(env, lastOff, lastWrite, pool);
  return { ...m, reads, writes, fsyncs, verifiedBuffers, inFlight: qd, mode: ring.mode };
}

function verifySlotsOfPool(env: IoEnv, lastOff: Float64Array, lastWrite: Uint8Array, pool: BufferPool): number {
  return verifySlots(env, lastOff, lastWrite, (i) => pool.view(i, 0, env.o.bs));
}
