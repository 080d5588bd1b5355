// Socket operations: socket, bind, listen, connect, accept, send, recv,
// sendmsg, recvmsg, zero-copy send, shutdown. Addresses are objects
// ({ address, port } or { path }); the sockaddr memory the kernel reads or
// writes stays referenced until the completion arrives. bind and listen
// fall back to the plain syscalls on kernels without IORING_OP_BIND/LISTEN
// (before 6.11).
import { IORING_CQE_F_MORE, IORING_CQE_F_NOTIF } from "./cqe.ts";
import { closedError, ENOBUFS, uringError, type UringError } from "./errors.ts";
import type { FixedFile } from "./fixed-file.ts";
import { type CqeSink, noValue, Op, opcodeOf, type OpSpec, opError } from "./ops.ts";
import { BufferPool } from "./buffer-pool.ts";
import { BufferRing, type BufferRingHost, fillBufferRing, takeBuffer, whenBuffers } from "./buffer-ring.ts";
import { IOSQE_BUFFER_SELECT } from "./constants.ts";
import { MultishotStream, SKIP } from "./op-stream.ts";
import { RingFs } from "./ring-fs.ts";
import {
  decodeSockaddr, encodeSockaddr, SOCKADDR_STORAGE_BYTES, type SocketAddress, type SocketAddressInput,
} from "./sockaddr.ts";
import {
  checkBits, checkBoolean, checkBuffer, checkBufferList, checkInteger, checkOptions, cloexecUnless, type NewFdOptions,
} from "./validate.ts";

function noop(): void {}

const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSGHDR_BYTES = 56; // struct msghdr on 64-bit Linux
const SHUT_RDWR = 2;

/** What accept() resolves with. */
export interface Accepted {
  fd: number;
  /** The peer's address (undefined for a family not decoded here). */
  address: SocketAddress | undefined;
}

/** What recvmsg() resolves with. */
export interface Received {
  bytes: number;
  /** The sender's address, for unconnected (datagram) sockets. */
  address: SocketAddress | undefined;
  /** msg_flags the kernel reported (MSG_TRUNC, MSG_CTRUNC …). */
  flags: number;
}

function addressOut(op: Op): SocketAddress | undefined {
  const [addr, len] = op.refs as [Uint8Array, Uint32Array];
  return decodeSockaddr(addr, len[0]);
}

