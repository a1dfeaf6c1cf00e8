"""In a worker, `make coverage-all` re-runs only the test files whose inputs changed, and writes a full run's results.

One copy of a two-worker project lives through the daily loop in order: a failure reused, run again
(RETRY=1), a test file edited, a function body edited (moving the lines of a test file that kept its data),
one no test ran (its worker does not run), a data file edited, a test file added and removed, the failure
fixed, module-level code edited.  After each step, which test files ran is checked (from the progress
record pytest kept), then everything the step left is compared with what `make coverage-all FULL=1`
leaves on the same tree: each worker's data and reports file by file, its outcomes test by test, its
durations' files, the combined data.  Several steps run back to back before one comparison, so that a
partial run kept from a partial run is checked too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import FIXTURES, Suite, copy_suite, make

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from covsplit import junit

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    suite = copy_suite(tmp_path_factory.mktemp("grain"), tmp_path_factory.mktemp("envs"), FIXTURES / "filegrain")
    make(suite, "coverage-all", ok=False)  # the failure the project carries
    return suite


def ran_files(suite: Suite, worker: str) -> set[str]:
    """The test files whose tests the worker's latest run started, from its progress record."""
    path = suite.output / f"{worker}_progress.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    root = str(suite.root) + "/"
    return {r["file"].removeprefix(root) for r in records if r.get("event") == "start"}


def started(suite: Suite) -> dict[str, str]:
    return {name: suite.read_json(f"{name}_status.json")["started_at"] for name in WORKERS}


def snapshot(suite: Suite) -> dict[str, object]:
    """Everything a run leaves that a person or the aggregate reads, with times and run-only details left out."""
    from coverage import CoverageData

    found: dict[str, object] = {}
    for name in WORKERS:
        data = CoverageData(basename=str(suite.output / f".coverage.{name}"))
        data.read()
        root = str(suite.root) + "/"
        found[f"{name} data"] = {
            f.removeprefix(root): (sorted(data.lines(f) or []), sorted(data.arcs(f) or []))
            for f in data.measured_files()
            if data.lines(f)
        }
        results = junit.read_junit(suite.output / f"{name}_junit.xml", suite.root)
        found[f"{name} outcomes"] = sorted((r.nodeid, r.outcome, r.message) for r in results)
        report = suite.read_json(f"{name}_coverage.json")
        found[f"{name} report"] = {k: v for k, v in report["files"].items()}
        status = suite.read_json(f"{name}_status.json")
        found[f"{name} status"] = {
            key: status.get(key) for key in ("state", "outcomes", "test_files", "failure_categories", "failure_files")
        }
        if isinstance(found[f"{name} status"]["test_files"], dict):  # type: ignore[index]
            for entry in found[f"{name} status"]["test_files"].values():  # type: ignore[index]
                entry.pop("seconds", None)
        durations = suite.read_json(f"{name}_durations.json")
        found[f"{name} durations"] = (sorted(durations["files"]), sorted(durations["tests"]))
        collection = suite.read_json(f"{name}_collection.json")
        found[f"{name} collection"] = (collection["tests"], collection["selected"])
    combined = suite.read_json("combined_coverage.json")
    found["combined"] = {name: entry for name, entry in combined["files"].items()}
    aggregate = suite.read_json("aggregate.json")
    found["aggregate"] = (aggregate["totals"], aggregate["complete"], aggregate["tests"])
    return found


def assert_as_a_full_run(suite: Suite) -> None:
    partial = snapshot(suite)
    full = make(suite, "coverage-all", "FULL=1", ok=None)
    assert full.returncode in (0, 2), full.stderr[-3000:]  # make says 2 when a recipe failed
    expected = snapshot(suite)
    for key in expected:
        assert partial[key] == expected[key], key


def step(suite: Suite, edit: Callable[[Path], None], *args: str) -> tuple[str, dict[str, set[str]]]:
    """Edit the tree, run `make coverage-all`, and say which workers ran and which of their test files."""
    before = started(suite)
    edit(suite.root)
    done = make(suite, "coverage-all", *args, ok=None)
    assert done.returncode in (0, 2), done.stdout[-3000:] + done.stderr[-3000:]
    after = started(suite)
    ran = {name: ran_files(suite, name) for name in WORKERS if after[name] != before[name]}
    return done.stdout + done.stderr, ran


