"""Compute a balanced split of the coverage work and write it to ``workers.toml``.

The hand-made split this replaces gave its workers 956 / 1,891 / 3,055 /
2,024 / 735 statements (max/mean 1.76), and on the real project statements
did not even predict time.  So the split is computed, as two separate choices:

* ownership (which worker answers for which modules, as in the spec) is
  organisation: each module weighs its statements, counted by coverage.py
  itself (:mod:`covsplit.statements`), and folders stay whole;
* scheduling (which worker runs which test file) is time: each test file
  weighs the seconds earlier runs measured for it, collection and imports
  included (:mod:`covsplit.durations`), placed longest first onto the least
  loaded worker (:mod:`covsplit.schedule`), whatever module it exercises.
  ``--by duration`` reschedules the tests and keeps the ownership.

Ownership, in short:

1. A source package lighter than the target (total / N) stays whole; a
   heavier one is split into its sub-folders and modules, recursively.
   Lighter folders are split too (heaviest first) only while keeping them
   whole leaves the split more than 2% off the ideal.
2. The pieces are packed three ways: greedy longest-first (LPT), LPT that
   prefers a worker already holding the piece's folder, and workers filled
   one after the other in folder order.
3. Each packing is improved by moves and swaps off the heaviest worker,
   then by moves and swaps that gather folders without going over the best
   balance (plus 1%, never beyond plain LPT's); the packing with the fewest
   (worker, folder) pairs wins, so the result is never worse than LPT.
4. Whole folders owned by one worker are written as one name; workers that
   survive keep their names, titles and comments.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from covsplit import config, discover, durations, fsio, schedule, sharing
from covsplit import titles as titles_module
from covsplit.packing import PlanError, balance, cut_cost, partition, ratio, ratio_floor, within_tolerance
from covsplit.schedule import BY_DURATION, BY_STATEMENTS
from covsplit.statements import StatementCountError, count_statements

# A new worker inherits an old worker's name and title when at least this share of its
# statements were that worker's, and this share of that worker's statements are its:
# it is recognisably the same worker, and the title still describes most of it.
SURVIVAL_SHARE = 0.5
# A folder lighter than the target is split only when keeping it whole would leave the heaviest
# worker more than this fraction above the ideal (total / N, or the heaviest indivisible piece).
BALANCE_SLACK = 0.02


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class OldWorker:
    """A worker as the current ``workers.toml`` describes it, read leniently.

    Leniently, because the planner's job is to repair a stale split: a module
    that no longer exists is recorded in ``missing``, not raised.
    """

    name: str
    title: str
    modules: tuple[str, ...]
    files: tuple[str, ...]
    tests: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The suite settings (validated by config.py) and the workers as written."""

    path: Path
    cfg: config.Config
    data: dict[str, Any]
    text: str
    old: tuple[OldWorker, ...]


def load_settings(path: str | Path) -> Settings:
    """The settings (config.read, lenient: whatever state the workers are in) and the workers as written."""
    loaded = config.read(path, lenient=True)
    cfg = loaded.cfg
    tests = discover.test_files_in(cfg.root, cfg.test_paths, leave_out=cfg.not_run)
    return Settings(
        path=cfg.path, cfg=cfg, data=loaded.data, text=loaded.text, old=read_old_workers(cfg, loaded.data, tests)
    )


