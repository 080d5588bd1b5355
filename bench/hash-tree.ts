// bench/hash-tree.ts: the hash program's files and the answer it must
// give. N files of HASH_FILE_BYTES (1–16 KiB) in one folder, named so that
// name order is creation order, sizes and bytes drawn from a fixed seed;
// the digest is sha256 over the list of each file's sha256 (hex, one per
// line, in name order). The parent writes the tree and knows the digest;
// every child computes it from what it read, and a run whose digest
// differs fails.
import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HASH_FILE_BYTES, PROGRAM_SEED, xorshift32 } from "./programs.ts";

/** The name of file i of n: zero-padded, so that sorting the names sorts by i. */
export function treeName(i: number, n: number): string {
  return `${String(i).padStart(Math.max(5, String(n - 1).length), "0")}.bin`;
}

/** The digest of a tree from its files' digests (hex), in name order. */
export function combineDigests(hexes: readonly string[]): string {
  return createHash("sha256").update(hexes.join("\n")).digest("hex");
}

/** Writes n files into dir (which exists); returns the digest a correct hash of them gives, and their total size. */
export function makeTree(dir: string, n: number, seed = PROGRAM_SEED): { digest: string; bytes: number } {
  const next = xorshift32(seed);
  const words = new Uint32Array(HASH_FILE_BYTES.max / 4);
  const bytes = new Uint8Array(words.buffer);
  const digests: string[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const size = HASH_FILE_BYTES.min + (next() % (HASH_FILE_BYTES.max - HASH_FILE_BYTES.min + 1));
    for (let k = 0; k < (size + 3) >>> 2; k++) words[k] = next();
    const content = bytes.subarray(0, size);
    writeFileSync(path.join(dir, treeName(i, n)), content);
    digests.push(createHash("sha256").update(content).digest("hex"));
    total += size;
  }
  return { digest: combineDigests(digests), bytes: total };
}

/** The tree's file names, in name order. */
export function treeNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".bin")).sort();
}

/** Reads every file of the tree once, so the runs find it in the page cache. */
export function warmTree(dir: string): void {
  const buf = new Uint8Array(HASH_FILE_BYTES.max);
  for (const name of treeNames(dir)) {
    const fd = openSync(path.join(dir, name), "r");
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}
