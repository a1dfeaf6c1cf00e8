"""Combine every worker's coverage into one exact data set, and gate it.

The combined data is the union of what the workers measured, and each
worker measures all source packages, so it equals one serial run of the
same tests.  Each worker's coverage reports are written here too, from the
combined data restricted to the modules it owns: its modules under the
whole suite, as the spec's per-worker command measured them.

Line and branch coverage are gated separately: coverage.py's
``--fail-under`` knows only their blend, which lets a high line figure
hide a poor branch figure.

A worker that did not run, crashed or left no data makes the aggregate
*partial*: it says so, names the worker, and fails.  Partial totals are
never presented as the project's coverage.
"""

from __future__ import annotations

import contextlib
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, NotRequired, TypedDict, cast

from covsplit import exits, fsio, gates, inputs, lock, outputs, reuse, status, suite
from covsplit.config import Config
from covsplit.digests import DigestCache
from covsplit.markdown_escape import md_cell, md_code
from covsplit.numbers import Counts, Gate, exact, format_percent

# aggregate.json's shape; bumped when it changes, so a reader never misreads another version's.
SCHEMA = 1


class AggregateResult(TypedDict):
    """What ``aggregate.json`` holds: the combined figures, per worker, package and file, and the gates."""

    schema: int
    generated_at: str
    inputs_digest: NotRequired[str]
    complete: bool
    missing: list[dict[str, str]]
    tests: NotRequired[dict[str, Any]]
    workers: list[dict[str, Any]]
    totals: dict[str, Any]
    gates: list[dict[str, Any]]
    packages: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]]
    races: NotRequired[list[dict[str, list[str]]]]


@dataclass(frozen=True)
class FileCounts:
    """One file of the combined data: its counts, its owner and the lines no test ran."""

    owner: str | None
    counts: Counts
    missing_lines: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, **self.counts.as_dict(), "missing_lines": self.missing_lines}


def write_result(path: Path, result: AggregateResult) -> None:
    fsio.write_json(path, result)


def read_result(path: Path) -> tuple[AggregateResult | None, str]:
    """``aggregate.json``, or None and why not (never an exception: the report shows the gap)."""
    data = fsio.read_json(path)
    if data is None:
        return None, "aggregate has not run" if not path.exists() else "aggregate.json is unreadable"
    if not isinstance(data, dict):
        return None, "aggregate.json is not a JSON object"
    if data.get("schema") != SCHEMA:
        return None, (
            f"aggregate.json has schema {data.get('schema')!r}, this covsplit reads schema {SCHEMA}: "
            "it was written by another version; run the aggregate again"
        )
    return cast(AggregateResult, data), ""


def figures(summaries: Iterable[Mapping[str, Any]]) -> Counts:
    """The counts of coverage.py JSON ``summary`` blocks together."""
    return Counts.total(Counts.of_summary(summary) for summary in summaries)


def group_by_package(files: Mapping[str, Mapping[str, Any]], source_dir: str) -> dict[str, Counts]:
    """Totals per top-level package (``training``), from per-file JSON summaries."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    prefix = PurePosixPath(source_dir)
    for name, entry in files.items():
        path = PurePosixPath(name)
        if str(prefix) != "." and path.is_relative_to(prefix):
            path = path.relative_to(prefix)
        groups[path.parts[0] if len(path.parts) > 1 else path.stem].append(entry["summary"])
    return {package: figures(summaries) for package, summaries in sorted(groups.items())}


def file_rows(cfg: Config, combined: Mapping[str, Any]) -> dict[str, FileCounts]:
    """Each measured file's counts and owner, from the combined coverage JSON."""
    owners = {rel: worker.name for worker in cfg.workers for rel in worker.files}
    return {
        name: FileCounts(owners.get(name), Counts.of_summary(entry["summary"]), entry.get("missing_lines", []))
        for name, entry in sorted(combined["files"].items())
    }


def furthest_below(rows: Mapping[str, FileCounts], line_threshold: float, limit: int = 10) -> list[str]:
    """Files under the line threshold, most missed statements first."""
    below = [
        name
        for name, row in rows.items()
        if row.counts.line_percent is not None and row.counts.line_percent < exact(line_threshold)
    ]
    return sorted(below, key=lambda n: (-(rows[n].counts.missed_lines or 0), n))[:limit]


