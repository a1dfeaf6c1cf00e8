"""Unit tests of covsplit.config_options: the one declaration of workers.toml's keys, since the loader, the
unknown-key hint and README's reference table all read it and must agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from covsplit.config_options import INHERITED, OPTIONS, REQUIRED, keys, reference_table
from covsplit.config_workers import Worker


def test_each_table_s_keys_are_declared_once_in_order() -> None:
    assert keys("thresholds") == ["line", "branch", "total", "total_precision", "total_branch", "total_from", "balance"]
    project = keys("project")
    assert project[:3] == ["root", "source", "source_dir"]
    assert len(project) == len(set(project))
    assert keys("nowhere") == []


def test_a_worker_may_set_what_it_inherits_from_project() -> None:
    assert keys("workers") == ["title", "modules", "tests", "timeout", "xdist", "test_timeout", "memory_limit"]
    # [project] declares the inherited keys as its own; a worker repeats them, not the rest of [project].
    assert {o.key for o in INHERITED} <= set(keys("project"))
    assert "install" not in keys("workers")


def test_every_inherited_option_can_be_checked_and_lands_on_a_worker_field() -> None:
    fields = {f.name for f in dataclasses.fields(Worker)}
    for option in INHERITED:
        assert option.table == "project"
        assert option.check is not None, option.key
        assert option.attribute in fields, option.key
        # Its default passes its own check unchanged: a worker that says nothing gets it.
        assert option.check(Path("w.toml"), option.key, None, option.default) == option.default
    assert [o for o in OPTIONS if o.inherited] == list(INHERITED)


def test_required_keys_have_no_default() -> None:
    assert {(o.table, o.key) for o in OPTIONS if o.default is REQUIRED} == {
        ("project", "source"),
        ("workers", "modules"),
    }
    assert all(o.shown == "required" for o in OPTIONS if o.default is REQUIRED)


def test_the_defaults_are_the_spec_s() -> None:
    by_key = {(o.table, o.key): o.default for o in OPTIONS}
    assert by_key["thresholds", "line"] == 80.0
    assert by_key["thresholds", "branch"] == 90.0
    assert by_key["thresholds", "balance"] == 1.10
    assert by_key["project", "timeout"] == 3600.0


def test_the_reference_table_lists_project_keys_only_each_in_a_row() -> None:
    table = reference_table()
    assert table.endswith("\n")
    lines = table.splitlines()
    assert lines[:2] == ["| key | default | meaning |", "| --- | --- | --- |"]
    project = [o for o in OPTIONS if o.table == "project"]
    assert len(lines) == 2 + len(project)
    assert lines[2].startswith('| `root` | `"."` | the project under test')
    # env is a table of its own in TOML, and shown as one.
    assert any(line.startswith("| `[project.env]` | `{}` |") for line in lines)
    assert not any(line.startswith("| `line` ") or line.startswith("| `modules` ") for line in lines)
