// bench/setup.ts: what a run needs from the machine: the data files, the
// filesystem under them (O_DIRECT only off tmpfs), pinning, the page cache
// warmed, and the facts printed in the report's header.
import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, realpathSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writePatternFile } from "./pattern.mjs";

export const DEFAULT_FILE_SIZE = 256 * 1024 * 1024;
const MEMORY_FILESYSTEMS = new Set(["tmpfs", "ramfs", "hugetlbfs", "devtmpfs"]);

export interface Mount {
  source: string;
  mountpoint: string;
  fstype: string;
}

/** The mount holding path: the longest mount point of /proc/mounts that contains it; null if unreadable. */
export function mountOf(p: string, mounts = readFileSafe("/proc/mounts")): Mount | null {
  if (mounts === null) return null;
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    real = path.resolve(p);
  }
  let best: Mount | null = null;
  for (const line of mounts.split("\n")) {
    const [source, rawPoint, fstype] = line.split(" ");
    if (!fstype) continue;
    const mountpoint = rawPoint.replace(/\\040/g, " ");
    const inside = mountpoint === "/" || real === mountpoint || real.startsWith(`${mountpoint}/`);
    if (inside && (best === null || mountpoint.length >= best.mountpoint.length)) best = { source, mountpoint, fstype };
  }
  return best;
}

function readFileSafe(p: string): string | null {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
}

/** Why O_DIRECT runs cannot use file (a memory filesystem, or open(O_DIRECT) fails), or null when they can. */
export function directUnusable(file: string): string | null {
  const m = mountOf(file);
  if (m !== null && MEMORY_FILESYSTEMS.has(m.fstype)) return `${file} is on ${m.fstype} (${m.mountpoint}): O_DIRECT there measures memory, not a disk`;
  if (constants.O_DIRECT === undefined) return "O_DIRECT is not available here";
  try {
    closeSync(openSync(file, constants.O_RDONLY | constants.O_DIRECT));
  } catch (e) {
    return `open(${file}, O_DIRECT) failed: ${(e as Error).message}`;
  }
  return null;
}

/** "ext4 on /dev/vda (virtio_blk)" for the filesystem holding file: the driver and, where sysfs has one, the model. */
export function describeDisk(file: string): string | null {
  const m = mountOf(file);
  if (m === null) return null;
  const parts = [`${m.fstype} on ${m.source}`];
  const dev = /^\/dev\/([a-z]+[0-9]*?)(p?\d+)?$/.exec(m.source)?.[1];
  if (dev) {
    const extra: string[] = [];
    try {
      extra.push(path.basename(readlinkSync(`/sys/block/${dev}/device/driver`)));
    } catch {
      // no driver link (e.g. a partition name we did not strip)
    }
    const model = readFileSafe(`/sys/block/${dev}/device/model`)?.trim();
    if (model) extra.push(model);
    if (extra.length) parts.push(`(${extra.join(", ")})`);
  }
  return parts.join(" ");
}

/** The CPU model (/proc/cpuinfo) and the number of CPUs. */
export function cpuInfo(): { model: string; cores: number } {
  const info = readFileSafe("/proc/cpuinfo");
  const model = info?.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return { model, cores: os.cpus().length };
}

/** The first line a program prints for its version flag, or null when it is not installed (or fails). */
export function versionOf(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return r.status === 0 ? r.stdout.split("\n")[0].trim() : null;
}

/** ["taskset", "-c", cpu] when taskset can pin to that CPU, else the reason it cannot. */
export function pinPrefix(cpu: number): { prefix: string[] } | { reason: string } {
  const r = spawnSync("taskset", ["-c", `${cpu}`, "true"], { stdio: "ignore" });
  if (r.error) return { reason: "taskset is not installed (util-linux)" };
  if (r.status !== 0) return { reason: `taskset -c ${cpu} failed (no such CPU?)` };
  return { prefix: ["taskset", "-c", `${cpu}`] };
}

/** Reads the whole file once so page-cache runs find it cached (the VM evicts idle cache in ~60 s). */
export function warmPageCache(file: string): void {
  const chunk = 1 << 20;
  const buf = new Uint8Array(chunk);
  const fd = openSync(file, "r");
  try {
    let off = 0;
    for (let n; (n = readSync(fd, buf, 0, chunk, off)) > 0; ) off += n;
  } finally {
    closeSync(fd);
  }
}

/** Temp data files: made on first use, removed by cleanup() (also on exit). */
export class DataFiles {
  private dirs: string[] = [];
  private files: string[] = [];

  /** A fresh temp dir, off tmpfs when needed (os.tmpdir(), else /var/tmp, else the given fallback). */
  tempDir(needsDisk: boolean, fallback: string): string {
    const candidates = [os.tmpdir(), "/var/tmp", fallback];
    let parent = candidates[0];
    if (needsDisk) {
      for (const c of candidates) {
        const m = existsSync(c) ? mountOf(c) : null;
        if (m !== null && !MEMORY_FILESYSTEMS.has(m.fstype)) {
          parent = c;
          break;
        }
      }
    }
    const dir = mkdtempSync(path.join(parent, "uringshim-bench-"));
    this.dirs.push(dir);
    return dir;
  }

  /** Writes a pattern file (bench/pattern.mjs) of size bytes, fsynced; removed by cleanup(). */
  patternFile(file: string, size: number): string {
    this.files.push(file);
    writePatternFile(file, size);
    return file;
  }

  cleanup(): void {
    for (const f of this.files.splice(0)) rmSync(f, { force: true });
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** A file's size, or why it cannot be the data file. */
export function checkDataFile(file: string, minSize: number): { size: number } | { reason: string } {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    return { reason: `--file ${file}: ${(e as Error).message}` };
  }
  if (!st.isFile()) return { reason: `--file ${file} is not a regular file` };
  if (st.size < minSize) return { reason: `--file ${file} has ${st.size} bytes, smaller than the largest block size (${minSize})` };
  return { size: st.size };
}
