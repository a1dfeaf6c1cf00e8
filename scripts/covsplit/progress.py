"""Reading the record ``covsplit.pytest_progress`` writes as a run goes.

Standard library only (the driver reads it).  When pytest died before it
wrote its JUnit results, this record still gives the outcome of every test
that finished, the test that was running when the process died, and the
conftest that failed to import when pytest could not start at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from covsplit.junit import CALL, ERROR, FAILED, PASSED, SKIPPED, TestResult

START, REPORT, END, CONFTEST = "start", "report", "end", "conftest-error"


@dataclass(frozen=True)
class Progress:
    """What the record says: results so far, the test that never reported, a conftest that broke."""

    results: list[TestResult] = field(default_factory=list)
    running: str | None = None
    conftest_error: str | None = None

    @property
    def finished(self) -> int:
        return len({result.nodeid for result in self.results})


def read(path: Path, root: Path) -> Progress:
    """The record at ``path``, nodeids and files relative to the project ``root``; empty when there is none."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Progress()
    results: list[TestResult] = []
    started: dict[str, None] = {}
    finished: set[str] = set()
    conftest_error = None
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the last line of a process killed mid-write
        if not isinstance(record, dict):
            continue
        event = record.get("event")
        if event == CONFTEST:
            where = _relative(str(record.get("file") or ""), root)
            conftest_error = f"{where}: {record.get('message', '')}" if where else str(record.get("message", ""))
            continue
        nodeid, file = _identify(record, root)
        if event == START:
            started[nodeid] = None
        elif event == END:
            finished.add(nodeid)
        elif event == REPORT:
            results.append(_result(record, nodeid, file))
    # The test that started and never finished was running when the process died.
    running = next((nodeid for nodeid in reversed(started) if nodeid not in finished), None)
    return Progress(results=results, running=running, conftest_error=conftest_error)


def _identify(record: dict, root: Path) -> tuple[str, str]:
    nodeid = str(record.get("nodeid", ""))
    absolute = str(record.get("file", ""))
    file = _relative(absolute, root)
    # pytest's nodeid starts with the file relative to its rootdir; say it relative to the project root.
    path_part, sep, rest = nodeid.partition("::")
    if file and sep and absolute.endswith(path_part):
        nodeid = f"{file}::{rest}"
    return nodeid, file


def _relative(absolute: str, root: Path) -> str:
    if not absolute:
        return ""
    path = Path(absolute)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _result(record: dict, nodeid: str, file: str) -> TestResult:
    when = str(record.get("when", CALL))
    outcome = str(record.get("outcome", ""))
    if outcome == "skipped":
        kind = SKIPPED
    elif outcome == "failed":
        # As pytest counts them: a failing call is a failure, a failing setup or teardown an error.
        kind = FAILED if when == CALL else ERROR
    else:
        kind = PASSED
    message = str(record.get("message", ""))
    duration = record.get("duration")
    return TestResult(
        nodeid=nodeid,
        file=file,
        outcome=kind,
        duration=float(duration) if isinstance(duration, int | float) else 0.0,
        phase=when,
        message=message,
        exc_type=message.partition(":")[0] if kind in (FAILED, ERROR) and ":" in message else "",
        details=message,
    )
