/**
 * `create-template`: an archive covering globalStart..globalEnd at freq, laid out from a template
 * file. It holds the metadata of every variable, the coordinates (the full time axis included) and
 * the data of the variables without a time dimension; the time-dependent arrays get no chunks
 * (`compute: false`), so they read as fill values until `write-region` fills them. With
 * `compute: true` the template file's own data are then written into their region.
 *
 * Built in a staging directory and renamed into place when complete, like convert; the computed
 * region is written before that, so a template is never there without the data it was asked for.
 */
import type { ConfigInput, ZarrifyConfig } from "../config/schema.js";
import { resolveConfig } from "../config/schema.js";
import { type CFDatetime, formatDate } from "../dataset/cftime/date.js";
import { inferFrequency, parseFrequency, timeRange } from "../dataset/cftime/frequency.js";
import { parseDate } from "../dataset/cftime/parse.js";
import { findTimeDim } from "../dataset/coords.js";
import type { Dataset, Variable } from "../dataset/types.js";
import { finishArchive, writePlanMetadata } from "../engine/metadata.js";
import type { ProgressListener } from "../engine/progress.js";
import { executePlan } from "../engine/run.js";
import { ConfigError, InputError } from "../errors.js";
import { hint, message, opt, verb } from "../hint.js";
import { type Logger, libraryLogger } from "../log.js";
import { DEFAULT_MAX_BLOCK_MB } from "../plan/blocks.js";
import { encodingOptions, selectForWrite } from "../plan/new-archive.js";
import { withShards } from "../plan/shards.js";
import { planTemplate } from "../plan/template-plan.js";
import { chooseTimeEncoding } from "../plan/time-encoding.js";
import { openDataset } from "../readers/index.js";
import { TEMPLATE_KEY, type TemplateInfo, writeTemplateInfo } from "../region/state.js";
import { hasTimeUnits, type TimeAxis, timeAxisOf } from "../region/time-axis.js";
import { version } from "../version.js";
import type { Store } from "../zarr/store/types.js";
import { archiveLocation } from "./archive-store.js";
import { stageArchive } from "./new-archive.js";
import { splitOptions } from "./options.js";
import { packPlan } from "./packing.js";
import { type RegionWriteResult, writeRegion } from "./region.js";
import { sizeStrings } from "./strings.js";

export interface CreateTemplateOptions {
  /** A NetCDF path, or a Dataset already opened with openDataset (it is not closed). */
  templateDataset: string | Dataset;
  outputPath: string;
  /** First time step of the archive, e.g. "2020-01-01" or "2020-01-01T06:00". */
  globalStart: string;
  /** Last time step (included when it falls on the grid). */
  globalEnd: string;
  /** pandas-style step: 15min, 1H, 6H, 1D, 1W, MS, YS...; inferred from the template when omitted. */
  freq?: string;
  /** Also write the template file's own data into its region. Default false. */
  compute?: boolean;
  overwrite?: boolean;
  logger?: Logger;
  /** With compute: a bar (CLI on a TTY) or periodic lines on stderr while the data are written. */
  progress?: boolean | ProgressListener;
}

export interface CreateTemplateResult {
  output: string;
  steps: number;
  start: string;
  end: string;
  freq: string;
  timeDim: string;
  variables: string[];
  regionArrays: string[];
  seconds: number;
  /** The template's own region, when compute: true. */
  computed?: RegionWriteResult;
}

/** A dataset whose time coordinate reads from the new axis, so the engine writes it like any variable. */
function withTimeAxis(ds: Dataset, timeVar: Variable, values: ArrayLike<number | bigint>): Dataset {
  const axis: Variable = {
    ...timeVar,
    shape: [values.length],
    sourceChunks: undefined,
    read: async (start, count) =>
      (values as Float64Array).slice(start[0], start[0] + count[0]) as never,
  };
  return { ...ds, variables: ds.variables.map((v) => (v === timeVar ? axis : v)) };
}

