"""Pure-python reader/writer for the safetensors file format.

Layout: 8-byte little-endian unsigned header length n, then n bytes of UTF-8 JSON
({name: {"dtype": str, "shape": [int], "data_offsets": [begin, end]}, optional
"__metadata__": {str: str}}), then the raw little-endian tensor bytes. Offsets are
relative to the start of the byte buffer that follows the header.

Only the standard library, numpy and torch are used.
"""
import json
import struct

import numpy as np
import torch

# safetensors dtype -> (numpy little-endian dtype used for the bytes, torch dtype)
_DTYPES = {
    "F64": (np.dtype("<f8"), torch.float64),
    "F32": (np.dtype("<f4"), torch.float32),
    "F16": (np.dtype("<f2"), torch.float16),
    "BF16": (np.dtype("<i2"), torch.bfloat16),  # read through an int16 view
    "I64": (np.dtype("<i8"), torch.int64),
    "I32": (np.dtype("<i4"), torch.int32),
    "I16": (np.dtype("<i2"), torch.int16),
    "I8": (np.dtype("i1"), torch.int8),
    "U8": (np.dtype("u1"), torch.uint8),
    "BOOL": (np.dtype("u1"), torch.bool),
}
_TORCH_TO_ST = {v[1]: k for k, v in _DTYPES.items()}


def _prod(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def load(path):
    """Return (dict name -> torch.Tensor, metadata dict) for a .safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: file too short for a safetensors header")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(raw)}")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dt}")
        np_dt, t_dt = _DTYPES[dt]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = _prod(shape)
        if end - begin != count * np_dt.itemsize or begin < 0 or end > len(data):
            raise ValueError(f"{path}: tensor {name!r} has inconsistent data_offsets {begin},{end}")
        arr = np.frombuffer(data[begin:end], dtype=np_dt, count=count).copy()
        if dt == "BOOL":
            t = torch.from_numpy(arr.astype(np.bool_))
        elif dt == "BF16":
            t = torch.from_numpy(arr.astype(np.int16)).view(torch.bfloat16)
        else:
            t = torch.from_numpy(arr.astype(np_dt.newbyteorder("=")))
        tensors[name] = t.reshape(shape)
    return tensors, metadata


def save(path, tensors, metadata=None):
    """Write tensors (dict name -> torch.Tensor) to path; keys sorted, data contiguous in key order."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, torch.Tensor):
            t = torch.as_tensor(t)
        t = t.detach().cpu().contiguous()
        if t.dtype not in _TORCH_TO_ST:
            raise ValueError(f"tensor {name!r}: unsupported dtype {t.dtype}")
        dt = _TORCH_TO_ST[t.dtype]
        np_dt = _DTYPES[dt][0]
        if dt == "BF16":
            arr = t.view(torch.int16).numpy()
        elif dt == "BOOL":
            arr = t.numpy().astype(np.uint8)
        else:
            arr = t.numpy()
        b = arr.astype(np_dt, copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)  # pad with spaces to 8-byte alignment, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in chunks:
            f.write(b)
