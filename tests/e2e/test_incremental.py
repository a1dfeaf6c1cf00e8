"""`make coverage-all` after edits re-runs exactly the workers whose inputs changed, and stays exact.

One copy of a three-worker project lives through the edits of the spec's daily workflow, in order:
each step edits the tree, runs `make coverage-all` as a user would, checks which workers ran, and
compares the combined coverage with one plain serial run of the same tree, file by file (executed
lines and branches).  pkg/shared.py runs under worker1's and worker2's tests, not worker3's.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, copy_suite, fresh_env, independent_run, line_facts

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2", "worker3")


def make_coverage_all(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(REPO), "--no-print-directory", "coverage-all", f"CONFIG={suite.config}",
         f"NOXFLAGS=--envdir {suite.envdir}", *args],
        env=fresh_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip


def runs(suite: Suite) -> dict[str, str]:
    """When each worker's latest run started."""
    return {name: suite.read_json(f"{name}_status.json")["started_at"] for name in WORKERS}


def ran_since(suite: Suite, before: dict[str, str]) -> set[str]:
    return {name for name, started in runs(suite).items() if started != before[name]}


def plain_run(suite: Suite, tests: list[str], out: Path) -> dict:
    """Plain `coverage run -m pytest` of ``tests``, with the environment workers.toml gives the workers."""
    env = tomllib.loads(suite.config.read_text())["project"].get("env", {})
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return independent_run(suite.venv_python("worker1"), suite.root, tests, ["pkg"], out).coverage


def assert_equals_a_serial_run(suite: Suite, tmp_path: Path) -> None:
    serial = plain_run(suite, ["tests"], tmp_path / "serial")
    combined = suite.read_json("combined_coverage.json")
    assert sorted(combined["files"]) == sorted(serial["files"])
    for name in combined["files"]:
        assert line_facts(combined, name) == line_facts(serial, name), name


def insert_above_executed_code(path: Path) -> None:
    """The issue's reproduction: a helper nothing calls, above code the tests run."""
    text = path.read_text()
    path.write_text(
        text.replace(
            "\n\ndef scale(", "\n\ndef unused(x):\n    if x:\n        return x + 1\n    return 0\n\n\ndef scale(", 1
        )
    )


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    # Virtualenvs of its own: another project's install in a shared worker1 would change its inputs.
    suite = copy_suite(
        tmp_path_factory.mktemp("incremental"), tmp_path_factory.mktemp("envs"), FIXTURES / "incremental"
    )
    first = make_coverage_all(suite)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return suite


def test_d_nothing_changed_runs_nothing(suite: Suite, tmp_path: Path) -> None:
    before = runs(suite)
    outputs = ["aggregate.json", "combined_coverage.json", "report.md", "report.html"]
    written = {name: (suite.output / name).read_bytes() for name in outputs}
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stderr
    assert ran_since(suite, before) == set()
    # Nothing the aggregate reads changed: it did not run, and the verdict says what was reused.
    assert {name: (suite.output / name).read_bytes() for name in outputs} == written
    assert "reusing worker1" in result.stderr
    assert result.stdout.count("reused from") == 3
    assert_equals_a_serial_run(suite, tmp_path)


def test_a_one_worker_s_test_file_edited_runs_that_worker_only(suite: Suite, tmp_path: Path) -> None:
    before = runs(suite)
    test_file = suite.root / "tests/two/test_beta.py"
    test_file.write_text(test_file.read_text() + "\n\ndef test_beta_of_nothing():\n    assert beta([]) == 0\n")
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stdout[-3000:]
    assert ran_since(suite, before) == {"worker2"}
    assert "running worker2 (stale: tests/two/test_beta.py changed)" in result.stderr
    assert suite.read_json("aggregate.json")["complete"] is True
    assert_equals_a_serial_run(suite, tmp_path)


