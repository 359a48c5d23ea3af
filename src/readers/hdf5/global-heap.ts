/**
 * A guard for a libhdf5 hang h5wasm cannot be woken from: decoding a global heap collection
 * ("GCOL", where variable-length values live) whose free-space object has size 0 loops forever
 * (H5HG__cache_heap_deserialize never advances), synchronously, inside WebAssembly. A dataset's
 * variable-length fill value is decoded from its collection as soon as h5wasm reads the dataset's
 * metadata, so before that the collections the fill values name are walked here the way libhdf5
 * walks them, and one that would not advance is a `CorruptError`. Found by the fuzzer.
 */
import { CorruptError, FormatError, UNDEFINED_ADDRESS } from "./le-reader.js";
import { MSG, MSG_SHARED, readObjectHeader } from "./object-header.js";
import type { RawFile } from "./raw-file.js";

/** Datatype class 9: variable-length (sequences and strings). */
const VLEN_CLASS = 9;

/** The global heap collection a variable-length fill value of the dataset at `address` names. */
async function fillCollection(file: RawFile, address: number): Promise<number | undefined> {
  const messages = await readObjectHeader(file, address);
  const type = messages.find((m) => m.type === MSG.DATATYPE);
  if (!type || type.flags & MSG_SHARED || (type.data[0] & 0x0f) !== VLEN_CLASS) return undefined;
  const fill = messages.find((m) => m.type === MSG.FILL_VALUE);
  if (!fill || fill.flags & MSG_SHARED) return undefined;
  const r = file.reader(fill.data);
  const version = r.u8();
  let size = 0;
  if (version === 1 || version === 2) {
    r.skip(3); // allocation time, fill time, defined
    size = r.u32();
  } else if (version === 3) {
    if (!(r.u8() & 0x20)) return undefined;
    size = r.u32();
  }
  // A variable-length value: its length (4 bytes), then the heap ID (collection address, index).
  if (size < 4 + file.superblock.offsetSize) return undefined;
  r.skip(4);
  const collection = r.address();
  return collection === UNDEFINED_ADDRESS || collection === 0 ? undefined : collection;
}

/** Walks one collection's objects as H5HG__cache_heap_deserialize does. */
async function checkCollection(file: RawFile, address: number): Promise<void> {
  const L = file.superblock.lengthSize;
  const head = file.reader(await file.read(address, 8 + L));
  head.signature("GCOL");
  head.skip(4); // version, reserved
  const size = head.length();
  const bytes = await file.read(address, size);
  const objectHeader = 8 + L; // index, reference count, reserved, size
  let p = 8 + L;
  while (p + objectHeader <= size) {
    const r = file.reader(bytes, p);
    const index = r.u16();
    r.skip(6);
    const objectSize = r.length();
    const need = index > 0 ? objectHeader + objectSize + ((8 - (objectSize % 8)) % 8) : objectSize;
    if (need <= 0) {
      throw new CorruptError(
        `global heap collection at ${address}: object ${index} at ${p} has size 0 (libhdf5 would loop forever on it)`,
      );
    }
    p += need;
  }
}

/**
 * Checks the collections of the variable-length fill values of the datasets at `addresses`.
 * Only CorruptError escapes: what the raw reader does not understand is left to libhdf5.
 */
export async function checkFillHeaps(file: RawFile, addresses: number[]): Promise<void> {
  const seen = new Set<number>();
  for (const address of addresses) {
    try {
      const collection = await fillCollection(file, address);
      if (collection === undefined || seen.has(collection)) continue;
      seen.add(collection);
      await checkCollection(file, collection);
    } catch (err) {
      if (err instanceof CorruptError || !(err instanceof FormatError)) throw err;
    }
  }
}
