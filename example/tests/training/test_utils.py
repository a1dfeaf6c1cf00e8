import pytest
from training.utils import argmax, chunked, clamp, flatten, mean, seeded_rng


def test_seeded_rng_is_reproducible():
    assert seeded_rng(5).random() == seeded_rng(5).random()
    assert seeded_rng(None).random() == seeded_rng(0).random()


def test_chunked():
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked([], 3)) == []
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def test_flatten_clamp_mean_argmax():
    assert flatten([[1], [], [2, 3]]) == [1, 2, 3]
    assert clamp(5, 0, 3) == 3 and clamp(-1, 0, 3) == 0
    with pytest.raises(ValueError):
        clamp(1, 2, 1)
    assert mean([1.0, 2.0]) == 1.5 and mean([]) == 0.0
    assert argmax([0.1, 0.9, 0.3]) == 1
    with pytest.raises(ValueError):
        argmax([])
