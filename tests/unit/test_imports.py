"""Every module of covsplit imports on its own, and no two modules import each other, even indirectly.

A cycle works until someone imports the modules in another order; so the
import graph is read statically (every ``import`` anywhere in a module:
top level, ``TYPE_CHECKING`` blocks and functions alike) and must have
none, and each module is imported with no other module of the package loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "scripts" / "covsplit"


def module_names() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_names()


def imports(name: str, path: Path) -> set[str]:
    """The covsplit modules ``name`` imports; ``from package import module`` counts as the module only."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules
            if base in MODULES and len(submodules) < len(node.names):
                found.add(base)
    found.discard(name)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (empty when there is none), by depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_package_has_no_import_cycle() -> None:
    graph = {name: imports(name, path) for name, path in MODULES.items()}
    assert cycle(graph) == [], " -> ".join(cycle(graph))


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


# Imports each named module with no module of its package loaded (each as if alone in a fresh interpreter, as far
# as the package goes); prints the tracebacks of those that fail, by name.  One interpreter for the 97 modules:
# one each cost 30 s of the suite.
IMPORT_EACH = """
import importlib, json, sys, traceback
package = sys.argv[1]
failed = {}
for name in sys.argv[2:]:
    for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc()
print(json.dumps(failed))
"""


def import_each(folder: Path, package: str, names: list[str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, package, *names], cwd=folder, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_each_module_imports_alone() -> None:
    names = sorted(n for n in MODULES if n != "covsplit.__main__")
    failed = import_each(PACKAGE.parent, "covsplit", names)
    assert failed == {}, "\n".join(failed.values())


def test_a_module_that_needs_another_imported_first_fails_alone(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("X = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("import pkg\n\nY = pkg.a.X\n")  # works only after someone imported pkg.a
    failed = import_each(tmp_path, "pkg", ["pkg.a", "pkg.b"])
    assert list(failed) == ["pkg.b"] and "has no attribute 'a'" in failed["pkg.b"]
