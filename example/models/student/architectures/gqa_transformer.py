"""A tiny decoder-only transformer with grouped-query attention, on lists.

Pre-norm blocks (RMSNorm), rotary position embeddings, grouped-query
attention with a KV cache, and a SwiGLU MLP.  It is slow and small on
purpose: the point is readable, branchy, dependency-free reference code.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

Vector = list[float]
Matrix = list[list[float]]


@dataclass(frozen=True)
class GQAConfig:
    vocab_size: int = 32
    d_model: int = 16
    n_heads: int = 4
    n_kv_heads: int = 2
    n_layers: int = 2
    d_ff: int = 32
    max_seq_len: int = 64
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        if self.n_heads % self.n_kv_heads:
            raise ValueError("n_heads must be divisible by n_kv_heads")
        if self.head_dim % 2:
            raise ValueError("head_dim must be even for rotary embeddings")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def group_size(self) -> int:
        return self.n_heads // self.n_kv_heads


# -- primitive ops -----------------------------------------------------------
def linear(x: Vector, weight: Matrix) -> Vector:
    """``weight`` is (out, in); returns ``weight @ x``."""
    return [sum(w * v for w, v in zip(row, x, strict=True)) for row in weight]


def rms_norm(x: Vector, gain: Vector, eps: float) -> Vector:
    scale = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    return [v * scale * g for v, g in zip(x, gain, strict=True)]


def silu(v: float) -> float:
    return v / (1.0 + math.exp(-v)) if v > -60 else 0.0


def softmax(x: Vector) -> Vector:
    peak = max(x)
    exps = [math.exp(v - peak) for v in x]
    total = sum(exps)
    return [e / total for e in exps]


def rope(x: Vector, position: int, theta: float) -> Vector:
    """Rotate consecutive pairs of ``x`` by position-dependent angles."""
    out = list(x)
    half = len(x) // 2
    for i in range(half):
        freq = theta ** (-2.0 * i / len(x))
        angle = position * freq
        c, s = math.cos(angle), math.sin(angle)
        a, b = x[2 * i], x[2 * i + 1]
        out[2 * i] = a * c - b * s
        out[2 * i + 1] = a * s + b * c
    return out


def _init(rng: random.Random, rows: int, cols: int) -> Matrix:
    std = 1.0 / math.sqrt(cols)
    return [[rng.gauss(0.0, std) for _ in range(cols)] for _ in range(rows)]


# -- layers ------------------------------------------------------------------
@dataclass
class KVCache:
    keys: list[list[Vector]] = field(default_factory=list)  # [position][kv_head] -> head_dim
    values: list[list[Vector]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def append(self, k: list[Vector], v: list[Vector]) -> None:
        self.keys.append(k)
        self.values.append(v)


class GroupedQueryAttention:
    def __init__(self, cfg: GQAConfig, rng: random.Random) -> None:
        self.cfg = cfg
        kv_dim = cfg.n_kv_heads * cfg.head_dim
        self.wq = _init(rng, cfg.d_model, cfg.d_model)
        self.wk = _init(rng, kv_dim, cfg.d_model)
        self.wv = _init(rng, kv_dim, cfg.d_model)
        self.wo = _init(rng, cfg.d_model, cfg.d_model)

    def _split(self, flat: Vector, n_heads: int) -> list[Vector]:
        hd = self.cfg.head_dim
        return [flat[h * hd : (h + 1) * hd] for h in range(n_heads)]

    def forward(self, x: Vector, position: int, cache: KVCache) -> Vector:
        """Attend from one new position to every cached position (causal)."""
        cfg = self.cfg
        q = [rope(h, position, cfg.rope_theta) for h in self._split(linear(x, self.wq), cfg.n_heads)]
        k = [rope(h, position, cfg.rope_theta) for h in self._split(linear(x, self.wk), cfg.n_kv_heads)]
        v = self._split(linear(x, self.wv), cfg.n_kv_heads)
        cache.append(k, v)
        scale = 1.0 / math.sqrt(cfg.head_dim)
        out: Vector = []
        for h in range(cfg.n_heads):
            kv_head = h // cfg.group_size
            scores = [sum(a * b for a, b in zip(q[h], keys[kv_head], strict=True)) * scale for keys in cache.keys]
            weights = softmax(scores)
            head_out = [0.0] * cfg.head_dim
            for w, values in zip(weights, cache.values, strict=True):
                for d, val in enumerate(values[kv_head]):
                    head_out[d] += w * val
            out.extend(head_out)
        return linear(out, self.wo)


class SwiGLU:
    def __init__(self, cfg: GQAConfig, rng: random.Random) -> None:
        self.w_gate = _init(rng, cfg.d_ff, cfg.d_model)
        self.w_up = _init(rng, cfg.d_ff, cfg.d_model)
        self.w_down = _init(rng, cfg.d_model, cfg.d_ff)

    def forward(self, x: Vector) -> Vector:
        gate = linear(x, self.w_gate)
        up = linear(x, self.w_up)
        return linear([silu(g) * u for g, u in zip(gate, up, strict=True)], self.w_down)


class Block:
    def __init__(self, cfg: GQAConfig, rng: random.Random) -> None:
        self.cfg = cfg
        self.attn = GroupedQueryAttention(cfg, rng)
        self.mlp = SwiGLU(cfg, rng)
        self.norm1 = [1.0] * cfg.d_model
        self.norm2 = [1.0] * cfg.d_model

    def forward(self, x: Vector, position: int, cache: KVCache) -> Vector:
        attn_out = self.attn.forward(rms_norm(x, self.norm1, self.cfg.norm_eps), position, cache)
        h = [a + b for a, b in zip(x, attn_out, strict=True)]
        mlp_out = self.mlp.forward(rms_norm(h, self.norm2, self.cfg.norm_eps))
        return [a + b for a, b in zip(h, mlp_out, strict=True)]


# -- model -------------------------------------------------------------------
class GQATransformer:
    def __init__(self, cfg: GQAConfig, seed: int = 0) -> None:
        rng = random.Random(seed)
        self.cfg = cfg
        self.embed = _init(rng, cfg.vocab_size, cfg.d_model)
        self.blocks = [Block(cfg, rng) for _ in range(cfg.n_layers)]
        self.final_norm = [1.0] * cfg.d_model
        self.lm_head = self.embed if cfg.tie_embeddings else _init(rng, cfg.vocab_size, cfg.d_model)

    def new_cache(self) -> list[KVCache]:
        return [KVCache() for _ in self.blocks]

    def step(self, token: int, position: int, caches: list[KVCache]) -> Vector:
        """Process one token and return next-token logits."""
        if not 0 <= token < self.cfg.vocab_size:
            raise ValueError(f"token {token} outside vocabulary")
        if position >= self.cfg.max_seq_len:
            raise ValueError("sequence exceeds max_seq_len")
        x = list(self.embed[token])
        for block, cache in zip(self.blocks, caches, strict=True):
            x = block.forward(x, position, cache)
        return linear(rms_norm(x, self.final_norm, self.cfg.norm_eps), self.lm_head)

    def forward(self, tokens: list[int]) -> list[Vector]:
        """Logits for every position of ``tokens``."""
        if not tokens:
            raise ValueError("empty token sequence")
        caches = self.new_cache()
        return [self.step(tok, pos, caches) for pos, tok in enumerate(tokens)]

    def generate(
        self, prompt: list[int], max_new_tokens: int, eos_id: int | None = None, temperature: float = 0.0, seed: int = 0
    ) -> list[int]:
        """Greedy (``temperature == 0``) or sampled decoding using the KV cache."""
        rng = random.Random(seed)
        caches = self.new_cache()
        logits: Vector = []
        for pos, tok in enumerate(prompt):
            logits = self.step(tok, pos, caches)
        out: list[int] = []
        position = len(prompt)
        for _ in range(max_new_tokens):
            if position >= self.cfg.max_seq_len:
                break
            if temperature == 0.0:
                token = max(range(len(logits)), key=logits.__getitem__)
            else:
                probs = softmax([v / temperature for v in logits])
                token = rng.choices(range(len(probs)), weights=probs)[0]
            out.append(token)
            if token == eos_id:
                break
            logits = self.step(token, position, caches)
            position += 1
        return out

    def num_parameters(self) -> int:
        total = sum(len(row) for row in self.embed) + len(self.final_norm)
        if not self.cfg.tie_embeddings:
            total += sum(len(row) for row in self.lm_head)
        for block in self.blocks:
            for matrix in (
                block.attn.wq,
                block.attn.wk,
                block.attn.wv,
                block.attn.wo,
                block.mlp.w_gate,
                block.mlp.w_up,
                block.mlp.w_down,
            ):
                total += sum(len(row) for row in matrix)
            total += len(block.norm1) + len(block.norm2)
        return total

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"embed": self.embed, "final_norm": self.final_norm}
        if not self.cfg.tie_embeddings:
            state["lm_head"] = self.lm_head
        for i, block in enumerate(self.blocks):
            state[f"blocks.{i}"] = {
                "attn": {"wq": block.attn.wq, "wk": block.attn.wk, "wv": block.attn.wv, "wo": block.attn.wo},
                "mlp": {"w_gate": block.mlp.w_gate, "w_up": block.mlp.w_up, "w_down": block.mlp.w_down},
                "norm1": block.norm1,
                "norm2": block.norm2,
            }
        return state

    def sequence_log_prob(self, tokens: list[int]) -> float:
        """Sum of log p(token_t | tokens_<t) for t >= 1."""
        logits = self.forward(tokens)
        total = 0.0
        for row, target in zip(logits[:-1], tokens[1:], strict=True):
            peak = max(row)
            lse = peak + math.log(sum(math.exp(v - peak) for v in row))
            total += row[target] - lse
        return total

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load weights produced by :meth:`state_dict` (shapes are checked)."""

        def check(name: str, new: Any, old: Any) -> Any:
            if len(new) != len(old) or (isinstance(old[0], list) and len(new[0]) != len(old[0])):
                raise ValueError(f"shape mismatch for {name}")
            return [list(row) if isinstance(row, list) else row for row in new]

        self.embed = check("embed", state["embed"], self.embed)
        self.final_norm = check("final_norm", state["final_norm"], self.final_norm)
        if self.cfg.tie_embeddings:
            self.lm_head = self.embed
        else:
            self.lm_head = check("lm_head", state["lm_head"], self.lm_head)
        for i, block in enumerate(self.blocks):
            entry = state[f"blocks.{i}"]
            for key in ("wq", "wk", "wv", "wo"):
                setattr(block.attn, key, check(f"blocks.{i}.attn.{key}", entry["attn"][key], getattr(block.attn, key)))
            for key in ("w_gate", "w_up", "w_down"):
                setattr(block.mlp, key, check(f"blocks.{i}.mlp.{key}", entry["mlp"][key], getattr(block.mlp, key)))
            block.norm1 = check(f"blocks.{i}.norm1", entry["norm1"], block.norm1)
            block.norm2 = check(f"blocks.{i}.norm2", entry["norm2"], block.norm2)


def kv_cache_size(cfg: GQAConfig, seq_len: int) -> int:
    """Number of floats held in the KV cache for ``seq_len`` positions."""
    return 2 * cfg.n_layers * seq_len * cfg.n_kv_heads * cfg.head_dim


def kv_savings_vs_mha(cfg: GQAConfig) -> float:
    """Fraction of KV-cache memory saved relative to full multi-head attention."""
    return 1.0 - cfg.n_kv_heads / cfg.n_heads
