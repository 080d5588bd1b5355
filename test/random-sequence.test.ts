// A seeded random walk over the API: thousands of steps mixing valid calls
// (file and pipe I/O checked against a model of their contents, nops,
// timeouts, cancels, buffer registration, opens and closes through the ring,
// batch prep/submit/reap) with invalid ones drawn from the bad-input table,
// each of which must be refused as the table says. Afterwards nothing is in
// flight, the ring still works, close() works and no fd is left open.
// A failure prints the seed; URINGSHIM_SEED=<n> replays it.
import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mismatch, outcome } from "./bad-input/check.ts";
import { type Fixture, makeFixture, type Row, table } from "./bad-input/table.ts";
import { runtime, tempDir, uring, type Ring } from "./support/uring.ts";

const STEPS = 5000;
const BASE_SEED = Number(process.env.URINGSHIM_SEED ?? 0x7e57_5eed);
const { O_CREAT, O_RDWR } = uring;

/** mulberry32: a small, fast, fully determined PRNG. */
function prng(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)] };
}

/** This process's open fds and what each refers to (a path, "pipe:[ino]", "anon_inode:[io_uring]" …). */
function openFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // closed between the listing and the readlink: not open any more
    }
  }
  return out;
}

const FILE_SPAN = 1 << 16;
const PIPE_LIMIT = 1 << 14;

class Walk {
  readonly rng;
  readonly log: string[] = [];
  /** What the data file holds: the fixture writes 8192 bytes of 7. */
  readonly shadow = new Uint8Array(FILE_SPAN + 4096);
  size = 8192;
  /** Bytes written to the pipe and not read yet. */
  pipeBytes: number[] = [];
  pipe: [number, number] | undefined;
  /** What /proc/self/fd shows for the walk's pipes ("pipe:[ino]"). */
  readonly pipeTargets = new Set<string>();
  readonly opened: number[] = [];
  readonly openedFixed = new Set<number>();
  /** Promises left running; all settle before the invariants are checked. */
  readonly running: Promise<unknown>[] = [];
  /** Kernel-visible buffers of the batch API (ArrayBuffer-backed: they never move). */
  readonly batchBuf = new Uint8Array(new ArrayBuffer(8 * 4096));
  /** A buffer the `reg` ring registers and unregisters. */
  readonly regBuf = new Uint8Array(new ArrayBuffer(4096));
  registered = false;
  readonly rows: Row[];
  invalid = 0;
  valid = 0;

  constructor(seed: number, readonly fx: Fixture, public reg: Ring, readonly dir: string) {
    this.rng = prng(seed);
    this.shadow.fill(7, 0, 8192);
    this.rows = table();
  }

  get ring(): Ring {
    return this.fx.ring;
  }

