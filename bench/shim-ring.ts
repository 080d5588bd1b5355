// bench/shim-ring.ts: the uringshim implementations of bench/shim.ts, the
// batch API (prepRead/submitAndWait/reap, mirroring ref_bench.c step for
// step: same ring size, same enter/wait pattern, same request plan; keep
// them in sync) and the promise API (ring.read() and friends, qd requests
// in flight).
import { IOSQE_IO_DRAIN } from "../core/constants.ts";
import { stampHeaders } from "./pattern.mjs";
import { fail, type IoEnv, latencySampleEvery, measured, now, type Options, type RunResult, verifySlots } from "./shim-common.ts";

type Mod = typeof import("../runtime-bun/mod.ts");
type Ring = import("../runtime-bun/mod.ts").Ring;
type BufferPool = import("../runtime-bun/mod.ts").BufferPool;
type FixedFile = import("../runtime-bun/mod.ts").FixedFile;

/** ref-bench: ring_init(entries, 2 * entries, sqpoll) with SINGLE_ISSUER and, unless SQPOLL, COOP_TASKRUN, entering by a registered ring index (Ring.open()'s defaults). */
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

/** ref-bench's nop_clock_every: iterations per clock read (about 256 NOPs). */
const nopClockEvery = (batch: number) => (batch >= 256 ? 1 : Math.floor(256 / batch));

/**
 * ref-bench's nop loop: repeat { prep `batch` NOPs; submitAndWait(batch)
 * (one enter(batch, batch, GETEVENTS)); reap all available CQEs (res must
 * be 0) } until the duration has passed (clock read once per
 * nopClockEvery(batch) iterations, as ref-bench).
 */
export async function batchNop(ring: Ring, o: Options): Promise<RunResult> {
  const batch = o.batch;
  let ops = 0;
  let bad = 0;
  const onCqe = (_ud: number, res: number) => {
    if (res !== 0) bad = res;
    ops++;
  };
  const every = nopClockEvery(batch);
  const loop = (ms: number) => {
    const t0 = now();
    const end = t0 + ms;
    let t1 = t0;
    let it = 0;
    do {
      for (let i = 0; i < batch; i++) ring.prepNop(ops + i);
      ring.submitAndWait(batch);
      ring.reap(onCqe);
      if (bad !== 0) fail(`nop res ${bad}`);
      if (++it % every === 0) t1 = now();
    } while (t1 < end);
    return { ops, seconds: (t1 - t0) / 1000 };
  };
  const r = await measured(o, loop, () => (ops = 0));
  return { ...r, reads: 0, writes: 0, fsyncs: 0, verifiedBuffers: 0, inFlight: batch, mode: ring.mode };
}

/**
 * `batch` nop() promises per round in one reused array, Promise.all per
 * round (the ring turns each round into one io_uring_enter); the clock is
 * read as in batchNop.
 */
