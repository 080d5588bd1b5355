// TCP connections over a Ring, so an echo or request/response server is a
// few lines:
//
//   const server = await serve(ring, { port: 8080 }, async (conn) => {
//     for await (const chunk of conn) await conn.write(chunk);
//   });
//
// serve() listens and accepts with one multishot accept; every accepted
// connection receives with a multishot receive into one provided-buffer
// ring shared by the whole server. connect() dials out. No protocol
// parsing: chunks are whatever the kernel delivered.
//
// Chunks are zero-copy: each is a view of the buffer the kernel wrote the
// data into, valid until the loop asks for the next chunk (or leaves, or
// the connection closes); then the buffer goes back to the kernel. Copy a
// chunk (chunk.slice()) to keep it longer. Awaiting write(chunk) inside the
// loop is safe: the buffer is handed back only after the send is done.
import { BufferRing } from "./buffer-ring.ts";
import { closedError, UringError } from "./errors.ts";
import { getNative } from "./native.ts";
import type { MultishotStream } from "./op-stream.ts";
import { SOCK_STREAM } from "./op-constants.ts";
import { Ring } from "./ring.ts";
import { ownsBufferRing, type ReceivedChunk } from "./ring-net.ts";
import { AF_INET, AF_INET6, type SocketAddress } from "./sockaddr.ts";
import { checkBuffer, checkInteger, checkOptions } from "./validate.ts";
import { isIPv4, isIPv6 } from "node:net";

/** The buffer ring serve() registers when none is given: 256 buffers of 16 KiB (4 MiB of native memory). */
export const DEFAULT_SERVER_BUFFERS = { entries: 256, size: 16384 } as const;
/** The private receive buffer of a connect()ed connection without a buffer ring. */
const DEFAULT_READ_SIZE = 65536;

const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true });
const encoder = new TextEncoder();

function noop(): void {}

/** Errors that only say the peer went away (not worth reporting from a server). */
function isPeerGone(e: unknown): boolean {
  return e instanceof UringError && (e.code === "ECONNRESET" || e.code === "EPIPE");
}

/**
 * Closes a socket the ring can no longer close: the ring was closed (which
 * cancelled everything on the socket), but the fd still belongs to us.
 */
function closeDirectly(fd: number): void {
  getNative().close(fd);
}

function checkRing(fn: string, ring: unknown): Ring {
  if (!(ring instanceof Ring)) throw new TypeError(`${fn}(): ring must be a Ring`);
  if (ring.closed) throw closedError(fn);
  return ring;
}

function checkAddress(fn: string, value: unknown): { address: string; family: number } {
  if (typeof value !== "string" || !(isIPv4(value) || isIPv6(value))) {
    throw new TypeError(`${fn}(): options.address must be an IPv4 or IPv6 address such as "127.0.0.1" or "::1", got ${JSON.stringify(value)}`);
  }
  return { address: value, family: isIPv6(value) ? AF_INET6 : AF_INET };
}

/**
 * One TCP connection: read it with `for await (const chunk of conn)`,
 * write with write(), close with close(). Made by serve() and connect().
 */
export class Connection implements AsyncIterable<Uint8Array>, AsyncDisposable {
  readonly #ring: Ring;
  /** The socket; it belongs to the connection, which closes it. */
  readonly fd: number;
  /** Multishot receives select from this ring (the server's), or… */
  readonly #buffers: BufferRing | undefined;
  /** …single receives go into this private buffer (connect() without a buffer ring). */
  readonly #readBuffer: Uint8Array | undefined;
  #stream: MultishotStream<ReceivedChunk> | undefined;
  /** The buffer of the chunk last handed out, given back on the next read (-1: none). */
  #held = -1;
  /** A read is in flight (a single recv, or the stream's next()). */
  #reading = false;
  /** The peer closed its side (a read returned 0 bytes) or a read failed. */
  #ended = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Writes not yet done, and the last one: each write starts after the previous finished. */
  #writes = 0;
  #lastWrite: Promise<void> | undefined;
  readonly #iterator: AsyncIterator<Uint8Array>;

  /** @internal Made by serve() and connect(). */
  constructor(ring: Ring, fd: number, buffers: BufferRing | undefined, readSize = DEFAULT_READ_SIZE) {
    this.#ring = ring;
    this.fd = fd;
    this.#buffers = buffers;
    // An ArrayBuffer of its own, large enough that its memory never moves while the kernel writes it.
    this.#readBuffer = buffers === undefined ? new Uint8Array(new ArrayBuffer(readSize)) : undefined;
    this.#iterator = { next: () => this.#next(), return: () => this.#leave() };
  }

  /** True once close() was called (by the caller, the server, or a finished handler). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The local address of the socket (getsockname). */
  get localAddress(): SocketAddress | undefined {
    return this.#ring.localAddress(this.fd);
  }

