// An echo server on io_uring, in Bun. Ctrl-C stops it; port 0 (the default) picks a free one.
// Run with: bun examples/echo-bun.ts [port]
import { Ring, serve } from "uringshim";

const ring = Ring.open();
const server = await serve(ring, { address: "127.0.0.1", port: Number(process.argv[2] ?? 0) }, async (conn) => {
  for await (const chunk of conn) await conn.write(chunk); // chunk: a view of the kernel-filled buffer
});
// Faster, with no promise per chunk: serve(ring, options, { data: (conn, chunk) => conn.send(chunk) }).
console.log(`echo server listening on ${server.address.address}:${server.port}`);

process.once("SIGINT", async () => {
  await server.close(); // stops accepting, closes every connection
  ring.close();
});