def test_b_a_module_two_workers_execute_edited_above_executed_code(suite: Suite, tmp_path: Path) -> None:
    before = runs(suite)
    insert_above_executed_code(suite.root / "pkg/shared.py")
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stdout[-3000:]
    assert ran_since(suite, before) == {"worker1", "worker2"}
    assert_equals_a_serial_run(suite, tmp_path)


def test_e_a_data_file_under_one_worker_s_tests_changed(suite: Suite, tmp_path: Path) -> None:
    before = runs(suite)
    (suite.root / "tests/two/data/expected.json").write_text('{"values": [3, 4, 5]}\n')
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stdout[-3000:]
    assert ran_since(suite, before) == {"worker2"}
    assert_equals_a_serial_run(suite, tmp_path)


def test_c_a_setting_re_runs_every_worker_it_reaches(suite: Suite, tmp_path: Path) -> None:
    text = suite.config.read_text()
    before = runs(suite)
    suite.config.write_text(text.replace('title = "Gamma"', 'title = "Gamma"\ntimeout = 600'))
    assert make_coverage_all(suite).returncode == 0
    assert ran_since(suite, before) == {"worker3"}

    before = runs(suite)
    suite.config.write_text(suite.config.read_text().replace('INCREMENTAL_SCALE = "1"', 'INCREMENTAL_SCALE = "2"'))
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stdout[-3000:]
    assert ran_since(suite, before) == set(WORKERS)
    # The new setting runs the other branch of scale(): the combined data shows it, as a serial run does.
    lines = (suite.root / "pkg/shared.py").read_text().splitlines()
    scaled = lines.index("        return value * factor") + 1
    assert scaled in suite.read_json("combined_coverage.json")["files"]["pkg/shared.py"]["executed_lines"]
    assert_equals_a_serial_run(suite, tmp_path)


def test_f_a_worker_run_alone_never_mixes_in_another_s_stale_data(suite: Suite, tmp_path: Path) -> None:
    before = runs(suite)
    shared = suite.root / "pkg/shared.py"
    shared.write_text("# moved down a line\n" + shared.read_text())
    suite.nox("-s", "worker1", check=True)
    aggregate = suite.nox("-s", "aggregate", "--", "--report")
    assert aggregate.returncode != 0
    assert ran_since(suite, before) == {"worker1"}
    result = suite.read_json("aggregate.json")
    assert result["complete"] is False
    assert result["missing"] == [
        {
            "worker": "worker2",
            "state": "stale",
            "reason": f"its inputs changed since it ran ({before['worker2']}): pkg/shared.py changed",
        }
    ]
    # Left out, not mixed: the combined data is exactly what the fresh workers' tests execute.
    fresh = plain_run(suite, ["tests/one", "tests/three"], tmp_path / "fresh")
    combined = suite.read_json("combined_coverage.json")
    for name in fresh["files"]:
        assert line_facts(combined, name) == line_facts(fresh, name), name
    report = (suite.output / "report.md").read_text()
    assert "Refresh **worker2**" in report
    assert "`COVSPLIT_CONFIG=" in report and "nox -s worker2 aggregate report`" in report
    assert "worker2 stale" in aggregate.stdout

    # The next step: refreshes exactly worker2, and the aggregate is whole again.  The edit moved every line of
    # shared.py down one and changed no code, so worker2 need not even run: its data is renumbered where it lies.
    before = runs(suite)
    result = make_coverage_all(suite)
    assert result.returncode == 0, result.stdout[-3000:]
    assert ran_since(suite, before) == set()
    assert "worker2 keeps its data, renumbered: pkg/shared.py changed in no function body" in result.stderr
    assert json.loads((suite.output / "aggregate.json").read_text())["complete"] is True
    assert_equals_a_serial_run(suite, tmp_path / "again")


def test_full_runs_every_worker(suite: Suite) -> None:
    before = runs(suite)
    assert make_coverage_all(suite, "FULL=1").returncode == 0
    assert ran_since(suite, before) == set(WORKERS)
