/**
 * BloscLZ, c-blosc's own FastLZ-derived codec, ported from c-blosc 1.21 (blosc/blosclz.c) so that
 * `blosc:blosclz` really compresses and c-blosc decodes it.
 *
 *   blosclzCompress(clevel, src, maxout, splitBlock): Uint8Array | null
 *       null means "not worth it / does not fit in maxout": the blosc framer then stores the block
 *       raw, exactly as c-blosc does when blosclz_compress returns 0.
 *   blosclzDecompress(src, out): number     bytes written to `out` (0 on malformed input, like C)
 *
 * Stream format (what the decoder below accepts):
 *   ctrl < 32               literal run of ctrl+1 bytes (the first ctrl byte has bit 5 set as a
 *                           marker, masked off on read)
 *   ctrl >= 32              match: length (ctrl >> 5) + 2, extended by 255-bytes when the 3-bit
 *                           field is 7; distance ((ctrl & 31) << 8) + next byte + 1, or for far
 *                           matches (low bits 31 and next byte 255) 8191 + the next 16 bits BE + 1.
 * The compressor below mirrors the C one step by step, including its entropy probe, because the
 * probe decides which blocks are stored raw and we want the same ratios c-blosc gets.
 */

const MAX_COPY = 32;
const MAX_DISTANCE = 8191;
const MAX_FARDISTANCE = 65535 + MAX_DISTANCE - 1;
const HASH_LOG = 14;
const HASH_LOG2 = 12;

const CRATIO_THRESHOLD = [0, 2, 1.5, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.0];
const HASHLOG_FOR_LEVEL = [
  0,
  HASH_LOG - 2,
  HASH_LOG - 1,
  HASH_LOG,
  HASH_LOG,
  HASH_LOG,
  HASH_LOG,
  HASH_LOG,
  HASH_LOG,
  HASH_LOG,
];

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function hashOf(seq: number, bits: number): number {
  return Math.imul(seq, 2654435761) >>> (32 - bits);
}

/** End of a run of the byte before `ip`, compared through `ref`; C's get_run. */
function getRun(b: Uint8Array, ip: number, ipBound: number, ref: number): number {
  const x = b[ip - 1];
  while (ip < ipBound && b[ref] === x) {
    ip++;
    ref++;
  }
  return ip;
}

/** One past the first mismatching byte (or ipBound); C's get_match. */
function getMatch(b: Uint8Array, ip: number, ipBound: number, ref: number): number {
  while (ip < ipBound) {
    if (b[ref++] !== b[ip++]) break;
  }
  return ip;
}

const probeTable = new Uint16Array(1 << HASH_LOG2);

/** C's get_cratio: a quick estimate of the compression ratio of `maxlen` bytes at `base`. */
function estimateRatio(
  b: Uint8Array,
  base: number,
  maxlen: number,
  minlen: number,
  ipshift: number,
) {
  const hashlen = 1 << HASH_LOG2;
  const limit = Math.min(maxlen, hashlen);
  const ipBound = base + limit - 1;
  const ipLimit = base + limit - 12;
  const htab = probeTable;
  htab.fill(0);
  let ip = base;
  let oc = 5;
  let copy = 4;
  while (ip < ipLimit) {
    let anchor = ip;
    let seq = read32(b, ip);
    let hval = hashOf(seq, HASH_LOG2);
    let ref = base + htab[hval];
    let distance = anchor - ref;
    htab[hval] = (anchor - base) & 0xffff;
    const literal = (): void => {
      oc++;
      anchor++;
      ip = anchor;
      copy = (copy + 1) & 0xff;
      if (copy === MAX_COPY) {
        copy = 0;
        oc++;
      }
    };
    if (distance === 0 || distance >= MAX_FARDISTANCE) {
      literal();
      continue;
    }
    if (read32(b, ref) === read32(b, ip)) {
      ref += 4;
    } else {
      literal();
      continue;
    }
    ip = anchor + 4;
    distance--;
    ip = distance === 0 ? getRun(b, ip, ipBound, ref) : getMatch(b, ip, ipBound, ref);
    ip -= ipshift;
    const len = ip - anchor;
    if (len < minlen) {
      literal();
      continue;
    }
    if (!copy) oc--;
    copy = 0;
    if (len >= 7) oc += Math.floor((len - 7) / 255) + 1;
    oc += distance < MAX_DISTANCE ? 2 : 4;
    seq = read32(b, ip);
    hval = hashOf(seq, HASH_LOG2);
    htab[hval] = (ip - base) & 0xffff;
    ip += 2;
    oc++;
  }
  return (ip - base) / oc;
}

const hashTable = new Uint32Array(1 << HASH_LOG);

