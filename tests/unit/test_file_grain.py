"""Which of a worker's test files run again (covsplit.file_grain), and how kept results are put back together."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from coverage import CoverageData
from test_inputs import make_project

from covsplit import context_data, durations, file_grain, fsio, inputs, junit, outputs, rerun, source_shape
from covsplit.contexts import COLLECT, SESSION_FIXTURES


def write_data(path: Path, by_context: dict[str, dict[str, list[tuple[int, int]]]]) -> None:
    data = CoverageData(basename=str(path))
    for context, arcs in by_context.items():
        data.set_context(context)
        data.add_arcs({name: dict.fromkeys(pairs) for name, pairs in arcs.items()})
    data.write()


def test_contexts_are_read_from_the_data_and_pruned_by_name(tmp_path: Path) -> None:
    data_file = tmp_path / ".coverage"
    write_data(
        data_file,
        {
            COLLECT: {"/p/pkg/a.py": [(-1, 1), (1, 3), (3, -1)]},
            "tests/test_a.py": {"/p/pkg/a.py": [(-3, 4), (4, -3)]},
            "tests/test_b.py": {"/p/pkg/b.py": [(-1, 2)]},
        },
    )
    found = context_data.measured(data_file)
    assert found is not None
    assert found.by_context == {
        COLLECT: {"/p/pkg/a.py"},
        "tests/test_a.py": {"/p/pkg/a.py"},
        "tests/test_b.py": {"/p/pkg/b.py"},
    }
    assert found.collect_lines == {"/p/pkg/a.py": {1, 3}}
    context_data.prune(data_file, ["tests/test_a.py", COLLECT])
    after = context_data.measured(data_file)
    assert after is not None and after.by_context == {"tests/test_b.py": {"/p/pkg/b.py"}}
    assert context_data.measured(tmp_path / "absent") is None


def grain_record(cfg: Any) -> dict[str, Any]:
    """worker1's record after a full run: tests/one/test_a.py executed pkg/a.py and read tests/one/data.json."""
    record = inputs.record(
        cfg, cfg.worker("worker1"), {"executed": [str(cfg.root / "pkg/a.py")], "imported": []}, "t", time.time_ns(),
        inputs.DigestCache(None),
    )  # fmt: skip
    record[file_grain.KEY] = {
        "tests": {"tests/one/test_a.py": ["pkg/a.py", "tests/one/data.json", "tests/one/test_a.py"]},
        "shared": [],
        "shapes": {"pkg/a.py": source_shape.shape((cfg.root / "pkg/a.py").read_text())},
        "unattributed": [],
        "contexts": ["tests/one/test_a.py"],
    }
    return record


def plan_now(cfg: Any, record: dict[str, Any], retry: tuple[str, ...] = ()) -> file_grain.Partial | str:
    worker = cfg.worker("worker1")
    found, other = inputs.changed_files(cfg, worker, record, inputs.DigestCache(None), frozenset())
    return file_grain.plan(cfg, worker, record, found, other, retry)


def test_a_changed_body_data_file_or_test_file_runs_the_test_files_that_depend_on_it(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = grain_record(cfg)
    assert plan_now(cfg, record) == file_grain.Partial(())
    (tmp_path / "pkg/a.py").write_text("def a():\n    x = 1\n    return x\n")
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial) and found.run == ("tests/one/test_a.py",)
    (tmp_path / "pkg/a.py").write_text("def a():\n    return 1\n")
    (tmp_path / "tests/one/data.json").write_text('{"x": 1}\n')
    assert isinstance(found := plan_now(cfg, record), file_grain.Partial) and found.run == ("tests/one/test_a.py",)
    (tmp_path / "tests/one/data.json").write_text("{}\n")
    (tmp_path / "tests/one/test_new.py").write_text("def test_new():\n    pass\n")
    assert isinstance(found := plan_now(cfg, record), file_grain.Partial) and found.run == ("tests/one/test_new.py",)
    (tmp_path / "tests/one/test_new.py").unlink()
    assert plan_now(cfg, record, retry=("tests/one/test_a.py",)) == file_grain.Partial(
        ("tests/one/test_a.py",), (), ("tests/one/test_a.py failed (RETRY=1)",)
    )


