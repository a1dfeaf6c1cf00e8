"""Unit tests of covsplit.titles: a title fits while it names every top-level folder its worker draws from."""

from __future__ import annotations

import pytest

from covsplit import titles


@pytest.mark.parametrize(
    ("top", "label"),
    [("models/", "Models"), ("_eval_tools", "Eval Tools"), ("src/data_io", "Data Io"), ("x", "X")],
)
def test_a_folder_is_named_as_a_person_would_write_it(top: str, label: str) -> None:
    assert titles.label(top) == label


def test_tops_are_the_first_folder_under_the_source_dir_or_a_top_level_module() -> None:
    files = ["src/pkg/a.py", "src/pkg/sub/b.py", "src/single.py", "src/other/c.py"]
    assert titles.tops(files, "src") == ["other", "pkg", "single"]
    assert titles.tops(["pkg/a.py", "setup.py"], ".") == ["pkg", "setup"]
    assert titles.tops(["pkg/a.py"], "") == ["pkg"]
    assert titles.tops([], "src") == []


def test_a_title_names_a_folder_by_whole_words_in_any_case_and_punctuation() -> None:
    files = ["eval_tools/a.py", "models/b.py"]
    assert titles.missing_tops("Models + Eval Tools (Large)", files, ".") == []
    assert titles.missing_tops("models, eval-tools", files, ".") == []
    # "Evaluation" is not the words "Eval Tools", and "Model" is not "Models".
    assert titles.missing_tops("Evaluation and Model", files, ".") == ["eval_tools", "models"]


def test_problems_name_each_worker_whose_title_no_longer_fits() -> None:
    found = titles.problems(
        {"w1": "Training", "w2": "Models", "w3": "Models", "w4": "Data"},
        {"w1": ["training/a.py", "data/b.py"], "w2": ["models/a.py"], "w3": ["models/b.py"], "w4": ["data/c.py"]},
        ".",
    )
    assert found == {
        "w1": "title 'Training' does not name Data",
        "w2": "title 'Models' is shared by 2 workers",
        "w3": "title 'Models' is shared by 2 workers",
    }


def test_a_missing_folder_is_said_before_a_shared_title() -> None:
    found = titles.problems({"w1": "A", "w2": "A"}, {"w1": ["b/x.py"], "w2": []}, ".")
    assert found == {"w1": "title 'A' does not name B", "w2": "title 'A' is shared by 2 workers"}


def test_titles_that_fit_have_no_problems() -> None:
    assert titles.problems({"w1": "Alpha", "w2": "Beta"}, {"w1": ["alpha/a.py"], "w2": ["beta/b.py"]}, ".") == {}
    # A worker that owns nothing yet has nothing its title must name.
    assert titles.problems({"w1": "Anything"}, {}, ".") == {}


def test_titles_equal_but_for_a_trailing_number_are_problems() -> None:
    # The issue: "Highlighter (Part of Lexers) 2" beside "Highlighter (Part of Lexers)" says nothing a reader can use.
    files = {"w1": ["hl/lexers/a.py"], "w2": ["hl/lexers/b.py"], "w3": ["hl/lexers/c.py"], "w4": ["hl/core.py"]}
    found = titles.problems(
        {"w1": "Hl (Part of Lexers)", "w2": "Hl (Part of Lexers) 2", "w3": "Hl (Part of Lexers) 3", "w4": "Hl 4"},
        files,
        ".",
    )
    assert found == {
        "w1": "title 'Hl (Part of Lexers)' differs from 'Hl (Part of Lexers) 2' only by a trailing number",
        "w2": "title 'Hl (Part of Lexers) 2' differs from 'Hl (Part of Lexers)' only by a trailing number",
        "w3": "title 'Hl (Part of Lexers) 3' differs from 'Hl (Part of Lexers)' only by a trailing number",
    }
    # A number inside a title, or titles that differ by more than a number, are fine.
    files = {"w1": ["hl/a.py"], "w2": ["hl/b.py"]}
    assert titles.problems({"w1": "Hl (Html 4)", "w2": "Hl (Html 5)"}, files, ".") == {}


