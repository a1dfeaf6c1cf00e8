"""Which module each test file tests, by its name: where test files go before any run was timed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from covsplit.plan_inputs import Inputs


@dataclass(frozen=True)
class TestTarget:
    """The source file a test file tests (None: it tests no single module), and how that was found."""

    __test__ = False

    source: str | None
    how: str  # "convention" or "none"


def map_tests(inputs: Inputs) -> dict[str, TestTarget]:
    """Which module each test file tests, by naming convention: where tests go before any run was timed."""
    owned = [f for f in inputs.files if f not in inputs.blank]
    targets = {}
    for test in inputs.test_files:
        source = convention_target(test, inputs.test_root, inputs.source_dir, owned, inputs.statements)
        targets[test] = TestTarget(source, "convention" if source is not None else "none")
    return targets


def convention_target(
    test: str, test_root: str, source_dir: str, files: Sequence[str], statements: Mapping[str, int]
) -> str | None:
    """``tests/<pkg path>/test_<mod>.py`` tests ``<pkg path>/<mod>.py`` (or the package ``<mod>/``).

    Leading test folders that mirror nothing (``tests/unit/training/...``)
    are dropped one by one until the path matches a source file; failing
    that, a module of that name found once below the mirrored package counts.
    Flat suites (``tests/test_parser.py`` beside ``src/dateutil/parser/``)
    mirror no folder at all: the name is then looked up inside each top
    package and, failing that, once anywhere in the source. A private module
    counts under its public name (``test_make.py`` tests ``attr/_make.py``).
    """
    rel = PurePosixPath(test)
    if test_root not in ("", "."):
        try:
            rel = rel.relative_to(test_root)
        except ValueError:
            return None
    if rel.name.startswith("test_"):
        module = rel.name[len("test_") : -len(".py")]
    elif rel.name.endswith("_test.py"):
        module = rel.name[: -len("_test.py")]
    else:
        return None
    if not module:
        return None
    names = (module, f"_{module}")
    base = PurePosixPath(source_dir)
    known = set(files)
    dirs = rel.parent.parts

    def at(stem: str) -> str | None:
        if f"{stem}.py" in known:
            return f"{stem}.py"
        inside = [f for f in files if f.startswith(stem + "/")]
        if inside:
            # A package's tests go with its biggest module: the worker that owns most of it.
            return max(sorted(inside), key=lambda f: statements.get(f, 0))
        return None

    def first(prefix: PurePosixPath) -> str | None:
        """The test's module under ``prefix``, leading test folders dropped one by one until one matches."""
        for start in range(len(dirs) + 1):
            for name in names:
                found = at(prefix.joinpath(*dirs[start:], name).as_posix())
                if found is not None:
                    return found
        return None

    found = first(base)
    if found is not None:
        return found
    # The test tree may skip a level (tests/models/student/test_gqa.py for
    # models/student/architectures/gqa.py): look for the one module of that name below
    # the deepest source folder the test's folders mirror.
    for depth in range(len(dirs), 0, -1):
        folder = base.joinpath(*dirs[:depth]).as_posix() + "/"
        below = [f for f in files if f.startswith(folder)]
        if below:
            return _named_once(below, names)
    packages = sorted({PurePosixPath(f).relative_to(base).parts[0] for f in files if _in_package(f, base)})
    in_packages = {hit for package in packages if (hit := first(base / package)) is not None}
    if in_packages:
        # attr/validators.py and attrs/validators.py: the name alone does not say which.
        return in_packages.pop() if len(in_packages) == 1 else None
    return _named_once(files, names)


def _in_package(path: str, base: PurePosixPath) -> bool:
    """Whether ``path`` lies inside a folder of ``base`` (not a top-level module beside the packages)."""
    try:
        return len(PurePosixPath(path).relative_to(base).parts) > 1
    except ValueError:
        return False


def _named_once(files: Sequence[str], names: Sequence[str]) -> str | None:
    """The one file among ``files`` named after the first of ``names`` that any file has (None: none or several)."""
    for name in names:
        named = [f for f in files if PurePosixPath(f).name == f"{name}.py"]
        if named:
            return named[0] if len(named) == 1 else None
    return None
