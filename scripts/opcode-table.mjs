// Rewrites README.md's opcode table (between <!-- opcodes:begin --> and
// <!-- opcodes:end -->) from core/opcodes.ts, so the README cannot drift
// from the table the probe uses. test/probe.test.ts runs it with --check.
//   node scripts/opcode-table.mjs           rewrite the block
//   node scripts/opcode-table.mjs --check   exit 1 if the block is stale
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readmePath = join(root, "README.md");
const BEGIN = "<!-- opcodes:begin -->";
const END = "<!-- opcodes:end -->";

// The Ring promise method that submits each op, by op name. Add a row with
// every new method, then rerun this script (the probe test checks that
// each one exists on Ring).
const METHODS = {
  nop: "nop",
  readv: "readv",
  writev: "writev",
  fsync: "fsync",
  readFixed: "readFixed",
  writeFixed: "writeFixed",
  pollAdd: ["pollAdd", "pollMultishot"],
  syncFileRange: "syncFileRange",
  timeout: ["timeout", "timeoutMultishot"],
  asyncCancel: "cancel",
  linkTimeout: "linkTimeout",
  fallocate: "fallocate",
  openat: ["openat", "openatDirect"],
  close: "closeFd",
  statx: "statx",
  read: "read",
  write: "write",
  fadvise: "fadvise",
  madvise: "madvise",
  openat2: "openat2",
  splice: "splice",
  tee: "tee",
  renameat: "renameat",
  unlinkat: "unlinkat",
  mkdirat: "mkdirat",
  symlinkat: "symlinkat",
  linkat: "linkat",
  msgRing: "msgRing",
  fsetxattr: "fsetxattr",
  setxattr: "setxattr",
  fgetxattr: "fgetxattr",
  getxattr: "getxattr",
  readMultishot: "readMultishot",
  waitid: "waitid",
  futexWait: "futexWait",
  futexWake: "futexWake",
  futexWaitv: "futexWaitv",
  ftruncate: "ftruncate",
  pipe: "pipe",
  sendmsg: "sendmsg",
  recvmsg: "recvmsg",
  accept: ["accept", "acceptDirect", "acceptMultishot"],
  connect: "connect",
  send: "send",
  recv: ["recv", "recvMultishot"],
  shutdown: "shutdown",
  socket: ["socket", "socketDirect"],
  sendZc: "sendZc",
  sendmsgZc: "sendmsgZc",
  bind: "bind",
  listen: "listen",
  readvFixed: "readvFixed",
  writevFixed: "writevFixed",
};

function render(opcodes) {
  const rows = opcodes.map((o) => {
    const method = [METHODS[o.name] ?? []].flat().map((m) => `\`${m}()\``).join(", ");
    return `| ${o.opcode} | \`${o.name}\` | \`${o.uapi}\` | ${o.since} | ${method} |`;
  });
  return [BEGIN, "| # | op name | uapi name | Linux | promise method |", "| --- | --- | --- | --- | --- |", ...rows, END].join("\n");
}

async function main() {
  // Node 20 cannot import TypeScript; Bun (a dev dependency) can.
  if (!("Bun" in globalThis) && !("Deno" in globalThis)) {
    const bun = join(root, "node_modules", ".bin", "bun");
    const r = spawnSync(bun, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
    if (r.error) console.error(`cannot run ${bun}: ${r.error.message} (npm ci installs it)`);
    return r.status ?? 1;
  }
  const { OPCODES } = await import("../core/opcodes.ts");
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`README.md has no ${BEGIN} … ${END} block`);
    return 1;
  }
  const updated = readme.slice(0, start) + render(OPCODES) + readme.slice(end + END.length);
  if (process.argv.includes("--check")) {
    if (updated === readme) return 0;
    console.error("README.md's opcode table is stale: run node scripts/opcode-table.mjs");
    return 1;
  }
  if (updated !== readme) writeFileSync(readmePath, updated);
  return 0;
}

process.exitCode = await main();
