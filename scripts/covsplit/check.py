"""Check ``workers.toml`` against the code, for CI: every problem, in one list.

Code moves under a split: a module is renamed, a test file is added, a
worker grows.  ``check`` says precisely what no longer holds:

* a worker names a module that does not exist (or lies outside the source);
* a source module is owned by no worker, or by two;
* a test file is run by no worker, or by two;
* a ``tests`` entry names nothing, or a worker runs no test file at all;
* the balance (max/mean) is beyond ``thresholds.balance``;
* any other mistake config.py would reject (names, keys, types).

config.load stops at the first problem, which is right before a run and
wrong for a CI check, where one failing run should list everything to fix.
So this module reads the raw TOML and collects; it calls config.py for the
settings and for each worker's own keys, and discover.py for what exists.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeGuard

from covsplit import config, discover, durations, exits, run_once, schedule_file, suite, suite_files, titles
from covsplit.packing import ratio, ratio_floor, within_tolerance
from covsplit.plan_inputs import expand_tests, load_settings
from covsplit.schedule import BY_STATEMENTS
from covsplit.statements import StatementCountError, count_statements


@dataclass(frozen=True)
class Problem:
    """One thing that does not hold, phrased for the person who has to fix it."""

    kind: str
    message: str


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    summary: str


def check(path: str | Path, by: str = BY_STATEMENTS) -> Report:
    """Every problem of the split in ``path``; raises config.ConfigError only when the settings are unusable."""
    settings = load_settings(path)
    cfg = settings.cfg
    problems: list[Problem] = []
    tables = settings.data.get("workers")
    if not isinstance(tables, dict) or not tables:
        problems.append(
            Problem("config", f"{cfg.path}: workers: no workers defined; add [workers.worker1] or run plan")
        )
        tables = {}

    problems += _worker_key_problems(cfg, settings.data, tables)
    sources = cfg.all_files()
    owners, module_problems = _owners(cfg, tables, set(sources))
    problems += module_problems
    problems += _ownership_problems(cfg, sources, owners)
    problems += _title_problems(cfg, tables, owners)

    # The project's declared test scope, less what workers.toml says is deliberately not run.
    test_files = suite_files.test_files(cfg, leave_out=())
    runnable = suite_files.test_files(cfg)
    runners, test_problems = _runners(cfg, tables, test_files)
    problems += test_problems
    try:
        shared = schedule_file.read(schedule_file.path_for(cfg.path))
    except schedule_file.ScheduleError as exc:
        problems.append(Problem("schedule", f"{schedule_file.path_for(cfg.path)}: {exc}; run plan to write it anew"))
        shared = {}
    problems += _test_problems(runnable, runners, shared)

    statements = count_statements(cfg.root, sources)
    loads = _loads(cfg, tables, owners, runners, statements, by, shared)
    if loads is None:
        ratio_text = "balance by duration not checked"
        problems.append(
            Problem(
                "balance",
                f"cannot check the balance by duration: no measured durations (no *_durations.json in "
                f"{cfg.layout.output_dir}); run the workers first, or check --by statements",
            )
        )
    else:
        balance_problem, ratio_text = _balance(cfg, loads, by)
        if balance_problem:
            problems.append(balance_problem)
    owned = sum(1 for f in sources if f in owners)
    summary = (
        f"{len(tables)} workers own {owned} modules ({sum(statements[f] for f in owners):,} statements) "
        f"and run {sum(1 for t in test_files if t in runners)} test files; {ratio_text}"
    )
    return Report(tuple(problems), summary)


def _worker_key_problems(cfg: config.Config, data: Mapping[str, Any], tables: Mapping[str, Any]) -> list[Problem]:
    """What config.py rejects in each worker's own keys (name, title, timeout, types, unknown keys).

    Each worker is validated alone, with a stand-in for its modules and tests
    when those are well-formed lists: their content is checked below, item
    by item, so that every bad module is listed and none twice.
    """
    problems = []
    lowered: dict[str, str] = {}
    for name, table in tables.items():
        if name.lower() in lowered:
            problems.append(
                Problem(
                    "config",
                    f"{cfg.path}: workers.{name}: same name as worker {lowered[name.lower()]!r} "
                    "(names are case-insensitive); rename one",
                )
            )
        lowered.setdefault(name.lower(), name)
        probe = table
        if isinstance(table, dict):
            probe = dict(table)
            if _is_string_list(table.get("modules")) and table["modules"]:
                probe["modules"] = [cfg.source[0]]
            if _is_string_list(table.get("tests")) and table["tests"]:
                probe["tests"] = list(cfg.test_paths)
        try:
            config.parse(cfg.path, {**data, "workers": {name: probe}})
        except config.ConfigError as exc:
            problems.append(Problem("config", str(exc)))
    return problems


def _is_string_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _owners(
    cfg: config.Config, tables: Mapping[str, Any], sources: set[str]
) -> tuple[dict[str, list[tuple[str, str]]], list[Problem]]:
    """Source file -> [(worker, module name)] for every module that resolves; problems for those that do not."""
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    problems = []
    for name, table in tables.items():
        modules = table.get("modules") if isinstance(table, dict) else None
        if not _is_string_list(modules):
            continue
        for index, module in enumerate(modules):
            key = f"workers.{name}.modules[{index}]"
            resolved = discover.resolve_module(cfg.root, cfg.source_dir, module)
            if resolved is None:
                problems.append(
                    Problem(
                        "missing-module",
                        f"{key}: module {module!r} does not exist under {cfg.source_root}; "
                        "fix the name or remove it (or run plan)",
                    )
                )
                continue
            inside = [f for f in resolved if f in sources]
            if not inside:
                problems.append(
                    Problem(
                        "outside-source",
                        f"{key}: module {module!r} is outside the source packages {', '.join(cfg.source)}",
                    )
                )
            for file in inside:
                if (name, module) not in owners[file]:
                    owners[file].append((name, module))
    return owners, problems


def _title_problems(
    cfg: config.Config, tables: Mapping[str, Any], owners: Mapping[str, list[tuple[str, str]]]
) -> list[Problem]:
    """Titles that no longer say what their worker owns, or that two workers share."""
    files: dict[str, list[str]] = {name: [] for name in tables}
    for file, claims in owners.items():
        for worker, _module in claims:
            files.setdefault(worker, []).append(file)
    names = {
        name: table.get("title", name)
        if isinstance(table, dict) and isinstance(table.get("title", name), str)
        else name
        for name, table in tables.items()
    }
    return [
        Problem("title", f"workers.{name}: {why}; rename it, or run plan to derive titles")
        for name, why in titles.problems(names, files, cfg.source_dir).items()
    ]


def _ownership_problems(
    cfg: config.Config, sources: Sequence[str], owners: Mapping[str, list[tuple[str, str]]]
) -> list[Problem]:
    problems = []
    for file in sources:
        workers = sorted({worker for worker, _ in owners.get(file, [])})
        if not workers and not discover.is_blank_init(cfg.root / file):
            problems.append(Problem("unowned", f"{file} is owned by no worker; add it to one worker's modules"))
    twice: dict[tuple[tuple[str, str], ...], list[str]] = defaultdict(list)
    for file in sources:
        claims = owners.get(file, [])
        if len({worker for worker, _ in claims}) > 1:
            twice[tuple(sorted(claims))].append(file)
    for claimants, files in twice.items():
        who = " and ".join(f"{worker} ({module})" for worker, module in claimants)
        problems.append(
            Problem("owned-twice", f"{', '.join(files)} owned by {who}; give each module to exactly one worker")
        )
    return problems


def _runners(
    cfg: config.Config, tables: Mapping[str, Any], test_files: Sequence[str]
) -> tuple[dict[str, list[tuple[str, str]]], list[Problem]]:
    """Test file -> [(worker, tests entry)]; problems for entries that name nothing."""
    runners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    problems = []
    passed = suite.passed_over(cfg, suite.read(cfg))
    for name, table in tables.items():
        if not isinstance(table, dict):
            continue
        entries = table.get("tests", list(cfg.test_paths))
        if not _is_string_list(entries):
            continue
        ran = 0
        for index, entry in enumerate(entries):
            key = f"workers.{name}.tests[{index}]"
            target = entry.split("::", 1)[0]
            if not (cfg.root / target).exists():
                problems.append(Problem("missing-test", f"{key}: {target} does not exist under {cfg.root}"))
                continue
            found = expand_tests(cfg.root, entry, test_files)
            if not found and suite.only_passed_over(cfg, entry, passed):
                # Named, a file the suite's collection passed over is collected all the same (suite_files.test_files).
                problems.append(
                    Problem(
                        "missing-test",
                        f"{key}: {entry}: one serial pytest does not collect it (collect_ignore, norecursedirs, "
                        "--ignore, python_files), a worker naming it would; remove it, or run plan",
                    )
                )
            elif not found:
                what = "is not a test file" if (cfg.root / target).is_file() else "contains no test files"
                problems.append(Problem("missing-test", f"{key}: {entry} {what} (test_*.py, *_test.py)"))
            for test in found:
                runners[test].append((name, entry))
            ran += len(found)
        if entries and not ran and any((cfg.root / path).exists() for path in cfg.test_paths):
            problems.append(Problem("idle-worker", f"workers.{name}: runs no test file"))
    return runners, problems


def _test_problems(
    test_files: Sequence[str],
    runners: Mapping[str, list[tuple[str, str]]],
    shared: Mapping[str, schedule_file.ScheduleEntry] | None = None,
) -> list[Problem]:
    problems = []
    shared = shared or {}
    for test in test_files:
        claims = runners.get(test, [])
        workers = sorted({worker for worker, _ in claims})
        found = run_once.entry_for(test, shared)
        if found is not None:
            # Shared (or dealt) by the schedule file: exactly the workers it names run it, each its part.
            entry = found[1]
            if set(workers) != entry.workers:
                problems.append(
                    Problem(
                        "shared-test",
                        f"{test} is shared by the schedule between {', '.join(sorted(entry.workers))} but "
                        f"run by {', '.join(workers) or 'no worker'}; run plan to schedule it again",
                    )
                )
            continue
        if not workers:
            problems.append(
                Problem(
                    "unrun-test",
                    f"{test} is run by no worker; add it to one worker's tests, or to project.not_run "
                    "if it is left out on purpose",
                )
            )
        elif len(workers) > 1 and not _distinct_node_ids(claims):
            who = " and ".join(f"{worker} ({entry})" for worker, entry in claims)
            problems.append(Problem("test-twice", f"{test} is run by {who}; run each test file in exactly one worker"))
    return problems


def _distinct_node_ids(claims: Sequence[tuple[str, str]]) -> bool:
    # Two workers may run different tests of one file by node id (tests/a.py::test_x).
    entries = [entry for _, entry in claims]
    return all("::" in entry for entry in entries) and len(set(entries)) == len(entries)


@dataclass(frozen=True)
class _Loads:
    """Each worker's load, and the lowest max/mean any split of these pieces could reach."""

    by_worker: dict[str, float]
    floor: Fraction  # packing.ratio_floor: 1.0 unless one piece outweighs an even share
    heaviest: str  # the indivisible piece behind a floor above 1 (a module, or a test file)
    heaviest_load: float


