// io_uring refused, the ways users meet it: a seccomp filter (containers,
// systemd), kernel.io_uring_disabled, an RLIMIT_MEMLOCK too low for the
// ring or pool, an op the kernel lacks. Each case runs in a child of this
// runtime, set up that way, with a deadline; the test checks the child got
// a UringError whose message says the cause and the fix, and exited
// normally (no crash, no hang).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runtime, runtimeCommand, skip } from "./support/uring.ts";
import { ChildScripts, runChild, runGatedChild, type ChildRun, type Outcome } from "./restricted/child.ts";
import { NOBODY, nonRootCommand, nonRootUnavailable, withExclusiveNonRootLock } from "./restricted/nonroot.ts";

const launcher = fileURLToPath(new URL("../native/build/seccomp-launch", import.meta.url));
const SYSCTL = "/proc/sys/kernel/io_uring_disabled";
const SYSCTL_GROUP = "/proc/sys/kernel/io_uring_group";
const scripts = new ChildScripts();
afterAll(() => scripts.cleanup());

function exitedNormally(r: ChildRun): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
}

/** Checks o is the UringError (op, code) and returns its message. */
function refused(o: Outcome | undefined, op: string, code: string): string {
  expect(o, "the child reported this step").toBeDefined();
  expect(o!.uringError, JSON.stringify(o)).toBe(true);
  expect([o!.name, o!.op, o!.code]).toEqual(["UringError", op, code]);
  expect(o!.message!.startsWith(`${op}: ${code}: `), o!.message).toBe(true);
  return o!.message!;
}

describe(`io_uring refused by a seccomp filter (${runtime})`, () => {
  function underFilter(name: string, options: string[], body: string): ChildRun {
    expect(existsSync(launcher), `${launcher} (built by npm run build)`).toBe(true);
    const [cmd, args] = runtimeCommand(scripts.write(name, body));
    return runChild(launcher, [...options, "--", cmd, ...args], scripts.dir);
  }

  const seccomp = (syscall: string) => `a seccomp filter on this process (Seccomp: 2 in /proc/self/status) refuses ${syscall}`;
  const profileFix = "fix: allow io_uring_setup, io_uring_enter and io_uring_register in the sandbox's seccomp profile";

  function namesSeccomp(m: string, syscall: string): void {
    expect(m).toContain(seccomp(syscall));
    expect(m).toContain(profileFix);
    expect(m).toContain("--security-opt seccomp=");
    expect(m).toContain("SystemCallFilter=");
    // This child is root with CAP_SYS_ADMIN: the sysctl cannot be the cause.
    expect(m).not.toContain("kernel.io_uring_disabled =");
  }

  it("EPERM for io_uring_setup (Docker's answer): Ring.open() and probe() name the filter and the profile fix; pools still work", () => {
    const r = underFilter("seccomp-eperm", ["--errno", "EPERM"], `
await step("open", () => { u.Ring.open().close(); });
await step("probe", () => { u.probe(); });
await step("pool", () => { const pool = u.BufferPool.create({ count: 2, size: 4096 }); pool.close(); });
done();`);
    exitedNormally(r);
    namesSeccomp(refused(r.steps.open, "setup", "EPERM"), "io_uring_setup");
    namesSeccomp(refused(r.steps.probe, "setup", "EPERM"), "io_uring_setup");
    expect(r.steps.pool).toEqual({ ok: true });
  });

  it("EPERM for setup, enter and register: probe()'s ring-less IORING_REGISTER_QUERY names the filter", () => {
    const r = underFilter("seccomp-eperm-all", ["--errno", "EPERM", "--all"], `
await step("open", () => { u.Ring.open().close(); });
await step("probe", () => { u.probe({ method: "query" }); });
done();`);
    exitedNormally(r);
    for (const step of ["open", "probe"]) {
      const m = refused(r.steps[step], "probe", "EPERM");
      expect(m).toContain("IORING_REGISTER_QUERY: ");
      namesSeccomp(m, "io_uring_register");
    }
  });

  it("ENOSYS (Podman's answer): tells a filter from a kernel without io_uring, and names the fix", () => {
    const r = underFilter("seccomp-enosys", ["--errno", "ENOSYS"], `
await step("open", () => { u.Ring.open().close(); });
done();`);
    exitedNormally(r);
    const m = refused(r.steps.open, "setup", "ENOSYS");
    namesSeccomp(m, "io_uring_setup");
    expect(m).toContain("Podman's default profile answers ENOSYS");
    // kernel.io_uring_disabled (6.6+) exists only in a kernel with io_uring.
    expect(m).toContain(existsSync(SYSCTL) ? "(the kernel has io_uring: kernel.io_uring_disabled exists)" : ", or the kernel lacks io_uring");
  });

  // Bun has no permissions: this case exists only under Deno.
  if (runtime === "deno") it("Deno without read permission for /proc: the message says what it could not read instead of prompting", () => {
    expect(existsSync(launcher), `${launcher} (built by npm run build)`).toBe(true);
    const root = fileURLToPath(new URL("..", import.meta.url));
    const script = scripts.write("seccomp-no-proc", `
await step("open", () => { u.Ring.open().close(); });
done();`);
    const r = runChild(launcher, ["--", process.execPath, "run", "--allow-ffi", `--allow-read=${root},${scripts.dir}`, script], scripts.dir);
    exitedNormally(r);
    const m = refused(r.steps.open, "setup", "EPERM");
    expect(m).toContain("/proc could not be read to tell (Deno: --allow-read=/proc)");
    expect(m).toContain(`fix: sysctl -w kernel.io_uring_disabled=0, or ${profileFix.slice("fix: ".length)}`);
  });

  it("ENOSYS for register too: probe() says so for io_uring_register", () => {
    const r = underFilter("seccomp-enosys-all", ["--errno", "ENOSYS", "--all"], `
await step("probe", () => { u.probe({ method: "query" }); });
done();`);
    exitedNormally(r);
    const m = refused(r.steps.probe, "probe", "ENOSYS");
    namesSeccomp(m, "io_uring_register");
  });
});