/** The template's time coordinate and its decoded axis; a template without one is refused. */
export async function templateTime(
  ds: Dataset,
  timeDimOption: string | undefined,
): Promise<{ timeVar: Variable; axis: TimeAxis }> {
  const timeDim = findTimeDim(ds, timeDimOption);
  const timeVar = ds.variables.find((v) => v.name === timeDim && v.dims.length === 1);
  if (timeDim === undefined) {
    throw new InputError(
      `${ds.path}: no time coordinate found, so the archive's time axis cannot be laid out`,
      {
        path: ds.path,
        hint: hint`the file needs a time coordinate variable with CF units; name its dimension with ${opt("timeDim")}`,
      },
    );
  }
  if (timeVar === undefined || !hasTimeUnits(timeVar.attrs)) {
    // --time-dim was right about the dimension; what is missing is the times along it.
    throw new InputError(
      `${ds.path}: dimension '${timeDim}' has no coordinate variable with CF time units ('<unit> since <date>'), so a time axis cannot be laid out along it`,
      {
        path: ds.path,
        hint: hint`a template needs times; to join files along '${timeDim}' without them, use ${verb("convert")} with ${opt("timeDim", timeDim)}`,
      },
    );
  }
  const axis = timeAxisOf(
    await timeVar.read([0], [...timeVar.shape]),
    timeVar.attrs,
    `${ds.path}: variable '${timeVar.name}'`,
  );
  return { timeVar, axis };
}

export interface BuildArchiveOptions {
  timeVar: Variable;
  /** The template file's own axis (units, calendar). */
  axis: TimeAxis;
  /** Every step of the archive. */
  dates: CFDatetime[];
  /** The step, for the record; "irregular" when there is none. */
  freq: string;
  config: ZarrifyConfig;
  logger: Logger;
  /** For log lines. */
  output: string;
  verb?: string;
  /** Data ranges for packing, when the caller scanned more than the template file. */
  knownRanges?: Record<string, { min: number; max: number }>;
  /** Longest strings (Zarr v3), when the caller scanned more than the template file. */
  knownStringLengths?: ReadonlyMap<string, number>;
}

/**
 * Lays out an archive over `dates` from a template dataset into `store`: metadata of every
 * array, the time axis, the arrays without a time dimension, the template record, consolidated
 * metadata. The time-dependent arrays are left for region writes.
 */
export async function buildArchive(
  ds: Dataset,
  store: Store,
  o: BuildArchiveOptions,
): Promise<{ info: TemplateInfo; variables: string[] }> {
  const { config, logger, timeVar, axis, dates } = o;
  const verb = o.verb ?? "create-template";
  const calendar = axis.calendar;
  const timeDim = timeVar.dims[0];
  const freq = o.freq === "irregular" ? undefined : parseFrequency(o.freq);
  const encoding = chooseTimeEncoding(
    dates,
    calendar,
    { units: axis.units, dtype: timeVar.dtype },
    freq ?? { n: 1, unit: "S" },
  );
  const variables = selectForWrite(ds, config);
  // Templates lay out one group; say so rather than leave a tree's other groups out silently.
  const children = config.group === undefined ? (ds.children?.() ?? []) : [];
  if (children.length > 0) {
    logger.warn(
      `${verb}: ${ds.path} has groups below the root (${children.map((c) => c.group).join(", ")}); only the root group is written (${message`${opt("group")}`} picks another; a single-file convert writes the whole tree)`,
    );
  }
  const planned = planTemplate(ds, variables, {
    ...encodingOptions(config, timeDim),
    timeDim,
    steps: dates.length,
    time: { variable: timeVar.name, dtype: encoding.dtype, units: encoding.units },
    accessPattern: config.intelligentChunking ? config.accessPattern : undefined,
    mayStayUnwritten: verb === "create-template",
  });
  const { regionArrays, warnings } = planned;
  for (const w of warnings) logger.warn(w);
  const plan = withShards(
    await sizeStrings(
      ds,
      await packPlan(ds, planned.plan, config, logger, verb === "create-template", o.knownRanges),
      o.knownStringLengths,
    ),
    config.shards,
    { pattern: config.accessPattern, timeDim },
  );
  logger.info(
    `${verb}: ${o.output}: ${dates.length} steps${freq ? ` of ${o.freq}` : ""} from ${formatDate(dates[0])} to ${formatDate(dates[dates.length - 1])} (${calendar}), time as '${encoding.units}'`,
  );
  for (const a of plan.arrays) {
    logger.debug(
      `  ${a.name}(${a.dims.join(", ")}) ${a.dtype} shape=[${a.shape}] chunks=[${a.chunks}]${a.shards ? ` shards=[${a.shards}]` : ""}`,
    );
  }
  // Only the time axis and the arrays without a time dimension carry data in the template.
  const staticPlan = { ...plan, arrays: plan.arrays.filter((a) => !regionArrays.includes(a.name)) };
  await writePlanMetadata(store, plan);
  await executePlan({
    plan: staticPlan,
    dataset: withTimeAxis(ds, timeVar, encoding.values),
    store,
    jobs: 1,
    maxBlockBytes: DEFAULT_MAX_BLOCK_MB * 1024 * 1024,
  });
  const info: TemplateInfo = {
    kind: "zarrify-template",
    version: 1,
    timeDim,
    timeVariable: timeVar.name,
    units: encoding.units,
    calendar,
    freq: o.freq,
    start: formatDate(dates[0]),
    end: formatDate(dates[dates.length - 1]),
    steps: dates.length,
    regionArrays,
    createdBy: `zarrify ${version()}`,
    created: new Date().toISOString(),
  };
  await writeTemplateInfo(store, info);
  await finishArchive(store, plan.zarrFormat);
  return { info, variables: plan.arrays.map((a) => a.name) };
}

