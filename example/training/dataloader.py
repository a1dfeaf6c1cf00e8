"""Minimal batching iterator over an indexable dataset."""

from __future__ import annotations

from training.utils import chunked, seeded_rng


class DataLoader:
    def __init__(
        self, dataset, batch_size: int = 8, shuffle: bool = False, seed: int | None = None, drop_last: bool = False
    ) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = seeded_rng(seed)

    def __iter__(self):
        order = list(range(len(self.dataset)))
        if self.shuffle:
            self._rng.shuffle(order)
        for indices in chunked(order, self.batch_size):
            if self.drop_last and len(indices) < self.batch_size:
                return
            yield [self.dataset[i] for i in indices]

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full if self.drop_last or not rest else full + 1
