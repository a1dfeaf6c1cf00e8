"""Building the report's model from its inputs: every figure computed, no I/O unless an optional input is left out.

Each worker's part is :mod:`covsplit.report.worker_view`'s; the next
steps are picked last, from the finished model, by
:mod:`covsplit.report.next_steps`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from covsplit import commands, diagnose, durations, outputs, shuffle, status, suite_files
from covsplit import gates as covsplit_gates
from covsplit.config import Config
from covsplit.numbers import Counts
from covsplit.packing import ratio_floor
from covsplit.report.figures import format_time
from covsplit.report.model import ReportModel
from covsplit.report.next_steps import with_next_steps
from covsplit.report.readers import as_dict, int_field, parse_time
from covsplit.report.steps import Diagnosed
from covsplit.report.views import CombinedModel, FileRow, HeavyModule, MissingWorker, SlowFile, WorkerModel
from covsplit.report.worker_view import whole_suite_coverage, worker_model


def _statement_counts(
    cfg: Config,
    all_files: Iterable[str],
    statement_counts: Mapping[str, int],
    aggregate_files: Mapping[str, Any],
    worker_coverage: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, int]:
    """Static counts first; for files they lack, the counts coverage.py put in the artifacts."""
    counts = {k: v for k, v in statement_counts.items() if isinstance(v, int)}
    for path in all_files:
        if path in counts:
            continue
        value = int_field(as_dict(aggregate_files.get(path)), "statements")
        if value is None:
            for data in worker_coverage.values():
                entry = as_dict(as_dict(as_dict(data).get("files")).get(path))
                value = int_field(as_dict(entry.get("summary")), "num_statements")
                if value is not None:
                    break
        if value is not None:
            counts[path] = value
    return counts


def _combined_model(
    cfg: Config,
    aggregate: Mapping[str, Any],
    statuses: Mapping[str, Mapping[str, Any]],
    existing: frozenset[str] | None,
) -> CombinedModel:
    totals = Counts.from_dict(aggregate.get("totals")) or Counts()
    # Gated against today's workers.toml, with exact fractions from the counts, not the aggregate's floats.
    gates = covsplit_gates.build(cfg, totals)

    missing = []
    for item in aggregate.get("missing") or []:
        if isinstance(item, Mapping):
            missing.append(
                MissingWorker(str(item.get("worker", "?")), str(item.get("state", "?")), str(item.get("reason", "")))
            )

    made = parse_time(aggregate.get("generated_at"))
    outdated_by = []
    if made is not None:
        for name, record in statuses.items():
            finished = parse_time(record.get("finished_at"))
            if finished is not None and finished > made:
                outdated_by.append(name)

    href = os.path.relpath(cfg.layout.combined_html / "index.html", cfg.layout.output_dir)
    tests = as_dict(aggregate.get("tests"))
    problems = tests.get("problems")
    return CombinedModel(
        generated_at=format_time(aggregate.get("generated_at")),
        # Absent or anything but true is partial: never present unproven totals as complete.
        complete=aggregate.get("complete") is True and not missing,
        missing=tuple(missing),
        files=totals.files,
        coverage=totals,
        gates=tuple(gates),
        outdated_by=tuple(outdated_by),
        html_href=href if existing is None or href in existing else None,
        tests_problems=tuple(str(p) for p in problems) if isinstance(problems, list) else (),
        tests_unverified=str(tests.get("unverified") or ""),
    )


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report is computed from, beside the config: what :func:`covsplit.report.inputs.collect_inputs`
    reads from disk, or what a test gives in memory.

    ``statuses`` maps worker names to what :func:`covsplit.status.read`
    returned (a missing name counts as not run); ``aggregate`` is
    ``aggregate.json`` or None; ``statement_counts`` are the static counts
    (may be empty: the artifacts' counts fill in).  ``test_files`` maps the
    project's test root and each worker's test paths to the test files under
    them (left out: listed from disk); ``all_files`` the source files (left
    out: from disk); ``existing`` lists the artifact links (relative to
    ``coverage_output/``) that exist, so the report links nothing dead (left
    out: every link is shown).  ``diagnosis`` is ``diagnosis.json``: shown
    for the workers whose latest run it diagnosed, and only for them.
    """

    statuses: Mapping[str, Mapping[str, Any]]
    aggregate: Mapping[str, Any] | None
    statement_counts: Mapping[str, int]
    worker_coverage: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    all_files: list[str] | None = None
    test_files: Mapping[str, list[str]] | None = None
    existing: Iterable[str] | None = None
    planned_commands: Mapping[str, str] = field(default_factory=dict)
    counts_source: str = ""
    aggregate_problem: str = ""
    warnings: Iterable[str] = ()
    generated_at: str | None = None
    slowest_tests: Iterable[tuple[str, str, float]] = ()
    measured: durations.Measured | None = None
    diagnosis: diagnose.Diagnosis | None = None


