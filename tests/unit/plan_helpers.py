"""Small planner inputs, shared by the unit tests of the planner and of its modules.

A project as a map of module paths to statement counts, the conventional
test files for it, and the same project on disk when a test needs real files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from covsplit.plan_inputs import Inputs


def write_project(root: Path, modules: dict[str, int], tests: list[str]) -> None:
    """A project on disk whose modules have exactly the given statement counts."""
    for rel, count in modules.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(f"v{i} = {i}" for i in range(count))
        path.write_text(body + "\n" if count else ('"""Only a docstring."""\n' if count == 0 else ""))
    for rel in tests:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("def test_ok():\n    assert True\n")


def inputs_for(modules: dict[str, int], tests: list[str], **extra: Any) -> Inputs:
    source = tuple(sorted({m.split("/")[0].removesuffix(".py") for m in modules}))
    return Inputs(
        source_dir=".",
        source=source,
        test_root="tests",
        files=tuple(sorted(modules)),
        statements=modules,
        test_files=tuple(sorted(tests)),
        **extra,
    )


def conventional_tests(modules: dict[str, int]) -> list[str]:
    tests = []
    for rel in modules:
        folder, _, name = rel.rpartition("/")
        if name != "__init__.py":
            tests.append(f"tests/{folder}/test_{name}" if folder else f"tests/test_{name}")
    return tests
