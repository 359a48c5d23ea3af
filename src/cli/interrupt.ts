/**
 * How the CLI ends when it is interrupted: on SIGINT/SIGTERM it undoes what the running verb
 * registered (src/cleanup.ts) and exits 128 + the signal number, as shells report it; when the
 * reader of stdout/stderr goes away (`zarrify run --help | head -1`) it carries on without
 * printing instead of dying on an unhandled EPIPE with a stack trace.
 */
import { runInterruptCleanups } from "../cleanup.js";

export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Cleanups get this long; a stuck filesystem must not make Ctrl-C hang forever. */
const CLEANUP_TIMEOUT_MS = 10_000;

let ending = false;

async function endWith(code: number): Promise<never> {
  if (!ending) {
    ending = true;
    await Promise.race([
      runInterruptCleanups(),
      new Promise((r) => setTimeout(r, CLEANUP_TIMEOUT_MS).unref()),
    ]);
  }
  process.exit(code);
}

export function installInterruptHandlers(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      if (ending) process.exit(code); // a second Ctrl-C: the user wants out now
      void endWith(code);
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      // Nobody reads any more: what was printed was wanted only that far (`--help | head -1`).
      // The verb itself carries on and exits with its own code; only its output is lost.
    });
  }
}
