// struct sockaddr_in / sockaddr_in6 / sockaddr_un to and from the objects
// the socket methods take and return, in memory the kernel reads (and, for
// accept and recvmsg, writes) at the addresses handed to it.

// Addresses are parsed here, not with node:net's isIPv4/isIPv6: importing
// node:net costs Bun about 9 ms and starts Deno's Node compatibility layer.
// One parser both validates and encodes, so what is accepted is exactly
// what can be put in a sockaddr.

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z\-.:]+$/;

/** A dotted-quad IPv4 address's 4 bytes (no leading zeros, as inet_pton), or undefined when s is not one. */
function ipv4Bytes(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!DECIMAL_OCTET.test(parts[i]) || Number(parts[i]) > 255) return undefined;
    out[i] = Number(parts[i]);
  }
  return out;
}

/** The 16-bit groups of one side of "::" (a trailing dotted IPv4 part allowed where v4 is), or undefined. */
function ipv6Groups(half: string, v4: boolean): number[] | undefined {
  if (half === "") return [];
  const parts = half.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (v4 && i === parts.length - 1 && part.includes(".")) {
      const b = ipv4Bytes(part);
      if (b === undefined) return undefined;
      groups.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
    } else if (HEX_GROUP.test(part)) groups.push(parseInt(part, 16));
    else return undefined;
  }
  return groups;
}

/** An IPv6 address's 16 bytes (a trailing dotted IPv4 part and a %zone allowed; the zone is not encoded), or undefined. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  const zoneAt = text.indexOf("%");
  if (zoneAt >= 0 && !ZONE.test(text.slice(zoneAt + 1))) return undefined;
  const halves = (zoneAt >= 0 ? text.slice(0, zoneAt) : text).split("::");
  if (halves.length > 2) return undefined;
  const head = ipv6Groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? ipv6Groups(halves[1], true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const n = head.length + tail.length;
  // Without "::" all eight groups are there; "::" stands for at least one.
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - n).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i] >> 8;
    out[i * 2 + 1] = groups[i] & 0xff;
  }
  return out;
}

/** Whether s is a dotted-quad IPv4 address (as node:net's isIPv4). */
export function isIPv4(s: string): boolean {
  return ipv4Bytes(s) !== undefined;
}

/** Whether s is an IPv6 address, optionally with a zone (as node:net's isIPv6). */
export function isIPv6(s: string): boolean {
  return ipv6Bytes(s) !== undefined;
}

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
  const v6 = a.family === "ipv6" || a.family === undefined ? ipv6Bytes(a.address) : undefined;
  if (v6 !== undefined || a.family === "ipv6") {
    if (v6 === undefined) throw new TypeError(`${fn}(): ${name}.address is not an IPv6 address: ${a.address}`);
    const out = new Uint8Array(new ArrayBuffer(28));
    const v = new DataView(out.buffer);
    v.setUint16(0, AF_INET6, true);
    v.setUint16(2, port, false);
    out.set(v6, 8);
    return out;
  }
  const v4 = ipv4Bytes(a.address);
  if (v4 === undefined) throw new TypeError(`${fn}(): ${name}.address is not an IPv4 or IPv6 address: ${a.address}`);
  const out = new Uint8Array(new ArrayBuffer(16));
  const v = new DataView(out.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  out.set(v4, 4);
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
