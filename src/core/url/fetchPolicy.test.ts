import { describe, expect, it } from 'vitest';
import { checkFetchUrl, fetchesOf, formatSize, hostsOf, withoutFetches } from './fetchPolicy';
import { DEFAULT_SHARE_STATE, decodeShareQuery, type ShareState } from './shareState';

const state = (over: Partial<ShareState>): ShareState => ({ ...structuredClone(DEFAULT_SHARE_STATE), ...over });

describe('what a link may fetch', () => {
  it('fetches only http(s) and names the scheme it refuses', () => {
    expect(checkFetchUrl('https://huggingface.co/a/resolve/main/m.bin')).toEqual({
      ok: true,
      host: 'huggingface.co',
    });
    expect(checkFetchUrl('http://127.0.0.1:8080/m.bin')).toEqual({ ok: true, host: '127.0.0.1:8080' });
    for (const [url, scheme] of [
      ['file:///etc/passwd', 'file:'],
      ['javascript:alert(1)', 'javascript:'],
      ['data:application/octet-stream;base64,AAAA', 'data:'],
      ['blob:https://x.org/1234', 'blob:'],
      ['ftp://x.org/m.bin', 'ftp:'],
    ])
      expect(checkFetchUrl(url)).toEqual({
        ok: false,
        reason: `only http(s) addresses are fetched, not ${scheme} ("${url}")`,
      });
    expect(checkFetchUrl('m.bin')).toEqual({ ok: false, reason: '"m.bin" is not an absolute URL' });
  });

  it('lists every URL source of a link with its host, in fetch order, and refuses the rest', () => {
    const s = state({
      model: { kind: 'url', url: 'https://a.example/m.bin' },
      tokenizer: { kind: 'url', url: 'https://b.example/t.bin' },
      calibration: { kind: 'file', name: 'c.txt' },
      evaluation: { kind: 'url', url: 'file:///e.txt' },
    });
    const { items, refused } = fetchesOf(s);
    expect(items).toEqual([
      { role: 'model', url: 'https://a.example/m.bin', host: 'a.example' },
      { role: 'tokenizer', url: 'https://b.example/t.bin', host: 'b.example' },
    ]);
    expect(refused).toEqual([
      {
        role: 'evaluation',
        reason: 'evaluation text: only http(s) addresses are fetched, not file: ("file:///e.txt")',
      },
    ]);
    expect(hostsOf([...items, { role: 'calibration', url: 'https://a.example/c.txt', host: 'a.example' }])).toEqual([
      'a.example',
      'b.example',
    ]);
    expect(fetchesOf(DEFAULT_SHARE_STATE)).toEqual({ items: [], refused: [] });
    // A tokenizer URL beside a local model is not fetched (nor asked about): only with a model URL.
    const local = state({
      model: { kind: 'file', name: 'm.bin' },
      tokenizer: { kind: 'url', url: 'https://b.example/t' },
    });
    expect(fetchesOf(local).items).toEqual([]);
    expect(withoutFetches(local, DEFAULT_SHARE_STATE)).toEqual(local);
  });

  it('the link parser refuses non-http(s) model URLs before the policy sees them', () => {
    const d = decodeShareQuery('v=1&model=url:javascript:alert(1)');
    expect(d.state.model).toEqual({ kind: 'default' });
    expect(d.errors.map((e) => e.message)).toEqual(['model: only http(s) URLs can be fetched, got javascript:']);
  });

  it('while asking (and after Cancel) the URL sources stay what the user had; the rest applies', () => {
    const previous = state({ model: { kind: 'file', name: 'mine.bin' }, tokenizer: { kind: 'file', name: 'tok.bin' } });
    const link = state({
      model: { kind: 'url', url: 'https://a.example/m.bin' },
      tokenizer: null,
      calibration: { kind: 'url', url: 'https://a.example/c.txt' },
      weightBudget: 0.5,
      policy: 'magnitude',
    });
    const shown = withoutFetches(link, previous);
    expect(shown.model).toEqual({ kind: 'file', name: 'mine.bin' });
    expect(shown.tokenizer).toEqual({ kind: 'file', name: 'tok.bin' });
    expect(shown.calibration).toEqual({ kind: 'default' });
    expect(shown.weightBudget).toBe(0.5);
    expect(shown.policy).toBe('magnitude');
    // A link without URL sources is unchanged.
    const plain = state({ weightBudget: 0.2 });
    expect(withoutFetches(plain, previous)).toEqual(plain);
  });

  it('formats declared sizes', () => {
    expect(formatSize(512)).toBe('512 bytes');
    expect(formatSize(1_048_576)).toBe('1.0 MiB');
    expect(formatSize(3 * 2 ** 30)).toBe('3.00 GiB');
    expect(formatSize(NaN)).toBe('unknown');
  });
});