def build_model(cfg: Config, inputs: ReportInputs) -> ReportModel:
    """Compute every figure of the report from its inputs; no I/O unless an optional input is left out."""
    files_list = list(inputs.all_files) if inputs.all_files is not None else cfg.all_files()
    aggregate = inputs.aggregate if isinstance(inputs.aggregate, Mapping) else None
    aggregate_files = as_dict(aggregate.get("files")) if aggregate is not None else {}
    counts = _statement_counts(cfg, files_list, inputs.statement_counts, aggregate_files, inputs.worker_coverage)
    total = sum(counts.get(path, 0) for path in files_list)
    target = Fraction(total, len(cfg.workers)) if total and cfg.workers else None
    existing = frozenset(inputs.existing) if inputs.existing is not None else None
    records = _records(cfg, inputs.statuses)
    workers, run_by_some = _worker_models(cfg, inputs, records, counts, aggregate_files, target, existing)

    combined = None
    problem = inputs.aggregate_problem
    if aggregate is not None:
        combined = _combined_model(cfg, aggregate, records, existing)
    elif not problem:
        problem = "aggregate has not run"
    found_races = aggregate.get("races") if aggregate is not None else None
    races = tuple(r for r in map(outputs.from_dict, found_races if isinstance(found_races, list) else []) if r)

    in_scope = list(dict.fromkeys(f for path in cfg.test_paths for f in _tests_under(cfg, inputs.test_files, path)))
    runnable = suite_files.test_files(cfg)
    model = ReportModel(
        generated_at=inputs.generated_at or status.now(),
        config_name=cfg.path.name,
        line_threshold=cfg.line_threshold,
        branch_threshold=cfg.branch_threshold,
        balance_tolerance=cfg.balance_tolerance,
        total_statements=total,
        counts_source=inputs.counts_source,
        uncounted_files=tuple(path for path in files_list if path not in counts),
        target=target,
        modules=len(files_list),
        test_root=", ".join(p if p.endswith(".py") else p.rstrip("/") + "/" for p in cfg.test_paths),
        test_files=len(in_scope),
        unrun_test_files=tuple(f for f in runnable if f not in run_by_some),
        not_run_test_files=len(in_scope) - len(runnable),
        workers=tuple(workers),
        unowned=tuple(FileRow(path, None, Counts(statements=counts.get(path))) for path in cfg.unowned),
        **_statement_balance(workers, files_list, counts, total),
        **_seconds_balance(workers, inputs.measured, run_by_some),
        combined=combined,
        aggregate_problem=problem,
        next_steps=(),
        warnings=tuple(inputs.warnings),
        combined_html_href=os.path.relpath(cfg.layout.combined_html / "index.html", cfg.layout.output_dir),
        slowest_tests=tuple(inputs.slowest_tests),
        invoke=commands.invocation(cfg),
        serial_command=f"cd {shlex.quote(str(cfg.root))} && python -m pytest {shlex.join(cfg.test_paths)}",
        shuffle=shuffle.describe(
            ({**record, "worker": name} for name, record in inputs.statuses.items() if isinstance(record, Mapping)),
            commands.invocation(cfg).make,
        ),
        races=races,
        **_diagnosed(inputs.diagnosis, records),
    )
    return with_next_steps(model)


def _tests_under(cfg: Config, test_files: Mapping[str, list[str]] | None, path: str) -> list[str]:
    """The test files under a test path: as given, else listed from disk (none when it cannot be listed)."""
    if test_files is not None and path in test_files:
        return test_files[path]
    try:
        return suite_files.test_files(cfg, [path], leave_out=())
    except OSError:
        return []


