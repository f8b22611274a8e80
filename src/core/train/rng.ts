// The training run's generator: xoshiro128** from src/core/random (its whole state is four uint32, so a
// run can save it and resume with the same draws). Kept under this name for the trainer and checkpoints.
export { Xoshiro128 as Rng, type XoshiroState as RngState } from '../random';