def read_old_workers(cfg: config.Config, data: Mapping[str, Any], test_files: Sequence[str]) -> tuple[OldWorker, ...]:
    """The workers of the raw TOML, with what each owns and runs today."""
    every = set(cfg.all_files())
    tables = data.get("workers")
    if not isinstance(tables, dict):
        return ()
    workers = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            continue
        modules = tuple(_strings(table.get("modules")))
        files: list[str] = []
        missing = []
        for module in modules:
            resolved = [f for f in discover.resolve_module(cfg.root, cfg.source_dir, module) or [] if f in every]
            if not resolved:
                missing.append(module)
            files.extend(f for f in resolved if f not in files)
        entries = _strings(table.get("tests", list(cfg.test_paths)))
        tests = sorted({t for entry in entries for t in expand_tests(cfg.root, entry, test_files)})
        raw_title = table.get("title")
        title = raw_title if isinstance(raw_title, str) else name
        workers.append(OldWorker(name, title, modules, tuple(sorted(files)), tuple(tests), tuple(missing)))
    return tuple(workers)


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def expand_tests(root: Path, entry: str, test_files: Sequence[str]) -> list[str]:
    """The discovered test files a ``tests`` entry (file, folder or node id) makes pytest run."""
    target = PurePosixPath(entry.split("::", 1)[0]).as_posix().rstrip("/")
    if target in ("", "."):
        return list(test_files)
    if (root / target).is_file():
        return [target] if target in test_files else []
    prefix = target + "/"
    return [t for t in test_files if t.startswith(prefix)]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    """Everything the planner needs, read from disk once; planning itself is pure."""

    source_dir: str
    source: tuple[str, ...]
    test_root: str
    files: tuple[str, ...]
    statements: Mapping[str, int]
    test_files: tuple[str, ...]
    blank: frozenset[str] = frozenset()
    # Test files on disk outside the declared scope (project.not_run, or beside project.tests):
    # a folder holding one is never written as a whole, or a worker would run it.
    out_of_scope: frozenset[str] = frozenset()
    # Measured seconds per test file, collection included (earlier runs' *_durations.json).
    durations: Mapping[str, float] = field(default_factory=dict)
    # The measured fixed cost of a worker (pytest start, coverage save), seconds.
    fixed: float = 0.0
    # Can this dotted name be written in workers.toml, standing for exactly these files?
    nameable: Callable[[str, tuple[str, ...]], bool] = field(default=lambda dotted, files: True)
    # The max/mean statements a split may reach to keep folders whole (thresholds.balance).
    tolerance: float = config.DEFAULT_BALANCE_TOLERANCE
    # Measured seconds of each test by file and node id, and of collecting each file: a file heavier than a
    # worker's share is shared between workers (covsplit.schedule.place).
    tests: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    collect: Mapping[str, float] = field(default_factory=dict)
    # project.keep_together: test files a schedule never separates.
    together: tuple[tuple[str, ...], ...] = ()
    # Before any run is measured: each test file's tests by node id prefix, counted from its source.
    estimates: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def gather(cfg: config.Config) -> Inputs:
    """Read the code, the tests and the previous runs' artifacts (the I/O edge of the planner)."""
    files = tuple(cfg.all_files())
    # The declared scope only (project.tests, less project.not_run): planning never widens it.
    test_files = tuple(discover.test_files_in(cfg.root, cfg.test_paths, leave_out=cfg.not_run))
    on_disk = discover.test_files_in(cfg.root, [cfg.test_root])
    measured = durations.read(cfg.output_dir)
    return Inputs(
        source_dir=cfg.source_dir,
        source=cfg.source,
        test_root=cfg.test_root,
        files=files,
        statements=count_statements(cfg.root, files),
        test_files=test_files,
        blank=frozenset(f for f in files if discover.is_blank_init(cfg.root / f)),
        out_of_scope=frozenset(on_disk) - frozenset(test_files),
        durations=measured.files,
        fixed=measured.fixed_per_worker,
        nameable=resolver_check(cfg.root, cfg.source_dir),
        tolerance=cfg.balance_tolerance,
        tests={file: nodes for file, nodes in measured.tests.items() if file in test_files},
        collect=measured.collect,
        together=cfg.keep_together,
        estimates={}
        if measured.files
        else {t: {k: float(v) for k, v in discover.estimated_tests(cfg.root, t).items()} for t in test_files},
    )


def resolver_check(root: Path, source_dir: str) -> Callable[[str, tuple[str, ...]], bool]:
    """Whether config.py will resolve a dotted name to exactly the given files.

    ``evaluation/8ball_eval.py`` has no dotted name (``8ball_eval`` is not an
    identifier), so it can only be owned through its folder, which then
    cannot be split.
    """

    def check(dotted: str, files: tuple[str, ...]) -> bool:
        resolved = discover.resolve_module(root, source_dir, dotted)
        return resolved is not None and set(resolved) == set(files)

    return check


# --------------------------------------------------------------------------- test mapping


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


def seconds_per_test(inputs: Inputs) -> tuple[dict[str, float], float | None]:
    """Seconds per test file: measured, else the average of the measured ones (None if none was)."""
    return durations.seconds_for(inputs.test_files, inputs.durations)


# --------------------------------------------------------------------------- source tree


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
        if node.is_folder and weight(node) > target and _splittable(node, inputs):
            for child in _named_children(node, inputs):
                visit(child, node.path)
        else:
            units.append(Unit(node, group))

    for top in tops:
        visit(top, top.path)
    return units


def _named_children(node: Node, inputs: Inputs) -> list[Node]:
    # A blank __init__.py has nothing to own; it is left out rather than named `pkg.__init__`.
    return [c for c in node.children if not (len(c.files) == 1 and c.files[0] in inputs.blank and not c.is_folder)]


def _splittable(node: Node, inputs: Inputs) -> bool:
    return all(inputs.nameable(child.dotted, child.files) for child in _named_children(node, inputs))


def _split_one(units: list[Unit], weight: Callable[[Node], float], inputs: Inputs) -> list[Unit] | None:
    """Split the heaviest splittable whole folder into its children (None when none can be split)."""
    splittable = [u for u in units if u.node.is_folder and _splittable(u.node, inputs)]
    if not splittable:
        return None
    heaviest = max(splittable, key=lambda u: (weight(u.node), u.node.path))
    index = units.index(heaviest)
    children = [Unit(child, heaviest.node.path) for child in _named_children(heaviest.node, inputs)]
    return units[:index] + children + units[index + 1 :]


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlannedWorker:
    name: str
    title: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    files: tuple[str, ...]
    test_files: tuple[str, ...]
    statements: int
    seconds: float
    # The old worker whose name and title this one kept, if any.
    survives: str | None = None
    # Whether it kept the title workers.toml gave it (it still fits what the worker owns).
    title_kept: bool = False


