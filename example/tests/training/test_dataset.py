import json

import pytest
from training.dataset import (
    IGNORE_INDEX,
    DatasetError,
    Example,
    KDDataset,
    Tokenizer,
    bucket_by_length,
    collate,
    curriculum_order,
    load_jsonl,
    pack_examples,
    pre_tokenize,
    read_jsonl,
)

RECORDS = [
    {"prompt": "What is KD?", "response": "Distillation from a teacher.", "source": "faq"},
    {"prompt": "Define loss", "response": "A number to minimise."},
    {"prompt": "Say hi", "response": "hi"},
]


@pytest.fixture
def tokenizer():
    texts = [r["prompt"] + " " + r["response"] for r in RECORDS]
    return Tokenizer.train(texts, max_size=40)


def test_pre_tokenize():
    assert pre_tokenize("Hello, World!") == ["hello", ",", "world", "!"]
    assert pre_tokenize("Hello", lowercase=False) == ["Hello"]


def test_tokenizer_roundtrip_and_unknowns(tokenizer):
    ids = tokenizer.encode("what is a teacher?", add_bos=True, add_eos=True)
    assert ids[0] == tokenizer.stoi["<bos>"] and ids[-1] == tokenizer.stoi["<eos>"]
    assert tokenizer.decode(ids) == "what is a teacher ?"
    assert tokenizer.decode(ids, skip_special=False).startswith("<bos>")
    assert tokenizer.unk_rate("zebra teacher") == 0.5
    assert tokenizer.unk_rate("") == 0.0
    assert tokenizer.pad_id == 0
    with pytest.raises(DatasetError, match="out of range"):
        tokenizer.decode([999])
    with pytest.raises(DatasetError, match="out of range"):
        tokenizer.decode([-1])


def test_tokenizer_training_limits():
    tok = Tokenizer.train(["a a a b b c"], max_size=6, min_freq=2)
    assert tok.itos[4:] == ["a", "b"]
    tiny = Tokenizer.train(["a b"], max_size=2)
    assert len(tiny) == 4


def test_tokenizer_vocab_validation():
    with pytest.raises(DatasetError, match="special tokens"):
        Tokenizer(["a", "b"])
    with pytest.raises(DatasetError, match="duplicates"):
        Tokenizer(["<pad>", "<unk>", "<bos>", "<eos>", "x", "x"])


def test_read_jsonl_strict_and_lenient(tmp_path):
    lines = ["# comment", "", json.dumps(RECORDS[0]), "{bad json", json.dumps({"prompt": "only"}), "[1, 2]"]
    records, problems = read_jsonl(lines, strict=False)
    assert len(records) == 1 and len(problems) == 3
    assert problems[0].startswith("line 4:")
    with pytest.raises(DatasetError, match="line 4"):
        read_jsonl(lines)
    with pytest.raises(DatasetError, match="needs 'prompt'"):
        read_jsonl(lines[:3] + lines[4:])
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS))
    assert load_jsonl(path)[0] == RECORDS


def test_dataset_masks_prompt_and_keeps_meta(tokenizer):
    ds = KDDataset(RECORDS, tokenizer, max_length=64)
    first = ds[0]
    n_prompt = len(tokenizer.encode(RECORDS[0]["prompt"], add_bos=True))
    assert first.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert first.labels[n_prompt:] == first.input_ids[n_prompt:]
    assert first.meta == {"source": "faq", "truncated": False}
    assert len(ds) == 3 and len(list(ds)) == 3


def test_truncation_sides(tokenizer):
    left = KDDataset(RECORDS, tokenizer, max_length=4, truncation="left")
    right = KDDataset(RECORDS, tokenizer, max_length=4, truncation="right")
    assert all(len(e) <= 4 for e in left)
    assert left[0].input_ids[-1] == tokenizer.stoi["<eos>"]
    assert right[0].input_ids[0] == tokenizer.stoi["<bos>"]
    assert right.stats()["truncated"] >= 2
    with pytest.raises(DatasetError):
        KDDataset(RECORDS, tokenizer, truncation="middle")


def test_filter_split_and_stats(tokenizer):
    ds = KDDataset(RECORDS, tokenizer, max_length=5, truncation="right")
    filtered = ds.filter(min_label_tokens=2)
    assert len(filtered) < len(ds) and filtered.tokenizer is ds.tokenizer
    train, val = KDDataset(RECORDS * 4, tokenizer).split(val_fraction=0.25, seed=3)
    assert len(train) == 9 and len(val) == 3
    empty = KDDataset([], tokenizer)
    assert empty.split(0.5) == ([], [])
    assert empty.stats() == {"examples": 0, "mean_length": 0.0, "max_length": 0, "truncated": 0}
    with pytest.raises(DatasetError):
        ds.split(val_fraction=1.0)


def test_collate_and_bucketing(tokenizer):
    ds = KDDataset(RECORDS, tokenizer)
    batch = collate(list(ds), pad_id=tokenizer.pad_id, pad_to_multiple_of=8)
    width = len(batch["input_ids"][0])
    assert width % 8 == 0 and all(len(row) == width for row in batch["labels"])
    assert batch["attention_mask"][2].count(1) == len(ds[2])
    exact = collate([Example([1, 2], [1, 2]), Example([3], [3])], pad_id=0)
    assert exact["input_ids"] == [[1, 2], [3, 0]] and exact["labels"][1] == [3, IGNORE_INDEX]
    with pytest.raises(DatasetError):
        collate([], pad_id=0)
    buckets = bucket_by_length(list(ds), batch_size=2)
    assert [len(b) for b in buckets] == [2, 1]
    assert len(buckets[0][0]) <= len(buckets[0][1])


def test_packing():
    examples = [Example([1] * 3, [1] * 3), Example([2] * 2, [2] * 2), Example([3] * 9, [3] * 9), Example([4], [4])]
    packed = pack_examples(examples, max_length=6, sep_id=0)
    assert [e.input_ids for e in packed] == [[1, 1, 1, 0, 2, 2], [3] * 6, [4]]
    assert packed[0].labels[3] == IGNORE_INDEX and packed[0].meta == {"packed": 2}
    assert pack_examples([], 4, 0) == []


def test_curriculum():
    examples = [Example([0] * n, [0] * n) for n in (5, 1, 3, 2, 4)]
    stages = curriculum_order(examples, stages=2)
    assert [[len(e) for e in s] for s in stages] == [[1, 2, 3], [4, 5]]
    assert curriculum_order([], stages=2) == [[], []]
    with pytest.raises(DatasetError):
        curriculum_order(examples, stages=0)
