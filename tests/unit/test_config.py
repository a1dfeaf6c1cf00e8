"""workers.toml validation: every mistake is caught before anything runs, and named."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from covsplit import config, config_options, exits, placement

REPO = Path(__file__).resolve().parents[2]

VALID = """\
[project]
root = "proj"
source = ["pkg", "other"]
tests = "tests"

[thresholds]
line = 80
branch = 90

[workers.worker1]
title = "Package"
modules = ["pkg"]
tests = ["tests/test_pkg.py"]

[workers.worker2]
title = "Other"
modules = ["other.mod"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text("X = 1\n")
    (root / "pkg" / "sub" / "deep.py").write_text("Y = 2\n")  # no __init__.py in sub/
    (root / "other").mkdir()
    (root / "other" / "__init__.py").write_text("VERSION = '1'\n")
    (root / "other" / "mod.py").write_text("Z = 3\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_pkg.py").write_text("def test_x():\n    pass\n")
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / "workers.toml"
    path.write_text(textwrap.dedent(text))
    return path


def error_for(project: Path, text: str) -> config.ConfigError:
    with pytest.raises(config.ConfigError) as info:
        config.load(write(project, text))
    return info.value


def test_valid_file_resolves_modules_tests_and_defaults(project: Path) -> None:
    cfg = config.load(write(project, VALID))
    assert [w.name for w in cfg.workers] == ["worker1", "worker2"]
    assert cfg.workers[0].files == ("pkg/__init__.py", "pkg/core.py", "pkg/sub/deep.py")
    assert cfg.workers[1].files == ("other/mod.py",)
    # No tests key: the whole test root, as the spec's literal command.
    assert cfg.workers[1].tests == ("tests",)
    assert (cfg.line_threshold, cfg.branch_threshold) == (80.0, 90.0)
    assert cfg.layout.output_dir == project / "coverage_output"
    # other/__init__.py has code and no owner: a warning, not an error.
    assert cfg.unowned == ("other/__init__.py",)
    assert "other/__init__.py" in cfg.warnings[0]


def test_docstring_only_init_is_not_reported_unowned(project: Path) -> None:
    (project / "proj" / "other" / "__init__.py").write_text('"""Only a docstring."""\n')
    cfg = config.load(write(project, VALID))
    assert cfg.unowned == () and cfg.warnings == ()


def test_default_thresholds_are_the_specs(project: Path) -> None:
    cfg = config.load(write(project, VALID.replace("line = 80\nbranch = 90\n", "")))
    assert (cfg.line_threshold, cfg.branch_threshold) == (80.0, 90.0)


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('source = ["pkg", "other"]', 'source = ["pkg", "other"]\ncolour = "red"', "project.colour", "unknown key"),
        ('title = "Other"', 'title = "Other"\nowner = "me"', "workers.worker2.owner", "unknown key"),
        ('source = ["pkg", "other"]\n', "", "project.source", "missing key"),
        ('modules = ["other.mod"]', "", "workers.worker2.modules", "missing key"),
        ('modules = ["other.mod"]', "modules = []", "workers.worker2.modules", "owns no modules"),
        ('modules = ["other.mod"]', 'modules = "other.mod"', "workers.worker2.modules", "list of strings"),
        ("line = 80", 'line = "80"', "thresholds.line", "number"),
        ("line = 80", "line = true", "thresholds.line", "number"),
        ("branch = 90", "branch = 120", "thresholds.branch", "outside 0-100"),
        ("line = 80", "line = -1", "thresholds.line", "outside 0-100"),
        ('modules = ["other.mod"]', 'modules = ["other.nope"]', "workers.worker2.modules[0]", "does not exist"),
        (
            'tests = ["tests/test_pkg.py"]',
            'tests = ["tests/test_gone.py"]',
            "workers.worker1.tests[0]",
            "does not exist",
        ),
        ('modules = ["other.mod"]', 'modules = ["pkg.core"]', "workers.worker2.modules[0]", "already owned"),
        ('root = "proj"', 'root = "nowhere"', "project.root", "not a directory"),
        ('tests = "tests"', 'tests = "spec"', "project.tests", "does not exist"),
        ('source = ["pkg", "other"]', 'source = ["pkg", "ghost"]', "project.source[1]", "neither"),
    ],
)
def test_each_mistake_names_key_and_fix(project: Path, old: str, new: str, key: str, words: str) -> None:
    assert old in VALID
    error = error_for(project, VALID.replace(old, new, 1))
    assert error.key == key
    assert words in error.problem
    assert error.fix
    assert str(error).startswith(str(project / "workers.toml"))


