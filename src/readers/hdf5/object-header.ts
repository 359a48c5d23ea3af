/**
 * HDF5 object headers (version 1, and version 2 "OHDR" with "OCHK" continuation chunks): the list
 * of header messages of one object, continuation messages followed. Checksums are not verified;
 * what the raw path takes from a header is checked for consistency where it is used.
 */
import { CorruptError, FormatError } from "./le-reader.js";
import type { RawFile } from "./raw-file.js";

export interface HeaderMessage {
  type: number;
  flags: number;
  data: Uint8Array;
}

export const MSG = {
  NIL: 0x0000,
  DATASPACE: 0x0001,
  DATATYPE: 0x0003,
  FILL_VALUE_OLD: 0x0004,
  FILL_VALUE: 0x0005,
  EXTERNAL_FILES: 0x0007,
  LAYOUT: 0x0008,
  FILTERS: 0x000b,
  CONTINUATION: 0x0010,
} as const;

/** Message flag bit 1: the data is a reference to a shared message, not the message itself. */
export const MSG_SHARED = 0x02;

/** A header larger than this is corrupt (libhdf5 limits chunk 0 to 2^32 bytes; real ones are KiB). */
const MAX_BLOCK = 64 * 2 ** 20;
const MAX_BLOCKS = 10_000;

interface Block {
  address: number;
  length: number;
}

export async function readObjectHeader(file: RawFile, address: number): Promise<HeaderMessage[]> {
  const prefix = await file.readUpTo(address, 64);
  if (prefix[0] === 0x4f && prefix[1] === 0x48 && prefix[2] === 0x44 && prefix[3] === 0x52) {
    return readV2(file, address, prefix);
  }
  if (prefix[0] === 1) return readV1(file, address, prefix);
  throw new FormatError(`no object header at address ${address}`);
}

/** Checks a block before it is read; `seen` holds the addresses read so far (a cycle). */
function checkBlock(block: Block, seen: Set<number>): void {
  if (block.length < 0 || block.length > MAX_BLOCK) {
    throw new FormatError(`object header block of ${block.length} bytes`);
  }
  if (seen.has(block.address)) {
    throw new CorruptError(
      `object header continuation at ${block.address} is read twice (a cycle)`,
    );
  }
  seen.add(block.address);
}

async function readV1(
  file: RawFile,
  address: number,
  prefix: Uint8Array,
): Promise<HeaderMessage[]> {
  const r = file.reader(prefix);
  r.skip(2); // version, reserved
  const count = r.u16();
  r.skip(4); // reference count
  const size = r.u32();
  const messages: HeaderMessage[] = [];
  // The prefix is 12 bytes, padded to 16 so messages stay 8-byte aligned.
  const pending: Block[] = [{ address: address + 16, length: size }];
  const seen = new Set<number>();
  for (let n = 0; pending.length > 0; n++) {
    if (n > MAX_BLOCKS) throw new FormatError("too many object header continuation blocks");
    const block = pending.shift() as Block;
    checkBlock(block, seen);
    const bytes = await file.read(block.address, block.length);
    const m = file.reader(bytes);
    while (m.remaining >= 8 && messages.length < count) {
      const type = m.u16();
      const length = m.u16();
      const flags = m.u8();
      m.skip(3);
      const data = m.take(length);
      messages.push({ type, flags, data });
      if (type === MSG.CONTINUATION) pending.push(continuation(file, data));
    }
  }
  return messages;
}

async function readV2(
  file: RawFile,
  address: number,
  prefix: Uint8Array,
): Promise<HeaderMessage[]> {
  const r = file.reader(prefix);
  r.skip(4);
  const version = r.u8();
  if (version !== 2) throw new FormatError(`object header version ${version}`);
  const flags = r.u8();
  if (flags & 0x20) r.skip(16); // access, modification, change, birth times
  if (flags & 0x10) r.skip(4); // attribute storage phase change values
  const chunk0 = r.uint(1 << (flags & 0x03));
  const withOrder = (flags & 0x04) !== 0;
  const messages: HeaderMessage[] = [];
  const parse = (bytes: Uint8Array, pending: Block[]) => {
    const m = file.reader(bytes);
    const header = withOrder ? 6 : 4;
    while (m.remaining >= header) {
      const type = m.u8();
      const length = m.u16();
      const mflags = m.u8();
      if (withOrder) m.skip(2);
      const data = m.take(length);
      messages.push({ type, flags: mflags, data });
      if (type === MSG.CONTINUATION) pending.push(continuation(file, data));
    }
  };
  const first: Block = { address: address + r.pos, length: chunk0 };
  const seen = new Set<number>();
  checkBlock(first, seen);
  const pending: Block[] = [];
  parse(await file.read(first.address, first.length), pending);
  for (let n = 0; pending.length > 0; n++) {
    if (n > MAX_BLOCKS) throw new FormatError("too many object header continuation blocks");
    const block = pending.shift() as Block;
    checkBlock(block, seen);
    if (block.length < 8) throw new FormatError("object header continuation block too small");
    const bytes = await file.read(block.address, block.length);
    file.reader(bytes).signature("OCHK");
    // Signature first, checksum last.
    parse(bytes.subarray(4, bytes.length - 4), pending);
  }
  return messages;
}

function continuation(file: RawFile, data: Uint8Array): Block {
  const r = file.reader(data);
  return { address: r.address(), length: r.length() };
}
