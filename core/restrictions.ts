// IORING_REGISTER_RESTRICTIONS (5.10+): what a ring may do once enabled.
// The kernel takes restrictions only on a ring set up disabled
// (IORING_SETUP_R_DISABLED) and enforces them from
// IORING_REGISTER_ENABLE_RINGS on: an SQE whose opcode or flags are not
// allowed completes with -EACCES, a register opcode not allowed fails with
// -EACCES. Everything not listed is refused (the kernel's default).
import { IORING_UNREGISTER_RING_FDS } from "./constants.ts";
import { flagNames, opcodeInfo, SQE_FLAGS } from "./opcodes.ts";
import { checkInteger, checkOptions } from "./validate.ts";

/** Ring.open({ restrictions }): what the ring may do once enabled. */
export interface RestrictionOptions {
  /** IORING_RESTRICTION_SQE_OP: the opcodes allowed, by name ("read", "IORING_OP_READ") or number. */
  ops: (string | number)[];
  /** IORING_RESTRICTION_SQE_FLAGS_ALLOWED / _REQUIRED: IOSQE_* bits an SQE may carry, and must carry. Default none. */
  sqeFlags?: { allowed?: number; required?: number };
  /**
   * IORING_RESTRICTION_REGISTER_OP: the io_uring_register(2) opcodes
   * allowed after enabling, by uapi name ("IORING_REGISTER_BUFFERS2") or
   * number. Default none: register what the ring needs while it is disabled.
   */
  registerOps?: (string | number)[];
}

/** The restrictions a ring was given, normalised (ring.restrictions). */
export interface Restrictions {
  /** Allowed opcode names, ascending by number; always includes "asyncCancel" (close() cancels with it). */
  readonly ops: readonly string[];
  readonly sqeFlags: { readonly allowed: number; readonly required: number };
  /** Allowed register opcodes by uapi name, ascending by number. */
  readonly registerOps: readonly string[];
}

// enum io_uring_register_op (Linux 6.18), in order: a name's index is its number.
export const REGISTER_OPS = [
  "IORING_REGISTER_BUFFERS", "IORING_UNREGISTER_BUFFERS", "IORING_REGISTER_FILES", "IORING_UNREGISTER_FILES",
  "IORING_REGISTER_EVENTFD", "IORING_UNREGISTER_EVENTFD", "IORING_REGISTER_FILES_UPDATE", "IORING_REGISTER_EVENTFD_ASYNC",
  "IORING_REGISTER_PROBE", "IORING_REGISTER_PERSONALITY", "IORING_UNREGISTER_PERSONALITY", "IORING_REGISTER_RESTRICTIONS",
  "IORING_REGISTER_ENABLE_RINGS", "IORING_REGISTER_FILES2", "IORING_REGISTER_FILES_UPDATE2", "IORING_REGISTER_BUFFERS2",
  "IORING_REGISTER_BUFFERS_UPDATE", "IORING_REGISTER_IOWQ_AFF", "IORING_UNREGISTER_IOWQ_AFF", "IORING_REGISTER_IOWQ_MAX_WORKERS",
  "IORING_REGISTER_RING_FDS", "IORING_UNREGISTER_RING_FDS", "IORING_REGISTER_PBUF_RING", "IORING_UNREGISTER_PBUF_RING",
  "IORING_REGISTER_SYNC_CANCEL", "IORING_REGISTER_FILE_ALLOC_RANGE", "IORING_REGISTER_PBUF_STATUS", "IORING_REGISTER_NAPI",
  "IORING_UNREGISTER_NAPI", "IORING_REGISTER_CLOCK", "IORING_REGISTER_CLONE_BUFFERS", "IORING_REGISTER_SEND_MSG_RING",
  "IORING_REGISTER_ZCRX_IFQ", "IORING_REGISTER_RESIZE_RINGS", "IORING_REGISTER_MEM_REGION", "IORING_REGISTER_QUERY",
] as const;

const IORING_RESTRICTION_REGISTER_OP = 0;
const IORING_RESTRICTION_SQE_OP = 1;
const IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2;
const IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3;
const IORING_OP_ASYNC_CANCEL = opcodeInfo("asyncCancel")!.opcode;
/** IOSQE_* bits the kernel knows (FIXED_FILE … CQE_SKIP_SUCCESS). */
const SQE_FLAG_BITS = 0x7f;
const RESTRICTION_BYTES = 16;

export interface EncodedRestrictions {
  /** struct io_uring_restriction[]: { u16 opcode; u8 register_op | sqe_op | sqe_flags; u8 resv; u32 resv2[3]; } */
  readonly table: Uint8Array;
  readonly count: number;
  readonly normalised: Restrictions;
  /** Opcode numbers allowed (the registered ring needs IORING_UNREGISTER_RING_FDS for close()). */
  readonly registerOpcodes: ReadonlySet<number>;
}

