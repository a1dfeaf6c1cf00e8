"""A CI fleet: each worker on its own machine, checked out at its own path; one combine job gathers the uploads.

Each worker runs in a separate copy of the project at a different absolute
path (as separate runners would), only the files the workflow uploads are
gathered into a fresh checkout, and the aggregate there must equal one
serial run file by file.  A shard that never uploaded is "not run".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import FIXTURES, Suite, copy_suite, independent_run, line_facts

pytestmark = pytest.mark.e2e
DEFER = {"COVSPLIT_DEFER_REPORTS": "1"}


def upload(suite: Suite, worker: str, checkout: Path) -> None:
    """What the workflow's upload-artifact step takes from a worker's machine, put where download puts it."""
    for path in [*suite.output.glob(f".coverage.{worker}"), *suite.output.glob(f"{worker}_*")]:
        target = checkout / "coverage_output" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory, nox_envdir: Path) -> tuple[Suite, Suite]:
    first = copy_suite(tmp_path_factory.mktemp("runner-a"), nox_envdir, FIXTURES / "crossing")
    second = copy_suite(tmp_path_factory.mktemp("runner-b") / "deeper" / "path", nox_envdir, FIXTURES / "crossing")
    first.nox("-s", "worker1", check=True, env=DEFER)
    second.nox("-s", "worker2", check=False, env=DEFER)  # its tests fail on purpose
    return first, second


def test_combine_on_a_fresh_checkout_equals_one_serial_run(
    machines: tuple[Suite, Suite], tmp_path: Path, nox_envdir: Path
) -> None:
    first, second = machines
    combine = copy_suite(tmp_path / "combine-job", nox_envdir, FIXTURES / "crossing")
    upload(first, "worker1", combine.config.parent)
    upload(second, "worker2", combine.config.parent)
    assert first.root != second.root != combine.root
    combine.nox("-s", "aggregate", check=True)  # worker2's tests fail, but its data is complete
    aggregate = combine.read_json("aggregate.json")
    assert aggregate["complete"] is True, aggregate["missing"]

    serial = independent_run(
        second.venv_python("worker2"), combine.root, ["tests"], ["alpha", "beta"], tmp_path / "serial"
    )
    combined = combine.read_json("combined_coverage.json")
    assert set(serial.coverage["files"]) <= set(combined["files"])
    for name in serial.coverage["files"]:
        assert line_facts(combined, name) == line_facts(serial.coverage, name), name
    # The workers' own checkouts are nowhere in the combined data.
    assert not [name for name in combined["files"] if str(first.root) in name or str(second.root) in name]


def test_a_shard_that_never_uploaded_makes_the_aggregate_partial(
    machines: tuple[Suite, Suite], tmp_path: Path, nox_envdir: Path
) -> None:
    first, _second = machines
    combine = copy_suite(tmp_path / "combine-job", nox_envdir, FIXTURES / "crossing")
    upload(first, "worker1", combine.config.parent)
    result = combine.nox("-s", "aggregate", check=False)
    assert result.returncode != 0
    aggregate = combine.read_json("aggregate.json")
    assert aggregate["complete"] is False
    assert [(m["worker"], m["state"]) for m in aggregate["missing"]] == [("worker2", "not run")]
