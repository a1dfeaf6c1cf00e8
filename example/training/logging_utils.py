"""Structured logging helpers for training runs."""

from __future__ import annotations

import json
import logging
from typing import Any


class MemoryHandler(logging.Handler):
    """Keeps formatted records in memory (handy for tests and summaries)."""

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__()
        self.capacity = capacity
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))
        if len(self.records) > self.capacity:
            del self.records[0]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        extra = getattr(record, "metrics", None)
        if extra:
            payload["metrics"] = extra
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, sort_keys=True)


def get_logger(name: str, level: int = logging.INFO, json_format: bool = False) -> tuple[logging.Logger, MemoryHandler]:
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.propagate = False
    for handler in list(logger.handlers):
        if isinstance(handler, MemoryHandler):
            logger.removeHandler(handler)
    handler = MemoryHandler()
    handler.setFormatter(JsonFormatter() if json_format else logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


def format_metrics(step: int, metrics: dict[str, float], precision: int = 4) -> str:
    parts = [f"step={step}"]
    for key in sorted(metrics):
        value = metrics[key]
        parts.append(f"{key}={value:.{precision}g}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


class MetricLogger:
    """Logs metrics every ``every`` steps (always logging the first step)."""

    def __init__(self, logger: logging.Logger, every: int = 10) -> None:
        self.logger = logger
        self.every = every
        self.logged_steps: list[int] = []

    def log(self, step: int, metrics: dict[str, float]) -> bool:
        if step % self.every and step != 1:
            return False
        self.logger.info(format_metrics(step, metrics), extra={"metrics": metrics})
        self.logged_steps.append(step)
        return True
