"""Unit tests of covsplit.folder_packing: the folder order a worker owns a run of, where the runs are cut, and
how scattered and heavy a packing is, since the planner picks the least scattered packing by these measures."""

from __future__ import annotations

from collections.abc import Callable

from plan_helpers import inputs_for

from covsplit.folder_packing import coherence, folder_order, folder_runs, heaviest_load
from covsplit.plan_inputs import Inputs
from covsplit.source_tree import Node, Unit, decompose, source_tree, statements_of_node


def setup(modules: dict[str, int]) -> tuple[Inputs, list[Node], Callable[[Node], int]]:
    inputs = inputs_for(modules, [])
    return inputs, source_tree(inputs), lambda node: statements_of_node(node, modules)


def modules_of(units: list[Unit]) -> list[str]:
    return [unit.node.path for unit in units]


def test_the_folder_order_is_biggest_folder_first_and_inside_it_biggest_part_first() -> None:
    inputs, tops, weight = setup({"a/x.py": 5, "a/y.py": 35, "b/w.py": 20, "b/z.py": 20, "c/v.py": 50})
    atoms = decompose(tops, weight, -1.0, inputs)
    # a and b weigh 40 each: ties go by path, as do w and z inside b, whatever order the packages came in.
    assert modules_of(folder_order(tops[::-1], atoms, weight, inputs)) == [
        "c/v.py",
        "a/y.py",
        "a/x.py",
        "b/w.py",
        "b/z.py",
    ]


def test_the_folder_order_keeps_a_whole_folder_as_one_unit() -> None:
    inputs, tops, weight = setup({"a/x.py": 5, "a/s/y.py": 30, "a/s/z.py": 1, "b/w.py": 20})
    # a (36) is cut, its sub-folder s (31) is not: one unit of the order, before a's module x; b stays whole.
    units = decompose(tops, weight, 35, inputs)
    assert modules_of(folder_order(tops, units, weight, inputs)) == ["a/s", "a/x.py", "b"]
    assert folder_order([], [], weight, inputs) == []


def test_each_worker_owns_a_run_of_the_folder_order_cut_between_folders() -> None:
    inputs, tops, weight = setup({"a/x.py": 30, "a/y.py": 10, "b/w.py": 20, "b/z.py": 20})
    runs = folder_runs(tops, 2, weight, 40, inputs)
    assert runs is not None
    ordered, assign = runs
    assert modules_of(ordered) == ["a/x.py", "a/y.py", "b/w.py", "b/z.py"]
    assert assign == [0, 0, 1, 1]


def test_a_cut_between_folders_wins_over_a_tighter_balance_within_the_cap() -> None:
    inputs, tops, weight = setup({"a/x.py": 10, "a/y.py": 10, "a/v.py": 10, "b/w.py": 10})
    # 30 / 10 splits no folder; 20 / 20 would split a: within a cap of 30, the folder is kept.
    runs = folder_runs(tops, 2, weight, 30, inputs)
    assert runs is not None and runs[1] == [0, 0, 0, 1]
    # Under a cap of 29 only the split of a fits.
    runs = folder_runs(tops, 2, weight, 29, inputs)
    assert runs is not None and runs[1] == [0, 0, 1, 1]


def test_no_run_fits_a_cap_below_the_heaviest_even_cut() -> None:
    inputs, tops, weight = setup({"a/x.py": 30, "a/y.py": 10, "b/w.py": 20, "b/z.py": 20})
    assert folder_runs(tops, 2, weight, 39, inputs) is None
    # More workers than units: no cut gives every worker a run.
    assert folder_runs(tops, 5, weight, 1000, inputs) is None


def test_a_single_worker_owns_the_whole_order() -> None:
    inputs, tops, weight = setup({"a/x.py": 30, "b/w.py": 20})
    runs = folder_runs(tops, 1, weight, 50, inputs)
    assert runs is not None and runs[1] == [0, 0]


def test_coherence_counts_worker_folder_pairs_then_folders_split() -> None:
    inputs, tops, weight = setup({"a/x.py": 1, "a/y.py": 1, "b/w.py": 1, "b/z.py": 1})
    units = decompose(tops, weight, -1.0, inputs)
    assert coherence((units, [0, 0, 1, 1])) == (2, 0)
    assert coherence((units, [0, 1, 1, 1])) == (3, 1)
    assert coherence((units, [0, 1, 0, 1])) == (4, 2)
    assert coherence(([], [])) == (0, 0)


def test_in_a_one_package_project_coherence_looks_at_its_sub_folders() -> None:
    # Every unit lies in lib: a split is judged by lib's sub-folders, and lib's own modules count as lib.
    inputs, tops, weight = setup({"lib/r/a.py": 1, "lib/r/b.py": 1, "lib/io/x.py": 1, "lib/core.py": 1})
    units = decompose(tops, weight, -1.0, inputs)
    assert modules_of(units) == ["lib/core.py", "lib/io/x.py", "lib/r/a.py", "lib/r/b.py"]
    # lib itself, io and r: three folders, none split.
    assert coherence((units, [0, 0, 1, 1])) == (3, 0)
    assert coherence((units, [0, 1, 1, 0])) == (4, 1)
    # A sub-folder kept whole is a folder of its own.
    whole = decompose(tops, weight, 2, inputs)
    assert modules_of(whole) == ["lib/core.py", "lib/io", "lib/r"]
    assert coherence((whole, [0, 1, 1])) == (3, 0)


def test_a_top_level_module_is_a_folder_of_its_own() -> None:
    inputs, tops, weight = setup({"solo.py": 1, "other.py": 1, "a/x.py": 1, "a/y.py": 1})
    units = decompose(tops, weight, -1.0, inputs)
    assert modules_of(units) == ["a/x.py", "a/y.py", "other", "solo"]
    assert coherence((units, [0, 0, 1, 1])) == (3, 0)
    assert coherence((units, [0, 1, 1, 1])) == (4, 1)


def test_the_heaviest_load_is_the_heaviest_worker() -> None:
    inputs, tops, weight = setup({"a/x.py": 30, "a/y.py": 10, "b/w.py": 20})
    units = decompose(tops, weight, -1.0, inputs)
    assert heaviest_load((units, [0, 1, 1]), weight) == 30
    assert heaviest_load((units, [1, 1, 0]), weight) == 40
    assert heaviest_load(([], []), weight) == 0.0
