// The package's "default" export: what a runtime with no adapter gets
// (Node.js until its node:ffi adapter lands, or any other engine). Bun and
// Deno pick their own export conditions and never load this file.
import process from "node:process";
import { UringError } from "./errors.ts";

const engine = typeof process?.versions?.node === "string" ? `Node.js ${process.version}` : "this JavaScript runtime";

throw new UringError(
  "load",
  "ERUNTIME",
  0,
  `uringshim: ${engine} has no uringshim adapter; it runs under Bun (bun:ffi) and Deno (Deno.dlopen). ` +
    `Run your program with bun or deno`,
);
