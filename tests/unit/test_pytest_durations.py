"""The durations plugin under pytest-xdist: one file from every process's measurements."""

from __future__ import annotations

from covsplit.pytest_durations import merge


def _record(collect: float, tests: dict[str, float], cpu: float) -> dict:
    return {
        "schema": 1,
        "session_cpu_s": cpu,
        "files": {
            "/p/tests/test_a.py": {
                "collect_s": collect,
                "tests_s": sum(tests.values()),
                "collect_cpu_s": collect,
                "tests_cpu_s": sum(tests.values()),
            }
        },
        "tests": {"/p/tests/test_a.py": tests},
        "tests_cpu": {"/p/tests/test_a.py": tests},
    }


def test_processes_collect_the_same_file_at_once_and_run_different_tests() -> None:
    merged = merge(
        [
            {"schema": 1, "session_cpu_s": 0.5, "files": {}, "tests": {}},  # the controller collects nothing
            _record(1.0, {"tests/test_a.py::t1": 2.0}, 3.0),
            _record(1.5, {"tests/test_a.py::t2": 4.0}, 5.5),
        ]
    )
    entry = merged["files"]["/p/tests/test_a.py"]
    assert entry["collect_s"] == 1.5 and entry["tests_s"] == 6.0
    assert merged["tests"]["/p/tests/test_a.py"] == {"tests/test_a.py::t1": 2.0, "tests/test_a.py::t2": 4.0}
    assert merged["session_cpu_s"] == 9.0
