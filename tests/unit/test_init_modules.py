"""The parts of ``init`` one by one: reading files, requirements, source packages, what the tests need."""

from __future__ import annotations

from pathlib import Path

from covsplit import init_install, init_read, init_requirements, init_source
from covsplit.init_read import Survey


def test_pytest_settings_follow_pytest_s_own_precedence(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = -q\n")
    assert init_read.pytest_settings(tmp_path, {}) == ({"addopts": "-q"}, "setup.cfg [tool:pytest]")
    pyproject = {"tool": {"pytest": {"ini_options": {"addopts": "-x"}}}}
    assert init_read.pytest_settings(tmp_path, pyproject)[1] == "pyproject.toml [tool.pytest.ini_options]"
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -v\n")
    assert init_read.pytest_settings(tmp_path, pyproject) == ({"addopts": "-v"}, "pytest.ini")


def test_readers_never_raise(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n")
    (tmp_path / "bad.ini").write_text("no section\n")
    assert init_read.read_pyproject(tmp_path) == {}
    assert init_read.read_ini(tmp_path / "bad.ini").sections() == []
    assert init_read.as_list("--a 'b c'") == ["--a", "b c"] and init_read.as_list(["x", 1]) == ["x", "1"]
    assert init_read.ini_lines("\n  a\n# note\n b \n") == ["a", "b"]


def test_requirements_without_covsplit_s_tools_quoted_as_a_person_would() -> None:
    assert init_requirements.needed(["pytest>=8", "Pytest-Cov", "hypothesis", "not a requirement !"]) == [
        "hypothesis",
        "not a requirement !",
    ]
    assert init_requirements.shell_word("tomli; python_version<'3.11'") == "\"tomli; python_version<'3.11'\""
    groups = {"test": ["a", {"include-group": "base"}], "base": ["b", {"include-group": "test"}]}
    assert init_requirements.group(groups, "test") == ["a", "b"]


def test_source_packages_the_build_configuration_declares(tmp_path: Path) -> None:
    for rel in ("src/alpha/__init__.py", "src/beta/__init__.py", "src/tools.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    survey = Survey(root=tmp_path)
    init_source.find_source(survey, {"tool": {"setuptools": {"packages": {"find": {"include": ["alpha*"]}}}}})
    assert (survey.source_dir, survey.source) == ("src", ["alpha"])
    survey = Survey(root=tmp_path)
    init_source.find_source(survey, {})
    assert survey.source == ["alpha", "beta"]


def test_pytest_needs_plugins_xdist_and_required_plugins(tmp_path: Path) -> None:
    survey = Survey(root=tmp_path, source=["pkg"], tests=["tests"])
    ini = {"addopts": "-n 4 -p myplugin --cov=pkg", "required_plugins": "pytest-cov pytest-django>=4"}
    init_install.find_pytest_needs(survey, ini, "pytest.ini")
    assert survey.install == ["pytest-xdist", "'pytest-django>=4'"]  # quoted: > is a shell redirection
    said = " ".join(choice.why for choice in survey.choices)
    assert "covsplit drops those options" in said and "'myplugin'" in said
