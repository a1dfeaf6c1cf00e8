"""A test file the schedule shares between workers is measured and re-run one test at a time (covsplit.contexts)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from test_file_grain import JUNIT, case, grain_record, plan_now, write_data
from test_inputs import make_project

from covsplit import context_data, durations, file_grain, fsio, junit, source_shape
from covsplit.config import Config
from covsplit.contexts import COLLECT, fixtures_of
from covsplit.schedule_file import SharedFile

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
HEAVY = "tests/one/test_a.py"
UNITS = (f"{HEAVY}::test_a", f"{HEAVY}::test_b")
SOURCE = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"


def test_the_plugin_measures_a_per_test_file_one_context_per_test_and_its_shared_fixtures_apart(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/a.py").write_text(SOURCE + "\n\ndef setup():\n    return 3\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_heavy.py").write_text(
        "import pytest\nfrom pkg.a import a, b, setup\n\n\n@pytest.fixture(scope='module')\ndef ready():\n"
        "    return setup()\n\n\ndef test_a(ready):\n    assert a() == 1\n\n\ndef test_b(ready):\n    assert b() == 2\n"
    )
    (tmp_path / "tests/test_light.py").write_text("from pkg.a import a\n\n\ndef test_light():\n    assert a() == 1\n")
    command = [
        sys.executable, "-m", "coverage", "run", "--branch", "--source=pkg", "-m", "pytest", "tests", "-q",
        "-p", "no:cacheprovider", "-p", "covsplit.pytest_contexts", "--covsplit-contexts",
        "--covsplit-per-test=tests/test_heavy.py",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS), str(tmp_path)])}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = context_data.measured(tmp_path / ".coverage")
    assert found is not None
    assert set(found.by_context) == {
        COLLECT, "tests/test_heavy.py::test_a", "tests/test_heavy.py::test_b", fixtures_of("tests/test_heavy.py"),
        "tests/test_light.py",
    }  # fmt: skip
    path = str(tmp_path / "pkg/a.py")
    lines = context_data.lines_by_context(tmp_path / ".coverage", path)
    assert lines is not None
    # a() runs in test_a's context only, setup() in the file's fixtures' context only.
    assert 2 in lines["tests/test_heavy.py::test_a"] and 2 not in lines["tests/test_heavy.py::test_b"]
    assert 10 in lines[fixtures_of("tests/test_heavy.py")] and 10 not in lines["tests/test_heavy.py::test_a"]


def shared_project(tmp_path: Path) -> tuple[Config, dict]:
    """worker1 shares tests/one/test_a.py with worker2, per_test_contexts on: its two tests are units.

    Off (the default), the file is one unit as any other.  test_a ran a(), test_b ran b().
    """
    cfg = make_project(tmp_path)
    (tmp_path / "pkg/a.py").write_text(SOURCE)
    (tmp_path / HEAVY).write_text(
        "from pkg.a import a, b\n\ndef test_a():\n    assert a() == 1\n\ndef test_b():\n    assert b() == 2\n"
    )
    shared = {HEAVY: SharedFile("worker1", {"worker2": (UNITS[1],)})}
    assert file_grain.per_test_files(dataclasses.replace(cfg, shared=shared), cfg.worker("worker1")) == ()
    cfg = dataclasses.replace(cfg, shared=shared, per_test_contexts=True)
    record = grain_record(cfg)
    grain = record[file_grain.KEY]
    grain["tests"] = {unit: ["pkg/a.py", HEAVY] for unit in UNITS}
    grain["contexts"] = list(UNITS)
    grain["per_test"] = [HEAVY]
    grain["shapes"]["pkg/a.py"] = source_shape.shape(SOURCE)
    grain["shapes"]["pkg/a.py"]["source"] = source_shape.keep(cfg.layout.measured_sources, SOURCE)
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    return cfg, record


def test_a_body_edit_runs_the_tests_of_a_shared_file_that_ran_it_not_the_file(tmp_path: Path) -> None:
    cfg, record = shared_project(tmp_path)
    assert file_grain.per_test_files(cfg, cfg.worker("worker1")) == (HEAVY,)
    path = str(tmp_path / "pkg/a.py")
    by_test = {UNITS[0]: {path: [(-1, 2), (2, -1)]}, UNITS[1]: {path: [(-5, 6), (6, -5)]}}
    write_data(cfg.layout.worker("worker1").data_file, {COLLECT: {path: [(-1, 1), (1, 5), (5, -1)]}, **by_test})
    (tmp_path / "pkg/a.py").write_text(SOURCE.replace("    return 1\n", "    x = 1\n    return x\n"))
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial) and found.run == (UNITS[0],)
    assert found.why == ("pkg/a.py changed in a() (1 test ran it)",)
    assert found.runs(UNITS[0]) and not found.runs(UNITS[1])
    assert found.describe(2).startswith("1 test, of 2 test files and tests (")

    # What the file's module- and class-scoped fixtures ran, every test of it shares: an edit there runs them all.
    write_data(
        cfg.layout.worker("worker1").data_file,
        {COLLECT: {path: [(-1, 1), (1, 5), (5, -1)]}, **by_test, fixtures_of(HEAVY): {path: [(-1, 2), (2, -1)]}},
    )
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial) and found.run == UNITS


def test_an_edit_of_a_shared_file_runs_it_whole_and_another_schedule_runs_the_worker_whole(tmp_path: Path) -> None:
    cfg, record = shared_project(tmp_path)
    (tmp_path / HEAVY).write_text((tmp_path / HEAVY).read_text() + "\n\ndef test_c():\n    pass\n")
    found = plan_now(cfg, record)
    # The file itself is named, so that its new test runs too; its units, so that their old data goes.
    assert isinstance(found, file_grain.Partial) and found.run == (HEAVY, *UNITS)
    assert found.runs(f"{HEAVY}::test_c") and found.describe(2).startswith("1 of 2 test files (")
    # Another schedule: the worker's settings changed, and its record names other per-test files.
    assert plan_now(dataclasses.replace(cfg, shared={}), record) == "its setting shared in workers.toml changed"
    record[file_grain.KEY]["per_test"] = []
    assert plan_now(cfg, record) == "the test files it measures one test at a time are others now"


def test_kept_tests_of_a_shared_file_join_the_rerun_ones_in_collection_order(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_a.py").write_text("")
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    old.write_text(JUNIT.format(n=3, cases=case("test_a", "t1") + case("test_a", "t2", True) + case("test_a", "t3")))
    new.write_text(JUNIT.format(n=1, cases=case("test_a", "t2")))
    kept = {"tests/test_a.py::t1", "tests/test_a.py::t3"}
    order = {f"tests/test_a.py::t{n}": n for n in (1, 2, 3)}
    junit.merge_kept(old, new, tmp_path, lambda node, file: node in kept, {"tests/test_a.py": 0}, order)
    results = junit.read_junit(new, tmp_path)
    assert [(r.nodeid, r.outcome) for r in results] == [
        ("tests/test_a.py::t1", "passed"),
        ("tests/test_a.py::t2", "passed"),
        ("tests/test_a.py::t3", "passed"),
    ]


def test_a_kept_test_keeps_its_seconds_and_adds_them_to_its_files(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    previous = {
        "schema": durations.SCHEMA, "worker": "w", "wall_s": 10.0, "fixed_s": 1.0, "contention": 1.0,
        "files": {"h.py": 9.0}, "collect": {"h.py": 0.5}, "tests": {"h.py": {"h.py::t1": 4.0, "h.py::t2": 4.5}},
    }  # fmt: skip
    fsio.write_json(
        path,
        {
            "schema": durations.SCHEMA, "worker": "w", "wall_s": 5.0, "fixed_s": 0.5, "contention": 1.0,
            "files": {"h.py": 5.5}, "collect": {"h.py": 0.5}, "tests": {"h.py": {"h.py::t2": 5.0}},
        },
    )  # fmt: skip
    durations.keep_files(path, previous, ["h.py::t1"])
    merged = fsio.read_json(path)
    assert merged["tests"] == {"h.py": {"h.py::t1": 4.0, "h.py::t2": 5.0}}
    assert merged["files"] == {"h.py": 9.5}
