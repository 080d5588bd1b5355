// An echo server on io_uring, in Deno. Ctrl-C stops it; port 0 (the default) picks a free one.
// The sockets are the kernel's, made through io_uring: no --allow-net.
// Run with: deno run --allow-ffi --allow-read examples/echo-deno.ts [port]
import { Ring, serve } from "uringshim";

const ring = Ring.open();
const server = await serve(ring, { address: "127.0.0.1", port: Number(Deno.args[0] ?? 0) }, async (conn) => {
  for await (const chunk of conn) await conn.write(chunk); // chunk: a view of the kernel-filled buffer
});
// Faster, with no promise per chunk: serve(ring, options, { data: (conn, chunk) => conn.send(chunk) }).
console.log(`echo server listening on ${server.address.address}:${server.port}`);

const stop = async () => {
  Deno.removeSignalListener("SIGINT", stop); // a signal listener keeps Deno running
  await server.close(); // stops accepting, closes every connection
  ring.close();
};
Deno.addSignalListener("SIGINT", stop);
