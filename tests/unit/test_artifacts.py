"""The two files that pass between machines: a worker's status and the aggregate's result, versioned."""

from __future__ import annotations

import json
from pathlib import Path

from covsplit import aggregate, status


def test_a_status_of_another_schema_is_refused_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "worker1_status.json"
    status.write(path, {"worker": "worker1", "state": status.PASSED})
    assert json.loads(path.read_text())["schema"] == status.SCHEMA
    assert status.read(path)["state"] == status.PASSED

    path.write_text(json.dumps({"schema": status.SCHEMA + 1, "worker": "worker1", "state": status.PASSED}))
    record = status.read(path)
    assert record["state"] == status.NOT_RUN
    assert f"schema {status.SCHEMA + 1}" in record["message"] and "run the worker again" in record["message"]

    path.write_text(json.dumps({"schema": status.SCHEMA, "state": "finished-ish"}))
    assert status.read(path)["state"] == status.CRASHED


def test_the_aggregate_result_is_read_back_or_its_gap_named(tmp_path: Path) -> None:
    path = tmp_path / "aggregate.json"
    assert aggregate.read_result(path) == (None, "aggregate has not run")
    path.write_text("[1, 2]")
    assert aggregate.read_result(path) == (None, "aggregate.json is not a JSON object")
    path.write_text(json.dumps({"schema": 0, "totals": {}}))
    result, problem = aggregate.read_result(path)
    assert result is None and "schema 0" in problem and "run the aggregate again" in problem
    written: aggregate.AggregateResult = {
        "schema": aggregate.SCHEMA, "generated_at": "2026-11-24T00:00:00+00:00", "complete": True, "missing": [],
        "workers": [], "totals": {"files": 0}, "gates": [], "packages": {}, "files": {},
    }  # fmt: skip
    aggregate.write_result(path, written)
    assert aggregate.read_result(path) == (written, "")
