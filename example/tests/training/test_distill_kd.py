import math

import pytest
from training.distill_kd import (
    ConstantLR,
    CosineLR,
    DistillConfig,
    DistillTrainer,
    EarlyStopping,
    LinearDecayLR,
    MomentumSGD,
    SoftmaxRegression,
    StepLR,
    TrainResult,
    WeightEMA,
    clip_gradients,
    grad_norm,
    make_scheduler,
    make_synthetic_task,
    teacher_soft_labels,
)
from training.input_validation import ConfigError
from training.tracing import Tracer


@pytest.fixture(scope="module")
def task():
    teacher, data = make_synthetic_task(n_samples=60, n_features=3, n_classes=3, seed=4)
    return teacher, data[:48], data[48:]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"steps": 0}, "steps must be >= 1"),
        ({"lr": 0}, "lr must be positive"),
        ({"temperature": -1}, "temperature"),
        ({"alpha": 1.5}, "alpha"),
        ({"scheduler": "exp"}, "unknown scheduler"),
        ({"warmup_steps": 100}, "warmup_steps"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"patience": 2}, "requires eval_every"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DistillConfig(**kwargs)


def test_config_from_dict():
    assert DistillConfig.from_dict({"steps": 5, "lr": 0.1}).steps == 5
    with pytest.raises(ConfigError, match="unknown config keys"):
        DistillConfig.from_dict({"epochs": 3})