def test_malformed_toml(project: Path) -> None:
    error = error_for(project, VALID + "\n[workers.worker3\n")
    assert error.key == "(syntax)"
    assert "malformed TOML" in error.problem


def test_two_workers_with_the_same_name(project: Path) -> None:
    error = error_for(project, VALID + '\n[workers.worker1]\nmodules = ["other"]\n')
    assert error.key == "workers.worker1"
    assert "two workers named 'worker1'" in error.problem
    assert "lines 10 and 19" in error.problem


def test_worker_named_like_a_builtin_session(project: Path) -> None:
    error = error_for(project, VALID.replace("[workers.worker2]", "[workers.aggregate]"))
    assert error.key == "workers.aggregate"


def test_module_outside_the_source_packages(project: Path) -> None:
    (project / "proj" / "stray.py").write_text("A = 1\n")
    error = error_for(project, VALID.replace('modules = ["other.mod"]', 'modules = ["stray"]'))
    assert "outside the source packages" in error.problem


def test_cli_exits_2_and_leaves_outputs_alone(project: Path) -> None:
    path = write(project, VALID.replace("line = 80", "line = 180"))
    produced = project / "coverage_output" / "worker1_summary.md"
    produced.parent.mkdir()
    produced.write_text("from an earlier run")
    result = subprocess.run(
        [sys.executable, "-m", "covsplit", "--config", str(path), "validate"],
        env={"PYTHONPATH": str(REPO / "scripts")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == exits.CONFIG
    assert "thresholds.line" in result.stderr and "fix:" in result.stderr
    assert produced.read_text() == "from an earlier run"


def test_every_problem_is_listed_in_one_run(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "proj" / "pkg" / "m.py").write_text("Y = 1\n")
    (tmp_path / "proj" / "tests").mkdir()
    output = tmp_path / "coverage_output"
    output.mkdir()
    (output / "worker1_status.json").write_text('{"state": "passed"}')
    missing = ", ".join(f'"tests/gone{i}.py"' for i in range(6))
    path = tmp_path / "workers.toml"
    path.write_text(
        f'[project]\nroot = "proj"\nsource = ["pkg"]\ncolour = "blue"\n[thresholds]\nline = 120\n'
        f'[workers.w1]\nmodules = ["pkg.m", "pkg.nope"]\ntests = [{missing}]\n'
        f'[workers.w2]\nmodules = ["pkg.m"]\ntimeout = -1\n'
    )
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    keys = [problem.key for problem in caught.value.problems]
    assert keys == [
        "project.colour",
        "thresholds.line",
        "workers.w1.modules[1]",
        *[f"workers.w1.tests[{i}]" for i in range(6)],
        "workers.w2.modules[0]",
        "workers.w2.timeout",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "covsplit", "--config", str(path), "validate"],
        env={"PYTHONPATH": str(Path(config.__file__).parents[1])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == exits.CONFIG
    assert result.stderr.count("  fix: ") == len(keys) and result.stderr.count(str(path)) == len(keys)
    assert (output / "worker1_status.json").read_text() == '{"state": "passed"}'  # nothing produced is touched


def test_unknown_keys_suggest_the_key_meant(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "tests").mkdir()
    path = tmp_path / "workers.toml"
    path.write_text('[project]\nsource = ["pkg"]\ntimout = 5\n[workers.w1]\nmodules = ["pkg"]\ntitel = "x"\nzzz = 1\n')
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    fixes = {problem.key: problem.fix for problem in caught.value.problems}
    assert fixes["project.timout"] == "did you mean 'timeout'?"
    assert fixes["workers.w1.titel"] == "did you mean 'title'?"
    assert fixes["workers.w1.zzz"].startswith("remove it or use one of: memory_limit, modules, test_timeout, tests")


def test_readmes_reference_table_is_the_option_table() -> None:
    # README's [project] table is config_options.OPTIONS rendered: a key added there is documented, or this fails.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert config_options.reference_table() in readme
    assert config_options.reference_table("thresholds") in readme
    assert config_options.keys("project")[:3] == ["root", "source", "source_dir"]
    assert set(config_options.keys("workers")) == {
        "title",
        "modules",
        "tests",
        "timeout",
        "xdist",
        "test_timeout",
        "memory_limit",
    }


def test_a_worker_inherits_each_inherited_option_or_overrides_it(project: Path) -> None:
    text = VALID.replace('tests = "tests"\n', 'tests = "tests"\ntimeout = 60\nxdist = 2\nmemory_limit = "1GiB"\n', 1)
    text = text.replace('modules = ["other.mod"]', 'modules = ["other.mod"]\ntimeout = 5\ntest_timeout = 2')
    first, second = config.load(write(project, text)).workers
    assert (first.timeout, first.xdist, first.test_timeout, first.memory_limit_mib) == (60.0, 2, None, 1024)
    assert (second.timeout, second.xdist, second.test_timeout, second.memory_limit_mib) == (5.0, 2, 2.0, 1024)


def test_every_option_of_the_table_is_parsed_by_its_declared_check(project: Path) -> None:
    """A wrong type for any [project] or [thresholds] option is a problem named by that option's key.

    Nothing is parsed beside the table: an option added to OPTIONS without a
    check, or a key parsed by hand under another name, fails here.
    """
    options = [o for o in config_options.OPTIONS if o.table in ("project", "thresholds")]
    assert all(option.check is not None for option in options)
    head, workers = VALID.split("[thresholds]\n")
    for option in options:
        table = "[project]\n" if option.table == "project" else "[thresholds]\n"
        text = (head + "[thresholds]\n" + workers).replace(table, f"{table}{option.key} = {{ wrong = 1 }}\n", 1)
        # The key given twice would be a TOML error, not a type error: drop the one VALID sets.
        text = "\n".join(
            line for line in text.splitlines() if not line.startswith(f"{option.key} = ") or "wrong" in line
        )
        keys = {problem.key for problem in error_for(project, text).problems}
        assert any(key.startswith(f"{option.table}.{option.key}") for key in keys), (option.key, keys)


def test_a_broken_option_keeps_its_default_and_the_others_are_still_checked(project: Path) -> None:
    text = VALID.replace('tests = "tests"\n', 'tests = "tests"\ntimeout = -1\npytest_args = "-x"\n', 1)
    text = text.replace("line = 80", "line = 101")
    keys = [problem.key for problem in error_for(project, text).problems]
    assert {"project.timeout", "project.pytest_args", "thresholds.line"} <= set(keys)


def test_test_paths_are_written_as_the_planner_compares_them(project: Path) -> None:
    """``"./tests/"`` is ``"tests"``: the planner matches test files against these as folder prefixes."""
    (project / "proj" / "tests" / "slow").mkdir()
    text = VALID.replace('tests = "tests"\n', 'tests = "./tests/"\nnot_run = ["tests/slow/"]\n', 1)
    cfg = config.load(write(project, text))
    assert (cfg.test_paths, cfg.test_root, cfg.not_run) == (("tests",), "tests", ("tests/slow",))
    # Written whole, the root would make pytest run tests/slow, which not_run leaves out.
    owner = {"tests/a/test_x.py": 0, "tests/b/test_z.py": 0}
    entries = placement.tests_entries(cfg.test_root, list(owner), owner, out_of_scope=["tests/slow/test_big.py"])
    assert entries == {0: ["tests/a", "tests/b"]}
