"""Unit tests of covsplit.naming: fresh titles in the spec's style, and which old workers survive a re-plan
(name and title kept), so that a plan reads like the split a person would have written and changes no more
names than it must."""

from __future__ import annotations

from covsplit import naming, source_tree


def test_in_a_one_package_project_titles_name_the_sub_folders() -> None:
    # Every worker shares the one package, so "Large Core Modules" would tell them apart but not say
    # where their modules are: the sub-folders do ("Part of" where a worker has only some of one), or its
    # heaviest module when it has none.
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
        "Lib (Part of Rules + 1 Top-level Module)",
        "Lib (Io, Part of Rules + 1 Top-level Module)",
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
