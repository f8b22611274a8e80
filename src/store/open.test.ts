import { describe, expect, it } from 'vitest';
import { normaliseModelUrl } from './open';

describe('Hugging Face links', () => {
  it('page links become download links; others are kept', () => {
    expect(
      normaliseModelUrl(' https://huggingface.co/karpathy/tinyllamas/blob/main/stories260K/stories260K.bin '),
    ).toBe('https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin');
    expect(normaliseModelUrl('https://example.org/blob/x.bin')).toBe('https://example.org/blob/x.bin');
  });
});
