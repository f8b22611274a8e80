// Plain TypeScript reference Llama engine (llama2.c run.c semantics): the oracle other engines are checked against.
//   referenceForward(model, tokens, opts?)  -> logits [T, vocab], nll per prediction, meanNll, linearInputs
//   referenceBackward(model, tokens, opts?) -> the above + loss, grads (LlamaWeights shapes), linearInputGrads
//   referenceGenerate(model, prompt, steps, { temperature: 0 }) -> greedy ids via a key/value cache
// opts: precision 'float64' (default) | 'float32'; targets / scoreFrom (what is scored); transformLinearInput
// (replace each linear layer's input before its matmul, straight-through in the backward).
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