def test_a_body_edit_runs_the_test_files_that_ran_that_body_and_moves_the_others_lines(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    source = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    (tmp_path / "pkg/a.py").write_text(source)
    (tmp_path / "tests/one/test_b.py").write_text("from pkg.a import b\n\ndef test_b():\n    assert b() == 2\n")
    record = grain_record(cfg)
    grain = record[file_grain.KEY]
    grain["tests"]["tests/one/test_b.py"] = ["pkg/a.py", "tests/one/test_b.py"]
    record["files"]["tests/one/test_b.py"] = inputs.DigestCache(None).digest(tmp_path / "tests/one/test_b.py")
    path = str(tmp_path / "pkg/a.py")
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    write_data(
        cfg.layout.worker("worker1").data_file,
        {
            COLLECT: {path: [(-1, 1), (1, 5), (5, -1)]},
            "tests/one/test_a.py": {path: [(-1, 2), (2, -1)]},
            "tests/one/test_b.py": {path: [(-5, 6), (6, -5)]},
        },
    )
    (tmp_path / "pkg/a.py").write_text(source.replace("    return 1\n", "    x = 1\n    return x\n"))
    # Without the source as measured, every test file that executed pkg/a.py runs again.
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial) and found.run == ("tests/one/test_a.py", "tests/one/test_b.py")
    grain["shapes"]["pkg/a.py"]["source"] = source_shape.keep(cfg.layout.measured_sources, source)
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial) and found.run == ("tests/one/test_a.py",)
    assert found.why == ("pkg/a.py changed in a() (1 test file ran it)",)
    assert found.moved["pkg/a.py"][5] == 6 and found.moved["pkg/a.py"][6] == 7 and 2 not in found.moved["pkg/a.py"]


