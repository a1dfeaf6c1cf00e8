"""Unit tests of covsplit.naming: fresh titles in the spec's style, and which old workers survive a re-plan
(name and title kept), so that a plan reads like the split a person would have written and changes no more
names than it must."""

from __future__ import annotations

from typing import Any

from plan_helpers import inputs_for

from covsplit import naming, source_tree
from covsplit import titles as fit
from covsplit.plan_inputs import OldWorker


def test_in_a_one_package_project_titles_name_the_sub_folders() -> None:
    # Every worker shares the one package, so "Large Core Modules" would tell them apart but not say
    # where their modules are: the sub-folders do (listing its modules where a worker has only some of one),
    # or its heaviest module when it has none.
    top = source_tree.Node(
        "lib",
        "lib",
        ("lib/core.py", "lib/util.py", "lib/rules/a.py", "lib/rules/b.py", "lib/io/x.py", "lib/io/y.py"),
    )
    statements = {f: 10 for f in top.files}
    drafts = [
        {"files": ["lib/rules/a.py", "lib/core.py"]},
        {"files": ["lib/rules/b.py", "lib/io/x.py", "lib/io/y.py", "lib/util.py"]},
        {"files": ["lib/core.py", "lib/util.py"]},
    ]
    assert naming.make_titles(drafts, statements, [top]) == [
        "Lib (Rules: A + 1 Top-level Module)",
        "Lib (Io, Rules: B + 1 Top-level Module)",
        # No sub-folder: named after its heaviest module.
        "Lib (Core + 1 Top-level Module)",
    ]
    # Where workers draw on several packages, the spec's wording stays.
    other = source_tree.Node("app", "app", ("app/main.py",))
    assert naming.make_titles(
        [{"files": ["lib/rules/a.py", "lib/rules/b.py"]}, {"files": ["app/main.py"]}], statements, [top, other]
    ) == ["Lib (All Modules)", "App (All Modules)"]


def test_a_worker_with_one_module_of_a_shared_package_is_named_after_it() -> None:
    # attrs: one worker came to own attr/_make.py alone; "Attr (Largest Modules)" was true but said less.
    attr = source_tree.Node(
        "attr", "attr", ("attr/_make.py", "attr/_funcs.py", "attr/validators.py", "attr/__init__.py")
    )
    other = source_tree.Node("attrs", "attrs", ("attrs/__init__.py",))
    statements = {"attr/_make.py": 900, "attr/_funcs.py": 100, "attr/validators.py": 200, "attr/__init__.py": 20}
    statements["attrs/__init__.py"] = 10
    drafts = [
        {"files": ["attr/_make.py"]},
        {"files": ["attr/_funcs.py", "attr/validators.py"]},
        {"files": ["attr/__init__.py"]},
        {"files": ["attrs/__init__.py"]},
    ]
    assert naming.make_titles(drafts, statements, [attr, other]) == [
        "Attr (Make)",
        "Attr (Medium Core Modules)",
        # A package's __init__ says nothing about what it holds: the size wording stays.
        "Attr (Small Modules)",
        "Attrs (All Modules)",
    ]
    # In a one-package project the same holds for the module a worker is named after.
    assert naming.make_titles(drafts[:3], statements, [attr]) == [
        "Attr (Make)",
        "Attr (Validators + 1 Top-level Module)",
        "Attr (Small Modules)",
    ]


# --------------------------------------------------------------------------- make_titles


def tree(*files: str) -> list[source_tree.Node]:
    """One top node per package the files live in (the title rules read only paths and files)."""
    tops: dict[str, list[str]] = {}
    for f in files:
        tops.setdefault(f.split("/")[0], []).append(f)
    return [source_tree.Node(top, top, tuple(held)) for top, held in tops.items()]


def test_a_worker_alone_in_its_package_has_all_its_modules() -> None:
    tops = tree("models/a.py", "models/b.py")
    assert naming.make_titles([{"files": ["models/a.py", "models/b.py"]}], {}, tops) == ["Models (All Modules)"]


def test_a_worker_without_files_says_so() -> None:
    tops = tree("models/a.py")
    assert naming.make_titles([{"files": ["models/a.py"]}, {"files": []}, {"files": []}], {}, tops) == [
        "Models (All Modules)",
        # Its name is all that tells it apart; its title does not end in a bare number.
        "Worker 2 (No Modules)",
        "Worker 3 (No Modules)",
    ]


def test_every_other_package_is_named_after_the_main_one_heaviest_first() -> None:
    tops = tree("core/a.py", "io/b.py", "cli/c.py")
    statements = {"core/a.py": 50, "io/b.py": 5, "cli/c.py": 20}
    title = naming.make_titles([{"files": ["io/b.py", "core/a.py", "cli/c.py"]}], statements, tops)
    assert title == ["Core (All Modules) + Cli + Io"]


