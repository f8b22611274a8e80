// Where block b of a weight [rows, cols] sits: its row, block column and element range, from the core's
// block grid (16-value blocks along each output row; the last block of a row may be shorter).
import { BLOCK_SIZE, blockGrid, blockLength, type BlockGrid } from '../core/fgmp/blocks';

export interface BlockSpan {
  row: number;
  col: number;
  /** Element range [start, end) in the row-major weight. */
  start: number;
  end: number;
}

export function blockSpan(grid: BlockGrid, block: number): BlockSpan {
  const row = Math.floor(block / grid.blocksPerRow);
  const col = block - row * grid.blocksPerRow;
  const start = row * grid.cols + col * BLOCK_SIZE;
  return { row, col, start, end: start + blockLength(grid, col) };
}

export { blockGrid, BLOCK_SIZE, type BlockGrid };
