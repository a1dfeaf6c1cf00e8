"""The rule that files the tests write are outputs, not inputs, and the naming of tests that race on one file.

The records are made the way a worker makes them: ``inputs.record`` from
what the pytest plugin observed (here written by hand, or by a real pytest
run in test_pytest_inputs.py), then checked with ``inputs.changes``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from test_inputs import LONG_AGO_NS, make_project, observed

from covsplit import config, digests, fsio, inputs, outputs
from covsplit.digests import DigestCache

STARTED = "2026-12-04T10:00:00+00:00"


def record(cfg: config.Config, worker: str, started_ns: int, **extra: Any) -> dict[str, Any]:
    """The inputs a run of ``worker`` records, stored where the checks read them."""
    made = inputs.record(cfg, cfg.worker(worker), observed(cfg, **extra), STARTED, started_ns, DigestCache(None))
    fsio.write_json(cfg.layout.worker(worker).inputs, made)
    return made


def changes(cfg: config.Config, worker: str) -> list[str]:
    recorded = inputs.read(cfg.layout.worker(worker).inputs)
    return inputs.changes(cfg, cfg.worker(worker), recorded, DigestCache(None))


def write(cfg: config.Config, rel: str, text: str) -> None:
    path = cfg.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_file_the_run_wrote_is_an_output_and_no_input(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    started = digests.file_clock_ns(tmp_path)
    # Written during the run by its own test: without the rule, "changed while it ran".
    write(cfg, "tests/one/output/report.txt", "made by a test\n")
    made = record(cfg, "worker1", started, written={"tests/one/output/report.txt": ["tests/one/test_a.py::test_a"]})
    assert "tests/one/output/report.txt" not in made["files"]
    assert made["outputs"] == {"tests/one/output/report.txt": ["tests/one/test_a.py::test_a"]}
    assert changes(cfg, "worker1") == []
    # Written again by a later run, or removed: still no input.
    write(cfg, "tests/one/output/report.txt", "made again\n")
    assert changes(cfg, "worker1") == []
    (cfg.root / "tests/one/output/report.txt").unlink()
    assert changes(cfg, "worker1") == []


def test_another_workers_outputs_are_no_input_of_this_one(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    # worker2's tree is tests/two; worker1 writes there (as dealt workers all list the whole tree).
    write(cfg, "tests/two/record.txt", "old\n")
    os.utime(cfg.root / "tests/two/record.txt", ns=(LONG_AGO_NS, LONG_AGO_NS))
    started = digests.file_clock_ns(tmp_path)
    write(cfg, "tests/two/record.txt", "old\nworker1 was here\n")
    write(cfg, "tests/two/new.txt", "added by worker1\n")
    record(cfg, "worker2", started)
    # Before worker1's record says who wrote them, worker2 counts them as its inputs, changed while it ran.
    assert changes(cfg, "worker2") == [
        "tests/two/new.txt changed while it ran",
        "tests/two/record.txt changed while it ran",
    ]
    written = {"tests/two/record.txt": ["tests/one/test_a.py::test_a"], "tests/two/new.txt": [outputs.NO_TEST]}
    record(cfg, "worker1", started, written=written)
    assert outputs.known(cfg) == frozenset(written)
    assert changes(cfg, "worker2") == []
    # A file that appears later and no worker wrote is still added.
    write(cfg, "tests/two/person.txt", "a person's new data file\n")
    assert changes(cfg, "worker2") == ["tests/two/person.txt added"]


def test_a_persons_edit_beside_the_outputs_is_still_found(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    started = digests.file_clock_ns(tmp_path)
    write(cfg, "tests/one/report.json", "{}\n")
    record(cfg, "worker1", started, written={"tests/one/report.json": ["tests/one/test_a.py::test_a"]})
    assert changes(cfg, "worker1") == []
    # tests/one/data.json sits beside the output; edited after the run, it is an input that changed.
    write(cfg, "tests/one/data.json", '{"edited": true}\n')
    assert changes(cfg, "worker1") == ["tests/one/data.json changed"]


def test_a_file_changed_during_the_run_that_no_run_wrote_stays_changed(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    started = digests.file_clock_ns(tmp_path)
    # A person's edit while pytest ran (or a subprocess of a test, which the audit hook does not see).
    write(cfg, "tests/one/data.json", '{"edited": "during the run"}\n')
    write(cfg, "tests/one/output.txt", "written by the run\n")
    record(cfg, "worker1", started, written={"tests/one/output.txt": ["tests/one/test_a.py::test_a"]})
    assert changes(cfg, "worker1") == ["tests/one/data.json changed while it ran"]


def test_a_file_a_test_read_is_an_input_wherever_it_lies(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    # Outside worker1's test paths (tests/one): only the read record makes it an input.
    write(cfg, "shared_data/table.csv", "a,b\n")
    os.utime(cfg.root / "shared_data/table.csv", ns=(LONG_AGO_NS, LONG_AGO_NS))
    record(cfg, "worker1", time.time_ns(), read=["shared_data/table.csv"])
    record(cfg, "worker2", time.time_ns())
    write(cfg, "shared_data/table.csv", "a,b\n1,2\n")
    assert changes(cfg, "worker1") == ["shared_data/table.csv changed"]
    assert changes(cfg, "worker2") == []


def test_known_is_empty_without_records_and_ignores_malformed_ones(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    assert outputs.known(cfg) == frozenset()
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    cfg.layout.worker("worker1").inputs.write_text(json.dumps({"outputs": ["not", "a", "table"]}))
    cfg.layout.worker("worker2").inputs.write_text("{broken")
    assert outputs.known(cfg) == frozenset()


def test_tests_of_two_workers_writing_one_file_race_and_are_named_with_their_group() -> None:
    found = outputs.races(
        {
            "worker1": {"tests/record.txt": ["tests/test_a.py::test_one"], "tests/out/a.txt": ["tests/test_a.py::t"]},
            "worker2": {"tests/record.txt": ["tests/test_b.py::test_two"], "tests/out/b.txt": ["tests/test_b.py::t"]},
            "worker3": {"tests/out/c.txt": ["tests/test_c.py::t"]},
        }
    )
    assert found == [
        outputs.Race(("tests/record.txt",), ("tests/test_a.py", "tests/test_b.py"), ("worker1", "worker2"))
    ]
    assert found[0].describe() == (
        "tests/test_a.py and tests/test_b.py (worker1, worker2) both write tests/record.txt: they race when run at "
        'once; keep them together: keep_together = [["tests/test_a.py", "tests/test_b.py"]]'
    )
    assert outputs.from_dict(outputs.as_dict(found[0])) == found[0]


def test_races_sharing_a_test_are_one_group_and_one_file_is_named_by_node_ids() -> None:
    found = outputs.races(
        {
            "worker1": {"x.txt": ["tests/t.py::test_1"], "y.txt": ["tests/u.py::test_3"]},
            "worker2": {"x.txt": ["tests/t.py::test_2"], "y.txt": ["tests/t.py::test_2"]},
            # Written while collecting (no test running): no grouping of tests moves it.
            "worker3": {"x.txt": [outputs.NO_TEST], "log.txt": [outputs.NO_TEST]},
        }
    )
    assert found == [
        outputs.Race(("x.txt", "y.txt"), ("tests/t.py", "tests/u.py"), ("worker1", "worker2")),
    ]
    # Dealt, one file's tests run in several workers: its node ids are the group (keep_together's rule).
    one_file = outputs.races(
        {"worker1": {"r.txt": ["tests/t.py::test_1"]}, "worker2": {"r.txt": ["tests/t.py::test_2"]}}
    )
    assert one_file[0].keep_together == 'keep_together = [["tests/t.py::test_1", "tests/t.py::test_2"]]'
    # Tests of one class: the class is the group.
    one_class = {"worker1": {"r.txt": ["t.py::TestR::test_1"]}, "worker2": {"r.txt": ["t.py::TestR::test_2[x]"]}}
    assert outputs.races(one_class)[0].tests == ("t.py::TestR",)
    # One worker writing a file from many tests is no race.
    assert outputs.races({"worker1": {"r.txt": ["tests/t.py::test_1", "tests/u.py::test_2"]}}) == []
