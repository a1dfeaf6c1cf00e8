import copy
import math

import pytest
from conversion import convert_coreml as cc
from conversion.convert_coreml import (
    ConversionConfig,
    ConversionError,
    CoreMLConverter,
    cast_weights,
    compute_unit_report,
    convert_block,
    convert_graph,
    execute_spec,
    fp16_overflow_layers,
    load_spec,
    register_handler,
    round_fp16,
    save_spec,
    spec_summary,
    supported_ops,
    validate_spec,
)
from conversion.make_toy_block import make_toy_block
from conversion.onnx_surgery import fuse_matmul_add

X = [0.3, -0.7, 0.2, 1.1]


def rich_graph():
    """MatMul->Add(bias)->Gelu->Mul(const)->LayerNorm->Mul(dyn)->Add(dyn)->Softmax->Identity."""
    return {
        "name": "rich",
        "inputs": [{"name": "x", "shape": [4]}],
        "outputs": [{"name": "probs", "shape": [4]}],
        "initializers": {
            "w": {"shape": [4, 4], "data": [[0.1 * (i + j) - 0.3 for j in range(4)] for i in range(4)]},
            "b": {"shape": [4], "data": [0.01, -0.02, 0.03, 0.0]},
            "s": {"shape": [4], "data": [2.0, 1.0, 0.5, 1.5]},
        },
        "nodes": [
            {"op": "MatMul", "name": "mm", "inputs": ["x", "w"], "outputs": ["h"]},
            {"op": "Add", "name": "bias", "inputs": ["h", "b"], "outputs": ["hb"]},
            {"op": "Gelu", "name": "gelu", "inputs": ["hb"], "outputs": ["g"]},
            {"op": "Mul", "name": "scale", "inputs": ["g", "s"], "outputs": ["gs"]},
            {"op": "LayerNorm", "name": "ln", "inputs": ["gs"], "outputs": ["n"], "attrs": {"epsilon": 1e-6}},
            {"op": "Mul", "name": "gate", "inputs": ["n", "x"], "outputs": ["m"]},
            {"op": "Add", "name": "res", "inputs": ["m", "x"], "outputs": ["r"]},
            {"op": "Softmax", "name": "sm", "inputs": ["r"], "outputs": ["p"]},
            {"op": "Identity", "name": "out", "inputs": ["p"], "outputs": ["probs"]},
        ],
    }


def reference(x):
    from conversion.export_onnx import run_model

    return run_model(rich_graph(), {"x": x})["probs"]


def test_config_validation():
    assert ConversionConfig().spec_version == 7
    assert ConversionConfig(minimum_deployment_target="iOS17").spec_version == 8
    for kwargs, msg in [
        ({"minimum_deployment_target": "iOS9"}, "deployment target"),
        ({"compute_units": "TPU"}, "compute units"),
        ({"precision": "int8"}, "precision"),
        ({"precision": "float16", "compute_units": "CPU_ONLY"}, "GPU or Neural Engine"),
    ]:
        with pytest.raises(ConversionError, match=msg):
            ConversionConfig(**kwargs)


def test_fp16_helpers():
    assert math.isnan(round_fp16(float("nan")))
    assert round_fp16(1e9) == 65504.0
    assert round_fp16(0.1) != 0.1
    data = [[0.1, 0.2], [0.3, 1e6]]
    assert cast_weights(data, "float32") == data and cast_weights(data, "float32") is not data
    assert cast_weights(data, "float16")[1][1] == 65504.0


def test_handler_registry():
    assert {"MatMul", "Gemm", "Add", "Softmax"} <= set(supported_ops())
    with pytest.raises(ConversionError, match="duplicate handler"):
        register_handler("Relu")(lambda conv, node: [])

    @register_handler("Swish", "HardSwish")
    def _swish(conv, node):
        return []

    try:
        assert "Swish" in supported_ops()
    finally:
        del cc._HANDLERS["Swish"], cc._HANDLERS["HardSwish"]


def test_rich_graph_matches_reference():
    spec, warnings = convert_graph(rich_graph())
    assert warnings == []
    kinds = [layer["type"] for layer in spec["neuralNetwork"]["layers"]]
    assert kinds == ["innerProduct", "activation", "scale", "layerNormalization", "multiply", "add", "softmax"]
    assert spec["neuralNetwork"]["layers"][0]["params"]["hasBias"]
    assert spec["description"]["outputs"][0]["source"] == "p"
    assert validate_spec(spec) == []
    assert execute_spec(spec, {"x": X})["probs"] == pytest.approx(reference(X), rel=1e-6)


