"""Names and titles of planned workers: which old workers survive (name and title kept), and fresh titles.

Whether a title still fits is :mod:`covsplit.titles`' rule, which ``check``
and the report share; this module writes titles in the spec's style
("Training (Small Modules) + Models") and matches new workers to old ones.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from covsplit import titles as fit
from covsplit.plan_inputs import Inputs, OldWorker
from covsplit.plan_model import PlannedWorker
from covsplit.source_tree import Node
from covsplit.titles import MORE, label, module_label

# A new worker inherits an old worker's name and title when at least this share of its
# statements were that worker's, and this share of that worker's statements are its:
# it is recognisably the same worker, and the title still describes most of it.
SURVIVAL_SHARE = 0.5


_SIZE_LABELS = {
    2: ("Large Core Modules", "Small Modules"),
    3: ("Large Core Modules", "Medium Core Modules", "Small Modules"),
    4: ("Largest Modules", "Large Core Modules", "Medium Core Modules", "Small Modules"),
    5: ("Largest Modules", "Large Core Modules", "Medium Core Modules", "Small Modules", "Smallest Modules"),
}


def make_titles(drafts: Sequence[Mapping[str, Any]], statements: Mapping[str, int], tops: Sequence[Node]) -> list[str]:
    """Titles in the spec's style: "Conversion (All Modules)", "Training (Small Modules) + Models".

    The main package is the one holding most of the worker's statements; the
    parenthesis says which part of it the worker has: all of it, or, when
    workers share it, its larger or smaller modules (mean statements per file).
    In a project of one package every worker shares it and sizes say little,
    so the parenthesis names the sub-folders instead (:func:`_sub_folder_part`).
    Where more workers share a package than there are size words, the title
    lists the worker's leading modules of it ("Core: Parser, Lexer, ..."):
    "Part 3 of 6" beside "Part 4 of 6" told a reader nothing.
    """
    top_of = {f: top for top in tops for f in top.files}
    shares: list[Counter[str]] = []
    sizes: list[dict[str, float]] = []
    for draft in drafts:
        weight: Counter[str] = Counter()
        count: Counter[str] = Counter()
        for f in draft["files"]:
            weight[top_of[f].path] += statements.get(f, 0)
            count[top_of[f].path] += 1
        shares.append(weight)
        sizes.append({top: weight[top] / count[top] for top in count})
    holders: dict[str, list[int]] = defaultdict(list)
    for index, size in enumerate(sizes):
        for top in size:
            holders[top].append(index)
    mains = [
        max(size, key=lambda top: (weight[top], size[top], top)) if size else None
        for weight, size in zip(shares, sizes, strict=True)
    ]
    one_package = len(drafts) > 1 and len(set(mains)) == 1 and mains[0] is not None
    by_path = {top.path: top for top in tops}
    titles = []
    for index, weight in enumerate(shares):
        main = mains[index]
        if main is None:
            # Owns no module: its name is all that tells it apart, and there is nothing for a title to name.
            titles.append(f"Worker {index + 1} (No Modules)")
            continue
        part = _sub_folder_part(drafts[index]["files"], by_path[main], statements) if one_package else ""
        sharing = sorted(holders[main], key=lambda i: (-sizes[i][main], i))
        if not part:
            part = _lone_module_part(drafts[index]["files"], main) if len(sharing) > 1 else ""
        others = sorted((t for t in sizes[index] if t != main), key=lambda t: (-weight[t], t))
        # Every folder it draws from is named: a reader must see where a worker's modules live.
        extra = "".join(f" + {label(t)}" for t in others)
        if not part and len(sharing) > len(_SIZE_LABELS) + 1:
            own = [f for f in drafts[index]["files"] if top_of[f].path == main]
            room = TITLE_CHARS - len(label(main)) - len(extra) - 2
            titles.append(_listing(label(main), own, main, statements, room, by_path[main].files) + extra)
            continue
        part = part or _size_part(sharing.index(index), len(sharing))
        titles.append(f"{label(main)} ({part}){extra}")
    return _unique(titles, drafts)


def _size_part(rank: int, sharing: int) -> str:
    """Which part of a package the worker of this rank (by mean statements per file) has."""
    return "All Modules" if sharing == 1 else _SIZE_LABELS[sharing][rank]


def _lone_module_part(files: Iterable[str], main: str) -> str:
    """A worker with one module of a shared package is named after it ("Attr (Make)"), not "Largest Modules"."""
    own = [f for f in files if f.startswith(main + "/")]
    if len(own) != 1 or PurePosixPath(own[0]).name == "__init__.py":
        return ""
    return module_label(str(PurePosixPath(own[0]).relative_to(main)))


# Titles are read in a table: a listing names modules while the title stays this short (one module at least).
TITLE_CHARS = 60


def _listing(
    folder_label: str, files: Sequence[str], folder: str, statements: Mapping[str, int], room: int, every: Sequence[str]
) -> str:
    """The worker's leading modules of a folder it shares: "Extensions: Footnotes, Toc, ...".

    A sub-package the worker owns whole (of ``every`` file in the folder) is
    one entry, as in its ``modules``. The heaviest entries are chosen while
    their names fit in ``room`` characters, and shown in the order of
    ``modules`` so that a reader finds them there; "..." says the worker has
    more. A package's ``__init__`` is named only when it is all the worker
    has there. :func:`covsplit.titles.unlisted` checks the claim.
    """
    units = _units(files, folder, every)
    weight = {unit: sum(statements.get(f, 0) for f in held) for unit, held in units.items()}
    named = [unit for unit in units if PurePosixPath(unit).name != "__init__.py"] or list(units)
    chosen: list[str] = []
    for unit in sorted(named, key=lambda unit: (-weight[unit], unit)):
        if chosen and len(", ".join([*(_name(u) for u in [*chosen, unit]), MORE])) > room:
            break
        chosen.append(unit)
    more = [MORE] if len(chosen) < len(units) else []
    return f"{folder_label}: {', '.join([*(_name(unit) for unit in sorted(chosen)), *more])}"


def _units(files: Sequence[str], folder: str, every: Sequence[str]) -> dict[str, list[str]]:
    """The worker's files under ``folder`` by entry (path under it): a sub-package it owns whole, or a module."""
    mine = set(files)
    units: dict[str, list[str]] = defaultdict(list)
    for f in sorted(files):
        parts = PurePosixPath(f).relative_to(folder).parts
        unit = str(PurePosixPath(*parts))
        for depth in range(1, len(parts)):
            package = f"{folder}/{'/'.join(parts[:depth])}/"
            if all(g in mine for g in every if g.startswith(package)):
                unit = "/".join(parts[:depth])
                break
        units[unit].append(f)
    return units