def test_the_worker_runs_whole_when_independence_cannot_be_known(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    record = grain_record(cfg)
    (tmp_path / "pkg/a.py").write_text("X = 1\n\n\ndef a():\n    return 1\n")
    assert plan_now(cfg, record) == "pkg/a.py changed: its module-level code, which every test importing it shares"
    (tmp_path / "pkg/a.py").write_text("def a():\n    return 1\n")
    (tmp_path / "tests/one/conftest.py").write_text("")
    assert plan_now(cfg, record) == "tests/one/conftest.py added"
    (tmp_path / "tests/one/conftest.py").unlink()
    (tmp_path / "tests/one/helpers.txt").write_text("")
    assert plan_now(cfg, record) == "tests/one/helpers.txt added"
    (tmp_path / "tests/one/helpers.txt").unlink()
    record[file_grain.KEY]["shared"] = ["tests/one/data.json"]
    (tmp_path / "tests/one/data.json").write_text('{"x": 1}\n')
    assert "session fixture" in str(plan_now(cfg, record))
    record[file_grain.KEY]["unattributed"] = ["pkg/a.py"]
    assert "subprocess" in str(plan_now(cfg, record))
    del record[file_grain.KEY]
    assert "no per-test-file record" in str(plan_now(cfg, record))


def test_a_changed_test_file_runs_the_test_files_that_import_it(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    (tmp_path / "tests/one/test_sub.py").write_text("from test_a import test_a as inherited\n")
    record = grain_record(cfg)
    record[file_grain.KEY]["tests"]["tests/one/test_sub.py"] = ["tests/one/test_sub.py"]
    record["files"]["tests/one/test_sub.py"] = inputs.DigestCache(None).digest(tmp_path / "tests/one/test_sub.py")
    (tmp_path / "tests/one/test_a.py").write_text("def test_a():\n    assert True\n")
    found = plan_now(cfg, record)
    assert isinstance(found, file_grain.Partial)
    assert found.run == ("tests/one/test_a.py", "tests/one/test_sub.py")


JUNIT = '<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{n}">{cases}</testsuite></testsuites>'


def case(module: str, name: str, failed: bool = False) -> str:
    inner = '<failure message="boom">boom</failure>' if failed else ""
    return f'<testcase classname="tests.{module}" name="{name}" file="tests/{module}.py" time="0.1">{inner}</testcase>'


def test_kept_outcomes_join_this_runs_in_collection_order(tmp_path: Path) -> None:
    for name in ("test_a.py", "test_b.py", "test_c.py"):
        (tmp_path / "tests").mkdir(exist_ok=True)
        (tmp_path / "tests" / name).write_text("")
    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    old.write_text(JUNIT.format(n=3, cases=case("test_a", "t1") + case("test_b", "t2", True) + case("test_c", "t3")))
    new.write_text(JUNIT.format(n=1, cases=case("test_b", "t2")))
    kept = {"tests/test_a.py", "tests/test_c.py"}
    order = {"tests/test_a.py": 0, "tests/test_b.py": 1, "tests/test_c.py": 2}
    junit.merge_kept(old, new, tmp_path, lambda node, file: file in kept, order)
    results = junit.read_junit(new, tmp_path)
    assert [(r.nodeid, r.outcome) for r in results] == [
        ("tests/test_a.py::t1", "passed"),
        ("tests/test_b.py::t2", "passed"),
        ("tests/test_c.py::t3", "passed"),
    ]


def test_kept_files_keep_their_seconds_and_the_worker_its_full_runs(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    previous = {
        "schema": durations.SCHEMA, "worker": "w", "wall_s": 10.0, "fixed_s": 1.0, "contention": 1.0,
        "files": {"a.py": 4.0, "b.py": 5.0, "gone.py": 1.0}, "collect": {"a.py": 0.1, "b.py": 0.2},
        "tests": {"a.py": {"a.py::t": 3.9}, "b.py": {"b.py::t": 4.8}},
    }  # fmt: skip
    fsio.write_json(
        path,
        {
            "schema": durations.SCHEMA, "worker": "w", "wall_s": 2.0, "fixed_s": 0.5, "contention": 1.0,
            "files": {"a.py": 0.1, "b.py": 6.0}, "collect": {"a.py": 0.1, "b.py": 0.2},
            "tests": {"b.py": {"b.py::t": 5.8}},
        },
    )  # fmt: skip
    durations.keep_files(path, previous, ["a.py"])
    merged = fsio.read_json(path)
    assert merged["files"] == {"a.py": 4.0, "b.py": 6.0}
    assert merged["tests"] == {"a.py": {"a.py::t": 3.9}, "b.py": {"b.py::t": 5.8}}
    assert (merged["wall_s"], merged["fixed_s"]) == (10.0, 1.0)


def test_session_fixture_contexts_are_no_test_files() -> None:
    assert SESSION_FIXTURES != COLLECT and not SESSION_FIXTURES.endswith(".py")


def test_a_partial_run_keeps_the_outputs_of_the_tests_it_kept(tmp_path: Path) -> None:
    previous = {outputs.KEY: {"out/a.txt": ["tests/test_a.py::t"], "out/b.txt": ["tests/test_b.py::t"], "log": [""]}}
    kept = rerun.Kept(file_grain.Partial(("tests/test_b.py",)), tmp_path, tmp_path, None, previous, "t", tmp_path)
    merged = rerun.kept_outputs({"out/c.txt": ["tests/test_b.py::u"]}, kept)
    # test_b.py ran again and wrote c.txt, not b.txt any more; test_a.py was kept, and what it wrote stays an output.
    assert merged == {"log": [""], "out/a.txt": ["tests/test_a.py::t"], "out/c.txt": ["tests/test_b.py::u"]}
