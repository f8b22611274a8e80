// Training small Llama models (the embedded default model): AdamW, schedule, batches, gradient
// sources (reference oracle or ONNX graph), resumable checkpoints, generation for model cards.
export * from './adamw';
export * from './batches';
export * from './checkpoint';
export * from './gradientSource';
export * from './params';
export * from './rng';
export * from './schedule';
export * from './trainer';
export * from './generate';
export * from './defaultModel';
export * from './evaluate';
