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
from typing import Any

import pytest
from test_report import all_green, make_project, render, write_aggregate, write_status, write_worker_json

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


def outdated(cfg: config.Config) -> None:
    all_green(cfg)
    write_aggregate(
        cfg,
        {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)},
        generated_at="2026-11-24T11:00:00+00:00",
    )


def nothing_run(cfg: config.Config) -> None:
    pass


def much_to_do(cfg: config.Config) -> config.Config:
    """Every kind of next step the two workers can give at once, and titles that need escaping."""
    (cfg.root / "pkg" / "d.py").write_text("y = 1\nz = 2\n")
    (cfg.root / "tests" / "test_orphan.py").write_text("def test_x():\n    pass\n")
    write_status(
        cfg,
        "worker1",
        state=status.FAILED,
        exit_status=1,
        duration_s=30.0,
        outcomes={"tests": 10, "passed": 6, "failed": 3, "errors": 1, "skipped": 0},
        failure_categories={"AssertionError": 3, "Setup error: fixture 'db' not found": 1},
        failure_files={
            "AssertionError": ["tests/test_a.py"],
            "Setup error: fixture 'db' not found": ["tests/test_a.py"],
        },
    )
    write_status(cfg, "worker2")
    write_worker_json(cfg, "worker1", {"pkg/a.py": (60, 36, 10, 4)})
    write_worker_json(cfg, "worker2", {"pkg/b.py": (120, 80, 4, 4), "pkg/c.py": (120, 120, 2, 1)})
    write_aggregate(cfg, {"pkg/a.py": (60, 36, 10, 4), "pkg/b.py": (120, 80, 4, 4), "pkg/c.py": (120, 120, 2, 1)})
    # pkg/d.py is new since the split was written: owned by no worker.
    return config.load(cfg.path)


SCENARIOS: dict[str, Callable[[config.Config], config.Config | None]] = {
    "passing": passing,
    "failed_and_crashed": failed_and_crashed,
    "outdated": outdated,
    "nothing_run": nothing_run,
    "much_to_do": much_to_do,
}
# Projects other than make_project's default.
PROJECTS: dict[str, dict[str, Any]] = {
    "much_to_do": {
        # worker2 is heavy by its two modules together, none of them alone: a split can fix that.
        "sizes": {"pkg/a.py": 60, "pkg/b.py": 120, "pkg/c.py": 120},
        "titles": ("Alpha | <fast>", "Beta & co"),
    },
}


def normalised(text: str, tmp_path: Path) -> str:
    # Where the test ran, where this checkout is and when the report was made are not the renderer's output.
    return _NOW.sub("<now>", text.replace(str(tmp_path), "<suite>").replace(str(REPO), "<checkout>"))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_report_outputs_match_the_golden_files(scenario: str, tmp_path: Path) -> None:
    cfg = make_project(tmp_path, **PROJECTS.get(scenario, {}))
    cfg = SCENARIOS[scenario](cfg) or cfg
    _model, md, html_text = render(cfg)
    for suffix, text in (("md", md), ("html", html_text)):
        got = normalised(text, tmp_path)
        golden = GOLDEN / f"report_{scenario}.{suffix}"
        if os.environ.get("COVSPLIT_UPDATE_GOLDEN") == "1":
            golden.write_text(got, encoding="utf-8")
        assert golden.is_file(), f"{golden} is missing: run with COVSPLIT_UPDATE_GOLDEN=1 once"
        assert got == golden.read_text(encoding="utf-8"), f"{golden.name} differs"
