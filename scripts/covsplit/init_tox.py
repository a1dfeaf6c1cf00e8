"""What tox's ``[testenv]`` installs for the environment that runs pytest, its factor conditions read as tox does."""

from __future__ import annotations

import configparser
import itertools
import re
from collections.abc import Iterable

from covsplit.init_read import Survey, ini_lines
from covsplit.init_requirements import TEST_NAMES, needed, shell_word

# "unit-!py315t: matplotlib": tox's factor condition, then the value. The colon is followed by a space, which a URL's
# ("git+https://...") is not.
_FACTOR_LINE = re.compile(r"^(?P<condition>[\w{},!.+-]+):\s+(?P<value>.+)$")


_PYTHON_FACTOR = re.compile(r"^(py|pypy|cpython)\d*t?$")


# tox's "{env:NAME:default}" (natsort's extras are "{env:WITH_EXTRAS:}"): read as where NAME is not set.
_ENV_SUBSTITUTION = re.compile(r"\{env:(?P<name>[^:}]+)(?::(?P<default>[^}]*))?\}")


def _env_defaults(lines: Iterable[str]) -> list[str]:
    """Lines with each ``{env:NAME:default}`` replaced by its default (nothing without one), as on a fresh machine."""
    return [_ENV_SUBSTITUTION.sub(lambda match: match["default"] or "", line) for line in lines]


# Environments that run the tests, when no command line says which one runs pytest.
_TEST_FACTORS = frozenset({*TEST_NAMES, "unit", "pytest"})


def _alternatives(condition: str) -> list[list[str]]:
    """tox's factor condition as alternatives (",") of factors that must all hold ("-"); braces expanded."""
    alternatives: list[list[str]] = []
    for part in re.split(r",(?![^{]*})", condition):
        pieces = re.split(r"({[^}]*})", part)
        choices = [piece[1:-1].split(",") if piece.startswith("{") else [piece] for piece in pieces]
        alternatives += [[f for f in "".join(combo).split("-") if f] for combo in itertools.product(*choices)]
    return alternatives


def _for_factors(lines: Iterable[str], wanted: frozenset[str]) -> tuple[list[str], list[str]]:
    """The values of ``lines`` that hold in an environment with the ``wanted`` factors, and the lines left out.

    A factor that names a Python version holds (the workers run one interpreter, whichever it is), and so does a
    negated one: ``unit-!py315t: matplotlib`` is meant for every unit environment but one.
    """
    kept, left_out = [], []
    for line in lines:
        match = _FACTOR_LINE.match(line)
        if match is None:
            kept.append(line)
        elif any(
            all(f.startswith("!") or _PYTHON_FACTOR.match(f) or f in wanted for f in factors)
            for factors in _alternatives(match["condition"])
        ):
            kept.append(match["value"].strip())
        else:
            left_out.append(line)
    return kept, left_out


def _pytest_factors(tox: configparser.ConfigParser) -> frozenset[str]:
    """The factors of the environment whose commands run pytest (``unit: pytest tests``), else the usual names."""
    commands = ini_lines(tox.get("testenv", "commands", fallback=""))
    found: set[str] = set()
    for line in commands:
        match = _FACTOR_LINE.match(line)
        if match and re.search(r"\bpytest\b|\bpy\.test\b", match["value"]):
            found.update(f for alt in _alternatives(match["condition"]) for f in alt if not f.startswith("!"))
    return frozenset(found) or _TEST_FACTORS


def find_tox_install(survey: Survey, tox: configparser.ConfigParser, installable: bool) -> None:
    """What tox's [testenv] installs for the environment that runs pytest: its deps and its extras."""
    if not tox.has_section("testenv"):
        return
    wanted = _pytest_factors(tox)
    deps, left_out = _for_factors(_env_defaults(ini_lines(tox.get("testenv", "deps", fallback=""))), wanted)
    deps = [d for d in deps if d and not d.startswith(("{", "-c", "--"))]
    wanted_deps = needed(d for d in deps if not d.startswith("-r"))
    survey.install += [shell_word(d) for d in wanted_deps]
    # "-rrequirements-dev.txt", as tox allows it: one option and one path for the installer.
    survey.install += [f"-r {d[2:].strip()}" for d in deps if d.startswith("-r")]
    if deps:
        survey.say("project.install", f"{len(deps)} dependency line(s) of tox.ini [testenv]")
    extras_lines, extras_left_out = _for_factors(
        _env_defaults(ini_lines(tox.get("testenv", "extras", fallback=""))), wanted
    )
    extras = sorted({e.strip() for line in extras_lines for e in line.split(",") if e.strip()})
    if extras and installable and survey.install and survey.install[0] == "-e .":
        survey.install[0] = f"-e .[{','.join(extras)}]"
        survey.say("project.install", f'"-e .[{",".join(extras)}]": the extras tox.ini [testenv] installs')
    if left_out or extras_left_out:
        survey.say(
            "project.install",
            f"left out {len(left_out) + len(extras_left_out)} tox.ini [testenv] line(s) for environments that do "
            f"not run pytest: {'; '.join([*left_out, *extras_left_out])}",
        )
