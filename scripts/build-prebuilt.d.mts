// Types of scripts/build-prebuilt.mjs (for tsc, and for deno check through its @ts-self-types).
export declare const MIN_GLIBC: string;

export interface PrebuiltPlatform {
  platform: "linux-x64-gnu" | "linux-x64-musl" | "linux-arm64-gnu" | "linux-arm64-musl";
  arch: "x64" | "arm64";
  libc: "gnu" | "musl";
  /** The compiler make gets as CC. */
  cc: string;
  /** [command or absolute path, the Debian package that has it]. */
  needs: [string, string][];
}
export declare const PLATFORMS: readonly PrebuiltPlatform[];

export declare function onPath(cmd: string): boolean;

export declare function missingToolchain(p: PrebuiltPlatform): string | undefined;

export type PrebuiltResult =
  | { platform: string; built: true; library: string; refBench?: string; harness?: string }
  | { platform: string; built: false; reason: string };

export declare function buildPrebuilt(options?: { root?: string; require?: boolean; harness?: boolean }): Promise<PrebuiltResult[]>;
