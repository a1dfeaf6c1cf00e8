"""Unit tests of covsplit.ownership: which worker owns which modules (statements balanced, folders whole where
the tolerance allows) and when today's ownership still stands, since every plan's modules come from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

import pytest
from plan_helpers import inputs_for

from covsplit.ownership import own_by_statements, ownership_stands, pack_units, split_floor
from covsplit.packing import PlanError
from covsplit.plan_inputs import Inputs, OldWorker
from covsplit.source_tree import Node, decompose, source_tree, statements_of_node


def own(inputs: Inputs, n: int) -> tuple[list[tuple[tuple[str, ...], tuple[str, ...]]], float, list[str]]:
    notes: list[str] = []
    owned, ideal = own_by_statements(inputs, source_tree(inputs), n, notes)
    return owned, ideal, notes


def loads(owned: list[tuple[tuple[str, ...], tuple[str, ...]]], statements: dict[str, int]) -> list[int]:
    return [sum(statements.get(f, 0) for f in files) for _modules, files in owned]


# --------------------------------------------------------------------------- own_by_statements


def test_light_packages_are_owned_whole_by_one_worker_each() -> None:
    modules = {f"{pkg}/m{i}.py": 10 for pkg in ("a", "b", "c") for i in range(3)}
    owned, ideal, notes = own(inputs_for(modules, []), 3)
    assert sorted(owned) == [
        (("a",), ("a/m0.py", "a/m1.py", "a/m2.py")),
        (("b",), ("b/m0.py", "b/m1.py", "b/m2.py")),
        (("c",), ("c/m0.py", "c/m1.py", "c/m2.py")),
    ]
    assert ideal == 30
    assert notes == []


def test_a_single_worker_owns_every_package_by_its_name() -> None:
    modules = {"a/x.py": 5, "a/y.py": 7, "solo.py": 3}
    owned, ideal, _notes = own(inputs_for(modules, []), 1)
    assert owned == [(("a", "solo"), ("a/x.py", "a/y.py", "solo.py"))]
    assert ideal == 15


def test_a_package_heavier_than_a_share_is_split_into_named_modules() -> None:
    modules = {"big/m0.py": 40, "big/m1.py": 40, "big/m2.py": 40, "small/a.py": 40}
    owned, ideal, _notes = own(inputs_for(modules, []), 2)
    assert ideal == 80
    assert loads(owned, modules) == [80, 80]
    names = sorted(m for mods, _files in owned for m in mods)
    # small stays whole; big is named module by module, or by what is left of it whole.
    assert "small" in names and "big" not in names
    assert sorted(f for _mods, files in owned for f in files) == sorted(modules)


def test_the_ideal_is_the_heaviest_module_when_it_outweighs_a_share() -> None:
    modules = {"a/huge.py": 90, "a/x.py": 5, "b/y.py": 5}
    owned, ideal, _notes = own(inputs_for(modules, []), 2)
    assert ideal == 90
    assert sorted(loads(owned, modules)) == [10, 90]


def test_more_workers_than_modules_with_statements_is_an_error() -> None:
    # Modules without statements cannot give a worker something to answer for.
    modules = {"a/x.py": 5, "a/y.py": 0, "b/z.py": 5}
    with pytest.raises(PlanError, match="3 workers but only 2 modules with statements"):
        own(inputs_for(modules, []), 3)
    own(inputs_for(modules, []), 2)


def test_a_folder_owned_whole_brings_its_blank_init() -> None:
    modules = {"a/__init__.py": 0, "a/x.py": 10, "a/y.py": 10, "b/__init__.py": 0, "b/z.py": 20}
    inputs = inputs_for(modules, [], blank=frozenset({"a/__init__.py", "b/__init__.py"}))
    owned, _ideal, _notes = own(inputs, 2)
    assert sorted(owned) == [
        (("a",), ("a/__init__.py", "a/x.py", "a/y.py")),
        (("b",), ("b/__init__.py", "b/z.py")),
    ]


def test_a_folder_cut_up_but_owned_by_one_worker_is_named_whole_with_its_blank_init() -> None:
    # a/ (60) is heavier than the 55 the tolerance allows and is cut; no cut of it balances better, so both
    # halves stay with one worker, which then owns a/ by its name, blank __init__.py included.
    modules = {"a/__init__.py": 0, "a/x.py": 30, "a/y.py": 30, "b/__init__.py": 0, "b/p.py": 35, "b/q.py": 5}
    inputs = inputs_for(modules, [], blank=frozenset({"a/__init__.py", "b/__init__.py"}))
    owned, _ideal, _notes = own(inputs, 2)
    assert sorted(owned) == [
        (("a",), ("a/__init__.py", "a/x.py", "a/y.py")),
        (("b",), ("b/__init__.py", "b/p.py", "b/q.py")),
    ]


def test_light_folders_are_cut_when_heavy_modules_leave_fewer_pieces_than_workers() -> None:
    # c/z.py alone sets the ideal (30): nothing is heavier than the target, yet three workers need three pieces.
    modules = {"a/x.py": 5, "a/y.py": 5, "c/z.py": 30}
    owned, ideal, _notes = own(inputs_for(modules, []), 3)
    assert ideal == 30
    assert sorted(owned) == [(("a.x",), ("a/x.py",)), (("a.y",), ("a/y.py",)), (("c",), ("c/z.py",))]


def test_a_split_folder_leaves_its_blank_init_unowned() -> None:
    # Owned module by module, a/ has no name for its blank __init__.py: no worker answers for it.
    modules = {"a/__init__.py": 0, "a/x.py": 10, "a/y.py": 10}
    inputs = inputs_for(modules, [], blank=frozenset({"a/__init__.py"}))
    owned, _ideal, _notes = own(inputs, 2)
    assert sorted(owned) == [(("a.x",), ("a/x.py",)), (("a.y",), ("a/y.py",))]


def test_a_heavy_folder_that_cannot_be_named_is_kept_whole_and_said_so() -> None:
    modules = {"ev/8ball.py": 50, "ev/a.py": 50, "other/x.py": 10, "other/y.py": 10}
    inputs = inputs_for(modules, [], nameable=lambda dotted, files: dotted != "ev.8ball")
    owned, _ideal, notes = own(inputs, 2)
    assert sorted(owned) == [(("ev",), ("ev/8ball.py", "ev/a.py")), (("other",), ("other/x.py", "other/y.py"))]
    assert notes == [
        "ev/ is heavier than the target but is kept whole: ev/8ball.py cannot be named as a module "
        "(a dotted name holds letters, digits and _ only)"
    ]


def test_folders_first_is_noted_when_it_costs_balance() -> None:
    # Keeping a/ and b/ whole (60 / 50 / 40) is within a tolerance of 1.2 but not the tightest balance.
    modules = {**{f"a/m{i}.py": 12 for i in range(5)}, **{f"b/m{i}.py": 10 for i in range(5)}, "c/m.py": 40}
    inputs = inputs_for(modules, [], tolerance=1.2)
    owned, _ideal, notes = own(inputs, 3)
    assert sorted(loads(owned, modules)) == [40, 50, 60]
    assert len(notes) == 1 and notes[0].startswith("folders first: max/mean statements 1.200")
    # With no tolerance to spend, the balance is the tightest (modules of 12 allow no better) and nothing is traded.
    owned, _ideal, notes = own(inputs_for(modules, [], tolerance=1.0), 3)
    assert sorted(loads(owned, modules)) == [48, 50, 52]
    assert notes == []


# --------------------------------------------------------------------------- ownership_stands and split_floor


MODULES = {"a/big.py": 300, "a/x.py": 50, "b/y.py": 50, "b/z.py": 50}


def old(*groups: tuple[str, ...], missing: tuple[str, ...] = ()) -> list[OldWorker]:
    def dotted(files: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f.removesuffix(".py").replace("/", ".") for f in files)

    return [OldWorker(f"worker{i}", f"W{i}", dotted(files), files, (), missing) for i, files in enumerate(groups, 1)]


def test_a_split_within_the_tolerance_stands_and_one_beyond_it_does_not() -> None:
    inputs = inputs_for({"a/x.py": 6, "a/w.py": 5, "a/y.py": 5, "b/z.py": 4}, [])
    # 11 and 9: max/mean exactly 1.10, the default tolerance, counted exactly: within it.
    assert ownership_stands(old(("a/x.py", "a/w.py"), ("a/y.py", "b/z.py")), 2, inputs)
    assert not ownership_stands(old(("a/x.py", "a/w.py"), ("a/y.py", "b/z.py")), 2, replace(inputs, tolerance=1.09))
    # 15 and 5: 1.5.
    assert not ownership_stands(old(("a/x.py", "a/w.py", "b/z.py"), ("a/y.py",)), 2, inputs)
    assert ownership_stands(old(("a/x.py", "a/w.py", "b/z.py"), ("a/y.py",)), 2, replace(inputs, tolerance=1.5))


def test_a_split_does_not_stand_for_another_worker_count() -> None:
    inputs = inputs_for({"a/x.py": 10, "b/z.py": 10}, [])
    assert not ownership_stands(old(("a/x.py",), ("b/z.py",)), 3, inputs)
    assert not ownership_stands(old(("a/x.py", "b/z.py")), 2, inputs)


def test_a_split_naming_a_module_that_is_gone_does_not_stand() -> None:
    inputs = inputs_for({"a/x.py": 10, "b/z.py": 10}, [])
    assert not ownership_stands(old(("a/x.py",), ("b/z.py",), missing=("a.gone",)), 2, inputs)


def test_a_split_owning_a_module_twice_or_not_at_all_does_not_stand() -> None:
    inputs = inputs_for({"a/x.py": 10, "a/y.py": 10, "b/z.py": 10}, [])
    assert not ownership_stands(old(("a/x.py", "a/y.py"), ("a/y.py", "b/z.py")), 2, inputs)
    assert not ownership_stands(old(("a/x.py",), ("b/z.py",)), 2, inputs)
    # A module without statements needs no owner.
    inputs = inputs_for({"a/x.py": 10, "a/y.py": 0, "b/z.py": 10}, [])
    assert ownership_stands(old(("a/x.py",), ("b/z.py",)), 2, inputs)


def test_a_split_with_a_worker_owning_no_statements_does_not_stand() -> None:
    inputs = inputs_for({"a/x.py": 10, "a/y.py": 0}, [], tolerance=100.0)
    assert not ownership_stands(old(("a/x.py",), ("a/y.py",)), 2, inputs)


def test_a_split_held_up_by_one_heavy_module_stands_at_its_floor() -> None:
    inputs = inputs_for(MODULES, [])
    # big.py is 300 of 450 statements; a share of three workers is 150: no split gets below 2.0.
    assert split_floor(old(*((f,) for f in MODULES)), 3, inputs) == Fraction(2)
    assert ownership_stands(old(("a/big.py",), ("a/x.py", "b/y.py"), ("b/z.py",)), 3, inputs)
    assert not ownership_stands(old(("a/big.py", "a/x.py"), ("b/y.py",), ("b/z.py",)), 3, inputs)


def test_a_split_floor_is_one_without_a_module_heavier_than_a_share() -> None:
    inputs = inputs_for({"a/x.py": 10, "b/z.py": 10}, [])
    assert split_floor(old(("a/x.py",), ("b/z.py",)), 2, inputs) == 1
    assert split_floor([], 2, inputs) == 1


# --------------------------------------------------------------------------- pack_units


def weight_of(modules: dict[str, int]) -> Callable[[Node], int]:
    return lambda node: statements_of_node(node, modules)


def test_packing_keeps_folders_whole_while_the_heaviest_worker_is_good_enough() -> None:
    modules = {f"{pkg}/m{i}.py": 10 for pkg in "abcd" for i in range(3)}
    inputs = inputs_for(modules, [])
    weight = weight_of(modules)
    units = decompose(source_tree(inputs), weight, 1000, inputs)
    # Four packages of 30 on three workers: whole, the heaviest holds 60.
    whole, assign = pack_units(units, [], 3, weight, weight, 60, inputs)
    assert [u.node.path for u in whole] == ["a", "b", "c", "d"] and len(set(assign)) == 3
    # Asked for 40, folders are split, heaviest first, until it is reached.
    split, assign = pack_units(units, [], 3, weight, weight, 40, inputs)
    assert len(split) > 4
    assert max(sum(weight(u.node) for u, a in zip(split, assign, strict=True) if a == k) for k in range(3)) == 40


def test_packing_returns_the_best_it_found_when_nothing_reaches_good_enough() -> None:
    modules = {"a/x.py": 50, "a/y.py": 10, "b/z.py": 10}
    inputs = inputs_for(modules, [])
    weight = weight_of(modules)
    units = decompose(source_tree(inputs), weight, 1000, inputs)
    packed, assign = pack_units(units, [], 2, weight, weight, 1, inputs)
    heaviest = max(sum(weight(u.node) for u, a in zip(packed, assign, strict=True) if a == k) for k in range(2))
    assert heaviest == 50


def test_free_weights_take_a_worker_but_are_not_units() -> None:
    # A heavy item that owns no module (free weight) goes to a worker; the units still cover both workers.
    modules = {"a/x.py": 10, "b/z.py": 10}
    inputs = inputs_for(modules, [])
    weight = weight_of(modules)
    units = decompose(source_tree(inputs), weight, 1000, inputs)
    packed, assign = pack_units(units, [100.0], 2, weight, weight, 1000, inputs)
    assert [u.node.path for u in packed] == ["a", "b"]
    assert len(assign) == 3 and sorted(assign[:2]) == [0, 1]


def test_packing_keeps_the_least_cut_units_when_cutting_more_gains_nothing() -> None:
    # a/ is cut up front; cutting b/ too cannot bring the heaviest worker (60) down, so b/ stays one unit.
    modules = {"a/x.py": 30, "a/y.py": 30, "b/p.py": 35, "b/q.py": 5}
    inputs = inputs_for(modules, [])
    weight = weight_of(modules)
    units = decompose(source_tree(inputs), weight, 55, inputs)
    assert [u.node.path for u in units] == ["a/x.py", "a/y.py", "b"]
    packed, _assign = pack_units(units, [], 2, weight, weight, 51, inputs)
    assert [u.node.path for u in packed] == ["a/x.py", "a/y.py", "b"]
