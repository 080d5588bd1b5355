// What the running kernel's io_uring supports: opcodes, setup / enter / SQE
// flags and feature bits. Two kernel interfaces answer:
// - IORING_REGISTER_QUERY (6.18+, no ring needed): the setup, enter and
//   SQE flag masks, the feature bits and the opcode count;
// - IORING_REGISTER_PROBE (5.6+, on a ring): per opcode whether it is
//   supported, the authoritative answer, as ops can be configured out
//   (CONFIG_NET, CONFIG_EPOLL, CONFIG_FUTEX …).
// Before QUERY the flags cannot be asked of the kernel; they are inferred
// from its release and the `since` tables (opcodes.ts), and the result
// says so.
import {
  IO_URING_OP_SUPPORTED, IO_URING_QUERY_OPCODES, IORING_REGISTER_PROBE, IORING_REGISTER_QUERY,
} from "./constants.ts";
import { ERRNO_BY_NAME } from "./errno.ts";
import { EINVAL, UringError, uringError } from "./errors.ts";
import { getNative, type Native } from "./native.ts";
import {
  ENTER_FLAGS, FEATURE_FLAGS, type FlagInfo, flagNames, hasRelease, type KernelVersion, OPCODES, type OpcodeInfo,
  opcodeInfo, parseKernelVersion, releaseVersion, SETUP_FLAGS, SQE_FLAGS,
} from "./opcodes.ts";
import { restrictedHint, setupError } from "./setup-errors.ts";
import { checkBoolean, checkFd, checkOptions, checkU32 } from "./validate.ts";

const EBADF = ERRNO_BY_NAME.EBADF;
const EOPNOTSUPP = ERRNO_BY_NAME.EOPNOTSUPP;

export type ProbeMethod = "auto" | "query" | "probe";
/**
 * Parts of a Probe the kernel was not asked about directly: taken from its
 * release, or (opcodes, method "query") from its opcode count.
 */
export type Inferred = "opcodes" | "setupFlags" | "enterFlags" | "sqeFlags" | "features" | "kernelVersion";

/** Probe.kernelRelease when the release could not be read (see kernelRelease()). */
export const UNKNOWN_RELEASE = "unknown";

export interface ProbeOptions {
  /**
   * "auto" (default): QUERY for the flags and features, PROBE for the
   * opcodes; PROBE alone with inferred flags on kernels before 6.18.
   * "query": QUERY alone, no ring (opcodes = the kernel's opcode count;
   * throws before 6.18). "probe": PROBE alone, as on kernels before 6.18.
   */
  method?: ProbeMethod;
  /** A ring to send IORING_REGISTER_PROBE to; else a minimal ring is set up and closed. */
  ringFd?: number;
  /** That ring's io_uring_params.features, used when QUERY is not (a temporary ring reports its own). */
  features?: number;
}

/** The fields of a Probe; see the getters of the same name. */
export interface ProbeData {
  kernelRelease: string;
  /** Default: parsed from kernelRelease. Given (a versionFloor) when the release is UNKNOWN_RELEASE. */
  kernelVersion?: KernelVersion;
  source: "query" | "probe";
  inferred: readonly Inferred[];
  supportedOpcodes: readonly number[];
  lastOp: number;
  setupFlags: number;
  enterFlags: number;
  sqeFlags: number;
  features: number;
  /** nr_register_opcodes from QUERY: IORING_REGISTER_* opcodes below it exist. */
  registerOpcodes?: number;
}

