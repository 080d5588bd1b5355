// Reading the environment from core, under any runtime. Deno checks env
// access per variable: without --allow-env a read would prompt on a
// terminal or throw, so there a variable is read only when permission is
// already granted, and otherwise reads as unset.

type DenoEnv = {
  env: { get(name: string): string | undefined };
  permissions: { querySync(d: { name: "env"; variable: string }): { state: string } };
};

/** The variable as this process may see it: never a prompt, never an error. */
export function readEnv(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoEnv }).Deno;
  if (deno !== undefined) {
    if (deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return deno.env.get(name);
  }
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
}
