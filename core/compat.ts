// Kernel features a ring may go without: Ring.open({ compat }) and the
// URINGSHIM_COMPAT environment variable turn each one off, and the ring then
// takes the same fallback it takes on a kernel that lacks the feature. This
// is how the fallbacks get tested on a new kernel (scripts/test.mjs runs the
// core suite once per feature turned off), and how a user checks that code
// meant for older kernels behaves.
import { readEnv } from "./env.ts";
import { EINVAL, uringError } from "./errors.ts";
import { hasRelease } from "./opcodes.ts";
import type { Probe } from "./probe.ts";

/** The features, by their Ring.open({ compat }) key. */
export const COMPAT_FEATURES = [
  /** IORING_SETUP_NO_MMAP (6.5): rings in WebAssembly memory. Fallback: kernel-mapped rings, SQEs copied in. */
  "noMmap",
  /** IORING_REGISTER_QUERY (6.18): flags asked of the kernel. Fallback: IORING_REGISTER_PROBE, flags inferred from the release. */
  "query",
  /** IORING_SETUP_SINGLE_ISSUER (6.0). Fallback: a ring any thread may submit to (the kernel skips no locking). */
  "singleIssuer",
  /** IORING_REGISTER_RING_FDS (5.18): enter by registered index. Fallback: io_uring_enter with the ring fd (an fget/fput per call). */
  "registeredRing",
  /** IORING_REGISTER_CLONE_BUFFERS (6.12). Fallback: cloneBuffersFrom() registers the same memory again (pinned and charged again). */
  "cloneBuffers",
  /** IORING_OP_READV_FIXED / WRITEV_FIXED (6.15). Fallback: READV / WRITEV over the same pool memory (pages mapped per request). */
  "fixedVectored",
] as const;

export type CompatFeature = (typeof COMPAT_FEATURES)[number];

/** Ring.open({ compat }): false turns a feature off (its fallback is used); true (the default) uses it where the kernel has it. */
export type CompatOptions = { [K in CompatFeature]?: boolean };

/** What a ring ended up using: true = the feature, false = its fallback (ring.compatReasons says why). */
export type RingCompat = { readonly [K in CompatFeature]: boolean };

/** Per feature a ring does not use, why not. */
export type CompatReasons = { readonly [K in CompatFeature]?: string };

/** The environment variable applied to every ring of the process: "no-query,no-registered-ring" or "all". */
export const COMPAT_ENV = "URINGSHIM_COMPAT";

/** The URINGSHIM_COMPAT name of a feature: "no-" and its key in kebab case ("no-registered-ring", "no-no-mmap"). */
export function compatEnvName(feature: CompatFeature): string {
  return "no-" + feature.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/** Parses a URINGSHIM_COMPAT value into the features it turns off (in COMPAT_FEATURES order); TypeError naming an unknown entry. */
export function parseCompatEnv(value: string | undefined): Set<CompatFeature> {
  const off = new Set<CompatFeature>();
  if (value === undefined) return off;
  for (const raw of value.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (name === "all") {
      for (const f of COMPAT_FEATURES) off.add(f);
      continue;
    }
    const feature = COMPAT_FEATURES.find((f) => compatEnvName(f) === name);
    if (feature === undefined) {
      throw new TypeError(
        `${COMPAT_ENV}: unknown entry ${JSON.stringify(name)}; expected a comma list of ${COMPAT_FEATURES.map(compatEnvName).join(", ")} or all`,
      );
    }
    off.add(feature);
  }
  // In COMPAT_FEATURES order, whatever order the list had.
  return new Set(COMPAT_FEATURES.filter((f) => off.has(f)));
}

/** The features turned off for one ring: options.compat's false keys plus URINGSHIM_COMPAT's, each with where it came from. */
export function compatOff(fn: string, options: unknown): Map<CompatFeature, string> {
  const off = new Map<CompatFeature, string>();
  for (const f of parseCompatEnv(readEnv(COMPAT_ENV))) off.set(f, `${COMPAT_ENV}=${compatEnvName(f)}`);
  if (options === undefined) return off;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}(): options.compat must be an object of booleans, got ${options === null ? "null" : typeof options}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (!(COMPAT_FEATURES as readonly string[]).includes(key)) {
      throw new TypeError(`${fn}(): options.compat.${key} is not a compat feature; expected ${COMPAT_FEATURES.join(", ")}`);
    }
    if (typeof value !== "boolean") {
      throw new TypeError(`${fn}(): options.compat.${key} must be a boolean, got ${typeof value}`);
    }
    // true cannot re-enable what the environment turned off: the variable is
    // there to force every ring of a test run onto the fallbacks.
    if (!value && !off.has(key as CompatFeature)) off.set(key as CompatFeature, `options.compat.${key}: false`);
  }
  return off;
}

