import math

import pytest
from training.halt_targets import halt_target
from training.losses import (
    CombinedLoss,
    DynamicLossScaler,
    LossTracker,
    cosine_loss,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    focal_loss,
    get_loss,
    halting_loss,
    hidden_state_loss,
    info_nce_loss,
    js_divergence,
    kd_grad,
    kd_loss,
    kl_divergence,
    length_penalty,
    log_softmax,
    mse_loss,
    reduce,
    register_loss,
    reverse_kl_loss,
    softmax,
    top_k_kd_loss,
    z_loss,
)


def numeric_grad(fn, x, eps=1e-6):
    grads = []
    for i in range(len(x)):
        hi, lo = list(x), list(x)
        hi[i] += eps
        lo[i] -= eps
        grads.append((fn(hi) - fn(lo)) / (2 * eps))
    return grads


def test_softmax_family():
    probs = softmax([1.0, 2.0, 3.0])
    assert sum(probs) == pytest.approx(1.0)
    assert [math.exp(v) for v in log_softmax([1.0, 2.0, 3.0])] == pytest.approx(probs)
    assert softmax([1.0, 2.0], temperature=100.0) == pytest.approx([0.5, 0.5], abs=0.01)
    assert softmax([1000.0, 0.0])[0] == pytest.approx(1.0)
    for fn in (softmax, log_softmax):
        with pytest.raises(ValueError):
            fn([1.0], temperature=0.0)
    assert entropy([0.5, 0.5, 0.0]) == pytest.approx(math.log(2))


def test_reduce():
    assert reduce([1.0, 3.0], "mean") == 2.0
    assert reduce([1.0, 3.0], "sum") == 4.0
    assert reduce([1.0, 3.0], "none") == [1.0, 3.0]
    assert reduce([], "mean") == 0.0
    with pytest.raises(ValueError):
        reduce([1.0], "max")


def test_cross_entropy_ignore_and_smoothing():
    logits = [[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 5.0]]
    targets = [0, -100, 2]
    per_token = cross_entropy(logits, targets, reduction="none")
    assert len(per_token) == 2
    assert per_token[0] == pytest.approx(-log_softmax(logits[0])[0])
    smoothed = cross_entropy(logits, targets, label_smoothing=0.1)
    assert smoothed > cross_entropy(logits, targets)
    assert cross_entropy([[0.0, 0.0]], [1], reduction="sum") == pytest.approx(math.log(2))


def test_cross_entropy_validation():
    with pytest.raises(ValueError, match="differ in length"):
        cross_entropy([[0.0]], [0, 0])
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy([[0.0]], [0], label_smoothing=1.0)
    with pytest.raises(IndexError):
        cross_entropy([[0.0, 1.0]], [2])


def test_gradients_match_finite_differences():
    logits = [0.3, -1.2, 2.0, 0.1]
    assert cross_entropy_grad(logits, 2) == pytest.approx(
        numeric_grad(lambda z: cross_entropy([z], [2]), logits), abs=1e-5
    )
    teacher = [1.0, 0.0, -1.0, 2.0]
    assert kd_grad(logits, teacher, 2.0) == pytest.approx(
        numeric_grad(lambda z: kd_loss([z], [teacher], 2.0), logits), abs=1e-5
    )


def test_kl_and_kd():
    p = [0.5, 0.5, 0.0]
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(-math.log(1e-12))
    with pytest.raises(ValueError):
        kl_divergence([1.0], [0.5, 0.5])
    student = [[1.0, 2.0], [0.0, 0.0]]
    teacher = [[2.0, 1.0], [5.0, 0.0]]
    masked = kd_loss(student, teacher, mask=[True, False], reduction="none")
    assert len(masked) == 1 and masked[0] > 0
    assert kd_loss(teacher, teacher) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="sequences"):
        kd_loss(student, teacher[:1])
    with pytest.raises(ValueError, match="vocabularies"):
        kd_loss([[1.0]], [[1.0, 2.0]])


