"""Scheduling test files onto workers: longest first onto the least loaded."""

from __future__ import annotations

import random

import pytest

from covsplit import node_ids, schedule

# Before any test was measured by node id, whole test files are placed: longest first onto the least loaded.


def test_whole_files_are_each_placed_once_and_every_worker_gets_one() -> None:
    seconds = {f"tests/test_{i}.py": float(i % 7) for i in range(20)}  # zeros included
    for workers in (1, 3, 5):
        placed = schedule.place(seconds, {}, {}, workers).whole
        assert sorted(placed) == sorted(seconds)
        assert set(placed.values()) == set(range(workers))


def test_longest_first_is_within_4_3_of_the_optimum_and_close_with_many_small_files() -> None:
    rng = random.Random(11)
    seconds = {f"t{i}.py": rng.uniform(0.1, 3.0) for i in range(60)}
    for workers in (2, 4, 5):
        placement = schedule.place(seconds, {}, {}, workers)
        ideal = schedule.ideal_makespan(list(seconds.values()), workers)
        assert placement.ideal == pytest.approx(ideal)
        assert max(placement.loads) <= ideal * 4 / 3
        assert max(placement.loads) <= ideal * 1.05


def test_a_file_longer_than_the_share_runs_alone() -> None:
    seconds = {"slow.py": 30.0, **{f"f{i}.py": 1.0 for i in range(7)}}
    placement = schedule.place(seconds, {}, {}, 2, fixed=0.5)
    placed = placement.whole
    alone = [test for test, worker in placed.items() if worker == placed["slow.py"]]
    assert alone == ["slow.py"]
    assert schedule.ideal_makespan(list(seconds.values()), 2, fixed=0.5) == placement.ideal == 30.5
    assert max(placement.loads) == 30.5


def test_same_input_same_placement() -> None:
    seconds = {f"t{i}.py": 1.0 for i in range(9)}
    assert schedule.place(seconds, {}, {}, 3) == schedule.place(dict(reversed(seconds.items())), {}, {}, 3)
    with pytest.raises(ValueError):
        schedule.place(seconds, {}, {}, 0)


# --- below the test file ------------------------------------------------------


def big_file(classes: int = 4, tests: int = 5, seconds: float = 1.0) -> dict[str, float]:
    return {f"tests/test_big.py::TestC{c}::test_{t}": seconds for c in range(classes) for t in range(tests)}


def test_pieces_are_as_coarse_as_the_limit_allows() -> None:
    nodes = big_file()  # four classes of 5 s
    assert [p.prefix for p in schedule.pieces("tests/test_big.py", nodes, 100.0)] == ["tests/test_big.py"]
    by_class = schedule.pieces("tests/test_big.py", nodes, 5.0)
    assert [p.prefix for p in by_class] == [f"tests/test_big.py::TestC{c}" for c in range(4)]
    assert sum(p.seconds for p in by_class) == 20.0
    by_test = schedule.pieces("tests/test_big.py", nodes, 2.0)
    assert len(by_test) == 20 and all("::test_" in p.prefix for p in by_test)


def test_parametrisations_are_cut_last() -> None:
    nodes = {f"tests/t.py::test_p[{i}]": 2.0 for i in range(6)} | {"tests/t.py::test_q": 1.0}
    cut = schedule.pieces("tests/t.py", nodes, 4.0)
    assert sorted(p.prefix for p in cut) == sorted(
        [*(f"tests/t.py::test_p[{i}]" for i in range(6)), "tests/t.py::test_q"]
    )
    assert [p.prefix for p in schedule.pieces("tests/t.py", nodes, 12.0)] == [
        "tests/t.py::test_p",
        "tests/t.py::test_q",
    ]


def test_a_file_heavier_than_a_share_is_shared_and_the_heaviest_worker_is_near_the_ideal() -> None:
    files = {"tests/test_big.py": 21.0, **{f"tests/test_{i}.py": 1.0 for i in range(4)}}
    tests = {"tests/test_big.py": big_file()}  # 20 s of tests + 1 s collecting
    for workers in (2, 3, 5):
        placement = schedule.place(files, tests, {"tests/test_big.py": 1.0}, workers, fixed=0.5)
        assert "tests/test_big.py" in placement.shared
        assert max(placement.loads) <= placement.ideal * 1.10 + 1.0  # + one more collection of the cut file
        shared = placement.shared["tests/test_big.py"]
        assert shared.owner not in shared.parts
        named = [prefix for parts in shared.parts.values() for prefix in parts]
        assert len(named) == len(set(named))


def test_each_worker_running_a_piece_pays_the_cut_file_s_collection_once() -> None:
    # One 20 s file of four 5 s classes, 2 s to collect, cut over four workers: each runs one class and collects
    # the file once (7 s); charging the first piece the collection again made its workers 8 s.
    files = {"tests/test_big.py": 22.0}
    placement = schedule.place(files, {"tests/test_big.py": big_file()}, {"tests/test_big.py": 2.0}, 4)
    assert placement.loads == [7.0, 7.0, 7.0, 7.0]