@dataclass(frozen=True)
class Plan:
    by: str
    workers: tuple[PlannedWorker, ...]
    total: float
    notes: tuple[str, ...] = ()
    # The best makespan any split could reach: total / N, or the heaviest piece
    # that cannot be cut (a module's statements; a single test's seconds).
    ideal: float = 0.0
    # Test files shared between workers, with which parts each runs (the schedule file beside workers.toml).
    shared: Mapping[str, sharing.SharedFile] = field(default_factory=dict)

    @property
    def loads(self) -> list[float]:
        return [w.statements if self.by == BY_STATEMENTS else w.seconds for w in self.workers]

    @property
    def ratio(self) -> float:
        return ratio(self.loads)

    @property
    def target(self) -> float:
        return self.total / len(self.workers)


def make_plan(inputs: Inputs, n: int, by: str = BY_STATEMENTS, old: Sequence[OldWorker] = ()) -> Plan:
    """Split the modules and test files of ``inputs`` into ``n`` workers.

    Two separate choices.  Ownership (which worker answers for which
    modules) balances statements and keeps folders whole; ``--by duration``
    keeps the current ownership when the number of workers is unchanged.
    Scheduling (which worker runs which test file) balances measured seconds,
    longest first onto the least loaded worker, whatever module a test file
    exercises; before any run was measured, test files follow the module
    they are named after.
    """
    if by not in (BY_STATEMENTS, BY_DURATION):
        raise PlanError(f"unknown measure {by!r}: use {BY_STATEMENTS} or {BY_DURATION}")
    if n < 1:
        raise PlanError(f"cannot split into {n} workers: ask for at least 1")
    notes: list[str] = []
    seconds, average = seconds_per_test(inputs)
    timed = average is not None
    if by == BY_DURATION and not timed:
        raise PlanError(
            "no measured durations (no *_durations.json in coverage_output/): "
            "run the workers once (make coverage-all), or plan --by statements"
        )
    tops = source_tree(inputs)
    stmts = inputs.statements
    if by == BY_DURATION and len(old) == n and not any(w.missing for w in old):
        owned = [(tuple(w.modules), tuple(w.files)) for w in old]
        notes.append("ownership kept as in workers.toml; test files rescheduled by measured seconds")
        statement_ideal = 0.0
    elif _kept(old, n, inputs):
        owned = [(tuple(w.modules), tuple(w.files)) for w in old]
        loads = [sum(stmts.get(f, 0) for f in w.files) for w in old]
        floor = _floor(old, n, inputs)
        within = f"{inputs.tolerance:g} (thresholds.balance)"
        if floor > 1:
            within += f" times {float(floor):.3f}, the floor no split gets below"
        notes.append(
            f"ownership kept as in workers.toml: max/mean statements {ratio(loads):.3f} is within the tolerance "
            f"{within}; no module moves without a gain above it"
        )
        statement_ideal = sum(loads) / n
    else:
        owned, statement_ideal = _own_by_statements(inputs, tops, n, notes)
    if n > len(inputs.test_files):
        raise PlanError(
            f"{n} workers but only {len(inputs.test_files)} test files: a worker would run nothing; "
            f"ask for at most {len(inputs.test_files)} workers"
        )

    shared: dict[str, schedule.SharedPieces] = {}
    if timed:
        placement = schedule.place(seconds, inputs.tests, inputs.collect, n, inputs.fixed, inputs.together)
        placed, shared = placement.whole, placement.shared
        notes.append(_measured_note(inputs, seconds, average))
        notes += [_shared_note(file, entry, seconds[file]) for file, entry in sorted(shared.items())]
    else:
        placed, shared = _unmeasured_placement(inputs, owned, seconds, n, notes)

    whole = [t for t in inputs.test_files if t in placed]
    # A folder holding a shared file is never written whole: its other workers would run all of it.
    test_names = _test_names(inputs.test_root, whole, placed, inputs.out_of_scope | frozenset(shared))
    drafts = []
    for worker, (modules, files) in enumerate(owned):
        sharing_here = [f for f, entry in shared.items() if worker == entry.owner or worker in entry.parts]
        tests = tuple(sorted([*(t for t, w in placed.items() if w == worker), *sharing_here]))
        drafts.append(
            {
                "modules": tuple(sorted(modules)),
                "tests": tuple(sorted([*test_names[worker], *sharing_here])),
                "files": files,
                "test_files": tests,
                "statements": sum(stmts.get(f, 0) for f in files),
                "seconds": round(placement.loads[worker], 3)
                if timed
                else round(inputs.fixed + sum(seconds[t] for t in tests), 3),
            }
        )
    workers = _name_workers(drafts, old, stmts, tops, inputs)
    if by == BY_DURATION:
        total = sum(seconds.values()) + n * inputs.fixed
        ideal = placement.ideal if timed else schedule.ideal_makespan(list(seconds.values()), n, inputs.fixed)
    else:
        total = float(sum(stmts.get(f, 0) for _modules, files in owned for f in files))
        ideal = statement_ideal
    names = [w.name for w in workers]
    named = {
        file: sharing.SharedFile(names[entry.owner], {names[w]: parts for w, parts in entry.parts.items()})
        for file, entry in shared.items()
    }
    return Plan(by=by, workers=tuple(workers), total=total, notes=tuple(notes), ideal=ideal, shared=named)


