// Public API of the activation quantization unit: exact TS rule, ONNX subgraph and hook, τ calibration.
export * from './rule.ts';
export * from './graph.ts';
export * from './tau.ts';
export * from './shareIndex.ts';
