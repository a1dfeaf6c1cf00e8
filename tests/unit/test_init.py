"""`covsplit init` reads a repository's own settings into a workers.toml, and says why for each choice."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from covsplit import config, exits, init, schedule_file


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


TEST = "def test_ok():\n    pass\n"


def loads(tmp_path: Path, root: Path) -> config.Config:
    """The written file loads as every command will load it."""
    found = init.survey(root)
    path = tmp_path / "cfg" / "workers.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(init.render(found, path.parent))
    return config.load(path)


def test_a_src_layout_with_a_test_extra(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "my-lib"\n[project.optional-dependencies]\n'
            'test = ["pytest", "coverage", "hypothesis>=6"]\ndocs = ["sphinx"]\n',
            "src/my_lib/__init__.py": "",
            "src/my_lib/core.py": "x = 1\n",
            "tests/test_core.py": TEST,
        },
    )
    found = init.survey(root)
    assert (found.source_dir, found.source, found.tests) == ("src", ["my_lib"], ["tests"])
    # The extra brings hypothesis; covsplit's own pytest and coverage are not asked for again.
    assert found.install == ["-e .[test]"]
    cfg = loads(tmp_path, root)
    assert cfg.source == ("my_lib",) and cfg.install == (("-e", ".[test]"),)


def test_a_flat_layout_whose_extra_holds_only_covsplit_s_tools(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "flat"\n'
            '[project.optional-dependencies]\ntest = ["pytest", "pytest-cov"]\n',
            "flat/__init__.py": "",
            "docs/conf.py": "",
            "test/test_flat.py": TEST,
            "setup.py": "",
        },
    )
    found = init.survey(root)
    assert (found.source_dir, found.source, found.tests, found.install) == (".", ["flat"], ["test"], ["-e ."])


def test_a_single_module_project_with_tests_in_testpaths(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "single"\n[tool.pytest.ini_options]\ntestpaths = ["checks"]\n',
            "single.py": "x = 1\n",
            "setup.py": "",
            "checks/test_single.py": TEST,
        },
    )
    found = init.survey(root)
    assert (found.source, found.tests) == (["single"], ["checks"])
    assert "testpaths in pyproject.toml" in next(c.why for c in found.choices if c.key == "project.tests")
    loads(tmp_path, root)


def test_tests_inside_the_package_and_a_requirements_file(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "setup.cfg": "[metadata]\nname = inner\n",
            "inner/__init__.py": "",
            "inner/tests/__init__.py": "",
            "inner/tests/test_inner.py": TEST,
            "requirements-test.txt": "freezegun\n",
        },
    )
    found = init.survey(root)
    assert found.tests == ["inner/tests"]
    assert found.install == ["-e .", "-r requirements-test.txt"]
    loads(tmp_path, root)


def test_a_dependency_group_with_includes_and_markers(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "grouped"\n[dependency-groups]\n'
            'base = ["attrs"]\ntests = [{ include-group = "base" }, "pytest", '
            "'cloudpickle; platform_python_implementation == \"CPython\"']\n",
            "grouped/__init__.py": "",
            "tests/test_g.py": TEST,
        },
    )
    found = init.survey(root)
    assert found.install[0] == "-e ."
    # Each entry is one argument to the installer, markers and all.
    assert [shlex.split(entry) for entry in found.install[1:]] == [
        ["attrs"],
        ['cloudpickle; platform_python_implementation == "CPython"'],
    ]
    loads(tmp_path, root)


def test_tox_dependencies_and_plugins_the_addopts_need(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "setup.py": "",
            "toxed/__init__.py": "",
            "tests/test_t.py": TEST,
            "tox.ini": "[testenv]\ndeps =\n    pytest\n    mock\n    -rrequirements.txt\n"
            "[pytest]\naddopts = -n 2 --cov=toxed -p myplugin\n",
            "conftest.py": "",
        },
    )
    found = init.survey(root)
    assert "mock" in found.install and "pytest-xdist" in found.install and "-r requirements.txt" in found.install
    notes = " ".join(c.why for c in found.choices)
    assert "covsplit drops those options" in notes and "'myplugin'" in notes and "conftest.py at the root" in notes
    assert any(c.guess for c in found.choices)  # the plugin: a line to check


def test_no_build_configuration_runs_from_the_source_folder(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"loose/__init__.py": "", "tests/test_l.py": TEST})
    found = init.survey(root)
    assert found.install == [] and found.env == {"PYTHONPATH": "."}
    text = init.render(found, tmp_path)
    assert "# check:" in text
    loads(tmp_path, root)


def test_run_never_writes_over_a_file_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path / "proj", {"pkg/__init__.py": "", "pkg/a.py": "x = 1\n", "tests/test_a.py": TEST})
    target = tmp_path / "workers.toml"
    target.write_text("# mine\n")
    assert init.run(root, target, 1) == exits.CONFIG
    assert target.read_text() == "# mine\n"
    assert "ARGS=--force" in capsys.readouterr().err


def test_a_replaced_file_takes_its_schedule_with_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path / "proj", {"setup.py": "", "solo.py": "x = 1\n", "test_solo.py": TEST})
    target = tmp_path / "cfg" / "workers.toml"
    target.parent.mkdir()
    target.write_text("# an older split\n")
    # The older split dealt a path to workers this one does not have: loaded with the new file, it would not fit.
    schedule_file.write(schedule_file.path_for(target), {"test_solo.py": schedule_file.DealtPath.among(["w7", "w8"])})
    assert init.run(root, target, 1, force=True) == 0
    assert "removed" in capsys.readouterr().out
    assert [w.name for w in config.load(target).workers] == ["worker1"]


def test_test_files_beside_a_single_module(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"setup.py": "", "solo.py": "x = 1\n", "test_solo.py": TEST})
    found = init.survey(root)
    assert (found.source, found.tests) == (["solo"], ["test_solo.py"])
    assert not any(c.guess for c in found.choices)
    loads(tmp_path, root)


def test_the_bundled_example_gives_the_shipped_workers_toml_s_settings(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    found = init.survey(repo / "example")
    shipped = config.load(repo / "workers.toml")
    assert tuple(found.source) == shipped.source
    assert (found.source_dir, tuple(found.tests)) == (shipped.source_dir, shipped.test_paths)
    assert tuple(tuple(shlex.split(entry)) for entry in found.install) == shipped.install


def test_a_small_project_gets_as_many_workers_as_it_can_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path / "proj", {"setup.py": "", "solo.py": "x = 1\n", "test_solo.py": TEST})
    target = tmp_path / "cfg" / "workers.toml"
    assert init.run(root, target, 5) == 0
    assert "1 worker(s), not 5" in capsys.readouterr().out
    assert [w.name for w in config.load(target).workers] == ["worker1"]


def test_a_namespace_package_named_after_the_project(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "jaraco.functools"\n',
            "jaraco/functools/__init__.py": "x = 1\n",
            "test_functools.py": TEST,
            "conftest.py": "",
        },
    )
    found = init.survey(root)
    assert (found.source, found.tests) == (["jaraco.functools"], ["test_functools.py"])
    loads(tmp_path, root)
