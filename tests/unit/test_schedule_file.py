"""Unit tests of covsplit.schedule_file: the schedule's two kinds of entry, written and read back, or refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit import schedule_file
from covsplit.schedule_file import DealtPath, SharedFile

SHARED = SharedFile(
    "w1", {"w2": ("tests/test_x.py::TestSlow",), "w3": ("tests/test_x.py::test_p[2]", "tests/test_x.py::test_q")}
)
DEALT = DealtPath.among(["w2", "w1", "w3"])


def test_the_workers_of_each_kind_of_entry() -> None:
    assert SHARED.workers == {"w1", "w2", "w3"}
    assert DEALT.workers == {"w1", "w2", "w3"} and DEALT.dealt_to == ("w2", "w1", "w3")


def test_the_schedule_file_is_named_after_the_config() -> None:
    assert schedule_file.path_for(Path("/x/splits/workers.toml")) == Path("/x/splits/workers.schedule.json")


def test_a_schedule_round_trips_and_an_empty_one_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    assert schedule_file.read(path) == {}  # none yet: nothing is shared
    schedule_file.write(path, {"tests/test_x.py": SHARED})
    assert schedule_file.read(path) == {"tests/test_x.py": SHARED}
    assert json.loads(path.read_text())["schema"] == schedule_file.SCHEMA
    schedule_file.write(path, {})
    assert not path.exists()


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"schema": 99, "files": {}},
        {"schema": schedule_file.SCHEMA},
        {"schema": schedule_file.SCHEMA, "files": {"f.py": {"parts": {}}}},
        {"schema": schedule_file.SCHEMA, "files": {"f.py": {"owner": "w1", "parts": {"w2": "f.py::t"}}}},
        {"schema": schedule_file.SCHEMA, "files": {"f.py": {"owner": "w1", "parts": {"w2": [1]}}}},
    ],
)
def test_a_file_that_is_not_a_schedule_is_refused(data: object) -> None:
    with pytest.raises(schedule_file.ScheduleError):
        schedule_file.parse(data)


def test_unreadable_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    path.write_text("{not json")
    with pytest.raises(schedule_file.ScheduleError, match="unreadable"):
        schedule_file.read(path)


def test_a_dealt_entry_round_trips_with_its_groups(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    together = DealtPath.among(["w1", "w2"], [["tests/a.py", "tests/b.py"]])
    schedule_file.write(path, {"tests": DEALT, "tests/more": together, "tests/test_x.py": SHARED})
    assert schedule_file.read(path) == {"tests": DEALT, "tests/more": together, "tests/test_x.py": SHARED}
    files = json.loads(path.read_text())["files"]
    assert files["tests"] == {"dealt": ["w2", "w1", "w3"]}
    assert files["tests/more"] == {"dealt": ["w1", "w2"], "together": [["tests/a.py", "tests/b.py"]]}


@pytest.mark.parametrize("entry", [{"dealt": []}, {"dealt": "w1"}, {"dealt": ["w1"], "together": ["a.py"]}])
def test_a_dealt_entry_that_is_not_one_is_refused(entry: object) -> None:
    with pytest.raises(schedule_file.ScheduleError, match="tests"):
        schedule_file.parse({"schema": schedule_file.SCHEMA, "files": {"tests": entry}})
