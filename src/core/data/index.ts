// The embedded default model and its texts. Paths are relative to the repository root and, with
// the leading "public/" dropped, to the site root (Vite serves public/ at "/").

export * from './sotu';

export interface DefaultModelDescriptor {
  /** Display name. */
  name: string;
  /** llama2.c legacy checkpoint. */
  checkpoint: string;
  /** llama2.c tokenizer.bin for it. */
  tokenizer: string;
  /** Calibration text (UTF-8), a slice of addresses disjoint from training and evaluation. */
  calibrationText: string;
  /** Held-out evaluation text (UTF-8). */
  evaluationText: string;
  /** JSON manifest of the two texts (addresses, sizes, sha256). */
  textManifest: string;
  /** Model card. */
  card: string;
  vocabSize: number;
  /**
   * How the model card's validation loss is measured: the evaluation text is encoded once
   * (dummy-prefix space, no BOS); `windows` windows of `windowTokens` tokens, evenly spaced from its
   * start to its end, each run as [BOS, window] with every window token scored; mean NLL (nats).
   */
  validation: { windows: number; windowTokens: number };
}

export const DEFAULT_MODEL: DefaultModelDescriptor = {
  name: 'sotu-llama',
  checkpoint: 'public/models/sotu-llama.bin',
  tokenizer: 'public/models/sotu-tok512.bin',
  calibrationText: 'public/text/sotu-calib.txt',
  evaluationText: 'public/text/sotu-eval.txt',
  textManifest: 'public/text/sotu-manifest.json',
  card: 'MODEL.md',
  vocabSize: 512,
  validation: { windows: 16, windowTokens: 255 },
};

/** A DEFAULT_MODEL path as the site serves it ("public/models/x.bin" -> "models/x.bin"). */
export function sitePath(repoPath: string): string {
  return repoPath.startsWith('public/') ? repoPath.slice('public/'.length) : repoPath;
}
