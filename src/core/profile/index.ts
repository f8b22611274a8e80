// Public API of FGMP profiles (docs/profile-format.md): open one from any byte source (a buffer, a file, HTTP
// Range requests), answer weight and activation budgets from it, write one from a calibrated model.
export * from './format.ts';
export { bufferSource, ProfileFormatError, type ByteSource } from './container.ts';
export { rangeSource, type FetchLike, type FetchLikeResponse, type RangeSourceOptions } from './rangeSource.ts';
export { Profile } from './reader.ts';
export {
  HistogramIndex,
  histogramColumn,
  histogramColumns,
  columnLowerEdge,
  scoreHistogram,
  type HistogramAnswer,
} from './histogram.ts';
export {
  activationAnswer,
  activationAnswerer,
  profileRanking,
  WeightAnswerer,
  type ActivationAnswer,
  type ActivationAnswerer,
  type AnswerSource,
  type TensorShare,
  type WeightAnswer,
} from './answer.ts';
export {
  answerProfile,
  countHardware,
  findSweepPoint,
  hardwareTokens,
  type ProfileQuery,
  type ProfileResult,
} from './result.ts';
export { CountHardware } from './hwCounts.ts';
export { ProfileWriter, memorySink, encodeMeta, type ByteSink, type TensorData, type WriterOptions } from './writer.ts';
export { buildMeta, clipIndices, writeModelProfile, type ProfileBuildInput } from './build.ts';
