// Block layout shared by the block quantizers: blocks run along rows and never cross a row;
// a row whose length is not a multiple of the block size ends in a shorter block.

export interface BlockLayout {
  rows: number;
  rowLength: number;
  blockSize: number;
  blocksPerRow: number;
  /** Total number of blocks (rows · blocksPerRow). */
  blocks: number;
}

export function blockLayout(length: number, blockSize: number, rowLength?: number): BlockLayout {
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`block size must be a positive integer, got ${blockSize}`);
  const rl = rowLength ?? length;
  if (!Number.isInteger(rl) || rl < 0)
    throw new RangeError(`rowLength must be a non-negative integer, got ${rowLength}`);
  if (rl === 0) {
    if (length !== 0) throw new RangeError(`rowLength 0 needs an empty array, got length ${length}`);
    return { rows: 0, rowLength: 0, blockSize, blocksPerRow: 0, blocks: 0 };
  }
  if (length % rl !== 0) throw new RangeError(`array length ${length} is not a multiple of rowLength ${rl}`);
  const rows = length / rl;
  const blocksPerRow = Math.ceil(rl / blockSize);
  return { rows, rowLength: rl, blockSize, blocksPerRow, blocks: rows * blocksPerRow };
}

/** Start and end (exclusive) of block b. */
export function blockRange(layout: BlockLayout, b: number): [number, number] {
  const r = Math.floor(b / layout.blocksPerRow);
  const j = b - r * layout.blocksPerRow;
  const start = r * layout.rowLength + j * layout.blockSize;
  return [start, Math.min(start + layout.blockSize, (r + 1) * layout.rowLength)];
}

/** Largest |x[i]| over finite elements of x[start, end); 0 when there is none. */
export function finiteAbsMax(x: ArrayLike<number>, start = 0, end = x.length): number {
  let amax = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(x[i]);
    if (a > amax && a !== Infinity) amax = a;
  }
  return amax;
}
