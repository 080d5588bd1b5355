// bench/program-hash.ts: the hash program (programs.ts) in a child:
// `inFlight` workers, each hashing one file at a time (open → statx →
// read until the size is in → close, then sha256 of the bytes), taking
// the next file from an array index ("prelisted") or from one async
// generator they all share ("streamed"). Each worker reads into its own
// HASH_FILE_BYTES.max-byte buffer. A pass's result is the tree's digest
// (hash-tree.ts), which must be the same in every pass.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { combineDigests } from "./hash-tree.ts";
import { HASH_FILE_BYTES, type TimedPass } from "./programs.ts";

type Mod = typeof import("../runtime-bun/mod.ts");

/** Hashes one file into buf; resolves with its sha256 (hex). Counts its operations in ops.n. */
type HashOne = (file: string, buf: Uint8Array, ops: { n: number }) => Promise<string>;

export interface HashProgram {
  /** One pass over the first count files; its digest is the tree's when count is all of them. */
  pass(shape: "prelisted" | "streamed", count: number): Promise<TimedPass & { digest: string }>;
  close(): void;
  mode: string;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function tooBig(file: string, size: number): never {
  throw new Error(`${file} has ${size} bytes, more than the ${HASH_FILE_BYTES.max} of a worker's buffer`);
}

function ringHashOne(mod: Mod, ring: import("../runtime-bun/mod.ts").Ring): HashOne {
  const statx = { mask: mod.STATX_SIZE };
  return async (file, buf, ops) => {
    const fd = await ring.openat(file, mod.O_RDONLY);
    const size = (await ring.statx(fd, statx)).size;
    if (size > buf.length) tooBig(file, size);
    ops.n += 2;
    let got = 0;
    while (got < size) {
      const n = await ring.read(fd, buf.subarray(got, size), got);
      ops.n++;
      if (n === 0) break;
      got += n;
    }
    await ring.closeFd(fd);
    ops.n++;
    if (got !== size) throw new Error(`${file}: read ${got} of its ${size} bytes`);
    return sha256(buf.subarray(0, size));
  };
}

const fsHashOne: HashOne = async (file, buf, ops) => {
  const fh = await open(file, "r");
  const size = (await fh.stat()).size;
  if (size > buf.length) tooBig(file, size);
  ops.n += 2;
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(buf, got, size - got, got);
    ops.n++;
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  await fh.close();
  ops.n++;
  if (got !== size) throw new Error(`${file}: read ${got} of its ${size} bytes`);
  return sha256(buf.subarray(0, size));
};

/** The hash program over the files names of dir with impl; mod is the uringshim adapter (promise only). */
export function hashProgram(impl: "promise" | "fs-async", mod: Mod | null, dir: string, names: readonly string[], inFlight: number): HashProgram {
  const files = names.map((n) => path.join(dir, n));
  let hashOne: HashOne;
  let enters: () => number | null;
  let close: () => void;
  let mode: string;
  if (impl === "promise") {
    const ring = mod!.Ring.open();
    hashOne = ringHashOne(mod!, ring);
    enters = () => (typeof ring.enters === "number" ? ring.enters : null);
    close = () => ring.close();
    mode = `uringshim openat, statx, read, closeFd; ${ring.mode} ring`;
  } else {
    hashOne = fsHashOne;
    enters = () => null;
    close = () => {};
    mode = "node:fs/promises open, FileHandle.stat, FileHandle.read, FileHandle.close";
  }

  const pass = async (shape: "prelisted" | "streamed", count: number) => {
    const digests: string[] = new Array(count);
    const ops = { n: 0 };
    let next = 0;
    const prelisted = async () => {
      const buf = new Uint8Array(HASH_FILE_BYTES.max);
      while (next < count) {
        const i = next++;
        digests[i] = await hashOne(files[i], buf, ops);
      }
    };
    async function* stream() {
      for (let i = 0; i < count; i++) yield i;
    }
    const shared = stream();
    const streamed = async () => {
      const buf = new Uint8Array(HASH_FILE_BYTES.max);
      for (;;) {
        const r = await shared.next();
        if (r.done) break;
        digests[r.value] = await hashOne(files[r.value], buf, ops);
      }
    };
    const worker = shape === "prelisted" ? prelisted : streamed;
    const e0 = enters();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const ms = performance.now() - t0;
    const e1 = enters();
    return { ms, ops: ops.n, enters: e0 === null || e1 === null ? null : e1 - e0, digest: combineDigests(digests) };
  };
  return { pass, close, mode };
}