# Before any run is measured, test files follow the modules they are named after (a readable split) while
# that keeps the heaviest worker within this factor of the ideal by test counts; beyond it, counts decide.
NAMES_SLACK = 1.25


def _unmeasured_placement(
    inputs: Inputs,
    owned: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    seconds: Mapping[str, float],
    n: int,
    notes: list[str],
) -> tuple[dict[str, int], dict[str, schedule.SharedPieces]]:
    """Where tests go before any run was timed: by the modules they are named after, unless that is unbalanced.

    Unbalanced is judged by each file's number of tests, counted from its
    source (``discover.estimated_tests``): on a suite where one file holds
    most of the tests, the first run would otherwise wait for one worker.
    """
    by_names: list[str] = []
    placed = _follow_modules(inputs, owned, seconds, n, by_names)
    if not inputs.estimates:
        notes += by_names
        return placed, {}
    counts = {t: sum(inputs.estimates.get(t, {}).values()) or 1.0 for t in inputs.test_files}
    by_counts = schedule.place(counts, inputs.estimates, {}, n, 0.0, inputs.together)
    named = max(schedule.loads(counts, placed, n))
    gives_every_worker_tests = len({*by_counts.whole.values(), *(e.owner for e in by_counts.shared.values())}) == n
    if named <= NAMES_SLACK * by_counts.ideal or not gives_every_worker_tests:
        notes += by_names
        return placed, {}
    notes.append(
        f"test files placed by their number of tests, counted from their source (no run has been measured yet; "
        f"following the modules they are named after would give one worker {named / by_counts.ideal:.2f}x the "
        "ideal): after a run, plan again to balance seconds"
    )
    notes += [_shared_note(f, e, counts[f], "tests") for f, e in sorted(by_counts.shared.items())]
    return by_counts.whole, by_counts.shared


def _shared_note(file: str, entry: schedule.SharedPieces, seconds: float, unit: str = "s") -> str:
    pieces = sum(len(parts) for parts in entry.parts.values())
    amount = f"{seconds:.2f} s" if unit == "s" else f"{seconds:.0f} {unit}"
    return (
        f"{file} ({amount}) is heavier than a worker's share: {len(entry.parts) + 1} workers share it "
        f"({pieces} part(s) named in the schedule file, the rest in one worker)"
    )


def statements_of_node(node: Node, statements: Mapping[str, int]) -> int:
    return sum(statements.get(f, 0) for f in node.files)


def _measured_note(inputs: Inputs, seconds: Mapping[str, float], average: float | None) -> str:
    """How much of the time balanced was measured, and how much assumed."""
    measured = [t for t in inputs.test_files if t in inputs.durations]
    unmeasured = [t for t in inputs.test_files if t not in inputs.durations]
    measured_s = sum(seconds[t] for t in measured)
    assumed_s = sum(seconds[t] for t in unmeasured)
    total = measured_s + assumed_s
    note = (
        f"test seconds balanced: {measured_s:,.2f} s measured ({len(measured)} test files, collection included)"
        f" = {measured_s / total:.0%}"
        if total
        else "test seconds balanced: none"
    )
    if unmeasured:
        note += (
            f"; {assumed_s:,.2f} s assumed for {len(unmeasured)} never-measured test file(s) "
            f"at the mean, {average or 0.0:.2f} s"
        )
    return note + f"; plus a measured fixed cost of {inputs.fixed:.2f} s per worker"


