"""Unit tests of covsplit.tests_to_modules: which module a test file is named after, so that before any run
each test file can go to the worker that owns its module; a file that names no single module is left to spread."""

from __future__ import annotations

from plan_helpers import inputs_for

from covsplit import tests_to_modules
from covsplit.tests_to_modules import TestTarget, convention_target, map_tests


def test_convention_maps_test_files_to_modules() -> None:
    files = ["training/losses.py", "training/__init__.py", "evaluation/toy/big.py", "evaluation/toy/small.py"]
    stmts = {"training/losses.py": 5, "evaluation/toy/big.py": 9, "evaluation/toy/small.py": 1}

    def target(test: str) -> str | None:
        return tests_to_modules.convention_target(test, "tests", ".", files, stmts)

    assert target("tests/training/test_losses.py") == "training/losses.py"
    assert target("tests/unit/training/test_losses.py") == "training/losses.py"
    assert target("tests/training/losses_test.py") == "training/losses.py"
    assert target("tests/evaluation/test_toy.py") == "evaluation/toy/big.py"
    assert target("tests/e2e/test_pipeline.py") is None
    assert target("tests/evaluation/test_big.py") == "evaluation/toy/big.py"  # one level skipped
    assert target("tests/evaluation/test_huge.py") is None
    assert target("tests/training/test_dataset.py") is None


def test_convention_maps_a_flat_suite_into_its_package() -> None:
    """dateutil and attrs keep tests/test_<mod>.py beside src/<package>/: the folders mirror nothing."""
    files = [
        "src/dateutil/__init__.py",
        "src/dateutil/rrule.py",
        "src/dateutil/parser/_parser.py",
        "src/dateutil/parser/isoparser.py",
        "src/dateutil/tz/tz.py",
        "src/dateutil/tz/_tzfile.py",
        "src/attr/_make.py",
        "src/attr/validators.py",
        "src/attrs/validators.py",
    ]
    stmts = {"src/dateutil/parser/_parser.py": 996, "src/dateutil/parser/isoparser.py": 200, "src/dateutil/tz/tz.py": 9}

    def target(test: str) -> str | None:
        return tests_to_modules.convention_target(test, "tests", "src", files, stmts)

    assert target("tests/test_rrule.py") == "src/dateutil/rrule.py"
    assert target("tests/test_parser.py") == "src/dateutil/parser/_parser.py"  # the package's biggest module
    assert target("tests/test_isoparser.py") == "src/dateutil/parser/isoparser.py"  # found once, deeper
    assert target("tests/test_tzfile.py") == "src/dateutil/tz/_tzfile.py"  # private, found once
    assert target("tests/test_make.py") == "src/attr/_make.py"
    assert target("tests/property/test_rrule.py") == "src/dateutil/rrule.py"
    assert target("tests/test_validators.py") is None  # attr's and attrs': no single module
    assert target("tests/test_internals.py") is None


def test_a_file_not_named_like_a_test_tests_no_module() -> None:
    files = ["pkg/parser.py"]
    assert convention_target("tests/pkg/test_parser.py", "tests", ".", files, {}) == "pkg/parser.py"
    assert convention_target("tests/pkg/parser.py", "tests", ".", files, {}) is None
    assert convention_target("tests/pkg/conftest.py", "tests", ".", files, {}) is None
    # "test_.py" names no module at all, not the empty one.
    assert convention_target("tests/pkg/test_.py", "tests", ".", ["pkg/.py", *files], {}) is None


def test_a_test_outside_the_test_root_tests_no_module() -> None:
    assert convention_target("other/pkg/test_parser.py", "tests", ".", ["pkg/parser.py"], {}) is None


def test_a_test_root_of_dot_keeps_the_whole_path() -> None:
    # The suite at the project root: the test's folders mirror the source from the top.
    files = ["pkg/parser.py", "other/parser.py"]
    assert convention_target("pkg/test_parser.py", ".", ".", files, {}) == "pkg/parser.py"
    assert convention_target("pkg/test_parser.py", "", ".", files, {}) == "pkg/parser.py"


def test_the_public_name_wins_over_the_private_one_at_the_same_place() -> None:
    files = ["pkg/make.py", "pkg/_make.py"]
    assert convention_target("tests/pkg/test_make.py", "tests", ".", files, {}) == "pkg/make.py"


def test_a_package_tested_by_name_goes_with_its_biggest_module_and_ties_to_the_first_path() -> None:
    files = ["pkg/toy/b.py", "pkg/toy/a.py", "pkg/toy/c.py"]
    assert convention_target("tests/pkg/test_toy.py", "tests", ".", files, {"pkg/toy/c.py": 3}) == "pkg/toy/c.py"
    # Equal weights: the same answer whatever order the files came in.
    assert convention_target("tests/pkg/test_toy.py", "tests", ".", files, {}) == "pkg/toy/a.py"


def test_a_module_named_twice_below_the_mirrored_folder_is_no_single_module() -> None:
    files = ["models/student/gqa.py", "models/teacher/gqa.py", "models/student/mlp.py"]
    assert convention_target("tests/models/test_gqa.py", "tests", ".", files, {}) is None
    assert convention_target("tests/models/test_mlp.py", "tests", ".", files, {}) == "models/student/mlp.py"


def test_a_src_layout_is_mirrored_under_its_source_dir() -> None:
    files = ["src/pkg/io/reader.py", "src/pkg/io/writer.py"]
    assert convention_target("tests/io/test_reader.py", "tests", "src", files, {}) == "src/pkg/io/reader.py"
    assert convention_target("tests/pkg/io/test_writer.py", "tests", "src", files, {}) == "src/pkg/io/writer.py"


def test_an_empty_source_maps_nothing() -> None:
    assert convention_target("tests/test_parser.py", "tests", ".", [], {}) is None


def test_map_tests_says_how_each_file_was_placed() -> None:
    modules = {"pkg/__init__.py": 0, "pkg/parser.py": 10}
    tests = ["tests/pkg/test_parser.py", "tests/e2e/test_flow.py"]
    assert map_tests(inputs_for(modules, tests)) == {
        "tests/e2e/test_flow.py": TestTarget(None, "none"),
        "tests/pkg/test_parser.py": TestTarget("pkg/parser.py", "convention"),
    }


def test_map_tests_never_maps_to_a_blank_init() -> None:
    # A blank __init__.py has nothing to own: its package's tests go to a module, even one as light
    # (a docstring only) that the blank file would otherwise win by its path.
    modules = {"pkg/__init__.py": 0, "pkg/core.py": 0}
    inputs = inputs_for(modules, ["tests/test_pkg.py"], blank=frozenset({"pkg/__init__.py"}))
    assert map_tests(inputs) == {"tests/test_pkg.py": TestTarget("pkg/core.py", "convention")}
    # Not blank, it is a module like any other and may be the package's heaviest.
    inputs = inputs_for({"pkg/__init__.py": 9, "pkg/core.py": 5}, ["tests/test_pkg.py"])
    assert map_tests(inputs) == {"tests/test_pkg.py": TestTarget("pkg/__init__.py", "convention")}


def test_map_tests_of_no_test_files_is_empty() -> None:
    assert map_tests(inputs_for({"pkg/a.py": 1}, [])) == {}


def test_a_test_target_is_not_collected_as_a_test_class() -> None:
    # Its name starts with "Test": pytest would warn that it cannot collect it.
    assert tests_to_modules.TestTarget.__test__ is False
