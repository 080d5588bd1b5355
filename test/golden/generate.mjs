// `npm run golden`: compiles test/golden/gen.c against the installed
// liburing (Debian bookworm's liburing-dev 2.3), runs it and rewrites
// test/golden/vectors.json. Only needed to regenerate: the vectors are
// committed and the tests never need liburing.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const out = join(root, "test/golden/vectors.json");
const work = mkdtempSync(join(tmpdir(), "uringshim-golden-"));
const exe = join(work, "gen");
// liburing 2.3's preps are static inline: nothing to link.
const cflags = ["-std=gnu11", "-O0", "-Wall", "-Wextra", "-Werror"];

function fail(message) {
  console.error(`golden: ${message}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

function tryRun(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const cc = spawnSync("cc", [...cflags, "-o", exe, "test/golden/gen.c"], { cwd: root, encoding: "utf8" });
if (cc.error) fail(`no C compiler (cc): ${cc.error.message}; install build-essential`);
if (cc.status !== 0) {
  if (/liburing\.h/.test(cc.stderr)) {
    fail("liburing-dev is not installed (liburing.h not found). On Debian/Ubuntu: apt-get install -y liburing-dev");
  }
  fail(`compiling test/golden/gen.c failed:\n${cc.stderr}`);
}

const pkg = tryRun("dpkg-query", ["-W", "-f", "${Version}", "liburing-dev"]);
const version = tryRun("pkg-config", ["--modversion", "liburing"]) ?? pkg?.replace(/-[^-]*$/, "");
if (!version) fail("cannot tell the installed liburing version (neither pkg-config nor dpkg-query knows liburing)");

const vectors = execFileSync(exe, { encoding: "utf8" }).trim().split("\n").map((line) => JSON.parse(line));
rmSync(work, { recursive: true, force: true });

const header = {
  liburing: version,
  package: pkg ? `liburing-dev ${pkg} (Debian)` : "liburing (not a Debian package)",
  command: "npm run golden",
  generator: `test/golden/gen.c, built with: cc ${cflags.join(" ")} -o gen test/golden/gen.c`,
  format:
    "each vector: export(sqe, ...args values) on a zeroed 128-byte SQE, then sqeSetData(sqe, ...userData) when present, " +
    "must give the 64 sqe bytes (hex) followed by zeros",
};
// One vector per line keeps regenerated diffs readable.
const body = vectors.map((v) => `    ${JSON.stringify(v)}`).join(",\n");
const json = JSON.stringify(header, null, 2).replace(/\n}$/, `,\n  "vectors": [\n${body}\n  ]\n}\n`);
JSON.parse(json); // never write a file the tests cannot read
writeFileSync(out, json);
console.log(`golden: ${vectors.length} vectors from liburing ${version} -> test/golden/vectors.json`);