def _own_by_statements(
    inputs: Inputs, tops: Sequence[Node], n: int, notes: list[str]
) -> tuple[list[tuple[tuple[str, ...], tuple[str, ...]]], float]:
    """(modules, files) per worker, statements balanced and folders kept whole where the balance allows;
    and the ideal load (total / N, or the heaviest piece that cannot be cut)."""
    stmts = inputs.statements

    def weight(node: Node) -> int:
        return statements_of_node(node, stmts)

    modules = sum(1 for u in decompose(tops, weight, -1.0, inputs) if weight(u.node) > 0)
    if n > modules:
        raise PlanError(
            f"{n} workers but only {modules} modules with statements: a worker would be empty; "
            f"ask for at most {modules} workers"
        )
    total = sum(weight(top) for top in tops)
    # The best any split can do: the ideal share, or the heaviest piece that cannot be cut.
    atoms = [weight(u.node) for u in decompose(tops, weight, -1.0, inputs)]
    ideal = max(total / n, max(atoms, default=0.0))
    # Folders first: split no more of them than keeping max/mean within the tolerance needs, so a
    # folder is cut up front only when it alone is heavier than the tolerance allows.
    mean = total / n
    allowed = max(ideal * (1 + BALANCE_SLACK), inputs.tolerance * mean)
    units = decompose(tops, weight, allowed, inputs)
    while sum(1 for u in units if weight(u.node) > 0) < n:
        # Heavy unsplittable units can leave fewer pieces than workers: split lighter folders too.
        split = _split_one(units, weight, inputs)
        if split is None:
            raise PlanError(f"the source cannot be cut into {n} workers that each own a module")
        units = split
    tightest = _pack(units, [], n, weight, weight, ideal * (1 + BALANCE_SLACK), inputs)
    # Two ways to keep folders together: pack whole folders and split the heaviest until the balance is
    # within the tolerance; or give each worker a run of the folder order, cut where fewest folders split.
    # The less scattered of those within the tolerance wins.
    candidates = [_pack(units, [], n, weight, weight, allowed, inputs)]
    run = _folder_runs(tops, n, weight, allowed, inputs)
    if run is not None:
        candidates.append(run)
    within = [c for c in candidates if _span(c, weight) <= allowed + 1e-9] or [tightest]
    coherent = min(within, key=lambda c: (*_coherence(c), _span(c, weight)))
    units, assign = coherent
    (pairs_now, split_now), (pairs_tight, split_tight) = _coherence(coherent), _coherence(tightest)
    if (pairs_tight, split_tight) > (pairs_now, split_now):
        notes.append(
            f"folders first: max/mean statements {_span(coherent, weight) / mean:.3f}, the workers drawing on "
            f"{pairs_now} folder slices and {split_now} folder(s) split, within the tolerance {inputs.tolerance:g} "
            f"(thresholds.balance); the tightest balance, {_span(tightest, weight) / mean:.3f}, would take "
            f"{pairs_tight} slices and split {split_tight}"
        )

    for unit in units:
        if unit.node.is_folder and weight(unit.node) > total / n and not _splittable(unit.node, inputs):
            children = _named_children(unit.node, inputs)
            unnamed = [c.path for c in children if not inputs.nameable(c.dotted, c.files)]
            notes.append(
                f"{unit.node.path}/ is heavier than the target but is kept whole: "
                f"{', '.join(unnamed)} cannot be named as a module (a dotted name holds letters, digits and _ only)"
            )

    unit_owner = {u.node.path: assign[i] for i, u in enumerate(units)}
    file_owner = {f: assign[i] for i, u in enumerate(units) for f in u.node.files}
    owned_names = _module_names(tops, unit_owner, inputs)
    result = []
    for worker in range(n):
        files = {f for f, w in file_owner.items() if w == worker}
        # Whole folders also own their blank __init__.py files.
        files |= {f for dotted in owned_names[worker] for f in _node_files(tops, dotted)}
        result.append((tuple(owned_names[worker]), tuple(sorted(files))))
    return result, ideal


def _follow_modules(
    inputs: Inputs,
    owned: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    seconds: Mapping[str, float],
    n: int,
    notes: list[str],
) -> dict[str, int]:
    """Before any run was timed: a test file goes to the owner of the module it is named after."""
    targets = map_tests(inputs)
    file_owner = {f: worker for worker, (_modules, files) in enumerate(owned) for f in files}
    placed = {t: file_owner[target.source] for t, target in targets.items() if target.source in file_owner}
    orphans = [t for t in inputs.test_files if t not in placed]
    how = Counter(t.how for t in targets.values())
    notes.append(
        f"test files: {how['convention']} follow the module they are named after, {how['none']} test no single "
        "module and are spread; no run has been measured yet: after one, plan again to balance seconds"
    )
    # Ties go by what a worker owns, not by its position: re-planning the same ownership places them alike.
    _spread(orphans, seconds, placed, n, order=[sorted(files) for _modules, files in owned])
    moved = _ensure_tests(inputs.test_files, seconds, placed, targets, n)
    if moved:
        notes.append(f"moved {', '.join(moved)} away from its module so that every worker runs a test file")
    return placed


# --------------------------------------------------------------------------- folder-first ownership


def folder_order(
    tops: Sequence[Node], atoms: Sequence[Unit], weight: Callable[[Node], float], inputs: Inputs
) -> list[Unit]:
    """The units in folder order: biggest folder first, and inside a folder its biggest parts first.

    A worker then owns a run of this order: whole folders, or a folder's
    largest modules (its "Large Core Modules") and the next worker the rest.
    """
    by_path = {u.node.path: u for u in atoms}
    ordered: list[Unit] = []

    def walk(node: Node) -> None:
        if node.path in by_path:
            ordered.append(by_path[node.path])
            return
        for child in sorted(_named_children(node, inputs), key=lambda c: (-weight(c), c.path)):
            walk(child)

    for top in sorted(tops, key=lambda t: (-weight(t), t.path)):
        walk(top)
    return ordered


