// Activation-outlier methods for INT8 linear layers: LLM.int8() decomposition and SmoothQuant.
export * from './matrix';
export * from './llmint8';
export * from './smoothquant';
