// Public API of the simulated hardware: parameter table and exact block-pair energy counting.
export * from './params';
export * from './energy';
export * from './operatingPoint';