export function blosclzCompress(
  clevel: number,
  src: Uint8Array,
  maxout: number,
  splitBlock: boolean,
): Uint8Array | null {
  const length = src.length;
  const maxlen = Math.floor(length / 4);
  const shift = length - maxlen;
  const cratio = estimateRatio(src, shift, maxlen, 3, 3);
  if (cratio < CRATIO_THRESHOLD[clevel]) return null;

  let ipshift = 4;
  let minlen = 4;
  if (!splitBlock || cratio < 4) {
    ipshift = 3;
    minlen = 3;
  }
  const hashlog = HASHLOG_FOR_LEVEL[clevel];
  if (length < 16 || maxout < 66) return null;

  const ipBound = length - 1;
  const ipLimit = length - 12;
  const out = new Uint8Array(maxout);
  const opLimit = maxout;
  const htab = hashTable;
  htab.fill(0, 0, 1 << hashlog);

  let ip = 0;
  let op = 0;
  let copy = 4;
  out[op++] = MAX_COPY - 1;
  out[op++] = src[ip++];
  out[op++] = src[ip++];
  out[op++] = src[ip++];
  out[op++] = src[ip++];

  while (ip < ipLimit) {
    let anchor = ip;
    let seq = read32(src, ip);
    let hval = hashOf(seq, hashlog);
    let ref = htab[hval];
    let distance = anchor - ref;
    htab[hval] = anchor;

    let isLiteral = false;
    if (distance === 0 || distance >= MAX_FARDISTANCE) {
      isLiteral = true;
    } else if (read32(src, ref) === read32(src, ip)) {
      ref += 4;
      ip = anchor + 4;
      distance--;
      ip = distance === 0 ? getRun(src, ip, ipBound, ref) : getMatch(src, ip, ipBound, ref);
      ip -= ipshift;
      const len0 = ip - anchor;
      if (len0 < minlen || (len0 <= 5 && distance >= MAX_DISTANCE)) isLiteral = true;
    } else {
      isLiteral = true;
    }

    if (isLiteral) {
      if (op + 2 > opLimit) return null;
      out[op++] = src[anchor++];
      ip = anchor;
      copy++;
      if (copy === MAX_COPY) {
        copy = 0;
        out[op++] = MAX_COPY - 1;
      }
      continue;
    }

    let len = ip - anchor;
    // Close the pending literal run (its count byte was reserved), or drop the unused one.
    if (copy) out[op - copy - 1] = copy - 1;
    else op--;
    copy = 0;

    if (distance < MAX_DISTANCE) {
      if (len < 7) {
        if (op + 2 > opLimit) return null;
        out[op++] = (len << 5) + (distance >>> 8);
        out[op++] = distance & 255;
      } else {
        if (op + 1 > opLimit) return null;
        out[op++] = (7 << 5) + (distance >>> 8);
        for (len -= 7; len >= 255; len -= 255) {
          if (op + 1 > opLimit) return null;
          out[op++] = 255;
        }
        if (op + 2 > opLimit) return null;
        out[op++] = len;
        out[op++] = distance & 255;
      }
    } else {
      distance -= MAX_DISTANCE;
      if (len < 7) {
        if (op + 4 > opLimit) return null;
        out[op++] = (len << 5) + 31;
        out[op++] = 255;
        out[op++] = distance >>> 8;
        out[op++] = distance & 255;
      } else {
        if (op + 1 > opLimit) return null;
        out[op++] = (7 << 5) + 31;
        for (len -= 7; len >= 255; len -= 255) {
          if (op + 1 > opLimit) return null;
          out[op++] = 255;
        }
        if (op + 4 > opLimit) return null;
        out[op++] = len;
        out[op++] = 255;
        out[op++] = distance >>> 8;
        out[op++] = distance & 255;
      }
    }

    seq = read32(src, ip);
    hval = hashOf(seq, hashlog);
    htab[hval] = ip++;
    if (clevel === 9) {
      seq >>>= 8;
      hval = hashOf(seq, hashlog);
      htab[hval] = ip++;
    } else {
      ip++;
    }
    if (op + 1 > opLimit) return null;
    out[op++] = MAX_COPY - 1;
  }

  while (ip <= ipBound) {
    if (op + 2 > opLimit) return null;
    out[op++] = src[ip++];
    copy++;
    if (copy === MAX_COPY) {
      copy = 0;
      out[op++] = MAX_COPY - 1;
    }
  }
  if (copy) out[op - copy - 1] = copy - 1;
  else op--;
  out[0] |= 1 << 5;
  return out.subarray(0, op);
}

export function blosclzDecompress(src: Uint8Array, out: Uint8Array): number {
  const ipLimit = src.length;
  const opLimit = out.length;
  if (ipLimit === 0) return 0;
  let ip = 0;
  let op = 0;
  let ctrl = src[ip++] & 31;
  for (;;) {
    if (ctrl >= 32) {
      let len = (ctrl >>> 5) - 1;
      let ofs = (ctrl & 31) << 8;
      let code: number;
      if (len === 6) {
        do {
          if (ip + 1 >= ipLimit) return 0;
          code = src[ip++];
          len += code;
        } while (code === 255);
      } else if (ip + 1 >= ipLimit) {
        return 0;
      }
      code = src[ip++];
      len += 3;
      let ref = op - ofs - code;
      if (code === 255 && ofs === 31 << 8) {
        if (ip + 1 >= ipLimit) return 0;
        ofs = src[ip++] << 8;
        ofs += src[ip++];
        ref = op - ofs - MAX_DISTANCE;
      }
      if (op + len > opLimit) return 0;
      if (ref - 1 < 0) return 0;
      // As in C: a match that ends the stream is not copied (the compressor never emits one).
      if (ip >= ipLimit) break;
      ctrl = src[ip++];
      ref--;
      if (op - ref >= len) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else if (ref === op - 1) {
        out.fill(out[ref], op, op + len);
        op += len;
      } else {
        const end = op + len;
        while (op < end) out[op++] = out[ref++];
      }
    } else {
      ctrl++;
      if (op + ctrl > opLimit) return 0;
      if (ip + ctrl > ipLimit) return 0;
      out.set(src.subarray(ip, ip + ctrl), op);
      op += ctrl;
      ip += ctrl;
      if (ip >= ipLimit) break;
      ctrl = src[ip++];
    }
  }
  return op;
}
