import math

import pytest
from conversion.export_onnx import (
    apply_op,
    export_block,
    export_graph,
    gelu,
    layer_norm,
    load_model,
    run_model,
    save_model,
    softmax,
)
from conversion.make_toy_block import make_toy_block
from conversion.validators import ValidationError


def test_export_block_roundtrip(tmp_path):
    block = make_toy_block(seed=3)
    model = export_block(block, opset=13)
    assert model["ir_version"] == 8
    assert model["doc_string"] == "toy_block dim=4"
    path = save_model(model, tmp_path / "m.json")
    loaded = load_model(path)
    x = [0.1, 0.2, -0.3, 0.4]
    assert run_model(loaded, {"input": x})["output"] == pytest.approx(block.forward(x))


def test_old_opset_ir_version_and_graph_copy():
    graph = make_toy_block().to_graph()
    model = export_graph(graph, opset=11)
    assert model["ir_version"] == 7
    model["graph"]["nodes"].clear()
    assert graph["nodes"]


def test_unsupported_ops_and_bad_names():
    graph = make_toy_block().to_graph()
    graph["nodes"][0]["op"] = "Conv"
    with pytest.raises(ValidationError, match="unsupported ops: Conv"):
        export_graph(graph)
    graph = make_toy_block().to_graph()
    graph["nodes"][0]["outputs"] = ["bad name"]
    with pytest.raises(ValidationError):
        export_graph(graph)


def test_load_rejects_non_models(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ValidationError, match="not an exported model"):
        load_model(path)


def test_run_model_missing_input_and_bare_graph():
    graph = make_toy_block().to_graph()
    with pytest.raises(ValidationError, match="missing input"):
        run_model(graph, {})
    assert len(run_model(graph, {"input": [0.0] * 4})["output"]) == 4


@pytest.mark.parametrize(
    "op,args,expected",
    [
        ("Add", [[1.0, 2.0], [3.0, 4.0]], [4.0, 6.0]),
        ("Mul", [[1.0, 2.0], [3.0, 4.0]], [3.0, 8.0]),
        ("Relu", [[-1.0, 2.0]], [0.0, 2.0]),
        ("Identity", [[5.0]], [5.0]),
        ("MatMul", [[1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]]], [1.0, 2.0]),
        ("Gemm", [[1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0]], [2.0, 3.0]),
        ("Gemm", [[1.0, 2.0], [[1.0], [1.0]]], [3.0]),
    ],
)
def test_apply_op(op, args, expected):
    assert apply_op(op, args) == pytest.approx(expected)


def test_nonlinear_ops():
    assert apply_op("Gelu", [[0.0]]) == [0.0]
    assert gelu(3.0) == pytest.approx(2.9964, abs=1e-3)
    assert sum(apply_op("Softmax", [[1.0, 2.0, 3.0]])) == pytest.approx(1.0)
    assert softmax([1000.0, 1000.0]) == [0.5, 0.5]
    normed = apply_op("LayerNorm", [[1.0, 2.0, 3.0]], {"epsilon": 0.0})
    assert sum(normed) == pytest.approx(0.0)
    assert layer_norm([2.0, 2.0]) == [0.0, 0.0]
    assert math.isclose(sum(v * v for v in normed) / 3, 1.0)
    with pytest.raises(ValidationError, match="cannot execute"):
        apply_op("Conv", [[1.0]])
