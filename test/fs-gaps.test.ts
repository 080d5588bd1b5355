// Small gaps programs hit (issue 16 part 5): statx of an open fd (fstat),
// and the path arguments on a path operation's error (err.path, err.dest,
// as Node's fs errors have them). Checked against node:fs and the kernel.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesOf, rejection, ringConfigs, tempDir, uring, type Ring, type UringError } from "./support/uring.ts";

const { Ring: RingClass, UringError: UringErrorClass, O_RDONLY, O_WRONLY, O_CREAT, O_DIRECTORY, O_PATH, AT_SYMLINK_NOFOLLOW } = uring;

/** The fields an error of a path op must carry, and the message naming them. */
function expectPaths(e: UringError, code: string, path: string, dest?: string): void {
  expect(e.code).toBe(code);
  expect(e.path).toBe(path);
  expect(Object.hasOwn(e, "path")).toBe(true);
  if (dest === undefined) {
    expect("dest" in e).toBe(false);
    if (path !== "") expect(e.message).toContain(`(${path})`);
  } else {
    expect(e.dest).toBe(dest);
    expect(e.message).toContain(`(${path} -> ${dest})`);
  }
}

/** An error of an operation without a path: neither property exists. */
function expectNoPaths(e: UringError): void {
  expect("path" in e).toBe(false);
  expect("dest" in e).toBe(false);
  expect(e.path).toBeUndefined();
  expect(e.dest).toBeUndefined();
}

