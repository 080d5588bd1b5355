// The public API, the same under Bun and Deno. Import "uringshim" (the
// runtime adapters re-export this after binding their FFI).
export {
  Ring, type Accepted, type BatchCallback, type NewFdOptions, type OpenHow, type Received, type RingMessage, type RingOptions,
  type WaitidInfo,
} from "./ring.ts";
export { BufferRing } from "./buffer-ring.ts";
export {
  COMPAT_ENV, COMPAT_FEATURES, compatEnvName, parseCompatEnv, type CompatFeature, type CompatOptions, type CompatReasons, type RingCompat,
} from "./compat.ts";
export { REGISTER_OPS, type RestrictionOptions, type Restrictions } from "./restrictions.ts";
export type { ReceivedChunk } from "./ring-net.ts";
export { connect, Connection, type ConnectOptions } from "./connection.ts";
export {
  type ConnectionHandler, type ConnectionHandlers, DEFAULT_SERVER_BUFFERS, serve, Server, type ServeOptions,
} from "./server.ts";
export { AF_INET, AF_INET6, AF_UNIX, type SocketAddress, type SocketAddressInput } from "./sockaddr.ts";
export type { RingMode } from "./ring-core.ts";
export type { MultishotStream } from "./op-stream.ts";
export { FixedFile } from "./fixed-file.ts";
export type { FixedPart, FixedRange } from "./ring-io.ts";
export type { BufferSource, MapReport, SharedBufferTable } from "./ring-register.ts";
export { isDmabuf } from "./dmabuf.ts";
export { UringError } from "./errors.ts";
export { Statx } from "./statx.ts";
export { NativeBuffer, type NativeBufferOptions } from "./native-buffer.ts";
export { BufferPool, type BufferPoolOptions, type SharedPoolDescriptor } from "./buffer-pool.ts";
export { memlockHint } from "./memlock.ts";
export {
  inferProbe, kernelRelease, Probe, probe, probeKernel, UNKNOWN_RELEASE, versionFloor, type Inferred, type ProbeData,
  type ProbeMethod, type ProbeOptions,
} from "./probe.ts";
export {
  ENTER_FLAGS, FEATURE_FLAGS, flagNames, hasRelease, LAST_KNOWN_OPCODE, opcodeInfo, OPCODES, parseKernelVersion,
  SETUP_FLAGS, SQE_FLAGS, type FlagInfo, type KernelVersion, type OpcodeInfo,
} from "./opcodes.ts";
export * from "./cqe.ts";
export * from "./constants.ts";
export * from "./op-constants.ts";
