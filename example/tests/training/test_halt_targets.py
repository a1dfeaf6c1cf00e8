import pytest
from training.halt_targets import batch_halt_targets, expected_depth, halt_target, halting_layer


def test_halting_layer():
    losses = [2.0, 1.2, 1.01, 1.0]
    assert halting_layer(losses) == 2
    assert halting_layer(losses, tolerance=0.25) == 1
    assert halting_layer(losses, tolerance=0.0) == 3
    assert halting_layer(losses, tolerance=1.0, min_layer=1) == 1
    assert halting_layer([-0.5, -1.0]) == 1


def test_halting_layer_validation():
    with pytest.raises(ValueError):
        halting_layer([])
    with pytest.raises(ValueError):
        halting_layer([1.0], min_layer=1)


def test_targets():
    target = halt_target([3.0, 1.0, 1.0])
    assert target.layer == 1
    assert target.one_hot == (0.0, 1.0, 0.0)
    assert target.cumulative == (0.0, 1.0, 1.0)
    assert [t.layer for t in batch_halt_targets([[1.0, 1.0], [5.0, 1.0]])] == [0, 1]


def test_expected_depth():
    assert expected_depth([1.0, 0.0, 0.0]) == 1.0
    assert expected_depth([0.0, 0.0, 0.0]) == 3.0
    assert expected_depth([0.5, 0.5]) == pytest.approx(0.5 * 1 + 0.5 * 2)
    assert expected_depth([]) == 0.0