def render_summary(
    cfg: Config,
    totals: Counts,
    gate_list: list[Gate],
    missing: list[dict[str, str]],
    per_worker: Mapping[str, Counts],
    per_package: Mapping[str, Counts],
    rows: Mapping[str, FileCounts],
    generated_at: str,
    races: Sequence[outputs.Race] = (),
) -> str:
    """``aggregate_summary.md``: what is missing, the totals against the gates, per worker, package and file."""
    lines = ["# Combined coverage", "", f"Generated {generated_at} from `{cfg.path.name}`.", ""]
    lines += _missing_lines(missing) + _race_lines(races)
    lines += [
        "## Totals",
        "",
        "| | Covered | Total | % |",
        "| --- | ---: | ---: | ---: |",
        f"| Lines | {totals.covered_lines} | {totals.statements} | {format_percent(totals.line_percent)} |",
        f"| Branches | {totals.covered_branches} | {totals.branches} | {format_percent(totals.branch_percent)} |",
        f"| Files | | {totals.files} | |",
        "",
        "## Gates",
        "",
        *[f"- {'❌' if gate.failed else '✅'} {gate.describe()}" for gate in gate_list],
        "",
    ]
    lines += _group_lines(cfg, per_worker, per_package) + _below_lines(cfg, rows)
    lines += [
        "",
        "Reports: [combined_coverage.json](combined_coverage.json), [coverage.xml](coverage.xml), "
        "[HTML](../htmlcov/combined/index.html).",
        "",
    ]
    return "\n".join(lines)


def _missing_lines(missing: Sequence[Mapping[str, str]]) -> list[str]:
    if not missing:
        return []
    return [
        "**PARTIAL**: these workers left no complete data, so the totals below cover only the others "
        "and are not the project's coverage:",
        "",
        *[f"- `{m['worker']}` ({m['state']}): {m['reason']}" for m in missing],
        "",
    ]


def _race_lines(races: Sequence[outputs.Race]) -> list[str]:
    if not races:
        return []
    return [
        "**Tests of different workers write the same files** (a serial run never runs them at once):",
        "",
        *[
            f"- {' and '.join(md_code(test) for test in race.tests)} ({', '.join(race.workers)}) write "
            f"{', '.join(md_code(path) for path in race.paths)}: keep them together, {md_code(race.keep_together)}"
            for race in races
        ],
        "",
    ]