/** One kernel's io_uring capabilities. Immutable. */
export class Probe {
  /** uname -r, or UNKNOWN_RELEASE where the runtime may not read it (Deno without --allow-sys). */
  readonly kernelRelease: string;
  /** From the release; else the oldest release with what the kernel showed (`inferred` has "kernelVersion"). */
  readonly kernelVersion: KernelVersion;
  /** "query": flags came from IORING_REGISTER_QUERY; "probe": from the release (see `inferred`). */
  readonly source: "query" | "probe";
  readonly inferred: readonly Inferred[];
  /** The highest opcode number the kernel knows (IORING_OP_LAST - 1). */
  readonly lastOp: number;
  /** Supported opcode numbers, ascending (including any newer than this library's table). */
  readonly supportedOpcodes: readonly number[];
  /** Supported opcode names ("readvFixed"), ordered by opcode. */
  readonly opcodes: readonly string[];
  readonly setupFlags: number;
  readonly setupFlagNames: readonly string[];
  readonly enterFlags: number;
  readonly enterFlagNames: readonly string[];
  readonly sqeFlags: number;
  readonly sqeFlagNames: readonly string[];
  readonly features: number;
  readonly featureNames: readonly string[];
  readonly registerOpcodes: number | undefined;
  readonly #supported: ReadonlySet<number>;

  constructor(data: ProbeData) {
    this.kernelRelease = data.kernelRelease;
    this.kernelVersion = Object.freeze({ ...(data.kernelVersion ?? parseKernelVersion(data.kernelRelease)) });
    this.source = data.source;
    this.inferred = Object.freeze([...data.inferred]);
    this.lastOp = data.lastOp;
    this.supportedOpcodes = Object.freeze([...new Set(data.supportedOpcodes)].sort((a, b) => a - b));
    this.#supported = new Set(this.supportedOpcodes);
    this.opcodes = Object.freeze(this.supportedOpcodes.flatMap((n) => opcodeInfo(n)?.name ?? []));
    this.setupFlags = data.setupFlags;
    this.setupFlagNames = Object.freeze(flagNames(SETUP_FLAGS, data.setupFlags));
    this.enterFlags = data.enterFlags;
    this.enterFlagNames = Object.freeze(flagNames(ENTER_FLAGS, data.enterFlags));
    this.sqeFlags = data.sqeFlags;
    this.sqeFlagNames = Object.freeze(flagNames(SQE_FLAGS, data.sqeFlags));
    this.features = data.features;
    this.featureNames = Object.freeze(flagNames(FEATURE_FLAGS, data.features));
    this.registerOpcodes = data.registerOpcodes;
    Object.freeze(this);
  }

  /** True when the setup, enter and SQE flags come from the release, not the kernel. */
  get flagsInferred(): boolean {
    return this.inferred.includes("setupFlags");
  }

  /** Whether the kernel supports an op, by name ("readvFixed" or "IORING_OP_READV_FIXED"). */
  supports(name: string): boolean {
    if (typeof name !== "string") throw new TypeError(`supports(): name: expected an io_uring opcode name, got ${typeof name}`);
    const info = opcodeInfo(name);
    if (!info) throw new TypeError(`supports(): name: ${JSON.stringify(name)} is not an io_uring opcode name (like "readvFixed" or "IORING_OP_READV_FIXED")`);
    return this.#supported.has(info.opcode);
  }

  supportsOpcode(opcode: number): boolean {
    return this.#supported.has(opcode);
  }

  /**
   * The opcode table's row for a name ("readvFixed", "IORING_OP_READV_FIXED")
   * or opcode number; TypeError for anything else.
   */
  describe(name: string | number): OpcodeInfo {
    const info = typeof name === "string" || typeof name === "number" ? opcodeInfo(name) : undefined;
    if (!info) {
      throw new TypeError(`name: ${JSON.stringify(name)} is not an io_uring opcode name (like "readvFixed" or "IORING_OP_READV_FIXED")`);
    }
    return info;
  }

