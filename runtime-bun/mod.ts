// uringshim for Bun: binds the bun:ffi adapter, then exports the API.
// host.ts first: it binds the Host before any core module evaluates.
import "./host.ts";
import { bindNative } from "../core/native.ts";
import { createBunNative } from "./native.ts";

bindNative(createBunNative());

export * from "../core/mod.ts";
