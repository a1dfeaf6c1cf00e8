import math

import pytest
from models.student.architectures import GQAConfig, GQATransformer
from models.student.architectures.gqa_transformer import (
    KVCache,
    kv_cache_size,
    kv_savings_vs_mha,
    linear,
    rms_norm,
    rope,
    silu,
    softmax,
)

CFG = GQAConfig(vocab_size=12, d_model=8, n_heads=4, n_kv_heads=2, n_layers=2, d_ff=16, max_seq_len=16)


@pytest.fixture(scope="module")
def model():
    return GQATransformer(CFG, seed=1)


def test_config_validation():
    assert CFG.head_dim == 2 and CFG.group_size == 2
    with pytest.raises(ValueError, match="n_heads"):
        GQAConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="n_kv_heads"):
        GQAConfig(n_heads=4, n_kv_heads=3)
    with pytest.raises(ValueError, match="even"):
        GQAConfig(d_model=12, n_heads=4, n_kv_heads=2)


def test_primitives():
    assert linear([1.0, 2.0], [[1.0, 0.0], [1.0, 1.0]]) == [1.0, 3.0]
    normed = rms_norm([3.0, 4.0], [1.0, 1.0], eps=0.0)
    assert math.sqrt(sum(v * v for v in normed) / 2) == pytest.approx(1.0)
    assert silu(0.0) == 0.0 and silu(-100.0) == 0.0 and silu(10.0) == pytest.approx(10.0, abs=1e-3)
    assert sum(softmax([1.0, 2.0, 3.0])) == pytest.approx(1.0)
    x = [1.0, 0.0, 0.5, 0.5]
    assert rope(x, 0, 10000.0) == x
    rotated = rope(x, 3, 10000.0)
    assert rotated != x
    assert sum(v * v for v in rotated) == pytest.approx(sum(v * v for v in x))


def test_forward_shapes_and_causality(model):
    logits = model.forward([1, 2, 3, 4])
    assert len(logits) == 4 and all(len(row) == CFG.vocab_size for row in logits)
    prefix = model.forward([1, 2])
    assert prefix[1] == pytest.approx(logits[1])  # future tokens do not leak backwards


def test_forward_validation(model):
    with pytest.raises(ValueError, match="empty"):
        model.forward([])
    with pytest.raises(ValueError, match="outside vocabulary"):
        model.forward([99])
    with pytest.raises(ValueError, match="max_seq_len"):
        model.forward([0] * (CFG.max_seq_len + 1))


def test_kv_cache_grows_per_layer(model):
    caches = model.new_cache()
    model.step(3, 0, caches)
    model.step(4, 1, caches)
    assert [len(c) for c in caches] == [2, 2]
    assert len(caches[0].keys[0]) == CFG.n_kv_heads
    assert len(KVCache()) == 0


def test_greedy_generation_matches_forward(model):
    prompt = [1, 5]
    out = model.generate(prompt, max_new_tokens=3)
    assert len(out) == 3
    logits = model.forward(prompt + out[:1])
    assert out[0] == max(range(CFG.vocab_size), key=logits[1].__getitem__)
    assert out[1] == max(range(CFG.vocab_size), key=logits[2].__getitem__)


def test_generation_stops_on_eos_and_length(model):
    greedy = model.generate([1, 5], max_new_tokens=4)
    assert model.generate([1, 5], max_new_tokens=4, eos_id=greedy[0]) == greedy[:1]
    long = model.generate([1] * (CFG.max_seq_len - 2), max_new_tokens=10)
    assert len(long) == 2
    sampled = model.generate([1, 5], max_new_tokens=5, temperature=1.5, seed=3)
    assert sampled == model.generate([1, 5], max_new_tokens=5, temperature=1.5, seed=3)


def test_parameter_counting_and_state_dict():
    tied = GQATransformer(CFG)
    untied_cfg = GQAConfig(vocab_size=12, d_model=8, n_heads=4, n_kv_heads=2, n_layers=2, d_ff=16, tie_embeddings=False)
    untied = GQATransformer(untied_cfg)
    assert untied.num_parameters() - tied.num_parameters() == 12 * 8
    per_layer = 8 * 8 * 2 + 4 * 8 * 2 + 3 * 8 * 16 + 2 * 8
    assert tied.num_parameters() == 12 * 8 + 8 + 2 * per_layer
    assert "lm_head" not in tied.state_dict() and "lm_head" in untied.state_dict()
    assert set(tied.state_dict()["blocks.1"]) == {"attn", "mlp", "norm1", "norm2"}


def test_load_state_dict_roundtrip():
    source = GQATransformer(CFG, seed=2)
    target = GQATransformer(CFG, seed=3)
    target.load_state_dict(source.state_dict())
    for got, want in zip(target.forward([1, 2]), source.forward([1, 2]), strict=True):
        assert got == pytest.approx(want)
    assert target.lm_head is target.embed

    untied_cfg = GQAConfig(vocab_size=12, d_model=8, n_heads=4, n_kv_heads=2, n_layers=1, d_ff=16, tie_embeddings=False)
    a, b = GQATransformer(untied_cfg, seed=1), GQATransformer(untied_cfg, seed=2)
    b.load_state_dict(a.state_dict())
    assert b.lm_head == a.lm_head and b.lm_head is not b.embed

    bad = source.state_dict()
    bad["embed"] = bad["embed"][:-1]
    with pytest.raises(ValueError, match="shape mismatch for embed"):
        target.load_state_dict(bad)
    bad = source.state_dict()
    bad["blocks.0"] = dict(bad["blocks.0"], norm1=[1.0])
    with pytest.raises(ValueError, match=r"blocks\.0\.norm1"):
        target.load_state_dict(bad)


def test_sequence_log_prob(model):
    lp = model.sequence_log_prob([1, 2, 3])
    assert lp < 0
    assert model.sequence_log_prob([1]) == 0.0


def test_kv_cache_accounting():
    assert kv_cache_size(CFG, 10) == 2 * 2 * 10 * 2 * 2
    assert kv_savings_vs_mha(CFG) == 0.5
