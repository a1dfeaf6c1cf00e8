"""The suite's test modules have unique basenames: pytest imports them by basename (rootdir-less, no packages).

Two files named alike in tests/unit and tests/e2e collect in one process
only: the second fails with "import file mismatch", which `make test`
shows, but a run of one folder does not.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py") if "fixtures" not in path.parts)
    assert [name for name, count in names.items() if count > 1] == []
