// The engine the pipeline worker runs on and why (src/core/runtime/engineChoice.ts): wasm with its thread
// count and the reason for it, and what became of WebGPU. The detail (the adapter, the self-check's figures
// against their tolerance, an error) is the line's tooltip. Not part of the share link.
import { useEffect } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { EngineChoice } from '../core/runtime/engineChoice';
import { showEngine } from '../store/actions';
import { useExplorer } from '../store/explorerStore';

function describe(t: TFunction<'engine'>, c: EngineChoice): string {
  const ep = c.executionProvider === 'webgpu' ? t('ep.webgpu', { adapter: c.webgpu.adapter }) : t('ep.wasm');
  const wasm = `${ep} · ${t('threads', { count: c.threads })} (${t(`reason.${c.threadReason}`)})`;
  return `${wasm} · ${t(`webgpu.${c.webgpu.status}`, { adapter: c.webgpu.adapter ?? '' })}`;
}

export function EngineStatus() {
  const { t } = useTranslation('engine');
  const engine = useExplorer((s) => s.engine);
  const restarts = useExplorer((s) => s.worker.restarts);
  // Each fresh worker chooses again (the same answer, unless the page's isolation changed).
  useEffect(() => showEngine(), [restarts]);
  const c = engine.choice;
  const text = c ? describe(t, c) : engine.error ? t('unknown', { message: engine.error }) : t('choosing');
  return (
    <p
      className="text-xs text-slate-600 dark:text-slate-400"
      data-testid="engine-status"
      data-ep={c?.executionProvider ?? ''}
      data-threads={c?.threads ?? ''}
      data-webgpu={c?.webgpu.status ?? ''}
      title={c ? `${c.webgpu.detail}. ${t('note')}` : undefined}
    >
      {t('label')}: {text}
    </p>
  );
}
