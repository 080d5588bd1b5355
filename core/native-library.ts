// Which liburingshim.so this process loads, in order: the one the user
// names (URINGSHIM_LIBRARY), one built from the shipped C sources
// (native/build/: the clone's `npm ci`, or `uringshim-build` in an
// installed package), then the package's prebuilt one for this platform.
import { readEnv } from "./env.ts";
import { UringError } from "./errors.ts";
import { getHost } from "./native.ts";
import { packageRoot } from "./paths.ts";
import { hostPlatform, type Platform, platformName, PREBUILT_PLATFORMS, prebuiltFor } from "./platform.ts";

export const LIBRARY_ENV = "URINGSHIM_LIBRARY";
export const LIBRARY_FILE = "liburingshim.so";

export interface LibraryChoice {
  readonly path: string;
  /** Why this one: named by URINGSHIM_LIBRARY, built from source, or prebuilt for the platform. */
  readonly source: "env" | "built" | "prebuilt";
}

/** The command that builds the library from the shipped sources, spelled for the runtime the user runs. */
export function buildCommand(runtime: string): string {
  if (runtime === "bun") return "bunx uringshim-build";
  if (runtime === "deno") return "deno run -A npm:uringshim/build";
  return "npx uringshim-build";
}

/** Joins path parts with "/" (node:path's join for the absolute, normalised paths used here, without loading node:path). */
function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

function currentRuntime(): string {
  return "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
}

/**
 * The library for `platform` in the package at `root`; a UringError that
 * names the platform and the build command when none fits. `exists` and
 * `env` are parameters so the choice can be tested for any platform.
 */
export function chooseNativeLibrary(
  root: string,
  platform: Platform,
  exists: (path: string) => boolean = (path) => getHost().exists(path),
  env: Record<string, string | undefined> = { [LIBRARY_ENV]: readEnv(LIBRARY_ENV) },
  runtime: string = currentRuntime(),
): LibraryChoice {
  const named = env[LIBRARY_ENV];
  if (named) {
    if (!exists(named)) {
      throw new UringError("load", "ENOENT", 2, `uringshim: ${LIBRARY_ENV}=${named}: no such file`);
    }
    return { path: named, source: "env" };
  }
  const built = join(root, "native/build", LIBRARY_FILE);
  if (exists(built)) return { path: built, source: "built" };
  const tag = prebuiltFor(platform);
  const prebuilt = tag === null ? null : join(root, "prebuilt", tag, LIBRARY_FILE);
  if (prebuilt !== null && exists(prebuilt)) return { path: prebuilt, source: "prebuilt" };
  const shipped = PREBUILT_PLATFORMS.filter((p) => exists(join(root, "prebuilt", p, LIBRARY_FILE)));
  const why = tag === null
    ? `no prebuilt ${LIBRARY_FILE} for ${platformName(platform)}`
    : `the prebuilt ${LIBRARY_FILE} for ${tag} is missing (${prebuilt})`;
  throw new UringError(
    "load",
    "EPLATFORM",
    0,
    `uringshim: ${why}; this package has ${shipped.length > 0 ? shipped.join(", ") : "none"}. ` +
      `Build it from the C sources it ships (needs a C compiler, cc): ${buildCommand(runtime)} ` +
      `(or set ${LIBRARY_ENV} to a ${LIBRARY_FILE} you built)`,
  );
}

/** This process's library (see chooseNativeLibrary). */
export function nativeLibrary(): LibraryChoice {
  return chooseNativeLibrary(packageRoot, hostPlatform());
}

/** The error for a library that exists but did not load (dlopen's message is the cause). */
export function loadError(choice: LibraryChoice, cause: unknown, hint = ""): UringError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const fix = choice.source === "prebuilt"
    ? `if this machine's ${platformName(hostPlatform())} is not what the library was built for, build one: ${buildCommand(currentRuntime())}`
    : choice.source === "built"
    ? `rebuild it (${buildCommand(currentRuntime())}, or npm run build in a clone)`
    : `check ${LIBRARY_ENV}`;
  return new UringError("load", "ELOAD", 0, `uringshim: cannot load ${choice.path} (${choice.source}): ${detail}; ${fix}${hint}`, { cause });
}
