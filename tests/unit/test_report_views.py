"""Unit tests of covsplit.report.views: what the views promise the templates, on hand-made views.

The templates read these fields and properties and compute nothing, so a
wrong label or tally here is a wrong report.  The views are built with
test_report_next_steps' small builders (no files, no config).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from fractions import Fraction

import pytest
from test_report_next_steps import combined, worker

from covsplit import status
from covsplit.numbers import Counts
from covsplit.report.views import (
    FINISHED,
    STATE_ICONS,
    STATE_LABELS,
    CombinedModel,
    FileRow,
    as_percent,
)


def test_every_state_a_worker_can_be_in_has_a_label_and_an_icon() -> None:
    states = {*status.STATES, status.NOT_RUN}
    assert set(STATE_LABELS) == states and set(STATE_ICONS) == states


@pytest.mark.parametrize(
    ("state", "label", "heading"),
    [
        (status.PASSED, "completed", "✅ COMPLETED"),
        (status.FAILED, "tests failed", "❌ TESTS FAILED"),
        (status.CRASHED, "crashed", "💥 CRASHED"),
        (status.TIMEOUT, "timed out", "⏱️ TIMED OUT"),
        (status.NOT_RUN, "not run", "⏳ NOT RUN"),
        (status.RUNNING, "running", "🔄 RUNNING"),
    ],
)
def test_each_state_reads_as_its_label_and_heading(state: str, label: str, heading: str) -> None:
    w = worker("alpha", state)
    assert (w.state_label, w.state_heading) == (label, heading)


def test_a_state_this_version_does_not_know_is_shown_as_written_without_an_icon() -> None:
    w = worker("alpha", "exploded")
    assert (w.state_label, w.state_heading) == ("exploded", "EXPLODED")


def test_only_a_worker_that_passed_or_failed_has_finished() -> None:
    assert {status.PASSED, status.FAILED} == FINISHED
    assert [worker("a", s).finished for s in (status.PASSED, status.FAILED)] == [True, True]
    assert not any(worker("a", s).finished for s in (status.CRASHED, status.TIMEOUT, status.RUNNING, status.NOT_RUN))


def test_problems_are_failures_plus_errors_and_none_without_outcomes() -> None:
    outcomes = {"tests": 9, "passed": 4, "failed": 3, "errors": 2, "skipped": 0}
    assert worker("a", status.FAILED, outcomes=outcomes).problems == 5
    assert worker("a", outcomes={"tests": 1, "passed": 1}).problems == 0  # tallies it lacks count 0
    assert worker("a", status.CRASHED, outcomes=None).problems == 0
    assert worker("a", outcomes={}).problems == 0


def test_the_share_reads_as_a_percentage_of_the_target() -> None:
    assert worker("a", share=Fraction(3, 2)).share_percent == 150
    assert worker("a", share=Fraction(1, 3)).share_percent == Fraction(100, 3)
    assert worker("a", share=None).share_percent is None
    assert (as_percent(Fraction(0)), as_percent(None)) == (0, None)


def test_gate_counts_are_the_covered_and_total_behind_each_gate() -> None:
    counts = Counts(statements=200, covered_lines=150, branches=40, covered_branches=10)
    assert combined(coverage=counts).gate_counts == {"line": (150, 200), "branch": (10, 40)}


def test_gate_counts_of_data_without_branches_are_unknown() -> None:
    c = combined(coverage=Counts(statements=5, covered_lines=5))
    assert c.gate_counts == {"line": (5, 5), "branch": (None, None)}


def test_a_file_row_has_no_source_until_it_is_measured() -> None:
    row = FileRow("pkg/a.py", "alpha", Counts(statements=3))
    assert row.source == ""
    assert replace(row, source="combined").source == "combined"


def test_views_are_frozen() -> None:
    c = combined()
    assert isinstance(c, CombinedModel)
    with pytest.raises(FrozenInstanceError):
        c.complete = False  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        FileRow("p", None, Counts()).path = "q"  # type: ignore[misc]