const spec = {
  socket: {
    name: "socket", opcode: opcodeOf("socket"),
    prep: (w, sqe, op) => w.prepSocket(sqe, op.fd, op.len, op.arg, 0),
  },
  bind: {
    name: "bind", opcode: opcodeOf("bind"),
    prep: (w, sqe, op) => w.prepBind(sqe, op.fd, op.addr, op.len), value: noValue,
  },
  listen: { name: "listen", opcode: opcodeOf("listen"), prep: (w, sqe, op) => w.prepListen(sqe, op.fd, op.len), value: noValue },
  connect: {
    name: "connect", opcode: opcodeOf("connect"),
    prep: (w, sqe, op) => w.prepConnect(sqe, op.fd, op.addr, op.len), value: noValue,
  },
  accept: {
    name: "accept", opcode: opcodeOf("accept"),
    prep: (w, sqe, op) => w.prepAccept(sqe, op.fd, op.addr, op.addr2, op.flags),
    value: (op, res): Accepted => ({ fd: res, address: addressOut(op) }),
  },
  send: { name: "send", opcode: opcodeOf("send"), prep: (w, sqe, op) => w.prepSend(sqe, op.fd, op.addr, op.len, op.flags) },
  recv: { name: "recv", opcode: opcodeOf("recv"), prep: (w, sqe, op) => w.prepRecv(sqe, op.fd, op.addr, op.len, op.flags) },
  sendmsg: { name: "sendmsg", opcode: opcodeOf("sendmsg"), prep: (w, sqe, op) => w.prepSendmsg(sqe, op.fd, op.addr, op.flags) },
  recvmsg: {
    name: "recvmsg", opcode: opcodeOf("recvmsg"),
    prep: (w, sqe, op) => w.prepRecvmsg(sqe, op.fd, op.addr, op.flags),
    value: (op, res): Received => {
      const [msg, name] = op.refs as [DataView, Uint8Array];
      return { bytes: res, address: decodeSockaddr(name, msg.getUint32(8, true)), flags: msg.getInt32(48, true) };
    },
  },
  sendZc: {
    name: "sendZc", opcode: opcodeOf("sendZc"), prep: (w, sqe, op) => w.prepSendZc(sqe, op.fd, op.addr, op.len, op.flags, 0),
  },
  sendmsgZc: {
    name: "sendmsgZc", opcode: opcodeOf("sendmsgZc"), prep: (w, sqe, op) => w.prepSendmsgZc(sqe, op.fd, op.addr, op.flags),
  },
  acceptDirect: {
    name: "acceptDirect", opcode: opcodeOf("accept"),
    prep: (w, sqe, op) => w.prepAcceptDirect(sqe, op.fd, 0, 0, op.flags, op.arg),
  },
  socketDirect: {
    name: "socketDirect", opcode: opcodeOf("socket"),
    prep: (w, sqe, op) => w.prepSocketDirect(sqe, op.fd, op.len, op.addr2, op.arg, 0),
  },
  acceptMultishot: {
    name: "acceptMultishot", opcode: opcodeOf("accept"),
    prep: (w, sqe, op) => w.prepMultishotAccept(sqe, op.fd, 0, 0, op.flags),
  },
  recvMultishot: {
    name: "recvMultishot", opcode: opcodeOf("recv"),
    prep: (w, sqe, op) => {
      w.prepRecvMultishot(sqe, op.fd, 0, 0, op.flags);
      w.sqeSetBufGroup(sqe, op.arg);
    },
  },
  shutdown: { name: "shutdown", opcode: opcodeOf("shutdown"), prep: (w, sqe, op) => w.prepShutdown(sqe, op.fd, op.len), value: noValue },
} satisfies Record<string, OpSpec>;

/**
 * A zero-copy send posts its result, then (IORING_CQE_F_MORE) a
 * notification once the kernel no longer reads the buffer: the promise
 * settles at the notification, so the caller may reuse the buffer then.
 */
class ZeroCopySink implements CqeSink {
  #bytes = 0;
  #error: UringError | undefined;
  constructor(readonly resolve: (n: number) => void, readonly reject: (e: unknown) => void) {}

