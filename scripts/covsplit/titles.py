"""Whether a worker's title still says what it owns.

A title is for people: "Training (Small Modules) + Models" tells a reader
where a worker's modules live.  Splits drift, and a hand-written title
outlives the modules it described: a worker titled "All" came to own one
module of eighteen, two workers ended up both "Training (Large Core
Modules)".  The planner keeps a title only while it fits, and ``check`` and
the report say when one no longer does.

A title fits when it names every top-level folder (source package) the
worker draws modules from, no other worker has the same title or one that
differs from it only by a trailing number ("Lexers 2" beside "Lexers" tells a
reader nothing), and the modules it lists are the worker's: the planner names
the leading modules of a folder it shares as "Extensions: Abbr, Toc, ...",
a claim a reader checks against ``modules``, so ``check`` checks it too.

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


def module_label(relative: str) -> str:
    """How a title names a module by its path under a folder: ``"md_in_html.py"`` -> ``"Md In Html"``.

    A package is named by its folder (``"m0/__init__.py"`` -> ``"M0"``), and
    a module in a sub-folder by both (``"m0/x.py"`` -> ``"M0 X"``): a reader
    finds it among the worker's ``modules`` by those words.
    """
    parts = list(PurePosixPath(relative).with_suffix("").parts)
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return " ".join(label(part) for part in parts)


# A listing "Folder: Module, Module, ..." after the start, a "(", a ", " or a "+ ", up to a ")" or a " + ".
_LISTING = re.compile(r"(?:^|\(|, |\+ )([^(),:+]+): ([^()+:]*)")
MORE = "..."


def listings(title: str) -> list[tuple[str, list[str], bool]]:
    """The modules a title lists, and whether it lists them all (no "..."):
    ``"Md (Extensions: Abbr, Toc, ...)"`` -> ``[("Extensions", ["Abbr", "Toc"], False)]``."""
    found = []
    for match in _LISTING.finditer(title):
        names = [name.strip() for name in match.group(2).split(",")]
        found.append((match.group(1).strip(), [name for name in names if name and name != MORE], MORE not in names))
    return found


def names_of(relative: str) -> list[str]:
    """Every name a listing may give a module by its path under a folder: its own, or its sub-package's.

    ``"refactoring/refactoring_checker.py"`` -> ``["Refactoring", "Refactoring Refactoring Checker"]``:
    a worker owning all of ``refactoring/`` lists it as one, as its ``modules`` do.
    """
    parts = PurePosixPath(relative).parts
    return [" ".join(label(part) for part in parts[:depth]) for depth in range(1, len(parts))] + [
        module_label(relative)
    ]


def _modules_by_folder(files: Iterable[str]) -> dict[str, list[frozenset[str]]]:
    """Folder label (as words) -> for each module under it, the names (as words) a listing may give it."""
    found: dict[str, list[frozenset[str]]] = {}
    for name in files:
        parts = PurePosixPath(name).parts
        for depth in range(1, len(parts)):
            names = frozenset(_words(text) for text in names_of(str(PurePosixPath(*parts[depth:]))))
            found.setdefault(_words(label(parts[depth - 1])), []).append(names)
    return found


def unlisted(title: str, files: Iterable[str], project: Iterable[str] | None = None) -> list[str]:
    """Why the modules a title lists ("Extensions: Abbr, Toc") are not the worker's; empty when they are.

    The listed modules must be the worker's, and all its modules of that
    folder unless the listing ends in "...". A colon is also plain
    punctuation in a hand-written title ("Conversion: Large Files"): a
    listing is taken for a claim only when its folder is one of the
    ``project``'s files' folders and it names one of that folder's modules.
    """
    listed = listings(title)
    if not listed:
        return []
    return _unlisted(listed, _modules_by_folder(files), _modules_by_folder(files if project is None else project))


def _unlisted(
    listed: Sequence[tuple[str, Sequence[str], bool]],
    owned: Mapping[str, Sequence[frozenset[str]]],
    known: Mapping[str, Sequence[frozenset[str]]],
) -> list[str]:
    why = []
    for folder, modules, whole in listed:
        words = [_words(module) for module in modules]
        if not any(word in names for word in words for names in known.get(_words(folder), ())):
            continue
        mine = owned.get(_words(folder), ())
        if wrong := [module for module, word in zip(modules, words, strict=True) if not any(word in n for n in mine)]:
            why.append(f"names {', '.join(wrong)} of {folder}, which the worker does not own")
        if whole and (unnamed := sum(1 for names in mine if names.isdisjoint(words))):
            why.append(f"lists {folder} without '{MORE}', but the worker owns {unnamed} more of its modules")
    return why


def _unnumbered(title: str) -> str:
    return re.sub(r"\s*\d+$", "", title.strip()).casefold()


def problems(titles: Mapping[str, str], files: Mapping[str, Sequence[str]], source_dir: str) -> dict[str, str]:
    """Worker name -> why its title no longer fits, for every worker whose title does not."""
    counts = Counter(titles.values())
    known = _modules_by_folder(name for owned in files.values() for name in owned)
    alike: dict[str, set[str]] = {}
    for title in titles.values():
        alike.setdefault(_unnumbered(title), set()).add(title)
    found = {}
    for name, title in titles.items():
        owned = files.get(name, ())
        missing = missing_tops(title, owned, source_dir)
        others = sorted(alike[_unnumbered(title)] - {title})
        if missing:
            found[name] = f"title {title!r} does not name {', '.join(label(top) for top in missing)}"
        elif owned and (listed := listings(title)) and (wrong := _unlisted(listed, _modules_by_folder(owned), known)):
            found[name] = f"title {title!r} {'; '.join(wrong)}"
        elif counts[title] > 1:
            found[name] = f"title {title!r} is shared by {counts[title]} workers"
        elif others:
            found[name] = f"title {title!r} differs from {others[0]!r} only by a trailing number"
    return found
