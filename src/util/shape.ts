/**
 * Element counts and C-order walks over an n-d shape. Every layer needs them (readers, zarr,
 * plan, engine), and readers and zarr may not import each other, so they sit here, below both.
 *
 *   product(shape)      element count (1 for a 0-d shape)
 *   cIndices(shape)     every index of the shape, last dimension fastest
 */

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/**
 * Every index of `shape` in C order (last dimension fastest), each a fresh array the caller may
 * keep; nothing for a shape with a zero extent, one empty index for a 0-d shape. A generator, so
 * callers can `await` or `break` inside the walk. For walks over blocks and chunks, not elements:
 * per-element loops (validate's scan, box copies) keep their own counters.
 */
export function* cIndices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((n) => n === 0)) return;
  const index = shape.map(() => 0);
  for (;;) {
    yield [...index];
    let d = index.length - 1;
    for (; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}