def test_workers_sharing_a_package_are_told_apart_by_the_size_of_their_modules() -> None:
    tops = tree("core/big1.py", "core/big2.py", "core/s1.py", "core/s2.py", "io/b.py")
    statements = {"core/big1.py": 100, "core/big2.py": 100, "core/s1.py": 10, "core/s2.py": 10, "io/b.py": 50}
    drafts = [
        {"files": ["core/s1.py", "core/s2.py"]},
        {"files": ["core/big1.py", "core/big2.py"]},
        {"files": ["io/b.py"]},
    ]
    # Larger mean statements per file, larger label, whatever the order of the drafts.
    assert naming.make_titles(drafts, statements, tops) == [
        "Core (Small Modules)",
        "Core (Large Core Modules)",
        "Io (All Modules)",
    ]


def test_more_sharers_than_size_labels_list_their_leading_modules() -> None:
    # "Core (Part 3 of 6)" beside "Core (Part 4 of 6)" told a reader nothing: each lists the modules it has,
    # named by their path under the package; a sub-package it owns whole is one entry, as in its modules.
    files = [f"core/m{i}/x.py" for i in range(6)] + [f"core/m{i}/y.py" for i in range(6)]
    tops = tree(*files, "io/b.py")
    statements = {f: 100 - 10 * int(f.split("/")[1][1:]) for f in files} | {"io/b.py": 1}
    drafts = [{"files": [f"core/m{i}/x.py", f"core/m{i}/y.py"]} for i in range(6)] + [{"files": ["io/b.py"]}]
    titles = naming.make_titles(drafts, statements, tops)
    assert titles[:6] == [f"Core: M{k}" for k in range(6)]
    # Cut across the sub-packages, each module is named by its path.
    drafts = [{"files": [f"core/m{i}/x.py", f"core/m{(i + 1) % 6}/y.py"]} for i in range(6)] + [{"files": ["io/b.py"]}]
    titles = naming.make_titles(drafts, statements, tops)
    assert titles[:2] == ["Core: M0 X, M1 Y", "Core: M1 X, M2 Y"]
    assert titles[6] == "Io (All Modules)"


