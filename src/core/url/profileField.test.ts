// The share URL's profile field (prof=1:url:URL | 1:file:NAME): written only when a profile is open, read back
// to the same source, and a wrong field version or form is an error that opens no profile.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_STATE, decodeShareQuery, encodeShareQuery, PROFILE_FIELD_VERSION } from './shareState';
import { fetchesOf } from './fetchPolicy';

describe('prof= share field', () => {
  it('is absent without a profile, so links made before it are unchanged', () => {
    expect(encodeShareQuery(DEFAULT_SHARE_STATE)).not.toContain('prof=');
    expect(decodeShareQuery(encodeShareQuery(DEFAULT_SHARE_STATE)).state.profile).toBeUndefined();
  });

  it('round-trips a URL and a file profile with its field version first', () => {
    const url = 'https://huggingface.co/org/m/resolve/main/m.profile.safetensors?download=true';
    const q = encodeShareQuery({ ...DEFAULT_SHARE_STATE, profile: { kind: 'url', url } });
    expect(new URLSearchParams(q).get('prof')).toBe(`1:url:${url}`);
    const back = decodeShareQuery(q);
    expect(back.errors).toEqual([]);
    expect(back.state.profile).toEqual({ kind: 'url', url });
    const f = decodeShareQuery(
      encodeShareQuery({ ...DEFAULT_SHARE_STATE, profile: { kind: 'file', name: 'a.safetensors' } }),
    );
    expect(f.state.profile).toEqual({ kind: 'file', name: 'a.safetensors' });
    expect(PROFILE_FIELD_VERSION).toBe(1);
  });

  it('refuses another field version or a bare value, with a message naming the field', () => {
    for (const raw of ['2:url:https://x.org/p', 'url:https://x.org/p', '1:ftp:x']) {
      const d = decodeShareQuery(`v=1&prof=${encodeURIComponent(raw)}`);
      expect(d.state.profile ?? null).toBeNull();
      expect(d.errors.some((e) => e.field === 'prof')).toBe(true);
    }
  });

  it('a URL profile is one of the link fetches the user is asked about; a non-http one is refused', () => {
    const ok = fetchesOf({ ...DEFAULT_SHARE_STATE, profile: { kind: 'url', url: 'https://x.org/p.safetensors' } });
    expect(ok.items).toEqual([{ role: 'profile', url: 'https://x.org/p.safetensors', host: 'x.org' }]);
  });
});