const TEMPLATE_KEYS = [
  "templateDataset",
  "outputPath",
  "globalStart",
  "globalEnd",
  "freq",
  "compute",
  "overwrite",
  "logger",
  "progress",
] as const;

/**
 * The seed's create_template: `templateDataset`, `outputPath`, `globalStart`, `globalEnd`,
 * `freq`, `compute`, plus any configuration key (chunking, compression, intelligentChunking,
 * accessPattern...).
 */
export async function createTemplate(
  all: CreateTemplateOptions & ConfigInput,
): Promise<CreateTemplateResult> {
  const { own: options, config: configInput } = splitOptions(all, TEMPLATE_KEYS);
  const config = resolveConfig({ cli: configInput });
  const logger = options.logger ?? libraryLogger;
  const started = performance.now();
  const output = archiveLocation(options.outputPath, "output");
  const ds =
    typeof options.templateDataset === "string"
      ? await openDataset(options.templateDataset, { group: config.group })
      : options.templateDataset;
  try {
    const { timeVar, axis } = await templateTime(ds, config.timeDim);
    const calendar = axis.calendar;
    const freqText = options.freq ?? inferFrequency(axis.dates, calendar);
    if (freqText === undefined) {
      const why =
        axis.dates.length === 1
          ? `it holds one time step (${formatDate(axis.dates[0])}), and a step needs two`
          : axis.dates.length === 0
            ? "it holds no time step"
            : "its steps are not evenly spaced";
      throw new ConfigError(`${ds.path}: cannot infer the archive's time step: ${why}`, {
        hint: hint`pass the step with ${opt("freq")} (e.g. ${opt("freq", "1D")} for daily files, ${opt("freq", "6H")}), or give all the files to ${verb("run")}, which infers it from their times`,
      });
    }
    const dates = timeRange(
      parseDate(options.globalStart, calendar),
      parseDate(options.globalEnd, calendar),
      parseFrequency(freqText),
      calendar,
    );
    if (dates.length === 0) {
      throw new ConfigError(
        `no ${freqText} step falls between ${options.globalStart} and ${options.globalEnd}`,
        {
          hint: hint`widen ${opt("globalStart")}/${opt("globalEnd")} or choose another ${opt("freq")}`,
        },
      );
    }
    const staged = await stageArchive(output, options.overwrite ?? false, (what) =>
      logger.info(`create-template: removed ${what}, left by an interrupted run`),
    );
    let info: TemplateInfo;
    let variables: string[];
    let computed: RegionWriteResult | undefined;
    try {
      ({ info, variables } = await buildArchive(ds, staged.store, {
        timeVar,
        axis,
        dates,
        freq: freqText,
        config,
        logger,
        output,
      }));
      if (options.compute) {
        // Into the staged archive, before the commit: a template killed while its data were
        // written would otherwise be a finished archive missing them, which the same command
        // run again refuses to touch (the output exists).
        // From the path when there is one, so the region is recorded like any write-region.
        const source = typeof options.templateDataset === "string" ? options.templateDataset : ds;
        computed = await writeRegion(
          source,
          output,
          { ...configInput, store: staged.store, logger, progress: options.progress },
          { verb: "create-template" },
        );
      }
      await staged.commit();
    } catch (err) {
      await staged.abort();
      throw err;
    }
    const regionArrays = info.regionArrays;
    const timeDim = info.timeDim;
    logger.info(`create-template: wrote ${output} (${TEMPLATE_KEY} records the time axis)`);
    const result: CreateTemplateResult = {
      output,
      steps: dates.length,
      start: formatDate(dates[0]),
      end: formatDate(dates[dates.length - 1]),
      freq: freqText,
      timeDim,
      variables,
      regionArrays,
      seconds: 0,
    };
    if (computed) result.computed = computed;
    result.seconds = (performance.now() - started) / 1000;
    return result;
  } finally {
    if (typeof options.templateDataset === "string") await ds.close();
  }
}
