"""Which workers `make coverage-all` runs, and which it reuses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from test_inputs import make_project, observed

from covsplit import config, fsio, inputs, pending, reuse, status
from covsplit.digests import DigestCache


def finished(cfg: config.Config, name: str, state: str = status.PASSED, **overrides: object) -> None:
    """A run of worker ``name`` that left its status, data file and recorded inputs."""
    paths = cfg.layout.worker(name)
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    started = "2026-12-04T10:00:00+00:00"
    record = inputs.record(cfg, cfg.worker(name), observed(cfg, "pkg/a.py"), started, time.time_ns(), DigestCache(None))
    fsio.write_json(paths.inputs, record)
    paths.data_file.write_text("")
    status.write(
        paths.status,
        {"worker": name, "state": state, "started_at": started, "finished_at": started, "config": str(cfg.path)}
        | overrides,
    )


def decisions(cfg: config.Config, full: bool = False, retry: bool = False) -> dict[str, tuple[bool, str]]:
    return {d.worker: (d.run, d.why) for d in pending.decide(cfg, DigestCache(None), full, retry=retry)}


def test_a_passed_worker_whose_inputs_hold_is_reused_and_every_other_runs(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    finished(cfg, "worker1")
    assert decisions(cfg) == {
        "worker1": (False, "inputs unchanged since it ran, 2026-12-04T10:00:00+00:00"),
        "worker2": (True, status.NOT_RUN),
    }
    assert decisions(cfg, full=True)["worker1"] == (True, "FULL=1")


def test_a_failure_whose_inputs_hold_is_reused_until_retry_or_an_input_changes(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    finished(cfg, "worker1", status.FAILED, outcomes={"tests": 3, "passed": 1, "failed": 1, "errors": 1})
    assert decisions(cfg)["worker1"] == (False, "2 failed, inputs unchanged since it ran, 2026-12-04T10:00:00+00:00")
    assert decisions(cfg, retry=True)["worker1"] == (True, "RETRY=1: 2 failed")
    (cfg.root / "pkg/a.py").write_text("def a():\n    return 2\n")
    assert decisions(cfg)["worker1"] == (True, "stale: pkg/a.py changed")


@pytest.mark.parametrize("state", [status.CRASHED, status.TIMEOUT, status.RUNNING])
def test_a_run_that_did_not_finish_is_never_reused(tmp_path: Path, state: str) -> None:
    cfg = make_project(tmp_path)
    # Its data file and recorded inputs are in place (a crash keeps the data saved before it): still run again.
    finished(cfg, "worker1", state, host=status.host(), pid=os.getpid() if state == status.RUNNING else 1)
    found = decisions(cfg)["worker1"]
    assert found[0] and found[1] in (state, status.CRASHED)


def test_stale_foreign_or_dataless_workers_run(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    finished(cfg, "worker2", config=str(tmp_path / "other" / "elsewhere.toml"))
    found = decisions(cfg)
    assert found["worker2"][0] and "another config's" in found["worker2"][1]

    finished(cfg, "worker1")
    cfg.layout.worker("worker1").data_file.unlink()
    assert decisions(cfg)["worker1"] == (True, "it left no coverage data")

    finished(cfg, "worker1")
    (cfg.root / "pkg/a.py").write_text("def a():\n    return 2\n")
    assert decisions(cfg)["worker1"] == (True, "stale: pkg/a.py changed")


def test_the_aggregate_is_current_only_for_exactly_what_it_read(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    finished(cfg, "worker1")
    finished(cfg, "worker2")
    layout = cfg.layout
    assert not pending.aggregate_current(cfg, DigestCache(None))  # it never ran

    def aggregated() -> None:
        stale = {s.name: list(s.changes) for s in reuse.states(cfg, DigestCache(None))}
        digest = inputs.combined_digest(cfg, DigestCache(None), stale, inputs.own_code())
        fsio.write_json(layout.aggregate_json, {"schema": pending.aggregate.SCHEMA, "inputs_digest": digest})
        for path in (layout.report_md, layout.report_html):
            path.write_text("")

    aggregated()
    assert pending.aggregate_current(cfg, DigestCache(None))
    (cfg.root / "pkg/b.py").write_text("def b():\n    return 3\n")  # a source file: its statements are reported
    assert not pending.aggregate_current(cfg, DigestCache(None))
    aggregated()
    layout.report_html.unlink()
    assert not pending.aggregate_current(cfg, DigestCache(None))
