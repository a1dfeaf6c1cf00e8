import itertools

import pytest
from training.speed_metrics import EMA, SpeedMeter, measure_generation


def clock_from(values):
    it = iter(values)
    return lambda: next(it)


def test_speed_meter_summary():
    meter = SpeedMeter(clock=clock_from([10.0, 10.5, 10.75, 11.0]))
    assert meter.ttft is None and meter.tokens_per_second == 0.0
    meter.start()
    meter.tick()
    meter.tick(2)
    meter.tick()
    assert meter.ttft == pytest.approx(0.5)
    assert meter.tokens_per_second == pytest.approx(4 / 1.0)
    assert meter.inter_token_latencies() == pytest.approx([0.25, 0.0, 0.25])
    summary = meter.summary()
    assert summary["tokens"] == 4.0 and summary["mean_itl"] == pytest.approx(0.5 / 3)


def test_speed_meter_edge_cases():
    meter = SpeedMeter(clock=lambda: 1.0)
    with pytest.raises(RuntimeError):
        meter.tick()
    meter.start()
    assert meter.summary()["mean_itl"] is None
    meter.tick()
    assert meter.tokens_per_second == float("inf")


def test_ema_bias_correction():
    ema = EMA(0.9)
    assert ema.value == 0.0
    assert ema.update(10.0) == pytest.approx(10.0)
    assert ema.update(10.0) == pytest.approx(10.0)
    assert EMA(0.0).update(3.0) == 3.0
    with pytest.raises(ValueError):
        EMA(1.0)


def test_measure_generation_stops_on_zero():
    produced = iter([1, 2, 0, 5])
    counter = itertools.count()
    summary = measure_generation(lambda: next(produced), max_steps=10, clock=lambda: next(counter) * 0.1)
    assert summary["tokens"] == 3.0
    summary = measure_generation(lambda: 1, max_steps=3, clock=lambda: next(counter) * 0.1)
    assert summary["tokens"] == 3.0
