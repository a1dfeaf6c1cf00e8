"""Export parameter dictionaries as PyTorch-style checkpoints.

A checkpoint is a JSON document holding a flat ``state_dict`` (``"a.b.c"``
keys), per-tensor metadata, an optional int8/float16 encoding and a
SHA-256 checksum so corrupted files are detected on load.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2
SUPPORTED_DTYPES = ("float32", "float16", "int8")


class CheckpointError(RuntimeError):
    """Raised for malformed, corrupted or incompatible checkpoints."""


def flatten_state_dict(params: dict, prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_state_dict(value, name))
        else:
            flat[name] = value
    return flat


def unflatten_state_dict(flat: dict[str, Any]) -> dict:
    nested: dict = {}
    for key, value in flat.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def shape_of(tensor: Any) -> list[int]:
    """Shape of a (possibly nested) list; scalars have shape ``[]``."""
    shape = []
    while isinstance(tensor, list):
        shape.append(len(tensor))
        tensor = tensor[0] if tensor else None
    return shape


def flatten_values(tensor: Any) -> list[float]:
    if not isinstance(tensor, list):
        return [float(tensor)]
    out: list[float] = []
    for item in tensor:
        out.extend(flatten_values(item))
    return out


def reshape(values: list[float], shape: list[int]) -> Any:
    if not shape:
        return values[0]
    if len(shape) == 1:
        return list(values[: shape[0]])
    step = len(values) // shape[0]
    return [reshape(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def quantize_int8(values: list[float]) -> tuple[list[int], float]:
    """Symmetric per-tensor int8 quantisation."""
    peak = max((abs(v) for v in values), default=0.0)
    scale = peak / 127.0 if peak > 0 else 1.0
    return [max(-127, min(127, round(v / scale))) for v in values], scale


def dequantize_int8(q: list[int], scale: float) -> list[float]:
    return [v * scale for v in q]


def to_float16(values: list[float]) -> list[float]:
    out = []
    for v in values:
        v = max(-65504.0, min(65504.0, v))
        out.append(struct.unpack("<e", struct.pack("<e", v))[0])
    return out


@dataclass(frozen=True)
class RenameRule:
    pattern: str
    replacement: str

    def apply(self, name: str) -> str:
        return re.sub(self.pattern, self.replacement, name)


def rename_keys(flat: dict[str, Any], rules: list[RenameRule]) -> dict[str, Any]:
    renamed: dict[str, Any] = {}
    for key, value in flat.items():
        new_key = key
        for rule in rules:
            new_key = rule.apply(new_key)
        if new_key in renamed:
            raise CheckpointError(f"rename collision on {new_key!r}")
        renamed[new_key] = value
    return renamed


def _checksum(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def encode_state_dict(params: dict, dtype: str = "float32") -> dict:
    if dtype not in SUPPORTED_DTYPES:
        raise CheckpointError(f"unsupported dtype {dtype!r}")
    tensors = {}
    for name, tensor in flatten_state_dict(params).items():
        values = flatten_values(tensor)
        entry: dict[str, Any] = {"shape": shape_of(tensor), "dtype": dtype}
        if dtype == "int8":
            entry["data"], entry["scale"] = quantize_int8(values)
        elif dtype == "float16":
            entry["data"] = to_float16(values)
        else:
            entry["data"] = values
        tensors[name] = entry
    return tensors


def export_checkpoint(params: dict, path: str | Path, dtype: str = "float32", metadata: dict | None = None) -> Path:
    payload = {
        "format_version": FORMAT_VERSION,
        "metadata": metadata or {},
        "tensors": encode_state_dict(params, dtype),
    }
    document = {"payload": payload, "sha256": _checksum(payload)}
    path = Path(path)
    path.write_text(json.dumps(document))
    return path


def load_checkpoint(path: str | Path, nested: bool = True) -> tuple[dict, dict]:
    """Return ``(params, metadata)``; params are dequantised floats."""
    try:
        document = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: not JSON ({exc.msg})") from exc
    payload = document.get("payload")
    if payload is None or document.get("sha256") != _checksum(payload):
        raise CheckpointError(f"{path}: checksum mismatch")
    version = payload.get("format_version", 1)
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: format {version} is newer than {FORMAT_VERSION}")
    flat = {}
    for name, entry in payload["tensors"].items():
        values = entry["data"]
        if entry["dtype"] == "int8":
            values = dequantize_int8(values, entry["scale"])
        flat[name] = reshape(values, entry["shape"])
    params = unflatten_state_dict(flat) if nested else flat
    return params, payload["metadata"]


def compare_state_dicts(a: dict, b: dict, atol: float = 1e-6) -> list[str]:
    """List human-readable differences between two state dicts."""
    fa, fb = flatten_state_dict(a), flatten_state_dict(b)
    problems = [f"missing in second: {k}" for k in sorted(fa.keys() - fb.keys())]
    problems += [f"missing in first: {k}" for k in sorted(fb.keys() - fa.keys())]
    for key in sorted(fa.keys() & fb.keys()):
        if shape_of(fa[key]) != shape_of(fb[key]):
            problems.append(f"shape mismatch for {key}: {shape_of(fa[key])} vs {shape_of(fb[key])}")
            continue
        worst = max(
            (abs(x - y) for x, y in zip(flatten_values(fa[key]), flatten_values(fb[key]), strict=True)),
            default=0.0,
        )
        if worst > atol:
            problems.append(f"value mismatch for {key}: max diff {worst:.3g}")
    return problems


def average_checkpoints(paths: list[str | Path]) -> dict:
    """Uniformly average the parameters of several checkpoints (model soup)."""
    if not paths:
        raise CheckpointError("need at least one checkpoint to average")
    flats = [load_checkpoint(p, nested=False)[0] for p in paths]
    keys = set(flats[0])
    for other in flats[1:]:
        if set(other) != keys:
            raise CheckpointError("checkpoints have different parameter names")
    averaged = {}
    for key in sorted(keys):
        columns = zip(*(flatten_values(flat[key]) for flat in flats), strict=True)
        values = [sum(col) / len(flats) for col in columns]
        averaged[key] = reshape(values, shape_of(flats[0][key]))
    return unflatten_state_dict(averaged)


def checkpoint_size(params: dict, dtype: str = "float32") -> int:
    """Bytes the raw tensors would occupy in ``dtype`` (excluding metadata)."""
    per = {"float32": 4, "float16": 2, "int8": 1}[dtype]
    return sum(len(flatten_values(t)) for t in flatten_state_dict(params).values()) * per