  onCqe(op: Op, res: number, flags: number, closing: boolean, why?: string): void {
    if ((flags & IORING_CQE_F_NOTIF) === 0) {
      if (res < 0) this.#error = opError(op, res, closing, why);
      else this.#bytes = res;
      if ((flags & IORING_CQE_F_MORE) !== 0) return; // the notification follows
    }
    if (this.#error !== undefined) this.reject(this.#error);
    else this.resolve(this.#bytes);
  }
}

/** One completion of recvMultishot(): a view of the data in buffer bufferId; call bufferRing.release(bufferId) when done. */
export interface ReceivedChunk {
  data: Uint8Array;
  bufferId: number;
  /** Incremental rings: the kernel keeps filling this buffer; it goes back once this and its other chunks are released and a chunk without `more` came. */
  more: boolean;
}

const IORING_REGISTER_PBUF_RING = 22;
const IORING_UNREGISTER_PBUF_RING = 23;
const IORING_REGISTER_PBUF_STATUS = 26;
const IOU_PBUF_RING_INC = 2;
const IORING_CQE_F_BUFFER = 1;
const IORING_CQE_F_BUF_MORE = 1 << 4;

/** The ring each BufferRing was registered on: its bgid means nothing on another ring. */
const bufferRingOwners = new WeakMap<BufferRing, RingNet>();

/**
 * Core-only (Connection's writes): send(2) of bytes on fd with no promise;
 * the CQE goes to sink.onCqe, and a failure before submission (the ring
 * closed, the kernel lacks the op) to fail. bytes stay referenced until then.
 */
export let sendTo: (ring: RingNet, fd: number, bytes: Uint8Array, sink: CqeSink, fail: (e: unknown) => void) => void;

/** Whether bufferRing is an open BufferRing registered on ring. */
export function ownsBufferRing(ring: RingNet, bufferRing: unknown): boolean {
  return bufferRing instanceof BufferRing && !bufferRing.closed && bufferRingOwners.get(bufferRing) === ring;
}

export class RingNet extends RingFs {
  static {
    sendTo = (ring, fd, bytes, sink, fail) => ring.#sendTo(fd, bytes, sink, fail);
  }

  /** Buffer group ids in use by buffer rings (readMultishot takes ids from 0x8000 up). */
  #bufferGroups = new Set<number>();

  /**
   * Registers a provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19+):
   * `entries` buffers (a power of two up to 32768) of `size` bytes in native
   * memory, for recvMultishot(). `incremental` (IOU_PBUF_RING_INC, 6.12+)
   * lets one buffer take several completions.
   */
  registerBufferRing(options: { entries: number; size: number; bgid?: number; incremental?: boolean }): BufferRing {
    this.check("registerBufferRing");
    const o = checkOptions("registerBufferRing", options);
    const entries = checkInteger("registerBufferRing", "options.entries", o.entries, 1, 32768);
    if ((entries & (entries - 1)) !== 0) throw new RangeError(`registerBufferRing(): options.entries must be a power of two, got ${entries}`);
    const size = checkInteger("registerBufferRing", "options.size", o.size, 1, 0xffff_ffff);
    let bgid = o.bgid === undefined ? -1 : checkInteger("registerBufferRing", "options.bgid", o.bgid, 0, 0x7fff);
    if (bgid < 0) for (bgid = 0; this.#bufferGroups.has(bgid); bgid++);
    if (this.#bufferGroups.has(bgid)) throw new TypeError(`registerBufferRing(): buffer group ${bgid} is in use on this ring`);
    const incremental = checkBoolean("registerBufferRing", "options.incremental", o.incremental ?? false);
    const ringMemory = BufferPool.create({ count: 1, size: entries * 16 });
    let data: BufferPool;
    try {
      data = BufferPool.create({ count: entries, size });
    } catch (e) {
      ringMemory.close();
      throw e;
    }
    // struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u32 min_left; u32 resv[5]; }
    const reg = new DataView(new ArrayBuffer(40));
    reg.setBigUint64(0, BigInt(ringMemory.address), true);
    reg.setUint32(8, entries, true);
    reg.setUint16(12, bgid, true);
    reg.setUint16(14, incremental ? IOU_PBUF_RING_INC : 0, true);
    const res = this.native.register(this.fd, IORING_REGISTER_PBUF_RING, this.native.addressOf(reg), 1);
    if (res < 0) {
      ringMemory.close();
      data.close();
      throw uringError("registerBufferRing", res, incremental ? "incremental buffer rings need Linux 6.12+" : undefined);
    }
    this.#bufferGroups.add(bgid);
    const ringFd = this.fd;
    const native = this.native;
    const host: BufferRingHost = {
      unregister: (r) => {
        this.#bufferGroups.delete(r.bgid);
        if (this.closed) return 0;
        const un = new DataView(new ArrayBuffer(40));
        un.setUint16(12, r.bgid, true);
        return native.register(ringFd, IORING_UNREGISTER_PBUF_RING, native.addressOf(un), 1);
      },
      head: (r) => {
        // struct io_uring_buf_status { u32 buf_group; u32 head; u32 resv[8]; }
        const st = new Uint32Array(new ArrayBuffer(40));
        st[0] = r.bgid;
        const got = native.register(ringFd, IORING_REGISTER_PBUF_STATUS, native.addressOf(st), 1);
        return got < 0 ? got : st[1] & 0xffff;
      },
    };
    const ring = new BufferRing(host, bgid, entries, size, incremental, ringMemory, data);
    bufferRingOwners.set(ring, this);
    fillBufferRing(ring);
    return ring;
  }

  /**
   * Multishot accept (5.19+): yields each accepted connection's fd
   * (SOCK_CLOEXEC added unless options.inheritable) until the loop is left
   * (which cancels it) or the kernel ends the request with an error.
   */
  acceptMultishot(fd: number | FixedFile, flags = 0, options: NewFdOptions = {}): MultishotStream<number> {
    this.check("acceptMultishot");
    const file = this.fileArg("acceptMultishot", fd);
    const bits = checkBits("acceptMultishot", "flags", flags, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const f = bits | cloexecUnless("acceptMultishot", options, bits, SOCK_CLOEXEC);
    const stream: MultishotStream<number> = new MultishotStream({
      item: (res) => res,
      cancel: (op) => this.cancelRequest(op),
      // An fd accepted after the loop was left would leak: close it.
      discard: (res) => void this.native.close(res),
    });
    this.startStream(stream, spec.acceptMultishot, file, 0, 0, 0, f, 0, 0, undefined);
    return stream;
  }

  /**
   * Multishot receive into a provided-buffer ring (6.0+): yields
   * { data, bufferId, more } for every chunk received, in order, until the
   * peer closes (the iteration ends) or the loop is left (the request is
   * cancelled). data is a view into the buffer ring: release every chunk
   * with bufferRing.release(bufferId) when done with it. When the ring runs
   * out of buffers the kernel stops the request (ENOBUFS); it is re-armed
   * as soon as a buffer is released, so nothing received is dropped.
   */
  recvMultishot(fd: number | FixedFile, bufferRing: BufferRing, flags = 0): MultishotStream<ReceivedChunk> {
    this.check("recvMultishot");
    const file = this.fileArg("recvMultishot", fd);
    if (!ownsBufferRing(this, bufferRing)) throw new TypeError("recvMultishot(): bufferRing must be an open BufferRing of this ring");
    const f = checkInteger("recvMultishot", "flags", flags, 0, 0x7fff_ffff);
    const arm = () => {
      if (stream.ended || bufferRing.closed) return;
      const op = this.startStream(stream, spec.recvMultishot, file, 0, 0, 0, f, 0, bufferRing.bgid, bufferRing);
      op.sqeFlags |= IOSQE_BUFFER_SELECT;
    };
    const stream: MultishotStream<ReceivedChunk> = new MultishotStream({
      item: (res, cqeFlags) => {
        if (res === 0 || (cqeFlags & IORING_CQE_F_BUFFER) === 0) return SKIP; // 0: the peer closed
        const bufferId = cqeFlags >>> 16;
        const more = (cqeFlags & IORING_CQE_F_BUF_MORE) !== 0;
        return { data: takeBuffer(bufferRing, bufferId, res, more), bufferId, more };
      },
      restart: (res) => {
        if (res !== -ENOBUFS || bufferRing.closed) return false;
        whenBuffers(bufferRing, arm);
        return true;
      },
      cancel: (op) => this.cancelRequest(op),
      // Data nobody will read: its buffer goes straight back.
      discard: (res, cqeFlags) => {
        if (res > 0 && (cqeFlags & IORING_CQE_F_BUFFER) !== 0 && !bufferRing.closed) {
          const bufferId = cqeFlags >>> 16;
          const more = (cqeFlags & IORING_CQE_F_BUF_MORE) !== 0;
          takeBuffer(bufferRing, bufferId, res, more);
          bufferRing.release(bufferId);
        }
      },
    });
    arm();
    return stream;
  }

  /** socket(2): resolves with the fd (SOCK_CLOEXEC is added unless options.inheritable). type may include SOCK_NONBLOCK. */
  socket(domain: number, type: number, protocol = 0, options: NewFdOptions = {}): Promise<number> {
    this.check("socket");
    const d = checkInteger("socket", "domain", domain, 0, 45);
    const bits = checkBits("socket", "type", type, 0xf | SOCK_NONBLOCK | SOCK_CLOEXEC);
    const p = checkInteger("socket", "protocol", protocol, 0, 0xffff);
    const t = bits | cloexecUnless("socket", options, bits, SOCK_CLOEXEC, "type");
    return this.start(spec.socket, d, 0, t, 0, 0, 0, p, undefined);
  }

  /**
   * socket(2) straight into this ring's file table (no fd is created):
   * into slot fileIndex, or a free one (IORING_FILE_INDEX_ALLOC) when it is
   * omitted. Resolves with the FixedFile.
   */
  socketDirect(domain: number, type: number, protocol = 0, fileIndex?: number): Promise<FixedFile> {
    this.check("socketDirect");
    const d = checkInteger("socketDirect", "domain", domain, 0, 45);
    const t = checkBits("socketDirect", "type", type, 0xf | SOCK_NONBLOCK);
    const p = checkInteger("socketDirect", "protocol", protocol, 0, 0xffff);
    const slot = this.#directSlot("socketDirect", fileIndex);
    const started = this.start<number>(spec.socketDirect, d, 0, t, 0, 0, p, slot, undefined);
    return this.mapped(started, (res) => this.fixedFile(fileIndex ?? res));
  }

  /** accept4(2) straight into the file table (see socketDirect); resolves with the FixedFile. */
  acceptDirect(fd: number | FixedFile, fileIndex?: number, flags = 0): Promise<FixedFile> {
    this.check("acceptDirect");
    const file = this.fileArg("acceptDirect", fd);
    const f = checkBits("acceptDirect", "flags", flags, SOCK_NONBLOCK);
    const slot = this.#directSlot("acceptDirect", fileIndex);
    const started = this.start<number>(spec.acceptDirect, file, 0, 0, 0, f, 0, slot, undefined);
    return this.mapped(started, (res) => this.fixedFile(fileIndex ?? res));
  }

  #directSlot(fn: string, fileIndex: number | undefined): number {
    if (this.fileTableSize === 0) throw new TypeError(`${fn}(): no file table; registerFiles() first`);
    // The kernel takes file_index + 1 for a chosen slot; ALLOC picks one.
    return fileIndex === undefined ? 0xffff_ffff : checkInteger(fn, "fileIndex", fileIndex, 0, this.fileTableSize - 1);
  }

  /** bind(2) (IORING_OP_BIND, 6.11+; the syscall on older kernels). */
  bind(fd: number | FixedFile, address: SocketAddressInput): Promise<void> {
    this.check("bind");
    const file = this.fileArg("bind", fd);
    const sa = encodeSockaddr("bind", address);
    if (!this.supports("bind") && typeof file === "number") {
      return this.#now("bind", this.native.bind(file, this.native.addressOf(sa), sa.byteLength), file);
    }
    return this.start(spec.bind, file, this.native.addressOf(sa), sa.byteLength, 0, 0, 0, 0, sa);
  }

  /** listen(2) (IORING_OP_LISTEN, 6.11+; the syscall on older kernels). */
  listen(fd: number | FixedFile, backlog = 511): Promise<void> {
    this.check("listen");
    const file = this.fileArg("listen", fd);
    const b = checkInteger("listen", "backlog", backlog, 0, 0x7fff_ffff);
    if (!this.supports("listen") && typeof file === "number") return this.#now("listen", this.native.listen(file, b), file);
    return this.start(spec.listen, file, 0, b, 0, 0, 0, 0, undefined);
  }

  #now(fn: string, res: number, fd: number): Promise<void> {
    return res < 0 ? Promise.reject(uringError(fn, res, `fd ${fd}`)) : Promise.resolve();
  }

  /** The address a socket is bound to (getsockname(2)), e.g. the port picked for port 0. */
  localAddress(fd: number): SocketAddress | undefined {
    this.check("localAddress");
    const f = this.fileArg("localAddress", fd);
    if (typeof f !== "number") throw new TypeError("localAddress(): needs an fd, not a FixedFile");
    const out = new Uint8Array(new ArrayBuffer(SOCKADDR_STORAGE_BYTES));
    const len = this.native.getsockname(f, this.native.addressOf(out), out.byteLength);
    if (len < 0) throw uringError("localAddress", len, `fd ${f}`);
    return decodeSockaddr(out, Math.min(len, out.byteLength));
  }

  /** connect(2). */
  connect(fd: number | FixedFile, address: SocketAddressInput): Promise<void> {
    this.check("connect");
    const file = this.fileArg("connect", fd);
    const sa = encodeSockaddr("connect", address);
    return this.start(spec.connect, file, this.native.addressOf(sa), sa.byteLength, 0, 0, 0, 0, sa);
  }

  /**
   * accept4(2): resolves with the new fd (SOCK_CLOEXEC added unless
   * options.inheritable) and the peer's address. flags: SOCK_NONBLOCK.
   */
  accept(fd: number | FixedFile, flags = 0, options: NewFdOptions = {}): Promise<Accepted> {
    this.check("accept");
    const file = this.fileArg("accept", fd);
    const bits = checkBits("accept", "flags", flags, SOCK_NONBLOCK | SOCK_CLOEXEC);
    const f = bits | cloexecUnless("accept", options, bits, SOCK_CLOEXEC);
    const addr = new Uint8Array(new ArrayBuffer(SOCKADDR_STORAGE_BYTES));
    const len = new Uint32Array(new ArrayBuffer(4));
    len[0] = addr.byteLength;
    const a = this.native;
    return this.start(spec.accept, file, a.addressOf(addr), 0, 0, f, a.addressOf(len), 0, [addr, len]);
  }

  /** send(2): resolves with the bytes sent (possibly fewer than buf holds). */
  send(fd: number | FixedFile, buf: ArrayBufferView | ArrayBuffer, flags = 0): Promise<number> {
    return this.#sendRecv("send", spec.send, fd, buf, flags);
  }

  /** recv(2): resolves with the bytes received (0: the peer closed). */
  recv(fd: number | FixedFile, buf: ArrayBufferView | ArrayBuffer, flags = 0): Promise<number> {
    return this.#sendRecv("recv", spec.recv, fd, buf, flags);
  }

  #sendTo(fd: number, bytes: Uint8Array, sink: CqeSink, fail: (e: unknown) => void): void {
    if (this.closed) return fail(closedError("send"));
    const op = new Op(spec.send, fd, this.native.addressOf(bytes), bytes.byteLength, 0, 0, 0, 0, bytes, noop, fail);
    op.sink = sink;
    this.enqueue(op);
  }

  #sendRecv(fn: string, s: OpSpec, fd: unknown, buf: unknown, flags: unknown): Promise<number> {
    this.check(fn);
    const file = this.fileArg(fn, fd);
    const bytes = checkBuffer(fn, buf);
    const f = checkInteger(fn, "flags", flags, 0, 0x7fff_ffff);
    return this.start(s, file, this.native.addressOf(bytes), bytes.byteLength, 0, f, 0, 0, bytes);
  }

  /** sendmsg(2) of buffers (gathered), to options.address for an unconnected socket. Resolves with the bytes sent. */
  sendmsg(
    fd: number | FixedFile, buffers: ArrayBufferView[], options: { address?: SocketAddressInput; flags?: number } = {},
  ): Promise<number> {
    this.check("sendmsg");
    const { file, msg, refs, flags } = this.#msghdr("sendmsg", fd, buffers, options, false);
    return this.start(spec.sendmsg, file, this.native.addressOf(msg), 0, 0, flags, 0, 0, refs);
  }

  /** recvmsg(2) into buffers (scattered): resolves with the bytes, the sender's address and msg_flags. */
  recvmsg(fd: number | FixedFile, buffers: ArrayBufferView[], options: { flags?: number } = {}): Promise<Received> {
    this.check("recvmsg");
    const { file, msg, refs, flags } = this.#msghdr("recvmsg", fd, buffers, options, true);
    return this.start(spec.recvmsg, file, this.native.addressOf(msg), 0, 0, flags, 0, 0, refs);
  }

  /**
   * Zero-copy send (IORING_OP_SEND_ZC, 6.0+): the kernel sends from buf
   * without copying it. Resolves with the bytes sent once the kernel's
   * notification says it no longer reads buf: reuse buf only then.
   */
  sendZc(fd: number | FixedFile, buf: ArrayBufferView | ArrayBuffer, flags = 0): Promise<number> {
    this.check("sendZc");
    const file = this.fileArg("sendZc", fd);
    const bytes = checkBuffer("sendZc", buf);
    const f = checkInteger("sendZc", "flags", flags, 0, 0x7fff_ffff);
    return this.#startZeroCopy(spec.sendZc, file, this.native.addressOf(bytes), bytes.byteLength, f, bytes);
  }

  /** Zero-copy sendmsg (IORING_OP_SENDMSG_ZC, 6.1+); settles like sendZc. */
  sendmsgZc(
    fd: number | FixedFile, buffers: ArrayBufferView[], options: { address?: SocketAddressInput; flags?: number } = {},
  ): Promise<number> {
    this.check("sendmsgZc");
    const { file, msg, refs, flags } = this.#msghdr("sendmsgZc", fd, buffers, options, false);
    return this.#startZeroCopy(spec.sendmsgZc, file, this.native.addressOf(msg), 0, flags, refs);
  }

  #startZeroCopy(s: OpSpec, file: number | FixedFile, addr: number, len: number, flags: number, refs: unknown): Promise<number> {
    let resolve!: (n: number) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const fixed = typeof file !== "number";
    const op = new Op(s, fixed ? file.index : file, addr, len, 0, flags, 0, 0, refs, resolve, reject);
    if (fixed) op.sqeFlags = 1; // IOSQE_FIXED_FILE
    op.sink = new ZeroCopySink(resolve, reject);
    op.promise = promise;
    this.enqueue(op);
    return promise;
  }

