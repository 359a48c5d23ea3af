/** Opens the store a StoreDescription names: how workers reach the archive their caller writes. */
import { FsStore } from "./fs.js";
import { S3Store } from "./s3.js";
import type { Store, StoreDescription } from "./types.js";

export function openStore(description: StoreDescription): Store {
  switch (description.kind) {
    case "fs":
      return new FsStore(description.root);
    case "s3":
      return new S3Store({
        bucket: description.bucket,
        prefix: description.prefix,
        endpoint: description.endpoint,
        region: description.region,
        forcePathStyle: description.forcePathStyle,
      });
  }
}
