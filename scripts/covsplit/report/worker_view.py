"""One worker's part of the report, from its status record, its coverage JSON and the aggregate's rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

from covsplit import commands, status
from covsplit.artifacts import BY_NAME
from covsplit.config import Config, Worker
from covsplit.numbers import Counts, Gate, exact
from covsplit.report.figures import format_time
from covsplit.report.readers import as_dict, float_field, int_field, parse_time
from covsplit.report.views import EARLIER, FINISHED, FileRow, WorkerModel
from covsplit.schedule_file import DealtPath
from covsplit.summary import OWN_TESTS, WHOLE_SUITE


def _folders(worker: Worker, source_dir: str) -> tuple[str, ...]:
    """Folder-style names of the modules: ``training/`` for a package, the parent folder of a file."""
    found: list[str] = []
    prefix = "" if source_dir in ("", ".") else source_dir.rstrip("/") + "/"
    for module in worker.modules:
        path = prefix + module.replace(".", "/")
        if any(f.startswith(path + "/") for f in worker.files):
            folder = path + "/"
        else:
            parent = path.rpartition("/")[0]
            folder = parent + "/" if parent else "./"
        if folder not in found:
            found.append(folder)
    return tuple(found)


def _balance_label(share: Fraction | None, tolerance: float) -> str:
    if share is None:
        return "n/a"
    if share > exact(tolerance):
        return "High"
    if share < 1 / exact(tolerance):
        return "Low"
    return "Balanced"


def _unimported(statements: int | None) -> Counts:
    """A file its tests never imported: none of it ran (unknown only when its size is)."""
    return Counts(statements=statements, covered_lines=None if statements is None else 0)


def _own_rows(worker: Worker, data: Mapping[str, Any] | None, counts: Mapping[str, int]) -> tuple[FileRow, ...]:
    """The worker's owned files as its own run measured them.

    A file its JSON lacks was never imported by its tests: 0 covered lines,
    with the static statement count.
    """
    if not isinstance(data, Mapping):
        return ()
    files = as_dict(data.get("files"))
    rows = []
    for path in worker.files:
        entry = files.get(path)
        if isinstance(entry, Mapping):
            rows.append(FileRow(path, worker.name, Counts.of_summary(as_dict(entry.get("summary"))), "worker"))
        else:
            rows.append(FileRow(path, worker.name, _unimported(counts.get(path)), "worker"))
    return tuple(rows)


def worker_model(
    cfg: Config,
    worker: Worker,
    record: Mapping[str, Any],
    counts: Mapping[str, int],
    aggregate_files: Mapping[str, Any],
    coverage_json: Mapping[str, Any] | None,
    target: Fraction | None,
    test_file_list: list[str],
    existing: frozenset[str] | None,
    planned_command: str | None,
    whole_suite: Mapping[str, Any] | None = None,
) -> WorkerModel:
    """One worker's part of the report.

    ``whole_suite`` is the aggregate's figure for the worker's modules (the
    combined data), when the aggregate is newer than the worker's run; the
    worker's own record otherwise holds what its own tests covered, if it
    ran alone.
    """
    recorded_state = record.get("state")
    state = recorded_state if isinstance(recorded_state, str) else status.CRASHED
    own_rows = _own_rows(worker, coverage_json, counts) if state in FINISHED or coverage_json else ()
    statements = sum(counts.get(path, 0) for path in worker.files)
    share = Fraction(statements) / target if target else None
    coverage, scope = _coverage(record, whole_suite, own_rows)
    well, uncovered = _well_and_uncovered(own_rows, cfg.line_threshold)
    artifacts, html_href, analysis_href = _links(cfg, worker, state, existing)
    command, ran = _command(cfg, record, state, planned_command)
    return WorkerModel(
        name=worker.name,
        title=worker.title,
        modules=worker.modules,
        folders=_folders(worker, cfg.source_dir),
        tests=worker.tests,
        test_files=len(test_file_list),
        dealt_among=_dealt_among(cfg, worker),
        files=_file_rows(worker, counts, aggregate_files, own_rows),
        statements=statements,
        uncounted=sum(1 for path in worker.files if path not in counts),
        share=share,
        balance=_balance_label(share, cfg.balance_tolerance),
        seconds=float_field(record, "duration_s"),
        state=state,
        message=str(record.get("message") or ""),
        date=format_time(record.get("finished_at") or record.get("started_at")),
        ran_at=parse_time(record.get("finished_at") or record.get("started_at")),
        exit_status=int_field(record, "exit_status"),
        outcomes=_outcomes(record),
        collection_outcomes=_collection_outcomes(record.get("collection_outcomes")),
        failures_from=_failures_from(record),
        coverage=coverage,
        coverage_scope=scope if coverage is not None else "",
        own_files=own_rows,
        well_covered=well,
        uncovered=uncovered,
        failure_categories=_failure_categories(record),
        failure_files=_failure_files(record),
        artifacts=artifacts,
        html_href=html_href,
        analysis_href=analysis_href,
        command=command,
        command_ran=ran,
    )


def _file_rows(
    worker: Worker, counts: Mapping[str, int], aggregate_files: Mapping[str, Any], own_rows: tuple[FileRow, ...]
) -> tuple[FileRow, ...]:
    """Each owned file with the best figure there is: the combined data's, else the worker's own run's, else none."""
    own_by_path = {row.path: row for row in own_rows}
    rows = []
    for path in worker.files:
        entry = aggregate_files.get(path)
        if isinstance(entry, Mapping):
            row = FileRow(path, worker.name, Counts.from_dict(entry) or Counts(), "combined")
        elif path in own_by_path:
            row = own_by_path[path]
        else:
            row = FileRow(path, worker.name, Counts(statements=counts.get(path)))
        if row.counts.statements is None and path in counts:
            row = replace(row, counts=replace(row.counts, statements=counts[path]))
        rows.append(row)
    # Largest first: the modules that decide a worker's load and coverage lead.
    rows.sort(key=lambda r: (-(r.counts.statements or 0), r.path))
    return tuple(rows)


