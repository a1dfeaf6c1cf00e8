"""``init``'s source packages: the build configuration's, else a src or flat layout's, a module, a namespace."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from covsplit.init_read import Survey, read_ini

# Folders beside the packages that are never the code under test.
NOT_SOURCE = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench", "scripts", "tools",
     "build", "dist", "site-packages", "typings", "changelog.d", "requirements", "ci", "tasks"}
)  # fmt: skip


# Top-level modules that belong to the build or the tests, not to the project.
NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "tasks", "fabfile", "manage", "versioneer", "hatch_build"})


def _project_name(pyproject: Mapping[str, Any], root: Path) -> str:
    name = pyproject.get("project", {}).get("name") or pyproject.get("tool", {}).get("poetry", {}).get("name")
    if not name:
        parser = read_ini(root / "setup.cfg")
        name = parser.get("metadata", "name", fallback="") if parser.has_section("metadata") else ""
    return canonicalize_name(str(name or root.name)).replace("-", "_")


def _has_python(folder: Path) -> bool:
    return any(True for _ in folder.rglob("*.py"))


def _declared_packages(pyproject: Mapping[str, Any]) -> list[str]:
    """Top-level packages the build configuration names (setuptools, hatch, flit, poetry)."""
    tool = pyproject.get("tool", {})
    found: list[str] = []
    setuptools = tool.get("setuptools", {})
    if isinstance(setuptools.get("packages"), list):
        found += [str(p).split(".")[0] for p in setuptools["packages"]]
    find = setuptools.get("packages", {}).get("find", {}) if isinstance(setuptools.get("packages"), dict) else {}
    found += [str(p).rstrip("*").rstrip(".").split(".")[0] for p in find.get("include", []) if str(p).rstrip("*.")]
    found += [str(m) for m in setuptools.get("py-modules", [])]
    wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    found += [Path(str(p)).name for p in wheel.get("packages", [])]
    flit = tool.get("flit", {}).get("module", {}).get("name")
    if flit:
        found.append(str(flit))
    for entry in tool.get("poetry", {}).get("packages", []):
        if isinstance(entry, dict) and entry.get("include"):
            found.append(str(entry["include"]).split("/")[0])
    return list(dict.fromkeys(p for p in found if p and p.isidentifier()))


def _namespace_package(base: Path, pyproject: Mapping[str, Any], root: Path) -> str | None:
    """``jaraco.functools`` for a project of that name whose code is jaraco/functools/ with no jaraco/__init__.py."""
    raw = str(pyproject.get("project", {}).get("name") or root.name)
    for dotted in (raw.replace("-", ".").replace("_", "."), _project_name(pyproject, root)):
        folder = base.joinpath(*dotted.split("."))
        if all(part.isidentifier() for part in dotted.split(".")) and folder.is_dir() and _has_python(folder):
            return dotted
    return None


def find_source(survey: Survey, pyproject: Mapping[str, Any]) -> None:
    """``source_dir`` and ``source``: src layout or flat, packages, namespace packages, single modules."""
    root = survey.root
    base_dir = "src" if (root / "src").is_dir() and _has_python(root / "src") else "."
    base = root / base_dir
    declared = [
        name for name in _declared_packages(pyproject) if (base / name).is_dir() or (base / f"{name}.py").is_file()
    ]
    packages = sorted(
        child.name
        for child in base.iterdir()
        if child.is_dir()
        and child.name.isidentifier()
        and child.name not in NOT_SOURCE
        and not child.name.startswith((".", "_"))
        and ((child / "__init__.py").is_file() or (base_dir == "src" and _has_python(child)))
    )
    modules = sorted(
        child.stem
        for child in base.glob("*.py")
        if child.stem.isidentifier() and child.stem not in NOT_MODULES and not child.stem.startswith("test")
    )
    name = _project_name(pyproject, root)
    survey.source_dir = base_dir
    layout = "a src layout" if base_dir == "src" else "a flat layout"
    if declared:
        survey.source = declared
        survey.say("project.source", f"{', '.join(declared)}: the packages its build configuration ships ({layout})")
    elif packages:
        survey.source = packages
        survey.say("project.source", f"{', '.join(packages)}: the package folders of {layout}")
    elif name in modules or len(modules) == 1:
        module = name if name in modules else modules[0]
        survey.source = [module]
        survey.say("project.source", f"{module}: a single-module project ({module}.py)")
    elif namespace := _namespace_package(base, pyproject, root):
        survey.source = [namespace]
        survey.say("project.source", f"{namespace}: a namespace package named after the project")
    else:
        survey.source = modules or [name]
        survey.say("project.source", "no package folder found: check that these are the modules under test", True)
    if base_dir != ".":
        survey.say("project.source_dir", f'"{base_dir}": the packages live under {base_dir}/')
