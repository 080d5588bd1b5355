// The batch API's hot paths in one crossing each: getSqe + prep +
// set_data. They return false when the SQ is full, like getSqe's 0: the
// caller flushes and retries, nothing is overwritten.
import { getSqe } from "./queue";
import { sqeSetData } from "./sqe";
import { prepNop, prepRead, prepWrite } from "./prep";

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