  /** Why an op (name or opcode number) cannot be used here, or undefined when it can. */
  unsupportedMessage(name: string | number): string | undefined {
    const info = this.describe(name);
    if (this.#supported.has(info.opcode)) return undefined;
    const what = `'${info.name}' (${info.uapi})`;
    if (this.kernelRelease === UNKNOWN_RELEASE) return `${what} needs Linux ${info.since}+ and is not supported by this kernel (release unknown)`;
    if (!hasRelease(this.kernelVersion, info.since)) return `${what} needs Linux ${info.since}+; this kernel is ${this.kernelRelease}`;
    // Old enough, yet not there: configured out, or a distribution kernel
    // whose version number says little.
    return `${what} is not supported by this kernel (${this.kernelRelease}) although it is in Linux ${info.since}+: it was built without it`;
  }

  /** A UringError (code EOPNOTSUPP) for an op this kernel lacks, or undefined. `op` names the failing call. */
  unsupportedError(name: string | number, op: string = this.describe(name).name): UringError | undefined {
    const message = this.unsupportedMessage(name);
    return message === undefined ? undefined : new UringError(op, "EOPNOTSUPP", EOPNOTSUPP, `${op}: EOPNOTSUPP: ${message}`);
  }
}

function maskSince(table: ReadonlyArray<FlagInfo>, v: KernelVersion): number {
  let mask = 0;
  for (const f of table) if (hasRelease(v, f.since)) mask |= f.value;
  return mask;
}

/**
 * A Probe built from a kernel release alone, asking the kernel nothing:
 * every opcode and flag whose `since` is at most that release.
 */
export function inferProbe(kernelRelease: string): Probe {
  const v = releaseVersion("inferProbe", "kernelRelease", kernelRelease);
  const ops = OPCODES.filter((o) => hasRelease(v, o.since)).map((o) => o.opcode);
  return new Probe({
    kernelRelease,
    source: "probe",
    inferred: ["opcodes", "setupFlags", "enterFlags", "sqeFlags", "features"],
    supportedOpcodes: ops,
    lastOp: ops.length - 1,
    setupFlags: maskSince(SETUP_FLAGS, v),
    enterFlags: maskSince(ENTER_FLAGS, v),
    sqeFlags: maskSince(SQE_FLAGS, v),
    features: maskSince(FEATURE_FLAGS, v),
  });
}

// struct io_uring_query_hdr (40 bytes) followed by struct
// io_uring_query_opcode (48 bytes in the newest headers). The kernel says
// in hdr.size how much it filled (48 on 6.18.44); the first 40 bytes, all
// that is read here, are the same in every version.
const QH_QUERY_DATA = 8;
const QH_QUERY_OP = 16;
const QH_SIZE = 20;
const QH_RESULT = 24;
const QH_BYTES = 40;
const QO_NR_REQUEST = 0;
const QO_NR_REGISTER = 4;
const QO_FEATURES = 8;
const QO_SETUP = 16;
const QO_ENTER = 24;
const QO_SQE = 32;
const QO_BYTES = 48;

interface QueryAnswer {
  nrRequestOpcodes: number;
  nrRegisterOpcodes: number;
  features: number;
  setupFlags: number;
  enterFlags: number;
  sqeFlags: number;
}

/** IO_URING_QUERY_OPCODES, or the negative errno of a kernel without QUERY. */
function query(native: Native): QueryAnswer | number {
  const mem = new Uint8Array(QH_BYTES + QO_BYTES);
  const view = new DataView(mem.buffer);
  const addr = native.addressOf(mem);
  setU64(view, QH_QUERY_DATA, addr + QH_BYTES);
  view.setUint32(QH_QUERY_OP, IO_URING_QUERY_OPCODES, true);
  view.setUint32(QH_SIZE, QO_BYTES, true);
  const res = native.register(-1, IORING_REGISTER_QUERY, addr, 0);
  if (res < 0) return res;
  const result = view.getInt32(QH_RESULT, true);
  if (result < 0) throw uringError("probe", result, "IORING_REGISTER_QUERY: IO_URING_QUERY_OPCODES");
  const size = view.getUint32(QH_SIZE, true);
  if (size < QO_SQE + 8) throw uringError("probe", -EINVAL, `IORING_REGISTER_QUERY answered ${size} bytes, fewer than the 6.18 layout's 40`);
  const d = QH_BYTES;
  return {
    nrRequestOpcodes: view.getUint32(d + QO_NR_REQUEST, true),
    nrRegisterOpcodes: view.getUint32(d + QO_NR_REGISTER, true),
    features: getU64(view, d + QO_FEATURES),
    setupFlags: getU64(view, d + QO_SETUP),
    enterFlags: getU64(view, d + QO_ENTER),
    sqeFlags: getU64(view, d + QO_SQE),
  };
}

// JS bit operations are 32-bit: masks stay exact as numbers up to 2^53.
function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 2 ** 32, true);
  view.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

