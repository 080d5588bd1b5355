// bench/pattern.mjs: the bench file's content, so every read can be
// checked. The 8-byte word at file offset o (a multiple of 8) is two
// little-endian uint32s: o's low 32 bits and MAGIC ^ o's high 32 bits.
// A block read from the wrong offset or into the wrong buffer does not
// match, and neither does a file of zeros. native/bench/ref_bench.c
// (check_pattern) and bench/shim.ts (checkPattern) check the same words.
import { closeSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";

export const MAGIC = 0x9e3779b9;
const CHUNK = 1024 * 1024;

/** The pattern words of bytes [offset, offset + length) (both multiples of 8). */
export function patternBytes(offset, length) {
  const w = new Uint32Array(length / 4);
  for (let k = 0, o = offset; k < w.length; k += 2, o += 8) {
    w[k] = o >>> 0;
    w[k + 1] = (MAGIC ^ Math.floor(o / 2 ** 32)) >>> 0;
  }
  return new Uint8Array(w.buffer);
}

/** Writes a file of size bytes (a multiple of 8) holding the pattern, and fsyncs it (O_DIRECT reads see it). */
export function writePatternFile(path, size) {
  const fd = openSync(path, "w");
  try {
    for (let off = 0; off < size; off += CHUNK) {
      const n = Math.min(CHUNK, size - off);
      writeSync(fd, patternBytes(off, n), 0, n, off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether the file holds the pattern in its first and last 4 KiB (a cheap test for --verify). */
export function holdsPattern(path, size) {
  const fd = openSync(path, "r");
  try {
    for (const off of [0, Math.max(0, Math.floor(size / 4096) * 4096 - 4096)]) {
      const buf = new Uint8Array(4096);
      if (readSync(fd, buf, 0, 4096, off) !== 4096) return false;
      if (!Buffer.from(buf).equals(patternBytes(off, 4096))) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
