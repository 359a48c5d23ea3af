/**
 * The modern reference stack (Debian sid: today's xarray and zarr-python 3) that
 * scripts/sid-chroot.sh builds and caches. CI builds it before the tests (.ci/run) and must run
 * every test that needs it; elsewhere a machine without it skips them.
 */
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

const SID = join(repoRoot, "scripts/sid-chroot.sh");
const run = promisify(execFile);

export function sidReady(): boolean {
  return spawnSync("bash", [SID, "path"], { stdio: "ignore" }).status === 0;
}

export const skipSid = !process.env.CI && !sidReady();

/** Runs the sid chroot's python3 with `args`; paths under /tmp and the work tree are the same. */
export async function sidPython(
  args: string[],
  options: { allowFailure?: boolean } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run("bash", [SID, "run", "python3", ...args], {
      maxBuffer: 64 * 1024 * 1024,
      cwd: repoRoot,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (!options.allowFailure) {
      throw new Error(`sid python ${args.join(" ")} failed (${e.code}):\n${e.stdout}\n${e.stderr}`);
    }
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 };
  }
}
