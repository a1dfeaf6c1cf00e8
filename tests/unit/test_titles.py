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
