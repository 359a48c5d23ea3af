import { expect, it } from "vitest";
import { progressReporter } from "../../src/engine/progress.js";
import { createLogger } from "../../src/log.js";

it("writes plain progress lines off a terminal: the first, then at most every 5 s, and the last", () => {
  const lines: string[] = [];
  const logger = createLogger("info", (l) => lines.push(l));
  const p = progressReporter("convert", logger, false);
  const MiB = 1024 * 1024;
  p.update({ doneBytes: 0, totalBytes: 10 * MiB, doneTasks: 0, totalTasks: 4 });
  p.update({ doneBytes: 5 * MiB, totalBytes: 10 * MiB, doneTasks: 2, totalTasks: 4 });
  p.update({ doneBytes: 10 * MiB, totalBytes: 10 * MiB, doneTasks: 4, totalTasks: 4 });
  p.stop();
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/convert: 0% \(0\.0 of 10\.0 MiB, 0\/4 blocks\)/);
  expect(lines[1]).toMatch(/convert: 100% \(10\.0 of 10\.0 MiB, 4\/4 blocks\)/);
});
