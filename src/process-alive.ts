/** Whether a process of this host has ended, for telling abandoned files from a live writer's. */
import { createHash } from "node:crypto";
import { hostname } from "node:os";

/** This host, in names of files a process leaves while it works, so other hosts' are told apart. */
export const HOST_TAG = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

/**
 * True only when `pid` certainly does not run (ESRCH). A pid we may not signal (EPERM) runs; a
 * recycled pid reads as alive, which errs on the side of keeping files.
 */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