describe(`kernel.io_uring_disabled (${runtime})`, () => {
  // The sysctl is global. It is set to 1 only while one child, as nobody,
  // makes its calls (root processes keep CAP_SYS_ADMIN, which 1 allows),
  // under the exclusive lock every non-root child of the tests waits for,
  // and set back as soon as the child has printed its result.
  function checkUsable(ctx: Parameters<typeof skip>[0]): void {
    const why = nonRootUnavailable();
    if (why) skip(ctx, why);
    if (!existsSync(SYSCTL)) skip(ctx, "no kernel.io_uring_disabled sysctl (Linux 6.6+)");
    if (readFileSync(SYSCTL_GROUP, "utf8").trim() === String(NOBODY)) skip(ctx, "kernel.io_uring_group is nobody's group");
    const value = readFileSync(SYSCTL, "utf8").trim();
    try {
      writeFileSync(SYSCTL, value); // the value it has: a check that it is writable, changing nothing
    } catch (e) {
      skip(ctx, `kernel.io_uring_disabled is not writable here (${(e as Error).message})`);
    }
  }

  /** Runs the script as nobody (behind launcher args, if any) with the sysctl at 1 while it makes its calls. */
  async function whileDisabled(name: string, launch: string[]): Promise<ChildRun> {
    const original = readFileSync(SYSCTL, "utf8").trim();
    const [runCmd, runArgs] = runtimeCommand(scripts.write(name, `
await gate();
await step("open", () => { u.Ring.open().close(); });
done();`));
    const [first, ...rest] = [...launch, runCmd, ...runArgs];
    const [cmd, args] = nonRootCommand(first!, rest, { lock: false });
    const r = await withExclusiveNonRootLock(async () => {
      const before = readFileSync(SYSCTL, "utf8").trim();
      let changed = false;
      const restore = () => {
        if (changed) writeFileSync(SYSCTL, before);
        changed = false;
      };
      try {
        return await runGatedChild(cmd, args, scripts.dir, () => {
          changed = true;
          writeFileSync(SYSCTL, "1");
        }, restore);
      } finally {
        restore();
      }
    });
    expect(readFileSync(SYSCTL, "utf8").trim()).toBe(original);
    exitedNormally(r);
    return r;
  }

  const sysctlCause = "io_uring is limited to CAP_SYS_ADMIN and the members of kernel.io_uring_group (sysctl kernel.io_uring_disabled = 1";

  it("= 1 refuses a user without CAP_SYS_ADMIN: the error names the sysctl, the user and the fix", async (ctx) => {
    checkUsable(ctx);
    const r = await whileDisabled("sysctl", []);
    const m = refused(r.steps.open, "setup", "EPERM");
    expect(m).toContain(sysctlCause);
    expect(m).toContain(`this process (uid ${NOBODY}, groups ${NOBODY}) is neither`);
    expect(m).toContain("fix: sysctl -w kernel.io_uring_disabled=0, or ");
    expect(m).not.toContain("seccomp");
  }, 120_000);

  it("= 1 and a seccomp filter: the error names the sysctl and notes the filter, with both fixes", async (ctx) => {
    checkUsable(ctx);
    expect(existsSync(launcher), `${launcher} (built by npm run build)`).toBe(true);
    const r = await whileDisabled("sysctl-seccomp", [launcher, "--"]);
    const m = refused(r.steps.open, "setup", "EPERM");
    expect(m).toContain(sysctlCause);
    expect(m).toContain("fix: sysctl -w kernel.io_uring_disabled=0, or ");
    expect(m).toContain("this process also runs under a seccomp filter (Seccomp: 2 in /proc/self/status), which may refuse io_uring_setup as well; if so: allow io_uring_setup");
  }, 120_000);
});

