// cqe->flags (include/uapi/linux/io_uring.h, Linux 6.18) and the questions
// a reap callback asks of them, named after liburing's where it has one.

/** The upper 16 bits hold the id of the provided buffer the request used. */
export const IORING_CQE_F_BUFFER = 1 << 0;
/** The request stays armed and will post more CQEs (multishot). */
export const IORING_CQE_F_MORE = 1 << 1;
/** More data was waiting in the socket after this receive. */
export const IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
/** A zero-copy send's notification: its buffer may now be reused. */
export const IORING_CQE_F_NOTIF = 1 << 3;
/** Incrementally consumed buffer (IOU_PBUF_RING_INC): this buffer id will see more completions. */
export const IORING_CQE_F_BUF_MORE = 1 << 4;
export const IORING_CQE_BUFFER_SHIFT = 16;

/** The request that posted this CQE will post more (IORING_CQE_F_MORE). */
export function cqeHasMore(flags: number): boolean {
  return (flags & IORING_CQE_F_MORE) !== 0;
}

/**
 * The provided-buffer id the kernel picked (IOSQE_BUFFER_SELECT), or -1
 * when the CQE carries none (IORING_CQE_F_BUFFER clear). -1 rather than
 * undefined keeps the result a number in hot reap loops; real ids are 0..65535.
 */
export function cqeBufferId(flags: number): number {
  return flags & IORING_CQE_F_BUFFER ? flags >>> IORING_CQE_BUFFER_SHIFT : -1;
}

/** More data was already queued on the socket after this receive (IORING_CQE_F_SOCK_NONEMPTY). */
export function cqeSockNonempty(flags: number): boolean {
  return (flags & IORING_CQE_F_SOCK_NONEMPTY) !== 0;
}

/** A zero-copy send notification rather than its result (IORING_CQE_F_NOTIF). */
export function cqeIsNotif(flags: number): boolean {
  return (flags & IORING_CQE_F_NOTIF) !== 0;
}