// struct io_uring_probe: a 16-byte header (last_op, ops_len) and
// io_uring_probe_op[256] of 8 bytes (op, resv, flags u16, resv2).
const PROBE_OPS = 256;
const PROBE_HDR = 16;
const PROBE_OP_BYTES = 8;

/** IORING_REGISTER_PROBE on a ring: last_op and the supported opcodes. */
function probeOps(native: Native, ringFd: number): { lastOp: number; supported: number[] } {
  // The kernel refuses (EINVAL) a probe buffer that is not all zeroes.
  const mem = new Uint8Array(PROBE_HDR + PROBE_OPS * PROBE_OP_BYTES);
  const res = native.register(ringFd, IORING_REGISTER_PROBE, native.addressOf(mem), PROBE_OPS);
  if (res < 0) {
    throw uringError("probe", res, res === -EINVAL ? "IORING_REGISTER_PROBE needs Linux 5.6+" : "IORING_REGISTER_PROBE");
  }
  const view = new DataView(mem.buffer);
  const supported: number[] = [];
  const opsLen = mem[1]!;
  for (let i = 0; i < opsLen; i++) {
    const at = PROBE_HDR + i * PROBE_OP_BYTES;
    if (view.getUint16(at + 2, true) & IO_URING_OP_SUPPORTED) supported.push(mem[at]!);
  }
  return { lastOp: mem[0]!, supported };
}

const PARAMS_BYTES = 120; // struct io_uring_params
const P_FEATURES = 20;

/** Runs fn on options.ringFd, or on a minimal ring set up for it and closed after. */
function onRing<T>(native: Native, ringFd: number | undefined, fn: (fd: number, features: number | undefined) => T): T {
  if (ringFd !== undefined) return fn(ringFd, undefined);
  const params = new Uint8Array(PARAMS_BYTES);
  const fd = native.setup(1, native.addressOf(params));
  if (fd < 0) throw setupError(fd, 1, 2);
  try {
    return fn(fd, new DataView(params.buffer).getUint32(P_FEATURES, true));
  } finally {
    native.close(fd);
  }
}

type DenoPermissions = { permissions: { querySync(d: { name: "sys"; kind: "osRelease" }): { state: string } } };
type NodeOs = { release(): string };

/**
 * The running kernel's release (uname -r), from the native library's
 * uname(2), which needs no permission. Without a native library: from
 * os.release(), or undefined where it may not be read (Deno wants
 * --allow-sys for it, and prompts on a terminal).
 */
export function kernelRelease(native?: Native): string | undefined {
  const own = native?.kernelRelease();
  if (own) return own;
  const deno = (globalThis as { Deno?: DenoPermissions }).Deno;
  if (deno && deno.permissions.querySync({ name: "sys", kind: "osRelease" }).state !== "granted") return undefined;
  // node:os only here, where there is no native library: a static import
  // would load it (and under Deno the Node layer) at every import.
  const proc = (globalThis as unknown as { process: { getBuiltinModule(id: "node:os"): NodeOs } }).process;
  return proc.getBuiltinModule("node:os").release();
}

/**
 * The oldest release that has everything a kernel showed: its newest
 * supported opcode, and 6.18 if it answered IORING_REGISTER_QUERY. Stands
 * in for the version when the release cannot be read.
 */
export function versionFloor(supportedOpcodes: readonly number[], hasQuery: boolean): KernelVersion {
  if (!Array.isArray(supportedOpcodes)) throw new TypeError("versionFloor(): supportedOpcodes must be an array of opcode numbers");
  checkBoolean("versionFloor", "hasQuery", hasQuery);
  let floor = parseKernelVersion(hasQuery ? "6.18" : "5.1");
  for (const n of supportedOpcodes) {
    const since = opcodeInfo(n)?.since;
    if (since && !hasRelease(floor, since)) floor = parseKernelVersion(since);
  }
  return floor;
}

