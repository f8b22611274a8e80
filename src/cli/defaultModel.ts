// The embedded default model (public/models, MODEL.md) is what the CLI uses when no MODEL is given, or
// when MODEL is "default": its tokenizer and its calibration/evaluation text come with it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL } from '../core/data/index.ts';
import { UsageError } from './args.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repoFile = (p: string) => path.join(repoRoot, p);

export const defaultModelFiles = {
  checkpoint: repoFile(DEFAULT_MODEL.checkpoint),
  tokenizer: repoFile(DEFAULT_MODEL.tokenizer),
  calibrationText: repoFile(DEFAULT_MODEL.calibrationText),
  evaluationText: repoFile(DEFAULT_MODEL.evaluationText),
};

export interface ModelArgument {
  modelPath: string;
  isDefault: boolean;
}

/** Reads the optional MODEL positional: none or "default" means the embedded default model. */
export function modelArgument(positionals: string[], usage: string): ModelArgument {
  if (positionals.length > 1)
    throw new UsageError(`expected at most one MODEL argument, got ${positionals.length}\nusage: ${usage}`);
  const arg = positionals[0];
  if (arg === undefined || arg === 'default') return { modelPath: defaultModelFiles.checkpoint, isDefault: true };
  return { modelPath: arg, isDefault: false };
}

/** The tokenizer to load: the one asked for, else the default model's own when it is the default model. */
export function tokenizerFor(m: ModelArgument, asked: string | undefined): string | undefined {
  return asked ?? (m.isDefault ? defaultModelFiles.tokenizer : undefined);
}
