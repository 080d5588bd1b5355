// Types of bench/pattern.mjs (for tsc, and for deno check through its @ts-self-types).
export declare const MAGIC: number;
export declare const SECTOR: number;
export declare function fillPattern(u32: Uint32Array, at: number, offset: number, length: number): void;
export declare function stampHeaders(u32: Uint32Array, at: number, offset: number, length: number): void;
export declare function patternBytes(offset: number, length: number): Uint8Array;
export declare function checkPattern(bytes: Uint8Array, off: number): number;
export declare function writePatternFile(path: string, size: number): void;
export declare function holdsPattern(path: string, size: number): boolean;
