"""The source tree as workers.toml can name it, and cutting it into the pieces a split packs.

A source package is a :class:`Node` with its sub-folders and modules;
:func:`decompose` cuts the nodes heavier than a target into their children
(where each child has a dotted name), and the result is :class:`Unit`\\ s:
whole folders or single modules, never divided further.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from covsplit.plan_inputs import Inputs


@dataclass(frozen=True)
class Node:
    """A source package, sub-folder or module, as it can be named in workers.toml."""

    path: str
    dotted: str
    files: tuple[str, ...]
    children: tuple[Node, ...] = ()
    top: str = ""

    @property
    def is_folder(self) -> bool:
        return bool(self.children)


def source_tree(inputs: Inputs) -> list[Node]:
    """One node per source package of ``project.source``, with its sub-folders and modules."""
    base = PurePosixPath(inputs.source_dir)
    tops: list[Node] = []
    paths = {package: base.joinpath(*package.split(".")).as_posix() for package in inputs.source}
    for package, path in paths.items():
        # A package inside another listed package belongs to the outer one.
        if any(path != other and path.startswith(other + "/") for other in paths.values()):
            continue
        if any(node.path == path for node in tops):
            continue
        files = tuple(f for f in inputs.files if f == f"{path}.py" or f.startswith(path + "/"))
        if not files:
            continue
        if files == (f"{path}.py",):
            tops.append(Node(path, package, files, top=path))
        elif f"{path}.py" in files:
            # pkg.py beside pkg/: one name stands for both; they cannot be told apart.
            tops.append(Node(path, package, files, top=path))
        else:
            tops.append(_folder(path, package, files, path))
    return tops


def _folder(path: str, dotted: str, files: tuple[str, ...], top: str) -> Node:
    direct: list[str] = []
    sub: dict[str, list[str]] = defaultdict(list)
    for file in files:
        rest = file[len(path) + 1 :]
        head, _, tail = rest.partition("/")
        if tail:
            sub[head].append(file)
        else:
            direct.append(file)
    children = [Node(f, f"{dotted}.{PurePosixPath(f).stem}", (f,), top=top) for f in sorted(direct)]
    for name in sorted(sub):
        children.append(_folder(f"{path}/{name}", f"{dotted}.{name}", tuple(sorted(sub[name])), top))
    return Node(path, dotted, files, tuple(children), top)


@dataclass(frozen=True)
class Unit:
    """An indivisible piece of a split: a whole folder or one module."""

    node: Node
    # The folder this unit coheres with: the folder it was split out of, or itself when whole.
    group: str


def decompose(tops: Sequence[Node], weight: Callable[[Node], float], target: float, inputs: Inputs) -> list[Unit]:
    """Split nodes heavier than ``target`` into their children, recursively, where they can be named."""
    units: list[Unit] = []

    def visit(node: Node, group: str) -> None:
        if node.is_folder and weight(node) > target and splittable(node, inputs):
            for child in named_children(node, inputs):
                visit(child, node.path)
        else:
            units.append(Unit(node, group))

    for top in tops:
        visit(top, top.path)
    return units


def named_children(node: Node, inputs: Inputs) -> list[Node]:
    # A blank __init__.py has nothing to own; it is left out rather than named `pkg.__init__`.
    return [c for c in node.children if not (len(c.files) == 1 and c.files[0] in inputs.blank and not c.is_folder)]


def splittable(node: Node, inputs: Inputs) -> bool:
    return all(inputs.nameable(child.dotted, child.files) for child in named_children(node, inputs))


def split_one(units: list[Unit], weight: Callable[[Node], float], inputs: Inputs) -> list[Unit] | None:
    """Split the heaviest splittable whole folder into its children (None when none can be split)."""
    candidates = [u for u in units if u.node.is_folder and splittable(u.node, inputs)]
    if not candidates:
        return None
    heaviest = max(candidates, key=lambda u: (weight(u.node), u.node.path))
    index = units.index(heaviest)
    children = [Unit(child, heaviest.node.path) for child in named_children(heaviest.node, inputs)]
    return units[:index] + children + units[index + 1 :]


def statements_of_node(node: Node, statements: Mapping[str, int]) -> int:
    return sum(statements.get(f, 0) for f in node.files)


def node_files(tops: Sequence[Node], dotted: str) -> tuple[str, ...]:
    for top in tops:
        stack = [top]
        while stack:
            node = stack.pop()
            if node.dotted == dotted:
                return node.files
            stack.extend(node.children)
    return ()
