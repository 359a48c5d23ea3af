/**
 * LZ4 "high compression": the same block format as LZ4 (c-blosc even shares one format code for
 * lz4 and lz4hc), produced with a hash-chain match finder instead of LZ4's single-probe hash. The
 * native binding we use has no HC mode, and emitting fast-LZ4 output under the lz4hc name would
 * silently give users less compression than they asked for.
 *
 *   lz4hcBlockCompress(src, clevel): Uint8Array     a bare LZ4 block
 *
 * clevel 1..9 follows LZ4HC's search depth (2^(clevel-1) candidates per position), with one step of
 * lazy matching as LZ4HC's hash-chain levels do. The block obeys LZ4's end-of-block rules (the
 * last match starts at least 12 bytes before the end, the last 5 bytes are literals), which the
 * reference decoder used by c-blosc relies on.
 */

const MINMATCH = 4;
const MFLIMIT = 12;
const LASTLITERALS = 5;
const MAX_DISTANCE = 65535;
const HASH_LOG = 15;
const LAZY_LIMIT = 64;

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function hash(v: number): number {
  return Math.imul(v, 2654435761) >>> (32 - HASH_LOG);
}

class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  length(n: number): void {
    while (n >= 255) {
      this.buf[this.pos++] = 255;
      n -= 255;
    }
    this.buf[this.pos++] = n;
  }
  sequence(src: Uint8Array, anchor: number, litLen: number, offset: number, matchLen: number) {
    const ml = matchLen - MINMATCH;
    this.buf[this.pos++] = (Math.min(litLen, 15) << 4) | Math.min(ml, 15);
    if (litLen >= 15) this.length(litLen - 15);
    this.buf.set(src.subarray(anchor, anchor + litLen), this.pos);
    this.pos += litLen;
    this.buf[this.pos++] = offset & 255;
    this.buf[this.pos++] = offset >>> 8;
    if (ml >= 15) this.length(ml - 15);
  }
  lastLiterals(src: Uint8Array, anchor: number) {
    const litLen = src.length - anchor;
    this.buf[this.pos++] = Math.min(litLen, 15) << 4;
    if (litLen >= 15) this.length(litLen - 15);
    this.buf.set(src.subarray(anchor), this.pos);
    this.pos += litLen;
  }
}

export function lz4hcBlockCompress(src: Uint8Array, clevel: number): Uint8Array {
  const len = src.length;
  // Worst case of the LZ4 format (LZ4_compressBound).
  const out = new Output(len + Math.floor(len / 255) + 16);
  if (len < MFLIMIT + 1) {
    out.lastLiterals(src, 0);
    return out.buf.subarray(0, out.pos);
  }
  // LZ4HC's table for levels 1-9: 2, 2, 4, 8, ... 256 chain steps per position.
  const maxAttempts = Math.max(2, 1 << (Math.max(1, Math.min(9, clevel)) - 1));
  const head = new Int32Array(1 << HASH_LOG).fill(-1);
  const prev = new Int32Array(len);
  const mflimit = len - MFLIMIT; // last position a match may start at
  const matchLimit = len - LASTLITERALS; // matches end before this
  let nextToInsert = 0;

  const insertUpTo = (pos: number): void => {
    for (; nextToInsert < pos; nextToInsert++) {
      const h = hash(read32(src, nextToInsert));
      prev[nextToInsert] = head[h];
      head[h] = nextToInsert;
    }
  };

  // Longest match for position `ip`, result in bestLen/bestPos; 0 when none of length >= 4.
  let bestLen = 0;
  let bestPos = 0;
  const findMatch = (ip: number): void => {
    insertUpTo(ip);
    bestLen = 0;
    const limit = matchLimit - ip;
    const first = read32(src, ip);
    let cand = head[hash(first)];
    let attempts = maxAttempts;
    while (cand >= 0 && ip - cand <= MAX_DISTANCE && attempts-- > 0) {
      if (src[cand + bestLen] === src[ip + bestLen] && read32(src, cand) === first) {
        let l = MINMATCH;
        // Four bytes at a time while they fit, then byte by byte.
        while (l + 4 <= limit && read32(src, cand + l) === read32(src, ip + l)) l += 4;
        while (l < limit && src[cand + l] === src[ip + l]) l++;
        if (l > bestLen) {
          bestLen = l;
          bestPos = cand;
          if (l >= limit) break;
        }
      }
      cand = prev[cand];
    }
  };

  let ip = 0;
  let anchor = 0;
  while (ip <= mflimit) {
    findMatch(ip);
    if (bestLen < MINMATCH) {
      ip++;
      continue;
    }
    let matchLen = bestLen;
    let matchPos = bestPos;
    // Lazy evaluation: a longer match starting one byte later wins. Long matches are kept as they
    // are; searching again after them costs much and gains at most a byte.
    while (matchLen < LAZY_LIMIT && ip + 1 <= mflimit) {
      findMatch(ip + 1);
      if (bestLen > matchLen) {
        ip++;
        matchLen = bestLen;
        matchPos = bestPos;
      } else {
        break;
      }
    }
    out.sequence(src, anchor, ip - anchor, ip - matchPos, matchLen);
    ip += matchLen;
    anchor = ip;
  }
  out.lastLiterals(src, anchor);
  return out.buf.subarray(0, out.pos);
}
