"""TOML value checks (covsplit.tomlcheck): each mistake names the key and the fix, and one run lists them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from covsplit import tomlcheck
from covsplit.tomlcheck import ConfigError

PATH = Path("/suite/workers.toml")


def test_expect_refuses_a_bool_where_a_number_is_meant() -> None:
    assert tomlcheck.expect(PATH, "thresholds.line", 80, (int, float), "a number") == 80
    with pytest.raises(ConfigError) as caught:
        tomlcheck.expect(PATH, "thresholds.line", True, (int, float), "a number")
    assert (caught.value.key, caught.value.problem) == ("thresholds.line", "expected a number, got True")
    assert (
        str(caught.value)
        == f"{PATH}: thresholds.line: expected a number, got True\n  fix: set thresholds.line to a number"
    )


def test_string_list_checks_every_item() -> None:
    assert tomlcheck.string_list(PATH, "project.install", ["-e .", "pytest"]) == ("-e .", "pytest")
    with pytest.raises(ConfigError, match="got int 3"):
        tomlcheck.string_list(PATH, "project.install", ["-e .", 3])


def test_unknown_keys_are_each_a_problem_with_the_key_meant() -> None:
    with pytest.raises(ConfigError) as caught:
        tomlcheck.unknown_keys(PATH, "project", {"sorce": 1, "zzz": 2, "root": "."}, ["root", "source"])
    problems = caught.value.problems
    assert [(p.key, p.fix) for p in problems] == [
        ("project.sorce", "did you mean 'source'?"),
        ("project.zzz", "remove it or use one of: root, source"),
    ]
    tomlcheck.unknown_keys(PATH, "project", {"root": "."}, ["root"])  # nothing unknown: no error


@pytest.mark.parametrize(
    ("value", "mib"), [(None, None), (512, 512), ("512MiB", 512), ("4GiB", 4096), ("1.5g", 1536), (" 2 G ", 2048)]
)
def test_memory_sizes(value: object, mib: int | None) -> None:
    assert tomlcheck.memory(PATH, "project.memory_limit", value, None) == mib


@pytest.mark.parametrize(("value", "words"), [("lots", "not a memory size"), (32, "below 64 MiB"), (True, "expected")])
def test_memory_mistakes(value: object, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        tomlcheck.memory(PATH, "project.memory_limit", value, None)


def test_numbers_within_their_range() -> None:
    assert tomlcheck.percent(PATH, "thresholds.line", None, 80.0) == 80.0
    assert tomlcheck.percent(PATH, "thresholds.line", 100, 80.0) == 100.0
    with pytest.raises(ConfigError, match="outside 0-100"):
        tomlcheck.percent(PATH, "thresholds.line", 100.5, 80.0)
    assert tomlcheck.positive(PATH, "project.timeout", 5, 3600.0) == 5.0
    with pytest.raises(ConfigError, match="not positive"):
        tomlcheck.positive(PATH, "project.timeout", 0, 3600.0)
    assert tomlcheck.optional_seconds(PATH, "project.test_timeout", None, None) is None
    assert tomlcheck.xdist(PATH, "project.xdist", "auto", 0) == "auto"
    with pytest.raises(ConfigError, match="number of processes"):
        tomlcheck.xdist(PATH, "project.xdist", -1, 0)


def test_problems_go_on_past_each_one_and_are_raised_together() -> None:
    problems = tomlcheck.Problems()
    assert problems.attempt(lambda: tomlcheck.positive(PATH, "a", -1, 1.0), default=1.0) == 1.0
    assert problems.attempt(lambda: tomlcheck.positive(PATH, "b", 2, 1.0)) == 2.0
    problems.add(ConfigError(PATH, "c", "missing key", "add it"))
    with pytest.raises(ConfigError) as caught:
        problems.raise_any()
    assert [p.key for p in caught.value.problems] == ["a", "c"]
    assert str(caught.value).count("  fix: ") == 2
    tomlcheck.Problems().raise_any()  # none found: nothing raised
