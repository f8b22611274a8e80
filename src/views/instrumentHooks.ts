// The instruments' part of the per-frame derivation: the configuration's answer (bits, pins, layerwise:
// src/store/instrumentsDerive.ts) that the masks, memory and energy are computed from, and the A/B
// comparison's configuration B derived the same way from its own ranking.
import { useMemo } from 'react';
import type { BlockRanking } from '../core/fgmp/index';
import type { HwParams } from '../core/hw/index';
import { deriveForBudget, type Derived } from '../store/derive';
import { useExplorer } from '../store/explorerStore';
import { useInstruments } from '../store/instruments';
import { abDifference, abState, answerConfiguration, type InstrumentAnswer } from '../store/instrumentsDerive';

let last: { ranking: BlockRanking; key: string; answer: InstrumentAnswer } | null = null;

/** answerConfiguration, remembered once: the controls and the views ask the same question each frame. */
function cachedAnswer(ranking: BlockRanking, c: Parameters<typeof answerConfiguration>[1]): InstrumentAnswer {
  const key = JSON.stringify(c);
  if (last?.ranking !== ranking || last.key !== key) last = { ranking, key, answer: answerConfiguration(ranking, c) };
  return last.answer;
}

/** The configuration's answer for the ranking (null without one). */
export function useInstrumentAnswer(ranking: BlockRanking | null): InstrumentAnswer | null {
  const s = useExplorer((st) => st.settings);
  const { weightBudget, policy, fp8Scaling, pins, bpw, layerwise } = s;
  return useMemo(
    () => (ranking ? cachedAnswer(ranking, { weightBudget, policy, fp8Scaling, pins, bpw, layerwise }) : null),
    [ranking, weightBudget, policy, fp8Scaling, pins, bpw, layerwise],
  );
}

export const useHwPreset = () => useInstruments((s) => s.hwPreset);

/** Configuration B's answer, masks and hardware, and its difference from A's masks (null until both exist). */
export function useAbDerived(
  a: { ranking: BlockRanking | null; derived: Derived | null },
  activationShares: Record<string, number> | null,
  tokens: number,
  params: HwParams,
) {
  const settings = useExplorer((st) => st.settings);
  const abRanking = useInstruments((st) => st.abRanking);
  const preset = useHwPreset();
  const b = useMemo(() => abState(settings), [settings]);
  const bRanking = abRanking.ranking;
  const bDerived = useMemo(() => {
    if (!b || !bRanking) return null;
    const answered = answerConfiguration(bRanking, b);
    const d = deriveForBudget(
      bRanking,
      activationShares,
      answered.answer,
      b.activationBudget,
      tokens,
      params,
      b.fp8Scaling,
      undefined,
      preset,
    );
    return { ...d, instrument: answered };
  }, [b, bRanking, activationShares, tokens, params, preset]);
  // A's masks are reused buffers: the difference is recomputed whenever A's derivation changes.
  const difference = useMemo(
    () =>
      a.ranking && a.derived && bRanking && bDerived
        ? abDifference({ ranking: a.ranking, masks: a.derived.masks }, { ranking: bRanking, masks: bDerived.masks })
        : null,
    [a.ranking, a.derived, bRanking, bDerived],
  );
  return { b, bDerived, difference, abRanking };
}
