// Types of bench/pattern.mjs (for test/bench.test.ts under tsc).
export declare const MAGIC: number;
export declare function patternBytes(offset: number, length: number): Uint8Array;
export declare function writePatternFile(path: string, size: number): void;
export declare function holdsPattern(path: string, size: number): boolean;