def replace_in(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / relative
        text = path.read_text()
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1))

    return edit


def nothing(root: Path) -> None:
    pass


def test_a_failure_whose_inputs_did_not_change_is_reused_and_retry_runs_its_file_again(suite: Suite) -> None:
    # tests/conftest.py imported the package before any test module: measured as collection's, so the
    # workers can run a part again (data no test file holds would make them run whole, every time).
    for name in WORKERS:
        grain = suite.read_json(f"{name}_inputs.json")["grain"]
        assert grain["contexts"] and not grain["unattributed"], grain["unattributed"]
    out, ran = step(suite, nothing)
    assert ran == {}
    assert "reused from" in out and "inputs unchanged; run them again: make coverage-all" in out and "RETRY=1" in out
    # Run again, with an edited test file: the failed file and the edited one run, nothing else.
    edit = replace_in(
        "tests/one/test_area.py",
        "def test_square",
        "def test_more() -> None:\n    assert area('square', 3) == 9\n\n\ndef test_square",
    )
    _, ran = step(suite, edit, "RETRY=1")
    assert ran == {"worker1": {"tests/one/test_broken.py", "tests/one/test_area.py"}}
    assert_as_a_full_run(suite)


def test_edited_code_data_and_tests_run_the_files_that_depend_on_them(suite: Suite) -> None:
    edit = replace_in(
        "pkg/units.py", "    number, unit = text.split()", "    text = text.strip()\n    number, unit = text.split()"
    )
    out, ran = step(suite, edit)
    # test_units.py executed units.py but never called parse(): it keeps its data, to_metres()' lines moved down one.
    assert ran == {"worker1": {"tests/one/test_table.py"}}
    # The failure RETRY=1 ran (and diagnosed) is kept: said so, and not diagnosed again.
    assert "its failures reused from" in out and "their inputs unchanged; run them again" in out
    assert "run it again: make worker1" not in out
    assert "Running session diagnose" not in out
    # No test and no collection ran spell(): worker2 does not run at all, its data is renumbered where it lies.
    out, ran = step(
        suite, replace_in("pkg/words.py", '    return "-".join(word)', '    joined = "-".join(word)\n    return joined')
    )
    assert ran == {}
    assert "worker2 keeps its data, renumbered: pkg/words.py changed in spell() (0 test files ran it)" in out
    # Each step below runs from the data the step before it kept; one comparison at the end checks them all.
    _, ran = step(suite, lambda root: (root / "tests/one/data/lengths.txt").write_text("1 m\n3 km\n5 cm\n"))
    assert ran == {"worker1": {"tests/one/test_table.py"}}
    new = "tests/one/test_added.py"
    added = "from pkg.shapes import area\n\n\ndef test_added() -> None:\n    assert area('square', 1) == 1\n"
    _, ran = step(suite, lambda root: (root / new).write_text(added))
    assert ran == {"worker1": {new}}
    assert_as_a_full_run(suite)


def test_a_removed_test_file_runs_nothing_and_a_fixed_failure_runs_its_file(suite: Suite) -> None:
    _, ran = step(suite, lambda root: (root / "tests/one/test_added.py").unlink())
    assert ran == {"worker1": set()}
    out, ran = step(suite, replace_in("tests/one/test_broken.py", '("triangle", 1) == 4', '("triangle", 1) == 3'))
    assert ran == {"worker1": {"tests/one/test_broken.py"}}
    assert "worker1  completed" in out
    assert_as_a_full_run(suite)


def test_module_level_code_edited_runs_the_whole_worker(suite: Suite) -> None:
    out, ran = step(suite, replace_in("pkg/shapes.py", '"square": 4}', '"square": 4, "hexagon": 6}'))
    assert ran == {"worker1": {"tests/one/test_area.py", "tests/one/test_broken.py", "tests/one/test_table.py",
                               "tests/one/test_units.py"}}  # fmt: skip
    assert "pkg/shapes.py changed: its module-level code" in out