def _records(cfg: Config, statuses: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Each worker's status record; a worker without one did not run."""
    records: dict[str, Mapping[str, Any]] = {}
    for worker in cfg.workers:
        record = statuses.get(worker.name)
        if not isinstance(record, Mapping):
            record = {"state": status.NOT_RUN, "message": "no status recorded: the worker did not run"}
        records[worker.name] = record
    return records


def _worker_models(
    cfg: Config,
    inputs: ReportInputs,
    records: Mapping[str, Mapping[str, Any]],
    counts: Mapping[str, int],
    aggregate_files: Mapping[str, Any],
    target: Fraction | None,
    existing: frozenset[str] | None,
) -> tuple[list[WorkerModel], set[str]]:
    """Each worker's view, and the test files some worker runs."""
    whole_suite = whole_suite_coverage(inputs.aggregate, records)
    workers = []
    run_by_some: set[str] = set()
    for worker in cfg.workers:
        under: list[str] = []
        for path in worker.tests:
            under.extend(f for f in _tests_under(cfg, inputs.test_files, path) if f not in under)
        run_by_some.update(under)
        workers.append(
            worker_model(
                cfg,
                worker,
                records[worker.name],
                counts,
                aggregate_files,
                inputs.worker_coverage.get(worker.name),
                target,
                under,
                existing,
                inputs.planned_commands.get(worker.name),
                whole_suite.get(worker.name),
            )
        )
    return workers, run_by_some


def _statement_balance(
    workers: Sequence[WorkerModel], files: Sequence[str], counts: Mapping[str, int], total: int
) -> dict[str, Any]:
    """The model's statement balance: max/mean, the module that keeps it above 1, the heaviest and lightest."""
    loads = [w.statements for w in workers]
    mean = Fraction(sum(loads), len(loads)) if loads else Fraction(0)
    biggest = min(files, key=lambda path: (-counts.get(path, 0), path), default="")
    floor_ratio = ratio_floor(total, len(workers), counts.get(biggest, 0))
    return {
        "max_mean": Fraction(max(loads)) / mean if mean else None,
        "floor": HeavyModule(biggest, counts.get(biggest, 0), floor_ratio) if floor_ratio > 1 else None,
        "heaviest": max(workers, key=lambda w: w.statements).name if workers and mean else None,
        "lightest": min(workers, key=lambda w: w.statements).name if workers and mean else None,
    }


def _seconds_balance(
    workers: Sequence[WorkerModel], measured: durations.Measured | None, run_by_some: Iterable[str]
) -> dict[str, Any]:
    """The model's balance of seconds: mean, max/mean, the piece that keeps it above 1, the workers not timed."""
    timed = [w.seconds for w in workers if w.seconds is not None]
    seconds_mean = sum(timed) / len(timed) if timed else None
    return {
        "seconds_mean": seconds_mean,
        "seconds_max_mean": max(timed) / seconds_mean if timed and seconds_mean else None,
        "seconds_floor": _seconds_floor(measured, run_by_some, len(workers)) if measured is not None else None,
        "seconds_missing": tuple(w.name for w in workers if w.seconds is None),
    }


def _diagnosed(diagnosis: diagnose.Diagnosis | None, records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The model's diagnosis fields: the findings of each worker's diagnosed latest run, and why none ran."""
    started = {name: str(record.get("started_at", "")) for name, record in records.items()}
    found = diagnose.current_findings(diagnosis, started)
    views = {
        name: tuple(
            Diagnosed(f.test, f.verdict, diagnose.describe(f), f.group, f.needs, f.runs, f.seconds) for f in findings
        )
        for name, findings in found.items()
    }
    current = diagnosis is not None and any(diagnosis.runs.get(n) == s for n, s in started.items())
    note = diagnosis.note if diagnosis is not None and current else ""
    return {"diagnosed": views, "diagnosis_note": note}


def _seconds_floor(measured: durations.Measured, run: Iterable[str], workers: int) -> SlowFile | None:
    """The piece that keeps every schedule's seconds max/mean above 1, as the planner measures seconds.

    A test file whose tests were measured can be shared between workers, so
    its pieces are its tests; any other test file runs whole in one worker.
    """
    seconds: dict[str, float] = {}
    for path in run:
        if measured.tests.get(path):
            seconds.update(measured.tests[path])
        elif path in measured.files:
            seconds[path] = measured.files[path]
    if not seconds:
        return None
    slowest = min(seconds, key=lambda path: (-seconds[path], path))
    floor = ratio_floor(sum(seconds.values()), workers, seconds[slowest], measured.fixed_per_worker)
    return SlowFile(slowest, seconds[slowest], floor) if floor > 1 else None
