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

from covsplit.plan_inputs import Inputs, OldWorker
from covsplit.plan_model import PlannedWorker
from covsplit.source_tree import Node
from covsplit.titles import label, missing_tops

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
            titles.append(f"Worker {index + 1}")
            continue
        part = _sub_folder_part(drafts[index]["files"], by_path[main], statements) if one_package else ""
        if not part:
            sharing = sorted(holders[main], key=lambda i: (-sizes[i][main], i))
            part = _lone_module_part(drafts[index]["files"], main, top_of) if len(sharing) > 1 else ""
            part = part or _size_part(sharing.index(index), len(sharing))
        others = sorted((t for t in sizes[index] if t != main), key=lambda t: (-weight[t], t))
        # Every folder it draws from is named: a reader must see where a worker's modules live.
        extra = "".join(f" + {label(t)}" for t in others)
        titles.append(f"{label(main)} ({part}){extra}")
    return _unique(titles)


def _size_part(rank: int, sharing: int) -> str:
    """Which part of a package the worker of this rank (by mean statements per file) has."""
    if sharing == 1:
        return "All Modules"
    if sharing in _SIZE_LABELS:
        return _SIZE_LABELS[sharing][rank]
    return f"Part {rank + 1} of {sharing}"


def _lone_module_part(files: Iterable[str], main: str, top_of: Mapping[str, Node]) -> str:
    """A worker with one module of a shared package is named after it ("Attr (Make)"), not "Largest Modules"."""
    own = [f for f in files if top_of[f].path == main]
    stem = PurePosixPath(own[0]).stem if len(own) == 1 else ""
    return label(stem) if stem and stem != "__init__" else ""


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
        named = [
            ("" if len(mine[sub]) == every[sub] else "Part of ") + label(sub) for sub in ordered[:_NAMED_SUB_FOLDERS]
        ]
        rest = len(ordered) - len(named)
        text = ", ".join(named) + (f", {rest} more folder{'s' if rest != 1 else ''}" if rest else "")
    elif named := [f for f in loose if PurePosixPath(f).stem != "__init__"]:
        # A package's __init__ says nothing about what the worker holds.
        heaviest = min(named, key=lambda f: (-statements.get(f, 0), f))
        loose.remove(heaviest)
        text = label(PurePosixPath(heaviest).stem)
    else:
        return ""
    if loose:
        text += f" + {len(loose)} Top-level Module{'s' if len(loose) != 1 else ''}"
    return text


def _unique(titles: Sequence[str]) -> list[str]:
    seen: Counter[str] = Counter()
    result = []
    for title in titles:
        seen[title] += 1
        result.append(title if seen[title] == 1 else f"{title} {seen[title]}")
    return result


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

    titles = make_titles(drafts, statements, tops)
    # An old title is kept only while it still fits what the worker owns now, and is unique.
    kept_titles = Counter(old[j].title for j in match.values())
    keeps = {
        i: missing_tops(old[j].title, drafts[i]["files"], inputs.source_dir) == [] and kept_titles[old[j].title] == 1
        for i, j in match.items()
    }
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
                title=survivor.title if survivor and keeps[i] else titles[i],
                survives=survivor.name if survivor else None,
                title_kept=bool(survivor and keeps[i]),
                **draft,
            )
        )
    # Keep the file's order for surviving names; new ones after, in natural order.
    order = {w.name: k for k, w in enumerate(old)}
    return sorted(workers, key=lambda w: (order.get(w.name, len(order)), _natural(w.name)))


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
