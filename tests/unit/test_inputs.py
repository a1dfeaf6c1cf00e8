"""What a worker's run depended on: recorded as content digests, checked against the tree as it is now."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from covsplit import config, digests, inputs
from covsplit.digests import DigestCache

LONG_AGO_NS = 1_600_000_000 * 10**9


def make_project(tmp_path: Path, env: str = "0") -> config.Config:
    """Two workers over pkg/: worker1 runs tests/one (with a data file), worker2 tests/two."""
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "def a():\n    return 1\n",
        "pkg/b.py": "def b():\n    return 2\n",
        "tests/one/test_a.py": "from pkg.a import a\n\ndef test_a():\n    assert a() == 1\n",
        "tests/one/data.json": "{}\n",
        "tests/two/test_b.py": "from pkg.b import b\n\ndef test_b():\n    assert b() == 2\n",
        "requirements-test.txt": "pytest\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "workers.toml").write_text(
        f"""
[project]
source = ["pkg"]
install = ["-r requirements-test.txt"]

[project.env]
SEED = "{env}"

[workers.worker1]
modules = ["pkg.a"]
tests = ["tests/one"]

[workers.worker2]
modules = ["pkg.b"]
tests = ["tests/two"]
"""
    )
    # Every file as a run long ago would have left it: no change "while it ran".
    for path in tmp_path.rglob("*"):
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    return config.load(tmp_path / "workers.toml")


def observed(cfg: config.Config, *executed: str, **extra: Any) -> dict[str, Any]:
    return {"executed": [str(cfg.root / rel) for rel in executed], "imported": [], **extra}


def recorded(cfg: config.Config, worker: str, *executed: str, **extra: Any) -> dict[str, Any]:
    return inputs.record(
        cfg,
        cfg.worker(worker),
        observed(cfg, *executed, **extra),
        "2026-12-04T10:00:00+00:00",
        time.time_ns(),
        DigestCache(None),
    )


def changes(cfg: config.Config, worker: str, record: dict[str, Any]) -> list[str]:
    return inputs.changes(cfg, cfg.worker(worker), record, DigestCache(None))


def test_nothing_changed_is_no_change(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = recorded(cfg, "worker1", "pkg/__init__.py", "pkg/a.py", "tests/one/test_a.py")
    assert changes(cfg, "worker1", record) == []
    # What the run depended on: what it executed, its test tree (data too), the configuration and install files.
    assert {"pkg/a.py", "tests/one/test_a.py", "tests/one/data.json", "requirements-test.txt"} <= set(record["files"])
    assert record["files"]["conftest.py"] == inputs.digests.ABSENT
    assert "pkg/b.py" not in record["files"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda root: (root / "pkg/a.py").write_text("def a():\n    return 10\n"), "pkg/a.py changed"),
        (lambda root: (root / "tests/one/data.json").write_text("[]\n"), "tests/one/data.json changed"),
        (lambda root: (root / "tests/one/test_new.py").write_text(""), "tests/one/test_new.py added"),
        (lambda root: (root / "tests/one/test_a.py").unlink(), "tests/one/test_a.py removed"),
        (lambda root: (root / "conftest.py").write_text(""), "conftest.py added"),
        (lambda root: (root / "tests/conftest.py").write_text(""), "tests/conftest.py added"),
        (lambda root: (root / "pytest.ini").write_text("[pytest]\n"), "pytest.ini added"),
        (lambda root: (root / "requirements-test.txt").write_text("pytest<9\n"), "requirements-test.txt changed"),
    ],
)
def test_each_kind_of_change_is_named(tmp_path: Path, edit: Any, expected: str) -> None:
    cfg = make_project(tmp_path)
    record = recorded(cfg, "worker1", "pkg/__init__.py", "pkg/a.py", "tests/one/test_a.py")
    edit(cfg.root)
    assert changes(cfg, "worker1", record) == [expected]


def test_a_file_the_worker_did_not_depend_on_changes_nothing(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = recorded(cfg, "worker1", "pkg/__init__.py", "pkg/a.py", "tests/one/test_a.py")
    (cfg.root / "pkg/b.py").write_text("def b():\n    return 20\n")
    (cfg.root / "tests/two/test_b.py").write_text("")
    assert changes(cfg, "worker1", record) == []
    assert changes(cfg, "worker2", recorded(cfg, "worker2", "pkg/b.py")) == []


def test_a_setting_that_reaches_the_worker_counts_and_a_title_does_not(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = recorded(cfg, "worker1", "pkg/a.py")
    text = cfg.path.read_text()
    cfg.path.write_text(text.replace("[workers.worker1]\n", '[workers.worker1]\ntitle = "Another"\n'))
    assert changes(config.load(cfg.path), "worker1", record) == []
    cfg.path.write_text(text.replace('SEED = "0"', 'SEED = "1"'))
    assert changes(config.load(cfg.path), "worker1", record) == ["its setting env in workers.toml changed"]


def test_a_file_modified_while_the_worker_ran_never_matches(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    started = digests.file_clock_ns(tmp_path)
    (cfg.root / "pkg/a.py").write_text("def a():\n    return 1\n")  # same content, written during the run
    record = inputs.record(cfg, cfg.worker("worker1"), observed(cfg, "pkg/a.py"), "t", started, DigestCache(None))
    assert record["files"]["pkg/a.py"] == inputs.CHANGED_DURING_RUN
    assert changes(cfg, "worker1", record) == ["pkg/a.py changed while it ran"]


def test_files_outside_the_project_or_in_its_environment_are_not_inputs(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    venv = cfg.root / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "dep.py").write_text("")
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.py"
    outside.write_text("")
    record = recorded(
        cfg, "worker1", "pkg/a.py", imported=[str(venv / "lib" / "dep.py"), str(outside)], prefix=str(venv)
    )
    assert not any(".venv" in key or "elsewhere" in key for key in record["files"])


def test_the_environment_is_checked_where_it_is(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    site = tmp_path.parent / f"{tmp_path.name}-site"
    (site / "pytest-9.2.0.dist-info").mkdir(parents=True)
    record = recorded(cfg, "worker1", "pkg/a.py", site_packages=[str(site)], installed=inputs.digests.installed([site]))
    assert changes(cfg, "worker1", record) == []
    (site / "pytest-9.2.0.dist-info").rename(site / "pytest-9.3.0.dist-info")
    assert changes(cfg, "worker1", record) == ["the packages installed in its virtualenv changed"]
    # Not on this machine (another of a fleet's): its install inputs stand in.
    (site / "pytest-9.3.0.dist-info").rmdir()
    site.rmdir()
    assert changes(cfg, "worker1", record) == []


def test_no_record_or_another_run_s_record_is_stale(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    worker = cfg.worker("worker1")
    assert inputs.changes(cfg, worker, None, DigestCache(None))
    record = recorded(cfg, "worker1", "pkg/a.py")
    path = cfg.layout.worker("worker1").inputs
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs.fsio.write_json(path, record)
    assert inputs.stale_reasons(cfg, worker, {"started_at": record["started_at"]}, DigestCache(None)) == []
    assert inputs.stale_reasons(cfg, worker, {"started_at": "another"}, DigestCache(None)) == [
        "its recorded inputs belong to another of its runs"
    ]
    assert inputs.changes(cfg, worker, {**record, "schema": 0}, DigestCache(None)) == [
        "its inputs were recorded by another version of covsplit"
    ]


def test_many_changes_are_counted_past_the_first_few(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = recorded(cfg, "worker1", "pkg/a.py")
    for n in range(8):
        (cfg.root / f"tests/one/test_new{n}.py").write_text("")
    found = changes(cfg, "worker1", record)
    assert len(found) == inputs.SHOWN_CHANGES + 1
    assert found[-1] == "and 3 more"


def test_the_combined_digest_follows_sources_config_and_staleness(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    digest = inputs.combined_digest(cfg, DigestCache(None), {})
    assert inputs.combined_digest(cfg, DigestCache(None), {}) == digest
    assert inputs.combined_digest(cfg, DigestCache(None), {"worker1": ["pkg/a.py changed"]}) != digest
    # A source file no worker ran still counts its statements in the combined report.
    (cfg.root / "pkg/b.py").write_text("def b():\n    return 3\n")
    changed = inputs.combined_digest(cfg, DigestCache(None), {})
    assert changed != digest
    cfg.path.write_text(cfg.path.read_text().replace("[project]", "[thresholds]\nline = 50\n\n[project]"))
    assert inputs.combined_digest(config.load(cfg.path), DigestCache(None), {}) != changed


def test_a_folder_a_test_opened_is_no_input(tmp_path: Path) -> None:
    # babel's tests open tests/messages/data/project/i18n/en_US while other tests fill it: a folder has no
    # content of its own, and one "changed while it ran" would make the worker stale after every run.
    cfg = make_project(tmp_path)
    (tmp_path / "tests/one/made").mkdir()
    record = inputs.record(
        cfg, cfg.worker("worker1"), observed(cfg, "pkg/a.py", read=["tests/one/made", "tests/one/data.json"]), "t",
        time.time_ns(), DigestCache(None),
    )  # fmt: skip
    assert "tests/one/made" not in record["files"] and "tests/one/data.json" in record["files"]
