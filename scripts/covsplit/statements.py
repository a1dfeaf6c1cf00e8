"""Count each file's statements exactly as coverage.py counts them.

The planner balances on statements and the report divides by them, so the
count must be coverage.py's own, not an estimate: ``ast`` node counts, line
counts or a regex would disagree with ``coverage json`` on docstrings,
decorators, multi-line statements and, above all, on the lines the target
excludes in its own configuration (``exclude_lines`` / ``exclude_also``).
So this module asks coverage.py's analysis API, with the configuration
coverage.py itself would read when run from the project root.

Files never imported, and files in folders without ``__init__.py``, are
counted too: the analysis reads the source file, not measured data.

The report writer uses it as well as the planner.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import coverage
from coverage.exceptions import CoverageException

from covsplit.coverage_data import in_directory


class StatementCountError(Exception):
    """coverage.py could not analyse a file (usually: it is not valid Python)."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: coverage.py cannot count its statements: {reason}")


def count_statements(root: Path, files: Iterable[str]) -> dict[str, int]:
    """Statements per file (paths relative to ``root``, POSIX), as ``coverage json`` reports them.

    One Coverage object serves every file, so its configuration is read once.
    Raises :class:`StatementCountError` for a file coverage.py cannot parse:
    a planner that silently counted it as 0 would hide the broken file.
    """
    root = Path(root).resolve()
    names = list(dict.fromkeys(files))
    counts: dict[str, int] = {}
    if not names:
        return counts
    with in_directory(root):
        # data_file=None: nothing is measured or written, only source is analysed.
        cov = coverage.Coverage(data_file=None, config_file=True)
        for name in names:
            try:
                _, statements, _, _, _ = cov.analysis2(str(root / name))
            except CoverageException as exc:
                raise StatementCountError(name, str(exc)) from None
            counts[name] = len(statements)
    return counts
