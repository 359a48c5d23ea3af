/**
 * What an archive location holds, for the kill matrix's checks: every key (local files, or S3
 * objects under the prefix, with zarrify's hidden names kept), what of that is debris a killed
 * process leaves (temp and lock files, staging and old directories beside the output, the S3
 * build marker, the append lock, the conditional-write probe), and copies to local directories
 * the Python oracles can open.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { S3Store } from "../../src/zarr/store/s3.js";

export interface S3Place {
  bucket: string;
  prefix: string;
  endpoint: string;
}

export function s3Store(p: S3Place): S3Store {
  return new S3Store({
    bucket: p.bucket,
    prefix: p.prefix,
    endpoint: p.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    // Reading and copying only: the probe would leave objects the stray check looks for.
    verifyConditionalWrites: false,
  });
}

/** Every file under `root`, relative, hidden ones included; [] when it does not exist. */
export function localKeys(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Every object under the store's prefix. S3Store.list hides nothing of zarrify's own. */
export async function s3Keys(p: S3Place): Promise<string[]> {
  return (await s3Store(p).list()).sort();
}

/** Keys only one run writes, which two clean runs need not share. */
const VOLATILE = [/^\.zarrify\/swept$/];

export function comparableKeys(keys: string[]): string[] {
  return keys.filter((k) => !VOLATILE.some((r) => r.test(k)));
}

/** Debris a killed or finished process must not leave inside an archive. */
export function debrisIn(keys: string[]): string[] {
  return keys.filter(
    (k) =>
      /\.zarrify-(tmp|lock)$/.test(k) ||
      /\.zarrify-(partial|old)/.test(k) ||
      k === ".zarrify/partial.json" ||
      k === ".zarrify/append.lock" ||
      k.startsWith(".zarrify/probe/"),
  );
}

/** Entries of `dir` other than `keep` (the output's siblings: staging or old directories). */
export function strangersIn(dir: string, keep: string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => !keep.includes(n));
}

/** Whether a local path holds something zarr would open (a root document). */
export function localArchiveExists(path: string): boolean {
  return ["zarr.json", ".zgroup", ".zmetadata"].some((n) => existsSync(join(path, n)));
}

export function s3ArchiveExists(keys: string[]): boolean {
  return keys.some((k) => k === "zarr.json" || k === ".zgroup" || k === ".zmetadata");
}

/** A copy of a local archive (the state a kill left, before the re-run changes it). */
export function copyLocal(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

/** Every object under an S3 prefix copied into a local directory. */
export async function downloadS3(p: S3Place, to: string): Promise<void> {
  const store = s3Store(p);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const key of await store.list()) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    mkdirSync(dirname(join(to, key)), { recursive: true });
    writeFileSync(join(to, key), bytes);
  }
}

/** Every object of one prefix copied under another (a prepared base state for each attempt). */
export async function copyS3(from: S3Place, to: S3Place): Promise<void> {
  const src = s3Store(from);
  const dst = s3Store(to);
  const keys = await src.list();
  let next = 0;
  const lane = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const bytes = await src.get(key);
      if (bytes) await dst.set(key, bytes);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
}

export function dirSize(path: string): number {
  let n = 0;
  for (const k of localKeys(path)) n += statSync(join(path, k)).size;
  return n;
}
