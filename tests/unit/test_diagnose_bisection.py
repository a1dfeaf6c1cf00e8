"""covsplit.diagnose: the serial run, the bisection and the fix, on a tiny real pytest project run by real pytest."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from covsplit import config, diagnose, diagnose_run, fsio, status
from covsplit.plan_toml import set_keep_together

SUB = "tests/test_a.py::test_double"
USES_SUB = "tests/test_b.py::test_uses_sub"
ENABLE = "tests/test_cache.py::TestEnable::test_enable"
CACHED = "tests/test_cache.py::TestCached::test_cached"
BROKEN = "tests/test_genuine.py::test_broken"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path: Path) -> config.Config:
    """A suite whose tests depend on order in the two ways real suites do, a genuine failure, and filler."""
    write(
        tmp_path,
        {
            "pytest.ini": "[pytest]\npythonpath = .\n",
            "pkg/__init__.py": "",
            "pkg/sub.py": "def double(x):\n    return 2 * x\n",
            "pkg/cache.py": "ON = []\n",
            "tests/test_a.py": "import pkg.sub\n\ndef test_double():\n    assert pkg.sub.double(2) == 4\n",
            "tests/test_b.py": "import pkg\n\ndef test_uses_sub():\n    assert pkg.sub.double(1) == 2\n",
            "tests/test_cache.py": """\
                from pkg import cache

                class TestEnable:
                    def test_enable(self):
                        cache.ON.append(1)

                class TestCached:
                    def test_cached(self):
                        assert cache.ON
            """,
            "tests/test_filler.py": "".join(f"def test_fill_{i}():\n    pass\n\n" for i in range(9)),
            "tests/test_genuine.py": "def test_broken():\n    assert 1 == 2\n",
            "workers.toml": '[project]\nsource = ["pkg"]\n\n[workers.w1]\nmodules = ["pkg"]\n',
        },
    )
    return config.load(tmp_path / "workers.toml")


def runner(cfg: config.Config, tmp_path: Path) -> diagnose_run.PytestRunner:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return diagnose_run.PytestRunner(cfg, sys.executable, dict(os.environ), scratch)


def test_the_serial_order_is_pytests_collection_relative_to_the_root(project: config.Config) -> None:
    order = diagnose_run.serial_order(project, sys.executable, dict(os.environ))
    assert order[:2] == [SUB, USES_SUB]
    assert order.index(ENABLE) + 1 == order.index(CACHED)
    assert order[-1] == BROKEN and len(order) == 14


def test_a_run_runs_exactly_the_tests_given_in_the_order_given(project: config.Config, tmp_path: Path) -> None:
    run = runner(project, tmp_path)
    assert run([ENABLE, CACHED]) == {ENABLE: "passed", CACHED: "passed"}
    # The other way round the cache is off when TestCached runs: the order was kept, and nothing else ran.
    assert run([CACHED, ENABLE]) == {CACHED: "failed", ENABLE: "passed"}


def test_each_failure_is_the_projects_own_or_the_splits_with_the_tests_it_needs(
    project: config.Config, tmp_path: Path
) -> None:
    order = diagnose_run.serial_order(project, sys.executable, dict(os.environ))
    failing = {USES_SUB: "w2", CACHED: "w3", BROKEN: "w2"}
    findings, runs, seconds = diagnose.diagnose(order, failing, runner(project, tmp_path))
    by_test = {f.test: f for f in findings}
    assert by_test[BROKEN].verdict == diagnose.SERIAL
    # The file that imports pkg.sub is what test_b needs: its test is the one found, and the files go together.
    assert by_test[USES_SUB].verdict == diagnose.SPLIT
    assert by_test[USES_SUB].needs == (SUB,)
    assert by_test[USES_SUB].group == ("tests/test_a.py", "tests/test_b.py")
    # Among the 11 tests before it, the one class that switches the cache on; the classes go together.
    assert by_test[CACHED].needs == (ENABLE,)
    assert by_test[CACHED].group == ("tests/test_cache.py::TestEnable", "tests/test_cache.py::TestCached")
    # Bisection, not one run per earlier test.
    assert by_test[CACHED].runs <= 7
    assert runs == 1 + by_test[USES_SUB].runs + by_test[CACHED].runs
    assert seconds > 0


def test_a_test_that_needs_two_others_gets_both_in_serial_order() -> None:
    order = [f"t.py::test_{i}" for i in range(20)]
    needs = {"t.py::test_3", "t.py::test_11"}

    def run(tests: list[str]) -> dict[str, str]:
        return {t: "passed" if t != "t.py::test_19" or needs <= set(tests[:-1]) else "failed" for t in tests}

    [finding], _, _ = diagnose.diagnose(order, {"t.py::test_19": "w1"}, run)
    assert finding.needs == ("t.py::test_3", "t.py::test_11")
    assert finding.group == ("t.py::test_3", "t.py::test_11", "t.py::test_19")


def test_a_test_that_passes_alone_is_not_blamed_on_a_missing_test() -> None:
    def run(tests: list[str]) -> dict[str, str]:
        return dict.fromkeys(tests, "passed")

    [finding], runs, _ = diagnose.diagnose(["a.py::x", "a.py::y"], {"a.py::y": "w1"}, run)
    assert finding.verdict == diagnose.ALONE and finding.group == ()
    assert runs == 2


def test_past_the_deadline_no_run_starts_and_the_rest_is_unfinished() -> None:
    clock = iter(range(0, 1000, 10))
    findings, runs, _ = diagnose.diagnose(
        ["a.py::x", "a.py::y"], {"a.py::y": "w1", "b.py::z": "w1"}, lambda ts: dict.fromkeys(ts, "passed"),
        clock=lambda: next(clock), deadline=5,
    )  # fmt: skip
    assert [(f.test, f.verdict) for f in findings] == [("a.py::y", diagnose.UNFINISHED), ("b.py::z", "not collected")]
    assert runs == 1


def test_groups_merge_with_the_ones_already_kept_together() -> None:
    existing = [["tests/a.py", "tests/c.py"], ["tests/d.py::TestX", "tests/d.py::TestY"]]
    groups, added = diagnose.merge_groups(
        existing,
        [
            ("tests/a.py", "tests/b.py"),  # joins the first group
            ("tests/a.py", "tests/c.py"),  # already held
            ("tests/d.py::TestY", "tests/d.py::TestZ"),  # joins the node id group of d.py
            ("tests/e.py::TestA", "tests/e.py::TestB"),  # new
        ],
    )
    assert groups == (
        ("tests/a.py", "tests/c.py", "tests/b.py"),
        ("tests/d.py::TestX", "tests/d.py::TestY", "tests/d.py::TestZ"),
        ("tests/e.py::TestA", "tests/e.py::TestB"),
    )
    assert len(added) == 3
    # A file kept whole makes the classes of that file kept together redundant.
    groups, _ = diagnose.merge_groups(groups, [("tests/d.py", "tests/f.py")])
    assert ("tests/d.py", "tests/f.py") in groups and not any("tests/d.py::TestX" in g for g in groups)


def test_one_class_gives_its_test_ids_parameters_dropped() -> None:
    group = diagnose.keep_together_group("f.py::TestA::test_b[2]", ["f.py::TestA::test_a[1]"])
    assert group == ("f.py::TestA::test_a", "f.py::TestA::test_b")


def test_a_diagnosis_counts_only_for_the_runs_it_diagnosed(project: config.Config) -> None:
    paths = project.layout.worker("w1")
    paths.output_dir.mkdir(parents=True)
    status.write(paths.status, {"state": status.FAILED, "started_at": "2026-01-01T00:00:00+00:00"})
    paths.junit.write_text(
        '<testsuite><testcase classname="tests.test_b" name="test_uses_sub" file="tests/test_b.py">'
        '<failure message="AttributeError"/></testcase></testsuite>'
    )
    assert diagnose_run.failing_tests(project) == ({USES_SUB: "w1"}, {"w1": "2026-01-01T00:00:00+00:00"})
    assert diagnose_run.due(project, 60) and not diagnose_run.due(project, 0)
    finding = diagnose.Finding(USES_SUB, "w1", diagnose.SPLIT, (SUB,), ("tests/test_a.py", "tests/test_b.py"), 3, 2.0)
    done = diagnose.Diagnosis(runs={"w1": "2026-01-01T00:00:00+00:00"}, findings=[finding])
    fsio.write_json(diagnose.path_for(project), done.as_json())
    assert diagnose.read(diagnose.path_for(project)) == done
    assert not diagnose_run.due(project, 60)
    assert diagnose.current_findings(done, {"w1": "2026-01-01T00:00:00+00:00"}) == {"w1": [finding]}
    # A new run of the worker: the old diagnosis says nothing about it.
    assert diagnose.current_findings(done, {"w1": "2026-01-02T00:00:00+00:00"}) == {}


def test_a_diagnosis_moves_on_to_a_partial_run_that_kept_its_failures_and_not_to_one_that_ran_them(
    project: config.Config,
) -> None:
    first, second, third = "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"
    paths = project.layout.worker("w1")
    paths.output_dir.mkdir(parents=True)
    paths.junit.write_text(
        '<testsuite><testcase classname="tests.test_b" name="test_uses_sub" file="tests/test_b.py">'
        '<failure message="AttributeError"/></testcase></testsuite>'
    )
    finding = diagnose.Finding(USES_SUB, "w1", diagnose.SPLIT, (SUB,), ("tests/test_a.py", "tests/test_b.py"), 3, 2.0)
    fsio.write_json(diagnose.path_for(project), diagnose.Diagnosis(runs={"w1": first}, findings=[finding]).as_json())
    # The next run re-ran another test file and kept the failing one's result from the diagnosed run.
    kept = {"ran": ["tests/test_a.py"], "why": ["pkg/sub.py changed"], "kept_from": first}
    status.write(paths.status, {"state": status.FAILED, "started_at": second, "rerun": kept})
    assert diagnose_run.carry_forward(project) and not diagnose_run.due(project, 60)
    moved = diagnose.read(diagnose.path_for(project))
    assert moved is not None and moved.runs == {"w1": second} and moved.findings == [finding]
    assert diagnose.current_findings(moved, {"w1": second}) == {"w1": [finding]}
    # A run that ran the failing test file again is diagnosed anew, and so is one kept from an undiagnosed run.
    for rerun in ({**kept, "ran": ["tests/test_b.py"], "kept_from": second}, {**kept, "kept_from": first}):
        status.write(paths.status, {"state": status.FAILED, "started_at": third, "rerun": rerun})
        assert not diagnose_run.carry_forward(project) and diagnose_run.due(project, 60)
    # A whole run too.
    status.write(paths.status, {"state": status.FAILED, "started_at": third})
    assert not diagnose_run.carry_forward(project) and diagnose_run.due(project, 60)


def test_the_fix_is_written_into_workers_toml_keeping_its_comments(project: config.Config) -> None:
    text = '# my split\n[project]\nsource = ["pkg"]  # the package\n\n[workers.w1]\nmodules = ["pkg"]\n'
    written = set_keep_together(text, [("tests/test_a.py", "tests/test_b.py")])
    assert written.startswith("# my split\n") and "# the package" in written
    assert config.parse(project.path, __import__("tomllib").loads(written)).keep_together == (
        ("tests/test_a.py", "tests/test_b.py"),
    )
    assert json.loads(json.dumps(diagnose.describe(diagnose.Finding("t", "w", diagnose.SERIAL)))).startswith("fails")


def test_a_serial_run_that_gives_no_outcome_blames_nobody() -> None:
    # pytest crashed or timed out: the failure is not called the project's own.
    [finding], runs, _ = diagnose.diagnose(["a.py::x", "a.py::y"], {"a.py::y": "w1"}, lambda tests: {})
    assert finding.verdict == diagnose.NOT_RUN and runs == 1
