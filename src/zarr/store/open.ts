/** Opens the store a StoreDescription names: how workers reach the archive their caller writes. */
import { FsStore } from "./fs.js";
import type { Store, StoreDescription } from "./types.js";

export function openStore(description: StoreDescription): Store {
  switch (description.kind) {
    case "fs":
      return new FsStore(description.root);
  }
}
