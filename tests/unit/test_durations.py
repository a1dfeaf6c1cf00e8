"""Measured seconds: the driver's durations file from the plugin's raw record, and reading them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit import durations


def test_record_makes_paths_relative_and_the_parts_add_up_to_the_wall_time(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    raw = tmp_path / "raw.json"
    raw.write_text(
        json.dumps(
            {
                "schema": 1,
                "files": {
                    str(root / "tests" / "test_a.py"): {"collect_s": 1.5, "tests_s": 0.25},
                    str(root / "tests" / "test_b.py"): {"collect_s": 0.0, "tests_s": 2.0},
                },
            }
        )
    )
    path = tmp_path / "out" / "worker1_durations.json"
    durations.record(raw, path, root, "worker1", wall_s=5.0)
    record = json.loads(path.read_text())
    assert record["files"] == {"tests/test_a.py": 1.75, "tests/test_b.py": 2.0}
    assert record["fixed_s"] == pytest.approx(1.25)
    assert not raw.exists()
    measured = durations.read(path.parent)
    assert measured.files == {"tests/test_a.py": 1.75, "tests/test_b.py": 2.0}
    assert measured.fixed == {"worker1": pytest.approx(1.25)} and measured.wall == {"worker1": 5.0}


def test_a_run_that_left_no_record_removes_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "worker1_durations.json"
    path.write_text(json.dumps({"schema": 1, "worker": "worker1", "wall_s": 1, "fixed_s": 1, "files": {}}))
    durations.record(tmp_path / "missing.json", path, tmp_path, "worker1", wall_s=3.0)
    assert not path.exists()


def test_unreadable_or_foreign_files_measure_nothing(tmp_path: Path) -> None:
    (tmp_path / "worker1_durations.json").write_text("{")
    (tmp_path / "worker2_durations.json").write_text(json.dumps({"schema": 99, "files": {"t.py": 1}}))
    assert durations.read(tmp_path) == durations.Measured()
    assert durations.read(tmp_path).fixed_per_worker == 0.0


def test_seconds_for_uses_the_mean_for_unmeasured_files() -> None:
    seconds, average = durations.seconds_for(["a.py", "b.py", "c.py"], {"a.py": 1.0, "b.py": 3.0})
    assert seconds == {"a.py": 1.0, "b.py": 3.0, "c.py": 2.0} and average == 2.0
    assert durations.seconds_for(["a.py"], {}) == ({"a.py": 1.0}, None)


@pytest.mark.parametrize(
    ("wall", "cpu", "contention", "expected"),
    [
        (10.0, 4.0, 2.5, 4.0),  # computing only: the crowd explains the wall time
        (10.0, 0.0, 2.5, 10.0),  # sleeping: the crowd does not slow a sleep
        (10.0, 2.0, 2.5, 7.0),  # 5 s of computing in the crowd plus 5 s waiting on I/O
        (10.0, 4.0, 1.0, 10.0),  # alone: the wall time, whatever the CPU says
        (3.0, 6.0, 2.5, 3.0),  # threads used more CPU than wall time: never more than the wall
    ],
)
def test_uncontended_takes_the_crowds_wait_out(wall: float, cpu: float, contention: float, expected: float) -> None:
    assert durations.uncontended(wall, cpu, contention) == pytest.approx(expected)


def test_a_record_measured_in_a_crowd_agrees_with_one_measured_alone(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    test_a = str(root / "tests" / "test_a.py")

    def raw(scale: float) -> Path:
        path = tmp_path / f"raw{scale}.json"
        path.write_text(
            json.dumps(
                {
                    "schema": 1,
                    "files": {
                        test_a: {
                            "collect_s": 1.0 * scale,
                            "tests_s": 2.0 * scale,
                            "collect_cpu_s": 1.0,
                            "tests_cpu_s": 2.0,
                        }
                    },
                    "tests": {test_a: {"tests/test_a.py::t1": 0.5 * scale, "tests/test_a.py::t2": 1.5 * scale}},
                    "tests_cpu": {test_a: {"tests/test_a.py::t1": 0.5, "tests/test_a.py::t2": 1.5}},
                }
            )
        )
        return path

    alone, crowd = tmp_path / "alone" / "worker1_durations.json", tmp_path / "crowd" / "worker1_durations.json"
    durations.record(raw(1.0), alone, root, "worker1", wall_s=4.0, cpu_s=4.0, contention=1.0)
    durations.record(raw(2.5), crowd, root, "worker1", wall_s=10.0, cpu_s=4.0, contention=2.5)
    first, second = json.loads(alone.read_text()), json.loads(crowd.read_text())
    for key in ("files", "collect", "tests", "fixed_s"):
        assert first[key] == second[key], key
    assert first["files"] == {"tests/test_a.py": 3.0} and first["fixed_s"] == pytest.approx(1.0)
    assert second["contention"] == 2.5 and second["wall_s"] == 10.0
