/**
 * The template `run` and `queue submit` make when the archive does not exist yet: from the
 * template file (default: the first input), over the given time range, with the step taken from
 * the times of every input unless one is given.
 */
import type { ConfigInput, ZarrifyConfig } from "../config/schema.js";
import type { Logger } from "../log.js";
import { inferStepFromInputs } from "./infer-step.js";
import { inputKey } from "./inputs.js";
import { createTemplate } from "./template.js";

export interface InputsTemplate {
  archive: string;
  files: readonly string[];
  template?: string;
  globalStart: string;
  globalEnd: string;
  freq?: string;
  overwrite?: boolean;
  /** The caller's own configuration, as given (createTemplate resolves it again). */
  config: ConfigInput;
  resolved: ZarrifyConfig;
  logger: Logger;
  /** For the log line. */
  verb: string;
}

export async function createTemplateForInputs(o: InputsTemplate): Promise<void> {
  const template = o.template ?? o.files[0];
  const freq =
    o.freq ??
    (await inferStepFromInputs([...new Set([inputKey(template), ...o.files])], o.resolved));
  if (o.freq === undefined) o.logger.info(`${o.verb}: step ${freq}, from the times of the inputs`);
  await createTemplate({
    ...o.config,
    templateDataset: template,
    outputPath: o.archive,
    globalStart: o.globalStart,
    globalEnd: o.globalEnd,
    freq,
    overwrite: o.overwrite,
    logger: o.logger,
  });
}