def test_simple_losses():
    assert mse_loss([1.0, 2.0], [1.0, 4.0]) == 2.0
    with pytest.raises(ValueError):
        mse_loss([1.0], [])
    assert cosine_loss([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert cosine_loss([1.0, 1.0], [2.0, 2.0]) == pytest.approx(0.0)
    assert cosine_loss([0.0, 0.0], [1.0, 0.0]) == 1.0
    easy = focal_loss([[5.0, 0.0]], [0])
    hard = focal_loss([[0.0, 5.0]], [0])
    assert easy < 0.001 < hard
    assert focal_loss([[1.0, 0.0], [0.0, 1.0]], [-100, 1], gamma=0.0) == pytest.approx(cross_entropy([[0.0, 1.0]], [1]))
    assert length_penalty(10, 10) == 0.0 and length_penalty(20, 10, alpha=1.0) == 1.0


def test_halting_loss():
    target = halt_target([3.0, 1.0, 1.0])
    good = halting_loss([0.01, 0.99, 0.99], target)
    bad = halting_loss([0.99, 0.01, 0.01], target)
    assert good < bad
    assert halting_loss([0.0, 1.0, 1.0], target, ponder_cost=0.0) < 1e-6
    with pytest.raises(ValueError):
        halting_loss([0.5], target)


def test_hidden_state_loss():
    student = [[1.0, 0.0], [0.0, 1.0]]
    teacher = [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    projection = [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    assert hidden_state_loss(student, teacher, projection) == 0.0
    assert hidden_state_loss([[1.0]], [[3.0]]) == 4.0
    assert hidden_state_loss([], []) == 0.0


def test_divergences_and_sparse_kd():
    s, t = [1.0, 0.0, -1.0], [0.0, 2.0, 0.0]
    assert reverse_kl_loss(s, t) == pytest.approx(kl_divergence(softmax(s), softmax(t)))
    assert js_divergence(softmax(s), softmax(s)) == pytest.approx(0.0)
    assert 0 < js_divergence([1.0, 0.0], [0.0, 1.0]) <= math.log(2) + 1e-12
    full = top_k_kd_loss(s, t, k=3)
    assert full == pytest.approx(kl_divergence(softmax(t), softmax(s)))
    assert top_k_kd_loss(t, t, k=1) == pytest.approx(-log_softmax(t)[1])
    with pytest.raises(ValueError):
        top_k_kd_loss(s, t, k=0)


def test_info_nce_and_z_loss():
    anchors = [[1.0, 0.0], [0.0, 1.0]]
    aligned = info_nce_loss(anchors, [[2.0, 0.0], [0.0, 3.0]])
    crossed = info_nce_loss(anchors, [[0.0, 3.0], [2.0, 0.0]])
    assert aligned < 0.01 < crossed
    assert info_nce_loss([[0.0, 0.0]], [[0.0, 0.0]]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        info_nce_loss([], [])
    assert z_loss([[0.0, 0.0]], coefficient=1.0) == pytest.approx(math.log(2) ** 2)
    assert z_loss([]) == 0.0


def test_dynamic_loss_scaler():
    scaler = DynamicLossScaler(init_scale=8.0, growth_interval=2, min_scale=2.0)
    assert scaler.unscale([8.0, 16.0]) == [1.0, 2.0]
    assert scaler.unscale([8.0]) == [1.0] and scaler.scale == 16.0
    assert scaler.unscale([float("inf")]) is None and scaler.scale == 8.0
    assert scaler.unscale([float("nan")]) is None
    assert scaler.unscale([math.inf]) is None and scaler.scale == 2.0 and scaler.skipped == 3


def test_loss_tracker():
    tracker = LossTracker()
    tracker.update(kd=1.0, ce=2.0)
    tracker.update(kd=3.0)
    assert tracker.means() == {"kd": 2.0, "ce": 2.0}
    assert tracker.reset() == {"kd": 2.0, "ce": 2.0} and tracker.means() == {}
    with pytest.raises(ValueError, match="NaN"):
        tracker.update(kd=float("nan"))


def test_registry_and_combined_loss():
    assert get_loss("mse") is mse_loss
    with pytest.raises(KeyError, match="unknown loss"):
        get_loss("hinge")

    @register_loss("constant_one")
    def constant_one():
        return 1.0

    combined = CombinedLoss({"mse": 2.0, "cosine": 0.0, "constant_one": 0.5})
    total = combined({"mse": ([1.0], [2.0]), "cosine": ([1.0], [1.0]), "constant_one": ()})
    assert total == pytest.approx(2.5)
    assert combined.last == {"mse": 1.0, "constant_one": 1.0}
    with pytest.raises(KeyError, match="missing inputs"):
        combined({"mse": ([1.0], [2.0])})
    with pytest.raises(ValueError, match="negative weight"):
        CombinedLoss({"mse": -1.0})
