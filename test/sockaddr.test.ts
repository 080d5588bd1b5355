// IP address text as the socket methods parse it (core/sockaddr.ts, its own
// parser rather than node:net's): the same addresses accepted and refused
// as node:net, and the bytes the kernel gets, read back through a real
// socket bound to them.
import { isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from "node:net";
import { describe, expect, it } from "vitest";
import { isIPv4, isIPv6 } from "../core/sockaddr.ts";
import { uring } from "./support/uring.ts";

const { Ring, AF_INET, AF_INET6, SOCK_STREAM } = uring;

const candidates = [
  "0.0.0.0", "127.0.0.1", "255.255.255.255", "1.2.3.4", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04",
  "1..2.3", " 1.2.3.4", "1.2.3.4 ", "", "a.b.c.d", "1.2.3.-4", "1e2.1.1.1",
  "::", "::1", "1::", "fe80::1%eth0", "fe80::1%", "fe80::1%a b", "::ffff:1.2.3.4", "::ffff:1.2.3.256", "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::2::3", ":1::", "1:::2", "12345::",
  "g::1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4::", "::1.2.3.4", "ABCD:ef01::", "2001:db8::8a2e:370:7334",
];

describe("address parsing", () => {
  it.each(candidates)("%j: accepted or refused as node:net does", (text) => {
    expect([isIPv4(text), isIPv6(text)]).toEqual([nodeIsIPv4(text), nodeIsIPv6(text)]);
  });

  it("encodes what it accepts: a socket bound to it reports it back", async () => {
    const ring = Ring.open({ entries: 8 });
    try {
      for (const [family, address, expected] of [
        [AF_INET, "127.0.0.1", "127.0.0.1"],
        [AF_INET6, "::1", "::1"],
        [AF_INET6, "0:0:0:0:0:0:0:1", "::1"],
        [AF_INET6, "::ffff:127.0.0.1", "::ffff:7f00:1"],
      ] as const) {
        const fd = await ring.socket(family, SOCK_STREAM);
        try {
          await ring.bind(fd, { address, port: 0 });
          expect(ring.localAddress(fd)).toMatchObject({ address: expected });
        } finally {
          await ring.closeFd(fd);
        }
      }
    } finally {
      ring.close();
    }
  });
});
