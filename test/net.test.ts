// Sockets over io_uring on loopback: TCP over IPv4 and IPv6, UDP with
// addresses, Unix-domain sockets, zero-copy send, peer close, refused
// connections, and bind/listen on kernels without the io_uring ops.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random, rejection, ringConfigs, skip, tempDir, uring, type Ring } from "./support/uring.ts";

const { Ring: RingClass, AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SHUT_WR } = uring;

/** A listening TCP socket on loopback, port picked by the kernel. */
async function listener(ring: Ring, family = AF_INET, address = "127.0.0.1"): Promise<{ fd: number; port: number }> {
  const fd = await ring.socket(family, SOCK_STREAM);
  await ring.bind(fd, { address, port: 0 });
  await ring.listen(fd, 16);
  const local = ring.localAddress(fd);
  if (local === undefined || local.family === "unix") throw new Error("no local address");
  return { fd, port: local.port };
}

/** A connected pair: [client, server side]. */
async function pair(ring: Ring, family = AF_INET, address = "127.0.0.1"): Promise<[number, number, number]> {
  const l = await listener(ring, family, address);
  const client = await ring.socket(family, SOCK_STREAM);
  const [accepted] = await Promise.all([ring.accept(l.fd), ring.connect(client, { address, port: l.port })]);
  return [client, accepted.fd, l.fd];
}

describe.each(ringConfigs.slice(0, 2))("sockets ($name)", ({ options }) => {
  let ring: Ring;
  beforeAll(() => {
    ring = RingClass.open(options);
  });
  afterAll(() => ring.close());

  it("accept, connect, send and recv round-trip over IPv4, with the peer's address", async () => {
    const l = await listener(ring);
    const client = await ring.socket(AF_INET, SOCK_STREAM);
    const [accepted] = await Promise.all([ring.accept(l.fd), ring.connect(client, { address: "127.0.0.1", port: l.port })]);
    const clientPort = (ring.localAddress(client) as { port: number }).port;
    expect(accepted.address).toEqual({ family: "ipv4", address: "127.0.0.1", port: clientPort });
    expect(await ring.send(client, new TextEncoder().encode("ping"))).toBe(4);
    const buf = new Uint8Array(new ArrayBuffer(16));
    expect(await ring.recv(accepted.fd, buf)).toBe(4);
    expect(new TextDecoder().decode(buf.subarray(0, 4))).toBe("ping");
    await Promise.all([ring.closeFd(client), ring.closeFd(accepted.fd), ring.closeFd(l.fd)]);
  });

  it("a large stream arrives whole however the sends and receives split it", async () => {
    const [client, server, l] = await pair(ring);
    const data = random(4 << 20, 9);
    const sending = (async () => {
      for (let at = 0; at < data.length;) at += await ring.send(client, data.subarray(at)); // partial sends resume
      await ring.shutdown(client, SHUT_WR);
    })();
    const got = new Uint8Array(data.length);
    let at = 0;
    const chunk = new Uint8Array(new ArrayBuffer(256 * 1024));
    for (;;) {
      const n = await ring.recv(server, chunk);
      if (n === 0) break; // the peer shut down its side
      got.set(chunk.subarray(0, n), at);
      at += n;
    }
    await sending;
    expect(at).toBe(data.length);
    expect(got).toEqual(data);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });

  it("IPv6 loopback", async () => {
    const [client, server, l] = await pair(ring, AF_INET6, "::1");
    expect(ring.localAddress(client)).toMatchObject({ family: "ipv6", address: "::1" });
    await ring.send(server, new TextEncoder().encode("v6"));
    const buf = new Uint8Array(new ArrayBuffer(4));
    expect(await ring.recv(client, buf)).toBe(2);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });

  it("a closed peer makes recv resolve 0", async () => {
    const [client, server, l] = await pair(ring);
    await ring.closeFd(client);
    expect(await ring.recv(server, new Uint8Array(new ArrayBuffer(8)))).toBe(0);
    await Promise.all([ring.closeFd(server), ring.closeFd(l)]);
  });

  it("connecting where nothing listens is a typed ECONNREFUSED", async () => {
    const reserved = await ring.socket(AF_INET, SOCK_STREAM);
    await ring.bind(reserved, { address: "127.0.0.1", port: 0 }); // bound, not listening
    const port = (ring.localAddress(reserved) as { port: number }).port;
    const client = await ring.socket(AF_INET, SOCK_STREAM);
    const error = await rejection(ring.connect(client, { address: "127.0.0.1", port }));
    expect(error.code).toBe("ECONNREFUSED");
    expect(error.op).toBe("connect");
    await Promise.all([ring.closeFd(client), ring.closeFd(reserved)]);
  });

  it("UDP: sendmsg to an address, recvmsg with the sender's address", async () => {
    const a = await ring.socket(AF_INET, SOCK_DGRAM);
    const b = await ring.socket(AF_INET, SOCK_DGRAM);
    await ring.bind(a, { address: "127.0.0.1", port: 0 });
    await ring.bind(b, { address: "127.0.0.1", port: 0 });
    const aPort = (ring.localAddress(a) as { port: number }).port;
    const bPort = (ring.localAddress(b) as { port: number }).port;
    const parts = [new TextEncoder().encode("dat"), new TextEncoder().encode("agram")];
    expect(await ring.sendmsg(a, parts, { address: { address: "127.0.0.1", port: bPort } })).toBe(8);
    const into = [new Uint8Array(new ArrayBuffer(4)), new Uint8Array(new ArrayBuffer(16))];
    const got = await ring.recvmsg(b, into);
    expect(got.bytes).toBe(8);
    expect(got.address).toEqual({ family: "ipv4", address: "127.0.0.1", port: aPort });
    expect(new TextDecoder().decode(into[0]) + new TextDecoder().decode(into[1].subarray(0, 4))).toBe("datagram");
    await Promise.all([ring.closeFd(a), ring.closeFd(b)]);
  });

  it("zero-copy send resolves after its notification, with the data delivered", async (ctx) => {
    if (!ring.supports("sendZc")) skip(ctx, "IORING_OP_SEND_ZC needs Linux 6.0+");
    const [client, server, l] = await pair(ring);
    const data = random(256 * 1024, 4);
    let sent = 0;
    const receiving = (async () => {
      const got = new Uint8Array(data.length);
      let at = 0;
      const chunk = new Uint8Array(new ArrayBuffer(65536));
      while (at < data.length) {
        const n = await ring.recv(server, chunk);
        got.set(chunk.subarray(0, n), at);
        at += n;
      }
      return got;
    })();
    while (sent < data.length) sent += await ring.sendZc(client, data.subarray(sent));
    expect(await receiving).toEqual(data);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l)]);
  });
});