/** What compatPlan weighs besides the features turned off. */
export interface CompatInputs {
  mode: "auto" | "no-mmap" | "mmap";
  /** The running kernel, asked with PROBE alone when query is off. */
  real: Probe;
  /** The ops the ring may use (real, or narrowed by options.assumeKernel). */
  kernel: Probe;
  /** options.singleIssuer (default true). */
  singleIssuer: boolean;
  /** false for a restricted ring whose close() may not unregister a registered ring fd. */
  mayUnregisterRing: boolean;
}

/**
 * For each feature, why the ring is to go without it (undefined: use it).
 * noMmap and registeredRing are settled at setup: the kernel may still
 * refuse NO_MMAP memory, and a thread's 16 ring slots may be taken.
 */
export function compatPlan(off: Map<CompatFeature, string>, i: CompatInputs): { [K in CompatFeature]?: string } {
  const { real, kernel } = i;
  const noMmap = off.get("noMmap");
  // What a kernel without NO_MMAP answers an explicit "no-mmap".
  if (noMmap !== undefined && i.mode === "no-mmap") throw uringError("setup", -EINVAL, `mode "no-mmap" needs IORING_SETUP_NO_MMAP, turned off by ${noMmap}`);
  const lacks = (has: boolean, why: string) => (has ? undefined : why);
  return {
    noMmap: noMmap ?? (i.mode === "mmap" ? 'options.mode: "mmap"' : undefined),
    query: off.get("query") ?? lacks(real.source === "query", "IORING_REGISTER_QUERY needs Linux 6.18+"),
    singleIssuer: !i.singleIssuer
      ? "options.singleIssuer: false"
      : off.get("singleIssuer") ?? lacks((real.setupFlags & SETUP_SINGLE_ISSUER) !== 0, "IORING_SETUP_SINGLE_ISSUER needs Linux 6.0+"),
    registeredRing: off.get("registeredRing") ??
      lacks(hasRelease(real.kernelVersion, "5.18"), "IORING_REGISTER_RING_FDS needs Linux 5.18+") ??
      lacks(i.mayUnregisterRing, "restrictions.registerOps lacks IORING_UNREGISTER_RING_FDS, which close() needs"),
    // QUERY counts the register opcodes; before it, the release says.
    cloneBuffers: off.get("cloneBuffers") ?? lacks(
      real.registerOpcodes !== undefined ? real.registerOpcodes > REGISTER_CLONE_BUFFERS : hasRelease(real.kernelVersion, "6.12"),
      "IORING_REGISTER_CLONE_BUFFERS needs Linux 6.12+",
    ),
    fixedVectored: off.get("fixedVectored") ??
      lacks(kernel.supports("readvFixed") && kernel.supports("writevFixed"), "IORING_OP_READV_FIXED/WRITEV_FIXED need Linux 6.15+"),
  };
}

const SETUP_SINGLE_ISSUER = 1 << 12;
const REGISTER_CLONE_BUFFERS = 30;
