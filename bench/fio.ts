// bench/fio.ts: fio's io_uring engine as one more implementation. One job,
// time based, JSON output; --invalidate=0 always (fio's default drops the
// page cache first, which would turn a page-cache case into a disk one);
// --norandommap like ref-bench's xorshift offsets (blocks may repeat).
// fio's own submission batching stays at its defaults (it submits each
// request as it is queued) and is printed with the command line.
import type { Case, RunResult } from "./types.ts";
import type { Command } from "./children.ts";

const RW: Record<Exclude<Case["workload"], "nop">, string> = {
  randread: "randread",
  seqread: "read",
  randwrite: "randwrite",
  seqwrite: "write",
  mixed: "randrw",
};

/** fio's command line for a case on file (size bytes), timed like the other children. */
export function fioArgs(c: Case, file: string, size: number, durationMs: number, warmupMs: number): Command {
  if (c.workload === "nop") throw new Error("fio has no NOP workload");
  const args = [
    "--name=uringshim",
    `--filename=${file}`,
    `--size=${size}`,
    "--ioengine=io_uring",
    `--rw=${RW[c.workload]}`,
    `--bs=${c.bs}`,
    `--iodepth=${c.qd}`,
    `--direct=${c.direct ? 1 : 0}`,
    "--invalidate=0",
    "--norandommap",
    "--randrepeat=0",
    "--time_based",
    `--runtime=${durationMs}ms`,
    ...(warmupMs > 0 ? [`--ramp_time=${warmupMs}ms`] : []),
    "--lat_percentiles=1",
    "--percentile_list=50:99:99.9",
    "--output-format=json",
  ];
  if (c.fixed) args.push("--fixedbufs");
  if (c.files) args.push("--registerfiles");
  if (c.sqpoll) args.push("--sqthread_poll=1");
  if (c.submitEach) args.push("--iodepth_batch_submit=1"); // fio's default, said out loud
  if (c.fsyncEvery > 0) args.push(`--fsync=${c.fsyncEvery}`);
  if (c.workload === "mixed") args.push(`--rwmixread=${c.readPct}`);
  return { cmd: "fio", args };
}

interface FioDir {
  total_ios: number;
  io_bytes: number;
  lat_ns?: { N?: number; percentile?: Record<string, number> };
}

/** fio's JSON output (possibly after warning lines) as a RunResult. */
export function parseFio(stdout: string): RunResult {
  const start = stdout.indexOf("{");
  if (start < 0) throw new Error(`no JSON in fio's output: ${JSON.stringify(stdout.slice(0, 200))}`);
  const job = JSON.parse(stdout.slice(start)).jobs?.[0];
  if (!job) throw new Error("fio printed no job");
  if (job.error) throw new Error(`fio job error ${job.error}`);
  const dirs: FioDir[] = [job.read, job.write].filter((d: FioDir | undefined) => d && d.total_ios > 0);
  const ops = dirs.reduce((s, d) => s + d.total_ios, 0);
  const bytes = dirs.reduce((s, d) => s + d.io_bytes, 0);
  const seconds = job.job_runtime / 1000; // ms, ramp time excluded
  if (!(ops > 0) || !(seconds > 0)) throw new Error(`fio did no I/O (ops ${ops}, runtime ${job.job_runtime} ms)`);
  // Latency percentiles of the direction with the most samples (mixed: reads, at 70%).
  const main = dirs.reduce((a, d) => ((d.lat_ns?.N ?? 0) > (a.lat_ns?.N ?? 0) ? d : a), dirs[0]);
  const pct = main.lat_ns?.percentile ?? {};
  const pick = (k: string) => (typeof pct[k] === "number" ? pct[k] : null);
  // usr_cpu / sys_cpu: percent of the job's runtime.
  const cpuUs = ((job.usr_cpu + job.sys_cpu) / 100) * seconds * 1e6;
  return {
    ops,
    seconds,
    bytes,
    iops: ops / seconds,
    mbps: bytes / seconds / 1e6,
    cpuPerOpUs: Number.isFinite(cpuUs) ? cpuUs / ops : null,
    latency: main.lat_ns?.N
      ? { p50Ns: pick("50.000000"), p99Ns: pick("99.000000"), p999Ns: pick("99.900000"), samples: main.lat_ns.N }
      : null,
    verified: null,
    mode: null,
  };
}