  #bytes(n: number): Uint8Array {
    const b = new Uint8Array(new ArrayBuffer(n));
    for (let i = 0; i < n; i++) b[i] = this.rng.int(256);
    return b;
  }

  #expectFile(off: number, got: Uint8Array, n: number, what: string): void {
    const want = this.shadow.subarray(off, Math.min(off + got.length, this.size));
    expect(n, `${what}: bytes read at ${off}`).toBe(want.length);
    expect(got.subarray(0, n), `${what}: the bytes at ${off}`).toEqual(want);
  }

  async step(i: number): Promise<void> {
    const r = this.rng.next();
    if (r < 0.35) return this.invalidCall(i);
    this.valid++;
    const kinds = [
      () => this.fileWrite(), () => this.fileRead(), () => this.nops(), () => this.timeout(), () => this.pipeIo(),
      () => this.cancelPending(), () => this.registration(), () => this.openClose(), () => this.batch(), () => this.fixedIo(),
      () => this.linked(), () => this.closeBusyRing(),
    ];
    const k = this.rng.int(kinds.length);
    this.log.push(`${i}: valid #${k}`);
    await kinds[k]();
  }

  async fileWrite(): Promise<void> {
    const off = this.rng.int(FILE_SPAN);
    const data = this.#bytes(1 + this.rng.int(4096));
    const n = await this.ring.write(this.fx.fd, data, this.rng.next() < 0.5 ? off : BigInt(off));
    expect(n).toBe(data.length);
    this.shadow.set(data, off);
    this.size = Math.max(this.size, off + data.length);
  }

  async fileRead(): Promise<void> {
    const off = this.rng.int(this.size);
    const buf = new Uint8Array(new ArrayBuffer(1 + this.rng.int(4096)));
    this.#expectFile(off, buf, await this.ring.read(this.fx.fd, buf, off), "read");
  }

  async nops(): Promise<void> {
    const n = 1 + this.rng.int(40); // beyond the 16-entry SQ: the rest wait for room
    const all = Array.from({ length: n }, () => this.ring.nop());
    if (this.rng.next() < 0.5) await Promise.all(all);
    else this.running.push(...all);
  }

  async timeout(): Promise<void> {
    const t = this.ring.timeout(this.rng.int(3), { count: this.rng.int(3) });
    if (this.rng.next() < 0.5) await t;
    else this.running.push(t);
  }

  async pipeIo(): Promise<void> {
    if (this.pipe === undefined) return;
    const [rfd, wfd] = this.pipe;
    if (this.pipeBytes.length < PIPE_LIMIT && (this.pipeBytes.length === 0 || this.rng.next() < 0.5)) {
      const data = this.#bytes(1 + this.rng.int(2048));
      expect(await this.ring.write(wfd, data)).toBe(data.length);
      this.pipeBytes.push(...data);
      return;
    }
    const buf = new Uint8Array(new ArrayBuffer(1 + this.rng.int(2048)));
    const n = await this.ring.read(rfd, buf);
    expect(n).toBeGreaterThan(0);
    expect([...buf.subarray(0, n)]).toEqual(this.pipeBytes.slice(0, n));
    this.pipeBytes.splice(0, n);
  }

  /** A read that waits on an empty pipe, cancelled while queued or while in the kernel. */
  async cancelPending(): Promise<void> {
    if (this.pipe === undefined || this.pipeBytes.length > 0) return;
    const read = this.ring.read(this.pipe[0], new Uint8Array(new ArrayBuffer(64)));
    if (this.rng.next() < 0.5) await this.ring.nop(); // now in the kernel
    expect(await this.ring.cancel(read)).toBe(1);
    const e = await read.then(() => undefined, (e: unknown) => e);
    expect((e as { code?: string }).code).toBe("ECANCELED");
  }

  async registration(): Promise<void> {
    if (this.registered) this.reg.unregisterBuffers();
    else this.reg.registerBuffers([this.regBuf]);
    this.registered = !this.registered;
  }

  async fixedIo(): Promise<void> {
    const off = this.rng.int(Math.min(this.size, FILE_SPAN)); // a 4096-byte write stays inside the shadow
    if (this.registered && this.rng.next() < 0.5) {
      const data = this.#bytes(4096);
      this.regBuf.set(data);
      expect(await this.reg.writeFixed(this.fx.fd, this.regBuf, off)).toBe(4096);
      this.shadow.set(data, off);
      this.size = Math.max(this.size, off + 4096);
      return;
    }
    const view = this.fx.pool.view(1, 0, 512);
    const n = await this.ring.readFixed(this.fx.fd, this.fx.pool, 1, off, { length: 512 });
    this.#expectFile(off, view, n, "readFixed");
  }

  async openClose(): Promise<void> {
    const r = this.rng.next();
    if (r < 0.3 && this.opened.length < 8) {
      this.opened.push(await this.ring.openat(join(this.dir, `f${this.rng.int(4)}`), O_CREAT | O_RDWR, 0o600));
    } else if (r < 0.5 && this.opened.length > 0) {
      await this.ring.closeFd(this.opened.splice(this.rng.int(this.opened.length), 1)[0]);
    } else if (r < 0.75) {
      // Slots 1..3 of the fixture's 4-slot file table (slot 0 is the fixture's own handle).
      const slot = 1 + this.rng.int(3);
      if (this.openedFixed.has(slot)) {
        await this.ring.closeFd(this.ring.fixedFile(slot));
        this.openedFixed.delete(slot);
      } else {
        await this.ring.openatDirect(join(this.dir, `d${slot}`), O_CREAT | O_RDWR, 0o600, undefined, slot);
        this.openedFixed.add(slot);
      }
    } else if (this.pipe === undefined && this.ring.supports("pipe")) {
      this.pipe = await this.ring.pipe();
      this.pipeTargets.add(readlinkSync(`/proc/self/fd/${this.pipe[0]}`));
    } else if (this.pipe !== undefined && this.pipeBytes.length === 0) {
      const [rfd, wfd] = this.pipe;
      this.pipe = undefined;
      await Promise.all([this.ring.closeFd(rfd), this.ring.closeFd(wfd)]);
    }
  }

  /** prep* a few requests, submit, wait, reap: every userData comes back once, with the model's bytes. */
  async batch(): Promise<void> {
    const n = 1 + this.rng.int(8);
    const want = new Map<number, { off: number; len: number; slot: number } | undefined>();
    for (let k = 0; k < n; k++) {
      const ud = this.rng.int(2 ** 31) * 2 + 1; // odd, up to 2^32 - 1
      if (want.has(ud)) continue;
      if (this.rng.next() < 0.4) {
        expect(this.ring.prepNop(ud)).toBe(true);
        want.set(ud, undefined);
      } else {
        const off = this.rng.int(this.size);
        const len = 1 + this.rng.int(4096);
        const buf = this.batchBuf.subarray(k * 4096, k * 4096 + len);
        expect(this.ring.prepRead(this.fx.fd, buf, len, off, ud)).toBe(true);
        want.set(ud, { off, len, slot: k });
      }
    }
    this.ring.submit();
    const seen = new Set<number>();
    // Bounded: a lost completion fails here instead of waiting forever.
    for (let round = 0; seen.size < want.size; round++) {
      if (round === 20) throw new Error(`batch: ${want.size - seen.size} of ${want.size} completions never came (batchPending ${this.ring.batchPending})`);
      this.ring.submitAndWait(1, 100);
      this.ring.reap((ud, res) => {
        expect(want.has(ud), `userData ${ud} was prepared`).toBe(true);
        expect(seen.has(ud), `userData ${ud} reaped once`).toBe(false);
        seen.add(ud);
        const read = want.get(ud);
        if (read === undefined) expect(res).toBe(0);
        else this.#expectFile(read.off, this.batchBuf.subarray(read.slot * 4096, read.slot * 4096 + read.len), res, "prepRead");
      });
    }
    expect(this.ring.batchPending).toBe(0);
  }

  async linked(): Promise<void> {
    const data = this.#bytes(64);
    const off = this.rng.int(FILE_SPAN);
    const [w, s] = await this.ring.link([this.ring.write(this.fx.fd, data, off), this.ring.fsync(this.fx.fd, { datasync: true })]);
    expect(w).toEqual({ status: "fulfilled", value: 64 });
    expect(s.status).toBe("fulfilled");
    this.shadow.set(data, off);
    this.size = Math.max(this.size, off + 64);
  }

  /**
   * Closes the second ring with requests in flight (a read waiting on the
   * pipe, a long timeout, nops): each settles, the waiting ones with
   * ECANCELED, nothing reaches the pipe's data; then a fresh ring replaces it.
   */
  async closeBusyRing(): Promise<void> {
    if (this.rng.next() < 0.7) return; // rarer than the other steps
    const reg = this.reg;
    const waiting: Promise<unknown>[] = [reg.timeout(60_000)];
    if (this.pipe !== undefined && this.pipeBytes.length === 0) waiting.push(reg.read(this.pipe[0], new Uint8Array(new ArrayBuffer(64))));
    const nops = Array.from({ length: this.rng.int(4) }, () => reg.nop());
    if (this.rng.next() < 0.5) await reg.nop(); // in the kernel, or still queued
    reg.close();
    for (const p of waiting) {
      const e = await p.then(() => undefined, (e: unknown) => e);
      expect((e as { code?: string } | undefined)?.code, "a request the close cut short").toBe("ECANCELED");
    }
    for (const p of nops) await p.catch((e: { code?: string }) => expect(e.code).toBe("ECANCELED"));
    expect(reg.pending).toBe(0);
    this.reg = uring.Ring.open({ entries: 8, mode: this.fx.ring.mode });
    this.registered = false;
  }

  /** One bad value of one argument of one table row (or the closed-object case), refused as the table says. */
  async invalidCall(i: number): Promise<void> {
    this.invalid++;
    const row = this.rng.pick(this.rows);
    const fx = this.fx;
    if (row.closedTarget !== undefined && this.rng.next() < 0.1) {
      this.log.push(`${i}: ${row.covers} on a closed target`);
      const got = await outcome(() => row.call(row.closedTarget!(fx), row.args.map((a) => a.valid(fx)), fx));
      expect((got.thrown as { code?: string } | undefined)?.code, `${row.covers} on a closed target`).toBe("ERING_CLOSED");
      return;
    }
    const at = this.rng.int(row.args.length);
    const b = this.rng.pick(row.args[at].bad);
    this.log.push(`${i}: ${row.covers} with ${row.args[at].name} = ${b.label}`);
    const got = await outcome(() => row.call(row.target(fx), row.args.map((a, j) => (j === at ? b.value(fx) : a.valid(fx))), fx));
    expect(got.thrown !== undefined, `${row.covers}: ${row.args[at].name} = ${b.label} was accepted`).toBe(true);
    expect(mismatch(got.thrown, row.fn, row.args[at].name, b), `${row.covers}: ${row.args[at].name} = ${b.label}`).toBeUndefined();
  }
}

