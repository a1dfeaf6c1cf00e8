"""Unit tests of covsplit.plan_inputs: what the planner reads once (workers.toml leniently, the code, the tests
and earlier runs' seconds), since a plan is only as right as these inputs, and a stale split must still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plan_helpers import inputs_for, write_project

from covsplit import config_options
from covsplit.plan_inputs import (
    Inputs,
    OldWorker,
    expand_tests,
    gather,
    load_settings,
    resolver_check,
    seconds_per_test,
)

TESTS = ["tests/test_core.py", "tests/io/test_read.py", "tests/io/test_write.py", "tests/slow/test_big.py"]

WORKERS_TOML = """\
[project]
root = "proj"
source = ["pkg"]
tests = "tests"
not_run = ["tests/slow"]
keep_together = [["tests/io/test_read.py", "tests/io/test_write.py"]]

[thresholds]
balance = 1.25

[workers.worker1]
title = "Core"
modules = ["pkg.core", "pkg.gone"]
tests = ["tests/test_core.py"]

[workers.worker2]
modules = ["pkg.io", 3, "pkg.io.read"]

[workers.broken]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write_project(root, {"pkg/__init__.py": -1, "pkg/core.py": 4, "pkg/io/read.py": 2, "pkg/io/write.py": 0}, TESTS)
    (tmp_path / "workers.toml").write_text(WORKERS_TOML)
    return tmp_path / "workers.toml"


def test_the_workers_are_read_as_written_even_when_stale(project: Path) -> None:
    settings = load_settings(project)
    assert settings.text == WORKERS_TOML
    # A module since removed is recorded, not raised; a worker without a title is titled by its name; a worker
    # without tests runs the project's (less not_run); a non-string module is ignored; an empty table owns nothing;
    # a module named twice (pkg.io.read, inside pkg.io) is owned once.
    assert settings.old == (
        OldWorker(
            "worker1", "Core", ("pkg.core", "pkg.gone"), ("pkg/core.py",), ("tests/test_core.py",), ("pkg.gone",)
        ),
        OldWorker(
            "worker2",
            "worker2",
            ("pkg.io", "pkg.io.read"),
            ("pkg/io/read.py", "pkg/io/write.py"),
            ("tests/io/test_read.py", "tests/io/test_write.py", "tests/test_core.py"),
        ),
        OldWorker(
            "broken", "broken", (), (), ("tests/io/test_read.py", "tests/io/test_write.py", "tests/test_core.py")
        ),
    )


def test_workers_that_are_not_tables_are_no_old_workers(project: Path) -> None:
    settings = WORKERS_TOML.split("[workers.worker1]")[0]
    project.write_text(settings)
    assert load_settings(project).old == ()
    project.write_text('workers = "all"\n' + settings)
    assert load_settings(project).old == ()
    project.write_text(settings + "[workers]\noops = 3\n")
    assert load_settings(project).old == ()


def test_gather_reads_code_statements_tests_and_settings(project: Path) -> None:
    inputs = gather(load_settings(project).cfg)
    assert inputs.source == ("pkg",)
    assert inputs.files == ("pkg/__init__.py", "pkg/core.py", "pkg/io/read.py", "pkg/io/write.py")
    assert dict(inputs.statements) == {
        "pkg/__init__.py": 0,
        "pkg/core.py": 4,
        "pkg/io/read.py": 2,
        "pkg/io/write.py": 0,
    }
    assert inputs.blank == frozenset({"pkg/__init__.py"})
    # not_run narrows the scope; the left-out file is out of scope, so its folder is never written whole.
    assert inputs.test_files == ("tests/io/test_read.py", "tests/io/test_write.py", "tests/test_core.py")
    assert inputs.out_of_scope == frozenset({"tests/slow/test_big.py"})
    assert inputs.tolerance == 1.25
    assert inputs.together == (("tests/io/test_read.py", "tests/io/test_write.py"),)
    assert inputs.durations == {} and inputs.fixed == 0.0
    assert inputs.nameable("pkg.io", ("pkg/io/read.py", "pkg/io/write.py"))