/** Asks the running kernel (through `native`) what its io_uring supports. */
export function probeKernel(native: Native, options: ProbeOptions = {}): Probe {
  const method = options.method ?? "auto";
  if (method !== "auto" && method !== "query" && method !== "probe") {
    throw new TypeError(`probe(): options.method: expected "auto", "query" or "probe", got ${JSON.stringify(method)}`);
  }
  const running = kernelRelease(native);
  let q: QueryAnswer | number = -EINVAL;
  if (method !== "probe") {
    q = query(native);
    // 6.11–6.17 reject an unknown ring-less opcode with EINVAL, older
    // kernels the fd -1 with EBADF: both mean "no QUERY".
    if (typeof q === "number" && (method === "query" || (q !== -EINVAL && q !== -EBADF))) {
      const why = q === -EINVAL || q === -EBADF ? "needs Linux 6.18+" : restrictedHint(q, "io_uring_register");
      throw uringError("probe", q, `IORING_REGISTER_QUERY${why ? `: ${why}` : ""}`);
    }
  }
  if (typeof q !== "number" && method === "query") {
    const ops = Array.from({ length: q.nrRequestOpcodes }, (_, i) => i);
    return fromQuery(running, q, ops, q.nrRequestOpcodes - 1, ["opcodes"]);
  }
  return onRing(native, options.ringFd, (fd, ringFeatures) => {
    const { lastOp, supported } = probeOps(native, fd);
    if (typeof q !== "number") return fromQuery(running, q, supported, lastOp);
    const version = running === undefined ? versionFloor(supported, false) : undefined;
    const guess = inferProbe(running ?? `${version!.major}.${version!.minor}`);
    const features = ringFeatures ?? options.features;
    const inferred: Inferred[] = ["setupFlags", "enterFlags", "sqeFlags"];
    if (features === undefined) inferred.push("features");
    if (version) inferred.push("kernelVersion");
    return new Probe({
      kernelRelease: running ?? UNKNOWN_RELEASE,
      kernelVersion: version,
      source: "probe",
      inferred,
      supportedOpcodes: supported,
      lastOp,
      setupFlags: guess.setupFlags,
      enterFlags: guess.enterFlags,
      sqeFlags: guess.sqeFlags,
      features: features ?? guess.features,
    });
  });
}

function fromQuery(
  running: string | undefined, q: QueryAnswer, supported: number[], lastOp: number, inferred: Inferred[] = [],
): Probe {
  const version = running === undefined ? versionFloor(supported, true) : undefined;
  return new Probe({
    kernelRelease: running ?? UNKNOWN_RELEASE,
    kernelVersion: version,
    source: "query",
    inferred: version ? [...inferred, "kernelVersion"] : inferred,
    supportedOpcodes: supported,
    lastOp,
    setupFlags: q.setupFlags,
    enterFlags: q.enterFlags,
    sqeFlags: q.sqeFlags,
    features: q.features,
    registerOpcodes: q.nrRegisterOpcodes,
  });
}

let cached: Probe | undefined;
let cachedWithoutQuery: Probe | undefined;

/**
 * The running kernel's Probe through the bound runtime adapter. The
 * "auto" answer, and "probe" without a ringFd (what rings opened with
 * compat query: false use), are cached for the process (the kernel does
 * not change under it); `ringFd` only saves setting up a temporary ring
 * the first time.
 */
export function probe(options: ProbeOptions = {}): Probe {
  const o = checkOptions("probe", options) as ProbeOptions;
  if (o.ringFd !== undefined) checkFd("probe", o.ringFd, "options.ringFd");
  if (o.features !== undefined) checkU32("probe", "options.features", o.features);
  if (o.method === "probe" && o.ringFd === undefined) return (cachedWithoutQuery ??= probeKernel(getNative(), o));
  if ((o.method ?? "auto") !== "auto") return probeKernel(getNative(), o);
  return (cached ??= probeKernel(getNative(), o));
}
