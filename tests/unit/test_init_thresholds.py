"""`init` carries the project's own coverage threshold over, read where and as coverage.py and pytest-cov read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from covsplit import config, gates, init, init_thresholds
from covsplit.init_thresholds import Threshold

PKG = {"pkg/__init__.py": "", "pkg/mod.py": "X = 1\n", "tests/test_mod.py": "def test_ok():\n    pass\n"}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {**PKG, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def loads(tmp_path: Path, root: Path) -> config.Config:
    found = init.survey(root)
    path = tmp_path / "cfg" / "workers.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(init.render(found, path.parent))
    return config.load(path)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"pyproject.toml": '[project]\nname = "pkg"\n[tool.coverage.report]\nfail_under = 85\n'},
            Threshold(85.0, 0, False, "pyproject.toml [tool.coverage.report] fail_under"),
        ),
        (
            {".coveragerc": "[run]\nbranch = True\n[report]\nfail_under = 97.5\nprecision = 2\n"},
            Threshold(97.5, 2, True, ".coveragerc [report] fail_under"),
        ),
        (
            {"setup.cfg": "[coverage:run]\nbranch = true\n[coverage:report]\nfail_under = 100\n"},
            Threshold(100.0, 0, True, "setup.cfg [coverage:report] fail_under"),
        ),
        (
            {"tox.ini": "[tox]\nenvlist = py\n[coverage:report]\nfail_under = 90\n"},
            Threshold(90.0, 0, False, "tox.ini [coverage:report] fail_under"),
        ),
        (
            # coverage.py's own order: .coveragerc before pyproject.toml.
            {
                ".coveragerc": "[report]\nfail_under = 70\n",
                "pyproject.toml": "[tool.coverage.report]\nfail_under = 99\n",
            },
            Threshold(70.0, 0, False, ".coveragerc [report] fail_under"),
        ),
        (
            # pytest-cov's option wins over coverage.py's setting, and --cov-branch counts branches in.
            {
                "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--cov=pkg --cov-branch --cov-fail-under 95'\n"
                "[tool.coverage.report]\nfail_under = 50\nprecision = 1\n",
            },
            Threshold(95.0, 1, True, "pyproject.toml [tool.pytest.ini_options] addopts --cov-fail-under"),
        ),
        (
            {"pytest.ini": "[pytest]\naddopts = --cov=pkg --cov-fail-under=88.5 --cov-precision=1\n"},
            Threshold(88.5, 1, False, "pytest.ini addopts --cov-fail-under"),
        ),
        (
            # --cov-config names coverage.py's file.
            {
                "pytest.ini": "[pytest]\naddopts = --cov-config=ci/cov.ini\n",
                "ci/cov.ini": "[run]\nbranch = 1\n[report]\nfail_under = 60\n",
            },
            Threshold(60.0, 0, True, "ci/cov.ini [report] fail_under"),
        ),
    ],
    ids=[
        "pyproject",
        "coveragerc",
        "setup.cfg",
        "tox.ini",
        "coveragerc-first",
        "addopts-wins",
        "addopts-eq",
        "cov-config",
    ],
)
def test_each_source_of_the_project_s_threshold(tmp_path: Path, files: dict[str, str], expected: Threshold) -> None:
    root = write(tmp_path / "proj", files)
    found = init.survey(root)
    assert found.threshold == expected
    (said,) = [c for c in found.choices if c.key == "thresholds"]
    assert expected.origin in said.why and not said.guess
    cfg = loads(tmp_path, root)
    # Only the project's gate: covsplit's line/branch defaults are not added on top.
    (spec,) = gates.of(cfg)
    assert (spec.name, spec.threshold, spec.precision, spec.branch) == ("total", *[getattr(expected, k) for k in (
        "total", "precision", "branch")])  # fmt: skip
    assert spec.source == f"the project's {expected.origin}"


def test_no_threshold_declared_says_the_defaults_are_covsplit_s(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "pkg"\n[tool.coverage.run]\nbranch = true\n'})
    found = init.survey(root)
    assert found.threshold is None
    (said,) = [c for c in found.choices if c.key == "thresholds"]
    assert "covsplit's defaults, line 80% and branch 90%" in said.why and "[thresholds] of workers.toml" in said.why
    text = init.render(found, tmp_path)
    assert "# [thresholds]: the project declares none" in text
    cfg = loads(tmp_path, root)
    assert [(s.name, s.threshold, s.source) for s in gates.of(cfg)] == [
        ("line", 80.0, gates.DEFAULT_SOURCE),
        ("branch", 90.0, gates.DEFAULT_SOURCE),
    ]


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"pytest.ini": "[pytest]\naddopts = --cov-fail-under=lots\n"}, "--cov-fail-under=lots"),
        ({"pyproject.toml": '[tool.coverage.report]\nfail_under = "high"\n'}, "coverage.py cannot read"),
        ({".coveragerc": "[report]\nfail_under = 120\n"}, "outside 0-100"),
    ],
    ids=["addopts-word", "toml-string", "out-of-range"],
)
def test_a_bad_value_is_a_guess_and_the_defaults_stay(tmp_path: Path, files: dict[str, str], said: str) -> None:
    root = write(tmp_path / "proj", files)
    found = init.survey(root)
    assert found.threshold is None
    (choice,) = [c for c in found.choices if c.key == "thresholds"]
    assert said in choice.why and choice.guess
    assert [s.name for s in gates.of(loads(tmp_path, root))] == ["line", "branch"]


def test_the_reader_ignores_a_coverage_rcfile_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "other.rc"
    elsewhere.write_text("[report]\nfail_under = 10\n")
    monkeypatch.setenv("COVERAGE_RCFILE", str(elsewhere))
    root = write(tmp_path / "proj", {"setup.cfg": "[coverage:report]\nfail_under = 75\n"})
    assert init_thresholds.read(root, "", []).threshold == Threshold(
        75.0, 0, False, "setup.cfg [coverage:report] fail_under"
    )
    assert init_thresholds.os.environ["COVERAGE_RCFILE"] == str(elsewhere)


def test_a_total_that_also_measures_the_tests_is_marked_for_a_check(tmp_path: Path) -> None:
    """uvicorn 0.55.0 measures ``source_pkgs = ["uvicorn", "tests"]``: its total is not covsplit's (the source)."""
    pyproject = '[tool.coverage.run]\nsource_pkgs = ["pkg", "tests"]\n[tool.coverage.report]\nfail_under = 90\n'
    files = {"pyproject.toml": pyproject}
    root = write(tmp_path / "proj", files)
    found = init.survey(root)
    (check,) = [c for c in found.choices if c.key == "thresholds.total"]
    assert check.guess and "also measures tests" in check.why
    assert "total = 90  # check: the project's total also measures tests" in init.render(found, tmp_path)
    loads(tmp_path, root)
    # Measuring just the packages init found is covsplit's measurement: nothing to check.
    plain = write(tmp_path / "plain", {"pytest.ini": "[pytest]\naddopts = --cov=pkg --cov-fail-under=90\n"})
    assert not [c for c in init.survey(plain).choices if c.key == "thresholds.total"]
