"""Whether a worker's title still says what it owns.

A title is for people: "Training (Small Modules) + Models" tells a reader
where a worker's modules live.  Splits drift, and a hand-written title
outlives the modules it described: a worker titled "All" came to own one
module of eighteen, two workers ended up both "Training (Large Core
Modules)".  The planner keeps a title only while it fits, and ``check`` and
the report say when one no longer does.

A title fits when it names every top-level folder (source package) the
worker draws modules from, and no other worker has the same title.

Standard library only: ``check`` and the report use it without the planner.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath


def label(top: str) -> str:
    """How a title names a top-level folder: ``"models/"`` -> ``"Models"``, ``"_eval_tools"`` -> ``"Eval Tools"``."""
    return PurePosixPath(top).name.replace("_", " ").strip().title()


def tops(files: Iterable[str], source_dir: str) -> list[str]:
    """The top-level folders (or top-level modules) under ``source_dir`` that ``files`` live in, sorted."""
    base = PurePosixPath(source_dir)
    found = set()
    for name in files:
        path = PurePosixPath(name)
        if str(base) != "." and path.is_relative_to(base):
            path = path.relative_to(base)
        found.add(path.parts[0] if len(path.parts) > 1 else path.stem)
    return sorted(found)


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "


def missing_tops(title: str, files: Iterable[str], source_dir: str) -> list[str]:
    """The top-level folders the worker draws from that its title does not name."""
    words = _words(title)
    return [top for top in tops(files, source_dir) if _words(label(top)) not in words]


def problems(titles: Mapping[str, str], files: Mapping[str, Sequence[str]], source_dir: str) -> dict[str, str]:
    """Worker name -> why its title no longer fits, for every worker whose title does not."""
    counts = Counter(titles.values())
    found = {}
    for name, title in titles.items():
        missing = missing_tops(title, files.get(name, ()), source_dir)
        if missing:
            found[name] = f"title {title!r} does not name {', '.join(label(top) for top in missing)}"
        elif counts[title] > 1:
            found[name] = f"title {title!r} is shared by {counts[title]} workers"
    return found
