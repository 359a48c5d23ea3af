/**
 * The model with real OS processes: each job is a `zarrify write-region` process of the built CLI
 * (dist/cli/bin.js), several at once, some killed with SIGKILL at a random moment of their write
 * (a delay after the line naming their region, which comes once every check passed and just before
 * the first chunk), then re-run until they finish. A SIGKILL can land anywhere, inside the
 * FsStore's own steps too: a temp file written but not renamed, a chunk lock taken and never
 * given back, which the next writer of that chunk must break.
 */
import { spawn } from "node:child_process";
import fc from "fast-check";
import { cliBin } from "../helpers/paths.js";
import { type Format, jobsOf, type Layout, layoutArb, type Scenario } from "./scenario.js";

export interface ProcessScenario {
  layout: Layout;
  segments: Scenario["segments"];
  groups: number[];
  twice: number[];
  order: number[];
  writers: number;
  /** Per job, the kills of its attempts in turn: ms after its region line. */
  kills: number[][];
}

export const processScenarioArb = (format: Format): fc.Arbitrary<ProcessScenario> =>
  fc.record({
    layout: layoutArb(format),
    // Mostly kept: a case of one or two processes has few kills to make.
    segments: fc.array(
      fc.record({ len: fc.integer({ min: 1, max: 7 }), keep: fc.constantFrom(true, true, false) }),
      {
        minLength: 3,
        maxLength: 12,
      },
    ),
    groups: fc.array(fc.constantFrom(0, 0, 0, 1, 2), { maxLength: 12 }),
    twice: fc.array(fc.nat(), { maxLength: 2 }),
    order: fc.array(fc.nat({ max: 100 }), { maxLength: 20 }),
    writers: fc.integer({ min: 2, max: 4 }),
    // A write takes 10-30 ms after its (first) region line here; later kills find it done.
    kills: fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 2 }), { maxLength: 20 }),
  });

/** As the in-process model sees it (no delays; the kills are the processes'). */
export function asScenario(p: ProcessScenario): Scenario {
  return { ...p, maxDelayMs: 0, kills: [], seed: 0 };
}

/**
 * One write-region process for one file, a `run --resume` for several (which skips the ones a
 * killed attempt completed); resolves with whether it was killed, rejects if it failed otherwise.
 */
function writeProcess(files: string[], archive: string, killAfterMs?: number): Promise<boolean> {
  const args =
    files.length === 1
      ? ["write-region", files[0], archive, "-v"]
      : ["run", ...files, archive, "--resume", "--jobs", "1", "-v"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let armed = false;
    child.stderr.on("data", (d) => {
      stderr += d;
      if (killAfterMs === undefined || armed || !/: region time /.test(stderr)) return;
      armed = true;
      setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    });
    child.on("close", (code, signal) => {
      if (signal === "SIGKILL") resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`${args.join(" ")}: exit ${code} ${signal ?? ""}\n${stderr}`));
    });
  });
}

export interface ProcessOutcome {
  attempts: number;
  kills: number;
}

/** Every job on `writers` lanes; a killed job runs again (its last attempt is never killed). */
export async function playProcesses(
  p: ProcessScenario,
  archive: string,
  paths: string[],
): Promise<ProcessOutcome> {
  const queue = jobsOf(p, paths.length).map((files, job) => ({ files, job }));
  const out = { attempts: 0, kills: 0 };
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const kills = p.kills[next.job] ?? [];
      for (let a = 0; a <= kills.length; a++) {
        out.attempts++;
        const files = next.files.map((f) => paths[f]);
        if (!(await writeProcess(files, archive, kills[a]))) break;
        out.kills++;
      }
    }
  };
  await Promise.all(Array.from({ length: p.writers }, lane));
  return out;
}
