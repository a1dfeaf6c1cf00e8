"""Unit tests of covsplit.config_workers: the [workers.NAME] tables checked against the project, every problem
of every worker collected and none raised, so that a user fixes all of them in one go."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from plan_helpers import write_project

from covsplit.config_options import INHERITED, keys
from covsplit.config_workers import MAX_WORKERS, RESERVED_NAMES, Worker, inherited_values, inside, parse_workers
from covsplit.tomlcheck import Problems

MODULES = {"pkg/__init__.py": -1, "pkg/a.py": 1, "pkg/sub/b.py": 1, "other/c.py": 1}
TESTS = ["tests/test_a.py", "tests/sub/test_b.py"]
DEFAULTS = {"timeout": 60.0, "xdist": 0, "test_timeout": None, "memory_limit": None}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_project(tmp_path, MODULES, TESTS)
    return tmp_path


def parse(root: Path, workers: Any) -> tuple[tuple[Worker, ...], list[tuple[str, str]]]:
    """The workers, and each problem as (key, problem); only pkg is a source package."""
    problems = Problems()
    data = {} if workers is None else {"workers": workers}
    every = {"pkg/__init__.py", "pkg/a.py", "pkg/sub/b.py"}
    parsed = parse_workers(
        root / "workers.toml",
        data,
        root,
        ".",
        ("pkg",),
        every,
        ("tests",),
        DEFAULTS,
        problems,
        INHERITED,
        keys("workers"),
    )
    return parsed, [(p.key, p.problem) for p in problems.found]


def test_a_valid_worker_resolves_its_modules_to_files_and_inherits_the_defaults(root: Path) -> None:
    workers, problems = parse(root, {"w1": {"title": "Pkg", "modules": ["pkg.sub", "pkg.a"], "tests": TESTS}})
    assert problems == []
    assert workers == (
        Worker("w1", "Pkg", ("pkg.sub", "pkg.a"), tuple(TESTS), 60.0, 0, None, None, ("pkg/a.py", "pkg/sub/b.py")),
    )


def test_a_worker_without_title_or_tests_is_named_after_itself_and_runs_the_project_s_tests(root: Path) -> None:
    workers, problems = parse(root, {"w1": {"modules": ["pkg"]}})
    assert problems == []
    (worker,) = workers
    assert (worker.title, worker.tests) == ("w1", ("tests",))
    # A package owns its files, the blank __init__.py included, each once.
    assert worker.files == ("pkg/__init__.py", "pkg/a.py", "pkg/sub/b.py")


def test_a_worker_sets_its_own_options_over_the_inherited_ones(root: Path) -> None:
    workers, problems = parse(
        root, {"w1": {"modules": ["pkg"], "timeout": 5, "xdist": "auto", "test_timeout": 2, "memory_limit": "1GiB"}}
    )
    assert problems == []
    (worker,) = workers
    assert (worker.timeout, worker.xdist, worker.test_timeout, worker.memory_limit_mib) == (5.0, "auto", 2.0, 1024)


@pytest.mark.parametrize(
    ("workers", "key", "problem"),
    [
        (None, "workers", "missing table [workers]"),
        ([], "workers", "expected a table of [workers.NAME] tables, got list []"),
        ({}, "workers", "no workers defined"),
    ],
)
def test_no_usable_workers_table_is_one_problem(root: Path, workers: Any, key: str, problem: str) -> None:
    assert parse(root, workers) == ((), [(key, problem)])


def test_more_workers_than_the_limit_is_one_problem_not_one_per_worker(root: Path) -> None:
    many = {f"w{i}": {"modules": ["pkg"]} for i in range(MAX_WORKERS + 1)}
    assert parse(root, many) == ((), [("workers", f"{MAX_WORKERS + 1} workers; covsplit runs at most {MAX_WORKERS}")])
    # The limit itself is allowed (their modules overlap, which is another problem).
    workers, _problems = parse(root, dict(list(many.items())[:MAX_WORKERS]))
    assert len(workers) == MAX_WORKERS


def test_every_bad_name_is_its_own_problem_and_the_good_workers_still_parse(root: Path) -> None:
    workers, problems = parse(
        root,
        {
            "9lives": {"modules": ["pkg.a"]},
            "report": {"modules": ["pkg.a"]},
            "alpha": {"modules": ["pkg.a"]},
            "Alpha": {"modules": ["pkg.sub"]},
            "beta": "pkg",
        },
    )
    assert [w.name for w in workers] == ["alpha"]
    assert problems == [
        ("workers.9lives", "invalid worker name '9lives'"),
        ("workers.report", "'report' is the name of a built-in session"),
        ("workers.Alpha", "same name as worker 'alpha' (names are case-insensitive)"),
        ("workers.beta", "expected a table, got str 'pkg'"),
    ]


def test_an_unknown_key_is_a_problem_but_the_worker_is_still_read(root: Path) -> None:
    workers, problems = parse(root, {"w1": {"modules": ["pkg"], "timout": 5}})
    assert [w.name for w in workers] == ["w1"]
    assert problems == [("workers.w1.timout", "unknown key")]


@pytest.mark.parametrize(
    ("modules", "problem"),
    [
        ("missing", ("workers.w1.modules", "missing key")),
        ("pkg", ("workers.w1.modules", "expected a list of strings, got str 'pkg'")),
        ([], ("workers.w1.modules", "the worker owns no modules")),
    ],
)
def test_a_worker_without_usable_modules_is_left_out(root: Path, modules: Any, problem: tuple[str, str]) -> None:
    table = {} if modules == "missing" else {"modules": modules}
    assert parse(root, {"w1": table, "w2": {"modules": ["pkg"]}})[1] == [problem]
    assert [w.name for w in parse(root, {"w1": table, "w2": {"modules": ["pkg"]}})[0]] == ["w2"]


def test_a_module_that_does_not_exist_or_lies_outside_the_source_is_a_problem(root: Path) -> None:
    workers, problems = parse(root, {"w1": {"modules": ["pkg.gone", "other.c", "pkg.a"]}})
    assert problems == [
        ("workers.w1.modules[0]", f"module 'pkg.gone' does not exist under {root / '.'}"),
        ("workers.w1.modules[1]", "module 'other.c' is outside the source packages pkg"),
    ]
    # The rest of the worker stands.
    assert workers[0].files == ("pkg/a.py",)


def test_a_module_owned_by_two_workers_is_one_problem_per_module(root: Path) -> None:
    workers, problems = parse(root, {"w1": {"modules": ["pkg"]}, "w2": {"modules": ["pkg.sub", "pkg.a"]}})
    assert problems == [
        ("workers.w2.modules[0]", "pkg/sub/b.py is already owned by worker 'w1'"),
        ("workers.w2.modules[1]", "pkg/a.py is already owned by worker 'w1'"),
    ]
    assert len(workers) == 2
    # Three files of pkg clash: one problem names the first, not three.
    _workers, problems = parse(root, {"w1": {"modules": ["pkg"]}, "w2": {"modules": ["pkg"]}})
    assert problems == [("workers.w2.modules[0]", "pkg/__init__.py is already owned by worker 'w1'")]
    # A worker naming a file twice (pkg and pkg.a) owns it once, with no problem.
    workers, problems = parse(root, {"w1": {"modules": ["pkg", "pkg.a"]}})
    assert problems == [] and workers[0].files == ("pkg/__init__.py", "pkg/a.py", "pkg/sub/b.py")


def test_tests_must_exist_inside_the_root_and_not_be_an_empty_list(root: Path) -> None:
    _workers, problems = parse(root, {"w1": {"modules": ["pkg"], "tests": []}})
    assert problems == [("workers.w1.tests", "empty list")]
    _workers, problems = parse(
        root, {"w1": {"modules": ["pkg"], "tests": ["tests/test_a.py::test_ok", "../elsewhere", "tests/nope.py"]}}
    )
    assert problems == [
        ("workers.w1.tests[1]", f"'../elsewhere' is outside the project root {root}"),
        ("workers.w1.tests[2]", f"{root / 'tests/nope.py'} does not exist"),
    ]


def test_a_broken_inherited_option_keeps_its_default_and_is_reported() -> None:
    problems = Problems()
    values = inherited_values(
        Path("workers.toml"), "workers.w1", {"timeout": -1, "xdist": 2}, DEFAULTS, INHERITED, problems
    )
    assert values == {"timeout": 60.0, "xdist": 2, "test_timeout": None, "memory_limit": None}
    assert [(p.key, p.problem) for p in problems.found] == [("workers.w1.timeout", "-1 is not positive")]


def test_inside_follows_dot_dot_and_symlinks_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    assert inside(root, root / "tests" / "missing.py")
    assert inside(root, root)
    assert not inside(root, root / ".." / "proj_other")
    (root / "link").symlink_to(tmp_path)
    assert not inside(root, root / "link")


def test_the_reserved_names_are_the_noxfiles_own_sessions() -> None:
    """A worker named like a session the noxfile defines would shadow it: every such name is reserved."""
    noxfile = ast.parse((Path(__file__).resolve().parents[2] / "noxfile.py").read_text())
    sessions = {
        node.name
        for node in noxfile.body
        if isinstance(node, ast.FunctionDef) and any("session" in ast.unparse(d) for d in node.decorator_list)
    }
    assert sessions == RESERVED_NAMES
