import itertools
import math

import pytest
from evaluation.perf_mem_eval import (
    Benchmark,
    LatencyStats,
    ModelMemoryConfig,
    PerfMemReport,
    activation_bytes,
    check_budget,
    format_bytes,
    kv_cache_bytes,
    memory_breakdown,
    parameter_count,
    percentile,
    throughput,
    weight_bytes,
)

CFG = ModelMemoryConfig(n_layers=2, d_model=8, n_heads=4, n_kv_heads=2, vocab_size=10, d_ff=16)


def fake_clock(step=0.001):
    counter = itertools.count()
    return lambda: next(counter) * step


@pytest.mark.parametrize(
    "n,expected",
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * 1024**3, "5.0 GiB"), (2 * 1024**5, "2048.0 TiB")],
)
def test_format_bytes(n, expected):
    assert format_bytes(n) == expected


def test_format_bytes_negative():
    with pytest.raises(ValueError):
        format_bytes(-1)


def test_percentile():
    data = [4.0, 1.0, 3.0, 2.0]
    assert percentile(data, 0) == 1.0
    assert percentile(data, 100) == 4.0
    assert percentile(data, 50) == pytest.approx(2.5)
    assert percentile([7.0], 90) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(data, 101)


def test_latency_stats():
    stats = LatencyStats.from_samples([1.0, 2.0, 3.0, 4.0])
    assert stats.mean == 2.5 and stats.minimum == 1.0 and stats.maximum == 4.0
    assert stats.std == pytest.approx(math.sqrt(5 / 3))
    single = LatencyStats.from_samples([2.0])
    assert single.std == 0.0 and single.coefficient_of_variation == 0.0
    assert LatencyStats.from_samples([0.0, 0.0]).coefficient_of_variation == 0.0
    with pytest.raises(ValueError):
        LatencyStats.from_samples([])


def test_memory_config_validation():
    assert CFG.head_dim == 2
    with pytest.raises(ValueError, match="dtype"):
        ModelMemoryConfig(1, 8, 4, 2, 10, 16, dtype="fp8")
    with pytest.raises(ValueError, match="n_heads"):
        ModelMemoryConfig(1, 9, 4, 2, 10, 16)
    with pytest.raises(ValueError, match="n_kv_heads"):
        ModelMemoryConfig(1, 8, 4, 3, 10, 16)


def test_parameter_and_memory_estimates():
    # attn: 8*8*2 + 8*4*2 = 192; mlp: 3*8*16 = 384; norms 16 -> 592 per layer
    assert parameter_count(CFG) == 2 * 592 + 80 + 8
    untied = ModelMemoryConfig(2, 8, 4, 2, 10, 16, tie_embeddings=False)
    assert parameter_count(untied) == parameter_count(CFG) + 80
    assert weight_bytes(CFG) == parameter_count(CFG) * 2
    assert kv_cache_bytes(CFG, batch=1, seq_len=10) == 2 * 2 * 10 * 2 * 2 * 2
    assert kv_cache_bytes(CFG, 1, 10, kv_dtype="int8") == kv_cache_bytes(CFG, 1, 10) / 2
    # short sequences are MLP-dominated, long ones attention-dominated
    assert activation_bytes(CFG, 1, 4) == (4 * 8 * 2 + 4 * 16 * 2) * 2
    assert activation_bytes(CFG, 1, 64) == (64 * 8 * 2 + 4 * 64 * 64) * 2
    breakdown = memory_breakdown(CFG, batch=2, seq_len=16)
    assert breakdown["total"] == pytest.approx(sum(v for k, v in breakdown.items() if k != "total"))


def test_benchmark_with_fake_clock():
    calls = []
    result = Benchmark(lambda: calls.append(1), warmup=2, iterations=5, clock=fake_clock(), tokens_per_call=10).run()
    assert len(calls) == 7
    assert result.latency.count == 5 and result.latency.mean == pytest.approx(0.001)
    assert result.tokens_per_second == pytest.approx(10000)
    with pytest.raises(ValueError):
        Benchmark(lambda: None, iterations=0).run()


def test_throughput_edge_cases():
    assert throughput(0, 0) == 0.0
    assert throughput(5, 0) == math.inf
    assert throughput(10, 2) == 5.0


def _report(samples, memory=None, tps=100.0):
    from evaluation.perf_mem_eval import BenchmarkResult

    return PerfMemReport.build(
        "run", BenchmarkResult(LatencyStats.from_samples(samples), tps), memory or {"total": 2048.0}
    )


def test_report_rendering_and_noise_note():
    quiet = _report([0.010, 0.010, 0.011])
    assert quiet.notes == []
    noisy = _report([0.001, 0.010, 0.020])
    assert noisy.notes and "variance" in noisy.notes[0]
    text = noisy.to_markdown()
    assert "| memory total | 2.0 KiB |" in text and "> high latency" in text
    assert quiet.to_dict()["latency_ms"]["p50"] == pytest.approx(10.0)


def test_check_budget():
    report = _report([0.010, 0.012, 0.020], memory={"total": 5e9}, tps=50.0)
    assert check_budget(report, {"p50_ms": 100, "total_bytes": 1e10, "min_tokens_per_second": 10}) == []
    violations = check_budget(report, {"p90_ms": 5, "total_bytes": 1e9, "min_tokens_per_second": 100})
    assert len(violations) == 3
    with pytest.raises(KeyError):
        check_budget(report, {"gpu_util": 1})