def _folder_runs(
    tops: Sequence[Node], n: int, weight: Callable[[Node], float], cap: float, inputs: Inputs
) -> tuple[list[Unit], list[int]] | None:
    """Each worker a run of the folder order, cut where fewest folders split (None: no run fits ``cap``)."""
    atoms = decompose(tops, weight, -1.0, inputs)
    ordered = folder_order(tops, atoms, weight, inputs)
    weights = [float(weight(u.node)) for u in ordered]
    costs = [0] + [cut_cost(ordered[i - 1].node.path, ordered[i].node.path) for i in range(1, len(ordered))]
    cut = partition(weights, costs, n, cap)
    if cut is None:
        return None
    assign = [sum(1 for start in cut.cuts if start <= index) - 1 for index in range(len(ordered))]
    return ordered, assign


def _coherence(packed: tuple[list[Unit], list[int]]) -> tuple[int, int]:
    """How scattered a split is: the (worker, folder) pairs it makes, then the folders it splits."""
    units, assign = packed
    folder = _folder_of(units)
    pairs = {(worker, folder(unit)) for unit, worker in zip(units, assign, strict=False)}
    return len(pairs), len(_folders_split(units, assign))


def _folders_split(units: Sequence[Unit], assign: Sequence[int]) -> list[str]:
    """The folders whose modules went to more than one worker."""
    folder = _folder_of(units)
    holders: dict[str, set[int]] = defaultdict(set)
    for unit, worker in zip(units, assign, strict=False):
        holders[folder(unit)].add(worker)
    return sorted(name for name, workers in holders.items() if len(workers) > 1)


def _folder_of(units: Sequence[Unit]) -> Callable[[Unit], str]:
    """The folder a unit belongs to for coherence: its top folder, or, in a single-package project
    (``markdown_it``, ``click``), the sub-folder under it (``markdown_it/rules_block``)."""
    level = 1 if len({u.node.top or u.node.path for u in units}) == 1 else 0

    def folder(unit: Unit) -> str:
        parts = PurePosixPath(unit.node.path).parts
        if unit.node.is_folder:
            return "/".join(parts[: level + 1])
        return "/".join(parts[: min(level + 1, len(parts) - 1)]) or parts[0]

    return folder


def _span(packed: tuple[list[Unit], list[int]], weight: Callable[[Node], float]) -> float:
    units, assign = packed
    loads: dict[int, float] = defaultdict(float)
    for unit, worker in zip(units, assign, strict=False):
        loads[worker] += weight(unit.node)
    return max(loads.values(), default=0.0)


def _kept(old: Sequence[OldWorker], n: int, inputs: Inputs) -> bool:
    """Whether today's ownership stands: same worker count, every module owned once, within the tolerance."""
    if len(old) != n or any(w.missing for w in old):
        return False
    owned = [f for w in old for f in w.files]
    counted = {f for f in inputs.files if inputs.statements.get(f, 0) > 0}
    if len(owned) != len(set(owned)) or not counted <= set(owned):
        return False
    loads = [sum(inputs.statements.get(f, 0) for f in w.files) for w in old]
    # As check counts it, from the floor a module heavier than a share sets: what check passes stands.
    return all(loads) and within_tolerance(loads, inputs.tolerance, _floor(old, n, inputs))


def _floor(old: Sequence[OldWorker], n: int, inputs: Inputs) -> Fraction:
    """The lowest max/mean any split of today's modules reaches (packing.ratio_floor)."""
    weights = [inputs.statements.get(f, 0) for w in old for f in w.files]
    return ratio_floor(sum(weights), n, max(weights, default=0))


def _pack(
    units: list[Unit],
    free_weights: Sequence[float],
    n: int,
    weight: Callable[[Node], float],
    statements_of: Callable[[Node], float],
    good_enough: float,
    inputs: Inputs,
) -> tuple[list[Unit], list[int]]:
    """Balance the units; split more folders, heaviest first, only while the heaviest worker is above ``good_enough``.

    Whole folders are the coherent answer, but four equal packages cannot be
    balanced on three workers: a folder is split only when keeping folders
    whole leaves the heaviest worker above ``good_enough`` (the tolerance
    ``thresholds.balance`` allows, or just above the ideal for the tightest split).
    """
    best: tuple[float, list[Unit], list[int]] | None = None
    while True:
        weights = [float(weight(u.node)) for u in units] + list(free_weights)
        groups: list[str | None] = [u.group for u in units] + [None] * len(free_weights)
        anchors = [statements_of(u.node) > 0 for u in units] + [False] * len(free_weights)
        assign = balance(weights, n, groups, anchors)
        span = max(sum(w for w, a in zip(weights, assign, strict=True) if a == k) for k in range(n))
        if best is None or span < best[0] * (1 - 1e-9):
            best = (span, units, assign)
        if span <= good_enough:
            break
        split = _split_one(units, weight, inputs)
        if split is None:
            break
        units = split
    return best[1], best[2]


