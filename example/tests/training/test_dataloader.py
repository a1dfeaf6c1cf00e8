from training.dataloader import DataLoader


def test_sequential_batches():
    loader = DataLoader(list(range(7)), batch_size=3)
    assert list(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3


def test_drop_last_and_exact_division():
    loader = DataLoader(list(range(7)), batch_size=3, drop_last=True)
    assert list(loader) == [[0, 1, 2], [3, 4, 5]]
    assert len(loader) == 2
    assert len(DataLoader(list(range(6)), batch_size=3)) == 2


def test_shuffle_is_seeded_and_complete():
    a = list(DataLoader(list(range(10)), batch_size=4, shuffle=True, seed=1))
    b = list(DataLoader(list(range(10)), batch_size=4, shuffle=True, seed=1))
    assert a == b
    assert sorted(x for batch in a for x in batch) == list(range(10))
    assert a != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
