"""Export a node graph into an ONNX-like JSON document, and run it back.

The "model" format is a plain dict so it can be inspected in tests::

    {"ir_version": 8, "opset": 13, "producer": ..., "graph": {...}}
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from conversion.validators import ValidationError, validate_name, validate_opset

if TYPE_CHECKING:
    from conversion.make_toy_block import ToyBlock

SUPPORTED_OPS = frozenset({"MatMul", "Gemm", "Add", "Mul", "Relu", "Gelu", "Identity", "Softmax", "LayerNorm"})
PRODUCER = "covsplit-example"


def export_graph(graph: dict, opset: int = 13, doc_string: str = "") -> dict:
    """Validate ``graph`` and wrap it into a model document."""
    validate_opset(opset)
    unsupported = sorted({node["op"] for node in graph["nodes"]} - SUPPORTED_OPS)
    if unsupported:
        raise ValidationError(f"unsupported ops: {', '.join(unsupported)}")
    for node in graph["nodes"]:
        for tensor in node["inputs"] + node["outputs"]:
            validate_name(tensor)
    return {
        "ir_version": 8 if opset >= 13 else 7,
        "opset": opset,
        "producer": PRODUCER,
        "doc_string": doc_string,
        "graph": copy.deepcopy(graph),
    }


def export_block(block: ToyBlock, opset: int = 13) -> dict:
    return export_graph(block.to_graph(), opset, doc_string=f"{block.name} dim={block.dim}")


def save_model(model: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(model, sort_keys=True))
    return path


def load_model(path: str | Path) -> dict:
    model = json.loads(Path(path).read_text())
    if "graph" not in model or "opset" not in model:
        raise ValidationError(f"{path} is not an exported model")
    return model


def gelu(x: float) -> float:
    return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def softmax(values: list[float]) -> list[float]:
    peak = max(values)
    exps = [math.exp(v - peak) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def layer_norm(values: list[float], eps: float = 1e-5) -> list[float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return [(v - mean) / math.sqrt(var + eps) for v in values]


def apply_op(op: str, args: list, attrs: dict | None = None) -> list[float]:
    """Evaluate one graph op on list-valued arguments."""
    attrs = attrs or {}
    if op in ("MatMul", "Gemm"):
        vector, matrix = args[0], args[1]
        out = [sum(v * row[j] for v, row in zip(vector, matrix, strict=True)) for j in range(len(matrix[0]))]
        if op == "Gemm" and len(args) > 2:
            out = [o + b for o, b in zip(out, args[2], strict=True)]
        return out
    if op == "Add":
        return [a + b for a, b in zip(args[0], args[1], strict=True)]
    if op == "Mul":
        return [a * b for a, b in zip(args[0], args[1], strict=True)]
    if op == "Relu":
        return [max(0.0, v) for v in args[0]]
    if op == "Gelu":
        return [gelu(v) for v in args[0]]
    if op == "Identity":
        return list(args[0])
    if op == "Softmax":
        return softmax(args[0])
    if op == "LayerNorm":
        return layer_norm(args[0], attrs.get("epsilon", 1e-5))
    raise ValidationError(f"cannot execute op {op}")


def run_model(model: dict, feeds: dict[str, list[float]]) -> dict[str, list[float]]:
    """Reference interpreter: execute the graph in node order."""
    graph = model.get("graph", model)
    env: dict[str, list] = {name: init["data"] for name, init in graph["initializers"].items()}
    for spec in graph["inputs"]:
        if spec["name"] not in feeds:
            raise ValidationError(f"missing input {spec['name']!r}")
        env[spec["name"]] = feeds[spec["name"]]
    for node in graph["nodes"]:
        args = [env[name] for name in node["inputs"]]
        env[node["outputs"][0]] = apply_op(node["op"], args, node.get("attrs"))
    return {spec["name"]: env[spec["name"]] for spec in graph["outputs"]}
