// Public API of the FGMP pipeline: calibration, evaluation session, setup from data.
export * from './calibrate.ts';
export * from './evaluate.ts';
export * from './setup.ts';
