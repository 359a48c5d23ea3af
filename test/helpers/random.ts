/** Deterministic uniform [0, 1) numbers (mulberry32): a failing random case replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random non-empty box of `shape` (at most about half of each dimension; zero extents stay 0). */
export function randomBox(
  shape: number[],
  rand: () => number,
): { start: number[]; count: number[] } {
  const start: number[] = [];
  const count: number[] = [];
  for (const n of shape) {
    if (n === 0) {
      start.push(0);
      count.push(0);
      continue;
    }
    const s = Math.floor(rand() * n);
    const c = 1 + Math.floor(rand() * Math.min(n - s, Math.max(1, Math.ceil(n / 2))));
    start.push(s);
    count.push(c);
  }
  return { start, count };
}
