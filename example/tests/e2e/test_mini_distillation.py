"""A miniature end-to-end distillation run (the slowest test file on purpose).

A tiny GQA transformer acts as the teacher for an intent-classification task;
a bag-of-words softmax-regression student is distilled from it and then
evaluated with the evaluation package.
"""

import pytest
from evaluation.classification_eval import classification_report
from evaluation.perf_mem_eval import ModelMemoryConfig, memory_breakdown, parameter_count
from models.student.architectures import GQAConfig, GQATransformer
from training.dataloader import DataLoader
from training.dataset import KDDataset, Tokenizer
from training.distill_kd import DistillConfig, DistillTrainer, SoftmaxRegression
from training.speed_metrics import measure_generation
from training.tracing import Tracer
from training.utils import argmax

SUBJECTS = ["model", "teacher", "student", "dataset", "loss", "export", "cache", "tokenizer"]
VERBS = ["train", "evaluate", "export", "debug", "compress", "profile"]
TEMPLATES = ["please {v} the {s}", "how do i {v} my {s}", "{v} {s} now", "can you {v} a {s} quickly"]
N_CLASSES = 3


def build_records():
    records = []
    for t in TEMPLATES:
        for v in VERBS:
            for s in SUBJECTS[:4]:
                records.append({"prompt": t.format(v=v, s=s), "response": v})
    return records


@pytest.fixture(scope="module")
def pipeline():
    records = build_records()
    tokenizer = Tokenizer.train([r["prompt"] for r in records], max_size=64)
    dataset = KDDataset(records, tokenizer, max_length=12)
    cfg = GQAConfig(vocab_size=len(tokenizer), d_model=8, n_heads=2, n_kv_heads=1, n_layers=1, d_ff=16, max_seq_len=16)
    teacher_model = GQATransformer(cfg, seed=5)

    def features(prompt):
        vec = [0.0] * len(tokenizer)
        for tok in tokenizer.encode(prompt):
            vec[tok] += 1.0
        return vec

    memo = {}

    def teacher(x):
        key = tuple(x)
        if key not in memo:
            ids = [i for i, count in enumerate(x) for _ in range(int(count))]
            logits = teacher_model.forward(ids or [0])[-1]
            memo[key] = [3.0 * v for v in logits[:N_CLASSES]]
        return memo[key]

    samples = [(features(r["prompt"]), 0) for r in records]
    samples = [(x, argmax(teacher(x))) for x, _ in samples]
    return tokenizer, dataset, teacher_model, teacher, samples


def test_dataset_and_loader(pipeline):
    tokenizer, dataset, _, _, samples = pipeline
    assert len(dataset) == len(samples) == 96
    batches = list(DataLoader(dataset, batch_size=32, shuffle=True, seed=1))
    assert sum(len(b) for b in batches) == 96
    assert dataset.stats()["truncated"] == 0
    assert tokenizer.unk_rate("please train the model") == 0.0


def test_student_distils_teacher(pipeline):
    _, _, _, teacher, samples = pipeline
    train, val = samples[::2] + samples[1::4], samples[3::4]
    tracer = Tracer()
    config = DistillConfig(
        steps=80, lr=0.3, temperature=2.0, alpha=0.8, batch_size=16, warmup_steps=10, eval_every=20, ema_decay=0.95
    )
    trainer = DistillTrainer(SoftmaxRegression(len(samples[0][0]), N_CLASSES), teacher, config, tracer=tracer)
    result = trainer.fit(train, val)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    report = classification_report(
        [y for _, y in val], [trainer.student.predict(x) for x, _ in val], labels=list(range(N_CLASSES))
    )
    assert report.accuracy >= 0.6
    assert tracer.summary()["train_step"]["count"] == 80


def test_teacher_generation_speed_and_memory(pipeline):
    tokenizer, _, teacher_model, _, _ = pipeline
    caches = teacher_model.new_cache()
    state = {"pos": 0, "tok": tokenizer.stoi["<bos>"]}

    def step():
        logits = teacher_model.step(state["tok"], state["pos"], caches)
        state["tok"], state["pos"] = argmax(logits), state["pos"] + 1
        return 1

    summary = measure_generation(step, max_steps=10)
    assert summary["tokens"] == 10.0 and summary["tokens_per_second"] > 0
    mem_cfg = ModelMemoryConfig.from_gqa_config(teacher_model.cfg)
    assert parameter_count(mem_cfg) == teacher_model.num_parameters()
    assert memory_breakdown(mem_cfg, batch=1, seq_len=16)["weights"] == 4 * teacher_model.num_parameters()
