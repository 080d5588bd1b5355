// One TCP connection over a Ring (server.ts accepts them, connect() dials
// out). Two ways to read it:
//
//   for await (const chunk of conn) await conn.write(chunk);   // a handler loop
//   serve(ring, options, { data(conn, chunk) { conn.send(chunk); } })   // callbacks
//
// A connection of a server receives with a multishot receive into the
// server's shared provided-buffer ring; a connect()ed one with single
// receives into a private buffer (or a buffer ring it is given). No
// protocol parsing: chunks are whatever the kernel delivered.
//
// Chunks are zero-copy views of the buffer the kernel wrote. A buffer goes
// back to the kernel when its chunk is done with (the loop asks for the
// next one, or the data callback returns) and every write started before
// that has been sent, so writing a chunk back needs no copy, awaited or
// not. Copy a chunk (chunk.slice()) to keep it longer.
//
// Writes go out one after another in call order, each resubmitted until
// every byte is sent: write() resolves then; send() has no promise, and a
// failure closes the connection instead (reported like a handler's error).
import type { BufferRing } from "./buffer-ring.ts";
import { closedError, UringError } from "./errors.ts";
import { getNative } from "./native.ts";
import type { MultishotStream } from "./op-stream.ts";
import { type CqeSink, type Op, opError } from "./ops.ts";
import { SOCK_STREAM } from "./op-constants.ts";
import { Ring } from "./ring.ts";
import { ownsBufferRing, type ReceivedChunk, sendTo } from "./ring-net.ts";
import { AF_INET, AF_INET6, isIPv4, isIPv6, type SocketAddress } from "./sockaddr.ts";
import { checkBuffer, checkInteger, checkOptions } from "./validate.ts";

/** The private receive buffer of a connect()ed connection without a buffer ring. */
const DEFAULT_READ_SIZE = 65536;

const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true });
const NOTHING = new Uint8Array(0);
const encoder = new TextEncoder();

export function noop(): void {}

/** Errors that only say the peer went away (not worth reporting from a server). */
export function isPeerGone(e: unknown): boolean {
  return e instanceof UringError && (e.code === "ECONNRESET" || e.code === "EPIPE");
}

/**
 * Closes a socket the ring can no longer close: the ring was closed (which
 * cancelled everything on the socket), but the fd still belongs to us.
 */
export function closeDirectly(fd: number): void {
  getNative().close(fd);
}

export function checkRing(fn: string, ring: unknown): Ring {
  if (!(ring instanceof Ring)) throw new TypeError(`${fn}(): ring must be a Ring`);
  if (ring.closed) throw closedError(fn);
  return ring;
}

export function checkAddress(fn: string, value: unknown): { address: string; family: number } {
  if (typeof value !== "string" || !(isIPv4(value) || isIPv6(value))) {
    throw new TypeError(`${fn}(): options.address must be an IPv4 or IPv6 address such as "127.0.0.1" or "::1", got ${JSON.stringify(value)}`);
  }
  return { address: value, family: isIPv6(value) ? AF_INET6 : AF_INET };
}

/** What write()/send() send: a string as UTF-8, a buffer as it is (checked, naming fn). */
function bytesOf(fn: string, data: unknown): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : checkBuffer(fn, data, "data");
}

/** A write in the queue: bytes from `at` on are still to go. */
interface PendingWrite {
  bytes: Uint8Array;
  at: number;
  /** write()'s promise; undefined for send() and for a held buffer. */
  resolve: (() => void) | undefined;
  reject: ((e: unknown) => void) | undefined;
  /** A received buffer handed back once the writes before it are done (-1: none). */
  hold: number;
}

/** @internal What a server hears from its connections. */
export interface ConnectionOwner {
  /** A send(), a receive in push mode, or a callback failed; the connection closes next. */
  failed(conn: Connection, error: unknown): void;
  /** The peer closed its side of a connection read in push mode. */
  ended(conn: Connection): void;
  /** close() has finished: the socket is closed. */
  closed(conn: Connection): void;
}

