import pytest
from conversion.make_toy_block import make_toy_block
from conversion.shape_validator import (
    ShapeError,
    assert_valid_shapes,
    broadcast_shapes,
    infer_shapes,
    matmul_shape,
)


@pytest.mark.parametrize(
    "a,b,expected",
    [((3,), (3,), (3,)), ((2, 3), (3,), (2, 3)), ((1,), (4,), (4,)), ((4, 1), (1, 5), (4, 5))],
)
def test_broadcast(a, b, expected):
    assert broadcast_shapes(a, b) == expected


def test_broadcast_failure():
    with pytest.raises(ShapeError, match="cannot broadcast"):
        broadcast_shapes((3,), (4,))


def test_matmul_shape():
    assert matmul_shape((4,), (4, 8)) == (8,)
    assert matmul_shape((2, 4), (4, 8)) == (2, 8)
    with pytest.raises(ShapeError, match="2-D"):
        matmul_shape((4,), (4,))
    with pytest.raises(ShapeError, match="inner dimensions"):
        matmul_shape((3,), (4, 8))


def test_toy_block_graph_is_valid():
    shapes = assert_valid_shapes(make_toy_block(dim=3, hidden=7, residual=False).to_graph())
    assert shapes["h_act"] == (7,)
    assert shapes["output"] == (3,)


def test_errors_are_collected():
    graph = make_toy_block().to_graph()
    graph["nodes"].append({"op": "Add", "name": "dangling", "inputs": ["nope", "b1"], "outputs": ["z"]})
    graph["nodes"].append({"op": "Conv", "name": "conv", "inputs": ["input"], "outputs": ["c"]})
    graph["nodes"].append({"op": "Mul", "name": "badmul", "inputs": ["input", "b1"], "outputs": ["m"]})
    graph["outputs"].append({"name": "never", "shape": [1]})
    graph["outputs"][0]["shape"] = [5]
    report = infer_shapes(graph)
    assert not report.ok
    joined = " | ".join(report.errors)
    assert "dangling: unknown inputs ['nope']" in joined
    assert "no shape rule for Conv" in joined
    assert "badmul: cannot broadcast" in joined
    assert "declared (5,), inferred (4,)" in joined
    with pytest.raises(ShapeError):
        assert_valid_shapes(graph)


def test_custom_ops_with_declared_shapes():
    graph = make_toy_block(dim=3).to_graph()
    graph["nodes"].append(
        {"op": "TopK", "name": "topk", "inputs": ["output"], "outputs": ["best"], "attrs": {"output_shape": [1]}}
    )
    assert assert_valid_shapes(graph)["best"] == (1,)
