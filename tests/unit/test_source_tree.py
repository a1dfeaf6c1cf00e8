"""Unit tests of covsplit.source_tree: the source packages as workers.toml can name them, and how they are cut
into the units a split packs (whole folders or single modules), since every plan starts from these pieces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from plan_helpers import inputs_for

from covsplit.plan_inputs import Inputs
from covsplit.source_tree import (
    Node,
    Unit,
    decompose,
    named_children,
    node_files,
    source_tree,
    split_one,
    splittable,
    statements_of_node,
)

MODULES = {
    "pkg/__init__.py": 0,
    "pkg/core.py": 40,
    "pkg/io/__init__.py": 0,
    "pkg/io/read.py": 20,
    "pkg/io/write.py": 10,
    "solo.py": 5,
}


def paths(nodes: list[Node]) -> list[str]:
    return [node.path for node in nodes]


def unit_paths(units: list[Unit]) -> list[tuple[str, str]]:
    return [(unit.node.path, unit.group) for unit in units]


def weigh(inputs: Inputs) -> Callable[[Node], int]:
    return lambda node: statements_of_node(node, inputs.statements)


def test_each_package_is_a_tree_of_its_sub_folders_and_modules() -> None:
    inputs = inputs_for(MODULES, [])
    pkg, solo = source_tree(inputs)
    assert (solo.path, solo.dotted, solo.files, solo.is_folder) == ("solo", "solo", ("solo.py",), False)
    assert (pkg.dotted, pkg.is_folder, pkg.top) == ("pkg", True, "pkg")
    # Modules first, then sub-folders, each sorted; every node knows its top package.
    assert [(c.path, c.dotted) for c in pkg.children] == [
        ("pkg/__init__.py", "pkg.__init__"),
        ("pkg/core.py", "pkg.core"),
        ("pkg/io", "pkg.io"),
    ]
    io = pkg.children[2]
    assert io.files == ("pkg/io/__init__.py", "pkg/io/read.py", "pkg/io/write.py")
    assert paths(list(io.children)) == ["pkg/io/__init__.py", "pkg/io/read.py", "pkg/io/write.py"]
    assert {node.top for node in io.children} == {"pkg"}


def test_a_package_listed_inside_another_belongs_to_the_outer_one() -> None:
    inputs = inputs_for(MODULES, [])
    inputs = replace(inputs, source=("pkg.io", "pkg", "pkg"))
    assert paths(source_tree(inputs)) == ["pkg"]


def test_a_package_without_files_is_left_out() -> None:
    inputs = replace(inputs_for(MODULES, []), source=("empty", "solo"))
    assert paths(source_tree(inputs)) == ["solo"]
    assert source_tree(replace(inputs_for({}, []), source=())) == []


def test_a_module_beside_its_folder_of_the_same_name_is_one_node() -> None:
    # pkg.py and pkg/ are both "pkg": workers.toml cannot give them to two workers.
    inputs = inputs_for({"pkg.py": 3, "pkg/a.py": 4}, [])
    (node,) = source_tree(inputs)
    assert (node.path, node.files, node.is_folder) == ("pkg", ("pkg.py", "pkg/a.py"), False)


def test_a_prefix_of_another_package_name_is_not_its_parent() -> None:
    inputs = inputs_for({"pkg/a.py": 1, "pkg_extra/b.py": 2}, [])
    assert paths(source_tree(inputs)) == ["pkg", "pkg_extra"]


def test_a_src_layout_keeps_paths_under_the_source_dir() -> None:
    inputs = Inputs(
        source_dir="src",
        source=("lib",),
        test_root="tests",
        files=("src/lib/a.py", "src/lib/sub/b.py"),
        statements={},
        test_files=(),
    )
    (lib,) = source_tree(inputs)
    assert [(c.path, c.dotted) for c in lib.children] == [("src/lib/a.py", "lib.a"), ("src/lib/sub", "lib.sub")]


def test_only_nodes_heavier_than_the_target_are_cut_into_their_children() -> None:
    inputs = inputs_for(MODULES, [])
    tops = source_tree(inputs)
    weight = weigh(inputs)
    # pkg weighs 70: a target of 70 keeps it whole, one below cuts it, and io (30) stays whole.
    assert unit_paths(decompose(tops, weight, 70, inputs)) == [("pkg", "pkg"), ("solo", "solo")]
    assert unit_paths(decompose(tops, weight, 69, inputs)) == [
        ("pkg/__init__.py", "pkg"),
        ("pkg/core.py", "pkg"),
        ("pkg/io", "pkg"),
        ("solo", "solo"),
    ]
    # A negative target cuts every folder down to modules, each grouped with the folder it came from.
    assert ("pkg/io/read.py", "pkg/io") in unit_paths(decompose(tops, weight, -1.0, inputs))
    assert decompose([], weight, -1.0, inputs) == []


def test_blank_inits_are_not_pieces_of_their_own() -> None:
    inputs = inputs_for(MODULES, [], blank=frozenset({"pkg/__init__.py", "pkg/io/__init__.py"}))
    (pkg, _solo) = source_tree(inputs)
    assert paths(named_children(pkg, inputs)) == ["pkg/core.py", "pkg/io"]
    units = decompose([pkg], weigh(inputs), -1.0, inputs)
    assert [u.node.path for u in units] == ["pkg/core.py", "pkg/io/read.py", "pkg/io/write.py"]
    # An __init__.py with code is a module like any other.
    with_code = inputs_for(MODULES, [])
    assert "pkg/__init__.py" in paths(named_children(source_tree(with_code)[0], with_code))


def test_a_folder_with_a_child_that_cannot_be_named_is_never_cut() -> None:
    inputs = inputs_for(MODULES, [], nameable=lambda dotted, files: dotted != "pkg.io.write")
    pkg, _solo = source_tree(inputs)
    io = pkg.children[2]
    assert splittable(pkg, inputs) and not splittable(io, inputs)
    units = decompose([pkg], weigh(inputs), -1.0, inputs)
    assert [u.node.path for u in units] == ["pkg/__init__.py", "pkg/core.py", "pkg/io"]


def test_split_one_cuts_the_heaviest_splittable_folder_in_place() -> None:
    inputs = inputs_for({"a/x.py": 5, "a/y.py": 5, "b/z.py": 30, "b/w.py": 1, "c.py": 99}, [])
    units = decompose(source_tree(inputs), weigh(inputs), 1000, inputs)
    assert unit_paths(units) == [("a", "a"), ("b", "b"), ("c", "c")]
    once = split_one(units, weigh(inputs), inputs)
    assert once is not None
    # b (31) before a (10); the module c, heavier still, cannot be cut; the order around the cut is kept.
    assert unit_paths(once) == [("a", "a"), ("b/w.py", "b"), ("b/z.py", "b"), ("c", "c")]
    twice = split_one(once, weigh(inputs), inputs)
    assert twice is not None
    assert unit_paths(twice)[:2] == [("a/x.py", "a"), ("a/y.py", "a")]
    assert split_one(twice, weigh(inputs), inputs) is None


def test_split_one_breaks_a_tie_by_path() -> None:
    inputs = inputs_for({"a/x.py": 5, "a/y.py": 5, "b/z.py": 5, "b/w.py": 5}, [])
    units = decompose(source_tree(inputs), weigh(inputs), 1000, inputs)
    once = split_one(units, weigh(inputs), inputs)
    assert once is not None
    assert [u.node.path for u in once] == ["a", "b/w.py", "b/z.py"]


def test_split_one_leaves_an_unsplittable_folder_whole() -> None:
    inputs = inputs_for({"a/x.py": 50, "a/y.py": 5, "b/z.py": 1, "b/w.py": 1}, [])
    inputs = replace(inputs, nameable=lambda dotted, files: not dotted.startswith("a."))
    units = decompose(source_tree(inputs), weigh(inputs), 1000, inputs)
    once = split_one(units, weigh(inputs), inputs)
    assert once is not None and [u.node.path for u in once] == ["a", "b/w.py", "b/z.py"]


def test_a_node_weighs_the_statements_of_its_files_and_unknown_files_weigh_nothing() -> None:
    node = Node("pkg", "pkg", ("pkg/a.py", "pkg/b.py", "pkg/new.py"))
    assert statements_of_node(node, {"pkg/a.py": 3, "pkg/b.py": 4}) == 7
    assert statements_of_node(node, {}) == 0


def test_node_files_finds_a_dotted_name_at_any_depth() -> None:
    tops = source_tree(inputs_for(MODULES, []))
    assert node_files(tops, "pkg.io") == ("pkg/io/__init__.py", "pkg/io/read.py", "pkg/io/write.py")
    assert node_files(tops, "pkg.io.read") == ("pkg/io/read.py",)
    assert node_files(tops, "solo") == ("solo.py",)
    assert node_files(tops, "pkg.missing") == ()
    assert node_files([], "pkg") == ()


def test_children_are_sorted_whatever_order_the_files_came_in() -> None:
    # The same tree, so the same plan, however the files were listed.
    files = ("pkg/z/c.py", "pkg/y/d.py", "pkg/b.py", "pkg/a.py")
    inputs = replace(inputs_for(dict.fromkeys(files, 1), []), files=files)
    (pkg,) = source_tree(inputs)
    assert paths(list(pkg.children)) == ["pkg/a.py", "pkg/b.py", "pkg/y", "pkg/z"]
