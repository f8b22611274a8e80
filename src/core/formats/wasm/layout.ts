// Linear-memory layout shared by the kernel source (source.ts) and its loader (kernels.ts).

/** Byte offsets of the fixed tables in linear memory; scratch for data starts at SCRATCH. */
export const LAYOUT = {
  /** E4M3 values by code, f64 [128] (code 127 = NaN). */
  e4m3: 0x0000,
  /** E2M1 magnitude values as the two high bytes of their float32 bits, [16] bytes (swizzle table). */
  e2m1Bytes: 0x0400,
  /** NVFP4 thresholds by block-scale code: [128][8] f32, T_0..T_6 and the effective scale s. */
  nvfp4Table: 0x1000,
  /** Clip-search memo by code [128] x 32 B: block stamp i32; objective, lower bounds below / above, plain and Fisher errors f32. */
  searchMemo: 0x2000,
  /** A[c] (f64 [128]): the smallest P = alpha·amax whose block-scale code is >= c, for the prepared ts. */
  amaxTable: 0x3000,
  scratch: 0x10000,
} as const;

/** Bytes the JS side writes at instantiation: the E4M3 value table and the E2M1 swizzle bytes. */
export function tableBytes(e4m3Values: (code: number) => number): { offset: number; bytes: Uint8Array }[] {
  const e4 = new Float64Array(128);
  for (let c = 0; c < 128; c++) e4[c] = e4m3Values(c);
  const e2 = Uint8Array.of(0, 0, 0x00, 0x3f, 0x80, 0x3f, 0xc0, 0x3f, 0x00, 0x40, 0x40, 0x40, 0x80, 0x40, 0xc0, 0x40);
  return [
    { offset: LAYOUT.e4m3, bytes: new Uint8Array(e4.buffer) },
    { offset: LAYOUT.e2m1Bytes, bytes: e2 },
  ];
}
