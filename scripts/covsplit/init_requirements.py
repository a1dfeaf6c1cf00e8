"""Requirements as ``init`` writes them: without the tools covsplit pins itself, quoted as a person would."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

# The names projects give the extra, dependency group or tox environment their tests need, most specific first.
TEST_NAMES = ("test", "tests", "testing", "dev")


# covsplit installs and pins these itself; a project's own pin of them would break the measurement.
OWN_TOOLS = frozenset({"pytest", "pytest-cov", "coverage", "pytest-xdist", "pytest-timeout"})


def shell_word(text: str) -> str:
    """``text`` as one word of an install entry (split as a shell would), quoted the way a person would write it.

    A marker's quotes ("tomli; python_version<'3.11'") read plainly inside double quotes; ``shlex.quote`` alone
    would write ``'tomli; python_version<'"'"'3.11'"'"''``.
    """
    if "'" in text and not any(c in text for c in '"\\$`'):
        return f'"{text}"'
    return shlex.quote(text)


def _requirement(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def needed(requirements: Iterable[str]) -> list[str]:
    """Requirements covsplit does not install itself, as written (markers kept)."""
    kept = []
    for text in requirements:
        requirement = _requirement(text)
        if requirement is None or canonicalize_name(requirement.name) not in OWN_TOOLS:
            kept.append(text)
    return kept


def group(groups: Mapping[str, Any], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A PEP 735 dependency group's requirements, its ``include-group`` entries expanded."""
    found = []
    for entry in groups.get(name, []):
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict) and entry.get("include-group") and entry["include-group"] not in seen:
            found += group(groups, entry["include-group"], seen | {name})
    return found
