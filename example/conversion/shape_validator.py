"""Static shape inference and checking for exported graphs."""

from __future__ import annotations

from dataclasses import dataclass, field

Shape = tuple[int, ...]

ELEMENTWISE_BINARY = {"Add", "Mul"}
ELEMENTWISE_UNARY = {"Relu", "Gelu", "Identity", "Softmax", "LayerNorm"}


class ShapeError(ValueError):
    """Raised when two shapes are incompatible."""


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """NumPy-style broadcasting of two shapes."""
    result = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            raise ShapeError(f"cannot broadcast {a} with {b}")
        result.append(max(da, db))
    return tuple(reversed(result))


def matmul_shape(a: Shape, b: Shape) -> Shape:
    """Shape of ``a @ b`` where ``a`` is a vector or matrix and ``b`` is a matrix."""
    if len(b) != 2:
        raise ShapeError(f"right operand must be 2-D, got {b}")
    if a[-1] != b[0]:
        raise ShapeError(f"inner dimensions differ: {a} @ {b}")
    return (*a[:-1], b[1])


@dataclass
class ShapeReport:
    shapes: dict[str, Shape] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def infer_shapes(graph: dict) -> ShapeReport:
    """Propagate shapes through ``graph`` collecting every error found."""
    report = ShapeReport()
    for spec in graph["inputs"]:
        report.shapes[spec["name"]] = tuple(spec["shape"])
    for name, init in graph["initializers"].items():
        report.shapes[name] = tuple(init["shape"])
    for node in graph["nodes"]:
        missing = [name for name in node["inputs"] if name not in report.shapes]
        if missing:
            report.errors.append(f"{node['name']}: unknown inputs {missing}")
            continue
        shapes = [report.shapes[name] for name in node["inputs"]]
        try:
            if node["op"] in ("MatMul", "Gemm"):
                out = matmul_shape(shapes[0], shapes[1])
            elif node["op"] in ELEMENTWISE_BINARY:
                out = broadcast_shapes(shapes[0], shapes[1])
            elif node["op"] in ELEMENTWISE_UNARY:
                out = shapes[0]
            elif "output_shape" in node.get("attrs", {}):
                # Custom ops must declare their output shape explicitly.
                out = tuple(node["attrs"]["output_shape"])
            else:
                raise ShapeError(f"no shape rule for {node['op']}")
        except ShapeError as exc:
            report.errors.append(f"{node['name']}: {exc}")
            continue
        report.shapes[node["outputs"][0]] = out
    for spec in graph["outputs"]:
        declared = tuple(spec["shape"])
        actual = report.shapes.get(spec["name"])
        if actual is not None and actual != declared:
            report.errors.append(f"output {spec['name']}: declared {declared}, inferred {actual}")
    return report


def assert_valid_shapes(graph: dict) -> dict[str, Shape]:
    report = infer_shapes(graph)
    if not report.ok:
        raise ShapeError("; ".join(report.errors))
    return report.shapes
