// bench/program-reads.ts: the fresh-read program (programs.ts) in a child:
// `inFlight` workers share one list of reads (random offsets and sizes of
// READ_BYTES, drawn from a fixed seed before the clock starts) and each
// awaits one read at a time, into a new Uint8Array(size) per read
// ("fresh") or into its own READ_BYTES.max-byte buffer ("reused"; the
// promise API reads a whole view, so a subarray of it, as user code
// would). The same list, in the same order, for every shape and
// implementation. Every read must return its size; after each timed pass
// each worker's last read is compared with the file's bytes.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { PROGRAM_SEED, READ_BYTES, type TimedPass, xorshift32 } from "./programs.ts";

type Mod = typeof import("../runtime-bun/mod.ts");

export interface ReadPlan {
  offsets: Float64Array;
  sizes: Uint16Array;
}

/** n reads of READ_BYTES at offsets anywhere in a file of fileSize bytes (xorshift32 from seed). */
export function readPlan(n: number, fileSize: number, seed = PROGRAM_SEED): ReadPlan {
  if (fileSize < READ_BYTES.max) throw new Error(`the file has ${fileSize} bytes, fewer than one read of ${READ_BYTES.max}`);
  const next = xorshift32(seed);
  const span = fileSize - READ_BYTES.max + 1;
  const offsets = new Float64Array(n);
  const sizes = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    sizes[i] = READ_BYTES.min + (next() % (READ_BYTES.max - READ_BYTES.min + 1));
    offsets[i] = (next() * 2 ** 32 + next()) % span;
  }
  return { offsets, sizes };
}

/** Reads length bytes at off into target (exactly length bytes long, or a worker's reused buffer); resolves with the bytes read. */
type Read = (target: Uint8Array, length: number, off: number) => Promise<number>;

export interface ReadsProgram {
  /** One pass over the first count reads of the plan; null enters for node:fs. */
  pass(shape: "reused" | "fresh", count: number): Promise<TimedPass>;
  close(): Promise<void>;
  mode: string;
}

/** The fresh-read program over file with impl; mod is the uringshim adapter (promise only). */
export async function readsProgram(impl: "promise" | "fs-async", mod: Mod | null, file: string, n: number, inFlight: number): Promise<ReadsProgram> {
  const check = openSync(file, "r");
  const plan = readPlan(n, fstatSync(check).size);
  let read: Read;
  let enters: () => number | null;
  let close: () => Promise<void>;
  let mode: string;
  if (impl === "promise") {
    const ring = mod!.Ring.open();
    const fd = openSync(file, "r");
    read = (target, length, off) => ring.read(fd, target.length === length ? target : target.subarray(0, length), off);
    enters = () => (typeof ring.enters === "number" ? ring.enters : null);
    close = async () => {
      ring.close();
      closeSync(fd);
    };
    mode = `uringshim ring.read(fd, view, offset), ${ring.mode} ring`;
  } else {
    const fh = await open(file, "r");
    read = async (target, length, off) => (await fh.read(target, 0, length, off)).bytesRead;
    enters = () => null;
    close = () => fh.close();
    mode = "node:fs/promises FileHandle.read(buffer, 0, length, position)";
  }

  const pass = async (shape: "reused" | "fresh", count: number): Promise<TimedPass> => {
    const fresh = shape === "fresh";
    const { offsets, sizes } = plan;
    const last: { i: number; buf: Uint8Array }[] = [];
    let next = 0;
    const worker = async () => {
      const own = new Uint8Array(READ_BYTES.max);
      let i = -1;
      let buf = own;
      while (next < count) {
        i = next++;
        const size = sizes[i];
        buf = fresh ? new Uint8Array(size) : own;
        const got = await read(buf, size, offsets[i]);
        if (got !== size) throw new Error(`a read of ${size} bytes at ${offsets[i]} returned ${got}`);
      }
      if (i >= 0) last.push({ i, buf });
    };
    const e0 = enters();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const ms = performance.now() - t0;
    const e1 = enters();
    verify(check, plan, last);
    return { ms, ops: count, enters: e0 === null || e1 === null ? null : e1 - e0 };
  };

  return {
    pass,
    mode,
    async close() {
      await close();
      closeSync(check);
    },
  };
}

/** Each worker's last read against the file's bytes (read again with readSync). Throws on a mismatch. */
function verify(fd: number, plan: ReadPlan, last: readonly { i: number; buf: Uint8Array }[]): void {
  const want = new Uint8Array(READ_BYTES.max);
  for (const { i, buf } of last) {
    const size = plan.sizes[i];
    const off = plan.offsets[i];
    if (readSync(fd, want, 0, size, off) !== size) throw new Error(`verify: re-reading ${size} bytes at ${off} came up short`);
    for (let k = 0; k < size; k++) {
      if (buf[k] !== want[k]) throw new Error(`verify: the read of ${size} bytes at ${off} differs from the file at byte ${off + k}`);
    }
  }
}
