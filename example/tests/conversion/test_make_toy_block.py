import pytest
from conversion.make_toy_block import add, make_toy_block, relu, vecmat
from conversion.validators import ValidationError


def test_vecmat_skips_zero_entries_and_multiplies():
    assert vecmat([1.0, 0.0, 2.0], [[1.0, 2.0], [5.0, 5.0], [3.0, 4.0]]) == [7.0, 10.0]


def test_vecmat_empty_matrix_and_mismatch():
    assert vecmat([], []) == []
    with pytest.raises(ValueError, match="cannot multiply"):
        vecmat([1.0], [[1.0], [2.0]])


def test_relu_and_add():
    assert relu([-1.0, 0.0, 2.5]) == [0.0, 0.0, 2.5]
    assert add([1.0, 2.0], [3.0, 4.0]) == [4.0, 6.0]
    with pytest.raises(ValueError, match="length mismatch"):
        add([1.0], [1.0, 2.0])


def test_block_is_deterministic_and_sized():
    a = make_toy_block(dim=3, hidden=5, seed=7)
    b = make_toy_block(dim=3, hidden=5, seed=7)
    assert a.w1 == b.w1 and a.b2 == b.b2
    assert a.num_parameters() == 2 * 3 * 5 + 5 + 3
    assert set(a.parameters()) == {"w1", "b1", "w2", "b2"}
    assert a.metadata["scale"] == pytest.approx(3**-0.5)


def test_explicit_scale_and_validation():
    block = make_toy_block(dim=2, hidden=2, scale=0.01)
    assert all(abs(w) <= 0.01 for row in block.w1 for w in row)
    with pytest.raises(ValidationError):
        make_toy_block(dim=0)


def test_residual_changes_output():
    with_res = make_toy_block(dim=4, hidden=6, seed=1, residual=True)
    without = make_toy_block(dim=4, hidden=6, seed=1, residual=False)
    x = [0.5, -0.25, 1.0, 0.0]
    diff = [a - b for a, b in zip(with_res.forward(x), without.forward(x), strict=True)]
    assert diff == pytest.approx(x)


def test_forward_batch_and_bad_input():
    block = make_toy_block()
    outs = block.forward_batch([[0.0] * 4, [1.0] * 4])
    assert len(outs) == 2 and all(len(o) == 4 for o in outs)
    with pytest.raises(ValueError, match="expected input of length 4"):
        block.forward([1.0])


def test_graph_description():
    graph = make_toy_block(residual=True).to_graph()
    assert [n["op"] for n in graph["nodes"]][-1] == "Add"
    graph = make_toy_block(residual=False).to_graph()
    assert graph["nodes"][-1]["op"] == "Identity"
    assert graph["initializers"]["w1"]["shape"] == [4, 8]
