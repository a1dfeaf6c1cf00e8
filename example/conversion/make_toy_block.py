"""Build a tiny deterministic feed-forward block used by the export tools.

The block computes ``relu(x @ w1 + b1) @ w2 + b2`` with an optional
residual connection, entirely on Python lists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from conversion.validators import ensure_positive

Vector = list[float]
Matrix = list[list[float]]


def random_matrix(rng: random.Random, rows: int, cols: int, scale: float) -> Matrix:
    """Uniform random matrix in ``[-scale, scale]``."""
    return [[rng.uniform(-scale, scale) for _ in range(cols)] for _ in range(rows)]


def vecmat(vector: Vector, matrix: Matrix) -> Vector:
    """Multiply a row vector of length n by an (n x m) matrix."""
    if len(vector) != len(matrix):
        raise ValueError(f"cannot multiply vector of length {len(vector)} by matrix with {len(matrix)} rows")
    cols = len(matrix[0]) if matrix else 0
    out = [0.0] * cols
    for value, row in zip(vector, matrix, strict=True):
        if value == 0.0:
            continue  # relu outputs are often exactly zero
        for j, weight in enumerate(row):
            out[j] += value * weight
    return out


def relu(values: Vector) -> Vector:
    return [v if v > 0 else 0.0 for v in values]


def add(a: Vector, b: Vector) -> Vector:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} vs {len(b)}")
    return [x + y for x, y in zip(a, b, strict=True)]


@dataclass
class ToyBlock:
    """A two-layer MLP block with an optional residual connection."""

    dim: int
    hidden: int
    w1: Matrix
    b1: Vector
    w2: Matrix
    b2: Vector
    residual: bool = True
    name: str = "toy_block"
    metadata: dict = field(default_factory=dict)

    def forward(self, x: Vector) -> Vector:
        if len(x) != self.dim:
            raise ValueError(f"expected input of length {self.dim}, got {len(x)}")
        hidden = relu(add(vecmat(x, self.w1), self.b1))
        out = add(vecmat(hidden, self.w2), self.b2)
        if self.residual:
            out = add(out, x)
        return out

    def forward_batch(self, batch: list[Vector]) -> list[Vector]:
        return [self.forward(x) for x in batch]

    def parameters(self) -> dict[str, list]:
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}

    def num_parameters(self) -> int:
        return 2 * self.dim * self.hidden + self.hidden + self.dim

    def to_graph(self) -> dict:
        """Describe the block as a node graph (see :mod:`conversion.export_onnx`)."""
        nodes = [
            {"op": "MatMul", "name": "fc1", "inputs": ["input", "w1"], "outputs": ["h_pre"]},
            {"op": "Add", "name": "fc1_bias", "inputs": ["h_pre", "b1"], "outputs": ["h_biased"]},
            {"op": "Relu", "name": "act", "inputs": ["h_biased"], "outputs": ["h_act"]},
            {"op": "MatMul", "name": "fc2", "inputs": ["h_act", "w2"], "outputs": ["o_pre"]},
            {"op": "Add", "name": "fc2_bias", "inputs": ["o_pre", "b2"], "outputs": ["o_biased"]},
        ]
        if self.residual:
            nodes.append({"op": "Add", "name": "residual", "inputs": ["o_biased", "input"], "outputs": ["output"]})
        else:
            nodes.append({"op": "Identity", "name": "out", "inputs": ["o_biased"], "outputs": ["output"]})
        initializers = {
            "w1": {"shape": [self.dim, self.hidden], "data": [row[:] for row in self.w1]},
            "b1": {"shape": [self.hidden], "data": self.b1[:]},
            "w2": {"shape": [self.hidden, self.dim], "data": [row[:] for row in self.w2]},
            "b2": {"shape": [self.dim], "data": self.b2[:]},
        }
        return {
            "name": self.name,
            "inputs": [{"name": "input", "shape": [self.dim]}],
            "outputs": [{"name": "output", "shape": [self.dim]}],
            "nodes": nodes,
            "initializers": initializers,
        }


def make_toy_block(
    dim: int = 4,
    hidden: int = 8,
    seed: int = 0,
    residual: bool = True,
    scale: float | None = None,
) -> ToyBlock:
    """Create a :class:`ToyBlock` with reproducible random weights."""
    ensure_positive(dim, "dim")
    ensure_positive(hidden, "hidden")
    rng = random.Random(seed)
    if scale is None:
        scale = 1.0 / (dim**0.5)
    return ToyBlock(
        dim=dim,
        hidden=hidden,
        w1=random_matrix(rng, dim, hidden, scale),
        b1=[rng.uniform(-0.1, 0.1) for _ in range(hidden)],
        w2=random_matrix(rng, hidden, dim, scale),
        b2=[rng.uniform(-0.1, 0.1) for _ in range(dim)],
        residual=residual,
        metadata={"seed": seed, "scale": scale},
    )
