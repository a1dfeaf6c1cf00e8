"""The files a project's install depends on: requirement files (and those they include) and project metadata.

Two readers need them: the noxfile, to skip an install whose inputs did
not change (:mod:`covsplit.nox_support`), and a worker's recorded inputs,
so a changed requirement list makes its data stale (:mod:`covsplit.inputs`).

Standard library only.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

# Files whose content decides what an install of a project folder brings in.
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
FILE_OPTIONS = ("-r", "--requirement", "-c", "--constraint")


def install_inputs(groups: Iterable[Sequence[str]], cwd: Path) -> list[Path]:
    """The files an install depends on: requirement files and project metadata.

    Editable installs pick up source edits by themselves; only a change to
    the metadata or a requirement list calls for a new install.
    """
    found: list[Path] = []
    for group in groups:
        args = list(group)
        for index, arg in enumerate(args):
            value = None
            if arg in FILE_OPTIONS and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith(tuple(f"{option}=" for option in FILE_OPTIONS if option.startswith("--"))):
                value = arg.partition("=")[2]
            if value is not None:
                found.append((cwd / value).resolve())
                continue
            candidate = (cwd / arg).resolve() if not arg.startswith("-") else None
            if candidate is not None and candidate.is_dir():
                found.extend(candidate / name for name in _PROJECT_FILES if (candidate / name).is_file())
            if candidate is not None and candidate.is_file():
                found.append(candidate)
    # A requirement file may include others (-r base.txt): follow them.
    for path in list(found):
        if path.suffix == ".txt" and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                words = shlex.split(line, comments=True)
                if len(words) == 2 and words[0] in FILE_OPTIONS:
                    found.append((path.parent / words[1]).resolve())
    return found