export async function promiseNop(ring: Ring, o: Options): Promise<RunResult> {
  const batch = o.batch;
  const ps: Promise<void>[] = new Array(batch);
  const every = nopClockEvery(batch);
  const loop = async (ms: number) => {
    let ops = 0;
    const t0 = now();
    const end = t0 + ms;
    let t1 = t0;
    let it = 0;
    do {
      for (let i = 0; i < batch; i++) ps[i] = ring.nop();
      await Promise.all(ps);
      ops += batch;
      if (++it % every === 0) t1 = now();
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

/** The fsyncs' user data (slots are 0 … qd - 1), ref-bench's FSYNC_UD. */
const FSYNC_UD = 0xffff_ffff;

/**
 * ref-bench's io_loop: prime qd requests (userData = slot); repeat {
 * submitAndWait(batch) (enter(pending, batch, GETEVENTS)); for each CQE
 * check res and at once prepare the next request of the same slot (issue)
 * } until the duration. Then drain, and check the data.
 *
 * --latency: ref-bench's method and histogram: every latencyEvery-th
 * request is sampled; one clock read before a submit stamps the sampled
 * requests it submits, one after submitAndWait returns, when a sampled
 * request is in flight, is the completion time of the sampled CQEs reaped
 * then.
 *
 * --fsync-every N: after every Nth write, an IORING_OP_FSYNC with
 * IOSQE_IO_DRAIN (prepFsync), user data FSYNC_UD, as ref-bench does (why
 * DRAIN: see its io_issue).
 *
 * --submit-each: submit() right after each request is prepared (ref-bench's
 * too), so the enter that waits has nothing left to submit. The requests
 * are prepared and submitted once reap() has returned, not inside its
 * callback: reap() drains until the CQ is empty, while ref-bench handles
 * only the CQEs up to the tail it loaded once, and each submit() enters the
 * kernel, which posts the CQEs of the requests completed since. A callback
 * that submits keeps its own reap() going: with page-cache reads
 * (completed inside the enter) forever, the clock never checked; with
 * O_DIRECT past the duration, with fewer waiting enters than ref-bench,
 * and timing CQEs against a tDone read before their requests were
 * submitted (negative latencies).
 */
export async function batchIo(env: IoEnv, r: RingIo): Promise<RunResult> {
  const { ring, pool, file, bufIndex } = r;
  const o = env.o;
  const { qd, bs, batch, latency, fixed, fsyncEvery, sqpoll, submitEach } = o;
  const { nextOffset, nextIsWrite } = env.plan;
  const stamp = env.stamp;
  const hist = env.hist;
  const { lastOff, lastWrite, u32, strideWords } = slots(env, pool);
  const addrs = Float64Array.from({ length: qd }, (_, i) => pool.slotAddress(i));
  const latencyEvery = latencySampleEvery(o);
  const tSub = new Float64Array(qd); // 0: the slot's request is not sampled
  const unsub = new Int32Array(qd); // sampled slots prepared since the last submit
  let nunsub = 0;
  const reaped = new Int32Array(qd); // --submit-each: slots to issue once reap() returns
  let nreaped = 0;
  let sampledInFlight = 0;
  let issued = 0;
  let tDone = 0;
  let ops = 0;
  let reads = 0;
  let writes = 0;
  let writesIssued = 0;
  let fsyncs = 0;
  let bad: string | undefined;
  let draining = false;
  let outstanding = qd;
  let fsyncsInFlight = 0;

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
  const prepFsync = () => ring.prepFsync(file, 0, FSYNC_UD, IOSQE_IO_DRAIN);

  const stampSampled = () => {
    if (nunsub === 0) return;
    const t = now();
    for (let k = 0; k < nunsub; k++) tSub[unsub[k]] = t;
    sampledInFlight += nunsub;
    nunsub = 0;
  };
  const issue = (i: number) => {
    const off = nextOffset();
    const w = nextIsWrite();
    lastOff[i] = off;
    if (w) {
      lastWrite[i] = 1;
      if (stamp) stampHeaders(u32, i * strideWords, off, bs);
      if (!prepWrite(i, off)) sqFull(() => prepWrite(i, off));
    } else {
      lastWrite[i] = 0;
      if (!prepRead(i, off)) sqFull(() => prepRead(i, off));
    }
    if (latency && ++issued % latencyEvery === 0) unsub[nunsub++] = i;
    if (w) {
      if (fsyncEvery !== 0 && ++writesIssued % fsyncEvery === 0) {
        if (!prepFsync()) sqFull(prepFsync);
        fsyncsInFlight++;
      }
    }
    if (submitEach) {
      stampSampled();
      ring.submit();
    }
  };
  const onCqe = (i: number, res: number) => {
    if (i === FSYNC_UD) {
      if (res < 0) bad = `fsync res ${res}`;
      fsyncs++;
      fsyncsInFlight--;
      return;
    }
    if (res !== bs) bad = `${lastWrite[i] ? "write" : "read"} res ${res} (want ${bs})`;
    if (draining) {
      outstanding--;
      return;
    }
    ops++;
    if (lastWrite[i] === 1) writes++;
    else reads++;
    if (tSub[i] !== 0) {
      hist!.record((tDone - tSub[i]) * 1e6);
      tSub[i] = 0;
      sampledInFlight--;
    }
    if (submitEach) reaped[nreaped++] = i;
    else issue(i);
  };
  const iteration = () => {
    stampSampled();
    ring.submitAndWait(batch);
    if (sampledInFlight !== 0) tDone = now();
    ring.reap(onCqe);
    if (bad !== undefined) fail(bad);
    for (let k = 0; k < nreaped; k++) issue(reaped[k]);
    nreaped = 0;
  };
  for (let i = 0; i < qd; i++) issue(i);
  const loop = (ms: number) => {
    const t0 = now();
    const end = t0 + ms;
    let t1: number;
    do {
      iteration();
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
  while (outstanding + fsyncsInFlight > 0) {
    ring.submitAndWait(1);
    ring.reap(onCqe);
    if (bad !== undefined) fail(`${bad} while draining`);
  }
  const verifiedBuffers = verifySlotsOfPool(env, lastOff, lastWrite, pool);
  return { ...m, reads, writes, fsyncs, verifiedBuffers, inFlight: qd, mode: ring.mode };
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
 * --latency: for every latencyEvery-th request started (ref-bench's
 * sampling), a clock read when it is started and one when its await
 * resumes.
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
  const latencyEvery = latencySampleEvery(o);
  let started = 0;
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
        const sampled = latency && ++started % latencyEvery === 0;
        const t = sampled ? now() : 0;
        const n = await p;
        if (n !== bs) fail(`${w ? "write" : "read"} res ${n} (want ${bs})`);
        ops++;
        if (w) writes++;
        else reads++;
        if (sampled || i === 0) {
          const t1 = now();
          if (sampled) hist!.record((t1 - t) * 1e6);
          if (i === 0 && t1 >= end) stop = true;
        }
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
