import itertools

import pytest
from training.tracing import Span, Tracer


def ticking_clock():
    counter = itertools.count()
    return lambda: float(next(counter))


def test_nested_spans_record_parents_and_durations():
    tracer = Tracer(clock=ticking_clock())
    with tracer.span("epoch", epoch=1) as outer:
        with tracer.span("step") as inner:
            tracer.event("loss computed")
        with tracer.span("step"):
            pass
    assert outer.attrs == {"epoch": 1} and outer.parent is None and outer.depth == 0
    assert inner.parent == 0 and inner.depth == 1
    assert inner.events == [(2.0, "loss computed")]
    assert [s.name for s in tracer.children(0)] == ["step", "step"]
    assert outer.duration == 6.0


def test_exceptions_are_recorded_and_reraised():
    tracer = Tracer(clock=ticking_clock())
    with pytest.raises(ZeroDivisionError), tracer.span("bad"):
        _ = 1 / 0
    assert tracer.spans[0].error.startswith("ZeroDivisionError")
    assert tracer.summary()["bad"]["errors"] == 1


def test_traced_decorator_and_summary():
    tracer = Tracer(clock=ticking_clock())

    @tracer.traced()
    def work(x):
        return x * 2

    @tracer.traced("custom")
    def other():
        return None

    assert work(2) == 4 and work(3) == 6
    other()
    summary = tracer.summary()
    assert summary["test_traced_decorator_and_summary.<locals>.work"]["count"] == 2
    assert summary["custom"]["mean"] == 1.0


def test_disabled_tracer_and_events_outside_spans():
    tracer = Tracer(enabled=False)
    with tracer.span("ignored") as span:
        tracer.event("nothing")
    assert span is None and tracer.spans == []
    enabled = Tracer(clock=ticking_clock())
    enabled.event("no open span")
    assert enabled.spans == []


def test_open_span_has_no_duration():
    span = Span("open", start=0.0, parent=None, depth=0)
    with pytest.raises(RuntimeError, match="still open"):
        _ = span.duration


def test_slowest_spans():
    tracer = Tracer(clock=ticking_clock())
    with tracer.span("outer"), tracer.span("inner"):
        pass
    with tracer.span("short"):
        pass
    assert [s.name for s in tracer.slowest(2)] == ["outer", "inner"]