/** @internal Push mode: every chunk goes to onData as it arrives (serve()'s callbacks). */
export let listenConnection: (conn: Connection, onData: (conn: Connection, chunk: Uint8Array) => void) => void;

/**
 * One TCP connection: read it with `for await (const chunk of conn)` (or a
 * server's data callback), write with write() or send(), close with close().
 * Made by serve() and connect().
 */
export class Connection implements AsyncIterable<Uint8Array>, AsyncDisposable {
  static {
    listenConnection = (conn, onData) => conn.#listen(onData);
  }

  readonly #ring: Ring;
  /** The socket; it belongs to the connection, which closes it. */
  readonly fd: number;
  /** Multishot receives select from this ring (the server's), or… */
  readonly #buffers: BufferRing | undefined;
  /** …single receives go into this private buffer (connect() without a buffer ring). */
  readonly #readBuffer: Uint8Array | undefined;
  readonly #owner: ConnectionOwner | undefined;
  #stream: MultishotStream<ReceivedChunk> | undefined;
  /** Read in push mode (a server's data callback), never by a loop. */
  #pushed = false;
  /** The buffer of the chunk last handed out by the loop, given back on the next read (-1: none). */
  #held = -1;
  /** A read is in flight (a single recv, or the stream's next()). */
  #reading = false;
  /** The peer closed its side (a read returned 0 bytes) or a read failed. */
  #ended = false;
  /** A send() failed on a connection without an owner: the next read rejects with it. */
  #failure: unknown;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Writes not yet done, in order; the first is in the kernel. */
  #writes: PendingWrite[] = [];
  /** Waiting for #writes to empty (end(), close()). */
  #drainWaiters: (() => void)[] = [];
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #sendSink: CqeSink = { onCqe: (op, res, _flags, closing, why) => this.#onSent(op, res, closing, why) };
  readonly #sendFailed = (e: unknown) => this.#writesFailed(e);

  /** @internal Made by serve() and connect(). */
  constructor(ring: Ring, fd: number, buffers: BufferRing | undefined, readSize = DEFAULT_READ_SIZE, owner?: ConnectionOwner) {
    this.#ring = ring;
    this.fd = fd;
    this.#buffers = buffers;
    this.#owner = owner;
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
   * next one (and until the writes started before then are sent). Leaving
   * the loop early keeps the connection and what was received but not
   * read: a later loop continues where this one stopped. One loop at a
   * time; not on a connection a server reads with callbacks.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#iterator;
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#pushed) return Promise.reject(new TypeError("Connection: its server reads it with a data callback; it cannot be read in a loop too"));
    this.#releaseHeld();
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
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
    this.#held = chunk.bufferId;
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
    this.#giveBack(bid);
  }

  /** Hands a received buffer back, after the writes queued now (one of them may be sending from it). */
  #giveBack(bid: number): void {
    if (this.#writes.length > 0) this.#writes.push({ bytes: NOTHING, at: 0, resolve: undefined, reject: undefined, hold: bid });
    else this.#release(bid);
  }

  /** Releases a held buffer (-1: none) to its ring, unless the ring is closed (its memory is gone). */
  #release(bid: number): void {
    if (bid >= 0 && !this.#buffers!.closed) this.#buffers!.release(bid);
  }

