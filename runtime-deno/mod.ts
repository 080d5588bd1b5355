// uringshim for Deno: binds the Deno.dlopen adapter, then exports the API.
// host.ts first: it binds the Host before any core module evaluates.
import "./host.ts";
import { bindNative } from "../core/native.ts";
import { createDenoNative } from "./native.ts";

bindNative(createDenoNative());

export * from "../core/mod.ts";
