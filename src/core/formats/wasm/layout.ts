// Linear-memory layout shared by the kernel source (source.ts) and its loader (kernels.ts).

/** Byte offsets of the fixed tables in linear memory; scratch for data starts at SCRATCH. */
export const LAYOUT = {
  /** E4M3 values by code, f64 [128] (code 127 = NaN). */
  e4m3: 0x0000,
  /** E2M1 magnitude values as the two high bytes of their float32 bits, [16] bytes (swizzle table). */
  e2m1Bytes: 0x0400,
  /** NVFP4 thresholds by block-scale code: [128][8] f32, T_0..T_6 and the effective scale s. */
  nvfp4Table: 0x1000,
  /**
   * Clip-search memo by code [128] x 32 B: block stamp i32; objective, lower bounds below / above, plain
   * and Fisher errors f32. 0x800 away from nvfp4Table modulo 4 KiB, so reading a code's thresholds right
   * after writing its memo entry does not stall on 4K aliasing.
   */
  searchMemo: 0x4800,
  /** A[c] (f64 [128]): the smallest P = alpha·amax whose block-scale code is >= c, for the prepared ts. */
  amaxTable: 0x3000,
  /** Block-scale codes of the current block, one i32 per slot (slot 0: ratio 1; slot 1 + g: grid ratio g). */
  codeBuf: 0x3400,
  /** The current block's magnitudes and Fisher values, f32 [16] each (clip search). */
  blockBuf: 0x3600,
  /**
   * Code table (codeTableBytes): for each amax bucket k (the float32 bits of the block amax >> 19, 4080
   * finite buckets) and slot (a clip ratio), one u32: base code << 20 | threshold; the code of an amax
   * with bits b in bucket k is base + ((b & 0x7ffff) >= threshold). Built by kernels.ts per tensor scale.
   */
  codeTable: 0x10000,
  scratch: 0x130000,
} as const;

/** Buckets of the code table (finite float32 magnitudes have bits < 0x7f800000). */
export const CODE_BUCKETS = 0x7f800000 >>> 19;
/** Most slots per bucket (the clip-search grid has at most 64 ratios, plus ratio 1). */
export const CODE_SLOTS_MAX = 68;

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