def _loads(
    cfg: config.Config,
    tables: Mapping[str, Any],
    owners: Mapping[str, list[tuple[str, str]]],
    runners: Mapping[str, list[tuple[str, str]]],
    statements: Mapping[str, int],
    by: str,
    shared: Mapping[str, schedule_file.ScheduleEntry] | None = None,
) -> _Loads | None:
    """Statements (or seconds) per worker; None when there are no recorded durations to weigh by."""
    if by == BY_STATEMENTS:
        loads = {name: 0.0 for name in tables}
        for file, claims in owners.items():
            for worker in {worker for worker, _ in claims}:
                loads[worker] += statements.get(file, 0)
        pieces = {file: float(statements.get(file, 0)) for file in owners}
        fixed = 0.0
    else:
        measured = durations.read(cfg.layout.output_dir)
        seconds, average = durations.seconds_for(runners, measured.files)
        if average is None:
            return None
        # As the planner does: a test file never measured weighs the mean, and every worker pays the fixed cost.
        fixed = measured.fixed_per_worker
        loads = {name: fixed for name in tables}
        for test, claims in runners.items():
            holders = {worker for worker, _ in claims}
            for worker in holders:
                loads[worker] += _share_of(test, worker, seconds[test], len(holders), measured, shared or {})
        pieces = dict(seconds)
        for test in seconds:
            # A file whose tests were measured can be cut (covsplit.schedule): its tests are the pieces.
            if measured.tests.get(test):
                del pieces[test]
                pieces.update(measured.tests[test])
    heaviest = min(pieces, key=lambda piece: (-pieces[piece], piece), default="")
    piece_load = pieces.get(heaviest, 0.0)
    floor = ratio_floor(sum(pieces.values()), len(loads), piece_load, fixed)
    return _Loads(loads, floor, heaviest, piece_load)