describe.each(ringConfigs.slice(0, 2))("fs gaps ($name)", ({ options }) => {
  let tmp: ReturnType<typeof tempDir>;
  let ring: Ring;
  let count = 0;
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

  describe("statx(fd): fstat", () => {
    it("an open file's fd gives what its path gives, and follows the file, not the name", async () => {
      const dir = fresh();
      const path = join(dir, "f");
      writeFileSync(path, new Uint8Array(54321).fill(1));
      const fd = await ring.openat(path, O_RDONLY);
      try {
        const [byFd, byPath] = await Promise.all([ring.statx(fd), ring.statx(path)]);
        const ref = statSync(path);
        expect(byFd.isFile()).toBe(true);
        expect(byFd.size).toBe(54321);
        expect(byFd.size).toBe(byPath.size);
        expect(byFd.ino).toBe(byPath.ino);
        expect(byFd.ino).toBe(ref.ino);
        expect(byFd.dev).toBe(ref.dev);
        expect(byFd.mode).toBe(ref.mode);
        expect(byFd.nlink).toBe(1);
        // The fd keeps its inode: replace the name, and the fd still stats the old file.
        writeFileSync(join(dir, "g"), "new");
        await ring.renameat(join(dir, "g"), path);
        const after = await ring.statx(fd);
        expect(after.ino).toBe(byFd.ino);
        expect(after.nlink).toBe(0); // unlinked, still open
        expect((await ring.statx(path)).size).toBe(3);
      } finally {
        await ring.closeFd(fd);
      }
    });

    it("sees a size change made through the fd, and takes flags and mask", async () => {
      const dir = fresh();
      const fd = await ring.openat(join(dir, "w"), O_WRONLY | O_CREAT, 0o600);
      try {
        expect((await ring.statx(fd)).size).toBe(0);
        await ring.write(fd, bytesOf("twelve bytes"), 0);
        expect((await ring.statx(fd)).size).toBe(12);
        expect((await ring.statx(fd, { flags: AT_SYMLINK_NOFOLLOW, mask: uring.STATX_SIZE })).size).toBe(12);
      } finally {
        await ring.closeFd(fd);
      }
    });

    it("a directory fd and an O_PATH fd stat what they refer to", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "p"), "0123456789");
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      const pfd = await ring.openat(join(dir, "p"), O_PATH);
      try {
        const d = await ring.statx(dfd);
        expect(d.isDirectory()).toBe(true);
        expect(d.ino).toBe(statSync(dir).ino);
        const p = await ring.statx(pfd);
        expect(p.size).toBe(10);
        expect(p.ino).toBe(statSync(join(dir, "p")).ino);
        // The old way still works: an empty path, dirfd and AT_EMPTY_PATH.
        expect((await ring.statx("", { dirfd: pfd, flags: uring.AT_EMPTY_PATH })).ino).toBe(p.ino);
      } finally {
        await ring.closeFd(pfd);
        await ring.closeFd(dfd);
      }
    });

    it("a closed fd rejects EBADF naming the fd, with no path property", async () => {
      const dir = fresh();
      const fd = await ring.openat(join(dir, "c"), O_WRONLY | O_CREAT, 0o600);
      await ring.closeFd(fd);
      const e = await rejection(ring.statx(fd));
      expect(e.code).toBe("EBADF");
      expect(e.op).toBe("statx");
      expect(e.message).toContain(`(fd ${fd})`);
      expectNoPaths(e);
    });

    it("a FixedFile is a TypeError before anything is queued (IORING_OP_STATX takes no registered file)", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "x"), "x");
      const fd = await ring.openat(join(dir, "x"), O_RDONLY);
      const [file] = ring.registerFiles([fd]);
      try {
        const pending = ring.pending;
        expect(() => ring.statx(file as unknown as number)).toThrow(TypeError);
        expect(() => ring.statx(file as unknown as number)).toThrow(/statx\(\): path is a FixedFile \(0\).*pass an fd/);
        expect(ring.pending).toBe(pending);
        // The fd it was registered from works.
        expect((await ring.statx(fd)).size).toBe(1);
      } finally {
        ring.unregisterFiles();
        await ring.closeFd(fd);
      }
    });
  });

  describe("err.path and err.dest", () => {
    it("single-path operations: path is the argument as given", async () => {
      const dir = fresh();
      const missing = join(dir, "no", "such ☃");
      expectPaths(await rejection(ring.openat(missing)), "ENOENT", missing);
      expectPaths(await rejection(ring.openat2(missing)), "ENOENT", missing);
      expectPaths(await rejection(ring.statx(missing)), "ENOENT", missing);
      expectPaths(await rejection(ring.unlinkat(missing)), "ENOENT", missing);
      expectPaths(await rejection(ring.mkdirat(missing)), "ENOENT", missing);
      expectPaths(await rejection(ring.getxattr(missing, "user.a")), "ENOENT", missing);
      expectPaths(await rejection(ring.setxattr(missing, "user.a", "v")), "ENOENT", missing);
      writeFileSync(join(dir, "exists"), "");
      expectPaths(await rejection(ring.mkdirat(join(dir, "exists"))), "EEXIST", join(dir, "exists"));
    });

    it("a path relative to a dirfd stays as given (not resolved)", async () => {
      const dir = fresh();
      const dfd = await ring.openat(dir, O_RDONLY | O_DIRECTORY);
      try {
        expectPaths(await rejection(ring.openat("rel/missing", O_RDONLY, 0o644, dfd)), "ENOENT", "rel/missing");
        expectPaths(await rejection(ring.statx("missing-rel", { dirfd: dfd })), "ENOENT", "missing-rel");
        expectPaths(await rejection(ring.statx("")), "ENOENT", ""); // no AT_EMPTY_PATH: "" is ENOENT
      } finally {
        await ring.closeFd(dfd);
      }
    });

    it("two-path operations: path and dest, as Node's rename, link and symlink", async () => {
      const dir = fresh();
      const from = join(dir, "missing");
      const to = join(dir, "target");
      expectPaths(await rejection(ring.renameat(from, to)), "ENOENT", from, to);
      expectPaths(await rejection(ring.linkat(from, to)), "ENOENT", from, to);
      writeFileSync(to, "t");
      expectPaths(await rejection(ring.linkat(to, to)), "EEXIST", to, to);
      // symlink(target, path): Node's err.path is the target, err.dest the link.
      const link = join(dir, "no-dir", "link");
      expectPaths(await rejection(ring.symlinkat("../anywhere", link)), "ENOENT", "../anywhere", link);
      expectPaths(await rejection(ring.symlinkat("x", to)), "EEXIST", "x", to);
    });

    it("openatDirect's errors carry the path", async () => {
      const dir = fresh();
      ring.registerFiles({ sparse: 2 });
      try {
        const missing = join(dir, "nope");
        expectPaths(await rejection(ring.openatDirect(missing)), "ENOENT", missing);
      } finally {
        ring.unregisterFiles();
      }
    });

    it("operations without a path have neither property", async () => {
      const dir = fresh();
      const fd = await ring.openat(join(dir, "r"), O_WRONLY | O_CREAT, 0o600);
      try {
        const e = await rejection(ring.read(fd, new Uint8Array(4), 0)); // write-only: EBADF
        expect(e.code).toBe("EBADF");
        expectNoPaths(e);
        const x = await rejection(ring.fgetxattr(fd, "user.none"));
        expect(x.code).toBe("ENODATA");
        expectNoPaths(x);
      } finally {
        await ring.closeFd(fd);
      }
      expectNoPaths(await rejection(ring.closeFd(fd)));
      expectNoPaths(new UringErrorClass("read", "EIO", 5, "read: EIO"));
    });
  });
});
