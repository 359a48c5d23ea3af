/**
 * The configuration half of the bad-input catalogue (docs/errors.md): config files, flags and
 * ZARRIFY_* variables that cannot be used. Each is exit 2 (ConfigError) with one line naming
 * where the bad value is (file and line, flag, variable) and a hint saying how to fix it, and
 * no output archive is begun.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCliBounded } from "../helpers/clean-failure.js";
import { writeGrid } from "../helpers/grid-nc.js";
import { tempDir } from "../helpers/paths.js";
import { expectFailsWithHint } from "./catalogue.js";

const dir = tempDir("zarrify-bad-config-");
const at = (name: string) => join(dir, name);
const input = at("in.nc");
const output = at("out.zarr");

const FILES: Record<string, string> = {
  "unclosed.yaml": "chunking: [1, 2\ncompression: zstd\n",
  "trailing-comma.json": '{"chunking": {"time": 10},}',
  "typo.yaml": "zarr_format: 2\nchunkng:\n  time: 5\n",
  "wrong-type.yaml": "chunking: 5\n",
  "negative.yaml": "chunking:\n  time: -5\n",
  "bad-compression.yaml": "compression: blosc:snappy\n",
  "list.yaml": "- chunking\n- compression\n",
  "format.json": '{"zarr_format": 4}',
  "v2-shards.yaml": "zarr_format: 2\nshards:\n  time: 4\n",
};

beforeAll(() => {
  writeGrid(input, { times: 8, y: 3, x: 4 });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(at(name), text);
  mkdirSync(at("conf.d"));
});

const convert = (flags: string[], env?: NodeJS.ProcessEnv) =>
  runCliBounded(["convert", input, output, ...flags], { env });

/** Nothing of the output: not the archive, not a staging directory. */
const nothingWritten = () =>
  expect(readdirSync(dir).filter((f) => f.startsWith("out.zarr"))).toEqual([]);

describe("config files", () => {
  it("invalid YAML: exit 2, file and line, how to fix the syntax", () => {
    const r = convert(["--config", at("unclosed.yaml")]);
    expectFailsWithHint(r, { code: 2, fragments: [/unclosed\.yaml:\d+: not valid YAML/, /fix/] });
    nothingWritten();
  });

  it("invalid JSON: exit 2, file, how to fix the syntax", () => {
    const r = convert(["--config", at("trailing-comma.json")]);
    expectFailsWithHint(r, { code: 2, fragments: [/trailing-comma\.json.*: not valid JSON/] });
    nothingWritten();
  });

  it("an unknown key: exit 2, file and line, did you mean, rename it", () => {
    const r = convert(["--config", at("typo.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: ["typo.yaml:2", /unknown option 'chunkng'; did you mean 'chunking'/, /rename/],
    });
    nothingWritten();
  });

  it("a value of the wrong type: exit 2, what it must be, where to correct it", () => {
    const r = convert(["--config", at("wrong-type.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: ["wrong-type.yaml:1", /'chunking' must be a mapping, not number/, /correct it/],
    });
    nothingWritten();
  });

  it("a negative chunk length: exit 2, names the key and its line", () => {
    const r = convert(["--config", at("negative.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: ["negative.yaml:2", /'chunking\.time' must be a positive integer/],
    });
    nothingWritten();
  });

  it("an unsupported compression: exit 2, lists the valid forms", () => {
    const r = convert(["--config", at("bad-compression.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: [/snappy is not supported/, /Valid forms: none, gzip/],
    });
    nothingWritten();
  });

  it("a zarr_format other than 2 or 3: exit 2", () => {
    const r = convert(["--config", at("format.json")]);
    expectFailsWithHint(r, { code: 2, fragments: ["format.json", /'zarr_format' must be 2 or 3/] });
    nothingWritten();
  });

  it("shards with zarr_format 2: exit 2, Zarr v2 has no sharding", () => {
    const r = convert(["--config", at("v2-shards.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: [/'shards' needs zarrFormat 3/, /--zarr-format 3, or leave out --shards/],
    });
    nothingWritten();
  });

  it("a file that is a list, not a mapping: exit 2, how a config file looks", () => {
    const r = convert(["--config", at("list.yaml")]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: ["list.yaml", /expected a mapping of option names/, /name: value/],
    });
    nothingWritten();
  });

  it("a config path that is a directory: exit 2", () => {
    const r = convert(["--config", at("conf.d")]);
    expectFailsWithHint(r, { code: 2, fragments: ["conf.d", /is a directory/, /YAML or JSON/] });
    nothingWritten();
  });

  it("a config file that does not exist: exit 2", () => {
    const r = convert(["--config", at("nowhere.yaml")]);
    expectFailsWithHint(r, { code: 2, fragments: ["nowhere.yaml", /does not exist/] });
    nothingWritten();
  });
});

describe("flags and environment", () => {
  it("--chunking with a negative length: exit 2, the piece quoted", () => {
    const r = convert(["--chunking", "time:-5"]);
    expectFailsWithHint(r, { code: 2, fragments: ["'time:-5'", /positive integer/, /time:100/] });
    nothingWritten();
  });

  it("--shards that do not hold whole chunks: exit 2, the multiples to use", () => {
    const r = convert(["--chunking", "time:2", "--shards", "time:3"]);
    expectFailsWithHint(r, {
      code: 2,
      fragments: [/time:3 does not hold whole chunks/, /--shards time:4/],
    });
    nothingWritten();
  });

  it("--shards not of the dim:length form: exit 2", () => {
    const r = convert(["--shards", "time=4"]);
    expectFailsWithHint(r, { code: 2, fragments: [/'time=4' is not dim:length/, /write time:4/] });
    nothingWritten();
  });

  it("--compression with a bad level: exit 2, the valid forms", () => {
    const r = convert(["--compression", "zstd:99"]);
    expectFailsWithHint(r, { code: 2, fragments: ["zstd:99", /zstd\[:level 1-22\]/] });
    nothingWritten();
  });

  it("--jobs 0: exit 2, a number greater than 0", () => {
    const r = convert(["--jobs", "0"]);
    expectFailsWithHint(r, { code: 2, fragments: ["--jobs", /greater than 0/] });
    nothingWritten();
  });

  it("a misspelt ZARRIFY_ variable: exit 2, did you mean, rename it", () => {
    const r = convert([], { ZARRIFY_CHUNKNG: "time:4" });
    expectFailsWithHint(r, {
      code: 2,
      fragments: [/ZARRIFY_CHUNKNG; did you mean ZARRIFY_CHUNKING/, /rename it/],
    });
    nothingWritten();
  });

  it("a ZARRIFY_ variable of the wrong type: exit 2, what to set it to", () => {
    const r = convert([], { ZARRIFY_JOBS: "many" });
    expectFailsWithHint(r, { code: 2, fragments: [/ZARRIFY_JOBS must be a number, not 'many'/] });
    nothingWritten();
  });
});
