"""llama2.c tokenizer files (tokenizer.bin, tok512.bin), encoding exactly as run.c's encode()
(and src/core/tokenizer/llama2c.ts): dummy-prefix space, one id per UTF-8 code point (or its byte
fallback ids), then repeatedly merge the adjacent pair with the highest score (leftmost on ties,
only scores > -1e10). Pieces are byte strings.

When no mergeable piece holds a non-space byte followed by a space (true of tok512 and the Llama 2
vocabulary; checked at load), no merge can join a token ending in a non-space to one starting with a
space, so the sequence is cut there and each short segment is merged on its own with run.c's loop.
"""
from __future__ import annotations

import re
import struct

MIN_MERGE_SCORE = -1e10
_BYTE_PIECE = re.compile(rb'^<0x([0-9A-Fa-f]{2})>$')


class Llama2cTokenizer:
    def __init__(self, pieces: list[bytes], scores: list[float], max_token_length: int, bos_id: int = 1, eos_id: int = 2):
        self.pieces = pieces
        self.scores = scores
        self.max_token_length = max_token_length
        self.vocab_size = len(pieces)
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.lookup: dict[bytes, int] = {}
        for i, p in enumerate(pieces):
            self.lookup.setdefault(p, i)  # first of duplicates, as the TS tokenizer
        has_byte_pieces = any(_BYTE_PIECE.match(p) for p in pieces)
        self.byte_fallback = [(b + 3 if (not has_byte_pieces and b + 3 < len(pieces)) else 0) for b in range(256)]
        self.raw_byte = [-1] * len(pieces)
        for i, p in enumerate(pieces):
            m = _BYTE_PIECE.match(p)
            if m:
                self.raw_byte[i] = int(m.group(1), 16)
                self.byte_fallback[self.raw_byte[i]] = i
        self.space = self.lookup.get(b' ')
        self.segment_at_spaces = self.space is not None and not any(
            scores[i] > MIN_MERGE_SCORE and re.search(rb'[^ ] ', p) for p, i in self.lookup.items()
        )
        self._pair: dict[tuple[int, int], int] = {}

    @classmethod
    def from_file(cls, path: str, vocab_size: int) -> 'Llama2cTokenizer':
        data = open(path, 'rb').read()
        if 4 + 8 * vocab_size > len(data):
            raise ValueError(f'{path}: {vocab_size} tokens need at least {4 + 8 * vocab_size} bytes, the file has {len(data)}')
        (max_len,) = struct.unpack_from('<i', data, 0)
        if not 0 < max_len <= 1024:
            raise ValueError(f'{path}: not a llama2.c tokenizer file (max_token_length {max_len})')
        o = 4
        pieces, scores = [], []
        for i in range(vocab_size):
            if o + 8 > len(data):
                raise ValueError(f'{path}: truncated inside the entry of token {i}')
            score, n = struct.unpack_from('<fi', data, o)
            o += 8
            if n < 0 or n > max_len or o + n > len(data):
                raise ValueError(f'{path}: token {i} has an invalid length {n}')
            pieces.append(data[o:o + n])
            scores.append(score)
            o += n
        if o != len(data):
            raise ValueError(f'{path}: {len(data) - o} bytes after {vocab_size} tokens (made for a larger vocabulary than the model\'s)')
        return cls(pieces, scores, max_len)

    def _merge_of(self, a: int, b: int) -> int:
        key = (a, b)
        m = self._pair.get(key)
        if m is None:
            m = self.lookup.get(self.pieces[a] + self.pieces[b], -1)
            if m >= 0 and not self.scores[m] > MIN_MERGE_SCORE:
                m = -1
            self._pair[key] = m
        return m

    def _initial(self, data: bytes) -> list[int]:
        if not data:
            return []
        out = []
        if True:  # run.c always adds the dummy prefix
            if self.space is None:
                raise ValueError('the vocabulary has no " " piece (run.c needs it for the dummy prefix)')
            out.append(self.space)
        start = 0
        ln = 0
        n = len(data)
        for i in range(n):
            if (data[i] & 0xC0) != 0x80:
                start = i
                ln = 0
            ln += 1
            if i + 1 < n and (data[i + 1] & 0xC0) == 0x80 and ln < 4:
                continue
            key = data[start:start + ln]
            tid = self.lookup.get(key)
            if tid is not None:
                out.append(tid)
            else:
                out.extend(self.byte_fallback[b] for b in key)
            start = i + 1
            ln = 0
        return out

    def _merge_segment(self, tok: list[int]) -> list[int]:
        # run.c: find the best-scoring adjacent merge (strictly greater score wins: leftmost on ties).
        while True:
            best_score = MIN_MERGE_SCORE
            best_i = -1
            best_id = -1
            for i in range(len(tok) - 1):
                m = self._merge_of(tok[i], tok[i + 1])
                if m >= 0 and self.scores[m] > best_score:
                    best_score = self.scores[m]
                    best_i = i
                    best_id = m
            if best_i < 0:
                return tok
            tok[best_i:best_i + 2] = [best_id]

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        tok = self._initial(text.encode('utf-8', errors='replace'))
        out: list[int] = [self.bos_id] if bos else []
        if self.segment_at_spaces:
            sp = self.space
            start = 0
            for i in range(1, len(tok) + 1):
                if i < len(tok) and not (tok[i] == sp and tok[i - 1] != sp):
                    continue
                out.extend(self._merge_segment(tok[start:i]))
                start = i
        else:
            out.extend(self._merge_segment(tok))
        if eos:
            out.append(self.eos_id)
        return out

    def decode(self, ids: list[int]) -> str:
        parts = []
        prev = -1
        for i in ids:
            after, prev = prev, i
            if i in (self.bos_id, self.eos_id):
                continue
            if self.raw_byte[i] >= 0:
                parts.append(bytes([self.raw_byte[i]]))
            else:
                p = self.pieces[i]
                if after == self.bos_id and p[:1] == b' ':
                    p = p[1:]
                parts.append(p)
        return b''.join(parts).decode('utf-8', errors='replace')