def test_gather_takes_measured_seconds_of_the_files_in_scope(project: Path) -> None:
    output = project.parent / "coverage_output"
    output.mkdir()
    record = {
        "schema": 1,
        "worker": "worker1",
        "wall_s": 4.0,
        "fixed_s": 1.0,
        "files": {"tests/test_core.py": 3.0, "tests/slow/test_big.py": 2.0},
        "tests": {
            "tests/test_core.py": {"tests/test_core.py::test_ok": 3.0},
            "tests/slow/test_big.py": {"tests/slow/test_big.py::test_ok": 2.0},
        },
    }
    (output / "worker1_durations.json").write_text(json.dumps(record))
    inputs = gather(load_settings(project).cfg)
    assert inputs.durations == {"tests/test_core.py": 3.0, "tests/slow/test_big.py": 2.0}
    assert inputs.fixed == 1.0
    # Only the tests of files in scope can be shared between workers.
    assert inputs.tests == {"tests/test_core.py": {"tests/test_core.py::test_ok": 3.0}}


def test_a_tests_entry_expands_to_the_test_files_it_makes_pytest_run(tmp_path: Path) -> None:
    write_project(tmp_path, {}, TESTS)
    assert expand_tests(tmp_path, "tests/io", TESTS) == ["tests/io/test_read.py", "tests/io/test_write.py"]
    assert expand_tests(tmp_path, "tests/io/", TESTS) == ["tests/io/test_read.py", "tests/io/test_write.py"]
    assert expand_tests(tmp_path, "tests/test_core.py::test_ok", TESTS) == ["tests/test_core.py"]
    assert expand_tests(tmp_path, ".", TESTS) == TESTS
    assert expand_tests(tmp_path, "", TESTS) == TESTS


def test_an_entry_names_no_file_outside_the_discovered_ones(tmp_path: Path) -> None:
    write_project(tmp_path, {}, [*TESTS, "tests/io_extra/test_x.py"])
    # A file on disk but not discovered (left out), a folder only sharing a prefix, and nothing at all.
    assert expand_tests(tmp_path, "tests/slow/test_big.py", TESTS[:3]) == []
    assert expand_tests(tmp_path, "tests/io", [*TESTS, "tests/io_extra/test_x.py"]) == TESTS[1:3]
    assert expand_tests(tmp_path, "tests/missing", TESTS) == []


def test_a_dotted_name_is_nameable_only_for_exactly_its_files(tmp_path: Path) -> None:
    write_project(tmp_path, {"pkg/a.py": 1, "pkg/b.py": 1, "pkg/8ball.py": 1}, [])
    nameable = resolver_check(tmp_path, ".")
    assert nameable("pkg.a", ("pkg/a.py",))
    assert not nameable("pkg", ("pkg/a.py", "pkg/b.py"))  # pkg also holds 8ball.py
    assert nameable("pkg", ("pkg/a.py", "pkg/b.py", "pkg/8ball.py"))
    assert not nameable("pkg.missing", ())


def test_unmeasured_test_files_weigh_the_mean_of_the_measured_ones() -> None:
    inputs = inputs_for(
        {}, ["tests/a.py", "tests/b.py", "tests/c.py"], durations={"tests/a.py": 1.0, "tests/b.py": 3.0}
    )
    assert seconds_per_test(inputs) == ({"tests/a.py": 1.0, "tests/b.py": 3.0, "tests/c.py": 2.0}, 2.0)
    # Nothing measured: every file weighs a second, and there is no mean.
    assert seconds_per_test(inputs_for({}, ["tests/a.py"])) == ({"tests/a.py": 1.0}, None)


def test_inputs_default_to_the_default_tolerance_and_name_everything() -> None:
    inputs = Inputs(source_dir=".", source=(), test_root="tests", files=(), statements={}, test_files=())
    assert inputs.tolerance == config_options.DEFAULT_BALANCE_TOLERANCE
    assert inputs.nameable("any.thing", ())
