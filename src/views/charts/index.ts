// The chart kit of the explorer and the lessons: one module per mark (axis, line/dots/bars/rules, heat
// cells, legends), one frame and one palette, all on d3 scales and rendered by React.
export * from './palette';
export * from './axis';
export * from './marks';
export * from './cells';
export * from './legend';
export * from './frame';
export * from './colour';
export * from './figure';
