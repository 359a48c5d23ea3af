/** Whether a process of this host has ended, for telling abandoned files from a live writer's. */

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
