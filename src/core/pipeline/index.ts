// Public API of the FGMP pipeline: the vocabulary, data setup, calibration, the evaluation session
// (FgmpSession), the explorer's Pipeline over them, and the result types they report.
export * from './vocabulary.ts';
export * from './results.ts';
export * from './config.ts';
export * from './calibrate.ts';
export * from './evaluate.ts';
export * from './setup.ts';
export * from './model.ts';
export * from './pipeline.ts';
export * from './spill.ts';