describe(`RLIMIT_MEMLOCK too low for a non-root user (${runtime})`, () => {
  // Per user, io_uring charges every ring and pinned buffer of uid 65534 on
  // the machine against one process's limit: 256 KiB leaves room for other
  // test runs' nobody children, and all that is asked for here is larger.
  const LIMIT = 256 * 1024;
  const limitText = `RLIMIT_MEMLOCK is ${LIMIT} bytes (soft) / ${LIMIT} (hard)`;
  // The shared lock may wait for the io_uring_disabled test (one child's deadline at most).
  const LOCK_WAIT = { timeout: 120_000 };

  function asNobody(ctx: Parameters<typeof skip>[0], name: string, body: string): ChildRun {
    const why = nonRootUnavailable();
    if (why) skip(ctx, why);
    const [runCmd, runArgs] = runtimeCommand(scripts.write(name, body));
    const [cmd, args] = nonRootCommand(runCmd, runArgs, { memlock: LIMIT });
    return runChild(cmd, args, scripts.dir);
  }

  it("a ring over the limit: ENOMEM naming the limit, what the ring needs and the fix, in both ring modes", LOCK_WAIT, (ctx) => {
    const r = asNobody(ctx, "memlock-ring", `
await step("no-mmap", () => { u.Ring.open({ entries: 4096, mode: "no-mmap" }).close(); });
await step("mmap", () => { u.Ring.open({ entries: 4096, mode: "mmap" }).close(); });
done();`);
    exitedNormally(r);
    for (const mode of ["no-mmap", "mmap"]) {
      const m = refused(r.steps[mode], "setup", "ENOMEM");
      const need = /the ring \(4096 SQ \/ \d+ CQ entries\) needs (\d+) bytes of locked memory/.exec(m);
      expect(need, m).not.toBeNull();
      expect(Number(need![1])).toBeGreaterThanOrEqual(4096 * 64); // its SQE array alone
      expect(Number(need![1])).toBeGreaterThan(LIMIT);
      expect(m).toContain(`; ${limitText}, and io_uring charges every ring and registered buffer of this user (uid ${NOBODY})`);
      expect(m).toMatch(/fix: raise the limit \(ulimit -l, prlimit --memlock, .*systemd LimitMEMLOCK=.*\), grant CAP_IPC_LOCK, or ask for fewer entries\)$/);
    }
  });

  it("a pool over the limit: mlock (lock: true) and registerBuffers are ENOMEM naming the bytes, the limit and the fix", LOCK_WAIT, (ctx) => {
    const r = asNobody(ctx, "memlock-pool", `
await step("lock", () => { u.BufferPool.create({ count: 16, size: 65536, lock: true }).close(); });
const ring = u.Ring.open({ entries: 4 });
const pool = u.BufferPool.create({ count: 16, size: 65536 });
await step("register", () => { ring.registerBuffers(pool); });
ring.close();
pool.close();
done();`);
    exitedNormally(r);
    const fix = `pinning 1048576 bytes; ${limitText}: raise it with ulimit -l or LimitMEMLOCK=`;
    expect(refused(r.steps.lock, "BufferPool.create", "ENOMEM")).toContain(fix);
    expect(refused(r.steps.register, "registerBuffers", "ENOMEM")).toContain(fix);
  });
});

describe(`an op the kernel lacks (${runtime})`, () => {
  it("rejects with EOPNOTSUPP naming the op and the release it needs, before submitting", () => {
    const [cmd, args] = runtimeCommand(scripts.write("opcode", `
const ring = u.Ring.open({ assumeKernel: "6.15" });
await step("supports", () => ({ pipe: ring.supports("pipe"), readvFixed: ring.supports("readvFixed") }));
await step("pipe", () => ring.pipe());
ring.close();
done();`));
    const r = runChild(cmd, args, scripts.dir);
    exitedNormally(r);
    expect(r.steps.supports).toEqual({ ok: true, pipe: false, readvFixed: true });
    const m = refused(r.steps.pipe, "pipe", "EOPNOTSUPP");
    expect(m).toMatch(/^pipe: EOPNOTSUPP: 'pipe' \(IORING_OP_PIPE\) needs Linux 6\.16\+; this kernel is 6\.15/);
  });
});