  /** Push mode: the stream calls back with each chunk; the owner hears of the end. */
  #listen(onData: (conn: Connection, chunk: Uint8Array) => void): void {
    this.#pushed = true;
    const stream = (this.#stream ??= this.#ring.recvMultishot(this.fd, this.#buffers!));
    stream.listen((chunk) => {
      if (!this.#closed) {
        try {
          onData(this, chunk.data);
        } catch (e) {
          this.#fail(e);
        }
      }
      this.#giveBack(chunk.bufferId);
    }, (error) => {
      this.#ended = true;
      if (this.#closed) return;
      if (error !== undefined) this.#fail(error);
      else this.#owner!.ended(this);
    });
  }

  /** Reports error (to the owner, or to the next read) and closes the connection. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    if (this.#owner !== undefined) this.#owner.failed(this, error);
    else this.#failure = error;
    void this.close();
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
    const bytes = bytesOf("Connection.write", data);
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#queue({ bytes, at: 0, resolve, reject, hold: -1 });
    return promise;
  }

  /**
   * write() without a promise, for servers that do not wait for each
   * write: data goes out after every earlier write. If it fails, the
   * connection closes, and the error goes where a handler's would (a
   * server's error callback or onError; on a connect()ed connection, the
   * next read rejects with it). ERING_CLOSED (thrown) once closed.
   */
  send(data: Uint8Array | ArrayBufferView | ArrayBuffer | string): void {
    if (this.#closed) throw closedError("Connection.send", "connection");
    const bytes = bytesOf("Connection.send", data);
    if (bytes.byteLength > 0) this.#queue({ bytes, at: 0, resolve: undefined, reject: undefined, hold: -1 });
  }

  #queue(w: PendingWrite): void {
    this.#writes.push(w);
    if (this.#writes.length === 1) this.#sendHead();
  }

  /** Sends what is left of the first write, completing the writes with nothing left (held buffers). */
  #sendHead(): void {
    const q = this.#writes;
    while (q.length > 0) {
      const w = q[0];
      if (w.at < w.bytes.byteLength) {
        sendTo(this.#ring, this.fd, w.at === 0 ? w.bytes : w.bytes.subarray(w.at), this.#sendSink, this.#sendFailed);
        return;
      }
      q.shift();
      this.#release(w.hold);
      w.resolve?.();
    }
    if (this.#drainWaiters.length > 0) this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    for (const wake of this.#drainWaiters.splice(0)) wake();
  }

  #onSent(op: Op, res: number, closing: boolean, why: string | undefined): void {
    if (res < 0) return this.#writesFailed(opError(op, res, closing, why));
    const w = this.#writes[0];
    if (w === undefined) return; // failed already: the ring closed under it
    w.at += res;
    this.#sendHead();
  }

  /** The write in flight failed: it and every write after it fail with its error. */
  #writesFailed(error: unknown): void {
    const q = this.#writes;
    this.#writes = [];
    let unheard = false;
    for (const w of q) {
      this.#release(w.hold);
      if (w.reject !== undefined) w.reject(error);
      else if (w.hold < 0) unheard = true;
    }
    this.#wakeDrainWaiters();
    if (unheard) this.#fail(error);
  }

  /** Resolves once every write queued so far is done (or failed). */
  #drained(): Promise<void> {
    if (this.#writes.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Shuts down the sending side (the peer's reads then end) once the writes
   * in flight are done; reading goes on.
   */
  async end(): Promise<void> {
    if (this.#closed) throw closedError("Connection.end", "connection");
    await this.#drained();
    await this.#ring.shutdown(this.fd, 1 /* SHUT_WR */);
  }

  /** Closes the connection once the writes queued so far are done. */
  async closeAfterWrites(): Promise<void> {
    await this.#drained();
    await this.close();
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
    try {
      if (ring.closed) return closeDirectly(this.fd);
      // The stream's own cancel first (it then expects ECANCELED), then everything else on the fd.
      const stopping = this.#stream?.return();
      if (this.#reading || this.#writes.length > 0) await ring.cancel({ fd: this.fd }).catch(noop);
      await stopping;
      await this.#drained();
      this.#releaseHeld();
      if (!ring.closed) await ring.closeFd(this.fd).catch(noop);
      else closeDirectly(this.fd); // the ring closed while we waited
    } finally {
      this.#owner?.closed(this);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
