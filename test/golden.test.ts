// uring.wasm's SQE encoders against liburing, byte for byte: the golden
// vectors that test/golden/gen.c recorded from liburing's own
// io_uring_prep_* (test/golden/vectors.json, `npm run golden`), and the
// hand-derived ones for preps newer than that liburing
// (test/golden/header-derived.ts). Pure wasm: no ring, no kernel.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { instantiate } from "../core/wasm.ts";
import { derivedVectors } from "./golden/header-derived.ts";
import { firstDifference, hexToBytes, sqeBytes } from "./golden/sqe-fields.ts";
import { skip } from "./support/uring.ts";

interface Case {
  /** The liburing helper (or null: the kernel's prep function is the source). */
  prep: string | null;
  export: string;
  args: [string, number][];
  userData?: [number, number];
  /** Expected bytes of a 128-byte SQE slot (a 64-byte SQE is followed by zeros). */
  expected: Uint8Array;
}

interface GoldenFile {
  liburing: string;
  package: string;
  command: string;
  generator: string;
  vectors: { prep: string; export: string; args: [string, number][]; userData?: [number, number]; sqe: string }[];
}

const golden: GoldenFile = JSON.parse(readFileSync(new URL("./golden/vectors.json", import.meta.url), "utf8"));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const goldenCases: Case[] = golden.vectors.map((v) => {
  const expected = new Uint8Array(128);
  expected.set(hexToBytes(v.sqe));
  return { ...v, expected };
});
const derivedCases: Case[] = derivedVectors.map((v) => ({ ...v, expected: sqeBytes(v.fields, 128) }));

const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
const wasm = instantiate(memory);
const exports = wasm as unknown as Record<string, unknown>;
const SQE = wasm.SCRATCH_AT.value; // 128 bytes of scratch, 64-byte aligned

/** Runs the export on a zeroed 128-byte SQE slot, then sets user_data; returns the slot's bytes. */
function encode(c: Case): Uint8Array {
  const slot = new Uint8Array(memory.buffer, SQE, 128);
  slot.fill(0);
  const fn = exports[c.export] as (...args: number[]) => void;
  const args = c.args.map(([, value]) => value);
  // prepRw keeps io_uring_prep_rw's order: (op, sqe, …); every other export takes sqe first.
  if (c.export === "prepRw") fn(args[0], SQE, ...args.slice(1));
  else fn(SQE, ...args);
  if (c.userData) wasm.sqeSetData(SQE, c.userData[0], c.userData[1]);
  return slot.slice();
}

function title(c: Case, i: number, all: Case[]): string {
  const repeat = all.slice(0, i).filter((o) => o.export === c.export).length;
  return `${c.prep ?? "(kernel)"} -> ${c.export}${repeat ? ` #${repeat + 1}` : ""}`;
}

function check(c: Case): void {
  const fn = exports[c.export];
  expect(typeof fn, `${c.export} is not a uring.wasm export`).toBe("function");
  // A vector whose argument count drifted from the export would call it wrongly.
  expect((fn as (...a: number[]) => void).length, `${c.export} arity`).toBe(c.args.length + 1);
  const diff = firstDifference(c.expected, encode(c));
  expect(diff, `${c.prep ?? c.export}(${c.args.map(([n, v]) => `${n}=${v}`).join(", ")}): ${diff}`).toBeUndefined();
}

describe("golden vectors from liburing", () => {
  it("record which liburing made them and how to regenerate them", () => {
    expect(golden.liburing).toMatch(/^\d+\.\d+/);
    expect(golden.package).toContain("liburing");
    expect(golden.command).toBe("npm run golden");
    expect(pkg.scripts.golden).toBe("node test/golden/generate.mjs");
    expect(golden.generator).toContain("test/golden/gen.c");
    expect(golden.vectors.length).toBeGreaterThan(70);
  });

  goldenCases.forEach((c, i) => it(title(c, i, goldenCases), () => check(c)));
});

describe("header-derived vectors (preps newer than the generator's liburing)", () => {
  derivedCases.forEach((c, i) => it(title(c, i, derivedCases), () => check(c)));

  it("cite their source", () => {
    for (const v of derivedVectors) expect(v.source.length, v.export).toBeGreaterThan(20);
  });
});

describe("coverage", () => {
  it("every prep* and sqeSet* export of uring.wasm has a vector", () => {
    const covered = new Set([...goldenCases, ...derivedCases].map((c) => c.export));
    // prepareParams (io_uring_params, not an SQE) does not match: prep + capital letter only.
    const preps = Object.keys(exports).filter((name) => /^(prep[A-Z]|sqeSet)/.test(name));
    expect(preps.length).toBeGreaterThan(100);
    expect(preps.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe("the committed vectors are reproducible", () => {
  // Where liburing-dev is installed (.ci/run installs it), rebuild the
  // generator and check it still writes exactly the committed vectors: a
  // stale vectors.json or an edited gen.c cannot go unnoticed.
  it("gen.c against the installed liburing prints vectors.json's vectors", (ctx) => {
    const work = mkdtempSync(join(tmpdir(), "uringshim-golden-check-"));
    try {
      const exe = join(work, "gen");
      const gen = fileURLToPath(new URL("./golden/gen.c", import.meta.url));
      const cc = spawnSync("cc", ["-std=gnu11", "-O0", "-o", exe, gen], { encoding: "utf8" });
      if (cc.error || (cc.status !== 0 && /liburing\.h/.test(cc.stderr))) {
        const why = cc.error ? "no C compiler" : "liburing-dev is not installed (apt-get install liburing-dev)";
        skip(ctx, why);
        return;
      }
      expect(cc.status, cc.stderr).toBe(0);
      const lines = execFileSync(exe, { encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l));
      expect(lines).toEqual(golden.vectors);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