def _node_files(tops: Sequence[Node], dotted: str) -> tuple[str, ...]:
    for top in tops:
        stack = [top]
        while stack:
            node = stack.pop()
            if node.dotted == dotted:
                return node.files
            stack.extend(node.children)
    return ()


def _spread(
    orphans: Sequence[str],
    seconds: Mapping[str, float],
    owner: dict[str, int],
    n: int,
    order: Sequence[Sequence[str]] | None = None,
) -> None:
    """Give tests that test no single module to the workers with the least test time, longest first."""
    times = [0.0] * n
    counts = [0] * n
    for test, worker in owner.items():
        times[worker] += seconds[test]
        counts[worker] += 1
    for test in sorted(orphans, key=lambda t: (-seconds[t], t)):
        # A worker without any test file comes first: it must run something.
        worker = min(range(n), key=lambda w: (counts[w] > 0, times[w], order[w] if order else [], w))
        owner[test] = worker
        times[worker] += seconds[test]
        counts[worker] += 1


def _ensure_tests(
    tests: Sequence[str], seconds: Mapping[str, float], owner: dict[str, int], targets: Mapping[str, TestTarget], n: int
) -> list[str]:
    """Make every worker run at least one test file (workers.toml cannot say "no tests")."""
    moved = []
    for worker in range(n):
        if any(w == worker for w in owner.values()):
            continue
        counts = Counter(owner.values())
        movable = [t for t in tests if counts[owner[t]] > 1]
        if not movable:
            raise PlanError("not enough test files to give every worker one")
        # An unattached test first, then the cheapest.
        test = min(movable, key=lambda t: (targets[t].source is not None, seconds[t], t))
        owner[test] = worker
        if targets[test].source is not None:
            moved.append(test)
    return moved


def _module_names(tops: Sequence[Node], unit_owner: Mapping[str, int], inputs: Inputs) -> dict[int, list[str]]:
    """The dotted names each worker owns: a folder whole when one worker owns all of it."""
    names: dict[int, list[str]] = defaultdict(list)

    def owners(node: Node) -> set[int]:
        if node.path in unit_owner:
            return {unit_owner[node.path]}
        found: set[int] = set()
        for child in _named_children(node, inputs):
            found |= owners(child)
        return found

    def emit(node: Node) -> None:
        if node.path in unit_owner:
            names[unit_owner[node.path]].append(node.dotted)
            return
        held = owners(node)
        if len(held) == 1:
            names[held.pop()].append(node.dotted)
            return
        for child in _named_children(node, inputs):
            emit(child)

    for top in tops:
        emit(top)
    return names


def _test_names(
    test_root: str, tests: Sequence[str], owner: Mapping[str, int], out_of_scope: Collection[str] = ()
) -> dict[int, list[str]]:
    """The ``tests`` entries per worker: a test folder whole when one worker runs all of it (and nothing else)."""
    names: dict[int, list[str]] = defaultdict(list)

    def emit(folder: str, inside: list[str]) -> None:
        held = {owner[t] for t in inside}
        prefix = "" if folder in ("", ".") else folder + "/"
        if len(held) == 1 and not any(t.startswith(prefix) for t in out_of_scope):
            names[held.pop()].append(folder)
            return
        sub: dict[str, list[str]] = defaultdict(list)
        for test in inside:
            head, _, tail = test[len(prefix) :].partition("/")
            if tail:
                sub[head].append(test)
            else:
                names[owner[test]].append(test)
        for head in sorted(sub):
            emit(prefix + head, sub[head])

    if tests:
        emit(test_root, sorted(tests))
    return names


# --------------------------------------------------------------------------- names and titles

# The parts of a package shared by k workers, biggest modules first (the spec's wording).
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
        extra = "".join(f" + {titles_module.label(t)}" for t in others)
        titles.append(f"{titles_module.label(main)} ({part}){extra}")
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
    return titles_module.label(stem) if stem and stem != "__init__" else ""


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
            ("" if len(mine[sub]) == every[sub] else "Part of ") + titles_module.label(sub)
            for sub in ordered[:_NAMED_SUB_FOLDERS]
        ]
        rest = len(ordered) - len(named)
        text = ", ".join(named) + (f", {rest} more folder{'s' if rest != 1 else ''}" if rest else "")
    elif named := [f for f in loose if PurePosixPath(f).stem != "__init__"]:
        # A package's __init__ says nothing about what the worker holds.
        heaviest = min(named, key=lambda f: (-statements.get(f, 0), f))
        loose.remove(heaviest)
        text = titles_module.label(PurePosixPath(heaviest).stem)
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


