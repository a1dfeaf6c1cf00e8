"""Read pytest's JUnit XML (xunit1 flavour) into one record per reported outcome.

The JUnit file is the only machine-readable account of a worker's tests that
survives the worker: the console output is for people and changes between
pytest versions.  This module turns it back into what pytest itself counted,
so the numbers in ``workerN_summary.md`` equal pytest's own summary line.

Three things in pytest's JUnit output need care, all checked against real
pytest runs in ``tests/unit/test_junit.py``:

* A test that fails in its call and then errors in teardown is written as two
  ``<testcase>`` elements with the same name; pytest counts it as
  "1 failed, 1 error".  A test that *passes* and then errors in teardown is
  one element holding only the ``<error>``; pytest counts "1 passed, 1 error",
  so the pass is restored here.
* A file that fails to import is a ``<testcase>`` with an empty classname,
  the file as its name and ``<error message="collection failure">``.
* Paths (``file``, ``classname``) are relative to pytest's *rootdir*, which is
  not always the project root (a ``pytest.ini`` inside ``tests/`` moves it);
  they are resolved against the project root on disk.

Standard library only.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from covsplit import fsio
from covsplit.layout import HTML_DIR_NAME, OUTPUT_DIR_NAME

PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"

CALL = "call"
SETUP = "setup"
TEARDOWN = "teardown"
COLLECTION = "collection"
# pytest's own crash (INTERNALERROR); not a test, but pytest reports it as an error.
INTERNAL = "internal"

OUTCOME_KEYS = ("tests", "passed", "failed", "errors", "skipped")

# Prefixes pytest's junitxml plugin puts on <error message=...> to say where a test errored.
_SETUP_PREFIX = 'failed on setup with "'
_TEARDOWN_PREFIX = 'failed on teardown with "'
_COLLECTION_MESSAGE = "collection failure"
_COLLECTION_SKIP_MESSAGE = "collection skipped"

# Folders never worth searching for test files when pytest's rootdir was not the project root.
# Terminal colour codes pytest leaves in JUnit messages under --color=yes; ESC is not allowed in XML 1.0,
# so pytest writes it as the text "#x1B".
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;?]*[A-Za-z]")
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", HTML_DIR_NAME, OUTPUT_DIR_NAME}
_SEARCH_DEPTH = 4


class JUnitError(Exception):
    """The JUnit file is missing or unreadable: pytest did not finish writing it."""


@dataclass(frozen=True)
class TestResult:
    """One outcome pytest reported for one test (or for one file it could not collect)."""

    # Tell pytest this dataclass is not a test class when a test module imports it.
    __test__ = False

    nodeid: str
    file: str
    outcome: str
    duration: float
    phase: str
    message: str
    exc_type: str
    details: str


def read_junit(path: Path, root: Path) -> list[TestResult]:
    """Every outcome in the JUnit file, in file order, with paths relative to ``root``.

    Raises :class:`JUnitError` when the file is missing, empty or not JUnit XML,
    which is what a pytest killed mid-run leaves behind.  Parsed once per
    process while the file is unchanged (:func:`covsplit.fsio.parse_once`).
    """
    path = Path(path)
    try:
        return list(fsio.parse_once(path, _parse, Path(root)))
    except OSError:
        return _parse(path, Path(root))  # raises the JUnitError that says what is wrong


def _parse(path: Path, root: Path) -> list[TestResult]:
    try:
        tree = ET.parse(path)
    except FileNotFoundError:
        raise JUnitError(
            f"{path}: no JUnit XML file: pytest did not write it (it crashed, was killed, or never started)"
        ) from None
    except ET.ParseError as exc:
        raise JUnitError(f"{path}: not valid JUnit XML ({exc}): pytest was probably killed while writing it") from None
    except OSError as exc:
        raise JUnitError(f"{path}: cannot read the JUnit XML file: {exc}") from None
    top = tree.getroot()
    if top.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"{path}: not a JUnit XML file: the root element is <{top.tag}>, not <testsuites>")

    resolver = _PathResolver(Path(root))
    results: list[TestResult] = []
    seen: set[str] = set()
    for case in top.iter("testcase"):
        records = _records(case, resolver, seen)
        seen.update(record.nodeid for record in records)
        results.extend(records)
    return results


def merge_kept(
    old: Path,
    new: Path,
    root: Path,
    kept: Callable[[str, str], bool],
    order: Mapping[str, int],
    node_order: Mapping[str, int] | None = None,
) -> None:
    """Add to the JUnit file ``new`` the test cases of ``old`` that ``kept`` accepts, in collection order.

    A worker that re-ran some of its test files or tests (covsplit.file_grain)
    keeps the others' outcomes: its JUnit file is then the one a full run
    writes.  ``kept`` is asked with a case's node id and test file;
    ``order`` ranks test files as collected (a file it lacks goes last),
    ``node_order`` the tests inside a file.
    """
    resolver = _PathResolver(Path(root))
    tree = ET.parse(new)
    top = tree.getroot()
    suite = top if top.tag == "testsuite" else top.find("testsuite")
    if suite is None:
        raise JUnitError(f"{new}: no <testsuite> to add the kept outcomes to")
    cases = [(*_identify(case, resolver), case) for case in suite.findall("testcase")]
    for case in ET.parse(old).getroot().iter("testcase"):
        node, file = _identify(case, resolver)
        if kept(node, file):
            cases.append((node, file, case))
    for child in suite.findall("testcase"):
        suite.remove(child)
    nodes = node_order or {}
    cases.sort(key=lambda found: (order.get(found[1], len(order)), nodes.get(found[0], 0)))
    suite.extend(case for _, _, case in cases)
    counts = {"failures": "failure", "errors": "error", "skipped": "skipped"}
    suite.set("tests", str(len(cases)))
    for attribute, tag in counts.items():
        suite.set(attribute, str(sum(1 for *_, case in cases if case.find(tag) is not None)))
    fsio.produce_file(new, lambda tmp: tree.write(tmp, encoding="utf-8", xml_declaration=True))


def count_outcomes(results: Iterable[TestResult]) -> dict[str, int]:
    """Counts as pytest's summary line gives them, plus ``tests``: the number of distinct tests.

    A test with a failure and a teardown error counts in both ``failed`` and
    ``errors`` (as pytest counts it) but once in ``tests``; so the outcome
    counts can add up to more than ``tests``.  xfail is counted as skipped and
    a non-strict xpass as passed.
    """
    counts = dict.fromkeys(OUTCOME_KEYS, 0)
    nodeids: set[str] = set()
    for result in results:
        nodeids.add(result.nodeid)
        counts[_outcome_key(result.outcome)] += 1
    counts["tests"] = len(nodeids)
    return counts


def collection_outcomes(results: Iterable[TestResult]) -> dict[str, list[str]]:
    """Outcomes pytest reported for collecting a file (a module-level skip, an import error), by node id.

    Every worker that collects a file reports them, and since workers that
    share a file (or are dealt a suite) all collect it, the project's totals
    count each of these once, not once per worker.
    """
    found: dict[str, list[str]] = {}
    for result in results:
        if result.phase == COLLECTION:
            found.setdefault(result.nodeid, []).append(_outcome_key(result.outcome))
    return found


def per_file(results: Iterable[TestResult]) -> dict[str, dict[str, float]]:
    """Per test file: tests, passed, failed, errors, skipped and seconds, sorted by file."""
    grouped: dict[str, list[TestResult]] = {}
    for result in results:
        grouped.setdefault(result.file, []).append(result)
    table: dict[str, dict[str, float]] = {}
    for file in sorted(grouped):
        row: dict[str, float] = dict(count_outcomes(grouped[file]))
        # Round once, here: summing many 3-decimal times gives float noise such as 0.30000000000000004.
        row["seconds"] = round(sum(result.duration for result in grouped[file]), 3)
        table[file] = row
    return table


def _outcome_key(outcome: str) -> str:
    return "errors" if outcome == ERROR else outcome


def _records(case: ET.Element, resolver: _PathResolver, seen: set[str]) -> list[TestResult]:
    """The outcomes one <testcase> element stands for (usually one, sometimes two)."""
    nodeid, file = _identify(case, resolver)
    duration = _float(case.get("time"))
    outcomes = [child for child in case if child.tag in ("failure", "error", "skipped")]
    records: list[TestResult] = []
    if not outcomes:
        records.append(TestResult(nodeid, file, PASSED, duration, CALL, "", "", ""))
        return records

    phases = [_phase(child) for child in outcomes]
    # A passing call followed by a teardown error leaves only the <error>; pytest still counted the pass.
    # When the call failed instead, the failure was an earlier <testcase> with the same id (already seen).
    if all(phase == TEARDOWN for phase in phases) and nodeid not in seen:
        records.append(TestResult(nodeid, file, PASSED, duration, CALL, "", "", ""))
        duration = 0.0
    for child, phase in zip(outcomes, phases, strict=True):
        if child.tag == "failure":
            outcome = FAILED
        elif child.tag == "error":
            outcome = ERROR
        else:
            outcome = SKIPPED
        records.append(
            TestResult(
                nodeid=nodeid,
                file=file,
                outcome=outcome,
                # The element's time covers all its phases; give it to one record so sums stay right.
                duration=duration,
                phase=phase,
                message=_plain(child.get("message") or ""),
                exc_type=child.get("type") or "",
                details=_plain(child.text or ""),
            )
        )
        duration = 0.0
    return records


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _phase(child: ET.Element) -> str:
    message = child.get("message") or ""
    if child.tag == "skipped":
        return COLLECTION if message == _COLLECTION_SKIP_MESSAGE else CALL
    if child.tag == "failure":
        return CALL
    if message.startswith(_SETUP_PREFIX):
        return SETUP
    if message.startswith(_TEARDOWN_PREFIX):
        return TEARDOWN
    if message == _COLLECTION_MESSAGE:
        return COLLECTION
    if message == "internal error":
        return INTERNAL
    # Another tool's <error> without pytest's markers: an error while running the test.
    return CALL


def _float(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def _identify(case: ET.Element, resolver: _PathResolver) -> tuple[str, str]:
    """(node id, test file) of a <testcase>, both relative to the project root."""
    classname = case.get("classname") or ""
    name = case.get("name") or ""
    file_attr = case.get("file") or ""

    if classname == "pytest" and name == "internal" and not file_attr:
        return "pytest::internal", ""
    if not classname:
        # A collection report: pytest writes the node (a file or a folder) as a dotted name.
        if file_attr:
            file = resolver.resolve(file_attr)
        else:
            file = resolver.resolve_dotted(name.split("."), module_only=False) or name
        return file, file

    parts = classname.split(".")
    module_file = ""
    inner: list[str] = []
    if file_attr and file_attr.endswith(".py"):
        dotted = PurePosixPath(file_attr).with_suffix("").as_posix().replace("/", ".").split(".")
        # The file attribute is where the test function is defined; it is the collecting module
        # unless the test was inherited from a class in another module.
        if parts[: len(dotted)] == dotted:
            module_file = resolver.resolve(file_attr)
            inner = parts[len(dotted) :]
    if not module_file and file_attr and not file_attr.endswith(".py") and resolver.exists(file_attr):
        # An item a plugin collects from a file of another kind (pygments' conftest: its .txt snippets) is that
        # file's: no dotted cut of its class name is a module, and trying each one cost a stat apiece.
        module_file = resolver.resolve(file_attr)
    if not module_file:
        for cut in range(len(parts), 0, -1):
            found = resolver.resolve_dotted(parts[:cut], module_only=True)
            if found:
                module_file, inner = found, parts[cut:]
                break
    if not module_file:
        # Nothing on disk matches (the tree moved since the run): keep pytest's own spelling.
        module_file = resolver.resolve(file_attr) if file_attr else "/".join(parts) + ".py"
        inner = []
    nodeid = "::".join([module_file, *inner, name])
    return nodeid, module_file


class _PathResolver:
    """Turn paths relative to pytest's rootdir into paths relative to the project root.

    Usually the two are the same folder and this is a dictionary look-up.  When
    they are not, the offset is found once, on disk, and reused.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.cache: dict[str, str | None] = {}
        self.prefixes: list[str] = [""]

    def _exists(self, rel: str) -> str | None:
        """``rel`` re-based onto the project root if such a file or folder exists there."""
        if rel in self.cache:
            return self.cache[rel]
        found = self._locate(rel)
        self.cache[rel] = found
        return found

    def _locate(self, rel: str) -> str | None:
        # Strings and os.path, the cheap test first: a suite of items from non-Python files (pygments' 4,000
        # snippets) misses here several times per test, and pathlib made that 1.4 s of every aggregate.
        root = self.root.as_posix()
        for prefix in self.prefixes:
            candidate = f"{prefix}{rel}"
            if os.path.exists(f"{root}/{candidate}"):
                return candidate
        parts = PurePosixPath(rel).parts
        # rootdir above the project root: the path starts with the folders leading down to it.
        for start in range(1, len(parts)):
            candidate = "/".join(parts[start:])
            if root.endswith("/" + "/".join(parts[:start])) and os.path.exists(f"{root}/{candidate}"):
                return candidate
        # rootdir below the project root (e.g. a pytest.ini in tests/): find the folder it was.
        # Only when the path's first folder is not at the root, else every miss would walk the tree.
        if os.path.exists(f"{root}/{parts[0]}"):
            return None
        found = self._search_prefix(rel)
        if found is not None:
            self.prefixes.append(found)
            return f"{found}{rel}"
        return None

    def _search_prefix(self, rel: str) -> str | None:
        for folder, dirs, _files in os.walk(self.root):
            depth = len(Path(folder).relative_to(self.root).parts)
            # Sorted, and pruned of tool folders and virtualenvs, so the search is quick and deterministic.
            dirs[:] = sorted(
                d
                for d in dirs
                if depth < _SEARCH_DEPTH
                and not d.startswith(".")
                and d not in _SKIP_DIRS
                and not (Path(folder) / d / "pyvenv.cfg").exists()
            )
            if depth and (Path(folder) / rel).exists():
                return Path(folder).relative_to(self.root).as_posix() + "/"
        return None

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` (pytest's spelling) is a file or folder of the project, wherever its rootdir was."""
        posix = rel.replace("\\", "/")
        return Path(posix).exists() if posix.startswith("/") else self._exists(posix) is not None

    def resolve(self, rel: str) -> str:
        """``rel`` relative to the project root, or as given (POSIX) when nothing on disk matches."""
        posix = rel.replace("\\", "/")
        if posix.startswith("/"):
            path = Path(posix)
            return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else posix
        return self._exists(posix) or posix

    def resolve_dotted(self, parts: list[str], module_only: bool) -> str | None:
        """The module file (or, unless ``module_only``, folder) a dotted rootdir-relative name stands for."""
        if not parts or not all(parts):
            return None
        stem = "/".join(parts)
        found = self._exists(f"{stem}.py")
        if found or module_only:
            return found
        return self._exists(stem)
