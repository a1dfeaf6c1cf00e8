"""Lightweight tracing of training runs.

Spans nest via a context manager (or the :meth:`Tracer.traced` decorator),
record wall time from an injectable clock, capture exceptions, and can be
exported in Chrome's ``about:tracing`` JSON format.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Span:
    name: str
    start: float
    parent: int | None
    depth: int
    attrs: dict[str, Any] = field(default_factory=dict)
    end: float | None = None
    error: str | None = None
    events: list[tuple[float, str]] = field(default_factory=list)

    @property
    def duration(self) -> float:
        if self.end is None:
            raise RuntimeError(f"span {self.name!r} is still open")
        return self.end - self.start


class Tracer:
    def __init__(self, clock: Callable[[], float] = time.perf_counter, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.spans: list[Span] = []
        self._stack: list[int] = []

    @contextmanager
    def span(self, name: str, **attrs: Any) -> Iterator[Span | None]:
        if not self.enabled:
            yield None
            return
        parent = self._stack[-1] if self._stack else None
        record = Span(name, self.clock(), parent, len(self._stack), dict(attrs))
        self.spans.append(record)
        self._stack.append(len(self.spans) - 1)
        try:
            yield record
        except BaseException as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            record.end = self.clock()
            self._stack.pop()

    def event(self, message: str) -> None:
        """Attach a timestamped event to the innermost open span."""
        if not self.enabled or not self._stack:
            return
        self.spans[self._stack[-1]].events.append((self.clock(), message))

    def traced(self, name: str | None = None) -> Callable[[F], F]:
        def decorator(fn: F) -> F:
            span_name = name or fn.__qualname__

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.span(span_name):
                    return fn(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorator

    def children(self, index: int) -> list[Span]:
        return [s for s in self.spans if s.parent == index]

    def summary(self) -> dict[str, dict[str, float]]:
        """Aggregate closed spans by name: count, total, mean, max, errors."""
        out: dict[str, dict[str, float]] = {}
        for s in self.spans:
            if s.end is None:
                continue
            agg = out.setdefault(s.name, {"count": 0, "total": 0.0, "max": 0.0, "errors": 0})
            agg["count"] += 1
            agg["total"] += s.duration
            agg["max"] = max(agg["max"], s.duration)
            if s.error:
                agg["errors"] += 1
        for agg in out.values():
            agg["mean"] = agg["total"] / agg["count"]
        return out

    def self_time(self, index: int) -> float:
        """Duration of a span minus the durations of its direct children."""
        span = self.spans[index]
        return span.duration - sum(c.duration for c in self.children(index))

    def to_chrome_trace(self) -> dict[str, Any]:
        events = []
        for s in self.spans:
            if s.end is None:
                continue
            args = dict(s.attrs)
            if s.error:
                args["error"] = s.error
            events.append(
                {
                    "name": s.name,
                    "ph": "X",
                    "ts": s.start * 1e6,
                    "dur": s.duration * 1e6,
                    "pid": 0,
                    "tid": 0,
                    "args": args,
                }
            )
            events.extend(
                {"name": msg, "ph": "i", "ts": ts * 1e6, "pid": 0, "tid": 0, "s": "t"} for ts, msg in s.events
            )
        return {"traceEvents": events, "displayTimeUnit": "ms"}

    def export(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_chrome_trace()))
        return path

    def render_tree(self) -> str:
        lines = []
        for s in self.spans:
            status = "open" if s.end is None else f"{s.duration * 1000:.2f} ms"
            flag = " !" if s.error else ""
            lines.append(f"{'  ' * s.depth}{s.name} [{status}]{flag}")
        return "\n".join(lines)

    def slowest(self, n: int = 5) -> list[Span]:
        """The ``n`` longest closed spans, longest first."""
        closed = [s for s in self.spans if s.end is not None]
        return sorted(closed, key=lambda s: s.duration, reverse=True)[:n]

    def critical_path(self) -> list[str]:
        """Follow the longest child from the longest root span down to a leaf."""
        roots = [i for i, s in enumerate(self.spans) if s.parent is None and s.end is not None]
        if not roots:
            return []
        index = max(roots, key=lambda i: self.spans[i].duration)
        path = [self.spans[index].name]
        while True:
            kids = [i for i, s in enumerate(self.spans) if s.parent == index and s.end is not None]
            if not kids:
                return path
            index = max(kids, key=lambda i: self.spans[i].duration)
            path.append(self.spans[index].name)

    def reset(self) -> None:
        if self._stack:
            raise RuntimeError("cannot reset while spans are open")
        self.spans.clear()