def _share_of(
    test: str,
    worker: str,
    seconds: float,
    holders: int,
    measured: durations.Measured,
    shared: Mapping[str, schedule_file.ScheduleEntry],
) -> float:
    """The seconds a worker spends on one test file: all of it, or its part of a shared one (and collecting it)."""
    found = run_once.entry_for(test, shared)
    if found is None:
        return seconds
    entry = found[1]
    nodes = measured.tests.get(test)
    if not nodes:
        return seconds / holders
    if isinstance(entry, schedule_file.DealtPath):
        # Dealt round-robin: each worker collects the file and runs about an even share of its tests.
        collect = measured.collect.get(test, 0.0)
        return collect + (seconds - collect) / holders
    assigned = run_once.assignments(entry)
    mine = sum(s for node, s in nodes.items() if run_once.runs_here(node, entry, worker, assigned))
    return measured.collect.get(test, 0.0) + mine


def _balance(cfg: config.Config, loads: _Loads, by: str) -> tuple[Problem | None, str]:
    unit = "statements" if by == BY_STATEMENTS else "s"
    value = ratio(list(loads.by_worker.values()))
    tolerance = cfg.balance_tolerance
    text = f"balance max/mean {value:.2f} by {by} (tolerance {tolerance:g})"
    if loads.floor > 1.0:
        # One piece outweighs an even share: no plan gets below the floor, so the tolerance counts from it.
        amount = f"{loads.heaviest_load:,.0f} statements" if by == BY_STATEMENTS else f"{loads.heaviest_load:,.1f} s"
        why = f"no split gets below {float(loads.floor):.2f}, since {loads.heaviest} alone is {amount}"
        text = f"balance max/mean {value:.2f} by {by} (tolerance {tolerance:g} times the floor: {why})"
    if len(loads.by_worker) < 2 or within_tolerance(list(loads.by_worker.values()), tolerance, loads.floor):
        return None, text
    listed = ", ".join(
        f"{name} {load:,.0f} {unit}" if by == BY_STATEMENTS else f"{name} {load:,.1f} {unit}"
        for name, load in sorted(loads.by_worker.items(), key=lambda item: -item[1])
    )
    limit = f"thresholds.balance = {tolerance:g}"
    if loads.floor > 1.0:
        limit += f" times the floor ({why})"
    problem = Problem(
        "balance", f"balance by {by}: max/mean {value:.2f} exceeds {limit} ({listed}); run plan to rebalance"
    )
    return problem, text


def run(config_path: str | Path, by: str = BY_STATEMENTS) -> int:
    """``covsplit check``: 0 and one OK line, or 1 and the list of problems (2: unusable config)."""
    try:
        report = check(config_path, by)
    except config.ConfigError as exc:
        return config.complain(exc)
    except StatementCountError as exc:
        print(f"covsplit check: {exc}", file=sys.stderr)
        return exits.FAILED
    if report.problems:
        count = len(report.problems)
        print(f"covsplit check: {count} problem{'s' if count > 1 else ''} in {Path(config_path)}:")
        for problem in report.problems:
            # config.py's messages carry their fix on a second line; keep it under its item.
            message = problem.message.replace("\n", "\n    ")
            print(f"  - [{problem.kind}] {message}")
        return exits.FAILED
    print(f"covsplit check: OK: {report.summary}")
    return exits.OK
