// Regenerates the default model's shipped profile, public/models/sotu-llama.profile.safetensors, with exactly
// the settings of the app's first calibration (src/core/url DEFAULT_SHARE_STATE; the worker's engine:
// onnxruntime-web wasm, 1 thread), so the explorer's numbers from the profile equal live calibration's.
// It also holds a small sweep at the app's default operating point for the trade-off view.
//   npm run profile-default        (or: npx tsx scripts/make-default-profile.ts [--out FILE])
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, nodeIO } from '../src/cli/main';
import { DEFAULT_SHARE_STATE } from '../src/core/url/shareState';

export const DEFAULT_PROFILE_PATH = 'public/models/sotu-llama.profile.safetensors';

/** Budgets of the shipped sweep: the app's default weight budget and the trade-off view's usual points. */
export const DEFAULT_PROFILE_BUDGETS = [0.05, 0.1, DEFAULT_SHARE_STATE.weightBudget, 0.5];

/** fgmp profile arguments of the app's first calibration (what the worker does on page open). */
export function defaultProfileArgs(out: string, withSweep = true): string[] {
  const s = DEFAULT_SHARE_STATE;
  return [
    'profile',
    'default',
    '--engine',
    'wasm',
    '--threads',
    '1',
    '--calib-tokens',
    String(s.calibrationTokens),
    '--clip',
    s.clipping,
    '--fp8-scaling',
    s.fp8Scaling,
    '--seed',
    '0',
    ...(withSweep
      ? [
          '--eval-tokens',
          String(s.evaluationTokens),
          '--budgets',
          DEFAULT_PROFILE_BUDGETS.join(','),
          '--act-budgets',
          String(s.activationBudget),
        ]
      : []),
    '--out',
    out,
    '--json',
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 ? process.argv[i + 1] : DEFAULT_PROFILE_PATH;
  process.exitCode = await main(defaultProfileArgs(out), nodeIO);
}
