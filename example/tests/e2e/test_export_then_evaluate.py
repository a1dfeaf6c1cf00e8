"""Export a toy block through every format, then evaluate the converted model."""

import random

import pytest
from conversion.convert_coreml import ConversionConfig, convert_graph, execute_spec, spec_summary
from conversion.export_onnx import export_block, load_model, run_model, save_model
from conversion.export_pytorch import compare_state_dicts, export_checkpoint, load_checkpoint
from conversion.judge_export import judge
from conversion.make_toy_block import make_toy_block
from conversion.onnx_surgery import op_histogram, optimize
from conversion.shape_validator import assert_valid_shapes
from evaluation.classification_eval import classification_report, cohen_kappa
from evaluation.perf_mem_eval import Benchmark, PerfMemReport, check_budget
from training.utils import argmax


@pytest.fixture(scope="module")
def block():
    return make_toy_block(dim=6, hidden=12, seed=11)


@pytest.fixture(scope="module")
def inputs():
    rng = random.Random(0)
    return [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(40)]


def test_onnx_roundtrip_and_surgery(tmp_path, block, inputs):
    model = load_model(save_model(export_block(block), tmp_path / "block.onnx.json"))
    optimized = optimize(model["graph"])
    assert op_histogram(optimized)["Gemm"] == 2
    assert_valid_shapes(optimized)
    verdict = judge(block.forward, lambda x: run_model(optimized, {"input": x})["output"], inputs)
    assert verdict.passed, verdict.summary()


@pytest.mark.parametrize("precision,atol", [("float32", 1e-9), ("float16", 5e-3)])
def test_coreml_conversion_is_faithful(block, inputs, precision, atol):
    spec, warnings = convert_graph(optimize(block.to_graph()), ConversionConfig(precision=precision))
    assert warnings == []
    candidate = lambda x: execute_spec(spec, {"input": x})["output"]  # noqa: E731
    verdict = judge(block.forward, candidate, inputs, atol=atol, rtol=0.0)
    assert verdict.passed, verdict.summary()
    # The converted model must agree with the original as a "classifier" too.
    ref = [argmax(block.forward(x)) for x in inputs]
    got = [argmax(candidate(x)) for x in inputs]
    report = classification_report(ref, got)
    assert report.accuracy >= 0.95 and cohen_kappa(ref, got) >= 0.9
    assert spec_summary(spec)["weight_bytes"] == spec_summary(spec)["weights"] * (2 if precision == "float16" else 4)


def test_checkpoint_and_benchmark(tmp_path, block, inputs):
    path = export_checkpoint(block.parameters(), tmp_path / "block.ckpt.json", dtype="int8")
    restored, _ = load_checkpoint(path)
    assert compare_state_dicts(block.parameters(), restored, atol=0.01) == []
    spec, _ = convert_graph(block.to_graph())
    result = Benchmark(
        lambda: execute_spec(spec, {"input": inputs[0]}), warmup=1, iterations=5, tokens_per_call=1
    ).run()
    report = PerfMemReport.build("toy-block", result, {"weights": float(spec_summary(spec)["weight_bytes"])})
    assert check_budget(report, {"p99_ms": 1000, "weights_bytes": 10_000}) == []
