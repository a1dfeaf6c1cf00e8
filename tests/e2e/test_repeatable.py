"""Three full runs in a row give the same combined coverage and the same reports, timestamps and seconds aside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_support import FIXTURES, Suite, copy_suite

pytestmark = pytest.mark.e2e

# What may differ between two runs of the same code: when they ran, and how long things took.
_VARYING = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z| UTC)?"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)?( ?s\b|s\)| seconds)"), "<seconds>"),
    (re.compile(r'data-value="\d+\.\d+"'), 'data-value="<n>"'),
    (
        re.compile(r'"(duration_s|wall_s|fixed_s|session_s|pytest_cpu_s|session_cpu_s|peak_rss_mib)": [\d.]+'),
        r'"\1": <n>',
    ),
    (re.compile(r"(?m)^\| (\S+) \| .*\| (\d+\.\d+) \|$"), r"| \1 | <row with seconds> |"),
    # Figures derived from measured seconds: the time balance, and the step it may call for.
    (re.compile(r"(?m)^.*Max/mean \(seconds\).*$"), "<seconds balance>"),
    (re.compile(r"(?m)^\d+\. Rebalance by time: .*$\n?"), ""),
    (re.compile(r"(?m)^\d+\. "), "- "),  # so a step dropped above does not renumber the rest
    # What the aggregate read includes when each worker ran.
    (re.compile(r'"inputs_digest": "[0-9a-f]+"'), '"inputs_digest": "<digest>"'),
    # Which tests are the slowest is itself a measurement.
    (re.compile(r"(?ms)^### Slowest Tests.*?(?=^#|\Z)"), "<slowest tests>\n"),
]


def normalised(text: str) -> str:
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


def full_run(suite: Suite) -> dict[str, str]:
    # What `make coverage-all` runs: every worker (reports deferred), then the aggregate writing the report.
    suite.nox("-t", "workers", env={"COVSPLIT_DEFER_REPORTS": "1"})
    suite.nox("-s", "aggregate", "--", "--report")
    names = ["combined_coverage.json", "aggregate.json", "report.md", "worker1_coverage.json", "worker2_summary.md"]
    return {name: normalised((suite.output / name).read_text()) for name in names}


def test_three_runs_in_a_row_are_identical(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    first, second, third = (full_run(suite) for _ in range(3))
    for name in first:
        assert first[name] == second[name] == third[name], name