function opNumber(fn: string, name: string, value: unknown): number {
  if (typeof value === "number") return checkInteger(fn, name, value, 0, 255);
  const info = typeof value === "string" ? opcodeInfo(value) : undefined;
  if (info === undefined) {
    throw new TypeError(`${fn}(): ${name} must be an io_uring opcode name ("read", "IORING_OP_READ") or number, got ${JSON.stringify(value)}`);
  }
  return info.opcode;
}

function registerNumber(fn: string, name: string, value: unknown): number {
  if (typeof value === "number") return checkInteger(fn, name, value, 0, 255);
  const n = typeof value === "string" ? (REGISTER_OPS as readonly string[]).indexOf(value) : -1;
  if (n < 0) {
    throw new TypeError(`${fn}(): ${name} must be an io_uring_register opcode name ("IORING_REGISTER_BUFFERS2") or number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function list(fn: string, name: string, value: unknown, parse: (fn: string, name: string, v: unknown) => number): number[] {
  if (!Array.isArray(value)) throw new TypeError(`${fn}(): ${name} must be an array`);
  return [...new Set(value.map((v, i) => parse(fn, `${name}[${i}]`, v)))].sort((a, b) => a - b);
}

/** Validates Ring.open's options.restrictions and encodes them for IORING_REGISTER_RESTRICTIONS. */
export function encodeRestrictions(fn: string, options: unknown): EncodedRestrictions {
  const o = checkOptions(fn, options, "options.restrictions");
  for (const key of Object.keys(o)) {
    if (key !== "ops" && key !== "sqeFlags" && key !== "registerOps") {
      throw new TypeError(`${fn}(): options.restrictions.${key} is not a restriction; expected ops, sqeFlags, registerOps`);
    }
  }
  if (o.ops === undefined) throw new TypeError(`${fn}(): options.restrictions.ops is required (the opcodes the ring may submit)`);
  // close() cancels what is in flight with ASYNC_CANCEL; it reaches only this
  // ring's own requests, so allowing it grants nothing beyond them.
  const ops = [...new Set([...list(fn, "options.restrictions.ops", o.ops, opNumber), IORING_OP_ASYNC_CANCEL])].sort((a, b) => a - b);
  const registerOps = list(fn, "options.restrictions.registerOps", o.registerOps ?? [], registerNumber);
  const f = checkOptions(fn, o.sqeFlags ?? {}, "options.restrictions.sqeFlags");
  for (const key of Object.keys(f)) {
    if (key !== "allowed" && key !== "required") {
      throw new TypeError(`${fn}(): options.restrictions.sqeFlags.${key} is not a field; expected allowed, required`);
    }
  }
  const allowed = checkInteger(fn, "options.restrictions.sqeFlags.allowed", f.allowed ?? 0, 0, SQE_FLAG_BITS);
  const required = checkInteger(fn, "options.restrictions.sqeFlags.required", f.required ?? 0, 0, SQE_FLAG_BITS);

  const entries: [number, number][] = [
    ...ops.map((n): [number, number] => [IORING_RESTRICTION_SQE_OP, n]),
    ...registerOps.map((n): [number, number] => [IORING_RESTRICTION_REGISTER_OP, n]),
    [IORING_RESTRICTION_SQE_FLAGS_ALLOWED, allowed],
    [IORING_RESTRICTION_SQE_FLAGS_REQUIRED, required],
  ];
  const table = new Uint8Array(new ArrayBuffer(entries.length * RESTRICTION_BYTES));
  const view = new DataView(table.buffer);
  entries.forEach(([kind, value], i) => {
    view.setUint16(i * RESTRICTION_BYTES, kind, true);
    table[i * RESTRICTION_BYTES + 2] = value;
  });
  const normalised: Restrictions = Object.freeze({
    ops: Object.freeze(ops.map((n) => opcodeInfo(n)?.name ?? String(n))),
    sqeFlags: Object.freeze({ allowed, required }),
    registerOps: Object.freeze(registerOps.map((n) => REGISTER_OPS[n] ?? String(n))),
  });
  return { table, count: entries.length, normalised, registerOpcodes: new Set(registerOps) };
}

/**
 * Why restrictions r refuse an SQE of this opcode carrying these IOSQE_*
 * flags, or undefined when they allow it: an EACCES then came from the
 * operation itself (a file's permissions), not from the ring.
 */
export function refusalOf(r: Restrictions, opcode: number, sqeFlags: number): string | undefined {
  const name = opcodeInfo(opcode)?.name ?? `opcode ${opcode}`;
  if (!r.ops.includes(name)) return `this ring's restrictions do not allow ${name}; they allow ${r.ops.join(", ")}`;
  const { allowed, required } = r.sqeFlags;
  const extra = sqeFlags & ~(allowed | required);
  const names = (mask: number) => flagNames(SQE_FLAGS, mask).map((f) => `IOSQE_${f}`).join(" | ");
  if (extra !== 0) return `this ring's restrictions do not allow the SQE flag ${names(extra)}`;
  const missing = required & ~sqeFlags;
  if (missing !== 0) return `this ring's restrictions require the SQE flag ${names(missing)}`;
  return undefined;
}
