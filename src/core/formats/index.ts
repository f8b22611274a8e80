// Public API of the number-format core (DESIGN.md §2).
export * from './scalar.ts';
export * from './fast.ts';
export * from './layout.ts';
export * from './nvfp4.ts';