def _name(unit: str) -> str:
    """A listing's name for an entry: a sub-package by its path, a module as :func:`module_label` says."""
    return (
        " ".join(label(part) for part in PurePosixPath(unit).parts) if not unit.endswith(".py") else module_label(unit)
    )


# Sub-folders a title names before it counts the rest.
_NAMED_SUB_FOLDERS = 3


def _sub_folder_part(files: Iterable[str], top: Node, statements: Mapping[str, int]) -> str:
    """Where in one shared package a worker's modules live: "Rules Block + 3 Top-level Modules".

    Sub-folders go first, heaviest first, each marked "Part of" when the
    worker owns only some of its files, and the package's own modules are
    counted; a worker with none of its sub-folders is named after its
    heaviest module ("Rrule + 2 Top-level Modules").
    """
    mine: dict[str, list[str]] = defaultdict(list)
    loose: list[str] = []
    inside = set(top.files)
    for f in files:
        if f not in inside:
            continue  # another package: the title names it after the parenthesis
        parts = PurePosixPath(f).relative_to(top.path).parts
        if len(parts) > 1:
            mine[parts[0]].append(f)
        else:
            loose.append(f)
    if mine:
        every: Counter[str] = Counter(
            parts[0] for f in top.files if len(parts := PurePosixPath(f).relative_to(top.path).parts) > 1
        )
        ordered = sorted(mine, key=lambda sub: (-sum(statements.get(f, 0) for f in mine[sub]), sub))
        shown = ordered[:_NAMED_SUB_FOLDERS]
        # Of the sub-folders it shares, the heaviest lists its leading modules, last: "Part of Lexers" beside
        # "Part of Lexers" told workers apart only by a number, and said nothing a reader could check.
        listed = next((sub for sub in shown if len(mine[sub]) != every[sub]), None)
        others = [sub for sub in shown if sub != listed]
        # A listing takes the room of the folders it would be named beside: one of them is named, the rest counted.
        others = others[:1] if listed is not None else others
        named = [("Part of " if len(mine[sub]) != every[sub] else "") + label(sub) for sub in others]
        rest = len(ordered) - len(others) - (listed is not None)
        named += [f"{rest} more folder{'s' if rest != 1 else ''}"] if rest else []
        if listed is not None:
            used = len(label(top.path)) + len(", ".join([*named, label(listed)])) + len(_count(loose)) + 7
            room = TITLE_CHARS - used
            named.append(_listing(label(listed), mine[listed], f"{top.path}/{listed}", statements, room, top.files))
        text = ", ".join(named)
    elif named := [f for f in loose if PurePosixPath(f).stem != "__init__"]:
        # A package's __init__ says nothing about what the worker holds.
        heaviest = min(named, key=lambda f: (-statements.get(f, 0), f))
        loose.remove(heaviest)
        text = label(PurePosixPath(heaviest).stem)
    else:
        return ""
    return text + _count(loose)