  /**
   * The received data, chunk by chunk, until the peer closes its side (the
   * loop ends) or a receive fails (it throws the UringError, e.g.
   * ECONNRESET). Each chunk is a view valid until the loop asks for the
   * next one. Leaving the loop early keeps the connection and what was
   * received but not read: a later loop continues where this one stopped.
   * One loop at a time.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#iterator;
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    this.#releaseHeld();
    if (this.#closed || this.#ended) return Promise.resolve(DONE);
    if (this.#reading) return Promise.reject(new TypeError("Connection: next() called again before the previous read settled; read in one loop at a time"));
    this.#reading = true;
    const buffers = this.#buffers;
    if (buffers !== undefined) {
      const stream = (this.#stream ??= this.#ring.recvMultishot(this.fd, buffers));
      return stream.next().then(this.#onChunk, this.#onReadError);
    }
    return this.#ring.recv(this.fd, this.#readBuffer!).then(this.#onRecv, this.#onReadError);
  }

  readonly #onChunk = (r: IteratorResult<ReceivedChunk>): IteratorResult<Uint8Array> => {
    this.#reading = false;
    if (r.done) {
      this.#ended = true;
      return DONE;
    }
    const chunk = r.value;
    // Incremental rings keep filling a buffer (more): it goes back with its last chunk.
    if (!chunk.more) this.#held = chunk.bufferId;
    if (this.#closed) {
      this.#releaseHeld();
      return DONE;
    }
    return { value: chunk.data, done: false };
  };

  readonly #onRecv = (n: number): IteratorResult<Uint8Array> => {
    this.#reading = false;
    if (n === 0 || this.#closed) {
      this.#ended = true;
      return DONE;
    }
    return { value: this.#readBuffer!.subarray(0, n), done: false };
  };

  readonly #onReadError = (e: unknown): IteratorResult<Uint8Array> => {
    this.#reading = false;
    this.#ended = true;
    if (this.#closed) return DONE; // our own close() cancelled the read
    throw e;
  };

  /** for-await's return(): gives the current chunk's buffer back; the receive stays armed. */
  #leave(): Promise<IteratorResult<Uint8Array>> {
    this.#releaseHeld();
    return Promise.resolve(DONE);
  }

  #releaseHeld(): void {
    const bid = this.#held;
    if (bid < 0) return;
    this.#held = -1;
    if (!this.#buffers!.closed) this.#buffers!.release(bid);
  }

  /**
   * Sends every byte of data (a string is sent as UTF-8), continuing after
   * partial sends; resolves when all of it is sent. Writes go out in call
   * order: one started while another is in flight waits for it (and fails
   * with its error if it fails). Rejects with a UringError (EPIPE,
   * ECONNRESET, ECANCELED when close() cut it short).
   */
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): Promise<void> {
    if (this.#closed) return Promise.reject(closedError("Connection.write", "connection"));
    const bytes = typeof data === "string" ? encoder.encode(data) : checkBuffer("Connection.write", data, "data");
    if (bytes.byteLength === 0) return this.#lastWrite ?? Promise.resolve();
    this.#writes++;
    const p = this.#sendAll(bytes, this.#lastWrite);
    this.#lastWrite = p;
    return p;
  }

  async #sendAll(bytes: Uint8Array, previous: Promise<void> | undefined): Promise<void> {
    try {
      if (previous !== undefined) await previous;
      const ring = this.#ring;
      const fd = this.fd;
      let at = await ring.send(fd, bytes);
      while (at < bytes.byteLength) at += await ring.send(fd, bytes.subarray(at));
    } finally {
      if (--this.#writes === 0) this.#lastWrite = undefined;
    }
  }

  /**
   * Shuts down the sending side (the peer's reads then end) once the writes
   * in flight are done; reading goes on.
   */
  async end(): Promise<void> {
    if (this.#closed) throw closedError("Connection.end", "connection");
    if (this.#lastWrite !== undefined) await this.#lastWrite;
    await this.#ring.shutdown(this.fd, 1 /* SHUT_WR */);
  }

  /**
   * Closes the connection: cancels the receive and any write in flight (it
   * rejects ECANCELED), waits for the kernel to finish with their buffers,
   * gives every buffer back and closes the socket. A loop reading the
   * connection ends. Idempotent; resolves when the socket is closed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const ring = this.#ring;
    if (ring.closed) return closeDirectly(this.fd);
    // The stream's own cancel first (it then expects ECANCELED), then everything else on the fd.
    const stopping = this.#stream?.return();
    if (this.#reading || this.#writes > 0) await ring.cancel({ fd: this.fd }).catch(noop);
    await stopping;
    if (this.#lastWrite !== undefined) await this.#lastWrite.catch(noop);
    this.#releaseHeld();
    if (!ring.closed) await ring.closeFd(this.fd).catch(noop);
    else closeDirectly(this.fd); // the ring closed while we waited
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

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
   * Called with what a handler threw (and accept failures, after which
   * accepting resumes). Default: console.error, except ECONNRESET/EPIPE
   * (the peer went away). Errors of connections the server closed itself
   * are not reported.
   */
  onError?: (error: unknown, conn: Connection | undefined) => void;
}

/** Runs for each accepted connection; the connection is closed when the returned promise settles. */
export type ConnectionHandler = (conn: Connection) => unknown;

/** A listening socket and its connections (see serve()). */
export class Server implements AsyncDisposable {
  readonly #ring: Ring;
  /** The listening socket. */
  readonly fd: number;
  /** The address it is bound to (the port the kernel picked for port 0). */
  readonly address: SocketAddress & { family: "ipv4" | "ipv6" };
  readonly #buffers: BufferRing;
  readonly #ownsBuffers: boolean;
  readonly #handler: ConnectionHandler;
  readonly #onError: (error: unknown, conn: Connection | undefined) => void;
  readonly #connections = new Set<Connection>();
  #accepting: MultishotStream<number> | undefined;
  #acceptLoop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Made by serve(). */
  constructor(
    ring: Ring, fd: number, buffers: BufferRing, ownsBuffers: boolean, handler: ConnectionHandler,
    onError: ((error: unknown, conn: Connection | undefined) => void) | undefined,
  ) {
    this.#ring = ring;
    this.fd = fd;
    this.address = ring.localAddress(fd) as Server["address"];
    this.#buffers = buffers;
    this.#ownsBuffers = ownsBuffers;
    this.#handler = handler;
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
    const conn = new Connection(this.#ring, fd, this.#buffers);
    this.#connections.add(conn);
    let result: unknown;
    try {
      result = this.#handler(conn);
    } catch (e) {
      result = Promise.reject(e);
    }
    const done = () => {
      this.#connections.delete(conn);
      return conn.close();
    };
    Promise.resolve(result).then(done, (e) => {
      // A connection the server (or the ring) closed fails its handler's reads and writes: not news.
      if (!conn.closed && !this.#ring.closed) this.#onError(e, conn);
      return done();
    }).catch(noop);
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
    const connections = [...this.#connections];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.close()));
    if (!ring.closed) await ring.closeFd(this.fd).catch(noop);
    else closeDirectly(this.fd);
    if (this.#ownsBuffers) this.#buffers.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Listens on options.address:options.port and calls handler(conn) for
 * every connection, until server.close(). Resolves once the socket is
 * listening.
 *
 * ```ts
 * await using server = await serve(ring, { port: 0 }, async (conn) => {
 *   for await (const chunk of conn) await conn.write(chunk);
 * });
 * ```
 */
export async function serve(ring: Ring, options: ServeOptions, handler: ConnectionHandler): Promise<Server> {
  checkRing("serve", ring);
  const o = checkOptions("serve", options);
  const { address, family } = checkAddress("serve", o.address ?? "127.0.0.1");
  const port = checkInteger("serve", "options.port", o.port ?? 0, 0, 65535);
  const backlog = checkInteger("serve", "options.backlog", o.backlog ?? 511, 0, 0x7fff_ffff);
  if (typeof handler !== "function") throw new TypeError("serve(): handler must be a function");
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
    return new Server(ring, fd, buffers, owns, handler, o.onError as ServeOptions["onError"]);
  } catch (e) {
    if (fd >= 0) await ring.closeFd(fd).catch(noop);
    if (owns) buffers.close();
    throw e;
  }
}

export interface ConnectOptions {
  /** The peer's address (an IPv4 or IPv6 literal). Default "127.0.0.1". */
  address?: string;
  port: number;
  /** Receive with multishot receives into this buffer ring instead of single receives into a private buffer. */
  bufferRing?: BufferRing;
  /** Size of the private receive buffer (the largest chunk) without a buffer ring. Default 65536. */
  readSize?: number;
}

/** Connects to options.address:options.port; rejects with a UringError (ECONNREFUSED …). */
export async function connect(ring: Ring, options: ConnectOptions): Promise<Connection> {
  checkRing("connect", ring);
  const o = checkOptions("connect", options);
  const { address, family } = checkAddress("connect", o.address ?? "127.0.0.1");
  const port = checkInteger("connect", "options.port", o.port, 1, 65535);
  const readSize = checkInteger("connect", "options.readSize", o.readSize ?? DEFAULT_READ_SIZE, 1, 1 << 30);
  if (o.bufferRing !== undefined && !ownsBufferRing(ring, o.bufferRing)) {
    throw new TypeError("connect(): options.bufferRing must be an open BufferRing of this ring");
  }
  const fd = await ring.socket(family, SOCK_STREAM);
  try {
    await ring.connect(fd, { address, port });
  } catch (e) {
    await ring.closeFd(fd).catch(noop);
    throw e;
  }
  return new Connection(ring, fd, o.bufferRing as BufferRing | undefined, readSize);
}

