// Plain TypeScript reference Llama engine (forward, backward, greedy generation): the oracle for tests.
export { referenceForward, referenceGenerate, ReferenceRun } from './forward';
export type {
  GenerateOptions,
  GenerateResult,
  LayerActivations,
  LinearInputTransform,
  ReferenceForwardResult,
  ReferenceOptions,
} from './forward';
export { referenceBackward } from './backward';
export type { ReferenceBackwardResult, ReferenceGrads, ReferenceLayerGrads } from './backward';
export type { Precision, RefArray } from './ops';