def _outcomes(record: Mapping[str, Any]) -> dict[str, int] | None:
    outcomes_raw = record.get("outcomes")
    if not isinstance(outcomes_raw, Mapping):
        return None
    return {key: int_field(outcomes_raw, key) or 0 for key in ("tests", "passed", "failed", "errors", "skipped")}


def _coverage(
    record: Mapping[str, Any], whole_suite: Mapping[str, Any] | None, own_rows: tuple[FileRow, ...]
) -> tuple[Counts | None, str]:
    """The worker's coverage figure and which data it comes from: the whole suite's, its own tests', or older."""
    coverage, scope = Counts.from_dict(whole_suite), WHOLE_SUITE
    if coverage is None:
        coverage, scope = Counts.from_dict(record.get("coverage")), str(record.get("coverage_scope") or OWN_TESTS)
    if coverage is None and own_rows:
        # Only the reports on disk are left, written before the worker's latest run.
        scope = EARLIER
        coverage = Counts.total(r.counts for r in own_rows)
    return coverage, scope


def _well_and_uncovered(
    own_rows: tuple[FileRow, ...], line_threshold: float
) -> tuple[tuple[FileRow, ...], tuple[FileRow, ...]]:
    """Its files at or above the line gate, best first, and those with no covered line, largest first."""
    measured = [r for r in own_rows if r.counts.statements]
    well = sorted(
        (r for r in measured if Gate("line", line_threshold, r.counts.line_percent).passed),
        key=lambda r: (-(r.counts.line_percent or 0), r.path),
    )
    uncovered = sorted(
        (r for r in measured if r.counts.covered_lines == 0), key=lambda r: (-(r.counts.statements or 0), r.path)
    )
    return tuple(well), tuple(uncovered)


def _failure_categories(record: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """Its failure categories with a count, most first."""
    raw = as_dict(record.get("failure_categories"))
    counts = {str(name): int_field(raw, name) or 0 for name in raw}
    return tuple(sorted(((n, c) for n, c in counts.items() if c > 0), key=lambda item: (-item[1], item[0])))


def _failures_from(record: Mapping[str, Any]) -> str:
    when = as_dict(record.get("rerun")).get("failures_from")
    return format_time(when) if when and record.get("state") == status.FAILED else ""


def _failure_files(record: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {
        str(name): tuple(str(f) for f in files)
        for name, files in as_dict(record.get("failure_files")).items()
        if isinstance(files, list)
    }


def _links(
    cfg: Config, worker: Worker, state: str, existing: frozenset[str] | None
) -> tuple[tuple[tuple[str, str], ...], str | None, str | None]:
    """Its artifacts' links that exist (or, unknown, that a run would have written), and its HTML and analysis."""
    links = cfg.layout.worker(worker.name).artifacts()
    artifacts = tuple(
        (BY_NAME[key].label, href)
        for key, href in links.items()
        if (existing is None and state not in (status.NOT_RUN,)) or (existing is not None and href in existing)
    )
    hrefs = {href for _, href in artifacts}
    html_href = links["html"] if links["html"] in hrefs else None
    analysis_href = links["failure_analysis"] if links["failure_analysis"] in hrefs else None
    return artifacts, html_href, analysis_href


def _command(cfg: Config, record: Mapping[str, Any], state: str, planned_command: str | None) -> tuple[str, bool]:
    """The command it ran, as a person pastes it, or the one it would run; and whether it ran."""
    command_line = record.get("command_line")
    if state != status.NOT_RUN and isinstance(command_line, str) and command_line:
        return commands.readable(cfg, command_line), True
    return (commands.readable(cfg, planned_command) if planned_command else ""), False


def whole_suite_coverage(
    aggregate: Mapping[str, Any] | None, records: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """The aggregate's coverage of each worker's modules, for workers that have not run again since."""
    if not isinstance(aggregate, Mapping):
        return {}
    made = parse_time(aggregate.get("generated_at"))
    found = {}
    for item in aggregate.get("workers") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("coverage"), Mapping):
            continue
        name = str(item.get("name"))
        finished = parse_time(as_dict(records.get(name)).get("finished_at"))
        if made is None or finished is None or finished <= made:
            found[name] = item["coverage"]
    return found


def _collection_outcomes(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(node): tuple(str(o) for o in outcomes)
        for node, outcomes in raw.items()
        if isinstance(outcomes, list) and all(isinstance(o, str) for o in outcomes)
    }


def _dealt_among(cfg: Config, worker: Worker) -> int:
    """How many workers the tests of its paths are dealt to, before a run measured them (0: not dealt)."""
    dealt = [entry for entry in cfg.shared.values() if isinstance(entry, DealtPath)]
    return max((len(entry.dealt_to) for entry in dealt if worker.name in entry.workers), default=0)
