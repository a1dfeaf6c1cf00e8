"""The suite's record: what a serial pytest collects, kept current, and a run's tally against it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from covsplit import config, schedule_file, suite, suite_files
from covsplit.collection import Collection
from covsplit.digests import DigestCache

LONG_AGO_NS = 1_600_000_000 * 10**9
SNIPPETS = ("tests/snippets/a.txt::a", "tests/snippets/b.txt::b")
ONE = ("tests/one/test_a.py::test_a", "tests/one/test_a.py::test_b")
TWO = ("tests/two/test_c.py::test_c",)


def make_project(tmp_path: Path) -> config.Config:
    """worker1 runs tests/one, worker2 tests/two; tests/snippets holds items a conftest collects from text files."""
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "A = 1\n",
        "pkg/b.py": "B = 2\n",
        "tests/conftest.py": "",
        "tests/one/test_a.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
        "tests/two/test_c.py": "def test_c():\n    pass\n",
        "tests/snippets/a.txt": "a\n",
        "tests/snippets/b.txt": "b\n",
        "tests/one/data.json": "{}\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "workers.toml").write_text(
        """
[project]
source = ["pkg"]

[workers.worker1]
modules = ["pkg.a"]
tests = ["tests/one"]

[workers.worker2]
modules = ["pkg.b"]
tests = ["tests/two"]
"""
    )
    for path in tmp_path.rglob("*"):
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    return config.load(tmp_path / "workers.toml")


def collected(paths: tuple[str, ...], tests: tuple[str, ...], selected: tuple[str, ...] | None = None) -> Collection:
    return Collection(paths, tests, tests if selected is None else selected)


def whole(cfg: config.Config, cache: DigestCache) -> None:
    assert suite.update(cfg, collected(("tests",), (*ONE, *SNIPPETS, *TWO)), "collect", None, cache)


def test_a_whole_collection_becomes_the_record_and_fits_the_tree_it_read(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    assert suite.changes(cfg, suite.read(cfg), cache) == ["the suite was never collected"]

    whole(cfg, cache)

    record = suite.read(cfg)
    assert record is not None and record.by == "collect"
    assert record.tests == (*ONE, *SNIPPETS, *TWO)
    assert record.test_files == (
        "tests/one/test_a.py",
        "tests/snippets/a.txt",
        "tests/snippets/b.txt",
        "tests/two/test_c.py",
    )
    assert suite.changes(cfg, record, cache) == []


def test_what_changes_is_named_file_by_file_and_a_new_file_counts(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    whole(cfg, cache)
    (cfg.root / "tests" / "snippets" / "c.txt").write_text("c\n")
    (cfg.root / "tests" / "conftest.py").write_text("# edited\n")

    assert sorted(suite.changes(cfg, suite.read(cfg), cache)) == ["tests/conftest.py", "tests/snippets/c.txt"]


def test_a_partial_collection_replaces_only_what_lies_under_its_paths(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    whole(cfg, cache)
    edited = cfg.root / "tests" / "one" / "test_a.py"
    edited.write_text("def test_a():\n    pass\n\ndef test_new():\n    pass\n")

    assert suite.changes(cfg, suite.read(cfg), cache) == ["tests/one/test_a.py"]
    fresh = ("tests/one/test_a.py::test_a", "tests/one/test_a.py::test_new")
    assert suite.update(cfg, collected(("tests/one",), fresh), "worker1", None, cache)

    record = suite.read(cfg)
    assert record is not None
    assert record.tests == (*fresh, *SNIPPETS, *TWO)
    assert suite.changes(cfg, record, cache) == []


def test_a_partial_collection_leaves_a_changed_conftest_above_it_unrefreshed(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    whole(cfg, cache)
    (cfg.root / "tests" / "conftest.py").write_text("# makes other items now\n")

    suite.update(cfg, collected(("tests/one",), ONE), "worker1", None, cache)

    assert suite.changes(cfg, suite.read(cfg), cache) == ["tests/conftest.py"]


def test_a_partial_collection_cannot_start_a_record(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    assert not suite.update(cfg, collected(("tests/one",), ONE), "worker1", None, cache)
    assert suite.read(cfg) is None


def test_a_file_changed_while_the_collection_ran_never_matches(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    (cfg.root / "tests" / "snippets" / "a.txt").write_text("a, edited during the run\n")
    suite.update(cfg, collected(("tests",), (*ONE, *SNIPPETS, *TWO)), "collect", LONG_AGO_NS + 1, cache)

    assert suite.changes(cfg, suite.read(cfg), cache) == ["tests/snippets/a.txt"]


def test_only_a_run_holding_every_changed_file_refreshes_the_record(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    worker1, worker2 = cfg.worker("worker1"), cfg.worker("worker2")

    assert suite.refreshed_by(cfg, ["tests/one/test_a.py"], [worker1])
    assert not suite.refreshed_by(cfg, ["tests/one/test_a.py", "tests/snippets/c.txt"], [worker1, worker2])
    assert not suite.refreshed_by(cfg, ["tests/conftest.py"], [worker1, worker2])
    assert not suite.refreshed_by(cfg, ["setting pytest_args"], [worker1])
    assert not suite.refreshed_by(cfg, ["the suite was never collected"], [worker1, worker2])


def test_the_tally_names_tests_missing_doubled_and_foreign() -> None:
    tally = suite.tally(
        (*ONE, *SNIPPETS, *TWO),
        {"worker1": (*ONE, "tests/one/test_a.py::test_gone"), "worker2": (*TWO, ONE[0])},
    )

    assert (tally.suite, tally.ran) == (5, 5)
    assert tally.missing == SNIPPETS
    assert tally.doubled == (ONE[0],)
    assert tally.extra == ("tests/one/test_a.py::test_gone",)
    assert tally.problems() == [
        "2 of the suite's tests run by no worker: tests/snippets/a.txt::a, tests/snippets/b.txt::b",
        "1 of the suite's tests run by more than one worker: tests/one/test_a.py::test_a",
        "1 of the suite's tests run by a worker but not collected by a serial run: tests/one/test_a.py::test_gone",
    ]
    assert suite.tally(ONE, {"worker1": ONE[::-1]}).exact


def test_a_long_list_is_named_by_its_first_few_and_counted() -> None:
    suite_tests = tuple(f"tests/t.py::test_{i}" for i in range(8))
    problems = suite.tally(suite_tests, {"worker1": ()}).problems()
    assert problems == [
        "8 of the suite's tests run by no worker: tests/t.py::test_0, tests/t.py::test_1, tests/t.py::test_2, "
        "tests/t.py::test_3, tests/t.py::test_4 and 3 more"
    ]


def test_the_check_of_a_run_is_unverified_until_the_record_fits_and_every_worker_recorded_its_collection(
    tmp_path: Path,
) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    assert "never collected" in suite.check_run(cfg, ["worker1", "worker2"], cache).unverified
    whole(cfg, cache)
    assert "worker1's run recorded no collection" in suite.check_run(cfg, ["worker1", "worker2"], cache).unverified

    for name, tests in (("worker1", ONE), ("worker2", TWO)):
        path = cfg.layout.worker(name).collection
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(collected((name,), tests).as_dict()))
    check = suite.check_run(cfg, ["worker1", "worker2"], cache)
    assert not check.exact and check.tally is not None and check.tally.missing == SNIPPETS


def test_plan_and_check_see_the_files_a_collection_found_beside_those_found_by_name(tmp_path: Path) -> None:
    cfg, cache = make_project(tmp_path), DigestCache(None)
    assert suite_files.test_files(cfg) == ["tests/one/test_a.py", "tests/two/test_c.py"]
    whole(cfg, cache)
    (cfg.root / "tests" / "snippets" / "b.txt").unlink()

    # Found by name first; then what only the collection knows, while it still exists.
    assert suite_files.test_files(cfg) == ["tests/one/test_a.py", "tests/two/test_c.py", "tests/snippets/a.txt"]
    assert suite_files.test_files(cfg, ["tests/snippets"]) == ["tests/snippets/a.txt"]
    assert suite_files.test_files(cfg, leave_out=["tests/snippets"]) == ["tests/one/test_a.py", "tests/two/test_c.py"]
    # Many paths at once (the report asks for every worker's entries) say what each alone says.
    paths = ["tests", "tests/one", "tests/snippets", "tests/two/test_c.py", "tests/snippets/a.txt::a", "."]
    under = suite_files.test_files_under(cfg, paths, leave_out=())
    assert {path: under[path] for path in paths} == {p: suite_files.test_files(cfg, [p], leave_out=()) for p in paths}
    assert under[None] == suite_files.test_files(cfg, paths, leave_out=())


def test_a_file_named_like_a_test_that_the_collection_passed_over_is_placed_in_no_worker(tmp_path: Path) -> None:
    # babel's conftest has collect_ignore = ["tests/messages/data"], where a *_test.py file imports a project that
    # is not installed: named in a worker's tests, pytest collected it anyway, an error no serial run has.
    cfg, cache = make_project(tmp_path), DigestCache(None)
    ignored = cfg.root / "tests" / "one" / "data" / "project" / "sample_test.py"
    ignored.parent.mkdir(parents=True)
    ignored.write_text("import not_installed\n")
    assert "tests/one/data/project/sample_test.py" in suite_files.test_files(cfg)  # no collection yet: by name
    whole(cfg, cache)
    assert suite_files.test_files(cfg) == [
        "tests/one/test_a.py",
        "tests/two/test_c.py",
        *(s.split("::")[0] for s in SNIPPETS),
    ]
    # A worker that still names the folder collects the file, and fails to: that tells nothing of a serial run.
    worker = Collection(("tests/one/data",), (), (), ("tests/one/data/project/sample_test.py",))
    assert suite.update(cfg, worker, "worker1", None, cache)
    record = suite.read(cfg)
    assert record is not None and record.errors == ()
    assert "tests/one/data/project/sample_test.py" not in record.test_files
    # Added after the collection: by name, until a collection says otherwise.
    (cfg.root / "tests" / "one" / "test_new.py").write_text("def test_new():\n    pass\n")
    assert "tests/one/test_new.py" in suite_files.test_files(cfg)


def test_a_plan_that_leaves_a_test_file_to_no_worker_or_to_two_unshared_is_named() -> None:
    files = ["tests/one/test_a.py", "tests/snippets/a.txt", "tests/two/test_c.py"]
    workers = [("worker1", ["tests/one", "tests/two/test_c.py"]), ("worker2", ["tests/two"])]

    assert suite_files.placement_problems(files, workers, {}) == [
        "1 test file(s) of the suite in no worker's tests: tests/snippets/a.txt",
        "1 test file(s) in several workers' tests, not shared: tests/two/test_c.py",
    ]
    shared = {"tests/two/test_c.py": schedule_file.SharedFile("worker1", {"worker2": ("tests/two/test_c.py::test_c",)})}
    dealt = {"tests": schedule_file.DealtPath.among(["worker1", "worker2"])}
    assert suite_files.placement_problems(files[1:], [("worker1", ["tests"]), ("worker2", ["tests"])], dealt) == []
    assert suite_files.placement_problems(files[2:], workers, shared) == []


def test_a_file_collected_without_tests_is_still_a_file_of_the_suite(tmp_path: Path) -> None:
    # --doctest-modules imports every module of a test path, doctests or none: its module-level lines count.
    cfg, cache = make_project(tmp_path), DigestCache(None)
    visited = ("tests/one/test_a.py", "tests/two/helpers.py")
    whole_run = Collection(("tests",), ONE, ONE, (), visited)
    assert suite.update(cfg, whole_run, "collect", None, cache)

    record = suite.read(cfg)
    assert record is not None and record.visited == visited
    assert record.test_files == ("tests/one/test_a.py", "tests/two/helpers.py")


def test_a_data_file_edited_is_the_readers_business_but_one_added_or_removed_is_the_suites(tmp_path: Path) -> None:
    # Its readers' runs (their inputs hold it) collect their files again; an added file may be collected itself.
    cfg, cache = make_project(tmp_path), DigestCache(None)
    whole(cfg, cache)
    data = cfg.root / "tests" / "one" / "data.json"
    data.write_text('{"edited": true}\n')
    assert suite.changes(cfg, suite.read(cfg), cache) == []

    data.unlink()
    assert suite.changes(cfg, suite.read(cfg), cache) == ["tests/one/data.json"]
