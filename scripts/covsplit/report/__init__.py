"""The status document of a split, regenerated from data: ``report.md`` and ``report.html``.

The hand-written split document went wrong in every table it had: loads
called balanced that were not, three different file counts, a total from a
stale run.  This module therefore types no number at all.  Everything comes
from ``workers.toml``, the workers' status files and coverage JSON, and
``aggregate.json``; whatever is missing is said to be missing.

Layout, in the order data flows: :func:`write_report` reads every input
(``inputs``: each once, and tolerates any of them being absent or
unreadable, through ``readers``), :func:`build_model` (``build``, with
``worker_view`` for each worker) turns them into a :class:`ReportModel`
(``model``, made of the ``views``) with every figure computed, and
``next_steps`` picks what to do as data (the types in ``steps``);
:func:`render_markdown` and :func:`render_html` render that model through
the Jinja2 templates in ``templates/`` (``render`` holds the two
environments, ``figures`` how each figure is written).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from covsplit import fsio, lock, status
from covsplit.config import Config
from covsplit.gates import DEFAULT_HINT, DEFAULT_SOURCE
from covsplit.numbers import format_percent, format_shortfall, percent, percent_text
from covsplit.report.build import build_model
from covsplit.report.figures import (
    format_amount,
    format_count,
    format_ratio,
    format_threshold,
    outcome_word,
)
from covsplit.report.html import render_html
from covsplit.report.inputs import collect_inputs, model_for
from covsplit.report.markdown import render_markdown
from covsplit.report.model import ReportModel
from covsplit.report.views import EARLIER
from covsplit.summary import OWN_TESTS

__all__ = [
    "ReportModel",
    "all_clear",
    "build_model",
    "collect_inputs",
    "format_amount",
    "format_count",
    "format_percent",
    "format_ratio",
    "model_for",
    "outcome_word",
    "percent",
    "render_html",
    "render_markdown",
    "render_verdict",
    "write_report",
]


# Set by `make coverage-all` when it starts: a worker that ran before then was reused, and the verdict says so.
RUN_STARTED = "COVSPLIT_RUN_STARTED"


def run_started() -> datetime | None:
    """When the current ``make coverage-all`` started, if one is running."""
    value = os.environ.get(RUN_STARTED)
    try:
        started = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return started.replace(tzinfo=started.tzinfo or UTC) if started else None


def render_verdict(model: ReportModel, report_path: os.PathLike[str] | str, since: datetime | None = None) -> str:
    """One screen for the end of a run: each worker's state, the combined figures against the gates, the report.

    With ``since`` (when this ``make coverage-all`` started), a worker whose
    data is from before is marked as reused, with when it ran.
    """
    width = max((len(w.name) for w in model.workers), default=6)
    lines = ["", "covsplit verdict"]
    for w in model.workers:
        o = w.outcomes
        tests = (
            f"{o['passed']} passed, {o['failed']} failed, {o['errors']} {outcome_word('errors', o['errors'])}"
            if o
            else "no test results"
        )
        cov = w.coverage
        line, branch = (percent_text(cov.line_percent), percent_text(cov.branch_percent)) if cov else ("n/a", "n/a")
        scope = {OWN_TESTS: " (own tests only)", EARLIER: " (from before its latest run)"}.get(w.coverage_scope, "")
        seconds = f", {w.seconds:.1f} s" if w.seconds is not None else ""
        reused = since is not None and w.ran_at is not None and w.ran_at < since and w.state != status.NOT_RUN
        retry = f"run them again: {model.invoke.make('coverage-all')} RETRY=1"
        if reused and w.state == status.FAILED:
            # Its inputs did not change, so it was not run: a failure is reported again, as make reports a target.
            seconds += f", reused from {w.date}: inputs unchanged; {retry}"
        elif reused:
            seconds += f", reused from {w.date}"
        elif w.failures_from:
            # It ran other test files only: its failures are kept results, as a reused worker's are.
            seconds += f"; its failures reused from {w.failures_from}: their inputs unchanged; {retry}"
        if w.state != status.PASSED and not (reused and w.state == status.FAILED) and not w.failures_from:
            seconds += f"; run it again: {model.invoke.make(w.name)}"
        lines.append(
            f"  {w.name:<{width}}  {w.state_label:<12} {tests}{seconds}; its modules: "
            f"line {line}, branch {branch}{scope}"
        )
    c = model.combined
    if c is None:
        lines.append(f"  combined: none ({model.aggregate_problem})")
    else:
        gates = ", ".join(
            f"{g.name} {percent_text(g.actual)} against {format_threshold(g.threshold)}%"
            + (f" ({g.source})" if g.source else "")
            + (" ok" if g.passed is not False else f" FAILED by {format_shortfall(g.shortfall)}")
            for g in c.gates
        )
        lacking = [", ".join(f"{m.name} {m.state}" for m in c.missing), *c.tests_problems]
        state = "complete" if c.complete else "PARTIAL: " + "; ".join(part for part in lacking if part)
        lines.append(f"  combined: {gates}; {state}")
        if any(g.source == DEFAULT_SOURCE for g in c.gates):
            lines.append(f"  gates: {DEFAULT_HINT.format(path=model.config_name)}")
    if model.shuffle:
        lines.append(f"  shuffled: {model.shuffle}")
    lines.append(f"  report: {report_path}")
    return "\n".join(lines)


def all_clear(model: ReportModel) -> bool:
    """Complete combined data, every gate passed, every worker's tests passed: what CI may call green."""
    c = model.combined
    return (
        c is not None
        and c.complete
        and not c.outdated_by
        and all(g.passed is not False for g in c.gates)
        and all(w.state == status.PASSED for w in model.workers)
    )


def write_report(cfg: Config) -> int:
    """Write ``coverage_output/report.md`` and ``report.html``; 0 always, since gaps are content, not errors.

    The gates and the worker outcomes decide exit statuses elsewhere
    (``aggregate``, the workers); the report's job is to describe them.
    """
    md_path = cfg.layout.report_md
    html_path = cfg.layout.report_html
    with lock.hold(cfg.layout.combined_lock, "aggregate/report", wait=3600.0):
        model = model_for(cfg)
        fsio.write_text(md_path, render_markdown(model))
        fsio.write_text(html_path, render_html(model))
    print(f"report: wrote {md_path} and {html_path}")
    print(render_verdict(model, html_path, run_started()))
    return 0
