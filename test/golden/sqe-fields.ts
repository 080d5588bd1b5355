// struct io_uring_sqe by field name (include/uapi/linux/io_uring.h, Linux
// 6.18): builds expected SQE bytes from named fields and names the field
// where two SQEs first differ. Independent of asm/ on purpose.

/** [offset, size in bytes]; union members share an offset. */
export const SQE_FIELDS = {
  opcode: [0, 1],
  flags: [1, 1],
  ioprio: [2, 2],
  fd: [4, 4],
  off: [8, 8],
  addr2: [8, 8],
  cmd_op: [8, 4],
  __pad1: [12, 4],
  addr: [16, 8],
  splice_off_in: [16, 8],
  level: [16, 4],
  optname: [20, 4],
  len: [24, 4],
  rw_flags: [28, 4],
  fsync_flags: [28, 4],
  poll32_events: [28, 4],
  msg_flags: [28, 4],
  timeout_flags: [28, 4],
  accept_flags: [28, 4],
  cancel_flags: [28, 4],
  open_flags: [28, 4],
  fadvise_advice: [28, 4],
  splice_flags: [28, 4],
  msg_ring_flags: [28, 4],
  uring_cmd_flags: [28, 4],
  waitid_flags: [28, 4],
  futex_flags: [28, 4],
  install_fd_flags: [28, 4],
  pipe_flags: [28, 4],
  user_data: [32, 8],
  buf_index: [40, 2],
  buf_group: [40, 2],
  personality: [42, 2],
  file_index: [44, 4],
  splice_fd_in: [44, 4],
  zcrx_ifq_idx: [44, 4],
  optlen: [44, 4],
  addr_len: [44, 2],
  __pad3: [46, 2],
  addr3: [48, 8],
  optval: [48, 8],
  __pad2: [56, 8],
} as const satisfies Record<string, readonly [number, 1 | 2 | 4 | 8]>;

export type SqeField = keyof typeof SQE_FIELDS;
/** Field values: numbers for fields up to 4 bytes (signed or unsigned), bigints or safe integers for 8-byte ones. */
export type SqeFields = Partial<Record<SqeField, number | bigint>>;

/** The bytes of a size-byte SQE holding fields, every other byte zero (little-endian, as on x86-64 and arm64). */
export function sqeBytes(fields: SqeFields, size: 64 | 128): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (const [name, value] of Object.entries(fields) as [SqeField, number | bigint][]) {
    const [at, width] = SQE_FIELDS[name];
    if (width === 8) view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
    else if (width === 4) view.setUint32(at, Number(value) >>> 0, true);
    else if (width === 2) view.setUint16(at, Number(value) & 0xffff, true);
    else view.setUint8(at, Number(value) & 0xff);
  }
  return bytes;
}

// Non-overlapping regions for reporting, each named by its union members.
const REGIONS: ReadonlyArray<readonly [string, number, number]> = [
  ["opcode", 0, 1],
  ["flags", 1, 1],
  ["ioprio", 2, 2],
  ["fd", 4, 4],
  ["off/addr2/cmd_op", 8, 8],
  ["addr/splice_off_in/level+optname", 16, 8],
  ["len", 24, 4],
  ["rw_flags/op flags", 28, 4],
  ["user_data", 32, 8],
  ["buf_index/buf_group", 40, 2],
  ["personality", 42, 2],
  ["file_index/splice_fd_in/zcrx_ifq_idx/optlen/addr_len", 44, 4],
  ["addr3/optval/cmd[0..8]", 48, 8],
  ["__pad2/cmd[8..16]", 56, 8],
  ["cmd[16..80] (SQE128)", 64, 64],
];

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Undefined when equal; else the first differing field with both values as little-endian hex bytes. */
export function firstDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] === actual[i]) continue;
    const [name, at, size] = REGIONS.find(([, a, s]) => i >= a && i < a + s) ?? [`byte ${i}`, i, 1];
    return `${name} (bytes ${at}..${at + size - 1}): expected ${hex(expected.subarray(at, at + size))}, got ${hex(actual.subarray(at, at + size))}`;
  }
  return undefined;
}

export function hexToBytes(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
