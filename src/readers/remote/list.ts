/**
 * s3:// patterns: `s3://bucket/daily/2020-*.nc`, `s3://bucket/**\/*.nc`. The objects are listed
 * under the pattern's literal prefix (ListObjectsV2, paged) and matched key by key with the
 * glob rules of local patterns: `*` and `?` stay within one path segment, `**` spans any number
 * of them, `[...]` is a character class. Sizes and versions come with the listing, so callers
 * need no request per object to count bytes.
 */
import { InputError } from "../../errors.js";
import { loadSdk, s3Endpoint } from "../../s3/client.js";
import { describeS3Failure, isRetryable } from "../../s3/errors.js";
import { GLOB_MAGIC, segmentSource } from "../../util/glob.js";
import { backoffDelay, DEFAULT_RETRY, sleep } from "../../util/retry.js";
import { s3Client } from "./s3-fetcher.js";

export interface ListedObject {
  url: string;
  size: number;
  etag?: string;
}

/** The regular expression a whole key must match for `pattern`. */
export function keyPatternRegex(pattern: string): RegExp {
  const parts = pattern.split("/");
  let re = "";
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === "**") {
      // Any number of whole segments; a trailing "**" means every object below.
      re += last ? ".*" : "(?:[^/]+/)*";
    } else re += segmentSource(part) + (last ? "" : "/");
  });
  return new RegExp(`^${re}$`);
}

export function hasGlob(pattern: string): boolean {
  return GLOB_MAGIC.test(pattern);
}

async function retrying<T>(request: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await request();
    } catch (err) {
      if (!isRetryable(err) || n >= DEFAULT_RETRY.maxAttempts) throw err;
      await sleep(backoffDelay(n, DEFAULT_RETRY));
    }
  }
}

export async function listS3Pattern(bucket: string, keyPattern: string): Promise<ListedObject[]> {
  const url = `s3://${bucket}/${keyPattern}`;
  const firstMagic = keyPattern.search(GLOB_MAGIC);
  const prefix = firstMagic < 0 ? keyPattern : keyPattern.slice(0, firstMagic);
  const re = keyPatternRegex(keyPattern);
  const sdk = await loadSdk();
  const out: ListedObject[] = [];
  let token: string | undefined;
  try {
    const client = await s3Client();
    do {
      const command = new sdk.ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
      });
      const page = await retrying(() => client.send(command));
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !re.test(o.Key) || o.Key.endsWith("/")) continue;
        out.push({ url: `s3://${bucket}/${o.Key}`, size: o.Size ?? 0, etag: o.ETag });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } catch (err) {
    const { reason, hint } = describeS3Failure(err, {
      bucket,
      endpoint: s3Endpoint(),
      permissions: "s3:ListBucket on the bucket to expand a pattern (s3:GetObject to read)",
      busyHint: "try again later",
    });
    throw new InputError(`${url}: cannot list the objects of this pattern: ${reason}`, {
      path: url,
      cause: err,
      hint,
    });
  }
  return out;
}
