"""Minimal safetensors reading and streaming writing (no dependency beyond torch).

File: uint64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__":
{str: str}}, then the data (offsets relative to the end of the header). The streaming writer knows every
tensor's name, dtype and shape up front (the header comes first), writes a header of that size, then
each tensor's bytes as they are produced, so no more than one tensor is ever held in host memory.
"""
from __future__ import annotations

import json
import struct

import torch

DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool,
}
WIDTH = {'F64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}
NAME_OF = {v: k for k, v in DTYPES.items()}


def read_header(path: str) -> tuple[dict, int]:
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        if n > 100_000_000:
            raise ValueError(f'{path}: implausible safetensors header of {n} bytes')
        header = json.loads(f.read(n))
    return header, 8 + n


def read_tensor(path: str, header: dict, data_start: int, name: str) -> torch.Tensor:
    e = header[name]
    b, end = e['data_offsets']
    with open(path, 'rb') as f:
        f.seek(data_start + b)
        raw = bytearray(f.read(end - b))
    dt = DTYPES[e['dtype']]
    t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
    return t.reshape(e['shape'])


def read_all(path: str) -> tuple[dict[str, torch.Tensor], dict]:
    header, start = read_header(path)
    out = {k: read_tensor(path, header, start, k) for k in header if k != '__metadata__'}
    return out, header.get('__metadata__', {})


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


class StreamingWriter:
    """plan: ordered [(name, dtype 'F32'|..., shape)]. Tensors must then be written in plan order."""

    def __init__(self, path: str, plan: list[tuple[str, str, list[int]]], metadata: dict[str, str], align: int = 8):
        self.path = path
        self.plan = plan
        header: dict = {'__metadata__': metadata}
        off = 0
        self.sizes = []
        for name, dtype, shape in plan:
            n = WIDTH[dtype]
            for d in shape:
                n *= d
            header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [off, off + n]}
            self.sizes.append(n)
            off += n
        raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
        # Pad the header with spaces so the data starts aligned (as the safetensors library does).
        pad = (-(8 + len(raw))) % align
        raw += b' ' * pad
        self.header_bytes = raw
        self.data_start = 8 + len(raw)
        self.f = open(path, 'wb')
        self.f.write(struct.pack('<Q', len(raw)))
        self.f.write(raw)
        self.next = 0

    def write(self, name: str, t: torch.Tensor) -> None:
        pname, dtype, shape = self.plan[self.next]
        if name != pname:
            raise ValueError(f'profile writer: expected tensor {pname}, got {name}')
        want = DTYPES[dtype]
        b = tensor_bytes(t.to(want))
        if len(b) != self.sizes[self.next]:
            raise ValueError(f'profile writer: {name} has {len(b)} bytes, planned {self.sizes[self.next]} ({dtype} {shape})')
        self.f.write(b)
        self.next += 1

    def close(self) -> None:
        if self.next != len(self.plan):
            missing = [p[0] for p in self.plan[self.next:]][:5]
            self.f.close()
            raise ValueError(f'profile writer: {len(self.plan) - self.next} tensors not written (first: {missing})')
        self.f.close()
