// The path operations of the promise API (core/ring-fs.ts) against the real
// kernel, each checked against an independent source of truth: node:fs sync
// calls, /proc/self/fd and /proc/self/fdinfo, and python3's os.getxattr
// when it is installed. Round trips run per ring configuration; bad input
// (refused before anything is queued) runs once.
import { spawnSync } from "node:child_process";
import {
  chmodSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync,
  statSync, symlinkSync, writeFileSync, type Stats,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { bytesOf, fdFlags, rejection, ringConfigs, runtime, skip, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const {
  Ring: RingClass, UringError: UringErrorClass,
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC, O_TMPFILE, O_NOFOLLOW,
  AT_FDCWD, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, AT_SYMLINK_FOLLOW, AT_REMOVEDIR, AT_STATX_DONT_SYNC, AT_STATX_FORCE_SYNC,
  STATX_SIZE, STATX_TYPE, STATX_BTIME, STATX_MNT_ID, STATX_BASIC_STATS,
  RENAME_NOREPLACE, RENAME_EXCHANGE, XATTR_CREATE, XATTR_REPLACE, XATTR_SIZE_MAX,
  RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, RESOLVE_IN_ROOT,
} = uring;

// process.umask() with no argument reads it (both runtimes); created files get mode & ~umask.
const UMASK = process.umask();
const masked = (mode: number) => mode & ~UMASK;

/** The mount id of fd ("mnt_id:" in /proc/self/fdinfo). */
function fdMountId(fd: number): number {
  const line = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n").find((l) => l.startsWith("mnt_id:"));
  return Number(line?.slice("mnt_id:".length).trim());
}

/** What /proc/self/fd/N names, or undefined when fd is not open. */
function fdTarget(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * fstat of an fd the ring opened, through /proc/self/fd/N (the kernel
 * follows it to the open inode). Deno's node:fs fstatSync refuses fds it
 * did not open itself (EBADF), so it is no witness there.
 */
function fdStat(fd: number): Stats {
  return statSync(`/proc/self/fd/${fd}`);
}

/** The error code a node:fs call throws (or undefined if it does not throw). */
function fsErrorCode(call: () => unknown): string | undefined {
  try {
    call();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
}

// python3's os.getxattr/os.setxattr: a second, independent xattr implementation, used when installed.
const PY_GET = "import os,sys; sys.stdout.buffer.write(os.getxattr(sys.argv[1], sys.argv[2]))";
const PY_SET = "import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))";
const hasPython = (() => {
  try {
    return spawnSync("python3", ["-c", "import os; os.getxattr; os.setxattr"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
})();
if (!hasPython) console.warn("fs-ops: python3 is absent: xattr values are checked through the ring only");

function pyGetxattr(path: string, name: string): Uint8Array {
  const r = spawnSync("python3", ["-c", PY_GET, path, name]);
  if (r.status !== 0) throw new Error(`python3 os.getxattr failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

function pySetxattr(path: string, name: string, value: Uint8Array): void {
  const r = spawnSync("python3", ["-c", PY_SET, path, name, Buffer.from(value).toString("hex")]);
  if (r.status !== 0) throw new Error(`python3 os.setxattr failed: ${r.stderr}`);
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(ringConfigs.slice(0, 2))("path operations ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;
  let count = 0;
  /** A fresh empty directory for one test. */
  const fresh = () => {
    const dir = join(tmp.dir, `t${count++}`);
    mkdirSync(dir);
    return dir;
  };

  beforeAll(() => {
    tmp = tempDir();
    ring = RingClass.open(options);
  });
  afterAll(() => {
    ring.close();
    tmp.cleanup();
  });

  describe("openat", () => {
    it("creates a file with the mode asked for (under the umask), O_CLOEXEC added", async () => {
      const dir = fresh();
      const path = join(dir, "created");
      const fd = await ring.openat(path, O_WRONLY | O_CREAT | O_EXCL, 0o640);
      try {
        expect(fd).toBeGreaterThanOrEqual(0);
        expect(fdTarget(fd)).toBe(path);
        const flags = fdFlags(fd);
        expect(flags & 0o3).toBe(O_WRONLY);
        expect(flags & O_CLOEXEC).toBe(O_CLOEXEC);
        const st = statSync(path);
        expect(st.isFile()).toBe(true);
        expect(st.size).toBe(0);
        expect(st.mode & 0o7777).toBe(masked(0o640));
        expect(fdStat(fd).ino).toBe(st.ino);
        // The fd writes where the path says.
        expect(await ring.write(fd, bytesOf("written"), 0)).toBe(7);
        expect(readFileSync(path, "utf8")).toBe("written");
      } finally {
        await ring.closeFd(fd);
      }
    });

    it("passes all 12 permission bits, and defaults the mode to 0o644", async () => {
      const dir = fresh();
      const fd = await ring.openat(join(dir, "suid"), O_RDONLY | O_CREAT, 0o4700);
      await ring.closeFd(fd);
      expect(statSync(join(dir, "suid")).mode & 0o7777).toBe(masked(0o4700));
      const fd2 = await ring.openat(join(dir, "default"), O_WRONLY | O_CREAT);
      await ring.closeFd(fd2);
      expect(statSync(join(dir, "default")).mode & 0o7777).toBe(masked(0o644));
    });

    it("honours O_TRUNC, O_APPEND, O_EXCL and the access mode", async () => {
      const dir = fresh();
      const path = join(dir, "f");
      writeFileSync(path, "0123456789");
      const fd = await ring.openat(path, O_WRONLY | O_APPEND);
      expect(fdFlags(fd) & O_APPEND).toBe(O_APPEND);
      await ring.write(fd, bytesOf("ab"), 0); // O_APPEND: the offset is ignored
      await ring.closeFd(fd);
      expect(readFileSync(path, "utf8")).toBe("0123456789ab");

      const ro = await ring.openat(path, O_RDONLY);
      expect(fdFlags(ro) & 0o3).toBe(O_RDONLY);
      expect((await rejection(ring.write(ro, bytesOf("x"), 0))).code).toBe("EBADF");
      await ring.closeFd(ro);
      expect(readFileSync(path, "utf8")).toBe("0123456789ab");

      const e = await rejection(ring.openat(path, O_WRONLY | O_CREAT | O_EXCL, 0o600));
      expect(e.code).toBe("EEXIST");

      const tr = await ring.openat(path, O_RDWR | O_TRUNC);
      expect(fdFlags(tr) & 0o3).toBe(O_RDWR);
      await ring.closeFd(tr);
      expect(statSync(path).size).toBe(0);
    });

    it("opens relative to a directory fd it opened (O_DIRECTORY)", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "sub"));
      writeFileSync(join(dir, "sub", "existing"), "inside");
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        expect(fdTarget(dfd)).toBe(dir);
        expect(fdFlags(dfd) & (O_DIRECTORY | O_CLOEXEC)).toBe(O_DIRECTORY | O_CLOEXEC);
        expect(fdStat(dfd).isDirectory()).toBe(true);
        const fd = await ring.openat("rel.txt", O_WRONLY | O_CREAT | O_EXCL, 0o600, dfd);
        await ring.write(fd, bytesOf("relative"), 0);
        await ring.closeFd(fd);
        expect(readFileSync(join(dir, "rel.txt"), "utf8")).toBe("relative");
        expect(statSync(join(dir, "rel.txt")).mode & 0o777).toBe(masked(0o600));
        const back = await ring.openat("sub/existing", O_RDONLY, 0o644, dfd);
        expect(fdStat(back).ino).toBe(statSync(join(dir, "sub", "existing")).ino);
        await ring.closeFd(back);
        // An absolute path ignores the dirfd; AT_FDCWD is the process's cwd.
        const abs = await ring.openat(join(dir, "sub", "existing"), O_RDONLY, 0o644, dfd);
        await ring.closeFd(abs);
        const cwd = await ring.openat(join(dir, "sub", "existing"), O_RDONLY, 0o644, AT_FDCWD);
        await ring.closeFd(cwd);
        // A dirfd that is not a directory.
        const file = await ring.openat(join(dir, "rel.txt"), O_RDONLY);
        expect((await rejection(ring.openat("x", O_RDONLY, 0o644, file))).code).toBe("ENOTDIR");
        await ring.closeFd(file);
      } finally {
        await ring.closeFd(dfd);
      }
      expect((await rejection(ring.openat(join(dir, "rel.txt"), O_RDONLY | O_DIRECTORY))).code).toBe("ENOTDIR");
    });

    it("O_NOFOLLOW refuses a symlink with ELOOP", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "target"), "t");
      symlinkSync("target", join(dir, "link"));
      const e = await rejection(ring.openat(join(dir, "link"), O_RDONLY | O_NOFOLLOW));
      expect(e.code).toBe("ELOOP");
      const fd = await ring.openat(join(dir, "link"), O_RDONLY);
      expect(fdStat(fd).ino).toBe(statSync(join(dir, "target")).ino);
      await ring.closeFd(fd);
    });

    it("rejects ENOENT with the path in the message", async () => {
      const dir = fresh();
      const path = join(dir, "no-such-dir", "file");
      const e = await rejection(ring.openat(path, O_RDONLY));
      expect(e.code).toBe("ENOENT");
      expect(e.errno).toBe(2);
      expect(e.op).toBe("openat");
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/^openat: ENOENT/);
    });
  });

  describe("openat2", () => {
    it("creates with how.mode, O_CLOEXEC added", async () => {
      const dir = fresh();
      const path = join(dir, "how");
      const fd = await ring.openat2(path, { flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o600 });
      expect(fdTarget(fd)).toBe(path);
      expect(fdFlags(fd) & 0o3).toBe(O_RDWR);
      expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
      await ring.write(fd, bytesOf("openat2"), 0);
      await ring.closeFd(fd);
      expect(readFileSync(path, "utf8")).toBe("openat2");
      expect(statSync(path).mode & 0o7777).toBe(masked(0o600));
      // Without how.mode a created file gets 0o644.
      const fd2 = await ring.openat2(join(dir, "default"), { flags: O_WRONLY | O_CREAT });
      await ring.closeFd(fd2);
      expect(statSync(join(dir, "default")).mode & 0o7777).toBe(masked(0o644));
      // Without how at all: O_RDONLY of an existing file.
      const fd3 = await ring.openat2(path);
      expect(fdFlags(fd3) & 0o3).toBe(O_RDONLY);
      expect(fdStat(fd3).ino).toBe(statSync(path).ino);
      await ring.closeFd(fd3);
    });

    it("applies the mode only when creating", async () => {
      const dir = fresh();
      const path = join(dir, "existing");
      writeFileSync(path, "old");
      chmodSync(path, 0o644);
      const fd = await ring.openat2(path, { flags: O_RDWR | O_CREAT, mode: 0o600 });
      await ring.closeFd(fd);
      expect(statSync(path).mode & 0o7777).toBe(0o644);
      expect(readFileSync(path, "utf8")).toBe("old");
      // A mode without O_CREAT/O_TMPFILE is the kernel's EINVAL (openat2 is strict, unlike openat).
      const e = await rejection(ring.openat2(path, { flags: O_RDONLY, mode: 0o600 }));
      expect(e.code).toBe("EINVAL");
      expect(e.op).toBe("openat2");
    });

    it("O_TMPFILE counts as creating: an unnamed file with the default mode", async () => {
      const dir = fresh();
      const fd = await ring.openat2(dir, { flags: O_TMPFILE | O_RDWR });
      try {
        expect(readdirSync(dir)).toEqual([]);
        expect(fdTarget(fd)).toMatch(/\(deleted\)$/);
        // /proc/self/fd/N reaches the unnamed inode.
        const st = statSync(`/proc/self/fd/${fd}`);
        expect(st.isFile()).toBe(true);
        expect(st.mode & 0o7777).toBe(masked(0o644));
        expect(st.nlink).toBe(0);
      } finally {
        await ring.closeFd(fd);
      }
    });

    it("RESOLVE_BENEATH refuses ../ and absolute paths (EXDEV), allows paths below", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "jail"));
      mkdirSync(join(dir, "jail", "inner"));
      writeFileSync(join(dir, "outside"), "o");
      writeFileSync(join(dir, "jail", "inner", "ok"), "ok");
      const jail = await ring.openat(join(dir, "jail"), O_RDONLY | O_DIRECTORY);
      try {
        const e = await rejection(ring.openat2("../outside", { resolve: RESOLVE_BENEATH }, jail));
        expect(e.code).toBe("EXDEV");
        expect(e.message).toContain("../outside");
        expect((await rejection(ring.openat2(join(dir, "outside"), { resolve: RESOLVE_BENEATH }, jail))).code).toBe("EXDEV");
        // ".." that stays inside is fine.
        const fd = await ring.openat2("inner/../inner/ok", { resolve: RESOLVE_BENEATH }, jail);
        expect(fdStat(fd).ino).toBe(statSync(join(dir, "jail", "inner", "ok")).ino);
        await ring.closeFd(fd);
        // Without RESOLVE_BENEATH the same ../ resolves.
        const out = await ring.openat2("../outside", {}, jail);
        expect(fdStat(out).ino).toBe(statSync(join(dir, "outside")).ino);
        await ring.closeFd(out);
        // RESOLVE_IN_ROOT: "/" is the dirfd.
        const rooted = await ring.openat2("/inner/ok", { resolve: RESOLVE_IN_ROOT }, jail);
        expect(fdStat(rooted).ino).toBe(statSync(join(dir, "jail", "inner", "ok")).ino);
        await ring.closeFd(rooted);
      } finally {
        await ring.closeFd(jail);
      }
    });

    it("RESOLVE_NO_SYMLINKS refuses a symlink anywhere in the path (ELOOP)", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "real"));
      writeFileSync(join(dir, "real", "file"), "f");
      symlinkSync("real/file", join(dir, "filelink"));
      symlinkSync("real", join(dir, "dirlink"));
      expect((await rejection(ring.openat2(join(dir, "filelink"), { resolve: RESOLVE_NO_SYMLINKS }))).code).toBe("ELOOP");
      expect((await rejection(ring.openat2(join(dir, "dirlink", "file"), { resolve: RESOLVE_NO_SYMLINKS }))).code).toBe("ELOOP");
      const fd = await ring.openat2(join(dir, "real", "file"), { resolve: RESOLVE_NO_SYMLINKS });
      expect(fdStat(fd).ino).toBe(statSync(join(dir, "real", "file")).ino);
      await ring.closeFd(fd);
      const viaLink = await ring.openat2(join(dir, "filelink"));
      expect(fdStat(viaLink).ino).toBe(statSync(join(dir, "real", "file")).ino);
      await ring.closeFd(viaLink);
    });
  });

  describe("closeFd", () => {
    it("closes the fd: the kernel no longer has it open", async () => {
      const dir = fresh();
      const path = join(dir, "c");
      writeFileSync(path, "c");
      const ino = statSync(path).ino;
      const fd = await ring.openat(path, O_RDONLY);
      expect(fdStat(fd).ino).toBe(ino);
      await expect(ring.closeFd(fd)).resolves.toBeUndefined();
      // The number is gone from /proc/self/fd, or (another thread of this
      // process reused it meanwhile) it names some other file.
      const code = fsErrorCode(() => fdStat(fd));
      if (code === undefined) expect(fdStat(fd).ino).not.toBe(ino);
      else expect(code).toBe("ENOENT");
      // fstat(2) itself says EBADF. Only under Bun: Deno's node:fs refuses
      // every fd it did not open, so its EBADF would prove nothing.
      if (runtime === "bun") {
        const fstatCode = fsErrorCode(() => fstatSync(fd));
        if (fstatCode === undefined) expect(fstatSync(fd).ino).not.toBe(ino);
        else expect(fstatCode).toBe("EBADF");
      }
    });

    it("rejects EBADF for an fd that is not open", async () => {
      // Far above RLIMIT_NOFILE: never open, so no other test's fd is touched.
      const e = await rejection(ring.closeFd(0x7fff_fff0));
      expect(e.code).toBe("EBADF");
      expect(e.op).toBe("closeFd");
    });
  });

  describe("statx", () => {
    it("agrees with fs.statSync on a regular file", async () => {
      const dir = fresh();
      const path = join(dir, "s");
      writeFileSync(path, new Uint8Array(12345).fill(7));
      chmodSync(path, 0o640);
      const st = await ring.statx(path);
      const ref = statSync(path);
      expect(st.mask & STATX_BASIC_STATS).toBe(STATX_BASIC_STATS);
      expect(st.isFile()).toBe(true);
      expect(st.isDirectory()).toBe(false);
      expect(st.isSymbolicLink()).toBe(false);
      expect(st.size).toBe(12345);
      expect(st.size).toBe(ref.size);
      expect(st.mode).toBe(ref.mode);
      expect(st.mode & 0o7777).toBe(0o640);
      expect(st.ino).toBe(ref.ino);
      expect(st.nlink).toBe(ref.nlink);
      expect(st.uid).toBe(ref.uid);
      expect(st.gid).toBe(ref.gid);
      expect(st.dev).toBe(ref.dev);
      expect(st.rdev).toBe(ref.rdev);
      expect(st.blocks).toBe(ref.blocks);
      expect(st.blksize).toBe(ref.blksize);
      expect(Math.abs(st.mtimeMs - ref.mtimeMs)).toBeLessThan(1);
      // Deno's node:fs (2.9.6) truncates ctime to whole seconds; Bun's is exact.
      expect(Math.abs(st.ctimeMs - ref.ctimeMs)).toBeLessThan(runtime === "deno" ? 1000 : 1);
      expect(Math.abs(st.atimeMs - ref.atimeMs)).toBeLessThan(1);
      expect(Math.abs(Number(st.mtimeNs) / 1e6 - st.mtimeMs)).toBeLessThan(0.001);
    });

    it("agrees with fs.statSync on a directory and a character device", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "a"));
      mkdirSync(join(dir, "b"));
      const st = await ring.statx(dir);
      const ref = statSync(dir);
      expect(st.isDirectory()).toBe(true);
      expect(st.isFile()).toBe(false);
      expect(st.nlink).toBe(ref.nlink);
      expect(st.nlink).toBe(4);
      expect(st.ino).toBe(ref.ino);
      expect(st.mode).toBe(ref.mode);
      const nul = await ring.statx("/dev/null");
      expect(nul.isCharacterDevice()).toBe(true);
      expect(nul.rdev).toBe(statSync("/dev/null").rdev);
      expect(nul.rdev).not.toBe(0);
    });

    it("AT_SYMLINK_NOFOLLOW describes the symlink itself; without it the target", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "target"), "twelve bytes");
      symlinkSync("target", join(dir, "link"));
      const link = await ring.statx(join(dir, "link"), { flags: AT_SYMLINK_NOFOLLOW });
      const lref = lstatSync(join(dir, "link"));
      expect(link.isSymbolicLink()).toBe(true);
      expect(link.isFile()).toBe(false);
      expect(link.ino).toBe(lref.ino);
      expect(link.size).toBe("target".length);
      expect(link.mode).toBe(lref.mode);
      const followed = await ring.statx(join(dir, "link"));
      expect(followed.isSymbolicLink()).toBe(false);
      expect(followed.isFile()).toBe(true);
      expect(followed.ino).toBe(statSync(join(dir, "target")).ino);
      expect(followed.size).toBe(12);
      // A dangling link: lstat works, stat is ENOENT.
      symlinkSync("nowhere", join(dir, "dangling"));
      expect((await ring.statx(join(dir, "dangling"), { flags: AT_SYMLINK_NOFOLLOW })).isSymbolicLink()).toBe(true);
      expect((await rejection(ring.statx(join(dir, "dangling")))).code).toBe("ENOENT");
    });

    it("options.dirfd: relative to a directory fd, and AT_EMPTY_PATH on the fd itself", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "rel"), "relative");
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        const st = await ring.statx("rel", { dirfd: dfd });
        expect(st.ino).toBe(statSync(join(dir, "rel")).ino);
        expect(st.size).toBe(8);
        const self = await ring.statx("", { dirfd: dfd, flags: AT_EMPTY_PATH });
        expect(self.isDirectory()).toBe(true);
        expect(self.ino).toBe(statSync(dir).ino);
        expect((await rejection(ring.statx("", { dirfd: dfd }))).code).toBe("ENOENT");
        const e = await rejection(ring.statx("missing-rel", { dirfd: dfd }));
        expect(e.code).toBe("ENOENT");
        expect(e.message).toContain("missing-rel");
        // AT_FDCWD explicitly.
        expect((await ring.statx(join(dir, "rel"), { dirfd: AT_FDCWD })).size).toBe(8);
      } finally {
        await ring.closeFd(dfd);
      }
    });

    it("options.mask asks for fields; the kernel reports which it filled", async () => {
      const dir = fresh();
      const path = join(dir, "m");
      writeFileSync(path, "masked");
      const small = await ring.statx(path, { mask: STATX_SIZE | STATX_TYPE });
      expect(small.mask & (STATX_SIZE | STATX_TYPE)).toBe(STATX_SIZE | STATX_TYPE);
      expect(small.size).toBe(6);
      expect(small.isFile()).toBe(true);
      // Birth time (ext4, btrfs, xfs, tmpfs fill it): not after the last change.
      const withBirth = await ring.statx(path, { mask: STATX_BASIC_STATS | STATX_BTIME });
      if ((withBirth.mask & STATX_BTIME) !== 0) {
        expect(withBirth.btimeMs).toBeGreaterThan(0);
        expect(withBirth.btimeMs).toBeLessThanOrEqual(withBirth.ctimeMs + 1);
      }
      // The mount id equals what /proc/self/fdinfo reports for an fd on the file.
      const mnt = await ring.statx(path, { mask: STATX_MNT_ID });
      expect(mnt.mask & STATX_MNT_ID).toBe(STATX_MNT_ID);
      const fd = openSync(path, "r");
      try {
        expect(mnt.mntId).toBe(fdMountId(fd));
      } finally {
        closeSync(fd);
      }
      // Sync flags: each alone is fine, both together the kernel refuses.
      expect((await ring.statx(path, { flags: AT_STATX_DONT_SYNC })).size).toBe(6);
      expect((await ring.statx(path, { flags: AT_STATX_FORCE_SYNC })).size).toBe(6);
      expect((await rejection(ring.statx(path, { flags: AT_STATX_DONT_SYNC | AT_STATX_FORCE_SYNC }))).code).toBe("EINVAL");
      // STATX__RESERVED passes the u32 check and is the kernel's EINVAL.
      expect((await rejection(ring.statx(path, { mask: 0x8000_0000 }))).code).toBe("EINVAL");
    });
  });

  describe("renameat", () => {
    it("moves a file", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "from"), "moving");
      const ino = statSync(join(dir, "from")).ino;
      await expect(ring.renameat(join(dir, "from"), join(dir, "to"))).resolves.toBeUndefined();
      expect(existsSync(join(dir, "from"))).toBe(false);
      expect(readFileSync(join(dir, "to"), "utf8")).toBe("moving");
      expect(statSync(join(dir, "to")).ino).toBe(ino);
      // Over an existing file: replaced.
      writeFileSync(join(dir, "other"), "other");
      await ring.renameat(join(dir, "other"), join(dir, "to"));
      expect(readFileSync(join(dir, "to"), "utf8")).toBe("other");
      expect(readdirSync(dir)).toEqual(["to"]);
    });

    it("RENAME_NOREPLACE refuses an existing target (EEXIST) and leaves both", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "a"), "A");
      writeFileSync(join(dir, "b"), "B");
      const e = await rejection(ring.renameat(join(dir, "a"), join(dir, "b"), { flags: RENAME_NOREPLACE }));
      expect(e.code).toBe("EEXIST");
      expect(e.op).toBe("renameat");
      expect(e.message).toContain(`${join(dir, "a")} -> ${join(dir, "b")}`);
      expect(readFileSync(join(dir, "a"), "utf8")).toBe("A");
      expect(readFileSync(join(dir, "b"), "utf8")).toBe("B");
      await ring.renameat(join(dir, "a"), join(dir, "c"), { flags: RENAME_NOREPLACE });
      expect(readFileSync(join(dir, "c"), "utf8")).toBe("A");
      expect(existsSync(join(dir, "a"))).toBe(false);
    });

    it("RENAME_EXCHANGE swaps two files atomically", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "a"), "first");
      mkdirSync(join(dir, "b"));
      writeFileSync(join(dir, "b", "inside"), "x");
      await ring.renameat(join(dir, "a"), join(dir, "b"), { flags: RENAME_EXCHANGE });
      // A file and a directory exchanged.
      expect(statSync(join(dir, "a")).isDirectory()).toBe(true);
      expect(readdirSync(join(dir, "a"))).toEqual(["inside"]);
      expect(readFileSync(join(dir, "b"), "utf8")).toBe("first");
      writeFileSync(join(dir, "c"), "third");
      await ring.renameat(join(dir, "b"), join(dir, "c"), { flags: RENAME_EXCHANGE });
      expect(readFileSync(join(dir, "b"), "utf8")).toBe("third");
      expect(readFileSync(join(dir, "c"), "utf8")).toBe("first");
      // Nothing to exchange with.
      expect((await rejection(ring.renameat(join(dir, "c"), join(dir, "missing"), { flags: RENAME_EXCHANGE }))).code).toBe("ENOENT");
      // Both flags at once is the kernel's EINVAL.
      expect((await rejection(ring.renameat(join(dir, "b"), join(dir, "c"), { flags: RENAME_EXCHANGE | RENAME_NOREPLACE }))).code)
        .toBe("EINVAL");
    });

    it("oldDirfd and newDirfd resolve each path relative to its own directory", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "src"));
      mkdirSync(join(dir, "dst"));
      writeFileSync(join(dir, "src", "f"), "between dirs");
      const src = await ring.openat(join(dir, "src"), O_RDONLY | O_DIRECTORY);
      const dst = await ring.openat(join(dir, "dst"), O_RDONLY | O_DIRECTORY);
      try {
        await ring.renameat("f", "g", { oldDirfd: src, newDirfd: dst });
        expect(readdirSync(join(dir, "src"))).toEqual([]);
        expect(readFileSync(join(dir, "dst", "g"), "utf8")).toBe("between dirs");
        // Only the old side relative: the new path is absolute.
        writeFileSync(join(dir, "src", "h"), "h");
        await ring.renameat("h", join(dir, "h2"), { oldDirfd: src });
        expect(readFileSync(join(dir, "h2"), "utf8")).toBe("h");
        // Only the new side relative.
        await ring.renameat(join(dir, "h2"), "h3", { newDirfd: dst });
        expect(readdirSync(join(dir, "dst")).sort()).toEqual(["g", "h3"]);
      } finally {
        await ring.closeFd(src);
        await ring.closeFd(dst);
      }
    });

    it("errors are the kernel's: ENOENT, ENOTEMPTY, EISDIR", async () => {
      const dir = fresh();
      expect((await rejection(ring.renameat(join(dir, "missing"), join(dir, "x")))).code).toBe("ENOENT");
      mkdirSync(join(dir, "d1"));
      mkdirSync(join(dir, "d2"));
      writeFileSync(join(dir, "d2", "f"), "f");
      expect((await rejection(ring.renameat(join(dir, "d1"), join(dir, "d2")))).code).toBe("ENOTEMPTY");
      writeFileSync(join(dir, "file"), "f");
      expect((await rejection(ring.renameat(join(dir, "file"), join(dir, "d1")))).code).toBe("EISDIR");
    });
  });

  describe("unlinkat", () => {
    it("removes a file, and a symlink but not its target", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "f"), "f");
      await expect(ring.unlinkat(join(dir, "f"))).resolves.toBeUndefined();
      expect(fsErrorCode(() => lstatSync(join(dir, "f")))).toBe("ENOENT");
      writeFileSync(join(dir, "target"), "t");
      symlinkSync("target", join(dir, "link"));
      await ring.unlinkat(join(dir, "link"));
      expect(fsErrorCode(() => lstatSync(join(dir, "link")))).toBe("ENOENT");
      expect(readFileSync(join(dir, "target"), "utf8")).toBe("t");
      const e = await rejection(ring.unlinkat(join(dir, "f")));
      expect(e.code).toBe("ENOENT");
      expect(e.op).toBe("unlinkat");
      expect(e.message).toContain(join(dir, "f"));
    });

    it("removeDir removes an empty directory; the kernel's ENOTDIR, EISDIR, ENOTEMPTY otherwise", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "empty"));
      await ring.unlinkat(join(dir, "empty"), { removeDir: true });
      expect(existsSync(join(dir, "empty"))).toBe(false);
      writeFileSync(join(dir, "file"), "f");
      expect((await rejection(ring.unlinkat(join(dir, "file"), { removeDir: true }))).code).toBe("ENOTDIR");
      mkdirSync(join(dir, "d"));
      expect((await rejection(ring.unlinkat(join(dir, "d")))).code).toBe("EISDIR");
      expect((await rejection(ring.unlinkat(join(dir, "d"), { removeDir: false }))).code).toBe("EISDIR");
      writeFileSync(join(dir, "d", "inner"), "i");
      expect((await rejection(ring.unlinkat(join(dir, "d"), { removeDir: true }))).code).toBe("ENOTEMPTY");
      expect(statSync(join(dir, "d")).isDirectory()).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(["d", "file"]);
    });

    it("options.dirfd", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "f"), "f");
      mkdirSync(join(dir, "sub"));
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        await ring.unlinkat("f", { dirfd: dfd });
        await ring.unlinkat("sub", { dirfd: dfd, removeDir: true });
        expect(readdirSync(dir)).toEqual([]);
        expect((await rejection(ring.unlinkat("f", { dirfd: dfd }))).code).toBe("ENOENT");
      } finally {
        await ring.closeFd(dfd);
      }
    });
  });

  describe("mkdirat", () => {
    it("creates a directory with the mode asked for (under the umask), 0o777 by default", async () => {
      const dir = fresh();
      await expect(ring.mkdirat(join(dir, "m"), 0o750)).resolves.toBeUndefined();
      const st = statSync(join(dir, "m"));
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o7777).toBe(masked(0o750));
      expect(readdirSync(join(dir, "m"))).toEqual([]);
      await ring.mkdirat(join(dir, "default"));
      expect(statSync(join(dir, "default")).mode & 0o7777).toBe(masked(0o777));
      // The sticky bit gets through.
      await ring.mkdirat(join(dir, "sticky"), 0o1777);
      expect(statSync(join(dir, "sticky")).mode & 0o7777).toBe(masked(0o1777));
    });

    it("options: relative to a dirfd; EEXIST and ENOENT from the kernel", async () => {
      const dir = fresh();
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        await ring.mkdirat("rel", 0o700, dfd);
        expect(statSync(join(dir, "rel")).isDirectory()).toBe(true);
        expect(statSync(join(dir, "rel")).mode & 0o777).toBe(masked(0o700));
        const e = await rejection(ring.mkdirat("rel", 0o700, dfd));
        expect(e.code).toBe("EEXIST");
        expect(e.op).toBe("mkdirat");
        expect(e.message).toContain("rel");
      } finally {
        await ring.closeFd(dfd);
      }
      expect((await rejection(ring.mkdirat(join(dir, "no", "parent")))).code).toBe("ENOENT");
    });
  });

  describe("symlinkat", () => {
    it("creates a link whose target reads back; a dangling target is allowed", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "target"), "pointed at");
      await expect(ring.symlinkat("target", join(dir, "link"))).resolves.toBeUndefined();
      expect(lstatSync(join(dir, "link")).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(dir, "link"))).toBe("target");
      expect(readFileSync(join(dir, "link"), "utf8")).toBe("pointed at");
      await ring.symlinkat("/does/not/exist ☃", join(dir, "dangling"));
      expect(readlinkSync(join(dir, "dangling"))).toBe("/does/not/exist ☃");
      expect(existsSync(join(dir, "dangling"))).toBe(false); // follows: nothing there
      expect(lstatSync(join(dir, "dangling")).isSymbolicLink()).toBe(true);
      const e = await rejection(ring.symlinkat("x", join(dir, "link")));
      expect(e.code).toBe("EEXIST");
      expect(e.op).toBe("symlinkat");
      expect(e.message).toContain(join(dir, "link"));
    });

    it("newDirfd: the link path is relative to it, the target stored verbatim", async () => {
      const dir = fresh();
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        await ring.symlinkat("../elsewhere", "rel-link", dfd);
        expect(readlinkSync(join(dir, "rel-link"))).toBe("../elsewhere");
      } finally {
        await ring.closeFd(dfd);
      }
    });
  });

  describe("linkat", () => {
    it("makes a hard link: same inode, nlink 2, shared data", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "orig"), "shared");
      await expect(ring.linkat(join(dir, "orig"), join(dir, "hard"))).resolves.toBeUndefined();
      const a = statSync(join(dir, "orig"));
      const b = statSync(join(dir, "hard"));
      expect(b.ino).toBe(a.ino);
      expect(a.nlink).toBe(2);
      writeFileSync(join(dir, "hard"), "changed through the link");
      expect(readFileSync(join(dir, "orig"), "utf8")).toBe("changed through the link");
      const e = await rejection(ring.linkat(join(dir, "orig"), join(dir, "hard")));
      expect(e.code).toBe("EEXIST");
      expect(e.message).toContain(`${join(dir, "orig")} -> ${join(dir, "hard")}`);
      expect((await rejection(ring.linkat(join(dir, "missing"), join(dir, "x")))).code).toBe("ENOENT");
      mkdirSync(join(dir, "d"));
      expect((await rejection(ring.linkat(join(dir, "d"), join(dir, "d2")))).code).toBe("EPERM");
    });

    it("AT_SYMLINK_FOLLOW links the symlink's target; without it, the symlink itself", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "target"), "t");
      symlinkSync("target", join(dir, "sym"));
      await ring.linkat(join(dir, "sym"), join(dir, "followed"), { flags: AT_SYMLINK_FOLLOW });
      const followed = lstatSync(join(dir, "followed"));
      expect(followed.isSymbolicLink()).toBe(false);
      expect(followed.ino).toBe(statSync(join(dir, "target")).ino);
      expect(statSync(join(dir, "target")).nlink).toBe(2);
      await ring.linkat(join(dir, "sym"), join(dir, "unfollowed"));
      const unfollowed = lstatSync(join(dir, "unfollowed"));
      expect(unfollowed.isSymbolicLink()).toBe(true);
      expect(unfollowed.ino).toBe(lstatSync(join(dir, "sym")).ino);
      expect(lstatSync(join(dir, "sym")).nlink).toBe(2);
    });

    it("oldDirfd/newDirfd, and naming an O_TMPFILE through /proc/self/fd", async () => {
      const dir = fresh();
      mkdirSync(join(dir, "a"));
      mkdirSync(join(dir, "b"));
      writeFileSync(join(dir, "a", "f"), "f");
      const a = await ring.openat(join(dir, "a"), O_RDONLY | O_DIRECTORY);
      const b = await ring.openat(join(dir, "b"), O_RDONLY | O_DIRECTORY);
      try {
        await ring.linkat("f", "g", { oldDirfd: a, newDirfd: b });
        expect(statSync(join(dir, "b", "g")).ino).toBe(statSync(join(dir, "a", "f")).ino);
      } finally {
        await ring.closeFd(a);
        await ring.closeFd(b);
      }
      const tmpFd = await ring.openat(dir, O_TMPFILE | O_RDWR, 0o600);
      try {
        await ring.write(tmpFd, bytesOf("was anonymous"), 0);
        await ring.linkat(`/proc/self/fd/${tmpFd}`, join(dir, "named"), { flags: AT_SYMLINK_FOLLOW });
        expect(readFileSync(join(dir, "named"), "utf8")).toBe("was anonymous");
        expect(statSync(join(dir, "named")).ino).toBe(fdStat(tmpFd).ino);
        expect(statSync(join(dir, "named")).mode & 0o777).toBe(masked(0o600));
      } finally {
        await ring.closeFd(tmpFd);
      }
    });
  });

  describe("extended attributes", () => {
    let dir: string;
    let file: string;
    /** Why xattrs cannot be tested here, or undefined. */
    let unsupported: string | undefined;

    beforeAll(async () => {
      dir = fresh();
      file = join(dir, "x");
      writeFileSync(file, "has attributes");
      try {
        await ring.setxattr(file, "user.probe", "1");
      } catch (e) {
        const code = (e as UringError).code;
        if (code !== "EOPNOTSUPP" && code !== "ENOTSUP") throw e;
        unsupported = `${dir} does not support user.* extended attributes (${(e as Error).message})`;
      }
    });

    const skipIfUnsupported = (ctx: TestContext) => {
      if (unsupported === undefined) return;
      console.warn(`skipped: ${unsupported}`);
      skip(ctx, unsupported);
    };

    it("setxattr then getxattr: string and binary values, seen by an independent reader", async (ctx) => {
      skipIfUnsupported(ctx);
      await expect(ring.setxattr(file, "user.text", "héllo ☃")).resolves.toBeUndefined();
      const text = await ring.getxattr(file, "user.text");
      expect(text).toBeInstanceOf(Uint8Array);
      expect(decode(text)).toBe("héllo ☃");
      expect(text.byteLength).toBe(bytesOf("héllo ☃").byteLength);
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i); // includes NUL bytes
      await ring.setxattr(file, "user.bin", binary);
      expect(await ring.getxattr(file, "user.bin")).toEqual(binary);
      // Every buffer shape: only the view's bytes are stored.
      const big = Uint8Array.from({ length: 64 }, (_, i) => 100 + i);
      await ring.setxattr(file, "user.view", big.subarray(10, 20));
      expect(await ring.getxattr(file, "user.view")).toEqual(big.slice(10, 20));
      await ring.setxattr(file, "user.ab", big.buffer.slice(0, 4));
      expect(await ring.getxattr(file, "user.ab")).toEqual(big.slice(0, 4));
      await ring.setxattr(file, "user.dv", new DataView(big.buffer, 30, 3));
      expect(await ring.getxattr(file, "user.dv")).toEqual(big.slice(30, 33));
      await ring.setxattr(file, "user.u32", new Uint32Array([0x04030201]));
      expect(await ring.getxattr(file, "user.u32")).toEqual(new Uint8Array([1, 2, 3, 4]));
      // A larger value (ext4 keeps up to about a block).
      const kb3 = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
      await ring.setxattr(file, "user.3k", kb3);
      expect(await ring.getxattr(file, "user.3k")).toEqual(kb3);
      if (hasPython) {
        expect(pyGetxattr(file, "user.text")).toEqual(bytesOf("héllo ☃"));
        expect(pyGetxattr(file, "user.bin")).toEqual(binary);
        expect(pyGetxattr(file, "user.3k")).toEqual(kb3);
        // And the other direction: the ring reads what python wrote.
        pySetxattr(file, "user.frompy", new Uint8Array([0, 255, 1, 254]));
        expect(await ring.getxattr(file, "user.frompy")).toEqual(new Uint8Array([0, 255, 1, 254]));
      }
    });

    it("an empty value is stored and read back as zero bytes", async (ctx) => {
      skipIfUnsupported(ctx);
      await ring.setxattr(file, "user.empty", "");
      expect(await ring.getxattr(file, "user.empty")).toEqual(new Uint8Array(0));
      await ring.setxattr(file, "user.empty2", new Uint8Array(0));
      expect((await ring.getxattr(file, "user.empty2")).byteLength).toBe(0);
      if (hasPython) expect(pyGetxattr(file, "user.empty").byteLength).toBe(0);
      const fd = await ring.openat(file, O_RDONLY);
      try {
        await ring.fsetxattr(fd, "user.empty3", new ArrayBuffer(0));
        expect((await ring.fgetxattr(fd, "user.empty3")).byteLength).toBe(0);
      } finally {
        await ring.closeFd(fd);
      }
    });

    it("XATTR_CREATE on an existing name is EEXIST; XATTR_REPLACE on a missing one ENODATA", async (ctx) => {
      skipIfUnsupported(ctx);
      await ring.setxattr(file, "user.flags", "v1", XATTR_CREATE);
      const e = await rejection(ring.setxattr(file, "user.flags", "v2", XATTR_CREATE));
      expect(e.code).toBe("EEXIST");
      expect(e.op).toBe("setxattr");
      expect(e.message).toContain(file);
      expect(decode(await ring.getxattr(file, "user.flags"))).toBe("v1");
      await ring.setxattr(file, "user.flags", "v3", XATTR_REPLACE);
      expect(decode(await ring.getxattr(file, "user.flags"))).toBe("v3");
      const e2 = await rejection(ring.setxattr(file, "user.never-set", "v", XATTR_REPLACE));
      expect(e2.code).toBe("ENODATA");
      // Flags 0 creates or replaces.
      await ring.setxattr(file, "user.flags", "v4");
      expect(decode(await ring.getxattr(file, "user.flags"))).toBe("v4");
      const fd = await ring.openat(file, O_RDONLY);
      try {
        expect((await rejection(ring.fsetxattr(fd, "user.flags", "v5", XATTR_CREATE))).code).toBe("EEXIST");
        expect((await rejection(ring.fsetxattr(fd, "user.never-set", "v", XATTR_REPLACE))).code).toBe("ENODATA");
        await ring.fsetxattr(fd, "user.flags", "v6", XATTR_REPLACE);
      } finally {
        await ring.closeFd(fd);
      }
      expect(decode(await ring.getxattr(file, "user.flags"))).toBe("v6");
    });

    it("getxattr: ENODATA for a missing name, ERANGE when options.size is too small", async (ctx) => {
      skipIfUnsupported(ctx);
      const e = await rejection(ring.getxattr(file, "user.missing"));
      expect(e.code).toBe("ENODATA");
      expect(e.op).toBe("getxattr");
      await ring.setxattr(file, "user.sized", "0123456789");
      const small = await rejection(ring.getxattr(file, "user.sized", { size: 9 }));
      expect(small.code).toBe("ERANGE");
      expect(decode(await ring.getxattr(file, "user.sized", { size: 10 }))).toBe("0123456789");
      const roomy = await ring.getxattr(file, "user.sized", { size: 1000 });
      expect(roomy.byteLength).toBe(10); // a copy of what the kernel wrote, not the whole buffer
      expect(roomy.buffer.byteLength).toBe(10);
      expect(decode(await ring.getxattr(file, "user.sized", { size: XATTR_SIZE_MAX }))).toBe("0123456789");
      const fd = await ring.openat(file, O_RDONLY);
      try {
        expect((await rejection(ring.fgetxattr(fd, "user.sized", { size: 3 }))).code).toBe("ERANGE");
        expect(decode(await ring.fgetxattr(fd, "user.sized", { size: 10 }))).toBe("0123456789");
        expect((await rejection(ring.fgetxattr(fd, "user.missing"))).code).toBe("ENODATA");
      } finally {
        await ring.closeFd(fd);
      }
      const gone = await rejection(ring.getxattr(join(dir, "no-file"), "user.x"));
      expect(gone.code).toBe("ENOENT");
      expect(gone.message).toContain(join(dir, "no-file"));
    });

    it("fsetxattr/fgetxattr on an fd agree with the path calls", async (ctx) => {
      skipIfUnsupported(ctx);
      const fd = await ring.openat(file, O_RDONLY);
      try {
        await ring.fsetxattr(fd, "user.byfd", "set through the fd");
        expect(decode(await ring.getxattr(file, "user.byfd"))).toBe("set through the fd");
        await ring.setxattr(file, "user.bypath", new Uint8Array([9, 0, 9]));
        expect(await ring.fgetxattr(fd, "user.bypath")).toEqual(new Uint8Array([9, 0, 9]));
        if (hasPython) expect(decode(pyGetxattr(file, "user.byfd"))).toBe("set through the fd");
      } finally {
        await ring.closeFd(fd);
      }
      const e = await rejection(ring.fgetxattr(0x7fff_fff0, "user.byfd"));
      expect(e.code).toBe("EBADF");
      expect(e.op).toBe("fgetxattr");
    });

    it("names are counted in UTF-8 bytes (255 allowed); an unknown namespace is the kernel's EOPNOTSUPP", async (ctx) => {
      skipIfUnsupported(ctx);
      const longest = "user." + "é".repeat(125); // 5 + 250 bytes
      expect(bytesOf(longest).byteLength).toBe(255);
      await ring.setxattr(file, longest, "long");
      expect(decode(await ring.getxattr(file, longest))).toBe("long");
      if (hasPython) expect(decode(pyGetxattr(file, longest))).toBe("long");
      expect((await rejection(ring.setxattr(file, "nonamespace", "x"))).code).toBe("EOPNOTSUPP");
    });

    it("a value of exactly XATTR_SIZE_MAX passes the checks and reaches the kernel", async (ctx) => {
      skipIfUnsupported(ctx);
      const max = new Uint8Array(XATTR_SIZE_MAX).fill(1);
      // ext4 without ea_inode has no room (ENOSPC); others may say E2BIG or store it.
      const outcome = await ring.setxattr(file, "user.max", max).then(() => "stored", (e: UringError) => e.code);
      expect(["stored", "ENOSPC", "E2BIG"]).toContain(outcome);
      if (outcome === "stored") expect((await ring.getxattr(file, "user.max")).byteLength).toBe(XATTR_SIZE_MAX);
    });
  });
});

describe("path operations: bad input is refused before anything is queued", () => {
  const ring = RingClass.open({ entries: 8 });
  afterAll(() => ring.close());
  const name256 = "user." + "a".repeat(251);
  const nameMultibyte = "user." + "é".repeat(126); // 257 bytes, 131 characters

  it.each([
    // openat
    ["openat: number as path", () => ring.openat(42 as unknown as string), TypeError, /openat\(\): path must be a string, got 42/],
    ["openat: NUL in path", () => ring.openat("/tmp/a\0b"), TypeError, /openat\(\): path must not contain NUL/],
    ["openat: string flags", () => ring.openat("/tmp/x", "r" as unknown as number), TypeError, /openat\(\): flags must be a number, got "r"/],
    ["openat: flags beyond 32 bits", () => ring.openat("/tmp/x", 2 ** 32), RangeError, /openat\(\): flags must be in/],
    ["openat: mode beyond 0o7777", () => ring.openat("/tmp/x", O_CREAT, 0o10000), RangeError, /openat\(\): mode must be in \[0, 4095\], got 4096/],
    ["openat: fractional mode", () => ring.openat("/tmp/x", O_CREAT, 0.5), RangeError, /openat\(\): mode must be an integer/],
    ["openat: dirfd -1", () => ring.openat("x", 0, 0o644, -1), RangeError, /openat\(\): dirfd must be in \[0, 2147483647\], got -1/],
    ["openat: dirfd -101", () => ring.openat("x", 0, 0o644, -101), RangeError, /openat\(\): dirfd must be in .*got -101/],
    ["openat: string dirfd", () => ring.openat("x", 0, 0o644, "3" as unknown as number), TypeError, /openat\(\): dirfd must be a number, got "3"/],
    // openat2
    ["openat2: number as path", () => ring.openat2(7 as unknown as string), TypeError, /openat2\(\): path must be a string/],
    ["openat2: NUL in path", () => ring.openat2("a\0"), TypeError, /openat2\(\): path must not contain NUL/],
    ["openat2: how not an object", () => ring.openat2("/tmp/x", 7 as never), TypeError, /openat2\(\): how must be an object, got 7/],
    ["openat2: how null", () => ring.openat2("/tmp/x", null as never), TypeError, /openat2\(\): how must be an object, got null/],
    ["openat2: unknown how.resolve bit", () => ring.openat2("/tmp/x", { resolve: 0x40 }),
      RangeError, /openat2\(\): how.resolve has unknown bits 0x40/],
    ["openat2: negative how.resolve", () => ring.openat2("/tmp/x", { resolve: -1 }), RangeError, /openat2\(\): how.resolve must be in/],
    ["openat2: how.mode beyond 0o7777", () => ring.openat2("/tmp/x", { flags: O_CREAT, mode: 0o10000 }),
      RangeError, /openat2\(\): how.mode must be in/],
    ["openat2: string how.flags", () => ring.openat2("/tmp/x", { flags: "w" as unknown as number }),
      TypeError, /openat2\(\): how.flags must be a number/],
    ["openat2: dirfd -2", () => ring.openat2("x", {}, -2), RangeError, /openat2\(\): dirfd must be in/],
    // closeFd
    ["closeFd: string fd", () => ring.closeFd("3" as unknown as number), TypeError, /closeFd\(\): fd must be a number, got "3"/],
    ["closeFd: fd -1", () => ring.closeFd(-1), RangeError, /closeFd\(\): fd must be in \[0, 2147483647\], got -1/],
    ["closeFd: AT_FDCWD is no fd", () => ring.closeFd(AT_FDCWD), RangeError, /closeFd\(\): fd must be in/],
    ["closeFd: fractional fd", () => ring.closeFd(2.5), RangeError, /closeFd\(\): fd must be an integer/],
    // statx
    ["statx: boolean as path", () => ring.statx(true as unknown as string), TypeError, /statx\(\): path must be a string or an fd \(number\), got true/],
    ["statx: negative fd", () => ring.statx(-1), RangeError, /statx\(\): path \(an fd\) must be in \[0, 2147483647\], got -1/],
    ["statx: AT_FDCWD is no fd", () => ring.statx(AT_FDCWD), RangeError, /statx\(\): path \(an fd\) must be in/],
    ["statx: fractional fd", () => ring.statx(2.5), RangeError, /statx\(\): path \(an fd\) must be an integer/],
    ["statx: bigint fd", () => ring.statx(3n as unknown as number), TypeError, /statx\(\): path must be a string or an fd \(number\), got 3n/],
    ["statx: options.dirfd with an fd", () => ring.statx(0, { dirfd: AT_FDCWD }), TypeError, /statx\(\): options.dirfd is for a path, and path is an fd/],
    ["statx: NUL in path", () => ring.statx("/tmp\0"), TypeError, /statx\(\): path must not contain NUL/],
    ["statx: options not an object", () => ring.statx("/tmp", "x" as never), TypeError, /statx\(\): options must be an object/],
    ["statx: unknown options.flags bit", () => ring.statx("/tmp", { flags: 0x1 }), RangeError, /statx\(\): options.flags has unknown bits 0x1/],
    ["statx: AT_REMOVEDIR is no statx flag", () => ring.statx("/tmp", { flags: AT_REMOVEDIR }),
      RangeError, /statx\(\): options.flags has unknown bits 0x200/],
    ["statx: negative options.mask", () => ring.statx("/tmp", { mask: -1 }), RangeError, /statx\(\): options.mask must be in \[0, 4294967295\]/],
    ["statx: options.mask beyond 32 bits", () => ring.statx("/tmp", { mask: 2 ** 32 }), RangeError, /statx\(\): options.mask must be in/],
    ["statx: options.dirfd -1", () => ring.statx("x", { dirfd: -1 }), RangeError, /statx\(\): options.dirfd must be in/],
    ["statx: string options.dirfd", () => ring.statx("x", { dirfd: "3" as unknown as number }),
      TypeError, /statx\(\): options.dirfd must be a number/],
    // renameat
    ["renameat: number as oldPath", () => ring.renameat(1 as unknown as string, "/tmp/b"), TypeError, /renameat\(\): oldPath must be a string/],
    ["renameat: number as newPath", () => ring.renameat("/tmp/a", 1 as unknown as string), TypeError, /renameat\(\): newPath must be a string/],
    ["renameat: NUL in oldPath", () => ring.renameat("/tmp/a\0", "/tmp/b"), TypeError, /renameat\(\): oldPath must not contain NUL/],
    ["renameat: NUL in newPath", () => ring.renameat("/tmp/a", "/tmp/\0b"), TypeError, /renameat\(\): newPath must not contain NUL/],
    ["renameat: unknown flags bit", () => ring.renameat("/tmp/a", "/tmp/b", { flags: 8 }),
      RangeError, /renameat\(\): options.flags has unknown bits 0x8/],
    ["renameat: high flags bit", () => ring.renameat("/tmp/a", "/tmp/b", { flags: 0x8000_0001 }),
      RangeError, /renameat\(\): options.flags has unknown bits 0x80000000/],
    ["renameat: options.oldDirfd -1", () => ring.renameat("a", "b", { oldDirfd: -1 }), RangeError, /renameat\(\): options.oldDirfd must be in/],
    ["renameat: string options.newDirfd", () => ring.renameat("a", "b", { newDirfd: "3" as unknown as number }),
      TypeError, /renameat\(\): options.newDirfd must be a number/],
    // unlinkat
    ["unlinkat: number as path", () => ring.unlinkat(3 as unknown as string), TypeError, /unlinkat\(\): path must be a string/],
    ["unlinkat: NUL in path", () => ring.unlinkat("/tmp/\0"), TypeError, /unlinkat\(\): path must not contain NUL/],
    ["unlinkat: options.dirfd -5", () => ring.unlinkat("x", { dirfd: -5 }), RangeError, /unlinkat\(\): options.dirfd must be in/],
    // mkdirat
    ["mkdirat: number as path", () => ring.mkdirat(3 as unknown as string), TypeError, /mkdirat\(\): path must be a string/],
    ["mkdirat: NUL in path", () => ring.mkdirat("/tmp/d\0"), TypeError, /mkdirat\(\): path must not contain NUL/],
    ["mkdirat: mode beyond 0o7777", () => ring.mkdirat("/tmp/d", 0o10000), RangeError, /mkdirat\(\): mode must be in \[0, 4095\]/],
    ["mkdirat: string mode", () => ring.mkdirat("/tmp/d", "755" as unknown as number), TypeError, /mkdirat\(\): mode must be a number/],
    ["mkdirat: dirfd -1", () => ring.mkdirat("d", 0o755, -1), RangeError, /mkdirat\(\): dirfd must be in/],
    // symlinkat
    ["symlinkat: number as target", () => ring.symlinkat(1 as unknown as string, "/tmp/l"), TypeError, /symlinkat\(\): target must be a string/],
    ["symlinkat: number as linkPath", () => ring.symlinkat("t", 1 as unknown as string), TypeError, /symlinkat\(\): linkPath must be a string/],
    ["symlinkat: NUL in target", () => ring.symlinkat("t\0", "/tmp/l"), TypeError, /symlinkat\(\): target must not contain NUL/],
    ["symlinkat: NUL in linkPath", () => ring.symlinkat("t", "/tmp/l\0"), TypeError, /symlinkat\(\): linkPath must not contain NUL/],
    ["symlinkat: newDirfd -1", () => ring.symlinkat("t", "l", -1), RangeError, /symlinkat\(\): newDirfd must be in/],
    // linkat
    ["linkat: number as oldPath", () => ring.linkat(1 as unknown as string, "/tmp/b"), TypeError, /linkat\(\): oldPath must be a string/],
    ["linkat: NUL in oldPath", () => ring.linkat("/tmp/\0a", "/tmp/b"), TypeError, /linkat\(\): oldPath must not contain NUL/],
    ["linkat: NUL in newPath", () => ring.linkat("/tmp/a", "/tmp/b\0"), TypeError, /linkat\(\): newPath must not contain NUL/],
    ["linkat: AT_SYMLINK_NOFOLLOW is no linkat flag", () => ring.linkat("/tmp/a", "/tmp/b", { flags: AT_SYMLINK_NOFOLLOW }),
      RangeError, /linkat\(\): options.flags has unknown bits 0x100/],
    ["linkat: unknown flags bit", () => ring.linkat("/tmp/a", "/tmp/b", { flags: 0x1 }),
      RangeError, /linkat\(\): options.flags has unknown bits 0x1/],
    ["linkat: options.oldDirfd -7", () => ring.linkat("a", "b", { oldDirfd: -7 }), RangeError, /linkat\(\): options.oldDirfd must be in/],
    ["linkat: options.newDirfd -1", () => ring.linkat("a", "b", { newDirfd: -1 }), RangeError, /linkat\(\): options.newDirfd must be in/],
    // getxattr / fgetxattr
    ["getxattr: number as path", () => ring.getxattr(1 as unknown as string, "user.a"), TypeError, /getxattr\(\): path must be a string/],
    ["getxattr: NUL in path", () => ring.getxattr("/tmp/\0", "user.a"), TypeError, /getxattr\(\): path must not contain NUL/],
    ["getxattr: NUL in name", () => ring.getxattr("/tmp", "user.a\0b"), TypeError, /getxattr\(\): name must not contain NUL/],
    ["getxattr: number as name", () => ring.getxattr("/tmp", 5 as unknown as string), TypeError, /getxattr\(\): name must be a string/],
    ["getxattr: empty name", () => ring.getxattr("/tmp", ""), RangeError, /getxattr\(\): name must not be empty/],
    ["getxattr: 256-byte name", () => ring.getxattr("/tmp", name256), RangeError, /getxattr\(\): name is 256 bytes; XATTR_NAME_MAX is 255/],
    ["getxattr: options.size 0", () => ring.getxattr("/tmp", "user.a", { size: 0 }),
      RangeError, /getxattr\(\): options.size must be in \[1, 65536\], got 0/],
    ["getxattr: options.size beyond XATTR_SIZE_MAX", () => ring.getxattr("/tmp", "user.a", { size: 65537 }),
      RangeError, /getxattr\(\): options.size must be in \[1, 65536\]/],
    ["getxattr: options not an object", () => ring.getxattr("/tmp", "user.a", 5 as never), TypeError, /getxattr\(\): options must be an object/],
    ["fgetxattr: string fd", () => ring.fgetxattr("3" as unknown as number, "user.a"), TypeError, /fgetxattr\(\): fd must be a number/],
    ["fgetxattr: fd -1", () => ring.fgetxattr(-1, "user.a"), RangeError, /fgetxattr\(\): fd must be in/],
    ["fgetxattr: NUL in name", () => ring.fgetxattr(0, "\0"), TypeError, /fgetxattr\(\): name must not contain NUL/],
    ["fgetxattr: empty name", () => ring.fgetxattr(0, ""), RangeError, /fgetxattr\(\): name must not be empty/],
    ["fgetxattr: 257-byte multibyte name", () => ring.fgetxattr(0, nameMultibyte), RangeError, /fgetxattr\(\): name is 257 bytes/],
    ["fgetxattr: options.size 0", () => ring.fgetxattr(0, "user.a", { size: 0 }), RangeError, /fgetxattr\(\): options.size must be in/],
    // setxattr / fsetxattr
    ["setxattr: number as path", () => ring.setxattr(1 as unknown as string, "user.a", "v"), TypeError, /setxattr\(\): path must be a string/],
    ["setxattr: NUL in path", () => ring.setxattr("/tmp\0", "user.a", "v"), TypeError, /setxattr\(\): path must not contain NUL/],
    ["setxattr: NUL in name", () => ring.setxattr("/tmp", "user.\0", "v"), TypeError, /setxattr\(\): name must not contain NUL/],
    ["setxattr: empty name", () => ring.setxattr("/tmp", "", "v"), RangeError, /setxattr\(\): name must not be empty/],
    ["setxattr: 256-byte name", () => ring.setxattr("/tmp", name256, "v"), RangeError, /setxattr\(\): name is 256 bytes; XATTR_NAME_MAX is 255/],
    ["setxattr: unknown flags bit", () => ring.setxattr("/tmp", "user.a", "v", 4), RangeError, /setxattr\(\): flags has unknown bits 0x4/],
    ["setxattr: negative flags", () => ring.setxattr("/tmp", "user.a", "v", -1), RangeError, /setxattr\(\): flags must be in/],
    ["setxattr: value 65537 bytes", () => ring.setxattr("/tmp", "user.a", new Uint8Array(65537)),
      RangeError, /setxattr\(\): value is 65537 bytes; XATTR_SIZE_MAX is 65536/],
    ["setxattr: string value over 65536 UTF-8 bytes", () => ring.setxattr("/tmp", "user.a", "é".repeat(32769)),
      RangeError, /setxattr\(\): value is 65538 bytes/],
    ["setxattr: number as value", () => ring.setxattr("/tmp", "user.a", 5 as never),
      TypeError, /setxattr\(\): value must be an ArrayBuffer or a typed array/],
    ["setxattr: array as value", () => ring.setxattr("/tmp", "user.a", [1, 2] as never), TypeError, /setxattr\(\): value must be/],
    ["fsetxattr: string fd", () => ring.fsetxattr("0" as unknown as number, "user.a", "v"), TypeError, /fsetxattr\(\): fd must be a number/],
    ["fsetxattr: fd -100 (AT_FDCWD is no fd)", () => ring.fsetxattr(AT_FDCWD, "user.a", "v"), RangeError, /fsetxattr\(\): fd must be in/],
    ["fsetxattr: NUL in name", () => ring.fsetxattr(0, "user.a\0", "v"), TypeError, /fsetxattr\(\): name must not contain NUL/],
    ["fsetxattr: empty name", () => ring.fsetxattr(0, "", "v"), RangeError, /fsetxattr\(\): name must not be empty/],
    ["fsetxattr: unknown flags bit", () => ring.fsetxattr(0, "user.a", "v", 8), RangeError, /fsetxattr\(\): flags has unknown bits 0x8/],
    ["fsetxattr: value 65537 bytes", () => ring.fsetxattr(0, "user.a", new ArrayBuffer(65537)), RangeError, /fsetxattr\(\): value is 65537 bytes/],
  ])("%s", (_name, call, type, message) => {
    const pending = ring.pending;
    const space = ring.sqSpaceLeft();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(ring.pending).toBe(pending); // nothing was queued
    expect(ring.sqSpaceLeft()).toBe(space);
  });

  it("a detached value buffer is refused", () => {
    const b = new ArrayBuffer(8);
    const view = new Uint8Array(b);
    structuredClone(b, { transfer: [b] });
    expect(() => ring.setxattr("/tmp", "user.a", b)).toThrow(/setxattr\(\): value is detached/);
    expect(() => ring.fsetxattr(0, "user.a", view)).toThrow(/fsetxattr\(\): value is detached/);
    expect(ring.pending).toBe(0);
  });

  it("AT_FDCWD (-100) is the one negative dirfd accepted", async () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, "f"), "f");
      const fd = await ring.openat(join(tmp.dir, "f"), O_RDONLY, 0o644, -100);
      await ring.closeFd(fd);
      expect((await ring.statx(join(tmp.dir, "f"), { dirfd: -100 })).size).toBe(1);
      await ring.mkdirat(join(tmp.dir, "d"), 0o755, -100);
      await ring.renameat(join(tmp.dir, "d"), join(tmp.dir, "e"), { oldDirfd: -100, newDirfd: -100 });
      await ring.unlinkat(join(tmp.dir, "e"), { dirfd: -100, removeDir: true });
      expect(readdirSync(tmp.dir)).toEqual(["f"]);
      expect(() => ring.openat("f", O_RDONLY, 0o644, -99)).toThrow(RangeError);
    } finally {
      tmp.cleanup();
    }
  });

  it("a closed ring refuses every path operation with ERING_CLOSED", () => {
    const r = RingClass.open({ entries: 2 });
    r.close();
    const calls: [string, () => unknown][] = [
      ["openat", () => r.openat("/tmp")],
      ["openat2", () => r.openat2("/tmp")],
      ["closeFd", () => r.closeFd(0)],
      ["statx", () => r.statx("/tmp")],
      ["renameat", () => r.renameat("/tmp/a", "/tmp/b")],
      ["unlinkat", () => r.unlinkat("/tmp/a")],
      ["mkdirat", () => r.mkdirat("/tmp/a")],
      ["symlinkat", () => r.symlinkat("a", "/tmp/a")],
      ["linkat", () => r.linkat("/tmp/a", "/tmp/b")],
      ["getxattr", () => r.getxattr("/tmp", "user.a")],
      ["fgetxattr", () => r.fgetxattr(0, "user.a")],
      ["setxattr", () => r.setxattr("/tmp", "user.a", "v")],
      ["fsetxattr", () => r.fsetxattr(0, "user.a", "v")],
    ];
    for (const [fn, call] of calls) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, fn).toBeInstanceOf(UringErrorClass);
      expect((error as UringError).code, fn).toBe("ERING_CLOSED");
      expect((error as UringError).message, fn).toBe(`${fn}(): the ring is closed`);
    }
  });
});
