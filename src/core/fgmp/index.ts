// Public API of the FGMP core: weight quantizers with clipping, block scores, the global policy.
export * from './blocks';
export * from './sort';
export * from './quantize';
export * from './scores';
export * from './policy';
export * from './mixed';
export * from './prepare';
export * from './incremental';
