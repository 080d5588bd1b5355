// struct sockaddr_in / sockaddr_in6 / sockaddr_un to and from the objects
// the socket methods take and return, in memory the kernel reads (and, for
// accept and recvmsg, writes) at the addresses handed to it.
import { isIPv4, isIPv6 } from "node:net";

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
const SUN_PATH_MAX = 108;
/** Room for any address the kernel may write back (sizeof(struct sockaddr_storage)). */
export const SOCKADDR_STORAGE_BYTES = 128;

/** An IPv4/IPv6 address and port, or a Unix-domain socket path. */
export type SocketAddress =
  | { family: "ipv4" | "ipv6"; address: string; port: number }
  | { family: "unix"; path: string };

/** What the socket methods accept: the family may be left out for IP addresses. */
export type SocketAddressInput = { address: string; port: number; family?: "ipv4" | "ipv6" } | { path: string };

function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = text;
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes the last 32 bits.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = dotted[1].split(".").map(Number);
    const hex = `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
    s = s.slice(0, -dotted[1].length) + hex;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  // The longest run of zero groups (2 or more) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Encodes addr as a sockaddr in stable memory; `name` is used in errors. */
export function encodeSockaddr(fn: string, addr: unknown, name = "address"): Uint8Array {
  if (addr === null || typeof addr !== "object") {
    throw new TypeError(`${fn}(): ${name} must be { address, port } or { path }, got ${String(addr)}`);
  }
  const a = addr as Record<string, unknown>;
  if ("path" in a) {
    if (typeof a.path !== "string" || a.path.length === 0 || a.path.includes("\0")) {
      throw new TypeError(`${fn}(): ${name}.path must be a non-empty string without NUL`);
    }
    const path = new TextEncoder().encode(a.path);
    if (path.length >= SUN_PATH_MAX) throw new RangeError(`${fn}(): ${name}.path is ${path.length} bytes; at most ${SUN_PATH_MAX - 1}`);
    const out = new Uint8Array(new ArrayBuffer(2 + path.length + 1));
    new DataView(out.buffer).setUint16(0, AF_UNIX, true);
    out.set(path, 2);
    return out;
  }
  const port = a.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${fn}(): ${name}.port must be an integer in [0, 65535], got ${String(port)}`);
  }
  if (typeof a.address !== "string") throw new TypeError(`${fn}(): ${name}.address must be a string`);
  const v6 = a.family === "ipv6" || (a.family === undefined && isIPv6(a.address));
  if (v6) {
    if (!isIPv6(a.address)) throw new TypeError(`${fn}(): ${name}.address is not an IPv6 address: ${a.address}`);
    const out = new Uint8Array(new ArrayBuffer(28));
    const v = new DataView(out.buffer);
    v.setUint16(0, AF_INET6, true);
    v.setUint16(2, port, false);
    out.set(ipv6Bytes(a.address), 8);
    return out;
  }
  if (!isIPv4(a.address)) throw new TypeError(`${fn}(): ${name}.address is not an IPv4 or IPv6 address: ${a.address}`);
  const out = new Uint8Array(new ArrayBuffer(16));
  const v = new DataView(out.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  a.address.split(".").forEach((part, i) => (out[4 + i] = Number(part)));
  return out;
}

/** Decodes the first len bytes of a sockaddr the kernel wrote; undefined for a family not handled here. */
export function decodeSockaddr(bytes: Uint8Array, len: number): SocketAddress | undefined {
  if (len < 2) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = v.getUint16(0, true);
  if (family === AF_INET && len >= 16) {
    return { family: "ipv4", address: Array.from(bytes.subarray(4, 8)).join("."), port: v.getUint16(2, false) };
  }
  if (family === AF_INET6 && len >= 24) {
    return { family: "ipv6", address: ipv6Text(bytes.subarray(8, 24)), port: v.getUint16(2, false) };
  }
  if (family === AF_UNIX) {
    const raw = bytes.subarray(2, len);
    const nul = raw.indexOf(0);
    return { family: "unix", path: new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul)) };
  }
  return undefined;
}
