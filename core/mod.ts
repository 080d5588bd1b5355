// The public API, the same under Bun and Deno. Import "uringshim" (the
// runtime adapters re-export this after binding their FFI).
export { Ring, type BatchCallback, type RingOptions } from "./ring.ts";
export type { RingMode } from "./ring-core.ts";
export { UringError } from "./errors.ts";
export { Statx } from "./statx.ts";
export { NativeBuffer, type NativeBufferOptions } from "./native-buffer.ts";
export * from "./constants.ts";
