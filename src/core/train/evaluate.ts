// The default model's validation-loss method (DEFAULT_MODEL.validation): `windows` windows of
// `windowTokens` tokens evenly spaced over the encoded evaluation text, each run as [BOS, window],
// every window token scored; the loss is the mean NLL over all scored tokens (nats/token).

import type { LlamaModel } from '../model/types';
import { evenlySpacedWindows } from './batches';
import type { GradientSource } from './gradientSource';

export async function windowedLoss(
  source: GradientSource,
  model: LlamaModel,
  stream: Int32Array,
  windows: number,
  windowTokens: number,
): Promise<{ loss: number; tokens: number }> {
  const seqs = evenlySpacedWindows(stream, windows, windowTokens);
  // All windows have the same length, so the mean of per-window means is the mean over tokens.
  return { loss: await source.loss(model, seqs), tokens: windows * windowTokens };
}
