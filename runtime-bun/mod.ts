// uringshim for Bun: binds the bun:ffi adapter, then exports the API.
import { bindNative } from "../core/native.ts";
import { createBunNative } from "./native.ts";

bindNative(createBunNative());

export * from "../core/mod.ts";