def test_a_listing_names_the_heaviest_modules_that_fit_and_says_there_are_more() -> None:
    files = [f"lib/big/{name}_parser.py" for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")]
    tops = tree(*files, "lib/big/__init__.py", "lib/core.py")
    statements = {f: 10 * (k + 1) for k, f in enumerate(files)} | {"lib/big/__init__.py": 500}
    drafts = [{"files": [*files[:5], "lib/big/__init__.py"]}, {"files": [files[5], "lib/core.py"]}]
    # The heaviest of its modules, but never the package's __init__, while the title stays short.
    first, second = naming.make_titles(drafts, statements, tops)
    assert first == "Lib (Big: Delta Parser, Epsilon Parser, Gamma Parser, ...)"
    assert len(first) <= naming.TITLE_CHARS
    assert second == "Lib (Big: Zeta Parser + 1 Top-level Module)"
    # However long the names, one is named.
    long = {"files": ["lib/big/" + "very_long_module_name_" * 3 + ".py", "lib/big/x.py"]}
    tops = tree(*files, *long["files"], "lib/core.py")
    assert naming.make_titles([long, drafts[1]], {}, tops)[0].startswith("Lib (Big: Very Long Module Name")


def test_titles_of_a_flat_folder_cut_into_many_workers_all_fit() -> None:
    # The issue: a flat folder dealt among workers gave "Lexers (Part of Lexers) 2" beside "... 3". However
    # the folder is cut, no two titles are equal up to a number and every module a title lists is its worker's.
    names = [f"lib/lexers/{chr(97 + k % 26)}{k}.py" for k in range(60)] + ["lib/core.py", "lib/util.py"]
    tops = tree(*names)
    statements = {f: (k * 37) % 101 + 1 for k, f in enumerate(names)}
    for n in range(2, 13):
        drafts = [{"files": names[k::n]} for k in range(n)]
        made = naming.make_titles(drafts, statements, tops)
        assert (
            fit.problems(
                {str(k): t for k, t in enumerate(made)}, {str(k): d["files"] for k, d in enumerate(drafts)}, "."
            )
            == {}
        ), made
        assert all(fit.listings(t) for t in made), made


def test_equal_titles_are_told_apart_by_their_modules_not_a_number() -> None:
    # Each worker owns one module called mod of the shared package: named by its path, "X Mod" and "Y Mod".
    tops = tree("core/x/mod.py", "core/y/mod.py", "io/b.py")
    drafts = [{"files": ["core/x/mod.py"]}, {"files": ["core/y/mod.py"]}, {"files": ["io/b.py"]}]
    assert naming.make_titles(drafts, {}, tops) == ["Core (X Mod)", "Core (Y Mod)", "Io (All Modules)"]
    # Should two titles still come out the same, each worker's first module tells them apart.
    drafts = [{"files": ["a/b.py"]}, {"files": ["c/d.py"]}, {"files": ["e/f.py"]}]
    assert naming._unique(["T", "T", "U"], drafts) == ["T - A B", "T - C D", "U"]


def test_a_one_package_title_names_three_sub_folders_and_counts_the_rest() -> None:
    files = [f"lib/{sub}/x.py" for sub in ("alpha", "beta", "gamma", "delta", "omega")]
    tops = tree(*files)
    statements = {f: 10 for f in files} | {"lib/omega/x.py": 1}
    drafts = [{"files": files[:4]}, {"files": files[4:]}]
    # Equal weights go by name; one folder left over is "1 more folder", not "folders".
    assert naming.make_titles(drafts, statements, tops) == [
        "Lib (Alpha, Beta, Delta, 1 more folder)",
        "Lib (Omega)",
    ]
    tops = tree(*files, "lib/top.py")
    drafts = [{"files": files}, {"files": ["lib/top.py"]}]
    assert naming.make_titles(drafts, statements, tops) == ["Lib (Alpha, Beta, Delta, 2 more folders)", "Lib (Top)"]


def test_a_one_package_worker_with_only_an_init_takes_the_size_wording() -> None:
    tops = tree("lib/__init__.py", "lib/a.py", "lib/b.py")
    statements = {"lib/__init__.py": 5, "lib/a.py": 50, "lib/b.py": 40}
    drafts = [{"files": ["lib/a.py", "lib/b.py"]}, {"files": ["lib/__init__.py"]}]
    assert naming.make_titles(drafts, statements, tops) == [
        "Lib (A + 1 Top-level Module)",
        "Lib (Small Modules)",
    ]


# --------------------------------------------------------------------------- name_workers


def draft(*files: str) -> dict[str, Any]:
    """A planned worker's content as the planner hands it to name_workers."""
    modules = tuple(sorted(f.removesuffix(".py").replace("/", ".") for f in files))
    return {
        "modules": modules,
        "tests": (),
        "files": tuple(files),
        "test_files": (),
        "statements": 0,
        "seconds": 0.0,
    }


def old_worker(name: str, title: str, *files: str) -> OldWorker:
    return OldWorker(name, title, tuple(f.removesuffix(".py").replace("/", ".") for f in files), files, ())


INPUTS = inputs_for({"a/x.py": 10, "a/y.py": 10, "b/z.py": 10, "c/w.py": 10}, [])
STATEMENTS = dict(INPUTS.statements)
TOPS = tree(*INPUTS.files)


def named(drafts: list[dict[str, Any]], old: list[OldWorker]) -> list[tuple[str, str, str | None, bool]]:
    workers = naming.name_workers(drafts, old, STATEMENTS, TOPS, INPUTS)
    return [(w.name, w.title, w.survives, w.title_kept) for w in workers]


def test_without_an_old_split_workers_are_numbered_in_source_order() -> None:
    assert named([draft("b/z.py"), draft("a/x.py", "a/y.py"), draft("c/w.py")], []) == [
        ("worker1", "A (All Modules)", None, False),
        ("worker2", "B (All Modules)", None, False),
        ("worker3", "C (All Modules)", None, False),
    ]


def test_a_worker_that_is_mostly_an_old_one_keeps_its_name_and_a_title_that_still_fits() -> None:
    old = [old_worker("apples", "The A Package", "a/x.py", "a/y.py"), old_worker("bees", "Bees", "b/z.py")]
    assert named([draft("a/x.py", "a/y.py"), draft("b/z.py")], old) == [
        ("apples", "The A Package", "apples", True),
        # "Bees" does not name the folder b: the name stays, the title is written anew.
        ("bees", "B (All Modules)", "bees", False),
    ]


def test_half_of_the_larger_side_is_enough_to_survive_and_less_is_not() -> None:
    # 11 of the 22 statement-plus-file units on both sides: exactly SURVIVAL_SHARE.
    old = [old_worker("keep", "A", "a/x.py", "a/y.py")]
    assert named([draft("a/x.py"), draft("b/z.py", "c/w.py")], old)[0][:3] == ("keep", "A", "keep")
    # The new worker holding a/x.py among three files has 11 of its 33: a new worker; a/y.py's is "keep".
    result = named([draft("a/x.py", "b/z.py", "c/w.py"), draft("a/y.py")], old)
    assert [(name, survives) for name, _title, survives, _kept in result] == [("keep", "keep"), ("worker1", None)]


def test_unmatched_workers_take_the_names_the_old_split_leaves_free() -> None:
    old = [
        old_worker("worker1", "A", "a/x.py", "a/y.py"),
        old_worker("spare", "Gone", "b/z.py"),
    ]
    # spare's module went to the first worker; the new one takes the freed name, not a fresh worker2.
    result = named([draft("a/x.py", "a/y.py", "b/z.py"), draft("c/w.py")], old)
    assert [(name, survives) for name, _title, survives, _kept in result] == [("worker1", "worker1"), ("spare", None)]


def test_fresh_names_skip_those_still_in_use_and_sort_naturally() -> None:
    old = [old_worker("worker2", "A", "a/x.py", "a/y.py")]
    drafts = [draft("a/x.py", "a/y.py"), *(draft(f) for f in ("b/z.py", "c/w.py"))]
    assert [name for name, *_ in named(drafts, old)] == ["worker2", "worker1", "worker3"]
    files = [f"pkg/m{i}.py" for i in range(11)]
    many = naming.name_workers([draft(f) for f in files], [], {}, tree(*files), INPUTS)
    # worker10 after worker9, not after worker1.
    assert [w.name for w in many][-3:] == ["worker9", "worker10", "worker11"]


def test_old_titles_equal_but_for_a_number_are_replaced_and_the_others_kept() -> None:
    # A plan written before titles listed modules: "Pkg (Part of Lexers) 2" beside "Pkg (Part of Lexers)".
    files = ["pkg/lexers/a.py", "pkg/lexers/b.py", "pkg/lexers/c.py", "pkg/core.py"]
    inputs = inputs_for(dict.fromkeys(files, 10), [])
    old = [
        old_worker("w1", "Pkg (Part of Lexers)", "pkg/lexers/a.py"),
        old_worker("w2", "Pkg (Part of Lexers) 2", "pkg/lexers/b.py", "pkg/lexers/c.py"),
        old_worker("w3", "Pkg (Core)", "pkg/core.py"),
    ]
    drafts = [draft("pkg/lexers/a.py"), draft("pkg/lexers/b.py", "pkg/lexers/c.py"), draft("pkg/core.py")]
    workers = naming.name_workers(drafts, old, dict(inputs.statements), tree(*files), inputs)
    assert [(w.name, w.title, w.title_kept) for w in workers] == [
        ("w1", "Pkg (Lexers: A)", False),
        ("w2", "Pkg (Lexers: B, C)", False),
        ("w3", "Pkg (Core)", True),
    ]
    # Planned again, nothing changed: every title is kept.
    again = [OldWorker(w.name, w.title, w.modules, w.files, ()) for w in workers]
    replanned = naming.name_workers(drafts, again, dict(inputs.statements), tree(*files), inputs)
    assert [(w.title, w.title_kept) for w in replanned] == [(w.title, True) for w in workers]
    # A module moved: the title that listed it no longer fits, and is written anew; the other stays.
    moved = [draft("pkg/lexers/a.py", "pkg/lexers/b.py"), draft("pkg/lexers/c.py"), draft("pkg/core.py")]
    replanned = naming.name_workers(moved, again, dict(inputs.statements), tree(*files), inputs)
    assert [(w.name, w.title, w.title_kept) for w in replanned] == [
        ("w1", "Pkg (Lexers: A, B)", False),
        ("w2", "Pkg (Lexers: C)", False),
        ("w3", "Pkg (Core)", True),
    ]


def test_an_old_title_two_survivors_share_is_replaced_in_both() -> None:
    old = [old_worker("w1", "A B", "a/x.py"), old_worker("w2", "A B", "b/z.py")]
    assert named([draft("a/x.py"), draft("b/z.py")], old) == [
        ("w1", "A (All Modules)", "w1", False),
        ("w2", "B (All Modules)", "w2", False),
    ]


def test_of_an_old_worker_split_unevenly_only_the_larger_part_keeps_its_name() -> None:
    # a/ is 22 of big's 53 statement-plus-file units, under half: only b/z.py's worker is recognisably big.
    old = [old_worker("big", "A B", "a/x.py", "a/y.py", "b/z.py")]
    statements = {"a/x.py": 10, "a/y.py": 10, "b/z.py": 30}
    workers = naming.name_workers([draft("a/x.py", "a/y.py"), draft("b/z.py")], old, statements, TOPS, INPUTS)
    assert [(w.name, w.survives) for w in workers] == [("big", "big"), ("worker1", None)]
    assert workers[0].files == ("b/z.py",)


def test_an_old_worker_cut_in_equal_halves_stays_with_the_first_half() -> None:
    # Each half is exactly SURVIVAL_SHARE of it: a tie, settled by the order of the drafts, the same on every plan.
    old = [old_worker("big", "A B", "a/x.py", "b/z.py")]
    workers = naming.name_workers([draft("a/x.py"), draft("b/z.py")], old, STATEMENTS, TOPS, INPUTS)
    assert [(w.name, w.files) for w in workers] == [("big", ("a/x.py",)), ("worker1", ("b/z.py",))]