def test_schedules():
    const = ConstantLR(1.0, warmup_steps=4, total_steps=10)
    assert [const(s) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    linear = LinearDecayLR(1.0, total_steps=10, final_fraction=0.1)
    assert linear(0) == 1.0 and linear(10) == pytest.approx(0.1) and linear(50) == pytest.approx(0.1)
    assert LinearDecayLR(1.0, warmup_steps=2, total_steps=4)(0) == 0.5
    cosine = CosineLR(1.0, total_steps=10, min_lr=0.1)
    assert cosine(0) == 1.0 and cosine(5) == pytest.approx(0.55) and cosine(10) == pytest.approx(0.1)
    assert CosineLR(1.0, warmup_steps=2, total_steps=4)(1) == 1.0
    step = StepLR(1.0, step_size=3, gamma=0.5)
    assert [step(s) for s in (0, 2, 3, 6)] == [1.0, 1.0, 0.5, 0.25]
    assert StepLR(1.0, warmup_steps=2, step_size=3)(0) == 0.5
    assert isinstance(make_scheduler(DistillConfig(scheduler="step")), StepLR)


def test_student_model_state():
    model = SoftmaxRegression(2, 3)
    assert model.logits([1.0, 2.0]) == [0.0, 0.0, 0.0]
    random_init = SoftmaxRegression(2, 3, init_scale=0.1, seed=1)
    assert any(w != 0.0 for row in random_init.weights for w in row)
    model.load_state_dict(random_init.state_dict())
    assert model.weights == random_init.weights and model.weights is not random_init.weights
    with pytest.raises(ValueError, match="class count"):
        SoftmaxRegression(2, 2).load_state_dict(random_init.state_dict())


def test_gradient_clipping():
    gw, gb = [[3.0, 0.0]], [4.0]
    assert clip_gradients(gw, gb, None) == 5.0 and gb == [4.0]
    assert clip_gradients(gw, gb, 10.0) == 5.0 and gb == [4.0]
    assert clip_gradients(gw, gb, 1.0) == 5.0
    assert grad_norm(gw, gb) == pytest.approx(1.0)
    assert gw == [[pytest.approx(0.6), 0.0]]


def test_optimizer_momentum_and_weight_decay():
    model = SoftmaxRegression(1, 1)
    model.weights = [[1.0]]
    opt = MomentumSGD(model, momentum=0.5, weight_decay=0.1)
    opt.step([[1.0]], [1.0], lr=0.1)
    assert model.weights[0][0] == pytest.approx(1.0 - 0.1 * (1.0 + 0.1))
    opt.step([[1.0]], [1.0], lr=0.1)
    assert opt.vel_b == [1.5] and model.bias[0] == pytest.approx(-0.25)


def test_ema_and_early_stopping():
    model = SoftmaxRegression(1, 1)
    ema = WeightEMA(model, decay=0.5)
    model.weights, model.bias = [[2.0]], [4.0]
    ema.update(model)
    assert ema.shadow == {"weights": [[1.0]], "bias": [2.0]}
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    assert [stopper.update(v) for v in (1.0, 0.95, 0.5, 0.6, 0.55)] == [False, False, False, False, True]
    assert math.isnan(TrainResult().final_loss)


def test_distillation_learns_the_teacher(task):
    teacher, train, val = task
    events = []
    config = DistillConfig(steps=40, lr=0.5, batch_size=16, warmup_steps=3, eval_every=10, ema_decay=0.9)
    trainer = DistillTrainer(
        SoftmaxRegression(3, 3), teacher, config, callbacks=[lambda event, metrics: events.append(event)]
    )
    before = trainer.evaluate(val)
    result = trainer.fit(train, val)
    after = trainer.evaluate(val)
    assert result.steps_run == 40 and not result.stopped_early
    assert len(result.evals) == 4 and events.count("eval") == 4 and events.count("step") == 40
    assert after["loss"] < before["loss"]
    assert after["teacher_agreement"] >= 0.75
    assert result.history[0]["lr"] == pytest.approx(0.5 / 3)
    assert result.final_loss == result.history[-1]["loss"]
    assert trainer.evaluate(val, use_ema=True)["accuracy"] >= 0.5


def test_early_stopping_and_tracing(task):
    teacher, train, val = task
    config = DistillConfig(steps=60, lr=5.0, scheduler="constant", eval_every=2, patience=1, min_delta=10.0)
    tracer = Tracer()
    trainer = DistillTrainer(SoftmaxRegression(3, 3), teacher, config, tracer=tracer)
    result = trainer.fit(train, val)
    assert result.stopped_early and result.steps_run == 4
    assert tracer.summary()["train_step"]["count"] == 4


def test_training_without_validation(task):
    teacher, train, _ = task
    trainer = DistillTrainer(SoftmaxRegression(3, 3), teacher, DistillConfig(steps=3, eval_every=1, grad_clip=None))
    result = trainer.fit(train)
    assert result.evals == [] and result.steps_run == 3


def test_zero_gradient_when_student_equals_teacher():
    student = SoftmaxRegression(2, 2, init_scale=1.0, seed=3)
    frozen = SoftmaxRegression(2, 2)
    frozen.load_state_dict(student.state_dict())
    trainer = DistillTrainer(student, frozen.logits, DistillConfig(steps=2, alpha=1.0))
    metrics = trainer.train_step([([1.0, -1.0], 0)], step=0)
    assert metrics["grad_norm"] == 0.0
    assert student.weights == frozen.weights


def test_error_paths(task):
    teacher, train, _ = task
    trainer = DistillTrainer(SoftmaxRegression(3, 3), teacher, DistillConfig(steps=2))
    with pytest.raises(ValueError):
        trainer.fit([])
    with pytest.raises(ValueError):
        trainer.evaluate([])
    with pytest.raises(RuntimeError, match="EMA is disabled"):
        trainer.evaluate(train, use_ema=True)


def test_checkpoint_roundtrip(tmp_path, task):
    teacher, train, val = task
    config = DistillConfig(steps=5, ema_decay=0.5)
    trainer = DistillTrainer(SoftmaxRegression(3, 3), teacher, config)
    result = trainer.fit(train)
    path = trainer.save_checkpoint(tmp_path / "kd.json", result)
    restored = DistillTrainer.load_checkpoint(path, teacher)
    assert restored.student.weights == trainer.student.weights
    assert restored.ema.shadow == trainer.ema.shadow
    assert restored.evaluate(val) == trainer.evaluate(val)

    plain = DistillTrainer(SoftmaxRegression(3, 3), teacher, DistillConfig(steps=5))
    path = plain.save_checkpoint(tmp_path / "plain.json")
    assert DistillTrainer.load_checkpoint(path, teacher).ema is None


def test_synthetic_task_and_soft_labels():
    teacher, clean = make_synthetic_task(50, 2, 3, seed=9)
    _, noisy = make_synthetic_task(50, 2, 3, seed=9, label_noise=0.5)
    from training.utils import argmax

    assert all(y == argmax(teacher(x)) for x, y in clean)
    assert any(y != argmax(teacher(x)) for x, y in noisy)
    soft = teacher_soft_labels(teacher, [x for x, _ in clean[:2]], temperature=2.0)
    assert all(sum(row) == pytest.approx(1.0) for row in soft)