def _group_lines(cfg: Config, per_worker: Mapping[str, Counts], per_package: Mapping[str, Counts]) -> list[str]:
    """The per-worker and per-package tables."""
    lines = [
        "## Per worker (combined data over the modules each worker owns)",
        "",
        "| Worker | Title | Files | Statements | Line % | Branch % |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    titles = {worker.name: worker.title for worker in cfg.workers}
    for name, fig in per_worker.items():
        lines.append(
            f"| {md_cell(name)} | {md_cell(titles.get(name, ''))} | {fig.files} | {fig.statements} "
            f"| {format_percent(fig.line_percent)} | {format_percent(fig.branch_percent)} |"
        )
    lines += ["", "## Per package", "", "| Package | Files | Statements | Line % | Branch % |"]
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for package, fig in per_package.items():
        lines.append(
            f"| {md_cell(package)} | {fig.files} | {fig.statements} "
            f"| {format_percent(fig.line_percent)} | {format_percent(fig.branch_percent)} |"
        )
    return lines


def _below_lines(cfg: Config, rows: Mapping[str, FileCounts]) -> list[str]:
    """The files furthest below the line threshold."""
    below = furthest_below(rows, cfg.line_threshold)
    lines = ["", f"## Files furthest below the {cfg.line_threshold:g}% line threshold", ""]
    if not below:
        return [*lines, "None: every file meets the line threshold."]
    lines += [
        "| File | Owner | Missed | Statements | Line % | Branch % |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name in below:
        row = rows[name]
        lines.append(
            f"| {md_cell(md_code(name))} | {md_cell(row.owner or '(none)')} | {row.counts.missed_lines} "
            f"| {row.counts.statements} | {format_percent(row.counts.line_percent)} "
            f"| {format_percent(row.counts.branch_percent)} |"
        )
    return lines


# How long the aggregate waits for a worker that is still running before it gives up.
WAIT_FOR_WORKERS_S = 3600.0


def run(cfg: Config) -> int:
    """Combine, report and gate; 0 only when complete and both gates pass.

    Holds the combined outputs' lock, and each worker's lock while it reads
    and rewrites that worker's reports: a worker still running is waited
    for, not read half-way, and no run of it can start underneath.
    """
    with contextlib.ExitStack() as held:
        held.enter_context(lock.hold(cfg.layout.combined_lock, "aggregate/report", wait=WAIT_FOR_WORKERS_S))
        for worker in sorted(cfg.workers, key=lambda w: w.name):
            paths = cfg.layout.worker(worker.name)
            held.enter_context(lock.hold(paths.lock, f"aggregate (reading {worker.name})", wait=WAIT_FOR_WORKERS_S))
        return _run_locked(cfg)


def _run_locked(cfg: Config) -> int:
    generated_at = status.now()
    cache = DigestCache(cfg.layout.digest_cache)
    states = reuse.states(cfg, cache)
    inputs_digest = inputs.combined_digest(cfg, cache, reuse.changes_by_worker(states), inputs.own_code())
    cache.save()
    missing = reuse.missing(states)
    # Which tests ran is checked only when every worker's data is in: a missing worker is named already.
    tests = suite.check_run(cfg, [s.name for s in states], cache) if not missing else suite.Check(None)
    cache.save()
    combined = _combine(cfg, states)
    totals = figures(entry["summary"] for entry in combined["files"].values())
    gate_list = gates.build(cfg, totals)
    rows = file_rows(cfg, combined)
    per_worker = {
        worker.name: figures(combined["files"][f]["summary"] for f in worker.files if f in combined["files"])
        for worker in cfg.workers
    }
    per_package = group_by_package(combined["files"], cfg.source_dir)
    races = outputs.races(outputs.by_worker(cfg))

    fsio.write_text(
        cfg.layout.aggregate_summary,
        render_summary(cfg, totals, gate_list, missing, per_worker, per_package, rows, generated_at, races),
    )
    write_result(
        cfg.layout.aggregate_json,
        {
            "schema": SCHEMA,
            "generated_at": generated_at,
            # What this aggregate read (covsplit.inputs.combined_digest): unchanged, it need not run again.
            "inputs_digest": inputs_digest,
            "complete": not missing and not tests.problems(),
            "missing": missing,
            # The tests the workers ran against one serial collection of the suite (covsplit.suite).
            "tests": tests.as_dict(),
            "workers": [_worker_entry(s, per_worker[s.name]) for s in states],
            "totals": totals.as_dict(),
            "gates": [gate.as_dict() for gate in gate_list],
            "packages": {name: counts.as_dict() for name, counts in per_package.items()},
            "files": {name: row.as_dict() for name, row in rows.items()},
            # Tests of different workers whose last runs wrote one file: they race when run at once.
            "races": [outputs.as_dict(race) for race in races],
        },
    )
    failed = _print_verdict(cfg, totals, gate_list, missing, tests, races)
    return exits.FAILED if failed or missing or tests.problems() else exits.OK


def _combine(cfg: Config, states: Sequence[reuse.WorkerState]) -> dict[str, Any]:
    """Combine the workers' data; write the combined reports and each worker's own from it; the combined JSON."""
    # coverage.py is only needed here, not to read results.
    from covsplit import coverage_data, worker_reports
    from covsplit.report_cache import ReportCache
    from covsplit.summary import WHOLE_SUITE

    data_files = [cfg.layout.worker(s.name).data_file for s in states if s.combinable]
    # Where each worker's checkout was: on a fleet every machine may have its own path.
    roots = [state.root for state in states if state.root]
    cov = coverage_data.combine(cfg, data_files, cfg.layout.combined_data, roots)
    # What coverage.py computed for files whose source and data did not change is taken, not redone.
    results = ReportCache(cfg.layout.report_cache, cfg.layout.report_keys)
    cov.keep_results(results)
    combined = coverage_data.write_combined_reports(
        cfg,
        cov,
        cfg.layout.combined_json,
        cfg.layout.coverage_xml,
        cfg.layout.combined_html,
    )
    foreign = {s.name for s in states if s.foreign_config}
    for worker in cfg.workers:
        # Another config's worker keeps its own files: this run must not overwrite them.
        if worker.name not in foreign:
            worker_reports.write(cfg, worker, cov, WHOLE_SUITE)
    results.save()
    return combined


def _worker_entry(state: reuse.WorkerState, coverage: Counts) -> dict[str, Any]:
    """One worker in ``aggregate.json``: its state, when it ran, what changed since, its modules' coverage."""
    return {
        "name": state.name,
        "state": state.state,
        "standing": state.standing.value,
        "started_at": state.started_at,
        "finished_at": state.finished_at,
        "data_file": state.has_data,
        "stale": list(state.changes),
        "coverage": coverage.as_dict(),
    }


def _print_verdict(
    cfg: Config,
    totals: Counts,
    gate_list: Sequence[Gate],
    missing: Sequence[Mapping[str, str]],
    tests: suite.Check,
    races: Sequence[outputs.Race],
) -> bool:
    """The aggregate's lines on the console (problems on stderr); True when a gate failed."""
    label = "PARTIAL " if missing or tests.problems() else ""
    print(
        f"{label}combined: {format_percent(totals.line_percent)}% lines, "
        f"{format_percent(totals.branch_percent)}% branches, "
        f"{totals.files} files ({cfg.layout.aggregate_summary})"
    )
    failed = False
    for gate in gate_list:
        print(("  ERROR: " if gate.failed else "  ") + gate.describe(), file=sys.stderr if gate.failed else None)
        failed |= gate.failed
    for race in races:
        print(f"  WARNING: {race.describe()}", file=sys.stderr)
    for entry in missing:
        print(f"  ERROR: {entry['worker']} {entry['state']}: {entry['reason']}", file=sys.stderr)
    if missing:
        print("  the aggregate is PARTIAL: rerun the missing workers, then aggregate again", file=sys.stderr)
    for problem in tests.problems():
        print(f"  ERROR: {problem}; the split does not run one serial collection: make plan", file=sys.stderr)
    if tests.unverified:
        print(f"  note: which tests ran is not checked: {tests.unverified} (nox -s collect)", file=sys.stderr)
    return failed