describe("sockets: direct descriptors and closing", () => {
  it("socketDirect and acceptDirect land in the file table; the FixedFiles carry the connection", async () => {
    using ring = RingClass.open({ entries: 16 });
    ring.registerFiles({ sparse: 8 });
    const l = await listener(ring);
    const client = await ring.socketDirect(AF_INET, SOCK_STREAM, 0, 2);
    expect(client.index).toBe(2);
    const [server] = await Promise.all([ring.acceptDirect(l.fd), ring.connect(client, { address: "127.0.0.1", port: l.port })]);
    expect(server.index).not.toBe(2);
    expect(await ring.send(client, new TextEncoder().encode("direct"))).toBe(6);
    const buf = new Uint8Array(new ArrayBuffer(8));
    expect(await ring.recv(server, buf)).toBe(6);
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l.fd)]);
    using bare = RingClass.open({ entries: 4 });
    expect(() => bare.socketDirect(AF_INET, SOCK_STREAM)).toThrow(/no file table/);
  });

  it("closing a ring with a listener and connections in flight cancels them all", async () => {
    const ring = RingClass.open({ entries: 16 });
    const l = await listener(ring);
    const [client, server] = await (async () => {
      const c = await ring.socket(AF_INET, SOCK_STREAM);
      const [a] = await Promise.all([ring.accept(l.fd), ring.connect(c, { address: "127.0.0.1", port: l.port })]);
      return [c, a.fd];
    })();
    const buffers = ring.registerBufferRing({ entries: 4, size: 256 });
    const accepting = ring.acceptMultishot(l.fd);
    const receiving = ring.recvMultishot(server, buffers);
    const nextAccept = accepting.next();
    const nextChunk = receiving.next();
    const plainRecv = ring.recv(client, new Uint8Array(new ArrayBuffer(8)));
    await ring.nop();
    ring.close();
    for (const p of [nextAccept, nextChunk, plainRecv]) expect((await rejection(p as Promise<unknown>)).code).toBe("ECANCELED");
    expect(ring.pending).toBe(0);
    buffers.close(); // after its ring: frees the memory, nothing left to unregister
  });
});

