// bench/shim-fs.ts: the runtimes' own file APIs, measured the way
// bench/shim-ring.ts measures the ring: the same request plan (offsets,
// read/write choices), the same --duration-ms / --warmup-ms, CPU time
// around the timed loop, the same latency histogram, the same data check.
//
//   fs-sync      node:fs readSync/writeSync, one request at a time
//   fs-async     node:fs/promises FileHandle.read/write, qd in flight
//   native-file  Bun: Bun.file(fd).slice(off, off + bs).arrayBuffer()
//                with one fd per request in flight (reads),
//                Bun.write(Bun.file(fd), data) (sequential writes, one at
//                a time: it writes at the fd's position, and Bun has no
//                positional write); Deno: one Deno.FsFile per request in
//                flight, seekSync() then read()/write() (Deno has no
//                positional read or write). See bunFile and denoFile for
//                the alternatives measured.
//
// Buffers are slots of a BufferPool (native, page-aligned memory, as the
// ring's), so O_DIRECT works where the API passes the memory through.
//
// --fsync-every N: io_uring's IOSQE_IO_DRAIN, done by hand (Drain below):
// the fsync starts once every request started before it has completed,
// and requests after it wait until it has completed. Their latency clock
// starts before they wait, as a drained SQE's does.
import { closeSync, constants, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { stampHeaders } from "./pattern.mjs";
import { fail, type IoEnv, isBun, latencySampleEvery, measured, now, type Options, type RunResult, verifySlots } from "./shim-common.ts";

type BufferPool = import("../runtime-bun/mod.ts").BufferPool;

interface BunFileLike {
  slice(begin: number, end: number): BunFileLike;
  arrayBuffer(): Promise<ArrayBuffer>;
}
interface BunLike {
  file(pathOrFd: string | number): BunFileLike;
  write(dest: BunFileLike, data: Uint8Array): Promise<number>;
}
const Bun = (globalThis as unknown as { Bun: BunLike }).Bun;

/** Clock reads between checks of the end time in the one-at-a-time loop. */
const SYNC_CHUNK = 16;


/**
 * IOSQE_IO_DRAIN by hand, for APIs that have no such flag. Requests call
 * started()/finished(); fsync(sync) runs sync() once nothing started
 * before it is in flight, and until it is done `gate` holds the requests
 * that come after it (they await it before starting).
 */
class Drain {
  inFlight = 0;
  gate: Promise<void> | null = null;
  #idle: (() => void) | null = null;

  started(): void {
    this.inFlight++;
  }

  finished(): void {
    if (--this.inFlight === 0 && this.#idle !== null) {
      const resolve = this.#idle;
      this.#idle = null;
      resolve();
    }
  }

  fsync(sync: () => Promise<void>, done: () => void): void {
    const before = this.gate;
    const p = (async () => {
      if (before !== null) await before;
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      await sync();
      done();
    })();
    this.gate = p;
    p.then(() => {
      if (this.gate === p) this.gate = null;
    }, (e) => fail(`fsync: ${(e as Error).message}`));
  }
}

interface Counters {
  ops: number;
  reads: number;
  writes: number;
  fsyncs: number;
}

function slotState(qd: number) {
  return { lastOff: new Float64Array(qd), lastWrite: new Uint8Array(qd) };
}

function poolWords(pool: BufferPool) {
  return { u32: new Uint32Array(pool.view(0).buffer, 0, pool.byteLength >>> 2), strideWords: pool.stride >>> 2 };
}

// ---- fs-sync ----------------------------------------------------------------------

/**
 * One request at a time: readSync/writeSync at the plan's offset into
 * slot 0; fsyncSync after every Nth write (nothing else is in flight, so
 * that is already a drain; the next request's latency clock starts before
 * it). The clock is checked every SYNC_CHUNK requests.
 */
export async function fsSync(env: IoEnv, pool: BufferPool): Promise<RunResult> {
  const o = env.o;
  const { bs, latency, fsyncEvery } = o;
  const { nextOffset, nextIsWrite } = env.plan;
  const stamp = env.stamp;
  const hist = env.hist;
  const { lastOff, lastWrite } = slotState(1);
  const { u32 } = poolWords(pool);
  const view = pool.view(0, 0, bs);
  const fd = openSync(env.path, env.openFlags);
  const c: Counters = { ops: 0, reads: 0, writes: 0, fsyncs: 0 };
  let writesIssued = 0;
  /** When the request after an fsync started waiting (-1: none waiting). */
  let waitingSince = -1;
  const latencyEvery = latencySampleEvery(o);
  let started = 0;

  const one = () => {
    const off = nextOffset();
    const w = nextIsWrite();
    lastOff[0] = off;
    lastWrite[0] = w ? 1 : 0;
    const sampled = latency && ++started % latencyEvery === 0;
    let t = 0;
    let n: number;
    if (w) {
      if (stamp) stampHeaders(u32, 0, off, bs);
      if (sampled) t = waitingSince >= 0 ? waitingSince : now();
      n = writeSync(fd, view, 0, bs, off);
    } else {
      if (sampled) t = waitingSince >= 0 ? waitingSince : now();
      n = readSync(fd, view, 0, bs, off);
    }
    waitingSince = -1;
    if (n !== bs) fail(`${w ? "write" : "read"} res ${n} (want ${bs})`);
    c.ops++;
    if (w) c.writes++;
    else c.reads++;
    if (sampled) hist!.record((now() - t) * 1e6);
    if (w && fsyncEvery !== 0 && ++writesIssued % fsyncEvery === 0) {
      if (latency) waitingSince = now();
      fsyncSync(fd);
      c.fsyncs++;
    }
  };
  const loop = (ms: number) => {
    const t0 = now();
    const end = t0 + ms;
    let t1: number;
    do {
      for (let k = 0; k < SYNC_CHUNK; k++) one();
      t1 = now();
    } while (t1 < end);
    return { ops: c.ops, seconds: (t1 - t0) / 1000 };
  };
  try {
    const m = await measured(o, loop, () => reset(c, env));
    const verifiedBuffers = verifySlots(env, lastOff, lastWrite, () => view);
    return { ...m, ...counts(c), verifiedBuffers, inFlight: 1, mode: "node:fs readSync/writeSync" };
  } finally {
    closeSync(fd);
  }
}

function reset(c: Counters, env: IoEnv): void {
  c.ops = c.reads = c.writes = c.fsyncs = 0;
  env.hist?.reset();
}

function counts(c: Counters) {
  return { reads: c.reads, writes: c.writes, fsyncs: c.fsyncs };
}

// ---- qd workers over an async API ---------------------------------------------------

/** One request of an async API: read or write bs bytes at off through slot i; resolves with the byte count. */
type AsyncRequest = (i: number, write: boolean, off: number) => Promise<number>;

/**
 * qd workers, each looping over its slot: start the latency clock, wait
 * for the drain gate if an fsync is pending, take the next request of the
 * plan, run it, check its byte count. Worker 0 reads the clock once per
 * request and raises `stop`.
 */
async function asyncWorkers(
  env: IoEnv, pool: BufferPool | null, request: AsyncRequest, sync: () => Promise<void>,
): Promise<{ m: Awaited<ReturnType<typeof measured>>; lastOff: Float64Array; lastWrite: Uint8Array; c: Counters }> {
  const o = env.o;
  const { qd, bs, latency, fsyncEvery } = o;
  const { nextOffset, nextIsWrite } = env.plan;
  const stamp = env.stamp && pool !== null;
  const hist = env.hist;
  const { lastOff, lastWrite } = slotState(qd);
  const words = pool !== null ? poolWords(pool) : null;
  const c: Counters = { ops: 0, reads: 0, writes: 0, fsyncs: 0 };
  const drain = new Drain();
  const fsynced = () => c.fsyncs++;
  let writesIssued = 0;
  const latencyEvery = latencySampleEvery(o);
  let started = 0;

  const loop = async (ms: number) => {
    let stop = false;
    const t0 = now();
    const end = t0 + ms;
    const worker = async (i: number) => {
      while (!stop) {
        const sampled = latency && ++started % latencyEvery === 0;
        const t = sampled ? now() : 0;
        while (drain.gate !== null) await drain.gate;
        const off = nextOffset();
        const w = nextIsWrite();
        lastOff[i] = off;
        lastWrite[i] = w ? 1 : 0;
        if (w && stamp) stampHeaders(words!.u32, i * words!.strideWords, off, bs);
        drain.started();
        const p = request(i, w, off);
        if (w && fsyncEvery !== 0 && ++writesIssued % fsyncEvery === 0) drain.fsync(sync, fsynced);
        const n = await p;
        drain.finished();
        if (n !== bs) fail(`${w ? "write" : "read"} res ${n} (want ${bs})`);
        c.ops++;
        if (w) c.writes++;
        else c.reads++;
        if (sampled || i === 0) {
          const t1 = now();
          if (sampled) hist!.record((t1 - t) * 1e6);
          if (i === 0 && t1 >= end) stop = true;
        }
      }
    };
    await Promise.all(Array.from({ length: qd }, (_, i) => worker(i)));
    return { ops: c.ops, seconds: (now() - t0) / 1000 };
  };
  const m = await measured(o, loop, () => reset(c, env));
  while (drain.gate !== null) await drain.gate;
  return { m, lastOff, lastWrite, c };
}

// ---- fs-async -----------------------------------------------------------------------

/** node:fs/promises: one FileHandle, FileHandle.read/write(slot, 0, bs, off), qd in flight; fsync: FileHandle.sync(). */
export async function fsAsync(env: IoEnv, pool: BufferPool): Promise<RunResult> {
  const bs = env.o.bs;
  const views = Array.from({ length: env.o.qd }, (_, i) => pool.view(i, 0, bs));
  const fh = await open(env.path, env.openFlags);
  try {
    const request: AsyncRequest = (i, write, off) =>
      write
        ? fh.write(views[i], 0, bs, off).then((r) => r.bytesWritten)
        : fh.read(views[i], 0, bs, off).then((r) => r.bytesRead);
    const { m, lastOff, lastWrite, c } = await asyncWorkers(env, pool, request, () => fh.sync());
    const verifiedBuffers = verifySlots(env, lastOff, lastWrite, (i) => views[i]);
    return { ...m, ...counts(c), verifiedBuffers, inFlight: env.o.qd, mode: "node:fs/promises FileHandle.read/write" };
  } finally {
    await fh.close();
  }
}

// ---- native-file --------------------------------------------------------------------

export function nativeFileRefusal(o: Options): string | undefined {
  if (o.direct) return "native-file has no O_DIRECT (neither Bun.file nor Deno.open takes open flags)";
  if (isBun && (o.workload === "randwrite" || o.workload === "mixed")) {
    return "native-file under Bun has no positional write: Bun.write(Bun.file(…).slice(off)) rewrites the file from offset 0, " +
      "Bun.write(Bun.file(fd)) writes at the fd's position and a FileSink appends (measured on Bun 1.4.5); use fs-sync or fs-async";
  }
  return undefined;
}

export async function nativeFile(env: IoEnv, pool: BufferPool): Promise<RunResult> {
  return isBun ? await bunFile(env, pool) : await denoFile(env, pool);
}

/**
 * Bun reads: `Bun.file(fd).slice(off, off + bs).arrayBuffer()` (a new
 * ArrayBuffer per read), qd in flight, each slot with its own fd and
 * BunFile: Bun 1.4.5 reads a slice with lseek + read on the fd (strace), so
 * requests sharing one fd would read each other's offsets. It also seeks
 * only for off > 0: slice(0, n) reads from wherever the fd was left
 * (measured: after reading the last block it returns 0 bytes; the bug of
 * oven-sh/bun#33873), so a read at offset 0 goes through
 * `Bun.file(path)`, which opens the file afresh. `Bun.file(path).slice(…)`
 * for every read does 0.55-0.6x the reads/s here (4 KiB, QD 32, page
 * cache): it opens the file for each.
 */
async function bunFile(env: IoEnv, pool: BufferPool): Promise<RunResult> {
  const o = env.o;
  const bs = o.bs;
  if (!env.hasWrites) {
    const fds = Array.from({ length: o.qd }, () => openSync(env.path, constants.O_RDONLY));
    try {
      const files = fds.map((fd) => Bun.file(fd));
      const byPath = Bun.file(env.path);
      const last: (Uint8Array | undefined)[] = new Array(o.qd);
      const request: AsyncRequest = (i, _write, off) =>
        (off > 0 ? files[i] : byPath).slice(off, off + bs).arrayBuffer().then((ab) => {
          last[i] = new Uint8Array(ab);
          return ab.byteLength;
        });
      const { m, lastOff, lastWrite, c } = await asyncWorkers(env, null, request, () => Promise.resolve());
      const verifiedBuffers = verifySlots(env, lastOff, lastWrite, (i) => last[i]);
      return { ...m, ...counts(c), verifiedBuffers, inFlight: o.qd, mode: "Bun.file(fd).slice().arrayBuffer(), an fd per request in flight" };
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  }
  // seqwrite: one request in flight.
  const view = pool.view(0, 0, bs);
  let fd = openSync(env.path, constants.O_WRONLY);
  let dest = Bun.file(fd);
  let pos = 0;
  const request: AsyncRequest = async (_i, _write, off) => {
    if (off !== pos) {
      if (off !== 0) fail(`native-file: sequential write at ${off}, but the fd is at ${pos}`);
      closeSync(fd);
      fd = openSync(env.path, constants.O_WRONLY);
      dest = Bun.file(fd);
      pos = 0;
    }
    const n = await Bun.write(dest, view);
    pos += n;
    return n;
  };
  const one = { ...env, o: { ...o, qd: 1 } };
  try {
    const { m, lastOff, lastWrite, c } = await asyncWorkers(one, pool, request, () => Promise.resolve(fsyncSync(fd)));
    const verifiedBuffers = verifySlots(one, lastOff, lastWrite, () => view);
    return { ...m, ...counts(c), verifiedBuffers, inFlight: 1, mode: "Bun.write(Bun.file(fd), data)" };
  } finally {
    closeSync(fd);
  }
}

/**
 * Deno: qd Deno.FsFile handles of the file, one per request in flight
 * (a shared one's position would race); each request seeks its handle
 * (seekSync: an lseek, 1.7-1.8x the reads/s of awaiting seek() here),
 * then reads or writes the slot. fsync: FsFile.sync() on the first handle.
 */
async function denoFile(env: IoEnv, pool: BufferPool): Promise<RunResult> {
  const o = env.o;
  const bs = o.bs;
  const views = Array.from({ length: o.qd }, (_, i) => pool.view(i, 0, bs));
  const files: Deno.FsFile[] = [];
  try {
    for (let i = 0; i < o.qd; i++) files.push(await Deno.open(env.path, { read: true, write: env.hasWrites }));
    const request: AsyncRequest = async (i, write, off) => {
      const f = files[i];
      f.seekSync(off, Deno.SeekMode.Start);
      return write ? await f.write(views[i]) : (await f.read(views[i])) ?? 0;
    };
    const { m, lastOff, lastWrite, c } = await asyncWorkers(env, pool, request, () => files[0].sync());
    const verifiedBuffers = verifySlots(env, lastOff, lastWrite, (i) => views[i]);
    return { ...m, ...counts(c), verifiedBuffers, inFlight: o.qd, mode: "Deno.FsFile seekSync + read/write, a file per request in flight" };
  } finally {
    for (const f of files) f.close();
  }
}
