/**
 * What to undo when the process is interrupted (SIGINT/SIGTERM, or a closed pipe), registered by
 * whoever creates something a finished run would not leave behind: a staging directory, worker
 * threads still writing into it. The library never installs signal handlers itself (that is the
 * embedding program's call); the CLI does, and runs these before it exits.
 */

type Cleanup = () => void | Promise<void>;

const pending: Cleanup[] = [];
let interrupted = false;

/**
 * True once an interrupt's cleanups have begun. A verb that fails from then on fails because its
 * threads were stopped under it; that is no error to report, as the process exits 130/143.
 */
export function interruptInProgress(): boolean {
  return interrupted;
}

/** Register `fn`; call the returned function once the thing no longer needs undoing. */
export function onInterrupt(fn: Cleanup): () => void {
  pending.push(fn);
  return () => {
    const i = pending.lastIndexOf(fn);
    if (i >= 0) pending.splice(i, 1);
  };
}

/**
 * Runs every registered cleanup, newest first (workers are stopped before the directory they
 * write into is removed), each at most once. A failing cleanup does not stop the others.
 */
export async function runInterruptCleanups(): Promise<void> {
  interrupted = true;
  while (pending.length > 0) {
    const fn = pending.pop() as Cleanup;
    try {
      await fn();
    } catch {
      // Interrupted anyway; what could not be removed is swept by the next run.
    }
  }
}
