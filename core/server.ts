// serve(): a TCP server over a Ring, so an echo or request/response server
// is a few lines, as a handler loop:
//
//   const server = await serve(ring, { port: 8080 }, async (conn) => {
//     for await (const chunk of conn) await conn.write(chunk);
//   });
//
// or as callbacks, the shape of Bun.listen's socket handlers, with no
// promise per chunk (the faster of the two):
//
//   const server = await serve(ring, { port: 8080 }, {
//     data(conn, chunk) { conn.send(chunk); },
//   });
//
// One multishot accept takes the connections; every connection receives
// with a multishot receive into one provided-buffer ring shared by the
// whole server.
import { BufferRing } from "./buffer-ring.ts";
import {
  checkAddress, checkRing, closeDirectly, Connection, type ConnectionOwner, isPeerGone, listenConnection, noop,
} from "./connection.ts";
import type { MultishotStream } from "./op-stream.ts";
import { SOCK_STREAM } from "./op-constants.ts";
import type { Ring } from "./ring.ts";
import { ownsBufferRing } from "./ring-net.ts";
import type { SocketAddress } from "./sockaddr.ts";
import { checkInteger, checkOptions } from "./validate.ts";

/** The buffer ring serve() registers when none is given: 256 buffers of 16 KiB (4 MiB of native memory). */
export const DEFAULT_SERVER_BUFFERS = { entries: 256, size: 16384 } as const;

export interface ServeOptions {
  /** The local address to listen on (an IPv4 or IPv6 literal). Default "127.0.0.1". */
  address?: string;
  /** The port; 0 (the default) picks a free one (see server.port). */
  port?: number;
  /** listen(2) backlog. Default 511. */
  backlog?: number;
  /**
   * Where every connection's receives land: a BufferRing of this ring
   * (shared, left open by close()), or { entries, size } for one the server
   * registers and closes. Default DEFAULT_SERVER_BUFFERS.
   */
  bufferRing?: BufferRing | { entries: number; size: number };
  /**
   * Called with what a handler threw, a failed send(), a failed receive
   * of a connection read with callbacks (unless handlers.error takes it),
   * and accept failures (after which accepting resumes). Default:
   * console.error, except ECONNRESET/EPIPE (the peer went away). Errors of
   * connections the server closed itself are not reported.
   */
  onError?: (error: unknown, conn: Connection | undefined) => void;
}

/**
 * Runs for each accepted connection. When the returned promise resolves,
 * the connection closes once its writes are sent; when it rejects, at once.
 */
export type ConnectionHandler = (conn: Connection) => unknown;

/**
 * serve()'s callbacks, instead of a handler function: each chunk is handed
 * to data() as its completion is reaped, with no promise in between. A
 * callback that throws has its error reported (as error() would be) and
 * its connection closed.
 */
export interface ConnectionHandlers {
  /** A connection was accepted; data() follows as data arrives. */
  open?(conn: Connection): void;
  /**
   * Data arrived. chunk is a view of the buffer the kernel filled, valid
   * until this call returns and every write started by then has been sent:
   * conn.send(chunk) (or write) needs no copy. Copy it to keep it longer.
   */
  data(conn: Connection, chunk: Uint8Array): void;
  /** The peer closed its side. Default: conn.closeAfterWrites(). */
  end?(conn: Connection): void;
  /** A receive, a send() or a callback failed; the connection closes next. Default: options.onError. */
  error?(conn: Connection, error: unknown): void;
  /** The connection is closed (by either side, or by server.close()). */
  close?(conn: Connection): void;
}

function checkHandler(handler: unknown): ConnectionHandler | ConnectionHandlers {
  if (typeof handler === "function") return handler as ConnectionHandler;
  if (handler === null || typeof handler !== "object") {
    throw new TypeError("serve(): handler must be a function or an object of callbacks ({ data, open?, end?, error?, close? })");
  }
  const h = handler as Record<string, unknown>;
  if (typeof h.data !== "function") throw new TypeError("serve(): handler.data must be a function");
  for (const name of ["open", "end", "error", "close"]) {
    if (h[name] !== undefined && typeof h[name] !== "function") throw new TypeError(`serve(): handler.${name} must be a function`);
  }
  return handler as ConnectionHandlers;
}

