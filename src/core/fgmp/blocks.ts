// Block layout of a linear weight [rows, cols]: blocks of 16 consecutive input features along each
// output row (DESIGN.md §2). A row whose length is not a multiple of 16 ends in a shorter block.
// Blocks are numbered row-major: id = row * blocksPerRow + blockCol.

export const BLOCK_SIZE = 16;

export interface BlockGrid {
  readonly rows: number;
  readonly cols: number;
  /** ceil(cols / 16). */
  readonly blocksPerRow: number;
  /** rows * blocksPerRow. */
  readonly blockCount: number;
  /** Length of the last block of each row (16 when cols % 16 == 0). */
  readonly lastBlockLength: number;
}

export function blockGrid(rows: number, cols: number): BlockGrid {
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0)
    throw new Error(`invalid weight shape [${rows}, ${cols}]: rows and cols must be positive integers`);
  const blocksPerRow = Math.ceil(cols / BLOCK_SIZE);
  return {
    rows,
    cols,
    blocksPerRow,
    blockCount: rows * blocksPerRow,
    lastBlockLength: cols - (blocksPerRow - 1) * BLOCK_SIZE,
  };
}

/** Number of elements in block column c (16, or the shorter tail). */
export function blockLength(grid: BlockGrid, blockCol: number): number {
  return blockCol === grid.blocksPerRow - 1 ? grid.lastBlockLength : BLOCK_SIZE;
}

/** Throws a clear error when a flat array does not hold rows*cols values. */
export function checkTensorLength(name: string, a: ArrayLike<number>, grid: BlockGrid): void {
  if (a.length !== grid.rows * grid.cols)
    throw new Error(`${name} has ${a.length} values, expected ${grid.rows}×${grid.cols} = ${grid.rows * grid.cols}`);
}

/** Throws a clear error when a per-block array does not hold one value per block. */
export function checkBlockLength(name: string, a: ArrayLike<number>, grid: BlockGrid): void {
  if (a.length !== grid.blockCount)
    throw new Error(
      `${name} has ${a.length} entries, expected one per block (${grid.rows}×${grid.blocksPerRow} = ${grid.blockCount})`,
    );
}
