"""init_tox: what tox's [testenv] installs for the environment that runs pytest, factor conditions read as tox does."""

from __future__ import annotations

import configparser
from pathlib import Path

from test_init import TEST, loads, write

from covsplit import init, init_tox
from covsplit.init_read import Survey


def test_tox_factor_conditions_keep_what_the_pytest_environment_installs(tmp_path: Path) -> None:
    """pyparsing 3.3.3's tox.ini: the lines are conditioned on factors; only the "unit" environment runs pytest."""
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "pp"\n[project.optional-dependencies]\ndiagrams = ["jinja2"]\n'
            '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n',
            "pp/__init__.py": "",
            "tests/test_p.py": TEST,
            "tox.ini": "[testenv]\ndeps =\n    unit: pytest\n"
            "    unit-!py315t: matplotlib; implementation_name != 'pypy'\n    doctest: sphinx\n"
            "    py{310,311}-unit: attrs\n    lint,docs: ruff\nextras = unit: diagrams\n"
            "commands =\n    unit: pytest tests {posargs}\n    doctest: sphinx-build -b doctest docs x\n",
        },
    )
    found = init.survey(root)
    assert found.install == ["-e .[diagrams]", "\"matplotlib; implementation_name != 'pypy'\"", "attrs"]
    notes = " ".join(c.why for c in found.choices)
    assert "doctest: sphinx" in notes and "lint,docs: ruff" in notes
    loads(tmp_path, root)


def test_tox_factor_conditions_without_a_pytest_command_keep_the_test_environments(tmp_path: Path) -> None:
    assert init_tox._for_factors(["mock", "test: hypothesis", "docs: sphinx", "git+https://x.org/a.git"],
                             init_tox._TEST_FACTORS) == (["mock", "hypothesis", "git+https://x.org/a.git"],
                                                     ["docs: sphinx"])  # fmt: skip


def test_tox_alternatives_expand_braces_and_keep_negations() -> None:
    assert init_tox._alternatives("py{310,311}-unit,lint") == [["py310", "unit"], ["py311", "unit"], ["lint"]]
    assert init_tox._alternatives("unit-!py315t") == [["unit", "!py315t"]]


def test_find_tox_install_reads_only_a_testenv(tmp_path: Path) -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read_string("[testenv]\ndeps =\n    -rrequirements-dev.txt\n    pytest\n    hypothesis\n")
    survey = Survey(root=tmp_path, install=["-e ."])
    init_tox.find_tox_install(survey, tox, installable=True)
    # covsplit's own pytest is not asked for; "-rfile" becomes one option and one path.
    assert survey.install == ["-e .", "hypothesis", "-r requirements-dev.txt"]
    empty = Survey(root=tmp_path)
    init_tox.find_tox_install(empty, configparser.ConfigParser(), installable=True)
    assert empty.install == [] and empty.choices == []


def test_tox_env_substitutions_are_read_as_on_a_machine_where_the_variable_is_not_set(tmp_path: Path) -> None:
    # natsort: `extras = {env:WITH_EXTRAS:}` was written into the install line as it stood, and uv refused it.
    tox = configparser.ConfigParser(interpolation=None)
    tox.read_string(
        "[testenv]\npassenv = WITH_EXTRAS\ndeps =\n    pytest\n    hypothesis{env:HYPO_PIN:>=6}\n    {env:MORE}\n"
        "extras =\n    {env:WITH_EXTRAS:}\n"
    )
    survey = Survey(root=tmp_path, install=["-e ."])
    init_tox.find_tox_install(survey, tox, installable=True)
    assert survey.install == ["-e .", "'hypothesis>=6'"]
    tox.set("testenv", "extras", "{env:WITH_EXTRAS:fast}")
    survey = Survey(root=tmp_path, install=["-e ."])
    init_tox.find_tox_install(survey, tox, installable=True)
    assert survey.install == ["-e .[fast]", "'hypothesis>=6'"]
