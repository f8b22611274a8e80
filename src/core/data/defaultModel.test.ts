// The shipped default model: it loads, its validation loss is the model card's figure, and greedy
// generation reproduces the card's text. Figures are read from MODEL.md itself, never copied here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLlama2c } from '../model/loaders/llama2c';
import { parameterCount } from '../model/types';
import { parseLlama2cTokenizer } from '../tokenizer/llama2c';
import { CARD_GENERATIONS, DEFAULT_MODEL_CONFIG } from '../train/defaultModel';
import { windowedLoss } from '../train/evaluate';
import { generateTokens } from '../train/generate';
import { EngineGradientSource } from '../train/gradientSource';
import { DEFAULT_MODEL } from './index';

const repoRoot = path.resolve(__dirname, '../../..');
const readBytes = (rel: string) => new Uint8Array(readFileSync(path.join(repoRoot, rel)));
const card = readFileSync(path.join(repoRoot, DEFAULT_MODEL.card), 'utf8');

function cardFigure(label: string): number {
  const m = new RegExp(`^\\| ${label} \\| ([0-9.]+) \\|$`, 'm').exec(card);
  if (!m) throw new Error(`model card has no row "${label}"`);
  return Number(m[1]);
}

function cardGeneration(heading: string): string {
  const start = card.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`model card has no generation "${heading}"`);
  const m = /~~~text\n([\s\S]*?)\n~~~/.exec(card.slice(start));
  if (!m) throw new Error(`generation "${heading}" has no text block`);
  return m[1];
}

describe('the embedded default model (sotu-llama)', () => {
  const ckpt = readBytes(DEFAULT_MODEL.checkpoint);
  const { model, report } = loadLlama2c(ckpt, 'sotu-llama.bin');
  const tok = parseLlama2cTokenizer(readBytes(DEFAULT_MODEL.tokenizer), model.config.vocabSize);

  it('loads: llama2.c legacy checkpoint under 4 MB with the recipe architecture, 0.5–1 M parameters', () => {
    expect(report.variant).toMatch(/v0/);
    expect(report.nanCount).toBe(0);
    expect(ckpt.length).toBeLessThan(4 * 1024 * 1024);
    expect(model.config).toEqual(DEFAULT_MODEL_CONFIG);
    const n = parameterCount(model.config);
    expect(n).toBeGreaterThan(500_000);
    expect(n).toBeLessThan(1_000_000);
    expect(tok.vocabSize).toBe(DEFAULT_MODEL.vocabSize);
    expect(tok.duplicatePieces).toBe(0);
  });

  it('its validation loss on the held-out slice equals the model card figure (to 1e-3)', async () => {
    const evalText = readFileSync(path.join(repoRoot, DEFAULT_MODEL.evaluationText), 'utf8');
    const stream = tok.encodeToArray(evalText);
    expect(tok.decode(Array.from(stream))).toBe(' ' + evalText); // dummy-prefix space, lossless
    const { windows, windowTokens } = DEFAULT_MODEL.validation;
    const source = new EngineGradientSource();
    try {
      const val = await windowedLoss(source, model, stream, windows, windowTokens);
      expect(val.tokens).toBe(windows * windowTokens);
      const figure = cardFigure('Final validation loss');
      expect(Math.abs(val.loss - figure)).toBeLessThan(1e-3);
      // Trained: far below the uniform distribution's loss.
      expect(val.loss).toBeLessThan(Math.log(model.config.vocabSize) - 1.5);
    } finally {
      await source.dispose();
    }
  });

  it('greedy generation from the card prompts reproduces the card text', () => {
    const greedy = CARD_GENERATIONS.filter((g) => g.temperature === 0);
    expect(greedy.length).toBeGreaterThan(0);
    for (const g of greedy) {
      const ids = generateTokens(model, [tok.bosId, ...tok.encode(g.prompt)], g.steps);
      expect(tok.decode(ids)).toBe(cardGeneration(`Greedy: "${g.prompt}" + ${g.steps} tokens`));
    }
  });
});