def test_whole_files_stay_whole_when_no_file_outweighs_a_share() -> None:
    files = {f"tests/test_{i}.py": float(i + 1) for i in range(6)}
    tests = {name: {f"{name}::test_a": s / 2, f"{name}::test_b": s / 2} for name, s in files.items()}
    placement = schedule.place(files, tests, {}, 3)
    assert placement.shared == {} and sorted(placement.whole) == sorted(files)
    assert placement.whole == schedule.place(files, {}, {}, 3).whole  # as if no test had been measured


def test_files_kept_together_are_never_cut_and_share_a_worker() -> None:
    files = {"tests/test_big.py": 21.0, "tests/test_state.py": 1.0, **{f"tests/test_{i}.py": 1.0 for i in range(4)}}
    tests = {"tests/test_big.py": big_file()}
    placement = schedule.place(files, tests, {}, 3, together=[["tests/test_big.py", "tests/test_state.py"]])
    assert placement.shared == {}
    assert placement.whole["tests/test_big.py"] == placement.whole["tests/test_state.py"]


def test_same_measurements_same_schedule() -> None:
    files = {"tests/test_big.py": 21.0, **{f"tests/test_{i}.py": 1.0 for i in range(4)}}
    tests = {"tests/test_big.py": big_file()}
    assert schedule.place(files, tests, {}, 3) == schedule.place(dict(reversed(files.items())), tests, {}, 3)


def test_simulation_on_a_large_fleet_reaches_the_longest_test() -> None:
    rng = random.Random(5)
    nodes = {f"tests/test_big.py::test_{i}": rng.uniform(0.1, 2.0) for i in range(400)}
    files = {"tests/test_big.py": sum(nodes.values()), **{f"tests/t{i}.py": rng.uniform(1, 5) for i in range(50)}}
    for workers in (16, 64):
        heaviest, ideal = schedule.simulate(files, {"tests/test_big.py": nodes}, {}, workers)
        assert heaviest <= ideal * 1.10


def test_the_ideal_counts_the_collection_the_longest_test_cannot_run_without() -> None:
    # A 3 s test in a file that takes 1 s to collect: no schedule runs it in less than 4 s (plus the fixed cost).
    files = {"tests/test_slow.py": 4.0, **{f"tests/test_{i}.py": 0.5 for i in range(4)}}
    tests = {"tests/test_slow.py": {"tests/test_slow.py::test_long": 3.0}}
    placement = schedule.place(files, tests, {"tests/test_slow.py": 1.0}, 4, fixed=0.5)
    assert placement.ideal == 4.5
    assert max(placement.loads) == 4.5


def test_classes_kept_together_share_a_worker_while_the_rest_of_their_file_is_cut() -> None:
    # pyparsing's tests/test_unit.py: a class that switches packrat on must run before the class that tests it.
    files = {"tests/test_big.py": 20.0, **{f"tests/test_{i}.py": 1.0 for i in range(4)}}
    tests = {"tests/test_big.py": big_file(classes=4, tests=5)}
    group = ["tests/test_big.py::TestC1", "tests/test_big.py::TestC2::test_0"]
    placement = schedule.place(files, tests, {}, 3, together=[group])
    shared = placement.shared["tests/test_big.py"]
    where = {prefix: worker for worker, prefixes in shared.parts.items() for prefix in prefixes}

    def worker_of(node: str) -> int:
        return next((where[p] for p in node_ids.prefixes(node) if p in where), shared.owner)

    kept = {worker_of(f"tests/test_big.py::TestC1::test_{t}") for t in range(5)}
    assert kept == {worker_of("tests/test_big.py::TestC2::test_0")} and len(kept) == 1
    assert len({worker_of(node) for node in tests["tests/test_big.py"]}) > 1  # the rest of the file is still cut
    # The group (6 s) is lighter than a share (24 s / 3), so the ideal is the share and the plan reaches it.
    assert placement.ideal == 8.0 and max(placement.loads) <= 8.0 * 1.10


def test_a_group_kept_together_heavier_than_a_share_sets_the_ideal() -> None:
    files = {"tests/test_big.py": 20.0}
    tests = {"tests/test_big.py": big_file(classes=4, tests=5)}
    group = ["tests/test_big.py::TestC0", "tests/test_big.py::TestC1", "tests/test_big.py::TestC2"]
    placement = schedule.place(files, tests, {"tests/test_big.py": 0.5}, 4, together=[group])
    assert placement.ideal == 15.5  # 15 s of tests kept together, and the file's collection


def test_the_ideal_is_never_above_the_heaviest_when_a_test_and_its_collection_add_up_to_more_than_its_file() -> None:
    # Timed apart: collecting a.py 0.2 s, its test 0.9 s; the whole file measured 1.0 s.
    placement = schedule.place({"a.py": 1.0, "b.py": 0.1}, {"a.py": {"a.py::t": 0.9}}, {"a.py": 0.2}, 16)
    assert placement.ideal == 1.0 == max(placement.loads)
