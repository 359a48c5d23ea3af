import { Command } from "commander";
import { addCommonOptions, type CommonFlags } from "../common.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../report-error.js";

export function validateCommand(ctx: CliContext): Command {
  const cmd = new Command("validate")
    .description(
      "report an archive's time range, variables, value ranges, the time steps not written yet and those written but empty",
    )
    .argument("<archive>", "a Zarr archive (v2 or v3)")
    .option("--json", "print the report as JSON")
    .option(
      "--require-complete",
      `exit with code ${EXIT.incomplete} when any time step is not written (never, partly, or its chunks are gone)`,
    );
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  zarrify validate archive.zarr
  zarrify validate archive.zarr --require-complete --json > report.json`,
  );
  cmd.action(async (archive: string, flags: CommonFlags & Record<string, unknown>) => {
    const logger = ctx.logger(flags.verbose);
    const { formatValidateReport, validateArchive } = await import("../../ops/validate.js");
    const report = await validateArchive(archive, { logger });
    ctx.out(flags.json ? JSON.stringify(report, null, 2) : formatValidateReport(report));
    if (flags.requireComplete && !report.complete) ctx.exitCode = EXIT.incomplete;
  });
  return cmd;
}
