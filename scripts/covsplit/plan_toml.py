"""Rewriting workers.toml with a plan: the one place that edits TOML (tomlkit keeps comments and layout).

Everything outside ``[workers.*]`` stays as the user wrote it, and so do
the comments of workers that survive.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import tomlkit
from tomlkit.items import Comment, Null, Whitespace

from covsplit.plan_model import Plan


def render_toml(text: str, plan: Plan) -> str:
    """``text`` with its workers replaced by the plan's, everything else kept as written.

    Settings, comments and key order outside ``[workers]`` are untouched; a
    worker that keeps its name keeps its table (title, timeout, comments),
    with only ``modules`` and ``tests`` rewritten, and only if they changed.
    The comment block above a worker's header stays above it even when the
    worker before it is removed, and leaves with its worker when that is.
    """
    doc = tomlkit.parse(text)
    if "workers" not in doc:
        doc.add(tomlkit.nl())
        doc["workers"] = tomlkit.table(is_super_table=True)
    tables = doc["workers"]
    planned = {w.name: w for w in plan.workers}
    original = list(tables)
    intro = {name: _detach_intro(tables[prev]) for prev, name in itertools.pairwise(original)}
    for name in original:
        if name not in planned:
            del tables[name]
    for worker in plan.workers:
        if worker.name in tables:
            table = tables[worker.name]
            if not worker.title_kept:
                table["title"] = worker.title
        else:
            table = tomlkit.table()
            table["title"] = worker.title
            tables[worker.name] = table
        _set_list(table, "modules", worker.modules)
        _set_list(table, "tests", worker.tests)
    kept = [name for name in original if name in planned]
    for prev, name in itertools.pairwise(kept):
        for item in intro.get(name, []):
            tables[prev].add(item)
    return tomlkit.dumps(doc)


def _detach_intro(table: Any) -> list[Any]:
    """Take the comment block that introduces the next table off the end of ``table``.

    tomlkit files a comment above ``[workers.b]`` under the table before it,
    ``[workers.a]``; removing ``a`` would take ``b``'s comment along.  The
    block is what follows the last blank line after the table's last key.
    Detached items are replaced by tomlkit's own placeholder (as its
    ``remove`` does), so the table's key index stays valid.
    """
    if not hasattr(table, "value"):
        return []  # an inline table has no trailing comments
    body = table.value.body
    start = len(body)
    while start > 0 and body[start - 1][0] is None:
        start -= 1
    blanks = [i for i in range(start, len(body)) if isinstance(body[i][1], Whitespace)]
    if not blanks or not any(isinstance(item, Comment) for _, item in body[blanks[-1] :]):
        return []
    detached = [item for _, item in body[blanks[-1] :]]
    for index in range(blanks[-1], len(body)):
        body[index] = (None, Null())
    return detached


def _set_list(table: Any, key: str, values: Sequence[str]) -> None:
    current = table.get(key)
    if current is not None and list(current) == list(values):
        return  # unchanged: keep its layout and any comments inside it
    array = tomlkit.array()
    array.extend(values)
    if len(values) > 1:
        array.multiline(True)
    if current is not None and hasattr(current, "trivia") and current.trivia.comment:
        # The comment after the old list (`modules = [...]  # why`) stays with the new one.
        array.comment(current.trivia.comment.lstrip("# ").rstrip())
        array.trivia.comment_ws = current.trivia.comment_ws or " "
    table[key] = array


def set_keep_together(text: str, groups: Sequence[Sequence[str]]) -> str:
    """``text`` with ``project.keep_together`` set to ``groups``, everything else kept as written.

    The diagnosis's fix (``plan --keep-diagnosed``): one group per line, so
    a person reads and edits them as the README writes them.
    """
    doc = tomlkit.parse(text)
    project: Any = doc["project"]
    array = tomlkit.array()
    for group in groups:
        inner = tomlkit.array()
        inner.extend(group)
        array.append(inner)
    if groups:
        array.multiline(True)
    current = project.get("keep_together")
    if current is not None and hasattr(current, "trivia") and current.trivia.comment:
        array.comment(current.trivia.comment.lstrip("# ").rstrip())
    project["keep_together"] = array
    return tomlkit.dumps(doc)
