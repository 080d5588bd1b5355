// A slot of a ring's registered file table, usable wherever an operation
// takes an fd: the SQE then carries IOSQE_FIXED_FILE and the slot index, and
// the kernel skips the fd lookup and its reference counting.
export class FixedFile {
  /** @internal Made by Ring (registerFiles, updateFiles, fixedFile, openatDirect). */
  constructor(
    /** The ring whose table holds it; other rings refuse it. */
    readonly ring: object,
    readonly index: number,
  ) {}

  toString(): string {
    return `FixedFile(${this.index})`;
  }
}