def _count(loose: Sequence[str]) -> str:
    return f" + {len(loose)} Top-level Module{'s' if len(loose) != 1 else ''}" if loose else ""


def _unique(titles: Sequence[str], drafts: Sequence[Mapping[str, Any]]) -> list[str]:
    """Titles two workers share are told apart by each one's first module, never by a number."""
    counts = Counter(titles)
    return [
        f"{title} - {module_label(min(draft['files']))}" if counts[title] > 1 and draft["files"] else title
        for title, draft in zip(titles, drafts, strict=True)
    ]


def name_workers(
    drafts: Sequence[dict[str, Any]],
    old: Sequence[OldWorker],
    statements: Mapping[str, int],
    tops: Sequence[Node],
    inputs: Inputs,
) -> list[PlannedWorker]:
    """Match new workers to old ones by shared statements: a match keeps its name and title.

    Unmatched workers take the names the old split leaves free (so a
    5-worker split stays worker1..worker5), with a fresh title.
    """

    def mass(files: Iterable[str]) -> float:
        # +1 per file so that modules without statements still count as shared content.
        return sum(statements.get(f, 0) + 1 for f in files)

    pairs = []
    for i, draft in enumerate(drafts):
        mine = set(draft["files"])
        for j, previous in enumerate(old):
            shared = mass(mine & set(previous.files))
            if shared > 0 and shared >= SURVIVAL_SHARE * max(mass(mine), mass(previous.files)):
                pairs.append((-shared, i, j))
    match: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in sorted(pairs):
        if i not in match and j not in taken:
            match[i] = j
            taken.add(j)

    fresh = make_titles(drafts, statements, tops)
    keeps = _kept_titles(drafts, fresh, {i: old[j].title for i, j in match.items()}, inputs.source_dir)
    free_names = [w.name for j, w in enumerate(old) if j not in taken]
    used = {old[j].name for j in match.values()}
    # Unmatched workers: in the order of what they own, so names follow the source tree.
    unmatched = sorted((i for i in range(len(drafts)) if i not in match), key=lambda i: drafts[i]["modules"])
    names: dict[int, str] = {i: old[j].name for i, j in match.items()}
    number = 1
    for i in unmatched:
        if free_names:
            names[i] = free_names.pop(0)
        else:
            while f"worker{number}" in used or f"worker{number}" in names.values():
                number += 1
            names[i] = f"worker{number}"
        used.add(names[i])
    workers = []
    for i, draft in enumerate(drafts):
        survivor = old[match[i]] if i in match else None
        workers.append(
            PlannedWorker(
                name=names[i],
                title=survivor.title if survivor and keeps[i] else fresh[i],
                survives=survivor.name if survivor else None,
                title_kept=bool(survivor and keeps[i]),
                **draft,
            )
        )
    # Keep the file's order for surviving names; new ones after, in natural order.
    order = {w.name: k for k, w in enumerate(old)}
    return sorted(workers, key=lambda w: (order.get(w.name, len(order)), _natural(w.name)))


def _kept_titles(
    drafts: Sequence[Mapping[str, Any]], fresh: Sequence[str], old: Mapping[int, str], source_dir: str
) -> dict[int, bool]:
    """Which surviving workers keep their old title (draft index -> kept), beside the fresh titles of the others.

    An old title is kept only while it still fits what the worker owns now
    beside the other titles (names its folders and modules, shared by none,
    not the same but for a trailing number): what the report and ``check``
    say of a title decides whether a re-plan keeps it. Fresh titles are
    unique among themselves, so dropping the unfit old ones settles it.
    """
    keeps = dict.fromkeys(old, True)
    files = {str(i): draft["files"] for i, draft in enumerate(drafts)}
    while True:
        chosen = {str(i): old[i] if keeps.get(i) else title for i, title in enumerate(fresh)}
        unfit = fit.problems(chosen, files, source_dir)
        dropped = [i for i, kept in keeps.items() if kept and str(i) in unfit]
        if not dropped:
            return keeps
        keeps.update(dict.fromkeys(dropped, False))


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
