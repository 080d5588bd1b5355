// struct statx (include/uapi/linux/stat.h) decoded into an object shaped
// like node:fs Stats, so code written against fs.stat reads naturally.
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "./constants.ts";

export const STATX_SIZE_BYTES = 256;

// glibc's makedev(), so dev/rdev equal what fs.stat reports.
function makedev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 0x100 + Math.floor(minor / 0x100) * 0x100000 + Math.floor(major / 0x1000) * 0x100000000;
}

function timeMs(view: DataView, at: number): number {
  return Number(view.getBigInt64(at, true)) * 1000 + view.getUint32(at + 8, true) / 1e6;
}

function timeNs(view: DataView, at: number): bigint {
  return view.getBigInt64(at, true) * 1_000_000_000n + BigInt(view.getUint32(at + 8, true));
}

export class Statx {
  /** STATX_* bits the kernel filled in. */
  readonly mask: number;
  readonly blksize: number;
  readonly attributes: bigint;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly ino: number;
  readonly size: number;
  readonly blocks: number;
  readonly atimeMs: number;
  readonly btimeMs: number;
  readonly ctimeMs: number;
  readonly mtimeMs: number;
  readonly atimeNs: bigint;
  readonly btimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly rdev: number;
  readonly dev: number;
  readonly mntId: number;
  /** O_DIRECT alignment for memory and file offsets (STATX_DIOALIGN, 0 when unsupported). */
  readonly dioMemAlign: number;
  readonly dioOffsetAlign: number;

  constructor(buf: Uint8Array) {
    const v = new DataView(buf.buffer, buf.byteOffset, STATX_SIZE_BYTES);
    this.mask = v.getUint32(0, true);
    this.blksize = v.getUint32(4, true);
    this.attributes = v.getBigUint64(8, true);
    this.nlink = v.getUint32(16, true);
    this.uid = v.getUint32(20, true);
    this.gid = v.getUint32(24, true);
    this.mode = v.getUint16(28, true);
    this.ino = Number(v.getBigUint64(32, true));
    this.size = Number(v.getBigUint64(40, true));
    this.blocks = Number(v.getBigUint64(48, true));
    this.atimeMs = timeMs(v, 64);
    this.btimeMs = timeMs(v, 80);
    this.ctimeMs = timeMs(v, 96);
    this.mtimeMs = timeMs(v, 112);
    this.atimeNs = timeNs(v, 64);
    this.btimeNs = timeNs(v, 80);
    this.ctimeNs = timeNs(v, 96);
    this.mtimeNs = timeNs(v, 112);
    this.rdev = makedev(v.getUint32(128, true), v.getUint32(132, true));
    this.dev = makedev(v.getUint32(136, true), v.getUint32(140, true));
    this.mntId = Number(v.getBigUint64(144, true));
    this.dioMemAlign = v.getUint32(152, true);
    this.dioOffsetAlign = v.getUint32(156, true);
  }

  isFile(): boolean { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === S_IFLNK; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === S_IFIFO; }
  isSocket(): boolean { return (this.mode & S_IFMT) === S_IFSOCK; }
  isBlockDevice(): boolean { return (this.mode & S_IFMT) === S_IFBLK; }
  isCharacterDevice(): boolean { return (this.mode & S_IFMT) === S_IFCHR; }
}
