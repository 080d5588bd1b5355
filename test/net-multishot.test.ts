// Multishot accept and receive with provided-buffer rings on loopback:
// every byte arrives once and in order even when the ring runs dry
// (ENOBUFS) again and again, the peer's close ends the iteration, and
// leaving the loop cancels the request and gives its buffers back.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random, ringConfigs, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, AF_INET, SOCK_STREAM } = uring;

async function listener(ring: Ring): Promise<{ fd: number; port: number }> {
  const fd = await ring.socket(AF_INET, SOCK_STREAM);
  await ring.bind(fd, { address: "127.0.0.1", port: 0 });
  await ring.listen(fd, 64);
  return { fd, port: (ring.localAddress(fd) as { port: number }).port };
}

async function connected(ring: Ring): Promise<[number, number, number]> {
  const l = await listener(ring);
  const client = await ring.socket(AF_INET, SOCK_STREAM);
  const [accepted] = await Promise.all([ring.accept(l.fd), ring.connect(client, { address: "127.0.0.1", port: l.port })]);
  return [client, accepted.fd, l.fd];
}

async function sendAll(ring: Ring, fd: number, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await ring.send(fd, data.subarray(at, at + (1 << 20)));
}

describe.each(ringConfigs.slice(0, 2))("multishot sockets ($name)", ({ options }) => {
  let ring: Ring;
  beforeAll(() => {
    ring = RingClass.open({ ...options, entries: 64 });
  });
  afterAll(() => ring.close());

  it("acceptMultishot yields every connection; break cancels it", async () => {
    const l = await listener(ring);
    const clients = await Promise.all([0, 1, 2].map(() => ring.socket(AF_INET, SOCK_STREAM)));
    const connecting = Promise.all(clients.map((c) => ring.connect(c, { address: "127.0.0.1", port: l.port })));
    const accepted: number[] = [];
    for await (const fd of ring.acceptMultishot(l.fd)) {
      accepted.push(fd);
      if (accepted.length === 3) break;
    }
    await connecting;
    expect(new Set(accepted).size).toBe(3);
    expect(ring.pending).toBe(0);
    await Promise.all([...accepted, ...clients, l.fd].map((fd) => ring.closeFd(fd)));
  });

  it("64 MiB through 8 small buffers: ENOBUFS re-armed, no byte lost or duplicated", async () => {
    const [client, server, l] = await connected(ring);
    using buffers = ring.registerBufferRing({ entries: 8, size: 4096 });
    const data = random(64 << 20, 21);
    const sending = sendAll(ring, client, data).then(() => ring.shutdown(client));
    const hash = createHash("sha256");
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of ring.recvMultishot(server, buffers)) {
      hash.update(chunk.data);
      bytes += chunk.data.length;
      chunks++;
      buffers.release(chunk.bufferId);
    }
    await sending;
    expect(bytes).toBe(data.length);
    expect(chunks).toBeGreaterThanOrEqual(data.length / 4096);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(buffers.available).toBe(8);
    expect(ring.pending).toBe(0);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });

  it("an incremental buffer ring fills one buffer across completions", async () => {
    const [client, server, l] = await connected(ring);
    using buffers = ring.registerBufferRing({ entries: 2, size: 1 << 16, incremental: true });
    const data = random(1 << 20, 8);
    const sending = sendAll(ring, client, data).then(() => ring.shutdown(client));
    const got = new Uint8Array(data.length);
    let at = 0;
    let sawMore = false;
    for await (const chunk of ring.recvMultishot(server, buffers)) {
      got.set(chunk.data, at);
      at += chunk.data.length;
      if (chunk.more) sawMore = true;
      buffers.release(chunk.bufferId);
    }
    await sending;
    expect(at).toBe(data.length);
    expect(got).toEqual(data);
    expect(sawMore).toBe(true);
    expect(buffers.available).toBe(2); // every buffer went back
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });

  it("an incremental buffer shared by two receives goes back only once the chunks of both are released", async () => {
    const [clientA, serverA, lA] = await connected(ring);
    const [clientB, serverB, lB] = await connected(ring);
    using buffers = ring.registerBufferRing({ entries: 2, size: 4096, incremental: true });
    const a = ring.recvMultishot(serverA, buffers);
    const b = ring.recvMultishot(serverB, buffers);
    const aData = random(100, 41);
    await sendAll(ring, clientA, aData);
    const first = (await a.next()).value!;
    expect(first.more).toBe(true); // the start of a buffer the kernel goes on filling
    expect(first.data).toEqual(aData);
    // B's data fills the rest of A's buffer, the other buffer, and comes round
    // again: a buffer handed back with B's chunks alone would be refilled
    // under A's chunk, still held.
    const bData = random(3 * 4096, 42);
    const sendingB = sendAll(ring, clientB, bData);
    const bGot = new Uint8Array(bData.length);
    let at = 0;
    while (at < bData.length) {
      const chunk = (await b.next()).value!;
      bGot.set(chunk.data, at);
      at += chunk.data.length;
      buffers.release(chunk.bufferId);
    }
    await sendingB;
    expect(bGot).toEqual(bData);
    expect(first.data).toEqual(aData);
    buffers.release(first.bufferId);
    await Promise.all([a.return(), b.return()]);
    await Promise.all([clientA, serverA, lA, clientB, serverB, lB].map((fd) => ring.closeFd(fd)));
  });

  it("leaving the loop cancels the receive and gives unread buffers back", async () => {
    const [client, server, l] = await connected(ring);
    using buffers = ring.registerBufferRing({ entries: 4, size: 1024 });
    const sent = random(3000, 2);
    await sendAll(ring, client, sent);
    let first: number | undefined;
    for await (const chunk of ring.recvMultishot(server, buffers)) {
      first = chunk.data[0];
      buffers.release(chunk.bufferId);
      break;
    }
    expect(first).toBe(sent[0]);
    expect(ring.pending).toBe(0);
    expect(buffers.available).toBe(4);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });

  it("refuses to release a buffer the kernel owns", () => {
    using buffers = ring.registerBufferRing({ entries: 2, size: 64 });
    expect(() => buffers.release(0)).toThrow(/buffer 0 is the kernel's/);
    expect(() => buffers.release(2)).toThrow(RangeError);
    expect(() => ring.registerBufferRing({ entries: 3, size: 64 })).toThrow(/power of two/);
    expect(() => ring.registerBufferRing({ entries: 2, size: 64, bgid: buffers.bgid })).toThrow(/in use/);
  });

  it("offers no way to hand the kernel a buffer except release()", () => {
    using buffers = ring.registerBufferRing({ entries: 2, size: 64 });
    // Filling again or taking a buffer the kernel never handed over would let it fill memory still being read.
    for (const name of ["fill", "take", "whenBuffers"]) expect(name in buffers, name).toBe(false);
    expect(buffers.available).toBe(2);
  });
});
