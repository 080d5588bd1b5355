// Every fd the library creates is close-on-exec: a child process of the
// runtime opens one of each kind (rings in both modes and with SQPOLL, their
// eventfds with the waiter armed, buffer pools, sockets from socket(),
// accept(), acceptMultishot(), serve() and connect(), files from openat()
// and openat2(), a pipe()), then execs /bin/ls on its own /proc/self/fd and
// reports what that grandchild inherited. One fd of each kind that has the
// opt-out is opened inheritable on purpose (openat2's how.inheritable;
// socket(), accept(), acceptMultishot() and pipe() with options.inheritable)
// and must show up, so the check can see a leak when there is one.
//
// How the grandchild is started matters: Bun's own spawn closes every fd
// above stderr in the child, which would hide a leak that any other exec
// (a native library's posix_spawn or system()) lets through. Under Bun the
// child therefore calls libc's posix_spawn through bun:ffi; Deno's spawn
// passes fds on as exec does.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runtime, runtimeCommand, skip, tempDir, uring } from "./support/uring.ts";

const adapter = fileURLToPath(new URL(`../runtime-${runtime}/mod.ts`, import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

// Runs `/bin/ls -l /proc/self/fd` as exec would: fds without FD_CLOEXEC are inherited.
const listerBun = `
const { dlopen, ptr } = await import("bun:ffi");
const libc = dlopen("libc.so.6", {
  posix_spawn: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  waitpid: { args: ["i32", "ptr", "i32"], returns: "i32" },
  kill: { args: ["i32", "i32"], returns: "i32" },
});
const cstr = (s) => Buffer.from(s + "\\0");
async function listChildFds(out) {
  const strs = ["/bin/sh", "-c", 'exec /bin/ls -l /proc/self/fd > "$0"', out].map(cstr);
  const argv = new BigUint64Array([...strs.map((s) => BigInt(ptr(s))), 0n]);
  const envp = new BigUint64Array([0n]);
  const pid = new Int32Array(1), status = new Int32Array(1);
  const err = libc.symbols.posix_spawn(ptr(pid), ptr(strs[0]), null, null, ptr(argv), ptr(envp));
  if (err !== 0) throw new Error("posix_spawn: errno " + err);
  // A deadline, so a stuck grandchild fails the test instead of hanging it.
  for (const deadline = Date.now() + 10_000; ;) {
    if (libc.symbols.waitpid(pid[0], ptr(status), 1 /* WNOHANG */) === pid[0]) break;
    if (Date.now() > deadline) {
      libc.symbols.kill(pid[0], 9);
      libc.symbols.waitpid(pid[0], ptr(status), 0);
      throw new Error("ls did not finish in 10 s");
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return readFileSync(out, "utf8");
}
`;
const listerDeno = `
async function listChildFds() {
  const r = spawnSync("/bin/ls", ["-l", "/proc/self/fd"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error("ls: " + (r.error?.message ?? r.stderr));
  return r.stdout;
}
`;

function childScript(dir: string): string {
  const path = join(dir, "cloexec-child.ts");
  const file = join(dir, "data");
  writeFileSync(file, "cloexec");
  writeFileSync(path, `
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as u from ${JSON.stringify(adapter)};
${runtime === "bun" ? listerBun : listerDeno}
const out = ${JSON.stringify(join(dir, "ls.out"))};
const file = ${JSON.stringify(file)};
function fds() {
  const m = {};
  for (const n of readdirSync("/proc/self/fd")) {
    try { m[n] = readlinkSync("/proc/self/fd/" + n); } catch {} // the directory's own fd is gone by now
  }
  return m;
}
function parseLs(text) {
  const m = {};
  for (const line of text.split("\\n")) {
    const x = / (\\d+) -> (.*)$/.exec(line);
    if (x) m[x[1]] = x[2];
  }
  return m;
}
await listChildFds(out); // the spawn path's own lazily opened fds come before the snapshot
const before = fds();
const named = {};
const rings = [
  u.Ring.open({ mode: "no-mmap" }),
  u.Ring.open({ mode: "mmap" }),
  u.Ring.open({ mode: "no-mmap", sqpoll: { idleMs: 50 } }),
];
rings.forEach((r, i) => named["ring " + i] = r.fd);
const ring = rings[0];
const pools = [u.BufferPool.create({ count: 4, size: 4096 }), u.BufferPool.create({ count: 1, size: 2 << 20, hugePages: true })];
named.openat = await ring.openat(file, u.O_RDONLY);
named.openat2 = await ring.openat2(file, { flags: u.O_RDONLY });
const inheritable = { openat2: await ring.openat2(file, { flags: u.O_RDONLY, inheritable: true }) };
let pipe = false;
if (ring.supports("pipe")) {
  [named["pipe read"], named["pipe write"]] = await ring.pipe();
  [inheritable["pipe read"], inheritable["pipe write"]] = await ring.pipe(0, { inheritable: true });
  pipe = true;
}
named.listener = await ring.socket(u.AF_INET, u.SOCK_STREAM);
await ring.bind(named.listener, { address: "127.0.0.1", port: 0 });
await ring.listen(named.listener, 8);
const port = ring.localAddress(named.listener).port;
named.client = await ring.socket(u.AF_INET, u.SOCK_STREAM);
await ring.connect(named.client, { address: "127.0.0.1", port });
named.accepted = (await ring.accept(named.listener)).fd;
named.client2 = await ring.socket(u.AF_INET, u.SOCK_STREAM);
await ring.connect(named.client2, { address: "127.0.0.1", port });
for await (const fd of ring.acceptMultishot(named.listener)) { named.acceptMultishot = fd; break; }
inheritable.socket = await ring.socket(u.AF_INET, u.SOCK_STREAM, 0, { inheritable: true });
await ring.connect(inheritable.socket, { address: "127.0.0.1", port });
inheritable.accept = (await ring.accept(named.listener, 0, { inheritable: true })).fd;
named.client3 = await ring.socket(u.AF_INET, u.SOCK_STREAM);
await ring.connect(named.client3, { address: "127.0.0.1", port });
for await (const fd of ring.acceptMultishot(named.listener, 0, { inheritable: true })) { inheritable.acceptMultishot = fd; break; }
const server = await u.serve(ring, { port: 0 }, async (conn) => { for await (const _ of conn) {} });
const conn = await u.connect(ring, { port: server.port });
named.server = server.fd;
named.connection = conn.fd;
// Reads in flight on every ring: their waiters are armed while the child runs.
const pending = [];
for (const r of rings) {
  const [rd, wr] = r.supports("pipe") ? await r.pipe() : [named.openat, -1];
  pending.push({ r, rd, wr, read: r.read(rd, new Uint8Array(8), -1).catch(() => 0) });
}
const after = fds();
const child = parseLs(await listChildFds(out));
const mine = {};
for (const [n, t] of Object.entries(after)) if (before[n] !== t) mine[n] = t;
console.log(JSON.stringify({ mine, child, inheritable, named, pipe }));
await conn.close();
await server.close();
for (const r of rings) r.close();
for (const p of pools) p.close();
`);
  return path;
}

describe(`O_CLOEXEC (${runtime})`, () => {
  it("a child exec'd while the library's fds are open inherits none of them, but does inherit an inheritable one", (ctx) => {
    const probe = uring.Ring.open();
    const has = probe.supports("socket") && probe.supports("accept") && probe.supports("openat2");
    probe.close();
    if (!has) skip(ctx, "needs IORING_OP_SOCKET (5.19+) and OPENAT2");
    const [cmd, args] = runtimeCommand(childScript(tmp.dir));
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      mine: Record<string, string>; child: Record<string, string>; inheritable: Record<string, number>;
      named: Record<string, number>; pipe: boolean;
    };
    const { mine, child, inheritable, named } = report;

    // The controls: each fd opened inheritable reaches the child, same number, same file.
    expect(mine[inheritable.openat2]).toBe(join(tmp.dir, "data"));
    expect(Object.keys(inheritable).sort()).toEqual(
      ["accept", "acceptMultishot", "openat2", "socket", ...(report.pipe ? ["pipe read", "pipe write"] : [])].sort(),
    );
    for (const [what, fd] of Object.entries(inheritable)) {
      expect(mine[fd], `${what} (fd ${fd})`).toBeDefined();
      expect(child[fd], `${what} (fd ${fd}) in the child`).toBe(mine[fd]);
    }

    // Every fd the API handed out was seen as new, and the kinds it cannot name are there too.
    for (const [what, fd] of Object.entries(named)) expect(mine[fd], `${what} (fd ${fd})`).toBeDefined();
    const count = (kind: string) => Object.values(mine).filter((t) => t.startsWith(kind)).length;
    expect(count("anon_inode:[io_uring]")).toBeGreaterThanOrEqual(3);
    expect(count("anon_inode:[eventfd]")).toBeGreaterThanOrEqual(3);
    expect(count("socket:[")).toBeGreaterThanOrEqual(7);
    if (report.pipe) expect(count("pipe:[")).toBeGreaterThanOrEqual(2);

    // None of them, other than the control, reached the child.
    const controls = new Set(Object.values(inheritable));
    const leaked = Object.entries(mine)
      .filter(([fd, target]) => !controls.has(Number(fd)) && child[fd] === target)
      .map(([fd, target]) => `${fd} -> ${target}`);
    expect(leaked).toEqual([]);
  });

  it("openat2 refuses O_CLOEXEC together with how.inheritable, and a non-boolean inheritable", () => {
    const ring = uring.Ring.open();
    try {
      expect(() => ring.openat2("/", { flags: uring.O_CLOEXEC, inheritable: true })).toThrow(RangeError);
      expect(() => ring.openat2("/", { flags: uring.O_CLOEXEC, inheritable: true })).toThrow(/openat2\(\).*how\.inheritable/);
      expect(() => ring.openat2("/", { inheritable: 1 as unknown as boolean })).toThrow(TypeError);
      // The same for the fd-creating calls with options.inheritable.
      const { SOCK_CLOEXEC } = uring;
      expect(() => ring.socket(uring.AF_INET, uring.SOCK_STREAM | SOCK_CLOEXEC, 0, { inheritable: true })).toThrow(
        /socket\(\): type asks for close-on-exec but options\.inheritable is true/,
      );
      expect(() => ring.accept(0, SOCK_CLOEXEC, { inheritable: true })).toThrow(RangeError);
      expect(() => ring.acceptMultishot(0, SOCK_CLOEXEC, { inheritable: true })).toThrow(RangeError);
      expect(() => ring.pipe(uring.O_CLOEXEC, { inheritable: true })).toThrow(/pipe\(\): flags asks for close-on-exec/);
      expect(() => ring.socket(uring.AF_INET, uring.SOCK_STREAM, 0, { inheritable: "yes" as unknown as boolean })).toThrow(TypeError);
    } finally {
      ring.close();
    }
  });
});