/** A listening socket and its connections (see serve()). */
export class Server implements AsyncDisposable {
  readonly #ring: Ring;
  /** The listening socket. */
  readonly fd: number;
  /** The address it is bound to (the port the kernel picked for port 0). */
  readonly address: SocketAddress & { family: "ipv4" | "ipv6" };
  readonly #buffers: BufferRing;
  readonly #ownsBuffers: boolean;
  readonly #handler: ConnectionHandler | ConnectionHandlers;
  readonly #onError: (error: unknown, conn: Connection | undefined) => void;
  readonly #connections = new Set<Connection>();
  /** Callback mode: data() bound to the handlers object. */
  readonly #onData: ((conn: Connection, chunk: Uint8Array) => void) | undefined;
  #accepting: MultishotStream<number> | undefined;
  #acceptLoop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #owner: ConnectionOwner = {
    failed: (conn, error) => this.#report(conn, error),
    ended: (conn) => {
      const h = this.#handler as ConnectionHandlers;
      if (h.end === undefined) void conn.closeAfterWrites();
      else this.#call(conn, () => h.end!(conn));
    },
    closed: (conn) => {
      if (!this.#connections.delete(conn)) return;
      const h = this.#handler;
      if (typeof h !== "function" && h.close !== undefined) {
        try {
          h.close(conn);
        } catch (e) {
          this.#onError(e, conn);
        }
      }
    },
  };

