"""The report's Markdown and HTML pinned byte for byte (as coverage.py pins its HTML and XML reports).

A change to a renderer shows here as a diff of whole documents; a change
meant to alter them is confirmed by regenerating the files:
``COVSPLIT_UPDATE_GOLDEN=1 make test ARGS="tests/unit/test_report_golden.py"``, then reading the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_report import all_green, make_project, render, write_aggregate, write_status

from covsplit import config, status

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "golden"
_NOW = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC")


def passing(cfg: config.Config) -> None:
    all_green(cfg)


def failed_and_crashed(cfg: config.Config) -> None:
    all_green(cfg)
    write_status(
        cfg,
        "worker1",
        state=status.FAILED,
        exit_status=1,
        outcomes={"tests": 10, "passed": 7, "failed": 2, "errors": 1, "skipped": 0},
        failure_categories={"TypeError": 2, "Setup error: ValueError": 1},
    )
    write_status(
        cfg, "worker2", state=status.CRASHED, outcomes=None, message="pytest was killed by SIGSEGV while running x"
    )


def stale(cfg: config.Config) -> None:
    all_green(cfg)
    write_aggregate(
        cfg,
        {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)},
        generated_at="2026-11-24T11:00:00+00:00",
    )


def nothing_run(cfg: config.Config) -> None:
    pass


SCENARIOS: dict[str, Callable[[config.Config], None]] = {
    "passing": passing,
    "failed_and_crashed": failed_and_crashed,
    "stale": stale,
    "nothing_run": nothing_run,
}


def normalised(text: str, tmp_path: Path) -> str:
    # Where the test ran, where this checkout is and when the report was made are not the renderer's output.
    return _NOW.sub("<now>", text.replace(str(tmp_path), "<suite>").replace(str(REPO), "<checkout>"))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_report_outputs_match_the_golden_files(scenario: str, tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    SCENARIOS[scenario](cfg)
    _model, md, html_text = render(cfg)
    for suffix, text in (("md", md), ("html", html_text)):
        got = normalised(text, tmp_path)
        golden = GOLDEN / f"report_{scenario}.{suffix}"
        if os.environ.get("COVSPLIT_UPDATE_GOLDEN") == "1":
            golden.write_text(got, encoding="utf-8")
        assert golden.is_file(), f"{golden} is missing: run with COVSPLIT_UPDATE_GOLDEN=1 once"
        assert got == golden.read_text(encoding="utf-8"), f"{golden.name} differs"