describe.each([["no-mmap"], ["mmap"]] as const)("randomized sequence (%s)", (mode) => {
  it(`${STEPS} seeded steps of valid and invalid calls leave nothing in flight, no fd open and a usable ring`, async () => {
    const seed = BASE_SEED + (mode === "mmap" ? 1 : 0);
    const before = openFds();
    const { dir, cleanup } = tempDir();
    let walk: Walk | undefined;
    let step = 0;
    try {
      const fx = await makeFixture(dir, mode);
      walk = new Walk(seed, fx, uring.Ring.open({ entries: 8, mode }), dir);
      for (; step < STEPS; step++) await walk.step(step);
      await Promise.allSettled(walk.running);
      // Nothing in flight on any ring the walk used.
      const reg = walk.reg;
      for (const r of [fx.ring, fx.bare, fx.other, reg]) expect([r.pending, r.batchPending]).toEqual([0, 0]);
      // Still usable: a nop and a read of the model's bytes.
      await fx.ring.nop();
      const buf = new Uint8Array(new ArrayBuffer(256));
      expect(await fx.ring.read(fx.fd, buf, 0)).toBe(256);
      expect(buf).toEqual(walk.shadow.subarray(0, 256));
      expect(walk.invalid).toBeGreaterThan(STEPS / 4);
      // Close everything the walk opened, then the rings.
      for (const fd of walk.opened) await fx.ring.closeFd(fd);
      if (walk.pipe) for (const fd of walk.pipe) await fx.ring.closeFd(fd);
      for (const slot of walk.openedFixed) await fx.ring.closeFd(fx.ring.fixedFile(slot));
      reg.close();
      await fx.close();
      expect([fx.ring.closed, reg.closed]).toEqual([true, true]);
    } catch (e) {
      const where = `seed ${seed} (replay: URINGSHIM_SEED=${BASE_SEED}), step ${step}`;
      throw new Error(`randomized sequence failed: ${where}\nlast steps:\n${walk?.log.slice(-15).join("\n")}\n${(e as Error).message}`, { cause: e });
    } finally {
      cleanup();
    }
    // Ring and eventfd close without waiting for the kernel; give the
    // runtime a moment to finish its own closes before comparing.
    let leaked: string[] = [];
    for (let tries = 0; tries < 50; tries++) {
      const after = openFds();
      // Files of the walk's directory and its pipes are always ours. Under
      // Bun the test files share one process (worker threads), so other new
      // fds may be another file's; Deno runs each file in its own process,
      // where only the runtime's own socket pair (its worker opens one
      // ~0.4 s into any test file, ring or not) is not ours. The walk opens
      // no sockets: the socket-making rows it calls must all be refused.
      leaked = [...after].filter(([fd, target]) => before.get(fd) !== target)
        .filter(([, target]) =>
          target.startsWith(dir) || walk!.pipeTargets.has(target) || (runtime === "deno" && !target.startsWith("socket:"))
        )
        .map(([fd, target]) => `${fd} -> ${target}`);
      if (leaked.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(leaked, `fds left open (seed ${seed})`).toEqual([]);
  }, 60_000);
});

// Found by the walk: submitAndWait(n) waited for n *new* completions when
// completions were already reaped out of the kernel's CQ but not yet handed
// to reap(): the mmap-mode shadow CQ, and batch CQEs drained by the promise
// API. It waited until timeoutMs, or forever without one. Three promise
// timeouts a minute away (the test's own time limit) show whether it
// waited: they are still in flight afterwards only if it did not.
describe.each([["no-mmap"], ["mmap"]] as const)("submitAndWait counts completions already reaped from the kernel (%s)", (mode) => {
  it.each([["after submit()"], ["after the promise API drained them"]])("%s", async (when) => {
    using ring = uring.Ring.open({ entries: 16, mode });
    const timers = [ring.timeout(60_000), ring.timeout(60_000), ring.timeout(60_000)];
    await ring.nop(); // the timers are in the kernel now
    for (let ud = 1; ud <= 3; ud++) expect(ring.prepNop(ud)).toBe(true);
    ring.submit();
    if (when !== "after submit()") await ring.nop(); // drains the three batch CQEs into the backlog
    ring.submitAndWait(3);
    const got: number[] = [];
    expect(ring.reap((ud) => got.push(ud))).toBe(3);
    expect(got.sort()).toEqual([1, 2, 3]);
    expect(ring.pending).toBe(3); // the timers: it did not wait for them
    expect(await ring.cancel("all")).toBeGreaterThanOrEqual(3);
    for (const t of timers) await expect(t).rejects.toMatchObject({ code: "ECANCELED" });
  });
});