def test_gelu_exact_on_ios15_and_fp16_layernorm_warning():
    config = ConversionConfig(minimum_deployment_target="iOS15", precision="float16", compute_units="ALL")
    spec, warnings = convert_graph(rich_graph(), config)
    act = spec["neuralNetwork"]["layers"][1]
    assert act["params"] == {"mode": "GELU", "approximation": "EXACT"}
    assert any("underflows" in w for w in warnings)
    assert execute_spec(spec, {"x": X})["probs"] == pytest.approx(reference(X), abs=2e-3)


def test_fp16_layernorm_with_large_eps_has_no_warning():
    graph = rich_graph()
    graph["nodes"][4]["attrs"]["epsilon"] = 1e-3
    _, warnings = convert_graph(graph, ConversionConfig(precision="float16"))
    assert warnings == []


def test_no_fusion_when_disabled_and_gemm_inputs():
    spec, _ = convert_graph(rich_graph(), ConversionConfig(fuse_bias=False))
    kinds = [layer["type"] for layer in spec["neuralNetwork"]["layers"]]
    assert kinds[:2] == ["innerProduct", "bias"]
    assert execute_spec(spec, {"x": X})["probs"] == pytest.approx(reference(X))

    block = make_toy_block(residual=True)
    gemm_graph = fuse_matmul_add(block.to_graph())
    spec, _ = convert_graph(gemm_graph)
    assert all(layer["params"].get("hasBias", True) for layer in spec["neuralNetwork"]["layers"])
    assert execute_spec(spec, {"input": X})["output"] == pytest.approx(block.forward(X))

    gemm_graph["nodes"][0]["inputs"] = gemm_graph["nodes"][0]["inputs"][:2]
    spec, _ = convert_graph(gemm_graph)
    assert spec["neuralNetwork"]["layers"][0]["params"]["hasBias"] is False


def test_toy_block_conversion_without_residual_uses_alias():
    block = make_toy_block(residual=False, seed=5)
    spec = convert_block(block)
    assert spec["description"]["outputs"][0] == {"name": "output", "source": "o_biased", "shape": [4]}
    assert execute_spec(spec, {"input": X})["output"] == pytest.approx(block.forward(X))
    assert spec["description"]["metadata"]["source"] == "toy_block"


def test_bias_not_fused_when_output_is_shared_or_dynamic():
    graph = rich_graph()
    graph["nodes"].insert(1, {"op": "Relu", "name": "tap", "inputs": ["h"], "outputs": ["t"]})
    spec, _ = convert_graph(graph)
    assert spec["neuralNetwork"]["layers"][0]["params"]["hasBias"] is False

    graph = rich_graph()
    graph["nodes"][1]["op"] = "Mul"  # single consumer, but not an Add
    spec, _ = convert_graph(graph)
    assert spec["neuralNetwork"]["layers"][0]["params"]["hasBias"] is False

    graph = rich_graph()
    graph["nodes"][1]["inputs"] = ["h", "x"]  # Add with a dynamic operand
    spec, _ = convert_graph(graph)
    assert spec["neuralNetwork"]["layers"][0]["params"]["hasBias"] is False


def test_conversion_errors():
    graph = rich_graph()
    graph["nodes"][0]["inputs"] = ["x", "x"]
    with pytest.raises(ConversionError, match="shape check failed"):
        convert_graph(graph)

    graph = rich_graph()
    graph["initializers"]["x2"] = {"shape": [4], "data": [1.0] * 4}
    graph["inputs"].append({"name": "dyn_w", "shape": [4, 4]})
    graph["nodes"][0]["inputs"] = ["x", "dyn_w"]
    with pytest.raises(ConversionError, match="constant initializer"):
        convert_graph(graph)

    graph = rich_graph()
    graph["nodes"].insert(0, {"op": "Add", "name": "consts", "inputs": ["b", "s"], "outputs": ["bs"]})
    with pytest.raises(ConversionError, match="both operands constant"):
        convert_graph(graph)

    graph = rich_graph()
    graph["nodes"][7]["attrs"] = {"axis": 0}
    with pytest.raises(ConversionError, match="last axis"):
        convert_graph(graph)


