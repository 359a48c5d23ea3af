import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cliBin } from "./paths.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would (the test command builds first). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  if (!existsSync(cliBin)) throw new Error(`${cliBin} missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
