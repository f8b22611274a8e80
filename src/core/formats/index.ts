// Public API of the number-format core (DESIGN.md §2).
export * from './scalar.ts';
export * from './fast.ts';
export * from './layout.ts';
export * from './nvfp4.ts';
export * from './mx.ts';
export * from './fp8.ts';
export * from './grouped.ts';
export * from './metrics.ts';
export * from './schemes.ts';
export * from './display.ts';
export * from './probe.ts';
