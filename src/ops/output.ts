/**
 * A new archive is built beside its final path and renamed into place only when complete, so an
 * interrupted or failed conversion never leaves something that looks like a finished archive.
 * What a killed process leaves behind is a directory named `<output>.zarrify-partial-<pid>`.
 */
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../errors.js";

export interface StagedOutput {
  /** Where to write while working. */
  staging: string;
  /** Move the finished archive into place. */
  commit(): Promise<void>;
  /** Remove the staging directory after a failure. */
  abort(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function stageOutput(output: string, overwrite: boolean): Promise<StagedOutput> {
  if (!overwrite && (await exists(output))) {
    throw new ConfigError(`${output}: output already exists`, {
      hint: "choose a new output path, or pass --overwrite to replace it",
    });
  }
  const parent = dirname(output);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `${basename(output)}.zarrify-partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  return {
    staging,
    async commit() {
      if (await exists(output)) {
        const old = join(parent, `${basename(output)}.zarrify-old-${process.pid}`);
        await rename(output, old);
        await rename(staging, output);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(staging, output);
      }
    },
    async abort() {
      await rm(staging, { recursive: true, force: true });
    },
  };
}
