// The batch API's hot paths in one crossing each: getSqe + prep +
// set_data. They return false when the SQ is full, like getSqe's 0: the
// caller flushes and retries, nothing is overwritten.
import { getSqe } from "./queue";
import { sqeSetData, sqeSetFlags } from "./sqe";
import { prepNop, prepRead, prepReadFixed, prepWrite, prepWriteFixed } from "./prep";

export function enqueueNop(userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepNop(sqe);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

export function enqueueRead(fd: i32, buf: f64, nbytes: u32, offset: f64, userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepRead(sqe, fd, buf, nbytes, offset);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

export function enqueueWrite(fd: i32, buf: f64, nbytes: u32, offset: f64, userDataLo: u32, userDataHi: u32): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepWrite(sqe, fd, buf, nbytes, offset);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

// READ_FIXED / WRITE_FIXED with the SQE flags (IOSQE_FIXED_FILE for a
// registered file) in the same crossing.
export function enqueueReadFixed(
  fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: i32, sqeFlags: u8, userDataLo: u32, userDataHi: u32,
): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepReadFixed(sqe, fd, buf, nbytes, offset, bufIndex);
  sqeSetFlags(sqe, sqeFlags);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}

export function enqueueWriteFixed(
  fd: i32, buf: f64, nbytes: u32, offset: f64, bufIndex: i32, sqeFlags: u8, userDataLo: u32, userDataHi: u32,
): bool {
  const sqe = getSqe();
  if (!sqe) return false;
  prepWriteFixed(sqe, fd, buf, nbytes, offset, bufIndex);
  sqeSetFlags(sqe, sqeFlags);
  sqeSetData(sqe, userDataLo, userDataHi);
  return true;
}