  /** @internal Made by serve(). */
  constructor(
    ring: Ring, fd: number, buffers: BufferRing, ownsBuffers: boolean, handler: ConnectionHandler | ConnectionHandlers,
    onError: ((error: unknown, conn: Connection | undefined) => void) | undefined,
  ) {
    this.#ring = ring;
    this.fd = fd;
    this.address = ring.localAddress(fd) as Server["address"];
    this.#buffers = buffers;
    this.#ownsBuffers = ownsBuffers;
    this.#handler = handler;
    this.#onData = typeof handler === "function" ? undefined : (conn, chunk) => handler.data(conn, chunk);
    this.#onError = onError ?? ((e) => {
      if (!isPeerGone(e)) console.error("uringshim server:", e);
    });
    this.#acceptLoop = this.#accept();
  }

  get port(): number {
    return this.address.port;
  }

  /** Connections open right now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** The buffer ring every connection receives into. */
  get bufferRing(): BufferRing {
    return this.#buffers;
  }

  async #accept(): Promise<void> {
    const ring = this.#ring;
    while (this.#closing === undefined && !ring.closed) {
      try {
        this.#accepting = ring.acceptMultishot(this.fd);
        for await (const fd of this.#accepting) this.#run(fd);
      } catch (e) {
        if (this.#closing !== undefined || ring.closed) break;
        // EMFILE, ENFILE, ENOMEM…: report, pause, accept again.
        this.#onError(e, undefined);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    // The ring was closed under the server: nothing can be accepted any
    // more, so close the connections and the socket now.
    if (this.#closing === undefined && ring.closed) void this.close();
  }

  #run(fd: number): void {
    const conn = new Connection(this.#ring, fd, this.#buffers, undefined, this.#owner);
    this.#connections.add(conn);
    const handler = this.#handler;
    if (typeof handler !== "function") {
      // Before open(): the connection is in push mode from the start. Its first
      // data comes in a later reap pass, so open() still runs first.
      listenConnection(conn, this.#onData!);
      if (handler.open !== undefined) this.#call(conn, () => handler.open!(conn));
      return;
    }
    let result: unknown;
    try {
      result = handler(conn);
    } catch (e) {
      result = Promise.reject(e);
    }
    // Done: what it queued (send() has no promise to wait for) still goes out.
    Promise.resolve(result).then(() => conn.closeAfterWrites(), (e) => {
      // A connection the server (or the ring) closed fails its handler's reads and writes: not news.
      if (!conn.closed && !this.#ring.closed) this.#onError(e, conn);
      return conn.close();
    }).catch(noop);
  }

  /** Runs a callback of conn's; what it throws is reported and closes conn. */
  #call(conn: Connection, callback: () => void): void {
    try {
      callback();
    } catch (e) {
      this.#report(conn, e);
      void conn.close();
    }
  }

  /** A connection's failure, unless the server (or the ring) is closing it anyway. */
  #report(conn: Connection, error: unknown): void {
    if (conn.closed || this.#closing !== undefined || this.#ring.closed) return;
    const h = this.#handler;
    if (typeof h === "function" || h.error === undefined) return this.#onError(error, conn);
    try {
      h.error(conn, error);
    } catch (e) {
      this.#onError(e, conn);
    }
  }

  /**
   * Stops accepting, closes every connection (their loops end, their writes
   * in flight reject ECANCELED), closes the listening socket, and the
   * buffer ring if the server registered it. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const ring = this.#ring;
    if (this.#accepting !== undefined) await this.#accepting.return();
    await this.#acceptLoop;
    await Promise.all([...this.#connections].map((c) => c.close()));
    if (!ring.closed) await ring.closeFd(this.fd).catch(noop);
    else closeDirectly(this.fd);
    if (this.#ownsBuffers) this.#buffers.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Listens on options.address:options.port and serves every connection,
 * until server.close(), with handler: a function run per connection (the
 * connection closes when its promise settles), or callbacks
 * (ConnectionHandlers). Resolves once the socket is listening.
 *
 * ```ts
 * await using server = await serve(ring, { port: 0 }, async (conn) => {
 *   for await (const chunk of conn) await conn.write(chunk);
 * });
 * ```
 */
export async function serve(ring: Ring, options: ServeOptions, handler: ConnectionHandler | ConnectionHandlers): Promise<Server> {
  checkRing("serve", ring);
  const o = checkOptions("serve", options);
  const { address, family } = checkAddress("serve", o.address ?? "127.0.0.1");
  const port = checkInteger("serve", "options.port", o.port ?? 0, 0, 65535);
  const backlog = checkInteger("serve", "options.backlog", o.backlog ?? 511, 0, 0x7fff_ffff);
  const h = checkHandler(handler);
  if (o.onError !== undefined && typeof o.onError !== "function") throw new TypeError("serve(): options.onError must be a function");
  let buffers: BufferRing;
  let owns = false;
  if (o.bufferRing instanceof BufferRing) {
    if (!ownsBufferRing(ring, o.bufferRing)) throw new TypeError("serve(): options.bufferRing must be an open BufferRing of this ring");
    buffers = o.bufferRing;
  } else {
    const b = checkOptions("serve", o.bufferRing ?? DEFAULT_SERVER_BUFFERS, "options.bufferRing");
    // Checked here so an error names serve()'s option, not registerBufferRing()'s.
    const entries = checkInteger("serve", "options.bufferRing.entries", b.entries, 1, 32768);
    if ((entries & (entries - 1)) !== 0) throw new RangeError(`serve(): options.bufferRing.entries must be a power of two, got ${entries}`);
    const size = checkInteger("serve", "options.bufferRing.size", b.size, 1, 0xffff_ffff);
    buffers = ring.registerBufferRing({ entries, size });
    owns = true;
  }
  let fd = -1;
  try {
    fd = await ring.socket(family, SOCK_STREAM);
    await ring.bind(fd, { address, port });
    await ring.listen(fd, backlog);
    return new Server(ring, fd, buffers, owns, h, o.onError as ServeOptions["onError"]);
  } catch (e) {
    if (fd >= 0) await ring.closeFd(fd).catch(noop);
    if (owns) buffers.close();
    throw e;
  }
}
