// Both FFI symbol tables are declared from native/include/uringshim.h:
// every prototype between ABI-BEGIN and ABI-END, nothing else, same types.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { symbols as bunSymbols } from "../runtime-bun/symbols.ts";

type SymbolTable = Record<string, { parameters: readonly string[]; result: string }>;
// Computed specifier: the Deno table's types are checked by `deno check`.
const denoTable = "../runtime-deno/symbols.ts";
const denoSymbols: SymbolTable = (await import(denoTable)).symbols;

const header = readFileSync(new URL("../native/include/uringshim.h", import.meta.url), "utf8");
const block = header.slice(header.indexOf("/* ABI-BEGIN */"), header.indexOf("/* ABI-END */"));
const prototypes = [...block.matchAll(/^(\w+)\s+(us_\w+)\(([^)]*)\);$/gm)].map(([, ret, name, params]) => ({
  name,
  ret,
  params: params.split(",").map((p) => p.trim().replace(/\s*\b\w+$/, "").replace(/\s+\*/, " *")),
}));

const bunType: Record<string, string> = {
  int32_t: "i32", uint32_t: "u32", int64_t: "i64", uint64_t: "u64",
  "void *": "ptr", "const void *": "ptr", "char *": "ptr", us_wake_fn: "function",
};
const denoType: Record<string, string> = {
  int32_t: "i32", uint32_t: "u32", int64_t: "i64", uint64_t: "u64",
  "void *": "pointer", "const void *": "pointer", "char *": "pointer", us_wake_fn: "function",
};

describe("native ABI", () => {
  it("parses the header's prototypes", () => {
    expect(prototypes.length).toBeGreaterThanOrEqual(17);
    for (const p of prototypes) for (const t of [...p.params, p.ret]) expect(Object.keys(bunType)).toContain(t);
  });

  it("bun:ffi table matches the header", () => {
    expect(Object.keys(bunSymbols)).toEqual(prototypes.map((p) => p.name));
    for (const p of prototypes) {
      const sym = bunSymbols[p.name as keyof typeof bunSymbols];
      expect({ name: p.name, args: [...sym.args], returns: sym.returns }).toEqual({
        name: p.name, args: p.params.map((t) => bunType[t]), returns: bunType[p.ret],
      });
    }
  });

  it("Deno.dlopen table matches the header", () => {
    expect(Object.keys(denoSymbols)).toEqual(prototypes.map((p) => p.name));
    for (const p of prototypes) {
      const sym = denoSymbols[p.name];
      expect({ name: p.name, parameters: [...sym.parameters], result: sym.result }).toEqual({
        name: p.name, parameters: p.params.map((t) => denoType[t]), result: denoType[p.ret],
      });
    }
  });
});
