import random

import pytest
from conversion.export_onnx import run_model
from conversion.make_toy_block import make_toy_block
from conversion.onnx_surgery import (
    SurgeryError,
    eliminate_dead_nodes,
    fold_constants,
    fuse_matmul_add,
    op_histogram,
    optimize,
    remove_identity_nodes,
    rename_tensor,
    topological_sort,
)


def _graph(residual=False):
    return make_toy_block(dim=3, hidden=4, seed=2, residual=residual).to_graph()


def _out(graph, x=(0.3, -0.2, 0.9)):
    return run_model(graph, {graph["inputs"][0]["name"]: list(x)})["output"]


def test_rename_tensor_everywhere():
    graph = _graph()
    renamed = rename_tensor(graph, "input", "x")
    assert renamed["inputs"][0]["name"] == "x"
    assert renamed["nodes"][0]["inputs"] == ["x", "w1"]
    renamed = rename_tensor(renamed, "w1", "fc1.weight")
    assert "fc1.weight" in renamed["initializers"] and "w1" not in renamed["initializers"]
    renamed = rename_tensor(renamed, "output", "y")
    assert renamed["outputs"][0]["name"] == "y"
    assert graph["inputs"][0]["name"] == "input"  # original untouched


def test_remove_identity_feeding_output():
    graph = _graph(residual=False)
    cleaned = remove_identity_nodes(graph)
    assert "Identity" not in op_histogram(cleaned)
    assert cleaned["nodes"][-1]["outputs"] == ["output"]
    assert _out(cleaned) == pytest.approx(_out(graph))


def test_remove_internal_identity():
    graph = _graph(residual=True)
    graph["nodes"].insert(3, {"op": "Identity", "name": "id", "inputs": ["h_act"], "outputs": ["h_copy"]})
    graph["nodes"][4]["inputs"] = ["h_copy", "w2"]
    cleaned = remove_identity_nodes(graph)
    assert cleaned["nodes"][3]["inputs"] == ["h_act", "w2"]
    assert _out(cleaned) == pytest.approx(_out(graph))


def test_identity_from_graph_input_to_output_is_rejected():
    graph = {
        "inputs": [{"name": "x", "shape": [1]}],
        "outputs": [{"name": "y", "shape": [1]}],
        "initializers": {},
        "nodes": [{"op": "Identity", "name": "id", "inputs": ["x"], "outputs": ["y"]}],
    }
    with pytest.raises(SurgeryError, match="straight to output"):
        remove_identity_nodes(graph)


def test_dead_node_elimination_keeps_shared_inputs():
    graph = _graph(residual=True)
    graph["nodes"].append({"op": "Relu", "name": "unused", "inputs": ["h_pre"], "outputs": ["dead"]})
    graph["initializers"]["orphan"] = {"shape": [1], "data": [1.0]}
    live = eliminate_dead_nodes(graph)
    names = [n["name"] for n in live["nodes"]]
    assert "unused" not in names and len(names) == 6
    assert "orphan" not in live["initializers"]


def test_topological_sort_restores_order():
    graph = _graph(residual=True)
    shuffled = dict(graph, nodes=list(graph["nodes"]))
    random.Random(4).shuffle(shuffled["nodes"])
    ordered = topological_sort(shuffled)
    assert _out(ordered) == pytest.approx(_out(graph))


def test_topological_sort_detects_cycles():
    graph = {
        "inputs": [],
        "outputs": [],
        "initializers": {},
        "nodes": [
            {"op": "Relu", "name": "a", "inputs": ["y"], "outputs": ["x"]},
            {"op": "Relu", "name": "b", "inputs": ["x"], "outputs": ["y"]},
        ],
    }
    with pytest.raises(SurgeryError, match="cycle"):
        topological_sort(graph)


def test_fold_constants():
    graph = _graph(residual=True)
    graph["initializers"]["scale"] = {"shape": [4], "data": [2.0, 2.0, 2.0, 2.0]}
    graph["nodes"].insert(0, {"op": "Mul", "name": "pre", "inputs": ["b1", "scale"], "outputs": ["b1x2"]})
    graph["nodes"][2]["inputs"] = ["h_pre", "b1x2"]
    folded = fold_constants(graph)
    assert folded["initializers"]["b1x2"]["data"] == pytest.approx([2 * b for b in graph["initializers"]["b1"]["data"]])
    assert all(n["name"] != "pre" for n in folded["nodes"])
    assert _out(folded) == pytest.approx(_out(graph))


def test_fuse_matmul_add_into_gemm():
    graph = _graph(residual=True)
    fused = fuse_matmul_add(graph)
    assert op_histogram(fused) == {"Add": 1, "Gemm": 2, "Relu": 1}
    assert _out(fused) == pytest.approx(_out(graph))


def test_fuse_skips_shared_or_dynamic_operands():
    graph = _graph(residual=True)
    # h_pre gets a second consumer, so fc1 cannot be fused.
    graph["nodes"].append({"op": "Relu", "name": "tap", "inputs": ["h_pre"], "outputs": ["tapped"]})
    fused = fuse_matmul_add(graph)
    hist = op_histogram(fused)
    assert hist["Gemm"] == 1 and hist["MatMul"] == 1
    # Residual Add: lhs is an Add (not a MatMul); add a MatMul + dynamic Add too.
    graph = _graph(residual=True)
    graph["nodes"].append({"op": "MatMul", "name": "mm", "inputs": ["h_act", "w2"], "outputs": ["mm_out"]})
    graph["nodes"].append({"op": "Add", "name": "dyn", "inputs": ["mm_out", "o_pre"], "outputs": ["dyn_out"]})
    hist = op_histogram(fuse_matmul_add(graph))
    # fc1 fuses; fc2's output now has two consumers and mm's Add has a dynamic rhs.
    assert hist["Gemm"] == 1 and hist["MatMul"] == 2


def test_optimize_pipeline():
    graph = _graph(residual=False)
    optimized = optimize(graph)
    assert op_histogram(optimized) == {"Gemm": 2, "Relu": 1}
    assert _out(optimized) == pytest.approx(_out(graph))


def test_topological_sort_with_diamond():
    graph = {
        "inputs": [{"name": "x", "shape": [2]}],
        "outputs": [{"name": "z", "shape": [2]}],
        "initializers": {},
        "nodes": [
            {"op": "Add", "name": "join", "inputs": ["a", "b"], "outputs": ["z"]},
            {"op": "Relu", "name": "left", "inputs": ["x"], "outputs": ["a"]},
            {"op": "Gelu", "name": "right", "inputs": ["x"], "outputs": ["b"]},
        ],
    }
    ordered = topological_sort(graph)
    assert [n["name"] for n in ordered["nodes"]] == ["left", "right", "join"]
    assert len(eliminate_dead_nodes(graph)["nodes"]) == 3
