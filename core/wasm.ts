// Loads asm/build/uring.wasm (built by `npm ci`) and types its exports.
import { readFileSync } from "node:fs";
import { wasmPath } from "./paths.ts";

type U32Global = { value: number };

/** The exports of asm/assembly/index.ts. Addresses are offsets in the instance's memory unless named otherwise. */
export interface UringWasm {
  ringLayout(sqEntries: number, cqEntries: number, setupFlags: number): number;
  prepareParams(cqEntries: number, setupFlags: number, sqThreadCpu: number, sqThreadIdle: number, memBase: number): number;
  paramsSqEntries(): number;
  regionRings: U32Global;
  regionRingsBytes: U32Global;
  regionSqes: U32Global;
  regionCompletions: U32Global;
  completionCapacity: U32Global;
  totalBytes: U32Global;
  PARAMS_AT: U32Global;
  MMAP_CTX_AT: U32Global;
  WAITER_AT: U32Global;
  SCRATCH_AT: U32Global;
  SCRATCH_BYTES: U32Global;
  initKernelRing(): void;
  initShadowRing(setupFlags: number): void;
  getSqe(): number;
  sqSpaceLeft(): number;
  flushSq(): number;
  sqFlags(): number;
  sqDropped(): number;
  sqRingEntries(): number;
  cqRingEntries(): number;
  cqOverflow(): number;
  cqReady(): number;
  cqEventfdToggle(enabled: boolean): void;
  reap(max: number): number;
  completionsAt(): number;
  prepRw(op: number, sqe: number, fd: number, addr: number, len: number, offset: number): void;
  sqeSetData(sqe: number, lo: number, hi: number): void;
  sqeSetFlags(sqe: number, flags: number): void;
  prepNop(sqe: number): void;
  prepReadv(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number): void;
  prepReadv2(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void;
  prepReadFixed(sqe: number, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number): void;
  prepWritev(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number): void;
  prepWritev2(sqe: number, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void;
  prepWriteFixed(sqe: number, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number): void;
  prepFsync(sqe: number, fd: number, fsyncFlags: number): void;
  prepTimeout(sqe: number, ts: number, count: number, flags: number): void;
  prepTimeoutRemove(sqe: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepCancel64(sqe: number, userDataLo: number, userDataHi: number, flags: number): void;
  prepCancelFd(sqe: number, fd: number, flags: number): void;
  prepLinkTimeout(sqe: number, ts: number, flags: number): void;
  prepOpenat(sqe: number, dfd: number, path: number, flags: number, mode: number): void;
  prepClose(sqe: number, fd: number): void;
  prepStatx(sqe: number, dfd: number, path: number, flags: number, mask: number, statxbuf: number): void;
  prepRead(sqe: number, fd: number, buf: number, nbytes: number, offset: number): void;
  prepWrite(sqe: number, fd: number, buf: number, nbytes: number, offset: number): void;
  enqueueNop(userDataLo: number, userDataHi: number): number;
  enqueueRead(fd: number, buf: number, nbytes: number, offset: number, userDataLo: number, userDataHi: number): number;
  enqueueWrite(fd: number, buf: number, nbytes: number, offset: number, userDataLo: number, userDataHi: number): number;
}

let compiled: WebAssembly.Module | undefined;
let sizer: UringWasm | undefined;

function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(wasmPath));
    } catch (cause) {
      throw new Error(`uringshim: cannot read ${wasmPath}; build it with \`npm run build\` (npm ci does)`, { cause });
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

export function instantiate(memory: WebAssembly.Memory): UringWasm {
  return new WebAssembly.Instance(wasmModule(), { env: { memory } }).exports as unknown as UringWasm;
}

/** Bytes of linear memory a ring of this shape needs (ringLayout on a scratch instance). */
export function ringMemoryBytes(sqEntries: number, cqEntries: number, setupFlags: number): number {
  sizer ??= instantiate(new WebAssembly.Memory({ initial: 1, maximum: 1 }));
  return sizer.ringLayout(sqEntries, cqEntries, setupFlags);
}
