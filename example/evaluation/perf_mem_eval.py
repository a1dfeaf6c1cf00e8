"""Performance and memory evaluation for transformer-style models.

Two halves:

* analytic memory estimates (parameters, KV cache, activations) from a
  model config, and
* a micro-benchmark harness producing latency statistics, plus budget
  checks and baseline comparisons used by CI gates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.student.architectures.gqa_transformer import GQAConfig

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "int4": 0.5}
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_bytes(n: float) -> str:
    """Human readable binary size, e.g. ``1536 -> '1.5 KiB'``."""
    if n < 0:
        raise ValueError("byte counts cannot be negative")
    unit = 0
    while n >= 1024 and unit < len(_UNITS) - 1:
        n /= 1024
        unit += 1
    if unit == 0:
        return f"{int(n)} B"
    return f"{n:.1f} {_UNITS[unit]}"


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in ``[0, 100]``."""
    if not values:
        raise ValueError("percentile of empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in [0, 100], got {q}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class LatencyStats:
    count: int
    mean: float
    std: float
    minimum: float
    maximum: float
    p50: float
    p90: float
    p99: float

    @classmethod
    def from_samples(cls, samples: Sequence[float]) -> LatencyStats:
        if not samples:
            raise ValueError("no latency samples")
        n = len(samples)
        mean = sum(samples) / n
        var = sum((s - mean) ** 2 for s in samples) / (n - 1) if n > 1 else 0.0
        return cls(
            count=n,
            mean=mean,
            std=math.sqrt(var),
            minimum=min(samples),
            maximum=max(samples),
            p50=percentile(samples, 50),
            p90=percentile(samples, 90),
            p99=percentile(samples, 99),
        )

    @property
    def coefficient_of_variation(self) -> float:
        return self.std / self.mean if self.mean else 0.0


@dataclass(frozen=True)
class ModelMemoryConfig:
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    d_ff: int
    dtype: str = "float16"
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        if self.dtype not in DTYPE_BYTES:
            raise ValueError(f"unknown dtype {self.dtype!r}")
        if self.d_model % self.n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        if self.n_heads % self.n_kv_heads:
            raise ValueError("n_heads must be divisible by n_kv_heads")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def from_gqa_config(cls, config: GQAConfig, dtype: str = "float32") -> ModelMemoryConfig:
        return cls(
            n_layers=config.n_layers,
            d_model=config.d_model,
            n_heads=config.n_heads,
            n_kv_heads=config.n_kv_heads,
            vocab_size=config.vocab_size,
            d_ff=config.d_ff,
            dtype=dtype,
            tie_embeddings=config.tie_embeddings,
        )


def parameter_count(cfg: ModelMemoryConfig) -> int:
    """Parameters of a pre-norm GQA transformer with a SwiGLU MLP and RMSNorm."""
    kv_dim = cfg.n_kv_heads * cfg.head_dim
    attn = cfg.d_model * cfg.d_model * 2 + cfg.d_model * kv_dim * 2
    mlp = 3 * cfg.d_model * cfg.d_ff
    norms = 2 * cfg.d_model
    per_layer = attn + mlp + norms
    embeddings = cfg.vocab_size * cfg.d_model
    head = 0 if cfg.tie_embeddings else cfg.vocab_size * cfg.d_model
    return cfg.n_layers * per_layer + embeddings + head + cfg.d_model


def weight_bytes(cfg: ModelMemoryConfig) -> float:
    return parameter_count(cfg) * DTYPE_BYTES[cfg.dtype]


def kv_cache_bytes(cfg: ModelMemoryConfig, batch: int, seq_len: int, kv_dtype: str | None = None) -> float:
    """Bytes held by the K and V caches for ``batch`` sequences of ``seq_len``."""
    bytes_per = DTYPE_BYTES[kv_dtype or cfg.dtype]
    return 2 * cfg.n_layers * batch * seq_len * cfg.n_kv_heads * cfg.head_dim * bytes_per


def activation_bytes(cfg: ModelMemoryConfig, batch: int, seq_len: int) -> float:
    """Peak activation estimate for one layer's forward pass (inference)."""
    bytes_per = DTYPE_BYTES[cfg.dtype]
    hidden = batch * seq_len * cfg.d_model
    scores = batch * cfg.n_heads * seq_len * seq_len
    mlp = batch * seq_len * cfg.d_ff * 2
    return (hidden * 2 + max(scores, mlp)) * bytes_per


def memory_breakdown(cfg: ModelMemoryConfig, batch: int = 1, seq_len: int = 2048) -> dict[str, float]:
    weights = weight_bytes(cfg)
    kv = kv_cache_bytes(cfg, batch, seq_len)
    acts = activation_bytes(cfg, batch, seq_len)
    return {"weights": weights, "kv_cache": kv, "activations": acts, "total": weights + kv + acts}


def max_context_for_budget(cfg: ModelMemoryConfig, budget_bytes: float, batch: int = 1) -> int:
    """Largest sequence length (multiple of 64) whose total memory fits the budget."""
    lo, hi = 0, 1 << 20
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if memory_breakdown(cfg, batch, mid)["total"] <= budget_bytes:
            lo = mid
        else:
            hi = mid - 1
    return (lo // 64) * 64


@dataclass
class Benchmark:
    """Time a callable with warmup; the clock is injectable for tests."""

    fn: Callable[[], Any]
    warmup: int = 2
    iterations: int = 10
    clock: Callable[[], float] = time.perf_counter
    tokens_per_call: int = 0

    def run(self) -> BenchmarkResult:
        if self.iterations < 1:
            raise ValueError("iterations must be >= 1")
        for _ in range(self.warmup):
            self.fn()
        samples = []
        for _ in range(self.iterations):
            start = self.clock()
            self.fn()
            samples.append(self.clock() - start)
        stats = LatencyStats.from_samples(samples)
        tps = throughput(self.tokens_per_call * self.iterations, sum(samples))
        return BenchmarkResult(stats, tps)


def throughput(units: float, seconds: float) -> float:
    if seconds <= 0:
        return 0.0 if units == 0 else math.inf
    return units / seconds


@dataclass
class BenchmarkResult:
    latency: LatencyStats
    tokens_per_second: float


@dataclass
class PerfMemReport:
    name: str
    latency_ms: dict[str, float]
    tokens_per_second: float
    memory: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, name: str, result: BenchmarkResult, memory: dict[str, float]) -> PerfMemReport:
        lat = result.latency
        latency_ms = {k: getattr(lat, k) * 1000 for k in ("mean", "p50", "p90", "p99")}
        report = cls(name, latency_ms, result.tokens_per_second, memory)
        if lat.coefficient_of_variation > 0.25:
            report.notes.append("high latency variance; results may be noisy")
        return report

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_markdown(self) -> str:
        rows = [f"### {self.name}", "", "| metric | value |", "|---|---|"]
        for key, value in self.latency_ms.items():
            rows.append(f"| latency {key} | {value:.3f} ms |")
        rows.append(f"| throughput | {self.tokens_per_second:.1f} tok/s |")
        for key, value in self.memory.items():
            rows.append(f"| memory {key} | {format_bytes(value)} |")
        rows.extend(f"\n> {note}" for note in self.notes)
        return "\n".join(rows)


def check_budget(report: PerfMemReport, budget: dict[str, float]) -> list[str]:
    """Compare a report to budget limits such as ``{"p90_ms": 5, "total_bytes": 1e9}``."""
    violations = []
    for key, limit in budget.items():
        if key.endswith("_ms"):
            actual = report.latency_ms[key[: -len("_ms")]]
            unit = "ms"
        elif key.endswith("_bytes"):
            actual = report.memory[key[: -len("_bytes")]]
            unit = "bytes"
        elif key == "min_tokens_per_second":
            if report.tokens_per_second < limit:
                violations.append(f"throughput {report.tokens_per_second:.1f} < {limit}")
            continue
        else:
            raise KeyError(f"unknown budget key {key!r}")
        if actual > limit:
            violations.append(f"{key}: {actual:.3f} {unit} exceeds {limit}")
    return violations


def compare_reports(baseline: PerfMemReport, candidate: PerfMemReport, tolerance: float = 0.10) -> dict[str, list[str]]:
    """Classify each latency/memory metric as regression, improvement or unchanged."""
    result: dict[str, list[str]] = {"regressions": [], "improvements": [], "unchanged": []}
    pairs = [(f"latency.{k}", v, candidate.latency_ms[k]) for k, v in baseline.latency_ms.items()]
    pairs += [(f"memory.{k}", v, candidate.memory[k]) for k, v in baseline.memory.items()]
    for name, old, new in pairs:
        if old == 0:
            bucket = "unchanged" if new == 0 else "regressions"
        elif (new - old) / old > tolerance:
            bucket = "regressions"
        elif (old - new) / old > tolerance:
            bucket = "improvements"
        else:
            bucket = "unchanged"
        result[bucket].append(name)
    return result


@dataclass(frozen=True)
class DeviceProfile:
    """Peak compute (FLOP/s) and memory bandwidth (bytes/s) of a target device."""

    name: str
    peak_flops: float
    bandwidth: float
    memory_bytes: float

    @property
    def ridge_point(self) -> float:
        """Arithmetic intensity (FLOP/byte) where the roofline bends."""
        return self.peak_flops / self.bandwidth


DEVICES = {
    "laptop-cpu": DeviceProfile("laptop-cpu", 2e11, 5e10, 16 * 1024**3),
    "phone-npu": DeviceProfile("phone-npu", 1.5e13, 6e10, 8 * 1024**3),
    "datacenter-gpu": DeviceProfile("datacenter-gpu", 3e14, 2e12, 80 * 1024**3),
}


def decode_flops_per_token(cfg: ModelMemoryConfig, context: int) -> float:
    """Approximate FLOPs to decode one token: 2 * params plus attention over the context."""
    return 2.0 * parameter_count(cfg) + 4.0 * cfg.n_layers * context * cfg.d_model


def roofline(cfg: ModelMemoryConfig, device: DeviceProfile, context: int = 1024, batch: int = 1) -> dict[str, Any]:
    """Estimate decode speed from the roofline model."""
    flops = decode_flops_per_token(cfg, context) * batch
    traffic = weight_bytes(cfg) + kv_cache_bytes(cfg, batch, context)
    intensity = flops / traffic
    bound = "compute" if intensity >= device.ridge_point else "memory"
    seconds = max(flops / device.peak_flops, traffic / device.bandwidth)
    fits = memory_breakdown(cfg, batch, context)["total"] <= device.memory_bytes
    return {
        "intensity": intensity,
        "bound": bound,
        "tokens_per_second": batch / seconds,
        "fits_in_memory": fits,
    }
