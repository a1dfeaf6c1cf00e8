"""Reading a report's inputs, each once: statuses, coverage JSON, aggregate.json, test files, durations."""

from __future__ import annotations

import os
from typing import Any

from covsplit import commands, diagnose, durations, fsio, junit, status, suite_files, titles
from covsplit.aggregate import read_result
from covsplit.config import Config
from covsplit.report.build import ReportInputs, build_model
from covsplit.report.model import ReportModel
from covsplit.report.readers import as_dict

# Tests listed as the slowest of the run.
SLOWEST_LISTED = 10

# ---------------------------------------------------------------------------
# I/O at the edges


def _slowest_tests(cfg: Config, limit: int = SLOWEST_LISTED) -> list[tuple[str, str, float]]:
    """The slowest test outcomes of every worker's JUnit results."""
    found = []
    for w in cfg.workers:
        try:
            results = junit.read_junit(cfg.layout.worker(w.name).junit, cfg.root)
        except junit.JUnitError:
            continue
        found += [(r.nodeid, w.name, r.duration) for r in results if r.duration > 0]
    return sorted(found, key=lambda item: (-item[2], item[0]))[:limit]


def _static_counts(cfg: Config, files: list[str], warnings: list[str]) -> tuple[dict[str, int], str]:
    try:
        from covsplit.statements import count_statements
    except ImportError:
        # Not available, or coverage.py is not installed here: the artifacts' counts fill in.
        return {}, "the coverage artifacts"
    remaining = list(files)
    while True:
        try:
            return dict(count_statements(cfg.root, remaining)), "coverage.py's static analysis"
        except Exception as exc:
            # One unparsable file must not cost the counts of all the others.
            bad = getattr(exc, "file", None)
            warnings.append(f"no static statement count: {exc}")
            if bad not in remaining:
                return {}, "the coverage artifacts"
            remaining.remove(bad)


def _planned_commands(cfg: Config) -> dict[str, str]:
    """The pytest command each worker's session would run."""
    return {w.name: commands.planned_command(cfg, w) for w in cfg.workers}


def collect_inputs(cfg: Config) -> ReportInputs:
    """Read every input; a missing or unreadable one becomes a reported gap, never an exception."""
    warnings: list[str] = list(cfg.warnings)
    statuses: dict[str, status.WorkerStatus] = {}
    coverage: dict[str, dict[str, Any] | None] = {}
    existing: set[str] = set()
    for w in cfg.workers:
        paths = cfg.layout.worker(w.name)
        statuses[w.name] = status.read(paths.status)
        data = fsio.read_json(paths.coverage_json)
        coverage[w.name] = data if isinstance(data, dict) else None
        for href in paths.artifacts().values():
            if (cfg.layout.output_dir / href).is_file():
                existing.add(href)
    combined_html = os.path.relpath(cfg.layout.combined_html / "index.html", cfg.layout.output_dir)
    if (cfg.layout.output_dir / combined_html).is_file():
        existing.add(combined_html)

    aggregate, problem = read_result(cfg.layout.aggregate_json)

    unfit = titles.problems(
        {w.name: w.title for w in cfg.workers}, {w.name: w.files for w in cfg.workers}, cfg.source_dir
    )
    if unfit:
        run = commands.invocation(cfg)
        warnings.append(
            f"{len(unfit)} title(s) no longer fit their workers: "
            + "; ".join(f"{name}: {why}" for name, why in unfit.items())
            + f" (`{run.make('check')}` lists them; `{run.make('plan')}` derives titles)"
        )

    # The bench compares the combined data with one serial run: where a project's coverage depends on
    # which tests share a process, the split cannot equal it, and the report says where.
    bench = fsio.read_json(cfg.layout.bench_json)
    differences = bench.get("differences") if isinstance(bench, dict) else None
    if isinstance(differences, list) and differences:
        warnings.append(
            f"the combined coverage differs from one serial run in {len(differences)} file(s) (`make bench`): "
            + ", ".join(str(name) for name in differences[:10])
            + ("" if len(differences) <= 10 else ", ...")
            + "; their coverage depends on which tests share a process"
        )

    try:
        all_files = cfg.all_files()
    except OSError as exc:
        warnings.append(f"could not list the source files: {exc}")
        all_files = []
    # The aggregate's rows hold coverage.py's own counts: analyse again only what they lack.
    rows = as_dict(aggregate.get("files")) if isinstance(aggregate, dict) else {}
    counted = {path: row["statements"] for path, row in rows.items() if isinstance(as_dict(row).get("statements"), int)}
    lacking = [path for path in all_files if path not in counted]
    counts, source = _static_counts(cfg, lacking, warnings) if lacking else ({}, "the aggregate's coverage.py analysis")
    counts = {**counted, **counts}

    entries = list(dict.fromkeys([*cfg.test_paths, *(t for w in cfg.workers for t in w.tests)]))
    try:
        under = suite_files.test_files_under(cfg, entries, leave_out=())
        test_files = {path: under[path] for path in entries}
    except OSError:
        test_files = {path: [] for path in entries}
    return ReportInputs(
        statuses=statuses,
        aggregate=aggregate,
        aggregate_problem=problem,
        statement_counts=counts,
        counts_source=source,
        worker_coverage=coverage,
        all_files=all_files,
        test_files=test_files,
        existing=existing,
        planned_commands=_planned_commands(cfg),
        warnings=warnings,
        slowest_tests=_slowest_tests(cfg),
        measured=durations.read(cfg.layout.output_dir),
        diagnosis=diagnose.read(diagnose.path_for(cfg)),
    )


def model_for(cfg: Config) -> ReportModel:
    """Read the inputs of ``cfg`` and compute the report model."""
    return build_model(cfg, collect_inputs(cfg))
