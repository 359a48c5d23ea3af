/**
 * Staging on a file system: a new archive is built beside its final path and renamed into place
 * only when complete, so an interrupted or failed conversion never leaves something that looks
 * like a finished archive.
 *
 * The staging directory is `<output>.zarrify-partial-<pid>`, with a marker naming its process and
 * host. The CLI removes it on SIGINT/SIGTERM (src/cleanup.ts); what a SIGKILL or a power cut
 * leaves is swept the next time the same output is staged: at once when its process is known
 * dead on this host, after a day when it belongs to another host (a shared file system: that
 * process may still be running, and its pid means nothing here) or has no marker.
 */
import { rmSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { onInterrupt } from "../../cleanup.js";
import { ConfigError } from "../../errors.js";
import { hint, opt } from "../../hint.js";
import { asUserError } from "../../os-error.js";
import { processIsGone } from "../../process-alive.js";
import { FsStore } from "./fs.js";
import type { Store } from "./types.js";

/** An archive being built where nothing opens it as finished, until commit(). */
export interface StagedArchive {
  /** The store to write it through. */
  store: Store;
  /** Where it is while it is built (for messages and region writes into it). */
  location: string;
  /** Make the finished archive what its final location holds. */
  commit(): Promise<void>;
  /** Remove what was built, after a failure. */
  abort(): Promise<void>;
}

const PARTIAL = ".zarrify-partial-";
/** Inside the staging directory; removed before the rename, so never part of an archive. */
const MARKER = ".zarrify-partial.json";
/** A partial of another host (or without a marker) older than this is abandoned. */
export const FOREIGN_PARTIAL_MAX_AGE_MS = 24 * 3600 * 1000;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

interface Marker {
  pid: number;
  host: string;
}

async function isStale(dir: string, now: number): Promise<boolean> {
  let marker: Partial<Marker> | undefined;
  try {
    marker = JSON.parse(await readFile(join(dir, MARKER), "utf8"));
  } catch {
    marker = undefined; // none yet (just created, or being committed) or not ours
  }
  if (marker?.host === hostname() && typeof marker.pid === "number") {
    return marker.pid !== process.pid && processIsGone(marker.pid);
  }
  try {
    return now - (await stat(dir)).mtimeMs > FOREIGN_PARTIAL_MAX_AGE_MS;
  } catch {
    return false;
  }
}

/** Removes the abandoned staging directories of `output`; returns what it removed. */
export async function sweepStalePartials(output: string, now = Date.now()): Promise<string[]> {
  const parent = dirname(output);
  const prefix = `${basename(output)}${PARTIAL}`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const dir = join(parent, name);
    if (!(await isStale(dir, now))) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Stages `output`. `onSwept` hears of each abandoned partial directory removed on the way (for
 * the log).
 */
export async function stageFsArchive(
  output: string,
  overwrite: boolean,
  onSwept: (dir: string) => void = () => {},
): Promise<StagedArchive> {
  if (!overwrite && (await exists(output))) {
    throw new ConfigError(`${output}: output already exists`, {
      hint: hint`choose a new output path, or pass ${opt("overwrite", true)} to replace it`,
    });
  }
  const parent = dirname(output);
  const staging = join(parent, `${basename(output)}${PARTIAL}${process.pid}`);
  const context = `cannot create the output ${output}`;
  try {
    await mkdir(parent, { recursive: true });
    for (const dir of await sweepStalePartials(output)) onSwept(dir);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    await writeFile(join(staging, MARKER), JSON.stringify({ pid: process.pid, host: hostname() }));
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw asUserError(err, { context });
  }
  // Synchronous on purpose: on the main thread nothing can write into the directory meanwhile.
  const forget = onInterrupt(() => rmSync(staging, { recursive: true, force: true }));
  return {
    store: new FsStore(staging),
    location: staging,
    async commit() {
      try {
        await rm(join(staging, MARKER), { force: true });
        if (await exists(output)) {
          const old = join(parent, `${basename(output)}.zarrify-old-${process.pid}`);
          await rename(output, old);
          await rename(staging, output);
          await rm(old, { recursive: true, force: true });
        } else {
          await rename(staging, output);
        }
      } catch (err) {
        throw asUserError(err, { context: `cannot move the finished archive to ${output}` });
      } finally {
        forget();
      }
    },
    async abort() {
      // The interrupt handler stays until the directory is gone: a signal in the middle of the
      // removal then finishes it instead of exiting halfway.
      try {
        await rm(staging, { recursive: true, force: true });
      } finally {
        forget();
      }
    },
  };
}
