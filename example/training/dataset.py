"""Knowledge-distillation datasets: tokenisation, JSONL loading, batching.

Examples are ``{"prompt": ..., "response": ...}`` records.  The dataset
turns them into ``input_ids`` with ``labels`` where prompt positions are
masked with :data:`IGNORE_INDEX` so only the response is learned.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.utils import seeded_rng

IGNORE_INDEX = -100
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


class DatasetError(ValueError):
    pass


def pre_tokenize(text: str, lowercase: bool = True) -> list[str]:
    return _TOKEN_RE.findall(text.lower() if lowercase else text)


class Tokenizer:
    """Word-level tokenizer with a frequency-capped vocabulary."""

    def __init__(self, vocab: Sequence[str], lowercase: bool = True) -> None:
        if list(vocab[: len(SPECIAL_TOKENS)]) != list(SPECIAL_TOKENS):
            raise DatasetError("vocab must start with the special tokens")
        if len(set(vocab)) != len(vocab):
            raise DatasetError("vocab contains duplicates")
        self.itos = list(vocab)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.lowercase = lowercase

    @classmethod
    def train(cls, texts: Iterable[str], max_size: int = 1000, min_freq: int = 1, lowercase: bool = True) -> Tokenizer:
        counts = Counter(tok for text in texts for tok in pre_tokenize(text, lowercase))
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        budget = max(0, max_size - len(SPECIAL_TOKENS))
        return cls(list(SPECIAL_TOKENS) + ranked[:budget], lowercase)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        ids = [self.stoi.get(tok, self.stoi[UNK]) for tok in pre_tokenize(text, self.lowercase)]
        if add_bos:
            ids.insert(0, self.stoi[BOS])
        if add_eos:
            ids.append(self.stoi[EOS])
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        out = []
        for i in ids:
            if i < 0 or i >= len(self.itos):
                raise DatasetError(f"token id {i} out of range")
            tok = self.itos[i]
            if skip_special and tok in SPECIAL_TOKENS:
                continue
            out.append(tok)
        return " ".join(out)

    def unk_rate(self, text: str) -> float:
        ids = self.encode(text)
        return ids.count(self.stoi[UNK]) / len(ids) if ids else 0.0


def read_jsonl(lines: Iterable[str], strict: bool = True) -> tuple[list[dict], list[str]]:
    """Parse JSONL lines; with ``strict=False`` bad lines are reported, not raised."""
    records, problems = [], []
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            message = f"line {lineno}: {exc.msg}"
            if strict:
                raise DatasetError(message) from exc
            problems.append(message)
            continue
        if not isinstance(record, dict) or "prompt" not in record or "response" not in record:
            message = f"line {lineno}: record needs 'prompt' and 'response'"
            if strict:
                raise DatasetError(message)
            problems.append(message)
            continue
        records.append(record)
    return records, problems


def load_jsonl(path: str | Path, strict: bool = True) -> tuple[list[dict], list[str]]:
    with Path(path).open(encoding="utf-8") as fh:
        return read_jsonl(fh, strict)


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.input_ids)


class KDDataset:
    def __init__(
        self, records: Sequence[dict], tokenizer: Tokenizer, max_length: int = 64, truncation: str = "left"
    ) -> None:
        if truncation not in ("left", "right"):
            raise DatasetError("truncation must be 'left' or 'right'")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.truncation = truncation
        self.examples = [self._build(r) for r in records]

    def _build(self, record: dict) -> Example:
        prompt = self.tokenizer.encode(record["prompt"], add_bos=True)
        response = self.tokenizer.encode(record["response"], add_eos=True)
        ids = prompt + response
        labels = [IGNORE_INDEX] * len(prompt) + response
        truncated = len(ids) > self.max_length
        if truncated and self.truncation == "left":
            ids, labels = ids[-self.max_length :], labels[-self.max_length :]
        elif truncated:
            ids, labels = ids[: self.max_length], labels[: self.max_length]
        meta = {k: v for k, v in record.items() if k not in ("prompt", "response")}
        meta["truncated"] = truncated
        return Example(ids, labels, meta)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> Example:
        return self.examples[index]

    def __iter__(self) -> Iterator[Example]:
        return iter(self.examples)

    def filter(self, min_label_tokens: int = 1) -> KDDataset:
        """Drop examples with fewer than ``min_label_tokens`` supervised tokens."""
        clone = object.__new__(KDDataset)
        clone.__dict__.update(self.__dict__)
        clone.examples = [e for e in self.examples if sum(1 for t in e.labels if t != IGNORE_INDEX) >= min_label_tokens]
        return clone

    def split(self, val_fraction: float = 0.1, seed: int = 0) -> tuple[list[Example], list[Example]]:
        if not 0.0 < val_fraction < 1.0:
            raise DatasetError("val_fraction must be in (0, 1)")
        order = list(range(len(self.examples)))
        seeded_rng(seed).shuffle(order)
        n_val = max(1, round(len(order) * val_fraction)) if order else 0
        val = [self.examples[i] for i in order[:n_val]]
        train = [self.examples[i] for i in order[n_val:]]
        return train, val

    def stats(self) -> dict[str, float]:
        lengths = [len(e) for e in self.examples]
        if not lengths:
            return {"examples": 0, "mean_length": 0.0, "max_length": 0, "truncated": 0}
        return {
            "examples": len(lengths),
            "mean_length": sum(lengths) / len(lengths),
            "max_length": max(lengths),
            "truncated": sum(1 for e in self.examples if e.meta["truncated"]),
        }


def collate(batch: Sequence[Example], pad_id: int, pad_to_multiple_of: int = 1) -> dict[str, list[list[int]]]:
    """Right-pad a batch; ``attention_mask`` marks real tokens."""
    if not batch:
        raise DatasetError("cannot collate an empty batch")
    longest = max(len(e) for e in batch)
    if longest % pad_to_multiple_of:
        longest += pad_to_multiple_of - longest % pad_to_multiple_of
    input_ids, labels, mask = [], [], []
    for e in batch:
        pad = longest - len(e)
        input_ids.append(e.input_ids + [pad_id] * pad)
        labels.append(e.labels + [IGNORE_INDEX] * pad)
        mask.append([1] * len(e) + [0] * pad)
    return {"input_ids": input_ids, "labels": labels, "attention_mask": mask}


def bucket_by_length(examples: Sequence[Example], batch_size: int) -> list[list[Example]]:
    """Group similarly sized examples to minimise padding."""
    ordered = sorted(examples, key=len)
    return [list(ordered[i : i + batch_size]) for i in range(0, len(ordered), batch_size)]


def pack_examples(examples: Sequence[Example], max_length: int, sep_id: int) -> list[Example]:
    """Greedily concatenate examples (separated by ``sep_id``) into ``max_length`` rows.

    Examples longer than ``max_length`` get a row of their own, truncated.
    """
    packed: list[Example] = []
    ids: list[int] = []
    labels: list[int] = []
    count = 0
    for e in examples:
        needed = len(e) + (1 if ids else 0)
        if ids and len(ids) + needed > max_length:
            packed.append(Example(ids, labels, {"packed": count}))
            ids, labels, count = [], [], 0
        if ids:
            ids.append(sep_id)
            labels.append(IGNORE_INDEX)
        ids.extend(e.input_ids[:max_length])
        labels.extend(e.labels[:max_length])
        count += 1
    if ids:
        packed.append(Example(ids, labels, {"packed": count}))
    return packed


def curriculum_order(examples: Sequence[Example], stages: int = 3) -> list[list[Example]]:
    """Split examples into ``stages`` buckets of increasing length (short first)."""
    if stages < 1:
        raise DatasetError("stages must be >= 1")
    ordered = sorted(examples, key=len)
    size = -(-len(ordered) // stages) if ordered else 0
    return [ordered[i * size : (i + 1) * size] for i in range(stages)] if size else [[] for _ in range(stages)]
