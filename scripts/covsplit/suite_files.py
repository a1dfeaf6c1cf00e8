"""The suite's test files: which files a plan places in workers, and what a split leaves out or runs twice.

Found by pytest's name rule and by the suite's last collection (:mod:`covsplit.suite`):
the planner, ``check`` and the report read them.  Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from covsplit import discover, node_ids, run_once, schedule_file
from covsplit.collection import file_of
from covsplit.config import Config
from covsplit.suite import describe, passed_over, read


def test_files(cfg: Config, paths: Iterable[str] | None = None, leave_out: Iterable[str] | None = None) -> list[str]:
    """The test files under ``paths`` (default: the project's, less ``not_run``): by name, and as pytest collected.

    pytest's default rule (``test_*.py``) finds most; the suite's last
    collection adds what a conftest or an option collects from other files
    (``.txt`` items, doctest modules), so that a plan places those too, and
    drops one it passed over (``collect_ignore``, ``norecursedirs``): named
    in a worker's tests, pytest collects it all the same, unlike a serial run.
    """
    return test_files_under(cfg, list(cfg.test_paths if paths is None else paths), leave_out)[None]


def test_files_under(
    cfg: Config, paths: Sequence[str], leave_out: Iterable[str] | None = None
) -> dict[str | None, list[str]]:
    """:func:`test_files` of each of ``paths`` alone, and (key None) of all of them, from one pass over the record."""
    leave_out = list(cfg.not_run if leave_out is None else leave_out)
    record = read(cfg)
    skipped = passed_over(cfg, record)
    by_path: dict[str | None, dict[str, None]] = {path: {} for path in paths}
    for path in paths:
        for file in discover.test_files_in(cfg.root, [path], leave_out=leave_out):
            if file not in skipped:
                by_path[path].setdefault(file, None)
    found = dict.fromkeys(file for path in paths for file in by_path[path])
    # Each path by the folder or file it names ("" the root): a file's holders are found by its own prefixes.
    named: dict[str, list[str]] = {}
    for path in paths:
        target = path.split("::", 1)[0].rstrip("/")
        named.setdefault("" if target == "." else target, []).append(path)
    for file in record.test_files if record else ():
        parts = file.split("/")
        holders = [path for depth in range(len(parts) + 1) for path in named.get("/".join(parts[:depth]), ())]
        if holders and not any(node_ids.covers(entry, file) for entry in leave_out) and (cfg.root / file).is_file():
            found.setdefault(file, None)
            for path in holders:
                by_path[path].setdefault(file, None)
    by_path[None] = found
    return {path: list(files) for path, files in by_path.items()}


def placement_problems(
    files: Iterable[str],
    workers: Iterable[tuple[str, Sequence[str]]],
    shared: Mapping[str, schedule_file.ScheduleEntry],
) -> list[str]:
    """What a split leaves out or runs twice: each test file under exactly one worker's tests, unless shared.

    ``workers`` are (name, tests entries); a file several workers list is
    run once only when the schedule shares it (its pieces, or a dealt path).
    """
    workers = list(workers)
    unplaced, doubled = [], []
    for file in files:
        runners = [name for name, entries in workers if any(node_ids.covers(e, file) for e in entries if "::" not in e)]
        if not runners and not any(file_of(e) == file for _, entries in workers for e in entries):
            unplaced.append(file)
        elif len(runners) > 1 and run_once.entry_for(file, shared) is None:
            doubled.append(file)
    problems = []
    if unplaced:
        problems.append(f"{len(unplaced)} test file(s) of the suite in no worker's tests: {describe(unplaced)}")
    if doubled:
        problems.append(f"{len(doubled)} test file(s) in several workers' tests, not shared: {describe(doubled)}")
    return problems
