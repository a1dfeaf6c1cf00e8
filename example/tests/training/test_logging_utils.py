import json
import logging

from training.logging_utils import MemoryHandler, MetricLogger, format_metrics, get_logger


def test_plain_logger_and_handler_replacement():
    logger, handler = get_logger("covsplit.test.plain")
    logger.info("hello %s", "world")
    assert handler.records == ["INFO hello world"]
    logger2, handler2 = get_logger("covsplit.test.plain")
    assert logger2 is logger and handler2 is not handler
    assert sum(isinstance(h, MemoryHandler) for h in logger.handlers) == 1


def test_json_formatter_with_metrics_and_exception():
    logger, handler = get_logger("covsplit.test.json", json_format=True)
    logger.info("step", extra={"metrics": {"loss": 1.5}})
    logger.info("no metrics")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second, third = (json.loads(r) for r in handler.records)
    assert first["metrics"] == {"loss": 1.5}
    assert "metrics" not in second
    assert "ValueError: boom" in third["exception"] and third["level"] == "ERROR"


def test_memory_handler_capacity():
    handler = MemoryHandler(capacity=2)
    logger = logging.getLogger("covsplit.test.capacity")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    for i in range(3):
        logger.info("m%d", i)
    assert handler.records == ["m1", "m2"]
    logger.removeHandler(handler)


def test_format_metrics():
    assert format_metrics(3, {"loss": 0.123456, "tokens": 12}) == "step=3 loss=0.1235 tokens=12"


def test_metric_logger_throttles():
    logger, handler = get_logger("covsplit.test.metrics")
    metric_logger = MetricLogger(logger, every=5)
    logged = [metric_logger.log(step, {"loss": 1.0}) for step in range(1, 12)]
    assert metric_logger.logged_steps == [1, 5, 10]
    assert logged.count(True) == 3 and len(handler.records) == 3


def test_foreign_handlers_are_kept():
    base = logging.getLogger("covsplit.test.foreign")
    stream = logging.StreamHandler()
    base.addHandler(stream)
    logger, _ = get_logger("covsplit.test.foreign")
    assert stream in logger.handlers
    logger.removeHandler(stream)