  /** shutdown(2): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2, the default). */
  shutdown(fd: number | FixedFile, how = SHUT_RDWR): Promise<void> {
    this.check("shutdown");
    const file = this.fileArg("shutdown", fd);
    const h = checkInteger("shutdown", "how", how, 0, 2);
    return this.start(spec.shutdown, file, 0, h, 0, 0, 0, 0, undefined);
  }

  /** struct msghdr (and its iovecs and name) in stable memory for sendmsg/recvmsg. */
  #msghdr(fn: string, fd: unknown, buffers: unknown, options: unknown, receiving: boolean) {
    const file = this.fileArg(fn, fd);
    const o = checkOptions(fn, options);
    const flags = checkInteger(fn, "options.flags", o.flags ?? 0, 0, 0x7fff_ffff);
    const list = checkBufferList(fn, buffers);
    const a = this.native;
    const iov = new DataView(new ArrayBuffer(list.length * 16));
    list.forEach((b, i) => {
      iov.setBigUint64(i * 16, BigInt(a.addressOf(b)), true);
      iov.setBigUint64(i * 16 + 8, BigInt(b.byteLength), true);
    });
    const name = receiving
      ? new Uint8Array(new ArrayBuffer(SOCKADDR_STORAGE_BYTES))
      : o.address === undefined ? undefined : encodeSockaddr(fn, o.address, "options.address");
    const msg = new DataView(new ArrayBuffer(MSGHDR_BYTES));
    if (name !== undefined) {
      msg.setBigUint64(0, BigInt(a.addressOf(name)), true);
      msg.setUint32(8, name.byteLength, true);
    }
    msg.setBigUint64(16, BigInt(a.addressOf(iov)), true);
    msg.setBigUint64(24, BigInt(list.length), true);
    return { file, msg, flags, refs: [msg, name ?? new Uint8Array(0), iov, list] };
  }
}
