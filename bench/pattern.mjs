// @ts-self-types="./pattern.d.mts"
// bench/pattern.mjs: the bench file's content, so every read can be
// checked and every write keeps the file checkable.
//
// The file is 8-byte words, each two little-endian uint32s. The word at
// the start of every 512-byte sector s is (s's low 32 bits, MAGIC ^ s's
// high 32 bits): the sector's header. Every other word, at offset o, is
// (o % 512, ~MAGIC): the same body in every sector. A block read from the
// wrong offset, into the wrong buffer, or not read at all does not match,
// and neither does a file of zeros. A buffer that holds the pattern for
// one offset holds it for another once its headers are rewritten
// (stampHeaders: bs / 512 words), so every write of the bench carries the
// pattern at a negligible cost and a written file stays checkable.
// native/bench/ref_bench.c (pattern_word, stamp_headers, check_pattern)
// and bench/shim-*.ts use exactly these words.
import { closeSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";

export const MAGIC = 0x9e3779b9;
export const SECTOR = 512;
const BODY_HI = ~MAGIC >>> 0;
const CHUNK = 1024 * 1024;

/** Writes the pattern words of file bytes [offset, offset + length) into u32 from word index at (offset, length: multiples of 8). */
export function fillPattern(u32, at, offset, length) {
  for (let k = 0, o = offset; k < length >>> 2; k += 2, o += 8) {
    if (o % SECTOR === 0) {
      u32[at + k] = o >>> 0;
      u32[at + k + 1] = (MAGIC ^ Math.floor(o / 2 ** 32)) >>> 0;
    } else {
      u32[at + k] = o % SECTOR;
      u32[at + k + 1] = BODY_HI;
    }
  }
}

/**
 * Makes the length bytes at word index at of u32, which hold the pattern
 * for some sector-aligned offset, the pattern for offset (a multiple of
 * 512): rewrites the header word of each sector.
 */
export function stampHeaders(u32, at, offset, length) {
  for (let k = 0; k < length; k += SECTOR) {
    const o = offset + k;
    u32[at + (k >>> 2)] = o >>> 0;
    u32[at + (k >>> 2) + 1] = (MAGIC ^ Math.floor(o / 2 ** 32)) >>> 0;
  }
}

/** The pattern bytes of [offset, offset + length) (both multiples of 8). */
export function patternBytes(offset, length) {
  const w = new Uint32Array(length / 4);
  fillPattern(w, 0, offset, length);
  return new Uint8Array(w.buffer);
}

/** The file offset of the first word of bytes (read from file offset off, a multiple of 8) that breaks the pattern, or -1. */
export function checkPattern(bytes, off) {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let k = 0, o = off; k + 1 < w.length; k += 2, o += 8) {
    const header = o % SECTOR === 0;
    const lo = header ? o >>> 0 : o % SECTOR;
    const hi = header ? (MAGIC ^ Math.floor(o / 2 ** 32)) >>> 0 : BODY_HI;
    if (w[k] !== lo || w[k + 1] !== hi) return o;
  }
  return -1;
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

/** Whether the file holds the pattern in its first and last 4 KiB (a cheap test; ref-bench's holds_pattern). */
export function holdsPattern(path, size) {
  const fd = openSync(path, "r");
  try {
    if (size < 4096) return false;
    for (const off of [0, Math.floor(size / 4096) * 4096 - 4096]) {
      const buf = new Uint8Array(4096);
      if (readSync(fd, buf, 0, 4096, off) !== 4096) return false;
      if (checkPattern(buf, off) >= 0) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
