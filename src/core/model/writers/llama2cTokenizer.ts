// Writes a llama2.c tokenizer file (tokenizer.bin / tok512.bin format): int32 max_token_length,
// then for each id in order: float32 score, int32 byte length, the piece's UTF-8 bytes (no
// terminator). All little-endian. See ../shared/data/PROVENANCE.md.

const utf8 = new TextEncoder();

export function writeLlama2cTokenizer(pieces: readonly string[], scores: readonly number[]): Uint8Array {
  if (pieces.length !== scores.length)
    throw new Error(`tokenizer writer: ${pieces.length} pieces but ${scores.length} scores`);
  if (pieces.length === 0) throw new Error('tokenizer writer: empty vocabulary');
  const encoded = pieces.map((p) => utf8.encode(p));
  const maxTokenLength = encoded.reduce((m, b) => Math.max(m, b.length), 0);
  const total = 4 + encoded.reduce((n, b) => n + 8 + b.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, maxTokenLength, true);
  let o = 4;
  encoded.forEach((b, id) => {
    if (!Number.isFinite(scores[id])) throw new Error(`tokenizer writer: score of token ${id} is not finite`);
    dv.setFloat32(o, scores[id], true);
    dv.setInt32(o + 4, b.length, true);
    out.set(b, o + 8);
    o += 8 + b.length;
  });
  return out;
}