@pytest.mark.parametrize(
    ("relative", "label"),
    [("md_in_html.py", "Md In Html"), ("m0/__init__.py", "M0"), ("m0/x.py", "M0 X"), ("__init__.py", "Init")],
)
def test_a_module_is_named_by_its_path_under_the_folder(relative: str, label: str) -> None:
    assert titles.module_label(relative) == label


def test_a_title_lists_modules_after_a_folder_and_a_colon() -> None:
    assert titles.listings("Md (Extensions: Abbr, Md In Html, ...)") == [("Extensions", ["Abbr", "Md In Html"], False)]
    assert titles.listings("Md (Io, Ext: Toc + 2 Top-level Modules)") == [("Ext", ["Toc"], True)]
    assert titles.listings("Core: M0 X, M0 Y + Io") == [("Core", ["M0 X", "M0 Y"], True)]
    assert titles.listings("Training (Large Core Modules)") == []


EXT = ["md/ext/abbr.py", "md/ext/toc.py", "md/ext/tables.py", "md/ext/__init__.py"]


def test_a_listing_holds_while_its_modules_are_the_worker_s() -> None:
    files = {"w1": EXT[:2], "w2": EXT[2:]}
    assert titles.problems({"w1": "Md (Ext: Abbr, Toc)", "w2": "Md (Ext: Tables, ...)"}, files, ".") == {}
    # Under "src", by the folder's label, in any case.
    assert titles.unlisted("Md (ext: abbr, TOC)", ["src/" + f for f in EXT[:2]]) == []


def test_a_listed_module_the_worker_lost_or_an_unlisted_one_it_gained_is_a_problem() -> None:
    files = {"w1": EXT[:1], "w2": EXT[1:]}
    found = titles.problems({"w1": "Md (Ext: Abbr, Toc)", "w2": "Md (Ext: Tables)"}, files, ".")
    assert found == {
        "w1": "title 'Md (Ext: Abbr, Toc)' names Toc of Ext, which the worker does not own",
        # Without "..." a listing says it is all: w2 now has toc.py and the package's __init__ too.
        "w2": "title 'Md (Ext: Tables)' lists Ext without '...', but the worker owns 2 more of its modules",
    }


def test_a_colon_in_a_hand_written_title_is_not_a_listing() -> None:
    # "Large Files" is no module of conversion/: the colon is punctuation, not a claim to check.
    files = {"w1": ["conversion/a.py", "conversion/b.py"], "w2": ["models/c.py"]}
    assert titles.problems({"w1": "Conversion: Large Files", "w2": "Models: The Rest"}, files, ".") == {}
    # Once it names a module of the folder, it is one.
    assert titles.problems({"w1": "Conversion: A", "w2": "Models: C"}, files, ".") == {
        "w1": "title 'Conversion: A' lists Conversion without '...', but the worker owns 1 more of its modules",
    }


def test_a_sub_package_the_worker_owns_whole_is_listed_as_one() -> None:
    # pylint: one worker owned all of checkers/refactoring/, which its modules show as one entry.
    assert titles.names_of("refactoring/refactoring_checker.py") == ["Refactoring", "Refactoring Refactoring Checker"]
    owned = ["pl/checkers/refactoring/__init__.py", "pl/checkers/refactoring/refactoring_checker.py"]
    files = {"w1": owned, "w2": ["pl/checkers/base.py"]}
    assert titles.problems({"w1": "Pl (Checkers: Refactoring)", "w2": "Pl (Checkers: Base)"}, files, ".") == {}
    # Listing one of its modules alone leaves the other unnamed.
    assert titles.unlisted("Pl (Checkers: Refactoring Refactoring Checker)", owned) == [
        "lists Checkers without '...', but the worker owns 1 more of its modules"
    ]
