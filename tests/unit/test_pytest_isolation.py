"""Unit tests of covsplit.pytest_isolation: ``--cov-reset`` drops the target's ``--cov-report`` options too.

:func:`reports_after_reset` is tested on argument lists; the hook through
real pytest runs (pytester).  pytest-cov is not installed where the unit
tests run, so a stand-in plugin declares its two options as pytest-cov
does and prints the ``cov_report`` that pytest-cov would read at the same
moment (its own ``pytest_load_initial_conftests``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit.pytest_isolation import reports_after_reset

pytest_plugins = ["pytester"]

# Declares pytest-cov's options and shows what pytest-cov would read when it starts.
STAND_IN = """
import json

def pytest_addoption(parser):
    group = parser.getgroup("cov")
    group.addoption("--cov-report", action="append", default=[], dest="cov_report")
    group.addoption("--cov-reset", action="store_true", dest="cov_reset")

def pytest_load_initial_conftests(early_config, parser, args):
    print("COV_REPORT=" + json.dumps(early_config.known_args_namespace.cov_report))
"""


def test_without_a_reset_nothing_changes() -> None:
    assert reports_after_reset(["--cov-report=html:htmlcov", "tests"]) is None
    assert reports_after_reset([]) is None


def test_only_the_reports_after_the_last_reset_are_kept() -> None:
    args = [
        "--cov-report=html:htmlcov",
        "--cov-reset",
        "--cov-report=xml:first.xml",
        "--cov-reset",
        "--cov-report=json:out/w1.json",
        "--cov-report",
        "term-missing",
        "tests",
    ]
    assert reports_after_reset(args) == {"json": "out/w1.json", "term-missing": None}


def test_a_reset_with_no_report_after_it_keeps_none() -> None:
    assert reports_after_reset(["--cov-report=html:htmlcov", "--cov-reset"]) == {}


def test_a_report_option_given_last_without_its_value_is_read_as_empty() -> None:
    assert reports_after_reset(["--cov-reset", "--cov-report"]) == {"": None}


def test_path_arguments_are_read_as_text() -> None:
    # pytest's args are typed as text, but a caller (pytester's in-process runs among them) may pass paths.
    args = [Path("--cov-reset"), "--cov-report=xml:c.xml"]
    assert reports_after_reset(args) == {"xml": "c.xml"}  # type: ignore[arg-type]


def cov_report(pytester: pytest.Pytester, *args: str) -> object:
    pytester.makepyfile(covstandin=STAND_IN, test_a="def test_ok():\n    pass\n")
    pytester.syspathinsert()
    result = pytester.runpytest("-s", "-p", "covstandin", *args)
    line = next(text for text in result.outlines if text.startswith("COV_REPORT="))
    return json.loads(line.partition("=")[2])


def test_the_targets_addopts_reports_are_dropped_by_the_workers_reset(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = --cov-report=html:htmlcov --cov-report=xml\n")
    found = cov_report(
        pytester, "-p", "covsplit.pytest_isolation", "--cov-reset", "--cov-report=json:coverage_output/w1.json"
    )
    assert found == {"json": "coverage_output/w1.json"}


def test_reports_from_pytest_addopts_are_dropped_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "--cov-report=html:htmlcov")
    found = cov_report(pytester, "-p", "covsplit.pytest_isolation", "--cov-reset", "--cov-report=term")
    assert found == {"term": None}


def test_without_the_plugin_pytest_cov_would_keep_the_targets_reports(pytester: pytest.Pytester) -> None:
    # The stand-in itself changes nothing: the tests above see the plugin's work, not the stand-in's.
    pytester.makeini("[pytest]\naddopts = --cov-report=html:htmlcov\n")
    assert cov_report(pytester, "--cov-reset", "--cov-report=term") == ["html:htmlcov", "term"]


def test_without_a_reset_the_plugin_leaves_the_reports_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = --cov-report=html:htmlcov\n")
    assert cov_report(pytester, "-p", "covsplit.pytest_isolation", "--cov-report=term") == ["html:htmlcov", "term"]
