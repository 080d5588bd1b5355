// The README's examples, pasted into a fresh project that depends on
// uringshim, run as a user would: `bun hello.ts` or the deno command the
// example names.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runtime, tempDir } from "./support/uring.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");
const examples = [...readme.matchAll(/<!-- example:(\w+) -->\n```ts\n([\s\S]*?)```/g)].map(([, tag, code]) => ({ tag, code }));
const expected: Record<string, RegExp> = {
  bun: /^hello from io_uring 19 bytes, (no-mmap|mmap) mode$/m,
  deno: /^directories: true true\nENOENT 2 statx$/m,
};

const project = tempDir();
afterAll(() => project.cleanup());
mkdirSync(join(project.dir, "node_modules"));
symlinkSync(root, join(project.dir, "node_modules", "uringshim"));
writeFileSync(join(project.dir, "package.json"), JSON.stringify({ type: "module", dependencies: { uringshim: `file:${root}` } }));

function command(code: string): [string, string[]] {
  const line = code.match(/run with: (.*)$/m)?.[1];
  if (!line) throw new Error("example names no command");
  const [tool, ...args] = line.trim().split(/\s+/);
  expect(tool).toBe(runtime === "bun" ? "bun" : "deno");
  return [process.execPath, args];
}

describe(`README examples (${runtime})`, () => {
  it("has a Bun and a Deno example", () => {
    expect(examples.map((e) => e.tag).sort()).toEqual(["bun", "deno"]);
  });

  it(`the ${runtime} example runs as written`, () => {
    const { code } = examples.find((e) => e.tag === runtime)!;
    writeFileSync(join(project.dir, "hello.ts"), code);
    const [cmd, args] = command(code);
    const r = spawnSync(cmd, args, { cwd: project.dir, encoding: "utf8", timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(expected[runtime]);
    expect(r.status).toBe(0);
  });
});