def test_unknown_ops_strict_and_lenient():
    graph = rich_graph()
    graph["nodes"].append(
        {"op": "TopK", "name": "topk", "inputs": ["probs"], "outputs": ["best"], "attrs": {"output_shape": [1]}}
    )
    with pytest.raises(ConversionError, match="no converter for op 'TopK'"):
        convert_graph(graph)
    spec, warnings = convert_graph(graph, ConversionConfig(strict=False, extra_metadata={"team": "ml"}))
    assert warnings == ["topk: TopK emitted as custom layer"]
    assert spec["neuralNetwork"]["layers"][-1]["type"] == "custom"
    assert spec["neuralNetwork"]["layers"][-1]["input"] == ["p"]
    assert spec["description"]["metadata"]["team"] == "ml"
    with pytest.raises(ConversionError, match="cannot execute layer type 'custom'"):
        execute_spec(spec, {"x": X})


def test_alias_resolution():
    conv = CoreMLConverter()
    conv.aliases = {"a": "b", "b": "c"}
    assert conv.resolve("a") == "c" and conv.resolve("z") == "z"
    conv.aliases = {"a": "b", "b": "a"}
    with pytest.raises(ConversionError, match="alias cycle"):
        conv.resolve("a")


def test_execute_spec_checks_feeds():
    spec = convert_block(make_toy_block())
    with pytest.raises(ConversionError, match="missing feed"):
        execute_spec(spec, {})
    with pytest.raises(ConversionError, match="expected 4"):
        execute_spec(spec, {"input": [1.0]})


def test_run_layer_relu_and_plain_gelu():
    layer = {"type": "activation", "params": {"mode": "ReLU"}}
    assert cc._run_layer(layer, [[-1.0, 2.0]]) == [0.0, 2.0]
    layer = {"type": "activation", "params": {"mode": "GELU", "approximation": "TANH_APPROXIMATION"}}
    assert cc._run_layer(layer, [[0.0]]) == [0.0]


def test_validate_spec_problems():
    spec = convert_block(make_toy_block())
    broken = copy.deepcopy(spec)
    layers = broken["neuralNetwork"]["layers"]
    layers[0]["type"] = "conv"
    layers[1]["input"] = ["ghost"]
    layers[2]["output"] = ["input"]
    broken["description"]["outputs"][0]["source"] = "nowhere"
    problems = validate_spec(broken)
    assert any("unknown layer type conv" in p for p in problems)
    assert any("'ghost' is not produced" in p for p in problems)
    assert any("'input' produced twice" in p for p in problems)
    assert any("never produced" in p for p in problems)


def test_summary_and_persistence(tmp_path):
    spec = convert_block(make_toy_block(dim=4, hidden=8, residual=False), ConversionConfig(fuse_bias=False))
    summary = spec_summary(spec)
    assert summary["weights"] == 2 * 4 * 8
    assert summary["weight_bytes"] == summary["weights"] * 4
    assert summary["layer_types"]["innerProduct"] == 2

    spec16, _ = convert_graph(make_toy_block().to_graph(), ConversionConfig(precision="float16"))
    summary16 = spec_summary(spec16)
    assert summary16["weights"] == 4 * 8 * 2 + 8 + 4
    assert summary16["weight_bytes"] == summary16["weights"] * 2

    path = save_spec(spec, tmp_path / "block")
    assert path.name == "block.mlmodel.json"
    assert save_spec(spec, tmp_path / "b.mlmodel.json").name == "b.mlmodel.json"
    assert load_spec(path) == spec
    spec["neuralNetwork"]["layers"][0]["input"] = ["ghost"]
    bad = save_spec(spec, tmp_path / "bad")
    with pytest.raises(ConversionError, match="invalid spec"):
        load_spec(bad)


def test_compute_unit_report():
    spec, _ = convert_graph(rich_graph(), ConversionConfig(compute_units="CPU_AND_NE"))
    report = compute_unit_report(spec)
    assert report["fallback"] == ["ln"]
    assert report["native_fraction"] == pytest.approx(1 - 1 / 7)
    spec, _ = convert_graph(rich_graph(), ConversionConfig(compute_units="CPU_AND_GPU"))
    assert compute_unit_report(spec)["fallback"] == []
    assert compute_unit_report(convert_block(make_toy_block()))["native_fraction"] == 1.0
    empty = {"computeUnits": "CPU_AND_GPU", "neuralNetwork": {"layers": []}}
    assert compute_unit_report(empty)["native_fraction"] == 1.0


def test_fp16_overflow_detection():
    block = make_toy_block()
    block.w2[0][0] = 1e5
    spec = convert_block(block)
    assert fp16_overflow_layers(spec) == ["fc2"]
    assert fp16_overflow_layers(convert_block(make_toy_block())) == []