def _name_workers(
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
        i: titles_module.missing_tops(old[j].title, drafts[i]["files"], inputs.source_dir) == []
        and kept_titles[old[j].title] == 1
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


# --------------------------------------------------------------------------- output


def _old_loads(
    old: Sequence[OldWorker], statements: Mapping[str, int], seconds: Mapping[str, float], fixed: float
) -> list[tuple[str, str, int, float]]:
    return [
        (
            w.name,
            w.title,
            sum(statements.get(f, 0) for f in w.files),
            fixed + sum(seconds.get(t, 0.0) for t in w.tests),
        )
        for w in old
    ]


def render_balance(
    plan: Plan,
    old: Sequence[OldWorker],
    statements: Mapping[str, int],
    seconds: Mapping[str, float],
    timed: bool,
    fixed: float = 0.0,
) -> str:
    """The old and the new split side by side, with their max/mean ratios.

    Seconds are a worker's predicted pytest time: its test files' measured
    seconds plus the measured fixed cost of a worker, the measure the report
    shows for a run.
    """
    before = _old_loads(old, statements, seconds, fixed)
    after = [(w.name, w.title, w.statements, w.seconds) for w in plan.workers]

    def cell(row: tuple[str, str, int, float] | None) -> str:
        if row is None:
            return " " * 62
        name, title, stmts, secs = row
        secs_text = f"{secs:8.1f}s" if timed else " " * 9
        title = title if len(title) <= 34 else title[:33] + "…"
        return f"{name:<10.10} {title:<34} {stmts:>7,} {secs_text}"

    unit = "statements" if plan.by == BY_STATEMENTS else "seconds"
    target = f"{plan.target:,.0f} statements" if plan.by == BY_STATEMENTS else f"{plan.target:,.1f} s"
    lines = [
        f"balance by {unit}: {len(plan.workers)} workers, target {target} per worker",
        "",
        f"{'before':<62} | after",
    ]
    for index in range(max(len(before), len(after))):
        left = cell(before[index]) if index < len(before) else cell(None)
        right = cell(after[index]) if index < len(after) else ""
        lines.append(f"{left} | {right}".rstrip())
    for label, pick, shown in (("statements", 2, True), ("seconds", 3, timed)):
        if not shown:
            continue
        old_ratio = f"{ratio([float(row[pick]) for row in before]):.3f}" if before else "-"
        new_ratio = f"{ratio([float(row[pick]) for row in after]):.3f}"
        lines.append(f"{'max/mean ' + label:<62} | {old_ratio} -> {new_ratio}")
    if plan.ideal > 0:
        heaviest = max(plan.loads)
        amount = f"{heaviest:,.0f} statements" if plan.by == BY_STATEMENTS else f"{heaviest:,.2f} s"
        best = f"{plan.ideal:,.0f}" if plan.by == BY_STATEMENTS else f"{plan.ideal:,.2f} s"
        lines.append(
            f"heaviest worker: {amount}, {heaviest / plan.ideal - 1:+.1%} from the ideal {best} "
            "(total / N, or the heaviest piece that cannot be split)"
        )
    missing = [f"{w.name}: {m}" for w in old for m in w.missing]
    if missing:
        lines.append(f"modules of the old split that no longer exist: {', '.join(missing)}")
    return "\n".join(lines)


def run(config_path: str | Path, workers: int | None = None, by: str = BY_STATEMENTS, dry_run: bool = False) -> int:
    """``covsplit plan``: compute the split, print old vs new balance, write workers.toml (unless ``dry_run``)."""
    try:
        settings = load_settings(config_path)
    except config.ConfigError as exc:
        return config.complain(exc)
    n = workers if workers is not None else len(settings.old)
    if n == 0 and workers is None:
        print(f"{settings.path}: no [workers.*] tables: say how many with --workers N", file=sys.stderr)
        return config.CONFIG_EXIT_STATUS
    try:
        inputs = gather(settings.cfg)
        plan = make_plan(inputs, n, by, settings.old)
    except (PlanError, StatementCountError) as exc:
        print(f"covsplit plan: {exc}", file=sys.stderr)
        return 1

    # Imported here: the only tomlkit user, which `check` (importing this module) does not need.
    from covsplit.plan_toml import render_toml

    text = render_toml(settings.text, plan)
    try:
        # The file must load exactly as every other command will load it.
        config.parse(settings.path, tomllib.loads(text))
    except (config.ConfigError, tomllib.TOMLDecodeError) as exc:
        print(f"covsplit plan: internal error, the planned workers.toml does not load: {exc}", file=sys.stderr)
        return 1

    seconds, _ = seconds_per_test(inputs)
    timed = bool(inputs.durations)
    print(render_balance(plan, settings.old, inputs.statements, seconds, timed, inputs.fixed))
    for note in plan.notes:
        print(f"note: {note}")
    if dry_run:
        print(f"\n--- {settings.path} (dry run: not written) ---")
        print(text, end="")
        return 0
    if text != settings.text:
        fsio.write_text(settings.path, text)
        print(f"wrote {settings.path}")
    else:
        print(f"{settings.path} is already this split")
    schedule_path = sharing.path_for(settings.path)
    if plan.shared or schedule_path.exists():
        sharing.write(schedule_path, plan.shared)
        print(f"wrote {schedule_path}" if plan.shared else f"removed {schedule_path}: no test file is shared")
    return 0
