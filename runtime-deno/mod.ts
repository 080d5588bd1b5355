// uringshim for Deno: binds the Deno.dlopen adapter, then exports the API.
import { bindNative } from "../core/native.ts";
import { createDenoNative } from "./native.ts";

bindNative(createDenoNative());

export * from "../core/mod.ts";
