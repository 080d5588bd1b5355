// Helpers of the socket server tests (connection, serve-callbacks): a
// node:net peer, hashes, and bounded waiting.
import { createHash } from "node:crypto";
import net from "node:net";

export function sha(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Polls cond every 5 ms; throws after 5 s. */
export async function waitFor(cond: () => boolean, what = "condition"): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Everything a node:net client receives after writing data and half-closing. */
export function nodeRoundTrip(port: number, data: Uint8Array, host = "127.0.0.1"): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = net.connect(port, host, () => s.end(data));
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("error", reject);
    s.on("close", () => resolve(Buffer.concat(parts)));
  });
}
