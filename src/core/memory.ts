// Freeing typed arrays now rather than at the next garbage collection. On a stories110M-shaped model the
// pipeline makes hundreds of MB of short-lived arrays (Fisher per batch, both quantized versions of every
// tensor, sort keys); V8 counts their buffers as external memory and collects them late, which raises the
// tab's peak (issue 16). ArrayBuffer.prototype.transfer(0) detaches a buffer and frees it at once.

type Transferable = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };

/**
 * Frees `a`'s memory where `a` owns its whole buffer and the engine has ArrayBuffer.prototype.transfer; a
 * view into a larger buffer, a shared buffer or an older engine is left to the collector. `a` is unusable
 * afterwards (length 0), so only call it on an array nothing else holds.
 */
export function release(a: ArrayBufferView): void {
  const buffer = a.buffer as Transferable;
  if (a.byteOffset !== 0 || a.byteLength !== buffer.byteLength || typeof buffer.transfer !== 'function') return;
  try {
    buffer.transfer(0);
  } catch {
    // Already detached or not transferable (a wasm memory view): the collector has it.
  }
}