describe("sockets: Unix domain, old kernels, bad input", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("Unix-domain stream sockets by path", async () => {
    using ring = RingClass.open({ entries: 16 });
    const path = join(tmp.dir, "sock");
    const l = await ring.socket(AF_UNIX, SOCK_STREAM);
    await ring.bind(l, { path });
    await ring.listen(l);
    expect(ring.localAddress(l)).toEqual({ family: "unix", path });
    const client = await ring.socket(AF_UNIX, SOCK_STREAM);
    const [accepted] = await Promise.all([ring.accept(l), ring.connect(client, { path })]);
    await ring.send(accepted.fd, new TextEncoder().encode("unix"));
    const buf = new Uint8Array(new ArrayBuffer(8));
    expect(await ring.recv(client, buf)).toBe(4);
    await Promise.all([ring.closeFd(client), ring.closeFd(accepted.fd), ring.closeFd(l)]);
  });

  it("bind and listen use the syscalls where the kernel lacks IORING_OP_BIND/LISTEN (before 6.11)", async () => {
    using ring = RingClass.open({ entries: 16, assumeKernel: "6.10" });
    expect(ring.supports("bind")).toBe(false);
    const [client, server, l] = await pair(ring);
    await ring.send(client, new TextEncoder().encode("old"));
    expect(await ring.recv(server, new Uint8Array(new ArrayBuffer(4)))).toBe(3);
    const again = await ring.socket(AF_INET, SOCK_STREAM);
    const port = (ring.localAddress(l) as { port: number }).port;
    expect((await rejection(ring.bind(again, { address: "127.0.0.1", port }))).code).toBe("EADDRINUSE");
    await Promise.all([ring.closeFd(client), ring.closeFd(server), ring.closeFd(l), ring.closeFd(again)]);
  });

  it.each([
    ["address without port", (r: Ring) => r.connect(3, { address: "127.0.0.1" } as never), RangeError, /connect\(\): address.port must be an integer in \[0, 65535\]/],
    ["port out of range", (r: Ring) => r.bind(3, { address: "127.0.0.1", port: 70000 }), RangeError, /address.port/],
    ["not an IP address", (r: Ring) => r.connect(3, { address: "localhost", port: 80 }), TypeError, /not an IPv4 or IPv6 address: localhost/],
    ["NUL in a Unix path", (r: Ring) => r.bind(3, { path: "a\0b" }), TypeError, /address.path must be a non-empty string without NUL/],
    ["address not an object", (r: Ring) => r.connect(3, "127.0.0.1:80" as never), TypeError, /connect\(\): address must be/],
    ["unknown socket type bits", (r: Ring) => r.socket(AF_INET, 1 << 20), RangeError, /socket\(\): type has unknown bits/],
    ["negative fd", (r: Ring) => r.send(-1, new Uint8Array(1)), RangeError, /send\(\): fd/],
    ["bad shutdown how", (r: Ring) => r.shutdown(3, 3), RangeError, /shutdown\(\): how/],
    ["recvmsg without buffers", (r: Ring) => r.recvmsg(3, []), RangeError, /recvmsg\(\): buffers must not be empty/],
  ])("%s", (_name, call, type, message) => {
    using ring = RingClass.open({ entries: 4 });
    expect(() => call(ring)).toThrow(type);
    expect(() => call(ring)).toThrow(message);
    expect(ring.pending).toBe(0);
  });
});
