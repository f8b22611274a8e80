// Public API of the number-format core (DESIGN.md §2).
//   scalar.ts   ScalarFormat (encode/decode/round/values + metadata) for fp32 tf32 bf16 fp16 e4m3 e5m2
//               e2m3 e3m2 e2m1 e8m0 nf4 int8 int4 uint8 uint4; getScalarFormat(id), SCALAR_FORMATS
//   fast.ts     bit-identical hot paths: makeFastEncoder(fmt), encodeE4M3Fast, encodeE2M1Fast,
//               roundE4M3, roundE2M1, decode tables
//   nvfp4.ts    quantizeNvfp4(x, {rowLength, tensorScale (number | per row), clip, blockSize, out})
//   mx.ts       quantizeMx(x, 'e2m1'|'e2m3'|'e3m2'|'e4m3'|'e5m2'|'int8', {rowLength, clip, blockSize})
//   fp8.ts      quantizeE4M3 / quantizeFp8: per-tensor or per-row scale amax/max
//   grouped.ts  quantizeGrouped: INT/UINT/NF4/minifloat per tensor, row or group; absmax or zero
//               point; clip ratios; QLoRA double quantization of the scales
//   metrics.ts  errorMetrics (MSE, max abs, SQNR dB), weightedMse, weightedSse
//   schemes.ts  quantizeScheme(x, id, {block, rowLength, clip}) over every id (what the CLI uses)
//   display.ts, probe.ts  text forms for tables and the formats page
//   clipsearch.ts  NVFP4 block-scale search (ratio grid, E4M3 sweep): reference of the wasm kernel
//   fastquant.ts   quantizeNvfp4Fast / quantizeE4M3Fast / quantizeMxFast / nvfp4ClipSearch: the
//               wasm SIMD kernels (wasm/) where they apply, bit-identical to the TS quantizers
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
export * from './clipsearch.ts';
export * from './fastquant.ts';
